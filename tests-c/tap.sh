# Sourced by the shell test drivers that run other binaries under a tool
# (asan.sh, tsan.sh, valgrind.sh): the root check and TAP bookkeeping they
# share. Sets n (cases so far), failed (how many failed) and logs (a
# scratch directory the caller may create; removed on exit).

if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root (euid $(id -u)): the binaries use the kernel"
    exit 0
fi

n=0 failed=0 logs=
trap 'rm -rf "$logs"' EXIT

check() { # check <ok 0|1> <text>
    n=$((n + 1))
    if [ "$1" = 1 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"; failed=$((failed + 1))
    fi
}
