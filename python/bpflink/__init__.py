"""bpflink: libbpf's BPF link API from Python, through libbpflink.so.1.

Two layers:

* :mod:`bpflink.raw` mirrors the C API (``bpf_link_create``,
  ``bpf_link__pin``, ...) with ctypes structures of libbpf's exact layout;
  failures raise ``OSError(errno, "function: strerror")``.
* This module's :class:`Link`, :func:`link_create`, :func:`links` and the
  :class:`LinkInfo` classes are the pythonic way in::

      import bpflink
      # app_cgroup: a directory of the cgroup2 hierarchy, "<cgroup2 mount>/app",
      # where the cgroup2 mount is the mount point of the cgroup2 line of
      # /proc/self/mountinfo (its place differs from system to system)
      with bpflink.link_create(prog_fd, app_cgroup,
                               bpflink.BPF_CGROUP_INET_INGRESS) as link:
          print(link.info)
      for info in bpflink.links():
          print(info.id, info.type_name)

The shared library is loaded on first use (importing the package does not
load it), from the first of these places that has it, as
:mod:`bpflink._discovery` describes: the path given to
:func:`load_library`, ``$BPFLINK_LIBRARY``, the copy bundled in the package
(a wheel built from a checkout carries one), a checkout's ``build/``, the
system. ``library_path()`` says which file was loaded.

The constants of :mod:`bpflink.constants` are available here too.
"""

from __future__ import annotations

import os as _os
from typing import Optional, Union

from . import constants, raw
from ._discovery import ENV_VAR, LibraryNotFoundError
from .constants import *  # noqa: F401,F403  (plain int constants and the IntEnums)
from .constants import AttachType, CgroupIterOrder, LinkType, PerfEventType, enum_name
from .info import (
    CgroupLinkInfo,
    IterLinkInfo,
    KprobeMultiLinkInfo,
    LinkInfo,
    NetfilterLinkInfo,
    NetkitLinkInfo,
    NetnsLinkInfo,
    PerfEventLinkInfo,
    RawTracepointLinkInfo,
    SockmapLinkInfo,
    StructOpsLinkInfo,
    TcxLinkInfo,
    TracingLinkInfo,
    TracingMultiLinkInfo,
    UnknownLinkInfo,
    UprobeMultiLinkInfo,
    XdpLinkInfo,
    link_info_from_fd,
    link_type_name,
)
from .link import Link, attach_family, iter_links, link_create, link_ids, links, set_print

__version__ = "0.1.0"


def load_library(path: Optional[Union[str, "_os.PathLike[str]"]] = None) -> str:
    """Loads libbpflink.so.1 now (instead of at the first call) and returns
    the path it was loaded from.

    ``path`` names the library file explicitly; it is then the only place
    tried, ahead of ``$BPFLINK_LIBRARY``. Without it the usual search runs.
    Raises :class:`LibraryNotFoundError` with every place tried when the
    library is nowhere, and :class:`RuntimeError` when ``path`` is another
    file than the library this process has already loaded."""
    return raw.load_library(_os.fspath(path) if path is not None else None)


def library_path() -> str:
    """The path (or system name) of the loaded library; loads it if needed."""
    return raw.library_path()


__all__ = [
    "AttachType",
    "CgroupIterOrder",
    "CgroupLinkInfo",
    "ENV_VAR",
    "IterLinkInfo",
    "KprobeMultiLinkInfo",
    "Link",
    "LinkInfo",
    "LinkType",
    "LibraryNotFoundError",
    "NetfilterLinkInfo",
    "NetkitLinkInfo",
    "NetnsLinkInfo",
    "PerfEventLinkInfo",
    "PerfEventType",
    "RawTracepointLinkInfo",
    "SockmapLinkInfo",
    "StructOpsLinkInfo",
    "TcxLinkInfo",
    "TracingLinkInfo",
    "TracingMultiLinkInfo",
    "UnknownLinkInfo",
    "UprobeMultiLinkInfo",
    "XdpLinkInfo",
    "attach_family",
    "enum_name",
    "iter_links",
    "library_path",
    "link_create",
    "link_ids",
    "link_info_from_fd",
    "link_type_name",
    "links",
    "load_library",
    "raw",
    "set_print",
] + [name for name in constants.__all__ if name not in ("as_enum",)]
