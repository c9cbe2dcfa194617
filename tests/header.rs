//! The committed headers are exactly what build.rs generates from the Rust
//! definitions (one source of truth). `make header` refreshes them: it runs
//! this test with `BPFLINK_BLESS=1`, which copies the generated headers of
//! this very build over the committed ones instead of comparing.

use std::fs;
use std::path::Path;

#[test]
fn committed_headers_equal_generated() {
    let generated = Path::new(env!("OUT_DIR")).join("include");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let bless = std::env::var_os("BPFLINK_BLESS").is_some_and(|v| v == "1");
    for name in ["bpf/bpf.h", "bpf/libbpf.h", "bpflink.h"] {
        let g = fs::read_to_string(generated.join(name)).expect("generated header");
        if bless {
            fs::write(committed.join(name), &g).unwrap_or_else(|e| panic!("include/{name}: {e}"));
            continue;
        }
        let c = fs::read_to_string(committed.join(name))
            .unwrap_or_else(|e| panic!("include/{name}: {e}"));
        assert!(
            g == c,
            "include/{name} differs from what build.rs generates; run `make header`"
        );
    }
}
