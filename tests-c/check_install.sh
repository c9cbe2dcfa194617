#!/usr/bin/env bash
# `make install` beside libbpf's own development files, into a temporary
# DESTDIR that already holds a copy of the distribution's libbpf headers
# (libbpf-dev's /usr/include/bpf; the reference libbpf's if the system has
# none), once with PREFIX=/usr/local and once with PREFIX=/usr:
#  - everything lands where it should (library, symlinks, archive, tool,
#    headers under include/bpflink/, bpflink.pc);
#  - nothing of libbpf's is overwritten, and no bpf/ directory of ours is
#    put where the compiler looks by default;
#  - a program using libbpf's object API still compiles against libbpf's
#    headers with the compiler's default search order (/usr/local/include
#    before /usr/include), and links and runs with -lbpf; the same program
#    against a tree laid out the old way (our bpf/libbpf.h in
#    /usr/local/include) does not compile, so the check can fail;
#  - a program using only link calls builds with
#    `pkg-config --cflags --libs bpflink` and runs on the installed library;
#  - a program using both builds against libbpf's headers, linked
#    -lbpflink -lbpf, and its link calls are bpflink's;
#  - `make uninstall` removes every file install put, and only those.
# TAP output (see tap.h). Runs as any user: nothing outside the DESTDIR.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
n=0 failed=0
check() { # check "what" command...
    local what=$1; shift
    n=$((n + 1))
    if "$@" >"$stage/.out" 2>&1; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"; failed=1; sed 's/^/#   /' "$stage/.out" | head -20
    fi
}

# libbpf's headers as the distribution installs them.
if [ -f /usr/include/bpf/libbpf.h ]; then
    libbpf_hdrs=/usr/include/bpf libbpf_what="libbpf-dev's /usr/include/bpf"
else
    libbpf_hdrs=$top/.deps/libbpf-1.7.0/include/bpf libbpf_what="the reference libbpf's headers"
fi
mkdir -p "$stage/usr/include/bpf"
cp -p "$libbpf_hdrs"/*.h "$stage/usr/include/bpf/"
(cd "$stage/usr/include/bpf" && sha256sum ./*.h) >"$stage/libbpf.sums"
echo "# beside $libbpf_what ($(wc -l <"$stage/libbpf.sums") headers)"

# What is installed is the library as built before the tests ran: the Rust
# archive counts as up to date (-o), so this needs neither cargo nor write
# access to the tree.
install_at() { make -s -C "$top" -o target/release/libbpflink.a "$1" PREFIX="$2" DESTDIR="$stage"; }
files_of() { # every file and link under the stage but libbpf's copy
    (cd "$stage" && find . \( -type f -o -type l \) ! -path './usr/include/bpf/*' ! -name '.*' \
        ! -name 'libbpf.sums' | sort)
}

for prefix in /usr/local /usr; do
    root=$stage$prefix
    check "make install PREFIX=$prefix DESTDIR=<tmp>" install_at install "$prefix"
    check "$prefix: libbpflink.so.1.0.0, .so.1 and .so links, .a, bin/bpflink" sh -c "
        test -f '$root/lib/libbpflink.so.1.0.0' &&
        test \"\$(readlink '$root/lib/libbpflink.so.1')\" = libbpflink.so.1.0.0 &&
        test \"\$(readlink '$root/lib/libbpflink.so')\" = libbpflink.so.1 &&
        test -f '$root/lib/libbpflink.a' && test -x '$root/bin/bpflink'"
    check "$prefix: headers in include/bpflink/" sh -c "
        cmp '$top/include/bpflink.h' '$root/include/bpflink/bpflink.h' &&
        cmp '$top/include/bpf/bpf.h' '$root/include/bpflink/bpf/bpf.h' &&
        cmp '$top/include/bpf/libbpf.h' '$root/include/bpflink/bpf/libbpf.h' &&
        cmp '$top/include/bpf/libbpf_version.h' '$root/include/bpflink/bpf/libbpf_version.h'"
    check "$prefix: bpflink.pc: prefix $prefix, Cflags -I\${includedir}/bpflink" sh -c "
        grep -qx 'prefix=$prefix' '$root/lib/pkgconfig/bpflink.pc' &&
        grep -qx 'Cflags: -I\${includedir}/bpflink' '$root/lib/pkgconfig/bpflink.pc'"
done
check "no bpf/ header of ours in include/ (where the compiler looks by default)" \
    sh -c "! test -e '$stage/usr/local/include/bpf' && ! test -e '$stage/usr/local/include/bpflink.h' &&
           ! test -e '$stage/usr/include/bpflink.h'"
check "libbpf's $(wc -l <"$stage/libbpf.sums") headers are unchanged, none added" sh -c "
    cd '$stage/usr/include/bpf' && sha256sum --quiet -c '$stage/libbpf.sums' &&
    test \$(ls | wc -l) = $(wc -l <"$stage/libbpf.sums")"

# A program of libbpf's object API, and where the compiler finds headers
# by default, in order: /usr/local/include, then /usr/include.
cat >"$stage/objapi.c" <<'C'
#include <stdio.h>
#include <bpf/libbpf.h>
int main(void)
{
	struct bpf_object *obj = bpf_object__open_file("/nonexistent.bpf.o", NULL);
	return obj != NULL;
}
C
default_search="-isystem $stage/usr/local/include -isystem $stage/usr/include"
check "a libbpf object-API program compiles, links -lbpf and runs (default search order)" sh -c "
    cc -Wall -Werror $default_search -o '$stage/objapi' '$stage/objapi.c' -lbpf &&
    LIBBPF_LOG_LEVEL=warn '$stage/objapi' 2>/dev/null"
mkdir -p "$stage/old/usr/local/include/bpf"
cp "$top/include/bpf/"*.h "$stage/old/usr/local/include/bpf/"
check "control: with our headers in /usr/local/include/bpf (the old layout) it does not compile" \
    sh -c "! cc -Wall -Werror -isystem '$stage/old/usr/local/include' -isystem '$stage/usr/include' \
             -c -o /dev/null '$stage/objapi.c'"

# A program of link calls only, built through pkg-config.
cat >"$stage/links.c" <<'C'
#include <string.h>
#include <bpflink.h>
int main(void)
{
	const char *name = libbpf_bpf_link_type_str(BPF_LINK_TYPE_CGROUP);
	return !(name && !strcmp(name, "cgroup") && bpf_link_detach(-1) < 0 &&
		 bpflink_link_from_fd(-1) == NULL);
}
C
root=$stage/usr/local
pc() { PKG_CONFIG_PATH="$root/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage" pkg-config "$@" bpflink; }
check "pkg-config --cflags bpflink: -I<stage>/usr/local/include/bpflink" \
    test "$(pc --cflags | sed 's/ *$//')" = "-I$stage/usr/local/include/bpflink"
check "a link-calls program builds with \`pkg-config --cflags --libs bpflink\`" \
    sh -c "cc -Wall -Werror $default_search -o '$stage/links' '$stage/links.c' $(pc --cflags --libs)"
check "and runs on the installed library" sh -c "
    LD_LIBRARY_PATH='$root/lib' '$stage/links' &&
    LD_LIBRARY_PATH='$root/lib' ldd '$stage/links' | grep -q '$root/lib/libbpflink.so.1'"

# Both: libbpf's headers and object API, bpflink's link functions
# (-lbpflink before -lbpf).
cat >"$stage/both.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
static int in(void *fn, const char *lib)
{
	Dl_info i;
	return dladdr(fn, &i) && i.dli_fname && strstr(i.dli_fname, lib);
}
int main(void)
{
	return !(in((void *)bpf_link_create, "libbpflink") && in((void *)bpf_link__destroy, "libbpflink") &&
		 in((void *)bpf_object__open_file, "libbpf.so"));
}
C
check "a program using both builds against libbpf's headers, -lbpflink -lbpf; its link calls are bpflink's" \
    sh -c "cc -Wall -Werror $default_search -o '$stage/both' '$stage/both.c' $(pc --libs) -lbpf -ldl &&
           LD_LIBRARY_PATH='$root/lib' '$stage/both'"

installed=$(files_of)
for prefix in /usr/local /usr; do
    check "make uninstall PREFIX=$prefix DESTDIR=<tmp>" install_at uninstall "$prefix"
done
left=$(files_of | grep -v -e '^\./objapi' -e '^\./links' -e '^\./both' -e '^\./old/')
check "uninstall removed all $(grep -c . <<<"$installed") files and links install put (left: ${left:-none})" \
    test -z "$left"
check "and left libbpf's headers alone" sh -c "cd '$stage/usr/include/bpf' && sha256sum --quiet -c '$stage/libbpf.sums'"
check "and no empty include/bpflink directory" sh -c "! test -e '$stage/usr/local/include/bpflink' &&
    ! test -e '$stage/usr/include/bpflink'"
echo "1..$n"
exit $failed
