// SPDX-License-Identifier: Apache-2.0
/*
 * Ops that change only the shape (the bytes are copied unchanged):
 * Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (inference), and
 * the shape queries Shape and Size. Any dtype (they run in constant folding
 * of int64 shape subgraphs).
 */
#include <string.h>

#include "../op.h"
#include "data_util.h"
#include "ops.h"

/* Copies input 0 to output 0 (same byte size, checked by infer). */
static cdl_status copy_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	size_t nbytes = 0, out_bytes = 0;

	if (!cdl_tensor_nbytes(x, &nbytes) || !cdl_tensor_nbytes(ctx->outputs[0], &out_bytes) ||
	    nbytes != out_bytes)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "output size differs from the input's");
	cdl_data_move(ctx->outputs[0]->data, x->data, nbytes);
	return CDL_OK;
}

/* --- Reshape ---------------------------------------------------------------- */

static cdl_status reshape_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t shape[CDL_MAX_RANK];
	int64_t dims[CDL_MAX_RANK];
	size_t n = 0, in_numel, known = 1;
	int64_t allowzero = cdl_attr_int(ctx->node, "allowzero", 0);
	int neg = -1;
	cdl_status st;

	if (ctx->node->opset < 5)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "opset %u (shape attribute)",
				   ctx->node->opset);
	st = cdl_data_check_io(ctx, 2, 2, 1, 1);
	if (st)
		return st;
	x = ctx->inputs[0];
	st = cdl_data_const_ints(ctx, 1, "shape", shape, CDL_MAX_RANK, &n);
	if (st)
		return st;
	in_numel = cdl_data_numel(x);
	for (size_t i = 0; i < n; i++) {
		int64_t v = shape[i];

		if (v == 0 && !allowzero) {
			if (i >= x->rank)
				return cdl_op_fail(
				    ctx, CDL_ERR_INVALID_ARGUMENT,
				    "shape[%zu] = 0 copies a dim the input (rank %u) "
				    "does not have",
				    i, (unsigned)x->rank);
			v = x->dims[i];
		}
		if (v == -1) {
			if (neg >= 0)
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "shape has more than one -1");
			neg = (int)i;
			dims[i] = -1;
			continue;
		}
		if (v < 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "shape[%zu] = %lld", i,
					   (long long)v);
		if ((uint64_t)v > SIZE_MAX || !cdl_mul_size(known, (size_t)v, &known))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "shape is too large");
		dims[i] = v;
	}
	if (neg >= 0) {
		if (known == 0 || in_numel % known != 0)
			return cdl_op_fail(
			    ctx, CDL_ERR_INVALID_ARGUMENT,
			    "cannot infer the -1 dim: %zu elements into blocks of %zu", in_numel,
			    known);
		dims[neg] = (int64_t)(in_numel / known);
	} else if (known != in_numel) {
		char a[128];

		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "cannot reshape %s (%zu elements) to %zu elements",
				   cdl_shape_str(x, a, sizeof(a)), in_numel, known);
	}
	return cdl_data_set_output(ctx, 0, x->dtype, (uint32_t)n, dims);
}

/* --- Flatten ---------------------------------------------------------------- */

static cdl_status flatten_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t axis = cdl_attr_int(ctx->node, "axis", 1);
	int64_t dims[2];
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	if (axis < 0)
		axis += x->rank;
	if (axis < 0 || axis > x->rank)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for rank %u",
				   (long long)cdl_attr_int(ctx->node, "axis", 1),
				   (unsigned)x->rank);
	dims[0] = (int64_t)cdl_data_prod(x->dims, 0, (uint32_t)axis);
	dims[1] = (int64_t)cdl_data_prod(x->dims, (uint32_t)axis, x->rank);
	return cdl_data_set_output(ctx, 0, x->dtype, 2, dims);
}

/* --- Squeeze / Unsqueeze ------------------------------------------------------- */

/* axes from the attribute (opset < 13) or the optional input 1 (>= 13). */
static cdl_status read_axes(cdl_op_ctx *ctx, int64_t *axes, size_t *n, bool *given)
{
	*n = 0;
	*given = false;
	if (ctx->node->opset < 13) {
		uint32_t cnt = 0;
		const int64_t *a = cdl_attr_ints(ctx->node, "axes", &cnt);

		if (!a)
			return CDL_OK;
		if (cnt > CDL_MAX_RANK)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%u axes", cnt);
		memcpy(axes, a, cnt * sizeof(*a));
		*n = cnt;
		*given = true;
		return CDL_OK;
	}
	/* an empty axes input counts as absent, as in ONNX Runtime */
	if (!cdl_data_in(ctx, 1) || cdl_data_numel(ctx->inputs[1]) == 0)
		return CDL_OK;
	*given = true;
	return cdl_data_const_ints(ctx, 1, "axes", axes, CDL_MAX_RANK, n);
}

static cdl_status squeeze_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t axes[CDL_MAX_RANK];
	int64_t dims[CDL_MAX_RANK];
	bool drop[CDL_MAX_RANK] = {false};
	size_t n = 0;
	uint32_t r = 0;
	bool given = false;
	cdl_status st = cdl_data_check_io(ctx, 1, 2, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	st = read_axes(ctx, axes, &n, &given);
	if (st)
		return st;
	if (!given) {
		for (uint32_t d = 0; d < x->rank; d++)
			drop[d] = x->dims[d] == 1;
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t a = 0;

		if (!cdl_axis_normalize(axes[i], x->rank, &a))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for rank %u",
					   (long long)axes[i], (unsigned)x->rank);
		if (x->dims[a] != 1)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "cannot squeeze axis %u of size %lld", a,
					   (long long)x->dims[a]);
		drop[a] = true;
	}
	for (uint32_t d = 0; d < x->rank; d++)
		if (!drop[d])
			dims[r++] = x->dims[d];
	return cdl_data_set_output(ctx, 0, x->dtype, r, dims);
}

static cdl_status unsqueeze_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t axes[CDL_MAX_RANK];
	int64_t dims[CDL_MAX_RANK];
	bool ins[CDL_MAX_RANK] = {false};
	size_t n = 0;
	uint32_t out_rank, j = 0;
	bool given = false;
	cdl_status st = cdl_data_check_io(ctx, 1, 2, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	st = read_axes(ctx, axes, &n, &given);
	if (st)
		return st;
	if (!given)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axes are required");
	out_rank = x->rank + (uint32_t)n;
	if (out_rank > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output rank %u > %u", out_rank,
				   CDL_MAX_RANK);
	for (size_t i = 0; i < n; i++) {
		uint32_t a = 0;

		if (!cdl_axis_normalize(axes[i], out_rank, &a) || ins[a])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "axis %lld is out of range or repeated for rank %u",
					   (long long)axes[i], out_rank);
		ins[a] = true;
	}
	for (uint32_t d = 0; d < out_rank; d++)
		dims[d] = ins[d] ? 1 : x->dims[j++];
	return cdl_data_set_output(ctx, 0, x->dtype, out_rank, dims);
}

/* --- Identity / Dropout ------------------------------------------------------- */

static cdl_status identity_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	return cdl_data_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/*
 * Inference-mode dropout is the identity; the optional mask is all true
 * (bool from opset 10, the input's type before). Training mode with a
 * non-zero ratio would be random: refused.
 */
static cdl_status dropout_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	const cdl_tensor *ratio, *training;
	cdl_status st = cdl_data_check_io(ctx, 1, 3, 1, 2);

	if (st)
		return st;
	x = ctx->inputs[0];
	if (cdl_attr_int(ctx->node, "is_test", 1) == 0 && ctx->node->opset < 7)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "is_test=0 (training)");
	ratio = cdl_data_in(ctx, 1);
	training = cdl_data_in(ctx, 2);
	if (training) {
		if (training->dtype != CDL_DTYPE_BOOL || cdl_data_numel(training) != 1)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "training_mode must be a bool scalar");
		if (!training->data)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
					   "training_mode must be a constant");
		if (*(const uint8_t *)training->data) {
			float r = 0.5f;

			if (ratio && ratio->dtype == CDL_DTYPE_F32 && ratio->data &&
			    cdl_data_numel(ratio) == 1)
				r = *(const float *)ratio->data;
			if (r != 0.0f)
				return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
						   "training_mode=1 (random dropout)");
		}
	}
	st = cdl_data_set_output(ctx, 0, x->dtype, x->rank, x->dims);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 1, ctx->node->opset >= 10 ? CDL_DTYPE_BOOL : x->dtype,
				   x->rank, x->dims);
}

static cdl_status dropout_execute(cdl_op_ctx *ctx)
{
	cdl_tensor *mask = cdl_data_out(ctx, 1);
	cdl_status st = copy_execute(ctx);

	if (st || !mask)
		return st;
	if (mask->dtype == CDL_DTYPE_F32) {
		float one = 1.0f;

		cdl_data_fill(mask->data, &one, 4, cdl_data_numel(mask));
	} else {
		uint8_t one[8] = {0};
		size_t esize = cdl_dtype_size(mask->dtype);

		one[0] = 1; /* little-endian integer 1 of any width */
		cdl_data_fill(mask->data, one, esize, cdl_data_numel(mask));
	}
	return CDL_OK;
}

/* --- Shape / Size ------------------------------------------------------------- */

static void shape_range(const cdl_op_ctx *ctx, uint32_t rank, uint32_t *start, uint32_t *end)
{
	int64_t s = cdl_attr_int(ctx->node, "start", 0);
	int64_t e = cdl_attr_int(ctx->node, "end", rank);

	if (ctx->node->opset < 15) {
		s = 0;
		e = rank;
	}
	/* negative counts from the back; both clamp to [0, rank] */
	if (s < 0)
		s += rank;
	if (e < 0)
		e += rank;
	s = s < 0 ? 0 : s > rank ? rank : s;
	e = e < 0 ? 0 : e > rank ? rank : e;
	*start = (uint32_t)s;
	*end = (uint32_t)(e > s ? e : s);
}

static cdl_status shape_infer(cdl_op_ctx *ctx)
{
	int64_t dims[1];
	uint32_t s = 0, e = 0;
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	shape_range(ctx, ctx->inputs[0]->rank, &s, &e);
	dims[0] = e - s;
	return cdl_data_set_output(ctx, 0, CDL_DTYPE_I64, 1, dims);
}

static cdl_status shape_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	int64_t *y = ctx->outputs[0]->data;
	uint32_t s = 0, e = 0;

	shape_range(ctx, x->rank, &s, &e);
	for (uint32_t d = s; d < e; d++)
		y[d - s] = x->dims[d];
	return CDL_OK;
}

static cdl_status size_infer(cdl_op_ctx *ctx)
{
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, CDL_DTYPE_I64, 0, NULL);
}

static cdl_status size_execute(cdl_op_ctx *ctx)
{
	*(int64_t *)ctx->outputs[0]->data = (int64_t)cdl_data_numel(ctx->inputs[0]);
	return CDL_OK;
}

const cdl_op_def cdl_ops_shape[] = {
    {"Reshape", reshape_infer, copy_execute},
    {"Flatten", flatten_infer, copy_execute},
    {"Squeeze", squeeze_infer, copy_execute},
    {"Unsqueeze", unsqueeze_infer, copy_execute},
    {"Identity", identity_infer, copy_execute},
    {"Dropout", dropout_infer, dropout_execute},
    {"Shape", shape_infer, shape_execute},
    {"Size", size_infer, size_execute},
    {NULL, NULL, NULL},
};
