// sys: the thin typed system-call layer over the addon. Arguments are checked here with
// Node's error codes; failures of the calls themselves are Node-shaped system errors.
export {
  eventfd,
  eventfdRead,
  eventfdWrite,
  EVENTFD_MAX,
  pipe2,
  read,
  write,
  close,
  closeOnThreadExit,
  keepOnThreadExit,
  fencedKick,
  ownedEventfd,
  closeOwned,
} from './fd';
export type { CloseFence, EventfdOptions } from './fd';
export {
  ppoll,
  PollFdArray,
  POLLFD_SIZE,
  PPOLL_INTERRUPTED,
  POLLIN,
  POLLPRI,
  POLLOUT,
  POLLERR,
  POLLHUP,
  POLLNVAL,
  POLLRDHUP,
} from './poll';
export {
  getpid,
  gettid,
  kill,
  tgkill,
  sigqueue,
  sigmask,
  sigpending,
  SIG_BLOCK,
  SIG_UNBLOCK,
  SIG_SETMASK,
  SIGRTMIN,
  SIGRTMAX,
} from './signals';
export type { SigmaskHow } from './signals';
export {
  epollCreate,
  ownedEpollCreate,
  epollCtl,
  epollWait,
  EPOLL_CTL_ADD,
  EPOLL_CTL_MOD,
  EPOLL_CTL_DEL,
  EPOLLIN,
  EPOLLOUT,
  EPOLLERR,
  EPOLLHUP,
} from './epoll';
export { openSignalRelay, relaySubscribers, SignalRelay, RELAY_RECORD_SIZE } from './relay';
export type { SignalRecord } from './relay';
export type { SignalLike } from '../validate';
