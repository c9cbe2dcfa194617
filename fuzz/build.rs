//! Exports exactly one symbol from the harness executables: `syscall`
//! (src/diff.rs). The libraries the differential check dlopen()s,
//! bpflink's .so and the reference libbpf, both issue bpf(2) through
//! libc's `syscall()`; an executable's dynamic symbols come first in the
//! global lookup scope, so their calls land in the harness's recorder,
//! which forwards them. Everything else stays unexported, so no other
//! symbol of the statically linked bpflink can bind either library's calls.

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let list = out.join("dynamic-list.txt");
    fs::write(&list, "{\n  syscall;\n};\n").expect("write dynamic list");
    let arg = format!("-Wl,--dynamic-list={}", list.display());
    println!("cargo:rustc-link-arg-tests={arg}");
    println!("cargo:rustc-link-arg-bins={arg}");
    println!("cargo:rerun-if-changed=build.rs");
}
