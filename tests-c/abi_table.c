// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One side of the layout comparison, compiled three times:
 *   abi_ours     -Iinclude: bpflink's headers as shipped (the 1.8 view);
 *   abi_ours_17  -Iinclude -include <libbpf 1.7.0's bpf/libbpf_version.h>:
 *                bpflink's headers as a program that includes libbpf 1.7's
 *                version header first sees them (the 1.7 view);
 *   abi_ref      -I.deps/libbpf-1.7.0/include: libbpf 1.7.0's headers.
 */
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "abi.h"

#ifndef ABI_SIDE
#error "compile with -DABI_SIDE=abi_ours or -DABI_SIDE=abi_ref"
#endif

/* The C type of a member, by name; anonymous structs are "struct". */
#define TYPE_NAME(x)                                                                  \
	_Generic((x),                                                                 \
		size_t: "size_t",                                                     \
		__u32: "__u32",                                                       \
		__s32: "__s32",                                                       \
		__u64: "__u64",                                                       \
		union bpf_iter_link_info *: "union bpf_iter_link_info *",             \
		const char **: "const char **",                                       \
		const char *: "const char *",                                         \
		const unsigned long *: "const unsigned long *",                       \
		const __u64 *: "const __u64 *",                                       \
		const __u32 *: "const __u32 *",                                       \
		default: "struct")

#define MEMBER(T, F) (((struct T *)0)->F)

#define ABI_STRUCT(T)                                                                 \
	{ "sizeof(struct " #T ")", sizeof(struct T), 0, "" },                        \
	{ "_Alignof(struct " #T ")", _Alignof(struct T), 0, "" },
#define ABI_FIELD(T, F)                                                               \
	{ #T "." #F, offsetof(struct T, F), sizeof(MEMBER(T, F)), TYPE_NAME(MEMBER(T, F)) },
/* offsetofend(struct T, T##__last_field), through the header's macro; the
 * type column holds the field the macro names. */
#define ABI_STR(x) #x
#define ABI_XSTR(x) ABI_STR(x)
#define ABI_LAST(T)                                                                   \
	{ "offsetofend(" #T ", " #T "__last_field)",                                 \
	  offsetof(struct T, T##__last_field) + sizeof(MEMBER(T, T##__last_field)), 0, \
	  ABI_XSTR(T##__last_field) },
#define ABI_CONST(E) { #E, (unsigned long)(E), 0, "" },

static const struct abi_row rows[] = {
#include "abi_fields.h"
};

/* What the initialisation macros produce, byte for byte. */
static struct abi_image images[8];

static size_t n_images;

static void add_image(const char *what, const void *p, size_t size)
{
	struct abi_image *im;

	if (n_images >= sizeof(images) / sizeof(images[0]))
		return;
	im = &images[n_images++];

	im->what = what;
	im->size = size;
	memset(im->bytes, 0xEE, sizeof(im->bytes));
	memcpy(im->bytes, p, size < ABI_IMG_MAX ? size : ABI_IMG_MAX);
}

__attribute__((constructor)) static void make_images(void)
{
	static union bpf_iter_link_info li;
	{
		LIBBPF_OPTS(bpf_link_create_opts, o);
		add_image("LIBBPF_OPTS(bpf_link_create_opts, o)", &o, sizeof(o));
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, o, .uprobe_multi.cnt = 1, .uprobe_multi.pid = 7);
		add_image("LIBBPF_OPTS(bpf_link_create_opts, o, .uprobe_multi.cnt = 1, .pid = 7)", &o,
			  sizeof(o));
	}
	{
		LIBBPF_OPTS(bpf_link_create_opts, o, .tcx.relative_fd = 3, .flags = BPF_F_BEFORE,
			    .iter_info = &li);
		o.iter_info = NULL; /* the address differs between the two objects */
		add_image("LIBBPF_OPTS(bpf_link_create_opts, o, .tcx.relative_fd, .flags)", &o,
			  sizeof(o));
	}
	{
		DECLARE_LIBBPF_OPTS(bpf_link_update_opts, o, .old_map_fd = 2);
		add_image("DECLARE_LIBBPF_OPTS(bpf_link_update_opts, o, .old_map_fd = 2)", &o,
			  sizeof(o));
	}
	{
		LIBBPF_OPTS(bpf_get_fd_by_id_opts, o, .token_fd = 9);
		add_image("LIBBPF_OPTS(bpf_get_fd_by_id_opts, o, .token_fd = 9)", &o, sizeof(o));
	}
	{
		struct bpf_link_create_opts o;

		memset(&o, 0xFF, sizeof(o));
		LIBBPF_OPTS_RESET(o, .netfilter.priority = -1);
		add_image("LIBBPF_OPTS_RESET(dirty bpf_link_create_opts, .netfilter.priority = -1)",
			  &o, sizeof(o));
	}
	{
		struct bpf_link_update_opts o;

		memset(&o, 0xFF, sizeof(o));
		LIBBPF_OPTS_RESET(o);
		add_image("LIBBPF_OPTS_RESET(dirty bpf_link_update_opts)", &o, sizeof(o));
	}
#if __LIBBPF_CURRENT_VERSION_GEQ(1, 8)
	/* Only in a 1.8 view: after every image of the 1.7 views. */
	{
		LIBBPF_OPTS(bpf_link_create_opts, o, .uprobe_multi.flags = 2,
			    .uprobe_multi.path_fd = 5);
		add_image("LIBBPF_OPTS(bpf_link_create_opts, o, .uprobe_multi.flags = 2, .path_fd = 5)",
			  &o, sizeof(o));
	}
#endif
}

const struct abi_side ABI_SIDE = {
	.rows = rows,
	.n_rows = sizeof(rows) / sizeof(rows[0]),
	.images = images,
	.n_images = &n_images,
};
