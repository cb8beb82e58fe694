// Store-buffering (SB, Dekker) litmus test on this machine's CPUs (no Node): the reordering that
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
#include "harness_core.h"

namespace aio {
namespace harness {
namespace {

struct alignas(64) Line {
  std::atomic<int> v{0};
};

struct SBShared {
  Line x, y, r1;
  PairBarrier barrier;
  alignas(64) std::atomic<bool> stop{false};
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

void P1(SBShared& sh, const SBParams& p, int64_t deadline, const std::atomic<bool>& abort,
        int cpu) {
  PinSelf(cpu);
  Rng rng(0x5851f42d4c957f2dull ^ static_cast<uint64_t>(NowNs()));
  for (;;) {
    if (!sh.barrier.Wait(deadline, &abort)) return;
    if (sh.stop.load(std::memory_order_relaxed)) return;
    Delay(rng.Next() & kDelayMask);
    sh.y.v.store(1, std::memory_order_relaxed);
    Fence(p.variant == 2);
    const int r1 = sh.x.v.load(std::memory_order_relaxed);
    sh.r1.v.store(r1, std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &abort)) return;
  }
}

}  // namespace

void RunSB(const SBParams& p, SBResult& out, const std::atomic<bool>& abort) {
  SBShared sh;
  out.placement = ChoosePlacement(p.pin);
  const int64_t start = NowNs();
  const int64_t end = start + p.max_ns;
  const int64_t deadline = end + 2000000000;  // barrier safety net, past the run's end
  std::thread p1 = SpawnBlocked(
      [&sh, &p, deadline, &abort, &out]() { P1(sh, p, deadline, abort, out.placement.cpu[1]); });
  PinSelf(out.placement.cpu[0]);
  Rng rng(0x2545f4914f6cdd1dull ^ static_cast<uint64_t>(start));
  for (int64_t i = 0;; i++) {
    const bool stop = i >= p.iterations ||
                      ((i & 1023) == 0 && (NowNs() > end || abort.load(std::memory_order_relaxed)));
    // Published before the barrier, read by P1 after it.
    sh.stop.store(stop, std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &abort) || stop) break;
    Delay(rng.Next() & kDelayMask);
    sh.x.v.store(1, std::memory_order_relaxed);
    Fence(p.variant >= 1);
    const int r0 = sh.y.v.load(std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &abort)) break;
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

}  // namespace harness
}  // namespace aio
