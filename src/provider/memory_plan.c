// SPDX-License-Identifier: Apache-2.0
/*
 * Static memory plan: one activation arena, every non-constant tensor at an
 * offset in it, tensors whose lifetimes do not overlap sharing bytes.
 *
 * Lifetimes are in steps: graph inputs are born at step 0, the k-th live node
 * runs at step k + 1 (its outputs are born and its inputs are read there),
 * graph outputs live to step n + 1. Two tensors conflict when their closed
 * intervals [birth, death] intersect; a node's inputs (dying at its step) and
 * outputs (born at its step) therefore never share bytes: no in-place
 * execution, which every kernel may assume.
 *
 * Offsets: TFLite's "greedy by size" — tensors from largest to smallest, each
 * into the smallest gap between already placed tensors it conflicts with
 * (best fit), else after the last of them. Sizes rounded to CDL_PLAN_ALIGN.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "provider.h"

struct item {
	uint32_t tensor;
	uint32_t birth, death;
	uint64_t size; /* aligned */
	uint64_t offset;
};

static void set_msg(char *msg, size_t msg_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msg_size, const char *fmt, ...)
{
	va_list ap;

	if (!msg || !msg_size)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, msg_size, fmt, ap);
	va_end(ap);
}

static int by_size_desc(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->birth != b->birth)
		return a->birth < b->birth ? -1 : 1;
	return a->tensor < b->tensor ? -1 : a->tensor > b->tensor;
}

static bool conflict(const struct item *a, const struct item *b)
{
	return a->birth <= b->death && b->birth <= a->death;
}

static const char *node_label(const cdl_gnode *n)
{
	return n->n.name && n->n.name[0] ? n->n.name : "(unnamed)";
}

cdl_status cdl_plan_memory(cdl_graph *g, char *msg, size_t msg_size)
{
	uint32_t *birth = NULL, *death = NULL;
	struct item *items = NULL;
	struct item **placed = NULL;
	uint32_t n_items = 0, n_placed = 0, step = 0;
	uint64_t arena = 0;
	cdl_status st = CDL_OK;
	const uint32_t unset = UINT32_MAX;

	if (msg && msg_size)
		msg[0] = '\0';
	if (!g) {
		set_msg(msg, msg_size, "cdl_plan_memory: NULL graph");
		return CDL_ERR_INVALID_ARGUMENT;
	}
	birth = malloc(((size_t)g->n_tensors + 1) * sizeof(*birth));
	death = malloc(((size_t)g->n_tensors + 1) * sizeof(*death));
	items = malloc(((size_t)g->n_tensors + 1) * sizeof(*items));
	placed = malloc(((size_t)g->n_tensors + 1) * sizeof(*placed));
	if (!birth || !death || !items || !placed) {
		set_msg(msg, msg_size, "failed to plan memory of %u tensors: out of memory",
			g->n_tensors);
		st = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	for (uint32_t t = 0; t < g->n_tensors; t++) {
		birth[t] = unset;
		death[t] = 0;
		g->tensors[t].arena_offset = -1;
	}

	for (uint32_t i = 0; i < g->n_inputs; i++) {
		uint32_t t = g->inputs[i];

		if (t >= g->n_tensors || g->tensors[t].is_const) {
			set_msg(msg, msg_size, "graph input %u is not a non-constant tensor", i);
			st = CDL_ERR_INTERNAL;
			goto out;
		}
		birth[t] = 0;
	}
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *gn = &g->nodes[i];
		const cdl_node *n = &gn->n;

		if (gn->dead)
			continue;
		if (gn->branches) {
			set_msg(msg, msg_size,
				"op %s (node '%s'): its condition is not a constant at pack time; cdl runs If only when it folds away",
				n->op_type, node_label(gn));
			st = CDL_ERR_UNSUPPORTED;
			goto out;
		}
		step++;
		for (uint32_t k = 0; k < n->n_inputs; k++) {
			uint32_t t = n->inputs[k];

			if (t == CDL_NO_TENSOR)
				continue;
			if (t >= g->n_tensors) {
				set_msg(msg, msg_size, "node %s: input %u out of range",
					node_label(gn), k);
				st = CDL_ERR_INTERNAL;
				goto out;
			}
			if (g->tensors[t].is_const)
				continue;
			if (birth[t] == unset) {
				set_msg(msg, msg_size,
					"node %s (%s) reads tensor '%s' before anything computes it",
					node_label(gn), n->op_type, g->tensors[t].name);
				st = CDL_ERR_INTERNAL;
				goto out;
			}
			if (death[t] < step)
				death[t] = step;
		}
		for (uint32_t k = 0; k < n->n_outputs; k++) {
			uint32_t t = n->outputs[k];

			if (t == CDL_NO_TENSOR)
				continue;
			if (t >= g->n_tensors || g->tensors[t].is_const || birth[t] != unset) {
				set_msg(msg, msg_size,
					"node %s (%s): output %u is out of range, a constant, a graph input or written twice",
					node_label(gn), n->op_type, k);
				st = CDL_ERR_INTERNAL;
				goto out;
			}
			birth[t] = death[t] = step;
		}
	}
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		uint32_t t = g->outputs[i];

		if (t >= g->n_tensors) {
			set_msg(msg, msg_size, "graph output %u out of range", i);
			st = CDL_ERR_INTERNAL;
			goto out;
		}
		if (g->tensors[t].is_const)
			continue;
		if (birth[t] == unset) {
			set_msg(msg, msg_size, "graph output '%s' is never computed",
				g->tensors[t].name);
			st = CDL_ERR_INTERNAL;
			goto out;
		}
		death[t] = step + 1;
	}

	for (uint32_t t = 0; t < g->n_tensors; t++) {
		const cdl_gtensor *gt = &g->tensors[t];
		size_t bytes = 0;

		if (gt->is_const || birth[t] == unset)
			continue;
		if (!gt->shape_known || !cdl_tensor_nbytes(&gt->t, &bytes) ||
		    bytes > UINT64_MAX - CDL_PLAN_ALIGN) {
			set_msg(msg, msg_size, "tensor '%s' has no known shape or is too large",
				gt->name);
			st = gt->shape_known ? CDL_ERR_UNSUPPORTED : CDL_ERR_INTERNAL;
			goto out;
		}
		items[n_items].tensor = t;
		items[n_items].birth = birth[t];
		items[n_items].death = death[t];
		items[n_items].size =
			((uint64_t)bytes + CDL_PLAN_ALIGN - 1) & ~(uint64_t)(CDL_PLAN_ALIGN - 1);
		items[n_items].offset = 0;
		n_items++;
	}
	qsort(items, n_items, sizeof(*items), by_size_desc);

	/* placed[] is kept sorted by offset */
	for (uint32_t i = 0; i < n_items; i++) {
		struct item *it = &items[i];
		uint64_t cur = 0, best = UINT64_MAX, best_gap = UINT64_MAX;
		uint32_t pos = 0;

		for (uint32_t j = 0; j < n_placed; j++) {
			const struct item *p = placed[j];

			if (!conflict(p, it))
				continue;
			if (p->offset >= cur) {
				uint64_t gap = p->offset - cur;

				if (gap >= it->size && gap < best_gap) {
					best = cur;
					best_gap = gap;
				}
			}
			if (p->offset + p->size > cur)
				cur = p->offset + p->size;
		}
		it->offset = best != UINT64_MAX ? best : cur;
		if (it->offset + it->size < it->offset || it->offset + it->size > CDL_MAX_TENSOR_BYTES) {
			set_msg(msg, msg_size, "activation arena exceeds %llu bytes",
				(unsigned long long)CDL_MAX_TENSOR_BYTES);
			st = CDL_ERR_UNSUPPORTED;
			goto out;
		}
		while (pos < n_placed && placed[pos]->offset <= it->offset)
			pos++;
		memmove(&placed[pos + 1], &placed[pos], (n_placed - pos) * sizeof(*placed));
		placed[pos] = it;
		n_placed++;
		if (it->offset + it->size > arena)
			arena = it->offset + it->size;
		g->tensors[it->tensor].arena_offset = (int64_t)it->offset;
	}
	g->arena_size = arena;
out:
	if (st)
		for (uint32_t t = 0; t < g->n_tensors; t++)
			g->tensors[t].arena_offset = -1;
	free(birth);
	free(death);
	free(items);
	free(placed);
	return st;
}
