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
 *   dump_vals             iter/task: at the main thread of the client
 *                         (want_tgid, set by the client), one line per
 *                         element of the `vals` map, so the output is known
 *                         in advance whatever else runs on the machine
 *
 * Every program counts its runs in `counters`, so the clients can see that
 * the program behind a link really runs, and which one. Only program types
 * and iterator targets that load where bpf_map_elem iterators are refused
 * (docs/probes.md) are used here; check_preload.sh probes each.
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

/* Filled by the client (value = 10 * (key + 1)) and printed by dump_vals. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} vals SEC(".maps");

/* The client's process id, written into .bss by the client. */
__u32 want_tgid;

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

/* One "vals[key] = value" line. */
static __always_inline void print_val(struct seq_file *seq, __u32 key)
{
	__u32 *val = bpf_map_lookup_elem(&vals, &key);

	if (val)
		BPF_SEQ_PRINTF(seq, "vals[%u] = %u\n", key, *val);
}

SEC("iter/task")
int dump_vals(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	/* Called once more at the end without a task; and only the client's
	 * main thread prints, once. */
	if (!task || task->tgid != want_tgid || task->pid != task->tgid)
		return 0;
	print_val(seq, 0);
	print_val(seq, 1);
	print_val(seq, 2);
	print_val(seq, 3);
	return 0;
}
