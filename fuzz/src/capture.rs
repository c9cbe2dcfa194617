//! Captures what the in-process bpflink (the rlib linked into the fuzz
//! binary) prints through its `libbpf_set_print` callback.

use core::cell::RefCell;
use core::ffi::{c_char, c_int, c_void};
use std::sync::Once;

use bpflink::log::{self, libbpf_print_level};

unsafe extern "C" {
    /// libc's `vsnprintf`, declared by hand: `va_list` is passed as the
    /// pointer the C caller hands the callback.
    pub fn vsnprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ap: *mut c_void) -> c_int;
}

thread_local! {
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Formats one callback invocation (`fmt` + `ap`) into a String.
///
/// # Safety
/// `fmt` and `ap` are what a libbpf-style print call passed.
pub unsafe fn format(fmt: *const c_char, ap: *mut c_void) -> String {
    let mut buf = [0 as c_char; 1024];
    // SAFETY: forwarded contract; the buffer is 1024 bytes and vsnprintf
    // NUL-terminates inside it.
    unsafe { vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, ap) };
    // SAFETY: NUL-terminated by vsnprintf.
    unsafe { core::ffi::CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

unsafe extern "C" fn collect(
    level: libbpf_print_level,
    fmt: *const c_char,
    ap: log::va_list,
) -> c_int {
    // SAFETY: called by bpflink's print path with its format and va_list.
    let s = unsafe { format(fmt, ap) };
    let lvl = level as c_int;
    SEEN.with(|v| {
        v.borrow_mut().push(if lvl == 0 {
            s
        } else {
            format!("<level {lvl}> {s}")
        })
    });
    0
}

/// Runs `f` and returns its result and the messages bpflink printed
/// meanwhile (warnings as their text, other levels tagged).
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_print(Some(collect));
    });
    SEEN.with(|v| v.borrow_mut().clear());
    let r = f();
    let msgs = SEEN.with(|v| core::mem::take(&mut *v.borrow_mut()));
    (r, msgs)
}
