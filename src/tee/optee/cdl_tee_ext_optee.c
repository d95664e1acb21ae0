// SPDX-License-Identifier: Apache-2.0
/*
 * cdl's TEE extensions (src/tee/gp/cdl_tee_ext.h) over OP-TEE, for the
 * OP-TEE build of the cdl TA (sub.mk in this directory). The host TEE has its
 * own implementation (src/tee/host); the TA sources are the same.
 *
 * cdl_tee_heap_stats: the TA heap is libutils' bget pool of TA_DATA_SIZE
 *   bytes, which TEE_Malloc allocates from. malloc_get_stats() reports its
 *   size, the bytes allocated now and the most ever allocated (allocator
 *   headers included), which is what the secure-memory budget logic of
 *   src/ta/model.c needs. libutils only has it when OP-TEE builds it with
 *   heap statistics (docs/optee.md); the Makefile looks for it in the dev
 *   kit's libutils.a and otherwise builds with CDL_OPTEE_HEAP_STATS=0: the
 *   size then comes from the GP property gp.ta.dataSize and used/peak read
 *   0, so the TA plans with the whole heap and relies on TEE_Malloc failing
 *   cleanly when it is not.
 *
 * cdl_tee_derive_ta_key: the system PTA's PTA_SYSTEM_DERIVE_TA_UNIQUE_KEY,
 *   which returns HMAC-SHA256 of the hardware unique key (HUK subkey
 *   HUK_SUBKEY_UNIQUE_TA) over the calling TA's UUID and up to 1024 bytes of
 *   extra data: device- and TA-bound, never visible to the normal world.
 *   The PTA gives 16..32 bytes per call; cdl allows 16..64, so the key is
 *   made of 32-byte blocks, each derived with
 *       extra = label || block index (1 byte) || key_len (1 byte),
 *   an injective encoding: different (label, key_len) never share a block.
 *
 * cdl_tee_worker_count / cdl_tee_run_tasks: an OP-TEE TA session runs on one
 *   thread of one core (OP-TEE has no threads inside a TA), so there is one
 *   worker and the tasks run in turn. A device uses its cores with several
 *   sessions instead (docs/optee.md, "Using several cores").
 *
 * Not compiled here (no TA dev kit on this machine): tests/optee compiles it
 * against stand-ins of the OP-TEE headers it uses, to catch mistakes in it.
 */
#include <string.h>

#include <malloc.h>
#include <pta_system.h>
#include <tee_internal_api.h>

#include "cdl_tee_ext.h"

#ifndef CDL_OPTEE_HEAP_STATS
#define CDL_OPTEE_HEAP_STATS 1
#endif

#if CDL_OPTEE_HEAP_STATS
/*
 * Current OP-TEE passes a struct pta_stats_alloc (<pta_stats.h>, included by
 * <malloc.h>); older releases named the same layout struct malloc_stats
 * (build with CDL_OPTEE_MALLOC_STATS="struct malloc_stats"). <malloc.h>
 * declares the function only under CFG_WITH_STATS, which the TA dev kit does
 * not export to TAs: declare it here (identically).
 */
#ifndef CDL_OPTEE_MALLOC_STATS
#define CDL_OPTEE_MALLOC_STATS struct pta_stats_alloc
#endif
void malloc_get_stats(CDL_OPTEE_MALLOC_STATS *stats);
#endif

#define PTA_KEY_BLOCK TA_DERIVED_KEY_MAX_SIZE /* 32 */

void cdl_tee_heap_stats(size_t *size, size_t *used, size_t *peak)
{
#if CDL_OPTEE_HEAP_STATS
	CDL_OPTEE_MALLOC_STATS st;

	memset(&st, 0, sizeof(st));
	malloc_get_stats(&st);
	if (size)
		*size = st.size;
	if (used)
		*used = st.allocated;
	if (peak)
		*peak = st.max_allocated;
#else
	uint32_t data_size = 0;

	if (TEE_GetPropertyAsU32(TEE_PROPSET_CURRENT_TA, "gp.ta.dataSize", &data_size) !=
	    TEE_SUCCESS)
		data_size = 0;
	if (size)
		*size = data_size;
	if (used)
		*used = 0;
	if (peak)
		*peak = 0;
#endif
}

/* One PTA_SYSTEM_DERIVE_TA_UNIQUE_KEY call: out_len bytes (16..32) from extra. */
static TEE_Result derive_block(TEE_TASessionHandle pta, const uint8_t *extra, size_t extra_len,
			       uint8_t *out, size_t out_len)
{
	const uint32_t types =
	    TEE_PARAM_TYPES(TEE_PARAM_TYPE_MEMREF_INPUT, TEE_PARAM_TYPE_MEMREF_OUTPUT,
			    TEE_PARAM_TYPE_NONE, TEE_PARAM_TYPE_NONE);
	TEE_Param params[TEE_NUM_PARAMS];
	uint32_t origin = 0;

	memset(params, 0, sizeof(params));
	params[0].memref.buffer = (void *)extra;
	params[0].memref.size = extra_len;
	params[1].memref.buffer = out;
	params[1].memref.size = out_len;
	return TEE_InvokeTACommand(pta, TEE_TIMEOUT_INFINITE, PTA_SYSTEM_DERIVE_TA_UNIQUE_KEY,
				   types, params, &origin);
}

TEE_Result cdl_tee_derive_ta_key(const void *label, size_t label_len, void *key, size_t key_len)
{
	static const TEE_UUID system_pta = PTA_SYSTEM_UUID;
	uint8_t extra[CDL_TEE_DERIVE_LABEL_MAX + 2];
	uint8_t block[PTA_KEY_BLOCK];
	TEE_TASessionHandle pta = TEE_HANDLE_NULL;
	uint32_t origin = 0;
	TEE_Result res = TEE_ERROR_GENERIC;
	size_t done = 0;

	if ((!label && label_len) || label_len > CDL_TEE_DERIVE_LABEL_MAX || !key ||
	    key_len < TA_DERIVED_KEY_MIN_SIZE || key_len > 64)
		return TEE_ERROR_BAD_PARAMETERS;
	if (label_len)
		memcpy(extra, label, label_len);
	extra[label_len + 1] = (uint8_t)key_len;

	res = TEE_OpenTASession(&system_pta, TEE_TIMEOUT_INFINITE, 0, NULL, &pta, &origin);
	if (res != TEE_SUCCESS)
		return res;
	for (uint8_t i = 1; done < key_len; i++) {
		const size_t n = key_len - done < PTA_KEY_BLOCK ? key_len - done : PTA_KEY_BLOCK;

		extra[label_len] = i;
		/* The PTA's minimum is 16 bytes: a short last block is cut from a full one. */
		res = derive_block(pta, extra, label_len + 2, block, PTA_KEY_BLOCK);
		if (res != TEE_SUCCESS)
			break;
		memcpy((uint8_t *)key + done, block, n);
		done += n;
	}
	TEE_CloseTASession(pta);
	TEE_MemFill(block, 0, sizeof(block));
	TEE_MemFill(extra, 0, sizeof(extra));
	if (res != TEE_SUCCESS)
		TEE_MemFill(key, 0, key_len);
	return res;
}

uint32_t cdl_tee_worker_count(void)
{
	return 1;
}

void cdl_tee_run_tasks(void (*fn)(void *arg, uint32_t task, uint32_t worker), void *arg,
		       uint32_t n_tasks)
{
	for (uint32_t t = 0; t < n_tasks; t++)
		fn(arg, t, 0);
}
