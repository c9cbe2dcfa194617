//! `BPF_LINK_CREATE` for Rust callers: the options, the attr they make,
//! and the raw-tracepoint fallback both paths share. (libbpf's reading of
//! its own options struct, for the C API, is in [`super::libbpf`].)

use core::ffi::c_int;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use errno::Errno;

use crate::sys::{self, attr::*, consts::attach::*, consts::flags::BPF_F_ID};

/// What a link attaches to: the kernel's `target_fd` slot.
#[derive(Clone, Copy, Debug, Default)]
pub enum Target<'a> {
    /// Nothing (tracing, iterator and raw tracepoint links: 0).
    #[default]
    None,
    /// A cgroup, network namespace, perf event, map (sockmap) ... fd.
    Fd(BorrowedFd<'a>),
    /// A network interface (XDP, tcx, netkit): its index.
    Ifindex(u32),
}

/// Where a tcx / netkit / cgroup link goes relative to the links and
/// programs already on the hook (combine with `BPF_F_BEFORE` /
/// `BPF_F_AFTER` in [`CreateOpts::flags`]).
#[derive(Clone, Copy, Debug, Default)]
pub enum Anchor<'a> {
    /// No anchor (the slot is 0).
    #[default]
    None,
    /// Anchor given as a program or link fd.
    Fd(BorrowedFd<'a>),
    /// Anchor given as a program or link id; `BPF_F_ID` is added to the flags.
    Id(u32),
}

/// What an iterator link iterates over (`union bpf_iter_link_info`).
#[derive(Clone, Copy, Debug, Default)]
pub enum IterInfo<'a> {
    /// Nothing: no `iter_info` (bpf_map, task over every task, ...).
    #[default]
    None,
    /// The elements of a map (`bpf_map_elem`, `bpf_sk_storage_map`, ...).
    Map(BorrowedFd<'a>),
    /// A cgroup by fd, walked in `order` (`BPF_CGROUP_ITER_*`).
    Cgroup { order: u32, cgroup: BorrowedFd<'a> },
    /// A cgroup by id, walked in `order`.
    CgroupId { order: u32, id: u64 },
    /// The tasks of one thread (`tid`) or one process (`pid`); 0 for any.
    Task { tid: u32, pid: u32 },
    /// The tasks of the process behind a pidfd.
    TaskPidFd(BorrowedFd<'a>),
}

impl IterInfo<'_> {
    /// The union's 16 bytes, as the kernel reads them; `None` for no info.
    fn bytes(&self) -> Option<[u64; 2]> {
        let mut b = [0u8; 16];
        let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
        match *self {
            IterInfo::None => return None,
            IterInfo::Map(fd) => put(0, &(fd.as_raw_fd() as u32).to_ne_bytes()),
            IterInfo::Cgroup { order, cgroup } => {
                put(0, &order.to_ne_bytes());
                put(4, &(cgroup.as_raw_fd() as u32).to_ne_bytes());
            }
            IterInfo::CgroupId { order, id } => {
                put(0, &order.to_ne_bytes());
                put(8, &id.to_ne_bytes());
            }
            IterInfo::Task { tid, pid } => {
                put(0, &tid.to_ne_bytes());
                put(4, &pid.to_ne_bytes());
            }
            IterInfo::TaskPidFd(fd) => put(8, &(fd.as_raw_fd() as u32).to_ne_bytes()),
        }
        let (lo, hi) = b.split_at(8);
        Some([
            u64::from_ne_bytes(lo.try_into().unwrap_or_default()),
            u64::from_ne_bytes(hi.try_into().unwrap_or_default()),
        ])
    }
}

/// The attach-type specific part of a link creation, as the kernel's
/// `link_create` union sees it.
///
/// Addresses (`u64`) are passed to the kernel unchanged; the kernel reads
/// through them and answers `EFAULT` for a bad one.
#[derive(Clone, Copy, Debug, Default)]
pub enum Extra<'a> {
    /// Nothing beyond the flags.
    #[default]
    None,
    /// `target_btf_id` (freplace / tracing with an explicit target).
    TargetBtfId(u32),
    /// `BPF_TRACE_ITER`: what to iterate over.
    Iter(IterInfo<'a>),
    /// `BPF_PERF_EVENT`.
    PerfEvent { bpf_cookie: u64 },
    /// `BPF_TRACE_KPROBE_MULTI` / `_SESSION`.
    KprobeMulti {
        flags: u32,
        cnt: u32,
        syms: u64,
        addrs: u64,
        cookies: u64,
    },
    /// `BPF_TRACE_UPROBE_MULTI` / `_SESSION`. With `path_fd` (set
    /// `BPF_F_UPROBE_MULTI_PATH_FD` in `flags` too), `path` is resolved
    /// relative to it.
    UprobeMulti {
        flags: u32,
        cnt: u32,
        path: u64,
        offsets: u64,
        ref_ctr_offsets: u64,
        cookies: u64,
        pid: u32,
        path_fd: Option<BorrowedFd<'a>>,
    },
    /// `BPF_TRACE_FENTRY_MULTI` / `_FEXIT_MULTI` / `_FSESSION_MULTI`: BTF
    /// ids and optional cookies, `cnt` of each.
    TracingMulti { ids: u64, cookies: u64, cnt: u32 },
    /// raw_tp, fentry, fexit, fmod_ret, fsession, LSM.
    Tracing { cookie: u64 },
    /// `BPF_NETFILTER`.
    Netfilter {
        pf: u32,
        hooknum: u32,
        priority: i32,
        flags: u32,
    },
    /// tcx, netkit and cgroup ordering.
    Relative {
        anchor: Anchor<'a>,
        expected_revision: u64,
    },
}

/// Options of [`create`].
#[derive(Clone, Copy, Debug)]
pub struct CreateOpts<'a> {
    /// `link_create.flags`.
    pub flags: u32,
    /// The attach-type specific part.
    pub extra: Extra<'a>,
    /// When the kernel refuses with `EINVAL`, the target is none and the
    /// first word of the attach-type part is 0, retry raw_tp / fentry /
    /// fexit / fmod_ret / LSM attach types with `BPF_RAW_TRACEPOINT_OPEN`
    /// (kernels before 5.x could not create those links with
    /// `BPF_LINK_CREATE`), as libbpf does. That command takes neither flags
    /// nor a cookie: set this only with otherwise empty options (the
    /// default does).
    pub raw_tp_fallback: bool,
}

impl Default for CreateOpts<'_> {
    fn default() -> Self {
        Self {
            flags: 0,
            extra: Extra::None,
            raw_tp_fallback: true,
        }
    }
}

impl CreateOpts<'_> {
    /// The `link_create` attr these options describe. `iter` is where an
    /// iterator's info lives during the call (its address goes in the attr).
    fn attr(
        &self,
        prog_fd: u32,
        target_fd: u32,
        attach_type: u32,
        iter: &[u64; 2],
    ) -> LinkCreateAttr {
        let mut a = LinkCreateAttr::new(prog_fd, target_fd, attach_type, self.flags);
        match self.extra {
            Extra::None | Extra::Iter(IterInfo::None) => {}
            Extra::TargetBtfId(id) => a.u.target_btf_id = id,
            Extra::Iter(_) => {
                a.u.iter = LinkCreateIter {
                    iter_info: iter.as_ptr() as usize as u64,
                    iter_info_len: 16,
                    _pad: 0,
                }
            }
            Extra::PerfEvent { bpf_cookie } => a.u.perf_event = LinkCreatePerfEvent { bpf_cookie },
            Extra::KprobeMulti {
                flags,
                cnt,
                syms,
                addrs,
                cookies,
            } => {
                a.u.kprobe_multi = LinkCreateKprobeMulti {
                    flags,
                    cnt,
                    syms,
                    addrs,
                    cookies,
                }
            }
            Extra::UprobeMulti {
                flags,
                cnt,
                path,
                offsets,
                ref_ctr_offsets,
                cookies,
                pid,
                path_fd,
            } => {
                a.u.uprobe_multi = LinkCreateUprobeMulti {
                    path,
                    offsets,
                    ref_ctr_offsets,
                    cookies,
                    cnt,
                    flags,
                    pid,
                    path_fd: path_fd.map_or(0, |fd| fd.as_raw_fd() as u32),
                }
            }
            Extra::TracingMulti { ids, cookies, cnt } => {
                a.u.tracing_multi = LinkCreateTracingMulti {
                    ids,
                    cookies,
                    cnt,
                    _pad: 0,
                }
            }
            Extra::Tracing { cookie } => {
                a.u.tracing = LinkCreateTracing {
                    target_btf_id: 0,
                    _pad: 0,
                    cookie,
                }
            }
            Extra::Netfilter {
                pf,
                hooknum,
                priority,
                flags,
            } => {
                a.u.netfilter = LinkCreateNetfilter {
                    pf,
                    hooknum,
                    priority,
                    flags,
                }
            }
            Extra::Relative {
                anchor,
                expected_revision,
            } => {
                let slot = match anchor {
                    Anchor::None => 0,
                    Anchor::Fd(fd) => fd.as_raw_fd() as u32,
                    Anchor::Id(id) => {
                        a.flags |= BPF_F_ID;
                        id
                    }
                };
                a.u.relative = LinkCreateRelative {
                    relative_fd_or_id: slot,
                    _pad: 0,
                    expected_revision,
                };
            }
        }
        a
    }
}

/// Creates a link attaching `prog` to `target` at `attach_type`
/// (`BPF_LINK_CREATE`). The returned fd owns the attachment: closing it
/// detaches (unless the link is pinned or another fd refers to it).
///
/// When the kernel answers `EINVAL` and `opts.raw_tp_fallback` allows it,
/// raw_tp / fentry / fexit / fmod_ret / LSM programs are retried with
/// `BPF_RAW_TRACEPOINT_OPEN`, as libbpf does for older kernels.
pub fn create(
    prog: impl AsFd,
    target: Target<'_>,
    attach_type: u32,
    opts: &CreateOpts<'_>,
) -> Result<OwnedFd, Errno> {
    let target_fd = match target {
        Target::None => 0,
        Target::Fd(fd) => fd.as_raw_fd() as u32,
        Target::Ifindex(i) => i,
    };
    let iter = match opts.extra {
        Extra::Iter(info) => info.bytes().unwrap_or_default(),
        _ => [0; 2],
    };
    let attr = opts.attr(
        prog.as_fd().as_raw_fd() as u32,
        target_fd,
        attach_type,
        &iter,
    );
    match sys::link_create(&attr) {
        Err(e) if e.0 == libc::EINVAL => retry_as_raw_tp(&attr, || opts.raw_tp_fallback),
        r => r,
    }
}

/// After `EINVAL` from `BPF_LINK_CREATE`: libbpf's retry with
/// `BPF_RAW_TRACEPOINT_OPEN`, when `target_fd` and the first word of the
/// attach-type part are 0, the attach type is raw_tp / LSM / fentry /
/// fexit / fmod_ret and `allowed()` (asked last) says the options were
/// empty. Otherwise the `EINVAL` stands. Out of line: the success path of
/// both callers stays short.
#[cold]
#[inline(never)]
pub(crate) fn retry_as_raw_tp(
    attr: &LinkCreateAttr,
    allowed: impl FnOnce() -> bool,
) -> Result<OwnedFd, Errno> {
    let applies = attr.target_fd == 0
        && attr.tail_first_u32() == 0
        && matches!(
            attr.attach_type,
            BPF_TRACE_RAW_TP | BPF_LSM_MAC | BPF_TRACE_FENTRY | BPF_TRACE_FEXIT | BPF_MODIFY_RETURN
        )
        && allowed();
    if !applies {
        return Err(Errno(libc::EINVAL));
    }
    sys::raw_tracepoint_open(attr.prog_fd as c_int, 0, 0)
}

#[cfg(test)]
mod tests {
    //! The safe API's options and the attr they make. No kernel involved.

    use super::*;
    use crate::sys::consts::flags::BPF_F_AFTER;

    fn attr_bytes(a: &LinkCreateAttr) -> [u8; 64] {
        // SAFETY: LinkCreateAttr is 64 initialised bytes (repr(C), `new`
        // zeroes the whole union, no padding outside it).
        unsafe { core::mem::transmute_copy(a) }
    }

    #[test]
    fn relative_anchors_fill_one_slot_and_id_adds_bpf_f_id() {
        // SAFETY: fd 0 is open for the test's life; only its number is used.
        let fd = unsafe { BorrowedFd::borrow_raw(0) };
        let mut o = CreateOpts {
            flags: BPF_F_AFTER,
            extra: Extra::Relative {
                anchor: Anchor::Id(42),
                expected_revision: 9,
            },
            ..CreateOpts::default()
        };
        let a = o.attr(5, 6, BPF_TCX_INGRESS, &[0; 2]);
        assert_eq!(a.flags, BPF_F_AFTER | BPF_F_ID);
        let b = attr_bytes(&a);
        assert_eq!(&b[16..20], &42u32.to_ne_bytes());
        assert_eq!(&b[24..32], &9u64.to_ne_bytes());
        o.extra = Extra::Relative {
            anchor: Anchor::Fd(fd),
            expected_revision: 0,
        };
        let a = o.attr(5, 6, BPF_TCX_INGRESS, &[0; 2]);
        assert_eq!(a.flags, BPF_F_AFTER);
        assert_eq!(&attr_bytes(&a)[16..20], &0u32.to_ne_bytes());
    }

    #[test]
    fn iter_info_is_the_kernels_union() {
        // SAFETY: fd 2 is open for the test's life; only its number is used.
        let fd = unsafe { BorrowedFd::borrow_raw(2) };
        let le = |v: [u64; 2]| {
            let mut b = [0u8; 16];
            b[..8].copy_from_slice(&v[0].to_ne_bytes());
            b[8..].copy_from_slice(&v[1].to_ne_bytes());
            b
        };
        let b = le(IterInfo::Map(fd).bytes().unwrap());
        assert_eq!(&b[..4], &2u32.to_ne_bytes());
        assert_eq!(&b[4..], &[0; 12]);
        let b = le(IterInfo::CgroupId { order: 3, id: 77 }.bytes().unwrap());
        assert_eq!(&b[..4], &3u32.to_ne_bytes());
        assert_eq!(&b[8..], &77u64.to_ne_bytes());
        let b = le(IterInfo::Task { tid: 0, pid: 9 }.bytes().unwrap());
        assert_eq!(&b[4..8], &9u32.to_ne_bytes());
        assert_eq!(IterInfo::None.bytes(), None);
        let iter = [1u64, 2];
        let o = CreateOpts {
            extra: Extra::Iter(IterInfo::Map(fd)),
            ..CreateOpts::default()
        };
        let a = attr_bytes(&o.attr(3, 0, BPF_TRACE_ITER, &iter));
        assert_eq!(&a[16..24], &(iter.as_ptr() as usize as u64).to_ne_bytes());
        assert_eq!(&a[24..28], &16u32.to_ne_bytes());
    }

    #[test]
    fn default_options_make_the_plain_attr() {
        for t in 0..64u32 {
            assert_eq!(
                attr_bytes(&CreateOpts::default().attr(5, 6, t, &[0; 2])),
                attr_bytes(&LinkCreateAttr::new(5, 6, t, 0)),
                "attach type {t}"
            );
        }
    }
}
