// Each source file of the addon registers its functions on the exports object.
#pragma once
#include <napi.h>

namespace aio {

void InitFdio(Napi::Env env, Napi::Object exports);
void InitPpoll(Napi::Env env, Napi::Object exports);
void InitSignals(Napi::Env env, Napi::Object exports);
void InitRelay(Napi::Env env, Napi::Object exports);
void InitEnvFds(Napi::Env env, Napi::Object exports);
void InitEpoll(Napi::Env env, Napi::Object exports);
void InitLoopAttach(Napi::Env env, Napi::Object exports);
void InitHarness(Napi::Env env, Napi::Object exports);
void InitLitmus(Napi::Env env, Napi::Object exports);
void InitProtocol(Napi::Env env, Napi::Object exports);
void InitPidfd(Napi::Env env, Napi::Object exports);
void InitBeacon(Napi::Env env, Napi::Object exports);

}  // namespace aio
