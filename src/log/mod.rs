//! libbpf-compatible logging: `libbpf_set_print` callbacks, the default
//! stderr printer honouring `LIBBPF_LOG_LEVEL`, and the `pr_warn!` /
//! `pr_debug!` macros used at exactly the places libbpf prints.
//!
//! Messages carry libbpf's own `"libbpf: "` prefix and format strings, so a
//! callback that filters or rewrites libbpf's messages sees the same input.
//! errno is saved and restored around every callback, as libbpf does.

use core::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicPtr, Ordering};

pub use libbpf_print_level::{LIBBPF_DEBUG as LEVEL_DEBUG, LIBBPF_WARN as LEVEL_WARN};

/// Message levels of libbpf_print_fn_t callbacks.
///
/// Values only ever go from this library to C callbacks, never the other
/// way, so a Rust enum is safe here.
#[repr(C)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
pub enum libbpf_print_level {
    /// Something failed or was refused.
    LIBBPF_WARN = 0,
    /// Information about normal operation.
    LIBBPF_INFO = 1,
    /// Details for debugging.
    LIBBPF_DEBUG = 2,
}

/// `va_list` from `<stdarg.h>` (not emitted). As a function parameter it is
/// pointer-sized on the platforms libbpf supports, and only C code makes one.
#[allow(non_camel_case_types)]
pub type va_list = *mut c_void;

/// Signature of the callback given to libbpf_set_print(): it receives the
/// message level, a printf format and the format's arguments; its return
/// value is ignored. NULL disables printing.
#[allow(non_camel_case_types)]
pub type libbpf_print_fn_t = Option<
    unsafe extern "C" fn(level: libbpf_print_level, fmt: *const c_char, ap: va_list) -> c_int,
>;

/// A non-null print callback.
pub(crate) type PrintFn = unsafe extern "C" fn(libbpf_print_level, *const c_char, va_list) -> c_int;

mod shim;
use shim::bpflink_shim_base_print;
pub use shim::bpflink_shim_call;

/// The callback in effect, as a raw pointer; null disables printing.
static PRINT: AtomicPtr<c_void> = AtomicPtr::new(bpflink_shim_base_print as *mut c_void);

fn decode(p: *mut c_void) -> libbpf_print_fn_t {
    if p.is_null() {
        return None;
    }
    // SAFETY: every non-null value stored in PRINT is a `PrintFn`: the
    // initial one, or one stored by `encode`.
    Some(unsafe { core::mem::transmute::<*mut c_void, PrintFn>(p) })
}

fn encode(f: libbpf_print_fn_t) -> *mut c_void {
    f.map_or(core::ptr::null_mut(), |f| f as *mut c_void)
}

/// The callback in effect, or `None` when printing is disabled.
pub fn current() -> libbpf_print_fn_t {
    decode(PRINT.load(Ordering::Relaxed))
}

/// Installs `f` (or disables printing with `None`) and returns the previous
/// callback. Every libbpf loaded in the process, however it was loaded
/// ([`crate::peer`]), gets `f` too, so its messages reach the same place
/// as ours.
pub fn set_print(f: libbpf_print_fn_t) -> libbpf_print_fn_t {
    let old = decode(PRINT.swap(encode(f), Ordering::Relaxed));
    #[cfg(not(miri))]
    crate::peer::each_libbpf(|lib| {
        // SAFETY: libbpf's setter only stores the pointer, of the type it
        // declares (`encode` gives the callback's address, or null).
        unsafe { (lib.set_print)(encode(f)) };
    });
    old
}

/// Prints through the current callback with libbpf's format string and
/// arguments; errno is preserved. Arguments must be C-compatible values.
#[macro_export]
#[doc(hidden)]
macro_rules! pr_at {
    ($level:expr, $fmt:expr $(, $arg:expr)* $(,)?) => {{
        if let Some(f) = $crate::log::current() {
            // SAFETY: `__errno_location` returns the calling thread's
            // errno variable, valid for the thread's life. (Not the errno
            // crate's functions: they are not inlined, and the link-time
            // no-panic proof cannot see that they never unwind.)
            let errno = unsafe { ::libc::__errno_location() };
            // SAFETY: as above.
            let saved = unsafe { *errno };
            #[cfg(not(miri))]
            // SAFETY: `$fmt` is a NUL-terminated printf format whose
            // conversions match the C types of the arguments.
            unsafe { $crate::log::bpflink_shim_call(Some(f), $level, $fmt.as_ptr() $(, $arg)*) };
            #[cfg(miri)]
            $crate::log::miri::print(f, $fmt, &[$(&$arg),*]);
            // SAFETY: as above.
            unsafe { *errno = saved };
        }
    }};
}

/// `pr_warn`: a warning, prefixed `"libbpf: "` like libbpf's.
#[macro_export]
#[doc(hidden)]
macro_rules! pr_warn {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::pr_at!($crate::log::LEVEL_WARN, $crate::log_fmt!($fmt) $(, $arg)*)
    };
}

/// `pr_debug`: a debug message, prefixed `"libbpf: "`.
#[macro_export]
#[doc(hidden)]
macro_rules! pr_debug {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {
        $crate::pr_at!($crate::log::LEVEL_DEBUG, $crate::log_fmt!($fmt) $(, $arg)*)
    };
}

/// Printing under Miri, which cannot call the C shim (a variadic call and
/// a `va_list`): the message is formatted here, with the few conversions
/// the library's formats use, and kept for [`miri::take`], which the unit
/// tests' message capture reads instead of a C callback. The callback in
/// effect is only checked to be set (printing not disabled).
#[cfg(miri)]
pub mod miri {
    use core::ffi::{CStr, c_char, c_int};
    use std::sync::Mutex;

    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    /// An argument of a message.
    pub trait Arg {
        /// The text of this argument for `%s`, `%d`, `%u` or `%zu`.
        fn render(&self) -> String;
    }
    impl Arg for c_int {
        fn render(&self) -> String {
            self.to_string()
        }
    }
    impl Arg for u32 {
        fn render(&self) -> String {
            self.to_string()
        }
    }
    impl Arg for usize {
        fn render(&self) -> String {
            self.to_string()
        }
    }
    impl Arg for *const c_char {
        fn render(&self) -> String {
            if self.is_null() {
                return "(null)".into();
            }
            // SAFETY: `%s` arguments are NUL-terminated strings.
            unsafe { CStr::from_ptr(*self) }
                .to_string_lossy()
                .into_owned()
        }
    }
    impl Arg for *mut c_char {
        fn render(&self) -> String {
            (*self as *const c_char).render()
        }
    }

    /// Formats `fmt` with `args` (`%s`, `%d`, `%u`, `%zu`) and keeps it.
    pub fn print(_f: super::PrintFn, fmt: &CStr, args: &[&dyn Arg]) {
        let mut out = String::new();
        let mut args = args.iter();
        let mut it = fmt.to_bytes().iter().copied().peekable();
        while let Some(c) = it.next() {
            if c != b'%' {
                out.push(c as char);
                continue;
            }
            while matches!(it.peek(), Some(b'z' | b'l')) {
                it.next();
            }
            match it.next() {
                Some(b'%') => out.push('%'),
                Some(_) => out.push_str(&args.next().map(|a| a.render()).unwrap_or_default()),
                None => {}
            }
        }
        SEEN.lock().unwrap_or_else(|e| e.into_inner()).push(out);
    }

    /// The messages printed since the last call.
    pub fn take() -> Vec<String> {
        core::mem::take(&mut *SEEN.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// `"libbpf: " fmt` as a `&'static CStr`, checked at compile time.
#[macro_export]
#[doc(hidden)]
macro_rules! log_fmt {
    ($fmt:literal) => {
        const {
            match ::core::ffi::CStr::from_bytes_with_nul(concat!("libbpf: ", $fmt, "\0").as_bytes())
            {
                Ok(s) => s,
                Err(_) => panic!("log format contains a NUL byte"),
            }
        }
    };
}

/// libbpf's `errstr()`: the symbolic name of an errno value (either sign),
/// `"-EINVAL"` and so on for the codes libbpf names, otherwise the negative
/// number in decimal. Used inside messages only.
pub fn errstr(err: c_int) -> ErrStr {
    let e = err.checked_abs().unwrap_or(c_int::MAX);
    let name: &[u8] = match e {
        libc::E2BIG => b"-E2BIG",
        libc::EACCES => b"-EACCES",
        libc::EADDRINUSE => b"-EADDRINUSE",
        libc::EADDRNOTAVAIL => b"-EADDRNOTAVAIL",
        libc::EAGAIN => b"-EAGAIN",
        libc::EALREADY => b"-EALREADY",
        libc::EBADF => b"-EBADF",
        libc::EBADFD => b"-EBADFD",
        libc::EBUSY => b"-EBUSY",
        libc::ECANCELED => b"-ECANCELED",
        libc::ECHILD => b"-ECHILD",
        libc::EDEADLK => b"-EDEADLK",
        libc::EDOM => b"-EDOM",
        libc::EEXIST => b"-EEXIST",
        libc::EFAULT => b"-EFAULT",
        libc::EFBIG => b"-EFBIG",
        libc::EILSEQ => b"-EILSEQ",
        libc::EINPROGRESS => b"-EINPROGRESS",
        libc::EINTR => b"-EINTR",
        libc::EINVAL => b"-EINVAL",
        libc::EIO => b"-EIO",
        libc::EISDIR => b"-EISDIR",
        libc::ELOOP => b"-ELOOP",
        libc::EMFILE => b"-EMFILE",
        libc::EMLINK => b"-EMLINK",
        libc::EMSGSIZE => b"-EMSGSIZE",
        libc::ENAMETOOLONG => b"-ENAMETOOLONG",
        libc::ENFILE => b"-ENFILE",
        libc::ENODATA => b"-ENODATA",
        libc::ENODEV => b"-ENODEV",
        libc::ENOENT => b"-ENOENT",
        libc::ENOEXEC => b"-ENOEXEC",
        libc::ENOLINK => b"-ENOLINK",
        libc::ENOMEM => b"-ENOMEM",
        libc::ENOSPC => b"-ENOSPC",
        libc::ENOTBLK => b"-ENOTBLK",
        libc::ENOTDIR => b"-ENOTDIR",
        524 => b"-ENOTSUPP", // kernel-internal, leaks out of some BPF paths
        libc::ENOTTY => b"-ENOTTY",
        libc::ENXIO => b"-ENXIO",
        libc::EOPNOTSUPP => b"-EOPNOTSUPP",
        libc::EOVERFLOW => b"-EOVERFLOW",
        libc::EPERM => b"-EPERM",
        libc::EPIPE => b"-EPIPE",
        libc::EPROTO => b"-EPROTO",
        libc::EPROTONOSUPPORT => b"-EPROTONOSUPPORT",
        libc::ERANGE => b"-ERANGE",
        libc::EROFS => b"-EROFS",
        libc::ESPIPE => b"-ESPIPE",
        libc::ESRCH => b"-ESRCH",
        libc::ETXTBSY => b"-ETXTBSY",
        libc::EUCLEAN => b"-EUCLEAN",
        libc::EXDEV => b"-EXDEV",
        _ => b"",
    };
    let mut s = ErrStr { buf: [0; 16] };
    if !name.is_empty() {
        for (d, b) in s.buf.iter_mut().zip(name) {
            *d = *b;
        }
        return s;
    }
    // "%d" of the negative value (libbpf negates positive input first).
    let v = if err > 0 {
        -i64::from(err)
    } else {
        i64::from(err)
    };
    let mut digits = [0u8; 12];
    let mut i = digits.len();
    let mut rest = v.unsigned_abs();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 || i == 0 {
            break;
        }
    }
    let sign: &[u8] = if v < 0 { b"-" } else { b"" };
    let text = sign.iter().chain(digits.get(i..).unwrap_or_default());
    for (d, b) in s.buf.iter_mut().zip(text) {
        *d = *b;
    }
    s
}

/// A NUL-terminated string made by [`errstr`].
pub struct ErrStr {
    buf: [u8; 16],
}

impl ErrStr {
    /// For `%s` arguments.
    pub fn as_ptr(&self) -> *const c_char {
        self.buf.as_ptr() as *const c_char
    }

    /// The text.
    pub fn as_bytes(&self) -> &[u8] {
        let end = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.buf.len());
        self.buf.get(..end).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::errstr;

    #[test]
    fn errstr_names_like_libbpf() {
        assert_eq!(errstr(-libc::EINVAL).as_bytes(), b"-EINVAL");
        assert_eq!(errstr(libc::ENOENT).as_bytes(), b"-ENOENT");
        assert_eq!(errstr(524).as_bytes(), b"-ENOTSUPP");
        assert_eq!(errstr(-1000).as_bytes(), b"-1000");
        assert_eq!(errstr(1000).as_bytes(), b"-1000");
        assert_eq!(errstr(0).as_bytes(), b"0");
        assert_eq!(errstr(i32::MIN).as_bytes(), b"-2147483648");
    }
}
