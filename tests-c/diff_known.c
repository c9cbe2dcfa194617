// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Known differences between bpflink and libbpf v1.7.0 found by this suite,
 * and the cases where libbpf 1.7.0 and libbpf 1.8 answer differently.
 *
 * Each entry recognises the exact shape of one difference (the call, the
 * options, and both answers) so that nothing else can hide behind it. A
 * case that matches is reported under the entry's name instead of failing
 * its group; with DIFF_STRICT=1 it fails like any other difference. When
 * bpflink is changed to match libbpf, the cases simply become identical.
 *
 * An entry K2 covered a window of `sz` near 2^63 in which libbpf 1.7.0
 * read past the caller's struct and bpflink did not; with libbpf 1.8's
 * known end (80) that inconsistency is gone from libbpf and bpflink alike
 * (docs/libbpf-1.8.md), the cases are K3s, and K2 was removed so that no
 * other difference can be classified under its shape. An earlier entry (a
 * raw-tracepoint fallback condition stricter than libbpf's) was fixed in
 * the library and removed.
 *
 * K3 and K4 are not differences of bpflink's: bpflink follows libbpf 1.8
 * where 1.8 changed the link API (docs/libbpf-1.8.md), and the reference
 * loaded here is 1.7.0 (no libbpf 1.8 is released to build against). For
 * these cases no libbpf 1.8 is asked: below is a small model of how libbpf
 * reads bpf_link_create's options, written from libbpf's rules (OPTS_VALID,
 * OPTS_GET, OPTS_ZEROED, the attach-type switch) and the documented changes
 * of 1.8, not from bpflink's code. A case is a K3 only where that model
 * gives 1.7.0 and 1.8 different answers, the reference answered as 1.7.0's
 * rules say and bpflink as 1.8's; anything else stays a failure. The model
 * is also checked on every bpf_link_create case of the run (model_check()),
 * against the real reference of whichever release it is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "diff_groups.h"

/* ---- the model: libbpf reading bpf_link_create's options ----------------- */
/*
 * Offsets are those of struct bpf_link_create_opts on LP64 (libbpf's
 * bpf.h) and of the uapi's link_create attr, written out as numbers:
 *
 *   opts: sz 0, flags 8, iter_info 16, iter_info_len 24, target_btf_id 28,
 *         the union at 32: perf_event.bpf_cookie 32 (member end 40);
 *         kprobe_multi flags 32 cnt 36 syms 40 addrs 48 cookies 56 (end 64);
 *         uprobe_multi flags 32 cnt 36 path 40 offsets 48 ref_ctr_offsets 56
 *         cookies 64 pid 72, 1.8: path_fd 76 (end 80 in both: in 1.7.0
 *         bytes 76..80 are the member's tail padding);
 *         tracing.cookie 32 (end 40); netfilter pf 32 hooknum 36
 *         priority 40 flags 44 (end 48); tcx / netkit / cgroup relative_fd
 *         32 relative_id 36 expected_revision 40 (end 48); 1.8:
 *         tracing_multi ids 32 cookies 40 cnt 48 (end 56, tail padding
 *         included).
 *         Known end (offsetofend of the last field): 1.7.0 76 (pid),
 *         1.8 80 (path_fd).
 *   attr: prog_fd 0, target_fd 4, attach_type 8, flags 12, the union at 16:
 *         target_btf_id 16; iter_info 16, iter_info_len 24;
 *         perf_event.bpf_cookie 16; kprobe_multi flags 16 cnt 20 syms 24
 *         addrs 32 cookies 40; tracing.cookie 24; netfilter pf 16
 *         hooknum 20 priority 24 flags 28; tcx / netkit / cgroup relative
 *         fd or id 16, expected_revision 24; uprobe_multi path 16
 *         offsets 24 ref_ctr_offsets 32 cookies 40 cnt 48 flags 52 pid 56,
 *         1.8: path_fd 60; 1.8: tracing_multi ids 16 cookies 24 cnt 32.
 *         64 bytes are sent (offsetofend(union bpf_attr, link_create)).
 *
 * The length arithmetic is libbpf's, with its types: OPTS_VALID scans
 * (ssize_t)sz - known_end bytes and OPTS_ZEROED sz - (ssize_t)end, both
 * computed unsigned and read back as a signed length, so that for sz near
 * 2^63 one scan may run and another not.
 */

enum rel { REL_1_7, REL_1_8 };

static const char *const rel_name[] = { "libbpf 1.7", "libbpf 1.8" };

/* libbpf 1.8's attach types for tracing_multi links (unknown to 1.7.0). */
#define AT_FENTRY_MULTI 59
#define AT_FSESSION_MULTI 61

/* What libbpf answers before and around the kernel. */
enum verdict {
	V_UNTOLD,  /* a rule needs a byte the model may not read */
	V_REFUSED, /* -EINVAL before any bpf(2) call */
	V_KERNEL,  /* BPF_LINK_CREATE with attr */
};

struct answer {
	enum verdict v;
	char log[128];          /* what it prints, "<level>text" (twin.h) */
	unsigned char attr[64]; /* V_KERNEL: the attr sent */
	bool retry;             /* V_KERNEL: after EINVAL, BPF_RAW_TRACEPOINT_OPEN */
};

/* The caller's options as the model reads them. */
struct view {
	const unsigned char *p; /* NULL: no options */
	size_t sz;
	size_t avail;           /* bytes at p the model may read */
	bool untold;            /* a rule needed a byte at or past avail */
};

static unsigned char byte_at(struct view *o, size_t i)
{
	if (i >= o->avail) {
		o->untold = true;
		return 1; /* ends any scan; the answer is discarded */
	}
	return o->p[i];
}

/* libbpf_is_mem_zeroed(opts + off, len). */
static bool mem_zeroed(struct view *o, size_t off, ssize_t len)
{
	size_t i;

	for (i = 0; len > 0; i++, len--)
		if (byte_at(o, off + i))
			return false;
	return true;
}

/* OPTS_VALID(opts, bpf_link_create_opts) with the release's known end. */
static bool opts_valid(struct view *o, size_t known_end, char *log, size_t log_len)
{
	if (!o->p)
		return true;
	if (o->sz < sizeof(size_t)) {
		snprintf(log, log_len, "<%d>libbpf: bpf_link_create_opts size (%zu) is too small\n",
			 LIBBPF_WARN, o->sz);
		return false;
	}
	if (!mem_zeroed(o, known_end, (ssize_t)o->sz - known_end)) {
		snprintf(log, log_len, "<%d>libbpf: bpf_link_create_opts has non-zero extra bytes\n",
			 LIBBPF_WARN);
		return false;
	}
	return true;
}

/* OPTS_GET(opts, field, 0) for the field at off of size 4 or 8. */
static __u64 opts_get(struct view *o, size_t off, size_t size)
{
	__u32 v32;
	__u64 v64;
	size_t i;

	if (!o->p || o->sz < off + size)
		return 0;
	for (i = 0; i < size; i++)
		byte_at(o, off + i);
	if (o->untold)
		return 0;
	if (size == 4) {
		memcpy(&v32, o->p + off, 4);
		return v32;
	}
	memcpy(&v64, o->p + off, 8);
	return v64;
}

/* OPTS_ZEROED(opts, field) where end = offsetofend(field). */
static bool opts_zeroed(struct view *o, size_t end)
{
	const ssize_t off = (ssize_t)end;

	return !o->p || mem_zeroed(o, end, o->sz - off);
}

static void put(unsigned char *attr, size_t off, size_t size, __u64 v)
{
	__u32 v32 = (__u32)v;

	if (size == 4)
		memcpy(attr + off, &v32, 4);
	else
		memcpy(attr + off, &v, 8);
}

/* The union member's fields copied from the options to the attr. */
struct copy {
	unsigned char from, to, size;
};

static void copy_fields(struct view *o, unsigned char *attr, const struct copy *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put(attr, c[i].to, c[i].size, opts_get(o, c[i].from, c[i].size));
}

#define COPY(o, attr, ...)                                                            \
	do {                                                                          \
		static const struct copy fields_[] = { __VA_ARGS__ };                  \
		copy_fields(o, attr, fields_, sizeof(fields_) / sizeof(fields_[0]));   \
	} while (0)

/* The release's bpf_link_create up to its bpf(2) call; returns whether the
 * member's zero check passed (false: refused, nothing printed). */
static bool create_branch(enum rel rel, struct view *o, unsigned int t, unsigned char *attr,
			  __u32 *flags, __u32 iter_info_len)
{
	__u64 rel_fd, rel_id;

	if (rel == REL_1_8 && t >= AT_FENTRY_MULTI && t <= AT_FSESSION_MULTI) {
		COPY(o, attr, { 32, 16, 8 }, { 40, 24, 8 }, { 48, 32, 4 });
		return opts_zeroed(o, 56);
	}
	switch (branch_of(t)) {
	case B_ITER:
		put(attr, 16, 8, opts_get(o, 16, 8));
		put(attr, 24, 4, iter_info_len);
		return true;
	case B_PERF:
		COPY(o, attr, { 32, 16, 8 });
		return opts_zeroed(o, 40);
	case B_KPROBE:
		COPY(o, attr, { 32, 16, 4 }, { 36, 20, 4 }, { 40, 24, 8 }, { 48, 32, 8 },
		     { 56, 40, 8 });
		return opts_zeroed(o, 64);
	case B_UPROBE:
		COPY(o, attr, { 32, 52, 4 }, { 36, 48, 4 }, { 40, 16, 8 }, { 48, 24, 8 },
		     { 56, 32, 8 }, { 64, 40, 8 }, { 72, 56, 4 });
		if (rel == REL_1_8)
			COPY(o, attr, { 76, 60, 4 });
		return opts_zeroed(o, 80);
	case B_TRACING:
		COPY(o, attr, { 32, 24, 8 });
		return opts_zeroed(o, 40);
	case B_NETFILTER:
		COPY(o, attr, { 32, 16, 4 }, { 36, 20, 4 }, { 40, 24, 4 }, { 44, 28, 4 });
		return opts_zeroed(o, 48);
	case B_TCX:
	case B_NETKIT:
	case B_CGROUP:
		rel_fd = opts_get(o, 32, 4);
		rel_id = opts_get(o, 36, 4);
		if (rel_fd && rel_id)
			return false;
		if (rel_id)
			*flags |= BPF_F_ID;
		put(attr, 16, 4, rel_id ? rel_id : rel_fd);
		COPY(o, attr, { 40, 24, 8 });
		return opts_zeroed(o, 48);
	default:
		return opts_zeroed(o, 12);
	}
}

/* libbpf's bpf_link_create in release rel, for call c. */
static void model_create(enum rel rel, const struct call *c, struct answer *a)
{
	struct view o = { .p = c->opts };
	__u32 iter_info_len, target_btf_id, flags, first;

	memset(a, 0, sizeof(*a));
	if (o.p) {
		memcpy(&o.sz, o.p, sizeof(o.sz));
		o.avail = c->opts_len ? c->opts_len
				      : (o.sz < sizeof(struct bpf_link_create_opts)
						 ? o.sz
						 : sizeof(struct bpf_link_create_opts));
	}
	a->v = V_REFUSED;
	if (!opts_valid(&o, rel == REL_1_7 ? 76 : 80, a->log, sizeof(a->log)))
		goto out;
	iter_info_len = (__u32)opts_get(&o, 24, 4);
	target_btf_id = (__u32)opts_get(&o, 28, 4);
	if ((iter_info_len || target_btf_id) &&
	    ((iter_info_len && target_btf_id) || !opts_zeroed(&o, 32)))
		goto out;
	put(a->attr, 0, 4, (__u32)c->a);
	put(a->attr, 4, 4, (__u32)c->b);
	put(a->attr, 8, 4, c->u);
	flags = (__u32)opts_get(&o, 8, 4);
	if (target_btf_id)
		put(a->attr, 16, 4, target_btf_id);
	else if (!create_branch(rel, &o, c->u, a->attr, &flags, iter_info_len))
		goto out;
	put(a->attr, 12, 4, flags);
	a->v = V_KERNEL;
	/* The raw tracepoint retry after an EINVAL: no target fd, nothing at
	 * the union's first word, OPTS_ZEROED(opts, sz), and one of five
	 * attach types. */
	memcpy(&first, a->attr + 16, 4);
	a->retry = !c->b && !first && opts_zeroed(&o, 8) &&
		   (c->u == BPF_TRACE_RAW_TP || c->u == BPF_LSM_MAC || c->u == BPF_TRACE_FENTRY ||
		    c->u == BPF_TRACE_FEXIT || c->u == BPF_MODIFY_RETURN);
out:
	if (o.untold)
		a->v = V_UNTOLD;
}

/* Whether two releases' answers can be told apart by a caller. */
static bool answers_differ(const struct answer *x, const struct answer *y)
{
	if (x->v != y->v || strcmp(x->log, y->log))
		return true;
	return x->v == V_KERNEL && (memcmp(x->attr, y->attr, sizeof(x->attr)) || x->retry != y->retry);
}

/* Whether a library's recorded answer is the model's: return value, errno,
 * messages, and the bpf(2) calls with their attr bytes (the kernel's
 * answers to those calls decide the rest). */
static bool answer_is(const struct answer *m, const struct call *c, const struct result *r)
{
	const struct rec *x = &r->rec.r[0], *y = &r->rec.r[1];
	unsigned char rt[24] = { 0 };
	__u32 prog = (__u32)c->a;

	if (m->v == V_REFUSED)
		return r->ret == -EINVAL && r->err == EINVAL && !r->rec.n && !r->rec.overflow &&
		       !strcmp(r->log, (c->flags & C_QUIET) ? "" : m->log);
	if (m->v != V_KERNEL || r->rec.n < 1 || r->rec.overflow || r->log[0])
		return false;
	if (x->cmd != BPF_LINK_CREATE || x->size != sizeof(m->attr) ||
	    memcmp(x->attr, m->attr, sizeof(m->attr)))
		return false;
	if (x->ret >= 0)
		return r->rec.n == 1 && r->ret >= 0;
	if (x->err != EINVAL || !m->retry)
		return r->rec.n == 1 && r->ret == -x->err && r->err == x->err;
	/* bpf_raw_tracepoint_open(NULL, prog_fd): name 0, prog_fd at 8, cookie 0. */
	memcpy(rt + 8, &prog, 4);
	if (r->rec.n != 2 || y->cmd != BPF_RAW_TRACEPOINT_OPEN || y->size != sizeof(rt) ||
	    memcmp(y->attr, rt, sizeof(rt)))
		return false;
	return y->ret >= 0 ? r->ret >= 0 : r->ret == -y->err && r->err == y->err;
}

/* ---- checking the model on every bpf_link_create case -------------------- */

/* ref_minor -2: not asked yet. */
struct model_tally model_tally = { .ref_minor = -2 };

/* The reference's release: libbpf_minor_version() of libbpf 1.x. */
static int ref_minor(void)
{
	if (model_tally.ref_minor == -2) {
		int (*major)(void) = (int (*)(void))dlsym(libs[REF].handle, "libbpf_major_version");
		int (*minor)(void) = (int (*)(void))dlsym(libs[REF].handle, "libbpf_minor_version");

		model_tally.ref_minor = major && minor && major() == 1 ? minor() : -1;
	}
	return model_tally.ref_minor;
}

void model_check(const struct call *c, const struct result r[NLIB], const char *desc)
{
	static const char *const who[NLIB] = { "bpflink", "the reference" };
	const int minor = ref_minor();
	struct answer m[2];
	int lib;

	if (c->fn != FN_CREATE)
		return;
	model_create(REL_1_7, c, &m[REL_1_7]);
	model_create(REL_1_8, c, &m[REL_1_8]);
	if (m[REL_1_7].v == V_UNTOLD || m[REL_1_8].v == V_UNTOLD) {
		model_tally.untold++;
		return;
	}
	model_tally.checked++;
	for (lib = 0; lib < NLIB; lib++) {
		enum rel rel = lib == OURS || minor == 8 ? REL_1_8 : REL_1_7;

		if (lib == REF && minor != 7 && minor != 8)
			continue;
		if (answer_is(&m[rel], c, &r[lib]))
			continue;
		if (++model_tally.wrong[lib] <= 5)
			/* (the log without its final newline) */
			printf("# MODEL: %s did not answer as %s's rules say: %s (rules: %s%.*s%s)\n",
			       who[lib], rel_name[rel], desc,
			       m[rel].v == V_REFUSED ? "-EINVAL, log \"" : "BPF_LINK_CREATE",
			       (int)strcspn(m[rel].log, "\n"), m[rel].log,
			       m[rel].v == V_REFUSED ? "\"" : "");
	}
}

/* ---- the entries ---------------------------------------------------------- */

/*
 * K3 "bpf_link_create where libbpf 1.7.0 and 1.8 answer differently".
 * The model gives the two releases different answers (a non-zero byte in
 * 76..80, which 1.8 reads as uprobe_multi.path_fd and 1.7.0 refuses with
 * its warning; attach types 59-61, 1.8's tracing_multi branch; sz in
 * [2^63 + 76, 2^63 + 80), where only 1.8's OPTS_VALID scans), the
 * reference answered exactly as 1.7.0's rules say and bpflink exactly as
 * 1.8's documented rules say.
 */
static bool k3(const struct call *c, const struct result r[NLIB])
{
	struct answer m17, m18;

	if (c->fn != FN_CREATE)
		return false;
	model_create(REL_1_7, c, &m17);
	model_create(REL_1_8, c, &m18);
	if (m17.v == V_UNTOLD || m18.v == V_UNTOLD || !answers_differ(&m17, &m18))
		return false;
	return answer_is(&m17, c, &r[REF]) && answer_is(&m18, c, &r[OURS]);
}

/*
 * K4 "libbpf_bpf_link_type_str(15)": libbpf 1.8 names link type 15
 * (BPF_LINK_TYPE_TRACING_MULTI) "tracing_multi"; 1.7.0's table ends at 14
 * and gives NULL. Every other link type has the same name in both.
 */
static bool k4(const struct call *c, const struct result r[NLIB])
{
	const struct result *o = &r[OURS], *f = &r[REF];

	return c->fn == FN_TYPE_STR && c->u == 15 && f->str_null && !o->str_null &&
	       !strcmp(o->str, "tracing_multi") && o->err == f->err && !o->log[0] && !f->log[0];
}

const struct known known[] = {
	{ "K3 (libbpf 1.8) bpf_link_create where 1.7.0 and 1.8 differ: libbpf 1.7.0 as 1.7's rules say, bpflink as 1.8's documented rules say (not compared with a libbpf 1.8)", k3, true },
	{ "K4 (libbpf 1.8) libbpf_bpf_link_type_str(15): bpflink \"tracing_multi\" as 1.8's documented rules say, libbpf 1.7.0 NULL (not compared with a libbpf 1.8)", k4, true },
	{ NULL, NULL, false },
};
