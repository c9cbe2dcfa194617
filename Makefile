# bpflink: build, install, test. The targets meant to be run by hand:
#
#   make, make all, make lib   build/libbpflink.so.1 and .a, and build/bpflink
#                              (the command-line tool); the headers in
#                              include/ are committed (make header)
#   make demo          the above, then examples/ run in C and in Python
#   make test          the tests indented under it, all in one run (what
#                      .ci/run runs); ends with "make test: all passed" and
#                      which capabilities the kernel granted and refused
#     make test-rust     cargo test of the workspace, release profile
#     make test-cli      the command-line tool's tests (cli/)
#     make test-c        the C suite, as tests-c/README.md describes it;
#                        its groups alone: test-diff, test-abi, test-object,
#                        test-clients, test-hard, test-dlopen
#     make test-python   the Python package's tests (python/)
#     make test-python-install   the pip-installed wheel alone
#     make fuzz-smoke    every fuzz target on random input, FUZZ_SMOKE_SECONDS
#   make stress        the long runs: hardening tests at the sizes below,
#                      ThreadSanitizer, make fuzz-long, make miri
#   make bench         bpflink vs libbpf 1.7.0 vs the bare syscall; rewrites
#                      BENCHMARKS.md
#   make install       into $(DESTDIR)$(PREFIX); make uninstall takes it out
#   make header        regenerate include/ from the Rust definitions
#   make docs          doxygen over include/, warnings are errors
#   make python-wheel  a wheel carrying the library, into build/python/
#   make setup         install whatever is missing (scripts/setup.sh); the
#                      targets that need it run it first
#   make clean         target/, build/, .deps/tsan-target/, and fuzz/target/
#                      (make fuzz-clean alone)
#
# The rules themselves, one subject per file, included in this order
# (later files use the names earlier ones define):
#   mk/build.mk     library, tool, headers, docs, demo, install, clean
#   mk/python.mk    the Python package: its tests, the wheel
#   mk/tests-c.mk   the C test programs and the C suite's groups
#   mk/hard.mk      hardening programs, their ASan builds, the panic test
#   mk/bench.mk     the benchmark driver and make bench
#   mk/fuzz.mk      fuzz-smoke, fuzz-long, fuzz-clean
#   mk/stress.mk    ThreadSanitizer, make stress, make miri
#   mk/test.mk      make test, test-rust, test-cli, and what test-c runs

# Where make install puts things.
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
BINDIR    ?= $(PREFIX)/bin
INCLUDEDIR?= $(PREFIX)/include
DESTDIR   ?=

# Tools. make defines CC (cc) and CXX (g++) itself, and ?= keeps those, so
# the C compiler is cc unless CC is given; CXX is not used at present.
CARGO     ?= cargo
CC        ?= gcc
CXX       ?= g++

# Sizes of make stress, e.g. `make stress STRESS_CYCLES=1000000`.
STRESS_CYCLES  ?= 100000
STRESS_THREADS ?= 8
STRESS_ITERS   ?= 50000
STRESS_WIDE    ?= 32
STRESS_WIDE_ITERS ?= 5000

# How long the fuzz targets run, in seconds: fuzz-smoke (in make test),
# fuzz-long's own harness, then each target under libFuzzer (in make stress).
FUZZ_SMOKE_SECONDS ?= 25
FUZZ_LONG_SECONDS  ?= 600
FUZZ_LF_SECONDS    ?= 60

.PHONY: all
all: lib

include mk/build.mk
include mk/python.mk
include mk/tests-c.mk
include mk/hard.mk
include mk/bench.mk
include mk/fuzz.mk
include mk/stress.mk
include mk/test.mk
