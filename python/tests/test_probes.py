"""The capability gate itself (probes.py, conftest.py): pytest run in a
subprocess (pytester) on generated tests whose probes are made up here,
one that succeeds and records each call in a file, one that is refused.
Also the refusal check on a real test, the rule that finds the cgroup2
mount, and errno names."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

import bpfutil as u
import probes

TESTS = Path(__file__).resolve().parent

GENERATED = '''
import errno
import os

import pytest

import probes


def succeeds():
    with open(os.environ["GATE_CALLS"], "a") as f:
        f.write("call\\n")


def refused():
    raise probes.Refused(errno.ENODEV, "open the device")


probes.register("selftest_ok", succeeds)
probes.register("selftest_refused", refused)


@pytest.mark.needs("selftest_ok")
def test_runs():
    pass


@pytest.mark.needs("selftest_ok")
def test_fails():
    raise AssertionError("this body fails on purpose")


def test_runs_again_from_the_cache():
    probes.need("selftest_ok")


@pytest.mark.needs("selftest_refused")
def test_never_runs():
    raise AssertionError("ran although its probe was refused")
'''

SKIP_OK = "probe selftest_ok: EPERM from simulated refusal (BPFLINK_TEST_REFUSE)"
SKIP_REFUSED = "probe selftest_refused: ENODEV from open the device (No such device)"


@pytest.fixture
def gate(pytester, monkeypatch, tmp_path):
    """Runs pytest with this directory's conftest.py on ``GENERATED`` (plus
    ``extra``), with BPFLINK_TEST_REFUSE set to ``refuse`` (or unset); returns
    the result, the probe calls and the probe log."""
    pytester.makeconftest((TESTS / "conftest.py").read_text())
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    monkeypatch.delenv("BPFLINK_ALLOW_SKIP", raising=False)

    def run(refuse: str | None = None, extra: str = ""):
        calls, log = tmp_path / "calls", tmp_path / "probes.log"
        for f in (calls, log):
            f.unlink(missing_ok=True)
        monkeypatch.setenv("GATE_CALLS", str(calls))
        monkeypatch.setenv("BPFLINK_PROBE_LOG", str(log))
        if refuse is None:
            monkeypatch.delenv("BPFLINK_TEST_REFUSE", raising=False)
        else:
            monkeypatch.setenv("BPFLINK_TEST_REFUSE", refuse)
        pytester.makepyfile(test_gate_child=GENERATED + extra)
        result = pytester.runpytest_subprocess("-rfs", "-p", "no:cacheprovider")
        read = lambda f: f.read_text() if f.exists() else ""  # noqa: E731
        return result, read(calls).count("call"), read(log)

    return run


def skip_line(result, reason: str) -> bool:
    """Whether pytest's summary has a skip with this reason (``-rs``)."""
    return any(re.match(r"SKIPPED \[\d+\] .*: " + re.escape(reason) + "$", line) for line in result.outlines)


def test_a_succeeding_probe_runs_the_test_and_a_failing_body_fails(gate):
    result, calls, log = gate()
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAILED test_gate_child.py::test_fails - AssertionError: this body fails*"])
    assert skip_line(result, SKIP_REFUSED), result.outlines
    result.stdout.fnmatch_lines(["python: skipped capabilities: selftest_refused (ENODEV)"])
    assert calls == 1, "three tests asked, the probe ran once"
    assert log == ("python\tselftest_ok\tok\t-\treal\n"
                   "python\tselftest_refused\tENODEV\topen the device\treal\n")


def test_a_simulated_refusal_skips_by_name_and_the_run_passes(gate):
    result, calls, log = gate(refuse="selftest_ok")
    result.assert_outcomes(skipped=4)
    assert result.ret == pytest.ExitCode.OK, "probe skips pass, also as root"
    assert skip_line(result, SKIP_OK) and skip_line(result, SKIP_REFUSED), result.outlines
    result.stdout.fnmatch_lines(["python: skipped capabilities: selftest_ok (EPERM), selftest_refused (ENODEV)"])
    assert calls == 0, "a simulated refusal does not run the probe"
    assert log == ("python\tselftest_ok\tEPERM\tsimulated refusal\tsimulated\n"
                   "python\tselftest_refused\tENODEV\topen the device\treal\n")


PLAIN_SKIPS = '''

def test_plain_skip():
    pytest.skip("no reason a probe gave")


def test_skip_dressed_as_a_probe():
    pytest.skip("probe made_up: EPERM from nowhere (Operation not permitted)")
'''


def test_as_root_a_skip_no_probe_made_fails_the_session(gate):
    result, _, _ = gate(refuse="selftest_ok", extra=PLAIN_SKIPS)
    result.assert_outcomes(skipped=6)
    if os.geteuid() == 0:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(["*FAILED: 2 test(s) skipped while running as root, not by a refused*"])
    else:
        assert result.ret == pytest.ExitCode.OK


@pytest.mark.kernel
def test_refusal_check_bpf_map_elem_is_a_named_skip(pytester, monkeypatch, tmp_path):
    """The path a machine without bpf_map_elem iterators takes, here: the
    real test, with its probe refused by simulation."""
    log = tmp_path / "probes.log"
    monkeypatch.setenv("BPFLINK_TEST_REFUSE", "iter_bpf_map_elem")
    monkeypatch.setenv("BPFLINK_PROBE_LOG", str(log))
    monkeypatch.delenv("BPFLINK_ALLOW_SKIP", raising=False)
    result = pytester.runpytest_subprocess(
        "-rs", "-p", "no:cacheprovider", f"{TESTS / 'test_link_create.py'}::test_iter_map_elem")
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.OK
    assert skip_line(result, "probe iter_bpf_map_elem: EPERM from simulated refusal (BPFLINK_TEST_REFUSE)")
    result.stdout.fnmatch_lines(["python: skipped capabilities: iter_bpf_map_elem (EPERM)"])
    refusals = [line for line in log.read_text().splitlines() if line.split("\t")[2] != "ok"]
    assert refusals == ["python\titer_bpf_map_elem\tEPERM\tsimulated refusal\tsimulated"]


def test_cgroup2_mount_rule():
    text = (b"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
            b"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
            b"41 31 0:38 / /run/my\\040cgroup2 rw,relatime shared:10 - cgroup2 cgroup2 rw\n"
            b"42 31 0:39 / /mnt/other rw - cgroup2 cgroup2 rw\n")
    assert u.mount_point_in(text, "cgroup2") == "/run/my cgroup2"
    assert u.mount_point_in(text, "tmpfs") == "/sys/fs/cgroup"
    assert u.mount_point_in(text, "cgroup") == "/sys/fs/cgroup/cpu"
    assert u.mount_point_in(text, "tracefs") is None
    assert u.mount_point_in(b"", "cgroup2") is None
    with open("/proc/self/mountinfo", "rb") as f:
        assert u.cgroup2_root() == u.mount_point_in(f.read(), "cgroup2")


def test_errno_names_are_glibcs():
    assert probes.errno_name(errno.EPERM) == "EPERM"
    assert probes.errno_name(errno.EOPNOTSUPP) == "EOPNOTSUPP"
    assert probes.errno_name(errno.EAGAIN) == "EAGAIN"
    assert probes.errno_name(524) == "ENOTSUPP"
    r = probes.Refusal("iter_bpf_map_elem", errno.EPERM, "BPF_PROG_LOAD")
    assert r.line == "probe iter_bpf_map_elem: EPERM from BPF_PROG_LOAD (Operation not permitted)"
