// SPDX-License-Identifier: Apache-2.0
/*
 * Folds an inference-mode BatchNormalization into the Conv, ConvTranspose
 * or Gemm that feeds it:
 *   y = s * (x - mean) + bias, s = scale / sqrt(var + eps)
 * becomes new weights W' = W * s (per output channel) and bias
 * B' = (B - mean) * s + bias. Legal only when the producer's output feeds the
 * BatchNormalization alone and every parameter is a constant.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph.h"
#include "../provider.h"

static const float *const_f32(const cdl_graph *g, uint32_t t, size_t n)
{
	size_t numel = 0;

	if (t == CDL_NO_TENSOR || t >= g->n_tensors)
		return NULL;
	if (!g->tensors[t].is_const || g->tensors[t].t.dtype != CDL_DTYPE_F32)
		return NULL;
	if (!cdl_tensor_numel(&g->tensors[t].t, &numel) || numel != n)
		return NULL;
	return g->tensors[t].t.data;
}

static uint32_t producer_of(const cdl_graph *g, uint32_t t)
{
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *n = &g->nodes[i];

		if (n->dead)
			continue;
		for (uint32_t o = 0; o < n->n.n_outputs; o++)
			if (n->n.outputs[o] == t)
				return i;
	}
	return CDL_NO_TENSOR;
}

/* Makes a fresh constant tensor of n floats; returns its index. */
static uint32_t new_const(cdl_graph *g, const char *base, const char *suffix, const cdl_tensor *shape,
			  const float *data, size_t n)
{
	char name[512];
	uint32_t t;
	float *copy = malloc(n * sizeof(float) + 1);

	if (!copy)
		return CDL_NO_TENSOR;
	memcpy(copy, data, n * sizeof(float));
	snprintf(name, sizeof(name), "%s%s", base, suffix);
	t = cdl_graph_add_tensor(g, name);
	if (t == CDL_NO_TENSOR) {
		free(copy);
		return t;
	}
	g->tensors[t].t = *shape;
	g->tensors[t].t.dtype = CDL_DTYPE_F32;
	g->tensors[t].t.data = copy;
	g->tensors[t].is_const = true;
	g->tensors[t].shape_known = true;
	g->tensors[t].arena_offset = -1;
	return t;
}

static cdl_status fold_one(cdl_graph *g, uint32_t bn_index, bool *folded)
{
	cdl_gnode *bn = &g->nodes[bn_index];
	uint32_t x = bn->n.inputs[0];
	uint32_t pi;
	cdl_gnode *p;
	const char *op;
	const float *scale, *bias, *mean, *var;
	const float *w, *b = NULL;
	float *s = NULL, *nw = NULL, *nb = NULL;
	size_t channels, wnumel = 0, per_out;
	cdl_tensor wshape, bshape;
	uint32_t wt, bt, new_w, new_b;
	float eps = cdl_attr_float(&bn->n, "epsilon", 1e-5f);
	cdl_status status = CDL_OK;
	bool is_convt = false, is_gemm = false;
	int64_t group = 1;

	*folded = false;
	if (bn->n.n_inputs < 5 || bn->n.n_outputs != 1 || cdl_attr_int(&bn->n, "training_mode", 0))
		return CDL_OK;
	if (cdl_attr_find(&bn->n, "cdl.act"))
		return CDL_OK;
	pi = producer_of(g, x);
	if (pi == CDL_NO_TENSOR)
		return CDL_OK;
	p = &g->nodes[pi];
	op = p->n.op_type;
	if (strcmp(op, "Conv") == 0) {
	} else if (strcmp(op, "ConvTranspose") == 0) {
		is_convt = true;
	} else if (strcmp(op, "Gemm") == 0) {
		is_gemm = true;
	} else {
		return CDL_OK;
	}
	if (cdl_attr_find(&p->n, "cdl.act") || cdl_graph_use_count(g, x) != 1 || p->n.n_outputs != 1)
		return CDL_OK;
	wt = p->n.inputs[1];
	bt = p->n.n_inputs > 2 ? p->n.inputs[2] : CDL_NO_TENSOR;
	if (wt == CDL_NO_TENSOR || !g->tensors[wt].is_const || g->tensors[wt].t.dtype != CDL_DTYPE_F32)
		return CDL_OK;
	wshape = g->tensors[wt].t;
	if (!cdl_tensor_numel(&wshape, &wnumel) || wshape.rank < 2)
		return CDL_OK;
	if (is_gemm) {
		/* BN over dim 1 of a 2-D Gemm output; W is [K,N] or [N,K] (transB). */
		if (!g->tensors[x].shape_known || g->tensors[x].t.rank != 2 ||
		    cdl_attr_int(&p->n, "transA", 0) < 0)
			return CDL_OK;
		channels = cdl_attr_int(&p->n, "transB", 0) ? (size_t)wshape.dims[0]
							    : (size_t)wshape.dims[1];
	} else if (is_convt) {
		group = cdl_attr_int(&p->n, "group", 1);
		if (group < 1)
			return CDL_OK;
		channels = (size_t)wshape.dims[1] * (size_t)group; /* W: [C_in, C_out/g, k...] */
	} else {
		channels = (size_t)wshape.dims[0]; /* W: [C_out, C_in/g, k...] */
	}
	scale = const_f32(g, bn->n.inputs[1], channels);
	bias = const_f32(g, bn->n.inputs[2], channels);
	mean = const_f32(g, bn->n.inputs[3], channels);
	var = const_f32(g, bn->n.inputs[4], channels);
	if (!scale || !bias || !mean || !var)
		return CDL_OK;
	if (bt != CDL_NO_TENSOR) {
		b = const_f32(g, bt, channels);
		if (!b && is_gemm) {
			/* Gemm's C may be a broadcast scalar or [1,N]: only fold a plain [N] or scalar. */
			size_t cn = 0;

			if (!g->tensors[bt].is_const || g->tensors[bt].t.dtype != CDL_DTYPE_F32 ||
			    !cdl_tensor_numel(&g->tensors[bt].t, &cn) ||
			    !(cn == 1 || (cn == channels && g->tensors[bt].t.rank <= 2)))
				return CDL_OK;
			if (cn == channels)
				b = g->tensors[bt].t.data;
			else
				b = NULL; /* handled below as a scalar */
		} else if (!b) {
			return CDL_OK;
		}
	}

	s = malloc(channels * sizeof(float));
	nw = malloc(wnumel * sizeof(float));
	nb = malloc(channels * sizeof(float));
	if (!s || !nw || !nb) {
		status = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	for (size_t c = 0; c < channels; c++)
		s[c] = (float)((double)scale[c] / sqrt((double)var[c] + (double)eps));
	w = g->tensors[wt].t.data;
	if (is_gemm) {
		float alpha = cdl_attr_float(&p->n, "alpha", 1.0f);
		float beta = cdl_attr_float(&p->n, "beta", 1.0f);
		bool trans_b = cdl_attr_int(&p->n, "transB", 0) != 0;
		size_t rows = (size_t)wshape.dims[0], cols = (size_t)wshape.dims[1];

		for (size_t r = 0; r < rows; r++)
			for (size_t c = 0; c < cols; c++)
				nw[r * cols + c] = w[r * cols + c] * alpha * s[trans_b ? r : c];
		for (size_t c = 0; c < channels; c++) {
			double cb = 0.0;

			if (bt != CDL_NO_TENSOR)
				cb = beta * (b ? b[c] : ((const float *)g->tensors[bt].t.data)[0]);
			nb[c] = (float)((cb - mean[c]) * s[c] + bias[c]);
		}
	} else {
		per_out = wnumel / channels;
		if (is_convt) {
			/* W: [C_in, C_out/g, k]; output channel of (ci, co) = (ci / (C_in/g)) * C_out/g + co */
			size_t cin = (size_t)wshape.dims[0], cout_g = (size_t)wshape.dims[1];
			size_t k = wnumel / (cin * cout_g);
			size_t cin_g = cin / (size_t)group;

			for (size_t ci = 0; ci < cin; ci++)
				for (size_t co = 0; co < cout_g; co++) {
					size_t oc = (ci / cin_g) * cout_g + co;

					for (size_t j = 0; j < k; j++) {
						size_t idx = (ci * cout_g + co) * k + j;

						nw[idx] = w[idx] * s[oc];
					}
				}
		} else {
			for (size_t c = 0; c < channels; c++)
				for (size_t j = 0; j < per_out; j++)
					nw[c * per_out + j] = w[c * per_out + j] * s[c];
		}
		for (size_t c = 0; c < channels; c++)
			nb[c] = (float)(((b ? (double)b[c] : 0.0) - mean[c]) * s[c] + bias[c]);
	}

	{
		/* New tensors: the old weights may be shared with other nodes. */
		char base[400];

		snprintf(base, sizeof(base), "%s", g->tensors[wt].name);
		new_w = new_const(g, base, ".bnfold", &wshape, nw, wnumel);
		memset(&bshape, 0, sizeof(bshape));
		bshape.rank = 1;
		bshape.dims[0] = (int64_t)channels;
		snprintf(base, sizeof(base), "%s", g->tensors[wt].name);
		new_b = new_const(g, base, ".bnfold_bias", &bshape, nb, channels);
	}
	if (new_w == CDL_NO_TENSOR || new_b == CDL_NO_TENSOR) {
		status = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	/* nodes may have moved: re-fetch */
	p = &g->nodes[pi];
	bn = &g->nodes[bn_index];
	{
		uint32_t *ins = (uint32_t *)p->n.inputs;

		if (p->n.n_inputs < 3) {
			uint32_t *grown = realloc(ins, 3 * sizeof(uint32_t));

			if (!grown) {
				status = CDL_ERR_OUT_OF_MEMORY;
				goto out;
			}
			ins = grown;
			p->n.inputs = ins;
			p->n.n_inputs = 3;
		}
		ins[1] = new_w;
		ins[2] = new_b;
		((uint32_t *)p->n.outputs)[0] = bn->n.outputs[0];
	}
	if (is_gemm) {
		cdl_attr one = { .name = "alpha", .type = CDL_ATTR_FLOAT, .v.f = 1.0f };

		status = cdl_gnode_set_attr(p, &one);
		if (status)
			goto out;
		one.name = "beta";
		status = cdl_gnode_set_attr(p, &one);
		if (status)
			goto out;
	}
	bn->dead = true;
	*folded = true;
out:
	free(s);
	free(nw);
	free(nb);
	return status;
}

cdl_status cdl_pass_fold_batchnorm(cdl_graph *g, char *msg, size_t msg_size)
{
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		bool folded = false;
		cdl_status status;

		if (g->nodes[i].dead || strcmp(g->nodes[i].n.op_type, "BatchNormalization") != 0)
			continue;
		status = fold_one(g, i, &folded);
		if (status) {
			snprintf(msg, msg_size, "failed to fold BatchNormalization %s: out of memory",
				 g->nodes[i].n.name);
			return status;
		}
	}
	return CDL_OK;
}
