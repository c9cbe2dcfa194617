"""Numeric constants of the kernel's BPF uapi used by the link API.

Every constant is a plain ``int`` with the name and value it has in
``<linux/bpf.h>`` (the copy shipped with libbpf v1.7.0, plus the few that
libbpf 1.8's copy adds: the ``tracing_multi`` link type and its three
attach types), so values go straight to the raw layer and compare equal to
what the kernel reports.

:class:`AttachType`, :class:`LinkType`, :class:`PerfEventType` and
:class:`CgroupIterOrder` are :class:`enum.IntEnum` views of the same
numbers for display (``AttachType(46).name == "BPF_TCX_INGRESS"``); their
members are ints too, and every function of the package accepts either.
Use :func:`enum_name` to print a number that may be unknown.
"""

from __future__ import annotations

import enum as _enum


def _since(mark: dict[str, object]) -> dict[str, int]:
    """The int constants defined in this module after ``mark`` was taken."""
    return {k: v for k, v in globals().items() if k not in mark and isinstance(v, int)}


# --- enum bpf_attach_type -----------------------------------------------------
_mark = dict(globals())
BPF_CGROUP_INET_INGRESS = 0
BPF_CGROUP_INET_EGRESS = 1
BPF_CGROUP_INET_SOCK_CREATE = 2
BPF_CGROUP_SOCK_OPS = 3
BPF_SK_SKB_STREAM_PARSER = 4
BPF_SK_SKB_STREAM_VERDICT = 5
BPF_CGROUP_DEVICE = 6
BPF_SK_MSG_VERDICT = 7
BPF_CGROUP_INET4_BIND = 8
BPF_CGROUP_INET6_BIND = 9
BPF_CGROUP_INET4_CONNECT = 10
BPF_CGROUP_INET6_CONNECT = 11
BPF_CGROUP_INET4_POST_BIND = 12
BPF_CGROUP_INET6_POST_BIND = 13
BPF_CGROUP_UDP4_SENDMSG = 14
BPF_CGROUP_UDP6_SENDMSG = 15
BPF_LIRC_MODE2 = 16
BPF_FLOW_DISSECTOR = 17
BPF_CGROUP_SYSCTL = 18
BPF_CGROUP_UDP4_RECVMSG = 19
BPF_CGROUP_UDP6_RECVMSG = 20
BPF_CGROUP_GETSOCKOPT = 21
BPF_CGROUP_SETSOCKOPT = 22
BPF_TRACE_RAW_TP = 23
BPF_TRACE_FENTRY = 24
BPF_TRACE_FEXIT = 25
BPF_MODIFY_RETURN = 26
BPF_LSM_MAC = 27
BPF_TRACE_ITER = 28
BPF_CGROUP_INET4_GETPEERNAME = 29
BPF_CGROUP_INET6_GETPEERNAME = 30
BPF_CGROUP_INET4_GETSOCKNAME = 31
BPF_CGROUP_INET6_GETSOCKNAME = 32
BPF_XDP_DEVMAP = 33
BPF_CGROUP_INET_SOCK_RELEASE = 34
BPF_XDP_CPUMAP = 35
BPF_SK_LOOKUP = 36
BPF_XDP = 37
BPF_SK_SKB_VERDICT = 38
BPF_SK_REUSEPORT_SELECT = 39
BPF_SK_REUSEPORT_SELECT_OR_MIGRATE = 40
BPF_PERF_EVENT = 41
BPF_TRACE_KPROBE_MULTI = 42
BPF_LSM_CGROUP = 43
BPF_STRUCT_OPS = 44
BPF_NETFILTER = 45
BPF_TCX_INGRESS = 46
BPF_TCX_EGRESS = 47
BPF_TRACE_UPROBE_MULTI = 48
BPF_CGROUP_UNIX_CONNECT = 49
BPF_CGROUP_UNIX_SENDMSG = 50
BPF_CGROUP_UNIX_RECVMSG = 51
BPF_CGROUP_UNIX_GETPEERNAME = 52
BPF_CGROUP_UNIX_GETSOCKNAME = 53
BPF_NETKIT_PRIMARY = 54
BPF_NETKIT_PEER = 55
BPF_TRACE_KPROBE_SESSION = 56
BPF_TRACE_UPROBE_SESSION = 57
BPF_TRACE_FSESSION = 58
# Added by libbpf 1.8's uapi header (tracing_multi links).
BPF_TRACE_FENTRY_MULTI = 59
BPF_TRACE_FEXIT_MULTI = 60
BPF_TRACE_FSESSION_MULTI = 61
AttachType = _enum.IntEnum("AttachType", _since(_mark), module=__name__)
AttachType.__doc__ = "enum bpf_attach_type: the hook a program is attached to."

# --- enum bpf_link_type -------------------------------------------------------
_mark = dict(globals())
BPF_LINK_TYPE_UNSPEC = 0
BPF_LINK_TYPE_RAW_TRACEPOINT = 1
BPF_LINK_TYPE_TRACING = 2
BPF_LINK_TYPE_CGROUP = 3
BPF_LINK_TYPE_ITER = 4
BPF_LINK_TYPE_NETNS = 5
BPF_LINK_TYPE_XDP = 6
BPF_LINK_TYPE_PERF_EVENT = 7
BPF_LINK_TYPE_KPROBE_MULTI = 8
BPF_LINK_TYPE_STRUCT_OPS = 9
BPF_LINK_TYPE_NETFILTER = 10
BPF_LINK_TYPE_TCX = 11
BPF_LINK_TYPE_UPROBE_MULTI = 12
BPF_LINK_TYPE_NETKIT = 13
BPF_LINK_TYPE_SOCKMAP = 14
# Added by libbpf 1.8's uapi header.
BPF_LINK_TYPE_TRACING_MULTI = 15
LinkType = _enum.IntEnum("LinkType", _since(_mark), module=__name__)
LinkType.__doc__ = "enum bpf_link_type: the kind of a link, as bpf_link_info.type reports it."

# --- enum bpf_perf_event_type (bpf_link_info.perf_event.type) -----------------
_mark = dict(globals())
BPF_PERF_EVENT_UNSPEC = 0
BPF_PERF_EVENT_UPROBE = 1
BPF_PERF_EVENT_URETPROBE = 2
BPF_PERF_EVENT_KPROBE = 3
BPF_PERF_EVENT_KRETPROBE = 4
BPF_PERF_EVENT_TRACEPOINT = 5
BPF_PERF_EVENT_EVENT = 6
PerfEventType = _enum.IntEnum("PerfEventType", _since(_mark), module=__name__)
PerfEventType.__doc__ = "enum bpf_perf_event_type: what a perf_event link is attached to."

# --- enum bpf_cgroup_iter_order (cgroup iterators) ----------------------------
_mark = dict(globals())
BPF_CGROUP_ITER_ORDER_UNSPEC = 0
BPF_CGROUP_ITER_SELF_ONLY = 1
BPF_CGROUP_ITER_DESCENDANTS_PRE = 2
BPF_CGROUP_ITER_DESCENDANTS_POST = 3
BPF_CGROUP_ITER_ANCESTORS_UP = 4
BPF_CGROUP_ITER_CHILDREN = 5
CgroupIterOrder = _enum.IntEnum("CgroupIterOrder", _since(_mark), module=__name__)
CgroupIterOrder.__doc__ = "enum bpf_cgroup_iter_order: how a cgroup iterator walks."

del _mark

# --- attach flags (bpf_link_create_opts.flags, bpf_link_update_opts.flags) ----
BPF_F_ALLOW_OVERRIDE = 1 << 0
BPF_F_ALLOW_MULTI = 1 << 1
BPF_F_REPLACE = 1 << 2
BPF_F_BEFORE = 1 << 3
BPF_F_AFTER = 1 << 4
BPF_F_ID = 1 << 5
BPF_F_LINK = 1 << 13

# --- per-type flags -----------------------------------------------------------
#: kprobe_multi.flags: probe the functions' returns instead of their entries.
BPF_F_KPROBE_MULTI_RETURN = 1 << 0
#: uprobe_multi.flags: probe the functions' returns instead of the offsets.
BPF_F_UPROBE_MULTI_RETURN = 1 << 0
#: uprobe_multi.flags: the kernel opens ``path`` relative to
#: ``uprobe_multi.path_fd`` (libbpf 1.8's uapi; the caller sets it).
BPF_F_UPROBE_MULTI_PATH_FD = 1 << 1
#: netfilter.flags: the program sees defragmented packets.
BPF_F_NETFILTER_IP_DEFRAG = 1 << 0

# --- XDP attach flags (<linux/if_link.h>) -------------------------------------
XDP_FLAGS_UPDATE_IF_NOEXIST = 1 << 0
XDP_FLAGS_SKB_MODE = 1 << 1
XDP_FLAGS_DRV_MODE = 1 << 2
XDP_FLAGS_HW_MODE = 1 << 3
XDP_FLAGS_REPLACE = 1 << 4

# --- netfilter protocol families and hooks (<linux/netfilter.h>) --------------
NFPROTO_IPV4 = 2
NFPROTO_IPV6 = 10
NF_INET_PRE_ROUTING = 0
NF_INET_LOCAL_IN = 1
NF_INET_FORWARD = 2
NF_INET_LOCAL_OUT = 3
NF_INET_POST_ROUTING = 4

# --- message levels of libbpf_set_print callbacks (enum libbpf_print_level) ---
LIBBPF_WARN = 0
LIBBPF_INFO = 1
LIBBPF_DEBUG = 2


def enum_name(enum_type: type[_enum.IntEnum], value: int) -> str:
    """The member name of ``value`` in ``enum_type``, or the number as text.

    >>> enum_name(AttachType, 37)
    'BPF_XDP'
    >>> enum_name(AttachType, 999)
    '999'
    """
    try:
        return enum_type(value).name
    except ValueError:
        return str(int(value))


def as_enum(enum_type: type[_enum.IntEnum], value: int) -> int:
    """``value`` as a member of ``enum_type`` when it is one, else the plain int."""
    try:
        return enum_type(value)
    except ValueError:
        return int(value)


__all__ = [
    name for name, value in list(globals().items())
    if not name.startswith("_") and (isinstance(value, int) or name in (
        "AttachType", "LinkType", "PerfEventType", "CgroupIterOrder", "enum_name", "as_enum"))
]
