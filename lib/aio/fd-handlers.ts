// fd handlers of one context (QEMU's AioHandler list) and the poll set built from them.
import { PollFdArray, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT } from '../sys';
import { invalidArgType } from '../errors';
import { validateBoolean, validateFd, validateOptions } from '../validate';
import { SharedState, W, WATCHED_MAX } from './shared-state';

export interface FdHandler {
  /** Runs when the fd is readable (or hung up, or in error). */
  read?: ((fd: number) => void) | null;
  /** Runs when the fd is writable (or in error). */
  write?: ((fd: number) => void) | null;
  /** An "external client" (a device): not polled while external clients are disabled. */
  external?: boolean;
}

export const READ_EVENTS = POLLIN | POLLHUP | POLLERR | POLLNVAL;
export const WRITE_EVENTS = POLLOUT | POLLERR | POLLNVAL;

export class HandlerNode {
  /** revents from the poll that found it ready, cleared when dispatched. */
  revents = 0;
  deleted = false;
  constructor(
    readonly fd: number,
    readonly read: ((fd: number) => void) | null,
    readonly write: ((fd: number) => void) | null,
    readonly external: boolean,
  ) {}

  get events(): number {
    return (this.read ? POLLIN : 0) | (this.write ? POLLOUT : 0);
  }
}

function callback(value: unknown, name: string): ((fd: number) => void) | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value as (fd: number) => void;
}

/** Validates a handler description; null removes the handler. */
export function makeNode(fd: unknown, handler: FdHandler | null): HandlerNode | null {
  validateFd(fd);
  if (handler === null) return null;
  const h = validateOptions<FdHandler>(handler, 'handler');
  const read = callback(h.read, 'handler.read');
  const write = callback(h.write, 'handler.write');
  const external = h.external === undefined ? false : validateBoolean(h.external, 'handler.external');
  if (!read && !write) return null;
  return new HandlerNode(fd as number, read, write, external);
}

/**
 * The handlers by fd, and the poll set: the context's own fds first (its eventfd, then the
 * relay pipe), then one entry per handler that may be polled now. The set is cached and
 * rebuilt only when a handler changes or external clients are disabled or enabled.
 */
export class HandlerSet {
  readonly #nodes = new Map<number, HandlerNode>();
  readonly #own: number[];
  readonly #state: SharedState;
  #pollfds = new PollFdArray(8);
  #polled: Array<HandlerNode | null> = [];
  #dirty = true;
  #builtDisabled = false;

  constructor(state: SharedState, ownFds: number[]) {
    this.#state = state;
    this.#own = ownFds;
  }

  /** The number of the context's own entries at the head of the set. */
  get ownCount(): number {
    return this.#own.length;
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** Installs, replaces (a new node: the old one is never dispatched again) or removes. */
  set(fd: number, node: HandlerNode | null): void {
    const old = this.#nodes.get(fd);
    if (old) old.deleted = true;
    if (node) this.#nodes.set(fd, node);
    else this.#nodes.delete(fd);
    this.#dirty = true;
  }

  /** The poll set for this round; external handlers are left out while disabled. */
  pollSet(externalDisabled: boolean): PollFdArray {
    if (this.#dirty || externalDisabled !== this.#builtDisabled) this.#build(externalDisabled);
    return this.#pollfds;
  }

  /** The handler polled at index i (i >= ownCount). */
  nodeAt(i: number): HandlerNode {
    return this.#polled[i]!;
  }

  #build(externalDisabled: boolean): void {
    const wanted = this.#own.length + this.#nodes.size;
    if (wanted > this.#pollfds.capacity) this.#pollfds = new PollFdArray(Math.max(wanted, 2 * this.#pollfds.capacity));
    const p = this.#pollfds;
    p.length = 0;
    this.#polled.length = 0;
    for (const fd of this.#own) {
      p.push(fd, POLLIN);
      this.#polled.push(null);
    }
    for (const node of this.#nodes.values()) {
      if (node.external && externalDisabled) continue; // QEMU aio_node_check()
      p.push(node.fd, node.events);
      this.#polled.push(node);
    }
    this.#dirty = false;
    this.#builtDisabled = externalDisabled;
    this.#publish(p);
  }

  /** Copies the set into shared memory for the hang watchdog and `inspect`. */
  #publish(p: PollFdArray): void {
    const n = Math.min(p.length, WATCHED_MAX);
    for (let i = 0; i < n; i++) {
      Atomics.store(this.#state.watched, 2 * i, p.fd(i));
      Atomics.store(this.#state.watched, 2 * i + 1, p.events(i));
    }
    Atomics.store(this.#state.words, W.WATCHED_COUNT, p.length);
  }

  clear(): void {
    for (const node of this.#nodes.values()) node.deleted = true;
    this.#nodes.clear();
    this.#dirty = true;
  }
}
