// The out-of-line half of glibc_compat.h: what the renamed libstdc++ helper does.
#include <new>

#if defined(AIO_LOCAL_THROW_BAD_ARRAY_NEW_LENGTH)
namespace std {
void aio_throw_bad_array_new_length() { throw bad_array_new_length(); }
}  // namespace std
#endif
