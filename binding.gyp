{
  "targets": [
    {
      "target_name": "aio_notify",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/args.cc",
        "native/fdio.cc",
        "native/ppoll.cc",
        "native/signals.cc",
        "native/relay.cc",
        "native/relay_core.cc",
        "native/env_fds.cc",
        "native/epoll.cc",
        "native/loop_attach.cc",
        "native/harness_core.cc",
        "native/wake_core.cc",
        "native/litmus_core.cc",
        "native/race_core.cc",
        "native/harness-util.cc",
        "native/harness.cc",
        "native/litmus.cc",
        "native/protocol.cc",
        "native/pidfd.cc",
        "native/beacon.cc",
        "native/glibc_compat.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden",
                    "-include", "<(module_root_dir)/native/glibc_compat.h"],
      "cflags_cc!": ["-fno-rtti"],
      "ldflags": ["-pthread"],
      "libraries": ["-Wl,--no-as-needed", "-l:libpthread.so.0", "-Wl,--as-needed"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
