// The signal relay's mechanism, without Node: the subscriber slots, Forward() (shared by the
// sigwaitinfo threads and the process-wide handler), Start/Stop of a relayed signal, and
// Open/Close of a subscription. native/core/relay.cc binds it to JavaScript (per-environment
// subscriptions, Node-shaped errors); test/native/relay_tsan.cc drives it under
// ThreadSanitizer. See relay_core.cc for the design and the ordering arguments.
#pragma once
#include <cstddef>
#include <cstdint>

namespace aio {
namespace relay {

// Subscriber slots (process-wide): more open subscriptions fail with EMFILE.
constexpr int kSlots = 256;

// Bytes per record: one struct signalfd_siginfo.
constexpr size_t kRecordSize = 128;

// A subscriber's signals are a mask of Bit(signo), signo in 1.._NSIG-1.
uint64_t Bit(int signo);

// Whether `signo` may be relayed: not SIGKILL/SIGSTOP, not a fault, not one of glibc's
// internal real-time signals.
bool Relayable(int signo);

// One open subscription: the slot holding its pipe's write end, its signals, and the read end
// (O_NONBLOCK | O_CLOEXEC) its owner polls and reads 128-byte signalfd_siginfo records from.
struct Subscription {
  int slot;
  uint64_t signals;
  int read_fd;
  // The replacement count of its signals when it opened (see HandlerReplaced()).
  uint64_t replaced_at_open;
};

// The outcome of Open(): err == 0 and `subscription` on success; otherwise the positive errno
// value and the system call to name in the error (nothing is left open).
struct OpenResult {
  int err;
  const char* syscall;
  Subscription subscription;
};

// Subscribes to `signals` (non-zero, every member Relayable: checked by the caller): a new
// pipe, a free slot, and for each signal without subscribers yet, the process-wide handler and
// a relay thread. Thread-safe.
OpenResult Open(uint64_t signals);

// Unsubscribes each of `subs` and closes both ends of its pipe; the last subscriber of a signal
// stops its relay thread and, if our handler is still the installed one, puts back the handler
// it chains to (the one it displaced most recently, not a stale one seen at the first Open);
// if another handler has replaced ours, that one stays. Thread-safe (one lock for all of them).
void Close(const Subscription* subs, size_t count);

// Takes `signo` back if, while it has subscribers, another handler has replaced ours (Node's
// process.on(signal) through libuv, libuv's SIGCHLD watcher, any sigaction()): ours goes back
// in and chains to that handler from then on. Returns whether it had been replaced (counted,
// see HandlerReplaced()). Open() does this for the signals it joins. Thread-safe.
bool Rearm(int signo);

// How many times, since `sub` opened, our handler was found replaced by another one for any of
// its signals (by Rearm(), Open(), or the last Close() of a signal). With `check` (only while
// `sub` is open), Rearm() each of its signals first. Thread-safe.
uint64_t HandlerReplaced(const Subscription& sub, bool check);

// Subscribers of `signo` across the process (0 for a number out of range). Thread-safe.
int Subscribers(int signo);

// Records that this process just sent itself `signo` (the addon's kill/tgkill, as a SIGIO kick
// does): if the last relay of `signo` closes soon after, it keeps its handler until that signal
// has been handled. Thread-safe, async-signal-safe.
void NoteSelfSignal(int signo);

}  // namespace relay
}  // namespace aio
