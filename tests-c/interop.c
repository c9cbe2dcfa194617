// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Link objects crossing between bpflink and the reference libbpf v1.7.0 in
 * one process, the situation LD_PRELOAD creates: libbpf makes objects
 * (attach, bpf_link__open) that bpflink's functions receive, and the
 * reverse.
 *
 * Both libraries are dlopen()ed with RTLD_LOCAL, as in the differential
 * suite, so each call names the library it goes to; this binary links
 * neither. The reference loads tests-c/bpf/object_progs.bpf.c with its own
 * loader and attaches it with its own attach functions, which makes a
 * plain link (bpf_program__attach_cgroup) and a subclass with callbacks
 * of its own (bpf_program__attach_perf_event: struct bpf_link_perf).
 *
 * Checked every time: the answers, the pin files, the link by id (gone,
 * or kept by a pin or a disconnected fd as expected), and at the end the
 * process's fd count.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "support.h"

#ifndef OURS_SO
#define OURS_SO "build/libbpflink.so.1"
#endif
#ifndef REF_SO
#define REF_SO ".deps/libbpf-1.7.0/lib/libbpf.so.1.7.0"
#endif
#ifndef OBJECT_BPF_O
#define OBJECT_BPF_O "build/bpf/object_progs.bpf.o"
#endif

/* The object functions of one library. */
struct side {
	const char *name;
	void *h;
	__typeof__(&bpf_link__open) open;
	__typeof__(&bpf_link__fd) fd;
	__typeof__(&bpf_link__pin) pin;
	__typeof__(&bpf_link__pin_path) pin_path;
	__typeof__(&bpf_link__unpin) unpin;
	__typeof__(&bpf_link__detach) detach;
	__typeof__(&bpf_link__disconnect) disconnect;
	__typeof__(&bpf_link__destroy) destroy;
	__typeof__(&libbpf_set_print) set_print;
	char log[4096];
	size_t len;
};

static struct side ours = { .name = "bpflink" }, ref = { .name = "libbpf" };
/* bpflink only */
static struct bpf_link *(*ours_from_fd)(int fd);
/* the reference's loader and attach functions */
static __typeof__(&bpf_object__open_file) ref_open_file;
static __typeof__(&bpf_object__load) ref_load;
static __typeof__(&bpf_object__close) ref_close;
static __typeof__(&bpf_object__find_program_by_name) ref_find;
static __typeof__(&bpf_program__attach_cgroup) ref_attach_cgroup;
static __typeof__(&bpf_program__attach_perf_event) ref_attach_perf;

static void *sym(struct side *s, const char *name)
{
	void *p = dlsym(s->h, name);

	if (!p) {
		printf("Bail out! %s: no %s\n", s->name, name);
		exit(1);
	}
	return p;
}

static void load(struct side *s, const char *path)
{
	s->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!s->h) {
		printf("Bail out! dlopen %s: %s\n", path, dlerror());
		exit(1);
	}
	s->open = sym(s, "bpf_link__open");
	s->fd = sym(s, "bpf_link__fd");
	s->pin = sym(s, "bpf_link__pin");
	s->pin_path = sym(s, "bpf_link__pin_path");
	s->unpin = sym(s, "bpf_link__unpin");
	s->detach = sym(s, "bpf_link__detach");
	s->disconnect = sym(s, "bpf_link__disconnect");
	s->destroy = sym(s, "bpf_link__destroy");
	s->set_print = sym(s, "libbpf_set_print");
}

static void capture(struct side *s, enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG && strncmp(fmt, "libbpf: link fd=", 16))
		return; /* the loader's chatter */
	if (s->len + 1 >= sizeof(s->log))
		return;
	n = vsnprintf(s->log + s->len, sizeof(s->log) - s->len, fmt, ap);
	if (n > 0)
		s->len += (size_t)n < sizeof(s->log) - s->len ? (size_t)n : sizeof(s->log) - s->len - 1;
}

static int capture_ours(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	capture(&ours, level, fmt, ap);
	return 0;
}

static int capture_ref(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	capture(&ref, level, fmt, ap);
	return 0;
}

/* A message with its newlines shown as \n, for a case's text. */
static const char *oneline(const char *s)
{
	static char out[8192];
	size_t o = 0;

	for (; *s && o + 3 < sizeof(out); s++) {
		if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *s;
		}
	}
	out[o] = 0;
	return out;
}

static void logs_reset(void)
{
	ours.len = ref.len = 0;
	ours.log[0] = ref.log[0] = 0;
}

/* ------------------------------------------------------------------------ */

static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
static int raw_prog = -1;
static struct bpf_program *prog_a, *prog_perf;

static const char *in_fs(const char *name)
{
	static char paths[4][256];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", fs.dir, name);
	return p;
}

/* A cgroup link made with raw bpf(2) (neither library), or -errno. */
static int raw_link(void)
{
	return sup_link_create_raw(raw_prog, cg.fd, BPF_CGROUP_INET_INGRESS);
}

static int fd_by_id(__u32 id)
{
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_id = id;
	fd = sup_bpf(BPF_LINK_GET_FD_BY_ID, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

/* The kernel's link type of a link fd, -1 if it is not one. */
static int link_type(int fd)
{
	struct bpf_link_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (__u64)(unsigned long)&info;
	return sup_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) ? -1 : (int)info.type;
}

static bool link_alive(__u32 id)
{
	int fd = fd_by_id(id);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool link_gone(__u32 id)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (id && fd_by_id(id) == -ENOENT)
			return true;
		usleep(10000);
	}
	return false;
}

static __u32 attached(__u32 want)
{
	struct sup_query q;
	int i;

	for (i = 0; i < 200; i++) {
		if (sup_prog_query(cg.fd, BPF_CGROUP_INET_INGRESS, &q))
			return 999;
		if (q.count == want)
			break;
		usleep(10000);
	}
	return q.count;
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* A cgroup link object made by libbpf's bpf_program__attach_cgroup. */
static struct bpf_link *ref_cgroup_link(void)
{
	struct bpf_link *l = ref_attach_cgroup(prog_a, cg.fd);

	if (!l)
		printf("# libbpf attach_cgroup: %s\n", strerror(errno));
	return l;
}

/* A link object made by bpflink_link_from_fd around a raw link. */
static struct bpf_link *ours_link(void)
{
	int fd = raw_link();
	struct bpf_link *l;

	if (fd < 0)
		return NULL;
	l = ours_from_fd(fd);
	if (!l)
		close(fd);
	return l;
}

/* ------------------------------------------------------------------------
 * libbpf's objects, bpflink's functions
 */
/* libbpf's perf-event subclass (struct bpf_link_perf, with detach and
 * dealloc callbacks of its own); the link owns the perf event fd. */
static void ref_perf_ours_destroy(void)
{
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK), fd;
	struct bpf_link *l = pfd >= 0 ? ref_attach_perf(prog_perf, pfd) : NULL;
	__u32 id;

	if (CHECK(l != NULL, "libbpf attach_perf_event on a software event")) {
		fd = ours.fd(l);
		CHECK(fd >= 0 && fd != pfd && link_type(fd) == BPF_LINK_TYPE_PERF_EVENT,
		      "bpflink's bpf_link__fd: a perf_event BPF link, not the event");
		id = sup_link_id(fd);
		CHECK_ERR(ours.detach(l), EOPNOTSUPP, "bpflink's detach: perf_event links cannot");
		CHECK_EQ(ours.destroy(l), 0, "bpflink destroys libbpf's perf-event link");
		CHECK(!is_open(fd) && !is_open(pfd),
		      "libbpf's callbacks closed the link and the event");
		CHECK(link_gone(id), "the link is gone");
	} else {
		SUP_CLOSE(pfd);
	}
}

static void ref_made_ours_destroy(void)
{
	char want[512];
	struct bpf_link *l;
	const char *path;
	__u32 id;
	int fd;

	/* A plain attach link: pinned by bpflink, unpinned by libbpf
	 * (which frees the string bpflink allocated), destroyed by bpflink
	 * (which runs libbpf's detach callback). */
	l = ref_cgroup_link();
	if (CHECK(l != NULL, "libbpf attach_cgroup: a link object")) {
		fd = ref.fd(l);
		id = sup_link_id(fd);
		CHECK(id && ours.fd(l) == fd, "bpflink's bpf_link__fd reads libbpf's object (%d)", fd);
		CHECK_EQ(attached(1), 1, "attached to the cgroup");
		path = in_fs("ref_attach");
		logs_reset();
		CHECK_EQ(ours.pin(l, path), 0, "bpflink pins libbpf's object");
		snprintf(want, sizeof(want), "libbpf: link fd=%d: pinned at %s\n", fd, path);
		CHECK(!strcmp(ours.log, want), "bpflink's pin message \"%s\"", oneline(ours.log));
		CHECK(exists(path) && str_eq(ref.pin_path(l), path),
		      "the pin file exists and libbpf's bpf_link__pin_path sees it");
		logs_reset();
		CHECK_EQ(ref.unpin(l), 0, "libbpf unpins it");
		snprintf(want, sizeof(want), "libbpf: link fd=%d: unpinned from %s\n", fd, path);
		CHECK(!strcmp(ref.log, want), "libbpf's unpin message \"%s\"", oneline(ref.log));
		CHECK(!exists(path) && ours.pin_path(l) == NULL, "file gone, no pin path");
		CHECK_EQ(ours.destroy(l), 0, "bpflink destroys libbpf's attach link");
		CHECK(!is_open(fd), "libbpf's detach callback closed the fd");
		CHECK(link_gone(id), "the link is gone");
		CHECK_EQ(attached(0), 0, "nothing attached any more");
	}

	/* bpf_link__open by libbpf, destroy by bpflink: the pin stays. */
	fd = raw_link();
	path = in_fs("ref_open");
	id = sup_link_id(fd);
	if (CHECK(fd >= 0 && sup_obj_pin(fd, path) == 0, "a raw link pinned at %s", path)) {
		SUP_CLOSE(fd);
		l = ref.open(path);
		if (CHECK(l != NULL, "libbpf's bpf_link__open")) {
			CHECK(sup_link_id(ours.fd(l)) == id && str_eq(ours.pin_path(l), path),
			      "bpflink reads its fd and pin path");
			CHECK_EQ(ours.destroy(l), 0, "bpflink destroys libbpf's opened link");
			CHECK(exists(path) && link_alive(id), "the pin keeps the link");
		}
		l = ref.open(path);
		if (CHECK(l != NULL, "libbpf's bpf_link__open again")) {
			CHECK_EQ(ours.unpin(l), 0, "bpflink unpins libbpf's object");
			CHECK(!exists(path) && ours.pin_path(l) == NULL, "pin file and path gone");
			CHECK_EQ(ours.destroy(l), 0, "bpflink destroys it");
			CHECK(link_gone(id), "no pin, no fd: the link is gone");
		}
	}
	SUP_CLOSE(fd);

	if (sup_need("link_perf_event", "libbpf's perf-event link destroyed by bpflink"))
		ref_perf_ours_destroy();

	/* Disconnect by bpflink, destroy by libbpf, and the reverse pair. */
	l = ref_cgroup_link();
	if (CHECK(l != NULL, "libbpf attach_cgroup: another link object")) {
		fd = ref.fd(l);
		id = sup_link_id(fd);
		ours.disconnect(l);
		CHECK_EQ(ref.destroy(l), 0, "bpflink disconnects, libbpf destroys");
		CHECK(is_open(fd) && link_alive(id) && attached(1) == 1,
		      "still attached, its fd left open");
		close(fd);
		CHECK(link_gone(id), "gone once its fd is closed by hand");
	}
	l = ref_cgroup_link();
	if (CHECK(l != NULL, "libbpf attach_cgroup: a third link object")) {
		fd = ref.fd(l);
		id = sup_link_id(fd);
		ours.disconnect(l);
		CHECK_EQ(ours.destroy(l), 0, "bpflink disconnects and destroys libbpf's object");
		CHECK(is_open(fd) && link_alive(id), "still attached, its fd left open");
		close(fd);
		CHECK(link_gone(id), "gone once its fd is closed by hand");
	}
}

/* ------------------------------------------------------------------------
 * bpflink's objects, libbpf's functions
 */
static void ours_made_ref_destroy(void)
{
	char want[512];
	struct bpf_link *l, *r;
	const char *path;
	__u32 id;
	int fd;

	/* bpf_link__open by bpflink, unpin and destroy by libbpf. */
	fd = raw_link();
	path = in_fs("ours_open");
	id = sup_link_id(fd);
	if (CHECK(fd >= 0 && sup_obj_pin(fd, path) == 0, "a raw link pinned at %s", path)) {
		SUP_CLOSE(fd);
		l = ours.open(path);
		if (CHECK(l != NULL, "bpflink's bpf_link__open")) {
			fd = ours.fd(l);
			CHECK(ref.fd(l) == fd && sup_link_id(fd) == id && str_eq(ref.pin_path(l), path),
			      "libbpf reads its fd and pin path");
			logs_reset();
			CHECK_EQ(ref.unpin(l), 0, "libbpf unpins bpflink's object");
			snprintf(want, sizeof(want), "libbpf: link fd=%d: unpinned from %s\n", fd, path);
			CHECK(!strcmp(ref.log, want), "libbpf's unpin message \"%s\"", oneline(ref.log));
			CHECK(!exists(path), "the pin file is gone");
			CHECK_EQ(ref.destroy(l), 0, "libbpf destroys bpflink's opened link");
			CHECK(!is_open(fd), "bpflink's detach callback closed the fd");
			CHECK(link_gone(id), "the link is gone");
			fd = -1;
		}
	}
	SUP_CLOSE(fd);

	/* bpflink_link_from_fd, pinned by libbpf, unpinned by bpflink,
	 * detached and destroyed by libbpf. */
	l = ours_link();
	if (CHECK(l != NULL, "bpflink_link_from_fd")) {
		fd = ours.fd(l);
		id = sup_link_id(fd);
		path = in_fs("ours_fd");
		logs_reset();
		CHECK_EQ(ref.pin(l, path), 0, "libbpf pins bpflink's object");
		snprintf(want, sizeof(want), "libbpf: link fd=%d: pinned at %s\n", fd, path);
		CHECK(!strcmp(ref.log, want), "libbpf's pin message \"%s\"", oneline(ref.log));
		CHECK(exists(path) && str_eq(ours.pin_path(l), path), "bpflink sees the pin path");
		CHECK_EQ(ours.unpin(l), 0, "bpflink unpins it (frees libbpf's string)");
		CHECK(!exists(path) && ref.pin_path(l) == NULL, "file and path gone");
		CHECK_EQ(ref.detach(l), 0, "libbpf's bpf_link__detach");
		CHECK_EQ(attached(0), 0, "detached from the cgroup");
		CHECK_EQ(ref.destroy(l), 0, "libbpf destroys bpflink's object");
		CHECK(!is_open(fd) && link_gone(id), "fd closed, link gone");
	}

	/* Disconnect by libbpf, destroy by bpflink. */
	l = ours_link();
	if (CHECK(l != NULL, "bpflink_link_from_fd again")) {
		fd = ours.fd(l);
		id = sup_link_id(fd);
		ref.disconnect(l);
		CHECK_EQ(ours.destroy(l), 0, "libbpf disconnects, bpflink destroys");
		CHECK(is_open(fd) && link_alive(id), "still attached, its fd left open");
		close(fd);
		CHECK(link_gone(id), "gone once its fd is closed by hand");
	}

	/* Pinned by one library, opened by the other, both ways. */
	l = ours_link();
	path = in_fs("cross1");
	if (CHECK(l != NULL && ours.pin(l, path) == 0, "bpflink pins a link at %s", path)) {
		id = sup_link_id(ours.fd(l));
		r = ref.open(path);
		if (CHECK(r != NULL && sup_link_id(ref.fd(r)) == id,
			  "libbpf opens bpflink's pin: the same link")) {
			CHECK_EQ(ref.unpin(r), 0, "libbpf unpins it");
			CHECK(!exists(path), "the file is gone");
			CHECK(str_eq(ours.pin_path(l), path),
			      "bpflink's object still remembers its path (objects are independent)");
			CHECK_ERR(ours.unpin(l), ENOENT, "bpflink's unpin: the file is not there");
			CHECK_EQ(ours.destroy(l), 0, "bpflink destroys its object");
			l = NULL;
			CHECK(link_alive(id), "libbpf's object still holds the link");
			CHECK_EQ(ref.destroy(r), 0, "libbpf destroys its object");
			CHECK(link_gone(id), "the link is gone");
		}
	}
	if (l)
		ours.destroy(l);

	r = ref_cgroup_link();
	path = in_fs("cross2");
	if (CHECK(r != NULL && ref.pin(r, path) == 0, "libbpf pins its attach link at %s", path)) {
		id = sup_link_id(ref.fd(r));
		l = ours.open(path);
		if (CHECK(l != NULL && sup_link_id(ours.fd(l)) == id,
			  "bpflink opens libbpf's pin: the same link")) {
			CHECK_EQ(ours.unpin(l), 0, "bpflink unpins it");
			CHECK_EQ(ref.destroy(r), 0, "libbpf destroys its object");
			r = NULL;
			CHECK(link_alive(id) && attached(1) == 1, "bpflink's object holds the link");
			CHECK_EQ(ours.destroy(l), 0, "bpflink destroys its object");
			CHECK(link_gone(id), "the link is gone");
			CHECK_EQ(attached(0), 0, "nothing attached any more");
		}
	}
	if (r)
		ref.destroy(r);
}

int main(void)
{
	struct bpf_object *obj = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sup_require_root();
	load(&ours, OURS_SO);
	load(&ref, REF_SO);
	ours_from_fd = sym(&ours, "bpflink_link_from_fd");
	ref_open_file = sym(&ref, "bpf_object__open_file");
	ref_load = sym(&ref, "bpf_object__load");
	ref_close = sym(&ref, "bpf_object__close");
	ref_find = sym(&ref, "bpf_object__find_program_by_name");
	ref_attach_cgroup = sym(&ref, "bpf_program__attach_cgroup");
	ref_attach_perf = sym(&ref, "bpf_program__attach_perf_event");
	ours.set_print(capture_ours);
	ref.set_print(capture_ref);

	/* libbpf loads every program of the object: XDP and perf_event too. */
	if (!sup_need("link_cgroup,bpffs_mount,prog_xdp,prog_perf_event",
		      "link objects crossing between the libraries"))
		goto out;
	raw_prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (!CHECK(raw_prog >= 0 && sup_cgroup_create(&cg, "interop") == 0 &&
			   sup_bpffs_mount(&fs) == 0,
		   "a raw program, a child cgroup and a private bpffs"))
		goto out;
	obj = ref_open_file(OBJECT_BPF_O, NULL);
	if (!CHECK(obj != NULL, "libbpf opens %s", OBJECT_BPF_O))
		goto out;
	prog_a = ref_find(obj, "obj_ingress_a");
	prog_perf = ref_find(obj, "obj_perf");
	if (!CHECK(prog_a && prog_perf && ref_load(obj) == 0, "libbpf loads it")) {
		printf("# libbpf said: %s\n", oneline(ref.log));
		goto out;
	}

	ref_made_ours_destroy();
	ours_made_ref_destroy();
	CHECK_EQ(attached(0), 0, "nothing left attached to the cgroup");
out:
	if (obj)
		ref_close(obj);
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	SUP_CLOSE(raw_prog);
	return sup_done();
}
