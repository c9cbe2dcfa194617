#!/usr/bin/env python3
"""Prints what the test suites found this machine can do (docs/probes.md).

Reads the log the capability probes append to when BPFLINK_PROBE_LOG is
set, one line per probe per process:

    suite <TAB> name <TAB> ok|ENAME <TAB> step <TAB> real|simulated

and prints every capability probed: those the kernel granted (their
cases ran), those it refused (with the errno, the step that failed and the
suites that asked; their cases were skipped by name, or, where a case
checks the kernel's own answer, compared with it), and the refusals
simulated with BPFLINK_TEST_REFUSE. A capability refused in one suite but
granted in another is reported as a warning: the probes of two suites then
disagree about the same kernel feature.

    scripts/probe-summary.py build/probes.log
"""
import sys
from collections import defaultdict


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    except FileNotFoundError:
        rows = []
    rows = [r for r in rows if len(r) == 5]
    if not rows:
        print("capabilities: no probe ran (not root, or no kernel suite ran)")
        return 0
    granted = defaultdict(set)
    refused = defaultdict(set)
    why = {}
    simulated = defaultdict(set)
    for suite, name, result, step, mode in rows:
        if mode == "simulated":
            simulated[name].add(suite)
        elif result == "ok":
            granted[name].add(suite)
        else:
            refused[name].add(suite)
            why[name] = f"{result} from {step}"
    names = sorted(set(granted) | set(refused))
    print(f"capabilities probed: {len(names)}")
    ran = [n for n in names if n not in refused]
    print(f"  granted:   {' '.join(ran) if ran else '(none)'}")
    for n in sorted(refused):
        print(f"  refused:   {n} ({why[n]}: {', '.join(sorted(refused[n]))})")
    for n in sorted(simulated):
        print(f"  simulated: {n} refused through BPFLINK_TEST_REFUSE in "
              f"{', '.join(sorted(simulated[n]))}")
    for n in sorted(set(granted) & set(refused)):
        print(f"  warning:   {n} refused in {', '.join(sorted(refused[n]))} "
              f"but granted in {', '.join(sorted(granted[n]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
