// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The other functions, with arguments whose kernel answers do not depend
 * on what else exists on the machine: bpf_link_update and
 * bpf_link_get_fd_by_id_opts (opts sweeps and fields), bpf_link_get_fd_by_id,
 * bpf_link_get_next_id at the end of the id space, bpf_link_get_info_by_fd
 * on non-links, libbpf_bpf_link_type_str, bpf_iter_create, bpf_link_detach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "diff_groups.h"

/* An id no link can have (the kernel allocates ids below INT_MAX) yet
 * one the kernel accepts, so BPF_LINK_GET_FD_BY_ID answers ENOENT. */
#define NO_SUCH_ID 0x7FFFFFF0u

static void update_groups(void)
{
	static const int fds[][2] = { { -1, -1 }, { -1, 0 }, { 0, -1 }, { INT_MAX, INT_MIN } };
	struct call c = { .fn = FN_UPDATE, .a = -1, .b = -1 };
	size_t i;

	group_begin("bpf_link_update opts sweep (sz x byte), link_fd -1");
	opts_sweep(&c, sizeof(struct bpf_link_update_opts), KNOWN_END(bpf_link_update_opts),
		   "update", 0x01);
	opts_sweep(&c, sizeof(struct bpf_link_update_opts), KNOWN_END(bpf_link_update_opts),
		   "update", 0x80);
	group_end();

	group_begin("bpf_link_update fields: old_prog_fd / old_map_fd exclusivity, flags");
	{
		static const struct { __u32 flags, old_prog, old_map; } f[] = {
			{ 0, 0, 0 }, { BPF_F_REPLACE, 0, 0 }, { BPF_F_REPLACE, 5, 0 },
			{ BPF_F_REPLACE, 0, 6 }, { BPF_F_REPLACE, 5, 6 }, { 0, 5, 6 },
			{ 0, 0xFFFFFFFFu, 0 }, { 0, 0, 0xFFFFFFFFu }, { 0xFFFFFFFFu, 0, 0 },
			{ BPF_F_BEFORE, 1, 0 }, { BPF_F_ID, 0, 1 },
		};
		static const size_t sizes[] = { 24, 20, 16, 12, 8 };
		struct bpf_link_update_opts o;
		size_t k, s;

		for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
			c.a = fds[i][0];
			c.b = fds[i][1];
			c.opts = NULL;
			diff_call(&c, NULL, "update link=%d new=%d opts=NULL", c.a, c.b);
			for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
				for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
					memset(&o, 0, sizeof(o));
					o.sz = sizes[s];
					o.flags = f[k].flags;
					o.old_prog_fd = f[k].old_prog;
					o.old_map_fd = f[k].old_map;
					c.opts = &o;
					diff_call(&c, NULL,
						  "update link=%d new=%d sz=%zu flags=%#x old_prog=%u old_map=%u",
						  c.a, c.b, o.sz, o.flags, o.old_prog_fd, o.old_map_fd);
				}
		}
		LIBBPF_OPTS(bpf_link_update_opts, d, .flags = BPF_F_REPLACE, .old_map_fd = 3);
		c.a = -1;
		c.opts = &d;
		diff_call(&c, NULL, "update LIBBPF_OPTS(.flags = REPLACE, .old_map_fd = 3)");
	}
	group_end();
}

static void fd_by_id_groups(void)
{
	static const __u32 ids[] = { 0, NO_SUCH_ID, INT_MAX, 0x80000000u, UINT_MAX };
	struct call c = { .fn = FN_FD_BY_ID_OPTS, .u = NO_SUCH_ID };
	size_t i;

	group_begin("bpf_link_get_fd_by_id_opts opts sweep (sz x byte), absent id");
	opts_sweep(&c, sizeof(struct bpf_get_fd_by_id_opts), KNOWN_END(bpf_get_fd_by_id_opts),
		   "fd_by_id_opts", 0x01);
	group_end();

	group_begin("bpf_link_get_fd_by_id[_opts]: ids, open_flags passed, token_fd not passed");
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		static const struct { __u32 open_flags, token_fd; } f[] = {
			{ 0, 0 }, { BPF_F_RDONLY, 0 }, { BPF_F_WRONLY, 0 }, { 0, 3 }, { 0, 0xFFFFFFFFu },
			{ BPF_F_RDONLY, 7 }, { 0xFFFFFFFFu, 0xFFFFFFFFu },
		};
		static const size_t sizes[] = { 16, 12, 8 };
		struct bpf_get_fd_by_id_opts o;
		size_t k, s;

		c.fn = FN_FD_BY_ID;
		c.u = ids[i];
		c.opts = NULL;
		diff_call(&c, NULL, "fd_by_id id=%u", c.u);
		c.fn = FN_FD_BY_ID_OPTS;
		diff_call(&c, NULL, "fd_by_id_opts id=%u opts=NULL", c.u);
		for (k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
				memset(&o, 0, sizeof(o));
				o.sz = sizes[s];
				o.open_flags = f[k].open_flags;
				o.token_fd = f[k].token_fd;
				c.opts = &o;
				diff_call(&c, NULL, "fd_by_id_opts id=%u sz=%zu open_flags=%#x token_fd=%u",
					  c.u, o.sz, o.open_flags, o.token_fd);
			}
	}
	{
		LIBBPF_OPTS(bpf_get_fd_by_id_opts, d, .token_fd = 5);

		c.u = NO_SUCH_ID;
		c.opts = &d;
		diff_call(&c, NULL, "fd_by_id_opts LIBBPF_OPTS(.token_fd = 5)");
	}
	group_end();
}

static void next_id_group(void)
{
	/* The end of the id space: INT_MAX - 1 is past every id (ENOENT);
	 * from INT_MAX on the kernel refuses the start id (EINVAL). With a
	 * failing call libbpf does not touch *next_id, so NULL is safe too. */
	static const __u32 starts[] = { INT_MAX - 1, INT_MAX, 0x80000000u, UINT_MAX - 1, UINT_MAX };
	__u32 next;
	struct call c = { .fn = FN_NEXT_ID };
	size_t i;

	group_begin("bpf_link_get_next_id at the end of the id space");
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		c.u = starts[i];
		c.lenp = &next;
		c.len_init = 0xA5A5A5A5u;
		diff_call(&c, NULL, "next_id start=%u", c.u);
		c.lenp = NULL;
		diff_call(&c, NULL, "next_id start=%u next_id=NULL", c.u);
	}
	group_end();
}

static void info_group(void)
{
	static const int fds[] = { -1, 0, 1, INT_MAX, INT_MIN };
	static const __u32 lens[] = { 0, 4, sizeof(struct bpf_link_info), 100 };
	unsigned char info[OUT_MAX];
	__u32 len;
	struct call c = { .fn = FN_INFO };
	size_t i, k;

	group_begin("bpf_link_get_info_by_fd on non-links");
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			c.a = fds[i];
			c.out = info;
			c.out_len = sizeof(info);
			c.lenp = &len;
			c.len_init = lens[k];
			diff_call(&c, NULL, "info fd=%d len=%u", c.a, lens[k]);
			c.out = NULL;
			c.out_len = 0;
			diff_call(&c, NULL, "info fd=%d info=NULL len=%u", c.a, lens[k]);
		}
	group_end();
}

static void small_groups(void)
{
	static const int fds[] = { -1, 0, 1, 2, INT_MAX, INT_MIN };
	struct call c = { 0 };
	size_t i;
	int t;

	group_begin("libbpf_bpf_link_type_str for -1..20 and extremes");
	c.fn = FN_TYPE_STR;
	for (t = -1; t <= 20; t++) {
		c.u = (unsigned int)t;
		diff_call(&c, NULL, "link_type_str(%d)", t);
	}
	{
		static const unsigned int extremes[] = { 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFEu, 255,
							 256, 65536 };

		for (i = 0; i < sizeof(extremes) / sizeof(extremes[0]); i++) {
			c.u = extremes[i];
			diff_call(&c, NULL, "link_type_str(%#x)", c.u);
		}
	}
	group_end();

	group_begin("bpf_iter_create and bpf_link_detach on non-links");
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		c.fn = FN_ITER_CREATE;
		c.a = fds[i];
		diff_call(&c, NULL, "iter_create(%d)", c.a);
		c.fn = FN_DETACH;
		diff_call(&c, NULL, "link_detach(%d)", c.a);
	}
	group_end();
}

/* The attr size each library passes for each command: the recorded sizes
 * are compared in every case already; here they are also checked against
 * libbpf v1.7.0's offsetofend(union bpf_attr, <member>) values. */
static void attr_size_group(void)
{
	static const struct { enum fn fn; unsigned long size; const char *what; } t[] = {
		{ FN_CREATE, 64, "link_create" },    { FN_DETACH, 4, "link_detach" },
		{ FN_UPDATE, 16, "link_update" },    { FN_NEXT_ID, 12, "get_next_id" },
		{ FN_FD_BY_ID, 12, "get_fd_by_id" }, { FN_FD_BY_ID_OPTS, 12, "get_fd_by_id_opts" },
		{ FN_INFO, 16, "obj_get_info_by_fd" }, { FN_ITER_CREATE, 8, "iter_create" },
	};
	struct bpf_get_fd_by_id_opts o = { .sz = sizeof(o), .token_fd = 3 };
	unsigned char info[64];
	__u32 len = 0;
	size_t i;
	int lib;

	group_begin("attr sizes: 64/4/16/12/12/12/16/8 (and 24 for the raw tracepoint fallback)");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct call c = { .fn = t[i].fn, .a = -1, .b = -1, .u = NO_SUCH_ID };
		struct result r;

		if (t[i].fn == FN_FD_BY_ID_OPTS)
			c.opts = &o;
		if (t[i].fn == FN_NEXT_ID) {
			c.u = INT_MAX - 1;
			c.lenp = &len;
		}
		if (t[i].fn == FN_INFO) {
			c.out = info;
			c.out_len = sizeof(info);
			c.lenp = &len;
			c.len_init = sizeof(info);
		}
		diff_call(&c, NULL, "%s attr size", t[i].what);
		for (lib = 0; lib < NLIB; lib++) {
			run_call(lib, &c, &r);
			group_check(r.rec.n == 1 && r.rec.r[0].size == t[i].size,
				    "%s: %s passed %lu bytes (%d calls), libbpf v1.7.0 passes %lu",
				    libs[lib].name, t[i].what, r.rec.n ? r.rec.r[0].size : 0,
				    r.rec.n, t[i].size);
		}
	}
	group_end();
}

/*
 * Where libbpf dereferences a NULL out-pointer and crashes, bpflink returns
 * -EINVAL instead (documented in its header). These calls are never made
 * through the reference, so they are checks of bpflink alone.
 */
static void intended_differences_groups(void)
{
	struct call c = { .fn = FN_INFO, .a = -1 };
	struct result r;

	/* bpf_link_get_info_by_fd(fd, info, NULL): libbpf reads *info_len. */
	group_begin("intended difference (bpflink only; libbpf crashes): "
		    "get_info_by_fd(fd, NULL, NULL)");
	run_call(OURS, &c, &r);
	group_check(r.ret == -EINVAL && r.err == EINVAL && r.rec.n == 0 && !r.log[0],
		    "get_info_by_fd(-1, NULL, NULL): ret %ld errno %d, %d bpf calls", r.ret, r.err,
		    r.rec.n);
	group_end();

	/* bpf_link_get_next_id(start, NULL) when a next id exists: libbpf
	 * writes through NULL. bpflink asks the kernel, then refuses; only
	 * root may ask the kernel for link ids. */
	if (!group_begin_root("intended difference (bpflink only; libbpf crashes): "
			      "get_next_id(0, NULL)"))
		return;
	c.fn = FN_NEXT_ID;
	c.u = 0;
	run_call(OURS, &c, &r);
	group_check((r.ret == -EINVAL && r.err == EINVAL) || (r.ret == -ENOENT && r.err == ENOENT),
		    "get_next_id(0, NULL): ret %ld errno %d", r.ret, r.err);
	group_end();
}

void groups_misc(void)
{
	attr_size_group();
#ifndef DIFF_SELFTEST
	/* Skipped when the suite is checked against libbpf itself (a copy of
	 * the reference as "bpflink": every case must then be identical). */
	intended_differences_groups();
#endif
	update_groups();
	fd_by_id_groups();
	next_id_group();
	info_group();
	small_groups();
}
