// ppoll(2) over a caller-owned buffer in `struct pollfd` layout, so the hot path of an
// event loop allocates nothing per call: the caller fills fd/events once and reads
// revents in place.
#include <errno.h>
#include <poll.h>
#include <signal.h>

#include <cstdint>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace aio {
namespace {

static_assert(sizeof(struct pollfd) == 8, "pollfd layout is fd:i32 events:i16 revents:i16");

// ppoll(pollfds, nfds, timeoutNs, sigmask | null) -> ready count, 0 on timeout, or -1
// when a signal interrupted the wait (EINTR is a result, not an error).
//
// It blocks the calling thread for up to timeoutNs (-1: forever). Call it from a
// worker thread; on the main thread it stalls Node's event loop for that long.
Napi::Value Ppoll(const Napi::CallbackInfo& info) {
  Bytes buf = BytesArg(info, 0, "pollfds");
  double nfds = NumberArg(info, 1, "nfds");
  double timeout_ns = NumberArg(info, 2, "timeoutNs");
  if (nfds < 0 || nfds * sizeof(struct pollfd) > buf.length) {
    ThrowErrno(info.Env(), EINVAL, "ppoll");
  }
  struct timespec ts;
  struct timespec* tsp = TimeoutTimespec(timeout_ns, &ts);
  sigset_t mask;
  sigset_t* maskp = nullptr;
  if (info.Length() > 3 && !info[3].IsNull() && !info[3].IsUndefined()) {
    mask = SigsetArg(info, 3, "sigmask");
    maskp = &mask;
  }
  int r = ppoll(reinterpret_cast<struct pollfd*>(buf.data), static_cast<nfds_t>(nfds), tsp,
                maskp);
  if (r < 0) {
    if (errno == EINTR) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), errno, "ppoll");
  }
  return Napi::Number::New(info.Env(), r);
}

}  // namespace

void InitPpoll(Napi::Env env, Napi::Object exports) {
  exports.Set("ppoll", Napi::Function::New(env, Ppoll, "ppoll"));
  Napi::Object c = Napi::Object::New(env);
  SetInt(c, "POLLIN", POLLIN);
  SetInt(c, "POLLPRI", POLLPRI);
  SetInt(c, "POLLOUT", POLLOUT);
  SetInt(c, "POLLERR", POLLERR);
  SetInt(c, "POLLHUP", POLLHUP);
  SetInt(c, "POLLNVAL", POLLNVAL);
  SetInt(c, "POLLRDHUP", POLLRDHUP);
  exports.Set("pollConstants", c);
}

}  // namespace aio
