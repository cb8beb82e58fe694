// Entry point of the tools' harness addon, aio_notify_tools: the measurement harnesses that
// only the tools (doctor, bench) use: wakeLatency (harness.cc), litmusSB (litmus.cc) and
// protocolRace (protocol.cc). The library's system calls are the core addon (native/core);
// this one shares only native/common with it.
//
// One ToolsAddon (tools_addon.h) per environment, freed by one env cleanup hook (a hook, not
// an instance-data finalizer: it runs while the environment is alive, so a worker that
// exits mid-run leaves no thread behind).
#include <napi.h>

#include "tools_addon.h"

namespace {

void Teardown(aio::ToolsAddon* addon) {
  // The only part: every run still in flight is aborted and its threads joined.
  addon->jobs.AbortAll();
  delete addon;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  aio::ToolsAddon* addon = new aio::ToolsAddon();
  env.AddCleanupHook([addon]() { Teardown(addon); });
  aio::InitHarness(env, exports, &addon->jobs);
  aio::InitLitmus(env, exports, &addon->jobs);
  aio::InitProtocol(env, exports, &addon->jobs);
  return exports;
}

}  // namespace

NODE_API_MODULE(aio_notify_tools, Init)
