#!/bin/sh
# A tiny, untimed run of the whole benchmark harness (bench/bench.py --smoke):
# TAP for tests-c/run.sh, part of `make test` so that `make bench` cannot rot.
top=$(cd "$(dirname "$0")/.." && pwd)
exec python3 "$top/bench/bench.py" --smoke
