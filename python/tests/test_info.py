"""Decoding struct bpf_link_info for the link types this kernel cannot make
(tracing, kprobe_multi, tracing_multi, struct_ops, netkit, kprobe perf
events, unknown types): a fake kernel fills the struct, both phases, as the real one does.
The types the kernel can make are decoded in test_link_create.py."""

from __future__ import annotations

import ctypes
import errno

import pytest

import bpflink
from bpflink import (
    BPF_F_KPROBE_MULTI_RETURN,
    BPF_NETKIT_PEER,
    BPF_PERF_EVENT_KRETPROBE,
    BPF_TRACE_FENTRY,
    BPF_TRACE_FENTRY_MULTI,
    BPF_TRACE_FEXIT_MULTI,
    BPF_TRACE_FSESSION_MULTI,
    AttachType,
    KprobeMultiLinkInfo,
    LinkType,
    NetkitLinkInfo,
    PerfEventLinkInfo,
    StructOpsLinkInfo,
    TracingLinkInfo,
    TracingMultiLinkInfo,
    UnknownLinkInfo,
    raw,
)
from bpflink.info import decode, link_info_from_fd


def put_string(address: int, size: int, text: bytes) -> None:
    data = text[: size - 1] + b"\0"
    ctypes.memmove(address, data, len(data))


def put_u64s(address: int, values: list[int]) -> None:
    arr = (ctypes.c_uint64 * len(values))(*values)
    ctypes.memmove(address, arr, ctypes.sizeof(arr))


def put_u32s(address: int, values: list[int]) -> None:
    arr = (ctypes.c_uint32 * len(values))(*values)
    ctypes.memmove(address, arr, ctypes.sizeof(arr))


class FakeKernel:
    """A stand-in for bpf_link_get_info_by_fd: ``fill(info)`` writes the
    fixed fields, ``buffers(info)`` the ones that go to caller buffers."""

    def __init__(self, fill, buffers=None, enospc_once=False):
        self.fill, self.buffers, self.calls, self.enospc = fill, buffers, [], enospc_once

    def __call__(self, fd: int, info: raw.bpf_link_info) -> None:
        self.calls.append(bytes(ctypes.string_at(ctypes.addressof(info), 64)))
        if self.enospc and len(self.calls) == 2:
            raise raw.error("bpf_link_get_info_by_fd", errno.ENOSPC)
        self.fill(info)
        if self.buffers:
            self.buffers(info)


def common(info, link_type, link_id=41, prog_id=7):
    info.type, info.id, info.prog_id = link_type, link_id, prog_id


def test_tracing():
    def fill(i):
        common(i, LinkType.BPF_LINK_TYPE_TRACING)
        i.tracing.attach_type, i.tracing.target_obj_id, i.tracing.target_btf_id = BPF_TRACE_FENTRY, 1, 2345
        i.tracing.cookie = 1 << 60

    kernel = FakeKernel(fill)
    info = link_info_from_fd(3, fetch=kernel)
    assert info == TracingLinkInfo(type=LinkType.BPF_LINK_TYPE_TRACING, id=41, prog_id=7, type_name="tracing",
                                   attach_type=BPF_TRACE_FENTRY, target_obj_id=1, target_btf_id=2345,
                                   cookie=1 << 60)
    assert info.attach_type is AttachType.BPF_TRACE_FENTRY
    assert len(kernel.calls) == 1  # nothing to fetch in a second call


def test_kprobe_multi_two_phases():
    addrs, cookies = [0xFFFFFFFF81000000, 0xFFFFFFFF81000100, 0xFFFFFFFF81000200], [7, 8, 9]

    def fill(i):
        common(i, LinkType.BPF_LINK_TYPE_KPROBE_MULTI)
        i.kprobe_multi.count, i.kprobe_multi.flags, i.kprobe_multi.missed = 3, BPF_F_KPROBE_MULTI_RETURN, 11

    def buffers(i):
        km = i.kprobe_multi
        if km.addrs:
            assert km.count >= 3
            put_u64s(km.addrs, addrs)
        if km.cookies:
            put_u64s(km.cookies, cookies)

    kernel = FakeKernel(fill, buffers)
    info = link_info_from_fd(3, fetch=kernel)
    assert isinstance(info, KprobeMultiLinkInfo) and info.type_name == "kprobe_multi"
    assert (info.count, info.flags, info.missed, info.addrs, info.cookies) == \
        (3, BPF_F_KPROBE_MULTI_RETURN, 11, addrs, cookies)
    assert len(kernel.calls) == 2
    assert kernel.calls[0] == bytes(64), "the first call asks with a zeroed struct"


def test_tracing_multi_two_phases():
    ids, addrs, cookies = [91234, 1005, 77], [0xFFFFFFFF81200000, 0, 0xFFFFFFFF81100040], [0, 42, 1 << 63]

    def fill(i):
        common(i, LinkType.BPF_LINK_TYPE_TRACING_MULTI)
        tm = i.tracing_multi
        tm.attach_type, tm.btf_obj_id = BPF_TRACE_FEXIT_MULTI, 1
        if not tm.ids:
            tm.count = 3

    def buffers(i):
        tm = i.tracing_multi
        if tm.ids:
            assert tm.count == 3 and tm.addrs and tm.cookies
            put_u32s(tm.ids, ids)
            put_u64s(tm.addrs, addrs)
            put_u64s(tm.cookies, cookies)

    kernel = FakeKernel(fill, buffers)
    info = link_info_from_fd(3, fetch=kernel)
    assert info == TracingMultiLinkInfo(type=LinkType.BPF_LINK_TYPE_TRACING_MULTI, id=41, prog_id=7,
                                        type_name="tracing_multi", attach_type=BPF_TRACE_FEXIT_MULTI,
                                        btf_obj_id=1, count=3, ids=ids, addrs=addrs, cookies=cookies)
    assert info.type is LinkType.BPF_LINK_TYPE_TRACING_MULTI
    assert info.attach_type is AttachType.BPF_TRACE_FEXIT_MULTI
    assert len(kernel.calls) == 2
    # The second call asks for exactly count of each, at the uapi offsets
    # (union at 16: count at +4, ids at +16, addrs at +24, cookies at +32).
    second = kernel.calls[1]
    assert int.from_bytes(second[20:24], "little") == 3
    assert all(int.from_bytes(second[o:o + 8], "little") for o in (32, 40, 48))
    assert second[16:20] == bytes(4) and second[24:28] == bytes(4), "only count is an input"


def test_tracing_multi_decodes_the_arrays_it_was_given():
    # The ids are u32 (the addresses and cookies u64); an array missing from
    # the second call's buffers comes out empty.
    i = raw.bpf_link_info()
    common(i, LinkType.BPF_LINK_TYPE_TRACING_MULTI)
    i.tracing_multi.count = 3
    ids = (ctypes.c_uint32 * 3)(7, 8, 9)
    i.tracing_multi.ids = ctypes.addressof(ids)
    info = decode(i, {"ids": ids})
    assert (info.ids, info.addrs, info.cookies) == ([7, 8, 9], [], [])


def test_tracing_multi_without_functions():
    def fill(i):
        common(i, LinkType.BPF_LINK_TYPE_TRACING_MULTI)
        i.tracing_multi.attach_type = BPF_TRACE_FSESSION_MULTI

    kernel = FakeKernel(fill)
    info = link_info_from_fd(3, fetch=kernel)
    assert info == TracingMultiLinkInfo(type=15, id=41, prog_id=7, type_name="tracing_multi",
                                        attach_type=BPF_TRACE_FSESSION_MULTI)
    assert (info.count, info.ids, info.addrs, info.cookies) == (0, [], [], [])
    assert len(kernel.calls) == 1  # count 0: no second call
    assert info.as_dict() == {"type": 15, "id": 41, "prog_id": 7, "type_name": "tracing_multi",
                              "attach_type": 61, "btf_obj_id": 0, "count": 0, "ids": [], "addrs": [],
                              "cookies": []}


def test_tracing_multi_first_answer_alone():
    # decode() without the second call's buffers: the count, no arrays; an
    # attach type this package does not know stays a plain int.
    i = raw.bpf_link_info()
    common(i, LinkType.BPF_LINK_TYPE_TRACING_MULTI)
    i.tracing_multi.attach_type, i.tracing_multi.count, i.tracing_multi.btf_obj_id = BPF_TRACE_FENTRY_MULTI, 2, 5
    info = decode(i)
    assert (info.attach_type, info.btf_obj_id, info.count, info.ids, info.addrs, info.cookies) == \
        (AttachType.BPF_TRACE_FENTRY_MULTI, 5, 2, [], [], [])
    i.tracing_multi.attach_type = 400
    info = decode(i)
    assert info.attach_type == 400 and type(info.attach_type) is int


def test_second_phase_retried_after_enospc():
    def fill(i):
        common(i, LinkType.BPF_LINK_TYPE_KPROBE_MULTI)
        i.kprobe_multi.count = 1

    def buffers(i):
        if i.kprobe_multi.addrs:
            put_u64s(i.kprobe_multi.addrs, [5])

    kernel = FakeKernel(fill, buffers, enospc_once=True)
    assert link_info_from_fd(3, fetch=kernel).addrs == [5]
    assert len(kernel.calls) == 4


def test_perf_event_kretprobe_name():
    def fill(i):
        common(i, LinkType.BPF_LINK_TYPE_PERF_EVENT)
        p = i.perf_event
        p.type = BPF_PERF_EVENT_KRETPROBE
        p.kprobe.offset, p.kprobe.addr, p.kprobe.missed, p.kprobe.cookie = 4, 0xFFFF0000, 2, 99
        if not p.kprobe.func_name:
            p.kprobe.name_len = len("vfs_read") + 1

    def buffers(i):
        k = i.perf_event.kprobe
        if k.func_name:
            put_string(k.func_name, k.name_len, b"vfs_read")

    info = link_info_from_fd(3, fetch=FakeKernel(fill, buffers))
    assert isinstance(info, PerfEventLinkInfo)
    assert (info.perf_event_type, info.name, info.offset, info.addr, info.missed, info.cookie) == \
        (BPF_PERF_EVENT_KRETPROBE, "vfs_read", 4, 0xFFFF0000, 2, 99)
    assert info.event_type is None and info.config is None


def test_struct_ops_netkit_and_unknown():
    i = raw.bpf_link_info()
    common(i, LinkType.BPF_LINK_TYPE_STRUCT_OPS)
    i.struct_ops.map_id = 12
    assert decode(i) == StructOpsLinkInfo(type=9, id=41, prog_id=7, type_name="struct_ops", map_id=12)

    i = raw.bpf_link_info()
    common(i, LinkType.BPF_LINK_TYPE_NETKIT)
    i.netkit.ifindex, i.netkit.attach_type = 4, BPF_NETKIT_PEER
    assert decode(i) == NetkitLinkInfo(type=13, id=41, prog_id=7, type_name="netkit", ifindex=4,
                                       attach_type=BPF_NETKIT_PEER)

    i = raw.bpf_link_info()
    common(i, 99)
    i.xdp.ifindex = 0x01020304
    info = decode(i)
    assert type(info) is UnknownLinkInfo
    assert (info.type, info.type_name, info.id) == (99, "99", 41)
    assert type(info.type) is int
    assert info.raw == bytes([4, 3, 2, 1]) + bytes(44)


def test_unknown_attach_type_number_kept():
    i = raw.bpf_link_info()
    common(i, LinkType.BPF_LINK_TYPE_TCX)
    i.tcx.ifindex, i.tcx.attach_type = 1, 500
    info = decode(i)
    assert info.attach_type == 500 and type(info.attach_type) is int


def test_as_dict_is_plain():
    i = raw.bpf_link_info()
    common(i, LinkType.BPF_LINK_TYPE_CGROUP)
    i.cgroup.cgroup_id, i.cgroup.attach_type = 5, 1
    d = decode(i).as_dict()
    assert d == {"type": 3, "id": 41, "prog_id": 7, "type_name": "cgroup", "cgroup_id": 5, "attach_type": 1}
    assert all(type(v) in (int, str) for v in d.values())


def test_link_type_name():
    assert bpflink.link_type_name(3) == "cgroup"
    assert bpflink.link_type_name(LinkType.BPF_LINK_TYPE_TCX) == "tcx"
    assert bpflink.link_type_name(0) == "unspec"
    assert bpflink.link_type_name(15) == "tracing_multi"
    assert bpflink.link_type_name(1234) == "1234"


@pytest.mark.kernel
def test_info_of_a_non_link_fd(fds):
    import os
    fds.append(os.open("/dev/null", os.O_RDONLY))
    with pytest.raises(OSError) as e:
        link_info_from_fd(fds[-1])
    assert (e.value.errno, e.value.function) == (errno.EINVAL, "bpf_link_get_info_by_fd")
