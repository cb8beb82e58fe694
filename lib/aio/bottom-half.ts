// Bottom halves (QEMU's QEMUBH, in its 5.0+ lock-free form, util/async.c 8c6b0356b5): a
// callback that any thread may schedule and the home thread runs once per poll round.
//
// Each bottom half owns one slot of a shared slot table, so that a BhRef in another thread
// can schedule it with Atomics alone. A chunk of the table (one SharedArrayBuffer) holds
// SLOTS_PER_CHUNK slots as two Int32 words each:
//   flags[i]  bits 0-4  PENDING | SCHEDULED | DELETED | ONESHOT | IDLE   (QEMU's BH_* flags)
//             bits 8-31 generation: moved on when the slot is freed, so a stale BhRef to a
//                       deleted bottom half can never schedule the slot's next owner
//   next[i]   the link of the enqueued list: the next slot's number + 1, 0 at the end
// A slot's number is chunk * SLOTS_PER_CHUNK + i. PENDING means "on the enqueued list": set
// by the enqueue that pushes the bottom half (QEMU's aio_bh_enqueue), cleared when the home
// thread dequeues it to run it (aio_bh_dequeue). The list's head (number + 1, 0 empty) is
// the context's W.BH_HEAD word. Pushing is a compare-exchange on the head from any thread;
// the home thread takes the whole list at once with an exchange (QSLIST_MOVE_ATOMIC). With
// push and take-all only, no node leaves the list while a pusher holds it, so the head
// compare-exchange has no ABA problem. Every operation is O(1) or O(enqueued): a poll round
// costs the same with 1 or 100,000 live bottom halves.
//
// A slot is used for 2^24 lives, then retired (never reused): a generation can never come
// back while the process lives, at a cost of 8 bytes per 16.7 million bottom halves freed.
import { closedError, invalidArgType, outOfRange } from '../errors';
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

export const SLOTS_PER_CHUNK = 256;
/** Int32 words per chunk: the flags, then the links. */
const CHUNK_WORDS = 2 * SLOTS_PER_CHUNK;
const MAX_SLOT = 2 ** 31 - 1;

/**
 * Sets `flags` on a bottom half's word, pushes it on the enqueued list if it was not there,
 * and notifies its context (QEMU aio_bh_enqueue). Any thread. `slot` is the slot's number,
 * `chunk` the words of its chunk. Returns false if the bottom half was deleted (freed, or
 * the generation moved on).
 */
export function enqueueBh(state: SharedState, chunk: Int32Array, slot: number, gen: number, flags: number): boolean {
  const i = slot % SLOTS_PER_CHUNK;
  let old: number;
  for (;;) {
    old = Atomics.load(chunk, i);
    if ((old & ~FLAG_BITS) !== gen || old & BH_DELETED) return false;
    if (Atomics.compareExchange(chunk, i, old, old | BH_PENDING | flags) === old) break;
  }
  if (!(old & BH_PENDING)) {
    // We set PENDING, so we own the push: nobody else links this node until the home
    // thread dequeues it. The link is stored before the compare-exchange that publishes
    // the node (both seq_cst); pairs with takeEnqueued(), whose exchange of the head is
    // ordered before its loads of the links.
    // BH_ENQUEUED rises before the push and falls after the take, so it never
    // undercounts the list (the watchdog reads it as "work pending").
    const w = state.words;
    Atomics.add(w, W.BH_ENQUEUED, 1);
    for (;;) {
      const head = Atomics.load(w, W.BH_HEAD);
      Atomics.store(chunk, SLOTS_PER_CHUNK + i, head);
      if (Atomics.compareExchange(w, W.BH_HEAD, head, slot + 1) === head) break;
    }
  }
  Atomics.add(state.words, W.BH_SCHEDULES, 1);
  // The push is published before notify() stores NOTIFIED: a poller that misses the node
  // sees NOTIFIED (or is kicked), and its next round takes it.
  notify(state);
  return true;
}

/** The cloneable form of a BhRef: what crosses threads. */
export interface BhRefData {
  readonly kind: 'BhRef';
  /** The context's shared memory. */
  readonly ctx: SharedArrayBuffer;
  /** The chunk of the slot table that holds the slot. */
  readonly slots: SharedArrayBuffer;
  /** The slot's number. */
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
  #chunk: Int32Array;

  /** @internal use bh.ref() or BhRef.from() */
  constructor(data: BhRefData) {
    this.ctx = data.ctx;
    this.slots = data.slots;
    this.index = data.index;
    this.gen = data.gen;
    this.#state = new SharedState(data.ctx);
    this.#chunk = new Int32Array(data.slots);
  }

  /** Revives a BhRef from its structured-cloned form (workerData, postMessage). */
  static from(value: unknown): BhRef {
    if (value instanceof BhRef) return value;
    const d = value as BhRefData;
    if (
      typeof d !== 'object' ||
      d === null ||
      d.kind !== 'BhRef' ||
      !(d.slots instanceof SharedArrayBuffer) ||
      d.slots.byteLength !== CHUNK_WORDS * 4
    ) {
      throw invalidArgType('value', 'a value made by bh.ref()', value);
    }
    SharedState.check(d.ctx, 'value.ctx');
    if (!Number.isInteger(d.index) || d.index < 0 || d.index > MAX_SLOT) {
      throw outOfRange('value.index', `an integer >= 0 && <= ${MAX_SLOT}`, d.index);
    }
    if (!Number.isInteger(d.gen) || (d.gen & FLAG_BITS) !== 0 || d.gen !== (d.gen | 0)) {
      throw outOfRange('value.gen', 'a generation made by bh.ref()', d.gen);
    }
    return new BhRef(d);
  }

  /** qemu_bh_schedule() from any thread. Throws ERR_AIO_CLOSED once the bottom half is deleted. */
  schedule(): void {
    throwIfClosed(this.#state, 'AioContext');
    if (!enqueueBh(this.#state, this.#chunk, this.index, this.gen, BH_SCHEDULED)) throw closedError('Bottom half');
  }
}

/** A bottom half, on its home thread. */
export class Bh {
  readonly #table: BhTable;
  readonly #cb: () => void;
  readonly #slot: number;
  readonly #gen: number;
  readonly #chunk: Int32Array;

  /** @internal use ctx.bhNew() */
  constructor(table: BhTable, cb: () => void, slot: number, gen: number, chunk: Int32Array) {
    this.#table = table;
    this.#cb = cb;
    this.#slot = slot;
    this.#gen = gen;
    this.#chunk = chunk;
  }

  /** @internal */
  run(): void {
    this.#cb();
  }

  /** @internal aio_bh_dequeue(): see BhTable.dequeue(). */
  dequeue(): number {
    const old = Atomics.and(this.#chunk, this.#slot % SLOTS_PER_CHUNK, ~(BH_PENDING | BH_SCHEDULED | BH_IDLE));
    if ((old & ~FLAG_BITS) !== this.#gen || !(old & BH_PENDING)) return 0;
    return old;
  }

  /** @internal the flags word while this bottom half owns its slot, else 0. */
  flags(): number {
    const word = Atomics.load(this.#chunk, this.#slot % SLOTS_PER_CHUNK);
    return (word & ~FLAG_BITS) === this.#gen ? word : 0;
  }

  /** @internal frees the slot: its generation moves on (see BhTable.free()). */
  release(): number {
    return this.#table.free(this.#slot, this.#gen, this.#chunk);
  }

  #enqueue(flags: number): void {
    throwIfClosed(this.#table.state, 'AioContext');
    if (!enqueueBh(this.#table.state, this.#chunk, this.#slot, this.#gen, flags)) throw closedError('Bottom half');
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
    const i = this.#slot % SLOTS_PER_CHUNK;
    for (;;) {
      const old = Atomics.load(this.#chunk, i);
      if ((old & ~FLAG_BITS) !== this.#gen) return;
      if (Atomics.compareExchange(this.#chunk, i, old, old & ~BH_SCHEDULED) === old) return;
    }
  }

  /** qemu_bh_delete(): never runs again; freed by the next poll round (this notifies). */
  delete(): void {
    if (this.deleted) return;
    this.#enqueue(BH_DELETED);
  }

  get deleted(): boolean {
    const word = Atomics.load(this.#chunk, this.#slot % SLOTS_PER_CHUNK);
    return (word & ~FLAG_BITS) !== this.#gen || (word & BH_DELETED) !== 0;
  }

  /** A handle that schedules this bottom half from any thread. */
  ref(): BhRef {
    throwIfClosed(this.#table.state, 'AioContext');
    if (this.deleted) throw closedError('Bottom half');
    return new BhRef({
      kind: 'BhRef',
      ctx: this.#table.state.sab,
      slots: this.#chunk.buffer as SharedArrayBuffer,
      index: this.#slot,
      gen: this.#gen,
    });
  }
}

/** The bottom halves of one context and their slot table (home thread only). */
export class BhTable {
  readonly state: SharedState;
  readonly #chunks: Int32Array[] = [];
  /** The live bottom half of each slot number. */
  readonly #bySlot: Array<Bh | undefined> = [];
  /** Free slot numbers (retired ones never come back). */
  readonly #free: number[] = [];
  #live = 0;

  constructor(state: SharedState) {
    this.state = state;
  }

  /** Live bottom halves (created and not yet freed). */
  get size(): number {
    return this.#live;
  }

  create(cb: () => void, flags = 0): Bh {
    validateFunction(cb, 'cb');
    if (this.#free.length === 0) this.#grow();
    const slot = this.#free.pop()!;
    const chunk = this.#chunks[Math.floor(slot / SLOTS_PER_CHUNK)];
    const i = slot % SLOTS_PER_CHUNK;
    const gen = Atomics.load(chunk, i) & ~FLAG_BITS;
    Atomics.store(chunk, i, gen | flags);
    const bh = new Bh(this, cb, slot, gen, chunk);
    this.#bySlot[slot] = bh;
    this.#live++;
    return bh;
  }

  #grow(): void {
    const first = this.#chunks.length * SLOTS_PER_CHUNK;
    this.#chunks.push(new Int32Array(new SharedArrayBuffer(CHUNK_WORDS * 4)));
    for (let i = SLOTS_PER_CHUNK - 1; i >= 0; i--) this.#free.push(first + i);
  }

  /**
   * QEMU's QSLIST_MOVE_ATOMIC of bh_list: takes every bottom half enqueued since the last
   * call and writes them to into[0..n) in the order they were enqueued (overwriting; the
   * array only grows); returns n. They stay PENDING until dequeue() takes each one. The
   * caller reuses `into`, so a round of bottom halves allocates nothing.
   */
  takeEnqueued(into: Array<Bh | null>): number {
    const w = this.state.words;
    // Pairs with the push in enqueueBh(): the exchange takes the list, and every link we
    // load below was stored before the compare-exchange that made its node reachable.
    let link = Atomics.exchange(w, W.BH_HEAD, 0);
    if (link === 0) return 0;
    let n = 0;
    for (; link !== 0; link = this.#next(link - 1)) {
      const bh = this.#bySlot[link - 1]!;
      if (n < into.length) into[n] = bh;
      else into.push(bh);
      n++;
    }
    Atomics.sub(w, W.BH_ENQUEUED, n);
    // The list is newest first; run in the order of enqueueing.
    for (let a = 0, b = n - 1; a < b; a++, b--) {
      const t = into[a];
      into[a] = into[b];
      into[b] = t;
    }
    return n;
  }

  #next(slot: number): number {
    return Atomics.load(this.#chunks[Math.floor(slot / SLOTS_PER_CHUNK)], SLOTS_PER_CHUNK + (slot % SLOTS_PER_CHUNK));
  }

  /**
   * Frees the slot of a deleted or one-shot bottom half once the home thread has dequeued
   * it: its generation moves on, and it is reused unless its generations ran out.
   */
  free(slot: number, gen: number, chunk: Int32Array): number {
    if (this.#bySlot[slot] === undefined) return 0;
    this.#bySlot[slot] = undefined;
    this.#live--;
    const next = (gen + GEN_UNIT) & ~FLAG_BITS;
    if (next === 0) {
      // Every generation used: the slot retires with its last one, deleted for good, so
      // that no ref, of any generation, can ever schedule it again.
      Atomics.store(chunk, slot % SLOTS_PER_CHUNK, gen | BH_DELETED);
      return 1;
    }
    Atomics.store(chunk, slot % SLOTS_PER_CHUNK, next);
    this.#free.push(slot);
    return 1;
  }

  /**
   * aio_compute_timeout()'s bottom-half part over the enqueued list and the bottom halves
   * taken but not yet run (`slices`): 0 if one is scheduled, 10 ms if only idle ones are,
   * -1 otherwise. O(enqueued).
   */
  timeoutNs(slices: readonly { bhs: Array<Bh | null>; count: number; next: number }[]): number {
    let timeout = -1;
    // Walking the list while other threads push is safe: a push only changes the head and
    // its own node's link, and no node leaves the list but by takeEnqueued() on this thread.
    for (let link = Atomics.load(this.state.words, W.BH_HEAD); link !== 0; link = this.#next(link - 1)) {
      const t = bhTimeoutNs(this.#bySlot[link - 1]!.flags());
      if (t === 0) return 0;
      if (t > 0) timeout = t;
    }
    for (const s of slices) {
      for (let i = s.next; i < s.count; i++) {
        const t = bhTimeoutNs(s.bhs[i]!.flags());
        if (t === 0) return 0;
        if (t > 0) timeout = t;
      }
    }
    return timeout;
  }
}

/** One bottom half's part of the timeout: 0 scheduled, 10 ms idle, -1 nothing to run. */
function bhTimeoutNs(f: number): number {
  if ((f & (BH_PENDING | BH_SCHEDULED | BH_DELETED)) !== (BH_PENDING | BH_SCHEDULED)) return -1;
  // "non-idle bottom halves will be executed immediately"; "idle bottom halves will be
  // polled at least every 10ms"
  return f & BH_IDLE ? 10_000_000 : 0;
}
