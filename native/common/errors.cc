#include "errors.h"

#include <uv.h>

#include <string>

namespace aio {

void ThrowErrno(Napi::Env env, int err, const char* syscall) {
  // libuv's error codes are negated errno values on Unix, so its tables give
  // exactly the names and texts Node prints for the same failure.
  std::string code = uv_err_name(-err);
  Napi::Error error =
      Napi::Error::New(env, code + ": " + uv_strerror(-err) + ", " + syscall);
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("code", Napi::String::New(env, code));
  error.Set("syscall", Napi::String::New(env, syscall));
  throw error;
}

void ThrowInvalidArg(Napi::Env env, const char* name, const char* expected) {
  Napi::TypeError error = Napi::TypeError::New(
      env, std::string("The \"") + name + "\" argument must be " + expected);
  error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  throw error;
}

}  // namespace aio
