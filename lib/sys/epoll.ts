// epoll(7): an interest list kept by the kernel, for event loops with many fds.
import { native } from './native';
import { outOfRange } from '../errors';
import { validateFd, validateInteger } from '../validate';
import { timeoutToNumber } from './poll';

export const { EPOLL_CTL_ADD, EPOLL_CTL_MOD, EPOLL_CTL_DEL, EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP } = native.epollConstants;

/** epoll_create1(EPOLL_CLOEXEC). */
export function epollCreate(): number {
  return native.epollCreate();
}

/** epollCreate() owned by the calling thread, in one call (see ownedEventfd()); closeOwned() releases it. */
export function ownedEpollCreate(): number {
  return native.ownedEpoll();
}

/** epoll_ctl(2); the event's data is `fd` itself. */
export function epollCtl(epfd: number, op: number, fd: number, events: number): void {
  validateFd(epfd, 'epfd');
  if (op !== EPOLL_CTL_ADD && op !== EPOLL_CTL_MOD && op !== EPOLL_CTL_DEL) {
    throw outOfRange('op', 'EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL', op);
  }
  native.epollCtl(epfd, op, validateFd(fd), validateInteger(events, 'events', 0, 2 ** 31 - 1));
}

/**
 * epoll_pwait2(2) (epoll_wait with the timeout rounded up to ms where the kernel lacks it):
 * fills `out` with [fd, events] pairs and returns how many, 0 on timeout, or -1
 * (PPOLL_INTERRUPTED) if a signal interrupted it. Blocks the calling thread, as ppoll.
 */
export function epollWait(epfd: number, out: Int32Array, timeoutNs: number | bigint): number {
  validateFd(epfd, 'epfd');
  if (!(out instanceof Int32Array) || out.length < 2) throw outOfRange('out', 'an Int32Array of [fd, events] pairs', out);
  return native.epollWait(epfd, out, timeoutToNumber(timeoutNs));
}
