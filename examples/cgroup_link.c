/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpflink demo: the life of a cgroup link, step by step, through the
 * libbpf-compatible C API (make demo builds it with -lbpflink and runs it).
 *
 * It loads two tiny cgroup_skb programs, attaches the first to a new child
 * cgroup, pins the link on a private bpffs, lets go of it, reopens it from
 * the pin, swaps in the second program, finds it among all links of the
 * system, detaches it, unpins it and destroys it. Everything it creates is
 * removed at the end, also when a step fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpflink.h>

/*
 * Where cgroup2 is mounted (it varies: a pure cgroup v2 system mounts it in
 * one place, a system beside the v1 hierarchies in another): the mount
 * point, field 5, of the first line of /proc/self/mountinfo whose
 * file-system type, the first field after " - ", is cgroup2. mountinfo
 * writes a space in a path as "\040"; such escapes are decoded. 0, or -1
 * when there is no cgroup2 mount.
 */
static int cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -1;

	while (f && ret && fgets(line, sizeof(line), f)) {
		const char *type = strstr(line, " - ");
		size_t o = 0;
		unsigned int c;

		if (!type || strncmp(type + 3, "cgroup2 ", 8) ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		for (const char *p = mnt; *p && o + 1 < len; p++) {
			if (p[0] == '\\' && sscanf(p + 1, "%3o", &c) == 1) {
				out[o++] = (char)c;
				p += 3;
			} else {
				out[o++] = *p;
			}
		}
		out[o] = 0;
		ret = 0;
	}
	if (f)
		fclose(f);
	return ret;
}

/* Loads "r0 = verdict; exit" as a cgroup_skb program (no compiler needed). */
static int load_prog(int verdict)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_SKB;
	attr.expected_attach_type = BPF_CGROUP_INET_INGRESS;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	return syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

static __u32 prog_id(int prog_fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = prog_fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	return syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)) ? 0 : info.id;
}

/* Prints what the kernel says about a link; returns its id (0 on error). */
static __u32 show(int link_fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_link_get_info_by_fd(link_fd, &info, &len)) {
		printf("      (no info: %s)\n", strerror(errno));
		return 0;
	}
	printf("      link %u: type %s, program %u, cgroup %llu%s\n", info.id,
	       libbpf_bpf_link_type_str(info.type), info.prog_id,
	       (unsigned long long)info.cgroup.cgroup_id,
	       info.cgroup.cgroup_id ? "" : " (detached)");
	return info.id;
}

static int fail(const char *what)
{
	printf("      %s failed: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	char cg_root[4096], cg_path[4200], fs_dir[] = "/tmp/bpflink-demo-XXXXXX", pin_path[192];
	int prog1 = -1, prog2 = -1, cg = -1, fd, err = 1, mounted = 0;
	struct bpf_link *link = NULL;
	__u32 id = 0, my_id;

	if (geteuid() != 0) {
		fprintf(stderr,
			"This demo loads BPF programs, attaches them to a new cgroup and mounts a\n"
			"bpffs: it needs root (CAP_BPF, CAP_SYS_ADMIN, CAP_NET_ADMIN). Run it as root,\n"
			"for example: sudo make demo\n");
		return 1;
	}
	if (cgroup2_mount(cg_root, sizeof(cg_root))) {
		fprintf(stderr, "This demo needs cgroup2 mounted (none in /proc/self/mountinfo).\n");
		return 1;
	}
	snprintf(cg_path, sizeof(cg_path), "%s/bpflink-demo-%d", cg_root, getpid());

	printf("1. Load two tiny cgroup_skb programs: one lets packets in, one drops them.\n");
	prog1 = load_prog(1);
	prog2 = load_prog(0);
	if (prog1 < 0 || prog2 < 0) {
		fail("BPF_PROG_LOAD");
		goto out;
	}
	printf("      programs %u (allow) and %u (drop)\n", prog_id(prog1), prog_id(prog2));

	printf("2. Make a child cgroup, %s.\n", cg_path);
	if (mkdir(cg_path, 0755) || (cg = open(cg_path, O_RDONLY | O_DIRECTORY)) < 0) {
		fail("cgroup");
		goto out;
	}

	printf("3. Attach the first program to its ingress hook (bpf_link_create),\n"
	       "   and wrap the link fd in a link object (bpflink_link_from_fd).\n");
	fd = bpf_link_create(prog1, cg, BPF_CGROUP_INET_INGRESS, NULL);
	if (fd < 0 || !(link = bpflink_link_from_fd(fd))) {
		fail("attach");
		goto out;
	}
	my_id = show(bpf_link__fd(link));

	printf("4. Mount a private bpffs and pin the link there (bpf_link__pin).\n");
	if (!mkdtemp(fs_dir) || mount("bpf", fs_dir, "bpf", 0, NULL)) {
		fail("mount");
		goto out;
	}
	mounted = 1;
	snprintf(pin_path, sizeof(pin_path), "%s/demo/link", fs_dir);
	if (bpf_link__pin(link, pin_path)) {
		fail("pin");
		goto out;
	}
	printf("      pinned at %s\n", bpf_link__pin_path(link));

	printf("5. Let go of the link object (bpf_link__destroy): the pin keeps the link.\n");
	bpf_link__destroy(link);
	link = NULL;

	printf("6. Reopen it from the pin (bpf_link__open).\n");
	link = bpf_link__open(pin_path);
	if (!link) {
		fail("open");
		goto out;
	}
	show(bpf_link__fd(link));

	printf("7. Swap in the second program, only if the first is still attached\n"
	       "   (bpf_link_update with BPF_F_REPLACE).\n");
	LIBBPF_OPTS(bpf_link_update_opts, upd, .flags = BPF_F_REPLACE, .old_prog_fd = prog1);
	if (bpf_link_update(bpf_link__fd(link), prog2, &upd)) {
		fail("update");
		goto out;
	}
	show(bpf_link__fd(link));

	printf("8. List every link of the system (bpf_link_get_next_id).\n");
	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int lfd = bpf_link_get_fd_by_id(id);

		if (lfd < 0)
			continue; /* gone meanwhile */
		memset(&info, 0, sizeof(info));
		if (!bpf_link_get_info_by_fd(lfd, &info, &len))
			printf("      %s link %u: %s, program %u\n", id == my_id ? "->" : "  ", id,
			       libbpf_bpf_link_type_str(info.type), info.prog_id);
		close(lfd);
	}

	printf("9. Detach it from the cgroup (bpf_link__detach): the program stops running.\n");
	if (bpf_link__detach(link)) {
		fail("detach");
		goto out;
	}
	show(bpf_link__fd(link));

	printf("10. Remove the pin (bpf_link__unpin) and destroy the object.\n");
	if (bpf_link__unpin(link)) {
		fail("unpin");
		goto out;
	}
	err = 0;
out:
	bpf_link__destroy(link);
	if (mounted)
		umount(fs_dir);
	rmdir(fs_dir);
	if (cg >= 0)
		close(cg);
	rmdir(cg_path);
	if (prog1 >= 0)
		close(prog1);
	if (prog2 >= 0)
		close(prog2);
	printf(err ? "The demo failed; everything it made has been removed.\n"
		   : "Done: everything the demo made has been removed.\n");
	return err;
}
