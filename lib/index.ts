// aio-notify: QEMU's AioContext wake-up machinery for Node.js on Linux.
export * as sys from './sys';
export { EventNotifier } from './aio/event-notifier';
export { AioContext } from './aio/context';
export type { AioContextOptions } from './aio/context';
export type { Attachment } from './aio/attach';
export { AioContextRef } from './aio/context-ref';
export type { AioContextRefData } from './aio/context-ref';
export { Bh, BhRef } from './aio/bottom-half';
export type { BhRefData } from './aio/bottom-half';
export { Timer } from './aio/timers';
export type { FdHandler } from './aio/fd-handlers';
export type { AioStats } from './aio/notify';
export { IOThread } from './aio/iothread';
export type { IOThreadOptions } from './aio/iothread';
export { HangWatchdog } from './diagnosis/watchdog';
export type { HangWatchdogOptions } from './diagnosis/watchdog';
export * as diagnosis from './diagnosis';
// The shapes of every report the library hands out, importable from the root.
export type { StallReport, StallCause, Verdict, PendingItem } from './diagnosis/stall';
export type { DoctorReport, CheckResult, CheckVerdict, DoctorMode } from './diagnosis/doctor/types';
export type { DoctorOptions } from './diagnosis/doctor/run';
export type { EnvironmentReport } from './diagnosis/environment';
export type { InspectReport, InspectOptions, Finding, FindingKind } from './diagnosis/inspect';
export type { ReplayOptions, ReplayOutcome } from './diagnosis/replays/run';
