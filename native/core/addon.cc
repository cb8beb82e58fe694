// Entry point of the aio_notify addon. It is context-aware: every environment (the main
// thread and each worker) gets its own exports and per-environment state, registered by
// each part below together with the cleanup hook that frees it.
#include <napi.h>

#include "modules.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  aio::InitFdio(env, exports);
  aio::InitPpoll(env, exports);
  aio::InitSignals(env, exports);
  aio::InitRelay(env, exports);
  aio::InitEnvFds(env, exports);
  aio::InitEpoll(env, exports);
  aio::InitLoopAttach(env, exports);
  aio::InitHarness(env, exports);
  aio::InitLitmus(env, exports);
  aio::InitProtocol(env, exports);
  aio::InitPidfd(env, exports);
  aio::InitBeacon(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(aio_notify, Init)
