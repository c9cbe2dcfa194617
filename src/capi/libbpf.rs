//! `<bpf/libbpf.h>`: logging and link type names.
#![allow(non_camel_case_types)]

use core::ffi::c_char;

use crate::ffi_val;
use crate::link;
use crate::log::{self, libbpf_print_fn_t};

/// `enum bpf_link_type` from `<linux/bpf.h>`; an integer on the Rust side.
pub type bpf_link_type = u32;

/// @brief Sets the function that receives the library's messages and
/// returns the previous one.
///
/// Messages come with a level (LIBBPF_WARN, LIBBPF_INFO, LIBBPF_DEBUG), a
/// printf format beginning with "libbpf: " and its arguments as a va_list.
/// The default function prints to stderr the messages at or below the level
/// named by the LIBBPF_LOG_LEVEL environment variable ("warn", "info" or
/// "debug"; default "info"). The low-level link functions print only when
/// refusing an options struct. When libbpf itself is loaded in the process
/// (preload, or linking -lbpflink before -lbpf), @p fn is installed there as
/// well, so both libraries report to the same place. errno is preserved
/// across every call of the callback.
///
/// @param fn the new callback, or NULL to drop all messages.
/// @return the previous callback (the default one unless changed before).
///
/// Thread-safe (an atomic exchange). Example:
/// @code
/// static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
/// {
///         return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
/// }
/// libbpf_set_print(quiet);
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn libbpf_set_print(r#fn: libbpf_print_fn_t) -> libbpf_print_fn_t {
    ffi_val!(c"libbpf_set_print", None, { log::set_print(r#fn) })
}

/// @brief Gives the name of a link type, as libbpf and bpftool print it.
///
/// @param t a link type (enum bpf_link_type).
/// @return a static string such as "cgroup", "xdp" or "tcx" (never to be
///         freed), or NULL for a value libbpf 1.7.0 does not know.
///
/// Thread-safe. Example:
/// @code
/// const char *name = libbpf_bpf_link_type_str(info.type);
/// printf("%s\n", name ? name : "unknown");
/// @endcode
#[unsafe(no_mangle)]
pub extern "C" fn libbpf_bpf_link_type_str(t: bpf_link_type) -> *const c_char {
    ffi_val!(c"libbpf_bpf_link_type_str", core::ptr::null(), {
        link::link_type_str(t).map_or(core::ptr::null(), |s| s.as_ptr())
    })
}
