//! Build script: compiles the C half of logging (src/log/shim.c: a
//! function that receives a `va_list` and a variadic trampoline, which
//! stable Rust cannot write) into a static library linked into the crate.
//! The C headers are not made here: `cargo run -p xtask -- header` writes
//! them (`make header`).

fn main() {
    cc::Build::new()
        .file("src/log/shim.c")
        .opt_level(2)
        .pic(true)
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .flag("-fvisibility=hidden")
        .compile("bpflink_shim");
    println!("cargo:rerun-if-changed=src/log/shim.c");
}
