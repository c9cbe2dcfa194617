//! `bpf_link_create`: options, their libbpf reading, the attr, and the
//! raw-tracepoint fallback.

use std::os::fd::{OwnedFd, RawFd};

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
    /// When the kernel refuses with `EINVAL`, `target_fd` is 0 and nothing
    /// else was asked, retry raw_tp / fentry / fexit / fmod_ret / LSM
    /// attach types with `BPF_RAW_TRACEPOINT_OPEN` (kernels older than 5.x
    /// could not create those links with `BPF_LINK_CREATE`). libbpf does
    /// this only when every options byte after `sz` is zero; this crate
    /// also requires `flags == 0` and no extra option but a zero cookie.
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
            BPF_TCX_INGRESS | BPF_TCX_EGRESS => {
                let extra = relative(
                    opts_get!(o, C, u.tcx.relative_fd),
                    opts_get!(o, C, u.tcx.relative_id),
                    opts_get!(o, C, u.tcx.expected_revision),
                )?;
                zeroed(opts_zeroed!(o, C, u.tcx), extra)
            }
            BPF_NETKIT_PRIMARY | BPF_NETKIT_PEER => {
                let extra = relative(
                    opts_get!(o, C, u.netkit.relative_fd),
                    opts_get!(o, C, u.netkit.relative_id),
                    opts_get!(o, C, u.netkit.expected_revision),
                )?;
                zeroed(opts_zeroed!(o, C, u.netkit), extra)
            }
            t if is_cgroup_multi(t) => {
                let extra = relative(
                    opts_get!(o, C, u.cgroup.relative_fd),
                    opts_get!(o, C, u.cgroup.relative_id),
                    opts_get!(o, C, u.cgroup.expected_revision),
                )?;
                zeroed(opts_zeroed!(o, C, u.cgroup), extra)
            }
            _ => zeroed(opts_zeroed!(o, C, flags), Extra::None),
        }
    }

    /// The `link_create` attr these options describe.
    pub fn attr(&self, prog_fd: RawFd, target_fd: RawFd, attach_type: u32) -> LinkCreateAttr {
        let mut a = LinkCreateAttr::new(prog_fd as u32, target_fd as u32, attach_type, self.flags);
        match self.extra {
            Extra::None => {}
            Extra::TargetBtfId(id) => a.u.target_btf_id = id,
            Extra::Iter { info, info_len } => {
                a.u.iter = LinkCreateIter {
                    iter_info: info,
                    iter_info_len: info_len,
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
                }
            }
            Extra::Tracing { cookie } => {
                a.u.tracing = LinkCreateTracing {
                    target_btf_id: 0,
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
pub fn create(
    prog_fd: RawFd,
    target_fd: RawFd,
    attach_type: u32,
    opts: &CreateOpts,
) -> Result<OwnedFd, Errno> {
    let attr = opts.attr(prog_fd, target_fd, attach_type);
    match sys::link_create(&attr) {
        Err(e) if e == EINVAL => {
            let fallback = opts.raw_tp_fallback
                && opts.flags == 0
                && matches!(opts.extra, Extra::None | Extra::Tracing { cookie: 0 })
                && attr.target_fd == 0
                && attr.tail_first_u32() == 0
                && matches!(
                    attach_type,
                    BPF_TRACE_RAW_TP
                        | BPF_LSM_MAC
                        | BPF_TRACE_FENTRY
                        | BPF_TRACE_FEXIT
                        | BPF_MODIFY_RETURN
                );
            if fallback {
                sys::raw_tracepoint_open(prog_fd, 0, 0)
            } else {
                Err(e)
            }
        }
        r => r,
    }
}
