//! libbpf's high-level link object, `struct bpf_link`, with libbpf's own
//! memory layout, so that objects cross between libbpf and bpflink in one
//! process (under LD_PRELOAD libbpf hands its links to our
//! `bpf_link__destroy`, and ours may reach libbpf).
//!
//! Rules that make this work, all libbpf's:
//! * objects are allocated with the C allocator (`calloc`) and pin paths
//!   with `strdup`, because either library may free what the other made;
//! * destroying never assumes the object is ours: it runs the object's own
//!   `detach` callback (unless disconnected) and its `dealloc` callback (or
//!   `free`), so libbpf's perf-event, struct_ops and USDT links, which
//!   extend the struct with fields of their own, are torn down correctly.
//!
//! Where libbpf dereferences a NULL argument, these functions answer
//! `EINVAL` instead (documented per function in the C header).

mod program;

use core::ffi::{CStr, c_char, c_int};
use core::ptr::NonNull;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, RawFd};

use errno::Errno;

use crate::link;
use crate::log::errstr;
use crate::sys::errno;
use crate::{pr_debug, pr_warn};

/// A link object: it holds an attachment (usually a link fd) and knows how
/// to undo it. Opaque: use the bpf_link__ functions. (In Rust, pointers to
/// it point to a LinkObject.)
#[allow(non_camel_case_types)]
pub struct bpf_link {
    _private: [u8; 0],
}

/// A program of libbpf's object API (opaque; it belongs to libbpf, and
/// bpflink reads it only through libbpf's own functions).
#[allow(non_camel_case_types)]
pub struct bpf_program {
    _private: [u8; 0],
}

/// libbpf's internal `struct bpf_link` (libbpf_internal.h), 32 bytes on
/// LP64: `{detach @0, dealloc @8, pin_path @16, fd @24, disconnected @28}`.
#[repr(C)]
pub struct LinkObject {
    /// Undoes the attachment; called by destroy unless disconnected.
    pub detach: Option<unsafe extern "C" fn(link: *mut LinkObject) -> c_int>,
    /// Frees the object; `free()` is used when NULL.
    pub dealloc: Option<unsafe extern "C" fn(link: *mut LinkObject)>,
    /// Where the link is pinned (`strdup`ed), or NULL.
    pub pin_path: *mut c_char,
    /// The link fd (for libbpf's perf-event links without BPF link support,
    /// the perf event fd; for USDT links, 0).
    pub fd: c_int,
    /// Set by disconnect: destroy then leaves the attachment alone.
    pub disconnected: bool,
}

#[cfg(target_pointer_width = "64")]
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<LinkObject>() == 32);
    assert!(offset_of!(LinkObject, dealloc) == 8);
    assert!(offset_of!(LinkObject, pin_path) == 16);
    assert!(offset_of!(LinkObject, fd) == 24);
    assert!(offset_of!(LinkObject, disconnected) == 28);
};

const EINVAL: Errno = Errno(libc::EINVAL);

/// libbpf's `IS_ERR_OR_NULL`: NULL or an `ERR_PTR` (the top 4095 addresses).
/// One comparison: subtracting 1 wraps NULL around to the top, into the
/// `ERR_PTR` range moved down by one.
#[inline(always)]
pub fn is_err_or_null<T>(p: *const T) -> bool {
    (p as usize).wrapping_sub(1) >= (-4096isize) as usize
}

/// The object behind a C pointer, shared, or `EINVAL` for NULL /
/// `ERR_PTR`: for the functions that only read it, which other threads
/// may call on the same object at the same time.
///
/// # Safety
/// A pointer that is neither NULL nor an `ERR_PTR` must point to a live
/// link object in libbpf's layout, not written while the reference lives.
unsafe fn object<'a>(p: *const bpf_link) -> Result<&'a LinkObject, Errno> {
    if is_err_or_null(p) {
        return Err(EINVAL);
    }
    // SAFETY: non-null, not an error pointer; the caller vouches for it.
    Ok(unsafe { &*(p as *const LinkObject) })
}

/// [`object`] for the functions that change the object (pin, unpin,
/// disconnect), which the header documents as not thread-safe on the same
/// object: the caller guarantees no other reference is in use.
///
/// # Safety
/// As [`object`], and no other reference to the object in use while the
/// returned one lives.
unsafe fn object_mut<'a>(p: *mut bpf_link) -> Result<&'a mut LinkObject, Errno> {
    if is_err_or_null(p) {
        return Err(EINVAL);
    }
    // SAFETY: non-null, not an error pointer; the caller vouches for it
    // and for its exclusive use.
    Ok(unsafe { &mut *(p as *mut LinkObject) })
}

/// libbpf's `bpf_link__detach_fd`: the detach callback of plain links.
unsafe extern "C" fn detach_fd(link: *mut LinkObject) -> c_int {
    // SAFETY: destroy calls it with the object it belongs to.
    let fd = unsafe { (*link).fd };
    // SAFETY: the object owns `fd`; this is its one close.
    if unsafe { libc::close(fd) } < 0 {
        -errno().0
    } else {
        0
    }
}

/// A plain link object that will own `fd`, allocated with `calloc` (libbpf
/// may free it). On failure nothing has been taken: the fd is still the
/// caller's, and it is stored into the object only as the last step.
fn new_object(fd: BorrowedFd<'_>) -> Result<NonNull<LinkObject>, Errno> {
    // SAFETY: calloc of one object; checked for NULL below.
    let p = unsafe { libc::calloc(1, core::mem::size_of::<LinkObject>()) } as *mut LinkObject;
    let p = NonNull::new(p).ok_or(Errno(libc::ENOMEM))?;
    // SAFETY: fresh, zeroed, properly sized and aligned allocation.
    unsafe {
        p.as_ptr().write(LinkObject {
            detach: Some(detach_fd),
            dealloc: None,
            pin_path: core::ptr::null_mut(),
            fd: fd.as_raw_fd(),
            disconnected: false,
        })
    };
    Ok(p)
}

/// `bpf_link__open`: a link object for the object pinned at `path`,
/// remembering `path` as its pin path. Like libbpf, the pinned object is
/// not required to be a link.
///
/// # Safety
/// `path` is NULL (the kernel answers `EFAULT`) or a NUL-terminated string.
pub unsafe fn open(path: *const c_char) -> Result<NonNull<bpf_link>, Errno> {
    let fd = link::open_pinned_at(path).inspect_err(|e| {
        pr_warn!("failed to open link at %s: %d\n", path, -e.0);
    })?;
    let obj = new_object(fd.as_fd())?;
    // The object owns the fd from here (its detach callback closes it).
    let _ = fd.into_raw_fd();
    // SAFETY: `path` is a valid string here (the kernel just read it).
    let copy = unsafe { libc::strdup(path) };
    if copy.is_null() {
        // SAFETY: our own fresh object; destroy closes its fd.
        let _ = unsafe { destroy(obj.as_ptr() as *mut bpf_link) };
        return Err(Errno(libc::ENOMEM));
    }
    // SAFETY: our own fresh object.
    unsafe { (*obj.as_ptr()).pin_path = copy };
    Ok(obj.cast())
}

/// `bpflink_link_from_fd`: a link object that takes ownership of `fd`,
/// which must be a BPF link. Ownership passes only on success; on any
/// failure (a panic included) the fd is left as it was, the caller's. A
/// number that is not an open fd gives `EBADF`.
///
/// # Safety
/// If `fd` is open, it is the caller's to give away: after success nobody
/// else may close it.
pub unsafe fn from_fd(fd: RawFd) -> Result<NonNull<bpf_link>, Errno> {
    crate::panic_point::here(c"bpflink_link_from_fd:inside");
    if fd < 0 {
        return Err(Errno(libc::EBADF));
    }
    if !link::is_link_raw(fd)? {
        return Err(EINVAL);
    }
    // SAFETY: `is_link` found an open link fd, which the caller lends for
    // this call and gives away on success.
    new_object(unsafe { BorrowedFd::borrow_raw(fd) }).map(NonNull::cast)
}

/// `bpf_link__fd`.
///
/// # Safety
/// NULL and `ERR_PTR` are refused with `EINVAL`; any other pointer must be a
/// live link object in libbpf's layout, not written concurrently.
#[inline]
pub unsafe fn fd(p: *const bpf_link) -> Result<c_int, Errno> {
    // SAFETY: forwarded contract; only read.
    Ok(unsafe { object(p)? }.fd)
}

/// `bpf_link__pin_path`: the pin path, or NULL.
///
/// # Safety
/// NULL and `ERR_PTR` are refused with `EINVAL`; any other pointer must be a
/// live link object in libbpf's layout, not written concurrently.
pub unsafe fn pin_path(p: *const bpf_link) -> Result<*const c_char, Errno> {
    // SAFETY: forwarded contract; only read.
    Ok(unsafe { object(p)? }.pin_path)
}

/// `bpf_link__disconnect`.
///
/// # Safety
/// NULL and `ERR_PTR` are refused with `EINVAL`; any other pointer must be a
/// live link object in libbpf's layout, not written concurrently.
pub unsafe fn disconnect(p: *mut bpf_link) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    unsafe { object_mut(p)? }.disconnected = true;
    Ok(())
}

/// `bpf_link__detach`: detaches in the kernel; the object and its fd stay.
///
/// # Safety
/// NULL and `ERR_PTR` are refused with `EINVAL`; any other pointer must be a
/// live link object in libbpf's layout, not written concurrently.
#[inline]
pub unsafe fn detach(p: *mut bpf_link) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    link::libbpf::detach(unsafe { object(p)? }.fd)
}

/// libbpf's `make_parent_dir`: creates the directory that will hold
/// `path` (one level, mode 0700); it may already exist.
fn make_parent_dir(path: &CStr) -> Result<(), Errno> {
    let dir = ParentDir::of(path)?;
    // SAFETY: `dir` is a NUL-terminated string.
    if unsafe { libc::mkdir(dir.as_ptr(), 0o700) } != 0 && errno().0 != libc::EEXIST {
        let e = errno();
        pr_warn!(
            "failed to mkdir %s: %s\n",
            path.as_ptr(),
            errstr(-e.0).as_ptr()
        );
        return Err(e);
    }
    Ok(())
}

/// libbpf's `check_path`: the directory of `path` must be on a bpffs.
fn check_path(path: &CStr) -> Result<(), Errno> {
    let dir = ParentDir::of(path)?;
    // SAFETY: an all-zero statfs is a valid out-buffer.
    let mut st: libc::statfs = unsafe { core::mem::zeroed() };
    // SAFETY: `dir` is NUL-terminated; `st` is writable.
    if unsafe { libc::statfs(dir.as_ptr(), &mut st) } != 0 {
        let e = errno();
        pr_warn!(
            "failed to statfs %s: %s\n",
            dir.as_ptr(),
            errstr(e.0).as_ptr()
        );
        return Err(e);
    }
    if st.f_type as u64 != libc::BPF_FS_MAGIC as u64 {
        pr_warn!("specified path %s is not on BPF FS\n", path.as_ptr());
        return Err(EINVAL);
    }
    Ok(())
}

/// `dirname(strdup(path))`, freed on drop (POSIX dirname, as libbpf uses).
struct ParentDir {
    copy: NonNull<c_char>,
    dir: *const c_char,
}

impl ParentDir {
    fn of(path: &CStr) -> Result<Self, Errno> {
        // SAFETY: `path` is NUL-terminated.
        let copy =
            NonNull::new(unsafe { libc::strdup(path.as_ptr()) }).ok_or(Errno(libc::ENOMEM))?;
        // SAFETY: dirname modifies and returns a pointer into its argument
        // (or a static "."), valid while `copy` lives.
        let dir = unsafe { libc::dirname(copy.as_ptr()) };
        Ok(Self { copy, dir })
    }

    fn as_ptr(&self) -> *const c_char {
        self.dir
    }
}

impl Drop for ParentDir {
    fn drop(&mut self) {
        // SAFETY: allocated by strdup in `of`, freed once.
        unsafe { libc::free(self.copy.as_ptr().cast()) };
    }
}

/// `bpf_link__pin`: pins the link at `path` on a bpffs and remembers the
/// path. `EBUSY` if already pinned; a failed pin leaves the object as it
/// was.
///
/// # Safety
/// NULL and `ERR_PTR` links are refused with `EINVAL`; any other must be a
/// live link object in libbpf's layout, not written concurrently; `path` is NULL (refused with `EINVAL`) or a
/// NUL-terminated string.
pub unsafe fn pin(p: *mut bpf_link, path: *const c_char) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    let obj = unsafe { object_mut(p)? };
    if !obj.pin_path.is_null() {
        return Err(Errno(libc::EBUSY));
    }
    if path.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: non-null, NUL-terminated by contract.
    let path = unsafe { CStr::from_ptr(path) };
    make_parent_dir(path)?;
    check_path(path)?;
    // SAFETY: NUL-terminated.
    let copy = unsafe { libc::strdup(path.as_ptr()) };
    if copy.is_null() {
        return Err(Errno(libc::ENOMEM));
    }
    // SAFETY: `copy` is a valid string we own.
    if let Err(e) = link::pin_raw(obj.fd, unsafe { CStr::from_ptr(copy) }) {
        // SAFETY: allocated above, not stored anywhere.
        unsafe { libc::free(copy.cast()) };
        return Err(e);
    }
    obj.pin_path = copy;
    pr_debug!("link fd=%d: pinned at %s\n", obj.fd, obj.pin_path);
    Ok(())
}

/// `bpf_link__unpin`: removes the pin file. `EINVAL` when not pinned; if
/// unlink fails, its errno is returned and the pin path is kept.
///
/// # Safety
/// NULL and `ERR_PTR` are refused with `EINVAL`; any other pointer must be a
/// live link object in libbpf's layout, not written concurrently.
#[inline]
pub unsafe fn unpin(p: *mut bpf_link) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    let obj = unsafe { object_mut(p)? };
    if obj.pin_path.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: pin_path is a NUL-terminated string owned by the object.
    if unsafe { libc::unlink(obj.pin_path) } != 0 {
        return Err(errno());
    }
    pr_debug!("link fd=%d: unpinned from %s\n", obj.fd, obj.pin_path);
    // SAFETY: allocated with strdup (by us or libbpf), freed once here.
    unsafe { libc::free(obj.pin_path.cast()) };
    obj.pin_path = core::ptr::null_mut();
    Ok(())
}

/// `bpf_link__update_program`: replaces the link's program with `prog`, a
/// libbpf `struct bpf_program` whose fd is read through libbpf's own
/// `bpf_program__fd`, found in the running process.
///
/// # Safety
/// NULL and `ERR_PTR` links are refused with `EINVAL`; any other must be a
/// live link object in libbpf's layout, not written concurrently; `prog` is whatever libbpf's `bpf_program__fd` accepts.
pub unsafe fn update_program(p: *mut bpf_link, prog: *mut bpf_program) -> Result<(), Errno> {
    // SAFETY: forwarded contract.
    let link_fd = unsafe { object(p)? }.fd;
    // SAFETY: forwarded contract.
    let prog_fd = unsafe { program::fd(prog)? };
    // SAFETY: NULL options, as libbpf's bpf_link__update_program passes.
    unsafe { link::libbpf::update(link_fd, prog_fd, core::ptr::null()) }
}

/// `bpf_link__destroy`: NULL and `ERR_PTR` are accepted and ignored.
/// Runs the object's detach callback unless disconnected, frees the pin
/// path (the pin itself stays), then runs the dealloc callback or frees
/// the object. Returns what the detach callback returned (libbpf's
/// `libbpf_err(err)`: a negative value is an error, anything else, even a
/// positive value from a foreign callback, is passed back as is).
///
/// # Safety
/// A pointer that is neither NULL nor an `ERR_PTR` must be a live link
/// object in libbpf's layout allocated with the C allocator (or with its
/// own dealloc callback); it is gone afterwards.
#[inline]
pub unsafe fn destroy(p: *mut bpf_link) -> Result<c_int, Errno> {
    if is_err_or_null(p) {
        return Ok(0);
    }
    let obj = p as *mut LinkObject;
    let mut err = 0;
    // SAFETY: a live object by contract; the callbacks are its own.
    unsafe {
        if !(*obj).disconnected {
            if let Some(detach) = (*obj).detach {
                err = detach(obj);
            }
        }
        if !(*obj).pin_path.is_null() {
            libc::free((*obj).pin_path.cast());
        }
        match (*obj).dealloc {
            Some(dealloc) => dealloc(obj),
            None => libc::free(obj.cast()),
        }
    }
    if err < 0 {
        Err(Errno(err.wrapping_neg()))
    } else {
        Ok(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain object on the stack (no detach callback: nothing to close).
    fn stack_object(fd: c_int) -> LinkObject {
        LinkObject {
            detach: None,
            dealloc: None,
            pin_path: core::ptr::null_mut(),
            fd,
            disconnected: false,
        }
    }

    /// `bpf_link__fd` and `bpf_link__pin_path` are documented thread-safe:
    /// another thread may be inside either while this one is. A reader
    /// therefore must not hold a unique (`&mut`) reference: the second
    /// reader's would invalidate the first's. Run under Miri (make
    /// stress), which reports that as undefined behaviour.
    #[test]
    fn readers_may_overlap_on_one_object() {
        let mut o = stack_object(7);
        let p = &raw mut o as *mut bpf_link;
        // SAFETY: a live object in libbpf's layout, only read here.
        let first = unsafe { object(p) }.unwrap();
        // Another reader of the same object while `first` is in use.
        // SAFETY: as above.
        assert_eq!(unsafe { fd(p) }, Ok(7));
        // SAFETY: as above.
        assert_eq!(unsafe { pin_path(p) }, Ok(core::ptr::null()));
        assert_eq!(first.fd, 7);
    }

    static DETACHED: core::sync::atomic::AtomicI32 = core::sync::atomic::AtomicI32::new(0);

    unsafe extern "C" fn count_detach(link: *mut LinkObject) -> c_int {
        DETACHED.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        // SAFETY: destroy passes the object the callback belongs to.
        unsafe { (*link).fd }
    }

    /// An object as libbpf would make one: `calloc`ed, a `malloc`ed pin
    /// path, its own detach callback (here: counts, answers the fd).
    fn foreign_object(fd: c_int, pinned: bool) -> *mut bpf_link {
        // SAFETY: calloc of one object, checked below.
        let p = unsafe { libc::calloc(1, core::mem::size_of::<LinkObject>()) } as *mut LinkObject;
        assert!(!p.is_null());
        let pin_path = if pinned {
            // strdup by hand (Miri has no strdup): malloc'ed, freeable.
            let s = c"/sys/fs/bpf/x".to_bytes_with_nul();
            // SAFETY: malloc of the string's length, checked, then filled.
            unsafe {
                let p = libc::malloc(s.len()) as *mut c_char;
                assert!(!p.is_null());
                core::ptr::copy_nonoverlapping(s.as_ptr().cast(), p, s.len());
                p
            }
        } else {
            core::ptr::null_mut()
        };
        // SAFETY: a fresh allocation of the right size and alignment.
        unsafe {
            p.write(LinkObject {
                detach: Some(count_detach),
                dealloc: None,
                pin_path,
                fd,
                disconnected: false,
            })
        };
        p.cast()
    }

    /// Destroy runs the object's own detach callback unless disconnected,
    /// frees the pin path and the object, and answers the callback's value
    /// (a positive one too); NULL and ERR_PTR are ignored. Under Miri this
    /// also checks that every allocation is freed exactly once.
    #[test]
    fn destroy_runs_the_objects_own_callbacks() {
        use core::sync::atomic::Ordering::Relaxed;
        DETACHED.store(0, Relaxed);
        // SAFETY: objects made above, destroyed once each.
        unsafe {
            assert_eq!(destroy(foreign_object(5, true)), Ok(5));
            assert_eq!(destroy(foreign_object(-22, false)), Err(Errno(22)));
            let p = foreign_object(9, true);
            disconnect(p).unwrap();
            assert_eq!(destroy(p), Ok(0));
            assert_eq!(destroy(core::ptr::null_mut()), Ok(0));
            assert_eq!(destroy(-22isize as *mut bpf_link), Ok(0));
        }
        assert_eq!(DETACHED.load(Relaxed), 2);
    }

    /// NULL and ERR_PTR objects are refused with EINVAL where libbpf would
    /// dereference them; unpin of an object that is not pinned is EINVAL.
    #[test]
    fn bad_objects_are_refused() {
        let err = -22isize as *mut bpf_link;
        // SAFETY: NULL and ERR_PTR are refused before any access.
        unsafe {
            assert_eq!(fd(core::ptr::null()), Err(EINVAL));
            assert_eq!(fd(err), Err(EINVAL));
            assert_eq!(pin_path(err), Err(EINVAL));
            assert_eq!(disconnect(core::ptr::null_mut()), Err(EINVAL));
            assert_eq!(unpin(err), Err(EINVAL));
            assert_eq!(pin(core::ptr::null_mut(), c"/x".as_ptr()), Err(EINVAL));
        }
        let p = foreign_object(3, false);
        // SAFETY: a live object, destroyed once at the end.
        unsafe {
            assert_eq!(unpin(p), Err(EINVAL));
            assert_eq!(pin(p, core::ptr::null()), Err(EINVAL));
            disconnect(p).unwrap();
            destroy(p).unwrap();
        }
    }

    #[test]
    fn is_err_or_null_is_libbpfs_macro() {
        // IS_ERR_OR_NULL(p): !p || (unsigned long)p >= (unsigned long)-4095
        let libbpf = |p: usize| p == 0 || p >= (-4095isize) as usize;
        let edges = [
            0,
            1,
            2,
            4096,
            usize::MAX / 2,
            (-4097isize) as usize,
            (-4096isize) as usize,
            (-4095isize) as usize,
            (-4094isize) as usize,
            usize::MAX - 1,
            usize::MAX,
        ];
        for p in edges {
            assert_eq!(is_err_or_null(p as *const u8), libbpf(p), "{p:#x}");
        }
    }
}
