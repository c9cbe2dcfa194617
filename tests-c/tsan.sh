#!/usr/bin/env bash
# ThreadSanitizer over the concurrency test, with bpflink itself
# instrumented; TAP. Part of `make stress` when a nightly Rust toolchain is
# installed (the Makefile builds the binaries first):
#
#   build/tsan/libbpflink.so.1   the library built by `cargo +nightly` with
#                                -Zsanitizer=thread (an unstable flag), linked
#                                like build/libbpflink.so.1
#   build/tsan/hard_threads      tests-c/hard_threads.c built with gcc
#                                -fsanitize=thread against that library
#
# What is and is not instrumented: this program, support.c and bpflink's
# own Rust code are; Rust's standard library is not (instrumenting it
# needs -Zbuild-std and the rust-src component), so a race inside std
# would go unseen, and -Cunsafe-allow-abi-mismatch=sanitizer is needed to
# link against it. libtsan intercepts libc (malloc, memcpy, pthread).
#
# Cases: the run exits 0 and passes its own TAP cases with no TSan report;
# then HARD_SELFTEST_RACE=1 makes two threads call bpf_link__disconnect()
# on one object unsynchronized (not thread-safe by the header), and TSan
# must report that race from inside bpflink: proof that the library's
# accesses are seen at all.
#
# Sizes: HARD_THREADS x HARD_ITERS (default here 8 x 300).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/tsan/hard_threads"

# shellcheck source=tap.sh
. "$top/tests-c/tap.sh"

if [ ! -x "$bin" ]; then
    check 0 "$bin is built (make stress builds it with cargo +nightly)"
    echo "1..$n"; exit 1
fi
check "$(nm -D "$top/build/tsan/libbpflink.so.1" | grep -q ' U __tsan_func_entry' && echo 1 || echo 0)" \
    "build/tsan/libbpflink.so.1 is instrumented (calls __tsan_func_entry)"

logs=$(mktemp -d /tmp/bpflink-tsan-XXXXXX)
HARD_THREADS=${HARD_THREADS:-8} HARD_ITERS=${HARD_ITERS:-300} \
    TSAN_OPTIONS="log_path=$logs/tsan:halt_on_error=0:second_deadlock_stack=1" \
    "$bin" >"$logs/out" 2>&1
rc=$?
cases=$(grep -c '^ok ' "$logs/out")
bad=$(grep -c '^not ok ' "$logs/out")
check "$([ $rc = 0 ] && echo 1 || echo 0)" "hard_threads under TSan: exit status $rc"
check "$([ "$bad" = 0 ] && [ "$cases" -gt 0 ] && echo 1 || echo 0)" \
    "hard_threads under TSan: its $cases TAP cases passed ($bad failed)"
[ "$bad" = 0 ] || grep '^not ok ' "$logs/out" | sed 's/^/#   /'
reports=$(cat "$logs"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer')
[ "$reports" = 0 ] || cat "$logs"/tsan.* | head -80 | sed 's/^/#   /'
check "$([ "$reports" = 0 ] && echo 1 || echo 0)" "hard_threads: $reports ThreadSanitizer reports"
grep '^# summary: ' "$logs/out" | sed 's/^# summary: /# /'
rm -rf "$logs"

logs=$(mktemp -d /tmp/bpflink-tsan-XXXXXX)
HARD_SELFTEST_RACE=1 TSAN_OPTIONS="log_path=$logs/tsan:halt_on_error=0" "$bin" >"$logs/out" 2>&1
races=$(cat "$logs"/tsan.* 2>/dev/null | grep -c 'WARNING: ThreadSanitizer: data race')
inside=$(cat "$logs"/tsan.* 2>/dev/null | grep -c 'bpf_link__disconnect')
check "$([ "$races" -gt 0 ] && [ "$inside" -gt 0 ] && echo 1 || echo 0)" \
    "TSan sees into bpflink: the deliberate bpf_link__disconnect race is reported ($races reports)"
echo "# summary: tsan: hard_threads ${HARD_THREADS:-8} x ${HARD_ITERS:-300}, $reports reports; self-test race seen: $([ "$races" -gt 0 ] && echo yes || echo no)"
echo "1..$n"
[ $failed = 0 ]
