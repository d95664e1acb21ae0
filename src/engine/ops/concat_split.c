// SPDX-License-Identifier: Apache-2.0
/*
 * Concat and Split (ONNX opsets 4-17): any dtype, negative axes. Both are
 * block copies: for every index of the dims before the axis, one contiguous
 * chunk per input (output).
 */
#include <string.h>

#include "../op.h"
#include "data_util.h"
#include "ops.h"

/* --- Concat ----------------------------------------------------------------- */

static cdl_status concat_axis(cdl_op_ctx *ctx, uint32_t *axis)
{
	const cdl_tensor *x0 = ctx->inputs[0];
	const cdl_attr *a = cdl_attr_find(ctx->node, "axis");

	if (!a || a->type != CDL_ATTR_INT)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "attribute axis is required");
	if (!cdl_axis_normalize(a->v.i, x0->rank, axis))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for rank %u",
				   (long long)a->v.i, (unsigned)x0->rank);
	return CDL_OK;
}

static cdl_status concat_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x0;
	int64_t dims[CDL_MAX_RANK];
	uint32_t axis = 0;
	cdl_status st = cdl_data_check_io(ctx, 1, UINT32_MAX, 1, 1);

	if (st)
		return st;
	x0 = ctx->inputs[0];
	st = concat_axis(ctx, &axis);
	if (st)
		return st;
	memcpy(dims, x0->dims, sizeof(dims));
	dims[axis] = 0;
	for (uint32_t i = 0; i < ctx->n_inputs; i++) {
		const cdl_tensor *x = ctx->inputs[i];

		if (!x)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input %u is missing", i);
		if (x->dtype != x0->dtype || x->rank != x0->rank)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "input %u is %s rank %u, input 0 is %s rank %u", i,
					   cdl_dtype_name(x->dtype), (unsigned)x->rank,
					   cdl_dtype_name(x0->dtype), (unsigned)x0->rank);
		for (uint32_t d = 0; d < x0->rank; d++) {
			if (d != axis && x->dims[d] != x0->dims[d]) {
				char a[128], b[128];

				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "input %u shape %s does not match input 0 %s "
						   "outside axis %u",
						   i, cdl_shape_str(x, a, sizeof(a)),
						   cdl_shape_str(x0, b, sizeof(b)), axis);
			}
		}
		/* each dim is < 2^40 (nbytes checked), so the sum cannot overflow
		 * before the output's own size check catches it */
		if (dims[axis] > INT64_MAX - x->dims[axis])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
		dims[axis] += x->dims[axis];
	}
	return cdl_data_set_output(ctx, 0, x0->dtype, x0->rank, dims);
}

static cdl_status concat_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x0 = ctx->inputs[0];
	cdl_tensor *y = ctx->outputs[0];
	size_t esize = cdl_dtype_size(x0->dtype);
	uint32_t axis = 0;
	size_t outer, inner, y_row;
	uint8_t *dst = y->data;
	size_t col = 0;
	cdl_status st = concat_axis(ctx, &axis);

	if (st)
		return st;
	outer = cdl_data_prod(x0->dims, 0, axis);
	inner = cdl_data_prod(x0->dims, axis + 1, x0->rank) * esize;
	y_row = (size_t)y->dims[axis] * inner;
	for (uint32_t i = 0; i < ctx->n_inputs; i++) {
		const cdl_tensor *x = ctx->inputs[i];
		size_t chunk = (size_t)x->dims[axis] * inner;
		const uint8_t *src = x->data;

		if (chunk)
			for (size_t o = 0; o < outer; o++)
				memcpy(dst + o * y_row + col, src + o * chunk, chunk);
		col += chunk;
	}
	return CDL_OK;
}

/* --- Split ------------------------------------------------------------------ */

/* Where the part sizes come from; read one at a time (no size-limited array). */
typedef struct split_src {
	uint32_t axis;
	const int64_t *attr;	 /* `split` attribute (opset < 13), or NULL */
	const cdl_tensor *input; /* constant `split` input (opset >= 13), or NULL */
	int64_t equal;		 /* part size when neither is given */
} split_src;

static int64_t split_size(const split_src *s, uint32_t i)
{
	if (s->attr)
		return s->attr[i];
	if (s->input)
		return cdl_tensor_get_int(s->input, i);
	return s->equal;
}

static cdl_status split_get(cdl_op_ctx *ctx, split_src *s)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_tensor *t = cdl_data_in(ctx, 1);
	int64_t axis = cdl_attr_int(ctx->node, "axis", 0);
	uint32_t n_out = ctx->n_outputs;
	size_t n = 0;
	int64_t dim, total = 0;

	s->attr = NULL;
	s->input = NULL;
	s->equal = 0;
	if (!cdl_axis_normalize(axis, x->rank, &s->axis))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for rank %u",
				   (long long)axis, (unsigned)x->rank);
	dim = x->dims[s->axis];
	if (cdl_attr_find(ctx->node, "num_outputs"))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute num_outputs (opset 18)");
	if (ctx->node->opset < 13) {
		uint32_t cnt = 0;

		s->attr = cdl_attr_ints(ctx->node, "split", &cnt);
		n = cnt;
		if (t)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "split is an attribute before opset 13, not an input");
	} else if (t) {
		if (t->dtype != CDL_DTYPE_I64 && t->dtype != CDL_DTYPE_I32)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "split must be int64");
		if (t->rank > 1)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "split must be a 1-D tensor");
		if (!t->data)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "split must be a constant");
		n = cdl_data_numel(t);
		if (n)
			s->input = t;
	}
	if (!s->attr && !s->input) {
		if (dim % n_out != 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "dim %u = %lld cannot be split into %u equal parts",
					   s->axis, (long long)dim, n_out);
		s->equal = dim / n_out;
		return CDL_OK;
	}
	if (n != n_out)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "split has %zu values for %u outputs", n, n_out);
	for (uint32_t i = 0; i < n_out; i++) {
		int64_t v = split_size(s, i);

		if (v < 0 || v > dim - total)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "split[%u] = %lld does not fit dim %u = %lld", i,
					   (long long)v, s->axis, (long long)dim);
		total += v;
	}
	if (total != dim)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "split sizes add up to %lld, dim %u is %lld", (long long)total,
				   s->axis, (long long)dim);
	return CDL_OK;
}

static cdl_status split_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t dims[CDL_MAX_RANK];
	split_src s;
	cdl_status st = cdl_data_check_io(ctx, 1, 2, 1, UINT32_MAX);

	if (st)
		return st;
	x = ctx->inputs[0];
	st = split_get(ctx, &s);
	if (st)
		return st;
	memcpy(dims, x->dims, sizeof(dims));
	for (uint32_t i = 0; i < ctx->n_outputs; i++) {
		dims[s.axis] = split_size(&s, i);
		st = cdl_data_set_output(ctx, i, x->dtype, x->rank, dims);
		if (st)
			return st;
	}
	return CDL_OK;
}

static cdl_status split_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	size_t esize = cdl_dtype_size(x->dtype);
	const uint8_t *src = x->data;
	size_t outer, inner, x_row, col = 0;
	split_src s;
	int64_t dims[CDL_MAX_RANK];
	cdl_status st = split_get(ctx, &s);

	if (st)
		return st;
	memcpy(dims, x->dims, sizeof(dims));
	for (uint32_t i = 0; i < ctx->n_outputs; i++) {
		dims[s.axis] = split_size(&s, i);
		st = cdl_data_expect_output(ctx, i, x->rank, dims);
		if (st)
			return st;
	}
	outer = cdl_data_prod(x->dims, 0, s.axis);
	inner = cdl_data_prod(x->dims, s.axis + 1, x->rank) * esize;
	x_row = (size_t)x->dims[s.axis] * inner;
	for (uint32_t i = 0; i < ctx->n_outputs; i++) {
		cdl_tensor *y = ctx->outputs[i];
		size_t chunk = (size_t)split_size(&s, i) * inner;

		if (y && chunk)
			for (size_t o = 0; o < outer; o++)
				memcpy((uint8_t *)y->data + o * chunk, src + o * x_row + col,
				       chunk);
		col += chunk;
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_concat_split[] = {
    {"Concat", concat_infer, concat_execute},
    {"Split", split_infer, split_execute},
    {NULL, NULL, NULL},
};
