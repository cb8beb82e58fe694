{
  # Two addons, one build: aio_notify (native/core: the library's system calls, loaded by
  # lib/sys/native.ts) and aio_notify_tools (native/tools: the measurement harnesses, loaded
  # by lib/tools/native.ts only). Both compile native/common and share every flag below.
  "variables": {
    "common_sources": [
      "native/common/errors.cc",
      "native/common/args.cc",
      "native/common/glibc_compat.cc"
    ]
  },
  "target_defaults": {
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
    "libraries": ["-Wl,--no-as-needed", "-l:libpthread.so.0", "-Wl,--as-needed"]
  },
  "targets": [
    {
      "target_name": "aio_notify",
      "sources": [
        "<@(common_sources)",
        "native/core/addon.cc",
        "native/core/fdio.cc",
        "native/core/ppoll.cc",
        "native/core/signals.cc",
        "native/core/relay.cc",
        "native/core/relay_core.cc",
        "native/core/env_fds.cc",
        "native/core/epoll.cc",
        "native/core/loop_attach.cc",
        "native/core/pidfd.cc",
        "native/core/beacon.cc"
      ],
      "include_dirs": ["native/common", "native/core"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    },
    {
      "target_name": "aio_notify_tools",
      "sources": [
        "<@(common_sources)",
        "native/tools/tools_addon.cc",
        "native/tools/harness-util.cc",
        "native/tools/harness.cc",
        "native/tools/litmus.cc",
        "native/tools/protocol.cc",
        "native/tools/harness_core.cc",
        "native/tools/wake_core.cc",
        "native/tools/litmus_core.cc",
        "native/tools/race_core.cc"
      ],
      "include_dirs": ["native/common", "native/tools"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
