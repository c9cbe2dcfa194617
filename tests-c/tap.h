/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A minimal TAP producer for the C tests. Each check prints one line,
 * "ok N - text" or "not ok N - text"; tap_skip() prints
 * "ok N - text # SKIP reason" and a binary that cannot run at all prints
 * "1..0 # SKIP reason". tests-c/run.sh reads these lines, counts cases and
 * fails the run on any "not ok". Run as root, it also fails on every skip
 * except a capability probe's ("# SKIP probe <name>: E<NAME> ...", which
 * support.h's sup_need() prints), and on a whole binary skipped.
 */
#ifndef BPFLINK_TAP_H
#define BPFLINK_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok) {
		printf(" (%s:%d)", file, line);
		tap_failed++;
	}
	printf("\n");
	fflush(stdout);
	return ok;
}

/* One skipped case: "ok N - <text> # SKIP <why>". */
static inline void tap_vskip(const char *why, const char *fmt, va_list ap)
{
	printf("ok %d - ", ++tap_n);
	vprintf(fmt, ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

/* CHECK(cond, "what is checked", ...): one case. Returns cond. */
#define CHECK(cond, ...) tap_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* CHECK_EQ(a, b, "what"): compares two integers and shows both on failure. */
#define CHECK_EQ(a, b, what, ...)                                                  \
	({                                                                         \
		long long __a = (long long)(a), __b = (long long)(b);              \
		tap_check(__a == __b, __FILE__, __LINE__, what " (%lld == %lld)",  \
			  ##__VA_ARGS__, __a, __b);                                \
	})

/* The whole binary cannot run here (for example: not root). */
#define TAP_SKIP_ALL(...)                                                          \
	do {                                                                       \
		printf("1..0 # SKIP ");                                            \
		printf(__VA_ARGS__);                                               \
		printf("\n");                                                      \
		exit(0);                                                           \
	} while (0)

/* Ends the binary: prints the plan and returns the exit status. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
