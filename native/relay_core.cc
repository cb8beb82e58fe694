// The signal relay: signals in, 128-byte signalfd_siginfo records out, on one pipe per
// subscriber. It is the second wake-up path of DESIGN.md ("SIGIO kick"): kill(getpid(),
// SIGIO) -> relay -> pipe -> a poller asleep in ppoll.
//
// A signal reaches the relay by one of two roads, and exactly one per signal, since the
// kernel delivers each signal once:
//  * a relay thread per relayed signal, created with every signal blocked, waits for it
//    in sigwaitinfo(). It takes the signal when every other thread blocks it (QEMU's
//    layout: util/compatfd.c);
//  * Node's threads do not block SIGIO, whose default action kills the process, so while
//    a signal is relayed a process-wide handler is installed for it. Whichever thread
//    the kernel picks, the handler forwards the record and then chains to the handler
//    installed before it. The old disposition comes back with the last subscriber.
// Both roads fan out through Forward(), which is async-signal-safe.
//
// This is the addon's only process-wide state (dispositions and signals are per
// process), so it lives in globals behind g_mutex; subscriptions are owned per
// environment and closed by its cleanup hook (native/relay.cc).
//
// This file is the mechanism without Node (relay_core.h), so that test/native/relay_tsan.cc
// can run it under ThreadSanitizer; native/relay.cc is its JavaScript binding.
#include "relay_core.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>

namespace aio {
namespace relay {
namespace {

static_assert(sizeof(struct signalfd_siginfo) == kRecordSize, "record is a signalfd_siginfo");
static_assert(NSIG - 1 <= 64, "a subscriber's signals fit one 64-bit mask");

// A subscriber as the signal-side code sees it: the write end of its pipe and the
// signals it wants (bit signo-1). fd == -1 marks a free slot.
struct Slot {
  std::atomic<int> fd{-1};
  std::atomic<uint64_t> signals{0};
};
Slot g_slots[kSlots];

// Forward() calls under way, on any thread, in handlers included.
std::atomic<int> g_forwarding{0};

// Per relayed signal, guarded by g_mutex except where noted.
struct Relayed {
  int subscribers = 0;
  // Read by the handler without the lock: written only while our handler is not
  // installed for this signal.
  struct sigaction previous;
  pthread_t thread;
  std::atomic<bool> stopping{false};  // tells the relay thread to exit
};
Relayed g_relayed[NSIG];
std::mutex g_mutex;

struct signalfd_siginfo Record(const siginfo_t& si) {
  struct signalfd_siginfo r;
  memset(&r, 0, sizeof r);
  r.ssi_signo = si.si_signo;
  r.ssi_errno = si.si_errno;
  r.ssi_code = si.si_code;
  if (si.si_code <= 0) {  // SI_USER, SI_QUEUE, SI_TKILL: sent by a process
    r.ssi_pid = si.si_pid;
    r.ssi_uid = si.si_uid;
  } else if (si.si_signo == SIGIO) {  // POLL_IN & co: raised by the kernel for an fd
    r.ssi_fd = si.si_fd;
    r.ssi_band = static_cast<uint32_t>(si.si_band);
  }
  return r;
}

// Writes the record for `si` to every subscriber of its signal. Async-signal-safe:
// atomics and write(2) only. Each write end is O_NONBLOCK, so a handler never blocks:
// a full pipe already holds records that will wake its reader, and dropping this one
// coalesces as the kernel coalesces a pending standard signal.
void Forward(const siginfo_t& si) {
  // Pairs with Unsubscribe(): it stores fd = -1 and then reads g_forwarding; we raise
  // g_forwarding and then read fd. Both sides are seq_cst (a store-buffering pattern),
  // so either we see -1 and skip the slot, or Unsubscribe sees us and waits before it
  // closes the fd. We can never write to a closed, possibly reused, descriptor.
  g_forwarding.fetch_add(1, std::memory_order_seq_cst);
  const struct signalfd_siginfo record = Record(si);
  const uint64_t bit = Bit(si.si_signo);
  for (Slot& slot : g_slots) {
    int fd = slot.fd.load(std::memory_order_seq_cst);
    // `signals` was stored before `fd` was published (release), so it is current.
    if (fd < 0 || !(slot.signals.load(std::memory_order_relaxed) & bit)) continue;
    ssize_t n;
    do n = write(fd, &record, sizeof record);
    while (n < 0 && errno == EINTR);
  }
  g_forwarding.fetch_sub(1, std::memory_order_release);
}

void OnSignal(int signo, siginfo_t* si, void* context) {
  int saved_errno = errno;
  Forward(*si);
  const struct sigaction& previous = g_relayed[signo].previous;
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction != nullptr) previous.sa_sigaction(signo, si, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signo);
  }
  errno = saved_errno;
}

void* RelayThread(void* arg) {
  const int signo = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signo);
  for (;;) {
    siginfo_t si;
    // rt_sigtimedwait (what sigwaitinfo wraps) reports failure as -1 with errno (sigwait
    // instead returns the error number: QEMU's compatfd read errno after sigwait, a bug
    // we do not copy). The raw system call, not glibc's sigwaitinfo: glibc rewrites
    // si_code SI_TKILL into SI_USER, and the record must say what signalfd and the
    // handler road say, SI_TKILL for tgkill/pthread_kill.
    if (syscall(SYS_rt_sigtimedwait, &set, &si, nullptr, _NSIG / 8) < 0) {
      if (errno == EINTR) continue;
      return nullptr;
    }
    // Stop() sets `stopping` before it sends us the signal that ends this wait.
    if (g_relayed[signo].stopping.load(std::memory_order_acquire)) return nullptr;
    Forward(si);
  }
}

// Called with g_mutex held, for the first subscriber of `signo`.
int Start(int signo) {
  Relayed& r = g_relayed[signo];
  if (sigaction(signo, nullptr, &r.previous) != 0) return errno;
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = OnSignal;
  ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigfillset(&ours.sa_mask);
  if (sigaction(signo, &ours, nullptr) != 0) return errno;

  // The thread starts with every signal blocked (QEMU's qemu_thread_create, Node's
  // inspector signal thread), so sigwaitinfo is the only place it takes one.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  r.stopping.store(false, std::memory_order_relaxed);
  int err = pthread_create(&r.thread, nullptr, RelayThread,
                           reinterpret_cast<void*>(static_cast<intptr_t>(signo)));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (err != 0) {
    sigaction(signo, &r.previous, nullptr);
    return err;
  }
  return 0;
}

// Called with g_mutex held, when the last subscriber of `signo` leaves.
// When this process last sent itself each signal through the addon (NoteSelfSignal), in ns of
// CLOCK_MONOTONIC; 0 for never.
std::atomic<int64_t> g_self_signal_ns[NSIG];

int64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// A kill(getpid(), signo) sent just before the last subscriber left (the SIGIO kick of a
// context that is closing) may still be on its way: pending in the process's queue until a
// thread takes it, or, under qemu-user, queued in user space for the guest thread it hit.
// Restoring SIG_DFL at once would let it kill the process. So when the process sent itself
// `signo` in the last 100 ms, our handler (which with no subscriber left only chains to the
// previous one) stays until the signal is no longer pending and 20 ms have passed since it was
// sent, 50 ms at most. Signals from elsewhere get no grace: the old disposition is what their
// sender meets, as before any relay.
void SettleBeforeRestore(int signo) {
  constexpr int64_t kRecentNs = 100000000;
  constexpr int64_t kGraceNs = 20000000;
  constexpr int64_t kMaxNs = 50000000;
  const int64_t sent = g_self_signal_ns[signo].load(std::memory_order_relaxed);
  if (sent == 0 || NowNs() - sent > kRecentNs) return;
  for (;;) {
    const int64_t since = NowNs() - sent;
    sigset_t pending;
    const bool still = sigpending(&pending) == 0 && sigismember(&pending, signo) == 1;
    if ((since >= kGraceNs && !still) || since >= kMaxNs) return;
    usleep(1000);
  }
}

void Stop(int signo) {
  Relayed& r = g_relayed[signo];
  // Release pairs with the acquire in RelayThread: it sees `stopping` once woken by the
  // thread-directed signal below, or by a real one that arrives first.
  r.stopping.store(true, std::memory_order_release);
  pthread_kill(r.thread, signo);
  pthread_join(r.thread, nullptr);
  SettleBeforeRestore(signo);
  sigaction(signo, &r.previous, nullptr);
}

void Unsubscribe(int slot_index, uint64_t signals, int read_fd) {
  Slot& slot = g_slots[slot_index];
  int write_fd = slot.fd.exchange(-1, std::memory_order_seq_cst);
  // See Forward(): after this loop no Forward() can still hold write_fd.
  while (g_forwarding.load(std::memory_order_seq_cst) != 0) sched_yield();
  slot.signals.store(0, std::memory_order_relaxed);
  close(write_fd);
  close(read_fd);
  for (int signo = 1; signo < NSIG; signo++) {
    if ((signals & Bit(signo)) && --g_relayed[signo].subscribers == 0) Stop(signo);
  }
}

}  // namespace

void NoteSelfSignal(int signo) {
  if (signo > 0 && signo < NSIG) g_self_signal_ns[signo].store(NowNs(), std::memory_order_relaxed);
}

uint64_t Bit(int signo) { return uint64_t{1} << (signo - 1); }

bool Relayable(int signo) {
  switch (signo) {
    case SIGKILL:
    case SIGSTOP:
    // Faults: a handler that returns re-runs the faulting instruction forever.
    case SIGSEGV:
    case SIGBUS:
    case SIGILL:
    case SIGFPE:
    case SIGTRAP:
      return false;
    default: {
      struct sigaction probe;  // glibc refuses its internal real-time signals here
      return sigaction(signo, nullptr, &probe) == 0;
    }
  }
}

OpenResult Open(uint64_t signals) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return {errno, "pipe2", {}};

  std::lock_guard<std::mutex> lock(g_mutex);
  int index = -1;
  for (int i = 0; i < kSlots && index < 0; i++) {
    if (g_slots[i].fd.load(std::memory_order_relaxed) < 0) index = i;
  }
  if (index < 0) {
    close(fds[0]);
    close(fds[1]);
    return {EMFILE, "openSignalRelay", {}};
  }
  // Publish the slot before any handler can run for these signals (see Forward()).
  g_slots[index].signals.store(signals, std::memory_order_relaxed);
  g_slots[index].fd.store(fds[1], std::memory_order_seq_cst);
  uint64_t started = 0;
  for (int signo = 1; signo < NSIG; signo++) {
    if (!(signals & Bit(signo))) continue;
    if (g_relayed[signo].subscribers == 0) {
      int err = Start(signo);
      if (err != 0) {
        Unsubscribe(index, started, fds[0]);
        return {err, "sigaction", {}};
      }
    }
    g_relayed[signo].subscribers++;
    started |= Bit(signo);
  }
  return {0, nullptr, Subscription{index, signals, fds[0]}};
}

void Close(const Subscription* subs, size_t count) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (size_t i = 0; i < count; i++) Unsubscribe(subs[i].slot, subs[i].signals, subs[i].read_fd);
}

int Subscribers(int signo) {
  if (signo < 1 || signo >= NSIG) return 0;
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_relayed[signo].subscribers;
}

}  // namespace relay
}  // namespace aio
