// Code run in worker threads: one runner, TestWorker, with a message queue each way. The body
// is a function (its source is sent), a source string, or a module file; it gets the compiled
// library (dist/lib) loaded in the worker.
import path from 'node:path';
import type { TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { LIB_PATH, LibContext, WAIT_MS } from './env';
import { within } from './wait';

/** What a body run by startWorker/runInWorker receives. */
export interface WorkerContext<D = any> extends LibContext<D> {
  /** Posts `value` to the main thread (TestWorker.next() receives it). */
  send(value: unknown): void;
  /** The next value the main thread sent with TestWorker.post(). */
  receive(): Promise<any>;
}

/**
 * Code for a worker:
 *  - a function `(ctx) => value` whose source is sent to the worker (it must use nothing
 *    but its argument and globals: it does not close over the test file's scope);
 *  - a string: the body of such a function, with `lib, sys, data, send, receive` in scope;
 *  - { file }: a module, absolute or relative to dist/test, whose export is such a function.
 */
export type WorkerCode<D = any> = ((ctx: WorkerContext<D>) => unknown) | string | { file: string };

function bodySource(code: WorkerCode): string {
  if (typeof code === 'function') return `(${code.toString()})`;
  if (typeof code === 'string') {
    return `(async ({ lib, sys, data, send, receive, require }) => {\n${code}\n})`;
  }
  const file = path.resolve(__dirname, '..', code.file); // relative to dist/test
  return `((m) => (typeof m === 'function' ? m : m.default))(require(${JSON.stringify(file)}))`;
}

// Runs in the worker: loads the library, wires send/receive, runs the body and posts its
// result (or its error, with code/errno/syscall kept) as the last message.
const WORKER_PRELUDE = `
const { parentPort, workerData } = require('node:worker_threads');
const lib = require(workerData.libPath);
const inbox = [];
const waiters = [];
parentPort.on('message', (m) => {
  const w = waiters.shift();
  if (w) w(m);
  else inbox.push(m);
  if (waiters.length === 0) parentPort.unref();
});
parentPort.unref();
function receive() {
  if (inbox.length > 0) return Promise.resolve(inbox.shift());
  parentPort.ref();
  return new Promise((resolve) => waiters.push(resolve));
}
function send(value) {
  parentPort.postMessage({ kind: 'message', value });
}
function describe(e) {
  if (!(e instanceof Error)) return { message: String(e) };
  return { name: e.name, message: e.message, stack: e.stack, code: e.code, errno: e.errno, syscall: e.syscall };
}
const ctx = { lib, sys: lib.sys, data: workerData.data, send, receive, require };
Promise.resolve()
  .then(() => (BODY)(ctx))
  .then(
    (value) => parentPort.postMessage({ kind: 'result', value }),
    (error) => parentPort.postMessage({ kind: 'error', error: describe(error) }),
  );
`;

export interface WorkerOptions {
  /** How long next()/result/runInWorker wait (default WAIT_MS). */
  timeoutMs?: number;
  /** The test whose end (pass, fail or timeout) terminates the worker if it is still running. */
  test?: TestContext;
  /** Passed to the Worker: transferList for `data`, resourceLimits, ... */
  transferList?: readonly any[];
  name?: string;
}

interface WorkerError {
  name?: string;
  message: string;
  stack?: string;
  code?: string;
  errno?: number;
  syscall?: string;
}

function reviveError(e: WorkerError): Error {
  const error = new Error(`in worker: ${e.message}`) as NodeJS.ErrnoException;
  if (e.name) error.name = e.name;
  if (e.stack) error.stack = `${error.name}: in worker: ${e.stack}`;
  if (e.code !== undefined) error.code = e.code;
  if (e.errno !== undefined) error.errno = e.errno;
  if (e.syscall !== undefined) error.syscall = e.syscall;
  return error;
}

/** A worker thread running a WorkerCode body, with a message queue in each direction. */
export class TestWorker<R = any> {
  readonly worker: Worker;
  /** The body's return value; rejects with its error, or if the worker exits without one. */
  readonly result: Promise<R>;
  /** The exit code, once the thread has stopped. */
  readonly exited: Promise<number>;
  readonly timeoutMs: number;
  #queue: unknown[] = [];
  #waiters: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  #ended: Error | null = null;
  #exited = false;
  #settled = false;

  constructor(code: WorkerCode, data?: unknown, options: WorkerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? WAIT_MS;
    this.worker = new Worker(WORKER_PRELUDE.replace('BODY', bodySource(code)), {
      eval: true,
      name: options.name,
      workerData: { libPath: LIB_PATH, data },
      transferList: options.transferList as any,
    });
    let settle!: { resolve: (v: R) => void; reject: (e: Error) => void };
    this.result = new Promise<R>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.result.catch(() => {}); // observed through `result` or runInWorker; never unhandled
    this.exited = new Promise<number>((resolve) =>
      this.worker.once('exit', (code: number) => {
        this.#exited = true;
        resolve(code);
      }),
    );
    // Values sent after the body returned (from callbacks, timers, an attached context) are
    // still delivered: the queue ends when the thread exits (its messages come first).
    this.worker.on('message', (m: { kind: string; value?: unknown; error?: WorkerError }) => {
      if (m.kind === 'message') this.#deliver(m.value);
      else if (m.kind === 'result') {
        this.#settled = true;
        settle.resolve(m.value as R);
      } else if (m.kind === 'error') {
        this.#settled = true;
        const error = reviveError(m.error!);
        settle.reject(error);
        this.#end(error);
      }
    });
    this.worker.on('error', (e: Error) => {
      settle.reject(e);
      this.#end(e);
    });
    this.worker.once('exit', (code: number) => {
      if (this.#settled) {
        this.#end(new Error('the worker finished before sending this message'));
        return;
      }
      const e = new Error(`the worker exited (code ${code}) before finishing`);
      settle.reject(e);
      this.#end(e);
    });
    options.test?.after(async () => {
      if (!this.#exited) await this.terminate();
    });
  }

  /** Whether the body has returned or thrown (its result message has arrived). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Whether the thread has stopped (its 'exit' event has fired). */
  get hasExited(): boolean {
    return this.#exited;
  }

  /** The kernel thread id is not known here: have the body send sys.gettid(). */
  get threadId(): number {
    return this.worker.threadId;
  }

  #deliver(value: unknown): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(value);
    else this.#queue.push(value);
  }

  #end(error: Error): void {
    if (this.#ended) return;
    this.#ended = error;
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  /** The next value the body sent with send(). */
  next<T = any>(timeoutMs = this.timeoutMs): Promise<T> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift() as T);
    if (this.#ended) return Promise.reject(this.#ended);
    const p = new Promise<T>((resolve, reject) => {
      this.#waiters.push({ resolve: resolve as (v: unknown) => void, reject });
    });
    return within(p, timeoutMs, 'a message from the worker');
  }

  /** Sends `value` to the body's receive(). */
  post(value: unknown): void {
    this.worker.postMessage(value);
  }

  /** The body's result, and the thread gone. */
  async done(timeoutMs = this.timeoutMs): Promise<R> {
    const value = await within(this.result, timeoutMs, 'the worker result');
    await within(this.exited, timeoutMs, 'the worker exit');
    return value;
  }

  /** Stops the worker (at its next JavaScript instruction) and waits for the thread to end. */
  async terminate(timeoutMs = this.timeoutMs): Promise<number> {
    return within(this.worker.terminate(), timeoutMs, 'worker.terminate()');
  }
}

/** Starts `code` in a new worker thread with `data`. */
export function startWorker<R = any, D = any>(code: WorkerCode<D>, data?: D, options?: WorkerOptions): TestWorker<R> {
  return new TestWorker<R>(code, data, options);
}

/** Runs `code` in a new worker thread and resolves with what it returned, once it has exited. */
export function runInWorker<R = any, D = any>(code: WorkerCode<D>, data?: D, options?: WorkerOptions): Promise<R> {
  return startWorker<R, D>(code, data, options).done();
}
