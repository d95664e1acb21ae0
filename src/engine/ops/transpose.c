// SPDX-License-Identifier: Apache-2.0
/*
 * Transpose (ONNX opsets 1-13). Any dtype; perm defaults to reversing the
 * dims. The copy collapses dims that stay adjacent, so NCHW <-> NHWC becomes
 * a batched 2-D transpose done in cache-sized tiles (data_util.c).
 */
#include "../op.h"
#include "data_util.h"
#include "ops.h"

static cdl_status transpose_perm(cdl_op_ctx *ctx, uint32_t perm[CDL_MAX_RANK])
{
	const cdl_tensor *x = ctx->inputs[0];
	uint32_t n = 0;
	const int64_t *p = cdl_attr_ints(ctx->node, "perm", &n);
	bool seen[CDL_MAX_RANK] = {false};

	if (!p) {
		for (uint32_t i = 0; i < x->rank; i++)
			perm[i] = x->rank - 1 - i;
		return CDL_OK;
	}
	if (n != x->rank)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "perm has %u entries, input has rank %u", n, (unsigned)x->rank);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = 0;

		if (!cdl_axis_normalize(p[i], x->rank, &a) || seen[a])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "perm is not a permutation of 0..%u", x->rank - 1u);
		seen[a] = true;
		perm[i] = a;
	}
	return CDL_OK;
}

static cdl_status transpose_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	uint32_t perm[CDL_MAX_RANK];
	int64_t dims[CDL_MAX_RANK];
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	st = transpose_perm(ctx, perm);
	if (st)
		return st;
	for (uint32_t i = 0; i < x->rank; i++)
		dims[i] = x->dims[perm[i]];
	return cdl_data_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static cdl_status transpose_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	uint32_t perm[CDL_MAX_RANK];
	cdl_status st = transpose_perm(ctx, perm);

	if (st)
		return st;
	cdl_data_transpose(ctx->outputs[0]->data, x->data, cdl_dtype_size(x->dtype), x->rank,
			   x->dims, perm);
	return CDL_OK;
}

const cdl_op_def cdl_ops_transpose[] = {
    {"Transpose", transpose_infer, transpose_execute},
    {NULL, NULL, NULL},
};
