// The diagnosis layer's public surface: the stall watchdog, exposing a context to
// `aio-notify inspect`, the inspector, the doctor, and the replays of QEMU's bugs.
export { HangWatchdog } from './watchdog';
export type { HangWatchdogOptions } from './watchdog';
export { exposeContext } from './expose';
export { Beacon } from './beacon';
export { inspect } from './inspect';
export type { InspectOptions, InspectReport, Finding } from './inspect';
export { runDoctor } from './doctor/run';
export type { DoctorOptions } from './doctor/run';
export type { DoctorReport, CheckResult } from './doctor/types';
export { runReplay, ReplayRun } from './replays/run';
export type { ReplayOptions, ReplayOutcome } from './replays/run';
export { SCENARIOS } from './replays/scenarios';
export type { StallReport, StallCause, Verdict } from './stall';
