// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bad-input table: every way of calling the link API wrongly that the
 * hardening issue lists, one row each, bpflink against the reference
 * libbpf v1.7.0 (both dlopen()ed side by side, tests-c/hard.h).
 *
 * A row is a description, the call (an operation and its bad argument),
 * and what is expected. There are three kinds of rows:
 *
 *   libbpf   libbpf defines the answer: the row runs through bpflink, then
 *            from the same starting state through libbpf, and the two
 *            answers (return value, errno, every message given to the
 *            print callback) must be identical, and equal to the answer
 *            written in the row.
 *   crash    libbpf 1.7.0 would crash (it dereferences NULL or an error
 *            pointer); bpflink's documented answer (README table, header
 *            comments) is -EINVAL / NULL with errno EINVAL. The row runs
 *            through bpflink only, first in a forked child, so that even a
 *            crash is caught and reported as this row's failure, then
 *            again in this process (where valgrind and the sanitizers
 *            watch it). The premise is checked too: the same call through
 *            libbpf, in another forked child with core dumps off, must die
 *            of a signal (not under valgrind or ASan, which would report
 *            that deliberate crash as an error of their own).
 *   bpflink  bpflink's own function (bpflink_link_from_fd), with no
 *            libbpf counterpart: checked against its header contract.
 *
 * For every row and every library the process's fd count after the row
 * must equal the count before it: no answer leaks an fd (the one row that
 * leaks one by design, bpf_link__destroy of a disconnected link, closes it
 * itself and says so).
 *
 *   hard_badinput              the table, as TAP (one case per row)
 *   hard_badinput --markdown   the same run, then the table in Markdown
 */
#include "hard.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* ---- fixtures ------------------------------------------------------------ */

static struct sup_cgroup cg = { .fd = -1 };
static struct sup_bpffs fs;
static char tmpdir[96];
static int prog = -1, prog2 = -1, map = -1, devnull = -1;
#define CLOSED_FD 900 /* opened, then closed: a closed fd number */
static char long_path[PATH_MAX + 256];
static char long_name[512];
static char setup_error[256];
/* A crash in this process names the row it happened in. */
static volatile size_t current_row;

/* Paths on the bpffs and in the tmpfs off it (support.h: sup_path). */
#define in_fs(name) sup_path(fs.dir, name)
#define in_tmp(name) sup_path(tmpdir, name)

static void setup_fail(const char *what, int err)
{
	if (!setup_error[0])
		snprintf(setup_error, sizeof(setup_error), "%s: %s", what, strerror(err));
}

/* A fresh cgroup link running `prog`, made with raw bpf(2): neither
 * library is involved. */
static int raw_link(void)
{
	int fd = sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);

	if (fd < 0) {
		setup_fail("raw link_create", -fd);
		return -1;
	}
	return fd;
}

/* A link object of library a, made by that library's bpf_link__open() of a
 * fresh link pinned at fs/name: pinned, with pin_path set. */
static struct bpf_link *obj_pinned(struct lib *a, const char *name)
{
	struct bpf_link *l;
	int fd = raw_link();

	if (fd < 0)
		return NULL;
	if (sup_obj_pin(fd, in_fs(name))) {
		setup_fail("pin a fresh link", errno);
		close(fd);
		return NULL;
	}
	close(fd);
	l = a->open(in_fs(name));
	if (!l) {
		setup_fail("bpf_link__open of a fresh pin", errno);
		unlink(in_fs(name));
	}
	return l;
}

/* The same, then unpinned through the library: an object without a pin. */
static struct bpf_link *obj_unpinned(struct lib *a)
{
	struct bpf_link *l = obj_pinned(a, "fresh");

	if (l && a->unpin(l)) {
		setup_fail("bpf_link__unpin of a fresh pin", errno);
		unlink(in_fs("fresh"));
	}
	return l;
}

/* Destroys an object made above and removes whatever pin files and
 * directories a row left on the bpffs. */
static void obj_done(struct lib *a, struct bpf_link *l)
{
	a->destroy(l);
}

static void clean_fs(void)
{
	static const char *const files[] = { "fresh", "link", "again", "c/link", "other", "map" };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(in_fs(files[i]));
	rmdir(in_fs("c"));
	unlink(in_tmp("link"));
}

/* ---- the table -------------------------------------------------------------- */

enum kind { K_LIBBPF, K_CRASH, K_BPFLINK };

/* Kinds of bad (and good) fd arguments. */
enum fdk { F_LINK, F_NEG1, F_INTMIN, F_CLOSED, F_MAP, F_PROG, F_DEVNULL };


/* Path arguments. */
enum pathk {
	P_NULL,	    /* NULL */
	P_EMPTY,    /* "" (relative: the current directory, not a bpffs) */
	P_LONG,	    /* more than PATH_MAX bytes, under the bpffs */
	P_LONGNAME, /* a 300-byte last component, under the bpffs */
	P_TMP,	    /* a path in a directory that is not on a bpffs */
	P_TMPFILE,  /* an existing regular file there */
	P_MISSING2, /* fs/a/b/link: two levels of parents missing */
	P_MISSING1, /* fs/c/link: one level missing (pin creates it) */
	P_FSDIR,    /* the bpffs directory itself */
	P_MAP,	    /* a pinned map */
};

/* Options sizes. */
enum szk { SZ_0, SZ_1, SZ_7, SZ_MAX, SZ_PAGE_ZERO, SZ_PAGE_DIRTY };

enum op {
	/* low level */
	OP_CREATE_PROG,	   /* bpf_link_create(<fd>, cgroup, INET_INGRESS, NULL) */
	OP_CREATE_TARGET,  /* bpf_link_create(prog, <fd>, INET_INGRESS, NULL) */
	OP_CREATE_TYPE,	   /* bpf_link_create(prog, cgroup, <arg>, NULL) */
	OP_CREATE_SZ,	   /* bpf_link_create(prog, cgroup, INET_INGRESS, &opts<sz>) */
	OP_UPDATE_LINK,	   /* bpf_link_update(<fd>, prog2, NULL) */
	OP_UPDATE_PROG,	   /* bpf_link_update(link, <fd>, NULL) */
	OP_UPDATE_SZ,	   /* bpf_link_update(link, prog2, &opts<sz>) */
	OP_DETACH,	   /* bpf_link_detach(<fd>) */
	OP_ITER,	   /* bpf_iter_create(<fd>) */
	OP_INFO,	   /* bpf_link_get_info_by_fd(<fd>, &info, &len) */
	OP_INFO_NULL_INFO, /* bpf_link_get_info_by_fd(link, NULL, &len = arg) */
	OP_INFO_NULL_LEN,  /* bpf_link_get_info_by_fd(<fd>, &info, NULL) */
	OP_INFO_NULL_BOTH, /* bpf_link_get_info_by_fd(link, NULL, NULL) */
	OP_NEXT_ID,	   /* bpf_link_get_next_id(arg, &id) */
	OP_NEXT_ID_NULL,   /* bpf_link_get_next_id(arg, NULL) */
	OP_FD_BY_ID,	   /* bpf_link_get_fd_by_id(arg) */
	OP_FD_BY_ID_OPTS,  /* bpf_link_get_fd_by_id_opts(arg, NULL) */
	OP_FD_BY_ID_LIVE,  /* bpf_link_get_fd_by_id_opts(<a live link's id>, NULL) */
	OP_FD_BY_ID_SZ,	   /* bpf_link_get_fd_by_id_opts(<a live link's id>, &opts<sz>) */
	OP_TYPE_STR,	   /* libbpf_bpf_link_type_str(arg) */
	/* link objects */
	OP_OPEN,	   /* bpf_link__open(<path>) */
	OP_PIN,		   /* bpf_link__pin(link, <path>) */
	OP_DESTROY_PTR,	   /* bpf_link__destroy(<NULL or ERR_PTR(arg)>) */
	OP_NULL_OBJ,	   /* bpf_link__<arg>(NULL or ERR_PTR, ...) */
	OP_UPDATE_PROGRAM_NULL, /* bpf_link__update_program(link, NULL) */
	OP_DOUBLE_UNPIN,
	OP_PIN_AFTER_UNPIN,
	OP_PIN_TWICE,
	OP_PIN_EXISTING,
	OP_UNPIN_REMOVED,
	OP_UNPIN_UNPINNED,
	OP_UPDATE_AFTER_DETACH,
	OP_DETACH_TWICE,
	OP_DETACH_AFTER_DISCONNECT,
	OP_DESTROY_PINNED,
	OP_FROM_FD, /* bpflink_link_from_fd(<fd>) */
};

/* Object functions taking a NULL / error-pointer link (OP_NULL_OBJ). */
enum objfn { O_FD, O_PIN_PATH, O_PIN, O_UNPIN, O_DETACH, O_DISCONNECT, O_UPDATE_PROGRAM };

#define RET_OBJ 1      /* "a non-NULL pointer" (pointer functions: 1 / 0) */
#define RET_STR 1      /* the same for strings */

struct row {
	const char *group;
	const char *call; /* the call as C, with the bad argument */
	enum kind kind;
	enum op op;
	long arg;
	long arg2;
	long want_ret;
	int want_err; /* checked when want_ret < 0, or want_ret == 0 for pointers */
	const char *want_log; /* substring of the messages; "" = no message */
};

#define FDROWS(GROUP, CALL, OP, E_NEG, E_CLOSED, E_MAP, E_PROG, E_NULL)                       \
	{ GROUP, CALL " with -1", K_LIBBPF, OP, F_NEG1, 0, -E_NEG, E_NEG, "" },                \
	{ GROUP, CALL " with INT_MIN", K_LIBBPF, OP, F_INTMIN, 0, -E_NEG, E_NEG, "" },         \
	{ GROUP, CALL " with a closed fd", K_LIBBPF, OP, F_CLOSED, 0, -E_CLOSED, E_CLOSED, "" }, \
	{ GROUP, CALL " with a map fd", K_LIBBPF, OP, F_MAP, 0, -E_MAP, E_MAP, "" },           \
	{ GROUP, CALL " with a prog fd", K_LIBBPF, OP, F_PROG, 0, -E_PROG, E_PROG, "" },       \
	{ GROUP, CALL " with a /dev/null fd", K_LIBBPF, OP, F_DEVNULL, 0, -E_NULL, E_NULL, "" }

#define SZROWS(GROUP, CALL, OP, TYPE, OK)                                                      \
	{ GROUP, CALL " " "sz = 0", K_LIBBPF, OP, SZ_0, 0, -EINVAL, EINVAL,                    \
	  "<0>libbpf: " TYPE " size (0) is too small\n" },                                      \
	{ GROUP, CALL " " "sz = 1", K_LIBBPF, OP, SZ_1, 0, -EINVAL, EINVAL,                    \
	  "<0>libbpf: " TYPE " size (1) is too small\n" },                                      \
	{ GROUP, CALL " " "sz = 7", K_LIBBPF, OP, SZ_7, 0, -EINVAL, EINVAL,                    \
	  "<0>libbpf: " TYPE " size (7) is too small\n" },                                      \
	{ GROUP, CALL " " "sz = SIZE_MAX", K_LIBBPF, OP, SZ_MAX, 0, OK, 0, "" },                \
	{ GROUP, CALL " " "sz = 8192, zero tail", K_LIBBPF, OP, SZ_PAGE_ZERO, 0, OK, 0, "" },   \
	{ GROUP, CALL " " "sz = 8192, non-zero byte at 6000", K_LIBBPF, OP, SZ_PAGE_DIRTY, 0,   \
	  -EINVAL, EINVAL, "<0>libbpf: " TYPE " has non-zero extra bytes\n" }

static const struct row rows[] = {
	/* NULL opts: accepted everywhere, the defaults apply. */
	{ "NULL opts", "bpf_link_create(prog, cgroup, BPF_CGROUP_INET_INGRESS, NULL)", K_LIBBPF,
	  OP_CREATE_PROG, F_PROG, 0, RET_FD, 0, "" },
	{ "NULL opts", "bpf_link_update(link, prog2, NULL)", K_LIBBPF, OP_UPDATE_PROG, F_PROG, 0,
	  0, 0, "" },
	{ "NULL opts", "bpf_link_get_fd_by_id_opts(live id, NULL)", K_LIBBPF, OP_FD_BY_ID_LIVE, 0, 0,
	  RET_FD, 0, "" },

	/* NULL out-pointers */
	{ "NULL out-pointers", "bpf_link_get_next_id(0, NULL)", K_CRASH, OP_NEXT_ID_NULL, 0, 0,
	  -EINVAL, EINVAL, "" },
	{ "NULL out-pointers", "bpf_link_get_next_id(INT_MAX - 1, NULL) (no next id)", K_LIBBPF,
	  OP_NEXT_ID_NULL, INT_MAX - 1, 0, -ENOENT, ENOENT, "" },
	{ "NULL out-pointers", "bpf_link_get_next_id(UINT32_MAX, NULL) (id out of range)",
	  K_LIBBPF, OP_NEXT_ID_NULL, UINT32_MAX, 0, -EINVAL, EINVAL, "" },
	{ "NULL out-pointers", "bpf_link_get_info_by_fd(link, NULL, &len = 64)", K_LIBBPF,
	  OP_INFO_NULL_INFO, 64, 0, -EFAULT, EFAULT, "" },
	{ "NULL out-pointers", "bpf_link_get_info_by_fd(link, NULL, &len = 0)", K_LIBBPF,
	  OP_INFO_NULL_INFO, 0, 0, 0, 0, "" },
	{ "NULL out-pointers", "bpf_link_get_info_by_fd(link, &info, NULL)", K_CRASH,
	  OP_INFO_NULL_LEN, F_LINK, 0, -EINVAL, EINVAL, "" },
	{ "NULL out-pointers", "bpf_link_get_info_by_fd(-1, &info, NULL)", K_CRASH,
	  OP_INFO_NULL_LEN, F_NEG1, 0, -EINVAL, EINVAL, "" },
	{ "NULL out-pointers", "bpf_link_get_info_by_fd(link, NULL, NULL)", K_CRASH,
	  OP_INFO_NULL_BOTH, 0, 0, -EINVAL, EINVAL, "" },

	/* Pin paths */
	{ "pin paths", "bpf_link__pin(link, NULL)", K_CRASH, OP_PIN, P_NULL, 0, -EINVAL, EINVAL,
	  "" },
	{ "pin paths", "bpf_link__pin(link, \"\")", K_LIBBPF, OP_PIN, P_EMPTY, 0, -EINVAL, EINVAL,
	  "<0>libbpf: specified path  is not on BPF FS\n" },
	{ "pin paths", "bpf_link__pin(link, <PATH_MAX + 100 bytes>)", K_LIBBPF, OP_PIN, P_LONG, 0,
	  -ENAMETOOLONG, ENAMETOOLONG, "<0>libbpf: failed to mkdir " },
	{ "pin paths", "bpf_link__pin(link, <bpffs>/<300-byte name>)", K_LIBBPF, OP_PIN,
	  P_LONGNAME, 0, -ENAMETOOLONG, ENAMETOOLONG, "" },
	{ "pin paths", "bpf_link__pin(link, <not a bpffs>/link)", K_LIBBPF, OP_PIN, P_TMP, 0,
	  -EINVAL, EINVAL, "is not on BPF FS\n" },
	{ "pin paths", "bpf_link__pin(link, <bpffs>/a/b/link) (a/b missing)", K_LIBBPF, OP_PIN,
	  P_MISSING2, 0, -ENOENT, ENOENT, "<0>libbpf: failed to mkdir " },
	{ "pin paths", "bpf_link__pin(link, <bpffs>/c/link) (c missing: created)", K_LIBBPF,
	  OP_PIN, P_MISSING1, 0, 0, 0, "<2>libbpf: link fd=" },
	{ "pin paths", "bpf_link__pin(link, <bpffs>) (the mount point)", K_LIBBPF, OP_PIN, P_FSDIR,
	  0, -EINVAL, EINVAL, "is not on BPF FS\n" },
	{ "pin paths", "bpf_link__open(NULL)", K_LIBBPF, OP_OPEN, P_NULL, 0, 0, EFAULT,
	  "<0>libbpf: failed to open link at (null): -14\n" },
	{ "pin paths", "bpf_link__open(\"\")", K_LIBBPF, OP_OPEN, P_EMPTY, 0, 0, ENOENT,
	  "<0>libbpf: failed to open link at : -2\n" },
	{ "pin paths", "bpf_link__open(<PATH_MAX + 100 bytes>)", K_LIBBPF, OP_OPEN, P_LONG, 0, 0,
	  ENAMETOOLONG, "<0>libbpf: failed to open link at " },
	{ "pin paths", "bpf_link__open(<not a bpffs>/link) (missing)", K_LIBBPF, OP_OPEN, P_TMP, 0,
	  0, ENOENT, ": -2\n" },
	{ "pin paths", "bpf_link__open(<not a bpffs>/file) (a regular file)", K_LIBBPF, OP_OPEN,
	  P_TMPFILE, 0, 0, EACCES, ": -13\n" },
	{ "pin paths", "bpf_link__open(<bpffs>/a/b/link) (a/b missing)", K_LIBBPF, OP_OPEN,
	  P_MISSING2, 0, 0, ENOENT, ": -2\n" },
	{ "pin paths", "bpf_link__open(<bpffs>) (the mount point)", K_LIBBPF, OP_OPEN, P_FSDIR, 0,
	  0, EACCES, ": -13\n" },
	{ "pin paths", "bpf_link__open(<bpffs>/map) (a pinned map: opened, as libbpf)", K_LIBBPF,
	  OP_OPEN, P_MAP, 0, RET_OBJ, 0, "" },

	/* Options sizes */
	SZROWS("opts sz", "bpf_link_create(prog, cgroup, INET_INGRESS, &opts),", OP_CREATE_SZ,
	       "bpf_link_create_opts", RET_FD),
	SZROWS("opts sz", "bpf_link_update(link, prog2, &opts),", OP_UPDATE_SZ,
	       "bpf_link_update_opts", 0),
	SZROWS("opts sz", "bpf_link_get_fd_by_id_opts(live id, &opts),", OP_FD_BY_ID_SZ,
	       "bpf_get_fd_by_id_opts", RET_FD),

	/* Bad fds: negative, closed, and of the wrong type */
	FDROWS("fds", "bpf_link_detach(fd)", OP_DETACH, EBADF, EBADF, EINVAL, EINVAL, EINVAL),
	FDROWS("fds", "bpf_link_update(fd, prog2, NULL)", OP_UPDATE_LINK, EBADF, EBADF, EINVAL,
	       EINVAL, EINVAL),
	FDROWS("fds", "bpf_iter_create(fd)", OP_ITER, EBADF, EBADF, EINVAL, EINVAL, EINVAL),
	/* The kernel's BPF_OBJ_GET_INFO_BY_FD says EBADFD (not EBADF) for a bad fd,
	 * and describes any bpf object: a map's or a program's info comes back. */
	FDROWS("fds", "bpf_link_get_info_by_fd(fd, &info, &len)", OP_INFO, EBADFD, EBADFD, 0, 0,
	       EINVAL),
	{ "fds", "bpf_link_update(link, fd, NULL) with -1", K_LIBBPF, OP_UPDATE_PROG, F_NEG1, 0,
	  -EBADF, EBADF, "" },
	{ "fds", "bpf_link_update(link, fd, NULL) with a closed fd", K_LIBBPF, OP_UPDATE_PROG,
	  F_CLOSED, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_update(link, fd, NULL) with a map fd", K_LIBBPF, OP_UPDATE_PROG, F_MAP, 0,
	  -EINVAL, EINVAL, "" },
	{ "fds", "bpf_link_update(link, fd, NULL) with a link fd", K_LIBBPF, OP_UPDATE_PROG, F_LINK,
	  0, -EINVAL, EINVAL, "" },
	{ "fds", "bpf_link_create(fd, cgroup, INET_INGRESS, NULL) with -1", K_LIBBPF,
	  OP_CREATE_PROG, F_NEG1, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_create(fd, cgroup, INET_INGRESS, NULL) with a closed fd", K_LIBBPF,
	  OP_CREATE_PROG, F_CLOSED, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_create(fd, cgroup, INET_INGRESS, NULL) with a map fd", K_LIBBPF,
	  OP_CREATE_PROG, F_MAP, 0, -EINVAL, EINVAL, "" },
	{ "fds", "bpf_link_create(fd, cgroup, INET_INGRESS, NULL) with a link fd", K_LIBBPF,
	  OP_CREATE_PROG, F_LINK, 0, -EINVAL, EINVAL, "" },
	{ "fds", "bpf_link_create(prog, fd, INET_INGRESS, NULL) with -1", K_LIBBPF,
	  OP_CREATE_TARGET, F_NEG1, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_create(prog, fd, INET_INGRESS, NULL) with a closed fd", K_LIBBPF,
	  OP_CREATE_TARGET, F_CLOSED, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_create(prog, fd, INET_INGRESS, NULL) with a map fd", K_LIBBPF,
	  OP_CREATE_TARGET, F_MAP, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_create(prog, fd, INET_INGRESS, NULL) with a /dev/null fd", K_LIBBPF,
	  OP_CREATE_TARGET, F_DEVNULL, 0, -EBADF, EBADF, "" },
	{ "fds", "bpf_link_create(prog, cgroup, 9999, NULL) (no such attach type)", K_LIBBPF,
	  OP_CREATE_TYPE, 9999, 0, -EINVAL, EINVAL, "" },
	{ "fds", "bpf_link_create(prog, cgroup, BPF_XDP, NULL) (wrong attach type)", K_LIBBPF,
	  OP_CREATE_TYPE, BPF_XDP, 0, -EINVAL, EINVAL, "" },

	/* ids */
	{ "ids", "bpf_link_get_fd_by_id(0)", K_LIBBPF, OP_FD_BY_ID, 0, 0, -ENOENT, ENOENT, "" },
	{ "ids", "bpf_link_get_fd_by_id(UINT32_MAX)", K_LIBBPF, OP_FD_BY_ID, UINT32_MAX, 0, -ENOENT,
	  ENOENT, "" },
	{ "ids", "bpf_link_get_fd_by_id_opts(0, NULL)", K_LIBBPF, OP_FD_BY_ID_OPTS, 0, 0, -ENOENT,
	  ENOENT, "" },
	{ "ids", "bpf_link_get_fd_by_id_opts(UINT32_MAX, NULL)", K_LIBBPF, OP_FD_BY_ID_OPTS,
	  UINT32_MAX, 0, -ENOENT, ENOENT, "" },
	{ "ids", "bpf_link_get_next_id(0, &id) (a link exists)", K_LIBBPF, OP_NEXT_ID, 0, 0, 0, 0,
	  "" },
	{ "ids", "bpf_link_get_next_id(INT_MAX - 1, &id)", K_LIBBPF, OP_NEXT_ID, INT_MAX - 1, 0,
	  -ENOENT, ENOENT, "" },
	{ "ids", "bpf_link_get_next_id(INT_MAX, &id)", K_LIBBPF, OP_NEXT_ID, INT_MAX, 0, -EINVAL,
	  EINVAL, "" },
	{ "ids", "bpf_link_get_next_id(UINT32_MAX, &id)", K_LIBBPF, OP_NEXT_ID, UINT32_MAX, 0,
	  -EINVAL, EINVAL, "" },
	{ "ids", "libbpf_bpf_link_type_str(-1)", K_LIBBPF, OP_TYPE_STR, -1, 0, 0, 0, "" },
	{ "ids", "libbpf_bpf_link_type_str(UINT32_MAX)", K_LIBBPF, OP_TYPE_STR, UINT32_MAX, 0, 0, 0,
	  "" },

	/* bpf_link__destroy of nothing */
	{ "destroy", "bpf_link__destroy(NULL)", K_LIBBPF, OP_DESTROY_PTR, 0, 0, 0, 0, "" },
	{ "destroy", "bpf_link__destroy(ERR_PTR(-EINVAL))", K_LIBBPF, OP_DESTROY_PTR, -EINVAL, 0, 0,
	  0, "" },
	{ "destroy", "bpf_link__destroy(ERR_PTR(-1))", K_LIBBPF, OP_DESTROY_PTR, -1, 0, 0, 0, "" },
	{ "destroy", "bpf_link__destroy(ERR_PTR(-4095))", K_LIBBPF, OP_DESTROY_PTR, -4095, 0, 0, 0,
	  "" },

	/* Object functions on NULL and error pointers: libbpf dereferences them */
	{ "NULL link", "bpf_link__fd(NULL)", K_CRASH, OP_NULL_OBJ, O_FD, 0, -EINVAL, EINVAL, "" },
	{ "NULL link", "bpf_link__fd(ERR_PTR(-EINVAL))", K_CRASH, OP_NULL_OBJ, O_FD, -EINVAL,
	  -EINVAL, EINVAL, "" },
	{ "NULL link", "bpf_link__pin_path(NULL)", K_CRASH, OP_NULL_OBJ, O_PIN_PATH, 0, 0, EINVAL,
	  "" },
	{ "NULL link", "bpf_link__pin(NULL, <bpffs>/link)", K_CRASH, OP_NULL_OBJ, O_PIN, 0, -EINVAL,
	  EINVAL, "" },
	{ "NULL link", "bpf_link__pin(ERR_PTR(-ENOENT), <bpffs>/link)", K_CRASH, OP_NULL_OBJ, O_PIN,
	  -ENOENT, -EINVAL, EINVAL, "" },
	{ "NULL link", "bpf_link__unpin(NULL)", K_CRASH, OP_NULL_OBJ, O_UNPIN, 0, -EINVAL, EINVAL,
	  "" },
	{ "NULL link", "bpf_link__detach(NULL)", K_CRASH, OP_NULL_OBJ, O_DETACH, 0, -EINVAL, EINVAL,
	  "" },
	{ "NULL link", "bpf_link__detach(ERR_PTR(-EPERM))", K_CRASH, OP_NULL_OBJ, O_DETACH, -EPERM,
	  -EINVAL, EINVAL, "" },
	{ "NULL link", "bpf_link__disconnect(NULL) (ignored)", K_CRASH, OP_NULL_OBJ, O_DISCONNECT, 0,
	  0, 0, "" },
	{ "NULL link", "bpf_link__update_program(NULL, NULL)", K_CRASH, OP_NULL_OBJ,
	  O_UPDATE_PROGRAM, 0, -EINVAL, EINVAL, "" },
	{ "NULL link", "bpf_link__update_program(link, NULL)", K_CRASH, OP_UPDATE_PROGRAM_NULL, 0, 0,
	  -EINVAL, EINVAL, "<0>libbpf: " },

	/* Object state machine misuse */
	{ "object misuse", "bpf_link__unpin twice", K_LIBBPF, OP_DOUBLE_UNPIN, 0, 0, -EINVAL, EINVAL,
	  "" },
	{ "object misuse", "bpf_link__unpin of a link never pinned", K_LIBBPF, OP_UNPIN_UNPINNED, 0,
	  0, -EINVAL, EINVAL, "" },
	{ "object misuse", "bpf_link__pin after bpf_link__unpin", K_LIBBPF, OP_PIN_AFTER_UNPIN, 0, 0,
	  0, 0, "<2>libbpf: link fd=" },
	{ "object misuse", "bpf_link__pin twice", K_LIBBPF, OP_PIN_TWICE, 0, 0, -EBUSY, EBUSY, "" },
	{ "object misuse", "bpf_link__pin over an existing pin file", K_LIBBPF, OP_PIN_EXISTING, 0,
	  0, -EEXIST, EEXIST, "" },
	{ "object misuse", "bpf_link__unpin after the pin file was removed", K_LIBBPF,
	  OP_UNPIN_REMOVED, 0, 0, -ENOENT, ENOENT, "" },
	{ "object misuse", "bpf_link_update(bpf_link__fd(link), prog2) after bpf_link__detach",
	  K_LIBBPF, OP_UPDATE_AFTER_DETACH, 0, 0, -ENOLINK, ENOLINK, "" },
	{ "object misuse", "bpf_link__detach twice", K_LIBBPF, OP_DETACH_TWICE, 0, 0, 0, 0, "" },
	{ "object misuse", "bpf_link__detach after bpf_link__disconnect (then destroy: fd kept)",
	  K_LIBBPF, OP_DETACH_AFTER_DISCONNECT, 0, 0, 0, 0, "" },
	{ "object misuse", "bpf_link__destroy of a pinned link (the pin stays)", K_LIBBPF,
	  OP_DESTROY_PINNED, 0, 0, 0, 0, "" },

	/* bpflink_link_from_fd: bpflink's own */
	{ "from_fd", "bpflink_link_from_fd(a link fd)", K_BPFLINK, OP_FROM_FD, F_LINK, 0, RET_OBJ, 0,
	  "" },
	{ "from_fd", "bpflink_link_from_fd(-1)", K_BPFLINK, OP_FROM_FD, F_NEG1, 0, 0, EBADF, "" },
	{ "from_fd", "bpflink_link_from_fd(INT_MIN)", K_BPFLINK, OP_FROM_FD, F_INTMIN, 0, 0, EBADF,
	  "" },
	{ "from_fd", "bpflink_link_from_fd(a closed fd)", K_BPFLINK, OP_FROM_FD, F_CLOSED, 0, 0,
	  EBADF, "" },
	{ "from_fd", "bpflink_link_from_fd(a map fd)", K_BPFLINK, OP_FROM_FD, F_MAP, 0, 0, EINVAL,
	  "" },
	{ "from_fd", "bpflink_link_from_fd(a prog fd)", K_BPFLINK, OP_FROM_FD, F_PROG, 0, 0, EINVAL,
	  "" },
	{ "from_fd", "bpflink_link_from_fd(a /dev/null fd)", K_BPFLINK, OP_FROM_FD, F_DEVNULL, 0, 0,
	  EINVAL, "" },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---- running one row ------------------------------------------------------ */

/* The fd of a kind; a link is made fresh and recorded in *made. */
static int fd_of(enum fdk k, int *made)
{
	switch (k) {
	case F_LINK:
		return *made = raw_link();
	case F_NEG1:
		return -1;
	case F_INTMIN:
		return INT_MIN;
	case F_CLOSED:
		return CLOSED_FD;
	case F_MAP:
		return map;
	case F_PROG:
		return prog;
	case F_DEVNULL:
		return devnull;
	}
	return -1;
}

static const char *path_of(enum pathk k)
{
	switch (k) {
	case P_NULL:
		return NULL;
	case P_EMPTY:
		return "";
	case P_LONG:
		return long_path;
	case P_LONGNAME:
		return in_fs(long_name);
	case P_TMP:
		return in_tmp("link");
	case P_TMPFILE:
		return in_tmp("file");
	case P_MISSING2:
		return in_fs("a/b/link");
	case P_MISSING1:
		return in_fs("c/link");
	case P_FSDIR:
		return fs.dir;
	case P_MAP:
		return in_fs("map");
	}
	return NULL;
}

/* Options of a given size kind, on the heap with exactly the bytes the
 * size says exist (so that valgrind sees any read past them): sz = 0, 1
 * and 7 and SIZE_MAX give a struct of its own size. */
static void *opts_of(enum szk k, size_t size)
{
	size_t bytes = (k == SZ_PAGE_ZERO || k == SZ_PAGE_DIRTY) ? 8192 : size;
	unsigned char *p = calloc(1, bytes);
	size_t sz;

	if (!p)
		return NULL;
	switch (k) {
	case SZ_0:
		sz = 0;
		break;
	case SZ_1:
		sz = 1;
		break;
	case SZ_7:
		sz = 7;
		break;
	case SZ_MAX:
		sz = SIZE_MAX;
		break;
	default:
		sz = 8192;
		break;
	}
	memcpy(p, &sz, sizeof(sz));
	if (k == SZ_PAGE_DIRTY)
		p[6000] = 1;
	return p;
}

static void run_row(const struct row *w, struct lib *a, struct ans *r)
{
	struct bpf_link *l = NULL, *l2 = NULL;
	struct bpf_link_info info;
	int made = -1, fd, keep = -1;
	__u32 len, id;
	void *opts;

	r->ret = -99998;
	r->err = 0;
	r->log[0] = 0;
	switch (w->op) {
	case OP_CREATE_PROG:
		fd = fd_of(w->arg, &made);
		HARD_CALL(a, r, a->link_create(fd, cg.fd, BPF_CGROUP_INET_INGRESS, NULL));
		hard_fd_answer(r);
		break;
	case OP_CREATE_TARGET:
		fd = fd_of(w->arg, &made);
		HARD_CALL(a, r, a->link_create(prog, fd, BPF_CGROUP_INET_INGRESS, NULL));
		hard_fd_answer(r);
		break;
	case OP_CREATE_TYPE:
		HARD_CALL(a, r, a->link_create(prog, cg.fd, (enum bpf_attach_type)w->arg, NULL));
		hard_fd_answer(r);
		break;
	case OP_CREATE_SZ:
		opts = opts_of(w->arg, sizeof(struct bpf_link_create_opts));
		HARD_CALL(a, r, a->link_create(prog, cg.fd, BPF_CGROUP_INET_INGRESS, opts));
		hard_fd_answer(r);
		free(opts);
		break;
	case OP_UPDATE_LINK:
		fd = fd_of(w->arg, &made);
		HARD_CALL(a, r, a->link_update(fd, prog2, NULL));
		break;
	case OP_UPDATE_PROG:
		made = raw_link();
		fd = w->arg == F_LINK ? made : fd_of(w->arg, &keep);
		HARD_CALL(a, r, a->link_update(made, w->arg == F_PROG ? prog2 : fd, NULL));
		break;
	case OP_UPDATE_SZ:
		made = raw_link();
		opts = opts_of(w->arg, sizeof(struct bpf_link_update_opts));
		HARD_CALL(a, r, a->link_update(made, prog2, opts));
		free(opts);
		break;
	case OP_DETACH:
		fd = fd_of(w->arg, &made);
		HARD_CALL(a, r, a->link_detach(fd));
		break;
	case OP_ITER:
		fd = fd_of(w->arg, &made);
		HARD_CALL(a, r, a->iter_create(fd));
		hard_fd_answer(r);
		break;
	case OP_INFO:
		fd = fd_of(w->arg, &made);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		HARD_CALL(a, r, a->link_get_info_by_fd(fd, &info, &len));
		break;
	case OP_INFO_NULL_INFO:
		made = raw_link();
		len = (__u32)w->arg;
		HARD_CALL(a, r, a->link_get_info_by_fd(made, NULL, &len));
		break;
	case OP_INFO_NULL_LEN:
		fd = fd_of(w->arg, &made);
		memset(&info, 0, sizeof(info));
		HARD_CALL(a, r, a->link_get_info_by_fd(fd, &info, NULL));
		break;
	case OP_INFO_NULL_BOTH:
		made = raw_link();
		HARD_CALL(a, r, a->link_get_info_by_fd(made, NULL, NULL));
		break;
	case OP_NEXT_ID:
		made = raw_link();
		HARD_CALL(a, r, a->link_get_next_id((__u32)w->arg, &id));
		break;
	case OP_NEXT_ID_NULL:
		/* With a link of ours alive, a next id after 0 exists. */
		made = raw_link();
		HARD_CALL(a, r, a->link_get_next_id((__u32)w->arg, NULL));
		break;
	case OP_FD_BY_ID:
		HARD_CALL(a, r, a->link_get_fd_by_id((__u32)w->arg));
		hard_fd_answer(r);
		break;
	case OP_FD_BY_ID_OPTS:
		HARD_CALL(a, r, a->link_get_fd_by_id_opts((__u32)w->arg, NULL));
		hard_fd_answer(r);
		break;
	case OP_FD_BY_ID_LIVE:
		made = raw_link();
		HARD_CALL(a, r, a->link_get_fd_by_id_opts(sup_link_id(made), NULL));
		hard_fd_answer(r);
		break;
	case OP_FD_BY_ID_SZ:
		made = raw_link();
		opts = opts_of(w->arg, sizeof(struct bpf_get_fd_by_id_opts));
		HARD_CALL(a, r, a->link_get_fd_by_id_opts(sup_link_id(made), opts));
		hard_fd_answer(r);
		free(opts);
		break;
	case OP_TYPE_STR: {
		const char *s;

		HARD_CALL_PTR(a, r, &s, a->link_type_str((enum bpf_link_type)w->arg));
		r->err = 0; /* no errno contract */
		break;
	}
	case OP_OPEN:
		if (w->arg == P_MAP) {
			int m = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);

			if (m < 0 || sup_obj_pin(m, in_fs("map")))
				setup_fail("pin a map", errno);
			if (m >= 0)
				close(m);
		}
		HARD_CALL_PTR(a, r, &l, a->open(path_of(w->arg)));
		if (l)
			a->destroy(l);
		l = NULL;
		break;
	case OP_PIN:
		l = obj_unpinned(a);
		if (!l)
			break;
		HARD_CALL(a, r, a->pin(l, path_of(w->arg)));
		break;
	case OP_DESTROY_PTR:
		HARD_CALL(a, r, a->destroy(w->arg ? HARD_ERR_PTR(w->arg) : NULL));
		break;
	case OP_NULL_OBJ: {
		struct bpf_link *bad = w->arg2 ? HARD_ERR_PTR(w->arg2) : NULL;

		switch ((enum objfn)w->arg) {
		case O_FD:
			HARD_CALL(a, r, a->fd(bad));
			break;
		case O_PIN_PATH: {
			const char *s;

			HARD_CALL_PTR(a, r, &s, a->pin_path(bad));
			break;
		}
		case O_PIN:
			HARD_CALL(a, r, a->pin(bad, in_fs("link")));
			break;
		case O_UNPIN:
			HARD_CALL(a, r, a->unpin(bad));
			break;
		case O_DETACH:
			HARD_CALL(a, r, a->detach(bad));
			break;
		case O_DISCONNECT:
			HARD_CALL(a, r, (a->disconnect(bad), 0));
			r->err = 0; /* void: no errno contract */
			break;
		case O_UPDATE_PROGRAM:
			HARD_CALL(a, r, a->update_program(bad, NULL));
			break;
		}
		break;
	}
	case OP_UPDATE_PROGRAM_NULL:
		l = obj_unpinned(a);
		if (!l)
			break;
		HARD_CALL(a, r, a->update_program(l, NULL));
		break;
	case OP_DOUBLE_UNPIN:
		l = obj_pinned(a, "link");
		if (!l)
			break;
		if (a->unpin(l))
			setup_fail("first unpin", errno);
		HARD_CALL(a, r, a->unpin(l));
		break;
	case OP_UNPIN_UNPINNED:
		l = obj_unpinned(a);
		if (!l)
			break;
		HARD_CALL(a, r, a->unpin(l));
		break;
	case OP_PIN_AFTER_UNPIN:
		l = obj_pinned(a, "link");
		if (!l)
			break;
		if (a->unpin(l))
			setup_fail("unpin", errno);
		HARD_CALL(a, r, a->pin(l, in_fs("again")));
		break;
	case OP_PIN_TWICE:
		l = obj_pinned(a, "link");
		if (!l)
			break;
		HARD_CALL(a, r, a->pin(l, in_fs("other")));
		break;
	case OP_PIN_EXISTING:
		l2 = obj_pinned(a, "link"); /* the existing file */
		l = obj_unpinned(a);
		if (!l || !l2)
			break;
		HARD_CALL(a, r, a->pin(l, in_fs("link")));
		break;
	case OP_UNPIN_REMOVED:
		l = obj_pinned(a, "link");
		if (!l)
			break;
		unlink(in_fs("link"));
		HARD_CALL(a, r, a->unpin(l));
		if (!a->pin_path(l))
			setup_fail("pin_path kept after a failed unpin", EINVAL);
		break;
	case OP_UPDATE_AFTER_DETACH:
		l = obj_unpinned(a);
		if (!l)
			break;
		if (a->detach(l))
			setup_fail("bpf_link__detach", errno);
		HARD_CALL(a, r, a->link_update(a->fd(l), prog2, NULL));
		break;
	case OP_DETACH_TWICE:
		l = obj_unpinned(a);
		if (!l)
			break;
		if (a->detach(l))
			setup_fail("bpf_link__detach", errno);
		HARD_CALL(a, r, a->detach(l));
		break;
	case OP_DETACH_AFTER_DISCONNECT:
		l = obj_unpinned(a);
		if (!l)
			break;
		keep = a->fd(l);
		a->disconnect(l);
		HARD_CALL(a, r, a->detach(l));
		/* destroy of a disconnected link leaves its fd open by design
		 * (libbpf's contract); it is closed here, not leaked. */
		if (a->destroy(l))
			setup_fail("destroy after disconnect", errno);
		l = NULL;
		if (fcntl(keep, F_GETFD) < 0)
			setup_fail("the disconnected link's fd stays open", EBADF);
		break;
	case OP_DESTROY_PINNED:
		l = obj_pinned(a, "link");
		if (!l)
			break;
		HARD_CALL(a, r, a->destroy(l));
		l = NULL;
		if (access(in_fs("link"), F_OK))
			setup_fail("the pin survives destroy", errno);
		break;
	case OP_FROM_FD:
		fd = fd_of(w->arg, &made);
		HARD_CALL_PTR(a, r, &l, a->from_fd(fd));
		if (l)
			made = -1; /* the object owns it now */
		else if (w->arg == F_LINK || w->arg == F_MAP || w->arg == F_PROG ||
			 w->arg == F_DEVNULL)
			if (fcntl(fd, F_GETFD) < 0)
				setup_fail("a refused fd stays open", EBADF);
		break;
	}
	if (l)
		obj_done(a, l);
	if (l2)
		obj_done(a, l2);
	if (keep >= 0 && w->op == OP_DETACH_AFTER_DISCONNECT)
		close(keep);
	SUP_CLOSE(made);
	clean_fs();
}

/* Runs a row through library a and measures the fd count around it. */
static void run_counted(const struct row *w, struct lib *a, struct ans *r)
{
	int before = sup_fd_count();

	run_row(w, a, r);
	r->fd_delta = sup_fd_count() - before;
}

/*
 * Runs a row through bpflink in a forked child; true when the child
 * reported an answer and exited normally (*status is its wait status).
 */
static bool run_in_child(const struct row *w, struct ans *r, int *status)
{
	int p[2];
	pid_t pid;
	ssize_t n;

	fflush(stdout);
	if (pipe2(p, O_CLOEXEC))
		return false;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (pid == 0) {
		close(p[0]);
		run_counted(w, &libs[OURS], r);
		if (write(p[1], r, sizeof(*r)) != (ssize_t)sizeof(*r))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], r, sizeof(*r));
	close(p[0]);
	*status = sup_child_wait(pid);
	return n == (ssize_t)sizeof(*r) && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

/*
 * For a crash row: runs it through libbpf in a forked child (core dumps
 * off) and returns the signal that killed the child, 0 if libbpf returned
 * instead, -1 if that could not be seen. Not under valgrind or
 * AddressSanitizer, which would report the deliberate crash as an error.
 */
static int libbpf_crash_signal(const struct row *w)
{
	struct rlimit no_core = { 0, 0 };
	struct ans r;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		setrlimit(RLIMIT_CORE, &no_core);
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		if (fd >= 0)
			dup2(fd, 1); /* nothing of the child's on our TAP stream */
		run_row(w, &libs[REF], &r);
		_exit(0);
	}
	status = sup_child_wait(pid);
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* ---- checking ----------------------------------------------------------------- */

static bool is_ptr_op(const struct row *w)
{
	return w->op == OP_OPEN || w->op == OP_FROM_FD || w->op == OP_TYPE_STR ||
	       (w->op == OP_NULL_OBJ && w->arg == O_PIN_PATH);
}

static const char *answer_text(const struct row *w, const struct ans *r)
{
	return hard_answer_text(r, is_ptr_op(w));
}

/* The row's expectation holds for r; if not, why in *why. */
static bool valgrind;

static bool as_expected(const struct row *w, const struct ans *r, char *why, size_t len)
{
	bool fails = is_ptr_op(w) ? w->want_ret == 0 : w->want_ret < 0;
	long want_ret = w->want_ret;
	int want_err = w->want_err;

	/* valgrind answers a negative fd in BPF_OBJ_GET_INFO_BY_FD itself,
	 * with EBADF, before the kernel (with its EBADFD) sees it. */
	if (valgrind && w->op == OP_INFO && (w->arg == F_NEG1 || w->arg == F_INTMIN)) {
		want_ret = -EBADF;
		want_err = EBADF;
	}
	if (r->ret != want_ret || (fails && r->err != want_err)) {
		snprintf(why, len, "answered %s (ret %ld), want ret %ld errno %s; messages \"%s\"",
			 answer_text(w, r), r->ret, want_ret, hard_errname(want_err),
			 sup_oneline(r->log));
		return false;
	}
	if (w->want_log && !w->want_log[0] && r->log[0]) {
		snprintf(why, len, "a message: \"%s\"", sup_oneline(r->log));
		return false;
	}
	if (w->want_log && w->want_log[0] && !strstr(r->log, w->want_log)) {
		snprintf(why, len, "messages \"%s\" lack \"%s\"", sup_oneline(r->log),
			 sup_oneline(w->want_log));
		return false;
	}
	if (r->fd_delta) {
		snprintf(why, len, "fd count changed by %d", r->fd_delta);
		return false;
	}
	return true;
}

static struct ans answers[NROWS][NLIB];
static unsigned n_libbpf, n_crash, n_bpflink, n_failed, n_crash_seen;
static bool tool;
static char crash_note[64];

static void check_row(size_t i)
{
	const struct row *w = &rows[i];
	struct ans *o = &answers[i][OURS], *f = &answers[i][REF];
	char why[HARD_LOG_MAX * 3] = "";
	bool ok = true;
	int status = 0;

	setup_error[0] = 0;
	current_row = i + 1;
	switch (w->kind) {
	case K_LIBBPF:
		n_libbpf++;
		run_counted(w, &libs[OURS], o);
		run_counted(w, &libs[REF], f);
		if (o->ret != f->ret || o->err != f->err || strcmp(o->log, f->log) ||
		    o->fd_delta != f->fd_delta) {
			ok = false;
			snprintf(why, sizeof(why),
				 "differs from libbpf: bpflink %s, fds %+d, \"%s\"; libbpf %s, "
				 "fds %+d, \"%s\"",
				 answer_text(w, o), o->fd_delta, sup_oneline(o->log),
				 answer_text(w, f), f->fd_delta, sup_oneline(f->log));
		} else if (!as_expected(w, o, why, sizeof(why))) {
			ok = false;
		}
		break;
	case K_CRASH:
	case K_BPFLINK:
		crash_note[0] = 0;
		if (w->kind == K_CRASH) {
			int sig = tool ? -2 : libbpf_crash_signal(w);

			n_crash++;
			if (sig > 0) {
				n_crash_seen++;
				snprintf(crash_note, sizeof(crash_note), "libbpf 1.7.0 crashes: %s",
					 strsignal(sig));
			} else if (sig == 0) {
				/* The row's premise is wrong: libbpf answers. */
				ok = false;
				snprintf(why, sizeof(why), "libbpf 1.7.0 did not crash: compare "
					 "this row instead");
				break;
			} else {
				snprintf(crash_note, sizeof(crash_note), "libbpf 1.7.0 crashes (%s)",
					 tool ? "not re-run under a memory tool" : "not seen");
			}
		} else {
			n_bpflink++;
		}
		if (!run_in_child(w, o, &status)) {
			ok = false;
			if (WIFSIGNALED(status))
				snprintf(why, sizeof(why), "bpflink crashed: signal %d in the child",
					 WTERMSIG(status));
			else
				snprintf(why, sizeof(why), "the child failed (status 0x%x)", status);
			break;
		}
		if (!as_expected(w, o, why, sizeof(why))) {
			ok = false;
			break;
		}
		/* Again in this process, where valgrind and ASan look. */
		run_counted(w, &libs[OURS], o);
		ok = as_expected(w, o, why, sizeof(why));
		break;
	}
	if (ok && setup_error[0]) {
		ok = false;
		snprintf(why, sizeof(why), "fixture: %s", setup_error);
	}
	if (!ok)
		n_failed++;
	tap_check(ok, __FILE__, __LINE__, "row %zu [%s] %s: %s%s%s%s%s", i + 1, w->group, w->call,
		  w->kind == K_LIBBPF	? "bpflink == libbpf 1.7.0: "
		  : w->kind == K_CRASH ? "bpflink only: "
				       : "bpflink only (no libbpf counterpart): ",
		  ok ? answer_text(w, o) : why, ok ? ", fds unchanged" : "",
		  w->kind == K_CRASH && ok ? "; " : "", w->kind == K_CRASH && ok ? crash_note : "");
}

#if !defined(__SANITIZE_ADDRESS__) /* ASan reports a crash itself */
static void on_fatal(int sig)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "# fatal signal %d in row %zu\n", sig,
			 (size_t)current_row);

	if (n > 0)
		(void)!write(1, buf, (size_t)n);
	sup_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}
#endif

static void markdown(void)
{
	size_t i;

	printf("| # | group | call | libbpf 1.7.0 | bpflink |\n|---|---|---|---|---|\n");
	for (i = 0; i < NROWS; i++) {
		const struct row *w = &rows[i];

		printf("| %zu | %s | `%s` | %s | %s |\n", i + 1, w->group, w->call,
		       w->kind == K_LIBBPF  ? answer_text(w, &answers[i][REF])
		       : w->kind == K_CRASH ? "crashes"
					    : "(none)",
		       answer_text(w, &answers[i][OURS]));
	}
}

/* ---- main ------------------------------------------------------------------------ */

static bool fixtures(void)
{
	int fd;

	if (!sup_need("link_cgroup,bpffs_mount", "the bad-input table, on cgroup links and a bpffs"))
		return false;
	if (sup_cgroup_create(&cg, "badinput"))
		return CHECK(false, "fixture: a child cgroup: %s", strerror(errno));
	if (sup_bpffs_mount(&fs))
		return CHECK(false, "fixture: a private bpffs: %s", strerror(errno));
	/* The directory off the bpffs is a tmpfs mounted inside it: it goes
	 * away with the bpffs, which support.c removes even on a crash. */
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", fs.dir);
	if (mkdir(tmpdir, 0700) || mount("tmpfs", tmpdir, "tmpfs", 0, "size=64k")) {
		tmpdir[0] = 0;
		return CHECK(false, "fixture: a tmpfs off the bpffs: %s", strerror(errno));
	}
	fd = open(in_tmp("file"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return CHECK(false, "fixture: a regular file: %s", strerror(errno));
	close(fd);
	/* "" means the current directory: make it one we know (not a bpffs). */
	if (chdir(tmpdir))
		return CHECK(false, "fixture: chdir: %s", strerror(errno));
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	prog2 = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 0);
	map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (prog < 0 || prog2 < 0 || map < 0 || devnull < 0)
		return CHECK(false, "fixture: programs, a map, /dev/null");
	if (fcntl(CLOSED_FD, F_GETFD) >= 0)
		return CHECK(false, "fixture: fd %d is free", CLOSED_FD);
	/* A path longer than PATH_MAX, under the bpffs. */
	snprintf(long_path, sizeof(long_path), "%s/", fs.dir);
	while (strlen(long_path) < PATH_MAX + 100)
		strcat(long_path, "dddddddddddddddddddddddddddddddddddddddddddddddd/");
	strcat(long_path, "link");
	memset(long_name, 'n', 300);
	long_name[300] = 0;
	return true;
}

static void release(void)
{
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
	SUP_CLOSE(map);
	SUP_CLOSE(devnull);
	if (chdir("/"))
		printf("# chdir /: %s\n", strerror(errno));
	if (tmpdir[0]) {
		umount2(tmpdir, MNT_DETACH);
		rmdir(tmpdir);
	}
	sup_bpffs_umount(&fs);
	sup_cgroup_destroy(&cg);
}

int main(int argc, char **argv)
{
	bool md = argc > 1 && !strcmp(argv[1], "--markdown");
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
#if !defined(__SANITIZE_ADDRESS__)
	{
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
		struct sigaction sa = { .sa_handler = on_fatal };

		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
	}
#endif
	sup_require_root();
	tool = sup_under_tool();
	valgrind = sup_under_valgrind();
	hard_load();
	if (fixtures())
		for (i = 0; i < NROWS; i++)
			check_row(i);
	release();
	printf("# summary: bad-input table: %zu rows (%u compared with libbpf 1.7.0, %u bpflink "
	       "only where libbpf crashes (%u crashes seen), %u bpflink's own), %u failed\n",
	       NROWS, n_libbpf, n_crash, n_crash_seen, n_bpflink, n_failed);
	if (md)
		markdown();
	twin_print_off();
	return sup_done();
}
