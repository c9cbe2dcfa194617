//! `bpf_link_create`: options, their libbpf reading, the attr, and the
//! raw-tracepoint fallback.

use core::ffi::c_int;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd, RawFd};

use errno::Errno;

use crate::opts::{Opts, bpf_link_create_opts as C};
use crate::sys::{self, attr::*, consts::attach::*, consts::flags::BPF_F_ID};
use crate::{opts_get, opts_zeroed};

/// Where a tcx / netkit / cgroup link goes relative to the links and
/// programs already on the hook (combine with `BPF_F_BEFORE` /
/// `BPF_F_AFTER` in [`CreateOpts::flags`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Anchor {
    /// No anchor (the fd slot is 0).
    #[default]
    None,
    /// Anchor given as a program or link fd.
    Fd(u32),
    /// Anchor given as a program or link id; `BPF_F_ID` is added to the flags.
    Id(u32),
}

/// The attach-type specific part of a link creation, as the kernel's
/// `link_create` union sees it.
///
/// Addresses (`u64`) are passed to the kernel unchanged; the kernel reads
/// through them and answers `EFAULT` for a bad one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Extra {
    /// Nothing beyond the flags.
    #[default]
    None,
    /// `target_btf_id` (freplace / tracing with an explicit target).
    TargetBtfId(u32),
    /// `BPF_TRACE_ITER`: address and length of a `union bpf_iter_link_info`.
    Iter { info: u64, info_len: u32 },
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
    /// `BPF_TRACE_UPROBE_MULTI` / `_SESSION`.
    UprobeMulti {
        flags: u32,
        cnt: u32,
        path: u64,
        offsets: u64,
        ref_ctr_offsets: u64,
        cookies: u64,
        pid: u32,
    },
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
        anchor: Anchor,
        expected_revision: u64,
    },
}

/// Options of [`create`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CreateOpts {
    /// `link_create.flags`.
    pub flags: u32,
    /// The attach-type specific part.
    pub extra: Extra,
    /// When the kernel refuses with `EINVAL`, `target_fd` is 0 and the
    /// first word of the attach-type part is 0, retry raw_tp / fentry /
    /// fexit / fmod_ret / LSM attach types with `BPF_RAW_TRACEPOINT_OPEN`
    /// (kernels before 5.x could not create those links with
    /// `BPF_LINK_CREATE`). That command takes neither flags nor a cookie:
    /// set this only with otherwise empty options. [`CreateOpts::from_libbpf`]
    /// sets it exactly when libbpf would: when every options byte after `sz`
    /// is zero (or libbpf's length arithmetic makes it think so).
    pub raw_tp_fallback: bool,
}

impl Default for CreateOpts {
    fn default() -> Self {
        Self {
            flags: 0,
            extra: Extra::None,
            raw_tp_fallback: true,
        }
    }
}

/// Whether libbpf treats `attach_type` as a cgroup type with ordering
/// options (v1.6 and later).
fn is_cgroup_multi(attach_type: u32) -> bool {
    matches!(
        attach_type,
        BPF_CGROUP_INET_INGRESS
            | BPF_CGROUP_INET_EGRESS
            | BPF_CGROUP_INET_SOCK_CREATE
            | BPF_CGROUP_INET_SOCK_RELEASE
            | BPF_CGROUP_INET4_BIND
            | BPF_CGROUP_INET6_BIND
            | BPF_CGROUP_INET4_POST_BIND
            | BPF_CGROUP_INET6_POST_BIND
            | BPF_CGROUP_INET4_CONNECT
            | BPF_CGROUP_INET6_CONNECT
            | BPF_CGROUP_UNIX_CONNECT
            | BPF_CGROUP_INET4_GETPEERNAME
            | BPF_CGROUP_INET6_GETPEERNAME
            | BPF_CGROUP_UNIX_GETPEERNAME
            | BPF_CGROUP_INET4_GETSOCKNAME
            | BPF_CGROUP_INET6_GETSOCKNAME
            | BPF_CGROUP_UNIX_GETSOCKNAME
            | BPF_CGROUP_UDP4_SENDMSG
            | BPF_CGROUP_UDP6_SENDMSG
            | BPF_CGROUP_UNIX_SENDMSG
            | BPF_CGROUP_UDP4_RECVMSG
            | BPF_CGROUP_UDP6_RECVMSG
            | BPF_CGROUP_UNIX_RECVMSG
            | BPF_CGROUP_SOCK_OPS
            | BPF_CGROUP_DEVICE
            | BPF_CGROUP_SYSCTL
            | BPF_CGROUP_GETSOCKOPT
            | BPF_CGROUP_SETSOCKOPT
            | BPF_LSM_CGROUP
    )
}

const EINVAL: Errno = Errno(libc::EINVAL);

/// Reads the tcx / netkit / cgroup member the way libbpf does.
fn relative(rfd: u32, rid: u32, expected_revision: u64) -> Result<Extra, Errno> {
    let anchor = match (rfd, rid) {
        (0, 0) => Anchor::None,
        (fd, 0) => Anchor::Fd(fd),
        (0, id) => Anchor::Id(id),
        _ => return Err(EINVAL),
    };
    Ok(Extra::Relative {
        anchor,
        expected_revision,
    })
}

impl CreateOpts {
    /// Reads libbpf's `struct bpf_link_create_opts` for `attach_type`
    /// exactly as libbpf v1.7.0's `bpf_link_create` does before the
    /// syscall: `OPTS_VALID`, the `iter_info_len` / `target_btf_id`
    /// checks, then the attach type's member and its `OPTS_ZEROED` check.
    /// Every refusal is `EINVAL`; only `OPTS_VALID` prints a warning.
    ///
    /// # Safety
    /// `opts` is NULL or points to a `struct bpf_link_create_opts` of at
    /// least its own `sz` bytes (see [`Opts::read`]).
    pub unsafe fn from_libbpf(opts: *const C, attach_type: u32) -> Result<Self, Errno> {
        // SAFETY: forwarded contract.
        let o = unsafe { Opts::<C>::read(opts)? };
        let iter_info_len: u32 = opts_get!(o, C, iter_info_len);
        let target_btf_id: u32 = opts_get!(o, C, target_btf_id);
        if (iter_info_len != 0 || target_btf_id != 0)
            && ((iter_info_len != 0 && target_btf_id != 0) || !opts_zeroed!(o, C, target_btf_id))
        {
            return Err(EINVAL);
        }
        let flags: u32 = opts_get!(o, C, flags);
        let raw_tp_fallback = opts_zeroed!(o, C, sz);
        let done = |extra| {
            Ok(Self {
                flags,
                extra,
                raw_tp_fallback,
            })
        };
        let zeroed = |ok: bool, extra| if ok { done(extra) } else { Err(EINVAL) };
        if target_btf_id != 0 {
            return done(Extra::TargetBtfId(target_btf_id));
        }
        match attach_type {
            BPF_TRACE_ITER => {
                let info: *mut crate::opts::bpf_iter_link_info = opts_get!(o, C, iter_info);
                done(Extra::Iter {
                    info: info as usize as u64,
                    info_len: iter_info_len,
                })
            }
            BPF_PERF_EVENT => zeroed(
                opts_zeroed!(o, C, u.perf_event),
                Extra::PerfEvent {
                    bpf_cookie: opts_get!(o, C, u.perf_event.bpf_cookie),
                },
            ),
            BPF_TRACE_KPROBE_MULTI | BPF_TRACE_KPROBE_SESSION => {
                let syms: *mut *const core::ffi::c_char = opts_get!(o, C, u.kprobe_multi.syms);
                let addrs: *const core::ffi::c_ulong = opts_get!(o, C, u.kprobe_multi.addrs);
                let cookies: *const u64 = opts_get!(o, C, u.kprobe_multi.cookies);
                zeroed(
                    opts_zeroed!(o, C, u.kprobe_multi),
                    Extra::KprobeMulti {
                        flags: opts_get!(o, C, u.kprobe_multi.flags),
                        cnt: opts_get!(o, C, u.kprobe_multi.cnt),
                        syms: syms as usize as u64,
                        addrs: addrs as usize as u64,
                        cookies: cookies as usize as u64,
                    },
                )
            }
            BPF_TRACE_UPROBE_MULTI | BPF_TRACE_UPROBE_SESSION => {
                let path: *const core::ffi::c_char = opts_get!(o, C, u.uprobe_multi.path);
                let offsets: *const core::ffi::c_ulong = opts_get!(o, C, u.uprobe_multi.offsets);
                let refs: *const core::ffi::c_ulong =
                    opts_get!(o, C, u.uprobe_multi.ref_ctr_offsets);
                let cookies: *const u64 = opts_get!(o, C, u.uprobe_multi.cookies);
                zeroed(
                    opts_zeroed!(o, C, u.uprobe_multi),
                    Extra::UprobeMulti {
                        flags: opts_get!(o, C, u.uprobe_multi.flags),
                        cnt: opts_get!(o, C, u.uprobe_multi.cnt),
                        path: path as usize as u64,
                        offsets: offsets as usize as u64,
                        ref_ctr_offsets: refs as usize as u64,
                        cookies: cookies as usize as u64,
                        pid: opts_get!(o, C, u.uprobe_multi.pid),
                    },
                )
            }
            BPF_TRACE_RAW_TP | BPF_TRACE_FENTRY | BPF_TRACE_FEXIT | BPF_MODIFY_RETURN
            | BPF_TRACE_FSESSION | BPF_LSM_MAC => zeroed(
                opts_zeroed!(o, C, u.tracing),
                Extra::Tracing {
                    cookie: opts_get!(o, C, u.tracing.cookie),
                },
            ),
            BPF_NETFILTER => zeroed(
                opts_zeroed!(o, C, u.netfilter),
                Extra::Netfilter {
                    pf: opts_get!(o, C, u.netfilter.pf),
                    hooknum: opts_get!(o, C, u.netfilter.hooknum),
                    priority: opts_get!(o, C, u.netfilter.priority),
                    flags: opts_get!(o, C, u.netfilter.flags),
                },
            ),
            // libbpf reads tcx, netkit and cgroup each through its own
            // member name, but the three are one shape over the same bytes.
            t if matches!(
                t,
                BPF_TCX_INGRESS | BPF_TCX_EGRESS | BPF_NETKIT_PRIMARY | BPF_NETKIT_PEER
            ) || is_cgroup_multi(t) =>
            {
                let extra = relative(
                    opts_get!(o, C, u.tcx.relative_fd),
                    opts_get!(o, C, u.tcx.relative_id),
                    opts_get!(o, C, u.tcx.expected_revision),
                )?;
                zeroed(opts_zeroed!(o, C, u.tcx), extra)
            }
            _ => zeroed(opts_zeroed!(o, C, flags), Extra::None),
        }
    }

    /// The `link_create` attr these options describe.
    #[inline]
    pub fn attr(&self, prog_fd: RawFd, target_fd: RawFd, attach_type: u32) -> LinkCreateAttr {
        let mut a = LinkCreateAttr::new(prog_fd as u32, target_fd as u32, attach_type, self.flags);
        match self.extra {
            Extra::None => {}
            Extra::TargetBtfId(id) => a.u.target_btf_id = id,
            Extra::Iter { info, info_len } => {
                a.u.iter = LinkCreateIter {
                    iter_info: info,
                    iter_info_len: info_len,
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
            } => {
                a.u.uprobe_multi = LinkCreateUprobeMulti {
                    path,
                    offsets,
                    ref_ctr_offsets,
                    cookies,
                    cnt,
                    flags,
                    pid,
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
                    Anchor::Fd(fd) => fd,
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

/// Creates a link attaching program `prog_fd` to `target_fd` at
/// `attach_type` (`BPF_LINK_CREATE`). The returned fd owns the attachment:
/// closing it detaches (unless the link is pinned or another fd refers to
/// it).
///
/// The fds are passed to the kernel unchecked. When the kernel answers
/// `EINVAL` and `opts.raw_tp_fallback` allows it, raw_tp / fentry / fexit /
/// fmod_ret / LSM programs are retried with `BPF_RAW_TRACEPOINT_OPEN`,
/// as libbpf does for older kernels.
#[inline]
pub fn create(
    prog_fd: RawFd,
    target_fd: RawFd,
    attach_type: u32,
    opts: &CreateOpts,
) -> Result<OwnedFd, Errno> {
    create_attr(
        &opts.attr(prog_fd, target_fd, attach_type),
        prog_fd,
        attach_type,
        opts.raw_tp_fallback,
    )
}

/// [`create`] with `CreateOpts::default()` (no flags, nothing in the
/// attach-type part, the fallback allowed), without building the options.
#[inline]
pub fn create_plain(prog_fd: RawFd, target_fd: RawFd, attach_type: u32) -> Result<OwnedFd, Errno> {
    create_attr(
        &LinkCreateAttr::new(prog_fd as u32, target_fd as u32, attach_type, 0),
        prog_fd,
        attach_type,
        true,
    )
}

#[inline(always)]
fn create_attr(
    attr: &LinkCreateAttr,
    prog_fd: RawFd,
    attach_type: u32,
    fallback: bool,
) -> Result<OwnedFd, Errno> {
    match sys::link_create(attr) {
        Err(e) if e == EINVAL => {
            let fd = retry_as_raw_tp(
                prog_fd,
                attr.target_fd,
                attr.tail_first_u32(),
                attach_type,
                fallback,
            );
            if fd < 0 {
                return Err(Errno(-fd));
            }
            // SAFETY: a fresh fd from BPF_RAW_TRACEPOINT_OPEN, owned by
            // nobody else.
            Ok(unsafe { OwnedFd::from_raw_fd(fd) })
        }
        r => r,
    }
}

/// After `EINVAL` from `BPF_LINK_CREATE`: libbpf's retry with
/// `BPF_RAW_TRACEPOINT_OPEN`, when `fallback` allows it, `target_fd` is 0,
/// the first word of the attach-type part is 0 and the attach type is
/// raw_tp / LSM / fentry / fexit / fmod_ret. Returns the new fd, or
/// `-errno` (`-EINVAL` when no retry applies). Out of line and `extern "C"`
/// (a call that cannot unwind), so the success path of `create` stays
/// short.
#[cold]
#[inline(never)]
extern "C" fn retry_as_raw_tp(
    prog_fd: RawFd,
    target_fd: u32,
    tail_first_u32: u32,
    attach_type: u32,
    fallback: bool,
) -> c_int {
    let applies = fallback
        && target_fd == 0
        && tail_first_u32 == 0
        && matches!(
            attach_type,
            BPF_TRACE_RAW_TP | BPF_LSM_MAC | BPF_TRACE_FENTRY | BPF_TRACE_FEXIT | BPF_MODIFY_RETURN
        );
    if !applies {
        return -libc::EINVAL;
    }
    match sys::raw_tracepoint_open(prog_fd, 0, 0) {
        Ok(fd) => fd.into_raw_fd(),
        Err(e) => -e.0,
    }
}

#[cfg(test)]
mod tests {
    //! libbpf's per-attach-type reading of `bpf_link_create_opts`, and the
    //! attr it produces. No kernel involved.

    use super::*;
    use crate::opts::Zeroed;
    use crate::sys::consts::flags::{BPF_F_AFTER, BPF_F_ID};

    /// Options as `LIBBPF_OPTS` makes them: every byte zero, `sz` set.
    /// (Padding is read as bytes, so never a moved Rust value.)
    fn zeroed() -> Zeroed<C> {
        Zeroed::new()
    }

    fn parse(o: &Zeroed<C>, attach_type: u32) -> Result<CreateOpts, Errno> {
        // SAFETY: a full-size struct, every byte initialised.
        unsafe { CreateOpts::from_libbpf(o.as_ptr(), attach_type) }
    }

    /// The attr's bytes, as the kernel would read them.
    fn attr_bytes(a: &LinkCreateAttr) -> [u8; 64] {
        // SAFETY: LinkCreateAttr is 64 initialised bytes (repr(C), `new`
        // zeroes the whole union, no padding outside it).
        unsafe { core::mem::transmute_copy(a) }
    }

    fn with_byte(off: usize, b: u8) -> Zeroed<C> {
        let mut o = zeroed();
        o.set_byte(off, b);
        o
    }

    #[test]
    fn null_and_default_opts_create_plain_links() {
        // SAFETY: NULL is allowed.
        let o = unsafe { CreateOpts::from_libbpf(core::ptr::null(), BPF_XDP) }.unwrap();
        assert_eq!(o, CreateOpts::default());
        assert_eq!(
            parse(&zeroed(), BPF_XDP).unwrap(),
            CreateOpts::default()
        );
    }

    #[test]
    fn null_opts_give_the_plain_attr_for_every_attach_type() {
        // bpf_link_create() with NULL options calls create_plain() and reads
        // no options (capi/bpf.rs): this is what reading them would give.
        for t in 0..128u32 {
            // SAFETY: NULL is allowed.
            let o = unsafe { CreateOpts::from_libbpf(core::ptr::null(), t) }.unwrap();
            assert_eq!(
                attr_bytes(&o.attr(5, 6, t)),
                attr_bytes(&LinkCreateAttr::new(5, 6, t, 0)),
                "attach type {t}"
            );
            assert!(o.raw_tp_fallback, "attach type {t}");
        }
    }

    #[test]
    fn target_btf_id_short_cuts_the_switch() {
        let mut o = zeroed();
        o.target_btf_id = 77;
        let p = parse(&o, BPF_TCX_INGRESS).unwrap();
        assert_eq!(p.extra, Extra::TargetBtfId(77));
        assert_eq!(
            &attr_bytes(&p.attr(1, 2, BPF_TCX_INGRESS))[16..20],
            &77u32.to_ne_bytes()
        );
        o.iter_info_len = 4;
        assert_eq!(parse(&o, BPF_TCX_INGRESS), Err(EINVAL));
        let mut o = zeroed();
        o.target_btf_id = 77;
        o.u.tcx.relative_fd = 1;
        assert_eq!(parse(&o, BPF_TCX_INGRESS), Err(EINVAL));
    }

    #[test]
    fn iter_reads_info_without_a_zero_check() {
        let mut info = crate::opts::bpf_iter_link_info { raw: [0; 2] };
        let mut o = zeroed();
        o.iter_info = &mut info;
        o.iter_info_len = 16;
        let p = parse(&o, BPF_TRACE_ITER).unwrap();
        let a = attr_bytes(&p.attr(3, 0, BPF_TRACE_ITER));
        assert_eq!(&a[16..24], &(o.iter_info as usize as u64).to_ne_bytes());
        assert_eq!(&a[24..28], &16u32.to_ne_bytes());
        // iter_info_len with anything in the union is refused.
        o.u.perf_event.bpf_cookie = 1;
        assert_eq!(parse(&o, BPF_TRACE_ITER), Err(EINVAL));
    }

    #[test]
    fn each_branch_refuses_bytes_after_its_member() {
        let cases: &[(u32, usize)] = &[
            (BPF_PERF_EVENT, 40),
            (BPF_TRACE_KPROBE_MULTI, 64),
            (BPF_TRACE_UPROBE_SESSION, 76),
            (BPF_TRACE_RAW_TP, 40),
            (BPF_TRACE_FSESSION, 40),
            (BPF_LSM_MAC, 40),
            (BPF_NETFILTER, 48),
            (BPF_TCX_EGRESS, 48),
            (BPF_NETKIT_PEER, 48),
            (BPF_CGROUP_SYSCTL, 48),
            (BPF_LSM_CGROUP, 48),
            (BPF_XDP, 16),
            (BPF_SK_LOOKUP, 16),
            (1000, 16),
        ];
        for &(t, end) in cases {
            assert!(parse(&with_byte(end - 1, 0), t).is_ok(), "type {t}");
            if end < 76 {
                assert_eq!(
                    parse(&with_byte(end, 1), t),
                    Err(EINVAL),
                    "type {t} byte {end}"
                );
            }
            assert_eq!(
                parse(&with_byte(75, 1), t).is_err(),
                end <= 75,
                "type {t} byte 75"
            );
        }
    }

    #[test]
    fn typed_branches_ignore_a_stale_iter_info_but_the_default_does_not() {
        let o = with_byte(16, 0xaa); // iter_info low byte, iter_info_len 0
        assert!(parse(&o, BPF_TCX_INGRESS).is_ok());
        assert!(!parse(&o, BPF_TCX_INGRESS).unwrap().raw_tp_fallback);
        assert_eq!(parse(&o, BPF_XDP), Err(EINVAL));
        // Padding after `flags` is checked by the default branch only.
        assert!(parse(&with_byte(12, 1), BPF_NETFILTER).is_ok());
        assert_eq!(parse(&with_byte(12, 1), BPF_XDP), Err(EINVAL));
    }

    #[test]
    fn relative_fd_and_id_are_exclusive_and_id_adds_bpf_f_id() {
        for t in [BPF_TCX_INGRESS, BPF_NETKIT_PRIMARY, BPF_CGROUP_INET_INGRESS] {
            let mut o = zeroed();
            o.flags = BPF_F_AFTER;
            o.u.cgroup.relative_id = 42;
            o.u.cgroup.expected_revision = 9;
            let p = parse(&o, t).unwrap();
            let a = p.attr(5, 6, t);
            assert_eq!(a.flags, BPF_F_AFTER | BPF_F_ID);
            let b = attr_bytes(&a);
            assert_eq!(&b[16..20], &42u32.to_ne_bytes());
            assert_eq!(&b[24..32], &9u64.to_ne_bytes());
            o.u.cgroup.relative_fd = 3;
            assert_eq!(parse(&o, t), Err(EINVAL));
            o.u.cgroup.relative_id = 0;
            let a = parse(&o, t).unwrap().attr(5, 6, t);
            assert_eq!(a.flags, BPF_F_AFTER);
            assert_eq!(&attr_bytes(&a)[16..20], &3u32.to_ne_bytes());
        }
    }

    #[test]
    fn uprobe_multi_fields_land_in_uapi_order() {
        // Field by field: assigning a whole struct value would copy its
        // padding (bytes 76..80 of the options) as uninitialised bytes,
        // which the reader then checks, as libbpf does, byte by byte.
        let mut o = zeroed();
        o.u.uprobe_multi.flags = 1;
        o.u.uprobe_multi.cnt = 2;
        o.u.uprobe_multi.path = 0x1000 as *const _;
        o.u.uprobe_multi.offsets = 0x2000 as *const _;
        o.u.uprobe_multi.ref_ctr_offsets = 0x3000 as *const _;
        o.u.uprobe_multi.cookies = 0x4000 as *const _;
        o.u.uprobe_multi.pid = 99;
        let a = attr_bytes(&parse(&o, BPF_TRACE_UPROBE_MULTI).unwrap().attr(1, 0, 48));
        assert_eq!(&a[16..24], &0x1000u64.to_ne_bytes());
        assert_eq!(&a[24..32], &0x2000u64.to_ne_bytes());
        assert_eq!(&a[32..40], &0x3000u64.to_ne_bytes());
        assert_eq!(&a[40..48], &0x4000u64.to_ne_bytes());
        assert_eq!(&a[48..52], &2u32.to_ne_bytes());
        assert_eq!(&a[52..56], &1u32.to_ne_bytes());
        assert_eq!(&a[56..60], &99u32.to_ne_bytes());
    }

    #[test]
    fn tracing_cookie_sits_after_the_overlaid_btf_id() {
        let mut o = zeroed();
        o.u.tracing.cookie = 0x55;
        let p = parse(&o, BPF_TRACE_FENTRY).unwrap();
        let a = attr_bytes(&p.attr(1, 0, BPF_TRACE_FENTRY));
        assert_eq!(&a[16..24], &[0; 8]);
        assert_eq!(&a[24..32], &0x55u64.to_ne_bytes());
        assert!(!p.raw_tp_fallback);
        assert!(
            parse(&zeroed(), BPF_TRACE_FENTRY)
                .unwrap()
                .raw_tp_fallback
        );
    }

    #[test]
    fn netfilter_and_perf_event_fields() {
        let mut o = zeroed();
        o.u.netfilter.pf = 2;
        o.u.netfilter.hooknum = 1;
        o.u.netfilter.priority = -128;
        o.u.netfilter.flags = 1;
        let p = parse(&o, BPF_NETFILTER).unwrap();
        assert_eq!(
            p.extra,
            Extra::Netfilter {
                pf: 2,
                hooknum: 1,
                priority: -128,
                flags: 1
            }
        );
        let mut o = zeroed();
        o.u.perf_event.bpf_cookie = u64::MAX;
        let p = parse(&o, BPF_PERF_EVENT).unwrap();
        assert_eq!(
            p.extra,
            Extra::PerfEvent {
                bpf_cookie: u64::MAX
            }
        );
    }
}
