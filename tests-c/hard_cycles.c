// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Leaks: the whole life of a link, over and over, through bpflink, with
 * the process's fds, resident memory and heap checked at the end.
 *
 * One cycle, on a child cgroup and a private bpffs:
 *   bpf_link_create (cgroup_skb ingress, program A)
 *   bpflink_link_from_fd (even cycles) or, on odd cycles, a pin made with
 *     raw bpf(2) opened with bpf_link__open (the two ways to get an object)
 *   bpf_link__pin at <bpffs>/dir/link (even) or bpf_link__unpin + __pin
 *     (odd: the object came with a pin path)
 *   bpf_link__open of that pin: a second object for the same link
 *   bpf_link_get_next_id / bpf_link_get_fd_by_id / bpf_link_get_info_by_fd
 *   bpf_link_update A -> B with BPF_F_REPLACE, then B -> A through the
 *     other object's fd
 *   refused calls: a pin off the bpffs (before the real pin, with a
 *     warning), a second pin (EBUSY), options with a bad sz (warning), an
 *     open of a missing pin (warning): the error paths allocate too
 *   bpf_link__detach, bpf_link__unpin, bpf_link__destroy of both objects
 * Every step's answer is checked and counted; one TAP case per step.
 *
 * Measured after a warm-up (1000 cycles, or a tenth when fewer) and at the
 * end, both with the link gone:
 *   fds       /proc/self/fd, exactly equal.
 *   heap      mallinfo2().uordblks, the bytes malloc has handed out and not
 *             got back (Rust's allocator is malloc too). Tolerance 4 KiB:
 *             after the warm-up every size the cycle allocates has been
 *             allocated and freed before, and glibc reuses those chunks,
 *             so the steady state is flat; the 4 KiB leave room for one
 *             lazily made buffer. The smallest malloc chunk is 32 bytes,
 *             so a leak of even 1 byte per cycle adds 32 x cycles bytes:
 *             312 KiB at 10 000 cycles (make test), 3.2 MB at 100 000
 *             (make stress). Measured: +0 bytes at both sizes.
 *   RSS       /proc/self/statm: resident minus shared pages, i.e. the
 *             anonymous memory (heap, stacks, anonymous mmaps) without the
 *             library code paged in the first time a path runs (that shows
 *             as +64 KiB of file pages after 100 000 cycles, and is not a
 *             leak). Tolerance 64 KiB, 16 pages: glibc maps heap growth in
 *             steps of M_TOP_PAD (128 KiB) but only touched pages are
 *             resident, and a one-off buffer made late touches a page or
 *             two; measured, the figure does not move at all. A 1-byte
 *             leak per cycle (32-byte chunks) passes 64 KiB after 2 048
 *             cycles: 10 000 cycles (`make test`) give 312 KiB, 100 000
 *             (`make stress`) 3.2 MB.
 * The checks are shown to bite: the same number of cycles is run again
 * with a deliberate 8-byte leak per cycle (the blocks are kept in a list
 * and freed at the end, so memory tools see no real leak), and the heap
 * check must flag it; from 5 000 cycles on, the RSS check too.
 *
 * Under AddressSanitizer (quarantine) and valgrind (its own allocator)
 * heap and RSS figures mean nothing; there the tool's leak check is the
 * check, and these two cases are left out (said in a comment line).
 *
 *   hard_cycles [cycles]      default 10 000, or $HARD_CYCLES
 */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpflink.h>

#define HEAP_TOLERANCE 4096L
#define RSS_TOLERANCE (64L * 1024)
#define INJECTED_LEAK 8

static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
static int prog_a = -1, prog_b = -1;
static char pin_at[320], dir_at[256], missing_at[320];
static unsigned long warnings;

/* Counts and drops every message (the refused calls print warnings). */
static int count_messages(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)fmt;
	(void)ap;
	if (level == LIBBPF_WARN)
		warnings++;
	return 0;
}

enum step {
	S_CREATE, S_OBJECT, S_PIN, S_OPEN, S_NEXT_ID, S_FD_BY_ID, S_INFO, S_UPDATE, S_UPDATE_BACK,
	S_REFUSED, S_DETACH, S_UNPIN, S_DESTROY, S_GONE, S_N
};
static const char *const step_name[S_N] = {
	[S_CREATE] = "bpf_link_create",
	[S_OBJECT] = "bpflink_link_from_fd / bpf_link__open of a raw pin",
	[S_PIN] = "bpf_link__pin (after __unpin on odd cycles)",
	[S_OPEN] = "bpf_link__open of the pin",
	[S_NEXT_ID] = "bpf_link_get_next_id finds the link",
	[S_FD_BY_ID] = "bpf_link_get_fd_by_id",
	[S_INFO] = "bpf_link_get_info_by_fd: cgroup link, program A",
	[S_UPDATE] = "bpf_link_update A -> B with BPF_F_REPLACE",
	[S_UPDATE_BACK] = "bpf_link_update B -> A through the second object",
	[S_REFUSED] = "refused calls: pin off bpffs, pin twice, sz 7, open of nothing",
	[S_DETACH] = "bpf_link__detach",
	[S_UNPIN] = "bpf_link__unpin",
	[S_DESTROY] = "bpf_link__destroy of both objects",
	[S_GONE] = "pin file gone; fds back to the count before the cycle (counted every 1024th cycle)",
};
static unsigned long fails[S_N], first_fail_cycle[S_N];
static int first_fail_err[S_N];

static void fail(enum step s, unsigned long cycle, int err)
{
	if (!fails[s]++) {
		first_fail_cycle[s] = cycle;
		first_fail_err[s] = err;
	}
}

#define STEP(s, cond)                                                              \
	do {                                                                       \
		if (!(cond))                                                       \
			fail(s, cycle, errno);                                     \
	} while (0)

/* Blocks of the injected leak, freed at the very end. */
struct leak {
	struct leak *next;
};
static struct leak *leaked;

static void one_cycle(unsigned long cycle, size_t inject)
{
	struct bpf_link *l = NULL, *l2 = NULL;
	struct bpf_link_info info;
	int fd, fd2, n0 = -1, r, refused = 0;
	__u32 id = 0, next = 0, len;

	if ((cycle & 1023) == 0)
		n0 = sup_fd_count();
	fd = bpf_link_create(prog_a, cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
	STEP(S_CREATE, fd >= 3);
	if (fd < 0)
		return;
	id = sup_link_id(fd);
	if (cycle & 1) {
		/* An object from a pin made without the library. */
		r = sup_obj_pin(fd, pin_at);
		close(fd);
		l = r ? NULL : bpf_link__open(pin_at);
		STEP(S_OBJECT, l && bpf_link__pin_path(l));
		if (!l)
			return;
		STEP(S_PIN, bpf_link__unpin(l) == 0);
		refused = bpf_link__pin(l, "/proc/self/link") == -EINVAL;
		STEP(S_PIN, bpf_link__pin(l, pin_at) == 0);
	} else {
		l = bpflink_link_from_fd(fd);
		STEP(S_OBJECT, l && bpf_link__fd(l) == fd);
		if (!l) {
			close(fd);
			return;
		}
		refused = bpf_link__pin(l, "/proc/self/link") == -EINVAL;
		STEP(S_PIN, bpf_link__pin(l, pin_at) == 0);
	}
	l2 = bpf_link__open(pin_at);
	STEP(S_OPEN, l2 && bpf_link__fd(l2) >= 3);

	r = bpf_link_get_next_id(id - 1, &next);
	STEP(S_NEXT_ID, r == 0 && next == id);
	fd2 = bpf_link_get_fd_by_id(id);
	STEP(S_FD_BY_ID, fd2 >= 3);
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	STEP(S_INFO, fd2 >= 0 && bpf_link_get_info_by_fd(fd2, &info, &len) == 0 &&
			     info.type == BPF_LINK_TYPE_CGROUP && info.id == id &&
			     info.cgroup.cgroup_id == cg.id);
	if (fd2 >= 0)
		close(fd2);
	{
		LIBBPF_OPTS(bpf_link_update_opts, up, .flags = BPF_F_REPLACE, .old_prog_fd = prog_a);

		STEP(S_UPDATE, bpf_link_update(bpf_link__fd(l), prog_b, &up) == 0);
		up.old_prog_fd = prog_b;
		STEP(S_UPDATE_BACK, l2 && bpf_link_update(bpf_link__fd(l2), prog_a, &up) == 0);
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, bad);
		struct bpf_link *none;

		bad.sz = 7;

		r = refused && bpf_link__pin(l2, pin_at) == -EBUSY;
		r &= bpf_link_create(prog_a, cg.fd, BPF_CGROUP_INET_INGRESS, &bad) == -EINVAL;
		none = bpf_link__open(missing_at);
		r &= !none && errno == ENOENT;
		if (none)
			bpf_link__destroy(none);
		STEP(S_REFUSED, r);
	}
	if (inject) {
		struct leak *b = malloc(inject < sizeof(*b) ? sizeof(*b) : inject);

		if (b) {
			b->next = leaked;
			leaked = b;
		}
	}
	STEP(S_DETACH, bpf_link__detach(l) == 0);
	STEP(S_UNPIN, bpf_link__unpin(l) == 0);
	r = bpf_link__destroy(l2);
	r |= bpf_link__destroy(l);
	STEP(S_DESTROY, r == 0);
	STEP(S_GONE, access(pin_at, F_OK) && errno == ENOENT &&
			     (n0 < 0 || sup_fd_count() == n0));
}

/* ---- measurements ----------------------------------------------------------- */

static long heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (long)mi.uordblks;
}

struct snap {
	int fds;
	long rss, total, heap;
};

static void snap(struct snap *s)
{
	s->fds = sup_fd_count();
	s->rss = sup_statm_bytes(true);
	s->total = sup_statm_bytes(false);
	s->heap = heap_bytes();
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void run(unsigned long from, unsigned long n, size_t inject)
{
	unsigned long c;

	for (c = from; c < from + n; c++)
		one_cycle(c, inject);
}

int main(int argc, char **argv)
{
	const char *env = getenv("HARD_CYCLES");
	unsigned long cycles = 10000, warm, s;
	struct snap a, b, c, d;
	bool tool;
	double t0, t1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		cycles = strtoul(argv[1], NULL, 0);
	else if (env && *env)
		cycles = strtoul(env, NULL, 0);
	if (cycles < 10)
		cycles = 10;
	warm = cycles / 10 < 1000 ? cycles / 10 : 1000;
	sup_require_root();
	libbpf_set_print(count_messages);

	if (!sup_need("link_cgroup,bpffs_mount", "leak cycles on cgroup links and a bpffs"))
		goto out;
	if (!CHECK(sup_cgroup_create(&cg, "cycles") == 0, "fixture: a child cgroup") ||
	    !CHECK(sup_bpffs_mount(&fs) == 0, "fixture: a private bpffs"))
		goto out;
	snprintf(dir_at, sizeof(dir_at), "%s/dir", fs.dir);
	snprintf(pin_at, sizeof(pin_at), "%s/link", dir_at);
	snprintf(missing_at, sizeof(missing_at), "%s/missing", fs.dir);
	prog_a = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	prog_b = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 0);
	if (!CHECK(prog_a >= 0 && prog_b >= 0, "fixture: two cgroup_skb programs"))
		goto out;
	tool = sup_under_tool();

	run(0, warm, 0);
	snap(&a);
	t0 = now();
	run(warm, cycles, 0);
	t1 = now();
	snap(&b);
	printf("# %lu cycles after %lu warm-up cycles in %.1f s (%.0f us per cycle), %lu warnings "
	       "counted\n", cycles, warm, t1 - t0, (t1 - t0) * 1e6 / cycles, warnings);
	for (s = 0; s < S_N; s++) {
		if (fails[s])
			printf("# %s: first failure at cycle %lu: %s\n", step_name[s],
			       first_fail_cycle[s], strerror(first_fail_err[s]));
		CHECK(!fails[s], "%s: %lu of %lu cycles ok", step_name[s],
		      cycles + warm - fails[s], cycles + warm);
	}
	CHECK_EQ(sup_attached(cg.fd, 0), 0, "no program left attached to the cgroup");
	CHECK_EQ(b.fds, a.fds, "fds after %lu cycles (%d) == after the warm-up (%d)", cycles,
		 b.fds, a.fds);
	printf("# anonymous rss %ld -> %ld bytes (%+ld), total rss %ld -> %ld (%+ld), heap in use "
	       "%ld -> %ld bytes (%+ld)\n", a.rss, b.rss, b.rss - a.rss, a.total, b.total,
	       b.total - a.total, a.heap, b.heap, b.heap - a.heap);
	if (tool) {
		printf("# heap and RSS not measured: under AddressSanitizer or valgrind, whose "
		       "leak check covers the heap\n");
	} else {
		CHECK(b.heap - a.heap <= HEAP_TOLERANCE,
		      "heap in use after %lu cycles: %+ld bytes (tolerance %ld)", cycles,
		      b.heap - a.heap, HEAP_TOLERANCE);
		CHECK(b.rss - a.rss <= RSS_TOLERANCE,
		      "anonymous RSS after %lu cycles: %+ld bytes (tolerance %ld)", cycles, b.rss - a.rss,
		      RSS_TOLERANCE);

		/* The same run with a deliberate leak must fail the checks. */
		snap(&c);
		run(warm + cycles, cycles, INJECTED_LEAK);
		snap(&d);
		printf("# with an injected %d-byte leak per cycle: rss %+ld, heap %+ld bytes\n",
		       INJECTED_LEAK, d.rss - c.rss, d.heap - c.heap);
		CHECK(d.heap - c.heap > HEAP_TOLERANCE,
		      "the heap check catches an injected %d-byte leak per cycle (%+ld bytes over "
		      "%lu cycles)", INJECTED_LEAK, d.heap - c.heap, cycles);
		if (cycles >= 5000)
			CHECK(d.rss - c.rss > RSS_TOLERANCE,
			      "the RSS check catches it too (%+ld bytes over %lu cycles)",
			      d.rss - c.rss, cycles);
		while (leaked) {
			struct leak *x = leaked;

			leaked = x->next;
			free(x);
		}
	}
	if (getenv("HARD_SELFTEST_LEAK")) {
		/* tests-c/asan.sh: LeakSanitizer must report this object. */
		int fd = bpf_link_create(prog_a, cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
		struct bpf_link *volatile lost = fd >= 0 ? bpflink_link_from_fd(fd) : NULL;

		printf("# HARD_SELFTEST_LEAK: a link object at %p is leaked on purpose\n",
		       (void *)lost);
		lost = NULL;
	}
	printf("# summary: leak cycles: %lu cycles (+%lu warm-up), fds %d -> %d, anonymous rss %ld -> "
	       "%ld KiB, heap %ld -> %ld bytes%s\n", cycles, warm, a.fds, b.fds, a.rss / 1024,
	       b.rss / 1024, a.heap, b.heap, tool ? " (under a memory tool: not compared)" : "");
out:
	SUP_CLOSE(prog_a);
	SUP_CLOSE(prog_b);
	rmdir(dir_at);
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	libbpf_set_print(NULL);
	return sup_done();
}
