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
pub(crate) fn off() -> bool {
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

/// A value as a trace line shows it: what every argument and result type
/// turns into, so that one non-generic function writes every line.
#[derive(Clone, Copy)]
pub enum Shown {
    /// An integer, in decimal.
    Int(i64),
    /// An address in hex, `NULL` for 0 (pointers, callbacks).
    Ptr(usize),
    /// A C string, quoted, or `NULL`.
    Str(*const c_char),
    /// Nothing (`void` results).
    Nothing,
}

impl Shown {
    fn write(self, out: &mut Line) {
        match self {
            Shown::Int(v) => out.dec(v),
            Shown::Ptr(0) => out.push(b"NULL"),
            Shown::Ptr(p) => out.hex(p as u64),
            Shown::Str(p) => write_str(p, out),
            Shown::Nothing => {}
        }
    }
}

/// How an argument or result is shown.
pub trait Show {
    fn shown(&self) -> Shown;
}

impl Show for i32 {
    fn shown(&self) -> Shown {
        Shown::Int(i64::from(*self))
    }
}

impl Show for u32 {
    fn shown(&self) -> Shown {
        Shown::Int(i64::from(*self))
    }
}

impl<T> Show for *const T {
    fn shown(&self) -> Shown {
        Shown::Ptr(*self as usize)
    }
}

impl<T> Show for *mut T {
    fn shown(&self) -> Shown {
        Shown::Ptr(*self as usize)
    }
}

/// A C string argument.
pub struct Str(pub *const c_char);
impl Show for Str {
    fn shown(&self) -> Shown {
        Shown::Str(self.0)
    }
}

/// A function pointer argument (print callbacks).
pub struct FnPtr(pub Option<usize>);
impl Show for FnPtr {
    fn shown(&self) -> Shown {
        Shown::Ptr(self.0.unwrap_or(0))
    }
}

/// No result (`void` functions): nothing after the call.
impl Show for () {
    fn shown(&self) -> Shown {
        Shown::Nothing
    }
}

/// A C string, quoted with Rust's escapes for ASCII (`\"`, `\\`, `\n`,
/// `\x7f`, ...) and every byte past ASCII as `\xNN`; `NULL` for NULL.
fn write_str(p: *const c_char, out: &mut Line) {
    if p.is_null() {
        return out.push(b"NULL");
    }
    // SAFETY: shown only after the call, which treated it as a string.
    let s = unsafe { CStr::from_ptr(p) };
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

/// The arguments of a traced call, as a tuple passed by value to the cold
/// trace path (so the fast path never keeps them for it).
pub trait Args {
    /// The arguments as shown, at most four, and how many there are.
    fn shown(&self) -> ([Shown; 4], usize);
}

macro_rules! args_tuple {
    ($n:literal; $($T:ident $i:tt),*) => {
        impl<$($T: Show),*> Args for ($($T,)*) {
            #[allow(unused_mut)]
            fn shown(&self) -> ([Shown; 4], usize) {
                let mut a = [Shown::Nothing; 4];
                $(a[$i] = self.$i.shown();)*
                (a, $n)
            }
        }
    };
}
args_tuple!(0;);
args_tuple!(1; A 0);
args_tuple!(2; A 0, B 1);
args_tuple!(3; A 0, B 1, C 2);
args_tuple!(4; A 0, B 1, C 2, D 3);

/// Writes `bpflink: name(args) = result` (and errno for failures) to
/// stderr, keeping errno. One copy for every entry point.
#[inline(never)]
pub fn line(name: &CStr, args: ([Shown; 4], usize), result: Shown, failed: bool) {
    let saved = crate::sys::errno();
    let mut s = Line::new();
    s.push(b"bpflink: ");
    s.push(name.to_bytes());
    s.push(b"(");
    for (i, a) in args.0.iter().take(args.1).enumerate() {
        if i > 0 {
            s.push(b", ");
        }
        a.write(&mut s);
    }
    s.push(b")");
    if !matches!(result, Shown::Nothing) {
        s.push(b" = ");
        result.write(&mut s);
    }
    if failed {
        s.push(b" (errno ");
        s.dec(i64::from(saved.0));
        s.push(b")");
    }
    s.push(b"\n");
    let text = s.buf.get(..s.len).unwrap_or_default();
    // SAFETY: writing an initialised buffer to fd 2; a short or failed
    // write only loses trace output.
    let _ = unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
    crate::sys::set_errno(saved);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(v: &impl Show) -> String {
        let mut l = Line::new();
        v.shown().write(&mut l);
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
