//! One exactly sized `union bpf_attr` member per command.
//!
//! libbpf passes `offsetofend(union bpf_attr, <member>)` as the attr size, not
//! `sizeof(union bpf_attr)`; the kernel then treats every byte it knows beyond
//! that size as zero. Each struct here is that member, laid out as the uapi
//! header lays it out, and its size is asserted at compile time.
//!
//! Holes are explicit `_pad` fields: a Rust struct literal leaves implicit
//! padding undefined, and those bytes would reach the kernel (stale stack
//! bytes, or a field a newer kernel reads). `no_holes!` checks that every
//! struct's size is the sum of its fields.

use core::mem::{offset_of, size_of};

/// `link_create` member of `union bpf_attr` (`BPF_LINK_CREATE`), 64 bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateAttr {
    /// Program fd (or, for struct_ops, the map fd).
    pub prog_fd: u32,
    /// Target fd or ifindex; 0 for tracing attach types.
    pub target_fd: u32,
    /// `enum bpf_attach_type`.
    pub attach_type: u32,
    /// Attach flags (`BPF_F_*`).
    pub flags: u32,
    /// The attach-type specific tail.
    pub u: LinkCreateUnion,
}

/// The attach-type specific tail of [`LinkCreateAttr`], 48 bytes from attr
/// offset 16.
#[repr(C)]
#[derive(Clone, Copy)]
pub union LinkCreateUnion {
    /// All 48 bytes; the zero value of every variant.
    pub raw: [u64; 6],
    /// `target_btf_id` (freplace / tracing targets).
    pub target_btf_id: u32,
    /// `iter_info`, `iter_info_len`.
    pub iter: LinkCreateIter,
    /// `perf_event.bpf_cookie`.
    pub perf_event: LinkCreatePerfEvent,
    /// `kprobe_multi`.
    pub kprobe_multi: LinkCreateKprobeMulti,
    /// `tracing`.
    pub tracing: LinkCreateTracing,
    /// `netfilter`.
    pub netfilter: LinkCreateNetfilter,
    /// `tcx`, `netkit` and `cgroup` share this shape.
    pub relative: LinkCreateRelative,
    /// `uprobe_multi`.
    pub uprobe_multi: LinkCreateUprobeMulti,
    /// `tracing_multi`.
    pub tracing_multi: LinkCreateTracingMulti,
}

/// `link_create.iter_info*`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateIter {
    pub iter_info: u64,
    pub iter_info_len: u32,
    pub _pad: u32,
}

/// `link_create.perf_event`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreatePerfEvent {
    pub bpf_cookie: u64,
}

/// `link_create.kprobe_multi`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateKprobeMulti {
    pub flags: u32,
    pub cnt: u32,
    pub syms: u64,
    pub addrs: u64,
    pub cookies: u64,
}

/// `link_create.tracing`: the cookie sits after an overlaid `target_btf_id`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateTracing {
    pub target_btf_id: u32,
    pub _pad: u32,
    pub cookie: u64,
}

/// `link_create.netfilter`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateNetfilter {
    pub pf: u32,
    pub hooknum: u32,
    pub priority: i32,
    pub flags: u32,
}

/// `link_create.tcx` / `.netkit` / `.cgroup`: `relative_fd` and
/// `relative_id` share one slot, told apart by `BPF_F_ID`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateRelative {
    pub relative_fd_or_id: u32,
    pub _pad: u32,
    pub expected_revision: u64,
}

/// `link_create.uprobe_multi` (uapi order, which differs from the opts).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateUprobeMulti {
    pub path: u64,
    pub offsets: u64,
    pub ref_ctr_offsets: u64,
    pub cookies: u64,
    pub cnt: u32,
    pub flags: u32,
    pub pid: u32,
    /// An fd `path` is relative to (with `BPF_F_UPROBE_MULTI_PATH_FD`).
    pub path_fd: u32,
}

/// `link_create.tracing_multi` (libbpf 1.8).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct LinkCreateTracingMulti {
    pub ids: u64,
    pub cookies: u64,
    pub cnt: u32,
    pub _pad: u32,
}

impl LinkCreateAttr {
    /// An attr with every byte zero except the four leading fields.
    pub const fn new(prog_fd: u32, target_fd: u32, attach_type: u32, flags: u32) -> Self {
        Self {
            prog_fd,
            target_fd,
            attach_type,
            flags,
            u: LinkCreateUnion { raw: [0; 6] },
        }
    }

    /// The first `u32` of the tail, which the kernel reads as
    /// `target_btf_id` (libbpf's raw-tracepoint fallback looks at it).
    pub fn tail_first_u32(&self) -> u32 {
        // SAFETY: every variant of the union is plain integers, `raw` covers
        // all 48 bytes and is initialised by `new`, so any bit pattern read
        // through `raw` is a valid `u64`.
        let first = unsafe { self.u.raw[0] };
        // The kernel's u32 at offset 16 is the low-addressed half.
        first.to_ne_bytes()[..4]
            .try_into()
            .map(u32::from_ne_bytes)
            .unwrap_or(0)
    }
}

/// `link_detach` member: 4 bytes.
#[repr(C)]
pub struct LinkDetachAttr {
    pub link_fd: u32,
}

/// `link_update` member: 16 bytes.
#[repr(C)]
pub struct LinkUpdateAttr {
    pub link_fd: u32,
    /// `new_prog_fd`, or `new_map_fd` for struct_ops links.
    pub new_prog_fd: u32,
    pub flags: u32,
    /// `old_prog_fd`, or `old_map_fd` for struct_ops links.
    pub old_prog_fd: u32,
}

impl LinkUpdateAttr {
    /// An attr with no flags and no old program or map.
    pub const fn new(link_fd: u32, new_prog_fd: u32) -> Self {
        Self {
            link_fd,
            new_prog_fd,
            flags: 0,
            old_prog_fd: 0,
        }
    }
}

/// The `start_id`/`next_id`/`open_flags` members used by `*_GET_NEXT_ID`:
/// 12 bytes (`offsetofend(union bpf_attr, open_flags)`).
#[repr(C)]
pub struct GetNextIdAttr {
    pub start_id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

/// The `link_id`/`open_flags` members used by `BPF_LINK_GET_FD_BY_ID`:
/// 12 bytes, the same size libbpf passes.
#[repr(C)]
pub struct GetFdByIdAttr {
    pub link_id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

/// The `prog_id`/`open_flags` members used by `BPF_PROG_GET_FD_BY_ID`:
/// 12 bytes (`offsetofend(union bpf_attr, open_flags)`, what libbpf
/// v1.7.0's `bpf_prog_get_fd_by_id_opts` passes).
#[repr(C)]
pub struct ProgGetFdByIdAttr {
    pub prog_id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

/// `info` member (`BPF_OBJ_GET_INFO_BY_FD`): 16 bytes.
#[repr(C)]
pub struct InfoAttr {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

/// `BPF_OBJ_PIN` / `BPF_OBJ_GET` members up to `path_fd`: 20 bytes.
#[repr(C, packed(4))]
pub struct ObjAttr {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
    pub path_fd: i32,
}

/// `raw_tracepoint` member: 24 bytes.
#[repr(C)]
pub struct RawTracepointAttr {
    pub name: u64,
    pub prog_fd: u32,
    pub _pad: u32,
    pub cookie: u64,
}

/// `iter_create` member: 8 bytes.
#[repr(C)]
pub struct IterCreateAttr {
    pub link_fd: u32,
    pub flags: u32,
}

/// Asserts at compile time that a struct has no implicit padding.
macro_rules! no_holes {
    ($($t:ty { $($f:ident: $ft:ty),* })*) => {
        const _: () = { $(assert!(size_of::<$t>() == 0 $(+ size_of::<$ft>())*);)* };
    };
}

no_holes! {
    LinkCreateAttr { prog_fd: u32, target_fd: u32, attach_type: u32, flags: u32, u: [u64; 6] }
    LinkCreateIter { iter_info: u64, iter_info_len: u32, _pad: u32 }
    LinkCreatePerfEvent { bpf_cookie: u64 }
    LinkCreateKprobeMulti { flags: u32, cnt: u32, syms: u64, addrs: u64, cookies: u64 }
    LinkCreateTracing { target_btf_id: u32, _pad: u32, cookie: u64 }
    LinkCreateNetfilter { pf: u32, hooknum: u32, priority: i32, flags: u32 }
    LinkCreateRelative { relative_fd_or_id: u32, _pad: u32, expected_revision: u64 }
    LinkCreateUprobeMulti { path: u64, offsets: u64, ref_ctr_offsets: u64, cookies: u64,
                            cnt: u32, flags: u32, pid: u32, _pad: u32 }
    LinkDetachAttr { link_fd: u32 }
    LinkUpdateAttr { link_fd: u32, new_prog_fd: u32, flags: u32, old_prog_fd: u32 }
    GetNextIdAttr { start_id: u32, next_id: u32, open_flags: u32 }
    GetFdByIdAttr { link_id: u32, next_id: u32, open_flags: u32 }
    ProgGetFdByIdAttr { prog_id: u32, next_id: u32, open_flags: u32 }
    InfoAttr { bpf_fd: u32, info_len: u32, info: u64 }
    ObjAttr { pathname: u64, bpf_fd: u32, file_flags: u32, path_fd: i32 }
    RawTracepointAttr { name: u64, prog_fd: u32, _pad: u32, cookie: u64 }
    IterCreateAttr { link_fd: u32, flags: u32 }
}

// The sizes libbpf v1.7.0 passes for each command, and the uapi offsets.
const _: () = {
    assert!(size_of::<LinkCreateAttr>() == 64);
    assert!(offset_of!(LinkCreateAttr, u) == 16);
    assert!(offset_of!(LinkCreateTracing, cookie) == 8);
    assert!(size_of::<LinkCreateUnion>() == 48);
    assert!(offset_of!(LinkCreateRelative, expected_revision) == 8);
    assert!(offset_of!(LinkCreateIter, iter_info_len) == 8);
    assert!(offset_of!(LinkCreateKprobeMulti, cookies) == 24);
    assert!(offset_of!(LinkCreateNetfilter, flags) == 12);
    assert!(offset_of!(LinkCreateUprobeMulti, cnt) == 32);
    assert!(offset_of!(LinkCreateUprobeMulti, pid) == 40);
    assert!(size_of::<LinkDetachAttr>() == 4);
    assert!(size_of::<LinkUpdateAttr>() == 16);
    assert!(size_of::<GetNextIdAttr>() == 12);
    assert!(size_of::<GetFdByIdAttr>() == 12);
    assert!(size_of::<ProgGetFdByIdAttr>() == 12);
    assert!(size_of::<InfoAttr>() == 16);
    assert!(size_of::<ObjAttr>() == 20);
    assert!(size_of::<RawTracepointAttr>() == 24);
    assert!(size_of::<IterCreateAttr>() == 8);
};
