#!/usr/bin/env bash
# bpflink underneath real libbpf programs. Each client below is an ordinary
# program that uses libbpf (it never creates, updates or detaches a link
# itself); each is run twice:
#
#   plain     BPFLINK_TRACE=1 <client>
#   preload   BPFLINK_TRACE=1 LD_PRELOAD=<abs>/build/libbpflink.so.1 <client>
#
# What is checked, per client:
#  - which libbpf.so.1 it loads, and what the dynamic linker binds to
#    libbpflink.so.1 under the preload (LD_DEBUG=bindings): every reference
#    libbpf and the program make to a function bpflink exports;
#  - the plain run succeeds: every fact the client prints is as expected;
#  - the two runs agree: same exit status, same stdout (the clients print
#    only facts that do not change from run to run), same stderr once the
#    trace lines and run-specific values are taken out;
#  - the trace: the clients put "client: >> NAME" / "client: <<" on stderr
#    around every call into libbpf's link API; in the preloaded run each
#    such call must have traced exactly the expected "bpflink: F(" lines,
#    the program's other link calls must show up too, and the plain run
#    must trace nothing;
#  - nothing is left behind: links (by id, asked of bpftool), the private
#    bpffs and its directory, the child cgroups (under the cgroup2 mount,
#    found by tests-c/cgroup2_root.sh).
#
# What the clients need from the kernel is probed first, without libbpf
# or bpflink (build/tests-c/probe, support.c's probes): the program types
# and iterator targets of their BPF objects, the links they make, a cgroup
# and a bpffs. When a probe is refused, each client's runs are one skipped
# case named after it ("# SKIP probe <name>: ..."); the ld.so checks, which
# need no kernel, still run.
#
# Clients (built by mk/tests-c.mk, section "libbpf clients over bpflink"):
#   c-ref  tests-c/client_object.c against the reference libbpf 1.7.0
#   c-deb  the same source against Debian's libbpf 1.1.2 (/usr/lib, -lbpf)
#   rs     tests/clients/libbpf-rs, libbpf-rs 0.27.2 -> libbpf 1.7.0 (dynamic)
#
# Labels in the case names:
#   [low-level]     libbpf itself calls bpflink's low-level bpf_link_create
#                   (from bpf_program__attach_*, also the skeleton's and the
#                   generic auto-attach);
#   [object layer]  a bpf_link__* function (struct bpf_link) is served by
#                   bpflink: called by the program, or, for the skeleton's
#                   destroy, by libbpf itself. These need bpflink's object
#                   layer (bpf_link__open/pin/update_program/...).
#
# The outputs of every run are kept in build/clients/runs/ for reading.
# TAP on stdout (see tests-c/tap.h); run by tests-c/run.sh from make test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=cgroup2_root.sh
. "$top/tests-c/cgroup2_root.sh"
so="$top/build/libbpflink.so.1"
cdir="$top/build/clients"
bpf="$top/build/bpf"
runs="$cdir/runs"

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP the libbpf clients need root (BPF loads, cgroups, mounts, namespaces)"
    exit 0
fi

n=0 failed=0
ok() { # ok COND-STATUS "text" [detail...]
    local st=$1; shift
    n=$((n + 1))
    if [ "$st" = 0 ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"; failed=1
        shift; for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
    fi
}
comment() { printf '%s\n' "$@" | sed 's/^/# /'; }

probe="$top/build/tests-c/probe"
for f in "$so" "$cdir/client_object_ref" "$cdir/client_object_deb" "$cdir/client_libbpf_rs" \
         "$bpf/link_client.bpf.o" "$bpf/link_skel.bpf.o" "$probe"; do
    [ -e "$f" ] || { echo "not ok 1 - $f is not built (make test builds it)"; echo "1..1"; exit 1; }
done
mkdir -p "$runs"

# The kernel capabilities every client needs: link_client.bpf.o's cgroup_skb,
# XDP and task iterator programs, link_skel.bpf.o's bpf_map iterator, their
# links, the child cgroup and the private bpffs.
refused=$("$probe" --suite check_preload cgroup2_mount bpffs_mount link_cgroup link_xdp \
          iter_task iter_bpf_map); prc=$?
if [ $prc -gt 1 ]; then
    echo "not ok 1 - the capability probes ran (exit $prc)"; echo "1..1"; exit 1
fi
# need "text": true when every probe succeeded; otherwise the client's
# runs are one case, skipped with the first refused probe's reason.
need() {
    [ -z "$refused" ] && return 0
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $(head -1 <<<"$refused")"
    return 1
}

# Per-marker trace: one line per marked call, "NAME<TAB>f1,f2" (sorted set
# of bpflink functions traced between its ">>" and "<<").
phases() {
    # (plain awk: no gawk-only sort; the few names are insertion-sorted)
    awk '/^client: >> / { name = $3; n = 0; inside = 1; next }
         /^client: <<$/ { out = ""
                          for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") s[i]
                          print name "\t" out; inside = 0; next }
         inside && /^bpflink: / {
             f = $2; sub(/\(.*/, "", f)
             for (i = 1; i <= n; i++) if (s[i] == f) next
             for (i = n; i >= 1 && s[i] > f; i--) s[i + 1] = s[i]
             s[i + 1] = f; n++ }' "$1"
}
# bpflink functions traced outside any marker: the program's own direct calls.
direct_calls() {
    awk '/^client: >> / { inside = 1; next } /^client: <<$/ { inside = 0; next }
         !inside && /^bpflink: / { f = $2; sub(/\(.*/, "", f); print f }' "$1" | sort -u
}
# stderr without trace lines and run-specific values.
clean_err() {
    local dir
    dir=$(sed -n 's/^client-var: bpffs=//p' "$1")
    grep -v -e '^bpflink: ' -e '^client-var: ' "$1" | { if [ -n "$dir" ]; then sed "s|$dir|<bpffs>|g"; else cat; fi; }
}
var() { sed -n "s/^client-var: $2=//p" "$1"; }

# expect CLIENT RUNFILE "PHASE=f1,f2" ...: every marked call named PHASE
# traced exactly {f1, f2}; a phase listed but never seen is a failure too.
expect() {
    local c=$1 err=$2; shift 2
    local spec phase want got calls bad
    for spec in "$@"; do
        phase=${spec%%=*}; want=${spec#*=}
        label=; [[ $phase == *'|'* ]] && label=" ${phase#*|}"; phase=${phase%%|*}
        calls=$(phases "$err" | awk -F'\t' -v p="$phase" '$1 == p' )
        got=$(printf '%s\n' "$calls" | awk -F'\t' 'NF { print ($2 == "" ? "(nothing)" : $2) }' |
              sort | uniq -c | sed 's/^ *\([0-9]*\) /\1x /' | tr '\n' ' ')
        bad=$(printf '%s\n' "$calls" | awk -F'\t' -v w="$want" 'NF && $2 != w' | head -3)
        if [ -n "$calls" ] && [ -z "$bad" ]; then st=0; else st=1; fi
        ok $st "$c: $phase ($(printf '%s\n' "$calls" | grep -c .) calls) -> bpflink $want$label" \
            "traced, per call: ${got:-no such call}"
    done
}

# run_pair NAME ARGV...: both runs, saved under $runs/NAME.{plain,preload}.*
run_pair() {
    local c=$1; shift
    env -u LD_PRELOAD BPFLINK_TRACE=1 "$@" >"$runs/$c.plain.out" 2>"$runs/$c.plain.err"
    echo $? >"$runs/$c.plain.rc"
    env LD_PRELOAD="$so" BPFLINK_TRACE=1 "$@" >"$runs/$c.preload.out" 2>"$runs/$c.preload.err"
    echo $? >"$runs/$c.preload.rc"
}

# check_pair NAME [KNOWN-STDOUT-REGEX [KNOWN-STDERR-REGEX]]: the comparisons
# common to all clients. Lines matching the known-difference patterns are
# left out of the stdout/stderr comparison (and checked separately).
check_pair() {
    local c=$1 kout=${2:-'^$^'} kerr=${3:-'^$^'}
    local p="$runs/$c.plain" q="$runs/$c.preload" rp rq d
    rp=$(cat "$p.rc"); rq=$(cat "$q.rc")
    ok $([ "$rp" = 0 ] && tail -1 "$p.out" | grep -qx 'done: 0 problems'; echo $?) \
        "$c: plain run: every fact as expected, exit 0 (exit $rp)" "$(grep -v ': yes$' "$p.out" | tail -5)"
    ok $([ "$rq" = "$rp" ]; echo $?) "$c: preloaded run: same exit status ($rq)" \
        "$(grep -v ': yes$' "$q.out" | tail -5)"
    d=$(diff <(grep -Ev "$kout" "$p.out") <(grep -Ev "$kout" "$q.out"))
    ok $([ -z "$d" ]; echo $?) "$c: same stdout with and without the preload ($(wc -l <"$p.out") lines)" "$d"
    d=$(diff <(clean_err "$p.err" | grep -Ev "$kerr") <(clean_err "$q.err" | grep -Ev "$kerr"))
    ok $([ -z "$d" ]; echo $?) "$c: same stderr apart from trace lines (libbpf warnings included)" "$d"
    ok $(! grep -q '^bpflink: ' "$p.err"; echo $?) "$c: plain run: no bpflink trace line" \
        "$(grep -m3 '^bpflink: ' "$p.err")"
    ok $(grep -q '^bpflink: ' "$q.err"; echo $?) \
        "$c: preloaded run: bpflink traced $(grep -c '^bpflink: ' "$q.err") calls"
}

# check_direct NAME f...: the program's own direct calls include these.
check_direct() {
    local c=$1; shift
    local have missing=() f
    have=$(direct_calls "$runs/$c.preload.err")
    for f in "$@"; do grep -qx "$f" <<<"$have" || missing+=("$f"); done
    ok $([ ${#missing[@]} = 0 ]; echo $?) "$c: the program's direct calls went to bpflink: $*" \
        "missing: ${missing[*]:-}" "seen: $(tr '\n' ' ' <<<"$have")"
}

# Nothing left behind: links (by id, through bpftool), mounts, cgroups.
check_clean() {
    local c=$1 ids id left=() dir mdir
    for r in plain preload; do
        ids=$(var "$runs/$c.$r.err" link_ids)
        for id in $ids; do
            bpftool link show id "$id" >/dev/null 2>&1 && left+=("$r:link $id")
        done
        dir=$(var "$runs/$c.$r.err" bpffs)
        [ -n "$dir" ] && [ -e "$dir" ] && left+=("$r:dir $dir")
        [ -n "$dir" ] && grep -qF " $dir " /proc/mounts && left+=("$r:mount $dir")
        [ -n "$ids" ] || left+=("$r: no link ids reported")
    done
    ok $([ ${#left[@]} = 0 ]; echo $?) "$c: no link, bpffs mount or temp dir left behind" "${left[*]:-}"
}

# What the dynamic linker says, independently of the trace. With
# LD_BIND_NOW=1 every reference is resolved at start-up, so a run that only
# prints its usage (no arguments) shows all bindings (LD_DEBUG=bindings).
# Expected: every reference that libbpf.so.1 (its PLT/GOT relocations) and
# the program make to a function bpflink exports, with the same version
# node, is bound to libbpflink.so.1; nothing else of theirs is.
exports=$(readelf --dyn-syms -W "$so" | awk '$7 != "UND" && $5 == "GLOBAL" && $4 == "FUNC" { print $8 }' |
          sed 's/@@/@/' | sort -u)
refs() { # symbol@version of the R_*_JUMP_SLOT / GLOB_DAT relocations of a file
    readelf -rW "$1" | awk '/_JUMP_SLOT|_GLOB_DAT/ { print $5 }' | sed 's/@@/@/' | sort -u
}
check_bindings() { # NAME BIN LIBBPF-FILE (libbpf.so.1.7.0 or libbpf.so.1.1.2)
    local c=$1 bin=$2 want=$3 lib got exp log
    lib=$(ldd "$bin" | awk '$1 == "libbpf.so.1" { print $3 }')
    ok $([ "$(basename "$(readlink -f "$lib")")" = "$want" ]; echo $?) \
        "$c: the program loads $want ($lib)" "ldd: $(ldd "$bin" | grep bpf)"
    log=$(env LD_BIND_NOW=1 LD_DEBUG=bindings LD_PRELOAD="$so" "$bin" 2>&1 >/dev/null |
          sed -n "s/.*binding file \(.*\) \[0\] to \(.*\) \[0\]: normal symbol \`\([^']*\)' \[\([^]]*\)\].*/\1|\2|\3@\4/p")
    for from in libbpf program; do
        if [ $from = libbpf ]; then f=$lib; else f=$bin; fi
        exp=$(comm -12 <(refs "$(readlink -f "$f")") <(printf '%s\n' "$exports") | tr '\n' ' ' | sed 's/ $//')
        got=$(awk -F'|' -v f="$f" -v so="$so" '$1 == f && $2 == so { print $3 }' <<<"$log" | sort -u | tr '\n' ' ' | sed 's/ $//')
        ok $([ -n "$exp" ] && [ "$got" = "$exp" ]; echo $?) \
            "$c: ld.so binds $from's references to bpflink: ${exp:-(none found)}" "bound: ${got:-nothing}"
    done
}
check_bindings c-ref "$cdir/client_object_ref" libbpf.so.1.7.0
check_bindings c-deb "$cdir/client_object_deb" libbpf.so.1.1.2
check_bindings rs "$cdir/client_libbpf_rs" libbpf.so.1.7.0

# --- c-ref: client_object.c over the reference libbpf 1.7.0 ---------------
c_phases=(
    "libbpf_set_print=libbpf_set_print"
    "bpf_program__attach_cgroup|[low-level]=bpf_link_create"
    "bpf_program__attach_xdp|[low-level]=bpf_link_create"
    "bpf_program__attach_iter|[low-level]=bpf_link_create"
    "link_skel__attach|[low-level, libbpf auto-attach]=bpf_link_create"
    "bpf_link__pin|[object layer]=bpf_link__pin"
    "bpf_link__open|[object layer]=bpf_link__open"
    "bpf_link__update_program|[object layer]=bpf_link__update_program"
    "bpf_link__detach|[object layer]=bpf_link__detach"
    "bpf_link__unpin|[object layer]=bpf_link__unpin"
    "bpf_link__destroy|[object layer]=bpf_link__destroy"
    "link_skel__destroy|[object layer, called by libbpf's detach_skeleton]=bpf_link__destroy"
)
if need "c-ref: client_object.c over libbpf 1.7.0, with and without the preload"; then
run_pair c-ref "$cdir/client_object_ref" "$bpf/link_client.bpf.o"
check_pair c-ref
expect c-ref "$runs/c-ref.preload.err" "${c_phases[@]}"
check_direct c-ref bpf_link__fd bpf_link__pin_path bpf_link__disconnect bpf_link_get_info_by_fd \
    bpf_link_get_next_id bpf_link_get_fd_by_id bpf_iter_create libbpf_bpf_link_type_str
check_clean c-ref
fi

# --- c-deb: the same program over Debian's libbpf 1.1.2 --------------------
# One known difference: bpf_link__update_program with a program that was
# never loaded. libbpf 1.1.2 passes prog fd -1 to the kernel (EBADF, no
# warning); bpflink does what 1.7.0 does (EINVAL and the warning "prog
# '...': can't use BPF program without FD (was it loaded?)").
known_out='^update_program with a program that is not loaded: '
known_err="can't use BPF program without FD"
if need "c-deb: client_object.c over libbpf 1.1.2, with and without the preload"; then
run_pair c-deb "$cdir/client_object_deb" "$bpf/link_client.bpf.o"
check_pair c-deb "$known_out" "$known_err"
p=$(grep '^update_program with a program that is not loaded: ' "$runs/c-deb.plain.out")
q=$(grep '^update_program with a program that is not loaded: ' "$runs/c-deb.preload.out")
ok $([ "${p##*: }/${q##*: }" = EBADF/EINVAL ] && ! grep -q "$known_err" "$runs/c-deb.plain.err" &&
     grep -q "$known_err" "$runs/c-deb.preload.err"; echo $?) \
    "c-deb: known difference: update_program(unloaded prog) is EBADF under libbpf 1.1.2, EINVAL and a warning under bpflink (1.7.0's answer) [object layer]" \
    "plain: ${p:-missing}" "preload: ${q:-missing}"
expect c-deb "$runs/c-deb.preload.err" "${c_phases[@]}"
# 1.1.2 has no bpf_link_get_info_by_fd: the program uses bpf_obj_get_info_by_fd.
check_direct c-deb bpf_link__fd bpf_link__pin_path bpf_link__disconnect \
    bpf_link_get_next_id bpf_link_get_fd_by_id bpf_iter_create libbpf_bpf_link_type_str
check_clean c-deb
d=$(diff <(grep -Ev "$known_out" "$runs/c-ref.plain.out") <(grep -Ev "$known_out" "$runs/c-deb.plain.out"))
ok $([ -z "$d" ]; echo $?) "c-ref and c-deb print the same (libbpf 1.7.0 vs 1.1.2, apart from the known line)" "$d"
fi

# --- rs: libbpf-rs over the reference libbpf 1.7.0 -------------------------
rs_phases=(
    "libbpf_set_print=libbpf_set_print"
    "attach_cgroup|[low-level]=bpf_link_create"
    "attach_xdp|[low-level]=bpf_link_create"
    "attach_iter|[low-level]=bpf_link_create"
    "attach|[low-level, libbpf auto-attach]=bpf_link_create"
    "Link::pin|[object layer]=bpf_link__pin"
    "Link::open|[object layer]=bpf_link__open"
    "Link::update_prog|[object layer]=bpf_link__update_program"
    "Link::detach|[object layer]=bpf_link__detach"
    "Link::unpin|[object layer]=bpf_link__unpin"
    "drop(Link)|[object layer]=bpf_link__destroy"
)
if need "rs: libbpf-rs over libbpf 1.7.0, with and without the preload"; then
run_pair rs "$cdir/client_libbpf_rs" "$bpf/link_client.bpf.o" "$bpf/link_skel.bpf.o"
check_pair rs
expect rs "$runs/rs.preload.err" "${rs_phases[@]}"
# LinkInfoIter: get_next_id + get_fd_by_id; Iter::new: bpf_iter_create;
# AsFd for Link: bpf_link__fd; Link::pin_path: bpf_link__pin_path.
check_direct rs bpf_link__fd bpf_link__pin_path bpf_link_get_next_id bpf_link_get_fd_by_id bpf_iter_create
check_clean rs
fi

cg2=$(cgroup2_root)
left=$([ -n "$cg2" ] && ls "$cg2" 2>/dev/null | grep -E '^bpflink-(rs)?client-')
ok $([ -z "$left" ]; echo $?) "no client cgroup left under the cgroup2 mount (${cg2:-none})" "$left"

comment "compared: exit status, stdout, stderr (minus trace) of each client with and without" \
        "LD_PRELOAD=$so; outputs in build/clients/runs/"
echo "1..$n"
exit $failed
