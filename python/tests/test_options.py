"""link_create()'s typed options, checked and turned into the C struct in
Python (no kernel needed)."""

from __future__ import annotations

import ctypes

import pytest

import bpflink
from bpflink import (
    BPF_CGROUP_INET4_CONNECT,
    BPF_CGROUP_INET_INGRESS,
    BPF_F_AFTER,
    BPF_F_BEFORE,
    BPF_F_KPROBE_MULTI_RETURN,
    BPF_F_LINK,
    BPF_F_NETFILTER_IP_DEFRAG,
    BPF_F_UPROBE_MULTI_PATH_FD,
    BPF_F_UPROBE_MULTI_RETURN,
    BPF_LSM_CGROUP,
    BPF_NETFILTER,
    BPF_NETKIT_PEER,
    BPF_PERF_EVENT,
    BPF_SK_LOOKUP,
    BPF_TCX_EGRESS,
    BPF_TCX_INGRESS,
    BPF_TRACE_FENTRY,
    BPF_TRACE_FENTRY_MULTI,
    BPF_TRACE_FEXIT_MULTI,
    BPF_TRACE_FSESSION_MULTI,
    BPF_TRACE_ITER,
    BPF_TRACE_KPROBE_MULTI,
    BPF_TRACE_KPROBE_SESSION,
    BPF_TRACE_RAW_TP,
    BPF_TRACE_UPROBE_MULTI,
    BPF_TRACE_UPROBE_SESSION,
    BPF_XDP,
    XDP_FLAGS_SKB_MODE,
    AttachType,
    attach_family,
)
from bpflink.link import build_create_opts


def build(attach_type, **options):
    keep: list = []
    return build_create_opts(attach_type, options, keep), keep


def opts_bytes(opts) -> bytes:
    """The 80 bytes of a bpf_link_create_opts, as bpf_link_create reads them."""
    return ctypes.string_at(ctypes.addressof(opts), ctypes.sizeof(opts))


def u32(b: bytes, off: int) -> int:
    return int.from_bytes(b[off:off + 4], "little")


def u64(b: bytes, off: int) -> int:
    return int.from_bytes(b[off:off + 8], "little")


class Anchor:
    """Stands in for a Link given as before=/after=."""

    def fileno(self):
        return 42


def test_families():
    assert attach_family(BPF_TCX_INGRESS) == attach_family(BPF_TCX_EGRESS) == "tcx"
    assert attach_family(BPF_NETKIT_PEER) == "netkit"
    assert attach_family(BPF_LSM_CGROUP) == "cgroup"
    assert attach_family(BPF_TRACE_UPROBE_SESSION) == "uprobe_multi"
    assert attach_family(BPF_TRACE_KPROBE_SESSION) == "kprobe_multi"
    assert attach_family(BPF_TRACE_RAW_TP) == attach_family(BPF_TRACE_FENTRY) == "tracing"
    assert attach_family(BPF_TRACE_FENTRY_MULTI) == attach_family(BPF_TRACE_FEXIT_MULTI) == \
        attach_family(BPF_TRACE_FSESSION_MULTI) == "tracing_multi"
    assert attach_family(BPF_SK_LOOKUP) == "other"
    assert attach_family(9999) == "other"
    for t in AttachType:
        if t.name.startswith("BPF_CGROUP_"):
            assert attach_family(t) == "cgroup", t


def test_no_options_means_null():
    assert build(BPF_XDP) == (None, [])


def test_flags_and_target_btf_id_everywhere():
    opts, _ = build(BPF_XDP, flags=XDP_FLAGS_SKB_MODE)
    assert (opts.sz, opts.flags) == (80, XDP_FLAGS_SKB_MODE)
    opts, _ = build(BPF_CGROUP_INET_INGRESS, target_btf_id=77)
    assert opts.target_btf_id == 77
    with pytest.raises(ValueError, match="target_btf_id cannot be combined"):
        build(BPF_TCX_INGRESS, target_btf_id=77, expected_revision=1)


def test_option_of_another_attach_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"'cookie' does not apply to BPF_XDP \(it belongs to perf_event, "
                                        r"tracing attach types\); allowed: flags, target_btf_id"):
        build(BPF_XDP, cookie=1)
    with pytest.raises(TypeError, match="'nonsense' does not apply to BPF_TCX_INGRESS; allowed: flags, "
                                        "target_btf_id, relative_fd"):
        build(BPF_TCX_INGRESS, nonsense=1)
    with pytest.raises(TypeError, match="'relative_fd' does not apply to BPF_PERF_EVENT"):
        build(BPF_PERF_EVENT, relative_fd=3)


@pytest.mark.parametrize("attach_type,member", [
    (BPF_TCX_INGRESS, "tcx"), (BPF_NETKIT_PEER, "netkit"), (BPF_CGROUP_INET4_CONNECT, "cgroup"),
])
def test_relative_options(attach_type, member):
    opts, _ = build(attach_type, before=True)
    assert opts.flags == BPF_F_BEFORE
    assert bytes(getattr(opts, member)) == bytes(16)
    opts, _ = build(attach_type, after=True, relative_fd=5, expected_revision=1 << 40)
    m = getattr(opts, member)
    assert (opts.flags, m.relative_fd, m.relative_id, m.expected_revision) == (BPF_F_AFTER, 5, 0, 1 << 40)
    opts, _ = build(attach_type, before=True, relative_id=9)
    m = getattr(opts, member)
    assert (opts.flags, m.relative_fd, m.relative_id) == (BPF_F_BEFORE, 0, 9)  # the C side adds BPF_F_ID
    opts, _ = build(attach_type, after=Anchor())
    m = getattr(opts, member)
    assert (opts.flags, m.relative_fd) == (BPF_F_AFTER | BPF_F_LINK, 42)
    opts, _ = build(attach_type, relative_id=3, flags=BPF_F_BEFORE | BPF_F_LINK)
    assert (opts.flags, getattr(opts, member).relative_id) == (BPF_F_BEFORE | BPF_F_LINK, 3)
    opts, _ = build(attach_type, expected_revision=4, before=None, after=False)
    assert (opts.flags, getattr(opts, member).expected_revision) == (0, 4)


@pytest.mark.parametrize("options,error,text", [
    (dict(before=True, after=True), ValueError, "exclusive"),
    (dict(before=True, relative_fd=1, relative_id=2), ValueError, "relative_fd and relative_id are exclusive"),
    (dict(relative_fd=3), ValueError, "need before=True or after=True"),
    (dict(before=Anchor(), relative_id=2), ValueError, "excludes relative_fd"),
    (dict(before=5), TypeError, "take True or a Link"),
    (dict(before=True, relative_id=-1), ValueError, "out of range"),
    (dict(expected_revision=1 << 64), ValueError, "out of range"),
    (dict(expected_revision="1"), TypeError, "must be an int"),
    (dict(flags=True), TypeError, "must be an int"),
])
def test_relative_option_errors(options, error, text):
    with pytest.raises(error, match=text):
        build(BPF_TCX_INGRESS, **options)


def test_cookies():
    opts, _ = build(BPF_PERF_EVENT, cookie=(1 << 64) - 1)
    assert opts.perf_event.bpf_cookie == (1 << 64) - 1
    opts, _ = build(BPF_TRACE_RAW_TP, cookie=3)
    assert opts.tracing.cookie == 3
    with pytest.raises(ValueError):
        build(BPF_PERF_EVENT, cookie=-1)


def test_netfilter_flags_are_the_hooks():
    opts, _ = build(BPF_NETFILTER, pf=2, hooknum=1, priority=-(1 << 31), flags=BPF_F_NETFILTER_IP_DEFRAG)
    nf = opts.netfilter
    assert (nf.pf, nf.hooknum, nf.priority, nf.flags, opts.flags) == (2, 1, -(1 << 31), 1, 0)
    with pytest.raises(ValueError, match="priority"):
        build(BPF_NETFILTER, priority=1 << 31)


def test_uprobe_multi_arrays_are_built_and_kept():
    opts, keep = build(BPF_TRACE_UPROBE_MULTI, path="/bin/true", offsets=[0x10, 0x20],
                       ref_ctr_offsets=[2, 4], cookies=[(1 << 64) - 1, 0], pid=123, retprobe=True)
    um = opts.uprobe_multi
    assert (um.cnt, um.path, um.pid, um.flags) == (2, b"/bin/true", 123, BPF_F_UPROBE_MULTI_RETURN)
    assert [um.offsets[i] for i in range(2)] == [0x10, 0x20]
    assert [um.ref_ctr_offsets[i] for i in range(2)] == [2, 4]
    assert [um.cookies[i] for i in range(2)] == [(1 << 64) - 1, 0]
    assert keep, "the arrays must be kept alive by the caller"
    opts, _ = build(BPF_TRACE_UPROBE_MULTI, path=b"/x", offsets=(1,))
    assert not opts.uprobe_multi.ref_ctr_offsets and not opts.uprobe_multi.cookies


def test_uprobe_multi_path_fd_bytes():
    """libbpf 1.8's path_fd lands at offset 76 (1.7.0's tail padding) and
    the flag only where the caller put it: flags go to uprobe_multi.flags
    (offset 32), never to the link-level flags (offset 8)."""
    opts, keep = build(BPF_TRACE_UPROBE_MULTI, path="true", offsets=[0x40], path_fd=7,
                       flags=BPF_F_UPROBE_MULTI_PATH_FD, pid=9)
    b = opts_bytes(opts)
    assert len(b) == 80 and u64(b, 0) == 80
    assert u32(b, 8) == 0, "no link-level flags for uprobe_multi"
    assert (u32(b, 32), u32(b, 36), u32(b, 72), u32(b, 76)) == (BPF_F_UPROBE_MULTI_PATH_FD, 1, 9, 7)
    assert ctypes.string_at(u64(b, 40)) == b"true"
    assert ctypes.cast(u64(b, 48), ctypes.POINTER(ctypes.c_ulong))[0] == 0x40
    assert (u64(b, 56), u64(b, 64)) == (0, 0)  # no ref_ctr_offsets, no cookies
    assert keep

    # The flag is the caller's to set, as with libbpf: path_fd alone sets none.
    opts, _ = build(BPF_TRACE_UPROBE_MULTI, path="true", offsets=[1], path_fd=Anchor())
    b = opts_bytes(opts)
    assert (u32(b, 32), u32(b, 76)) == (0, 42)
    opts, _ = build(BPF_TRACE_UPROBE_MULTI, path="true", offsets=[1], path_fd=0, retprobe=True,
                    flags=BPF_F_UPROBE_MULTI_PATH_FD)
    b = opts_bytes(opts)
    assert (u32(b, 8), u32(b, 32), u32(b, 76)) == (
        0, BPF_F_UPROBE_MULTI_PATH_FD | BPF_F_UPROBE_MULTI_RETURN, 0)
    # Without path_fd the bytes 76..80 stay zero (what a 1.7.0 caller sends).
    opts, _ = build(BPF_TRACE_UPROBE_MULTI, path="/bin/true", offsets=[1])
    assert opts_bytes(opts)[76:] == bytes(4)


@pytest.mark.parametrize("options,error,text", [
    (dict(path_fd=-1), ValueError, "negative fd"),
    (dict(path_fd="3"), TypeError, "expected an fd"),
    (dict(path_fd=True), TypeError, "bool"),
])
def test_uprobe_multi_path_fd_errors(options, error, text):
    with pytest.raises(error, match=text):
        build(BPF_TRACE_UPROBE_MULTI, path="x", offsets=[1], **options)


@pytest.mark.parametrize("attach_type", [BPF_TRACE_FENTRY_MULTI, BPF_TRACE_FEXIT_MULTI,
                                         BPF_TRACE_FSESSION_MULTI])
def test_tracing_multi_bytes(attach_type):
    """libbpf 1.8's tracing_multi member: ids at 32, cookies at 40, cnt at 48,
    nothing after it."""
    opts, keep = build(attach_type, ids=[11, 0xFFFFFFFF, 13], cookies=[1, 2, (1 << 64) - 1],
                       flags=5)
    b = opts_bytes(opts)
    assert (u64(b, 0), u32(b, 8), u32(b, 48)) == (80, 5, 3)
    ids = ctypes.cast(u64(b, 32), ctypes.POINTER(ctypes.c_uint32))
    cookies = ctypes.cast(u64(b, 40), ctypes.POINTER(ctypes.c_uint64))
    assert [ids[i] for i in range(3)] == [11, 0xFFFFFFFF, 13]
    assert [cookies[i] for i in range(3)] == [1, 2, (1 << 64) - 1]
    assert b[52:] == bytes(28) and b[12:32] == bytes(20)
    assert keep, "the arrays must be kept alive by the caller"
    opts, _ = build(attach_type, ids=(7,))
    b = opts_bytes(opts)
    assert (u32(b, 48), u64(b, 40)) == (1, 0)
    assert ctypes.cast(u64(b, 32), ctypes.POINTER(ctypes.c_uint32))[0] == 7
    assert (opts.tracing_multi.cnt, opts.tracing_multi.ids[0]) == (1, 7)


@pytest.mark.parametrize("options,error,text", [
    (dict(cookies=[1]), ValueError, "needs ids"),
    (dict(ids=[]), ValueError, "ids is empty"),
    (dict(ids=[1, 2], cookies=[1]), ValueError, "one entry per id"),
    (dict(ids=[1 << 32]), ValueError, "out of range for a u32"),
    (dict(ids="12"), TypeError, "sequence of ints"),
    (dict(ids=[1], cookie=3), TypeError, "does not apply to BPF_TRACE_FENTRY_MULTI"),
    (dict(ids=[1], path_fd=3), TypeError, "it belongs to uprobe_multi attach types"),
])
def test_tracing_multi_errors(options, error, text):
    with pytest.raises(error, match=text):
        build(BPF_TRACE_FENTRY_MULTI, **options)


@pytest.mark.parametrize("options,text", [
    (dict(offsets=[1]), "needs path and offsets"),
    (dict(path="/x"), "needs path and offsets"),
    (dict(path="/x", offsets=[]), "offsets is empty"),
    (dict(path="/x", offsets=[1, 2], cookies=[1]), "one entry per offset"),
    (dict(path="/x", offsets=[1], ref_ctr_offsets=[1, 2]), "one entry per offset"),
    (dict(path="/x", offsets="12"), "sequence of ints"),
])
def test_uprobe_multi_errors(options, text):
    with pytest.raises((ValueError, TypeError), match=text):
        build(BPF_TRACE_UPROBE_MULTI, **options)


def test_kprobe_multi():
    opts, keep = build(BPF_TRACE_KPROBE_MULTI, syms=["vfs_read", b"vfs_write"], cookies=[1, 2], retprobe=True)
    km = opts.kprobe_multi
    assert (km.cnt, km.flags) == (2, BPF_F_KPROBE_MULTI_RETURN)
    assert [km.syms[0], km.syms[1]] == [b"vfs_read", b"vfs_write"]
    assert [km.cookies[0], km.cookies[1]] == [1, 2] and not km.addrs
    opts, _ = build(BPF_TRACE_KPROBE_MULTI, addrs=[0xFFFFFFFF81000000])
    assert (opts.kprobe_multi.cnt, opts.kprobe_multi.addrs[0]) == (1, 0xFFFFFFFF81000000)
    with pytest.raises(ValueError, match="exactly one of syms and addrs"):
        build(BPF_TRACE_KPROBE_MULTI, syms=["a"], addrs=[1])
    with pytest.raises(ValueError, match="exactly one of syms and addrs"):
        build(BPF_TRACE_KPROBE_MULTI, cookies=[1])
    with pytest.raises(ValueError, match="one entry per function"):
        build(BPF_TRACE_KPROBE_MULTI, syms=["a"], cookies=[1, 2])
    with pytest.raises(TypeError):
        build(BPF_TRACE_KPROBE_MULTI, syms="vfs_read")


def test_iter_info():
    opts, _ = build(BPF_TRACE_ITER, map_fd=7)
    assert (opts.iter_info_len, opts.iter_info.contents.map.map_fd) == (16, 7)
    opts, _ = build(BPF_TRACE_ITER, cgroup_id=1 << 40, order=2)
    c = opts.iter_info.contents.cgroup
    assert (c.cgroup_id, c.order, c.cgroup_fd) == (1 << 40, 2, 0)
    opts, _ = build(BPF_TRACE_ITER, pid=99)
    assert (opts.iter_info.contents.task.pid, opts.iter_info.contents.task.tid) == (99, 0)
    raw_bytes = ctypes.string_at(ctypes.addressof(opts.iter_info.contents), 16)
    assert raw_bytes == bytes(4) + (99).to_bytes(4, "little") + bytes(8)
    with pytest.raises(ValueError, match="different targets"):
        build(BPF_TRACE_ITER, map_fd=3, tid=4)
    with pytest.raises(ValueError, match="cgroup_fd and cgroup_id are exclusive"):
        build(BPF_TRACE_ITER, cgroup_fd=3, cgroup_id=4)
    with pytest.raises(ValueError, match="tid, pid and pid_fd are exclusive"):
        build(BPF_TRACE_ITER, tid=3, pid=4)
    opts, _ = build(BPF_TRACE_ITER, flags=0)
    assert not opts.iter_info and opts.iter_info_len == 0


def test_link_create_checks_before_calling(monkeypatch):
    called = []
    monkeypatch.setattr(bpflink.raw, "bpf_link_create", lambda *a: called.append(a))
    with pytest.raises(TypeError):
        bpflink.link_create(3, 4, BPF_XDP, cookie=1)
    with pytest.raises(TypeError, match="expected an fd"):
        bpflink.link_create("3", 4, BPF_XDP)
    with pytest.raises(ValueError, match="negative fd"):
        bpflink.link_create(-3, 4, BPF_XDP)
    with pytest.raises(TypeError):
        bpflink.link_create(3, True, BPF_XDP)
    assert called == []
