// Readiness of another process's descriptors: pidfd_getfd(2) duplicates one into this
// process, a zero-timeout ppoll asks whether it is ready (consuming nothing), and the
// duplicate is closed. Eventfds need none of that: /proc/<pid>/fdinfo shows their count.
import { close } from '../../sys/fd';
import { pidfdGetfd, pidfdOpen } from '../../sys/pidfd';
import { PollFdArray, ppoll } from '../../sys/poll';

export class RemoteFds {
  readonly pid: number;
  #pidfd = -1;
  /** Why readiness of non-eventfd descriptors is unknown, or null while it works. */
  unavailable: string | null = null;

  constructor(pid: number) {
    this.pid = pid;
    try {
      this.#pidfd = pidfdOpen(pid);
    } catch (error) {
      this.unavailable = `pidfd_open: ${(error as Error).message}`;
    }
  }

  /** revents of `fd` polled for `events` now, or null when that cannot be known. */
  poll(fd: number, events: number): number | null {
    if (this.#pidfd < 0) return null;
    let dup: number;
    try {
      dup = pidfdGetfd(this.#pidfd, fd);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EBADF') return null; // closed meanwhile
      this.unavailable = `pidfd_getfd: ${(error as Error).message}`;
      close(this.#pidfd);
      this.#pidfd = -1;
      return null;
    }
    try {
      const p = new PollFdArray(1);
      p.push(dup, events);
      return ppoll(p, 0) > 0 ? p.revents(0) : 0;
    } finally {
      close(dup);
    }
  }

  close(): void {
    if (this.#pidfd >= 0) close(this.#pidfd);
    this.#pidfd = -1;
  }
}
