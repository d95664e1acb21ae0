// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "op.h"

void cdl_op_parallel(const cdl_op_ctx *ctx, cdl_task_fn fn, void *arg, uint32_t n_tasks)
{
	if (n_tasks > 1 && cdl_op_workers(ctx) > 1) {
		ctx->par->run(ctx->par->pool, fn, arg, n_tasks);
		return;
	}
	for (uint32_t t = 0; t < n_tasks; t++)
		fn(arg, t, 0);
}

bool cdl_axis_normalize(int64_t axis, uint32_t rank, uint32_t *out)
{
	if (axis < 0)
		axis += rank;
	if (axis < 0 || axis >= (int64_t)rank)
		return false;
	*out = (uint32_t)axis;
	return true;
}

bool cdl_broadcast_shape(const cdl_tensor *a, const cdl_tensor *b, cdl_tensor *out)
{
	uint32_t rank = a->rank > b->rank ? a->rank : b->rank;
	int64_t dims[CDL_MAX_RANK];

	if (rank > CDL_MAX_RANK)
		return false;
	for (uint32_t i = 0; i < rank; i++) {
		/* align from the right */
		int64_t da = i + a->rank >= rank ? a->dims[i + a->rank - rank] : 1;
		int64_t db = i + b->rank >= rank ? b->dims[i + b->rank - rank] : 1;

		if (da == db || db == 1)
			dims[i] = da;
		else if (da == 1)
			dims[i] = db;
		else
			return false;
	}
	out->rank = (uint8_t)rank;
	memcpy(out->dims, dims, sizeof(dims[0]) * rank);
	return true;
}

int64_t cdl_tensor_get_int(const cdl_tensor *t, size_t i)
{
	switch (t->dtype) {
	case CDL_DTYPE_I64:
		return ((const int64_t *)t->data)[i];
	case CDL_DTYPE_I32:
		return ((const int32_t *)t->data)[i];
	case CDL_DTYPE_U8:
	case CDL_DTYPE_BOOL:
		return ((const uint8_t *)t->data)[i];
	case CDL_DTYPE_I8:
		return ((const int8_t *)t->data)[i];
	case CDL_DTYPE_F32: {
		/* clamp first: converting NaN or an out-of-range float is UB */
		float f = ((const float *)t->data)[i];

		if (!(f == f))
			return 0;
		if (f >= 9.2233720e18f)
			return INT64_MAX;
		if (f <= -9.2233720e18f)
			return INT64_MIN;
		return (int64_t)f;
	}
	default:
		return 0;
	}
}
