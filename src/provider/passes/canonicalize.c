// SPDX-License-Identifier: Apache-2.0
/*
 * Puts weight-bearing matrix products in the one form the engine can stream
 * in tiles (DESIGN §6): Gemm with transB=1, whose constant B [N, K] holds
 * one output column per row, so that a range of output columns is a
 * contiguous range of B's bytes.
 *
 *   MatMul(A [M,K], B const [K,N])          -> Gemm(A, B^T [N,K], transB=1)
 *   Gemm(A, B const [K,N], transB=0, ...)   -> Gemm(A, B^T [N,K], transB=1, ...)
 *
 * Same products, summed in the same order by the same GEMM (only B is read
 * through other strides): the outputs are bit-identical. Only 2-D A is
 * rewritten (Gemm's); a MatMul over batched A keeps its form and streams
 * whole. The transposed B is a new constant; the old one is dropped when
 * nothing else reads it. Runs before BatchNorm folding, which then also
 * folds into the new Gemm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph.h"
#include "../provider.h"

/* Index of a new constant B^T of the f32 matrix b [k, n]; CDL_NO_TENSOR on OOM. */
static uint32_t transposed(cdl_graph *g, uint32_t b)
{
	const cdl_gtensor *src = &g->tensors[b];
	const size_t k = (size_t)src->t.dims[0], n = (size_t)src->t.dims[1];
	const float *in = src->t.data;
	float *out = malloc(k * n * sizeof(float) + 1);
	char name[512];
	uint32_t t = CDL_NO_TENSOR;

	if (!out)
		return CDL_NO_TENSOR;
	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < n; j++)
			out[j * k + i] = in[i * n + j];
	snprintf(name, sizeof(name), "%s.T", src->name);
	for (int s = 2; cdl_graph_find_tensor(g, name) != CDL_NO_TENSOR && s < 1000; s++)
		snprintf(name, sizeof(name), "%s.T%d", g->tensors[b].name, s);
	t = cdl_graph_add_tensor(g, name); /* may move g->tensors */
	if (t == CDL_NO_TENSOR) {
		free(out);
		return t;
	}
	memset(&g->tensors[t].t, 0, sizeof(cdl_tensor));
	g->tensors[t].t.dtype = CDL_DTYPE_F32;
	g->tensors[t].t.rank = 2;
	g->tensors[t].t.dims[0] = (int64_t)n;
	g->tensors[t].t.dims[1] = (int64_t)k;
	g->tensors[t].t.data = out;
	g->tensors[t].is_const = true;
	g->tensors[t].shape_known = true;
	g->tensors[t].arena_offset = -1;
	return t;
}

static bool is_matrix(const cdl_gtensor *t)
{
	size_t n = 0;

	return t->shape_known && t->t.dtype == CDL_DTYPE_F32 && t->t.rank == 2 &&
	       t->t.dims[0] > 0 && t->t.dims[1] > 0 && cdl_tensor_numel(&t->t, &n);
}

/* Rewrites node i when it matches; sets *done. */
static cdl_status rewrite(cdl_graph *g, uint32_t i, bool *done)
{
	cdl_gnode *node = &g->nodes[i];
	const bool matmul = strcmp(node->n.op_type, "MatMul") == 0;
	const bool gemm = strcmp(node->n.op_type, "Gemm") == 0;
	const cdl_attr trans_b = {.name = "transB", .type = CDL_ATTR_INT, .v.i = 1};
	uint32_t a = 0, b = 0, bt = 0;
	cdl_status st = CDL_OK;

	*done = false;
	if ((!matmul && !gemm) || node->n.n_inputs < 2 || node->n.n_outputs != 1)
		return CDL_OK;
	a = node->n.inputs[0];
	b = node->n.inputs[1];
	if (a == CDL_NO_TENSOR || b == CDL_NO_TENSOR || a >= g->n_tensors || b >= g->n_tensors ||
	    !g->tensors[b].is_const || !g->tensors[b].t.data || !is_matrix(&g->tensors[b]) ||
	    !is_matrix(&g->tensors[a]))
		return CDL_OK;
	if (matmul && (node->n.n_inputs != 2 || node->n.n_attrs != 0))
		return CDL_OK;
	if (gemm && cdl_attr_int(&node->n, "transB", 0) != 0)
		return CDL_OK;
	bt = transposed(g, b);
	if (bt == CDL_NO_TENSOR)
		return CDL_ERR_OUT_OF_MEMORY;
	node = &g->nodes[i];
	if (matmul) {
		char *op = malloc(sizeof("Gemm"));

		if (!op)
			return CDL_ERR_OUT_OF_MEMORY;
		memcpy(op, "Gemm", sizeof("Gemm"));
		free((void *)node->n.op_type);
		node->n.op_type = op;
	}
	st = cdl_gnode_set_attr(node, &trans_b);
	if (st)
		return st;
	((uint32_t *)node->n.inputs)[1] = bt;
	*done = true;
	return CDL_OK;
}

cdl_status cdl_pass_canonicalize(cdl_graph *g, char *msg, size_t msg_size)
{
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		bool done = false;
		cdl_status st = CDL_OK;

		if (g->nodes[i].dead)
			continue;
		st = rewrite(g, i, &done);
		if (st) {
			snprintf(msg, msg_size,
				 "failed to rewrite node '%s' (%s) as Gemm: out of memory",
				 g->nodes[i].n.name ? g->nodes[i].n.name : "",
				 g->nodes[i].n.op_type);
			return st;
		}
	}
	return CDL_OK;
}
