// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cgroup links on a child cgroup v2: creation and what the kernel reports
 * about them (get_info, BPF_PROG_QUERY, bpftool), program replacement with
 * and without BPF_F_REPLACE, detaching (by call and by removing the
 * cgroup), and the ordering options (relative fd / id, expected revision)
 * of the multi-program cgroup hooks. A UDP round trip by a process inside
 * the cgroup, with program run counts, shows which program really runs.
 */
#include "support.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define INGRESS BPF_CGROUP_INET_INGRESS

static int load_skb(void)
{
	return sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, INGRESS, 1);
}

/* Program ids attached to the cgroup hook, in order, as a short string. */
static const char *order_of(int cg_fd, struct sup_query *q)
{
	static char buf[256];
	size_t n = 0;
	__u32 i;

	buf[0] = 0;
	if (sup_prog_query(cg_fd, INGRESS, q))
		return "query failed";
	for (i = 0; i < q->count && i < SUP_QUERY_MAX; i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%u", i ? "," : "", q->prog_ids[i]);
	return buf;
}

/* One case: the hook runs the programs in the order `want`. */
static void check_order(int cg_fd, struct sup_query *q, const char *want, const char *what)
{
	const char *got = order_of(cg_fd, q);

	CHECK(!strcmp(got, want), "%s: %s == %s", what, got, want);
}

static void test_create_and_info(void)
{
	struct sup_cgroup cg;
	struct bpf_link_info info, info2;
	struct sup_query q;
	int prog = -1, link = -1, link2 = -1, byid = -1;
	__u32 prog_id, len;
	char json[4096];
	const char *name;

	if (!CHECK(sup_cgroup_create(&cg, "info") == 0, "create: child cgroup"))
		return;
	prog = load_skb();
	if (!CHECK(prog >= 0, "create: load cgroup_skb program"))
		goto out;
	prog_id = sup_prog_id(prog);

	link = bpf_link_create(prog, cg.fd, INGRESS, NULL);
	if (!CHECK(link >= 3,
		   "create: bpf_link_create(cgroup, INET_INGRESS, NULL) gives an fd (%d)", link))
		goto out;
	CHECK(sup_fd_cloexec(link), "create: link fd is close-on-exec");

	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	CHECK_EQ(bpf_link_get_info_by_fd(link, &info, &len), 0, "info: get_info_by_fd succeeds");
	CHECK(len > 0 && len <= sizeof(info), "info: kernel wrote %u bytes", len);
	CHECK_EQ(info.type, BPF_LINK_TYPE_CGROUP, "info: type is cgroup");
	CHECK(info.id > 0, "info: link id assigned (%u)", info.id);
	CHECK_EQ(info.prog_id, prog_id, "info: prog_id is the program's id");
	CHECK_EQ(info.cgroup.cgroup_id, cg.id, "info: cgroup_id is the child cgroup's id");
	CHECK_EQ(info.cgroup.attach_type, INGRESS, "info: attach_type INET_INGRESS");
	name = libbpf_bpf_link_type_str(info.type);
	CHECK(name && !strcmp(name, "cgroup"), "info: libbpf_bpf_link_type_str says cgroup (%s)",
	      name ? name : "NULL");

	CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q), 0, "query: BPF_PROG_QUERY on the cgroup");
	CHECK(q.count == 1 && q.prog_ids[0] == prog_id, "query: the program is attached (%u progs)",
	      q.count);

	{
		__u64 before = sup_prog_run_cnt(prog);

		CHECK_EQ(sup_cgroup_udp_roundtrip(&cg), 0,
			 "effect: UDP round trip inside the cgroup");
		CHECK(sup_prog_run_cnt(prog) > before,
		      "effect: the program ran on ingress (%llu runs)",
		      (unsigned long long)sup_prog_run_cnt(prog));
	}

	if (sup_need("bpftool", "bpftool: link show id %u", info.id)) {
		CHECK_EQ(sup_bpftool_link(info.id, json, sizeof(json)), 0,
			 "bpftool: link show id %u", info.id);
		CHECK(sup_json_has_str(json, "type", "cgroup") &&
			      sup_json_has_int(json, "prog_id", prog_id) &&
			      sup_json_has_int(json, "cgroup_id", (long long)cg.id),
		      "bpftool: reports type, prog_id and cgroup_id (%s)", json);
	}

	/* A second fd for the same link, opened by id. */
	byid = bpf_link_get_fd_by_id(info.id);
	CHECK(byid >= 3 && sup_fd_cloexec(byid),
	      "by id: get_fd_by_id gives a close-on-exec fd (%d)", byid);
	CHECK(byid >= 0 && sup_link_info(byid, &info2) == 0 && info2.id == info.id &&
		      info2.prog_id == prog_id,
	      "by id: the fd refers to the same link");

	/* Empty options behave like NULL; cgroup hooks take several links. */
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts);

		link2 = bpf_link_create(prog, cg.fd, INGRESS, &opts);
		CHECK(link2 >= 3, "create: second link with empty LIBBPF_OPTS (%d)", link2);
		CHECK(sup_link_info(link2, &info2) == 0 && info2.id != info.id &&
			      info2.cgroup.cgroup_id == cg.id,
		      "create: second link is a distinct link on the same cgroup");
		CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q) == 0 ? q.count : 99, 2,
			 "query: two attachments");
	}

	/* Closing every fd of a link detaches it. */
	SUP_CLOSE(link);
	SUP_CLOSE(link2);
	CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q) == 0 ? q.count : 99, 1,
		 "close: the link held by the by-id fd stays attached");
	SUP_CLOSE(byid);
	CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q) == 0 ? q.count : 99, 0,
		 "close: nothing attached once the last fd is closed");
	{
		__u64 before = sup_prog_run_cnt(prog);

		CHECK_EQ(sup_cgroup_udp_roundtrip(&cg), 0, "effect: UDP round trip after close");
		CHECK_EQ(sup_prog_run_cnt(prog), before, "effect: the program no longer runs");
	}
out:
	SUP_CLOSE(byid);
	SUP_CLOSE(link2);
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	sup_cgroup_destroy(&cg);
}

static void test_update(void)
{
	int a = -1, b = -1, c = -1, xdp = -1, map = -1, link = -1;
	struct sup_cgroup cg;
	__u32 id_b, id_c;

	if (!CHECK(sup_cgroup_create(&cg, "update") == 0, "update: child cgroup"))
		return;
	a = load_skb();
	b = load_skb();
	c = load_skb();
	xdp = sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2);
	map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
	if (!CHECK(a >= 0 && b >= 0 && c >= 0 && xdp >= 0 && map >= 0,
		   "update: load three cgroup_skb programs, an XDP program and a map"))
		goto out;
	id_b = sup_prog_id(b);
	id_c = sup_prog_id(c);
	link = bpf_link_create(a, cg.fd, INGRESS, NULL);
	if (!CHECK(link >= 0, "update: create link with program A"))
		goto out;

	CHECK_EQ(bpf_link_update(link, b, NULL), 0, "update: plain update to B");
	CHECK_EQ(sup_link_prog_id(link), id_b, "update: info shows B");
	{
		__u64 runs_a = sup_prog_run_cnt(a), runs_b = sup_prog_run_cnt(b);

		CHECK_EQ(sup_cgroup_udp_roundtrip(&cg), 0,
			 "update: UDP round trip inside the cgroup");
		CHECK(sup_prog_run_cnt(b) > runs_b && sup_prog_run_cnt(a) == runs_a,
		      "update: B runs now, A does not");
	}

	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE, .old_prog_fd = b);

		CHECK_EQ(bpf_link_update(link, c, &opts), 0, "update: BPF_F_REPLACE old=B -> C");
		CHECK_EQ(sup_link_prog_id(link), id_c, "update: info shows C");
	}
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE, .old_prog_fd = a);

		CHECK_ERR(bpf_link_update(link, b, &opts), EPERM,
			  "update: BPF_F_REPLACE with the wrong old program");
		CHECK_EQ(sup_link_prog_id(link), id_c, "update: refused update left C");
	}
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE, .old_prog_fd = c,
			    .old_map_fd = map);

		CHECK_ERR(bpf_link_update(link, a, &opts), EINVAL,
			  "update: old_prog_fd and old_map_fd both set");
	}
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .old_prog_fd = c);

		CHECK_ERR(bpf_link_update(link, a, &opts), EINVAL,
			  "update: old_prog_fd without BPF_F_REPLACE (kernel)");
	}
	CHECK_ERR(bpf_link_update(link, xdp, NULL), EINVAL,
		  "update: program of another type (kernel)");
	CHECK_EQ(sup_link_prog_id(link), id_c, "update: refused updates left C");
out:
	SUP_CLOSE(link);
	SUP_CLOSE(a);
	SUP_CLOSE(b);
	SUP_CLOSE(c);
	SUP_CLOSE(xdp);
	SUP_CLOSE(map);
	sup_cgroup_destroy(&cg);
}

static void test_detach(void)
{
	struct bpf_link_info info;
	struct sup_cgroup cg;
	struct sup_query q;
	int prog = -1, prog2 = -1, link = -1;
	__u32 prog_id;

	if (!CHECK(sup_cgroup_create(&cg, "detach") == 0, "detach: child cgroup"))
		return;
	prog = load_skb();
	prog2 = load_skb();
	if (!CHECK(prog >= 0 && prog2 >= 0, "detach: load programs"))
		goto out;
	prog_id = sup_prog_id(prog);
	link = bpf_link_create(prog, cg.fd, INGRESS, NULL);
	if (!CHECK(link >= 0, "detach: create link"))
		goto out;

	CHECK_EQ(bpf_link_detach(link), 0, "detach: bpf_link_detach succeeds");
	CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q) == 0 ? q.count : 99, 0,
		 "detach: nothing attached to the cgroup any more");
	CHECK_EQ(sup_link_info(link, &info), 0, "detach: the fd still answers get_info");
	CHECK_EQ(info.type, BPF_LINK_TYPE_CGROUP, "detach: type still cgroup");
	CHECK_EQ(info.prog_id, prog_id, "detach: prog_id still reported");
	CHECK_EQ(info.cgroup.cgroup_id, 0, "detach: defunct link reports cgroup_id 0");
	CHECK_ERR(bpf_link_update(link, prog2, NULL), ENOLINK, "detach: update afterwards");
	{
		__u64 before = sup_prog_run_cnt(prog);

		CHECK_EQ(sup_cgroup_udp_roundtrip(&cg), 0,
			 "detach: UDP round trip inside the cgroup");
		CHECK_EQ(sup_prog_run_cnt(prog), before, "detach: the program no longer runs");
	}
	CHECK_EQ(bpf_link_detach(link), 0, "detach: detaching twice is accepted by the kernel");
	SUP_CLOSE(link);

	/* Removing the cgroup detaches its links too (asynchronously). */
	link = bpf_link_create(prog, cg.fd, INGRESS, NULL);
	if (CHECK(link >= 0, "rmdir: create link")) {
		int i;

		sup_cgroup_destroy(&cg);
		for (i = 0; i < 200; i++) {
			if (sup_link_info(link, &info) || info.cgroup.cgroup_id == 0)
				break;
			usleep(10000);
		}
		CHECK_EQ(info.cgroup.cgroup_id, 0,
			 "rmdir: link of a removed cgroup becomes defunct");
		CHECK_ERR(bpf_link_update(link, prog2, NULL), ENOLINK,
			  "rmdir: update of that link");
	}
out:
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
	sup_cgroup_destroy(&cg);
}

static void test_order(void)
{
	int p[5] = { -1, -1, -1, -1, -1 }, l[5] = { -1, -1, -1, -1, -1 };
	__u32 pid[5], lid0;
	struct bpf_link_info info;
	struct sup_cgroup cg;
	struct sup_query q;
	char want[128];
	__u64 rev;
	int i;

	if (!CHECK(sup_cgroup_create(&cg, "order") == 0, "order: child cgroup"))
		return;
	for (i = 0; i < 5; i++) {
		p[i] = load_skb();
		pid[i] = sup_prog_id(p[i]);
	}
	if (!CHECK(p[0] >= 0 && p[1] >= 0 && p[2] >= 0 && p[3] >= 0 && p[4] >= 0,
		   "order: load five programs"))
		goto out;

	l[0] = bpf_link_create(p[0], cg.fd, INGRESS, NULL);
	if (!CHECK(l[0] >= 0 && sup_link_info(l[0], &info) == 0, "order: first link"))
		goto out;
	lid0 = info.id;
	CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q), 0, "order: query the hook");
	rev = q.revision;
	if (!rev) {
		/* Kernels before 6.16 have no revisions and no ordering for
		 * cgroup hooks: then they must refuse the ordering flags. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE);

		printf("# kernel without cgroup ordering (no hook revision): "
		       "ordering cases not run\n");
		CHECK_FD_ERR(bpf_link_create(p[1], cg.fd, INGRESS, &opts), EINVAL,
			     "order: BPF_F_BEFORE refused by a kernel without cgroup ordering");
		goto out;
	}
	CHECK(rev > 0, "order: the kernel reports a hook revision (%llu)", (unsigned long long)rev);

	{
		/* Before link 0, named by its fd. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE | BPF_F_LINK,
			    .cgroup.relative_fd = l[0]);

		l[1] = bpf_link_create(p[1], cg.fd, INGRESS, &opts);
		CHECK(l[1] >= 0, "order: BPF_F_BEFORE relative_fd=<link 0> (%d)", l[1]);
		snprintf(want, sizeof(want), "%u,%u", pid[1], pid[0]);
		check_order(cg.fd, &q, want, "order: hook order");
		CHECK_EQ(q.revision, rev + 1, "order: revision went up by one");
	}
	{
		/* After link 0, named by its id: the library must add BPF_F_ID. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_AFTER | BPF_F_LINK,
			    .cgroup.relative_id = lid0);

		l[2] = bpf_link_create(p[2], cg.fd, INGRESS, &opts);
		CHECK(l[2] >= 0, "order: BPF_F_AFTER relative_id=<link 0 id> (%d)", l[2]);
		snprintf(want, sizeof(want), "%u,%u,%u", pid[1], pid[0], pid[2]);
		check_order(cg.fd, &q, want, "order: hook order");
	}
	{
		/* The kernel anchors a cgroup link only on another link: a
		 * program id (BPF_F_ID without BPF_F_LINK) is refused. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE,
			    .cgroup.relative_id = pid[2]);

		CHECK_FD_ERR(bpf_link_create(p[3], cg.fd, INGRESS, &opts), EINVAL,
			     "order: BPF_F_BEFORE relative_id=<program id> (kernel)");
	}
	{
		/* BPF_F_BEFORE without an anchor: first of all. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE);

		l[3] = bpf_link_create(p[3], cg.fd, INGRESS, &opts);
		CHECK(l[3] >= 0, "order: BPF_F_BEFORE without anchor (%d)", l[3]);
		snprintf(want, sizeof(want), "%u,%u,%u,%u", pid[3], pid[1], pid[0], pid[2]);
		check_order(cg.fd, &q, want, "order: hook order");
		rev = q.revision;
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .cgroup.expected_revision = rev - 1);

		CHECK_FD_ERR(bpf_link_create(p[4], cg.fd, INGRESS, &opts), ESTALE,
			     "order: stale expected_revision");
		CHECK_EQ(sup_prog_query(cg.fd, INGRESS, &q) == 0 ? q.count : 99, 4,
			 "order: refused link added nothing");
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .cgroup.expected_revision = rev);

		l[4] = bpf_link_create(p[4], cg.fd, INGRESS, &opts);
		CHECK(l[4] >= 0, "order: current expected_revision accepted (%d)", l[4]);
		snprintf(want, sizeof(want), "%u,%u,%u,%u,%u", pid[3], pid[1], pid[0], pid[2],
			 pid[4]);
		check_order(cg.fd, &q, want, "order: appended last");
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE,
			    .cgroup.relative_fd = p[0], .cgroup.relative_id = pid[0]);

		CHECK_FD_ERR(bpf_link_create(p[4], cg.fd, INGRESS, &opts), EINVAL,
			     "order: relative_fd and relative_id both set");
	}
	{
		/* An anchor that is not on this hook. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE | BPF_F_LINK,
			    .cgroup.relative_id = 0x7fffffff);

		CHECK_FD_ERR(bpf_link_create(p[4], cg.fd, INGRESS, &opts), ENOENT,
			     "order: relative_id of no link (kernel)");
	}
out:
	for (i = 0; i < 5; i++) {
		SUP_CLOSE(l[i]);
		SUP_CLOSE(p[i]);
	}
	sup_cgroup_destroy(&cg);
}

int main(void)
{
	int stats;

	sup_require_root();
	stats = sup_stats_enable();
	CHECK(stats >= 0, "enable program run statistics");
	if (sup_need("link_cgroup", "create: cgroup links, info and effect"))
		test_create_and_info();
	/* An XDP program serves as a program of another type. */
	if (sup_need("link_cgroup,prog_xdp", "update: program replacement"))
		test_update();
	if (sup_need("link_cgroup", "detach: by call and by rmdir"))
		test_detach();
	if (sup_need("link_cgroup", "order: ordering options"))
		test_order();
	SUP_CLOSE(stats);
	return sup_done();
}
