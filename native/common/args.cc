#include "args.h"

#include "errors.h"

namespace aio {

int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) ThrowInvalidArg(info.Env(), name, "of type number");
  return info[i].As<Napi::Number>().Int32Value();
}

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) ThrowInvalidArg(info.Env(), name, "of type number");
  return info[i].As<Napi::Number>().DoubleValue();
}

Bytes BytesArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  napi_env env = info.Env();
  napi_value value = info[i];
  bool is = false;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length;
    void* data;
    size_t offset;
    NAPI_THROW_IF_FAILED(env,
                         napi_get_typedarray_info(env, value, &type, &length, &data,
                                                  nullptr, &offset),
                         Bytes{});
    size_t element = 1;
    switch (type) {
      case napi_int16_array:
      case napi_uint16_array:
        element = 2;
        break;
      case napi_int32_array:
      case napi_uint32_array:
      case napi_float32_array:
        element = 4;
        break;
      case napi_float64_array:
      case napi_bigint64_array:
      case napi_biguint64_array:
        element = 8;
        break;
      default:
        break;
    }
    // napi_get_typedarray_info's data already includes the byte offset.
    return Bytes{static_cast<uint8_t*>(data), length * element};
  }
  if (napi_is_dataview(env, value, &is) == napi_ok && is) {
    size_t length;
    void* data;
    NAPI_THROW_IF_FAILED(
        env, napi_get_dataview_info(env, value, &length, &data, nullptr, nullptr),
        Bytes{});
    return Bytes{static_cast<uint8_t*>(data), length};
  }
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) {
    Napi::ArrayBuffer buffer = info[i].As<Napi::ArrayBuffer>();
    return Bytes{static_cast<uint8_t*>(buffer.Data()), buffer.ByteLength()};
  }
  ThrowInvalidArg(info.Env(), name, "an instance of TypedArray, DataView or ArrayBuffer");
}

struct timespec* TimeoutTimespec(double timeout_ns, struct timespec* out) {
  if (timeout_ns < 0) return nullptr;
  // The split is done in integers: a timeout far past 2^53 ns would make
  // ns - floor(ns / 1e9) * 1e9 in doubles fall outside [0, 1e9), a timespec the kernel
  // rejects with EINVAL.
  constexpr double kMaxNs = static_cast<double>(INT32_MAX) * 1e9;
  if (timeout_ns >= kMaxNs) {
    out->tv_sec = INT32_MAX;
    out->tv_nsec = 0;
  } else {
    uint64_t ns = static_cast<uint64_t>(timeout_ns);
    out->tv_sec = static_cast<time_t>(ns / 1000000000u);
    out->tv_nsec = static_cast<long>(ns % 1000000000u);
  }
  return out;
}

sigset_t SigsetArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsArray()) ThrowInvalidArg(info.Env(), name, "an instance of Array");
  Napi::Array signals = info[i].As<Napi::Array>();
  sigset_t set;
  sigemptyset(&set);
  for (uint32_t k = 0; k < signals.Length(); k++) {
    Napi::Value v = signals[k];
    int signo = v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0;
    if (signo < 1 || signo >= NSIG || sigaddset(&set, signo) != 0) {
      Napi::RangeError error = Napi::RangeError::New(
          info.Env(), std::string("The value of \"") + name +
                          "\" is out of range. It must hold signal numbers");
      error.Set("code", Napi::String::New(info.Env(), "ERR_OUT_OF_RANGE"));
      throw error;
    }
  }
  return set;
}

Napi::Array SigsetToArray(Napi::Env env, const sigset_t& set) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (int signo = 1; signo < NSIG; signo++) {
    if (sigismember(&set, signo) == 1) out.Set(n++, Napi::Number::New(env, signo));
  }
  return out;
}

}  // namespace aio
