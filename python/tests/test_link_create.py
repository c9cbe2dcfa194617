"""link_create() on the real kernel, one attach type after the other, with
the kernel's own view (BPF_PROG_QUERY, bpftool) as the witness.

Each test names the capability probes it needs (``needs``, probes.py): a
kind this machine refuses is skipped by name. Where a test checks an error
the kernel gives, the expected errno is the raw call's answer on this
machine, not a constant written for one kernel."""

from __future__ import annotations

import errno
import os
import struct

import pytest

import bpflink
import bpfutil as u
import probes
from bpflink import (
    BPF_CGROUP_INET_EGRESS,
    BPF_CGROUP_INET_INGRESS,
    BPF_CGROUP_ITER_DESCENDANTS_PRE,
    BPF_F_LINK,
    BPF_F_NETFILTER_IP_DEFRAG,
    BPF_F_UPROBE_MULTI_RETURN,
    BPF_FLOW_DISSECTOR,
    BPF_NETFILTER,
    BPF_NETKIT_PRIMARY,
    BPF_PERF_EVENT,
    BPF_PERF_EVENT_EVENT,
    BPF_PERF_EVENT_TRACEPOINT,
    BPF_PERF_EVENT_UPROBE,
    BPF_PERF_EVENT_URETPROBE,
    BPF_SK_LOOKUP,
    BPF_SK_SKB_VERDICT,
    BPF_TCX_EGRESS,
    BPF_TCX_INGRESS,
    BPF_TRACE_ITER,
    BPF_TRACE_KPROBE_MULTI,
    BPF_TRACE_RAW_TP,
    BPF_TRACE_UPROBE_MULTI,
    BPF_XDP,
    NF_INET_LOCAL_IN,
    NFPROTO_IPV4,
    CgroupLinkInfo,
    IterLinkInfo,
    LinkType,
    NetfilterLinkInfo,
    NetnsLinkInfo,
    PerfEventLinkInfo,
    RawTracepointLinkInfo,
    SockmapLinkInfo,
    TcxLinkInfo,
    UprobeMultiLinkInfo,
    XdpLinkInfo,
    link_create,
)

pytestmark = pytest.mark.kernel
needs = pytest.mark.needs


def check_bpftool(info: bpflink.LinkInfo) -> dict:
    """bpftool (Debian's v7.1, which prints newer types as numbers) must
    agree with the decoded info on everything it prints."""
    j = u.bpftool_link(info.id)
    assert j["id"] == info.id and j["prog_id"] == info.prog_id
    assert j["type"] in (info.type_name, int(info.type)), j
    for key in ("cgroup_id", "netns_ino", "tp_name", "target_name", "map_id", "tid", "pid"):
        if key in j:
            assert j[key] == getattr(info, key), (key, j)
    if "attach_type" in j:
        assert j["attach_type"] == info.attach_type.name.lower()[len("bpf_"):], j
    return j


def ids_in_hook(target: int, attach_type: int) -> list[int]:
    return u.prog_query(target, attach_type)[0]


# --- cgroup -----------------------------------------------------------------------


@needs("link_cgroup")
def test_cgroup_by_fd_and_by_path(prog, cgroup, bpftool):
    a = prog(u.PROG_CGROUP_SKB)
    b = prog(u.PROG_CGROUP_SKB)
    with link_create(a, cgroup.fd, BPF_CGROUP_INET_INGRESS) as la, \
            link_create(b, cgroup.path, BPF_CGROUP_INET_EGRESS) as lb:
        ia, ib = la.info, lb.info
        assert isinstance(ia, CgroupLinkInfo)
        assert (ia.type, ia.type_name, ia.prog_id) == (LinkType.BPF_LINK_TYPE_CGROUP, "cgroup", u.obj_id(a))
        assert (ia.cgroup_id, ia.attach_type) == (cgroup.id, BPF_CGROUP_INET_INGRESS)
        assert (ib.cgroup_id, ib.attach_type) == (cgroup.id, BPF_CGROUP_INET_EGRESS)
        assert ids_in_hook(cgroup.fd, BPF_CGROUP_INET_INGRESS) == [u.obj_id(a)]
        assert check_bpftool(ia)["attach_type"] == "cgroup_inet_ingress"
        check_bpftool(ib)
    assert ids_in_hook(cgroup.fd, BPF_CGROUP_INET_INGRESS) == []  # closing detached it


@needs("link_cgroup")
def test_cgroup_ordering_and_revision(prog, cgroup):
    a, b, c = (prog(u.PROG_CGROUP_SKB) for _ in range(3))
    with link_create(a, cgroup.fd, BPF_CGROUP_INET_INGRESS) as la:
        revision = u.prog_query(cgroup.fd, BPF_CGROUP_INET_INGRESS)[2]
        with pytest.raises(OSError) as e:
            link_create(b, cgroup.fd, BPF_CGROUP_INET_INGRESS, expected_revision=revision + 7)
        assert (e.value.errno, e.value.function) == (errno.ESTALE, "bpf_link_create")
        with link_create(b, cgroup.fd, BPF_CGROUP_INET_INGRESS, before=la, expected_revision=revision), \
                link_create(c, cgroup.fd, BPF_CGROUP_INET_INGRESS, after=True, relative_id=la.id, flags=BPF_F_LINK):
            assert ids_in_hook(cgroup.fd, BPF_CGROUP_INET_INGRESS) == [u.obj_id(p) for p in (b, a, c)]
            with pytest.raises(OSError) as e:  # the kernel takes no program anchor attached by a link here
                link_create(prog(u.PROG_CGROUP_SKB), cgroup.fd, BPF_CGROUP_INET_INGRESS, after=True, relative_fd=a)
            assert e.value.errno == errno.EINVAL


# --- XDP, tcx, netkit (ifindex targets, in a private netns) -----------------------------


@needs("link_xdp")
def test_xdp_on_lo(prog, netns, bpftool):
    p = prog(u.PROG_XDP, BPF_XDP, 2)
    q = prog(u.PROG_XDP, BPF_XDP, 2)
    with link_create(p, "lo", BPF_XDP) as link:
        info = link.info
        assert isinstance(info, XdpLinkInfo)
        assert (info.ifindex, info.prog_id, info.type_name) == (netns.lo, u.obj_id(p), "xdp")
        check_bpftool(info)
        with pytest.raises(OSError) as e:  # one XDP program per device
            link_create(q, netns.lo, BPF_XDP)
        assert e.value.errno == errno.EBUSY
        link.update(q, replace=p)
        assert link.info.prog_id == u.obj_id(q)
        link.detach()
        assert link.info.ifindex == 0
    with link_create(q, netns.lo, BPF_XDP) as again:  # free again
        assert again.info.ifindex == netns.lo


@needs("link_tcx")
def test_tcx_ordering_relative_and_revision(prog, netns, bpftool):
    a, b, c, d = (prog(u.PROG_SCHED_CLS, BPF_TCX_INGRESS, 0) for _ in range(4))
    lo = netns.lo
    with link_create(a, "lo", BPF_TCX_INGRESS) as la:
        info = la.info
        assert isinstance(info, TcxLinkInfo)
        assert (info.ifindex, info.attach_type, info.type_name) == (lo, BPF_TCX_INGRESS, "tcx")
        check_bpftool(info)
        progs, links, revision = u.prog_query(lo, BPF_TCX_INGRESS)
        assert (progs, links) == ([u.obj_id(a)], [la.id])

        with pytest.raises(OSError) as e:
            link_create(b, lo, BPF_TCX_INGRESS, before=True, expected_revision=revision + 1)
        assert (e.value.errno, e.value.function) == (errno.ESTALE, "bpf_link_create")

        with link_create(b, lo, BPF_TCX_INGRESS, before=la, expected_revision=revision) as lb, \
                link_create(c, lo, BPF_TCX_INGRESS, after=True, relative_id=u.obj_id(a)) as lc, \
                link_create(d, lo, BPF_TCX_INGRESS, before=True, relative_id=lc.id, flags=BPF_F_LINK):
            progs, links, new_revision = u.prog_query(lo, BPF_TCX_INGRESS)
            assert progs == [u.obj_id(p) for p in (b, a, d, c)]
            assert links[:2] == [lb.id, la.id]
            assert new_revision == revision + 3
            with pytest.raises(OSError) as e:  # an anchor that is not in the list
                link_create(prog(u.PROG_SCHED_CLS, BPF_TCX_INGRESS, 0), lo, BPF_TCX_INGRESS,
                            after=True, relative_fd=prog(u.PROG_SCHED_CLS, BPF_TCX_INGRESS, 0))
            assert e.value.errno == errno.ENOENT
    assert u.prog_query(lo, BPF_TCX_INGRESS)[0] == []


@needs("link_tcx")
def test_tcx_egress_update_and_detach(prog, netns):
    a = prog(u.PROG_SCHED_CLS, BPF_TCX_EGRESS, 0)
    b = prog(u.PROG_SCHED_CLS, BPF_TCX_EGRESS, 0)
    with link_create(a, netns.lo, BPF_TCX_EGRESS) as link:
        assert link.info.attach_type == BPF_TCX_EGRESS
        link.update(b)
        assert u.prog_query(netns.lo, BPF_TCX_EGRESS)[0] == [u.obj_id(b)]
        link.detach()
        assert u.prog_query(netns.lo, BPF_TCX_EGRESS)[0] == []
        assert link.info.ifindex == 0


def expect_kernel_answer(want: int, create) -> None:
    """``create()`` (a bpflink call that makes a link) gives the kernel's
    answer on this machine: the link when the raw call succeeded (``want``
    0), else an OSError from bpf_link_create with the raw call's errno."""
    if want == 0:
        create().close()
        return
    with pytest.raises(OSError) as e:
        create().close()
    assert (e.value.function, e.value.errno) == ("bpf_link_create", want), e.value


@needs("prog_sched_cls")
def test_netkit_on_lo_gives_the_kernels_answer(prog, netns):
    p = prog(u.PROG_SCHED_CLS, BPF_NETKIT_PRIMARY, 0)
    # lo is no netkit device; the errno depends on the kernel (and on
    # CONFIG_NETKIT): ask it with the same attr, BPF_F_BEFORE and no anchor.
    want = u.kernel_errno(u.link_create, p, netns.lo, u.ATTACH_NETKIT_PRIMARY, u.F_BEFORE)
    expect_kernel_answer(want, lambda: link_create(p, netns.lo, BPF_NETKIT_PRIMARY, before=True))


@needs("prog_xdp")
def test_unknown_interface_name(prog, netns):
    p = prog(u.PROG_XDP, BPF_XDP, 2)
    with pytest.raises(OSError, match="no interface 'nope0'"):
        link_create(p, "nope0", BPF_XDP)


# --- netfilter, netns links, sockmap -------------------------------------------------------


@needs("link_netfilter")
def test_netfilter(prog, netns, bpftool):
    p = prog(u.PROG_NETFILTER, BPF_NETFILTER, 1)
    with link_create(p, None, BPF_NETFILTER, pf=NFPROTO_IPV4, hooknum=NF_INET_LOCAL_IN, priority=-128,
                     flags=BPF_F_NETFILTER_IP_DEFRAG) as link:
        info = link.info
        assert isinstance(info, NetfilterLinkInfo)
        assert (info.pf, info.hooknum, info.priority, info.flags) == \
            (NFPROTO_IPV4, NF_INET_LOCAL_IN, -128, BPF_F_NETFILTER_IP_DEFRAG)
        assert info.type_name == "netfilter"
        check_bpftool(info)  # v7.1 prints the type as 10
        with pytest.raises(OSError) as e:  # detach works, update is refused
            link.update(prog(u.PROG_NETFILTER, BPF_NETFILTER, 1))
        assert e.value.errno == errno.EOPNOTSUPP
        link.detach()


@needs("prog_netfilter")
def test_netfilter_bad_hook_gives_the_kernels_answer(prog, netns):
    p = prog(u.PROG_NETFILTER, BPF_NETFILTER, 1)
    tail = struct.pack("=IIiI", NFPROTO_IPV4, 77, 0, 0)  # pf, hooknum, priority, flags
    want = u.kernel_errno(u.link_create, p, 0, u.ATTACH_NETFILTER, 0, tail)  # 6.18: EPROTO
    expect_kernel_answer(want, lambda: link_create(p, 0, BPF_NETFILTER, pf=NFPROTO_IPV4, hooknum=77))


@needs("link_sk_lookup")
def test_sk_lookup(prog, netns, bpftool):
    p = prog(u.PROG_SK_LOOKUP, BPF_SK_LOOKUP, 1)
    q = prog(u.PROG_SK_LOOKUP, BPF_SK_LOOKUP, 1)
    with link_create(p, netns.path, BPF_SK_LOOKUP) as by_path, link_create(q, netns.fd, BPF_SK_LOOKUP) as by_fd:
        info = by_path.info
        assert isinstance(info, NetnsLinkInfo)
        assert (info.netns_ino, info.attach_type, info.type_name) == (netns.ino, BPF_SK_LOOKUP, "netns")
        assert check_bpftool(info)["attach_type"] == "sk_lookup"
        assert by_fd.info.netns_ino == netns.ino  # several sk_lookup links per netns
        by_path.update(q)
        assert by_path.info.prog_id == u.obj_id(q)
        by_path.detach()
        assert by_path.info.netns_ino == 0


@needs("link_flow_dissector")
def test_flow_dissector(prog, netns, bpftool):
    p = prog(u.PROG_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 0)
    q = prog(u.PROG_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 0)
    with link_create(p, netns.fd, BPF_FLOW_DISSECTOR) as link:
        info = link.info
        assert (info.netns_ino, info.attach_type) == (netns.ino, BPF_FLOW_DISSECTOR)
        assert check_bpftool(info)["attach_type"] == "flow_dissector"
        with pytest.raises(OSError) as e:  # one per netns
            link_create(q, netns.fd, BPF_FLOW_DISSECTOR)
        assert e.value.errno == errno.E2BIG
        link.update(q, replace=p)
        assert link.info.prog_id == u.obj_id(q)


@needs("link_sockmap")
def test_sockmap(prog, fds, bpftool):
    m = u.map_create(u.MAP_SOCKMAP, 4, 4, 2)
    fds.append(m)
    p = prog(u.PROG_SK_SKB, BPF_SK_SKB_VERDICT, 1)
    with link_create(p, m, BPF_SK_SKB_VERDICT) as link:
        info = link.info
        assert isinstance(info, SockmapLinkInfo)
        assert (info.map_id, info.attach_type, info.type_name) == (u.obj_id(m), BPF_SK_SKB_VERDICT, "sockmap")
        check_bpftool(info)  # v7.1 prints the type as 14


# --- perf events ------------------------------------------------------------------------------


@needs("link_perf_event")
def test_perf_event_software(prog, fds, bpftool):
    pe = u.perf_event_sw()
    fds.append(pe)
    p = prog(u.PROG_PERF_EVENT, 0, 0)
    with link_create(p, pe, BPF_PERF_EVENT, cookie=0x1234567890ABCDEF) as link:
        info = link.info
        assert isinstance(info, PerfEventLinkInfo)
        assert info.perf_event_type == BPF_PERF_EVENT_EVENT
        assert (info.config, info.cookie) == (u.PERF_COUNT_SW_CPU_CLOCK, 0x1234567890ABCDEF)
        assert info.event_type is not None and info.name is None
        check_bpftool(info)
        with pytest.raises(OSError) as e:
            link.detach()
        assert (e.value.errno, e.value.function) == (errno.EOPNOTSUPP, "bpf_link__detach")


@pytest.mark.parametrize("retprobe", [False, True])
@needs("link_perf_event_uprobe")
def test_perf_event_uprobe_reports_the_file(prog, fds, probe_target, retprobe):
    path, offset = probe_target
    pe = u.perf_event_uprobe(path, offset, retprobe)
    fds.append(pe)
    p = prog(u.PROG_KPROBE, 0, 0)
    with link_create(p, pe, BPF_PERF_EVENT, cookie=5) as link:
        info = link.info
        assert info.perf_event_type == (BPF_PERF_EVENT_URETPROBE if retprobe else BPF_PERF_EVENT_UPROBE)
        assert (info.name, info.offset, info.cookie, info.ref_ctr_offset) == (path, offset, 5, 0)


@needs("link_perf_event_tracepoint")
def test_perf_event_tracepoint_reports_its_name(prog, fds, tracefs):
    with open(os.path.join(tracefs, "events", "syscalls", "sys_enter_getpid", "id")) as f:
        tp_id = int(f.read())
    pe = u.perf_event_tracepoint(tp_id)
    fds.append(pe)
    p = prog(u.PROG_TRACEPOINT, 0, 0)
    with link_create(p, pe, BPF_PERF_EVENT, cookie=9) as link:
        info = link.info
        assert info.perf_event_type == BPF_PERF_EVENT_TRACEPOINT
        assert (info.name, info.cookie) == ("sys_enter_getpid", 9)


# --- uprobe_multi, kprobe_multi ---------------------------------------------------------------


@needs("link_uprobe_multi")
def test_uprobe_multi(prog, probe_target, bpftool):
    path, offset = probe_target
    p = prog(u.PROG_KPROBE, BPF_TRACE_UPROBE_MULTI, 0)
    offsets = [offset, offset + 1, offset + 4]
    with link_create(p, None, BPF_TRACE_UPROBE_MULTI, path=path, offsets=offsets,
                     ref_ctr_offsets=[0x10, 0x20, 0x30], cookies=[1, 2, 3], pid=os.getpid()) as link:
        info = link.info
        assert isinstance(info, UprobeMultiLinkInfo)
        assert (info.path, info.offsets, info.ref_ctr_offsets, info.cookies) == \
            (path, offsets, [0x10, 0x20, 0x30], [1, 2, 3])
        assert (info.count, info.flags, info.pid, info.type_name) == (3, 0, os.getpid(), "uprobe_multi")
        check_bpftool(info)  # v7.1 prints the type as 12
    with link_create(p, None, BPF_TRACE_UPROBE_MULTI, path=path, offsets=[offset], retprobe=True) as link:
        info = link.info
        assert (info.flags, info.count, info.pid, info.cookies, info.ref_ctr_offsets) == \
            (BPF_F_UPROBE_MULTI_RETURN, 1, 0, [0], [0])


@needs("link_uprobe_multi")
def test_uprobe_multi_bad_path(prog, tmp_path):
    p = prog(u.PROG_KPROBE, BPF_TRACE_UPROBE_MULTI, 0)
    with pytest.raises(OSError) as e:
        link_create(p, None, BPF_TRACE_UPROBE_MULTI, path=str(tmp_path / "none"), offsets=[0x1000])
    assert (e.value.errno, e.value.function) == (errno.ENOENT, "bpf_link_create")


def test_kprobe_multi_gives_the_kernels_answer(prog):
    # The probe's raw BPF_LINK_CREATE with the same symbols: EOPNOTSUPP
    # where CONFIG_KPROBES is off, success where kprobes work.
    want = probes.kernel_answer("link_kprobe_multi")
    p = prog(u.PROG_KPROBE, BPF_TRACE_KPROBE_MULTI, 0)
    syms = list(probes.KPROBE_MULTI_SYMS)
    if want:
        expect_kernel_answer(want, lambda: link_create(p, None, BPF_TRACE_KPROBE_MULTI, syms=syms, cookies=[1, 2]))
        return
    with link_create(p, None, BPF_TRACE_KPROBE_MULTI, syms=syms, cookies=[1, 2]) as link:
        info = link.info
        assert (info.type_name, info.prog_id, info.count) == ("kprobe_multi", u.obj_id(p), len(syms))


# --- iterators, raw tracepoints -------------------------------------------------------------


def iter_prog(prog, target: str) -> int:
    return prog(u.PROG_TRACING, BPF_TRACE_ITER, 0, u.btf_type_id(f"bpf_iter_{target}"))


@needs("iter_bpf_map_elem")
def test_iter_map_elem(prog, fds, bpftool):
    m = u.map_create(u.MAP_ARRAY, 4, 8, 4)
    fds.append(m)
    with link_create(iter_prog(prog, "bpf_map_elem"), None, BPF_TRACE_ITER, map_fd=m) as link:
        info = link.info
        assert isinstance(info, IterLinkInfo)
        assert (info.target_name, info.map_id, info.type_name) == ("bpf_map_elem", u.obj_id(m), "iter")
        assert info.cgroup_id is None and info.tid is None
        check_bpftool(info)
        with link.open_iter() as it:
            assert it.read() == b""  # the program prints nothing


@needs("iter_task")
def test_iter_task(prog, bpftool):
    with link_create(iter_prog(prog, "task"), None, BPF_TRACE_ITER, tid=os.getpid()) as link:
        info = link.info
        assert (info.target_name, info.tid, info.pid) == ("task", os.getpid(), 0)
        check_bpftool(info)


@needs("iter_cgroup")
def test_iter_cgroup(prog, cgroup):
    with link_create(iter_prog(prog, "cgroup"), None, BPF_TRACE_ITER, cgroup_fd=cgroup.fd,
                     order=BPF_CGROUP_ITER_DESCENDANTS_PRE) as link:
        info = link.info
        assert (info.target_name, info.cgroup_id, info.order) == ("cgroup", cgroup.id, BPF_CGROUP_ITER_DESCENDANTS_PRE)
        assert info.tid is None


@needs("iter_bpf_map")
def test_iter_without_options(prog):
    with link_create(iter_prog(prog, "bpf_map"), None, BPF_TRACE_ITER) as link:
        assert (link.info.target_name, link.info.map_id) == ("bpf_map", 0)
        with pytest.raises(OSError) as e:
            link.detach()
        assert e.value.errno == errno.EOPNOTSUPP


@needs("link_raw_tp")
def test_raw_tracepoint_through_tp_btf(prog, bpftool):
    p = prog(u.PROG_TRACING, BPF_TRACE_RAW_TP, 0, u.btf_type_id("btf_trace_sys_enter", 8))
    with link_create(p, None, BPF_TRACE_RAW_TP, cookie=42) as link:
        info = link.info
        assert isinstance(info, RawTracepointLinkInfo)
        assert (info.tp_name, info.cookie, info.type_name) == ("sys_enter", 42, "raw_tracepoint")
        check_bpftool(info)


@needs("raw_tracepoint_open")
def test_raw_tracepoint_made_without_bpflink(prog):
    p = prog(u.PROG_RAW_TRACEPOINT, 0, 0)
    fd = u.raw_tracepoint_open(p, b"sys_exit", cookie=3)
    with bpflink.Link.from_fd(fd) as link:
        info = link.info
        assert (info.tp_name, info.cookie, info.prog_id) == ("sys_exit", 3, u.obj_id(p))
