/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in for OP-TEE's <malloc.h> (lib/libutils/isoc/include/malloc.h, which
 * includes <pta_stats.h> for struct pta_stats_alloc), for optee.link's
 * compile of src/tee/optee/cdl_tee_ext_optee.c. Layout as OP-TEE's.
 */
#ifndef CDL_OPTEE_SHIM_MALLOC_H
#define CDL_OPTEE_SHIM_MALLOC_H

#include <stddef.h>
#include <stdint.h>

#define TEE_ALLOCATOR_DESC_LENGTH 32

struct pta_stats_alloc {
	char desc[TEE_ALLOCATOR_DESC_LENGTH];
	uint32_t allocated;	/* bytes allocated now */
	uint32_t max_allocated; /* most ever allocated */
	uint32_t size;		/* the pool's size */
	uint32_t num_alloc_fail;
	uint32_t biggest_alloc_fail;
	uint32_t biggest_alloc_fail_used;
};

#endif /* CDL_OPTEE_SHIM_MALLOC_H */
