//! bpflink: libbpf's BPF link API in Rust, usable three ways.
//!
//! * As a C library (`libbpflink.so.1`, `libbpflink.a`) that is a drop-in
//!   for the link part of libbpf v1.7.0: same prototypes, struct layouts,
//!   options compatibility rules, return values, errno and messages, and the
//!   same symbol version nodes, so it also works under `LD_PRELOAD`.
//! * As a Rust library: [`link`] is a safe API returning
//!   `Result<OwnedFd, Errno>`.
//! * From Python, through the package in `python/`.
//!
//! Layers, each using only the ones before it: [`peer`] (the libbpf
//! loaded beside us), [`log`], [`panic_point`] (test-only panics) and
//! [`sys`] (the only code that calls `bpf(2)`), [`opts`] (libbpf's options
//! structs and their compatibility rule), [`link`] (the safe API),
//! [`object`] (libbpf's `struct bpf_link`), [`capi`] (the `extern "C"`
//! functions).

#![deny(clippy::undocumented_unsafe_blocks)]

pub mod capi;
pub mod link;
pub mod log;
pub mod object;
pub mod opts;
pub mod panic_point;
pub mod peer;
pub mod sys;

#[cfg(test)]
mod testutil;
