// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf_link_create with real programs, where the kernel's EINVAL triggers
 * libbpf's BPF_RAW_TRACEPOINT_OPEN fallback (raw_tp, fentry, fexit,
 * fmod_ret, lsm; target_fd 0; no option byte set after sz) or must not
 * (target_fd != 0, any opts byte set, fsession and every other type).
 *
 * A cgroup_skb program (r0 = 1; exit) attached as a tracing type makes the
 * kernel refuse BPF_LINK_CREATE with EINVAL, and then refuse the raw
 * tracepoint open with EINVAL too; a raw_tracepoint program makes the
 * second answer EFAULT (no name). Either way the recorded bpf(2) sequence
 * shows whether the fallback ran, and it must be the same in both.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diff_groups.h"
#include "support.h"

static const unsigned int fallback_types[] = {
	BPF_TRACE_RAW_TP, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT, BPF_MODIFY_RETURN, BPF_LSM_MAC,
};
/* Tracing-like types that must never fall back. */
static const unsigned int no_fallback_types[] = {
	BPF_TRACE_FSESSION, BPF_TRACE_ITER, BPF_TRACE_KPROBE_MULTI, 59, 60, 61,
	BPF_CGROUP_INET_INGRESS, BPF_XDP, BPF_PERF_EVENT,
};

/* Sanity of the fixture: the reference itself did (not) fall back. */
static void expect_ref_sequence(int prog, unsigned int t, int target, bool fallback)
{
	struct call c = { .fn = FN_CREATE, .a = prog, .b = target, .u = t };
	struct result r;

	run_call(REF, &c, &r);
	if (fallback)
		group_check(r.rec.n == 2 && r.rec.r[0].cmd == BPF_LINK_CREATE &&
				    r.rec.r[0].err == EINVAL &&
				    r.rec.r[1].cmd == BPF_RAW_TRACEPOINT_OPEN &&
				    r.rec.r[1].size == 24,
			    "reference libbpf did not fall back for attach=%u target=%d (%d calls)",
			    t, target, r.rec.n);
	else
		group_check(r.rec.n == 1 && r.rec.r[0].cmd == BPF_LINK_CREATE &&
				    r.rec.r[0].size == 64,
			    "reference libbpf made %d calls for attach=%u target=%d", r.rec.n, t,
			    target);
}

static void null_opts_group(int cg, int rt)
{
	static const int targets[] = { 0, 1, -1, INT_MAX };
	const int progs[2] = { cg, rt };
	const char *pname[2] = { "cgroup_skb", "raw_tracepoint" };
	unsigned int t;
	size_t i;
	int p;

	if (!group_begin_need("raw tracepoint fallback: real programs, NULL opts, every attach "
			      "type", "prog_raw_tp"))
		return;
	if (!group_check(cg >= 0 && rt >= 0, "loading the programs failed (%d, %d)", cg, rt)) {
		group_end();
		return;
	}
	for (p = 0; p < 2; p++)
		for (t = 0; t <= 62; t++)
			for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
				struct call c = { .fn = FN_CREATE, .a = progs[p], .b = targets[i],
						  .u = t == 62 ? 0xFFFFFFFFu : t };

				diff_call(&c, NULL, "%s prog attach=%u target=%d opts=NULL", pname[p],
					  c.u, c.b);
			}
	for (i = 0; i < sizeof(fallback_types) / sizeof(fallback_types[0]); i++) {
		expect_ref_sequence(cg, fallback_types[i], 0, true);
		expect_ref_sequence(cg, fallback_types[i], 1, false);
	}
	for (i = 0; i < sizeof(no_fallback_types) / sizeof(no_fallback_types[0]); i++)
		expect_ref_sequence(cg, no_fallback_types[i], 0, false);
	group_end();
}

static void sweep_group(int cg, int rt)
{
	size_t i;

	if (!group_begin_need("raw tracepoint fallback: opts sweep (sz x byte), real program, "
			      "target 0", "prog_raw_tp"))
		return;
	for (i = 0; i < sizeof(fallback_types) / sizeof(fallback_types[0]); i++) {
		struct call c = { .fn = FN_CREATE, .a = cg, .b = 0, .u = fallback_types[i] };
		char desc[64];

		snprintf(desc, sizeof(desc), "cgroup_skb prog attach=%u target=0", c.u);
		opts_sweep(&c, sizeof(struct bpf_link_create_opts),
			   KNOWN_END(bpf_link_create_opts), desc, 0x01);
	}
	{
		struct call c = { .fn = FN_CREATE, .a = rt, .b = 0, .u = BPF_TRACE_RAW_TP };

		opts_sweep(&c, sizeof(struct bpf_link_create_opts),
			   KNOWN_END(bpf_link_create_opts),
			   "raw_tracepoint prog attach=23 target=0", 0x01);
		c.u = BPF_TRACE_FSESSION;
		opts_sweep(&c, sizeof(struct bpf_link_create_opts),
			   KNOWN_END(bpf_link_create_opts),
			   "raw_tracepoint prog attach=58 target=0", 0x01);
	}
	group_end();
}

static void recipes_group(int cg, int rt)
{
	size_t i, j;

	if (!group_begin_need("raw tracepoint fallback: field recipes, real program, target 0 "
			      "and 1", "prog_raw_tp"))
		return;
	for (i = 0; i < sizeof(fallback_types) / sizeof(fallback_types[0]); i++)
		for (j = 0; j < 2; j++)
			create_recipes(fallback_types[i], cg, (int)j, "cgroup_skb prog");
	for (i = 0; i < sizeof(no_fallback_types) / sizeof(no_fallback_types[0]); i++)
		create_recipes(no_fallback_types[i], cg, 0, "cgroup_skb prog");
	create_recipes(BPF_TRACE_RAW_TP, rt, 0, "raw_tracepoint prog");
	group_end();
}

void groups_fallback(void)
{
	int cg = -1, rt = -1;

	if (!sup_root_missing() && !sup_probe("prog_raw_tp")) {
		cg = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
		rt = sup_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	}
	null_opts_group(cg, rt);
	sweep_group(cg, rt);
	recipes_group(cg, rt);
	SUP_CLOSE(cg);
	SUP_CLOSE(rt);
}
