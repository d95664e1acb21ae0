// SPDX-License-Identifier: Apache-2.0
/*
 * Normalisation operators (float32): BatchNormalization (inference only),
 * InstanceNormalization, LRN, LayerNormalization, MeanVarianceNormalization.
 *
 * Statistics use two passes (mean, then the mean squared deviation) with
 * eight partial sums, which keeps float32 accuracy over large planes.
 */
#include <string.h>

#include "../mathf.h"
#include "../op.h"
#include "ew_util.h"
#include "ops.h"

/* Sum of x[0..n) with eight partial sums (accuracy and speed). */
static float sum_f32(const float *x, size_t n)
{
	float acc[8] = {0};
	size_t i = 0;
	float s;

	for (; i + 8 <= n; i += 8)
		for (size_t k = 0; k < 8; k++)
			acc[k] += x[i + k];
	s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
	for (; i < n; i++)
		s += x[i];
	return s;
}

/* Sum of (x[i] - m)^2. */
static float sumsq_dev_f32(const float *x, size_t n, float m)
{
	float acc[8] = {0};
	size_t i = 0;
	float s;

	for (; i + 8 <= n; i += 8)
		for (size_t k = 0; k < 8; k++) {
			float d = x[i + k] - m;

			acc[k] += d * d;
		}
	s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
	for (; i < n; i++) {
		float d = x[i] - m;

		s += d * d;
	}
	return s;
}

/* y = x * a + b over n elements. */
static void affine_f32(const float *x, float *y, size_t n, float a, float b)
{
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] * a + b;
}

static cdl_status need_f32_inputs(cdl_op_ctx *ctx, uint32_t n)
{
	static const char *const names[] = {"X", "input 1", "input 2", "input 3", "input 4"};

	for (uint32_t i = 0; i < n; i++) {
		const cdl_tensor *t = cdl_ew_in(ctx, i);
		cdl_status st;

		if (!t)
			continue;
		st = cdl_ew_need_dtype(ctx, t, CDL_DTYPE_F32, i < 5 ? names[i] : "input");
		if (st)
			return st;
	}
	return CDL_OK;
}

/* --- BatchNormalization --------------------------------------------------------- */

static const cdl_ew_attr_spec bn_attrs[] = {
    {"epsilon", CDL_ATTR_FLOAT},     {"momentum", CDL_ATTR_FLOAT}, {"spatial", CDL_ATTR_INT},
    {"training_mode", CDL_ATTR_INT}, {"is_test", CDL_ATTR_INT},
};

static cdl_status bn_infer(cdl_op_ctx *ctx)
{
	static const char *const pnames[] = {"scale", "B", "mean", "var"};
	const cdl_tensor *x;
	cdl_status st;
	size_t per_n = 1, want;
	bool spatial = cdl_attr_int(ctx->node, "spatial", 1) != 0;

	st = cdl_ew_check_io(ctx, 5, 5, 5);
	if (!st)
		st = cdl_ew_check_attrs(ctx, bn_attrs, 5, true, NULL);
	if (!st)
		st = need_f32_inputs(ctx, 5);
	if (st)
		return st;
	if (cdl_attr_int(ctx->node, "training_mode", 0) != 0)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "training_mode=1");
	/* opset < 7: is_test=0 (the default) means batch statistics */
	if (ctx->node->opset < 7 && cdl_attr_int(ctx->node, "is_test", 0) == 0)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "is_test=0 (training, opset %u)",
				   ctx->node->opset);
	if (ctx->node->opset >= 7 && cdl_attr_find(ctx->node, "is_test"))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute is_test (opset %u)",
				   ctx->node->opset);
	for (uint32_t i = 1; i < ctx->n_outputs; i++)
		if (ctx->outputs[i])
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
					   "output %u (training-mode statistics)", i);
	/* spatial was removed in opset 9, training_mode added in 14 */
	if (cdl_attr_find(ctx->node, "spatial") && ctx->node->opset >= 9)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute spatial (opset %u)",
				   ctx->node->opset);
	x = ctx->inputs[0];
	if (x->rank < 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to normalise rank %u: expects N x C x ...", x->rank);
	for (uint32_t d = 1; d < x->rank; d++)
		if (!cdl_mul_size(per_n, (size_t)(x->dims[d] < 0 ? 0 : x->dims[d]), &per_n))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "failed to size input");
	/* spatial=0 (opset < 9): one set of parameters per element of X[1:] */
	want = spatial ? (size_t)x->dims[1] : per_n;
	for (uint32_t i = 1; i < 5; i++)
		if (cdl_ew_numel(ctx->inputs[i]) != want || ctx->inputs[i]->rank == 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to use %s: expects %zu elements, got %zu",
					   pnames[i - 1], want, cdl_ew_numel(ctx->inputs[i]));
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

static cdl_status bn_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const float *scale = ctx->inputs[1]->data, *bias = ctx->inputs[2]->data;
	const float *mean = ctx->inputs[3]->data, *var = ctx->inputs[4]->data;
	float eps = cdl_attr_float(ctx->node, "epsilon", 1e-5f);
	bool spatial = cdl_attr_int(ctx->node, "spatial", 1) != 0;
	size_t n = (size_t)x->dims[0], c = (size_t)x->dims[1];
	size_t total = cdl_ew_numel(x), hw;
	const float *xp = x->data;
	float *yp = ctx->outputs[0]->data;
	cdl_act act;

	if (cdl_act_from_node(ctx->node, &act) != CDL_OK)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "cdl.act not inferred");
	if (total == 0)
		return CDL_OK;
	hw = total / (n * c);
	if (!spatial) {
		/* parameters per element of X[1:]: one "channel" of one element */
		hw = 1;
		c = total / n;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < c; j++) {
			float a = scale[j] / cdl_sqrtf(var[j] + eps);
			float b = bias[j] - mean[j] * a;
			size_t off = (i * c + j) * hw;

			affine_f32(xp + off, yp + off, hw, a, b);
			if (spatial)
				cdl_act_apply(&act, yp + off, hw);
		}
	}
	if (!spatial)
		cdl_act_apply(&act, yp, total);
	return CDL_OK;
}

/* --- InstanceNormalization --------------------------------------------------------- */

static const cdl_ew_attr_spec in_attrs[] = {{"epsilon", CDL_ATTR_FLOAT}};

static cdl_status instnorm_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_status st;

	st = cdl_ew_check_io(ctx, 3, 3, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, in_attrs, 1, false, NULL);
	if (!st)
		st = need_f32_inputs(ctx, 3);
	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->rank < 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to normalise rank %u: expects N x C x ...", x->rank);
	for (uint32_t i = 1; i < 3; i++)
		if (ctx->inputs[i]->rank != 1 || ctx->inputs[i]->dims[0] != x->dims[1])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to use %s: expects [%lld]",
					   i == 1 ? "scale" : "B", (long long)x->dims[1]);
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

static cdl_status instnorm_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const float *scale = ctx->inputs[1]->data, *bias = ctx->inputs[2]->data;
	float eps = cdl_attr_float(ctx->node, "epsilon", 1e-5f);
	size_t n = (size_t)x->dims[0], c = (size_t)x->dims[1];
	size_t total = cdl_ew_numel(x), hw;
	const float *xp = x->data;
	float *yp = ctx->outputs[0]->data;

	if (total == 0)
		return CDL_OK;
	hw = total / (n * c);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < c; j++) {
			size_t off = (i * c + j) * hw;
			float m = sum_f32(xp + off, hw) / (float)hw;
			float v = sumsq_dev_f32(xp + off, hw, m) / (float)hw;
			float a = scale[j] / cdl_sqrtf(v + eps);

			affine_f32(xp + off, yp + off, hw, a, bias[j] - m * a);
		}
	}
	return CDL_OK;
}

/* --- LRN ------------------------------------------------------------------------- */

static const cdl_ew_attr_spec lrn_attrs[] = {
    {"alpha", CDL_ATTR_FLOAT},
    {"beta", CDL_ATTR_FLOAT},
    {"bias", CDL_ATTR_FLOAT},
    {"size", CDL_ATTR_INT},
};

static cdl_status lrn_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_status st;
	int64_t size = cdl_attr_int(ctx->node, "size", 0);

	st = cdl_ew_check_io(ctx, 1, 1, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, lrn_attrs, 4, false, NULL);
	if (!st)
		st = need_f32_inputs(ctx, 1);
	if (st)
		return st;
	x = ctx->inputs[0];
	if (size < 1 || size > INT32_MAX)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to read size=%lld: must be >= 1", (long long)size);
	if (x->rank < 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to normalise rank %u: expects N x C x ...", x->rank);
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

static cdl_status lrn_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	float alpha = cdl_attr_float(ctx->node, "alpha", 1e-4f);
	float beta = cdl_attr_float(ctx->node, "beta", 0.75f);
	float bias = cdl_attr_float(ctx->node, "bias", 1.0f);
	size_t size = (size_t)cdl_attr_int(ctx->node, "size", 1);
	size_t before = (size - 1) / 2, after = size - 1 - before;
	size_t n = (size_t)x->dims[0], c = (size_t)x->dims[1];
	size_t total = cdl_ew_numel(x), hw;
	const float *xp = x->data;
	float *yp = ctx->outputs[0]->data;
	float k = alpha / (float)size;

	if (total == 0)
		return CDL_OK;
	hw = total / (n * c);
	for (size_t i = 0; i < n; i++) {
		const float *xi = xp + i * c * hw;
		float *yi = yp + i * c * hw;

		for (size_t j = 0; j < c; j++) {
			size_t lo = j >= before ? j - before : 0;
			size_t hi = j + after < c ? j + after : c - 1;
			float *y = yi + j * hw;

			/* y = sum of squares over the channel window */
			for (size_t s = 0; s < hw; s++)
				y[s] = 0.0f;
			for (size_t cc = lo; cc <= hi; cc++) {
				const float *xc = xi + cc * hw;

				for (size_t s = 0; s < hw; s++)
					y[s] += xc[s] * xc[s];
			}
			for (size_t s = 0; s < hw; s++) {
				float d = bias + k * y[s];
				float p;

				if (beta == 0.75f) {
					float r = cdl_sqrtf(d);

					p = r * cdl_sqrtf(r);
				} else {
					p = cdl_powf(d, beta);
				}
				y[s] = xi[j * hw + s] / p;
			}
		}
	}
	return CDL_OK;
}

/* --- LayerNormalization ---------------------------------------------------------- */

static const cdl_ew_attr_spec ln_attrs[] = {
    {"axis", CDL_ATTR_INT},
    {"epsilon", CDL_ATTR_FLOAT},
    {"stash_type", CDL_ATTR_INT},
};

/* The normalised part X[axis:] as a tensor of its own. */
static void ln_tail(const cdl_tensor *x, uint32_t axis, cdl_tensor *t)
{
	memset(t, 0, sizeof(*t));
	t->dtype = x->dtype;
	t->rank = (uint8_t)(x->rank - axis);
	for (uint32_t d = axis; d < x->rank; d++)
		t->dims[d - axis] = x->dims[d];
}

static cdl_status ln_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_tensor tail, shape;
	cdl_status st;
	int64_t axis = cdl_attr_int(ctx->node, "axis", -1);
	int64_t sdims[CDL_MAX_RANK];
	uint32_t a;
	size_t m, ws = 0;
	char sa[96], sb[96];

	st = cdl_ew_check_io(ctx, 2, 3, 3);
	if (!st)
		st = cdl_ew_check_attrs(ctx, ln_attrs, 3, false, NULL);
	if (!st)
		st = need_f32_inputs(ctx, 3);
	if (st)
		return st;
	if (cdl_attr_int(ctx->node, "stash_type", 1) != 1)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "stash_type=%lld (only 1, float32)",
				   (long long)cdl_attr_int(ctx->node, "stash_type", 1));
	x = ctx->inputs[0];
	if (!cdl_axis_normalize(axis, x->rank, &a))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to use axis=%lld on rank %u: out of range",
				   (long long)axis, x->rank);
	ln_tail(x, a, &tail);
	m = cdl_ew_numel(&tail);
	for (uint32_t i = 1; i < 3; i++) {
		const cdl_tensor *p = cdl_ew_in(ctx, i);

		if (!p)
			continue;
		shape = tail;
		if (!cdl_broadcast_shape(&tail, p, &shape) || !cdl_tensor_same_shape(&shape, &tail))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to broadcast %s %s to %s: not broadcastable",
					   i == 1 ? "Scale" : "B", cdl_shape_str(p, sa, sizeof(sa)),
					   cdl_shape_str(&tail, sb, sizeof(sb)));
		/* a parameter smaller than X[axis:] is expanded into the workspace */
		if (cdl_ew_numel(p) != m && !cdl_add_size(ws, m * sizeof(float), &ws))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to size workspace");
	}
	st = cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
	if (st)
		return st;
	/* Mean and InvStdDev: X[:axis] followed by ones */
	for (uint32_t d = 0; d < x->rank; d++)
		sdims[d] = d < a ? x->dims[d] : 1;
	st = cdl_ew_set_out(ctx, 1, CDL_DTYPE_F32, x->rank, sdims);
	if (!st)
		st = cdl_ew_set_out(ctx, 2, CDL_DTYPE_F32, x->rank, sdims);
	if (st)
		return st;
	ctx->workspace_size = ws;
	return CDL_OK;
}

static void copy_row(char *const *p, const size_t *s, size_t n, const void *arg)
{
	float *o = (float *)(void *)p[0];
	const float *x = (const float *)(const void *)p[1];

	(void)arg;
	for (size_t i = 0; i < n; i++)
		o[i] = x[i * s[1]];
}

/* p broadcast to tail's shape: p's own data if it has every element, else a copy in ws. */
static const float *ln_param(const cdl_tensor *p, const cdl_tensor *tail, float **ws)
{
	cdl_ew_iter it;
	char *base[2];
	size_t esz[2] = {sizeof(float), sizeof(float)};
	const float *r = *ws;

	if (!p)
		return NULL;
	if (cdl_ew_numel(p) == cdl_ew_numel(tail))
		return p->data;
	base[0] = (char *)*ws;
	base[1] = p->data;
	if (cdl_ew_iter_init(&it, tail, &p, 1))
		cdl_ew_iter_run(&it, base, esz, copy_row, NULL);
	*ws += cdl_ew_numel(tail);
	return r;
}

static cdl_status ln_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *mean_out = cdl_ew_out(ctx, 1), *inv_out = cdl_ew_out(ctx, 2);
	float eps = cdl_attr_float(ctx->node, "epsilon", 1e-5f);
	cdl_tensor tail;
	uint32_t a;
	size_t m, rows;
	float *ws = ctx->workspace;
	const float *scale, *bias, *xp = x->data;
	float *yp = ctx->outputs[0]->data;

	if (!cdl_axis_normalize(cdl_attr_int(ctx->node, "axis", -1), x->rank, &a))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "axis not inferred");
	ln_tail(x, a, &tail);
	m = cdl_ew_numel(&tail);
	if (m == 0)
		return CDL_OK;
	rows = cdl_ew_numel(x) / m;
	scale = ln_param(ctx->inputs[1], &tail, &ws);
	bias = ln_param(cdl_ew_in(ctx, 2), &tail, &ws);
	for (size_t r = 0; r < rows; r++) {
		const float *xr = xp + r * m;
		float *yr = yp + r * m;
		float mean = sum_f32(xr, m) / (float)m;
		float inv = 1.0f / cdl_sqrtf(sumsq_dev_f32(xr, m, mean) / (float)m + eps);

		if (bias)
			for (size_t i = 0; i < m; i++)
				yr[i] = (xr[i] - mean) * inv * scale[i] + bias[i];
		else
			for (size_t i = 0; i < m; i++)
				yr[i] = (xr[i] - mean) * inv * scale[i];
		if (mean_out)
			((float *)mean_out->data)[r] = mean;
		if (inv_out)
			((float *)inv_out->data)[r] = inv;
	}
	return CDL_OK;
}

/* --- MeanVarianceNormalization ------------------------------------------------------ */

static const cdl_ew_attr_spec mvn_attrs[] = {{"axes", CDL_ATTR_INTS}};
static const int64_t mvn_default_axes[] = {0, 2, 3};

/* x's shape with the normalised axes set to 1 (the statistics' shape). */
static cdl_status mvn_stats_shape(cdl_op_ctx *ctx, const cdl_tensor *x, cdl_tensor *s)
{
	uint32_t n_axes = 0;
	const int64_t *axes = cdl_attr_ints(ctx->node, "axes", &n_axes);
	bool seen[CDL_MAX_RANK] = {false};

	if (!axes) {
		axes = mvn_default_axes;
		n_axes = 3;
	}
	*s = *x;
	s->data = NULL;
	for (uint32_t i = 0; i < n_axes; i++) {
		uint32_t a;

		if (!cdl_axis_normalize(axes[i], x->rank, &a) || seen[a])
			return cdl_op_fail(
			    ctx, CDL_ERR_INVALID_ARGUMENT,
			    "failed to use axis %lld on rank %u: out of range or repeated",
			    (long long)axes[i], x->rank);
		seen[a] = true;
		s->dims[a] = 1;
	}
	return CDL_OK;
}

static cdl_status mvn_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	cdl_tensor stats;
	cdl_status st;
	size_t n;

	st = cdl_ew_check_io(ctx, 1, 1, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, mvn_attrs, 1, false, NULL);
	if (!st)
		st = need_f32_inputs(ctx, 1);
	if (st)
		return st;
	x = ctx->inputs[0];
	st = mvn_stats_shape(ctx, x, &stats);
	if (st)
		return st;
	/* mean and 1/std per statistics element */
	n = cdl_ew_numel(&stats);
	if (!cdl_mul_size(n, 2 * sizeof(float), &ctx->workspace_size))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "failed to size workspace");
	return cdl_ew_set_out(ctx, 0, x->dtype, x->rank, x->dims);
}

enum { MVN_SUM, MVN_DEV, MVN_APPLY };

/* Operands: 0 x, 1 mean, 2 var / inverse std, 3 y. */
static void mvn_row(char *const *p, const size_t *s, size_t n, const void *arg)
{
	int phase = *(const int *)arg;
	const float *x = (const float *)(const void *)p[0];
	float *m = (float *)(void *)p[1];
	float *v = (float *)(void *)p[2];
	float *y = (float *)(void *)p[3];

	if (s[1] == 0) {
		if (phase == MVN_SUM)
			m[0] += sum_f32(x, n);
		else if (phase == MVN_DEV)
			v[0] += sumsq_dev_f32(x, n, m[0]);
		else
			affine_f32(x, y, n, v[0], -m[0] * v[0]);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (phase == MVN_SUM) {
			m[i] += x[i];
		} else if (phase == MVN_DEV) {
			float d = x[i] - m[i];

			v[i] += d * d;
		} else {
			y[i] = (x[i] - m[i]) * v[i];
		}
	}
}

static cdl_status mvn_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *y = ctx->outputs[0];
	cdl_tensor stats;
	const cdl_tensor *others[3];
	cdl_ew_iter it;
	size_t n, count;
	float *mean = ctx->workspace, *var;
	char *base[4];
	size_t esz[4] = {4, 4, 4, 4};
	int phase;

	if (mvn_stats_shape(ctx, x, &stats) != CDL_OK)
		return CDL_ERR_INTERNAL;
	n = cdl_ew_numel(&stats);
	if (n == 0 || cdl_ew_numel(x) == 0)
		return CDL_OK;
	count = cdl_ew_numel(x) / n;
	var = mean + n;
	others[0] = &stats;
	others[1] = &stats;
	others[2] = y;
	base[0] = x->data;
	base[1] = (char *)mean;
	base[2] = (char *)var;
	base[3] = y->data;
	if (!cdl_ew_iter_init(&it, x, others, 3))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "shape not inferred");
	for (size_t i = 0; i < n; i++)
		mean[i] = var[i] = 0.0f;
	phase = MVN_SUM;
	cdl_ew_iter_run(&it, base, esz, mvn_row, &phase);
	for (size_t i = 0; i < n; i++)
		mean[i] /= (float)count;
	phase = MVN_DEV;
	cdl_ew_iter_run(&it, base, esz, mvn_row, &phase);
	/* as ONNX's function body: (x - mean) / (sqrt(var) + 1e-9) */
	for (size_t i = 0; i < n; i++)
		var[i] = 1.0f / (cdl_sqrtf(var[i] / (float)count) + 1e-9f);
	phase = MVN_APPLY;
	cdl_ew_iter_run(&it, base, esz, mvn_row, &phase);
	return CDL_OK;
}

const cdl_op_def cdl_ops_normalization[] = {
    {"BatchNormalization", bn_infer, bn_execute},
    {"InstanceNormalization", instnorm_infer, instnorm_execute},
    {"LRN", lrn_infer, lrn_execute},
    {"LayerNormalization", ln_infer, ln_execute},
    {"MeanVarianceNormalization", mvn_infer, mvn_execute},
    {NULL, NULL, NULL},
};
