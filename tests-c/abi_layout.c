// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ABI layout check: every row of abi_fields.h (offsets, sizes and types of
 * every opts field, struct sizes and alignment, offsetofend of each
 * *__last_field, libbpf.h constants) and every macro image must be the same
 * under bpflink's headers as under libbpf v1.7.0's. One TAP line per row.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "abi.h"
#include "tap.h"

int main(void)
{
	size_t i, k;

	CHECK_EQ(abi_ours.n_rows, abi_ref.n_rows, "both sides have the same rows");
	for (i = 0; i < abi_ours.n_rows && i < abi_ref.n_rows; i++) {
		const struct abi_row *o = &abi_ours.rows[i], *r = &abi_ref.rows[i];

		if (!CHECK(o->a == r->a && o->b == r->b && !strcmp(o->type, r->type) &&
				   !strcmp(o->what, r->what),
			   "%s: %lu/%lu %s", r->what, r->a, r->b, r->type))
			printf("#   bpflink: %s = %lu/%lu %s\n#   libbpf:  %s = %lu/%lu %s\n", o->what,
			       o->a, o->b, o->type, r->what, r->a, r->b, r->type);
	}
	CHECK_EQ(*abi_ours.n_images, *abi_ref.n_images, "both sides have the same macro images");
	for (i = 0; i < *abi_ours.n_images && i < *abi_ref.n_images; i++) {
		const struct abi_image *o = &abi_ours.images[i], *r = &abi_ref.images[i];
		bool same = o->size == r->size && !memcmp(o->bytes, r->bytes, ABI_IMG_MAX);

		if (!CHECK(same, "%s: %zu bytes identical", r->what, r->size)) {
			printf("#   bpflink:");
			for (k = 0; k < o->size && k < ABI_IMG_MAX; k++)
				printf(" %02x", o->bytes[k]);
			printf("\n#   libbpf: ");
			for (k = 0; k < r->size && k < ABI_IMG_MAX; k++)
				printf(" %02x", r->bytes[k]);
			printf("\n");
		}
	}
	return tap_done();
}
