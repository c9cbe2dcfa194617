#!/bin/sh
# A tiny, untimed run of the whole benchmark harness (bench/bench.py --smoke):
# TAP for tests-c/run.sh, part of `make test` so that `make bench` cannot rot.
# It runs every row, the options rows included, and fails if one of
# bpflink's low-level calls (with or without options) touches the heap.
# The harness holds its links on child cgroups and pins them on a private
# bpffs; when the kernel refuses either (build/tests-c/probe, support.c's
# probes), the run is one case skipped by that probe's name. An options row
# whose family the kernel refuses (tcx, netfilter, ...) is skipped the same
# way by the driver, row by row, and the rest runs.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
    why=$("$top/build/tests-c/probe" --suite bench_smoke link_cgroup bpffs_mount)
    case $? in
        0) ;;
        1) echo "ok 1 - the benchmark harness # SKIP $(echo "$why" | head -1)"
           echo "1..1"; exit 0 ;;
        *) echo "not ok 1 - the capability probes ran"; echo "1..1"; exit 1 ;;
    esac
fi
exec python3 "$top/bench/bench.py" --smoke
