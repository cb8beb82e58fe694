// The core addon's per-environment state and the registration of its parts. The addon is
// context-aware: every environment (the main thread and each worker) gets its own exports
// and one Addon, created by Init (addon.cc) and torn down by its one cleanup hook, which
// calls the Teardown* functions below in the order written there.
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "relay_core.h"

namespace aio {

// relay.cc: the relay subscriptions this environment has open.
struct RelayState {
  std::unordered_map<uint32_t, relay::Subscription> open;
  uint32_t next_id = 1;
};

// env_fds.cc: a descriptor that other threads may still write through shared memory carries
// a fence, two Int32 words of that memory (see env_fds.cc for the protocol).
struct Fence {
  int32_t* closed;
  int32_t* users;
  // Keeps the shared memory alive until the teardown has run, whoever else drops it.
  Napi::Reference<Napi::Value> keep;
};

// env_fds.cc: the descriptors this environment owns: fd -> its fence, or null.
struct EnvFdsState {
  std::unordered_map<int, std::unique_ptr<Fence>> fds;
};

// loop_attach.cc: the attachments of contexts to this environment's event loop.
struct Attachment;
struct AttachState {
  std::unordered_map<uint32_t, Attachment*> open;
  uint32_t next_id = 1;
};

// Everything the core addon keeps per environment.
struct Addon {
  RelayState relay;
  EnvFdsState env_fds;
  AttachState attach;
};

// Each source file registers its functions on the exports object; those with per-environment
// state get their part of the Addon as the functions' data.
void InitFdio(Napi::Env env, Napi::Object exports);
void InitPpoll(Napi::Env env, Napi::Object exports);
void InitSignals(Napi::Env env, Napi::Object exports);
void InitRelay(Napi::Env env, Napi::Object exports, RelayState* state);
void InitEnvFds(Napi::Env env, Napi::Object exports, EnvFdsState* state);
void InitEpoll(Napi::Env env, Napi::Object exports);
void InitLoopAttach(Napi::Env env, Napi::Object exports, AttachState* state);
void InitPidfd(Napi::Env env, Napi::Object exports);
void InitBeacon(Napi::Env env, Napi::Object exports);

// The environment's teardown, one part each (addon.cc runs them, in its documented order).
// Each leaves its state empty; the environment is still alive while they run.
void TeardownLoopAttach(AttachState& state);
void TeardownEnvFds(EnvFdsState& state);
void TeardownRelay(RelayState& state);

}  // namespace aio
