// The native measurement harnesses without Node: the wake-up harness (wake_core.cc), the
// store-buffering litmus test (litmus_core.cc) and the notify/poll protocol race
// (race_core.cc), plus what they share: the clock, CPU placement, spinning, a two-party
// barrier, threads that block every signal. The addon binds them (harness.cc, litmus.cc,
// protocol.cc, through JobRunner in harness-util.h); test/native/harness_tsan.cc drives them
// under ThreadSanitizer and AddressSanitizer (scripts/sanitize.sh).
#pragma once
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace aio {
namespace harness {

// CLOCK_MONOTONIC in ns: the clock libuv's uv_hrtime (process.hrtime) and AioContext use.
inline int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void SleepNs(int64_t ns);

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

// Spins, then yields: on a machine with fewer CPUs than spinning threads, a pure spin
// would wait out a whole scheduler time slice every time.
class Backoff {
 public:
  void Pause() {
    if (++spins_ < 256) {
      CpuRelax();
    } else {
      sched_yield();
    }
  }

 private:
  unsigned spins_ = 0;
};

// xorshift64*: cheap per-thread randomness for the litmus delays.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 0x9e3779b97f4a7c15ull) {}
  uint32_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return static_cast<uint32_t>((s_ * 0x2545f4914f6cdd1dull) >> 32);
  }

 private:
  uint64_t s_;
};

// A busy delay of `n` empty iterations the compiler cannot remove.
inline void Delay(uint32_t n) {
  for (uint32_t i = 0; i < n; i++) asm volatile("" ::: "memory");
}

// Where the two threads of a harness run: `pinned` when each was bound to a CPU.
enum class Pin { kNone = 0, kSplit = 1, kSame = 2 };
struct Placement {
  bool pinned = false;
  int cpu[2] = {-1, -1};
};
// Chooses CPUs from the process's affinity mask: two distinct ones for kSplit (falls back
// to unpinned when only one is allowed), the first one for kSame.
Placement ChoosePlacement(Pin mode);
// Binds the calling thread to `cpu` (ignored when cpu < 0). False if the kernel refused.
bool PinSelf(int cpu);

// A reusable two-party barrier: both parties leave a round together, which is how
// litmus7 lines the two threads of a test up each iteration. The arrival is a seq_cst RMW
// and the wait an acquire load of the generation the second arrival publishes with
// release, so everything before Wait() in one thread happens-before everything after
// Wait() in the other.
class PairBarrier {
 public:
  // Returns false if `deadline_ns` passed (or *abort was set) before the other party came.
  bool Wait(int64_t deadline_ns, const std::atomic<bool>* abort);

 private:
  alignas(64) std::atomic<uint32_t> arrived_{0};
  alignas(64) std::atomic<uint32_t> generation_{0};
};

// A thread created with every signal blocked (QEMU's qemu_thread_create does the same):
// harness threads never take a process-directed signal meant for Node or the relay.
std::thread SpawnBlocked(std::function<void()> body);

// A failed system call of a run (error 0: none).
struct RunError {
  int error = 0;
  std::string syscall;
};

// ---- the wake-up harness (wake_core.cc) ------------------------------------------------

// How the two threads of the wake-up harness behave between kicks (wake_core.cc):
//   kSpin  the sender spins (then yields) until the waiter announces its next sleep, and
//          the waiter sleeps in ppoll with a timeout of `bound` (the doctor's floor);
//   kJs    both behave as the bench's JavaScript paths do (lib/tools/bench/wake): the
//          sender sleeps in timed futex waits as Atomics.wait does (V8's futex emulation:
//          one process-wide mutex, a condition variable per waiter) to poll for the
//          announced sleep every 20 µs, to wait the gap, and after the kick until the
//          waiter's notify; the waiter announces its sleep with NOTIFY_ME/POLLING as
//          AioContext.poll() does, sleeps in ppoll with no timeout and no signal mask,
//          and after waking timestamps, notifies the sender (Atomics.notify) and then
//          reads the eventfd once (AioContext clears it after the bottom halves).
enum class SenderMode { kSpin = 0, kJs = 1 };

struct WakeParams {
  int path = 0;  // 0 eventfd, 1 SIGIO -> sigwait -> pipe
  int64_t samples = 0;
  int64_t gap_ns = 0;
  int64_t bound_ns = 0;
  int64_t max_ns = 0;
  Pin pin = Pin::kSplit;
  SenderMode sender = SenderMode::kSpin;
};

struct WakeResult {
  std::vector<double> latencies;  // ns, one per completed round
  // Per sample: the CPU the sender was on just before its timestamp, and the CPU the
  // waiter was on just after its own (sched_getcpu(); -1 if it failed).
  std::vector<int32_t> send_cpus, wake_cpus;
  int64_t late = 0, lost = 0, spurious = 0;
  int64_t elapsed_ns = 0;
  Placement placement;
  bool aborted = false;
};

void RunWake(const WakeParams& p, WakeResult& out, const std::atomic<bool>& abort, RunError& err);

// ---- the store-buffering litmus test (litmus_core.cc) ----------------------------------

struct SBParams {
  int variant = 0;  // 0 no fence, 1 fence on P0 only, 2 fences on both sides
  int64_t iterations = 0;
  int64_t max_ns = 0;
  Pin pin = Pin::kSplit;
};

struct SBResult {
  int64_t iterations = 0;
  int64_t both_zero = 0, only_r0_zero = 0, only_r1_zero = 0, neither_zero = 0;
  int64_t elapsed_ns = 0;
  Placement placement;
};

void RunSB(const SBParams& p, SBResult& out, const std::atomic<bool>& abort);

// ---- the notify/poll protocol race (race_core.cc) ---------------------------------------

struct RaceParams {
  bool fenced = true;
  int64_t races = 0;
  int64_t bound_ns = 0;
  int64_t max_ns = 0;
  bool stop_after_lost = false;
  Pin pin = Pin::kSplit;
};

struct RaceResult {
  int64_t races = 0, sleeps = 0, kicks = 0, lost = 0, late = 0, spurious = 0;
  // Races whose two sides ended their store-then-load window within kTogetherNs: the two
  // threads ran at the same time, the only races that can show store buffering. A loaded
  // machine, which deschedules one side, has few; a control counts its budget in them.
  int64_t together = 0;
  int64_t elapsed_ns = 0;
  int64_t first_lost_ns = -1;
  Placement placement;
};

void RunRace(const RaceParams& p, RaceResult& out, const std::atomic<bool>& abort, RunError& err);

}  // namespace harness
}  // namespace aio
