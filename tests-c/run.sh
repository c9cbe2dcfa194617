#!/usr/bin/env bash
# Runs C test binaries (TAP output, see tap.h) and totals their cases.
# Fails on any failing case and any crashed binary. Run as root (CI runs
# as root on a BPF-capable kernel) it also fails on a skipped case, unless
# the skip is a capability probe's: "ok N - text # SKIP probe <name>:
# E<NAME> from <step> (...)", which a test prints only when a probe that
# does not use the library was refused (support.h, docs/probes.md). A
# whole binary skipped ("1..0 # SKIP ...") fails as root whatever the
# reason. At the end it names the capabilities skipped and where.
#
# Drivers that run binaries under a tool (asan.sh, valgrind.sh) pass the
# probe skips of those binaries on as "# relayed from <origin>: <line>";
# they count for the summary line under that origin.
set -u
pass=0 fail=0 skip=0 bad=0
root=0; [ "$(id -u)" = 0 ] && root=1
probe_re='# SKIP probe [a-z0-9_]+: E[A-Z0-9]+ '
caps=$(mktemp /tmp/bpflink-run-XXXXXX)
trap 'rm -f "$caps"' EXIT
for t in "$@"; do
    name=$(basename "$t")
    out=$("$t" 2>&1); rc=$?
    # A skipped case is an "ok ... # SKIP" line: counted as skipped only.
    p=$(grep '^ok ' <<<"$out" | grep -vc '# SKIP'); f=$(grep -c '^not ok ' <<<"$out")
    s=$(grep -c '^ok .*# SKIP' <<<"$out")
    whole=$(grep -c '^1\.\.0 # SKIP' <<<"$out")
    ps=$(grep '^ok ' <<<"$out" | grep -cE "$probe_re")
    s=$((s + whole))
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    # name<TAB>ENAME<TAB>where, for each probe skip (its own and relayed)
    { grep '^ok ' <<<"$out" | grep -oE "$probe_re" | sed "s/\$/$name/"
      grep -E "^# relayed from [^:]+: ok .*$probe_re" <<<"$out" |
          sed -E "s/^# relayed from ([^:]+): .*($probe_re).*/\2\1/"
    } | sed -E 's/^# SKIP probe ([a-z0-9_]+): (E[A-Z0-9]+) /\1\t\2\t/' >>"$caps"
    if [ $rc -ne 0 ] || [ "$f" -ne 0 ]; then
        bad=$((bad + 1))
        echo "FAIL $name (exit $rc)"; grep -v '^ok ' <<<"$out" | sed 's/^/    /'
    elif [ $root = 1 ] && [ $((s - ps)) -ne 0 ]; then
        # (s - ps: the whole-binary skips and the cases skipped otherwise)
        bad=$((bad + 1))
        echo "FAIL $name: skipped as root other than by a capability probe:"
        { grep '^1\.\.0 # SKIP' <<<"$out"; grep '^ok .*# SKIP' <<<"$out" | grep -vE "$probe_re"; } |
            sed 's/^/    /'
    elif [ "$s" -ne 0 ] && [ "$p" -eq 0 ]; then
        echo "SKIP $name: $(grep -m1 '# SKIP' <<<"$out" | sed 's/.*# SKIP //')"
    elif [ "$s" -ne 0 ]; then
        echo "ok   $name: $p cases, $s skipped: $(grep -m1 '^ok .*# SKIP' <<<"$out" | sed 's/.*# SKIP //')"
    else
        echo "ok   $name: $p cases"
    fi
    # Totals a binary wants shown (the differential suite's case count).
    grep '^# summary: ' <<<"$out" | sed 's/^# summary: /     /'
done
echo "C tests: $pass passed, $fail failed, $skip skipped, $# binaries"
# "name (ENAME: where, where), ...", in the order first seen.
summary=$(awk '!seen[$0]++' "$caps" | awk -F'\t' '
    { key = $1 " (" $2; if (!(key in w)) { order[++n] = key; w[key] = $3 } else w[key] = w[key] ", " $3 }
    END { for (i = 1; i <= n; i++) printf "%s%s: %s)", (i > 1 ? ", " : ""), order[i], w[order[i]] }')
echo "C tests: skipped capabilities: ${summary:-none}"
[ $bad -eq 0 ]
