#include "harness-util.h"

#include <errno.h>
#include <signal.h>

#include <system_error>

#include "errors.h"

namespace aio {
namespace harness {

void SleepNs(int64_t ns) {
  if (ns <= 0) return;
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
  }
}

Placement ChoosePlacement(Pin mode) {
  Placement p;
  if (mode == Pin::kNone) return p;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return p;
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  if (cpus.empty()) return p;
  if (mode == Pin::kSame) {
    p.pinned = true;
    p.cpu[0] = p.cpu[1] = cpus[0];
  } else if (cpus.size() >= 2) {
    p.pinned = true;
    p.cpu[0] = cpus[0];
    p.cpu[1] = cpus[1];
  }
  return p;
}

bool PinSelf(int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

bool PairBarrier::Wait(int64_t deadline_ns, const std::atomic<bool>* abort) {
  const uint32_t generation = generation_.load(std::memory_order_acquire);
  // The second arrival opens the round: it resets the count, then publishes the new
  // generation with release; the first arrival's acquire load of it pairs with that.
  if (arrived_.fetch_add(1, std::memory_order_seq_cst) == 1) {
    arrived_.store(0, std::memory_order_relaxed);
    generation_.store(generation + 1, std::memory_order_release);
    return true;
  }
  Backoff backoff;
  for (uint32_t n = 1; generation_.load(std::memory_order_acquire) == generation; n++) {
    backoff.Pause();
    if ((n & 1023) == 0 &&
        (NowNs() > deadline_ns || (abort && abort->load(std::memory_order_relaxed)))) {
      return false;
    }
  }
  return true;
}

std::thread SpawnBlocked(std::function<void()> body) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    std::thread t(std::move(body));
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return t;
  } catch (...) {
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw;
  }
}

struct JobRunner::Entry {
  Job job;
  std::thread thread;
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
  Settle settle;
  explicit Entry(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
};

JobRunner* JobRunner::Install(Napi::Env env) {
  JobRunner* runner = new JobRunner();
  env.AddCleanupHook([runner]() {
    std::set<std::shared_ptr<Entry>> running;
    {
      std::lock_guard<std::mutex> lock(runner->mutex_);
      running.swap(runner->running_);
    }
    // Every loop of a job polls `abort` at least once per bounded step (a barrier round, a
    // ppoll timeout), so these joins are short.
    for (auto& entry : running) entry->job.abort.store(true, std::memory_order_relaxed);
    for (auto& entry : running) {
      if (entry->thread.joinable()) entry->thread.join();
    }
    delete runner;
  });
  return runner;
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
    if (entry->job.error != 0) ThrowErrno(env, entry->job.error, entry->job.syscall.c_str());
    entry->deferred.Resolve(entry->settle(env));
  } catch (const Napi::Error& e) {
    entry->deferred.Reject(e.Value());
  }
}

}  // namespace harness
}  // namespace aio
