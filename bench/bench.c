// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The benchmark driver (`make bench`, BENCHMARKS.md).
 *
 * Three implementations of the same functions are dlopen()ed side by side
 * (RTLD_LOCAL, so none sees another's symbols) and driven through function
 * pointers by the same loops:
 *
 *   ours  build/libbpflink.so.1
 *   ref   the reference libbpf 1.7.0 (.deps/libbpf-1.7.0/lib/libbpf.so.1.7.0)
 *   raw   build/bench/libbpfraw.so (bench/raw.c): the bpf(2) call with an
 *         attr of libbpf's exact size and nothing else
 *
 * The driver links none of them, exports its symbols (-rdynamic) only so
 * that its counting malloc family below serves every library's allocations,
 * and defines none of the libraries' names. Each implementation is a
 * struct lib of the side-by-side harness (tests-c/twin.h), with only the
 * functions measured here looked up. BENCH_OURS_SO, BENCH_REF_SO and
 * BENCH_RAW_SO replace the paths (for the first two, twin.h's BPFLINK_SO
 * and REF_SO are next, then the built-in ones).
 *
 * Modes (records go to stdout, one per line, tab-separated; bench.py reads
 * them; diagnostics start with '#'):
 *
 *   time   interleaved rounds of wall time: in every round each operation
 *          runs once per implementation, the order rotating from round to
 *          round; per-call nanoseconds from CLOCK_MONOTONIC.
 *            time <op> <N|-> <impl> <round> <ns_per_call> <calls>
 *   count  each measured API function alone in a segment, for callgrind:
 *          CALLGRIND_ZERO_STATS, the calls, CALLGRIND_DUMP_STATS_AT(label)
 *          with label "seg <impl> <fn> <N|-> <calls>". bench.py runs it with
 *          --collect-atstart=no and --toggle-collect=<each API function>,
 *          so only instructions inside the API functions (and what they
 *          call: libc's syscall(), malloc, ...) are counted; the loop
 *          around them is not. Outside valgrind the requests do nothing.
 *   alloc  heap calls per API call, counted by the malloc family below
 *          around the measured calls only, after one warm-up call:
 *            alloc <impl> <fn> <calls> <allocs> <frees>
 *   load <impl>
 *          in this fresh process: dlopen() + dlsym() + the first call of
 *          bpf_link_get_next_id(), timed, with the heap calls of that first
 *          call counted; then the first call of every other low-level
 *          function, heap calls counted:
 *            load <impl> <ns> <heap_calls_first_call> <heap_calls_others>
 *          Under callgrind, --toggle-collect=bench_load_once counts the
 *          instructions of the timed part.
 *
 * Options: --n 10,1000,10000 (link counts), --rounds R, --scale S (batch
 * sizes are multiplied by S/100; the smoke run uses a small S), --only IMPL
 * (count mode: that implementation's segments only).
 *
 * Fixtures: links are held on child cgroups of one parent cgroup
 * (<the cgroup2 mount>/bpflink-test-bench-<pid>/c<i>), up to 64 per
 * cgroup and attach type (the kernel's BPF_CGROUP_MAX_PROGS), over every
 * cgroup attach type whose program loads; the driver makes them with raw
 * bpf(2), not through any implementation. A private bpffs holds the pins.
 * Child cgroups are removed at exit and on fatal signals; the parent and
 * the bpffs by tests-c/support.c's cleanup; links go with the process. What
 * a run killed with SIGKILL left behind is removed by the next run
 * (sweep_stale()).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#include "support.h"
#include "twin.h"

#ifndef RAW_SO
#define RAW_SO "build/bench/libbpfraw.so"
#endif

#define NOINLINE __attribute__((noinline, used))

/* ---- counting allocator ----------------------------------------------- */
/* tests-c/alloc_hook.h: every malloc-family call of the process is counted
 * between alloc_count_begin() and alloc_count_end(). */
#include "alloc_hook.h"

/* ---- implementations -------------------------------------------------- */

#define NIMPL 3
static struct lib impls[NIMPL] = {
	{ .name = "ours" },
	{ .name = "ref" },
	{ .name = "raw", .path = RAW_SO },
};

/* What the loops call, in each implementation. */
static const char *const measured[] = {
	"bpf_link_get_next_id", "bpf_link_get_fd_by_id", "bpf_link_get_info_by_fd",
	"bpf_link_create", "bpf_link_update", "bpf_link__open", "bpf_link__destroy",
	"bpf_link__pin", "bpf_link__unpin",
};

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void sym(struct lib *I, const char *name)
{
	if (!twin_sym(I, name))
		die("%s: %s not found", I->path, name);
}

/* BENCH_OURS_SO, BENCH_REF_SO, BENCH_RAW_SO override the paths (to compare
 * two builds of bpflink, for instance). */
static void impl_paths(void)
{
	static const char *const env[NIMPL] = { "BENCH_OURS_SO", "BENCH_REF_SO", "BENCH_RAW_SO" };

	impls[0].path = twin_path(OURS);
	impls[1].path = twin_path(REF);
	for (int i = 0; i < NIMPL; i++)
		if (getenv(env[i]) && *getenv(env[i]))
			impls[i].path = getenv(env[i]);
}

static void impl_load(struct lib *I)
{
	if (!twin_open(I, I->name, I->path))
		die("dlopen %s: %s", I->path, dlerror());
	for (size_t i = 0; i < sizeof(measured) / sizeof(measured[0]); i++)
		sym(I, measured[i]);
}

static struct lib *impl_by_name(const char *name)
{
	for (int i = 0; i < NIMPL; i++)
		if (!strcmp(impls[i].name, name))
			return &impls[i];
	die("no implementation %s", name);
}

/* ---- fixtures: cgroups, programs, links --------------------------------- */

/* Cgroup attach types and the program type each takes. */
static const struct slot_def {
	enum bpf_attach_type type;
	enum bpf_prog_type prog;
} slot_defs[] = {
	{ BPF_CGROUP_INET_INGRESS, BPF_PROG_TYPE_CGROUP_SKB },
	{ BPF_CGROUP_INET_EGRESS, BPF_PROG_TYPE_CGROUP_SKB },
	{ BPF_CGROUP_INET_SOCK_CREATE, BPF_PROG_TYPE_CGROUP_SOCK },
	{ BPF_CGROUP_INET_SOCK_RELEASE, BPF_PROG_TYPE_CGROUP_SOCK },
	{ BPF_CGROUP_INET4_POST_BIND, BPF_PROG_TYPE_CGROUP_SOCK },
	{ BPF_CGROUP_INET6_POST_BIND, BPF_PROG_TYPE_CGROUP_SOCK },
	{ BPF_CGROUP_SOCK_OPS, BPF_PROG_TYPE_SOCK_OPS },
	{ BPF_CGROUP_DEVICE, BPF_PROG_TYPE_CGROUP_DEVICE },
	{ BPF_CGROUP_SYSCTL, BPF_PROG_TYPE_CGROUP_SYSCTL },
	{ BPF_CGROUP_GETSOCKOPT, BPF_PROG_TYPE_CGROUP_SOCKOPT },
	{ BPF_CGROUP_SETSOCKOPT, BPF_PROG_TYPE_CGROUP_SOCKOPT },
	{ BPF_CGROUP_INET4_BIND, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET6_BIND, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET4_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET6_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UDP4_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UDP6_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UDP4_RECVMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UDP6_RECVMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET4_GETPEERNAME, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET6_GETPEERNAME, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET4_GETSOCKNAME, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_INET6_GETSOCKNAME, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UNIX_CONNECT, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UNIX_SENDMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UNIX_RECVMSG, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UNIX_GETPEERNAME, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
	{ BPF_CGROUP_UNIX_GETSOCKNAME, BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
};
#define NSLOT_DEFS (int)(sizeof(slot_defs) / sizeof(slot_defs[0]))
#define PER_SLOT 64 /* BPF_CGROUP_MAX_PROGS */

/* Slots whose program loaded. */
static struct {
	enum bpf_attach_type type;
	int prog;
} slots[NSLOT_DEFS];
static int nslots;

static struct sup_cgroup parent; /* bpflink-test-bench-<pid> */
#define MAX_CHILDREN 256
static char children[MAX_CHILDREN][SUP_PATH_MAX + 16];
static int child_fd[MAX_CHILDREN];
static int nchildren;

/* Removes the child cgroups (async-signal-safe). */
static void remove_children(void)
{
	for (int i = nchildren - 1; i >= 0; i--)
		rmdir(children[i]);
}

static void cleanup_at_exit(void)
{
	remove_children();
}

static void on_fatal(int sig)
{
	remove_children();
	sup_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A new child cgroup of the parent; returns its index. */
static int child_create(void)
{
	int i = nchildren;

	if (i == MAX_CHILDREN)
		die("too many child cgroups");
	snprintf(children[i], sizeof(children[i]), "%s/c%d", parent.path, i);
	if (mkdir(children[i], 0755))
		die("mkdir %s: %s", children[i], strerror(errno));
	nchildren++;
	child_fd[i] = open(children[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (child_fd[i] < 0)
		die("open %s: %s", children[i], strerror(errno));
	return i;
}

static int prog_a, prog_b; /* two cgroup_skb programs for create / update */

/* Removes the cgroups of bench runs that died without cleaning up
 * (SIGKILL): bpflink-test-bench-<pid> of a pid that is gone, with its
 * children. Their links went with the process. */
static void sweep_stale(void)
{
	static const char prefix[] = "bpflink-test-bench-";
	const char *root = sup_cgroup2_root();
	DIR *d = root ? opendir(root) : NULL, *sub;
	struct dirent *e, *c;
	char path[PATH_MAX], child[PATH_MAX + sizeof(e->d_name) + 1];

	if (!d)
		return;
	while ((e = readdir(d))) {
		long pid;
		char *end;

		if (strncmp(e->d_name, prefix, sizeof(prefix) - 1))
			continue;
		pid = strtol(e->d_name + sizeof(prefix) - 1, &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, e->d_name) >= sizeof(path))
			continue;
		if ((sub = opendir(path))) {
			while ((c = readdir(sub)))
				if (c->d_name[0] == 'c' && c->d_type == DT_DIR) {
					snprintf(child, sizeof(child), "%s/%s", path, c->d_name);
					rmdir(child);
				}
			closedir(sub);
		}
		if (!rmdir(path))
			printf("# removed %s, left by a run that was killed\n", path);
	}
	closedir(d);
}

static void fixtures_init(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT,
				   SIGFPE, SIGILL };
	struct rlimit rl;
	const char *why = sup_root_missing();

	if (why)
		die("%s", why);
	/* Before support.c installs its own: ours remove the children first,
	 * then call sup_cleanup() (support.h). */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_fatal);
	/* 10 000 links are 10 000 fds: the soft limit up to the hard one (a
	 * higher hard limit needs CAP_SYS_RESOURCE). */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	sweep_stale();
	if (sup_cgroup_create(&parent, "bench"))
		die("cannot create the parent cgroup");
	atexit(cleanup_at_exit);
	for (int i = 0; i < NSLOT_DEFS; i++) {
		int fd = sup_prog_load(slot_defs[i].prog, slot_defs[i].type, 1);

		if (fd < 0) {
			printf("# attach type %d: program type %d does not load (%s), not used\n",
			       slot_defs[i].type, slot_defs[i].prog, strerror(-fd));
			continue;
		}
		slots[nslots].type = slot_defs[i].type;
		slots[nslots].prog = fd;
		nslots++;
	}
	if (!nslots)
		die("no cgroup program loads");
	prog_a = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, 0, 1);
	prog_b = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, 0, 0);
	if (prog_a < 0 || prog_b < 0)
		die("cannot load the cgroup_skb programs");
}

/* The held links, in creation order (ids increase). */
static int *link_fds;
static __u32 *link_ids;
static int nlinks, cap_links;
static int fill_child = -1, fill_slot, fill_count;

/* Creates links until nlinks == n. */
static void links_grow(int n)
{
	if (n > cap_links) {
		link_fds = realloc(link_fds, n * sizeof(*link_fds));
		link_ids = realloc(link_ids, n * sizeof(*link_ids));
		if (!link_fds || !link_ids)
			die("out of memory");
		cap_links = n;
	}
	while (nlinks < n) {
		int fd;

		if (fill_child < 0 || fill_count == PER_SLOT) {
			fill_count = 0;
			if (fill_child < 0 || ++fill_slot == nslots) {
				fill_slot = 0;
				fill_child = child_create();
			}
		}
		fd = sup_link_create_raw(slots[fill_slot].prog, child_fd[fill_child], slots[fill_slot].type);
		if (fd < 0)
			die("link %d (attach type %d, cgroup %s): %s", nlinks, slots[fill_slot].type,
			    children[fill_child], strerror(-fd));
		fill_count++;
		link_fds[nlinks] = fd;
		link_ids[nlinks] = sup_link_id(fd);
		if (!link_ids[nlinks])
			die("no id for link fd %d", fd);
		nlinks++;
	}
	printf("# %d links held on %d child cgroups, %d attach types\n", nlinks, nchildren, nslots);
}

static void links_release(void)
{
	for (int i = 0; i < nlinks; i++)
		close(link_fds[i]);
	nlinks = 0;
}

/* The id range of the held links, for enumeration. */
static __u32 id_lo(void)
{
	__u32 lo = UINT32_MAX;

	for (int i = 0; i < nlinks; i++)
		lo = link_ids[i] < lo ? link_ids[i] : lo;
	return lo;
}

static __u32 id_hi(void)
{
	__u32 hi = 0;

	for (int i = 0; i < nlinks; i++)
		hi = link_ids[i] > hi ? link_ids[i] : hi;
	return hi;
}

/* Per-operation fixtures: a cgroup for create (nothing else on it), a link
 * to update (prog_a <-> prog_b), a bpffs with a pinned link, and one
 * unpinned link object per implementation for pin / unpin. */
static int op_cgroup = -1;
static int upd_link = -1;
static struct sup_bpffs fs;
static char pinned[128];
static void *pin_obj[NIMPL];
static char pin_path[NIMPL][128];

static void op_fixtures_init(void)
{
	int c = child_create();

	op_cgroup = child_fd[c];
	upd_link = sup_link_create_raw(prog_a, op_cgroup, BPF_CGROUP_INET_EGRESS);
	if (upd_link < 0)
		die("update link: %s", strerror(-upd_link));
	if (sup_bpffs_mount(&fs))
		die("cannot mount a bpffs");
	snprintf(pinned, sizeof(pinned), "%s/link", fs.dir);
	if (sup_obj_pin(upd_link, pinned))
		die("pin %s failed", pinned);
	for (int i = 0; i < NIMPL; i++) {
		struct lib *I = &impls[i];
		char src[160];

		/* An object of this implementation, unpinned: opened from a pin
		 * of its own, which it then removes. */
		snprintf(src, sizeof(src), "%s/src-%s", fs.dir, I->name);
		snprintf(pin_path[i], sizeof(pin_path[i]), "%s/pin-%s", fs.dir, I->name);
		if (sup_obj_pin(upd_link, src))
			die("pin %s failed", src);
		pin_obj[i] = I->open(src);
		if (!pin_obj[i] || I->unpin(pin_obj[i]))
			die("%s: cannot make an unpinned link object", I->name);
	}
}

/* ---- the operations ----------------------------------------------------- */

static void check(int ok, struct lib *I, const char *what, long r)
{
	if (!ok)
		die("%s: %s returned %ld (errno %d %s)", I->name, what, r, errno, strerror(errno));
}

/* One pass of bpf_link_get_next_id over the held links' id range; returns
 * the number of calls. */
static long op_next_id(struct lib *I, __u32 lo, __u32 hi)
{
	__u32 id = lo - 1, next;
	long calls = 0;
	int r;

	for (;;) {
		r = I->link_get_next_id(id, &next);
		calls++;
		if (r)
			break;
		if (next > hi)
			break;
		id = next;
	}
	if (r && r != -ENOENT)
		check(0, I, "bpf_link_get_next_id", r);
	return calls;
}

/* bpf_link_get_fd_by_id + bpf_link_get_info_by_fd + close per held link. */
static long op_fd_info(struct lib *I)
{
	struct bpf_link_info info;
	__u32 len;

	for (int i = 0; i < nlinks; i++) {
		int fd = I->link_get_fd_by_id(link_ids[i]);

		check(fd >= 0, I, "bpf_link_get_fd_by_id", fd);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		int r = I->link_get_info_by_fd(fd, &info, &len);
		check(r == 0 && info.id == link_ids[i], I, "bpf_link_get_info_by_fd", r);
		close(fd);
	}
	return nlinks;
}

static long op_create(struct lib *I, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = I->link_create(prog_a, op_cgroup, BPF_CGROUP_INET_INGRESS, NULL);

		check(fd >= 0, I, "bpf_link_create", fd);
		close(fd);
	}
	return n;
}

static long op_update(struct lib *I, long n)
{
	for (long i = 0; i < n; i += 2) {
		int r = I->link_update(upd_link, prog_b, NULL);

		check(r == 0, I, "bpf_link_update", r);
		r = I->link_update(upd_link, prog_a, NULL);
		check(r == 0, I, "bpf_link_update", r);
	}
	return n;
}

static long op_open(struct lib *I, long n)
{
	for (long i = 0; i < n; i++) {
		void *l = I->open(pinned);

		check(l != NULL, I, "bpf_link__open", 0);
		int r = I->destroy(l);
		check(r == 0, I, "bpf_link__destroy", r);
	}
	return n;
}

static long op_pin(struct lib *I, long n)
{
	int k = (int)(I - impls);

	for (long i = 0; i < n; i++) {
		int r = I->pin(pin_obj[k], pin_path[k]);

		check(r == 0, I, "bpf_link__pin", r);
		r = I->unpin(pin_obj[k]);
		check(r == 0, I, "bpf_link__unpin", r);
	}
	return n;
}

/* ---- time --------------------------------------------------------------- */

static int scale = 100; /* percent */
static int rounds = 31;

static long scaled(long n)
{
	long v = n * scale / 100;

	return v < 1 ? 1 : v;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum op { OP_NEXT_ID, OP_FD_INFO, OP_CREATE, OP_UPDATE, OP_OPEN, OP_PIN };
static const char *const op_names[] = { "next_id", "fd_info", "create", "update", "open", "pin" };

/* Runs one batch of op through I; returns the calls (cycles) it made. */
static long batch(enum op op, struct lib *I, __u32 lo, __u32 hi)
{
	long calls = 0;

	switch (op) {
	case OP_NEXT_ID: {
		/* Enough passes for about 4096 calls. */
		long passes = scaled(4096) / (nlinks + 1);

		for (long p = 0; p < (passes < 1 ? 1 : passes); p++)
			calls += op_next_id(I, lo, hi);
		break;
	}
	case OP_FD_INFO: {
		long passes = scaled(1024) / nlinks;

		for (long p = 0; p < (passes < 1 ? 1 : passes); p++)
			calls += op_fd_info(I);
		break;
	}
	case OP_CREATE:
		calls = op_create(I, scaled(256));
		break;
	case OP_UPDATE:
		calls = op_update(I, scaled(1024) & ~1L);
		break;
	case OP_OPEN:
		calls = op_open(I, scaled(256));
		break;
	case OP_PIN:
		calls = op_pin(I, scaled(256));
		break;
	}
	return calls;
}

/* `rounds` interleaved rounds of the given ops; one untimed warm-up round. */
static void time_ops(const enum op *ops, int nops, int n)
{
	__u32 lo = id_lo(), hi = id_hi();

	for (int r = -1; r < rounds; r++) {
		for (int o = 0; o < nops; o++) {
			for (int j = 0; j < NIMPL; j++) {
				/* Rotate the order: ours,ref,raw / ref,raw,ours / ... */
				struct lib *I = &impls[(j + (r < 0 ? 0 : r)) % NIMPL];
				uint64_t t0 = now_ns();
				long calls = batch(ops[o], I, lo, hi);
				uint64_t t1 = now_ns();

				if (r < 0)
					continue;
				char nbuf[16] = "-";
				if (n)
					snprintf(nbuf, sizeof(nbuf), "%d", n);
				printf("time\t%s\t%s\t%s\t%d\t%.2f\t%ld\n", op_names[ops[o]], nbuf,
				       I->name, r, (double)(t1 - t0) / (double)calls, calls);
			}
		}
	}
	fflush(stdout);
}

/* ---- count ---------------------------------------------------------------- */

/* count --only IMPL: segments of that implementation only. bench.py counts
 * each implementation in a process of its own, so that all three meet the
 * same heap: in one process, the allocator state each one left to the next
 * moved bpf_link__open by ~150 instructions (malloc's slow paths). */
static const char *only;

static bool selected(const struct lib *I)
{
	return !only || !strcmp(only, I->name);
}

/* Ends a segment (begun with CALLGRIND_ZERO_STATS): the dump's label says
 * what was measured. n == 0: the operation does not depend on N. */
static void seg_dump(struct lib *I, const char *fn, int n, long calls)
{
	char label[128], nbuf[16] = "-";

	if (n)
		snprintf(nbuf, sizeof(nbuf), "%d", n);
	snprintf(label, sizeof(label), "seg %s %s %s %ld", I->name, fn, nbuf, calls);
	CALLGRIND_DUMP_STATS_AT(label);
	printf("seg\t%s\t%s\t%s\t%ld\n", I->name, fn, nbuf, calls);
}

/* BPF_LINK_GET_FD_BY_ID with raw bpf(2), for the info segment's fds. */
static int raw_fd_by_id(__u32 id)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.link_id = id;
	return (int)sup_bpf(BPF_LINK_GET_FD_BY_ID, &attr, sizeof(attr));
}

static void count_enum(int n)
{
	__u32 lo = id_lo(), next;

	for (int j = 0; j < NIMPL; j++) {
		struct lib *I = &impls[j];
		struct bpf_link_info info;
		__u32 len;
		long calls = 0;

		if (!selected(I))
			continue;

		/* Warm-up outside any segment. */
		I->link_get_next_id(lo - 1, &next);

		/* The N successful calls of an enumeration; its last call, the
		 * end of the list (ENOENT), is the next_id_end segment. */
		CALLGRIND_ZERO_STATS;
		for (__u32 id = lo - 1; calls < nlinks; calls++)
			if (I->link_get_next_id(id, &id))
				break;
		seg_dump(I, "next_id", n, calls);
		check(calls == nlinks, I, "bpf_link_get_next_id", calls);

		/* Each fd is closed at once (close() is not counted): N more
		 * open fds would not fit under RLIMIT_NOFILE at N = 10 000. */
		CALLGRIND_ZERO_STATS;
		for (int i = 0; i < nlinks; i++) {
			int fd = I->link_get_fd_by_id(link_ids[i]);

			check(fd >= 0, I, "bpf_link_get_fd_by_id", fd);
			close(fd);
		}
		seg_dump(I, "fd_by_id", n, nlinks);

		/* The fds asked about are opened by the driver (raw bpf(2), not
		 * counted). */
		CALLGRIND_ZERO_STATS;
		for (int i = 0; i < nlinks; i++) {
			int fd = raw_fd_by_id(link_ids[i]), r;

			len = sizeof(info);
			r = I->link_get_info_by_fd(fd, &info, &len);
			check(r == 0, I, "bpf_link_get_info_by_fd", r);
			close(fd);
		}
		seg_dump(I, "info", n, nlinks);
	}
}

static void count_ops(void)
{
	enum { K = 32 };
	/* Static, not on the stack: the cost of libc's vectorised string
	 * functions depends on the strings' alignment, and the stack's moves
	 * with the environment's size. */
	static char paths[K][160];
	int fds[K];
	void *objs[K];
	__u32 next;

	/* Everything runs twice and is counted the second time: the first
	 * pass warms up, and leaves the heap in the state the second meets
	 * (the allocator's free lists holding the chunks these calls use). */
	for (int pass = 0; pass < 2; pass++) {
		for (int j = 0; j < NIMPL; j++) {
			struct lib *I = &impls[j];

			if (!selected(I))
				continue;
#define SEG_END(fn, calls)                                \
	do {                                              \
		if (pass)                                 \
			seg_dump(I, fn, 0, calls);        \
	} while (0)
			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				I->link_get_next_id(UINT32_MAX, &next);
			SEG_END("next_id_end", K);

			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				fds[i] = I->link_create(prog_a, op_cgroup, BPF_CGROUP_INET_INGRESS,
							NULL);
			SEG_END("create", K);
			for (int i = 0; i < K; i++) {
				check(fds[i] >= 0, I, "bpf_link_create", fds[i]);
				close(fds[i]);
			}

			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				I->link_update(upd_link, i % 2 ? prog_a : prog_b, NULL);
			SEG_END("update", K);

			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				objs[i] = I->open(pinned);
			SEG_END("open", K);
			for (int i = 0; i < K; i++)
				check(objs[i] != NULL, I, "bpf_link__open", 0);

			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				I->destroy(objs[i]);
			SEG_END("destroy", K);

			/* Unpinned objects of this implementation, for pin / unpin. */
			for (int i = 0; i < K; i++) {
				snprintf(paths[i], sizeof(paths[i]), "%s/cnt-%s-%d", fs.dir, I->name, i);
				if (sup_obj_pin(upd_link, paths[i]))
					die("pin %s", paths[i]);
				objs[i] = I->open(paths[i]);
				check(objs[i] && I->unpin(objs[i]) == 0, I, "bpf_link__unpin", 0);
			}
			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				I->pin(objs[i], paths[i]);
			SEG_END("pin", K);
			CALLGRIND_ZERO_STATS;
			for (int i = 0; i < K; i++)
				I->unpin(objs[i]);
			SEG_END("unpin", K);
			for (int i = 0; i < K; i++)
				I->destroy(objs[i]);
#undef SEG_END
		}
	}
}

/* ---- alloc ---------------------------------------------------------------- */

static void alloc_record(struct lib *I, const char *fn, long calls)
{
	printf("alloc\t%s\t%s\t%ld\t%lu\t%lu\n", I->name, fn, calls, alloc_n, free_n);
}

static void alloc_all(void)
{
	enum { K = 16 };
	__u32 lo = id_lo(), next;
	struct bpf_link_info info;
	__u32 len;
	int fds[K];
	void *objs[K];

	for (int j = 0; j < NIMPL; j++) {
		struct lib *I = &impls[j];
		int k = nlinks < K ? nlinks : K;

		op_next_id(I, lo, id_hi()); /* warm-up */
		alloc_count_begin(0);
		for (int i = 0; i < k; i++)
			I->link_get_next_id(link_ids[i] - 1, &next);
		alloc_count_end();
		alloc_record(I, "next_id", k);
		alloc_count_begin(0);
		for (int i = 0; i < K; i++)
			I->link_get_next_id(UINT32_MAX, &next); /* the end of the list: ENOENT */
		alloc_count_end();
		alloc_record(I, "next_id_end", K);

		op_fd_info(I);
		alloc_count_begin(0);
		for (int i = 0; i < k; i++)
			fds[i] = I->link_get_fd_by_id(link_ids[i]);
		alloc_count_end();
		alloc_record(I, "fd_by_id", k);
		alloc_count_begin(0);
		for (int i = 0; i < k; i++) {
			len = sizeof(info);
			I->link_get_info_by_fd(fds[i], &info, &len);
		}
		alloc_count_end();
		alloc_record(I, "info", k);
		for (int i = 0; i < k; i++)
			close(fds[i]);

		op_create(I, 1);
		alloc_count_begin(0);
		for (int i = 0; i < K; i++)
			fds[i] = I->link_create(prog_a, op_cgroup, BPF_CGROUP_INET_INGRESS, NULL);
		alloc_count_end();
		alloc_record(I, "create", K);
		for (int i = 0; i < K; i++)
			close(fds[i]);

		op_update(I, 2);
		alloc_count_begin(0);
		for (int i = 0; i < K; i++)
			I->link_update(upd_link, i % 2 ? prog_a : prog_b, NULL);
		alloc_count_end();
		alloc_record(I, "update", K);

		op_open(I, 1);
		alloc_count_begin(0);
		for (int i = 0; i < K; i++)
			objs[i] = I->open(pinned);
		alloc_count_end();
		alloc_record(I, "open", K);
		alloc_count_begin(0);
		for (int i = 0; i < K; i++)
			I->destroy(objs[i]);
		alloc_count_end();
		alloc_record(I, "destroy", K);

		op_pin(I, 1);
		int jk = (int)(I - impls);
		alloc_count_begin(0);
		I->pin(pin_obj[jk], pin_path[jk]);
		alloc_count_end();
		alloc_record(I, "pin", 1);
		alloc_count_begin(0);
		I->unpin(pin_obj[jk]);
		alloc_count_end();
		alloc_record(I, "unpin", 1);
	}
	fflush(stdout);
}

/* ---- load ------------------------------------------------------------------ */

/* dlopen + dlsym + the first call: what load mode times and callgrind
 * counts; by hand, not through twin.c, so that exactly what a client does
 * is measured. Allocations are counted during the first call only (dlopen
 * allocates, and is not the library's doing). */
static unsigned long first_call_allocs;

NOINLINE int bench_load_once(struct lib *I)
{
	__u32 next = 0;
	int r;

	I->handle = dlopen(I->path, RTLD_NOW | RTLD_LOCAL);
	if (!I->handle)
		return -1;
	I->link_get_next_id = dlsym(I->handle, "bpf_link_get_next_id");
	if (!I->link_get_next_id)
		return -1;
	alloc_count_begin(0);
	r = I->link_get_next_id(0, &next);
	alloc_count_end();
	first_call_allocs = alloc_n + free_n;
	return r == 0 || r == -ENOENT ? 0 : -1;
}

static void load_one(const char *name)
{
	struct lib *I = impl_by_name(name);
	struct bpf_link_info info;
	__u32 len = sizeof(info), next;
	uint64_t t0, t1;

	t0 = now_ns();
	if (bench_load_once(I))
		die("%s: load or first call failed", I->path);
	t1 = now_ns();
	/* The first calls of the other low-level functions, on their error
	 * paths (this process has no fixtures), allocations counted. */
	sym(I, "bpf_link_get_fd_by_id");
	sym(I, "bpf_link_get_info_by_fd");
	sym(I, "bpf_link_create");
	sym(I, "bpf_link_update");
	alloc_count_begin(0);
	I->link_get_fd_by_id(0);
	I->link_get_info_by_fd(-1, &info, &len);
	I->link_create(-1, -1, BPF_CGROUP_INET_INGRESS, NULL);
	I->link_update(-1, -1, NULL);
	I->link_get_next_id(UINT32_MAX, &next);
	alloc_count_end();
	printf("load\t%s\t%llu\t%lu\t%lu\n", I->name, (unsigned long long)(t1 - t0),
	       first_call_allocs, alloc_n + free_n);
}

/* ---- main ------------------------------------------------------------------ */

static int parse_ns(const char *s, int *ns, int max)
{
	int k = 0;
	char *end;

	while (*s && k < max) {
		ns[k++] = (int)strtol(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
	return k;
}

int main(int argc, char **argv)
{
	int ns[8] = { 10, 1000, 10000 }, nn = 3;
	const char *mode;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: bench time|count|alloc|load IMPL [--n LIST] [--rounds R] [--scale S]");
	mode = argv[1];
	impl_paths();
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--n") && i + 1 < argc)
			nn = parse_ns(argv[++i], ns, 8);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
			scale = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = impl_by_name(argv[++i])->name;
		else if (!strcmp(mode, "load") && i == 2)
			continue;
		else
			die("unknown argument %s", argv[i]);
	}

	if (!strcmp(mode, "load")) {
		if (argc < 3)
			die("load IMPL");
		load_one(argv[2]);
		return 0;
	}

	for (i = 0; i < NIMPL; i++)
		impl_load(&impls[i]);
	fixtures_init();
	op_fixtures_init();

	if (!strcmp(mode, "time")) {
		static const enum op enum_ops[] = { OP_NEXT_ID, OP_FD_INFO };
		static const enum op other_ops[] = { OP_CREATE, OP_UPDATE, OP_OPEN, OP_PIN };

		time_ops(other_ops, 4, 0);
		for (i = 0; i < nn; i++) {
			links_grow(ns[i]);
			time_ops(enum_ops, 2, ns[i]);
		}
	} else if (!strcmp(mode, "count")) {
		count_ops();
		for (i = 0; i < nn; i++) {
			links_grow(ns[i]);
			count_enum(ns[i]);
		}
	} else if (!strcmp(mode, "alloc")) {
		links_grow(ns[0]);
		alloc_all();
	} else {
		die("unknown mode %s", mode);
	}
	links_release();
	return 0;
}
