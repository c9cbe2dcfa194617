#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`make bench`: runs every measurement and writes the results.

    bench/bench.py            the full run (about 40 seconds): rewrites the
                              generated part of BENCHMARKS.md (between its
                              BEGIN/END GENERATED markers) and
                              bench/enumeration.png; raw data in
                              build/bench/results.json
    bench/bench.py --instructions 10,1000
                              only the callgrind instruction counts (a
                              table on stdout; BENCH_OURS_SO=path measures
                              another build of bpflink)
    bench/bench.py --smoke    a tiny, untimed run of every piece (driver in
                              every mode, callgrind and its parsing, the
                              Python benchmark, tables and plot into a
                              temporary directory), as TAP; part of
                              `make test`. Writes nothing in the tree.

The options rows (every option-taking function with LIBBPF_OPTS of the
current size and of libbpf 1.0's, per attach-type family) are declared by
the driver ("row" records), which also says which of them a refused
capability probe leaves out ("skip" records); see BENCHMARKS.md, "The
options rows".

Pieces (see BENCHMARKS.md, "Method"):
  build/bench/bench        the C driver (bench/bench.c): time, count,
                           alloc and load modes
  build/bench/libbpfraw.so the raw-syscall implementation (bench/raw.c)
  bench/py_bench.py        the Python layer's overhead (run with .deps/venv)
  valgrind --tool=callgrind  user-space instructions per call, parsed
                           here from the callgrind.out dumps
  gnuplot                  the plot (scripts/setup.sh installs gnuplot-nox)

Needs root on a BPF-capable kernel (cgroup links, a private bpffs).
"""

from __future__ import annotations

import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
DRIVER = os.path.join(BUILD, "bench", "bench")
RAW_SO = os.path.join(BUILD, "bench", "libbpfraw.so")
OURS_SO = os.path.join(BUILD, "libbpflink.so.1")
OURS_FILE = os.path.join(BUILD, "libbpflink.so.1.0.0")
REF_SO = os.path.join(TOP, ".deps", "libbpf-1.7.0", "lib", "libbpf.so.1.7.0")
VENV_PY = os.path.join(TOP, ".deps", "venv", "bin", "python")
MD = os.path.join(TOP, "BENCHMARKS.md")
PNG = os.path.join(TOP, "bench", "enumeration.png")
RESULTS = os.path.join(BUILD, "bench", "results.json")

IMPLS = ("ours", "ref", "raw")
LABEL = {"ours": "bpflink", "ref": "libbpf 1.7.0", "raw": "raw syscall"}
# Every API function the driver measures with NULL options (or none), as
# named in the libraries: callgrind collects only inside these
# (--toggle-collect). None calls another of them in any implementation (a
# nested toggle would switch collection off); libbpf's bpf_link_get_fd_by_id
# calls bpf_link_get_fd_by_id_opts, which is therefore counted in a
# callgrind run of its own (TOGGLE_SETS).
FUNCS = {
    "next_id": "bpf_link_get_next_id",
    "next_id_end": "bpf_link_get_next_id",
    "fd_by_id": "bpf_link_get_fd_by_id",
    "info": "bpf_link_get_info_by_fd",
    "create": "bpf_link_create",
    "update": "bpf_link_update",
    "open": "bpf_link__open",
    "destroy": "bpf_link__destroy",
    "pin": "bpf_link__pin",
    "unpin": "bpf_link__unpin",
}
# How the tables name each measured function.
SHOWN = dict(FUNCS, next_id_end="bpf_link_get_next_id (end of list: ENOENT)")
LOW_LEVEL = ("next_id", "next_id_end", "fd_by_id", "info", "create", "update")
# Timed operations: what one timed "call" is, and the API functions it
# makes (for the instruction column of its table).
OPS = {
    "next_id": ("bpf_link_get_next_id over every link (one call per link)", ("next_id",)),
    "fd_info": ("bpf_link_get_fd_by_id + bpf_link_get_info_by_fd + close, per link",
                ("fd_by_id", "info")),
    "create": ("bpf_link_create + close (cgroup_skb on a cgroup, BPF_CGROUP_INET_INGRESS)",
               ("create",)),
    "update": ("bpf_link_update (round trips between two programs; per call)", ("update",)),
    "open": ("bpf_link__open + bpf_link__destroy on a pinned link", ("open", "destroy")),
    "pin": ("bpf_link__pin + bpf_link__unpin (bpffs)", ("pin", "unpin")),
}
N_OPS = ("next_id", "fd_info")

# The attach-type families of the bpf_link_create options rows, and the
# functions of the options rows. The driver's set 1 (--set 1) counts
# bpf_link_get_fd_by_id_opts alone; set 0 everything else.
FAMILIES = ("cgroup", "tcx", "netfilter", "perf_event", "uprobe_multi", "iter")
ROW_FUNCS = ("bpf_link_create", "bpf_link_update", "bpf_link_get_fd_by_id_opts")
TOGGLE_SETS = (sorted(set(FUNCS.values())), ["bpf_link_get_fd_by_id_opts"])
# Targets of the options rows.
ROW_VS_RAW = 2.0          # current-size options with only the row's fields set
SIZE_LIMIT = 64 * 1024    # stripped libbpflink.so.1, bytes

FULL = dict(ns=(10, 1000, 10000), rounds=101, slow_rounds=11, scale=100, load_reps=101,
            py_links=100, py_rounds=51, py_scale=100)
SMOKE = dict(ns=(10, 130), rounds=2, slow_rounds=1, scale=3, load_reps=2, py_links=10,
             py_rounds=1, py_scale=2)


# --- running things -------------------------------------------------------------


def raise_nofile() -> None:
    """10 000 links are 10 000 fds: soft limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(cmd: list[str], **kw) -> str:
    """Runs cmd; its stdout, or RuntimeError with its stderr."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if p.returncode != 0:
        tail = "\n".join(p.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}\n{tail}")
    return p.stdout


def records(out: str, kind: str) -> list[list[str]]:
    return [line.split("\t")[1:] for line in out.splitlines() if line.startswith(kind + "\t")]


def ns_arg(ns) -> list[str]:
    return ["--n", ",".join(str(n) for n in ns)]


def declared_rows(out: str) -> dict:
    """The options rows the driver declared, in its order:
    {key: {fn, family, sz, current, slow, what, skip (the probe's reason or None)}}."""
    rows = {}
    for key, fn, fam, sz, current, slow, what in records(out, "row"):
        rows[key] = dict(fn=fn, family=None if fam == "-" else fam, sz=int(sz),
                         current=current == "1", slow=slow == "1", what=what, skip=None)
    for key, why in records(out, "skip"):
        rows[key]["skip"] = why
    return rows


def run_time(cfg: dict) -> tuple[dict, dict]:
    """Wall time: {op: {N or "-": {impl: [ns per call per round]}}}, and the
    options rows declared."""
    out = run([DRIVER, "time", *ns_arg(cfg["ns"]), "--rounds", str(cfg["rounds"]),
               "--slow-rounds", str(cfg["slow_rounds"]), "--scale", str(cfg["scale"])])
    res: dict = {}
    for op, n, impl, rnd, ns, _calls in records(out, "time"):
        res.setdefault(op, {}).setdefault(n, {i: [] for i in IMPLS})[impl].append(float(ns))
    return res, declared_rows(out)


def run_alloc(cfg: dict) -> dict:
    """Heap calls per API call: {fn: {impl: (calls, allocs, frees)}}."""
    out = run([DRIVER, "alloc", *ns_arg(cfg["ns"][:1])])
    res: dict = {}
    for impl, fn, calls, allocs, frees in records(out, "alloc"):
        res.setdefault(fn, {})[impl] = (int(calls), int(allocs), int(frees))
    return res


def run_load(cfg: dict) -> dict:
    """dlopen + first call in fresh processes, interleaved:
    {impl: {"ns": [...], "first_heap": n, "others_heap": n}}."""
    res = {i: {"ns": [], "first_heap": 0, "others_heap": 0} for i in IMPLS}
    for r in range(cfg["load_reps"]):
        for j in range(len(IMPLS)):
            impl = IMPLS[(j + r) % len(IMPLS)]
            [[name, ns, first, others]] = records(run([DRIVER, "load", impl]), "load")
            res[name]["ns"].append(int(ns))
            res[name]["first_heap"] = max(res[name]["first_heap"], int(first))
            res[name]["others_heap"] = max(res[name]["others_heap"], int(others))
    # BPFLINK_TRACE set but off ("0"): reading it must not allocate either.
    env = dict(os.environ, BPFLINK_TRACE="0")
    [[_name, _ns, first, others]] = records(run([DRIVER, "load", "ours"], env=env), "load")
    res["ours"]["trace0_heap"] = int(first) + int(others)
    return res


# Address-space randomisation off (setarch -R), so that every run places
# strings and heap chunks alike: libc's string functions cost by alignment.
VALGRIND = ["setarch", platform.machine(), "-R", "valgrind", "--tool=callgrind",
            "--collect-atstart=no", "--collect-systime=no"]


def callgrind_dumps(outdir: str) -> list[tuple[str, int]]:
    """(trigger, Ir) of every callgrind.out dump in outdir.

    The figure is the dump's `summary:` line, callgrind's count of the
    instructions executed while collecting in that dump's period. Its
    `totals:` line, the sum of the cost lines it attributes to functions,
    can be larger: on these libraries it comes out 1 to 2 instructions per
    call higher in segments whose function calls libc through a PLT stub,
    and by a fraction more after a syscall that blocks, so that the same
    code path seems to cost a non-integer number of instructions. A hand
    count of a toy library (a call through a PLT stub, and syscall())
    matches `summary:` exactly. (BENCHMARKS.md before issue 13 read
    `totals:`; "The boundary's cost" there compares like with like.)"""
    dumps = []
    # cg.out.<pid>.<part>, in the order they were written.
    paths = glob.glob(os.path.join(outdir, "cg.out*"))
    for path in sorted(paths, key=lambda p: [int(x) for x in re.findall(r"\d+", p[len(outdir):])]):
        trigger, summary, totals = "", None, None
        with open(path) as f:
            for line in f:
                if line.startswith("desc: Trigger:"):
                    trigger = line.split(":", 2)[2].strip()
                elif line.startswith("summary:"):
                    summary = int(line.split()[1])
                elif line.startswith("totals:"):
                    totals = int(line.split()[1])
        dumps.append((trigger, summary if summary is not None else totals or 0))
    return dumps


def run_count(cfg: dict, tmp: str) -> dict:
    """User-space instructions per call: {segment: {N or "-": {impl: Ir/call}}}
    (a segment is a FUNCS key or an options row's key).

    One callgrind run of the driver's count mode per implementation and
    toggle set. Collection is on only inside the API functions of the set
    (--toggle-collect); the driver zeroes the counters before each segment
    and dumps them after it, labelled "seg <impl> <segment> <N|-> <calls>",
    so each dump's total is the instructions of exactly those calls."""
    res: dict = {}
    # One process per implementation: each meets the same heap (see the
    # driver's --only).
    for impl in IMPLS:
        for k, funcs in enumerate(TOGGLE_SETS):
            toggles = [f"--toggle-collect={f}" for f in funcs]
            outdir = os.path.join(tmp, f"count-{impl}-{k}")
            os.makedirs(outdir)
            run(["env", "-u", "DEBUGINFOD_URLS", *VALGRIND, *toggles,
                 f"--callgrind-out-file={outdir}/cg.out", DRIVER, "count", *ns_arg(cfg["ns"]),
                 "--only", impl, "--set", str(k)])
            for trigger, total in callgrind_dumps(outdir):
                m = re.fullmatch(r"Client Request: seg (\w+) (\w+) (\S+) (\d+)", trigger)
                if m:
                    name, fn, n, calls = m.group(1), m.group(2), m.group(3), int(m.group(4))
                    res.setdefault(fn, {}).setdefault(n, {})[name] = total / calls
    return res


def run_load_count(tmp: str) -> dict:
    """Instructions of dlopen + dlsym + first call: {impl: Ir}."""
    res = {}
    for impl in IMPLS:
        outdir = os.path.join(tmp, f"load-{impl}")
        os.makedirs(outdir)
        run(["env", "-u", "DEBUGINFOD_URLS", *VALGRIND, "--toggle-collect=bench_load_once",
             f"--callgrind-out-file={outdir}/cg.out", DRIVER, "load", impl])
        res[impl] = sum(total for _t, total in callgrind_dumps(outdir))
    return res


def stripped_sizes(tmp: str) -> dict:
    res = {}
    for impl, path in (("ours", OURS_FILE), ("ref", REF_SO)):
        out = os.path.join(tmp, f"stripped-{impl}.so")
        run(["strip", "-o", out, path])
        res[impl] = {"stripped": os.path.getsize(out), "file": os.path.getsize(path)}
    return res


def run_python(cfg: dict) -> dict:
    env = dict(os.environ, BPFLINK_LIBRARY=OURS_SO)
    out = run([VENV_PY, os.path.join(TOP, "bench", "py_bench.py"), "--links",
               str(cfg["py_links"]), "--rounds", str(cfg["py_rounds"]), "--scale",
               str(cfg["py_scale"])], env=env)
    return json.loads(out)


def library_id() -> str:
    """Which bpflink was measured: the file the driver loads, its size, time
    and hash (a binary does not say what source it came from; `make bench`
    builds it from the tree just before)."""
    path = os.environ.get("BENCH_OURS_SO") or OURS_SO
    real = os.path.realpath(path)
    st = os.stat(real)
    with open(real, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    when = datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc)
    shown = os.path.relpath(path, TOP) if path.startswith(TOP) else path
    return (f"`{shown}` ({st.st_size:,} B, written {when.strftime('%Y-%m-%d %H:%M')} UTC, "
            f"sha256 {digest}...)")


def machine() -> dict:
    def first_line(cmd: list[str]) -> str:
        try:
            return run(cmd).strip().splitlines()[0]
        except (RuntimeError, OSError, IndexError):
            return "?"

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    virt = "bare metal"
    for line in run(["lscpu"]).splitlines():
        if line.startswith("Hypervisor vendor:"):
            virt = f"{line.split(':', 1)[1].strip()} virtual machine"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "virt": virt,
        "kernel": platform.release(),
        "os": first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "gcc": first_line(["gcc", "--version"]),
        "rustc": first_line(["rustc", "--version"]),
        "glibc": first_line(["ldd", "--version"]),
        "valgrind": first_line(["valgrind", "--version"]),
        "python": first_line([VENV_PY, "--version"]),
        "loadavg": open("/proc/loadavg").read().split()[:3],
        "commit": first_line(["git", "-C", TOP, "log", "-1", "--format=%h (%cd)",
                              "--date=format:%Y-%m-%d %H:%M"]),
        "src_changed": bool(run(["git", "-C", TOP, "status", "--porcelain", "--", "src",
                                 "Cargo.toml", "Cargo.lock"]).strip()),
        "ours": library_id(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- statistics ---------------------------------------------------------------------


def med(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


def paired_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a[r] / b[r] (both measured in round r)."""
    return med([x / y for x, y in zip(a, b) if y > 0])


def summarize(data: dict) -> dict:
    """Targets, each with the numbers behind its verdict: (kind, what, ok,
    figure); ok is None for an options row a refused probe left out, and
    the figure is then the probe's reason."""
    count, alloc, sizes, load = data["count"], data["alloc"], data["sizes"], data["load"]
    rows = data["rows"]
    checks = []

    def ir(fn, impl):
        # Per call; for N-dependent functions, over every N.
        return [v[impl] for v in count[fn].values()]

    for fn in FUNCS:
        worst = max(o / r for o, r in zip(ir(fn, "ours"), ir(fn, "ref")))
        checks.append(("ir_vs_libbpf", fn, worst <= 1.0, worst))
    for fn in LOW_LEVEL:
        worst = max(o / r for o, r in zip(ir(fn, "ours"), ir(fn, "raw")))
        checks.append(("ir_vs_raw", fn, worst <= 1.05, worst))
    for fn in LOW_LEVEL:
        _calls, allocs, frees = alloc[fn]["ours"]
        checks.append(("no_alloc", fn, allocs + frees == 0, allocs + frees))
    first = load["ours"]["first_heap"] + load["ours"]["others_heap"]
    checks.append(("no_alloc", "first calls", first == 0, first))
    trace0 = load["ours"]["trace0_heap"]
    checks.append(("no_alloc", "first calls, BPFLINK_TRACE=0", trace0 == 0, trace0))
    ratio = sizes["ours"]["stripped"] / sizes["ref"]["stripped"]
    checks.append(("size", "stripped", ratio < 1.0, ratio))
    for fn in ("next_id", "fd_by_id", "info"):
        per_n = [v["ours"] for v in count[fn].values()]
        spread = max(per_n) / min(per_n)
        checks.append(("flat", fn, spread <= 1.01, spread))

    # The options rows.
    for key, r in rows.items():
        if r["skip"]:
            checks.append(("row_vs_libbpf", key, None, r["skip"]))
            continue
        v = count[key]["-"]
        checks.append(("row_vs_libbpf", key, v["ours"] <= v["ref"], v["ours"] / v["ref"]))
    for key, r in rows.items():
        if not r["current"]:
            continue
        if r["skip"]:
            checks.append(("row_vs_raw", key, None, r["skip"]))
            continue
        v = count[key]["-"]
        checks.append(("row_vs_raw", key, v["ours"] <= ROW_VS_RAW * v["raw"],
                       v["ours"] / v["raw"]))
    for key, r in rows.items():
        if r["skip"]:
            checks.append(("row_no_alloc", key, None, r["skip"]))
            continue
        _calls, allocs, frees = alloc[key]["ours"]
        checks.append(("row_no_alloc", key, allocs + frees == 0, allocs + frees))
    stripped = sizes["ours"]["stripped"]
    checks.append(("size_limit", "stripped", stripped <= SIZE_LIMIT, stripped))
    return {"checks": checks}


# --- rendering ------------------------------------------------------------------------


def fmt_ns(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ir(x: float) -> str:
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


TARGET_NAMES = {
    "ir_vs_libbpf": "user-space instructions per call <= libbpf's (NULL options)",
    "ir_vs_raw": "user-space instructions per call <= 1.05 x raw syscall's (NULL options)",
    "no_alloc": "no heap call in bpflink's low-level calls (NULL options)",
    "size": "stripped libbpflink.so smaller than libbpf.so.1.7.0",
    "flat": "enumeration instructions per link flat from N = 10 to 10 000 (max/min)",
    "row_vs_libbpf": "options rows: user-space instructions per call <= libbpf's",
    "row_vs_raw": f"options rows of the current size: instructions per call <= "
                  f"{ROW_VS_RAW:g} x raw syscall's",
    "row_no_alloc": "options rows: no heap call in bpflink",
    "size_limit": f"stripped libbpflink.so.1 <= 64 KiB ({SIZE_LIMIT:,} B)",
}


def fmt_bytes(n: int) -> str:
    return f"{n:,} B ({n / 1024:.1f} KiB)"


def verdict(ok) -> str:
    return "met" if ok else "skipped" if ok is None else "**missed**"


def row_label(key: str) -> str:
    return f"`{key}`"


def render(data: dict) -> str:
    m, cfg = data["machine"], data["config"]
    t, count, alloc, rows = data["time"], data["count"], data["alloc"], data["rows"]
    L = []
    w = L.append
    w(f"Generated by `bench/bench.py` (the last step of `make bench`) on {m['date']}.\n")
    w("### Machine\n")
    w("| | |\n|---|---|")
    w(f"| CPU | {m['cpu']}, {m['cores']} cores ({m['virt']}) |")
    w(f"| kernel | {m['kernel']} |")
    w(f"| system | {m['os']}, {m['glibc']} |")
    w(f"| compilers | {m['gcc']}; {m['rustc']} |")
    w(f"| tools | {m['valgrind']}; {m['python']} |")
    w(f"| bpflink measured | {m['ours']}; the tree at commit {m['commit']}"
      f"{', src/ or Cargo files modified' if m['src_changed'] else ''} |")
    w(f"| load average at start | {' '.join(m['loadavg'])} |")
    w(f"| run | {cfg['rounds']} interleaved rounds per operation ({cfg['slow_rounds']} for the "
      f"options rows whose kernel side waits for an RCU grace period); links N = "
      f"{', '.join(f'{n:,}' for n in cfg['ns'])} |\n")

    w("### Targets\n")
    w("| target | function | verdict | figure |\n|---|---|---|---|")
    for kind, what, ok, fig in data["summary"]["checks"]:
        if ok is None:
            figure = fig
        elif kind in ("ir_vs_libbpf", "ir_vs_raw", "size", "flat", "row_vs_libbpf",
                      "row_vs_raw"):
            figure = f"{fig:.3f}x"
        elif kind == "size_limit":
            figure = fmt_bytes(fig)
        else:
            figure = f"{fig} heap calls"
        if what in rows:
            fn = row_label(what)
        else:
            fn = f"`{SHOWN[what]}`" if what in SHOWN else what
        w(f"| {TARGET_NAMES[kind]} | {fn} | {verdict(ok)} | {figure} |")
    w("")

    w("### Per operation\n")
    w("Wall time: median over rounds of the time per call (per link for the "
      "enumeration operations), from CLOCK_MONOTONIC around batches of calls; "
      "ratios are medians of the per-round ratios (all three implementations "
      "run in every round, order rotating). Instructions: user-space instructions "
      "per call of each API function, counted by callgrind inside the function "
      "(the libc `syscall()` wrapper and allocator included, the kernel not); "
      "`close()` is the caller's and is not counted. Heap: malloc-family calls "
      "per call (allocations + frees).\n")
    for op, (title, fns) in OPS.items():
        w(f"#### `{op}`: {title}\n")
        ns_keys = list(t[op].keys())
        hdr = "| N " if op in N_OPS else ""
        w(f"{hdr}| implementation | wall ns/call | vs libbpf | vs raw | "
          + " | ".join(f"instr. `{FUNCS[f]}`" for f in fns)
          + " | instr. vs libbpf | instr. vs raw | heap calls/call |")
        w("|" + "---|" * ((1 if op in N_OPS else 0) + 7 + len(fns)))
        for n in ns_keys:
            rows = t[op][n]
            for impl in IMPLS:
                ns = med(rows[impl])
                vs_ref = paired_ratio(rows[impl], rows["ref"])
                vs_raw = paired_ratio(rows[impl], rows["raw"])
                irs = [count[f][n if n in count[f] else "-"][impl] for f in fns]
                ir_sum = sum(irs)
                ref_sum = sum(count[f][n if n in count[f] else "-"]["ref"] for f in fns)
                raw_sum = sum(count[f][n if n in count[f] else "-"]["raw"] for f in fns)
                heap = sum(alloc[f][impl][1] + alloc[f][impl][2] for f in fns) / \
                    max(alloc[fns[0]][impl][0], 1)
                ncol = f"| {int(n):,} " if op in N_OPS else ""
                w(f"{ncol}| {LABEL[impl]} | {fmt_ns(ns)} | {vs_ref:.3f} | {vs_raw:.3f} | "
                  + " | ".join(fmt_ir(x) for x in irs)
                  + f" | {ir_sum / ref_sum:.3f} | {ir_sum / raw_sum:.3f} | {heap:g} |")
        w("")

    if rows:
        render_rows(data, w)

    w("### Instructions per call, every function (NULL options)\n")
    w("User-space instructions per call (callgrind), for the N-dependent functions at "
      "every N. `bpf_link_get_next_id` is counted over the N successful calls of an "
      "enumeration; its end-of-list call (ENOENT) separately.\n")
    w("| function | N | bpflink | libbpf 1.7.0 | raw syscall | vs libbpf | vs raw |")
    w("|---|---|---|---|---|---|---|")
    for fn in FUNCS:
        for n, v in count[fn].items():
            ncol = f"{int(n):,}" if n != "-" else ""
            w(f"| `{SHOWN[fn]}` | {ncol} | {fmt_ir(v['ours'])} | {fmt_ir(v['ref'])} | "
              f"{fmt_ir(v['raw'])} | {v['ours'] / v['ref']:.3f} | {v['ours'] / v['raw']:.3f} |")
    w("")

    w("### Load cost and size\n")
    ld, sz, lc = data["load"], data["sizes"], data["load_count"]
    w("`dlopen(RTLD_NOW)` + `dlsym` + the first `bpf_link_get_next_id` call, in a "
      f"fresh process each time ({cfg['load_reps']} processes per implementation, "
      "interleaved); libbpf's includes loading libelf and libz, which it needs; "
      "bpflink needs only libc. Instructions: the same, counted by callgrind. Heap "
      "calls: in that first call, then in the first call of every other low-level "
      "function and of each option-taking function with options. Stripped size: "
      "`strip` of the built file (target: bpflink <= 64 KiB).\n")
    w("| implementation | load + first call, median µs | instructions | heap calls in first calls | stripped size | file size |")
    w("|---|---|---|---|---|---|")
    for impl in IMPLS:
        size = fmt_bytes(sz[impl]['stripped']) if impl in sz else "-"
        fsize = f"{sz[impl]['file']:,} B" if impl in sz else "-"
        heap = ld[impl]["first_heap"] + ld[impl]["others_heap"]
        w(f"| {LABEL[impl]} | {med(ld[impl]['ns']) / 1000:.0f} | {lc[impl]:,} | {heap} | {size} | {fsize} |")
    w("")

    py = data["python"]
    w("### Python\n")
    w(f"`bench/py_bench.py` ({py['python']}), per call, median of {py['rounds']} "
      f"interleaved rounds; the system had {py['links_on_system']} links. ctypes: "
      "the C function object called directly; raw: `bpflink.raw`; pythonic: "
      "`link_ids()`, `links()` (which also decodes a LinkInfo), `Link.update()`.\n")
    w("| operation | ctypes ns | raw ns | pythonic ns | raw overhead | pythonic overhead |")
    w("|---|---|---|---|---|---|")
    for op, v in py["ns"].items():
        c, r, p = med(v["ctypes"]), med(v["raw"]), med(v["pythonic"])
        w(f"| {op} | {c:,.0f} | {r:,.0f} | {p:,.0f} | +{r - c:,.0f} ns ({r / c:.2f}x) "
          f"| +{p - c:,.0f} ns ({p / c:.2f}x) |")
    w("")
    w("![per-link enumeration cost against N](bench/enumeration.png)\n")
    return "\n".join(L)


def render_rows(data: dict, w) -> None:
    """The options rows: what each call is, instructions and heap, wall time."""
    t, count, alloc, rows = data["time"], data["count"], data["alloc"], data["rows"]
    w("### Options rows\n")
    w("Every option-taking function with options built by `LIBBPF_OPTS()`, each call "
      "succeeding on a real target (see \"The options rows\" above). sz: the struct's "
      "size as the caller passes it; the current one is `sizeof` in libbpf 1.7.0's "
      "headers, the other libbpf 1.0's (`bpf_link_create_opts` ended after "
      "`kprobe_multi`, `bpf_link_update_opts` after `old_prog_fd`).\n")
    w("| row | function | sz | one call |\n|---|---|---|---|")
    for key, r in rows.items():
        cur = " (current)" if r["current"] else " (libbpf 1.0)"
        skip = f" **Not measured here:** {r['skip']}." if r["skip"] else ""
        w(f"| {row_label(key)} | `{r['fn']}` | {r['sz']}{cur} | {r['what']}.{skip} |")
    w("")
    w("#### User-space instructions and heap calls per call\n")
    w("Counted as for the other functions: callgrind's instructions inside the API "
      "function and what it calls (libc's `syscall()` wrapper included), the kernel "
      "not; the driver's loop and its `close()` of the new fd not. Heap: malloc-family "
      "calls (allocations + frees) per call.\n")
    w("| row | bpflink | libbpf 1.7.0 | raw syscall | vs libbpf | vs raw | heap calls/call: bpflink, libbpf, raw |")
    w("|---|---|---|---|---|---|---|")
    for key, r in rows.items():
        if r["skip"]:
            w(f"| {row_label(key)} | - | - | - | - | - | - |")
            continue
        v = count[key]["-"]
        heap = ", ".join(f"{(alloc[key][i][1] + alloc[key][i][2]) / alloc[key][i][0]:g}"
                         for i in IMPLS)
        w(f"| {row_label(key)} | {fmt_ir(v['ours'])} | {fmt_ir(v['ref'])} | {fmt_ir(v['raw'])} "
          f"| {v['ours'] / v['ref']:.3f} | {v['ours'] / v['raw']:.3f} | {heap} |")
    w("")
    w("#### Wall time per call\n")
    w("One call and, for a new fd, its `close()`, which for a link detaches it (tcx and "
      "uprobe_multi wait there for an RCU grace period, as their create does): median "
      "over rounds of the time per call, ratios the medians of the per-round ratios. "
      "Times of the slow families move in steps of the kernel's tick (4 ms here); "
      "their ratios say little.\n")
    w("| row | rounds | bpflink ns | libbpf 1.7.0 ns | raw syscall ns | bpflink vs libbpf | bpflink vs raw | libbpf vs raw |")
    w("|---|---|---|---|---|---|---|---|")
    for key, r in rows.items():
        if r["skip"]:
            w(f"| {row_label(key)} | - | - | - | - | - | - | - |")
            continue
        v = t[key]["-"]
        w(f"| {row_label(key)} | {len(v['ours'])} | {fmt_ns(med(v['ours']))} | "
          f"{fmt_ns(med(v['ref']))} | {fmt_ns(med(v['raw']))} | "
          f"{paired_ratio(v['ours'], v['ref']):.3f} | {paired_ratio(v['ours'], v['raw']):.3f} | "
          f"{paired_ratio(v['ref'], v['raw']):.3f} |")
    w("")


def plot(data: dict, png: str, tmp: str) -> None:
    """Per-link enumeration cost against N: instructions and wall time."""
    t, count = data["time"], data["count"]
    ns = [n for n in t["next_id"].keys()]
    dat = os.path.join(tmp, "enum.dat")
    with open(dat, "w") as f:
        f.write("# N ir_ours ir_ref ir_raw ns_next_ours ns_next_ref ns_next_raw "
                "ns_fdinfo_ours ns_fdinfo_ref ns_fdinfo_raw\n")
        for n in ns:
            irs = [sum(count[fn][n][i] for fn in ("next_id", "fd_by_id", "info")) for i in IMPLS]
            nxt = [med(t["next_id"][n][i]) for i in IMPLS]
            fdi = [med(t["fd_info"][n][i]) for i in IMPLS]
            f.write(" ".join(str(x) for x in [n, *irs, *nxt, *fdi]) + "\n")
    gp = os.path.join(tmp, "enum.gp")
    with open(gp, "w") as f:
        f.write(f"""
set terminal pngcairo size 1200,500 font "DejaVu Sans,10" noenhanced
set output "{png}"
set multiplot layout 1,2 title "Enumerating N links: cost per link (bpflink vs libbpf 1.7.0 vs raw syscall)"
set logscale x
set xrange [5:20000]
set xtics ("10" 10, "100" 100, "1 000" 1000, "10 000" 10000)
set xlabel "links existing (N)"
set grid
set key bottom right
set style line 1 lc rgb "#d62728" lw 2 pt 7
set style line 2 lc rgb "#1f77b4" lw 2 pt 5
set style line 3 lc rgb "#7f7f7f" lw 2 pt 9
set title "user-space instructions per link\\n(get_next_id + get_fd_by_id + get_info_by_fd; callgrind)"
set ylabel "instructions"
set yrange [0:*]
plot "{dat}" u 1:2 w lp ls 1 t "bpflink", "" u 1:3 w lp ls 2 t "libbpf 1.7.0", "" u 1:4 w lp ls 3 t "raw syscall"
set title "wall time per link (median of interleaved rounds)"
set ylabel "ns"
set key center right
plot "{dat}" u 1:8 w lp ls 1 t "bpflink: fd+info+close", "" u 1:9 w lp ls 2 t "libbpf: fd+info+close", \\
     "" u 1:10 w lp ls 3 t "raw: fd+info+close", \\
     "" u 1:5 w lp ls 1 dt 2 t "bpflink: next_id", "" u 1:6 w lp ls 2 dt 2 t "libbpf: next_id", \\
     "" u 1:7 w lp ls 3 dt 2 t "raw: next_id"
unset multiplot
""")
    run(["gnuplot", gp])


BEGIN = "<!-- BEGIN GENERATED by `make bench` (bench/bench.py): edits here are overwritten -->"
END = "<!-- END GENERATED -->"


def write_md(text: str, path: str) -> None:
    with open(path) as f:
        md = f.read()
    if BEGIN not in md or END not in md:
        raise RuntimeError(f"{path}: the BEGIN/END GENERATED markers are missing")
    head, rest = md.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + text + "\n" + END + tail)


# --- main -----------------------------------------------------------------------------


def collect(cfg: dict, tmp: str, log) -> dict:
    raise_nofile()
    data = {"config": cfg, "machine": machine()}
    log("wall time (interleaved rounds)")
    data["time"], data["rows"] = run_time(cfg)
    log("heap calls")
    data["alloc"] = run_alloc(cfg)
    log("load cost")
    data["load"] = run_load(cfg)
    log("user-space instructions (callgrind)")
    data["count"] = run_count(cfg, tmp)
    data["load_count"] = run_load_count(tmp)
    data["sizes"] = stripped_sizes(tmp)
    log("Python layer")
    data["python"] = run_python(cfg)
    data["summary"] = summarize(data)
    return data


def main_full() -> int:
    def log(s):
        print(f"bench: {s}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bpflink-bench-") as tmp:
        data = collect(dict(FULL), tmp, log)
        os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
        with open(RESULTS, "w") as f:
            json.dump(data, f, indent=1)
        text = render(data)
        write_md(text, MD)
        plot(data, PNG, tmp)
    print(text)
    log(f"wrote {os.path.relpath(MD, TOP)}, {os.path.relpath(PNG, TOP)}, "
        f"{os.path.relpath(RESULTS, TOP)}")
    for kind, what, ok, fig in data["summary"]["checks"]:
        if ok is False:
            log(f"target missed: {kind} {what}: {fig}")
        elif ok is None:
            log(f"target not measured: {kind} {what}: {fig}")
    return 0


def main_smoke() -> int:
    """TAP. Every piece runs once on tiny inputs; the no-allocation
    targets are asserted (they are exact), the others only reported."""
    n = 0
    failed = 0

    def check(ok: bool, what: str) -> bool:
        nonlocal n, failed
        n += 1
        print(f"{'ok' if ok else 'not ok'} {n} - {what}", flush=True)
        failed += not ok
        return ok

    if os.geteuid() != 0:
        print(f"1..0 # SKIP needs root (euid {os.geteuid()}): links on cgroups, a bpffs")
        return 0
    for path, what in ((DRIVER, "the driver"), (RAW_SO, "the raw library"),
                       (OURS_SO, "libbpflink"), (REF_SO, "the reference libbpf")):
        if not check(os.path.exists(path), f"{what} is built ({os.path.relpath(path, TOP)})"):
            print(f"1..{n}")
            return 1
    cfg = dict(SMOKE)
    with tempfile.TemporaryDirectory(prefix="bpflink-bench-smoke-") as tmp:
        try:
            data = collect(cfg, tmp, lambda s: print(f"# {s}", flush=True))
        except (RuntimeError, OSError, ValueError, KeyError) as e:
            check(False, f"every measurement ran: {e}")
            print(f"1..{n}")
            return 1
        t = data["time"]
        want = {(op, str(nn) if op in N_OPS else "-") for op in OPS
                for nn in (cfg["ns"] if op in N_OPS else (0,))}
        have = {(op, k) for op in t if op in OPS for k in t[op]
                if all(len(t[op][k][i]) == cfg["rounds"] and min(t[op][k][i]) > 0 for i in IMPLS)}
        check(want <= have, f"wall time of every operation and N, all three implementations "
              f"(missing: {sorted(want - have)})")
        c = data["count"]
        good = all(fn in c and all(len(v) == 3 and min(v.values()) > 0 for v in c[fn].values())
                   for fn in FUNCS)
        check(good, "callgrind: instructions per call of every function, all three implementations")
        # The options rows: two per family and three more, each either
        # measured in every mode or left out by a refused probe (a named
        # skip, which tests-c/run.sh accepts as root).
        rows = data["rows"]
        fams = sorted(r["family"] for r in rows.values() if r["family"])
        check(len(rows) == 2 * len(FAMILIES) + 3 and fams == sorted(FAMILIES * 2)
              and {r["fn"] for r in rows.values()} == set(ROW_FUNCS),
              f"the driver declares every options row ({len(rows)}: {', '.join(rows)})")
        for key, r in rows.items():
            what = f"options row {key} ({r['fn']}, sz {r['sz']})"
            if r["skip"]:
                n += 1
                print(f"ok {n} - {what} # SKIP {r['skip']}", flush=True)
                continue
            nr = cfg["slow_rounds"] if r["slow"] else cfg["rounds"]
            timed = key in t and all(len(t[key]["-"][i]) == nr and min(t[key]["-"][i]) > 0
                                     for i in IMPLS)
            counted = key in c and len(c[key]["-"]) == 3 and min(c[key]["-"].values()) > 0
            calls, allocs, frees = data["alloc"].get(key, {}).get("ours", (0, 0, 0))
            check(timed and counted and calls > 0 and allocs == 0 and frees == 0,
                  f"{what}: timed, counted, and no heap call in bpflink's ({allocs} allocs, "
                  f"{frees} frees in {calls} calls)")
        check(all(v > 0 for v in data["load_count"].values()), "callgrind: load instructions")
        # The positive control: the hook must see each library's allocations
        # (bpf_link__open allocates the object and its path), or the
        # zeros below would prove nothing.
        seen = {impl: data["alloc"]["open"][impl][1] for impl in ("ours", "ref")}
        check(all(v > 0 for v in seen.values()),
              f"the malloc hook sees the libraries' allocations (bpf_link__open: bpflink "
              f"{seen['ours']}, libbpf {seen['ref']})")
        for fn in LOW_LEVEL:
            calls, allocs, frees = data["alloc"][fn]["ours"]
            check(calls > 0 and allocs == 0 and frees == 0,
                  f"no heap call in bpflink's {SHOWN[fn]} ({allocs} allocs, {frees} frees "
                  f"in {calls} calls)")
        ld = data["load"]["ours"]
        check(ld["first_heap"] == 0 and ld["others_heap"] == 0,
              f"no heap call in bpflink's first calls ({ld['first_heap']} + {ld['others_heap']})")
        check(ld["trace0_heap"] == 0,
              f"no heap call in bpflink's first calls with BPFLINK_TRACE=0 ({ld['trace0_heap']})")
        check(set(data["python"]["ns"]) == {"next_id", "list", "update"},
              "Python layer: every operation measured")
        checks = data["summary"]["checks"]
        for kind, what, ok, fig in checks:
            print(f"# target {kind} {what}: {verdict(ok).strip('*')} ({fig:.3f})"
                  if isinstance(fig, float) else
                  f"# target {kind} {what}: {verdict(ok).strip('*')} ({fig})")
        met = sum(1 for c in checks if c[2])
        print(f"# summary: benchmark harness: every piece ran; {met} of {len(checks)} "
              "targets met on this tiny run (make bench for the real figures)")
        md = os.path.join(tmp, "BENCHMARKS.md")
        with open(md, "w") as f:
            f.write(f"head\n{BEGIN}\n{END}\ntail\n")
        try:
            write_md(render(data), md)
            text = open(md).read()
            check(text.startswith("head\n") and text.endswith("tail\n")
                  and text.count("| bpflink |") >= len(OPS), "tables rendered")
            png = os.path.join(tmp, "enumeration.png")
            plot(data, png, tmp)
            with open(png, "rb") as f:
                check(f.read(8) == b"\x89PNG\r\n\x1a\n", "plot rendered (gnuplot, PNG)")
        except (RuntimeError, OSError, KeyError, ValueError) as e:
            check(False, f"rendering: {e}")
    print(f"1..{n}")
    return 1 if failed else 0


def main_instructions(ns: list[int]) -> int:
    """Only the callgrind counts (deterministic, seconds): a table of
    instructions per call. BENCH_OURS_SO=path measures another build of
    bpflink (how BENCHMARKS.md's before/after figures were taken)."""
    raise_nofile()
    with tempfile.TemporaryDirectory(prefix="bpflink-bench-ir-") as tmp:
        count = run_count({"ns": ns}, tmp)
    print(f"ours = {os.environ.get('BENCH_OURS_SO') or OURS_SO}\n")
    print("| function | N | bpflink | libbpf 1.7.0 | raw syscall | vs libbpf | vs raw |")
    print("|---|---|---|---|---|---|---|")
    for fn in FUNCS:
        for n, v in count[fn].items():
            print(f"| `{SHOWN[fn]}` | {'' if n == '-' else n} | {fmt_ir(v['ours'])} | "
                  f"{fmt_ir(v['ref'])} | {fmt_ir(v['raw'])} | {v['ours'] / v['ref']:.3f} | "
                  f"{v['ours'] / v['raw']:.3f} |")
    # The options rows the driver measured (those a probe refused are absent).
    for key, byn in count.items():
        if key in FUNCS:
            continue
        v = byn["-"]
        print(f"| `{key}` |  | {fmt_ir(v['ours'])} | {fmt_ir(v['ref'])} | {fmt_ir(v['raw'])} | "
              f"{v['ours'] / v['ref']:.3f} | {v['ours'] / v['raw']:.3f} |")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny untimed run, TAP output")
    ap.add_argument("--instructions", metavar="N,N", help="only the instruction counts, "
                    "at these link counts; prints a table")
    args = ap.parse_args()
    if args.instructions:
        return main_instructions([int(x) for x in args.instructions.split(",")])
    return main_smoke() if args.smoke else main_full()


if __name__ == "__main__":
    sys.exit(main())
