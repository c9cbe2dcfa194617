#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The Python part of `make bench`: what the ``bpflink`` package costs per
call on top of the plain ctypes call of the same C function.

Three variants of each operation run in interleaved rounds (the order
rotating from round to round), against the same libbpflink.so.1
($BPFLINK_LIBRARY):

  ctypes     the C function object itself (``bpflink.raw.lib().f``), called
             with prepared ctypes arguments: the floor for any binding
  raw        ``bpflink.raw.f``: the C-shaped layer (argument conversion,
             errors raised as OSError)
  pythonic   ``bpflink.link_ids()``, ``bpflink.links()``, ``Link.update()``

Operations: next_id (one enumeration step), list (one step of listing
links: next id, open by id, query, close; the pythonic variant, links(),
also decodes the answer into a LinkInfo), update (BPF_LINK_UPDATE on a
cgroup link). Enumeration walks every link of the system (link_ids()
starts at 0), so the per-call figure divides by the calls (links) each
pass made.

It makes its own links (cgroup_skb programs on two child cgroups of the
cgroup2 mount, removed at the end, also on failure) and prints
one JSON object: {"ns": {op: {variant: [per-round ns per call]}}, ...}.

    py_bench.py [--links N] [--rounds R] [--scale PERCENT]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import signal
import sys
import time

import bpflink
from bpflink import raw

SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_PROG_LOAD = 5
BPF_PROG_TYPE_CGROUP_SKB = 8


def cgroup2_root() -> str:
    """The cgroup2 mount, by the rule of every suite (docs/probes.md): the
    mount point (field 5, octal escapes undone) of the first line of
    /proc/self/mountinfo whose file-system type, the first field after
    " - ", is cgroup2."""
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields, sep, rest = line.partition(" - ")
            if sep and rest.split(" ", 1)[0] == "cgroup2":
                return re.sub(r"\\([0-3][0-7][0-7])", lambda m: chr(int(m.group(1), 8)),
                              fields.split(" ")[4])
    raise RuntimeError("no cgroup2 mount in /proc/self/mountinfo")


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def load_prog(verdict: int, attach_type: int) -> int:
    """"r0 = verdict; exit" as a cgroup_skb program; returns its fd."""
    insns = (ctypes.c_uint64 * 2)(0xB7 | (verdict & 0xFFFFFFFF) << 32, 0x95)
    license = ctypes.create_string_buffer(b"GPL")
    attr = (ctypes.c_uint64 * 16)()
    attr[0] = BPF_PROG_TYPE_CGROUP_SKB | 2 << 32
    attr[1] = ctypes.addressof(insns)
    attr[2] = ctypes.addressof(license)
    attr[8] = attach_type << 32
    fd = _libc.syscall(SYS_BPF, BPF_PROG_LOAD, attr, ctypes.sizeof(attr))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"BPF_PROG_LOAD: {os.strerror(err)}")
    return fd


class Fixture:
    """Programs, child cgroups and `n` links; close() removes everything."""

    def __init__(self, n: int) -> None:
        self.fds: list[int] = []
        self.dirs: list[str] = []
        self.link_fds: list[int] = []
        self.ids: list[int] = []
        try:
            self._make(n)
        except BaseException:
            self.close()
            raise

    def _make(self, n: int) -> None:
        types = (bpflink.BPF_CGROUP_INET_INGRESS, bpflink.BPF_CGROUP_INET_EGRESS)
        progs = {t: load_prog(1, t) for t in types}
        self.fds += progs.values()
        self.prog_a = progs[types[1]]
        self.prog_b = load_prog(0, types[1])
        self.fds.append(self.prog_b)
        per_cgroup = 64 * len(types)
        while len(self.link_fds) < n:
            path = f"{cgroup2_root()}/bpflink-test-pybench-{os.getpid()}-{len(self.dirs)}"
            os.mkdir(path)
            self.dirs.append(path)
            cg = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self.fds.append(cg)
            for i in range(min(per_cgroup, n - len(self.link_fds))):
                fd = raw.bpf_link_create(progs[types[i % 2]], cg, types[i % 2])
                self.link_fds.append(fd)
                self.ids.append(bpflink.link_info_from_fd(fd).id)
        # The link that update() swaps programs on (its own, egress).
        cg = self.fds[-1]
        self.update_fd = raw.bpf_link_create(self.prog_a, cg, types[1])
        self.link_fds.append(self.update_fd)
        self.update_link = bpflink.Link.from_fd(self.update_fd, dup=True)

    def close(self) -> None:
        link = getattr(self, "update_link", None)
        if link is not None:
            link.close()
        for fd in self.link_fds + self.fds:
            os.close(fd)
        self.link_fds, self.fds = [], []
        for path in reversed(self.dirs):
            try:
                os.rmdir(path)
            except OSError as e:
                print(f"py_bench: rmdir {path}: {e}", file=sys.stderr)
        self.dirs = []


# --- the variants -------------------------------------------------------------
# Each returns the number of calls (or links) it made.


def next_id_ctypes(fx: Fixture, reps: int) -> int:
    f = raw.lib().bpf_link_get_next_id
    out = ctypes.c_uint32()
    ref = ctypes.byref(out)
    calls = 0
    for _ in range(reps):
        cur = 0
        while True:
            calls += 1
            if f(cur, ref):
                break
            cur = out.value
    return calls


def next_id_raw(fx: Fixture, reps: int) -> int:
    calls = 0
    for _ in range(reps):
        cur = 0
        while True:
            calls += 1
            try:
                cur = raw.bpf_link_get_next_id(cur)
            except FileNotFoundError:
                break
    return calls


def next_id_pythonic(fx: Fixture, reps: int) -> int:
    calls = 0
    for _ in range(reps):
        for _id in bpflink.link_ids():
            calls += 1
        calls += 1  # the call that ended the iteration
    return calls


def list_ctypes(fx: Fixture, reps: int) -> int:
    lib = raw.lib()
    next_id, fd_by_id, get_info = (lib.bpf_link_get_next_id, lib.bpf_link_get_fd_by_id,
                                   lib.bpf_link_get_info_by_fd)
    out = ctypes.c_uint32()
    oref = ctypes.byref(out)
    info = raw.bpf_link_info()
    addr = ctypes.addressof(info)
    length = ctypes.c_uint32()
    lref = ctypes.byref(length)
    size = ctypes.sizeof(info)
    close = os.close
    links = 0
    for _ in range(reps):
        cur = 0
        while not next_id(cur, oref):
            cur = out.value
            fd = fd_by_id(cur)
            if fd < 0:
                continue
            ctypes.memset(addr, 0, size)
            length.value = size
            get_info(fd, addr, lref)
            close(fd)
            links += 1
    return links


def list_raw(fx: Fixture, reps: int) -> int:
    links = 0
    for _ in range(reps):
        cur = 0
        while True:
            try:
                cur = raw.bpf_link_get_next_id(cur)
            except FileNotFoundError:
                break
            try:
                fd = raw.bpf_link_get_fd_by_id(cur)
            except FileNotFoundError:
                continue
            info = raw.bpf_link_info()
            raw.bpf_link_get_info_by_fd(fd, info)
            os.close(fd)
            links += 1
    return links


def list_pythonic(fx: Fixture, reps: int) -> int:
    links = 0
    for _ in range(reps):
        for _info in bpflink.links():
            links += 1
    return links


def update_ctypes(fx: Fixture, reps: int) -> int:
    f = raw.lib().bpf_link_update
    fd, a, b = fx.update_fd, fx.prog_a, fx.prog_b
    for _ in range(reps):
        f(fd, b, None)
        f(fd, a, None)
    return 2 * reps


def update_raw(fx: Fixture, reps: int) -> int:
    fd, a, b = fx.update_fd, fx.prog_a, fx.prog_b
    for _ in range(reps):
        raw.bpf_link_update(fd, b)
        raw.bpf_link_update(fd, a)
    return 2 * reps


def update_pythonic(fx: Fixture, reps: int) -> int:
    link, a, b = fx.update_link, fx.prog_a, fx.prog_b
    for _ in range(reps):
        link.update(b)
        link.update(a)
    return 2 * reps


OPS = {
    "next_id": (next_id_ctypes, next_id_raw, next_id_pythonic),
    "list": (list_ctypes, list_raw, list_pythonic),
    "update": (update_ctypes, update_raw, update_pythonic),
}
VARIANTS = ("ctypes", "raw", "pythonic")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--links", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("--scale", type=int, default=100, help="batch size, percent")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("py_bench: needs root", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: sys.exit(128 + s))
    fx = Fixture(args.links)
    try:
        nlinks = sum(1 for _ in bpflink.link_ids())
        # Repetitions for batches of a few milliseconds.
        reps = {
            "next_id": max(1, args.scale * 20 // max(nlinks, 1)),
            "list": max(1, args.scale * 5 // max(nlinks, 1)),
            "update": max(1, args.scale * 5),
        }
        ns: dict = {op: {v: [] for v in VARIANTS} for op in OPS}
        for r in range(-1, args.rounds):
            for op, fns in OPS.items():
                for j in range(len(VARIANTS)):
                    k = (j + max(r, 0)) % len(VARIANTS)
                    t0 = time.perf_counter_ns()
                    calls = fns[k](fx, reps[op])
                    t1 = time.perf_counter_ns()
                    if r >= 0:
                        ns[op][VARIANTS[k]].append((t1 - t0) / calls)
        out = {
            "ns": ns,
            "links_on_system": nlinks,
            "links_made": args.links,
            "rounds": args.rounds,
            "python": sys.version.split()[0],
            "library": raw.library_path(),
        }
        print(json.dumps(out))
    finally:
        fx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
