// `aio-notify repro <scenario> [--fixed] [--watch] [--duration S] [--hold S] [--stall MS] [--json] [--list]`
import { AioContextRef } from '../aio/context-ref';
import { SharedState, T, W } from '../aio/shared-state';
import { paint, useColor } from '../tools/doctor/style';
import { R } from '../tools/replays/memory';
import { ReplayOutcome, ReplayRun } from '../tools/replays/run';
import { findScenario, SCENARIOS } from '../tools/replays/scenarios';
import { formatStall } from '../observability/stall-format';
import { HangWatchdog } from '../observability/watchdog';
import { CliIO } from './io';
import { parseCommandArgs, parsePositiveInt, UsageError } from './usage';

export const REPRO_USAGE = `aio-notify repro <scenario> [options]
  Replays one of QEMU's lost wake-ups live, over a real eventfd, ppoll and threads, with the
  hang watchdog on; point \`aio-notify inspect <pid>\` at it from another terminal.
  --fixed            run the fixed protocol instead of the historical one
  --watch            show the context's state live and keep the replay running until
                     --duration or Ctrl-C; the HangWatchdog reports the stall
  --duration S       with --watch: stop after S seconds (default: until interrupted)
  --hold S           keep the replay (and its hang) alive S seconds after the outcome
  --stall MS         stall threshold (default 200)
  --json             print the outcome as one JSON line
  --list             list the scenarios
  exit: 0 the protocol behaved as it should (historical: hung and classified; fixed:
  completed), 1 it did not, 2 usage error`;

function listing(): string {
  return SCENARIOS.map((s) => `  ${s.id.padEnd(16)} ${(s.commit || 'control').padEnd(11)} ${s.year}  ${s.title}`).join('\n');
}

/** Resolves on SIGINT/SIGTERM or after `ms` (never, if ms is undefined); removes its listeners. */
function interruptible(ms: number | undefined): { done: Promise<string>; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let resolveFn: (s: string) => void = () => {};
  const done = new Promise<string>((resolve) => {
    resolveFn = resolve;
    if (ms !== undefined) timer = setTimeout(() => resolve('time'), ms);
  });
  const onInt = (): void => resolveFn('SIGINT');
  const onTerm = (): void => resolveFn('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const cancel = (): void => {
    if (timer) clearTimeout(timer);
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGTERM', onTerm);
  };
  return { done: done.finally(cancel), cancel };
}

function stateLine(state: SharedState, startNs: bigint): string {
  const now = process.hrtime.bigint();
  const polling = state.load(W.POLLING) === 1;
  const since = state.time(T.SLEEP_START_NS);
  const asleep = polling && since > 0n ? `asleep ${Number((now - since) / 1_000_000n)} ms` : 'running';
  return (
    `[${String(Number((now - startNs) / 1_000_000n)).padStart(6)} ms] home ${asleep.padEnd(14)} notify_me ${state.load(W.NOTIFY_ME)} ` +
    `notified ${state.load(W.NOTIFIED)} ext ${state.load(W.EXTERNAL_DISABLE_CNT)} bh ${state.load(W.BH_ENQUEUED)} ` +
    `kicks ${state.counter(W.KICKS)} polls ${state.counter(W.POLLS)} sleeps ${state.counter(W.SLEEPS)}`
  );
}

export async function reproCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      fixed: { type: 'boolean' },
      watch: { type: 'boolean' },
      duration: { type: 'string' },
      hold: { type: 'string' },
      stall: { type: 'string' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      'no-color': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    io.stdout.write(`${REPRO_USAGE}\n\nScenarios:\n${listing()}\n`);
    return 0;
  }
  if (values.list) {
    io.stdout.write(`${listing()}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`repro needs one scenario:\n${listing()}`);
  const scenario = findScenario(positionals[0]);
  if (!scenario) throw new UsageError(`unknown scenario '${positionals[0]}':\n${listing()}`);
  const stallMs = parsePositiveInt(values.stall, '--stall', 10, 600000) ?? 200;
  const holdS = parsePositiveInt(values.hold, '--hold', 0, 86400);
  const durationS = parsePositiveInt(values.duration, '--duration', 1, 86400);
  if (durationS !== undefined && !values.watch) throw new UsageError('--duration goes with --watch');
  if (scenario.kind === 'control' && !values.fixed) values.fixed = true; // a control has one protocol
  const style = { color: !values['no-color'] && useColor(io.stdout, io.env) };
  const text = (line: string): void => {
    if (!values.json) io.stdout.write(`${line}\n`);
  };

  const run = new ReplayRun(scenario.id, { fixed: values.fixed === true, stallMs });
  const stop = interruptible(undefined);
  let watchdog: HangWatchdog | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let outcome: ReplayOutcome | null = null;
  let interrupted: string | null = null;
  try {
    run.start();
    const variant = values.fixed ? 'fixed' : 'historical';
    text(paint(style, 'bold', `aio-notify repro ${scenario.id}${scenario.commit ? ` (${scenario.commit}, ${scenario.year})` : ''}: ${scenario.title}`));
    text(`  ${scenario.era} · ${variant} protocol · pid ${process.pid}`);
    text(`  ${scenario.story}`);
    const startNs = process.hrtime.bigint();
    if (values.watch) {
      const device = run.memory.get(R.DEVICE_FD);
      const ref = AioContextRef.from({ kind: 'AioContextRef', sab: run.memory.sab, name: scenario.id });
      watchdog = new HangWatchdog(ref, {
        stallMs,
        fds: device >= 0 ? [device] : [],
        pending: () => scenario.appPending?.(run.memory) ?? [],
        unref: false,
        onStall: (r) => {
          text(paint(style, r.verdict === 'lost' ? 'red' : 'yellow', `HangWatchdog: ${formatStall(r)[0]}`));
          for (const l of formatStall(r).slice(1)) text(l);
        },
      });
      const state = new SharedState(run.memory.sab);
      ticker = setInterval(() => text(paint(style, 'dim', stateLine(state, startNs))), Math.max(100, Math.min(500, stallMs)));
    }
    const first = await Promise.race([run.outcome(), stop.done]);
    if (typeof first === 'string') interrupted = first;
    else outcome = first;
    if (outcome) {
      const tids = run.tids();
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ pid: process.pid, tids, eventfd: run.eventfd, deviceFd: run.deviceFd, outcome })}\n`);
      } else {
        text(`  threads: ${Object.entries(tids).map(([role, tid]) => `${role} ${tid}`).join(', ')}`);
        if (outcome.stall && !values.watch) for (const l of formatStall(outcome.stall)) text(l);
        text(paint(style, outcome.pass ? 'green' : 'red', `Outcome: ${outcome.pass ? 'as expected' : 'NOT as expected'}: ${outcome.reason} (${outcome.durationMs} ms)`));
      }
      const waitMs = values.watch ? (durationS === undefined ? undefined : durationS * 1000) : holdS ? holdS * 1000 : 0;
      if (waitMs !== 0) {
        text(
          `  ${values.watch ? 'watching' : 'holding'} ${waitMs === undefined ? 'until Ctrl-C' : `for ${waitMs / 1000} s`}: ` +
            `run \`aio-notify inspect ${process.pid}\` from another terminal`,
        );
        const timed = interruptible(waitMs);
        const why = await Promise.race([timed.done, stop.done]);
        timed.cancel();
        if (why !== 'time') interrupted = why;
      }
    }
  } finally {
    stop.cancel();
    if (ticker) clearInterval(ticker);
    watchdog?.close();
    await run.shutdown();
  }
  if (!outcome) return interrupted === 'SIGINT' ? 130 : 143;
  return outcome.pass ? 0 : 1;
}
