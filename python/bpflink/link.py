"""The pythonic layer: :class:`Link` objects, :func:`link_create`,
:func:`links` and :func:`set_print`.

A :class:`Link` wraps libbpf's ``struct bpf_link`` object (made by
bpflink): closing it is ``bpf_link__destroy``, which closes the link fd and
so detaches the program unless the link is pinned or another fd refers to
it. Links are context managers, and a link that is garbage-collected while
open is closed then (with a :class:`ResourceWarning`), like a file.

Arguments that name a program, a map or a link accept an int fd or any
object with a ``fileno()`` method (a :class:`Link` has one).
"""

from __future__ import annotations

import ctypes
import errno as _errno
import io
import os
import socket
import threading
import time
import warnings
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from . import raw
from .constants import (
    AttachType,
    BPF_F_AFTER,
    BPF_F_BEFORE,
    BPF_F_LINK,
    BPF_F_KPROBE_MULTI_RETURN,
    BPF_F_REPLACE,
    BPF_F_UPROBE_MULTI_RETURN,
    enum_name,
)
from .info import LinkInfo, bpf_object_kind, link_info_from_fd

FdLike = Union[int, Any]
PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def _fd(value: FdLike, what: str) -> int:
    """An fd from an int or an object with ``fileno()``."""
    if isinstance(value, bool):
        raise TypeError(f"{what}: expected an fd, got a bool")
    if isinstance(value, int):
        fd = value
    elif hasattr(value, "fileno"):
        fd = value.fileno()
    else:
        raise TypeError(f"{what}: expected an fd (int or object with fileno()), got {type(value).__name__}")
    if fd < 0:
        raise ValueError(f"{what}: negative fd {fd}")
    return fd


class Link:
    """A BPF link held by this process.

    Make one with :func:`link_create`, :meth:`Link.open` (from a pin),
    :meth:`Link.from_fd` or :meth:`Link.from_id`. Close it with
    :meth:`close` or a ``with`` block.
    """

    def __init__(self, _ptr: Any) -> None:
        """Private: wraps a ``POINTER(bpf_link)`` that becomes this object's."""
        if not _ptr:
            raise ValueError("Link needs a bpf_link object; use link_create(), Link.open(), Link.from_fd()")
        self._ptr = _ptr
        self._id: Optional[int] = None

    # --- making links ---

    @classmethod
    def open(cls, path: PathLike) -> "Link":
        """Opens the link pinned at ``path`` (``bpf_link__open``). The new
        object remembers the pin; closing it leaves the pin in place.

        Unlike libbpf (and :func:`bpflink.raw.bpf_link__open`), a pinned
        program or map is refused here with OSError(EINVAL)."""
        ptr = raw.bpf_link__open(path)
        kind = bpf_object_kind(raw.bpf_link__fd(ptr))
        if kind not in (None, "link"):
            raw.bpf_link__destroy(ptr)
            raise OSError(_errno.EINVAL, f"Link.open: {os.fsdecode(path)} is a BPF {kind}, not a link")
        return cls(ptr)

    @classmethod
    def from_fd(cls, fd: FdLike, *, dup: bool = False) -> "Link":
        """Wraps a link fd (``bpflink_link_from_fd``). The fd belongs to the
        new object from then on, unless ``dup`` is true, in which case a
        duplicate is wrapped and ``fd`` stays the caller's. Raises OSError
        (EINVAL) when ``fd`` is not a BPF link; the fd is then left alone."""
        fd = _fd(fd, "fd")
        if not dup:
            return cls(raw.bpflink_link_from_fd(fd))
        copy = os.dup(fd)
        try:
            return cls(raw.bpflink_link_from_fd(copy))
        except BaseException:
            os.close(copy)
            raise

    @classmethod
    def from_id(cls, link_id: int) -> "Link":
        """Opens the link with this id (``bpf_link_get_fd_by_id``); raises
        FileNotFoundError when there is none."""
        fd = raw.bpf_link_get_fd_by_id(link_id)
        try:
            return cls(raw.bpflink_link_from_fd(fd))
        except BaseException:
            os.close(fd)
            raise

    # --- state ---

    def _live(self) -> Any:
        """The bpf_link pointer; ValueError once closed."""
        if self._ptr is None:
            raise ValueError("I/O operation on a closed Link")
        return self._ptr

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._ptr is None

    @property
    def fd(self) -> int:
        """The link's fd, owned by this object (``os.dup`` it to keep it)."""
        return raw.bpf_link__fd(self._live())

    def fileno(self) -> int:
        """The link's fd, so that a Link can be passed where an fd is wanted."""
        return self.fd

    @property
    def info(self) -> LinkInfo:
        """What the kernel reports about the link now, decoded per type."""
        return link_info_from_fd(self.fd)

    @property
    def id(self) -> int:
        """The link's id (global and fixed for the link's life)."""
        if self._id is None:
            self._id = self.info.id
        return self._id

    @property
    def pin_path(self) -> Optional[str]:
        """Where this object pinned the link (or opened it from), or None."""
        return raw.bpf_link__pin_path(self._live())

    # --- operations ---

    def pin(self, path: PathLike) -> None:
        """Pins the link at ``path`` on a bpffs, so that it outlives every fd
        (the directory is created if missing, one level)."""
        raw.bpf_link__pin(self._live(), path)

    def unpin(self) -> None:
        """Removes the pin file; the link lives on while an fd refers to it."""
        raw.bpf_link__unpin(self._live())

    def update(self, prog: FdLike, *, replace: Optional[FdLike] = None,
               replace_map: Optional[FdLike] = None) -> None:
        """Atomically replaces the link's program with ``prog``.

        ``replace``: only if this program (fd) is the one attached now
        (BPF_F_REPLACE; the kernel answers EPERM otherwise). ``replace_map``
        is the same for struct_ops links, whose "program" is a map.
        """
        opts = None
        if replace is not None and replace_map is not None:
            raise ValueError("update(): replace and replace_map are exclusive")
        if replace is not None:
            opts = raw.bpf_link_update_opts(flags=BPF_F_REPLACE, old_prog_fd=_fd(replace, "replace"))
        elif replace_map is not None:
            opts = raw.bpf_link_update_opts(flags=BPF_F_REPLACE, old_map_fd=_fd(replace_map, "replace_map"))
        raw.bpf_link_update(self.fd, _fd(prog, "prog"), opts)

    def detach(self) -> None:
        """Detaches the link in the kernel now; the object stays open (and
        must still be closed). Link types that cannot be detached
        (perf_event, iter, ...) raise OSError(EOPNOTSUPP)."""
        raw.bpf_link__detach(self._live())

    def disconnect(self) -> None:
        """Makes :meth:`close` leave the attachment in place: the fd is not
        closed (it stays open until the process exits) and a pin stays."""
        raw.bpf_link__disconnect(self._live())

    def open_iter(self) -> io.FileIO:
        """For iterator links: a new binary file whose reads run the
        iterator (``bpf_iter_create``). Close it when done."""
        return io.FileIO(raw.bpf_iter_create(self.fd), "rb", closefd=True)

    def close(self) -> None:
        """Releases the link object (``bpf_link__destroy``): closes its fd,
        which detaches the program unless the link is pinned, another fd
        refers to it, or :meth:`disconnect` was called. Calling it again
        does nothing. The object is released even if this raises."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            raw.bpf_link__destroy(ptr)

    def __enter__(self) -> "Link":
        self._live()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_ptr", None) is not None:
            warnings.warn(f"unclosed {self!r}", ResourceWarning, stacklevel=2)
            try:
                self.close()
            except Exception:
                pass

    def __repr__(self) -> str:
        if self._ptr is None:
            return "<bpflink.Link closed>"
        try:
            i = self.info
            return f"<bpflink.Link fd={self.fd} id={i.id} type={i.type_name} prog_id={i.prog_id}>"
        except Exception:
            return "<bpflink.Link>"


# --- link_create -------------------------------------------------------------------

_RELATIVE = ("relative_fd", "relative_id", "expected_revision", "before", "after")

#: Which typed options each family of attach types takes (besides the
#: ``flags`` and ``target_btf_id`` every type takes).
_FAMILY_OPTIONS: dict[str, tuple[str, ...]] = {
    "cgroup": _RELATIVE,
    "tcx": _RELATIVE,
    "netkit": _RELATIVE,
    "perf_event": ("cookie",),
    "tracing": ("cookie",),
    "netfilter": ("pf", "hooknum", "priority"),
    "uprobe_multi": ("path", "offsets", "ref_ctr_offsets", "cookies", "pid", "retprobe", "path_fd"),
    "kprobe_multi": ("syms", "addrs", "cookies", "retprobe"),
    "tracing_multi": ("ids", "cookies"),
    "iter": ("map_fd", "cgroup_fd", "cgroup_id", "order", "tid", "pid", "pid_fd"),
    "xdp": (),
    "other": (),
}

_IFINDEX_FAMILIES = ("xdp", "tcx", "netkit")


def attach_family(attach_type: int) -> str:
    """The group of attach types ``attach_type`` belongs to, which decides
    the options :func:`link_create` takes: "cgroup", "tcx", "netkit",
    "perf_event", "tracing", "netfilter", "uprobe_multi", "kprobe_multi",
    "tracing_multi" (libbpf 1.8's fentry/fexit/fsession multi types),
    "iter", "xdp" or "other"."""
    name = enum_name(AttachType, attach_type)
    if name.startswith("BPF_CGROUP_") or name == "BPF_LSM_CGROUP":
        return "cgroup"
    if name.startswith("BPF_TCX_"):
        return "tcx"
    if name.startswith("BPF_NETKIT_"):
        return "netkit"
    if name == "BPF_PERF_EVENT":
        return "perf_event"
    if name in ("BPF_TRACE_RAW_TP", "BPF_TRACE_FENTRY", "BPF_TRACE_FEXIT", "BPF_MODIFY_RETURN",
                "BPF_TRACE_FSESSION", "BPF_LSM_MAC"):
        return "tracing"
    if name == "BPF_NETFILTER":
        return "netfilter"
    if name in ("BPF_TRACE_UPROBE_MULTI", "BPF_TRACE_UPROBE_SESSION"):
        return "uprobe_multi"
    if name in ("BPF_TRACE_KPROBE_MULTI", "BPF_TRACE_KPROBE_SESSION"):
        return "kprobe_multi"
    if name in ("BPF_TRACE_FENTRY_MULTI", "BPF_TRACE_FEXIT_MULTI", "BPF_TRACE_FSESSION_MULTI"):
        return "tracing_multi"
    if name == "BPF_TRACE_ITER":
        return "iter"
    if name == "BPF_XDP":
        return "xdp"
    return "other"


def _uint(name: str, value: Any, bits: int = 32) -> int:
    """``value`` checked to be an unsigned int of ``bits`` bits."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"link_create(): {name} must be an int, not {type(value).__name__}")
    if not 0 <= value < (1 << bits):
        raise ValueError(f"link_create(): {name}={value} is out of range for a u{bits}")
    return value


def _ints(name: str, values: Any, bits: int = 64) -> list[int]:
    """A sequence of unsigned ints, checked, as a list."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"link_create(): {name} must be a sequence of ints")
    return [_uint(f"{name}[{i}]", v, bits) for i, v in enumerate(values)]


def _resolve_target(target: Any, family: str, closers: list[int]) -> int:
    """The target_fd argument: ints and fileno() objects as they are, None
    as 0, an interface name (for XDP/tcx/netkit) as its ifindex, and a path
    (cgroup directory, netns file, ...) opened read-only for the call."""
    if target is None:
        return 0
    if isinstance(target, (str, bytes, os.PathLike)):
        if family in _IFINDEX_FAMILIES:
            name = os.fsdecode(target)
            try:
                return socket.if_nametoindex(name)
            except OSError as e:
                raise OSError(e.errno or _errno.ENODEV, f"link_create: no interface {name!r}") from None
        fd = os.open(target, os.O_RDONLY | os.O_CLOEXEC)
        closers.append(fd)
        return fd
    if isinstance(target, bool):
        raise TypeError("link_create(): target must be an fd, an ifindex, a path or an interface name")
    if isinstance(target, int):
        return _uint("target", target)
    return _fd(target, "target")


def build_create_opts(attach_type: int, options: dict[str, Any],
                      keep: list[Any]) -> Optional[raw.bpf_link_create_opts]:
    """Checks ``options`` against ``attach_type`` and builds the C options
    (None when there are none). Arrays and strings the options point to are
    appended to ``keep``; they must outlive the bpf_link_create call.

    Raises TypeError for an option that does not belong to the attach type
    and ValueError for values that contradict each other.
    """
    family = attach_family(attach_type)
    allowed = ("flags", "target_btf_id") + _FAMILY_OPTIONS[family]
    for name in options:
        if name not in allowed:
            others = sorted(f for f, opts in _FAMILY_OPTIONS.items() if name in opts)
            where = f" (it belongs to {', '.join(others)} attach types)" if others else ""
            raise TypeError(
                f"link_create(): option {name!r} does not apply to {enum_name(AttachType, attach_type)}"
                f"{where}; allowed: {', '.join(allowed)}"
            )
    if not options:
        return None
    o = dict(options)
    opts = raw.bpf_link_create_opts()
    flags = _uint("flags", o.pop("flags", 0))
    if "target_btf_id" in o:
        opts.target_btf_id = _uint("target_btf_id", o.pop("target_btf_id"))
        if o:
            raise ValueError(f"link_create(): target_btf_id cannot be combined with {', '.join(o)}")

    if family in ("cgroup", "tcx", "netkit"):
        member = getattr(opts, family)
        before, after = o.pop("before", None), o.pop("after", None)
        before = False if before is None else before
        after = False if after is None else after
        rel_fd, rel_id = o.pop("relative_fd", None), o.pop("relative_id", None)
        if before is not False and after is not False:
            raise ValueError("link_create(): before and after are exclusive")
        if rel_fd is not None and rel_id is not None:
            raise ValueError("link_create(): relative_fd and relative_id are exclusive")
        anchor = before if before is not False else after
        if anchor is not False:
            flags |= BPF_F_BEFORE if before is not False else BPF_F_AFTER
            if isinstance(anchor, int) and not isinstance(anchor, bool):
                raise TypeError("link_create(): before/after take True or a Link; "
                                "give an anchor program as relative_fd= or relative_id=")
            if not isinstance(anchor, bool):  # a Link (or fileno() object) given as the anchor
                if rel_fd is not None or rel_id is not None:
                    raise ValueError("link_create(): an anchor link in before/after excludes relative_fd/_id")
                rel_fd = _fd(anchor, "before" if before is not False else "after")
                flags |= BPF_F_LINK
        if (rel_fd is not None or rel_id is not None) and not flags & (BPF_F_BEFORE | BPF_F_AFTER):
            raise ValueError("link_create(): relative_fd/relative_id need before=True or after=True")
        if rel_fd is not None:
            member.relative_fd = _fd(rel_fd, "relative_fd")
        if rel_id is not None:
            member.relative_id = _uint("relative_id", rel_id)
        if "expected_revision" in o:
            member.expected_revision = _uint("expected_revision", o.pop("expected_revision"), 64)
    elif family == "perf_event":
        if "cookie" in o:
            opts.perf_event.bpf_cookie = _uint("cookie", o.pop("cookie"), 64)
    elif family == "tracing":
        if "cookie" in o:
            opts.tracing.cookie = _uint("cookie", o.pop("cookie"), 64)
    elif family == "netfilter":
        nf = opts.netfilter
        nf.pf = _uint("pf", o.pop("pf", 0))
        nf.hooknum = _uint("hooknum", o.pop("hooknum", 0))
        priority = o.pop("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int) or not -(1 << 31) <= priority < (1 << 31):
            raise ValueError(f"link_create(): priority={priority!r} is not an s32")
        nf.priority = priority
        # For netfilter, `flags` are the hook's flags (BPF_F_NETFILTER_IP_DEFRAG):
        # the kernel takes no link-level flags there.
        nf.flags, flags = flags, 0
    elif family == "uprobe_multi":
        um = opts.uprobe_multi
        if "path" not in o or "offsets" not in o:
            raise ValueError("link_create(): uprobe_multi needs path and offsets")
        path = os.fsencode(o.pop("path"))
        offsets = _ints("offsets", o.pop("offsets"))
        if not offsets:
            raise ValueError("link_create(): offsets is empty")
        um.cnt = len(offsets)
        keep.append(path)
        um.path = path
        um.offsets = _array(ctypes.c_ulong, offsets, keep)
        um.ref_ctr_offsets = _array_option(o, "ref_ctr_offsets", ctypes.c_ulong, len(offsets),
                                           "offset", keep)
        um.cookies = _array_option(o, "cookies", ctypes.c_uint64, len(offsets), "offset", keep)
        um.pid = _uint("pid", o.pop("pid", 0))
        if "path_fd" in o:
            # libbpf 1.8's path_fd: the caller also sets
            # BPF_F_UPROBE_MULTI_PATH_FD in flags, as with libbpf.
            um.path_fd = _fd(o.pop("path_fd"), "path_fd")
        # For uprobe_multi, `flags` are the probes' flags
        # (BPF_F_UPROBE_MULTI_PATH_FD): the kernel takes no link-level
        # flags there.
        um.flags, flags = flags, 0
        if o.pop("retprobe", False):
            um.flags |= BPF_F_UPROBE_MULTI_RETURN
    elif family == "kprobe_multi":
        km = opts.kprobe_multi
        syms, addrs = o.pop("syms", None), o.pop("addrs", None)
        if (syms is None) == (addrs is None):
            raise ValueError("link_create(): kprobe_multi needs exactly one of syms and addrs")
        if syms is not None:
            if isinstance(syms, (str, bytes)) or not isinstance(syms, Sequence) or not syms:
                raise TypeError("link_create(): syms must be a non-empty sequence of names")
            names = [s if isinstance(s, bytes) else str(s).encode() for s in syms]
            keep.extend(names)
            km.syms = _array(ctypes.c_char_p, names, keep)
            km.cnt = len(names)
        else:
            values = _ints("addrs", addrs)
            if not values:
                raise ValueError("link_create(): addrs is empty")
            km.addrs = _array(ctypes.c_ulong, values, keep)
            km.cnt = len(values)
        km.cookies = _array_option(o, "cookies", ctypes.c_uint64, km.cnt, "function", keep)
        if o.pop("retprobe", False):
            km.flags = BPF_F_KPROBE_MULTI_RETURN
    elif family == "tracing_multi":
        tm = opts.tracing_multi
        if "ids" not in o:
            raise ValueError("link_create(): tracing_multi needs ids")
        ids = _ints("ids", o.pop("ids"), 32)
        if not ids:
            raise ValueError("link_create(): ids is empty")
        tm.ids = _array(ctypes.c_uint32, ids, keep)
        tm.cnt = len(ids)
        tm.cookies = _array_option(o, "cookies", ctypes.c_uint64, len(ids), "id", keep)
    elif family == "iter":
        _iter_info(opts, o, keep)
    opts.flags = flags
    return opts


def _array(ctype: Any, values: Sequence[Any], keep: list[Any]) -> Any:
    """A C array of ``values`` (kept in ``keep``) as a pointer to its first item."""
    arr = (ctype * len(values))(*values)
    keep.append(arr)
    return ctypes.cast(arr, ctypes.POINTER(ctype))


def _array_option(o: dict[str, Any], name: str, ctype: Any, count: int, what: str,
                  keep: list[Any]) -> Any:
    """The optional array option ``name`` taken from ``o``: one unsigned
    int per ``what`` (``count`` of them), as a C array kept in ``keep``;
    None (a NULL pointer) when it is not given."""
    if name not in o:
        return None
    values = _ints(name, o.pop(name))
    if len(values) != count:
        raise ValueError(f"link_create(): {name} must have one entry per {what}")
    return _array(ctype, values, keep)


def _iter_info(opts: raw.bpf_link_create_opts, o: dict[str, Any], keep: list[Any]) -> None:
    """Fills ``iter_info`` from map_fd / cgroup_fd, cgroup_id, order /
    tid, pid, pid_fd (one group at most)."""
    groups = {
        "map": [k for k in ("map_fd",) if k in o],
        "cgroup": [k for k in ("cgroup_fd", "cgroup_id", "order") if k in o],
        "task": [k for k in ("tid", "pid", "pid_fd") if k in o],
    }
    used = [g for g, keys in groups.items() if keys]
    if not used:
        return
    if len(used) > 1:
        raise ValueError(f"link_create(): iterator options of different targets: "
                         f"{', '.join(k for g in used for k in groups[g])}")
    li = raw.bpf_iter_link_info()
    if used == ["map"]:
        li.map.map_fd = _fd(o.pop("map_fd"), "map_fd")
    elif used == ["cgroup"]:
        if "cgroup_fd" in o and "cgroup_id" in o:
            raise ValueError("link_create(): cgroup_fd and cgroup_id are exclusive")
        if "cgroup_fd" in o:
            li.cgroup.cgroup_fd = _fd(o.pop("cgroup_fd"), "cgroup_fd")
        if "cgroup_id" in o:
            li.cgroup.cgroup_id = _uint("cgroup_id", o.pop("cgroup_id"), 64)
        li.cgroup.order = _uint("order", o.pop("order", 0))
    else:
        if len(groups["task"]) > 1:
            raise ValueError("link_create(): tid, pid and pid_fd are exclusive")
        key = groups["task"][0]
        setattr(li.task, key, _fd(o.pop(key), key) if key == "pid_fd" else _uint(key, o.pop(key)))
    keep.append(li)
    opts.iter_info = ctypes.pointer(li)
    opts.iter_info_len = ctypes.sizeof(li)


def link_create(prog: FdLike, target: Any, attach_type: int, **options: Any) -> Link:
    """Attaches a program and returns the :class:`Link` that holds it.

    ``prog``: the program's fd (for struct_ops: the map's). ``target``: the
    hook, as the attach type wants it: a cgroup directory or netns file (fd
    or path), an ifindex or interface name for XDP/tcx/netkit, a perf event
    fd, a map fd for sockmap types, None (0) for tracing and iterators.
    ``attach_type``: an ``AttachType`` / ``BPF_*`` int.

    Options, checked against the attach type (TypeError otherwise):

    * every type: ``flags`` (attach flags), ``target_btf_id`` (alone)
    * cgroup types, tcx, netkit: ``before`` / ``after`` (True, or a Link to
      use as the anchor), ``relative_fd`` / ``relative_id`` (an anchor
      program, or a link with ``flags=BPF_F_LINK``), ``expected_revision``
    * perf_event, tracing (raw_tp, fentry, ...): ``cookie``
    * netfilter: ``pf``, ``hooknum``, ``priority``, ``flags`` (here the
      netfilter flags, e.g. BPF_F_NETFILTER_IP_DEFRAG)
    * uprobe_multi: ``path``, ``offsets``, ``ref_ctr_offsets``, ``cookies``,
      ``pid``, ``retprobe``, ``path_fd`` (libbpf 1.8: ``path`` relative to
      this fd, with ``flags=BPF_F_UPROBE_MULTI_PATH_FD``, which is not set
      for you), ``flags`` (here the probes' flags: the kernel takes no
      link-level flags for these types)
    * kprobe_multi: ``syms`` or ``addrs``, ``cookies``, ``retprobe``
    * tracing_multi (libbpf 1.8's BPF_TRACE_FENTRY_MULTI, _FEXIT_MULTI,
      _FSESSION_MULTI): ``ids`` (BTF ids of the functions), ``cookies``
    * iter: ``map_fd``; or ``cgroup_fd`` / ``cgroup_id`` with ``order``; or
      one of ``tid``, ``pid``, ``pid_fd``

    Kernel and library refusals raise OSError(errno, "bpf_link_create: ...").
    """
    prog_fd = _fd(prog, "prog")
    attach = _uint("attach_type", int(attach_type))
    keep: list[Any] = []
    opts = build_create_opts(attach, options, keep)
    closers: list[int] = []
    try:
        target_fd = _resolve_target(target, attach_family(attach), closers)
        fd = raw.bpf_link_create(prog_fd, target_fd, attach, opts)
    finally:
        for c in closers:
            os.close(c)
    del keep
    try:
        return Link(raw.bpflink_link_from_fd(fd))
    except BaseException:
        os.close(fd)
        raise


# --- enumeration ---------------------------------------------------------------------


def link_ids() -> Iterator[int]:
    """The ids of all links on the system, in increasing order
    (``bpf_link_get_next_id``); needs CAP_SYS_ADMIN."""
    next_id = 0
    while True:
        try:
            next_id = raw.bpf_link_get_next_id(next_id)
        except FileNotFoundError:
            return
        yield next_id


#: How often :func:`links` asks again for a link that is still being set up.
_SETTLE_TRIES = 5


def _open_listed(link_id: int) -> Optional[int]:
    """An fd for a listed link, or None when it is not (or no longer) there.

    ENOENT: the link went away after it was listed. EAGAIN: another process
    is still creating it (the kernel has reserved the id but "pretends it
    does not exist yet"); asked again a few times, then skipped as well.
    """
    for attempt in range(_SETTLE_TRIES):
        try:
            return raw.bpf_link_get_fd_by_id(link_id)
        except FileNotFoundError:
            return None
        except BlockingIOError:
            time.sleep(0.001 * (attempt + 1))
    return None


def links() -> Iterator[LinkInfo]:
    """Every link on the system, as :class:`LinkInfo`, by increasing id.

    Each link is opened by id, asked about and closed again. Links that
    vanish between being listed and being opened (ENOENT) are skipped, and
    so are links another process is still creating (EAGAIN, after a few
    short retries). Other errors (EPERM without CAP_SYS_ADMIN) are raised.
    """
    for link_id in link_ids():
        fd = _open_listed(link_id)
        if fd is None:
            continue
        try:
            info = link_info_from_fd(fd)
        finally:
            os.close(fd)
        yield info


#: Another name for :func:`links`.
iter_links = links


# --- messages ------------------------------------------------------------------------

_print_lock = threading.Lock()
_print_installed: dict[int, tuple[Any, Optional[Callable[[int, str], Any]]]] = {}
_print_keep: list[Any] = []
_vsnprintf: Any = None


def _format(fmt: bytes, ap: int) -> str:
    """Formats a printf format and its va_list with the C library's vsnprintf."""
    global _vsnprintf
    if _vsnprintf is None:
        fn = ctypes.CDLL(None).vsnprintf
        fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
        fn.restype = ctypes.c_int
        _vsnprintf = fn
    buf = ctypes.create_string_buffer(8192)
    _vsnprintf(buf, len(buf), fmt, ap)
    return buf.value.decode("utf-8", "replace")


def set_print(fn: Optional[Callable[[int, str], Any]]) -> Any:
    """Sends the library's messages to ``fn(level, text)`` (``libbpf_set_print``).

    ``level`` is LIBBPF_WARN, LIBBPF_INFO or LIBBPF_DEBUG; ``text`` is the
    formatted message, starting with "libbpf: " and usually ending in a
    newline. ``None`` drops every message. Returns the previous callback:
    the Python function if it was installed here, else the C one as an
    opaque object. Either can be given back to ``set_print`` to restore it.
    Exceptions raised by ``fn`` are ignored.
    """
    if fn is None:
        c_fn = None
    elif isinstance(fn, raw.libbpf_print_fn_t):
        c_fn = fn
    else:
        def trampoline(level: int, fmt: bytes, ap: int, _fn: Callable[[int, str], Any] = fn) -> int:
            try:
                _fn(level, _format(fmt, ap))
            except Exception:
                pass
            return 0

        c_fn = raw.libbpf_print_fn_t(trampoline)
    with _print_lock:
        if c_fn is not None:
            _print_keep.append(c_fn)  # a C caller may still hold the old one
            addr = ctypes.cast(c_fn, ctypes.c_void_p).value or 0
            _print_installed[addr] = (c_fn, None if isinstance(fn, raw.libbpf_print_fn_t) else fn)
        previous = raw.libbpf_set_print(c_fn)
    prev_addr = ctypes.cast(previous, ctypes.c_void_p).value if previous else None
    if not prev_addr:
        return None
    known = _print_installed.get(prev_addr)
    if known is not None and known[1] is not None:
        return known[1]
    return previous
