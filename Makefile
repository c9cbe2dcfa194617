# bpflink: build, install, test.
#
#   make            build libbpflink.so.1, libbpflink.a and the headers
#   make demo       build everything and run the examples (the main job)
#   make test       every test: Rust, C on the real kernel, differential, ABI
#   make install    PREFIX=/usr/local DESTDIR=  (library, symlinks, headers, .pc)
#   make docs       doxygen over include/ (zero warnings)
#   make header     refresh the committed headers from the Rust definitions
#   make clean
#
# libbpflink.so is linked here from the Rust staticlib, not by rustc as a
# cdylib: rustc hands the linker its own export list first, which makes a
# custom version script ineffective, and libbpf's symbol version nodes are
# what lets this library stand in for libbpf under LD_PRELOAD.

VERSION   := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SONAME    := libbpflink.so.1
SOFILE    := libbpflink.so.1.0.0
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
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
HEADERS   := include/bpf/bpf.h include/bpf/libbpf.h
GEN_INC    = $(shell ls -td target/release/build/bpflink-*/out/include 2>/dev/null | head -1)

CFLAGS_T  := -O1 -g -Wall -Wextra -Werror -Iinclude -I$(UAPI) -Itests-c
LDFLAGS_T := -L$(B) -lbpflink -Wl,-rpath,$(abspath $(B)) -ldl -lpthread

.PHONY: all lib setup header demo test test-rust test-c docs install clean check-header

all: lib

setup:
	@scripts/setup.sh

# The Rust crate (rlib + staticlib); build.rs also regenerates the headers
# under target/, which `make header` copies and `tests/header.rs` compares.
$(RUST_A): FORCE
	$(CARGO) build --release --quiet

$(SO): $(RUST_A) bpflink.map
	@mkdir -p $(B)
	$(CC) -shared -o $@ -Wl,--whole-archive $(RUST_A) -Wl,--no-whole-archive \
	    -Wl,--version-script=bpflink.map -Wl,-soname,$(SONAME) -Wl,--gc-sections \
	    -Wl,--no-undefined -Wl,-z,relro,-z,now -lpthread -ldl -lm -lc
	ln -sf $(SOFILE) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libbpflink.so
	cp $(RUST_A) $(B)/libbpflink.a

lib: $(SO)

header: $(RUST_A)
	cp $(GEN_INC)/bpf/*.h include/bpf/

FORCE:

# --- tests ------------------------------------------------------------------
TEST_SRCS := $(wildcard tests-c/test_*.c)
TEST_BINS := $(patsubst tests-c/%.c,$(B)/tests-c/%,$(TEST_SRCS))
SUPPORT   := tests-c/support.c

$(B)/tests-c/test_%: tests-c/test_%.c $(SUPPORT) tests-c/support.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

test: setup lib
	$(CARGO) test --release --quiet
	$(MAKE) --no-print-directory test-c

test-rust: lib
	$(CARGO) test --release

test-c: $(TEST_BINS)
	tests-c/run.sh $(TEST_BINS)

demo: setup lib
	@echo "make demo: examples not written yet"

docs: $(HEADERS)
	doxygen docs/Doxyfile

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/bpf $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 755 $(SO) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libbpflink.so
	install -m 644 $(B)/libbpflink.a $(DESTDIR)$(LIBDIR)/libbpflink.a
	install -m 644 $(HEADERS) $(DESTDIR)$(INCLUDEDIR)/bpf/
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    bpflink.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/bpflink.pc

clean:
	$(CARGO) clean
	rm -rf $(B)
