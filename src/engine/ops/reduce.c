// SPDX-License-Identifier: Apache-2.0
/*
 * Reductions: ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL1
 * ReduceL2 ReduceLogSum ReduceLogSumExp ReduceSumSquare, and ArgMax ArgMin.
 *
 * axes come from the attribute (opset < 13, and < 18 except ReduceSum) or from
 * the optional second input (ReduceSum >= 13, all >= 18), which must then be
 * a constant since it determines the output shape. Empty axes reduce over
 * every axis unless noop_with_empty_axes=1, which reduces nothing (the
 * per-element part, e.g. the square of SumSquare, still applies).
 *
 * The reduction is a broadcast in reverse: the output, viewed with keepdims,
 * is broadcast against the input, and the iterator hands out rows that either
 * accumulate into one output element or element-wise into an output row.
 * float32 for all; Sum/Mean/Max/Min/Prod also int32/int64 (shape subgraphs).
 */
#include <string.h>

#include "../mathf.h"
#include "../op.h"
#include "ew_util.h"
#include "ops.h"

typedef enum red_kind {
	R_SUM,
	R_MEAN,
	R_MAX,
	R_MIN,
	R_PROD,
	R_L1,
	R_L2,
	R_LOG_SUM,
	R_LOG_SUM_EXP,
	R_SUM_SQUARE,
	R_LSE_PASS2, /* internal: sum of exp(x - max) */
} red_kind;

static const cdl_ew_attr_spec red_attrs[] = {
    {"keepdims", CDL_ATTR_INT},
    {"axes", CDL_ATTR_INTS},
    {"noop_with_empty_axes", CDL_ATTR_INT},
};

static bool red_int_ok(red_kind kind)
{
	return kind == R_SUM || kind == R_MEAN || kind == R_MAX || kind == R_MIN || kind == R_PROD;
}

/*
 * Which axes of x are reduced (mask) and how many elements each output
 * element reduces (*count). Fails with a message on invalid axes.
 */
static cdl_status red_mask(cdl_op_ctx *ctx, const cdl_tensor *x, bool mask[CDL_MAX_RANK],
			   size_t *count)
{
	const cdl_node *node = ctx->node;
	const cdl_tensor *axes_in = cdl_ew_in(ctx, 1);
	const int64_t *attr_axes;
	uint32_t n_axes = 0;
	int64_t axes_buf[CDL_MAX_RANK];
	const int64_t *axes = NULL;
	bool noop = cdl_attr_int(node, "noop_with_empty_axes", 0) != 0;

	attr_axes = cdl_attr_ints(node, "axes", &n_axes);
	if (axes_in) {
		size_t n;

		if (attr_axes)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to read axes: given as attribute and input");
		if (axes_in->dtype != CDL_DTYPE_I64 && axes_in->dtype != CDL_DTYPE_I32)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to read axes: dtype %s, expects int64",
					   cdl_dtype_name(axes_in->dtype));
		if (!axes_in->data)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "axes must be a constant");
		n = cdl_ew_numel(axes_in);
		if (axes_in->rank > 1 || n > CDL_MAX_RANK)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to read axes: must be a 1-D list of at most %d",
					   CDL_MAX_RANK);
		for (size_t i = 0; i < n; i++)
			axes_buf[i] = cdl_tensor_get_int(axes_in, i);
		axes = axes_buf;
		n_axes = (uint32_t)n;
	} else {
		axes = attr_axes;
	}

	memset(mask, 0, sizeof(bool) * CDL_MAX_RANK);
	if (n_axes == 0) {
		for (uint32_t d = 0; d < x->rank && !noop; d++)
			mask[d] = true;
	}
	for (uint32_t i = 0; i < n_axes; i++) {
		uint32_t a;

		if (!cdl_axis_normalize(axes[i], x->rank, &a))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to use axis %lld on rank %u: out of range",
					   (long long)axes[i], x->rank);
		if (mask[a])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to use axis %lld: repeated", (long long)axes[i]);
		mask[a] = true;
	}
	*count = 1;
	for (uint32_t d = 0; d < x->rank; d++)
		if (mask[d] && !cdl_mul_size(*count, (size_t)x->dims[d], count))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "failed to size input");
	return CDL_OK;
}

/* x's shape with the reduced dims set to 1 (the keepdims output shape). */
static void red_view(const cdl_tensor *x, const bool *mask, int dtype, cdl_tensor *v)
{
	memset(v, 0, sizeof(*v));
	v->dtype = (uint8_t)dtype;
	v->rank = x->rank;
	for (uint32_t d = 0; d < x->rank; d++)
		v->dims[d] = mask[d] ? 1 : x->dims[d];
}

static cdl_status red_infer(cdl_op_ctx *ctx, red_kind kind)
{
	const cdl_tensor *x;
	cdl_status st;
	bool mask[CDL_MAX_RANK];
	size_t count, out_n = 0;
	int64_t dims[CDL_MAX_RANK];
	uint32_t rank = 0;
	int64_t keepdims = cdl_attr_int(ctx->node, "keepdims", 1);

	st = cdl_ew_check_io(ctx, 1, 2, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, red_attrs, 3, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->dtype != CDL_DTYPE_F32 &&
	    !(red_int_ok(kind) && (x->dtype == CDL_DTYPE_I32 || x->dtype == CDL_DTYPE_I64)))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(x->dtype));
	if (!cdl_tensor_numel(x, &count))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "failed to size input");
	st = red_mask(ctx, x, mask, &count);
	if (st)
		return st;
	for (uint32_t d = 0; d < x->rank; d++) {
		if (!mask[d])
			dims[rank++] = x->dims[d];
		else if (keepdims)
			dims[rank++] = 1;
	}
	st = cdl_ew_set_out(ctx, 0, x->dtype, rank, dims);
	if (st)
		return st;
	if (kind == R_LOG_SUM_EXP) {
		/* the per-output maximum */
		out_n = cdl_ew_numel(ctx->outputs[0]);
		if (!cdl_mul_size(out_n, sizeof(float), &ctx->workspace_size))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to size workspace");
	}
	return CDL_OK;
}

/* p[0] = x (row of n), p[1] = out (one element if s[1] == 0, else a row). */
static void red_row_f32(char *const *p, const size_t *s, size_t n, const void *arg)
{
	red_kind kind = *(const red_kind *)arg;
	const float *x = (const float *)(const void *)p[0];
	float *o = (float *)(void *)p[1];
	const float *m = (const float *)(const void *)p[2]; /* LSE pass 2 only */

#define RED_F32(ACC, INIT_ACC, FIN)                                                                \
	do {                                                                                       \
		if (s[1] == 0) {                                                                   \
			float acc = o[0];                                                          \
			INIT_ACC;                                                                  \
			for (size_t i = 0; i < n; i++) {                                           \
				float v = x[i];                                                    \
				float a = acc;                                                     \
				acc = (ACC);                                                       \
			}                                                                          \
			o[0] = acc;                                                                \
		} else {                                                                           \
			for (size_t i = 0; i < n; i++) {                                           \
				float v = x[i];                                                    \
				float a = o[i];                                                    \
				FIN;                                                               \
				o[i] = (ACC);                                                      \
			}                                                                          \
		}                                                                                  \
	} while (0)

	switch (kind) {
	case R_SUM:
	case R_MEAN:
	case R_LOG_SUM:
		RED_F32(a + v, (void)0, (void)0);
		break;
	case R_MAX:
	case R_LOG_SUM_EXP: /* pass 1 */
		RED_F32((v != v || v > a) ? v : a, (void)0, (void)0);
		break;
	case R_MIN:
		RED_F32((v != v || v < a) ? v : a, (void)0, (void)0);
		break;
	case R_PROD:
		RED_F32(a * v, (void)0, (void)0);
		break;
	case R_L1:
		RED_F32(a + cdl_fabsf(v), (void)0, (void)0);
		break;
	case R_L2:
	case R_SUM_SQUARE:
		RED_F32(a + v * v, (void)0, (void)0);
		break;
	case R_LSE_PASS2: {
		float mm = m[0];

		/* in the row form the max varies along the row: index it */
		RED_F32(a + cdl_expf(v - mm), (void)0, mm = m[i]);
		break;
	}
	}
#undef RED_F32
}

#define RED_INT_ROW(name, T, UT, LO, HI)                                                           \
	static void name(char *const *p, const size_t *s, size_t n, const void *arg)               \
	{                                                                                          \
		red_kind kind = *(const red_kind *)arg;                                            \
		const T *x = (const T *)(const void *)p[0];                                        \
		T *o = (T *)(void *)p[1];                                                          \
		size_t so = s[1];                                                                  \
		for (size_t i = 0; i < n; i++) {                                                   \
			T v = x[i];                                                                \
			T *a = &o[i * so];                                                         \
			switch (kind) {                                                            \
			case R_MAX:                                                                \
				*a = v > *a ? v : *a;                                              \
				break;                                                             \
			case R_MIN:                                                                \
				*a = v < *a ? v : *a;                                              \
				break;                                                             \
			case R_PROD:                                                               \
				*a = (T)((UT)*a * (UT)v);                                          \
				break;                                                             \
			default:                                                                   \
				*a = (T)((UT)*a + (UT)v);                                          \
				break;                                                             \
			}                                                                          \
		}                                                                                  \
	}                                                                                          \
	static void name##_init(T *o, size_t n, red_kind kind)                                     \
	{                                                                                          \
		T v = kind == R_MAX ? (T)(LO) : kind == R_MIN ? (T)(HI) : kind == R_PROD ? 1 : 0;  \
		for (size_t i = 0; i < n; i++)                                                     \
			o[i] = v;                                                                  \
	}                                                                                          \
	static void name##_mean(T *o, size_t n, size_t count)                                      \
	{                                                                                          \
		for (size_t i = 0; i < n && count > 0; i++)                                        \
			o[i] = (T)(o[i] / (T)count);                                               \
	}

RED_INT_ROW(red_row_i32, int32_t, uint32_t, INT32_MIN, INT32_MAX)
RED_INT_ROW(red_row_i64, int64_t, uint64_t, INT64_MIN, INT64_MAX)

static void fill_f32(float *o, size_t n, float v)
{
	for (size_t i = 0; i < n; i++)
		o[i] = v;
}

static cdl_status red_execute(cdl_op_ctx *ctx, red_kind kind)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *out = ctx->outputs[0];
	bool mask[CDL_MAX_RANK];
	size_t count = 0, n_out = cdl_ew_numel(out);
	size_t es = cdl_dtype_size(x->dtype);
	cdl_tensor view, wview;
	const cdl_tensor *others[2] = {&view, &wview};
	char *base[3] = {x->data, out->data, ctx->workspace};
	size_t esz[3] = {es, es, es};
	cdl_ew_iter it;
	cdl_status st;

	st = red_mask(ctx, x, mask, &count);
	if (st)
		return st;
	red_view(x, mask, x->dtype, &view);
	wview = view;
	if (!cdl_ew_iter_init(&it, x, others, kind == R_LOG_SUM_EXP ? 2 : 1))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "shape not inferred");

	if (x->dtype == CDL_DTYPE_I32) {
		red_row_i32_init(out->data, n_out, kind);
		cdl_ew_iter_run(&it, base, esz, red_row_i32, &kind);
		if (kind == R_MEAN)
			red_row_i32_mean(out->data, n_out, count);
		return CDL_OK;
	}
	if (x->dtype == CDL_DTYPE_I64) {
		red_row_i64_init(out->data, n_out, kind);
		cdl_ew_iter_run(&it, base, esz, red_row_i64, &kind);
		if (kind == R_MEAN)
			red_row_i64_mean(out->data, n_out, count);
		return CDL_OK;
	}

	float *o = out->data;

	switch (kind) {
	case R_MAX:
		fill_f32(o, n_out, -cdl_inff());
		break;
	case R_MIN:
		fill_f32(o, n_out, cdl_inff());
		break;
	case R_PROD:
		fill_f32(o, n_out, 1.0f);
		break;
	case R_LOG_SUM_EXP: {
		red_kind pass1 = R_MAX;
		char *base1[3] = {x->data, ctx->workspace, ctx->workspace};

		fill_f32(ctx->workspace, n_out, -cdl_inff());
		cdl_ew_iter_run(&it, base1, esz, red_row_f32, &pass1);
		fill_f32(o, n_out, 0.0f);
		kind = R_LSE_PASS2;
		break;
	}
	default:
		fill_f32(o, n_out, 0.0f);
		break;
	}
	cdl_ew_iter_run(&it, base, esz, red_row_f32, &kind);

	switch (kind) {
	case R_MEAN:
		for (size_t i = 0; i < n_out; i++)
			o[i] = o[i] / (float)count;
		break;
	case R_L2:
		for (size_t i = 0; i < n_out; i++)
			o[i] = cdl_sqrtf(o[i]);
		break;
	case R_LOG_SUM:
		for (size_t i = 0; i < n_out; i++)
			o[i] = cdl_logf(o[i]);
		break;
	case R_LSE_PASS2: {
		const float *m = ctx->workspace;

		/* an infinite max is the result (and made the sum NaN) */
		for (size_t i = 0; i < n_out; i++)
			o[i] = cdl_isinff(m[i]) ? m[i] : m[i] + cdl_logf(o[i]);
		break;
	}
	default:
		break;
	}
	return CDL_OK;
}

#define RED_OP(fn, kind)                                                                           \
	static cdl_status fn##_infer(cdl_op_ctx *ctx)                                              \
	{                                                                                          \
		return red_infer(ctx, kind);                                                       \
	}                                                                                          \
	static cdl_status fn##_execute(cdl_op_ctx *ctx)                                            \
	{                                                                                          \
		return red_execute(ctx, kind);                                                     \
	}

RED_OP(reduce_sum, R_SUM)
RED_OP(reduce_mean, R_MEAN)
RED_OP(reduce_max, R_MAX)
RED_OP(reduce_min, R_MIN)
RED_OP(reduce_prod, R_PROD)
RED_OP(reduce_l1, R_L1)
RED_OP(reduce_l2, R_L2)
RED_OP(reduce_log_sum, R_LOG_SUM)
RED_OP(reduce_log_sum_exp, R_LOG_SUM_EXP)
RED_OP(reduce_sum_square, R_SUM_SQUARE)

/* --- ArgMax / ArgMin ------------------------------------------------------------ */

static const cdl_ew_attr_spec arg_attrs[] = {
    {"axis", CDL_ATTR_INT},
    {"keepdims", CDL_ATTR_INT},
    {"select_last_index", CDL_ATTR_INT},
};

static cdl_status arg_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_status st;
	int64_t axis = cdl_attr_int(ctx->node, "axis", 0);
	bool keepdims = cdl_attr_int(ctx->node, "keepdims", 1) != 0;
	int64_t dims[CDL_MAX_RANK];
	uint32_t a, rank = 0;

	st = cdl_ew_check_io(ctx, 1, 1, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, arg_attrs, 3, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->dtype != CDL_DTYPE_F32 && x->dtype != CDL_DTYPE_I32 && x->dtype != CDL_DTYPE_I64 &&
	    x->dtype != CDL_DTYPE_U8 && x->dtype != CDL_DTYPE_I8)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(x->dtype));
	if (!cdl_axis_normalize(axis, x->rank, &a))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to use axis=%lld on rank %u: out of range",
				   (long long)axis, x->rank);
	if (x->dims[a] == 0)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to reduce axis %u: it is empty", a);
	for (uint32_t d = 0; d < x->rank; d++) {
		if (d != a)
			dims[rank++] = x->dims[d];
		else if (keepdims)
			dims[rank++] = 1;
	}
	return cdl_ew_set_out(ctx, 0, CDL_DTYPE_I64, rank, dims);
}

/* y[j] = index along n of the best x[., j]; rows of inner stay contiguous. */
#define ARG_KERNEL(name, T)                                                                        \
	static void name(const T *x, int64_t *y, size_t n, size_t inner, bool is_max, bool last)   \
	{                                                                                          \
		for (size_t j = 0; j < inner; j++)                                                 \
			y[j] = 0;                                                                  \
		for (size_t r = 1; r < n; r++) {                                                   \
			const T *xr = x + r * inner;                                               \
			for (size_t j = 0; j < inner; j++) {                                       \
				T v = xr[j], b = x[(size_t)y[j] * inner + j];                      \
				bool take =                                                        \
				    is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b);    \
				if (take)                                                          \
					y[j] = (int64_t)r;                                         \
			}                                                                          \
		}                                                                                  \
	}

ARG_KERNEL(arg_f32, float)
ARG_KERNEL(arg_i32, int32_t)
ARG_KERNEL(arg_i64, int64_t)
ARG_KERNEL(arg_u8, uint8_t)
ARG_KERNEL(arg_i8, int8_t)

static cdl_status arg_execute(cdl_op_ctx *ctx, bool is_max)
{
	const cdl_tensor *x = ctx->inputs[0];
	int64_t *y = ctx->outputs[0]->data;
	bool last = cdl_attr_int(ctx->node, "select_last_index", 0) != 0;
	size_t outer, n, inner, es = cdl_dtype_size(x->dtype);
	uint32_t a;

	if (!cdl_axis_normalize(cdl_attr_int(ctx->node, "axis", 0), x->rank, &a) ||
	    !cdl_ew_split_axis(x, a, false, &outer, &n, &inner))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "axis not inferred");
	for (size_t o = 0; o < outer; o++) {
		const char *xo = (const char *)x->data + o * n * inner * es;
		int64_t *yo = y + o * inner;

		switch (x->dtype) {
		case CDL_DTYPE_F32:
			arg_f32((const float *)(const void *)xo, yo, n, inner, is_max, last);
			break;
		case CDL_DTYPE_I32:
			arg_i32((const int32_t *)(const void *)xo, yo, n, inner, is_max, last);
			break;
		case CDL_DTYPE_I64:
			arg_i64((const int64_t *)(const void *)xo, yo, n, inner, is_max, last);
			break;
		case CDL_DTYPE_U8:
			arg_u8((const uint8_t *)xo, yo, n, inner, is_max, last);
			break;
		case CDL_DTYPE_I8:
			arg_i8((const int8_t *)xo, yo, n, inner, is_max, last);
			break;
		default:
			return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "dtype not inferred");
		}
	}
	return CDL_OK;
}

static cdl_status argmax_execute(cdl_op_ctx *ctx)
{
	return arg_execute(ctx, true);
}

static cdl_status argmin_execute(cdl_op_ctx *ctx)
{
	return arg_execute(ctx, false);
}

#define ENTRY(name, fn)                                                                            \
	{                                                                                          \
		name, fn##_infer, fn##_execute                                                     \
	}

const cdl_op_def cdl_ops_reduce[] = {
    ENTRY("ReduceSum", reduce_sum),
    ENTRY("ReduceMean", reduce_mean),
    ENTRY("ReduceMax", reduce_max),
    ENTRY("ReduceMin", reduce_min),
    ENTRY("ReduceProd", reduce_prod),
    ENTRY("ReduceL1", reduce_l1),
    ENTRY("ReduceL2", reduce_l2),
    ENTRY("ReduceLogSum", reduce_log_sum),
    ENTRY("ReduceLogSumExp", reduce_log_sum_exp),
    ENTRY("ReduceSumSquare", reduce_sum_square),
    {"ArgMax", arg_infer, argmax_execute},
    {"ArgMin", arg_infer, argmin_execute},
    {NULL, NULL, NULL},
};
