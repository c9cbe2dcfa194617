// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An iterator for the skeleton path of tests-c/client_object.c: bpftool
 * turns this object into link_skel.skel.h, and the client attaches it with
 * link_skel__attach() (libbpf's auto-attach of SEC("iter/bpf_map") calls
 * bpf_program__attach_iter, hence bpf_link_create) and lets
 * link_skel__destroy() free the link (libbpf's bpf_object__detach_skeleton
 * calls bpf_link__destroy itself).
 *
 * It walks every map of the system but prints only the one whose id the
 * client stores in want_map_id, so its output does not depend on what else
 * runs on the machine.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u32 want_map_id;

SEC("iter/bpf_map")
int list_maps(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;

	if (!map || map->id != want_map_id)
		return 0;
	BPF_SEQ_PRINTF(seq, "map %s: max_entries %u\n", map->name, map->max_entries);
	return 0;
}
