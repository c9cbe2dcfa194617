// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The part of the test fixtures that calls the library under test, kept
 * apart from support.c so that the differential binary, which links no
 * library, can link support.c alone. Only the test_* binaries link this.
 */
#include <bpf/bpf.h>

#include "support.h"

int sup_link_info(int link_fd, struct bpf_link_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_link_get_info_by_fd(link_fd, info, &len);
}
