// The native wake-up harness (no Node): the floor every JavaScript wake-up path is compared with.
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
//
// Between kicks the two threads behave in one of two ways (SenderMode in harness_core.h):
// kSpin, the doctor's floor, where the sender spins on the waiter's announcement; and kJs,
// where both threads do what the bench's JavaScript paths do, system call for system call
// (the bench's floor): see JsSender and JsWaiter below. On a 2-vCPU guest the difference
// decides where the waiter wakes: a spinning sender keeps its CPU busy, so the kernel
// tends to wake the waiter on the other, halted vCPU (an IPI out of HLT: ~35 µs here);
// a sender that sleeps right after its kick, as Atomics.wait does, frees its CPU for the
// waiter (~7.5 µs). Every sample records both threads' CPUs, so that figures can be
// compared placement by placement.
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "harness_core.h"

namespace aio {
namespace harness {
namespace {

// What the two threads share. `armed` is the round the waiter is (about to be) asleep
// for; `kicked` is the round whose kick the sender issued, and `sent_ns` its timestamp.
// Atomics.wait and Atomics.notify as V8 implements them (src/execution/futex-emulation.cc):
// a process-wide mutex, and a condition variable per waiting thread on which glibc's
// pthread_cond_timedwait sleeps in FUTEX_WAIT_BITSET with an absolute CLOCK_MONOTONIC
// deadline; glibc re-takes the mutex after such a wait marked contended, so its unlock is
// a FUTEX_WAKE. Written out here with the same system calls in the same order (strace of
// the JavaScript paths shows them), for one waiting thread.
class JsFutex {
 public:
  // Atomics.wait(word, expected, timeout): returns when notified, at the deadline, or at
  // once if word != expected.
  void Wait(const std::atomic<int32_t>& word, int32_t expected, int64_t timeout_ns) {
    const int64_t deadline = NowNs() + timeout_ns;
    Lock();
    if (word.load(std::memory_order_seq_cst) == expected) {
      waiting_on_ = &word;
      while (waiting_on_ == &word) {
        if (NowNs() >= deadline) break;
        const int32_t seq = seq_.load(std::memory_order_relaxed);
        Unlock();
        struct timespec ts = {static_cast<time_t>(deadline / 1000000000), static_cast<long>(deadline % 1000000000)};
        Futex(&seq_, FUTEX_WAIT_BITSET_PRIVATE, seq, &ts, FUTEX_BITSET_MATCH_ANY);
        LockContended();
      }
      waiting_on_ = nullptr;
    }
    Unlock();
  }

  // Atomics.notify(word): wakes the thread waiting on `word`, if one is.
  void Notify(const std::atomic<int32_t>& word) {
    Lock();
    if (waiting_on_ == &word) {
      waiting_on_ = nullptr;
      seq_.fetch_add(1, std::memory_order_relaxed);
      Futex(&seq_, FUTEX_WAKE_PRIVATE, 1, nullptr, 0);
    }
    Unlock();
  }

 private:
  static_assert(sizeof(std::atomic<int32_t>) == sizeof(int32_t), "a futex word is 32 bits");
  static long Futex(std::atomic<int32_t>* word, int op, int32_t value, const struct timespec* ts, uint32_t bits) {
    return syscall(SYS_futex, reinterpret_cast<int32_t*>(word), op, value, ts, nullptr, bits);
  }
  // glibc's lll_lock: 0 free, 1 taken, 2 taken with (possible) waiters.
  void Lock() {
    int32_t free = 0;
    if (!mutex_.compare_exchange_strong(free, 1, std::memory_order_acquire)) LockContended();
  }
  void LockContended() {
    while (mutex_.exchange(2, std::memory_order_acquire) != 0) Futex(&mutex_, FUTEX_WAIT_PRIVATE, 2, nullptr, 0);
  }
  void Unlock() {
    if (mutex_.exchange(0, std::memory_order_release) == 2) Futex(&mutex_, FUTEX_WAKE_PRIVATE, 1, nullptr, 0);
  }

  alignas(64) std::atomic<int32_t> mutex_{0};
  std::atomic<int32_t> seq_{0};
  const std::atomic<int32_t>* waiting_on_ = nullptr;  // guarded by mutex_
};

// What the two threads share. `armed` is the round the waiter is (about to be) asleep
// for (kJs: AioContext's POLLING store before ppoll); `kicked` is the round whose kick
// the sender issued, `sent_ns` its timestamp and `send_cpu` the sender's CPU then.
struct WakeShared {
  alignas(64) std::atomic<int64_t> armed{0};
  alignas(64) std::atomic<int64_t> kicked{0};
  std::atomic<int64_t> sent_ns{0};
  std::atomic<int32_t> send_cpu{-1};
  alignas(64) std::atomic<bool> stop{false};
  std::atomic<pid_t> sigwait_tid{0};
  // kJs: the context's NOTIFY_ME and NOTIFIED words (lib/aio/notify.ts), the probe's DONE
  // count (its bottom half's runs), and what only the sender can count.
  alignas(64) std::atomic<int32_t> notify_me{0};
  std::atomic<int32_t> notified{0};
  alignas(64) std::atomic<int32_t> done{0};
  std::atomic<int64_t> lost{0};
  std::atomic<bool> aborted{false};
  JsFutex futex;
};

int CurrentCpu() {
  return sched_getcpu();
}

int64_t HardNs(const WakeParams& p) {
  return std::max<int64_t>(1000000000, 10 * p.bound_ns);
}

// ppoll for POLLIN on `fd` for at most `ns` nanoseconds: > 0 ready, 0 timeout, < 0 EINTR.
int PollIn(int fd, int64_t ns) {
  struct pollfd p = {fd, POLLIN, 0};
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  int r = ppoll(&p, 1, &ts, nullptr);
  return r < 0 ? -1 : r;
}

// Empties the eventfd or the record pipe; true if anything was there.
bool Drain(int fd) {
  bool any = false;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return any;
  }
}

// The compat thread: sigwaitinfo({SIGIO}) -> one signalfd_siginfo record on the pipe.
// Its mask blocks every signal (SpawnBlocked), so SIGIO stays pending until taken here.
void SigwaitThread(WakeShared& sh, int pipe_w) {
  sh.sigwait_tid.store(static_cast<pid_t>(syscall(SYS_gettid)), std::memory_order_release);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGIO);
  for (;;) {
    siginfo_t si;
    if (sigwaitinfo(&set, &si) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (sh.stop.load(std::memory_order_acquire)) return;
    struct signalfd_siginfo record;
    memset(&record, 0, sizeof record);
    record.ssi_signo = static_cast<uint32_t>(si.si_signo);
    record.ssi_code = si.si_code;
    record.ssi_pid = static_cast<uint32_t>(si.si_pid);
    ssize_t n;
    do n = write(pipe_w, &record, sizeof record);
    while (n < 0 && errno == EINTR);
  }
}

// The kick: write(efd, 1), or tgkill(the sigwait thread, SIGIO).
void Kick(WakeShared& sh, const WakeParams& p, int kick_fd, pid_t pid) {
  if (p.path == 0) {
    uint64_t one = 1;
    ssize_t n;
    do n = write(kick_fd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
  } else {
    syscall(SYS_tgkill, pid, sh.sigwait_tid.load(std::memory_order_acquire), SIGIO);
  }
}

void Sender(WakeShared& sh, const WakeParams& p, int kick_fd, int cpu) {
  PinSelf(cpu);
  const pid_t pid = getpid();
  for (int64_t round = 1;; round++) {
    Backoff backoff;
    while (sh.armed.load(std::memory_order_acquire) < round) {
      if (sh.stop.load(std::memory_order_acquire)) return;
      backoff.Pause();
    }
    if (sh.stop.load(std::memory_order_acquire)) return;
    // The waiter announced the round just before entering ppoll; `gap` later it sleeps.
    SleepNs(p.gap_ns);
    sh.send_cpu.store(CurrentCpu(), std::memory_order_relaxed);
    const int64_t t0 = NowNs();
    sh.sent_ns.store(t0, std::memory_order_relaxed);
    // Release: the waiter that sees kicked == round also sees sent_ns of this round.
    sh.kicked.store(round, std::memory_order_release);
    Kick(sh, p, kick_fd, pid);
  }
}

// The sender of kJs: what lib/tools/bench/wake/aio-sender.ts (and aio-main.ts, on the
// main thread) do per sample. awaitFlag(POLLING): a 20 µs timed wait between looks;
// pauseMs(gap); the CPU, then the timestamp; notify() (the coalesced kick: exchange
// NOTIFIED, load NOTIFY_ME, write only if the waiter announced a sleep); then
// awaitCount(DONE): timed waits of `bound` that the waiter's notify ends. A kick that
// no wake answers within HardNs() is counted lost and written again (the JavaScript
// side's rescue), so that the run goes on.
void JsSender(WakeShared& sh, const WakeParams& p, int kick_fd, int cpu, const std::atomic<bool>& abort) {
  PinSelf(cpu);
  const pid_t pid = getpid();
  const int64_t hard_ns = HardNs(p);
  std::atomic<int32_t> sleeper{0};  // pauseMs()'s word: nobody notifies it
  auto stopping = [&]() {
    if (sh.stop.load(std::memory_order_acquire)) return true;
    if (!abort.load(std::memory_order_relaxed)) return false;
    // The waiter sleeps with no timeout: wake it to leave.
    sh.aborted.store(true, std::memory_order_relaxed);
    sh.stop.store(true, std::memory_order_release);
    Kick(sh, p, kick_fd, pid);
    return true;
  };
  for (int64_t round = 1;; round++) {
    while (sh.armed.load(std::memory_order_acquire) < round) {
      if (stopping()) return;
      sh.futex.Wait(sleeper, 0, 20000);
    }
    if (stopping()) return;
    if (p.gap_ns > 0) sh.futex.Wait(sleeper, 0, p.gap_ns);
    const int32_t before = sh.done.load(std::memory_order_seq_cst);
    sh.send_cpu.store(CurrentCpu(), std::memory_order_relaxed);
    const int64_t t0 = NowNs();
    sh.sent_ns.store(t0, std::memory_order_relaxed);
    sh.kicked.store(round, std::memory_order_release);
    if (sh.notified.exchange(1, std::memory_order_seq_cst) == 0 && sh.notify_me.load(std::memory_order_seq_cst) != 0) {
      Kick(sh, p, kick_fd, pid);
    }
    int64_t waited = 0;
    bool rescued = false;
    for (;;) {
      const int32_t now = sh.done.load(std::memory_order_seq_cst);
      if (now > before) break;
      if (stopping()) return;
      sh.futex.Wait(sh.done, now, p.bound_ns);
      if (sh.done.load(std::memory_order_seq_cst) > before) break;
      waited += p.bound_ns;
      if (!rescued && waited > hard_ns) {  // kick issued, wake never came
        rescued = true;
        sh.lost.fetch_add(1, std::memory_order_relaxed);
        Kick(sh, p, kick_fd, pid);
      }
    }
  }
}

void Waiter(WakeShared& sh, const WakeParams& p, int wait_fd, int cpu, WakeResult& out,
            const std::atomic<bool>& abort) {
  PinSelf(cpu);
  const int64_t start = NowNs();
  const int64_t deadline = start + p.max_ns;
  const int64_t hard_ns = std::max<int64_t>(1000000000, 10 * p.bound_ns);
  out.latencies.reserve(static_cast<size_t>(p.samples));
  out.send_cpus.reserve(static_cast<size_t>(p.samples));
  out.wake_cpus.reserve(static_cast<size_t>(p.samples));
  for (int64_t round = 1; round <= p.samples; round++) {
    if (NowNs() > deadline || abort.load(std::memory_order_relaxed)) {
      out.aborted = abort.load(std::memory_order_relaxed);
      break;
    }
    sh.armed.store(round, std::memory_order_release);
    bool late = false;
    for (;;) {
      int r = PollIn(wait_fd, p.bound_ns);
      const int64_t t1 = NowNs();
      const bool sent = sh.kicked.load(std::memory_order_acquire) >= round;
      if (r > 0) {
        if (!sent) {  // readable before anything was sent for this round
          out.spurious++;
          Drain(wait_fd);
          continue;
        }
        const int64_t t0 = sh.sent_ns.load(std::memory_order_relaxed);
        const int wake_cpu = CurrentCpu();
        if (!Drain(wait_fd)) {  // POLLIN with nothing to read
          out.spurious++;
          continue;
        }
        out.latencies.push_back(static_cast<double>(t1 - t0));
        out.send_cpus.push_back(sh.send_cpu.load(std::memory_order_relaxed));
        out.wake_cpus.push_back(wake_cpu);
        if (late || t1 - t0 > p.bound_ns) out.late++;
        break;
      }
      if (r < 0) {  // EINTR: every signal is blocked here, so this is not expected
        out.spurious++;
        continue;
      }
      if (!sent) {  // the sender has not kicked yet: not a wake-up problem
        if (t1 - start > p.max_ns + hard_ns || abort.load(std::memory_order_relaxed)) {
          out.aborted = true;
          out.elapsed_ns = NowNs() - start;
          sh.stop.store(true, std::memory_order_release);
          return;
        }
        continue;
      }
      const int64_t waited = t1 - sh.sent_ns.load(std::memory_order_relaxed);
      if (waited > p.bound_ns) late = true;
      if (waited > hard_ns) {  // kick issued, wake never came
        out.lost++;
        Drain(wait_fd);
        break;
      }
    }
  }
  out.elapsed_ns = NowNs() - start;
  sh.stop.store(true, std::memory_order_release);
}

// The waiter of kJs: what an IOThread's poll(true) and the probe's bottom half do per
// sample (lib/aio/context.ts, lib/tools/bench/wake/probe-cpu.ts). NOTIFY_ME += 2, load
// NOTIFIED, POLLING = 1; ppoll(the fd, no timeout, no signal mask); on waking the
// timestamp, NOTIFY_ME -= 2 and NOTIFIED = 0 (notifyAccept), the CPU, DONE += 1 and
// Atomics.notify(DONE); then one read(2) of the fd, as the context's notifier handler
// does after the bottom halves.
void JsWaiter(WakeShared& sh, const WakeParams& p, int wait_fd, int cpu, WakeResult& out,
              const std::atomic<bool>& abort) {
  PinSelf(cpu);
  const int64_t start = NowNs();
  const int64_t deadline = start + p.max_ns;
  out.latencies.reserve(static_cast<size_t>(p.samples));
  out.send_cpus.reserve(static_cast<size_t>(p.samples));
  out.wake_cpus.reserve(static_cast<size_t>(p.samples));
  struct pollfd pfd = {wait_fd, POLLIN, 0};
  struct timespec zero = {0, 0};
  // The context's notifier reads 8 bytes (an eventfd count); a pipe record is 128.
  char buf[sizeof(struct signalfd_siginfo)];
  const size_t read_size = p.path == 0 ? sizeof(uint64_t) : sizeof buf;
  for (int64_t round = 1; round <= p.samples; round++) {
    if (NowNs() > deadline || abort.load(std::memory_order_relaxed) || sh.stop.load(std::memory_order_acquire)) {
      out.aborted = abort.load(std::memory_order_relaxed) || sh.aborted.load(std::memory_order_relaxed);
      break;
    }
    sh.notify_me.fetch_add(2, std::memory_order_seq_cst);
    // NOTIFIED already set would skip the sleep; the sender only kicks an announced sleep.
    struct timespec* timeout = sh.notified.load(std::memory_order_seq_cst) != 0 ? &zero : nullptr;
    sh.armed.store(round, std::memory_order_release);
    int64_t t1;
    for (;;) {
      const int r = ppoll(&pfd, 1, timeout, nullptr);
      t1 = NowNs();
      timeout = nullptr;
      if (sh.stop.load(std::memory_order_acquire)) {  // the sender left (abort) and woke us
        out.aborted = sh.aborted.load(std::memory_order_relaxed);
        out.elapsed_ns = NowNs() - start;
        return;
      }
      if (r > 0 && sh.kicked.load(std::memory_order_acquire) >= round) break;
      if (r != 0) out.spurious++;  // readable with nothing sent for this round, or EINTR
      if (r > 0) (void)!read(wait_fd, buf, read_size);
    }
    sh.notify_me.fetch_sub(2, std::memory_order_seq_cst);
    sh.notified.exchange(0, std::memory_order_seq_cst);
    const int wake_cpu = CurrentCpu();
    const int64_t t0 = sh.sent_ns.load(std::memory_order_relaxed);
    out.latencies.push_back(static_cast<double>(t1 - t0));
    out.send_cpus.push_back(sh.send_cpu.load(std::memory_order_relaxed));
    out.wake_cpus.push_back(wake_cpu);
    if (t1 - t0 > p.bound_ns) out.late++;
    sh.done.fetch_add(1, std::memory_order_seq_cst);
    sh.futex.Notify(sh.done);
    (void)!read(wait_fd, buf, read_size);
  }
  out.elapsed_ns = NowNs() - start;
}

}  // namespace

void RunWake(const WakeParams& p, WakeResult& out, const std::atomic<bool>& abort, RunError& err) {
  WakeShared sh;
  int wait_fd = -1, kick_fd = -1;
  if (p.path == 0) {
    wait_fd = kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wait_fd < 0) {
      err.error = errno;
      err.syscall = "eventfd";
      return;
    }
  } else {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      err.error = errno;
      err.syscall = "pipe2";
      return;
    }
    wait_fd = fds[0];
    kick_fd = fds[1];
  }
  out.placement = ChoosePlacement(p.pin);
  std::thread sigwaiter;
  if (p.path == 1) {
    sigwaiter = SpawnBlocked([&sh, kick_fd]() { SigwaitThread(sh, kick_fd); });
    while (sh.sigwait_tid.load(std::memory_order_acquire) == 0) sched_yield();
  }
  const int sender_cpu = out.placement.cpu[1];
  std::thread sender = SpawnBlocked([&sh, &p, kick_fd, sender_cpu, &abort]() {
    if (p.sender == SenderMode::kJs) {
      JsSender(sh, p, kick_fd, sender_cpu, abort);
    } else {
      Sender(sh, p, kick_fd, sender_cpu);
    }
  });
  if (p.sender == SenderMode::kJs) {
    JsWaiter(sh, p, wait_fd, out.placement.cpu[0], out, abort);
  } else {
    Waiter(sh, p, wait_fd, out.placement.cpu[0], out, abort);
  }
  sh.stop.store(true, std::memory_order_release);
  sender.join();
  out.lost += sh.lost.load(std::memory_order_relaxed);
  if (p.path == 1) {
    // `stop` is set (release) before this signal; the thread's acquire load sees it.
    syscall(SYS_tgkill, getpid(), sh.sigwait_tid.load(std::memory_order_acquire), SIGIO);
    sigwaiter.join();
    close(kick_fd);
  }
  close(wait_fd);
}

}  // namespace harness
}  // namespace aio
