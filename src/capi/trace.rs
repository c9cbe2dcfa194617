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
//!
//! Cost when off: the entry points test `off()` (one byte compared) before
//! anything else and take a path without any tracing code; the first call
//! of the process reads the variable (see `bench/`, BENCHMARKS.md).

use core::ffi::{CStr, c_char, c_int};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU8, Ordering};

/// `BPFLINK_TRACE` not read yet.
const UNKNOWN: u8 = 0;
/// Read: tracing off.
const OFF: u8 = 1;
/// Read: tracing on.
const ON: u8 = 2;

/// The switch. Every thread that finds it UNKNOWN reads the environment and
/// stores the same answer, so relaxed ordering is enough.
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether tracing is known to be off: the entry points' fast-path test.
/// False before the first read of `BPFLINK_TRACE`, so the first call takes
/// the slow path, which reads it ([`enabled`]).
#[inline(always)]
pub(crate) fn off() -> bool {
    // x86-64: one `cmp` with the byte in memory and a jump. LLVM does not
    // fold an atomic load into the compare (a load, a compare and a jump:
    // one instruction more on every call; BENCHMARKS.md). A byte load is
    // atomic on x86-64, so this is the relaxed load below.
    // (Miri cannot run inline assembly: it takes the load.)
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        // SAFETY: reads one byte of a static that lives as long as the
        // library; changes only the flags.
        unsafe {
            core::arch::asm!(
                "cmp byte ptr [rip + {state}], {off}",
                "jne {no}",
                state = sym STATE,
                off = const OFF,
                no = label { return false; },
                options(nostack, readonly),
            );
        }
        true
    }
    #[cfg(any(not(target_arch = "x86_64"), miri))]
    {
        STATE.load(Ordering::Relaxed) == OFF
    }
}

/// Whether tracing is on (`BPFLINK_TRACE` read once).
#[cold]
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        UNKNOWN => {
            // libc's getenv, as libbpf reads LIBBPF_LOG_LEVEL (and
            // log/shim.c does here): no copy, so no heap allocation even
            // when the variable is set ("0" or empty: off).
            // SAFETY: a NUL-terminated name; the value, if any, is a
            // NUL-terminated string read before any other env change by
            // this thread.
            let v = unsafe { libc::getenv(c"BPFLINK_TRACE".as_ptr()) };
            // SAFETY: getenv's answer is NULL or a valid C string.
            let on = !v.is_null() && !matches!(unsafe { CStr::from_ptr(v) }.to_bytes(), b"" | b"0");
            STATE.store(if on { ON } else { OFF }, Ordering::Relaxed);
            on
        }
        s => s == ON,
    }
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

/// The arguments of a traced call, as a tuple passed by value to the cold
/// trace path (so the fast path never keeps them for it).
pub trait Args {
    /// Calls `f` with the arguments as a list.
    fn with_list<R>(&self, f: impl FnOnce(&[&dyn Show]) -> R) -> R;
}

macro_rules! args_tuple {
    ($($T:ident $i:tt),*) => {
        impl<$($T: Show),*> Args for ($($T,)*) {
            fn with_list<R>(&self, f: impl FnOnce(&[&dyn Show]) -> R) -> R {
                f(&[$(&self.$i),*])
            }
        }
    };
}
args_tuple!();
args_tuple!(A 0);
args_tuple!(A 0, B 1);
args_tuple!(A 0, B 1, C 2);
args_tuple!(A 0, B 1, C 2, D 3);

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
