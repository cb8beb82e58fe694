// What a replay scenario declares: the historical bug it replays, the threads (roles) it
// needs, what the stall classifier must answer for the historical protocol, and how to
// tell that the fixed protocol got the work done.
import { PendingItem, StallCause, Verdict } from '../../observability/stall';
import { ReplayMemory } from './memory';
import { Schedule } from './schedule';

export interface ActorEnv {
  m: ReplayMemory;
  sched: Schedule;
  /** True for the fixed protocol, false for the historical one. */
  fixed: boolean;
  /** The kernel thread id of another role's thread (waits until it has started). */
  tidOf(role: string): number;
}

export interface Scenario {
  /** CLI name: `aio-notify repro <id>`. */
  id: string;
  /** The QEMU commit that fixed it (or '' for a control). */
  commit: string;
  year: number;
  title: string;
  /** The QEMU releases whose protocol the historical variant reproduces. */
  era: string;
  /** How the wake-up gets lost, in a few sentences. */
  story: string;
  /** 'bug': the historical protocol must hang; 'control': a classifier control (no hang). */
  kind: 'bug' | 'control';
  /** Threads, each run in its own worker thread; 'home' is the context's home thread. */
  roles: string[];
  /** Whether the context has a device fd (an external handler, a virtio ioeventfd). */
  device: boolean;
  expect: { verdict: Exclude<Verdict, 'ok'>; cause: StallCause; pending: Array<PendingItem['kind']> };
  /** The work the replay is about got done (the fixed protocol must reach this). */
  completed(m: ReplayMemory): boolean;
  /** Pending application work the shared state cannot show. */
  appPending?(m: ReplayMemory): string[];
  /** Role bodies, run synchronously inside the role's worker thread. */
  actors: Record<string, (env: ActorEnv) => void>;
}
