//! The C ABI: thin `extern "C"` functions with libbpf v1.7.0's prototypes.
//!
//! Each function converts its arguments, calls [`crate::link`], and maps the
//! result to libbpf's convention through [`ffi_int!`] / [`ffi_ptr!`]:
//! an `int` function returns a value `>= 0`, or `-errno` with `errno` set to
//! the same code; a pointer function returns NULL with `errno` set. Values
//! coming from C (attach types, link types, flags) are plain integers.
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
pub mod libbpf;

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

/// Reports a caught panic and returns the errno to use.
#[cold]
pub fn panicked(func: &core::ffi::CStr) -> Errno {
    crate::pr_warn!("bpflink: internal error in %s\n", func.as_ptr());
    let e = Errno(PANIC_ERRNO);
    set_errno(e);
    e
}

/// Runs an `int`-returning body (`Result<c_int, Errno>`) behind the panic
/// boundary and maps it to libbpf's convention.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_int {
    ($name:literal, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::core::result::Result<::core::ffi::c_int, ::errno::Errno> { $body },
        )) {
            Ok(r) => $crate::capi::int_result(r),
            Err(_) => -$crate::capi::panicked($name).0,
        }
    }};
}

/// Runs a body that yields a value directly (pointers, `void`) behind the
/// panic boundary; `$on_panic` is returned if it panics.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi_val {
    ($name:literal, $on_panic:expr, $body:block) => {{
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(v) => v,
            Err(_) => {
                $crate::capi::panicked($name);
                $on_panic
            }
        }
    }};
}
