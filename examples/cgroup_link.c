/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpflink demo: the life of a cgroup link, step by step, through the
 * libbpf-compatible C API (build: make demo; it links with -lbpflink).
 *
 * It loads two tiny cgroup_skb programs, attaches the first to a new child
 * cgroup with bpf_link_create, reads the link back, finds it among all
 * links of the system, swaps in the second program with bpf_link_update,
 * detaches it and closes it. Everything it creates is removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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

static int show(int link_fd)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_link_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	printf("      link id %u, type %s, program id %u, cgroup id %llu\n", info.id,
	       libbpf_bpf_link_type_str(info.type), info.prog_id,
	       (unsigned long long)info.cgroup.cgroup_id);
	return info.id;
}

int main(void)
{
	char cg_path[128];
	int prog1 = -1, prog2 = -1, cg = -1, link = -1, err = 1, my_id;
	__u32 id = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "This demo loads BPF programs and attaches them to a cgroup:\n"
				"it needs root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN). Run it as root.\n");
		return 1;
	}
	snprintf(cg_path, sizeof(cg_path), "/sys/fs/cgroup/unified/bpflink-demo-%d", getpid());

	printf("1. Load two tiny cgroup_skb programs (one allows, one drops).\n");
	prog1 = load_prog(1);
	prog2 = load_prog(0);
	if (prog1 < 0 || prog2 < 0) {
		perror("      BPF_PROG_LOAD");
		goto out;
	}
	printf("      program ids %u and %u\n", prog_id(prog1), prog_id(prog2));

	printf("2. Make a child cgroup %s.\n", cg_path);
	if (mkdir(cg_path, 0755) || (cg = open(cg_path, O_RDONLY | O_DIRECTORY)) < 0) {
		perror("      cgroup");
		goto out;
	}

	printf("3. Attach the first program to its ingress hook: bpf_link_create.\n");
	link = bpf_link_create(prog1, cg, BPF_CGROUP_INET_INGRESS, NULL);
	if (link < 0) {
		printf("      failed: %s\n", strerror(-link));
		goto out;
	}
	printf("      link fd %d\n", link);

	printf("4. Read the link back: bpf_link_get_info_by_fd.\n");
	my_id = show(link);

	printf("5. List all links of the system: bpf_link_get_next_id.\n");
	while (bpf_link_get_next_id(id, &id) == 0)
		printf("      link %u%s\n", id, (int)id == my_id ? "   <- ours" : "");

	printf("6. Swap in the second program, only if the first is still there:\n"
	       "   bpf_link_update with BPF_F_REPLACE.\n");
	LIBBPF_OPTS(bpf_link_update_opts, upd, .flags = BPF_F_REPLACE, .old_prog_fd = prog1);
	if (bpf_link_update(link, prog2, &upd)) {
		printf("      failed: %s\n", strerror(errno));
		goto out;
	}
	show(link);

	printf("7. Detach it from the cgroup: bpf_link_detach.\n");
	if (bpf_link_detach(link)) {
		printf("      failed: %s\n", strerror(errno));
		goto out;
	}
	show(link);
	printf("      (the link still exists, defunct, until its fd is closed)\n");

	printf("8. Close the link and clean up.\n");
	err = 0;
out:
	if (link >= 0)
		close(link);
	if (cg >= 0)
		close(cg);
	rmdir(cg_path);
	if (prog1 >= 0)
		close(prog1);
	if (prog2 >= 0)
		close(prog2);
	printf(err ? "Demo failed.\n" : "Done.\n");
	return err;
}
