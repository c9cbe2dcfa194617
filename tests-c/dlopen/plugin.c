/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A plugin as real programs have them (PCP's BPF agent loads its modules
 * this way): a shared object linked against libbpf.so.1, opened by its
 * host with dlopen(RTLD_LOCAL), so libbpf comes into the process as a
 * local dependency, outside the global symbol scope.
 *
 * Its calls bind to the global scope first, so under
 * LD_PRELOAD=libbpflink.so.1 its libbpf_set_print, bpf_link__update_program
 * and bpf_link__destroy are bpflink's, while libbpf itself stays hidden
 * from dlsym(RTLD_NEXT / RTLD_DEFAULT). bpflink must still find that
 * libbpf: to pass the print callback on (libbpf's own messages) and to
 * read a struct bpf_program through libbpf's bpf_program__fd.
 *
 * plugin_run() writes a transcript through emit(); tests-c/check_dlopen.sh
 * requires it to be the same with and without the preload. Lines starting
 * with "who:" say which library served a call and are compared apart.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

typedef void (*emit_fn)(const char *fmt, ...);
static emit_fn emit;

static int print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = 0;
	emit("print %d: %s", (int)level, buf);
	return 0;
}

/* Which library defines the function the plugin calls. */
static const char *who(void *fn)
{
	Dl_info info;

	if (!dladdr(fn, &info) || !info.dli_fname)
		return "?";
	return strstr(info.dli_fname, "libbpflink") ? "bpflink" : "libbpf";
}

static __u32 link_prog_id(struct bpf_link *link)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len))
		return 0;
	return info.prog_id;
}

static __u32 prog_id(struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return info.id;
}

/* Loads obj_path, attaches obj_ingress_a to the cgroup, switches the link
 * to obj_ingress_b, tries obj_unloaded; everything said through emit(). */
int plugin_run(const char *obj_path, int cgroup_fd, emit_fn e)
{
	struct bpf_program *a, *b, *unloaded;
	struct bpf_object *obj;
	struct bpf_link *link;
	int err;

	emit = e;
	emit("who: libbpf_set_print %s", who((void *)libbpf_set_print));
	emit("who: bpf_link__update_program %s", who((void *)bpf_link__update_program));
	emit("who: bpf_program__fd %s", who((void *)bpf_program__fd));
	libbpf_set_print(print_cb);

	/* A message libbpf prints from its own code. */
	obj = bpf_object__open_file("/nonexistent/bpflink-plugin.bpf.o", NULL);
	emit("open a missing object: %s (errno %d)", obj ? "opened" : "NULL", errno);

	obj = bpf_object__open_file(obj_path, NULL);
	if (!obj) {
		emit("open %s: errno %d", obj_path, errno);
		return 1;
	}
	a = bpf_object__find_program_by_name(obj, "obj_ingress_a");
	b = bpf_object__find_program_by_name(obj, "obj_ingress_b");
	unloaded = bpf_object__find_program_by_name(obj, "obj_unloaded");
	if (!a || !b || !unloaded) {
		emit("programs missing from %s", obj_path);
		bpf_object__close(obj);
		return 1;
	}
	bpf_program__set_autoload(unloaded, false);
	err = bpf_object__load(obj);
	emit("load: %d", err);
	if (err) {
		bpf_object__close(obj);
		return 1;
	}

	link = bpf_program__attach_cgroup(a, cgroup_fd);
	emit("attach a: %s (errno %d)", link ? "ok" : "NULL", link ? 0 : errno);
	if (!link) {
		bpf_object__close(obj);
		return 1;
	}
	emit("link runs a: %s", link_prog_id(link) == prog_id(a) ? "yes" : "no");

	errno = 0;
	err = bpf_link__update_program(link, b);
	emit("update to b: %d (errno %d)", err, err ? errno : 0);
	emit("link runs b: %s", link_prog_id(link) == prog_id(b) ? "yes" : "no");

	errno = 0;
	err = bpf_link__update_program(link, unloaded);
	emit("update to an unloaded program: %d (errno %d)", err, errno);
	emit("link still runs b: %s", link_prog_id(link) == prog_id(b) ? "yes" : "no");

	err = bpf_link__destroy(link);
	emit("destroy: %d", err);
	bpf_object__close(obj);
	libbpf_set_print(NULL);
	return 0;
}
