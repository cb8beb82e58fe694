// Shared pieces of the native measurement harnesses (harness.cc, litmus.cc, protocol.cc):
// the clock, CPU placement, spinning, a two-party barrier, and JobRunner, which runs a
// bounded native loop on its own threads and settles a Promise on the JavaScript thread.
//
// Why not Napi::AsyncWorker: it borrows one of libuv's four pool threads for the whole
// run (seconds), which would stall fs and dns work of the process meanwhile.
#pragma once
#include <napi.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
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
  void Reset() { spins_ = 0; }

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

// A reusable two-party barrier (sense counter): both parties leave a round together,
// which is how litmus7 lines the two threads of a test up each iteration. The arrival is a
// seq_cst RMW and the wait an acquire load, so everything before Wait() in one thread
// happens-before everything after Wait() in the other.
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

// Runs one measurement per call on its own thread and settles a Promise with its result.
// Owned per environment (main thread or worker): the cleanup hook sets `abort` on every
// job still running and joins it, so a worker that exits mid-run leaves no thread behind.
class JobRunner {
 public:
  struct Job {
    std::atomic<bool> abort{false};
    // Set by `run` when a system call failed: rejected as a Node-style system error.
    int error = 0;
    std::string syscall;
  };
  // `run` executes on the job's thread; `settle` turns its results into the resolution
  // value on the JavaScript thread.
  using Run = std::function<void(Job&)>;
  using Settle = std::function<Napi::Value(Napi::Env)>;

  static JobRunner* Install(Napi::Env env);
  Napi::Value Start(Napi::Env env, const char* name, Run run, Settle settle);

 private:
  struct Entry;
  void Finish(Entry* entry);
  std::mutex mutex_;
  std::set<std::shared_ptr<Entry>> running_;
};

}  // namespace harness
}  // namespace aio
