// fd handlers of one context (QEMU's AioHandler list) and the poll set built from them.
import {
  closeOwned,
  ownedEpollCreate,
  epollCtl,
  epollWait,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  PollFdArray,
  ppoll,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  POLLOUT,
} from '../sys';
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

/** From this many handlers on, wait with epoll (QEMU's EPOLL_ENABLE_THRESHOLD). */
export const EPOLL_THRESHOLD = 64;

/** At most this many ready fds are reported by one wait; the rest are still ready next time. */
const EPOLL_BATCH = 256;

/**
 * The handlers by fd, and how they are waited on (QEMU's fdmon): ppoll over a cached set
 * (the context's own fds first, its eventfd then the relay pipe, then one entry per handler
 * that may be polled now; rebuilt only when a handler changes or external clients are
 * disabled or enabled), or, from EPOLL_THRESHOLD handlers on, epoll with an interest list
 * updated at each change, so that a wait costs O(ready) instead of O(handlers). While
 * external clients are disabled the wait falls back to ppoll, whose set leaves them out.
 * Either way wait() reports the ready fds as [fd, revents] pairs in `ready`.
 */
export class HandlerSet {
  readonly #nodes = new Map<number, HandlerNode>();
  readonly #own: number[];
  readonly #state: SharedState;
  #pollfds = new PollFdArray(8);
  #dirty = true;
  #builtDisabled = false;
  /** Bumped at every rebuild of the poll set. */
  version = 0;

  constructor(state: SharedState, ownFds: number[]) {
    this.#state = state;
    this.#own = ownFds;
  }

  #epfd = -1;
  /** Handler fds that epoll refused (EPERM, EBADF): no epoll while one is installed. */
  readonly #refusedFds = new Set<number>();
  /** Changes to the handlers so far, and the count at the last failure to use epoll. */
  #changes = 0;
  #failedAt = -1;
  /** The epoll interest list changed since it was last published. */
  #unpublished = false;
  /** [fd, revents] pairs of the last wait. */
  ready = new Int32Array(2 * EPOLL_BATCH);

  get size(): number {
    return this.#nodes.size;
  }

  /** Whether `fd` is one the context itself polls (its eventfd, its relay pipe, its epoll). */
  isOwn(fd: number): boolean {
    return this.#own.includes(fd) || fd === this.#epfd;
  }

  /** The handler installed for `fd` now, if any. */
  node(fd: number): HandlerNode | undefined {
    return this.#nodes.get(fd);
  }

  /** True once waits use epoll. */
  get epoll(): boolean {
    return this.#epfd >= 0;
  }

  /**
   * Waits up to timeoutNs (-1 forever) for an fd of the set; returns how many [fd, revents]
   * pairs `ready` holds, 0 on timeout, -1 if a signal interrupted the wait.
   */
  wait(timeoutNs: number, externalDisabled: boolean): number {
    if (this.#epfd < 0 && this.#nodes.size >= EPOLL_THRESHOLD && !externalDisabled && this.#mayUpgrade()) this.#upgrade();
    if (this.#epfd >= 0 && !externalDisabled) {
      if (this.#unpublished) this.#publishEpoll();
      return epollWait(this.#epfd, this.ready, timeoutNs);
    }
    const p = this.pollSet(externalDisabled);
    const n = ppoll(p, timeoutNs);
    if (n <= 0) return n;
    if (this.ready.length < 2 * n) this.ready = new Int32Array(2 * p.capacity);
    let found = 0;
    for (let i = 0; i < p.length && found < n; i++) {
      const revents = p.revents(i);
      if (revents === 0) continue;
      this.ready[2 * found] = p.fd(i);
      this.ready[2 * found + 1] = revents;
      found++;
    }
    return found;
  }

  /**
   * Whether to try epoll now: not while a handler whose fd epoll refused is installed, and
   * not again before the set changes after any other failure (the fd limit, memory).
   */
  #mayUpgrade(): boolean {
    for (const fd of this.#refusedFds) if (!this.#nodes.has(fd)) this.#refusedFds.delete(fd);
    return this.#refusedFds.size === 0 && this.#failedAt !== this.#changes;
  }

  /**
   * QEMU's fdmon_epoll_try_upgrade(): moves the whole set to a new epoll instance, all or
   * nothing. If epoll cannot be had (EMFILE at the fd limit) or refuses an fd (EPERM for a
   * regular file, EBADF for a closed one), the context keeps waiting with ppoll, which
   * polls every fd, as QEMU's fdmon_epoll_disable() falls back to poll.
   */
  #upgrade(): void {
    try {
      this.#epfd = ownedEpollCreate();
      for (const fd of this.#own) epollCtl(this.#epfd, EPOLL_CTL_ADD, fd, POLLIN);
      for (const node of this.#nodes.values()) this.#epollUpdate(node.fd, node.events);
    } catch (err) {
      this.#fallBack(err);
      return;
    }
    this.#unpublished = true;
    Atomics.store(this.#state.words, W.EPOLL, 1);
  }

  /** Gives up epoll after `err` (see #upgrade()); the ppoll set is rebuilt and published. */
  #fallBack(err: unknown): void {
    this.#closeEpoll();
    this.#dirty = true;
    Atomics.store(this.#state.words, W.EPOLL, 0);
    const e = err as NodeJS.ErrnoException & { fd?: number };
    if (!e.syscall) throw err; // not a system call's failure: a bug, not a limit
    if (e.fd !== undefined && (e.code === 'EPERM' || e.code === 'EBADF')) this.#refusedFds.add(e.fd);
    this.#failedAt = this.#changes;
  }

  #closeEpoll(): void {
    if (this.#epfd < 0) return;
    closeOwned(this.#epfd);
    this.#epfd = -1;
  }

  /** Keeps the epoll interest list equal to the handlers (events 0: removed). */
  #epollUpdate(fd: number, events: number): void {
    const epfd = this.#epfd;
    try {
      if (events === 0) epollCtl(epfd, EPOLL_CTL_DEL, fd, 0);
      else epollCtl(epfd, EPOLL_CTL_ADD, fd, events);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Already there (a replaced handler): modify instead. Gone (the fd was closed, which
      // drops it from the interest list by itself): nothing left to remove.
      try {
        if (code === 'EEXIST') epollCtl(epfd, EPOLL_CTL_MOD, fd, events);
        else if (!(events === 0 && (code === 'ENOENT' || code === 'EBADF'))) throw err;
      } catch (failure) {
        throw Object.assign(failure as Error, { fd });
      }
    }
  }

  /** Installs, replaces (a new node: the old one is never dispatched again) or removes. */
  set(fd: number, node: HandlerNode | null): void {
    const old = this.#nodes.get(fd);
    if (old) old.deleted = true;
    if (node) this.#nodes.set(fd, node);
    else this.#nodes.delete(fd);
    this.#dirty = true;
    this.#changes++;
    if (this.#epfd >= 0) {
      try {
        this.#epollUpdate(fd, node ? node.events : 0);
        this.#unpublished = true;
      } catch (err) {
        this.#fallBack(err); // the handler is installed either way: ppoll serves it
      }
    }
  }

  /** The poll set for this round; external handlers are left out while disabled. */
  pollSet(externalDisabled: boolean): PollFdArray {
    if (this.#dirty || externalDisabled !== this.#builtDisabled) this.#build(externalDisabled);
    return this.#pollfds;
  }

  #build(externalDisabled: boolean): void {
    const wanted = this.#own.length + this.#nodes.size;
    if (wanted > this.#pollfds.capacity) this.#pollfds = new PollFdArray(Math.max(wanted, 2 * this.#pollfds.capacity));
    const p = this.#pollfds;
    p.length = 0;
    for (const fd of this.#own) p.push(fd, POLLIN);
    for (const node of this.#nodes.values()) {
      if (node.external && externalDisabled) continue; // QEMU aio_node_check()
      p.push(node.fd, node.events);
    }
    this.#dirty = false;
    this.#builtDisabled = externalDisabled;
    this.version++;
    this.#publish(p.length, (i) => p.fd(i), (i) => p.events(i));
  }

  /** Publishes the epoll interest list: the own fds, then every handler. */
  #publishEpoll(): void {
    this.#unpublished = false;
    const entries = [...this.#own.map((fd) => [fd, POLLIN]), ...[...this.#nodes.values()].map((n) => [n.fd, n.events])];
    this.#publish(entries.length, (i) => entries[i][0], (i) => entries[i][1]);
  }

  /** Copies the watched set into shared memory for the hang watchdog and `inspect`. */
  #publish(length: number, fd: (i: number) => number, events: (i: number) => number): void {
    const n = Math.min(length, WATCHED_MAX);
    for (let i = 0; i < n; i++) {
      Atomics.store(this.#state.watched, 2 * i, fd(i));
      Atomics.store(this.#state.watched, 2 * i + 1, events(i));
    }
    Atomics.store(this.#state.words, W.WATCHED_COUNT, length);
  }

  /** Forgets every handler and releases the epoll instance. */
  close(): void {
    for (const node of this.#nodes.values()) node.deleted = true;
    this.#nodes.clear();
    this.#dirty = true;
    this.#closeEpoll();
  }
}
