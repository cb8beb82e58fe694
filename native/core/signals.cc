// Process and thread identity, signal sending, and the calling thread's signal mask.
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "relay_core.h"

namespace aio {
namespace {

Napi::Value GetPid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), getpid());
}

// The kernel thread id of the calling JavaScript thread (main or worker).
Napi::Value GetTid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(syscall(SYS_gettid)));
}

Napi::Value Kill(const Napi::CallbackInfo& info) {
  int pid = Int32Arg(info, 0, "pid");
  int signo = Int32Arg(info, 1, "signal");
  if (kill(pid, signo) != 0) ThrowErrno(info.Env(), errno, "kill");
  if (pid == 0 || pid == getpid()) relay::NoteSelfSignal(signo);
  return info.Env().Undefined();
}

// sigqueue(pid, signal, value: bigint): a process-directed signal carrying a 64-bit value
// (si_code SI_QUEUE; the relay's records report it as ssi_ptr).
Napi::Value Sigqueue(const Napi::CallbackInfo& info) {
  int pid = Int32Arg(info, 0, "pid");
  int signo = Int32Arg(info, 1, "signal");
  if (!info[2].IsBigInt()) ThrowInvalidArg(info.Env(), "value", "of type bigint");
  bool lossless = false;
  uint64_t value = info[2].As<Napi::BigInt>().Uint64Value(&lossless);
  union sigval sv;
  sv.sival_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(value));
  if (sigqueue(pid, signo, sv) != 0) ThrowErrno(info.Env(), errno, "sigqueue");
  if (pid == getpid()) relay::NoteSelfSignal(signo);
  return info.Env().Undefined();
}

Napi::Value Tgkill(const Napi::CallbackInfo& info) {
  int tgid = Int32Arg(info, 0, "tgid");
  int tid = Int32Arg(info, 1, "tid");
  int signo = Int32Arg(info, 2, "signal");
  if (syscall(SYS_tgkill, tgid, tid, signo) != 0) ThrowErrno(info.Env(), errno, "tgkill");
  if (tgid == getpid()) relay::NoteSelfSignal(signo);
  return info.Env().Undefined();
}

// sigmask(how, signals) -> the previous mask of the calling thread, as signal numbers.
Napi::Value Sigmask(const Napi::CallbackInfo& info) {
  int how = Int32Arg(info, 0, "how");
  sigset_t set = SigsetArg(info, 1, "signals");
  sigset_t old;
  int err = pthread_sigmask(how, &set, &old);  // returns the error; errno is untouched
  if (err != 0) ThrowErrno(info.Env(), err, "pthread_sigmask");
  return SigsetToArray(info.Env(), old);
}

// sigpending() -> signals pending for the calling thread or the process.
Napi::Value Sigpending(const Napi::CallbackInfo& info) {
  sigset_t set;
  if (sigpending(&set) != 0) ThrowErrno(info.Env(), errno, "sigpending");
  return SigsetToArray(info.Env(), set);
}

}  // namespace

void InitSignals(Napi::Env env, Napi::Object exports) {
  exports.Set("getpid", Napi::Function::New(env, GetPid, "getpid"));
  exports.Set("gettid", Napi::Function::New(env, GetTid, "gettid"));
  exports.Set("kill", Napi::Function::New(env, Kill, "kill"));
  exports.Set("tgkill", Napi::Function::New(env, Tgkill, "tgkill"));
  exports.Set("sigqueue", Napi::Function::New(env, Sigqueue, "sigqueue"));
  exports.Set("sigmask", Napi::Function::New(env, Sigmask, "sigmask"));
  exports.Set("sigpending", Napi::Function::New(env, Sigpending, "sigpending"));
  Napi::Object c = Napi::Object::New(env);
  SetInt(c, "SIG_BLOCK", SIG_BLOCK);
  SetInt(c, "SIG_UNBLOCK", SIG_UNBLOCK);
  SetInt(c, "SIG_SETMASK", SIG_SETMASK);
  SetInt(c, "NSIG", NSIG);
  SetInt(c, "SIGRTMIN", SIGRTMIN);
  SetInt(c, "SIGRTMAX", SIGRTMAX);
  exports.Set("signalConstants", c);
}

}  // namespace aio
