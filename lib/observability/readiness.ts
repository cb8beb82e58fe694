// Which of some descriptors are ready now: one ppoll(2) with a zero timeout, which never
// consumes anything (an eventfd's count, a pipe's bytes stay where they are).
import { PollFdArray, POLLERR, POLLHUP, POLLIN, POLLNVAL, ppoll } from '../sys/poll';

export const READABLE = POLLIN | POLLHUP | POLLERR;

/** The subset of `fds` ready for `events` now (a closed fd, POLLNVAL, counts as not ready). */
export function readyNow(fds: readonly number[], events = READABLE): Set<number> {
  const unique = [...new Set(fds.filter((fd) => fd >= 0))];
  const ready = new Set<number>();
  if (unique.length === 0) return ready;
  const p = new PollFdArray(unique.length);
  for (const fd of unique) p.push(fd, events);
  if (ppoll(p, 0) <= 0) return ready;
  for (let i = 0; i < unique.length; i++) {
    const r = p.revents(i);
    if (r && !(r & POLLNVAL)) ready.add(unique[i]);
  }
  return ready;
}
