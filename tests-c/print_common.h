/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A print callback that records messages, shared by the print tests. */
#ifndef BPFLINK_PRINT_COMMON_H
#define BPFLINK_PRINT_COMMON_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

static char seen[4096];
static int seen_count;
static enum libbpf_print_level seen_level;

static int record(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t used = strlen(seen);

	vsnprintf(seen + used, sizeof(seen) - used, fmt, ap);
	seen_count++;
	seen_level = level;
	errno = EXDEV; /* the library must restore errno around callbacks */
	return 0;
}

static void seen_reset(void)
{
	seen[0] = 0;
	seen_count = 0;
}

#endif
