//! Link information (`BPF_OBJ_GET_INFO_BY_FD` on a link) and link type names.

use core::ffi::{CStr, c_void};
use std::os::fd::RawFd;

use errno::Errno;

use crate::sys::{self, consts::link_type::*, info::bpf_link_info};

/// libbpf v1.7.0's name of each `enum bpf_link_type` value, by value.
const LINK_TYPE_NAMES: [&CStr; 15] = [
    c"unspec",
    c"raw_tracepoint",
    c"tracing",
    c"cgroup",
    c"iter",
    c"netns",
    c"xdp",
    c"perf_event",
    c"kprobe_multi",
    c"struct_ops",
    c"netfilter",
    c"tcx",
    c"uprobe_multi",
    c"netkit",
    c"sockmap",
];

/// The name libbpf gives a link type (`"cgroup"`, `"tcx"`, ...), or `None`
/// for a value libbpf v1.7.0 does not know.
pub fn link_type_str(t: u32) -> Option<&'static CStr> {
    LINK_TYPE_NAMES.get(t as usize).copied()
}

/// What the kernel reports about a link, with the per-type part decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkInfo {
    /// `enum bpf_link_type`.
    pub type_: u32,
    /// Link id (global on the system).
    pub id: u32,
    /// Id of the attached program (0 for struct_ops links).
    pub prog_id: u32,
    /// The raw answer, for fields not decoded here.
    pub raw: bpf_link_info,
}

/// The per-type part of [`LinkInfo`]. Buffers the kernel can fill (names,
/// paths, address arrays) are not requested; their lengths and counts are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    RawTracepoint {
        tp_name_len: u32,
        cookie: u64,
    },
    Tracing {
        attach_type: u32,
        target_obj_id: u32,
        target_btf_id: u32,
        cookie: u64,
    },
    Cgroup {
        cgroup_id: u64,
        attach_type: u32,
    },
    Iter {
        target_name_len: u32,
        map_id: u32,
    },
    Netns {
        netns_ino: u32,
        attach_type: u32,
    },
    Xdp {
        ifindex: u32,
    },
    StructOps {
        map_id: u32,
    },
    Netfilter {
        pf: u32,
        hooknum: u32,
        priority: i32,
        flags: u32,
    },
    KprobeMulti {
        count: u32,
        flags: u32,
        missed: u64,
    },
    UprobeMulti {
        path_size: u32,
        count: u32,
        flags: u32,
        pid: u32,
    },
    PerfEvent {
        perf_event_type: u32,
    },
    Tcx {
        ifindex: u32,
        attach_type: u32,
    },
    Netkit {
        ifindex: u32,
        attach_type: u32,
    },
    Sockmap {
        map_id: u32,
        attach_type: u32,
    },
    /// A type this crate does not decode; see [`LinkInfo::raw`].
    Other,
}

impl LinkInfo {
    /// The decoded per-type part.
    pub fn kind(&self) -> Kind {
        let r = &self.raw;
        match self.type_ {
            BPF_LINK_TYPE_RAW_TRACEPOINT => Kind::RawTracepoint {
                tp_name_len: r.u32_at(8),
                cookie: r.u64_at(16),
            },
            BPF_LINK_TYPE_TRACING => Kind::Tracing {
                attach_type: r.u32_at(0),
                target_obj_id: r.u32_at(4),
                target_btf_id: r.u32_at(8),
                cookie: r.u64_at(16),
            },
            BPF_LINK_TYPE_CGROUP => Kind::Cgroup {
                cgroup_id: r.u64_at(0),
                attach_type: r.u32_at(8),
            },
            BPF_LINK_TYPE_ITER => Kind::Iter {
                target_name_len: r.u32_at(8),
                map_id: r.u32_at(12),
            },
            BPF_LINK_TYPE_NETNS => Kind::Netns {
                netns_ino: r.u32_at(0),
                attach_type: r.u32_at(4),
            },
            BPF_LINK_TYPE_XDP => Kind::Xdp {
                ifindex: r.u32_at(0),
            },
            BPF_LINK_TYPE_STRUCT_OPS => Kind::StructOps {
                map_id: r.u32_at(0),
            },
            BPF_LINK_TYPE_NETFILTER => Kind::Netfilter {
                pf: r.u32_at(0),
                hooknum: r.u32_at(4),
                priority: r.u32_at(8) as i32,
                flags: r.u32_at(12),
            },
            BPF_LINK_TYPE_KPROBE_MULTI => Kind::KprobeMulti {
                count: r.u32_at(8),
                flags: r.u32_at(12),
                missed: r.u64_at(16),
            },
            BPF_LINK_TYPE_UPROBE_MULTI => Kind::UprobeMulti {
                path_size: r.u32_at(32),
                count: r.u32_at(36),
                flags: r.u32_at(40),
                pid: r.u32_at(44),
            },
            BPF_LINK_TYPE_PERF_EVENT => Kind::PerfEvent {
                perf_event_type: r.u32_at(0),
            },
            BPF_LINK_TYPE_TCX => Kind::Tcx {
                ifindex: r.u32_at(0),
                attach_type: r.u32_at(4),
            },
            BPF_LINK_TYPE_NETKIT => Kind::Netkit {
                ifindex: r.u32_at(0),
                attach_type: r.u32_at(4),
            },
            BPF_LINK_TYPE_SOCKMAP => Kind::Sockmap {
                map_id: r.u32_at(0),
                attach_type: r.u32_at(4),
            },
            _ => Kind::Other,
        }
    }
}

/// Asks the kernel about the link behind `link_fd` (`BPF_OBJ_GET_INFO_BY_FD`).
pub fn info(link_fd: RawFd) -> Result<LinkInfo, Errno> {
    let mut raw = bpf_link_info::default();
    let len = core::mem::size_of::<bpf_link_info>() as u32;
    // SAFETY: `raw` is writable for `len` bytes and all its pointer fields
    // are zero, so the kernel fills no other buffer.
    unsafe { sys::obj_get_info_by_fd(link_fd, &mut raw as *mut _ as *mut c_void, len)? };
    Ok(LinkInfo {
        type_: raw.type_,
        id: raw.id,
        prog_id: raw.prog_id,
        raw,
    })
}

/// `bpf_obj_get_info_by_fd` with the caller's buffer: on success `*len` is
/// set to the length the kernel wrote.
///
/// # Safety
/// `buf` must be NULL or writable for `*len` bytes, and every buffer
/// address inside it must be valid for the length stated beside it.
pub unsafe fn info_into(fd: RawFd, buf: *mut c_void, len: &mut u32) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    *len = unsafe { sys::obj_get_info_by_fd(fd, buf, *len)? };
    Ok(())
}
