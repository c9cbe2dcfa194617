# Sourced by the shell test drivers that run other binaries under a tool
# (asan.sh, tsan.sh, valgrind.sh) and by check_refusal.sh: the root check
# and TAP bookkeeping they share. Sets n (cases so far), failed (how many failed) and logs (a
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

# check_run <what> <exit status> <TAP output file> [origin]: two cases,
# the binary exited 0, and its own TAP cases all passed under one plan
# (failures shown as comments), with no skipped case but a capability
# probe's (the rule tests-c/run.sh applies as root). Each probe skip is
# passed on as "# relayed from <origin>: <line>", so that run.sh names it
# in its summary. Sets `cases` to the number that passed.
check_run() {
    local what=$1 rc=$2 out=$3 origin=${4:-} bad plan skips probes
    local probe_re='^ok .*# SKIP probe [a-z0-9_]+: E[A-Z0-9]+ '
    skips=$(grep -c '^ok .*# SKIP' "$out")
    probes=$(grep -cE "$probe_re" "$out")
    cases=$(($(grep -c '^ok ' "$out") - skips))
    bad=$(grep -c '^not ok ' "$out")
    plan=$(grep -c '^1\.\.[1-9]' "$out")
    check "$([ "$rc" = 0 ] && echo 1 || echo 0)" "$what: exit status $rc"
    check "$([ "$bad" = 0 ] && [ "$cases" -gt 0 ] && [ "$plan" = 1 ] && [ "$skips" = "$probes" ] &&
             echo 1 || echo 0)" \
        "$what: its $cases TAP cases passed ($bad failed, $probes skipped by a probe, $((skips - probes)) otherwise)"
    [ "$bad" = 0 ] || grep '^not ok ' "$out" | sed 's/^/#   /'
    grep '^ok .*# SKIP' "$out" | grep -vE "$probe_re" | sed 's/^/#   /'
    [ -z "$origin" ] || grep -E "$probe_re" "$out" | sed "s|^|# relayed from $origin: |"
}
