//! Link information (`BPF_OBJ_GET_INFO_BY_FD` on a link), link type and
//! attach type names.
//!
//! [`info`] asks once ([`LinkInfo::detail`] decodes the fixed-size part);
//! [`details`] also fetches what the kernel only copies into buffers the
//! caller provides (names, paths, address arrays), in a second call sized
//! by the first answer, as bpftool does, and returns it owned ([`Detail`]).

use core::ffi::{CStr, c_void};
use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use errno::Errno;

use crate::sys::{
    self,
    consts::{flags, link_type::*, perf_event::*},
    info::bpf_link_info,
};

/// libbpf 1.8's name of each `enum bpf_link_type` value, by value.
const LINK_TYPE_NAMES: [&CStr; 16] = [
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
    c"tracing_multi",
];

/// The name libbpf gives a link type (`"cgroup"`, `"tcx"`, ...), or `None`
/// for a value libbpf 1.8 does not know (1.7.0 stopped at 14, `sockmap`).
pub fn link_type_str(t: u32) -> Option<&'static CStr> {
    LINK_TYPE_NAMES.get(t as usize).copied()
}

/// libbpf v1.7.0's `attach_type_name` table (what
/// `libbpf_bpf_attach_type_str` and bpftool print), by `enum
/// bpf_attach_type` value.
const ATTACH_TYPE_NAMES: [&CStr; 62] = [
    c"cgroup_inet_ingress",
    c"cgroup_inet_egress",
    c"cgroup_inet_sock_create",
    c"cgroup_sock_ops",
    c"sk_skb_stream_parser",
    c"sk_skb_stream_verdict",
    c"cgroup_device",
    c"sk_msg_verdict",
    c"cgroup_inet4_bind",
    c"cgroup_inet6_bind",
    c"cgroup_inet4_connect",
    c"cgroup_inet6_connect",
    c"cgroup_inet4_post_bind",
    c"cgroup_inet6_post_bind",
    c"cgroup_udp4_sendmsg",
    c"cgroup_udp6_sendmsg",
    c"lirc_mode2",
    c"flow_dissector",
    c"cgroup_sysctl",
    c"cgroup_udp4_recvmsg",
    c"cgroup_udp6_recvmsg",
    c"cgroup_getsockopt",
    c"cgroup_setsockopt",
    c"trace_raw_tp",
    c"trace_fentry",
    c"trace_fexit",
    c"modify_return",
    c"lsm_mac",
    c"trace_iter",
    c"cgroup_inet4_getpeername",
    c"cgroup_inet6_getpeername",
    c"cgroup_inet4_getsockname",
    c"cgroup_inet6_getsockname",
    c"xdp_devmap",
    c"cgroup_inet_sock_release",
    c"xdp_cpumap",
    c"sk_lookup",
    c"xdp",
    c"sk_skb_verdict",
    c"sk_reuseport_select",
    c"sk_reuseport_select_or_migrate",
    c"perf_event",
    c"trace_kprobe_multi",
    c"lsm_cgroup",
    c"struct_ops",
    c"netfilter",
    c"tcx_ingress",
    c"tcx_egress",
    c"trace_uprobe_multi",
    c"cgroup_unix_connect",
    c"cgroup_unix_sendmsg",
    c"cgroup_unix_recvmsg",
    c"cgroup_unix_getpeername",
    c"cgroup_unix_getsockname",
    c"netkit_primary",
    c"netkit_peer",
    c"trace_kprobe_session",
    c"trace_uprobe_session",
    c"trace_fsession",
    c"trace_fentry_multi",
    c"trace_fexit_multi",
    c"trace_fsession_multi",
];

/// The name libbpf gives an attach type (`"cgroup_inet_ingress"`, `"xdp"`,
/// `"tcx_ingress"`, ...), or `None` for a value libbpf v1.7.0 does not know.
pub fn attach_type_str(t: u32) -> Option<&'static CStr> {
    ATTACH_TYPE_NAMES.get(t as usize).copied()
}

/// What the kernel reports about a link (one `BPF_OBJ_GET_INFO_BY_FD`,
/// no buffers); [`LinkInfo::detail`] decodes the per-type part.
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

impl LinkInfo {
    /// The per-type part, from this answer alone: names, paths and arrays,
    /// which need buffers, come out empty (see [`details`] for them).
    pub fn detail(&self) -> Detail {
        decode(&self.raw, None)
    }
}

/// Asks the kernel about `link` (`BPF_OBJ_GET_INFO_BY_FD`).
pub fn info(link: impl AsFd) -> Result<LinkInfo, Errno> {
    let mut raw = bpf_link_info::default();
    let len = core::mem::size_of::<bpf_link_info>() as u32;
    // SAFETY: `raw` is writable for `len` bytes and all its pointer fields
    // are zero, so the kernel fills no other buffer.
    unsafe {
        sys::obj_get_info_by_fd(
            link.as_fd().as_raw_fd(),
            &mut raw as *mut _ as *mut c_void,
            len,
        )?
    };
    Ok(LinkInfo {
        type_: raw.type_,
        id: raw.id,
        prog_id: raw.prog_id,
        raw,
    })
}

/// `BPF_OBJ_GET_INFO_BY_FD` on `fd` (any BPF object) with the caller's
/// buffer: on success `*len` is set to the length the kernel wrote.
///
/// # Safety
/// `buf` must be NULL or writable for `*len` bytes, and every buffer
/// address inside it must be valid for the length stated beside it.
pub unsafe fn info_into(fd: impl AsFd, buf: *mut c_void, len: &mut u32) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    unsafe { super::libbpf::info_into(fd.as_fd().as_raw_fd(), buf, len) }
}

/// Everything the kernel reports about a link, buffers included; see
/// [`details`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Details {
    /// `enum bpf_link_type`.
    pub type_: u32,
    /// Link id.
    pub id: u32,
    /// Id of the attached program (0 for struct_ops links).
    pub prog_id: u32,
    /// The per-type part.
    pub detail: Detail,
}

/// The per-type part of a link's information, with the contents of the
/// buffers the kernel fills on request (empty without them). Strings are cut at their NUL;
/// names are decoded as UTF-8 (invalid bytes replaced), paths kept as
/// bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Detail {
    RawTracepoint {
        tp_name: String,
        cookie: u64,
    },
    Tracing {
        attach_type: u32,
        /// Program id for freplace links, otherwise a BTF object id.
        target_obj_id: u32,
        target_btf_id: u32,
        cookie: u64,
    },
    Cgroup {
        /// 0 once the link is detached.
        cgroup_id: u64,
        attach_type: u32,
    },
    Iter {
        target_name: String,
        target: IterTarget,
    },
    Netns {
        /// 0 once the link is detached.
        netns_ino: u32,
        attach_type: u32,
    },
    Xdp {
        /// 0 once the link is detached.
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
        flags: u32,
        missed: u64,
        /// Zeros unless the caller may see kernel addresses.
        addrs: Vec<u64>,
        cookies: Vec<u64>,
    },
    UprobeMulti {
        path: PathBuf,
        flags: u32,
        /// 0 when the probes are not limited to one process.
        pid: u32,
        offsets: Vec<u64>,
        ref_ctr_offsets: Vec<u64>,
        cookies: Vec<u64>,
    },
    /// `BPF_LINK_TYPE_TRACING_MULTI` (libbpf 1.8's uapi): fentry / fexit /
    /// fsession programs on many functions at once.
    TracingMulti {
        attach_type: u32,
        /// The BTF object of the functions (0: vmlinux).
        btf_obj_id: u32,
        /// How many functions.
        count: u32,
        /// Their BTF ids, addresses (zeros unless the caller may see kernel
        /// addresses) and cookies, `count` of each once fetched.
        ids: Vec<u32>,
        addrs: Vec<u64>,
        cookies: Vec<u64>,
    },
    PerfEvent(PerfEvent),
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
    /// A type this crate does not decode.
    Other,
}

/// What an iterator link iterates over, read from the second part of
/// `bpf_link_info.iter` as its target name says (as bpftool reads it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IterTarget {
    /// `bpf_map_elem`, `bpf_sk_storage_map`: one map.
    Map { map_id: u32 },
    /// `task`, `task_file`, `task_vma`: 0, or one thread or process.
    Task { tid: u32, pid: u32 },
    /// `cgroup`: a start cgroup and an `enum bpf_cgroup_iter_order`.
    Cgroup { cgroup_id: u64, order: u32 },
    /// Any other target (`bpf_map`, `bpf_prog`, `tcp`, ...): nothing more.
    Other,
}

/// What a perf_event link is attached to (`bpf_link_info.perf_event`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PerfEvent {
    /// `BPF_PERF_EVENT_UPROBE` / `_URETPROBE`.
    Uprobe {
        retprobe: bool,
        file: PathBuf,
        offset: u32,
        cookie: u64,
        ref_ctr_offset: u64,
    },
    /// `BPF_PERF_EVENT_KPROBE` / `_KRETPROBE`.
    Kprobe {
        retprobe: bool,
        func: String,
        offset: u32,
        addr: u64,
        missed: u64,
        cookie: u64,
    },
    /// `BPF_PERF_EVENT_TRACEPOINT`.
    Tracepoint { name: String, cookie: u64 },
    /// `BPF_PERF_EVENT_EVENT`: a perf event (`perf_event_attr.type` and
    /// `.config`).
    Event {
        type_: u32,
        config: u64,
        cookie: u64,
    },
    /// Any other `enum bpf_perf_event_type` value (0 when the kernel does
    /// not say).
    Other(u32),
}

/// Size of the name and path buffers given to the kernel where it does not
/// report the length first: `PATH_MAX`, the longest it copies.
const NAME_MAX: u32 = libc::PATH_MAX as u32;

/// The second `BPF_OBJ_GET_INFO_BY_FD` request: the info to pass, with the
/// addresses and lengths of the buffers it owns written in.
#[derive(Debug)]
struct Request {
    raw: bpf_link_info,
    name: Vec<u8>,
    arrays: [Vec<u64>; 3],
    ids: Vec<u32>,
}

impl Request {
    fn new(type_: u32) -> Self {
        Self {
            raw: bpf_link_info {
                type_,
                ..Default::default()
            },
            name: Vec::new(),
            arrays: [Vec::new(), Vec::new(), Vec::new()],
            ids: Vec::new(),
        }
    }

    /// An array of `count` u32 ids, its address at `ptr_off` (none, and a
    /// zero address, when `count` is 0).
    fn ids(mut self, ptr_off: usize, count: u32) -> Self {
        if count > 0 {
            self.ids = vec![0; count as usize];
            self.raw
                .set_u64_at(ptr_off, self.ids.as_mut_ptr() as usize as u64);
        }
        self
    }

    /// A name buffer of `len` bytes (at least 1): its address at `ptr_off`
    /// and its length at `len_off` of the union.
    fn name(mut self, ptr_off: usize, len_off: usize, len: u32) -> Self {
        let len = len.max(1);
        self.name = vec![0; len as usize];
        self.raw
            .set_u64_at(ptr_off, self.name.as_mut_ptr() as usize as u64);
        self.raw.set_u32_at(len_off, len);
        self
    }

    /// Array `i` of `count` u64s, its address at `ptr_off` (no array, and a
    /// zero address, when `count` is 0).
    fn array(mut self, i: usize, ptr_off: usize, count: u32) -> Self {
        if count > 0 {
            self.arrays[i] = vec![0; count as usize];
            self.raw
                .set_u64_at(ptr_off, self.arrays[i].as_mut_ptr() as usize as u64);
        }
        self
    }

    /// Sets a plain `u32` input (a count).
    fn count(mut self, off: usize, v: u32) -> Self {
        self.raw.set_u32_at(off, v);
        self
    }
}

/// The second request for a link whose first answer was `first`, or `None`
/// when the first answer holds everything (no buffers to fill). Buffers
/// are sized by the lengths and counts in the first answer; names the
/// kernel does not measure first get `PATH_MAX` bytes.
fn request(first: &bpf_link_info) -> Option<Request> {
    let r = first;
    let req = Request::new(r.type_);
    Some(match r.type_ {
        BPF_LINK_TYPE_RAW_TRACEPOINT => req.name(0, 8, nonzero_or_max(r.u32_at(8))),
        BPF_LINK_TYPE_ITER => req.name(0, 8, nonzero_or_max(r.u32_at(8))),
        BPF_LINK_TYPE_KPROBE_MULTI => {
            let n = r.u32_at(8);
            if n == 0 {
                return None;
            }
            req.array(0, 0, n).array(1, 24, n).count(8, n)
        }
        BPF_LINK_TYPE_UPROBE_MULTI => {
            let n = r.u32_at(36);
            req.name(0, 32, NAME_MAX)
                .array(0, 8, n)
                .array(1, 16, n)
                .array(2, 24, n)
                .count(36, n)
        }
        BPF_LINK_TYPE_TRACING_MULTI => {
            let n = r.u32_at(4);
            if n == 0 {
                return None;
            }
            req.ids(16, n).array(0, 24, n).array(1, 32, n).count(4, n)
        }
        BPF_LINK_TYPE_PERF_EVENT => match r.u32_at(0) {
            BPF_PERF_EVENT_UPROBE
            | BPF_PERF_EVENT_URETPROBE
            | BPF_PERF_EVENT_KPROBE
            | BPF_PERF_EVENT_KRETPROBE
            | BPF_PERF_EVENT_TRACEPOINT => req.name(8, 16, NAME_MAX),
            _ => return None,
        },
        _ => return None,
    })
}

fn nonzero_or_max(len: u32) -> u32 {
    if len == 0 { NAME_MAX } else { len }
}

/// The bytes of a NUL-terminated string in `buf` (all of it when there is
/// no NUL).
fn until_nul(buf: &[u8]) -> &[u8] {
    buf.iter().position(|&b| b == 0).map_or(buf, |n| &buf[..n])
}

fn name_string(buf: &[u8]) -> String {
    String::from_utf8_lossy(until_nul(buf)).into_owned()
}

fn name_path(buf: &[u8]) -> PathBuf {
    PathBuf::from(OsString::from_vec(until_nul(buf).to_vec()))
}

/// Decodes an answer: `raw` is the last answer of the kernel, `bufs` the
/// request that answer filled (`None` when no buffers were given).
fn decode(raw: &bpf_link_info, bufs: Option<&Request>) -> Detail {
    let r = raw;
    let name: &[u8] = bufs.map_or(&[], |b| &b.name);
    let array = |i: usize| bufs.map_or_else(Vec::new, |b| b.arrays[i].clone());
    match r.type_ {
        BPF_LINK_TYPE_RAW_TRACEPOINT => Detail::RawTracepoint {
            tp_name: name_string(name),
            cookie: r.u64_at(16),
        },
        BPF_LINK_TYPE_TRACING => Detail::Tracing {
            attach_type: r.u32_at(0),
            target_obj_id: r.u32_at(4),
            target_btf_id: r.u32_at(8),
            cookie: r.u64_at(16),
        },
        BPF_LINK_TYPE_CGROUP => Detail::Cgroup {
            cgroup_id: r.u64_at(0),
            attach_type: r.u32_at(8),
        },
        BPF_LINK_TYPE_ITER => {
            let target_name = name_string(name);
            let target = match target_name.as_str() {
                "bpf_map_elem" | "bpf_sk_storage_map" => IterTarget::Map {
                    map_id: r.u32_at(12),
                },
                "task" | "task_file" | "task_vma" => IterTarget::Task {
                    tid: r.u32_at(16),
                    pid: r.u32_at(20),
                },
                "cgroup" => IterTarget::Cgroup {
                    cgroup_id: r.u64_at(16),
                    order: r.u32_at(24),
                },
                _ => IterTarget::Other,
            };
            Detail::Iter {
                target_name,
                target,
            }
        }
        BPF_LINK_TYPE_NETNS => Detail::Netns {
            netns_ino: r.u32_at(0),
            attach_type: r.u32_at(4),
        },
        BPF_LINK_TYPE_XDP => Detail::Xdp {
            ifindex: r.u32_at(0),
        },
        BPF_LINK_TYPE_STRUCT_OPS => Detail::StructOps {
            map_id: r.u32_at(0),
        },
        BPF_LINK_TYPE_NETFILTER => Detail::Netfilter {
            pf: r.u32_at(0),
            hooknum: r.u32_at(4),
            priority: r.u32_at(8) as i32,
            flags: r.u32_at(12),
        },
        BPF_LINK_TYPE_KPROBE_MULTI => Detail::KprobeMulti {
            flags: r.u32_at(12),
            missed: r.u64_at(16),
            addrs: array(0),
            cookies: array(1),
        },
        BPF_LINK_TYPE_UPROBE_MULTI => Detail::UprobeMulti {
            path: name_path(name),
            flags: r.u32_at(40),
            pid: r.u32_at(44),
            offsets: array(0),
            ref_ctr_offsets: array(1),
            cookies: array(2),
        },
        BPF_LINK_TYPE_TRACING_MULTI => Detail::TracingMulti {
            attach_type: r.u32_at(0),
            btf_obj_id: r.u32_at(8),
            count: r.u32_at(4),
            ids: bufs.map_or_else(Vec::new, |b| b.ids.clone()),
            addrs: array(0),
            cookies: array(1),
        },
        BPF_LINK_TYPE_PERF_EVENT => Detail::PerfEvent(match r.u32_at(0) {
            t @ (BPF_PERF_EVENT_UPROBE | BPF_PERF_EVENT_URETPROBE) => PerfEvent::Uprobe {
                retprobe: t == BPF_PERF_EVENT_URETPROBE,
                file: name_path(name),
                offset: r.u32_at(20),
                cookie: r.u64_at(24),
                ref_ctr_offset: r.u64_at(32),
            },
            t @ (BPF_PERF_EVENT_KPROBE | BPF_PERF_EVENT_KRETPROBE) => PerfEvent::Kprobe {
                retprobe: t == BPF_PERF_EVENT_KRETPROBE,
                func: name_string(name),
                offset: r.u32_at(20),
                addr: r.u64_at(24),
                missed: r.u64_at(32),
                cookie: r.u64_at(40),
            },
            BPF_PERF_EVENT_TRACEPOINT => PerfEvent::Tracepoint {
                name: name_string(name),
                cookie: r.u64_at(24),
            },
            BPF_PERF_EVENT_EVENT => PerfEvent::Event {
                config: r.u64_at(8),
                type_: r.u32_at(16),
                cookie: r.u64_at(24),
            },
            t => PerfEvent::Other(t),
        }),
        BPF_LINK_TYPE_TCX => Detail::Tcx {
            ifindex: r.u32_at(0),
            attach_type: r.u32_at(4),
        },
        BPF_LINK_TYPE_NETKIT => Detail::Netkit {
            ifindex: r.u32_at(0),
            attach_type: r.u32_at(4),
        },
        BPF_LINK_TYPE_SOCKMAP => Detail::Sockmap {
            map_id: r.u32_at(0),
            attach_type: r.u32_at(4),
        },
        _ => Detail::Other,
    }
}

/// Asks the kernel about the link behind `link_fd`, buffers included:
/// raw tracepoint and iterator target names, uprobe_multi paths, offsets,
/// reference counter offsets and cookies, kprobe_multi addresses and
/// cookies, perf_event file, function and tracepoint names.
///
/// Two `BPF_OBJ_GET_INFO_BY_FD` calls for link types with buffers (the
/// first gives their sizes), one for the others. Errors are the kernel's:
/// `EBADF`/`EBADFD` for a bad fd, `EINVAL` for an fd that is not a BPF
/// object, `ENOSPC` if a buffer proved too short.
pub fn details(link: impl AsFd) -> Result<Details, Errno> {
    let link_fd = link.as_fd().as_raw_fd();
    let first = info(link.as_fd())?;
    let mut req = request(&first.raw);
    let raw = match req.as_mut() {
        None => first.raw,
        Some(req) => {
            let len = core::mem::size_of::<bpf_link_info>() as u32;
            // SAFETY: `req.raw` is writable for `len` bytes. Every address
            // in it points into a buffer owned by `req` (allocated by
            // `request`, not resized or moved since: moving a Vec does not
            // move its heap storage), with the length or count stated
            // beside it, and `req` outlives the call.
            unsafe {
                sys::obj_get_info_by_fd(link_fd, &mut req.raw as *mut _ as *mut c_void, len)?
            };
            req.raw
        }
    };
    Ok(Details {
        type_: raw.type_,
        id: raw.id,
        prog_id: raw.prog_id,
        detail: decode(&raw, req.as_ref()),
    })
}

impl Detail {
    /// Whether a kprobe_multi / uprobe_multi link or a perf_event probe
    /// fires on return.
    pub fn retprobe(&self) -> bool {
        match self {
            Detail::KprobeMulti { flags, .. } => flags & flags::BPF_F_KPROBE_MULTI_RETURN != 0,
            Detail::UprobeMulti { flags, .. } => flags & flags::BPF_F_UPROBE_MULTI_RETURN != 0,
            Detail::PerfEvent(PerfEvent::Uprobe { retprobe, .. })
            | Detail::PerfEvent(PerfEvent::Kprobe { retprobe, .. }) => *retprobe,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(type_: u32) -> bpf_link_info {
        bpf_link_info {
            type_,
            id: 7,
            prog_id: 9,
            ..Default::default()
        }
    }

    /// The buffer at `ptr_off` of a request is `buf`, and `len_off` holds
    /// its length.
    fn points_to<T>(r: &Request, ptr_off: usize, buf: &[T]) -> bool {
        r.raw.u64_at(ptr_off) == buf.as_ptr() as usize as u64
    }

    #[test]
    fn attach_type_names_are_libbpfs() {
        use crate::sys::consts::attach::*;
        assert_eq!(
            attach_type_str(BPF_CGROUP_INET_INGRESS).unwrap(),
            c"cgroup_inet_ingress"
        );
        assert_eq!(attach_type_str(BPF_XDP).unwrap(), c"xdp");
        assert_eq!(attach_type_str(BPF_TCX_INGRESS).unwrap(), c"tcx_ingress");
        assert_eq!(attach_type_str(BPF_SK_LOOKUP).unwrap(), c"sk_lookup");
        assert_eq!(
            attach_type_str(BPF_TRACE_FSESSION).unwrap(),
            c"trace_fsession"
        );
        assert_eq!(
            attach_type_str(BPF_TRACE_FSESSION_MULTI).unwrap(),
            c"trace_fsession_multi"
        );
        assert_eq!(attach_type_str(BPF_TRACE_FSESSION_MULTI + 1), None);
        assert_eq!(attach_type_str(u32::MAX), None);
    }

    /// Every entry of libbpf v1.7.0's `attach_type_name` table, read from
    /// its source when `make setup` has put it in `.deps/`, by enum value
    /// (the enum read from the uapi header shipped with it); after them come
    /// exactly libbpf 1.8's three `*_multi` tracing types.
    #[test]
    fn attach_type_table_matches_libbpf_source() {
        let root = env!("CARGO_MANIFEST_DIR");
        let (Ok(src), Ok(uapi)) = (
            std::fs::read_to_string(format!("{root}/.deps/libbpf-1.7.0/src/libbpf.c")),
            std::fs::read_to_string(format!("{root}/.deps/libbpf-1.7.0/uapi/linux/bpf.h")),
        ) else {
            println!("note: .deps/libbpf-1.7.0 not set up (make setup); table not compared");
            return;
        };
        // enum bpf_attach_type: implicit values counting from 0.
        let start = uapi.find("enum bpf_attach_type {").unwrap();
        let body = &uapi[start..start + uapi[start..].find("};").unwrap()];
        let mut value = std::collections::HashMap::new();
        let mut next = 0u32;
        for line in body.lines().skip(1) {
            let name = line.trim().trim_end_matches(',');
            if name.starts_with("BPF_") && !name.contains(' ') {
                if name != "__MAX_BPF_ATTACH_TYPE" {
                    value.insert(name.to_string(), next);
                }
                next += 1;
            }
        }
        let start = src.find("attach_type_name[] = {").unwrap();
        let body = &src[start..start + src[start..].find("};").unwrap()];
        let mut seen = 0;
        for line in body.lines().skip(1) {
            // [BPF_XDP] = "xdp",
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let k = k.trim().trim_start_matches('[').trim_end_matches(']');
            let v = v.trim().trim_end_matches(',').trim_matches('"');
            let n = value[k];
            assert_eq!(
                attach_type_str(n).unwrap().to_str().unwrap(),
                v,
                "{k} = {n}"
            );
            seen += 1;
        }
        assert_eq!(seen, 59, "every 1.7.0 value named");
        assert_eq!(
            ATTACH_TYPE_NAMES[59..],
            [
                c"trace_fentry_multi",
                c"trace_fexit_multi",
                c"trace_fsession_multi"
            ],
            "and 1.8's after them, none extra"
        );
    }

    #[test]
    fn types_without_buffers_need_one_call() {
        for t in [
            BPF_LINK_TYPE_TRACING,
            BPF_LINK_TYPE_CGROUP,
            BPF_LINK_TYPE_NETNS,
            BPF_LINK_TYPE_XDP,
            BPF_LINK_TYPE_STRUCT_OPS,
            BPF_LINK_TYPE_NETFILTER,
            BPF_LINK_TYPE_TCX,
            BPF_LINK_TYPE_NETKIT,
            BPF_LINK_TYPE_SOCKMAP,
            99,
        ] {
            assert!(request(&raw(t)).is_none(), "type {t}");
        }
        // perf_event links of the event kind have no name either.
        let mut r = raw(BPF_LINK_TYPE_PERF_EVENT);
        r.set_u32_at(0, BPF_PERF_EVENT_EVENT);
        assert!(request(&r).is_none());
        // Nor a kprobe_multi link that reports no functions.
        assert!(request(&raw(BPF_LINK_TYPE_KPROBE_MULTI)).is_none());
    }

    #[test]
    fn name_buffers_are_sized_by_the_first_answer() {
        for t in [BPF_LINK_TYPE_RAW_TRACEPOINT, BPF_LINK_TYPE_ITER] {
            let mut r = raw(t);
            r.set_u32_at(8, 10);
            let q = request(&r).unwrap();
            assert_eq!(q.name.len(), 10);
            assert!(points_to(&q, 0, &q.name));
            assert_eq!(q.raw.u32_at(8), 10);
            assert_eq!(q.raw.type_, t);
            // A kernel that did not measure the name: PATH_MAX.
            let q = request(&raw(t)).unwrap();
            assert_eq!(q.name.len(), 4096);
            assert_eq!(q.raw.u32_at(8), 4096);
        }
    }

    #[test]
    fn uprobe_multi_request_has_path_and_three_arrays() {
        let mut r = raw(BPF_LINK_TYPE_UPROBE_MULTI);
        r.set_u32_at(32, 20); // path_size
        r.set_u32_at(36, 3); // count
        let q = request(&r).unwrap();
        assert!(points_to(&q, 0, &q.name));
        assert_eq!(q.raw.u32_at(32), 4096);
        for (i, off) in [(0, 8), (1, 16), (2, 24)] {
            assert_eq!(q.arrays[i].len(), 3);
            assert!(points_to(&q, off, &q.arrays[i]));
        }
        assert_eq!(q.raw.u32_at(36), 3);
        // No probes: the path only, no array addresses.
        r.set_u32_at(36, 0);
        let q = request(&r).unwrap();
        assert_eq!(
            [q.raw.u64_at(8), q.raw.u64_at(16), q.raw.u64_at(24)],
            [0, 0, 0]
        );
        assert_eq!(q.raw.u32_at(36), 0);
    }

    #[test]
    fn kprobe_multi_request_has_addrs_and_cookies() {
        let mut r = raw(BPF_LINK_TYPE_KPROBE_MULTI);
        r.set_u32_at(8, 2);
        let q = request(&r).unwrap();
        assert!(points_to(&q, 0, &q.arrays[0]));
        assert!(points_to(&q, 24, &q.arrays[1]));
        assert_eq!(q.raw.u32_at(8), 2);
        assert_eq!((q.arrays[0].len(), q.arrays[1].len()), (2, 2));
    }

    /// `bpf_link_info.tracing_multi` (libbpf 1.8's uapi): count in and
    /// out at 4, the u32 ids at 16, addresses at 24, cookies at 32.
    #[test]
    fn tracing_multi_request_has_ids_addrs_and_cookies() {
        let mut r = raw(BPF_LINK_TYPE_TRACING_MULTI);
        r.set_u32_at(4, 3);
        let q = request(&r).unwrap();
        assert!(points_to(&q, 16, &q.ids));
        assert!(points_to(&q, 24, &q.arrays[0]));
        assert!(points_to(&q, 32, &q.arrays[1]));
        assert_eq!(q.raw.u32_at(4), 3);
        assert_eq!(
            (q.ids.len(), q.arrays[0].len(), q.arrays[1].len()),
            (3, 3, 3)
        );
        // No functions: nothing to fetch.
        assert!(request(&raw(BPF_LINK_TYPE_TRACING_MULTI)).is_none());
    }

    #[test]
    fn perf_event_names_get_path_max() {
        for t in [
            BPF_PERF_EVENT_UPROBE,
            BPF_PERF_EVENT_URETPROBE,
            BPF_PERF_EVENT_KPROBE,
            BPF_PERF_EVENT_KRETPROBE,
            BPF_PERF_EVENT_TRACEPOINT,
        ] {
            let mut r = raw(BPF_LINK_TYPE_PERF_EVENT);
            r.set_u32_at(0, t);
            let q = request(&r).unwrap();
            assert!(points_to(&q, 8, &q.name));
            assert_eq!(q.raw.u32_at(16), 4096);
            assert_eq!(q.raw.u32_at(0), 0, "the perf type is the kernel's to fill");
        }
    }

    /// A filled request, as the kernel would leave it.
    fn filled(mut r: bpf_link_info, name: &[u8], arrays: [&[u64]; 3]) -> (bpf_link_info, Request) {
        let mut q = Request::new(r.type_);
        q.name = name.to_vec();
        q.arrays = arrays.map(<[u64]>::to_vec);
        r.id = 7;
        (r, q)
    }

    #[test]
    fn strings_end_at_nul_or_buffer_end() {
        assert_eq!(until_nul(b"abc\0def"), b"abc");
        assert_eq!(until_nul(b"abc"), b"abc");
        assert_eq!(until_nul(b"\0"), b"");
        assert_eq!(until_nul(b""), b"");
        assert_eq!(name_string(b"a\xffb\0"), "a\u{fffd}b");
        assert_eq!(
            name_path(b"/x/\xff\0junk").as_os_str().as_encoded_bytes(),
            b"/x/\xff"
        );
    }

    #[test]
    fn decodes_raw_tracepoint_and_iter() {
        let mut r = raw(BPF_LINK_TYPE_RAW_TRACEPOINT);
        r.set_u64_at(16, 42);
        let (r, q) = filled(r, b"sys_enter\0", [&[], &[], &[]]);
        assert_eq!(
            decode(&r, Some(&q)),
            Detail::RawTracepoint {
                tp_name: "sys_enter".into(),
                cookie: 42
            }
        );

        let mut r = raw(BPF_LINK_TYPE_ITER);
        r.set_u32_at(12, 5);
        r.set_u64_at(16, 0x1_0000_0003);
        r.set_u32_at(24, 2);
        let cases = [
            ("bpf_map_elem", IterTarget::Map { map_id: 5 }),
            ("bpf_sk_storage_map", IterTarget::Map { map_id: 5 }),
            ("task", IterTarget::Task { tid: 3, pid: 1 }),
            ("task_vma", IterTarget::Task { tid: 3, pid: 1 }),
            (
                "cgroup",
                IterTarget::Cgroup {
                    cgroup_id: 0x1_0000_0003,
                    order: 2,
                },
            ),
            ("bpf_map", IterTarget::Other),
        ];
        for (name, target) in cases {
            let mut buf = name.as_bytes().to_vec();
            buf.push(0);
            let (r, q) = filled(r, &buf, [&[], &[], &[]]);
            assert_eq!(
                decode(&r, Some(&q)),
                Detail::Iter {
                    target_name: name.into(),
                    target
                },
                "{name}"
            );
        }
    }

    #[test]
    fn decodes_fixed_types() {
        let mut r = raw(BPF_LINK_TYPE_CGROUP);
        r.set_u64_at(0, 0x1234_5678_9abc);
        r.set_u32_at(8, 2);
        assert_eq!(
            decode(&r, None),
            Detail::Cgroup {
                cgroup_id: 0x1234_5678_9abc,
                attach_type: 2
            }
        );

        let mut r = raw(BPF_LINK_TYPE_NETFILTER);
        for (off, v) in [(0, 2), (4, 1), (8, -128i32 as u32), (12, 1)] {
            r.set_u32_at(off, v);
        }
        assert_eq!(
            decode(&r, None),
            Detail::Netfilter {
                pf: 2,
                hooknum: 1,
                priority: -128,
                flags: 1
            }
        );

        let mut r = raw(BPF_LINK_TYPE_TRACING);
        for (off, v) in [(0, 24), (4, 3), (8, 77)] {
            r.set_u32_at(off, v);
        }
        r.set_u64_at(16, 5);
        assert_eq!(
            decode(&r, None),
            Detail::Tracing {
                attach_type: 24,
                target_obj_id: 3,
                target_btf_id: 77,
                cookie: 5
            }
        );

        let mut r = raw(BPF_LINK_TYPE_TCX);
        r.set_u32_at(0, 4);
        r.set_u32_at(4, 47);
        assert_eq!(
            decode(&r, None),
            Detail::Tcx {
                ifindex: 4,
                attach_type: 47
            }
        );
        r.type_ = BPF_LINK_TYPE_NETKIT;
        assert_eq!(
            decode(&r, None),
            Detail::Netkit {
                ifindex: 4,
                attach_type: 47
            }
        );
        r.type_ = BPF_LINK_TYPE_SOCKMAP;
        assert_eq!(
            decode(&r, None),
            Detail::Sockmap {
                map_id: 4,
                attach_type: 47
            }
        );
        r.type_ = BPF_LINK_TYPE_NETNS;
        assert_eq!(
            decode(&r, None),
            Detail::Netns {
                netns_ino: 4,
                attach_type: 47
            }
        );
        r.type_ = BPF_LINK_TYPE_XDP;
        assert_eq!(decode(&r, None), Detail::Xdp { ifindex: 4 });
        r.type_ = BPF_LINK_TYPE_STRUCT_OPS;
        assert_eq!(decode(&r, None), Detail::StructOps { map_id: 4 });
        r.type_ = 1000;
        assert_eq!(decode(&r, None), Detail::Other);
    }

    #[test]
    fn decodes_multi_probes() {
        let mut r = raw(BPF_LINK_TYPE_UPROBE_MULTI);
        r.set_u32_at(36, 2);
        r.set_u32_at(40, 1);
        r.set_u32_at(44, 1234);
        let (r, q) = filled(r, b"/bin/true\0\0\0", [&[0x10, 0x20], &[0, 0x30], &[1, 2]]);
        let d = decode(&r, Some(&q));
        assert!(d.retprobe());
        assert_eq!(
            d,
            Detail::UprobeMulti {
                path: "/bin/true".into(),
                flags: 1,
                pid: 1234,
                offsets: vec![0x10, 0x20],
                ref_ctr_offsets: vec![0, 0x30],
                cookies: vec![1, 2],
            }
        );

        let mut r = raw(BPF_LINK_TYPE_KPROBE_MULTI);
        r.set_u32_at(8, 1);
        r.set_u64_at(16, 3);
        let (r, q) = filled(r, b"", [&[0xffff_ffff_8100_0000], &[9], &[]]);
        let d = decode(&r, Some(&q));
        assert!(!d.retprobe());
        assert_eq!(
            d,
            Detail::KprobeMulti {
                flags: 0,
                missed: 3,
                addrs: vec![0xffff_ffff_8100_0000],
                cookies: vec![9]
            }
        );
    }

    #[test]
    fn decodes_tracing_multi() {
        let mut r = raw(BPF_LINK_TYPE_TRACING_MULTI);
        r.set_u32_at(0, crate::sys::consts::attach::BPF_TRACE_FEXIT_MULTI);
        r.set_u32_at(4, 2);
        r.set_u32_at(8, 41);
        let (r, mut q) = filled(
            r,
            b"",
            [
                &[0xffff_ffff_8100_0000, 0xffff_ffff_8100_0040],
                &[5, 6],
                &[],
            ],
        );
        q.ids = vec![101, 102];
        assert_eq!(
            decode(&r, Some(&q)),
            Detail::TracingMulti {
                attach_type: crate::sys::consts::attach::BPF_TRACE_FEXIT_MULTI,
                btf_obj_id: 41,
                count: 2,
                ids: vec![101, 102],
                addrs: vec![0xffff_ffff_8100_0000, 0xffff_ffff_8100_0040],
                cookies: vec![5, 6],
            }
        );
        // From the first answer alone: the count, no arrays.
        assert!(matches!(
            decode(&r, None),
            Detail::TracingMulti { count: 2, ref ids, .. } if ids.is_empty()
        ));
        assert_eq!(
            link_type_str(BPF_LINK_TYPE_TRACING_MULTI).unwrap(),
            c"tracing_multi"
        );
        assert_eq!(link_type_str(BPF_LINK_TYPE_TRACING_MULTI + 1), None);
    }

    #[test]
    fn decodes_perf_events() {
        let mut r = raw(BPF_LINK_TYPE_PERF_EVENT);
        r.set_u32_at(0, BPF_PERF_EVENT_URETPROBE);
        r.set_u32_at(20, 0x1130);
        r.set_u64_at(24, 11);
        r.set_u64_at(32, 0x4000);
        let (r2, q) = filled(r, b"/usr/bin/x\0", [&[], &[], &[]]);
        assert_eq!(
            decode(&r2, Some(&q)),
            Detail::PerfEvent(PerfEvent::Uprobe {
                retprobe: true,
                file: "/usr/bin/x".into(),
                offset: 0x1130,
                cookie: 11,
                ref_ctr_offset: 0x4000,
            })
        );

        r.set_u32_at(0, BPF_PERF_EVENT_KPROBE);
        r.set_u64_at(40, 12);
        let (r2, q) = filled(r, b"do_sys_open\0", [&[], &[], &[]]);
        assert_eq!(
            decode(&r2, Some(&q)),
            Detail::PerfEvent(PerfEvent::Kprobe {
                retprobe: false,
                func: "do_sys_open".into(),
                offset: 0x1130,
                addr: 11,
                missed: 0x4000,
                cookie: 12,
            })
        );

        r.set_u32_at(0, BPF_PERF_EVENT_TRACEPOINT);
        let (r2, q) = filled(r, b"sys_enter_getpid\0", [&[], &[], &[]]);
        assert_eq!(
            decode(&r2, Some(&q)),
            Detail::PerfEvent(PerfEvent::Tracepoint {
                name: "sys_enter_getpid".into(),
                cookie: 11
            })
        );

        let mut r = raw(BPF_LINK_TYPE_PERF_EVENT);
        r.set_u32_at(0, BPF_PERF_EVENT_EVENT);
        r.set_u64_at(8, 0); // config: PERF_COUNT_SW_CPU_CLOCK
        r.set_u32_at(16, 1); // type: PERF_TYPE_SOFTWARE
        r.set_u64_at(24, 99);
        assert_eq!(
            decode(&r, None),
            Detail::PerfEvent(PerfEvent::Event {
                type_: 1,
                config: 0,
                cookie: 99
            })
        );
        r.set_u32_at(0, 77);
        assert_eq!(decode(&r, None), Detail::PerfEvent(PerfEvent::Other(77)));
    }
}
