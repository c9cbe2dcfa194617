// Lets the client find the libbpf it was linked against at run time:
// libbpf-sys adds the directories of LIBBPF_SYS_LIBRARY_PATH to the link
// search path; this adds the same directories as an rpath.
fn main() {
    println!("cargo:rerun-if-env-changed=LIBBPF_SYS_LIBRARY_PATH");
    if let Ok(paths) = std::env::var("LIBBPF_SYS_LIBRARY_PATH") {
        for p in paths.split(':').filter(|p| !p.is_empty()) {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{p}");
        }
    }
}
