//! `<bpf/libbpf.h>`: the link object, logging and link type names.
#![allow(non_camel_case_types)]

use core::ffi::{CStr, c_char, c_int};

use super::ffi;
use crate::capi::trace::{FnPtr, Str};
use crate::link;
use crate::log::{self, libbpf_print_fn_t};
use crate::object::{self, bpf_link, bpf_program};

/// `enum bpf_link_type` from `<linux/bpf.h>`; an integer on the Rust side.
pub type bpf_link_type = u32;

/// @brief Sets the function that receives the library's messages and
/// returns the previous one.
///
/// Messages come with a level (LIBBPF_WARN, LIBBPF_INFO, LIBBPF_DEBUG), a
/// printf format beginning with "libbpf: " and its arguments as a va_list.
/// The default function prints to stderr the messages at or below the level
/// named by the LIBBPF_LOG_LEVEL environment variable ("warn", "info" or
/// "debug"; default "info"). The low-level link functions print only when
/// refusing an options struct. When libbpf itself is loaded in the process
/// (preload, or linking -lbpflink before -lbpf), @p fn is installed there as
/// well, so both libraries report to the same place. errno is preserved
/// across every call of the callback.
///
/// @param fn the new callback, or NULL to drop all messages.
/// @return the previous callback (the default one unless changed before).
///
/// Thread-safe (an atomic exchange). Example:
/// @code
/// static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
/// {
///         return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
/// }
/// libbpf_set_print(quiet);
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn libbpf_set_print(r#fn: libbpf_print_fn_t) -> libbpf_print_fn_t {
    ffi!(c"libbpf_set_print"(FnPtr(r#fn.map(|f| f as usize))) {
        log::set_print(r#fn)
    })
}

/// @brief Gives the name of a link type, as libbpf and bpftool print it.
///
/// @param t a link type (enum bpf_link_type).
/// @return a static string such as "cgroup", "xdp" or "tcx" (never to be
///         freed), or NULL for a value libbpf 1.7.0 does not know.
///
/// Thread-safe. Example:
/// @code
/// const char *name = libbpf_bpf_link_type_str(info.type);
/// printf("%s\n", name ? name : "unknown");
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn libbpf_bpf_link_type_str(t: bpf_link_type) -> *const c_char {
    ffi!(c"libbpf_bpf_link_type_str"(t) {
        Ok(link::link_type_str(t).map_or(core::ptr::null(), CStr::as_ptr))
    })
}

/// @brief Opens the link pinned at @p path and wraps it in a link object.
///
/// The object owns a new fd for the pinned link and remembers @p path as
/// its pin path. Destroying it closes that fd but leaves the pin (and so
/// the attachment) in place. As in libbpf, the pinned object is not checked
/// to be a link; a pinned program or map is accepted.
///
/// @param path a file on a bpffs where a link was pinned.
/// @return a new link object, to be released with bpf_link__destroy(); NULL
///         on failure with errno set: ENOENT when nothing is pinned there,
///         EPERM without privileges, EACCES when a directory on the path
///         may not be searched, ENAMETOOLONG, EMFILE when the process is
///         out of fds, EFAULT for a NULL path, ENOMEM. A
///         failure is also reported through the print callback ("failed to
///         open link at ...").
///
/// Thread-safe. Example:
/// @code
/// struct bpf_link *link = bpf_link__open("/sys/fs/bpf/my_link");
/// if (!link)
///         return -errno;
/// bpf_link__detach(link);        // stop it in the kernel
/// bpf_link__unpin(link);         // remove the pin file
/// bpf_link__destroy(link);       // close the fd, free the object
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__open(path: *const c_char) -> *mut bpf_link {
    ffi!(c"bpf_link__open"(Str(path)) {
        // SAFETY: libbpf's contract: NULL or a NUL-terminated string.
        unsafe { object::open(path) }
    })
}

/// @brief Gives the fd of a link object.
///
/// @param link the link object.
/// @return the link's fd, owned by the object: do not close it (it is
///         closed by bpf_link__destroy()), dup() it to keep it longer. For
///         a NULL link, -EINVAL with errno EINVAL (libbpf would crash).
///
/// Thread-safe. Example:
/// @code
/// struct bpf_link_info info = {};
/// __u32 len = sizeof(info);
/// bpf_link_get_info_by_fd(bpf_link__fd(link), &info, &len);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__fd(link: *const bpf_link) -> c_int {
    ffi!(c"bpf_link__fd"(link) {
        // SAFETY: libbpf's contract: a live link object (NULL refused).
        unsafe { object::fd(link) }
    })
}

/// @brief Gives the path where a link object is pinned.
///
/// @param link the link object.
/// @return the pin path (owned by the object, valid until it is unpinned or
///         destroyed), or NULL when it is not pinned. NULL with errno
///         EINVAL for a NULL link (libbpf would crash).
///
/// Thread-safe with respect to other readers. Example:
/// @code
/// const char *where = bpf_link__pin_path(link);
/// printf("pinned at %s\n", where ? where : "(nowhere)");
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__pin_path(link: *const bpf_link) -> *const c_char {
    ffi!(c"bpf_link__pin_path"(link) {
        // SAFETY: libbpf's contract: a live link object (NULL refused).
        unsafe { object::pin_path(link) }
    })
}

/// @brief Pins a link at @p path on a bpffs, so that it outlives every fd.
///
/// The directory holding @p path is created first if missing (one level,
/// mode 0700); it must be on a bpffs. On success the object remembers the
/// path. A failed pin leaves the object as it was.
///
/// @param link the link object; must not be pinned already.
/// @param path where to pin it, e.g. "/sys/fs/bpf/my_link".
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EBUSY if the object is already pinned, -EINVAL when the path is
///         not on a bpffs (with the warning "specified path ... is not on
///         BPF FS") or is NULL or the link is NULL (libbpf would crash),
///         -EEXIST when the file exists, errors of mkdir() and statfs()
///         (with a warning), -ENOMEM.
///
/// Not thread-safe on the same object. Example:
/// @code
/// if (bpf_link__pin(link, "/sys/fs/bpf/my_link"))
///         fprintf(stderr, "pin: %s\n", strerror(errno));
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__pin(link: *mut bpf_link, path: *const c_char) -> c_int {
    ffi!(c"bpf_link__pin"(link, Str(path)) {
        // SAFETY: libbpf's contract: a live link object and a string.
        unsafe { object::pin(link, path) }.map(|()| 0)
    })
}

/// @brief Removes the pin of a link object.
///
/// The pin file is unlinked and the object forgets the path; the link
/// itself lives on while the object's fd (or any other reference) exists.
///
/// @param link the link object.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EINVAL when the object is not pinned (or the link is NULL), or
///         the error of unlink() (the pin path is then kept).
///
/// Not thread-safe on the same object. Example:
/// @code
/// bpf_link__unpin(link);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__unpin(link: *mut bpf_link) -> c_int {
    ffi!(c"bpf_link__unpin"(link) {
        // SAFETY: libbpf's contract: a live link object (NULL refused).
        unsafe { object::unpin(link) }.map(|()| 0)
    })
}

/// @brief Replaces the program of a link with a libbpf program.
///
/// @p prog is libbpf's struct bpf_program: its fd is read with libbpf's own
/// bpf_program__fd(), looked up in the running process, so this works
/// whenever libbpf is loaded (preload, or -lbpflink -lbpf).
///
/// @param link the link object.
/// @param prog a loaded program of the libbpf in this process.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EINVAL when @p prog has no fd (not loaded; with libbpf's
///         warning), when no libbpf is loaded (with a warning), when the
///         kernel refuses the program (wrong type) or the link is NULL;
///         -EOPNOTSUPP or -EINVAL for links that cannot be updated;
///         -ENOLINK after detach.
///
/// Thread-safe. Example:
/// @code
/// struct bpf_program *v2 = bpf_object__find_program_by_name(obj, "v2");
/// if (bpf_link__update_program(link, v2))
///         fprintf(stderr, "update: %s\n", strerror(errno));
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__update_program(
    link: *mut bpf_link,
    prog: *mut bpf_program,
) -> c_int {
    ffi!(c"bpf_link__update_program"(link, prog) {
        // SAFETY: libbpf's contract: a live link object and a program of
        // the libbpf in this process.
        unsafe { object::update_program(link, prog) }.map(|()| 0)
    })
}

/// @brief Lets the attachment outlive the link object.
///
/// After this, bpf_link__destroy() frees the object without detaching:
/// the link's fd is left open (so the program stays attached until the
/// process exits or the fd is closed by other means), and a pinned link
/// stays pinned. A NULL link is ignored.
///
/// @param link the link object.
///
/// Not thread-safe on the same object. Example:
/// @code
/// bpf_link__pin(link, "/sys/fs/bpf/keep");
/// bpf_link__disconnect(link);
/// bpf_link__destroy(link); // still attached, through the pin
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__disconnect(link: *mut bpf_link) {
    ffi!(c"bpf_link__disconnect"(link) {
        // SAFETY: libbpf's contract: a live link object (NULL ignored).
        let _ = unsafe { object::disconnect(link) };
    })
}

/// @brief Detaches a link in the kernel (BPF_LINK_DETACH), keeping the
/// object and its fd.
///
/// The program stops running; the object must still be destroyed with
/// bpf_link__destroy().
///
/// @param link the link object.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EOPNOTSUPP for link types that cannot be detached (perf_event,
///         iter, ...), -EINVAL when the object's fd is not a BPF link (for
///         example libbpf's perf-event attachments without link support) or
///         the link is NULL.
///
/// Thread-safe. Example:
/// @code
/// bpf_link__detach(link);
/// bpf_link__destroy(link);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__detach(link: *mut bpf_link) -> c_int {
    ffi!(c"bpf_link__detach"(link) {
        // SAFETY: libbpf's contract: a live link object (NULL refused).
        unsafe { object::detach(link) }.map(|()| 0)
    })
}

/// @brief Releases a link object: detaches (unless disconnected) and frees.
///
/// Works on link objects made by bpflink and by libbpf alike, running the
/// object's own detach and free callbacks. For a plain link, detaching
/// means closing its fd: the program is detached unless the link is pinned
/// or another fd refers to it. The pin path string is freed; the pin file
/// is not removed. NULL and error pointers are accepted and ignored.
///
/// @param link the link object; invalid afterwards.
/// @return what the object's detach callback returned: 0, or its negative
///         error code (also stored in errno), or 0 when the callback did not
///         run (disconnected, or no callback); the object is freed either way.
///
/// Not thread-safe on the same object. Example:
/// @code
/// bpf_link__destroy(link);
/// link = NULL;
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link__destroy(link: *mut bpf_link) -> c_int {
    ffi!(c"bpf_link__destroy"(link) {
        // SAFETY: libbpf's contract: NULL, ERR_PTR, or a live link object.
        unsafe { object::destroy(link) }
    })
}
