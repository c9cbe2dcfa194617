//! An independent, deliberately plain model of what libbpf does with an
//! options buffer before any syscall, written from the reference
//! (shared/reference/libbpf-link-reference.md §1.4 `OPTS_*`, §2.1
//! `bpf_link_create`, §2.3 `bpf_link_update`, §2.5
//! `bpf_link_get_fd_by_id_opts`), libbpf's bpf.c and, for libbpf 1.8,
//! docs/libbpf-1.8.md, not from bpflink's code: offsets, sizes and
//! attach-type numbers are written out here as literals (LP64, uapi of
//! libbpf 1.7.0 and the members 1.8 adds).
//!
//! Two releases are modelled ([`Rel`]): libbpf 1.7.0, the reference the
//! differential target loads, and libbpf 1.8, whose `bpf_link_create`
//! reading bpflink follows. They differ only in `bpf_link_create_opts`:
//! 1.8's known end is 80 (`uprobe_multi.path_fd`, 1.7.0's tail padding)
//! instead of 76, `path_fd` is passed for uprobe_multi / uprobe_session,
//! and attach types 59-61 take the `tracing_multi` branch.
//!
//! The model reads the caller's bytes exactly as libbpf's macros do, with
//! libbpf's signed arithmetic on `sz`. When a scan would need a byte the
//! buffer does not have, the model panics: that is a fault of the input
//! construction ([`crate::input::decode_image`]), never of bpflink.

use crate::input::{Image, Layout};

/// Whose rules the model applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    /// libbpf 1.7.0: the reference of the differential target.
    V1_7,
    /// libbpf 1.8 (libbpf's development branch, docs/libbpf-1.8.md):
    /// bpflink's rules.
    V1_8,
}

impl Rel {
    /// How the summary names the release.
    pub fn name(self) -> &'static str {
        match self {
            Rel::V1_7 => "libbpf 1.7.0",
            Rel::V1_8 => "libbpf 1.8",
        }
    }
}

/// The caller's options as libbpf sees them: NULL, or a buffer with `sz`.
#[derive(Clone, Copy)]
pub struct Opts<'a> {
    /// The caller's bytes; `None` for a NULL pointer.
    pub bytes: Option<&'a [u8]>,
    /// `opts->sz`.
    pub sz: u64,
    /// The struct's facts.
    pub layout: Layout,
    /// The release whose rules are applied.
    pub rel: Rel,
}

impl<'a> Opts<'a> {
    /// The options of a decoded image.
    pub fn of(img: &'a Image, layout: Layout, rel: Rel) -> Self {
        Self {
            bytes: (!img.null).then_some(&img.bytes[..]),
            sz: img.sz,
            layout,
            rel,
        }
    }

    /// `offsetofend(T, T##__last_field)` in this release.
    pub fn known_end(&self) -> u64 {
        match self.rel {
            Rel::V1_7 => self.layout.known_end as u64,
            Rel::V1_8 => self.layout.known_end_1_8 as u64,
        }
    }

    fn byte(&self, i: u64) -> u8 {
        let b = self.bytes.expect("byte of NULL opts");
        match usize::try_from(i).ok().and_then(|i| b.get(i)) {
            Some(&v) => v,
            None => panic!(
                "harness fault: libbpf's rule needs byte {i} of an options buffer of {} bytes \
                 (sz {:#x}); decode_image must back every sz it makes",
                b.len(),
                self.sz
            ),
        }
    }

    /// `libbpf_is_mem_zeroed(opts + off, len)`: true for `len <= 0`,
    /// otherwise the bytes up to the first non-zero one.
    fn is_mem_zeroed(&self, off: u64, len: i64) -> bool {
        let mut i: i64 = 0;
        while i < len {
            if self.byte(off + i as u64) != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// `OPTS_VALID(opts, type)`: `Err(warning text)` when libbpf refuses.
    pub fn valid(&self) -> Result<(), String> {
        if self.bytes.is_none() {
            return Ok(());
        }
        let name = self.layout.name;
        if self.sz < 8 {
            return Err(format!("libbpf: {name} size ({}) is too small\n", self.sz));
        }
        // (ssize_t)user_sz - opts_sz, wrapping as the C code does in practice.
        let ke = self.known_end();
        let len = (self.sz as i64).wrapping_sub(ke as i64);
        if !self.is_mem_zeroed(ke, len) {
            return Err(format!("libbpf: {name} has non-zero extra bytes\n"));
        }
        Ok(())
    }

    /// `OPTS_HAS(opts, field)` for a field at `off` of `size` bytes.
    pub fn has(&self, off: u64, size: u64) -> bool {
        self.bytes.is_some() && self.sz >= off + size
    }

    /// `OPTS_GET(opts, field, 0)`: the field's bytes (native endian) if
    /// `sz` covers all of it, else 0.
    pub fn get(&self, off: u64, size: u64) -> u64 {
        if !self.has(off, size) {
            return 0;
        }
        let mut b = [0u8; 8];
        for (i, v) in b.iter_mut().take(size as usize).enumerate() {
            *v = self.byte(off + i as u64);
        }
        u64::from_ne_bytes(b)
    }

    /// `OPTS_ZEROED(opts, field)` where `end = offsetofend(field)`: NULL
    /// opts, or every byte in `[end, sz)` zero (libbpf scans to the first
    /// non-zero one; a length `(ssize_t)(sz - end) <= 0` is "zeroed").
    pub fn zeroed(&self, end: u64) -> bool {
        if self.bytes.is_none() {
            return true;
        }
        let len = self.sz.wrapping_sub(end) as i64;
        if len <= 0 {
            return true;
        }
        self.is_mem_zeroed(end, len)
    }
}

/// A verdict of one of libbpf's option readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<T> {
    /// Accepted; what goes on to the kernel.
    Ok(T),
    /// Refused with `-EINVAL`, and this warning (only `OPTS_VALID` prints).
    Einval(Option<String>),
}

// --- bpf_link_create -------------------------------------------------------

/// Attach types, from `enum bpf_attach_type` of libbpf 1.7.0's uapi.
pub mod at {
    pub const CGROUP_INET_INGRESS: u32 = 0;
    pub const CGROUP_INET_EGRESS: u32 = 1;
    pub const CGROUP_INET_SOCK_CREATE: u32 = 2;
    pub const CGROUP_SOCK_OPS: u32 = 3;
    pub const CGROUP_DEVICE: u32 = 6;
    pub const CGROUP_INET4_BIND: u32 = 8;
    pub const CGROUP_INET6_BIND: u32 = 9;
    pub const CGROUP_INET4_CONNECT: u32 = 10;
    pub const CGROUP_INET6_CONNECT: u32 = 11;
    pub const CGROUP_INET4_POST_BIND: u32 = 12;
    pub const CGROUP_INET6_POST_BIND: u32 = 13;
    pub const CGROUP_UDP4_SENDMSG: u32 = 14;
    pub const CGROUP_UDP6_SENDMSG: u32 = 15;
    pub const CGROUP_SYSCTL: u32 = 18;
    pub const CGROUP_UDP4_RECVMSG: u32 = 19;
    pub const CGROUP_UDP6_RECVMSG: u32 = 20;
    pub const CGROUP_GETSOCKOPT: u32 = 21;
    pub const CGROUP_SETSOCKOPT: u32 = 22;
    pub const TRACE_RAW_TP: u32 = 23;
    pub const TRACE_FENTRY: u32 = 24;
    pub const TRACE_FEXIT: u32 = 25;
    pub const MODIFY_RETURN: u32 = 26;
    pub const LSM_MAC: u32 = 27;
    pub const TRACE_ITER: u32 = 28;
    pub const CGROUP_INET4_GETPEERNAME: u32 = 29;
    pub const CGROUP_INET6_GETPEERNAME: u32 = 30;
    pub const CGROUP_INET4_GETSOCKNAME: u32 = 31;
    pub const CGROUP_INET6_GETSOCKNAME: u32 = 32;
    pub const CGROUP_INET_SOCK_RELEASE: u32 = 34;
    pub const PERF_EVENT: u32 = 41;
    pub const TRACE_KPROBE_MULTI: u32 = 42;
    pub const LSM_CGROUP: u32 = 43;
    pub const NETFILTER: u32 = 45;
    pub const TCX_INGRESS: u32 = 46;
    pub const TCX_EGRESS: u32 = 47;
    pub const TRACE_UPROBE_MULTI: u32 = 48;
    pub const CGROUP_UNIX_CONNECT: u32 = 49;
    pub const CGROUP_UNIX_SENDMSG: u32 = 50;
    pub const CGROUP_UNIX_RECVMSG: u32 = 51;
    pub const CGROUP_UNIX_GETPEERNAME: u32 = 52;
    pub const CGROUP_UNIX_GETSOCKNAME: u32 = 53;
    pub const NETKIT_PRIMARY: u32 = 54;
    pub const NETKIT_PEER: u32 = 55;
    pub const TRACE_KPROBE_SESSION: u32 = 56;
    pub const TRACE_UPROBE_SESSION: u32 = 57;
    pub const TRACE_FSESSION: u32 = 58;
    /// libbpf 1.8's uapi (tracing_multi links); 1.7.0 knows none of 59-61.
    pub const TRACE_FENTRY_MULTI: u32 = 59;
    pub const TRACE_FEXIT_MULTI: u32 = 60;
    pub const TRACE_FSESSION_MULTI: u32 = 61;
}

/// The cgroup attach types bpf_link_create reads `cgroup.*` for (v1.6+).
const CGROUP_TYPES: [u32; 29] = [
    at::CGROUP_INET_INGRESS,
    at::CGROUP_INET_EGRESS,
    at::CGROUP_INET_SOCK_CREATE,
    at::CGROUP_INET_SOCK_RELEASE,
    at::CGROUP_INET4_BIND,
    at::CGROUP_INET6_BIND,
    at::CGROUP_INET4_POST_BIND,
    at::CGROUP_INET6_POST_BIND,
    at::CGROUP_INET4_CONNECT,
    at::CGROUP_INET6_CONNECT,
    at::CGROUP_UNIX_CONNECT,
    at::CGROUP_INET4_GETPEERNAME,
    at::CGROUP_INET6_GETPEERNAME,
    at::CGROUP_UNIX_GETPEERNAME,
    at::CGROUP_INET4_GETSOCKNAME,
    at::CGROUP_INET6_GETSOCKNAME,
    at::CGROUP_UNIX_GETSOCKNAME,
    at::CGROUP_UDP4_SENDMSG,
    at::CGROUP_UDP6_SENDMSG,
    at::CGROUP_UNIX_SENDMSG,
    at::CGROUP_UDP4_RECVMSG,
    at::CGROUP_UDP6_RECVMSG,
    at::CGROUP_UNIX_RECVMSG,
    at::CGROUP_SOCK_OPS,
    at::CGROUP_DEVICE,
    at::CGROUP_SYSCTL,
    at::CGROUP_GETSOCKOPT,
    at::CGROUP_SETSOCKOPT,
    at::LSM_CGROUP,
];

/// `BPF_F_ID`.
const BPF_F_ID: u64 = 1 << 5;

/// What bpf_link_create sends to the kernel.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Create {
    /// The 64-byte `link_create` attr.
    pub attr: [u8; 64],
    /// `OPTS_ZEROED(opts, sz)`: the raw-tracepoint fallback is allowed.
    pub raw_tp_fallback: bool,
}

impl core::fmt::Debug for Create {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let hex: String = self.attr.iter().map(|b| format!("{b:02x}")).collect();
        write!(
            f,
            "Create {{ attr: {hex}, raw_tp_fallback: {} }}",
            self.raw_tp_fallback
        )
    }
}

fn put(attr: &mut [u8; 64], off: usize, size: usize, v: u64) {
    attr[off..off + size].copy_from_slice(&v.to_ne_bytes()[..size]);
}

/// `bpf_link_create` up to the syscall (reference §2.1), by the rules of
/// `o.rel`: libbpf 1.8 also passes `uprobe_multi.path_fd` (opts 76, attr
/// 60) and has a `tracing_multi` branch for 59-61 (opts 32 / 40 / 48, attr
/// 16 / 24 / 32, member end 56), which 1.7.0 sends to its default branch.
pub fn link_create(o: &Opts<'_>, prog_fd: i32, target_fd: i32, t: u32) -> Verdict<Create> {
    use Verdict::Einval;
    if let Err(msg) = o.valid() {
        return Einval(Some(msg));
    }
    let iter_info_len = o.get(24, 4);
    let target_btf_id = o.get(28, 4);
    if (iter_info_len != 0 || target_btf_id != 0)
        && ((iter_info_len != 0 && target_btf_id != 0) || !o.zeroed(32))
    {
        return Einval(None);
    }
    let mut a = [0u8; 64];
    put(&mut a, 0, 4, prog_fd as u32 as u64);
    put(&mut a, 4, 4, target_fd as u32 as u64);
    put(&mut a, 8, 4, t as u64);
    let mut flags = o.get(8, 4);
    let ok = if target_btf_id != 0 {
        put(&mut a, 16, 4, target_btf_id);
        true
    } else {
        match t {
            at::TRACE_ITER => {
                put(&mut a, 16, 8, o.get(16, 8));
                put(&mut a, 24, 4, iter_info_len);
                true
            }
            at::PERF_EVENT => {
                put(&mut a, 16, 8, o.get(32, 8));
                o.zeroed(40)
            }
            at::TRACE_KPROBE_MULTI | at::TRACE_KPROBE_SESSION => {
                put(&mut a, 16, 4, o.get(32, 4)); // flags
                put(&mut a, 20, 4, o.get(36, 4)); // cnt
                put(&mut a, 24, 8, o.get(40, 8)); // syms
                put(&mut a, 32, 8, o.get(48, 8)); // addrs
                put(&mut a, 40, 8, o.get(56, 8)); // cookies
                o.zeroed(64)
            }
            at::TRACE_UPROBE_MULTI | at::TRACE_UPROBE_SESSION => {
                put(&mut a, 52, 4, o.get(32, 4)); // flags
                put(&mut a, 48, 4, o.get(36, 4)); // cnt
                put(&mut a, 16, 8, o.get(40, 8)); // path
                put(&mut a, 24, 8, o.get(48, 8)); // offsets
                put(&mut a, 32, 8, o.get(56, 8)); // ref_ctr_offsets
                put(&mut a, 40, 8, o.get(64, 8)); // cookies
                put(&mut a, 56, 4, o.get(72, 4)); // pid
                if o.rel == Rel::V1_8 {
                    put(&mut a, 60, 4, o.get(76, 4)); // path_fd
                }
                o.zeroed(80)
            }
            at::TRACE_FENTRY_MULTI..=at::TRACE_FSESSION_MULTI if o.rel == Rel::V1_8 => {
                put(&mut a, 16, 8, o.get(32, 8)); // ids
                put(&mut a, 24, 8, o.get(40, 8)); // cookies
                put(&mut a, 32, 4, o.get(48, 4)); // cnt
                o.zeroed(56)
            }
            at::TRACE_RAW_TP
            | at::TRACE_FENTRY
            | at::TRACE_FEXIT
            | at::MODIFY_RETURN
            | at::TRACE_FSESSION
            | at::LSM_MAC => {
                put(&mut a, 24, 8, o.get(32, 8));
                o.zeroed(40)
            }
            at::NETFILTER => {
                put(&mut a, 16, 4, o.get(32, 4));
                put(&mut a, 20, 4, o.get(36, 4));
                put(&mut a, 24, 4, o.get(40, 4));
                put(&mut a, 28, 4, o.get(44, 4));
                o.zeroed(48)
            }
            t if matches!(
                t,
                at::TCX_INGRESS | at::TCX_EGRESS | at::NETKIT_PRIMARY | at::NETKIT_PEER
            ) || CGROUP_TYPES.contains(&t) =>
            {
                let rfd = o.get(32, 4);
                let rid = o.get(36, 4);
                if rfd != 0 && rid != 0 {
                    return Einval(None);
                }
                if rid != 0 {
                    put(&mut a, 16, 4, rid);
                    flags |= BPF_F_ID;
                } else {
                    put(&mut a, 16, 4, rfd);
                }
                put(&mut a, 24, 8, o.get(40, 8));
                o.zeroed(48)
            }
            _ => o.zeroed(12),
        }
    };
    if !ok {
        return Einval(None);
    }
    put(&mut a, 12, 4, flags);
    Verdict::Ok(Create {
        attr: a,
        raw_tp_fallback: o.zeroed(8),
    })
}

/// Whether libbpf would fall back to `BPF_RAW_TRACEPOINT_OPEN` after the
/// kernel refused `attr` with EINVAL (reference §2.1 step 9).
pub fn falls_back(c: &Create, t: u32) -> bool {
    let target_fd = u32::from_ne_bytes(c.attr[4..8].try_into().unwrap());
    let first = u32::from_ne_bytes(c.attr[16..20].try_into().unwrap());
    c.raw_tp_fallback
        && target_fd == 0
        && first == 0
        && matches!(
            t,
            at::TRACE_RAW_TP | at::LSM_MAC | at::TRACE_FENTRY | at::TRACE_FEXIT | at::MODIFY_RETURN
        )
}

// --- bpf_link_update ---------------------------------------------------------

/// What bpf_link_update sends: `flags` and the one `old_*_fd` slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update {
    /// `link_update.flags`.
    pub flags: u32,
    /// `old_prog_fd` if set, else `old_map_fd` (they share the attr slot).
    pub old_fd: u32,
}

/// `bpf_link_update` up to the syscall (reference §2.3); the same in 1.7.0
/// and 1.8.
pub fn link_update(o: &Opts<'_>) -> Verdict<Update> {
    if let Err(msg) = o.valid() {
        return Verdict::Einval(Some(msg));
    }
    let old_prog = o.get(12, 4) as u32;
    let old_map = o.get(16, 4) as u32;
    if old_prog != 0 && old_map != 0 {
        return Verdict::Einval(None);
    }
    Verdict::Ok(Update {
        flags: o.get(8, 4) as u32,
        old_fd: if old_prog != 0 { old_prog } else { old_map },
    })
}

// --- bpf_link_get_fd_by_id_opts ----------------------------------------------

/// `bpf_link_get_fd_by_id_opts` up to the syscall (reference §2.5): the
/// `open_flags` sent; `token_fd` is not used. The same in 1.7.0 and 1.8.
pub fn fd_by_id(o: &Opts<'_>) -> Verdict<u32> {
    if let Err(msg) = o.valid() {
        return Verdict::Einval(Some(msg));
    }
    Verdict::Ok(o.get(8, 4) as u32)
}
