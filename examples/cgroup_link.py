#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""bpflink demo in Python: the same life of a cgroup link as
examples/cgroup_link.c, through the ``bpflink`` package (python/).

It loads two tiny cgroup_skb programs, attaches the first to a new child
cgroup, pins the link on a private bpffs, lets go of it, reopens it from the
pin, swaps in the second program, finds it among all links of the system,
detaches it, unpins it and closes it. Everything it creates is removed at
the end, also when a step fails.

Run it as root: ``make demo`` does, with BPFLINK_LIBRARY pointing at the
library it just built.
"""

from __future__ import annotations

import ctypes
import os
import re
import subprocess
import sys
import tempfile

import bpflink

BPF_PROG_LOAD = 5
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_PROG_TYPE_CGROUP_SKB = 8
SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def load_prog(verdict: int) -> int:
    """Loads "r0 = verdict; exit" as a cgroup_skb program; returns its fd."""
    insns = (ctypes.c_uint64 * 2)(
        0xB7 | (verdict & 0xFFFFFFFF) << 32,  # BPF_ALU64 | BPF_MOV | BPF_K, r0
        0x95,  # BPF_JMP | BPF_EXIT
    )
    license = ctypes.create_string_buffer(b"GPL")
    attr = (ctypes.c_uint64 * 16)()
    attr[0] = BPF_PROG_TYPE_CGROUP_SKB | 2 << 32  # prog_type, insn_cnt
    attr[1] = ctypes.addressof(insns)
    attr[2] = ctypes.addressof(license)
    attr[8] = bpflink.BPF_CGROUP_INET_INGRESS << 32  # expected_attach_type
    fd = _libc.syscall(SYS_BPF, BPF_PROG_LOAD, attr, ctypes.sizeof(attr))
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"BPF_PROG_LOAD: {os.strerror(err)}")
    return fd


def cgroup2_mount() -> str | None:
    """Where cgroup2 is mounted: the first line of /proc/self/mountinfo
    whose file-system type (the first field after " - ") is cgroup2; the
    mount point is its fifth field, with octal escapes such as \\040 (a
    space) undone. None when there is no such line."""
    with open("/proc/self/mountinfo", "rb") as f:
        for line in f:
            fields, sep, rest = line.rstrip(b"\n").partition(b" - ")
            if sep and rest.split(b" ", 1)[0] == b"cgroup2":
                point = fields.split(b" ")[4]
                return os.fsdecode(re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), point))
    return None


def prog_id(fd: int) -> int:
    """The kernel's id of a program fd."""
    info = (ctypes.c_uint32 * 64)()
    attr = (ctypes.c_uint64 * 2)(fd | ctypes.sizeof(info) << 32, ctypes.addressof(info))
    if _libc.syscall(SYS_BPF, BPF_OBJ_GET_INFO_BY_FD, attr, ctypes.sizeof(attr)):
        return 0
    return info[1]  # struct bpf_prog_info: type, id, ...


def show(link: bpflink.Link) -> None:
    info = link.info
    state = "" if info.cgroup_id else " (detached)"
    print(f"      link {info.id}: type {info.type_name}, program {info.prog_id}, "
          f"cgroup {info.cgroup_id}{state}")


def main() -> int:
    if os.geteuid() != 0:
        print("This demo loads BPF programs, attaches them to a new cgroup and mounts a\n"
              "bpffs: it needs root (CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN). Run it as root,\n"
              "for example: sudo make demo", file=sys.stderr)
        return 1
    cgroup2 = cgroup2_mount()
    if cgroup2 is None:
        print("This demo attaches to a child cgroup, but no cgroup2 file system is mounted\n"
              "(none in /proc/self/mountinfo).", file=sys.stderr)
        return 1
    cg_path = os.path.join(cgroup2, f"bpflink-demo-py-{os.getpid()}")
    fs_dir = tempfile.mkdtemp(prefix="bpflink-demo-py-")
    mounted = False
    progs: list[int] = []
    link = None
    try:
        print("1. Load two tiny cgroup_skb programs: one lets packets in, one drops them.")
        progs = [load_prog(1), load_prog(0)]
        print(f"      programs {prog_id(progs[0])} (allow) and {prog_id(progs[1])} (drop)")

        print(f"2. Make a child cgroup, {cg_path}.")
        os.mkdir(cg_path)

        print("3. Attach the first program to its ingress hook (bpflink.link_create).")
        link = bpflink.link_create(progs[0], cg_path, bpflink.BPF_CGROUP_INET_INGRESS)
        show(link)
        my_id = link.id

        print("4. Mount a private bpffs and pin the link there (Link.pin).")
        subprocess.run(["mount", "-t", "bpf", "bpf", fs_dir], check=True)
        mounted = True
        pin_path = os.path.join(fs_dir, "demo", "link")
        link.pin(pin_path)
        print(f"      pinned at {link.pin_path}")

        print("5. Let go of the link object (Link.close): the pin keeps the link.")
        link.close()

        print("6. Reopen it from the pin (Link.open).")
        link = bpflink.Link.open(pin_path)
        show(link)

        print("7. Swap in the second program, only if the first is still attached\n"
              "   (Link.update with replace=).")
        link.update(progs[1], replace=progs[0])
        show(link)

        print("8. List every link of the system (bpflink.links()).")
        for info in bpflink.links():
            mark = "->" if info.id == my_id else "  "
            print(f"      {mark} link {info.id}: {info.type_name}, program {info.prog_id}")

        print("9. Detach it from the cgroup (Link.detach): the program stops running.")
        link.detach()
        show(link)

        print("10. Remove the pin (Link.unpin) and close the link.")
        link.unpin()
        ok = True
    except OSError as e:
        print(f"      failed: {e}")
        ok = False
    finally:
        if link is not None:
            link.close()
        if mounted:
            subprocess.run(["umount", fs_dir], check=False)
        os.rmdir(fs_dir)
        if os.path.isdir(cg_path):
            os.rmdir(cg_path)
        for fd in progs:
            os.close(fd)
    print("Done: everything the demo made has been removed." if ok
          else "The demo failed; everything it made has been removed.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
