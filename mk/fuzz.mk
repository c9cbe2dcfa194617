# mk/fuzz.mk: the fuzz targets of fuzz/. fuzz/README.md describes them
# (five checks, each run on every input), how to run one alone, how to
# repeat a run from its seed (FUZZ_SEED) and where failing inputs go.
#
# fuzz/ is a cargo-fuzz project with its own workspace, Cargo.lock and
# target dir, which a cargo build of bpflink never touches. Two ways in:
#   make fuzz-smoke   (in make test) the stable-toolchain harness,
#                     fuzz/tests/stable.rs: random inputs from a seeded
#                     generator for FUZZ_SMOKE_SECONDS in all, shared among
#                     the targets; TAP, one line per target with its count
#   make fuzz-long    (in make stress) the same harness for
#                     FUZZ_LONG_SECONDS, then each target guided by
#                     libFuzzer's coverage for FUZZ_LF_SECONDS
#                     (fuzz/libfuzzer.sh: cargo-fuzz's build, on stable,
#                     without ASan)
# The durations are set in the top-level Makefile.
FUZZ_HARNESS := $(CARGO) test --release --locked --no-default-features \
                --manifest-path fuzz/Cargo.toml --test stable

.PHONY: fuzz-smoke fuzz-long fuzz-clean

fuzz-smoke: setup lib
	FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) $(FUZZ_HARNESS)

fuzz-long: setup lib
	FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) $(FUZZ_HARNESS)
	fuzz/libfuzzer.sh $(FUZZ_LF_SECONDS)

# Removes the build only: libFuzzer's corpora in fuzz/corpus/ are kept.
fuzz-clean:
	rm -rf fuzz/target
