"""What the kernel says about a link, decoded per link type.

:func:`link_info_from_fd` asks the kernel (``bpf_link_get_info_by_fd``)
and returns an instance of the :class:`LinkInfo` subclass for the link's
type. Names, paths and arrays that the kernel only copies into buffers
supplied by the caller (iterator target names, raw tracepoint names, perf
event file and function names, uprobe_multi paths and offsets, kprobe_multi
addresses, tracing_multi BTF ids and addresses) are fetched with a second
call whose buffers are sized from the lengths the first call reported.

Every class is a dataclass; fields holding attach types are
:class:`~bpflink.constants.AttachType` members when the number is known
(plain ints otherwise), and ``type`` is a :class:`~bpflink.constants.LinkType`
member likewise. A link type this package does not know becomes an
:class:`UnknownLinkInfo` that keeps its number and the raw bytes of the
type-specific part.
"""

from __future__ import annotations

import ctypes
import errno as _errno
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

from . import raw
from .constants import (
    AttachType,
    BPF_PERF_EVENT_EVENT,
    BPF_PERF_EVENT_KPROBE,
    BPF_PERF_EVENT_KRETPROBE,
    BPF_PERF_EVENT_TRACEPOINT,
    BPF_PERF_EVENT_UPROBE,
    BPF_PERF_EVENT_URETPROBE,
    CgroupIterOrder,
    LinkType,
    PerfEventType,
    as_enum,
)


def link_type_name(link_type: int) -> str:
    """The name libbpf gives ``link_type`` (``libbpf_bpf_link_type_str``),
    e.g. ``"cgroup"`` for 3; for a number libbpf does not know, the number
    as text."""
    name = raw.libbpf_bpf_link_type_str(int(link_type))
    return name if name is not None else str(int(link_type))


@dataclass
class LinkInfo:
    """What every link has: its type, id and the id of its program.

    Subclasses add the fields of one link type. ``type_name`` is libbpf's
    name for the type (see :func:`link_type_name`).
    """

    type: int
    id: int
    prog_id: int
    type_name: str

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (e.g. for JSON), enums as plain ints."""
        return {k: (int(v) if isinstance(v, int) and not isinstance(v, bool) else v)
                for k, v in asdict(self).items()}


@dataclass
class UnknownLinkInfo(LinkInfo):
    """A link type this package does not decode: ``raw`` holds the 48 bytes
    of the type-specific union as the kernel wrote them."""

    raw: bytes = b""


@dataclass
class RawTracepointLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_RAW_TRACEPOINT: the tracepoint's name and the cookie."""

    tp_name: str = ""
    cookie: int = 0


@dataclass
class TracingLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_TRACING (fentry, fexit, fmod_ret, LSM, freplace):
    the attach type, the target object (a BTF object id, or the program id
    for freplace) and BTF type id inside it, and the cookie."""

    attach_type: int = 0
    target_obj_id: int = 0
    target_btf_id: int = 0
    cookie: int = 0


@dataclass
class CgroupLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_CGROUP: the cgroup's id (its inode number on cgroup v2)
    and the attach type."""

    cgroup_id: int = 0
    attach_type: int = 0


@dataclass
class IterLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_ITER: the iterator target (``"bpf_map"``, ``"task"``,
    ...) and what the iterator was bound to: ``map_id`` for map-element
    iterators (0 otherwise), ``cgroup_id``/``order`` for cgroup iterators,
    ``tid``/``pid`` for task iterators (None where they do not apply)."""

    target_name: str = ""
    map_id: int = 0
    cgroup_id: Optional[int] = None
    order: Optional[int] = None
    tid: Optional[int] = None
    pid: Optional[int] = None


@dataclass
class NetnsLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_NETNS (sk_lookup, flow dissector): the network
    namespace's inode number and the attach type."""

    netns_ino: int = 0
    attach_type: int = 0


@dataclass
class XdpLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_XDP: the interface index (0 once detached)."""

    ifindex: int = 0


@dataclass
class StructOpsLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_STRUCT_OPS: the id of the struct_ops map."""

    map_id: int = 0


@dataclass
class NetfilterLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_NETFILTER: protocol family, hook, priority and flags."""

    pf: int = 0
    hooknum: int = 0
    priority: int = 0
    flags: int = 0


@dataclass
class KprobeMultiLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_KPROBE_MULTI: number of probed functions, flags
    (BPF_F_KPROBE_MULTI_RETURN), missed runs, and the addresses and cookies
    (empty when the kernel hides addresses from this caller)."""

    count: int = 0
    flags: int = 0
    missed: int = 0
    addrs: list[int] = field(default_factory=list)
    cookies: list[int] = field(default_factory=list)


@dataclass
class UprobeMultiLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_UPROBE_MULTI: the probed file, the file offsets with
    their reference-counter offsets and cookies (``count`` of each), flags
    (BPF_F_UPROBE_MULTI_RETURN) and the process id filter (0: all)."""

    path: str = ""
    offsets: list[int] = field(default_factory=list)
    ref_ctr_offsets: list[int] = field(default_factory=list)
    cookies: list[int] = field(default_factory=list)
    count: int = 0
    flags: int = 0
    pid: int = 0


@dataclass
class PerfEventLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_PERF_EVENT: ``perf_event_type`` (a
    :class:`~bpflink.constants.PerfEventType`) says what the event is, and
    which other fields apply (None where they do not):

    * uprobe / uretprobe: ``name`` (the file), ``offset``, ``ref_ctr_offset``
    * kprobe / kretprobe: ``name`` (the function), ``offset``, ``addr``, ``missed``
    * tracepoint: ``name`` (the tracepoint)
    * event: ``event_type`` (perf's ``attr.type``) and ``config``

    ``cookie`` is the bpf_cookie in every case.
    """

    perf_event_type: int = 0
    name: Optional[str] = None
    offset: Optional[int] = None
    addr: Optional[int] = None
    missed: Optional[int] = None
    ref_ctr_offset: Optional[int] = None
    event_type: Optional[int] = None
    config: Optional[int] = None
    cookie: int = 0


@dataclass
class TcxLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_TCX: the interface index (0 once detached) and the
    direction (BPF_TCX_INGRESS or BPF_TCX_EGRESS)."""

    ifindex: int = 0
    attach_type: int = 0


@dataclass
class NetkitLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_NETKIT: the interface index and BPF_NETKIT_PRIMARY or
    BPF_NETKIT_PEER."""

    ifindex: int = 0
    attach_type: int = 0


@dataclass
class SockmapLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_SOCKMAP: the sockmap's id and the attach type."""

    map_id: int = 0
    attach_type: int = 0


@dataclass
class TracingMultiLinkInfo(LinkInfo):
    """BPF_LINK_TYPE_TRACING_MULTI (libbpf 1.8's uapi: fentry, fexit or
    fsession on many functions at once): the attach type
    (BPF_TRACE_FENTRY_MULTI, _FEXIT_MULTI or _FSESSION_MULTI), the BTF
    object the functions are in, how many there are, and per function its
    BTF id, address (zeros when the kernel hides addresses from this
    caller) and cookie, ``count`` of each once fetched."""

    attach_type: int = 0
    btf_obj_id: int = 0
    count: int = 0
    ids: list[int] = field(default_factory=list)
    addrs: list[int] = field(default_factory=list)
    cookies: list[int] = field(default_factory=list)


# --- decoding -------------------------------------------------------------------


class _Buffers:
    """Buffers of a second get_info call, kept alive until decoded."""

    def __init__(self) -> None:
        self.keep: list[Any] = []

    def chars(self, length: int) -> tuple[int, Any]:
        """A zeroed char buffer of ``length`` bytes: (address, buffer)."""
        buf = ctypes.create_string_buffer(max(length, 1))
        self.keep.append(buf)
        return ctypes.addressof(buf), buf

    def u64s(self, count: int) -> tuple[int, Any]:
        """A zeroed array of ``count`` u64: (address, array)."""
        buf = (ctypes.c_uint64 * max(count, 1))()
        self.keep.append(buf)
        return ctypes.addressof(buf), buf

    def u32s(self, count: int) -> tuple[int, Any]:
        """A zeroed array of ``count`` u32: (address, array)."""
        buf = (ctypes.c_uint32 * max(count, 1))()
        self.keep.append(buf)
        return ctypes.addressof(buf), buf


def _text(buf: Any) -> str:
    """A NUL-terminated C string from a char buffer, decoded like a path."""
    return os.fsdecode(buf.value)


#: Paths and names longer than this are not asked for when the kernel does
#: not report their length (it truncates to the buffer anyway).
_NAME_MAX = 4096


def _query(fd: int, info: raw.bpf_link_info) -> None:
    """The kernel call (looked up at call time, so tests can replace it)."""
    raw.bpf_link_get_info_by_fd(fd, info)


def _second_phase(fd: int, first: raw.bpf_link_info,
                  query: Callable[[int, raw.bpf_link_info], None]) -> tuple[raw.bpf_link_info, dict[str, Any]]:
    """Asks again (through ``query``) with buffers for what ``first``
    announced; returns the new info and the buffer contents by name."""
    t = first.type
    info = raw.bpf_link_info()
    bufs = _Buffers()
    got: dict[str, Any] = {}
    if t == LinkType.BPF_LINK_TYPE_RAW_TRACEPOINT and first.raw_tracepoint.tp_name_len:
        n = first.raw_tracepoint.tp_name_len
        info.raw_tracepoint.tp_name, got["tp_name"] = bufs.chars(n)
        info.raw_tracepoint.tp_name_len = n
    elif t == LinkType.BPF_LINK_TYPE_ITER and first.iter.target_name_len:
        n = first.iter.target_name_len
        info.iter.target_name, got["target_name"] = bufs.chars(n)
        info.iter.target_name_len = n
    elif t == LinkType.BPF_LINK_TYPE_UPROBE_MULTI:
        m = first.uprobe_multi
        n = m.path_size or _NAME_MAX
        info.uprobe_multi.path, got["path"] = bufs.chars(n)
        info.uprobe_multi.path_size = n
        if m.count:
            info.uprobe_multi.count = m.count
            info.uprobe_multi.offsets, got["offsets"] = bufs.u64s(m.count)
            info.uprobe_multi.ref_ctr_offsets, got["ref_ctr_offsets"] = bufs.u64s(m.count)
            info.uprobe_multi.cookies, got["cookies"] = bufs.u64s(m.count)
    elif t == LinkType.BPF_LINK_TYPE_KPROBE_MULTI and first.kprobe_multi.count:
        n = first.kprobe_multi.count
        info.kprobe_multi.count = n
        info.kprobe_multi.addrs, got["addrs"] = bufs.u64s(n)
        info.kprobe_multi.cookies, got["cookies"] = bufs.u64s(n)
    elif t == LinkType.BPF_LINK_TYPE_TRACING_MULTI and first.tracing_multi.count:
        n = first.tracing_multi.count
        info.tracing_multi.count = n
        info.tracing_multi.ids, got["ids"] = bufs.u32s(n)
        info.tracing_multi.addrs, got["addrs"] = bufs.u64s(n)
        info.tracing_multi.cookies, got["cookies"] = bufs.u64s(n)
    elif t == LinkType.BPF_LINK_TYPE_PERF_EVENT:
        p = first.perf_event
        info.perf_event.type = p.type
        if p.type in (BPF_PERF_EVENT_UPROBE, BPF_PERF_EVENT_URETPROBE):
            n = p.uprobe.name_len or _NAME_MAX
            info.perf_event.uprobe.file_name, got["name"] = bufs.chars(n)
            info.perf_event.uprobe.name_len = n
        elif p.type in (BPF_PERF_EVENT_KPROBE, BPF_PERF_EVENT_KRETPROBE):
            n = p.kprobe.name_len or _NAME_MAX
            info.perf_event.kprobe.func_name, got["name"] = bufs.chars(n)
            info.perf_event.kprobe.name_len = n
        elif p.type == BPF_PERF_EVENT_TRACEPOINT:
            n = p.tracepoint.name_len or _NAME_MAX
            info.perf_event.tracepoint.tp_name, got["name"] = bufs.chars(n)
            info.perf_event.tracepoint.name_len = n
        else:
            return first, {}
    else:
        return first, {}
    query(fd, info)
    if info.type != t or info.id != first.id:  # cannot happen for one fd
        raise raw.error("bpf_link_get_info_by_fd", _errno.EAGAIN)
    out: dict[str, Any] = {}
    for name, buf in got.items():
        if isinstance(buf, ctypes.Array) and buf._type_ is ctypes.c_char:
            out[name] = _text(buf)
        else:
            out[name] = buf
    return info, out


def _u64_list(buf: Any, count: int) -> list[int]:
    """The first ``count`` values of a fetched array of u64 (or u32): none
    if it was not fetched."""
    return list(buf[:count]) if buf is not None else []


def decode(info: raw.bpf_link_info, extra: Optional[dict[str, Any]] = None) -> LinkInfo:
    """The :class:`LinkInfo` for a filled ``struct bpf_link_info``. ``extra``
    holds what a second call put in buffers (names, arrays), by field name;
    without it those fields stay empty."""
    extra = extra or {}
    t = info.type
    common = dict(type=as_enum(LinkType, t), id=info.id, prog_id=info.prog_id, type_name=link_type_name(t))
    if t == LinkType.BPF_LINK_TYPE_RAW_TRACEPOINT:
        r = info.raw_tracepoint
        return RawTracepointLinkInfo(**common, tp_name=extra.get("tp_name", ""), cookie=r.cookie)
    if t == LinkType.BPF_LINK_TYPE_TRACING:
        r = info.tracing
        return TracingLinkInfo(**common, attach_type=as_enum(AttachType, r.attach_type),
                               target_obj_id=r.target_obj_id, target_btf_id=r.target_btf_id, cookie=r.cookie)
    if t == LinkType.BPF_LINK_TYPE_CGROUP:
        r = info.cgroup
        return CgroupLinkInfo(**common, cgroup_id=r.cgroup_id, attach_type=as_enum(AttachType, r.attach_type))
    if t == LinkType.BPF_LINK_TYPE_ITER:
        r = info.iter
        target = extra.get("target_name", "")
        out = IterLinkInfo(**common, target_name=target, map_id=r.map.map_id)
        if target == "cgroup":
            out.cgroup_id = r.cgroup.cgroup_id
            out.order = as_enum(CgroupIterOrder, r.cgroup.order)
        elif target.startswith("task"):
            out.tid, out.pid = r.task.tid, r.task.pid
        return out
    if t == LinkType.BPF_LINK_TYPE_NETNS:
        r = info.netns
        return NetnsLinkInfo(**common, netns_ino=r.netns_ino, attach_type=as_enum(AttachType, r.attach_type))
    if t == LinkType.BPF_LINK_TYPE_XDP:
        return XdpLinkInfo(**common, ifindex=info.xdp.ifindex)
    if t == LinkType.BPF_LINK_TYPE_STRUCT_OPS:
        return StructOpsLinkInfo(**common, map_id=info.struct_ops.map_id)
    if t == LinkType.BPF_LINK_TYPE_NETFILTER:
        r = info.netfilter
        return NetfilterLinkInfo(**common, pf=r.pf, hooknum=r.hooknum, priority=r.priority, flags=r.flags)
    if t == LinkType.BPF_LINK_TYPE_KPROBE_MULTI:
        r = info.kprobe_multi
        return KprobeMultiLinkInfo(**common, count=r.count, flags=r.flags, missed=r.missed,
                                   addrs=_u64_list(extra.get("addrs"), r.count),
                                   cookies=_u64_list(extra.get("cookies"), r.count))
    if t == LinkType.BPF_LINK_TYPE_UPROBE_MULTI:
        r = info.uprobe_multi
        return UprobeMultiLinkInfo(**common, path=extra.get("path", ""),
                                   offsets=_u64_list(extra.get("offsets"), r.count),
                                   ref_ctr_offsets=_u64_list(extra.get("ref_ctr_offsets"), r.count),
                                   cookies=_u64_list(extra.get("cookies"), r.count),
                                   count=r.count, flags=r.flags, pid=r.pid)
    if t == LinkType.BPF_LINK_TYPE_TRACING_MULTI:
        r = info.tracing_multi
        return TracingMultiLinkInfo(**common, attach_type=as_enum(AttachType, r.attach_type),
                                    btf_obj_id=r.btf_obj_id, count=r.count,
                                    ids=_u64_list(extra.get("ids"), r.count),
                                    addrs=_u64_list(extra.get("addrs"), r.count),
                                    cookies=_u64_list(extra.get("cookies"), r.count))
    if t == LinkType.BPF_LINK_TYPE_PERF_EVENT:
        return _decode_perf_event(info, common, extra)
    if t == LinkType.BPF_LINK_TYPE_TCX:
        r = info.tcx
        return TcxLinkInfo(**common, ifindex=r.ifindex, attach_type=as_enum(AttachType, r.attach_type))
    if t == LinkType.BPF_LINK_TYPE_NETKIT:
        r = info.netkit
        return NetkitLinkInfo(**common, ifindex=r.ifindex, attach_type=as_enum(AttachType, r.attach_type))
    if t == LinkType.BPF_LINK_TYPE_SOCKMAP:
        r = info.sockmap
        return SockmapLinkInfo(**common, map_id=r.map_id, attach_type=as_enum(AttachType, r.attach_type))
    union = raw.bpf_link_info._u
    return UnknownLinkInfo(**common, raw=ctypes.string_at(ctypes.addressof(info) + union.offset, union.size))


def _decode_perf_event(info: raw.bpf_link_info, common: dict[str, Any], extra: dict[str, Any]) -> LinkInfo:
    """PerfEventLinkInfo with the fields of the event's subtype filled in."""
    p = info.perf_event
    out = PerfEventLinkInfo(**common, perf_event_type=as_enum(PerfEventType, p.type))
    if p.type in (BPF_PERF_EVENT_UPROBE, BPF_PERF_EVENT_URETPROBE):
        u = p.uprobe
        out.name, out.offset, out.ref_ctr_offset, out.cookie = extra.get("name"), u.offset, u.ref_ctr_offset, u.cookie
    elif p.type in (BPF_PERF_EVENT_KPROBE, BPF_PERF_EVENT_KRETPROBE):
        k = p.kprobe
        out.name, out.offset, out.addr, out.missed, out.cookie = extra.get("name"), k.offset, k.addr, k.missed, k.cookie
    elif p.type == BPF_PERF_EVENT_TRACEPOINT:
        out.name, out.cookie = extra.get("name"), p.tracepoint.cookie
    elif p.type == BPF_PERF_EVENT_EVENT:
        e = p.event
        out.event_type, out.config, out.cookie = e.type, e.config, e.cookie
    return out


def bpf_object_kind(fd: int) -> Optional[str]:
    """What kind of BPF object ``fd`` refers to, from /proc/self/fd:
    ``"link"``, ``"prog"``, ``"map"``, ... ; None when it is no BPF object
    or /proc cannot tell."""
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None
    prefix = "anon_inode:bpf-"
    return target[len(prefix):] if target.startswith(prefix) else None


def link_info_from_fd(fd: int, *, fetch: Optional[Callable[[int, raw.bpf_link_info], None]] = None) -> LinkInfo:
    """Asks the kernel about the link behind ``fd`` and decodes the answer,
    names and arrays included (two calls where the type has them).

    Raises OSError from ``bpf_link_get_info_by_fd`` (EBADF, or EINVAL when
    ``fd`` is not a BPF object), and OSError(EINVAL) for a program or map
    fd, about which the kernel would answer with a different struct.
    ``fetch`` replaces the kernel call (for tests).
    """
    kind = bpf_object_kind(fd) if fetch is None else None
    if kind not in (None, "link"):
        # The kernel answers for programs and maps too, with their own info.
        raise OSError(_errno.EINVAL, f"link_info_from_fd: fd {fd} is a BPF {kind}, not a link")
    query = fetch or _query
    for _ in range(3):
        first = raw.bpf_link_info()
        query(fd, first)
        try:
            info, extra = _second_phase(fd, first, query)
        except OSError as e:
            # A count or name that grew between the two calls: ask again.
            if e.errno == _errno.ENOSPC:
                continue
            raise
        return decode(info, extra)
    raise raw.error("bpf_link_get_info_by_fd", _errno.ENOSPC)
