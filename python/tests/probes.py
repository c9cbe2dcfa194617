"""Capability probes (docs/probes.md): what this machine lets the tests do,
found out with raw bpf(2), perf_event_open(2), /proc and sysfs (bpfutil),
never through bpflink. A probe does what a test needs from the kernel (load
the program, make the target, a raw BPF_LINK_CREATE) and closes everything
it made. Each runs once per process; its answer is cached.

* ``need(name, ...)`` (or ``@pytest.mark.needs(name, ...)``, see
  conftest.py) skips the test when a probe is refused, with the reason
  ``probe <name>: <ENAME> from <step> (<strerror>)``.
* ``kernel_answer(name)`` is, for a test that checks an error the kernel
  gives, what the raw call got on this machine: 0, or its errno.
* ``BPFLINK_TEST_REFUSE=name[,name...]`` makes the named probes answer
  EPERM without asking the kernel.
* When ``BPFLINK_PROBE_LOG`` names a file, the first answer of each probe
  is appended to it: ``suite<TAB>name<TAB>ok|ENAME<TAB>step<TAB>real|simulated``
  (the step of a probe that succeeded is ``-``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import socket
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

import pytest

import bpfutil as u

SUITE = "python"
REFUSE_ENV = "BPFLINK_TEST_REFUSE"
LOG_ENV = "BPFLINK_PROBE_LOG"

# The functions the kprobe_multi probe and test attach to.
KPROBE_MULTI_SYMS = ("vfs_read", "vfs_write")

_libc = ctypes.CDLL(None, use_errno=True)
_strerrorname = getattr(_libc, "strerrorname_np", None)
if _strerrorname is not None:
    _strerrorname.restype = ctypes.c_char_p
    _strerrorname.argtypes = [ctypes.c_int]


def errno_name(e: int) -> str:
    """The symbolic name of an errno value, as glibc spells it (EOPNOTSUPP,
    not Python's ENOTSUP); ENOTSUPP (524) is the kernel's own."""
    name = _strerrorname(e) if _strerrorname is not None else None
    if name:
        return name.decode()
    if e == 524:
        return "ENOTSUPP"
    return {errno.EOPNOTSUPP: "EOPNOTSUPP", errno.EAGAIN: "EAGAIN",
            errno.EDEADLK: "EDEADLK"}.get(e) or errno.errorcode.get(e, f"E{e}")


@dataclass(frozen=True)
class Refusal:
    """A failed probe: its name, the errno, the step that got it."""

    name: str
    errno: int
    step: str
    simulated: bool = False

    @property
    def ename(self) -> str:
        return errno_name(self.errno)

    @property
    def line(self) -> str:
        """``probe <name>: <ENAME> from <step> (<strerror>)``; a simulated
        refusal names the variable instead of the kernel's message."""
        detail = REFUSE_ENV if self.simulated else os.strerror(self.errno)
        return f"probe {self.name}: {self.ename} from {self.step} ({detail})"


class Refused(Exception):
    """Raised inside a probe: ``Refused(errno, step)``."""

    def __init__(self, err: int, step: str):
        super().__init__(err, step)
        self.errno, self.step = err, step


def at(step: str, fn: Callable, *args):
    """``fn(*args)``, an OSError turned into a refusal at ``step``."""
    try:
        return fn(*args)
    except OSError as e:
        raise Refused(e.errno, step) from None


_PROBES: dict[str, Callable[[], None]] = {}
_cache: dict[str, Optional[Refusal]] = {}
refused: dict[str, Refusal] = {}  # the refusals that skipped a test


def probe_fn(fn: Callable[[], None]) -> Callable[[], None]:
    """Adds a probe to the table under the function's name."""
    _PROBES[fn.__name__] = fn
    return fn


def register(name: str, fn: Callable[[], None]) -> None:
    """Adds a probe under ``name`` (for the gate's self-test)."""
    _PROBES[name] = fn


def _log(name: str, r: Optional[Refusal]) -> None:
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    if r is None:
        line = f"{SUITE}\t{name}\tok\t-\treal\n"
    else:
        line = f"{SUITE}\t{name}\t{r.ename}\t{r.step}\t{'simulated' if r.simulated else 'real'}\n"
    # One write of a short line with O_APPEND: concurrent writers do not mix.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def probe(name: str) -> Optional[Refusal]:
    """The probe's answer: None when it succeeded, else the refusal. Runs
    the probe on the first question only. An unknown name is a KeyError."""
    if name in _cache:
        return _cache[name]
    refuse = os.environ.get(REFUSE_ENV, "")
    if name in (n.strip() for n in refuse.split(",")):
        answer: Optional[Refusal] = Refusal(name, errno.EPERM, "simulated refusal", simulated=True)
    else:
        fn = _PROBES[name]
        try:
            fn()
            answer = None
        except Refused as e:
            answer = Refusal(name, e.errno, e.step)
    _log(name, answer)
    _cache[name] = answer
    return answer


def need(*names: str) -> None:
    """Skips the running test, with the probe's line, when one of the
    probes of ``names`` is refused."""
    for name in names:
        r = probe(name)
        if r is not None:
            refused[name] = r
            pytest.skip(r.line)


def kernel_answer(name: str) -> int:
    """For a test that compares an error with the kernel's: 0 when the probe
    ``name`` succeeded, else the errno its BPF_LINK_CREATE got. A probe
    refused before that step (or by simulation) says nothing about the
    link: the test is skipped with its line."""
    r = probe(name)
    if r is None:
        return 0
    if r.simulated or r.step != "BPF_LINK_CREATE":
        need(name)
    return r.errno


# --- steps ----------------------------------------------------------------------------


class _Scope(contextlib.ExitStack):
    """Closes the fds handed to ``fd()`` (and anything else entered)."""

    def fd(self, fd: int) -> int:
        self.callback(os.close, fd)
        return fd

    def load(self, prog_type: int, expected_attach_type: int = 0, btf_id: int = 0) -> int:
        return self.fd(at("BPF_PROG_LOAD", u.prog_load, prog_type, expected_attach_type, 0, btf_id))

    def link(self, prog: int, target: int, attach_type: int, tail: bytes = b"") -> None:
        self.fd(at("BPF_LINK_CREATE", u.link_create, prog, target, attach_type, 0, tail))


@contextlib.contextmanager
def _fresh_netns() -> Iterator[None]:
    """A new network namespace for this thread, left again at the end."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        at("unshare", u.unshare, u.CLONE_NEWNET)
        try:
            yield
        finally:
            u.setns(home, u.CLONE_NEWNET)
    finally:
        os.close(home)


@contextlib.contextmanager
def _private_fs(fstype: str) -> Iterator[str]:
    """A fresh ``fstype`` mounted privately for the probe (bpfutil)."""
    with contextlib.ExitStack() as stack:
        yield at(f"mount -t {fstype}", stack.enter_context, u.private_mount(fstype))


@contextlib.contextmanager
def _tracefs() -> Iterator[str]:
    """A tracefs directory: the one mounted already, or a private one."""
    mounted = u.mount_point("tracefs")
    if mounted:
        yield mounted
        return
    with _private_fs("tracefs") as directory:
        yield directory


def _cgroup2() -> str:
    root = u.cgroup2_root()
    if root is None:
        raise Refused(errno.ENOENT, "cgroup2 mount")
    return root


@contextlib.contextmanager
def _child_cgroup() -> Iterator[int]:
    """An fd of a new child cgroup, removed at the end."""
    path = os.path.join(_cgroup2(), f"bpflink-probe-py-{os.getpid()}")
    with contextlib.suppress(OSError):
        os.rmdir(path)  # left by a killed run with the same pid
    at("mkdir", os.mkdir, path)
    try:
        fd = at("open", os.open, path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            yield fd
        finally:
            os.close(fd)
    finally:
        u.rmdir_when_free(path)


def _iter(s: _Scope, target: str, info: bytes = b"", make_target: Optional[Callable[[], bytes]] = None) -> None:
    """Loads the iterator program of ``target``, makes the target
    (``make_target`` returns the bpf_iter_link_info), links it."""
    try:
        btf = u.btf_type_id(f"bpf_iter_{target}")
    except (KeyError, OSError):
        raise Refused(errno.ENOENT, "vmlinux BTF") from None
    prog = s.load(u.PROG_TRACING, u.ATTACH_TRACE_ITER, btf)
    if make_target is not None:
        info = make_target()
    tail = b""
    if info:
        buf = ctypes.create_string_buffer(info, 16)
        tail = struct.pack("=QI", ctypes.addressof(buf), 16)
    s.link(prog, 0, u.ATTACH_TRACE_ITER, tail)


# --- the probes -----------------------------------------------------------------------


@probe_fn
def link_cgroup() -> None:
    """A cgroup_skb program is linked to a child cgroup's ingress."""
    with _Scope() as s:
        prog = s.load(u.PROG_CGROUP_SKB, u.ATTACH_CGROUP_INET_INGRESS)
        cg = s.enter_context(_child_cgroup())
        s.link(prog, cg, u.ATTACH_CGROUP_INET_INGRESS)


def _in_fresh_netns(prog_type: int, attach_type: int, target: Callable[[_Scope], int], tail: bytes = b"") -> None:
    """Loads the program and links it to ``target(scope)``, all in a fresh
    network namespace."""
    with _fresh_netns(), _Scope() as s:
        prog = s.load(prog_type, attach_type)
        s.link(prog, target(s), attach_type, tail)


def _lo(s: _Scope) -> int:
    return at("if_nametoindex(lo)", socket.if_nametoindex, "lo")


def _netns(s: _Scope) -> int:
    return s.fd(at("open netns", os.open, "/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC))


# Links made in a fresh network namespace: name, program type, attach type,
# target, per-kind part of the attr.
for _name, _prog_type, _attach_type, _target, _tail in (
    ("link_xdp", u.PROG_XDP, u.ATTACH_XDP, _lo, b""),
    ("link_tcx", u.PROG_SCHED_CLS, u.ATTACH_TCX_INGRESS, _lo, b""),
    # pf NFPROTO_IPV4, hooknum NF_INET_LOCAL_IN, priority -100, flags 0
    ("link_netfilter", u.PROG_NETFILTER, u.ATTACH_NETFILTER, lambda s: 0, struct.pack("=IIiI", 2, 1, -100, 0)),
    ("link_sk_lookup", u.PROG_SK_LOOKUP, u.ATTACH_SK_LOOKUP, _netns, b""),
    ("link_flow_dissector", u.PROG_FLOW_DISSECTOR, u.ATTACH_FLOW_DISSECTOR, _netns, b""),
):
    register(_name, functools.partial(_in_fresh_netns, _prog_type, _attach_type, _target, _tail))


@probe_fn
def link_perf_event() -> None:
    """A perf_event program is linked to a software event of this process."""
    with _Scope() as s:
        prog = s.load(u.PROG_PERF_EVENT)
        ev = s.fd(at("perf_event_open", u.perf_event_sw))
        s.link(prog, ev, u.ATTACH_PERF_EVENT)


@probe_fn
def link_perf_event_uprobe() -> None:
    """A kprobe program is linked to a uprobe perf event on a private copy
    of /bin/true (which nothing runs)."""
    with _Scope() as s:
        prog = s.load(u.PROG_KPROBE)
        directory = s.enter_context(tempfile.TemporaryDirectory(prefix="bpflink-probe-"))
        path, offset = u.probe_target(directory)
        ev = s.fd(at("perf_event_open", u.perf_event_uprobe, path, offset))
        s.link(prog, ev, u.ATTACH_PERF_EVENT)


@probe_fn
def link_perf_event_tracepoint() -> None:
    """A tracepoint program is linked to the perf event of
    syscalls/sys_enter_getpid (its id from a tracefs)."""
    with _tracefs() as tracefs, _Scope() as s:
        prog = s.load(u.PROG_TRACEPOINT)
        with open(os.path.join(tracefs, "events", "syscalls", "sys_enter_getpid", "id")) as f:
            tp_id = int(f.read())
        ev = s.fd(at("perf_event_open", u.perf_event_tracepoint, tp_id))
        s.link(prog, ev, u.ATTACH_PERF_EVENT)


@probe_fn
def link_uprobe_multi() -> None:
    """A kprobe program is linked as uprobe_multi to a private copy of
    /bin/true, for every process."""
    with _Scope() as s:
        prog = s.load(u.PROG_KPROBE, u.ATTACH_TRACE_UPROBE_MULTI)
        directory = s.enter_context(tempfile.TemporaryDirectory(prefix="bpflink-probe-"))
        path, offset = u.probe_target(directory)
        cpath = ctypes.create_string_buffer(os.fsencode(path))
        offsets = (ctypes.c_uint64 * 1)(offset)
        # path, offsets, ref_ctr_offsets, cookies, cnt, flags, pid
        tail = struct.pack("=QQQQIII", ctypes.addressof(cpath), ctypes.addressof(offsets), 0, 0, 1, 0, 0)
        s.link(prog, 0, u.ATTACH_TRACE_UPROBE_MULTI, tail)


@probe_fn
def link_kprobe_multi() -> None:
    """A kprobe program is linked as kprobe_multi to KPROBE_MULTI_SYMS."""
    with _Scope() as s:
        prog = s.load(u.PROG_KPROBE, u.ATTACH_TRACE_KPROBE_MULTI)
        names = [ctypes.create_string_buffer(n.encode()) for n in KPROBE_MULTI_SYMS]
        syms = (ctypes.c_uint64 * len(names))(*(ctypes.addressof(n) for n in names))
        # flags, cnt, syms, addrs, cookies
        tail = struct.pack("=IIQQQ", 0, len(names), ctypes.addressof(syms), 0, 0)
        s.link(prog, 0, u.ATTACH_TRACE_KPROBE_MULTI, tail)


@probe_fn
def link_raw_tp() -> None:
    """A tracing (tp_btf) program for sys_enter is linked with
    BPF_LINK_CREATE and attach type BPF_TRACE_RAW_TP."""
    with _Scope() as s:
        try:
            btf = u.btf_type_id("btf_trace_sys_enter", 8)  # a TYPEDEF
        except (KeyError, OSError):
            raise Refused(errno.ENOENT, "vmlinux BTF") from None
        prog = s.load(u.PROG_TRACING, u.ATTACH_TRACE_RAW_TP, btf)
        s.link(prog, 0, u.ATTACH_TRACE_RAW_TP)


@probe_fn
def raw_tracepoint_open() -> None:
    """A raw_tracepoint program is attached to sys_enter with
    BPF_RAW_TRACEPOINT_OPEN."""
    with _Scope() as s:
        prog = s.load(u.PROG_RAW_TRACEPOINT)
        s.fd(at("BPF_RAW_TRACEPOINT_OPEN", u.raw_tracepoint_open, prog, b"sys_enter"))


@probe_fn
def link_sockmap() -> None:
    """An sk_skb stream verdict program is linked to a sockmap."""
    with _Scope() as s:
        prog = s.load(u.PROG_SK_SKB, u.ATTACH_SK_SKB_STREAM_VERDICT)
        m = s.fd(at("BPF_MAP_CREATE", u.map_create, u.MAP_SOCKMAP, 4, 4, 1))
        s.link(prog, m, u.ATTACH_SK_SKB_STREAM_VERDICT)


@probe_fn
def iter_bpf_map() -> None:
    """An iterator over all maps."""
    with _Scope() as s:
        _iter(s, "bpf_map")


@probe_fn
def iter_bpf_map_elem() -> None:
    """An iterator over the elements of an array map."""
    with _Scope() as s:
        def array_map() -> bytes:
            return struct.pack("=I", s.fd(at("BPF_MAP_CREATE", u.map_create, u.MAP_ARRAY, 4, 8, 4)))
        _iter(s, "bpf_map_elem", make_target=array_map)


@probe_fn
def iter_task() -> None:
    """An iterator over the tasks of this process."""
    with _Scope() as s:
        _iter(s, "task", struct.pack("=II", 0, os.getpid()))


@probe_fn
def iter_cgroup() -> None:
    """An iterator over the cgroup2 root alone (order self_only)."""
    with _Scope() as s:
        def root() -> bytes:
            fd = s.fd(at("open cgroup2 root", os.open, _cgroup2(), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
            return struct.pack("=II", 1, fd)  # BPF_CGROUP_ITER_SELF_ONLY, cgroup_fd
        _iter(s, "cgroup", make_target=root)


def _prog(prog_type: int, expected_attach_type: int) -> None:
    with _Scope() as s:
        s.load(prog_type, expected_attach_type)


# A program type loads (no link): name, program type, expected attach type.
# bpf_prog_load, a two-instruction cgroup_skb program, gates every kernel test.
for _name, _prog_type, _attach_type in (
    ("bpf_prog_load", u.PROG_CGROUP_SKB, u.ATTACH_CGROUP_INET_INGRESS),
    ("prog_xdp", u.PROG_XDP, 0),
    ("prog_sched_cls", u.PROG_SCHED_CLS, 0),
    ("prog_netfilter", u.PROG_NETFILTER, u.ATTACH_NETFILTER),
):
    register(_name, functools.partial(_prog, _prog_type, _attach_type))


def _enters(make: Callable[[], contextlib.AbstractContextManager]) -> None:
    with make():
        pass


# What a context manager of this module can set up:
#   cgroup2_mount  a cgroup2 mount is in mountinfo and a child cgroup can be made
#   tracefs_mount  tracefs is mounted, or can be mounted privately
#   bpffs_mount    a bpffs can be mounted privately
for _name, _make in (
    ("cgroup2_mount", _child_cgroup),
    ("tracefs_mount", _tracefs),
    ("bpffs_mount", functools.partial(_private_fs, "bpf")),
):
    register(_name, functools.partial(_enters, _make))


@probe_fn
def bpftool() -> None:
    """A bpftool is on PATH and ``bpftool version`` succeeds."""
    path = u.bpftool_path()
    if path is None:
        raise Refused(errno.ENOENT, "PATH lookup")
    r = at("exec bpftool", lambda: subprocess.run([path, "version"], capture_output=True))
    if r.returncode != 0:
        raise Refused(errno.ENOEXEC, "bpftool version")


__all__ = ["KPROBE_MULTI_SYMS", "Refusal", "errno_name", "kernel_answer", "need", "probe", "refused", "register"]
