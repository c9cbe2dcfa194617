/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared part of the hardening tests that put bpflink and the reference
 * libbpf v1.7.0 side by side (hard_badinput.c, hard_faults.c,
 * hard_alloc.c).
 *
 * As in the differential suite (diff.h), both shared objects are
 * dlopen()ed with RTLD_LOCAL and every function is looked up in each, so
 * each call names the library it goes to and the binary links neither.
 * It is compiled against the reference headers; bpflink's one function of
 * its own, bpflink_link_from_fd(), is declared here.
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
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "support.h"

#ifndef OURS_SO
#define OURS_SO "build/libbpflink.so.1"
#endif
#ifndef REF_SO
#define REF_SO ".deps/libbpf-1.7.0/lib/libbpf.so.1.7.0"
#endif

enum { OURS = 0, REF = 1, NLIB = 2 };

#define HARD_ERRNO_SENTINEL 4242
/* The kernel's internal ENOTSUPP, which some bpf(2) paths let out. */
#define HARD_ENOTSUPP 524
#define HARD_LOG_MAX 2048

/* libbpf's ERR_PTR(), for the error-pointer cases. */
#define HARD_ERR_PTR(e) ((struct bpf_link *)(intptr_t)(e))

/* The functions under test, resolved in one library. */
struct api {
	const char *name;
	const char *path;
	void *h;
	int lib;
	/* low level (bpf.h) */
	__typeof__(&bpf_link_create) link_create;
	__typeof__(&bpf_link_detach) link_detach;
	__typeof__(&bpf_link_update) link_update;
	__typeof__(&bpf_iter_create) iter_create;
	__typeof__(&bpf_link_get_next_id) get_next_id;
	__typeof__(&bpf_link_get_fd_by_id) get_fd_by_id;
	__typeof__(&bpf_link_get_fd_by_id_opts) get_fd_by_id_opts;
	__typeof__(&bpf_link_get_info_by_fd) get_info;
	__typeof__(&libbpf_set_print) set_print;
	__typeof__(&libbpf_bpf_link_type_str) type_str;
	/* link objects (libbpf.h) */
	__typeof__(&bpf_link__open) open;
	__typeof__(&bpf_link__fd) fd;
	__typeof__(&bpf_link__pin) pin;
	__typeof__(&bpf_link__pin_path) pin_path;
	__typeof__(&bpf_link__unpin) unpin;
	__typeof__(&bpf_link__detach) detach;
	__typeof__(&bpf_link__disconnect) disconnect;
	__typeof__(&bpf_link__destroy) destroy;
	__typeof__(&bpf_link__update_program) update_program;
	/* bpflink only (NULL in libbpf) */
	struct bpf_link *(*from_fd)(int fd);
	/* every message its print callback received since hard_log_reset() */
	char log[HARD_LOG_MAX];
	size_t len;
};

static struct api hard_api[NLIB];

static void *hard_sym(struct api *a, const char *name, bool required)
{
	void *p = dlsym(a->h, name);

	if (!p && required) {
		printf("Bail out! %s: %s not found: %s\n", a->path, name, dlerror());
		exit(1);
	}
	return p;
}

static inline void hard_log_reset(struct api *a)
{
	a->len = 0;
	a->log[0] = 0;
}

static void hard_capture(struct api *a, enum libbpf_print_level level, const char *fmt,
			 va_list ap)
{
	int n;

	if (a->len + 8 < sizeof(a->log)) {
		n = snprintf(a->log + a->len, sizeof(a->log) - a->len, "<%d>", (int)level);
		if (n > 0)
			a->len += (size_t)n;
	}
	if (a->len + 1 < sizeof(a->log)) {
		n = vsnprintf(a->log + a->len, sizeof(a->log) - a->len, fmt, ap);
		if (n > 0)
			a->len += (size_t)n;
	}
	if (a->len >= sizeof(a->log))
		a->len = sizeof(a->log) - 1;
	/* Both libraries must give the caller its errno back. */
	errno = EDOM;
}

static int hard_capture_ours(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	hard_capture(&hard_api[OURS], level, fmt, ap);
	return 0;
}

static int hard_capture_ref(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	hard_capture(&hard_api[REF], level, fmt, ap);
	return 0;
}

static void hard_load_one(struct api *a, int lib, const char *name, const char *path)
{
	a->lib = lib;
	a->name = name;
	a->path = path;
	a->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!a->h) {
		printf("Bail out! dlopen %s: %s\n", path, dlerror());
		exit(1);
	}
	a->link_create = hard_sym(a, "bpf_link_create", true);
	a->link_detach = hard_sym(a, "bpf_link_detach", true);
	a->link_update = hard_sym(a, "bpf_link_update", true);
	a->iter_create = hard_sym(a, "bpf_iter_create", true);
	a->get_next_id = hard_sym(a, "bpf_link_get_next_id", true);
	a->get_fd_by_id = hard_sym(a, "bpf_link_get_fd_by_id", true);
	a->get_fd_by_id_opts = hard_sym(a, "bpf_link_get_fd_by_id_opts", true);
	a->get_info = hard_sym(a, "bpf_link_get_info_by_fd", true);
	a->set_print = hard_sym(a, "libbpf_set_print", true);
	a->type_str = hard_sym(a, "libbpf_bpf_link_type_str", true);
	a->open = hard_sym(a, "bpf_link__open", true);
	a->fd = hard_sym(a, "bpf_link__fd", true);
	a->pin = hard_sym(a, "bpf_link__pin", true);
	a->pin_path = hard_sym(a, "bpf_link__pin_path", true);
	a->unpin = hard_sym(a, "bpf_link__unpin", true);
	a->detach = hard_sym(a, "bpf_link__detach", true);
	a->disconnect = hard_sym(a, "bpf_link__disconnect", true);
	a->destroy = hard_sym(a, "bpf_link__destroy", true);
	a->update_program = hard_sym(a, "bpf_link__update_program", true);
	a->from_fd = hard_sym(a, "bpflink_link_from_fd", lib == OURS);
}

/*
 * Loads both libraries (BPFLINK_SO / REF_SO in the environment override
 * the built-in paths) and installs each library's capturing print
 * callback, which sees every level.
 */
static inline void hard_load(void)
{
	const char *ours = getenv("BPFLINK_SO"), *ref = getenv("REF_SO");

	hard_load_one(&hard_api[OURS], OURS, "bpflink", ours && *ours ? ours : OURS_SO);
	hard_load_one(&hard_api[REF], REF, "libbpf", ref && *ref ? ref : REF_SO);
	hard_api[OURS].set_print(hard_capture_ours);
	hard_api[REF].set_print(hard_capture_ref);
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
		hard_log_reset(A);                                                 \
		errno = HARD_ERRNO_SENTINEL;                                       \
		__v = (long)(EXPR);                                                \
		(R)->err = errno;                                                  \
		(R)->ret = __v;                                                    \
		memcpy((R)->log, (A)->log, (A)->len + 1);                          \
		errno = 0;                                                         \
	} while (0)

/* The same for a call returning a pointer: ret is 1 for non-NULL, 0 for
 * NULL, and the pointer itself is stored in *(PTR). */
#define HARD_CALL_PTR(A, R, PTR, EXPR)                                             \
	do {                                                                       \
		hard_log_reset(A);                                                 \
		errno = HARD_ERRNO_SENTINEL;                                       \
		*(PTR) = (EXPR);                                                   \
		(R)->err = errno;                                                  \
		(R)->ret = *(PTR) != NULL;                                         \
		memcpy((R)->log, (A)->log, (A)->len + 1);                          \
		errno = 0;                                                         \
	} while (0)

/* Text with newlines shown as \n. */
static inline const char *hard_oneline(const char *s)
{
	static char out[2][HARD_LOG_MAX * 2];
	static int next;
	char *o = out[next++ & 1];
	size_t n = 0;

	for (; *s && n + 3 < sizeof(out[0]); s++) {
		if (*s == '\n') {
			o[n++] = '\\';
			o[n++] = 'n';
		} else {
			o[n++] = *s;
		}
	}
	o[n] = 0;
	return o;
}

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

/* An answer's ret for "a new fd, >= 3 and close-on-exec" (set by the
 * tests after checking the fd, which they close). */
#define RET_FD 1000000

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
