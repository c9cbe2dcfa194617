// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ABI layout check. Every row of abi_fields.h (offsets, sizes and types of
 * every opts field, struct sizes and alignment, offsetofend of each
 * *__last_field and the field it names, libbpf.h constants) and every
 * macro image:
 *
 *  1. bpflink's headers in their libbpf 1.7 view (libbpf 1.7.0's
 *     libbpf_version.h included first) must be exactly libbpf v1.7.0's;
 *  2. bpflink's headers as shipped (their 1.8 view) must be libbpf 1.8's
 *     layout as docs/libbpf-1.8.md states it: 1.7.0's rows wherever 1.8
 *     changed nothing, and the rows of rules_1_8 below where it did. No
 *     libbpf 1.8 header is compiled here: these are the documented values.
 *
 * One TAP line per row.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "tap.h"

/* What libbpf 1.8 declares differently from 1.7.0 (docs/libbpf-1.8.md):
 * name, offset or value, size, C type (the field the macro names, for
 * the *__last_field row). */
static const struct abi_row rules_1_8[] = {
	{ "bpf_link_create_opts.uprobe_multi.path_fd", 76, 4, "__u32" },
	{ "bpf_link_create_opts.tracing_multi", 32, 24, "struct" },
	{ "bpf_link_create_opts.tracing_multi.ids", 32, 8, "const __u32 *" },
	{ "bpf_link_create_opts.tracing_multi.cookies", 40, 8, "const __u64 *" },
	{ "bpf_link_create_opts.tracing_multi.cnt", 48, 4, "__u32" },
	{ "offsetofend(bpf_link_create_opts, bpf_link_create_opts__last_field)", 80, 0,
	  "uprobe_multi.path_fd" },
	{ "LIBBPF_MINOR_VERSION", 8, 0, "" },
	{ "__LIBBPF_CURRENT_VERSION_GEQ(1, 8)", 1, 0, "" },
};
#define N_RULES (sizeof(rules_1_8) / sizeof(rules_1_8[0]))

/* The one image only a 1.8 view has (abi_table.c makes it last):
 * sz 80, uprobe_multi.flags 2 at 32, uprobe_multi.path_fd 5 at 76. */
static const char path_fd_image[] =
	"LIBBPF_OPTS(bpf_link_create_opts, o, .uprobe_multi.flags = 2, .path_fd = 5)";

static const struct abi_row *find(const struct abi_row *rows, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].what, what))
			return &rows[i];
	return NULL;
}

static bool same_row(const struct abi_row *o, const struct abi_row *r)
{
	return o->a == r->a && o->b == r->b && !strcmp(o->type, r->type) && !strcmp(o->what, r->what);
}

static void show_rows(const char *ours, const struct abi_row *o, const char *want,
		      const struct abi_row *r)
{
	printf("#   %-18s %s = %lu/%lu %s\n#   %-18s %s = %lu/%lu %s\n", ours, o->what, o->a, o->b,
	       o->type, want, r->what, r->a, r->b, r->type);
}

static void show_bytes(const char *who, const struct abi_image *im)
{
	size_t k;

	printf("#   %-18s", who);
	for (k = 0; k < im->size && k < ABI_IMG_MAX; k++)
		printf(" %02x", im->bytes[k]);
	printf("\n");
}

static bool check_image(const struct abi_image *o, const struct abi_image *r, const char *view)
{
	bool same = o->size == r->size && !memcmp(o->bytes, r->bytes, ABI_IMG_MAX) &&
		    !strcmp(o->what, r->what);

	if (!CHECK(same, "%s: %s: %zu bytes identical", view, r->what, r->size)) {
		show_bytes("bpflink:", o);
		show_bytes("libbpf 1.7.0:", r);
	}
	return same;
}

/* 1. The 1.7 view against libbpf 1.7.0, row by row. */
static void view_1_7(void)
{
	const char *view = "1.7 view == libbpf 1.7.0";
	size_t i;

	CHECK_EQ(abi_ours_17.n_rows, abi_ref.n_rows, "%s: the same rows", view);
	for (i = 0; i < abi_ours_17.n_rows && i < abi_ref.n_rows; i++) {
		const struct abi_row *o = &abi_ours_17.rows[i], *r = &abi_ref.rows[i];

		if (!CHECK(same_row(o, r), "%s: %s: %lu/%lu %s", view, r->what, r->a, r->b, r->type))
			show_rows("bpflink:", o, "libbpf 1.7.0:", r);
	}
	CHECK_EQ(*abi_ours_17.n_images, *abi_ref.n_images, "%s: the same macro images", view);
	for (i = 0; i < *abi_ours_17.n_images && i < *abi_ref.n_images; i++)
		check_image(&abi_ours_17.images[i], &abi_ref.images[i], view);
}

/* How many of rows the 1.8 view lacks (each named in a comment). */
static int missing(const struct abi_row *rows, size_t n)
{
	int k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (!find(abi_ours.rows, abi_ours.n_rows, rows[i].what)) {
			printf("#   the 1.8 view has no row %s\n", rows[i].what);
			k++;
		}
	return k;
}

/* 2. The 1.8 view against 1.7.0's rows and the documented changes. */
static void view_1_8(void)
{
	const char *view = "1.8 view == libbpf 1.8 as documented";
	const struct abi_image *extra;
	size_t i;

	for (i = 0; i < abi_ours.n_rows; i++) {
		const struct abi_row *o = &abi_ours.rows[i];
		const struct abi_row *w = find(rules_1_8, N_RULES, o->what);
		const bool changed = w != NULL;

		if (!changed)
			w = find(abi_ref.rows, abi_ref.n_rows, o->what);
		if (!w) {
			CHECK(false, "%s: row %s is neither 1.7.0's nor documented for 1.8", view,
			      o->what);
			continue;
		}
		if (!CHECK(same_row(o, w), "%s: %s: %lu/%lu %s (%s)", view, w->what, w->a, w->b,
			   w->type, changed ? "changed in 1.8" : "as in 1.7.0"))
			show_rows("bpflink:", o, changed ? "1.8 (documented):" : "libbpf 1.7.0:", w);
	}
	CHECK_EQ(missing(rules_1_8, N_RULES), 0, "%s: every row documented for 1.8 is there",
		 view);
	CHECK_EQ(missing(abi_ref.rows, abi_ref.n_rows), 0, "%s: every row of 1.7.0 is there", view);

	/* The macros fill the struct as 1.7.0's do (same layout, path_fd zero),
	 * and one image more shows path_fd and the flag where 1.8 puts them. */
	CHECK_EQ(*abi_ours.n_images, *abi_ref.n_images + 1, "%s: 1.7.0's macro images and one more",
		 view);
	for (i = 0; i < *abi_ref.n_images && i < *abi_ours.n_images; i++)
		check_image(&abi_ours.images[i], &abi_ref.images[i], view);
	if (*abi_ours.n_images == *abi_ref.n_images + 1) {
		struct abi_image want = { path_fd_image, 80, { 0 } };
		const size_t sz = 80;
		const uint32_t flags = 2, path_fd = 5;

		memset(want.bytes, 0xEE, sizeof(want.bytes));
		memset(want.bytes, 0, 80);
		memcpy(want.bytes, &sz, sizeof(sz));
		memcpy(want.bytes + 32, &flags, sizeof(flags));
		memcpy(want.bytes + 76, &path_fd, sizeof(path_fd));
		extra = &abi_ours.images[*abi_ref.n_images];
		if (!CHECK(extra->size == want.size && !strcmp(extra->what, want.what) &&
				   !memcmp(extra->bytes, want.bytes, ABI_IMG_MAX),
			   "%s: %s: flags at 32, path_fd at 76", view, want.what)) {
			show_bytes("bpflink:", extra);
			show_bytes("1.8 (documented):", &want);
		}
	}
}

int main(void)
{
	view_1_7();
	view_1_8();
	return tap_done();
}
