// The addon, loaded once per thread, with the types of what it exports. Only lib/sys
// and the tools' harness types (lib/tools/native.ts) talk to it; everything above goes through lib/sys.
import bindings from 'bindings';
import { findPrebuilt, prebuiltTarget } from './prebuilt';

export interface NativeBinding {
  eventfd(initval: number, flags: number): number;
  eventfdRead(fd: number): bigint | null;
  eventfdWrite(fd: number, value: bigint): boolean;
  pipe2(flags: number): [number, number];
  read(fd: number, buffer: ArrayBufferView): number | null;
  write(fd: number, buffer: ArrayBufferView): number | null;
  close(fd: number): void;
  ppoll(pollfds: ArrayBufferView, nfds: number, timeoutNs: number, sigmask: number[] | null): number;
  getpid(): number;
  gettid(): number;
  kill(pid: number, signo: number): void;
  tgkill(tgid: number, tid: number, signo: number): void;
  sigqueue(pid: number, signo: number, value: bigint): void;
  sigmask(how: number, signals: number[]): number[];
  sigpending(): number[];
  closeOnThreadExit(fd: number, words?: Int32Array, closed?: number, users?: number): void;
  keepOnThreadExit(fd: number): void;
  ownedEventfd(initval: number, flags: number): number;
  ownedEpoll(): number;
  closeOwned(fd: number): void;
  fencedKick(words: Int32Array, closed: number, users: number, fd: number, signo: number, pid: number, value: bigint): 0 | 1 | 2;
  epollCreate(): number;
  epollCtl(epfd: number, op: number, fd: number, events: number): void;
  epollWait(epfd: number, out: Int32Array, timeoutNs: number): number;
  readonly epollConstants: Readonly<
    Record<'EPOLL_CTL_ADD' | 'EPOLL_CTL_MOD' | 'EPOLL_CTL_DEL' | 'EPOLLIN' | 'EPOLLOUT' | 'EPOLLERR' | 'EPOLLHUP', number>
  >;
  relayOpen(signals: number[]): [id: number, fd: number];
  relayClose(id: number): number | null;
  relayReplaced(id: number): number | null;
  relayRearm(signo: number): boolean;
  relayCount(signo: number): number;
  readonly RELAY_RECORD_SIZE: number;
  /** Loop attachment (loop_attach.cc): prepare() returns a timeout in ns (-1 infinite). */
  attachOpen(resource: object, prepare: () => number, check: () => void): number;
  attachSetFds(id: number, fds: number[], events: number[]): void;
  attachRef(id: number, ref: boolean): void;
  attachClose(id: number): void;
  /** State beacons (beacon.cc). */
  addressOf(view: ArrayBufferView): bigint;
  memfdCreate(name: string): number;
  readonly fdConstants: Readonly<Record<'EFD_NONBLOCK' | 'EFD_CLOEXEC' | 'EFD_SEMAPHORE' | 'O_NONBLOCK' | 'O_CLOEXEC', number>>;
  readonly pollConstants: Readonly<
    Record<'POLLIN' | 'POLLPRI' | 'POLLOUT' | 'POLLERR' | 'POLLHUP' | 'POLLNVAL' | 'POLLRDHUP', number>
  >;
  readonly signalConstants: Readonly<
    Record<'SIG_BLOCK' | 'SIG_UNBLOCK' | 'SIG_SETMASK' | 'NSIG' | 'SIGRTMIN' | 'SIGRTMAX', number>
  >;
}

// First line of an error, without the 13 paths `bindings` lists when it finds nothing.
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (text.startsWith('Could not locate the bindings file')) return 'none (build/Release/aio_notify.node does not exist)';
  return text.split('\n')[0];
}

/** The prebuilt binary that fits this machine, else the source build (node-gyp's build/,
 * found by `bindings`); if neither loads, one error that says what is missing and the ways out. */
function load(): NativeBinding {
  const prebuilt = findPrebuilt();
  let prebuiltProblem: string;
  if ('path' in prebuilt) {
    try {
      return require(prebuilt.path) as NativeBinding;
    } catch (err) {
      prebuiltProblem = `${prebuilt.path} does not load: ${firstLine(err)}`;
    }
  } else {
    prebuiltProblem = prebuilt.reason;
  }
  try {
    return bindings('aio_notify') as NativeBinding;
  } catch (err) {
    throw new Error(
      `aio-notify: no native addon loads on ${prebuiltTarget()} (Node ${process.version}).\n` +
        `  prebuilt binary: ${prebuiltProblem}\n` +
        `  source build: ${firstLine(err)}\n` +
        'Two ways out:\n' +
        '  1. run on Linux x64 or arm64 with glibc 2.28 or later, where the prebuilt binary loads without a build;\n' +
        '  2. build it from source: install python3, make and a C++ compiler (g++), then run\n' +
        '     `npm rebuild aio-notify` (install scripts must be allowed; the build replaces the prebuilt binary).',
    );
  }
}

export const native: NativeBinding = load();
