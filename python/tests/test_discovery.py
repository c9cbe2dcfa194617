"""Finding libbpflink.so.1: the order of the places (explicit path,
$BPFLINK_LIBRARY, bundled copy, build tree, system), the error that lists
them, and that the package never loads libbpf. test_install.py checks the
bundled copy of a real wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import bpflink
from bpflink import _discovery
from bpflink._discovery import ENV_VAR, SONAME, LibraryNotFoundError, find

# The library under test: what the Makefile exports, or the loaded one.
REAL = os.environ.get(ENV_VAR) or bpflink.library_path()


def no_system(name: str) -> None:
    return None


def test_env_var_wins(tmp_path):
    copy = tmp_path / "elsewhere" / SONAME
    copy.parent.mkdir()
    shutil.copy(REAL, copy)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(REAL, pkg / SONAME)  # would be found next, but the variable comes first
    path, place = find({ENV_VAR: str(copy)}, str(pkg), no_system)
    assert path == str(copy)
    assert place == f"{ENV_VAR}={copy}"


def test_env_var_is_the_only_place_when_set(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(REAL, pkg / SONAME)
    missing = tmp_path / "nothing" / SONAME
    with pytest.raises(LibraryNotFoundError) as e:
        find({ENV_VAR: str(missing)}, str(pkg), lambda n: "libbpflink.so.1")
    assert e.value.tried == [(f"{ENV_VAR}={missing}", "no such file")]
    assert str(missing) in str(e.value)


def test_explicit_path_before_env_var(tmp_path):
    copy = tmp_path / "explicit" / SONAME
    copy.parent.mkdir()
    shutil.copy(REAL, copy)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(REAL, pkg / SONAME)
    env = {ENV_VAR: str(tmp_path / "missing" / SONAME)}
    path, place = find(env, str(pkg), no_system, path=str(copy))
    assert (path, place) == (str(copy), f"load_library: {copy}")


def test_explicit_path_is_the_only_place(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(REAL, pkg / SONAME)
    missing = tmp_path / "nothing" / SONAME
    with pytest.raises(LibraryNotFoundError) as e:
        find({ENV_VAR: REAL}, str(pkg), lambda n: "libbpflink.so.1", path=str(missing))
    assert e.value.tried == [(f"load_library: {missing}", "no such file")]


def test_empty_env_var_counts_as_unset(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    shutil.copy(REAL, pkg / SONAME)
    path, place = find({ENV_VAR: ""}, str(pkg), no_system)
    assert (path, place) == (str(pkg / SONAME), f"bundled copy: {pkg / SONAME}")


def test_bundled_copy_before_build_tree(tmp_path):
    """A wheel installed into a venv inside a checkout loads its own copy."""
    top = tmp_path / "checkout"
    pkg = top / ".venv" / "lib" / "python3" / "site-packages" / "bpflink"
    pkg.mkdir(parents=True)
    (top / "bpflink.map").write_text("")
    (top / "build").mkdir()
    shutil.copy(REAL, top / "build" / SONAME)
    shutil.copy(REAL, pkg / SONAME)
    path, place = find({}, str(pkg), no_system)
    assert (path, place) == (str(pkg / SONAME), f"bundled copy: {pkg / SONAME}")


def test_copy_in_a_checkouts_source_package_is_ignored(tmp_path):
    """<checkout>/python/bpflink/ is what an editable install imports: a
    file left there must not shadow the checkout's build/."""
    top = tmp_path / "checkout"
    pkg = top / "python" / "bpflink"
    pkg.mkdir(parents=True)
    (top / "bpflink.map").write_text("")
    (pkg / SONAME).write_text("a stale copy")
    (top / "build").mkdir()
    shutil.copy(REAL, top / "build" / SONAME)
    path, place = find({}, str(pkg), no_system)
    assert (path, place) == (str(top / "build" / SONAME), f"build tree: {top / 'build' / SONAME}")

    os.unlink(top / "build" / SONAME)
    with pytest.raises(LibraryNotFoundError) as e:
        find({}, str(pkg), no_system)
    bundled = dict(e.value.tried)[f"bundled copy: {pkg / SONAME}"]
    assert bundled.startswith("ignored: this is the source package of the checkout")
    assert str(top) in bundled


def test_build_tree_found_walking_up(tmp_path):
    top = tmp_path / "checkout"
    pkg = top / ".deps" / "venv" / "lib" / "site-packages" / "bpflink"
    pkg.mkdir(parents=True)
    (top / "bpflink.map").write_text("")
    (top / "build").mkdir()
    shutil.copy(REAL, top / "build" / SONAME)
    path, place = find({}, str(pkg), no_system)
    assert path == str(top / "build" / SONAME)
    assert place == f"build tree: {top / 'build' / SONAME}"


def test_build_dir_outside_a_checkout_is_ignored(tmp_path):
    pkg = tmp_path / "a" / "bpflink"
    pkg.mkdir(parents=True)
    (tmp_path / "build").mkdir()
    shutil.copy(REAL, tmp_path / "build" / SONAME)  # no bpflink.map beside build/
    path, place = find({}, str(pkg), lambda name: "libbpflink.so.1")
    assert (path, place) == ("libbpflink.so.1", 'system: ctypes.util.find_library("bpflink")')


def test_system_asked_for_bpflink_last(tmp_path):
    asked = []
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    find({}, str(pkg), lambda name: asked.append(name) or "libbpflink.so.1")
    assert asked == ["bpflink"]


def test_error_names_every_place_tried(tmp_path):
    pkg = tmp_path / "x" / "bpflink"
    pkg.mkdir(parents=True)
    (tmp_path / "bpflink.map").write_text("")  # a checkout without a build
    with pytest.raises(LibraryNotFoundError) as e:
        find({}, str(pkg), no_system)
    places = [place for place, _ in e.value.tried]
    ancestors = []
    d = str(pkg)
    while os.path.dirname(d) != d:
        d = os.path.dirname(d)
        ancestors.append(d)
    assert e.value.tried[0] == (ENV_VAR, "not set")
    assert places == (
        [ENV_VAR, f"bundled copy: {pkg / SONAME}"]
        + [f"build tree: {os.path.join(a, 'build', SONAME)}" for a in ancestors]
        + ['system: ctypes.util.find_library("bpflink")']
    )
    message = str(e.value)
    for place in places:
        assert place in message
    assert "not found" in message and "no such file" in message
    assert ENV_VAR in message and "make lib" in message
    assert isinstance(e.value, OSError)


def test_file_that_is_not_a_library(tmp_path):
    bogus = tmp_path / SONAME
    bogus.write_text("not an ELF file")
    with pytest.raises(LibraryNotFoundError, match="does not load"):
        _discovery.load({ENV_VAR: str(bogus)})


def test_library_without_bpflink_symbols(tmp_path):
    libc = "/lib/x86_64-linux-gnu/libc.so.6"
    if not os.path.exists(libc):
        libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
    with pytest.raises(LibraryNotFoundError, match="not bpflink"):
        _discovery.load({ENV_VAR: libc})


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)


def test_import_does_not_load_and_first_use_does(tmp_path):
    env = dict(os.environ, **{ENV_VAR: str(tmp_path / "missing.so")})
    code = (
        "import bpflink\n"
        "print('imported', bpflink.BPF_XDP)\n"
        "try:\n"
        "    bpflink.link_type_name(3)\n"
        "except bpflink.LibraryNotFoundError as e:\n"
        "    print('error:', e)\n"
    )
    r = _python(code, env)
    assert r.returncode == 0, r.stderr
    assert "imported 37" in r.stdout
    assert f"error: bpflink: cannot load {SONAME}" in r.stdout
    assert str(tmp_path / "missing.so") in r.stdout


def test_loads_by_path_and_never_libbpf():
    env = dict(os.environ, **{ENV_VAR: REAL})
    code = (
        "import bpflink\n"
        "print(bpflink.link_type_name(3), bpflink.library_path())\n"
        "maps = open('/proc/self/maps').read()\n"
        "print('libbpf.so' in maps, 'libbpflink.so' in maps)\n"
    )
    r = _python(code, env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == [f"cgroup {os.path.abspath(REAL)}", "False True"]


def test_load_library_with_a_path(tmp_path):
    """bpflink.load_library(path) wins over the variable, loads that file,
    and refuses another file once a library is loaded."""
    link = tmp_path / "link.so"
    link.symlink_to(os.path.abspath(REAL))
    env = dict(os.environ, **{ENV_VAR: str(tmp_path / "missing.so")})
    code = (
        "import sys, bpflink\n"
        "real, link = sys.argv[1:3]\n"
        "print(bpflink.load_library(real) == real, bpflink.raw.library_place() == 'load_library: ' + real)\n"
        "print(bpflink.link_type_name(3), bpflink.library_path() == real)\n"
        "print(bpflink.load_library(link) == real, bpflink.load_library() == real)\n"
        "try:\n"
        "    bpflink.load_library('/bin/true')\n"
        "except RuntimeError as e:\n"
        "    print('refused:', e)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, os.path.abspath(REAL), str(link)], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:3] == ["True True", "cgroup True", "True True"]
    assert lines[3].startswith(f"refused: bpflink: {SONAME} is already loaded from {os.path.abspath(REAL)}")
    assert "load_library('/bin/true')" in lines[3]


def test_package_source_never_names_libbpf():
    pkg = os.path.dirname(bpflink.__file__)
    for name in os.listdir(pkg):
        if name.endswith(".py"):
            with open(os.path.join(pkg, name)) as f:
                text = f.read()
            for line in text.splitlines():
                if "CDLL" in line or "find_library" in line:
                    assert "libbpf.so" not in line and '"bpf"' not in line, f"{name}: {line}"
