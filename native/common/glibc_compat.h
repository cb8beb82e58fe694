// Force-included before every source of the addon (binding.gyp: -include). It keeps the
// built .node loadable on glibc 2.28 and GCC 8's libstdc++ (RHEL 8, Debian 10; Node's own
// binaries need glibc 2.28) even when it is built on a newer system.
// `scripts/check-glibc.sh` verifies the result: GLIBC_ <= 2.28, GLIBCXX_ <= 3.4.25.
//
// glibc 2.34 merged libpthread into libc and gave the pthread functions new default
// versions (GLIBC_2.34; pthread_sigmask GLIBC_2.32). A plain build on 2.34+ therefore
// references those, and the dynamic linker of an older glibc refuses the .node. The old
// versions are still exported by every newer libc.so.6 (binaries built on old systems
// depend on them), so binding the references to them works everywhere: on an old glibc
// the symbols resolve in libpthread.so.0, linked explicitly (binding.gyp: -lpthread).
#pragma once
#include <features.h>

#if defined(__GLIBC__) && !defined(AIO_NO_GLIBC_PIN)

#if defined(__x86_64__)
#define AIO_GLIBC_BASE "GLIBC_2.2.5"
#define AIO_GLIBC_AFFINITY "GLIBC_2.3.4"
#elif defined(__aarch64__)
#define AIO_GLIBC_BASE "GLIBC_2.17"
#define AIO_GLIBC_AFFINITY "GLIBC_2.17"
#else
#error "glibc_compat.h: no symbol versions known for this architecture (define AIO_NO_GLIBC_PIN)"
#endif

__asm__(".symver pthread_create,pthread_create@" AIO_GLIBC_BASE);
__asm__(".symver pthread_join,pthread_join@" AIO_GLIBC_BASE);
__asm__(".symver pthread_kill,pthread_kill@" AIO_GLIBC_BASE);
__asm__(".symver pthread_sigmask,pthread_sigmask@" AIO_GLIBC_BASE);
__asm__(".symver pthread_setaffinity_np,pthread_setaffinity_np@" AIO_GLIBC_AFFINITY);

// libstdc++'s headers (GCC 11+) read glibc 2.32's `__libc_single_threaded` to skip atomic
// reference counting while a process has one thread. glibc 2.28 has no such variable, so
// the header declaring it is skipped and the name becomes a constant "not single-threaded":
// shared_ptr and friends always use their atomic path, which is correct in any process.
#if defined(__cplusplus)
#define _SYS_SINGLE_THREADED_H 1
#define __libc_single_threaded aio_libc_single_threaded
static constexpr char aio_libc_single_threaded = 0;
#endif

#endif  // glibc

// GCC 11+'s allocator calls std::__throw_bad_array_new_length, new in GCC 11's libstdc++
// (GLIBCXX_3.4.29); GCC 8's has none. The calls go to a copy in glibc_compat.cc that
// throws the same exception. (binding.gyp also turns RTTI on: without it, make_shared
// calls _Sp_make_shared_tag::_S_eq, GLIBCXX_3.4.26.)
#if defined(__cplusplus) && !defined(AIO_NO_GLIBC_PIN) && __has_include(<bits/c++config.h>)
#include <bits/c++config.h>  // libstdc++ only (libc++ defines its own inline helper)
#if _GLIBCXX_RELEASE >= 11
#define __throw_bad_array_new_length aio_throw_bad_array_new_length
#define AIO_LOCAL_THROW_BAD_ARRAY_NEW_LENGTH 1
#endif
#endif
