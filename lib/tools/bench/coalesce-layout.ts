// Shared words of the coalescing measurement (main thread <-> notifier workers).
export const K = {
  /** Bumped by the main thread to start a run. */
  GO: 0,
  /** Set to the run number to stop it. */
  STOP: 1,
  /** Notifiers taking part in the current run (workers 0 .. ACTIVE-1). */
  ACTIVE: 2,
  /** Workers done with the current run (participating or not). */
  DONE: 3,
  QUIT: 4,
  /** Workers started and waiting. */
  READY: 5,
} as const;

export const MAX_NOTIFIERS = 16;
/** Int32 words, then one Float64 count of notify() calls per worker. */
export const COALESCE_BYTES = 32 + 8 * MAX_NOTIFIERS;

export function coalesceViews(sab: SharedArrayBuffer): { words: Int32Array; counts: Float64Array } {
  return { words: new Int32Array(sab, 0, 8), counts: new Float64Array(sab, 32, MAX_NOTIFIERS) };
}
