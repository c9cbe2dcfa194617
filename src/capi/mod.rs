//! The C ABI: thin `extern "C"` functions with libbpf v1.7.0's prototypes,
//! plus bpflink's own extensions (`bpflink_*`, in `<bpflink.h>`).
//!
//! Each function converts its arguments, calls [`crate::link`] or
//! [`crate::object`], and hands the answer to [`ffi!`], the one boundary:
//! the function's C return type ([`CReturn`]) says how an answer becomes
//! libbpf's convention (an `int` function returns a value `>= 0` or
//! `-errno` with errno set to the same code; a pointer function returns
//! NULL with errno set) and what a caller gets if the body panicked. Values
//! coming from C (attach types, link types, flags) are plain integers.
//!
//! **Panic policy.** Every body runs under `catch_unwind`. A panic is a
//! bpflink bug; it never unwinds into C. The call then returns
//! `-ENOTRECOVERABLE` (or NULL, or the function's documented fallback) with
//! errno `ENOTRECOVERABLE`, after one warning through the print callback.
//!
//! **Trace.** With `BPFLINK_TRACE` set, each call also writes one line to
//! stderr ([`trace`]); the switch is tested first, so that the arguments
//! are kept for a trace line only on the traced path.

// The pointer contracts of these functions are libbpf's, documented for C
// callers in each function's comment (which becomes the C header's).
#[allow(clippy::missing_safety_doc)]
pub mod bpf;
#[allow(clippy::missing_safety_doc)]
pub mod bpflink;
#[allow(clippy::missing_safety_doc)]
pub mod libbpf;
pub mod trace;

use core::ffi::{CStr, c_char, c_int};
use core::ptr::NonNull;
use std::panic::{AssertUnwindSafe, catch_unwind};

use errno::Errno;

use crate::log::libbpf_print_fn_t;
use crate::sys::set_errno;

/// The errno a caller sees when bpflink panicked internally.
pub const PANIC_ERRNO: c_int = libc::ENOTRECOVERABLE;

/// A C return type: how the answer of a function's body becomes the value
/// a C caller gets, and what it gets when the body panicked.
pub trait CReturn: Sized {
    /// What the body yields.
    type Answer;
    /// libbpf's convention for this type.
    fn from_answer(a: Self::Answer) -> Self;
    /// The value after a panic (errno is already `ENOTRECOVERABLE`).
    fn on_panic() -> Self;
    /// Whether the value reports a failure (the trace then shows errno).
    fn failed(&self) -> bool {
        false
    }
    /// The value as the trace shows it.
    fn shown(&self) -> impl trace::Show;
}

/// `int`: libbpf's `libbpf_err`. `Err(e)` becomes `-e` with errno `e`; an
/// `Ok` value is returned as it is, errno untouched (`bpf_link__fd` of an
/// object whose fd is -1 answers -1 so).
impl CReturn for c_int {
    type Answer = Result<c_int, Errno>;
    #[inline(always)]
    fn from_answer(a: Self::Answer) -> Self {
        match a {
            Ok(v) => v,
            Err(e) => fail(e.0),
        }
    }
    fn on_panic() -> Self {
        -PANIC_ERRNO
    }
    fn failed(&self) -> bool {
        *self < 0
    }
    fn shown(&self) -> impl trace::Show {
        *self
    }
}

/// A new object: libbpf's `libbpf_err_ptr`, NULL with errno set.
impl<T> CReturn for *mut T {
    type Answer = Result<NonNull<T>, Errno>;
    #[inline(always)]
    fn from_answer(a: Self::Answer) -> Self {
        match a {
            Ok(p) => p.as_ptr(),
            Err(e) => {
                set_errno(e);
                core::ptr::null_mut()
            }
        }
    }
    fn on_panic() -> Self {
        core::ptr::null_mut()
    }
    fn failed(&self) -> bool {
        self.is_null()
    }
    fn shown(&self) -> impl trace::Show {
        *self
    }
}

/// A string owned elsewhere (or NULL, which is an answer of its own):
/// `Err(e)` is NULL with errno set.
impl CReturn for *const c_char {
    type Answer = Result<*const c_char, Errno>;
    #[inline(always)]
    fn from_answer(a: Self::Answer) -> Self {
        a.unwrap_or_else(|e| {
            set_errno(e);
            core::ptr::null()
        })
    }
    fn on_panic() -> Self {
        core::ptr::null()
    }
    fn shown(&self) -> impl trace::Show {
        trace::Str(*self)
    }
}

/// `void`.
impl CReturn for () {
    type Answer = ();
    fn from_answer(_: ()) {}
    fn on_panic() {}
    fn shown(&self) -> impl trace::Show {}
}

/// A print callback (`libbpf_set_print`'s previous one); NULL after a
/// panic.
impl CReturn for libbpf_print_fn_t {
    type Answer = Self;
    fn from_answer(a: Self) -> Self {
        a
    }
    fn on_panic() -> Self {
        None
    }
    fn shown(&self) -> impl trace::Show {
        trace::FnPtr(self.map(|f| f as usize))
    }
}

/// errno `e`, `-e` returned; out of line so that the success path keeps
/// nothing in callee-saved registers for it; `extern "C"`: a call that
/// cannot unwind.
#[cold]
#[inline(never)]
extern "C" fn fail(e: c_int) -> c_int {
    set_errno(Errno(e));
    e.wrapping_neg()
}

/// Reports a caught panic and sets errno.
#[cold]
#[inline(never)]
fn panicked(func: &CStr) {
    crate::pr_warn!("bpflink: internal error in %s\n", func.as_ptr());
    set_errno(Errno(PANIC_ERRNO));
}

/// Proof that no entry point can panic: in an optimised build (not the
/// test ones, which panic on purpose), [`boundary`] holds one of these
/// across each body and forgets it after. Only an unwinding body would
/// drop it, and dropping it calls a function that exists nowhere, so a body
/// from which a panic is reachable leaves an undefined reference to
/// `bpflink_panic_is_reachable_from_an_entry_point` and the link of
/// libbpflink.so.1 (`-Wl,--no-undefined`) fails, naming the function. A
/// body that cannot unwind has no unwinding path, and the reference is
/// optimised away with it. `catch_unwind` stays, as the second line of
/// defence of builds that are not checked so.
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

/// Runs `f` with the [`NoPanic`] proof held across it.
#[inline(always)]
fn no_panic<T>(f: impl FnOnce() -> T) -> T {
    let proof = NoPanic;
    let r = f();
    core::mem::forget(proof);
    r
}

/// Calls `f`, out of line: the one copy of an entry point's body that both
/// the fast and the traced path of [`ffi!`] call.
#[doc(hidden)]
#[inline(never)]
pub fn outlined<T>(f: impl FnOnce() -> T) -> T {
    f()
}

/// Runs `body` behind the panic boundary and maps its answer to `R`
/// (through [`ffi!`]).
#[doc(hidden)]
#[inline(always)]
pub fn boundary<R: CReturn>(name: &'static CStr, body: impl FnOnce() -> R::Answer) -> R {
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

/// [`boundary`], then the trace line: the path of the first call (which reads
/// `BPFLINK_TRACE`) and of every call while tracing. The arguments come
/// first so that they can stay in the registers they arrived in until the
/// fast path has been left.
#[doc(hidden)]
#[cold]
#[inline(never)]
pub fn boundary_traced<R: CReturn>(
    args: impl trace::Args,
    body: impl FnOnce() -> R::Answer,
    name: &'static CStr,
) -> R {
    let r: R = boundary(name, body);
    if trace::enabled() {
        no_panic(|| trace::line(name, &args, &r.shown(), r.failed()));
    }
    r
}

/// The boundary of every exported function, as
/// `ffi!(c"name"(arg, ...) { body })` in a function returning a
/// [`CReturn`] type; the body yields that type's `Answer` and is written
/// once. When tracing is known to be off (one byte tested first) it runs
/// inline with nothing kept for a trace line; otherwise through
/// [`boundary_traced`]. The arguments are what the trace shows.
#[macro_export]
#[doc(hidden)]
macro_rules! ffi {
    ($name:literal ($($arg:expr),*) $body:block) => {{
        // The body, once: both paths below call the same out-of-line copy.
        let body = move || $crate::capi::outlined(move || $body);
        if $crate::capi::trace::off() {
            $crate::capi::boundary($name, body)
        } else {
            $crate::capi::boundary_traced(($($arg,)*), body, $name)
        }
    }};
}

#[cfg(test)]
mod tests {
    //! The panic policy, driven through the test-only trigger.

    use super::*;
    use crate::panic_point::arm;
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
