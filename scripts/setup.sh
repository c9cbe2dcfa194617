#!/usr/bin/env bash
# One idempotent set-up for a fresh clone: installs what `make`, `make demo`
# and `make test` need and is missing, and builds the reference libbpf
# v1.7.0 the tests compare against. Every step checks first and does
# nothing when its result is already there, so running it again is cheap.
#
#   scripts/setup.sh          everything
#   scripts/setup.sh --check  only report what is missing (exit 1 if any)
#   scripts/setup.sh --nightly  only the nightly toolchain with Miri, for
#                             make stress (exit 1 when it cannot be had)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
check_only=0
[ "${1:-}" = "--check" ] && check_only=1

say() { printf 'setup: %s\n' "$*"; }

# --- Nightly Rust with Miri (make stress only) ---------------------------------
# Miri (undefined-behaviour checks of the unit tests) and ThreadSanitizer
# need a nightly toolchain. It is installed on request only; where rustup
# cannot fetch it this answers 1 and make stress says what it skipped.
if [ "${1:-}" = "--nightly" ]; then
    if ! cargo +nightly miri --version >/dev/null 2>&1; then
        command -v rustup >/dev/null || { say "no rustup: no nightly toolchain"; exit 1; }
        say "installing the nightly toolchain with miri and rust-src (rustup)"
        rustup toolchain install nightly --profile minimal --component miri,rust-src \
            >/tmp/bpflink-nightly.log 2>&1 ||
            { say "rustup could not install nightly miri, see /tmp/bpflink-nightly.log"; exit 1; }
    fi
    cargo +nightly miri setup >/tmp/bpflink-miri-setup.log 2>&1 ||
        { say "cargo miri setup failed, see /tmp/bpflink-miri-setup.log"; exit 1; }
    exit 0
fi

# --- Debian packages -------------------------------------------------------
# libelf-dev zlib1g-dev pkg-config: build the reference libbpf
# clang llvm: compile the BPF objects of the libbpf-client tests
# bpftool: independent observer of the links tests create
# doxygen: make docs;  iproute2: ip/nsenter for network tests
# libbpf-dev: Debian's libbpf 1.1.2, a second real client library
# valgrind: leak checks, and callgrind for make bench;  python3-venv: isolated
# Python tests;  gnuplot-nox: make bench's plot (PNG, cairo; no X11)
packages=(libelf-dev zlib1g-dev pkg-config make gcc g++ clang llvm bpftool doxygen
          iproute2 libbpf-dev valgrind util-linux python3-venv gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ $check_only = 1 ]; then
        say "missing packages: ${missing[*]}"; exit 1
    elif [ "$(id -u)" = 0 ]; then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/bpflink-apt.log 2>&1; then
            apt-get update >>/tmp/bpflink-apt.log 2>&1
            apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/bpflink-apt.log 2>&1 ||
                { say "apt-get failed, see /tmp/bpflink-apt.log"; exit 1; }
        fi
    else
        say "not root: cannot install ${missing[*]} (run 'sudo scripts/setup.sh' once)"
    fi
fi

# --- Rust toolchain ----------------------------------------------------------
command -v cargo >/dev/null || { say "cargo not found: install Rust (rustup) first"; exit 1; }
# clippy: make test runs cargo clippy over every target.
if ! cargo clippy --version >/dev/null 2>&1; then
    [ $check_only = 1 ] && { say "clippy missing"; exit 1; }
    say "installing clippy (rustup component add clippy)"
    rustup component add clippy >/tmp/bpflink-rustup.log 2>&1 ||
        { say "rustup component add clippy failed, see /tmp/bpflink-rustup.log"; exit 1; }
fi

# --- Crates of the side projects ---------------------------------------------
# Two cargo projects with their own lock files, not part of the bpflink
# crate: tests/clients/libbpf-rs (a real libbpf-rs client, built by make
# test) and fuzz/ (a cargo-fuzz workspace: make test builds its stable
# harness, make stress its libFuzzer targets). Their locked crates are
# fetched once here.
fetch_locked() { # fetch_locked <dir relative to the top> <what>
    local manifest="$top/$1/Cargo.toml"
    cargo fetch --offline --locked --manifest-path "$manifest" >/dev/null 2>&1 && return 0
    [ $check_only = 1 ] && { say "crates of $2 not fetched"; exit 1; }
    say "fetching the crates of $2 ($1)"
    cargo fetch --locked --manifest-path "$manifest" -q ||
        { say "cargo fetch for $1 failed"; exit 1; }
}
fetch_locked tests/clients/libbpf-rs "the libbpf-rs client"
fetch_locked fuzz "the fuzz harness"

# --- Reference libbpf v1.7.0 -----------------------------------------------
# Built from the source libbpf-sys 1.7.0 vendors, taken from the cargo
# registry (cargo fetch), into .deps/libbpf-1.7.0/.
ref="$top/.deps/libbpf-1.7.0"
if [ ! -f "$ref/lib/libbpf.so.1.7.0" ] || [ ! -f "$ref/uapi/linux/bpf.h" ]; then
    [ $check_only = 1 ] && { say "reference libbpf not built"; exit 1; }
    say "building reference libbpf v1.7.0 into .deps/libbpf-1.7.0"
    manifest="$top/tools/ref-libbpf/Cargo.toml"
    CARGO_TARGET_DIR="$top/.deps/ref-target" cargo fetch --manifest-path "$manifest" -q
    src=$(cargo metadata --manifest-path "$manifest" --format-version 1 2>/dev/null |
          python3 -c 'import json,sys; d=json.load(sys.stdin); print([p["manifest_path"] for p in d["packages"] if p["name"]=="libbpf-sys"][0])')
    src=$(dirname "$src")/libbpf
    rm -rf "$ref"
    mkdir -p "$ref/obj" "$ref/root"
    make -s -C "$src/src" OBJDIR="$ref/obj" DESTDIR="$ref/root" PREFIX=/usr LIBDIR=/usr/lib64 \
        install >"$ref/build.log" 2>&1 || { say "reference build failed: $ref/build.log"; exit 1; }
    mkdir -p "$ref/lib"
    cp -a "$ref/root/usr/lib64/"libbpf.so* "$ref/root/usr/lib64/libbpf.a" "$ref/lib/"
    cp -a "$ref/root/usr/include" "$ref/include"
    cp -a "$src/include/uapi" "$ref/uapi"
    cp -a "$src/src" "$ref/src"
    rm -rf "$ref/obj" "$ref/root"
fi

# --- Python test environment -------------------------------------------------
# .deps/venv for `make test-python`: a venv of python3 (override with PYTHON=),
# pytest from PyPI, and the package in python/ installed in editable mode, so
# the tests always see the current source. Redone when either import fails or
# bpflink resolves somewhere else than this checkout's python/ (a moved tree).
venv="$top/.deps/venv"
python=${PYTHON:-python3}
if ! "$venv/bin/python" -c 'import sys, pytest, bpflink; sys.exit(not bpflink.__file__.startswith(sys.argv[1]))' \
        "$top/python/bpflink/" >/dev/null 2>&1; then
    [ $check_only = 1 ] && { say "python test venv (.deps/venv) missing"; exit 1; }
    say "creating .deps/venv: pytest, and bpflink from python/ (editable)"
    rm -rf "$venv"
    "$python" -m venv "$venv" >/tmp/bpflink-venv.log 2>&1 ||
        { say "$python -m venv failed, see /tmp/bpflink-venv.log"; exit 1; }
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "pytest>=7,<10" >>/tmp/bpflink-venv.log 2>&1 &&
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$top/python" >>/tmp/bpflink-venv.log 2>&1 ||
        { say "pip install into .deps/venv failed, see /tmp/bpflink-venv.log"; exit 1; }
fi

say "ok"
