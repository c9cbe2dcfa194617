// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One uprobe_multi link created through bpflink by programs built against
 * either release's headers. The same source is compiled twice, both times
 * linked with -lbpflink:
 *
 *   test_path_fd     on bpflink's headers, the libbpf 1.8 API: the link as
 *                    any 1.7 program makes it, then again with the probed
 *                    file given as a directory fd and a name relative to it
 *                    (uprobe_multi.path_fd with BPF_F_UPROBE_MULTI_PATH_FD,
 *                    set by the caller as libbpf 1.8 wants);
 *   test_path_fd_17  on libbpf 1.7.0's headers (.deps/libbpf-1.7.0/include),
 *                    which have no path_fd: the link without it.
 *
 * A kernel without path_fd (probe link_uprobe_multi_path_fd) refuses the
 * second link; that case is then a named skip, and bpflink's answer must
 * still be the kernel's own (the errno of the probe's raw BPF_LINK_CREATE),
 * passed on as libbpf 1.8 passes it on. Either way the attr bpflink sent
 * must carry path_fd (offset 60) and the flag.
 */
#define _GNU_SOURCE
#include "support.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The probed function: called through a volatile pointer so that it stays
 * a real, separate function. */
__attribute__((noinline)) int path_fd_target(int x)
{
	asm volatile("" ::: "memory");
	return x * 11 + 4;
}

static int (*volatile call_target)(int) = path_fd_target;

static char path[PATH_MAX];
static unsigned long offset;

/* The link's info, both phases: type, count, and the path the kernel
 * resolved; then the probe must run when the function is called. */
static void check_link(int prog, int link, const char *what)
{
	struct bpf_link_info info;
	char got[PATH_MAX] = "";
	__u64 got_offset = 0, before;
	__u32 len;

	CHECK(sup_fd_cloexec(link), "%s: link fd is close-on-exec", what);
	CHECK_EQ(sup_link_info(link, &info), 0, "%s: get_info without buffers", what);
	CHECK_EQ(info.type, BPF_LINK_TYPE_UPROBE_MULTI, "%s: type uprobe_multi", what);
	CHECK_EQ(info.uprobe_multi.count, 1, "%s: count", what);
	CHECK_EQ(info.uprobe_multi.path_size, strlen(path) + 1, "%s: path_size", what);

	memset(&info, 0, sizeof(info));
	info.uprobe_multi.path = (__u64)(unsigned long)got;
	info.uprobe_multi.path_size = sizeof(got);
	info.uprobe_multi.offsets = (__u64)(unsigned long)&got_offset;
	info.uprobe_multi.count = 1;
	len = sizeof(info);
	CHECK_EQ(bpf_link_get_info_by_fd(link, &info, &len), 0, "%s: get_info with buffers", what);
	CHECK(!strcmp(got, path), "%s: the kernel probes %s (wanted %s)", what, got, path);
	CHECK_EQ(got_offset, offset, "%s: offset", what);

	before = sup_prog_run_cnt(prog);
	CHECK(call_target(3) == 37, "%s: probed function runs", what);
	CHECK_EQ(sup_prog_run_cnt(prog) - before, 1, "%s: one run of the program", what);
}

/* The link every release's API can describe: an absolute path. */
static void test_plain(int prog)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.path = path,
		    .uprobe_multi.offsets = &offset, .uprobe_multi.cnt = 1,
		    .uprobe_multi.pid = (__u32)getpid());
	int link;

	link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, &opts);
	if (CHECK(link >= 3, "plain: bpf_link_create(UPROBE_MULTI, absolute path) (%d)", link))
		check_link(prog, link, "plain");
	SUP_CLOSE(link);
}

#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)
/*
 * What bpflink asks of the kernel: bpflink calls libc's syscall() for
 * bpf(2), and since libbpflink.so refers to syscall() the linker exports
 * this program's definition, which comes first. While `recording` is set
 * it keeps the attr of each BPF_LINK_CREATE; every call goes on to libc.
 */
static bool recording;
static int n_creates;
static unsigned char create_attr[64];

long syscall(long n, ...)
{
	static long (*next)(long, ...);
	va_list ap;
	long a[6];
	int i;

	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!next)
		next = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	if (recording && n == SYS_bpf && a[0] == BPF_LINK_CREATE && a[1] &&
	    (unsigned long)a[2] >= sizeof(create_attr)) {
		memcpy(create_attr, (const void *)a[1], sizeof(create_attr));
		n_creates++;
	}
	return next(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* bpf_link_create through bpflink, recorded: one BPF_LINK_CREATE whose
 * uprobe_multi carries the caller's flags (attr 52) and path_fd (attr 60). */
static int create_recorded(int prog, const struct bpf_link_create_opts *opts)
{
	__u32 flags, path_fd;
	__u64 name;
	int link, err;

	n_creates = 0;
	recording = true;
	link = bpf_link_create(prog, 0, BPF_TRACE_UPROBE_MULTI, opts);
	err = errno;
	recording = false;
	memcpy(&name, create_attr + 16, 8);
	memcpy(&flags, create_attr + 52, 4);
	memcpy(&path_fd, create_attr + 60, 4);
	CHECK_EQ(n_creates, 1, "path_fd: bpflink made one BPF_LINK_CREATE");
	CHECK(name == (__u64)(unsigned long)opts->uprobe_multi.path &&
		      flags == opts->uprobe_multi.flags && path_fd == opts->uprobe_multi.path_fd,
	      "path_fd: the attr has path, flags %#x at 52 and path_fd %u at 60 (got %#x, %u)",
	      opts->uprobe_multi.flags, opts->uprobe_multi.path_fd, flags, path_fd);
	errno = err;
	return link;
}

/* libbpf 1.8's path_fd: the directory of the file as an O_PATH fd, the
 * file's own name as the path. */
static void test_path_fd(int prog)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .uprobe_multi.offsets = &offset,
		    .uprobe_multi.cnt = 1, .uprobe_multi.pid = (__u32)getpid(),
		    .uprobe_multi.flags = BPF_F_UPROBE_MULTI_PATH_FD);
	char dir[PATH_MAX];
	char *slash;
	int dir_fd, link, want;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!CHECK(slash != NULL, "path_fd: %s has a directory", path))
		return;
	*slash = 0;
	dir_fd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!CHECK(dir_fd >= 0, "path_fd: open(%s, O_PATH)", dir))
		return;
	opts.uprobe_multi.path = path + (slash + 1 - dir); /* the name alone */
	opts.uprobe_multi.path_fd = (__u32)dir_fd;

	if (sup_need("link_uprobe_multi_path_fd",
		     "path_fd: uprobe_multi with path_fd and BPF_F_UPROBE_MULTI_PATH_FD")) {
		link = create_recorded(prog, &opts);
		if (CHECK(link >= 3, "path_fd: bpf_link_create(UPROBE_MULTI, %s relative to fd %d) (%d)",
			  opts.uprobe_multi.path, dir_fd, link))
			check_link(prog, link, "path_fd");
		SUP_CLOSE(link);
	} else if (!sup_probe_simulated("link_uprobe_multi_path_fd") &&
		   !strcmp(sup_probe_step("link_uprobe_multi_path_fd"), "BPF_LINK_CREATE")) {
		/* The kernel refused the probe's raw call: bpflink must hand
		 * that answer on (libbpf 1.8 sends path_fd and the flag as the
		 * caller gave them). */
		want = -sup_probe("link_uprobe_multi_path_fd");
		CHECK_FD_ERR(create_recorded(prog, &opts), want,
			     "path_fd refused: bpflink answers as the kernel did to the probe");
	}
	close(dir_fd);
}
#endif

int main(void)
{
	int prog, stats, r;

	sup_require_root();
	CHECK(sizeof(struct bpf_link_create_opts) == 80,
	      "built against libbpf 1.%d's headers: struct bpf_link_create_opts is 80 bytes",
	      LIBBPF_MINOR_VERSION);
	if (!sup_need("link_uprobe_multi", "uprobe_multi links (every case)"))
		return sup_done();
	r = sup_file_offset((void *)path_fd_target, path, sizeof(path), &offset);
	if (!CHECK_EQ(r, 0, "file offset of path_fd_target"))
		return sup_done();
	CHECK(path[0] == '/', "%s is an absolute path", path);
	prog = sup_prog_load(BPF_PROG_TYPE_KPROBE, BPF_TRACE_UPROBE_MULTI, 0);
	stats = sup_stats_enable();
	CHECK(stats >= 0, "enable program run statistics");
	if (CHECK(prog >= 0, "load kprobe program for BPF_TRACE_UPROBE_MULTI")) {
		test_plain(prog);
#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)
		test_path_fd(prog);
#endif
		close(prog);
	}
	SUP_CLOSE(stats);
	return sup_done();
}
