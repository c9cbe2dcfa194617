/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared part of the hardening tests that put bpflink and the reference
 * libbpf v1.7.0 side by side (hard_badinput.c, hard_faults.c,
 * hard_alloc.c), on top of twin.h: both libraries dlopen()ed with
 * RTLD_LOCAL, reached through libs[OURS] and libs[REF], the binary
 * linked to neither and compiled against the reference headers.
 *
 * A call is made through HARD_CALL(), which clears the message log of the
 * library, sets errno to a sentinel, makes the call, and records the
 * result, errno, every message the library's print callback received
 * (all levels, "<level>text"); the tests measure the change in the
 * process's fd count around it. hard_answer_text() shows an answer.
 */
#ifndef BPFLINK_HARD_H
#define BPFLINK_HARD_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "twin.h"

#define HARD_ERRNO_SENTINEL TWIN_ERRNO_SENTINEL
/* The kernel's internal ENOTSUPP, which some bpf(2) paths let out. */
#define HARD_ENOTSUPP 524
#define HARD_LOG_MAX TWIN_LOG_MAX

/* libbpf's ERR_PTR(), for the error-pointer cases. */
#define HARD_ERR_PTR(e) ((struct bpf_link *)(intptr_t)(e))

/*
 * Loads both libraries with everything the hardening tests call (the
 * link functions, the link objects, bpflink_link_from_fd) and installs
 * each library's capturing print callback, which sees every level.
 */
static inline void hard_load(void)
{
	twin_load(TWIN_LOW | TWIN_OBJECT | TWIN_OWN);
	twin_capture();
}

/* ---- one call's answer -------------------------------------------------- */

struct ans {
	long ret;          /* the return value; for pointers: 1 = non-NULL, 0 = NULL */
	int err;           /* errno right after the call */
	int fd_delta;      /* fds open after the whole case minus before */
	char log[HARD_LOG_MAX];
};

/*
 * HARD_CALL(a, r, expr): makes one call through library a and stores the
 * answer in *r (not the fd delta, which the case measures around all its
 * steps).
 */
#define HARD_CALL(A, R, EXPR)                                                      \
	do {                                                                       \
		long __v;                                                          \
		twin_log_reset(A);                                                 \
		errno = HARD_ERRNO_SENTINEL;                                       \
		__v = (long)(EXPR);                                                \
		(R)->err = errno;                                                  \
		(R)->ret = __v;                                                    \
		memcpy((R)->log, (A)->log, (A)->log_len + 1);                      \
		errno = 0;                                                         \
	} while (0)

/* The same for a call returning a pointer: ret is 1 for non-NULL, 0 for
 * NULL, and the pointer itself is stored in *(PTR). */
#define HARD_CALL_PTR(A, R, PTR, EXPR)                                             \
	do {                                                                       \
		twin_log_reset(A);                                                 \
		errno = HARD_ERRNO_SENTINEL;                                       \
		*(PTR) = (EXPR);                                                   \
		(R)->err = errno;                                                  \
		(R)->ret = *(PTR) != NULL;                                         \
		memcpy((R)->log, (A)->log, (A)->log_len + 1);                      \
		errno = 0;                                                         \
	} while (0)

/* "-EBADF" style name of an errno value (numbers for the rest). */
static inline const char *hard_errname(int e)
{
	static char buf[4][16];
	static int next;
	char *b;

	switch (e) {
#define N(x)                                                                       \
	case x:                                                                    \
		return #x
		N(EPERM); N(ENOENT); N(EBADF); N(ENOMEM); N(EACCES); N(EFAULT); N(EBUSY);
		N(EEXIST); N(ENOTDIR); N(EISDIR); N(EINVAL); N(EMFILE); N(ENFILE); N(ENOSPC);
		N(E2BIG); N(ENAMETOOLONG); N(ENOLINK); N(EOPNOTSUPP); N(ESTALE); N(EAGAIN);
		N(ENODEV); N(ENXIO); N(ERANGE); N(ENOTRECOVERABLE); N(EDOM);
		N(HARD_ENOTSUPP); N(EBADFD); N(ENOTCONN); N(ESRCH);
#undef N
	case 0:
		return "0";
	case HARD_ERRNO_SENTINEL:
		return "(untouched)";
	}
	b = buf[next++ & 3];
	snprintf(b, sizeof(buf[0]), "%d", e);
	return b;
}

/* An answer's ret for "a new fd, >= 3 and close-on-exec". */
#define RET_FD 1000000

/* For a call that returns a new fd: a ret >= 0 is closed and becomes
 * RET_FD when it was >= 3 and close-on-exec, -99999 when not. Returns the
 * new ret. */
static inline long hard_fd_answer(struct ans *a)
{
	if (a->ret >= 0) {
		bool good = a->ret >= 3 && sup_fd_cloexec((int)a->ret);

		close((int)a->ret);
		a->ret = good ? RET_FD : -99999;
	}
	return a->ret;
}

/* An answer as text: "non-NULL" / "NULL, errno E" for a pointer call,
 * "a new fd", "-E, errno E", or the value. Two buffers, used in turn, so
 * that two answers fit in one printf. */
static inline const char *hard_answer_text(const struct ans *a, bool ptr)
{
	static char buf[2][96];
	static int next;
	char *b = buf[next++ & 1];

	if (ptr)
		snprintf(b, sizeof(buf[0]), a->ret ? "non-NULL" : "NULL, errno %s",
			 hard_errname(a->err));
	else if (a->ret == RET_FD)
		snprintf(b, sizeof(buf[0]), "a new fd");
	else if (a->ret < 0 && a->ret > -4096)
		snprintf(b, sizeof(buf[0]), "-%s, errno %s", hard_errname((int)-a->ret),
			 hard_errname(a->err));
	else
		snprintf(b, sizeof(buf[0]), "%ld", a->ret);
	return b;
}

#endif
