// pidfd_open(2) and pidfd_getfd(2): a descriptor for another process, and a duplicate of
// one of its file descriptors. `aio-notify inspect` uses the duplicate to test whether a
// descriptor a parked thread watches is ready (a zero-timeout ppoll), which neither
// signals, stops nor ptrace-attaches the target. pidfd_getfd needs ptrace-attach
// permission over the target (same user, and Yama's ptrace_scope allowing it, or
// CAP_SYS_PTRACE); the error says EPERM otherwise.
//
// The system call numbers are the same on x86_64 and aarch64 (asm-generic): 434, 438.
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "addon.h"
#include "args.h"
#include "errors.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace aio {
namespace {

// pidfdOpen(pid, flags) -> fd (O_CLOEXEC is implied by the kernel)
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int pid = Int32Arg(info, 0, "pid");
  int flags = Int32Arg(info, 1, "flags");
  long fd = syscall(SYS_pidfd_open, pid, flags);
  if (fd < 0) ThrowErrno(info.Env(), errno, "pidfd_open");
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

// pidfdGetfd(pidfd, targetFd) -> a new fd of the caller (O_CLOEXEC set by the kernel)
Napi::Value PidfdGetfd(const Napi::CallbackInfo& info) {
  int pidfd = Int32Arg(info, 0, "pidfd");
  int target = Int32Arg(info, 1, "targetFd");
  long fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
  if (fd < 0) ThrowErrno(info.Env(), errno, "pidfd_getfd");
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

}  // namespace

void InitPidfd(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdGetfd", Napi::Function::New(env, PidfdGetfd, "pidfdGetfd"));
}

}  // namespace aio
