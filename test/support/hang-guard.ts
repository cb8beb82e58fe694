// HangGuard: a thread that watches contexts polled on the test's own thread. A test that
// calls poll(true) expecting it to return cannot bound the wait itself (its thread is
// asleep in ppoll, its timers cannot run), so the guard does: a sleep longer than `hangMs`
// is rescued with a direct eventfd write (rescue.ts) and the watchdog's report of it is
// kept for the test, which then fails with it (check()) instead of hanging.
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { AioContext, AioContextRef } from '../../lib';
import { rescueFailure } from './rescue';

/** Room for the last report, as UTF-8, in the shared buffer. */
const REPORT_BYTES = 16 << 10;
/** Words: [0] rescues so far, [1] length of the last report in bytes. */
const HEADER = 8;

export class HangGuard {
  readonly hangMs: number;
  readonly #worker: Worker;
  readonly #shared: SharedArrayBuffer;
  readonly #words: Int32Array;
  #seen = 0;

  private constructor(worker: Worker, shared: SharedArrayBuffer, hangMs: number) {
    this.#worker = worker;
    this.#shared = shared;
    this.#words = new Int32Array(shared, 0, 2);
    this.hangMs = hangMs;
  }

  /** Starts the guard thread; a sleep of a watched context longer than `hangMs` is rescued. */
  static async start(hangMs: number): Promise<HangGuard> {
    const shared = new SharedArrayBuffer(HEADER + REPORT_BYTES);
    const worker = new Worker(resolve(__dirname, 'hang-guard-worker.js'), { workerData: { shared, hangMs } });
    await new Promise<void>((res, rej) => {
      worker.once('message', () => res());
      worker.once('error', rej);
    });
    worker.unref();
    return new HangGuard(worker, shared, hangMs);
  }

  /** Watches `ctx` (until it is closed). */
  watch(ctx: AioContext | AioContextRef): void {
    this.#worker.postMessage(ctx instanceof AioContext ? ctx.ref() : ctx);
  }

  /** Rescues so far (readable while the test's thread is busy: shared memory). */
  get rescues(): number {
    return Atomics.load(this.#words, 0);
  }

  /** Throws the watchdog's report if a rescue was needed since the last check. */
  check(what: string): void {
    const n = this.rescues;
    if (n === this.#seen) return;
    this.#seen = n;
    // The worker stores the report, then its length, then raises the count (seq_cst).
    const len = Atomics.load(this.#words, 1);
    const text = Buffer.from(new Uint8Array(this.#shared, HEADER, len)).toString('utf8');
    throw rescueFailure(`${what}: a poll slept ${this.hangMs} ms`, text.split('\n'));
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
