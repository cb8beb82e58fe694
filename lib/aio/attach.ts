// Attachment: an AioContext run by its thread's own Node event loop, without blocking it
// (QEMU's AioContext GSource). native/core/loop_attach.cc drives it from libuv handles:
//   uv_prepare -> prepare(): aio_ctx_prepare (NOTIFY_ME bit 0 set, then the timeout) and
//                 the fd set for the loop's uv_polls
//   uv_check   -> check():   aio_ctx_check (bit 0 cleared after the wait), then poll(false)
// The ordering argument is at the top of loop_attach.cc.
import { attachClose, attachOpen, attachRef, attachSetFds } from '../sys/loop-attach';

/** @internal The context's side of the loop source (QEMU's aio_ctx_prepare/aio_ctx_check), given by ctx.attach(). */
export interface LoopSource {
  /** aio_ctx_prepare(): set NOTIFY_ME bit 0; the wait's bound in ns (-1 forever). */
  prepare(): number;
  /** aio_ctx_check(): clear bit 0 after the wait. */
  check(): void;
  /** aio_ctx_dispatch(): ctx.poll(false). */
  dispatch(): void;
  /** The poll set now, and a version that changes with it. */
  fds(): { version: number; fds: number[]; events: number[] };
}

export class Attachment {
  readonly #source: LoopSource;
  /** The native attachment; 0 once detached. */
  #id: number;
  /** The version of the poll set the loop watches (-1: none yet). */
  #version = -1;

  /** @internal use ctx.attach() */
  constructor(source: LoopSource) {
    this.#source = source;
    this.#id = attachOpen(
      this,
      () => this.#prepare(),
      () => this.#check(),
    );
  }

  #prepare(): number {
    const timeout = this.#source.prepare();
    // After bit 0 is set, like poll() reads the external count after NOTIFY_ME += 2: an
    // enableExternal() whose new count we miss kicks the eventfd, and the next round
    // rebuilds the set.
    this.#sync();
    return timeout;
  }

  #check(): void {
    this.#source.check();
    this.#source.dispatch();
    // A callback may have detached us (or closed the context).
    if (this.#id !== 0) this.#sync();
  }

  /**
   * Hands the loop the current poll set if it changed. Also called right after dispatch,
   * so that the fd of a handler removed there (which its owner may now close, and the
   * kernel reuse) leaves the loop's epoll set in the same round.
   */
  #sync(): void {
    const set = this.#source.fds();
    if (set.version === this.#version) return;
    this.#version = set.version; // first: a set the loop rejects is reported once, not every round
    attachSetFds(this.#id, set.fds, set.events);
  }

  /** Keeps the thread's event loop (the process, the worker) alive while attached: the default. */
  ref(): this {
    if (this.#id !== 0) attachRef(this.#id, true);
    return this;
  }

  /** Lets the thread's event loop end while attached, as timer.unref() does. */
  unref(): this {
    if (this.#id !== 0) attachRef(this.#id, false);
    return this;
  }

  /** Stops running the context from the event loop. Idempotent; ctx.close() does it too. */
  detach(): void {
    if (this.#id === 0) return;
    attachClose(this.#id);
    this.#id = 0;
    // Detached between prepare and check (from an I/O callback, say), bit 0 would stay
    // set: nothing sleeps on the context's behalf any more, so clear it.
    this.#source.check();
  }

  get attached(): boolean {
    return this.#id !== 0;
  }
}
