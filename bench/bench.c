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
 *         attr of libbpf's exact size, options copied into it unchecked,
 *         and nothing else
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
 *          round; per-call nanoseconds from CLOCK_MONOTONIC. The options
 *          rows (below) whose kernel side waits for an RCU grace period run
 *          --slow-rounds rounds instead of --rounds.
 *            time <op> <N|-> <impl> <round> <ns_per_call> <calls>
 *   count  each measured API function alone in a segment, for callgrind:
 *          CALLGRIND_ZERO_STATS, the calls, CALLGRIND_DUMP_STATS_AT(label)
 *          with label "seg <impl> <fn> <N|-> <calls>". bench.py runs it with
 *          --collect-atstart=no and --toggle-collect=<each API function>,
 *          so only instructions inside the API functions (and what they
 *          call: libc's syscall(), malloc, ...) are counted; the loop
 *          around them is not. Outside valgrind the requests do nothing.
 *          --set 1 runs the segments of bpf_link_get_fd_by_id_opts only,
 *          --set 0 (the default) all the others: libbpf's
 *          bpf_link_get_fd_by_id calls bpf_link_get_fd_by_id_opts, and a
 *          toggle on both would switch collection off inside the inner
 *          one, so each set is counted in a callgrind run of its own.
 *   alloc  heap calls per API call, counted by the malloc family below
 *          around the measured calls only, after one warm-up call:
 *            alloc <impl> <fn> <calls> <allocs> <frees>
 *   load <impl>
 *          in this fresh process: dlopen() + dlsym() + the first call of
 *          bpf_link_get_next_id(), timed, with the heap calls of that first
 *          call counted; then the first call of every other low-level
 *          function, and of each option-taking one with options, heap calls
 *          counted:
 *            load <impl> <ns> <heap_calls_first_call> <heap_calls_others>
 *          Under callgrind, --toggle-collect=bench_load_once counts the
 *          instructions of the timed part.
 *
 * Every mode but load first declares the options rows and the ones a
 * refused capability probe leaves out:
 *            row <key> <function> <family|-> <sz> <current: 0|1> <slow: 0|1> <what>
 *            skip <key> <the probe's reason>
 *
 * Options: --n 10,1000,10000 (link counts), --rounds R, --slow-rounds R,
 * --scale S (batch sizes are multiplied by S/100; the smoke run uses a
 * small S), --only IMPL (count mode: that implementation's segments only),
 * --set 0|1 (count mode, above).
 *
 * Fixtures: links are held on child cgroups of one parent cgroup
 * (<the cgroup2 mount>/bpflink-test-bench-<pid>/c<i>), up to 64 per
 * cgroup and attach type (the kernel's BPF_CGROUP_MAX_PROGS), over every
 * cgroup attach type whose program loads; the driver makes them with raw
 * bpf(2), not through any implementation. A private bpffs holds the pins.
 * Child cgroups are removed at exit and on fatal signals; the parent and
 * the bpffs by tests-c/support.c's cleanup; links go with the process. What
 * a run killed with SIGKILL left behind is removed by the next run
 * (sweep_stale()). The options rows' fixtures (rows_init()) belong to the
 * process alone: a private network namespace (tcx on its lo, netfilter),
 * a disabled software perf event of this process, a uprobe on a function
 * of this driver; all of them go with it.
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

#include <linux/btf.h>
#include <linux/perf_event.h>
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
	"bpf_link__pin", "bpf_link__unpin", "bpf_link_get_fd_by_id_opts",
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

/* ---- the options rows ------------------------------------------------------ */
/*
 * Every option-taking function, called the way real callers call it: with
 * options built by LIBBPF_OPTS(), on a real target, each call succeeding
 * (a link is made, and closed by the driver; a program replaced). For
 * bpf_link_create one family of attach types at a time, each with its own
 * fields set, and each twice: with the struct of this libbpf (sz = sizeof,
 * 80 on x86-64) and with the struct of libbpf 1.0 to 1.2, which ended after
 * the kprobe_multi member (sz = 64 on x86-64: a program built against
 * those headers passes that). bpf_link_update likewise with 1.0's struct,
 * which ended after old_prog_fd (16). struct bpf_get_fd_by_id_opts came in
 * 1.1, and adding token_fd in 1.6 did not change its size (16, padded by
 * `size_t :0`), so it has one row.
 */

/* sz of the older structs: where libbpf 1.0's ended, which is also its
 * sizeof (both end on a size_t boundary). */
#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))
#define CREATE_SZ_1_0 offsetofend(struct bpf_link_create_opts, kprobe_multi)
#define UPDATE_SZ_1_0 offsetofend(struct bpf_link_update_opts, old_prog_fd)
_Static_assert(CREATE_SZ_1_0 % sizeof(size_t) == 0, "1.0's sizeof");
_Static_assert(UPDATE_SZ_1_0 % sizeof(size_t) == 0, "1.0's sizeof");

/* An attach-type family of bpf_link_create. */
struct family {
	const char *name;
	const char *probe; /* the capability probe (support.h) that gates it */
	const char *what;  /* one call, for the table */
	bool slow;         /* the kernel waits for an RCU grace period */
	int batch;         /* create + close cycles per timed batch, at --scale 100 */
	enum bpf_attach_type type;
	int prog, target;
	struct bpf_link_create_opts opts; /* its fields; sz is set per row */
};

enum row_fn { R_CREATE, R_UPDATE, R_FD_BY_ID };

struct row {
	char key[48]; /* create_<family>_sz<sz>, update_sz<sz>, fd_by_id_opts_sz<sz> */
	enum row_fn fn;
	const struct family *fam;
	size_t sz;
	bool current; /* sz is this libbpf's sizeof */
	const char *why; /* the probe's reason when it was refused, else NULL */
	struct bpf_link_create_opts create;
	struct bpf_link_update_opts update[2]; /* to prog_b (from prog_a), back */
	struct bpf_get_fd_by_id_opts fd_by_id;
};

static const char *row_fn_name[] = { "bpf_link_create", "bpf_link_update",
				     "bpf_link_get_fd_by_id_opts" };

/* Where the uprobe row puts its probe: never called. */
NOINLINE void bench_uprobe_target(void)
{
	__asm__ volatile("");
}

static char uprobe_path[PATH_MAX];
static unsigned long uprobe_offset;
static union bpf_iter_link_info iter_info;
static int tcx_anchor = -1;
static __u32 upd_id;

static struct family families[] = {
	{ .name = "cgroup", .probe = "link_cgroup", .batch = 64,
	  .what = "cgroup_skb on a child cgroup, BPF_CGROUP_INET_INGRESS; cgroup.relative_fd, "
		  "relative_id and expected_revision 0",
	  .type = BPF_CGROUP_INET_INGRESS },
	{ .name = "tcx", .probe = "link_tcx", .batch = 1, .slow = true,
	  .what = "tcx ingress on lo of a private netns, after a tcx link held there: flags "
		  "BPF_F_AFTER | BPF_F_LINK, tcx.relative_fd = that link's fd",
	  .type = BPF_TCX_INGRESS },
	{ .name = "netfilter", .probe = "link_netfilter", .batch = 64,
	  .what = "netfilter hook of a private netns: netfilter.pf NFPROTO_IPV4, hooknum "
		  "NF_INET_LOCAL_OUT, priority 10",
	  .type = BPF_NETFILTER },
	{ .name = "perf_event", .probe = "link_perf_event", .batch = 256,
	  .what = "perf_event program on a disabled software cpu-clock event of the process: "
		  "perf_event.bpf_cookie",
	  .type = BPF_PERF_EVENT },
	{ .name = "uprobe_multi", .probe = "link_uprobe_multi", .batch = 1, .slow = true,
	  .what = "one uprobe on a function of the driver: uprobe_multi.path, offsets, cnt 1, "
		  "pid (this process; at sz 64 pid lies past the struct, so 0: any process)",
	  .type = BPF_TRACE_UPROBE_MULTI },
	{ .name = "iter", .probe = "iter_task", .batch = 256,
	  .what = "task iterator (bpf_iter_task) of this process: iter_info (task.pid), "
		  "iter_info_len",
	  .type = BPF_TRACE_ITER },
};
#define NFAM (int)(sizeof(families) / sizeof(families[0]))

#define MAX_ROWS (2 * NFAM + 3)
static struct row rows[MAX_ROWS];
static int nrows;

static void row_declare(const struct row *w)
{
	const char *what = w->fam ? w->fam->what : w->fn == R_UPDATE ?
		"bpf_link_update of a cgroup link between two programs: flags BPF_F_REPLACE, "
		"old_prog_fd = the program it runs" :
		"bpf_link_get_fd_by_id_opts of a held link, open_flags 0";

	printf("row\t%s\t%s\t%s\t%zu\t%d\t%d\t%s\n", w->key, row_fn_name[w->fn],
	       w->fam ? w->fam->name : "-", w->sz, w->current, w->fam && w->fam->slow, what);
	if (w->why)
		printf("skip\t%s\t%s\n", w->key, w->why);
}

static struct row *row_add(enum row_fn fn, const struct family *fam, size_t sz, size_t full)
{
	struct row *w = &rows[nrows++];

	w->fn = fn;
	w->fam = fam;
	w->sz = sz;
	w->current = sz == full;
	if (fam)
		snprintf(w->key, sizeof(w->key), "create_%s_sz%zu", fam->name, sz);
	else
		snprintf(w->key, sizeof(w->key), "%s_sz%zu",
			 fn == R_UPDATE ? "update" : "fd_by_id_opts", sz);
	return w;
}

/* Loads what family f needs and fills its options; the probe has already
 * said that the kernel does this family. */
static void family_init(struct family *f)
{
	struct bpf_link_create_opts *o = &f->opts;
	int id;

	memset(o, 0, sizeof(*o));
	switch (f->type) {
	case BPF_CGROUP_INET_INGRESS:
		f->prog = prog_a;
		f->target = op_cgroup;
		break;
	case BPF_TCX_INGRESS: {
		/* The anchor's program and the rows' must differ: the kernel
		 * holds a program once per hook. */
		int anchor_prog = sup_prog_load(BPF_PROG_TYPE_SCHED_CLS, 0, 1);

		f->prog = sup_prog_load(BPF_PROG_TYPE_SCHED_CLS, 0, 0);
		f->target = sup_ifindex("lo");
		if (anchor_prog < 0 || f->prog < 0 || !f->target)
			die("tcx: cannot load the programs or find lo");
		tcx_anchor = sup_link_create_raw(anchor_prog, f->target, BPF_TCX_INGRESS);
		if (tcx_anchor < 0)
			die("tcx: the anchor link: %s", strerror(-tcx_anchor));
		close(anchor_prog);
		o->flags = BPF_F_AFTER | BPF_F_LINK;
		o->tcx.relative_fd = tcx_anchor;
		break;
	}
	case BPF_NETFILTER:
		f->prog = sup_prog_load(BPF_PROG_TYPE_NETFILTER, BPF_NETFILTER, 1);
		f->target = 0;
		o->netfilter.pf = 2;      /* NFPROTO_IPV4 */
		o->netfilter.hooknum = 3; /* NF_INET_LOCAL_OUT */
		o->netfilter.priority = 10;
		break;
	case BPF_PERF_EVENT:
		f->prog = sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
		f->target = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
		if (f->target < 0)
			die("perf_event_open: %s", strerror(-f->target));
		o->perf_event.bpf_cookie = 0x5eed;
		break;
	case BPF_TRACE_UPROBE_MULTI:
		f->prog = sup_prog_load(BPF_PROG_TYPE_KPROBE, BPF_TRACE_UPROBE_MULTI, 0);
		f->target = 0;
		if (sup_file_offset((void *)bench_uprobe_target, uprobe_path, sizeof(uprobe_path),
				    &uprobe_offset))
			die("no file offset for the uprobe target");
		o->uprobe_multi.path = uprobe_path;
		o->uprobe_multi.offsets = &uprobe_offset;
		o->uprobe_multi.cnt = 1;
		o->uprobe_multi.pid = getpid();
		break;
	case BPF_TRACE_ITER:
		id = sup_vmlinux_btf_id("bpf_iter_task", BTF_KIND_FUNC);
		f->prog = id > 0 ? sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, id, 0) : id;
		f->target = 0;
		iter_info.task.pid = getpid();
		o->iter_info = &iter_info;
		o->iter_info_len = sizeof(iter_info);
		break;
	default:
		die("family %s: no fixture", f->name);
	}
	if (f->prog < 0)
		die("family %s: the program does not load (%s)", f->name, strerror(-f->prog));
}

/* The rows, their fixtures and options. A family whose probe is refused
 * keeps its rows, marked with the probe's reason, and gets no fixture. */
static void rows_init(void)
{
	const size_t create_now = sizeof(struct bpf_link_create_opts);
	const size_t update_now = sizeof(struct bpf_link_update_opts);
	const size_t sizes[2] = { create_now, CREATE_SZ_1_0 };
	bool netns = false;

	upd_id = sup_link_id(upd_link);
	if (!upd_id)
		die("no id for the update link");
	for (int k = 0; k < NFAM; k++) {
		struct family *f = &families[k];
		const char *why = sup_probe_why(f->probe);

		if (!why && (f->type == BPF_TCX_INGRESS || f->type == BPF_NETFILTER) && !netns) {
			if (sup_netns_enter())
				die("cannot enter a private network namespace: %s", strerror(errno));
			netns = true;
		}
		if (!why)
			family_init(f);
		for (int j = 0; j < 2; j++) {
			struct row *w = row_add(R_CREATE, f, sizes[j], create_now);

			w->why = why;
			w->create = f->opts;
			w->create.sz = sizes[j];
		}
	}
	for (size_t sz = update_now;; sz = UPDATE_SZ_1_0) {
		struct row *w = row_add(R_UPDATE, NULL, sz, update_now);

		for (int d = 0; d < 2; d++) {
			memset(&w->update[d], 0, sizeof(w->update[d]));
			w->update[d].sz = sz;
			w->update[d].flags = BPF_F_REPLACE;
			w->update[d].old_prog_fd = d ? prog_b : prog_a;
		}
		if (sz == UPDATE_SZ_1_0)
			break;
	}
	{
		LIBBPF_OPTS(bpf_get_fd_by_id_opts, o);
		struct row *w = row_add(R_FD_BY_ID, NULL, o.sz, sizeof(o));

		w->fd_by_id = o;
	}
	for (int k = 0; k < nrows; k++)
		row_declare(&rows[k]);
}

/* Which callgrind set counts the row (see "count" at the top). */
static int row_set(const struct row *w)
{
	return w->fn == R_FD_BY_ID;
}

/* The measured call of a row through I; i picks an update's direction
 * (even: to prog_b, odd: back to prog_a, so that an even number of calls
 * leaves the link on prog_a, where every operation expects it). */
static long row_call(const struct row *w, struct lib *I, long i)
{
	switch (w->fn) {
	case R_CREATE:
		return I->link_create(w->fam->prog, w->fam->target, w->fam->type, &w->create);
	case R_UPDATE:
		return I->link_update(upd_link, i % 2 ? prog_a : prog_b, &w->update[i % 2]);
	case R_FD_BY_ID:
		return I->link_get_fd_by_id_opts(upd_id, &w->fd_by_id);
	}
	return -EINVAL;
}

/* After a row's call: it must have succeeded; a new fd is closed. */
static void row_after(const struct row *w, struct lib *I, long r)
{
	check(w->fn == R_UPDATE ? r == 0 : r >= 0, I, w->key, r);
	if (w->fn != R_UPDATE)
		close((int)r);
}

/* The kernel's link info of fd, read with raw bpf(2); 0 or -errno. */
static int raw_link_info(int fd, struct bpf_link_info *info)
{
	union bpf_attr attr;

	memset(info, 0, sizeof(*info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(*info);
	attr.info.info = (__u64)(unsigned long)info;
	return sup_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) ? -errno : 0;
}

/* Whether the link a create row made is the one its options asked for,
 * as the kernel reports it (link info; the tcx hook's order): a check that
 * each implementation, bench/raw.c included, carried the fields over. */
static bool row_link_ok(const struct row *w, int fd, char *why, size_t len)
{
	const struct family *f = w->fam;
	struct bpf_link_info info;
	struct sup_query q;

	if (raw_link_info(fd, &info)) {
		snprintf(why, len, "no link info (%s)", strerror(errno));
		return false;
	}
	switch (f->type) {
	case BPF_CGROUP_INET_INGRESS:
		snprintf(why, len, "type %u, attach type %u", info.type, info.cgroup.attach_type);
		return info.type == BPF_LINK_TYPE_CGROUP &&
		       info.cgroup.attach_type == BPF_CGROUP_INET_INGRESS;
	case BPF_TCX_INGRESS:
		if (sup_prog_query(f->target, BPF_TCX_INGRESS, &q))
			q.count = 0;
		snprintf(why, len, "type %u, %u on the hook, the last %u (want %u after %u)",
			 info.type, q.count, q.count ? q.link_ids[q.count - 1] : 0, info.id,
			 sup_link_id(tcx_anchor));
		return info.type == BPF_LINK_TYPE_TCX && q.count == 2 &&
		       q.link_ids[0] == sup_link_id(tcx_anchor) && q.link_ids[1] == info.id;
	case BPF_NETFILTER:
		snprintf(why, len, "type %u, pf %u hooknum %u priority %d", info.type,
			 info.netfilter.pf, info.netfilter.hooknum, info.netfilter.priority);
		return info.type == BPF_LINK_TYPE_NETFILTER &&
		       info.netfilter.pf == f->opts.netfilter.pf &&
		       info.netfilter.hooknum == f->opts.netfilter.hooknum &&
		       info.netfilter.priority == f->opts.netfilter.priority;
	case BPF_PERF_EVENT:
		snprintf(why, len, "type %u, cookie %#llx", info.type,
			 (unsigned long long)info.perf_event.event.cookie);
		return info.type == BPF_LINK_TYPE_PERF_EVENT &&
		       info.perf_event.event.cookie == f->opts.perf_event.bpf_cookie;
	case BPF_TRACE_UPROBE_MULTI: {
		/* pid is past a struct of 1.0's size: 0 there */
		__u32 pid = w->sz >= offsetofend(struct bpf_link_create_opts, uprobe_multi.pid) ?
				    f->opts.uprobe_multi.pid : 0;

		snprintf(why, len, "type %u, count %u pid %u (want %u)", info.type,
			 info.uprobe_multi.count, info.uprobe_multi.pid, pid);
		return info.type == BPF_LINK_TYPE_UPROBE_MULTI && info.uprobe_multi.count == 1 &&
		       info.uprobe_multi.pid == pid;
	}
	case BPF_TRACE_ITER:
		snprintf(why, len, "type %u, task pid %u", info.type, info.iter.task.pid);
		return info.type == BPF_LINK_TYPE_ITER && info.iter.task.pid == iter_info.task.pid;
	default:
		snprintf(why, len, "no check for this family");
		return false;
	}
}

/* Each row once through each implementation, checked against the kernel's
 * view: the link's info for a create, the program a link runs after an
 * update, the id behind the fd of bpf_link_get_fd_by_id_opts. */
static void rows_verify(void)
{
	char why[160];

	for (int j = 0; j < NIMPL; j++) {
		struct lib *I = &impls[j];

		for (int k = 0; k < nrows; k++) {
			const struct row *w = &rows[k];
			long r;
			bool ok;

			if (w->why)
				continue;
			r = row_call(w, I, 0);
			check(w->fn == R_UPDATE ? r == 0 : r >= 0, I, w->key, r);
			switch (w->fn) {
			case R_CREATE:
				ok = row_link_ok(w, (int)r, why, sizeof(why));
				break;
			case R_UPDATE:
				ok = sup_link_prog_id(upd_link) == sup_prog_id(prog_b);
				snprintf(why, sizeof(why), "the link runs program %u, not %u",
					 sup_link_prog_id(upd_link), sup_prog_id(prog_b));
				row_after(w, I, row_call(w, I, 1));
				break;
			default:
				ok = sup_link_id((int)r) == upd_id;
				snprintf(why, sizeof(why), "fd of link %u, not %u",
					 sup_link_id((int)r), upd_id);
				break;
			}
			if (w->fn != R_UPDATE)
				close((int)r);
			if (!ok)
				die("%s: %s: the kernel's view differs: %s", I->name, w->key, why);
		}
	}
	printf("# options rows: every implementation's link is the one its options asked for\n");
}

static long op_row(const struct row *w, struct lib *I, long n)
{
	for (long i = 0; i < n; i++)
		row_after(w, I, row_call(w, I, i));
	return n;
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
static int slow_rounds = 11; /* for the options rows of slow families */

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

/* The operations of the time mode; OP_ROW + k is options row k. */
enum op { OP_NEXT_ID, OP_FD_INFO, OP_CREATE, OP_UPDATE, OP_OPEN, OP_PIN, OP_ROW };
static const char *const op_names[] = { "next_id", "fd_info", "create", "update", "open", "pin" };

static const char *op_name(int op)
{
	return op >= OP_ROW ? rows[op - OP_ROW].key : op_names[op];
}

/* Runs one batch of op through I; returns the calls (cycles) it made. */
static long batch(int op, struct lib *I, __u32 lo, __u32 hi)
{
	long calls = 0;

	if (op >= OP_ROW) {
		const struct row *w = &rows[op - OP_ROW];

		switch (w->fn) {
		case R_CREATE:
			return op_row(w, I, scaled(w->fam->batch));
		case R_UPDATE: /* an even number: see row_call() */
			return op_row(w, I, (scaled(1024) + 1) & ~1L);
		case R_FD_BY_ID:
			return op_row(w, I, scaled(1024));
		}
	}
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

/* `nrounds` interleaved rounds of the given ops; one untimed warm-up round. */
static void time_ops(const int *ops, int nops, int n, int nrounds)
{
	__u32 lo = id_lo(), hi = id_hi();

	for (int r = -1; r < nrounds; r++) {
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
				printf("time\t%s\t%s\t%s\t%d\t%.2f\t%ld\n", op_name(ops[o]), nbuf,
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

/* The options rows of callgrind set `set`. Each fd is closed right after
 * its call, inside the segment (close() is not a toggled function, so it
 * is not counted): one link at a time, as a tcx hook takes a program once
 * and a perf event one program. Like count_ops(), everything runs twice and
 * is counted the second time. */
static void count_rows(int set)
{
	enum { K = 32, K_SLOW = 2 };
	long res[K];

	for (int pass = 0; pass < 2; pass++) {
		for (int j = 0; j < NIMPL; j++) {
			struct lib *I = &impls[j];

			if (!selected(I))
				continue;
			for (int k = 0; k < nrows; k++) {
				const struct row *w = &rows[k];
				int n = w->fam && w->fam->slow ? K_SLOW : K;

				if (w->why || row_set(w) != set)
					continue;
				CALLGRIND_ZERO_STATS;
				for (int i = 0; i < n; i++) {
					res[i] = row_call(w, I, i);
					if (w->fn != R_UPDATE && res[i] >= 0)
						close((int)res[i]);
				}
				if (pass)
					seg_dump(I, w->key, 0, n);
				for (int i = 0; i < n; i++)
					check(w->fn == R_UPDATE ? res[i] == 0 : res[i] >= 0, I, w->key,
					      res[i]);
			}
		}
	}
}

/* ---- alloc ---------------------------------------------------------------- */

/* Heap calls of the options rows, each call counted alone (the close()
 * after it is not), after one warm-up call. */
static void alloc_rows(struct lib *I)
{
	enum { K = 16, K_SLOW = 2 };

	for (int k = 0; k < nrows; k++) {
		const struct row *w = &rows[k];
		int n = w->fam && w->fam->slow ? K_SLOW : K;
		unsigned long allocs = 0, frees = 0;

		if (w->why)
			continue;
		op_row(w, I, 2); /* warm-up, leaving an update on prog_a */
		for (int i = 0; i < n; i++) {
			long r;

			alloc_count_begin(0);
			r = row_call(w, I, i);
			alloc_count_end();
			allocs += alloc_n;
			frees += free_n;
			row_after(w, I, r);
		}
		printf("alloc\t%s\t%s\t%d\t%lu\t%lu\n", I->name, w->key, n, allocs, frees);
	}
}

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

		alloc_rows(I);
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
	LIBBPF_OPTS(bpf_link_create_opts, create_opts);
	LIBBPF_OPTS(bpf_link_update_opts, update_opts);
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, fd_by_id_opts);
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
	sym(I, "bpf_link_get_fd_by_id_opts");
	alloc_count_begin(0);
	I->link_get_fd_by_id(0);
	I->link_get_info_by_fd(-1, &info, &len);
	I->link_create(-1, -1, BPF_CGROUP_INET_INGRESS, NULL);
	I->link_update(-1, -1, NULL);
	I->link_get_next_id(UINT32_MAX, &next);
	/* and the first calls with options (the kernel refuses the fds) */
	I->link_create(-1, -1, BPF_CGROUP_INET_INGRESS, &create_opts);
	I->link_update(-1, -1, &update_opts);
	I->link_get_fd_by_id_opts(0, &fd_by_id_opts);
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
	int ns[8] = { 10, 1000, 10000 }, nn = 3, set = 0;
	const char *mode;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: bench time|count|alloc|load IMPL [--n LIST] [--rounds R] [--slow-rounds R] "
		    "[--scale S] [--only IMPL] [--set 0|1]");
	mode = argv[1];
	impl_paths();
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--n") && i + 1 < argc)
			nn = parse_ns(argv[++i], ns, 8);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--slow-rounds") && i + 1 < argc)
			slow_rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--set") && i + 1 < argc)
			set = atoi(argv[++i]);
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
	/* In count mode set 0 the rows' fixtures come after count_ops(), so
	 * that its segments meet the heap they met before the rows existed
	 * (the probes and /proc reads allocate). */
	if (strcmp(mode, "count") || set != 0)
		rows_init();

	if (!strcmp(mode, "time")) {
		static const int enum_ops[] = { OP_NEXT_ID, OP_FD_INFO };
		static const int other_ops[] = { OP_CREATE, OP_UPDATE, OP_OPEN, OP_PIN };
		int fast[MAX_ROWS], slow[MAX_ROWS], nfast = 0, nslow = 0;

		time_ops(other_ops, 4, 0, rounds);
		for (int k = 0; k < nrows; k++) {
			if (rows[k].why)
				continue;
			if (rows[k].fam && rows[k].fam->slow)
				slow[nslow++] = OP_ROW + k;
			else
				fast[nfast++] = OP_ROW + k;
		}
		time_ops(fast, nfast, 0, rounds);
		time_ops(slow, nslow, 0, slow_rounds);
		for (i = 0; i < nn; i++) {
			links_grow(ns[i]);
			time_ops(enum_ops, 2, ns[i], rounds);
		}
	} else if (!strcmp(mode, "count")) {
		if (set == 0) {
			count_ops();
			rows_init();
			count_rows(0);
			for (i = 0; i < nn; i++) {
				links_grow(ns[i]);
				count_enum(ns[i]);
			}
		} else {
			count_rows(set);
		}
	} else if (!strcmp(mode, "alloc")) {
		rows_verify();
		links_grow(ns[0]);
		alloc_all();
	} else {
		die("unknown mode %s", mode);
	}
	links_release();
	return 0;
}
