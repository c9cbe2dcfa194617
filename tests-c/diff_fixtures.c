// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The differential suite's own fixture: a record of every link id a case
 * created, so that the suite can prove at the end that it left no link
 * behind. Everything else it needs from the system (programs, ids,
 * cgroups, queries, BTF) comes from support.c, shared with the kernel
 * tests.
 */
#define _GNU_SOURCE
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "support.h"

static __u32 noted[256];
static int n_noted;

void note_link_id(__u32 id)
{
	if (id && n_noted < (int)(sizeof(noted) / sizeof(noted[0])))
		noted[n_noted++] = id;
}

int live_noted_links(void)
{
	int i, live = 0;

	for (i = 0; i < n_noted; i++) {
		union bpf_attr attr;
		long fd;

		memset(&attr, 0, sizeof(attr));
		attr.link_id = noted[i];
		fd = sup_bpf(BPF_LINK_GET_FD_BY_ID, &attr, sizeof(attr));
		if (fd >= 0) {
			live++;
			close((int)fd);
		}
	}
	return live;
}
