// A stress driver for the signal relay (native/core/relay_core.cc) without Node, built and run under
// ThreadSanitizer by scripts/sanitize.sh:
//
//   g++ -std=c++17 -fsanitize=thread -g -O1 -pthread -Inative/common -Inative/core
//       test/native/relay_tsan.cc native/core/relay_core.cc -o relay_tsan && ./relay_tsan [iterations]
//
// sanitize-sources: native/core/relay_core.cc
//
// Threads, all at once:
//  * subscribers open a subscription (SIGIO, sometimes SIGUSR2 too), send themselves SIGIO, wait
//    for a record on their pipe, check it, and close again, over and over. Half of them block
//    the relayed signals (so the relay threads' sigwaitinfo takes those), half do not (like
//    Node's threads: the process-wide handler runs on them and chains to the previous handler);
//  * senders send SIGIO and SIGUSR2 to the process without pause;
//  * canaries open pipes, hold them a moment and check that nothing was written into them: a
//    record there would mean Forward() wrote to a descriptor Unsubscribe() had closed and the
//    kernel had handed out again (the store-buffering argument of Forward/Unsubscribe);
//  * a reader calls relay::Subscribers() in a loop;
//  * a replacer plays libuv under Node's process.on(signal): it installs another handler for
//    SIGIO over the relay's (alternately a "foreign" one and the previous one) and then calls
//    relay::Rearm(), as lib/sys/relay.ts does, so that the handler's chained-to pointer is
//    republished while handlers run on other threads.
// Then, single-threaded: every slot taken, the next Open fails with EMFILE, all closed; and
// the disposition rules one by one (Replacements()).
// At the end: no subscriber left, the original dispositions back, no descriptor leaked.
// Exit status 0 when every check holds; ThreadSanitizer's reports make it fail on their own.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "relay_core.h"

namespace {

using aio::relay::Bit;

constexpr int kSubscribers = 4;
constexpr int kSenders = 2;
constexpr int kCanaries = 2;

std::atomic<bool> g_stop{false};
std::atomic<int> g_failures{0};
std::atomic<long> g_records{0};
std::atomic<long> g_sent{0};
std::atomic<long> g_previous_calls{0};
std::atomic<long> g_foreign_calls{0};
std::atomic<long> g_canary_pipes{0};

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "relay_tsan: FAILED %s:%d: %s: ", __FILE__, __LINE__, \
              #cond);                                                      \
      fprintf(stderr, __VA_ARGS__);                                        \
      fputc('\n', stderr);                                                 \
      g_failures.fetch_add(1);                                             \
    }                                                                      \
  } while (0)

// The disposition found by the relay's first Start(): it must be chained to and restored.
void PreviousHandler(int, siginfo_t*, void*) {
  g_previous_calls.fetch_add(1, std::memory_order_relaxed);
}

// A handler installed over the relay's while it is open (libuv's, in Node).
void ForeignHandler(int, siginfo_t*, void*) {
  g_foreign_calls.fetch_add(1, std::memory_order_relaxed);
}

struct sigaction Action(void (*handler)(int, siginfo_t*, void*)) {
  struct sigaction a;
  memset(&a, 0, sizeof a);
  a.sa_sigaction = handler;
  a.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&a.sa_mask);
  return a;
}

void SleepUs(long us) {
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, nullptr);
}

void BlockRelayed(bool block) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGIO);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

int CountFds() {
  int n = 0;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (struct dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(dir);
  return n - 1;  // the directory's own descriptor
}

// Reads every record waiting on `fd`; returns how many, checking their shape.
long Drain(int fd, uint64_t signals) {
  long count = 0;
  struct signalfd_siginfo records[8];
  for (;;) {
    ssize_t n = read(fd, records, sizeof records);
    if (n < 0) {
      CHECK(errno == EAGAIN, "read: %s", strerror(errno));
      return count;
    }
    CHECK(n > 0, "end of file on a relay pipe");
    if (n <= 0) return count;
    CHECK(n % sizeof(struct signalfd_siginfo) == 0, "partial record: %zd bytes", n);
    for (size_t i = 0; i < n / sizeof(struct signalfd_siginfo); i++) {
      const struct signalfd_siginfo& r = records[i];
      CHECK(r.ssi_signo == SIGIO || r.ssi_signo == SIGUSR2, "ssi_signo %u", r.ssi_signo);
      CHECK(signals & Bit(static_cast<int>(r.ssi_signo)), "record for signal %u not subscribed",
            r.ssi_signo);
      CHECK(r.ssi_code == SI_USER, "ssi_code %d", r.ssi_code);
      CHECK(r.ssi_pid == static_cast<uint32_t>(getpid()), "ssi_pid %u", r.ssi_pid);
      count++;
    }
  }
}

void Subscriber(int index, int iterations) {
  BlockRelayed(index % 2 == 0);
  for (int i = 0; i < iterations && g_failures.load() == 0; i++) {
    uint64_t signals = Bit(SIGIO) | (i % 3 == 0 ? Bit(SIGUSR2) : 0);
    aio::relay::OpenResult opened = aio::relay::Open(signals);
    CHECK(opened.err == 0, "Open: %s (%s)", strerror(opened.err), opened.syscall);
    if (opened.err != 0) return;
    const aio::relay::Subscription sub = opened.subscription;
    CHECK(aio::relay::Subscribers(SIGIO) >= 1, "Subscribers(SIGIO) < 1 while subscribed");
    // Any SIGIO delivered from now on is forwarded to this pipe, whichever road it takes.
    kill(getpid(), SIGIO);
    if (i % 4 != 3) {  // every fourth time, close with the record unread
      struct pollfd pfd = {sub.read_fd, POLLIN, 0};
      int ready;
      do ready = poll(&pfd, 1, 10000);
      while (ready < 0 && errno == EINTR);
      CHECK(ready == 1 && (pfd.revents & POLLIN), "no record within 10 s (poll %d, revents %#x)",
            ready, pfd.revents);
      long got = Drain(sub.read_fd, signals);
      CHECK(got > 0, "readable pipe without a record");
      g_records.fetch_add(got, std::memory_order_relaxed);
    }
    aio::relay::Close(&sub, 1);
  }
}

void Sender(int index) {
  BlockRelayed(true);
  for (long n = 0; !g_stop.load(std::memory_order_relaxed); n++) {
    kill(getpid(), (n + index) % 5 == 0 ? SIGUSR2 : SIGIO);
    g_sent.fetch_add(1, std::memory_order_relaxed);
    SleepUs(20 + 37 * index);
  }
}

void Canary() {
  BlockRelayed(true);
  while (!g_stop.load(std::memory_order_relaxed)) {
    int fds[2];
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      CHECK(errno == EMFILE || errno == ENFILE, "pipe2: %s", strerror(errno));
      SleepUs(100);
      continue;
    }
    SleepUs(200);
    char buffer[256];
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    CHECK(n < 0 && errno == EAGAIN,
          "a canary pipe received %zd bytes: a record went to a reused descriptor", n);
    close(fds[0]);
    close(fds[1]);
    g_canary_pipes.fetch_add(1, std::memory_order_relaxed);
  }
}

void Counter() {
  BlockRelayed(true);
  while (!g_stop.load(std::memory_order_relaxed)) {
    int n = aio::relay::Subscribers(SIGIO);
    CHECK(n >= 0 && n <= kSubscribers, "Subscribers(SIGIO) = %d", n);
    CHECK(aio::relay::Subscribers(0) == 0 && aio::relay::Subscribers(NSIG) == 0,
          "Subscribers out of range is not 0");
    SleepUs(50);
  }
}

void Replacer() {
  BlockRelayed(true);
  const struct sigaction foreign = Action(ForeignHandler);
  const struct sigaction previous = Action(PreviousHandler);
  for (long n = 0; !g_stop.load(std::memory_order_relaxed); n++) {
    sigaction(SIGIO, n % 2 == 0 ? &foreign : &previous, nullptr);
    aio::relay::Rearm(SIGIO);
    SleepUs(300);
  }
  sigaction(SIGIO, &previous, nullptr);
}

// Every slot taken: the next Open fails with EMFILE and leaves nothing open.
void FillSlots() {
  std::vector<aio::relay::Subscription> subs;
  for (int i = 0; i < aio::relay::kSlots; i++) {
    aio::relay::OpenResult opened = aio::relay::Open(Bit(SIGIO));
    CHECK(opened.err == 0, "Open #%d: %s", i, strerror(opened.err));
    if (opened.err != 0) break;
    subs.push_back(opened.subscription);
  }
  int fds = CountFds();
  aio::relay::OpenResult extra = aio::relay::Open(Bit(SIGIO));
  CHECK(extra.err == EMFILE, "Open beyond %d slots: err %d", aio::relay::kSlots, extra.err);
  CHECK(CountFds() == fds, "a failed Open leaked descriptors");
  kill(getpid(), SIGIO);
  struct pollfd pfd = {subs.back().read_fd, POLLIN, 0};
  CHECK(poll(&pfd, 1, 10000) == 1, "the last of %zu subscribers got no record", subs.size());
  CHECK(aio::relay::Subscribers(SIGIO) == aio::relay::kSlots, "Subscribers %d",
        aio::relay::Subscribers(SIGIO));
  aio::relay::Close(subs.data(), subs.size());
}

// The handler installed for `signo` now: PreviousHandler, ForeignHandler, the relay's own
// (anything else with SA_SIGINFO), or null for SIG_DFL.
void* Installed(int signo) {
  struct sigaction now;
  sigaction(signo, nullptr, &now);
  if (now.sa_flags & SA_SIGINFO) return reinterpret_cast<void*>(now.sa_sigaction);
  return now.sa_handler == SIG_DFL ? nullptr : reinterpret_cast<void*>(now.sa_handler);
}

bool IsPrevious(int signo) { return Installed(signo) == reinterpret_cast<void*>(PreviousHandler); }

bool IsRelays(int signo) {
  void* h = Installed(signo);
  return h != nullptr && h != reinterpret_cast<void*>(PreviousHandler) &&
         h != reinterpret_cast<void*>(ForeignHandler);
}

aio::relay::Subscription OpenSigio() {
  aio::relay::OpenResult opened = aio::relay::Open(Bit(SIGIO));
  CHECK(opened.err == 0, "Open: %s", strerror(opened.err));
  return opened.subscription;
}

// Sends SIGIO to this process and expects exactly its record on `sub`. This thread is the
// only one left that does not block SIGIO, so the relay's handler runs here, chained call
// included, before poll() returns.
void KickAndExpectRecord(const aio::relay::Subscription& sub) {
  kill(getpid(), SIGIO);
  struct pollfd pfd = {sub.read_fd, POLLIN, 0};
  int ready;
  do ready = poll(&pfd, 1, 10000);
  while (ready < 0 && errno == EINTR);
  CHECK(ready == 1 && Drain(sub.read_fd, Bit(SIGIO)) == 1, "no record for SIGIO (poll %d)", ready);
}

// Issue 8, class "process-wide signal state restored stale or overwritten": the rules, one by
// one, with a stand-in for libuv's handler (ForeignHandler) and for its SIG_DFL.
void Replacements() {
  const struct sigaction foreign = Action(ForeignHandler);
  const struct sigaction previous = Action(PreviousHandler);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  CHECK(IsPrevious(SIGIO), "SIGIO does not start at the previous handler");

  // Replaced while open: Rearm() takes SIGIO back and chains to the replacer, not to the
  // handler seen at open; Close() puts back the replacer's.
  aio::relay::Subscription a = OpenSigio();
  sigaction(SIGIO, &foreign, nullptr);
  CHECK(aio::relay::Rearm(SIGIO), "Rearm did not find the foreign handler");
  CHECK(!aio::relay::Rearm(SIGIO) && IsRelays(SIGIO), "Rearm did not reinstall the relay's");
  CHECK(aio::relay::HandlerReplaced(a, true) == 1, "HandlerReplaced %lu",
        static_cast<unsigned long>(aio::relay::HandlerReplaced(a, false)));
  const long foreign_before = g_foreign_calls.load(), previous_before = g_previous_calls.load();
  KickAndExpectRecord(a);
  CHECK(g_foreign_calls.load() == foreign_before + 1 && g_previous_calls.load() == previous_before,
        "chained to the stale handler: foreign +%ld, previous +%ld",
        g_foreign_calls.load() - foreign_before, g_previous_calls.load() - previous_before);
  aio::relay::Close(&a, 1);
  CHECK(Installed(SIGIO) == reinterpret_cast<void*>(ForeignHandler), "Close did not put back the current handler");

  // SIG_DFL over the relay's while open (libuv's last uv_signal stopped): taken back, so
  // SIGIO does not kill; Close() restores SIG_DFL, the current disposition.
  a = OpenSigio();
  sigaction(SIGIO, &dfl, nullptr);
  CHECK(aio::relay::Rearm(SIGIO) && IsRelays(SIGIO), "Rearm over SIG_DFL");
  KickAndExpectRecord(a);
  aio::relay::Close(&a, 1);
  CHECK(Installed(SIGIO) == nullptr, "Close did not restore SIG_DFL");

  // Replaced and not taken back: Close() leaves the replacer's handler and counts it.
  sigaction(SIGIO, &previous, nullptr);
  a = OpenSigio();
  sigaction(SIGIO, &foreign, nullptr);
  aio::relay::Close(&a, 1);
  CHECK(Installed(SIGIO) == reinterpret_cast<void*>(ForeignHandler), "Close overwrote the foreign handler");
  CHECK(aio::relay::HandlerReplaced(a, false) == 1, "Close did not count the replacement");

  // Opening an already relayed signal takes it back (counted for the older subscription only).
  sigaction(SIGIO, &previous, nullptr);
  a = OpenSigio();
  sigaction(SIGIO, &foreign, nullptr);
  aio::relay::Subscription b = OpenSigio();
  CHECK(IsRelays(SIGIO), "Open did not take SIGIO back");
  CHECK(aio::relay::HandlerReplaced(a, false) == 1 && aio::relay::HandlerReplaced(b, false) == 0,
        "HandlerReplaced a %lu, b %lu", static_cast<unsigned long>(aio::relay::HandlerReplaced(a, false)),
        static_cast<unsigned long>(aio::relay::HandlerReplaced(b, false)));
  const aio::relay::Subscription both[] = {a, b};
  aio::relay::Close(both, 2);
  CHECK(Installed(SIGIO) == reinterpret_cast<void*>(ForeignHandler), "Close after a retake");

  sigaction(SIGIO, &previous, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? atoi(argv[1]) : 200;
  struct sigaction previous;
  memset(&previous, 0, sizeof previous);
  previous.sa_sigaction = PreviousHandler;
  previous.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&previous.sa_mask);
  sigaction(SIGIO, &previous, nullptr);
  sigaction(SIGUSR2, &previous, nullptr);
  const int fds_before = CountFds();

  CHECK(aio::relay::Relayable(SIGIO) && aio::relay::Relayable(SIGUSR2), "SIGIO/SIGUSR2");
  CHECK(!aio::relay::Relayable(SIGKILL) && !aio::relay::Relayable(SIGSEGV), "SIGKILL/SIGSEGV");

  std::vector<std::thread> workers, helpers;
  for (int i = 0; i < kSenders; i++) helpers.emplace_back(Sender, i);
  for (int i = 0; i < kCanaries; i++) helpers.emplace_back(Canary);
  helpers.emplace_back(Counter);
  helpers.emplace_back(Replacer);
  for (int i = 0; i < kSubscribers; i++) workers.emplace_back(Subscriber, i, iterations);
  for (std::thread& t : workers) t.join();
  g_stop.store(true);
  for (std::thread& t : helpers) t.join();

  FillSlots();
  Replacements();

  CHECK(aio::relay::Subscribers(SIGIO) == 0 && aio::relay::Subscribers(SIGUSR2) == 0,
        "subscribers left: SIGIO %d, SIGUSR2 %d", aio::relay::Subscribers(SIGIO),
        aio::relay::Subscribers(SIGUSR2));
  CHECK(IsPrevious(SIGIO) && IsPrevious(SIGUSR2), "the previous dispositions were not restored");
  const int fds_after = CountFds();
  CHECK(fds_after == fds_before, "descriptors: %d before, %d after", fds_before, fds_after);
  CHECK(g_records.load() >= kSubscribers * (iterations / 2), "only %ld records",
        g_records.load());

  printf("relay_tsan: %d subscribers x %d open/close, %ld signals sent, %ld records read, "
         "%ld chained to the previous handler, %ld to a replacing one, %ld canary pipes clean: "
         "%s\n",
         kSubscribers, iterations, g_sent.load(), g_records.load(), g_previous_calls.load(),
         g_foreign_calls.load(), g_canary_pipes.load(), g_failures.load() == 0 ? "ok" : "FAILED");
  return g_failures.load() == 0 ? 0 : 1;
}
