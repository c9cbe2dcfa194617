// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fixtures of the differential suite, made with raw bpf(2) so that neither
 * library under test is involved: tiny programs, child cgroups, ids,
 * revisions, and a record of every link id a case created so the suite
 * can prove at the end that it left no link behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diff.h"

static __u64 ptr(const void *p)
{
	return (__u64)(unsigned long)p;
}

int load_prog(enum bpf_prog_type type, enum bpf_attach_type expected, __u32 attach_btf_id,
	      int ret)
{
	/* r0 = ret; exit */
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.expected_attach_type = expected;
	attr.attach_btf_id = attach_btf_id;
	attr.insns = ptr(insns);
	attr.insn_cnt = 2;
	attr.license = ptr("GPL");
	fd = sys_bpf_raw(BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0 && fd < 3) {
		/* keep fixture fds away from 0..2 */
		int nfd = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);

		close((int)fd);
		fd = nfd;
	}
	return (int)fd;
}

static __u32 obj_id(int fd, size_t id_off)
{
	unsigned char info[256];
	union bpf_attr attr;
	__u32 id;

	memset(info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = ptr(info);
	if (sys_bpf_raw(BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) < 0)
		return 0;
	memcpy(&id, info + id_off, sizeof(id));
	return id;
}

__u32 prog_id(int prog_fd)
{
	return obj_id(prog_fd, offsetof(struct bpf_prog_info, id));
}

__u32 link_id(int link_fd)
{
	return obj_id(link_fd, offsetof(struct bpf_link_info, id));
}

bool is_root(void)
{
	return geteuid() == 0;
}

/* Paths of the cgroups this process made and has not removed yet, so that
 * an interrupted run still removes them (cgroup_cleanup_all, from a signal
 * handler or atexit: rmdir only, async-signal-safe). */
static char made[4][256];

void cgroup_cleanup_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++)
		if (made[i][0])
			rmdir(made[i]);
}

static void remember(const char *path, bool add)
{
	size_t i;

	for (i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		if (add && !made[i][0]) {
			snprintf(made[i], sizeof(made[i]), "%s", path);
			return;
		}
		if (!add && !strcmp(made[i], path)) {
			made[i][0] = 0;
			return;
		}
	}
}

int cgroup_make(char *path, size_t len, const char *tag)
{
	int fd;

	snprintf(path, len, "/sys/fs/cgroup/unified/bpflink-diff-%d-%s", (int)getpid(), tag);
	if (mkdir(path, 0755) && errno != EEXIST) {
		path[0] = 0;
		return -1;
	}
	remember(path, true);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rmdir(path);
		remember(path, false);
		path[0] = 0;
	}
	return fd;
}

void cgroup_remove(const char *path)
{
	int i;

	if (!path[0])
		return;
	/* Freed links release the cgroup asynchronously; retry briefly. */
	for (i = 0; i < 100; i++) {
		if (!rmdir(path) || errno == ENOENT) {
			remember(path, false);
			return;
		}
		usleep(10000);
	}
	printf("# could not remove %s: %s\n", path, strerror(errno));
}

__u64 query_revision(int target, enum bpf_attach_type type)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = target;
	attr.query.attach_type = type;
	if (sys_bpf_raw(BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return 0;
	return attr.query.revision;
}

__u32 vmlinux_btf_func(const char *name)
{
	char cmd[256], line[512];
	unsigned int id = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | "
		 "grep -m1 \"FUNC '%s' \"",
		 name);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	if (fgets(line, sizeof(line), p) && sscanf(line, "[%u]", &id) != 1)
		id = 0;
	pclose(p);
	return id;
}

static __u32 noted[256];
static int n_noted;

void note_link_id(__u32 id)
{
	if (id && n_noted < (int)(sizeof(noted) / sizeof(noted[0])))
		noted[n_noted++] = id;
}

int live_noted_links(void)
{
	int i, live = 0;

	for (i = 0; i < n_noted; i++) {
		union bpf_attr attr;
		long fd;

		memset(&attr, 0, sizeof(attr));
		attr.link_id = noted[i];
		fd = sys_bpf_raw(BPF_LINK_GET_FD_BY_ID, &attr, sizeof(attr));
		if (fd >= 0) {
			live++;
			close((int)fd);
		}
	}
	return live;
}

int move_fd(int fd, int to)
{
	if (fd < 0)
		return -1;
	if (fd == to)
		return to;
	if (dup2(fd, to) < 0)
		return -1;
	close(fd);
	return to;
}
