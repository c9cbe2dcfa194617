#!/usr/bin/env bash
# Runs the link-object and hardening tests under valgrind's memcheck and
# reports as TAP.
#
#   tests-c/valgrind.sh [binary...]   default: build/tests-c/test_object
#                                              build/tests-c/interop
#                                              build/tests-c/hard_* (4)
#   VALGRIND_ALL=1 tests-c/valgrind.sh         the same plus every test_*
#                                              binary valgrind can run
#                                              (make stress)
#
# Four test_* binaries cannot run under valgrind, for reasons of valgrind's,
# and are left out of VALGRIND_ALL (they run in the ASan builds):
#   test_errors       checks the kernel's EBADFD for fd -1 in
#                     BPF_OBJ_GET_INFO_BY_FD; valgrind answers negative fds
#                     itself, with EBADF (hard_badinput has the same calls
#                     and knows this)
#   test_fd_hygiene   lowers RLIMIT_NOFILE, which valgrind keeps to itself
#   test_print        re-executes itself through /proc/self/exe
#   test_uprobe_multi its uprobes trap (int3) inside code valgrind runs
#                     translated: SIGTRAP
#
# The hardening binaries take their sizes from the environment; unless
# set, they run smaller here (HARD_CYCLES=1000, HARD_THREADS=8,
# HARD_ITERS=100): memcheck runs each instruction 20-50 times slower.
#
# For each binary, four cases: it exits 0 under valgrind, its own TAP cases
# all pass there (a skip only by a capability probe, passed on to run.sh
# as "# relayed from valgrind/<binary>: ..."; see tap.sh), memcheck reports
# no error in any of its processes (forked
# children included: one log per process), and no memory is definitely or
# indirectly lost. Suppressions, each explained, are in tests-c/valgrind.supp.
# Children are followed across exec (test_object runs itself as the
# BPFLINK_TRACE helper), except into system programs (/bin, /usr, /sbin:
# the shell and bpftool that popen() starts).
#
# valgrind 3.19 does not model the link commands of bpf(2) and says
# "WARNING: unhandled eBPF command N" for each; that is a note, not an
# error (the call still runs), and it is only counted here. Anything else
# valgrind reports as an error fails the binary.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
supp="$top/tests-c/valgrind.supp"
if [ $# -eq 0 ]; then
    set -- "$top/build/tests-c/test_object" "$top/build/tests-c/interop" \
        "$top/build/tests-c/hard_badinput" "$top/build/tests-c/hard_faults" \
        "$top/build/tests-c/hard_cycles" "$top/build/tests-c/hard_threads"
    if [ "${VALGRIND_ALL:-0}" = 1 ]; then
        for t in "$top"/build/tests-c/test_*; do
            case $(basename "$t") in
                test_object|test_errors|test_fd_hygiene|test_print|test_uprobe_multi) ;;
                *) set -- "$@" "$t" ;;
            esac
        done
    fi
fi
export HARD_CYCLES=${HARD_CYCLES:-1000} HARD_THREADS=${HARD_THREADS:-8} HARD_ITERS=${HARD_ITERS:-100}

# shellcheck source=tap.sh
. "$top/tests-c/tap.sh"

if ! command -v valgrind >/dev/null; then
    check 0 "valgrind is installed (scripts/setup.sh installs it)"
    echo "1..$n"; exit 1
fi

for bin in "$@"; do
    name=$(basename "$bin")
    logs=$(mktemp -d /tmp/bpflink-valgrind-XXXXXX)
    # No debuginfod lookups: valgrind would try the network for every
    # library without local debug info.
    env -u DEBUGINFOD_URLS valgrind --tool=memcheck --leak-check=full \
        --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --error-exitcode=97 --suppressions="$supp" --num-callers=30 \
        --trace-children=yes --trace-children-skip="/bin/*,/usr/*,/sbin/*" \
        --log-file="$logs/vg.%p" "$bin" >"$logs/out" 2>&1
    rc=$?
    check_run "$name under valgrind" $rc "$logs/out" "valgrind/$name"

    # One log per process; those that exec'ed away have no summary.
    procs=0 errors=0 definite=0 indirect=0 eb=0 other_warn=0
    for log in "$logs"/vg.*; do
        eb=$((eb + $(grep -c 'WARNING: unhandled eBPF command' "$log")))
        other_warn=$((other_warn + $(grep -i 'warning' "$log" | grep -vc 'unhandled eBPF command')))
        grep -q 'ERROR SUMMARY:' "$log" || continue
        procs=$((procs + 1))
        e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -1 | tr -d ,)
        d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1 | tr -d ,)
        i=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -1 | tr -d ,)
        errors=$((errors + ${e:-0})); definite=$((definite + ${d:-0})); indirect=$((indirect + ${i:-0}))
        if [ "${e:-0}" != 0 ] || [ "${d:-0}" != 0 ] || [ "${i:-0}" != 0 ]; then
            # The report itself, as TAP comments.
            grep -v 'unhandled eBPF command' "$log" | sed '1,/Parent PID/d' |
                grep -v '^==[0-9]*== *$' | head -80 | sed 's/^/#   /'
        fi
    done
    check "$([ $procs -gt 0 ] && [ $errors = 0 ] && echo 1 || echo 0)" \
        "$name: memcheck found $errors errors in $procs processes"
    check "$([ $procs -gt 0 ] && [ $definite = 0 ] && [ $indirect = 0 ] && echo 1 || echo 0)" \
        "$name: no leak (definitely lost $definite bytes, indirectly lost $indirect bytes)"
    echo "# $name: $eb 'unhandled eBPF command' notes ignored, $other_warn other valgrind warnings"
    echo "# summary: valgrind $name: $cases cases, $errors errors, $definite+$indirect bytes lost, $procs processes"
    rm -rf "$logs"
done
echo "1..$n"
[ $failed = 0 ]
