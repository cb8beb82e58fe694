// IOThread: an AioContext polled by its own worker thread (QEMU's iothread.c), with calls
// into it and events back out of it.
import { EventEmitter } from 'node:events';
import { join, resolve as resolvePath } from 'node:path';
import type { MessagePort, Worker } from 'node:worker_threads';
import { closedError, invalidArgType, invalidArgValue } from '../errors';
import { packageRoot } from '../sys/prebuilt';
import { validateOptions } from '../validate';
import { BhRef, BhRefData } from './bottom-half';
import { Bound, BoundOptions, validateBound, withBound } from './bounds';
import { CallClient } from './call-client';
import { A, CallArgs, CallName, CallResult, SetupResult, UntypedModule } from './call-protocol';
import { resolveSigioKick } from './context';
import { AioContextRef } from './context-ref';
import { reviveRefs } from './refs';
import { decodeValue, reviveError, SerializedError } from './thread-errors';
import { workerThreads } from './worker-threads';

export interface IOThreadOptions extends BoundOptions {
  /** Path of a module that exports setup(ctx, data); what it returns becomes setupResult. */
  module: string;
  /** Passed to setup() (structured-cloned; refs inside are revived). */
  data?: unknown;
  name?: string;
  sigioKick?: boolean | 'auto';
  // timeout, signal (BoundOptions): start() gives up, ends the thread and rejects.
}

/** @internal */
export interface IOThreadWorkerData {
  module: string;
  data: unknown;
  name: string;
  sigioKick: boolean;
  /** The starter's call port (transferred). */
  port: MessagePort;
}

/** The worker's entry, tsc's output (not bundled: it runs when loaded; scripts/bundle.js). */
const WORKER_ENTRY = join(packageRoot, 'dist', 'lib', 'aio', 'iothread-worker.js');

let threadCount = 0;

/** What one startup waits for: READY, or a failure of any kind. */
interface Startup {
  resolve: (ready: { setupResult: unknown; exports: string[]; calls: BhRef }) => void;
  reject: (error: Error) => void;
}

export class IOThread<M extends object = UntypedModule> extends EventEmitter {
  readonly name: string;
  /** The worker thread. terminate() cannot interrupt its ppoll: notify the context too. */
  readonly worker: Worker;
  #ctx: AioContextRef | null = null;
  #setupResult: unknown;
  readonly #client: CallClient;
  readonly #exited: Promise<void>;
  #startup: Startup | null;
  #done = false;

  private constructor(worker: Worker, port: MessagePort, name: string, startup: Startup) {
    super();
    this.worker = worker;
    this.name = name;
    this.#startup = startup;
    this.#client = new CallClient(port, `IOThread ${name}`, (m) => this.#onMessage(m));
    worker.on('error', (err) => this.#fail(err));
    this.#exited = new Promise<void>((resolve) => {
      worker.once('exit', () => {
        // Whatever it sent before it exited is handled first: no answer or event is lost.
        this.#client.drainSync();
        this.#done = true;
        this.#client.close(closedError(`IOThread ${name}`));
        port.close();
        this.#fail(new Error(`IOThread ${name} exited during setup`));
        resolve();
      });
    });
  }

  /** The thread's context, usable from this thread. */
  get ctx(): AioContextRef {
    return this.#ctx!;
  }

  /** What setup() returned, structured-cloned, refs revived. */
  get setupResult(): SetupResult<M> {
    return this.#setupResult as SetupResult<M>;
  }

  /**
   * Starts the thread; resolves once setup() has returned, rejects if it threw, returned a
   * value structured clone cannot copy, or did not return within `timeout` ms / before
   * `signal` aborted (the thread is then ended, whatever it is doing).
   */
  static async start<M extends object = UntypedModule>(options: IOThreadOptions): Promise<IOThread<M>> {
    const o = validateOptions<IOThreadOptions>(options);
    if (typeof o.module !== 'string') throw invalidArgType('options.module', 'of type string', o.module);
    const bound = validateBound(o);
    if (o.name !== undefined && typeof o.name !== 'string') throw invalidArgType('options.name', 'of type string', o.name);
    const name = o.name ?? `iothread-${++threadCount}`;
    const { MessageChannel, Worker } = workerThreads();
    const { port1, port2 } = new MessageChannel();
    const workerData: IOThreadWorkerData = {
      module: resolvePath(o.module),
      data: o.data,
      name,
      sigioKick: resolveSigioKick(o.sigioKick),
      port: port2,
    };
    let worker: Worker;
    try {
      worker = new Worker(WORKER_ENTRY, { workerData, transferList: [port2] });
    } catch (err) {
      port1.close();
      throw invalidArgValue('options.data', o.data, `cannot be structured-cloned (${(err as Error).message})`);
    }
    let thread!: IOThread<M>;
    const ready = new Promise<{ setupResult: unknown; exports: string[]; calls: BhRef }>((resolve, reject) => {
      thread = new IOThread<M>(worker, port1, name, { resolve, reject });
    });
    try {
      const r = await withBound(ready, bound, `IOThread ${name} start()`, () => thread.#forceEnd());
      thread.#setupResult = r.setupResult;
      thread.#client.connect(r.calls, r.exports);
      return thread;
    } catch (err) {
      // Failed or gave up: nothing of it may stay behind.
      thread.#forceEnd();
      if (bound.timeout === undefined && bound.signal === undefined) await thread.#exited;
      throw err;
    }
  }

  #onMessage(m: unknown[]): void {
    switch (m[0]) {
      case A.CREATED:
        this.#ctx = AioContextRef.from(m[1]);
        return;
      case A.READY:
        this.#startup?.resolve({ setupResult: reviveRefs(m[1]), exports: m[2] as string[], calls: BhRef.from(m[3]) });
        this.#startup = null;
        return;
      case A.FAILED:
      case A.CRASHED:
        this.#fail(reviveError(m[1] as SerializedError, `IOThread ${this.name}`));
        return;
      case A.POST_ERR:
        this.emit('error', reviveError(m[1] as SerializedError, `IOThread ${this.name}, post '${m[2] as string}'`));
        return;
      case A.EVENT: {
        const args = (m[2] as unknown[]).map((a) => decodeValue(a, `IOThread ${this.name}`));
        this.emit(m[1] as string, ...args);
        return;
      }
    }
  }

  /** A failure during startup rejects start(); after it, an 'error' event. */
  #fail(error: Error): void {
    if (this.#startup) {
      this.#startup.reject(error);
      this.#startup = null;
    } else if (!this.#done) {
      this.emit('error', error);
    }
  }

  /**
   * Ends the thread whatever it is doing. terminate() first, then notify(): a worker asleep
   * in ppoll cannot see the termination request until it returns to JavaScript, and the
   * notify() wakes it after the request is in place (the other order could let it wake,
   * poll again and sleep before the request). unref(): a thread stuck in some other system
   * call must not keep the process alive.
   */
  #forceEnd(): void {
    if (this.#done) return;
    this.worker.unref();
    void this.worker.terminate();
    // A CREATED still queued names the context to wake: a worker that posted it before
    // the termination request may already be asleep in its ppoll.
    this.#client.drainSync();
    try {
      this.#ctx?.notify();
    } catch {
      // Already closed: it is on its way out.
    }
  }

  /** True once the thread has exited. */
  get exited(): boolean {
    return this.#done;
  }

  /**
   * Runs the module's export `name`(...args) on the IOThread, between its polls, and
   * resolves with its result (structured-cloned). Rejects with the function's error (its
   * remote stack kept), or ERR_AIO_CLOSED once stop() was called or the thread ended.
   * Calls from one sender run in the order made.
   */
  call<K extends CallName<M>>(name: K, ...args: CallArgs<M, K>): Promise<CallResult<M, K>> {
    return this.#client.call(name, args) as Promise<CallResult<M, K>>;
  }

  /** call() without an answer; a throw there is an 'error' event here. */
  post<K extends CallName<M>>(name: K, ...args: CallArgs<M, K>): void {
    this.#client.post(name, args);
  }

  /**
   * A sender for another thread: transfer it (`worker.postMessage(c, [c.port])`) and turn it
   * into an IOThreadClient there with IOThreadClient.from(). Its calls are FIFO among
   * themselves; its answers arrive on that thread's event loop.
   */
  connect(): IOThreadClientData {
    const { MessageChannel } = workerThreads();
    const { port1, port2 } = new MessageChannel();
    this.#client.attach(port2);
    return { kind: 'IOThreadClient', name: this.name, port: port1, calls: this.#client.calls, exports: this.#client.names };
  }

  /**
   * Stops the loop (even asleep with an infinite timeout) after the calls already made,
   * and resolves once the thread has exited, whatever setup() left behind (timers,
   * handles). Calls made after stop() reject with ERR_AIO_CLOSED. With `timeout` or
   * `signal`, a thread that does not stop in time (a callback that never returns) is
   * terminated and stop() rejects with ERR_AIO_TIMEOUT or an AbortError.
   */
  async stop(options?: BoundOptions): Promise<void> {
    const bound: Bound = validateBound(validateOptions<BoundOptions>(options));
    if (!this.#done) this.#client.stop();
    await withBound(this.#exited, bound, `IOThread ${this.name} stop()`, () => this.#forceEnd());
  }
}

/** The cloneable form of an IOThreadClient (its port must be in the transfer list). */
export interface IOThreadClientData {
  readonly kind: 'IOThreadClient';
  readonly name: string;
  readonly port: MessagePort;
  readonly calls: BhRefData;
  readonly exports: readonly string[];
}

/** Calls into an IOThread from a thread other than its starter (see IOThread.connect()). */
export class IOThreadClient<M extends object = UntypedModule> extends EventEmitter {
  readonly name: string;
  readonly #client: CallClient;

  private constructor(data: IOThreadClientData) {
    super();
    this.name = data.name;
    this.#client = new CallClient(data.port, `IOThread ${data.name}`, (m) => {
      if (m[0] === A.POST_ERR) this.emit('error', reviveError(m[1] as SerializedError, `IOThread ${this.name}, post '${m[2] as string}'`));
    });
    this.#client.connect(BhRef.from(data.calls), data.exports);
    // The IOThread closes its end when it exits: calls still unanswered reject then.
    data.port.once('close', () => this.#client.close(closedError(`IOThread ${this.name}`)));
  }

  /** Revives a client from what IOThread.connect() returned, after the transfer. */
  static from<M extends object = UntypedModule>(value: unknown): IOThreadClient<M> {
    const d = value as IOThreadClientData;
    if (typeof d !== 'object' || d === null || d.kind !== 'IOThreadClient' || !(d.port instanceof workerThreads().MessagePort) || !Array.isArray(d.exports)) {
      throw invalidArgType('value', 'a value made by thread.connect()', value);
    }
    return new IOThreadClient<M>(d);
  }

  call<K extends CallName<M>>(name: K, ...args: CallArgs<M, K>): Promise<CallResult<M, K>> {
    return this.#client.call(name, args) as Promise<CallResult<M, K>>;
  }

  post<K extends CallName<M>>(name: K, ...args: CallArgs<M, K>): void {
    this.#client.post(name, args);
  }

  /** Done with this client: the IOThread stops serving it; unanswered calls reject ERR_AIO_CLOSED. */
  close(): void {
    this.#client.detach();
  }
}
