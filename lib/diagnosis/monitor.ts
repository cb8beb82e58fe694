// StallMonitor: classifies a context's shared state on demand, keeping the little history
// a single snapshot lacks (how many kicks went out during the current sleep). The
// HangWatchdog and the replay orchestrator both sample through it.
import { SharedState } from '../aio/shared-state';
import { classify, ContextSnapshot, readSnapshot, StallProbe, StallReport } from './stall';

export interface MonitorSource {
  state: SharedState;
  /** Facts beside the shared state; kicksSincePollStart null lets the monitor track it. */
  probe(snapshot: ContextSnapshot): StallProbe;
}

export class StallMonitor {
  readonly source: MonitorSource;
  readonly stallNs: bigint;
  #sleepStart = 0n;
  #kicksAtFirstSight = 0;

  constructor(source: MonitorSource, stallMs: number) {
    this.source = source;
    this.stallNs = BigInt(Math.round(stallMs * 1e6));
  }

  /** One snapshot, classified. */
  check(atNs: bigint = process.hrtime.bigint()): StallReport {
    const snapshot = readSnapshot(this.source.state, atNs);
    const probe = this.source.probe(snapshot);
    if (probe.kicksSincePollStart === null && snapshot.polling === 1) {
      // Kicks since we first saw this sleep: a lower bound of the kicks since it began.
      if (snapshot.sleepStartNs !== this.#sleepStart) {
        this.#sleepStart = snapshot.sleepStartNs;
        this.#kicksAtFirstSight = snapshot.counters.kicks;
      }
      const seen = (snapshot.counters.kicks - this.#kicksAtFirstSight) >>> 0;
      const before = snapshot.lastKickNs >= snapshot.sleepStartNs && snapshot.lastKickNs > 0n ? 1 : 0;
      probe.kicksSincePollStart = Math.max(seen, before);
    }
    return classify(snapshot, probe, this.stallNs);
  }
}
