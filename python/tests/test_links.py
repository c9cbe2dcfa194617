"""links(): every link on the system by id. Other links exist on the
machine; the tests look for their own and never assume a clean system."""

from __future__ import annotations

import errno

import pytest

import bpflink
import bpfutil as u
from bpflink import BPF_CGROUP_INET_EGRESS, BPF_CGROUP_INET_INGRESS, CgroupLinkInfo, link_create, raw

pytestmark = pytest.mark.kernel
cgroup_links = pytest.mark.needs("link_cgroup")


@cgroup_links
def test_finds_our_links(prog, cgroup, bpftool):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as a, \
            link_create(p, cgroup.fd, BPF_CGROUP_INET_EGRESS) as b:
        seen = {info.id: info for info in bpflink.links()}
        assert a.id in seen and b.id in seen
        assert seen[a.id] == a.info and isinstance(seen[b.id], CgroupLinkInfo)
        assert seen[b.id].attach_type == BPF_CGROUP_INET_EGRESS
        ids = list(bpflink.link_ids())
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert {a.id, b.id} <= set(ids)
        assert {a.id, b.id} <= u.bpftool_link_ids()
        assert bpflink.iter_links is bpflink.links


@cgroup_links
def test_skips_links_that_vanish(prog, cgroup, monkeypatch):
    """A link whose id was listed but which is gone when opened is skipped."""
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as a, \
            link_create(p, cgroup.fd, BPF_CGROUP_INET_EGRESS) as b:
        real = raw.bpf_link_get_fd_by_id
        asked = []

        def gone_for_a(link_id):
            asked.append(link_id)
            if link_id == a.id:
                raise raw.error("bpf_link_get_fd_by_id", errno.ENOENT)
            return real(link_id)

        monkeypatch.setattr(raw, "bpf_link_get_fd_by_id", gone_for_a)
        ids = [info.id for info in bpflink.links()]
        assert a.id in asked and a.id not in ids and b.id in ids


@cgroup_links
def test_link_closed_mid_iteration(prog, cgroup, monkeypatch):
    """A real race: the second link is closed right after its id is
    listed, before it is opened; the kernel answers ENOENT and the
    iteration goes on."""
    p = prog(u.PROG_CGROUP_SKB)
    first = link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    second = link_create(p, cgroup.fd, BPF_CGROUP_INET_EGRESS)
    third = link_create(p, cgroup.path, BPF_CGROUP_INET_INGRESS)
    victim = second.id
    real_next = raw.bpf_link_get_next_id

    def next_id_then_close(start):
        found = real_next(start)
        if found == victim and not second.closed:
            second.close()  # gone between "listed" and "opened"
        return found

    monkeypatch.setattr(raw, "bpf_link_get_next_id", next_id_then_close)
    try:
        ids = [info.id for info in bpflink.links()]
        assert second.closed
        assert first.id in ids and third.id in ids and victim not in ids
    finally:
        first.close()
        second.close()
        third.close()


def test_other_errors_are_raised(monkeypatch):
    def denied(start):
        raise raw.error("bpf_link_get_next_id", errno.EPERM)

    monkeypatch.setattr(raw, "bpf_link_get_next_id", denied)
    with pytest.raises(PermissionError):
        list(bpflink.links())


@cgroup_links
def test_abandoned_iteration_leaks_nothing(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS):
        it = bpflink.links()
        next(it)
        it.close()


@cgroup_links
def test_links_still_being_created_are_retried_then_skipped(prog, cgroup, monkeypatch):
    """EAGAIN: the kernel has listed an id whose link is not settled yet."""
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as a, \
            link_create(p, cgroup.fd, BPF_CGROUP_INET_EGRESS) as b:
        real = raw.bpf_link_get_fd_by_id
        tries = {a.id: 0, b.id: 0}

        def settling(link_id):
            if link_id in tries:
                tries[link_id] += 1
                if link_id == b.id or tries[link_id] < 3:  # a settles on the third try, b never
                    raise raw.error("bpf_link_get_fd_by_id", errno.EAGAIN)
            return real(link_id)

        monkeypatch.setattr(raw, "bpf_link_get_fd_by_id", settling)
        ids = [info.id for info in bpflink.links()]
        assert a.id in ids and b.id not in ids
        assert tries == {a.id: 3, b.id: bpflink.link._SETTLE_TRIES}
