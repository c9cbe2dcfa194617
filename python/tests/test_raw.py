"""The raw layer on the real kernel: libbpf's semantics, errors as OSError
carrying errno and the function name."""

from __future__ import annotations

import ctypes
import errno
import os

import pytest

import bpfutil as u
from bpflink import raw
from bpflink.constants import (
    BPF_CGROUP_INET_EGRESS,
    BPF_CGROUP_INET_INGRESS,
    BPF_F_REPLACE,
    BPF_LINK_TYPE_CGROUP,
    LIBBPF_WARN,
    LinkType,
)

kernel = pytest.mark.kernel
cgroup_links = pytest.mark.needs("link_cgroup")

NO_SUCH_ID = 0xFFFFFFF0


def expect_error(fn, err: int, name: str, *args):
    with pytest.raises(OSError) as e:
        fn(*args)
    assert e.value.errno == err, e.value
    assert e.value.function == name
    assert e.value.strerror == f"{name}: {os.strerror(err)}"
    assert str(e.value) == f"[Errno {err}] {name}: {os.strerror(err)}"
    return e.value


@kernel
@cgroup_links
def test_create_info_update_detach_cycle(prog, cgroup):
    p1 = prog(u.PROG_CGROUP_SKB)
    p2 = prog(u.PROG_CGROUP_SKB)
    fd = raw.bpf_link_create(p1, cgroup.fd, BPF_CGROUP_INET_INGRESS, None)
    try:
        assert fd >= 3 and u.fd_cloexec(fd)
        info = raw.bpf_link_info()
        assert raw.bpf_link_get_info_by_fd(fd, info) == ctypes.sizeof(info)
        assert info.type == BPF_LINK_TYPE_CGROUP
        assert info.prog_id == u.obj_id(p1)
        assert (info.cgroup.cgroup_id, info.cgroup.attach_type) == (cgroup.id, BPF_CGROUP_INET_INGRESS)
        assert u.prog_query(cgroup.fd, BPF_CGROUP_INET_INGRESS)[0] == [info.prog_id]

        raw.bpf_link_update(fd, p2, raw.bpf_link_update_opts(flags=BPF_F_REPLACE, old_prog_fd=p1))
        assert u.obj_id(p2) == u.prog_query(cgroup.fd, BPF_CGROUP_INET_INGRESS)[0][0]
        expect_error(raw.bpf_link_update, errno.EPERM, "bpf_link_update",
                     fd, p1, raw.bpf_link_update_opts(flags=BPF_F_REPLACE, old_prog_fd=p1))

        raw.bpf_link_detach(fd)
        assert u.prog_query(cgroup.fd, BPF_CGROUP_INET_INGRESS)[0] == []
        expect_error(raw.bpf_link_update, errno.ENOLINK, "bpf_link_update", fd, p1, None)
    finally:
        os.close(fd)


@kernel
@cgroup_links
def test_create_with_sz_too_small_is_einval(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    expect_error(raw.bpf_link_create, errno.EINVAL, "bpf_link_create",
                 p, cgroup.fd, BPF_CGROUP_INET_INGRESS, raw.bpf_link_create_opts(sz=4))


@kernel
@cgroup_links
def test_create_with_non_zero_foreign_union_member_is_einval(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    opts = raw.bpf_link_create_opts()
    opts.uprobe_multi.pid = 1  # lies past the cgroup member: libbpf refuses
    expect_error(raw.bpf_link_create, errno.EINVAL, "bpf_link_create", p, cgroup.fd, BPF_CGROUP_INET_INGRESS, opts)


@kernel
@cgroup_links
def test_create_relative_fd_and_id_together_is_einval(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    opts = raw.bpf_link_create_opts(cgroup={"relative_fd": p, "relative_id": 1})
    expect_error(raw.bpf_link_create, errno.EINVAL, "bpf_link_create", p, cgroup.fd, BPF_CGROUP_INET_INGRESS, opts)


@kernel
@cgroup_links
def test_create_bad_fds_are_the_kernels_ebadf(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    expect_error(raw.bpf_link_create, errno.EBADF, "bpf_link_create", -1, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    expect_error(raw.bpf_link_create, errno.EBADF, "bpf_link_create", p, -1, BPF_CGROUP_INET_INGRESS)


@kernel
@cgroup_links
def test_wrong_attach_type_for_the_program(prog, cgroup):
    p = prog(u.PROG_XDP, 37)
    with pytest.raises(OSError) as e:
        raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_EGRESS)
    assert e.value.function == "bpf_link_create" and e.value.errno == errno.EINVAL


@kernel
@cgroup_links
def test_next_id_and_get_fd_by_id(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    fd = raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    try:
        my_id = u.obj_id(fd)
        ids, start = [], 0
        while True:
            try:
                start = raw.bpf_link_get_next_id(start)
            except FileNotFoundError as e:
                assert e.function == "bpf_link_get_next_id" and e.errno == errno.ENOENT
                break
            ids.append(start)
        assert my_id in ids and ids == sorted(ids)
        for opener in (raw.bpf_link_get_fd_by_id, raw.bpf_link_get_fd_by_id_opts):
            fd2 = opener(my_id)
            try:
                assert fd2 != fd and u.fd_cloexec(fd2) and u.obj_id(fd2) == my_id
            finally:
                os.close(fd2)
        fd3 = raw.bpf_link_get_fd_by_id_opts(my_id, raw.bpf_get_fd_by_id_opts())
        os.close(fd3)
    finally:
        os.close(fd)


@kernel
def test_get_fd_by_id_errors():
    err = expect_error(raw.bpf_link_get_fd_by_id, errno.ENOENT, "bpf_link_get_fd_by_id", NO_SUCH_ID)
    assert isinstance(err, FileNotFoundError)
    expect_error(raw.bpf_link_get_fd_by_id_opts, errno.ENOENT, "bpf_link_get_fd_by_id_opts", NO_SUCH_ID, None)
    expect_error(raw.bpf_link_get_fd_by_id_opts, errno.EINVAL, "bpf_link_get_fd_by_id_opts",
                 NO_SUCH_ID, raw.bpf_get_fd_by_id_opts(sz=3))


@kernel
@cgroup_links
def test_get_fd_by_id_open_flags_refused(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    fd = raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    try:
        expect_error(raw.bpf_link_get_fd_by_id_opts, errno.EINVAL, "bpf_link_get_fd_by_id_opts",
                     u.obj_id(fd), raw.bpf_get_fd_by_id_opts(open_flags=1 << 3))
    finally:
        os.close(fd)


@kernel
def test_info_of_non_bpf_fd_and_bad_fd(fds):
    fds.append(os.open("/dev/null", os.O_RDONLY))
    expect_error(raw.bpf_link_get_info_by_fd, errno.EINVAL, "bpf_link_get_info_by_fd", fds[-1], raw.bpf_link_info())
    with pytest.raises(OSError) as e:  # recent kernels answer EBADFD here
        raw.bpf_link_get_info_by_fd(999999, raw.bpf_link_info())
    assert e.value.errno in (errno.EBADF, errno.EBADFD) and e.value.function == "bpf_link_get_info_by_fd"


@kernel
@cgroup_links
def test_info_buffer_sizes(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    fd = raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    try:
        small = (ctypes.c_uint8 * 8)()
        assert raw.bpf_link_get_info_by_fd(fd, small) == 8  # type and id only
        assert int.from_bytes(bytes(small[:4]), "little") == BPF_LINK_TYPE_CGROUP
        big = (ctypes.c_uint8 * 128)()
        assert raw.bpf_link_get_info_by_fd(fd, big) == 64  # the kernel's size
        big[100] = 1
        expect_error(raw.bpf_link_get_info_by_fd, errno.E2BIG, "bpf_link_get_info_by_fd", fd, big)
    finally:
        os.close(fd)


@kernel
def test_detach_and_iter_create_of_non_links(prog):
    p = prog(u.PROG_CGROUP_SKB)
    expect_error(raw.bpf_link_detach, errno.EINVAL, "bpf_link_detach", p)
    expect_error(raw.bpf_link_detach, errno.EBADF, "bpf_link_detach", -1)
    expect_error(raw.bpf_iter_create, errno.EINVAL, "bpf_iter_create", p)


def test_link_type_str_for_every_type():
    names = {t: raw.libbpf_bpf_link_type_str(t) for t in LinkType}
    assert names[LinkType.BPF_LINK_TYPE_CGROUP] == "cgroup"
    assert names[LinkType.BPF_LINK_TYPE_TCX] == "tcx"
    assert names[LinkType.BPF_LINK_TYPE_UPROBE_MULTI] == "uprobe_multi"
    assert names[LinkType.BPF_LINK_TYPE_SOCKMAP] == "sockmap"
    assert names[LinkType.BPF_LINK_TYPE_TRACING_MULTI] == "tracing_multi"  # libbpf 1.8
    for t, name in names.items():
        assert name == t.name[len("BPF_LINK_TYPE_"):].lower(), t
    assert raw.libbpf_bpf_link_type_str(len(LinkType)) is None
    assert raw.libbpf_bpf_link_type_str(-1) is None


@kernel
@cgroup_links
def test_object_functions(prog, cgroup, bpffs):
    p = prog(u.PROG_CGROUP_SKB)
    fd = raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    link = raw.bpflink_link_from_fd(fd)  # owns fd from here on
    try:
        assert raw.bpf_link__fd(link) == fd
        assert raw.bpf_link__pin_path(link) is None
        pin = os.path.join(bpffs, "sub", "l")
        raw.bpf_link__pin(link, pin)
        assert raw.bpf_link__pin_path(link) == pin and os.path.exists(pin)
        expect_error(raw.bpf_link__pin, errno.EBUSY, "bpf_link__pin", link, pin + "2")
        other = raw.bpf_link__open(pin)
        try:
            assert raw.bpf_link__pin_path(other) == pin
            assert u.obj_id(raw.bpf_link__fd(other)) == u.obj_id(fd)
        finally:
            raw.bpf_link__destroy(other)
        raw.bpf_link__unpin(link)
        assert not os.path.exists(pin) and raw.bpf_link__pin_path(link) is None
        expect_error(raw.bpf_link__unpin, errno.EINVAL, "bpf_link__unpin", link)
        raw.bpf_link__detach(link)
        assert u.prog_query(cgroup.fd, BPF_CGROUP_INET_INGRESS)[0] == []
    finally:
        raw.bpf_link__destroy(link)
    with pytest.raises(OSError) as e:
        os.fstat(fd)
    assert e.value.errno == errno.EBADF  # destroy closed it


@kernel
@cgroup_links
def test_pin_outside_bpffs_is_einval(prog, cgroup, tmp_path):
    p = prog(u.PROG_CGROUP_SKB)
    link = raw.bpflink_link_from_fd(raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS))
    try:
        expect_error(raw.bpf_link__pin, errno.EINVAL, "bpf_link__pin", link, str(tmp_path / "x"))
    finally:
        raw.bpf_link__destroy(link)


@kernel
@cgroup_links
def test_disconnect_keeps_the_fd_open(prog, cgroup):
    p = prog(u.PROG_CGROUP_SKB)
    fd = raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS)
    link = raw.bpflink_link_from_fd(fd)
    raw.bpf_link__disconnect(link)
    raw.bpf_link__destroy(link)
    assert u.obj_id(fd)  # still ours and still a link
    os.close(fd)


def test_null_link_arguments_are_einval():
    null = ctypes.POINTER(raw.bpf_link)()
    expect_error(raw.bpf_link__fd, errno.EINVAL, "bpf_link__fd", null)
    expect_error(raw.bpf_link__pin, errno.EINVAL, "bpf_link__pin", null, "/x")
    expect_error(raw.bpf_link__unpin, errno.EINVAL, "bpf_link__unpin", null)
    expect_error(raw.bpf_link__detach, errno.EINVAL, "bpf_link__detach", null)
    expect_error(raw.bpf_link__pin_path, errno.EINVAL, "bpf_link__pin_path", null)
    raw.bpf_link__disconnect(null)  # ignored
    raw.bpf_link__destroy(null)  # ignored, returns 0


@kernel
def test_open_and_from_fd_errors(prog, bpffs):
    expect_error(raw.bpf_link__open, errno.ENOENT, "bpf_link__open", os.path.join(bpffs, "none"))
    p = prog(u.PROG_CGROUP_SKB)
    expect_error(raw.bpflink_link_from_fd, errno.EINVAL, "bpflink_link_from_fd", p)
    assert u.obj_id(p)  # the program fd was left alone
    expect_error(raw.bpflink_link_from_fd, errno.EBADF, "bpflink_link_from_fd", 999999)


@kernel
@cgroup_links
def test_set_print_receives_the_warning(prog, cgroup):
    got = []

    def sink(level, fmt, ap):
        got.append((level, fmt))
        return 0

    cb = raw.libbpf_print_fn_t(sink)
    previous = raw.libbpf_set_print(cb)
    try:
        p = prog(u.PROG_CGROUP_SKB)
        with pytest.raises(OSError):
            raw.bpf_link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS, raw.bpf_link_create_opts(sz=4))
    finally:
        mine = raw.libbpf_set_print(previous)
    assert ctypes.cast(mine, ctypes.c_void_p).value == ctypes.cast(cb, ctypes.c_void_p).value
    assert got and got[0][0] == LIBBPF_WARN and got[0][1].startswith(b"libbpf: %s size")


def test_c_functions_are_declared():
    lib = raw.lib()
    for name, restype, argtypes in raw._PROTOTYPES:
        fn = getattr(lib, name)
        assert fn.restype is restype and fn.argtypes == argtypes, name
    # The C functions keep libbpf's return convention.
    ctypes.set_errno(0)
    assert lib.bpf_link__fd(None) == -errno.EINVAL
    assert ctypes.get_errno() == errno.EINVAL
