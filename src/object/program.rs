//! `struct bpf_program` is libbpf's. bpflink reads it only through
//! libbpf's public accessors, found at run time in the process however
//! libbpf was loaded ([`crate::peer`]; no link dependency on libbpf): with
//! no libbpf loaded, programs cannot exist and the calls that take one
//! fail with `EINVAL`.

use core::ffi::{c_int, c_void};

use errno::Errno;

use super::bpf_program;
use crate::{peer, pr_warn};

/// The program's fd, as libbpf's `bpf_program__fd` reports it; a negative
/// answer is refused with libbpf's warning and `EINVAL`.
///
/// # Safety
/// `prog` is whatever libbpf's accessors accept (NULL or a program of the
/// libbpf in this process).
pub unsafe fn fd(prog: *mut bpf_program) -> Result<c_int, Errno> {
    let Some((get_fd, get_name)) = peer::program_accessors() else {
        pr_warn!(
            "bpflink: bpf_link__update_program needs libbpf's bpf_program__fd(), \
             and no libbpf is loaded in this process\n"
        );
        return Err(Errno(libc::EINVAL));
    };
    // SAFETY: forwarded contract.
    let fd = unsafe { get_fd(prog as *const c_void) };
    if fd < 0 {
        // libbpf prints prog->name here, and crashes on a NULL prog.
        let name = match get_name {
            // SAFETY: forwarded contract; NULL is not passed.
            Some(get_name) if !prog.is_null() => unsafe { get_name(prog as *const c_void) },
            _ => core::ptr::null(),
        };
        let name = if name.is_null() {
            c"(null)".as_ptr()
        } else {
            name
        };
        pr_warn!(
            "prog '%s': can't use BPF program without FD (was it loaded?)\n",
            name
        );
        return Err(Errno(libc::EINVAL));
    }
    Ok(fd)
}
