# bpflink: build, install, test.
#
#   make            build libbpflink.so.1, libbpflink.a, the headers and the
#                   command-line tool build/bpflink
#   make demo       build everything and run the examples (the main job)
#   make test       every test: Rust, C on the real kernel, differential, ABI, Python
#   make test-python  the Python package's tests (python/, pytest in .deps/venv)
#   make install    PREFIX=/usr/local DESTDIR=  (library, symlinks, headers under
#                   include/bpflink/, .pc, bin/bpflink); make uninstall undoes it
#   make test-cli   the command-line tool's tests alone (cli/)
#   make test-hard  the hardening tests alone: bad input, faults, leak cycles,
#                   threads, ASan and valgrind (bounded; part of make test)
#   make stress     the long runs: 100 000 leak cycles, 8 x 50 000 threads,
#                   ASan, valgrind and TSan at large sizes, long fuzzing, Miri
#   make miri       the library's unit tests under Miri (part of make stress)
#   make fuzz-smoke the fuzz targets on random inputs for 25 s (part of make test)
#   make fuzz-long  the same for 10 minutes, then libFuzzer (part of make stress)
#   make docs       doxygen over include/ (zero warnings)
#   make bench      bpflink vs libbpf 1.7.0 vs the raw syscall: wall time,
#                   instructions, heap, load cost, size (BENCHMARKS.md)
#   make header     refresh the committed headers from the Rust definitions
#   make clean
#
# libbpflink.so is linked here from the Rust staticlib, not by rustc as a
# cdylib: rustc hands the linker its own export list first, which makes a
# custom version script ineffective, and libbpf's symbol version nodes are
# what lets this library stand in for libbpf under LD_PRELOAD.
# -static-libgcc: the unwinder that catch_unwind needs (the panic boundary)
# is linked in, hidden by the version script, instead of loading
# libgcc_s.so.1, which was most of the library's load time (BENCHMARKS.md).

VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SONAME    := libbpflink.so.1
SOFILE    := libbpflink.so.1.0.0
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
BINDIR    ?= $(PREFIX)/bin
INCLUDEDIR?= $(PREFIX)/include
DESTDIR   ?=

CARGO     ?= cargo
CC        ?= gcc
CXX       ?= g++
B         := build
RUST_A    := target/release/libbpflink.a
SO        := $(B)/$(SOFILE)
REF       := .deps/libbpf-1.7.0
REF_SO    := $(REF)/lib/libbpf.so.1.7.0
UAPI      := $(REF)/uapi
HEADERS   := include/bpf/bpf.h include/bpf/libbpf.h include/bpflink.h

CFLAGS_T  := -O1 -g -Wall -Wextra -Werror -Iinclude -I$(UAPI) -Itests-c
LDFLAGS_T := -L$(B) -lbpflink -Wl,-rpath,$(abspath $(B)) -ldl -lpthread

.PHONY: all lib setup header demo test test-rust test-c docs install uninstall clean

all: lib

setup:
	@scripts/setup.sh

# The Rust crate (rlib + staticlib); its build.rs compiles src/log/shim.c.
$(RUST_A): FORCE
	$(CARGO) build --release --quiet

# How libbpflink.so.1 is linked from a static archive (the first
# prerequisite); the panic test links its own build the same way.
LINK_SO = $(CC) -shared -o $@ -Wl,--whole-archive $< -Wl,--no-whole-archive \
	    -Wl,--version-script=bpflink.map -Wl,-soname,$(SONAME) -Wl,--gc-sections \
	    -Wl,--no-undefined -Wl,-z,relro,-z,now -static-libgcc -lpthread -ldl -lm -lc

$(SO): $(RUST_A) bpflink.map
	@mkdir -p $(B)
	$(LINK_SO)
	ln -sf $(SOFILE) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libbpflink.so
	cp $(RUST_A) $(B)/libbpflink.a

lib: $(SO) $(B)/bpflink

# The command-line tool: the workspace member cli/ (package bpflink-cli,
# binary bpflink), on the library's rlib; its crates (clap, serde_json)
# are its own, never the library's. Built after the library, in the same
# target dir and profile, every time (cargo knows when nothing changed:
# a change to cli/ alone leaves libbpflink.a as it was); copied when it
# differs.
CLI_BIN := target/release/bpflink

$(B)/bpflink: $(RUST_A) FORCE
	@mkdir -p $(B)
	$(CARGO) build --release --quiet -p bpflink-cli
	@cmp -s $(CLI_BIN) $@ || { echo "cp $(CLI_BIN) $@"; cp $(CLI_BIN) $@; }

# Writes include/ from the Rust definitions (xtask/: cbindgen, and each
# options type's last field read from the type). make test runs it and
# fails if the committed headers differ from what it writes.
header:
	$(CARGO) run --quiet -p xtask -- header

FORCE:

# --- tests ------------------------------------------------------------------
TEST_SRCS := $(wildcard tests-c/test_*.c)
TEST_BINS := $(patsubst tests-c/%.c,$(B)/tests-c/%,$(TEST_SRCS))
# support.c: fixtures that never call the library (the differential suite
# links it too); support_link.c: the one fixture that does.
SUPPORT   := tests-c/support.c tests-c/support_link.c

$(B)/tests-c/test_%: tests-c/test_%.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

# Every probe of what the machine can do (docs/probes.md) logs its answer
# here; the run ends with the summary: capabilities probed, granted, refused.
PROBE_LOG := $(abspath $(B))/probes.log
test: export BPFLINK_PROBE_LOG := $(PROBE_LOG)

# The Rust tests run twice: in the release profile (what ships) and in the
# debug profile (overflow checks, debug assertions, and no optimisation to
# hide undefined behaviour); clippy denies warnings and unsafe blocks
# without a SAFETY comment in every target; the committed headers must be
# what the Rust definitions generate (make header, then git diff).
test: setup lib
	@mkdir -p $(B); : > $(PROBE_LOG)
	$(CARGO) test --release --workspace --quiet
	$(CARGO) test --workspace --quiet
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings
	$(MAKE) --no-print-directory header
	git diff --exit-code --stat -- include/
	$(MAKE) --no-print-directory test-c
	$(MAKE) --no-print-directory test-python
	$(MAKE) --no-print-directory docs
	@scripts/probe-summary.py $(PROBE_LOG)
	@echo "make test: all passed"

test-rust: lib
	$(CARGO) test --release --workspace

test-c: $(TEST_BINS)
	tests-c/run.sh $(TEST_BINS) $(XTESTS)

# --- capability probes (docs/probes.md) ---------------------------------------
# build/tests-c/probe: support.c's probes for the shell drivers (tests-c/README.md).
PROBE_BIN := $(B)/tests-c/probe

test-c: $(PROBE_BIN)

$(PROBE_BIN): tests-c/probe.c tests-c/support.c tests-c/support.h tests-c/tap.h \
		tests-c/cgroup2_root.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< tests-c/support.c

# --- differential suite and ABI checks ---------------------------------------
# diff_link, abi_layout, check_headers.sh, check_symbols.sh: tests-c/README.md.
REF_INC    := $(REF)/include
DIFF_SRCS  := $(wildcard tests-c/diff_*.c)
DIFF_FIX   := tests-c/support.c tests-c/support.h tests-c/tap.h
# tests-c/twin.c: both libraries dlopen()ed side by side (reference headers).
TWIN       := tests-c/twin.c
TWIN_DEPS  := $(TWIN) tests-c/twin.h $(DIFF_FIX)
DIFF_BIN   := $(B)/tests-c/diff_link
ABI_BIN    := $(B)/tests-c/abi_layout
ABI_SCRIPTS:= tests-c/check_headers.sh tests-c/check_symbols.sh
XTESTS      = $(DIFF_BIN) $(ABI_BIN) $(ABI_SCRIPTS)
CFLAGS_X   := -O2 -g -Wall -Wextra -Werror -Itests-c

test-c: $(DIFF_BIN) $(ABI_BIN)

# -rdynamic: its syscall() is the one both libraries call (diff_core.c).
$(DIFF_BIN): $(DIFF_SRCS) tests-c/diff_core.h tests-c/diff_groups.h $(TWIN_DEPS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) \
	    -DOURS_SO='"$(abspath $(B))/$(SONAME)"' -DREF_SO='"$(abspath $(REF_SO))"' \
	    -rdynamic -o $@ $(DIFF_SRCS) $(TWIN) tests-c/support.c -ldl

# The same field list compiled once against each header set.
$(B)/tests-c/abi_ours.o: tests-c/abi_table.c tests-c/abi_fields.h tests-c/abi.h $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -Iinclude -I$(UAPI) -DABI_SIDE=abi_ours -c -o $@ $<
$(B)/tests-c/abi_ref.o: tests-c/abi_table.c tests-c/abi_fields.h tests-c/abi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DABI_SIDE=abi_ref -c -o $@ $<
$(ABI_BIN): tests-c/abi_layout.c tests-c/abi.h tests-c/tap.h $(B)/tests-c/abi_ours.o $(B)/tests-c/abi_ref.o
	$(CC) $(CFLAGS_X) -o $@ $< $(B)/tests-c/abi_ours.o $(B)/tests-c/abi_ref.o

test-diff: setup lib $(DIFF_BIN)
	tests-c/run.sh $(DIFF_BIN)

test-abi: setup lib $(ABI_BIN)
	tests-c/run.sh $(ABI_BIN) $(ABI_SCRIPTS)

.PHONY: test-diff test-abi

# --- libbpf_set_print beside a real libbpf, and the installed library ---------
# print_forward_linked, print_forward_preload, check_install.sh: tests-c/README.md.
PF_DEPS   := tests-c/print_forward.c tests-c/print_common.h tests-c/tap.h $(HEADERS) $(SO)
PF_BINS   := $(B)/tests-c/print_forward_linked $(B)/tests-c/print_forward_preload
XTESTS    += $(PF_BINS) tests-c/check_install.sh

test-c: $(PF_BINS)

$(B)/tests-c/print_forward_linked: $(PF_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< -L$(B) -lbpflink -L$(REF)/lib -l:libbpf.so.1.7.0 \
	    -Wl,-rpath,$(abspath $(B)):$(abspath $(REF)/lib) -ldl

$(B)/tests-c/print_forward_preload.bin: $(PF_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< -L$(REF)/lib -l:libbpf.so.1.7.0 -Wl,-rpath,$(abspath $(REF)/lib) -ldl

$(B)/tests-c/print_forward_preload: $(B)/tests-c/print_forward_preload.bin
	printf '#!/bin/sh\nLD_PRELOAD=%s exec %s "$$@"\n' '$(abspath $(SO))' '$(abspath $<)' > $@
	chmod +x $@

# The main job: build everything, then run the examples in examples/: the
# C program (linked with -lbpflink) and the same flow in Python.
demo: setup lib $(B)/examples/cgroup_link
	$(B)/examples/cgroup_link
	@echo
	BPFLINK_LIBRARY=$(abspath $(B)/$(SONAME)) $(VENV)/bin/python examples/cgroup_link.py

$(B)/examples/%: examples/%.c $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -I$(UAPI) -o $@ $< -L$(B) -lbpflink \
	    -Wl,-rpath,$(abspath $(B))

docs: $(HEADERS)
	@mkdir -p $(B)
	doxygen docs/Doxyfile
	@echo "docs: build/docs/html/index.html (no warnings)"

# The headers go to $(INCLUDEDIR)/bpflink/ (bpflink.h, and bpf/bpf.h,
# bpf/libbpf.h under it), never to $(INCLUDEDIR)/bpf/: that is where
# libbpf-dev keeps its own, and /usr/local/include is searched before
# /usr/include, so ours there would hide libbpf's object API from every
# program on the machine. Programs reach them through pkg-config
# (Cflags: -I${includedir}/bpflink). `make uninstall` with the same
# PREFIX / DESTDIR removes exactly what install put.
INSTALLED_HDRS := $(INCLUDEDIR)/bpflink/bpf/bpf.h $(INCLUDEDIR)/bpflink/bpf/libbpf.h \
                  $(INCLUDEDIR)/bpflink/bpflink.h
INSTALLED := $(BINDIR)/bpflink $(LIBDIR)/$(SOFILE) $(LIBDIR)/$(SONAME) $(LIBDIR)/libbpflink.so \
             $(LIBDIR)/libbpflink.a $(LIBDIR)/pkgconfig/bpflink.pc $(INSTALLED_HDRS)

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/bpflink/bpf $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(BINDIR)
	install -m 755 $(B)/bpflink $(DESTDIR)$(BINDIR)/bpflink
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libbpflink.so
	install -m 644 $(B)/libbpflink.a $(DESTDIR)$(LIBDIR)/libbpflink.a
	install -m 644 include/bpf/bpf.h include/bpf/libbpf.h $(DESTDIR)$(INCLUDEDIR)/bpflink/bpf/
	install -m 644 include/bpflink.h $(DESTDIR)$(INCLUDEDIR)/bpflink/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    bpflink.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/bpflink.pc

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/bpflink/bpf $(DESTDIR)$(INCLUDEDIR)/bpflink 2>/dev/null

clean:
	$(CARGO) clean
	rm -rf $(B) $(TSAN_TARGET)

# --- the command-line tool (build/bpflink) -------------------------------------
# The tool's package, cli/, has unit tests (arguments, rendering, JSON text)
# and two suites that run the built binary; `cargo test --workspace`, the
# first step of `make test`, runs them with the library's tests. Each suite
# is a test target with `harness = false` (cli/Cargo.toml): it runs
# single-threaded from its own main, so that it can unshare namespaces
# first, and prints TAP; as root only a capability probe's named skip is
# accepted, as in tests-c/run.sh. They share tests/common with the
# library's tests/kernel.rs, and read JSON with serde_json.
#   cli/tests/cli.rs          arguments, exit codes and messages (permission
#                             as nobody through setpriv), JSON, and
#                             show/list/pin/unpin/update/detach end to end on
#                             a cgroup link in a child cgroup, with a private
#                             bpffs
#   cli/tests/cli_bpftool.rs  a link of every type this kernel allows, held
#                             while `bpflink --json list` and `bpftool -j link
#                             list` run in the suite's own network and mount
#                             namespaces; bpflink's fields are checked against
#                             what was made, the kernel's fdinfo and bpftool's,
#                             with type names from the uapi headers in .deps/
#   make test-cli             the tool's tests alone (unit tests and suites)
test-cli: setup lib
	$(CARGO) test --release -p bpflink-cli

.PHONY: test-cli

# --- link objects: kernel tests, interop, valgrind ----------------------------
# test_object, interop, valgrind.sh: tests-c/README.md. object_progs.bpf.o comes
# from the $(B)/bpf/%.bpf.o rule of the clients section below.
OBJ_BPF     := $(B)/bpf/object_progs.bpf.o
OBJ_DEFS    := -DREF_SO='"$(abspath $(REF_SO))"' -DOBJECT_BPF_O='"$(abspath $(OBJ_BPF))"'
OBJECT_BIN  := $(B)/tests-c/test_object
INTEROP_BIN := $(B)/tests-c/interop
XTESTS      += $(INTEROP_BIN) tests-c/valgrind.sh

$(OBJECT_BIN): CFLAGS_T += $(OBJ_DEFS)
$(OBJECT_BIN): $(OBJ_BPF)

$(INTEROP_BIN): tests-c/interop.c $(TWIN_DEPS) $(SO) $(OBJ_BPF)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DOURS_SO='"$(abspath $(B))/$(SONAME)"' \
	    $(OBJ_DEFS) -o $@ $< $(TWIN) tests-c/support.c -ldl

test-c: $(OBJECT_BIN) $(INTEROP_BIN)

test-object: setup lib $(OBJECT_BIN) $(INTEROP_BIN)
	tests-c/run.sh $(OBJECT_BIN) $(INTEROP_BIN) tests-c/valgrind.sh

.PHONY: test-object

# --- libbpf clients over bpflink (LD_PRELOAD) ---------------------------------
# check_preload.sh and the clients it runs: tests-c/README.md.
BPF_DIR     := $(B)/bpf
CLIENT_DIR  := $(B)/clients
BPF_CFLAGS  := -target bpf -O2 -g -Wall -Werror -I$(BPF_DIR) -I$(REF)/include
BPF_OBJS    := $(BPF_DIR)/link_client.bpf.o $(BPF_DIR)/link_skel.bpf.o
CLIENT_CFLAGS := -O1 -g -Wall -Wextra -Werror -I$(BPF_DIR)
CLIENT_BINS := $(CLIENT_DIR)/client_object_ref $(CLIENT_DIR)/client_object_deb \
               $(CLIENT_DIR)/client_libbpf_rs
RS_CLIENT   := tests/clients/libbpf-rs
RS_TARGET   := .deps/clients-target
XTESTS      += tests-c/check_preload.sh

test-c: $(BPF_OBJS) $(CLIENT_BINS)

# BPF objects: clang against this kernel's vmlinux.h and libbpf 1.7.0's helpers.
$(BPF_DIR)/vmlinux.h:
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BPF_DIR)/%.bpf.o: tests-c/bpf/%.bpf.c $(BPF_DIR)/vmlinux.h
	clang $(BPF_CFLAGS) -c -o $@ $<

$(BPF_DIR)/%.skel.h: $(BPF_DIR)/%.bpf.o
	bpftool gen skeleton $< name $* > $@.tmp
	mv $@.tmp $@

# tests-c/client_object.c against libbpf 1.7.0 (rpath), then Debian's 1.1.2 (-lbpf).
$(CLIENT_DIR)/client_object_ref: tests-c/client_object.c $(BPF_DIR)/link_skel.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CLIENT_CFLAGS) -I$(REF)/include -I$(UAPI) -o $@ $< \
	    -L$(REF)/lib -l:libbpf.so.1.7.0 -Wl,-rpath,$(abspath $(REF)/lib)

$(CLIENT_DIR)/client_object_deb: tests-c/client_object.c $(BPF_DIR)/link_skel.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CLIENT_CFLAGS) -o $@ $< -lbpf

# tests/clients/libbpf-rs, its own cargo project and target dir, libbpf-sys
# linked to 1.7.0; cargo decides what to rebuild, the copy is cheap.
$(CLIENT_DIR)/client_libbpf_rs: FORCE
	LIBBPF_SYS_LIBRARY_PATH=$(abspath $(REF)/lib) CARGO_TARGET_DIR=$(abspath $(RS_TARGET)) \
	    $(CARGO) build --quiet --locked --manifest-path $(RS_CLIENT)/Cargo.toml
	@mkdir -p $(dir $@)
	cp $(RS_TARGET)/debug/bpflink-client-libbpf-rs $@

test-clients: setup lib $(BPF_OBJS) $(CLIENT_BINS) $(PROBE_BIN)
	tests-c/run.sh tests-c/check_preload.sh

.PHONY: test-clients

# --- Python package (python/) --------------------------------------------------
# The ctypes binding in python/ (package `bpflink`), tested with pytest on the
# real kernel against the library built here:
#   .deps/venv           made by scripts/setup.sh: python3 -m venv, pytest from
#                        PyPI, python/ installed in editable mode
#   BPFLINK_LIBRARY      set to build/libbpflink.so.1, so that the tests load
#                        exactly this build (python/README.md: discovery order)
# pytest's exit status 5 (no test collected) fails like any other; as root
# only a capability probe's named skip is accepted (python/tests/conftest.py
# turns any other into a failure), as in the C suites.
#   make test-python     these alone
VENV := .deps/venv

test-python: setup lib
	@BPFLINK_LIBRARY=$(abspath $(B)/$(SONAME)) $(VENV)/bin/python -m pytest -q -rs python/tests; \
	    rc=$$?; [ $$rc -ne 5 ] || echo "test-python: no test ran"; exit $$rc

.PHONY: test-python

# --- hardening: bad input, leaks, concurrency, faults --------------------------
# The hard_* binaries, asan.sh, valgrind.sh, tsan.sh: tests-c/README.md;
# README.md, "Reliability", has the figures. `make stress`: the long runs.
HARD_DL     := $(B)/tests-c/hard_badinput $(B)/tests-c/hard_faults
HARD_ALLOC  := $(B)/tests-c/hard_alloc
HARD_LINKED := $(B)/tests-c/hard_cycles $(B)/tests-c/hard_threads
HARD_BINS   := $(HARD_DL) $(HARD_LINKED)
ASAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_BINS   := $(patsubst $(B)/tests-c/%,$(B)/tests-c/asan/%,$(TEST_BINS) $(HARD_BINS))
XTESTS      += $(HARD_BINS) $(HARD_ALLOC) tests-c/asan.sh

test-c: $(HARD_BINS) $(HARD_ALLOC) $(ASAN_BINS)

# panic_boundary (tests-c/README.md), against the crate built again with the
# test-only feature `test-panic` and linked like the shipped library.
PANIC_DIR    := $(B)/panic
PANIC_A      := $(B)/panic-target/release/libbpflink.a
PANIC_SO     := $(PANIC_DIR)/$(SONAME)
PANIC_BIN    := $(B)/tests-c/panic_boundary
XTESTS       += $(PANIC_BIN)

test-c: $(PANIC_BIN)

$(PANIC_A): FORCE
	CARGO_TARGET_DIR=$(abspath $(B))/panic-target $(CARGO) build --release --quiet --lib \
	    --features test-panic

$(PANIC_SO): $(PANIC_A) bpflink.map
	@mkdir -p $(dir $@)
	$(LINK_SO)

$(PANIC_BIN): tests-c/panic_boundary.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) \
		$(PANIC_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) -L$(PANIC_DIR) -l:$(SONAME) \
	    -Wl,-rpath,$(abspath $(PANIC_DIR)) -ldl -lpthread

# Both libraries dlopen()ed: built like diff_link, against the reference headers.
$(HARD_DL) $(HARD_ALLOC): $(B)/tests-c/%: tests-c/%.c tests-c/hard.h tests-c/alloc_hook.h \
		$(TWIN_DEPS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DOURS_SO='"$(abspath $(B))/$(SONAME)"' \
	    -DREF_SO='"$(abspath $(REF_SO))"' -o $@ $< $(TWIN) tests-c/support.c -ldl

# Linked with -lbpflink: built like the test_* binaries.
$(HARD_LINKED): $(B)/tests-c/%: tests-c/%.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

# The AddressSanitizer + UBSan builds of the same sources.
$(B)/tests-c/asan/test_object: CFLAGS_T += $(OBJ_DEFS)
$(B)/tests-c/asan/test_object: $(OBJ_BPF)

$(B)/tests-c/asan/test_%: tests-c/test_%.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) $(ASAN_CFLAGS) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

$(patsubst $(B)/tests-c/%,$(B)/tests-c/asan/%,$(HARD_LINKED)): $(B)/tests-c/asan/%: \
		tests-c/%.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) $(ASAN_CFLAGS) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

$(patsubst $(B)/tests-c/%,$(B)/tests-c/asan/%,$(HARD_DL)): $(B)/tests-c/asan/%: \
		tests-c/%.c tests-c/hard.h $(TWIN_DEPS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) $(ASAN_CFLAGS) -I$(REF_INC) -I$(UAPI) \
	    -DOURS_SO='"$(abspath $(B))/$(SONAME)"' -DREF_SO='"$(abspath $(REF_SO))"' \
	    -o $@ $< $(TWIN) tests-c/support.c -ldl

# ThreadSanitizer (make stress, nightly Rust): tests-c/tsan.sh says what it sees.
TSAN_DIR     := $(B)/tsan
TSAN_TARGET  := .deps/tsan-target
RUST_HOST    := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
HAVE_NIGHTLY := $(shell $(CARGO) +nightly --version >/dev/null 2>&1 && echo yes)

$(TSAN_DIR)/libbpflink.so.1: FORCE
	CARGO_TARGET_DIR=$(abspath $(TSAN_TARGET)) \
	    RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer" \
	    $(CARGO) +nightly build --release --quiet --lib --target $(RUST_HOST)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ -Wl,--whole-archive $(TSAN_TARGET)/$(RUST_HOST)/release/libbpflink.a \
	    -Wl,--no-whole-archive -Wl,--version-script=bpflink.map -Wl,-soname,$(SONAME) \
	    -Wl,--gc-sections -lpthread -ldl -lm -lc

$(TSAN_DIR)/hard_threads: tests-c/hard_threads.c tests-c/tsan_shim.c $(SUPPORT) tests-c/support.h tests-c/tap.h \
		$(HEADERS) $(TSAN_DIR)/libbpflink.so.1
	$(CC) -O1 -g -Wall -Wextra -Werror -fsanitize=thread -rdynamic -Iinclude -I$(UAPI) -Itests-c \
	    -o $@ $< tests-c/tsan_shim.c $(SUPPORT) -L$(TSAN_DIR) -l:libbpflink.so.1 \
	    -Wl,-rpath,$(abspath $(TSAN_DIR)) -ldl -lpthread

test-hard: setup lib $(HARD_BINS) $(HARD_ALLOC) $(ASAN_BINS) $(OBJECT_BIN) $(INTEROP_BIN)
	tests-c/run.sh $(HARD_BINS) $(HARD_ALLOC) tests-c/asan.sh tests-c/valgrind.sh

# The long runs. Sizes can be changed on the command line, e.g.
# `make stress STRESS_CYCLES=1000000`.
STRESS_CYCLES  ?= 100000
STRESS_THREADS ?= 8
STRESS_ITERS   ?= 50000
STRESS_WIDE    ?= 32
STRESS_WIDE_ITERS ?= 5000

stress: setup lib $(TEST_BINS) $(HARD_BINS) $(HARD_ALLOC) $(ASAN_BINS) $(OBJECT_BIN) $(INTEROP_BIN)
	HARD_CYCLES=$(STRESS_CYCLES) tests-c/run.sh $(B)/tests-c/hard_cycles
	HARD_THREADS=$(STRESS_THREADS) HARD_ITERS=$(STRESS_ITERS) tests-c/run.sh $(B)/tests-c/hard_threads
	HARD_THREADS=$(STRESS_WIDE) HARD_ITERS=$(STRESS_WIDE_ITERS) tests-c/run.sh $(B)/tests-c/hard_threads
	tests-c/run.sh $(HARD_DL) $(HARD_ALLOC)
	HARD_CYCLES=$(STRESS_CYCLES) HARD_THREADS=$(STRESS_THREADS) HARD_ITERS=10000 \
	    tests-c/run.sh tests-c/asan.sh
	VALGRIND_ALL=1 HARD_CYCLES=10000 HARD_THREADS=8 HARD_ITERS=1000 \
	    tests-c/run.sh tests-c/valgrind.sh
ifeq ($(HAVE_NIGHTLY),yes)
	$(MAKE) --no-print-directory $(TSAN_DIR)/hard_threads
	HARD_THREADS=$(STRESS_THREADS) HARD_ITERS=2000 tests-c/run.sh tests-c/tsan.sh
else
	@echo "stress: no nightly Rust toolchain (rustup toolchain install nightly): ThreadSanitizer not run"
endif
	$(MAKE) --no-print-directory miri
	@echo "make stress: all passed"

# Miri (part of make stress): the library's unit tests -- the options
# reader, the object layer, the panic boundary, the create-options rules --
# in Rust's interpreter, which reports undefined behaviour that optimised
# code hides (uninitialised bytes read, aliased &mut, pointers past an
# object). It needs nightly Rust with Miri: scripts/setup.sh --nightly
# installs it where rustup can; elsewhere this says so and runs nothing.
# Isolation off: one test reads libbpf's source under .deps/. Permissive
# provenance: the ERR_PTR tests make pointers from integers on purpose.
# Miri has no bpf(2), so the one check that needs the kernel is compiled
# out there.
MIRI_FLAGS := -Zmiri-disable-isolation -Zmiri-permissive-provenance

miri: setup
	@if scripts/setup.sh --nightly; then \
	    echo 'MIRIFLAGS="$(MIRI_FLAGS)" $(CARGO) +nightly miri test --lib'; \
	    MIRIFLAGS="$(MIRI_FLAGS)" $(CARGO) +nightly miri test --lib; \
	else \
	    echo "miri: no nightly toolchain with Miri on this machine: not run"; \
	fi

.PHONY: test-hard stress miri

# --- fuzzing (fuzz/) -----------------------------------------------------------
# fuzz/ is a cargo-fuzz project with its own workspace, Cargo.lock and target
# dir: `cargo build` of bpflink never builds it (fuzz/README.md). Its checks,
# in fuzz/src/, are five targets, each run on every input:
#   opts_read         Opts::read, opts_get!, opts_zeroed! on the three options
#                     structs vs a plain model of libbpf's OPTS_* macros
#   link_create_args  attach type x opts bytes x sz: CreateOpts::from_libbpf
#                     refuses (EINVAL, libbpf's warning) exactly when libbpf
#                     1.7.0 does, else attr() is libbpf's 64-byte attr byte for
#                     byte and the raw-tracepoint fallback flag is libbpf's
#   update_opts       the same for bpf_link_update's options
#   fd_by_id_opts     the same for bpf_link_get_fd_by_id_opts' options
#   diff_libbpf       build/libbpflink.so.1 vs the reference libbpf, dlopen()ed
#                     side by side: return, errno, messages and every bpf(2)
#                     call, with arguments that make the kernel's answer
#                     deterministic (nothing is created); libbpf's answers
#                     are also checked against the model the others use
# Options buffers end at an inaccessible page: an over-read crashes without
# a sanitizer. Ways to run them:
#   make fuzz-smoke   part of make test: the stable harness (fuzz/tests/stable.rs),
#                     random inputs from a seeded xorshift generator for
#                     FUZZ_SMOKE_SECONDS shared by the targets; TAP, one line
#                     per target with its execution count
#   make fuzz-long    part of make stress: the harness for FUZZ_LONG_SECONDS,
#                     then each target under libFuzzer, coverage-guided, for
#                     FUZZ_LF_SECONDS (fuzz/libfuzzer.sh: cargo-fuzz's build,
#                     on stable, without ASan)
#   cd fuzz && cargo +nightly fuzz run <target>    cargo-fuzz itself (nightly)
# FUZZ_SEED=<seed> repeats a harness run (every run prints its seed); a failing
# input is printed in hex with the command that replays it and saved under
# fuzz/artifacts/<target>/.
FUZZ_SMOKE_SECONDS ?= 25
FUZZ_LONG_SECONDS  ?= 600
FUZZ_LF_SECONDS    ?= 60
FUZZ_HARNESS := $(CARGO) test --release --locked --no-default-features \
                --manifest-path fuzz/Cargo.toml --test stable

test: fuzz-smoke
stress: fuzz-long
clean: fuzz-clean

fuzz-smoke: setup lib
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) $(FUZZ_HARNESS)

fuzz-long: setup lib
	FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) $(FUZZ_HARNESS)
	fuzz/libfuzzer.sh $(FUZZ_LF_SECONDS)

# The build only; fuzz/corpus/ (libFuzzer's corpora) stays.
fuzz-clean:
	rm -rf fuzz/target

.PHONY: fuzz-smoke fuzz-long fuzz-clean stress

# --- benchmarks (bench/, BENCHMARKS.md "Method") ---------------------------------
# make bench: the full run, rewrites BENCHMARKS.md and bench/enumeration.png;
# bench/smoke.sh (part of test-c): tests-c/README.md.
BENCH_BIN := $(B)/bench/bench
BENCH_RAW := $(B)/bench/libbpfraw.so
XTESTS    += bench/smoke.sh

test-c: $(BENCH_BIN) $(BENCH_RAW)

# The floor: libbpf's prototypes doing only the syscall.
$(BENCH_RAW): bench/raw.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -I$(UAPI) -o $@ $<

# The driver: the three implementations through tests-c/twin.c; -rdynamic so
# that its counting malloc family (alloc_hook.h) serves every library.
$(BENCH_BIN): bench/bench.c $(TWIN_DEPS) tests-c/alloc_hook.h tests-c/cgroup2_root.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DOURS_SO='"$(abspath $(B))/$(SONAME)"' \
	    -DREF_SO='"$(abspath $(REF_SO))"' -DRAW_SO='"$(abspath $(BENCH_RAW))"' \
	    -rdynamic -o $@ bench/bench.c $(TWIN) tests-c/support.c -ldl

bench: setup lib $(BENCH_BIN) $(BENCH_RAW)
	bench/bench.py

.PHONY: bench

# Last of test-c: the refused-capability path (tests-c/README.md).
XTESTS += tests-c/check_refusal.sh

# support.c and the libbpf client include tests-c/cgroup2_root.h.
$(TEST_BINS) $(ASAN_BINS) $(HARD_BINS) $(HARD_ALLOC) $(DIFF_BIN) $(INTEROP_BIN) $(PANIC_BIN) \
$(CLIENT_DIR)/client_object_ref $(CLIENT_DIR)/client_object_deb: tests-c/cgroup2_root.h

# --- libbpf opened with dlopen() (tests-c/dlopen/) -----------------------------
# check_dlopen.sh, its host and its two plugins: tests-c/README.md.
DL_DIR  := $(B)/dlopen
DL_BINS := $(DL_DIR)/host $(DL_DIR)/plugin_ref.so $(DL_DIR)/plugin_deb.so
XTESTS  += tests-c/check_dlopen.sh

test-c: $(DL_BINS) $(OBJ_BPF)

$(DL_DIR)/host: tests-c/dlopen/host.c $(DIFF_FIX)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(UAPI) -o $@ $< tests-c/support.c -ldl

$(DL_DIR)/plugin_ref.so: tests-c/dlopen/plugin.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -fPIC -shared -I$(REF_INC) -I$(UAPI) -o $@ $< \
	    -L$(REF)/lib -l:libbpf.so.1 -Wl,-rpath,$(abspath $(REF)/lib)

$(DL_DIR)/plugin_deb.so: tests-c/dlopen/plugin.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -fPIC -shared -o $@ $< -lbpf

test-dlopen: setup lib $(DL_BINS) $(OBJ_BPF)
	tests-c/run.sh tests-c/check_dlopen.sh

.PHONY: test-dlopen

# --- Python wheel with the library inside (python/setup.py) ---------------------
# `pip install <checkout>/python` runs `make -C <checkout> lib` and ships
# build/libbpflink.so.1 inside the package, in a wheel tagged
# py3-none-<platform> (python/README.md: Installing). Editable installs,
# like .deps/venv, build nothing and load build/.
#   make python-wheel         the wheel, into build/python/
#   make test-python-install  python/tests/test_install.py alone (it is part of
#                             test-python): a fresh venv in a temporary directory
#                             outside the checkout, pip install of python/, the
#                             bundled copy loaded with no BPFLINK_* set and
#                             links listed, pip wheel inspected. pip needs PyPI
#                             (or its cache) for setuptools.
PY_WHEEL_DIR := $(B)/python

python-wheel: setup lib
	$(VENV)/bin/python -m pip wheel -q --no-deps -w $(PY_WHEEL_DIR) ./python
	@ls $(PY_WHEEL_DIR)/*.whl

test-python-install: setup lib
	@BPFLINK_LIBRARY=$(abspath $(B)/$(SONAME)) $(VENV)/bin/python -m pytest -q -rs \
	    python/tests/test_install.py

.PHONY: python-wheel test-python-install
