// Sleeping one-way wake-up through the SIGIO path from JavaScript: this thread sends SIGIO,
// the addon's signal relay writes a record to a pipe, a worker asleep in ppoll on that pipe
// wakes and timestamps. A signal reaches the relay by one of two roads (native/core/relay_core.cc),
// and each measurement forces one, so that every sample is labelled with the road that
// delivered it and compares with a native measurement of the same road:
//  - 'sigwait': tgkill(relay thread, SIGIO). The relay thread blocks every signal, so a
//    signal directed at it stays pending until its sigwaitinfo takes it: the road of the
//    native harness (tgkill -> sigwaitinfo thread -> pipe) and of QEMU's compatfd.
//  - 'handler': tgkill(this thread, SIGIO). This thread does not block SIGIO, so the relay's
//    process-wide handler runs on it before tgkill returns and writes the record itself: the
//    road a kill(getpid(), SIGIO) from Node's main thread takes (the kernel hands a
//    process-directed signal to the thread group leader when it does not block it).
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseSyscallLine, taskIds } from '../inspect/procfs';
import { RemoteMemory } from '../inspect/remote-memory';
import { kernelArch, syscallNumber } from '../inspect/syscalls';
import { getpid, gettid, tgkill } from '../../sys/signals';
import { MeasureProgress, pauseMs, WakeMeasurement, yieldToLoop } from './wake-result';

export type SigioRoad = 'sigwait' | 'handler';

export const SIGIO_ROADS: Readonly<Record<SigioRoad, string>> = {
  sigwait: 'tgkill -> sigwaitinfo thread -> pipe',
  handler: 'tgkill(self) -> handler on the sending thread -> pipe',
};

const SIGIO_BIT = 1n << 28n; // SIGIO is 29 on x86_64 and aarch64; bit signo-1 of a sigset

/**
 * The relay thread of this process that waits for SIGIO alone: the thread parked in
 * rt_sigtimedwait whose set (read through /proc/self/mem) is {SIGIO}. Null when none is.
 */
export function sigioRelayThread(): number | null {
  const pid = getpid();
  const nr = syscallNumber(kernelArch(), 'rt_sigtimedwait');
  const mem = new RemoteMemory(pid);
  try {
    for (const tid of taskIds(pid)) {
      let sc;
      try {
        sc = parseSyscallLine(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8'));
      } catch {
        continue; // exited meanwhile
      }
      if (sc.status === 'syscall' && sc.nr === nr && mem.read(sc.args[0], 8).readBigUInt64LE(0) === SIGIO_BIT) return tid;
    }
    return null;
  } finally {
    mem.close();
  }
}

/** Layout of the shared buffer: Int32 words, a BigInt64 slot, then the samples. */
export const S = {
  READY: 0,
  ARMED: 1,
  SENT: 2,
  STOP: 3,
  /** BigInt64 index of the kick timestamp (byte 16). */
  T0_SLOT: 2,
  LAT_BYTE_OFFSET: 32,
} as const;

export interface SigioWakeOptions {
  road: SigioRoad;
  samples: number;
  gapUs: number;
  boundMs: number;
  maxMs: number;
  onProgress?: MeasureProgress;
}

export async function measureSigioWake(o: SigioWakeOptions): Promise<WakeMeasurement> {
  const sab = new SharedArrayBuffer(S.LAT_BYTE_OFFSET + 8 * o.samples);
  const w = new Int32Array(sab);
  const t = new BigInt64Array(sab);
  const worker = new Worker(join(__dirname, 'sigio-worker.js'), {
    workerData: { sab, samples: o.samples, boundNs: o.boundMs * 1e6, hardNs: Math.max(1000, 10 * o.boundMs) * 1e6 },
    name: 'doctor-sigio',
  });
  // Both promises are made now: the worker may post and exit before we get to await them.
  const exited = once(worker, 'exit');
  const result = once(worker, 'message') as Promise<[{ late: number; lost: number; spurious: number; taken: number }]>;
  const failed = once(worker, 'error').then(([e]) => Promise.reject(e));
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(o.maxMs) * 1_000_000n;
  const pid = getpid();
  // The relay must be open before the first SIGIO (its default action kills the process).
  while (Atomics.load(w, S.READY) !== 1) {
    await Promise.race([yieldToLoop(), failed]);
    pauseMs(1);
  }
  let target = gettid();
  if (o.road === 'sigwait') {
    // The relay thread starts with the first subscription; it is parked once it waits.
    const until = Date.now() + 10_000;
    let tid = sigioRelayThread();
    while (tid === null && Date.now() < until) {
      pauseMs(1);
      tid = sigioRelayThread();
    }
    if (tid === null) {
      Atomics.store(w, S.STOP, 1);
      await exited;
      throw new Error('the signal relay thread for SIGIO was not found in /proc/self/task');
    }
    target = tid;
  }
  for (let i = 1; i <= o.samples; i++) {
    while (Atomics.load(w, S.ARMED) < i) Atomics.wait(w, S.ARMED, i - 1, 100);
    if (process.hrtime.bigint() > deadline) break;
    pauseMs(o.gapUs / 1000);
    Atomics.store(t, S.T0_SLOT, process.hrtime.bigint());
    Atomics.store(w, S.SENT, i);
    tgkill(pid, target, 'SIGIO');
    if (i % 200 === 0) {
      o.onProgress?.(i, o.samples);
      await yieldToLoop();
    }
  }
  // Stopped early (time limit): the worker sees STOP at its next bounded wait. No further
  // SIGIO is sent: once the worker closes its relay, SIGIO's default action is back.
  Atomics.store(w, S.STOP, 1);
  const [r] = await Promise.race([result, failed]);
  await exited;
  return {
    latencies: new Float64Array(sab, S.LAT_BYTE_OFFSET, r.taken).slice(),
    late: r.late,
    lost: r.lost,
    spurious: r.spurious,
    elapsedNs: Number(process.hrtime.bigint() - start),
    truncated: r.taken < o.samples,
  };
}
