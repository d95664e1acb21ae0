// SPDX-License-Identifier: Apache-2.0
/*
 * Ops that make tensors: Constant, ConstantOfShape, Expand, Tile, Range,
 * EyeLike. Inputs that decide the output shape (shape, repeats, Range's
 * scalars) must be constants. Any dtype unless noted.
 */
#include <string.h>

#include "../mathf.h"
#include "../op.h"
#include "data_util.h"
#include "ops.h"

/* --- Constant --------------------------------------------------------------- */

static cdl_status constant_infer(cdl_op_ctx *ctx)
{
	const cdl_node *n = ctx->node;
	const cdl_attr *a = NULL;
	cdl_status st = cdl_data_check_io(ctx, 0, 0, 1, 1);

	if (st)
		return st;
	if (n->n_attrs != 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "needs exactly one value attribute, has %u", n->n_attrs);
	a = &n->attrs[0];
	if (cdl_attr_streq(a->name, "value") && a->type == CDL_ATTR_TENSOR) {
		const cdl_tensor *t = a->v.t;
		size_t nbytes = 0;

		if (!t || !t->data || !cdl_dtype_size(t->dtype) || !cdl_tensor_nbytes(t, &nbytes))
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "value tensor of dtype %s",
					   t ? cdl_dtype_name(t->dtype) : "none");
		return cdl_data_set_output(ctx, 0, t->dtype, t->rank, t->dims);
	}
	if (cdl_attr_streq(a->name, "value_float") && a->type == CDL_ATTR_FLOAT)
		return cdl_data_set_output(ctx, 0, CDL_DTYPE_F32, 0, NULL);
	if (cdl_attr_streq(a->name, "value_int") && a->type == CDL_ATTR_INT)
		return cdl_data_set_output(ctx, 0, CDL_DTYPE_I64, 0, NULL);
	if (cdl_attr_streq(a->name, "value_floats") && a->type == CDL_ATTR_FLOATS) {
		int64_t d = a->count;

		return cdl_data_set_output(ctx, 0, CDL_DTYPE_F32, 1, &d);
	}
	if (cdl_attr_streq(a->name, "value_ints") && a->type == CDL_ATTR_INTS) {
		int64_t d = a->count;

		return cdl_data_set_output(ctx, 0, CDL_DTYPE_I64, 1, &d);
	}
	return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute %s", a->name ? a->name : "?");
}

static cdl_status constant_execute(cdl_op_ctx *ctx)
{
	const cdl_attr *a = &ctx->node->attrs[0];
	cdl_tensor *y = ctx->outputs[0];
	size_t nbytes = 0;

	if (!cdl_tensor_nbytes(y, &nbytes))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "invalid output shape");
	if (nbytes == 0)
		return CDL_OK;
	switch (a->type) {
	case CDL_ATTR_TENSOR:
		memcpy(y->data, a->v.t->data, nbytes);
		break;
	case CDL_ATTR_FLOAT:
		memcpy(y->data, &a->v.f, sizeof(float));
		break;
	case CDL_ATTR_INT:
		memcpy(y->data, &a->v.i, sizeof(int64_t));
		break;
	case CDL_ATTR_FLOATS:
		memcpy(y->data, a->v.floats, nbytes);
		break;
	case CDL_ATTR_INTS:
		memcpy(y->data, a->v.ints, nbytes);
		break;
	default:
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute type %u", a->type);
	}
	return CDL_OK;
}

/* --- ConstantOfShape ---------------------------------------------------------- */

/* The fill value: one element, dtype in *dtype; float 0 by default. */
static cdl_status cos_value(cdl_op_ctx *ctx, const void **value, int *dtype)
{
	static const float zero = 0.0f;
	const cdl_attr *a = cdl_attr_find(ctx->node, "value");

	*value = &zero;
	*dtype = CDL_DTYPE_F32;
	if (!a)
		return CDL_OK;
	if (a->type != CDL_ATTR_TENSOR || !a->v.t || !a->v.t->data || cdl_data_numel(a->v.t) != 1 ||
	    !cdl_dtype_size(a->v.t->dtype))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
				   "value must be a one-element tensor of a supported dtype");
	*value = a->v.t->data;
	*dtype = a->v.t->dtype;
	return CDL_OK;
}

static cdl_status constant_of_shape_infer(cdl_op_ctx *ctx)
{
	int64_t dims[CDL_MAX_RANK];
	size_t n = 0;
	const void *value = NULL;
	int dtype = 0;
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	st = cos_value(ctx, &value, &dtype);
	if (st)
		return st;
	st = cdl_data_const_ints(ctx, 0, "shape", dims, CDL_MAX_RANK, &n);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, dtype, (uint32_t)n, dims);
}

static cdl_status constant_of_shape_execute(cdl_op_ctx *ctx)
{
	cdl_tensor *y = ctx->outputs[0];
	const void *value = NULL;
	int dtype = 0;
	cdl_status st = cos_value(ctx, &value, &dtype);

	if (st)
		return st;
	cdl_data_fill(y->data, value, cdl_dtype_size(dtype), cdl_data_numel(y));
	return CDL_OK;
}

/* --- Expand ------------------------------------------------------------------- */

static cdl_status expand_shape(cdl_op_ctx *ctx, cdl_tensor *out)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor shape = {0};
	size_t n = 0;
	cdl_status st = cdl_data_const_ints(ctx, 1, "shape", shape.dims, CDL_MAX_RANK, &n);

	if (st)
		return st;
	shape.rank = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		if (shape.dims[i] < 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "shape[%zu] = %lld", i,
					   (long long)shape.dims[i]);
	if (!cdl_broadcast_shape(x, &shape, out)) {
		char a[128], b[128];

		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "cannot broadcast %s to %s",
				   cdl_shape_str(x, a, sizeof(a)),
				   cdl_shape_str(&shape, b, sizeof(b)));
	}
	return CDL_OK;
}

static cdl_status expand_infer(cdl_op_ctx *ctx)
{
	cdl_tensor out = {0};
	cdl_status st = cdl_data_check_io(ctx, 2, 2, 1, 1);

	if (st)
		return st;
	st = expand_shape(ctx, &out);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, ctx->inputs[0]->dtype, out.rank, out.dims);
}

/* Copies x broadcast (numpy rules) into y's shape. */
static void broadcast_copy(void *y, const cdl_tensor *x, uint32_t rank, const int64_t *dims)
{
	int64_t str[CDL_MAX_RANK];
	int64_t s = 1;

	for (int d = (int)rank - 1; d >= 0; d--) {
		int xd = d - (int)rank + (int)x->rank;

		if (xd >= 0 && x->dims[xd] != 1) {
			str[d] = s;
			s *= x->dims[xd];
		} else {
			str[d] = 0;
		}
	}
	cdl_data_strided_copy(y, x->data, cdl_dtype_size(x->dtype), rank, dims, str);
}

static cdl_status expand_execute(cdl_op_ctx *ctx)
{
	cdl_tensor *y = ctx->outputs[0];
	cdl_tensor out = {0};
	cdl_status st = expand_shape(ctx, &out);

	if (!st)
		st = cdl_data_expect_output(ctx, 0, out.rank, out.dims);
	if (st)
		return st;
	broadcast_copy(y->data, ctx->inputs[0], y->rank, y->dims);
	return CDL_OK;
}

/* --- Tile --------------------------------------------------------------------- */

static cdl_status tile_repeats(cdl_op_ctx *ctx, int64_t *rep, int64_t *dims)
{
	const cdl_tensor *x = ctx->inputs[0];
	size_t n = 0;
	cdl_status st = cdl_data_const_ints(ctx, 1, "repeats", rep, CDL_MAX_RANK, &n);

	if (st)
		return st;
	if (n != x->rank)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "repeats has %zu values for rank %u", n, (unsigned)x->rank);
	for (size_t i = 0; i < n; i++) {
		if (rep[i] < 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "repeats[%zu] = %lld", i,
					   (long long)rep[i]);
		if (__builtin_mul_overflow(x->dims[i], rep[i], &dims[i]))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	}
	return CDL_OK;
}

static cdl_status tile_infer(cdl_op_ctx *ctx)
{
	int64_t rep[CDL_MAX_RANK], dims[CDL_MAX_RANK];
	cdl_status st = cdl_data_check_io(ctx, 2, 2, 1, 1);

	if (st)
		return st;
	st = tile_repeats(ctx, rep, dims);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, ctx->inputs[0]->dtype, ctx->inputs[0]->rank, dims);
}

static cdl_status tile_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	int64_t rep[CDL_MAX_RANK], dims[CDL_MAX_RANK];
	int64_t vdims[CDL_DATA_MAX_COPY_RANK], vstr[CDL_DATA_MAX_COPY_RANK];
	int64_t s = 1;
	cdl_status st = tile_repeats(ctx, rep, dims);

	if (!st)
		st = cdl_data_expect_output(ctx, 0, x->rank, dims);
	if (st)
		return st;
	/* output viewed as [rep0, dim0, rep1, dim1, ...], the rep dims with stride 0 */
	for (int d = (int)x->rank - 1; d >= 0; d--) {
		vdims[2 * d] = rep[d];
		vstr[2 * d] = 0;
		vdims[2 * d + 1] = x->dims[d];
		vstr[2 * d + 1] = s;
		s *= x->dims[d];
	}
	cdl_data_strided_copy(ctx->outputs[0]->data, x->data, cdl_dtype_size(x->dtype),
			      2u * x->rank, vdims, vstr);
	return CDL_OK;
}

/* --- Range -------------------------------------------------------------------- */

#define RANGE_MAX_ELEMENTS ((uint64_t)1 << 40)

static cdl_status range_scalar(cdl_op_ctx *ctx, uint32_t i, const char *name)
{
	const cdl_tensor *t = ctx->inputs[i];

	if (t->dtype != ctx->inputs[0]->dtype)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s has dtype %s, start %s", name,
				   cdl_dtype_name(t->dtype), cdl_dtype_name(ctx->inputs[0]->dtype));
	if (cdl_data_numel(t) != 1 || t->rank > 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s must be a scalar", name);
	if (!t->data)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "%s must be a constant", name);
	return CDL_OK;
}

static cdl_status range_count(cdl_op_ctx *ctx, uint64_t *count)
{
	static const char *const names[3] = {"start", "limit", "delta"};
	int dtype = ctx->inputs[0]->dtype;
	cdl_status st;

	for (uint32_t i = 0; i < 3; i++) {
		st = range_scalar(ctx, i, names[i]);
		if (st)
			return st;
	}
	if (dtype == CDL_DTYPE_F32) {
		float s = *(const float *)ctx->inputs[0]->data;
		float l = *(const float *)ctx->inputs[1]->data;
		float d = *(const float *)ctx->inputs[2]->data;
		float n = cdl_ceilf((l - s) / d);

		if (d == 0.0f || cdl_isnanf(n) || n >= (float)RANGE_MAX_ELEMENTS)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "start %g, limit %g, delta %g give no finite range",
					   (double)s, (double)l, (double)d);
		*count = n > 0.0f ? (uint64_t)n : 0;
	} else if (dtype == CDL_DTYPE_I64 || dtype == CDL_DTYPE_I32) {
		int64_t s = cdl_tensor_get_int(ctx->inputs[0], 0);
		int64_t l = cdl_tensor_get_int(ctx->inputs[1], 0);
		int64_t d = cdl_tensor_get_int(ctx->inputs[2], 0);
		/* magnitudes as unsigned: no overflow for any int64 inputs */
		uint64_t diff = (uint64_t)l - (uint64_t)s;
		uint64_t n = 0;

		if (d == 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "delta is 0");
		if (d > 0 && l > s)
			n = (diff - 1) / (uint64_t)d + 1;
		else if (d < 0 && l < s)
			n = ((uint64_t)0 - diff - 1) / ((uint64_t)0 - (uint64_t)d) + 1;
		if (n > RANGE_MAX_ELEMENTS)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "range of %llu elements",
					   (unsigned long long)n);
		*count = n;
	} else {
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "dtype %s", cdl_dtype_name(dtype));
	}
	return CDL_OK;
}

static cdl_status range_infer(cdl_op_ctx *ctx)
{
	uint64_t n = 0;
	int64_t d;
	cdl_status st = cdl_data_check_io(ctx, 3, 3, 1, 1);

	if (st)
		return st;
	st = range_count(ctx, &n);
	if (st)
		return st;
	d = (int64_t)n;
	return cdl_data_set_output(ctx, 0, ctx->inputs[0]->dtype, 1, &d);
}

static cdl_status range_execute(cdl_op_ctx *ctx)
{
	int dtype = ctx->inputs[0]->dtype;
	void *out = ctx->outputs[0]->data;
	uint64_t n = 0;
	cdl_status st = range_count(ctx, &n);

	if (!st)
		st = cdl_data_expect_output(ctx, 0, 1, (const int64_t[]){(int64_t)n});
	if (st)
		return st;
	if (dtype == CDL_DTYPE_F32) {
		float s = *(const float *)ctx->inputs[0]->data;
		float d = *(const float *)ctx->inputs[2]->data;

		for (uint64_t i = 0; i < n; i++)
			((float *)out)[i] = s + (float)i * d;
	} else {
		uint64_t s = (uint64_t)cdl_tensor_get_int(ctx->inputs[0], 0);
		uint64_t d = (uint64_t)cdl_tensor_get_int(ctx->inputs[2], 0);

		/* values lie between start and limit; unsigned avoids UB anyway */
		for (uint64_t i = 0; i < n; i++) {
			int64_t v;
			uint64_t u = s + i * d;

			memcpy(&v, &u, 8);
			if (dtype == CDL_DTYPE_I64)
				((int64_t *)out)[i] = v;
			else
				((int32_t *)out)[i] = (int32_t)v;
		}
	}
	return CDL_OK;
}

/* --- EyeLike ------------------------------------------------------------------ */

static cdl_status eye_dtype(cdl_op_ctx *ctx, int *dtype)
{
	int64_t dt = cdl_attr_int(ctx->node, "dtype", ctx->inputs[0]->dtype);

	if (dt < 0 || dt > 255 || !cdl_dtype_size((int)dt))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "dtype=%s (%lld)",
				   cdl_dtype_name((int)dt), (long long)dt);
	*dtype = (int)dt;
	return CDL_OK;
}

static cdl_status eye_like_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int dtype = 0;
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->rank != 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input must be 2-D, has rank %u",
				   (unsigned)x->rank);
	st = eye_dtype(ctx, &dtype);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, dtype, 2, x->dims);
}

static cdl_status eye_like_execute(cdl_op_ctx *ctx)
{
	cdl_tensor *y = ctx->outputs[0];
	int64_t k = cdl_attr_int(ctx->node, "k", 0);
	int64_t rows = y->dims[0], cols = y->dims[1];
	int dtype = 0;
	size_t esize;
	uint8_t one[8];
	cdl_status st = eye_dtype(ctx, &dtype);

	if (st)
		return st;
	esize = cdl_dtype_size(dtype);
	cdl_data_from_float(one, dtype, 1.0f);
	memset(y->data, 0, (size_t)rows * (size_t)cols * esize);
	if (k >= cols || k <= -rows)
		return CDL_OK; /* the diagonal lies outside the matrix */
	for (int64_t i = 0; i < rows; i++) {
		int64_t j = i + k;

		if (j >= 0 && j < cols)
			memcpy((uint8_t *)y->data + ((size_t)i * (size_t)cols + (size_t)j) * esize,
			       one, esize);
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_generate[] = {
    {"Constant", constant_infer, constant_execute},
    {"ConstantOfShape", constant_of_shape_infer, constant_of_shape_execute},
    {"Expand", expand_infer, expand_execute},
    {"Tile", tile_infer, tile_execute},
    {"Range", range_infer, range_execute},
    {"EyeLike", eye_like_infer, eye_like_execute},
    {NULL, NULL, NULL},
};
