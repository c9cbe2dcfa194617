//! The trace switch: with `BPFLINK_TRACE` set to anything but empty or
//! `0`, every exported function writes one line to stderr after it runs:
//!
//! ```text
//! bpflink: bpf_link_create(5, 7, 0, 0x7ffd5c8e1a40) = 9
//! bpflink: bpf_link__pin(0x5581e04e72a0, "/sys/fs/bpf/l") = -17 (errno 17)
//! ```
//!
//! It shows which library served a call (bpflink under `LD_PRELOAD`).
//! The variable is read once; errno is preserved.

use core::ffi::{CStr, c_char, c_int};
use core::fmt::{self, Write};
use std::sync::OnceLock;

/// Whether tracing is on (`BPFLINK_TRACE` read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BPFLINK_TRACE").is_some_and(|v| !v.is_empty() && v != "0"))
}

/// How an argument or result is shown.
pub trait Show {
    fn show(&self, out: &mut String) -> fmt::Result;
}

macro_rules! show_display {
    ($($t:ty),*) => { $(impl Show for $t {
        fn show(&self, out: &mut String) -> fmt::Result { write!(out, "{self}") }
    })* };
}
show_display!(i32, u32);

impl<T> Show for *const T {
    fn show(&self, out: &mut String) -> fmt::Result {
        if self.is_null() {
            out.write_str("NULL")
        } else {
            write!(out, "{:p}", *self)
        }
    }
}
impl<T> Show for *mut T {
    fn show(&self, out: &mut String) -> fmt::Result {
        (*self as *const T).show(out)
    }
}

/// A C string argument, shown quoted.
pub struct Str(pub *const c_char);
impl Show for Str {
    fn show(&self, out: &mut String) -> fmt::Result {
        if self.0.is_null() {
            return out.write_str("NULL");
        }
        // SAFETY: shown only after the call, which treated it as a string.
        write!(out, "{:?}", unsafe { CStr::from_ptr(self.0) })
    }
}

/// A function pointer argument (print callbacks).
pub struct FnPtr(pub Option<usize>);
impl Show for FnPtr {
    fn show(&self, out: &mut String) -> fmt::Result {
        match self.0 {
            None => out.write_str("NULL"),
            Some(p) => write!(out, "{:#x}", p),
        }
    }
}

/// No result (`void` functions).
pub struct Void;
impl Show for Void {
    fn show(&self, _out: &mut String) -> fmt::Result {
        Ok(())
    }
}

/// Writes `bpflink: name(args) = result` (and errno for failures) to
/// stderr, keeping errno.
pub fn line(name: &CStr, args: &[&dyn Show], result: &dyn Show, failed: bool) {
    let saved = errno::errno();
    let mut s = String::with_capacity(96);
    let _ = write!(s, "bpflink: {}(", name.to_string_lossy());
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = a.show(&mut s);
    }
    s.push(')');
    let mut r = String::new();
    let _ = result.show(&mut r);
    if !r.is_empty() {
        s.push_str(" = ");
        s.push_str(&r);
    }
    if failed {
        let _ = write!(s, " (errno {})", saved.0);
    }
    s.push('\n');
    // SAFETY: writing an initialised buffer to fd 2; a short or failed
    // write only loses trace output.
    let _ = unsafe { libc::write(2, s.as_ptr().cast(), s.len()) };
    errno::set_errno(saved);
}

/// Shows an int result; negative ones are failures.
pub fn int(name: &CStr, args: &[&dyn Show], r: c_int) {
    line(name, args, &r, r < 0);
}
