// EventNotifier over eventfd (QEMU's util/event_notifier-posix.c).
import { close, closeOnThreadExit, eventfd, eventfdRead, eventfdWrite, keepOnThreadExit } from '../sys';
import { closedError } from '../errors';
import { validateBoolean } from '../validate';

export class EventNotifier {
  #fd: number;

  /** A new notifier; `active` starts it set. */
  constructor(active: boolean = false) {
    validateBoolean(active, 'active');
    this.#fd = eventfd(0, { nonblock: true, cloexec: true });
    closeOnThreadExit(this.#fd); // a terminated worker runs no close()
    if (active) this.set();
  }

  /** The eventfd: readable (POLLIN) while the notifier is set. */
  get fd(): number {
    if (this.#fd < 0) throw closedError('EventNotifier');
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /** event_notifier_set(). A full counter (EAGAIN) already means "set": success. */
  set(): void {
    eventfdWrite(this.fd, 1n);
  }

  /** event_notifier_test_and_clear(): true if it was set; it is clear afterwards. */
  testAndClear(): boolean {
    return eventfdRead(this.fd) !== null;
  }

  /** Closes the eventfd. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    keepOnThreadExit(fd);
    close(fd);
  }
}
