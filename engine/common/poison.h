/*
 * poison.h - marking memory that a pool holds free, so AddressSanitizer reports its use.
 *
 * DN_POISON / DN_UNPOISON wrap ASan's manual poisoning when the build has it (gcc's
 * __SANITIZE_ADDRESS__, clang's address_sanitizer feature) and do nothing otherwise. Pools that
 * recycle blocks (the reorder buffer's event copies, the state's pool) poison a block when
 * it goes back on their free list and unpoison it when they hand it out again.
 */
#ifndef DN_COMMON_POISON_H
#define DN_COMMON_POISON_H

#if defined(__SANITIZE_ADDRESS__)
#define DN_HAS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DN_HAS_ASAN 1
#endif
#endif

#ifdef DN_HAS_ASAN
#include <sanitizer/asan_interface.h>
#define DN_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define DN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define DN_POISON(p, n)   ((void)(p), (void)(n))
#define DN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
