#!/usr/bin/env bash
# `make install` into a temporary DESTDIR: the library, its symlinks, the
# static archive, the headers and bpflink.pc land where they should, and a
# program built with `pkg-config --cflags --libs bpflink` against the staged
# tree links and runs. TAP output (see tap.h).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
n=0 failed=0
check() { # check "what" command...
    local what=$1; shift
    n=$((n + 1))
    if "$@" >/dev/null 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=1; fi
}
prefix=/opt/bpflink
# What is installed is the library as built before the tests ran: the Rust
# archive counts as up to date (-o), so this needs neither cargo nor write
# access to the tree, and also runs as an unprivileged user.
check "make install PREFIX=$prefix DESTDIR=<tmp>" \
    make -s -C "$top" -o target/release/libbpflink.a install PREFIX=$prefix DESTDIR="$stage"
root=$stage$prefix
check "libbpflink.so.1.0.0 installed" test -f "$root/lib/libbpflink.so.1.0.0"
check "libbpflink.so.1 -> libbpflink.so.1.0.0" test "$(readlink "$root/lib/libbpflink.so.1")" = libbpflink.so.1.0.0
check "libbpflink.so -> libbpflink.so.1" test "$(readlink "$root/lib/libbpflink.so")" = libbpflink.so.1
check "libbpflink.a installed" test -f "$root/lib/libbpflink.a"
check "bin/bpflink installed" test -x "$root/bin/bpflink"
check "include/bpflink.h installed" cmp "$top/include/bpflink.h" "$root/include/bpflink.h"
check "include/bpf/bpf.h installed" cmp "$top/include/bpf/bpf.h" "$root/include/bpf/bpf.h"
check "include/bpf/libbpf.h installed" cmp "$top/include/bpf/libbpf.h" "$root/include/bpf/libbpf.h"
check "bpflink.pc names the prefix" grep -qx "prefix=$prefix" "$root/lib/pkgconfig/bpflink.pc"
cat >"$stage/app.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
int main(void)
{
	const char *name = libbpf_bpf_link_type_str(BPF_LINK_TYPE_CGROUP);
	return !(name && !strcmp(name, "cgroup") && bpf_link_detach(-1) < 0);
}
C
flags=$(PKG_CONFIG_PATH="$root/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" \
        pkg-config --cflags --libs bpflink 2>/dev/null)
check "pkg-config knows bpflink" test -n "$flags"
check "a program builds with pkg-config's flags" \
    cc -Wall -Werror -o "$stage/app" "$stage/app.c" $flags
check "and runs against the installed library" env LD_LIBRARY_PATH="$root/lib" "$stage/app"
check "it loaded the installed copy" \
    sh -c "LD_LIBRARY_PATH='$root/lib' ldd '$stage/app' | grep -q '$root/lib/libbpflink.so.1'"
echo "1..$n"
exit $failed
