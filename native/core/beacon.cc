// State beacons: how a process tells `aio-notify inspect` where the shared state of its
// contexts lives, without any channel the inspector would have to open into it.
//
// A beacon is an empty memfd whose *name* carries the address and length of a shared
// memory block ("aio-notify:v1:<kind>:<hex address>:<bytes>:<label>"). The inspector
// lists /proc/<pid>/fd, finds "/memfd:aio-notify:..." links, and reads those bytes
// through /proc/<pid>/mem: the same permission as reading /proc/<pid>/task/*/syscall,
// and nothing in the target runs, stops or wakes. Closing the memfd retracts the beacon.
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "addon.h"
#include "args.h"
#include "errors.h"

namespace aio {
namespace {

// addressOf(view) -> bigint: the address of the first byte of a TypedArray or DataView
// (a SharedArrayBuffer's backing store never moves).
Napi::Value AddressOf(const Napi::CallbackInfo& info) {
  Bytes bytes = BytesArg(info, 0, "view");
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(bytes.data)));
}

// memfdCreate(name) -> fd, with MFD_CLOEXEC.
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) ThrowInvalidArg(info.Env(), "name", "of type string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) ThrowErrno(info.Env(), errno, "memfd_create");
  return Napi::Number::New(info.Env(), fd);
}

}  // namespace

void InitBeacon(Napi::Env env, Napi::Object exports) {
  exports.Set("addressOf", Napi::Function::New(env, AddressOf, "addressOf"));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
}

}  // namespace aio
