// Bottom halves (QEMU's QEMUBH, in its 5.0+ lock-free form): a callback that any thread
// may schedule and the home thread runs once per poll round.
//
// Each bottom half owns one Int32 word in a shared slot table, so a BhRef in another
// thread can schedule it with Atomics alone:
//   bits 0-4  PENDING | SCHEDULED | DELETED | ONESHOT | IDLE   (QEMU's BH_* flags)
//   bits 8-31 generation: bumped when the slot is freed, so a stale BhRef to a deleted
//             bottom half can never schedule the slot's next owner.
// PENDING means "enqueued": set by the enqueue that counts it in BH_ENQUEUED, cleared when
// the home thread dequeues the bottom half to run it (QEMU's aio_bh_enqueue/dequeue).
import { closedError } from '../errors';
import { validateFunction } from '../validate';
import { notify, throwIfClosed } from './notify';
import { SharedState, W } from './shared-state';

export const BH_PENDING = 1;
export const BH_SCHEDULED = 2;
export const BH_DELETED = 4;
export const BH_ONESHOT = 8;
export const BH_IDLE = 16;
const FLAG_BITS = 0xff;
const GEN_UNIT = 0x100;

const SLOTS_PER_CHUNK = 256;

/**
 * Sets `flags` on a bottom half's word and notifies its context (QEMU aio_bh_enqueue).
 * Any thread. Returns false if the bottom half was deleted (generation changed).
 */
export function enqueueBh(state: SharedState, slots: Int32Array, index: number, gen: number, flags: number): boolean {
  let old: number;
  for (;;) {
    old = Atomics.load(slots, index);
    if ((old & ~FLAG_BITS) !== gen || old & BH_DELETED) return false;
    if (Atomics.compareExchange(slots, index, old, old | BH_PENDING | flags) === old) break;
  }
  // The compare-exchange publishes the flags before BH_ENQUEUED rises and before
  // notify() stores NOTIFIED (all seq_cst). Pairs with takeEnqueued(): it exchanges
  // BH_ENQUEUED to 0 and only then reads the words, so a word it misses was set after
  // the exchange, and its BH_ENQUEUED increment makes the next poll look again.
  if (!(old & BH_PENDING)) Atomics.add(state.words, W.BH_ENQUEUED, 1);
  Atomics.add(state.words, W.BH_SCHEDULES, 1);
  notify(state);
  return true;
}

/** The cloneable form of a BhRef: what crosses threads. */
export interface BhRefData {
  readonly kind: 'BhRef';
  readonly ctx: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
  readonly index: number;
  readonly gen: number;
}

/** A handle that schedules one bottom half from any thread (structured-cloneable). */
export class BhRef implements BhRefData {
  readonly kind = 'BhRef' as const;
  readonly ctx: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
  readonly index: number;
  readonly gen: number;
  #state: SharedState;
  #words: Int32Array;

  /** @internal use bh.ref() or BhRef.from() */
  constructor(data: BhRefData) {
    this.ctx = data.ctx;
    this.slots = data.slots;
    this.index = data.index;
    this.gen = data.gen;
    this.#state = new SharedState(data.ctx);
    this.#words = new Int32Array(data.slots);
  }

  /** Revives a BhRef from its structured-cloned form (workerData, postMessage). */
  static from(value: unknown): BhRef {
    if (value instanceof BhRef) return value;
    if (!isBhRefData(value)) throw new TypeError('BhRef.from() needs a value made by bh.ref()');
    return new BhRef(value);
  }

  /** qemu_bh_schedule() from any thread. Throws ERR_AIO_CLOSED once the bottom half is deleted. */
  schedule(): void {
    throwIfClosed(this.#state, 'AioContext');
    if (!enqueueBh(this.#state, this.#words, this.index, this.gen, BH_SCHEDULED)) throw closedError('Bottom half');
  }
}

function isBhRefData(v: unknown): v is BhRefData {
  const d = v as BhRefData;
  return (
    typeof d === 'object' &&
    d !== null &&
    d.kind === 'BhRef' &&
    d.ctx instanceof SharedArrayBuffer &&
    d.slots instanceof SharedArrayBuffer &&
    Number.isInteger(d.index) &&
    Number.isInteger(d.gen)
  );
}

/** A bottom half, on its home thread. */
export class Bh {
  #table: BhTable;
  readonly #cb: () => void;
  /** @internal */ readonly chunk: number;
  /** @internal */ readonly index: number;
  /** @internal */ readonly gen: number;
  /** @internal */ readonly words: Int32Array;

  /** @internal use ctx.bhNew() */
  constructor(table: BhTable, cb: () => void, chunk: number, index: number, gen: number) {
    this.#table = table;
    this.#cb = cb;
    this.chunk = chunk;
    this.index = index;
    this.gen = gen;
    this.words = table.chunks[chunk];
  }

  /** @internal */
  run(): void {
    this.#cb();
  }

  #enqueue(flags: number): void {
    throwIfClosed(this.#table.state, 'AioContext');
    if (!enqueueBh(this.#table.state, this.words, this.index, this.gen, flags)) throw closedError('Bottom half');
  }

  /** qemu_bh_schedule(): run once in the next poll round. */
  schedule(): void {
    this.#enqueue(BH_SCHEDULED);
  }

  /** qemu_bh_schedule_idle(): run within about 10 ms; an idle run is not progress. */
  scheduleIdle(): void {
    this.#enqueue(BH_SCHEDULED | BH_IDLE);
  }

  /** qemu_bh_cancel(): unschedule; it stays enqueued and is skipped. A no-op once deleted. */
  cancel(): void {
    throwIfClosed(this.#table.state, 'AioContext');
    // Only while the slot is still ours: once this bottom half is deleted and freed, the
    // slot may belong to a new one, whose schedule a stale cancel() must not undo. The
    // generation only changes on this thread (free()); a BhRef may set flags meanwhile.
    for (;;) {
      const old = Atomics.load(this.words, this.index);
      if ((old & ~FLAG_BITS) !== this.gen) return;
      if (Atomics.compareExchange(this.words, this.index, old, old & ~BH_SCHEDULED) === old) return;
    }
  }

  /** qemu_bh_delete(): never runs again; freed by the next poll round (this notifies). */
  delete(): void {
    if (this.deleted) return;
    this.#enqueue(BH_DELETED);
  }

  get deleted(): boolean {
    const word = Atomics.load(this.words, this.index);
    return (word & ~FLAG_BITS) !== this.gen || (word & BH_DELETED) !== 0;
  }

  /** A handle that schedules this bottom half from any thread. */
  ref(): BhRef {
    throwIfClosed(this.#table.state, 'AioContext');
    if (this.deleted) throw closedError('Bottom half');
    return new BhRef({
      kind: 'BhRef',
      ctx: this.#table.state.sab,
      slots: this.words.buffer as SharedArrayBuffer,
      index: this.index,
      gen: this.gen,
    });
  }
}

/** The bottom halves of one context and their slot table (home thread). */
export class BhTable {
  readonly state: SharedState;
  readonly chunks: Int32Array[] = [];
  readonly live: Bh[] = [];
  #free: Array<[chunk: number, index: number]> = [];

  constructor(state: SharedState) {
    this.state = state;
  }

  create(cb: () => void, flags = 0): Bh {
    validateFunction(cb, 'cb');
    if (this.#free.length === 0) this.#grow();
    const [chunk, index] = this.#free.pop()!;
    const words = this.chunks[chunk];
    const gen = Atomics.load(words, index) & ~FLAG_BITS;
    Atomics.store(words, index, gen | flags);
    const bh = new Bh(this, cb, chunk, index, gen);
    this.live.push(bh);
    return bh;
  }

  #grow(): void {
    const chunk = this.chunks.length;
    this.chunks.push(new Int32Array(new SharedArrayBuffer(SLOTS_PER_CHUNK * 4)));
    for (let i = SLOTS_PER_CHUNK - 1; i >= 0; i--) this.#free.push([chunk, i]);
  }

  /**
   * QEMU's QSLIST_MOVE_ATOMIC of bh_list: the bottom halves enqueued since the last call,
   * in creation order, written to into[0..n) (overwriting; the array only grows), and n.
   * They stay PENDING until dequeue() takes each one. The caller reuses `into`, so a
   * round of bottom halves allocates nothing.
   */
  takeEnqueued(into: Array<Bh | null>): number {
    // See enqueueBh(): exchange first, read the words after.
    if (Atomics.exchange(this.state.words, W.BH_ENQUEUED, 0) === 0) return 0;
    const live = this.live;
    let n = 0;
    for (let i = 0; i < live.length; i++) {
      const bh = live[i];
      if (Atomics.load(bh.words, bh.index) & BH_PENDING) {
        if (n < into.length) into[n] = bh;
        else into.push(bh);
        n++;
      }
    }
    return n;
  }

  /**
   * aio_bh_dequeue(): clears PENDING, SCHEDULED and IDLE and returns the flags before, or
   * 0 if the bottom half is no longer enqueued (a nested poll took it) or was freed.
   */
  dequeue(bh: Bh): number {
    const old = Atomics.and(bh.words, bh.index, ~(BH_PENDING | BH_SCHEDULED | BH_IDLE));
    if ((old & ~FLAG_BITS) !== bh.gen || !(old & BH_PENDING)) return 0;
    return old;
  }

  /** Frees a deleted or one-shot bottom half: its slot's generation moves on. */
  free(bh: Bh): void {
    const i = this.live.indexOf(bh);
    if (i < 0) return;
    this.live.splice(i, 1); // not a swap with the last: takeEnqueued() keeps creation order
    Atomics.store(bh.words, bh.index, (bh.gen + GEN_UNIT) & ~FLAG_BITS);
    this.#free.push([bh.chunk, bh.index]);
  }

  /**
   * aio_compute_timeout()'s bottom-half part: 0 if one is scheduled, 10 ms if only idle
   * ones are, -1 otherwise. `extra` are bottom halves taken but not yet run.
   */
  timeoutNs(extra: readonly Bh[]): number {
    if (Atomics.load(this.state.words, W.BH_ENQUEUED) === 0 && extra.length === 0) return -1;
    const a = listTimeoutNs(extra);
    if (a === 0) return 0;
    const b = listTimeoutNs(this.live);
    return b === 0 ? 0 : Math.max(a, b); // 10 ms if either has an idle one, else -1
  }
}

/** timeoutNs() over one list (no allocation: two plain loops instead of a list of lists). */
function listTimeoutNs(list: readonly Bh[]): number {
  let timeout = -1;
  for (let i = 0; i < list.length; i++) {
    const bh = list[i];
    const f = Atomics.load(bh.words, bh.index);
    if ((f & ~FLAG_BITS) !== bh.gen) continue;
    if ((f & (BH_PENDING | BH_SCHEDULED | BH_DELETED)) !== (BH_PENDING | BH_SCHEDULED)) continue;
    if (!(f & BH_IDLE)) return 0; // "non-idle bottom halves will be executed immediately"
    timeout = 10_000_000; // "idle bottom halves will be polled at least every 10ms"
  }
  return timeout;
}
