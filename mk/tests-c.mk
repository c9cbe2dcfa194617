# mk/tests-c.mk: how the C test programs are built, and the targets that run
# one group of them. What each program checks, and the ways a test can meet
# the library (linked, side by side, preloaded, not at all): tests-c/README.md.
# make test-c, which builds them all and runs them in one go, is in
# mk/test.mk; the hardening programs are in mk/hard.mk.

# CFLAGS_T and LDFLAGS_T: programs linked with -lbpflink, on bpflink's
# headers. CFLAGS_X: programs that link neither library, such as the
# side-by-side ones (tests-c/twin.c dlopen()s both); their rules add the
# reference headers where needed.
CFLAGS_T  := -O1 -g -Wall -Wextra -Werror -Iinclude -I$(UAPI) -Itests-c
LDFLAGS_T := -L$(B) -lbpflink -Wl,-rpath,$(abspath $(B)) -ldl -lpthread
CFLAGS_X  := -O2 -g -Wall -Wextra -Werror -Itests-c

# The fixtures. support.c never calls the library, so the programs that
# link neither library use it too; support_link.c has the one fixture that
# does call it. DIFF_FIX and TWIN_DEPS: what the side-by-side programs
# depend on.
SUPPORT   := tests-c/support.c tests-c/support_link.c
DIFF_FIX  := tests-c/support.c tests-c/support.h tests-c/tap.h
TWIN      := tests-c/twin.c
TWIN_DEPS := $(TWIN) tests-c/twin.h $(DIFF_FIX)

.PHONY: test-diff test-abi test-object test-clients test-dlopen

# --- kernel tests, linked (tests-c/test_*.c) ---------------------------------
TEST_SRCS := $(wildcard tests-c/test_*.c)
TEST_BINS := $(patsubst tests-c/%.c,$(B)/tests-c/%,$(TEST_SRCS))

$(B)/tests-c/test_%: tests-c/test_%.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

# --- capability probes (docs/probes.md) --------------------------------------
# build/tests-c/probe: support.c's probes, for the shell drivers.
PROBE_BIN := $(B)/tests-c/probe

$(PROBE_BIN): tests-c/probe.c tests-c/support.c tests-c/support.h tests-c/tap.h \
		tests-c/cgroup2_root.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< tests-c/support.c

# --- differential suite and ABI checks ---------------------------------------
# diff_link, abi_layout, check_headers.sh, check_symbols.sh.
DIFF_SRCS   := $(wildcard tests-c/diff_*.c)
DIFF_BIN    := $(B)/tests-c/diff_link
ABI_BIN     := $(B)/tests-c/abi_layout
ABI_SCRIPTS := tests-c/check_headers.sh tests-c/check_symbols.sh

# -rdynamic: the program's own syscall() is the one both libraries end up
# calling (diff_core.c).
$(DIFF_BIN): $(DIFF_SRCS) tests-c/diff_core.h tests-c/diff_groups.h $(TWIN_DEPS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) \
	    -DOURS_SO='"$(abspath $(B))/$(SONAME)"' -DREF_SO='"$(abspath $(REF_SO))"' \
	    -rdynamic -o $@ $(DIFF_SRCS) $(TWIN) tests-c/support.c -ldl

# One list of fields, compiled against bpflink's headers and against libbpf's.
$(B)/tests-c/abi_ours.o: tests-c/abi_table.c tests-c/abi_fields.h tests-c/abi.h $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -Iinclude -I$(UAPI) -DABI_SIDE=abi_ours -c -o $@ $<
$(B)/tests-c/abi_ref.o: tests-c/abi_table.c tests-c/abi_fields.h tests-c/abi.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DABI_SIDE=abi_ref -c -o $@ $<
# The third build: bpflink's headers after libbpf 1.7.0's libbpf_version.h,
# their libbpf 1.7 view (abi_ours_17, compared with libbpf 1.7.0's own,
# abi_ref); abi_ours is the headers as shipped, the 1.8 view, compared with
# libbpf 1.8's documented layout.
$(B)/tests-c/abi_ours_17.o: tests-c/abi_table.c tests-c/abi_fields.h tests-c/abi.h $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -Iinclude -I$(UAPI) -include $(REF_INC)/bpf/libbpf_version.h \
	    -DABI_SIDE=abi_ours_17 -c -o $@ $<

ABI_OBJS := $(B)/tests-c/abi_ours.o $(B)/tests-c/abi_ours_17.o $(B)/tests-c/abi_ref.o

$(ABI_BIN): tests-c/abi_layout.c tests-c/abi.h tests-c/tap.h $(ABI_OBJS)
	$(CC) $(CFLAGS_X) -o $@ $< $(ABI_OBJS)

# tests-c/test_path_fd.c is a test_* program (built on bpflink's headers,
# libbpf 1.8's API); this builds it again on libbpf 1.7.0's headers, still
# linked with -lbpflink: the uprobe_multi link of a program that knows
# nothing of path_fd. (Not in TEST_BINS: mk/hard.mk derives the ASan builds
# from TEST_BINS, and there is no test_path_fd_17.c.)
PATH_FD_17 := $(B)/tests-c/test_path_fd_17

$(PATH_FD_17): tests-c/test_path_fd.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -Iinclude,$(CFLAGS_T)) -I$(REF_INC) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

test-diff: setup lib $(DIFF_BIN)
	tests-c/run.sh $(DIFF_BIN)

test-abi: setup lib $(ABI_BIN)
	tests-c/run.sh $(ABI_BIN) $(ABI_SCRIPTS)

# --- libbpf_set_print beside a real libbpf -----------------------------------
# print_forward_linked (both libraries linked) and print_forward_preload (a
# wrapper that runs the libbpf-only build under LD_PRELOAD).
PF_DEPS := tests-c/print_forward.c tests-c/print_common.h tests-c/tap.h $(HEADERS) $(SO)
PF_BINS := $(B)/tests-c/print_forward_linked $(B)/tests-c/print_forward_preload

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

# --- link objects: kernel tests, interop, valgrind ---------------------------
# test_object, interop and valgrind.sh load object_progs.bpf.o, which the
# $(BPF_DIR)/%.bpf.o rule of the clients section below compiles.
OBJ_BPF     := $(B)/bpf/object_progs.bpf.o
OBJ_DEFS    := -DREF_SO='"$(abspath $(REF_SO))"' -DOBJECT_BPF_O='"$(abspath $(OBJ_BPF))"'
OBJECT_BIN  := $(B)/tests-c/test_object
INTEROP_BIN := $(B)/tests-c/interop

$(OBJECT_BIN): CFLAGS_T += $(OBJ_DEFS)
$(OBJECT_BIN): $(OBJ_BPF)

$(INTEROP_BIN): tests-c/interop.c $(TWIN_DEPS) $(SO) $(OBJ_BPF)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DOURS_SO='"$(abspath $(B))/$(SONAME)"' \
	    $(OBJ_DEFS) -o $@ $< $(TWIN) tests-c/support.c -ldl

test-object: setup lib $(OBJECT_BIN) $(INTEROP_BIN)
	tests-c/run.sh $(OBJECT_BIN) $(INTEROP_BIN) tests-c/valgrind.sh

# --- libbpf clients over bpflink (LD_PRELOAD) --------------------------------
# The programs check_preload.sh runs: real libbpf users, in C and in Rust.
BPF_DIR       := $(B)/bpf
CLIENT_DIR    := $(B)/clients
BPF_CFLAGS    := -target bpf -O2 -g -Wall -Werror -I$(BPF_DIR) -I$(REF)/include
BPF_OBJS      := $(BPF_DIR)/link_client.bpf.o $(BPF_DIR)/link_skel.bpf.o
CLIENT_CFLAGS := -O1 -g -Wall -Wextra -Werror -I$(BPF_DIR)
CLIENT_BINS   := $(CLIENT_DIR)/client_object_ref $(CLIENT_DIR)/client_object_deb \
                 $(CLIENT_DIR)/client_libbpf_rs
RS_CLIENT     := tests/clients/libbpf-rs
RS_TARGET     := .deps/clients-target

# The BPF side: clang, with this kernel's vmlinux.h and libbpf 1.7.0's helper
# headers; bpftool writes the skeleton.
$(BPF_DIR)/vmlinux.h:
	@mkdir -p $(dir $@)
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BPF_DIR)/%.bpf.o: tests-c/bpf/%.bpf.c $(BPF_DIR)/vmlinux.h
	clang $(BPF_CFLAGS) -c -o $@ $<

$(BPF_DIR)/%.skel.h: $(BPF_DIR)/%.bpf.o
	bpftool gen skeleton $< name $* > $@.tmp
	mv $@.tmp $@

# tests-c/client_object.c built twice: on libbpf 1.7.0 (found by rpath) and
# on the distribution's libbpf (Debian's 1.1.2, plain -lbpf).
$(CLIENT_DIR)/client_object_ref: tests-c/client_object.c $(BPF_DIR)/link_skel.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CLIENT_CFLAGS) -I$(REF)/include -I$(UAPI) -o $@ $< \
	    -L$(REF)/lib -l:libbpf.so.1.7.0 -Wl,-rpath,$(abspath $(REF)/lib)

$(CLIENT_DIR)/client_object_deb: tests-c/client_object.c $(BPF_DIR)/link_skel.skel.h
	@mkdir -p $(dir $@)
	$(CC) $(CLIENT_CFLAGS) -o $@ $< -lbpf

# tests/clients/libbpf-rs is a cargo project with its own target dir, its
# libbpf-sys pointed at libbpf 1.7.0. cargo judges what to rebuild; copying
# the result each time costs nothing.
$(CLIENT_DIR)/client_libbpf_rs: FORCE
	LIBBPF_SYS_LIBRARY_PATH=$(abspath $(REF)/lib) CARGO_TARGET_DIR=$(abspath $(RS_TARGET)) \
	    $(CARGO) build --quiet --locked --manifest-path $(RS_CLIENT)/Cargo.toml
	@mkdir -p $(dir $@)
	cp $(RS_TARGET)/debug/bpflink-client-libbpf-rs $@

test-clients: setup lib $(BPF_OBJS) $(CLIENT_BINS) $(PROBE_BIN)
	tests-c/run.sh tests-c/check_preload.sh

# --- libbpf opened with dlopen() (tests-c/dlopen/) ---------------------------
# The host program and its two plugins that check_dlopen.sh runs.
DL_DIR  := $(B)/dlopen
DL_BINS := $(DL_DIR)/host $(DL_DIR)/plugin_ref.so $(DL_DIR)/plugin_deb.so

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

# tests-c/cgroup2_root.h is included by support.c, so by most programs here,
# and by client_object.c; the hardening programs' share is in mk/hard.mk.
$(TEST_BINS) $(DIFF_BIN) $(INTEROP_BIN) \
$(CLIENT_DIR)/client_object_ref $(CLIENT_DIR)/client_object_deb: tests-c/cgroup2_root.h
