// Entry point of the core addon, aio_notify: the library's system calls, the signal relay,
// the descriptors an environment owns, epoll, loop attachment, pidfd and beacons. (The
// tools' measurement harnesses are another addon, aio_notify_tools: native/tools.)
//
// It is context-aware: every environment (the main thread and each worker) gets its own
// exports and one Addon (addon.h) holding all of its per-environment state, freed by one
// env cleanup hook that tears the parts down in the order written in Teardown() below.
// (A cleanup hook, not an instance-data finalizer: the hooks run while the environment can
// still release references and before its loop is closed, and this one, registered in Init,
// runs before the hooks Node-API registered when it loaded the module.)
#include <napi.h>

#include "addon.h"

namespace {

void Teardown(aio::Addon* addon) {
  // 1. Loop attachments: every handle on the environment's loop is stopped and closed, and
  //    the JavaScript references released, while the environment can still release them
  //    and before Node closes the loop. First, so that libuv stops watching each descriptor
  //    (its uv_polls) while that descriptor is still open: step 2 closes the contexts'
  //    eventfds, which an attachment's uv_poll watches.
  aio::TeardownLoopAttach(addon->attach);
  // 2. Descriptors the environment owns (env_fds.cc): every fence is closed in its shared
  //    state, then every descriptor closed. Before the relays (step 3): every context is
  //    closed in its shared state before its SIGIO relay goes, so no ref can send a SIGIO
  //    kick that no relay would take.
  aio::TeardownEnvFds(addon->env_fds);
  // 3. Relay subscriptions: a worker that exits with relays open must not leave its pipes
  //    in the slot table, nor the process-wide handler installed on their behalf.
  aio::TeardownRelay(addon->relay);
  delete addon;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  aio::Addon* addon = new aio::Addon();
  env.AddCleanupHook([addon]() { Teardown(addon); });
  aio::InitFdio(env, exports);
  aio::InitPpoll(env, exports);
  aio::InitSignals(env, exports);
  aio::InitRelay(env, exports, &addon->relay);
  aio::InitEnvFds(env, exports, &addon->env_fds);
  aio::InitEpoll(env, exports);
  aio::InitLoopAttach(env, exports, &addon->attach);
  aio::InitPidfd(env, exports);
  aio::InitBeacon(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(aio_notify, Init)
