// SPDX-License-Identifier: Apache-2.0
/*
 * Static shape inference: every node, in topological order, through the
 * engine's own op infer (the same code the engine runs at load to check the
 * plan). Inputs whose values decide a shape (Reshape's shape, ...) must be
 * constants by now, so run cdl_pass_fold_constants first on a fresh import:
 * it infers every shape itself while folding the Shape/Gather/Concat chains
 * that produce those values. This pass then re-checks a rewritten graph.
 */
#include <stdio.h>

#include "../graph.h"
#include "../provider.h"

cdl_status cdl_pass_infer_shapes(cdl_graph *g, char *msg, size_t msg_size)
{
	cdl_status status;

	for (uint32_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i].dead)
			continue;
		status = cdl_graph_infer_node(g, &g->nodes[i], NULL, msg, msg_size);
		if (status)
			return status;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		const cdl_gtensor *t = &g->tensors[g->outputs[i]];

		if (!t->shape_known) {
			snprintf(
			    msg, msg_size,
			    "failed to infer the shape of graph output '%s': no node produces it",
			    t->name);
			return CDL_ERR_MALFORMED;
		}
	}
	return CDL_OK;
}
