#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""`make bench`: runs every measurement and writes the results.

    bench/bench.py            the full run (several minutes): rewrites the
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
# Every API function the driver measures, as named in the libraries:
# callgrind collects only inside these (--toggle-collect). None calls
# another of them in any implementation (a nested toggle would switch
# collection off); libbpf's bpf_link_get_fd_by_id calls
# bpf_link_get_fd_by_id_opts, which is therefore not in the list.
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

FULL = dict(ns=(10, 1000, 10000), rounds=101, scale=100, load_reps=101, py_links=100,
            py_rounds=51, py_scale=100)
SMOKE = dict(ns=(10, 130), rounds=2, scale=3, load_reps=2, py_links=10, py_rounds=1,
             py_scale=2)


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


def run_time(cfg: dict) -> dict:
    """Wall time: {op: {N or "-": {impl: [ns per call per round]}}}."""
    out = run([DRIVER, "time", *ns_arg(cfg["ns"]), "--rounds", str(cfg["rounds"]),
               "--scale", str(cfg["scale"])])
    res: dict = {}
    for op, n, impl, rnd, ns, _calls in records(out, "time"):
        res.setdefault(op, {}).setdefault(n, {i: [] for i in IMPLS})[impl].append(float(ns))
    return res


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
    """(trigger, total Ir) of every callgrind.out dump in outdir."""
    dumps = []
    # cg.out.<pid>.<part>, in the order they were written.
    paths = glob.glob(os.path.join(outdir, "cg.out*"))
    for path in sorted(paths, key=lambda p: [int(x) for x in re.findall(r"\d+", p[len(outdir):])]):
        trigger, total = "", None
        with open(path) as f:
            for line in f:
                if line.startswith("desc: Trigger:"):
                    trigger = line.split(":", 2)[2].strip()
                elif line.startswith("totals:") or (line.startswith("summary:") and total is None):
                    total = int(line.split()[1])
        dumps.append((trigger, total or 0))
    return dumps


def run_count(cfg: dict, tmp: str) -> dict:
    """User-space instructions per call: {fn: {N or "-": {impl: Ir/call}}}.

    One callgrind run of the driver's count mode per implementation.
    Collection is on only inside the API functions (--toggle-collect); the
    driver zeroes the counters before each segment and dumps them after it,
    labelled "seg <impl> <fn> <N|-> <calls>", so each dump's total is the
    instructions of exactly those calls."""
    toggles = [f"--toggle-collect={f}" for f in sorted(set(FUNCS.values()))]
    res: dict = {}
    # One process per implementation: each meets the same heap (see the
    # driver's --only).
    for impl in IMPLS:
        outdir = os.path.join(tmp, f"count-{impl}")
        os.makedirs(outdir)
        run(["env", "-u", "DEBUGINFOD_URLS", *VALGRIND, *toggles,
             f"--callgrind-out-file={outdir}/cg.out", DRIVER, "count", *ns_arg(cfg["ns"]),
             "--only", impl])
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
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- statistics ---------------------------------------------------------------------


def med(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


def paired_ratio(a: list[float], b: list[float]) -> float:
    """Median over rounds of a[r] / b[r] (both measured in round r)."""
    return med([x / y for x, y in zip(a, b) if y > 0])


def summarize(data: dict) -> dict:
    """Targets, each with the numbers behind its verdict."""
    count, alloc, sizes, load = data["count"], data["alloc"], data["sizes"], data["load"]
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
    return {"checks": checks}


# --- rendering ------------------------------------------------------------------------


def fmt_ns(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def fmt_ir(x: float) -> str:
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def render(data: dict) -> str:
    m, cfg = data["machine"], data["config"]
    t, count, alloc = data["time"], data["count"], data["alloc"]
    L = []
    w = L.append
    w(f"Generated by `make bench` on {m['date']}.\n")
    w("### Machine\n")
    w("| | |\n|---|---|")
    w(f"| CPU | {m['cpu']}, {m['cores']} cores ({m['virt']}) |")
    w(f"| kernel | {m['kernel']} |")
    w(f"| system | {m['os']}, {m['glibc']} |")
    w(f"| compilers | {m['gcc']}; {m['rustc']} |")
    w(f"| tools | {m['valgrind']}; {m['python']} |")
    w(f"| load average at start | {' '.join(m['loadavg'])} |")
    w(f"| run | {cfg['rounds']} interleaved rounds per operation; links N = "
      f"{', '.join(f'{n:,}' for n in cfg['ns'])} |\n")

    w("### Targets\n")
    names = {
        "ir_vs_libbpf": "user-space instructions per call <= libbpf's",
        "ir_vs_raw": "user-space instructions per call <= 1.05 x raw syscall's",
        "no_alloc": "no heap call in bpflink's low-level calls",
        "size": "stripped libbpflink.so smaller than libbpf.so.1.7.0",
        "flat": "enumeration instructions per link flat from N = 10 to 10 000 (max/min)",
    }
    w("| target | function | met | figure |\n|---|---|---|---|")
    for kind, what, ok, fig in data["summary"]["checks"]:
        if kind in ("ir_vs_libbpf", "ir_vs_raw", "size", "flat"):
            figure = f"{fig:.3f}x"
        else:
            figure = f"{fig} heap calls"
        fn = f"`{SHOWN[what]}`" if what in SHOWN else what
        w(f"| {names[kind]} | {fn} | {'yes' if ok else '**no**'} | {figure} |")
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

    w("### Instructions per call, every function\n")
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
      "bpflink needs only libc. Instructions: the same, counted by callgrind.\n")
    w("| implementation | load + first call, median µs | instructions | heap calls in first calls | stripped size | file size |")
    w("|---|---|---|---|---|---|")
    for impl in IMPLS:
        size = f"{sz[impl]['stripped']:,} B" if impl in sz else "-"
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
    data["time"] = run_time(cfg)
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
    missed = [c for c in data["summary"]["checks"] if not c[2]]
    for kind, what, _ok, fig in missed:
        log(f"target missed: {kind} {what}: {fig}")
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
        have = {(op, k) for op in t for k in t[op]
                if all(len(t[op][k][i]) == cfg["rounds"] and min(t[op][k][i]) > 0 for i in IMPLS)}
        check(want <= have, f"wall time of every operation and N, all three implementations "
              f"(missing: {sorted(want - have)})")
        c = data["count"]
        good = all(fn in c and all(len(v) == 3 and min(v.values()) > 0 for v in c[fn].values())
                   for fn in FUNCS)
        check(good, "callgrind: instructions per call of every function, all three implementations")
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
            print(f"# target {kind} {what}: {'met' if ok else 'missed'} ({fig:.3f})"
                  if isinstance(fig, float) else
                  f"# target {kind} {what}: {'met' if ok else 'missed'} ({fig})")
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
