// SPDX-License-Identifier: Apache-2.0
/*
 * Recognises HardSwish spelled out, as torchvision's exports up to opset 13
 * do (HardSwish is an ONNX op only from opset 14):
 *
 *   h = HardSigmoid(x; alpha = 1/6, beta = 0.5);  y = Mul(x, h)  (or Mul(h, x))
 *
 * and rewrites the pair into one HardSwish(x) -> y, which
 * fuse_activations (run next) then folds into the epilogue of the Conv or
 * Gemm producing x. Legal when h feeds that Mul alone (and is not a graph
 * output) and the Mul's other operand is the HardSigmoid's own input.
 *
 * Exact: the engine computes HardSigmoid as clamp(alpha * x + beta, 0, 1)
 * and HardSwish as x * clamp(x * (1.0f / 6) + 0.5f, 0, 1) (activation.c,
 * built with -ffp-contract=off), so with alpha == 1.0f / 6 the fused result
 * is bit-identical to HardSigmoid then Mul. alpha is accepted within one
 * float ulp of 1/6 (an exporter may round 0.16666666 either way); only a
 * non-nearest alpha can then change a result, by at most an ulp or so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph.h"
#include "../provider.h"

/* HardSwish entered the default domain at opset 14. */
#define HARDSWISH_OPSET 14

/* alpha within one float ulp (2^-26 near 1/6) of 1/6, beta exactly 0.5. */
static bool is_hardswish_gate(const cdl_node *n)
{
	double d = (double)cdl_attr_float(n, "alpha", 0.2f) - 1.0 / 6.0;

	if (d < 0.0)
		d = -d;
	return d <= 0x1p-26 && cdl_attr_float(n, "beta", 0.5f) == 0.5f;
}

/* The live HardSigmoid node producing exactly h, or CDL_NO_TENSOR. */
static uint32_t hardsigmoid_of(const cdl_graph *g, const uint32_t *producer, uint32_t h)
{
	const cdl_gnode *p;

	if (h == CDL_NO_TENSOR || h >= g->n_tensors || producer[h] == CDL_NO_TENSOR)
		return CDL_NO_TENSOR;
	p = &g->nodes[producer[h]];
	if (p->dead || strcmp(p->n.op_type, "HardSigmoid") != 0 || p->n.n_inputs != 1 ||
	    p->n.n_outputs != 1 || p->n.outputs[0] != h)
		return CDL_NO_TENSOR;
	return producer[h];
}

/* Turns Mul node m into HardSwish(x) and kills HardSigmoid node s. */
static cdl_status rewrite(cdl_graph *g, uint32_t m, uint32_t s, uint32_t x)
{
	cdl_gnode *mul = &g->nodes[m];
	char *op = malloc(sizeof("HardSwish"));

	if (!op)
		return CDL_ERR_OUT_OF_MEMORY;
	memcpy(op, "HardSwish", sizeof("HardSwish"));
	free((void *)mul->n.op_type);
	mul->n.op_type = op;
	((uint32_t *)mul->n.inputs)[0] = x;
	mul->n.n_inputs = 1;
	if (mul->n.opset < HARDSWISH_OPSET)
		mul->n.opset = HARDSWISH_OPSET;
	g->nodes[s].dead = true;
	return CDL_OK;
}

cdl_status cdl_pass_fuse_hardswish(cdl_graph *g, char *msg, size_t msg_size)
{
	/* producer of each tensor, for a single pass over the nodes */
	uint32_t *producer = malloc(sizeof(uint32_t) * (g->n_tensors ? g->n_tensors : 1));

	if (!producer) {
		snprintf(msg, msg_size, "failed to fuse HardSwish: out of memory");
		return CDL_ERR_OUT_OF_MEMORY;
	}
	for (uint32_t t = 0; t < g->n_tensors; t++)
		producer[t] = CDL_NO_TENSOR;
	for (uint32_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i].dead)
			for (uint32_t o = 0; o < g->nodes[i].n.n_outputs; o++)
				if (g->nodes[i].n.outputs[o] < g->n_tensors)
					producer[g->nodes[i].n.outputs[o]] = i;

	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *mul = &g->nodes[i];

		if (mul->dead || strcmp(mul->n.op_type, "Mul") != 0 || mul->n.n_inputs != 2 ||
		    mul->n.n_outputs != 1 || mul->n.n_attrs != 0)
			continue;
		for (int k = 0; k < 2; k++) {
			const uint32_t h = mul->n.inputs[k], x = mul->n.inputs[1 - k];
			const uint32_t s = hardsigmoid_of(g, producer, h);

			if (s == CDL_NO_TENSOR || x >= g->n_tensors || x == h ||
			    g->nodes[s].n.inputs[0] != x || !is_hardswish_gate(&g->nodes[s].n) ||
			    cdl_graph_use_count(g, h) != 1)
				continue;
			if (g->tensors[x].shape_known && g->tensors[x].t.dtype != CDL_DTYPE_F32)
				continue;
			if (rewrite(g, i, s, x) != CDL_OK) {
				free(producer);
				snprintf(msg, msg_size,
					 "failed to fuse HardSwish at '%s': out of memory",
					 g->nodes[i].n.name ? g->nodes[i].n.name : "");
				return CDL_ERR_OUT_OF_MEMORY;
			}
			break;
		}
	}
	free(producer);
	return CDL_OK;
}
