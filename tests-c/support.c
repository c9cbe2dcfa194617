// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fixtures for the C kernel tests and the differential suite; see
 * support.h for the contract of each helper. Nothing here calls the
 * library under test (support_link.c does), so the fixtures can be used
 * to cross-check it, and the differential binary, which links no library,
 * can use them too.
 */
#define _GNU_SOURCE
#include "support.h"
#include "cgroup2_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/btf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

/* bpftool as found on PATH by the "bpftool" probe. */
static char bpftool_path[PATH_MAX];

static inline __u64 ptr_u64(const void *p)
{
	return (__u64)(unsigned long)p;
}

/* Returns -errno of the last failure, keeping errno as it is. */
static inline int neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* ------------------------------------------------------------------------
 * Leftover registry and cleanup at exit
 *
 * Cgroup directories and bpffs mount points are recorded when created and
 * forgotten when the test releases them. Whatever is still recorded when
 * the process ends (normal exit, or a fatal signal) is removed then. Only
 * the process that created an entry removes it: forked children inherit
 * the table and the atexit handler, and must not touch the parent's
 * fixtures.
 */
#define MAX_LEFTOVERS 16

enum leftover_kind { LEFTOVER_FREE, LEFTOVER_CGROUP, LEFTOVER_BPFFS };

static pid_t owner_pid;
static struct {
	enum leftover_kind kind;
	char path[SUP_PATH_MAX];
} leftovers[MAX_LEFTOVERS];

static void install_cleanup(void);

static void remember(enum leftover_kind kind, const char *path)
{
	int i;

	install_cleanup();
	for (i = 0; i < MAX_LEFTOVERS; i++) {
		if (leftovers[i].kind == LEFTOVER_FREE) {
			snprintf(leftovers[i].path, sizeof(leftovers[i].path), "%s", path);
			leftovers[i].kind = kind;
			return;
		}
	}
	printf("# support: too many fixtures to track, %s is not\n", path);
}

static void forget(const char *path)
{
	int i;

	for (i = 0; i < MAX_LEFTOVERS; i++)
		if (leftovers[i].kind != LEFTOVER_FREE && !strcmp(leftovers[i].path, path))
			leftovers[i].kind = LEFTOVER_FREE;
}

/* Only async-signal-safe calls here: it also runs from signal handlers. */
void sup_cleanup(void)
{
	int i;

	if (getpid() != owner_pid)
		return;
	for (i = 0; i < MAX_LEFTOVERS; i++) {
		if (leftovers[i].kind == LEFTOVER_BPFFS) {
			umount2(leftovers[i].path, MNT_DETACH);
			rmdir(leftovers[i].path);
		} else if (leftovers[i].kind == LEFTOVER_CGROUP) {
			rmdir(leftovers[i].path);
		}
		leftovers[i].kind = LEFTOVER_FREE;
	}
}

static void on_fatal_signal(int sig)
{
	sup_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_cleanup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
				   SIGILL };
	size_t i;

	if (owner_pid)
		return;
	owner_pid = getpid();
	atexit(sup_cleanup);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* A program with handlers of its own (the differential suite
		 * reports the group it crashed in) keeps them; they call
		 * sup_cleanup() themselves. */
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_DFL)
			signal(sigs[i], on_fatal_signal);
	}
	/* A dying child end of a pipe must not kill the test. */
	signal(SIGPIPE, SIG_IGN);
}

/* ------------------------------------------------------------------------
 * Raw bpf(2)
 */

long sup_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

int sup_link_create_raw_flags(int prog_fd, int target_fd, enum bpf_attach_type type,
			      __u32 flags, __u64 cookie)
{
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.target_fd = target_fd;
	attr.link_create.attach_type = type;
	attr.link_create.flags = flags;
	attr.link_create.tracing.cookie = cookie;
	fd = sup_bpf(BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

int sup_link_create_raw(int prog_fd, int target_fd, enum bpf_attach_type type)
{
	return sup_link_create_raw_flags(prog_fd, target_fd, type, 0, 0);
}

static int prog_load(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 attach_btf_id,
		     int retval, bool verbose)
{
	/* r0 = retval; exit */
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = retval },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char log[64 * 1024];
	union bpf_attr attr;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = eat;
	attr.attach_btf_id = attach_btf_id;
	attr.insns = ptr_u64(insns);
	attr.insn_cnt = 2;
	attr.license = ptr_u64("GPL");
	snprintf(attr.prog_name, sizeof(attr.prog_name), "bpflink_test");
	fd = sup_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0)
		return fd;
	err = errno;
	if (verbose) {
		/* Again with the verifier log, only to explain the failure. */
		log[0] = 0;
		attr.log_buf = ptr_u64(log);
		attr.log_size = sizeof(log);
		attr.log_level = 1;
		fd = sup_bpf(BPF_PROG_LOAD, &attr, sizeof(attr));
		if (fd >= 0) {
			close(fd);
		} else {
			char *line, *save = NULL;

			printf("# BPF_PROG_LOAD type %d eat %d btf_id %u: %s\n", type, eat,
			       attach_btf_id, strerror(err));
			for (line = strtok_r(log, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				printf("#   %s\n", line);
		}
	}
	errno = err;
	return -err;
}

int sup_prog_load(enum bpf_prog_type type, enum bpf_attach_type eat, int retval)
{
	return prog_load(type, eat, 0, retval, true);
}

int sup_prog_load_btf(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 attach_btf_id,
		      int retval)
{
	return prog_load(type, eat, attach_btf_id, retval, true);
}

/* BPF_OBJ_GET_INFO_BY_FD into a zeroed info of any bpf object; true when
 * the kernel answered. */
static bool obj_info(int fd, void *info, __u32 len)
{
	union bpf_attr attr;

	memset(info, 0, len);
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = len;
	attr.info.info = ptr_u64(info);
	return sup_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) == 0;
}

__u32 sup_prog_id(int prog_fd)
{
	struct bpf_prog_info info;

	return obj_info(prog_fd, &info, sizeof(info)) ? info.id : 0;
}

__u32 sup_map_id(int map_fd)
{
	struct bpf_map_info info;

	return obj_info(map_fd, &info, sizeof(info)) ? info.id : 0;
}

__u32 sup_link_id(int link_fd)
{
	struct bpf_link_info info;

	return obj_info(link_fd, &info, sizeof(info)) ? info.id : 0;
}

__u32 sup_link_prog_id(int link_fd)
{
	struct bpf_link_info info;

	return obj_info(link_fd, &info, sizeof(info)) ? info.prog_id : 0;
}

int sup_link_type(int link_fd)
{
	struct bpf_link_info info;

	return obj_info(link_fd, &info, sizeof(info)) ? (int)info.type : -1;
}

int sup_link_fd_by_id(__u32 id)
{
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_id = id;
	fd = sup_bpf(BPF_LINK_GET_FD_BY_ID, &attr, sizeof(attr));
	return fd < 0 ? neg_errno() : (int)fd;
}

bool sup_link_alive(__u32 id)
{
	int fd = sup_link_fd_by_id(id);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool sup_link_gone(__u32 id)
{
	int i, fd;

	for (i = 0; id && i < 300; i++) {
		fd = sup_link_fd_by_id(id);
		if (fd == -ENOENT)
			return true;
		if (fd >= 0)
			close(fd);
		usleep(10000);
	}
	return false;
}

int sup_stats_enable(void)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.enable_stats.type = BPF_STATS_RUN_TIME;
	fd = sup_bpf(BPF_ENABLE_STATS, &attr, sizeof(attr));
	return fd < 0 ? neg_errno() : fd;
}

__u64 sup_prog_run_cnt(int prog_fd)
{
	struct bpf_prog_info info;

	return obj_info(prog_fd, &info, sizeof(info)) ? info.run_cnt : 0;
}

int sup_map_create(enum bpf_map_type type, __u32 key_size, __u32 value_size, __u32 max_entries)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	snprintf(attr.map_name, sizeof(attr.map_name), "bpflink_test");
	fd = sup_bpf(BPF_MAP_CREATE, &attr, sizeof(attr));
	return fd < 0 ? neg_errno() : fd;
}

int sup_prog_query(int target, enum bpf_attach_type type, struct sup_query *q)
{
	union bpf_attr attr;

	memset(q, 0, sizeof(*q));
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = target;
	attr.query.attach_type = type;
	attr.query.prog_ids = ptr_u64(q->prog_ids);
	attr.query.link_ids = ptr_u64(q->link_ids);
	attr.query.prog_cnt = SUP_QUERY_MAX;
	if (sup_bpf(BPF_PROG_QUERY, &attr, sizeof(attr)))
		return neg_errno();
	q->count = attr.query.prog_cnt;
	q->revision = attr.query.revision;
	q->attach_flags = attr.query.attach_flags;
	return 0;
}

__u32 sup_attached(int cgroup_fd, __u32 want)
{
	struct sup_query q;
	int i;

	for (i = 0; i < 300; i++) {
		if (sup_prog_query(cgroup_fd, BPF_CGROUP_INET_INGRESS, &q))
			return 999;
		if (q.count == want)
			break;
		usleep(10000);
	}
	return q.count;
}

int sup_obj_pin(int fd, const char *path)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.bpf_fd = fd;
	attr.pathname = ptr_u64(path);
	return sup_bpf(BPF_OBJ_PIN, &attr, sizeof(attr)) ? neg_errno() : 0;
}

int sup_obj_get(const char *path)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = ptr_u64(path);
	fd = sup_bpf(BPF_OBJ_GET, &attr, sizeof(attr));
	return fd < 0 ? neg_errno() : fd;
}

/* ------------------------------------------------------------------------
 * Privileges
 */

static int start_fds = -1;

const char *sup_root_missing(void)
{
	static char why[320];
	static bool asked;
	const char *refused;

	if (asked)
		return why[0] ? why : NULL;
	asked = true;
	if (geteuid() != 0) {
		snprintf(why, sizeof(why), "needs root (euid %d)", (int)geteuid());
		return why;
	}
	/* Root may still be denied bpf() (lockdown, seccomp, no CONFIG_BPF):
	 * the whole-suite probe. */
	refused = sup_probe_why("bpf_prog_load");
	if (refused) {
		snprintf(why, sizeof(why), "root cannot load a BPF program: %s", refused);
		return why;
	}
	return NULL;
}

void sup_require_root(void)
{
	const char *why = sup_root_missing();

	if (why)
		TAP_SKIP_ALL("kernel tests: %s", why);
	install_cleanup();
	start_fds = sup_fd_count();
}

int sup_start_fds(void)
{
	return start_fds;
}

/* ------------------------------------------------------------------------
 * BTF of vmlinux
 */

/* Bytes that follow struct btf_type for a type of this kind and vlen. */
static long btf_extra_size(unsigned int kind, unsigned int vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
		return sizeof(__u32);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static char *read_file(const char *path, size_t *size)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap), *bigger;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (len == cap) {
			bigger = realloc(buf, cap * 2);
			if (!bigger)
				goto fail;
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	*size = len;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

int sup_vmlinux_btf_id(const char *name, unsigned int kind)
{
	const struct btf_header *hdr;
	const char *types, *strs;
	size_t size, off;
	int id = 1, ret = -ENOENT;
	char *buf;

	buf = read_file("/sys/kernel/btf/vmlinux", &size);
	if (!buf)
		return neg_errno();
	hdr = (const struct btf_header *)buf;
	if (size < sizeof(*hdr) || hdr->magic != BTF_MAGIC ||
	    (size_t)hdr->hdr_len + hdr->type_off + hdr->type_len > size ||
	    (size_t)hdr->hdr_len + hdr->str_off + hdr->str_len > size) {
		ret = -EINVAL;
		goto out;
	}
	types = buf + hdr->hdr_len + hdr->type_off;
	strs = buf + hdr->hdr_len + hdr->str_off;
	/* Type ids count from 1, in the order the types are laid out. */
	for (off = 0; off + sizeof(struct btf_type) <= hdr->type_len; id++) {
		const struct btf_type *t = (const void *)(types + off);
		long extra = btf_extra_size(BTF_INFO_KIND(t->info), BTF_INFO_VLEN(t->info));

		if (extra < 0) {
			printf("# BTF: unknown kind %u at type %d\n", BTF_INFO_KIND(t->info), id);
			ret = -EINVAL;
			goto out;
		}
		if (BTF_INFO_KIND(t->info) == kind && t->name_off < hdr->str_len &&
		    !strcmp(strs + t->name_off, name)) {
			ret = id;
			goto out;
		}
		off += sizeof(*t) + extra;
	}
out:
	free(buf);
	if (ret < 0)
		errno = -ret;
	return ret;
}

/* ------------------------------------------------------------------------
 * Cgroup v2
 */

int sup_cgroup_create(struct sup_cgroup *cg, const char *name)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	const char *root = sup_cgroup2_root();
	struct stat st;
	int mount_id, err;

	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	if (!root)
		return -ENOENT;
	if ((size_t)snprintf(cg->path, sizeof(cg->path), "%s/bpflink-test-%s-%d", root, name,
			     (int)getpid()) >= sizeof(cg->path)) {
		cg->path[0] = 0;
		errno = ENAMETOOLONG;
		return -ENAMETOOLONG;
	}
	rmdir(cg->path); /* a leftover of a killed run with the same pid */
	if (mkdir(cg->path, 0755))
		goto fail;
	remember(LEFTOVER_CGROUP, cg->path);
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0)
		goto fail;
	/* On cgroup2 the 8-byte file handle is the cgroup id; the inode number
	 * is the same value on 64-bit, and serves when handles are refused. */
	h.fh.handle_bytes = sizeof(h.id);
	if (!name_to_handle_at(AT_FDCWD, cg->path, &h.fh, &mount_id, 0) && h.fh.handle_bytes == 8)
		memcpy(&cg->id, h.fh.f_handle, sizeof(cg->id));
	else if (!fstat(cg->fd, &st))
		cg->id = st.st_ino;
	else
		goto fail;
	return 0;
fail:
	err = neg_errno();
	sup_cgroup_destroy(cg);
	errno = -err;
	return err;
}

int sup_cgroup_udp_roundtrip(const struct sup_cgroup *cg)
{
	struct sockaddr_in addr = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	struct timeval tv = { .tv_sec = 2 };
	char procs[SUP_PATH_MAX + 16], buf[8];
	pid_t pid;
	int status, fd, s;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg->path);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return neg_errno();
	if (pid == 0) {
		/* Join the cgroup ("0" means the writing process), then talk
		 * to ourselves through the loopback device. */
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(10);
		close(fd);
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) ||
		    getsockname(s, (struct sockaddr *)&addr, &alen) ||
		    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			_exit(11);
		if (sendto(s, "ping", 4, 0, (struct sockaddr *)&addr, sizeof(addr)) != 4)
			_exit(12);
		if (recv(s, buf, sizeof(buf), 0) != 4)
			_exit(13);
		_exit(0);
	}
	status = sup_child_wait(pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("# udp roundtrip child: status 0x%x\n", status);
		return -EIO;
	}
	return 0;
}

void sup_cgroup_destroy(struct sup_cgroup *cg)
{
	int tries;

	SUP_CLOSE(cg->fd);
	if (cg->path[0]) {
		/* A process that just left (exited) may keep the cgroup busy
		 * for a moment. */
		for (tries = 0;; tries++) {
			if (!rmdir(cg->path) || errno == ENOENT)
				break;
			if (errno != EBUSY || tries == 100) {
				printf("# rmdir %s: %s\n", cg->path, strerror(errno));
				break;
			}
			usleep(10000);
		}
		forget(cg->path);
		cg->path[0] = 0;
	}
}

/* ------------------------------------------------------------------------
 * Network namespace and devices
 */

int sup_if_up(const char *name)
{
	struct ifreq ifr;
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return neg_errno();
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		err = neg_errno();
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			err = neg_errno();
	}
	close(s);
	if (err)
		errno = -err;
	return err;
}

int sup_netns_enter(void)
{
	if (unshare(CLONE_NEWNET))
		return neg_errno();
	return sup_if_up("lo");
}

__u64 sup_netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

int sup_netns_open(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? neg_errno() : fd;
}

int sup_ifindex(const char *name)
{
	return (int)if_nametoindex(name);
}

int sup_udp_ping_lo(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(9),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return neg_errno();
	if (sendto(s, "ping", 4, 0, (struct sockaddr *)&addr, sizeof(addr)) != 4)
		err = neg_errno();
	close(s);
	if (err)
		errno = -err;
	return err;
}

/* A netlink message under construction, with room for nested attributes. */
struct nl_msg {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

static struct rtattr *nl_put(struct nl_msg *m, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));
	size_t need = RTA_ALIGN(RTA_LENGTH(len));

	if (NLMSG_ALIGN(m->nh.nlmsg_len) + need > sizeof(*m))
		return NULL;
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + need;
	return rta;
}

/* Closes a nested attribute opened by nl_put(m, type, NULL, 0). */
static void nl_end(struct nl_msg *m, struct rtattr *nest)
{
	nest->rta_len = (char *)m + m->nh.nlmsg_len - (char *)nest;
}

int sup_veth_create(const char *name, const char *peer)
{
	struct rtattr *linkinfo, *data, *peer_attr;
	struct ifinfomsg peer_ifi;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nl_msg m;
	char reply[4096];
	struct nlmsghdr *rh;
	ssize_t n;
	int s, err;

	memset(&m, 0, sizeof(m));
	m.nh.nlmsg_len = NLMSG_LENGTH(sizeof(m.ifi));
	m.nh.nlmsg_type = RTM_NEWLINK;
	m.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	m.nh.nlmsg_seq = 1;
	m.ifi.ifi_family = AF_UNSPEC;
	memset(&peer_ifi, 0, sizeof(peer_ifi));

	/* IFLA_IFNAME name, IFLA_LINKINFO { KIND "veth", DATA { PEER {
	 * ifinfomsg, IFLA_IFNAME peer } } } */
	if (!nl_put(&m, IFLA_IFNAME, name, strlen(name) + 1) ||
	    !(linkinfo = nl_put(&m, IFLA_LINKINFO, NULL, 0)) ||
	    !nl_put(&m, IFLA_INFO_KIND, "veth", 4) ||
	    !(data = nl_put(&m, IFLA_INFO_DATA, NULL, 0)) ||
	    !(peer_attr = nl_put(&m, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi))) ||
	    !nl_put(&m, IFLA_IFNAME, peer, strlen(peer) + 1))
		return -E2BIG;
	nl_end(&m, peer_attr);
	nl_end(&m, data);
	nl_end(&m, linkinfo);

	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		return neg_errno();
	err = -EIO;
	if (sendto(s, &m, m.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = neg_errno();
		goto out;
	}
	n = recv(s, reply, sizeof(reply), 0);
	if (n < 0) {
		err = neg_errno();
		goto out;
	}
	for (rh = (struct nlmsghdr *)reply; NLMSG_OK(rh, (size_t)n); rh = NLMSG_NEXT(rh, n)) {
		if (rh->nlmsg_type == NLMSG_ERROR) {
			err = ((struct nlmsgerr *)NLMSG_DATA(rh))->error;
			break;
		}
	}
out:
	close(s);
	if (!err)
		err = sup_if_up(name);
	if (!err)
		err = sup_if_up(peer);
	if (err)
		errno = -err;
	return err;
}

/* ------------------------------------------------------------------------
 * Private bpffs
 */

int sup_bpffs_mount(struct sup_bpffs *fs)
{
	static bool own_mount_ns;
	int err;

	memset(fs, 0, sizeof(*fs));
	if (!own_mount_ns) {
		/* A mount namespace of our own, with no propagation back to the
		 * host: the mount cannot outlive this process. */
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			return neg_errno();
		own_mount_ns = true;
	}
	snprintf(fs->dir, sizeof(fs->dir), "/tmp/bpflink-bpffs-XXXXXX");
	if (!mkdtemp(fs->dir)) {
		err = neg_errno();
		fs->dir[0] = 0;
		return err;
	}
	remember(LEFTOVER_BPFFS, fs->dir);
	if (mount("bpf", fs->dir, "bpf", 0, NULL)) {
		err = neg_errno();
		sup_bpffs_umount(fs);
		errno = -err;
		return err;
	}
	fs->mounted = true;
	return 0;
}

void sup_bpffs_umount(struct sup_bpffs *fs)
{
	if (fs->mounted && umount2(fs->dir, 0) && umount2(fs->dir, MNT_DETACH))
		printf("# umount %s: %s\n", fs->dir, strerror(errno));
	fs->mounted = false;
	if (fs->dir[0]) {
		if (rmdir(fs->dir))
			printf("# rmdir %s: %s\n", fs->dir, strerror(errno));
		forget(fs->dir);
		fs->dir[0] = 0;
	}
}

/* ------------------------------------------------------------------------
 * Perf events and probes
 */

int sup_perf_event_sw(__u64 config)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = config;
	attr.sample_period = 1000000000; /* never fires while disabled anyway */
	attr.disabled = 1;
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

int sup_file_offset(const void *addr, char *path, size_t path_len, unsigned long *offset)
{
	unsigned long start, end, pgoff, a = (unsigned long)addr;
	char line[PATH_MAX + 128], file[PATH_MAX];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return neg_errno();
	while (fgets(line, sizeof(line), f)) {
		file[0] = 0;
		/* start-end perms offset dev inode path */
		if (sscanf(line, "%lx-%lx %*s %lx %*s %*u %4095s", &start, &end, &pgoff, file) < 3)
			continue;
		if (a < start || a >= end || file[0] != '/')
			continue;
		*offset = a - start + pgoff;
		snprintf(path, path_len, "%s", file);
		err = 0;
		break;
	}
	fclose(f);
	if (err)
		errno = -err;
	return err;
}

/* ------------------------------------------------------------------------
 * Fds
 */

int sup_fd_count(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			n++;
	closedir(d);
	return n;
}

bool sup_fd_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	return flags >= 0 && (flags & FD_CLOEXEC);
}

bool sup_fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* ------------------------------------------------------------------------
 * Paths and text
 */

bool sup_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool sup_str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

const char *sup_path(const char *dir, const char *name)
{
	static char paths[16][PATH_MAX];
	static unsigned int next;
	char *p = paths[next++ % 16];

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	return p;
}

const char *sup_oneline(const char *s)
{
	static char out[4][16384];
	static unsigned int next;
	char *o = out[next++ % 4];
	size_t n = 0;

	for (; *s && n + 3 < sizeof(out[0]); s++) {
		if (*s == '\n') {
			o[n++] = '\\';
			o[n++] = 'n';
		} else {
			o[n++] = *s;
		}
	}
	o[n] = 0;
	return o;
}

/* ------------------------------------------------------------------------
 * Process measurements
 */

long sup_statm_bytes(bool anon_only)
{
	char buf[128];
	long size = 0, res = 0, shared = 0;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%ld %ld %ld", &size, &res, &shared) != 3)
		return -1;
	return (anon_only ? res - shared : res) * sysconf(_SC_PAGESIZE);
}

bool sup_maps_has(const char *needle)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

bool sup_under_valgrind(void)
{
	return sup_maps_has("vgpreload");
}

bool sup_under_tool(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return true;
#else
	return sup_under_valgrind();
#endif
}

/* ------------------------------------------------------------------------
 * bpftool
 */

int sup_bpftool_link(__u32 id, char *out, size_t len)
{
	char args[64];

	snprintf(args, sizeof(args), "link show id %u", id);
	return sup_bpftool(args, out, len);
}

int sup_bpftool(const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX + 512];
	size_t n = 0;
	FILE *p;
	int st;

	out[0] = 0;
	if (sup_probe("bpftool"))
		return -ENOENT;
	snprintf(cmd, sizeof(cmd), "%s -j %s 2>/dev/null", bpftool_path, args);
	fflush(stdout);
	p = popen(cmd, "re");
	if (!p)
		return neg_errno();
	while (n + 1 < len) {
		size_t r = fread(out + n, 1, len - 1 - n, p);

		if (!r)
			break;
		n += r;
	}
	while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
		n--;
	out[n] = 0;
	st = pclose(p);
	if (st == -1)
		return neg_errno();
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* Finds "key": followed by value, where the value must end there. */
static bool json_has(const char *json, const char *key, const char *value, bool quoted)
{
	char needle[256];
	const char *p;
	size_t n;

	n = snprintf(needle, sizeof(needle), quoted ? "\"%s\":\"%s\"" : "\"%s\":%s", key, value);
	for (p = strstr(json, needle); p; p = strstr(p + 1, needle))
		if (quoted || !strchr("0123456789", p[n]))
			return true;
	return false;
}

bool sup_json_has_int(const char *json, const char *key, long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", value);
	return json_has(json, key, v, false);
}

bool sup_json_has_str(const char *json, const char *key, const char *value)
{
	return json_has(json, key, value, true);
}

/* ------------------------------------------------------------------------
 * Forked children
 */

pid_t sup_child_start(FILE **out)
{
	int p[2], hi;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return neg_errno();
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return neg_errno();
	}
	if (pid == 0) {
		close(p[0]);
		/* Report on a high fd so that 0, 1 and 2 are the child's to
		 * close; tap.h prints to stdout, so stdout becomes that fd. */
		hi = fcntl(p[1], F_DUPFD_CLOEXEC, 100);
		close(p[1]);
		if (hi < 0)
			_exit(125);
		stdout = fdopen(hi, "w");
		if (!stdout)
			_exit(125);
		setvbuf(stdout, NULL, _IOLBF, 0);
		return 0;
	}
	close(p[1]);
	*out = fdopen(p[0], "r");
	if (!*out) {
		close(p[0]);
		kill(pid, SIGKILL);
		sup_child_wait(pid);
		return -ENOMEM;
	}
	return pid;
}

void sup_child_exit(void)
{
	fflush(stdout);
	/* _exit: the parent's atexit cleanup must not run here. */
	_exit(0);
}

int sup_child_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* ------------------------------------------------------------------------
 * The cgroup2 mount
 */

const char *sup_cgroup2_root(void)
{
	return cgroup2_root();
}

/* ------------------------------------------------------------------------
 * Capability probes
 *
 * Each probe function does, with raw syscalls only, the kernel work a
 * group of cases needs, closes what it made, and returns 0 or -errno with
 * *step naming what failed. The built-in ones run in a forked child (see
 * run_isolated()), so a probe can neither leak into the test process nor
 * change its namespaces; those marked IN_CHILD_NETNS in the table get a
 * network namespace of their own there, so no hook of the host is touched.
 */

/* A function for the uprobe probes to watch: never called while watched
 * (the probe's link filters on the probe child's pid). */
static __attribute__((noinline)) int sup_probe_uprobe_target(int x)
{
	asm volatile("" ::: "memory");
	return x + 1;
}

#define PROBE_STEP(name, expr)                                                     \
	do {                                                                       \
		err = (expr);                                                      \
		if (err < 0) {                                                     \
			*step = (name);                                            \
			goto out;                                                  \
		}                                                                  \
	} while (0)

/* The negative return of a call that gives -1 and errno. */
static int sys_ret(long r)
{
	return r < 0 ? neg_errno() : (int)r;
}

static int quiet_load(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id, int retval)
{
	return prog_load(type, eat, btf_id, retval, false);
}

/* Only a program load (prog_<type> probes). */
static int probe_load(enum bpf_prog_type type, enum bpf_attach_type eat, int retval,
		      const char **step)
{
	int fd = quiet_load(type, eat, 0, retval);

	if (fd < 0) {
		*step = "BPF_PROG_LOAD";
		return fd;
	}
	close(fd);
	return 0;
}

static int probe_bpf_prog_load(const char **step)
{
	return probe_load(BPF_PROG_TYPE_CGROUP_SKB, 0, 1, step);
}

static int probe_prog_xdp(const char **step)
{
	return probe_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2, step);
}

static int probe_prog_perf_event(const char **step)
{
	return probe_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0, step);
}

static int probe_prog_raw_tp(const char **step)
{
	return probe_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0, step);
}

/* A child cgroup of the cgroup2 mount for the probes: its path in *path. */
static int probe_mkdir_cgroup(char *path, size_t len, const char **step)
{
	const char *root = sup_cgroup2_root();

	if (!root) {
		*step = "cgroup2 in /proc/self/mountinfo";
		return -ENOENT;
	}
	if ((size_t)snprintf(path, len, "%s/bpflink-probe-%d", root, (int)getpid()) >= len) {
		*step = "cgroup path";
		return -ENAMETOOLONG;
	}
	rmdir(path);
	if (mkdir(path, 0755)) {
		*step = "mkdir in the cgroup2 mount";
		path[0] = 0;
		return neg_errno();
	}
	return 0;
}

static int probe_cgroup2_mount(const char **step)
{
	char path[PATH_MAX];
	int err = probe_mkdir_cgroup(path, sizeof(path), step);

	if (!err)
		rmdir(path);
	return err;
}

/* Loads a program, then a raw BPF_LINK_CREATE on target (with attr
 * tweaks from `fill`, may be NULL). */
static int probe_link(enum bpf_prog_type type, enum bpf_attach_type eat, __u32 btf_id, int retval,
		      int target, enum bpf_attach_type link_type,
		      void (*fill)(union bpf_attr *attr, void *arg), void *arg, const char **step)
{
	union bpf_attr attr;
	int prog = -1, link = -1, err;

	PROBE_STEP("BPF_PROG_LOAD", prog = quiet_load(type, eat, btf_id, retval));
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.target_fd = target;
	attr.link_create.attach_type = link_type;
	if (fill)
		fill(&attr, arg);
	PROBE_STEP("BPF_LINK_CREATE", link = sys_ret(sup_bpf(BPF_LINK_CREATE, &attr, sizeof(attr))));
	err = 0;
out:
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	return err;
}

static int probe_link_cgroup(const char **step)
{
	char path[PATH_MAX] = "";
	int cg = -1, err;

	err = probe_mkdir_cgroup(path, sizeof(path), step); /* sets *step itself */
	if (err)
		goto out;
	cg = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	PROBE_STEP("open the child cgroup", cg = cg < 0 ? neg_errno() : cg);
	err = probe_link(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 0, 1, cg,
			 BPF_CGROUP_INET_INGRESS, NULL, NULL, step);
out:
	SUP_CLOSE(cg);
	if (path[0])
		rmdir(path);
	return err;
}

/* The probes below on devices and network hooks run in a network namespace
 * of their own (IN_CHILD_NETNS: run_isolated() makes it), with lo up. */
static int probe_link_xdp(const char **step)
{
	return probe_link(BPF_PROG_TYPE_XDP, BPF_XDP, 0, 2, sup_ifindex("lo"), BPF_XDP, NULL, NULL,
			  step);
}

static int probe_link_tcx(const char **step)
{
	return probe_link(BPF_PROG_TYPE_SCHED_CLS, 0, 0, 0, sup_ifindex("lo"), BPF_TCX_INGRESS,
			  NULL, NULL, step);
}

static void fill_netfilter(union bpf_attr *attr, void *arg)
{
	(void)arg;
	attr->link_create.netfilter.pf = 2;	  /* NFPROTO_IPV4 */
	attr->link_create.netfilter.hooknum = 3; /* NF_INET_LOCAL_OUT */
	attr->link_create.netfilter.priority = 10;
}

static int probe_link_netfilter(const char **step)
{
	return probe_link(BPF_PROG_TYPE_NETFILTER, BPF_NETFILTER, 0, 1, 0, BPF_NETFILTER,
			  fill_netfilter, NULL, step);
}

static int probe_netns_link(enum bpf_prog_type type, enum bpf_attach_type at, int retval,
			    const char **step)
{
	int ns = -1, err;

	PROBE_STEP("open /proc/self/ns/net", ns = sup_netns_open());
	err = probe_link(type, at, 0, retval, ns, at, NULL, NULL, step);
out:
	SUP_CLOSE(ns);
	return err;
}

static int probe_link_sk_lookup(const char **step)
{
	return probe_netns_link(BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, 1, step);
}

static int probe_link_flow_dissector(const char **step)
{
	return probe_netns_link(BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, 0, step);
}

static int probe_veth(const char **step)
{
	int err = sup_veth_create("bpflprobe0", "bpflprobe1");

	if (err)
		*step = "RTM_NEWLINK veth";
	return err;
}

static int probe_link_perf_event(const char **step)
{
	int pfd, err;

	PROBE_STEP("perf_event_open", pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK));
	err = probe_link(BPF_PROG_TYPE_PERF_EVENT, 0, 0, 0, pfd, BPF_PERF_EVENT, NULL, NULL, step);
	close(pfd);
out:
	return err;
}

static int probe_perf_ioc_set_bpf(const char **step)
{
	int pfd = -1, prog = -1, err;

	PROBE_STEP("perf_event_open", pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK));
	PROBE_STEP("BPF_PROG_LOAD", prog = quiet_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0, 0));
	PROBE_STEP("PERF_EVENT_IOC_SET_BPF", sys_ret(ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog)));
	err = 0;
out:
	SUP_CLOSE(prog);
	SUP_CLOSE(pfd);
	return err;
}

struct uprobe_arg {
	char path[PATH_MAX];
	unsigned long offset;
	int dir_fd; /* >= 0: path is relative to it (BPF_F_UPROBE_MULTI_PATH_FD) */
};

static void fill_uprobe(union bpf_attr *attr, void *arg)
{
	struct uprobe_arg *u = arg;

	attr->link_create.uprobe_multi.path = ptr_u64(u->path);
	attr->link_create.uprobe_multi.offsets = ptr_u64(&u->offset);
	attr->link_create.uprobe_multi.cnt = 1;
	attr->link_create.uprobe_multi.pid = getpid();
	if (u->dir_fd >= 0) {
		__u32 fd = (__u32)u->dir_fd;

		/* uprobe_multi.path_fd follows pid (attr offset 60) in libbpf
		 * 1.8's uapi; 1.7.0's header, used here, ends the member at pid. */
		memcpy((char *)&attr->link_create.uprobe_multi.pid + sizeof(__u32), &fd, sizeof(fd));
		attr->link_create.uprobe_multi.flags |= BPF_F_UPROBE_MULTI_PATH_FD;
	}
}

/* A uprobe_multi (or session) link on sup_probe_uprobe_target; with
 * path_fd, its file is named by its directory's fd and its base name. */
static int probe_uprobe(enum bpf_attach_type type, bool path_fd, const char **step)
{
	struct uprobe_arg u = { .dir_fd = -1 };
	char *slash;
	int err;

	PROBE_STEP("/proc/self/maps",
		   sup_file_offset((void *)sup_probe_uprobe_target, u.path, sizeof(u.path), &u.offset));
	if (path_fd) {
		slash = strrchr(u.path, '/');
		if (!slash) {
			*step = "directory of the probed file";
			return -ENOENT;
		}
		*slash = 0;
		PROBE_STEP("open(O_PATH) of the probed file's directory",
			   u.dir_fd = sys_ret(open(u.path[0] ? u.path : "/",
						   O_PATH | O_DIRECTORY | O_CLOEXEC)));
		memmove(u.path, slash + 1, strlen(slash + 1) + 1);
	}
	err = probe_link(BPF_PROG_TYPE_KPROBE, type, 0, 0, 0, type, fill_uprobe, &u, step);
out:
	SUP_CLOSE(u.dir_fd);
	return err;
}

static int probe_link_uprobe_multi(const char **step)
{
	return probe_uprobe(BPF_TRACE_UPROBE_MULTI, false, step);
}

static int probe_link_uprobe_session(const char **step)
{
	return probe_uprobe(BPF_TRACE_UPROBE_SESSION, false, step);
}

static int probe_link_uprobe_multi_path_fd(const char **step)
{
	return probe_uprobe(BPF_TRACE_UPROBE_MULTI, true, step);
}

static void fill_kprobe(union bpf_attr *attr, void *arg)
{
	static const char *const syms[] = { SUP_KPROBE_SYM };

	(void)arg;
	attr->link_create.kprobe_multi.syms = ptr_u64(syms);
	attr->link_create.kprobe_multi.cnt = 1;
}

static int probe_link_kprobe_multi(const char **step)
{
	return probe_link(BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, 0, 0, 0,
			  BPF_TRACE_KPROBE_MULTI, fill_kprobe, NULL, step);
}

static int probe_link_kprobe_session(const char **step)
{
	return probe_link(BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_SESSION, 0, 0, 0,
			  BPF_TRACE_KPROBE_SESSION, fill_kprobe, NULL, step);
}

static void fill_iter_info(union bpf_attr *attr, void *arg)
{
	attr->link_create.iter_info = ptr_u64(arg);
	attr->link_create.iter_info_len = sizeof(union bpf_iter_link_info);
}

/* An iterator of target bpf_iter_<target>, with iter_info when given. */
static int probe_iter(const char *target, union bpf_iter_link_info *li, const char **step)
{
	char func[64];
	int btf_id, err;

	snprintf(func, sizeof(func), "bpf_iter_%s", target);
	PROBE_STEP("vmlinux BTF", btf_id = sup_vmlinux_btf_id(func, BTF_KIND_FUNC));
	err = probe_link(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf_id, 0, 0, BPF_TRACE_ITER,
			 li ? fill_iter_info : NULL, li, step);
out:
	return err;
}

static int probe_iter_bpf_map(const char **step)
{
	return probe_iter("bpf_map", NULL, step);
}

static int probe_iter_task(const char **step)
{
	return probe_iter("task", NULL, step);
}

static int probe_iter_bpf_map_elem(const char **step)
{
	union bpf_iter_link_info li;
	int map, err;

	PROBE_STEP("BPF_MAP_CREATE", map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1));
	memset(&li, 0, sizeof(li));
	li.map.map_fd = map;
	err = probe_iter("bpf_map_elem", &li, step);
	close(map);
out:
	return err;
}

static int probe_iter_cgroup(const char **step)
{
	union bpf_iter_link_info li;
	const char *root = sup_cgroup2_root();
	int cg, err;

	if (!root) {
		*step = "cgroup2 in /proc/self/mountinfo";
		return -ENOENT;
	}
	cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	PROBE_STEP("open the cgroup2 mount", cg = cg < 0 ? neg_errno() : cg);
	memset(&li, 0, sizeof(li));
	li.cgroup.cgroup_fd = cg;
	li.cgroup.order = BPF_CGROUP_ITER_SELF_ONLY;
	err = probe_iter("cgroup", &li, step);
	close(cg);
out:
	return err;
}

static int probe_btf_vmlinux(const char **step)
{
	int id = sup_vmlinux_btf_id("task_struct", BTF_KIND_STRUCT);

	if (id < 0)
		*step = "vmlinux BTF";
	return id < 0 ? id : 0;
}

static int probe_bpffs_mount(const char **step)
{
	struct sup_bpffs fs;
	int err = sup_bpffs_mount(&fs);

	if (err)
		*step = "mount -t bpf";
	sup_bpffs_umount(&fs);
	return err;
}

static int probe_bpftool(const char **step)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];
	int status;
	pid_t pid;

	for (; path && *path; path += strcspn(path, ":") + (path[strcspn(path, ":")] != 0)) {
		size_t n = strcspn(path, ":");

		if (n == 0 || n + sizeof("/bpftool") > sizeof(cand))
			continue;
		snprintf(cand, sizeof(cand), "%.*s/bpftool", (int)n, path);
		if (!access(cand, X_OK))
			break;
		cand[0] = 0;
	}
	if (!path || !*path || !cand[0]) {
		*step = "bpftool on PATH";
		return -ENOENT;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 1);
		dup2(null, 2);
		execl(cand, "bpftool", "version", (char *)NULL);
		_exit(127);
	}
	status = pid > 0 ? sup_child_wait(pid) : -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		*step = "bpftool version";
		return -EIO;
	}
	snprintf(bpftool_path, sizeof(bpftool_path), "%s", cand);
	return 0;
}

enum probe_where { IN_CHILD, IN_CHILD_NETNS, IN_PROCESS };

static const struct probe_def {
	const char *name;
	int (*fn)(const char **step);
	enum probe_where where;
} builtin_probes[] = {
	{ "bpf_prog_load", probe_bpf_prog_load, IN_CHILD },
	{ "cgroup2_mount", probe_cgroup2_mount, IN_CHILD },
	{ "btf_vmlinux", probe_btf_vmlinux, IN_CHILD },
	{ "bpffs_mount", probe_bpffs_mount, IN_CHILD },
	/* in the process: it also notes where bpftool is */
	{ "bpftool", probe_bpftool, IN_PROCESS },
	{ "veth", probe_veth, IN_CHILD_NETNS },
	{ "prog_xdp", probe_prog_xdp, IN_CHILD },
	{ "prog_perf_event", probe_prog_perf_event, IN_CHILD },
	{ "prog_raw_tp", probe_prog_raw_tp, IN_CHILD },
	{ "link_cgroup", probe_link_cgroup, IN_CHILD },
	{ "link_xdp", probe_link_xdp, IN_CHILD_NETNS },
	{ "link_tcx", probe_link_tcx, IN_CHILD_NETNS },
	{ "link_netfilter", probe_link_netfilter, IN_CHILD_NETNS },
	{ "link_sk_lookup", probe_link_sk_lookup, IN_CHILD_NETNS },
	{ "link_flow_dissector", probe_link_flow_dissector, IN_CHILD_NETNS },
	{ "link_perf_event", probe_link_perf_event, IN_CHILD },
	{ "perf_ioc_set_bpf", probe_perf_ioc_set_bpf, IN_CHILD },
	{ "link_uprobe_multi", probe_link_uprobe_multi, IN_CHILD },
	{ "link_uprobe_session", probe_link_uprobe_session, IN_CHILD },
	{ "link_uprobe_multi_path_fd", probe_link_uprobe_multi_path_fd, IN_CHILD },
	{ "link_kprobe_multi", probe_link_kprobe_multi, IN_CHILD },
	{ "link_kprobe_session", probe_link_kprobe_session, IN_CHILD },
	{ "iter_bpf_map", probe_iter_bpf_map, IN_CHILD },
	{ "iter_bpf_map_elem", probe_iter_bpf_map_elem, IN_CHILD },
	{ "iter_task", probe_iter_task, IN_CHILD },
	{ "iter_cgroup", probe_iter_cgroup, IN_CHILD },
};

#define N_BUILTIN (sizeof(builtin_probes) / sizeof(builtin_probes[0]))
#define MAX_ADDED 8

static struct probe_def added_probes[MAX_ADDED];
static size_t n_added;

static struct probe_answer {
	bool done;
	bool simulated;
	int err;
	char step[64];
	char why[256];
} answers[N_BUILTIN + MAX_ADDED];

static const char *probe_suite_name;

void sup_probe_add(const char *name, sup_probe_fn fn)
{
	if (n_added == MAX_ADDED) {
		fprintf(stderr, "sup_probe_add: no room for %s\n", name);
		abort();
	}
	added_probes[n_added].name = name;
	added_probes[n_added].fn = fn;
	added_probes[n_added].where = IN_PROCESS;
	n_added++;
}

void sup_probe_suite(const char *suite)
{
	probe_suite_name = suite;
}

void sup_probe_forget(void)
{
	memset(answers, 0, sizeof(answers));
}

/* The index of a probe; an unknown name is a mistake in the test: abort. */
static size_t probe_index(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_BUILTIN; i++)
		if (strlen(builtin_probes[i].name) == len && !strncmp(builtin_probes[i].name, name, len))
			return i;
	for (i = 0; i < n_added; i++)
		if (strlen(added_probes[i].name) == len && !strncmp(added_probes[i].name, name, len))
			return N_BUILTIN + i;
	fflush(stdout);
	fprintf(stderr, "support: no capability probe is called \"%.*s\"\n", (int)len, name);
	abort();
}

static const struct probe_def *probe_def(size_t i)
{
	return i < N_BUILTIN ? &builtin_probes[i] : &added_probes[i - N_BUILTIN];
}

/* Whether BPFLINK_TEST_REFUSE names this probe. */
static bool refused_by_env(const char *name)
{
	const char *list = getenv("BPFLINK_TEST_REFUSE"), *p;
	size_t n = strlen(name);

	for (p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return true;
	return false;
}

/* Runs a probe function in a forked child (in a new network namespace
 * with lo up, for IN_CHILD_NETNS); the answer comes back through a pipe. */
static int run_isolated(const struct probe_def *d, char *step, size_t step_len)
{
	struct {
		int err;
		char step[64];
	} rep = { -EIO, "probe child" };
	int p[2], status;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC)) {
		snprintf(step, step_len, "pipe");
		return neg_errno();
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		const char *s = "?";

		close(p[0]);
		if (d->where == IN_CHILD_NETNS && unshare(CLONE_NEWNET)) {
			rep.err = neg_errno();
			s = "unshare(CLONE_NEWNET)";
		} else if (d->where == IN_CHILD_NETNS && (rep.err = sup_if_up("lo"))) {
			s = "lo up";
		} else {
			rep.err = d->fn(&s);
		}
		snprintf(rep.step, sizeof(rep.step), "%s", s);
		if (write(p[1], &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
		rep.err = -EIO;
		snprintf(rep.step, sizeof(rep.step), "probe child");
	}
	close(p[0]);
	if (pid < 0) {
		rep.err = -errno;
		snprintf(rep.step, sizeof(rep.step), "fork");
	} else {
		status = sup_child_wait(pid);
		if (!rep.err && status) {
			rep.err = -EIO;
			snprintf(rep.step, sizeof(rep.step), "probe child (status 0x%x)", status);
		}
	}
	snprintf(step, step_len, "%s", rep.step);
	return rep.err;
}

static const char *errno_name(int e)
{
	static char buf[16];
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/* One line per probe and process in $BPFLINK_PROBE_LOG. */
static void probe_log(const char *name, const struct probe_answer *a)
{
	const char *path = getenv("BPFLINK_PROBE_LOG");
	char line[512];
	int fd, n;

	if (!path || !*path)
		return;
	n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t%s\n",
		     probe_suite_name ? probe_suite_name : program_invocation_short_name, name,
		     a->err ? errno_name(-a->err) : "ok", a->err ? a->step : "-",
		     a->simulated ? "simulated" : "real");
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* One write: lines of processes probing at once do not mix. */
	if (n > 0 && write(fd, line, (size_t)n) != n)
		printf("# support: could not write %s\n", path);
	close(fd);
}

static struct probe_answer *probe_answer(const char *name, size_t len)
{
	size_t i = probe_index(name, len);
	struct probe_answer *a = &answers[i];
	const struct probe_def *d = probe_def(i);
	const char *step = "?";
	char where[sizeof(a->step)];

	if (a->done)
		return a;
	if (refused_by_env(d->name)) {
		a->err = -EPERM;
		a->simulated = true;
		snprintf(a->step, sizeof(a->step), "simulated refusal");
		snprintf(a->why, sizeof(a->why),
			 "probe %s: EPERM from simulated refusal (BPFLINK_TEST_REFUSE)", d->name);
	} else {
		if (d->where == IN_PROCESS) {
			a->err = d->fn(&step);
			snprintf(where, sizeof(where), "%s", step);
		} else {
			a->err = run_isolated(d, where, sizeof(where));
		}
		memcpy(a->step, where, sizeof(a->step));
		if (a->err)
			snprintf(a->why, sizeof(a->why), "probe %s: %s from %s (%s)", d->name,
				 errno_name(-a->err), where, strerror(-a->err));
	}
	a->done = true;
	probe_log(d->name, a);
	return a;
}

int sup_probe(const char *name)
{
	int err = probe_answer(name, strlen(name))->err;

	if (err)
		errno = -err;
	return err;
}

const char *sup_probe_why(const char *names)
{
	const char *p;

	for (p = names; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0)) {
		struct probe_answer *a = probe_answer(p, strcspn(p, ","));

		if (a->err)
			return a->why;
	}
	return NULL;
}

const char *sup_probe_step(const char *name)
{
	struct probe_answer *a = probe_answer(name, strlen(name));

	return a->err ? a->step : NULL;
}

bool sup_probe_simulated(const char *name)
{
	return probe_answer(name, strlen(name))->simulated;
}
