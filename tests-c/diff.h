/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Differential test harness: bpflink and the reference libbpf v1.7.0 side
 * by side in one process.
 *
 * Both shared objects are dlopen()ed with RTLD_LOCAL, so neither sees the
 * other's symbols, and every exported link function is looked up in each.
 * A case describes one call (struct call); diff_call() makes it once
 * through bpflink and once through libbpf and compares everything a caller
 * or the kernel could tell apart:
 *
 *   - the return value (or the string, for libbpf_bpf_link_type_str),
 *   - errno afterwards (it is set to a sentinel before the call),
 *   - the text and level of every message given to the print callback,
 *   - the exact sequence of bpf(2) commands issued, with each command's
 *     attr size and attr bytes (diff_main.c interposes libc's syscall()),
 *   - the output buffer and length the call filled in, if any,
 *   - for a returned fd: that it is >= 3 and close-on-exec.
 *
 * This file is compiled against the *reference* headers
 * (-I.deps/libbpf-1.7.0/include): opts structs are laid out the way
 * libbpf's own clients lay them out. No library is linked in; the
 * prototypes from those headers only give the function pointer types.
 */
#ifndef BPFLINK_DIFF_H
#define BPFLINK_DIFF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef offsetofend
#define offsetofend(T, F) (offsetof(T, F) + sizeof(((T *)0)->F))
#endif

/* offsetofend of each opts struct's last field, from the reference header. */
#define KNOWN_END(T) offsetofend(struct T, T##__last_field)

#define NLIB 2
enum { OURS = 0, REF = 1 };

/* The functions under test, resolved in one library. */
struct lib {
	const char *name;
	const char *path;
	void *handle;
	__typeof__(&bpf_link_create) link_create;
	__typeof__(&bpf_link_detach) link_detach;
	__typeof__(&bpf_link_update) link_update;
	__typeof__(&bpf_iter_create) iter_create;
	__typeof__(&bpf_link_get_next_id) link_get_next_id;
	__typeof__(&bpf_link_get_fd_by_id) link_get_fd_by_id;
	__typeof__(&bpf_link_get_fd_by_id_opts) link_get_fd_by_id_opts;
	__typeof__(&bpf_link_get_info_by_fd) link_get_info_by_fd;
	__typeof__(&libbpf_bpf_link_type_str) link_type_str;
	__typeof__(&libbpf_set_print) set_print;
	/* The capturing callback that belongs to this library. */
	libbpf_print_fn_t capture;
};

extern struct lib libs[NLIB];

/* ---- bpf(2) recording (diff_main.c) ------------------------------------ */

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

/* ---- print capture (diff_main.c) --------------------------------------- */

#define LOG_MAX 2048

/* Text given to each library's capturing callback since the last reset. */
extern char cap_log[NLIB][LOG_MAX];
extern size_t cap_len[NLIB];
void cap_reset(int lib);

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

struct call {
	enum fn fn;
	int a;           /* prog_fd / link_fd */
	int b;           /* target_fd / new_prog_fd */
	unsigned int u;  /* attach type / id / start id / link type */
	const void *opts;/* the same bytes are given to both libraries */
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
	char log[LOG_MAX];
	struct recording rec;
	unsigned char out[OUT_MAX];
	__u32 len_after;
	int kept;         /* C_KEEP: the returned fd moved to >= 500, or -1 */
};

/* Makes the call through library `lib` and fills *r. */
void run_call(int lib, const struct call *c, struct result *r);

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

struct known {
	const char *name;
	bool (*match)(const struct call *c, const struct result r[NLIB]);
};
/* NULL-terminated. */
extern const struct known known[];

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

/* ---- fixtures ---------------------------------------------------------- */
/*
 * Programs, ids, child cgroups, queries, BTF ids and the cleanup at exit
 * are the kernel tests' own fixtures (support.h; support.c makes them
 * with raw bpf(2) and links no library). What only this suite needs is in
 * diff_fixtures.c:
 */

/* Remembers the id of a link a case created, for the check at the end
 * that the suite left no link behind. */
void note_link_id(__u32 id);
/* How many of the noted links are still alive now (0: all gone). */
int live_noted_links(void);

/* ---- the opts sweep (diff_sweep.c) ----------------------------------- */

/* Makes call c (through diff_call) with c->opts pointing at opts of every
 * interesting sz, with zero bytes and with one byte set to val at each
 * position; returns the number of differing cases. */
unsigned long opts_sweep(struct call *c, size_t struct_size, size_t known_end, const char *desc,
			 unsigned char val);

/* Every field recipe of diff_create.c, at several sizes, for one attach
 * type and pair of fds. */
void create_recipes(unsigned int t, int prog_fd, int target_fd, const char *what);

/* ---- groups (one file each) ------------------------------------------- */
void groups_print(void);
void groups_create(void);
void groups_fallback(void);
void groups_misc(void);
void groups_real(void);
void groups_object(void); /* diff_object.c: the link object functions */

#endif
