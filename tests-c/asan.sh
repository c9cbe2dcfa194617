#!/usr/bin/env bash
# Runs C test binaries built with -fsanitize=address,undefined (the Makefile
# builds them under build/tests-c/asan/, against build/libbpflink.so.1) and
# reports as TAP.
#
#   tests-c/asan.sh [binary...]   default: every binary in build/tests-c/asan/
#
# For each binary, three cases: it exits 0, its own TAP cases all pass (a
# skip only by a capability probe, passed on to run.sh as "# relayed from
# asan/<binary>: ..."; see tap.sh), and
# AddressSanitizer, LeakSanitizer (detect_leaks=1) and UndefinedBehavior-
# Sanitizer report nothing in any of its processes (forked children and
# re-executed helpers included: one log file per process, log_path). Leak
# suppressions, each explained, are in tests-c/lsan.supp; there is none
# for bpflink. Reports are printed as TAP comments.
#
# What this does and does not see: the test programs and support.c are
# instrumented; libbpflink.so.1 (Rust, built by stable rustc) is not, so
# ASan checks bpflink's memory only where it goes through the C allocator
# (malloc/calloc/strdup/free are intercepted: the link objects and pin
# paths, double frees, frees of foreign pointers, leaks) and through the
# intercepted libc calls it makes (string and memory functions). Reads and
# writes inside Rust code are seen by valgrind (tests-c/valgrind.sh), not
# here. The reference libbpf, which some binaries dlopen(), is not
# instrumented either.
#
# Sizes for the long-running binaries come from the environment
# (HARD_CYCLES, HARD_THREADS, HARD_ITERS), as for the plain builds.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
supp="$top/tests-c/lsan.supp"
if [ $# -eq 0 ]; then
    set -- "$top"/build/tests-c/asan/*
fi

# shellcheck source=tap.sh
. "$top/tests-c/tap.sh"

total_reports=0
for bin in "$@"; do
    name=$(basename "$bin")
    logs=$(mktemp -d /tmp/bpflink-asan-XXXXXX)
    # verify_asan_link_order=0: harmless here, needed if a child preloads.
    ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan:verify_asan_link_order=0:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1" \
    LSAN_OPTIONS="suppressions=$supp:print_suppressions=0" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan" \
        "$bin" >"$logs/out" 2>&1
    rc=$?
    check_run "$name under ASan+UBSan" $rc "$logs/out" "asan/$name"

    # One report file per process that had something to say.
    reports=0 asan=0 leaks=0 ubsan=0
    for log in "$logs"/asan.* "$logs"/ubsan.*; do
        [ -e "$log" ] || continue
        a=$(grep -c 'ERROR: AddressSanitizer' "$log")
        l=$(grep -c 'ERROR: LeakSanitizer' "$log")
        u=$(grep -c 'runtime error:' "$log")
        asan=$((asan + a)); leaks=$((leaks + l)); ubsan=$((ubsan + u))
        if [ $((a + l + u)) -gt 0 ]; then
            head -60 "$log" | sed 's/^/#   /'
        fi
    done
    # A sanitizer that printed to stderr instead (before log_path applied).
    e=$(grep -c 'ERROR: \(Address\|Leak\)Sanitizer\|runtime error:' "$logs/out")
    reports=$((asan + leaks + ubsan + e))
    total_reports=$((total_reports + reports))
    check "$([ $reports = 0 ] && echo 1 || echo 0)" \
        "$name: sanitizer reports: $asan ASan, $leaks LeakSanitizer, $ubsan UBSan"
    echo "# summary: asan $name: $cases cases, $asan ASan + $leaks leak + $ubsan UBSan reports"
    rm -rf "$logs"
done
# The setup must be able to see a leak at all (LeakSanitizer needs ptrace;
# a restricted system would make the cases above pass vacuously): a link
# object leaked on purpose must be reported, with bpflink's allocation in
# the stack. fast_unwind_on_malloc=0: the frame-pointer unwinder stops in
# bpflink's Rust code (built without frame pointers) before it reaches the
# exported function; the slow one reads the unwind tables.
selftest="$top/build/tests-c/asan/hard_cycles"
if [ -x "$selftest" ]; then
    logs=$(mktemp -d /tmp/bpflink-asan-XXXXXX)
    HARD_SELFTEST_LEAK=1 HARD_CYCLES=10 \
        ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:log_path=$logs/asan" \
        LSAN_OPTIONS="suppressions=$supp" "$selftest" >"$logs/out" 2>&1
    found=$(cat "$logs"/asan.* 2>/dev/null | grep -c 'ERROR: LeakSanitizer')
    frame=$(cat "$logs"/asan.* 2>/dev/null | grep -c 'bpflink_link_from_fd')
    check "$([ "$found" -gt 0 ] && [ "$frame" -gt 0 ] && echo 1 || echo 0)" \
        "LeakSanitizer is live: a link object leaked on purpose is reported from bpflink_link_from_fd"
    rm -rf "$logs"
else
    check 0 "LeakSanitizer is live: $selftest is built (make test-c builds it)"
fi
echo "# summary: asan: $# binaries, $total_reports sanitizer reports"
echo "1..$n"
[ $failed = 0 ]
