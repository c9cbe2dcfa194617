# mk/build.mk: what bpflink ships and how it gets onto a machine. The
# library (build/libbpflink.so.1 and .a), the command-line tool
# (build/bpflink), the headers, the API docs, the demo, install and
# uninstall, clean; and the paths that every other mk/ file uses.

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SONAME  := libbpflink.so.1
SOFILE  := libbpflink.so.1.0.0
B       := build
RUST_A  := target/release/libbpflink.a
SO      := $(B)/$(SOFILE)
HEADERS := include/bpf/bpf.h include/bpf/libbpf.h include/bpf/libbpf_version.h \
           include/bpflink.h

# libbpf v1.7.0 as scripts/setup.sh builds it into .deps/: the reference the
# tests compare bpflink with, and the kernel uapi headers every C build uses.
REF     := .deps/libbpf-1.7.0
REF_SO  := $(REF)/lib/libbpf.so.1.7.0
REF_INC := $(REF)/include
UAPI    := $(REF)/uapi

.PHONY: lib setup header demo docs install uninstall clean

setup:
	@scripts/setup.sh

# A prerequisite that is always out of date: for what cargo rebuilds, since
# only cargo knows whether anything changed.
FORCE:

# --- the library -------------------------------------------------------------
# The crate, as rlib and staticlib; its build.rs compiles src/log/shim.c.
$(RUST_A): FORCE
	$(CARGO) build --release --quiet

# libbpflink.so is linked here, from the staticlib, and not by rustc as a
# cdylib: rustc gives the linker an export list of its own ahead of ours,
# and bpflink.map would no longer decide the symbol version nodes, which are
# what lets this library replace libbpf's functions under LD_PRELOAD.
# -static-libgcc brings in the unwinder that the panic boundary's
# catch_unwind needs, hidden by the version script, rather than loading
# libgcc_s.so.1, which used to be most of the load time (BENCHMARKS.md).
# $< is the archive; the panic test's build is linked the same way
# (mk/hard.mk).
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

# --- the command-line tool (build/bpflink) -----------------------------------
# cli/ is a workspace member (package bpflink-cli, binary bpflink) built on
# the library's rlib; clap and serde_json are its dependencies, never the
# library's. cargo runs every time, after the library, with the same target
# dir and profile, and leaves libbpflink.a alone when only cli/ changed; the
# binary is copied only when it differs from build/bpflink.
CLI_BIN := target/release/bpflink

$(B)/bpflink: $(RUST_A) FORCE
	@mkdir -p $(B)
	$(CARGO) build --release --quiet -p bpflink-cli
	@cmp -s $(CLI_BIN) $@ || { echo "cp $(CLI_BIN) $@"; cp $(CLI_BIN) $@; }

# --- headers and docs --------------------------------------------------------
# xtask/ writes include/ from the Rust definitions (cbindgen, plus the last
# field of each options type, read from the type). make test runs this and
# fails when the result differs from the committed headers.
header:
	$(CARGO) run --quiet -p xtask -- header

docs: $(HEADERS)
	@mkdir -p $(B)
	doxygen docs/Doxyfile
	@echo "docs: build/docs/html/index.html (no warnings)"

# --- the demo ----------------------------------------------------------------
# examples/: the C program, linked with -lbpflink, then the same steps in
# Python with the package from .deps/venv (VENV, mk/python.mk).
demo: setup lib $(B)/examples/cgroup_link
	$(B)/examples/cgroup_link
	@echo
	BPFLINK_LIBRARY=$(abspath $(B)/$(SONAME)) $(VENV)/bin/python examples/cgroup_link.py

$(B)/examples/%: examples/%.c $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude -I$(UAPI) -o $@ $< -L$(B) -lbpflink \
	    -Wl,-rpath,$(abspath $(B))

# --- install, uninstall ------------------------------------------------------
# Headers go under $(INCLUDEDIR)/bpflink/ (bpflink.h, bpf/bpf.h,
# bpf/libbpf.h), not into $(INCLUDEDIR)/bpf/: libbpf-dev owns that
# directory, and since /usr/local/include comes before /usr/include in the
# search path, copies there would shadow libbpf's object API for every
# program built on the machine. pkg-config's Cflags add
# -I${includedir}/bpflink. Given the same PREFIX and DESTDIR, uninstall
# removes exactly the files install wrote (tests-c/check_install.sh checks).
INSTALLED_HDRS := $(INCLUDEDIR)/bpflink/bpf/bpf.h $(INCLUDEDIR)/bpflink/bpf/libbpf.h \
                  $(INCLUDEDIR)/bpflink/bpf/libbpf_version.h $(INCLUDEDIR)/bpflink/bpflink.h
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
	install -m 644 include/bpf/bpf.h include/bpf/libbpf.h include/bpf/libbpf_version.h \
	    $(DESTDIR)$(INCLUDEDIR)/bpflink/bpf/
	install -m 644 include/bpflink.h $(DESTDIR)$(INCLUDEDIR)/bpflink/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    bpflink.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/bpflink.pc

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/bpflink/bpf $(DESTDIR)$(INCLUDEDIR)/bpflink 2>/dev/null

# --- clean -------------------------------------------------------------------
# Also the ThreadSanitizer build in .deps/ (TSAN_TARGET, mk/stress.mk) and
# the fuzz build (fuzz-clean, mk/fuzz.mk).
clean: fuzz-clean
	$(CARGO) clean
	rm -rf $(B) $(TSAN_TARGET)
