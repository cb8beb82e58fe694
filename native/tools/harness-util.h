// JobRunner: runs one native measurement (harness_core.h) per call on its own threads and
// settles a Promise on the JavaScript thread.
//
// Why not Napi::AsyncWorker: it borrows one of libuv's four pool threads for the whole
// run (seconds), which would stall fs and dns work of the process meanwhile.
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "harness_core.h"

namespace aio {
namespace harness {

// Owned per environment (main thread or worker, ToolsAddon in tools_addon.h): its cleanup
// hook calls AbortAll(), which sets `abort` on every job still running and joins it, so a
// worker that exits mid-run leaves no thread behind.
class JobRunner {
 public:
  struct Job {
    std::atomic<bool> abort{false};
    // Set by `run` when a system call failed: rejected as a Node-style system error.
    RunError error;
  };
  // `run` executes on the job's thread; `settle` turns its results into the resolution
  // value on the JavaScript thread.
  using Run = std::function<void(Job&)>;
  using Settle = std::function<Napi::Value(Napi::Env)>;

  Napi::Value Start(Napi::Env env, const char* name, Run run, Settle settle);
  // Aborts every job still running and joins its thread (the environment's teardown).
  void AbortAll();

 private:
  struct Entry;
  void Finish(Entry* entry);
  std::mutex mutex_;
  std::set<std::shared_ptr<Entry>> running_;
};

// The placement of a result as a JavaScript array [cpu0, cpu1].
Napi::Array CpusArray(Napi::Env env, const Placement& p);
// The pin argument (0 none, 1 split, 2 same).
Pin PinFrom(int code);

}  // namespace harness
}  // namespace aio
