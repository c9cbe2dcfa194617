// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The "raw syscall" implementation of the benchmark (BENCHMARKS.md,
 * "Method"): the functions the benchmark measures, with libbpf's
 * prototypes, doing the least any implementation of libbpf's contract must
 * do and nothing more:
 *
 *   - the low-level calls zero an attr of exactly libbpf's size
 *     (offsetofend of the command's member), fill it, call libc's
 *     syscall(SYS_bpf, ...) as libbpf and bpflink do, and map the answer
 *     to libbpf's convention (-errno on failure; the output written on
 *     success; a new fd below 3 would be moved up, as libbpf's
 *     ensure_good_fd does). No options are read: the benchmark passes
 *     NULL options everywhere, and this file refuses anything else.
 *   - the link-object calls do the system calls libbpf's do (BPF_OBJ_GET,
 *     mkdir, statfs, BPF_OBJ_PIN, unlink, close) and the allocations the
 *     object needs (calloc of libbpf's 32-byte struct bpf_link, strdup of
 *     the pin path), with the parent directory computed on the stack.
 *
 * Built as build/bench/libbpfraw.so and dlopen()ed by the driver beside
 * bpflink and the reference libbpf.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#define EXPORT __attribute__((visibility("default")))
#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

static inline long sys_bpf(int cmd, union bpf_attr *attr, size_t size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

/* A new fd: -errno on failure; fds 0-2 moved up (cold). */
static int new_fd(long fd)
{
	if (fd < 0)
		return -errno;
	if (__builtin_expect(fd < 3, 0)) {
		int good = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
		int e = errno;

		close((int)fd);
		errno = e;
		return good < 0 ? -e : good;
	}
	return (int)fd;
}

EXPORT int bpf_link_get_next_id(__u32 start_id, __u32 *next_id)
{
	const size_t sz = offsetofend(union bpf_attr, open_flags);
	union bpf_attr attr;

	memset(&attr, 0, sz);
	attr.start_id = start_id;
	if (sys_bpf(BPF_LINK_GET_NEXT_ID, &attr, sz))
		return -errno;
	*next_id = attr.next_id;
	return 0;
}

EXPORT int bpf_link_get_fd_by_id(__u32 id)
{
	const size_t sz = offsetofend(union bpf_attr, open_flags);
	union bpf_attr attr;

	memset(&attr, 0, sz);
	attr.link_id = id;
	return new_fd(sys_bpf(BPF_LINK_GET_FD_BY_ID, &attr, sz));
}

EXPORT int bpf_link_get_info_by_fd(int link_fd, struct bpf_link_info *info, __u32 *info_len)
{
	const size_t sz = offsetofend(union bpf_attr, info);
	union bpf_attr attr;

	memset(&attr, 0, sz);
	attr.info.bpf_fd = link_fd;
	attr.info.info_len = *info_len;
	attr.info.info = (__u64)(unsigned long)info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sz))
		return -errno;
	*info_len = attr.info.info_len;
	return 0;
}

EXPORT int bpf_link_create(int prog_fd, int target_fd, enum bpf_attach_type attach_type,
			   const void *opts)
{
	const size_t sz = offsetofend(union bpf_attr, link_create);
	union bpf_attr attr;

	if (opts) {
		errno = EINVAL;
		return -EINVAL;
	}
	memset(&attr, 0, sz);
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_fd = target_fd;
	attr.link_create.attach_type = attach_type;
	return new_fd(sys_bpf(BPF_LINK_CREATE, &attr, sz));
}

EXPORT int bpf_link_update(int link_fd, int new_prog_fd, const void *opts)
{
	const size_t sz = offsetofend(union bpf_attr, link_update);
	union bpf_attr attr;

	if (opts) {
		errno = EINVAL;
		return -EINVAL;
	}
	memset(&attr, 0, sz);
	attr.link_update.link_fd = link_fd;
	attr.link_update.new_prog_fd = new_prog_fd;
	return sys_bpf(BPF_LINK_UPDATE, &attr, sz) ? -errno : 0;
}

/* ---- the link object: libbpf's layout ---------------------------------- */

struct bpf_link {
	int (*detach)(struct bpf_link *link);
	void (*dealloc)(struct bpf_link *link);
	char *pin_path;
	int fd;
	bool disconnected;
};

static int detach_fd(struct bpf_link *link)
{
	return close(link->fd) ? -errno : 0;
}

EXPORT struct bpf_link *bpf_link__open(const char *path)
{
	const size_t sz = offsetofend(union bpf_attr, path_fd);
	struct bpf_link *link;
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sz);
	attr.pathname = (__u64)(unsigned long)path;
	fd = new_fd(sys_bpf(BPF_OBJ_GET, &attr, sz));
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	link = calloc(1, sizeof(*link));
	if (link)
		link->pin_path = strdup(path);
	if (!link || !link->pin_path) {
		free(link);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	link->detach = detach_fd;
	link->fd = fd;
	return link;
}

EXPORT int bpf_link__destroy(struct bpf_link *link)
{
	int err = 0;

	if (!link)
		return 0;
	if (!link->disconnected && link->detach)
		err = link->detach(link);
	free(link->pin_path);
	if (link->dealloc)
		link->dealloc(link);
	else
		free(link);
	if (err < 0)
		errno = -err;
	return err;
}

/* The parent directory of path, in buf (POSIX dirname without the copy). */
static const char *parent_dir(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return ".";
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return NULL;
	memcpy(buf, path, n);
	buf[n] = 0;
	return buf;
}

EXPORT int bpf_link__pin(struct bpf_link *link, const char *path)
{
	const size_t sz = offsetofend(union bpf_attr, path_fd);
	char buf[4096];
	const char *dir;
	union bpf_attr attr;
	struct statfs st;
	int err;

	if (link->pin_path) {
		err = EBUSY;
		goto fail;
	}
	dir = parent_dir(path, buf, sizeof(buf));
	if (!dir) {
		err = ENAMETOOLONG;
		goto fail;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = errno;
		goto fail;
	}
	if (statfs(dir, &st)) {
		err = errno;
		goto fail;
	}
	if (st.f_type != BPF_FS_MAGIC) {
		err = EINVAL;
		goto fail;
	}
	link->pin_path = strdup(path);
	if (!link->pin_path) {
		err = ENOMEM;
		goto fail;
	}
	memset(&attr, 0, sz);
	attr.pathname = (__u64)(unsigned long)link->pin_path;
	attr.bpf_fd = link->fd;
	if (sys_bpf(BPF_OBJ_PIN, &attr, sz)) {
		err = errno;
		free(link->pin_path);
		link->pin_path = NULL;
		goto fail;
	}
	return 0;
fail:
	errno = err;
	return -err;
}

EXPORT int bpf_link__unpin(struct bpf_link *link)
{
	if (!link->pin_path) {
		errno = EINVAL;
		return -EINVAL;
	}
	if (unlink(link->pin_path))
		return -errno;
	free(link->pin_path);
	link->pin_path = NULL;
	return 0;
}
