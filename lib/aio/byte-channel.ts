// A byte channel into an IOThread: a bounded multi-producer, single-consumer ring of byte
// messages in a SharedArrayBuffer. Producers on any thread copy a Uint8Array in; the
// IOThread reads each message in place from a bottom half, without allocating. A
// producer wakes the IOThread (BhRef.schedule(), so one coalesced notify()) only when the
// consumer has said it may be idle; a full ring makes send() wait (Atomics.waitAsync)
// until the consumer frees room.
//
// Layout: Int32 words HEAD (consumer position), TAIL (reserved by producers), ARMED,
// WAITERS, CLOSED, each on its own 64-byte line, then the ring. Positions are byte counts
// that wrap at 2^32; a record at (position & mask) is an Int32 header and the payload,
// padded to 4 bytes. Header 0: not yet written; len + 1: a message of len bytes; -1: pad
// to the end of the ring (the next record starts at 0). The consumer zeroes what it
// consumed before it moves HEAD, so a header slot reads 0 until its producer commits.
import { closedError, invalidArgType, outOfRange } from '../errors';
import { validateBytes, validateFunction, validateOptions } from '../validate';
import { Bh, BhRef, BhRefData } from './bottom-half';
import type { AioContext } from './context';

const HEAD = 0;
const TAIL = 16;
const ARMED = 32;
const WAITERS = 48;
const CLOSED = 64;
const HEADER_BYTES = 80 * 4;
const PAD = -1;

const MIN_CAPACITY = 64;
const MAX_CAPACITY = 2 ** 30;
export const DEFAULT_CAPACITY = 64 * 1024;
/** How long a blocked send() waits before it checks that the IOThread is still there. */
const PROBE_MS = 250;

export interface ByteChannelOptions {
  /** Ring size in bytes: a power of two, 64 .. 2^30 (default 64 KiB). A message may take half. */
  capacity?: number;
}

/** Called on the IOThread with each message: `bytes[offset .. offset + length)`, valid only during the call. */
export type ByteChannelReader = (bytes: Uint8Array, offset: number, length: number) => void;

/** The cloneable form of a producer. */
export interface ByteChannelProducerData {
  readonly kind: 'ByteChannelProducer';
  readonly sab: SharedArrayBuffer;
  readonly bh: BhRefData;
}

/** Channels whose consumer lives on this thread: an IOThread closes them when it ends. */
const open = new Set<ByteChannel>();

/** @internal closes every channel of this thread (IOThread teardown). */
export function closeThreadChannels(): void {
  for (const c of [...open]) c.close();
}

/** Atomics.waitAsync (ES2024; in every Node this package supports). */
type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, ms: number): WaitAsyncResult }).waitAsync;

/** The bytes of any TypedArray or DataView, as a Uint8Array (the same memory). */
function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const v = validateBytes(value, 'bytes');
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function maxMessage(capacity: number): number {
  return capacity / 2 - 4;
}

/** The consumer end, on the thread of `ctx` (an IOThread). */
export class ByteChannel {
  readonly capacity: number;
  readonly #sab: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #mask: number;
  readonly #read: ByteChannelReader;
  readonly #bh: Bh;
  #head = 0;
  #closed = false;

  constructor(ctx: AioContext, options: ByteChannelOptions | undefined, read: ByteChannelReader) {
    const o = validateOptions<ByteChannelOptions>(options);
    const capacity = o.capacity ?? DEFAULT_CAPACITY;
    if (typeof capacity !== 'number') throw invalidArgType('options.capacity', 'of type number', capacity);
    if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw outOfRange('options.capacity', `a power of two >= ${MIN_CAPACITY} && <= ${MAX_CAPACITY}`, capacity);
    }
    this.#read = validateFunction<ByteChannelReader>(read, 'read');
    this.capacity = capacity;
    this.#mask = capacity - 1;
    this.#sab = new SharedArrayBuffer(HEADER_BYTES + capacity);
    this.#words = new Int32Array(this.#sab);
    this.#bytes = new Uint8Array(this.#sab);
    Atomics.store(this.#words, ARMED, 1);
    this.#bh = ctx.bhNew(() => this.drain());
    open.add(this);
  }

  /** A producer for any thread (structured-cloneable; IOThread revives it in setupResult). */
  producer(): ByteChannelProducer {
    if (this.#closed) throw closedError('ByteChannel');
    return new ByteChannelProducer({ kind: 'ByteChannelProducer', sab: this.#sab, bh: this.#bh.ref() });
  }

  /**
   * Reads every message committed so far, in order, and returns how many. The channel's
   * bottom half calls this; calling it directly (e.g. from a poll loop) is fine too.
   */
  drain(): number {
    const w = this.#words;
    const bytes = this.#bytes;
    let n = 0;
    for (;;) {
      for (;;) {
        const pos = this.#head & this.#mask;
        const at = HEADER_BYTES + pos;
        const header = Atomics.load(w, at >> 2);
        if (header === 0) break;
        let size: number;
        if (header === PAD) {
          size = this.capacity - pos;
          Atomics.store(w, at >> 2, 0);
        } else {
          const length = header - 1;
          size = 4 + ((length + 3) & ~3);
          if (this.#closed) return n;
          this.#read(bytes, at + 4, length);
          n++;
          // Zeroed before HEAD moves past it: only then may a producer reserve this room.
          bytes.fill(0, at + 4, at + size);
          Atomics.store(w, at >> 2, 0);
        }
        this.#head = (this.#head + size) | 0;
        // Publishes the zeroed room (seq_cst store after plain writes: a producer that loads
        // this HEAD sees the zeros). Pairs with send(): it raises WAITERS, then compares HEAD
        // in waitAsync; we store HEAD, then load WAITERS: one of us sees the other.
        Atomics.store(w, HEAD, this.#head);
        if (Atomics.load(w, WAITERS) !== 0) Atomics.notify(w, HEAD);
      }
      // Maybe idle: ask the next producer for a wake-up, then look once more. Pairs with
      // trySend(): it stores the header, then loads ARMED; we store ARMED, then load the
      // header (both seq_cst): either we see its message here or it sees ARMED and
      // schedules our bottom half.
      Atomics.store(w, ARMED, 1);
      if (Atomics.load(w, (HEADER_BYTES + (this.#head & this.#mask)) >> 2) === 0) return n;
      Atomics.store(w, ARMED, 0);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Producers' sends throw ERR_AIO_CLOSED from now on; blocked ones reject. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    open.delete(this);
    Atomics.store(this.#words, CLOSED, 1);
    Atomics.notify(this.#words, HEAD);
    if (!this.#bh.deleted) {
      try {
        this.#bh.delete();
      } catch {
        // The context closed first: its bottom halves went with it.
      }
    }
  }
}

/** The producing end: any thread, several at once. */
export class ByteChannelProducer implements ByteChannelProducerData {
  readonly kind = 'ByteChannelProducer' as const;
  readonly sab: SharedArrayBuffer;
  readonly bh: BhRef;
  /** The largest message, in bytes. */
  readonly maxMessage: number;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #capacity: number;
  /** The last send() still waiting for room: later sends queue behind it (FIFO). */
  #queued: Promise<void> | null = null;

  /** @internal use channel.producer() or ByteChannelProducer.from() */
  constructor(data: ByteChannelProducerData) {
    this.sab = data.sab;
    this.bh = BhRef.from(data.bh);
    this.#words = new Int32Array(data.sab);
    this.#bytes = new Uint8Array(data.sab);
    this.#capacity = data.sab.byteLength - HEADER_BYTES;
    this.maxMessage = maxMessage(this.#capacity);
  }

  static from(value: unknown): ByteChannelProducer {
    if (value instanceof ByteChannelProducer) return value;
    const d = value as ByteChannelProducerData;
    if (typeof d !== 'object' || d === null || d.kind !== 'ByteChannelProducer' || !(d.sab instanceof SharedArrayBuffer)) {
      throw invalidArgType('value', 'a value made by channel.producer()', value);
    }
    return new ByteChannelProducer(d);
  }

  get closed(): boolean {
    return Atomics.load(this.#words, CLOSED) !== 0;
  }

  #checkOpen(): void {
    if (Atomics.load(this.#words, CLOSED) !== 0) throw closedError('ByteChannel');
  }

  /** Wakes the consumer; its context closed means the channel is gone. */
  #schedule(): void {
    try {
      this.bh.schedule();
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_AIO_CLOSED') throw err;
      Atomics.store(this.#words, CLOSED, 1);
      throw closedError('ByteChannel');
    }
  }

  /**
   * Copies `bytes` into the channel if there is room now; false if it is full (or earlier
   * send()s of this producer still wait). Throws ERR_AIO_CLOSED once the channel closed.
   */
  trySend(bytes: ArrayBufferView): boolean {
    const src = asBytes(bytes);
    this.#checkOpen();
    if (this.#queued) return false;
    return this.#put(src);
  }

  #checkSize(src: Uint8Array): void {
    if (src.byteLength > this.maxMessage) throw outOfRange('bytes.byteLength', `<= ${this.maxMessage}`, src.byteLength);
  }

  #put(src: Uint8Array): boolean {
    this.#checkSize(src);
    const length = src.byteLength;
    const w = this.#words;
    const cap = this.#capacity;
    const need = 4 + ((length + 3) & ~3);
    let tail: number;
    let pos: number;
    let total: number;
    for (;;) {
      tail = Atomics.load(w, TAIL);
      const used = (tail - Atomics.load(w, HEAD)) | 0;
      pos = tail & (cap - 1);
      total = need <= cap - pos ? need : cap - pos + need;
      if (used + total > cap) return false;
      // Reserves [tail, tail + total): the room below HEAD + cap that no one else holds.
      if (Atomics.compareExchange(w, TAIL, tail, (tail + total) | 0) === tail) break;
    }
    let at = HEADER_BYTES + pos;
    if (total !== need) {
      Atomics.store(w, at >> 2, PAD);
      at = HEADER_BYTES;
    }
    this.#bytes.set(src, at + 4);
    // Commit: the seq_cst store publishes the payload written before it (see drain()).
    Atomics.store(w, at >> 2, length + 1);
    if (Atomics.load(w, ARMED) !== 0 && Atomics.exchange(w, ARMED, 0) !== 0) this.#schedule();
    return true;
  }

  /**
   * Copies `bytes` into the channel, waiting while it is full; resolves once they are in.
   * Sends of one producer keep their order. `bytes` is read when it goes in: do not change
   * it before the promise resolves. Rejects with ERR_AIO_CLOSED if the channel closes.
   */
  send(bytes: ArrayBufferView): Promise<void> {
    let src: Uint8Array;
    try {
      src = asBytes(bytes);
      if (this.trySend(src)) return Promise.resolve();
      this.#checkSize(src);
    } catch (err) {
      return Promise.reject(err);
    }
    const prev = this.#queued;
    const mine: Promise<void> = (prev ? prev.catch(() => {}) : Promise.resolve()).then(() => this.#wait(src));
    this.#queued = mine;
    const clear = (): void => {
      if (this.#queued === mine) this.#queued = null;
    };
    mine.then(clear, clear);
    return mine;
  }

  async #wait(src: Uint8Array): Promise<void> {
    const w = this.#words;
    // Pairs with drain(): WAITERS rises before we compare HEAD (see there).
    Atomics.add(w, WAITERS, 1);
    // A pending Atomics.waitAsync() does not keep the event loop alive: this timer does.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      for (;;) {
        this.#checkOpen();
        const head = Atomics.load(w, HEAD);
        if (this.#put(src)) return;
        const r = waitAsync(w, HEAD, head, PROBE_MS);
        if (r.async && (await r.value) === 'timed-out') {
          // Still full after a while: make sure the consumer is awake, and still there.
          this.#schedule();
        }
      }
    } finally {
      clearInterval(keepAlive);
      Atomics.sub(w, WAITERS, 1);
    }
  }
}
