// Descriptors owned by an environment (a thread running JavaScript): closed by the core
// addon's env cleanup hook (TeardownEnvFds below, run by Teardown in addon.cc) if
// JavaScript never closed them. A terminated worker runs no `finally` block and no
// close(); without this, every context it had open would leak its eventfd.
//
// A descriptor that other threads may still write through shared memory (a context's
// eventfd, which any AioContextRef kicks) carries a fence: two Int32 words of that memory,
// `closed` and `users`. Before any descriptor is closed, the teardown stores 1 to every
// fence's `closed` and waits until its `users` is 0, exactly as lib/aio/notify.ts
// closeShared() does on an ordinary close. The writers raise `users`, then load `closed`
// (seq_cst, kick() in notify.ts); we store `closed`, then load `users` (seq_cst here, the
// same instructions as JavaScript's Atomics): either a writer sees `closed` and writes
// nothing, or we see it and wait for its write to finish. So no thread can write to the
// number after it is closed and, maybe, reused by a file the process opens next.
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <memory>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "relay_core.h"

namespace aio {
namespace {

// closeOnThreadExit(fd[, words, closedIndex, usersIndex])
Napi::Value CloseOnThreadExit(const Napi::CallbackInfo& info) {
  EnvFdsState* state = static_cast<EnvFdsState*>(info.Data());
  int fd = Int32Arg(info, 0, "fd");
  std::unique_ptr<Fence> fence;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    Bytes words = BytesArg(info, 1, "fence.words");
    int32_t closed = Int32Arg(info, 2, "fence.closed");
    int32_t users = Int32Arg(info, 3, "fence.users");
    size_t count = words.length / sizeof(int32_t);
    if (closed < 0 || users < 0 || static_cast<size_t>(closed) >= count || static_cast<size_t>(users) >= count ||
        reinterpret_cast<uintptr_t>(words.data) % alignof(int32_t) != 0) {
      ThrowInvalidArg(info.Env(), "fence", "an aligned Int32Array holding the closed and users words");
    }
    int32_t* base = reinterpret_cast<int32_t*>(words.data);
    fence.reset(new Fence{base + closed, base + users, Napi::Persistent(info[1])});
  }
  state->fds[fd] = std::move(fence);
  return info.Env().Undefined();
}

// fencedKick(words, closedIndex, usersIndex, fdIndex, signo, pid, value) -> 0 if closed,
// 1 if the eventfd words[fdIndex] was written, 2 if, also, `signo` was sigqueue()d to `pid`
// with `value` (signo 0: none). The writer's half of the fence, in one native call: a
// JavaScript thread terminated in the middle of it (a worker's terminate(), or process
// exit) cannot leave `users` raised, which would stall the closer for ever.
Napi::Value FencedKick(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Bytes words = BytesArg(info, 0, "words");
  const size_t count = words.length / sizeof(int32_t);
  int32_t index[3];
  for (int i = 0; i < 3; i++) {
    index[i] = Int32Arg(info, 1 + i, "index");
    if (index[i] < 0 || static_cast<size_t>(index[i]) >= count) ThrowInvalidArg(env, "index", "a word of `words`");
  }
  int signo = Int32Arg(info, 4, "signal");
  int pid = Int32Arg(info, 5, "pid");
  bool lossless = false;
  uint64_t value = info[6].IsBigInt() ? info[6].As<Napi::BigInt>().Uint64Value(&lossless) : 0;
  int32_t* w = reinterpret_cast<int32_t*>(words.data);
  int32_t* closed = w + index[0];
  int32_t* users = w + index[1];
  // Pairs with the closer (TeardownEnvFds below, closeShared() in lib/aio/notify.ts): we
  // raise `users`, then load `closed`; it stores `closed`, then loads `users` (all seq_cst).
  __atomic_add_fetch(users, 1, __ATOMIC_SEQ_CST);
  int result = 0;
  if (__atomic_load_n(closed, __ATOMIC_SEQ_CST) == 0) {
    const uint64_t one = 1;
    // EAGAIN (counter full) is a pending wake-up too; any other failure is the caller's
    // to see in the stats (a kick that did not land), not a reason to throw mid-notify.
    ssize_t n;
    do n = write(__atomic_load_n(w + index[2], __ATOMIC_SEQ_CST), &one, sizeof one);
    while (n < 0 && errno == EINTR);
    result = 1;
    if (signo > 0) {
      union sigval sv;
      sv.sival_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(value));
      relay::NoteSelfSignal(signo);
      if (sigqueue(pid, signo, sv) == 0) result = 2;
    }
  }
  __atomic_sub_fetch(users, 1, __ATOMIC_SEQ_CST);
  return Napi::Number::New(env, result);
}

Napi::Value KeepOnThreadExit(const Napi::CallbackInfo& info) {
  static_cast<EnvFdsState*>(info.Data())->fds.erase(Int32Arg(info, 0, "fd"));
  return info.Env().Undefined();
}

// Creating a descriptor and making the thread own it, or giving it up and closing it, are one
// native call each: a JavaScript thread can be terminated between any two calls, and a
// descriptor created but not yet owned (or no longer owned but not yet closed) would leak.

// ownedEventfd(initval, flags) -> fd, owned by the calling thread.
Napi::Value OwnedEventfd(const Napi::CallbackInfo& info) {
  int fd = eventfd(static_cast<unsigned>(NumberArg(info, 0, "initval")), Int32Arg(info, 1, "flags"));
  if (fd < 0) ThrowErrno(info.Env(), errno, "eventfd");
  static_cast<EnvFdsState*>(info.Data())->fds[fd] = nullptr;
  return Napi::Number::New(info.Env(), fd);
}

// ownedEpoll() -> an epoll fd (EPOLL_CLOEXEC), owned by the calling thread.
Napi::Value OwnedEpoll(const Napi::CallbackInfo& info) {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), errno, "epoll_create1");
  static_cast<EnvFdsState*>(info.Data())->fds[fd] = nullptr;
  return Napi::Number::New(info.Env(), fd);
}

// closeOwned(fd): the thread gives `fd` up and closes it.
Napi::Value CloseOwned(const Napi::CallbackInfo& info) {
  int fd = Int32Arg(info, 0, "fd");
  static_cast<EnvFdsState*>(info.Data())->fds.erase(fd);
  if (close(fd) != 0 && errno != EINTR) ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

}  // namespace

// The closer's half of the fence for every descriptor the environment still owns, then the
// close (Teardown in addon.cc says when this runs: before the relays go).
void TeardownEnvFds(EnvFdsState& state) {
  for (auto& [fd, fence] : state.fds) {
    if (!fence) continue;
    __atomic_store_n(fence->closed, 1, __ATOMIC_SEQ_CST);
    // A write is one or two system calls long: yield rather than sleep.
    while (__atomic_load_n(fence->users, __ATOMIC_SEQ_CST) != 0) sched_yield();
  }
  for (auto& [fd, fence] : state.fds) {
    close(fd);
    if (fence) fence->keep.SuppressDestruct();  // the environment frees its references itself
  }
  state.fds.clear();
}

void InitEnvFds(Napi::Env env, Napi::Object exports, EnvFdsState* state) {
  exports.Set("closeOnThreadExit",
              Napi::Function::New(env, CloseOnThreadExit, "closeOnThreadExit", state));
  exports.Set("keepOnThreadExit",
              Napi::Function::New(env, KeepOnThreadExit, "keepOnThreadExit", state));
  exports.Set("ownedEventfd", Napi::Function::New(env, OwnedEventfd, "ownedEventfd", state));
  exports.Set("ownedEpoll", Napi::Function::New(env, OwnedEpoll, "ownedEpoll", state));
  exports.Set("closeOwned", Napi::Function::New(env, CloseOwned, "closeOwned", state));
  exports.Set("fencedKick", Napi::Function::New(env, FencedKick, "fencedKick"));
}

}  // namespace aio
