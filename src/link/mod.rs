//! The safe Rust API for BPF links.
//!
//! Every function maps to one `bpf(2)` command and returns
//! `Result<_, Errno>`. Fds are taken as [`AsFd`] (an fd the caller holds
//! for the call) and new ones come back as [`OwnedFd`], so each is closed
//! exactly once and no function acts on an fd its caller does not own, as
//! in rustix. The C layer, which must pass any integer (even -1) to the
//! kernel as libbpf does, goes through [`libbpf`] instead.
//!
//! ```no_run
//! use bpflink::link::{self, CreateOpts, Target};
//! # fn f(prog: std::os::fd::OwnedFd, cgroup: std::fs::File) -> Result<(), errno::Errno> {
//! use std::os::fd::AsFd;
//! let fd = link::create(&prog, Target::Fd(cgroup.as_fd()),
//!                       bpflink::sys::consts::attach::BPF_CGROUP_INET_INGRESS,
//!                       &CreateOpts::default())?;
//! let info = link::info(&fd)?;
//! println!("link {} attaches program {}", info.id, info.prog_id);
//! drop(fd); // detaches
//! # Ok(()) }
//! ```

mod create;
mod info;
pub mod libbpf;
mod prog;

pub use create::{Anchor, CreateOpts, Extra, IterInfo, Target, create};
pub use info::{
    Detail, Details, IterTarget, LinkInfo, PerfEvent, attach_type_str, details, info, info_into,
    link_type_str,
};
pub use prog::prog_fd_by_id;

use core::ffi::{CStr, c_char};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use errno::Errno;

use crate::sys::{self, attr::LinkUpdateAttr};

/// Detaches the link from its hook without closing any fd
/// (`BPF_LINK_DETACH`). The link object stays alive, defunct, until its
/// last fd closes. `EOPNOTSUPP` for link types the kernel cannot detach
/// (perf_event, iter, ...).
pub fn detach(link: impl AsFd) -> Result<(), Errno> {
    sys::link_detach(link.as_fd().as_raw_fd())
}

/// Options of [`update`].
#[derive(Clone, Copy, Debug, Default)]
pub struct UpdateOpts<'a> {
    /// `BPF_F_REPLACE` makes the update conditional on `old`.
    pub flags: u32,
    /// The program (or, for struct_ops, map) expected to be attached now.
    pub old: Option<BorrowedFd<'a>>,
}

/// Replaces the program of a link (`BPF_LINK_UPDATE`); for struct_ops links
/// `new` is a map. With `BPF_F_REPLACE` the kernel refuses (`EPERM`)
/// unless `opts.old` is attached now.
pub fn update(link: impl AsFd, new: impl AsFd, opts: &UpdateOpts<'_>) -> Result<(), Errno> {
    sys::link_update(&LinkUpdateAttr {
        link_fd: link.as_fd().as_raw_fd() as u32,
        new_prog_fd: new.as_fd().as_raw_fd() as u32,
        flags: opts.flags,
        old_prog_fd: opts.old.map_or(0, |fd| fd.as_raw_fd() as u32),
    })
}

/// The first link id greater than `start_id`; `ENOENT` after the last.
pub fn next_id(start_id: u32) -> Result<u32, Errno> {
    sys::link_get_next_id(start_id)
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

/// Opens a new fd for the link with this id (`BPF_LINK_GET_FD_BY_ID`):
/// `ENOENT` if no such link exists, `EPERM` without CAP_SYS_ADMIN.
pub fn fd_by_id(id: u32, opts: &FdByIdOpts) -> Result<OwnedFd, Errno> {
    sys::link_get_fd_by_id(id, opts.open_flags)
}

/// Creates a readable fd that runs an iterator link each time it is read
/// from the start (`BPF_ITER_CREATE`).
pub fn iter_create(link: impl AsFd) -> Result<OwnedFd, Errno> {
    sys::iter_create(link.as_fd().as_raw_fd())
}

/// Pins the object behind `fd` at `path`, which must be on a bpffs
/// (`BPF_OBJ_PIN`). The pin keeps the link alive after every fd is closed.
pub fn pin(fd: impl AsFd, path: &CStr) -> Result<(), Errno> {
    pin_raw(fd.as_fd().as_raw_fd(), path)
}

/// [`pin`] for the link object, which holds a raw fd.
pub(crate) fn pin_raw(fd: RawFd, path: &CStr) -> Result<(), Errno> {
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
pub(crate) fn open_pinned_at(path: *const c_char) -> Result<OwnedFd, Errno> {
    sys::obj_get(path as usize as u64, 0, 0)
}

/// Whether `fd` refers to a BPF link. The kernel names link files
/// `anon_inode:bpf_link` (created) or `anon_inode:bpf-link` (opened from a
/// pin), visible through `/proc/self/fd`; programs and maps have other
/// names. Needs `/proc`: `ENOENT` when `/proc/self/fd` is missing (procfs
/// not mounted), other errors of readlink(2) as they come.
pub fn is_link(fd: impl AsFd) -> Result<bool, Errno> {
    is_link_raw(fd.as_fd().as_raw_fd())
}

/// [`is_link`] for any number: `EBADF` when `fd` is not open.
pub(crate) fn is_link_raw(fd: RawFd) -> Result<bool, Errno> {
    let mut path = *b"/proc/self/fd/\0\0\0\0\0\0\0\0\0\0\0";
    if fd < 0 {
        return Err(Errno(libc::EBADF));
    }
    // Decimal digits of `fd` after the prefix (at most 10 for an i32),
    // written from the last one back; a NUL stays after them.
    let mut n = fd as u32;
    let digits = (fd.checked_ilog10().unwrap_or(0) + 1) as usize;
    for slot in path.iter_mut().skip(14).take(digits).rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
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
    let name = buf.get(..r as usize).unwrap_or_default();
    Ok(name == b"anon_inode:bpf_link" || name == b"anon_inode:bpf-link")
}
