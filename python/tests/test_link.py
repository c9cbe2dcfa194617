"""Link objects on the real kernel: pin, unpin, open, update, detach,
close, context manager, from_fd, from_id, fd ownership."""

from __future__ import annotations

import errno
import gc
import os
import warnings

import pytest

import bpflink
import bpfutil as u
from bpflink import BPF_CGROUP_INET_INGRESS, CgroupLinkInfo, Link, link_create

pytestmark = pytest.mark.kernel
cgroup_links = pytest.mark.needs("link_cgroup")


def attached(cgroup) -> list[int]:
    return u.prog_query(cgroup.fd, BPF_CGROUP_INET_INGRESS)[0]


@cgroup_links
def test_properties(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    link = link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    try:
        assert link.fd == link.fileno() >= 3 and u.fd_cloexec(link.fd)
        assert link.id == u.obj_id(link.fd) == link.info.id
        assert isinstance(link.info, CgroupLinkInfo)
        assert link.pin_path is None and not link.closed
        assert repr(link) == f"<bpflink.Link fd={link.fd} id={link.id} type=cgroup prog_id={u.obj_id(p)}>"
    finally:
        link.close()
    assert link.closed and repr(link) == "<bpflink.Link closed>"


@cgroup_links
def test_close_detaches_and_is_idempotent(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    link = link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    fd = link.fd
    assert attached(cgroup) == [u.obj_id(p)]
    link.close()
    assert attached(cgroup) == []
    with pytest.raises(OSError):
        os.fstat(fd)
    link.close()
    for op in (lambda: link.fd, lambda: link.info, lambda: link.pin("/x"), link.unpin, link.detach,
               lambda: link.update(p), link.disconnect, lambda: link.pin_path):
        with pytest.raises(ValueError, match="closed Link"):
            op()
    with pytest.raises(ValueError):
        with link:
            pass


@cgroup_links
def test_context_manager(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        assert isinstance(link, Link) and attached(cgroup) == [u.obj_id(p)]
    assert link.closed and attached(cgroup) == []
    with pytest.raises(RuntimeError):
        with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS):
            raise RuntimeError("the body fails")
    assert attached(cgroup) == []


@cgroup_links
def test_pin_open_unpin(prog, cgroup, bpffs):
    p = prog(u.PROG_CGROUP_SKB)
    path = os.path.join(bpffs, "dir", "link")
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        link_id = link.id
        link.pin(path)
        assert link.pin_path == path and os.path.exists(path)
        with pytest.raises(OSError) as e:
            link.pin(path + "2")
        assert (e.value.errno, e.value.function) == (errno.EBUSY, "bpf_link__pin")
    # The pin keeps it attached after the last fd is gone.
    assert attached(cgroup) == [u.obj_id(p)]
    with Link.open(path) as opened:
        assert (opened.id, opened.pin_path) == (link_id, path)
    assert os.path.exists(path), "closing an opened link leaves the pin"
    opened = Link.open(path)
    with opened:
        opened.unpin()
        assert opened.pin_path is None and not os.path.exists(path)
        assert attached(cgroup) == [u.obj_id(p)]
    assert attached(cgroup) == []  # the last reference went with the close


def test_open_errors(bpffs, tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        Link.open(os.path.join(bpffs, "missing"))
    assert e.value.function == "bpf_link__open"


def test_open_refuses_pinned_programs_unlike_libbpf(prog, bpffs):
    from bpflink import raw

    p = prog(u.PROG_CGROUP_SKB)
    path = os.path.join(bpffs, "prog")
    u.obj_pin(p, path)
    with pytest.raises(OSError, match="is a BPF prog, not a link") as e:
        Link.open(path)
    assert e.value.errno == errno.EINVAL
    obj = raw.bpf_link__open(path)  # libbpf's own rule: anything pinned opens
    try:
        fd = raw.bpf_link__fd(obj)
        assert u.obj_id(fd) == u.obj_id(p)
        with pytest.raises(OSError, match="is a BPF prog, not a link"):
            bpflink.link_info_from_fd(fd)
    finally:
        raw.bpf_link__destroy(obj)
    os.unlink(path)


@cgroup_links
def test_pin_outside_bpffs(prog, cgroup, tmp_path):
    with link_create(prog(u.PROG_CGROUP_SKB), cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        with pytest.raises(OSError) as e:
            link.pin(tmp_path / "x")
        assert e.value.errno == errno.EINVAL
        assert link.pin_path is None


@cgroup_links
def test_update_with_and_without_replace(prog, cgroup):
    a, b, c = (prog(u.PROG_CGROUP_SKB) for _ in range(3))
    with link_create(a, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        link.update(b)
        assert link.info.prog_id == u.obj_id(b)
        with pytest.raises(PermissionError) as e:
            link.update(c, replace=a)  # a is no longer the attached one
        assert (e.value.errno, e.value.function) == (errno.EPERM, "bpf_link_update")
        assert link.info.prog_id == u.obj_id(b)
        link.update(c, replace=b)
        assert attached(cgroup) == [u.obj_id(c)]
        with pytest.raises(ValueError):
            link.update(a, replace=b, replace_map=b)


@cgroup_links
def test_detach_keeps_the_object(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        link.detach()
        assert attached(cgroup) == []
        info = link.info
        assert info.prog_id == u.obj_id(p) and info.cgroup_id == 0
        with pytest.raises(OSError) as e:
            link.update(p)
        assert e.value.errno == errno.ENOLINK


@cgroup_links
def test_from_fd_takes_ownership(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        fd = os.dup(link.fd)
        other = Link.from_fd(fd)
        assert other.fd == fd and other.id == link.id
        other.close()
        with pytest.raises(OSError):
            os.fstat(fd)  # closed with the object
        assert attached(cgroup) == [u.obj_id(p)]  # link's own fd still holds it


@cgroup_links
def test_from_fd_dup_and_fileno_objects(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        with Link.from_fd(link, dup=True) as copy:
            assert copy.fd != link.fd and copy.id == link.id
        assert link.info.id == link.id  # ours untouched


def test_from_fd_refuses_non_links(prog, fds):
    p = prog(u.PROG_CGROUP_SKB)
    with pytest.raises(OSError) as e:
        Link.from_fd(p)
    assert (e.value.errno, e.value.function) == (errno.EINVAL, "bpflink_link_from_fd")
    assert u.obj_id(p)  # still open, still the caller's
    with pytest.raises(OSError):
        Link.from_fd(p, dup=True)
    with pytest.raises(ValueError):
        Link.from_fd(-1)
    with pytest.raises(TypeError):
        Link.from_fd("3")


@cgroup_links
def test_from_id(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        with Link.from_id(link.id) as same:
            assert same.id == link.id and same.fd != link.fd
            assert same.info == link.info
        assert attached(cgroup) == [u.obj_id(p)]
        same = Link.from_id(link.id)
        same.detach()  # detaching through any fd detaches the link
        assert attached(cgroup) == []
        same.close()
    with pytest.raises(FileNotFoundError) as e:
        Link.from_id(0xFFFFFFF0)
    assert e.value.function == "bpf_link_get_fd_by_id"


@cgroup_links
def test_disconnect_leaves_it_attached(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    link = link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    fd = link.fd
    link.disconnect()
    link.close()
    assert attached(cgroup) == [u.obj_id(p)]
    os.close(fd)  # the fd was left to us
    assert attached(cgroup) == []


@cgroup_links
def test_garbage_collected_link_is_closed_with_a_warning(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    link = link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    assert attached(cgroup) == [u.obj_id(p)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del link
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
    assert attached(cgroup) == []


@cgroup_links
def test_no_fd_leak_over_many_links(prog, cgroup, bpffs):
    p = prog(u.PROG_CGROUP_SKB)
    q = prog(u.PROG_CGROUP_SKB)
    before, pins_before = u.fd_count(), sorted(os.listdir(bpffs))  # a bpffs may come with progs.debug & co
    for i in range(25):
        with link_create(p, cgroup.path, BPF_CGROUP_INET_INGRESS) as link:
            link.update(q, replace=p)
            link.pin(os.path.join(bpffs, f"l{i}"))
            with Link.open(link.pin_path) as opened, Link.from_id(opened.id) as by_id:
                assert by_id.info.prog_id == u.obj_id(q)
            link.unpin()
            link.detach()
        with pytest.raises(OSError):
            Link.from_fd(p)
        with pytest.raises(OSError):
            Link.from_id(0xFFFFFFF0)
    assert u.fd_count() == before
    assert sorted(os.listdir(bpffs)) == pins_before
