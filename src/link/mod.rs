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

pub use create::{Anchor, CreateOpts, Extra, create};
pub use info::{Kind, LinkInfo, info, info_into, link_type_str};

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
    sys::link_update(&LinkUpdateAttr {
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
