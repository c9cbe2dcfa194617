#!/usr/bin/env bash
# Runs C test binaries (TAP output, see tap.h) and totals their cases.
# Fails on any failing case, any crashed binary, and, as root, on any skip:
# CI runs as root on a BPF-capable kernel, where nothing may be skipped.
set -u
pass=0 fail=0 skip=0 bad=0
for t in "$@"; do
    name=$(basename "$t")
    out=$("$t" 2>&1); rc=$?
    # A skipped case is an "ok ... # SKIP" line: counted as skipped only.
    p=$(grep '^ok ' <<<"$out" | grep -vc '# SKIP'); f=$(grep -c '^not ok ' <<<"$out")
    s=$(grep -c '# SKIP' <<<"$out")
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ]; then
        bad=$((bad + 1))
        echo "FAIL $name (exit $rc)"; grep -v '^ok ' <<<"$out" | sed 's/^/    /'
    elif [ "$s" -ne 0 ] && [ "$p" -eq 0 ]; then
        echo "SKIP $name: $(grep -m1 '# SKIP' <<<"$out" | sed 's/.*# SKIP //')"
    elif [ "$s" -ne 0 ]; then
        echo "ok   $name: $p cases, $s skipped: $(grep -m1 '# SKIP' <<<"$out" | sed 's/.*# SKIP //')"
    else
        echo "ok   $name: $p cases"
    fi
    # Totals a binary wants shown (the differential suite's case count).
    grep '^# summary: ' <<<"$out" | sed 's/^# summary: /     /'
done
echo "C tests: $pass passed, $fail failed, $skip skipped, $# binaries"
if [ "$(id -u)" = 0 ] && [ $skip -ne 0 ]; then
    echo "C tests: skips are failures when running as root"; exit 1
fi
[ $bad -eq 0 ]
