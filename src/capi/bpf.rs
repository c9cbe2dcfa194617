//! `<bpf/bpf.h>`: the low-level link functions.
#![allow(non_camel_case_types)]

use core::ffi::c_int;
use std::os::fd::IntoRawFd;

use errno::Errno;

use super::ffi;
use crate::link::{self, FdByIdOpts, libbpf};
use crate::opts::{__u32, bpf_get_fd_by_id_opts, bpf_link_create_opts, bpf_link_update_opts};
use crate::sys::info::bpf_link_info;

/// `enum bpf_attach_type` from `<linux/bpf.h>`; an integer on the Rust side.
pub type bpf_attach_type = u32;

const EINVAL: Errno = Errno(libc::EINVAL);

/// @brief Attaches a loaded BPF program to a hook and returns a link fd
/// that owns the attachment (BPF_LINK_CREATE).
///
/// The attach type picks which part of @p opts is read: the iterator info
/// for BPF_TRACE_ITER, the cookie for BPF_PERF_EVENT, the kprobe_multi or
/// uprobe_multi arrays, the tracing cookie, the netfilter hook, or the
/// tcx / netkit / cgroup ordering (relative_fd or relative_id, never both;
/// an id makes the library add BPF_F_ID). Every other byte of @p opts must
/// be zero. If the kernel answers -EINVAL for a raw_tp, fentry, fexit,
/// fmod_ret or LSM program with target_fd 0 and all-zero options, the call
/// is retried with BPF_RAW_TRACEPOINT_OPEN, as on kernels that predate
/// those links.
///
/// @param prog_fd fd of the loaded program (for struct_ops: the map fd).
/// @param target_fd fd of the hook: a cgroup directory, a network
///        namespace, a perf event, ...; an ifindex for XDP, tcx and netkit;
///        0 for tracing attach types. Not checked here: the kernel answers
///        -EBADF for a bad fd.
/// @param attach_type the hook type (enum bpf_attach_type).
/// @param opts NULL, or options declared with LIBBPF_OPTS().
/// @return a new link fd (>= 3, close-on-exec) owned by the caller; closing
///         its last reference detaches the program unless the link is
///         pinned. On failure a negative error code, also stored in errno:
///         -EINVAL for options this function refuses (bad sz, unknown
///         non-zero bytes, relative_fd with relative_id, fields that do not
///         belong to the attach type) or that the kernel refuses;
///         -EBADF for a bad fd; -EPERM without privileges; -EOPNOTSUPP
///         when the kernel lacks the attach type; -ESTALE when
///         expected_revision no longer matches; -EEXIST when the hook is
///         taken.
///
/// Thread-safe. Example:
/// @code
/// LIBBPF_OPTS(bpf_link_create_opts, opts, .tcx.expected_revision = rev);
/// int link_fd = bpf_link_create(prog_fd, ifindex, BPF_TCX_INGRESS, &opts);
/// if (link_fd < 0)
///         return link_fd; // errno == -link_fd
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link_create(
    prog_fd: c_int,
    target_fd: c_int,
    attach_type: bpf_attach_type,
    opts: *const bpf_link_create_opts,
) -> c_int {
    ffi!(c"bpf_link_create"(prog_fd, target_fd, attach_type, opts) {
        // SAFETY: libbpf's contract: opts is NULL or covers its own sz.
        unsafe { libbpf::create(prog_fd, target_fd, attach_type, opts) }.map(IntoRawFd::into_raw_fd)
    })
}

/// @brief Detaches a link from its hook without closing it (BPF_LINK_DETACH).
///
/// The program stops running at once; the link object lives on, defunct,
/// until its last fd is closed, and the caller still owns @p link_fd.
///
/// @param link_fd fd of the link.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EBADF if @p link_fd is not an open fd, -EINVAL if it is not a
///         link, -EOPNOTSUPP for link types that cannot be detached
///         (perf_event, iter, tracing, ...).
///
/// Thread-safe. Example:
/// @code
/// if (bpf_link_detach(link_fd) == 0)
///         close(link_fd); // the fd is still ours to close
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn bpf_link_detach(link_fd: c_int) -> c_int {
    ffi!(c"bpf_link_detach"(link_fd) {
        libbpf::detach(link_fd).map(|()| 0)
    })
}

/// @brief Replaces the program behind a link (BPF_LINK_UPDATE).
///
/// The new program takes over atomically; for struct_ops links
/// @p new_prog_fd is the new map. With BPF_F_REPLACE in opts->flags the
/// kernel refuses with -EPERM unless old_prog_fd (or old_map_fd) is the
/// one attached now.
///
/// @param link_fd fd of the link; stays owned by the caller.
/// @param new_prog_fd fd of the new program (or struct_ops map).
/// @param opts NULL, or options declared with LIBBPF_OPTS(); setting both
///        old_prog_fd and old_map_fd is refused.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EINVAL for refused options or an incompatible program, -EPERM
///         when BPF_F_REPLACE's expectation fails, -EBADF for a bad fd,
///         -EOPNOTSUPP for link types that cannot be updated, -ENOLINK when
///         the link was detached.
///
/// Thread-safe. Example:
/// @code
/// LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE,
///             .old_prog_fd = old_prog_fd);
/// int err = bpf_link_update(link_fd, new_prog_fd, &opts);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link_update(
    link_fd: c_int,
    new_prog_fd: c_int,
    opts: *const bpf_link_update_opts,
) -> c_int {
    ffi!(c"bpf_link_update"(link_fd, new_prog_fd, opts) {
        // SAFETY: libbpf's contract: opts is NULL or covers its own sz.
        unsafe { libbpf::update(link_fd, new_prog_fd, opts) }.map(|()| 0)
    })
}

/// @brief Creates an fd that runs an iterator link when read
/// (BPF_ITER_CREATE).
///
/// @param link_fd fd of a BPF_TRACE_ITER link.
/// @return a new fd (>= 3, close-on-exec) owned by the caller: each read()
///         returns the iterator program's output, 0 at the end. On failure
///         a negative error code, also in errno: -EBADF, or -EINVAL when
///         @p link_fd is not an iterator link.
///
/// Thread-safe. Example:
/// @code
/// int iter_fd = bpf_iter_create(link_fd);
/// while ((n = read(iter_fd, buf, sizeof(buf))) > 0)
///         fwrite(buf, 1, n, stdout);
/// close(iter_fd);
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn bpf_iter_create(link_fd: c_int) -> c_int {
    ffi!(c"bpf_iter_create"(link_fd) {
        libbpf::iter_create(link_fd).map(IntoRawFd::into_raw_fd)
    })
}

/// @brief Finds the id of the next link on the system
/// (BPF_LINK_GET_NEXT_ID).
///
/// Link ids are global and increase; start from 0 and feed each answer
/// back to visit every link.
///
/// @param start_id the id to continue after (0 to start).
/// @param next_id where the next id is written, on success only.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -ENOENT after the last link, -EPERM without CAP_SYS_ADMIN,
///         -EINVAL when @p start_id >= INT_MAX (the kernel's limit), or if
///         @p next_id is NULL (libbpf would crash there).
///
/// Thread-safe. Example:
/// @code
/// __u32 id = 0;
/// while (bpf_link_get_next_id(id, &id) == 0)
///         printf("link %u\n", id);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link_get_next_id(start_id: __u32, next_id: *mut __u32) -> c_int {
    ffi!(c"bpf_link_get_next_id"(start_id, next_id) {
        let id = link::next_id(start_id)?;
        if next_id.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: non-null; the caller passes a writable __u32.
        unsafe { next_id.write(id) };
        Ok(0)
    })
}

/// @brief Opens a new fd for the link with id @p id
/// (BPF_LINK_GET_FD_BY_ID).
///
/// Same as bpf_link_get_fd_by_id_opts(id, NULL).
///
/// @param id the link id, as found by bpf_link_get_next_id().
/// @return a new link fd (>= 3, close-on-exec) owned by the caller;
///         closing it does not detach the link while other references
///         exist. On failure a negative error code, also in errno:
///         -ENOENT if no link has this id, -EAGAIN if that link is still
///         being created (try again), -EPERM without CAP_SYS_ADMIN.
///
/// Thread-safe. Example:
/// @code
/// int fd = bpf_link_get_fd_by_id(id);
/// if (fd < 0 && errno == ENOENT)
///         ; // the link went away meanwhile
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn bpf_link_get_fd_by_id(id: __u32) -> c_int {
    ffi!(c"bpf_link_get_fd_by_id"(id) {
        link::fd_by_id(id, &FdByIdOpts::default()).map(IntoRawFd::into_raw_fd)
    })
}

/// @brief Opens a new fd for the link with id @p id, with options
/// (BPF_LINK_GET_FD_BY_ID).
///
/// @param id the link id.
/// @param opts NULL, or options declared with LIBBPF_OPTS(): open_flags is
///        passed to the kernel (which accepts only 0 for links); token_fd
///        is accepted and not used, as in libbpf.
/// @return a new link fd (>= 3, close-on-exec) owned by the caller. On
///         failure a negative error code, also in errno: -EINVAL for bad
///         options or non-zero open_flags, -ENOENT if no link has this id,
///         -EAGAIN if that link is still being created (try again), -EPERM
///         without CAP_SYS_ADMIN.
///
/// Thread-safe. Example:
/// @code
/// LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts);
/// int fd = bpf_link_get_fd_by_id_opts(id, &opts);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link_get_fd_by_id_opts(
    id: __u32,
    opts: *const bpf_get_fd_by_id_opts,
) -> c_int {
    ffi!(c"bpf_link_get_fd_by_id_opts"(id, opts) {
        // SAFETY: libbpf's contract: opts is NULL or covers its own sz.
        let open_flags = unsafe { libbpf::fd_by_id_flags(opts) }?;
        link::fd_by_id(id, &FdByIdOpts { open_flags }).map(IntoRawFd::into_raw_fd)
    })
}

/// @brief Asks the kernel about a link (BPF_OBJ_GET_INFO_BY_FD).
///
/// The kernel fills at most *info_len bytes of @p info: type, id, program
/// id and the per-type part. To receive names, paths or arrays, point the
/// per-type buffer fields at memory and set their lengths before the call.
/// As in libbpf, @p link_fd is not checked to be a link: for a program or
/// map fd the kernel writes that object's info (struct bpf_prog_info or
/// struct bpf_map_info, not a bpf_link_info) and 0 is returned.
///
/// @param link_fd fd of the link; stays owned by the caller.
/// @param info the buffer to fill (zero it first).
/// @param info_len in: size of @p info; out: the size the kernel wrote.
/// @return 0 on success; otherwise a negative error code, also in errno:
///         -EBADFD (sic: the kernel's code for this command) when
///         @p link_fd is negative or not open, -EINVAL when it is open but
///         not a BPF object or @p info_len is NULL (libbpf would crash
///         there), -EFAULT for a bad buffer, -E2BIG when @p info is
///         larger than the kernel's struct and the excess is not zero.
///
/// Thread-safe. Example:
/// @code
/// struct bpf_link_info info = {};
/// __u32 len = sizeof(info);
/// if (!bpf_link_get_info_by_fd(link_fd, &info, &len))
///         printf("link %u prog %u\n", info.id, info.prog_id);
/// @endcode
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bpf_link_get_info_by_fd(
    link_fd: c_int,
    info: *mut bpf_link_info,
    info_len: *mut __u32,
) -> c_int {
    ffi!(c"bpf_link_get_info_by_fd"(link_fd, info, info_len) {
        if info_len.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: non-null; the caller passes a readable, writable __u32.
        let mut len = unsafe { info_len.read() };
        // SAFETY: the caller vouches that `info` covers `len` bytes.
        unsafe { libbpf::info_into(link_fd, info.cast(), &mut len) }?;
        // SAFETY: as above.
        unsafe { info_len.write(len) };
        Ok(0)
    })
}
