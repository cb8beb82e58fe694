// epoll(7), for contexts with many fds (QEMU's fdmon-epoll): the kernel keeps the
// interest list, so a wait costs O(ready), not O(watched) as ppoll does.
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace aio {
namespace {

constexpr int kMaxEvents = 256;

// epoll_pwait2 (Linux 5.11) takes a timespec: nanosecond timeouts, as ppoll. Older
// kernels and emulators answer ENOSYS once; from then on epoll_wait with the timeout
// rounded up to whole milliseconds (never early, like qemu_timeout_ns_to_ms).
std::atomic<bool> g_no_pwait2{false};

// The raw system call, not glibc's wrapper: the wrapper only exists from glibc 2.35, and the
// addon must build and load on glibc 2.28 (native/common/glibc_compat.h). 441 on every architecture
// (the generic syscall table); headers older than Linux 5.11 do not name it.
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

// No signal mask; the last argument is the kernel's sigset size, as glibc's wrapper passes it.
int EpollPwait2(int epfd, struct epoll_event* events, int max, const struct timespec* timeout) {
  return static_cast<int>(syscall(SYS_epoll_pwait2, epfd, events, max, timeout, nullptr, _NSIG / 8));
}

// epollCreate() -> epfd (EPOLL_CLOEXEC)
Napi::Value EpollCreate(const Napi::CallbackInfo& info) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), errno, "epoll_create1");
  return Napi::Number::New(info.Env(), fd);
}

// epollCtl(epfd, op, fd, events): the event's data is the fd itself.
Napi::Value EpollCtl(const Napi::CallbackInfo& info) {
  int epfd = Int32Arg(info, 0, "epfd");
  int op = Int32Arg(info, 1, "op");
  int fd = Int32Arg(info, 2, "fd");
  struct epoll_event ev = {};
  ev.events = static_cast<uint32_t>(Int32Arg(info, 3, "events"));
  ev.data.fd = fd;
  if (epoll_ctl(epfd, op, fd, &ev) != 0) ThrowErrno(info.Env(), errno, "epoll_ctl");
  return info.Env().Undefined();
}

// epollWait(epfd, out: Int32Array of [fd, events] pairs, timeoutNs) -> ready count, 0 on
// timeout, -1 when a signal interrupted the wait. Blocks like ppoll: worker threads.
Napi::Value EpollWait(const Napi::CallbackInfo& info) {
  int epfd = Int32Arg(info, 0, "epfd");
  Bytes out = BytesArg(info, 1, "out");
  double timeout_ns = NumberArg(info, 2, "timeoutNs");
  int max = static_cast<int>(out.length / (2 * sizeof(int32_t)));
  if (max > kMaxEvents) max = kMaxEvents;
  if (max < 1) ThrowErrno(info.Env(), EINVAL, "epoll_wait");
  struct epoll_event events[kMaxEvents];
  int n = -1;
  if (!g_no_pwait2.load(std::memory_order_relaxed)) {
    struct timespec ts;
    struct timespec* tsp = TimeoutTimespec(timeout_ns, &ts);
    n = EpollPwait2(epfd, events, max, tsp);
    if (n < 0 && errno == ENOSYS) g_no_pwait2.store(true, std::memory_order_relaxed);
  }
  if (g_no_pwait2.load(std::memory_order_relaxed)) {
    double ms = timeout_ns < 0 ? -1 : std::ceil(timeout_ns / 1e6);
    n = epoll_wait(epfd, events, max, ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms));
  }
  if (n < 0) {
    if (errno == EINTR) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), errno, "epoll_wait");
  }
  int32_t* pairs = reinterpret_cast<int32_t*>(out.data);
  for (int i = 0; i < n; i++) {
    pairs[2 * i] = events[i].data.fd;
    pairs[2 * i + 1] = static_cast<int32_t>(events[i].events);
  }
  return Napi::Number::New(info.Env(), n);
}

}  // namespace

void InitEpoll(Napi::Env env, Napi::Object exports) {
  exports.Set("epollCreate", Napi::Function::New(env, EpollCreate, "epollCreate"));
  exports.Set("epollCtl", Napi::Function::New(env, EpollCtl, "epollCtl"));
  exports.Set("epollWait", Napi::Function::New(env, EpollWait, "epollWait"));
  Napi::Object c = Napi::Object::New(env);
  SetInt(c, "EPOLL_CTL_ADD", EPOLL_CTL_ADD);
  SetInt(c, "EPOLL_CTL_MOD", EPOLL_CTL_MOD);
  SetInt(c, "EPOLL_CTL_DEL", EPOLL_CTL_DEL);
  SetInt(c, "EPOLLIN", EPOLLIN);
  SetInt(c, "EPOLLOUT", EPOLLOUT);
  SetInt(c, "EPOLLERR", EPOLLERR);
  SetInt(c, "EPOLLHUP", EPOLLHUP);
  exports.Set("epollConstants", c);
}

}  // namespace aio
