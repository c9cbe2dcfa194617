#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Symbol-level ABI checks of build/libbpflink.so.1, as TAP:
#   - its soname is libbpflink.so.1;
#   - every exported symbol is a function carrying a default (@@) version,
#     and that version is exactly the node the reference libbpf v1.7.0
#     gives the same symbol (a symbol in any other node would silently not
#     interpose libbpf's under LD_PRELOAD);
#   - nothing else is exported: no unversioned symbol, no data, no Rust
#     internals; only the functions include/bpf/*.h declares;
#   - every function the headers declare is exported;
#   - each header declaration reads the same as libbpf's own header's
#     (gcc -aux-info, which prints every declaration in a normal form);
#   - every version node we define exists in the reference;
#   - bpflink's own extensions (include/bpflink.h) are named bpflink_*, sit
#     in bpflink's own node BPFLINK_1.0, and nothing in that node is in
#     libbpf's bpf_/libbpf_ namespaces;
#   - no exported function can reach Rust's panic or formatting machinery
#     (scripts/no-panic.py over the machine code), and the same script does
#     find it in build/panic/, the library built with the test-only panic
#     trigger (the check's own positive control).
#
#   BPFLINK_SO=path        check another build of the library
#   BPFLINK_PANIC_SO=path  the panic-trigger build (build/panic/libbpflink.so.1)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
SO=${BPFLINK_SO:-$top/build/libbpflink.so.1}
REF_SO=$top/.deps/libbpf-1.7.0/lib/libbpf.so.1.7.0
REF_INC=$top/.deps/libbpf-1.7.0/include
UAPI=$top/.deps/libbpf-1.7.0/uapi
tmp=$(mktemp -d /tmp/bpflink-symbols.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { local c=$1; shift; if [ "$c" = 0 ]; then ok "$@"; else not_ok "$@"; fi; }

for f in "$SO" "$REF_SO"; do
    [ -e "$f" ] || { echo "1..0 # SKIP $f missing (make lib; scripts/setup.sh)"; exit 0; }
done

# Defined, non-local dynamic symbols as "name version type bind" (version
# "-" when unversioned, "@ver" for a non-default version). Version node
# definitions (ABS OBJECTs named like the node) are listed as "node NAME".
dynsyms() {
    readelf --dyn-syms -W "$1" | awk '
        NR > 3 && $7 != "UND" && $5 != "LOCAL" && NF >= 8 {
            name = $8; ver = "-"
            if ($7 == "ABS" && $4 == "OBJECT" && name !~ /@/) { print "node", name; next }
            if (index(name, "@@")) { split(name, a, "@@"); name = a[1]; ver = a[2] }
            else if (index(name, "@")) { split(name, a, "@"); name = a[1]; ver = "@" a[2] }
            print name, ver, $4, $5
        }'
}

dynsyms "$SO" | sort >"$tmp/ours.all"
dynsyms "$REF_SO" | sort >"$tmp/ref.all"
grep -v '^node ' "$tmp/ours.all" >"$tmp/ours"
grep -v '^node ' "$tmp/ref.all" >"$tmp/ref"

# ---- soname ------------------------------------------------------------
soname=$(readelf -d -W "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
check $([ "$soname" = libbpflink.so.1 ] && echo 0 || echo 1) "soname is libbpflink.so.1 (found '$soname')"

# ---- what the headers declare ----------------------------------------------
printf '#include <bpf/bpf.h>\n#include <bpf/libbpf.h>\n' >"$tmp/h.c"
printf '#include <bpflink.h>\n' >"$tmp/ext.c"
gcc -aux-info "$tmp/ours.aux" -I"$top/include" -I"$UAPI" -fsyntax-only "$tmp/h.c" 2>"$tmp/log" ||
    { not_ok "our headers compile for gcc -aux-info"; sed 's/^/#   /' "$tmp/log"; }
gcc -aux-info "$tmp/ref.aux" -I"$REF_INC" -I"$UAPI" -fsyntax-only "$tmp/h.c" 2>/dev/null
# "/* path:line:NC */ extern int f (int);" -> "f<TAB>extern int f (int);"
decls() {
    grep -F "$2" "$1" | sed 's|^/\*[^*]*\*/ *||' |
        sed -n 's/^\(.*[ *]\)\([A-Za-z_][A-Za-z_0-9]*\) (\(.*\)$/\2\t\1\2 (\3/p' | sort -u
}
decls "$tmp/ours.aux" "$top/include/bpf/" >"$tmp/ours.decl"
decls "$tmp/ref.aux" "$REF_INC/bpf/" >"$tmp/ref.decl"
gcc -aux-info "$tmp/ext.aux" -I"$top/include" -I"$UAPI" -fsyntax-only "$tmp/ext.c" 2>"$tmp/log" ||
    { not_ok "include/bpflink.h compiles for gcc -aux-info"; sed 's/^/#   /' "$tmp/log"; }
decls "$tmp/ext.aux" "$top/include/bpflink.h" | cut -f1 | sort -u >"$tmp/ext.declared"
cut -f1 "$tmp/ours.decl" | sort -u >"$tmp/libbpf.declared"
sort -u "$tmp/libbpf.declared" "$tmp/ext.declared" >"$tmp/declared"
check $([ -s "$tmp/libbpf.declared" ] && echo 0 || echo 1) \
    "include/bpf/*.h declares $(wc -l <"$tmp/libbpf.declared") functions"
bad_ext=$(grep -v '^bpflink_' "$tmp/ext.declared" | tr '\n' ' ')
check $([ -s "$tmp/ext.declared" ] && [ -z "$bad_ext" ] && echo 0 || echo 1) \
    "include/bpflink.h declares $(wc -l <"$tmp/ext.declared") functions, all named bpflink_*${bad_ext:+ (not: $bad_ext)}"

# ---- every exported symbol --------------------------------------------------
cut -d' ' -f1 "$tmp/ours" | sort -u >"$tmp/exported"
while read -r name ver type bind; do
    if grep -qx "$name" "$tmp/ext.declared"; then
        if [ "$ver" = BPFLINK_1.0 ] && [ "$type" = FUNC ] && [ "$bind" = GLOBAL ]; then
            ok "$name@@$ver: a bpflink extension in bpflink's own node"
        else
            not_ok "$name is $type/$bind in node $ver; extensions belong in BPFLINK_1.0"
        fi
        continue
    fi
    refver=$(awk -v s="$name" '$1 == s { print $2 }' "$tmp/ref" | head -1)
    reftype=$(awk -v s="$name" '$1 == s { print $3 }' "$tmp/ref" | head -1)
    if [ "$ver" = "-" ]; then
        not_ok "$name is exported without a version (libbpf: ${refver:-absent})"
    elif [ "${ver#@}" != "$ver" ]; then
        not_ok "$name has a non-default version $ver (libbpf: ${refver:-absent})"
    elif [ -z "$refver" ]; then
        not_ok "$name@@$ver is exported but libbpf v1.7.0 has no such symbol"
    elif [ "$ver" != "$refver" ]; then
        not_ok "$name is in node $ver, libbpf v1.7.0 has it in $refver"
    elif [ "$type" != FUNC ] || [ "$reftype" != FUNC ] || [ "$bind" != GLOBAL ]; then
        not_ok "$name@@$ver is $type/$bind (libbpf: $reftype)"
    else
        ok "$name@@$ver: same version node as libbpf v1.7.0"
    fi
done <"$tmp/ours"

# ---- nothing else exported, nothing missing ----------------------------------
extra=$(comm -23 "$tmp/exported" "$tmp/declared" | tr '\n' ' ')
check $([ -z "$extra" ] && echo 0 || echo 1) \
    "nothing is exported that the headers do not declare${extra:+ (extra: $extra)}"
missing=$(comm -13 "$tmp/exported" "$tmp/declared" | tr '\n' ' ')
check $([ -z "$missing" ] && echo 0 || echo 1) \
    "every function the headers declare is exported${missing:+ (missing: $missing)}"
internals=$(grep -E '^(_ZN|_R|rust_|__rust|__rdl|__rg_|bpflink_)' "$tmp/ours" | cut -d' ' -f1 |
            grep -vxF -f "$tmp/ext.declared" | tr '\n' ' ')
check $([ -z "$internals" ] && echo 0 || echo 1) \
    "no Rust or helper internals exported${internals:+ ($internals)}"

# ---- declarations read the same as libbpf's ------------------------------------
while IFS=$'\t' read -r name decl; do
    refdecl=$(awk -F'\t' -v s="$name" '$1 == s { print $2 }' "$tmp/ref.decl" | head -1)
    if [ "$decl" = "$refdecl" ]; then
        ok "declaration of $name matches libbpf's header: $decl"
    else
        not_ok "declaration of $name differs from libbpf's header"
        echo "#   bpflink: $decl"
        echo "#   libbpf:  ${refdecl:-(not declared)}"
    fi
done <"$tmp/ours.decl"

# ---- version nodes ----------------------------------------------------------------
while read -r _ node; do
    if [ "$node" = BPFLINK_1.0 ]; then
        ok "version node BPFLINK_1.0 is bpflink's own (extensions only)"
    elif grep -qx "node $node" "$tmp/ref.all"; then
        ok "version node $node exists in libbpf v1.7.0"
    else
        not_ok "version node $node does not exist in libbpf v1.7.0"
    fi
done < <(grep '^node ' "$tmp/ours.all")

# The test-only panic trigger (cargo feature test-panic, build/panic/) must
# not be in the library that ships: it reads BPFLINK_TEST_PANIC.
if grep -q BPFLINK_TEST_PANIC "$SO"; then
    not_ok "$(basename "$SO") contains the test-only panic trigger (built with test-panic?)"
else
    ok "$(basename "$SO") has no test-only panic trigger"
fi

# Nothing an export reaches may panic or format (the link-time proof in
# src/capi/mod.rs says the same from the other side).
if python3 "$top/scripts/no-panic.py" "$SO" >"$tmp/np" 2>&1; then
    ok "$(basename "$SO"): $(tail -n1 "$tmp/np" | sed 's/^no-panic: //')"
else
    not_ok "$(basename "$SO"): an export reaches panic machinery"; sed 's/^/#   /' "$tmp/np"
fi
PANIC_SO=${BPFLINK_PANIC_SO:-$top/build/panic/libbpflink.so.1}
if [ ! -e "$PANIC_SO" ]; then
    not_ok "control: $PANIC_SO is missing (make $PANIC_SO)"
else
    python3 "$top/scripts/no-panic.py" "$PANIC_SO" >"$tmp/np" 2>&1
    check "$([ $? = 1 ] && echo 0 || echo 1)" \
        "control: no-panic.py finds the panic path in the test-panic build"
fi

echo "1..$n"
[ $failed = 0 ]
