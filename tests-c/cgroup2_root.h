/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where cgroup2 is mounted, by the rule every suite of this project uses
 * (docs/probes.md): the mount point of the first line of
 * /proc/self/mountinfo whose file-system type (the first field after
 * " - ") is cgroup2, with its octal escapes ("\040" for a space) undone.
 * No test, client or benchmark writes a cgroup path of its own.
 *
 * Header-only, so that programs which link nothing of the test fixtures
 * (the libbpf client, built against two libbpf versions) share it with
 * support.c's sup_cgroup2_root(). The shell drivers have the same rule in
 * tests-c/cgroup2_root.sh.
 */
#ifndef BPFLINK_TESTS_CGROUP2_ROOT_H
#define BPFLINK_TESTS_CGROUP2_ROOT_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Undoes mountinfo's octal escapes in place. */
static inline void cgroup2_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

/* The cgroup2 mount point, looked up once; NULL with errno ENOENT when
 * there is none (or errno of the failed open of mountinfo). */
static inline const char *cgroup2_root(void)
{
	static char root[PATH_MAX];
	static bool looked;
	char line[PATH_MAX + 512];
	FILE *f;

	if (looked) {
		if (!root[0])
			errno = ENOENT;
		return root[0] ? root : NULL;
	}
	looked = true;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	/* "id parent major:minor root mount-point options [optional...] - type source ..." */
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - "), *field, *save = NULL;
		int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = 0;
		field = strtok_r(line, " ", &save);
		for (i = 1; field && i < 5; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		cgroup2_unescape(field);
		snprintf(root, sizeof(root), "%s", field);
		break;
	}
	fclose(f);
	if (!root[0]) {
		errno = ENOENT;
		return NULL;
	}
	return root;
}

#endif
