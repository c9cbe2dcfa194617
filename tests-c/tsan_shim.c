// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Linked into the ThreadSanitizer build of hard_threads (tests-c/tsan.sh).
 * The Rust library is instrumented by rustc's LLVM, which calls
 * __tsan_memcpy / __tsan_memset / __tsan_memmove; gcc 12's libtsan predates
 * those entry points. They are routed here to the libc functions, which
 * libtsan intercepts and checks, so the ranges are still checked.
 */
#include <string.h>

void *__tsan_memcpy(void *d, const void *s, size_t n);
void *__tsan_memset(void *d, int c, size_t n);
void *__tsan_memmove(void *d, const void *s, size_t n);

void *__tsan_memcpy(void *d, const void *s, size_t n)
{
	return memcpy(d, s, n);
}

void *__tsan_memset(void *d, int c, size_t n)
{
	return memset(d, c, n);
}

void *__tsan_memmove(void *d, const void *s, size_t n)
{
	return memmove(d, s, n);
}
