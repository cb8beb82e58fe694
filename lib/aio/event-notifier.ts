// EventNotifier over eventfd (QEMU's util/event_notifier-posix.c).
import { closeOwned, eventfdRead, eventfdWrite, ownedEventfd } from '../sys';
import { closedError } from '../errors';
import { validateBoolean } from '../validate';

export class EventNotifier {
  #fd: number;

  /** A new notifier; `active` starts it set. */
  constructor(active: boolean = false) {
    validateBoolean(active, 'active');
    // Owned by this thread from the start: a terminated worker runs no close().
    this.#fd = ownedEventfd(0, { nonblock: true, cloexec: true });
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
    closeOwned(fd);
  }
}
