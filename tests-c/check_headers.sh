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
#     they share include guards with ours, so the first one wins;
#  4. the two views of our headers, in C and C++ with both compilers: alone
#     (or before libbpf 1.7.0's libbpf_version.h) they are libbpf 1.8's, with
#     uprobe_multi.path_fd, tracing_multi and bpf_link_create_opts__last_field
#     path_fd; after libbpf 1.7.0's libbpf_version.h (by path, or brought in
#     by its btf.h) they are 1.7.0's: code using path_fd must not compile
#     there, code not using it must, with 1.7.0's last field (pid).
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

# ---- 4. the libbpf 1.8 and 1.7 views ------------------------------------------
# view NAME VIEW USES HEADER...: a TU including HEADER... (in that order, our
# include directory first) that uses uprobe_multi.path_fd and tracing_multi
# (USES = path_fd) or only what 1.7.0 has (USES = plain). VIEW 1.8 or 1.7:
# it must compile, with that release's LIBBPF_MINOR_VERSION and end of
# bpf_link_create_opts__last_field (80 or 76) and sizeof 80 either way;
# VIEW fails: it must not compile, for want of path_fd.
view() {
    local name=$1 want=$2 uses=$3; shift 3
    local defs=() f
    case $want in
        1.8) defs=(-DWANT_MINOR=8 -DWANT_END=80) ;;
        *) defs=(-DWANT_MINOR=7 -DWANT_END=76) ;;
    esac
    [ "$uses" = path_fd ] && defs+=(-DUSE_PATH_FD)
    for cc in gcc clang g++ clang++; do
        case $cc in g++|clang++) f=$tmp/view.cc; std=c++17 ;; *) f=$tmp/view.c; std=gnu11 ;; esac
        command -v "$cc" >/dev/null || { not_ok "views ($cc): not installed"; continue; }
        : >"$f"
        for h in "$@"; do echo "#include $h" >>"$f"; done
        cat >>"$f" <<'EOT'
#include <stddef.h>
#include <string.h>
#ifdef __cplusplus
#define VIEW_ASSERT(c) static_assert(c, #c)
#else
#define VIEW_ASSERT(c) _Static_assert(c, #c)
#endif
#define LAST_END                                                               \
	(offsetof(struct bpf_link_create_opts, bpf_link_create_opts__last_field) + \
	 sizeof(((struct bpf_link_create_opts *)0)->bpf_link_create_opts__last_field))
VIEW_ASSERT(sizeof(struct bpf_link_create_opts) == 80);
VIEW_ASSERT(LAST_END == WANT_END);
VIEW_ASSERT(LIBBPF_MINOR_VERSION == WANT_MINOR);
int view_create(int fd);
int view_create(int fd)
{
	struct bpf_link_create_opts o;

	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.uprobe_multi.flags = 2;
#ifdef USE_PATH_FD
	static const __u32 ids[1] = { 1 };

	o.uprobe_multi.path_fd = (__u32)fd;
	VIEW_ASSERT(offsetof(struct bpf_link_create_opts, uprobe_multi.path_fd) == 76);
	VIEW_ASSERT(offsetof(struct bpf_link_create_opts, tracing_multi.ids) == 32);
	VIEW_ASSERT(offsetof(struct bpf_link_create_opts, tracing_multi.cookies) == 40);
	VIEW_ASSERT(offsetof(struct bpf_link_create_opts, tracing_multi.cnt) == 48);
	o.tracing_multi.ids = ids;
	o.tracing_multi.cnt = 1;
#endif
	return bpf_link_create(-1, fd, BPF_TRACE_UPROBE_MULTI, &o);
}
EOT
        what="views ($cc -std=$std): $name, $([ "$uses" = path_fd ] && echo "using path_fd" || echo "not using path_fd")"
        if "$cc" -std="$std" $WARN "${defs[@]}" -I"$OURS" -I"$REF" -I"$UAPI" -fsyntax-only "$f" >"$tmp/log" 2>&1; then
            r=0
        else
            r=1
        fi
        if [ "$want" = fails ]; then
            if [ $r = 1 ] && grep -q "no member named.*path_fd" "$tmp/log"; then
                ok "$what: does not compile (no path_fd in the 1.7 view)"
            else
                not_ok "$what: should not compile for want of path_fd"; show "$tmp/log"
            fi
        elif [ $r = 0 ]; then
            ok "$what: compiles, the $want view"
        else
            not_ok "$what: should compile, the $want view"; show "$tmp/log"
        fi
    done
}
V17="\"$REF/bpf/libbpf_version.h\""
view "our bpf.h alone" 1.8 path_fd "<bpf/bpf.h>"
view "our bpf.h alone" 1.8 plain "<bpf/bpf.h>"
view "our libbpf.h and bpf.h alone" 1.8 path_fd "<bpf/libbpf.h>" "<bpf/bpf.h>"
view "libbpf 1.7.0's libbpf_version.h, then our bpf.h" fails path_fd "$V17" "<bpf/bpf.h>"
view "libbpf 1.7.0's libbpf_version.h, then our bpf.h" 1.7 plain "$V17" "<bpf/bpf.h>"
view "libbpf 1.7.0's libbpf_version.h, then our libbpf.h" 1.7 plain "$V17" "<bpf/libbpf.h>"
view "libbpf 1.7.0's btf.h (its libbpf_version.h), then our bpf.h" fails path_fd \
    "<bpf/btf.h>" "<bpf/bpf.h>"
view "libbpf 1.7.0's btf.h (its libbpf_version.h), then our bpf.h" 1.7 plain \
    "<bpf/btf.h>" "<bpf/bpf.h>"
view "our bpf.h, then libbpf 1.7.0's libbpf_version.h" 1.8 path_fd "<bpf/bpf.h>" "$V17"
view "our bpf.h, then libbpf 1.7.0's libbpf_version.h" 1.8 plain "<bpf/bpf.h>" "$V17"

echo "1..$n"
[ $failed = 0 ]
