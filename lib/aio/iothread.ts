// IOThread: an AioContext polled by its own worker thread (QEMU's iothread.c).
import { EventEmitter } from 'node:events';
import { resolve as resolvePath } from 'node:path';
import { Worker } from 'node:worker_threads';
import { invalidArgType } from '../errors';
import { validateOptions } from '../validate';
import { BhRef, BhRefData } from './bottom-half';
import { resolveSigioKick } from './context';
import { AioContextRef, AioContextRefData } from './context-ref';
import { reviveRefs } from './refs';

export interface IOThreadOptions {
  /** Path of a module that exports setup(ctx, data); what it returns becomes setupResult. */
  module: string;
  /** Passed to setup() (structured-cloned; refs inside are revived). */
  data?: unknown;
  name?: string;
  sigioKick?: boolean | 'auto';
}

/** @internal */
export interface IOThreadWorkerData {
  module: string;
  data: unknown;
  name: string;
  sigioKick: boolean;
}

/** @internal the worker's first message */
export interface IOThreadReady {
  type: 'ready';
  ctx: AioContextRefData;
  stop: BhRefData;
  setupResult: unknown;
}

let threadCount = 0;

export class IOThread extends EventEmitter {
  readonly name: string;
  /** The thread's context, usable from this thread. */
  readonly ctx: AioContextRef;
  /** What setup() returned, structured-cloned, refs revived. */
  readonly setupResult: unknown;
  /** The worker thread. terminate() cannot interrupt its ppoll: notify the context too. */
  readonly worker: Worker;
  readonly #stop: BhRef;
  #exited: Promise<void>;
  #done = false;

  private constructor(worker: Worker, name: string, ready: IOThreadReady, exited: Promise<void>) {
    super();
    this.worker = worker;
    this.name = name;
    this.ctx = AioContextRef.from(ready.ctx);
    this.#stop = BhRef.from(ready.stop);
    this.setupResult = reviveRefs(ready.setupResult);
    this.#exited = exited;
    worker.on('error', (err) => this.emit('error', err));
    exited.then(() => {
      this.#done = true;
    });
  }

  /** Starts the thread; resolves once setup() has returned, rejects if it threw. */
  static async start(options: IOThreadOptions): Promise<IOThread> {
    const o = validateOptions<IOThreadOptions>(options);
    if (typeof o.module !== 'string') throw invalidArgType('options.module', 'of type string', o.module);
    const name = o.name === undefined ? `iothread-${++threadCount}` : String(o.name);
    const workerData: IOThreadWorkerData = {
      module: resolvePath(o.module),
      data: o.data,
      name,
      sigioKick: resolveSigioKick(o.sigioKick),
    };
    const worker = new Worker(resolvePath(__dirname, 'iothread-worker.js'), { workerData });
    // Not events.once(): it rejects on 'error', and the exit after an error is not a failure.
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    const first = await new Promise<IOThreadReady>((resolve, reject) => {
      const settle = (fn: () => void) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        fn();
      };
      const onMessage = (m: IOThreadReady) => settle(() => resolve(m));
      const onError = (err: Error) => settle(() => reject(err));
      const onExit = () => settle(() => reject(new Error(`IOThread ${name} exited during setup`)));
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    }).catch(async (err) => {
      await worker.terminate();
      throw err;
    });
    return new IOThread(worker, name, first, exited);
  }

  /** True once the thread has exited. */
  get exited(): boolean {
    return this.#done;
  }

  /** Stops the loop (even asleep with an infinite timeout) and resolves after the thread exits. */
  async stop(): Promise<void> {
    if (!this.#done) {
      try {
        this.#stop.schedule();
      } catch (err) {
        // Already closing (an error ended the loop): nothing to schedule, just wait.
        if ((err as { code?: string }).code !== 'ERR_AIO_CLOSED') throw err;
      }
    }
    await this.#exited;
  }
}
