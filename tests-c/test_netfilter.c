// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Netfilter links (BPF_NETFILTER) in a private network namespace: the
 * opts.netfilter hook description reaches the kernel intact (checked with
 * get_info and bpftool), hooks the kernel refuses, detach and update. A
 * datagram over lo shows the program running on LOCAL_OUT, and not after
 * detach.
 */
#include "support.h"

#include <limits.h>
#include <linux/netfilter.h>

#include <bpf/bpf.h>

static int load_nf(void)
{
	return sup_prog_load(BPF_PROG_TYPE_NETFILTER, BPF_NETFILTER, 1 /* NF_ACCEPT */);
}

/* One link on (pf, hooknum, priority): its info must echo them. */
static void test_hook(int prog, __u32 pf, __u32 hooknum, __s32 priority, const char *name)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .netfilter.pf = pf, .netfilter.hooknum = hooknum,
		    .netfilter.priority = priority);
	struct bpf_link_info info;
	char json[4096];
	int link;

	link = bpf_link_create(prog, 0, BPF_NETFILTER, &opts);
	if (!CHECK(link >= 3, "%s: bpf_link_create(BPF_NETFILTER) (%d)", name, link))
		return;
	CHECK(sup_fd_cloexec(link), "%s: link fd is close-on-exec", name);
	CHECK_EQ(sup_link_info(link, &info), 0, "%s: get_info", name);
	CHECK_EQ(info.type, BPF_LINK_TYPE_NETFILTER, "%s: type netfilter", name);
	CHECK_EQ(info.prog_id, sup_prog_id(prog), "%s: prog_id", name);
	CHECK_EQ(info.netfilter.pf, pf, "%s: netfilter.pf", name);
	CHECK_EQ(info.netfilter.hooknum, hooknum, "%s: netfilter.hooknum", name);
	CHECK_EQ(info.netfilter.priority, priority, "%s: netfilter.priority", name);
	CHECK_EQ(info.netfilter.flags, 0, "%s: netfilter.flags", name);
	/* Debian's bpftool 7.1 predates netfilter links: it shows the type
	 * as a number and no hook details. */
	if (sup_need("bpftool", "%s: bpftool sees the link", name))
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      (sup_json_has_str(json, "type", "netfilter") ||
			       sup_json_has_int(json, "type", BPF_LINK_TYPE_NETFILTER)) &&
			      sup_json_has_int(json, "prog_id", info.prog_id),
		      "%s: bpftool sees the link (%s)", name, json);
	close(link);
}

/* A datagram over lo in this netns passes IPv4 LOCAL_OUT. */
static void test_effect(int prog)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .netfilter.pf = NFPROTO_IPV4,
		    .netfilter.hooknum = NF_INET_LOCAL_OUT, .netfilter.priority = 10);
	int stats = sup_stats_enable(), link = -1;
	__u64 before;

	if (!CHECK(stats >= 0, "effect: enable program run statistics"))
		return;
	link = bpf_link_create(prog, 0, BPF_NETFILTER, &opts);
	if (CHECK(link >= 0, "effect: link on ipv4 local_out (%d)", link)) {
		before = sup_prog_run_cnt(prog);
		CHECK_EQ(sup_udp_ping_lo(), 0, "effect: send a datagram through lo");
		CHECK(sup_prog_run_cnt(prog) > before, "effect: the program ran");
		CHECK_EQ(bpf_link_detach(link), 0, "effect: detach");
		before = sup_prog_run_cnt(prog);
		CHECK_EQ(sup_udp_ping_lo(), 0, "effect: send a datagram through lo");
		CHECK_EQ(sup_prog_run_cnt(prog), before, "effect: nothing runs after detach");
	}
	SUP_CLOSE(link);
	SUP_CLOSE(stats);
}

static void test_refused(int prog)
{
	/* Hook descriptions the kernel refuses, and the errno it refuses with. */
	static const struct {
		__u32 pf, hooknum;
		__s32 priority;
		__u32 flags;
		int err;
		const char *what;
	} bad[] = {
		{ NFPROTO_IPV4, NF_INET_LOCAL_IN, INT_MIN, 0, ERANGE, "priority NF_IP_PRI_FIRST" },
		{ NFPROTO_IPV4, NF_INET_NUMHOOKS, 1, 0, EPROTO, "hooknum out of range" },
		{ NFPROTO_ARP, NF_INET_LOCAL_IN, 1, 0, EAFNOSUPPORT, "protocol family ARP" },
		{ NFPROTO_IPV4, NF_INET_LOCAL_IN, 1, 0x80, EOPNOTSUPP, "unknown netfilter flag" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .netfilter.pf = bad[i].pf,
			    .netfilter.hooknum = bad[i].hooknum,
			    .netfilter.priority = bad[i].priority, .netfilter.flags = bad[i].flags);

		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_NETFILTER, &opts), bad[i].err,
			     "refused: %s (kernel)", bad[i].what);
	}
	{
		/* Bytes past the netfilter member belong to no field of this
		 * attach type: the library refuses them itself. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .netfilter.pf = NFPROTO_IPV4,
			    .netfilter.hooknum = NF_INET_LOCAL_IN, .netfilter.priority = 1);

		opts.uprobe_multi.cookies = (const __u64 *)&opts;
		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_NETFILTER, &opts), EINVAL,
			     "refused: stray bytes after opts.netfilter");
	}
	{
		/* No options at all: pf 0 is not a family the kernel hooks. */
		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_NETFILTER, NULL), EAFNOSUPPORT,
			     "refused: NULL opts (kernel)");
	}
}

static void test_detach_update(int prog)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .netfilter.pf = NFPROTO_IPV6,
		    .netfilter.hooknum = NF_INET_PRE_ROUTING, .netfilter.priority = 5);
	struct bpf_link_info info;
	int prog2 = load_nf(), link;

	link = bpf_link_create(prog, 0, BPF_NETFILTER, &opts);
	if (!CHECK(link >= 0 && prog2 >= 0, "detach: link and a second program"))
		goto out;
	CHECK_ERR(bpf_link_update(link, prog2, NULL), EOPNOTSUPP,
		  "update: netfilter links cannot change program (kernel)");
	CHECK_EQ(bpf_link_detach(link), 0, "detach: bpf_link_detach");
	CHECK_EQ(sup_link_info(link, &info), 0, "detach: get_info still works");
	CHECK_EQ(info.type, BPF_LINK_TYPE_NETFILTER, "detach: type still netfilter");
out:
	SUP_CLOSE(link);
	SUP_CLOSE(prog2);
}

int main(void)
{
	int prog;

	sup_require_root();
	if (!sup_need("link_netfilter", "netfilter links (every case)"))
		return sup_done();
	if (!CHECK_EQ(sup_netns_enter(), 0, "private network namespace"))
		return sup_done();
	prog = load_nf();
	if (CHECK(prog >= 0, "load netfilter program")) {
		test_hook(prog, NFPROTO_IPV4, NF_INET_LOCAL_IN, -128, "ipv4 local_in");
		test_hook(prog, NFPROTO_IPV6, NF_INET_LOCAL_OUT, 100, "ipv6 local_out");
		test_hook(prog, NFPROTO_IPV4, NF_INET_POST_ROUTING, INT_MIN + 1,
			  "ipv4 post_routing");
		test_effect(prog);
		test_refused(prog);
		test_detach_update(prog);
		close(prog);
	}
	return sup_done();
}
