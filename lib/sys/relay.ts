// The signal relay (DESIGN.md, "SIGIO kick"): each delivered signal becomes a 128-byte
// `signalfd_siginfo` record on this relay's pipe, so a poller asleep in ppoll wakes on
// it. While any relay for a signal is open, that signal never kills the process.
// How it shares dispositions with Node and libuv: docs/robustness.md, "Signal dispositions".
import { constants } from 'node:os';
import { native } from './native';
import { closedError, outOfRange } from '../errors';
import { SignalLike, signalName, validateSignal, validateSignals } from '../validate';

/** One delivered signal, decoded from its `signalfd_siginfo` record. */
export interface SignalRecord {
  signo: number;
  name: string;
  errno: number;
  /** si_code: 0 (SI_USER) for kill(2), -6 (SI_TKILL) for tgkill(2), > 0 from the kernel. */
  code: number;
  /** Sender's pid and uid, for signals sent by a process. */
  pid: number;
  uid: number;
  /** For a kernel-raised SIGIO: the descriptor and its poll band. */
  fd: number;
  band: number;
  /** For sigqueue(3) (code SI_QUEUE): the value sent, else 0n. */
  value: bigint;
}

/** signalfd_siginfo byte offsets. */
const SSI_CODE = 8;
const SSI_PTR = 48;
const SI_QUEUE = -1;

export const RELAY_RECORD_SIZE: number = native.RELAY_RECORD_SIZE;
const RECORDS_PER_READ = 16;

function decode(view: DataView, offset: number): SignalRecord {
  const signo = view.getUint32(offset, true);
  return {
    signo,
    name: signalName(signo),
    errno: view.getInt32(offset + 4, true),
    code: view.getInt32(offset + 8, true),
    pid: view.getUint32(offset + 12, true),
    uid: view.getUint32(offset + 16, true),
    fd: view.getInt32(offset + 20, true),
    band: view.getUint32(offset + 28, true),
    value: view.getBigUint64(offset + SSI_PTR, true),
  };
}

export class SignalRelay {
  /** The read end of the pipe (O_NONBLOCK | O_CLOEXEC): poll it for POLLIN. */
  readonly fd: number;
  readonly signals: readonly number[];
  #id: number;
  #buffer = new Uint8Array(RECORDS_PER_READ * RELAY_RECORD_SIZE);
  #view = new DataView(this.#buffer.buffer);
  /** handlerReplaced as close() left it. */
  #replacedAtClose = 0;

  /** @internal use openSignalRelay() */
  constructor(signals: number[]) {
    [this.#id, this.fd] = native.relayOpen(signals);
    this.signals = Object.freeze(signals.slice());
  }

  get closed(): boolean {
    return this.#id === 0;
  }

  /**
   * How many times, since this relay opened, another handler was found installed in place of
   * the relay's for one of its signals (Node's `process.on(signal)`, libuv's SIGCHLD watcher
   * of `child_process`, another library's sigaction). Signals that reached that handler in the
   * meantime made no record here. Each time, the relay took the signal back and now chains to
   * that handler. Reading this checks the relay's signals first (and takes them back); after
   * close() it is the count close() found.
   */
  get handlerReplaced(): number {
    if (this.#id === 0) return this.#replacedAtClose;
    return native.relayReplaced(this.#id) ?? 0;
  }

  /** Drains the pipe without blocking and discards the records; true if there were any. */
  drain(): boolean {
    let any = false;
    while (this.#fill() > 0) any = true;
    return any;
  }

  /**
   * Drains the pipe like drain(), and tells whether one of the records was a sigqueue(3)
   * carrying `value`: 0 no record, 1 records but none with `value`, 2 one with it.
   */
  drainFor(value: bigint): 0 | 1 | 2 {
    let found: 0 | 1 | 2 = 0;
    const view = this.#view;
    for (let n = this.#fill(); n > 0; n = this.#fill()) {
      if (found === 0) found = 1;
      for (let off = 0; off + RELAY_RECORD_SIZE <= n; off += RELAY_RECORD_SIZE) {
        if (view.getInt32(off + SSI_CODE, true) === SI_QUEUE && view.getBigUint64(off + SSI_PTR, true) === value) found = 2;
      }
    }
    return found;
  }

  /** Every record waiting in the pipe, oldest first; [] when none is (never blocks). */
  read(): SignalRecord[] {
    const out: SignalRecord[] = [];
    const view = this.#view;
    // The relay writes whole records (128 bytes < PIPE_BUF, so each write is atomic).
    for (let n = this.#fill(); n > 0; n = this.#fill()) {
      for (let off = 0; off + RELAY_RECORD_SIZE <= n; off += RELAY_RECORD_SIZE) out.push(decode(view, off));
    }
    return out;
  }

  /** One read into the buffer: the bytes read, 0 once the pipe is empty. */
  #fill(): number {
    if (this.#id === 0) throw closedError('SignalRelay');
    return native.read(this.fd, this.#buffer) ?? 0;
  }

  /**
   * Unsubscribes and closes the pipe. The last relay of a signal puts back the handler its own
   * displaced, if its own is still installed; a handler that replaced it stays. Idempotent.
   */
  close(): void {
    if (this.#id === 0) return;
    this.#replacedAtClose = native.relayClose(this.#id) ?? 0;
    this.#id = 0;
  }
}

// Signals no handler may take: SIGKILL and SIGSTOP cannot be caught, a fault handler that
// returns re-runs the faulting instruction forever, and 32..SIGRTMIN-1 belong to the C
// library. The addon refuses them too (EINVAL); here they are argument errors, like any
// other out-of-range signal.
const { SIGRTMIN } = native.signalConstants;
const UNRELAYABLE: ReadonlySet<number> = new Set(
  ['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGTRAP'].map((n) => validateSignal(n)),
);

/** Opens a relay for `signals` (default ['SIGIO']). */
export function openSignalRelay(signals: SignalLike[] = ['SIGIO']): SignalRelay {
  const numbers = validateSignals(signals, 'signals');
  if (numbers.length === 0) throw outOfRange('signals', 'a non-empty array', signals);
  numbers.forEach((signo, i) => {
    if (UNRELAYABLE.has(signo) || (signo >= 32 && signo < SIGRTMIN)) {
      throw outOfRange(
        `signals[${i}]`,
        'a signal a handler can catch (not SIGKILL, SIGSTOP, a fault, or one reserved by the C library)',
        signals[i],
      );
    }
  });
  return new SignalRelay([...new Set(numbers)]);
}

/** How many relays, across all threads, are open for `signal` now. */
export function relaySubscribers(signal: SignalLike): number {
  return native.relayCount(validateSignal(signal, 'signal'));
}

// Node's process.on(signal): its own 'newListener' / 'removeListener' listeners, registered at
// bootstrap (main thread only: workers never start one), start the signal's uv_signal with the
// first listener and stop it with the last, synchronously. libuv then installs its handler over
// ours, or SIG_DFL (deadly for SIGIO) when no uv_signal of the signal is left. Ours run after
// Node's, so they see the new disposition and take a relayed signal straight back: records keep
// flowing, Node's listeners still run (ours chains to libuv's handler), and a removal never
// leaves a relayed signal at SIG_DFL. No-op for a signal without open relays.
function rearmIfSignal(type: string | symbol): void {
  if (typeof type === 'string' && Object.hasOwn(constants.signals, type)) {
    native.relayRearm(constants.signals[type as NodeJS.Signals]);
  }
}
if (native.mainThread) {
  process.on('newListener', rearmIfSignal);
  process.on('removeListener', rearmIfSignal);
}
