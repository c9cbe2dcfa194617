// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The link object layer: struct bpf_link and the bpf_link__* functions,
 * plus bpflink_link_from_fd(), on the real kernel. The usual subject is a
 * cgroup_skb link on a child cgroup; pins go to a private bpffs.
 *
 * Every case looks at the effect, not only at the return value: the link
 * by id, the program it runs, what is attached to the cgroup, the files on
 * the bpffs, the fds of the process, and the exact text of every message
 * the print callback receives (the callback installed here sees every
 * level, debug included, like LIBBPF_LOG_LEVEL=debug on the default one).
 *
 * Where libbpf 1.7.0 would crash (NULL link, NULL pin path) bpflink
 * answers EINVAL; those cases are bpflink's own contract and are checked
 * here only (the differential suite, tests-c/diff_object.c, compares the
 * rest with libbpf).
 *
 *   test_object                  the tests
 *   test_object --trace-child D  helper mode for the BPFLINK_TRACE cases:
 *                                makes a fixed series of calls, pinning in
 *                                the bpffs directory D
 */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/btf.h>
#include <linux/magic.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpflink.h>

#ifndef REF_SO
#define REF_SO ".deps/libbpf-1.7.0/lib/libbpf.so.1.7.0"
#endif
#ifndef OBJECT_BPF_O
#define OBJECT_BPF_O "build/bpf/object_progs.bpf.o"
#endif

/* ------------------------------------------------------------------------
 * Objects of libbpf's layout (support.h: struct lb_link), built by the
 * subclass cases below, as the struct bpf_link the API takes.
 */
static struct bpf_link *as_link(struct lb_link *l)
{
	return (struct bpf_link *)l;
}

/* ------------------------------------------------------------------------
 * Messages: everything the print callback receives, "<level>text".
 */
static char logbuf[8192];
static size_t loglen;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (loglen + 8 < sizeof(logbuf)) {
		n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d>", (int)level);
		if (n > 0)
			loglen += (size_t)n;
	}
	if (loglen + 1 < sizeof(logbuf)) {
		n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
		if (n > 0)
			loglen += (size_t)n;
	}
	if (loglen >= sizeof(logbuf))
		loglen = sizeof(logbuf) - 1;
	/* bpflink must give the caller its own errno back anyway. */
	errno = EDOM;
	return 0;
}

static void log_reset(void)
{
	loglen = 0;
	logbuf[0] = 0;
}

/* The log is exactly the expected text (printf format). */
#define CHECK_LOG(what, ...)                                                       \
	({                                                                         \
		char __want[1024];                                                 \
		snprintf(__want, sizeof(__want), __VA_ARGS__);                     \
		CHECK(!strcmp(logbuf, __want), "%s: message \"%s\"", what,         \
		      sup_oneline(logbuf));                                        \
	})
#define CHECK_NO_LOG(what)                                                         \
	CHECK(loglen == 0, "%s: no message (\"%s\")", what, sup_oneline(logbuf))

/* ------------------------------------------------------------------------
 * Fixtures of this file
 */
static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
static int prog = -1, prog2 = -1;
static char tmpdir[64]; /* a directory that is not on a bpffs */

/* Paths on the bpffs and in the directory off it (support.h: sup_path). */
#define in_fs(name) sup_path(fs.dir, name)
#define in_tmp(name) sup_path(tmpdir, name)

/* A fresh cgroup link fd running `prog`, or -errno. */
static int cgroup_link_fd(int p)
{
	return bpf_link_create(p, cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
}

/* A link object around a fresh cgroup link, or NULL. */
static struct bpf_link *new_link(void)
{
	int fd = cgroup_link_fd(prog);
	struct bpf_link *l;

	if (fd < 0)
		return NULL;
	l = bpflink_link_from_fd(fd);
	if (!l)
		close(fd);
	return l;
}

static __u32 obj_link_id(const struct bpf_link *l)
{
	return sup_link_id(bpf_link__fd(l));
}

/* The program the link with this id runs, 0 if none. */
static __u32 prog_of_link(__u32 id)
{
	int fd = sup_link_fd_by_id(id);
	__u32 p;

	if (fd < 0)
		return 0;
	p = sup_link_prog_id(fd);
	close(fd);
	return p;
}

/* ------------------------------------------------------------------------
 * bpflink_link_from_fd
 */
static void test_from_fd(void)
{
	int n0 = sup_fd_count(), fd, map, other, closed;
	struct bpf_link *l;
	__u32 id;

	fd = cgroup_link_fd(prog);
	if (!CHECK(fd >= 3, "from_fd: a cgroup link (%d)", fd))
		return;
	id = sup_link_id(fd);
	log_reset();
	l = bpflink_link_from_fd(fd);
	CHECK(l != NULL, "from_fd(link fd): an object");
	if (!l) {
		close(fd);
		return;
	}
	CHECK_NO_LOG("from_fd(link fd)");
	CHECK_EQ(bpf_link__fd(l), fd, "from_fd: bpf_link__fd is the fd given");
	CHECK(bpf_link__pin_path(l) == NULL, "from_fd: not pinned");
	CHECK_EQ(sup_fd_count(), n0 + 1, "from_fd: no fd opened or closed");
	CHECK_EQ(sup_attached(cg.fd, 1), 1, "from_fd: the link is attached");
	errno = 0;
	CHECK_EQ(bpf_link__destroy(l), 0, "from_fd: destroy");
	CHECK_EQ(errno, 0, "from_fd: destroy left errno alone");
	CHECK(!sup_fd_open(fd) && errno == EBADF, "from_fd: destroy closed the fd it owned");
	CHECK_EQ(sup_fd_count(), n0, "from_fd: fd count back to where it was");
	CHECK(sup_link_gone(id), "from_fd: the link is gone");
	CHECK_EQ(sup_attached(cg.fd, 0), 0, "from_fd: nothing attached any more");

	/* Not links: refused, and the fd stays the caller's. */
	map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!CHECK(map >= 0 && other >= 0, "from_fd: a map fd and a /dev/null fd"))
		goto out;
	{
		static const char *const what[3] = { "a program fd", "a map fd", "a /dev/null fd" };
		int fds[3] = { prog, map, other }, i;
		__u32 before_prog = sup_prog_id(prog), before_map = sup_map_id(map);

		for (i = 0; i < 3; i++) {
			log_reset();
			errno = 0;
			l = bpflink_link_from_fd(fds[i]);
			CHECK(l == NULL && errno == EINVAL, "from_fd(%s): NULL, errno EINVAL (%d)",
			      what[i], errno);
			if (l)
				bpf_link__destroy(l);
			CHECK_NO_LOG("from_fd(not a link)");
			CHECK(sup_fd_open(fds[i]), "from_fd(%s): the fd is still open", what[i]);
		}
		CHECK_EQ(sup_prog_id(prog), before_prog, "from_fd: the program fd still works");
		CHECK_EQ(sup_map_id(map), before_map, "from_fd: the map fd still works");
	}

	closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(closed);
	errno = 0;
	l = bpflink_link_from_fd(closed);
	CHECK(l == NULL && errno == EBADF, "from_fd(closed fd %d): NULL, errno EBADF (%d)", closed,
	      errno);
	errno = 0;
	l = bpflink_link_from_fd(-1);
	CHECK(l == NULL && errno == EBADF, "from_fd(-1): NULL, errno EBADF (%d)", errno);
	errno = 0;
	l = bpflink_link_from_fd(INT_MIN);
	CHECK(l == NULL && errno == EBADF, "from_fd(INT_MIN): NULL, errno EBADF (%d)", errno);
	CHECK_EQ(sup_fd_count(), n0 + 2, "from_fd: refusals opened and closed nothing");
out:
	SUP_CLOSE(map);
	SUP_CLOSE(other);
}

/* ------------------------------------------------------------------------
 * bpf_link__pin / bpf_link__pin_path
 */
static void test_pin(void)
{
	char path[256], args[320], json[4096];
	struct bpf_link *l, *m = NULL;
	const char *pp, *p;
	struct statfs sfs;
	struct stat st;
	__u32 id;
	int fd;

	l = new_link();
	if (!CHECK(l != NULL, "pin: a link object"))
		return;
	id = obj_link_id(l);
	fd = bpf_link__fd(l);

	/* The caller's buffer changes after the call: the object has its own
	 * copy of the path. */
	snprintf(path, sizeof(path), "%s", in_fs("link"));
	log_reset();
	errno = 0;
	CHECK_EQ(bpf_link__pin(l, path), 0, "pin: at %s", path);
	CHECK_LOG("pin", "<2>libbpf: link fd=%d: pinned at %s\n", fd, path);
	pp = bpf_link__pin_path(l);
	CHECK(sup_str_eq(pp, path) && pp != path, "pin: pin_path is a copy of the path (%s)",
	      pp ? pp : "NULL");
	path[0] = 'X';
	CHECK(sup_str_eq(bpf_link__pin_path(l), in_fs("link")), "pin: the copy does not follow the "
	      "caller's buffer");
	snprintf(path, sizeof(path), "%s", in_fs("link"));
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode), "pin: the pin file exists");
	CHECK(statfs(path, &sfs) == 0 && (unsigned long)sfs.f_type == BPF_FS_MAGIC,
	      "pin: and is on the bpffs");
	fd = sup_obj_get(path);
	CHECK(fd >= 0 && sup_link_id(fd) == id, "pin: the pin is this link (id %u)", id);
	SUP_CLOSE(fd);
	if (sup_need("bpftool", "pin: bpftool -f shows the pin")) {
		snprintf(args, sizeof(args), "-f link show id %u", id);
		CHECK(sup_bpftool(args, json, sizeof(json)) == 0 && strstr(json, path),
		      "pin: bpftool -f shows the pin (%s)", json);
	}

	/* Already pinned: EBUSY, nothing else happens. */
	log_reset();
	CHECK_ERR(bpf_link__pin(l, in_fs("other")), EBUSY, "pin twice");
	CHECK_NO_LOG("pin twice");
	CHECK(!sup_exists(in_fs("other")), "pin twice: no second pin file");
	CHECK(bpf_link__pin_path(l) == pp, "pin twice: pin_path unchanged");

	/* The pin holds the link once every fd is gone. */
	CHECK_EQ(bpf_link__destroy(l), 0, "pinned: destroy the only object");
	CHECK(sup_exists(path), "pinned: destroy leaves the pin file");
	usleep(20000);
	CHECK(sup_link_alive(id), "pinned: the link outlives every fd");
	CHECK_EQ(sup_attached(cg.fd, 1), 1, "pinned: and stays attached");

	/* bpf_link__open of that pin: the same link, its path remembered. */
	log_reset();
	m = bpf_link__open(path);
	CHECK(m != NULL, "open(pinned link): an object");
	if (m) {
		CHECK_NO_LOG("open(pinned link)");
		CHECK(obj_link_id(m) == id, "open: same link id (%u)", id);
		CHECK(sup_fd_cloexec(bpf_link__fd(m)) && bpf_link__fd(m) >= 3,
		      "open: its fd is >= 3 and close-on-exec");
		p = bpf_link__pin_path(m);
		CHECK(sup_str_eq(p, path) && p != path, "open: pin_path is a copy of the path");
		CHECK_EQ(prog_of_link(id), sup_prog_id(prog), "open: runs the same program");

		/* unpin: the file goes, the link stays while the object holds it. */
		fd = bpf_link__fd(m);
		log_reset();
		errno = 0;
		CHECK_EQ(bpf_link__unpin(m), 0, "unpin");
		CHECK_EQ(errno, 0, "unpin: errno untouched on success");
		CHECK_LOG("unpin", "<2>libbpf: link fd=%d: unpinned from %s\n", fd, path);
		CHECK(!sup_exists(path), "unpin: the pin file is gone");
		CHECK(bpf_link__pin_path(m) == NULL, "unpin: pin_path is NULL");
		CHECK(sup_link_alive(id), "unpin: the object still holds the link");
		log_reset();
		CHECK_ERR(bpf_link__unpin(m), EINVAL, "unpin twice");
		CHECK_NO_LOG("unpin twice");

		/* Pin again after unpin. */
		CHECK_EQ(bpf_link__pin(m, path), 0, "pin after unpin");
		CHECK(sup_exists(path) && sup_str_eq(bpf_link__pin_path(m), path),
		      "pin after unpin: file and pin_path back");
		CHECK_EQ(bpf_link__unpin(m), 0, "unpin once more");
		CHECK_EQ(bpf_link__destroy(m), 0, "open: destroy");
		CHECK(sup_link_gone(id), "open: no pin and no fd: the link is gone");
		CHECK_EQ(sup_attached(cg.fd, 0), 0, "open: nothing attached any more");
	}

	/* Error paths, on a fresh unpinned object. */
	l = new_link();
	if (!CHECK(l != NULL, "pin errors: a link object"))
		return;
	fd = bpf_link__fd(l);

	/* One missing directory level is created, mode 0700. */
	snprintf(path, sizeof(path), "%s", in_fs("newdir/link"));
	log_reset();
	CHECK_EQ(bpf_link__pin(l, path), 0, "pin: parent directory missing (one level)");
	CHECK_LOG("pin (mkdir)", "<2>libbpf: link fd=%d: pinned at %s\n", fd, path);
	CHECK(stat(in_fs("newdir"), &st) == 0 && S_ISDIR(st.st_mode) &&
		      (st.st_mode & 07777) == 0700,
	      "pin: the directory was made with mode 0700 (%o)", st.st_mode & 07777);
	CHECK(sup_exists(path), "pin: the pin is inside it");
	CHECK_EQ(bpf_link__unpin(l), 0, "unpin from the new directory");
	CHECK_EQ(rmdir(in_fs("newdir")), 0, "the directory is empty again");

	/* Two missing levels: mkdir is not recursive. */
	snprintf(path, sizeof(path), "%s", in_fs("a/b/link"));
	log_reset();
	CHECK_ERR(bpf_link__pin(l, path), ENOENT, "pin: two directory levels missing");
	CHECK_LOG("pin: two levels missing", "<0>libbpf: failed to mkdir %s: -ENOENT\n", path);
	CHECK(!sup_exists(in_fs("a")), "pin: no directory made");
	CHECK(bpf_link__pin_path(l) == NULL, "pin: still not pinned");

	/* Not on a bpffs: the directory exists, or is made first. */
	snprintf(path, sizeof(path), "%s", in_tmp("link"));
	log_reset();
	CHECK_ERR(bpf_link__pin(l, path), EINVAL, "pin: path not on a bpffs");
	CHECK_LOG("pin: not on bpffs", "<0>libbpf: specified path %s is not on BPF FS\n", path);
	CHECK(!sup_exists(path), "pin: nothing pinned there");
	snprintf(path, sizeof(path), "%s", in_tmp("sub/link"));
	log_reset();
	CHECK_ERR(bpf_link__pin(l, path), EINVAL, "pin: missing directory not on a bpffs");
	CHECK_LOG("pin: sub not on bpffs", "<0>libbpf: specified path %s is not on BPF FS\n",
		  path);
	CHECK(stat(in_tmp("sub"), &st) == 0 && S_ISDIR(st.st_mode),
	      "pin: like libbpf, the directory is made before the bpffs check and stays");
	rmdir(in_tmp("sub"));

	/* statfs fails: the parent is a dangling symlink (mkdir answers
	 * EEXIST, which is accepted, and statfs follows the link). */
	CHECK_EQ(symlink("/nonexistent-bpflink-target", in_tmp("dangling")), 0,
		 "a dangling symlink");
	snprintf(path, sizeof(path), "%s", in_tmp("dangling/link"));
	log_reset();
	CHECK_ERR(bpf_link__pin(l, path), ENOENT, "pin: statfs of the directory fails");
	CHECK_LOG("pin: statfs", "<0>libbpf: failed to statfs %s: -ENOENT\n", in_tmp("dangling"));
	unlink(in_tmp("dangling"));
	CHECK(bpf_link__pin_path(l) == NULL, "pin: still not pinned after the refusals");

	/* The file exists: the kernel's EEXIST, no message, object unchanged,
	 * and the existing pin untouched. */
	{
		int map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1), got;

		snprintf(path, sizeof(path), "%s", in_fs("taken"));
		CHECK(map >= 0 && sup_obj_pin(map, path) == 0, "a map pinned at %s", path);
		log_reset();
		CHECK_ERR(bpf_link__pin(l, path), EEXIST, "pin: the file exists");
		CHECK_NO_LOG("pin: exists");
		CHECK(bpf_link__pin_path(l) == NULL, "pin: exists: pin_path still NULL");
		got = sup_obj_get(path);
		CHECK(got >= 0 && sup_map_id(got) == sup_map_id(map),
		      "pin: exists: the file is still the map's pin");
		SUP_CLOSE(got);
		SUP_CLOSE(map);
		unlink(path);
	}

	/* NULL path: bpflink refuses it (libbpf would crash in strdup). */
	log_reset();
	CHECK_ERR(bpf_link__pin(l, NULL), EINVAL, "pin(NULL path)");
	CHECK_NO_LOG("pin(NULL path)");
	CHECK(bpf_link__pin_path(l) == NULL, "pin(NULL path): not pinned");

	/* A relative path: its directory is ".", which must be on a bpffs. */
	if (CHECK_EQ(chdir(fs.dir), 0, "cd into the bpffs")) {
		log_reset();
		CHECK_EQ(bpf_link__pin(l, "relative"), 0, "pin(\"relative\") inside the bpffs");
		CHECK_LOG("pin relative", "<2>libbpf: link fd=%d: pinned at relative\n", fd);
		CHECK(sup_exists(in_fs("relative")), "pin relative: the file is there");
		CHECK_EQ(bpf_link__unpin(l), 0, "unpin relative");
		CHECK(!sup_exists(in_fs("relative")), "unpin relative: the file is gone");
		CHECK_EQ(chdir("/"), 0, "cd back to /");
	}
	CHECK_EQ(bpf_link__destroy(l), 0, "pin errors: destroy");
	CHECK_EQ(sup_attached(cg.fd, 0), 0, "pin errors: nothing attached any more");
}

/* ------------------------------------------------------------------------
 * bpf_link__unpin when the file went away behind the object's back
 */
static void test_unpin_errors(void)
{
	struct bpf_link *l = new_link();
	const char *path = in_fs("vanishing");
	__u32 id;

	if (!CHECK(l != NULL, "unpin errors: a link object"))
		return;
	id = obj_link_id(l);
	CHECK_EQ(bpf_link__pin(l, path), 0, "unpin errors: pin");
	CHECK_EQ(unlink(path), 0, "unpin errors: remove the pin file behind its back");
	log_reset();
	CHECK_ERR(bpf_link__unpin(l), ENOENT, "unpin: unlink fails");
	CHECK_NO_LOG("unpin: unlink fails");
	CHECK(sup_str_eq(bpf_link__pin_path(l), path), "unpin: a failed unlink keeps the pin path");
	CHECK_ERR(bpf_link__pin(l, in_fs("elsewhere")), EBUSY,
		  "unpin failed: the object still counts as pinned");

	/* The path is taken again by the same link: now unpin works. */
	CHECK_EQ(sup_obj_pin(bpf_link__fd(l), path), 0, "unpin errors: re-create the pin file");
	log_reset();
	CHECK_EQ(bpf_link__unpin(l), 0, "unpin after the file came back");
	CHECK_LOG("unpin after re-pin", "<2>libbpf: link fd=%d: unpinned from %s\n",
		  bpf_link__fd(l), path);
	CHECK(!sup_exists(path) && bpf_link__pin_path(l) == NULL, "unpin: file and pin_path gone");

	/* A file of another kind at the remembered path is removed just the
	 * same: unpin unlinks whatever is there. */
	CHECK_EQ(bpf_link__pin(l, path), 0, "unpin errors: pin again");
	CHECK_EQ(unlink(path), 0, "unpin errors: remove it");
	{
		int map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);

		CHECK(map >= 0 && sup_obj_pin(map, path) == 0, "a map pinned at the link's path");
		CHECK_EQ(bpf_link__unpin(l), 0, "unpin removes whatever file is at its path");
		CHECK(!sup_exists(path), "unpin: the map's pin is gone");
		SUP_CLOSE(map);
	}
	CHECK_EQ(bpf_link__destroy(l), 0, "unpin errors: destroy");
	CHECK(sup_link_gone(id), "unpin errors: the link is gone");
}

/* ------------------------------------------------------------------------
 * bpf_link__open
 */
static void test_open(void)
{
	const char *path = in_fs("nothing-here");
	struct bpf_link *l;
	int n0 = sup_fd_count();

	log_reset();
	errno = 0;
	l = bpf_link__open(path);
	CHECK(l == NULL && errno == ENOENT, "open(missing path): NULL, errno ENOENT (%d)", errno);
	CHECK_LOG("open(missing)", "<0>libbpf: failed to open link at %s: -2\n", path);
	log_reset();
	errno = 0;
	l = bpf_link__open(NULL);
	CHECK(l == NULL && errno == EFAULT, "open(NULL): NULL, errno EFAULT (%d)", errno);
	CHECK_LOG("open(NULL)", "<0>libbpf: failed to open link at (null): -14\n");
	CHECK_EQ(sup_fd_count(), n0, "open failures: no fd left open");

	/*
	 * Like libbpf, bpf_link__open() does not check that the pinned object
	 * is a link: a pinned map or program gives an object too (its fd is
	 * the map's or the program's). bpflink keeps that choice for
	 * compatibility. bpflink_link_from_fd(), bpflink's own function,
	 * does check, and refuses the same fd.
	 */
	{
		int map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
		static const char *const names[2] = { "map", "program" };
		int objs[2] = { map, prog }, i, fd;
		__u32 want;

		CHECK(map >= 0, "open: a map");
		for (i = 0; i < 2; i++) {
			path = in_fs(names[i]);
			if (!CHECK_EQ(sup_obj_pin(objs[i], path), 0, "open: a pinned %s", names[i]))
				continue;
			want = i == 0 ? sup_map_id(map) : sup_prog_id(prog);
			log_reset();
			l = bpf_link__open(path);
			CHECK(l != NULL, "open(pinned %s): accepted, as libbpf does", names[i]);
			if (!l)
				continue;
			CHECK_NO_LOG("open(pinned map/program)");
			fd = bpf_link__fd(l);
			CHECK_EQ(i == 0 ? sup_map_id(fd) : sup_prog_id(fd), want,
				 "open(pinned %s): the fd is the %s", names[i], names[i]);
			CHECK(sup_str_eq(bpf_link__pin_path(l), path), "open(pinned %s): pin_path",
			      names[i]);
			errno = 0;
			CHECK(bpflink_link_from_fd(fd) == NULL && errno == EINVAL,
			      "from_fd of the same fd: refused (%d)", errno);
			CHECK(sup_fd_open(fd), "from_fd refusal: the object's fd stays open");
			CHECK_ERR(bpf_link__detach(l), EINVAL,
				  "detach of a pinned %s (kernel: not a link)", names[i]);
			CHECK_EQ(bpf_link__destroy(l), 0, "open(pinned %s): destroy", names[i]);
			CHECK(!sup_fd_open(fd), "open(pinned %s): destroy closed its fd", names[i]);
			unlink(path);
		}
		SUP_CLOSE(map);
	}
	CHECK_EQ(sup_fd_count(), n0, "open: fd count back");
}

/* ------------------------------------------------------------------------
 * bpf_link__disconnect, bpf_link__detach, bpf_link__destroy
 */
static void test_disconnect_detach(void)
{
	struct bpf_link_info info;
	struct bpf_link *l;
	__u32 id;
	int fd, n0 = sup_fd_count();

	/* Disconnected: destroy frees the object only. */
	l = new_link();
	if (!CHECK(l != NULL, "disconnect: a link object"))
		return;
	id = obj_link_id(l);
	fd = bpf_link__fd(l);
	log_reset();
	bpf_link__disconnect(l);
	CHECK_NO_LOG("disconnect");
	errno = 0;
	CHECK_EQ(bpf_link__destroy(l), 0, "disconnect: destroy");
	CHECK_EQ(errno, 0, "disconnect: destroy left errno alone");
	CHECK(sup_fd_open(fd), "disconnect: destroy left the fd open");
	CHECK(sup_link_id(fd) == id, "disconnect: and it is still the link");
	CHECK(sup_link_alive(id) && prog_of_link(id) == sup_prog_id(prog),
	      "disconnect: the link lives on with the same program");
	CHECK_EQ(sup_attached(cg.fd, 1), 1, "disconnect: still attached");
	close(fd);
	CHECK(sup_link_gone(id), "disconnect: closing the fd by hand releases it");
	CHECK_EQ(sup_attached(cg.fd, 0), 0, "disconnect: detached once the fd is closed");

	/* detach: the kernel side ends, object and fd remain. */
	l = new_link();
	if (!CHECK(l != NULL, "detach: a link object"))
		return;
	id = obj_link_id(l);
	fd = bpf_link__fd(l);
	log_reset();
	errno = 0;
	CHECK_EQ(bpf_link__detach(l), 0, "detach");
	CHECK_EQ(errno, 0, "detach: errno untouched");
	CHECK_NO_LOG("detach");
	CHECK_EQ(sup_attached(cg.fd, 0), 0, "detach: nothing attached to the cgroup");
	CHECK(bpf_link__fd(l) == fd && sup_fd_open(fd), "detach: the object keeps its fd");
	CHECK(sup_link_info(fd, &info) == 0 && info.id == id && info.cgroup.cgroup_id == 0,
	      "detach: the link is defunct (cgroup id 0)");
	CHECK_ERR(bpf_link_update(fd, prog2, NULL), ENOLINK, "detach: update now fails (kernel)");
	CHECK_EQ(bpf_link__destroy(l), 0, "destroy after detach");
	CHECK(!sup_fd_open(fd), "destroy after detach: fd closed");
	CHECK(sup_link_gone(id), "destroy after detach: the link is gone");
	CHECK_EQ(sup_fd_count(), n0, "disconnect/detach: fd count back");
}

/* Links the kernel cannot detach: perf_event and iterator links. */
static void test_detach_refused(void)
{
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	int pprog = sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
	int btf = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);
	int iprog = btf > 0 ? sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf, 0) : -1;
	struct bpf_link *l;
	int fd;
	__u32 id;

	if (!CHECK(pfd >= 0 && pprog >= 0 && iprog >= 0,
		   "detach refused: a perf event, a perf_event and an iterator program"))
		goto out;
	fd = bpf_link_create(pprog, pfd, BPF_PERF_EVENT, NULL);
	l = fd >= 0 ? bpflink_link_from_fd(fd) : NULL;
	if (CHECK(l != NULL, "perf_event link object")) {
		id = sup_link_id(fd);
		log_reset();
		CHECK_ERR(bpf_link__detach(l), EOPNOTSUPP, "detach of a perf_event link");
		CHECK_NO_LOG("detach perf_event");
		CHECK(sup_link_alive(id), "perf_event: the link is unaffected");
		CHECK_EQ(bpf_link__destroy(l), 0, "perf_event: destroy");
		CHECK(sup_link_gone(id), "perf_event: gone after destroy");
	} else if (fd >= 0) {
		close(fd);
	}
	fd = bpf_link_create(iprog, 0, BPF_TRACE_ITER, NULL);
	l = fd >= 0 ? bpflink_link_from_fd(fd) : NULL;
	if (CHECK(l != NULL, "iter link object")) {
		id = sup_link_id(fd);
		CHECK_ERR(bpf_link__detach(l), EOPNOTSUPP, "detach of an iterator link");
		CHECK(sup_link_alive(id), "iter: the link is unaffected");
		CHECK_EQ(bpf_link__destroy(l), 0, "iter: destroy");
		CHECK(sup_link_gone(id), "iter: gone after destroy");
	} else if (fd >= 0) {
		close(fd);
	}
out:
	SUP_CLOSE(iprog);
	SUP_CLOSE(pprog);
	SUP_CLOSE(pfd);
}

/* ------------------------------------------------------------------------
 * NULL and ERR_PTR arguments
 */
static void test_null(void)
{
	struct bpf_link *errp[] = { (struct bpf_link *)(intptr_t)-EINVAL,
				    (struct bpf_link *)(intptr_t)-4095,
				    (struct bpf_link *)(intptr_t)-1 };
	size_t i;

	log_reset();
	errno = 4242;
	CHECK_EQ(bpf_link__destroy(NULL), 0, "destroy(NULL)");
	CHECK_EQ(errno, 4242, "destroy(NULL): errno untouched");
	for (i = 0; i < sizeof(errp) / sizeof(errp[0]); i++) {
		errno = 4242;
		CHECK_EQ(bpf_link__destroy(errp[i]), 0, "destroy(ERR_PTR %p)", (void *)errp[i]);
		CHECK_EQ(errno, 4242, "destroy(ERR_PTR): errno untouched");
	}
	/* bpflink's answers where libbpf dereferences the pointer. */
	CHECK_ERR(bpf_link__fd(NULL), EINVAL, "fd(NULL)");
	CHECK_ERR(bpf_link__pin(NULL, in_fs("null")), EINVAL, "pin(NULL, path)");
	CHECK(!sup_exists(in_fs("null")), "pin(NULL, path): no file");
	CHECK_ERR(bpf_link__pin(NULL, NULL), EINVAL, "pin(NULL, NULL)");
	CHECK_ERR(bpf_link__unpin(NULL), EINVAL, "unpin(NULL)");
	CHECK_ERR(bpf_link__detach(NULL), EINVAL, "detach(NULL)");
	CHECK_ERR(bpf_link__update_program(NULL, NULL), EINVAL, "update_program(NULL, NULL)");
	errno = 0;
	CHECK(bpf_link__pin_path(NULL) == NULL && errno == EINVAL,
	      "pin_path(NULL): NULL, errno EINVAL (%d)", errno);
	bpf_link__disconnect(NULL);
	CHECK(1, "disconnect(NULL) returns");
	CHECK_ERR(bpf_link__fd(errp[0]), EINVAL, "fd(ERR_PTR)");
	CHECK_ERR(bpf_link__unpin(errp[0]), EINVAL, "unpin(ERR_PTR)");
	CHECK_ERR(bpf_link__detach(errp[1]), EINVAL, "detach(ERR_PTR)");
	errno = 0;
	CHECK(bpf_link__pin_path(errp[0]) == NULL && errno == EINVAL,
	      "pin_path(ERR_PTR): NULL, errno EINVAL");
	bpf_link__disconnect(errp[0]);
	CHECK(1, "disconnect(ERR_PTR) returns");
	CHECK_NO_LOG("NULL and ERR_PTR arguments");
}

/* ------------------------------------------------------------------------
 * Objects of other shapes through bpflink's destroy: a struct_ops-style
 * subclass (libbpf's struct bpf_link_struct_ops: {link; int map_fd;}) and a
 * perf-event-style one (struct bpf_link_perf), each with its own callbacks
 * and allocated here with malloc(). That destroy frees the pin path (and,
 * without a dealloc callback, the object) is seen by valgrind, which runs
 * this binary under memcheck (tests-c/valgrind.sh): a missed free() is a
 * definite leak there.
 */
static struct {
	int detach_calls, dealloc_calls;
	void *detach_arg, *dealloc_arg;
	int order; /* 1: detach ran before dealloc */
	int forced; /* so_detach returns this when non-zero */
} rec;

struct so_link {
	struct lb_link link;
	int map_fd;
	char more[40]; /* fields of a larger subclass, untouched by destroy */
};
_Static_assert(sizeof(void *) != 8 || offsetof(struct so_link, map_fd) == 32, "map_fd");

/* Like libbpf's bpf_link__detach_struct_ops: the raw close() result, so a
 * failure is -1 and destroy turns it into -1 with errno EPERM. */
static int so_detach(struct lb_link *l)
{
	rec.detach_calls++;
	rec.detach_arg = l;
	if (rec.forced)
		return rec.forced;
	return close(l->fd);
}

static void so_dealloc(struct lb_link *l)
{
	struct so_link *s = (struct so_link *)l;

	rec.dealloc_calls++;
	rec.dealloc_arg = l;
	rec.order = rec.detach_calls > 0;
	free(s);
}

static struct so_link *so_new(int fd, const char *pin)
{
	struct so_link *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->link.detach = so_detach;
	s->link.dealloc = so_dealloc;
	s->link.fd = fd;
	s->link.pin_path = pin ? strdup(pin) : NULL;
	s->map_fd = 7;
	memset(s->more, 0x5a, sizeof(s->more));
	memset(&rec, 0, sizeof(rec));
	return s;
}

struct perf_link {
	struct lb_link link;
	int perf_event_fd;
	char *legacy_probe_name;
	bool legacy_is_kprobe;
	bool legacy_is_retprobe;
};

/* Like libbpf's bpf_link_perf_detach (without the tracefs part). */
static int perf_detach(struct lb_link *l)
{
	struct perf_link *p = (struct perf_link *)l;
	int err = 0;

	rec.detach_calls++;
	rec.detach_arg = l;
	if (ioctl(p->perf_event_fd, PERF_EVENT_IOC_DISABLE, 0) < 0)
		err = -errno;
	if (p->perf_event_fd != l->fd)
		close(p->perf_event_fd);
	close(l->fd);
	return err;
}

static void perf_dealloc(struct lb_link *l)
{
	struct perf_link *p = (struct perf_link *)l;

	rec.dealloc_calls++;
	rec.dealloc_arg = l;
	rec.order = rec.detach_calls > 0;
	free(p->legacy_probe_name);
	free(p);
}

static void test_subclass_struct_ops(void)
{
	struct so_link *s;
	__u32 id;
	int fd, closed;

	/* A real link under the subclass; detach closes it. */
	fd = cgroup_link_fd(prog);
	s = so_new(fd, "/nowhere/struct_ops_link");
	if (!CHECK(fd >= 0 && s && s->link.pin_path, "struct_ops-style object on a cgroup link")) {
		SUP_CLOSE(fd);
		free(s);
		return;
	}
	id = sup_link_id(fd);
	CHECK_EQ(bpf_link__fd(as_link(&s->link)), fd, "subclass: bpf_link__fd reads its fd");
	CHECK(bpf_link__pin_path(as_link(&s->link)) == s->link.pin_path,
	      "subclass: bpf_link__pin_path reads its pin_path");
	errno = 4242;
	CHECK_EQ(bpf_link__destroy(as_link(&s->link)), 0, "subclass: destroy");
	CHECK_EQ(errno, 4242, "subclass: destroy left errno alone");
	CHECK(rec.detach_calls == 1 && rec.detach_arg == s, "subclass: its detach ran once (%d)",
	      rec.detach_calls);
	CHECK(rec.dealloc_calls == 1 && rec.dealloc_arg == s && rec.order,
	      "subclass: then its dealloc, once, instead of free (%d)", rec.dealloc_calls);
	CHECK(!sup_fd_open(fd) && sup_link_gone(id), "subclass: its detach released the link");

	/* detach fails the struct_ops way: close() gives -1, and destroy
	 * returns -1 with errno EPERM (libbpf_err(-1)), a libbpf quirk. */
	closed = open("/dev/null", O_RDONLY | O_CLOEXEC);
	close(closed);
	s = so_new(closed, NULL);
	if (CHECK(s != NULL, "struct_ops-style object on a closed fd")) {
		errno = 0;
		CHECK_EQ(bpf_link__destroy(as_link(&s->link)), -1, "subclass: detach gives -1");
		CHECK_EQ(errno, EPERM, "subclass: -1 becomes errno EPERM, as in libbpf");
		CHECK(rec.detach_calls == 1 && rec.dealloc_calls == 1,
		      "subclass: detach and dealloc once each");
	}

	/* A negative errno from detach comes back as it is. */
	s = so_new(-1, "/nowhere/eio");
	if (CHECK(s != NULL, "struct_ops-style object whose detach fails with -EIO")) {
		rec.forced = -EIO;
		CHECK_ERR(bpf_link__destroy(as_link(&s->link)), EIO, "subclass: detach -EIO");
		CHECK(rec.detach_calls == 1 && rec.dealloc_calls == 1,
		      "subclass -EIO: detach and dealloc once each");
	}
	/* A positive result is not an error: returned as it is (libbpf's
	 * libbpf_err()), errno untouched. */
	s = so_new(-1, NULL);
	if (CHECK(s != NULL, "struct_ops-style object whose detach returns 1")) {
		rec.forced = 1;
		errno = 4242;
		CHECK_EQ(bpf_link__destroy(as_link(&s->link)), 1,
			 "subclass: a positive detach result comes back");
		CHECK_EQ(errno, 4242, "subclass: positive result: errno untouched");
		CHECK(rec.detach_calls == 1 && rec.dealloc_calls == 1,
		      "subclass positive: detach and dealloc once each");
	}

	/* Disconnected: no detach, still dealloc. */
	fd = cgroup_link_fd(prog);
	s = so_new(fd, "/nowhere/disconnected");
	if (CHECK(fd >= 0 && s, "struct_ops-style object, disconnected")) {
		id = sup_link_id(fd);
		bpf_link__disconnect(as_link(&s->link));
		CHECK(s->link.disconnected, "subclass: disconnect sets the flag at offset 28");
		CHECK_EQ(bpf_link__destroy(as_link(&s->link)), 0, "subclass disconnected: destroy");
		CHECK(rec.detach_calls == 0 && rec.dealloc_calls == 1,
		      "subclass disconnected: no detach, one dealloc");
		CHECK(sup_fd_open(fd) && sup_link_alive(id),
		      "subclass disconnected: link and fd left");
		close(fd);
		CHECK(sup_link_gone(id), "subclass disconnected: gone once closed by hand");
	} else {
		SUP_CLOSE(fd);
		free(s);
	}

	/* No detach callback at all. */
	s = so_new(-1, NULL);
	if (CHECK(s != NULL, "object without a detach callback")) {
		s->link.detach = NULL;
		CHECK_EQ(bpf_link__destroy(as_link(&s->link)), 0, "no detach: destroy");
		CHECK(rec.detach_calls == 0 && rec.dealloc_calls == 1, "no detach: dealloc ran");
	}

	/* The base layout alone, no dealloc: destroy frees it with free(). */
	{
		struct lb_link *b = malloc(sizeof(*b));

		fd = cgroup_link_fd(prog);
		if (CHECK(b && fd >= 0, "a bare 32-byte object with detach, no dealloc")) {
			memset(b, 0, sizeof(*b));
			memset(&rec, 0, sizeof(rec));
			b->detach = so_detach;
			b->fd = fd;
			b->pin_path = strdup("/nowhere/bare");
			id = sup_link_id(fd);
			CHECK_EQ(bpf_link__destroy(as_link(b)), 0, "bare: destroy");
			CHECK(rec.detach_calls == 1 && !sup_fd_open(fd) && sup_link_gone(id),
			      "bare: detach ran and released the link");
		} else {
			SUP_CLOSE(fd);
			free(b);
		}
	}
}

static void test_subclass_perf(void)
{
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	int pprog = sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
	int n0, lfd = -1;
	struct perf_link *p = NULL;
	__u32 id;

	if (!CHECK(pfd >= 0 && pprog >= 0, "perf-style: an event and a perf_event program"))
		goto out;
	n0 = sup_fd_count();
	lfd = bpf_link_create(pprog, pfd, BPF_PERF_EVENT, NULL);
	p = calloc(1, sizeof(*p));
	if (!CHECK(lfd >= 0 && p, "perf-style: a perf_event link"))
		goto out;
	memset(&rec, 0, sizeof(rec));
	p->link.detach = perf_detach;
	p->link.dealloc = perf_dealloc;
	p->link.fd = lfd;
	p->perf_event_fd = pfd;
	p->legacy_probe_name = strdup("bpflink_probe");
	id = sup_link_id(lfd);

	/* The other functions work on it through the base layout. */
	CHECK_EQ(bpf_link__fd(as_link(&p->link)), lfd, "perf-style: bpf_link__fd");
	CHECK_ERR(bpf_link__detach(as_link(&p->link)), EOPNOTSUPP,
		  "perf-style: detach (kernel: perf_event links cannot)");
	CHECK_EQ(bpf_link__pin(as_link(&p->link), in_fs("perf")), 0, "perf-style: pin");
	CHECK(sup_exists(in_fs("perf")), "perf-style: the pin file exists");
	CHECK_EQ(bpf_link__unpin(as_link(&p->link)), 0, "perf-style: unpin");
	CHECK_EQ(bpf_link__pin(as_link(&p->link), in_fs("perf")), 0, "perf-style: pin again");

	CHECK_EQ(bpf_link__destroy(as_link(&p->link)), 0, "perf-style: destroy");
	CHECK(rec.detach_calls == 1 && rec.dealloc_calls == 1 && rec.order,
	      "perf-style: detach, then dealloc");
	CHECK(!sup_fd_open(lfd) && !sup_fd_open(pfd), "perf-style: its detach closed both fds");
	CHECK_EQ(sup_fd_count(), n0 - 1, "perf-style: fd count (the event went with it)");
	CHECK(sup_exists(in_fs("perf")) && sup_link_alive(id),
	      "perf-style: destroy did not unpin; the pin holds the link");
	unlink(in_fs("perf"));
	CHECK(sup_link_gone(id), "perf-style: gone once unpinned by hand");
	p = NULL;
	pfd = -1;
	lfd = -1;

	/* libbpf's fallback without perf links: fd is the perf event itself,
	 * the program set by ioctl. Not a BPF link, so detach and pin are
	 * refused by the kernel; destroy closes the event once. */
	if (!sup_need("perf_ioc_set_bpf", "perf-style on the ioctl path"))
		goto out;
	pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	p = calloc(1, sizeof(*p));
	if (!CHECK(pfd >= 0 && p && ioctl(pfd, PERF_EVENT_IOC_SET_BPF, pprog) == 0,
		   "perf-style on the ioctl path (PERF_EVENT_IOC_SET_BPF)"))
		goto out;
	memset(&rec, 0, sizeof(rec));
	p->link.detach = perf_detach;
	p->link.dealloc = perf_dealloc;
	p->link.fd = pfd;
	p->perf_event_fd = pfd;
	CHECK_ERR(bpf_link__detach(as_link(&p->link)), EINVAL,
		  "ioctl perf-style: detach (kernel: not a link fd)");
	log_reset();
	CHECK_ERR(bpf_link__pin(as_link(&p->link), in_fs("perf-ioctl")), EINVAL,
		  "ioctl perf-style: pin (kernel: not a BPF object)");
	CHECK_NO_LOG("ioctl perf-style: pin");
	CHECK(!sup_exists(in_fs("perf-ioctl")) && p->link.pin_path == NULL,
	      "ioctl perf-style: nothing pinned");
	CHECK_EQ(bpf_link__destroy(as_link(&p->link)), 0, "ioctl perf-style: destroy");
	CHECK(!sup_fd_open(pfd) && rec.detach_calls == 1 && rec.dealloc_calls == 1,
	      "ioctl perf-style: event closed, detach and dealloc once");
	p = NULL;
	pfd = -1;
out:
	if (p)
		free(p);
	SUP_CLOSE(lfd);
	SUP_CLOSE(pprog);
	SUP_CLOSE(pfd);
}

/* ------------------------------------------------------------------------
 * bpf_link__update_program. bpflink reads the program's fd with libbpf's
 * own bpf_program__fd(), found in the process at the first call and
 * remembered; so each half runs in a child of its own.
 */

/* No libbpf in the process: bpflink cannot read a program. */
static void update_without_libbpf(void *arg)
{
	struct bpf_link *l = new_link();
	__u32 id;

	(void)arg;
	if (!CHECK(l != NULL, "a link object"))
		return;
	id = obj_link_id(l);
	CHECK(dlsym(RTLD_DEFAULT, "bpf_program__fd") == NULL, "no bpf_program__fd in the process");
	log_reset();
	CHECK_ERR(bpf_link__update_program(l, (struct bpf_program *)&prog), EINVAL,
		  "update_program without libbpf");
	CHECK_LOG("update_program without libbpf",
		  "<0>libbpf: bpflink: bpf_link__update_program needs libbpf's bpf_program__fd(), "
		  "and no libbpf is loaded in this process\n");
	CHECK_EQ(prog_of_link(id), sup_prog_id(prog), "the link's program is unchanged");
	bpf_link__destroy(l);
}

/* The reference libbpf, loaded into the global scope. */
struct ref {
	void *h;
	struct bpf_object *(*open_file)(const char *path, const void *opts);
	int (*load)(struct bpf_object *obj);
	void (*close)(struct bpf_object *obj);
	struct bpf_program *(*find)(const struct bpf_object *obj, const char *name);
	int (*set_autoload)(struct bpf_program *prog, bool autoload);
	int (*prog_fd)(const struct bpf_program *prog);
	libbpf_print_fn_t (*set_print)(libbpf_print_fn_t fn);
};

static char reflog[16384];
static size_t reflen;

/* The reference's own messages (object loading), shown only on failure. */
static int ref_capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG || reflen + 1 >= sizeof(reflog))
		return 0;
	n = vsnprintf(reflog + reflen, sizeof(reflog) - reflen, fmt, ap);
	if (n > 0)
		reflen += (size_t)n < sizeof(reflog) - reflen ? (size_t)n : sizeof(reflog) - reflen - 1;
	return 0;
}

static void show_reflog(void)
{
	char *line, *save = NULL;

	for (line = strtok_r(reflog, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("#   reference libbpf: %s\n", line);
}

static bool ref_load(struct ref *r, int mode)
{
	r->h = dlopen(REF_SO, RTLD_NOW | mode);
	if (!r->h) {
		printf("# dlopen %s: %s\n", REF_SO, dlerror());
		return false;
	}
	r->open_file = dlsym(r->h, "bpf_object__open_file");
	r->load = dlsym(r->h, "bpf_object__load");
	r->close = dlsym(r->h, "bpf_object__close");
	r->find = dlsym(r->h, "bpf_object__find_program_by_name");
	r->set_autoload = dlsym(r->h, "bpf_program__set_autoload");
	r->prog_fd = dlsym(r->h, "bpf_program__fd");
	r->set_print = dlsym(r->h, "libbpf_set_print");
	return r->open_file && r->load && r->close && r->find && r->set_autoload && r->prog_fd &&
	       r->set_print;
}

static void update_with_libbpf(void *arg)
{
	struct bpf_program *a, *b, *x, *un;
	struct bpf_object *obj = NULL;
	struct bpf_link *l = NULL;
	struct ref r = { 0 };
	__u32 id;

	(void)arg;
	if (!CHECK(ref_load(&r, RTLD_GLOBAL), "reference libbpf loaded RTLD_GLOBAL"))
		return;
	r.set_print(ref_capture);
	CHECK(dlsym(RTLD_DEFAULT, "bpf_program__fd") == (void *)r.prog_fd,
	      "its bpf_program__fd is the one the process finds");
	obj = r.open_file(OBJECT_BPF_O, NULL);
	if (!CHECK(obj != NULL, "libbpf opens %s", OBJECT_BPF_O))
		goto out;
	a = r.find(obj, "obj_ingress_a");
	b = r.find(obj, "obj_ingress_b");
	x = r.find(obj, "obj_xdp");
	un = r.find(obj, "obj_unloaded");
	if (!CHECK(a && b && x && un, "its programs are there"))
		goto out;
	r.set_autoload(un, false);
	if (!CHECK_EQ(r.load(obj), 0, "libbpf loads it (obj_unloaded left out)")) {
		show_reflog();
		goto out;
	}
	CHECK(r.prog_fd(a) >= 0 && r.prog_fd(b) >= 0 && r.prog_fd(un) < 0,
	      "loaded programs have fds, obj_unloaded has none");

	l = new_link();
	if (!CHECK(l != NULL, "a link object running a raw program"))
		goto out;
	id = obj_link_id(l);
	log_reset();
	errno = 0;
	CHECK_EQ(bpf_link__update_program(l, b), 0, "update_program(obj_ingress_b)");
	CHECK_EQ(errno, 0, "update_program: errno untouched on success");
	CHECK_NO_LOG("update_program");
	CHECK_EQ(prog_of_link(id), sup_prog_id(r.prog_fd(b)), "the link runs obj_ingress_b");
	CHECK_EQ(bpf_link__update_program(l, a), 0, "update_program(obj_ingress_a)");
	CHECK_EQ(prog_of_link(id), sup_prog_id(r.prog_fd(a)), "the link runs obj_ingress_a");

	log_reset();
	CHECK_ERR(bpf_link__update_program(l, x), EINVAL,
		  "update_program(XDP program) on a cgroup link (kernel)");
	CHECK_NO_LOG("update_program(XDP)");
	CHECK_EQ(prog_of_link(id), sup_prog_id(r.prog_fd(a)), "refused: still obj_ingress_a");

	log_reset();
	CHECK_ERR(bpf_link__update_program(l, un), EINVAL, "update_program(unloaded program)");
	CHECK_LOG("update_program(unloaded)",
		  "<0>libbpf: prog 'obj_unloaded': can't use BPF program without FD (was it "
		  "loaded?)\n");
	/* libbpf would crash printing NULL->name; bpflink prints "(null)". */
	log_reset();
	CHECK_ERR(bpf_link__update_program(l, NULL), EINVAL, "update_program(NULL program)");
	CHECK_LOG("update_program(NULL)",
		  "<0>libbpf: prog '(null)': can't use BPF program without FD (was it loaded?)\n");
	CHECK_EQ(prog_of_link(id), sup_prog_id(r.prog_fd(a)), "refusals left the program alone");

	CHECK_EQ(bpf_link__detach(l), 0, "detach");
	CHECK_ERR(bpf_link__update_program(l, b), ENOLINK, "update_program after detach (kernel)");
	CHECK_EQ(bpf_link__destroy(l), 0, "destroy");
	CHECK(sup_link_gone(id), "the link is gone");
out:
	if (obj)
		r.close(obj);
}

static void test_update_program(void)
{
	sup_run_in_child("update without libbpf", update_without_libbpf, NULL);
	/* libbpf loads every program of the object: XDP and perf_event too. */
	if (sup_need("prog_xdp,prog_perf_event", "update with libbpf's programs"))
		sup_run_in_child("update with libbpf", update_with_libbpf, NULL);
}

/* ------------------------------------------------------------------------
 * BPFLINK_TRACE
 */

/* The helper mode: a fixed series of calls; prints what the parent needs
 * to predict the trace lines ("obj <pointer>", "fd <n>") on stdout. */
static int trace_child(const char *dir)
{
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	int pprog = sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
	char path[256], missing[256];
	union bpf_attr attr;
	struct bpf_link *l;
	int fd;

	if (pfd < 0 || pprog < 0)
		return 2;
	/* The link is made with raw bpf(2): its creation is not traced. */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = pprog;
	attr.link_create.target_fd = pfd;
	attr.link_create.attach_type = BPF_PERF_EVENT;
	fd = sup_bpf(BPF_LINK_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return 3;
	snprintf(path, sizeof(path), "%s/trace", dir);
	snprintf(missing, sizeof(missing), "%s/trace-missing", dir);
	l = bpflink_link_from_fd(fd);
	printf("obj %p\nfd %d\n", (void *)l, fd);
	fflush(stdout);
	bpf_link__pin(l, path);
	bpf_link__pin(l, path);
	bpf_link__pin_path(l);
	bpf_link__open(missing);
	bpf_link__fd(l);
	bpf_link__unpin(l);
	bpf_link__pin_path(l);
	bpf_link__detach(l);
	bpf_link__disconnect(NULL);
	bpf_link__fd(NULL);
	bpf_link__destroy(l);
	bpf_link__destroy(NULL);
	bpf_link__destroy((struct bpf_link *)(intptr_t)-EINVAL);
	close(pprog);
	close(pfd);
	return 0;
}

/* Runs this binary in helper mode with BPFLINK_TRACE set to `value`
 * (NULL: unset); collects its stdout and stderr. Returns the exit status. */
static int run_trace_child(const char *value, char *out, size_t outlen, char *err, size_t errlen)
{
	char self[PATH_MAX];
	int po[2], pe[2], status;
	ssize_t n, len;
	pid_t pid;

	out[0] = err[0] = 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -1;
	self[n] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (value)
			setenv("BPFLINK_TRACE", value, 1);
		else
			unsetenv("BPFLINK_TRACE");
		execl(self, "test_object", "--trace-child", fs.dir, (char *)NULL);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* The child writes little: read stdout to the end, then stderr. */
	len = 0;
	while (len + 1 < (ssize_t)outlen && (n = read(po[0], out + len, outlen - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	len = 0;
	while (len + 1 < (ssize_t)errlen && (n = read(pe[0], err + len, errlen - 1 - len)) > 0)
		len += n;
	err[len] = 0;
	close(po[0]);
	close(pe[0]);
	status = sup_child_wait(pid);
	return status;
}

/* Only the "bpflink: " lines of a stderr text. */
static void trace_lines(const char *err, char *out, size_t len)
{
	const char *p = err, *nl;
	size_t o = 0;

	out[0] = 0;
	for (; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		if (!strncmp(p, "bpflink: ", 9) && o + (size_t)(nl - p) + 2 < len) {
			memcpy(out + o, p, nl - p);
			o += nl - p;
			out[o++] = '\n';
			out[o] = 0;
		}
		if (!*nl)
			break;
	}
}

static void test_trace(void)
{
	static char out[4096], err[16384], lines[8192], want[8192];
	static const char *const off[] = { NULL, "0", "" };
	void *obj = NULL;
	int status, fd = -1, i;
	const char *o;
	char path[256], missing[256];

	status = run_trace_child("1", out, sizeof(out), err, sizeof(err));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "trace: helper run with BPFLINK_TRACE=1 (status 0x%x)", status);
	o = strstr(out, "obj ");
	CHECK(o && sscanf(o, "obj %p\nfd %d", &obj, &fd) == 2,
	      "trace: the helper reported its object and fd");
	snprintf(path, sizeof(path), "%s/trace", fs.dir);
	snprintf(missing, sizeof(missing), "%s/trace-missing", fs.dir);
	snprintf(want, sizeof(want),
		 "bpflink: bpflink_link_from_fd(%d) = %p\n"
		 "bpflink: bpf_link__pin(%p, \"%s\") = 0\n"
		 "bpflink: bpf_link__pin(%p, \"%s\") = -16 (errno 16)\n"
		 "bpflink: bpf_link__pin_path(%p) = \"%s\"\n"
		 "bpflink: bpf_link__open(\"%s\") = NULL (errno 2)\n"
		 "bpflink: bpf_link__fd(%p) = %d\n"
		 "bpflink: bpf_link__unpin(%p) = 0\n"
		 "bpflink: bpf_link__pin_path(%p) = NULL\n"
		 "bpflink: bpf_link__detach(%p) = -95 (errno 95)\n"
		 "bpflink: bpf_link__disconnect(NULL)\n"
		 "bpflink: bpf_link__fd(NULL) = -22 (errno 22)\n"
		 "bpflink: bpf_link__destroy(%p) = 0\n"
		 "bpflink: bpf_link__destroy(NULL) = 0\n"
		 "bpflink: bpf_link__destroy(0xffffffffffffffea) = 0\n",
		 fd, obj, obj, path, obj, path, obj, path, missing, obj, fd, obj, obj, obj, obj);
	trace_lines(err, lines, sizeof(lines));
	if (!CHECK(!strcmp(lines, want), "trace: one line per call, in order, as expected")) {
		char *line, *save = NULL;

		for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("#   got:  %s\n", line);
		for (line = strtok_r(want, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("#   want: %s\n", line);
	}
	CHECK(strstr(err, "libbpf: failed to open link at ") != NULL,
	      "trace: the library's own warnings still go to stderr");
	CHECK(!sup_exists(path), "trace: the helper unpinned");

	for (i = 0; i < 3; i++) {
		status = run_trace_child(off[i], out, sizeof(out), err, sizeof(err));
		trace_lines(err, lines, sizeof(lines));
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && lines[0] == 0 &&
			      strstr(out, "obj ") != NULL,
		      "trace: BPFLINK_TRACE%s%s%s: no trace line (status 0x%x)",
		      off[i] ? "=\"" : " unset", off[i] ? off[i] : "", off[i] ? "\"" : "", status);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--trace-child"))
		return trace_child(argv[2]);

	sup_require_root();
	libbpf_set_print(capture);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bpflink-object-XXXXXX");
	if (!CHECK(mkdtemp(tmpdir) != NULL, "a temporary directory off the bpffs")) {
		tmpdir[0] = 0;
		return sup_done();
	}
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	prog2 = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (sup_need("link_cgroup,bpffs_mount", "link objects on cgroup links, pinned on a bpffs") &&
	    CHECK(prog >= 0 && prog2 >= 0 && sup_cgroup_create(&cg, "object") == 0 &&
			  sup_bpffs_mount(&fs) == 0,
		  "two cgroup_skb programs, a child cgroup and a private bpffs")) {
		test_from_fd();
		test_pin();
		test_unpin_errors();
		test_open();
		test_disconnect_detach();
		if (sup_need("link_perf_event,iter_bpf_map", "detach refused by the kernel"))
			test_detach_refused();
		test_null();
		test_subclass_struct_ops();
		if (sup_need("link_perf_event", "perf-style subclass"))
			test_subclass_perf();
		test_update_program();
		if (sup_need("link_perf_event", "BPFLINK_TRACE on a perf_event link"))
			test_trace();
		CHECK_EQ(sup_attached(cg.fd, 0), 0, "nothing left attached to the cgroup");
	}
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
	rmdir(tmpdir);
	return sup_done();
}
