// The rules `inspect` judges its samples by (docs/diagnosis.md, "Rules"). Each finding says
// what was observed and for how long, gives the verdict of the doctor and the watchdog
// (lost: nothing will wake the sleeper; late: a wake-up is on its way to a thread that does
// not run; benign), and lists candidate causes. A condition counts only when it holds in
// every sample of a run that ends at the last sample and spans the stall threshold: between
// a waker's store and its wake-up a healthy program shows the same picture for a moment.
import { anyExternalDisabled, ContextView } from './contexts';
import { Finding, FindingVerdict, FdView, Sample, ThreadView } from './report';
import { ProgramKind } from './roles';
import { isStopped, pollsFds, Timeout } from './threads';

export interface JudgeContext {
  pid: number;
  stallMs: number;
  program: ProgramKind;
}

interface Run<T> {
  /** Index of the run's first sample. */
  from: number;
  spanMs: number;
  values: T[];
}

/** The samples at the end in which `test` gives a value, with their span; null if the last gives none. */
function trailing<T>(samples: Sample[], test: (s: Sample) => T | null): Run<T> | null {
  const values: T[] = [];
  let i = samples.length - 1;
  for (; i >= 0; i--) {
    const v = test(samples[i]);
    if (v === null) break;
    values.unshift(v);
  }
  if (values.length === 0) return null;
  return { from: i + 1, spanMs: samples[samples.length - 1].atMs - samples[i + 1].atMs, values };
}

const SEVERITY: Record<FindingVerdict, Finding['severity']> = { lost: 'error', late: 'warning', benign: 'info' };

function finding(verdict: FindingVerdict, f: Omit<Finding, 'severity' | 'verdict'>): Finding {
  return { severity: SEVERITY[verdict], verdict, ...f };
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function who(t: ThreadView): string {
  return `thread ${t.tid} (${t.comm}${t.role ? `, ${t.role}` : ''})`;
}

function stateWords(t: ThreadView): string {
  if (t.state === 'T') return 'stopped (T)';
  if (t.state === 't') return 'held by a tracer (t)';
  return `asleep (${t.state})`;
}

export function describeTimeout(t: Timeout | null): string {
  if (!t) return 'an unknown timeout';
  if (t.infinite) return 'no timeout';
  if (t.ns === null) return 'a deadline';
  if (t.leftAfterStop) return `${fmtMs(t.ns / 1e6)} of its timeout left when the stop interrupted it`;
  if (t.absolute) return t.ns >= 0 ? `a deadline in ${fmtMs(t.ns / 1e6)}` : `a deadline ${fmtMs(-t.ns / 1e6)} ago`;
  return `a ${fmtMs(t.ns / 1e6)} timeout`;
}

const STOPPED_CAUSES = {
  T: 'the thread was stopped (SIGSTOP, SIGTSTP, job control): the wake-up takes effect when it gets SIGCONT',
  t: 'a debugger or tracer holds the thread: the wake-up takes effect when the tracer lets it run',
};

function stoppedCauses(t: ThreadView): string[] {
  return [t.state === 't' ? STOPPED_CAUSES.t : STOPPED_CAUSES.T];
}

const POLLIN = 0x1;

/** A parked poller with a watched fd ready in every sample of the run. */
function readyNotWoken(samples: Sample[], c: JudgeContext): Finding[] {
  const out: Finding[] = [];
  for (const t of samples[samples.length - 1].threads) {
    if (t.status !== 'syscall' || t.state === 'R' || t.state === 'Z' || !pollsFds(t.kind)) continue;
    const run = trailing(samples, (s) => {
      const x = s.threads.find((y) => y.tid === t.tid);
      if (!x || x.line !== t.line || x.state === 'R') return null;
      const ready = new Set(x.watched.filter((w) => w.ready === true).map((w) => w.fd));
      return ready.size ? ready : null;
    });
    if (!run || run.spanMs < c.stallMs) continue;
    const fds = t.watched.filter((w) => run.values.every((set) => set.has(w.fd)));
    // Edge-triggered registrations report readiness only on a change: a ready fd whose
    // edge was taken is the program's to drain (or its lost edge); writability is normal.
    const level = fds.filter((w) => !w.edgeTriggered);
    const edge = fds.filter((w) => w.edgeTriggered && (w.events & POLLIN) !== 0);
    const list = (ws: typeof fds): string =>
      ws.map((w) => `fd ${w.fd} (${w.kind}${w.eventfdCount !== null ? ` count ${w.eventfdCount}` : ''}${w.via !== null ? ` via epoll ${w.via}` : ''})`).join(', ');
    const observed = `${who(t)} is ${stateWords(t)} in ${t.syscall} with ${describeTimeout(t.timeout)} while `;
    if (level.length) {
      const are = level.length > 1 ? 'are' : 'is';
      if (isStopped(t.state)) {
        out.push(
          finding('late', {
            kind: 'ready-not-woken',
            tid: t.tid,
            fd: level[0].fd,
            message: `${observed}${list(level)} ${are} ready, in every sample over ${fmtMs(run.spanMs)}: a wake-up in flight to a thread that does not run`,
            causes: stoppedCauses(t),
          }),
        );
      } else {
        const viaEpoll = level.some((w) => w.via !== null);
        out.push(
          finding('lost', {
            kind: 'ready-not-woken',
            tid: t.tid,
            fd: level[0].fd,
            message: `${observed}${list(level)} ${are} ready, in every sample over ${fmtMs(run.spanMs)}: the kernel wakes a poller when a watched fd becomes ready, and this one has not woken`,
            causes: [
              ...(viaEpoll ? ['another thread waiting on the same epoll set took the event and has not handled it'] : []),
              'a driver whose poll support misses the wake-up of this fd',
            ],
          }),
        );
      }
    } else if (edge.length) {
      out.push(
        finding('benign', {
          kind: 'ready-not-woken',
          tid: t.tid,
          fd: edge[0].fd,
          message: `${observed}edge-triggered ${list(edge)} ${edge.length > 1 ? 'have' : 'has'} input pending over ${fmtMs(run.spanMs)}: no new edge will wake it`,
          causes: ['the program has not drained it yet, by choice (flow control)', 'a lost edge, if it meant to read everything when the last edge came'],
        }),
      );
    }
  }
  return out;
}

/** A futex sleeper whose word no longer holds the value it went to sleep on. */
function futexNotWoken(samples: Sample[], c: JudgeContext): Finding[] {
  const out: Finding[] = [];
  for (const t of samples[samples.length - 1].threads) {
    if (!t.futex || t.futex.op === 'other' || t.status !== 'syscall' || t.state === 'R' || t.state === 'Z') continue;
    const run = trailing(samples, (s) => {
      const x = s.threads.find((y) => y.tid === t.tid);
      if (!x || x.line !== t.line || x.state === 'R' || !x.futex) return null;
      const changed = x.futex.words.filter((w) => w.current !== null && w.current !== w.expected);
      return changed.length ? changed : null;
    });
    if (!run || run.spanMs < c.stallMs) continue;
    const w = run.values[run.values.length - 1][0];
    const current = w.current!;
    const observed =
      `${who(t)} is ${stateWords(t)} in ${t.futex.op}${w.shared ? '' : ' (private)'} on ${w.address}: it went to sleep on the value ${w.expected}, ` +
      `the word holds ${current}, in every sample over ${fmtMs(run.spanMs)}`;
    const base = { kind: 'futex-not-woken' as const, tid: t.tid, futex: { address: w.address, expected: w.expected, current } };
    if (isStopped(t.state)) {
      out.push(finding('late', { ...base, message: `${observed}: it sees the change when it runs again`, causes: stoppedCauses(t) }));
    } else {
      out.push(
        finding('lost', {
          ...base,
          message: `${observed}: whoever changed the word owes it a FUTEX_WAKE, and none reached it`,
          causes: [
            'a waker that stores the word and skips FUTEX_WAKE, or wakes fewer sleepers than it released',
            'a wake sent to another address, or private to a shared futex (FUTEX_PRIVATE_FLAG on one side only)',
            'a waker that was killed or stopped between its store and its wake',
            'not a loss: a FUTEX_CMP_REQUEUE moved it to another word, which /proc does not show (musl condition variables, glibc before 2.25)',
          ],
        }),
      );
    }
  }
  return out;
}

function unwatched(v: FdView | undefined): boolean {
  return v !== undefined && v.watchedBy.length === 0 && v.inEpoll.length === 0;
}

/** An eventfd with a pending count that no thread polls and no epoll set holds. */
function unwatchedEventfds(samples: Sample[], c: JudgeContext): Finding[] {
  const out: Finding[] = [];
  const last = samples[samples.length - 1];
  const drained = anyExternalDisabled(last.contexts);
  const allStopped = last.threads.length > 0 && last.threads.every((t) => isStopped(t.state));
  for (const f of last.fds) {
    if (f.kind !== 'eventfd') continue;
    const run = trailing(samples, (s) => {
      const v = s.fds.find((x) => x.fd === f.fd);
      return v && v.kind === 'eventfd' && v.eventfdCount !== null && v.eventfdCount !== '0' && unwatched(v) ? BigInt(v.eventfdCount) : null;
    });
    if (!run || run.spanMs < c.stallMs) continue;
    const owner = last.contexts.find((x) => x.valid && x.eventfd === f.fd);
    if (owner && owner.report?.cause === 'running') continue; // its home thread is busy, not parked
    // Evidence that someone should be polling it.
    let droppedAt = -1;
    for (let i = run.from - 1; i >= 0 && droppedAt < 0; i--) {
      const v = samples[i].fds.find((x) => x.fd === f.fd);
      if (v && !unwatched(v)) droppedAt = i;
    }
    const counts = run.values;
    const grew = counts.some((n, i) => i > 0 && n > counts[i - 1]) && counts.every((n, i) => i === 0 || n >= counts[i - 1]);
    const claimant: ContextView | undefined = last.contexts.find((x) => x.valid && x.unwatchedHandlers.includes(f.fd));
    const count = `eventfd ${f.fd} holds ${f.eventfdCount}`;
    const nobody = `no thread polls it and no epoll set holds it`;
    let evidence: string | null = null;
    if (droppedAt >= 0) {
      const before = samples[droppedAt].fds.find((x) => x.fd === f.fd)!;
      const pollers = before.watchedBy.map((tid) => samples[droppedAt].threads.find((t) => t.tid === tid)).filter((t): t is ThreadView => !!t);
      const by = pollers.length ? pollers.map(who).join(', ') : `epoll ${before.inEpoll.join(', ')}`;
      evidence =
        `${by} polled it until ${fmtMs(samples[droppedAt].atMs - samples[0].atMs)} into the sampling; ` +
        `for the last ${fmtMs(run.spanMs)} ${nobody}, while its count stayed above 0`;
    } else if (grew) {
      evidence = `its count grew from ${counts[0]} to ${counts[counts.length - 1]} over ${fmtMs(run.spanMs)} while ${nobody}: someone keeps kicking it and nobody reads it`;
    } else if (claimant) {
      evidence = `it is a ready handler fd of ${claimant.kind} "${claimant.label}", missing from the set its home thread ${claimant.homeTid} polls, over ${fmtMs(run.spanMs)}`;
    }
    if (evidence === null) {
      const hint = c.program.glib
        ? ['the wake-up eventfd of a GLib GMainContext that nobody iterates' + (c.program.qemu ? ' (each QEMU IOThread has one; the IOThread runs aio_poll, not its GMainContext)' : '')]
        : [];
      out.push(
        finding('benign', {
          kind: 'unwatched-eventfd',
          fd: f.fd,
          message:
            `${count}, unchanged over ${fmtMs(run.spanMs)}, and no thread polled it while sampling: an idle wake-up fd. ` +
            `It would be a lost wake-up if its count grew or a poller dropped it (sample longer with --watch)`,
          causes: [...hint, 'the wake-up fd of a loop that is not running now, or of one that reads it only when it runs'],
        }),
      );
      continue;
    }
    const causes = [
      `a drained section that never ended: device fds stay out of an IOThread's set while external clients are disabled (aio_disable_external, bdrv_drained_begin), and a drain that waits for a request that never completes never lets them back${drained ? ' (a context here has external clients disabled now)' : ''}`,
      'a re-arm kick that never came: a handler was re-enabled and nobody notified the sleeping poller to rebuild its set (as QEMU 321d1dba8b fixed in aio_enable_external)',
      'a loop nobody iterates any more (its thread exited or is busy elsewhere)',
    ];
    // A drain is what takes device fds out of a QEMU IOThread's set; elsewhere, without a
    // context showing one, the missing kick comes first.
    if (!drained && !c.program.qemu) causes.push(causes.shift()!);
    out.push(
      finding(allStopped ? 'late' : 'lost', {
        kind: 'unwatched-eventfd',
        fd: f.fd,
        message: `${count} pending wake-up(s) that nobody reads: ${evidence}`,
        causes: allStopped ? ['every thread of the process is stopped: nothing polls until it runs again', ...causes] : causes,
      }),
    );
  }
  return out;
}

/** aio-notify contexts (state beacons) asleep with work pending, in every sample. */
function contextStalls(samples: Sample[]): Finding[] {
  const out: Finding[] = [];
  for (const x of samples[samples.length - 1].contexts) {
    const r = x.report;
    if (!x.valid || !r || r.verdict === 'ok') continue;
    if (!samples.every((s) => s.contexts.some((y) => y.beaconFd === x.beaconFd && y.report?.verdict === r.verdict))) continue;
    out.push(
      finding(r.verdict, {
        kind: r.verdict === 'lost' ? 'context-lost' : 'context-late',
        tid: x.homeTid,
        fd: x.eventfd,
        message:
          `${x.kind} "${x.label}": home thread ${x.homeTid} asleep ${r.asleepMs.toFixed(0)} ms with ` +
          `${r.pending.map((p) => p.detail).join('; ')}: ${r.verdict.toUpperCase()} wake-up (${r.cause})`,
        causes: [r.explanation],
      }),
    );
  }
  return out;
}

/** Stopped, traced and exited threads, said plainly. */
function threadStates(samples: Sample[], c: JudgeContext): Finding[] {
  const out: Finding[] = [];
  const last = samples[samples.length - 1];
  const stopped = last.threads.filter((t) => isStopped(t.state));
  if (stopped.length) {
    const traced = stopped.filter((t) => t.state === 't').length;
    out.push(
      finding('benign', {
        kind: 'stopped',
        tid: stopped[0].tid,
        message:
          `${stopped.length} of ${last.threads.length} threads are stopped` +
          `${traced ? ` (${traced} by a tracer)` : ''}: what they wait for is late, not lost, until they run again`,
        causes: traced ? [STOPPED_CAUSES.t, STOPPED_CAUSES.T] : [STOPPED_CAUSES.T],
      }),
    );
  }
  for (const t of last.threads.filter((x) => x.state === 'Z' || x.state === 'X')) {
    out.push(
      finding('benign', {
        kind: 'exited',
        tid: t.tid,
        message:
          t.tid === c.pid
            ? `the main thread ${t.tid} (${t.comm}) has exited (pthread_exit); the process lives on in its other threads`
            : `${who(t)} has exited and is not yet reaped`,
        causes: [],
      }),
    );
  }
  const now = new Set(last.threads.map((t) => t.tid));
  const gone = new Map<number, ThreadView>();
  for (const s of samples) for (const t of s.threads) if (!now.has(t.tid)) gone.set(t.tid, t);
  for (const t of gone.values()) {
    out.push(finding('benign', { kind: 'exited', tid: t.tid, message: `${who(t)} exited during the sampling`, causes: [] }));
  }
  return out;
}

/** Every rule over the samples, lost first. */
export function judge(samples: Sample[], c: JudgeContext): Finding[] {
  const all = [
    ...unwatchedEventfds(samples, c),
    ...readyNotWoken(samples, c),
    ...futexNotWoken(samples, c),
    ...contextStalls(samples),
    ...threadStates(samples, c),
  ];
  const order = { error: 0, warning: 1, info: 2 };
  return all.sort((a, b) => order[a.severity] - order[b.severity]);
}
