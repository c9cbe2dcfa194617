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
//! Cost when off: the entry points test `off()` (one byte loaded and
//! compared) before anything else and take a path without any tracing
//! code; the first call of the process reads the variable (see `bench/`,
//! BENCHMARKS.md).

use core::ffi::{CStr, c_char};
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
pub fn off() -> bool {
    STATE.load(Ordering::Relaxed) == OFF
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

/// A trace line being written: a fixed buffer, cut short (never grown) if
/// a line would not fit. No allocation and no formatting machinery, so
/// writing one cannot fail or panic.
pub struct Line {
    buf: [u8; 512],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Self {
            buf: [0; 512],
            len: 0,
        }
    }

    /// Appends `bytes`, as much as fits.
    pub fn push(&mut self, bytes: &[u8]) {
        let free = self.buf.get_mut(self.len..).unwrap_or_default();
        let n = bytes.len().min(free.len());
        for (d, s) in free.iter_mut().zip(bytes) {
            *d = *s;
        }
        self.len += n;
    }

    /// Appends `v` in decimal.
    pub fn dec(&mut self, v: i64) {
        if v < 0 {
            self.push(b"-");
        }
        self.digits(v.unsigned_abs(), 10);
    }

    /// Appends `v` as `0x` and lower-case hex digits.
    pub fn hex(&mut self, v: u64) {
        self.push(b"0x");
        self.digits(v, 16);
    }

    fn digits(&mut self, mut v: u64, base: u64) {
        let mut d = [0u8; 20];
        let mut i = d.len();
        loop {
            i -= 1;
            let digit = (v % base) as u8;
            if let Some(slot) = d.get_mut(i) {
                *slot = if digit < 10 {
                    b'0' + digit
                } else {
                    b'a' + digit - 10
                };
            }
            v /= base;
            if v == 0 || i == 0 {
                break;
            }
        }
        self.push(d.get(i..).unwrap_or_default());
    }
}

/// How an argument or result is shown.
pub trait Show {
    fn show(&self, out: &mut Line);
}

impl Show for i32 {
    fn show(&self, out: &mut Line) {
        out.dec(i64::from(*self));
    }
}

impl Show for u32 {
    fn show(&self, out: &mut Line) {
        out.dec(i64::from(*self));
    }
}

/// A pointer argument or result, by address.
pub struct Ptr(pub *const core::ffi::c_void);
impl Show for Ptr {
    fn show(&self, out: &mut Line) {
        if self.0.is_null() {
            out.push(b"NULL");
        } else {
            out.hex(self.0 as usize as u64);
        }
    }
}
impl<T> Show for *const T {
    fn show(&self, out: &mut Line) {
        Ptr(self.cast()).show(out)
    }
}
impl<T> Show for *mut T {
    fn show(&self, out: &mut Line) {
        Ptr(self.cast()).show(out)
    }
}

/// A C string argument, shown quoted with Rust's escapes for ASCII (`\"`,
/// `\\`, `\n`, `\x7f`, ...) and every byte past ASCII as `\xNN`.
pub struct Str(pub *const c_char);
impl Show for Str {
    fn show(&self, out: &mut Line) {
        if self.0.is_null() {
            return out.push(b"NULL");
        }
        // SAFETY: shown only after the call, which treated it as a string.
        let s = unsafe { CStr::from_ptr(self.0) };
        out.push(b"\"");
        for &b in s.to_bytes() {
            match b {
                b'\t' => out.push(b"\\t"),
                b'\r' => out.push(b"\\r"),
                b'\n' => out.push(b"\\n"),
                b'\\' | b'"' | b'\'' => out.push(&[b'\\', b]),
                0x20..=0x7e => out.push(&[b]),
                _ => {
                    let hex = b"0123456789abcdef";
                    let hi = hex.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                    let lo = hex.get(usize::from(b & 15)).copied().unwrap_or(b'0');
                    out.push(&[b'\\', b'x', hi, lo]);
                }
            }
        }
        out.push(b"\"");
    }
}

/// A function pointer argument (print callbacks).
pub struct FnPtr(pub Option<usize>);
impl Show for FnPtr {
    fn show(&self, out: &mut Line) {
        match self.0 {
            None => out.push(b"NULL"),
            Some(p) => out.hex(p as u64),
        }
    }
}

/// No result (`void` functions): nothing after the call.
impl Show for () {
    fn show(&self, _out: &mut Line) {}
}

/// The arguments of a traced call, as a tuple passed by value to the cold
/// trace path (so the fast path never keeps them for it). Shown with
/// static calls only (no `dyn`): the compiler can then see that showing
/// them cannot unwind (see `capi::NoPanic`).
pub trait Args {
    /// Writes the arguments, separated by `", "`.
    fn show_all(&self, out: &mut Line);
}

macro_rules! args_tuple {
    ($($T:ident $i:tt),*) => {
        impl<$($T: Show),*> Args for ($($T,)*) {
            #[allow(unused_variables, unused_mut)]
            fn show_all(&self, out: &mut Line) {
                let mut first = true;
                $(
                    if !first {
                        out.push(b", ");
                    }
                    first = false;
                    self.$i.show(out);
                )*
                let _ = first;
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
/// stderr, keeping errno. Generic only where it must be (showing the
/// arguments and the result); the rest is shared by every entry point.
#[inline(never)]
pub fn line(name: &CStr, args: &impl Args, result: &impl Show, failed: bool) {
    let saved = crate::sys::errno();
    let mut s = Line::new();
    s.start(name);
    args.show_all(&mut s);
    let at = s.result_at();
    result.show(&mut s);
    s.finish(at, failed, saved.0);
    crate::sys::set_errno(saved);
}

impl Line {
    /// `bpflink: name(`.
    #[inline(never)]
    fn start(&mut self, name: &CStr) {
        self.push(b"bpflink: ");
        self.push(name.to_bytes());
        self.push(b"(");
    }

    /// `) = `; where the result starts.
    #[inline(never)]
    fn result_at(&mut self) -> usize {
        self.push(b") = ");
        self.len
    }

    /// Drops ` = ` if no result was shown, adds errno for a failure and the
    /// newline, and writes the line to stderr.
    #[inline(never)]
    fn finish(&mut self, result_at: usize, failed: bool, errno: i32) {
        if self.len == result_at {
            self.len = result_at.saturating_sub(3); // nothing to show: no " = "
        }
        if failed {
            self.push(b" (errno ");
            self.dec(i64::from(errno));
            self.push(b")");
        }
        self.push(b"\n");
        let text = self.buf.get(..self.len).unwrap_or_default();
        // SAFETY: writing an initialised buffer to fd 2; a short or failed
        // write only loses trace output.
        let _ = unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: &impl Show) -> String {
        let mut l = Line::new();
        v.show(&mut l);
        String::from_utf8(l.buf[..l.len].to_vec()).unwrap()
    }

    #[test]
    fn values_are_shown_as_rusts_formatting_would() {
        for s in [c"/sys/fs/bpf/l", c"a\"b\\c'd\te\nf\r", c"\x01\x7f", c""] {
            assert_eq!(shown(&Str(s.as_ptr())), format!("{s:?}"));
        }
        // Bytes past ASCII are shown one by one, UTF-8 or not.
        assert_eq!(shown(&Str(c"\xff\xc3\xa9".as_ptr())), r#""\xff\xc3\xa9""#);
        assert_eq!(shown(&Str(core::ptr::null())), "NULL");
        for v in [0, 1, -1, 9, 10, -17, i32::MAX, i32::MIN] {
            assert_eq!(shown(&v), v.to_string());
        }
        assert_eq!(shown(&u32::MAX), u32::MAX.to_string());
        for p in [1usize, 0xdead_beef, usize::MAX] {
            assert_eq!(shown(&(p as *const u8)), format!("{:p}", p as *const u8));
            assert_eq!(shown(&FnPtr(Some(p))), format!("{p:#x}"));
        }
        assert_eq!(shown(&(core::ptr::null::<u8>())), "NULL");
        assert_eq!(shown(&FnPtr(None)), "NULL");
        assert_eq!(shown(&()), "");
    }

    #[test]
    fn a_line_too_long_is_cut_not_grown() {
        let mut l = Line::new();
        for _ in 0..100 {
            l.push(b"0123456789");
        }
        assert_eq!(l.len, 512);
        l.dec(-5);
        assert_eq!(l.len, 512);
    }
}
