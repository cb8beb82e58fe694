// The notify/poll protocol in C++ (no Node), racing over a real eventfd and ppoll: QEMU's
// aio_notify() against the sleep path of aio_poll(), reduced to its two words.
//
//   poller (aio_poll)                        notifier (aio_notify)
//   notify_me = 1                            pending = 1        (bh->flags / notified)
//   smp_mb()   <-- pairs with -->            smp_mb()
//   if (!pending) ppoll(efd, bound)          if (notify_me) write(efd, 1)
//
// Either the notifier sees notify_me and kicks, or the poller sees pending and does not
// sleep: the two fences forbid the store-buffering outcome in which both read 0 (see
// litmus.cc). Variant 1 ("correct") has both std::atomic_thread_fence(seq_cst); variant 0
// ("nobarrier") has only compiler barriers, the positive control: on x86_64 the store
// buffer lets each side read the other's stale 0, the poller sleeps with work pending and
// no kick on its way, and the harness must see it.
//
// Every race whose ppoll times out is classified once the notifier has decided:
//   lost  the notifier skipped the kick (it read notify_me == 0): a protocol or
//         memory-ordering failure. Under the correct variant this must never happen.
//   late  the kick was issued but the wake came after `bound` (scheduler or hypervisor).
// The eventfd is drained between races, so every race starts clean.
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "harness_core.h"

namespace aio {
namespace harness {
namespace {

enum Decision : int { kUndecided = 0, kSkipped = 1, kKicked = 2 };

struct RaceShared {
  // When each side finished its store-then-load window (CLOCK_MONOTONIC ns). Read after the
  // load, never before the store: a clock read ahead of the window, before or after the
  // random delay, cut the control's loss rate three to six times. Plain fields: each is
  // written after the race's opening barrier and read by the poller after its closing one,
  // and PairBarrier's acquire/release orders the write before the read.
  alignas(64) int64_t poller_at = 0;
  alignas(64) int64_t notifier_at = 0;
  alignas(64) std::atomic<int> notify_me{0};
  alignas(64) std::atomic<int> pending{0};
  alignas(64) std::atomic<int> decision{kUndecided};
  PairBarrier barrier;
  alignas(64) std::atomic<bool> stop{false};
  int efd = -1;
};

constexpr uint32_t kDelayMask = 63;
// Two windows that ended this close ran together: far below a scheduler time slice, far
// above the random delay's spread and a clock read.
constexpr int64_t kTogetherNs = 2000;

// smp_mb() where the protocol needs one; a compiler barrier in the control build, so that
// the compiler keeps program order and only the CPU reorders.
inline void SmpMb(bool fenced) {
  if (fenced) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
}

int PollIn(int fd, int64_t ns) {
  struct pollfd p = {fd, POLLIN, 0};
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  int r = ppoll(&p, 1, &ts, nullptr);
  return r < 0 ? -1 : r;
}

void Notifier(RaceShared& sh, const RaceParams& p, int64_t deadline,
              const std::atomic<bool>& abort, int cpu, int64_t& kicks) {
  PinSelf(cpu);
  Rng rng(0x9e3779b97f4a7c15ull ^ static_cast<uint64_t>(NowNs()));
  for (;;) {
    if (!sh.barrier.Wait(deadline, &abort)) return;
    if (sh.stop.load(std::memory_order_relaxed)) return;
    Delay(rng.Next() & kDelayMask);
    // aio_notify(): publish the work, then smp_mb() -- "Write ctx->notified (and also
    // ctx->bh_list) before reading ctx->notify_me. Pairs with smp_mb() in aio_poll."
    sh.pending.store(1, std::memory_order_relaxed);
    SmpMb(p.fenced);
    const bool saw_notify_me = sh.notify_me.load(std::memory_order_relaxed) != 0;
    sh.notifier_at = NowNs();
    if (saw_notify_me) {
      uint64_t one = 1;
      ssize_t n;
      do n = write(sh.efd, &one, sizeof one);
      while (n < 0 && errno == EINTR);
      kicks++;
      sh.decision.store(kKicked, std::memory_order_release);
    } else {
      sh.decision.store(kSkipped, std::memory_order_release);
    }
    if (!sh.barrier.Wait(deadline, &abort)) return;
  }
}

// Waits (bounded) for the notifier's decision of this race.
int AwaitDecision(RaceShared& sh, int64_t until) {
  Backoff backoff;
  int d;
  while ((d = sh.decision.load(std::memory_order_acquire)) == kUndecided && NowNs() < until) {
    backoff.Pause();
  }
  return d;
}

}  // namespace

void RunRace(const RaceParams& p, RaceResult& out, const std::atomic<bool>& abort, RunError& err) {
  RaceShared sh;
  sh.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (sh.efd < 0) {
    err.error = errno;
    err.syscall = "eventfd";
    return;
  }
  out.placement = ChoosePlacement(p.pin);
  const int64_t start = NowNs();
  const int64_t end = start + p.max_ns;
  const int64_t hard_ns = std::max<int64_t>(1000000000, 10 * p.bound_ns);
  const int64_t deadline = end + hard_ns + 2000000000;
  int64_t kicks = 0;
  std::thread notifier = SpawnBlocked([&sh, &p, deadline, &abort, &out, &kicks]() {
    Notifier(sh, p, deadline, abort, out.placement.cpu[1], kicks);
  });
  PinSelf(out.placement.cpu[0]);
  Rng rng(0xda942042e4dd58b5ull ^ static_cast<uint64_t>(start));
  for (int64_t i = 0;; i++) {
    const bool stop = i >= p.races || (p.stop_after_lost && out.lost > 0) ||
                      ((i & 255) == 0 && (NowNs() > end || abort.load(std::memory_order_relaxed)));
    sh.stop.store(stop, std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &abort) || stop) break;
    Delay(rng.Next() & kDelayMask);
    // aio_poll(): announce the sleep, then smp_mb() -- "Write ctx->notify_me before
    // reading ctx->notified. Pairs with smp_mb in aio_notify()."
    sh.notify_me.store(1, std::memory_order_relaxed);
    SmpMb(p.fenced);
    const bool saw_pending = sh.pending.load(std::memory_order_relaxed) != 0;
    sh.poller_at = NowNs();
    if (!saw_pending) {
      out.sleeps++;
      int r;
      while ((r = PollIn(sh.efd, p.bound_ns)) < 0) {
      }
      if (r == 0) {
        const int d = AwaitDecision(sh, NowNs() + hard_ns);
        if (d == kSkipped) {
          out.lost++;
          if (out.first_lost_ns < 0) out.first_lost_ns = NowNs() - start;
        } else {
          // Kicked (or the notifier stalled past the hard limit): the wake is late. Wait
          // for it so that the next race starts with a settled eventfd.
          out.late++;
          PollIn(sh.efd, hard_ns);
        }
      }
    }
    sh.notify_me.store(0, std::memory_order_relaxed);
    if (!sh.barrier.Wait(deadline, &abort)) break;
    // The notifier's decision and write are done (they precede its barrier arrival).
    if (std::abs(sh.poller_at - sh.notifier_at) < kTogetherNs) out.together++;
    uint64_t value;
    while (read(sh.efd, &value, sizeof value) < 0 && errno == EINTR) {
    }
    sh.pending.store(0, std::memory_order_relaxed);
    sh.decision.store(kUndecided, std::memory_order_relaxed);
    out.races++;
  }
  out.elapsed_ns = NowNs() - start;
  notifier.join();
  out.kicks = kicks;
  close(sh.efd);
}

}  // namespace harness
}  // namespace aio
