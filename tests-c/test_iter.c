// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Iterator links (BPF_TRACE_ITER) and bpf_iter_create(): a bpf_map
 * iterator, a bpf_map_elem iterator bound to a map through iter_info,
 * reading them to the end, program update, and the calls the kernel
 * refuses for iterator links.
 */
#include "support.h"

#include <linux/btf.h>

#include <bpf/bpf.h>

static int map_iter_btf, elem_iter_btf;

static int load_iter(int btf_id)
{
	return sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf_id, 0);
}

/* Reads an iterator fd to the end; returns the byte count or -errno. */
static long read_all(int fd)
{
	char buf[4096];
	long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	return n < 0 ? -errno : total;
}

/* The iterator target name as get_info reports it. */
static const char *target_name(int link_fd, struct bpf_link_info *info)
{
	static char name[64];
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	memset(name, 0, sizeof(name));
	info->iter.target_name = (__u64)(unsigned long)name;
	info->iter.target_name_len = sizeof(name);
	if (bpf_link_get_info_by_fd(link_fd, info, &len))
		return "(get_info failed)";
	return name;
}

static void test_map_iter(void)
{
	int prog = -1, prog2 = -1, link = -1, it = -1, it2 = -1;
	struct bpf_link_info info;
	char json[4096];
	const char *name;

	prog = load_iter(map_iter_btf);
	prog2 = load_iter(map_iter_btf);
	if (!CHECK(prog >= 0 && prog2 >= 0, "bpf_map: load two iterator programs"))
		goto out;
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	if (!CHECK(link >= 3, "bpf_map: bpf_link_create(BPF_TRACE_ITER) (%d)", link))
		goto out;
	CHECK(sup_fd_cloexec(link), "bpf_map: link fd is close-on-exec");
	name = target_name(link, &info);
	CHECK_EQ(info.type, BPF_LINK_TYPE_ITER, "bpf_map: type iter");
	CHECK_EQ(info.prog_id, sup_prog_id(prog), "bpf_map: prog_id");
	CHECK(!strcmp(name, "bpf_map"), "bpf_map: target_name \"%s\"", name);
	CHECK_EQ(info.iter.target_name_len, strlen("bpf_map") + 1, "bpf_map: target_name_len");
	if (sup_have_bpftool())
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      sup_json_has_str(json, "type", "iter") &&
			      sup_json_has_str(json, "target_name", "bpf_map") &&
			      sup_json_has_int(json, "prog_id", info.prog_id),
		      "bpf_map: bpftool reports type iter and the target (%s)", json);

	it = bpf_iter_create(link);
	CHECK(it >= 3 && sup_fd_cloexec(it),
	      "bpf_map: bpf_iter_create gives a close-on-exec fd (%d)", it);
	/* The program prints nothing: reading ends at once, without error. */
	CHECK_EQ(it >= 0 ? read_all(it) : -1, 0, "bpf_map: read to the end, 0 bytes");
	it2 = bpf_iter_create(link);
	CHECK(it2 >= 0 && it2 != it, "bpf_map: a second iterator from the same link (%d)", it2);
	CHECK_EQ(it2 >= 0 ? read_all(it2) : -1, 0, "bpf_map: the second one reads too");

	CHECK_EQ(bpf_link_update(link, prog2, NULL), 0, "bpf_map: update to another program");
	CHECK_EQ(sup_link_prog_id(link), sup_prog_id(prog2), "bpf_map: info shows it");
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE,
			    .old_prog_fd = prog);

		CHECK_ERR(bpf_link_update(link, prog, &opts), EPERM,
			  "bpf_map: BPF_F_REPLACE with the wrong old program");
	}
	CHECK_ERR(bpf_link_detach(link), EOPNOTSUPP, "bpf_map: detach of an iter link (kernel)");
	SUP_CLOSE(it);
	it = bpf_iter_create(link);
	CHECK(it >= 0 && read_all(it) == 0, "bpf_map: still iterates after the refused detach");
out:
	SUP_CLOSE(it2);
	SUP_CLOSE(it);
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
}

static void test_map_elem_iter(void)
{
	int prog = -1, map = -1, map_iter = -1, link = -1, it = -1, link2 = -1;
	union bpf_iter_link_info li;
	struct bpf_link_info info;
	const char *name;

	prog = load_iter(elem_iter_btf);
	map = sup_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4);
	map_iter = load_iter(map_iter_btf);
	if (!CHECK(prog >= 0 && map >= 0 && map_iter >= 0,
		   "bpf_map_elem: load program, create an array map"))
		goto out;
	memset(&li, 0, sizeof(li));
	li.map.map_fd = map;
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &li,
			    .iter_info_len = sizeof(li));

		link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts);
	}
	if (!CHECK(link >= 3, "bpf_map_elem: bpf_link_create with iter_info {map_fd} (%d)", link))
		goto out;
	name = target_name(link, &info);
	CHECK_EQ(info.type, BPF_LINK_TYPE_ITER, "bpf_map_elem: type iter");
	CHECK(!strcmp(name, "bpf_map_elem"), "bpf_map_elem: target_name \"%s\"", name);
	CHECK_EQ(info.iter.map.map_id, sup_map_id(map), "bpf_map_elem: iter.map.map_id is the map");
	it = bpf_iter_create(link);
	CHECK(it >= 3, "bpf_map_elem: bpf_iter_create (%d)", it);
	CHECK_EQ(it >= 0 ? read_all(it) : -1, 0, "bpf_map_elem: read to the end");
	/* Another target's program cannot replace it. */
	CHECK_ERR(bpf_link_update(link, map_iter, NULL), EINVAL,
		  "bpf_map_elem: update to a bpf_map iterator program (kernel)");

	CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL), EBADF,
		     "bpf_map_elem: no iter_info, so no map (kernel)");
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &li);

		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "bpf_map_elem: iter_info without iter_info_len (kernel)");
	}
	{
		/* A longer iter_info than the kernel knows must end in zeros. */
		union {
			union bpf_iter_link_info li;
			char bytes[64];
		} big;
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &big.li,
			    .iter_info_len = sizeof(big));

		memset(&big, 0, sizeof(big));
		big.li.map.map_fd = map;
		big.bytes[sizeof(big) - 1] = 1;
		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts), E2BIG,
			     "bpf_map_elem: oversized iter_info with a non-zero tail (kernel)");
		big.bytes[sizeof(big) - 1] = 0;
		link2 = bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts);
		CHECK(link2 >= 0,
		      "bpf_map_elem: oversized iter_info with a zero tail accepted (%d)", link2);
		SUP_CLOSE(link2);
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &li,
			    .iter_info_len = sizeof(li), .target_btf_id = 1);

		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "bpf_map_elem: iter_info_len with target_btf_id");
	}
	{
		/* Anything in the union besides iter_info is refused too. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &li,
			    .iter_info_len = sizeof(li), .perf_event.bpf_cookie = 1);

		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "bpf_map_elem: iter_info_len with a union field set");
	}
out:
	SUP_CLOSE(it);
	SUP_CLOSE(link);
	SUP_CLOSE(map_iter);
	SUP_CLOSE(map);
	SUP_CLOSE(prog);
}

int main(void)
{
	sup_require_root();
	map_iter_btf = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);
	elem_iter_btf = sup_vmlinux_btf_id("bpf_iter_bpf_map_elem", BTF_KIND_FUNC);
	CHECK(map_iter_btf > 0, "vmlinux BTF: FUNC bpf_iter_bpf_map is type %d", map_iter_btf);
	CHECK(elem_iter_btf > 0, "vmlinux BTF: FUNC bpf_iter_bpf_map_elem is type %d",
	      elem_iter_btf);
	CHECK_EQ(sup_vmlinux_btf_id("bpf_iter_no_such_target", BTF_KIND_FUNC), -ENOENT,
		 "vmlinux BTF: unknown name not found");
	if (map_iter_btf > 0)
		test_map_iter();
	if (map_iter_btf > 0 && elem_iter_btf > 0)
		test_map_elem_iter();
	return sup_done();
}
