# mk/test.mk: make test itself; test-rust and test-cli, the Rust tests
# alone; and make test-c, the whole C suite. Included last, because test-c's
# prerequisites are defined in every other mk/ file.

.PHONY: test test-rust test-cli test-c

# --- make test ---------------------------------------------------------------
# Each capability probe (docs/probes.md) writes its answer to PROBE_LOG; the
# run ends by summing them up: which capabilities were probed, granted and
# refused.
PROBE_LOG := $(abspath $(B))/probes.log
test: export BPFLINK_PROBE_LOG := $(PROBE_LOG)

# In order: the fuzz smoke run (a prerequisite); the Rust tests in the
# release profile, which is what ships, and again in the debug profile,
# with overflow checks and debug assertions and no optimiser to mask
# undefined behaviour; clippy over every target, warnings denied (unsafe
# blocks need a SAFETY comment); the headers regenerated and compared with
# the committed ones; the C suite; the Python tests; the docs.
test: setup lib fuzz-smoke
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

# --- the Rust tests alone ----------------------------------------------------
test-rust: lib
	$(CARGO) test --release --workspace

# The command-line tool's own package (cli/): unit tests of argument
# parsing, output and JSON text, and two suites that run build/bpflink
# itself. Each suite is a test target with harness = false
# (cli/Cargo.toml), so it runs single-threaded from its own main, can
# unshare namespaces before anything else, and prints TAP; as root, the
# only skip it accepts is a capability probe's, as tests-c/run.sh does.
# They share tests/common with the library's tests/kernel.rs.
#   cli/tests/cli.rs          arguments, exit codes and messages (the
#                             permission cases as nobody, via setpriv),
#                             JSON, and each command run on a cgroup link
#                             in a child cgroup, with a private bpffs
#   cli/tests/cli_bpftool.rs  one link of each type the kernel allows, held
#                             open while `bpflink --json list` and
#                             `bpftool -j link list` run in the suite's own
#                             network and mount namespaces; the fields are
#                             checked against what was created, fdinfo and
#                             bpftool's output
# The workspace-wide cargo test of make test runs all of this as well.
test-cli: setup lib
	$(CARGO) test --release -p bpflink-cli

# --- make test-c -------------------------------------------------------------
# Builds every C test program of mk/tests-c.mk, mk/hard.mk and mk/bench.mk
# and hands them, with the shell drivers, to tests-c/run.sh. The test_*
# programs run first, then XTESTS in this order. (tests-c/README.md calls
# check_refusal.sh the last one; check_dlopen.sh does in fact run after it.)
XTESTS = $(PATH_FD_17) $(DIFF_BIN) $(ABI_BIN) $(ABI_SCRIPTS) \
         $(PF_BINS) tests-c/check_install.sh \
         $(INTEROP_BIN) tests-c/valgrind.sh \
         tests-c/check_preload.sh \
         $(HARD_BINS) $(HARD_ALLOC) tests-c/asan.sh \
         $(PANIC_BIN) \
         bench/smoke.sh \
         tests-c/check_refusal.sh \
         tests-c/check_dlopen.sh

test-c: $(TEST_BINS) $(PROBE_BIN) $(PATH_FD_17) $(DIFF_BIN) $(ABI_BIN) $(PF_BINS) \
        $(OBJECT_BIN) $(INTEROP_BIN) $(BPF_OBJS) $(CLIENT_BINS) \
        $(HARD_BINS) $(HARD_ALLOC) $(ASAN_BINS) $(PANIC_BIN) \
        $(BENCH_BIN) $(BENCH_RAW) $(DL_BINS) $(OBJ_BPF)
	tests-c/run.sh $(TEST_BINS) $(XTESTS)
