/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Layout tables for the ABI check. abi_table.c is compiled three times:
 * against bpflink's headers as shipped (their libbpf 1.8 view), against
 * them after libbpf 1.7.0's libbpf_version.h (their 1.7 view), and against
 * libbpf v1.7.0's headers (one TU cannot include both: they declare the
 * same structs), each time turning the X-macro list in abi_fields.h into a
 * table named by ABI_SIDE. abi_layout.c links the three tables and compares
 * them row by row.
 */
#ifndef BPFLINK_ABI_H
#define BPFLINK_ABI_H

#include <stddef.h>

struct abi_row {
	const char *what;   /* "struct.member", "sizeof(struct)", a constant's name */
	unsigned long a, b; /* offset and size; or value and 0 */
	const char *type;   /* the member's C type, as _Generic names it */
};

#define ABI_IMG_MAX 96

/* The bytes a macro (LIBBPF_OPTS & co.) leaves in an opts struct. */
struct abi_image {
	const char *what;
	size_t size;
	unsigned char bytes[ABI_IMG_MAX];
};

struct abi_side {
	const struct abi_row *rows;
	size_t n_rows;
	const struct abi_image *images;
	const size_t *n_images; /* filled in by a constructor */
};

extern const struct abi_side abi_ours, abi_ours_17, abi_ref;

#endif
