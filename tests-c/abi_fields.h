/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every field of the three opts structs (every member of every union
 * member included), each struct's size and alignment, its __last_field
 * macro, and the constants and types of libbpf.h that callers depend on.
 * Expanded by abi_table.c with ABI_STRUCT / ABI_FIELD / ABI_LAST / ABI_CONST
 * defined; no include guard on purpose.
 *
 * The members libbpf 1.8 added are listed under the same condition the
 * headers declare them under, so that a 1.7 view (libbpf 1.7.0's headers,
 * or ours after 1.7.0's libbpf_version.h) has exactly 1.7.0's rows.
 */
ABI_STRUCT(bpf_link_create_opts)
ABI_FIELD(bpf_link_create_opts, sz)
ABI_FIELD(bpf_link_create_opts, flags)
ABI_FIELD(bpf_link_create_opts, iter_info)
ABI_FIELD(bpf_link_create_opts, iter_info_len)
ABI_FIELD(bpf_link_create_opts, target_btf_id)
ABI_FIELD(bpf_link_create_opts, perf_event)
ABI_FIELD(bpf_link_create_opts, perf_event.bpf_cookie)
ABI_FIELD(bpf_link_create_opts, kprobe_multi)
ABI_FIELD(bpf_link_create_opts, kprobe_multi.flags)
ABI_FIELD(bpf_link_create_opts, kprobe_multi.cnt)
ABI_FIELD(bpf_link_create_opts, kprobe_multi.syms)
ABI_FIELD(bpf_link_create_opts, kprobe_multi.addrs)
ABI_FIELD(bpf_link_create_opts, kprobe_multi.cookies)
ABI_FIELD(bpf_link_create_opts, uprobe_multi)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.flags)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.cnt)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.path)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.offsets)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.ref_ctr_offsets)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.cookies)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.pid)
#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)
ABI_FIELD(bpf_link_create_opts, uprobe_multi.path_fd)
#endif
ABI_FIELD(bpf_link_create_opts, tracing)
ABI_FIELD(bpf_link_create_opts, tracing.cookie)
ABI_FIELD(bpf_link_create_opts, netfilter)
ABI_FIELD(bpf_link_create_opts, netfilter.pf)
ABI_FIELD(bpf_link_create_opts, netfilter.hooknum)
ABI_FIELD(bpf_link_create_opts, netfilter.priority)
ABI_FIELD(bpf_link_create_opts, netfilter.flags)
ABI_FIELD(bpf_link_create_opts, tcx)
ABI_FIELD(bpf_link_create_opts, tcx.relative_fd)
ABI_FIELD(bpf_link_create_opts, tcx.relative_id)
ABI_FIELD(bpf_link_create_opts, tcx.expected_revision)
ABI_FIELD(bpf_link_create_opts, netkit)
ABI_FIELD(bpf_link_create_opts, netkit.relative_fd)
ABI_FIELD(bpf_link_create_opts, netkit.relative_id)
ABI_FIELD(bpf_link_create_opts, netkit.expected_revision)
ABI_FIELD(bpf_link_create_opts, cgroup)
ABI_FIELD(bpf_link_create_opts, cgroup.relative_fd)
ABI_FIELD(bpf_link_create_opts, cgroup.relative_id)
ABI_FIELD(bpf_link_create_opts, cgroup.expected_revision)
#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)
ABI_FIELD(bpf_link_create_opts, tracing_multi)
ABI_FIELD(bpf_link_create_opts, tracing_multi.ids)
ABI_FIELD(bpf_link_create_opts, tracing_multi.cookies)
ABI_FIELD(bpf_link_create_opts, tracing_multi.cnt)
#endif
ABI_LAST(bpf_link_create_opts)

ABI_STRUCT(bpf_link_update_opts)
ABI_FIELD(bpf_link_update_opts, sz)
ABI_FIELD(bpf_link_update_opts, flags)
ABI_FIELD(bpf_link_update_opts, old_prog_fd)
ABI_FIELD(bpf_link_update_opts, old_map_fd)
ABI_LAST(bpf_link_update_opts)

ABI_STRUCT(bpf_get_fd_by_id_opts)
ABI_FIELD(bpf_get_fd_by_id_opts, sz)
ABI_FIELD(bpf_get_fd_by_id_opts, open_flags)
ABI_FIELD(bpf_get_fd_by_id_opts, token_fd)
ABI_LAST(bpf_get_fd_by_id_opts)

ABI_CONST(LIBBPF_WARN)
ABI_CONST(LIBBPF_INFO)
ABI_CONST(LIBBPF_DEBUG)
ABI_CONST(sizeof(enum libbpf_print_level))
ABI_CONST(sizeof(libbpf_print_fn_t))
ABI_CONST(LIBBPF_MAJOR_VERSION)
ABI_CONST(LIBBPF_MINOR_VERSION)
ABI_CONST(__LIBBPF_CURRENT_VERSION_GEQ(1, 7))
ABI_CONST(__LIBBPF_CURRENT_VERSION_GEQ(1, 8))
ABI_CONST(sizeof(struct bpf_link_info))
