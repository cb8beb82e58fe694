// The messages of an IOThread's call ports (one MessageChannel per sender). Arrays, not
// objects: they are structured-cloned on every call, and a short array clones fastest.

/** Sender -> IOThread. */
export const Q = {
  /** [CALL, id, name, args]: run exports[name](...args), answer OK or ERR with the id. */
  CALL: 0,
  /** [POST, name, args]: the same, no answer; a throw comes back as POST_ERR. */
  POST: 1,
  /** [STOP]: the starter's stop(): every earlier message on its port runs first. */
  STOP: 2,
  /** [ATTACH, port]: serve another sender (thread.connect()) on this port too. */
  ATTACH: 3,
  /** [DETACH]: the sender closed; close this end. */
  DETACH: 4,
} as const;

/** IOThread -> sender. */
export const A = {
  /** [OK, id, result] */
  OK: 0,
  /** [ERR, id, SerializedError] */
  ERR: 1,
  /** [EVENT, name, args] (starter only) */
  EVENT: 2,
  /** [CREATED, AioContextRefData]: the context exists, setup() is about to run (starter only). */
  CREATED: 3,
  /** [READY, setupResult, exports]: setup() returned (starter only). */
  READY: 4,
  /** [FAILED, SerializedError]: loading the module or setup() failed (starter only). */
  FAILED: 5,
  /** [CRASHED, SerializedError]: a callback threw and ended the loop (starter only). */
  CRASHED: 6,
  /** [POST_ERR, SerializedError, name]: a post()ed function threw. */
  POST_ERR: 7,
} as const;

/** Typing from the module: `IOThread<typeof import('./device')>`. */
export type AnyFunction = (...args: any[]) => unknown;

/** What an untyped IOThread knows of its module: some functions. */
export interface UntypedModule {
  [name: string]: AnyFunction;
}

/** The names call() and post() accept: the module's exported functions but setup. */
export type CallName<M> = Exclude<{ [K in keyof M]: M[K] extends AnyFunction ? K : never }[keyof M], 'setup'> & string;
export type CallArgs<M, K extends keyof M> = M[K] extends (...args: infer P) => unknown ? P : never;
export type CallResult<M, K extends keyof M> = M[K] extends (...args: never[]) => infer R ? Awaited<R> : never;
/** What setup() returns, as it arrives (refs revived keep their class). */
export type SetupResult<M> = M extends { setup: (...args: never[]) => infer R } ? Awaited<R> : unknown;
