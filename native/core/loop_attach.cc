// Loop attachment: an AioContext run by the calling thread's own Node event loop, the way
// QEMU runs one from a GLib main loop through its GSource (aio_ctx_prepare, aio_ctx_check,
// aio_ctx_dispatch). The addon knows nothing of AioContext: lib/aio/attach.ts passes
//   prepare() -> timeout in ns (-1 infinite, 0 do not block)     aio_ctx_prepare
//   check()                                                     aio_ctx_check + dispatch
// and the fds of the context's poll set. Each iteration of the thread's libuv loop:
//   uv_prepare  prepare(); 0: a uv_idle makes the poll phase non-blocking; > 0: a uv_timer
//               bounds it (ms, rounded up); -1: neither
//   poll phase  sleeps until one of our uv_polls, the timer, or anything of Node's wakes it
//   uv_check    check(), which polls the set itself (ppoll, timeout 0) and dispatches
//
// Ordering (the GSource half of the notify protocol, qemu-aiocontext.md §3.5): prepare()
// sets bit 0 of NOTIFY_ME (a seq_cst RMW) before it reads NOTIFIED, the bottom halves and
// the timers to compute the timeout, and the loop can only sleep after prepare() returns;
// check() clears the bit after the wait. notify() stores NOTIFIED, then loads NOTIFY_ME.
// So a notify() that the timeout computation missed sees bit 0 and writes the eventfd,
// which our uv_poll watches, level-triggered: the write wakes epoll_wait whether it lands
// before or during the sleep. A notify() after check() cleared the bit leaves NOTIFIED
// set, and the next prepare() returns 0.
//
// Handles live on the env's own loop (napi_get_uv_event_loop), so this works in the main
// thread and in workers. detach() (attachClose) stops and closes every handle; the memory
// goes in the close callbacks, which may run after the env is gone (a worker's last loop
// run), so they touch nothing but the handles. A worker that exits while attached is
// detached by the env cleanup hook (TeardownLoopAttach, run by addon.cc), before its loop
// is closed.
#include <poll.h>
#include <uv.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace aio {
namespace {

// One watched fd; `events` are UV_READABLE / UV_WRITABLE.
struct Poll {
  uv_poll_t handle;
  int events;
};

}  // namespace

// Declared in addon.h (AttachState holds them).
struct Attachment {
  Napi::Env env;
  uv_loop_t* loop;
  uv_prepare_t prepare;
  uv_check_t check;
  uv_idle_t idle;
  uv_timer_t timer;
  int open_handles = 4;  // the four above; the last close callback frees us
  std::vector<Poll*> polls;
  Napi::ObjectReference resource;  // receiver of the callbacks (the JS Attachment)
  Napi::FunctionReference prepare_fn;
  Napi::FunctionReference check_fn;
  std::unique_ptr<Napi::AsyncContext> async;
  bool ref = true;
  bool detached = false;

  Attachment(Napi::Env e, uv_loop_t* l) : env(e), loop(l) {}
};

namespace {

void OnHandleClosed(uv_handle_t* h) {
  Attachment* a = static_cast<Attachment*>(h->data);
  if (--a->open_handles == 0) delete a;
}

void OnPollClosed(uv_handle_t* h) { delete static_cast<Poll*>(h->data); }

void OnPoll(uv_poll_t* h, int status, int) {
  // Waking the loop is all a readiness needs to do: check() finds it with its own ppoll.
  // On POLLERR libuv stops the handle (status UV_EBADF) where ppoll keeps reporting the
  // fd; re-arm, so that its handler runs every round until it removes itself, as in poll().
  if (status < 0) uv_poll_start(h, static_cast<Poll*>(h->data)->events, OnPoll);
}

// Calls into JS as Node does from libuv: MakeCallback in the attachment's async context,
// so nextTicks and microtasks run when it returns, and an exception becomes an
// uncaughtException (napi_fatal_exception) instead of a C++ throw out of a uv callback.
// Returns an empty value if it threw.
Napi::Value Call(Attachment* a, const Napi::FunctionReference& fn) {
  try {
    return fn.MakeCallback(a->resource.Value(), {}, *a->async);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(a->env, e.Value());
    return Napi::Value();
  }
}

void OnPrepare(uv_prepare_t* h) {
  Attachment* a = static_cast<Attachment*>(h->data);
  Napi::HandleScope scope(a->env);
  Napi::Value result = Call(a, a->prepare_fn);
  if (a->detached) return;  // an uncaughtException handler may have detached us
  // A throw leaves the timeout unknown: do not block, this once.
  double ns = result.IsNumber() ? result.As<Napi::Number>().DoubleValue() : 0;
  if (ns == 0) {
    uv_timer_stop(&a->timer);
    uv_idle_start(&a->idle, [](uv_idle_t*) {});
    return;
  }
  uv_idle_stop(&a->idle);
  if (ns < 0) {
    uv_timer_stop(&a->timer);
    return;
  }
  // qemu_timeout_ns_to_ms: round up, so the wake-up never comes before the deadline;
  // clamp to INT32_MAX ms (a longer timer is re-armed when it fires).
  double ms = std::fmin(std::ceil(ns / 1e6), INT32_MAX);
  uv_update_time(a->loop);  // prepare() ran JS: count from now, not the iteration start
  uv_timer_start(&a->timer, [](uv_timer_t*) {}, static_cast<uint64_t>(ms), 0);
}

void OnCheck(uv_check_t* h) {
  Attachment* a = static_cast<Attachment*>(h->data);
  Napi::HandleScope scope(a->env);
  Call(a, a->check_fn);
}

void SetRef(uv_handle_t* h, bool ref) {
  if (ref) uv_ref(h);
  else uv_unref(h);
}

void ClosePoll(Poll* p) { uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), OnPollClosed); }

// Stops every handle and releases the JS references (the env is still alive here).
void Detach(Attachment* a) {
  a->detached = true;
  for (Poll* p : a->polls) ClosePoll(p);
  a->polls.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&a->prepare), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&a->check), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&a->idle), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&a->timer), OnHandleClosed);
  a->async.reset();
  a->prepare_fn.Reset();
  a->check_fn.Reset();
  a->resource.Reset();
}

Attachment* Find(const Napi::CallbackInfo& info) {
  AttachState* state = static_cast<AttachState*>(info.Data());
  auto it = state->open.find(static_cast<uint32_t>(Int32Arg(info, 0, "id")));
  if (it == state->open.end()) ThrowInvalidArg(info.Env(), "id", "an open attachment");
  return it->second;
}

// attachOpen(resource: object, prepare: () => number, check: () => void) -> id
// Starts attached and ref'd: like a server, it keeps the loop alive until unref/detach.
Napi::Value AttachOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AttachState* state = static_cast<AttachState*>(info.Data());
  if (!info[0].IsObject()) ThrowInvalidArg(env, "resource", "of type object");
  if (!info[1].IsFunction()) ThrowInvalidArg(env, "prepare", "of type function");
  if (!info[2].IsFunction()) ThrowInvalidArg(env, "check", "of type function");
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) ThrowErrno(env, EINVAL, "uv_loop");

  Attachment* a = new Attachment(env, loop);
  Napi::Object resource = info[0].As<Napi::Object>();
  a->resource = Napi::Persistent(resource);
  a->prepare_fn = Napi::Persistent(info[1].As<Napi::Function>());
  a->check_fn = Napi::Persistent(info[2].As<Napi::Function>());
  a->async = std::make_unique<Napi::AsyncContext>(env, "AioContextAttachment", resource);
  uv_prepare_init(loop, &a->prepare);
  uv_check_init(loop, &a->check);
  uv_idle_init(loop, &a->idle);
  uv_timer_init(loop, &a->timer);
  a->prepare.data = a->check.data = a->idle.data = a->timer.data = a;
  uv_prepare_start(&a->prepare, OnPrepare);
  uv_check_start(&a->check, OnCheck);

  uint32_t id = state->next_id++;
  state->open.emplace(id, a);
  return Napi::Number::New(env, id);
}

// attachSetFds(id, fds: number[], events: number[]) hands the loop a new poll set (POLLIN /
// POLLOUT per fd). Every uv_poll is closed and the set registered afresh: an fd number
// alone does not tell whether it is still the same file (a handler removed, its fd closed
// and the number reused by a new handler, all in one round), and epoll dropped the old
// file when it closed. An fd that left the set (a removed handler, an external one while
// external clients are disabled) is no longer watched. Throws the first libuv error
// (EEXIST: the loop already watches that fd; EPERM: a regular file) after the rest is set.
Napi::Value AttachSetFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Attachment* a = Find(info);
  if (!info[1].IsArray() || !info[2].IsArray()) ThrowInvalidArg(env, "fds", "an instance of Array");
  Napi::Array fds = info[1].As<Napi::Array>();
  Napi::Array events = info[2].As<Napi::Array>();
  for (Poll* p : a->polls) ClosePoll(p);
  a->polls.clear();
  int error = 0;
  const char* syscall = nullptr;
  for (uint32_t i = 0; i < fds.Length(); i++) {
    int fd = fds.Get(i).As<Napi::Number>().Int32Value();
    int e = events.Get(i).As<Napi::Number>().Int32Value();
    Poll* p = new Poll();
    p->handle.data = p;
    p->events = (e & POLLIN ? UV_READABLE : 0) | (e & POLLOUT ? UV_WRITABLE : 0);
    // Note: libuv puts the fd in O_NONBLOCK mode.
    if (int err = uv_poll_init(a->loop, &p->handle, fd)) {
      delete p;
      if (!error) error = err, syscall = "uv_poll_init";
      continue;
    }
    SetRef(reinterpret_cast<uv_handle_t*>(&p->handle), a->ref);
    a->polls.push_back(p);
    if (int err = uv_poll_start(&p->handle, p->events, OnPoll)) {
      if (!error) error = err, syscall = "uv_poll_start";
    }
  }
  if (error) ThrowErrno(env, -error, syscall);
  return env.Undefined();
}

// attachRef(id, ref: boolean): whether the attachment keeps the loop alive.
Napi::Value AttachRef(const Napi::CallbackInfo& info) {
  Attachment* a = Find(info);
  a->ref = info[1].ToBoolean().Value();
  SetRef(reinterpret_cast<uv_handle_t*>(&a->prepare), a->ref);
  SetRef(reinterpret_cast<uv_handle_t*>(&a->check), a->ref);
  SetRef(reinterpret_cast<uv_handle_t*>(&a->idle), a->ref);
  SetRef(reinterpret_cast<uv_handle_t*>(&a->timer), a->ref);
  for (Poll* p : a->polls) SetRef(reinterpret_cast<uv_handle_t*>(&p->handle), a->ref);
  return info.Env().Undefined();
}

// attachClose(id): detaches; a no-op for an id already closed.
Napi::Value AttachClose(const Napi::CallbackInfo& info) {
  AttachState* state = static_cast<AttachState*>(info.Data());
  auto it = state->open.find(static_cast<uint32_t>(Int32Arg(info, 0, "id")));
  if (it != state->open.end()) {
    Detach(it->second);
    state->open.erase(it);
  }
  return info.Env().Undefined();
}

}  // namespace

// A worker that exits while attached: its loop must have no open handles when Node closes
// it, and the JS references must go while the env can still release them (Teardown in
// addon.cc says when this runs).
void TeardownLoopAttach(AttachState& state) {
  for (auto& [id, a] : state.open) Detach(a);
  state.open.clear();
}

void InitLoopAttach(Napi::Env env, Napi::Object exports, AttachState* state) {
  exports.Set("attachOpen", Napi::Function::New(env, AttachOpen, "attachOpen", state));
  exports.Set("attachSetFds", Napi::Function::New(env, AttachSetFds, "attachSetFds", state));
  exports.Set("attachRef", Napi::Function::New(env, AttachRef, "attachRef", state));
  exports.Set("attachClose", Napi::Function::New(env, AttachClose, "attachClose", state));
}

}  // namespace aio
