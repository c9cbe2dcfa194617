//! The libbpf loaded beside bpflink in the same process, however it got
//! there: linked after us (`-lbpflink -lbpf`), under our preload, or
//! `dlopen()`ed later with `RTLD_LOCAL` by a plugin.
//!
//! bpflink needs two things from it: its `libbpf_set_print`, so that a
//! print callback set through us also receives libbpf's own messages, and
//! its `bpf_program__fd` / `bpf_program__name`, because a `struct
//! bpf_program` is libbpf's and only libbpf can read it.
//!
//! `dlsym(RTLD_NEXT)` and `dlsym(RTLD_DEFAULT)` see only the global scope,
//! and a library opened with `RTLD_LOCAL` is not in it. So the loaded
//! objects are walked instead (`dl_iterate_phdr`, which lists every object
//! of the process, local ones included); each is opened again with
//! `RTLD_NOLOAD` (no loading, only a handle) and asked for the symbol, and
//! an answer counts only when the symbol is defined in that very object
//! and that object is not bpflink itself.
//!
//! Nothing here is on a hot path: `libbpf_set_print` walks the objects on
//! every call (it is called once or twice per process), and
//! `bpf_link__update_program` walks them until a libbpf is found, then
//! keeps the answer. A walk that finds nothing is not remembered, so a
//! libbpf opened later is found by the next call. The handle of a libbpf
//! whose functions are kept stays open, so that libbpf cannot be unloaded
//! under us (a `dlclose` by its plugin then leaves it mapped).

use core::ffi::{c_char, c_int, c_void};
use core::sync::atomic::{AtomicUsize, Ordering};

/// libbpf's `libbpf_set_print`, the callback as a plain pointer (log's
/// `libbpf_print_fn_t`, an `Option` of a function pointer, has its ABI).
pub type SetPrintFn = unsafe extern "C" fn(*mut c_void) -> *mut c_void;
/// libbpf's `bpf_program__fd`.
pub type ProgramFdFn = unsafe extern "C" fn(*const c_void) -> c_int;
/// libbpf's `bpf_program__name`.
pub type ProgramNameFn = unsafe extern "C" fn(*const c_void) -> *const c_char;

/// One libbpf found in the process.
#[derive(Clone, Copy)]
pub struct Libbpf {
    /// Its `libbpf_set_print`.
    pub set_print: SetPrintFn,
    /// Its `bpf_program__fd`, if it has one.
    pub program_fd: Option<ProgramFdFn>,
    /// Its `bpf_program__name`, if it has one.
    pub program_name: Option<ProgramNameFn>,
    handle: *mut c_void,
    base: *mut c_void,
}

/// Where the object holding `addr` starts (`dladdr`'s `dli_fbase`), or
/// null when `addr` is in no loaded object.
fn object_base(addr: *const c_void) -> *mut c_void {
    // SAFETY: an all-zero Dl_info is a valid out-buffer.
    let mut info: libc::Dl_info = unsafe { core::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables for `addr`.
    if unsafe { libc::dladdr(addr, &mut info) } == 0 {
        return core::ptr::null_mut();
    }
    info.dli_fbase
}

/// The start of the object bpflink's code is in (the shared library, or
/// the executable it is linked into).
fn own_base() -> *mut c_void {
    object_base(own_base as *const c_void)
}

/// The paths of the loaded objects but the main program, copied out of
/// the loader's list into one `malloc`ed block of NUL-terminated strings
/// (no Rust allocation: nothing here can panic), freed on drop.
struct Paths {
    block: *mut u8,
    len: usize,
}

/// [`Paths`] being filled: the block and how much of it is used.
struct Filling {
    block: *mut u8,
    cap: usize,
    used: usize,
}

impl Paths {
    fn of_loaded_objects() -> Self {
        // Two walks: the total size of the names, then the copy (an
        // object loaded in between may not fit; it is left out).
        unsafe extern "C" fn measure(
            info: *mut libc::dl_phdr_info,
            _: usize,
            data: *mut c_void,
        ) -> c_int {
            // SAFETY: dl_iterate_phdr passes a valid info and our counter.
            let (name, total) = unsafe { ((*info).dlpi_name, &mut *(data as *mut usize)) };
            if !name.is_null() {
                // SAFETY: a NUL-terminated name owned by the loader.
                *total = total.saturating_add(unsafe { libc::strlen(name) } + 1);
            }
            0
        }
        unsafe extern "C" fn copy(
            info: *mut libc::dl_phdr_info,
            _: usize,
            data: *mut c_void,
        ) -> c_int {
            // SAFETY: dl_iterate_phdr passes a valid info and our Filling.
            let (name, f) = unsafe { ((*info).dlpi_name, &mut *(data as *mut Filling)) };
            if name.is_null() {
                return 0;
            }
            // SAFETY: as in `measure`.
            let n = unsafe { libc::strlen(name) };
            // The main program has an empty name.
            if n > 0 && f.cap - f.used > n {
                // SAFETY: `n + 1` bytes fit after `used` in the block, and
                // the name has `n` bytes and a NUL.
                unsafe { core::ptr::copy_nonoverlapping(name.cast(), f.block.add(f.used), n + 1) };
                f.used += n + 1;
            }
            0
        }
        let mut total = 0usize;
        // SAFETY: the callback matches dl_iterate_phdr's prototype and
        // only touches `total`.
        unsafe { libc::dl_iterate_phdr(Some(measure), (&raw mut total).cast()) };
        // SAFETY: malloc of `total` bytes (NULL checked).
        let block = unsafe { libc::malloc(total.max(1)) }.cast::<u8>();
        if block.is_null() {
            return Self { block, len: 0 };
        }
        let mut f = Filling {
            block,
            cap: total,
            used: 0,
        };
        // SAFETY: as above, with `f`.
        unsafe { libc::dl_iterate_phdr(Some(copy), (&raw mut f).cast()) };
        Self { block, len: f.used }
    }

    /// Each path in turn.
    fn for_each(&self, mut f: impl FnMut(*const c_char)) {
        let mut at = 0;
        while at < self.len {
            // SAFETY: inside the block's filled part, at a string's start.
            let p = unsafe { self.block.add(at) }.cast::<c_char>();
            f(p);
            // SAFETY: each string is NUL-terminated inside the block.
            at += unsafe { libc::strlen(p) } + 1;
        }
    }
}

impl Drop for Paths {
    fn drop(&mut self) {
        // SAFETY: the block from malloc (or NULL), freed once.
        unsafe { libc::free(self.block.cast()) };
    }
}

/// `name` from the object behind `handle`, only if defined in the object
/// that starts at `base` (not in one of its dependencies).
fn symbol_in(
    handle: *mut c_void,
    base: *mut c_void,
    name: &core::ffi::CStr,
) -> Option<*mut c_void> {
    // SAFETY: a live handle and a NUL-terminated name.
    let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
    (!p.is_null() && object_base(p) == base).then_some(p)
}

/// The libbpf in the object at `path`, if it is one and not bpflink: an
/// open handle (one reference) and its functions; `None` leaves nothing
/// open.
fn libbpf_at(path: *const c_char, own: *mut c_void) -> Option<Libbpf> {
    // SAFETY: a NUL-terminated path; RTLD_NOLOAD never loads anything, it
    // only gives a handle (one more reference) to a loaded object.
    let handle = unsafe { libc::dlopen(path, libc::RTLD_NOLOAD | libc::RTLD_LAZY) };
    if handle.is_null() {
        return None;
    }
    // SAFETY: a live handle and a NUL-terminated name.
    let sp = unsafe { libc::dlsym(handle, c"libbpf_set_print".as_ptr()) };
    let base = if sp.is_null() { own } else { object_base(sp) };
    if base.is_null() || base == own || symbol_in(handle, base, c"libbpf_set_print").is_none() {
        // SAFETY: the reference taken above.
        unsafe { libc::dlclose(handle) };
        return None;
    }
    let fd = symbol_in(handle, base, c"bpf_program__fd");
    let name = symbol_in(handle, base, c"bpf_program__name");
    // SAFETY: libbpf's public functions with these prototypes:
    // `libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t)` (a function
    // pointer in, one out), `int bpf_program__fd(const struct bpf_program
    // *)`, `const char *bpf_program__name(const struct bpf_program *)`.
    Some(unsafe {
        Libbpf {
            set_print: core::mem::transmute::<*mut c_void, SetPrintFn>(sp),
            program_fd: fd.map(|p| core::mem::transmute::<*mut c_void, ProgramFdFn>(p)),
            program_name: name.map(|p| core::mem::transmute::<*mut c_void, ProgramNameFn>(p)),
            handle,
            base,
        }
    })
}

/// Calls `f` with every libbpf loaded now but bpflink, each once (none:
/// `f` is not called), then lets them go. For `libbpf_set_print`: each
/// gets the callback.
pub fn each_libbpf(mut f: impl FnMut(&Libbpf)) {
    let own = own_base();
    // The bases seen so far (a libbpf listed under two paths counts once;
    // more libbpfs than this in one process are not served).
    let mut seen = [core::ptr::null_mut::<c_void>(); 16];
    let mut n = 0;
    Paths::of_loaded_objects().for_each(|path| {
        let Some(lib) = libbpf_at(path, own) else {
            return;
        };
        if !seen.iter().take(n).any(|b| *b == lib.base) {
            if let Some(slot) = seen.get_mut(n) {
                *slot = lib.base;
                n += 1;
                f(&lib);
            }
        }
        // SAFETY: the reference libbpf_at took, dropped once.
        unsafe { libc::dlclose(lib.handle) };
    });
}

/// The kept `bpf_program__fd` and `bpf_program__name` (0: none yet).
static KEPT_FD: AtomicUsize = AtomicUsize::new(0);
static KEPT_NAME: AtomicUsize = AtomicUsize::new(0);

/// The first libbpf with `bpf_program__fd`: its `bpf_program__fd` and
/// `bpf_program__name`, kept (and the library held loaded) once found;
/// `None` while there is none, looked for again on every call.
pub fn program_accessors() -> Option<(ProgramFdFn, Option<ProgramNameFn>)> {
    let kept = || {
        let fd = KEPT_FD.load(Ordering::Acquire);
        (fd != 0).then(|| {
            let name = KEPT_NAME.load(Ordering::Relaxed);
            // SAFETY: non-zero values stored below are these functions.
            unsafe {
                (
                    core::mem::transmute::<usize, ProgramFdFn>(fd),
                    (name != 0).then(|| core::mem::transmute::<usize, ProgramNameFn>(name)),
                )
            }
        })
    };
    if let Some(k) = kept() {
        return Some(k);
    }
    let own = own_base();
    let mut found = false;
    Paths::of_loaded_objects().for_each(|path| {
        if found {
            return;
        }
        let Some(lib) = libbpf_at(path, own) else {
            return;
        };
        if let Some(fd) = lib.program_fd {
            // The name first, published by the fd (Release): a reader that
            // sees the fd sees the name. Another thread may have kept its
            // answer meanwhile; then ours is one reference too many.
            let name = lib.program_name.map_or(0, |f| f as usize);
            if KEPT_FD.load(Ordering::Acquire) == 0 {
                KEPT_NAME.store(name, Ordering::Relaxed);
            }
            if KEPT_FD
                .compare_exchange(0, fd as usize, Ordering::Release, Ordering::Acquire)
                .is_ok()
            {
                found = true;
                return; // the handle stays open: libbpf stays loaded
            }
            found = true;
        }
        // SAFETY: the reference libbpf_at took, dropped once.
        unsafe { libc::dlclose(lib.handle) };
    });
    kept()
}
