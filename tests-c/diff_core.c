// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The differential suite's core (diff_core.h): the syscall() recorder,
 * one call through one library, the compare-and-report machinery, the
 * groups' TAP lines and the totals.
 *
 * Environment:
 *   DIFF_VERBOSE=1  print every differing case, not only the first few per group
 *   DIFF_STRICT=1   known differences (diff_known.c) fail like any other
 *   DIFF_TRACE=1    one comment line per case
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "diff_core.h"
#include "support.h"

/* ---- syscall() interposition ------------------------------------------ */
/*
 * The test executable is linked with -rdynamic, so this definition of
 * syscall() comes first in the global lookup scope and both libraries'
 * PLT references to syscall bind here (both call libc's syscall() for
 * bpf(2); neither issues the instruction itself). Every call is
 * forwarded unchanged with six long arguments; bpf(2) calls made while
 * rec_target is set are recorded first.
 */
typedef long (*syscall_fn)(long, ...);
static syscall_fn next_syscall;
struct recording *volatile rec_target;

__attribute__((constructor)) static void find_next_syscall(void)
{
	next_syscall = (syscall_fn)dlsym(RTLD_NEXT, "syscall");
}

long syscall(long n, ...)
{
	struct recording *rt = rec_target;
	struct rec *r = NULL;
	va_list ap;
	long a[6], ret;
	int i, e;

	va_start(ap, n);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!next_syscall)
		find_next_syscall();

	if (n == SYS_bpf && rt) {
		if (rt->n < REC_MAX) {
			unsigned long sz = (unsigned long)a[2];
			unsigned long cp = sz < REC_ATTR_MAX ? sz : REC_ATTR_MAX;

			r = &rt->r[rt->n++];
			r->cmd = a[0];
			r->size = sz;
			memset(r->attr, 0, sizeof(r->attr));
			if (a[1])
				memcpy(r->attr, (const void *)a[1], cp);
		} else {
			rt->overflow++;
		}
	}
	ret = next_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
	e = errno;
	if (r) {
		r->ret = ret;
		r->err = ret < 0 ? e : 0;
	}
	errno = e;
	return ret;
}

/* ---- one call --------------------------------------------------------- */

void call_begin(int lib, struct result *r)
{
	r->str = NULL;
	r->str_null = false;
	r->fd_ok = 0;
	r->fd0_open = 0;
	r->kept = -1;
	r->len_after = 0;
	r->rec.n = 0;
	r->rec.overflow = 0;
	twin_log_reset(&libs[lib]);
	rec_target = &r->rec;
	errno = TWIN_ERRNO_SENTINEL;
}

void call_end(int lib, struct result *r, long ret)
{
	int e = errno;

	rec_target = NULL;
	r->ret = ret;
	r->err = e;
	memcpy(r->log, libs[lib].log, libs[lib].log_len + 1);
	errno = e;
}

/* The functions that return a new fd. */
static bool returns_fd(enum fn fn)
{
	return fn == FN_CREATE || fn == FN_ITER_CREATE || fn == FN_FD_BY_ID ||
	       fn == FN_FD_BY_ID_OPTS;
}

void run_call(int lib, const struct call *c, struct result *r)
{
	struct lib *L = &libs[lib];
	int saved0 = -1, i;
	long ret = 0;

	if (c->pre)
		c->pre(lib, c->ctx);
	for (i = 0; i < c->nmap; i++)
		if (dup2(c->map[i].fd[lib], c->map[i].fixed) < 0)
			printf("# dup2 to %d failed: %s\n", c->map[i].fixed, strerror(errno));
	if (c->out) {
		if (c->out_init)
			memcpy(c->out, c->out_init, c->out_len);
		else
			memset(c->out, 0, c->out_len);
	}
	if (c->lenp)
		*c->lenp = c->len_init;
	if (c->flags & C_FD0FREE) {
		saved0 = fcntl(0, F_DUPFD_CLOEXEC, 10);
		close(0);
	}
	call_begin(lib, r);
	switch (c->fn) {
	case FN_CREATE:
		ret = L->link_create(c->a, c->b, (enum bpf_attach_type)c->u, c->opts);
		break;
	case FN_DETACH:
		ret = L->link_detach(c->a);
		break;
	case FN_UPDATE:
		ret = L->link_update(c->a, c->b, c->opts);
		break;
	case FN_ITER_CREATE:
		ret = L->iter_create(c->a);
		break;
	case FN_NEXT_ID:
		ret = L->link_get_next_id(c->u, c->lenp);
		break;
	case FN_FD_BY_ID:
		ret = L->link_get_fd_by_id(c->u);
		break;
	case FN_FD_BY_ID_OPTS:
		ret = L->link_get_fd_by_id_opts(c->u, c->opts);
		break;
	case FN_INFO:
		ret = L->link_get_info_by_fd(c->a, c->out, c->lenp);
		break;
	case FN_TYPE_STR:
		r->str = L->link_type_str((enum bpf_link_type)c->u);
		r->str_null = r->str == NULL;
		break;
	}
	call_end(lib, r, ret);
	if (c->out)
		memcpy(r->out, c->out, c->out_len < OUT_MAX ? c->out_len : OUT_MAX);
	if (c->lenp)
		r->len_after = *c->lenp;
	if (returns_fd(c->fn) && ret >= 0) {
		int fl = fcntl((int)ret, F_GETFD);

		r->fd_ok = ret >= 3 && fl >= 0 && (fl & FD_CLOEXEC);
	}
	if (c->flags & C_FD0FREE) {
		r->fd0_open = fcntl(0, F_GETFD) >= 0;
		if (saved0 >= 0) {
			dup2(saved0, 0);
			close(saved0);
		}
	}
	if (returns_fd(c->fn) && ret >= 0) {
		if (c->flags & C_KEEP)
			r->kept = fcntl((int)ret, F_DUPFD_CLOEXEC, 500);
		if (ret != 0 || !(c->flags & C_FD0FREE))
			close((int)ret);
	}
	for (i = 0; i < c->nmap; i++)
		close(c->map[i].fixed);
	errno = 0;
}

/* ---- comparing and reporting ------------------------------------------ */

unsigned long diff_cases_total;
static unsigned long g_cases, g_fail, g_known, g_checks, g_checks_failed;
static const char *g_name;
static bool g_skipped;
static int tap_no;
static int failed_groups, skipped_groups;
static unsigned long failed_cases_total;

static unsigned long known_hits[16];
/* Per group: the cases of entries with rules_1_8 (g_known counts the rest). */
static unsigned long g_rules;

/* DIFF_STRICT=1: known differences fail like any other. */
static bool strict(void)
{
	const char *v = getenv("DIFF_STRICT");

	return v && *v && *v != '0';
}

static bool verbose(void)
{
	const char *v = getenv("DIFF_VERBOSE");

	return v && *v && *v != '0';
}

static const char *cmd_name(long cmd)
{
	switch (cmd) {
	case BPF_OBJ_PIN: return "OBJ_PIN";
	case BPF_OBJ_GET: return "OBJ_GET";
	case BPF_PROG_QUERY: return "PROG_QUERY";
	case BPF_OBJ_GET_INFO_BY_FD: return "OBJ_GET_INFO_BY_FD";
	case BPF_RAW_TRACEPOINT_OPEN: return "RAW_TRACEPOINT_OPEN";
	case BPF_LINK_CREATE: return "LINK_CREATE";
	case BPF_LINK_UPDATE: return "LINK_UPDATE";
	case BPF_LINK_GET_FD_BY_ID: return "LINK_GET_FD_BY_ID";
	case BPF_LINK_GET_NEXT_ID: return "LINK_GET_NEXT_ID";
	case BPF_ITER_CREATE: return "ITER_CREATE";
	case BPF_LINK_DETACH: return "LINK_DETACH";
	default: return "?";
	}
}

static void hex(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s%02x", i && i % 8 == 0 ? " " : "", p[i]);
}

static void print_escaped(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
	}
}

static void show(const char *who, const struct call *c, const struct result *r)
{
	int i;

	if (c->fn == FN_TYPE_STR)
		printf("#   %-7s str=%s%s%s\n", who, r->str_null ? "" : "\"",
		       r->str_null ? "NULL" : r->str, r->str_null ? "" : "\"");
	else
		printf("#   %-7s ret=%ld errno=%d fd_ok=%d%s\n", who, r->ret, r->err, r->fd_ok,
		       (c->flags & C_FD0FREE) ? (r->fd0_open ? " fd0=open" : " fd0=free") : "");
	printf("#   %-7s log=\"", who);
	print_escaped(r->log);
	printf("\"\n");
	for (i = 0; i < r->rec.n; i++) {
		const struct rec *x = &r->rec.r[i];
		size_t n = x->size < REC_ATTR_MAX ? x->size : REC_ATTR_MAX;

		printf("#   %-7s bpf(%s=%ld, size=%lu) -> %ld errno %d attr: ", who,
		       cmd_name(x->cmd), x->cmd, x->size, x->ret, x->err);
		hex(x->attr, n);
		printf("\n");
	}
	if (r->rec.overflow)
		printf("#   %-7s ... and %d more bpf(2) calls\n", who, r->rec.overflow);
	if (c->out) {
		printf("#   %-7s out: ", who);
		hex(r->out, c->out_len < 96 ? c->out_len : 96);
		printf("\n");
	}
	if (c->lenp)
		printf("#   %-7s *len=%u\n", who, r->len_after);
}

static bool masked(const struct call *c, size_t i)
{
	int k;

	for (k = 0; k < c->nmask; k++)
		if (i >= c->mask[k].off && i < c->mask[k].off + c->mask[k].len)
			return true;
	return false;
}

/* An fd returned by the kernel is compared as "some fd": the numbers are
 * the same in practice (each fd is closed before the other call), but a
 * test must not depend on that. */
static long norm_ret(const struct call *c, long ret)
{
	return returns_fd(c->fn) && ret >= 0 ? 1000000 : ret;
}

static const char *first_difference(const struct call *c, struct result r[NLIB])
{
	const struct result *a = &r[OURS], *b = &r[REF];
	int i;

	if (c->fn == FN_TYPE_STR) {
		if (a->str_null != b->str_null || (!a->str_null && strcmp(a->str, b->str)))
			return "returned string";
	} else if (norm_ret(c, a->ret) != norm_ret(c, b->ret)) {
		return "return value";
	}
	if (a->fd_ok != b->fd_ok)
		return "returned fd properties (>= 3, FD_CLOEXEC)";
	if (a->err != b->err)
		return "errno";
	if (strcmp(a->log, b->log))
		return "print callback messages";
	if (a->rec.n != b->rec.n || a->rec.overflow != b->rec.overflow)
		return "number of bpf(2) calls";
	for (i = 0; i < a->rec.n; i++) {
		const struct rec *x = &a->rec.r[i], *y = &b->rec.r[i];
		size_t n = x->size < REC_ATTR_MAX ? x->size : REC_ATTR_MAX;

		if (x->cmd != y->cmd)
			return "bpf(2) command";
		if (x->size != y->size)
			return "bpf(2) attr size";
		if (memcmp(x->attr, y->attr, n))
			return "bpf(2) attr bytes";
		if ((x->ret < 0) != (y->ret < 0) || x->err != y->err ||
		    (x->ret < 0 && x->ret != y->ret))
			return "kernel answer to a bpf(2) call";
	}
	if (c->out) {
		size_t n = c->out_len < OUT_MAX ? c->out_len : OUT_MAX, k;

		for (k = 0; k < n; k++)
			if (!masked(c, k) && a->out[k] != b->out[k])
				return "output buffer";
	}
	if (c->lenp && a->len_after != b->len_after)
		return "output length / id";
	if ((c->flags & C_FD0FREE) && a->fd0_open != b->fd0_open)
		return "fd 0 state after the call";
	return NULL;
}

bool diff_results(const struct call *c, struct result r[NLIB], const char *desc)
{
	const char *what = first_difference(c, r);
	static int trace = -1;

	if (trace < 0)
		trace = getenv("DIFF_TRACE") && *getenv("DIFF_TRACE") == '1';
	if (trace)
		printf("# trace [%s] %s -> ret %ld errno %d, %d bpf calls\n", g_name, desc,
		       r[OURS].ret, r[OURS].err, r[OURS].rec.n);
	diff_cases_total++;
	g_cases++;
	model_check(c, r, desc);
	if (!what)
		return true;
	if (!strict()) {
		int k;

		for (k = 0; known[k].name; k++)
			if (known[k].match(c, r)) {
				known_hits[k]++;
				if (known[k].rules_1_8)
					g_rules++;
				else
					g_known++;
				if (known_hits[k] == 1)
					printf("# %s [%s] %s (first case: %s; %s differs)\n",
					       known[k].rules_1_8 ? "LIBBPF-1.8-RULES" : "KNOWN", g_name,
					       known[k].name, desc, what);
				return false;
			}
	}
	g_fail++;
	failed_cases_total++;
	if (g_fail <= 5 || verbose()) {
		printf("# DIFF [%s] %s: %s differs\n", g_name, desc, what);
		show("bpflink", c, &r[OURS]);
		show("libbpf", c, &r[REF]);
	} else if (g_fail == 6) {
		printf("# [%s] further differences not shown (DIFF_VERBOSE=1 shows all)\n",
		       g_name);
	}
	return false;
}

bool diff_values(const char *ours, const char *ref, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	diff_cases_total++;
	g_cases++;
	if (!strcmp(ours, ref))
		return true;
	g_fail++;
	failed_cases_total++;
	if (g_fail <= 5 || verbose()) {
		printf("# DIFF [%s] %s\n#   bpflink: \"", g_name, desc);
		print_escaped(ours);
		printf("\"\n#   libbpf:  \"");
		print_escaped(ref);
		printf("\"\n");
	}
	return false;
}

static struct result res_pair[NLIB];

bool diff_call(const struct call *c, int kept[NLIB], const char *fmt, ...)
{
	char desc[512];
	va_list ap;
	bool same;
	int lib;

	for (lib = 0; lib < NLIB; lib++)
		run_call(lib, c, &res_pair[lib]);
	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	same = diff_results(c, res_pair, desc);
	if (kept) {
		kept[OURS] = res_pair[OURS].kept;
		kept[REF] = res_pair[REF].kept;
	} else {
		for (lib = 0; lib < NLIB; lib++)
			if (res_pair[lib].kept >= 0)
				close(res_pair[lib].kept);
	}
	return same;
}

void group_begin(const char *name)
{
	g_name = name;
	g_cases = g_fail = g_known = g_rules = g_checks = g_checks_failed = 0;
	g_skipped = false;
}

bool group_check(bool ok, const char *fmt, ...)
{
	va_list ap;

	g_checks++;
	if (ok)
		return true;
	g_checks_failed++;
	printf("# CHECK [%s] failed: ", g_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return false;
}

void group_skip(const char *why)
{
	g_skipped = true;
	skipped_groups++;
	printf("ok %d - %s # SKIP %s\n", ++tap_no, g_name, why);
	fflush(stdout);
}

bool group_begin_root(const char *name)
{
	const char *why = sup_root_missing();

	group_begin(name);
	if (why)
		group_skip(why);
	return !why;
}

bool group_begin_need(const char *name, const char *probes)
{
	const char *why;

	if (!group_begin_root(name))
		return false;
	why = sup_probe_why(probes);
	if (why)
		group_skip(why);
	return !why;
}

void group_end(void)
{
	if (g_skipped)
		return;
	if (g_fail || g_checks_failed || (!g_cases && !g_checks)) {
		failed_groups++;
		printf("not ok %d - %s: %lu of %lu differential cases differ", ++tap_no, g_name,
		       g_fail, g_cases);
		if (g_checks_failed)
			printf(", %lu fixture checks failed", g_checks_failed);
		if (!g_cases && !g_checks)
			printf(" (no cases ran)");
		printf("\n");
	} else if (!g_cases) {
		printf("ok %d - %s: %lu checks passed\n", ++tap_no, g_name, g_checks);
	} else {
		printf("ok %d - %s: %lu differential cases identical", ++tap_no, g_name,
		       g_cases - g_known - g_rules);
		if (g_known)
			printf(", %lu known differences", g_known);
		if (g_rules)
			printf(", %lu where libbpf 1.7.0 and 1.8 differ, checked against 1.8's "
			       "documented rules", g_rules);
		printf("\n");
	}
	fflush(stdout);
}

/* ---- links the suite made ---------------------------------------------- */

static __u32 noted[256];
static int n_noted;

void note_link_id(__u32 id)
{
	if (id && n_noted < (int)(sizeof(noted) / sizeof(noted[0])))
		noted[n_noted++] = id;
}

int live_noted_links(void)
{
	int i, live = 0;

	for (i = 0; i < n_noted; i++)
		live += sup_link_alive(noted[i]);
	return live;
}

/* ---- crash reporting -------------------------------------------------- */

static void on_fatal(int sig)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "# fatal signal %d in group [%s], case %lu\n", sig,
			 g_name ? g_name : "?", g_cases + 1);

	if (n > 0)
		(void)!write(1, buf, (size_t)n);
	sup_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

void diff_catch_signals(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_fatal };
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---- the end of the run ------------------------------------------------ */

/* The known, documented differences (diff_known.c), the cases where libbpf
 * 1.7.0 and 1.8 differ (checked against 1.8's documented rules: no libbpf
 * 1.8 is loaded), and the model's check of every bpf_link_create case,
 * then the totals; run.sh shows the "# summary:" lines. */
int diff_finish(void)
{
	unsigned long n_known = 0, n_rules = 0, wrong;
	const struct model_tally *m = &model_tally;
	char ref[32];
	int k;

	for (k = 0; known[k].name; k++) {
		if (known[k].rules_1_8)
			n_rules += known_hits[k];
		else
			n_known += known_hits[k];
	}
	printf("ok %d - known differences (documented in tests-c/diff_known.c): %lu cases\n",
	       ++tap_no, n_known);
	printf("ok %d - where libbpf 1.7.0 and 1.8 differ (docs/libbpf-1.8.md): %lu cases, "
	       "bpflink checked against libbpf 1.8's documented rules, not against a libbpf 1.8\n",
	       ++tap_no, n_rules);
	if (m->ref_minor == 7 || m->ref_minor == 8)
		snprintf(ref, sizeof(ref), "libbpf 1.%d", m->ref_minor);
	else
		snprintf(ref, sizeof(ref), "not checked");
	wrong = m->wrong[OURS] + m->wrong[REF];
	if (wrong)
		failed_groups++;
	printf("%s %d - the model of libbpf's option reading (diff_known.c) on %lu bpf_link_create "
	       "cases: bpflink answers as 1.8's rules say, the reference (%s) as its release's",
	       wrong ? "not ok" : "ok", ++tap_no, m->checked, ref);
	if (wrong)
		printf(": %lu of bpflink's and %lu of the reference's answers not predicted",
		       m->wrong[OURS], m->wrong[REF]);
	printf("\n");
	printf("# summary: %lu differential cases compared in %d groups: %lu identical, "
	       "%lu known differences, %lu where libbpf 1.7.0 and 1.8 differ (checked against 1.8's "
	       "documented rules, not a libbpf 1.8), %lu other differences\n",
	       diff_cases_total, tap_no - 3 - skipped_groups,
	       diff_cases_total - n_known - n_rules - failed_cases_total, n_known, n_rules,
	       failed_cases_total);
	for (k = 0; known[k].name; k++)
		printf("# summary:   %s: %lu cases\n", known[k].name, known_hits[k]);
	printf("# summary: rules model: %lu bpf_link_create cases predicted for both libraries "
	       "(reference: %s), %lu not modelled\n", m->checked, ref, m->untold);
	printf("1..%d\n", tap_no);
	return failed_groups ? 1 : 0;
}
