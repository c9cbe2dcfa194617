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
 *     ensure_good_fd does).
 *   - options are copied, not validated: the fields the attach type (or
 *     the command) takes go from the caller's struct into the attr as
 *     libbpf places them (a relative_id also sets BPF_F_ID, as libbpf
 *     does), and nothing else is looked at: no size check of the struct,
 *     no check that the other bytes are zero, no refusal of conflicting
 *     fields. The one rule kept is the one that makes the reading
 *     correct: a field past the caller's sz is never read (it counts as
 *     0), so a struct of an older libbpf is read within its bounds. A
 *     struct of the current size or larger is copied on a path of its own
 *     where those checks fold away.
 *   - the link-object calls do the system calls libbpf's do (BPF_OBJ_GET,
 *     mkdir, statfs, BPF_OBJ_PIN, unlink, close) and the allocations the
 *     object needs (calloc of libbpf's 32-byte struct bpf_link, strdup of
 *     the pin path), with the parent directory computed on the stack.
 *
 * Built as build/bench/libbpfraw.so and dlopen()ed by the driver beside
 * bpflink and the reference libbpf. It is compiled against the reference
 * libbpf 1.7.0's <bpf/bpf.h>, so its prototypes and options structs are
 * libbpf's own.
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
#include <bpf/bpf.h> /* libbpf 1.7.0's: its prototypes and options structs */

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

/* A field of the caller's options, or 0 when the caller's struct (of an
 * older libbpf) ends before it; `full`, a constant at each use, says the
 * struct is known to hold every field. */
#define GET(o, full, f) \
	((full) || (o)->sz >= offsetofend(__typeof__(*(o)), f) ? (o)->f : 0)

/* Not a call of bpf_link_get_fd_by_id(), nor the other way round: libbpf's
 * bpf_link_get_fd_by_id() calls this one, which callgrind's toggles would
 * see (bench.py counts this function in a run of its own). */
EXPORT int bpf_link_get_fd_by_id_opts(__u32 id, const struct bpf_get_fd_by_id_opts *opts)
{
	const size_t sz = offsetofend(union bpf_attr, open_flags);
	union bpf_attr attr;

	memset(&attr, 0, sz);
	attr.link_id = id;
	if (opts)
		attr.open_flags = GET(opts, 0, open_flags);
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

/* relative_fd or relative_id of a tcx, netkit or cgroup member (one
 * layout) into the attr; an id also sets BPF_F_ID, as libbpf does. */
#define COPY_RELATIVE(a, o, full, m)                                                   \
	do {                                                                           \
		__u32 id_ = GET(o, full, m.relative_id);                               \
		if (id_) {                                                             \
			(a)->link_create.m.relative_id = id_;                          \
			(a)->link_create.flags |= BPF_F_ID;                            \
		} else {                                                               \
			(a)->link_create.m.relative_fd = GET(o, full, m.relative_fd);  \
		}                                                                      \
		(a)->link_create.m.expected_revision = GET(o, full, m.expected_revision); \
	} while (0)

/* The fields of the attach type's member of opts into the attr, where
 * libbpf puts them. */
static inline __attribute__((always_inline)) void
copy_create_opts(union bpf_attr *a, __u32 type, const struct bpf_link_create_opts *o,
		 const int full)
{
	__u32 btf_id = GET(o, full, target_btf_id);

	a->link_create.flags = GET(o, full, flags);
	if (btf_id) {
		a->link_create.target_btf_id = btf_id;
		return;
	}
	switch (type) {
	case BPF_TRACE_ITER:
		a->link_create.iter_info = (__u64)(unsigned long)GET(o, full, iter_info);
		a->link_create.iter_info_len = GET(o, full, iter_info_len);
		break;
	case BPF_PERF_EVENT:
		a->link_create.perf_event.bpf_cookie = GET(o, full, perf_event.bpf_cookie);
		break;
	case BPF_TRACE_KPROBE_MULTI:
	case BPF_TRACE_KPROBE_SESSION:
		a->link_create.kprobe_multi.flags = GET(o, full, kprobe_multi.flags);
		a->link_create.kprobe_multi.cnt = GET(o, full, kprobe_multi.cnt);
		a->link_create.kprobe_multi.syms = (__u64)(unsigned long)GET(o, full, kprobe_multi.syms);
		a->link_create.kprobe_multi.addrs = (__u64)(unsigned long)GET(o, full, kprobe_multi.addrs);
		a->link_create.kprobe_multi.cookies =
			(__u64)(unsigned long)GET(o, full, kprobe_multi.cookies);
		break;
	case BPF_TRACE_UPROBE_MULTI:
	case BPF_TRACE_UPROBE_SESSION:
		a->link_create.uprobe_multi.flags = GET(o, full, uprobe_multi.flags);
		a->link_create.uprobe_multi.cnt = GET(o, full, uprobe_multi.cnt);
		a->link_create.uprobe_multi.path = (__u64)(unsigned long)GET(o, full, uprobe_multi.path);
		a->link_create.uprobe_multi.offsets =
			(__u64)(unsigned long)GET(o, full, uprobe_multi.offsets);
		a->link_create.uprobe_multi.ref_ctr_offsets =
			(__u64)(unsigned long)GET(o, full, uprobe_multi.ref_ctr_offsets);
		a->link_create.uprobe_multi.cookies =
			(__u64)(unsigned long)GET(o, full, uprobe_multi.cookies);
		a->link_create.uprobe_multi.pid = GET(o, full, uprobe_multi.pid);
		break;
	case BPF_TRACE_RAW_TP:
	case BPF_TRACE_FENTRY:
	case BPF_TRACE_FEXIT:
	case BPF_MODIFY_RETURN:
	case BPF_TRACE_FSESSION:
	case BPF_LSM_MAC:
		a->link_create.tracing.cookie = GET(o, full, tracing.cookie);
		break;
	case BPF_NETFILTER:
		a->link_create.netfilter.pf = GET(o, full, netfilter.pf);
		a->link_create.netfilter.hooknum = GET(o, full, netfilter.hooknum);
		a->link_create.netfilter.priority = GET(o, full, netfilter.priority);
		a->link_create.netfilter.flags = GET(o, full, netfilter.flags);
		break;
	case BPF_TCX_INGRESS:
	case BPF_TCX_EGRESS:
		COPY_RELATIVE(a, o, full, tcx);
		break;
	case BPF_NETKIT_PRIMARY:
	case BPF_NETKIT_PEER:
		COPY_RELATIVE(a, o, full, netkit);
		break;
	case BPF_CGROUP_INET_INGRESS:
	case BPF_CGROUP_INET_EGRESS:
	case BPF_CGROUP_INET_SOCK_CREATE:
	case BPF_CGROUP_INET_SOCK_RELEASE:
	case BPF_CGROUP_INET4_BIND:
	case BPF_CGROUP_INET6_BIND:
	case BPF_CGROUP_INET4_POST_BIND:
	case BPF_CGROUP_INET6_POST_BIND:
	case BPF_CGROUP_INET4_CONNECT:
	case BPF_CGROUP_INET6_CONNECT:
	case BPF_CGROUP_UNIX_CONNECT:
	case BPF_CGROUP_INET4_GETPEERNAME:
	case BPF_CGROUP_INET6_GETPEERNAME:
	case BPF_CGROUP_UNIX_GETPEERNAME:
	case BPF_CGROUP_INET4_GETSOCKNAME:
	case BPF_CGROUP_INET6_GETSOCKNAME:
	case BPF_CGROUP_UNIX_GETSOCKNAME:
	case BPF_CGROUP_UDP4_SENDMSG:
	case BPF_CGROUP_UDP6_SENDMSG:
	case BPF_CGROUP_UNIX_SENDMSG:
	case BPF_CGROUP_UDP4_RECVMSG:
	case BPF_CGROUP_UDP6_RECVMSG:
	case BPF_CGROUP_UNIX_RECVMSG:
	case BPF_CGROUP_SOCK_OPS:
	case BPF_CGROUP_DEVICE:
	case BPF_CGROUP_SYSCTL:
	case BPF_CGROUP_GETSOCKOPT:
	case BPF_CGROUP_SETSOCKOPT:
	case BPF_LSM_CGROUP:
		COPY_RELATIVE(a, o, full, cgroup);
		break;
	default:
		break;
	}
}

EXPORT int bpf_link_create(int prog_fd, int target_fd, enum bpf_attach_type attach_type,
			   const struct bpf_link_create_opts *opts)
{
	const size_t sz = offsetofend(union bpf_attr, link_create);
	union bpf_attr attr;

	memset(&attr, 0, sz);
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_fd = target_fd;
	attr.link_create.attach_type = attach_type;
	if (opts) {
		if (opts->sz >= sizeof(*opts))
			copy_create_opts(&attr, attach_type, opts, 1);
		else
			copy_create_opts(&attr, attach_type, opts, 0);
	}
	return new_fd(sys_bpf(BPF_LINK_CREATE, &attr, sz));
}

/* flags and the expected old program (or map) into the attr, where the
 * two share a word. */
static inline __attribute__((always_inline)) void
copy_update_opts(union bpf_attr *a, const struct bpf_link_update_opts *o, const int full)
{
	__u32 old = GET(o, full, old_prog_fd);

	a->link_update.flags = GET(o, full, flags);
	a->link_update.old_prog_fd = old ? old : GET(o, full, old_map_fd);
}

EXPORT int bpf_link_update(int link_fd, int new_prog_fd, const struct bpf_link_update_opts *opts)
{
	const size_t sz = offsetofend(union bpf_attr, link_update);
	union bpf_attr attr;

	memset(&attr, 0, sz);
	attr.link_update.link_fd = link_fd;
	attr.link_update.new_prog_fd = new_prog_fd;
	if (opts) {
		if (opts->sz >= sizeof(*opts))
			copy_update_opts(&attr, opts, 1);
		else
			copy_update_opts(&attr, opts, 0);
	}
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
