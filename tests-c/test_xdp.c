// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XDP links (target = ifindex, BPF_XDP) on "lo" and on a veth device, both
 * inside a private network namespace: creation, info, one link per
 * device, update, detach, and the XDP mode flags. Traffic through lo
 * with program run counts shows the program running, and not after
 * detach.
 */
#include "support.h"

#include <linux/if_link.h>

#include <bpf/bpf.h>

static int load_xdp(void)
{
	return sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2 /* XDP_PASS */);
}

/* The whole life of one XDP link on device `dev`. */
static void test_device(const char *dev)
{
	int a = -1, b = -1, link = -1, link2 = -1;
	struct bpf_link_info info;
	__u32 id_a, id_b;
	char json[4096];
	int ifindex;

	ifindex = sup_ifindex(dev);
	if (!CHECK(ifindex > 0, "%s: ifindex %d", dev, ifindex))
		return;
	a = load_xdp();
	b = load_xdp();
	if (!CHECK(a >= 0 && b >= 0, "%s: load two XDP programs", dev))
		goto out;
	id_a = sup_prog_id(a);
	id_b = sup_prog_id(b);

	link = bpf_link_create(a, ifindex, BPF_XDP, NULL);
	if (!CHECK(link >= 3, "%s: bpf_link_create(ifindex, BPF_XDP) (%d)", dev, link))
		goto out;
	CHECK(sup_fd_cloexec(link), "%s: link fd is close-on-exec", dev);
	CHECK_EQ(sup_link_info(link, &info), 0, "%s: get_info", dev);
	CHECK_EQ(info.type, BPF_LINK_TYPE_XDP, "%s: type xdp", dev);
	CHECK_EQ(info.prog_id, id_a, "%s: prog_id", dev);
	CHECK_EQ(info.xdp.ifindex, ifindex, "%s: xdp.ifindex", dev);
	/* Debian's bpftool 7.1 prints no ifindex for XDP links. */
	if (sup_need("bpftool", "%s: bpftool sees the link", dev)) {
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      sup_json_has_str(json, "type", "xdp") &&
			      sup_json_has_int(json, "prog_id", id_a),
		      "%s: bpftool sees the link (%s)", dev, json);
	}

	/* Traffic through lo must run the program; veth gets none here. */
	if (!strcmp(dev, "lo")) {
		__u64 before = sup_prog_run_cnt(a);

		CHECK_EQ(sup_udp_ping_lo(), 0, "%s: send a datagram through lo", dev);
		CHECK(sup_prog_run_cnt(a) > before, "%s: the program ran (%llu runs)", dev,
		      (unsigned long long)sup_prog_run_cnt(a));
	}

	/* A device has one XDP link per mode. */
	CHECK_FD_ERR(bpf_link_create(b, ifindex, BPF_XDP, NULL), EBUSY,
		     "%s: second link on the same device (kernel)", dev);

	CHECK_EQ(bpf_link_update(link, b, NULL), 0, "%s: update to B", dev);
	CHECK_EQ(sup_link_prog_id(link), id_b, "%s: info shows B", dev);
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE, .old_prog_fd = a);

		CHECK_ERR(bpf_link_update(link, a, &opts), EPERM,
			  "%s: BPF_F_REPLACE with the wrong old program", dev);
		LIBBPF_OPTS_RESET(opts, .flags = BPF_F_REPLACE, .old_prog_fd = b);
		CHECK_EQ(bpf_link_update(link, a, &opts), 0, "%s: BPF_F_REPLACE old=B -> A", dev);
		CHECK_EQ(sup_link_prog_id(link), id_a, "%s: info shows A", dev);
	}

	CHECK_EQ(bpf_link_detach(link), 0, "%s: detach", dev);
	CHECK_EQ(sup_link_info(link, &info), 0, "%s: get_info after detach", dev);
	CHECK_EQ(info.xdp.ifindex, 0, "%s: detached link reports ifindex 0", dev);
	CHECK_ERR(bpf_link_update(link, b, NULL), ENOLINK, "%s: update after detach", dev);
	if (!strcmp(dev, "lo")) {
		__u64 before = sup_prog_run_cnt(a);

		CHECK_EQ(sup_udp_ping_lo(), 0, "%s: send a datagram through lo", dev);
		CHECK_EQ(sup_prog_run_cnt(a), before, "%s: the detached program no longer runs",
			 dev);
	}

	/* The device is free again. */
	link2 = bpf_link_create(b, ifindex, BPF_XDP, NULL);
	CHECK(link2 >= 0, "%s: new link after detach (%d)", dev, link2);
	CHECK_EQ(sup_link_prog_id(link2), id_b, "%s: new link runs B", dev);
out:
	SUP_CLOSE(link2);
	SUP_CLOSE(link);
	SUP_CLOSE(a);
	SUP_CLOSE(b);
}

/* Mode flags go through opts.flags unchanged. */
static void test_modes(const char *dev)
{
	int prog = -1, skb = -1, drv = -1;
	struct bpf_link_info info;
	int ifindex = sup_ifindex(dev);

	prog = load_xdp();
	if (!CHECK(prog >= 0 && ifindex > 0, "modes %s: program and device", dev))
		goto out;
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_SKB_MODE);

		skb = bpf_link_create(prog, ifindex, BPF_XDP, &opts);
		CHECK(skb >= 0, "modes %s: generic (skb) mode link (%d)", dev, skb);
		CHECK(sup_link_info(skb, &info) == 0 && info.xdp.ifindex == (__u32)ifindex,
		      "modes %s: info of the generic link", dev);
	}
	{
		/* Generic and native XDP cannot be active at the same time. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);

		CHECK_FD_ERR(bpf_link_create(prog, ifindex, BPF_XDP, &opts), EEXIST,
			     "modes %s: native link beside a generic one (kernel)", dev);
	}
	SUP_CLOSE(skb);
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);

		drv = bpf_link_create(prog, ifindex, BPF_XDP, &opts);
		CHECK(drv >= 0, "modes %s: native (driver) mode link once generic is gone (%d)",
		      dev, drv);
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts,
			    .flags = XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE);

		CHECK_FD_ERR(bpf_link_create(prog, ifindex, BPF_XDP, &opts), EINVAL,
			     "modes %s: two modes at once (kernel)", dev);
	}
out:
	SUP_CLOSE(drv);
	SUP_CLOSE(skb);
	SUP_CLOSE(prog);
}

int main(void)
{
	int stats;

	sup_require_root();
	if (!sup_need("link_xdp", "XDP links (every case)"))
		return sup_done();
	if (!CHECK_EQ(sup_netns_enter(), 0, "private network namespace with lo up"))
		return sup_done();
	stats = sup_stats_enable();
	CHECK(stats >= 0, "enable program run statistics");
	test_device("lo");
	if (sup_need("veth", "XDP links on a veth device") &&
	    CHECK_EQ(sup_veth_create("bpfl0", "bpfl1"), 0, "veth pair bpfl0/bpfl1")) {
		test_device("bpfl0");
		test_modes("bpfl0");
	}
	SUP_CLOSE(stats);
	return sup_done();
}
