// File-descriptor primitives: eventfd(2), pipe2(2), read(2)/write(2) of small buffers,
// close(2). Would-block comes back as a value (null / false), never as an exception:
// it is the normal answer of a non-blocking fd. EINTR is retried here.
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace aio {
namespace {

// eventfd(initval, flags) -> fd
Napi::Value Eventfd(const Napi::CallbackInfo& info) {
  double initval = NumberArg(info, 0, "initval");
  int flags = Int32Arg(info, 1, "flags");
  int fd = eventfd(static_cast<unsigned int>(initval), flags);
  if (fd < 0) ThrowErrno(info.Env(), errno, "eventfd");
  return Napi::Number::New(info.Env(), fd);
}

// eventfdRead(fd) -> bigint counter value, or null when it would block.
Napi::Value EventfdRead(const Napi::CallbackInfo& info) {
  int fd = Int32Arg(info, 0, "fd");
  uint64_t value;
  ssize_t n;
  do n = read(fd, &value, sizeof value);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return info.Env().Null();
    ThrowErrno(info.Env(), errno, "read");
  }
  if (n != sizeof value) ThrowErrno(info.Env(), EINVAL, "read");
  return Napi::BigInt::New(info.Env(), value);
}

// eventfdWrite(fd, value: bigint) -> true, or false when the counter would overflow.
Napi::Value EventfdWrite(const Napi::CallbackInfo& info) {
  int fd = Int32Arg(info, 0, "fd");
  if (!info[1].IsBigInt()) ThrowInvalidArg(info.Env(), "value", "of type bigint");
  bool lossless;
  uint64_t value = info[1].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) ThrowErrno(info.Env(), EINVAL, "write");
  ssize_t n;
  do n = write(fd, &value, sizeof value);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return Napi::Boolean::New(info.Env(), false);
    ThrowErrno(info.Env(), errno, "write");
  }
  return Napi::Boolean::New(info.Env(), true);
}

// pipe2(flags) -> [readFd, writeFd]
Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  int flags = Int32Arg(info, 0, "flags");
  int fds[2];
  if (pipe2(fds, flags) != 0) ThrowErrno(info.Env(), errno, "pipe2");
  Napi::Array out = Napi::Array::New(info.Env(), 2);
  out.Set(0u, Napi::Number::New(info.Env(), fds[0]));
  out.Set(1u, Napi::Number::New(info.Env(), fds[1]));
  return out;
}

// read(fd, bytes) -> bytes read (0 at end of file), or null when it would block.
Napi::Value Read(const Napi::CallbackInfo& info) {
  int fd = Int32Arg(info, 0, "fd");
  Bytes buf = BytesArg(info, 1, "buffer");
  ssize_t n;
  do n = read(fd, buf.data, buf.length);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return info.Env().Null();
    ThrowErrno(info.Env(), errno, "read");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// write(fd, bytes) -> bytes written, or null when it would block.
Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd = Int32Arg(info, 0, "fd");
  Bytes buf = BytesArg(info, 1, "buffer");
  ssize_t n;
  do n = write(fd, buf.data, buf.length);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return info.Env().Null();
    ThrowErrno(info.Env(), errno, "write");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = Int32Arg(info, 0, "fd");
  // No retry on EINTR: on Linux the descriptor is released even then, and a retry
  // could close a descriptor another thread has just been given.
  if (close(fd) != 0 && errno != EINTR) ThrowErrno(info.Env(), errno, "close");
  return info.Env().Undefined();
}

}  // namespace

void InitFdio(Napi::Env env, Napi::Object exports) {
  exports.Set("eventfd", Napi::Function::New(env, Eventfd, "eventfd"));
  exports.Set("eventfdRead", Napi::Function::New(env, EventfdRead, "eventfdRead"));
  exports.Set("eventfdWrite", Napi::Function::New(env, EventfdWrite, "eventfdWrite"));
  exports.Set("pipe2", Napi::Function::New(env, Pipe2, "pipe2"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));

  Napi::Object c = Napi::Object::New(env);
  SetInt(c, "EFD_NONBLOCK", EFD_NONBLOCK);
  SetInt(c, "EFD_CLOEXEC", EFD_CLOEXEC);
  SetInt(c, "EFD_SEMAPHORE", EFD_SEMAPHORE);
  SetInt(c, "O_NONBLOCK", O_NONBLOCK);
  SetInt(c, "O_CLOEXEC", O_CLOEXEC);
  exports.Set("fdConstants", c);
}

}  // namespace aio
