// The floor: two C++ threads of the tools' addon, eventfd + ppoll (native/tools/harness.cc).
import { nativeWake, PinMode } from '../../harnesses';
import { WakeMethod, WakeRound } from './method';

const PLACEMENT: Record<PinMode, string> = { none: 'unpinned', split: 'two CPUs', same: 'one CPU' };

/** `id` 'native' is the floor the targets use; other placements are shown for context. */
export function nativeMethod(pin: PinMode, id = 'native'): WakeMethod {
  return {
    id,
    label: `native eventfd+ppoll, C++ threads ${PLACEMENT[pin]}${id === 'native' ? ' (floor)' : ''}`,
    async start() {},
    async round(samples: number, gapUs: number): Promise<WakeRound> {
      const r = await nativeWake('eventfd', { samples, gapUs, boundMs: 20, maxMs: 60_000, pin });
      if (r.aborted) throw new Error('bench: the native wake harness aborted');
      return { latencies: r.latencies, lost: r.lost };
    },
    async stop() {},
  };
}
