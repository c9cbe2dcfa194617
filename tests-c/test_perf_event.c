// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * perf_event links (BPF_PERF_EVENT) on a software cpu-clock event of this
 * process, with a bpf_cookie: the kernel must report the event and the
 * cookie; such links can be neither detached nor updated. (tracefs is not
 * mounted on the test machines, so no tracepoint events here.)
 */
#include "support.h"

#include <sys/ioctl.h>
#include <time.h>
#include <linux/perf_event.h>

#include <bpf/bpf.h>

#define COOKIE 0x1234567890abcdefULL

static int load_perf(void)
{
	return sup_prog_load(BPF_PROG_TYPE_PERF_EVENT, 0, 0);
}

/*
 * On recent kernels cpu-clock and task-clock events belong to PMUs of
 * their own with a dynamic type number, and attr.type (which the link
 * info reports) is rewritten to it; the other software events stay
 * PERF_TYPE_SOFTWARE.
 */
static bool is_cpu_clock_pmu(__u32 type)
{
	return type == PERF_TYPE_SOFTWARE || type >= PERF_TYPE_MAX;
}

static void test_cookie(void)
{
	int pfd = -1, prog = -1, prog2 = -1, link = -1;
	struct bpf_link_info info;
	char json[4096];

	pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK);
	prog = load_perf();
	prog2 = load_perf();
	if (!CHECK(pfd >= 0 && prog >= 0 && prog2 >= 0,
		   "perf event (%d) and two perf_event programs", pfd))
		goto out;
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event.bpf_cookie = COOKIE);

		link = bpf_link_create(prog, pfd, BPF_PERF_EVENT, &opts);
	}
	if (!CHECK(link >= 3, "bpf_link_create(perf fd, BPF_PERF_EVENT, cookie) (%d)", link))
		goto out;
	CHECK(sup_fd_cloexec(link), "link fd is close-on-exec");
	CHECK_EQ(sup_link_info(link, &info), 0, "get_info");
	CHECK_EQ(info.type, BPF_LINK_TYPE_PERF_EVENT, "type perf_event");
	CHECK_EQ(info.prog_id, sup_prog_id(prog), "prog_id");
	CHECK_EQ(info.perf_event.type, BPF_PERF_EVENT_EVENT, "perf_event.type is EVENT");
	CHECK(is_cpu_clock_pmu(info.perf_event.event.type), "event.type is a cpu-clock PMU (%u)",
	      info.perf_event.event.type);
	CHECK_EQ(info.perf_event.event.config, PERF_COUNT_SW_CPU_CLOCK, "event.config cpu-clock");
	CHECK(info.perf_event.event.cookie == COOKIE, "event.cookie is 0x%llx",
	      (unsigned long long)info.perf_event.event.cookie);
	if (sup_need("bpftool", "bpftool sees the link"))
		CHECK(sup_bpftool_link(info.id, json, sizeof(json)) == 0 &&
			      (sup_json_has_str(json, "type", "perf_event") ||
			       sup_json_has_int(json, "type", BPF_LINK_TYPE_PERF_EVENT)) &&
			      sup_json_has_int(json, "prog_id", info.prog_id),
		      "bpftool sees the link (%s)", json);

	/* One program per event. */
	CHECK_FD_ERR(bpf_link_create(prog2, pfd, BPF_PERF_EVENT, NULL), EEXIST,
		     "second link on the same event (kernel)");
	CHECK_ERR(bpf_link_detach(link), EOPNOTSUPP, "detach of a perf_event link (kernel)");
	CHECK_ERR(bpf_link_update(link, prog2, NULL), EINVAL,
		  "update of a perf_event link (kernel)");
	CHECK(sup_link_info(link, &info) == 0 && info.perf_event.event.cookie == COOKIE,
	      "link unchanged by the refused calls");

	/* Closing the link frees the event for another program. */
	SUP_CLOSE(link);
	link = bpf_link_create(prog2, pfd, BPF_PERF_EVENT, NULL);
	CHECK(link >= 0, "new link after closing the first (%d)", link);
	CHECK(sup_link_info(link, &info) == 0 && info.perf_event.event.cookie == 0,
	      "no cookie given: cookie 0");
out:
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	SUP_CLOSE(prog2);
	SUP_CLOSE(pfd);
}

/* With the event enabled and a short period, samples run the program. */
static void test_effect(void)
{
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK), prog = load_perf(), link = -1;
	int stats = sup_stats_enable();
	__u64 period = 100000; /* ns of cpu time */
	struct timespec t0, t;
	volatile unsigned long spin = 0;

	if (!CHECK(pfd >= 0 && prog >= 0 && stats >= 0,
		   "effect: event, program and run statistics"))
		goto out;
	link = bpf_link_create(prog, pfd, BPF_PERF_EVENT, NULL);
	if (!CHECK(link >= 0, "effect: link (%d)", link))
		goto out;
	CHECK(ioctl(pfd, PERF_EVENT_IOC_PERIOD, &period) == 0 &&
		      ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0) == 0,
	      "effect: enable the event with a 100us period");
	/* Burn cpu until a sample ran the program, for at most 5 s. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			spin++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!sup_prog_run_cnt(prog) && t.tv_sec - t0.tv_sec < 5);
	ioctl(pfd, PERF_EVENT_IOC_DISABLE, 0);
	CHECK(sup_prog_run_cnt(prog) > 0, "effect: the program ran on samples (%llu runs)",
	      (unsigned long long)sup_prog_run_cnt(prog));
out:
	SUP_CLOSE(link);
	SUP_CLOSE(stats);
	SUP_CLOSE(prog);
	SUP_CLOSE(pfd);
}

/* Another software event, whose type is reported as it was asked. */
static void test_page_faults(void)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event.bpf_cookie = ~0ULL);
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_PAGE_FAULTS), prog = load_perf(), link = -1;
	struct bpf_link_info info;

	if (!CHECK(pfd >= 0 && prog >= 0, "page-faults: event and program"))
		goto out;
	link = bpf_link_create(prog, pfd, BPF_PERF_EVENT, &opts);
	if (!CHECK(link >= 0, "page-faults: link with cookie ~0 (%d)", link))
		goto out;
	CHECK_EQ(sup_link_info(link, &info), 0, "page-faults: get_info");
	CHECK_EQ(info.perf_event.type, BPF_PERF_EVENT_EVENT, "page-faults: perf_event.type EVENT");
	CHECK_EQ(info.perf_event.event.type, PERF_TYPE_SOFTWARE,
		 "page-faults: event.type software");
	CHECK_EQ(info.perf_event.event.config, PERF_COUNT_SW_PAGE_FAULTS,
		 "page-faults: event.config");
	CHECK(info.perf_event.event.cookie == ~0ULL, "page-faults: all 64 cookie bits kept");
out:
	SUP_CLOSE(link);
	SUP_CLOSE(prog);
	SUP_CLOSE(pfd);
}

static void test_refused(void)
{
	int pfd = sup_perf_event_sw(PERF_COUNT_SW_CPU_CLOCK), prog = load_perf(), xdp = -1;

	if (!CHECK(pfd >= 0 && prog >= 0, "refused: event and program"))
		goto out;
	/* libbpf's own feature probe depends on exactly this answer. */
	CHECK_FD_ERR(bpf_link_create(prog, -1, BPF_PERF_EVENT, NULL), EBADF,
		     "refused: target fd -1 (kernel)");
	{
		/* Anything after perf_event.bpf_cookie must be zero. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event.bpf_cookie = 1);

		opts.kprobe_multi.addrs = (const unsigned long *)&opts;
		CHECK_FD_ERR(bpf_link_create(prog, pfd, BPF_PERF_EVENT, &opts), EINVAL,
			     "refused: stray bytes after opts.perf_event");
	}
	xdp = sup_prog_load(BPF_PROG_TYPE_XDP, BPF_XDP, 2);
	CHECK_FD_ERR(bpf_link_create(xdp, pfd, BPF_PERF_EVENT, NULL), EINVAL,
		     "refused: XDP program on a perf event (kernel)");
out:
	SUP_CLOSE(xdp);
	SUP_CLOSE(prog);
	SUP_CLOSE(pfd);
}

int main(void)
{
	sup_require_root();
	if (sup_need("link_perf_event", "cookie, info and refused calls"))
		test_cookie();
	if (sup_need("link_perf_event", "page-faults event"))
		test_page_faults();
	if (sup_need("link_perf_event", "effect: samples run the program"))
		test_effect();
	/* An XDP program serves as a program of another type. */
	if (sup_need("link_perf_event,prog_xdp", "refused: what the kernel refuses"))
		test_refused();
	return sup_done();
}
