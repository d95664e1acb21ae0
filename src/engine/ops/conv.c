// SPDX-License-Identifier: Apache-2.0
/*
 * Conv (opset 1-17), float32, 1-D/2-D/3-D: group (incl. depthwise),
 * dilations, strides, pads, auto_pad, kernel_shape, optional bias, fused
 * cdl.act epilogue.
 *
 * Three paths, chosen in conv_prepare:
 *  - depthwise (one input channel per group): a direct loop per channel,
 *    specialised for 3x3 / 5x5 at stride 1 / 2 (kernels/f32-dwconv.c);
 *  - 1x1, stride 1, no padding: a GEMM reading the input as it is (with
 *    AVX-512 without even packing it: kernels/f32-conv-direct/);
 *  - otherwise: a GEMM whose B operand is the im2col matrix, packed panel by
 *    panel straight from the input (kernels/conv.c), so the workspace is
 *    only the GEMM's bounded packing buffers; for 3x3 stride 1 'same'
 *    convolutions and 3x3 stride 2 ones (pad 0 or 1) with AVX-512, B is
 *    read from the input by the micro-kernel itself
 *    (kernels/f32-conv-direct/), with the same bits and no im2col.
 */
#include <string.h>

#include "../kernels/conv.h"
#include "../kernels/gemm.h"
#include "../kernels/isa.h"
#include "../op.h"
#include "ops.h"

/* Attribute values beyond this are refused: keeps index arithmetic in int64. */
#define CONV_ATTR_MAX ((int64_t)1 << 31)

enum conv_path { CONV_GEMM, CONV_1X1, CONV_DEPTHWISE };

typedef struct conv_plan {
	cdl_conv_geom g;
	uint32_t nsp; /* spatial dims, 1..3 */
	size_t batch, cin, cout, group, cin_g, cout_g;
	size_t kprod;  /* kernel elements per channel */
	size_t k_gemm; /* cin_g * kprod */
	size_t in_sp, out_sp;
	enum conv_path path;
	cdl_act act;
} conv_plan;

static cdl_status conv_need_f32(cdl_op_ctx *ctx, const cdl_tensor *t, const char *what)
{
	if (t->dtype != CDL_DTYPE_F32)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
				   "%s of type %s (only float32 supported)", what,
				   cdl_dtype_name(t->dtype));
	return CDL_OK;
}

/*
 * Reads an optional ints attribute of exactly n values into out (left as is
 * when absent), each in [lo, CONV_ATTR_MAX).
 */
static cdl_status conv_ints(cdl_op_ctx *ctx, const char *name, uint32_t n, int64_t lo, int64_t *out)
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
		if (v[i] < lo || v[i] >= CONV_ATTR_MAX)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "%s[%u]=%lld out of range", name, i, (long long)v[i]);
		out[i] = v[i];
	}
	return CDL_OK;
}

/* Refuses any attribute the op does not implement (engine-contracts.md). */
static cdl_status conv_known_attrs(cdl_op_ctx *ctx, const char *const *known, size_t n_known)
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

static const char *const conv_attrs[] = {"auto_pad",	 "dilations",	  "group",
					 "kernel_shape", "pads",	  "strides",
					 "cdl.act",	 "cdl.act_alpha", "cdl.act_beta"};

static cdl_status conv_prepare(cdl_op_ctx *ctx, conv_plan *p)
{
	const cdl_tensor *x = NULL, *w = NULL, *b = NULL;
	int64_t kshape[3] = {0}, strides[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
	int64_t pads[6] = {0};
	int64_t group = 0;
	const char *auto_pad = NULL;
	cdl_status st = CDL_OK;
	uint32_t nsp = 0, off = 0;
	bool one_by_one = true;

	memset(p, 0, sizeof(*p));
	if (ctx->n_inputs < 2 || ctx->n_inputs > 3 || ctx->n_outputs != 1 || !ctx->inputs[0] ||
	    !ctx->inputs[1])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "needs inputs X, W [, B] and one output");
	x = ctx->inputs[0];
	w = ctx->inputs[1];
	b = ctx->n_inputs > 2 ? ctx->inputs[2] : NULL;
	if ((st = conv_known_attrs(ctx, conv_attrs, sizeof(conv_attrs) / sizeof(conv_attrs[0]))))
		return st;
	if ((st = conv_need_f32(ctx, x, "X")) || (st = conv_need_f32(ctx, w, "W")) ||
	    (b && (st = conv_need_f32(ctx, b, "B"))))
		return st;
	if (x->rank < 3 || x->rank > 5)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
				   "X of rank %u (1-D to 3-D convolutions only)", x->rank);
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
	if (group < 1 || group > x->dims[1])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "group=%lld with %lld input channels", (long long)group,
				   (long long)x->dims[1]);
	p->batch = (size_t)x->dims[0];
	p->cin = (size_t)x->dims[1];
	p->cout = (size_t)w->dims[0];
	p->group = (size_t)group;
	if (p->cin % p->group != 0 || p->cout % p->group != 0)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "channels (in %zu, out %zu) not divisible by group=%zu", p->cin,
				   p->cout, p->group);
	p->cin_g = p->cin / p->group;
	p->cout_g = p->cout / p->group;
	if ((size_t)w->dims[1] != p->cin_g)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "W has %lld input channels per group, X has %zu / group %zu",
				   (long long)w->dims[1], p->cin, p->group);
	if (b && (b->rank != 1 || (size_t)b->dims[0] != p->cout))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "B must be [%zu]", p->cout);

	if ((st = conv_ints(ctx, "kernel_shape", nsp, 1, kshape)) ||
	    (st = conv_ints(ctx, "strides", nsp, 1, strides)) ||
	    (st = conv_ints(ctx, "dilations", nsp, 1, dil)) ||
	    (st = conv_ints(ctx, "pads", 2 * nsp, 0, pads)))
		return st;
	if (cdl_attr_find(ctx->node, "kernel_shape")) {
		for (uint32_t i = 0; i < nsp; i++)
			if (kshape[i] != w->dims[2 + i])
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "kernel_shape[%u]=%lld but W has %lld", i,
						   (long long)kshape[i], (long long)w->dims[2 + i]);
	}
	auto_pad = cdl_attr_string(ctx->node, "auto_pad", "NOTSET");
	if (!cdl_attr_streq(auto_pad, "NOTSET") && !cdl_attr_streq(auto_pad, "SAME_UPPER") &&
	    !cdl_attr_streq(auto_pad, "SAME_LOWER") && !cdl_attr_streq(auto_pad, "VALID"))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "auto_pad=%s", auto_pad);

	for (uint32_t a = 0; a < 3; a++) {
		p->g.in[a] = p->g.out[a] = p->g.kernel[a] = p->g.stride[a] = p->g.dilation[a] = 1;
		p->g.pad[a] = 0;
	}
	for (uint32_t i = 0; i < nsp; i++) {
		const int64_t in = x->dims[2 + i], k = w->dims[2 + i];
		const int64_t s = strides[i], d = dil[i];
		int64_t dk = 0, head = pads[i], tail = pads[nsp + i], out = 0;

		/* dk = (k - 1) * d + 1; k < 2^40 (tensor size), d < 2^31 */
		if (__builtin_mul_overflow(k - 1, d, &dk) || dk >= ((int64_t)1 << 62))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "dilated kernel too large");
		dk += 1;
		if (cdl_attr_streq(auto_pad, "SAME_UPPER") ||
		    cdl_attr_streq(auto_pad, "SAME_LOWER")) {
			int64_t total = 0;

			out = (in + s - 1) / s;
			total = (out - 1) * s + dk - in;
			if (total < 0)
				total = 0;
			head =
			    cdl_attr_streq(auto_pad, "SAME_UPPER") ? total / 2 : total - total / 2;
			tail = total - head;
		} else {
			if (cdl_attr_streq(auto_pad, "VALID"))
				head = tail = 0;
			if (in + head + tail < dk)
				return cdl_op_fail(
				    ctx, CDL_ERR_INVALID_ARGUMENT,
				    "spatial dim %u: input %lld + pads %lld,%lld smaller "
				    "than dilated kernel %lld",
				    i, (long long)in, (long long)head, (long long)tail,
				    (long long)dk);
			out = (in + head + tail - dk) / s + 1;
		}
		if (out <= 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "empty output");
		p->g.in[off + i] = in;
		p->g.out[off + i] = out;
		p->g.kernel[off + i] = k;
		p->g.stride[off + i] = s;
		p->g.dilation[off + i] = d;
		p->g.pad[off + i] = head;
		if (k != 1 || s != 1 || head != 0 || tail != 0)
			one_by_one = false;
	}
	/* Products of dims of existing tensors (W, X) fit in size_t; the output's
	 * are checked by the caller via cdl_tensor_nbytes, and checked here. */
	p->kprod = (size_t)(p->g.kernel[0] * p->g.kernel[1] * p->g.kernel[2]);
	p->k_gemm = p->cin_g * p->kprod;
	p->in_sp = (size_t)(p->g.in[0] * p->g.in[1] * p->g.in[2]);
	if (!cdl_mul_size((size_t)p->g.out[0], (size_t)p->g.out[1], &p->out_sp) ||
	    !cdl_mul_size(p->out_sp, (size_t)p->g.out[2], &p->out_sp))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	if (cdl_act_from_node(ctx->node, &p->act) != CDL_OK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "cdl.act=%s",
				   cdl_attr_string(ctx->node, "cdl.act", "?"));
	if (p->cin_g == 1 && p->group > 1)
		p->path = CONV_DEPTHWISE;
	else if (one_by_one)
		p->path = CONV_1X1;
	else
		p->path = CONV_GEMM;
	return CDL_OK;
}

#if defined(__x86_64__)
/* Relu and Clip as a clamp in the micro-kernel; true if act must run after. */
static bool conv_act_split(const cdl_act *act, float *lo, float *hi)
{
	*lo = -__builtin_inff();
	*hi = __builtin_inff();
	if (act->kind == CDL_ACT_NONE)
		return false;
	if (act->kind == CDL_ACT_RELU) {
		*lo = 0.0f;
		return false;
	}
	if (act->kind == CDL_ACT_CLIP) {
		*lo = act->alpha;
		*hi = act->beta;
		return false;
	}
	return true;
}
#endif

/* What infer asks for: the GEMM's default blocks (fastest). */
static size_t conv_workspace(const conv_plan *p)
{
	if (p->path == CONV_DEPTHWISE)
		return 0;
	return cdl_f32_gemm_workspace_size(p->cout_g, p->out_sp, p->k_gemm);
}

/*
 * What execute can run in: the GEMM shrinks its blocks to the workspace it is
 * given (cdl_engine_options.max_workspace caps it for tight secure heaps),
 * with bit-identical results.
 */
static size_t conv_workspace_min(const conv_plan *p)
{
	if (p->path == CONV_DEPTHWISE)
		return 0;
	return cdl_f32_gemm_workspace_min(p->cout_g, p->out_sp, p->k_gemm);
}

static cdl_status conv_infer(cdl_op_ctx *ctx)
{
	conv_plan p;
	cdl_status st = conv_prepare(ctx, &p);
	cdl_tensor *y = ctx->outputs[0];
	size_t bytes = 0;

	if (st)
		return st;
	y->dtype = CDL_DTYPE_F32;
	y->rank = (uint8_t)(p.nsp + 2);
	y->dims[0] = (int64_t)p.batch;
	y->dims[1] = (int64_t)p.cout;
	for (uint32_t i = 0; i < p.nsp; i++)
		y->dims[2 + i] = p.g.out[3 - p.nsp + i];
	if (!cdl_tensor_nbytes(y, &bytes))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	ctx->workspace_size = conv_workspace(&p);
	return CDL_OK;
}

/* One Conv execution, shared by the tasks it is split into. */
typedef struct conv_run {
	const conv_plan *p;
	cdl_f32_dwconv_fn dw;
	const float *x, *w, *bias;
	float *y;
	/* depthwise: tasks share out the batch x cout channel planes */
	size_t planes;
	uint32_t tasks;
#if defined(__x86_64__)
	/* direct paths: one image and group at a time, tasks share out its rows */
	const float *xg, *wg, *bg;
	float *yg;
	size_t panels; /* of 8 rows (the direct kernels' register tile) */
	bool s2;       /* 3x3 stride 2 (else stride 1, or 1x1) */
	bool act_after;
	float lo, hi;
#endif
} conv_run;

static void conv_dw_task(void *arg, uint32_t t, uint32_t worker)
{
	const conv_run *r = arg;
	const conv_plan *p = r->p;
	const size_t c0 = r->planes * t / r->tasks, c1 = r->planes * (t + 1) / r->tasks;

	(void)worker;
	for (size_t c = c0; c < c1; c++) {
		const size_t n = c / p->cout, oc = c % p->cout, grp = oc / p->cout_g;
		const float *xg = r->x + (n * p->cin + grp * p->cin_g) * p->in_sp;

		r->dw(&p->g, xg, r->w + oc * p->kprod, r->bias ? r->bias[oc] : 0.0f,
		      r->y + c * p->out_sp, &p->act);
	}
}

#if defined(__x86_64__)
#define CONV_DIRECT_MR 8

static void conv_direct_task(void *arg, uint32_t t, uint32_t worker)
{
	const conv_run *r = arg;
	const conv_plan *p = r->p;
	const size_t i0 = r->panels * t / r->tasks * CONV_DIRECT_MR;
	size_t i1 = r->panels * (t + 1) / r->tasks * CONV_DIRECT_MR;
	const float *bg = r->bg ? r->bg + i0 : NULL;
	float *yg = r->yg + i0 * p->out_sp;

	(void)worker;
	if (i1 > p->cout_g)
		i1 = p->cout_g;
	if (i0 >= i1)
		return;
	if (p->path == CONV_1X1)
		cdl_f32_conv1x1_direct__avx512(p->cin_g, r->xg, p->out_sp, i1 - i0,
					       r->wg + i0 * p->k_gemm, bg, yg, r->lo, r->hi);
	else if (r->s2)
		cdl_f32_conv3x3s2_direct__avx512(&p->g, p->cin_g, r->xg, i1 - i0,
						 r->wg + i0 * p->k_gemm, bg, yg, r->lo, r->hi);
	else
		cdl_f32_conv3x3s1_direct__avx512(&p->g, p->cin_g, r->xg, i1 - i0,
						 r->wg + i0 * p->k_gemm, bg, yg, r->lo, r->hi);
	if (r->act_after)
		cdl_act_apply(&p->act, yg, (i1 - i0) * p->out_sp);
}
#endif

static cdl_status conv_execute(cdl_op_ctx *ctx)
{
	conv_plan p;
	cdl_status st = conv_prepare(ctx, &p);
	const cdl_f32_gemm_kernel *kern = cdl_f32_gemm_kernel_best();
	const cdl_f32_dwconv_kernel *dwk = NULL;
#if defined(__x86_64__)
	bool direct = false;
#endif
	conv_run r;

	if (st)
		return st;
	memset(&r, 0, sizeof(r));
	r.p = &p;
	r.dw = cdl_f32_dwconv_channel__scalar;
	if (p.path == CONV_DEPTHWISE && (dwk = cdl_f32_dwconv_kernel_best(&p.g)))
		r.dw = dwk->fn;
#if defined(__x86_64__)
	/* (a 1x1 plane is a matrix-vector product: the GEMM has a path for it) */
	r.s2 = p.path == CONV_GEMM && cdl_f32_conv3x3s2_fits(&p.g);
	direct = cdl_kernels_isa() >= CDL_ISA_AVX512 &&
		 ((p.path == CONV_1X1 && p.out_sp > 1) ||
		  (p.path == CONV_GEMM && (r.s2 || cdl_f32_conv3x3s1_fits(&p.g))));
	r.act_after = conv_act_split(&p.act, &r.lo, &r.hi);
#endif
	if (ctx->workspace_size < conv_workspace_min(&p))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	r.x = ctx->inputs[0]->data;
	r.w = ctx->inputs[1]->data;
	r.bias = ctx->n_inputs > 2 && ctx->inputs[2] ? ctx->inputs[2]->data : NULL;
	r.y = ctx->outputs[0]->data;

	if (p.path == CONV_DEPTHWISE) {
		/* every output plane on its own: the whole output is shared out */
		r.planes = p.batch * p.cout;
		r.tasks = cdl_par_tasks(ctx->par, r.planes * p.out_sp * p.kprod, r.planes);
		cdl_op_parallel(ctx, conv_dw_task, &r, r.tasks);
		return CDL_OK;
	}
	for (size_t n = 0; n < p.batch; n++) {
		for (size_t grp = 0; grp < p.group; grp++) {
			const float *xg = r.x + (n * p.cin + grp * p.cin_g) * p.in_sp;
			const float *wg = r.w + grp * p.cout_g * p.k_gemm;
			const float *bg = r.bias ? r.bias + grp * p.cout_g : NULL;
			float *yg = r.y + (n * p.cout + grp * p.cout_g) * p.out_sp;
			cdl_im2col_src src = {xg, p.cin_g, &p.g};
			cdl_f32_gemm_desc d = {0};

#if defined(__x86_64__)
			if (direct) {
				/* no im2col or packed B: the micro-kernel reads the input;
				 * the tasks share out whole 8-row tiles */
				r.xg = xg;
				r.wg = wg;
				r.bg = bg;
				r.yg = yg;
				r.panels = (p.cout_g + CONV_DIRECT_MR - 1) / CONV_DIRECT_MR;
				r.tasks = cdl_par_tasks(ctx->par, p.cout_g * p.out_sp * p.k_gemm, r.panels);
				cdl_op_parallel(ctx, conv_direct_task, &r, r.tasks);
				continue;
			}
#endif
			d.m = p.cout_g;
			d.n = p.out_sp;
			d.k = p.k_gemm;
			d.a = wg;
			d.a_rs = p.k_gemm;
			d.a_cs = 1;
			d.alpha = 1.0f;
			if (p.path == CONV_1X1) {
				d.b = xg;
				d.b_rs = p.in_sp;
				d.b_cs = 1;
			} else {
				d.pack_b = cdl_f32_im2col_pack_b;
				d.pack_b_arg = &src;
			}
			d.c = yg;
			d.ldc = p.out_sp;
			d.bias = bg;
			d.act = &p.act;
			/* cannot fail: the workspace was checked against the minimum */
			if (!cdl_f32_gemm_parallel(kern, &d, ctx->par, ctx->workspace,
						   ctx->workspace_stride, ctx->workspace_size))
				return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
		}
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_conv[] = {
    {"Conv", conv_infer, conv_execute},
    {NULL, NULL, NULL},
};
