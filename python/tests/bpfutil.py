"""Test fixtures that never go through bpflink: the bpf(2) syscall and a few
others, called directly with ctypes, so that they can check the library.

* tiny programs: BPF_PROG_LOAD of ``r0 = retval; exit``, which the
  verifier accepts for cgroup_skb, xdp, sched_cls (tcx), netfilter,
  sk_lookup, flow_dissector, perf_event, kprobe (uprobe_multi),
  raw_tracepoint, sk_skb and (with a BTF id) iterator programs
* maps, ids of programs and maps, BPF_PROG_QUERY, BPF_RAW_TRACEPOINT_OPEN
* perf events (software, uprobe, tracepoint) with perf_event_open(2)
* vmlinux BTF lookup (type id of a FUNC by name)
* mount namespace, bpffs and tracefs mounts, network namespaces
* the cgroup2 mount, found in /proc/self/mountinfo
* a raw BPF_LINK_CREATE, for the capability probes (probes.py) and for
  comparing bpflink's errors with the kernel's own answer
* /proc/self/fd counting, bpftool (found on PATH)

x86_64 only (syscall numbers).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import socket
import struct
import functools
import re
import subprocess
import tempfile
import time
from ctypes import c_char, c_int, c_long, c_uint8, c_uint32, c_uint64, c_void_p
from typing import Iterator, Optional

SYS_BPF = 321
SYS_PERF_EVENT_OPEN = 298
SYS_SETNS = 308
SYS_UNSHARE = 272

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

# enum bpf_cmd
BPF_MAP_CREATE = 0
BPF_PROG_LOAD = 5
BPF_OBJ_PIN = 6
BPF_OBJ_GET_INFO_BY_FD = 15
BPF_PROG_QUERY = 16
BPF_RAW_TRACEPOINT_OPEN = 17
BPF_LINK_CREATE = 28

# enum bpf_prog_type
PROG_KPROBE = 2
PROG_SCHED_CLS = 3
PROG_TRACEPOINT = 5
PROG_XDP = 6
PROG_PERF_EVENT = 7
PROG_CGROUP_SKB = 8
PROG_SK_SKB = 14
PROG_RAW_TRACEPOINT = 17
PROG_FLOW_DISSECTOR = 22
PROG_TRACING = 26
PROG_SK_LOOKUP = 30
PROG_NETFILTER = 32

# enum bpf_map_type
MAP_ARRAY = 2
MAP_SOCKMAP = 15

# enum bpf_attach_type, the values the probes and raw calls use (written
# out here rather than taken from the package under test)
ATTACH_CGROUP_INET_INGRESS = 0
ATTACH_SK_SKB_STREAM_VERDICT = 5
ATTACH_FLOW_DISSECTOR = 17
ATTACH_TRACE_RAW_TP = 23
ATTACH_TRACE_ITER = 28
ATTACH_SK_LOOKUP = 36
ATTACH_XDP = 37
ATTACH_PERF_EVENT = 41
ATTACH_TRACE_KPROBE_MULTI = 42
ATTACH_NETFILTER = 45
ATTACH_TCX_INGRESS = 46
ATTACH_TRACE_UPROBE_MULTI = 48
ATTACH_NETKIT_PRIMARY = 54
F_BEFORE = 1 << 3  # BPF_F_BEFORE

BTF_KIND_FUNC = 12
PERF_TYPE_TRACEPOINT = 2
PERF_TYPE_SOFTWARE = 1
PERF_COUNT_SW_CPU_CLOCK = 0
PERF_FLAG_FD_CLOEXEC = 1 << 3


libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = c_long
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, c_void_p]
libc.umount2.argtypes = [ctypes.c_char_p, c_int]


def _oserror(what: str) -> OSError:
    e = ctypes.get_errno()
    return OSError(e, f"{what}: {os.strerror(e)}")


def syscall(nr: int, *args: int) -> int:
    """syscall(nr, args...) with every argument passed as a long; raises
    OSError on -1."""
    ret = libc.syscall(c_long(nr), *[c_long(a) for a in args])
    if ret < 0:
        raise _oserror(f"syscall {nr}")
    return ret


def bpf(cmd: int, attr: ctypes.Structure) -> int:
    """bpf(cmd, &attr, sizeof(attr)); raises OSError with the kernel's errno."""
    ret = libc.syscall(c_long(SYS_BPF), c_long(cmd), c_void_p(ctypes.addressof(attr)),
                       c_long(ctypes.sizeof(attr)))
    if ret < 0:
        raise _oserror(f"bpf({cmd})")
    return ret


# --- programs and maps ------------------------------------------------------------


class _ProgLoadAttr(ctypes.Structure):
    _fields_ = [
        ("prog_type", c_uint32), ("insn_cnt", c_uint32), ("insns", c_uint64), ("license", c_uint64),
        ("log_level", c_uint32), ("log_size", c_uint32), ("log_buf", c_uint64), ("kern_version", c_uint32),
        ("prog_flags", c_uint32), ("prog_name", c_char * 16), ("prog_ifindex", c_uint32),
        ("expected_attach_type", c_uint32), ("prog_btf_fd", c_uint32), ("func_info_rec_size", c_uint32),
        ("func_info", c_uint64), ("func_info_cnt", c_uint32), ("line_info_rec_size", c_uint32),
        ("line_info", c_uint64), ("line_info_cnt", c_uint32), ("attach_btf_id", c_uint32),
        ("attach_prog_fd", c_uint32), ("_pad", c_uint32),
    ]


def prog_load(prog_type: int, expected_attach_type: int = 0, retval: int = 1,
              attach_btf_id: int = 0, name: bytes = b"bpflink_py") -> int:
    """Loads ``r0 = retval; exit`` as a program of this type; returns its fd
    (close-on-exec). On failure the OSError message has the verifier log."""
    insns = (c_uint8 * 16)(
        0xB7, 0x00, 0, 0, *struct.pack("<i", retval),  # BPF_ALU64 | BPF_MOV | BPF_K, r0
        0x95, 0x00, 0, 0, 0, 0, 0, 0,                  # BPF_JMP | BPF_EXIT
    )
    license = ctypes.create_string_buffer(b"GPL")
    attr = _ProgLoadAttr(prog_type=prog_type, insn_cnt=2, insns=ctypes.addressof(insns),
                         license=ctypes.addressof(license), prog_name=name,
                         expected_attach_type=expected_attach_type, attach_btf_id=attach_btf_id)
    try:
        return bpf(BPF_PROG_LOAD, attr)
    except OSError as e:
        log = ctypes.create_string_buffer(16384)
        attr.log_level, attr.log_size, attr.log_buf = 1, len(log), ctypes.addressof(log)
        try:
            os.close(bpf(BPF_PROG_LOAD, attr))
        except OSError:
            pass
        raise OSError(e.errno, f"BPF_PROG_LOAD type {prog_type} eat {expected_attach_type}: "
                               f"{os.strerror(e.errno)}; log: {log.value.decode(errors='replace')}") from None


class _MapCreateAttr(ctypes.Structure):
    _fields_ = [("map_type", c_uint32), ("key_size", c_uint32), ("value_size", c_uint32),
                ("max_entries", c_uint32), ("map_flags", c_uint32), ("inner_map_fd", c_uint32),
                ("numa_node", c_uint32), ("map_name", c_char * 16)]


def map_create(map_type: int, key_size: int, value_size: int, max_entries: int) -> int:
    """BPF_MAP_CREATE; returns the map fd."""
    return bpf(BPF_MAP_CREATE, _MapCreateAttr(map_type=map_type, key_size=key_size, value_size=value_size,
                                              max_entries=max_entries, map_name=b"bpflink_py"))


class _InfoAttr(ctypes.Structure):
    _fields_ = [("bpf_fd", c_uint32), ("info_len", c_uint32), ("info", c_uint64)]


def obj_id(fd: int) -> int:
    """The id of a program, map or link (the first two u32 of every
    bpf_*_info are type and id)."""
    buf = (c_uint32 * 2)()
    bpf(BPF_OBJ_GET_INFO_BY_FD, _InfoAttr(bpf_fd=fd, info_len=8, info=ctypes.addressof(buf)))
    return buf[1]


def link_raw_info(fd: int) -> bytes:
    """The 64 bytes of struct bpf_link_info, straight from the kernel."""
    buf = (c_uint8 * 64)()
    bpf(BPF_OBJ_GET_INFO_BY_FD, _InfoAttr(bpf_fd=fd, info_len=64, info=ctypes.addressof(buf)))
    return bytes(buf)


class _QueryAttr(ctypes.Structure):
    _fields_ = [("target_fd", c_uint32), ("attach_type", c_uint32), ("query_flags", c_uint32),
                ("attach_flags", c_uint32), ("prog_ids", c_uint64), ("count", c_uint32), ("_pad", c_uint32),
                ("prog_attach_flags", c_uint64), ("link_ids", c_uint64), ("link_attach_flags", c_uint64),
                ("revision", c_uint64)]


def prog_query(target: int, attach_type: int) -> tuple[list[int], list[int], int]:
    """BPF_PROG_QUERY: (program ids, link ids, revision) in hook order."""
    progs, links = (c_uint32 * 64)(), (c_uint32 * 64)()
    attr = _QueryAttr(target_fd=target, attach_type=attach_type, prog_ids=ctypes.addressof(progs),
                      link_ids=ctypes.addressof(links), count=64)
    bpf(BPF_PROG_QUERY, attr)
    return list(progs[:attr.count]), list(links[:attr.count]), attr.revision


class _PinAttr(ctypes.Structure):
    _fields_ = [("pathname", c_uint64), ("bpf_fd", c_uint32), ("file_flags", c_uint32)]


def obj_pin(fd: int, path: str) -> None:
    """BPF_OBJ_PIN of any BPF object (a program, a map) at ``path``."""
    buf = ctypes.create_string_buffer(os.fsencode(path))
    bpf(BPF_OBJ_PIN, _PinAttr(pathname=ctypes.addressof(buf), bpf_fd=fd))


class _LinkCreateAttr(ctypes.Structure):
    _fields_ = [("prog_fd", c_uint32), ("target", c_uint32), ("attach_type", c_uint32), ("flags", c_uint32),
                ("tail", c_uint8 * 48)]


def link_create(prog_fd: int, target: int, attach_type: int, flags: int = 0, tail: bytes = b"") -> int:
    """A raw BPF_LINK_CREATE: ``tail`` is the per-kind part of the attr (from
    offset 16; any addresses in it must stay valid for the call). Returns the
    link fd; raises OSError with the kernel's errno."""
    attr = _LinkCreateAttr(prog_fd=prog_fd, target=target, attach_type=attach_type, flags=flags)
    ctypes.memmove(attr.tail, tail, len(tail))
    return bpf(BPF_LINK_CREATE, attr)


def kernel_errno(fn, *args) -> int:
    """Calls ``fn(*args)`` (a raw call that returns an fd); 0 when it
    succeeds (the fd is closed again), else the errno it raised."""
    try:
        os.close(fn(*args))
    except OSError as e:
        return e.errno
    return 0


class _RawTpAttr(ctypes.Structure):
    _fields_ = [("name", c_uint64), ("prog_fd", c_uint32), ("_pad", c_uint32), ("cookie", c_uint64)]


def raw_tracepoint_open(prog_fd: int, name: bytes, cookie: int = 0) -> int:
    """BPF_RAW_TRACEPOINT_OPEN: a raw_tracepoint link fd made without bpflink."""
    buf = ctypes.create_string_buffer(name)
    return bpf(BPF_RAW_TRACEPOINT_OPEN, _RawTpAttr(name=ctypes.addressof(buf), prog_fd=prog_fd, cookie=cookie))


# --- vmlinux BTF ---------------------------------------------------------------------


def _btf_extra(kind: int, vlen: int) -> int:
    """Bytes that follow a struct btf_type of this kind (see <linux/btf.h>)."""
    per_kind = {1: 4, 3: 12, 14: 4, 17: 4}                      # INT, ARRAY, VAR, DECL_TAG
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}    # STRUCT, UNION, ENUM, FUNC_PROTO, DATASEC, ENUM64
    if kind in per_kind:
        return per_kind[kind]
    if kind in per_member:
        return per_member[kind] * vlen
    if kind in (2, 7, 8, 9, 10, 11, 12, 16, 18):                # no extra bytes
        return 0
    raise ValueError(f"unknown BTF kind {kind}")


_btf_cache: dict[tuple[str, int], int] = {}


def btf_type_id(name: str, kind: int = BTF_KIND_FUNC) -> int:
    """The id of the vmlinux BTF type ``name`` of ``kind``; raises KeyError."""
    if (name, kind) in _btf_cache:
        return _btf_cache[(name, kind)]
    with open("/sys/kernel/btf/vmlinux", "rb") as f:
        data = f.read()
    magic, _ver, _flags, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from("<HBBIIIII", data)
    assert magic == 0xEB9F, "not BTF"
    types = hdr_len + type_off
    strs = hdr_len + str_off
    want = name.encode()
    off, tid = 0, 1
    while off + 12 <= type_len:
        name_off, info, _size = struct.unpack_from("<III", data, types + off)
        k, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if k == kind:
            end = data.index(b"\0", strs + name_off)
            if data[strs + name_off:end] == want:
                _btf_cache[(name, kind)] = tid
                return tid
        off += 12 + _btf_extra(k, vlen)
        tid += 1
    raise KeyError(name)


# --- perf events ---------------------------------------------------------------------


class _PerfAttr(ctypes.Structure):
    _fields_ = [("type", c_uint32), ("size", c_uint32), ("config", c_uint64), ("sample_period", c_uint64),
                ("sample_type", c_uint64), ("read_format", c_uint64), ("flags", c_uint64),
                ("wakeup_events", c_uint32), ("bp_type", c_uint32), ("config1", c_uint64),
                ("config2", c_uint64), ("_rest", c_uint8 * 56)]


def perf_event_open(attr: _PerfAttr, pid: int, cpu: int) -> int:
    attr.size = ctypes.sizeof(attr)
    ret = libc.syscall(c_long(SYS_PERF_EVENT_OPEN), c_void_p(ctypes.addressof(attr)), c_long(pid),
                       c_long(cpu), c_long(-1), c_long(PERF_FLAG_FD_CLOEXEC))
    if ret < 0:
        raise _oserror("perf_event_open")
    return ret


def perf_event_sw(config: int = PERF_COUNT_SW_CPU_CLOCK) -> int:
    """A disabled software perf event of this process."""
    return perf_event_open(_PerfAttr(type=PERF_TYPE_SOFTWARE, config=config, sample_period=10**9, flags=1), 0, -1)


def perf_event_uprobe(path: str, offset: int, retprobe: bool = False) -> int:
    """A uprobe perf event (the uprobe PMU) at ``path``+``offset``, on cpu 0."""
    with open("/sys/bus/event_source/devices/uprobe/type") as f:
        pmu = int(f.read())
    buf = ctypes.create_string_buffer(os.fsencode(path))
    attr = _PerfAttr(type=pmu, config=1 if retprobe else 0, config1=ctypes.addressof(buf), config2=offset,
                     sample_period=1, flags=1)
    return perf_event_open(attr, -1, 0)


def perf_event_tracepoint(tp_id: int) -> int:
    """A tracepoint perf event (id from tracefs events/<sys>/<name>/id), on cpu 0."""
    return perf_event_open(_PerfAttr(type=PERF_TYPE_TRACEPOINT, config=tp_id, sample_period=1, flags=1), -1, 0)


# --- ELF: a probe target that nothing runs ----------------------------------------------


def elf_entry_offset(path: str) -> int:
    """The file offset of the entry point of a 64-bit little-endian ELF."""
    with open(path, "rb") as f:
        data = f.read(65536)
    assert data[:4] == b"\x7fELF" and data[4] == 2, f"{path}: not ELF64"
    entry, phoff = struct.unpack_from("<QQ", data, 24)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= entry < p_vaddr + p_filesz:
            return entry - p_vaddr + p_offset
    raise ValueError(f"{path}: entry point outside every PT_LOAD")


def probe_target(directory: str) -> tuple[str, int]:
    """A private copy of /bin/true in ``directory`` (never run, so probes on
    it never fire anywhere) and the file offset of its entry point."""
    path = os.path.join(directory, "probe-target")
    shutil.copy(shutil.which("true") or "/bin/true", path)
    return path, elf_entry_offset(path)


# --- namespaces and mounts -------------------------------------------------------------


def unshare(flags: int) -> None:
    if libc.unshare(c_int(flags)) != 0:
        raise _oserror("unshare")


def setns(fd: int, nstype: int) -> None:
    if libc.setns(c_int(fd), c_int(nstype)) != 0:
        raise _oserror("setns")


_own_mount_ns = False


def private_mount_ns() -> None:
    """Moves this process into a mount namespace of its own (once), with no
    propagation back: mounts made here cannot outlive the process."""
    global _own_mount_ns
    if not _own_mount_ns:
        unshare(CLONE_NEWNS)
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise _oserror("mount --make-rprivate /")
        _own_mount_ns = True


def mount(source: str, target: str, fstype: str) -> None:
    if libc.mount(source.encode(), os.fsencode(target), fstype.encode(), 0, None) != 0:
        raise _oserror(f"mount -t {fstype} {target}")


def umount(target: str) -> None:
    if libc.umount2(os.fsencode(target), 0) != 0 and libc.umount2(os.fsencode(target), MNT_DETACH) != 0:
        raise _oserror(f"umount {target}")


@contextlib.contextmanager
def private_mount(fstype: str) -> Iterator[str]:
    """A fresh ``fstype`` file system mounted on a new temporary directory,
    in this process's own mount namespace; unmounted and removed after."""
    private_mount_ns()
    directory = tempfile.mkdtemp(prefix=f"bpflink-py-{fstype}-")
    try:
        mount(fstype, directory, fstype)
        try:
            yield directory
        finally:
            umount(directory)
    finally:
        os.rmdir(directory)


def mount_point_in(mountinfo: bytes, fstype: str) -> Optional[str]:
    """In the text of a mountinfo file, the mount point of the first line
    whose file-system type (the first field after " - ") is ``fstype``:
    field 5, with the kernel's octal escapes (\\040 for a space) undone."""
    for line in mountinfo.split(b"\n"):
        fields, sep, rest = line.partition(b" - ")
        if sep and rest.split(b" ", 1)[0] == fstype.encode():
            point = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8) & 0xFF]), fields.split(b" ")[4])
            return os.fsdecode(point)
    return None


def mount_point(fstype: str) -> Optional[str]:
    """Where the first file system of type ``fstype`` is mounted, per
    /proc/self/mountinfo."""
    with open("/proc/self/mountinfo", "rb") as f:
        return mount_point_in(f.read(), fstype)


@functools.lru_cache(maxsize=None)
def cgroup2_root() -> Optional[str]:
    """The cgroup2 mount, found once (None when there is none)."""
    return mount_point("cgroup2")


def rmdir_when_free(path: str) -> None:
    """Removes a cgroup directory, waiting (up to about a second) while it
    is busy: links closed just now may hold it for a moment."""
    for _ in range(100):
        try:
            os.rmdir(path)
            return
        except OSError as e:
            if e.errno != errno.EBUSY:
                raise
            time.sleep(0.01)
    os.rmdir(path)


def mounted_at(path: str) -> bool:
    """Whether something is mounted on ``path`` (per /proc/self/mounts)."""
    real = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == real for line in f)


SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def if_up(name: str) -> None:
    """Sets the interface up (ioctl SIOCSIFFLAGS), like `ip link set NAME up`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifr = struct.pack("16sH14x", name.encode(), 0)
        flags = struct.unpack_from("16sH", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, ifr))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", name.encode(), flags | IFF_UP))


def netns_ino(path: str = "/proc/self/ns/net") -> int:
    return os.stat(path).st_ino


# --- fds and bpftool ---------------------------------------------------------------------


def fd_count() -> int:
    """Open fds of this process."""
    return len(os.listdir("/proc/self/fd")) - 1  # the listing's own fd


def fd_cloexec(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)


def bpftool_path() -> Optional[str]:
    """The bpftool on PATH, if any."""
    return shutil.which("bpftool")


def bpftool_link(link_id: int) -> dict:
    """``bpftool -j link show id N`` as a dict."""
    out = subprocess.run([bpftool_path(), "-j", "link", "show", "id", str(link_id)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def bpftool_link_ids() -> set[int]:
    """The ids ``bpftool link show`` lists. bpftool stops at the first link
    it cannot open (EAGAIN while another process is creating one), so a
    failed listing is asked for again."""
    for _ in range(20):
        r = subprocess.run([bpftool_path(), "-j", "link", "show"], capture_output=True, text=True)
        try:
            entries = json.loads(r.stdout or "[]")
        except ValueError:
            entries = None
        if r.returncode == 0 and isinstance(entries, list):
            return {entry["id"] for entry in entries}
        time.sleep(0.05)
    raise RuntimeError(f"bpftool link show keeps failing: {r.stdout} {r.stderr}")


__all__ = [n for n in dir() if not n.startswith("_")] + ["errno"]
