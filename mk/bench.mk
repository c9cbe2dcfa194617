# mk/bench.mk: the benchmarks of bench/ (BENCHMARKS.md, "Method").
# make bench is the full run: it rewrites BENCHMARKS.md and
# bench/enumeration.png. bench/smoke.sh, a tiny untimed run of the same
# harness, is part of make test-c (tests-c/README.md).
BENCH_BIN := $(B)/bench/bench
BENCH_RAW := $(B)/bench/libbpfraw.so

.PHONY: bench

# The floor to measure against: libbpf's prototypes, each doing the bare
# syscall and nothing else.
$(BENCH_RAW): bench/raw.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -I$(REF_INC) -I$(UAPI) -o $@ $<

# The driver loads the three implementations through tests-c/twin.c. It is
# linked -rdynamic so that its counting malloc family (tests-c/alloc_hook.h)
# is the one every library calls.
$(BENCH_BIN): bench/bench.c $(TWIN_DEPS) tests-c/alloc_hook.h tests-c/cgroup2_root.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_X) -I$(REF_INC) -I$(UAPI) -DOURS_SO='"$(abspath $(B))/$(SONAME)"' \
	    -DREF_SO='"$(abspath $(REF_SO))"' -DRAW_SO='"$(abspath $(BENCH_RAW))"' \
	    -rdynamic -o $@ bench/bench.c $(TWIN) tests-c/support.c -ldl

bench: setup lib $(BENCH_BIN) $(BENCH_RAW)
	bench/bench.py
