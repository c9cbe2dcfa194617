// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobe_multi links (BPF_TRACE_UPROBE_MULTI) on functions of this very
 * binary, with cookies, a pid filter, return probes, a reference counter
 * (semaphore) and the session variant. The kernel's link info is read
 * back in both of its phases: counts only, then with buffers for the
 * path, offsets, reference counter offsets and cookies. Program run
 * counts show that the probes really fire.
 */
#include "support.h"

#include <limits.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* Probe targets. Called through volatile pointers so they stay real,
 * separate functions. */
__attribute__((noinline)) int uprobe_target_one(int x)
{
	asm volatile("" ::: "memory");
	return x * 3 + 1;
}

__attribute__((noinline)) int uprobe_target_two(int x)
{
	asm volatile("" ::: "memory");
	return x * 5 + 2;
}

__attribute__((noinline)) int uprobe_target_three(int x)
{
	asm volatile("" ::: "memory");
	return x * 7 + 3;
}

static int (*volatile call_one)(int) = uprobe_target_one;
static int (*volatile call_two)(int) = uprobe_target_two;
static int (*volatile call_three)(int) = uprobe_target_three;

/*
 * A USDT-style semaphore: a counter in a file-backed data section (like
 * SystemTap's ".probes"), which the kernel raises while a probe naming
 * its file offset as ref_ctr_offset is attached.
 */
__attribute__((section(".probes"))) volatile unsigned short uprobe_semaphore = 0;

static char path[PATH_MAX];
static unsigned long offsets[2], offset_three, semaphore_offset;
static const __u64 cookies[2] = { 0xc0ffee0000000001ULL, 0xc0ffee0000000002ULL };

static int load_uprobe(void)
{
	return sup_prog_load(BPF_PROG_TYPE_KPROBE, BPF_TRACE_UPROBE_MULTI, 0);
}

static void test_cookies(int prog)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
		    .uprobe_multi.offsets = offsets, .uprobe_multi.cookies = cookies,
		    .uprobe_multi.cnt = 2);
	__u64 got_offsets[2] = {}, got_refs[2] = { 1, 1 }, got_cookies[2] = {};
	struct bpf_link_info info;
	char got_path[PATH_MAX] = "";
	__u32 len;
	char json[4096];
	int link;

	link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &opts);
	if (!CHECK(link >= 3, "cookies: bpf_link_create(UPROBE_MULTI, 2 offsets) (%d)", link))
		return;
	CHECK(sup_fd_cloexec(link), "cookies: link fd is close-on-exec");

	/* Phase one: no buffers, only counts. */
	CHECK_EQ(sup_link_info(link, &info), 0, "info: get_info without buffers");
	CHECK_EQ(info.type, BPF_LINK_TYPE_UPROBE_MULTI, "info: type uprobe_multi");
	CHECK_EQ(info.prog_id, sup_prog_id(prog), "info: prog_id");
	CHECK_EQ(info.uprobe_multi.count, 2, "info: count");
	CHECK_EQ(info.uprobe_multi.flags, 0, "info: flags");
	CHECK_EQ(info.uprobe_multi.pid, 0, "info: pid 0 (no filter)");
	CHECK_EQ(info.uprobe_multi.path_size, strlen(path) + 1, "info: path_size");

	/* Phase two: the kernel fills the buffers it is given. */
	memset(&info, 0, sizeof(info));
	info.uprobe_multi.path = (__u64)(unsigned long)got_path;
	info.uprobe_multi.path_size = sizeof(got_path);
	info.uprobe_multi.offsets = (__u64)(unsigned long)got_offsets;
	info.uprobe_multi.ref_ctr_offsets = (__u64)(unsigned long)got_refs;
	info.uprobe_multi.cookies = (__u64)(unsigned long)got_cookies;
	info.uprobe_multi.count = 2;
	len = sizeof(info);
	CHECK_EQ(bpf_link_get_info_by_fd(link, &info, &len), 0, "info: get_info with buffers");
	CHECK(!strcmp(got_path, path), "info: path %s", got_path);
	CHECK(got_offsets[0] == offsets[0] && got_offsets[1] == offsets[1],
	      "info: offsets 0x%llx 0x%llx", (unsigned long long)got_offsets[0],
	      (unsigned long long)got_offsets[1]);
	CHECK(got_cookies[0] == cookies[0] && got_cookies[1] == cookies[1],
	      "info: cookies 0x%llx 0x%llx", (unsigned long long)got_cookies[0],
	      (unsigned long long)got_cookies[1]);
	CHECK(got_refs[0] == 0 && got_refs[1] == 0, "info: no reference counter offsets");

	/* Too small an array: the kernel fills what fits and says ENOSPC. */
	memset(&info, 0, sizeof(info));
	memset(got_offsets, 0, sizeof(got_offsets));
	info.uprobe_multi.offsets = (__u64)(unsigned long)got_offsets;
	info.uprobe_multi.count = 1;
	len = sizeof(info);
	CHECK_ERR(bpf_link_get_info_by_fd(link, &info, &len), ENOSPC,
		  "info: count 1 for a 2-probe link (kernel)");
	CHECK(got_offsets[0] == offsets[0] && got_offsets[1] == 0,
	      "info: only the first offset written");
	{
		/* A path length without a path buffer. */
		memset(&info, 0, sizeof(info));
		info.uprobe_multi.path_size = 16;
		len = sizeof(info);
		CHECK_ERR(bpf_link_get_info_by_fd(link, &info, &len), EINVAL,
			  "info: path_size without a path (kernel)");
	}

	if (sup_need("bpftool", "bpftool sees the link")) {
		sup_link_info(link, &info);
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      sup_json_has_int(json, "prog_id", info.prog_id),
		      "bpftool sees the link (%s)", json);
	}

	/* Each call of a probed function runs the program once. */
	{
		__u64 before = sup_prog_run_cnt(prog);
		int i, ok = 1;

		for (i = 0; i < 10; i++)
			ok &= call_one(i) == 3 * i + 1 && call_two(i) == 5 * i + 2;
		CHECK(ok, "effect: probed functions still compute right");
		/* At least: another process running this same binary at the
		 * same time would hit these unfiltered probes too. */
		CHECK(sup_prog_run_cnt(prog) - before >= 20, "effect: 10 calls of each, %llu runs",
		      (unsigned long long)(sup_prog_run_cnt(prog) - before));
	}

	CHECK_ERR(bpf_link_detach(link), EOPNOTSUPP, "detach of a uprobe_multi link (kernel)");
	CHECK_ERR(bpf_link_update(link, prog, NULL), EINVAL,
		  "update of a uprobe_multi link (kernel)");
	close(link);
}

static void test_pid_and_return(int prog)
{
	struct bpf_link_info info;
	int link;

	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
			    .uprobe_multi.offsets = offsets, .uprobe_multi.cnt = 1,
			    .uprobe_multi.pid = getpid());

		link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &opts);
		CHECK(link >= 0, "pid: link limited to this process (%d)", link);
		CHECK(link >= 0 && sup_link_info(link, &info) == 0 && info.uprobe_multi.count == 1,
		      "pid: one probe");
		CHECK_EQ(info.uprobe_multi.pid, getpid(), "pid: info.pid is our pid");
		{
			__u64 before = sup_prog_run_cnt(prog);
			pid_t child;

			CHECK(call_one(2) == 7, "pid: probed function runs here");
			CHECK_EQ(sup_prog_run_cnt(prog) - before, 1, "pid: one run for our call");
			fflush(stdout);
			child = fork();
			if (child == 0)
				_exit(call_one(2) == 7 ? 0 : 1);
			CHECK(child > 0 && sup_child_wait(child) == 0, "pid: a child calls it too");
			CHECK_EQ(sup_prog_run_cnt(prog) - before, 1,
				 "pid: no run for the child's call");
		}
		SUP_CLOSE(link);
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
			    .uprobe_multi.offsets = offsets, .uprobe_multi.cookies = cookies,
			    .uprobe_multi.cnt = 2, .uprobe_multi.flags = BPF_F_UPROBE_MULTI_RETURN);

		link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &opts);
		CHECK(link >= 0, "return: return probes (%d)", link);
		CHECK(link >= 0 && sup_link_info(link, &info) == 0 &&
			      info.uprobe_multi.flags == BPF_F_UPROBE_MULTI_RETURN &&
			      info.uprobe_multi.count == 2,
		      "return: info.flags has BPF_F_UPROBE_MULTI_RETURN");
		{
			__u64 before = sup_prog_run_cnt(prog);

			CHECK(call_one(3) == 10 && call_two(3) == 17,
			      "return: probed functions run");
			CHECK_EQ(sup_prog_run_cnt(prog) - before, 2, "return: one run per return");
		}
		SUP_CLOSE(link);
	}
}

/* Reference counter offsets reach the kernel: it counts the semaphore up
 * while the link exists and reports the offsets back. */
static void test_ref_ctr(int prog)
{
	unsigned long refs[1] = { semaphore_offset };
	LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
		    .uprobe_multi.offsets = &offset_three, .uprobe_multi.ref_ctr_offsets = refs,
		    .uprobe_multi.cnt = 1, .uprobe_multi.pid = getpid());
	__u64 got_refs[1] = {}, got_offsets[1] = {};
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int link;

	CHECK_EQ(uprobe_semaphore, 0, "ref_ctr: semaphore starts at 0");
	link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &opts);
	if (!CHECK(link >= 0, "ref_ctr: link with a reference counter offset (%d)", link))
		return;
	CHECK_EQ(uprobe_semaphore, 1, "ref_ctr: the kernel raised the semaphore");
	memset(&info, 0, sizeof(info));
	info.uprobe_multi.offsets = (__u64)(unsigned long)got_offsets;
	info.uprobe_multi.ref_ctr_offsets = (__u64)(unsigned long)got_refs;
	info.uprobe_multi.count = 1;
	CHECK_EQ(bpf_link_get_info_by_fd(link, &info, &len), 0, "ref_ctr: get_info with buffers");
	CHECK(got_offsets[0] == offset_three && got_refs[0] == semaphore_offset,
	      "ref_ctr: info reports offset 0x%llx and ref_ctr_offset 0x%llx",
	      (unsigned long long)got_offsets[0], (unsigned long long)got_refs[0]);
	CHECK(call_three(1) == 10, "ref_ctr: probed function runs");
	close(link);
	CHECK_EQ(uprobe_semaphore, 0, "ref_ctr: closing the link lowered it again");
}

/* BPF_TRACE_UPROBE_SESSION takes the same options: the program runs at
 * entry and, as it returns 0, at return too. */
static void test_session(void)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
		    .uprobe_multi.offsets = &offset_three, .uprobe_multi.cnt = 1,
		    .uprobe_multi.pid = getpid());
	int prog, link = -1;
	__u64 before;

	prog = sup_prog_load(BPF_PROG_TYPE_KPROBE, BPF_TRACE_UPROBE_SESSION, 0);
	if (!CHECK(prog >= 0, "session: load a program for BPF_TRACE_UPROBE_SESSION"))
		return;
	link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_SESSION, &opts);
	if (CHECK(link >= 0, "session: bpf_link_create(UPROBE_SESSION) (%d)", link)) {
		struct bpf_link_info info;

		CHECK(sup_link_info(link, &info) == 0 && info.type == BPF_LINK_TYPE_UPROBE_MULTI &&
			      info.uprobe_multi.count == 1 &&
			      info.uprobe_multi.pid == (__u32)getpid(),
		      "session: info is an uprobe_multi link with one probe");
		before = sup_prog_run_cnt(prog);
		CHECK(call_three(2) == 17, "session: probed function runs");
		CHECK_EQ(sup_prog_run_cnt(prog) - before, 2, "session: entry and return runs");
	}
	SUP_CLOSE(link);
	close(prog);
}

static void test_refused(int prog)
{
	/* Probe descriptions the kernel refuses, and the errno it refuses with. */
	static const struct {
		const char *path;
		__u32 cnt, pid;
		int err;
		const char *what;
	} bad[] = {
		{ path, 1, 0x7ffffff0, ESRCH, "pid of no process" },
		{ path, 0, 0, EINVAL, "cnt 0" },
		{ NULL, 1, 0, EINVAL, "no path" },
		{ "/nonexistent/bpflink", 1, 0, ENOENT, "path that does not exist" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = bad[i].path,
			    .uprobe_multi.offsets = offsets, .uprobe_multi.cnt = bad[i].cnt,
			    .uprobe_multi.pid = bad[i].pid);

		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &opts), bad[i].err,
			     "refused: %s (kernel)", bad[i].what);
	}
	{
		/* A caller newer than libbpf 1.8, its struct longer than ours,
		 * with a non-zero byte past the last field both know
		 * (uprobe_multi.path_fd, which ends the struct): refused before
		 * the kernel. (Bytes 76..80 are path_fd in 1.8 and go to the
		 * kernel: test_path_fd.) */
		union {
			struct bpf_link_create_opts opts;
			unsigned char bytes[sizeof(struct bpf_link_create_opts) + 8];
		} newer;
		libbpf_print_fn_t old;

		memset(&newer, 0, sizeof(newer));
		newer.opts.sz = sizeof(newer.bytes);
		newer.opts.uprobe_multi.path = path;
		newer.opts.uprobe_multi.offsets = offsets;
		newer.opts.uprobe_multi.cnt = 1;
		newer.bytes[sizeof(newer.opts)] = 1;
		/* This refusal prints a warning; keep it off the output. */
		old = libbpf_set_print(NULL);
		CHECK_FD_ERR(bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &newer.opts), EINVAL,
			     "refused: non-zero byte after the last field bpflink knows");
		libbpf_set_print(old);
	}
	{
		/* A program loaded for plain kprobes cannot make this link. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
			    .uprobe_multi.offsets = offsets, .uprobe_multi.cnt = 1);
		int plain = sup_prog_load(BPF_PROG_TYPE_KPROBE, 0, 0);

		CHECK_FD_ERR(bpf_link_create(plain, 0, BPF_TRACE_UPROBE_MULTI, &opts), EINVAL,
			     "refused: program without the uprobe_multi attach type (kernel)");
		SUP_CLOSE(plain);
	}
}

int main(void)
{
	unsigned long off2;
	char path2[PATH_MAX];
	int prog, stats, r;

	sup_require_root();
	if (!sup_need("link_uprobe_multi", "uprobe_multi links (every case)"))
		return sup_done();
	r = sup_file_offset((void *)uprobe_target_one, path, sizeof(path), &offsets[0]);
	if (!CHECK_EQ(r, 0, "file offset of uprobe_target_one"))
		return sup_done();
	r = sup_file_offset((void *)uprobe_target_two, path2, sizeof(path2), &off2);
	if (!CHECK_EQ(r, 0, "file offset of uprobe_target_two"))
		return sup_done();
	offsets[1] = off2;
	CHECK(!strcmp(path, path2) && offsets[0] != offsets[1], "both in %s, at 0x%lx and 0x%lx",
	      path, offsets[0], offsets[1]);
	r = sup_file_offset((void *)uprobe_target_three, path2, sizeof(path2), &offset_three);
	CHECK(r == 0 && !strcmp(path, path2), "file offset of uprobe_target_three: 0x%lx",
	      offset_three);
	r = sup_file_offset((void *)&uprobe_semaphore, path2, sizeof(path2), &semaphore_offset);
	CHECK(r == 0 && !strcmp(path, path2), "file offset of the semaphore: 0x%lx",
	      semaphore_offset);
	prog = load_uprobe();
	stats = sup_stats_enable();
	CHECK(stats >= 0, "enable program run statistics");
	if (CHECK(prog >= 0, "load kprobe program for BPF_TRACE_UPROBE_MULTI")) {
		test_cookies(prog);
		test_pid_and_return(prog);
		test_ref_ctr(prog);
		if (sup_need("link_uprobe_session", "session: the BPF_TRACE_UPROBE_SESSION variant"))
			test_session();
		test_refused(prog);
		close(prog);
	}
	SUP_CLOSE(stats);
	return sup_done();
}
