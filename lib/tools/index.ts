// 'aio-notify/tools': the inspector, the doctor and the replays of QEMU's bugs (and, for
// the code that used the old `diagnosis` namespace, the observability the root exports too).
export { HangWatchdog } from '../observability/watchdog';
export type { HangWatchdogOptions } from '../observability/watchdog';
export { exposeContext } from '../observability/expose';
export { Beacon } from '../observability/beacon';
export { inspect } from './inspect';
export type { InspectOptions, InspectReport, Finding } from './inspect';
export { runDoctor } from './doctor/run';
export type { DoctorOptions } from './doctor/run';
export type { DoctorReport, CheckResult } from './doctor/types';
export { runReplay, ReplayRun } from './replays/run';
export type { ReplayOptions, ReplayOutcome } from './replays/run';
export { SCENARIOS } from './replays/scenarios';
export type { StallReport, StallCause, Verdict } from '../observability/stall';
