// The IOThread side of calls: one bottom half drains every sender's port with
// receiveMessageOnPort() and runs the calls between polls, as any bottom half runs.
import type { MessagePort } from 'node:worker_threads';
import { closedError, invalidArgType, invalidArgValue, invalidReturnValue, invalidState } from '../errors';
import type { Bh, BhRef } from './bottom-half';
import { A, AnyFunction, Q } from './call-protocol';
import type { AioContext } from './context';
import { encodeValue, serializeError } from './thread-errors';
import { workerThreads } from './worker-threads';

/** Messages taken from one port per round: a flooding sender cannot starve the loop. */
const BUDGET = 256;

let current: CallServer | null = null;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

export class CallServer {
  readonly #starter: MessagePort;
  #ports: MessagePort[];
  readonly #detached: MessagePort[] = [];
  readonly #functions: ReadonlyMap<string, AnyFunction>;
  readonly #bh: Bh;
  #stopping = false;
  #async = 0;

  constructor(ctx: AioContext, starter: MessagePort, functions: ReadonlyMap<string, AnyFunction>) {
    this.#starter = starter;
    this.#ports = [starter];
    this.#functions = functions;
    this.#bh = ctx.bhNew(() => this.#drain());
  }

  /** setup() has returned and the starter has its IOThread object: events may go to it. */
  ready(): void {
    current = this;
  }

  /** The BhRef senders schedule after each postMessage(). */
  ref(): BhRef {
    return this.#bh.ref();
  }

  /** The starter asked to stop (its STOP message ran). */
  get stopping(): boolean {
    return this.#stopping;
  }

  /** Calls whose function returned a promise that has not settled yet. */
  get asyncPending(): number {
    return this.#async;
  }

  #drain(): void {
    let more = false;
    const { receiveMessageOnPort } = workerThreads();
    for (let i = 0; i < this.#ports.length && !this.#stopping; i++) {
      const port = this.#ports[i];
      let n = 0;
      for (; n < BUDGET && !this.#stopping; n++) {
        const m = receiveMessageOnPort(port);
        if (!m) break;
        this.#handle(port, m.message as unknown[]);
      }
      if (n === BUDGET) more = true;
    }
    // Removed only now: a splice inside the loop would skip the next port's messages.
    if (this.#detached.length > 0) {
      this.#ports = this.#ports.filter((p) => !this.#detached.includes(p));
      this.#detached.length = 0;
    }
    // A port we left messages in: run again next round (its schedule may have been consumed).
    if (more && !this.#stopping) this.#bh.schedule();
  }

  #handle(port: MessagePort, m: unknown[]): void {
    switch (m[0]) {
      case Q.CALL:
        this.#call(port, m[1] as number, m[2] as string, m[3] as unknown[]);
        return;
      case Q.POST:
        this.#call(port, 0, m[1] as string, m[2] as unknown[]);
        return;
      case Q.STOP:
        this.#stopping = true;
        return;
      case Q.ATTACH:
        this.#ports.push(m[1] as MessagePort);
        return;
      case Q.DETACH:
        if (port !== this.#starter) this.#detached.push(port);
        port.close();
        return;
    }
  }

  /** Runs exports[name](...args); id 0 is a post (no answer, a throw is reported). */
  #call(port: MessagePort, id: number, name: string, args: unknown[]): void {
    let result: unknown;
    try {
      const fn = this.#functions.get(name);
      if (!fn) throw invalidArgValue('name', name, 'is not a function exported by the IOThread module');
      result = fn(...args);
    } catch (err) {
      this.#fail(port, id, name, err);
      return;
    }
    if (isThenable(result)) {
      this.#async++;
      result.then(
        (value) => {
          this.#async--;
          this.#answer(port, id, name, value);
        },
        (err) => {
          this.#async--;
          this.#fail(port, id, name, err);
        },
      );
      return;
    }
    this.#answer(port, id, name, result);
  }

  #answer(port: MessagePort, id: number, name: string, value: unknown): void {
    if (id === 0) return;
    try {
      port.postMessage([A.OK, id, encodeValue(value)]);
    } catch (err) {
      this.#fail(port, id, name, invalidReturnValue(`The function '${name}'`, `returned a value that cannot be structured-cloned (${(err as Error).message})`));
    }
  }

  #fail(port: MessagePort, id: number, name: string, err: unknown): void {
    port.postMessage(id === 0 ? [A.POST_ERR, serializeError(err), name] : [A.ERR, id, serializeError(err)]);
  }

  /** emitToStarter(): an event on the starter's IOThread object, after earlier answers to it. */
  emit(event: string, args: unknown[]): void {
    this.#starter.postMessage([A.EVENT, event, args.map(encodeValue)]);
  }

  /**
   * The loop has ended: every call still queued on any port is answered ERR_AIO_CLOSED
   * (none is dropped unanswered), and the ports close.
   */
  finish(what: string): void {
    current = null;
    const closed = serializeError(closedError(what));
    const { receiveMessageOnPort } = workerThreads();
    for (const port of this.#ports) {
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const msg = m.message as unknown[];
        if (msg[0] === Q.CALL) port.postMessage([A.ERR, msg[1], closed]);
        else if (msg[0] === Q.ATTACH) (msg[1] as MessagePort).close();
      }
      if (port !== this.#starter) port.close();
    }
  }
}

/**
 * Sends an event to the thread that started this IOThread: `thread.on(event, ...)` there
 * receives `args` (structured-cloned, Errors keeping their shape) on its own event loop.
 * Only on an IOThread, after setup() has begun.
 */
export function emitToStarter(event: string, ...args: unknown[]): void {
  if (typeof event !== 'string') throw invalidArgType('event', 'of type string', event);
  if (event === 'error') throw invalidArgValue('event', event, "is reserved for the IOThread's own failures");
  // Before setup() returns, the starter has no IOThread object to listen on: refuse rather than lose it.
  if (!current) throw invalidState('emitToStarter() works only on an IOThread, once its setup() has returned');
  try {
    current.emit(event, args);
  } catch (err) {
    throw invalidArgValue('args', args, `cannot be structured-cloned (${(err as Error).message})`);
  }
}
