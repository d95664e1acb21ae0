// SPDX-License-Identifier: Apache-2.0
/*
 * Pad (ONNX opsets 2-18). Before opset 11 pads/value are attributes; from 11
 * pads is an input (must be a constant) with an optional constant_value input,
 * from 18 an optional axes input. Modes constant, reflect, edge. Negative pads
 * crop. Any dtype.
 */
#include <string.h>

#include "../op.h"
#include "data_util.h"
#include "ops.h"

enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

typedef struct pad_params {
	enum pad_mode mode;
	int64_t begin[CDL_MAX_RANK];
	int64_t dims[CDL_MAX_RANK]; /* output dims */
	float value;		    /* opset < 11: the `value` attribute */
} pad_params;

/* Pads are bounded so that in + begin + end cannot overflow. */
#define PAD_LIMIT ((int64_t)1 << 40)

static cdl_status pad_get(cdl_op_ctx *ctx, pad_params *p)
{
	const cdl_tensor *x = ctx->inputs[0];
	const char *mode = cdl_attr_string(ctx->node, "mode", "constant");
	int64_t pads[2 * CDL_MAX_RANK];
	int64_t axes[CDL_MAX_RANK];
	int64_t begin[CDL_MAX_RANK] = {0}, end[CDL_MAX_RANK] = {0};
	bool seen[CDL_MAX_RANK] = {false};
	size_t n = 0, n_axes = x->rank;
	cdl_status st;

	if (cdl_attr_streq(mode, "constant"))
		p->mode = PAD_CONSTANT;
	else if (cdl_attr_streq(mode, "reflect"))
		p->mode = PAD_REFLECT;
	else if (cdl_attr_streq(mode, "edge"))
		p->mode = PAD_EDGE;
	else
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "mode=%s", mode);
	p->value = 0.0f;
	if (ctx->node->opset < 11) {
		uint32_t cnt = 0;
		const int64_t *a = cdl_attr_ints(ctx->node, "pads", &cnt);

		if (!a)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "attribute pads is required");
		if (cnt > 2 * CDL_MAX_RANK)
			cnt = 2 * CDL_MAX_RANK + 1; /* caught below */
		else
			memcpy(pads, a, cnt * sizeof(*a));
		n = cnt;
		p->value = cdl_attr_float(ctx->node, "value", 0.0f);
	} else {
		const cdl_tensor *cv = cdl_data_in(ctx, 2);

		st = cdl_data_const_ints(ctx, 1, "pads", pads, 2 * CDL_MAX_RANK, &n);
		if (st)
			return st;
		if (cv && (cv->dtype != x->dtype || cdl_data_numel(cv) > 1))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "constant_value must be a %s scalar",
					   cdl_dtype_name(x->dtype));
		if (cdl_data_in(ctx, 3)) {
			st = cdl_data_const_ints(ctx, 3, "axes", axes, CDL_MAX_RANK, &n_axes);
			if (st)
				return st;
		}
	}
	if (n != 2 * n_axes)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "pads has %zu values, expected %zu for %zu axes", n, 2 * n_axes,
				   n_axes);
	for (size_t i = 0; i < n_axes; i++) {
		int64_t ax = n_axes == x->rank && !cdl_data_in(ctx, 3) ? (int64_t)i : axes[i];
		uint32_t d = 0;

		if (!cdl_axis_normalize(ax, x->rank, &d) || seen[d])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "axis %lld is out of range or repeated for rank %u",
					   (long long)ax, (unsigned)x->rank);
		seen[d] = true;
		begin[d] = pads[i];
		end[d] = pads[i + n_axes];
	}
	for (uint32_t d = 0; d < x->rank; d++) {
		int64_t in = x->dims[d];

		if (begin[d] <= -PAD_LIMIT || begin[d] >= PAD_LIMIT || end[d] <= -PAD_LIMIT ||
		    end[d] >= PAD_LIMIT)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "pads on axis %u too large", d);
		p->begin[d] = begin[d];
		p->dims[d] = in + begin[d] + end[d];
		if (p->dims[d] < 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "pads %lld, %lld crop more than dim %u = %lld",
					   (long long)begin[d], (long long)end[d], d,
					   (long long)in);
		if (p->mode != PAD_CONSTANT && in == 0 && p->dims[d] > 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "mode=%s cannot pad the empty axis %u", mode, d);
	}
	return CDL_OK;
}

static cdl_status pad_infer(cdl_op_ctx *ctx)
{
	pad_params p;
	cdl_status st = cdl_data_check_io(ctx, 1, ctx->node->opset < 11 ? 1 : 4, 1, 1);

	if (st)
		return st;
	if (ctx->node->opset >= 11 && ctx->n_inputs < 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input pads is required");
	st = pad_get(ctx, &p);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, ctx->inputs[0]->dtype, ctx->inputs[0]->rank, p.dims);
}

/* Input index for output index o (already shifted by -begin); -1 = the constant. */
static int64_t pad_map(int64_t i, int64_t n, enum pad_mode mode)
{
	if (i >= 0 && i < n)
		return i;
	if (mode == PAD_CONSTANT)
		return -1;
	if (mode == PAD_EDGE)
		return i < 0 ? 0 : n - 1;
	/* reflect (numpy semantics, also for pads larger than the dim) */
	if (n == 1)
		return 0;
	{
		int64_t period = 2 * (n - 1);

		i %= period;
		if (i < 0)
			i += period;
		return i < n ? i : period - i;
	}
}

static cdl_status pad_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *y = ctx->outputs[0];
	size_t esize = cdl_dtype_size(x->dtype);
	uint8_t value[8] = {0};
	int64_t istr[CDL_MAX_RANK];
	int64_t idx[CDL_MAX_RANK] = {0};
	uint32_t r = x->rank, last;
	size_t rows, row_len, in_len;
	int64_t lo, hi, b;
	uint8_t *dst = y->data;
	const uint8_t *src = x->data;
	pad_params p;
	cdl_status st = pad_get(ctx, &p);

	if (!st)
		st = cdl_data_expect_output(ctx, 0, x->rank, p.dims);
	if (st)
		return st;
	if (ctx->node->opset >= 11) {
		const cdl_tensor *cv = cdl_data_in(ctx, 2);

		if (cv && cdl_data_numel(cv) == 1)
			memcpy(value, cv->data, esize);
	} else {
		cdl_data_from_float(value, x->dtype, p.value);
	}
	if (r == 0) {
		memcpy(dst, src, esize);
		return CDL_OK;
	}
	if (cdl_data_numel(y) == 0)
		return CDL_OK;
	{
		int64_t s = 1;

		for (int d = (int)r - 1; d >= 0; d--) {
			istr[d] = s;
			s *= x->dims[d];
		}
	}
	last = r - 1;
	rows = cdl_data_prod(p.dims, 0, last);
	row_len = (size_t)p.dims[last];
	in_len = (size_t)x->dims[last];
	b = p.begin[last];
	/* output columns [lo, hi) map straight onto input columns [lo - b, hi - b) */
	lo = b > 0 ? b : 0;
	if (lo > (int64_t)row_len) /* a begin pad wider than what the end crop leaves */
		lo = (int64_t)row_len;
	hi = b + (int64_t)in_len < (int64_t)row_len ? b + (int64_t)in_len : (int64_t)row_len;
	if (hi < lo)
		hi = lo;
	for (size_t o = 0; o < rows; o++, dst += row_len * esize) {
		int64_t off = 0;
		bool fill = false;

		for (uint32_t d = 0; d < last; d++) {
			int64_t i = pad_map(idx[d] - p.begin[d], x->dims[d], p.mode);

			if (i < 0) {
				fill = true;
				break;
			}
			off += i * istr[d];
		}
		if (fill || in_len == 0) {
			cdl_data_fill(dst, value, esize, row_len);
		} else {
			const uint8_t *row = src + off * (int64_t)esize;

			for (int64_t j = 0; j < lo; j++) {
				int64_t i = pad_map(j - b, (int64_t)in_len, p.mode);

				memcpy(dst + j * (int64_t)esize,
				       i < 0 ? value : row + i * (int64_t)esize, esize);
			}
			if (hi > lo)
				memcpy(dst + lo * (int64_t)esize, row + (lo - b) * (int64_t)esize,
				       (size_t)(hi - lo) * esize);
			for (int64_t j = hi; j < (int64_t)row_len; j++) {
				int64_t i = pad_map(j - b, (int64_t)in_len, p.mode);

				memcpy(dst + j * (int64_t)esize,
				       i < 0 ? value : row + i * (int64_t)esize, esize);
			}
		}
		for (int d = (int)last - 1; d >= 0; d--) {
			if (++idx[d] < p.dims[d])
				break;
			idx[d] = 0;
		}
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_pad[] = {
    {"Pad", pad_infer, pad_execute},
    {NULL, NULL, NULL},
};
