// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The panic boundary, seen from C, in a library linked exactly like the
 * shipped libbpflink.so.1 (same version script, same -static-libgcc: the
 * unwinder is inside the library and hidden), but built with the
 * test-only `test-panic` feature: BPFLINK_TEST_PANIC=<function> makes
 * every call of that function panic inside bpflink (build/panic/, see the
 * Makefile). The Rust unit tests show the same policy on the rlib; this
 * shows it holds in the .so a C program loads:
 *
 *   - an int function returns -ENOTRECOVERABLE with errno ENOTRECOVERABLE,
 *     a pointer function NULL with errno ENOTRECOVERABLE, a function that
 *     returns a value its documented fallback (NULL for
 *     libbpf_bpf_link_type_str);
 *   - one warning per panic goes to the print callback:
 *     "libbpf: bpflink: internal error in <function>\n";
 *   - the process goes on: the same function works once unarmed, from
 *     this thread and from another one, and libgcc_s.so was never loaded
 *     (the unwinder used is the one linked in);
 *   - 1 000 panics in a row leave the fd count and the heap in use where
 *     they were.
 * No kernel objects are made; bad fds and paths keep the calls away from
 * the kernel's state.
 */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static char msgs[4096];
static size_t msgs_len;
static int n_msgs;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	(void)level;
	n = vsnprintf(msgs + msgs_len, sizeof(msgs) - msgs_len, fmt, ap);
	if (n > 0)
		msgs_len = msgs_len + (size_t)n < sizeof(msgs) ? msgs_len + (size_t)n
							       : sizeof(msgs) - 1;
	n_msgs++;
	return 0;
}

static void reset(void)
{
	msgs[0] = 0;
	msgs_len = 0;
	n_msgs = 0;
}

/* Arms the trigger for `fn` (NULL: disarms). */
static void arm(const char *fn)
{
	if (fn)
		setenv("BPFLINK_TEST_PANIC", fn, 1);
	else
		unsetenv("BPFLINK_TEST_PANIC");
}

static bool warned_once(const char *fn)
{
	char want[128];

	snprintf(want, sizeof(want), "libbpf: bpflink: internal error in %s\n", fn);
	return n_msgs == 1 && strcmp(msgs, want) == 0;
}

/* Rust's default panic hook writes each panic to stderr ("thread ...
 * panicked at ..."): kept out of the test log while panics run. */
static int quiet_stderr(void)
{
	int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	dup2(null, 2);
	close(null);
	return saved;
}

static void restore_stderr(int saved)
{
	dup2(saved, 2);
	close(saved);
}

static void check_int(const char *fn, int r, int err)
{
	CHECK(r == -ENOTRECOVERABLE && err == ENOTRECOVERABLE && warned_once(fn),
	      "%s panicking: returns %d, errno %d (want -ENOTRECOVERABLE, ENOTRECOVERABLE), "
	      "messages \"%s\"",
	      fn, r, err, sup_oneline(msgs));
}

static void *other_thread(void *arg)
{
	(void)arg;
	arm("bpf_link_detach");
	errno = 0;
	reset();
	{
		int r = bpf_link_detach(-1), err = errno;

		arm(NULL);
		CHECK(r == -ENOTRECOVERABLE && err == ENOTRECOVERABLE,
		      "in another thread too: %d, errno %d", r, err);
	}
	CHECK(bpf_link_detach(-1) == -EBADF, "and that thread goes on: bpf_link_detach(-1) "
					     "is -EBADF again");
	return NULL;
}

int main(void)
{
	LIBBPF_OPTS(bpf_link_create_opts, copts);
	LIBBPF_OPTS(bpf_link_update_opts, uopts);
	struct bpf_link_info info;
	__u32 len = sizeof(info), id = 0;
	struct bpf_link *l;
	const char *s;
	pthread_t t;
	int r, err, fds0, fds1, stderr_fd, i, bad = 0;
	long heap0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The unarmed answers come from the kernel, which refuses bpf(2) to
	 * unprivileged users here. */
	sup_require_root();
	libbpf_set_print(capture);

	/* Unarmed, the library answers normally. */
	reset();
	CHECK(bpf_link_detach(-1) == -EBADF && n_msgs == 0,
	      "unarmed: bpf_link_detach(-1) is -EBADF, no message");

	stderr_fd = quiet_stderr();
	/* int functions, through each kind of body (plain, with options read
	 * out of line, with out-pointers). */
	arm("bpf_link_detach");
	reset();
	errno = 0;
	r = bpf_link_detach(-1);
	err = errno;
	check_int("bpf_link_detach", r, err);

	arm("bpf_link_create");
	reset();
	errno = 0;
	r = bpf_link_create(-1, -1, BPF_CGROUP_INET_INGRESS, NULL);
	err = errno;
	check_int("bpf_link_create", r, err);
	reset();
	errno = 0;
	r = bpf_link_create(-1, -1, BPF_CGROUP_INET_INGRESS, &copts);
	err = errno;
	CHECK(r == -ENOTRECOVERABLE && err == ENOTRECOVERABLE && warned_once("bpf_link_create"),
	      "bpf_link_create with options panicking: %d, errno %d, messages \"%s\"", r, err,
	      sup_oneline(msgs));

	arm("bpf_link_update");
	reset();
	errno = 0;
	r = bpf_link_update(-1, -1, &uopts);
	err = errno;
	check_int("bpf_link_update", r, err);

	arm("bpf_link_get_next_id");
	reset();
	errno = 0;
	r = bpf_link_get_next_id(0, &id);
	err = errno;
	check_int("bpf_link_get_next_id", r, err);

	arm("bpf_link_get_info_by_fd");
	reset();
	errno = 0;
	r = bpf_link_get_info_by_fd(-1, &info, &len);
	err = errno;
	check_int("bpf_link_get_info_by_fd", r, err);

	arm("bpf_link__destroy");
	reset();
	errno = 0;
	r = bpf_link__destroy(NULL);
	err = errno;
	check_int("bpf_link__destroy", r, err);

	/* A pointer function. */
	arm("bpf_link__open");
	reset();
	errno = 0;
	l = bpf_link__open("/nonexistent/bpflink-panic-test");
	err = errno;
	CHECK(!l && err == ENOTRECOVERABLE && warned_once("bpf_link__open"),
	      "bpf_link__open panicking: %s, errno %d (want NULL, ENOTRECOVERABLE), messages "
	      "\"%s\"",
	      l ? "non-NULL" : "NULL", err, sup_oneline(msgs));

	/* A value function: its fallback. */
	arm("libbpf_bpf_link_type_str");
	reset();
	s = libbpf_bpf_link_type_str(BPF_LINK_TYPE_CGROUP);
	CHECK(!s && warned_once("libbpf_bpf_link_type_str"),
	      "libbpf_bpf_link_type_str panicking: NULL (its fallback), messages \"%s\"",
	      sup_oneline(msgs));

	/* The process goes on. */
	arm(NULL);
	reset();
	s = libbpf_bpf_link_type_str(BPF_LINK_TYPE_CGROUP);
	CHECK(s && !strcmp(s, "cgroup") && bpf_link_detach(-1) == -EBADF &&
		      bpf_link_get_next_id(0xfffffffe, &id) < 0 && n_msgs == 0,
	      "disarmed: the same functions answer normally again");
	CHECK(pthread_create(&t, NULL, other_thread, NULL) == 0 && pthread_join(t, NULL) == 0,
	      "a second thread ran");
	CHECK(!sup_maps_has("libgcc_s"),
	      "libgcc_s.so was not loaded: the unwinder inside the library caught every panic");

	/* Many panics: nothing accumulates. */
	arm("bpf_link_detach");
	r = bpf_link_detach(-1); /* the first panic may set up lazily made state */
	fds0 = sup_fd_count();
	heap0 = (long)mallinfo2().uordblks;
	for (i = 0; i < 1000; i++)
		if (bpf_link_detach(-1) != -ENOTRECOVERABLE)
			bad++;
	fds1 = sup_fd_count();
	arm(NULL);
	restore_stderr(stderr_fd);
	CHECK(bad == 0, "1000 panics in a row, each -ENOTRECOVERABLE (%d not)", bad);
	CHECK_EQ(fds1, fds0, "fds unchanged after 1000 panics");
	CHECK((long)mallinfo2().uordblks - heap0 <= 4096,
	      "heap in use after 1000 panics: %+ld bytes (at most 4 KiB of caches; a leak of one "
	      "block per panic would be 32 000 or more)",
	      (long)mallinfo2().uordblks - heap0);

	libbpf_set_print(NULL);
	return tap_done();
}
