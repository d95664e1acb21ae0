// SPDX-License-Identifier: Apache-2.0
/*
 * Softmax, LogSoftmax, Hardmax (float32).
 *
 * Before opset 13 the input is coerced to 2-D at axis (default 1) and the op
 * runs over the flattened dims[axis..]; from 13 on it runs along the one axis
 * (default -1). Either way the tensor is viewed as outer x n x inner and the
 * op runs over n. The maximum is subtracted first, so large inputs do not
 * overflow exp.
 */
#include <stdint.h>

#include "../mathf.h"
#include "../op.h"
#include "ew_util.h"
#include "ops.h"

typedef enum sm_kind { SM_SOFTMAX, SM_LOG_SOFTMAX, SM_HARDMAX } sm_kind;

static const cdl_ew_attr_spec sm_attrs[] = {{"axis", CDL_ATTR_INT}};

typedef struct sm_shape {
	size_t outer, n, inner;
} sm_shape;

static bool sm_layout(const cdl_node *node, const cdl_tensor *x, sm_shape *s)
{
	bool legacy = node->opset < 13;
	int64_t axis = cdl_attr_int(node, "axis", legacy ? 1 : -1);
	uint32_t a;

	if (!cdl_axis_normalize(axis, x->rank, &a))
		return false;
	return cdl_ew_split_axis(x, a, legacy, &s->outer, &s->n, &s->inner);
}

static cdl_status sm_infer(cdl_op_ctx *ctx, sm_kind kind)
{
	const cdl_tensor *x;
	cdl_status st;
	sm_shape s;
	size_t ws = 0;

	st = cdl_ew_check_io(ctx, 1, 1, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, sm_attrs, 1, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	st = cdl_ew_need_dtype(ctx, x, CDL_DTYPE_F32, "input");
	if (st)
		return st;
	if (!sm_layout(ctx->node, x, &s))
		return cdl_op_fail(
		    ctx, CDL_ERR_INVALID_ARGUMENT,
		    "failed to use axis=%lld on rank %u: out of range",
		    (long long)cdl_attr_int(ctx->node, "axis", ctx->node->opset < 13 ? 1 : -1),
		    x->rank);
	/* column layout keeps a running max and sum per inner position */
	if (kind != SM_HARDMAX && s.inner > 1 && !cdl_mul_size(s.inner, 2 * sizeof(float), &ws))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "failed to size workspace");
	st = cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
	if (st)
		return st;
	ctx->workspace_size = ws;
	return CDL_OK;
}

/* One contiguous row of n (inner == 1). */
static void sm_row(sm_kind kind, const float *x, float *y, size_t n)
{
	float m = x[0], s = 0.0f;
	size_t arg = 0;

	for (size_t i = 1; i < n; i++)
		if (x[i] > m) {
			m = x[i];
			arg = i;
		}
	switch (kind) {
	case SM_SOFTMAX:
		for (size_t i = 0; i < n; i++) {
			y[i] = cdl_expf(x[i] - m);
			s += y[i];
		}
		s = 1.0f / s;
		for (size_t i = 0; i < n; i++)
			y[i] *= s;
		break;
	case SM_LOG_SOFTMAX:
		for (size_t i = 0; i < n; i++)
			s += cdl_expf(x[i] - m);
		s = m + cdl_logf(s);
		for (size_t i = 0; i < n; i++)
			y[i] = x[i] - s;
		break;
	case SM_HARDMAX:
		for (size_t i = 0; i < n; i++)
			y[i] = 0.0f;
		y[arg] = 1.0f;
		break;
	}
}

/* n rows of inner (inner > 1): work on whole rows, one max/sum per column. */
static void sm_cols(sm_kind kind, const float *x, float *y, size_t n, size_t inner, float *mx,
		    float *sm)
{
	for (size_t j = 0; j < inner; j++) {
		mx[j] = x[j];
		sm[j] = 0.0f;
	}
	for (size_t r = 1; r < n; r++) {
		const float *xr = x + r * inner;

		for (size_t j = 0; j < inner; j++)
			mx[j] = xr[j] > mx[j] ? xr[j] : mx[j];
	}
	if (kind == SM_SOFTMAX) {
		for (size_t r = 0; r < n; r++) {
			const float *xr = x + r * inner;
			float *yr = y + r * inner;

			for (size_t j = 0; j < inner; j++) {
				yr[j] = cdl_expf(xr[j] - mx[j]);
				sm[j] += yr[j];
			}
		}
		for (size_t j = 0; j < inner; j++)
			sm[j] = 1.0f / sm[j];
		for (size_t r = 0; r < n; r++) {
			float *yr = y + r * inner;

			for (size_t j = 0; j < inner; j++)
				yr[j] *= sm[j];
		}
	} else {
		for (size_t r = 0; r < n; r++) {
			const float *xr = x + r * inner;

			for (size_t j = 0; j < inner; j++)
				sm[j] += cdl_expf(xr[j] - mx[j]);
		}
		for (size_t j = 0; j < inner; j++)
			sm[j] = mx[j] + cdl_logf(sm[j]);
		for (size_t r = 0; r < n; r++) {
			const float *xr = x + r * inner;
			float *yr = y + r * inner;

			for (size_t j = 0; j < inner; j++)
				yr[j] = xr[j] - sm[j];
		}
	}
}

/* Hardmax along a strided axis: the first maximum gets 1. */
static void hardmax_cols(const float *x, float *y, size_t n, size_t inner)
{
	for (size_t j = 0; j < inner; j++) {
		size_t arg = 0;
		float m = x[j];

		for (size_t r = 1; r < n; r++)
			if (x[r * inner + j] > m) {
				m = x[r * inner + j];
				arg = r;
			}
		for (size_t r = 0; r < n; r++)
			y[r * inner + j] = r == arg ? 1.0f : 0.0f;
	}
}

static cdl_status sm_execute(cdl_op_ctx *ctx, sm_kind kind)
{
	const cdl_tensor *in = ctx->inputs[0];
	const float *x = in->data;
	float *y = ctx->outputs[0]->data;
	float *mx = ctx->workspace;
	sm_shape s;

	if (!sm_layout(ctx->node, in, &s))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "axis not inferred");
	if (s.n == 0)
		return CDL_OK;
	for (size_t o = 0; o < s.outer; o++) {
		size_t off = o * s.n * s.inner;

		if (s.inner == 1)
			sm_row(kind, x + off, y + off, s.n);
		else if (kind == SM_HARDMAX)
			hardmax_cols(x + off, y + off, s.n, s.inner);
		else
			sm_cols(kind, x + off, y + off, s.n, s.inner, mx, mx + s.inner);
	}
	return CDL_OK;
}

#define SM_OP(fn, kind)                                                                            \
	static cdl_status fn##_infer(cdl_op_ctx *ctx)                                              \
	{                                                                                          \
		return sm_infer(ctx, kind);                                                        \
	}                                                                                          \
	static cdl_status fn##_execute(cdl_op_ctx *ctx)                                            \
	{                                                                                          \
		return sm_execute(ctx, kind);                                                      \
	}

SM_OP(softmax, SM_SOFTMAX)
SM_OP(log_softmax, SM_LOG_SOFTMAX)
SM_OP(hardmax, SM_HARDMAX)

const cdl_op_def cdl_ops_softmax[] = {
    {"Softmax", softmax_infer, softmax_execute},
    {"LogSoftmax", log_softmax_infer, log_softmax_execute},
    {"Hardmax", hardmax_infer, hardmax_execute},
    {NULL, NULL, NULL},
};
