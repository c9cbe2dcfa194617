/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The two pieces of bpflink's logging that stable Rust cannot write: a
 * function that receives a va_list (the default print callback) and a
 * variadic trampoline that builds a va_list for a user callback.
 * Everything else about logging lives in src/log/mod.rs.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#pragma GCC diagnostic ignored "-Wformat-nonliteral"

typedef int (*bpflink_print_fn)(int level, const char *fmt, va_list ap);

static int min_level = 1; /* LIBBPF_INFO */
static pthread_once_t level_once = PTHREAD_ONCE_INIT;

static void read_level(void)
{
	const char *env_var = "LIBBPF_LOG_LEVEL";
	const char *v = getenv(env_var);

	if (!v)
		return;
	if (strcasecmp(v, "warn") == 0)
		min_level = 0;
	else if (strcasecmp(v, "debug") == 0)
		min_level = 2;
	else if (strcasecmp(v, "info") == 0)
		min_level = 1;
	else
		fprintf(stderr, "libbpf: unrecognized '%s' envvar value: '%s', should be one of 'warn', 'debug', or 'info'.\n",
			env_var, v);
}

/* The default callback: stderr, filtered by LIBBPF_LOG_LEVEL (read once). */
int bpflink_shim_base_print(int level, const char *fmt, va_list ap)
{
	pthread_once(&level_once, read_level);
	if (level > min_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Calls `fn` with a va_list made of the variadic arguments. */
int bpflink_shim_call(bpflink_print_fn fn, int level, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fn(level, fmt, ap);
	va_end(ap);
	return ret;
}
