// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Error paths of every call: bad and wrong-type fds, attach types this
 * kernel lacks, ids of dead links, the end of the id list, refused
 * options (with the exact warnings, caught through libbpf_set_print),
 * libbpf's raw tracepoint retry, and the rule that a negative return is
 * always -errno. Also link enumeration with bpf_link_get_next_id on a
 * system that has links of its own, and the link type names.
 *
 * Where the answer is the kernel's and kernels differ (kprobe_multi
 * without kprobes, the raw tracepoint retry), the expected answer is what
 * the same raw bpf(2) call gives on this machine: from the capability
 * probe that makes exactly that call, or from the call made here.
 */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/btf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int devnull = -1, closed_fd = -1, prog = -1, iter_prog = -1;

/* An iterator link: needs no cgroup, device or namespace. */
static int make_link(void)
{
	return bpf_link_create(iter_prog, 0, BPF_TRACE_ITER, NULL);
}

/* Messages the library prints while a test watches them. */
static char messages[4096];
static int print_calls;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	size_t n = strlen(messages);

	print_calls++;
	if (level == LIBBPF_WARN && n < sizeof(messages))
		vsnprintf(messages + n, sizeof(messages) - n, fmt, ap);
	errno = 0; /* the library must restore errno after a callback */
	return 0;
}

/* The captured messages on one line, for case descriptions. */
static const char *shown(void)
{
	static char line[sizeof(messages)];
	char *p;

	snprintf(line, sizeof(line), "%s", messages);
	for (p = line; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return line;
}

/*
 * A kprobe_multi (or kprobe_session) link on one symbol: the probe of that
 * name makes the same raw call, so bpflink must give its answer: the same
 * errno where the kernel refuses (EOPNOTSUPP without kprobes), a link
 * where it accepts. A probe refused at the load leaves nothing to compare
 * (a named skip), nor does a simulated refusal.
 */
static void test_kprobe(const char *probe, enum bpf_attach_type type, const char *name)
{
	const char *syms[] = { SUP_KPROBE_SYM };
	const char *step = sup_probe_step(probe);
	int err = sup_probe(probe), kp, link;

	if (err && (sup_probe_simulated(probe) || strcmp(step, "BPF_LINK_CREATE"))) {
		sup_need(probe, "%s: one symbol", name);
		return;
	}
	kp = sup_prog_load(BPF_PROG_TYPE_KPROBE, type, 0);
	if (!CHECK(kp >= 0, "%s: load a kprobe program for its attach type", name))
		return;
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts, .kprobe_multi.syms = syms,
			    .kprobe_multi.cnt = 1);

		if (err) {
			CHECK_FD_ERR(bpf_link_create(kp, 0, type, &opts), -err,
				     "%s: one symbol, refused as the raw call is here (%s)", name,
				     strerrorname_np(-err));
		} else {
			link = bpf_link_create(kp, 0, type, &opts);
			CHECK(link >= 3, "%s: one symbol, a link as the raw call made one (%d)", name,
			      link);
			SUP_CLOSE(link);
		}
	}
	if (type == BPF_TRACE_KPROBE_MULTI) {
		/* Bytes after the kprobe_multi member are refused first. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .kprobe_multi.syms = syms,
			    .kprobe_multi.cnt = 1, .uprobe_multi.pid = 1);

		CHECK_FD_ERR(bpf_link_create(kp, 0, type, &opts), EINVAL,
			     "%s: stray bytes after opts.kprobe_multi", name);
	}
	close(kp);
}

static void test_kprobe_multi(void)
{
	test_kprobe("link_kprobe_multi", BPF_TRACE_KPROBE_MULTI, "kprobe_multi");
	/* The session variant reads the same options. */
	test_kprobe("link_kprobe_session", BPF_TRACE_KPROBE_SESSION, "kprobe_session");
}

/* The errno of a raw BPF_LINK_CREATE (0 when it made a link, closed again). */
static int raw_create_err(int prog, int target, enum bpf_attach_type type, __u32 flags,
			  __u64 cookie)
{
	int fd = sup_link_create_raw_flags(prog, target, type, flags, cookie);

	if (fd < 0)
		return -fd;
	close(fd);
	return 0;
}

/*
 * libbpf retries a refused (EINVAL) raw_tp / fentry / fexit / fmod_ret /
 * LSM link with BPF_RAW_TRACEPOINT_OPEN when nothing but the program was
 * given. A raw tracepoint program has no tracepoint name, so the kernel
 * refuses both the link and the retry; when its two answers differ (here:
 * EINVAL and EFAULT), the errno tells whether the retry happened. Each
 * case expects what the raw calls answer on this machine: the retry's
 * errno where libbpf retries, the link's where it does not.
 */
static void test_raw_tp_fallback(void)
{
	static const struct {
		enum bpf_attach_type type;
		const char *name;
		bool retried;
	} cases[] = {
		{ BPF_TRACE_RAW_TP, "raw_tp", true },
		{ BPF_TRACE_FENTRY, "fentry", true },
		{ BPF_TRACE_FEXIT, "fexit", true },
		{ BPF_MODIFY_RETURN, "fmod_ret", true },
		{ BPF_LSM_MAC, "lsm", true },
		{ BPF_TRACE_FSESSION, "fsession (not retried)", false },
		{ BPF_TRACE_KPROBE_MULTI, "kprobe_multi (not retried)", false },
	};
	union bpf_attr attr;
	int rtp, raw, retry_err, want;
	size_t i;
	long r;

	rtp = sup_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	if (!CHECK(rtp >= 0, "raw_tp fallback: load a raw tracepoint program"))
		return;
	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = rtp;
	r = sup_bpf(BPF_RAW_TRACEPOINT_OPEN, &attr, sizeof(attr));
	retry_err = r < 0 ? errno : 0;
	if (r >= 0)
		close((int)r);
	raw = raw_create_err(rtp, 0, BPF_TRACE_FENTRY, 0, 0);
	CHECK(raw == EINVAL && retry_err && retry_err != EINVAL,
	      "raw_tp fallback: the raw calls tell a retry apart: BPF_LINK_CREATE says %s, "
	      "BPF_RAW_TRACEPOINT_OPEN says %s",
	      strerrorname_np(raw) ?: "nothing", strerrorname_np(retry_err) ?: "nothing");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw = raw_create_err(rtp, 0, cases[i].type, 0, 0);
		want = raw == EINVAL && cases[i].retried ? retry_err : raw;
		CHECK_FD_ERR(bpf_link_create(rtp, 0, cases[i].type, NULL), want,
			     "raw_tp fallback: %s, NULL opts", cases[i].name);
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, opts);

		raw = raw_create_err(rtp, 0, BPF_TRACE_FENTRY, 0, 0);
		CHECK_FD_ERR(bpf_link_create(rtp, 0, BPF_TRACE_FENTRY, &opts),
			     raw == EINVAL ? retry_err : raw,
			     "raw_tp fallback: all-zero opts are retried");
		LIBBPF_OPTS_RESET(opts, .flags = 1);
		CHECK_FD_ERR(bpf_link_create(rtp, 0, BPF_TRACE_FENTRY, &opts),
			     raw_create_err(rtp, 0, BPF_TRACE_FENTRY, 1, 0),
			     "raw_tp fallback: not retried with flags");
		LIBBPF_OPTS_RESET(opts, .tracing.cookie = 1);
		CHECK_FD_ERR(bpf_link_create(rtp, 0, BPF_TRACE_FENTRY, &opts),
			     raw_create_err(rtp, 0, BPF_TRACE_FENTRY, 0, 1),
			     "raw_tp fallback: not retried with a cookie");
	}
	CHECK_FD_ERR(bpf_link_create(rtp, devnull, BPF_TRACE_FENTRY, NULL),
		     raw_create_err(rtp, devnull, BPF_TRACE_FENTRY, 0, 0),
		     "raw_tp fallback: not retried with a target fd");
	close(rtp);
}

static void test_bad_fds(void)
{
	struct sup_cgroup cg;
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int link = make_link(), cg_link = -1;

	if (!CHECK(link >= 0, "bad fds: an iterator link to work with"))
		return;

	CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_TRACE_ITER, NULL), EBADF, "create: prog fd -1");
	CHECK_FD_ERR(bpf_link_create(closed_fd, 0, BPF_TRACE_ITER, NULL), EBADF,
		     "create: prog fd closed");
	CHECK_FD_ERR(bpf_link_create(devnull, 0, BPF_TRACE_ITER, NULL), EINVAL,
		     "create: prog fd is /dev/null");
	CHECK_FD_ERR(bpf_link_create(link, 0, BPF_TRACE_ITER, NULL), EINVAL,
		     "create: prog fd is a link");
	CHECK_FD_ERR(bpf_link_create(prog, -1, BPF_CGROUP_INET_INGRESS, NULL), EBADF,
		     "create: cgroup fd -1");
	CHECK_FD_ERR(bpf_link_create(prog, devnull, BPF_CGROUP_INET_INGRESS, NULL), EBADF,
		     "create: cgroup fd is /dev/null (kernel: not a cgroup directory)");
	CHECK_FD_ERR(bpf_link_create(prog, 0, 9999, NULL), EINVAL, "create: unknown attach type");

	CHECK_ERR(bpf_link_detach(-1), EBADF, "detach: fd -1");
	CHECK_ERR(bpf_link_detach(closed_fd), EBADF, "detach: closed fd");
	CHECK_ERR(bpf_link_detach(devnull), EINVAL, "detach: /dev/null");
	CHECK_ERR(bpf_link_detach(prog), EINVAL, "detach: a program fd");
	CHECK_ERR(bpf_link_detach(link), EOPNOTSUPP, "detach: an iterator link");

	CHECK_ERR(bpf_link_update(-1, iter_prog, NULL), EBADF, "update: link fd -1");
	CHECK_ERR(bpf_link_update(closed_fd, iter_prog, NULL), EBADF, "update: closed link fd");
	CHECK_ERR(bpf_link_update(devnull, iter_prog, NULL), EINVAL, "update: link fd /dev/null");
	CHECK_ERR(bpf_link_update(link, -1, NULL), EBADF, "update: new prog fd -1");
	CHECK_ERR(bpf_link_update(link, devnull, NULL), EINVAL, "update: new prog fd /dev/null");
	{
		LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE,
			    .old_prog_fd = devnull);

		CHECK_ERR(bpf_link_update(link, iter_prog, &opts), EINVAL,
			  "update: old prog fd /dev/null");
	}

	/* BPF_OBJ_GET_INFO_BY_FD says EBADFD, not EBADF, for a bad fd. */
	CHECK_ERR(bpf_link_get_info_by_fd(-1, &info, &len), EBADFD, "info: fd -1 (kernel)");
	CHECK_ERR(bpf_link_get_info_by_fd(closed_fd, &info, &len), EBADFD,
		  "info: closed fd (kernel)");
	CHECK_ERR(bpf_link_get_info_by_fd(devnull, &info, &len), EINVAL, "info: /dev/null");
	CHECK_ERR(bpf_link_get_info_by_fd(link, NULL, &len), EFAULT, "info: NULL buffer (kernel)");
	CHECK_ERR(bpf_link_get_info_by_fd(link, &info, NULL), EINVAL,
		  "info: NULL length (refused by the library)");
	{
		/* Shorter buffers: the kernel writes that much and no more. */
		struct bpf_link_info small;

		memset(&small, 0xa5, sizeof(small));
		len = 0;
		CHECK_EQ(bpf_link_get_info_by_fd(link, &small, &len), 0, "info: length 0 accepted");
		CHECK(len == 0 && small.type == 0xa5a5a5a5,
		      "info: length 0 writes nothing (len %u)", len);
		len = 12;
		CHECK_EQ(bpf_link_get_info_by_fd(link, &small, &len), 0,
			 "info: length 12 accepted");
		CHECK(len == 12 && small.type == BPF_LINK_TYPE_ITER &&
			      small.id == sup_link_id(link) &&
			      small.iter.target_name == 0xa5a5a5a5a5a5a5a5ULL,
		      "info: length 12 fills type, id, prog_id only (len %u)", len);
	}
	{
		/* A buffer longer than the kernel's struct must end in zeros. */
		struct {
			struct bpf_link_info info;
			char tail[16];
		} big;

		memset(&big, 0, sizeof(big));
		len = sizeof(big);
		CHECK_EQ(bpf_link_get_info_by_fd(link, &big.info, &len), 0,
			 "info: oversized zeroed buffer accepted");
		CHECK(len <= sizeof(big.info), "info: length cut to the kernel's struct (%u)", len);
		big.tail[15] = 1;
		len = sizeof(big);
		CHECK_ERR(bpf_link_get_info_by_fd(link, &big.info, &len), E2BIG,
			  "info: oversized buffer with a non-zero tail (kernel)");
	}

	CHECK_FD_ERR(bpf_iter_create(-1), EBADF, "iter_create: fd -1");
	CHECK_FD_ERR(bpf_iter_create(closed_fd), EBADF, "iter_create: closed fd");
	CHECK_FD_ERR(bpf_iter_create(devnull), EINVAL, "iter_create: /dev/null");
	CHECK_FD_ERR(bpf_iter_create(prog), EINVAL, "iter_create: a program fd");
	if (sup_need("link_cgroup", "iter_create: a cgroup link that is no iterator") &&
	    CHECK(sup_cgroup_create(&cg, "errors") == 0, "iter_create: a cgroup for a cgroup link")) {
		cg_link = bpf_link_create(prog, cg.fd, BPF_CGROUP_INET_INGRESS, NULL);
		if (CHECK(cg_link >= 0, "iter_create: cgroup link"))
			CHECK_FD_ERR(bpf_iter_create(cg_link), EINVAL,
				     "iter_create: a link that is no iterator");
		SUP_CLOSE(cg_link);
		sup_cgroup_destroy(&cg);
	}
	close(link);
}

static void test_ids(void)
{
	int a = make_link(), b = make_link(), fd;
	__u32 ida, idb, id, prev, n = 0;
	bool seen_a = false, seen_b = false, increasing = true;
	int r, e, tries;

	if (!CHECK(a >= 0 && b >= 0, "ids: two iterator links"))
		goto out;
	ida = sup_link_id(a);
	idb = sup_link_id(b);
	CHECK(ida && idb && ida != idb, "ids: distinct ids %u and %u", ida, idb);

	/* Walk every link on the system; other links may come and go. */
	id = 0;
	prev = 0;
	for (;;) {
		errno = 0;
		r = bpf_link_get_next_id(id, &id);
		e = errno;
		if (r)
			break;
		n++;
		increasing &= id > prev;
		prev = id;
		seen_a |= id == ida;
		seen_b |= id == idb;
	}
	CHECK(r == -ENOENT && e == ENOENT, "ids: the walk ends with -ENOENT/ENOENT (%d, %d)", r, e);
	CHECK(seen_a && seen_b, "ids: the walk found both of our links among %u", n);
	CHECK(increasing, "ids: ids come in increasing order");
	CHECK_ERR(bpf_link_get_next_id(INT_MAX - 1, &id), ENOENT, "ids: nothing after INT_MAX - 1");
	CHECK_ERR(bpf_link_get_next_id(INT_MAX, &id), EINVAL, "ids: start id INT_MAX (kernel)");
	CHECK_ERR(bpf_link_get_next_id(0xffffffff, &id), EINVAL,
		  "ids: start id 0xffffffff (kernel)");
	{
		/* The id is written on success only. */
		__u32 untouched = 12345;

		bpf_link_get_next_id(INT_MAX - 1, &untouched);
		CHECK_EQ(untouched, 12345, "ids: next_id untouched on failure");
	}

	fd = bpf_link_get_fd_by_id(ida);
	CHECK(fd >= 3 && sup_fd_cloexec(fd) && sup_link_id(fd) == ida,
	      "by id: get_fd_by_id opens the link (%d)", fd);
	SUP_CLOSE(fd);
	{
		LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts);

		fd = bpf_link_get_fd_by_id_opts(ida, &opts);
		CHECK(fd >= 3 && sup_link_id(fd) == ida, "by id: _opts with empty options (%d)",
		      fd);
		SUP_CLOSE(fd);
		LIBBPF_OPTS_RESET(opts, .token_fd = devnull);
		fd = bpf_link_get_fd_by_id_opts(ida, &opts);
		CHECK(fd >= 3 && sup_link_id(fd) == ida,
		      "by id: token_fd is accepted and ignored (%d)", fd);
		SUP_CLOSE(fd);
		LIBBPF_OPTS_RESET(opts, .open_flags = BPF_F_RDONLY);
		CHECK_FD_ERR(bpf_link_get_fd_by_id_opts(ida, &opts), EINVAL,
			     "by id: open_flags BPF_F_RDONLY (kernel)");
	}
	CHECK_FD_ERR(bpf_link_get_fd_by_id(0), ENOENT, "by id: id 0");

	/* Closing the only fd frees the link; the kernel may take a moment. */
	SUP_CLOSE(a);
	for (tries = 0; tries < 200; tries++) {
		fd = bpf_link_get_fd_by_id(ida);
		if (fd < 0)
			break;
		SUP_CLOSE(fd);
		usleep(10000);
	}
	CHECK_FD_ERR(bpf_link_get_fd_by_id(ida), ENOENT, "by id: id of a closed link");
	CHECK_FD_ERR(bpf_link_get_fd_by_id_opts(ida, NULL), ENOENT,
		     "by id: _opts(NULL) with the id of a closed link");
	for (id = 0, seen_a = false; bpf_link_get_next_id(id, &id) == 0;)
		seen_a |= id == ida;
	CHECK(!seen_a, "ids: the closed link is no longer listed");
out:
	SUP_CLOSE(a);
	SUP_CLOSE(b);
}

static void test_options(void)
{
	libbpf_print_fn_t old;
	struct {
		struct bpf_link_create_opts opts;
		char tail[32];
	} big;
	int r, e;

	messages[0] = 0;
	print_calls = 0;
	old = libbpf_set_print(capture);
	CHECK(old != NULL, "print: a default print function is installed");

	/*
	 * Options the library accepts reach the kernel, which then answers
	 * EBADF for prog fd -1; options it refuses give EINVAL first.
	 */
	{
		struct bpf_link_create_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.sz = 4;
		errno = 0;
		r = bpf_link_create(-1, 0, BPF_CGROUP_INET_INGRESS, &opts);
		e = errno;
		CHECK(r == -EINVAL && e == EINVAL, "opts: sz 4 refused (%d, errno %d)", r, e);
		CHECK(strstr(messages, "libbpf: bpf_link_create_opts size (4) is too small\n"),
		      "opts: warning \"size (4) is too small\" (%s)", shown());
	}
	messages[0] = 0;
	memset(&big, 0, sizeof(big));
	big.opts.sz = sizeof(big);
	CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_CGROUP_INET_INGRESS, &big.opts), EBADF,
		     "opts: larger sz with a zero tail is accepted (newer caller)");
	big.tail[31] = 1;
	CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_CGROUP_INET_INGRESS, &big.opts), EINVAL,
		     "opts: larger sz with a non-zero tail");
	CHECK(strstr(messages, "libbpf: bpf_link_create_opts has non-zero extra bytes\n"),
	      "opts: warning \"has non-zero extra bytes\" (%s)", shown());
	{
		/* An older caller, whose struct ends at target_btf_id. */
		LIBBPF_OPTS(bpf_link_create_opts, opts);

		opts.sz = offsetof(struct bpf_link_create_opts, target_btf_id) + 4;
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_TRACE_ITER, &opts), EBADF,
			     "opts: smaller sz from an older caller is accepted");
	}
	{
		/*
		 * libbpf checks, per attach type, only the bytes after the
		 * union member that type uses. A stale iter_info pointer (with
		 * iter_info_len 0) sits before the union: ignored by typed
		 * attach types, refused by the untyped ones (XDP, ...).
		 */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = (void *)&big);

		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_PERF_EVENT, &opts), EBADF,
			     "opts: stale iter_info ignored for perf_event");
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_CGROUP_INET_INGRESS, &opts), EBADF,
			     "opts: stale iter_info ignored for a cgroup type");
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_TCX_INGRESS, &opts), EBADF,
			     "opts: stale iter_info ignored for tcx");
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_XDP, &opts), EINVAL,
			     "opts: stale iter_info refused for XDP");
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_SK_LOOKUP, &opts), EINVAL,
			     "opts: stale iter_info refused for sk_lookup");
	}
	{
		/* target_btf_id skips the per-type part, but nothing may follow it. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .target_btf_id = 5);

		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_XDP, &opts), EBADF,
			     "opts: target_btf_id alone accepted for any type");
		LIBBPF_OPTS_RESET(opts, .target_btf_id = 5, .tcx.expected_revision = 1);
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_TCX_INGRESS, &opts), EINVAL,
			     "opts: target_btf_id with a union field");
	}
	{
		/* Refusals after the size check print nothing. */
		LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info_len = 16, .target_btf_id = 5);

		messages[0] = 0;
		print_calls = 0;
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "opts: iter_info_len with target_btf_id");
		CHECK_EQ(print_calls, 0, "opts: that refusal is silent");
	}
	{
		struct bpf_link_update_opts opts;

		memset(&opts, 0, sizeof(opts));
		messages[0] = 0;
		CHECK_ERR(bpf_link_update(-1, -1, &opts), EINVAL, "update opts: sz 0");
		CHECK(strstr(messages, "libbpf: bpf_link_update_opts size (0) is too small\n"),
		      "update opts: warning names bpf_link_update_opts (%s)", shown());
	}
	{
		/* On LP64 the struct ends with 4 bytes of padding after
		 * old_map_fd; a caller's sz covers them, so they must be 0. */
		LIBBPF_OPTS(bpf_link_update_opts, opts);
		size_t end = offsetof(struct bpf_link_update_opts, old_map_fd) + 4;

		CHECK_ERR(bpf_link_update(-1, -1, &opts), EBADF,
			  "update opts: zeroed opts accepted");
		if (end < sizeof(opts)) {
			messages[0] = 0;
			((char *)&opts)[end] = 1;
			CHECK_ERR(bpf_link_update(-1, -1, &opts), EINVAL,
				  "update opts: non-zero tail padding");
			CHECK(strstr(messages,
				     "libbpf: bpf_link_update_opts has non-zero extra bytes\n"),
			      "update opts: warning \"has non-zero extra bytes\" (%s)", shown());
		}
	}
	{
		struct bpf_get_fd_by_id_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.sz = 2;
		messages[0] = 0;
		CHECK_FD_ERR(bpf_link_get_fd_by_id_opts(1, &opts), EINVAL, "fd_by_id opts: sz 2");
		CHECK(strstr(messages, "libbpf: bpf_get_fd_by_id_opts size (2) is too small\n"),
		      "fd_by_id opts: warning names bpf_get_fd_by_id_opts (%s)", shown());
	}
	{
		/* Kernel failures print nothing from the low-level calls. */
		print_calls = 0;
		CHECK_ERR(bpf_link_detach(-1), EBADF, "print: a kernel failure");
		CHECK_EQ(print_calls, 0, "print: and no message for it");
	}
	{
		/* NULL drops the messages. */
		struct bpf_link_create_opts opts;

		memset(&opts, 0, sizeof(opts));
		CHECK(libbpf_set_print(NULL) == capture,
		      "print: set_print returns the previous one");
		print_calls = 0;
		CHECK_FD_ERR(bpf_link_create(-1, 0, BPF_TRACE_ITER, &opts), EINVAL,
			     "print: refused options with printing off");
		CHECK_EQ(print_calls, 0, "print: nothing printed");
	}
	libbpf_set_print(old);

	/* Type names: libbpf 1.8, which bpflink follows here
	 * (docs/libbpf-1.8.md), knows 0 to 15 and no more; 1.7.0 stops at 14
	 * (sockmap), the last type of the uapi header used here. */
	CHECK(!strcmp(libbpf_bpf_link_type_str(BPF_LINK_TYPE_SOCKMAP) ?: "", "sockmap"),
	      "type names: sockmap");
	CHECK(!strcmp(libbpf_bpf_link_type_str(BPF_LINK_TYPE_SOCKMAP + 1) ?: "", "tracing_multi"),
	      "type names: tracing_multi (15, libbpf 1.8)");
	CHECK(libbpf_bpf_link_type_str(BPF_LINK_TYPE_SOCKMAP + 2) == NULL,
	      "type names: NULL past the last known type");
}

int main(void)
{
	int btf_id;

	sup_require_root();
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* An fd number that was open and is closed now, far above any fd
	 * the test opens, so that nothing reuses it meanwhile. */
	closed_fd = fcntl(devnull, F_DUPFD_CLOEXEC, 900);
	close(closed_fd);
	CHECK(closed_fd >= 900 && fcntl(closed_fd, F_GETFD) < 0, "fixtures: fd %d is closed",
	      closed_fd);
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	if (CHECK(devnull >= 0 && prog >= 0, "fixtures: /dev/null and a cgroup_skb program")) {
		test_kprobe_multi();
		if (sup_need("prog_raw_tp", "raw_tp fallback: libbpf's retry"))
			test_raw_tp_fallback();
		/* Iterator links need no cgroup, device or namespace. */
		if (sup_need("iter_bpf_map", "bad fds, ids: on iterator links")) {
			btf_id = sup_vmlinux_btf_id("bpf_iter_bpf_map", BTF_KIND_FUNC);
			iter_prog = sup_prog_load_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, btf_id, 0);
			if (CHECK(iter_prog >= 0, "fixtures: an iterator program")) {
				test_bad_fds();
				test_ids();
			}
		}
		test_options();
	}
	SUP_CLOSE(iter_prog);
	SUP_CLOSE(prog);
	SUP_CLOSE(devnull);
	return sup_done();
}
