// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Programs for the link-object tests (tests-c/test_object.c and
 * tests-c/interop.c). The reference libbpf opens and loads this object
 * itself, so the tests hold real libbpf `struct bpf_program`s and real
 * libbpf-made link objects:
 *
 *   obj_ingress_a, obj_ingress_b  cgroup_skb/ingress programs: a cgroup link
 *                                 is switched between the two with
 *                                 bpf_link__update_program()
 *   obj_unloaded                  same type, but the tests turn its autoload
 *                                 off, so libbpf never gives it an fd
 *   obj_xdp                       a program the kernel refuses to put on a
 *                                 cgroup link (wrong type)
 *   obj_perf                      for bpf_program__attach_perf_event() on a
 *                                 software perf event (interop.c)
 *
 * They do nothing but return; what is tested is who holds them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup_skb/ingress")
int obj_ingress_a(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int obj_ingress_b(struct __sk_buff *skb)
{
	return 1;
}

SEC("cgroup_skb/ingress")
int obj_unloaded(struct __sk_buff *skb)
{
	return 1;
}

SEC("xdp")
int obj_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("perf_event")
int obj_perf(struct bpf_perf_event_data *ctx)
{
	return 0;
}
