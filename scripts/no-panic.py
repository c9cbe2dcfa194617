#!/usr/bin/env python3
"""Proves that no exported function of a shared library can panic.

    scripts/no-panic.py build/libbpflink.so.1.0.0

Reads the library's machine code (objdump -d) and builds its call graph:
an edge for every direct call or jump from one function to another, and
for every address of a function taken in code (lea/mov of a code address:
callbacks, function pointers). From every exported function (the dynamic
symbol table) it walks the graph and fails if it reaches Rust's panic
machinery (core::panicking, std::panicking, rust_panic, the unwinder's
raise functions) or the backtrace symbolizer (gimli, addr2line,
miniz_oxide, rustc_demangle), printing one path from an export to each
forbidden function it reaches. The library is linked with --gc-sections,
so what is left in it is what the exports (and the loader's init and fini
arrays) need; functions reached from no export are listed too (they would
be the init arrays' and their callees).

Exit status: 0 when nothing forbidden is reachable, 1 otherwise, 2 on a
usage or tool error.
"""
import re
import subprocess
import sys
from collections import deque

FORBIDDEN = re.compile(
    r"core::panicking|std::panicking|rust_panic|rust_begin_unwind|__rust_start_panic|"
    r"_Unwind_RaiseException|_Unwind_Resume|std::backtrace|gimli::|addr2line::|"
    r"miniz_oxide::|rustc_demangle::|core::fmt::|<&T as core::fmt|alloc::fmt::format"
)

def run(*cmd):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"no-panic: {' '.join(cmd)}: {e}", file=sys.stderr)
        sys.exit(2)

def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    so = sys.argv[1]
    exports = {
        l.split()[-1].split("@")[0]
        for l in run("nm", "-D", "--defined-only", so).splitlines()
        if len(l.split()) >= 3 and l.split()[1] in "TtWw"
    }
    dis = run("objdump", "-d", "--no-show-raw-insn", "-C", "-w", so)
    fn_re = re.compile(r"^([0-9a-f]+) <(.+)>:$")
    ref_re = re.compile(r"\b(?:call|jmp|j[a-z]+|lea|mov)[a-z]*\s.*?([0-9a-f]+) <([^>+]+)(?:\+0x[0-9a-f]+)?>")
    graph, cur, names = {}, None, set()
    for line in dis.splitlines():
        m = fn_re.match(line)
        if m:
            cur = m.group(2)
            names.add(cur)
            graph.setdefault(cur, set())
            continue
        if cur is None:
            continue
        r = ref_re.search(line)
        if r and r.group(2) != cur:
            graph[cur].add(r.group(2))
    # Function pointers stored in data (vtables, callback tables, init
    # arrays): a relocation at an address inside data object D whose
    # target is function F is an edge D -> F; code reaches D through the
    # lea/mov edges above.
    syms = []  # (start, end, name) of every sized symbol
    for l in run("nm", "-C", "-S", "--defined-only", so).splitlines():
        parts = l.split(None, 3)
        if len(parts) == 4:
            syms.append((int(parts[0], 16), int(parts[0], 16) + int(parts[1], 16), parts[3]))
    syms.sort()
    starts = [a for a, _, _ in syms]

    def containing(addr):
        import bisect
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and syms[i][0] <= addr < max(syms[i][1], syms[i][0] + 1):
            return syms[i][2]
        return None

    init_roots = set()
    for l in run("readelf", "-rW", so).splitlines():
        parts = l.split()
        if len(parts) >= 4 and parts[2] == "R_X86_64_RELATIVE":
            where, target = int(parts[0], 16), int(parts[3], 16)
            src, dst = containing(where), containing(target)
            if dst is None:
                continue
            if src is None:
                init_roots.add(dst)  # .init_array / .fini_array entries
            else:
                graph.setdefault(src, set()).add(dst)
    # The exports, by their demangled names in the disassembly.
    roots = [n for n in names if n.split("@")[0] in exports]
    seen, parent = set(roots), {}
    q = deque(roots)
    while q:
        f = q.popleft()
        for g in graph.get(f, ()):
            if g not in seen:
                seen.add(g)
                parent[g] = f
                q.append(g)
    bad = sorted(n for n in seen if FORBIDDEN.search(n))
    for n in bad:
        path, x = [n], n
        while x in parent:
            x = parent[x]
            path.append(x)
        print("no-panic: reachable: " + " <- ".join(path[:8]) + (" ..." if len(path) > 8 else ""))
    present = sorted(n for n in names if FORBIDDEN.search(n) and n not in seen)
    if present:
        print(f"no-panic: {len(present)} forbidden functions present but reached from no export "
              f"(init arrays: {', '.join(sorted(init_roots))[:200]}), e.g. {present[0]}")
    print(f"no-panic: {len(roots)} exports, {len(seen)} functions reachable, "
          f"{len(bad)} forbidden among them")
    return 1 if bad or present else 0

if __name__ == "__main__":
    sys.exit(main())
