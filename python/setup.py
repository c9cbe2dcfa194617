"""Build steps of the bpflink wheel that pyproject.toml cannot express.

Everything declarative (name, version, packages, package data) lives in
pyproject.toml; this file only adds two commands:

* ``build_py`` puts libbpflink.so.1 into the wheel. When this directory is
  the ``python/`` of a bpflink checkout (its parent has ``bpflink.map`` and
  the Makefile), it runs the project's own build, ``make -C <checkout>
  lib``, and copies ``build/libbpflink.so.1`` into setuptools' staging
  directory (``build/lib.<platform>/bpflink/`` here), never into the source
  package ``bpflink/``: a copy there would sit beside the package of an
  editable install. Outside a checkout (an unpacked sdist, a copied tree) there is
  nothing to build from, and the wheel is made only if
  ``bpflink/libbpflink.so.1`` was put there beforehand; otherwise the build
  stops and says so. An editable install (``pip install -e``) builds and
  copies nothing: the package then loads the checkout's ``build/``.
* ``bdist_wheel`` tags the wheel for the platform (``py3-none-linux_x86_64``
  and the like) instead of ``py3-none-any``: it carries a native library,
  but no extension module, so it does not depend on the CPython ABI.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
from setuptools.command.build_py import build_py as _build_py
from setuptools.errors import SetupError

SONAME = "libbpflink.so.1"
HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(HERE)


def _is_checkout(top: str) -> bool:
    """Whether ``top`` is a bpflink checkout: the same marker the package's
    discovery uses (bpflink.map), plus the Makefile that builds the library."""
    return all(os.path.isfile(os.path.join(top, f)) for f in ("bpflink.map", "Makefile"))


def _build_library() -> str:
    """Runs ``make lib`` in the checkout and returns the library it made."""
    make = os.environ.get("MAKE", "make")
    cmd = [make, "-C", CHECKOUT, "lib"]
    print("bpflink: building the library:", " ".join(cmd), flush=True)
    try:
        status = subprocess.run(cmd).returncode
        why = f"exit status {status}"
    except OSError as e:
        status, why = -1, str(e)
    if status != 0:
        raise SetupError(
            f"bpflink: `{' '.join(cmd)}` failed ({why}); the wheel needs {SONAME} from the "
            f"checkout's build (cargo and a C compiler: scripts/setup.sh in the checkout "
            f"installs them)"
        )
    built = os.path.join(CHECKOUT, "build", SONAME)
    if not os.path.isfile(built):
        raise SetupError(f"bpflink: `make lib` succeeded but {built} is missing")
    return built


class build_py(_build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        staged = os.path.join(self.build_lib, "bpflink", SONAME)
        if _is_checkout(CHECKOUT):
            # A file the user left in bpflink/ was copied by super().run()
            # as package data; the fresh build replaces it.
            shutil.copyfile(_build_library(), staged)
        elif not os.path.isfile(os.path.join(HERE, "bpflink", SONAME)):
            raise SetupError(
                f"bpflink: cannot build the wheel without {SONAME}: {HERE} is not the "
                f"python/ directory of a bpflink checkout (no bpflink.map and Makefile in "
                f"{CHECKOUT}), so the library cannot be built here. Install from a "
                f"checkout (`pip install <checkout>/python`), or copy a built "
                f"{SONAME} to {os.path.join(HERE, 'bpflink', SONAME)} first."
            )
        os.chmod(staged, 0o755)  # as make install installs it
        print(f"bpflink: shipping {staged}", flush=True)


class NativeDistribution(Distribution):
    """A distribution with native code (the library), though no extension
    module: the wheel is not "pure", so its files go to platlib (the top of
    the wheel, with Root-Is-Purelib: false) and it gets a platform tag."""

    def has_ext_modules(self) -> bool:
        return True


class bdist_wheel(_bdist_wheel):
    def get_tag(self) -> tuple[str, str, str]:
        # Not the interpreter's tags (cp311-cp311): ctypes only, any Python 3.
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=NativeDistribution, cmdclass={"build_py": build_py, "bdist_wheel": bdist_wheel})
