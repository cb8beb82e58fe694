// The sending side of IOThread calls (the starter's IOThread and every IOThreadClient):
// one MessagePort to the IOThread, the BhRef of its call bottom half, and the calls
// awaiting an answer.
import type { MessagePort } from 'node:worker_threads';
import { closedError, invalidArgType, invalidArgValue } from '../errors';
import { BhRef } from './bottom-half';
import { A, Q } from './call-protocol';
import { decodeValue, reviveError, SerializedError } from './thread-errors';
import { workerThreads } from './worker-threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  name: string;
}

export class CallClient {
  readonly #port: MessagePort;
  readonly #what: string;
  readonly #onOther: (message: unknown[]) => void;
  #bh: BhRef | null = null;
  #names: ReadonlySet<string> = new Set();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed: Error | null = null;

  /**
   * `what` names the IOThread in errors; `onOther` gets every message that is not the
   * answer to a call (events, lifecycle), in the order the IOThread sent them.
   */
  constructor(port: MessagePort, what: string, onOther: (message: unknown[]) => void) {
    this.#port = port;
    this.#what = what;
    this.#onOther = onOther;
    port.on('message', (m: unknown[]) => this.#receive(m));
    // Only calls awaiting an answer keep this thread's event loop alive (see #track()).
    port.unref();
  }

  /** Calls go to `bh`'s thread from now on; `names` are the functions it exports. */
  connect(bh: BhRef, names: readonly string[]): void {
    this.#bh = bh;
    this.#names = new Set(names);
  }

  /** The IOThread's call bottom half (for another sender). */
  get calls(): BhRef {
    return this.#bh!;
  }

  get names(): readonly string[] {
    return [...this.#names];
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  #check(name: unknown): void {
    if (this.#closed) throw this.#closed;
    if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
    if (!this.#names.has(name)) throw invalidArgValue('name', name, `is not a function exported by the module of ${this.#what}`);
  }

  /**
   * Posts `message` and schedules the IOThread's call bottom half. postMessage() appends to
   * the receiving port's queue before it returns (under the port's lock); schedule() then
   * sets the bottom half's flags with a seq_cst compare-exchange and notifies. The bottom
   * half that runs because of this schedule reads its flags (dequeue) before it drains the
   * port with receiveMessageOnPort(), so it finds the message: a message is never left
   * behind by a drain that this schedule caused.
   */
  #send(message: unknown[], transfer?: MessagePort[]): void {
    try {
      this.#port.postMessage(message, transfer);
    } catch (err) {
      throw invalidArgValue('args', message[message.length - 1], `cannot be structured-cloned (${(err as Error).message})`);
    }
    try {
      this.#bh!.schedule();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_AIO_CLOSED') throw err;
      this.close(closedError(this.#what));
      throw this.#closed;
    }
  }

  call(name: string, args: unknown[]): Promise<unknown> {
    try {
      this.#check(name);
    } catch (err) {
      return Promise.reject(err);
    }
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { resolve, reject, name }));
    try {
      this.#send([Q.CALL, id, name, args]);
      this.#track();
    } catch (err) {
      this.#settle(id)?.reject(err as Error);
    }
    return answer;
  }

  post(name: string, args: unknown[]): void {
    this.#check(name);
    this.#send([Q.POST, name, args]);
  }

  /** The starter's stop request: after every call already sent; later calls reject. */
  stop(): void {
    if (this.#closed) return;
    try {
      this.#send([Q.STOP]);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_AIO_CLOSED') throw err;
    }
    this.#closed ??= closedError(this.#what);
  }

  /** Serve another sender on `port` (its other end goes to that sender). */
  attach(port: MessagePort): void {
    if (this.#closed) throw this.#closed;
    this.#send([Q.ATTACH, port], [port]);
  }

  /** This sender is done: the IOThread closes its end; calls still unanswered reject. */
  detach(): void {
    if (!this.#closed) {
      try {
        this.#send([Q.DETACH]);
      } catch {
        // The IOThread is gone already: nothing to tell it.
      }
    }
    this.close(closedError(this.#what));
    this.#port.close();
  }

  /** Handles whatever already arrived, synchronously (the IOThread has exited: nothing is lost). */
  drainSync(): void {
    const { receiveMessageOnPort } = workerThreads();
    for (let m = receiveMessageOnPort(this.#port); m; m = receiveMessageOnPort(this.#port)) this.#receive(m.message as unknown[]);
  }

  /** Every call still unanswered rejects with `error`, and so does every later one. */
  close(error: Error): void {
    this.#closed ??= error;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#track();
    for (const p of pending) p.reject(error);
  }

  /** Keep this thread's event loop alive exactly while a call awaits its answer. */
  #track(): void {
    if (this.#pending.size === 1) this.#port.ref();
    else if (this.#pending.size === 0) this.#port.unref();
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (p) {
      this.#pending.delete(id);
      if (this.#pending.size === 0) this.#track();
    }
    return p;
  }

  #receive(m: unknown[]): void {
    switch (m[0]) {
      case A.OK:
        this.#settle(m[1] as number)?.resolve(decodeValue(m[2], this.#what));
        return;
      case A.ERR: {
        const p = this.#settle(m[1] as number);
        p?.reject(reviveError(m[2] as SerializedError, `${this.#what}, call '${p.name}'`));
        return;
      }
      default:
        this.#onOther(m);
    }
  }
}
