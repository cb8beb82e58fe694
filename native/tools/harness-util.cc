#include "harness-util.h"

#include <errno.h>

#include <system_error>

#include "errors.h"

namespace aio {
namespace harness {

struct JobRunner::Entry {
  Job job;
  std::thread thread;
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  Settle settle;
  explicit Entry(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

void JobRunner::AbortAll() {
  std::set<std::shared_ptr<Entry>> running;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running.swap(running_);
  }
  // Every loop of a job polls `abort` at least once per bounded step (a barrier round, a
  // ppoll timeout), so these joins are short.
  for (auto& entry : running) entry->job.abort.store(true, std::memory_order_relaxed);
  for (auto& entry : running) {
    if (entry->thread.joinable()) entry->thread.join();
  }
}

Napi::Value JobRunner::Start(Napi::Env env, const char* name, Run run, Settle settle) {
  auto entry = std::make_shared<Entry>(env);
  entry->settle = std::move(settle);
  entry->tsfn = Napi::ThreadSafeFunction::New(
      env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), name, 0, 1);
  Entry* raw = entry.get();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.insert(entry);
  }
  try {
    entry->thread = SpawnBlocked([this, raw, run = std::move(run)]() {
      run(raw->job);
      // Runs Finish on the JavaScript thread. During environment teardown the call is
      // refused (napi_closing) and the cleanup hook joins this thread instead.
      raw->tsfn.NonBlockingCall([this, raw](Napi::Env cb_env, Napi::Function) {
        if (cb_env != nullptr) Finish(raw);
      });
      raw->tsfn.Release();
    });
  } catch (const std::system_error& e) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      running_.erase(entry);
    }
    entry->tsfn.Release();
    ThrowErrno(env, e.code().value() ? e.code().value() : EAGAIN, "pthread_create");
  }
  return entry->deferred.Promise();
}

void JobRunner::Finish(Entry* raw) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      if (it->get() == raw) {
        entry = *it;
        running_.erase(it);
        break;
      }
    }
  }
  if (!entry) return;  // already reaped by the cleanup hook
  if (entry->thread.joinable()) entry->thread.join();
  Napi::Env env = entry->deferred.Env();
  try {
    if (entry->job.error.error != 0) ThrowErrno(env, entry->job.error.error, entry->job.error.syscall.c_str());
    entry->deferred.Resolve(entry->settle(env));
  } catch (const Napi::Error& e) {
    entry->deferred.Reject(e.Value());
  }
}

Napi::Array CpusArray(Napi::Env env, const Placement& p) {
  Napi::Array cpus = Napi::Array::New(env, 2);
  cpus.Set(0u, Napi::Number::New(env, p.cpu[0]));
  cpus.Set(1u, Napi::Number::New(env, p.cpu[1]));
  return cpus;
}

Pin PinFrom(int code) {
  return code == 0 ? Pin::kNone : code == 2 ? Pin::kSame : Pin::kSplit;
}

}  // namespace harness
}  // namespace aio
