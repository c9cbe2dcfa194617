//! `repr(C)` mirrors of libbpf v1.7.0's link options structs.
//!
//! These definitions are the source of `include/bpf/bpf.h`: xtask/ runs
//! cbindgen over this file and prints the `bpf_link_create_opts_*` helper
//! types inline, as the anonymous union and structs libbpf declares, so C
//! code reads `opts.tcx.relative_fd` exactly as with libbpf. Rust code names
//! the union `u` (`opts.u.tcx.relative_fd`).
#![allow(non_camel_case_types)]

use core::ffi::{CStr, c_char, c_ulong};
use core::mem::{offset_of, size_of};

use super::OptsType;

/// `__u32` from `<linux/types.h>` (not emitted: the C header uses the kernel's).
pub type __u32 = u32;
/// `__u64` from `<linux/types.h>`.
pub type __u64 = u64;
/// `__s32` from `<linux/types.h>`.
pub type __s32 = i32;

/// `union bpf_iter_link_info` from `<linux/bpf.h>` (not emitted): what an
/// iterator link iterates over.
#[repr(C)]
#[derive(Clone, Copy)]
pub union bpf_iter_link_info {
    /// `map.map_fd`: the map a map-element iterator walks.
    pub map_fd: u32,
    /// `cgroup`: `{order, cgroup_fd, cgroup_id}`.
    pub cgroup: [u32; 4],
    /// `task`: `{tid, pid, pid_fd}`.
    pub task: [u32; 3],
    /// All 16 bytes, with the union's 8-byte alignment.
    pub raw: [u64; 2],
}

/// The `perf_event` member of the options union.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct bpf_link_create_opts_perf_event {
    /// Value the program reads with bpf_get_attach_cookie().
    pub bpf_cookie: __u64,
}

/// The `kprobe_multi` member of the options union (also used for
/// BPF_TRACE_KPROBE_SESSION).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bpf_link_create_opts_kprobe_multi {
    /// BPF_F_KPROBE_MULTI_RETURN to attach to function exits.
    pub flags: __u32,
    /// Number of entries in whichever of syms / addrs / cookies are given.
    pub cnt: __u32,
    /// Kernel symbol names to attach to (or NULL and use addrs).
    pub syms: *mut *const c_char,
    /// Kernel addresses to attach to (or NULL and use syms).
    pub addrs: *const c_ulong,
    /// Optional per-function cookies, cnt entries.
    pub cookies: *const __u64,
}

/// The `uprobe_multi` member of the options union (also used for
/// BPF_TRACE_UPROBE_SESSION).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bpf_link_create_opts_uprobe_multi {
    /// BPF_F_UPROBE_MULTI_RETURN to attach to function returns.
    pub flags: __u32,
    /// Number of entries in offsets, ref_ctr_offsets and cookies.
    pub cnt: __u32,
    /// Path of the executable or library to probe.
    pub path: *const c_char,
    /// File offsets of the probed instructions, cnt entries.
    pub offsets: *const c_ulong,
    /// Optional reference-counter (semaphore) offsets, cnt entries.
    pub ref_ctr_offsets: *const c_ulong,
    /// Optional per-probe cookies, cnt entries.
    pub cookies: *const __u64,
    /// Restrict the probes to this process id (0: every process).
    pub pid: __u32,
    /// With BPF_F_UPROBE_MULTI_PATH_FD in flags: an fd of the file to probe
    /// (path is then resolved relative to it, as openat() does).
    /// @since libbpf 1.8
    pub path_fd: __u32,
}

/// The `tracing_multi` member of the options union (BPF_TRACE_FENTRY_MULTI,
/// BPF_TRACE_FEXIT_MULTI and BPF_TRACE_FSESSION_MULTI).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bpf_link_create_opts_tracing_multi {
    /// BTF ids of the functions to attach to, cnt entries.
    pub ids: *const __u32,
    /// Optional per-function cookies, cnt entries.
    pub cookies: *const __u64,
    /// Number of entries in ids and cookies.
    pub cnt: __u32,
}

/// The `tracing` member of the options union (raw_tp, fentry, fexit,
/// fmod_ret, fsession and LSM attach types).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct bpf_link_create_opts_tracing {
    /// Value the program reads with bpf_get_attach_cookie().
    pub cookie: __u64,
}

/// The `netfilter` member of the options union.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct bpf_link_create_opts_netfilter {
    /// Protocol family (NFPROTO_IPV4, NFPROTO_IPV6).
    pub pf: __u32,
    /// Netfilter hook number (NF_INET_PRE_ROUTING, ...).
    pub hooknum: __u32,
    /// Position among the hook's functions; lower runs first.
    pub priority: __s32,
    /// BPF_F_NETFILTER_IP_DEFRAG to see defragmented packets.
    pub flags: __u32,
}

/// The `tcx`, `netkit` and `cgroup` members of the options union: where in
/// the hook's program list the new link goes.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct bpf_link_create_opts_relative {
    /// Anchor program or link given as an fd (with BPF_F_BEFORE / BPF_F_AFTER
    /// in flags); 0 for none. Exclusive with relative_id.
    pub relative_fd: __u32,
    /// Anchor given as a program or link id; the library then adds BPF_F_ID
    /// to the flags. Exclusive with relative_fd.
    pub relative_id: __u32,
    /// Fail with -ESTALE unless the hook's list is at this revision
    /// (0: do not check).
    pub expected_revision: __u64,
}

/// The attach-type specific part of bpf_link_create_opts; which member is
/// read depends on the attach type.
#[repr(C)]
#[derive(Clone, Copy)]
pub union bpf_link_create_opts_union {
    /// For BPF_PERF_EVENT.
    pub perf_event: bpf_link_create_opts_perf_event,
    /// For BPF_TRACE_KPROBE_MULTI and BPF_TRACE_KPROBE_SESSION.
    pub kprobe_multi: bpf_link_create_opts_kprobe_multi,
    /// For BPF_TRACE_UPROBE_MULTI and BPF_TRACE_UPROBE_SESSION.
    pub uprobe_multi: bpf_link_create_opts_uprobe_multi,
    /// For BPF_TRACE_RAW_TP, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT,
    /// BPF_MODIFY_RETURN, BPF_TRACE_FSESSION and BPF_LSM_MAC.
    pub tracing: bpf_link_create_opts_tracing,
    /// For BPF_NETFILTER.
    pub netfilter: bpf_link_create_opts_netfilter,
    /// For BPF_TCX_INGRESS and BPF_TCX_EGRESS.
    pub tcx: bpf_link_create_opts_relative,
    /// For BPF_NETKIT_PRIMARY and BPF_NETKIT_PEER.
    pub netkit: bpf_link_create_opts_relative,
    /// For the cgroup attach types (BPF_CGROUP_*, BPF_LSM_CGROUP).
    pub cgroup: bpf_link_create_opts_relative,
    /// For BPF_TRACE_FENTRY_MULTI, BPF_TRACE_FEXIT_MULTI and
    /// BPF_TRACE_FSESSION_MULTI.
    /// @since libbpf 1.8
    pub tracing_multi: bpf_link_create_opts_tracing_multi,
}

/// Options for bpf_link_create().
///
/// Declare it with LIBBPF_OPTS() so that @c sz is set and every other byte,
/// padding included, is zero; then set the fields the attach type needs.
/// Fields of the union that do not belong to the attach type must stay zero.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bpf_link_create_opts {
    /// Size of this struct as the caller was compiled with it; set it to
    /// sizeof(struct bpf_link_create_opts).
    pub sz: usize,
    /// Attach flags passed to the kernel (BPF_F_REPLACE, BPF_F_BEFORE,
    /// BPF_F_AFTER, ...).
    pub flags: __u32,
    /// For BPF_TRACE_ITER: what the iterator walks (a map, a cgroup, a task).
    pub iter_info: *mut bpf_iter_link_info,
    /// Size in bytes of *iter_info; 0 when iter_info is not used.
    pub iter_info_len: __u32,
    /// BTF type id of the attach target (freplace and tracing programs);
    /// when set, nothing of the union may be set.
    pub target_btf_id: __u32,
    /// The attach-type specific options.
    pub u: bpf_link_create_opts_union,
}

/// Options for bpf_link_update().
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bpf_link_update_opts {
    /// Size of this struct as the caller was compiled with it; set it to
    /// sizeof(struct bpf_link_update_opts).
    pub sz: usize,
    /// Update flags; BPF_F_REPLACE makes the update conditional on
    /// old_prog_fd (or old_map_fd).
    pub flags: __u32,
    /// With BPF_F_REPLACE: fd of the program expected to be attached now.
    /// Exclusive with old_map_fd.
    pub old_prog_fd: __u32,
    /// With BPF_F_REPLACE, for struct_ops links: fd of the map expected to be
    /// attached now. Exclusive with old_prog_fd.
    pub old_map_fd: __u32,
}

/// Options for bpf_link_get_fd_by_id_opts() and its program, map and BTF
/// siblings.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bpf_get_fd_by_id_opts {
    /// Size of this struct as the caller was compiled with it; set it to
    /// sizeof(struct bpf_get_fd_by_id_opts).
    pub sz: usize,
    /// Access requested for the new fd (BPF_F_RDONLY, BPF_F_WRONLY); the
    /// kernel accepts only 0 for links.
    pub open_flags: __u32,
    /// BPF token fd; accepted for links but not passed to the kernel.
    pub token_fd: __u32,
}

// bpf_link_create_opts and bpf_link_update_opts have no `Default`: they
// have padding, which libbpf's rule reads as bytes, and padding does not
// survive a move of a Rust value. Build them with `opts::Zeroed`.

impl Default for bpf_get_fd_by_id_opts {
    /// All fields zero and `sz` set (this struct has no padding on any
    /// platform, so a moved value is still all bytes zero).
    fn default() -> Self {
        Self {
            sz: size_of::<Self>(),
            open_flags: 0,
            token_fd: 0,
        }
    }
}

// SAFETY: repr(C), starts with `sz: usize`, integers and raw pointers only,
// 80 bytes.
unsafe impl OptsType for bpf_link_create_opts {
    const NAME: &'static CStr = c"bpf_link_create_opts";
    const KNOWN_END: usize = offset_of!(Self, u.uprobe_multi.path_fd) + size_of::<__u32>();
    const LAST_FIELD: &'static str = "uprobe_multi.path_fd";
    const LAST_FIELD_1_7: &'static str = "uprobe_multi.pid";
}

// SAFETY: repr(C), starts with `sz: usize`, integers only, 24 bytes.
unsafe impl OptsType for bpf_link_update_opts {
    const NAME: &'static CStr = c"bpf_link_update_opts";
    const KNOWN_END: usize = offset_of!(Self, old_map_fd) + size_of::<__u32>();
    const LAST_FIELD: &'static str = "old_map_fd";
}

// SAFETY: repr(C), starts with `sz: usize`, integers only, 16 bytes.
unsafe impl OptsType for bpf_get_fd_by_id_opts {
    const NAME: &'static CStr = c"bpf_get_fd_by_id_opts";
    const KNOWN_END: usize = offset_of!(Self, token_fd) + size_of::<__u32>();
    const LAST_FIELD: &'static str = "token_fd";
}

// libbpf's LP64 layout (1.8: path_fd fills 1.7.0's tail padding, so the
// size is the same).
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(size_of::<bpf_link_create_opts>() == 80);
    assert!(offset_of!(bpf_link_create_opts, flags) == 8);
    assert!(offset_of!(bpf_link_create_opts, iter_info) == 16);
    assert!(offset_of!(bpf_link_create_opts, iter_info_len) == 24);
    assert!(offset_of!(bpf_link_create_opts, target_btf_id) == 28);
    assert!(offset_of!(bpf_link_create_opts, u) == 32);
    assert!(offset_of!(bpf_link_create_opts, u.uprobe_multi.pid) == 72);
    assert!(offset_of!(bpf_link_create_opts, u.netfilter.flags) == 44);
    assert!(offset_of!(bpf_link_create_opts, u.tcx.expected_revision) == 40);
    assert!(offset_of!(bpf_link_create_opts, u.kprobe_multi.cookies) == 56);
    assert!(offset_of!(bpf_link_create_opts, u.uprobe_multi.path_fd) == 76);
    assert!(offset_of!(bpf_link_create_opts, u.tracing_multi.cookies) == 40);
    assert!(offset_of!(bpf_link_create_opts, u.tracing_multi.cnt) == 48);
    assert!(<bpf_link_create_opts as OptsType>::KNOWN_END == 80);
    assert!(size_of::<bpf_link_update_opts>() == 24);
    assert!(<bpf_link_update_opts as OptsType>::KNOWN_END == 20);
    assert!(size_of::<bpf_get_fd_by_id_opts>() == 16);
    assert!(<bpf_get_fd_by_id_opts as OptsType>::KNOWN_END == 16);
};
