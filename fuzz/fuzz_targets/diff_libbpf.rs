//! cargo-fuzz target `diff_libbpf`: see bpflink_fuzz::diff_libbpf (fuzz/src/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bpflink_fuzz::diff_libbpf(data));
