//! The C ABI: thin `extern "C"` functions with libbpf v1.7.0's prototypes,
//! plus bpflink's own extensions (`bpflink_*`, in `<bpflink.h>`).
//!
//! Each function converts its arguments, calls [`crate::link`] or
//! [`crate::object`], and maps the result to libbpf's convention through
//! `ffi_int!` / `ffi_ptr!` / `ffi_val!`: an `int` function returns a
//! value `>= 0`, or `-errno` with `errno` set to the same code; a pointer
//! function returns NULL with `errno` set. Values coming from C (attach
//! types, link types, flags) are plain integers. The same macros write the
//! trace line when `BPFLINK_TRACE` is set ([`trace`]).
//!
//! **Panic policy.** Every entry point runs its body under
//! `catch_unwind`. A panic is a bpflink bug; it never unwinds into C.
//! The call then returns `-ENOTRECOVERABLE` (or NULL) with errno
//! `ENOTRECOVERABLE`, after one warning line through the print callback.

// The pointer contracts of these functions are libbpf's, documented for C
// callers in each function's comment (which becomes the C header's).
#[allow(clippy::missing_safety_doc)]
pub mod bpf;
#[allow(clippy::missing_safety_doc)]
pub mod bpflink;
#[allow(clippy::missing_safety_doc)]
pub mod libbpf;
pub mod trace;

use core::ffi::c_int;

use errno::Errno;

use crate::sys::set_errno;

/// The errno a caller sees when bpflink panicked internally.
pub const PANIC_ERRNO: c_int = libc::ENOTRECOVERABLE;

/// libbpf's `libbpf_err`: `Err(e)` becomes `-e` with errno `e`.
#[inline(always)]
pub fn int_result(r: Result<c_int, Errno>) -> c_int {
    match r {
        Ok(v) => v,
        Err(e) => fail(e.0),
    }
}

/// The error half of [`int_result`], out of line so that the success path
/// keeps nothing in callee-saved registers for it; `extern "C"`: a call
/// that cannot unwind.
#[cold]
#[inline(never)]
extern "C" fn fail(e: c_int) -> c_int {
    set_errno(Errno(e));
    -e
}

/// `-e`, out of line: for an error path that returns an errno value it
/// read from errno itself, leaving errno as it is (libbpf's
/// `libbpf_err_errno`). A plain negation there would let the compiler
/// prepare it on the success path too.
#[cold]
#[inline(never)]
pub extern "C" fn negated(e: c_int) -> c_int {
    -e
}

/// libbpf's `libbpf_err` on a value: a negative `err` also goes to errno
/// (as `-err`); every value is returned as it is.
#[inline(always)]
pub fn libbpf_err(err: c_int) -> c_int {
    if err < 0 {
        set_errno_cold(-err);
    }
    err
}

/// errno, set out of line (see [`fail`]).
#[cold]
#[inline(never)]
extern "C" fn set_errno_cold(e: c_int) {
    set_errno(Errno(e));
}

/// libbpf's `libbpf_err_ptr`: `Err(e)` becomes NULL with errno `e`.
#[inline(always)]
pub fn ptr_result<T>(r: Result<core::ptr::NonNull<T>, Errno>) -> *mut T {
    match r {
        Ok(p) => p.as_ptr(),
        Err(e) => {
            set_errno(e);
            core::ptr::null_mut()
        }
    }
}

/// Runs the test-only panic trigger at the top of an entry point's body
/// ([`crate::panic_point`]); nothing in shipped builds.
#[inline(always)]
pub fn maybe_panic(name: &core::ffi::CStr) {
    crate::panic_point::here(name);
}

/// Reports a caught panic and returns the errno to use.
#[cold]
pub fn panicked(func: &core::ffi::CStr) -> Errno {
    crate::pr_warn!("bpflink: internal error in %s\n", func.as_ptr());
    let e = Errno(PANIC_ERRNO);
    set_errno(e);
    e
}

/// Runs an entry point's body behind the panic boundary and maps its
/// result to libbpf's `int` convention. Always inlined: this is the whole
/// fast path of an `int` function when tracing is off.
#[inline(always)]
pub fn run_int(
    name: &'static core::ffi::CStr,
    body: impl FnOnce() -> Result<c_int, Errno>,
) -> c_int {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(r) => int_result(r),
        Err(_) => -panicked(name).0,
    }
}

/// [`run_int`], then the trace line if tracing is on: the path of the
/// first call (which reads `BPFLINK_TRACE`) and of every call when tracing.
/// The arguments come first, so that they can stay in the registers they
/// arrived in until the fast path has been left.
#[cold]
#[inline(never)]
pub fn traced_int(
    args: impl trace::Args,
    body: impl FnOnce() -> Result<c_int, Errno>,
    name: &'static core::ffi::CStr,
) -> c_int {
    let r = run_int(name, body);
    if trace::enabled() {
        args.with_list(|a| trace::int(name, a, r));
    }
    r
}

/// [`run_int`] for pointer functions: errors and panics become NULL with
/// errno set.
#[inline(always)]
pub fn run_ptr<T>(
    name: &'static core::ffi::CStr,
    body: impl FnOnce() -> Result<core::ptr::NonNull<T>, Errno>,
) -> *mut T {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ptr_result(body()))) {
        Ok(r) => r,
        Err(_) => {
            panicked(name);
            core::ptr::null_mut()
        }
    }
}

/// [`traced_int`] for pointer functions.
#[cold]
#[inline(never)]
pub fn traced_ptr<T>(
    args: impl trace::Args,
    body: impl FnOnce() -> Result<core::ptr::NonNull<T>, Errno>,
    name: &'static core::ffi::CStr,
) -> *mut T {
    let r = run_ptr(name, body);
    if trace::enabled() {
        args.with_list(|a| trace::line(name, a, &r, r.is_null()));
    }
    r
}

/// An `int` function: the body yields `Result<c_int, Errno>`, mapped to
/// libbpf's convention behind the panic boundary, then traced.
///
/// When tracing is known to be off (one byte tested first), the body runs
/// on a path with no tracing code at all, so the arguments need not be kept
/// for a trace line; otherwise [`traced_int`] runs it. (Measured with
/// callgrind in bench/: see BENCHMARKS.md.)
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_int {
    ($name:literal ($($arg:expr),*), $body:block) => {{
        // The body appears twice: inlined on the fast path, and in a closure
        // built only on the traced path (one closure for both would make
        // the compiler store the arguments for it on every call).
        if $crate::capi::trace::off() {
            $crate::capi::run_int($name, move || {
                $crate::capi::maybe_panic($name);
                $body
            })
        } else {
            $crate::capi::traced_int(($($arg,)*), move || {
                $crate::capi::maybe_panic($name);
                $body
            }, $name)
        }
    }};
}

/// A pointer function: the body yields `Result<NonNull<T>, Errno>`; errors
/// and panics become NULL with errno set. Fast and traced paths as in
/// `ffi_int!`.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_ptr {
    ($name:literal ($($arg:expr),*), $body:block) => {{
        if $crate::capi::trace::off() {
            $crate::capi::run_ptr($name, move || {
                $crate::capi::maybe_panic($name);
                $body
            })
        } else {
            $crate::capi::traced_ptr(($($arg,)*), move || {
                $crate::capi::maybe_panic($name);
                $body
            }, $name)
        }
    }};
}

/// A function that yields its C value directly (no error convention of
/// its own); `$on_panic` is returned if the body panics. `$show` turns the
/// value into something the trace can print.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_val {
    ($name:literal ($($arg:expr),*), $on_panic:expr, |$v:ident| $show:expr, $body:block) => {{
        let r = match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            $crate::capi::maybe_panic($name);
            $body
        })) {
            Ok(v) => v,
            Err(_) => {
                $crate::capi::panicked($name);
                $on_panic
            }
        };
        if !$crate::capi::trace::off() && $crate::capi::trace::enabled() {
            let $v = &r;
            $crate::capi::trace::line($name, &[$(&$arg),*], &$show, false);
        }
        r
    }};
}

#[cfg(test)]
mod tests {
    //! The panic policy, driven through the test-only trigger.

    use crate::panic_point::arm;
    use super::*;
    use crate::testutil::capture_warnings;

    #[test]
    fn a_panic_in_an_int_function_becomes_enotrecoverable() {
        let (r, msgs) = capture_warnings(|| {
            arm(c"bpf_link_detach");
            errno::set_errno(Errno(0));
            let r = bpf::bpf_link_detach(-1);
            (r, errno::errno().0)
        });
        assert_eq!(r, (-libc::ENOTRECOVERABLE, libc::ENOTRECOVERABLE));
        assert_eq!(
            msgs,
            ["libbpf: bpflink: internal error in bpf_link_detach\n"]
        );
        // The trigger fires once; the next call reaches the kernel again
        // (not under Miri, which has no bpf(2)).
        #[cfg(not(miri))]
        assert_ne!(bpf::bpf_link_detach(-1), -libc::ENOTRECOVERABLE);
    }

    #[test]
    fn a_panic_in_a_pointer_function_becomes_null() {
        let (r, msgs) = capture_warnings(|| {
            arm(c"bpf_link__open");
            // SAFETY: a NUL-terminated path; the call panics before using it.
            let p = unsafe { libbpf::bpf_link__open(c"/nonexistent".as_ptr()) };
            (p.is_null(), errno::errno().0)
        });
        assert_eq!(r, (true, libc::ENOTRECOVERABLE));
        assert_eq!(
            msgs,
            ["libbpf: bpflink: internal error in bpf_link__open\n"]
        );
    }

    #[test]
    fn a_panic_in_a_value_function_returns_its_fallback() {
        let (r, _) = capture_warnings(|| {
            arm(c"libbpf_bpf_link_type_str");
            libbpf::libbpf_bpf_link_type_str(3).is_null()
        });
        assert!(r);
        assert!(!libbpf::libbpf_bpf_link_type_str(3).is_null());
    }
}
