#!/usr/bin/env bash
# Runs the cargo-fuzz targets under libFuzzer, coverage-guided, on the
# stable toolchain: the binaries cargo-fuzz would build, with its
# instrumentation flags (SanitizerCoverage: 8-bit counters, PC table,
# comparison tracing; debug assertions and overflow checks), but without
# -Zsanitizer=address, the one flag that needs nightly. Out-of-bounds
# reads of the options buffers still crash: the targets place them
# against an inaccessible page.
#
#   fuzz/libfuzzer.sh [SECONDS_PER_TARGET [TARGET...]]   (default 60, all)
#
# Corpora grow in fuzz/corpus/<target>/, crashing inputs are written to
# fuzz/artifacts/<target>/ (replay: fuzz/tests/stable.rs `replay`, or
# cargo +nightly fuzz run <target> <file>). Prints TAP, one line per target
# with libFuzzer's execution count and coverage; exit status 1 on a crash.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(opts_read link_create_args update_opts fd_by_id_opts diff_libbpf)

host=$(rustc -vV | sed -n 's/^host: //p')
# --target keeps these flags off build scripts, as cargo-fuzz does; a
# target dir of its own keeps them apart from the stable harness's build.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
tdir=target/libfuzzer-stable
echo "# libfuzzer: building the cargo-fuzz targets (stable, SanitizerCoverage, no ASan)"
cargo build --release --locked --quiet --target "$host" --target-dir "$tdir" --bins

echo "1..${#targets[@]}"
n=0 failed=0 total=0
for t in "${targets[@]}"; do
    n=$((n + 1))
    mkdir -p "corpus/$t" "artifacts/$t"
    log=$(mktemp)
    rc=0
    "$tdir/$host/release/$t" "corpus/$t" -max_total_time="$secs" -timeout=10 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 edges, \2 features, corpus \3/p')
    if [ $rc -eq 0 ]; then
        echo "ok $n - $t: ${execs:-?} executions in ${secs} s (libFuzzer; ${cov:-no coverage line})"
        total=$((total + ${execs:-0}))
    else
        failed=$((failed + 1))
        echo "not ok $n - $t: libFuzzer exited $rc after ${execs:-?} executions"
        grep -E -A1 'panicked at' "$log" | head -4 | cut -c1-1000 | sed 's/^/#   /'
        grep -E 'ERROR: libFuzzer|Test unit written' "$log" | head -4 | sed 's/^/#   /'
    fi
    rm -f "$log"
done
echo "# libfuzzer: $total executions in all"
echo "libfuzzer: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
