// StallMonitor: classifies a context's shared state, keeping the little history a single
// snapshot lacks: how many kicks went out during the current sleep, and how long work has
// been pending in it. A sampled stall is only reported once the work has been pending for
// the stall threshold within the same sleep: between publishing work (a bottom half's
// flags, BH_ENQUEUED) and issuing its kick, a notifier holds for a few microseconds, or
// far longer when it is preempted, a state that looks exactly like a lost wake-up to a
// single sample. A lost wake-up persists; that window does not.
import { SharedState, T } from '../aio/shared-state';
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
  #pendingSleep = -1n;
  #pendingSince = 0n;

  constructor(source: MonitorSource, stallMs: number) {
    this.source = source;
    this.stallNs = BigInt(Math.round(stallMs * 1e6));
  }

  /** One snapshot, classified as it stands (no history of pending work). */
  classifyNow(atNs: bigint = process.hrtime.bigint()): StallReport {
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

  /** A sample for a periodic watcher: stalls only once their work has been pending for the threshold. */
  check(atNs: bigint = process.hrtime.bigint()): StallReport {
    const report = this.classifyNow(atNs);
    const sleep = this.source.state.time(T.SLEEP_START_NS);
    if (report.pending.length === 0 || report.cause === 'running' || report.cause === 'closed') {
      this.#pendingSleep = -1n;
      return report;
    }
    if (this.#pendingSleep !== sleep) {
      this.#pendingSleep = sleep;
      this.#pendingSince = atNs;
    }
    const pendingNs = atNs - this.#pendingSince;
    if (report.verdict !== 'ok' && report.cause !== 'timeout-overdue' && pendingNs < this.stallNs) {
      return {
        ...report,
        verdict: 'ok',
        cause: 'sleeping',
        explanation: `work seen pending for ${(Number(pendingNs) / 1e6).toFixed(0)} ms, less than the stall threshold`,
      };
    }
    return report;
  }
}
