// Shared words of the Atomics.notify -> Atomics.wait measurement.
export const A = {
  /** The sample the worker is (about to be) asleep for. */
  ARMED: 0,
  /** The sample the main thread sent. */
  GO: 1,
  /** The last sample the worker woke for. */
  DONE: 2,
  STOP: 3,
} as const;

export const ATOMICS_BYTES = 32;

/** words: A's; times[0]: the worker's wake timestamp; cpu[0]: its CPU then. */
export function atomicsViews(sab: SharedArrayBuffer): { words: Int32Array; times: BigInt64Array; cpu: Int32Array } {
  return { words: new Int32Array(sab, 0, 4), times: new BigInt64Array(sab, 16, 1), cpu: new Int32Array(sab, 24, 1) };
}
