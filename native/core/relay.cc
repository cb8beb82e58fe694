// The signal relay's JavaScript binding: relayOpen / relayClose / relayReplaced / relayRearm /
// relayCount. The mechanism
// (slots, Forward(), the relay threads and the process-wide handler) is in relay_core.cc;
// this file owns the subscriptions of one environment (RelayState in addon.h) and turns
// failures into Node-shaped errors.
#include <errno.h>
#include <signal.h>
#include <uv.h>

#include <cstdint>
#include <vector>

#include "addon.h"
#include "args.h"
#include "errors.h"
#include "relay_core.h"

namespace aio {
namespace {

// relayOpen(signals: number[]) -> [id, readFd]
Napi::Value RelayOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RelayState* state = static_cast<RelayState*>(info.Data());
  sigset_t set = SigsetArg(info, 0, "signals");
  uint64_t signals = 0;
  for (int signo = 1; signo < NSIG; signo++) {
    if (sigismember(&set, signo) != 1) continue;
    if (!relay::Relayable(signo)) ThrowErrno(env, EINVAL, "sigaction");
    signals |= relay::Bit(signo);
  }
  if (signals == 0) ThrowErrno(env, EINVAL, "sigaction");

  relay::OpenResult opened = relay::Open(signals);
  if (opened.err != 0) ThrowErrno(env, opened.err, opened.syscall);
  uint32_t id = state->next_id++;
  state->open.emplace(id, opened.subscription);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, id));
  out.Set(1u, Napi::Number::New(env, opened.subscription.read_fd));
  return out;
}

Napi::Value Count(Napi::Env env, uint64_t n) {
  return Napi::Number::New(env, static_cast<double>(n));
}

// relayClose(id) -> its final handler-replaced count, or null if it was already closed
Napi::Value RelayClose(const Napi::CallbackInfo& info) {
  RelayState* state = static_cast<RelayState*>(info.Data());
  uint32_t id = static_cast<uint32_t>(Int32Arg(info, 0, "id"));
  auto it = state->open.find(id);
  if (it == state->open.end()) return info.Env().Null();
  const relay::Subscription sub = it->second;
  relay::Close(&sub, 1);
  state->open.erase(it);
  return Count(info.Env(), relay::HandlerReplaced(sub, false));
}

// relayReplaced(id) -> how often its handler was found replaced since it opened (after
// taking each of its signals back); null if it is closed
Napi::Value RelayReplaced(const Napi::CallbackInfo& info) {
  RelayState* state = static_cast<RelayState*>(info.Data());
  uint32_t id = static_cast<uint32_t>(Int32Arg(info, 0, "id"));
  auto it = state->open.find(id);
  if (it == state->open.end()) return info.Env().Null();
  return Count(info.Env(), relay::HandlerReplaced(it->second, true));
}

// relayRearm(signo) -> whether another handler had replaced ours (and was taken back)
Napi::Value RelayRearm(const Napi::CallbackInfo& info) {
  int signo = Int32Arg(info, 0, "signal");
  return Napi::Boolean::New(info.Env(), relay::Rearm(signo));
}

// relayCount(signo) -> subscribers across all environments (for tests and diagnosis).
Napi::Value RelayCount(const Napi::CallbackInfo& info) {
  int signo = Int32Arg(info, 0, "signal");
  return Napi::Number::New(info.Env(), relay::Subscribers(signo));
}

}  // namespace

// A worker that exits with relays open must not leave its pipes in the slot table, nor the
// process-wide handler installed on their behalf (Teardown in addon.cc says when this runs).
void TeardownRelay(RelayState& state) {
  std::vector<relay::Subscription> subs;
  subs.reserve(state.open.size());
  for (auto& [id, sub] : state.open) subs.push_back(sub);
  relay::Close(subs.data(), subs.size());
  state.open.clear();
}

void InitRelay(Napi::Env env, Napi::Object exports, RelayState* state) {
  exports.Set("relayOpen", Napi::Function::New(env, RelayOpen, "relayOpen", state));
  exports.Set("relayClose", Napi::Function::New(env, RelayClose, "relayClose", state));
  exports.Set("relayReplaced", Napi::Function::New(env, RelayReplaced, "relayReplaced", state));
  exports.Set("relayRearm", Napi::Function::New(env, RelayRearm, "relayRearm"));
  exports.Set("relayCount", Napi::Function::New(env, RelayCount, "relayCount"));
  exports.Set("RELAY_RECORD_SIZE", Napi::Number::New(env, relay::kRecordSize));
  // Whether this environment is the main thread's: Node runs its main thread on libuv's
  // default loop and each worker on a loop of its own. lib/sys/relay.ts hooks the process's
  // signal listeners there only, without loading node:worker_threads (4 ms) for isMainThread.
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  exports.Set("mainThread", Napi::Boolean::New(env, loop != nullptr && loop == uv_default_loop()));
}

}  // namespace aio
