"""set_print(): the library's messages into a Python function. The
message used is the one bpf_link_create prints for a too small options
struct, before any syscall, so these tests need no privileges."""

from __future__ import annotations

import pytest

import bpflink
from bpflink import BPF_CGROUP_INET_INGRESS, LIBBPF_WARN, raw

MESSAGE = "libbpf: bpf_link_create_opts size (4) is too small\n"


def provoke() -> None:
    with pytest.raises(OSError):
        raw.bpf_link_create(0, 0, BPF_CGROUP_INET_INGRESS, raw.bpf_link_create_opts(sz=4))


@pytest.fixture
def restore_print():
    previous = bpflink.set_print(None)
    bpflink.set_print(previous)
    yield
    bpflink.set_print(previous)


def test_messages_reach_the_function_formatted(restore_print):
    got = []
    bpflink.set_print(lambda level, text: got.append((level, text)))
    provoke()
    assert got == [(LIBBPF_WARN, MESSAGE)]


def test_previous_callback_is_returned_and_restorable(restore_print, capfd):
    first, second = [], []
    f1 = lambda level, text: first.append(text)  # noqa: E731
    default = bpflink.set_print(f1)
    assert default is not None and not callable(getattr(default, "__wrapped__", None))
    assert bpflink.set_print(lambda level, text: second.append(text)) is f1
    provoke()
    assert (first, second) == ([], [MESSAGE])
    bpflink.set_print(default)  # the library's own: prints to stderr
    provoke()
    assert MESSAGE in capfd.readouterr().err


def test_none_silences(restore_print, capfd):
    bpflink.set_print(None)
    provoke()
    assert capfd.readouterr().err == ""
    assert bpflink.set_print(None) is None


def test_exceptions_in_the_callback_are_swallowed(restore_print):
    def broken(level, text):
        raise RuntimeError("no")

    bpflink.set_print(broken)
    provoke()  # still just the OSError
