# mk/hard.mk: the hardening tests, at the bounded sizes of make test: bad
# input, injected faults, leak cycles, threads, and the AddressSanitizer +
# UBSan builds; plus the panic boundary test. The programs, asan.sh and
# valgrind.sh: tests-c/README.md; the figures: README.md, "Reliability".
# The same programs at large sizes, and ThreadSanitizer: mk/stress.mk.

# --- hardening: bad input, leaks, concurrency, faults ------------------------
# hard_badinput, hard_faults and hard_alloc load both libraries side by side;
# hard_cycles and hard_threads are linked with -lbpflink.
HARD_DL     := $(B)/tests-c/hard_badinput $(B)/tests-c/hard_faults
HARD_ALLOC  := $(B)/tests-c/hard_alloc
HARD_LINKED := $(B)/tests-c/hard_cycles $(B)/tests-c/hard_threads
HARD_BINS   := $(HARD_DL) $(HARD_LINKED)
ASAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_BINS   := $(patsubst $(B)/tests-c/%,$(B)/tests-c/asan/%,$(TEST_BINS) $(HARD_BINS))

.PHONY: test-hard

# Side by side: compiled like diff_link, against the reference headers.
$(HARD_DL) $(HARD_ALLOC): $(B)/tests-c/%: tests-c/%.c tests-c/hard.h tests-c/alloc_hook.h \
		$(TWIN_DEPS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DOURS_SO='"$(abspath $(B))/$(SONAME)"' \
	    -DREF_SO='"$(abspath $(REF_SO))"' -o $@ $< $(TWIN) tests-c/support.c -ldl

# Linked: compiled like the test_* programs.
$(HARD_LINKED): $(B)/tests-c/%: tests-c/%.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) $(SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) $(LDFLAGS_T)

# --- the ASan + UBSan builds (build/tests-c/asan/, run by asan.sh) -----------
# Every test_* program and every hardening program but hard_alloc, from the
# same sources with the same flags, plus the sanitizers.
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

# --- the panic boundary ------------------------------------------------------
# panic_boundary runs against a second build of the crate, made with the
# test-only feature test-panic (its own target dir, build/panic-target/)
# and linked into build/panic/ exactly as the shipped library is (LINK_SO).
PANIC_DIR := $(B)/panic
PANIC_A   := $(B)/panic-target/release/libbpflink.a
PANIC_SO  := $(PANIC_DIR)/$(SONAME)
PANIC_BIN := $(B)/tests-c/panic_boundary

$(PANIC_A): FORCE
	CARGO_TARGET_DIR=$(abspath $(B))/panic-target $(CARGO) build --release --quiet --lib \
	    --features test-panic

$(PANIC_SO): $(PANIC_A) bpflink.map
	@mkdir -p $(dir $@)
	$(LINK_SO)

# check_symbols.sh uses it as its no-panic control.
test-abi: $(PANIC_SO)

$(PANIC_BIN): tests-c/panic_boundary.c $(SUPPORT) tests-c/support.h tests-c/tap.h $(HEADERS) \
		$(PANIC_SO)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_T) -o $@ $< $(SUPPORT) -L$(PANIC_DIR) -l:$(SONAME) \
	    -Wl,-rpath,$(abspath $(PANIC_DIR)) -ldl -lpthread

# The hardening group alone, with what valgrind.sh runs as well.
test-hard: setup lib $(HARD_BINS) $(HARD_ALLOC) $(ASAN_BINS) $(OBJECT_BIN) $(INTEROP_BIN)
	tests-c/run.sh $(HARD_BINS) $(HARD_ALLOC) tests-c/asan.sh tests-c/valgrind.sh

# These include tests-c/cgroup2_root.h through support.c too (mk/tests-c.mk).
$(ASAN_BINS) $(HARD_BINS) $(HARD_ALLOC) $(PANIC_BIN): tests-c/cgroup2_root.h
