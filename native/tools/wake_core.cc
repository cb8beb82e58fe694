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
#include <errno.h>
#include <fcntl.h>
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
struct WakeShared {
  alignas(64) std::atomic<int64_t> armed{0};
  alignas(64) std::atomic<int64_t> kicked{0};
  std::atomic<int64_t> sent_ns{0};
  alignas(64) std::atomic<bool> stop{false};
  std::atomic<pid_t> sigwait_tid{0};
};

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
    const int64_t t0 = NowNs();
    sh.sent_ns.store(t0, std::memory_order_relaxed);
    // Release: the waiter that sees kicked == round also sees sent_ns of this round.
    sh.kicked.store(round, std::memory_order_release);
    if (p.path == 0) {
      uint64_t one = 1;
      ssize_t n;
      do n = write(kick_fd, &one, sizeof one);
      while (n < 0 && errno == EINTR);
    } else {
      syscall(SYS_tgkill, pid, sh.sigwait_tid.load(std::memory_order_acquire), SIGIO);
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
        if (!Drain(wait_fd)) {  // POLLIN with nothing to read
          out.spurious++;
          continue;
        }
        out.latencies.push_back(static_cast<double>(t1 - t0));
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
  std::thread sender = SpawnBlocked(
      [&sh, &p, kick_fd, &out]() { Sender(sh, p, kick_fd, out.placement.cpu[1]); });
  Waiter(sh, p, wait_fd, out.placement.cpu[0], out, abort);
  sh.stop.store(true, std::memory_order_release);
  sender.join();
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
