// The store-buffering litmus test (litmus_core.cc) as a Promise-returning binding.
#include <errno.h>

#include "args.h"
#include "errors.h"
#include "harness-util.h"
#include "tools_addon.h"

namespace aio {
namespace {

// litmusSB(variant, iterations, maxNs, pin) -> Promise<{ variant, iterations, bothZero,
//   onlyR0Zero, onlyR1Zero, neitherZero, elapsedNs, pinned, cpus }>
Napi::Value LitmusSB(const Napi::CallbackInfo& info) {
  auto* runner = static_cast<harness::JobRunner*>(info.Data());
  auto params = std::make_shared<harness::SBParams>();
  params->variant = Int32Arg(info, 0, "variant");
  params->iterations = static_cast<int64_t>(NumberArg(info, 1, "iterations"));
  params->max_ns = static_cast<int64_t>(NumberArg(info, 2, "maxNs"));
  params->pin = harness::PinFrom(Int32Arg(info, 3, "pin"));
  if (params->variant < 0 || params->variant > 2 || params->iterations < 1 || params->max_ns < 1) {
    ThrowErrno(info.Env(), EINVAL, "litmusSB");
  }
  auto result = std::make_shared<harness::SBResult>();
  return runner->Start(
      info.Env(), "aio-notify:litmusSB",
      [params, result](harness::JobRunner::Job& job) { harness::RunSB(*params, *result, job.abort); },
      [params, result](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        auto num = [&](const char* k, int64_t v) {
          o.Set(k, Napi::Number::New(env, static_cast<double>(v)));
        };
        num("variant", params->variant);
        num("iterations", result->iterations);
        num("bothZero", result->both_zero);
        num("onlyR0Zero", result->only_r0_zero);
        num("onlyR1Zero", result->only_r1_zero);
        num("neitherZero", result->neither_zero);
        num("elapsedNs", result->elapsed_ns);
        o.Set("pinned", Napi::Boolean::New(env, result->placement.pinned));
        o.Set("cpus", harness::CpusArray(env, result->placement));
        return o;
      });
}

}  // namespace

void InitLitmus(Napi::Env env, Napi::Object exports, harness::JobRunner* jobs) {
  exports.Set("litmusSB", Napi::Function::New(env, LitmusSB, "litmusSB", jobs));
}

}  // namespace aio
