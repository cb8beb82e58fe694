// The tools' harness addon (aio_notify_tools): its per-environment state and the
// registration of its parts. Context-aware like the core addon: every environment (the main
// thread and each worker that loads the tools) gets its own exports and one ToolsAddon,
// created by Init (tools_addon.cc) and torn down by its one cleanup hook.
#pragma once
#include <napi.h>

#include "harness-util.h"

namespace aio {

// Everything the tools' addon keeps per environment: the measurement runs in flight.
struct ToolsAddon {
  harness::JobRunner jobs;
};

// Each harness registers its binding on the exports object; its runs go to `jobs`.
void InitHarness(Napi::Env env, Napi::Object exports, harness::JobRunner* jobs);
void InitLitmus(Napi::Env env, Napi::Object exports, harness::JobRunner* jobs);
void InitProtocol(Napi::Env env, Napi::Object exports, harness::JobRunner* jobs);

}  // namespace aio
