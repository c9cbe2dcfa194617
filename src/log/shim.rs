//! Declarations of the C half of logging (`shim.c`, compiled by build.rs).

use core::ffi::{c_char, c_int};

use super::{libbpf_print_fn_t, libbpf_print_level, va_list};

unsafe extern "C" {
    /// The default printer: stderr, filtered by `LIBBPF_LOG_LEVEL`.
    pub fn bpflink_shim_base_print(
        level: libbpf_print_level,
        fmt: *const c_char,
        ap: va_list,
    ) -> c_int;
    /// Calls `f(level, fmt, <va_list of the remaining arguments>)`;
    /// `f` must not be NULL.
    pub fn bpflink_shim_call(
        f: libbpf_print_fn_t,
        level: libbpf_print_level,
        fmt: *const c_char,
        ...
    ) -> c_int;
}
