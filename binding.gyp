{
  "targets": [
    {
      "target_name": "aio_notify",
      "sources": [
        "native/core/addon.cc",
        "native/common/errors.cc",
        "native/common/args.cc",
        "native/core/fdio.cc",
        "native/core/ppoll.cc",
        "native/core/signals.cc",
        "native/core/relay.cc",
        "native/core/relay_core.cc",
        "native/core/env_fds.cc",
        "native/core/epoll.cc",
        "native/core/loop_attach.cc",
        "native/tools/harness_core.cc",
        "native/tools/wake_core.cc",
        "native/tools/litmus_core.cc",
        "native/tools/race_core.cc",
        "native/tools/harness-util.cc",
        "native/tools/harness.cc",
        "native/tools/litmus.cc",
        "native/tools/protocol.cc",
        "native/core/pidfd.cc",
        "native/core/beacon.cc",
        "native/common/glibc_compat.cc"
      ],
      "include_dirs": ["native/common", "native/core", "native/tools"],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden",
                    "-include", "<(module_root_dir)/native/common/glibc_compat.h"],
      "cflags_cc!": ["-fno-rtti"],
      "ldflags": ["-pthread"],
      "libraries": ["-Wl,--no-as-needed", "-l:libpthread.so.0", "-Wl,--as-needed"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
