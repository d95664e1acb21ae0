// SPDX-License-Identifier: Apache-2.0
/*
 * Constant folding, in one forward sweep over the topologically sorted nodes:
 * each node's shapes are inferred (engine infer), and a node whose inputs are
 * all constants is run right here with the engine's own execute; its outputs
 * become constants and the node dies. Shape and Size of a tensor whose shape
 * is known are constants too, which is what folds away the
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains exporters emit.
 * An If whose condition is constant is replaced by the nodes of the branch it
 * takes (import already gave branch-local tensors unique names), which the
 * sweep then visits like any other node.
 * Also the graph's shape inference: after this pass every shape is known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph.h"
#include "../provider.h"

/* Larger results stay computed at run time rather than stored in the plan. */
#define FOLD_MAX_BYTES ((size_t)64 << 20)
#define FOLD_ALIGN 64

static void *alloc_aligned(size_t bytes)
{
	size_t rounded = (bytes + FOLD_ALIGN - 1) / FOLD_ALIGN * FOLD_ALIGN;

	if (rounded < bytes)
		return NULL;
	return aligned_alloc(FOLD_ALIGN, rounded ? rounded : FOLD_ALIGN);
}

static bool is_op(const cdl_gnode *node, const char *op)
{
	return strcmp(node->n.op_type, op) == 0;
}

/* Shape (opset 15 start/end) or Size of an input whose shape is known. */
static cdl_status fold_shape(cdl_graph *g, cdl_gnode *node, char *msg, size_t msg_size)
{
	const cdl_node *n = &node->n;
	cdl_gtensor *in, *out;
	int64_t *data;

	if (n->n_inputs != 1 || n->n_outputs != 1 || n->inputs[0] == CDL_NO_TENSOR) {
		snprintf(msg, msg_size, "failed to fold %s '%s': it needs one input and one output",
			 n->op_type, n->name);
		return CDL_ERR_MALFORMED;
	}
	in = &g->tensors[n->inputs[0]];
	out = &g->tensors[n->outputs[0]];
	data = malloc(CDL_MAX_RANK * sizeof(*data));
	if (!data) {
		snprintf(msg, msg_size, "failed to fold %s '%s': out of memory", n->op_type,
			 n->name);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	memset(&out->t, 0, sizeof(out->t));
	out->t.dtype = CDL_DTYPE_I64;
	if (is_op(node, "Size")) {
		size_t numel = 0;

		if (!cdl_tensor_numel(&in->t, &numel)) {
			free(data);
			snprintf(msg, msg_size, "failed to fold Size '%s': shape overflows",
				 n->name);
			return CDL_ERR_MALFORMED;
		}
		out->t.rank = 0;
		data[0] = (int64_t)numel;
	} else {
		int64_t rank = in->t.rank;
		int64_t start = cdl_attr_int(n, "start", 0);
		int64_t end = cdl_attr_int(n, "end", rank);

		if (start < 0)
			start += rank;
		if (end < 0)
			end += rank;
		start = start < 0 ? 0 : start > rank ? rank : start;
		end = end < 0 ? 0 : end > rank ? rank : end;
		if (end < start)
			end = start;
		out->t.rank = 1;
		out->t.dims[0] = end - start;
		for (int64_t d = start; d < end; d++)
			data[d - start] = in->t.dims[d];
	}
	out->t.data = data;
	out->is_const = true;
	out->shape_known = true;
	node->dead = true;
	return CDL_OK;
}

static bool all_inputs_const(const cdl_graph *g, const cdl_gnode *node)
{
	for (uint32_t k = 0; k < node->n.n_inputs; k++) {
		uint32_t t = node->n.inputs[k];

		if (t != CDL_NO_TENSOR && !g->tensors[t].is_const)
			return false;
	}
	return true;
}

static bool foldable(const cdl_graph *g, const cdl_gnode *node)
{
	const cdl_op_def *def;
	size_t total = 0;

	/* random generators must stay random */
	if (strncmp(node->n.op_type, "Random", 6) == 0 || is_op(node, "Multinomial") ||
	    is_op(node, "Bernoulli"))
		return false;
	if (!all_inputs_const(g, node))
		return false;
	def = cdl_op_find(node->n.op_type);
	if (!def || !def->execute)
		return false;
	for (uint32_t k = 0; k < node->n.n_outputs; k++) {
		size_t bytes = 0;

		if (node->n.outputs[k] == CDL_NO_TENSOR ||
		    !cdl_tensor_nbytes(&g->tensors[node->n.outputs[k]].t, &bytes) ||
		    !cdl_add_size(total, bytes, &total) || total > FOLD_MAX_BYTES)
			return false;
	}
	return true;
}

/* Runs node with the engine's execute; its outputs become constants. */
static cdl_status fold_node(cdl_graph *g, cdl_gnode *node, size_t workspace_size, char *msg,
			    size_t msg_size)
{
	const cdl_node *n = &node->n;
	const cdl_op_def *def = cdl_op_find(n->op_type);
	cdl_tensor **in = NULL, **out = NULL;
	void *workspace = NULL;
	cdl_op_ctx ctx;
	cdl_status status = CDL_OK;
	uint32_t k;

	in = calloc((size_t)n->n_inputs + 1, sizeof(*in));
	out = calloc((size_t)n->n_outputs + 1, sizeof(*out));
	if (!in || !out)
		goto oom;
	for (k = 0; k < n->n_inputs; k++)
		in[k] = n->inputs[k] == CDL_NO_TENSOR ? NULL : &g->tensors[n->inputs[k]].t;
	for (k = 0; k < n->n_outputs; k++) {
		cdl_tensor *t = &g->tensors[n->outputs[k]].t;
		size_t bytes = 0;

		if (!cdl_tensor_nbytes(t, &bytes))
			goto oom;
		t->data = alloc_aligned(bytes);
		if (!t->data)
			goto oom;
		memset(t->data, 0, bytes);
		out[k] = t;
	}
	if (workspace_size) {
		workspace = alloc_aligned(workspace_size);
		if (!workspace)
			goto oom;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = n;
	ctx.n_inputs = n->n_inputs;
	ctx.n_outputs = n->n_outputs;
	ctx.inputs = in;
	ctx.outputs = out;
	ctx.workspace_size = workspace_size;
	ctx.workspace = workspace;
	ctx.msg = msg;
	ctx.msg_size = msg_size;
	if (msg && msg_size)
		msg[0] = '\0';
	status = def && def->execute ? def->execute(&ctx) : CDL_ERR_INTERNAL;
	if (status) {
		if (msg && msg_size && !msg[0])
			snprintf(msg, msg_size, "failed to fold %s '%s' (status %d)", n->op_type,
				 n->name, (int)status);
		goto undo;
	}
	for (k = 0; k < n->n_outputs; k++)
		g->tensors[n->outputs[k]].is_const = true;
	node->dead = true;
	goto out;

oom:
	status = CDL_ERR_OUT_OF_MEMORY;
	snprintf(msg, msg_size, "failed to fold %s '%s': out of memory", n->op_type, n->name);
undo:
	for (k = 0; k < n->n_outputs; k++) {
		cdl_tensor *t = &g->tensors[n->outputs[k]].t;

		free(t->data);
		t->data = NULL;
	}
out:
	free(workspace);
	free(in);
	free(out);
	return status;
}

/* --- If with a constant condition ------------------------------------------- */

static void replace_in_nodes(cdl_gnode *nodes, uint32_t n_nodes, uint32_t from, uint32_t to)
{
	for (uint32_t i = 0; i < n_nodes; i++) {
		cdl_gnode *node = &nodes[i];
		uint32_t *ins = (uint32_t *)node->n.inputs, *outs = (uint32_t *)node->n.outputs;

		for (uint32_t k = 0; k < node->n.n_inputs; k++)
			if (ins[k] == from)
				ins[k] = to;
		for (uint32_t k = 0; k < node->n.n_outputs; k++)
			if (outs[k] == from)
				outs[k] = to;
		if (node->branches) {
			for (int b = 0; b < 2; b++) {
				cdl_gbranch *br = &node->branches[b];

				replace_in_nodes(br->nodes, br->n_nodes, from, to);
				for (uint32_t k = 0; k < br->n_outputs; k++)
					if (br->outputs[k] == from)
						br->outputs[k] = to;
			}
		}
	}
}

static bool produced_in(const cdl_gbranch *br, uint32_t t)
{
	for (uint32_t i = 0; i < br->n_nodes; i++)
		for (uint32_t k = 0; k < br->nodes[i].n.n_outputs; k++)
			if (br->nodes[i].n.outputs[k] == t)
				return true;
	return false;
}

static cdl_status copy_const(cdl_graph *g, uint32_t src, uint32_t dst)
{
	const cdl_tensor *s = &g->tensors[src].t;
	cdl_tensor *d = &g->tensors[dst].t;
	size_t bytes = 0;

	if (!cdl_tensor_nbytes(s, &bytes))
		return CDL_ERR_INTERNAL;
	*d = *s;
	d->data = malloc(bytes ? bytes : 1);
	if (!d->data)
		return CDL_ERR_OUT_OF_MEMORY;
	memcpy(d->data, s->data, bytes);
	g->tensors[dst].is_const = true;
	g->tensors[dst].shape_known = true;
	return CDL_OK;
}

/*
 * Replaces the If at g->nodes[at] by the nodes of the branch cond selects.
 * A branch output a branch node produces is renamed to the If's output; one
 * that is a constant is copied; one that is an outer tensor (or returned
 * twice) is bound by an Identity, which remove_identity drops later.
 */
static cdl_status inline_if(cdl_graph *g, uint32_t at, char *msg, size_t msg_size)
{
	cdl_gnode *node = &g->nodes[at];
	const cdl_gtensor *cond;
	cdl_gbranch *br;
	cdl_gnode *moved = NULL;
	uint32_t n_body, n_extra, old_n = g->n_nodes, need;
	size_t numel = 0;
	bool taken;
	cdl_status status = CDL_OK;

	if (node->n.n_inputs != 1 || node->n.inputs[0] == CDL_NO_TENSOR) {
		snprintf(msg, msg_size,
			 "failed to fold If '%s': it needs one input (the condition)",
			 node->n.name);
		return CDL_ERR_MALFORMED;
	}
	cond = &g->tensors[node->n.inputs[0]];
	if (!cdl_tensor_numel(&cond->t, &numel) || numel != 1) {
		snprintf(msg, msg_size,
			 "failed to fold If '%s': its condition has %zu elements, not 1",
			 node->n.name, numel);
		return CDL_ERR_MALFORMED;
	}
	if (cond->t.dtype == CDL_DTYPE_F32)
		taken = ((const float *)cond->t.data)[0] != 0.0f;
	else
		taken = cdl_tensor_get_int(&cond->t, 0) != 0;
	br = &node->branches[taken ? 0 : 1];

	for (uint32_t j = 0; j < br->n_outputs; j++) {
		uint32_t src = br->outputs[j], dst = node->n.outputs[j];
		bool bound = false;

		/* already an If output (returned twice)? */
		for (uint32_t p = 0; p < j; p++)
			bound = bound || node->n.outputs[p] == src;
		if (!bound && produced_in(br, src)) {
			replace_in_nodes(br->nodes, br->n_nodes, src, dst);
			for (uint32_t q = j; q < br->n_outputs; q++)
				if (br->outputs[q] == src)
					br->outputs[q] = dst;
			continue;
		}
		if (g->tensors[src].is_const) {
			status = copy_const(g, src, dst);
		} else {
			char name[300];

			snprintf(name, sizeof(name), "%.250s/out%u", node->n.name, j);
			status = cdl_graph_add_node(g, "Identity", name, node->n.opset, &src, 1,
						    &dst, 1, NULL, 0);
			node = &g->nodes[at];
			br = &node->branches[taken ? 0 : 1];
		}
		if (status) {
			snprintf(msg, msg_size, "failed to fold If '%s': out of memory",
				 node->n.name);
			return status;
		}
	}

	/* layout: [..at] [branch nodes] [Identity nodes added above] [at+1..old_n) */
	n_body = br->n_nodes;
	n_extra = g->n_nodes - old_n;
	need = g->n_nodes + n_body;
	if (need < g->n_nodes)
		goto oom;
	if (need > g->cap_nodes) {
		cdl_gnode *nodes = realloc(g->nodes, (size_t)need * sizeof(*nodes));

		if (!nodes)
			goto oom;
		g->nodes = nodes;
		g->cap_nodes = need;
	}
	moved = malloc(((size_t)n_extra + 1) * sizeof(*moved));
	if (!moved)
		goto oom;
	memcpy(moved, &g->nodes[old_n], (size_t)n_extra * sizeof(*moved));
	memmove(&g->nodes[at + 1 + n_body + n_extra], &g->nodes[at + 1],
		(size_t)(old_n - at - 1) * sizeof(*g->nodes));
	node = &g->nodes[at];
	br = &node->branches[taken ? 0 : 1];
	if (n_body)
		memcpy(&g->nodes[at + 1], br->nodes, (size_t)n_body * sizeof(*br->nodes));
	memcpy(&g->nodes[at + 1 + n_body], moved, (size_t)n_extra * sizeof(*moved));
	g->n_nodes = need;
	free(moved);
	/* the moved nodes now belong to g; the dead If still owns the other branch */
	free(br->nodes);
	br->nodes = NULL;
	br->n_nodes = 0;
	node->dead = true;
	return CDL_OK;
oom:
	snprintf(msg, msg_size, "failed to fold If '%s': out of memory", g->nodes[at].n.name);
	return CDL_ERR_OUT_OF_MEMORY;
}

cdl_status cdl_pass_fold_constants(cdl_graph *g, char *msg, size_t msg_size)
{
	cdl_status status;

	for (uint32_t i = 0; i < g->n_nodes; i++) {
		cdl_gnode *node = &g->nodes[i];
		size_t workspace = 0;

		if (node->dead)
			continue;
		if (node->branches && node->n.n_inputs >= 1 && node->n.inputs[0] != CDL_NO_TENSOR &&
		    g->tensors[node->n.inputs[0]].is_const) {
			status = inline_if(g, i, msg, msg_size);
			if (status)
				return status;
			continue; /* the sweep goes on with the inlined nodes */
		}
		if ((is_op(node, "Shape") || is_op(node, "Size")) && node->n.n_inputs == 1 &&
		    node->n.inputs[0] != CDL_NO_TENSOR &&
		    g->tensors[node->n.inputs[0]].shape_known) {
			status = fold_shape(g, node, msg, msg_size);
			if (status)
				return status;
			continue;
		}
		status = cdl_graph_infer_node(g, node, &workspace, msg, msg_size);
		if (status)
			return status;
		if (foldable(g, node)) {
			status = fold_node(g, node, workspace, msg, msg_size);
			if (status)
				return status;
		}
	}
	return CDL_OK;
}
