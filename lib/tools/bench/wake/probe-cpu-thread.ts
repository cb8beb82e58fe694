// Starts the receiving IOThread of the bench's AioContext wake-ups (probe-cpu.ts).
import { join } from 'node:path';
import { BhRef } from '../../../aio/bottom-half';
import { IOThread } from '../../../aio/iothread';
import { PROBE_BYTES } from '../../measure/probe-iothread';

const MODULE = join(__dirname, 'probe-cpu.js');

export interface CpuProbe {
  thread: IOThread;
  /** The probe's memory (probeViews(); the CPU word is PROBE_CPU). */
  sab: SharedArrayBuffer;
  bh: BhRef;
}

/** An IOThread running probe-cpu.ts (eventfd kicks only: no SIGIO). */
export async function startCpuProbe(name: string): Promise<CpuProbe> {
  const sab = new SharedArrayBuffer(PROBE_BYTES);
  const thread = await IOThread.start({ module: MODULE, data: { sab }, name, sigioKick: false });
  return { thread, sab, bh: (thread.setupResult as { bh: BhRef }).bh };
}
