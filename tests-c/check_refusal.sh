#!/usr/bin/env bash
# The path a machine takes when the kernel refuses a capability, tested on
# every machine: BPFLINK_TEST_REFUSE makes named capability probes answer
# EPERM without asking the kernel (support.h, docs/probes.md), and the
# suites must then skip exactly the cases that need them, by name, and
# pass. Checked here, as TAP:
#
#   test_iter      refusing iter_bpf_map_elem (refused for real on some
#                  kernels) and iter_task (accepted here): exit 0, the named
#                  skip line, the other iterator cases still run, the probe
#                  log line marked "simulated"
#   run.sh         accepts those skips as root and names the capability in
#                  its summary; fails a skip that is not a probe's and a
#                  whole binary skipped, even one naming a probe
#   asan.sh        passes the skips of the binaries it runs on to run.sh
#   check_preload  refusing iter_task (the clients' task iterator): each
#                  client is one named skip, exit 0
#
# The probe log of these runs is a file of its own, so that their
# simulated refusals stay out of the log of the whole run (make test's).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
b="$top/build/tests-c"

# shellcheck source=tap.sh
. "$top/tests-c/tap.sh"

logs=$(mktemp -d /tmp/bpflink-refusal-XXXXXX)
export BPFLINK_PROBE_LOG="$logs/probes.log"
sim='EPERM from simulated refusal \(BPFLINK_TEST_REFUSE\)'

# yes COMMAND...: 1 when the command succeeds, else 0 (for check).
yes() { if "$@"; then echo 1; else echo 0; fi; }
# has FILE ERE: the file has a line matching.
has() { grep -qE "$2" "$1"; }
# show FILE: the file as TAP comments (after a failed check).
show() { sed 's/^/#   /' "$1" | head -40; }

# --- test_iter -------------------------------------------------------------
# What this machine skips without a simulated refusal (some kernels refuse
# bpf_map_elem iterators for real): the baseline of the checks below.
"$b/test_iter" >"$logs/base" 2>&1
# other_skips PROBE FILE: the skip lines that do not name PROBE, without
# their case numbers.
other_skips() { grep '^ok .*# SKIP' "$2" | grep -v "# SKIP probe $1: " | sed 's/^ok [0-9]* //'; }
for probe in iter_bpf_map_elem iter_task; do
    case $probe in
        iter_bpf_map_elem) what="bpf_map_elem iterator" ;;
        iter_task) what="task iterator" ;;
    esac
    : >"$BPFLINK_PROBE_LOG"
    BPFLINK_TEST_REFUSE=$probe "$b/test_iter" >"$logs/out" 2>&1; rc=$?
    check "$([ $rc = 0 ] && ! has "$logs/out" '^not ok ' && echo 1 || echo 0)" \
        "test_iter, $probe refused: exit 0, no failed case (exit $rc)"
    [ $rc = 0 ] || show "$logs/out"
    check "$(yes has "$logs/out" "^ok [0-9]+ - $what # SKIP probe $probe: $sim\$")" \
        "test_iter, $probe refused: the $what is one named skip"
    check "$([ "$(other_skips $probe "$logs/out")" = "$(other_skips $probe "$logs/base")" ] &&
             has "$logs/out" '^ok [0-9]+ - bpf_map: read to the end, 0 bytes' && echo 1 || echo 0)" \
        "test_iter, $probe refused: no other skip than without the refusal, the bpf_map iterator still ran"
    check "$(yes grep -qxF "$(printf 'test_iter\t%s\tEPERM\tsimulated refusal\tsimulated' "$probe")" \
             "$BPFLINK_PROBE_LOG")" \
        "test_iter, $probe refused: BPFLINK_PROBE_LOG has its line, marked simulated"
done

# --- run.sh ------------------------------------------------------------------
BPFLINK_TEST_REFUSE=iter_task "$top/tests-c/run.sh" "$b/test_iter" >"$logs/run" 2>&1; rc=$?
check "$([ $rc = 0 ] && has "$logs/run" '^C tests: skipped capabilities: .*iter_task \(EPERM: test_iter\)' &&
         echo 1 || echo 0)" \
    "run.sh accepts the probe skip as root and names it (exit $rc)"
[ $rc = 0 ] || show "$logs/run"

# Stand-in binaries, each printing one kind of skip.
fake() { # fake NAME LINE...: a script printing its lines
    local f="$logs/$1"; shift
    printf '#!/bin/sh\n' >"$f"
    for l in "$@"; do printf "echo '%s'\n" "$l" >>"$f"; done
    chmod +x "$f"
}
fake probe_skip "ok 1 - a case" \
    "ok 2 - another # SKIP probe iter_task: EPERM from BPF_PROG_LOAD (Operation not permitted)" "1..2"
fake other_skip "ok 1 - a case" "ok 2 - another # SKIP not today" "1..2"
fake whole_skip "1..0 # SKIP probe iter_task: EPERM from BPF_PROG_LOAD (Operation not permitted)"
fake relayed "ok 1 - test_iter under a tool: its cases passed" \
    "# relayed from tool/test_iter: ok 9 - x # SKIP probe iter_task: EPERM from BPF_PROG_LOAD (y)" "1..1"
"$top/tests-c/run.sh" "$logs/probe_skip" >"$logs/run" 2>&1
check "$(yes has "$logs/run" '^C tests: skipped capabilities: iter_task \(EPERM: probe_skip\)$')" \
    "run.sh: a probe skip passes and is named"
for f in other_skip whole_skip; do
    "$top/tests-c/run.sh" "$logs/$f" >"$logs/run" 2>&1; rc=$?
    check "$([ $rc != 0 ] && has "$logs/run" "^FAIL $f: skipped as root" && echo 1 || echo 0)" \
        "run.sh: $f fails the run as root (exit $rc)"
done
"$top/tests-c/run.sh" "$logs/relayed" >"$logs/run" 2>&1; rc=$?
check "$([ $rc = 0 ] && has "$logs/run" 'skipped capabilities: iter_task \(EPERM: tool/test_iter\)$' &&
         echo 1 || echo 0)" \
    "run.sh: a relayed probe skip is named under its origin"

# --- asan.sh ------------------------------------------------------------------
if [ -x "$b/asan/test_iter" ]; then
    BPFLINK_TEST_REFUSE=iter_task "$top/tests-c/asan.sh" "$b/asan/test_iter" >"$logs/asan" 2>&1; rc=$?
    check "$([ $rc = 0 ] &&
             has "$logs/asan" "^# relayed from asan/test_iter: ok [0-9]+ - task iterator # SKIP probe iter_task: $sim\$" &&
             echo 1 || echo 0)" \
        "asan.sh: passes test_iter's probe skip on, and passes (exit $rc)"
    [ $rc = 0 ] || show "$logs/asan"
else
    check 0 "asan.sh: $b/asan/test_iter is built (make test-c builds it)"
fi

# --- check_preload.sh ---------------------------------------------------------
BPFLINK_TEST_REFUSE=iter_task "$top/tests-c/check_preload.sh" >"$logs/pre" 2>&1; rc=$?
skips=$(grep -cE "^ok [0-9]+ - (c-ref|c-deb|rs): .* # SKIP probe iter_task: $sim\$" "$logs/pre")
check "$([ $rc = 0 ] && [ "$skips" = 3 ] && ! has "$logs/pre" '^not ok ' &&
         [ "$(grep -c '# SKIP' "$logs/pre")" = 3 ] && echo 1 || echo 0)" \
    "check_preload.sh, iter_task refused: each of the 3 clients one named skip, exit 0 (exit $rc, $skips skips)"
[ $rc = 0 ] || show "$logs/pre"
check "$(yes grep -qxF "$(printf 'check_preload\titer_task\tEPERM\tsimulated refusal\tsimulated')" \
         "$BPFLINK_PROBE_LOG")" \
    "check_preload.sh: its probes log under its own name"

echo "1..$n"
[ $failed = 0 ]
