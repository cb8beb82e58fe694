// Utilities of the native harnesses (harness_core.h), without Node.
#include "harness_core.h"

#include <errno.h>
#include <signal.h>

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

}  // namespace harness
}  // namespace aio
