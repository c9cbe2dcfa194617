# mk/stress.mk: the long runs, make stress, and the two checks only it runs:
# ThreadSanitizer and Miri. Its sizes (STRESS_*) and fuzz-long's durations
# are set in the top-level Makefile and can be given on the command line.

# --- ThreadSanitizer (needs nightly Rust) ------------------------------------
# hard_threads against a build of bpflink instrumented for TSan, in its own
# target dir under .deps/; tests-c/tsan.sh says what the run looks for.
TSAN_DIR     := $(B)/tsan
TSAN_TARGET  := .deps/tsan-target
RUST_HOST    := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')
HAVE_NIGHTLY := $(shell $(CARGO) +nightly --version >/dev/null 2>&1 && echo yes)

.PHONY: stress miri

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

# --- make stress -------------------------------------------------------------
# fuzz-long first, as a prerequisite (after the builds); then the hardening
# programs of mk/hard.mk at large sizes, ASan over them, valgrind over every
# program it can run, ThreadSanitizer when a nightly toolchain is present,
# and Miri last.
stress: setup lib $(TEST_BINS) $(HARD_BINS) $(HARD_ALLOC) $(ASAN_BINS) \
        $(OBJECT_BIN) $(INTEROP_BIN) fuzz-long
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

# --- Miri --------------------------------------------------------------------
# The library's unit tests (the options reader, the object layer, the panic
# boundary, the rules for create options) run in Rust's interpreter, which
# catches undefined behaviour that optimised code can hide: reads of
# uninitialised bytes, aliased &mut, pointers outside their object. It needs
# nightly Rust with Miri; scripts/setup.sh --nightly installs that where
# rustup is available, and elsewhere the target says so and runs nothing.
# Isolation is off because one test reads libbpf's source in .deps/;
# provenance is permissive because the ERR_PTR tests turn integers into
# pointers on purpose. Miri cannot make bpf(2) calls, so the one check that
# needs the kernel is compiled out under it.
MIRI_FLAGS := -Zmiri-disable-isolation -Zmiri-permissive-provenance

miri: setup
	@if scripts/setup.sh --nightly; then \
	    echo 'MIRIFLAGS="$(MIRI_FLAGS)" $(CARGO) +nightly miri test --lib'; \
	    MIRIFLAGS="$(MIRI_FLAGS)" $(CARGO) +nightly miri test --lib; \
	else \
	    echo "miri: no nightly toolchain with Miri on this machine: not run"; \
	fi
