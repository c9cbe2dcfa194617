// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Links pinned in a private bpffs: a pinned link outlives its fds and can
 * be found again by id (bpf_link_get_fd_by_id) or path; removing the pin,
 * or unmounting the bpffs, lets it go. Pinning itself uses raw bpf(2):
 * the library exports no pin function.
 */
#include "support.h"

#include <bpf/bpf.h>

static void test_pin(int prog, struct sup_cgroup *cg)
{
	struct sup_bpffs fs;
	struct bpf_link_info info;
	char path[128], args[256], json[4096];
	int link = -1, fd = -1;
	__u32 id;

	if (!CHECK_EQ(sup_bpffs_mount(&fs), 0, "pin: private bpffs mounted"))
		return;
	snprintf(path, sizeof(path), "%s/cgroup_link", fs.dir);
	link = bpf_link_create(prog, cg->fd, BPF_CGROUP_INET_INGRESS, NULL);
	if (!CHECK(link >= 0, "pin: cgroup link"))
		goto out;
	id = sup_link_id(link);
	CHECK_EQ(sup_obj_pin(link, path), 0, "pin: BPF_OBJ_PIN at %s", path);
	SUP_CLOSE(link);
	CHECK_EQ(sup_attached(cg->fd, 1), 1, "pin: still attached after its only fd closed");

	fd = bpf_link_get_fd_by_id(id);
	CHECK(fd >= 3 && sup_link_id(fd) == id, "pin: get_fd_by_id finds the pinned link (%d)", fd);
	SUP_CLOSE(fd);
	fd = sup_obj_get(path);
	CHECK(fd >= 0 && sup_link_info(fd, &info) == 0 && info.id == id &&
		      info.cgroup.cgroup_id == cg->id,
	      "pin: BPF_OBJ_GET gives the same link on the same cgroup");
	if (sup_need("bpftool", "pin: bpftool -f shows the pin path")) {
		/* bpftool -f lists pins by scanning the bpffs mounts it sees,
		 * which include ours: it runs in our mount namespace. */
		snprintf(args, sizeof(args), "-f link show id %u", id);
		CHECK(sup_bpftool(args, json, sizeof(json)) == 0 && strstr(json, path),
		      "pin: bpftool -f shows the pin path (%s)", json);
	}

	CHECK_EQ(unlink(path), 0, "pin: remove the pin");
	CHECK_EQ(sup_attached(cg->fd, 1), 1, "pin: the open fd still holds the link");
	SUP_CLOSE(fd);
	CHECK(sup_link_gone(id), "pin: link freed once pin and fds are gone");
	CHECK_EQ(sup_attached(cg->fd, 0), 0, "pin: nothing attached any more");

	/* Unmounting the bpffs drops its pins too. */
	link = bpf_link_create(prog, cg->fd, BPF_CGROUP_INET_INGRESS, NULL);
	id = sup_link_id(link);
	snprintf(path, sizeof(path), "%s/again", fs.dir);
	CHECK(link >= 0 && sup_obj_pin(link, path) == 0, "umount: pinned a second link");
	SUP_CLOSE(link);
	sup_bpffs_umount(&fs);
	CHECK(sup_link_gone(id), "umount: link freed with the bpffs");
	CHECK_EQ(sup_attached(cg->fd, 0), 0, "umount: nothing attached any more");
out:
	SUP_CLOSE(fd);
	SUP_CLOSE(link);
	sup_bpffs_umount(&fs);
}

/* A detached link can still be pinned and looked up. */
static void test_pin_detached(int prog, struct sup_cgroup *cg)
{
	struct sup_bpffs fs;
	struct bpf_link_info info;
	char path[128];
	int link = -1, fd = -1;

	if (!CHECK_EQ(sup_bpffs_mount(&fs), 0, "detached: private bpffs mounted"))
		return;
	snprintf(path, sizeof(path), "%s/detached", fs.dir);
	link = bpf_link_create(prog, cg->fd, BPF_CGROUP_INET_INGRESS, NULL);
	if (!CHECK(link >= 0 && bpf_link_detach(link) == 0, "detached: link created and detached"))
		goto out;
	CHECK_EQ(sup_obj_pin(link, path), 0, "detached: pin it");
	fd = sup_obj_get(path);
	CHECK(fd >= 0 && sup_link_info(fd, &info) == 0 && info.type == BPF_LINK_TYPE_CGROUP &&
		      info.cgroup.cgroup_id == 0,
	      "detached: the pinned link is the defunct one");
	CHECK_ERR(bpf_link_update(fd, prog, NULL), ENOLINK, "detached: update through the pin");
out:
	SUP_CLOSE(fd);
	SUP_CLOSE(link);
	sup_bpffs_umount(&fs);
}

int main(void)
{
	struct sup_cgroup cg = { .fd = -1 };
	int prog;

	sup_require_root();
	if (!sup_need("link_cgroup,bpffs_mount", "pins of cgroup links on a private bpffs"))
		return sup_done();
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (CHECK(prog >= 0 && sup_cgroup_create(&cg, "pin") == 0,
		  "cgroup_skb program and a cgroup")) {
		test_pin(prog, &cg);
		test_pin_detached(prog, &cg);
	}
	sup_cgroup_destroy(&cg);
	SUP_CLOSE(prog);
	return sup_done();
}
