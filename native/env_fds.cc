// Descriptors owned by an environment (a thread running JavaScript): closed by its cleanup
// hook if JavaScript never closed them. A terminated worker runs no `finally` block and no
// close(); without this, every context it had open would leak its eventfd.
#include <unistd.h>

#include <unordered_set>

#include "args.h"
#include "modules.h"

namespace aio {
namespace {

struct EnvFds {
  std::unordered_set<int> fds;
};

Napi::Value CloseOnThreadExit(const Napi::CallbackInfo& info) {
  static_cast<EnvFds*>(info.Data())->fds.insert(Int32Arg(info, 0, "fd"));
  return info.Env().Undefined();
}

Napi::Value KeepOnThreadExit(const Napi::CallbackInfo& info) {
  static_cast<EnvFds*>(info.Data())->fds.erase(Int32Arg(info, 0, "fd"));
  return info.Env().Undefined();
}

}  // namespace

void InitEnvFds(Napi::Env env, Napi::Object exports) {
  EnvFds* state = new EnvFds();
  env.AddCleanupHook([state]() {
    for (int fd : state->fds) close(fd);
    delete state;
  });
  exports.Set("closeOnThreadExit",
              Napi::Function::New(env, CloseOnThreadExit, "closeOnThreadExit", state));
  exports.Set("keepOnThreadExit",
              Napi::Function::New(env, KeepOnThreadExit, "keepOnThreadExit", state));
}

}  // namespace aio
