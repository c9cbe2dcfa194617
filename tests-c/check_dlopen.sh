#!/usr/bin/env bash
# libbpf brought into the process by dlopen(RTLD_LOCAL), with and without
# LD_PRELOAD=libbpflink.so.1: bpflink must find that libbpf although the
# global symbol scope does not show it (tests-c/dlopen/host.c says how each
# shape is made; plugin.c what the plugin does).
#
# For each shape and plugin the host runs twice, plain and preloaded, and:
#  - the plain run did the job (its transcript has the expected lines:
#    libbpf's own messages reached the plugin's callback, the link was
#    switched to the second program, the unloaded program was refused);
#  - under the preload the plugin's libbpf_set_print and
#    bpf_link__update_program were bpflink's (else the case proves nothing);
#  - the two transcripts are the same, line for line (callback output,
#    answers, errno, the program the link runs).
# Plugins: plugin_ref.so, linked to the reference libbpf 1.7.0, and
# plugin_deb.so, linked to the distribution's libbpf.so.1 (Debian: 1.1.2).
# With the latter the one known difference is allowed and checked: libbpf
# 1.1.2 passes an unloaded program's fd (-EINVAL) to the kernel and gets
# EBADF, where 1.7.0, and so bpflink, refuse it first with a warning and
# EINVAL.
#
# TAP on stdout; run by tests-c/run.sh from make test (mk/tests-c.mk, section
# "libbpf opened with dlopen()").
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests-c/tap.sh"

so="$top/build/libbpflink.so.1"
dir="$top/build/dlopen"
obj="$top/build/bpf/object_progs.bpf.o"
ref_libbpf="$top/.deps/libbpf-1.7.0/lib/libbpf.so.1"
logs=$(mktemp -d)

# run <label> <plugin> <mode>: both runs, then the cases.
run() {
    local label=$1 plugin=$2 mode=$3 plain="$logs/$1.plain" pre="$logs/$1.preload" rc1 rc2
    "$dir/host" "$mode" "$plugin" "$obj" "$ref_libbpf" >"$plain" 2>&1; rc1=$?
    LD_PRELOAD="$so" "$dir/host" "$mode" "$plugin" "$obj" "$ref_libbpf" >"$pre" 2>&1; rc2=$?
    if grep -q '^1\.\.0 # SKIP' "$plain"; then
        # The host's own probe said no (a named skip, see docs/probes.md).
        echo "ok $((n += 1)) - $label # SKIP $(sed -n 's/^1\.\.0 # SKIP //p' "$plain")"
        return
    fi
    check "$([ $rc1 = 0 ] && [ $rc2 = 0 ] && echo 1 || echo 0)" \
        "$label: the host ran, plain and preloaded (exit $rc1, $rc2)"
    check "$(grep -q '^print 0: libbpf: elf: failed to open /nonexistent/' "$plain" &&
             grep -qx 'update to b: 0 (errno 0)' "$plain" &&
             grep -qx 'link runs b: yes' "$plain" &&
             grep -q '^update to an unloaded program: -' "$plain" && echo 1 || echo 0)" \
        "$label: plain run: libbpf's messages reached the callback, the link was updated"
    check "$(grep -qx 'who: libbpf_set_print bpflink' "$pre" &&
             grep -qx 'who: bpf_link__update_program bpflink' "$pre" && echo 1 || echo 0)" \
        "$label: preloaded, the plugin's libbpf_set_print and bpf_link__update_program are bpflink's"
    # The transcripts without the "who:" lines; for the distribution's
    # libbpf, without its known answer to the unloaded program too.
    local known='^$'
    if [ "$plugin" = "$dir/plugin_deb.so" ]; then
        known="^update to an unloaded program: |^print 0: libbpf: prog 'obj_unloaded': can't use"
        check "$(grep -qx 'update to an unloaded program: -9 (errno 9)' "$plain" &&
                 grep -qx "print 0: libbpf: prog 'obj_unloaded': can't use BPF program without FD (was it loaded?)" "$pre" &&
                 grep -qx 'update to an unloaded program: -22 (errno 22)' "$pre" && echo 1 || echo 0)" \
            "$label: the unloaded program: EBADF from libbpf 1.1.2, libbpf 1.7.0's warning and EINVAL from bpflink"
    fi
    if diff <(grep -v '^who:' "$plain" | grep -Ev "$known") \
            <(grep -v '^who:' "$pre" | grep -Ev "$known") >"$logs/$label.diff"; then
        check 1 "$label: the same transcript plain and preloaded ($(grep -c . "$plain") lines)"
    else
        check 0 "$label: the same transcript plain and preloaded"
        sed 's/^/#   /' "$logs/$label.diff"
    fi
}

run "plugin opens libbpf 1.7.0" "$dir/plugin_ref.so" plugin
run "libbpf 1.7.0 opened first, then the plugin" "$dir/plugin_ref.so" libbpf
run "bpflink asked before libbpf 1.7.0 is opened" "$dir/plugin_ref.so" late
run "plugin opens the distribution's libbpf" "$dir/plugin_deb.so" plugin
run "bpflink asked before the distribution's libbpf is opened" "$dir/plugin_deb.so" late

echo "1..$n"
[ "$failed" = 0 ]
