// SPDX-License-Identifier: Apache-2.0
/*
 * Fuses an activation into the op that produces its input, so the engine
 * applies it in that op's epilogue while the data is still in cache
 * (cdl.act attributes, see engine/op.h). Legal when the producer's output
 * feeds only the activation and is not a graph output.
 */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph.h"
#include "../provider.h"

static const char *const fusable_producers[] = {
	"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "BatchNormalization",
};

static bool is_fusable_producer(const char *op)
{
	for (size_t i = 0; i < sizeof(fusable_producers) / sizeof(fusable_producers[0]); i++)
		if (strcmp(op, fusable_producers[i]) == 0)
			return true;
	return false;
}

static bool is_graph_output(const cdl_graph *g, uint32_t t)
{
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == t)
			return true;
	return false;
}

/* Clip from opset 11 takes min/max as optional inputs: fusable when constant. */
static bool clip_bound(const cdl_graph *g, const cdl_node *n, uint32_t idx, float dflt, float *out)
{
	uint32_t t;

	*out = dflt;
	if (n->n_inputs <= idx || n->inputs[idx] == CDL_NO_TENSOR)
		return true;
	t = n->inputs[idx];
	if (!g->tensors[t].is_const || g->tensors[t].t.dtype != CDL_DTYPE_F32 || g->tensors[t].t.rank > 1)
		return false;
	if (g->tensors[t].t.rank == 1 && g->tensors[t].t.dims[0] != 1)
		return false;
	*out = ((const float *)g->tensors[t].t.data)[0];
	return true;
}

static bool activation_of(const cdl_graph *g, const cdl_node *n, cdl_act *act)
{
	if (strcmp(n->op_type, "Clip") == 0 && n->opset >= 11) {
		act->kind = CDL_ACT_CLIP;
		return clip_bound(g, n, 1, -FLT_MAX, &act->alpha) &&
		       clip_bound(g, n, 2, FLT_MAX, &act->beta);
	}
	return cdl_act_from_onnx(n, act);
}

cdl_status cdl_pass_fuse_activations(cdl_graph *g, char *msg, size_t msg_size)
{
	/* producer of each tensor, for a single pass over the nodes */
	uint32_t *producer = malloc(sizeof(uint32_t) * (g->n_tensors ? g->n_tensors : 1));

	if (!producer) {
		snprintf(msg, msg_size, "failed to fuse activations: out of memory");
		return CDL_ERR_OUT_OF_MEMORY;
	}
	for (uint32_t t = 0; t < g->n_tensors; t++)
		producer[t] = CDL_NO_TENSOR;
	for (uint32_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i].dead)
			for (uint32_t o = 0; o < g->nodes[i].n.n_outputs; o++)
				if (g->nodes[i].n.outputs[o] != CDL_NO_TENSOR)
					producer[g->nodes[i].n.outputs[o]] = i;

	for (uint32_t i = 0; i < g->n_nodes; i++) {
		cdl_gnode *a = &g->nodes[i];
		cdl_gnode *p;
		cdl_act act;
		uint32_t x, pi;
		cdl_attr attrs[3];
		cdl_status status = CDL_OK;

		if (a->dead || a->n.n_inputs < 1 || a->n.n_outputs != 1 || !activation_of(g, &a->n, &act))
			continue;
		x = a->n.inputs[0];
		if (x == CDL_NO_TENSOR || g->tensors[x].t.dtype != CDL_DTYPE_F32)
			continue;
		pi = producer[x];
		if (pi == CDL_NO_TENSOR)
			continue;
		p = &g->nodes[pi];
		if (!is_fusable_producer(p->n.op_type) || p->n.n_outputs != 1 ||
		    cdl_attr_find(&p->n, "cdl.act") || cdl_graph_use_count(g, x) != 1 ||
		    is_graph_output(g, x))
			continue;
		attrs[0] = (cdl_attr){ .name = "cdl.act", .type = CDL_ATTR_STRING,
				       .count = (uint32_t)strlen(cdl_act_name(act.kind)),
				       .v.s = cdl_act_name(act.kind) };
		attrs[1] = (cdl_attr){ .name = "cdl.act_alpha", .type = CDL_ATTR_FLOAT, .v.f = act.alpha };
		attrs[2] = (cdl_attr){ .name = "cdl.act_beta", .type = CDL_ATTR_FLOAT, .v.f = act.beta };
		for (int k = 0; k < 3 && status == CDL_OK; k++)
			status = cdl_gnode_set_attr(p, &attrs[k]);
		if (status) {
			free(producer);
			snprintf(msg, msg_size, "failed to fuse %s into %s: out of memory",
				 a->n.op_type, p->n.name);
			return status;
		}
		((uint32_t *)p->n.outputs)[0] = a->n.outputs[0];
		producer[a->n.outputs[0]] = pi;
		a->dead = true;
	}
	free(producer);
	return CDL_OK;
}
