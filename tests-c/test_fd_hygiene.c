// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fd hygiene of every call that returns an fd: with 0, 1 and 2 closed the
 * kernel hands out fd 0 first; like libbpf, the library must move such an
 * fd above 2 (close-on-exec) and close the low one. Runs in a forked
 * child, which reports through a pipe on a high fd.
 */
#include "support.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <linux/btf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct fixtures {
	int iter_prog;
	int skb_prog;
	int cgroup_fd;
};

static bool low_fds_closed(void)
{
	return fcntl(0, F_GETFD) < 0 && fcntl(1, F_GETFD) < 0 && fcntl(2, F_GETFD) < 0;
}

/* Checks one fd a call returned with 0-2 closed. */
static void check_fd(int fd, const char *what)
{
	CHECK(fd >= 3, "%s: fd %d is above 2", what, fd);
	CHECK(fd >= 0 && sup_fd_cloexec(fd), "%s: close-on-exec", what);
	CHECK(low_fds_closed(), "%s: 0, 1 and 2 are still closed", what);
}

static void with_low_fds_closed(void *arg)
{
	const struct fixtures *fx = arg;
	int link = -1, cg_link = -1, byid = -1, byid_opts = -1, it = -1, fds;
	struct bpf_link_info info;
	char buf[64];

	close(0);
	close(1);
	close(2);
	if (!CHECK(low_fds_closed(), "fds 0, 1 and 2 closed in the child"))
		return;
	fds = sup_fd_count();

	link = bpf_link_create(fx->iter_prog, 0, BPF_TRACE_ITER, NULL);
	check_fd(link, "bpf_link_create(iter)");
	cg_link = bpf_link_create(fx->skb_prog, fx->cgroup_fd, BPF_CGROUP_INET_INGRESS, NULL);
	check_fd(cg_link, "bpf_link_create(cgroup)");

	if (CHECK(sup_link_info(link, &info) == 0, "get_info on the moved fd works")) {
		LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts);

		byid = bpf_link_get_fd_by_id(info.id);
		check_fd(byid, "bpf_link_get_fd_by_id");
		byid_opts = bpf_link_get_fd_by_id_opts(info.id, &opts);
		check_fd(byid_opts, "bpf_link_get_fd_by_id_opts");
	}
	it = bpf_iter_create(link);
	check_fd(it, "bpf_iter_create");
	CHECK(it >= 0 && read(it, buf, sizeof(buf)) == 0, "bpf_iter_create: the fd reads");

	/* Failing calls must not leave anything at 0-2 either. */
	{
		LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts, .open_flags = BPF_F_RDONLY);

		CHECK_FD_ERR(bpf_link_get_fd_by_id_opts(info.id, &opts), EINVAL,
			     "refused get_fd_by_id_opts");
	}
	CHECK(low_fds_closed(), "refused call: 0, 1 and 2 still closed");

	SUP_CLOSE(it);
	SUP_CLOSE(byid_opts);
	SUP_CLOSE(byid);
	SUP_CLOSE(cg_link);
	SUP_CLOSE(link);
	CHECK_EQ(sup_fd_count(), fds, "child: every fd accounted for");
}

static char warnings[1024];

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(warnings);

	if (level == LIBBPF_WARN && n < sizeof(warnings))
		vsnprintf(warnings + n, sizeof(warnings) - n, fmt, ap);
	return 0;
}

/* The fd the kernel gives (0) cannot be moved above 2 when the fd limit is
 * 3: like libbpf, the call must close it, warn, and fail with the errno of
 * the failed dup (EINVAL). The attachment it made is gone with the fd. */
static void with_no_room_above_2(void *arg)
{
	const struct fixtures *fx = arg;
	struct rlimit rl = { 3, 3 };
	struct bpf_link_info info;
	struct sup_query q;
	int link;

	close(0);
	close(1);
	close(2);
	link = bpf_link_create(fx->iter_prog, 0, BPF_TRACE_ITER, NULL);
	if (!CHECK(link >= 3 && sup_link_info(link, &info) == 0, "an iterator link to start with"))
		return;
	libbpf_set_print(capture);
	if (!CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0, "fd limit lowered to 3"))
		return;

	CHECK_FD_ERR(bpf_link_create(fx->skb_prog, fx->cgroup_fd, BPF_CGROUP_INET_INGRESS, NULL),
		     EINVAL, "bpf_link_create: no fd above 2 to move to");
	CHECK(strstr(warnings, "libbpf: failed to dup FD 0 to FD > 2: -22\n"),
	      "bpf_link_create: libbpf's warning (%.*s)", (int)strcspn(warnings, "\n"), warnings);
	CHECK(low_fds_closed(), "bpf_link_create: fd 0 was closed again");
	CHECK(sup_prog_query(fx->cgroup_fd, BPF_CGROUP_INET_INGRESS, &q) == 0 && q.count == 0,
	      "bpf_link_create: and with it the attachment");

	CHECK_FD_ERR(bpf_link_get_fd_by_id(info.id), EINVAL, "bpf_link_get_fd_by_id: no room");
	CHECK(low_fds_closed(), "bpf_link_get_fd_by_id: fd 0 was closed again");
	CHECK_FD_ERR(bpf_iter_create(link), EINVAL, "bpf_iter_create: no room");
	CHECK(low_fds_closed(), "bpf_iter_create: fd 0 was closed again");
	close(link);
}

/* Only fd 0 closed: the new fd is still moved, and 1 and 2 stay. */
static void with_stdin_closed(void *arg)
{
	const struct fixtures *fx = arg;
	int link;

	close(0);
	link = bpf_link_create(fx->iter_prog, 0, BPF_TRACE_ITER, NULL);
	CHECK(link >= 3 && sup_fd_cloexec(link), "stdin closed: link fd %d above 2, close-on-exec",
	      link);
	CHECK(fcntl(0, F_GETFD) < 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0,
	      "stdin closed: 0 still closed, 1 and 2 untouched");
	SUP_CLOSE(link);
}

int main(void)
{
	struct fixtures fx = { -1, -1, -1 };
	struct sup_cgroup cg = { .fd = -1 };
	int btf_id;

	sup_require_root();
	if (!sup_need("iter_bpf_map,link_cgroup", "fd hygiene of iterator and cgroup links"))
		return sup_done();
	btf_id = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);
	if (btf_id > 0)
		fx.iter_prog = sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf_id, 0);
	fx.skb_prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (sup_cgroup_create(&cg, "fds") == 0)
		fx.cgroup_fd = cg.fd;
	if (CHECK(fx.iter_prog >= 0 && fx.skb_prog >= 0 && fx.cgroup_fd >= 0,
		  "fixtures: iterator and cgroup_skb programs, a cgroup")) {
		sup_run_in_child("0-2 closed", with_low_fds_closed, &fx);
		sup_run_in_child("0 closed", with_stdin_closed, &fx);
		sup_run_in_child("fd limit 3", with_no_room_above_2, &fx);
	}
	SUP_CLOSE(fx.iter_prog);
	SUP_CLOSE(fx.skb_prog);
	sup_cgroup_destroy(&cg);
	return sup_done();
}
