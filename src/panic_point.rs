//! Test-only panic points: places where a test can make the library panic,
//! to show what a caller sees then (the panic boundary of `capi`, and that
//! no resource of the caller's is lost on the way out).
//!
//! Every entry point has one at the top of its body, named after the
//! function (`bpf_link_create`); a few bodies have more inside, named
//! `<function>:<place>` (`bpflink_link_from_fd:inside`). Points are
//! compiled into unit-test builds (armed per thread with `arm`, for one
//! firing) and into builds with the `test-panic` feature, which only the
//! Makefile's panic test uses (`build/panic/`; armed with
//! `BPFLINK_TEST_PANIC=<name>`: every pass through that point panics). In
//! a shipped build [`here`] is empty (tests-c/check_symbols.sh checks that
//! the shipped library has no trace of it).
//!
//! The lowest layer, beside `log`: any layer may hold a point.

use core::ffi::CStr;

#[cfg(test)]
use std::cell::Cell;

#[cfg(test)]
thread_local! {
    static ARMED: Cell<Option<&'static CStr>> = const { Cell::new(None) };
}

/// Arms the point `name` on this thread, for one firing.
#[cfg(test)]
pub fn arm(name: &'static CStr) {
    ARMED.with(|a| a.set(Some(name)));
}

/// A panic point: panics if armed for `name` (the thread's point, disarmed
/// on firing; or `BPFLINK_TEST_PANIC` in a `test-panic` build).
#[inline(always)]
pub fn here(_name: &CStr) {
    #[cfg(test)]
    if ARMED.with(|a| a.get()) == Some(_name) {
        ARMED.with(|a| a.set(None));
        panic!("test-only panic in {_name:?}");
    }
    #[cfg(feature = "test-panic")]
    {
        // SAFETY: a NUL-terminated name; getenv's answer is NULL or a C
        // string (test builds only).
        let v = unsafe { libc::getenv(c"BPFLINK_TEST_PANIC".as_ptr()) };
        // SAFETY: as above.
        if !v.is_null() && unsafe { CStr::from_ptr(v) } == _name {
            panic!("test-only panic in {_name:?}");
        }
    }
}
