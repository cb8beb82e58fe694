// Positive controls that need real hardware, and budgets counted in events: how a test says
// it could not run its control here (a skip whose reason .ci/run reads).
import type { TestContext } from 'node:test';
import { EMULATED, INSTRUMENTED } from './env';

/**
 * Why the memory-ordering controls (store buffering, the unfenced protocol) cannot run in
 * this process: emulated (qemu-user runs guest threads with the host's ordering, or
 * serialised) or instrumented (a sanitizer runtime changes the timing). null: they must run.
 */
export function controlBarrier(): string | null {
  if (EMULATED) return `emulated (${EMULATED})`;
  return INSTRUMENTED ? `instrumented (${INSTRUMENTED})` : null;
}

/**
 * Marks the test skipped because its control cannot run here. The reason starts with
 * "control not run", which .ci/run counts and refuses on real hardware.
 */
export function controlNotRun(t: TestContext, why: string): void {
  t.skip(`control not run: ${why}`);
}

/** Marks the test skipped because its budget of events ran out before the control could tell. */
export function couldNotTell(t: TestContext, why: string): void {
  t.skip(`could not tell: ${why}`);
}
