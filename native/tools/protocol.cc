// The notify/poll protocol race (race_core.cc) as a Promise-returning binding.
#include <errno.h>

#include "args.h"
#include "errors.h"
#include "harness-util.h"
#include "tools_addon.h"

namespace aio {
namespace {

// protocolRace(variant, races, boundNs, maxNs, stopAfterLost, pin) -> Promise<{ variant,
//   races, sleeps, kicks, lost, late, spurious, elapsedNs, firstLostNs, pinned, cpus }>
//   variant 0: no barriers (positive control), 1: smp_mb() on both sides.
Napi::Value ProtocolRace(const Napi::CallbackInfo& info) {
  auto* runner = static_cast<harness::JobRunner*>(info.Data());
  auto params = std::make_shared<harness::RaceParams>();
  const int variant = Int32Arg(info, 0, "variant");
  params->fenced = variant == 1;
  params->races = static_cast<int64_t>(NumberArg(info, 1, "races"));
  params->bound_ns = static_cast<int64_t>(NumberArg(info, 2, "boundNs"));
  params->max_ns = static_cast<int64_t>(NumberArg(info, 3, "maxNs"));
  if (!info[4].IsBoolean()) ThrowInvalidArg(info.Env(), "stopAfterLost", "of type boolean");
  params->stop_after_lost = info[4].As<Napi::Boolean>().Value();
  params->pin = harness::PinFrom(Int32Arg(info, 5, "pin"));
  if (variant < 0 || variant > 1 || params->races < 1 || params->bound_ns < 1 || params->max_ns < 1) {
    ThrowErrno(info.Env(), EINVAL, "protocolRace");
  }
  auto result = std::make_shared<harness::RaceResult>();
  return runner->Start(
      info.Env(), "aio-notify:protocolRace",
      [params, result](harness::JobRunner::Job& job) { harness::RunRace(*params, *result, job.abort, job.error); },
      [variant, result](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        auto num = [&](const char* k, int64_t v) {
          o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
        };
        num("variant", variant);
        num("races", result->races);
        num("sleeps", result->sleeps);
        num("kicks", result->kicks);
        num("lost", result->lost);
        num("late", result->late);
        num("together", result->together);
        num("spurious", result->spurious);
        num("elapsedNs", result->elapsed_ns);
        num("firstLostNs", result->first_lost_ns);
        o.Set("pinned", Napi::Boolean::New(env, result->placement.pinned));
        o.Set("cpus", harness::CpusArray(env, result->placement));
        return o;
      });
}

}  // namespace

void InitProtocol(Napi::Env env, Napi::Object exports, harness::JobRunner* jobs) {
  exports.Set("protocolRace", Napi::Function::New(env, ProtocolRace, "protocolRace", jobs));
}

}  // namespace aio
