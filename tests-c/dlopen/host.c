/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A host that brings libbpf in with dlopen(RTLD_LOCAL), in one of three
 * shapes, then runs the plugin (tests-c/dlopen/plugin.c) and prints its
 * transcript, one line per event:
 *
 *   host plugin    PLUGIN OBJ          dlopen(plugin): libbpf.so.1 comes in
 *                                      as the plugin's local dependency
 *   host libbpf    PLUGIN OBJ LIBBPF   dlopen(libbpf.so.1, RTLD_LOCAL) first,
 *                                      then the plugin
 *   host late      PLUGIN OBJ          before any libbpf is loaded, calls
 *                                      that make bpflink look for one and
 *                                      find none (only when bpflink is
 *                                      preloaded: they print nothing), then
 *                                      as "plugin"
 *
 * Links neither library; tests-c/check_dlopen.sh runs it with and without
 * LD_PRELOAD=libbpflink.so.1 and compares. Needs root; what it needs of
 * the kernel is probed first (a refused probe: "1..0 # SKIP probe ...",
 * which check_dlopen.sh reports as a named skip). Its fixtures are
 * tests-c/support.c's, which never call a library.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"

typedef void (*emit_fn)(const char *fmt, ...);
typedef int (*plugin_run_fn)(const char *obj_path, int cgroup_fd, emit_fn emit);

static void emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int quiet(int level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/*
 * With bpflink preloaded (its symbols in the global scope): ask it for
 * the things it needs libbpf for while no libbpf is loaded, so that a
 * lookup that finds nothing happens before libbpf arrives. Without the
 * preload these symbols do not exist and nothing happens.
 */
static void touch_bpflink_early(void)
{
	static char not_a_program;
	void *(*set_print)(void *) = dlsym(RTLD_DEFAULT, "libbpf_set_print");
	void *(*from_fd)(int) = dlsym(RTLD_DEFAULT, "bpflink_link_from_fd");
	int (*update_program)(void *, void *) = dlsym(RTLD_DEFAULT, "bpf_link__update_program");
	int (*destroy)(void *) = dlsym(RTLD_DEFAULT, "bpf_link__destroy");
	struct sup_cgroup cg = { .fd = -1 };
	int prog, fd;
	void *obj;

	if (!set_print || !from_fd || !update_program || !destroy)
		return;
	set_print((void *)quiet);
	if (sup_cgroup_create(&cg, "dlopen-early"))
		return;
	prog = sup_prog_load(BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 1);
	fd = prog < 0 ? -1 : sup_link_create_raw(prog, cg.fd, BPF_CGROUP_INET_INGRESS);
	obj = fd < 0 ? NULL : from_fd(fd);
	/* No libbpf yet: refused with "no libbpf is loaded" (silenced
	 * above) before the program is looked at. */
	if (obj)
		update_program(obj, &not_a_program);
	if (obj)
		destroy(obj);
	else if (fd >= 0)
		close(fd);
	if (prog >= 0)
		close(prog);
	sup_cgroup_destroy(&cg);
	set_print(NULL);
}

int main(int argc, char **argv)
{
	struct sup_cgroup cg = { .fd = -1 };
	plugin_run_fn run;
	void *lib = NULL, *plugin;
	const char *why;
	int ret;

	if (argc < 4 || (!strcmp(argv[1], "libbpf") && argc < 5)) {
		fprintf(stderr, "usage: %s plugin|libbpf|late PLUGIN_SO BPF_OBJ [LIBBPF_SO]\n", argv[0]);
		return 2;
	}
	sup_probe_suite("check_dlopen");
	sup_require_root();
	/* What the plugin asks of the kernel: a cgroup link, and the load of
	 * every program in its object (cgroup_skb, xdp, perf_event). */
	why = sup_probe_why("cgroup2_mount,link_cgroup,prog_xdp,prog_perf_event");
	if (why)
		TAP_SKIP_ALL("%s", why);
	if (!strcmp(argv[1], "late"))
		touch_bpflink_early();
	if (!strcmp(argv[1], "libbpf")) {
		lib = dlopen(argv[4], RTLD_NOW | RTLD_LOCAL);
		if (!lib) {
			emit("dlopen libbpf: %s", dlerror());
			return 1;
		}
	}
	plugin = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!plugin) {
		emit("dlopen plugin: %s", dlerror());
		return 1;
	}
	run = (plugin_run_fn)dlsym(plugin, "plugin_run");
	if (!run || sup_cgroup_create(&cg, "dlopen")) {
		emit("plugin_run or cgroup missing");
		return 1;
	}
	ret = run(argv[3], cg.fd, emit);
	emit("plugin_run: %d", ret);
	sup_cgroup_destroy(&cg);
	dlclose(plugin);
	if (lib)
		dlclose(lib);
	return ret;
}
