// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Out of memory: every allocation the link-object functions make is made
 * to fail in turn, through bpflink and through the reference libbpf
 * v1.7.0 (both dlopen()ed side by side, tests-c/hard.h), and the two
 * answers must be identical: return value, errno, messages, whether a pin
 * file was left, whether the object records a pin path.
 *
 * The executable's malloc family (tests-c/alloc_hook.h) serves both
 * libraries, glibc's strdup included, and fails the k-th allocation made
 * inside the call under test, for k = 1, 2, ... until a call makes fewer
 * than k allocations and succeeds. The functions that allocate:
 *
 *   bpf_link__open        the object (calloc), its pin path (strdup)
 *   bpf_link__pin         dirname copies for the parent mkdir and the
 *                         bpffs check (strdup, freed), the pin path
 *   bpflink_link_from_fd  the object (bpflink only: NULL with ENOMEM, the
 *                         fd left to the caller, open)
 *
 * The low-level functions allocate nothing (bench/smoke.sh checks that).
 * After every case the process's fd count is back where it was, and every
 * block allocated during the case, its set-up and clean-up included, has
 * been freed (counted by the hook: exact, unlike heap statistics, which
 * glibc's per-thread cache blurs): a failed allocation leaks nothing, in
 * either library. Not built for ASan and not
 * run under valgrind, which replace the malloc family themselves.
 */
#define _GNU_SOURCE
#include "hard.h"

#include "alloc_hook.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

/* More allocations than any of the calls makes: a call that still fails
 * at this k allocates without end. */
#define MAX_K 16

static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
static int prog = -1;
static char pinned[256];  /* a link pinned with raw bpf(2), for open */
static char pin_dir[256]; /* missing before each pin: made by it */
static char pin_at[512];

enum op { OP_OPEN, OP_PIN, OP_FROM_FD, NOPS };

static const char *const op_name[NOPS] = {
	[OP_OPEN] = "bpf_link__open",
	[OP_PIN] = "bpf_link__pin",
	[OP_FROM_FD] = "bpflink_link_from_fd",
};

/* One call's outcome, beyond its answer. */
struct outcome {
	struct ans a;
	unsigned long allocs; /* allocations the call made (the failed one included) */
	bool failed;          /* one of them failed */
	long held;            /* blocks allocated and not freed after the clean-up */
	bool pin_file;        /* bpf_link__pin: the pin file exists afterwards */
	bool pin_path;        /* bpf_link__pin: the object records a pin path */
	bool fd_open;         /* from_fd: after NULL, the caller's fd is still open */
};

/*
 * A link object of library `a` with no pin path, as bpf_link__pin needs:
 * a fresh link pinned at a scratch path, opened by the library, then
 * unpinned through it. NULL if that fails (said in a comment).
 */
static struct bpf_link *unpinned_object(struct lib *a)
{
	char scratch[300];
	struct bpf_link *l = NULL;
	int fd = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);

	snprintf(scratch, sizeof(scratch), "%s/scratch", fs.dir);
	if (fd >= 0 && sup_obj_pin(fd, scratch) == 0) {
		l = a->open(scratch);
		if (l && a->unpin(l)) {
			a->destroy(l);
			l = NULL;
		}
	}
	if (!l)
		printf("# %s: no unpinned link object for bpf_link__pin: %s\n", a->name,
		       hard_errname(errno));
	unlink(scratch);
	SUP_CLOSE(fd);
	return l;
}

/*
 * Runs `op` through library `a` with its k-th allocation failing (0: none
 * fails), cleans up everything the call made, and returns its outcome.
 * Every allocation and free of the run is counted, the fixture's and the
 * clean-up's included, so that `held` is exact.
 */
static struct outcome run_op(struct lib *a, enum op op, unsigned long k)
{
	struct outcome o;
	struct bpf_link *l = NULL;
	unsigned long base;
	int fd = -1;

	memset(&o, 0, sizeof(o));
	alloc_count_begin(0);
	if (op == OP_PIN && !(l = unpinned_object(a)))
		o.a.ret = INT_MIN; /* the fixture failed: a mismatch below */
	if (op == OP_FROM_FD && (fd = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS)) < 0)
		o.a.ret = INT_MIN;
	/* Allocations are numbered from the call's first. */
	base = alloc_n;
	alloc_fail_at = k ? base + k : 0;
	if (o.a.ret != INT_MIN) {
		switch (op) {
		case OP_OPEN:
			HARD_CALL_PTR(a, &o.a, &l, a->open(pinned));
			break;
		case OP_PIN:
			HARD_CALL(a, &o.a, a->pin(l, pin_at));
			break;
		case OP_FROM_FD:
			HARD_CALL_PTR(a, &o.a, &l, a->from_fd(fd));
			break;
		default:
			break;
		}
	}
	alloc_fail_at = 0;
	o.allocs = alloc_n - base;
	o.failed = k && o.allocs >= k;

	if (op == OP_PIN && l) {
		o.pin_file = access(pin_at, F_OK) == 0;
		o.pin_path = a->pin_path(l) != NULL;
		if (o.pin_path)
			a->unpin(l);
		else if (o.pin_file)
			unlink(pin_at); /* pinned, but the object does not know */
		rmdir(pin_dir);
	}
	if (op == OP_FROM_FD && fd >= 0 && !l) {
		o.fd_open = fcntl(fd, F_GETFD) >= 0;
		close(fd);
	}
	if (l)
		a->destroy(l);
	alloc_count_end();
	/* Blocks allocated during the run (the failed attempt is none) minus
	 * blocks freed: what is still held. */
	o.held = (long)(alloc_n - o.failed) - (long)free_n;
	return o;
}

static bool same(const struct outcome *x, const struct outcome *y)
{
	return x->a.ret == y->a.ret && x->a.err == y->a.err && !strcmp(x->a.log, y->a.log) &&
	       x->pin_file == y->pin_file && x->pin_path == y->pin_path;
}

static const char *describe(const struct outcome *o, bool ptr)
{
	static char buf[2][HARD_LOG_MAX * 2 + 160];
	static int next;
	char *b = buf[next++ & 1];

	snprintf(b, sizeof(buf[0]), "%s%s%s, %lu allocations, messages \"%s\"",
		 hard_answer_text(&o->a, ptr), o->pin_file ? ", pin file left" : "",
		 o->pin_path ? ", pin path recorded" : "", o->allocs, sup_oneline(o->a.log));
	return b;
}

static unsigned long n_cases, n_failed_allocs, n_compared;

/* Every k for one operation: libbpf and bpflink compared (from_fd: checked
 * against its header contract), nothing leaked. */
static void sweep(enum op op)
{
	bool ptr = op != OP_PIN, both = op != OP_FROM_FD;
	int nlibs = both ? NLIB : 1, lib, fds0 = sup_fd_count();
	unsigned long k;

	for (k = 1; k <= MAX_K; k++) {
		struct outcome o[NLIB];
		bool ok;

		for (lib = 0; lib < nlibs; lib++)
			o[lib] = run_op(&libs[lib], op, k);
		n_cases++;
		if (!o[OURS].failed) {
			/* k is past the call's allocations: it succeeded. */
			CHECK(o[OURS].a.ret != INT_MIN && (ptr ? o[OURS].a.ret == 1 : o[OURS].a.ret == 0) &&
				      o[OURS].held == 0,
			      "%s with %lu allocations, none failing: succeeds (%s), %ld blocks held "
			      "after the clean-up",
			      op_name[op], o[OURS].allocs, describe(&o[OURS], ptr), o[OURS].held);
			if (both)
				CHECK(!o[REF].failed && same(&o[OURS], &o[REF]) &&
					      o[REF].allocs == o[OURS].allocs,
				      "%s: libbpf 1.7.0 also makes %lu allocations and succeeds (%s)",
				      op_name[op], o[REF].allocs, describe(&o[REF], ptr));
			break;
		}
		n_failed_allocs++;
		ok = ptr ? o[OURS].a.ret == 0 && o[OURS].a.err == ENOMEM
			 : o[OURS].a.ret == -ENOMEM && o[OURS].a.err == ENOMEM;
		if (op == OP_FROM_FD)
			ok = ok && o[OURS].fd_open;
		ok = ok && o[OURS].held == 0 && sup_fd_count() == fds0;
		if (both) {
			n_compared++;
			ok = ok && same(&o[OURS], &o[REF]) && o[REF].held == 0;
			CHECK(ok,
			      "%s, allocation %lu fails: bpflink == libbpf 1.7.0: %s; blocks held "
			      "%ld / %ld, fds %d -> %d",
			      op_name[op], k, describe(&o[OURS], ptr), o[OURS].held, o[REF].held, fds0,
			      sup_fd_count());
			if (!same(&o[OURS], &o[REF]))
				printf("#   libbpf 1.7.0: %s\n", describe(&o[REF], ptr));
		} else {
			CHECK(ok,
			      "%s, allocation %lu fails: %s, the fd still the caller's%s; blocks "
			      "held %ld, fds %d -> %d",
			      op_name[op], k, describe(&o[OURS], ptr),
			      o[OURS].fd_open ? "" : " (it was closed!)", o[OURS].held, fds0,
			      sup_fd_count());
		}
	}
	CHECK(k <= MAX_K, "%s stops allocating: at most %d allocations", op_name[op], MAX_K);
}

int main(void)
{
	int link = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sup_require_root();
	hard_load();

	if (!sup_need("link_cgroup,bpffs_mount", "out of memory on cgroup links and a bpffs"))
		goto out;
	if (!CHECK(sup_cgroup_create(&cg, "alloc") == 0, "fixture: a child cgroup") ||
	    !CHECK(sup_bpffs_mount(&fs) == 0, "fixture: a private bpffs"))
		goto out;
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (!CHECK(prog >= 0, "fixture: a cgroup_skb program"))
		goto out;
	link = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);
	snprintf(pinned, sizeof(pinned), "%s/pinned", fs.dir);
	snprintf(pin_dir, sizeof(pin_dir), "%s/dir", fs.dir);
	snprintf(pin_at, sizeof(pin_at), "%s/link", pin_dir);
	if (!CHECK(link >= 0 && sup_obj_pin(link, pinned) == 0, "fixture: a link pinned at %s",
		   pinned))
		goto out;

	/* The hook must see both libraries' allocations, or this proves
	 * nothing. */
	CHECK(run_op(&libs[OURS], OP_OPEN, 0).allocs > 0 &&
		      run_op(&libs[REF], OP_OPEN, 0).allocs > 0,
	      "the allocation hook sees the allocations of both libraries");

	sweep(OP_OPEN);
	sweep(OP_PIN);
	sweep(OP_FROM_FD);
	printf("# summary: out of memory: %lu cases, %lu with an allocation failing (%lu compared "
	       "with libbpf 1.7.0), 0 leaks allowed\n",
	       n_cases, n_failed_allocs, n_compared);
out:
	if (pinned[0])
		unlink(pinned);
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	twin_print_off();
	return sup_done();
}
