// AioContextRef: what another thread holds of a context. It is its shared memory and
// nothing else, so it survives structured cloning (workerData, postMessage).
import { invalidArgType } from '../errors';
import { AioStats, disableExternal, enableExternal, notify, readStats, throwIfClosed } from './notify';
import { SharedState, W } from './shared-state';

/** The cloneable form of an AioContextRef. */
export interface AioContextRefData {
  readonly kind: 'AioContextRef';
  readonly sab: SharedArrayBuffer;
  readonly name: string;
}

export class AioContextRef implements AioContextRefData {
  readonly kind = 'AioContextRef' as const;
  /** The context's shared memory (layout: shared-state.ts). */
  readonly sab: SharedArrayBuffer;
  readonly name: string;
  #state: SharedState;

  /** @internal use ctx.ref() or AioContextRef.from() */
  constructor(data: AioContextRefData) {
    this.sab = data.sab;
    this.name = data.name;
    this.#state = new SharedState(data.sab);
  }

  /** Revives a ref from its structured-cloned form. */
  static from(value: unknown): AioContextRef {
    if (value instanceof AioContextRef) return value;
    const d = value as AioContextRefData;
    if (typeof d !== 'object' || d === null || d.kind !== 'AioContextRef') {
      throw invalidArgType('value', 'a value made by ctx.ref()', value);
    }
    SharedState.check(d.sab, 'value.sab');
    return new AioContextRef({ kind: 'AioContextRef', sab: d.sab, name: String(d.name) });
  }

  /** aio_notify() from any thread. */
  notify(): void {
    throwIfClosed(this.#state, 'AioContext');
    notify(this.#state);
  }

  disableExternal(): void {
    throwIfClosed(this.#state, 'AioContext');
    disableExternal(this.#state);
  }

  /** The last enable kicks the context so that it re-arms its external fds. */
  enableExternal(): void {
    throwIfClosed(this.#state, 'AioContext');
    enableExternal(this.#state);
  }

  get externalDisabled(): boolean {
    return this.#state.load(W.EXTERNAL_DISABLE_CNT) > 0;
  }

  /** A snapshot of the counters and live state; readable after close too. */
  get stats(): AioStats {
    return readStats(this.#state);
  }
}
