// SPDX-License-Identifier: Apache-2.0
/* The provider pipeline: import -> passes -> memory plan -> plan bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "provider.h"

/* Kills nodes none of whose outputs is consumed or a graph output. */
static void remove_dead_nodes(cdl_graph *g)
{
	bool changed = true;

	while (changed) {
		changed = false;
		for (uint32_t i = g->n_nodes; i-- > 0;) {
			cdl_gnode *n = &g->nodes[i];
			bool used = false;

			if (n->dead)
				continue;
			for (uint32_t o = 0; o < n->n.n_outputs && !used; o++)
				used = n->n.outputs[o] != CDL_NO_TENSOR &&
				       cdl_graph_use_count(g, n->n.outputs[o]) > 0;
			if (!used) {
				n->dead = true;
				changed = true;
			}
		}
	}
}

cdl_status cdl_optimize(cdl_graph *g, char *msg, size_t msg_size)
{
	cdl_status status;

	/* Folding infers every shape as it sweeps, so it runs first: a Reshape's
	 * shape only becomes a constant once the Shape/Gather/Concat chain in
	 * front of it has been folded. */
	status = cdl_pass_fold_constants(g, msg, msg_size);
	if (status)
		return status;
	status = cdl_pass_remove_identity(g, msg, msg_size);
	if (status)
		return status;
	status = cdl_pass_canonicalize(g, msg, msg_size);
	if (status)
		return status;
	status = cdl_pass_fold_batchnorm(g, msg, msg_size);
	if (status)
		return status;
	/* Mul(x, HardSigmoid(x)) -> HardSwish(x), which fuse_activations then
	 * folds into the producer of x. */
	status = cdl_pass_fuse_hardswish(g, msg, msg_size);
	if (status)
		return status;
	status = cdl_pass_fuse_activations(g, msg, msg_size);
	if (status)
		return status;
	remove_dead_nodes(g);
	status = cdl_graph_compact(g);
	if (status) {
		snprintf(msg, msg_size, "failed to compact graph: out of memory");
		return status;
	}
	/* Re-check every shape after the rewrites (fused attributes included). */
	return cdl_pass_infer_shapes(g, msg, msg_size);
}

cdl_status cdl_compile_onnx_file(const char *path, const cdl_input_shape *shapes,
				 uint32_t n_shapes, uint8_t **plan, size_t *plan_len, char *msg,
				 size_t msg_size)
{
	cdl_graph *g = NULL;
	cdl_status status;

	*plan = NULL;
	*plan_len = 0;
	status = cdl_onnx_import_file(path, shapes, n_shapes, &g, msg, msg_size);
	if (status)
		goto out;
	status = cdl_optimize(g, msg, msg_size);
	if (status)
		goto out;
	status = cdl_plan_memory(g, msg, msg_size);
	if (status)
		goto out;
	status = cdl_plan_write(g, plan, plan_len, msg, msg_size);
out:
	cdl_graph_free(g);
	return status;
}
