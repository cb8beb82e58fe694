// The core addon (aio_notify, native/core), loaded once per thread, with the types of what it
// exports. Only lib/sys talks to it; everything above goes through lib/sys. (The tools' harness
// addon, aio_notify_tools, is typed and loaded by lib/tools/native.ts.)
import { loadAddon } from './addon-loader';

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
  /** Whether this thread is Node's main thread (its loop is libuv's default loop). */
  readonly mainThread: boolean;
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

export const native: NativeBinding = loadAddon<NativeBinding>('aio_notify');
