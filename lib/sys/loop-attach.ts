// The loop attachment's native half (native/core/loop_attach.cc): libuv prepare/check handles and
// uv_polls that run an AioContext from its thread's Node event loop (lib/aio/attach.ts).
import { native } from './native';

/**
 * Opens an attachment: `prepare` runs before the loop waits and returns the wait's bound in
 * ns (-1 forever), `check` after it. `resource` keeps the callbacks' owner alive. Returns its id.
 */
export function attachOpen(resource: object, prepare: () => number, check: () => void): number {
  return native.attachOpen(resource, prepare, check);
}

/** Replaces the fds (and poll events) the loop watches for attachment `id`. */
export function attachSetFds(id: number, fds: number[], events: number[]): void {
  native.attachSetFds(id, fds, events);
}

/** Whether attachment `id` keeps the thread's event loop alive. */
export function attachRef(id: number, ref: boolean): void {
  native.attachRef(id, ref);
}

/** Closes attachment `id`: its handles stop and close. */
export function attachClose(id: number): void {
  native.attachClose(id);
}
