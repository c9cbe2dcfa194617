//! cargo-fuzz target `opts_read`: see bpflink_fuzz::opts_read (fuzz/src/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bpflink_fuzz::opts_read(data));
