/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The malloc family of an executable that watches allocations: included
 * once, by the executable's main file (bench/bench.c, hard_alloc.c).
 *
 * Every malloc-family call in the process lands here: the executable comes
 * first in the symbol lookup, also for libraries dlopen()ed later, and
 * glibc calls malloc through its PLT for its own allocations too (strdup
 * included). Each call is forwarded to glibc's __libc_* entry point.
 *
 * Between alloc_count_begin() and alloc_count_end():
 *   alloc_n, free_n   count allocations (malloc, calloc, realloc,
 *                     memalign and its relatives) and frees of non-NULL
 *                     pointers;
 *   alloc_fail_at     if not 0, the allocation with this number (from 1)
 *                     fails: NULL with errno ENOMEM, as when memory runs
 *                     out, and nothing is allocated.
 * Outside, nothing is counted and nothing fails.
 *
 * Not for AddressSanitizer or valgrind builds: both replace the malloc
 * family themselves.
 */
#ifndef BPFLINK_ALLOC_HOOK_H
#define BPFLINK_ALLOC_HOOK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

static volatile int alloc_counting;
static unsigned long alloc_n, free_n, alloc_fail_at;

/* Counts one allocation; true when it is the one that must fail. */
static bool alloc_next_fails(void)
{
	if (!alloc_counting)
		return false;
	alloc_n++;
	if (alloc_fail_at && alloc_n == alloc_fail_at) {
		errno = ENOMEM;
		return true;
	}
	return false;
}

void *malloc(size_t n)
{
	return alloc_next_fails() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return alloc_next_fails() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return alloc_next_fails() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
	if (alloc_counting && p)
		free_n++;
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	return alloc_next_fails() ? NULL : __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = memalign(align, n);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	return memalign(4096, n);
}

void *pvalloc(size_t n)
{
	return memalign(4096, (n + 4095) & ~(size_t)4095);
}

/* Starts counting from zero; `fail_at` as alloc_fail_at above. */
static inline void alloc_count_begin(unsigned long fail_at)
{
	alloc_n = free_n = 0;
	alloc_fail_at = fail_at;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	alloc_counting = 1;
}

static inline void alloc_count_end(void)
{
	alloc_counting = 0;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	alloc_fail_at = 0;
}

#endif
