// SPDX-License-Identifier: Apache-2.0
/*
 * Resize (ONNX opsets 10-18) and Upsample (7-9).
 *
 * Modes nearest (any dtype), linear and cubic (float32), n-dimensional: every
 * dim whose size or scale changes is interpolated, separably. For each dim a
 * table maps every output coordinate to its taps (input offset, weight); the
 * coordinate mapping follows the ONNX reference implementation, computed in
 * double: half_pixel, pytorch_half_pixel, align_corners, asymmetric,
 * tf_half_pixel_for_nn, tf_crop_and_resize (roi input, extrapolation_value).
 * Before opset 11 (Upsample, Resize-10) the mapping is asymmetric and nearest
 * rounds down when upsampling and up when downsampling, as ONNX Runtime does.
 *
 * scales / sizes / roi must be constants: they decide the output shape.
 */
#include <string.h>

#include "../mathf.h"
#include "../op.h"
#include "data_util.h"
#include "ops.h"

enum rs_mode { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum rs_coord {
	RS_HALF_PIXEL,
	RS_PYTORCH_HALF_PIXEL,
	RS_ALIGN_CORNERS,
	RS_ASYMMETRIC,
	RS_TF_HALF_PIXEL_FOR_NN,
	RS_TF_CROP_AND_RESIZE,
};
enum rs_nearest { RS_PREFER_FLOOR, RS_PREFER_CEIL, RS_FLOOR, RS_CEIL, RS_SIMPLE };

#define RS_MAX_OUTPUT_DIM ((double)((int64_t)1 << 40))

typedef struct rs_params {
	enum rs_mode mode;
	enum rs_coord coord;
	enum rs_nearest nearest;
	float cubic_a;
	bool exclude_outside;
	float extrapolation;
	uint32_t rank;
	int64_t in[CDL_MAX_RANK], out[CDL_MAX_RANK];
	double scale[CDL_MAX_RANK];
	double roi_start[CDL_MAX_RANK], roi_end[CDL_MAX_RANK];
	uint32_t taps[CDL_MAX_RANK]; /* taps per output coordinate: 1 for a pass-through dim */
	size_t ws_tables;	     /* workspace bytes of the tap tables */
	size_t n_combos;	     /* tap combinations over all dims but the last */
	size_t ws_total;	     /* workspace bytes execute needs */
} rs_params;

/* One tap: input offset in elements (already times the dim's stride), weight. */
typedef struct rs_tap {
	int64_t off; /* -1: the output coordinate lies outside the crop (extrapolate) */
	float w;
	int32_t unused;
} rs_tap;

static double dfloor(double x)
{
	double t;

	if (!(x > -4.0e15 && x < 4.0e15))
		return x;
	t = (double)(int64_t)x;
	return t > x ? t - 1.0 : t;
}

static bool finite_pos(float v)
{
	return v > 0.0f && v <= 3.0e38f; /* false for NaN and inf */
}

/* --- parameters -------------------------------------------------------------- */

static cdl_status rs_strings(cdl_op_ctx *ctx, rs_params *p)
{
	const cdl_node *n = ctx->node;
	bool resize = cdl_attr_streq(n->op_type, "Resize");
	bool old = !resize || n->opset < 11;
	const char *mode = cdl_attr_string(n, "mode", "nearest");
	const char *coord = cdl_attr_string(n, "coordinate_transformation_mode", "half_pixel");
	const char *nearest = cdl_attr_string(n, "nearest_mode", "round_prefer_floor");
	const char *policy = cdl_attr_string(n, "keep_aspect_ratio_policy", "stretch");

	if (cdl_attr_streq(mode, "nearest"))
		p->mode = RS_NEAREST;
	else if (cdl_attr_streq(mode, "linear") || (old && cdl_attr_streq(mode, "bilinear")))
		p->mode = RS_LINEAR;
	else if (!old && cdl_attr_streq(mode, "cubic"))
		p->mode = RS_CUBIC;
	else
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "mode=%s", mode);
	if (old) {
		p->coord = RS_ASYMMETRIC;
		p->nearest = RS_SIMPLE;
	} else {
		if (cdl_attr_streq(coord, "half_pixel"))
			p->coord = RS_HALF_PIXEL;
		else if (cdl_attr_streq(coord, "pytorch_half_pixel"))
			p->coord = RS_PYTORCH_HALF_PIXEL;
		else if (cdl_attr_streq(coord, "align_corners"))
			p->coord = RS_ALIGN_CORNERS;
		else if (cdl_attr_streq(coord, "asymmetric"))
			p->coord = RS_ASYMMETRIC;
		else if (cdl_attr_streq(coord, "tf_half_pixel_for_nn"))
			p->coord = RS_TF_HALF_PIXEL_FOR_NN;
		else if (cdl_attr_streq(coord, "tf_crop_and_resize"))
			p->coord = RS_TF_CROP_AND_RESIZE;
		else
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
					   "coordinate_transformation_mode=%s", coord);
		if (cdl_attr_streq(nearest, "round_prefer_floor"))
			p->nearest = RS_PREFER_FLOOR;
		else if (cdl_attr_streq(nearest, "round_prefer_ceil"))
			p->nearest = RS_PREFER_CEIL;
		else if (cdl_attr_streq(nearest, "floor"))
			p->nearest = RS_FLOOR;
		else if (cdl_attr_streq(nearest, "ceil"))
			p->nearest = RS_CEIL;
		else
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "nearest_mode=%s", nearest);
	}
	p->cubic_a = cdl_attr_float(n, "cubic_coeff_a", -0.75f);
	p->exclude_outside = cdl_attr_int(n, "exclude_outside", 0) != 0;
	p->extrapolation = cdl_attr_float(n, "extrapolation_value", 0.0f);
	if (cdl_attr_int(n, "antialias", 0) != 0)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "antialias=1");
	if (cdl_attr_find(n, "axes"))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute axes");
	if (!cdl_attr_streq(policy, "stretch"))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "keep_aspect_ratio_policy=%s", policy);
	return CDL_OK;
}

/* A constant float32 vector input (scales, roi); *n = 0 when absent or empty. */
static cdl_status rs_floats(cdl_op_ctx *ctx, uint32_t idx, const char *what, const float **v,
			    size_t *n)
{
	const cdl_tensor *t = cdl_data_in(ctx, idx);

	*v = NULL;
	*n = 0;
	if (!t)
		return CDL_OK;
	if (t->dtype != CDL_DTYPE_F32 || t->rank > 1)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "%s must be a float32 vector", what);
	*n = cdl_data_numel(t);
	if (*n == 0)
		return CDL_OK;
	if (!t->data)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "%s must be a constant", what);
	*v = t->data;
	return CDL_OK;
}

static cdl_status rs_get(cdl_op_ctx *ctx, rs_params *p)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_node *n = ctx->node;
	bool resize = cdl_attr_streq(n->op_type, "Resize");
	const float *scales = NULL, *roi = NULL;
	int64_t sizes[CDL_MAX_RANK];
	size_t n_scales = 0, n_sizes = 0, n_roi = 0;
	uint32_t r = x->rank;
	size_t tables = 0, combos = 1;
	cdl_status st;

	memset(p, 0, sizeof(*p));
	p->rank = r;
	st = rs_strings(ctx, p);
	if (st)
		return st;
	if (!resize && n->opset < 9) {
		uint32_t cnt = 0;

		scales = cdl_attr_floats(n, "scales", &cnt);
		n_scales = cnt;
		if (!scales)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "attribute scales is required");
	} else if (!resize || n->opset < 11) {
		st = rs_floats(ctx, 1, "scales", &scales, &n_scales);
		if (st)
			return st;
	} else {
		st = rs_floats(ctx, 2, "scales", &scales, &n_scales);
		if (st)
			return st;
		if (cdl_data_in(ctx, 3) && cdl_data_numel(ctx->inputs[3]) > 0) {
			st = cdl_data_const_ints(ctx, 3, "sizes", sizes, CDL_MAX_RANK, &n_sizes);
			if (st)
				return st;
		}
		if (p->coord == RS_TF_CROP_AND_RESIZE) {
			st = rs_floats(ctx, 1, "roi", &roi, &n_roi);
			if (st)
				return st;
			if (n_roi != 2 * r)
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "roi has %zu values, expected %u", n_roi, 2 * r);
		}
	}
	if ((n_scales > 0) == (n_sizes > 0))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "exactly one of scales and sizes must be given");
	if ((n_scales && n_scales != r) || (n_sizes && n_sizes != r))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s has %zu values for rank %u",
				   n_scales ? "scales" : "sizes", n_scales ? n_scales : n_sizes, r);
	for (uint32_t d = 0; d < r; d++) {
		int64_t in = p->in[d] = x->dims[d];

		p->roi_start[d] = 0.0;
		p->roi_end[d] = 1.0;
		if (roi) {
			if (!(roi[d] > -1.0e6f && roi[d] < 1.0e6f && roi[d + r] > -1.0e6f &&
			      roi[d + r] < 1.0e6f))
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "roi is not finite");
			p->roi_start[d] = roi[d];
			p->roi_end[d] = roi[d + r];
		}
		if (n_scales) {
			double o;

			if (!finite_pos(scales[d]) || (!resize && scales[d] < 1.0f))
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "scales[%u] = %g",
						   d, (double)scales[d]);
			p->scale[d] = scales[d];
			o = (double)in * p->scale[d];
			if (p->coord == RS_TF_CROP_AND_RESIZE)
				o *= p->roi_end[d] - p->roi_start[d];
			if (!(o >= 0.0) || o >= RS_MAX_OUTPUT_DIM)
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "output dim %u is too large", d);
			p->out[d] = (int64_t)o;
		} else {
			if (sizes[d] < 0 || (double)sizes[d] >= RS_MAX_OUTPUT_DIM ||
			    (in == 0 && sizes[d] != 0))
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "sizes[%u] = %lld for input dim %lld", d,
						   (long long)sizes[d], (long long)in);
			p->out[d] = sizes[d];
			p->scale[d] = in ? (double)sizes[d] / (double)in : 1.0;
		}
		/* a dim that keeps its size under an exact mapping passes through */
		if (p->out[d] == in && p->scale[d] == 1.0 && p->coord != RS_TF_CROP_AND_RESIZE &&
		    p->coord != RS_TF_HALF_PIXEL_FOR_NN)
			p->taps[d] = 1;
		else
			p->taps[d] = p->mode == RS_NEAREST ? 1 : p->mode == RS_LINEAR ? 2 : 4;
		tables += (size_t)p->out[d] * p->taps[d];
		if (d + 1 < r)
			combos *= p->taps[d];
	}
	p->n_combos = combos;
	/* tap tables, the (offset, weight) combinations for one output row, and
	 * one input row of blended values */
	if (!cdl_mul_size(tables, sizeof(rs_tap), &p->ws_tables) ||
	    !cdl_add_size(p->ws_tables, combos * sizeof(rs_tap), &p->ws_total) ||
	    !cdl_add_size(p->ws_total, (size_t)p->in[r - 1] * sizeof(float), &p->ws_total))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	return CDL_OK;
}

static cdl_status rs_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	bool resize = cdl_attr_streq(ctx->node->op_type, "Resize");
	uint32_t max_in = !resize ? (ctx->node->opset < 9 ? 1 : 2) : ctx->node->opset < 11 ? 2 : 4;
	rs_params p;
	cdl_status st = cdl_data_check_io(ctx, 1, max_in, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->rank < 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input is a scalar");
	st = rs_get(ctx, &p);
	if (st)
		return st;
	if (p.mode != RS_NEAREST && x->dtype != CDL_DTYPE_F32)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "%s on dtype %s",
				   p.mode == RS_LINEAR ? "linear" : "cubic",
				   cdl_dtype_name(x->dtype));
	st = cdl_data_set_output(ctx, 0, x->dtype, x->rank, p.out);
	if (st)
		return st;
	ctx->workspace_size = p.ws_total;
	return CDL_OK;
}

/* --- tap tables -------------------------------------------------------------- */

/* Output coordinate o of dim d in input coordinates (ONNX reference formulas). */
static double rs_coord(const rs_params *p, uint32_t d, int64_t o, bool *outside)
{
	double x = (double)o, in = (double)p->in[d], s = p->scale[d];
	double len = s * in; /* the reference's float output length */
	double v;

	*outside = false;
	switch (p->coord) {
	case RS_PYTORCH_HALF_PIXEL:
		return p->out[d] > 1 ? (x + 0.5) / s - 0.5 : 0.0;
	case RS_ALIGN_CORNERS:
		return len == 1.0 ? 0.0 : x * (in - 1.0) / (len - 1.0);
	case RS_ASYMMETRIC:
		return x / s;
	case RS_TF_HALF_PIXEL_FOR_NN:
		return (x + 0.5) / s;
	case RS_TF_CROP_AND_RESIZE:
		if (p->out[d] > 1)
			v = p->roi_start[d] * (in - 1.0) + x * (p->roi_end[d] - p->roi_start[d]) *
							       (in - 1.0) / (double)(p->out[d] - 1);
		else
			v = 0.5 * (p->roi_start[d] + p->roi_end[d]) * (in - 1.0);
		*outside = v < 0.0 || v > in - 1.0;
		return v;
	case RS_HALF_PIXEL:
	default:
		return (x + 0.5) / s - 0.5;
	}
}

static int64_t clamp_idx(int64_t i, int64_t n)
{
	return i < 0 ? 0 : i >= n ? n - 1 : i;
}

static void cubic_coeffs(double r, double a, double c[4])
{
	double r1 = r + 1.0, q = 1.0 - r, q1 = q + 1.0;

	c[0] = ((a * r1 - 5.0 * a) * r1 + 8.0 * a) * r1 - 4.0 * a;
	c[1] = ((a + 2.0) * r - (a + 3.0)) * r * r + 1.0;
	c[2] = ((a + 2.0) * q - (a + 3.0)) * q * q + 1.0;
	c[3] = ((a * q1 - 5.0 * a) * q1 + 8.0 * a) * q1 - 4.0 * a;
}

static void rs_table(const rs_params *p, uint32_t d, int64_t stride, rs_tap *t)
{
	int64_t in = p->in[d];
	uint32_t k = p->taps[d];

	for (int64_t o = 0; o < p->out[d]; o++, t += k) {
		bool outside = false;
		double x, x0, r;

		if (k == 1 && p->out[d] == in && p->scale[d] == 1.0 &&
		    p->coord != RS_TF_CROP_AND_RESIZE && p->coord != RS_TF_HALF_PIXEL_FOR_NN) {
			t[0].off = o * stride; /* pass-through dim */
			t[0].w = 1.0f;
			continue;
		}
		x = rs_coord(p, d, o, &outside);
		if (outside) {
			for (uint32_t j = 0; j < k; j++) {
				t[j].off = -1;
				t[j].w = 0.0f;
			}
			continue;
		}
		x0 = dfloor(x);
		r = x - x0;
		if (p->mode == RS_NEAREST) {
			int64_t i = (int64_t)x0;

			if (r != 0.0) {
				switch (p->nearest) {
				case RS_PREFER_FLOOR:
					i += r > 0.5;
					break;
				case RS_PREFER_CEIL:
					i += r >= 0.5;
					break;
				case RS_FLOOR:
					break;
				case RS_CEIL:
					i += 1;
					break;
				case RS_SIMPLE:
					i += p->scale[d] < 1.0;
					break;
				}
			}
			t[0].off = clamp_idx(i, in) * stride;
			t[0].w = 1.0f;
		} else if (p->mode == RS_LINEAR) {
			t[0].off = clamp_idx((int64_t)x0, in) * stride;
			t[0].w = (float)(1.0 - r);
			t[1].off = clamp_idx((int64_t)x0 + 1, in) * stride;
			t[1].w = (float)r;
		} else {
			double c[4], sum = 0.0;

			cubic_coeffs(r, p->cubic_a, c);
			for (int j = 0; j < 4; j++) {
				int64_t i = (int64_t)x0 - 1 + j;

				if (p->exclude_outside && (i < 0 || i >= in))
					c[j] = 0.0;
				sum += c[j];
			}
			for (int j = 0; j < 4; j++) {
				t[j].off = clamp_idx((int64_t)x0 - 1 + j, in) * stride;
				t[j].w =
				    (float)(p->exclude_outside && sum != 0.0 ? c[j] / sum : c[j]);
			}
		}
	}
}

/* One output row of nearest: element copies by size. */
static void rs_nearest_row(uint8_t *dst, const uint8_t *base, const rs_tap *tx, size_t n,
			   size_t esize, const uint8_t *extrap)
{
	size_t i;

	for (i = 0; i < n && tx[i].off >= 0; i++) {
		switch (esize) {
		case 4:
			memcpy(dst + 4 * i, base + 4 * tx[i].off, 4);
			break;
		case 8:
			memcpy(dst + 8 * i, base + 8 * tx[i].off, 8);
			break;
		case 1:
			dst[i] = base[tx[i].off];
			break;
		default:
			memcpy(dst + esize * i, base + (int64_t)esize * tx[i].off, esize);
			break;
		}
	}
	for (; i < n; i++) /* tf_crop_and_resize: some coordinates extrapolate */
		memcpy(dst + esize * i, tx[i].off < 0 ? extrap : base + (int64_t)esize * tx[i].off,
		       esize);
}

/*
 * One output row of linear/cubic: the nc input rows of the outer dims' taps
 * are blended into buf first (contiguous, vectorises), then each output
 * takes its kx taps along the row from buf.
 */
static void rs_interp_row(float *y, const float *x, const rs_tap *combos, size_t nc,
			  const rs_tap *tx, uint32_t kx, size_t n, size_t in_len, float *buf,
			  float extrap)
{
	const float *row = buf;

	if (nc == 1 && combos[0].w == 1.0f) {
		row = x + combos[0].off;
	} else {
		const float *r0 = x + combos[0].off;
		float w0 = combos[0].w;

		for (size_t i = 0; i < in_len; i++)
			buf[i] = w0 * r0[i];
		for (size_t c = 1; c < nc; c++) {
			const float *rc = x + combos[c].off;
			float wc = combos[c].w;

			for (size_t i = 0; i < in_len; i++)
				buf[i] += wc * rc[i];
		}
	}
	for (size_t i = 0; i < n; i++) {
		const rs_tap *t = &tx[i * kx];
		float acc = 0.0f;

		if (t[0].off < 0) {
			y[i] = extrap;
			continue;
		}
		for (uint32_t j = 0; j < kx; j++)
			acc += t[j].w * row[t[j].off];
		y[i] = acc;
	}
}

/* --- execute ----------------------------------------------------------------- */

static cdl_status rs_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *y = ctx->outputs[0];
	size_t esize = cdl_dtype_size(x->dtype);
	rs_tap *tab[CDL_MAX_RANK];
	rs_tap *combos;
	float *rowbuf;
	int64_t idx[CDL_MAX_RANK] = {0};
	int64_t stride = 1;
	uint32_t r, last;
	size_t rows, row_len;
	uint8_t extrap[8] = {0};
	uint8_t *dst = y->data;
	const uint8_t *src = x->data;
	rs_params p;
	cdl_status st = rs_get(ctx, &p);

	if (!st)
		st = cdl_data_expect_output(ctx, 0, p.rank, p.out);
	if (!st && ctx->workspace_size < p.ws_total)
		st = cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	if (st)
		return st;
	r = p.rank;
	last = r - 1;
	if (cdl_data_numel(y) == 0)
		return CDL_OK;
	{
		rs_tap *ws = ctx->workspace;

		for (int d = (int)r - 1; d >= 0; d--) {
			tab[d] = ws;
			ws += (size_t)p.out[d] * p.taps[d];
		}
		combos = ws;
		rowbuf = (float *)(combos + p.n_combos);
		for (int d = (int)r - 1; d >= 0; d--) {
			rs_table(&p, (uint32_t)d, stride, tab[d]);
			stride *= p.in[d];
		}
	}
	cdl_data_from_float(extrap, x->dtype, p.extrapolation);
	rows = cdl_data_prod(p.out, 0, last);
	row_len = (size_t)p.out[last];
	for (size_t o = 0; o < rows; o++) {
		size_t nc = 1;
		bool row_out = false;
		const rs_tap *tx = tab[last];
		uint32_t kx = p.taps[last];

		/* all tap combinations of the outer dims for this row */
		combos[0].off = 0;
		combos[0].w = 1.0f;
		for (uint32_t d = 0; d < last && !row_out; d++) {
			const rs_tap *t = &tab[d][(size_t)idx[d] * p.taps[d]];
			uint32_t k = p.taps[d];

			if (t[0].off < 0) {
				row_out = true;
				break;
			}
			/* expand in place from the back so entries are not overwritten */
			for (size_t c = nc; c-- > 0;)
				for (uint32_t j = k; j-- > 0;) {
					combos[c * k + j].off = combos[c].off + t[j].off;
					combos[c * k + j].w = combos[c].w * t[j].w;
				}
			nc *= k;
		}
		if (row_out) {
			cdl_data_fill(dst, extrap, esize, row_len);
		} else if (p.mode == RS_NEAREST) {
			rs_nearest_row(dst, src + combos[0].off * (int64_t)esize, tx, row_len,
				       esize, extrap);
		} else {
			rs_interp_row((float *)dst, (const float *)src, combos, nc, tx, kx, row_len,
				      (size_t)p.in[last], rowbuf, p.extrapolation);
		}
		dst += row_len * esize;
		for (int d = (int)last - 1; d >= 0; d--) {
			if (++idx[d] < p.out[d])
				break;
			idx[d] = 0;
		}
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_resize[] = {
    {"Resize", rs_infer, rs_execute},
    {"Upsample", rs_infer, rs_execute},
    {NULL, NULL, NULL},
};
