/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The groups of the differential suite, one file each, in the order the
 * runner (diff_main.c) calls them, and the case generators more than one
 * group uses. A group file calls the core (diff_core.h), these generators
 * and support.h's fixtures, never the runner.
 */
#ifndef BPFLINK_DIFF_GROUPS_H
#define BPFLINK_DIFF_GROUPS_H

#include "diff_core.h"

void groups_print(void);    /* diff_print.c: libbpf_set_print and the default printer */
void groups_create(void);   /* diff_create.c: bpf_link_create before the kernel */
void groups_fallback(void); /* diff_fallback.c: the raw tracepoint fallback */
void groups_misc(void);     /* diff_misc.c: the other link functions */
void groups_object(void);   /* diff_object.c: the link object functions */
void groups_real(void);     /* diff_real.c: real links on the kernel */

/* Makes call c (through diff_call) with c->opts pointing at opts of every
 * interesting sz, with zero bytes and with one byte set to val at each
 * position; returns the number of differing cases (diff_sweep.c). */
unsigned long opts_sweep(struct call *c, size_t struct_size, size_t known_end, const char *desc,
			 unsigned char val);

/* Which branch of libbpf 1.7.0's attach-type switch in bpf_link_create an
 * attach type takes (written from the reference description, independently
 * of either implementation; diff_create.c). libbpf 1.8 adds one branch, for
 * 59-61, which 1.7.0 sends to the default one (diff_known.c). */
enum branch { B_ITER, B_PERF, B_KPROBE, B_UPROBE, B_TRACING, B_NETFILTER, B_TCX, B_NETKIT,
	      B_CGROUP, B_DEFAULT, B__N };
enum branch branch_of(unsigned int t);

/* Every field recipe of diff_create.c, at several sizes, for one attach
 * type and pair of fds. */
void create_recipes(unsigned int t, int prog_fd, int target_fd, const char *what);

#endif
