//! `struct bpf_program` is libbpf's. bpflink reads it only through
//! libbpf's public accessors, found at run time in the process (no link
//! dependency on libbpf): with no libbpf loaded, programs cannot exist and
//! the calls that take one fail with `EINVAL`.

use core::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use errno::Errno;

use super::bpf_program;
use crate::pr_warn;

struct Accessors {
    fd: Option<unsafe extern "C" fn(*const bpf_program) -> c_int>,
    name: Option<unsafe extern "C" fn(*const bpf_program) -> *const c_char>,
}

fn lookup(name: &core::ffi::CStr) -> *mut c_void {
    // SAFETY: dlsym with a NUL-terminated name in the global scope.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) }
}

fn accessors() -> &'static Accessors {
    static ACC: OnceLock<Accessors> = OnceLock::new();
    ACC.get_or_init(|| {
        let fd = lookup(c"bpf_program__fd");
        let name = lookup(c"bpf_program__name");
        // SAFETY: when present, these are libbpf's public functions with
        // the documented prototypes `int (const struct bpf_program *)` and
        // `const char *(const struct bpf_program *)`.
        unsafe {
            Accessors {
                fd: (!fd.is_null()).then(|| core::mem::transmute(fd)),
                name: (!name.is_null()).then(|| core::mem::transmute(name)),
            }
        }
    })
}

/// The program's fd, as libbpf's `bpf_program__fd` reports it; a negative
/// answer is refused with libbpf's warning and `EINVAL`.
///
/// # Safety
/// `prog` is whatever libbpf's accessors accept (NULL or a program of the
/// libbpf in this process).
pub unsafe fn fd(prog: *mut bpf_program) -> Result<c_int, Errno> {
    let acc = accessors();
    let Some(get_fd) = acc.fd else {
        pr_warn!(
            "bpflink: bpf_link__update_program needs libbpf's bpf_program__fd(), \
             and no libbpf is loaded in this process\n"
        );
        return Err(Errno(libc::EINVAL));
    };
    // SAFETY: forwarded contract.
    let fd = unsafe { get_fd(prog) };
    if fd < 0 {
        // libbpf prints prog->name here, and crashes on a NULL prog.
        let name = match acc.name {
            // SAFETY: forwarded contract; NULL is not passed.
            Some(get_name) if !prog.is_null() => unsafe { get_name(prog) },
            _ => core::ptr::null(),
        };
        let name = if name.is_null() {
            c"(null)".as_ptr()
        } else {
            name
        };
        pr_warn!(
            "prog '%s': can't use BPF program without FD (was it loaded?)\n",
            name
        );
        return Err(Errno(libc::EINVAL));
    }
    Ok(fd)
}
