// SPDX-License-Identifier: Apache-2.0
/*
 * The provider-side model graph (graph.h). Everything a node or tensor points
 * to is malloc'd and owned by the graph; the const qualifiers in cdl_node are
 * the engine's read-only view, cast away here where the graph frees or edits.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define GRAPH_MIN_CAP 16

static char *dup_str(const char *s)
{
	return strdup(s ? s : "");
}

static void fmt_msg(char *msg, size_t msg_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fmt_msg(char *msg, size_t msg_size, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !msg_size)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msg_size, fmt, ap);
	va_end(ap);
}

/* --- attributes ------------------------------------------------------------ */

void cdl_attr_release(cdl_attr *a)
{
	if (!a)
		return;
	free((void *)a->name);
	switch (a->type) {
	case CDL_ATTR_STRING:
		free((void *)a->v.s);
		break;
	case CDL_ATTR_FLOATS:
		free((void *)a->v.floats);
		break;
	case CDL_ATTR_INTS:
		free((void *)a->v.ints);
		break;
	case CDL_ATTR_TENSOR:
		if (a->v.t)
			free(a->v.t->data);
		free((void *)a->v.t);
		break;
	default:
		break;
	}
	memset(a, 0, sizeof(*a));
}

cdl_status cdl_attr_clone(const cdl_attr *src, cdl_attr *dst)
{
	cdl_attr a;
	size_t bytes = 0;

	memset(&a, 0, sizeof(a));
	a.type = src->type;
	a.count = src->count;
	a.name = dup_str(src->name);
	if (!a.name)
		return CDL_ERR_OUT_OF_MEMORY;
	switch (src->type) {
	case CDL_ATTR_FLOAT:
		a.v.f = src->v.f;
		break;
	case CDL_ATTR_INT:
		a.v.i = src->v.i;
		break;
	case CDL_ATTR_STRING: {
		char *s = malloc((size_t)src->count + 1);

		if (!s)
			goto oom;
		if (src->count)
			memcpy(s, src->v.s, src->count);
		s[src->count] = '\0';
		a.v.s = s;
		break;
	}
	case CDL_ATTR_FLOATS:
	case CDL_ATTR_INTS: {
		size_t esize = src->type == CDL_ATTR_FLOATS ? sizeof(float) : sizeof(int64_t);
		void *p = malloc(src->count ? (size_t)src->count * esize : 1);

		if (!p)
			goto oom;
		if (src->count)
			memcpy(p,
			       src->type == CDL_ATTR_FLOATS ? (const void *)src->v.floats
							    : (const void *)src->v.ints,
			       (size_t)src->count * esize);
		if (src->type == CDL_ATTR_FLOATS)
			a.v.floats = p;
		else
			a.v.ints = p;
		break;
	}
	case CDL_ATTR_TENSOR: {
		cdl_tensor *t = malloc(sizeof(*t));

		if (!t)
			goto oom;
		*t = src->v.t ? *src->v.t : (cdl_tensor){0};
		t->data = NULL;
		a.v.t = t;
		if (src->v.t && src->v.t->data) {
			if (!cdl_tensor_nbytes(src->v.t, &bytes)) {
				cdl_attr_release(&a);
				return CDL_ERR_INVALID_ARGUMENT;
			}
			t->data = malloc(bytes ? bytes : 1);
			if (!t->data)
				goto oom;
			memcpy(t->data, src->v.t->data, bytes);
		}
		break;
	}
	default:
		cdl_attr_release(&a);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	*dst = a;
	return CDL_OK;
oom:
	cdl_attr_release(&a);
	return CDL_ERR_OUT_OF_MEMORY;
}

cdl_status cdl_gnode_set_attr(cdl_gnode *node, const cdl_attr *attr)
{
	cdl_attr copy, *attrs = (cdl_attr *)node->n.attrs;
	cdl_status status = cdl_attr_clone(attr, &copy);

	if (status)
		return status;
	for (uint32_t i = 0; i < node->n.n_attrs; i++) {
		if (cdl_attr_streq(attrs[i].name, copy.name)) {
			cdl_attr_release(&attrs[i]);
			attrs[i] = copy;
			return CDL_OK;
		}
	}
	attrs = realloc(attrs, ((size_t)node->n.n_attrs + 1) * sizeof(*attrs));
	if (!attrs) {
		cdl_attr_release(&copy);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	attrs[node->n.n_attrs] = copy;
	node->n.attrs = attrs;
	node->n.n_attrs++;
	return CDL_OK;
}

/* --- nodes and branches ---------------------------------------------------- */

static void free_node(cdl_gnode *node);

static void free_branch(cdl_gbranch *b)
{
	for (uint32_t i = 0; i < b->n_nodes; i++)
		free_node(&b->nodes[i]);
	free(b->nodes);
	free(b->outputs);
	memset(b, 0, sizeof(*b));
}

static void free_node(cdl_gnode *node)
{
	cdl_attr *attrs = (cdl_attr *)node->n.attrs;

	free((void *)node->n.op_type);
	free((void *)node->n.name);
	free((void *)node->n.inputs);
	free((void *)node->n.outputs);
	for (uint32_t i = 0; i < node->n.n_attrs; i++)
		cdl_attr_release(&attrs[i]);
	free(attrs);
	if (node->branches) {
		free_branch(&node->branches[0]);
		free_branch(&node->branches[1]);
		free(node->branches);
	}
	memset(node, 0, sizeof(*node));
}

cdl_status cdl_graph_add_node(cdl_graph *g, const char *op_type, const char *name, uint32_t opset,
			      const uint32_t *inputs, uint32_t n_inputs, const uint32_t *outputs,
			      uint32_t n_outputs, const cdl_attr *attrs, uint32_t n_attrs)
{
	cdl_gnode node;
	uint32_t *in = NULL, *out = NULL;
	cdl_attr *at = NULL;
	cdl_status status = CDL_ERR_OUT_OF_MEMORY;

	for (uint32_t i = 0; i < n_inputs; i++)
		if (inputs[i] != CDL_NO_TENSOR && inputs[i] >= g->n_tensors)
			return CDL_ERR_INVALID_ARGUMENT;
	for (uint32_t i = 0; i < n_outputs; i++)
		if (outputs[i] != CDL_NO_TENSOR && outputs[i] >= g->n_tensors)
			return CDL_ERR_INVALID_ARGUMENT;
	if (g->n_nodes == g->cap_nodes) {
		uint32_t cap = g->cap_nodes ? g->cap_nodes * 2 : GRAPH_MIN_CAP;
		cdl_gnode *nodes;

		if (cap < g->cap_nodes)
			return CDL_ERR_OUT_OF_MEMORY;
		nodes = realloc(g->nodes, (size_t)cap * sizeof(*nodes));
		if (!nodes)
			return CDL_ERR_OUT_OF_MEMORY;
		g->nodes = nodes;
		g->cap_nodes = cap;
	}
	memset(&node, 0, sizeof(node));
	in = malloc(((size_t)n_inputs + 1) * sizeof(*in));
	out = malloc(((size_t)n_outputs + 1) * sizeof(*out));
	at = calloc((size_t)n_attrs + 1, sizeof(*at));
	node.n.op_type = dup_str(op_type);
	node.n.name = dup_str(name);
	node.n.inputs = in;
	node.n.outputs = out;
	node.n.attrs = at;
	if (!in || !out || !at || !node.n.op_type || !node.n.name)
		goto fail;
	if (n_inputs)
		memcpy(in, inputs, n_inputs * sizeof(*in));
	if (n_outputs)
		memcpy(out, outputs, n_outputs * sizeof(*out));
	node.n.n_inputs = n_inputs;
	node.n.n_outputs = n_outputs;
	node.n.opset = opset;
	for (uint32_t i = 0; i < n_attrs; i++) {
		status = cdl_attr_clone(&attrs[i], &at[i]);
		if (status)
			goto fail;
		node.n.n_attrs = i + 1;
	}
	g->nodes[g->n_nodes++] = node;
	return CDL_OK;
fail:
	free_node(&node);
	return status;
}

/* --- the graph ------------------------------------------------------------- */

cdl_graph *cdl_graph_new(void)
{
	return calloc(1, sizeof(cdl_graph));
}

void cdl_graph_free(cdl_graph *g)
{
	if (!g)
		return;
	for (uint32_t i = 0; i < g->n_nodes; i++)
		free_node(&g->nodes[i]);
	free(g->nodes);
	for (uint32_t i = 0; i < g->n_tensors; i++) {
		free(g->tensors[i].name);
		free(g->tensors[i].t.data);
	}
	free(g->tensors);
	free(g->inputs);
	free(g->outputs);
	free(g);
}

uint32_t cdl_graph_find_tensor(const cdl_graph *g, const char *name)
{
	if (!name)
		return CDL_NO_TENSOR;
	for (uint32_t i = 0; i < g->n_tensors; i++)
		if (strcmp(g->tensors[i].name, name) == 0)
			return i;
	return CDL_NO_TENSOR;
}

uint32_t cdl_graph_add_tensor(cdl_graph *g, const char *name)
{
	cdl_gtensor *t;

	/* CDL_NO_TENSOR itself is never a valid index */
	if (g->n_tensors >= CDL_NO_TENSOR - 1)
		return CDL_NO_TENSOR;
	if (g->n_tensors == g->cap_tensors) {
		uint32_t cap = g->cap_tensors ? g->cap_tensors * 2 : GRAPH_MIN_CAP;
		cdl_gtensor *tensors;

		if (cap < g->cap_tensors)
			return CDL_NO_TENSOR;
		tensors = realloc(g->tensors, (size_t)cap * sizeof(*tensors));
		if (!tensors)
			return CDL_NO_TENSOR;
		g->tensors = tensors;
		g->cap_tensors = cap;
	}
	t = &g->tensors[g->n_tensors];
	memset(t, 0, sizeof(*t));
	t->name = dup_str(name);
	if (!t->name)
		return CDL_NO_TENSOR;
	t->arena_offset = -1;
	return g->n_tensors++;
}

static bool is_graph_output(const cdl_graph *g, uint32_t t)
{
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == t)
			return true;
	return false;
}

static uint32_t count_uses(const cdl_gnode *nodes, uint32_t n_nodes, uint32_t t)
{
	uint32_t uses = 0;

	for (uint32_t i = 0; i < n_nodes; i++) {
		const cdl_gnode *node = &nodes[i];

		if (node->dead)
			continue;
		for (uint32_t k = 0; k < node->n.n_inputs; k++) {
			if (node->n.inputs[k] == t) {
				uses++;
				break;
			}
		}
		if (node->branches)
			for (int b = 0; b < 2; b++)
				uses += count_uses(node->branches[b].nodes,
						   node->branches[b].n_nodes, t);
	}
	return uses;
}

uint32_t cdl_graph_use_count(const cdl_graph *g, uint32_t t)
{
	uint32_t uses = count_uses(g->nodes, g->n_nodes, t);

	/* a tensor a branch returns is used by that branch's If */
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *node = &g->nodes[i];

		if (node->dead || !node->branches)
			continue;
		for (int b = 0; b < 2; b++)
			for (uint32_t k = 0; k < node->branches[b].n_outputs; k++)
				if (node->branches[b].outputs[k] == t)
					uses++;
	}
	return uses + (is_graph_output(g, t) ? 1 : 0);
}

/* Marks every tensor nodes (and their branches) refer to. */
static void mark_used(const cdl_gnode *nodes, uint32_t n_nodes, uint32_t n_tensors, uint8_t *used)
{
	for (uint32_t i = 0; i < n_nodes; i++) {
		const cdl_gnode *node = &nodes[i];

		if (node->dead)
			continue;
		for (uint32_t k = 0; k < node->n.n_inputs; k++)
			if (node->n.inputs[k] < n_tensors)
				used[node->n.inputs[k]] = 1;
		for (uint32_t k = 0; k < node->n.n_outputs; k++)
			if (node->n.outputs[k] < n_tensors)
				used[node->n.outputs[k]] = 1;
		if (node->branches) {
			for (int b = 0; b < 2; b++) {
				const cdl_gbranch *br = &node->branches[b];

				mark_used(br->nodes, br->n_nodes, n_tensors, used);
				for (uint32_t k = 0; k < br->n_outputs; k++)
					if (br->outputs[k] < n_tensors)
						used[br->outputs[k]] = 1;
			}
		}
	}
}

static void remap_list(uint32_t *list, uint32_t n, const uint32_t *map, uint32_t n_tensors)
{
	for (uint32_t k = 0; k < n; k++)
		if (list[k] < n_tensors)
			list[k] = map[list[k]];
}

static void remap_nodes(cdl_gnode *nodes, uint32_t n_nodes, const uint32_t *map, uint32_t n_tensors)
{
	for (uint32_t i = 0; i < n_nodes; i++) {
		cdl_gnode *node = &nodes[i];

		remap_list((uint32_t *)node->n.inputs, node->n.n_inputs, map, n_tensors);
		remap_list((uint32_t *)node->n.outputs, node->n.n_outputs, map, n_tensors);
		if (node->branches) {
			for (int b = 0; b < 2; b++) {
				cdl_gbranch *br = &node->branches[b];

				remap_nodes(br->nodes, br->n_nodes, map, n_tensors);
				remap_list(br->outputs, br->n_outputs, map, n_tensors);
			}
		}
	}
}

cdl_status cdl_graph_compact(cdl_graph *g)
{
	uint8_t *used = calloc((size_t)g->n_tensors + 1, 1);
	uint32_t *map = malloc(((size_t)g->n_tensors + 1) * sizeof(*map));
	uint32_t live = 0, kept = 0;

	if (!used || !map) {
		free(used);
		free(map);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i].dead)
			free_node(&g->nodes[i]);
		else
			g->nodes[live++] = g->nodes[i];
	}
	g->n_nodes = live;

	mark_used(g->nodes, g->n_nodes, g->n_tensors, used);
	for (uint32_t i = 0; i < g->n_inputs; i++)
		if (g->inputs[i] < g->n_tensors)
			used[g->inputs[i]] = 1;
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] < g->n_tensors)
			used[g->outputs[i]] = 1;

	for (uint32_t i = 0; i < g->n_tensors; i++) {
		if (used[i]) {
			map[i] = kept;
			g->tensors[kept++] = g->tensors[i];
		} else {
			map[i] = CDL_NO_TENSOR;
			free(g->tensors[i].name);
			free(g->tensors[i].t.data);
		}
	}
	remap_nodes(g->nodes, g->n_nodes, map, g->n_tensors);
	remap_list(g->inputs, g->n_inputs, map, g->n_tensors);
	remap_list(g->outputs, g->n_outputs, map, g->n_tensors);
	g->n_tensors = kept;
	free(used);
	free(map);
	return CDL_OK;
}

/* --- shape inference of one node ------------------------------------------ */

cdl_status cdl_graph_infer_node(cdl_graph *g, cdl_gnode *node, size_t *workspace_size, char *msg,
				size_t msg_size)
{
	const cdl_node *n = &node->n;
	const char *name = n->name ? n->name : "";
	const cdl_op_def *def;
	cdl_tensor **in = NULL, **out = NULL, *scratch = NULL;
	cdl_op_ctx ctx;
	cdl_status status = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (workspace_size)
		*workspace_size = 0;
	if (node->branches) {
		fmt_msg(msg, msg_size,
			"op %s%s%s%s: its condition is not a constant at pack time; cdl runs If "
			"only when it folds away",
			n->op_type, name[0] ? " (node '" : "", name, name[0] ? "')" : "");
		return CDL_ERR_UNSUPPORTED;
	}
	/* names that are no ONNX operator were refused at import (MALFORMED) */
	def = cdl_op_find(n->op_type);
	if (!def || !def->infer) {
		if (name[0])
			fmt_msg(msg, msg_size, "op %s (opset %u) is not supported (node '%s')",
				n->op_type, n->opset, name);
		else
			fmt_msg(msg, msg_size, "op %s (opset %u) is not supported", n->op_type,
				n->opset);
		return CDL_ERR_UNSUPPORTED;
	}

	in = calloc((size_t)n->n_inputs + 1, sizeof(*in));
	out = calloc((size_t)n->n_outputs + 1, sizeof(*out));
	scratch = calloc((size_t)n->n_outputs + 1, sizeof(*scratch));
	if (!in || !out || !scratch) {
		status = CDL_ERR_OUT_OF_MEMORY;
		fmt_msg(msg, msg_size, "failed to infer shapes of %s '%s': out of memory",
			n->op_type, name);
		goto out;
	}
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		uint32_t t = n->inputs[k];

		if (t == CDL_NO_TENSOR)
			continue;
		if (t >= g->n_tensors || !g->tensors[t].shape_known) {
			status = CDL_ERR_INTERNAL;
			fmt_msg(msg, msg_size,
				"failed to infer shapes of %s '%s': input %u ('%s') has no known "
				"shape",
				n->op_type, name, k, t < g->n_tensors ? g->tensors[t].name : "?");
			goto out;
		}
		in[k] = &g->tensors[t].t;
	}
	for (uint32_t k = 0; k < n->n_outputs; k++) {
		uint32_t t = n->outputs[k];

		if (t == CDL_NO_TENSOR) {
			out[k] = &scratch[k];
			continue;
		}
		if (t >= g->n_tensors || g->tensors[t].is_const) {
			status = CDL_ERR_INTERNAL;
			fmt_msg(msg, msg_size, "failed to infer shapes of %s '%s': bad output %u",
				n->op_type, name, k);
			goto out;
		}
		g->tensors[t].shape_known = false;
		memset(&g->tensors[t].t, 0, sizeof(g->tensors[t].t));
		out[k] = &g->tensors[t].t;
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.node = n;
	ctx.n_inputs = n->n_inputs;
	ctx.n_outputs = n->n_outputs;
	ctx.inputs = in;
	ctx.outputs = out;
	ctx.msg = msg;
	ctx.msg_size = msg_size;
	status = def->infer(&ctx);
	if (status) {
		if (msg && msg_size && !msg[0])
			fmt_msg(msg, msg_size, "%s '%s': shape inference failed (status %d)",
				n->op_type, name, (int)status);
		goto out;
	}
	for (uint32_t k = 0; k < n->n_outputs; k++) {
		size_t bytes = 0;

		if (!cdl_dtype_size(out[k]->dtype) || out[k]->rank > CDL_MAX_RANK ||
		    !cdl_tensor_nbytes(out[k], &bytes)) {
			status = CDL_ERR_INTERNAL;
			fmt_msg(msg, msg_size,
				"%s '%s': shape inference gave output %u an invalid type or shape",
				n->op_type, name, k);
			goto out;
		}
		out[k]->data = NULL;
		if (n->outputs[k] != CDL_NO_TENSOR)
			g->tensors[n->outputs[k]].shape_known = true;
	}
	if (workspace_size)
		*workspace_size = ctx.workspace_size;
out:
	free(in);
	free(out);
	free(scratch);
	return status;
}
