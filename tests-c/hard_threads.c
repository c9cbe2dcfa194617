// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Concurrency: N worker threads x M iterations over the whole link API at
 * once, plus one thread that keeps swapping the print callback while
 * making warnings appear.
 *
 * Each worker, each iteration:
 *   - makes a link on its own child cgroup (bpf_link_create) and wraps it
 *     (bpflink_link_from_fd), and a second link on a cgroup every worker
 *     shares, then updates both (A -> B, the first with BPF_F_REPLACE);
 *   - walks the system's links (bpf_link_get_next_id from 0, then
 *     bpf_link_get_fd_by_id and bpf_link_get_info_by_fd of each id) while
 *     the other workers make and destroy theirs;
 *   - opens its own link again by id and wraps that fd in a second object;
 *   - pins its link on a bpffs all workers share, opens the pin
 *     (bpf_link__open), unpins;
 *   - uses the shared link objects, made by the main thread before the
 *     workers start and destroyed by it after they end: bpf_link__fd,
 *     bpf_link__pin_path, bpf_link_get_info_by_fd, bpf_link_update with and
 *     without BPF_F_REPLACE; from nine tenths of the run on, one worker per
 *     shared link also detaches it (bpf_link__detach) while the others
 *     keep updating it;
 *   - every 8th iteration, makes the library warn (an options struct with
 *     sz 1, an open of a missing pin);
 *   - detaches its own link (bpf_link__detach), checks that an update now
 *     gets -ENOLINK, and destroys its objects.
 * Objects are used across threads only where the header calls the
 * function thread-safe (bpf_link__fd, __pin_path, __detach); each thread
 * pins, unpins and destroys only objects it made.
 *
 * The print thread installs, in a loop, one of two counting callbacks or
 * NULL with libbpf_set_print (checking that each call returns what it
 * installed the time before: the exchange is atomic) and makes a warning
 * each time.
 *
 * Checked at the end: no crash; every answer of every call is in the set
 * of answers documented for it in this situation (the table `ops` below,
 * from the header; EAGAIN from bpf_link_get_fd_by_id while walking the
 * ids is the kernel's answer for a link still being created); the
 * distribution is printed, and a success where only an error is possible
 * counts as a wrong answer too; every message a callback got starts with
 * "libbpf: "; no program is left attached; and, compared with after a
 * warm-up run of the same threads, the fd count is equal and the heap in use
 * (mallinfo2().uordblks, all arenas) and the anonymous RSS have not grown
 * (tolerances below). Glibc keeps the stacks of finished threads and the
 * per-thread malloc arenas for reuse: the warm-up run makes them, so the
 * measured run starts from the same state.
 *
 *   hard_threads [threads [iterations]]
 *                      defaults 8 x 1000, or $HARD_THREADS x $HARD_ITERS
 */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpflink.h>

/* 48 workers at most: each holds one link on the shared cgroup, next to
 * the N_SHARED shared links, and a cgroup hook takes 64 programs. */
#define MAX_THREADS 48
#define MAX_OWN_CG 12 /* support.c tracks 16 fixtures: 12 + shared + bpffs */
#define N_SHARED 4
#define MAX_ERR 1024
/* Heap in use: after the warm-up every size has been allocated and freed
 * before in every arena (prewarm_arenas() below), and glibc reuses those
 * chunks; 4 KiB leave room for a lazily made buffer. A leak of one byte
 * per iteration (a 32-byte chunk) exceeds it after 128 iterations: 8 x 1 000
 * (make test) give 250 KiB, 8 x 50 000 (make stress) 12.8 MB. */
#define HEAP_TOLERANCE 4096L
/* Anonymous RSS, the coarse figure (the heap one above is exact): the
 * touched part of each arena, and of each cached thread stack, depends on
 * which thread got which arena and how deep its calls went; measured, up
 * to 56 KiB apart from run to run with 8 threads and 168 KiB with 32 (16
 * arenas shared by 33 threads on this 2-core machine). 256 KiB plus 16 KiB
 * (4 pages) per thread: 384 KiB for 8 threads, where a 1-byte leak per
 * iteration (32-byte chunks) passes it after 12 288 iterations; make
 * stress runs 400 000 (12.8 MB). */
#define RSS_TOLERANCE (256L * 1024 + 16L * 1024 * nthreads)

static struct sup_cgroup shared_cg = { .fd = -1 }, own_cg[MAX_OWN_CG];
static struct sup_bpffs fs;
static int prog_a = -1, prog_b = -1;
static struct bpf_link *shared_obj[N_SHARED];
static int nthreads = 8, iters = 1000;
static volatile int stop_printer;

/* ---- answer accounting --------------------------------------------------------- */

enum opi {
	OP_CREATE_OWN, OP_FROM_FD, OP_CREATE_SHARED, OP_UPDATE_OWN, OP_UPDATE_SHARED_CG,
	OP_NEXT_ID, OP_ENUM_FD_BY_ID, OP_ENUM_INFO, OP_OWN_FD_BY_ID, OP_OWN_FROM_FD,
	OP_PIN, OP_OPEN, OP_UNPIN, OP_SH_FD, OP_SH_PIN_PATH, OP_SH_INFO, OP_SH_UPDATE,
	OP_SH_UPDATE_REPLACE, OP_SH_DETACH, OP_WARN_OPTS, OP_WARN_OPEN, OP_DETACH,
	OP_UPDATE_DETACHED, OP_DESTROY, OP_SET_PRINT, OP_N
};

/* 0 stands for success; the lists end with -1. */
static const struct {
	const char *name;
	int allowed[4];
	const char *why;
} ops[OP_N] = {
	[OP_CREATE_OWN] = { "bpf_link_create (own cgroup)", { 0, -1 }, "" },
	[OP_FROM_FD] = { "bpflink_link_from_fd", { 0, -1 }, "" },
	[OP_CREATE_SHARED] = { "bpf_link_create (shared cgroup)", { 0, -1 }, "" },
	[OP_UPDATE_OWN] = { "bpf_link_update own, BPF_F_REPLACE", { 0, -1 }, "" },
	[OP_UPDATE_SHARED_CG] = { "bpf_link_update own link on the shared cgroup", { 0, -1 }, "" },
	[OP_NEXT_ID] = { "bpf_link_get_next_id", { 0, ENOENT, -1 }, "ENOENT: end of the list" },
	[OP_ENUM_FD_BY_ID] = { "bpf_link_get_fd_by_id (walk)", { 0, ENOENT, EAGAIN, -1 },
			       "ENOENT: the link went away after its id was listed; EAGAIN: "
			       "the kernel's answer for an id listed while its link is still "
			       "being created (bpf_link_by_id(): not settled yet), as with "
			       "libbpf, which passes it through too" },
	[OP_ENUM_INFO] = { "bpf_link_get_info_by_fd (walk)", { 0, -1 }, "" },
	[OP_OWN_FD_BY_ID] = { "bpf_link_get_fd_by_id (own link)", { 0, -1 }, "" },
	[OP_OWN_FROM_FD] = { "bpflink_link_from_fd (fd by id)", { 0, -1 }, "" },
	[OP_PIN] = { "bpf_link__pin", { 0, -1 }, "" },
	[OP_OPEN] = { "bpf_link__open", { 0, -1 }, "" },
	[OP_UNPIN] = { "bpf_link__unpin", { 0, -1 }, "" },
	[OP_SH_FD] = { "bpf_link__fd (shared object)", { 0, -1 }, "" },
	[OP_SH_PIN_PATH] = { "bpf_link__pin_path (shared object: NULL, unpinned)", { 0, -1 }, "" },
	[OP_SH_INFO] = { "bpf_link_get_info_by_fd (shared link)", { 0, -1 }, "" },
	[OP_SH_UPDATE] = { "bpf_link_update (shared link)", { 0, ENOLINK, -1 },
			   "ENOLINK: detached by another thread" },
	[OP_SH_UPDATE_REPLACE] = { "bpf_link_update BPF_F_REPLACE (shared link)",
				   { 0, EPERM, ENOLINK, -1 },
				   "EPERM: another thread swapped the program first; ENOLINK: "
				   "detached" },
	[OP_SH_DETACH] = { "bpf_link__detach (shared object)", { 0, -1 },
			   "0 also when already detached" },
	[OP_WARN_OPTS] = { "bpf_link_create with sz 1 (warns)", { EINVAL, -1 }, "" },
	[OP_WARN_OPEN] = { "bpf_link__open of a missing pin (warns)", { ENOENT, -1 }, "" },
	[OP_DETACH] = { "bpf_link__detach (own)", { 0, -1 }, "" },
	[OP_UPDATE_DETACHED] = { "bpf_link_update after detach", { ENOLINK, -1 }, "" },
	[OP_DESTROY] = { "bpf_link__destroy (own objects)", { 0, -1 }, "" },
	[OP_SET_PRINT] = { "libbpf_set_print returns what was installed before", { 0, -1 },
			   "" },
};

static unsigned long counts[OP_N][MAX_ERR];

/* Records one answer: ret >= 0 is success, else -errno. */
static void rec(enum opi op, long ret)
{
	long e = ret >= 0 ? 0 : -ret;

	if (e >= MAX_ERR)
		e = MAX_ERR - 1;
	__atomic_fetch_add(&counts[op][e], 1, __ATOMIC_RELAXED);
}

/* A pointer answer: NULL is -errno. */
static void rec_ptr(enum opi op, const void *p)
{
	rec(op, p ? 0 : -(long)errno);
}

static bool allowed(enum opi op, int e)
{
	int i;

	for (i = 0; ops[op].allowed[i] >= 0; i++)
		if (ops[op].allowed[i] == e)
			return true;
	return false;
}

/* ---- the print callbacks -------------------------------------------------------- */

static unsigned long cb_calls[2], cb_bad;

static void cb_common(int which, const char *fmt)
{
	__atomic_fetch_add(&cb_calls[which], 1, __ATOMIC_RELAXED);
	if (strncmp(fmt, "libbpf: ", 8))
		__atomic_fetch_add(&cb_bad, 1, __ATOMIC_RELAXED);
}

static int cb0(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)ap;
	cb_common(0, fmt);
	return 0;
}

static int cb1(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[256];

	(void)level;
	vsnprintf(buf, sizeof(buf), fmt, ap); /* really format the arguments */
	cb_common(1, fmt);
	return 0;
}

static void make_warnings(unsigned int tid)
{
	struct bpf_link_create_opts bad;
	struct bpf_link *none;
	char path[256];

	memset(&bad, 0, sizeof(bad));
	bad.sz = 1;
	rec(OP_WARN_OPTS, bpf_link_create(prog_a, shared_cg.fd, BPF_CGROUP_INET_INGRESS, &bad));
	snprintf(path, sizeof(path), "%s/missing-%u", fs.dir, tid);
	none = bpf_link__open(path);
	rec_ptr(OP_WARN_OPEN, none);
	if (none)
		bpf_link__destroy(none);
}

/* Started with cb0 installed (by run()); returns what it installed last. */
static void *printer(void *arg)
{
	static const libbpf_print_fn_t fns[3] = { cb0, cb1, NULL };
	libbpf_print_fn_t last = cb0, prev;
	unsigned long i;

	(void)arg;
	for (i = 1; !__atomic_load_n(&stop_printer, __ATOMIC_RELAXED); i++) {
		prev = libbpf_set_print(fns[i % 3]);
		rec(OP_SET_PRINT, prev == last ? 0 : -EDOM);
		last = fns[i % 3];
		make_warnings(999);
	}
	return (void *)last;
}

/* ---- a worker ------------------------------------------------------------------- */

struct worker {
	pthread_t th;
	unsigned int tid;
	int iters;
};

static pthread_barrier_t start;

static void walk_links(void)
{
	struct bpf_link_info info;
	__u32 id = 0, len;
	int i, fd, r;

	for (i = 0; i < 256; i++) {
		r = bpf_link_get_next_id(id, &id);
		rec(OP_NEXT_ID, r);
		if (r)
			break;
		fd = bpf_link_get_fd_by_id(id);
		rec(OP_ENUM_FD_BY_ID, fd);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		rec(OP_ENUM_INFO, bpf_link_get_info_by_fd(fd, &info, &len));
		close(fd);
	}
}

static void use_shared(unsigned int tid, int it, int iters)
{
	struct bpf_link_info info;
	__u32 len;
	int s, fd;

	for (s = 0; s < N_SHARED; s++) {
		struct bpf_link *o = shared_obj[s];
		LIBBPF_OPTS(bpf_link_update_opts, rep, .flags = BPF_F_REPLACE,
			    .old_prog_fd = (it & 1) ? prog_a : prog_b);

		fd = bpf_link__fd(o);
		rec(OP_SH_FD, fd >= 3 ? 0 : fd < 0 ? fd : -EBADF);
		errno = 0;
		rec(OP_SH_PIN_PATH, bpf_link__pin_path(o) == NULL && errno == 0 ? 0 : -EDOM);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		rec(OP_SH_INFO, bpf_link_get_info_by_fd(fd, &info, &len));
		rec(OP_SH_UPDATE, bpf_link_update(fd, (it & 1) ? prog_a : prog_b, NULL));
		rec(OP_SH_UPDATE_REPLACE, bpf_link_update(fd, (it & 1) ? prog_b : prog_a, &rep));
		if (it >= iters * 9 / 10 && (int)(tid % N_SHARED) == s)
			rec(OP_SH_DETACH, bpf_link__detach(o));
	}
}

static void iteration(struct worker *w, int it)
{
	struct sup_cgroup *cg = &own_cg[w->tid % MAX_OWN_CG];
	struct bpf_link *own = NULL, *again = NULL, *opened;
	char pin[256];
	int fd, fd2, fd3;
	__u32 id;

	fd = bpf_link_create(prog_a, cg->fd, BPF_CGROUP_INET_INGRESS, NULL);
	rec(OP_CREATE_OWN, fd);
	if (fd < 0)
		return;
	own = bpflink_link_from_fd(fd);
	rec_ptr(OP_FROM_FD, own);
	if (!own) {
		close(fd);
		return;
	}
	fd2 = bpf_link_create(prog_a, shared_cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
	rec(OP_CREATE_SHARED, fd2);
	{
		LIBBPF_OPTS(bpf_link_update_opts, rep, .flags = BPF_F_REPLACE,
			    .old_prog_fd = prog_a);

		rec(OP_UPDATE_OWN, bpf_link_update(fd, prog_b, &rep));
	}
	if (fd2 >= 0)
		rec(OP_UPDATE_SHARED_CG, bpf_link_update(fd2, prog_b, NULL));

	walk_links();

	id = sup_link_id(fd);
	fd3 = bpf_link_get_fd_by_id(id);
	rec(OP_OWN_FD_BY_ID, fd3);
	if (fd3 >= 0) {
		again = bpflink_link_from_fd(fd3);
		rec_ptr(OP_OWN_FROM_FD, again);
		if (!again)
			close(fd3);
	}

	snprintf(pin, sizeof(pin), "%s/t%u", fs.dir, w->tid);
	rec(OP_PIN, bpf_link__pin(own, pin));
	opened = bpf_link__open(pin);
	rec_ptr(OP_OPEN, opened);
	rec(OP_UNPIN, bpf_link__unpin(own));

	use_shared(w->tid, it, w->iters);
	if (it % 8 == 7)
		make_warnings(w->tid);

	rec(OP_DETACH, bpf_link__detach(own));
	rec(OP_UPDATE_DETACHED, bpf_link_update(fd, prog_a, NULL));
	if (opened)
		rec(OP_DESTROY, bpf_link__destroy(opened));
	if (again)
		rec(OP_DESTROY, bpf_link__destroy(again));
	rec(OP_DESTROY, bpf_link__destroy(own));
	if (fd2 >= 0)
		close(fd2);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int it;

	pthread_barrier_wait(&start);
	for (it = 0; it < w->iters; it++)
		iteration(w, it);
	return NULL;
}

/* ---- one run of all threads --------------------------------------------------- */

static bool make_shared(void)
{
	int s, fd;

	for (s = 0; s < N_SHARED; s++) {
		fd = bpf_link_create(prog_a, shared_cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
		if (fd < 0)
			return false;
		shared_obj[s] = bpflink_link_from_fd(fd);
		if (!shared_obj[s]) {
			close(fd);
			return false;
		}
	}
	return true;
}

static void destroy_shared(void)
{
	int s;

	for (s = 0; s < N_SHARED; s++) {
		bpf_link__destroy(shared_obj[s]);
		shared_obj[s] = NULL;
	}
}

static bool run(int n, int m)
{
	static struct worker w[MAX_THREADS];
	libbpf_print_fn_t orig;
	void *last = NULL;
	pthread_attr_t attr;
	pthread_t pt;
	int i, created = 0;
	bool ok = true;

	if (!make_shared())
		return false;
	stop_printer = 0;
	if (pthread_barrier_init(&start, NULL, (unsigned)n + 1))
		return false;
	/* 256 KiB stacks: glibc keeps up to 40 MiB of finished threads'
	 * stacks for reuse, each with its TLS block (malloc'ed, 2 256 bytes
	 * here). With the default 8 MiB stacks only some of them fit and the
	 * heap in use would go up and down by those blocks from run to run;
	 * with small ones every stack of the warm-up is kept and reused. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	orig = libbpf_set_print(cb0);
	if (pthread_create(&pt, &attr, printer, NULL)) {
		libbpf_set_print(orig);
		pthread_barrier_destroy(&start);
		pthread_attr_destroy(&attr);
		return false;
	}
	for (i = 0; i < n; i++) {
		w[i].tid = (unsigned)i;
		w[i].iters = m;
		if (pthread_create(&w[i].th, &attr, worker_main, &w[i])) {
			ok = false;
			break;
		}
		created++;
	}
	if (!ok) {
		/* Release the ones that wait at the barrier: run no iteration. */
		for (i = 0; i < created; i++)
			w[i].iters = 0;
		for (i = created; i < n; i++) {
			w[i].iters = 0;
			if (pthread_create(&w[i].th, &attr, worker_main, &w[i]))
				abort(); /* the barrier would never open */
		}
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	__atomic_store_n(&stop_printer, 1, __ATOMIC_RELAXED);
	pthread_join(pt, &last);
	rec(OP_SET_PRINT, libbpf_set_print(orig) == (libbpf_print_fn_t)last ? 0 : -EDOM);
	pthread_barrier_destroy(&start);
	pthread_attr_destroy(&attr);
	destroy_shared();
	return ok;
}

/* ---- the race self-test (tests-c/tsan.sh) ------------------------------------------ */

/*
 * HARD_SELFTEST_RACE=1: two threads call bpf_link__disconnect() on one
 * object with no synchronization, which the header says is not
 * thread-safe (the same store, unordered). A ThreadSanitizer build of the
 * library must report it from inside bpflink; that shows the library
 * itself is instrumented, not only this program.
 */
static void *disconnect_loop(void *arg)
{
	int i;

	pthread_barrier_wait(&start);
	for (i = 0; i < 1000; i++)
		bpf_link__disconnect(arg);
	return NULL;
}

static void race_selftest(void)
{
	struct bpf_link *l;
	pthread_t a, b;
	int fd;

	fd = bpf_link_create(prog_a, shared_cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
	l = fd >= 0 ? bpflink_link_from_fd(fd) : NULL;
	if (!CHECK(l != NULL, "race self-test: a link object"))
		return;
	pthread_barrier_init(&start, NULL, 3);
	pthread_create(&a, NULL, disconnect_loop, l);
	pthread_create(&b, NULL, disconnect_loop, l);
	pthread_barrier_wait(&start);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_barrier_destroy(&start);
	bpf_link__destroy(l); /* disconnected: the fd stays ours */
	close(fd);
	printf("# HARD_SELFTEST_RACE: bpf_link__disconnect raced on purpose\n");
}

/* ---- measurements ----------------------------------------------------------------- */

/*
 * glibc gives a thread that allocates a malloc arena of its own, taking
 * a free one (left by a finished thread) when there is one and creating
 * one otherwise, up to 8 per core; arenas are never freed, and each adds
 * its header (struct malloc_state, about 2.2 KiB) to the heap in use. How
 * many exist after a run depends on how many threads happened to allocate
 * at the same moment, so the figure would move by whole arenas from run
 * to run (measured: +2 256 bytes each). Making n threads allocate at the
 * same time, before measuring, creates every arena n threads can need:
 * later, at most n run at once, and a free arena is always there.
 */
static pthread_barrier_t arena_barrier;

static void *hold_arena(void *arg)
{
	/* volatile: the compiler may not drop the malloc/free pair. */
	void *volatile p = malloc(64);

	(void)arg;
	pthread_barrier_wait(&arena_barrier);
	free(p);
	return NULL;
}

static void prewarm_arenas(int n)
{
	pthread_t th[MAX_THREADS + 2];
	pthread_attr_t attr;
	int i, made = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_barrier_init(&arena_barrier, NULL, (unsigned)n + 1);
	for (i = 0; i < n; i++)
		if (!pthread_create(&th[i], &attr, hold_arena, NULL))
			made++;
	/* Threads that failed to start cannot reach the barrier: stand in. */
	for (i = made; i < n; i++)
		pthread_create(&th[i], &attr, hold_arena, NULL);
	pthread_barrier_wait(&arena_barrier);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&arena_barrier);
	pthread_attr_destroy(&attr);
}

/* Number of malloc arenas, counted in malloc_info()'s XML. */
static int arenas(void)
{
	char *buf = NULL, *p;
	size_t len = 0;
	int n = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -1;
	malloc_info(0, f);
	fclose(f);
	for (p = buf; p && (p = strstr(p, "<heap nr=")); p++)
		n++;
	free(buf);
	return n;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *et = getenv("HARD_THREADS"), *ei = getenv("HARD_ITERS");
	int fds0, fds1, i, ncg, e, arenas0, arenas1;
	long rss0, rss1, heap0, heap1;
	unsigned long total = 0, wrong = 0;
	char name[32];
	double t0, t1;
	bool tool;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (et && *et)
		nthreads = atoi(et);
	if (ei && *ei)
		iters = atoi(ei);
	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		iters = atoi(argv[2]);
	if (nthreads < 1 || nthreads > MAX_THREADS)
		nthreads = 8;
	if (iters < 10)
		iters = 10;
	sup_require_root();
	tool = sup_under_tool();

	ncg = nthreads < MAX_OWN_CG ? nthreads : MAX_OWN_CG;
	for (i = 0; i < MAX_OWN_CG; i++)
		own_cg[i].fd = -1;
	if (!sup_need("link_cgroup,bpffs_mount", "threads on cgroup links and a bpffs"))
		goto out;
	if (!CHECK(sup_cgroup_create(&shared_cg, "threads-shared") == 0,
		   "fixture: the shared cgroup"))
		goto out;
	for (i = 0; i < ncg; i++) {
		snprintf(name, sizeof(name), "threads-%d", i);
		if (!CHECK(sup_cgroup_create(&own_cg[i], name) == 0, "fixture: cgroup %s", name))
			goto out;
	}
	if (!CHECK(sup_bpffs_mount(&fs) == 0, "fixture: a private bpffs"))
		goto out;
	prog_a = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	prog_b = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 0);
	if (!CHECK(prog_a >= 0 && prog_b >= 0, "fixture: two cgroup_skb programs"))
		goto out;

	if (getenv("HARD_SELFTEST_RACE")) {
		race_selftest();
		goto out;
	}
	/* Warm-up: malloc arenas for every thread that runs at once (workers
	 * and the print thread), thread stacks, first-use buffers. */
	prewarm_arenas(nthreads + 1);
	CHECK(run(nthreads, 50), "warm-up: %d threads x 50 iterations", nthreads);
	memset(counts, 0, sizeof(counts));
	memset(cb_calls, 0, sizeof(cb_calls));
	arenas0 = arenas();
	fds0 = sup_fd_count();
	rss0 = sup_statm_bytes(true);
	heap0 = (long)mallinfo2().uordblks;

	t0 = now();
	CHECK(run(nthreads, iters), "%d threads x %d iterations ran (and the print thread)",
	      nthreads, iters);
	t1 = now();
	fds1 = sup_fd_count();
	rss1 = sup_statm_bytes(true);
	heap1 = (long)mallinfo2().uordblks;
	arenas1 = arenas();
	printf("# %d threads x %d iterations in %.1f s\n", nthreads, iters, t1 - t0);

	/* The distribution of answers, and any answer not allowed. */
	for (i = 0; i < OP_N; i++) {
		unsigned long n = 0, bad = 0;
		char line[512];
		size_t len = 0;

		for (e = 0; e < MAX_ERR; e++) {
			if (!counts[i][e])
				continue;
			n += counts[i][e];
			if (!allowed(i, e))
				bad += counts[i][e];
			len += snprintf(line + len, sizeof(line) - len > 0 ? sizeof(line) - len : 0,
					"%s%s %lu", len ? ", " : "", e ? strerror(e) : "ok",
					counts[i][e]);
			if (len >= sizeof(line))
				len = sizeof(line) - 1;
		}
		total += n;
		wrong += bad;
		printf("# %-52s %8lu calls: %s\n", ops[i].name, n, n ? line : "-");
		CHECK(bad == 0 && n > 0, "%s: %lu calls, %lu answers outside the documented set%s%s",
		      ops[i].name, n, bad, ops[i].why[0] ? " (allowed: " : "",
		      ops[i].why[0] ? ops[i].why : "");
		if (ops[i].why[0])
			printf("#   allowed: %s\n", ops[i].why);
	}
	CHECK(cb_calls[0] > 0 && cb_calls[1] > 0,
	      "both swapped callbacks received warnings (%lu, %lu)", cb_calls[0], cb_calls[1]);
	CHECK_EQ(cb_bad, 0, "every message starts with \"libbpf: \"");
	CHECK_EQ(sup_attached(shared_cg.fd, 0), 0, "nothing left attached to the shared cgroup");
	for (i = 0; i < ncg; i++)
		CHECK_EQ(sup_attached(own_cg[i].fd, 0), 0, "nothing left attached to cgroup %d", i);
	CHECK_EQ(fds1, fds0, "fds after the run == before");
	printf("# anonymous rss %ld -> %ld (%+ld), heap in use %ld -> %ld (%+ld), malloc arenas "
	       "%d -> %d\n", rss0, rss1, rss1 - rss0, heap0, heap1, heap1 - heap0, arenas0,
	       arenas1);
	if (tool) {
		printf("# heap and RSS not compared: under a sanitizer or valgrind\n");
	} else {
		CHECK(heap1 - heap0 <= HEAP_TOLERANCE, "heap in use: %+ld bytes (tolerance %ld)",
		      heap1 - heap0, HEAP_TOLERANCE);
		CHECK(rss1 - rss0 <= RSS_TOLERANCE, "anonymous RSS: %+ld bytes (tolerance %ld)",
		      rss1 - rss0, RSS_TOLERANCE);
	}
	printf("# summary: threads: %d threads x %d iterations + print thread, %lu calls, %lu "
	       "outside the documented answers, fds %d -> %d, anonymous rss %+ld KiB, heap %+ld "
	       "bytes%s\n", nthreads, iters, total, wrong, fds0, fds1, (rss1 - rss0) / 1024,
	       heap1 - heap0, tool ? " (memory tool: not compared)" : "");
out:
	SUP_CLOSE(prog_a);
	SUP_CLOSE(prog_b);
	sup_bpffs_umount(&fs);
	for (i = 0; i < MAX_OWN_CG; i++)
		if (own_cg[i].path[0])
			sup_cgroup_destroy(&own_cg[i]);
	sup_cgroup_destroy(&shared_cg);
	return sup_done();
}
