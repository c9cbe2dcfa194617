# Sourced by the shell test drivers that run other binaries under a tool
# (asan.sh, tsan.sh, valgrind.sh): the root check and TAP bookkeeping they
# share. Sets n (cases so far), failed (how many failed) and logs (a
# scratch directory the caller may create; removed on exit).

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root (euid $(id -u)): the binaries use the kernel"
    exit 0
fi

n=0 failed=0 logs=
trap 'rm -rf "$logs"' EXIT

check() { # check <ok 0|1> <text>
    n=$((n + 1))
    if [ "$1" = 1 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"; failed=$((failed + 1))
    fi
}

# check_run <what> <exit status> <TAP output file>: two cases, the binary
# exited 0, and its own TAP cases all passed under one plan (failures
# shown as comments). Sets `cases` to the number that passed.
check_run() {
    local what=$1 rc=$2 out=$3 bad plan
    cases=$(grep -c '^ok ' "$out")
    bad=$(grep -c '^not ok ' "$out")
    plan=$(grep -c '^1\.\.[1-9]' "$out")
    check "$([ "$rc" = 0 ] && echo 1 || echo 0)" "$what: exit status $rc"
    check "$([ "$bad" = 0 ] && [ "$cases" -gt 0 ] && [ "$plan" = 1 ] && echo 1 || echo 0)" \
        "$what: its $cases TAP cases passed ($bad failed)"
    [ "$bad" = 0 ] || grep '^not ok ' "$out" | sed 's/^/#   /'
}
