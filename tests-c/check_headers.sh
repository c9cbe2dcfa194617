#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Compile-time ABI checks of include/bpf/*.h, as TAP:
#
#  1. each header alone (and both) compiles without a warning under
#     -Wall -Wextra -Werror with gcc/g++ and clang/clang++, C99..C2x and
#     C++11..C++20, also with -Wpedantic and with a stricter warning set.
#     Required: C11 and C++17 with the base set, and every configuration
#     where libbpf v1.7.0's own headers compile. The kernel's uapi
#     directory is given with -isystem: its warnings are not ours;
#  2. tests-c/abi_protos.c -- libbpf's exact prototypes redeclared after our
#     headers, plus LIBBPF_OPTS / LIBBPF_OPTS_RESET / DECLARE_LIBBPF_OPTS in
#     use -- compiles as C11 and C++17 with both compilers; it also compiles
#     against libbpf's headers (control), and fails with one prototype
#     changed (-DPROTO_MUTANT: the check has teeth);
#  3. our headers mixed with libbpf's (btf.h, libbpf_common.h,
#     libbpf_legacy.h, libbpf_version.h) in either order, our include
#     directory first, compile and can be used together. Pairs with
#     libbpf's own bpf.h/libbpf.h (included by path) are only reported:
#     they share include guards with ours, so the first one wins.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
OURS=$top/include
REF=$top/.deps/libbpf-1.7.0/include
UAPI=$top/.deps/libbpf-1.7.0/uapi
WARN="-Wall -Wextra -Werror"
tmp=$(mktemp -d /tmp/bpflink-headers.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# Shows a compiler log as TAP comments.
show() { sed 's/^/#   /' "$1" | head -20; }

if [ ! -f "$REF/bpf/bpf.h" ]; then
    echo "1..0 # SKIP reference libbpf headers missing (run scripts/setup.sh)"
    exit 0
fi

# cc LANG STD FLAGS... -- compiles $src (set by the caller) into nothing.
# Returns the compiler's status; the log is in $tmp/log.
compile() {
    local cc=$1 std=$2; shift 2
    "$cc" -std="$std" "$@" -fsyntax-only "$src" >"$tmp/log" 2>&1
}

# ---- 1. headers alone --------------------------------------------------------
header_sets=("bpf/bpf.h" "bpf/libbpf.h" "bpf/libbpf.h bpf/bpf.h")
c_stds=(c99 c11 gnu11 c17 c2x)
cxx_stds=(c++11 c++14 c++17 c++20)
strict_c="-Wshadow -Wundef -Wcast-qual -Wstrict-prototypes -Wmissing-prototypes -Wredundant-decls -Wconversion"
strict_cxx="-Wshadow -Wundef -Wcast-qual -Wredundant-decls -Wconversion -Wold-style-cast -Wzero-as-null-pointer-constant"
results=()
for set in "${header_sets[@]}"; do
    for kind in c cxx; do
        if [ $kind = c ]; then stds=("${c_stds[@]}"); ext=c; ccs=(gcc clang); strict=$strict_c
        else stds=("${cxx_stds[@]}"); ext=cc; ccs=(g++ clang++); strict=$strict_cxx; fi
        src=$tmp/alone.$ext
        : >"$src"
        for h in $set; do echo "#include <$h>" >>"$src"; done
        echo "int bpflink_dummy;" >>"$src"
        for cc in "${ccs[@]}"; do
            command -v "$cc" >/dev/null || continue
            for std in "${stds[@]}"; do
                for wset in base pedantic strict; do
                    case $wset in
                        base) w="$WARN" ;;
                        pedantic) w="$WARN -Wpedantic" ;;
                        strict) w="$WARN $strict" ;;
                    esac
                    compile "$cc" "$std" $w -I"$OURS" -isystem "$UAPI"; ours=$?
                    what="headers alone: {$set} $cc -std=$std $wset warnings"
                    if [ $ours = 0 ]; then
                        ok "$what: compiles"
                        continue
                    fi
                    cp "$tmp/log" "$tmp/log.ours"
                    compile "$cc" "$std" $w -I"$REF" -isystem "$UAPI"; ref=$?
                    required=0
                    if [ $wset = base ] && { [ "$std" = c11 ] || [ "$std" = c++17 ]; }; then required=1; fi
                    if [ $ref != 0 ] && [ $required = 0 ]; then
                        ok "$what: fails, as libbpf's own headers do"
                    elif [ -z "${DIFF_STRICT:-}" ] && [ "$set" = bpf/libbpf.h ] && [ $wset = pedantic ] &&
                         grep -q "Wnested-anon-types" "$tmp/log.ours"; then
                        # Known difference H1: our libbpf.h includes our bpf.h
                        # (for LIBBPF_API and friends); libbpf's libbpf.h does
                        # not include bpf.h. So a TU with only <bpf/libbpf.h>
                        # sees bpf.h's anonymous structs in anonymous unions,
                        # which clang++ -Wpedantic reports (-Wnested-anon-types);
                        # with libbpf's bpf.h included too, libbpf fails alike.
                        ok "$what: fails, known difference H1 (our libbpf.h includes bpf.h; libbpf's does not)"
                    else
                        not_ok "$what (libbpf's headers: $([ $ref = 0 ] && echo compile || echo fail))"
                        show "$tmp/log.ours"
                    fi
                done
            done
        done
    done
done

# ---- 2. libbpf's prototypes, and the options macros ---------------------------
src=$top/tests-c/abi_protos.c
for cfg in "gcc c11" "clang c11" "gcc gnu11" "clang gnu17" "g++ c++17" "clang++ c++17" "g++ gnu++20"; do
    set -- $cfg
    cc=$1 std=$2 lang=()
    case $cc in g++|clang++) lang=(-x c++) ;; esac
    command -v "$cc" >/dev/null || { not_ok "prototypes: $cc not installed"; continue; }
    if "$cc" "${lang[@]}" -std="$std" $WARN -I"$OURS" -I"$UAPI" -fsyntax-only "$src" >"$tmp/log" 2>&1; then
        ok "prototypes: libbpf v1.7.0's prototypes redeclared after our headers ($cc -std=$std)"
    else
        not_ok "prototypes: libbpf v1.7.0's prototypes redeclared after our headers ($cc -std=$std)"
        show "$tmp/log"
    fi
    if "$cc" "${lang[@]}" -std="$std" $WARN -I"$REF" -I"$UAPI" -fsyntax-only "$src" >"$tmp/log" 2>&1; then
        ok "prototypes: control, the same file against libbpf's headers ($cc -std=$std)"
    else
        not_ok "prototypes: control, the same file against libbpf's headers ($cc -std=$std)"
        show "$tmp/log"
    fi
    if ! "$cc" "${lang[@]}" -std="$std" $WARN -DPROTO_MUTANT -I"$OURS" -I"$UAPI" -fsyntax-only "$src" >"$tmp/log" 2>&1 &&
       grep -qi "conflicting" "$tmp/log"; then
        ok "prototypes: a changed prototype is rejected ($cc -std=$std)"
    else
        not_ok "prototypes: a changed prototype is rejected ($cc -std=$std)"; show "$tmp/log"
    fi
done

# ---- 3. mixed with libbpf's headers -------------------------------------------
# Our include directory comes first, so <bpf/bpf.h> and <bpf/libbpf.h> are
# ours and the rest (btf.h, libbpf_common.h, ...) libbpf's. Each TU uses
# something of each header it got.
mix() {
    local name=$1 expect=$2; shift 2
    local f=$tmp/mix.c
    : >"$f"
    for h in "$@"; do echo "#include $h" >>"$f"; done
    cat >>"$f" <<'EOT'
#include <stddef.h>
#ifdef __LIBBPF_BPF_H
_Static_assert(sizeof(struct bpf_link_create_opts) == 80, "opts size");
int mix_opts(void);
int mix_opts(void)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .tcx.relative_id = 1);
	return bpf_link_create(-1, -1, BPF_TCX_INGRESS, &o);
}
#endif
#ifdef __LIBBPF_BTF_H
void *mix_btf(void);
void *mix_btf(void) { return (void *)btf__new; }
#endif
#ifdef __LIBBPF_LIBBPF_H
void *mix_print(void);
void *mix_print(void) { return (void *)libbpf_set_print; }
#endif
int mix_version = LIBBPF_MAJOR_VERSION * 100 + LIBBPF_MINOR_VERSION;
EOT
    for cc in gcc clang; do
        if "$cc" -std=gnu11 $WARN -I"$OURS" -I"$REF" -I"$UAPI" -fsyntax-only "$f" >"$tmp/log" 2>&1; then
            r=0
        else
            r=1
        fi
        if [ "$expect" = works ]; then
            if [ $r = 0 ]; then ok "mixed headers ($cc): $name"; else not_ok "mixed headers ($cc): $name"; show "$tmp/log"; fi
        else
            # Combinations where libbpf's own bpf.h/libbpf.h are included
            # by path next to ours: the first one of a pair wins its include
            # guard; report what happens without failing.
            ok "mixed headers ($cc): $name: $([ $r = 0 ] && echo compiles || echo 'does not compile (include-guard clash, expected)')"
        fi
    done
}
R="\"$REF/bpf"
mix "our bpf.h, then libbpf's btf.h" works "<bpf/bpf.h>" "<bpf/btf.h>"
mix "libbpf's btf.h, then our bpf.h" works "<bpf/btf.h>" "<bpf/bpf.h>"
mix "our bpf.h, then libbpf's libbpf_common.h" works "<bpf/bpf.h>" "<bpf/libbpf_common.h>"
mix "libbpf's libbpf_common.h, then our bpf.h" works "<bpf/libbpf_common.h>" "<bpf/bpf.h>"
mix "our bpf.h, then libbpf's libbpf_legacy.h" works "<bpf/bpf.h>" "<bpf/libbpf_legacy.h>"
mix "libbpf's libbpf_legacy.h, then our bpf.h" works "<bpf/libbpf_legacy.h>" "<bpf/bpf.h>"
mix "libbpf's libbpf_version.h, then our bpf.h" works "<bpf/libbpf_version.h>" "<bpf/bpf.h>"
mix "our bpf.h, then libbpf's libbpf_version.h" works "<bpf/bpf.h>" "<bpf/libbpf_version.h>"
mix "our libbpf.h, then libbpf's btf.h" works "<bpf/libbpf.h>" "<bpf/btf.h>"
mix "libbpf's btf.h, then our libbpf.h" works "<bpf/btf.h>" "<bpf/libbpf.h>"
mix "libbpf's btf.h and libbpf_common.h around our bpf.h and libbpf.h" works \
    "<bpf/btf.h>" "<bpf/bpf.h>" "<bpf/libbpf_common.h>" "<bpf/libbpf.h>"
mix "libbpf's libbpf.h (by path), then our bpf.h" info "$R/libbpf.h\"" "<bpf/bpf.h>"
mix "our bpf.h, then libbpf's libbpf.h (by path)" info "<bpf/bpf.h>" "$R/libbpf.h\""
mix "libbpf's bpf.h (by path), then our libbpf.h" info "$R/bpf.h\"" "<bpf/libbpf.h>"
mix "our libbpf.h, then libbpf's bpf.h (by path)" info "<bpf/libbpf.h>" "$R/bpf.h\""

echo "1..$n"
[ $failed = 0 ]
