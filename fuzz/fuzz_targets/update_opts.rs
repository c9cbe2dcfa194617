//! cargo-fuzz target `update_opts`: see bpflink_fuzz::update_opts (fuzz/src/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bpflink_fuzz::update_opts(data));
