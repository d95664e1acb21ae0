// SPDX-License-Identifier: Apache-2.0
/*
 * Slice (ONNX opsets 1-13). Before opset 10 starts/ends/axes are attributes;
 * from 10 they are inputs (with optional steps), which must be constants.
 * Negative indices count from the end, out-of-range ones are clamped as the
 * spec says, negative steps walk backwards. Any dtype.
 */
#include <string.h>

#include "../op.h"
#include "data_util.h"
#include "ops.h"

typedef struct slice_params {
	int64_t start[CDL_MAX_RANK];
	int64_t step[CDL_MAX_RANK];
	int64_t len[CDL_MAX_RANK];
} slice_params;

static cdl_status slice_lists(cdl_op_ctx *ctx, int64_t *starts, int64_t *ends, int64_t *axes,
			      int64_t *steps, size_t *n, bool *have_axes)
{
	size_t ne = 0, na = 0, ns = 0;
	cdl_status st;

	*have_axes = false;
	if (ctx->node->opset < 10) {
		uint32_t c1 = 0, c2 = 0, c3 = 0;
		const int64_t *s = cdl_attr_ints(ctx->node, "starts", &c1);
		const int64_t *e = cdl_attr_ints(ctx->node, "ends", &c2);
		const int64_t *a = cdl_attr_ints(ctx->node, "axes", &c3);

		if (!s || !e)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "attributes starts and ends are required");
		if (c1 > CDL_MAX_RANK || c1 != c2 || (a && c3 != c1))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "starts, ends and axes have %u, %u, %u values", c1, c2,
					   c3);
		memcpy(starts, s, c1 * sizeof(*s));
		memcpy(ends, e, c1 * sizeof(*e));
		if (a) {
			memcpy(axes, a, c1 * sizeof(*a));
			*have_axes = true;
		}
		for (uint32_t i = 0; i < c1; i++)
			steps[i] = 1;
		*n = c1;
		return CDL_OK;
	}
	st = cdl_data_const_ints(ctx, 1, "starts", starts, CDL_MAX_RANK, n);
	if (st)
		return st;
	st = cdl_data_const_ints(ctx, 2, "ends", ends, CDL_MAX_RANK, &ne);
	if (st)
		return st;
	if (ne != *n)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "starts has %zu values, ends %zu",
				   *n, ne);
	if (cdl_data_in(ctx, 3)) {
		st = cdl_data_const_ints(ctx, 3, "axes", axes, CDL_MAX_RANK, &na);
		if (st)
			return st;
		if (na != *n)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "starts has %zu values, axes %zu", *n, na);
		*have_axes = true;
	}
	if (cdl_data_in(ctx, 4)) {
		st = cdl_data_const_ints(ctx, 4, "steps", steps, CDL_MAX_RANK, &ns);
		if (st)
			return st;
		if (ns != *n)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "starts has %zu values, steps %zu", *n, ns);
	} else {
		for (size_t i = 0; i < *n; i++)
			steps[i] = 1;
	}
	return CDL_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static cdl_status slice_get(cdl_op_ctx *ctx, slice_params *p)
{
	const cdl_tensor *x = ctx->inputs[0];
	int64_t starts[CDL_MAX_RANK], ends[CDL_MAX_RANK], axes[CDL_MAX_RANK], steps[CDL_MAX_RANK];
	bool seen[CDL_MAX_RANK] = {false};
	bool have_axes = false;
	size_t n = 0;
	cdl_status st = slice_lists(ctx, starts, ends, axes, steps, &n, &have_axes);

	if (st)
		return st;
	for (uint32_t d = 0; d < x->rank; d++) {
		p->start[d] = 0;
		p->step[d] = 1;
		p->len[d] = x->dims[d];
	}
	for (size_t i = 0; i < n; i++) {
		int64_t ax = have_axes ? axes[i] : (int64_t)i;
		uint32_t d = 0;
		int64_t dim, s = starts[i], e = ends[i], step = steps[i];

		if (!cdl_axis_normalize(ax, x->rank, &d) || seen[d])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "axis %lld is out of range or repeated for rank %u",
					   (long long)ax, (unsigned)x->rank);
		seen[d] = true;
		if (step == 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "steps[%zu] is 0", i);
		dim = x->dims[d];
		if (s < 0)
			s += dim;
		if (e < 0)
			e += dim;
		p->step[d] = step;
		if (step > 0) {
			s = clamp64(s, 0, dim);
			e = clamp64(e, 0, dim);
			/* written so that a huge step cannot overflow */
			p->len[d] = e > s ? (e - s - 1) / step + 1 : 0;
		} else {
			uint64_t ustep = (uint64_t)0 - (uint64_t)step;

			s = clamp64(s, 0, dim - 1);
			e = clamp64(e, -1, dim - 1);
			p->len[d] = s > e ? (int64_t)((uint64_t)(s - e - 1) / ustep + 1) : 0;
		}
		if (dim == 0)
			p->len[d] = 0;
		p->start[d] = s;
	}
	return CDL_OK;
}

static cdl_status slice_infer(cdl_op_ctx *ctx)
{
	slice_params p;
	cdl_status st = cdl_data_check_io(ctx, 1, ctx->node->opset < 10 ? 1 : 5, 1, 1);

	if (st)
		return st;
	if (ctx->node->opset >= 10 && ctx->n_inputs < 3)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "inputs starts and ends are required");
	st = slice_get(ctx, &p);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, ctx->inputs[0]->dtype, ctx->inputs[0]->rank, p.len);
}

static cdl_status slice_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	size_t esize = cdl_dtype_size(x->dtype);
	int64_t strides[CDL_MAX_RANK];
	int64_t s = 1, base = 0;
	slice_params p;
	cdl_status st = slice_get(ctx, &p);

	if (!st)
		st = cdl_data_expect_output(ctx, 0, x->rank, p.len);
	if (st)
		return st;
	for (int d = (int)x->rank - 1; d >= 0; d--) {
		if (p.len[d] == 0)
			return CDL_OK;
		/* (len - 1) * step stays inside the dim, so this cannot overflow */
		strides[d] = p.len[d] > 1 ? p.step[d] * s : 0;
		base += p.start[d] * s;
		s *= x->dims[d];
	}
	cdl_data_strided_copy(ctx->outputs[0]->data,
			      (const uint8_t *)x->data + base * (int64_t)esize, esize, x->rank,
			      p.len, strides);
	return CDL_OK;
}

const cdl_op_def cdl_ops_slice[] = {
    {"Slice", slice_infer, slice_execute},
    {NULL, NULL, NULL},
};
