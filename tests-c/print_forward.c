/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpf_set_print when libbpf itself is in the process: built twice, once
 * linked with -lbpflink before the reference libbpf, once linked with the
 * reference libbpf alone and run with LD_PRELOAD=libbpflink.so.1. Either
 * way the program's libbpf_set_print is ours, and the callback must also
 * receive the messages libbpf prints from its own code.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "print_common.h"
#include "tap.h"

/* Only libbpf has this: its messages come from libbpf's own code. */
struct bpf_object;
struct bpf_object *bpf_object__open_file(const char *path, const void *opts);

/* Whether the definition the program calls lives in libbpflink. */
static int from_bpflink(void *fn)
{
	Dl_info info;

	return dladdr(fn, &info) && info.dli_fname && strstr(info.dli_fname, "libbpflink");
}

int main(void)
{
	struct bpf_link_create_opts opts;
	struct bpf_object *obj;

	CHECK(from_bpflink((void *)libbpf_set_print), "libbpf_set_print is bpflink's");
	CHECK(from_bpflink((void *)bpf_link_create), "bpf_link_create is bpflink's");
	CHECK(!from_bpflink((void *)bpf_object__open_file), "bpf_object__open_file is libbpf's");
	libbpf_set_print(record);

	seen_reset();
	obj = bpf_object__open_file("/nonexistent/bpflink-test.bpf.o", NULL);
	CHECK(obj == NULL, "libbpf refuses a missing object file");
	CHECK(strstr(seen, "/nonexistent/bpflink-test.bpf.o") != NULL,
	      "libbpf's own message reached our callback: %s", seen);

	seen_reset();
	memset(&opts, 0, sizeof(opts));
	opts.sz = 2;
	bpf_link_create(-1, -1, BPF_XDP, &opts);
	CHECK(!strcmp(seen, "libbpf: bpf_link_create_opts size (2) is too small\n"),
	      "and so did ours: %s", seen);

	libbpf_set_print(NULL);
	seen_reset();
	bpf_object__open_file("/nonexistent/bpflink-test.bpf.o", NULL);
	bpf_link_create(-1, -1, BPF_XDP, &opts);
	CHECK_EQ(seen_count, 0, "NULL silences both libraries");
	return tap_done();
}
