//! libbpf's link calls as libbpf takes their arguments: raw fd numbers,
//! passed to the kernel as they are (-1 included: libbpf's feature probes
//! rely on the kernel's `EBADF`), and libbpf's options structs, read by
//! libbpf's rules straight into the exactly sized attr: 1.8's for
//! `bpf_link_create` (`uprobe_multi.path_fd`, the `tracing_multi` attach
//! types), 1.7.0's, which are the same, for the others.
//!
//! For the C layer ([`crate::capi`]) and the link object ([`crate::object`]);
//! Rust callers use the safe API of [`crate::link`], whose functions take
//! fds they can show they hold. The readers ([`create_attr`],
//! [`raw_tp_fallback`], [`update_attr`], [`fd_by_id_flags`]) act on no fd
//! and are public, for the fuzz targets that check them against libbpf.

use core::ffi::c_void;
use std::os::fd::{OwnedFd, RawFd};

use errno::Errno;

use crate::opts::{
    Full, Opts, Reader, bpf_get_fd_by_id_opts, bpf_iter_link_info, bpf_link_create_opts as C,
    bpf_link_update_opts,
};
use crate::sys::{self, attr::*, consts::attach::*, consts::flags::BPF_F_ID};
use crate::{opts_get, opts_zeroed};

const EINVAL: Errno = Errno(libc::EINVAL);

/// Whether libbpf reads `attach_type` through the `cgroup` member (cgroup
/// types with ordering options, v1.6 and later).
pub fn is_cgroup_multi(attach_type: u32) -> bool {
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

/// The attr of `bpf_link_create(prog_fd, target_fd, attach_type, opts)`, as
/// libbpf 1.8 builds it before the syscall (1.7.0 less `path_fd` and the
/// `tracing_multi` attach types, which it refuses): `OPTS_VALID`, the
/// `iter_info_len` / `target_btf_id` checks, then the attach type's member
/// read field by field from the caller's struct into the attr and its
/// `OPTS_ZEROED` check. Every refusal is `EINVAL`; only `OPTS_VALID`
/// prints a warning.
///
/// # Safety
/// `opts` is NULL or points to a `struct bpf_link_create_opts` of at least
/// its own `sz` bytes (see [`Opts::read`]).
#[inline(always)]
pub unsafe fn create_attr(
    prog_fd: RawFd,
    target_fd: RawFd,
    attach_type: u32,
    opts: *const C,
) -> Result<LinkCreateAttr, Errno> {
    let mut a = LinkCreateAttr::new(prog_fd as u32, target_fd as u32, attach_type, 0);
    // SAFETY: forwarded contract.
    unsafe { read_create_opts(&mut a, opts) }?;
    Ok(a)
}

/// Fills `a` (made by `LinkCreateAttr::new` with no flags) from libbpf's
/// options, in place. NULL: nothing to fill, for every attach type (what
/// the reading gives for it; tested).
///
/// # Safety
/// As [`create_attr`].
#[inline(always)]
unsafe fn read_create_opts(a: &mut LinkCreateAttr, opts: *const C) -> Result<(), Errno> {
    if opts.is_null() {
        return Ok(());
    }
    // SAFETY: forwarded contract.
    unsafe { read_create_nonnull(a, opts) }
}

/// [`read_create_opts`] for non-NULL options, out of line (the NULL path
/// stays short). A caller's struct of exactly this library's size (the
/// common case) is read on a path of its own, where the per-field `sz`
/// checks fold away; any other size (an older or a newer libbpf's) goes
/// through `OPTS_VALID` and reads each field only if `sz` covers it.
///
/// # Safety
/// As [`create_attr`]; `opts` is not NULL.
#[inline(never)]
unsafe fn read_create_nonnull(a: &mut LinkCreateAttr, opts: *const C) -> Result<(), Errno> {
    // SAFETY: forwarded contract, `opts` not NULL.
    match unsafe { Full::exact(opts) } {
        Some(full) => read_create(a, full),
        // SAFETY: as above.
        None => unsafe { read_create_sized(a, opts) },
    }
}

/// [`read_create_nonnull`] for a struct of any other size, or with
/// non-zero padding: libbpf's `OPTS_VALID`, then each field read only if
/// the caller's `sz` covers it.
///
/// # Safety
/// As [`create_attr`]; `opts` is not NULL.
#[inline(never)]
unsafe fn read_create_sized(a: &mut LinkCreateAttr, opts: *const C) -> Result<(), Errno> {
    // SAFETY: forwarded contract, `opts` not NULL.
    let o = unsafe { Opts::<C>::read_nonnull(opts)? };
    read_create(a, o)
}

/// The reading of libbpf's `bpf_link_create` (see [`create_attr`]) into `a`.
#[inline(always)]
fn read_create(a: &mut LinkCreateAttr, o: impl Reader<C>) -> Result<(), Errno> {
    let iter_info_len: u32 = opts_get!(o, C, iter_info_len);
    let target_btf_id: u32 = opts_get!(o, C, target_btf_id);
    if (iter_info_len != 0 || target_btf_id != 0)
        && ((iter_info_len != 0 && target_btf_id != 0) || !opts_zeroed!(o, C, target_btf_id))
    {
        return Err(EINVAL);
    }
    a.flags = opts_get!(o, C, flags);
    if target_btf_id != 0 {
        a.u.target_btf_id = target_btf_id;
        return Ok(());
    }
    let ok = match a.attach_type {
        BPF_TRACE_ITER => {
            let info: *mut bpf_iter_link_info = opts_get!(o, C, iter_info);
            a.u.iter = LinkCreateIter {
                iter_info: info as usize as u64,
                iter_info_len,
                _pad: 0,
            };
            true
        }
        BPF_PERF_EVENT => {
            a.u.perf_event = LinkCreatePerfEvent {
                bpf_cookie: opts_get!(o, C, u.perf_event.bpf_cookie),
            };
            opts_zeroed!(o, C, u.perf_event)
        }
        BPF_TRACE_KPROBE_MULTI | BPF_TRACE_KPROBE_SESSION => {
            let syms: *mut *const core::ffi::c_char = opts_get!(o, C, u.kprobe_multi.syms);
            let addrs: *const core::ffi::c_ulong = opts_get!(o, C, u.kprobe_multi.addrs);
            let cookies: *const u64 = opts_get!(o, C, u.kprobe_multi.cookies);
            a.u.kprobe_multi = LinkCreateKprobeMulti {
                flags: opts_get!(o, C, u.kprobe_multi.flags),
                cnt: opts_get!(o, C, u.kprobe_multi.cnt),
                syms: syms as usize as u64,
                addrs: addrs as usize as u64,
                cookies: cookies as usize as u64,
            };
            opts_zeroed!(o, C, u.kprobe_multi)
        }
        BPF_TRACE_UPROBE_MULTI | BPF_TRACE_UPROBE_SESSION => {
            let path: *const core::ffi::c_char = opts_get!(o, C, u.uprobe_multi.path);
            let offsets: *const core::ffi::c_ulong = opts_get!(o, C, u.uprobe_multi.offsets);
            let refs: *const core::ffi::c_ulong = opts_get!(o, C, u.uprobe_multi.ref_ctr_offsets);
            let cookies: *const u64 = opts_get!(o, C, u.uprobe_multi.cookies);
            // Field by field into the (zeroed) attr, each as it is read: a
            // struct literal would hold all eight in registers first.
            // SAFETY: every member of the union is plain integers, and the
            // whole union was initialised (zeroed) by `LinkCreateAttr::new`.
            let m = unsafe { &mut a.u.uprobe_multi };
            m.path = path as usize as u64;
            m.offsets = offsets as usize as u64;
            m.ref_ctr_offsets = refs as usize as u64;
            m.cookies = cookies as usize as u64;
            m.cnt = opts_get!(o, C, u.uprobe_multi.cnt);
            m.flags = opts_get!(o, C, u.uprobe_multi.flags);
            m.pid = opts_get!(o, C, u.uprobe_multi.pid);
            m.path_fd = opts_get!(o, C, u.uprobe_multi.path_fd);
            opts_zeroed!(o, C, u.uprobe_multi)
        }
        BPF_TRACE_FENTRY_MULTI | BPF_TRACE_FEXIT_MULTI | BPF_TRACE_FSESSION_MULTI => {
            let ids: *const u32 = opts_get!(o, C, u.tracing_multi.ids);
            let cookies: *const u64 = opts_get!(o, C, u.tracing_multi.cookies);
            a.u.tracing_multi = LinkCreateTracingMulti {
                ids: ids as usize as u64,
                cookies: cookies as usize as u64,
                cnt: opts_get!(o, C, u.tracing_multi.cnt),
                _pad: 0,
            };
            opts_zeroed!(o, C, u.tracing_multi)
        }
        BPF_TRACE_RAW_TP | BPF_TRACE_FENTRY | BPF_TRACE_FEXIT | BPF_MODIFY_RETURN
        | BPF_TRACE_FSESSION | BPF_LSM_MAC => {
            a.u.tracing = LinkCreateTracing {
                target_btf_id: 0,
                _pad: 0,
                cookie: opts_get!(o, C, u.tracing.cookie),
            };
            opts_zeroed!(o, C, u.tracing)
        }
        BPF_NETFILTER => {
            a.u.netfilter = LinkCreateNetfilter {
                pf: opts_get!(o, C, u.netfilter.pf),
                hooknum: opts_get!(o, C, u.netfilter.hooknum),
                priority: opts_get!(o, C, u.netfilter.priority),
                flags: opts_get!(o, C, u.netfilter.flags),
            };
            opts_zeroed!(o, C, u.netfilter)
        }
        // libbpf reads tcx, netkit and cgroup each through its own member
        // name, but the three are one shape over the same bytes.
        t if matches!(
            t,
            BPF_TCX_INGRESS | BPF_TCX_EGRESS | BPF_NETKIT_PRIMARY | BPF_NETKIT_PEER
        ) || is_cgroup_multi(t) =>
        {
            let rfd: u32 = opts_get!(o, C, u.tcx.relative_fd);
            let rid: u32 = opts_get!(o, C, u.tcx.relative_id);
            if rfd != 0 && rid != 0 {
                return Err(EINVAL);
            }
            if rid != 0 {
                a.flags |= BPF_F_ID;
            }
            a.u.relative = LinkCreateRelative {
                relative_fd_or_id: rfd | rid,
                _pad: 0,
                expected_revision: opts_get!(o, C, u.tcx.expected_revision),
            };
            opts_zeroed!(o, C, u.tcx)
        }
        _ => opts_zeroed!(o, C, flags),
    };
    if ok { Ok(()) } else { Err(EINVAL) }
}

/// libbpf's `OPTS_ZEROED(opts, sz)`: whether a link create that the kernel
/// refused with `EINVAL` may be retried with `BPF_RAW_TRACEPOINT_OPEN`
/// (only when every options byte after `sz` is zero, or libbpf's length
/// arithmetic makes it think so; NULL options: yes).
///
/// # Safety
/// As [`create_attr`].
pub unsafe fn raw_tp_fallback(opts: *const C) -> bool {
    // SAFETY: forwarded contract.
    match unsafe { Opts::<C>::read(opts) } {
        Ok(o) => opts_zeroed!(o, C, sz),
        Err(_) => false,
    }
}

/// `bpf_link_create`: the attr from libbpf's options ([`create_attr`]),
/// `BPF_LINK_CREATE`, and libbpf's retry with `BPF_RAW_TRACEPOINT_OPEN`
/// when the kernel answers `EINVAL` for a raw_tp / LSM / fentry / fexit /
/// fmod_ret program with nothing else asked for (the options are read
/// again for that only then).
///
/// # Safety
/// As [`create_attr`].
#[inline(always)]
pub(crate) unsafe fn create(
    prog_fd: RawFd,
    target_fd: RawFd,
    attach_type: u32,
    opts: *const C,
) -> Result<OwnedFd, Errno> {
    let mut attr = LinkCreateAttr::new(prog_fd as u32, target_fd as u32, attach_type, 0);
    // SAFETY: forwarded contract.
    unsafe { read_create_opts(&mut attr, opts) }?;
    match sys::link_create(&attr) {
        Err(e) if e == EINVAL => super::create::retry_as_raw_tp(&attr, || {
            // SAFETY: forwarded contract; the caller's options are still
            // there during the call.
            unsafe { raw_tp_fallback(opts) }
        }),
        r => r,
    }
}

/// The attr of `bpf_link_update(link_fd, new_prog_fd, opts)` as libbpf
/// v1.7.0 builds it: `OPTS_VALID`, then `old_prog_fd` and `old_map_fd` may
/// not both be set; either goes in the one slot, `flags` passed through.
///
/// # Safety
/// `opts` is NULL or points to at least its own `sz` readable bytes.
#[inline(always)]
pub unsafe fn update_attr(
    link_fd: RawFd,
    new_prog_fd: RawFd,
    opts: *const bpf_link_update_opts,
) -> Result<LinkUpdateAttr, Errno> {
    let mut a = LinkUpdateAttr::new(link_fd as u32, new_prog_fd as u32);
    // SAFETY: forwarded contract.
    unsafe { read_update_opts(&mut a, opts) }?;
    Ok(a)
}

/// Fills `a` (made by `LinkUpdateAttr::new`) from libbpf's options, in
/// place; NULL: nothing to fill.
///
/// # Safety
/// As [`update_attr`].
#[inline(always)]
unsafe fn read_update_opts(
    a: &mut LinkUpdateAttr,
    opts: *const bpf_link_update_opts,
) -> Result<(), Errno> {
    if opts.is_null() {
        return Ok(());
    }
    // The struct is tiny: this library's size and an older one's are read
    // inline, any other out of line.
    // SAFETY: forwarded contract, `opts` not NULL.
    if let Some(full) = unsafe { Full::exact(opts) } {
        return read_update(a, full);
    }
    // SAFETY: as above.
    if let Some(o) = unsafe { Opts::short(opts) } {
        return read_update(a, o);
    }
    // SAFETY: as above.
    unsafe { read_update_sized(a, opts) }
}

/// [`read_update_opts`] for a struct of another size than this library's
/// (or with non-zero padding), out of line.
///
/// # Safety
/// As [`update_attr`]; `opts` is not NULL.
#[inline(never)]
unsafe fn read_update_sized(
    a: &mut LinkUpdateAttr,
    opts: *const bpf_link_update_opts,
) -> Result<(), Errno> {
    // SAFETY: forwarded contract, `opts` not NULL.
    let o = unsafe { Opts::<bpf_link_update_opts>::read_nonnull(opts)? };
    match Full::of(o) {
        Some(full) => read_update(a, full),
        None => read_update(a, o),
    }
}

/// The reading of libbpf's `bpf_link_update` (see [`update_attr`]) into `a`.
#[inline(always)]
fn read_update(a: &mut LinkUpdateAttr, o: impl Reader<bpf_link_update_opts>) -> Result<(), Errno> {
    type U = bpf_link_update_opts;
    let old_prog: u32 = opts_get!(o, U, old_prog_fd);
    let old_map: u32 = opts_get!(o, U, old_map_fd);
    if old_prog != 0 && old_map != 0 {
        return Err(EINVAL);
    }
    a.flags = opts_get!(o, U, flags);
    a.old_prog_fd = old_prog | old_map;
    Ok(())
}

/// `bpf_link_update`, its attr built in place.
///
/// # Safety
/// As [`update_attr`].
#[inline(always)]
pub(crate) unsafe fn update(
    link_fd: RawFd,
    new_prog_fd: RawFd,
    opts: *const bpf_link_update_opts,
) -> Result<(), Errno> {
    let mut a = LinkUpdateAttr::new(link_fd as u32, new_prog_fd as u32);
    // SAFETY: forwarded contract.
    unsafe { read_update_opts(&mut a, opts) }?;
    sys::link_update(&a)
}

/// The `open_flags` of `bpf_link_get_fd_by_id_opts`' options, read as
/// libbpf v1.7.0 does (`token_fd` is accepted and not used).
///
/// # Safety
/// `opts` is NULL or points to at least its own `sz` readable bytes.
#[inline(always)]
pub unsafe fn fd_by_id_flags(opts: *const bpf_get_fd_by_id_opts) -> Result<u32, Errno> {
    if opts.is_null() {
        return Ok(0);
    }
    // SAFETY: forwarded contract, `opts` not NULL.
    unsafe { fd_by_id_flags_nonnull(opts) }
}

/// [`fd_by_id_flags`] for non-NULL options, out of line.
///
/// # Safety
/// As [`fd_by_id_flags`]; `opts` is not NULL.
#[inline(never)]
unsafe fn fd_by_id_flags_nonnull(opts: *const bpf_get_fd_by_id_opts) -> Result<u32, Errno> {
    type G = bpf_get_fd_by_id_opts;
    // SAFETY: forwarded contract.
    if let Some(full) = unsafe { Full::exact(opts) } {
        return Ok(opts_get!(full, G, open_flags));
    }
    // SAFETY: forwarded contract, `opts` not NULL.
    let o = unsafe { Opts::<G>::read_nonnull(opts)? };
    Ok(opts_get!(o, G, open_flags))
}

/// `bpf_link_detach`.
#[inline(always)]
pub(crate) fn detach(link_fd: RawFd) -> Result<(), Errno> {
    sys::link_detach(link_fd)
}

/// `bpf_iter_create`.
#[inline(always)]
pub(crate) fn iter_create(link_fd: RawFd) -> Result<OwnedFd, Errno> {
    sys::iter_create(link_fd)
}

/// `bpf_link_get_info_by_fd`: the kernel writes up to `*len` bytes at
/// `info` and sets `*len` to the length it wrote.
///
/// # Safety
/// `info` is valid for writes of `*len` bytes, or NULL (the kernel answers
/// `EFAULT` for a non-zero length); addresses inside it (name buffers,
/// arrays) are valid for the writes they describe.
#[inline(always)]
pub(crate) unsafe fn info_into(fd: RawFd, info: *mut c_void, len: &mut u32) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    *len = unsafe { sys::obj_get_info_by_fd(fd, info, *len) }?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! libbpf's per-attach-type reading of `bpf_link_create_opts`, and the
    //! attr it produces. No kernel involved.

    use super::*;
    use crate::opts::Zeroed;
    use crate::sys::consts::flags::{BPF_F_AFTER, BPF_F_UPROBE_MULTI_PATH_FD};

    /// Options as `LIBBPF_OPTS` makes them: every byte zero, `sz` set.
    /// (Padding is read as bytes, so never a moved Rust value.)
    fn zeroed() -> Zeroed<C> {
        Zeroed::new()
    }

    /// The attr for `prog_fd` 5, `target_fd` 6.
    fn parse(o: &Zeroed<C>, attach_type: u32) -> Result<LinkCreateAttr, Errno> {
        // SAFETY: a full-size struct, every byte initialised.
        unsafe { create_attr(5, 6, attach_type, o.as_ptr()) }
    }

    fn fallback(o: &Zeroed<C>) -> bool {
        // SAFETY: as in `parse`.
        unsafe { raw_tp_fallback(o.as_ptr()) }
    }

    /// The attr's bytes, as the kernel would read them.
    fn bytes(a: Result<LinkCreateAttr, Errno>) -> [u8; 64] {
        let a = a.unwrap();
        // SAFETY: LinkCreateAttr is 64 initialised bytes (repr(C), `new`
        // zeroes the whole union, no padding outside it).
        unsafe { core::mem::transmute_copy(&a) }
    }

    fn with_byte(off: usize, b: u8) -> Zeroed<C> {
        let mut o = zeroed();
        o.set_byte(off, b);
        o
    }

    #[test]
    fn null_and_zeroed_opts_give_the_plain_attr_for_every_attach_type() {
        for t in 0..128u32 {
            // (NULL takes a short cut; zeroed options go the whole way.)
            let plain = bytes(Ok(LinkCreateAttr::new(5, 6, t, 0)));
            // SAFETY: NULL is allowed.
            let null = unsafe { create_attr(5, 6, t, core::ptr::null()) };
            assert_eq!(bytes(null), plain, "type {t}");
            assert_eq!(bytes(parse(&zeroed(), t)), plain, "type {t}");
            // SAFETY: NULL is allowed.
            assert!(unsafe { raw_tp_fallback(core::ptr::null()) });
        }
        assert!(fallback(&zeroed()));
    }

    #[test]
    fn target_btf_id_short_cuts_the_switch() {
        let mut o = zeroed();
        o.target_btf_id = 77;
        assert_eq!(
            &bytes(parse(&o, BPF_TCX_INGRESS))[16..20],
            &77u32.to_ne_bytes()
        );
        o.iter_info_len = 4;
        assert_eq!(parse(&o, BPF_TCX_INGRESS).err(), Some(EINVAL));
        let mut o = zeroed();
        o.target_btf_id = 77;
        o.u.tcx.relative_fd = 1;
        assert_eq!(parse(&o, BPF_TCX_INGRESS).err(), Some(EINVAL));
    }

    #[test]
    fn iter_reads_info_without_a_zero_check() {
        let mut info = crate::opts::bpf_iter_link_info { raw: [0; 2] };
        let mut o = zeroed();
        o.iter_info = &mut info;
        o.iter_info_len = 16;
        let a = bytes(parse(&o, BPF_TRACE_ITER));
        assert_eq!(&a[16..24], &(o.iter_info as usize as u64).to_ne_bytes());
        assert_eq!(&a[24..28], &16u32.to_ne_bytes());
        // iter_info_len with anything in the union is refused.
        o.u.perf_event.bpf_cookie = 1;
        assert_eq!(parse(&o, BPF_TRACE_ITER).err(), Some(EINVAL));
    }

    #[test]
    fn each_branch_refuses_bytes_after_its_member() {
        // (attach type, where its member ends): 1.8's ends, uprobe_multi's
        // at 80 (path_fd), tracing_multi's at 56 (with its tail padding,
        // as libbpf's offsetofend counts it).
        let cases: &[(u32, usize)] = &[
            (BPF_PERF_EVENT, 40),
            (BPF_TRACE_KPROBE_MULTI, 64),
            (BPF_TRACE_UPROBE_SESSION, 80),
            (BPF_TRACE_RAW_TP, 40),
            (BPF_TRACE_FSESSION, 40),
            (BPF_LSM_MAC, 40),
            (BPF_NETFILTER, 48),
            (BPF_TCX_EGRESS, 48),
            (BPF_NETKIT_PEER, 48),
            (BPF_CGROUP_SYSCTL, 48),
            (BPF_LSM_CGROUP, 48),
            (BPF_TRACE_FENTRY_MULTI, 56),
            (BPF_TRACE_FSESSION_MULTI, 56),
            (BPF_XDP, 16),
            (BPF_SK_LOOKUP, 16),
            (1000, 16),
        ];
        for &(t, end) in cases {
            assert!(parse(&with_byte(end - 1, 0), t).is_ok(), "type {t}");
            if end < 80 {
                assert_eq!(
                    parse(&with_byte(end, 1), t).err(),
                    Some(EINVAL),
                    "type {t} byte {end}"
                );
            }
            // path_fd: only the uprobe branches read it, the others'
            // OPTS_ZEROED refuses it (without OPTS_VALID's warning).
            assert_eq!(
                parse(&with_byte(79, 1), t).is_err(),
                end <= 79,
                "type {t} byte 79"
            );
        }
    }

    #[test]
    fn typed_branches_ignore_a_stale_iter_info_but_the_default_does_not() {
        let o = with_byte(16, 0xaa); // iter_info low byte, iter_info_len 0
        assert!(parse(&o, BPF_TCX_INGRESS).is_ok());
        assert!(!fallback(&o));
        assert_eq!(parse(&o, BPF_XDP).err(), Some(EINVAL));
        // Padding after `flags` is checked by the default branch only.
        assert!(parse(&with_byte(12, 1), BPF_NETFILTER).is_ok());
        assert_eq!(parse(&with_byte(12, 1), BPF_XDP).err(), Some(EINVAL));
    }

    #[test]
    fn relative_fd_and_id_are_exclusive_and_id_adds_bpf_f_id() {
        for t in [BPF_TCX_INGRESS, BPF_NETKIT_PRIMARY, BPF_CGROUP_INET_INGRESS] {
            let mut o = zeroed();
            o.flags = BPF_F_AFTER;
            o.u.cgroup.relative_id = 42;
            o.u.cgroup.expected_revision = 9;
            let a = parse(&o, t).unwrap();
            assert_eq!(a.flags, BPF_F_AFTER | BPF_F_ID);
            let b = bytes(Ok(a));
            assert_eq!(&b[16..20], &42u32.to_ne_bytes());
            assert_eq!(&b[24..32], &9u64.to_ne_bytes());
            o.u.cgroup.relative_fd = 3;
            assert_eq!(parse(&o, t).err(), Some(EINVAL));
            o.u.cgroup.relative_id = 0;
            let a = parse(&o, t).unwrap();
            assert_eq!(a.flags, BPF_F_AFTER);
            assert_eq!(&bytes(Ok(a))[16..20], &3u32.to_ne_bytes());
        }
    }

    #[test]
    fn uprobe_multi_fields_land_in_uapi_order() {
        // Field by field: assigning a whole struct value would copy its
        // padding (bytes 76..80 of the options) as uninitialised bytes,
        // which the reader then checks, as libbpf does.
        let mut o = zeroed();
        o.u.uprobe_multi.flags = 1;
        o.u.uprobe_multi.cnt = 2;
        o.u.uprobe_multi.path = 0x1000 as *const _;
        o.u.uprobe_multi.offsets = 0x2000 as *const _;
        o.u.uprobe_multi.ref_ctr_offsets = 0x3000 as *const _;
        o.u.uprobe_multi.cookies = 0x4000 as *const _;
        o.u.uprobe_multi.pid = 99;
        let a = bytes(parse(&o, BPF_TRACE_UPROBE_MULTI));
        assert_eq!(&a[16..24], &0x1000u64.to_ne_bytes());
        assert_eq!(&a[24..32], &0x2000u64.to_ne_bytes());
        assert_eq!(&a[32..40], &0x3000u64.to_ne_bytes());
        assert_eq!(&a[40..48], &0x4000u64.to_ne_bytes());
        assert_eq!(&a[48..52], &2u32.to_ne_bytes());
        assert_eq!(&a[52..56], &1u32.to_ne_bytes());
        assert_eq!(&a[56..60], &99u32.to_ne_bytes());
    }

    #[test]
    fn libbpf_1_8_path_fd_and_tracing_multi_reach_the_attr() {
        let mut o = zeroed();
        o.u.uprobe_multi.flags = BPF_F_UPROBE_MULTI_PATH_FD;
        o.u.uprobe_multi.path_fd = 7;
        let a = bytes(parse(&o, BPF_TRACE_UPROBE_MULTI));
        assert_eq!(&a[52..56], &BPF_F_UPROBE_MULTI_PATH_FD.to_ne_bytes());
        assert_eq!(&a[60..64], &7u32.to_ne_bytes());
        // Elsewhere path_fd is a byte that must stay zero.
        assert_eq!(parse(&o, BPF_PERF_EVENT).err(), Some(EINVAL));
        let mut o = zeroed();
        o.u.tracing_multi.ids = 0x1000 as *const _;
        o.u.tracing_multi.cookies = 0x2000 as *const _;
        o.u.tracing_multi.cnt = 3;
        for t in [
            BPF_TRACE_FENTRY_MULTI,
            BPF_TRACE_FEXIT_MULTI,
            BPF_TRACE_FSESSION_MULTI,
        ] {
            let a = bytes(parse(&o, t));
            assert_eq!(&a[16..24], &0x1000u64.to_ne_bytes());
            assert_eq!(&a[24..32], &0x2000u64.to_ne_bytes());
            assert_eq!(&a[32..36], &3u32.to_ne_bytes());
            assert_eq!(&a[36..64], &[0; 28]);
        }
        // libbpf 1.7.0 sent these types to its default branch.
        assert_eq!(parse(&o, BPF_TRACE_FSESSION).err(), Some(EINVAL));
    }

    #[test]
    fn tracing_cookie_sits_after_the_overlaid_btf_id() {
        let mut o = zeroed();
        o.u.tracing.cookie = 0x55;
        let a = bytes(parse(&o, BPF_TRACE_FENTRY));
        assert_eq!(&a[16..24], &[0; 8]);
        assert_eq!(&a[24..32], &0x55u64.to_ne_bytes());
        assert!(!fallback(&o));
    }

    #[test]
    fn netfilter_and_perf_event_fields() {
        let mut o = zeroed();
        o.u.netfilter.pf = 2;
        o.u.netfilter.hooknum = 1;
        o.u.netfilter.priority = -128;
        o.u.netfilter.flags = 1;
        let a = bytes(parse(&o, BPF_NETFILTER));
        assert_eq!(&a[16..20], &2u32.to_ne_bytes());
        assert_eq!(&a[20..24], &1u32.to_ne_bytes());
        assert_eq!(&a[24..28], &(-128i32).to_ne_bytes());
        assert_eq!(&a[28..32], &1u32.to_ne_bytes());
        let mut o = zeroed();
        o.u.perf_event.bpf_cookie = u64::MAX;
        assert_eq!(
            &bytes(parse(&o, BPF_PERF_EVENT))[16..24],
            &u64::MAX.to_ne_bytes()
        );
    }

    #[test]
    fn update_and_fd_by_id_options() {
        let mut u = Zeroed::<bpf_link_update_opts>::new();
        u.flags = 4;
        u.old_map_fd = 7;
        // SAFETY: a full-size struct, every byte initialised.
        let a = unsafe { update_attr(1, 2, u.as_ptr()) }.unwrap();
        assert_eq!(
            (a.link_fd, a.new_prog_fd, a.flags, a.old_prog_fd),
            (1, 2, 4, 7)
        );
        u.old_prog_fd = 8;
        // SAFETY: as above.
        assert_eq!(unsafe { update_attr(1, 2, u.as_ptr()) }.err(), Some(EINVAL));
        let f = bpf_get_fd_by_id_opts {
            open_flags: 3,
            token_fd: 9,
            ..Default::default()
        };
        // SAFETY: a full-size struct without padding.
        assert_eq!(unsafe { fd_by_id_flags(&f) }, Ok(3));
    }
}
