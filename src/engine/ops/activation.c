// SPDX-License-Identifier: Apache-2.0
/*
 * Activation operators: Relu LeakyRelu PRelu Elu Selu Celu ThresholdedRelu
 * Sigmoid HardSigmoid HardSwish Tanh Softplus Softsign Clip.
 *
 * float32; Relu also int32/int64/int8 (opset 14), Clip also the integer types
 * (opset 12). Clip's min/max are attributes before opset 11 and optional
 * scalar inputs from 11 on; as inputs they are read at execute time, so they
 * need not be constants.
 */
#include <float.h>
#include <string.h>

#include "../mathf.h"
#include "../op.h"
#include "ew_util.h"
#include "ops.h"

typedef enum act_kind {
	A_RELU,
	A_LEAKY_RELU,
	A_ELU,
	A_SELU,
	A_CELU,
	A_THRESHOLDED_RELU,
	A_SIGMOID,
	A_HARD_SIGMOID,
	A_HARD_SWISH,
	A_TANH,
	A_SOFTPLUS,
	A_SOFTSIGN,
} act_kind;

typedef struct act_desc {
	cdl_ew_attr_spec attrs[2];
	uint32_t n_attrs;
	float alpha, beta; /* defaults of attrs[0], attrs[1] */
} act_desc;

#define F(name)                                                                                    \
	{                                                                                          \
		name, CDL_ATTR_FLOAT                                                               \
	}
static const act_desc act_descs[] = {
    [A_RELU] = {{{NULL, 0}}, 0, 0.0f, 0.0f},
    [A_LEAKY_RELU] = {{F("alpha")}, 1, 0.01f, 0.0f},
    [A_ELU] = {{F("alpha")}, 1, 1.0f, 0.0f},
    [A_SELU] = {{F("alpha"), F("gamma")},
		2,
		1.67326319217681884765625f,
		1.05070102214813232421875f},
    [A_CELU] = {{F("alpha")}, 1, 1.0f, 0.0f},
    [A_THRESHOLDED_RELU] = {{F("alpha")}, 1, 1.0f, 0.0f},
    [A_SIGMOID] = {{{NULL, 0}}, 0, 0.0f, 0.0f},
    [A_HARD_SIGMOID] = {{F("alpha"), F("beta")}, 2, 0.2f, 0.5f},
    [A_HARD_SWISH] = {{{NULL, 0}}, 0, 0.0f, 0.0f},
    [A_TANH] = {{{NULL, 0}}, 0, 0.0f, 0.0f},
    [A_SOFTPLUS] = {{{NULL, 0}}, 0, 0.0f, 0.0f},
    [A_SOFTSIGN] = {{{NULL, 0}}, 0, 0.0f, 0.0f},
};
#undef F

static cdl_status act_infer(cdl_op_ctx *ctx, act_kind kind)
{
	const act_desc *d = &act_descs[kind];
	const cdl_tensor *x;
	cdl_status st;

	st = cdl_ew_check_io(ctx, 1, 1, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, d->attrs, d->n_attrs, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->dtype != CDL_DTYPE_F32 &&
	    !(kind == A_RELU &&
	      (x->dtype == CDL_DTYPE_I32 || x->dtype == CDL_DTYPE_I64 || x->dtype == CDL_DTYPE_I8)))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(x->dtype));
	if (kind == A_CELU && cdl_attr_float(ctx->node, "alpha", 1.0f) == 0.0f)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to read alpha=0: must be non-zero");
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

#define RELU_INT(T)                                                                                \
	do {                                                                                       \
		const T *xi = in->data;                                                            \
		T *oi = out->data;                                                                 \
		for (size_t i = 0; i < n; i++)                                                     \
			oi[i] = xi[i] > 0 ? xi[i] : 0;                                             \
	} while (0)

static cdl_status act_execute(cdl_op_ctx *ctx, act_kind kind)
{
	const act_desc *d = &act_descs[kind];
	const cdl_tensor *in = ctx->inputs[0];
	cdl_tensor *out = ctx->outputs[0];
	size_t n = cdl_ew_numel(in);
	float alpha = 0.0f, beta = 0.0f;
	const float *x = in->data;
	float *o = out->data;

	if (in->dtype == CDL_DTYPE_I32) {
		RELU_INT(int32_t);
		return CDL_OK;
	}
	if (in->dtype == CDL_DTYPE_I64) {
		RELU_INT(int64_t);
		return CDL_OK;
	}
	if (in->dtype == CDL_DTYPE_I8) {
		RELU_INT(int8_t);
		return CDL_OK;
	}
	if (d->n_attrs > 0)
		alpha = cdl_attr_float(ctx->node, d->attrs[0].name, d->alpha);
	if (d->n_attrs > 1)
		beta = cdl_attr_float(ctx->node, d->attrs[1].name, d->beta);

	switch (kind) {
	case A_RELU:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] > 0.0f ? x[i] : 0.0f;
		break;
	case A_LEAKY_RELU:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] >= 0.0f ? x[i] : x[i] * alpha;
		break;
	case A_ELU:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] >= 0.0f ? x[i] : alpha * cdl_expm1f(x[i]);
		break;
	case A_SELU: /* alpha, gamma */
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] > 0.0f ? beta * x[i] : beta * alpha * cdl_expm1f(x[i]);
		break;
	case A_CELU:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] >= 0.0f ? x[i] : alpha * cdl_expm1f(x[i] / alpha);
		break;
	case A_THRESHOLDED_RELU:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] > alpha ? x[i] : 0.0f;
		break;
	case A_SIGMOID:
		for (size_t i = 0; i < n; i++)
			o[i] = cdl_sigmoidf(x[i]);
		break;
	case A_HARD_SIGMOID:
		for (size_t i = 0; i < n; i++) {
			float v = alpha * x[i] + beta;

			o[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
		}
		break;
	case A_HARD_SWISH: {
		cdl_act act = {CDL_ACT_HARD_SWISH, 0.0f, 0.0f};

		if (o != x)
			memcpy(o, x, n * sizeof(*o));
		cdl_act_apply(&act, o, n);
		break;
	}
	case A_TANH:
		for (size_t i = 0; i < n; i++)
			o[i] = cdl_tanhf(x[i]);
		break;
	case A_SOFTPLUS:
		/* log(1 + e^x) without overflow for large x */
		for (size_t i = 0; i < n; i++) {
			float v = x[i];

			o[i] = v > 0.0f ? v + cdl_log1pf(cdl_expf(-v)) : cdl_log1pf(cdl_expf(v));
		}
		break;
	case A_SOFTSIGN:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] / (1.0f + cdl_fabsf(x[i]));
		break;
	}
	return CDL_OK;
}

#define ACT_OP(fn, kind)                                                                           \
	static cdl_status fn##_infer(cdl_op_ctx *ctx)                                              \
	{                                                                                          \
		return act_infer(ctx, kind);                                                       \
	}                                                                                          \
	static cdl_status fn##_execute(cdl_op_ctx *ctx)                                            \
	{                                                                                          \
		return act_execute(ctx, kind);                                                     \
	}

ACT_OP(relu, A_RELU)
ACT_OP(leaky_relu, A_LEAKY_RELU)
ACT_OP(elu, A_ELU)
ACT_OP(selu, A_SELU)
ACT_OP(celu, A_CELU)
ACT_OP(thresholded_relu, A_THRESHOLDED_RELU)
ACT_OP(sigmoid, A_SIGMOID)
ACT_OP(hard_sigmoid, A_HARD_SIGMOID)
ACT_OP(hard_swish, A_HARD_SWISH)
ACT_OP(tanh, A_TANH)
ACT_OP(softplus, A_SOFTPLUS)
ACT_OP(softsign, A_SOFTSIGN)

/* --- PRelu: y = x < 0 ? slope * x : x, slope broadcast to x's shape --------- */

/*
 * Before opset 7 a 1-D slope of C elements is per channel (dim 1), as
 * PyTorch exported it; from 7 on it broadcasts like numpy (unidirectional).
 */
static void prelu_slope_view(const cdl_node *node, const cdl_tensor *x, const cdl_tensor *slope,
			     cdl_tensor *view)
{
	*view = *slope;
	if (node->opset >= 7 || slope->rank != 1 || x->rank < 2 || slope->dims[0] == 1 ||
	    slope->dims[0] != x->dims[1])
		return;
	view->rank = (uint8_t)(x->rank - 1);
	for (uint32_t d = 1; d < view->rank; d++)
		view->dims[d] = 1;
}

static void prelu_row(char *const *p, const size_t *s, size_t n, const void *arg)
{
	float *o = (float *)(void *)p[0];
	const float *x = (const float *)(const void *)p[1];
	const float *k = (const float *)(const void *)p[2];

	(void)arg;
	if (s[2]) {
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] < 0.0f ? x[i] * k[i] : x[i];
	} else {
		float slope = k[0];

		for (size_t i = 0; i < n; i++)
			o[i] = x[i] < 0.0f ? x[i] * slope : x[i];
	}
}

static cdl_status prelu_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x, *slope;
	cdl_tensor shape, view;
	cdl_status st;
	char sa[96], sb[96];

	st = cdl_ew_check_io(ctx, 2, 2, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, NULL, 0, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	st = cdl_ew_need_dtype(ctx, x, CDL_DTYPE_F32, "input");
	if (!st)
		st = cdl_ew_need_dtype(ctx, ctx->inputs[1], CDL_DTYPE_F32, "slope");
	if (st)
		return st;
	prelu_slope_view(ctx->node, x, ctx->inputs[1], &view);
	slope = &view;
	/* unidirectional: the broadcast of x and slope must be x's shape */
	if (!cdl_broadcast_shape(x, slope, &shape) || shape.rank != x->rank ||
	    memcmp(shape.dims, x->dims, sizeof(x->dims[0]) * x->rank) != 0)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to broadcast slope %s to %s: not broadcastable",
				   cdl_shape_str(slope, sb, sizeof(sb)),
				   cdl_shape_str(x, sa, sizeof(sa)));
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

static cdl_status prelu_execute(cdl_op_ctx *ctx)
{
	cdl_tensor *out = ctx->outputs[0];
	cdl_tensor view;
	const cdl_tensor *ins[2] = {ctx->inputs[0], &view};
	char *base[3] = {out->data, ctx->inputs[0]->data, ctx->inputs[1]->data};
	size_t esz[3] = {4, 4, 4};
	cdl_ew_iter it;

	prelu_slope_view(ctx->node, ctx->inputs[0], ctx->inputs[1], &view);
	if (cdl_ew_iter_init(&it, out, ins, 2))
		cdl_ew_iter_run(&it, base, esz, prelu_row, NULL);
	return CDL_OK;
}

/* --- Clip ------------------------------------------------------------------- */

static const cdl_ew_attr_spec clip_attrs[] = {
    {"min", CDL_ATTR_FLOAT},
    {"max", CDL_ATTR_FLOAT},
};

static bool clip_dtype_ok(int dtype)
{
	return dtype == CDL_DTYPE_F32 || dtype == CDL_DTYPE_I32 || dtype == CDL_DTYPE_I64 ||
	       dtype == CDL_DTYPE_U8 || dtype == CDL_DTYPE_I8;
}

static cdl_status clip_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_status st;
	bool legacy = ctx->node->opset < 11;

	st = cdl_ew_check_io(ctx, 1, legacy ? 1 : 3, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, clip_attrs, legacy ? 2 : 0, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	if (!clip_dtype_ok(x->dtype) || (legacy && x->dtype != CDL_DTYPE_F32))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(x->dtype));
	for (uint32_t i = 1; i < 3; i++) {
		const cdl_tensor *b = cdl_ew_in(ctx, i);

		if (!b)
			continue;
		if (b->dtype != x->dtype)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to read %s: dtype %s, expects %s",
					   i == 1 ? "min" : "max", cdl_dtype_name(b->dtype),
					   cdl_dtype_name(x->dtype));
		if (cdl_ew_numel(b) != 1 || b->rank > 1)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to read %s: must be a scalar",
					   i == 1 ? "min" : "max");
	}
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

#define CLIP_INT(T, LO, HI)                                                                        \
	do {                                                                                       \
		const T *xi = in->data;                                                            \
		T *oi = out->data;                                                                 \
		T lo = mn ? *(const T *)mn->data : (T)(LO);                                        \
		T hi = mx ? *(const T *)mx->data : (T)(HI);                                        \
		for (size_t i = 0; i < n; i++) {                                                   \
			T v = xi[i] < lo ? lo : xi[i];                                             \
			oi[i] = v > hi ? hi : v;                                                   \
		}                                                                                  \
	} while (0)

static cdl_status clip_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *in = ctx->inputs[0];
	const cdl_tensor *mn = cdl_ew_in(ctx, 1), *mx = cdl_ew_in(ctx, 2);
	cdl_tensor *out = ctx->outputs[0];
	size_t n = cdl_ew_numel(in);

	switch (in->dtype) {
	case CDL_DTYPE_F32: {
		const float *x = in->data;
		float *o = out->data;
		float lo, hi;

		if (ctx->node->opset < 11) {
			lo = cdl_attr_float(ctx->node, "min", -FLT_MAX);
			hi = cdl_attr_float(ctx->node, "max", FLT_MAX);
		} else {
			lo = mn ? *(const float *)mn->data : -cdl_inff();
			hi = mx ? *(const float *)mx->data : cdl_inff();
		}
		/* min then max, as ONNX: min > max gives max */
		for (size_t i = 0; i < n; i++) {
			float v = x[i] < lo ? lo : x[i];

			o[i] = v > hi ? hi : v;
		}
		break;
	}
	case CDL_DTYPE_I32:
		CLIP_INT(int32_t, INT32_MIN, INT32_MAX);
		break;
	case CDL_DTYPE_I64:
		CLIP_INT(int64_t, INT64_MIN, INT64_MAX);
		break;
	case CDL_DTYPE_U8:
		CLIP_INT(uint8_t, 0, UINT8_MAX);
		break;
	case CDL_DTYPE_I8:
		CLIP_INT(int8_t, INT8_MIN, INT8_MAX);
		break;
	default:
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "dtype not inferred");
	}
	return CDL_OK;
}

#define ENTRY(name, fn)                                                                            \
	{                                                                                          \
		name, fn##_infer, fn##_execute                                                     \
	}

const cdl_op_def cdl_ops_activation[] = {
    ENTRY("Relu", relu),
    ENTRY("LeakyRelu", leaky_relu),
    ENTRY("PRelu", prelu),
    ENTRY("Elu", elu),
    ENTRY("Selu", selu),
    ENTRY("Celu", celu),
    ENTRY("ThresholdedRelu", thresholded_relu),
    ENTRY("Sigmoid", sigmoid),
    ENTRY("HardSigmoid", hard_sigmoid),
    ENTRY("HardSwish", hard_swish),
    ENTRY("Tanh", tanh),
    ENTRY("Softplus", softplus),
    ENTRY("Softsign", softsign),
    ENTRY("Clip", clip),
    {NULL, NULL, NULL},
};
