"""The raw layer's structs against the C headers, field by field, and its
constants against the uapi header: compiled and parsed here, so that the
numbers come from C, not from this package."""

from __future__ import annotations

import ctypes
import os
import re
import subprocess

import pytest

from bpflink import constants, raw

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = os.path.join(TOP, "include")
UAPI = os.path.join(TOP, ".deps", "libbpf-1.7.0", "uapi")
UAPI_BPF_H = os.path.join(UAPI, "linux", "bpf.h")
ABI_FIELDS = os.path.join(TOP, "tests-c", "abi_fields.h")

# (C type, ctypes class)
STRUCTS = [
    ("struct bpf_link_create_opts", raw.bpf_link_create_opts),
    ("struct bpf_link_update_opts", raw.bpf_link_update_opts),
    ("struct bpf_get_fd_by_id_opts", raw.bpf_get_fd_by_id_opts),
    ("struct bpf_link_info", raw.bpf_link_info),
    ("union bpf_iter_link_info", raw.bpf_iter_link_info),
]


# Union members of struct bpf_link_info that libbpf 1.8's uapi adds and the
# 1.7.0 header compiled against here lacks: (C type, top member) -> every
# member path with its (offset, size) in struct bpf_link_info as 1.8's uapi
# lays it out (the union starts at 16). Compared with C instead as soon as
# the header has the member.
UAPI_1_8_MEMBERS = {
    ("struct bpf_link_info", "tracing_multi"): {
        "tracing_multi": (16, 40),
        "tracing_multi.attach_type": (16, 4),
        "tracing_multi.count": (20, 4),
        "tracing_multi.btf_obj_id": (24, 4),
        "tracing_multi.ids": (32, 8),
        "tracing_multi.addrs": (40, 8),
        "tracing_multi.cookies": (48, 8),
    },
}

# Enumerators libbpf 1.8's uapi adds after the last one of the 1.7.0 header
# read here, with their documented values. A header that has them must
# agree.
UAPI_1_8_ENUMERATORS = {
    "bpf_attach_type": {"BPF_TRACE_FENTRY_MULTI": 59, "BPF_TRACE_FEXIT_MULTI": 60,
                        "BPF_TRACE_FSESSION_MULTI": 61},
    "bpf_link_type": {"BPF_LINK_TYPE_TRACING_MULTI": 15},
}


def _uapi_lacks(ctype: str, path: str) -> bool:
    """Whether ``path`` of ``ctype`` is a 1.8 member the uapi header here
    does not define (then it cannot be compiled against it)."""
    top = path.split(".")[0]
    if (ctype, top) not in UAPI_1_8_MEMBERS:
        return False
    with open(UAPI_BPF_H) as f:
        return re.search(r"\}\s*%s\s*;" % top, f.read()) is None


def need_checkout() -> None:
    if not (os.path.isfile(os.path.join(INCLUDE, "bpflink.h")) and os.path.isfile(UAPI_BPF_H)):
        pytest.skip(f"needs a bpflink checkout with scripts/setup.sh run ({TOP})")


def ctypes_fields(cls: type, prefix: str = "", base: int = 0) -> list[tuple[str, int, int]]:
    """(C member path, offset, size) of every named member of a ctypes
    struct or union, recursively; anonymous members are entered without a
    name, as C does, and explicit padding (``_pad``) is left out."""
    out = []
    anonymous = getattr(cls, "_anonymous_", ())
    for name, ctype in cls._fields_:
        desc = getattr(cls, name)
        offset = base + desc.offset
        if name.startswith("_pad"):
            continue
        if name in anonymous:
            out.extend(ctypes_fields(ctype, prefix, offset))
            continue
        path = prefix + name
        out.append((path, offset, desc.size))
        if isinstance(ctype, type) and issubclass(ctype, (ctypes.Structure, ctypes.Union)):
            out.extend(ctypes_fields(ctype, path + ".", offset))
    return out


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory, cc) -> dict[tuple[str, str], tuple[int, int]]:
    """{(C type, member path or "-"): (offset or size, size or alignment)}
    as gcc computes them from include/ and libbpf 1.7.0's uapi headers."""
    need_checkout()
    lines = []
    for ctype, cls in STRUCTS:
        lines.append(f'printf("%s|-|%zu|%zu\\n", "{ctype}", sizeof({ctype}), _Alignof({ctype}));')
        for path, _, _ in ctypes_fields(cls):
            if _uapi_lacks(ctype, path):
                continue
            lines.append(
                f'printf("%s|%s|%zu|%zu\\n", "{ctype}", "{path}", offsetof({ctype}, {path}), '
                f"sizeof((({ctype} *)0)->{path}));"
            )
    src = (
        "#include <stddef.h>\n#include <stdio.h>\n#include <bpf/bpf.h>\n#include <bpf/libbpf.h>\n"
        "#include <bpflink.h>\nint main(void)\n{\n" + "\n".join(lines) + "\nreturn 0;\n}\n"
    )
    d = tmp_path_factory.mktemp("abi")
    (d / "layout.c").write_text(src)
    subprocess.run([cc, "-Wall", "-Werror", f"-I{INCLUDE}", f"-I{UAPI}", "-o", str(d / "layout"),
                    str(d / "layout.c")], check=True)
    out = subprocess.run([str(d / "layout")], check=True, capture_output=True, text=True).stdout
    table = {}
    for line in out.splitlines():
        ctype, path, a, b = line.split("|")
        table[(ctype, path)] = (int(a), int(b))
    return table


@pytest.mark.parametrize("ctype,cls", STRUCTS, ids=[c for c, _ in STRUCTS])
def test_size_and_alignment_match_c(c_layout, ctype, cls):
    assert (ctypes.sizeof(cls), ctypes.alignment(cls)) == c_layout[(ctype, "-")]


@pytest.mark.parametrize("ctype,cls", STRUCTS, ids=[c for c, _ in STRUCTS])
def test_every_field_offset_and_size_match_c(c_layout, ctype, cls):
    fields = ctypes_fields(cls)
    assert fields, cls
    for path, offset, size in fields:
        if _uapi_lacks(ctype, path):
            continue  # test_members_newer_than_the_uapi_header
        assert (offset, size) == c_layout[(ctype, path)], f"{ctype}.{path}"


def test_members_newer_than_the_uapi_header():
    """libbpf 1.8's members at 1.8's documented places, every one of their
    fields listed."""
    need_checkout()
    for (ctype, top), want in UAPI_1_8_MEMBERS.items():
        cls = dict(STRUCTS)[ctype]
        got = {path: (offset, size) for path, offset, size in ctypes_fields(cls)
               if path == top or path.startswith(top + ".")}
        assert got == want, f"{ctype}.{top}"


def test_known_sizes():
    # libbpf v1.7.0 on LP64, as the brief of the C ABI tests states them.
    assert ctypes.sizeof(raw.bpf_link_create_opts) == 80
    assert ctypes.sizeof(raw.bpf_link_update_opts) == 24
    assert ctypes.sizeof(raw.bpf_get_fd_by_id_opts) == 16
    assert ctypes.sizeof(raw.bpf_link_info) == 64
    assert raw.bpf_link_create_opts.tcx.offset == 32
    assert raw.bpf_link_create_opts._u.size == 48


def test_covers_every_field_of_the_c_abi_list():
    """Each member tests-c/abi_fields.h checks in C exists here, at C's place."""
    need_checkout()
    with open(ABI_FIELDS) as f:
        wanted = re.findall(r"^ABI_FIELD\((\w+), ([\w.]+)\)", f.read(), re.M)
    assert len(wanted) > 40
    ours = {}
    for ctype, cls in STRUCTS:
        for path, offset, size in ctypes_fields(cls):
            ours[(ctype.split()[-1], path)] = (offset, size)
    for struct_name, path in wanted:
        assert (struct_name, path) in ours, f"{struct_name}.{path} missing from the raw layer"


def test_anonymous_union_access_like_c():
    o = raw.bpf_link_create_opts()
    o.tcx.relative_fd = 5
    o.tcx.expected_revision = 1 << 40
    assert (o.netkit.relative_fd, o.cgroup.expected_revision) == (5, 1 << 40)  # one union
    i = raw.bpf_link_info()
    i.iter.map.map_id = 7
    i.iter.cgroup.cgroup_id = 9
    assert (i.iter.map.map_id, i.iter.task.tid) == (7, 9)
    assert raw.bpf_link_info.iter.offset == 16


def all_bytes(obj) -> bytes:
    return ctypes.string_at(ctypes.addressof(obj), ctypes.sizeof(obj))


@pytest.mark.parametrize("cls", [raw.bpf_link_create_opts, raw.bpf_link_update_opts, raw.bpf_get_fd_by_id_opts])
def test_opts_start_zeroed_with_sz_set(cls):
    o = cls()
    size = ctypes.sizeof(cls)
    assert o.sz == size
    assert all_bytes(o) == size.to_bytes(8, "little") + bytes(size - 8)


@pytest.mark.parametrize("cls", [raw.bpf_link_create_opts, raw.bpf_link_update_opts, raw.bpf_get_fd_by_id_opts])
def test_reset_clears_padding_too(cls):
    o = cls()
    ctypes.memset(ctypes.addressof(o), 0xFF, ctypes.sizeof(o))
    o.reset()
    size = ctypes.sizeof(cls)
    assert all_bytes(o) == size.to_bytes(8, "little") + bytes(size - 8)


def test_update_opts_tail_padding_is_zero():
    o = raw.bpf_link_update_opts(flags=4, old_prog_fd=7, old_map_fd=9)
    assert all_bytes(o)[20:] == bytes(4)


def test_keyword_fields_and_member_dicts():
    o = raw.bpf_link_create_opts(flags=constants.BPF_F_BEFORE, tcx={"relative_id": 7, "expected_revision": 3})
    assert (o.sz, o.flags, o.tcx.relative_id, o.tcx.expected_revision) == (80, 8, 7, 3)
    o.reset(netfilter={"priority": -5})
    assert (o.flags, o.tcx.relative_id, o.netfilter.priority) == (0, 0, -5)
    u = raw.bpf_link_update_opts(flags=constants.BPF_F_REPLACE, old_prog_fd=4)
    assert (u.sz, u.flags, u.old_prog_fd, u.old_map_fd) == (24, 4, 4, 0)
    g = raw.bpf_get_fd_by_id_opts(token_fd=3)
    assert (g.sz, g.open_flags, g.token_fd) == (16, 0, 3)
    with pytest.raises(AttributeError):
        raw.bpf_link_create_opts(no_such_field=1)
    with pytest.raises(AttributeError):
        raw.bpf_link_create_opts(tcx={"nope": 1})


def test_sz_can_be_overridden():
    assert raw.bpf_link_create_opts(sz=4).sz == 4


def test_info_starts_zeroed():
    assert all_bytes(raw.bpf_link_info()) == bytes(64)


def _uapi_enum(name: str) -> dict[str, int]:
    with open(UAPI_BPF_H) as f:
        text = f.read()
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    values, value = {}, -1
    for item in filter(None, (i.strip() for i in body.split(","))):
        key, _, explicit = (s.strip() for s in item.partition("="))
        if explicit:
            value = int(explicit, 0) if explicit[0].isdigit() else values[explicit]
        else:
            value += 1
        if not key.startswith("__"):
            values[key] = value
    return values


@pytest.mark.parametrize("c_enum,py_enum", [
    ("bpf_attach_type", constants.AttachType),
    ("bpf_link_type", constants.LinkType),
    ("bpf_perf_event_type", constants.PerfEventType),
    ("bpf_cgroup_iter_order", constants.CgroupIterOrder),
])
def test_enums_match_uapi(c_enum, py_enum):
    need_checkout()
    header = _uapi_enum(c_enum)
    newer = UAPI_1_8_ENUMERATORS.get(c_enum, {})
    for name, value in newer.items():
        assert header.get(name, value) == value, f"{name}: the header disagrees with 1.8's value"
    # Those the header lacks follow its last value, without a gap.
    beyond = sorted(v for n, v in newer.items() if n not in header)
    top = max(header.values())
    assert beyond == list(range(top + 1, top + 1 + len(beyond)))
    expected = {**header, **newer}
    assert {m.name: m.value for m in py_enum} == expected
    for name, value in expected.items():
        plain = getattr(constants, name)
        assert plain == value and type(plain) is int


def test_flags_match_uapi():
    need_checkout()
    with open(UAPI_BPF_H) as f:
        text = f.read()
    for name in ("BPF_F_ALLOW_OVERRIDE", "BPF_F_ALLOW_MULTI", "BPF_F_REPLACE", "BPF_F_BEFORE",
                 "BPF_F_AFTER", "BPF_F_ID", "BPF_F_LINK", "BPF_F_KPROBE_MULTI_RETURN",
                 "BPF_F_UPROBE_MULTI_RETURN", "BPF_F_NETFILTER_IP_DEFRAG"):
        m = re.search(r"\b%s\s*=?\s*\(1U << (\d+)\)" % name, text)
        assert m, name
        assert getattr(constants, name) == 1 << int(m.group(1)), name


def test_enum_display_helpers():
    assert constants.enum_name(constants.AttachType, 46) == "BPF_TCX_INGRESS"
    assert constants.enum_name(constants.AttachType, 1000) == "1000"
    assert constants.as_enum(constants.LinkType, 11) is constants.LinkType.BPF_LINK_TYPE_TCX
    assert type(constants.as_enum(constants.LinkType, 99)) is int
