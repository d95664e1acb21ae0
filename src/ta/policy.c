/* SPDX-License-Identifier: Apache-2.0 */
/* The usage policy, enforced inside the TA (see policy.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "engine/op.h" /* cdl_snprintf */
#include "policy.h"
#include "ta_status.h"
#include "tee_internal_api.h"

/* ---- expiry -------------------------------------------------------------- */

/*
 * Time is the REE's wall clock (TEE_GetREETime): the only calendar time GP
 * offers. It is untrusted: on the host TEE it is the Linux clock, and on
 * OP-TEE without a secure RTC it also comes from the normal world, so whoever
 * owns the normal world can set the clock back to run an expired model. Only
 * a TEE with a trusted clock makes expiry hard; docs/threat-model.md says so
 * (with rollback of the query budget's storage).
 */
cdl_status cdl_ta_policy_check_expiry(const cdl_pkg_header *h, char *msg, size_t msg_size)
{
	TEE_Time now = {0, 0};

	if (h->policy.expiry == 0)
		return CDL_OK;
	TEE_GetREETime(&now);
	if ((uint64_t)now.seconds < h->policy.expiry)
		return CDL_OK;
	cdl_snprintf(msg, msg_size, "the model expired at Unix time %llu (the REE clock says %llu)",
		     (unsigned long long)h->policy.expiry, (unsigned long long)now.seconds);
	return CDL_ERR_EXPIRED;
}

/* ---- query budget -------------------------------------------------------- */

/*
 * One counter object per package identity: provider key id and model id
 * (the model id alone is chosen by whoever packs, so a package signed by
 * another key must not share a counter with, or reset, this one).
 * Content: the number of queries used, u64 little-endian.
 */
#define BUDGET_PREFIX "cdl.q1."
#define BUDGET_PREFIX_LEN 7u
#define BUDGET_ID_LEN (BUDGET_PREFIX_LEN + CDL_PKG_KEY_ID_LEN + CDL_PKG_MODEL_ID_LEN)
#define BUDGET_DATA_LEN 8u

static void budget_id(const cdl_pkg_header *h, uint8_t id[BUDGET_ID_LEN])
{
	memcpy(id, BUDGET_PREFIX, BUDGET_PREFIX_LEN);
	memcpy(id + BUDGET_PREFIX_LEN, h->provider_key_id, CDL_PKG_KEY_ID_LEN);
	memcpy(id + BUDGET_PREFIX_LEN + CDL_PKG_KEY_ID_LEN, h->model_id, CDL_PKG_MODEL_ID_LEN);
}

/* Opens the counter (TEE_HANDLE_NULL and used = 0 if it does not exist yet). */
static cdl_status budget_open(const uint8_t id[BUDGET_ID_LEN], uint32_t flags, TEE_ObjectHandle *h,
			      uint64_t *used)
{
	uint8_t data[BUDGET_DATA_LEN];
	size_t n = 0;
	TEE_Result res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, id, BUDGET_ID_LEN, flags, h);

	*used = 0;
	if (res == TEE_ERROR_ITEM_NOT_FOUND) {
		*h = TEE_HANDLE_NULL;
		return CDL_OK;
	}
	if (res != TEE_SUCCESS)
		return cdl_ta_result_to_status(res);
	res = TEE_ReadObjectData(*h, data, sizeof(data), &n);
	if (res == TEE_SUCCESS && n != sizeof(data))
		res = TEE_ERROR_CORRUPT_OBJECT;
	if (res != TEE_SUCCESS) {
		TEE_CloseObject(*h);
		*h = TEE_HANDLE_NULL;
		return cdl_ta_result_to_status(res);
	}
	*used = cdl_pkg_get_u64(data);
	return CDL_OK;
}

cdl_status cdl_ta_policy_queries_left(const cdl_pkg_header *h, uint64_t *left)
{
	uint8_t id[BUDGET_ID_LEN];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	uint64_t used = 0;
	cdl_status s = CDL_OK;

	*left = UINT64_MAX;
	if (h->policy.max_queries == 0)
		return CDL_OK;
	budget_id(h, id);
	s = budget_open(id, TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &o, &used);
	if (o != TEE_HANDLE_NULL)
		TEE_CloseObject(o);
	if (s != CDL_OK)
		return s;
	*left = used < h->policy.max_queries ? h->policy.max_queries - used : 0;
	return CDL_OK;
}

cdl_status cdl_ta_policy_consume(const cdl_pkg_header *h, uint32_t n, uint64_t *left)
{
	const uint64_t max = h->policy.max_queries;
	uint8_t id[BUDGET_ID_LEN];
	uint8_t data[BUDGET_DATA_LEN];
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	uint64_t used = 0;
	TEE_Result res = TEE_SUCCESS;
	cdl_status s = CDL_OK;

	*left = UINT64_MAX;
	if (max == 0)
		return CDL_OK;
	budget_id(h, id);
	s = budget_open(id,
			TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE |
			    TEE_DATA_FLAG_SHARE_READ | TEE_DATA_FLAG_SHARE_WRITE,
			&o, &used);
	if (s != CDL_OK)
		return s;
	if (used > max || n > max - used) {
		*left = used < max ? max - used : 0;
		s = CDL_ERR_QUERY_BUDGET;
		goto out;
	}
	cdl_pkg_put_u64(data, used + n);
	if (o == TEE_HANDLE_NULL) {
		res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, id, BUDGET_ID_LEN,
						 TEE_DATA_FLAG_ACCESS_READ |
						     TEE_DATA_FLAG_ACCESS_WRITE,
						 TEE_HANDLE_NULL, data, sizeof(data), &o);
	} else {
		res = TEE_SeekObjectData(o, 0, TEE_DATA_SEEK_SET);
		if (res == TEE_SUCCESS)
			res = TEE_WriteObjectData(o, data, sizeof(data));
	}
	if (res != TEE_SUCCESS) {
		s = cdl_ta_result_to_status(res);
		goto out;
	}
	*left = max - (used + n);
out:
	if (o != TEE_HANDLE_NULL)
		TEE_CloseObject(o);
	return s;
}

/* ---- output mode ----------------------------------------------------------- */

#define ONNX_FLOAT 1u

static size_t numel_of(const cdl_pkg_tensor_info *t)
{
	size_t n = 1;

	for (uint8_t i = 0; i < t->rank; i++)
		if (__builtin_mul_overflow(n, (size_t)t->dims[i], &n))
			return 0;
	return n;
}

cdl_status cdl_ta_policy_check_outputs(const cdl_pkg_header *h, char *msg, size_t msg_size)
{
	const char *mode = h->policy.output_mode == CDL_PKG_OUTPUT_TOPK ? "top-k" : "label";

	if (h->policy.output_mode == CDL_PKG_OUTPUT_FULL)
		return CDL_OK;
	if (h->policy.output_mode != CDL_PKG_OUTPUT_TOPK &&
	    h->policy.output_mode != CDL_PKG_OUTPUT_LABEL) {
		cdl_snprintf(msg, msg_size, "failed to apply output mode %u: unknown",
			     (unsigned)h->policy.output_mode);
		return CDL_ERR_UNSUPPORTED;
	}
	if (h->outputs[0].dtype != ONNX_FLOAT || numel_of(&h->outputs[0]) == 0 ||
	    numel_of(&h->outputs[0]) > UINT32_MAX) {
		cdl_snprintf(msg, msg_size,
			     "failed to apply the %s output policy to output 0 (%s): it needs a "
			     "non-empty float32 tensor",
			     mode, h->outputs[0].name);
		return CDL_ERR_UNSUPPORTED;
	}
	return CDL_OK;
}

size_t cdl_ta_policy_item_bytes(const cdl_pkg_header *h, size_t numel0, size_t full_bytes)
{
	size_t k = h->policy.topk;

	switch (h->policy.output_mode) {
	case CDL_PKG_OUTPUT_TOPK:
		return (k < numel0 ? k : numel0) * 8u;
	case CDL_PKG_OUTPUT_LABEL:
		return 4u;
	default:
		return full_bytes;
	}
}

typedef struct scored {
	uint32_t index;
	float score;
} scored;

_Static_assert(sizeof(scored) == 8, "a top-k pair is (u32, f32) without padding");

/* a ranks above b: higher score, then lower index; NaN below every number. */
static bool better(scored a, scored b)
{
	bool a_nan = a.score != a.score;
	bool b_nan = b.score != b.score;

	if (a_nan != b_nan)
		return b_nan;
	if (!a_nan && a.score != b.score)
		return a.score > b.score;
	return a.index < b.index;
}

/* Heap with the worst kept entry at the root. */
static void sift_down(scored *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		scored t;

		if (l < n && better(h[w], h[l]))
			w = l;
		if (r < n && better(h[w], h[r]))
			w = r;
		if (w == i)
			return;
		t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void sift_up(scored *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		scored t;

		if (!better(h[p], h[i]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

void cdl_ta_policy_apply(const cdl_pkg_header *h, const float *out0, size_t numel0, uint8_t *dst)
{
	size_t k = h->policy.topk < numel0 ? h->policy.topk : numel0;
	scored *heap = (scored *)(void *)dst;
	size_t n = 0;

	if (h->policy.output_mode == CDL_PKG_OUTPUT_LABEL)
		k = 1;
	/* O(numel log k): keep the k best seen so far, worst at the root. */
	for (size_t i = 0; i < numel0; i++) {
		scored e = {(uint32_t)i, out0[i]};

		if (n < k) {
			heap[n] = e;
			sift_up(heap, n++);
		} else if (better(e, heap[0])) {
			heap[0] = e;
			sift_down(heap, n, 0);
		}
	}
	/* Heap sort: the worst goes last each time, so the best ends first. */
	while (n > 1) {
		scored t = heap[0];

		heap[0] = heap[n - 1];
		heap[n - 1] = t;
		sift_down(heap, --n, 0);
	}
	if (h->policy.output_mode == CDL_PKG_OUTPUT_LABEL) {
		uint32_t label = heap[0].index;

		memcpy(dst, &label, sizeof(label));
	}
}
