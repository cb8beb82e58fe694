// A driver for the native measurement harnesses without Node (native/tools/harness_core.h), built
// and run under ThreadSanitizer, then AddressSanitizer + UndefinedBehaviorSanitizer, by
// scripts/sanitize.sh:
//
//   g++ -std=c++17 -fsanitize=thread -g -O1 -pthread -Inative/common -Inative/tools test/native/harness_tsan.cc
//       native/tools/harness_core.cc native/tools/wake_core.cc native/tools/litmus_core.cc native/tools/race_core.cc
//       -o harness_tsan && ./harness_tsan [iterations]
//
// GCC warns that ThreadSanitizer does not model std::atomic_thread_fence (-Wtsan). The
// harnesses never use a fence to publish plain data: their fences order relaxed atomics
// against each other (that is what is being measured), and every plain datum crosses threads
// through an acquire/release pair, a barrier round or a join, which TSan does model.
//
// sanitize-sources: native/tools/harness_core.cc native/tools/wake_core.cc native/tools/litmus_core.cc native/tools/race_core.cc
//
// Every harness runs, two at a time on separate threads (so that their threads, barriers and
// eventfds interleave): the wake-up harness over eventfd and over SIGIO -> sigwait -> pipe
// (with the spinning sender, then the JS-like one),
// the store-buffering litmus test in its three variants, and the notify/poll protocol race
// with and without its fences. Then a long run is aborted from another thread, as an
// environment's cleanup hook does. Checked: counts add up, no sample is lost, fences on both
// sides never show r0 = r1 = 0, the fenced protocol never loses, an abort ends a run
// promptly, no descriptor leaks. Timing is not checked (sanitizers slow everything 5-20x).
// Exit status 0 when every check holds; the sanitizers' reports make it fail on their own.
#include <dirent.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "harness_core.h"

namespace {

using namespace aio::harness;

std::atomic<int> g_failures{0};

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (!(cond)) {                                                              \
      fprintf(stderr, "harness_tsan: FAILED %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                             \
      fprintf(stderr, "\n");                                                    \
      g_failures.fetch_add(1);                                                  \
    }                                                                           \
  } while (0)

int OpenFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

const std::atomic<bool> kNoAbort{false};

void Wake(int path, int samples, SenderMode sender = SenderMode::kSpin) {
  WakeParams p;
  p.path = path;
  p.sender = sender;
  p.samples = samples;
  p.gap_ns = 20000;
  p.bound_ns = 200000000;  // generous: a late wake-up under a sanitizer is not a finding
  p.max_ns = 120000000000LL;
  p.pin = Pin::kNone;
  WakeResult r;
  RunError err;
  RunWake(p, r, kNoAbort, err);
  CHECK(err.error == 0, "wake path %d: %s failed: errno %d", path, err.syscall.c_str(), err.error);
  CHECK(!r.aborted, "wake path %d aborted", path);
  CHECK(r.lost == 0, "wake path %d lost %lld", path, static_cast<long long>(r.lost));
  CHECK(static_cast<int>(r.latencies.size()) == samples, "wake path %d: %zu of %d samples", path,
        r.latencies.size(), samples);
  for (double ns : r.latencies) CHECK(ns > 0, "wake path %d: latency %f", path, ns);
  CHECK(r.send_cpus.size() == r.latencies.size() && r.wake_cpus.size() == r.latencies.size(),
        "wake path %d: %zu/%zu CPUs for %zu samples", path, r.send_cpus.size(), r.wake_cpus.size(), r.latencies.size());
}

// The JS-like wake-up harness sleeps in ppoll with no timeout: an abort reaches it through
// the sender, which must wake it.
void AbortWake() {
  std::atomic<bool> abort{false};
  WakeParams p;
  p.path = 0;
  p.sender = SenderMode::kJs;
  p.samples = 1000000000LL;
  p.gap_ns = 20000;
  p.bound_ns = 200000000;
  p.max_ns = 600000000000LL;
  p.pin = Pin::kNone;
  WakeResult r;
  RunError err;
  const int64_t t0 = NowNs();
  std::thread t([&]() { RunWake(p, r, abort, err); });
  SleepNs(100000000);
  abort.store(true, std::memory_order_relaxed);
  t.join();
  const double secs = (NowNs() - t0) / 1e9;
  CHECK(secs < 30, "an aborted JS-like wake-up run took %.1f s to end", secs);
  CHECK(r.aborted, "the JS-like wake-up run did not report its abort");
  CHECK(r.lost == 0, "the aborted JS-like wake-up run lost %lld", static_cast<long long>(r.lost));
}

void Litmus(int variant, int64_t iterations) {
  SBParams p;
  p.variant = variant;
  p.iterations = iterations;
  p.max_ns = 120000000000LL;
  p.pin = Pin::kNone;
  SBResult r;
  RunSB(p, r, kNoAbort);
  CHECK(r.iterations == iterations, "SB %d: %lld of %lld iterations", variant,
        static_cast<long long>(r.iterations), static_cast<long long>(iterations));
  CHECK(r.both_zero + r.only_r0_zero + r.only_r1_zero + r.neither_zero == r.iterations,
        "SB %d: outcomes do not add up", variant);
  if (variant == 2) CHECK(r.both_zero == 0, "SB fenced on both sides: r0 = r1 = 0 %lld times", static_cast<long long>(r.both_zero));
}

void Race(bool fenced, int64_t races) {
  RaceParams p;
  p.fenced = fenced;
  p.races = races;
  p.bound_ns = 200000000;
  p.max_ns = 120000000000LL;
  p.stop_after_lost = !fenced;
  p.pin = Pin::kNone;
  RaceResult r;
  RunError err;
  RunRace(p, r, kNoAbort, err);
  CHECK(err.error == 0, "race: %s failed: errno %d", err.syscall.c_str(), err.error);
  CHECK(r.races > 0 && r.races <= races, "race: %lld races", static_cast<long long>(r.races));
  CHECK(r.sleeps <= r.races, "race: more sleeps than races");
  if (fenced) CHECK(r.lost == 0, "the fenced protocol lost %lld wake-ups", static_cast<long long>(r.lost));
  if (!fenced && r.lost == 0) CHECK(r.races == races, "race: stopped early without a loss");
}

// An environment's cleanup hook sets `abort` on a running job: the run must end promptly.
void Abort() {
  std::atomic<bool> abort{false};
  RaceParams p;
  p.fenced = true;
  p.races = 1000000000000LL;
  p.bound_ns = 2000000;
  p.max_ns = 600000000000LL;
  p.pin = Pin::kNone;
  RaceResult r;
  RunError err;
  const int64_t t0 = NowNs();
  std::thread t([&]() { RunRace(p, r, abort, err); });
  SleepNs(100000000);
  abort.store(true, std::memory_order_relaxed);
  t.join();
  const double secs = (NowNs() - t0) / 1e9;
  CHECK(secs < 30, "an aborted race took %.1f s to end", secs);
  CHECK(r.lost == 0, "the aborted fenced race lost %lld", static_cast<long long>(r.lost));
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::max(100L, std::atol(argv[1])) : 1000;
  const int fds = OpenFds();
  {
    std::thread a([n]() { Wake(0, static_cast<int>(n / 4)); });
    std::thread b([n]() { Wake(1, static_cast<int>(n / 4)); });
    a.join();
    b.join();
  }
  {
    std::thread a([n]() { Wake(0, static_cast<int>(n / 4), SenderMode::kJs); });
    std::thread b([n]() { Wake(1, static_cast<int>(n / 4), SenderMode::kJs); });
    a.join();
    b.join();
  }
  {
    std::thread a([n]() { Litmus(0, 20 * n); });
    std::thread b([n]() { Litmus(2, 20 * n); });
    a.join();
    b.join();
    Litmus(1, 20 * n);
  }
  {
    std::thread a([n]() { Race(true, 5 * n); });
    std::thread b([n]() { Race(false, 5 * n); });
    a.join();
    b.join();
  }
  Abort();
  AbortWake();
  CHECK(OpenFds() == fds, "descriptors: %d before, %d after", fds, OpenFds());
  if (g_failures.load() != 0) {
    fprintf(stderr, "harness_tsan: %d check(s) failed\n", g_failures.load());
    return 1;
  }
  printf("harness_tsan: ok (wake-ups eventfd+SIGIO, spinning and JS-like senders, %ld each, SB 3x%ld, races 2x%ld, aborts)\n", n / 4, 20 * n, 5 * n);
  return 0;
}
