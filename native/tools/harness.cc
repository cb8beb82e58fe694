// The native wake-up harness: the floor every JavaScript wake-up path is compared with.
//
// Two C++ threads. The waiter sleeps in ppoll(2); once it is asleep (it announced the
// round and the sender then waited `gap` more), the sender takes a timestamp and kicks it
// by one of two paths:
//   path 0, eventfd:  write(efd, 1)                                   -> ppoll(efd) returns
//   path 1, SIGIO:    tgkill(sigwait thread, SIGIO) -> sigwaitinfo -> write(pipe, record)
//                                                                     -> ppoll(pipe) returns
// The second is QEMU's compat path (util/compatfd.c; the 2015 aarch64 SIGIO workaround):
// a thread with every signal blocked takes the signal in sigwaitinfo() and writes a
// 128-byte signalfd_siginfo record to a pipe. The signal is thread-directed so that no
// other thread of the Node process can take it (Node's threads do not block SIGIO, whose
// default action kills the process).
//
// Each round yields one sleeping one-way latency sample (kick timestamp -> waiter running
// again) and a classification of every wait that outlived `bound`:
//   late      the kick was issued and the wake came after the bound (counted, and its
//             latency is still a sample: it is the tail of the distribution);
//   lost      the kick was issued and no wake came within the hard limit (the kernel
//             dropped it: never expected; reported, not hidden);
//   spurious  the waiter woke with nothing sent for this round.
#include <errno.h>
#include <sched.h>

#include <algorithm>

#include "args.h"
#include "errors.h"
#include "harness-util.h"
#include "tools_addon.h"

namespace aio {
namespace {

// The per-sample CPUs of a result as an Int32Array.
Napi::Int32Array CpuList(Napi::Env env, const std::vector<int32_t>& cpus) {
  Napi::Int32Array a = Napi::Int32Array::New(env, cpus.size());
  std::copy(cpus.begin(), cpus.end(), a.Data());
  return a;
}

// wakeLatency(path, samples, gapNs, boundNs, maxNs, pin[, sender]) -> Promise<{ latencies:
//   Float64Array (ns), sendCpus, wakeCpus: Int32Array, late, lost, spurious, elapsedNs,
//   pinned, cpus, aborted }>; sender 0 spins between kicks (the default), 1 behaves as the
//   bench's JavaScript paths (harness_core.h, SenderMode).
Napi::Value WakeLatency(const Napi::CallbackInfo& info) {
  auto* runner = static_cast<harness::JobRunner*>(info.Data());
  auto params = std::make_shared<harness::WakeParams>();
  params->path = Int32Arg(info, 0, "path") == 1 ? 1 : 0;
  params->samples = static_cast<int64_t>(NumberArg(info, 1, "samples"));
  params->gap_ns = static_cast<int64_t>(NumberArg(info, 2, "gapNs"));
  params->bound_ns = static_cast<int64_t>(NumberArg(info, 3, "boundNs"));
  params->max_ns = static_cast<int64_t>(NumberArg(info, 4, "maxNs"));
  params->pin = harness::PinFrom(Int32Arg(info, 5, "pin"));
  if (info.Length() > 6 && !info[6].IsUndefined()) {
    params->sender = Int32Arg(info, 6, "sender") == 1 ? harness::SenderMode::kJs : harness::SenderMode::kSpin;
  }
  if (params->samples < 1 || params->bound_ns < 1 || params->max_ns < 1 || params->gap_ns < 0) {
    ThrowErrno(info.Env(), EINVAL, "wakeLatency");
  }
  auto result = std::make_shared<harness::WakeResult>();
  return runner->Start(
      info.Env(), "aio-notify:wakeLatency",
      [params, result](harness::JobRunner::Job& job) { harness::RunWake(*params, *result, job.abort, job.error); },
      [result](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        const size_t n = result->latencies.size();
        Napi::Float64Array lat = Napi::Float64Array::New(env, n);
        std::copy(result->latencies.begin(), result->latencies.end(), lat.Data());
        o.Set("latencies", lat);
        o.Set("sendCpus", CpuList(env, result->send_cpus));
        o.Set("wakeCpus", CpuList(env, result->wake_cpus));
        o.Set("late", Napi::Number::New(env, static_cast<double>(result->late)));
        o.Set("lost", Napi::Number::New(env, static_cast<double>(result->lost)));
        o.Set("spurious", Napi::Number::New(env, static_cast<double>(result->spurious)));
        o.Set("elapsedNs", Napi::Number::New(env, static_cast<double>(result->elapsed_ns)));
        o.Set("pinned", Napi::Boolean::New(env, result->placement.pinned));
        o.Set("cpus", harness::CpusArray(env, result->placement));
        o.Set("aborted", Napi::Boolean::New(env, result->aborted));
        return o;
      });
}

// getcpu() -> the CPU the calling thread runs on now (sched_getcpu(); -1 if it failed):
// the bench records it on both sides of every JavaScript wake-up, as the harness does.
Napi::Value GetCpu(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), sched_getcpu());
}

}  // namespace

void InitHarness(Napi::Env env, Napi::Object exports, harness::JobRunner* jobs) {
  exports.Set("wakeLatency", Napi::Function::New(env, WakeLatency, "wakeLatency", jobs));
  exports.Set("getcpu", Napi::Function::New(env, GetCpu, "getcpu"));
}

}  // namespace aio
