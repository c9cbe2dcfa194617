// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The differential suite's runner (build/tests-c/diff_link): bpflink and
 * the reference libbpf v1.7.0 loaded side by side (twin.h), then every
 * group of cases in turn (diff_groups.h), then the totals (diff_core.h).
 *
 * Environment:
 *   BPFLINK_SO   bpflink's library   (default: build/libbpflink.so.1)
 *   REF_SO       the reference       (default: .deps/libbpf-1.7.0/lib/libbpf.so.1.7.0)
 *   DIFF_VERBOSE, DIFF_STRICT, DIFF_TRACE: see diff_core.c
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "diff_groups.h"

int main(void)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	diff_catch_signals();
	/* A closed stdout (| head) must not stop the run before it cleans up. */
	signal(SIGPIPE, SIG_IGN);
	/* Fixture fds must not take the numbers 0-2 (some cases close fd 0
	 * around a call), so these are all open from here on. support.c
	 * removes the fixtures left at exit, the core's signal handler on a
	 * crash. */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd < 3)
		;
	if (fd >= 3)
		close(fd);
	/* Both default printers read this once, at their first message. */
	setenv("LIBBPF_LOG_LEVEL", "debug", 1);

	twin_load(TWIN_LOW);

	/* First: libbpf_set_print, while both default printers are still
	 * installed and have never run. It leaves the capturing callbacks
	 * installed for everything after it. */
	groups_print();
	groups_create();
	groups_fallback();
	groups_misc();
	groups_object();
	groups_real();
	return diff_finish();
}
