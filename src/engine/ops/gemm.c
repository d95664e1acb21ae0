// SPDX-License-Identifier: Apache-2.0
/*
 * Gemm (opset 7-17) and MatMul (opset 1-13, numpy semantics), float32, on the
 * packed GEMM in kernels/. Both accept the fused cdl.act epilogue.
 */
#include <string.h>

#include "../kernels/gemm.h"
#include "../op.h"
#include "ops.h"

static cdl_status need_f32(cdl_op_ctx *ctx, const cdl_tensor *t, const char *what)
{
	if (t->dtype != CDL_DTYPE_F32)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
				   "%s of type %s (only float32 supported)", what,
				   cdl_dtype_name(t->dtype));
	return CDL_OK;
}

static cdl_status read_act(cdl_op_ctx *ctx, cdl_act *act)
{
	if (cdl_act_from_node(ctx->node, act) != CDL_OK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "cdl.act=%s",
				   cdl_attr_string(ctx->node, "cdl.act", "?"));
	return CDL_OK;
}

static cdl_status set_output_f32(cdl_op_ctx *ctx, uint32_t rank, const int64_t *dims)
{
	cdl_tensor *y = ctx->outputs[0];
	size_t bytes = 0;

	y->dtype = CDL_DTYPE_F32;
	y->rank = (uint8_t)rank;
	for (uint32_t i = 0; i < rank; i++)
		y->dims[i] = dims[i];
	if (!cdl_tensor_nbytes(y, &bytes))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	return CDL_OK;
}

/* Refuses any attribute the op does not implement (engine-contracts.md). */
static cdl_status gemm_known_attrs(cdl_op_ctx *ctx, const char *const *known, size_t n_known)
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

/* ---- Gemm ----------------------------------------------------------------- */

typedef struct gemm_dims {
	size_t m, n, k;
	bool trans_a, trans_b;
} gemm_dims;

/* broadcast: Gemm-6 and earlier; C always broadcasts here (a superset). */
static const char *const gemm_attrs[] = {"alpha",     "beta",	 "transA",	  "transB",
					 "broadcast", "cdl.act", "cdl.act_alpha", "cdl.act_beta"};
static const char *const matmul_attrs[] = {"cdl.act", "cdl.act_alpha", "cdl.act_beta"};

static cdl_status gemm_check(cdl_op_ctx *ctx, gemm_dims *g)
{
	const cdl_tensor *a = NULL, *b = NULL, *c = NULL;
	int64_t ka = 0, kb = 0, m = 0, n = 0;
	cdl_status st = CDL_OK;

	if (ctx->n_inputs < 2 || ctx->n_inputs > 3 || ctx->n_outputs != 1 || !ctx->inputs[0] ||
	    !ctx->inputs[1])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "needs inputs A, B [, C] and one output");
	a = ctx->inputs[0];
	b = ctx->inputs[1];
	c = ctx->n_inputs > 2 ? ctx->inputs[2] : NULL;
	if ((st = gemm_known_attrs(ctx, gemm_attrs, sizeof(gemm_attrs) / sizeof(gemm_attrs[0]))))
		return st;
	if ((st = need_f32(ctx, a, "A")) || (st = need_f32(ctx, b, "B")) ||
	    (c && (st = need_f32(ctx, c, "C"))))
		return st;
	if (a->rank != 2 || b->rank != 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "A and B must be 2-D, got rank %u and %u", a->rank, b->rank);
	g->trans_a = cdl_attr_int(ctx->node, "transA", 0) != 0;
	g->trans_b = cdl_attr_int(ctx->node, "transB", 0) != 0;
	m = a->dims[g->trans_a ? 1 : 0];
	ka = a->dims[g->trans_a ? 0 : 1];
	kb = b->dims[g->trans_b ? 1 : 0];
	n = b->dims[g->trans_b ? 0 : 1];
	if (ka != kb)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "inner dimensions differ: A gives K=%lld, B gives K=%lld",
				   (long long)ka, (long long)kb);
	if (m < 0 || n < 0 || ka < 0)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "negative dimension");
	if (c) {
		/* Unidirectional broadcast of C to [M, N]. */
		const int64_t mn[2] = {m, n};

		if (c->rank > 2)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "C must have rank <= 2, got %u", c->rank);
		for (uint32_t i = 0; i < c->rank; i++) {
			int64_t want = mn[2 - c->rank + i];

			if (c->dims[i] != 1 && c->dims[i] != want)
				return cdl_op_fail(
				    ctx, CDL_ERR_INVALID_ARGUMENT,
				    "C dim %u is %lld, cannot broadcast to [%lld,%lld]", i,
				    (long long)c->dims[i], (long long)m, (long long)n);
		}
	}
	g->m = (size_t)m;
	g->n = (size_t)n;
	g->k = (size_t)ka;
	return CDL_OK;
}

static cdl_status gemm_infer(cdl_op_ctx *ctx)
{
	gemm_dims g = {0};
	cdl_act act = {0};
	cdl_status st = gemm_check(ctx, &g);
	int64_t dims[2];

	if (st || (st = read_act(ctx, &act)))
		return st;
	dims[0] = (int64_t)g.m;
	dims[1] = (int64_t)g.n;
	if ((st = set_output_f32(ctx, 2, dims)))
		return st;
	ctx->workspace_size = cdl_f32_gemm_workspace_size(g.m, g.n, g.k);
	return CDL_OK;
}

static cdl_status gemm_execute(cdl_op_ctx *ctx)
{
	gemm_dims g = {0};
	cdl_act act = {0};
	cdl_status st = gemm_check(ctx, &g);
	const cdl_tensor *c = ctx->n_inputs > 2 ? ctx->inputs[2] : NULL;
	const float beta = cdl_attr_float(ctx->node, "beta", 1.0f);
	float *y = ctx->outputs[0]->data;
	cdl_f32_gemm_desc d = {0};

	if (st || (st = read_act(ctx, &act)))
		return st;
	/* infer asks for the default blocks; a smaller workspace (a capped
	 * engine) runs with smaller ones, same results (kernels/gemm.h) */
	if (ctx->workspace_size < cdl_f32_gemm_workspace_min(g.m, g.n, g.k))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	if (c && beta != 0.0f) {
		/* Y = beta * C (broadcast), then the GEMM accumulates onto it. */
		const float *cd = c->data;
		size_t c_rs = 0, c_cs = 0;

		if (c->rank == 2) {
			c_rs = c->dims[0] == 1 ? 0 : (size_t)c->dims[1];
			c_cs = c->dims[1] == 1 ? 0 : 1;
		} else if (c->rank == 1) {
			c_cs = c->dims[0] == 1 ? 0 : 1;
		}
		for (size_t i = 0; i < g.m; i++)
			for (size_t j = 0; j < g.n; j++)
				y[i * g.n + j] = beta * cd[i * c_rs + j * c_cs];
		d.accumulate = true;
	}
	d.m = g.m;
	d.n = g.n;
	d.k = g.k;
	d.a = ctx->inputs[0]->data;
	d.a_rs = g.trans_a ? 1 : g.k;
	d.a_cs = g.trans_a ? g.m : 1;
	d.alpha = cdl_attr_float(ctx->node, "alpha", 1.0f);
	d.b = ctx->inputs[1]->data;
	d.b_rs = g.trans_b ? 1 : g.n;
	d.b_cs = g.trans_b ? g.k : 1;
	d.c = y;
	d.ldc = g.n;
	d.act = &act;
	if (!cdl_f32_gemm_parallel(cdl_f32_gemm_kernel_best(), &d, ctx->par, ctx->workspace,
				   ctx->workspace_stride, ctx->workspace_size))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	return CDL_OK;
}

/* ---- MatMul --------------------------------------------------------------- */

typedef struct matmul_dims {
	size_t m, n, k;
	uint32_t batch_rank; /* of the output */
	int64_t batch[CDL_MAX_RANK];
	size_t a_stride[CDL_MAX_RANK],
	    b_stride[CDL_MAX_RANK]; /* per output batch dim, 0 = broadcast */
	size_t n_batch;
	bool merge; /* B has no batch dims: fold A's batch into M */
} matmul_dims;

static cdl_status matmul_check(cdl_op_ctx *ctx, matmul_dims *g)
{
	const cdl_tensor *a = NULL, *b = NULL;
	cdl_tensor ab = {0}, bb = {0}, ob = {0};
	int64_t ka = 0, kb = 0;
	cdl_status st = CDL_OK;
	size_t sa = 0, sb = 0;

	if (ctx->n_inputs != 2 || ctx->n_outputs != 1 || !ctx->inputs[0] || !ctx->inputs[1])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "needs inputs A, B and one output");
	a = ctx->inputs[0];
	b = ctx->inputs[1];
	if ((st = gemm_known_attrs(ctx, matmul_attrs,
				   sizeof(matmul_attrs) / sizeof(matmul_attrs[0]))) ||
	    (st = need_f32(ctx, a, "A")) || (st = need_f32(ctx, b, "B")))
		return st;
	if (a->rank < 1 || b->rank < 1 || a->rank > CDL_MAX_RANK || b->rank > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "A and B must have rank >= 1");
	for (uint32_t i = 0; i < a->rank; i++)
		if (a->dims[i] < 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "negative dimension");
	for (uint32_t i = 0; i < b->rank; i++)
		if (b->dims[i] < 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "negative dimension");
	ka = a->dims[a->rank - 1];
	g->m = a->rank == 1 ? 1 : (size_t)a->dims[a->rank - 2];
	kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
	g->n = b->rank == 1 ? 1 : (size_t)b->dims[b->rank - 1];
	if (ka != kb) {
		char s1[96], s2[96];

		return cdl_op_fail(
		    ctx, CDL_ERR_INVALID_ARGUMENT, "inner dimensions differ: %s x %s",
		    cdl_shape_str(a, s1, sizeof(s1)), cdl_shape_str(b, s2, sizeof(s2)));
	}
	g->k = (size_t)ka;
	ab.rank = (uint8_t)(a->rank > 2 ? a->rank - 2 : 0);
	bb.rank = (uint8_t)(b->rank > 2 ? b->rank - 2 : 0);
	memcpy(ab.dims, a->dims, sizeof(int64_t) * ab.rank);
	memcpy(bb.dims, b->dims, sizeof(int64_t) * bb.rank);
	if (!cdl_broadcast_shape(&ab, &bb, &ob))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "batch dimensions do not broadcast");
	g->batch_rank = ob.rank;
	memcpy(g->batch, ob.dims, sizeof(int64_t) * ob.rank);
	if (!cdl_tensor_numel(&ob, &g->n_batch))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	/* Element strides of each output batch dim in A and B (0 if broadcast). */
	if (!cdl_mul_size(g->m, g->k, &sa) || !cdl_mul_size(g->k, g->n, &sb))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input too large");
	for (uint32_t i = ob.rank; i-- > 0;) {
		uint32_t off_a = ob.rank - ab.rank, off_b = ob.rank - bb.rank;
		int64_t da = i >= off_a ? ab.dims[i - off_a] : 1;
		int64_t db = i >= off_b ? bb.dims[i - off_b] : 1;

		g->a_stride[i] = da == 1 ? 0 : sa;
		g->b_stride[i] = db == 1 ? 0 : sb;
		/* Products stay within the input sizes, which are known to fit. */
		sa *= (size_t)da;
		sb *= (size_t)db;
	}
	g->merge = bb.rank == 0;
	return CDL_OK;
}

static cdl_status matmul_infer(cdl_op_ctx *ctx)
{
	matmul_dims g = {0};
	cdl_act act = {0};
	cdl_status st = matmul_check(ctx, &g);
	int64_t dims[CDL_MAX_RANK + 2];
	uint32_t rank = 0;
	size_t rows = 0;

	if (st || (st = read_act(ctx, &act)))
		return st;
	for (uint32_t i = 0; i < g.batch_rank; i++)
		dims[rank++] = g.batch[i];
	if (ctx->inputs[0]->rank > 1)
		dims[rank++] = (int64_t)g.m;
	if (ctx->inputs[1]->rank > 1)
		dims[rank++] = (int64_t)g.n;
	if (rank > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output rank %u > %u", rank,
				   CDL_MAX_RANK);
	if ((st = set_output_f32(ctx, rank, dims)))
		return st;
	rows = g.m;
	if (g.merge && !cdl_mul_size(g.m, g.n_batch, &rows))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	ctx->workspace_size = cdl_f32_gemm_workspace_size(rows, g.n, g.k);
	return CDL_OK;
}

static cdl_status matmul_execute(cdl_op_ctx *ctx)
{
	matmul_dims g = {0};
	cdl_act act = {0};
	cdl_status st = matmul_check(ctx, &g);
	const cdl_f32_gemm_kernel *kern = cdl_f32_gemm_kernel_best();
	const float *a = ctx->inputs[0]->data, *b = ctx->inputs[1]->data;
	float *y = ctx->outputs[0]->data;
	cdl_f32_gemm_desc d = {0};
	size_t idx[CDL_MAX_RANK] = {0};
	size_t rows = 0;

	if (st || (st = read_act(ctx, &act)))
		return st;
	rows = g.merge ? g.m * g.n_batch : g.m;
	if (ctx->workspace_size < cdl_f32_gemm_workspace_min(rows, g.n, g.k))
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	d.m = g.m;
	d.n = g.n;
	d.k = g.k;
	d.a_rs = g.k;
	d.a_cs = 1;
	d.alpha = 1.0f;
	d.b_rs = ctx->inputs[1]->rank == 1 ? 1 : g.n;
	d.b_cs = 1;
	d.ldc = g.n;
	d.act = &act;
	if (g.merge) {
		d.m = rows;
		d.a = a;
		d.b = b;
		d.c = y;
		if (!cdl_f32_gemm_parallel(kern, &d, ctx->par, ctx->workspace,
					   ctx->workspace_stride, ctx->workspace_size))
			return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
		return CDL_OK;
	}
	for (size_t ob = 0; ob < g.n_batch; ob++) {
		size_t oa = 0, obb = 0;

		for (uint32_t i = 0; i < g.batch_rank; i++) {
			oa += idx[i] * g.a_stride[i];
			obb += idx[i] * g.b_stride[i];
		}
		d.a = a + oa;
		d.b = b + obb;
		d.c = y + ob * g.m * g.n;
		if (!cdl_f32_gemm_parallel(kern, &d, ctx->par, ctx->workspace,
					   ctx->workspace_stride, ctx->workspace_size))
			return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
		for (uint32_t i = g.batch_rank; i-- > 0;) {
			if (++idx[i] < (size_t)g.batch[i])
				break;
			idx[i] = 0;
		}
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_gemm[] = {
    {"Gemm", gemm_infer, gemm_execute},
    {"MatMul", matmul_infer, matmul_execute},
    {NULL, NULL, NULL},
};
