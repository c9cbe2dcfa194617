// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcx links (BPF_TCX_INGRESS / BPF_TCX_EGRESS) with sched_cls programs on
 * a veth device in a private network namespace: info, ordering through
 * relative_fd / relative_id (the library turns an id into BPF_F_ID), the
 * expected revision, update and detach. The order is read back with
 * BPF_PROG_QUERY; on lo, traffic with program run counts shows which
 * program runs after create, update and detach.
 */
#include "support.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define NPROG 6

static int ifindex;

static int load_cls(void)
{
	return sup_prog_load(BPF_PROG_TYPE_SCHED_CLS, 0, 0 /* TC_ACT_OK */);
}

/* "p1,p2,...|l1,l2,..." of the hook as the kernel lists it. */
static const char *hook_order(enum bpf_attach_type type, struct sup_query *q)
{
	static char buf[512];
	size_t n = 0;
	__u32 i;

	if (sup_prog_query(ifindex, type, q))
		return "query failed";
	buf[0] = 0;
	for (i = 0; i < q->count && i < SUP_QUERY_MAX; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%u", i ? "," : "", q->prog_ids[i]);
	n += snprintf(buf + n, sizeof(buf) - n, "|");
	for (i = 0; i < q->count && i < SUP_QUERY_MAX; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%u", i ? "," : "", q->link_ids[i]);
	return buf;
}

/* Builds the expected hook_order() text from indexes into pid[] / lid[]. */
static const char *want_order(const __u32 *pid, const __u32 *lid, const int *idx, int n)
{
	static char buf[512];
	size_t len = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u", i ? "," : "", pid[idx[i]]);
	len += snprintf(buf + len, sizeof(buf) - len, "|");
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%u", i ? "," : "", lid[idx[i]]);
	return buf;
}

static void check_order(enum bpf_attach_type type, struct sup_query *q, const char *want,
			const char *what)
{
	const char *got = hook_order(type, q);

	CHECK(!strcmp(got, want), "%s order: hook is %s (want %s)", what, got, want);
}

static void test_info(enum bpf_attach_type type, const char *name)
{
	struct bpf_link_info info;
	struct sup_query q;
	int prog = -1, prog2 = -1, link = -1;
	char json[4096];
	__u32 pid, pid2;

	prog = load_cls();
	prog2 = load_cls();
	if (!CHECK(prog >= 0 && prog2 >= 0, "%s: load sched_cls programs", name))
		goto out;
	pid = sup_prog_id(prog);
	pid2 = sup_prog_id(prog2);
	link = bpf_link_create(prog, ifindex, type, NULL);
	if (!CHECK(link >= 3, "%s: bpf_link_create(ifindex) (%d)", name, link))
		goto out;
	CHECK(sup_fd_cloexec(link), "%s: link fd is close-on-exec", name);
	CHECK_EQ(sup_link_info(link, &info), 0, "%s: get_info", name);
	CHECK_EQ(info.type, BPF_LINK_TYPE_TCX, "%s: type tcx", name);
	CHECK_EQ(info.prog_id, pid, "%s: prog_id", name);
	CHECK_EQ(info.tcx.ifindex, ifindex, "%s: tcx.ifindex", name);
	CHECK_EQ(info.tcx.attach_type, type, "%s: tcx.attach_type", name);
	CHECK(!strcmp(libbpf_bpf_link_type_str(info.type) ?: "", "tcx"), "%s: type name tcx", name);
	if (sup_need("bpftool", "%s: bpftool sees the link", name))
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      (sup_json_has_str(json, "type", "tcx") ||
			       sup_json_has_int(json, "type", BPF_LINK_TYPE_TCX)) &&
			      sup_json_has_int(json, "prog_id", pid),
		      "%s: bpftool sees the link (%s)", name, json);
	CHECK(sup_prog_query(ifindex, type, &q) == 0 && q.count == 1 && q.prog_ids[0] == pid &&
		      q.link_ids[0] == info.id,
	      "%s: BPF_PROG_QUERY lists the program and the link", name);

	CHECK_EQ(bpf_link_update(link, prog2, NULL), 0, "%s: update", name);
	CHECK_EQ(sup_link_prog_id(link), pid2, "%s: info shows the new program", name);
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE,
			    .old_prog_fd = prog);

		CHECK_ERR(bpf_link_update(link, prog, &opts), EPERM,
			  "%s: BPF_F_REPLACE with the wrong old program", name);
	}

	CHECK_EQ(bpf_link_detach(link), 0, "%s: detach", name);
	CHECK(sup_link_info(link, &info) == 0 && info.tcx.ifindex == 0,
	      "%s: detached link reports ifindex 0", name);
	CHECK(sup_prog_query(ifindex, type, &q) == 0 && q.count == 0,
	      "%s: hook empty after detach", name);
	CHECK_ERR(bpf_link_update(link, prog, NULL), ENOLINK, "%s: update after detach", name);
out:
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
}

static void test_order(enum bpf_attach_type type, const char *name)
{
	int p[NPROG], l[NPROG], i;
	__u32 pid[NPROG], lid[NPROG];
	struct sup_query q;
	__u64 rev;

	for (i = 0; i < NPROG; i++) {
		l[i] = -1;
		p[i] = load_cls();
		pid[i] = p[i] >= 0 ? sup_prog_id(p[i]) : 0;
		lid[i] = 0;
	}
	for (i = 0; i < NPROG; i++)
		if (p[i] < 0)
			break;
	if (!CHECK(i == NPROG, "%s order: load %d programs", name, NPROG))
		goto out;

	l[0] = bpf_link_create(p[0], ifindex, type, NULL);
	if (!CHECK(l[0] >= 0, "%s order: first link", name))
		goto out;
	lid[0] = sup_link_id(l[0]);
	CHECK(sup_prog_query(ifindex, type, &q) == 0, "%s order: query", name);
	rev = q.revision;

	{
		/* Before program 0, named by its program fd. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE,
			    .tcx.relative_fd = p[0]);

		l[1] = bpf_link_create(p[1], ifindex, type, &opts);
		CHECK(l[1] >= 0, "%s order: BPF_F_BEFORE relative_fd=<prog 0> (%d)", name, l[1]);
		lid[1] = sup_link_id(l[1]);
		check_order(type, &q, want_order(pid, lid, (int[]){ 1, 0 }, 2), name);
		CHECK_EQ(q.revision, rev + 1, "%s order: revision went up by one", name);
	}
	{
		/* After link 0, named by its link id (BPF_F_ID from the library). */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_AFTER | BPF_F_LINK,
			    .tcx.relative_id = lid[0]);

		l[2] = bpf_link_create(p[2], ifindex, type, &opts);
		CHECK(l[2] >= 0, "%s order: BPF_F_AFTER relative_id=<link 0 id> (%d)", name, l[2]);
		lid[2] = sup_link_id(l[2]);
		check_order(type, &q, want_order(pid, lid, (int[]){ 1, 0, 2 }, 3), name);
	}
	{
		/* Before program 2, named by its program id. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE,
			    .tcx.relative_id = pid[2]);

		l[3] = bpf_link_create(p[3], ifindex, type, &opts);
		CHECK(l[3] >= 0, "%s order: BPF_F_BEFORE relative_id=<prog 2 id> (%d)", name, l[3]);
		lid[3] = sup_link_id(l[3]);
		check_order(type, &q, want_order(pid, lid, (int[]){ 1, 0, 3, 2 }, 4), name);
	}
	{
		/* After link 1, named by its link fd. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_AFTER | BPF_F_LINK,
			    .tcx.relative_fd = l[1], .tcx.expected_revision = q.revision);

		l[4] = bpf_link_create(p[4], ifindex, type, &opts);
		CHECK(l[4] >= 0,
		      "%s order: BPF_F_AFTER relative_fd=<link 1> at the current revision (%d)",
		      name, l[4]);
		lid[4] = sup_link_id(l[4]);
		check_order(type, &q, want_order(pid, lid, (int[]){ 1, 4, 0, 3, 2 }, 5), name);
		rev = q.revision;
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .tcx.expected_revision = rev - 1);

		CHECK_FD_ERR(bpf_link_create(p[5], ifindex, type, &opts), ESTALE,
			     "%s order: stale expected_revision", name);
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE,
			    .tcx.relative_fd = p[0], .tcx.relative_id = pid[0]);

		CHECK_FD_ERR(bpf_link_create(p[5], ifindex, type, &opts), EINVAL,
			     "%s order: relative_fd and relative_id both set", name);
	}
	{
		/* The anchor must be on this hook. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE,
			    .tcx.relative_fd = p[5]);

		CHECK_FD_ERR(bpf_link_create(p[5], ifindex, type, &opts), ENOENT,
			     "%s order: anchor not attached here (kernel)", name);
	}
	CHECK(sup_prog_query(ifindex, type, &q) == 0 && q.count == 5 && q.revision == rev,
	      "%s order: refused links changed nothing", name);
	{
		/* A program can only be attached once per hook. */
		LIBBPF_OPTS(bpf_link_create_opts, opts);

		CHECK_FD_ERR(bpf_link_create(p[0], ifindex, type, &opts), EEXIST,
			     "%s order: same program twice (kernel)", name);
	}

	/* Detaching from the middle keeps the others in order. */
	CHECK_EQ(bpf_link_detach(l[0]), 0, "%s order: detach link 0", name);
	check_order(type, &q, want_order(pid, lid, (int[]){ 1, 4, 3, 2 }, 4), name);
	CHECK_EQ(q.revision, rev + 1, "%s order: detach bumped the revision", name);
out:
	for (i = 0; i < NPROG; i++) {
		SUP_CLOSE(l[i]);
		SUP_CLOSE(p[i]);
	}
}

/* On lo, traffic from this process must run the linked program. */
static void test_effect(enum bpf_attach_type type, const char *name)
{
	int a = load_cls(), b = load_cls(), link = -1, lo = sup_ifindex("lo");
	__u64 runs_a, runs_b;

	if (!CHECK(a >= 0 && b >= 0 && lo > 0, "%s effect: programs and lo", name))
		goto out;
	link = bpf_link_create(a, lo, type, NULL);
	if (!CHECK(link >= 0, "%s effect: link on lo (%d)", name, link))
		goto out;
	runs_a = sup_prog_run_cnt(a);
	CHECK_EQ(sup_udp_ping_lo(), 0, "%s effect: send a datagram through lo", name);
	CHECK(sup_prog_run_cnt(a) > runs_a, "%s effect: the program ran", name);

	CHECK_EQ(bpf_link_update(link, b, NULL), 0, "%s effect: update to B", name);
	runs_a = sup_prog_run_cnt(a);
	runs_b = sup_prog_run_cnt(b);
	CHECK_EQ(sup_udp_ping_lo(), 0, "%s effect: send a datagram through lo", name);
	CHECK(sup_prog_run_cnt(b) > runs_b && sup_prog_run_cnt(a) == runs_a,
	      "%s effect: B runs now, A does not", name);

	CHECK_EQ(bpf_link_detach(link), 0, "%s effect: detach", name);
	runs_b = sup_prog_run_cnt(b);
	CHECK_EQ(sup_udp_ping_lo(), 0, "%s effect: send a datagram through lo", name);
	CHECK_EQ(sup_prog_run_cnt(b), runs_b, "%s effect: nothing runs after detach", name);
out:
	SUP_CLOSE(link);
	SUP_CLOSE(a);
	SUP_CLOSE(b);
}

/* Ingress and egress are separate hooks. */
static void test_directions(void)
{
	int prog = -1, in = -1, out = -1;
	struct sup_query qi, qe;

	prog = load_cls();
	if (!CHECK(prog >= 0, "directions: load program"))
		return;
	in = bpf_link_create(prog, ifindex, BPF_TCX_INGRESS, NULL);
	out = bpf_link_create(prog, ifindex, BPF_TCX_EGRESS, NULL);
	CHECK(in >= 0 && out >= 0, "directions: one program on both hooks (%d, %d)", in, out);
	CHECK(sup_prog_query(ifindex, BPF_TCX_INGRESS, &qi) == 0 &&
		      sup_prog_query(ifindex, BPF_TCX_EGRESS, &qe) == 0 && qi.count == 1 &&
		      qe.count == 1 && qi.link_ids[0] != qe.link_ids[0],
	      "directions: each hook has its own link");
	SUP_CLOSE(in);
	CHECK(sup_prog_query(ifindex, BPF_TCX_INGRESS, &qi) == 0 &&
		      sup_prog_query(ifindex, BPF_TCX_EGRESS, &qe) == 0 && qi.count == 0 &&
		      qe.count == 1,
	      "directions: closing the ingress link leaves egress");
	SUP_CLOSE(out);
	SUP_CLOSE(prog);
}

int main(void)
{
	int stats;

	sup_require_root();
	if (!sup_need("link_tcx", "tcx links (every case)"))
		return sup_done();
	if (!CHECK_EQ(sup_netns_enter(), 0, "private network namespace"))
		return sup_done();
	if (sup_need("veth", "tcx links on a veth device: info, order, directions") &&
	    CHECK_EQ(sup_veth_create("tcx0", "tcx1"), 0, "veth pair tcx0/tcx1")) {
		ifindex = sup_ifindex("tcx0");
		test_info(BPF_TCX_INGRESS, "ingress");
		test_info(BPF_TCX_EGRESS, "egress");
		test_order(BPF_TCX_INGRESS, "ingress");
		test_order(BPF_TCX_EGRESS, "egress");
		test_directions();
	}
	stats = sup_stats_enable();
	if (CHECK(stats >= 0, "enable program run statistics")) {
		test_effect(BPF_TCX_INGRESS, "ingress");
		test_effect(BPF_TCX_EGRESS, "egress");
	}
	SUP_CLOSE(stats);
	return sup_done();
}
