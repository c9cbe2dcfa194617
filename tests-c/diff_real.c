// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Real links, created, queried, updated and detached by both libraries.
 *
 * Each library works on its own, identical attach point (its own child
 * cgroup, its own network namespace, its own perf event) so that the
 * kernel state each one sees evolves the same way; before each call the
 * library's own fds are placed at the same fixed fd numbers (struct call
 * .map), so the two bpf(2) attrs can still be compared byte for byte.
 * Link ids necessarily differ: they are masked in link info, and calls
 * that take an id are made by both libraries with each of the two ids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btf.h>
#include <linux/netfilter.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff_groups.h"
#include "support.h"

/* Fixed fd numbers the per-library fds are placed at. */
enum { FX_TARGET = 900, FX_LINK = 901, FX_LINK2 = 902 };

static struct call mk(enum fn fn, int a, int b, unsigned int u, const void *opts)
{
	struct call c = { .fn = fn, .a = a, .b = b, .u = u, .opts = opts };

	return c;
}

static void map(struct call *c, int fixed, const int fd[NLIB])
{
	c->map[c->nmap].fixed = fixed;
	c->map[c->nmap].fd[OURS] = fd[OURS];
	c->map[c->nmap].fd[REF] = fd[REF];
	c->nmap++;
}

/* bpf_link_create(prog, target, type, opts) where target is each library's
 * own attach point (a cgroup, a netns, a perf event), placed at FX_TARGET. */
static struct call mk_create(int prog, const int target[NLIB], unsigned int type,
			     const void *opts)
{
	struct call c = mk(FN_CREATE, prog, FX_TARGET, type, opts);

	map(&c, FX_TARGET, target);
	return c;
}

static void closep(int fd[NLIB])
{
	int lib;

	for (lib = 0; lib < NLIB; lib++) {
		if (fd[lib] >= 0)
			close(fd[lib]);
		fd[lib] = -1;
	}
}

/* A create (or another fd-returning call) whose fds are kept in out[]. */
static void keep(struct call *c, int out[NLIB], const char *desc)
{
	int lib;

	c->flags |= C_KEEP;
	diff_call(c, out, "%s", desc);
	if (c->fn == FN_CREATE)
		for (lib = 0; lib < NLIB; lib++)
			if (out[lib] >= 0)
				note_link_id(sup_link_id(out[lib]));
}

/* A create that must not leave a link behind either way. */
static void once(struct call *c, const char *desc)
{
	int fds[NLIB] = { -1, -1 };

	keep(c, fds, desc);
	closep(fds);
}

/* Link info of the link at FX_LINK, ids (and extra bytes) masked. */
static void info_case(const int lk[NLIB], __u32 len, const void *init, unsigned int mask_off,
		      unsigned int mask_len, const char *desc)
{
	static unsigned char info[OUT_MAX];
	static __u32 ilen;
	struct call c = mk(FN_INFO, FX_LINK, 0, 0, NULL);

	map(&c, FX_LINK, lk);
	c.out = info;
	c.out_len = sizeof(struct bpf_link_info) + 40;
	c.out_init = init;
	c.lenp = &ilen;
	c.len_init = len;
	c.mask[c.nmask].off = offsetof(struct bpf_link_info, id);
	c.mask[c.nmask++].len = 4;
	if (mask_len) {
		c.mask[c.nmask].off = mask_off;
		c.mask[c.nmask++].len = mask_len;
	}
	diff_call(&c, NULL, "%s: info len=%u", desc, len);
}

static void update_case(const int lk[NLIB], int new_prog, const struct bpf_link_update_opts *o,
			const char *desc)
{
	struct call c = mk(FN_UPDATE, FX_LINK, new_prog, 0, o);

	map(&c, FX_LINK, lk);
	diff_call(&c, NULL, "%s", desc);
}

static void simple_case(enum fn fn, const int lk[NLIB], const char *desc)
{
	struct call c = mk(fn, FX_LINK, 0, 0, NULL);

	map(&c, FX_LINK, lk);
	diff_call(&c, NULL, "%s", desc);
}

/* Calls that take a link id: each library with each library's id. */
static void id_cases(const int lk[NLIB], const char *desc)
{
	__u32 ids[NLIB], next;
	int i;

	ids[OURS] = sup_link_id(lk[OURS]);
	ids[REF] = sup_link_id(lk[REF]);
	group_check(ids[OURS] && ids[REF], "%s: link ids not found", desc);
	for (i = 0; i < NLIB; i++) {
		struct bpf_get_fd_by_id_opts o;
		struct call c = mk(FN_FD_BY_ID, 0, 0, ids[i], NULL);

		diff_call(&c, NULL, "%s: fd_by_id(id of %s's link)", desc, libs[i].name);
		c.flags = C_FD0FREE;
		diff_call(&c, NULL, "%s: fd_by_id(id of %s's link) with fd 0 free", desc,
			  libs[i].name);
		c.flags = 0;
		c.fn = FN_FD_BY_ID_OPTS;
		diff_call(&c, NULL, "%s: fd_by_id_opts(id of %s's link, NULL)", desc, libs[i].name);
		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.token_fd = 5;
		c.opts = &o;
		diff_call(&c, NULL, "%s: fd_by_id_opts(id of %s's link, token_fd 5)", desc,
			  libs[i].name);
		o.token_fd = 0;
		o.open_flags = BPF_F_RDONLY;
		diff_call(&c, NULL, "%s: fd_by_id_opts(id of %s's link, BPF_F_RDONLY)", desc,
			  libs[i].name);
		o.open_flags = 0;
		o.sz = 12;
		diff_call(&c, NULL, "%s: fd_by_id_opts(id of %s's link, sz 12)", desc,
			  libs[i].name);

		c = mk(FN_NEXT_ID, 0, 0, ids[i] - 1, NULL);
		c.lenp = &next;
		diff_call(&c, NULL, "%s: next_id(id of %s's link - 1)", desc, libs[i].name);
		group_check(next == ids[i], "%s: next_id(%u) gave %u", desc, ids[i] - 1, next);
	}
}

/*
 * What follows a detach, for the link at lk (new_prog: a program it could
 * run): the detach itself, link info of the detached link (with the bytes
 * at mask_off..+mask_len masked), a second detach, and an update.
 */
static void detach_cases(const int lk[NLIB], int new_prog, unsigned int mask_off,
			 unsigned int mask_len, const char *name)
{
	char desc[128];

	snprintf(desc, sizeof(desc), "%s: detach", name);
	simple_case(FN_DETACH, lk, desc);
	snprintf(desc, sizeof(desc), "%s after detach", name);
	info_case(lk, sizeof(struct bpf_link_info), NULL, mask_off, mask_len, desc);
	snprintf(desc, sizeof(desc), "%s: detach again", name);
	simple_case(FN_DETACH, lk, desc);
	snprintf(desc, sizeof(desc), "%s: update after detach", name);
	update_case(lk, new_prog, NULL, desc);
}

/* ---- cgroup ----------------------------------------------------------- */

/* Revision of an attach point (a cgroup fd, or an ifindex of the current
 * netns); 0 on failure. */
static __u64 revision(int target, enum bpf_attach_type type)
{
	struct sup_query q;

	return sup_prog_query(target, type, &q) ? 0 : q.revision;
}

static void cgroup_group(void)
{
	struct sup_cgroup cgs[NLIB];
	int P[5], RT, cg[NLIB], l1[NLIB], l2[NLIB], l3[NLIB], l4[NLIB], l5[NLIB], lib, k;
	struct bpf_link_create_opts o;
	struct bpf_link_update_opts u;
	unsigned char tail[OUT_MAX];
	struct call c;
	__u64 rev[NLIB];

	/* A raw tracepoint program serves as a program of another type. */
	if (!group_begin_need("real cgroup links (child cgroup per library): create, ordering, "
			      "info, ids, update, detach", "link_cgroup,prog_raw_tp"))
		return;
	for (k = 0; k < 5; k++)
		P[k] = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	RT = sup_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	for (lib = 0; lib < NLIB; lib++) {
		sup_cgroup_create(&cgs[lib], lib == OURS ? "diff-ours" : "diff-ref");
		cg[lib] = cgs[lib].fd;
	}
	if (!group_check(P[0] >= 0 && P[4] >= 0 && RT >= 0 && cg[OURS] >= 0 && cg[REF] >= 0,
			 "cannot load the programs or create the child cgroups"))
		goto out;

	c = mk_create(P[0], cg, BPF_CGROUP_INET_INGRESS, NULL);
	keep(&c, l1, "cgroup: create(P0, ingress, NULL)");
	group_check(l1[OURS] >= 0 && l1[REF] >= 0, "cgroup link not created");

	c = mk_create(P[0], cg, BPF_CGROUP_INET_INGRESS, NULL);
	once(&c, "cgroup: create(P0, ingress) again");

	c = mk_create(P[1], cg, BPF_CGROUP_INET_EGRESS, NULL);
	keep(&c, l2, "cgroup: create(P1, egress, NULL)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_BEFORE;
	o.cgroup.relative_fd = (__u32)P[0];
	c = mk_create(P[2], cg, BPF_CGROUP_INET_INGRESS, &o);
	keep(&c, l3, "cgroup: create(P2, ingress, BEFORE relative_fd=P0)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_AFTER;
	o.cgroup.relative_id = sup_prog_id(P[0]);
	c = mk_create(P[3], cg, BPF_CGROUP_INET_INGRESS, &o);
	keep(&c, l4, "cgroup: create(P3, ingress, AFTER relative_id=id(P0))");

	o.cgroup.relative_fd = (__u32)P[0];
	c = mk_create(P[4], cg, BPF_CGROUP_INET_INGRESS, &o);
	once(&c, "cgroup: create(P4, relative_fd and relative_id)");

	/* Anchored on a link: the link fd sits at FX_LINK for both. */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_BEFORE | BPF_F_LINK;
	o.cgroup.relative_fd = FX_LINK;
	c = mk_create(P[4], cg, BPF_CGROUP_INET_INGRESS, &o);
	map(&c, FX_LINK, l1);
	once(&c, "cgroup: create(P4, BEFORE|LINK relative_fd=link l1)");
	o.flags = BPF_F_AFTER | BPF_F_LINK;
	c = mk_create(P[4], cg, BPF_CGROUP_INET_INGRESS, &o);
	map(&c, FX_LINK, l1);
	once(&c, "cgroup: create(P4, AFTER|LINK relative_fd=link l1)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_BEFORE | BPF_F_LINK;
	o.cgroup.relative_id = sup_prog_id(P[3]);
	c = mk_create(P[4], cg, BPF_CGROUP_INET_INGRESS, &o);
	once(&c, "cgroup: create(P4, BEFORE|LINK relative_id=prog id: not a link id)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.cgroup.expected_revision = 1;
	c = mk_create(P[4], cg, BPF_CGROUP_INET_INGRESS, &o);
	once(&c, "cgroup: create(P4, stale expected_revision 1)");

	for (lib = 0; lib < NLIB; lib++)
		rev[lib] = revision(cg[lib], BPF_CGROUP_INET_INGRESS);
	group_check(rev[OURS] == rev[REF] && rev[OURS],
		    "cgroup revisions differ: %llu vs %llu (fixture not symmetric)",
		    (unsigned long long)rev[OURS], (unsigned long long)rev[REF]);
	o.cgroup.expected_revision = rev[OURS];
	c = mk_create(P[4], cg, BPF_CGROUP_INET_INGRESS, &o);
	keep(&c, l5, "cgroup: create(P4, current expected_revision)");

	/* The new program must be first: P2 before P0 ... (kernel order is
	 * compared indirectly: every later answer depends on it). */
	info_case(l1, sizeof(struct bpf_link_info), NULL, offsetof(struct bpf_link_info, cgroup),
		  8, "cgroup l1");
	info_case(l1, 0, NULL, 16, 8, "cgroup l1");
	info_case(l1, 8, NULL, 16, 8, "cgroup l1");
	info_case(l1, sizeof(struct bpf_link_info) + 32, NULL, 16, 8, "cgroup l1 zero tail");
	memset(tail, 0, sizeof(tail));
	tail[sizeof(struct bpf_link_info) + 4] = 1;
	info_case(l1, sizeof(struct bpf_link_info) + 32, tail, 16, 8, "cgroup l1 non-zero tail");
	info_case(l2, sizeof(struct bpf_link_info), NULL, 16, 8, "cgroup l2 (egress)");
	{
		/* info NULL with a length: the kernel's EFAULT in both */
		struct call ci = mk(FN_INFO, FX_LINK, 0, 0, NULL);
		__u32 len;

		map(&ci, FX_LINK, l1);
		ci.lenp = &len;
		ci.len_init = sizeof(struct bpf_link_info);
		diff_call(&ci, NULL, "cgroup l1: info NULL, len 64");
		ci.len_init = 0;
		diff_call(&ci, NULL, "cgroup l1: info NULL, len 0");
	}
	id_cases(l1, "cgroup l1");
	id_cases(l5, "cgroup l5");

	update_case(l1, P[1], NULL, "cgroup: update(l1, P1, NULL)");
	info_case(l1, sizeof(struct bpf_link_info), NULL, 16, 8, "cgroup l1 after update");
	memset(&u, 0, sizeof(u));
	u.sz = sizeof(u);
	u.flags = BPF_F_REPLACE;
	u.old_prog_fd = (__u32)P[0];
	update_case(l1, P[0], &u, "cgroup: update(l1, P0, REPLACE old_prog=P0: wrong)");
	u.old_prog_fd = (__u32)P[1];
	update_case(l1, P[0], &u, "cgroup: update(l1, P0, REPLACE old_prog=P1)");
	u.old_prog_fd = 0;
	u.old_map_fd = (__u32)P[0];
	update_case(l1, P[1], &u, "cgroup: update(l1, P1, REPLACE old_map=P0)");
	u.old_prog_fd = (__u32)P[0];
	update_case(l1, P[1], &u, "cgroup: update(l1, P1, old_prog and old_map)");
	memset(&u, 0, sizeof(u));
	u.sz = sizeof(u);
	u.flags = BPF_F_AFTER;
	update_case(l1, P[1], &u, "cgroup: update(l1, P1, flags AFTER)");
	update_case(l1, RT, NULL, "cgroup: update(l1, raw_tp prog)");
	update_case(l1, -1, NULL, "cgroup: update(l1, -1)");
	update_case(l1, P[2], NULL, "cgroup: update(l1, P2: already attached)");
	simple_case(FN_ITER_CREATE, l1, "cgroup: iter_create(l1)");

	detach_cases(l1, P[0], 16, 8, "cgroup l1");
	simple_case(FN_DETACH, l2, "cgroup: detach(l2)");

	closep(l1);
	closep(l2);
	closep(l3);
	closep(l4);
	closep(l5);
out:
	for (lib = 0; lib < NLIB; lib++)
		sup_cgroup_destroy(&cgs[lib]);
	for (k = 0; k < 5; k++)
		SUP_CLOSE(P[k]);
	SUP_CLOSE(RT);
	group_end();
}

/* ---- network namespace: tcx, xdp, netfilter ---------------------------- */

static int ns[NLIB] = { -1, -1 }, ns_orig = -1;

static void enter_ns(int lib, void *ctx)
{
	(void)ctx;
	if (setns(ns[lib], CLONE_NEWNET))
		printf("# setns: %s\n", strerror(errno));
}

static void leave_ns(void)
{
	if (ns_orig >= 0 && setns(ns_orig, CLONE_NEWNET))
		printf("# setns back: %s\n", strerror(errno));
}

/* A fresh network namespace for each library; the process itself stays
 * where it was. Each group that needs them makes its own. */
static bool make_netns(void)
{
	bool ok = true;
	int lib;

	ns_orig = sup_netns_open();
	for (lib = 0; lib < NLIB; lib++) {
		ok = ok && !unshare(CLONE_NEWNET);
		ns[lib] = ok ? sup_netns_open() : -1;
	}
	leave_ns();
	return ns_orig >= 0 && ns[OURS] >= 0 && ns[REF] >= 0;
}

static void drop_netns(void)
{
	leave_ns();
	closep(ns);
	SUP_CLOSE(ns_orig);
}

static struct call mkns(enum fn fn, int a, int b, unsigned int u, const void *opts)
{
	struct call c = mk(fn, a, b, u, opts);

	c.pre = enter_ns;
	return c;
}

/* Revision of lo's hook `type` in the namespace of library lib. */
static __u64 ns_revision(int lib, enum bpf_attach_type type)
{
	__u64 rev;

	enter_ns(lib, NULL);
	rev = revision(1, type);
	leave_ns();
	return rev;
}

static void tcx_group(void)
{
	int S[6], k, k1[NLIB], k2[NLIB], k3[NLIB], k4[NLIB], k5[NLIB];
	struct bpf_link_create_opts o;
	struct bpf_link_update_opts u;
	struct call c;
	__u64 rev[NLIB];

	if (!group_begin_need("real tcx links on lo (netns per library): relative fd/id, BPF_F_ID, "
			      "expected_revision, update, detach", "link_tcx"))
		return;
	for (k = 0; k < 6; k++)
		S[k] = sup_prog_load(BPF_PROG_TYPE_SCHED_CLS, BPF_TCX_INGRESS, 0);
	if (!group_check(make_netns(), "cannot create network namespaces: %s", strerror(errno)) ||
	    !group_check(S[0] >= 0 && S[5] >= 0, "cannot load sched_cls programs"))
		goto out;
	c = mkns(FN_CREATE, S[0], 1, BPF_TCX_INGRESS, NULL);
	keep(&c, k1, "tcx: create(S0, lo ingress, NULL)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_BEFORE;
	o.tcx.relative_fd = (__u32)S[0];
	c = mkns(FN_CREATE, S[1], 1, BPF_TCX_INGRESS, &o);
	keep(&c, k2, "tcx: create(S1, BEFORE relative_fd=S0)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_AFTER;
	o.tcx.relative_id = sup_prog_id(S[0]);
	c = mkns(FN_CREATE, S[2], 1, BPF_TCX_INGRESS, &o);
	keep(&c, k3, "tcx: create(S2, AFTER relative_id=id(S0))");

	c = mkns(FN_CREATE, S[2], 1, BPF_TCX_INGRESS, NULL);
	once(&c, "tcx: create(S2) again");

	o.tcx.relative_fd = (__u32)S[0];
	c = mkns(FN_CREATE, S[3], 1, BPF_TCX_INGRESS, &o);
	once(&c, "tcx: create(S3, relative_fd and relative_id)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_BEFORE | BPF_F_LINK;
	o.tcx.relative_id = 1;
	c = mkns(FN_CREATE, S[3], 1, BPF_TCX_INGRESS, &o);
	once(&c, "tcx: create(S3, BEFORE|LINK relative_id=1)");

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.tcx.expected_revision = 1;
	c = mkns(FN_CREATE, S[3], 1, BPF_TCX_INGRESS, &o);
	once(&c, "tcx: create(S3, stale expected_revision)");

	rev[OURS] = ns_revision(OURS, BPF_TCX_INGRESS);
	rev[REF] = ns_revision(REF, BPF_TCX_INGRESS);
	group_check(rev[OURS] == rev[REF] && rev[OURS], "tcx revisions differ: %llu vs %llu",
		    (unsigned long long)rev[OURS], (unsigned long long)rev[REF]);
	o.flags = BPF_F_BEFORE;
	o.tcx.expected_revision = rev[OURS];
	c = mkns(FN_CREATE, S[3], 1, BPF_TCX_INGRESS, &o);
	keep(&c, k4, "tcx: create(S3, BEFORE, current expected_revision)");

	c = mkns(FN_CREATE, S[0], 1, BPF_TCX_EGRESS, NULL);
	keep(&c, k5, "tcx: create(S0, lo egress)");
	c = mkns(FN_CREATE, S[0], 2, BPF_TCX_INGRESS, NULL);
	once(&c, "tcx: create(S0, ifindex 2: absent)");
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_REPLACE;
	o.tcx.relative_fd = (__u32)S[0];
	c = mkns(FN_CREATE, S[4], 1, BPF_TCX_INGRESS, &o);
	once(&c, "tcx: create(S4, REPLACE relative_fd=S0)");

	info_case(k1, sizeof(struct bpf_link_info), NULL, 0, 0, "tcx k1");
	info_case(k5, sizeof(struct bpf_link_info), NULL, 0, 0, "tcx k5 (egress)");
	id_cases(k1, "tcx k1");

	update_case(k1, S[5], NULL, "tcx: update(k1, S5)");
	memset(&u, 0, sizeof(u));
	u.sz = sizeof(u);
	u.flags = BPF_F_REPLACE;
	u.old_prog_fd = (__u32)S[0];
	update_case(k1, S[0], &u, "tcx: update(k1, S0, REPLACE old_prog=S0: wrong)");
	u.old_prog_fd = (__u32)S[5];
	update_case(k1, S[0], &u, "tcx: update(k1, S0, REPLACE old_prog=S5)");
	update_case(k1, S[1], NULL, "tcx: update(k1, S1: attached by k2)");
	info_case(k1, sizeof(struct bpf_link_info), NULL, 0, 0, "tcx k1 after update");

	detach_cases(k1, S[0], 0, 0, "tcx k1");
	simple_case(FN_DETACH, k5, "tcx: detach(k5)");

	closep(k1);
	closep(k2);
	closep(k3);
	closep(k4);
	closep(k5);
out:
	drop_netns();
	for (k = 0; k < 6; k++)
		SUP_CLOSE(S[k]);
	group_end();
}

static void xdp_netfilter_group(void)
{
	const unsigned int ino = offsetof(struct bpf_link_info, netns.netns_ino);
	int X[2], N[2], L[2], F[2], x1[NLIB], n1[NLIB], s1[NLIB], f1[NLIB], k;
	struct bpf_link_create_opts o;
	struct call c;

	if (!group_begin_need("real xdp, netfilter, sk_lookup and flow_dissector links "
			      "(netns per library)",
			      "link_xdp,link_netfilter,link_sk_lookup,link_flow_dissector"))
		return;
	for (k = 0; k < 2; k++) {
		X[k] = sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2);
		N[k] = sup_prog_load(BPF_PROG_TYPE_NETFILTER, BPF_NETFILTER, 1);
		L[k] = sup_prog_load(BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, 1);
		F[k] = sup_prog_load(BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 0);
	}
	if (!group_check(make_netns(), "cannot create network namespaces: %s", strerror(errno)) ||
	    !group_check(X[1] >= 0 && N[1] >= 0 && L[1] >= 0 && F[1] >= 0,
			 "cannot load xdp/netfilter/sk_lookup/flow_dissector programs"))
		goto out;
	c = mkns(FN_CREATE, X[0], 1, BPF_XDP, NULL);
	keep(&c, x1, "xdp: create(X0, lo)");
	c = mkns(FN_CREATE, X[1], 1, BPF_XDP, NULL);
	once(&c, "xdp: create(X1, lo) while X0 attached");
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = 2; /* XDP_FLAGS_SKB_MODE */
	c = mkns(FN_CREATE, X[1], 1, BPF_XDP, &o);
	once(&c, "xdp: create(X1, lo, SKB mode)");
	info_case(x1, sizeof(struct bpf_link_info), NULL, 0, 0, "xdp x1");
	update_case(x1, X[1], NULL, "xdp: update(x1, X1)");
	update_case(x1, N[0], NULL, "xdp: update(x1, netfilter prog)");
	id_cases(x1, "xdp x1");
	detach_cases(x1, X[0], 0, 0, "xdp x1");
	closep(x1);

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.netfilter.pf = NFPROTO_IPV4;
	o.netfilter.hooknum = NF_INET_LOCAL_IN;
	o.netfilter.priority = -100;
	c = mkns(FN_CREATE, N[0], 0, BPF_NETFILTER, &o);
	keep(&c, n1, "netfilter: create(N0, ipv4 local_in prio -100)");
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, &o);
	once(&c, "netfilter: same hook and priority again");
	o.netfilter.priority = INT_MIN;
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, &o);
	once(&c, "netfilter: priority INT_MIN");
	o.netfilter.priority = -50;
	o.netfilter.flags = 1; /* BPF_F_NETFILTER_IP_DEFRAG */
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, &o);
	once(&c, "netfilter: IP_DEFRAG flag");
	o.netfilter.flags = 0x80;
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, &o);
	once(&c, "netfilter: unknown flag");
	o.netfilter.flags = 0;
	o.netfilter.pf = 99;
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, &o);
	once(&c, "netfilter: pf 99");
	o.netfilter.pf = NFPROTO_IPV6;
	o.netfilter.hooknum = 17;
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, &o);
	once(&c, "netfilter: hooknum 17");
	c = mkns(FN_CREATE, N[1], 0, BPF_NETFILTER, NULL);
	once(&c, "netfilter: NULL opts");
	info_case(n1, sizeof(struct bpf_link_info), NULL, 0, 0, "netfilter n1");
	update_case(n1, N[1], NULL, "netfilter: update(n1, N1)");
	detach_cases(n1, N[1], 0, 0, "netfilter n1");
	closep(n1);

	/* netns links (default branch of bpf_link_create): the target is each
	 * library's own namespace fd, so its inode is masked in link info. */
	c = mk_create(L[0], ns, BPF_SK_LOOKUP, NULL);
	keep(&c, s1, "sk_lookup: create(L0, netns)");
	c = mk_create(L[1], ns, BPF_SK_LOOKUP, NULL);
	once(&c, "sk_lookup: second link on the netns");
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.flags = BPF_F_REPLACE;
	c = mk_create(L[1], ns, BPF_SK_LOOKUP, &o);
	once(&c, "sk_lookup: create with flags REPLACE");
	info_case(s1, sizeof(struct bpf_link_info), NULL, ino, 4, "sk_lookup s1");
	update_case(s1, L[1], NULL, "sk_lookup: update(s1, L1)");
	detach_cases(s1, L[0], ino, 4, "sk_lookup s1");
	closep(s1);

	c = mk_create(F[0], ns, BPF_FLOW_DISSECTOR, NULL);
	keep(&c, f1, "flow_dissector: create(F0, netns)");
	c = mk_create(F[1], ns, BPF_FLOW_DISSECTOR, NULL);
	once(&c, "flow_dissector: second link on the netns");
	info_case(f1, sizeof(struct bpf_link_info), NULL, ino, 4, "flow_dissector f1");
	update_case(f1, F[1], NULL, "flow_dissector: update(f1, F1)");
	update_case(f1, L[0], NULL, "flow_dissector: update(f1, sk_lookup prog)");
	detach_cases(f1, F[0], ino, 4, "flow_dissector f1");
	closep(f1);
out:
	drop_netns();
	for (k = 0; k < 2; k++) {
		SUP_CLOSE(X[k]);
		SUP_CLOSE(N[k]);
		SUP_CLOSE(L[k]);
		SUP_CLOSE(F[k]);
	}
	group_end();
}

/* ---- iterator and perf_event ------------------------------------------ */

static void iter_group(void)
{
	int btf_id, I[2] = { -1, -1 }, i1[NLIB], i2[NLIB], it[NLIB];
	union bpf_iter_link_info li;
	struct bpf_link_create_opts o;
	struct call c;
	int lib;

	if (!group_begin_need("real iterator links (task iterator) and bpf_iter_create",
			      "iter_task"))
		return;
	btf_id = sup_vmlinux_btf_id("bpf_iter_task", BTF_KIND_FUNC);
	if (!group_check(btf_id > 0, "no BTF id for bpf_iter_task: %s", strerror(-btf_id)))
		goto out;
	I[0] = sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf_id, 0);
	I[1] = sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf_id, 0);
	if (!group_check(I[0] >= 0 && I[1] >= 0, "cannot load iterator programs: %s",
			 strerror(errno)))
		goto out;
	c = mk(FN_CREATE, I[0], 0, BPF_TRACE_ITER, NULL);
	keep(&c, i1, "iter: create(I0, NULL)");

	memset(&li, 0, sizeof(li));
	li.task.tid = (__u32)getpid();
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.iter_info = &li;
	o.iter_info_len = sizeof(li);
	c = mk(FN_CREATE, I[0], 0, BPF_TRACE_ITER, &o);
	keep(&c, i2, "iter: create(I0, task tid=self)");
	o.iter_info_len = 3;
	c = mk(FN_CREATE, I[0], 0, BPF_TRACE_ITER, &o);
	once(&c, "iter: create(I0, iter_info_len 3)");
	o.iter_info = NULL;
	o.iter_info_len = sizeof(li);
	c = mk(FN_CREATE, I[0], 0, BPF_TRACE_ITER, &o);
	once(&c, "iter: create(I0, iter_info NULL, len 12)");
	o.iter_info = &li;
	o.iter_info_len = 0;
	c = mk(FN_CREATE, I[0], 0, BPF_TRACE_ITER, &o);
	once(&c, "iter: create(I0, stale iter_info, len 0)");
	c = mk(FN_CREATE, I[0], 5, BPF_TRACE_ITER, NULL);
	once(&c, "iter: create(I0, target_fd 5)");
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.target_btf_id = btf_id;
	c = mk(FN_CREATE, I[0], 0, BPF_TRACE_ITER, &o);
	once(&c, "iter: create(I0, target_btf_id)");

	c = mk(FN_ITER_CREATE, FX_LINK, 0, 0, NULL);
	map(&c, FX_LINK, i1);
	keep(&c, it, "iter: iter_create(i1)");
	for (lib = 0; lib < NLIB; lib++) {
		char b[64];
		ssize_t n = it[lib] >= 0 ? read(it[lib], b, sizeof(b)) : -2;

		group_check(n == 0, "%s: reading the iterator gave %zd", libs[lib].name, n);
	}
	closep(it);

	info_case(i1, sizeof(struct bpf_link_info), NULL, 0, 0, "iter i1");
	info_case(i2, sizeof(struct bpf_link_info), NULL, 0, 0, "iter i2");
	id_cases(i1, "iter i1");
	update_case(i1, I[1], NULL, "iter: update(i1, I1)");
	simple_case(FN_DETACH, i1, "iter: detach(i1)");
	closep(i1);
	closep(i2);
out:
	SUP_CLOSE(I[0]);
	SUP_CLOSE(I[1]);
	group_end();
}

static void perf_group(void)
{
	int pe[NLIB], pp[2], e1[NLIB], lib;
	struct bpf_link_create_opts o;
	struct call c;

	if (!group_begin_need("real perf_event links (software event per library)",
			      "link_perf_event"))
		return;
	for (lib = 0; lib < NLIB; lib++) {
		pp[lib] = sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
		pe[lib] = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	}
	if (!group_check(pp[0] >= 0 && pp[1] >= 0 && pe[OURS] >= 0 && pe[REF] >= 0,
			 "cannot load perf_event programs or open perf events"))
		goto out;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.perf_event.bpf_cookie = 0x1234567890ull;
	c = mk_create(pp[0], pe, BPF_PERF_EVENT, &o);
	keep(&c, e1, "perf_event: create(PP0, cookie)");
	c = mk_create(pp[1], pe, BPF_PERF_EVENT, NULL);
	once(&c, "perf_event: second program on the same event");
	info_case(e1, sizeof(struct bpf_link_info), NULL, 0, 0, "perf_event e1");
	update_case(e1, pp[1], NULL, "perf_event: update(e1, PP1)");
	simple_case(FN_DETACH, e1, "perf_event: detach(e1)");
	closep(e1);
out:
	closep(pe);
	closep(pp);
	group_end();
}

void groups_real(void)
{
	int live = 0, i;

	cgroup_group();
	tcx_group();
	xdp_netfilter_group();
	iter_group();
	perf_group();

	if (!group_begin_root("no link left behind"))
		return;
	for (i = 0; i < 100 && (live = live_noted_links()); i++)
		usleep(10000);
	group_check(live == 0, "%d links created by this suite are still alive", live);
	group_end();
}
