// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Iterator links (BPF_TRACE_ITER) and bpf_iter_create(): a bpf_map
 * iterator; a bpf_map_elem iterator bound to a map, a task iterator
 * limited to a process or a thread, and a cgroup iterator on a child
 * cgroup, each through iter_info; reading them to the end, program update,
 * and the calls the kernel refuses for iterator links. Each target is
 * gated by its own probe (iter_<target>): kernels differ in which
 * iterators they let load.
 */
#define _GNU_SOURCE
#include "support.h"

#include <linux/btf.h>

#include <bpf/bpf.h>

static int map_iter_btf;

/* The BTF id of bpf_iter_<target> (its probe has found it already). */
static int iter_btf(const char *target)
{
	char func[64];
	int id;

	snprintf(func, sizeof(func), "bpf_iter_%s", target);
	id = sup_vmlinux_btf_id(func, BTF_KIND_FUNC);
	CHECK(id > 0, "vmlinux BTF: FUNC %s is type %d", func, id);
	return id;
}

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
	if (sup_need("bpftool", "bpf_map: bpftool reports type iter and the target"))
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

	prog = load_iter(iter_btf("bpf_map_elem"));
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

/* What a task iterator was limited to, as get_info reports it. */
static bool task_info(int link, __u32 tid, __u32 pid, const char *what)
{
	struct bpf_link_info info;
	const char *name = target_name(link, &info);

	return CHECK(info.type == BPF_LINK_TYPE_ITER && !strcmp(name, "task") &&
			     info.iter.task.tid == tid && info.iter.task.pid == pid,
		     "task: %s: info says target \"%s\", tid %u, pid %u (want task, %u, %u)", what,
		     name, info.iter.task.tid, info.iter.task.pid, tid, pid);
}

/* A task iterator link limited by iter_info {tid, pid}: fd or -errno. */
static int task_link(int prog, __u32 tid, __u32 pid)
{
	union bpf_iter_link_info li;
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &li, .iter_info_len = sizeof(li));

	memset(&li, 0, sizeof(li));
	li.task.tid = tid;
	li.task.pid = pid;
	return bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts);
}

static void test_task_iter(void)
{
	int prog = -1, prog2 = -1, map_prog = -1, link = -1, it = -1;
	int btf = iter_btf("task");

	prog = load_iter(btf);
	prog2 = load_iter(btf);
	map_prog = load_iter(map_iter_btf);
	if (!CHECK(prog >= 0 && prog2 >= 0 && map_prog >= 0,
		   "task: load two task iterator programs and a bpf_map one"))
		goto out;

	/* No iter_info: every task of the system. */
	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, NULL);
	if (CHECK(link >= 3 && sup_fd_cloexec(link), "task: every task, no iter_info (%d)", link)) {
		task_info(link, 0, 0, "every task");
		it = bpf_iter_create(link);
		CHECK_EQ(it >= 0 ? read_all(it) : -1, 0, "task: read to the end, 0 bytes");
		SUP_CLOSE(it);
		CHECK_EQ(bpf_link_update(link, prog2, NULL), 0, "task: update to another program");
		CHECK_EQ(sup_link_prog_id(link), sup_prog_id(prog2), "task: info shows it");
		CHECK_ERR(bpf_link_update(link, map_prog, NULL), EINVAL,
			  "task: update to a bpf_map iterator program (kernel)");
	}
	SUP_CLOSE(link);

	/* iter_info: this process, then this thread. */
	link = task_link(prog, 0, getpid());
	if (CHECK(link >= 3, "task: iter_info {pid = this process} (%d)", link)) {
		task_info(link, 0, getpid(), "this process");
		it = bpf_iter_create(link);
		CHECK_EQ(it >= 0 ? read_all(it) : -1, 0, "task: this process: read to the end");
		SUP_CLOSE(it);
	}
	SUP_CLOSE(link);
	link = task_link(prog, gettid(), 0);
	if (CHECK(link >= 3, "task: iter_info {tid = this thread} (%d)", link))
		task_info(link, gettid(), 0, "this thread");
	SUP_CLOSE(link);

	/* One filter at most. */
	CHECK_FD_ERR(task_link(prog, gettid(), getpid()), EINVAL,
		     "task: iter_info with both tid and pid (kernel)");
out:
	SUP_CLOSE(it);
	SUP_CLOSE(link);
	SUP_CLOSE(map_prog);
	SUP_CLOSE(prog2);
	SUP_CLOSE(prog);
}

/* A cgroup iterator link with this iter_info; checks what get_info says. */
static void cgroup_case(int prog, const union bpf_iter_link_info *li, __u64 want_id,
			__u32 want_order, const char *what)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = (union bpf_iter_link_info *)li,
		    .iter_info_len = sizeof(*li));
	struct bpf_link_info info;
	const char *name;
	int link, it;

	link = bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts);
	if (!CHECK(link >= 3, "cgroup: %s (%d)", what, link))
		return;
	name = target_name(link, &info);
	CHECK(info.type == BPF_LINK_TYPE_ITER && !strcmp(name, "cgroup") &&
		      info.iter.cgroup.cgroup_id == want_id && info.iter.cgroup.order == want_order,
	      "cgroup: %s: info says target \"%s\", cgroup_id %llu, order %u", what, name,
	      (unsigned long long)info.iter.cgroup.cgroup_id, info.iter.cgroup.order);
	it = bpf_iter_create(link);
	CHECK_EQ(it >= 0 ? read_all(it) : -1, 0, "cgroup: %s: read to the end", what);
	SUP_CLOSE(it);
	close(link);
}

static void test_cgroup_iter(void)
{
	union bpf_iter_link_info li;
	struct sup_cgroup cg;
	int prog = -1;

	if (!CHECK(sup_cgroup_create(&cg, "iter") == 0, "cgroup: a child cgroup"))
		return;
	prog = load_iter(iter_btf("cgroup"));
	if (!CHECK(prog >= 0, "cgroup: load a cgroup iterator program"))
		goto out;

	memset(&li, 0, sizeof(li));
	li.cgroup.cgroup_fd = cg.fd;
	li.cgroup.order = BPF_CGROUP_ITER_SELF_ONLY;
	cgroup_case(prog, &li, cg.id, BPF_CGROUP_ITER_SELF_ONLY, "iter_info {cgroup_fd, self only}");
	li.cgroup.order = BPF_CGROUP_ITER_DESCENDANTS_PRE;
	cgroup_case(prog, &li, cg.id, BPF_CGROUP_ITER_DESCENDANTS_PRE,
		    "iter_info {cgroup_fd, descendants pre-order}");
	memset(&li, 0, sizeof(li));
	li.cgroup.cgroup_id = cg.id;
	li.cgroup.order = BPF_CGROUP_ITER_ANCESTORS_UP;
	cgroup_case(prog, &li, cg.id, BPF_CGROUP_ITER_ANCESTORS_UP,
		    "iter_info {cgroup_id, ancestors up}");
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = &li,
			    .iter_info_len = sizeof(li));

		li.cgroup.cgroup_fd = cg.fd;
		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "cgroup: iter_info with both cgroup_fd and cgroup_id (kernel)");
		memset(&li, 0, sizeof(li));
		li.cgroup.cgroup_fd = cg.fd;
		li.cgroup.order = 99;
		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "cgroup: iter_info with an unknown order (kernel)");
	}
out:
	SUP_CLOSE(prog);
	sup_cgroup_destroy(&cg);
}

int main(void)
{
	sup_require_root();
	/* Every iterator case loads a bpf_map program; the iter_bpf_map
	 * probe of each has found its BTF id. */
	map_iter_btf = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);
	if (sup_need("btf_vmlinux", "vmlinux BTF lookups")) {
		CHECK(map_iter_btf > 0, "vmlinux BTF: FUNC bpf_iter_bpf_map is type %d",
		      map_iter_btf);
		CHECK_EQ(sup_vmlinux_btf_id("bpf_iter_no_such_target", BTF_KIND_FUNC), -ENOENT,
			 "vmlinux BTF: unknown name not found");
	}
	if (sup_need("iter_bpf_map", "bpf_map iterator"))
		test_map_iter();
	/* Each of these also loads a bpf_map program, as one another
	 * target's program cannot replace theirs. */
	if (sup_need("iter_bpf_map_elem,iter_bpf_map", "bpf_map_elem iterator"))
		test_map_elem_iter();
	if (sup_need("iter_task,iter_bpf_map", "task iterator"))
		test_task_iter();
	if (sup_need("iter_cgroup,cgroup2_mount", "cgroup iterator"))
		test_cgroup_iter();
	return sup_done();
}
