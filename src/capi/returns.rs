//! libbpf's return conventions, one [`CReturn`] impl per C return type
//! of the exported functions.

use core::ffi::{c_char, c_int};
use core::ptr::NonNull;

use errno::Errno;

use super::{CReturn, PANIC_ERRNO, trace};
use crate::log::libbpf_print_fn_t;
use crate::sys::set_errno;

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
    fn shown(&self) -> trace::Shown {
        trace::Show::shown(self)
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
    fn shown(&self) -> trace::Shown {
        trace::Show::shown(self)
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
    fn shown(&self) -> trace::Shown {
        trace::Shown::Str(*self)
    }
}

/// `void`.
impl CReturn for () {
    type Answer = ();
    fn from_answer(_: ()) {}
    fn on_panic() {}
    fn shown(&self) -> trace::Shown {
        trace::Shown::Nothing
    }
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
    fn shown(&self) -> trace::Shown {
        trace::Shown::Ptr(self.map_or(0, |f| f as usize))
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
