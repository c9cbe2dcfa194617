// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The options sweep: one call made with an opts buffer of every
 * interesting `sz`, each time with all bytes after sz zero and then with
 * exactly one byte set, at every position from the end of `sz` to 16
 * bytes past the struct (known fields, padding, the unknown tail, and
 * bytes beyond `sz` that must not be read at all).
 *
 * The sizes cover: 0..sizeof+16 one by one; 4096 (a much newer caller,
 * with the far tail probed too); and the huge values where libbpf's
 * signed/unsigned arithmetic decides whether the tail is scanned
 * (SIZE_MAX, SIZE_MAX - 80, 2^63 + known_end: no scan; 2^63,
 * 2^63 + known_end - 1, SSIZE_MAX: scan). Every size larger than the
 * buffer gets a non-zero "marker" byte inside the buffer, so that a library
 * that does scan the tail stops there instead of running off the end: even
 * where OPTS_VALID does not scan, libbpf's OPTS_ZEROED(member) may (its
 * `sz - offsetofend(member)` is positive again for sz just above 2^63 when
 * the member ends past the known end, as uprobe_multi does: 80 > 76).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "diff_groups.h"

#define BUF_SZ 8192
static unsigned char buf[BUF_SZ] __attribute__((aligned(16)));

#define MARKER_POS 300

static void put_sz(size_t sz)
{
	memcpy(buf, &sz, sizeof(sz));
}

static unsigned long sweep_one(struct call *c, size_t sz, int pos, unsigned char val,
			       bool marker, const char *desc)
{
	unsigned long fails = 0;

	put_sz(sz);
	if (pos >= 0)
		buf[pos] = val;
	if (marker)
		buf[MARKER_POS] = 0x77;
	c->opts = buf;
	c->opts_len = sizeof(buf);
	if (!diff_call(c, NULL, "%s sz=%zu(%#zx) %s%d%s=%#x%s", desc, sz, sz,
		       pos >= 0 ? "byte[" : "", pos, pos >= 0 ? "]" : " no byte",
		       pos >= 0 ? val : 0, marker ? " marker@300" : ""))
		fails++;
	if (pos >= 0)
		buf[pos] = 0;
	if (marker)
		buf[MARKER_POS] = 0;
	return fails;
}

unsigned long opts_sweep(struct call *c, size_t struct_size, size_t known_end, const char *desc,
			 unsigned char val)
{
	const size_t top = struct_size + 16;
	const size_t h = (size_t)1 << 63;
	static const int far[] = { 100, 1000, 4000, 4095, 4096, 4100 };
	const size_t no_scan[] = { SIZE_MAX, SIZE_MAX - 80, h + known_end, h + known_end + 1 };
	const size_t scan[] = { h, h + known_end - 1, h - 1, (size_t)BUF_SZ * 4 };
	unsigned long fails = 0;
	size_t sz, i;
	int pos;

	memset(buf, 0, sizeof(buf));
	for (sz = 0; sz <= top; sz++) {
		fails += sweep_one(c, sz, -1, 0, false, desc);
		for (pos = 8; pos <= (int)top; pos++)
			fails += sweep_one(c, sz, pos, val, false, desc);
	}
	fails += sweep_one(c, 4096, -1, 0, false, desc);
	for (pos = 8; pos <= (int)top; pos++)
		fails += sweep_one(c, 4096, pos, val, false, desc);
	for (i = 0; i < sizeof(far) / sizeof(far[0]); i++)
		fails += sweep_one(c, 4096, far[i], val, false, desc);
	for (i = 0; i < sizeof(no_scan) / sizeof(no_scan[0]); i++) {
		fails += sweep_one(c, no_scan[i], -1, 0, true, desc);
		for (pos = 8; pos <= (int)top; pos++)
			fails += sweep_one(c, no_scan[i], pos, val, true, desc);
	}
	for (i = 0; i < sizeof(scan) / sizeof(scan[0]); i++) {
		fails += sweep_one(c, scan[i], -1, 0, true, desc);
		for (pos = 8; pos <= (int)top; pos += 4)
			fails += sweep_one(c, scan[i], pos, val, true, desc);
	}
	c->opts = NULL;
	c->opts_len = 0;
	return fails;
}
