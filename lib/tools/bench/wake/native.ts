// The floor: two C++ threads of the tools' addon, eventfd + ppoll (native/tools/wake_core.cc).
// With sender 'js' (the floor and its pinned companions) both threads do per sample what
// the JavaScript paths' threads do, system call for system call: the sender sleeps in
// timed futex waits as Atomics.wait does, the receiver sleeps in ppoll with no timeout,
// notifies the sender, then reads the eventfd. 'spin' is the doctor's harness, whose
// sender spins between kicks: shown for context, never a floor (its busy CPU pushes the
// receiver's wake-up onto the other vCPU, so its placement differs from the JS paths').
import { nativeWake, PinMode, WakeSender } from '../../harnesses';
import { WakeMethod, WakeRound } from './method';

const PLACEMENT: Record<PinMode, string> = { none: 'unpinned', split: 'pinned to two CPUs', same: 'pinned to one CPU' };

/** `id` 'native' is the floor the targets use; other rows are shown for context (and stand in for a placement the floor rarely had). */
export function nativeMethod(pin: PinMode, id = 'native', sender: WakeSender = 'js'): WakeMethod {
  const how = sender === 'js' ? 'JS-like threads' : 'spinning sender';
  // Pinning to two CPUs falls back to unpinned where one CPU is allowed (taskset -c 0).
  let refused = false;
  return {
    id,
    get label() {
      return `native eventfd+ppoll, ${how}, ${PLACEMENT[pin]}${refused ? ' (refused: unpinned)' : ''}${id === 'native' ? ' (floor)' : ''}`;
    },
    pin,
    sender,
    async start() {},
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      const r = await nativeWake('eventfd', { samples, gapUs, boundMs: 20, maxMs: 60_000, pin, sender });
      if (r.aborted) throw new Error('bench: the native wake harness aborted');
      if (pin !== 'none' && !r.pinned) refused = true;
      return { latencies: r.latencies, sendCpus: r.sendCpus, wakeCpus: r.wakeCpus, lost: r.lost };
    },
    async stop() {},
  };
}
