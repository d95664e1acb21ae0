// SPDX-License-Identifier: Apache-2.0
/*
 * Cast (ONNX opsets 6-13) and CastLike (15) between float32, int32, int64,
 * int8, uint8 and bool.
 *
 * float -> integer truncates toward zero and saturates at the target's range
 * (NaN -> 0): the comparison happens before the conversion, so there is no
 * undefined behaviour. integer -> narrower integer wraps (two's complement),
 * as numpy and ONNX Runtime do. x -> bool is x != 0; bool -> x is 0 or 1.
 */
#include <string.h>

#include "../op.h"
#include "data_util.h"
#include "ops.h"

static bool cast_dtype_ok(int64_t dtype)
{
	return dtype == CDL_DTYPE_F32 || dtype == CDL_DTYPE_I32 || dtype == CDL_DTYPE_I64 ||
	       dtype == CDL_DTYPE_I8 || dtype == CDL_DTYPE_U8 || dtype == CDL_DTYPE_BOOL;
}

static cdl_status cast_target(cdl_op_ctx *ctx, int *to)
{
	int64_t t;

	if (cdl_attr_streq(ctx->node->op_type, "CastLike")) {
		t = ctx->inputs[1]->dtype;
	} else {
		const cdl_attr *a = cdl_attr_find(ctx->node, "to");

		if (!a || a->type != CDL_ATTR_INT)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "attribute to is required");
		t = a->v.i;
	}
	if (!cast_dtype_ok(t))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "to=%s (%lld)", cdl_dtype_name((int)t),
				   (long long)t);
	*to = (int)t;
	return CDL_OK;
}

static cdl_status cast_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int to = 0;
	bool like = cdl_attr_streq(ctx->node->op_type, "CastLike");
	cdl_status st = cdl_data_check_io(ctx, like ? 2 : 1, like ? 2 : 1, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	if (!cast_dtype_ok(x->dtype))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(x->dtype));
	st = cast_target(ctx, &to);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, to, x->rank, x->dims);
}

/* Two's-complement wrap without implementation-defined conversions. */
static int32_t wrap_i32(int64_t v)
{
	uint32_t u = (uint32_t)v;

	return u <= INT32_MAX ? (int32_t)u : (int32_t)(u - 0x80000000u) + INT32_MIN;
}

static int8_t wrap_i8(int64_t v)
{
	uint8_t u = (uint8_t)v;

	return u <= INT8_MAX ? (int8_t)u : (int8_t)((int)u - 256);
}

static void int_to(void *dst, int to, int64_t v)
{
	switch (to) {
	case CDL_DTYPE_F32:
		*(float *)dst = (float)v;
		break;
	case CDL_DTYPE_I64:
		*(int64_t *)dst = v;
		break;
	case CDL_DTYPE_I32:
		*(int32_t *)dst = wrap_i32(v);
		break;
	case CDL_DTYPE_I8:
		*(int8_t *)dst = wrap_i8(v);
		break;
	case CDL_DTYPE_U8:
		*(uint8_t *)dst = (uint8_t)v;
		break;
	case CDL_DTYPE_BOOL:
		*(uint8_t *)dst = v != 0;
		break;
	default:
		break;
	}
}

static cdl_status cast_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *y = ctx->outputs[0];
	size_t n = cdl_data_numel(x);
	size_t osize;
	int to = 0;
	uint8_t *dst = y->data;
	cdl_status st = cast_target(ctx, &to);

	if (st)
		return st;
	osize = cdl_dtype_size(to);
	if (to == x->dtype) {
		cdl_data_move(dst, x->data, n * osize);
		return CDL_OK;
	}
	/* common cases as straight loops */
	if (x->dtype == CDL_DTYPE_U8 && to == CDL_DTYPE_F32) {
		const uint8_t *s = x->data;
		float *d = y->data;

		for (size_t i = 0; i < n; i++)
			d[i] = (float)s[i];
		return CDL_OK;
	}
	if (x->dtype == CDL_DTYPE_I32 && to == CDL_DTYPE_I64) {
		const int32_t *s = x->data;
		int64_t *d = y->data;

		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
		return CDL_OK;
	}
	if (x->dtype == CDL_DTYPE_F32) {
		const float *s = x->data;

		for (size_t i = 0; i < n; i++)
			cdl_data_from_float(dst + i * osize, to, s[i]);
		return CDL_OK;
	}
	for (size_t i = 0; i < n; i++)
		int_to(dst + i * osize, to, cdl_tensor_get_int(x, i));
	return CDL_OK;
}

const cdl_op_def cdl_ops_cast[] = {
    {"Cast", cast_infer, cast_execute},
    {"CastLike", cast_infer, cast_execute},
    {NULL, NULL, NULL},
};
