"""`pip install <checkout>/python` is enough: the wheel carries the library.

A fresh virtual environment is made in a temporary directory outside the
checkout, and the package from this checkout is installed into it the way
a user would (not editable). Then, with no BPFLINK_* variable and the
working directory outside the checkout, that environment's Python imports
bpflink, which must load the copy bundled in its own site-packages, the
same bytes as the checkout's build/libbpflink.so.1, and list the links of
the system. ``pip wheel`` is checked too: the library inside, a platform
tag, not ``any``. A tree without a checkout around it (what an sdist
unpacks to) must refuse to make a wheel unless the library was put into
the package by hand. Last, the editable install these tests run from
(.deps/venv) must load the checkout's build/, not a bundled copy.

pip builds the package in an isolated environment and fetches setuptools
for it: this needs PyPI (the network) unless pip's cache already has a
matching setuptools. The library itself comes from `make -C <checkout>
lib`, which `make test` has run already, so the build is quick. The
temporary directory, with the venv and the wheels, is removed at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Iterator

import pytest

import bpflink
import bpfutil as u
from bpflink import BPF_CGROUP_INET_INGRESS, link_create
from bpflink._discovery import SONAME

CHECKOUT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PYTHON_DIR = os.path.join(CHECKOUT, "python")
BUILT = os.path.join(CHECKOUT, "build", SONAME)
# The platform part of the wheel tag, as bdist_wheel spells it.
PLATFORM = sysconfig.get_platform().replace("-", "_").replace(".", "_")
PIP_TIMEOUT = 600


def _sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _clean_env(tmp: str) -> dict[str, str]:
    """This environment without what would steer the child: BPFLINK_*
    (make test-python sets BPFLINK_LIBRARY), the make variables of the
    make that runs these tests, and the variables of this venv. Plus
    DIST_EXTRA_CONFIG, a setuptools config that moves the staging
    directory (``build_base``, python/build/ by default) into ``tmp``: the
    run leaves nothing in the checkout, and two runs do not share it."""
    drop = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPFLINK_") and k not in drop}
    env["DIST_EXTRA_CONFIG"] = os.path.join(tmp, "setuptools.cfg")
    return env


def _run(cmd: list[str], tmp: str, check: bool = True) -> subprocess.CompletedProcess:
    """Runs ``cmd`` in ``tmp`` (the temporary directory, outside the
    checkout) with ``_clean_env(tmp)``; fails the test, with the output,
    when it fails and ``check`` is set."""
    r = subprocess.run(cmd, cwd=tmp, env=_clean_env(tmp), capture_output=True, text=True, timeout=PIP_TIMEOUT)
    if check and r.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited with {r.returncode}\n--- stdout\n{r.stdout}\n--- stderr\n{r.stderr}")
    return r


@dataclass
class Fresh:
    """The temporary directory (outside the checkout) and the venv in it."""

    tmp: str
    python: str

    def pip_wheel(self, source: str, out: str, check: bool = True) -> subprocess.CompletedProcess:
        shutil.rmtree(os.path.join(self.tmp, "build"), ignore_errors=True)  # no staging shared between builds
        return _run([self.python, "-m", "pip", "wheel", "--no-deps", "-w", out, source], self.tmp, check)


@pytest.fixture(scope="module")
def fresh() -> Iterator[Fresh]:
    assert os.path.isfile(os.path.join(CHECKOUT, "bpflink.map")), f"{CHECKOUT} is not a bpflink checkout"
    tmp = os.path.realpath(tempfile.mkdtemp(prefix="bpflink-install-"))
    try:
        assert os.path.commonpath([tmp, CHECKOUT]) != CHECKOUT, f"{tmp} is inside the checkout"
        with open(os.path.join(tmp, "setuptools.cfg"), "w") as f:
            f.write(f"[build]\nbuild_base = {os.path.join(tmp, 'build')}\n")
        venv = os.path.join(tmp, "venv")
        _run([sys.executable, "-m", "venv", venv], tmp)
        python = os.path.join(venv, "bin", "python")
        _run([python, "-m", "pip", "install", "-q", PYTHON_DIR], tmp)
        yield Fresh(tmp, python)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# Run by the fresh venv's Python: where bpflink and its library are, the
# files named libbpf* (bpflink's or libbpf's) the process has mapped, and
# (argv[1] == "links") the ids and type names of the links of the system.
REPORT = r"""
import hashlib, json, sys, sysconfig
import bpflink
out = {
    "module": bpflink.__file__,
    "platlib": sysconfig.get_paths()["platlib"],
    "path": bpflink.load_library(),
    "place": bpflink.raw.library_place(),
    "type3": bpflink.link_type_name(3),
}
with open(out["path"], "rb") as f:
    out["sha256"] = hashlib.sha256(f.read()).hexdigest()
with open("/proc/self/maps") as f:
    mapped = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
out["mapped"] = sorted(p for p in mapped if "libbpf" in p)
if sys.argv[1:] == ["links"]:
    out["links"] = [[info.id, info.type_name] for info in bpflink.links()]
print(json.dumps(out))
"""


def _report(python: str, tmp: str, *args: str) -> dict:
    r = _run([python, "-c", REPORT, *args], tmp)
    return json.loads(r.stdout)


def test_pip_install_loads_the_bundled_copy(fresh):
    got = _report(fresh.python, fresh.tmp)
    pkg = os.path.join(got["platlib"], "bpflink")
    bundled = os.path.join(pkg, SONAME)
    assert got["platlib"].startswith(fresh.tmp + os.sep)
    assert got["module"] == os.path.join(pkg, "__init__.py")
    assert got["path"] == bundled
    assert got["place"] == f"bundled copy: {bundled}"
    assert got["mapped"] == [bundled], "the process maps another bpflink or libbpf"
    assert got["sha256"] == _sha256(BUILT), f"the bundled copy is not the build of {BUILT}"
    assert got["type3"] == "cgroup"


@pytest.mark.kernel
@pytest.mark.needs("link_cgroup")
def test_pip_install_lists_links(fresh, prog, cgroup):
    """The installed package sees the kernel's links: one made here (by the
    checkout's bpflink) is among those it lists."""
    p = prog(u.PROG_CGROUP_SKB)
    with link_create(p, cgroup.fd, BPF_CGROUP_INET_INGRESS) as link:
        link_id = link.id
        got = _report(fresh.python, fresh.tmp, "links")
    assert got["place"].startswith("bundled copy: ")
    assert [link_id, "cgroup"] in got["links"]


def _wheel_in(directory: str) -> str:
    wheels = [f for f in os.listdir(directory) if f.endswith(".whl")]
    assert len(wheels) == 1, wheels
    return os.path.join(directory, wheels[0])


def _check_wheel(path: str, library_sha256: str) -> None:
    assert os.path.basename(path) == f"bpflink-{bpflink.__version__}-py3-none-{PLATFORM}.whl"
    assert PLATFORM != "any"
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        so = f"bpflink/{SONAME}"
        assert [n for n in names if ".so" in n] == [so]
        assert hashlib.sha256(z.read(so)).hexdigest() == library_sha256
        assert (z.getinfo(so).external_attr >> 16) & 0o111, "the library is not executable in the wheel"
        wheel = z.read(f"bpflink-{bpflink.__version__}.dist-info/WHEEL").decode().splitlines()
        assert f"Tag: py3-none-{PLATFORM}" in wheel and "Root-Is-Purelib: false" in wheel
        record = z.read(f"bpflink-{bpflink.__version__}.dist-info/RECORD").decode()
        assert any(line.startswith(so + ",") for line in record.splitlines())


def test_pip_wheel_carries_the_library(fresh):
    out = os.path.join(fresh.tmp, "wheel")
    fresh.pip_wheel(PYTHON_DIR, out)
    _check_wheel(_wheel_in(out), _sha256(BUILT))


def test_tree_without_checkout(fresh):
    """The package sources alone, as an sdist unpacks them: no wheel
    without the library, a wheel with the copy put into the package."""
    src = os.path.join(fresh.tmp, "src")
    shutil.copytree(PYTHON_DIR, src, ignore=shutil.ignore_patterns(
        "build", "dist", "*.egg-info", "tests", "__pycache__", "libbpflink.so*"))
    out = os.path.join(fresh.tmp, "alone")
    r = fresh.pip_wheel(src, out, check=False)
    assert r.returncode != 0
    assert f"bpflink: cannot build the wheel without {SONAME}" in r.stdout + r.stderr
    assert "is not the python/ directory of a bpflink checkout" in r.stdout + r.stderr

    shutil.copyfile(BUILT, os.path.join(src, "bpflink", SONAME))
    fresh.pip_wheel(src, out)
    _check_wheel(_wheel_in(out), _sha256(BUILT))


def test_editable_install_uses_the_build_tree(fresh):
    """The venv running these tests has python/ installed in editable mode
    (scripts/setup.sh): without BPFLINK_LIBRARY it loads build/."""
    source_pkg = os.path.join(PYTHON_DIR, "bpflink")
    assert os.path.dirname(os.path.abspath(bpflink.__file__)) == source_pkg, \
        "these tests are not running from the checkout's editable install (.deps/venv)"
    got = _report(sys.executable, fresh.tmp)
    assert got["module"] == os.path.join(source_pkg, "__init__.py")
    assert (got["path"], got["place"]) == (BUILT, f"build tree: {BUILT}")
    assert got["mapped"] == [os.path.realpath(BUILT)]
