// The signal relay: signals in, 128-byte signalfd_siginfo records out, on one pipe per
// subscriber. It is the second wake-up path of DESIGN.md ("SIGIO kick"): kill(getpid(),
// SIGIO) -> relay -> pipe -> a poller asleep in ppoll.
//
// A signal reaches the relay by one of two roads, and exactly one per signal, since the
// kernel delivers each signal once:
//  * a relay thread per relayed signal, created with every signal blocked, waits for it
//    in sigwaitinfo(). It takes the signal when every other thread blocks it (QEMU's
//    layout: util/compatfd.c), when it is directed at it, and sometimes a process-directed
//    one while the thread the kernel would prefer has a signal pending;
//  * Node's threads do not block SIGIO, whose default action kills the process, so while
//    a signal is relayed a process-wide handler is installed for it. Whichever thread
//    the kernel picks, the handler forwards the record and then chains to the handler
//    it displaced. The last subscriber puts that handler back.
// Both roads go through Deliver(), which is async-signal-safe: Forward() fans the record
// out, then the handler ours displaced runs, on either road.
//
// Dispositions are shared with code that does not know about us: libuv installs its own
// handler when the first uv_signal of a signal starts (Node's process.on(signal), its
// SIGCHLD watcher for child processes) and SIG_DFL when the last one stops, without
// looking at what was there. So the relay never assumes its handler is still installed:
// Rearm() takes a signal back from whatever handler replaced ours and chains to that one
// (lib/sys/relay.ts calls it right after Node's process.on/off of a relayed signal, and
// Open() does for the signals it joins), and Restore() puts the chained-to handler back
// only if ours is still the installed one. Each replacement found is counted
// (HandlerReplaced()), since signals that reached the other handler meanwhile produced no
// record.
//
// This is the addon's only process-wide state (dispositions and signals are per
// process), so it lives in globals behind g_mutex; subscriptions are owned per
// environment and closed by its cleanup hook (native/core/relay.cc).
//
// This file is the mechanism without Node (relay_core.h), so that test/native/relay_tsan.cc
// can run it under ThreadSanitizer; native/core/relay.cc is its JavaScript binding.
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
#include <forward_list>
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

// What our handler chains to: the callable part of a disposition (SIG_DFL and SIG_IGN
// have none: a null Chain). Immutable once published, never freed: a handler running on
// another thread may still hold one after it was superseded.
struct Chain {
  bool siginfo;
  void (*handler)(int);                    // when !siginfo
  void (*action)(int, siginfo_t*, void*);  // when siginfo
};
static_assert(std::atomic<const Chain*>::is_always_lock_free,
              "the handler reads its Chain pointer: async-signal-safe only if lock-free");

// Per relayed signal, guarded by g_mutex except where noted.
struct Relayed {
  int subscribers = 0;
  // The disposition ours displaced, in full: what Restore() puts back. Only ever read
  // under g_mutex; the handler reads `chain`.
  struct sigaction previous;
  // The callable part of `previous`, read by the handler without the lock (see Arm()).
  std::atomic<const Chain*> chain{nullptr};
  // How often ours was found replaced by another handler (HandlerReplaced()).
  uint64_t replaced = 0;
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
    if (si.si_code == SI_QUEUE) {  // sigqueue()'s value, as signalfd reports it
      r.ssi_int = si.si_value.sival_int;
      r.ssi_ptr = reinterpret_cast<uint64_t>(si.si_value.sival_ptr);
    }
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

// One signal, whichever road it took: its record to every subscriber, then the handler
// ours displaced (Node's listeners, through libuv's handler), as if we were not there.
void Deliver(int signo, siginfo_t* si, void* context) {
  Forward(*si);
  // Acquire pairs with the release stores in Arm(): the Chain read here is fully written.
  // It is the one Arm() published before installing our handler, or a newer one; a
  // delivery that began before a Rearm() may chain to the older one, which stays valid.
  const Chain* chain = g_relayed[signo].chain.load(std::memory_order_acquire);
  if (chain != nullptr) {
    if (chain->siginfo) chain->action(signo, si, context);
    else chain->handler(signo);
  }
}

void OnSignal(int signo, siginfo_t* si, void* context) {
  int saved_errno = errno;
  Deliver(signo, si, context);
  errno = saved_errno;
}

bool IsOurs(const struct sigaction& a) {
  return (a.sa_flags & SA_SIGINFO) && a.sa_sigaction == OnSignal;
}

bool SameHandler(const struct sigaction& a, const struct sigaction& b) {
  if ((a.sa_flags & SA_SIGINFO) != (b.sa_flags & SA_SIGINFO)) return false;
  return (a.sa_flags & SA_SIGINFO) ? a.sa_sigaction == b.sa_sigaction : a.sa_handler == b.sa_handler;
}

// The Chain for disposition `a` (g_mutex held): null for SIG_DFL and SIG_IGN, else an entry
// of a list that only grows. Entries are shared, so the list holds one per distinct
// handler the process ever had for a relayed signal: a handful.
const Chain* Intern(const struct sigaction& a) {
  const bool siginfo = (a.sa_flags & SA_SIGINFO) != 0;
  if (siginfo ? a.sa_sigaction == nullptr : (a.sa_handler == SIG_DFL || a.sa_handler == SIG_IGN)) {
    return nullptr;
  }
  static auto* chains = new std::forward_list<Chain>();  // never destroyed (see Chain)
  Chain want{siginfo, siginfo ? nullptr : a.sa_handler, siginfo ? a.sa_sigaction : nullptr};
  for (const Chain& c : *chains) {
    if (c.siginfo == want.siginfo && c.handler == want.handler && c.action == want.action) return &c;
  }
  chains->push_front(want);
  return &chains->front();
}

// Installs our handler for `signo` (g_mutex held), chaining to and remembering the
// disposition it displaces. Returns 0 or an errno value.
//
// Publishing the chained-to handler to a handler that may run on any thread: the Chain
// is written (Intern) before the release store of its pointer, and that store is
// sequenced before the sigaction() that installs ours; the kernel takes the process's
// signal lock both to install a disposition and to deliver a signal, so a handler that
// runs because ours is installed loads (acquire, in OnSignal) this pointer or a later one.
int Arm(int signo) {
  Relayed& r = g_relayed[signo];
  struct sigaction seen;
  if (sigaction(signo, nullptr, &seen) != 0) return errno;
  r.chain.store(Intern(seen), std::memory_order_release);
  struct sigaction ours;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = OnSignal;
  ours.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  sigfillset(&ours.sa_mask);
  struct sigaction displaced;
  if (sigaction(signo, &ours, &displaced) != 0) return errno;
  // Another thread (libuv on Node's main thread) may have installed its handler between
  // the two calls: the one ours displaced is the one to chain to and to put back.
  if (!SameHandler(displaced, seen)) r.chain.store(Intern(displaced), std::memory_order_release);
  r.previous = displaced;
  return 0;
}

// Ours was replaced while `signo` has subscribers (g_mutex held): take it back.
bool TakeBack(int signo) {
  Relayed& r = g_relayed[signo];
  struct sigaction now;
  if (r.subscribers == 0 || sigaction(signo, nullptr, &now) != 0 || IsOurs(now)) return false;
  r.replaced++;
  // Fails only for a signal sigaction() refuses, which this one was not a moment ago.
  Arm(signo);
  return true;
}

// The last subscriber of `signo` left (g_mutex held): put back the handler ours displaced,
// but only if ours is still installed. A handler that replaced ours belongs to someone
// who does not know about us (libuv's, for a child process still running): it stays.
void Restore(int signo) {
  Relayed& r = g_relayed[signo];
  struct sigaction now;
  if (sigaction(signo, nullptr, &now) != 0) return;
  if (!IsOurs(now)) {
    r.replaced++;
    return;
  }
  struct sigaction displaced;
  if (sigaction(signo, &r.previous, &displaced) != 0) return;
  // Installed by another thread between the two calls: theirs, not ours, was current.
  if (!IsOurs(displaced)) {
    r.replaced++;
    sigaction(signo, &displaced, nullptr);
  }
}

uint64_t ReplacedSum(uint64_t signals) {
  uint64_t sum = 0;
  for (int signo = 1; signo < NSIG; signo++) {
    if (signals & Bit(signo)) sum += g_relayed[signo].replaced;
  }
  return sum;
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
    // A process-directed signal can take this road too: the kernel passes over a thread
    // that has a signal pending and is not running (wants_signal()), and a thread in
    // sigwaitinfo counts as not blocking it. So this road also chains, or Node's listener
    // would miss that signal. Outside a signal frame there is no ucontext: null.
    Deliver(signo, &si, nullptr);
  }
}

// Called with g_mutex held, for the first subscriber of `signo`.
int Start(int signo) {
  Relayed& r = g_relayed[signo];
  if (int err = Arm(signo)) return err;

  // The thread starts with every signal blocked (QEMU's qemu_thread_create, Node's
  // inspector signal thread), so sigwaitinfo is the only place it takes one.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  r.stopping.store(false, std::memory_order_relaxed);
  int err = pthread_create(&r.thread, nullptr, RelayThread,
                           reinterpret_cast<void*>(static_cast<intptr_t>(signo)));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (err != 0) Restore(signo);
  return err;
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
  Restore(signo);
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
    } else {
      TakeBack(signo);  // joining: records flow only if ours is the installed handler
    }
    g_relayed[signo].subscribers++;
    started |= Bit(signo);
  }
  return {0, nullptr, Subscription{index, signals, fds[0], ReplacedSum(signals)}};
}

void Close(const Subscription* subs, size_t count) {
  std::lock_guard<std::mutex> lock(g_mutex);
  for (size_t i = 0; i < count; i++) Unsubscribe(subs[i].slot, subs[i].signals, subs[i].read_fd);
}

bool Rearm(int signo) {
  if (signo < 1 || signo >= NSIG) return false;
  std::lock_guard<std::mutex> lock(g_mutex);
  return TakeBack(signo);
}

uint64_t HandlerReplaced(const Subscription& sub, bool check) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (check) {
    for (int signo = 1; signo < NSIG; signo++) {
      if (sub.signals & Bit(signo)) TakeBack(signo);
    }
  }
  return ReplacedSum(sub.signals) - sub.replaced_at_open;
}

int Subscribers(int signo) {
  if (signo < 1 || signo >= NSIG) return 0;
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_relayed[signo].subscribers;
}

}  // namespace relay
}  // namespace aio
