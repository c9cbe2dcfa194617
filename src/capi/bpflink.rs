//! `<bpflink.h>`: bpflink's own additions, outside libbpf's namespaces.

use core::ffi::c_int;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

use errno::Errno;

use crate::ffi_ptr;
use crate::object::{self, bpf_link};

/// @brief Wraps an existing link fd into a link object, taking ownership
/// of the fd.
///
/// libbpf can only make link objects by attaching programs or by opening
/// a pin. This builds one around any link fd, for example one returned by
/// bpf_link_create() or bpf_link_get_fd_by_id(), so that the object
/// functions (bpf_link__pin(), bpf_link__update_program(),
/// bpf_link__destroy(), ...) apply to it.
///
/// @param fd an open BPF link fd. On success it belongs to the object and
///        is closed by bpf_link__destroy(); on failure it stays the
///        caller's.
/// @return a new link object, to be released with bpf_link__destroy(); NULL
///         on failure with errno set: EINVAL when @p fd is not a BPF link
///         (a program, a map, any other file), EBADF when it is not open,
///         ENOENT when /proc is not mounted (the fd's kind is read from
///         /proc/self/fd), ENOMEM.
///
/// Thread-safe. Example:
/// @code
/// int fd = bpf_link_get_fd_by_id(id);
/// struct bpf_link *link = fd < 0 ? NULL : bpflink_link_from_fd(fd);
/// if (!link && fd >= 0)
///         close(fd);
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn bpflink_link_from_fd(fd: c_int) -> *mut bpf_link {
    ffi_ptr!(c"bpflink_link_from_fd"(fd), {
        if fd < 0 {
            return Err(Errno(libc::EBADF));
        }
        // SAFETY: the caller hands over ownership of `fd` for the duration
        // of this call; on failure it is given back unclosed below.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        object::from_fd(owned).map_err(|(e, back)| {
            let _ = back.into_raw_fd();
            e
        })
    })
}
