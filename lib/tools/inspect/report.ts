// The shapes of an `inspect` report (its JSON output) and of the samples it is built from.
import { ContextView } from './contexts';
import { FdKind } from './procfs';
import { ProgramKind } from './roles';
import { KernelArch } from './syscalls';
import { FutexWait, FutexWord, ThreadWait, Watched } from './threads';

export const INSPECT_SCHEMA_VERSION = 2;

export interface WatchedView extends Watched {
  kind: FdKind | 'closed';
  /** Ready now for the watched events; null when that cannot be known. */
  ready: boolean | null;
  /** For eventfds, the counter (decimal string). */
  eventfdCount: string | null;
}

export interface FutexWordView extends FutexWord {
  /** The word now, read through /proc/<pid>/mem; null when unreadable. */
  current: number | null;
}

export interface ThreadView extends Omit<ThreadWait, 'watched' | 'futex'> {
  watched: WatchedView[];
  futex: (Omit<FutexWait, 'words'> & { words: FutexWordView[] }) | null;
  /** What the thread is for, when the program is one we know (QEMU's thread names). */
  role: string | null;
  /** Blocked in a waiting system call with no timeout. */
  parkedInfinite: boolean;
}

export interface FdView {
  fd: number;
  kind: FdKind;
  link: string;
  eventfdCount: string | null;
  /** Threads whose current wait (directly or through epoll) includes this fd. */
  watchedBy: number[];
  /** epoll instances of the process it is registered in (armed), whoever waits on them. */
  inEpoll: number[];
}

export type FindingKind =
  | 'unwatched-eventfd'
  | 'ready-not-woken'
  | 'futex-not-woken'
  | 'context-lost'
  | 'context-late'
  | 'stopped'
  | 'exited';

/** The classes of the doctor and the watchdog: lost (nothing will wake it), late (a wake-up is on its way), benign. */
export type FindingVerdict = 'lost' | 'late' | 'benign';

export interface Finding {
  /** error: lost; warning: late; info: benign. */
  severity: 'error' | 'warning' | 'info';
  verdict: FindingVerdict;
  kind: FindingKind;
  /** What was observed, and for how long. */
  message: string;
  /** What can produce what was observed, most likely first: candidates, not a certainty. */
  causes: string[];
  tid?: number;
  fd?: number;
  futex?: { address: string; expected: number; current: number };
}

export interface InspectReport {
  schemaVersion: number;
  pid: number;
  name: string;
  kernelArch: KernelArch;
  program: ProgramKind;
  inspectedAt: string;
  samples: number;
  intervalMs: number;
  /** Time from the first sample to the last. */
  spanMs: number;
  stallMs: number;
  /** The last sample. */
  threads: ThreadView[];
  fds: FdView[];
  contexts: ContextView[];
  findings: Finding[];
  /** True when any finding is an error (a lost wake-up). */
  flagged: boolean;
  warnings: string[];
}

export interface Sample {
  /** performance.now() when the sample was taken. */
  atMs: number;
  threads: ThreadView[];
  fds: FdView[];
  contexts: ContextView[];
}
