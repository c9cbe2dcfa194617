// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The capability probes of support.c for the shell drivers
 * (check_preload.sh, bench/smoke.sh, check_refusal.sh), which cannot make
 * bpf(2) calls themselves:
 *
 *   build/tests-c/probe [--suite NAME] PROBE...
 *
 * Prints nothing for a probe that succeeds and one line for each refused
 * one, the reason a skip line carries after "# SKIP ":
 *   probe <name>: <ENAME> from <step> (<strerror>)
 * Exit status 0 when every probe succeeded, 1 when one or more were
 * refused, 2 for a usage error; an unknown probe name aborts. --suite names
 * the suite in BPFLINK_PROBE_LOG lines; BPFLINK_TEST_REFUSE applies as in
 * every test. Links no library under test.
 */
#include "support.h"

int main(int argc, char **argv)
{
	int i = 1, refused = 0;

	if (argc > 2 && !strcmp(argv[1], "--suite")) {
		sup_probe_suite(argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [--suite NAME] PROBE...\n", argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		const char *why = sup_probe_why(argv[i]);

		if (why) {
			printf("%s\n", why);
			refused++;
		}
	}
	return refused ? 1 : 0;
}
