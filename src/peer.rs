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

use core::ffi::{CStr, c_char, c_int, c_void};
use std::ffi::CString;
use std::sync::OnceLock;

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
}

// SAFETY: function pointers and a dlopen handle, which any thread may use.
unsafe impl Send for Libbpf {}
// SAFETY: as above; nothing in it is mutated after construction.
unsafe impl Sync for Libbpf {}

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

/// The path of every loaded object but the main program, in load order.
fn loaded_objects() -> Vec<CString> {
    unsafe extern "C" fn each(info: *mut libc::dl_phdr_info, _size: usize, data: *mut c_void) -> c_int {
        // SAFETY: dl_iterate_phdr passes a valid info, and `data` is the
        // Vec given below, used by this thread only.
        let (info, out) = unsafe { (&*info, &mut *(data as *mut Vec<CString>)) };
        if info.dlpi_name.is_null() {
            return 0;
        }
        // SAFETY: a NUL-terminated name owned by the loader, valid during
        // the callback.
        let name = unsafe { CStr::from_ptr(info.dlpi_name) };
        // The main program has an empty name; never grow in a way that
        // could panic inside the loader's callback.
        if !name.is_empty() && out.try_reserve(1).is_ok() {
            out.push(name.to_owned());
        }
        0
    }
    let mut out: Vec<CString> = Vec::new();
    // SAFETY: the callback matches dl_iterate_phdr's prototype and only
    // touches `out`, which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(each), &mut out as *mut Vec<CString> as *mut c_void) };
    out
}

/// `name` from the object behind `handle`, only if defined in the object
/// that starts at `base` (not in one of its dependencies).
fn symbol_in(handle: *mut c_void, base: *mut c_void, name: &CStr) -> Option<*mut c_void> {
    // SAFETY: a live handle and a NUL-terminated name.
    let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
    (!p.is_null() && object_base(p) == base).then_some(p)
}

/// Every libbpf loaded now, but bpflink itself: objects defining their own
/// `libbpf_set_print`, each once, in load order. Their handles are open;
/// the caller closes those it does not keep ([`release`]).
fn find_all() -> Vec<Libbpf> {
    let own = own_base();
    let mut found: Vec<(Libbpf, *mut c_void)> = Vec::new();
    for path in loaded_objects() {
        // SAFETY: a NUL-terminated path; RTLD_NOLOAD never loads anything,
        // it only gives a handle (one more reference) to a loaded object.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOLOAD | libc::RTLD_LAZY) };
        if handle.is_null() {
            continue;
        }
        // SAFETY: a live handle and a NUL-terminated name.
        let sp = unsafe { libc::dlsym(handle, c"libbpf_set_print".as_ptr()) };
        let base = if sp.is_null() { own } else { object_base(sp) };
        if base.is_null() || base == own || found.iter().any(|(_, b)| *b == base) {
            // SAFETY: the reference taken by dlopen above.
            unsafe { libc::dlclose(handle) };
            continue;
        }
        let fd = symbol_in(handle, base, c"bpf_program__fd");
        let name = symbol_in(handle, base, c"bpf_program__name");
        // SAFETY: libbpf's public functions with these prototypes:
        // `libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t)` (a
        // function pointer in, one out), `int bpf_program__fd(const struct
        // bpf_program *)`, `const char *bpf_program__name(const struct
        // bpf_program *)`.
        let lib = unsafe {
            Libbpf {
                set_print: core::mem::transmute::<*mut c_void, SetPrintFn>(sp),
                program_fd: fd.map(|p| core::mem::transmute::<*mut c_void, ProgramFdFn>(p)),
                program_name: name.map(|p| core::mem::transmute::<*mut c_void, ProgramNameFn>(p)),
                handle,
            }
        };
        found.push((lib, base));
    }
    found.into_iter().map(|(l, _)| l).collect()
}

/// Closes the handle [`find_all`] opened for `lib` (after which its
/// functions may not be called again).
fn release(lib: Libbpf) {
    // SAFETY: the reference taken by find_all, dropped once.
    unsafe { libc::dlclose(lib.handle) };
}

/// Calls `f` with every libbpf loaded now (none: `f` is not called), then
/// lets them go. For `libbpf_set_print`: each gets the callback.
pub fn each_libbpf(mut f: impl FnMut(&Libbpf)) {
    for lib in find_all() {
        f(&lib);
        release(lib);
    }
}

/// The first libbpf with `bpf_program__fd`, kept (and held loaded) once
/// found; `None` while there is none, looked for again on every call.
pub fn program_accessors() -> Option<&'static Libbpf> {
    static KEPT: OnceLock<Libbpf> = OnceLock::new();
    if let Some(lib) = KEPT.get() {
        return Some(lib);
    }
    let mut chosen = None;
    for lib in find_all() {
        if chosen.is_none() && lib.program_fd.is_some() {
            chosen = Some(lib);
        } else {
            release(lib);
        }
    }
    if let Err(lib) = KEPT.set(chosen?) {
        // Another thread kept its answer first: ours is one reference too
        // many.
        release(lib);
    }
    KEPT.get()
}
