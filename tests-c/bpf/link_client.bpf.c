// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF programs for the libbpf clients (tests-c/client_object.c and
 * tests/clients/libbpf-rs). Compiled by clang during the build; the clients
 * load this object with libbpf's own loader and attach it through libbpf's
 * attach API, so that libbpf, not the test, calls the link functions.
 *
 *   ingress_a, ingress_b  a cgroup_skb/ingress pair: a link is created with
 *                         the first and updated to the second
 *   xdp_pass              XDP on lo of a private netns
 *   dump_vals             iter/bpf_map_elem over the `vals` map: one line
 *                         per element, so the output is known in advance
 *
 * Every program counts its runs in `counters`, so the clients can see that
 * the program behind a link really runs, and which one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

enum { CNT_INGRESS_A, CNT_INGRESS_B, CNT_XDP, CNT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Filled by the client (value = 10 * (key + 1)) and walked by dump_vals. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} vals SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("cgroup_skb/ingress")
int ingress_a(struct __sk_buff *skb)
{
	count(CNT_INGRESS_A);
	return 1; /* let the packet through */
}

SEC("cgroup_skb/ingress")
int ingress_b(struct __sk_buff *skb)
{
	count(CNT_INGRESS_B);
	return 1;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	count(CNT_XDP);
	return XDP_PASS;
}

SEC("iter/bpf_map_elem")
int dump_vals(struct bpf_iter__bpf_map_elem *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	__u32 *key = ctx->key, *val = ctx->value;

	if (!key || !val) /* called once more at the end, without an element */
		return 0;
	BPF_SEQ_PRINTF(seq, "vals[%u] = %u\n", *key, *val);
	return 0;
}
