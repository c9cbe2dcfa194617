// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Links on a network namespace fd: sk_lookup (several links per netns)
 * and flow dissector (one per netns), in a private namespace. The info
 * must name the namespace by inode; update and detach behave like the
 * other updatable links. A datagram over lo shows the sk_lookup program
 * running.
 */
#include "support.h"

#include <fcntl.h>

#include <bpf/bpf.h>

static void test_sk_lookup(int ns)
{
	int a = -1, b = -1, l1 = -1, l2 = -1;
	struct bpf_link_info info;
	struct sup_query q;
	__u64 ino = sup_netns_ino();
	char json[4096];
	__u32 id_a, id_b;

	a = sup_prog_load(BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, 1 /* SK_PASS */);
	b = sup_prog_load(BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, 1);
	if (!CHECK(a >= 0 && b >= 0 && ino, "sk_lookup: load programs, netns inode %llu",
		   (unsigned long long)ino))
		goto out;
	id_a = sup_prog_id(a);
	id_b = sup_prog_id(b);

	l1 = bpf_link_create(a, ns, BPF_SK_LOOKUP, NULL);
	if (!CHECK(l1 >= 3, "sk_lookup: bpf_link_create(netns fd, BPF_SK_LOOKUP) (%d)", l1))
		goto out;
	CHECK(sup_fd_cloexec(l1), "sk_lookup: link fd is close-on-exec");
	CHECK_EQ(sup_link_info(l1, &info), 0, "sk_lookup: get_info");
	CHECK_EQ(info.type, BPF_LINK_TYPE_NETNS, "sk_lookup: type netns");
	CHECK_EQ(info.prog_id, id_a, "sk_lookup: prog_id");
	CHECK_EQ(info.netns.netns_ino, ino, "sk_lookup: netns_ino is the namespace inode");
	CHECK_EQ(info.netns.attach_type, BPF_SK_LOOKUP, "sk_lookup: attach_type");
	if (sup_need("bpftool", "sk_lookup: bpftool reports type, prog_id and netns_ino"))
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      sup_json_has_str(json, "type", "netns") &&
			      sup_json_has_int(json, "prog_id", id_a) &&
			      sup_json_has_int(json, "netns_ino", ino),
		      "sk_lookup: bpftool reports type, prog_id and netns_ino (%s)", json);

	{
		/* A datagram to a local port makes the stack look up a socket. */
		int stats = sup_stats_enable();
		__u64 before = sup_prog_run_cnt(a);

		CHECK_EQ(sup_udp_ping_lo(), 0, "sk_lookup: send a datagram through lo");
		CHECK(stats >= 0 && sup_prog_run_cnt(a) > before, "sk_lookup: the program ran");
		SUP_CLOSE(stats);
	}

	l2 = bpf_link_create(b, ns, BPF_SK_LOOKUP, NULL);
	CHECK(l2 >= 0, "sk_lookup: second link on the same netns (%d)", l2);
	CHECK(sup_prog_query(ns, BPF_SK_LOOKUP, &q) == 0 && q.count == 2 && q.prog_ids[0] == id_a &&
		      q.prog_ids[1] == id_b,
	      "sk_lookup: BPF_PROG_QUERY on the netns lists both programs");

	CHECK_EQ(bpf_link_update(l1, b, NULL), 0, "sk_lookup: update to B");
	CHECK_EQ(sup_link_prog_id(l1), id_b, "sk_lookup: info shows B");
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE, .old_prog_fd = a);

		CHECK_ERR(bpf_link_update(l1, a, &opts), EPERM,
			  "sk_lookup: BPF_F_REPLACE with the wrong old program");
		LIBBPF_OPTS_RESET(opts, .flags = BPF_F_REPLACE, .old_prog_fd = b);
		CHECK_EQ(bpf_link_update(l1, a, &opts), 0, "sk_lookup: BPF_F_REPLACE old=B -> A");
		CHECK_EQ(sup_link_prog_id(l1), id_a, "sk_lookup: info shows A");
	}
	{
		/* A program of another type. */
		int xdp = sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2);

		CHECK_ERR(bpf_link_update(l1, xdp, NULL), EINVAL,
			  "sk_lookup: update to an XDP program (kernel)");
		SUP_CLOSE(xdp);
	}

	CHECK_EQ(bpf_link_detach(l1), 0, "sk_lookup: detach");
	CHECK_EQ(sup_link_info(l1, &info), 0, "sk_lookup: get_info after detach");
	CHECK_EQ(info.netns.netns_ino, 0, "sk_lookup: detached link reports netns_ino 0");
	CHECK_EQ(info.netns.attach_type, BPF_SK_LOOKUP, "sk_lookup: and keeps its attach_type");
	CHECK(sup_prog_query(ns, BPF_SK_LOOKUP, &q) == 0 && q.count == 1 && q.prog_ids[0] == id_b,
	      "sk_lookup: only the second link remains attached");
	CHECK_ERR(bpf_link_update(l1, b, NULL), ENOLINK, "sk_lookup: update after detach");
	CHECK_EQ(bpf_link_detach(l1), 0, "sk_lookup: second detach accepted");
out:
	SUP_CLOSE(l1);
	SUP_CLOSE(l2);
	SUP_CLOSE(a);
	SUP_CLOSE(b);
}

static void test_flow_dissector(int ns)
{
	int a = -1, b = -1, link = -1;
	struct bpf_link_info info;

	a = sup_prog_load(BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 0);
	b = sup_prog_load(BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 0);
	if (!CHECK(a >= 0 && b >= 0, "flow_dissector: load programs"))
		goto out;
	link = bpf_link_create(a, ns, BPF_FLOW_DISSECTOR, NULL);
	if (!CHECK(link >= 3, "flow_dissector: bpf_link_create(netns fd) (%d)", link))
		goto out;
	CHECK(sup_link_info(link, &info) == 0 && info.type == BPF_LINK_TYPE_NETNS &&
		      info.netns.netns_ino == sup_netns_ino() &&
		      info.netns.attach_type == BPF_FLOW_DISSECTOR &&
		      info.prog_id == sup_prog_id(a),
	      "flow_dissector: info type, netns_ino, attach_type and prog_id");
	CHECK_FD_ERR(bpf_link_create(b, ns, BPF_FLOW_DISSECTOR, NULL), E2BIG,
		     "flow_dissector: second link on the same netns (kernel)");
	CHECK_EQ(bpf_link_update(link, b, NULL), 0, "flow_dissector: update");
	CHECK_EQ(sup_link_prog_id(link), sup_prog_id(b),
		 "flow_dissector: info shows the new program");
	CHECK_EQ(bpf_link_detach(link), 0, "flow_dissector: detach");
out:
	SUP_CLOSE(link);
	SUP_CLOSE(a);
	SUP_CLOSE(b);
}

static void test_bad_target(int ns)
{
	int prog, devnull;

	prog = sup_prog_load(BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, 1);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (CHECK(prog >= 0 && devnull >= 0, "bad target: program and /dev/null")) {
		CHECK_FD_ERR(bpf_link_create(prog, devnull, BPF_SK_LOOKUP, NULL), EINVAL,
			     "bad target: /dev/null as netns fd (kernel)");
		CHECK_FD_ERR(bpf_link_create(prog, -1, BPF_SK_LOOKUP, NULL), EBADF,
			     "bad target: netns fd -1 (kernel)");
		{
			/* Only sz and flags may be set for this attach type; the
			 * library refuses the rest before the kernel, which would
			 * otherwise accept this link on a good netns fd. */
			LIBBPF_OPTS(bpf_link_create_opts, opts, .tcx.relative_fd = 1);

			CHECK_FD_ERR(bpf_link_create(prog, ns, BPF_SK_LOOKUP, &opts), EINVAL,
				     "opts: union field set for a netns attach type");
		}
	}
	SUP_CLOSE(devnull);
	SUP_CLOSE(prog);
}

int main(void)
{
	int ns;

	sup_require_root();
	if (sup_probe("link_sk_lookup") && sup_probe("link_flow_dissector")) {
		sup_need("link_sk_lookup", "sk_lookup links");
		sup_need("link_flow_dissector", "flow dissector links");
		return sup_done();
	}
	if (!CHECK_EQ(sup_netns_enter(), 0, "private network namespace"))
		return sup_done();
	ns = sup_netns_open();
	if (CHECK(ns >= 0, "open /proc/self/ns/net")) {
		/* An XDP program serves as a program of another type. */
		if (sup_need("link_sk_lookup,prog_xdp", "sk_lookup links"))
			test_sk_lookup(ns);
		if (sup_need("link_flow_dissector", "flow dissector links"))
			test_flow_dissector(ns);
		if (sup_need("link_sk_lookup", "bad netns targets"))
			test_bad_target(ns);
		close(ns);
	}
	return sup_done();
}
