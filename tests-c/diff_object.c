// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The link object functions, bpflink against libbpf: bpf_link__open,
 * __fd, __pin_path, __pin, __unpin, __detach, __disconnect and __destroy,
 * on a private bpffs, success and error paths.
 *
 * These calls act on a state that outlives one call (an object, its pin
 * file, the bpffs), so a case here is a scenario: a series of steps run
 * first entirely through bpflink, then, from the same starting state,
 * entirely through libbpf, and compared step by step. Both runs use the
 * same paths and start from the same fd table, so the texts of the
 * messages (which carry paths and fd numbers) must match exactly. Each
 * step compares what diff_call() compares (return value, errno, messages,
 * and the bpf(2) calls with their attrs); each observation between steps
 * (the files and directories on the bpffs and in a directory off it, pin
 * paths, whether an fd is still open, what a callback was called with)
 * is compared as text.
 *
 * One thing cannot be compared byte for byte: the path pointer in the
 * attr of BPF_OBJ_PIN / BPF_OBJ_GET. It is replaced by what it points to:
 * 1 = the caller's path argument, 2 = the object's own pin_path copy,
 * 3 = some other pointer (a copy freed after a failed pin).
 *
 * Left out, because libbpf dereferences them and crashes: a NULL link
 * anywhere but bpf_link__destroy, and a NULL path for bpf_link__pin.
 * bpflink's answers there (EINVAL) are checked by test_object.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/btf.h>
#include <linux/perf_event.h>

#include "diff_groups.h"
#include "support.h"

#define MAX_STEPS 64
#define MAX_OBS 48
#define OBS_LEN 1024

/* ---- one run of a scenario --------------------------------------------- */

struct run {
	int n, nobs;
	struct result res[MAX_STEPS];
	char desc[MAX_STEPS][160];
	char obs[MAX_OBS][OBS_LEN];
	char obsdesc[MAX_OBS][160];
};

static struct run runs[NLIB];

static struct result *step_open(struct run *R, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct result *step_open(struct run *R, const char *fmt, ...)
{
	static struct result spare;
	va_list ap;

	if (R->n >= MAX_STEPS)
		return &spare; /* counted: the step counts differ or overflow */
	va_start(ap, fmt);
	vsnprintf(R->desc[R->n], sizeof(R->desc[0]), fmt, ap);
	va_end(ap);
	return &R->res[R->n++];
}

/* The path pointer of BPF_OBJ_PIN / BPF_OBJ_GET (attr offset 0) becomes a
 * token naming what it points to (see the top of the file). */
static void step_end(int lib, struct result *r, long ret, const char *arg_path,
		     const struct bpf_link *obj)
{
	int i;

	call_end(lib, r, ret);
	for (i = 0; i < r->rec.n; i++) {
		struct rec *x = &r->rec.r[i];
		__u64 p, tok;

		if ((x->cmd != BPF_OBJ_PIN && x->cmd != BPF_OBJ_GET) || x->size < 8)
			continue;
		memcpy(&p, x->attr, 8);
		if (!p)
			tok = 0;
		else if (p == (__u64)(uintptr_t)arg_path)
			tok = 1;
		else if (obj && p == (__u64)(uintptr_t)libs[lib].pin_path(obj))
			tok = 2;
		else
			tok = 3;
		memcpy(x->attr, &tok, 8);
	}
	errno = 0;
}

/*
 * STEP(R, lib, obj, path, expr, "desc", ...): one compared call. `obj` is
 * the object the call works on if it is still alive afterwards (NULL
 * otherwise), `path` the path argument, if any: both serve only to name
 * the pointer in a pin/get attr.
 */
#define STEP(R, LIB, OBJ, PATH, EXPR, ...)                                         \
	do {                                                                       \
		struct result *__r = step_open(R, __VA_ARGS__);                   \
		long __v;                                                          \
		call_begin(LIB, __r);                                              \
		__v = (long)(EXPR);                                                \
		step_end(LIB, __r, __v, PATH, OBJ);                                \
	} while (0)

static void note(struct run *R, const char *desc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct run *R, const char *desc, const char *fmt, ...)
{
	va_list ap;

	if (R->nobs >= MAX_OBS)
		return;
	snprintf(R->obsdesc[R->nobs], sizeof(R->obsdesc[0]), "%s", desc);
	va_start(ap, fmt);
	vsnprintf(R->obs[R->nobs], OBS_LEN, fmt, ap);
	va_end(ap);
	R->nobs++;
}

/* ---- fixtures ----------------------------------------------------------- */

static struct sup_bpffs fs;
static struct sup_cgroup cg = { .fd = -1 };
static char tmpdir[64];
static int cg_prog = -1, perf_prog = -1, iter_prog = -1;

/* A path on the bpffs, and one in the directory off it. */
#define P(name) sup_path(fs.dir, name)
#define T(name) sup_path(tmpdir, name)

static __u32 pinned_ids[8];
static int n_pinned;

/* Pins a new link at `name` and lets go of its fd: the pin holds it. */
static bool pin_new_link(int prog, int target, enum bpf_attach_type type, const char *name)
{
	int fd = sup_link_create_raw(prog, target, type);
	bool ok;

	if (!group_check(fd >= 0, "link_create for %s: %s", name, strerror(-fd)))
		return false;
	if (n_pinned < 8)
		pinned_ids[n_pinned++] = sup_link_id(fd);
	note_link_id(sup_link_id(fd));
	ok = group_check(sup_obj_pin(fd, P(name)) == 0, "pin %s: %s", name, strerror(errno));
	close(fd);
	return ok;
}

static int perf_fd = -1;

/* Removes a directory tree's contents (not the directory itself). */
static void empty_dir(const char *dir)
{
	struct dirent *e;
	char path[1024];
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode)) {
			empty_dir(path);
			rmdir(path);
		} else {
			unlink(path);
		}
	}
	closedir(d);
}

/* Empties both directories and checks that the links pinned for the run
 * are gone (a leftover fd or pin would make the next run differ). */
static void reset(void)
{
	int i;

	if (chdir("/"))
		group_check(false, "chdir /: %s", strerror(errno));
	empty_dir(fs.dir);
	empty_dir(tmpdir);
	SUP_CLOSE(perf_fd);
	for (i = 0; i < n_pinned; i++)
		group_check(sup_link_gone(pinned_ids[i]), "link %u still alive after a run",
			    pinned_ids[i]);
	n_pinned = 0;
}

/* Files and directories under dir, sorted: "name type mode" lines. */
static void tree(const char *dir, const char *prefix, char *out, size_t len)
{
	struct dirent **names;
	char path[1024], sub[512];
	struct stat st;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(out + strlen(out), len - strlen(out), "(%s: %s) ", dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (strcmp(name, ".") && strcmp(name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			snprintf(sub, sizeof(sub), "%s%s", prefix, name);
			if (lstat(path, &st))
				memset(&st, 0, sizeof(st));
			snprintf(out + strlen(out), len - strlen(out), "%s %c %o; ", sub,
				 S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'f',
				 st.st_mode & 07777);
			if (S_ISDIR(st.st_mode)) {
				strncat(sub, "/", sizeof(sub) - strlen(sub) - 1);
				tree(path, sub, out, len);
			}
		}
		free(names[i]);
	}
	free(names);
}

static void note_files(struct run *R, const char *when)
{
	char out[OBS_LEN] = "bpffs: ", desc[160];

	tree(fs.dir, "", out, sizeof(out));
	snprintf(out + strlen(out), sizeof(out) - strlen(out), "| tmp: ");
	tree(tmpdir, "", out, sizeof(out));
	snprintf(desc, sizeof(desc), "files %s", when);
	note(R, desc, "%s", out);
}

static void note_pin_path(struct run *R, int lib, const struct bpf_link *o, const char *when)
{
	const char *p = libs[lib].pin_path(o);
	char desc[200];

	snprintf(desc, sizeof(desc), "pin_path %s", when);
	note(R, desc, "%s", p ? p : "(NULL)");
}

/* Which kind of bpf object an fd is, as its anon inode is named
 * ("bpf-link", "bpf-map", "bpf-prog"); for a link, whether it is the
 * one pinned first for the run. */
static const char *kind_of(int fd, __u32 want_id)
{
	static char out[96];
	char proc[64], target[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n < 0)
		return "no fd";
	target[n] = 0;
	snprintf(out, sizeof(out), "%s%s", target,
		 !strcmp(target, "anon_inode:bpf-link") && sup_link_id(fd) == want_id ?
			 " (the pinned link)" : "");
	return out;
}

/* ---- scenarios ---------------------------------------------------------- */

/* What the fixtures need: cgroup, perf_event and iterator links, and a
 * bpffs to pin them on. */
#define OBJECT_PROBES "link_cgroup,bpffs_mount,link_perf_event,iter_bpf_map"

static void scenario(const char *name, void (*setup)(int lib), void (*body)(int lib, struct run *R))
{
	static struct result pair[NLIB];
	/* An int-returning function that does not return an fd: the results
	 * are compared as they are. */
	struct call c = { .fn = FN_DETACH };
	int lib, i, n;

	if (!group_begin_need(name, OBJECT_PROBES))
		return;
	for (lib = 0; lib < NLIB; lib++) {
		memset(&runs[lib], 0, sizeof(runs[lib]));
		if (setup)
			setup(lib);
		body(lib, &runs[lib]);
		reset();
	}
	group_check(runs[OURS].n == runs[REF].n && runs[OURS].nobs == runs[REF].nobs,
		    "the runs took different paths (%d/%d steps, %d/%d observations)",
		    runs[OURS].n, runs[REF].n, runs[OURS].nobs, runs[REF].nobs);
	n = runs[OURS].n < runs[REF].n ? runs[OURS].n : runs[REF].n;
	for (i = 0; i < n; i++) {
		group_check(!strcmp(runs[OURS].desc[i], runs[REF].desc[i]),
			    "step %d is \"%s\" in one run, \"%s\" in the other", i,
			    runs[OURS].desc[i], runs[REF].desc[i]);
		pair[OURS] = runs[OURS].res[i];
		pair[REF] = runs[REF].res[i];
		diff_results(&c, pair, runs[OURS].desc[i]);
	}
	n = runs[OURS].nobs < runs[REF].nobs ? runs[OURS].nobs : runs[REF].nobs;
	for (i = 0; i < n; i++)
		diff_values(runs[OURS].obs[i], runs[REF].obs[i], "%s", runs[OURS].obsdesc[i]);
	group_end();
}

/* A cgroup link pinned at "src", a map at "map", a program at "prog", a
 * plain file in the directory off the bpffs. */
static void setup_open(int lib)
{
	int map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1), f;

	(void)lib;
	pin_new_link(cg_prog, cg.fd, BPF_CGROUP_INET_INGRESS, "src");
	group_check(map >= 0 && sup_obj_pin(map, P("map")) == 0, "pinned map");
	group_check(sup_obj_pin(cg_prog, P("prog")) == 0, "pinned program");
	group_check(mkdir(P("dir"), 0700) == 0, "a directory on the bpffs");
	f = open(T("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	group_check(f >= 0, "a plain file");
	SUP_CLOSE(f);
	SUP_CLOSE(map);
}

/* Opens `path` and, if that gave an object, describes and destroys it. */
static void open_case(int lib, struct run *R, const char *path, const char *what)
{
	struct bpf_link *o = NULL;
	const char *pp = NULL;
	char desc[160];
	int fd = -1;

	STEP(R, lib, NULL, path, (o = libs[lib].open(path)) != NULL, "open(%s)", what);
	if (!o)
		return;
	STEP(R, lib, o, NULL, fd = libs[lib].fd(o), "fd(open(%s))", what);
	STEP(R, lib, o, NULL, (pp = libs[lib].pin_path(o)) != NULL, "pin_path(open(%s))", what);
	snprintf(desc, sizeof(desc), "open(%s): pin_path is a copy of the argument", what);
	note(R, desc, "%s, %s", pp ? pp : "(NULL)", pp == path ? "same pointer" : "a copy");
	snprintf(desc, sizeof(desc), "open(%s): what the fd is", what);
	note(R, desc, "%s, cloexec %d", kind_of(fd, pinned_ids[0]), sup_fd_cloexec(fd));
	STEP(R, lib, NULL, NULL, libs[lib].destroy(o), "destroy(open(%s))", what);
	snprintf(desc, sizeof(desc), "open(%s): fd after destroy", what);
	note(R, desc, "%s", sup_fd_open(fd) ? "open" : "closed");
}

static void body_open(int lib, struct run *R)
{
	char longname[320];

	open_case(lib, R, P("src"), "pinned cgroup link");
	open_case(lib, R, P("missing"), "missing file");
	open_case(lib, R, NULL, "NULL");
	open_case(lib, R, "", "\"\"");
	open_case(lib, R, T("file"), "plain file off the bpffs");
	open_case(lib, R, tmpdir, "directory off the bpffs");
	open_case(lib, R, P("dir"), "directory on the bpffs");
	open_case(lib, R, P("map"), "pinned map");
	open_case(lib, R, P("prog"), "pinned program");
	open_case(lib, R, P("src/"), "pinned link with a trailing slash");
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	open_case(lib, R, P(longname), "name longer than NAME_MAX");
	if (!group_check(chdir(fs.dir) == 0, "chdir to the bpffs"))
		return;
	open_case(lib, R, "src", "relative path");
	if (chdir("/"))
		group_check(false, "chdir /");
	note_files(R, "after the opens");
}

/* For pin and unpin: the cgroup link at "src", a map pinned at "taken",
 * a dangling symlink off the bpffs. */
static void setup_pin(int lib)
{
	int map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);

	(void)lib;
	pin_new_link(cg_prog, cg.fd, BPF_CGROUP_INET_INGRESS, "src");
	group_check(map >= 0 && sup_obj_pin(map, P("taken")) == 0, "pinned map");
	group_check(symlink("/nonexistent-bpflink-target", T("dangling")) == 0, "dangling symlink");
	SUP_CLOSE(map);
}

static void pin_case(int lib, struct run *R, struct bpf_link *o, const char *path,
		     const char *what)
{
	char desc[160];

	STEP(R, lib, o, path, libs[lib].pin(o, path), "pin(%s)", what);
	snprintf(desc, sizeof(desc), "after pin(%s)", what);
	note_pin_path(R, lib, o, desc);
}

static void body_pin(int lib, struct run *R)
{
	char longdir[300], longname[320];
	struct bpf_link *o = NULL;
	int fd;

	STEP(R, lib, NULL, P("src"), (o = libs[lib].open(P("src"))) != NULL, "open(src)");
	if (!o)
		return;
	fd = libs[lib].fd(o);

	/* bpf_link__open remembers the path: the object counts as pinned. */
	pin_case(lib, R, o, P("other"), "opened object: already pinned");
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin(opened object)");
	note_files(R, "after unpin");
	note_pin_path(R, lib, o, "after unpin");
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin again");

	pin_case(lib, R, o, P("taken"), "a file exists there");
	pin_case(lib, R, o, P("newdir/link"), "one directory level missing");
	note_files(R, "after the pin in a new directory");
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin from the new directory");
	pin_case(lib, R, o, P("a/b/link"), "two directory levels missing");
	pin_case(lib, R, o, T("link"), "directory off the bpffs");
	pin_case(lib, R, o, T("sub/link"), "missing directory off the bpffs");
	pin_case(lib, R, o, T("dangling/link"), "directory is a dangling symlink");
	pin_case(lib, R, o, "", "\"\" with cwd /");
	pin_case(lib, R, o, "/", "\"/\"");
	pin_case(lib, R, o, P(""), "the bpffs directory with a trailing slash");
	pin_case(lib, R, o, P("taken/link"), "under a pinned map");
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = 0;
	snprintf(longname, sizeof(longname), "%s/link", longdir);
	pin_case(lib, R, o, P(longname), "directory name longer than NAME_MAX");
	pin_case(lib, R, o, P(longdir), "file name longer than NAME_MAX");
	note_files(R, "after the refused pins");

	if (group_check(chdir(fs.dir) == 0, "chdir to the bpffs")) {
		pin_case(lib, R, o, "relative", "relative path, cwd on the bpffs");
		STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin(relative)");
		if (chdir("/"))
			group_check(false, "chdir /");
	}

	/* unlink fails: the pin path is kept. */
	pin_case(lib, R, o, P("vanishing"), "vanishing");
	unlink(P("vanishing"));
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin after the file was removed");
	note_pin_path(R, lib, o, "after the failed unpin");
	pin_case(lib, R, o, P("elsewhere"), "after the failed unpin");
	group_check(sup_obj_pin(fd, P("vanishing")) == 0, "re-pin by hand");
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin after the file came back");
	note_pin_path(R, lib, o, "after the second unpin");

	/* A directory where the pin was: unlink gives EISDIR. */
	pin_case(lib, R, o, P("becomes_dir"), "becomes_dir");
	unlink(P("becomes_dir"));
	group_check(mkdir(P("becomes_dir"), 0700) == 0, "mkdir over the old pin");
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin when the path is a directory now");
	note_pin_path(R, lib, o, "after unpin of a directory");
	rmdir(P("becomes_dir"));
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin when the path is gone");
	group_check(sup_obj_pin(fd, P("becomes_dir")) == 0, "re-pin by hand");
	STEP(R, lib, o, NULL, libs[lib].unpin(o), "unpin once the file is back");

	pin_case(lib, R, o, P("final"), "a last pin");
	note_files(R, "at the end");
	STEP(R, lib, NULL, NULL, libs[lib].destroy(o), "destroy(pinned object)");
	note_files(R, "after destroy (the pin stays)");
}

/* The cgroup link at "src", a perf_event link at "perf", an iterator
 * link at "iter". */
static void setup_detach(int lib)
{
	int btf = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);

	(void)lib;
	pin_new_link(cg_prog, cg.fd, BPF_CGROUP_INET_INGRESS, "src");
	perf_fd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	if (group_check(perf_fd >= 0, "perf event"))
		pin_new_link(perf_prog, perf_fd, BPF_PERF_EVENT, "perf");
	if (group_check(btf > 0, "bpf_iter_bpf_map BTF id"))
		pin_new_link(iter_prog, 0, BPF_TRACE_ITER, "iter");
}

static void body_detach(int lib, struct run *R)
{
	static const char *const names[] = { "src", "perf", "iter", "src" };
	struct bpf_link *o = NULL;
	struct sup_query q;
	char desc[160];
	int fd, i;

	for (i = 0; i < 3; i++) {
		STEP(R, lib, NULL, P(names[i]), (o = libs[lib].open(P(names[i]))) != NULL,
		     "open(%s)", names[i]);
		if (!o)
			continue;
		fd = libs[lib].fd(o);
		STEP(R, lib, o, NULL, libs[lib].detach(o), "detach(%s)", names[i]);
		snprintf(desc, sizeof(desc), "%s after detach: programs on the cgroup", names[i]);
		note(R, desc, "%d", sup_prog_query(cg.fd, BPF_CGROUP_INET_INGRESS, &q) ? -1
			: (int)q.count);
		STEP(R, lib, o, NULL, libs[lib].detach(o), "detach(%s) again", names[i]);
		STEP(R, lib, o, NULL, libs[lib].fd(o), "fd(%s) after detach", names[i]);
		STEP(R, lib, NULL, NULL, libs[lib].destroy(o), "destroy(%s) after detach", names[i]);
		snprintf(desc, sizeof(desc), "%s: fd after destroy", names[i]);
		note(R, desc, "%s", sup_fd_open(fd) ? "open" : "closed");
	}

	/* Disconnected: destroy leaves the fd open. */
	STEP(R, lib, NULL, P("perf"), (o = libs[lib].open(P("perf"))) != NULL, "open(perf) again");
	if (o) {
		fd = libs[lib].fd(o);
		STEP(R, lib, o, NULL, (libs[lib].disconnect(o), 0), "disconnect");
		STEP(R, lib, NULL, NULL, libs[lib].destroy(o), "destroy(disconnected)");
		note(R, "disconnected: fd after destroy", "%s", sup_fd_open(fd) ? "open" : "closed");
		SUP_CLOSE(fd);
	}

	/* The fd was closed behind the object's back: close fails. */
	STEP(R, lib, NULL, P("iter"), (o = libs[lib].open(P("iter"))) != NULL, "open(iter) again");
	if (o) {
		close(libs[lib].fd(o));
		STEP(R, lib, o, NULL, libs[lib].detach(o), "detach of a closed fd");
		STEP(R, lib, NULL, NULL, libs[lib].destroy(o), "destroy with its fd already closed");
	}

	/* What destroy accepts and ignores. */
	STEP(R, lib, NULL, NULL, libs[lib].destroy(NULL), "destroy(NULL)");
	STEP(R, lib, NULL, NULL, libs[lib].destroy((struct bpf_link *)(intptr_t)-EINVAL),
	     "destroy(ERR_PTR(-EINVAL))");
	STEP(R, lib, NULL, NULL, libs[lib].destroy((struct bpf_link *)(intptr_t)-4095),
	     "destroy(ERR_PTR(-4095))");
}

/* ---- objects of other shapes through each library's destroy --------- */

/* A subclass of libbpf's struct bpf_link (support.h: struct lb_link). */
struct sub_link {
	struct lb_link link;
	int map_fd;
};

static struct {
	int detach_calls, dealloc_calls, detach_ret;
	bool pin_path_seen;
} cb;

static int sub_detach(struct lb_link *l)
{
	cb.detach_calls++;
	cb.pin_path_seen = l->pin_path != NULL;
	if (cb.detach_ret == 1000)
		return close(l->fd);
	return cb.detach_ret;
}

static void sub_dealloc(struct lb_link *l)
{
	cb.dealloc_calls++;
	free(l);
}

static void body_subclass(int lib, struct run *R)
{
	static const struct {
		const char *what;
		int ret;       /* detach's result (1000: close the fd, which is closed) */
		bool detach, dealloc, disconnect;
	} k[] = {
		{ "detach 0, dealloc", 0, true, true, false },
		{ "detach -EIO, dealloc", -EIO, true, true, false },
		{ "detach -1 from close() (struct_ops)", 1000, true, true, false },
		{ "detach -1", -1, true, false, false },
		{ "detach 1 (positive)", 1, true, true, false },
		{ "detach -4096", -4096, true, true, false },
		{ "disconnected", 0, true, true, true },
		{ "no detach", 0, false, true, false },
		{ "no detach, no dealloc", 0, false, false, false },
	};
	char desc[160];
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct sub_link *s = calloc(1, sizeof(*s));

		if (!group_check(s != NULL, "calloc"))
			return;
		memset(&cb, 0, sizeof(cb));
		cb.detach_ret = k[i].ret;
		s->link.detach = k[i].detach ? sub_detach : NULL;
		s->link.dealloc = k[i].dealloc ? sub_dealloc : NULL;
		s->link.fd = k[i].ret == 1000 ? 987 : -1; /* 987: not open */
		s->link.pin_path = strdup("/nowhere/sub");
		s->map_fd = -1;
		STEP(R, lib, (struct bpf_link *)s, NULL, libs[lib].fd((struct bpf_link *)s),
		     "%s: fd", k[i].what);
		if (k[i].disconnect)
			libs[lib].disconnect((struct bpf_link *)s);
		STEP(R, lib, NULL, NULL, libs[lib].destroy((struct bpf_link *)s), "%s: destroy",
		     k[i].what);
		snprintf(desc, sizeof(desc), "%s: callbacks", k[i].what);
		note(R, desc, "detach %d (pin_path set: %d), dealloc %d", cb.detach_calls,
		     cb.pin_path_seen, cb.dealloc_calls);
	}
}

static void scenarios(void)
{
	scenario("link objects: bpf_link__open, __fd, __pin_path, __destroy", setup_open,
		 body_open);
	scenario("link objects: bpf_link__pin, __unpin, __pin_path", setup_pin, body_pin);
	scenario("link objects: bpf_link__detach, __disconnect, __destroy", setup_detach,
		 body_detach);
	scenario("link objects: other shapes (callbacks) through __destroy", NULL, body_subclass);
}

void groups_object(void)
{
	int btf;

	if (!group_begin_need("link objects: fixtures", OBJECT_PROBES)) {
		/* Each scenario is skipped the same way, under its own name. */
		scenarios();
		return;
	}
	if (!group_check(twin_has(TWIN_OBJECT), "object functions missing in a library"))
		goto out;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpflink-diffobj-XXXXXX");
	if (!group_check(mkdtemp(tmpdir) != NULL, "mkdtemp: %s", strerror(errno))) {
		tmpdir[0] = 0;
		goto out;
	}
	btf = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);
	cg_prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	perf_prog = sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
	iter_prog = btf > 0 ? sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf, 0) : -1;
	if (!group_check(cg_prog >= 0 && perf_prog >= 0 && iter_prog >= 0, "programs") ||
	    !group_check(sup_cgroup_create(&cg, "diffobj") == 0, "cgroup") ||
	    !group_check(sup_bpffs_mount(&fs) == 0, "bpffs"))
		goto out;
	/* Both libraries report to the suite's capturing callbacks. */
	twin_capture();
	group_end();

	scenarios();

	group_begin("link objects: clean-up");
	group_check(true, "%s", "clean-up");
out:
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	SUP_CLOSE(cg_prog);
	SUP_CLOSE(perf_prog);
	SUP_CLOSE(iter_prog);
	if (tmpdir[0])
		group_check(rmdir(tmpdir) == 0, "rmdir %s: %s", tmpdir, strerror(errno));
	group_end();
}
