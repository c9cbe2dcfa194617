//! Helpers for the crate's unit tests.

use core::ffi::{c_char, c_int, c_void};
use std::sync::Mutex;

use crate::log::{self, libbpf_print_level};

unsafe extern "C" {
    fn vsnprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ap: *mut c_void) -> c_int;
}

static LOCK: Mutex<()> = Mutex::new(());
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn collect(
    _level: libbpf_print_level,
    fmt: *const c_char,
    ap: log::va_list,
) -> c_int {
    let mut buf = [0 as c_char; 512];
    // SAFETY: `fmt` and `ap` come from the library's print call; the
    // buffer is 512 bytes and vsnprintf NUL-terminates within it.
    let n = unsafe { vsnprintf(buf.as_mut_ptr(), buf.len(), fmt, ap) };
    // SAFETY: NUL-terminated by vsnprintf.
    let s = unsafe { core::ffi::CStr::from_ptr(buf.as_ptr()) };
    SEEN.lock().unwrap().push(s.to_string_lossy().into_owned());
    n
}

/// Runs `f` with a callback that records every message, and returns `f`'s
/// result and the messages. Serialised: the callback is process-wide.
/// (Under Miri, which cannot run the C callback, the messages come from
/// `log::miri`, formatted on the Rust side.)
pub fn capture_warnings<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    SEEN.lock().unwrap().clear();
    let old = log::set_print(Some(collect));
    #[cfg(miri)]
    log::miri::take();
    let r = f();
    log::set_print(old);
    #[cfg(miri)]
    SEEN.lock().unwrap().extend(log::miri::take());
    let msgs = core::mem::take(&mut *SEEN.lock().unwrap());
    (r, msgs)
}
