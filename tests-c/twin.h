/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Two libraries side by side in one process: bpflink and the reference
 * libbpf v1.7.0, each dlopen()ed with RTLD_LOCAL so that neither sees the
 * other's symbols, and each reached only through a table of function
 * pointers looked up in it. Every program that compares the two uses
 * this: the differential suite (diff_*.c), the hardening tests that
 * compare (hard.h), interop.c, and the benchmark driver (bench/bench.c,
 * which adds a third, bench/raw.c).
 *
 * Such a program links neither library. It is compiled against the
 * *reference* headers (-I.deps/libbpf-1.7.0/include), so options structs
 * are laid out as libbpf's own clients lay them out; the prototypes there
 * only give the types of the pointers. bpflink's one function of its own,
 * bpflink_link_from_fd(), is declared in the table.
 *
 * What twin.c provides:
 *   - the paths: $BPFLINK_SO and $REF_SO, else the OURS_SO and REF_SO the
 *     Makefile compiles in (twin.c has the fallbacks for a build by hand);
 *   - twin_load(): both libraries into libs[OURS] and libs[REF], every
 *     symbol of the groups the program needs, or "Bail out!";
 *   - message capture: each library's libbpf_set_print gets a callback of
 *     its own that appends "<level>text" to that library's log and then
 *     sets errno to EDOM, so that a library which does not give its caller
 *     the errno back after calling the callback is caught;
 *   - the order of the two libbpf_set_print calls (twin_set_print()).
 *     bpflink hands the callback it is given on to every libbpf loaded in
 *     the process, the reference beside it included (src/peer.rs), while
 *     libbpf knows nothing of bpflink. So bpflink's is always set first,
 *     and the reference's second replaces what bpflink handed it.
 *
 * twin.c never defines a name of either library, so that an executable
 * linked with -rdynamic (diff_link's syscall(), bench's malloc family) does
 * not take any of their functions over.
 */
#ifndef BPFLINK_TESTS_TWIN_H
#define BPFLINK_TESTS_TWIN_H

#include <stdbool.h>
#include <stddef.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

enum { OURS = 0, REF = 1, NLIB = 2 };

/* errno is set to this before every compared call, so that a library
 * which leaves errno alone can be told from one that sets it. */
#define TWIN_ERRNO_SENTINEL 4242

/* Room for the messages of one call (or one step) in each library's log. */
#define TWIN_LOG_MAX 2048

/* The symbol groups of the table. */
enum twin_group {
	TWIN_LOW = 1 << 0,    /* bpf.h's link functions, libbpf_bpf_link_type_str,
			       * libbpf_set_print: in both */
	TWIN_OBJECT = 1 << 1, /* bpf_link__*: in both */
	TWIN_OWN = 1 << 2,    /* bpflink_link_from_fd: bpflink only */
	TWIN_LOADER = 1 << 3, /* bpf_object__* and bpf_program__attach_*: only the
			       * reference is asked for these (bpflink has no loader) */
};

/* One library: its functions (NULL where it has none) and its messages. */
struct lib {
	const char *name; /* "bpflink", "libbpf" (the benchmark: "ours", "ref", "raw") */
	const char *path;
	void *handle;
	int lib; /* OURS or REF: its index in libs[] */

	/* TWIN_LOW */
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
	/* TWIN_OBJECT */
	__typeof__(&bpf_link__open) open;
	__typeof__(&bpf_link__fd) fd;
	__typeof__(&bpf_link__pin) pin;
	__typeof__(&bpf_link__pin_path) pin_path;
	__typeof__(&bpf_link__unpin) unpin;
	__typeof__(&bpf_link__detach) detach;
	__typeof__(&bpf_link__disconnect) disconnect;
	__typeof__(&bpf_link__destroy) destroy;
	__typeof__(&bpf_link__update_program) update_program;
	/* TWIN_OWN */
	struct bpf_link *(*from_fd)(int fd);
	/* TWIN_LOADER */
	__typeof__(&bpf_object__open_file) object_open_file;
	__typeof__(&bpf_object__load) object_load;
	__typeof__(&bpf_object__close) object_close;
	__typeof__(&bpf_object__find_program_by_name) find_program;
	__typeof__(&bpf_program__attach_cgroup) attach_cgroup;
	__typeof__(&bpf_program__attach_perf_event) attach_perf_event;

	/* This library's capturing print callback (twin_load() sets it; it is
	 * installed by twin_capture()), and what it received since the last
	 * twin_log_reset(): "<level>text" per message, cut at TWIN_LOG_MAX.
	 * Messages of a level above log_upto are not kept (twin_load() sets
	 * it to LIBBPF_DEBUG: all are). */
	libbpf_print_fn_t capture;
	char log[TWIN_LOG_MAX];
	size_t log_len;
	enum libbpf_print_level log_upto;
};

/* libs[OURS]: bpflink, libs[REF]: the reference libbpf. */
extern struct lib libs[NLIB];

/* The path of bpflink (OURS) or the reference (REF): the environment's
 * BPFLINK_SO / REF_SO when set and not empty, else the built-in one. */
const char *twin_path(int lib);

/*
 * Loads both libraries into libs[] (dlopen RTLD_NOW | RTLD_LOCAL) and
 * looks up every symbol of the table. A symbol of a group in `need` that
 * a library lacks ends the program ("Bail out!"); any other one missing
 * stays NULL and is reported once, as a TAP comment. Sets each library's
 * capture callback, without installing it.
 */
void twin_load(unsigned int need);

/* Whether every symbol of `groups` was found in each library asked for it. */
bool twin_has(unsigned int groups);

/*
 * For a program with libraries of its own (the benchmark): opens `path`
 * into L (name and path kept, lib set to -1, nothing looked up), or returns
 * false with dlerror()'s text available; then twin_sym() looks up one symbol
 * of the table by its library name into its field and returns it (NULL
 * when L lacks it; a name outside the table is the program's mistake and
 * aborts).
 */
bool twin_open(struct lib *L, const char *name, const char *path);
void *twin_sym(struct lib *L, const char *symbol);

/*
 * The print callbacks, in the one safe order: bpflink's first, then the
 * reference's (see the top of this file). twin_capture() installs each
 * library's capture, twin_print_off() sets both to NULL.
 */
void twin_set_print(libbpf_print_fn_t ours, libbpf_print_fn_t ref);
void twin_capture(void);
void twin_print_off(void);

/* Empties a library's log. */
static inline void twin_log_reset(struct lib *L)
{
	L->log_len = 0;
	L->log[0] = 0;
}

#endif
