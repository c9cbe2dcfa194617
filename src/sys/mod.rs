//! The only place that issues the `bpf(2)` system call.
//!
//! One function per command, each building exactly the attr libbpf v1.7.0
//! builds and passing exactly its size. Functions that return a new file
//! descriptor give it back as an [`OwnedFd`] that is never 0, 1 or 2: like
//! libbpf's `ensure_good_fd`, such an fd is moved above 2 with
//! `F_DUPFD_CLOEXEC` and the original is closed.
//!
//! No fd number is checked in user space: the kernel's answer (usually
//! `EBADF`) is part of the contract, and libbpf's feature probes rely on it.
//!
//! References: [bpf(2)](https://man7.org/linux/man-pages/man2/bpf.2.html),
//! the kernel's `Documentation/bpf/`.

pub mod attr;
pub mod consts;
pub mod info;

use core::ffi::{c_int, c_long, c_void};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use errno::Errno;

use attr::*;
use consts::cmd;

/// The calling thread's errno. The `errno` crate's function of the same
/// name, but always inlined: one call of libc's `__errno_location`
/// (bench/: every low-level call reads or writes errno on its error path).
#[inline(always)]
pub fn errno() -> Errno {
    // SAFETY: `__errno_location` returns the calling thread's errno
    // variable, valid for the thread's life.
    Errno(unsafe { *libc::__errno_location() })
}

/// Sets the calling thread's errno (inlined, as [`errno()`]).
#[inline(always)]
pub fn set_errno(e: Errno) {
    // SAFETY: as in `errno`.
    unsafe { *libc::__errno_location() = e.0 }
}

/// Issues `bpf(cmd, attr, size_of::<A>())` for a command the kernel
/// answers in the attr (it writes into it).
///
/// # Safety
/// `A` must be the exact attr member of `cmd`, and every address inside it
/// that the kernel writes through must be valid for that write.
unsafe fn sys_bpf<A>(command: u32, attr: &mut A) -> c_long {
    // SAFETY: forwarded contract; the attr is a live exclusive reference
    // to exactly `size_of::<A>()` bytes.
    unsafe { sys_bpf_ptr(command, attr as *mut A as *const A) }
}

/// [`sys_bpf`] for a command the kernel only reads the attr of
/// (`BPF_LINK_CREATE`, `BPF_LINK_UPDATE`): no copy is needed to lend it.
///
/// # Safety
/// As [`sys_bpf`], and `cmd` must not write into its attr.
unsafe fn sys_bpf_ptr<A>(command: u32, attr: *const A) -> c_long {
    let size = core::mem::size_of::<A>() as u32;
    // SAFETY: the kernel reads `size` bytes at `attr` (and writes only
    // where the caller allows it).
    unsafe {
        libc::syscall(
            libc::SYS_bpf,
            command as c_long,
            attr as *mut c_void,
            size as c_long,
        )
    }
}

/// Turns a raw syscall result into `Ok(value)` or `Err(errno)`.
#[inline(always)]
fn check(ret: c_long) -> Result<c_int, Errno> {
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret as c_int)
    }
}

/// libbpf's `ensure_good_fd`: takes ownership of a fresh fd and makes sure
/// it is not 0, 1 or 2. Inlined; the rare move lives in [`move_fd_up`].
#[inline(always)]
fn owned_fd(ret: c_long) -> Result<OwnedFd, Errno> {
    let mut fd = check(ret)?;
    if fd < 3 {
        fd = move_fd_up(fd);
        if fd < 0 {
            return Err(Errno(-fd));
        }
    }
    // SAFETY: `fd` is a fresh fd (from the kernel or fcntl), owned by
    // nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The cold half of [`owned_fd`]: `fd` (0, 1 or 2, fresh and ours) is
/// duplicated above 2 and closed; the new fd, or `-errno` (errno set).
/// `extern "C"` only to make it a call that cannot unwind, which keeps
/// the callers' fast paths free of unwinding edges.
#[cold]
#[inline(never)]
extern "C" fn move_fd_up(fd: c_int) -> c_int {
    // SAFETY: `fcntl(F_DUPFD_CLOEXEC)` on an fd the kernel just gave us.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    let saved = errno();
    // SAFETY: `fd` is ours and nothing else refers to it.
    unsafe { libc::close(fd) };
    if new < 0 {
        crate::pr_warn!("failed to dup FD %d to FD > 2: %d\n", fd, -saved.0);
        set_errno(saved);
        return -saved.0;
    }
    set_errno(saved);
    new
}

/// `BPF_LINK_CREATE`. Addresses inside `attr` are only read by the kernel,
/// which checks them (a bad one gives `EFAULT`).
#[inline]
pub fn link_create(attr: &LinkCreateAttr) -> Result<OwnedFd, Errno> {
    // SAFETY: LinkCreateAttr is the 64-byte link_create member; the kernel
    // reads it (and through the addresses it contains) and writes nothing.
    owned_fd(unsafe { sys_bpf_ptr(cmd::BPF_LINK_CREATE, attr) })
}

/// `BPF_LINK_DETACH`.
#[inline]
pub fn link_detach(link_fd: RawFd) -> Result<(), Errno> {
    let mut a = LinkDetachAttr {
        link_fd: link_fd as u32,
    };
    // SAFETY: LinkDetachAttr is the 4-byte link_detach member; no addresses.
    check(unsafe { sys_bpf(cmd::BPF_LINK_DETACH, &mut a) }).map(drop)
}

/// `BPF_LINK_UPDATE`.
#[inline]
pub fn link_update(attr: &LinkUpdateAttr) -> Result<(), Errno> {
    // SAFETY: LinkUpdateAttr is the 16-byte link_update member; no
    // addresses, and the kernel writes nothing into it.
    check(unsafe { sys_bpf_ptr(cmd::BPF_LINK_UPDATE, attr) }).map(drop)
}

/// `BPF_LINK_GET_NEXT_ID`: the first link id greater than `start_id`;
/// `ENOENT` at the end.
#[inline]
pub fn link_get_next_id(start_id: u32) -> Result<u32, Errno> {
    let mut a = GetNextIdAttr {
        start_id,
        next_id: 0,
        open_flags: 0,
    };
    // SAFETY: GetNextIdAttr is the 12-byte id member; the kernel writes
    // `next_id` inside it and follows no addresses.
    check(unsafe { sys_bpf(cmd::BPF_LINK_GET_NEXT_ID, &mut a) })?;
    Ok(a.next_id)
}

/// `BPF_LINK_GET_FD_BY_ID`: a new fd for the link with id `id`.
#[inline]
pub fn link_get_fd_by_id(id: u32, open_flags: u32) -> Result<OwnedFd, Errno> {
    let mut a = GetFdByIdAttr {
        link_id: id,
        next_id: 0,
        open_flags,
    };
    // SAFETY: GetFdByIdAttr is the 12-byte id member; no addresses.
    owned_fd(unsafe { sys_bpf(cmd::BPF_LINK_GET_FD_BY_ID, &mut a) })
}

/// `BPF_PROG_GET_FD_BY_ID`: a new fd for the program with id `id`
/// (`ENOENT` if there is none, `EPERM` without CAP_SYS_ADMIN).
pub fn prog_get_fd_by_id(id: u32, open_flags: u32) -> Result<OwnedFd, Errno> {
    let mut a = ProgGetFdByIdAttr {
        prog_id: id,
        next_id: 0,
        open_flags,
    };
    // SAFETY: ProgGetFdByIdAttr is the 12-byte id member; no addresses.
    owned_fd(unsafe { sys_bpf(cmd::BPF_PROG_GET_FD_BY_ID, &mut a) })
}

/// `BPF_OBJ_GET_INFO_BY_FD`: the kernel writes up to `len` bytes of info at
/// `info` and returns the length it wrote.
///
/// # Safety
/// `info` must be valid for writes of `len` bytes, or null (the kernel then
/// fails with `EFAULT` when `len` is non-zero). Pointer fields inside the
/// info (name buffers, arrays) must be valid for the writes they describe.
#[inline]
pub unsafe fn obj_get_info_by_fd(fd: RawFd, info: *mut c_void, len: u32) -> Result<u32, Errno> {
    let mut a = InfoAttr {
        bpf_fd: fd as u32,
        info_len: len,
        info: info as usize as u64,
    };
    // SAFETY: InfoAttr is the 16-byte info member; the write through `info`
    // is covered by this function's contract.
    check(unsafe { sys_bpf(cmd::BPF_OBJ_GET_INFO_BY_FD, &mut a) })?;
    Ok(a.info_len)
}

/// `BPF_RAW_TRACEPOINT_OPEN` with `name` as an address (0 for none).
pub fn raw_tracepoint_open(prog_fd: RawFd, name: u64, cookie: u64) -> Result<OwnedFd, Errno> {
    let mut a = RawTracepointAttr {
        name,
        prog_fd: prog_fd as u32,
        _pad: 0,
        cookie,
    };
    // SAFETY: RawTracepointAttr is the 24-byte raw_tracepoint member; the
    // kernel only reads the name, and checks the address.
    owned_fd(unsafe { sys_bpf(cmd::BPF_RAW_TRACEPOINT_OPEN, &mut a) })
}

/// `BPF_ITER_CREATE`: a readable fd that runs the iterator link.
#[inline]
pub fn iter_create(link_fd: RawFd) -> Result<OwnedFd, Errno> {
    let mut a = IterCreateAttr {
        link_fd: link_fd as u32,
        flags: 0,
    };
    // SAFETY: IterCreateAttr is the 8-byte iter_create member; no addresses.
    owned_fd(unsafe { sys_bpf(cmd::BPF_ITER_CREATE, &mut a) })
}

/// `BPF_OBJ_PIN`: pins `fd` at `path` (an address of a NUL-terminated
/// string, checked by the kernel).
#[inline]
pub fn obj_pin(fd: RawFd, path: u64, file_flags: u32, path_fd: i32) -> Result<(), Errno> {
    let mut a = ObjAttr {
        pathname: path,
        bpf_fd: fd as u32,
        file_flags,
        path_fd,
    };
    // SAFETY: ObjAttr is the 20-byte obj member; the kernel only reads the
    // path, and checks the address.
    check(unsafe { sys_bpf(cmd::BPF_OBJ_PIN, &mut a) }).map(drop)
}

/// `BPF_OBJ_GET`: opens the object pinned at `path`.
#[inline]
pub fn obj_get(path: u64, file_flags: u32, path_fd: i32) -> Result<OwnedFd, Errno> {
    let mut a = ObjAttr {
        pathname: path,
        bpf_fd: 0,
        file_flags,
        path_fd,
    };
    // SAFETY: ObjAttr is the 20-byte obj member; the kernel only reads the
    // path, and checks the address.
    owned_fd(unsafe { sys_bpf(cmd::BPF_OBJ_GET, &mut a) })
}
