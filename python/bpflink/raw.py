"""The raw layer: libbpf's link API as C declares it, through ctypes.

This module mirrors ``<bpf/bpf.h>``, ``<bpf/libbpf.h>`` and
``<bpflink.h>`` one to one:

* ctypes structures with exactly libbpf's layout: :class:`bpf_link_create_opts`
  (80 bytes on x86_64, its attach-type union anonymous so that
  ``opts.tcx.relative_fd`` works as in C), :class:`bpf_link_update_opts`
  (24 bytes, tail padding included), :class:`bpf_get_fd_by_id_opts`,
  :class:`bpf_iter_link_info` and the kernel's :class:`bpf_link_info`
  (64 bytes, one union member per link type). The options structs behave
  like ``LIBBPF_OPTS()``: every byte, padding included, starts at zero and
  ``sz`` is set to the struct's size; keyword arguments set fields, a dict
  sets the fields of a member struct::

      opts = bpf_link_create_opts(flags=BPF_F_BEFORE, tcx={"relative_id": 7})

* one Python function per C function, with the C name and arguments. Each
  calls the C function (declared with ``argtypes``/``restype``, the library
  loaded with ``use_errno=True``) and keeps libbpf's semantics, except that
  a failure raises ``OSError(errno, "function_name: strerror")`` instead of
  returning a negative code or NULL. The exception also carries the name in
  its ``function`` attribute. Since OSError picks its subclass from the
  errno, ``ENOENT`` arrives as :class:`FileNotFoundError`, ``EPERM`` as
  :class:`PermissionError`, and so on.

The C function objects themselves are reachable through :func:`lib` (for
example ``lib().bpf_link_create``) for callers who want the return codes.
The library is found and loaded on first use; see :mod:`bpflink._discovery`
for where it is looked for.
"""

from __future__ import annotations

import ctypes
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_char_p,
    c_int,
    c_int32,
    c_size_t,
    c_uint32,
    c_uint64,
    c_ulong,
    c_void_p,
)
from typing import Any, Optional

from . import _discovery
from . import constants as _constants
from .constants import *  # noqa: F401,F403  (the uapi numbers, for raw-layer users)


# --- options structs ----------------------------------------------------------


class _Opts(Structure):
    """Base of libbpf's options structs: zeroed, ``sz`` set, fields by keyword."""

    def __init__(self, **fields: Any) -> None:
        super().__init__()
        self.reset(**fields)

    def reset(self, **fields: Any) -> None:
        """Zeroes every byte, sets ``sz`` to the struct's size, then applies
        ``fields`` (like ``LIBBPF_OPTS_RESET()``)."""
        ctypes.memset(ctypes.addressof(self), 0, ctypes.sizeof(self))
        self.sz = ctypes.sizeof(self)
        for name, value in fields.items():
            _set_field(self, name, value)


def _set_field(obj: Any, name: str, value: Any) -> None:
    """Sets ``obj.name``; a dict value sets the fields of a member struct."""
    if not any(name == f[0] for f in _all_fields(type(obj))):
        raise AttributeError(f"{type(obj).__name__} has no field {name!r}")
    if isinstance(value, dict):
        member = getattr(obj, name)  # shares obj's memory
        for sub, v in value.items():
            _set_field(member, sub, v)
    else:
        setattr(obj, name, value)


def _all_fields(cls: type) -> list[tuple]:
    """The fields of a ctypes struct or union, with those of its anonymous
    members flattened in as C sees them."""
    out = []
    anonymous = getattr(cls, "_anonymous_", ())
    for f in cls._fields_:
        if f[0] in anonymous:
            out.extend(_all_fields(f[1]))
        else:
            out.append(f)
    return out


class _PerfEventOpts(Structure):
    """``perf_event`` member of the create options: for BPF_PERF_EVENT."""

    _fields_ = [("bpf_cookie", c_uint64)]


class _KprobeMultiOpts(Structure):
    """``kprobe_multi`` member: for BPF_TRACE_KPROBE_MULTI / _SESSION."""

    _fields_ = [
        ("flags", c_uint32),
        ("cnt", c_uint32),
        ("syms", POINTER(c_char_p)),
        ("addrs", POINTER(c_ulong)),
        ("cookies", POINTER(c_uint64)),
    ]


class _UprobeMultiOpts(Structure):
    """``uprobe_multi`` member: for BPF_TRACE_UPROBE_MULTI / _SESSION.
    ``path_fd`` is libbpf 1.8's (in 1.7.0's tail padding): with
    BPF_F_UPROBE_MULTI_PATH_FD in ``flags``, ``path`` is opened relative
    to it."""

    _fields_ = [
        ("flags", c_uint32),
        ("cnt", c_uint32),
        ("path", c_char_p),
        ("offsets", POINTER(c_ulong)),
        ("ref_ctr_offsets", POINTER(c_ulong)),
        ("cookies", POINTER(c_uint64)),
        ("pid", c_uint32),
        ("path_fd", c_uint32),
    ]


class _TracingMultiOpts(Structure):
    """``tracing_multi`` member (libbpf 1.8): for BPF_TRACE_FENTRY_MULTI,
    _FEXIT_MULTI and _FSESSION_MULTI: the functions by BTF id, with cookies."""

    _fields_ = [
        ("ids", POINTER(c_uint32)),
        ("cookies", POINTER(c_uint64)),
        ("cnt", c_uint32),
    ]


class _TracingOpts(Structure):
    """``tracing`` member: for raw_tp, fentry, fexit, fmod_ret, LSM."""

    _fields_ = [("cookie", c_uint64)]


class _NetfilterOpts(Structure):
    """``netfilter`` member: for BPF_NETFILTER."""

    _fields_ = [
        ("pf", c_uint32),
        ("hooknum", c_uint32),
        ("priority", c_int32),
        ("flags", c_uint32),
    ]


class _RelativeOpts(Structure):
    """``tcx``, ``netkit`` and ``cgroup`` members: where in the hook's list
    the program goes, and the list revision expected."""

    _fields_ = [
        ("relative_fd", c_uint32),
        ("relative_id", c_uint32),
        ("expected_revision", c_uint64),
    ]


class _LinkCreateUnion(Union):
    """The attach-type union of bpf_link_create_opts (anonymous in the struct)."""

    _fields_ = [
        ("perf_event", _PerfEventOpts),
        ("kprobe_multi", _KprobeMultiOpts),
        ("uprobe_multi", _UprobeMultiOpts),
        ("tracing", _TracingOpts),
        ("netfilter", _NetfilterOpts),
        ("tcx", _RelativeOpts),
        ("netkit", _RelativeOpts),
        ("cgroup", _RelativeOpts),
        ("tracing_multi", _TracingMultiOpts),
    ]


class _IterMap(Structure):
    """bpf_iter_link_info.map: the map a map-element iterator walks."""

    _fields_ = [("map_fd", c_uint32)]


class _IterCgroup(Structure):
    """bpf_iter_link_info.cgroup: start cgroup (fd or id) and walk order."""

    _fields_ = [("order", c_uint32), ("cgroup_fd", c_uint32), ("cgroup_id", c_uint64)]


class _IterTask(Structure):
    """bpf_iter_link_info.task: one thread, one process, or a pidfd."""

    _fields_ = [("tid", c_uint32), ("pid", c_uint32), ("pid_fd", c_uint32)]


class bpf_iter_link_info(Union):
    """``union bpf_iter_link_info`` (uapi): what an iterator link walks, given
    to bpf_link_create() through ``iter_info``/``iter_info_len``."""

    _fields_ = [("map", _IterMap), ("cgroup", _IterCgroup), ("task", _IterTask)]


class bpf_link_create_opts(_Opts):
    """``struct bpf_link_create_opts``: options of :func:`bpf_link_create`.

    The attach-type union is anonymous, as in C: ``opts.tcx.relative_fd``,
    ``opts.uprobe_multi.path``, ``opts.perf_event.bpf_cookie``. Pointer
    fields keep what is assigned to them alive as long as the struct.
    """

    _anonymous_ = ("_u",)
    _fields_ = [
        ("sz", c_size_t),
        ("flags", c_uint32),
        ("iter_info", POINTER(bpf_iter_link_info)),
        ("iter_info_len", c_uint32),
        ("target_btf_id", c_uint32),
        ("_u", _LinkCreateUnion),
    ]


class bpf_link_update_opts(_Opts):
    """``struct bpf_link_update_opts``: options of :func:`bpf_link_update`."""

    _fields_ = [
        ("sz", c_size_t),
        ("flags", c_uint32),
        ("old_prog_fd", c_uint32),
        ("old_map_fd", c_uint32),
    ]


class bpf_get_fd_by_id_opts(_Opts):
    """``struct bpf_get_fd_by_id_opts``: options of
    :func:`bpf_link_get_fd_by_id_opts`."""

    _fields_ = [("sz", c_size_t), ("open_flags", c_uint32), ("token_fd", c_uint32)]


# --- struct bpf_link_info (uapi) ----------------------------------------------


class _InfoRawTracepoint(Structure):
    """bpf_link_info.raw_tracepoint: name buffer (in/out) and cookie."""

    _fields_ = [("tp_name", c_uint64), ("tp_name_len", c_uint32), ("_pad", c_uint32), ("cookie", c_uint64)]


class _InfoTracing(Structure):
    """bpf_link_info.tracing: attach type, target object and BTF id, cookie."""

    _fields_ = [
        ("attach_type", c_uint32),
        ("target_obj_id", c_uint32),
        ("target_btf_id", c_uint32),
        ("_pad", c_uint32),
        ("cookie", c_uint64),
    ]


class _InfoCgroup(Structure):
    """bpf_link_info.cgroup: cgroup id and attach type."""

    _fields_ = [("cgroup_id", c_uint64), ("attach_type", c_uint32)]


class _InfoIterMap(Structure):
    """bpf_link_info.iter.map: the id of the iterated map."""

    _fields_ = [("map_id", c_uint32)]


class _InfoIterUnion1(Union):
    """First anonymous union of bpf_link_info.iter (32-bit target data)."""

    _fields_ = [("map", _InfoIterMap)]


class _InfoIterCgroup(Structure):
    """bpf_link_info.iter.cgroup: cgroup id and walk order."""

    _fields_ = [("cgroup_id", c_uint64), ("order", c_uint32)]


class _InfoIterTask(Structure):
    """bpf_link_info.iter.task: thread and process ids."""

    _fields_ = [("tid", c_uint32), ("pid", c_uint32)]


class _InfoIterUnion2(Union):
    """Second anonymous union of bpf_link_info.iter (64-bit target data)."""

    _fields_ = [("cgroup", _InfoIterCgroup), ("task", _InfoIterTask)]


class _InfoIter(Structure):
    """bpf_link_info.iter: target name buffer (in/out) and what it is bound to."""

    _anonymous_ = ("_u1", "_u2")
    _fields_ = [
        ("target_name", c_uint64),
        ("target_name_len", c_uint32),
        ("_u1", _InfoIterUnion1),
        ("_u2", _InfoIterUnion2),
    ]


class _InfoNetns(Structure):
    """bpf_link_info.netns: namespace inode number and attach type."""

    _fields_ = [("netns_ino", c_uint32), ("attach_type", c_uint32)]


class _InfoXdp(Structure):
    """bpf_link_info.xdp: interface index."""

    _fields_ = [("ifindex", c_uint32)]


class _InfoStructOps(Structure):
    """bpf_link_info.struct_ops: struct_ops map id."""

    _fields_ = [("map_id", c_uint32)]


class _InfoNetfilter(Structure):
    """bpf_link_info.netfilter: family, hook, priority, flags."""

    _fields_ = [("pf", c_uint32), ("hooknum", c_uint32), ("priority", c_int32), ("flags", c_uint32)]


class _InfoKprobeMulti(Structure):
    """bpf_link_info.kprobe_multi: address/cookie buffers (in/out) and counters."""

    _fields_ = [
        ("addrs", c_uint64),
        ("count", c_uint32),
        ("flags", c_uint32),
        ("missed", c_uint64),
        ("cookies", c_uint64),
    ]


class _InfoUprobeMulti(Structure):
    """bpf_link_info.uprobe_multi: path and array buffers (in/out) and counters."""

    _fields_ = [
        ("path", c_uint64),
        ("offsets", c_uint64),
        ("ref_ctr_offsets", c_uint64),
        ("cookies", c_uint64),
        ("path_size", c_uint32),
        ("count", c_uint32),
        ("flags", c_uint32),
        ("pid", c_uint32),
    ]


class _InfoPerfUprobe(Structure):
    """bpf_link_info.perf_event.uprobe: file name buffer, offset, cookie."""

    _fields_ = [
        ("file_name", c_uint64),
        ("name_len", c_uint32),
        ("offset", c_uint32),
        ("cookie", c_uint64),
        ("ref_ctr_offset", c_uint64),
    ]


class _InfoPerfKprobe(Structure):
    """bpf_link_info.perf_event.kprobe: function name buffer, offset, address."""

    _fields_ = [
        ("func_name", c_uint64),
        ("name_len", c_uint32),
        ("offset", c_uint32),
        ("addr", c_uint64),
        ("missed", c_uint64),
        ("cookie", c_uint64),
    ]


class _InfoPerfTracepoint(Structure):
    """bpf_link_info.perf_event.tracepoint: name buffer and cookie."""

    _fields_ = [("tp_name", c_uint64), ("name_len", c_uint32), ("_pad", c_uint32), ("cookie", c_uint64)]


class _InfoPerfEvent(Structure):
    """bpf_link_info.perf_event.event: perf attr type and config, cookie."""

    _fields_ = [("config", c_uint64), ("type", c_uint32), ("_pad", c_uint32), ("cookie", c_uint64)]


class _InfoPerfUnion(Union):
    """The per-subtype union of bpf_link_info.perf_event."""

    _fields_ = [
        ("uprobe", _InfoPerfUprobe),
        ("kprobe", _InfoPerfKprobe),
        ("tracepoint", _InfoPerfTracepoint),
        ("event", _InfoPerfEvent),
    ]


class _InfoPerf(Structure):
    """bpf_link_info.perf_event: the subtype and its anonymous union."""

    _anonymous_ = ("_u",)
    _fields_ = [("type", c_uint32), ("_pad", c_uint32), ("_u", _InfoPerfUnion)]


class _InfoIfindexAttach(Structure):
    """bpf_link_info.tcx and .netkit: interface index and attach type."""

    _fields_ = [("ifindex", c_uint32), ("attach_type", c_uint32)]


class _InfoSockmap(Structure):
    """bpf_link_info.sockmap: map id and attach type."""

    _fields_ = [("map_id", c_uint32), ("attach_type", c_uint32)]


class _InfoTracingMulti(Structure):
    """bpf_link_info.tracing_multi (libbpf 1.8's uapi): attach type, number
    of functions (in/out), their BTF object, and buffers (in/out) for
    ``count`` u32 BTF ids, u64 addresses and u64 cookies."""

    _fields_ = [
        ("attach_type", c_uint32),
        ("count", c_uint32),
        ("btf_obj_id", c_uint32),
        ("_pad", c_uint32),
        ("ids", c_uint64),
        ("addrs", c_uint64),
        ("cookies", c_uint64),
    ]


class _InfoUnion(Union):
    """The per-link-type union of bpf_link_info (anonymous in the struct)."""

    _fields_ = [
        ("raw_tracepoint", _InfoRawTracepoint),
        ("tracing", _InfoTracing),
        ("cgroup", _InfoCgroup),
        ("iter", _InfoIter),
        ("netns", _InfoNetns),
        ("xdp", _InfoXdp),
        ("struct_ops", _InfoStructOps),
        ("netfilter", _InfoNetfilter),
        ("kprobe_multi", _InfoKprobeMulti),
        ("uprobe_multi", _InfoUprobeMulti),
        ("perf_event", _InfoPerf),
        ("tcx", _InfoIfindexAttach),
        ("netkit", _InfoIfindexAttach),
        ("sockmap", _InfoSockmap),
        ("tracing_multi", _InfoTracingMulti),
    ]


class bpf_link_info(Structure):
    """``struct bpf_link_info`` (uapi), what :func:`bpf_link_get_info_by_fd`
    fills: ``type``, ``id``, ``prog_id`` and one union member per link type
    (anonymous, as in C: ``info.tcx.ifindex``). Buffer fields (names, paths,
    arrays) are addresses (``__aligned_u64``): point them at memory and set
    their lengths before the call to receive the data. Starts zeroed.
    """

    _anonymous_ = ("_u",)
    _fields_ = [("type", c_uint32), ("id", c_uint32), ("prog_id", c_uint32), ("_u", _InfoUnion)]


class bpf_link(Structure):
    """``struct bpf_link``: opaque; only pointers to it are used."""


#: ``libbpf_print_fn_t``: ``int (*)(enum libbpf_print_level, const char *fmt, va_list)``.
#: On x86_64 (and aarch64) a va_list argument arrives as a pointer.
libbpf_print_fn_t = CFUNCTYPE(c_int, c_int, c_char_p, c_void_p)

# (name, restype, argtypes) of every function this module uses.
_PROTOTYPES: list[tuple[str, Any, list]] = [
    ("bpf_link_create", c_int, [c_int, c_int, c_int, POINTER(bpf_link_create_opts)]),
    ("bpf_link_update", c_int, [c_int, c_int, POINTER(bpf_link_update_opts)]),
    ("bpf_link_detach", c_int, [c_int]),
    ("bpf_link_get_next_id", c_int, [c_uint32, POINTER(c_uint32)]),
    ("bpf_link_get_fd_by_id", c_int, [c_uint32]),
    ("bpf_link_get_fd_by_id_opts", c_int, [c_uint32, POINTER(bpf_get_fd_by_id_opts)]),
    ("bpf_link_get_info_by_fd", c_int, [c_int, c_void_p, POINTER(c_uint32)]),
    ("bpf_iter_create", c_int, [c_int]),
    ("libbpf_bpf_link_type_str", c_char_p, [c_int]),
    ("libbpf_set_print", libbpf_print_fn_t, [libbpf_print_fn_t]),
    ("bpf_link__open", POINTER(bpf_link), [c_char_p]),
    ("bpf_link__fd", c_int, [POINTER(bpf_link)]),
    ("bpf_link__pin", c_int, [POINTER(bpf_link), c_char_p]),
    ("bpf_link__pin_path", c_char_p, [POINTER(bpf_link)]),
    ("bpf_link__unpin", c_int, [POINTER(bpf_link)]),
    ("bpf_link__detach", c_int, [POINTER(bpf_link)]),
    ("bpf_link__disconnect", None, [POINTER(bpf_link)]),
    ("bpf_link__destroy", c_int, [POINTER(bpf_link)]),
    ("bpf_link__update_program", c_int, [POINTER(bpf_link), c_void_p]),
    ("bpflink_link_from_fd", POINTER(bpf_link), [c_int]),
]

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path = ""
_lib_place = ""


def _load(path: Optional[str]) -> None:
    """Loads the library (``_lock`` held) and declares its functions."""
    global _lib, _lib_path, _lib_place
    handle, found, place = _discovery.load(path=path)
    for name, restype, argtypes in _PROTOTYPES:
        fn = getattr(handle, name)
        fn.restype = restype
        fn.argtypes = argtypes
    _lib_path, _lib_place = found, place
    _lib = handle


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def lib() -> ctypes.CDLL:
    """The loaded libbpflink.so.1, its functions declared; loads it on the
    first call (raising :class:`bpflink.LibraryNotFoundError` when it is
    nowhere to be found)."""
    if _lib is None:
        with _lock:
            if _lib is None:
                _load(None)
    assert _lib is not None
    return _lib


def load_library(path: Optional[str] = None) -> str:
    """Loads the library now and returns the path it was loaded from.

    Without ``path`` the library is looked for as :mod:`bpflink._discovery`
    says. With ``path``, that file is the only place tried, before
    ``$BPFLINK_LIBRARY`` and the rest. The library is loaded once per
    process: a ``path`` given after it was loaded must be the same file,
    else :class:`RuntimeError` (one process cannot use two bpflink
    libraries through this module).
    """
    with _lock:
        if _lib is None:
            _load(os.fspath(path) if path is not None else None)
        elif path is not None and not _same_file(os.fspath(path), _lib_path):
            raise RuntimeError(
                f"bpflink: {_discovery.SONAME} is already loaded from {_lib_path} "
                f"({_lib_place}); load_library({os.fspath(path)!r}) has to come before "
                f"the first use of the library"
            )
        return _lib_path


def library_path() -> str:
    """The path (or, when found through the system, the name) of the loaded
    library; loads it if needed."""
    lib()
    return _lib_path


def library_place() -> str:
    """Which discovery step found the loaded library (e.g.
    ``"BPFLINK_LIBRARY=/path"``); loads it if needed."""
    lib()
    return _lib_place


# --- errors -------------------------------------------------------------------


def error(function: str, errno: int) -> OSError:
    """``OSError(errno, "function: strerror")`` with ``.function`` set. The
    class is OSError's own choice for the errno (FileNotFoundError, ...)."""
    err = OSError(errno, f"{function}: {os.strerror(errno)}")
    err.function = function  # type: ignore[attr-defined]
    return err


def _check(function: str, ret: int) -> int:
    """libbpf's int convention: a negative return is -errno."""
    if ret < 0:
        raise error(function, -ret)
    return ret


def _check_ptr(function: str, ptr: Any) -> Any:
    """libbpf's pointer convention: NULL with errno set."""
    if not ptr:
        raise error(function, ctypes.get_errno() or 22)
    return ptr


def _ref(obj: Any) -> Any:
    """A pointer argument for ``obj``, or NULL for None."""
    return None if obj is None else ctypes.byref(obj)


def _path(path: Any) -> Optional[bytes]:
    """A C string for a path (str, bytes or os.PathLike); None stays NULL."""
    return None if path is None else os.fsencode(path)


# --- bpf.h --------------------------------------------------------------------


def bpf_link_create(prog_fd: int, target_fd: int, attach_type: int,
                    opts: Optional[bpf_link_create_opts] = None) -> int:
    """BPF_LINK_CREATE: attaches ``prog_fd`` to ``target_fd`` (an fd, or an
    ifindex for XDP/tcx/netkit) and returns the new link fd, owned by the
    caller (close it with :func:`os.close`; closing the last reference
    detaches the program unless the link is pinned)."""
    return _check("bpf_link_create", lib().bpf_link_create(prog_fd, target_fd, attach_type, _ref(opts)))


def bpf_link_update(link_fd: int, new_prog_fd: int, opts: Optional[bpf_link_update_opts] = None) -> None:
    """BPF_LINK_UPDATE: replaces the program of a link (with BPF_F_REPLACE in
    ``opts.flags``, only if ``opts.old_prog_fd`` is the attached one)."""
    _check("bpf_link_update", lib().bpf_link_update(link_fd, new_prog_fd, _ref(opts)))


def bpf_link_detach(link_fd: int) -> None:
    """BPF_LINK_DETACH: detaches the link in the kernel; the fd stays open."""
    _check("bpf_link_detach", lib().bpf_link_detach(link_fd))


def bpf_link_get_next_id(start_id: int) -> int:
    """BPF_LINK_GET_NEXT_ID: the id of the first link after ``start_id``.
    Raises FileNotFoundError (ENOENT) past the last link."""
    next_id = c_uint32()
    _check("bpf_link_get_next_id", lib().bpf_link_get_next_id(start_id, ctypes.byref(next_id)))
    return next_id.value


def bpf_link_get_fd_by_id(link_id: int) -> int:
    """BPF_LINK_GET_FD_BY_ID: a new fd (owned by the caller) for the link
    with this id. FileNotFoundError (ENOENT) when there is none."""
    return _check("bpf_link_get_fd_by_id", lib().bpf_link_get_fd_by_id(link_id))


def bpf_link_get_fd_by_id_opts(link_id: int, opts: Optional[bpf_get_fd_by_id_opts] = None) -> int:
    """Same as :func:`bpf_link_get_fd_by_id`, with options."""
    return _check("bpf_link_get_fd_by_id_opts", lib().bpf_link_get_fd_by_id_opts(link_id, _ref(opts)))


def bpf_link_get_info_by_fd(link_fd: int, info: Any, info_len: Optional[int] = None) -> int:
    """BPF_OBJ_GET_INFO_BY_FD: fills ``info`` (a :class:`bpf_link_info`, or
    any writable ctypes object) and returns the number of bytes the kernel
    wrote. ``info_len`` defaults to ``sizeof(info)``."""
    length = c_uint32(ctypes.sizeof(info) if info_len is None else info_len)
    _check("bpf_link_get_info_by_fd",
           lib().bpf_link_get_info_by_fd(link_fd, ctypes.addressof(info), ctypes.byref(length)))
    return length.value


def bpf_iter_create(link_fd: int) -> int:
    """BPF_ITER_CREATE: a new fd (owned by the caller) that runs the
    iterator link when read."""
    return _check("bpf_iter_create", lib().bpf_iter_create(link_fd))


# --- libbpf.h -----------------------------------------------------------------


def libbpf_bpf_link_type_str(link_type: int) -> Optional[str]:
    """The name libbpf gives a link type ("cgroup", "tcx", ...), or None
    for a number libbpf 1.7.0 does not know."""
    name = lib().libbpf_bpf_link_type_str(link_type)
    return None if name is None else name.decode()


def libbpf_set_print(fn: Optional[Any]) -> Any:
    """Installs a ``libbpf_print_fn_t`` (a :data:`libbpf_print_fn_t`
    instance, or None to drop every message) and returns the previous one.
    The caller keeps ``fn`` alive while it is installed; the pythonic
    :func:`bpflink.set_print` does that for you."""
    return lib().libbpf_set_print(libbpf_print_fn_t() if fn is None else fn)


def bpf_link__open(path: Any) -> Any:
    """Opens the link pinned at ``path``: a new ``POINTER(bpf_link)`` to be
    released with :func:`bpf_link__destroy`."""
    return _check_ptr("bpf_link__open", lib().bpf_link__open(_path(path)))


def bpf_link__fd(link: Any) -> int:
    """The fd owned by the link object (do not close it)."""
    return _check("bpf_link__fd", lib().bpf_link__fd(link))


def bpf_link__pin(link: Any, path: Any) -> None:
    """Pins the link object at ``path`` on a bpffs."""
    _check("bpf_link__pin", lib().bpf_link__pin(link, _path(path)))


def bpf_link__pin_path(link: Any) -> Optional[str]:
    """Where the link object is pinned, or None. Raises for a NULL link."""
    path = lib().bpf_link__pin_path(link)
    if path is None:
        if not link:
            raise error("bpf_link__pin_path", ctypes.get_errno() or 22)
        return None
    return os.fsdecode(path)


def bpf_link__unpin(link: Any) -> None:
    """Removes the pin of the link object (the file on the bpffs)."""
    _check("bpf_link__unpin", lib().bpf_link__unpin(link))


def bpf_link__detach(link: Any) -> None:
    """Detaches the link in the kernel; the object and its fd remain."""
    _check("bpf_link__detach", lib().bpf_link__detach(link))


def bpf_link__disconnect(link: Any) -> None:
    """Makes :func:`bpf_link__destroy` leave the attachment in place."""
    lib().bpf_link__disconnect(link)


def bpf_link__destroy(link: Any) -> None:
    """Releases the link object: closes its fd (which detaches unless it is
    pinned, shared or disconnected) and frees it. The object is freed even
    when this raises."""
    _check("bpf_link__destroy", lib().bpf_link__destroy(link))


def bpf_link__update_program(link: Any, prog: Any) -> None:
    """Replaces the link's program with a ``struct bpf_program *`` of the
    libbpf loaded in this process (an address). Only useful beside libbpf."""
    _check("bpf_link__update_program", lib().bpf_link__update_program(link, prog))


# --- bpflink.h ----------------------------------------------------------------


def bpflink_link_from_fd(fd: int) -> Any:
    """Wraps a link fd into a new link object, which owns the fd from then
    on. On failure the fd stays the caller's."""
    return _check_ptr("bpflink_link_from_fd", lib().bpflink_link_from_fd(fd))


__all__ = [
    "bpf_get_fd_by_id_opts",
    "bpf_iter_create",
    "bpf_iter_link_info",
    "bpf_link",
    "bpf_link__destroy",
    "bpf_link__detach",
    "bpf_link__disconnect",
    "bpf_link__fd",
    "bpf_link__open",
    "bpf_link__pin",
    "bpf_link__pin_path",
    "bpf_link__unpin",
    "bpf_link__update_program",
    "bpf_link_create",
    "bpf_link_create_opts",
    "bpf_link_detach",
    "bpf_link_get_fd_by_id",
    "bpf_link_get_fd_by_id_opts",
    "bpf_link_get_info_by_fd",
    "bpf_link_get_next_id",
    "bpf_link_info",
    "bpf_link_update",
    "bpf_link_update_opts",
    "bpflink_link_from_fd",
    "error",
    "lib",
    "libbpf_bpf_link_type_str",
    "libbpf_print_fn_t",
    "libbpf_set_print",
    "library_path",
    "library_place",
    "load_library",
] + _constants.__all__
