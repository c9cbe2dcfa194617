//! Fuzz targets for bpflink's options readers and `bpf_link_create`'s
//! argument builder, shared by the cargo-fuzz binaries (fuzz_targets/,
//! libFuzzer, nightly) and the stable-toolchain harness (tests/stable.rs):
//! both run exactly these functions.
//!
//! | target | what it checks |
//! |---|---|
//! | [`opts_read`] | `Opts::read`, `opts_get!`, `opts_zeroed!` on the three options structs vs libbpf's `OPTS_VALID` / `OPTS_GET` / `OPTS_ZEROED` |
//! | [`link_create_args`] | `link::libbpf::create_attr` and `raw_tp_fallback` vs libbpf's `bpf_link_create` (EINVAL exactly when libbpf refuses, the 64-byte attr byte for byte, the fallback flag) |
//! | [`update_opts`] | `link::libbpf::update_attr` vs libbpf's `bpf_link_update` |
//! | [`fd_by_id_opts`] | `link::libbpf::fd_by_id_flags` vs libbpf's `bpf_link_get_fd_by_id_opts` |
//! | [`diff_libbpf`] | build/libbpflink.so.1 vs the reference libbpf 1.7.0, called side by side ([`diff`]) |
//!
//! The first four compare with [`model`], a plain model of libbpf's rules
//! written from the reference, by libbpf 1.8's rules (which bpflink
//! follows), and never reach the kernel; [`diff_libbpf`] uses the model's
//! 1.7.0 and 1.8 rules where the two releases differ. All five place
//! the options buffer against an inaccessible page ([`input::place`]), so a
//! read past what the caller's `sz` backs crashes even without a sanitizer.

pub mod capture;
pub mod diff;
pub mod input;
pub mod model;
pub mod random;
pub mod targets;

pub use diff::diff_libbpf;
pub use targets::{fd_by_id_opts, link_create_args, opts_read, update_opts};

/// A target: its name (the cargo-fuzz binary's) and its function.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 5] = [
    ("opts_read", opts_read),
    ("link_create_args", link_create_args),
    ("update_opts", update_opts),
    ("fd_by_id_opts", fd_by_id_opts),
    ("diff_libbpf", diff_libbpf),
];
