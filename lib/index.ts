// aio-notify: QEMU's AioContext wake-up machinery for Node.js on Linux. The library root:
// sys (lib/sys), the loop (lib/aio) and its runtime observability (lib/observability).
// The tools (lib/tools: doctor, inspect, replays, bench) are the subpath 'aio-notify/tools';
// the CLI (lib/cli) is bin/aio-notify. A layer imports only those below it (.dependency-cruiser.js).
// The published dist/lib/index.js is this file and the layers it exports in one bundle
// (scripts/bundle.js): a require() costs one file, not one per module.
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
export type { AioStats, AioCounters } from './aio/notify';
export { IOThread, IOThreadClient } from './aio/iothread';
export type { IOThreadOptions, IOThreadClientData } from './aio/iothread';
export type { BoundOptions } from './aio/bounds';
export type { CallName, CallArgs, CallResult, SetupResult } from './aio/call-protocol';
export { emitToStarter } from './aio/call-server';
export { ByteChannel, ByteChannelProducer } from './aio/byte-channel';
export type { ByteChannelOptions, ByteChannelReader, ByteChannelProducerData } from './aio/byte-channel';
// Runtime observability: the stall watchdog and exposing a context to `aio-notify inspect`.
export { HangWatchdog } from './observability/watchdog';
export type { HangWatchdogOptions } from './observability/watchdog';
export { exposeContext } from './observability/expose';
export { Beacon } from './observability/beacon';
// The shapes of every report the package hands out, importable from the root. Type-only:
// the tools (doctor, inspect, replays, bench) load from 'aio-notify/tools', never from here.
export type { StallReport, StallCause, Verdict, PendingItem } from './observability/stall';
export type { DoctorReport, CheckResult, CheckVerdict, DoctorMode } from './tools/doctor/types';
export type { DoctorOptions } from './tools/doctor/run';
export type { EnvironmentReport } from './tools/environment';
export type { InspectReport, InspectOptions, Finding, FindingKind } from './tools/inspect';
export type { ReplayOptions, ReplayOutcome } from './tools/replays/run';
