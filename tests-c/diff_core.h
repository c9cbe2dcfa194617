/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The core of the differential suite: bpflink and the reference libbpf
 * v1.7.0 side by side in one process (twin.h), one call made through
 * each and everything a caller or the kernel could tell apart compared.
 *
 * A case describes one call (struct call); diff_call() makes it once
 * through bpflink and once through libbpf and compares:
 *
 *   - the return value (or the string, for libbpf_bpf_link_type_str),
 *   - errno afterwards (it is set to a sentinel before the call),
 *   - the text and level of every message given to the print callback,
 *   - the exact sequence of bpf(2) commands issued, with each command's
 *     attr size and attr bytes (diff_core.c interposes libc's syscall()),
 *   - the output buffer and length the call filled in, if any,
 *   - for a returned fd: that it is >= 3 and close-on-exec.
 *
 * The cases are grouped; a group is one TAP line. The group files
 * (diff_<group>.c, listed in diff_groups.h with the case generators they
 * share) use this core and the fixtures of support.h; the runner
 * (diff_main.c) calls the groups in turn and then diff_finish(). Nothing
 * here calls a group or the runner.
 *
 * Everything is compiled against the *reference* headers
 * (-I.deps/libbpf-1.7.0/include): opts structs are laid out the way
 * libbpf's own clients lay them out.
 */
#ifndef BPFLINK_DIFF_CORE_H
#define BPFLINK_DIFF_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "twin.h"

#ifndef offsetofend
#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))
#endif

/* offsetofend of each opts struct's last field, from the reference header. */
#define KNOWN_END(T) offsetofend(struct T, T##__last_field)

/* ---- bpf(2) recording --------------------------------------------------- */

#define REC_ATTR_MAX 128
#define REC_MAX 8

/* One bpf(2) call as the library issued it. */
struct rec {
	long cmd;
	unsigned long size;
	unsigned char attr[REC_ATTR_MAX]; /* first min(size, REC_ATTR_MAX) bytes */
	long ret;
	int err;
};

struct recording {
	int n;        /* calls stored */
	int overflow; /* calls beyond REC_MAX */
	struct rec r[REC_MAX];
};

/* Where syscall() records bpf(2) calls; NULL: not recording. run_call()
 * sets it only around the library call itself, so the bpf(2) calls of the
 * fixtures (support.c), which pass through the same syscall(), are never
 * recorded. */
extern struct recording *volatile rec_target;

/* ---- one call --------------------------------------------------------- */

enum fn {
	FN_CREATE,
	FN_DETACH,
	FN_UPDATE,
	FN_ITER_CREATE,
	FN_NEXT_ID,
	FN_FD_BY_ID,
	FN_FD_BY_ID_OPTS,
	FN_INFO,
	FN_TYPE_STR,
};

#define OUT_MAX 256
#define MAP_MAX 4
#define MASK_MAX 4

/* Flags of struct call. */
#define C_KEEP    0x1 /* keep a returned fd (see result.kept) */
#define C_FD0FREE 0x2 /* close fd 0 around the call (ensure_good_fd path) */
#define C_QUIET   0x4 /* printing is off around the call: no message is logged */

struct call {
	enum fn fn;
	int a;           /* prog_fd / link_fd */
	int b;           /* target_fd / new_prog_fd */
	unsigned int u;  /* attach type / id / start id / link type */
	const void *opts;/* the same bytes are given to both libraries */
	/* How many bytes at opts may be read: set by a caller whose buffer is
	 * larger than sz says or than the options struct (the sweep's); 0
	 * means min(sz, the struct's size). Only the model of libbpf's option
	 * reading (diff_known.c) looks at it, never a library. */
	size_t opts_len;
	/* Output buffer shared by both calls, reset to out_init (or zeros)
	 * before each; out may be NULL. */
	void *out;
	size_t out_len;
	const void *out_init;
	/* Length in/out pointer (next_id target for FN_NEXT_ID, info_len
	 * for FN_INFO); reset to len_init before each call. */
	__u32 *lenp;
	__u32 len_init;
	unsigned int flags;
	/* Per-library fds placed at a fixed fd number before the call and
	 * closed there after it, so both calls carry the same number. */
	int nmap;
	struct { int fixed; int fd[NLIB]; } map[MAP_MAX];
	/* Bytes of out[] not compared (link ids, per-library cgroup ids). */
	int nmask;
	struct { unsigned int off, len; } mask[MASK_MAX];
	/* Runs before each library's call (e.g. enter that library's netns). */
	void (*pre)(int lib, void *ctx);
	void *ctx;
};

struct result {
	long ret;
	int err;
	const char *str;
	bool str_null;
	int fd_ok;        /* for fd results: 1 if >= 3 and FD_CLOEXEC */
	int fd0_open;     /* C_FD0FREE: whether fd 0 was open after the call */
	char log[TWIN_LOG_MAX];
	struct recording rec;
	unsigned char out[OUT_MAX];
	__u32 len_after;
	int kept;         /* C_KEEP: the returned fd moved to >= 500, or -1 */
};

/* Makes the call through library `lib` and fills *r. */
void run_call(int lib, const struct call *c, struct result *r);

/* For a call a group makes by hand (diff_object.c): call_begin() resets
 * *r, empties the library's log, sets errno to the sentinel and starts
 * recording bpf(2) calls into r->rec; call_end(), right after the call,
 * stops recording and stores ret, errno and the messages. */
void call_begin(int lib, struct result *r);
void call_end(int lib, struct result *r, long ret);

/*
 * Makes the call through both libraries and compares. Counts one
 * differential case; on a difference prints the case (fmt) and both
 * answers as TAP comments. Returns true when identical. If kept is not
 * NULL, kept[lib] receives each library's kept fd (C_KEEP).
 */
bool diff_call(const struct call *c, int kept[NLIB], const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Compares two results already obtained; same reporting as diff_call. */
bool diff_results(const struct call *c, struct result r[NLIB], const char *desc);

/* Compares two answers that are not a struct call (printed texts, pointer
 * categories); counts one differential case. */
bool diff_values(const char *ours, const char *ref, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- known differences (diff_known.c) --------------------------------- */

/*
 * An entry recognises one shape of difference. An entry with rules_1_8 set
 * is not a difference of bpflink's: it is a case where libbpf 1.7.0 and
 * libbpf 1.8 answer differently (docs/libbpf-1.8.md) and bpflink gives
 * 1.8's answer. No libbpf 1.8 is loaded for it: the reference's answer is
 * checked against 1.7's rules and bpflink's against 1.8's documented rules,
 * both written out as a model in diff_known.c, and such cases are counted
 * and named apart from the known differences.
 */
struct known {
	const char *name;
	bool (*match)(const struct call *c, const struct result r[NLIB]);
	bool rules_1_8;
};
/* NULL-terminated. */
extern const struct known known[];

/*
 * The same model of libbpf's option reading checked on every
 * bpf_link_create case, identical or not: the reference's answer against
 * the rules of its own release (libbpf_minor_version(): 1.7 or 1.8; any
 * other release is not checked), bpflink's against 1.8's. diff_results()
 * calls model_check() for each case; diff_finish() reports model_tally.
 */
struct model_tally {
	unsigned long checked;      /* bpf_link_create cases the model could tell */
	unsigned long untold;       /* ... and those it could not (a byte it may not read) */
	unsigned long wrong[NLIB];  /* answers the rules do not predict */
	int ref_minor;              /* the reference's libbpf_minor_version(); -1: none */
};
extern struct model_tally model_tally;
void model_check(const struct call *c, const struct result r[NLIB], const char *desc);

/* ---- groups ----------------------------------------------------------- */

/* A group is one TAP line: ok when all its cases were identical. */
void group_begin(const char *name);
void group_end(void);
/* A non-differential check inside a group (fixture sanity); counts as a
 * failure of the group but not as a differential case. */
bool group_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void group_skip(const char *why);
/* group_begin() for a group that needs root (sup_root_missing()): without
 * it, prints the group's TAP skip with the reason and returns false, and
 * the caller returns without group_end(). */
bool group_begin_root(const char *name);
/* The same for a group that also needs kernel capabilities: `probes` is a
 * comma-separated list of support.h's probe names; a refused one skips the
 * group with that probe's named reason (the only skip tests-c/run.sh
 * accepts as root). The cases compare the two libraries, so where the
 * kernel refuses an object itself, both would only fail alike. */
bool group_begin_need(const char *name, const char *probes);

extern unsigned long diff_cases_total;

/* ---- links the suite made -------------------------------------------- */

/* Remembers the id of a link a case created, for the check at the end
 * that the suite left no link behind. */
void note_link_id(__u32 id);
/* How many of the noted links are still alive now (0: all gone). */
int live_noted_links(void);

/* ---- the run ------------------------------------------------------------ */

/* Fatal signals print the group and case they hit, then remove the
 * fixtures (sup_cleanup()) and end the process as the signal would. */
void diff_catch_signals(void);
/* The last TAP lines (the known differences, the libbpf 1.8 rows, the
 * model's check), the "# summary:" lines and the plan; returns the exit
 * status. */
int diff_finish(void);

#endif
