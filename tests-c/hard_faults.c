// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Faults: the system takes something away from under the library, and
 * the library must answer what the kernel says, leak nothing and leave
 * the process working. Each scenario runs once through bpflink and once,
 * from the same starting state, through the reference libbpf v1.7.0 (both
 * dlopen()ed side by side, tests-c/hard.h); every step's answer (return
 * value, errno, the messages given to the print callback) must be the
 * same in both and equal to the expected one, and every scenario must end
 * with the fd count it started with and nothing left attached.
 *
 *   emfile   RLIMIT_NOFILE lowered and every fd number below it taken:
 *            bpf_link_create, bpf_link_get_fd_by_id[_opts] and
 *            bpf_link__open fail with the kernel's EMFILE; calls that make
 *            no fd (info, update, pin, unpin) still work; with only fd 0
 *            free, the kernel hands out fd 0 and the library's move above
 *            2 fails: EMFILE, the "failed to dup FD 0" warning, and fd 0
 *            free again (the link made meanwhile is gone, not leaked).
 *            After the limit is restored everything works again.
 *   bpffs    the private bpffs holding a pinned link object is unmounted
 *            (MNT_DETACH): bpf_link__unpin answers unlink()'s ENOENT and
 *            keeps the pin path (so a new pin is EBUSY), the link works
 *            through the object's fd, detach and destroy work.
 *   cgroup   the cgroup of a cgroup link is removed (rmdir): the kernel
 *            detaches the link on its own (cgroup_id 0 in the link info),
 *            bpf_link_update says ENOLINK, detach and destroy work.
 *   netns    the network namespace of an XDP link dies (the process that
 *            made it, in its own netns, sent the link fd here and exited):
 *            the device goes, the kernel detaches the link (ifindex 0),
 *            bpf_link_update says ENOLINK, detach and destroy work.
 * One more, bpflink only (libbpf has no such function):
 *   procfs   bpflink_link_from_fd() with /proc unmounted (it tells links
 *            from other fds through /proc/self/fd): no crash, no leak,
 *            NULL with ENOENT (not EBADF: the fd is open), the fd still
 *            the caller's.
 */
#include "hard.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define ANY (-999999)  /* this step's value is not checked (still compared) */

/* ---- scenario runs ------------------------------------------------------------ */

#define MAX_STEPS 40

struct step {
	char desc[128];
	struct ans a;
	long want_ret;
	int want_err;
	const char *want_log; /* substring; "" = no message; NULL = not checked */
	bool ptr;	      /* a pointer answer: ret 1 = non-NULL, 0 = NULL */
	bool ours_only;	      /* no libbpf counterpart: not compared */
};

struct run {
	int n;
	struct step s[MAX_STEPS];
	char setup_error[256];
	int fd_delta;
	char dirtok[128]; /* a per-run directory, shown as <dir> in messages */
};

static struct run runs[NLIB];

static struct step *step_new(struct run *R, long want_ret, int want_err, const char *want_log,
			     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static struct step *step_new(struct run *R, long want_ret, int want_err, const char *want_log,
			     const char *fmt, ...)
{
	static struct step spare;
	struct step *s = R->n < MAX_STEPS ? &R->s[R->n++] : &spare;
	va_list ap;

	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	vsnprintf(s->desc, sizeof(s->desc), fmt, ap);
	va_end(ap);
	s->want_ret = want_ret;
	s->want_err = want_err;
	s->want_log = want_log;
	return s;
}

/* STEP(R, A, want_ret, want_errno, want_log, expr, "desc", ...) */
#define STEP(R, A, WR, WE, WL, EXPR, ...)                                          \
	({                                                                         \
		struct step *__s = step_new(R, WR, WE, WL, __VA_ARGS__);           \
		HARD_CALL(A, &__s->a, EXPR);                                       \
		__s->a.ret;                                                        \
	})

/* A call returning a new fd: the answer is RET_FD (and the fd is closed)
 * when it is >= 3 and close-on-exec. */
#define STEP_FD(R, A, WR, WE, WL, EXPR, ...)                                       \
	({                                                                         \
		struct step *__s = step_new(R, WR, WE, WL, __VA_ARGS__);           \
		HARD_CALL(A, &__s->a, EXPR);                                       \
		(int)hard_fd_answer(&__s->a);                                      \
	})

/* A pointer: ret 1 (non-NULL) or 0 (NULL); the pointer goes to *P. */
#define STEP_PTR(R, A, P, WR, WE, WL, EXPR, ...)                                   \
	do {                                                                       \
		struct step *__s = step_new(R, WR, WE, WL, __VA_ARGS__);           \
		__s->ptr = true;                                                   \
		HARD_CALL_PTR(A, &__s->a, P, EXPR);                                \
	} while (0)

/* An observation between calls: a value compared like an answer. */
#define OBS(R, WANT, VALUE, ...)                                                   \
	do {                                                                       \
		struct step *__s = step_new(R, WANT, 0, NULL, __VA_ARGS__);        \
		__s->a.ret = (long)(VALUE);                                        \
		__s->a.err = 0;                                                    \
	} while (0)

static void setup_fail(struct run *R, const char *what, int err)
{
	if (!R->setup_error[0])
		snprintf(R->setup_error, sizeof(R->setup_error), "%s: %s", what, strerror(err));
}

/* The messages of a step with the run's own directory shown as <dir>. */
static void normalized(const struct run *R, const char *log, char *out, size_t len)
{
	size_t tl = strlen(R->dirtok), o = 0;
	const char *p = log;

	while (*p && o + 6 < len) {
		if (tl && !strncmp(p, R->dirtok, tl)) {
			o += snprintf(out + o, len - o, "<dir>");
			p += tl;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = 0;
}

static const char *answer_text(const struct step *s, const struct ans *a)
{
	return hard_answer_text(a, s->ptr);
}

static unsigned long n_steps, n_failed;
static int n_skipped; /* scenarios a refused probe kept from running */

/*
 * Reports a scenario: one TAP case per step (bpflink == libbpf == the
 * expectation; with only_ours, bpflink == the expectation), then the fd
 * balance of each run.
 */
static void report(const char *scen, bool only_ours)
{
	struct run *o = &runs[OURS], *f = &runs[REF];
	char lo[HARD_LOG_MAX], lf[HARD_LOG_MAX];
	int i;

	if (o->setup_error[0] || (!only_ours && f->setup_error[0])) {
		n_failed++;
		CHECK(false, "[%s] fixtures: %s%s", scen, o->setup_error,
		      only_ours ? "" : f->setup_error);
	}
	if (!only_ours && o->n != f->n) {
		n_failed++;
		CHECK(false, "[%s] both runs made the same steps (%d, %d)", scen, o->n, f->n);
		return;
	}
	for (i = 0; i < o->n; i++) {
		const struct step *s = &o->s[i];
		const struct step *t = only_ours || s->ours_only ? NULL : &f->s[i];
		bool fails = s->want_ret < 0 || (s->want_ret == 0 && s->want_err);
		char why[HARD_LOG_MAX * 2 + 256] = "";

		n_steps++;
		normalized(o, s->a.log, lo, sizeof(lo));
		if (t)
			normalized(f, t->a.log, lf, sizeof(lf));
		if (t && (s->a.ret != t->a.ret || s->a.err != t->a.err || strcmp(lo, lf)))
			snprintf(why, sizeof(why), "bpflink %s (errno %s) \"%s\", libbpf %s (errno %s) "
				 "\"%s\"", answer_text(s, &s->a), hard_errname(s->a.err),
				 sup_oneline(lo), answer_text(t, &t->a), hard_errname(t->a.err),
				 sup_oneline(lf));
		else if (s->want_ret != ANY && s->a.ret != s->want_ret)
			snprintf(why, sizeof(why), "answered %s, want %ld", answer_text(s, &s->a),
				 s->want_ret);
		else if (s->want_ret != ANY && fails && s->a.err != s->want_err)
			snprintf(why, sizeof(why), "answered %s, want errno %s",
				 answer_text(s, &s->a), hard_errname(s->want_err));
		else if (s->want_log && !s->want_log[0] && lo[0])
			snprintf(why, sizeof(why), "unexpected message \"%s\"", sup_oneline(lo));
		else if (s->want_log && s->want_log[0] && !strstr(lo, s->want_log))
			snprintf(why, sizeof(why), "messages \"%s\" lack \"%s\"", sup_oneline(lo),
				 sup_oneline(s->want_log));
		if (why[0])
			n_failed++;
		tap_check(!why[0], __FILE__, __LINE__, "[%s] %s: %s%s%s%s%s", scen, s->desc,
			  why[0]			? ""
			  : only_ours || s->ours_only ? "bpflink only: "
						      : "bpflink == libbpf 1.7.0: ",
			  why[0] ? why : answer_text(s, &s->a),
			  lo[0] && !why[0] ? ", message \"" : "",
			  lo[0] && !why[0] ? sup_oneline(lo) : "", lo[0] && !why[0] ? "\"" : "");
	}
	n_steps++;
	if (only_ours)
		CHECK(o->fd_delta == 0, "[%s] fd count back to where it was (bpflink %+d)", scen,
		      o->fd_delta);
	else
		CHECK(o->fd_delta == 0 && f->fd_delta == 0,
		      "[%s] fd count back to where it was (bpflink %+d, libbpf %+d)", scen,
		      o->fd_delta, f->fd_delta);
}

/* ---- fixtures ------------------------------------------------------------------- */

static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
/* A path on the bpffs (support.h: sup_path). */
#define in_fs(name) sup_path(fs.dir, name)
static int prog = -1, prog2 = -1, xdp_prog = -1, xdp_prog2 = -1;

/* A link object of library a for link fd `fd` (which is closed): pinned
 * with raw bpf(2), opened through the library, unpinned through it. */
static struct bpf_link *wrap(struct lib *a, struct run *R, int fd)
{
	struct bpf_link *l;

	if (sup_obj_pin(fd, in_fs("wrap"))) {
		setup_fail(R, "pin for wrapping", errno);
		close(fd);
		return NULL;
	}
	close(fd);
	l = a->open(in_fs("wrap"));
	if (!l) {
		setup_fail(R, "bpf_link__open for wrapping", errno);
		unlink(in_fs("wrap"));
		return NULL;
	}
	if (a->unpin(l))
		setup_fail(R, "bpf_link__unpin for wrapping", errno);
	return l;
}

/* Link info through the library under test; -errno or 0. */
static int info_of(struct lib *a, int fd, struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return a->link_get_info_by_fd(fd, info, &len);
}

/* ---- emfile ------------------------------------------------------------------------ */

static int fillers[4096], nfill;
static struct rlimit saved_limit;

/* Lowers the soft RLIMIT_NOFILE to `limit` and takes every free fd number
 * below it; with keep_zero, fd 0 is then closed (saved at *saved0 first,
 * above the limit... which is where dup can still put it). */
static bool exhaust(struct run *R, rlim_t limit)
{
	struct rlimit l;
	int fd;

	nfill = 0;
	if (getrlimit(RLIMIT_NOFILE, &saved_limit)) {
		setup_fail(R, "getrlimit", errno);
		return false;
	}
	l = saved_limit;
	l.rlim_cur = limit;
	if (setrlimit(RLIMIT_NOFILE, &l)) {
		setup_fail(R, "setrlimit", errno);
		return false;
	}
	while (nfill < 4096 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		fillers[nfill++] = fd;
	if (errno != EMFILE)
		setup_fail(R, "fill the fd table", errno);
	return true;
}

static void restore(void)
{
	while (nfill)
		close(fillers[--nfill]);
	setrlimit(RLIMIT_NOFILE, &saved_limit);
}

static void scen_emfile(struct lib *a, struct run *R)
{
	struct bpf_link *obj = NULL, *none = NULL, *wrapped = NULL;
	struct bpf_link_info info;
	int link, spare = -1, saved0 = -1, before = sup_fd_count();
	__u32 id, next = 0;
	rlim_t limit;

	link = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);
	if (link < 0) {
		setup_fail(R, "raw link", -link);
		return;
	}
	id = sup_link_id(link);
	if (sup_obj_pin(link, in_fs("emfile"))) {
		setup_fail(R, "pin", errno);
		close(link);
		return;
	}
	obj = a->open(in_fs("emfile")); /* pinned object, made before the limit */
	spare = fcntl(link, F_DUPFD_CLOEXEC, 3); /* for bpflink_link_from_fd */
	if (!obj || spare < 0)
		setup_fail(R, "object and spare fd", errno);
	/* The limit: a little above the highest fd open now. */
	limit = (rlim_t)(spare > link ? spare : link) + 8;
	if (!exhaust(R, limit))
		goto out;

	STEP_FD(R, a, -EMFILE, EMFILE, "",
		a->link_create(prog, cg.fd, BPF_CGROUP_INET_INGRESS, NULL),
		"bpf_link_create with no fd free");
	STEP_FD(R, a, -EMFILE, EMFILE, "", a->link_get_fd_by_id(id),
		"bpf_link_get_fd_by_id with no fd free");
	STEP_FD(R, a, -EMFILE, EMFILE, "", a->link_get_fd_by_id_opts(id, NULL),
		"bpf_link_get_fd_by_id_opts with no fd free");
	STEP_PTR(R, a, &none, 0, EMFILE, "failed to open link at <dir>/emfile: -24\n",
		 a->open(in_fs("emfile")), "bpf_link__open with no fd free");
	if (none)
		a->destroy(none);
	STEP(R, a, 0, 0, "", info_of(a, link, &info), "bpf_link_get_info_by_fd still works");
	STEP(R, a, 0, 0, "", a->link_get_next_id(id - 1, &next),
	     "bpf_link_get_next_id still works");
	STEP(R, a, 0, 0, "", a->link_update(link, prog2, NULL), "bpf_link_update still works");
	STEP(R, a, 0, 0, NULL, a->unpin(obj), "bpf_link__unpin still works");
	STEP(R, a, 0, 0, NULL, a->pin(obj, in_fs("emfile2")), "bpf_link__pin still works");
	if (a->from_fd) {
		STEP_PTR(R, a, &wrapped, 1, 0, "", a->from_fd(spare),
			 "bpflink_link_from_fd (makes no fd) still works");
		if (wrapped)
			spare = -1; /* the object owns it */
		R->s[R->n - 1].ours_only = true;
	} else {
		/* A placeholder: libbpf has no such function. */
		OBS(R, 1, 1, "bpflink_link_from_fd (makes no fd) still works");
		R->s[R->n - 1].ours_only = true;
	}

	/* Only fd 0 free: the kernel gives out 0, the move above 2 fails. */
	saved0 = fcntl(0, F_DUPFD_CLOEXEC, 0);
	if (saved0 < 0) {
		/* No room for the copy below the limit: use a filler's number. */
		close(fillers[--nfill]);
		saved0 = fcntl(0, F_DUPFD_CLOEXEC, 0);
		if (saved0 < 0)
			setup_fail(R, "save fd 0", errno);
	}
	close(0);
	STEP_FD(R, a, -EMFILE, EMFILE, "failed to dup FD 0 to FD > 2: -24\n",
		a->link_create(prog, cg.fd, BPF_CGROUP_INET_INGRESS, NULL),
		"bpf_link_create with only fd 0 free");
	OBS(R, 1, fcntl(0, F_GETFD) < 0 && errno == EBADF, "fd 0 is free again");
	STEP_FD(R, a, -EMFILE, EMFILE, "failed to dup FD 0 to FD > 2: -24\n",
		a->link_get_fd_by_id(id), "bpf_link_get_fd_by_id with only fd 0 free");
	OBS(R, 1, fcntl(0, F_GETFD) < 0 && errno == EBADF, "fd 0 is free again");
	STEP_PTR(R, a, &none, 0, EMFILE, "failed to open link at <dir>/emfile2: -24\n",
		 a->open(in_fs("emfile2")), "bpf_link__open with only fd 0 free");
	if (none)
		a->destroy(none);
	OBS(R, 1, fcntl(0, F_GETFD) < 0 && errno == EBADF, "fd 0 is free again");
	if (saved0 >= 0) {
		dup2(saved0, 0);
		close(saved0);
	}
	restore();

	/* The link made with only fd 0 free must not survive it. */
	OBS(R, 1, sup_attached(cg.fd, 1), "programs attached: just the first link");
	STEP_FD(R, a, RET_FD, 0, "", a->link_create(prog, cg.fd, BPF_CGROUP_INET_INGRESS, NULL),
		"bpf_link_create after the limit is restored");
	STEP_FD(R, a, RET_FD, 0, "", a->link_get_fd_by_id(id),
		"bpf_link_get_fd_by_id after the limit is restored");
	STEP_PTR(R, a, &none, 1, 0, "", a->open(in_fs("emfile2")),
		 "bpf_link__open after the limit is restored");
	if (none)
		a->destroy(none);
out:
	restore();
	if (wrapped)
		a->destroy(wrapped);
	if (obj)
		a->destroy(obj);
	SUP_CLOSE(spare);
	close(link);
	unlink(in_fs("emfile"));
	unlink(in_fs("emfile2"));
	OBS(R, 1, sup_link_gone(id) && sup_attached(cg.fd, 0) == 0,
	    "the link is gone, nothing attached");
	R->fd_delta = sup_fd_count() - before;
}

/* ---- bpffs unmounted ------------------------------------------------------------------ */

static void scen_bpffs(struct lib *a, struct run *R)
{
	struct sup_bpffs gone;
	struct bpf_link *obj = NULL;
	struct bpf_link_info info;
	char pin[PATH_MAX], other[PATH_MAX];
	const char *pp;
	int link, before = sup_fd_count();
	__u32 id = 0;

	if (sup_bpffs_mount(&gone)) {
		setup_fail(R, "a second bpffs", errno);
		return;
	}
	snprintf(R->dirtok, sizeof(R->dirtok), "%s", gone.dir);
	snprintf(pin, sizeof(pin), "%s/link", gone.dir);
	snprintf(other, sizeof(other), "%s/other", gone.dir);
	link = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);
	if (link < 0 || sup_obj_pin(link, pin)) {
		setup_fail(R, "pinned link", link < 0 ? -link : errno);
		goto out;
	}
	id = sup_link_id(link);
	close(link);
	obj = a->open(pin);
	if (!obj) {
		setup_fail(R, "bpf_link__open", errno);
		goto out;
	}
	/* Lazy unmount: the pin's bpffs is gone from the tree at once; the
	 * directory under it is a plain empty directory again. */
	if (umount2(gone.dir, MNT_DETACH))
		setup_fail(R, "umount2", errno);
	gone.mounted = false;

	STEP(R, a, -ENOENT, ENOENT, "", a->unpin(obj), "bpf_link__unpin after the unmount");
	pp = a->pin_path(obj);
	OBS(R, 1, pp && !strcmp(pp, pin), "the pin path is kept");
	STEP(R, a, -EBUSY, EBUSY, "", a->pin(obj, other), "bpf_link__pin: still 'pinned'");
	STEP(R, a, 0, 0, "", info_of(a, a->fd(obj), &info), "bpf_link_get_info_by_fd on its fd");
	OBS(R, 1, info.id == id && info.cgroup.cgroup_id == cg.id, "the link is intact");
	OBS(R, 1, sup_attached(cg.fd, 1), "its program is still attached");
	STEP(R, a, 0, 0, "", a->link_update(a->fd(obj), prog2, NULL), "bpf_link_update works");
	STEP(R, a, 0, 0, "", a->detach(obj), "bpf_link__detach works");
	STEP(R, a, 0, 0, "", a->destroy(obj), "bpf_link__destroy works");
	obj = NULL;
	OBS(R, 1, sup_link_gone(id) && sup_attached(cg.fd, 0) == 0, "the link is gone");
out:
	if (obj)
		a->destroy(obj);
	sup_bpffs_umount(&gone);
	R->fd_delta = sup_fd_count() - before;
}

/* ---- cgroup removed ------------------------------------------------------------------- */

/*
 * The steps both "the kernel detached the link" scenarios end with, on the
 * link fd *fd and the object *obj wrapping another fd of the same link:
 * update says ENOLINK, detach (low level and object) still succeeds,
 * destroy and close end the link. *obj and *fd are released.
 */
static void after_kernel_detach(struct lib *a, struct run *R, int *fd, struct bpf_link **obj,
				__u32 id, int new_prog)
{
	STEP(R, a, -ENOLINK, ENOLINK, "", a->link_update(*fd, new_prog, NULL),
	     "bpf_link_update: detached");
	STEP(R, a, 0, 0, "", a->link_detach(*fd), "bpf_link_detach");
	STEP(R, a, 0, 0, "", a->detach(*obj), "bpf_link__detach");
	STEP(R, a, 0, 0, "", a->destroy(*obj), "bpf_link__destroy");
	*obj = NULL;
	SUP_CLOSE(*fd);
	OBS(R, 1, sup_link_gone(id), "the link is gone");
}

static void scen_cgroup(struct lib *a, struct run *R)
{
	struct sup_cgroup victim;
	struct bpf_link *obj = NULL;
	struct bpf_link_info info;
	char path[sizeof(victim.path)];
	int link, fd = -1, i, before = sup_fd_count();
	__u32 id;

	if (sup_cgroup_create(&victim, a->lib == OURS ? "fault-ours" : "fault-ref")) {
		setup_fail(R, "a cgroup to remove", errno);
		return;
	}
	link = a->link_create(prog, victim.fd, BPF_CGROUP_INET_INGRESS, NULL);
	if (link < 0) {
		setup_fail(R, "bpf_link_create", -link);
		sup_cgroup_destroy(&victim);
		return;
	}
	id = sup_link_id(link);
	fd = fcntl(link, F_DUPFD_CLOEXEC, 3); /* the low-level calls use this one */
	obj = wrap(a, R, link);
	STEP(R, a, 0, 0, "", info_of(a, fd, &info), "bpf_link_get_info_by_fd before");
	OBS(R, 1, info.cgroup.cgroup_id == victim.id, "cgroup_id is the cgroup's");

	snprintf(path, sizeof(path), "%s", victim.path);
	sup_cgroup_destroy(&victim); /* close its fd, rmdir */
	OBS(R, 1, access(path, F_OK) != 0 && errno == ENOENT, "the cgroup directory is gone");
	/* The kernel releases the cgroup's programs a little later. */
	for (i = 0; i < 500; i++) {
		if (!info_of(a, fd, &info) && info.cgroup.cgroup_id == 0)
			break;
		usleep(10000);
	}
	STEP(R, a, 0, 0, "", info_of(a, fd, &info), "bpf_link_get_info_by_fd after the rmdir");
	OBS(R, 0, info.cgroup.cgroup_id, "cgroup_id is 0: the kernel detached the link");
	OBS(R, 1, info.id == id, "the link keeps its id");
	after_kernel_detach(a, R, &fd, &obj, id, prog2);
	if (obj)
		a->destroy(obj);
	SUP_CLOSE(fd);
	R->fd_delta = sup_fd_count() - before;
}

/* ---- netns destroyed --------------------------------------------------------------- */

static int send_fd(int sock, int fd)
{
	char c = 'x', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	memset(ctl, 0, sizeof(ctl));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * A child process enters a new network namespace, makes a veth pair and
 * an XDP link on one end with the library under test, sends the link fd
 * here and exits: nothing holds the namespace any more.
 */
static int xdp_link_in_dying_netns(struct lib *a, struct run *R, __u32 *ifindex)
{
	int sv[2], fd, status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)) {
		setup_fail(R, "socketpair", errno);
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int ifi, link;

		close(sv[0]);
		if (sup_netns_enter() || sup_veth_create("hard0", "hard1"))
			_exit(2);
		ifi = sup_ifindex("hard0");
		link = a->link_create(xdp_prog, ifi, BPF_XDP, NULL);
		if (link < 0)
			_exit(3);
		if (write(sv[1], &ifi, sizeof(ifi)) != sizeof(ifi) || send_fd(sv[1], link))
			_exit(4);
		_exit(0);
	}
	close(sv[1]);
	fd = -1;
	if (pid > 0 && read(sv[0], ifindex, sizeof(*ifindex)) == sizeof(*ifindex))
		fd = recv_fd(sv[0]);
	close(sv[0]);
	status = pid > 0 ? sup_child_wait(pid) : -1;
	if (status != 0 || fd < 0) {
		setup_fail(R, "the netns child", status ? EIO : errno);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void scen_netns(struct lib *a, struct run *R)
{
	struct bpf_link *obj = NULL;
	struct bpf_link_info info;
	int link, fd, i, before = sup_fd_count();
	__u32 id, ifindex = 0;
	double t0, t1;
	struct timespec ts;

	link = xdp_link_in_dying_netns(a, R, &ifindex);
	if (link < 0)
		return;
	id = sup_link_id(link);
	fd = fcntl(link, F_DUPFD_CLOEXEC, 3);
	obj = wrap(a, R, link);
	/* The namespace is cleaned up asynchronously (cleanup_net). */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	for (i = 0; i < 1000; i++) {
		if (!info_of(a, fd, &info) && info.xdp.ifindex == 0)
			break;
		usleep(10000);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = ts.tv_sec + ts.tv_nsec / 1e9;
	printf("# [netns] %s: the kernel detached the XDP link %.2f s after the netns owner "
	       "exited\n", a->name, t1 - t0);
	STEP(R, a, 0, 0, "", info_of(a, fd, &info), "bpf_link_get_info_by_fd after the netns died");
	OBS(R, 0, info.xdp.ifindex, "ifindex is 0: the device went with the netns");
	OBS(R, BPF_LINK_TYPE_XDP, info.type, "still an XDP link");
	OBS(R, 1, info.id == id, "with its id");
	after_kernel_detach(a, R, &fd, &obj, id, xdp_prog2);
	(void)ifindex;
	R->fd_delta = sup_fd_count() - before;
}

/* ---- /proc missing (bpflink only) -------------------------------------------------- */

/* Open fds counted without /proc. */
static int count_fds_nofs(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static bool read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static void scen_procfs(void)
{
	struct lib *a = &libs[OURS];
	struct run *R = &runs[OURS];
	int p[2], status;
	pid_t pid;

	memset(R, 0, sizeof(*R));
	/* In a child with a mount namespace of its own, so that /proc goes
	 * away for it alone; the child reports its steps through a pipe. */
	if (pipe2(p, O_CLOEXEC)) {
		setup_fail(R, "pipe", errno);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct bpf_link *l = NULL;
		int link, before;

		close(p[0]);
		/* The kernel ignores source and type for MS_PRIVATE. */
		if (unshare(CLONE_NEWNS) ||
		    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) ||
		    umount2("/proc", MNT_DETACH))
			_exit(2);
		before = count_fds_nofs();
		link = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);
		if (link < 0)
			_exit(3);
		/* The fd is open, so not EBADF: ENOENT, /proc/self/fd missing
		 * (include/bpflink.h). */
		STEP_PTR(R, a, &l, 0, ENOENT, "", a->from_fd(link),
			 "bpflink_link_from_fd(a link fd) without /proc: NULL, ENOENT");
		if (l) {
			OBS(R, 1, 1, "the object owns the fd");
			a->destroy(l);
		} else {
			OBS(R, 1, R->s[0].a.err != HARD_ERRNO_SENTINEL && R->s[0].a.err != 0,
			    "NULL comes with errno set");
			OBS(R, 1, fcntl(link, F_GETFD) >= 0, "the refused fd is still open");
			close(link);
		}
		OBS(R, 1, fcntl(link, F_GETFD) < 0, "the link fd is closed once");
		R->fd_delta = count_fds_nofs() - before;
		if (write(p[1], R, sizeof(*R)) != (ssize_t)sizeof(*R))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || !read_full(p[0], R, sizeof(*R)))
		setup_fail(R, "the child's report", errno);
	close(p[0]);
	status = pid > 0 ? sup_child_wait(pid) : -1;
	if (status)
		snprintf(R->setup_error, sizeof(R->setup_error), "child status 0x%x", status);
	if (R->n && !R->s[0].a.ret)
		printf("# [procfs] bpflink_link_from_fd without /proc: NULL, errno %s\n",
		       hard_errname(R->s[0].a.err));
}

/* ---- main ---------------------------------------------------------------------------- */

static void scenario(const char *name, void (*fn)(struct lib *, struct run *))
{
	int lib;

	for (lib = 0; lib < NLIB; lib++) {
		memset(&runs[lib], 0, sizeof(runs[lib]));
		snprintf(runs[lib].dirtok, sizeof(runs[lib].dirtok), "%s", fs.dir);
		fn(&libs[lib], &runs[lib]);
	}
	report(name, false);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sup_require_root();
	hard_load();

	if (!sup_need("link_cgroup,bpffs_mount", "faults under cgroup links and a bpffs"))
		goto out;
	if (!CHECK(sup_cgroup_create(&cg, "faults") == 0, "fixture: a child cgroup") ||
	    !CHECK(sup_bpffs_mount(&fs) == 0, "fixture: a private bpffs"))
		goto out;
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	prog2 = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 0);
	if (!CHECK(prog >= 0 && prog2 >= 0, "fixture: cgroup_skb programs"))
		goto out;

	if (sup_under_valgrind())
		/* valgrind keeps RLIMIT_NOFILE to itself: the kernel never sees
		 * the lower limit, and it does not check the fds bpf(2) makes. */
		printf("# [emfile] not run under valgrind, which virtualizes "
		       "RLIMIT_NOFILE (it runs in the plain and the ASan builds)\n");
	else
		scenario("emfile", scen_emfile);
	scenario("bpffs", scen_bpffs);
	scenario("cgroup", scen_cgroup);
	/* An XDP link on a veth device in a namespace that dies. */
	if (sup_need("link_xdp,veth", "[netns] the namespace of an XDP link dies")) {
		xdp_prog = sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2);
		xdp_prog2 = sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2);
		if (CHECK(xdp_prog >= 0 && xdp_prog2 >= 0, "fixture: xdp programs"))
			scenario("netns", scen_netns);
		else
			n_failed++;
	} else {
		n_skipped++;
	}
	scen_procfs();
	report("procfs", true);
	printf("# summary: faults: %d scenarios through bpflink and libbpf 1.7.0%s, 1 bpflink only, "
	       "%lu steps, %lu failed\n", (sup_under_valgrind() ? 3 : 4) - n_skipped,
	       n_skipped ? " (netns skipped by its probe)" : "", n_steps, n_failed);
out:
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
	SUP_CLOSE(xdp_prog);
	SUP_CLOSE(xdp_prog2);
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	twin_print_off();
	return sup_done();
}
