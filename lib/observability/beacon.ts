// State beacons (native/core/beacon.cc): an empty memfd whose name tells `aio-notify inspect`
// where a context's shared state lives in this process, so that another process can read
// it through /proc/<pid>/mem without signalling, stopping or waking this one.
//
//   /proc/<pid>/fd/<n> -> "/memfd:aio-notify:v1:<kind>:<hex address>:<bytes>:<label> (deleted)"
import { close } from '../sys/fd';
import { addressOf, memfdCreate } from '../sys/memfd';
import { closedError, invalidArgType } from '../errors';

export const BEACON_PREFIX = 'aio-notify:v1:';

/** 'context': a SharedState block (lib/aio/shared-state); 'replay': a ReplayMemory block. */
export type BeaconKind = 'context' | 'replay';

export interface BeaconInfo {
  kind: BeaconKind;
  address: bigint;
  length: number;
  label: string;
}

export function beaconName(info: BeaconInfo): string {
  const label = info.label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  return `${BEACON_PREFIX}${info.kind}:${info.address.toString(16)}:${info.length}:${label}`;
}

/** Parses the target of a /proc/<pid>/fd link; null if it is not a beacon. */
export function parseBeaconLink(link: string): BeaconInfo | null {
  const m = /^\/memfd:aio-notify:v1:(context|replay):([0-9a-f]+):(\d+):([^ ]*)/.exec(link);
  if (!m) return null;
  return { kind: m[1] as BeaconKind, address: BigInt(`0x${m[2]}`), length: Number(m[3]), label: m[4] };
}

export class Beacon {
  readonly info: BeaconInfo;
  #fd: number;

  /** Publishes the bytes of `view` (over a SharedArrayBuffer) under `kind` and `label`. */
  constructor(kind: BeaconKind, view: ArrayBufferView, label: string) {
    if (!(view.buffer instanceof SharedArrayBuffer)) {
      throw invalidArgType('view', 'a view of a SharedArrayBuffer', view);
    }
    this.info = { kind, address: addressOf(view), length: view.byteLength, label };
    this.#fd = memfdCreate(beaconName(this.info));
  }

  get fd(): number {
    if (this.#fd < 0) throw closedError('Beacon');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Retracts the beacon. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    close(this.#fd);
    this.#fd = -1;
  }
}
