//! `<bpflink.h>`: bpflink's own additions, outside libbpf's namespaces.

use core::ffi::c_int;

use super::ffi;
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
    ffi!(c"bpflink_link_from_fd"(fd) {
        // SAFETY: the function's contract: the caller gives `fd` away,
        // and gets it back untouched on failure.
        unsafe { object::from_fd(fd) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panic_point::arm;
    use crate::testutil::capture_warnings;

    /// Whether `fd` is open.
    fn is_open(fd: c_int) -> bool {
        // SAFETY: F_GETFD only asks about the fd.
        unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
    }

    /// The fd stays the caller's whenever no object is returned: a panic
    /// in the middle of the body (after the fd has been looked at) must
    /// not close it on the way out.
    #[test]
    fn a_panic_inside_leaves_the_callers_fd_open() {
        // SAFETY: a NUL-terminated path; the fd is closed below.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        assert!(fd >= 0);
        let (r, msgs) = capture_warnings(|| {
            arm(c"bpflink_link_from_fd:inside");
            let p = bpflink_link_from_fd(fd);
            (p.is_null(), errno::errno().0)
        });
        assert_eq!(r, (true, libc::ENOTRECOVERABLE));
        assert_eq!(
            msgs,
            ["libbpf: bpflink: internal error in bpflink_link_from_fd\n"]
        );
        assert!(is_open(fd), "the caller's fd was closed");
        // Not a link: refused, and still the caller's.
        assert!(bpflink_link_from_fd(fd).is_null());
        assert_eq!(errno::errno().0, libc::EINVAL);
        assert!(is_open(fd));
        // SAFETY: ours, closed once.
        unsafe { libc::close(fd) };
    }
}
