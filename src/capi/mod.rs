//! The C ABI: thin `extern "C"` functions with libbpf v1.7.0's prototypes,
//! plus bpflink's own extensions (`bpflink_*`, in `<bpflink.h>`).
//!
//! Each function converts its arguments, calls [`crate::link`] or
//! [`crate::object`], and hands the answer to `ffi!`, the one boundary:
//! the C return type (`CReturn`) says how an answer becomes libbpf's
//! convention (`-errno` with errno set, NULL with errno set, ...) and what
//! a caller gets after a panic. Values from C are plain integers.
//!
//! **Panics** are bugs and never unwind into C: no panic is reachable from
//! an export (`NoPanic` proves it at link time), and `catch_unwind` turns
//! one into `-ENOTRECOVERABLE` (or NULL, or the documented fallback) with
//! errno `ENOTRECOVERABLE` and one warning, should it happen anyway.
//! **Trace**: with `BPFLINK_TRACE` set, each call writes a line (`trace.rs`).

// The pointer contracts of these functions are libbpf's, documented for C
// callers in each function's comment (which becomes the C header's).
#[allow(clippy::missing_safety_doc)]
pub mod bpf;
#[allow(clippy::missing_safety_doc)]
pub mod bpflink;
#[allow(clippy::missing_safety_doc)]
pub mod libbpf;
mod returns;
pub(crate) mod trace;

use crate::sys::set_errno;
use core::ffi::{CStr, c_int};
use errno::Errno;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The errno after an internal panic.
pub const PANIC_ERRNO: c_int = libc::ENOTRECOVERABLE;

/// A C return type: how a body's answer becomes the C value, and the value
/// after a panic.
pub(crate) trait CReturn: Sized {
    /// What the body yields.
    type Answer;
    /// libbpf's convention for this type.
    fn from_answer(a: Self::Answer) -> Self;
    /// The value after a panic (errno is already `ENOTRECOVERABLE`).
    fn on_panic() -> Self;
    /// Whether the value reports a failure (the trace shows errno).
    fn failed(&self) -> bool {
        false
    }
    /// The value as the trace shows it.
    fn shown(&self) -> trace::Shown;
}

/// Reports a caught panic and sets errno.
#[cold]
#[inline(never)]
fn panicked(func: &CStr) {
    crate::pr_warn!("bpflink: internal error in %s\n", func.as_ptr());
    set_errno(Errno(PANIC_ERRNO));
}

/// Proof that no entry point can panic: in an optimised build (not the
/// test ones), [`boundary`] holds one across each body and forgets it
/// after. Only unwinding would drop it, and its drop calls a function that
/// exists nowhere: a body that could panic leaves an undefined reference to
/// `bpflink_panic_is_reachable_from_an_entry_point`, and the link of
/// libbpflink.so.1 (`--no-undefined`) fails, naming the function.
struct NoPanic;

impl Drop for NoPanic {
    #[inline(always)]
    fn drop(&mut self) {
        #[cfg(not(any(debug_assertions, test, feature = "test-panic")))]
        {
            unsafe extern "C" {
                fn bpflink_panic_is_reachable_from_an_entry_point() -> !;
            }
            // SAFETY: never runs in a library that links (see above).
            unsafe { bpflink_panic_is_reachable_from_an_entry_point() }
        }
    }
}

/// Runs `f` with the [`NoPanic`] proof held.
#[inline(always)]
fn no_panic<T>(f: impl FnOnce() -> T) -> T {
    let proof = NoPanic;
    let r = f();
    core::mem::forget(proof);
    r
}

/// Calls `f` out of line: the one copy of a body both paths of `ffi!` call.
#[doc(hidden)]
#[inline(never)]
pub(crate) fn outlined<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Runs `body` behind the panic boundary and maps its answer to `R`.
#[doc(hidden)]
#[inline(always)]
pub(crate) fn boundary<R: CReturn>(name: &'static CStr, body: impl FnOnce() -> R::Answer) -> R {
    match catch_unwind(AssertUnwindSafe(|| {
        crate::panic_point::here(name);
        no_panic(body)
    })) {
        Ok(a) => R::from_answer(a),
        Err(_) => {
            panicked(name);
            R::on_panic()
        }
    }
}

/// [`boundary`], then the trace line: the path of the first call (which
/// reads `BPFLINK_TRACE`) and of every call while tracing.
#[doc(hidden)]
#[cold]
#[inline(never)]
pub(crate) fn boundary_traced<R: CReturn>(
    args: impl trace::Args,
    body: impl FnOnce() -> R::Answer,
    name: &'static CStr,
) -> R {
    let r: R = boundary(name, body);
    if trace::enabled() {
        no_panic(|| trace::line(name, args.shown(), r.shown(), r.failed()));
    }
    r
}

/// The boundary of every exported function, `ffi!(c"name"(arg, ...) {
/// body })` in a function returning a [`CReturn`] type, the body yielding
/// its `Answer`. With tracing known to be off (one byte tested) nothing is
/// kept for a trace line; else [`boundary_traced`] shows the arguments.
macro_rules! ffi {
    ($name:literal ($($arg:expr),*) $body:block) => {{
        // The body, once: both paths below call the same out-of-line copy.
        let body = move || $body;
        if $crate::capi::trace::off() {
            $crate::capi::boundary($name, body)
        } else {
            $crate::capi::boundary_traced(($($arg,)*), move || $crate::capi::outlined(body), $name)
        }
    }};
}
pub(crate) use ffi;

#[cfg(test)]
mod tests;
