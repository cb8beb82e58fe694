// A strict consumer of the package's published types (test/types/run.sh compiles it under
// node16, nodenext and bundler resolution, with the oldest and the newest TypeScript). It only
// has to compile: every line states a type the public API promises.
import {
  AioContext,
  AioContextRef,
  Bh,
  BhRef,
  EventNotifier,
  HangWatchdog,
  IOThread,
  Timer,
  sys,
} from 'aio-notify';
import * as diagnosis from 'aio-notify/tools';
import type {
  AioContextOptions,
  AioStats,
  Attachment,
  CheckResult,
  DoctorOptions,
  DoctorReport,
  EnvironmentReport,
  FdHandler,
  Finding,
  InspectOptions,
  InspectReport,
  IOThreadOptions,
  ReplayOutcome,
  StallCause,
  StallReport,
  Verdict,
} from 'aio-notify';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_ok: T): void {}

const options: AioContextOptions = { sigioKick: 'auto', name: 'consumer' };
const ctx = new AioContext(options);
const progressed: boolean = ctx.poll(false);
const bh: Bh = ctx.bhNew(() => {});
const ref: BhRef = bh.ref();
ref.schedule();
const timer: Timer = ctx.timerNew(() => {});
timer.mod(ctx.clockNs() + 1_000_000n);
const handler: FdHandler = { read: () => {}, external: true };
const notifier = new EventNotifier(false);
ctx.setEventNotifier(notifier, () => notifier.testAndClear());
ctx.setFdHandler(notifier.fd, handler);
ctx.setFdHandler(notifier.fd, null);
const attachment: Attachment = ctx.attach();
// @ts-expect-error the loop source's hooks are private to AioContext
ctx.attachPrepare();
attachment.detach();
const ctxRef: AioContextRef = ctx.ref();
ctxRef.notify();
const stats: AioStats = ctx.stats;
expectType<Equal<typeof stats.rescues, number>>(true);

const watchdog = new HangWatchdog(ctxRef, { stallMs: 1000 });
const report: StallReport = watchdog.check();
const verdict: Verdict = report.verdict;
const cause: StallCause = report.cause;
watchdog.on('stall', (r: StallReport) => r.explanation);
watchdog.close();

const fd: number = sys.eventfd(0, { nonblock: true });
const counter: bigint | null = sys.eventfdRead(fd);
sys.close(fd);

async function threads(): Promise<void> {
  const threadOptions: IOThreadOptions = { module: './device.js', data: { deviceFd: 3 } };
  const thread: IOThread = await IOThread.start(threadOptions);
  thread.ctx.disableExternal();
  thread.ctx.enableExternal();
  await thread.stop();
  // Typed from the module: setupResult from setup()'s return, call() from its exports.
  type Device = { setup(ctx: AioContext, data: unknown): { flush: BhRef }; read(register: number): number };
  const device = await IOThread.start<Device>(threadOptions);
  device.setupResult.flush.schedule();
  const value: number = await device.call('read', 0x10);
  // @ts-expect-error: read takes a number
  await device.call('read', 'x');
  // @ts-expect-error: no such export
  await device.call('write', 1);
  await device.stop();
  void value;
}

async function diagnose(): Promise<void> {
  const doctorOptions: DoctorOptions = {};
  const doctor: DoctorReport = await diagnosis.runDoctor(doctorOptions);
  const checks: CheckResult[] = doctor.checks;
  const environment: EnvironmentReport = doctor.environment;
  const exit: 0 | 1 | 2 = doctor.exitCode;
  const inspectOptions: InspectOptions = {};
  const inspected: InspectReport = await diagnosis.inspect(process.pid, inspectOptions);
  const findings: Finding[] = inspected.findings;
  const outcome: ReplayOutcome | undefined = undefined;
  void [checks, environment, exit, findings, outcome];
}

// Internal members stay out of the published types.
// @ts-expect-error Bh.chunk is internal
void bh.chunk;
// @ts-expect-error the slot table is not part of the package's entry point
import type { BhTable } from 'aio-notify';

void [progressed, counter, verdict, cause, threads, diagnose];
ctx.close();
