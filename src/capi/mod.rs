//! The C ABI: thin `extern "C"` functions with libbpf v1.7.0's prototypes,
//! plus bpflink's own extensions (`bpflink_*`, in `<bpflink.h>`).
//!
//! Each function converts its arguments, calls [`crate::link`] or
//! [`crate::object`], and maps the result to libbpf's convention through
//! [`ffi_int!`] / [`ffi_ptr!`] / [`ffi_val!`]: an `int` function returns a
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

use errno::{Errno, set_errno};

/// The errno a caller sees when bpflink panicked internally.
pub const PANIC_ERRNO: c_int = libc::ENOTRECOVERABLE;

/// libbpf's `libbpf_err`: `Err(e)` becomes `-e` with errno `e`.
pub fn int_result(r: Result<c_int, Errno>) -> c_int {
    match r {
        Ok(v) => v,
        Err(e) => {
            set_errno(e);
            -e.0
        }
    }
}

/// libbpf's `libbpf_err_ptr`: `Err(e)` becomes NULL with errno `e`.
pub fn ptr_result<T>(r: Result<core::ptr::NonNull<T>, Errno>) -> *mut T {
    match r {
        Ok(p) => p.as_ptr(),
        Err(e) => {
            set_errno(e);
            core::ptr::null_mut()
        }
    }
}

/// Reports a caught panic and returns the errno to use.
#[cold]
pub fn panicked(func: &core::ffi::CStr) -> Errno {
    crate::pr_warn!("bpflink: internal error in %s\n", func.as_ptr());
    let e = Errno(PANIC_ERRNO);
    set_errno(e);
    e
}

/// An `int` function: the body yields `Result<c_int, Errno>`, mapped to
/// libbpf's convention behind the panic boundary, then traced.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_int {
    ($name:literal ($($arg:expr),*), $body:block) => {{
        let r = match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::core::result::Result<::core::ffi::c_int, ::errno::Errno> { $body },
        )) {
            Ok(r) => $crate::capi::int_result(r),
            Err(_) => -$crate::capi::panicked($name).0,
        };
        if $crate::capi::trace::enabled() {
            $crate::capi::trace::int($name, &[$(&$arg),*], r);
        }
        r
    }};
}

/// A pointer function: the body yields `Result<NonNull<T>, Errno>`; errors
/// and panics become NULL with errno set.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_ptr {
    ($name:literal ($($arg:expr),*), $body:block) => {{
        let r = match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(r) => $crate::capi::ptr_result(r),
            Err(_) => {
                $crate::capi::panicked($name);
                ::core::ptr::null_mut()
            }
        };
        if $crate::capi::trace::enabled() {
            $crate::capi::trace::line($name, &[$(&$arg),*], &r, r.is_null());
        }
        r
    }};
}

/// A function that yields its C value directly (no error convention of
/// its own); `$on_panic` is returned if the body panics. `$show` turns the
/// value into something the trace can print.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_val {
    ($name:literal ($($arg:expr),*), $on_panic:expr, |$v:ident| $show:expr, $body:block) => {{
        let r = match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => {
                $crate::capi::panicked($name);
                $on_panic
            }
        };
        if $crate::capi::trace::enabled() {
            let $v = &r;
            $crate::capi::trace::line($name, &[$(&$arg),*], &$show, false);
        }
        r
    }};
}
