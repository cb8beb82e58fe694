// aio-notify contexts inside the inspected process, found through their state beacons
// (lib/observability/beacon.ts) and classified with the same stall classifier the in-process
// HangWatchdog uses: their shared memory is read through /proc/<pid>/mem, the readiness of
// their fds through fdinfo and pidfd_getfd.
import { SharedState, SHARED_BYTES } from '../../aio/shared-state';
import { BeaconInfo, parseBeaconLink } from '../../observability/beacon';
import { R, REPLAY_BYTES, ReplayMemory } from '../replays/memory';
import { findScenario } from '../replays/scenarios';
import { classify, readSnapshot, StallProbe, StallReport } from '../../observability/stall';
import { FdEntry } from './procfs';
import { RemoteMemory } from './remote-memory';

export interface ContextView {
  kind: BeaconInfo['kind'];
  label: string;
  /** Address of its shared memory in the target (hex). */
  address: string;
  beaconFd: number;
  homeTid: number;
  eventfd: number;
  /** False when the beacon's memory did not look like a live context (see note). */
  valid: boolean;
  note: string | null;
  report: StallReport | null;
  /** Handler fds of the context that are ready, enabled and missing from its polled set. */
  unwatchedHandlers: number[];
}

/** Readiness of one of the target's fds (POLLIN for eventfds from their count). */
export type FdReadiness = (fd: number, events: number) => boolean | null;

export function readContexts(
  fds: FdEntry[],
  tids: number[],
  mem: RemoteMemory | null,
  ready: FdReadiness,
  stallMs: number,
): ContextView[] {
  const out: ContextView[] = [];
  const eventfds = new Set(fds.filter((f) => f.kind === 'eventfd').map((f) => f.fd));
  for (const f of fds) {
    const info = f.kind === 'memfd' ? parseBeaconLink(f.link) : null;
    if (!info) continue;
    const view: ContextView = {
      kind: info.kind,
      label: info.label,
      address: `0x${info.address.toString(16)}`,
      beaconFd: f.fd,
      homeTid: 0,
      eventfd: -1,
      valid: false,
      note: null,
      report: null,
      unwatchedHandlers: [],
    };
    out.push(view);
    if (!mem) {
      view.note = 'process memory is not readable';
      continue;
    }
    const expected = info.kind === 'replay' ? REPLAY_BYTES : SHARED_BYTES;
    if (info.length < expected) {
      view.note = `beacon covers ${info.length} bytes, a ${info.kind} needs ${expected}`;
      continue;
    }
    let sab: SharedArrayBuffer;
    try {
      sab = new SharedArrayBuffer(expected);
      new Uint8Array(sab).set(mem.read(info.address, expected));
    } catch (error) {
      view.note = `could not read its memory: ${(error as Error).message}`;
      continue;
    }
    const replay = info.kind === 'replay' ? new ReplayMemory(sab) : null;
    const state = replay ? replay.state : new SharedState(sab);
    const snapshot = readSnapshot(state, process.hrtime.bigint());
    view.homeTid = snapshot.homeTid;
    view.eventfd = snapshot.eventfd;
    if (!snapshot.closed && (!tids.includes(snapshot.homeTid) || !eventfds.has(snapshot.eventfd))) {
      view.note = `home thread ${snapshot.homeTid} or eventfd ${snapshot.eventfd} not found in the process: stale beacon?`;
      continue;
    }
    view.valid = true;
    const watched = new Set(snapshot.watched.map((w) => w.fd));
    const probe: StallProbe = {
      eventfdReadable: ready(snapshot.eventfd, 1),
      readyWatched: snapshot.watched.filter((w) => w.fd !== snapshot.eventfd && ready(w.fd, w.events) === true).map((w) => w.fd),
      readyUnwatched: [],
      appPending: [],
      kicksSincePollStart: null,
    };
    if (replay) {
      const device = replay.get(R.DEVICE_FD);
      if (device >= 0 && !watched.has(device) && snapshot.externalDisableCnt === 0 && ready(device, 1) === true) {
        probe.readyUnwatched.push(device);
      }
      probe.appPending = findScenario(info.label.split('.')[0])?.appPending?.(replay) ?? [];
      probe.kicksSincePollStart = replay.get(R.IN_POLL)
        ? (snapshot.counters.kicks - replay.get(R.KICKS_AT_POLL_START)) >>> 0
        : null;
    }
    view.unwatchedHandlers = probe.readyUnwatched;
    view.report = classify(snapshot, probe, BigInt(Math.round(stallMs * 1e6)));
  }
  return out;
}

/** External clients are disabled in some context (an unwatched external fd is then expected). */
export function anyExternalDisabled(contexts: ContextView[]): boolean {
  return contexts.some((c) => c.valid && c.report !== null && c.report.dump.externalDisableCnt > 0);
}
