//! Programs, as far as link commands need them: `bpflink update` names the
//! new and the expected old program by id.

use std::os::fd::OwnedFd;

use errno::Errno;

use crate::sys;

/// Opens a new fd for the program with this id (`BPF_PROG_GET_FD_BY_ID`,
/// the 12-byte attr libbpf v1.7.0's `bpf_prog_get_fd_by_id` passes):
/// `ENOENT` if no such program exists, `EPERM` without CAP_SYS_ADMIN.
pub fn prog_fd_by_id(id: u32) -> Result<OwnedFd, Errno> {
    sys::prog_get_fd_by_id(id, 0)
}
