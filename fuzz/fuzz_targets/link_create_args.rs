//! cargo-fuzz target `link_create_args`: see bpflink_fuzz::link_create_args (fuzz/src/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bpflink_fuzz::link_create_args(data));
