// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Link objects crossing between bpflink and the reference libbpf v1.7.0 in
 * one process, the situation LD_PRELOAD creates: libbpf makes objects
 * (attach, bpf_link__open) that bpflink's functions receive, and the
 * reverse.
 *
 * Both libraries are dlopen()ed with RTLD_LOCAL side by side (twin.h), as
 * in the differential suite, so each call names the library it goes to;
 * this binary links neither. The reference loads tests-c/bpf/object_progs.bpf.c with its own
 * loader and attaches it with its own attach functions, which makes a
 * plain link (bpf_program__attach_cgroup) and a subclass with callbacks
 * of its own (bpf_program__attach_perf_event: struct bpf_link_perf).
 *
 * Checked every time: the answers, the pin files, the link by id (gone,
 * or kept by a pin or a disconnected fd as expected), and at the end the
 * process's fd count.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <linux/perf_event.h>

#include "support.h"
#include "twin.h"

#ifndef OBJECT_BPF_O
#define OBJECT_BPF_O "build/bpf/object_progs.bpf.o"
#endif

/* The two libraries (twin.h). */
static struct lib *const ours = &libs[OURS], *const ref = &libs[REF];

/* Both logs emptied, before a call whose messages a case checks. */
static void logs_reset(void)
{
	twin_log_reset(ours);
	twin_log_reset(ref);
}

/* The one message a pin or an unpin gives ("pinned at", "unpinned
 * from"), as the capture records it. */
static const char *pin_msg(const char *what, int fd, const char *path)
{
	static char want[512];

	snprintf(want, sizeof(want), "<%d>libbpf: link fd=%d: %s %s\n", LIBBPF_DEBUG, fd, what,
		 path);
	return want;
}

/* ------------------------------------------------------------------------ */

static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
/* A path on the bpffs (support.h: sup_path). */
#define in_fs(name) sup_path(fs.dir, name)
static int raw_prog = -1;
static struct bpf_program *prog_a, *prog_perf;

/* A cgroup link made with raw bpf(2) (neither library), or -errno. */
static int raw_link(void)
{
	return sup_link_create_raw(raw_prog, cg.fd, BPF_CGROUP_INET_INGRESS);
}

/* A cgroup link object made by libbpf's bpf_program__attach_cgroup. */
static struct bpf_link *ref_cgroup_link(void)
{
	struct bpf_link *l = ref->attach_cgroup(prog_a, cg.fd);

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
	l = ours->from_fd(fd);
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
	struct bpf_link *l = pfd >= 0 ? ref->attach_perf_event(prog_perf, pfd) : NULL;
	__u32 id;

	if (CHECK(l != NULL, "libbpf attach_perf_event on a software event")) {
		fd = ours->fd(l);
		CHECK(fd >= 0 && fd != pfd && sup_link_type(fd) == BPF_LINK_TYPE_PERF_EVENT,
		      "bpflink's bpf_link__fd: a perf_event BPF link, not the event");
		id = sup_link_id(fd);
		CHECK_ERR(ours->detach(l), EOPNOTSUPP, "bpflink's detach: perf_event links cannot");
		CHECK_EQ(ours->destroy(l), 0, "bpflink destroys libbpf's perf-event link");
		CHECK(!sup_fd_open(fd) && !sup_fd_open(pfd),
		      "libbpf's callbacks closed the link and the event");
		CHECK(sup_link_gone(id), "the link is gone");
	} else {
		SUP_CLOSE(pfd);
	}
}

static void ref_made_ours_destroy(void)
{
	struct bpf_link *l;
	const char *path;
	__u32 id;
	int fd;

	/* A plain attach link: pinned by bpflink, unpinned by libbpf
	 * (which frees the string bpflink allocated), destroyed by bpflink
	 * (which runs libbpf's detach callback). */
	l = ref_cgroup_link();
	if (CHECK(l != NULL, "libbpf attach_cgroup: a link object")) {
		fd = ref->fd(l);
		id = sup_link_id(fd);
		CHECK(id && ours->fd(l) == fd, "bpflink's bpf_link__fd reads libbpf's object (%d)",
		      fd);
		CHECK_EQ(sup_attached(cg.fd, 1), 1, "attached to the cgroup");
		path = in_fs("ref_attach");
		logs_reset();
		CHECK_EQ(ours->pin(l, path), 0, "bpflink pins libbpf's object");
		CHECK(!strcmp(ours->log, pin_msg("pinned at", fd, path)),
		      "bpflink's pin message \"%s\"", sup_oneline(ours->log));
		CHECK(sup_exists(path) && sup_str_eq(ref->pin_path(l), path),
		      "the pin file exists and libbpf's bpf_link__pin_path sees it");
		logs_reset();
		CHECK_EQ(ref->unpin(l), 0, "libbpf unpins it");
		CHECK(!strcmp(ref->log, pin_msg("unpinned from", fd, path)),
		      "libbpf's unpin message \"%s\"", sup_oneline(ref->log));
		CHECK(!sup_exists(path) && ours->pin_path(l) == NULL, "file gone, no pin path");
		CHECK_EQ(ours->destroy(l), 0, "bpflink destroys libbpf's attach link");
		CHECK(!sup_fd_open(fd), "libbpf's detach callback closed the fd");
		CHECK(sup_link_gone(id), "the link is gone");
		CHECK_EQ(sup_attached(cg.fd, 0), 0, "nothing attached any more");
	}

	/* bpf_link__open by libbpf, destroy by bpflink: the pin stays. */
	fd = raw_link();
	path = in_fs("ref_open");
	id = sup_link_id(fd);
	if (CHECK(fd >= 0 && sup_obj_pin(fd, path) == 0, "a raw link pinned at %s", path)) {
		SUP_CLOSE(fd);
		l = ref->open(path);
		if (CHECK(l != NULL, "libbpf's bpf_link__open")) {
			CHECK(sup_link_id(ours->fd(l)) == id && sup_str_eq(ours->pin_path(l), path),
			      "bpflink reads its fd and pin path");
			CHECK_EQ(ours->destroy(l), 0, "bpflink destroys libbpf's opened link");
			CHECK(sup_exists(path) && sup_link_alive(id), "the pin keeps the link");
		}
		l = ref->open(path);
		if (CHECK(l != NULL, "libbpf's bpf_link__open again")) {
			CHECK_EQ(ours->unpin(l), 0, "bpflink unpins libbpf's object");
			CHECK(!sup_exists(path) && ours->pin_path(l) == NULL,
			      "pin file and path gone");
			CHECK_EQ(ours->destroy(l), 0, "bpflink destroys it");
			CHECK(sup_link_gone(id), "no pin, no fd: the link is gone");
		}
	}
	SUP_CLOSE(fd);

	if (sup_need("link_perf_event", "libbpf's perf-event link destroyed by bpflink"))
		ref_perf_ours_destroy();

	/* Disconnect by bpflink, destroy by libbpf, and the reverse pair. */
	l = ref_cgroup_link();
	if (CHECK(l != NULL, "libbpf attach_cgroup: another link object")) {
		fd = ref->fd(l);
		id = sup_link_id(fd);
		ours->disconnect(l);
		CHECK_EQ(ref->destroy(l), 0, "bpflink disconnects, libbpf destroys");
		CHECK(sup_fd_open(fd) && sup_link_alive(id) && sup_attached(cg.fd, 1) == 1,
		      "still attached, its fd left open");
		close(fd);
		CHECK(sup_link_gone(id), "gone once its fd is closed by hand");
	}
	l = ref_cgroup_link();
	if (CHECK(l != NULL, "libbpf attach_cgroup: a third link object")) {
		fd = ref->fd(l);
		id = sup_link_id(fd);
		ours->disconnect(l);
		CHECK_EQ(ours->destroy(l), 0, "bpflink disconnects and destroys libbpf's object");
		CHECK(sup_fd_open(fd) && sup_link_alive(id), "still attached, its fd left open");
		close(fd);
		CHECK(sup_link_gone(id), "gone once its fd is closed by hand");
	}
}

/* ------------------------------------------------------------------------
 * bpflink's objects, libbpf's functions
 */
static void ours_made_ref_destroy(void)
{
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
		l = ours->open(path);
		if (CHECK(l != NULL, "bpflink's bpf_link__open")) {
			fd = ours->fd(l);
			CHECK(ref->fd(l) == fd && sup_link_id(fd) == id &&
				      sup_str_eq(ref->pin_path(l), path),
			      "libbpf reads its fd and pin path");
			logs_reset();
			CHECK_EQ(ref->unpin(l), 0, "libbpf unpins bpflink's object");
			CHECK(!strcmp(ref->log, pin_msg("unpinned from", fd, path)),
			      "libbpf's unpin message \"%s\"", sup_oneline(ref->log));
			CHECK(!sup_exists(path), "the pin file is gone");
			CHECK_EQ(ref->destroy(l), 0, "libbpf destroys bpflink's opened link");
			CHECK(!sup_fd_open(fd), "bpflink's detach callback closed the fd");
			CHECK(sup_link_gone(id), "the link is gone");
			fd = -1;
		}
	}
	SUP_CLOSE(fd);

	/* bpflink_link_from_fd, pinned by libbpf, unpinned by bpflink,
	 * detached and destroyed by libbpf. */
	l = ours_link();
	if (CHECK(l != NULL, "bpflink_link_from_fd")) {
		fd = ours->fd(l);
		id = sup_link_id(fd);
		path = in_fs("ours_fd");
		logs_reset();
		CHECK_EQ(ref->pin(l, path), 0, "libbpf pins bpflink's object");
		CHECK(!strcmp(ref->log, pin_msg("pinned at", fd, path)),
		      "libbpf's pin message \"%s\"", sup_oneline(ref->log));
		CHECK(sup_exists(path) && sup_str_eq(ours->pin_path(l), path),
		      "bpflink sees the pin path");
		CHECK_EQ(ours->unpin(l), 0, "bpflink unpins it (frees libbpf's string)");
		CHECK(!sup_exists(path) && ref->pin_path(l) == NULL, "file and path gone");
		CHECK_EQ(ref->detach(l), 0, "libbpf's bpf_link__detach");
		CHECK_EQ(sup_attached(cg.fd, 0), 0, "detached from the cgroup");
		CHECK_EQ(ref->destroy(l), 0, "libbpf destroys bpflink's object");
		CHECK(!sup_fd_open(fd) && sup_link_gone(id), "fd closed, link gone");
	}

	/* Disconnect by libbpf, destroy by bpflink. */
	l = ours_link();
	if (CHECK(l != NULL, "bpflink_link_from_fd again")) {
		fd = ours->fd(l);
		id = sup_link_id(fd);
		ref->disconnect(l);
		CHECK_EQ(ours->destroy(l), 0, "libbpf disconnects, bpflink destroys");
		CHECK(sup_fd_open(fd) && sup_link_alive(id), "still attached, its fd left open");
		close(fd);
		CHECK(sup_link_gone(id), "gone once its fd is closed by hand");
	}

	/* Pinned by one library, opened by the other, both ways. */
	l = ours_link();
	path = in_fs("cross1");
	if (CHECK(l != NULL && ours->pin(l, path) == 0, "bpflink pins a link at %s", path)) {
		id = sup_link_id(ours->fd(l));
		r = ref->open(path);
		if (CHECK(r != NULL && sup_link_id(ref->fd(r)) == id,
			  "libbpf opens bpflink's pin: the same link")) {
			CHECK_EQ(ref->unpin(r), 0, "libbpf unpins it");
			CHECK(!sup_exists(path), "the file is gone");
			CHECK(sup_str_eq(ours->pin_path(l), path),
			      "bpflink's object still remembers its path (objects are independent)");
			CHECK_ERR(ours->unpin(l), ENOENT, "bpflink's unpin: the file is not there");
			CHECK_EQ(ours->destroy(l), 0, "bpflink destroys its object");
			l = NULL;
			CHECK(sup_link_alive(id), "libbpf's object still holds the link");
			CHECK_EQ(ref->destroy(r), 0, "libbpf destroys its object");
			CHECK(sup_link_gone(id), "the link is gone");
		}
	}
	if (l)
		ours->destroy(l);

	r = ref_cgroup_link();
	path = in_fs("cross2");
	if (CHECK(r != NULL && ref->pin(r, path) == 0, "libbpf pins its attach link at %s", path)) {
		id = sup_link_id(ref->fd(r));
		l = ours->open(path);
		if (CHECK(l != NULL && sup_link_id(ours->fd(l)) == id,
			  "bpflink opens libbpf's pin: the same link")) {
			CHECK_EQ(ours->unpin(l), 0, "bpflink unpins it");
			CHECK_EQ(ref->destroy(r), 0, "libbpf destroys its object");
			r = NULL;
			CHECK(sup_link_alive(id) && sup_attached(cg.fd, 1) == 1,
			      "bpflink's object holds the link");
			CHECK_EQ(ours->destroy(l), 0, "bpflink destroys its object");
			CHECK(sup_link_gone(id), "the link is gone");
			CHECK_EQ(sup_attached(cg.fd, 0), 0, "nothing attached any more");
		}
	}
	if (r)
		ref->destroy(r);
}

int main(void)
{
	struct bpf_object *obj = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sup_require_root();
	twin_load(TWIN_LOW | TWIN_OBJECT | TWIN_OWN | TWIN_LOADER);
	twin_capture();

	/* libbpf loads every program of the object: XDP and perf_event too. */
	if (!sup_need("link_cgroup,bpffs_mount,prog_xdp,prog_perf_event",
		      "link objects crossing between the libraries"))
		goto out;
	raw_prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (!CHECK(raw_prog >= 0 && sup_cgroup_create(&cg, "interop") == 0 &&
			   sup_bpffs_mount(&fs) == 0,
		   "a raw program, a child cgroup and a private bpffs"))
		goto out;
	/* The loader's debug chatter is left out of the log shown if it fails. */
	ref->log_upto = LIBBPF_INFO;
	obj = ref->object_open_file(OBJECT_BPF_O, NULL);
	if (!CHECK(obj != NULL, "libbpf opens %s", OBJECT_BPF_O))
		goto out;
	prog_a = ref->find_program(obj, "obj_ingress_a");
	prog_perf = ref->find_program(obj, "obj_perf");
	if (!CHECK(prog_a && prog_perf && ref->object_load(obj) == 0, "libbpf loads it")) {
		printf("# libbpf said: %s\n", sup_oneline(ref->log));
		goto out;
	}
	ref->log_upto = LIBBPF_DEBUG;

	ref_made_ours_destroy();
	ours_made_ref_destroy();
	CHECK_EQ(sup_attached(cg.fd, 0), 0, "nothing left attached to the cgroup");
out:
	if (obj)
		ref->object_close(obj);
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	SUP_CLOSE(raw_prog);
	return sup_done();
}
