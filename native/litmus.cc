// Store-buffering (SB, Dekker) litmus test on this machine's CPUs: the reordering that
// QEMU's notify_me / notified protocol must fence against.
//
//   init x = y = 0
//   P0: x = 1; [fence]; r0 = y          P1: y = 1; [fence]; r1 = x
//   forbidden under sequential consistency: r0 == 0 && r1 == 0
//
// The QEMU mapping (reference/wakeup-anchors.md §2):
//   P0 = aio_poll:   notify_me += 2; smp_mb(); read notified / bottom halves
//   P1 = aio_notify: notified = 1;   smp_mb(); read notify_me
// r0 == r1 == 0 there is a lost wake-up: the poller sleeps, the notifier does not kick.
//
// Variants: 0 no fence (a compiler barrier only, so that only the CPU reorders), 1 a fence
// on P0 only (the 2020 aarch64 bug, 5710a3e09f: one side relied on an RMW), 2 fences on
// both sides (std::atomic_thread_fence(seq_cst): mfence / lock or on x86, dmb ish on arm64).
// Runs litmus7-style: each iteration both threads meet at a barrier, wait a short random
// delay so that their critical sections overlap, run, meet again, and P0 tallies.
#include <errno.h>

#include "args.h"
#include "errors.h"
#include "harness-util.h"
#include "modules.h"

namespace aio {
namespace {

using harness::NowNs;

struct alignas(64) Line {
  std::atomic<int> v{0};
};

struct SBShared {
  Line x, y, r1;
  harness::PairBarrier barrier;
  alignas(64) std::atomic<bool> stop{false};
};

struct SBParams {
  int variant = 0;
  int64_t iterations = 0;
  int64_t max_ns = 0;
  harness::Pin pin = harness::Pin::kSplit;
};

struct SBResult {
  int64_t iterations = 0;
  int64_t both_zero = 0, only_r0_zero = 0, only_r1_zero = 0, neither_zero = 0;
  int64_t elapsed_ns = 0;
  harness::Placement placement;
};

constexpr uint32_t kDelayMask = 63;

// The fence the variant calls for; otherwise only a compiler barrier.
inline void Fence(bool cpu) {
  if (cpu) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
}

void P1(SBShared& sh, const SBParams& p, int64_t deadline, harness::JobRunner::Job& job,
        int cpu) {
  harness::PinSelf(cpu);
  harness::Rng rng(0x5851f42d4c957f2dull ^ static_cast<uint64_t>(NowNs()));
  for (;;) {
    if (!sh.barrier.Wait(deadline, &job.abort)) return;
    if (sh.stop.load(std::memory_order_relaxed)) return;
    harness::Delay(rng.Next() & kDelayMask);
    sh.y.v.store(1, std::memory_order_relaxed);
    Fence(p.variant == 2);
    const int r1 = sh.x.v.load(std::memory_order_relaxed);
    sh.r1.v.store(r1, std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &job.abort)) return;
  }
}

void RunSB(const SBParams& p, SBResult& out, harness::JobRunner::Job& job) {
  SBShared sh;
  out.placement = harness::ChoosePlacement(p.pin);
  const int64_t start = NowNs();
  const int64_t end = start + p.max_ns;
  const int64_t deadline = end + 2000000000;  // barrier safety net, past the run's end
  std::thread p1 = harness::SpawnBlocked(
      [&sh, &p, deadline, &job, &out]() { P1(sh, p, deadline, job, out.placement.cpu[1]); });
  harness::PinSelf(out.placement.cpu[0]);
  harness::Rng rng(0x2545f4914f6cdd1dull ^ static_cast<uint64_t>(start));
  for (int64_t i = 0;; i++) {
    const bool stop = i >= p.iterations ||
                      ((i & 1023) == 0 && (NowNs() > end || job.abort.load(std::memory_order_relaxed)));
    // Published before the barrier, read by P1 after it.
    sh.stop.store(stop, std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &job.abort) || stop) break;
    harness::Delay(rng.Next() & kDelayMask);
    sh.x.v.store(1, std::memory_order_relaxed);
    Fence(p.variant >= 1);
    const int r0 = sh.y.v.load(std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &job.abort)) break;
    const int r1 = sh.r1.v.load(std::memory_order_relaxed);
    if (r0 == 0 && r1 == 0) {
      out.both_zero++;
    } else if (r0 == 0) {
      out.only_r0_zero++;
    } else if (r1 == 0) {
      out.only_r1_zero++;
    } else {
      out.neither_zero++;
    }
    out.iterations++;
    // Reset for the next round; P1 reads x and y only after the next barrier.
    sh.x.v.store(0, std::memory_order_relaxed);
    sh.y.v.store(0, std::memory_order_relaxed);
  }
  out.elapsed_ns = NowNs() - start;
  p1.join();
}

// litmusSB(variant, iterations, maxNs, pin) -> Promise<{ variant, iterations, bothZero,
//   onlyR0Zero, onlyR1Zero, neitherZero, elapsedNs, pinned, cpus }>
Napi::Value LitmusSB(const Napi::CallbackInfo& info) {
  auto* runner = static_cast<harness::JobRunner*>(info.Data());
  auto params = std::make_shared<SBParams>();
  params->variant = Int32Arg(info, 0, "variant");
  params->iterations = static_cast<int64_t>(NumberArg(info, 1, "iterations"));
  params->max_ns = static_cast<int64_t>(NumberArg(info, 2, "maxNs"));
  int pin = Int32Arg(info, 3, "pin");
  params->pin = pin == 0 ? harness::Pin::kNone : pin == 2 ? harness::Pin::kSame : harness::Pin::kSplit;
  if (params->variant < 0 || params->variant > 2 || params->iterations < 1 || params->max_ns < 1) {
    ThrowErrno(info.Env(), EINVAL, "litmusSB");
  }
  auto result = std::make_shared<SBResult>();
  return runner->Start(
      info.Env(), "aio-notify:litmusSB",
      [params, result](harness::JobRunner::Job& job) { RunSB(*params, *result, job); },
      [params, result](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        auto num = [&](const char* k, int64_t v) {
          o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
        };
        num("variant", params->variant);
        num("iterations", result->iterations);
        num("bothZero", result->both_zero);
        num("onlyR0Zero", result->only_r0_zero);
        num("onlyR1Zero", result->only_r1_zero);
        num("neitherZero", result->neither_zero);
        num("elapsedNs", result->elapsed_ns);
        o.Set("pinned", Napi::Boolean::New(env, result->placement.pinned));
        Napi::Array cpus = Napi::Array::New(env, 2);
        cpus.Set(0u, Napi::Number::New(env, result->placement.cpu[0]));
        cpus.Set(1u, Napi::Number::New(env, result->placement.cpu[1]));
        o.Set("cpus", cpus);
        return o;
      });
}

}  // namespace

void InitLitmus(Napi::Env env, Napi::Object exports) {
  harness::JobRunner* runner = harness::JobRunner::Install(env);
  exports.Set("litmusSB", Napi::Function::New(env, LitmusSB, "litmusSB", runner));
}

}  // namespace aio
