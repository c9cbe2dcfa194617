"""Fixtures of the bpflink Python tests.

Tests marked ``kernel`` need root and a kernel that loads BPF programs;
elsewhere they are skipped with a one-line reason. When running as root,
a skipped test fails the session (exit status 1), unless
BPFLINK_ALLOW_SKIP=1: CI runs as root on a BPF-capable kernel, where
everything must run.

Every test is also checked for fd leaks: the number of open fds of the
process must be the same after the test (fixtures torn down) as before.
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest

import bpfutil as u

_counter = itertools.count()
_why_not: list = []


def kernel_missing() -> str | None:
    """Why kernel tests cannot run (cached), or None."""
    if not _why_not:
        _why_not.append(u.root_missing())
    return _why_not[0]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kernel: needs root and BPF in the running kernel")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("kernel") is not None:
        why = kernel_missing()
        if why:
            pytest.skip(why)


def _root_skips(config: pytest.Config) -> int:
    """Skipped tests that count as failures: any, when running as root."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.geteuid() != 0 or os.environ.get("BPFLINK_ALLOW_SKIP") == "1":
        return 0
    return skipped


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _root_skips(session.config) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    skipped = _root_skips(config)
    if skipped:
        terminalreporter.write_sep(
            "=", f"FAILED: {skipped} test(s) skipped while running as root "
                 "(skips are failures here; BPFLINK_ALLOW_SKIP=1 allows them)", red=True)


@pytest.fixture(autouse=True)
def no_fd_leak() -> Iterator[None]:
    """Fails a test that leaves more (or fewer) fds open than it found."""
    before = u.fd_count()
    yield
    after = u.fd_count()
    assert after == before, f"fd leak: {before} fds open before the test, {after} after"


@pytest.fixture
def fds() -> Iterator[list[int]]:
    """A list of fds that are closed after the test (those still open)."""
    owned: list[int] = []
    yield owned
    for fd in owned:
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture
def prog(fds: list[int]) -> Callable[..., int]:
    """``prog(prog_type, expected_attach_type=0, retval=1, attach_btf_id=0)``:
    loads a two-instruction program, closed after the test."""
    def load(prog_type: int, expected_attach_type: int = 0, retval: int = 1, attach_btf_id: int = 0) -> int:
        fd = u.prog_load(prog_type, expected_attach_type, retval, attach_btf_id)
        fds.append(fd)
        return fd
    return load


@dataclass
class Cgroup:
    """A child cgroup v2: its path, an open fd of its directory, its id."""

    path: str
    fd: int
    id: int


@pytest.fixture
def cgroup() -> Iterator[Cgroup]:
    """A fresh child of the cgroup v2 root, removed after the test."""
    path = os.path.join(u.CGROUP_ROOT, f"bpflink-py-{os.getpid()}-{next(_counter)}")
    try:
        os.rmdir(path)  # left by a killed run with the same pid
    except OSError:
        pass
    os.mkdir(path)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield Cgroup(path, fd, os.fstat(fd).st_ino)
    finally:
        os.close(fd)
        for _ in range(100):  # links closed just now may keep it busy for a moment
            try:
                os.rmdir(path)
                break
            except OSError as e:
                if e.errno != errno.EBUSY:
                    raise
                time.sleep(0.01)
        assert not os.path.exists(path), f"cgroup {path} left behind"


def _private_mount(fstype: str) -> Iterator[str]:
    u.private_mount_ns()
    directory = tempfile.mkdtemp(prefix=f"bpflink-py-{fstype}-")
    try:
        u.mount(fstype, directory, fstype)
        try:
            yield directory
        finally:
            u.umount(directory)
    finally:
        os.rmdir(directory)


@pytest.fixture
def bpffs() -> Iterator[str]:
    """A private bpffs mounted on a fresh temporary directory (in this
    process's own mount namespace), unmounted and removed after."""
    yield from _private_mount("bpf")


@pytest.fixture
def tracefs() -> Iterator[str]:
    """A private tracefs mount, for tracepoint ids."""
    yield from _private_mount("tracefs")


@dataclass
class Netns:
    """The private network namespace a test runs in: its inode number, an
    open fd of it, and the ifindex of its loopback device."""

    ino: int
    fd: int
    lo: int
    path: str = "/proc/self/ns/net"


@pytest.fixture
def netns() -> Iterator[Netns]:
    """Moves the test process into a new network namespace with lo up, and
    back into its own afterwards (the private one, and whatever is attached
    in it, then goes away)."""
    import socket

    home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        u.unshare(u.CLONE_NEWNET)
        try:
            u.if_up("lo")
            fd = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            try:
                yield Netns(os.fstat(fd).st_ino, fd, socket.if_nametoindex("lo"))
            finally:
                os.close(fd)
        finally:
            u.setns(home, u.CLONE_NEWNET)
    finally:
        os.close(home)


@pytest.fixture
def probe_target(tmp_path) -> tuple[str, int]:
    """(path, offset): a private copy of /bin/true and its entry point's
    file offset, a uprobe target that nothing ever runs."""
    return u.probe_target(str(tmp_path))


@pytest.fixture(scope="session")
def bpftool() -> str:
    """The path of bpftool (fails when missing: setup.sh installs it)."""
    assert u.have_bpftool(), f"{u.BPFTOOL} is missing: run scripts/setup.sh"
    return u.BPFTOOL


@pytest.fixture(scope="session")
def cc() -> str:
    """A C compiler (fails when missing: setup.sh installs gcc)."""
    path = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    assert path, "no C compiler: run scripts/setup.sh"
    return path
