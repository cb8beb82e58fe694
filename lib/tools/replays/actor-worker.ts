// Entry point of one replay actor's worker thread: publishes its thread id, runs its role
// synchronously, and reports back. Started by ReplayRun (run.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { gettid } from '../../sys/signals';
import { R, ReplayMemory } from './memory';
import { ReplayShutdown } from './mini-aio';
import { ActorEnv } from './scenario';
import { Schedule } from './schedule';
import { findScenario } from './scenarios';

export interface ActorData {
  scenario: string;
  role: string;
  sab: SharedArrayBuffer;
}

const { scenario: id, role, sab } = workerData as ActorData;
const m = new ReplayMemory(sab);
const scenario = findScenario(id)!;
const index = scenario.roles.indexOf(role);
m.set(R.TID_BASE + index, gettid());
Atomics.notify(m.r, R.TID_BASE + index);
const sched = new Schedule(m);
const env: ActorEnv = {
  m,
  sched,
  fixed: m.get(R.VARIANT) === 1,
  tidOf(other: string): number {
    const word = R.TID_BASE + scenario.roles.indexOf(other);
    sched.until(() => m.get(word) !== 0, `the ${other} thread to start`);
    return m.get(word);
  },
};
try {
  scenario.actors[role](env);
  parentPort!.postMessage({ type: 'done', role });
} catch (error) {
  if (error instanceof ReplayShutdown) {
    parentPort!.postMessage({ type: 'done', role, shutdown: true });
  } else {
    m.set(R.ERROR, 1);
    const e = error as Error;
    parentPort!.postMessage({ type: 'error', role, message: e.message, stack: e.stack });
  }
} finally {
  Atomics.add(m.r, R.ACTORS_DONE, 1);
}
