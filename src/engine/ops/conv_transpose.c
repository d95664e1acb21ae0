// SPDX-License-Identifier: Apache-2.0
/*
 * ConvTranspose (opset 1-17), float32, 1-D/2-D/3-D: group, dilations,
 * strides, pads, output_padding, output_shape, auto_pad, optional bias, fused
 * cdl.act epilogue.
 *
 * Per image and group: col = W_g^T . X_g (a GEMM, M = out channels x kernel,
 * K = in channels, N = input positions), then col2im scatters col into Y.
 * The input positions are taken a tile at a time so that col stays within
 * CT_COL_BUDGET floats of workspace whatever the layer size.
 */
#include <string.h>

#include "../kernels/conv.h"
#include "../kernels/gemm.h"
#include "../op.h"
#include "ops.h"

#define CT_ATTR_MAX ((int64_t)1 << 31)
#define CT_COL_BUDGET ((size_t)64 * 1024) /* floats of col per tile (256 KiB) */

typedef struct ct_plan {
	cdl_conv_geom g; /* g.in = Y's spatial dims, g.out = X's (see kernels/conv.h) */
	uint32_t nsp;
	size_t batch, cin, cout, group, cin_g, cout_g;
	size_t kprod;
	size_t x_sp, y_sp; /* spatial sizes of X and Y */
	size_t m;	   /* cout_g * kprod: rows of col */
	size_t tile;	   /* input positions per col tile */
	cdl_act act;
} ct_plan;

static cdl_status ct_ints(cdl_op_ctx *ctx, const char *name, uint32_t n, int64_t lo, int64_t *out)
{
	uint32_t count = 0;
	const int64_t *v = cdl_attr_ints(ctx->node, name, &count);

	if (!v) {
		if (cdl_attr_find(ctx->node, name))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "%s must be a list of ints", name);
		return CDL_OK;
	}
	if (count != n)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s has %u values, expected %u",
				   name, count, n);
	for (uint32_t i = 0; i < n; i++) {
		if (v[i] < lo || v[i] >= CT_ATTR_MAX)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "%s[%u]=%lld out of range", name, i, (long long)v[i]);
		out[i] = v[i];
	}
	return CDL_OK;
}

/* Refuses any attribute the op does not implement (engine-contracts.md). */
static cdl_status ct_known_attrs(cdl_op_ctx *ctx, const char *const *known, size_t n_known)
{
	for (uint32_t i = 0; i < ctx->node->n_attrs; i++) {
		const char *name = ctx->node->attrs[i].name;
		size_t k = 0;

		while (k < n_known && !cdl_attr_streq(name, known[k]))
			k++;
		if (k == n_known)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute %s",
					   name ? name : "?");
	}
	return CDL_OK;
}

static const char *const ct_attrs[] = {
    "auto_pad", "dilations", "group",	"kernel_shape",	 "output_padding", "output_shape",
    "pads",	"strides",   "cdl.act", "cdl.act_alpha", "cdl.act_beta"};

static cdl_status ct_prepare(cdl_op_ctx *ctx, ct_plan *p)
{
	const cdl_tensor *x = NULL, *w = NULL, *b = NULL;
	int64_t kshape[3] = {0}, strides[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
	int64_t pads[6] = {0}, opad[3] = {0}, oshape[5] = {0};
	int64_t group = 0, cout = 0;
	const char *auto_pad = NULL;
	const int64_t *os = NULL;
	uint32_t os_count = 0, nsp = 0, off = 0;
	bool same = false, upper = false;
	cdl_status st = CDL_OK;

	memset(p, 0, sizeof(*p));
	if (ctx->n_inputs < 2 || ctx->n_inputs > 3 || ctx->n_outputs != 1 || !ctx->inputs[0] ||
	    !ctx->inputs[1])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "needs inputs X, W [, B] and one output");
	x = ctx->inputs[0];
	w = ctx->inputs[1];
	b = ctx->n_inputs > 2 ? ctx->inputs[2] : NULL;
	if ((st = ct_known_attrs(ctx, ct_attrs, sizeof(ct_attrs) / sizeof(ct_attrs[0]))))
		return st;
	if (x->dtype != CDL_DTYPE_F32 || w->dtype != CDL_DTYPE_F32 ||
	    (b && b->dtype != CDL_DTYPE_F32))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "type %s (only float32 supported)",
				   cdl_dtype_name(x->dtype != CDL_DTYPE_F32   ? x->dtype
						  : w->dtype != CDL_DTYPE_F32 ? w->dtype
									      : b->dtype));
	if (x->rank < 3 || x->rank > 5)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "X of rank %u (1-D to 3-D only)",
				   x->rank);
	if (w->rank != x->rank)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "W has rank %u, X has rank %u",
				   w->rank, x->rank);
	for (uint32_t i = 0; i < x->rank; i++) {
		if (x->dims[i] <= 0 || w->dims[i] <= 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "X and W dims must be > 0");
	}
	nsp = x->rank - 2u;
	off = 3u - nsp;
	p->nsp = nsp;
	group = cdl_attr_int(ctx->node, "group", 1);
	if (group < 1 || group > x->dims[1] || x->dims[1] % group != 0)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "group=%lld with %lld input channels", (long long)group,
				   (long long)x->dims[1]);
	if (w->dims[0] != x->dims[1])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "W has %lld input channels, X has %lld", (long long)w->dims[0],
				   (long long)x->dims[1]);
	if (__builtin_mul_overflow(w->dims[1], group, &cout) || cout >= ((int64_t)1 << 40))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "too many output channels");
	p->batch = (size_t)x->dims[0];
	p->cin = (size_t)x->dims[1];
	p->group = (size_t)group;
	p->cin_g = p->cin / p->group;
	p->cout_g = (size_t)w->dims[1];
	p->cout = (size_t)cout;
	if (b && (b->rank != 1 || b->dims[0] != cout))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "B must be [%lld]",
				   (long long)cout);

	if ((st = ct_ints(ctx, "kernel_shape", nsp, 1, kshape)) ||
	    (st = ct_ints(ctx, "strides", nsp, 1, strides)) ||
	    (st = ct_ints(ctx, "dilations", nsp, 1, dil)) ||
	    (st = ct_ints(ctx, "pads", 2 * nsp, 0, pads)) ||
	    (st = ct_ints(ctx, "output_padding", nsp, 0, opad)))
		return st;
	if (cdl_attr_find(ctx->node, "kernel_shape")) {
		for (uint32_t i = 0; i < nsp; i++)
			if (kshape[i] != w->dims[2 + i])
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "kernel_shape[%u]=%lld but W has %lld", i,
						   (long long)kshape[i], (long long)w->dims[2 + i]);
	}
	os = cdl_attr_ints(ctx->node, "output_shape", &os_count);
	if (os) {
		/* Either the spatial dims or the full shape. */
		if (os_count != nsp && os_count != nsp + 2)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "output_shape has %u values, expected %u", os_count,
					   nsp);
		for (uint32_t i = 0; i < nsp; i++) {
			oshape[i] = os[os_count - nsp + i];
			if (oshape[i] <= 0 || oshape[i] >= ((int64_t)1 << 40))
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "output_shape[%u]=%lld out of range", i,
						   (long long)oshape[i]);
		}
	}
	auto_pad = cdl_attr_string(ctx->node, "auto_pad", "NOTSET");
	upper = cdl_attr_streq(auto_pad, "SAME_UPPER");
	same = upper || cdl_attr_streq(auto_pad, "SAME_LOWER");
	if (!same && !cdl_attr_streq(auto_pad, "NOTSET") && !cdl_attr_streq(auto_pad, "VALID"))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "auto_pad=%s", auto_pad);

	for (uint32_t a = 0; a < 3; a++) {
		p->g.in[a] = p->g.out[a] = p->g.kernel[a] = p->g.stride[a] = p->g.dilation[a] = 1;
		p->g.pad[a] = 0;
	}
	for (uint32_t i = 0; i < nsp; i++) {
		const int64_t in = x->dims[2 + i], k = w->dims[2 + i];
		const int64_t s = strides[i], d = dil[i];
		int64_t dk = 0, full = 0, head = pads[i], tail = pads[nsp + i], out = 0;

		/* full = (in - 1) * s + output_padding + (k - 1) * d + 1, all < 2^40 * 2^31 */
		if (__builtin_mul_overflow(k - 1, d, &dk) || dk >= ((int64_t)1 << 61) ||
		    __builtin_mul_overflow(in - 1, s, &full) || full >= ((int64_t)1 << 61) ||
		    (full += dk + 1 + opad[i]) >= ((int64_t)1 << 62))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
		if (os || same) {
			/* pads derived from the output size (ONNX: SAME_UPPER puts the
			 * odd pad at the end, otherwise at the start). */
			int64_t total = 0;

			if (os)
				out = oshape[i];
			else if (__builtin_mul_overflow(in, s, &out))
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "output too large");
			total = full - out;
			if (total < 0)
				total = 0;
			head = upper ? total / 2 : total - total / 2;
		} else {
			if (cdl_attr_streq(auto_pad, "VALID"))
				head = tail = 0;
			out = full - head - tail;
		}
		if (out <= 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "spatial dim %u: output size %lld", i, (long long)out);
		p->g.in[off + i] = out;
		p->g.out[off + i] = in;
		p->g.kernel[off + i] = k;
		p->g.stride[off + i] = s;
		p->g.dilation[off + i] = d;
		p->g.pad[off + i] = head;
	}
	p->kprod = (size_t)(p->g.kernel[0] * p->g.kernel[1] * p->g.kernel[2]);
	p->m = p->cout_g * p->kprod; /* W's size per input channel: fits */
	p->x_sp = (size_t)(p->g.out[0] * p->g.out[1] * p->g.out[2]);
	if (!cdl_mul_size((size_t)p->g.in[0], (size_t)p->g.in[1], &p->y_sp) ||
	    !cdl_mul_size(p->y_sp, (size_t)p->g.in[2], &p->y_sp))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	p->tile = CT_COL_BUDGET / p->m;
	if (p->tile < 1)
		p->tile = 1;
	if (p->tile > p->x_sp)
		p->tile = p->x_sp;
	if (cdl_act_from_node(ctx->node, &p->act) != CDL_OK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "cdl.act=%s",
				   cdl_attr_string(ctx->node, "cdl.act", "?"));
	return CDL_OK;
}

/* col tile (64-byte aligned), then the GEMM's workspace. */
static size_t ct_col_floats(const ct_plan *p)
{
	return (p->m * p->tile + 15) / 16 * 16;
}

static size_t ct_workspace(const ct_plan *p)
{
	return ct_col_floats(p) * sizeof(float) +
	       cdl_f32_gemm_workspace_size(p->m, p->tile, p->cin_g);
}

static cdl_status ct_infer(cdl_op_ctx *ctx)
{
	ct_plan p;
	cdl_status st = ct_prepare(ctx, &p);
	cdl_tensor *y = ctx->outputs[0];
	size_t bytes = 0;

	if (st)
		return st;
	y->dtype = CDL_DTYPE_F32;
	y->rank = (uint8_t)(p.nsp + 2);
	y->dims[0] = (int64_t)p.batch;
	y->dims[1] = (int64_t)p.cout;
	for (uint32_t i = 0; i < p.nsp; i++)
		y->dims[2 + i] = p.g.in[3 - p.nsp + i];
	if (!cdl_tensor_nbytes(y, &bytes))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	ctx->workspace_size = ct_workspace(&p);
	return CDL_OK;
}

static cdl_status ct_execute(cdl_op_ctx *ctx)
{
	ct_plan p;
	cdl_status st = ct_prepare(ctx, &p);
	const cdl_f32_gemm_kernel *kern = cdl_f32_gemm_kernel_best();
	const float *x = NULL, *w = NULL, *bias = NULL;
	float *y = NULL, *col = NULL;
	void *gemm_ws = NULL;

	if (st)
		return st;
	if (ctx->workspace_size < ct_workspace(&p))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	x = ctx->inputs[0]->data;
	w = ctx->inputs[1]->data;
	bias = ctx->n_inputs > 2 && ctx->inputs[2] ? ctx->inputs[2]->data : NULL;
	y = ctx->outputs[0]->data;
	col = ctx->workspace;
	gemm_ws = col + ct_col_floats(&p);

	for (size_t n = 0; n < p.batch; n++) {
		for (size_t grp = 0; grp < p.group; grp++) {
			const float *xg = x + (n * p.cin + grp * p.cin_g) * p.x_sp;
			const float *wg = w + grp * p.cin_g * p.m;
			float *yg = y + (n * p.cout + grp * p.cout_g) * p.y_sp;

			for (size_t oc = 0; oc < p.cout_g; oc++) {
				const float v = bias ? bias[grp * p.cout_g + oc] : 0.0f;

				for (size_t i = 0; i < p.y_sp; i++)
					yg[oc * p.y_sp + i] = v;
			}
			for (size_t n0 = 0; n0 < p.x_sp; n0 += p.tile) {
				const size_t nc = p.x_sp - n0 < p.tile ? p.x_sp - n0 : p.tile;
				cdl_f32_gemm_desc d = {0};

				d.m = p.m;
				d.n = nc;
				d.k = p.cin_g;
				d.a = wg; /* A(m, c) = W[c][m] */
				d.a_rs = 1;
				d.a_cs = p.m;
				d.alpha = 1.0f;
				d.b = xg + n0;
				d.b_rs = p.x_sp;
				d.b_cs = 1;
				d.c = col;
				d.ldc = nc;
				cdl_f32_gemm(kern, &d, gemm_ws);
				cdl_f32_col2im_add(&p.g, p.cout_g, col, nc, n0, nc, yg);
			}
			if (p.act.kind != CDL_ACT_NONE)
				cdl_act_apply(&p.act, yg, p.cout_g * p.y_sp);
		}
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_conv_transpose[] = {
    {"ConvTranspose", ct_infer, ct_execute},
    {NULL, NULL, NULL},
};
