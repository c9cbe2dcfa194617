"""Finding and loading libbpflink.so.1.

The library is looked for in this order, and the first hit wins:

1. An explicit path: ``bpflink.load_library(path)``, called before the
   first use. When given, it is the only place looked at.
2. ``$BPFLINK_LIBRARY``: a path to the library. When this variable is set
   (and not empty) it is the only place looked at: naming a library and
   silently getting another one would hide mistakes.
3. The bundled copy: ``bpflink/libbpflink.so.1`` inside the installed
   package. A wheel built from a checkout (``pip install <checkout>/python``)
   carries the library it built there. A file in the *source* package of a
   checkout (``<checkout>/python/bpflink/``, which an editable install
   imports) is ignored: there the checkout's ``build/`` is the library, and
   a forgotten copy must not shadow a fresh ``make lib``.
4. A build tree: walking up from the package directory, the first
   directory that is a bpflink checkout (it has ``bpflink.map``) and has
   ``build/libbpflink.so.1`` (what ``make lib`` builds). This finds the
   library when the package is used from a checkout, installed in editable
   mode, or installed into a virtual environment inside the checkout.
5. The system: ``ctypes.util.find_library("bpflink")`` (the dynamic
   loader's cache, after ``make install`` and ``ldconfig``).

If none of them has the library, :class:`LibraryNotFoundError` lists every
place that was tried. libbpf itself ("libbpf.so.1") is never loaded: a
``CDLL`` of it would find libbpf's functions, not bpflink's, even under a
preload.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

#: The file name (soname) of the library.
SONAME = "libbpflink.so.1"
#: The environment variable that names the library explicitly.
ENV_VAR = "BPFLINK_LIBRARY"
#: A file that marks the top of a bpflink checkout.
CHECKOUT_MARKER = "bpflink.map"

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class LibraryNotFoundError(OSError):
    """libbpflink.so.1 was found nowhere, or could not be loaded.

    ``tried`` holds one ``(place, outcome)`` pair per place looked at, in
    order; the message lists them all.
    """

    def __init__(self, tried: list[tuple[str, str]]):
        self.tried = list(tried)
        lines = [f"  {place}: {outcome}" for place, outcome in self.tried]
        super().__init__(
            f"bpflink: cannot load {SONAME}; looked in:\n" + "\n".join(lines)
            + f"\nInstall the package from a checkout (`pip install <checkout>/python` builds and "
            f"bundles it), build it with `make lib` in a checkout, or set {ENV_VAR} to its path."
        )


@dataclass(frozen=True)
class Candidate:
    """One place where the library may be.

    ``kind`` is ``"path"`` (given to ``load_library``), ``"env"``,
    ``"bundled"``, ``"build"`` or ``"system"``; ``where`` is the file (for
    ``"build"``, the directory that would be the checkout; empty for
    ``"system"`` and for an unset variable).
    """

    kind: str
    where: str

    def describe(self) -> str:
        """The place as the error message names it."""
        if self.kind == "path":
            return f"load_library: {self.where}"
        if self.kind == "env":
            return f"{ENV_VAR}={self.where}" if self.where else ENV_VAR
        if self.kind == "bundled":
            return f"bundled copy: {self.where}"
        if self.kind == "build":
            return f"build tree: {os.path.join(self.where, 'build', SONAME)}"
        return 'system: ctypes.util.find_library("bpflink")'


def source_checkout(package_dir: str) -> Optional[str]:
    """The checkout whose source package ``package_dir`` is (the directory
    two levels up, when it has the checkout marker), else None."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(package_dir)))
    return top if os.path.isfile(os.path.join(top, CHECKOUT_MARKER)) else None


def candidates(
    environ: Mapping[str, str] = os.environ,
    package_dir: str = PACKAGE_DIR,
    path: Optional[str] = None,
) -> list[Candidate]:
    """Every place to try, in order (see the module documentation).

    ``path`` is the explicit path (``load_library(path)``); the other
    arguments exist for tests: the environment and the directory of the
    package.
    """
    if path:
        return [Candidate("path", path)]
    explicit = environ.get(ENV_VAR, "")
    if explicit:
        return [Candidate("env", explicit)]
    package_dir = os.path.abspath(package_dir)
    found = [Candidate("env", ""), Candidate("bundled", os.path.join(package_dir, SONAME))]
    directory = package_dir
    while os.path.dirname(directory) != directory:
        directory = os.path.dirname(directory)
        found.append(Candidate("build", directory))
    found.append(Candidate("system", ""))
    return found


def _resolve(c: Candidate, system_finder: Callable[[str], Optional[str]]) -> tuple[Optional[str], str]:
    """``(what to load, "")`` when ``c`` has the library, else ``(None, why not)``."""
    if c.kind == "env" and not c.where:
        return None, "not set"
    if c.kind == "system":
        name = system_finder("bpflink")
        return (name, "") if name else (None, "not found")
    if c.kind == "build":
        path = os.path.join(c.where, "build", SONAME)
        if not os.path.exists(path):
            return None, "no such file"
        if not os.path.isfile(os.path.join(c.where, CHECKOUT_MARKER)):
            return None, f"not a bpflink checkout (no {CHECKOUT_MARKER})"
        return path, ""
    path = os.path.abspath(c.where)
    if not os.path.exists(path):
        return None, "no such file"
    if c.kind == "bundled":
        top = source_checkout(os.path.dirname(path))
        if top is not None:
            return None, f"ignored: this is the source package of the checkout {top}, whose build/ is used"
    return path, ""


def find(
    environ: Mapping[str, str] = os.environ,
    package_dir: str = PACKAGE_DIR,
    system_finder: Callable[[str], Optional[str]] = ctypes.util.find_library,
    path: Optional[str] = None,
) -> tuple[str, str]:
    """The library to load, as ``(path, place)``; for the system entry the
    path is the name the dynamic loader resolves. ``path`` is an explicit
    path, the only place tried when given.

    Raises :class:`LibraryNotFoundError` naming every place tried.
    """
    tried = []
    for c in candidates(environ, package_dir, path):
        found, why = _resolve(c, system_finder)
        if found is not None:
            return found, c.describe()
        tried.append((c.describe(), why))
    raise LibraryNotFoundError(tried)


def load(
    environ: Mapping[str, str] = os.environ,
    package_dir: str = PACKAGE_DIR,
    system_finder: Callable[[str], Optional[str]] = ctypes.util.find_library,
    path: Optional[str] = None,
) -> tuple[ctypes.CDLL, str, str]:
    """Finds and loads the library: ``(CDLL, path, place)``.

    The library is loaded with ``use_errno=True`` and ``RTLD_LOCAL``, by
    its own path. A file that exists but does not load (wrong architecture,
    not a library) is reported with the loader's message.
    """
    found, place = find(environ, package_dir, system_finder, path)
    try:
        lib = ctypes.CDLL(found, mode=os.RTLD_LOCAL | os.RTLD_NOW, use_errno=True)
    except OSError as e:
        raise LibraryNotFoundError([(place, f"{found} does not load: {e}")]) from e
    for symbol in ("bpf_link_create", "bpflink_link_from_fd"):
        if not hasattr(lib, symbol):
            raise LibraryNotFoundError([(place, f"{found} has no {symbol}: not bpflink")])
    return lib, found, place
