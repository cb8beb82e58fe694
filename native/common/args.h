// Argument unpacking shared by the binding functions. The TypeScript layer (lib/sys)
// validates every argument with Node-style messages first; these are the backstop that
// keeps a direct call into the addon from crashing the process.
#pragma once
#include <napi.h>
#include <signal.h>
#include <time.h>

#include <cstddef>
#include <cstdint>

namespace aio {

int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name);

struct Bytes {
  uint8_t* data;
  size_t length;
};
// A TypedArray, DataView or ArrayBuffer argument, as a byte span.
Bytes BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name);

// A timeout in ns (-1 or any negative: forever) as the timespec ppoll and epoll_pwait2 take:
// null for forever, else `out`, clamped like QEMU's qemu_poll_ns to INT32_MAX seconds.
struct timespec* TimeoutTimespec(double timeout_ns, struct timespec* out);

// An array of signal numbers (1.._NSIG-1) as a sigset_t.
sigset_t SigsetArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// The members of `set`, in increasing order, as a JavaScript array of numbers.
Napi::Array SigsetToArray(Napi::Env env, const sigset_t& set);

}  // namespace aio

namespace aio {
// Sets a numeric constant (the headers define some as enums, which Napi cannot take).
inline void SetInt(Napi::Object object, const char* name, int value) {
  object.Set(name, Napi::Number::New(object.Env(), value));
}
}  // namespace aio
