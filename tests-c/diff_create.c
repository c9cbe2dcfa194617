// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf_link_create without a real program: prog_fd -1 makes the kernel
 * answer EBADF whatever else the attr says, so these cases compare what
 * each library does *before* the kernel (option checks, messages, the attr
 * it builds: every byte, and its size) for every attach type, every
 * options size and every options byte.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "diff_groups.h"

/* Every attach type of the uapi (0..58), the three types libbpf's HEAD
 * adds (59..61: tracing_multi, unknown to v1.7.0), and two unknown values. */
static unsigned int attach_types[64 + 2];
static int n_types;

static void init_types(void)
{
	unsigned int t;

	if (n_types)
		return;
	for (t = 0; t <= 61; t++)
		attach_types[n_types++] = t;
	attach_types[n_types++] = 100;
	attach_types[n_types++] = 0xFFFFFFFFu;
}

/* A sweep group per branch of the switch (branch_of(), diff_groups.h). */
static const char *branch_name[B__N] = {
	"iter (28)", "perf_event (41)", "kprobe_multi/session (42, 56)",
	"uprobe_multi/session (48, 57)",
	"tracing: raw_tp/fentry/fexit/fmod_ret/lsm/fsession (23-27, 58)", "netfilter (45)",
	"tcx (46, 47)", "netkit (54, 55)", "cgroup (29 types)",
	"default: xdp, sk_*, flow_dissector, struct_ops, 59-61, 100, 0xffffffff ...",
};

/* Written from the reference description, independently of either
 * implementation. */
enum branch branch_of(unsigned int t)
{
	switch (t) {
	case BPF_TRACE_ITER: return B_ITER;
	case BPF_PERF_EVENT: return B_PERF;
	case BPF_TRACE_KPROBE_MULTI: case BPF_TRACE_KPROBE_SESSION: return B_KPROBE;
	case BPF_TRACE_UPROBE_MULTI: case BPF_TRACE_UPROBE_SESSION: return B_UPROBE;
	case BPF_TRACE_RAW_TP: case BPF_TRACE_FENTRY: case BPF_TRACE_FEXIT:
	case BPF_MODIFY_RETURN: case BPF_TRACE_FSESSION: case BPF_LSM_MAC:
		return B_TRACING;
	case BPF_NETFILTER: return B_NETFILTER;
	case BPF_TCX_INGRESS: case BPF_TCX_EGRESS: return B_TCX;
	case BPF_NETKIT_PRIMARY: case BPF_NETKIT_PEER: return B_NETKIT;
	case BPF_CGROUP_INET_INGRESS: case BPF_CGROUP_INET_EGRESS:
	case BPF_CGROUP_INET_SOCK_CREATE: case BPF_CGROUP_INET_SOCK_RELEASE:
	case BPF_CGROUP_INET4_BIND: case BPF_CGROUP_INET6_BIND:
	case BPF_CGROUP_INET4_POST_BIND: case BPF_CGROUP_INET6_POST_BIND:
	case BPF_CGROUP_INET4_CONNECT: case BPF_CGROUP_INET6_CONNECT:
	case BPF_CGROUP_UNIX_CONNECT: case BPF_CGROUP_INET4_GETPEERNAME:
	case BPF_CGROUP_INET6_GETPEERNAME: case BPF_CGROUP_UNIX_GETPEERNAME:
	case BPF_CGROUP_INET4_GETSOCKNAME: case BPF_CGROUP_INET6_GETSOCKNAME:
	case BPF_CGROUP_UNIX_GETSOCKNAME: case BPF_CGROUP_UDP4_SENDMSG:
	case BPF_CGROUP_UDP6_SENDMSG: case BPF_CGROUP_UNIX_SENDMSG:
	case BPF_CGROUP_UDP4_RECVMSG: case BPF_CGROUP_UDP6_RECVMSG:
	case BPF_CGROUP_UNIX_RECVMSG: case BPF_CGROUP_SOCK_OPS: case BPF_CGROUP_DEVICE:
	case BPF_CGROUP_SYSCTL: case BPF_CGROUP_GETSOCKOPT: case BPF_CGROUP_SETSOCKOPT:
	case BPF_LSM_CGROUP:
		return B_CGROUP;
	default:
		return B_DEFAULT;
	}
}

/* ---- field recipes ---------------------------------------------------- */
/*
 * Each recipe sets some named fields of a LIBBPF_OPTS-initialised
 * bpf_link_create_opts (reference layout). Together they reach every
 * check of bpf_link_create: the iter_info_len / target_btf_id rules, the
 * target_btf_id short-cut, each union member's fields and its zero check,
 * relative_fd / relative_id exclusivity and BPF_F_ID, flags passed through.
 */
static union bpf_iter_link_info iter_link_info;
static const char *syms[3] = { "a", "b", "c" };
static const unsigned long addrs[3] = { 1, 2, 3 };
static const __u64 cookies[3] = { 4, 5, 6 };
static const unsigned long offsets[3] = { 7, 8, 9 };

typedef void (*recipe_fn)(struct bpf_link_create_opts *o);

#define R(name, ...) static void r_##name(struct bpf_link_create_opts *o) { __VA_ARGS__; }
R(zero, (void)o)
R(flags_replace, o->flags = BPF_F_REPLACE)
R(flags_before, o->flags = BPF_F_BEFORE)
R(flags_after, o->flags = BPF_F_AFTER)
R(flags_id, o->flags = BPF_F_ID)
R(flags_link, o->flags = BPF_F_LINK)
R(flags_all, o->flags = 0xFFFFFFFFu)
R(iter_info, o->iter_info = &iter_link_info)
R(iter_info_len, o->iter_info_len = sizeof(iter_link_info))
R(iter_both, o->iter_info = &iter_link_info; o->iter_info_len = sizeof(iter_link_info))
R(iter_both_flags, o->iter_info = &iter_link_info; o->iter_info_len = 4; o->flags = 1)
R(btf_id, o->target_btf_id = 7)
R(btf_id_flags, o->target_btf_id = 7; o->flags = BPF_F_REPLACE)
R(btf_id_iter_len, o->target_btf_id = 7; o->iter_info_len = 8)
R(btf_id_iter_info, o->target_btf_id = 7; o->iter_info = &iter_link_info)
R(btf_id_union_first, o->target_btf_id = 7; o->tcx.relative_fd = 1)
R(btf_id_union_last, o->target_btf_id = 7; o->uprobe_multi.pid = 1)
R(btf_id_cookie, o->target_btf_id = 7; o->tracing.cookie = 1)
R(iter_len_cookie, o->iter_info_len = 8; o->perf_event.bpf_cookie = 1)
R(iter_len_pid, o->iter_info_len = 8; o->uprobe_multi.pid = 1)
R(perf_cookie, o->perf_event.bpf_cookie = 0x1122334455667788ull)
R(kp_flags, o->kprobe_multi.flags = BPF_F_KPROBE_MULTI_RETURN)
R(kp_cnt, o->kprobe_multi.cnt = 3)
R(kp_syms, o->kprobe_multi.syms = syms)
R(kp_addrs, o->kprobe_multi.addrs = addrs)
R(kp_cookies, o->kprobe_multi.cookies = cookies)
R(kp_all, o->kprobe_multi.flags = 1; o->kprobe_multi.cnt = 3; o->kprobe_multi.syms = syms;
  o->kprobe_multi.addrs = addrs; o->kprobe_multi.cookies = cookies)
R(up_flags, o->uprobe_multi.flags = BPF_F_UPROBE_MULTI_RETURN)
R(up_cnt, o->uprobe_multi.cnt = 3)
R(up_path, o->uprobe_multi.path = "/bin/true")
R(up_offsets, o->uprobe_multi.offsets = offsets)
R(up_refs, o->uprobe_multi.ref_ctr_offsets = offsets)
R(up_cookies, o->uprobe_multi.cookies = cookies)
R(up_pid, o->uprobe_multi.pid = 1234)
R(up_all, o->uprobe_multi.flags = 1; o->uprobe_multi.cnt = 3;
  o->uprobe_multi.path = "/bin/true"; o->uprobe_multi.offsets = offsets;
  o->uprobe_multi.ref_ctr_offsets = offsets; o->uprobe_multi.cookies = cookies;
  o->uprobe_multi.pid = 0xFFFFFFFFu)
R(tr_cookie, o->tracing.cookie = 0xFEDCBA9876543210ull)
R(nf_pf, o->netfilter.pf = 2)
R(nf_hooknum, o->netfilter.hooknum = 1)
R(nf_prio, o->netfilter.priority = -100)
R(nf_flags, o->netfilter.flags = 1)
R(nf_all, o->netfilter.pf = 10; o->netfilter.hooknum = 4; o->netfilter.priority = INT_MIN;
  o->netfilter.flags = 0xFFFFFFFFu)
R(rel_fd, o->tcx.relative_fd = 5)
R(rel_fd_neg, o->tcx.relative_fd = 0xFFFFFFFFu)
R(rel_id, o->tcx.relative_id = 9)
R(rel_both, o->tcx.relative_fd = 5; o->tcx.relative_id = 9)
R(rel_rev, o->tcx.expected_revision = 3)
R(rel_rev_max, o->tcx.expected_revision = UINT64_MAX)
R(rel_fd_rev_before, o->tcx.relative_fd = 5; o->tcx.expected_revision = 3;
  o->flags = BPF_F_BEFORE)
R(rel_id_after, o->tcx.relative_id = 9; o->flags = BPF_F_AFTER)
R(rel_id_with_f_id, o->tcx.relative_id = 9; o->flags = BPF_F_ID | BPF_F_BEFORE)
R(rel_fd_with_f_id, o->tcx.relative_fd = 9; o->flags = BPF_F_ID)
R(nk_id_rev, o->netkit.relative_id = 11; o->netkit.expected_revision = 12)
R(nk_both, o->netkit.relative_fd = 1; o->netkit.relative_id = 1)
R(cg_id_rev, o->cgroup.relative_id = 13; o->cgroup.expected_revision = 14;
  o->flags = BPF_F_REPLACE | BPF_F_AFTER)
R(cg_both, o->cgroup.relative_fd = 2; o->cgroup.relative_id = 3)
R(cg_id_cookie_tail, o->cgroup.relative_id = 13; o->uprobe_multi.cookies = cookies)
#undef R

#define E(name) { #name, r_##name }
static const struct { const char *name; recipe_fn fn; } recipes[] = {
	E(zero), E(flags_replace), E(flags_before), E(flags_after), E(flags_id), E(flags_link),
	E(flags_all), E(iter_info), E(iter_info_len), E(iter_both), E(iter_both_flags),
	E(btf_id), E(btf_id_flags), E(btf_id_iter_len), E(btf_id_iter_info),
	E(btf_id_union_first), E(btf_id_union_last), E(btf_id_cookie), E(iter_len_cookie),
	E(iter_len_pid), E(perf_cookie), E(kp_flags), E(kp_cnt), E(kp_syms), E(kp_addrs),
	E(kp_cookies), E(kp_all), E(up_flags), E(up_cnt), E(up_path), E(up_offsets), E(up_refs),
	E(up_cookies), E(up_pid), E(up_all), E(tr_cookie), E(nf_pf), E(nf_hooknum), E(nf_prio),
	E(nf_flags), E(nf_all), E(rel_fd), E(rel_fd_neg), E(rel_id), E(rel_both), E(rel_rev),
	E(rel_rev_max), E(rel_fd_rev_before), E(rel_id_after), E(rel_id_with_f_id),
	E(rel_fd_with_f_id), E(nk_id_rev), E(nk_both), E(cg_id_rev), E(cg_both),
	E(cg_id_cookie_tail),
};
#undef E

/* Sizes the recipes are tried with: the full struct, its known end (no
 * tail padding), and two sizes that cut through the union. */
static const size_t recipe_sizes[] = { sizeof(struct bpf_link_create_opts), 76, 48, 36 };

/* Runs every recipe at every size for attach type t with the given fds.
 * Exported for the fallback groups, which use real programs. */
void create_recipes(unsigned int t, int prog_fd, int target_fd, const char *what)
{
	struct bpf_link_create_opts o;
	struct call c = { .fn = FN_CREATE, .a = prog_fd, .b = target_fd, .u = t, .opts = &o };
	size_t r, s;

	for (r = 0; r < sizeof(recipes) / sizeof(recipes[0]); r++) {
		for (s = 0; s < sizeof(recipe_sizes) / sizeof(recipe_sizes[0]); s++) {
			memset(&o, 0, sizeof(o));
			recipes[r].fn(&o);
			o.sz = recipe_sizes[s];
			diff_call(&c, NULL, "%s attach=%u prog=%d target=%d recipe=%s sz=%zu", what, t,
				  prog_fd, target_fd, recipes[r].name, o.sz);
		}
	}
}

/* LIBBPF_OPTS as a client writes it, with designated fields. */
static void designated_cases(void)
{
	LIBBPF_OPTS(bpf_link_create_opts, up, .uprobe_multi.cnt = 1, .uprobe_multi.pid = 2);
	LIBBPF_OPTS(bpf_link_create_opts, tcx, .tcx.relative_id = 4, .flags = BPF_F_BEFORE);
	LIBBPF_OPTS(bpf_link_create_opts, it, .iter_info = &iter_link_info,
		    .iter_info_len = sizeof(iter_link_info));
	const struct bpf_link_create_opts *all[] = { &up, &tcx, &it };
	static const char *names[] = { "uprobe_multi cnt+pid", "tcx relative_id+BEFORE",
				       "iter info+len" };
	struct call c = { .fn = FN_CREATE, .a = -1, .b = -1 };
	size_t i;
	int k;

	for (i = 0; i < 3; i++)
		for (k = 0; k < n_types; k++) {
			c.u = attach_types[k];
			c.opts = all[i];
			diff_call(&c, NULL, "LIBBPF_OPTS(%s) attach=%u", names[i], c.u);
		}
}

/* bpf_link_create(-1, -1, t, opts) with opts of every size, and each
 * options byte set to val in turn (opts_sweep). */
static void sweep_attach_type(unsigned int t, unsigned char val)
{
	struct call c = { .fn = FN_CREATE, .a = -1, .b = -1, .u = t };
	char desc[64];

	snprintf(desc, sizeof(desc), "attach=%u", t);
	opts_sweep(&c, sizeof(struct bpf_link_create_opts), KNOWN_END(bpf_link_create_opts), desc,
		   val);
}

void groups_create(void)
{
	static const int fds[][2] = {
		{ -1, -1 }, { -1, 0 }, { INT_MAX, 5 }, { INT_MIN, INT_MIN }, { -1, 1 }, { 0, 0 },
	};
	struct call c = { .fn = FN_CREATE };
	enum branch b;
	size_t i;
	int k;

	init_types();

	group_begin("bpf_link_create: NULL opts, fd values, every attach type");
	for (k = 0; k < n_types; k++)
		for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
			c.a = fds[i][0];
			c.b = fds[i][1];
			c.u = attach_types[k];
			c.opts = NULL;
			diff_call(&c, NULL, "attach=%u prog=%d target=%d opts=NULL", c.u, c.a, c.b);
		}
	group_end();

	/* One group per branch of the attach-type switch. */
	for (b = 0; b < B__N; b++) {
		char name[256];

		snprintf(name, sizeof(name), "bpf_link_create opts sweep (sz x byte), prog_fd -1: %s",
			 branch_name[b]);
		group_begin(name);
		for (k = 0; k < n_types; k++)
			if (branch_of(attach_types[k]) == b)
				sweep_attach_type(attach_types[k], 0x01);
		group_end();
	}

	group_begin("bpf_link_create opts sweep, byte value 0x80, tcx/cgroup/netfilter/tracing");
	{
		static const unsigned int some[] = { BPF_TCX_INGRESS, BPF_CGROUP_INET_INGRESS,
						     BPF_NETFILTER, BPF_TRACE_FENTRY, BPF_XDP };

		for (i = 0; i < sizeof(some) / sizeof(some[0]); i++)
			sweep_attach_type(some[i], 0x80);
	}
	group_end();

	group_begin("bpf_link_create: field recipes x sizes x every attach type, prog_fd -1");
	for (k = 0; k < n_types; k++)
		create_recipes(attach_types[k], -1, -1, "");
	designated_cases();
	group_end();
}
