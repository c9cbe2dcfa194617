// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpflink and the reference libbpf side by side: loading, the function
 * table, message capture and the order of the print callbacks (twin.h).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twin.h"

/* The Makefile always passes both; these are for a build by hand from the
 * top of the tree. */
#ifndef OURS_SO
#define OURS_SO "build/libbpflink.so.1"
#endif
#ifndef REF_SO
#define REF_SO ".deps/libbpf-1.7.0/lib/libbpf.so.1.7.0"
#endif

struct lib libs[NLIB];

/* The table: each symbol, where its pointer goes, and its group. */
#define S(sym, field, group) { #sym, offsetof(struct lib, field), group }
static const struct twin_sym {
	const char *sym;
	size_t off;
	unsigned int group;
} table[] = {
	S(bpf_link_create, link_create, TWIN_LOW),
	S(bpf_link_detach, link_detach, TWIN_LOW),
	S(bpf_link_update, link_update, TWIN_LOW),
	S(bpf_iter_create, iter_create, TWIN_LOW),
	S(bpf_link_get_next_id, link_get_next_id, TWIN_LOW),
	S(bpf_link_get_fd_by_id, link_get_fd_by_id, TWIN_LOW),
	S(bpf_link_get_fd_by_id_opts, link_get_fd_by_id_opts, TWIN_LOW),
	S(bpf_link_get_info_by_fd, link_get_info_by_fd, TWIN_LOW),
	S(libbpf_bpf_link_type_str, link_type_str, TWIN_LOW),
	S(libbpf_set_print, set_print, TWIN_LOW),
	S(bpf_link__open, open, TWIN_OBJECT),
	S(bpf_link__fd, fd, TWIN_OBJECT),
	S(bpf_link__pin, pin, TWIN_OBJECT),
	S(bpf_link__pin_path, pin_path, TWIN_OBJECT),
	S(bpf_link__unpin, unpin, TWIN_OBJECT),
	S(bpf_link__detach, detach, TWIN_OBJECT),
	S(bpf_link__disconnect, disconnect, TWIN_OBJECT),
	S(bpf_link__destroy, destroy, TWIN_OBJECT),
	S(bpf_link__update_program, update_program, TWIN_OBJECT),
	S(bpflink_link_from_fd, from_fd, TWIN_OWN),
	S(bpf_object__open_file, object_open_file, TWIN_LOADER),
	S(bpf_object__load, object_load, TWIN_LOADER),
	S(bpf_object__close, object_close, TWIN_LOADER),
	S(bpf_object__find_program_by_name, find_program, TWIN_LOADER),
	S(bpf_program__attach_cgroup, attach_cgroup, TWIN_LOADER),
	S(bpf_program__attach_perf_event, attach_perf_event, TWIN_LOADER),
};
#undef S
#define NSYMS (sizeof(table) / sizeof(table[0]))

const char *twin_path(int lib)
{
	const char *env = getenv(lib == OURS ? "BPFLINK_SO" : "REF_SO");

	if (env && *env)
		return env;
	return lib == OURS ? OURS_SO : REF_SO;
}

static void *lookup(struct lib *L, const struct twin_sym *s)
{
	void *p = dlsym(L->handle, s->sym);

	/* POSIX has dlsym hand out function pointers as void *. */
	memcpy((char *)L + s->off, &p, sizeof(p));
	return p;
}

bool twin_open(struct lib *L, const char *name, const char *path)
{
	L->name = name;
	L->path = path;
	L->lib = -1;
	L->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	return L->handle != NULL;
}

void *twin_sym(struct lib *L, const char *symbol)
{
	size_t i;

	for (i = 0; i < NSYMS; i++)
		if (!strcmp(table[i].sym, symbol))
			return lookup(L, &table[i]);
	fprintf(stderr, "twin_sym: %s is not in the table of twin.c\n", symbol);
	abort();
}

/* ---- message capture --------------------------------------------------- */

static void capture(struct lib *L, enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level > L->log_upto)
		goto out;
	if (L->log_len + 8 < sizeof(L->log)) {
		n = snprintf(L->log + L->log_len, sizeof(L->log) - L->log_len, "<%d>", (int)level);
		if (n > 0)
			L->log_len += (size_t)n;
	}
	if (L->log_len + 1 < sizeof(L->log)) {
		n = vsnprintf(L->log + L->log_len, sizeof(L->log) - L->log_len, fmt, ap);
		if (n > 0)
			L->log_len += (size_t)n;
	}
	if (L->log_len >= sizeof(L->log))
		L->log_len = sizeof(L->log) - 1;
out:
	/* The library must give its caller the caller's errno back, whatever
	 * the callback did to it (libbpf saves and restores it). */
	errno = EDOM;
}

static int capture_ours(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	capture(&libs[OURS], level, fmt, ap);
	return 0;
}

static int capture_ref(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	capture(&libs[REF], level, fmt, ap);
	return 0;
}

void twin_set_print(libbpf_print_fn_t ours, libbpf_print_fn_t ref)
{
	/* bpflink's call also sets the reference's callback (twin.h); the
	 * reference's own call, second, puts its own in place. */
	libs[OURS].set_print(ours);
	libs[REF].set_print(ref);
}

void twin_capture(void)
{
	twin_set_print(libs[OURS].capture, libs[REF].capture);
}

void twin_print_off(void)
{
	twin_set_print(NULL, NULL);
}

/* ---- loading ----------------------------------------------------------- */

/* Which groups are asked of which library: bpflink has no loader, the
 * reference has no bpflink_link_from_fd. */
static bool asked(int lib, unsigned int group)
{
	if (group == TWIN_OWN)
		return lib == OURS;
	if (group == TWIN_LOADER)
		return lib == REF;
	return true;
}

static void load_one(int lib, const char *name, unsigned int need)
{
	struct lib *L = &libs[lib];
	char missing[512] = "";
	size_t i;

	if (!twin_open(L, name, twin_path(lib))) {
		printf("Bail out! dlopen %s: %s\n", L->path, dlerror());
		exit(1);
	}
	L->lib = lib;
	L->capture = lib == OURS ? capture_ours : capture_ref;
	L->log_upto = LIBBPF_DEBUG;
	for (i = 0; i < NSYMS; i++) {
		if (!asked(lib, table[i].group) || lookup(L, &table[i]))
			continue;
		if (need & table[i].group) {
			printf("Bail out! %s: %s not found: %s\n", L->path, table[i].sym,
			       dlerror());
			exit(1);
		}
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
			 missing[0] ? ", " : "", table[i].sym);
	}
	if (missing[0])
		printf("# %s (%s) lacks %s; not needed here\n", L->name, L->path, missing);
}

bool twin_has(unsigned int groups)
{
	void *p;
	size_t i;
	int lib;

	for (lib = 0; lib < NLIB; lib++)
		for (i = 0; i < NSYMS; i++) {
			if (!(groups & table[i].group) || !asked(lib, table[i].group))
				continue;
			memcpy(&p, (const char *)&libs[lib] + table[i].off, sizeof(p));
			if (!p)
				return false;
		}
	return true;
}

void twin_load(unsigned int need)
{
	load_one(OURS, "bpflink", need);
	load_one(REF, "libbpf", need);
}
