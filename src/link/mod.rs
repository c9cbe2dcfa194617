//! The safe Rust API for BPF links.
//!
//! Every function maps to one `bpf(2)` command (plus libbpf's checks on its
//! options) and returns `Result<_, Errno>`; new fds come back as
//! [`OwnedFd`], so they are closed exactly once. Fds given as arguments are
//! raw numbers passed to the kernel unchecked: an invalid one gives the
//! kernel's error (usually `EBADF`), never undefined behaviour here.
//!
//! ```no_run
//! use std::os::fd::AsRawFd;
//! use bpflink::link;
//! # fn f(prog: std::os::fd::OwnedFd, cgroup: std::fs::File) -> Result<(), errno::Errno> {
//! let fd = link::create(prog.as_raw_fd(), cgroup.as_raw_fd(),
//!                       bpflink::sys::consts::attach::BPF_CGROUP_INET_INGRESS,
//!                       &link::CreateOpts::default())?;
//! let info = link::info(fd.as_raw_fd())?;
//! println!("link {} attaches program {}", info.id, info.prog_id);
//! drop(fd); // detaches
//! # Ok(()) }
//! ```

mod create;
mod info;
mod prog;

pub use create::{Anchor, CreateOpts, Extra, create, create_plain};
pub(crate) use info::info_into_ret;
pub use info::{
    Detail, Details, IterTarget, LinkInfo, PerfEvent, attach_type_str, details, info, info_into,
    link_type_str,
};
pub use prog::prog_fd_by_id;

use core::ffi::{CStr, c_char, c_int};
use std::os::fd::{OwnedFd, RawFd};

use errno::Errno;

use crate::opts::{Opts, bpf_get_fd_by_id_opts, bpf_link_update_opts};
use crate::opts_get;
use crate::sys::{self, attr::LinkUpdateAttr};

/// Detaches the link from its hook without closing any fd
/// (`BPF_LINK_DETACH`). The link object stays alive, defunct, until its
/// last fd closes. `EOPNOTSUPP` for link types the kernel cannot detach
/// (perf_event, iter, ...).
pub fn detach(link_fd: RawFd) -> Result<(), Errno> {
    sys::link_detach(link_fd)
}

/// Options of [`update`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateOpts {
    /// `BPF_F_REPLACE` makes the update conditional on `old`.
    pub flags: u32,
    /// The program (or, for struct_ops, map) fd expected to be attached now;
    /// 0 for none.
    pub old_fd: u32,
}

impl UpdateOpts {
    /// Reads libbpf's `struct bpf_link_update_opts` as libbpf v1.7.0 does:
    /// `OPTS_VALID`, then `old_prog_fd` and `old_map_fd` may not both be set.
    ///
    /// # Safety
    /// `opts` is NULL or points to at least its own `sz` readable bytes.
    #[inline]
    pub unsafe fn from_libbpf(opts: *const bpf_link_update_opts) -> Result<Self, Errno> {
        // SAFETY: forwarded contract.
        let o = unsafe { Opts::read(opts)? };
        let old_prog: u32 = opts_get!(o, bpf_link_update_opts, old_prog_fd);
        let old_map: u32 = opts_get!(o, bpf_link_update_opts, old_map_fd);
        if old_prog != 0 && old_map != 0 {
            return Err(Errno(libc::EINVAL));
        }
        Ok(Self {
            flags: opts_get!(o, bpf_link_update_opts, flags),
            old_fd: if old_prog != 0 { old_prog } else { old_map },
        })
    }
}

/// Replaces the program of a link (`BPF_LINK_UPDATE`); for struct_ops links
/// `new_fd` is a map. With `BPF_F_REPLACE` the kernel refuses (`EPERM`)
/// unless `opts.old_fd` is attached now.
pub fn update(link_fd: RawFd, new_fd: RawFd, opts: &UpdateOpts) -> Result<(), Errno> {
    update_ret(link_fd, new_fd, opts).map(drop)
}

/// [`update`], keeping the kernel's return value (0) for the C API, which
/// returns it as libbpf does.
#[inline]
pub(crate) fn update_ret(link_fd: RawFd, new_fd: RawFd, opts: &UpdateOpts) -> Result<c_int, Errno> {
    sys::link_update_ret(&LinkUpdateAttr {
        link_fd: link_fd as u32,
        new_prog_fd: new_fd as u32,
        flags: opts.flags,
        old_prog_fd: opts.old_fd,
    })
}

/// The first link id greater than `start_id`; `ENOENT` after the last.
pub fn next_id(start_id: u32) -> Result<u32, Errno> {
    sys::link_get_next_id(start_id)
}

/// [`next_id`], with the kernel's return value (0) for the C API, which
/// returns it as libbpf does: `(ret, id)`.
#[inline]
pub(crate) fn next_id_ret(start_id: u32) -> Result<(c_int, u32), Errno> {
    sys::link_get_next_id_ret(start_id)
}

/// Iterates over the ids of all links on the system, in increasing order,
/// stopping at the end of the list or at the first error other than the
/// end (which it yields).
pub fn ids() -> impl Iterator<Item = Result<u32, Errno>> {
    let mut cur = Some(0u32);
    core::iter::from_fn(move || {
        let start = cur?;
        match next_id(start) {
            Ok(id) => {
                cur = Some(id);
                Some(Ok(id))
            }
            Err(e) if e.0 == libc::ENOENT => {
                cur = None;
                None
            }
            Err(e) => {
                cur = None;
                Some(Err(e))
            }
        }
    })
}

/// Options of [`fd_by_id`]: libbpf's `struct bpf_get_fd_by_id_opts`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FdByIdOpts {
    /// Requested access; the kernel accepts only 0 for links.
    pub open_flags: u32,
}

impl FdByIdOpts {
    /// Reads libbpf's options as `bpf_link_get_fd_by_id_opts` does;
    /// `token_fd` is accepted and not used, as in libbpf v1.7.0.
    ///
    /// # Safety
    /// `opts` is NULL or points to at least its own `sz` readable bytes.
    #[inline]
    pub unsafe fn from_libbpf(opts: *const bpf_get_fd_by_id_opts) -> Result<Self, Errno> {
        // SAFETY: forwarded contract.
        let o = unsafe { Opts::read(opts)? };
        Ok(Self {
            open_flags: opts_get!(o, bpf_get_fd_by_id_opts, open_flags),
        })
    }
}

/// Opens a new fd for the link with this id (`BPF_LINK_GET_FD_BY_ID`):
/// `ENOENT` if no such link exists, `EPERM` without CAP_SYS_ADMIN.
pub fn fd_by_id(id: u32, opts: &FdByIdOpts) -> Result<OwnedFd, Errno> {
    sys::link_get_fd_by_id(id, opts.open_flags)
}

/// Creates a readable fd that runs an iterator link each time it is read
/// from the start (`BPF_ITER_CREATE`).
pub fn iter_create(link_fd: RawFd) -> Result<OwnedFd, Errno> {
    sys::iter_create(link_fd)
}

/// Pins the object behind `fd` at `path`, which must be on a bpffs
/// (`BPF_OBJ_PIN`). The pin keeps the link alive after every fd is closed.
pub fn pin(fd: RawFd, path: &CStr) -> Result<(), Errno> {
    sys::obj_pin(fd, path.as_ptr() as usize as u64, 0, 0)
}

/// Whether `path` is on a BPF filesystem (`statfs` reports `BPF_FS_MAGIC`);
/// `path` itself must exist (for a pin about to be made, ask about its
/// directory). The error is `statfs`'s (`ENOENT`, `EACCES`, ...).
pub fn on_bpffs(path: &CStr) -> Result<bool, Errno> {
    // SAFETY: an all-zero statfs is a valid out-buffer.
    let mut st: libc::statfs = unsafe { core::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated; `st` is writable.
    if unsafe { libc::statfs(path.as_ptr(), &mut st) } != 0 {
        return Err(crate::sys::errno());
    }
    Ok(st.f_type as u64 == libc::BPF_FS_MAGIC as u64)
}

/// Opens the BPF object pinned at `path` (`BPF_OBJ_GET`); it may be a
/// link, a program or a map (see [`is_link`]).
pub fn open_pinned(path: &CStr) -> Result<OwnedFd, Errno> {
    open_pinned_at(path.as_ptr())
}

/// [`open_pinned`] with a raw path pointer: the kernel reads the string and
/// answers `EFAULT` for a bad address, NULL included (libbpf passes NULL
/// through the same way).
pub fn open_pinned_at(path: *const c_char) -> Result<OwnedFd, Errno> {
    sys::obj_get(path as usize as u64, 0, 0)
}

/// Whether `fd` refers to a BPF link. The kernel names link files
/// `anon_inode:bpf_link` (created) or `anon_inode:bpf-link` (opened from a
/// pin), visible through `/proc/self/fd`; programs and maps have other
/// names. Needs `/proc`: `EBADF` when `fd` is not open, `ENOENT` when it
/// is open but `/proc/self/fd` is missing (procfs not mounted), other
/// errors of readlink(2) as they come.
pub fn is_link(fd: RawFd) -> Result<bool, Errno> {
    let mut path = *b"/proc/self/fd/\0\0\0\0\0\0\0\0\0\0\0";
    let mut n = fd;
    if n < 0 {
        return Err(Errno(libc::EBADF));
    }
    // Decimal digits of `fd` after the prefix (at most 10 for an i32).
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for i in 0..len {
        path[14 + i] = digits[len - 1 - i];
    }
    let mut buf = [0u8; 64];
    // SAFETY: `path` is NUL-terminated (the array has a zero after the
    // digits); `buf` is writable for its length.
    let r = unsafe {
        libc::readlink(
            path.as_ptr() as *const c_char,
            buf.as_mut_ptr() as *mut c_char,
            buf.len(),
        )
    };
    if r < 0 {
        let e = crate::sys::errno();
        // ENOENT is a closed fd only when /proc is there to say so; an open
        // fd without /proc keeps ENOENT.
        // SAFETY: F_GETFD only reads the fd's flags, on any integer.
        if e.0 == libc::ENOENT && unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
            return Err(Errno(libc::EBADF));
        }
        return Err(e);
    }
    let name = &buf[..r as usize];
    Ok(name == b"anon_inode:bpf_link" || name == b"anon_inode:bpf-link")
}
