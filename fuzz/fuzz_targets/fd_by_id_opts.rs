//! cargo-fuzz target `fd_by_id_opts`: see bpflink_fuzz::fd_by_id_opts (fuzz/src/).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bpflink_fuzz::fd_by_id_opts(data));
