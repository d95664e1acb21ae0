// SPDX-License-Identifier: Apache-2.0
/*
 * Removes Identity and inference-mode Dropout by pointing their consumers at
 * their input. A graph output keeps its name: when the removed node's output
 * is a graph output, the producer of its input writes the output directly
 * instead; where that is impossible (the input is a graph input, a constant
 * or another graph output) the node stays as an Identity copy.
 * A Dropout mask that is used becomes a constant of ones (inference mode
 * drops nothing); a Dropout in training mode is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../graph.h"
#include "../provider.h"

static bool is_graph_output(const cdl_graph *g, uint32_t t)
{
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == t)
			return true;
	return false;
}

static bool is_graph_input(const cdl_graph *g, uint32_t t)
{
	for (uint32_t i = 0; i < g->n_inputs; i++)
		if (g->inputs[i] == t)
			return true;
	return false;
}

/* Points every read of from (live nodes, branches) at to. */
static void replace_uses(cdl_gnode *nodes, uint32_t n_nodes, uint32_t from, uint32_t to)
{
	for (uint32_t i = 0; i < n_nodes; i++) {
		cdl_gnode *node = &nodes[i];
		uint32_t *ins = (uint32_t *)node->n.inputs;

		if (node->dead)
			continue;
		for (uint32_t k = 0; k < node->n.n_inputs; k++)
			if (ins[k] == from)
				ins[k] = to;
		if (node->branches) {
			for (int b = 0; b < 2; b++) {
				cdl_gbranch *br = &node->branches[b];

				replace_uses(br->nodes, br->n_nodes, from, to);
				for (uint32_t k = 0; k < br->n_outputs; k++)
					if (br->outputs[k] == from)
						br->outputs[k] = to;
			}
		}
	}
}

/* Index of the live node writing t, or CDL_NO_TENSOR. */
static uint32_t producer_of(const cdl_graph *g, uint32_t t, uint32_t *slot)
{
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i].dead)
			continue;
		for (uint32_t k = 0; k < g->nodes[i].n.n_outputs; k++) {
			if (g->nodes[i].n.outputs[k] == t) {
				*slot = k;
				return i;
			}
		}
	}
	return CDL_NO_TENSOR;
}

/* Inference-mode Dropout's mask: all ones, the shape of the data. */
static cdl_status materialise_mask(cdl_graph *g, const cdl_gnode *node, char *msg, size_t msg_size)
{
	const cdl_gtensor *x = &g->tensors[node->n.inputs[0]];
	cdl_gtensor *mask = &g->tensors[node->n.outputs[1]];
	cdl_tensor t = x->t;
	size_t numel = 0, esize;
	uint8_t *data;

	if (!x->shape_known || !cdl_tensor_numel(&x->t, &numel)) {
		snprintf(msg, msg_size,
			 "failed to remove Dropout '%s': its mask is used but the data's shape is "
			 "unknown",
			 node->n.name);
		return CDL_ERR_UNSUPPORTED;
	}
	t.dtype = mask->shape_known	? mask->t.dtype
		  : node->n.opset >= 10 ? CDL_DTYPE_BOOL
					: x->t.dtype;
	esize = cdl_dtype_size(t.dtype);
	if (!esize || numel > SIZE_MAX / esize) {
		snprintf(msg, msg_size, "failed to remove Dropout '%s': mask type %s", node->n.name,
			 cdl_dtype_name(t.dtype));
		return CDL_ERR_UNSUPPORTED;
	}
	data = malloc(numel * esize + 1);
	if (!data) {
		snprintf(msg, msg_size, "failed to remove Dropout '%s': out of memory",
			 node->n.name);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	for (size_t i = 0; i < numel; i++) {
		switch (t.dtype) {
		case CDL_DTYPE_F32:
			((float *)data)[i] = 1.0f;
			break;
		case CDL_DTYPE_I32:
			((int32_t *)data)[i] = 1;
			break;
		case CDL_DTYPE_I64:
			((int64_t *)data)[i] = 1;
			break;
		default:
			data[i] = 1;
			break;
		}
	}
	free(mask->t.data);
	t.data = data;
	mask->t = t;
	mask->is_const = true;
	mask->shape_known = true;
	return CDL_OK;
}

/* Dropout runs in inference mode unless training_mode (opset 12) says otherwise. */
static cdl_status check_dropout(cdl_graph *g, cdl_gnode *node, char *msg, size_t msg_size)
{
	const cdl_node *n = &node->n;

	if (n->n_inputs > 2 && n->inputs[2] != CDL_NO_TENSOR) {
		const cdl_gtensor *tm = &g->tensors[n->inputs[2]];
		size_t numel = 0;

		if (!tm->is_const || !cdl_tensor_numel(&tm->t, &numel) || numel != 1 ||
		    cdl_tensor_get_int(&tm->t, 0) != 0) {
			snprintf(msg, msg_size,
				 "op Dropout (node '%s'): training_mode must be a constant false",
				 n->name);
			return CDL_ERR_UNSUPPORTED;
		}
	}
	if (n->n_outputs > 1 && n->outputs[1] != CDL_NO_TENSOR &&
	    cdl_graph_use_count(g, n->outputs[1]) > 0)
		return materialise_mask(g, node, msg, msg_size);
	return CDL_OK;
}

/* Keeps the node as a plain Identity copy (a Dropout loses its extras). */
static cdl_status make_identity(cdl_gnode *node)
{
	cdl_attr *attrs = (cdl_attr *)node->n.attrs;
	char *op;

	if (strcmp(node->n.op_type, "Identity") == 0)
		return CDL_OK;
	op = strdup("Identity");
	if (!op)
		return CDL_ERR_OUT_OF_MEMORY;
	free((void *)node->n.op_type);
	node->n.op_type = op;
	for (uint32_t i = 0; i < node->n.n_attrs; i++)
		cdl_attr_release(&attrs[i]);
	node->n.n_attrs = 0;
	node->n.n_inputs = 1;
	node->n.n_outputs = 1;
	return CDL_OK;
}

cdl_status cdl_pass_remove_identity(cdl_graph *g, char *msg, size_t msg_size)
{
	cdl_status status;

	for (uint32_t i = 0; i < g->n_nodes; i++) {
		cdl_gnode *node = &g->nodes[i];
		bool dropout = strcmp(node->n.op_type, "Dropout") == 0;
		uint32_t x, y, p, slot = 0;

		if (node->dead || (!dropout && strcmp(node->n.op_type, "Identity") != 0))
			continue;
		if (node->n.n_inputs < 1 || node->n.inputs[0] == CDL_NO_TENSOR ||
		    node->n.n_outputs < 1 || node->n.outputs[0] == CDL_NO_TENSOR) {
			snprintf(msg, msg_size,
				 "failed to remove %s '%s': it has no input or output",
				 node->n.op_type, node->n.name);
			return CDL_ERR_MALFORMED;
		}
		if (dropout) {
			status = check_dropout(g, node, msg, msg_size);
			if (status)
				return status;
		}
		x = node->n.inputs[0];
		y = node->n.outputs[0];
		if (!is_graph_output(g, y)) {
			node->dead = true;
			replace_uses(g->nodes, g->n_nodes, y, x);
			continue;
		}
		/* y is a graph output: let x's producer write y */
		p = producer_of(g, x, &slot);
		if (p != CDL_NO_TENSOR && p != i && !is_graph_output(g, x) &&
		    !is_graph_input(g, x) && !g->tensors[x].is_const) {
			node->dead = true;
			((uint32_t *)g->nodes[p].n.outputs)[slot] = y;
			g->tensors[y].t = g->tensors[x].t;
			g->tensors[y].shape_known = g->tensors[x].shape_known;
			replace_uses(g->nodes, g->n_nodes, x, y);
			continue;
		}
		status = make_identity(node);
		if (status) {
			snprintf(msg, msg_size, "failed to rewrite %s '%s': out of memory",
				 node->n.op_type, node->n.name);
			return status;
		}
	}
	return CDL_OK;
}
