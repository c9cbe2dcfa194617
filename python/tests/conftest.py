"""Fixtures of the bpflink Python tests.

Tests marked ``kernel`` need root and a kernel that loads BPF programs (the
``bpf_prog_load`` probe); as a normal user they are skipped with a
one-line reason. ``@pytest.mark.needs("name", ...)`` names the capability
probes (probes.py, docs/probes.md) a test needs beyond that, and fixtures
ask for theirs (``cgroup``: cgroup2_mount; ``bpftool``; ``tracefs``). A
refused probe skips the test with the reason
``probe <name>: <ENAME> from <step> (<strerror>)``.

When running as root, a skipped test fails the session (exit status 1)
unless a probe refused it (or BPFLINK_ALLOW_SKIP=1): a machine may lack a
capability, but nothing else may keep a test from running. The terminal
summary lists the capabilities whose refusal skipped tests.

Every test is also checked for fd leaks: the number of open fds of the
process must be the same after the test (fixtures torn down) as before.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest

import bpfutil as u
import probes

pytest_plugins = ["pytester"]  # test_probes.py runs pytest on generated tests

_counter = itertools.count()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kernel: needs root and BPF in the running kernel")
    config.addinivalue_line("markers", "needs(*names): the capability probes (probes.py) the test needs")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("kernel") is not None:
        if os.geteuid() != 0:
            pytest.skip(f"kernel tests need root (euid {os.geteuid()})")
        probes.need("bpf_prog_load")
    for mark in item.iter_markers("needs"):
        probes.need(*mark.args)


_PROBE_SKIP = re.compile(r"Skipped: probe (\w+): E[A-Z0-9]+ from ")


def _probe_skip(report: pytest.TestReport) -> bool:
    """Whether a probe's refusal made this skip: the reason has the probe
    form and names a probe that was refused in this process."""
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    m = _PROBE_SKIP.match(reason)
    return m is not None and m.group(1) in probes.refused


def _root_skips(config: pytest.Config) -> int:
    """Skipped tests that count as failures: when running as root, those
    no refused probe made."""
    if os.geteuid() != 0 or os.environ.get("BPFLINK_ALLOW_SKIP") == "1":
        return 0
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    return sum(1 for report in skipped if not _probe_skip(report))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _root_skips(session.config) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if probes.refused:
        caps = ", ".join(f"{name} ({r.ename})" for name, r in sorted(probes.refused.items()))
        terminalreporter.write_line(f"{probes.SUITE}: skipped capabilities: {caps}")
    skipped = _root_skips(config)
    if skipped:
        terminalreporter.write_sep(
            "=", f"FAILED: {skipped} test(s) skipped while running as root, not by a refused "
                 "capability probe (such skips are failures here; BPFLINK_ALLOW_SKIP=1 allows them)", red=True)


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
    """A fresh child of the cgroup2 mount (bpfutil.cgroup2_root()), removed
    after the test."""
    probes.need("cgroup2_mount")
    path = os.path.join(u.cgroup2_root(), f"bpflink-py-{os.getpid()}-{next(_counter)}")
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
        u.rmdir_when_free(path)
        assert not os.path.exists(path), f"cgroup {path} left behind"


@pytest.fixture
def bpffs() -> Iterator[str]:
    """A private bpffs mounted on a fresh temporary directory (in this
    process's own mount namespace), unmounted and removed after."""
    probes.need("bpffs_mount")
    with u.private_mount("bpf") as directory:
        yield directory


@pytest.fixture
def tracefs() -> Iterator[str]:
    """A private tracefs mount, for tracepoint ids."""
    probes.need("tracefs_mount")
    with u.private_mount("tracefs") as directory:
        yield directory


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


@pytest.fixture
def bpftool() -> str:
    """The path of the bpftool on PATH (the ``bpftool`` probe: a test that
    compares with bpftool is skipped by name where there is none)."""
    probes.need("bpftool")
    return u.bpftool_path()


@pytest.fixture(scope="session")
def cc() -> str:
    """A C compiler (fails when missing: setup.sh installs gcc)."""
    path = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    assert path, "no C compiler: run scripts/setup.sh"
    return path
