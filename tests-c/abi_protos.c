// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Compile-only check, run by check_headers.sh with gcc/g++/clang as C11 and
 * C++17 under -Wall -Wextra -Werror: our <bpf/bpf.h> and <bpf/libbpf.h>
 * followed by every exported function redeclared with the prototype text of
 * libbpf v1.7.0's headers (copied verbatim). A redeclaration that differs
 * in any type is an error in C ("conflicting types") and, inside
 * extern "C", in C++ too. The same file also compiles against libbpf's
 * own headers (a control), and with -DPROTO_MUTANT it must fail (proof that
 * the check bites).
 *
 * In C it also uses the options macros the way libbpf's users do.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- verbatim from libbpf v1.7.0 include/bpf/bpf.h ---- */
LIBBPF_API int bpf_link_create(int prog_fd, int target_fd,
			       enum bpf_attach_type attach_type,
			       const struct bpf_link_create_opts *opts);

LIBBPF_API int bpf_link_detach(int link_fd);

LIBBPF_API int bpf_link_update(int link_fd, int new_prog_fd,
			       const struct bpf_link_update_opts *opts);

LIBBPF_API int bpf_iter_create(int link_fd);

LIBBPF_API int bpf_link_get_next_id(__u32 start_id, __u32 *next_id);

LIBBPF_API int bpf_link_get_fd_by_id(__u32 id);
LIBBPF_API int bpf_link_get_fd_by_id_opts(__u32 id,
				const struct bpf_get_fd_by_id_opts *opts);

LIBBPF_API int bpf_link_get_info_by_fd(int link_fd, struct bpf_link_info *info, __u32 *info_len);

/* ---- verbatim from libbpf v1.7.0 include/bpf/libbpf.h ---- */
LIBBPF_API const char *libbpf_bpf_link_type_str(enum bpf_link_type t);

typedef int (*libbpf_print_fn_t)(enum libbpf_print_level level,
				 const char *, va_list ap);

LIBBPF_API libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);

#ifdef PROTO_MUTANT
/* One wrong type: must not compile. */
LIBBPF_API int bpf_link_detach(unsigned int link_fd);
#endif

#ifdef __cplusplus
}
#endif

/* A callback written against libbpf's typedef and level names. */
static int print_cb(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)fmt;
	(void)ap;
	return level == LIBBPF_WARN || level == LIBBPF_INFO || level == LIBBPF_DEBUG;
}

int use_prototypes(void);
int use_prototypes(void)
{
	libbpf_print_fn_t old = libbpf_set_print(print_cb);
	const char *name = libbpf_bpf_link_type_str(BPF_LINK_TYPE_CGROUP);
	enum libbpf_print_level lvl = LIBBPF_DEBUG;
	__u32 id = 0;

	libbpf_set_print(old);
	return (name != 0) + (int)lvl + bpf_link_get_next_id(id, &id) + bpf_link_detach(-1) +
	       bpf_iter_create(-1) + bpf_link_get_fd_by_id(id) +
	       bpf_link_get_fd_by_id_opts(id, 0) + bpf_link_update(-1, -1, 0) +
	       bpf_link_create(-1, -1, BPF_CGROUP_INET_INGRESS, 0) +
	       bpf_link_get_info_by_fd(-1, 0, &id);
}

#ifndef __cplusplus
/* The options macros as libbpf's users write them (C only: they use
 * statement expressions and nested designators). */
int use_macros(void);
int use_macros(void)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .uprobe_multi.cnt = 1);
	DECLARE_LIBBPF_OPTS(bpf_link_update_opts, u, .flags = BPF_F_REPLACE, .old_prog_fd = 3);
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, g, .open_flags = 0, .token_fd = 0);
	int r = 0;

	o.tcx.relative_fd = 5;
	o.tcx.relative_id = 0;
	o.cgroup.expected_revision = 1;
	r += bpf_link_create(-1, -1, BPF_TCX_INGRESS, &o);
#ifndef __STRICT_ANSI__
	/* Needs GNU C's typeof (-std=gnu11 and later), as libbpf's does. */
	LIBBPF_OPTS_RESET(o, .tcx.relative_id = 2, .flags = BPF_F_BEFORE);
	LIBBPF_OPTS_RESET(o);
	LIBBPF_OPTS_RESET(u, .old_map_fd = 4);
#endif
	r += bpf_link_update(-1, -1, &u);
	r += bpf_link_get_fd_by_id_opts(1, &g);
#if __SIZEOF_POINTER__ == 8
	_Static_assert(sizeof(o) == 80, "bpf_link_create_opts is 80 bytes on LP64");
#endif
	_Static_assert(__builtin_types_compatible_p(__typeof__(o.netfilter.priority), __s32),
		       "netfilter.priority is signed");
	return r + (int)o.sz + (int)u.sz + (int)g.sz;
}
#endif
