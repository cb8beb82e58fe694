// Errors thrown by the addon, shaped like Node's own (src/api/exceptions.cc UVException):
//   Error { message: "EBADF: bad file descriptor, close", code: "EBADF", errno: -9, syscall: "close" }
#pragma once
#include <napi.h>

namespace aio {

// Throws the system error `err` (a positive errno value) raised by `syscall`.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall);

// Backstop for arguments the TypeScript layer already validated: a TypeError with
// code ERR_INVALID_ARG_TYPE naming the argument.
[[noreturn]] void ThrowInvalidArg(Napi::Env env, const char* name, const char* expected);

}  // namespace aio
