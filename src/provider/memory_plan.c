// SPDX-License-Identifier: Apache-2.0
/*
 * Static memory plan: one activation arena, every non-constant tensor at an
 * offset in it, tensors whose lifetimes do not overlap sharing bytes.
 *
 * Lifetimes are in steps: graph inputs are born at step 0, the k-th live node
 * runs at step k + 1 (its outputs are born and its inputs are read there),
 * graph outputs live to step n + 1. Two tensors conflict when their closed
 * intervals [birth, death] intersect; a node's inputs (dying at its step) and
 * outputs (born at its step) therefore never share bytes — no in-place
 * execution, which kernels may assume — with one exception:
 *
 * In place: an op listed in in_place_ops below may write its output 0 at the
 * very offset of its input 0 when that input dies at the node (this node is
 * its last reader, it is not a graph output) and the op's rule holds for the
 * node's attributes and shapes. The two (chains of such nodes too) form a
 * block placed at one offset; each member still occupies only its own bytes
 * for its own lifetime, so the tail of a large input is free again once the
 * smaller output over its head is all that lives. cdl_engine_create accepts
 * exactly these aliases, by the same rule. For ResNet this puts the stem's
 * MaxPool output (0.8 MB) over the conv output it reads (3.2 MB): the arena
 * falls from 4.01 MB (both live together) to 3.81 MB (the stem conv's input
 * and output, which no placement can beat without running the conv in place).
 *
 * Offsets: TFLite's "greedy by size" — blocks from largest to smallest (a
 * lone tensor is its own block), each into the smallest gap between already
 * placed tensors it conflicts with (best fit), else after the last of them.
 * Sizes rounded to CDL_PLAN_ALIGN.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops/pool.h"
#include "engine/plan.h"
#include "provider.h"

/*
 * Ops whose kernel may run with output 0 over input 0, each with the rule
 * (shared with cdl_engine_create) saying when. Downsampling pools read ahead
 * of what they write (the proof is in src/engine/ops/pool.c).
 */
static const struct {
	const char *op_type;
	bool (*ok)(const cdl_node *node, const cdl_tensor *x, const cdl_tensor *y);
} in_place_ops[] = {
	{"MaxPool", cdl_pool_in_place_ok},
	{"AveragePool", cdl_pool_in_place_ok},
};

struct item {
	uint32_t tensor;
	uint32_t root; /* the block it shares bytes with (in place), else itself */
	uint32_t birth, death;
	uint64_t size; /* aligned */
	uint64_t offset;
	uint64_t gsize;  /* its block's largest member */
	uint32_t gbirth; /* its block's earliest birth */
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

	/* by block (a lone tensor is its own), then the members by birth */
	if (a->gsize != b->gsize)
		return a->gsize > b->gsize ? -1 : 1;
	if (a->gbirth != b->gbirth)
		return a->gbirth < b->gbirth ? -1 : 1;
	if (a->root != b->root)
		return a->root < b->root ? -1 : 1;
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

/* The block tensor t shares bytes with (itself unless written in place). */
static uint32_t block_of(const uint32_t *alias, uint32_t t)
{
	while (alias[t] != t)
		t = alias[t];
	return t;
}

/* Node gn (running at step) may write its output 0 over its input 0. */
static bool in_place(const cdl_graph *g, const cdl_gnode *gn, uint32_t step,
		     const uint32_t *birth, const uint32_t *death, uint32_t unset)
{
	const cdl_node *n = &gn->n;
	const cdl_gtensor *x = NULL, *y = NULL;
	size_t k = 0;

	while (k < sizeof(in_place_ops) / sizeof(in_place_ops[0]) &&
	       strcmp(n->op_type, in_place_ops[k].op_type) != 0)
		k++;
	if (k == sizeof(in_place_ops) / sizeof(in_place_ops[0]) || n->n_inputs < 1 ||
	    n->n_outputs < 1 || n->inputs[0] == CDL_NO_TENSOR || n->outputs[0] == CDL_NO_TENSOR ||
	    n->inputs[0] >= g->n_tensors || n->outputs[0] >= g->n_tensors)
		return false;
	x = &g->tensors[n->inputs[0]];
	y = &g->tensors[n->outputs[0]];
	/* x dies here: nothing after this node (nor the graph's outputs) reads it */
	if (x->is_const || birth[n->inputs[0]] == unset || death[n->inputs[0]] != step ||
	    !x->shape_known || !y->shape_known)
		return false;
	for (uint32_t i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == n->inputs[0])
			return false;
	return in_place_ops[k].ok(n, &x->t, &y->t);
}

cdl_status cdl_plan_memory(cdl_graph *g, char *msg, size_t msg_size)
{
	uint32_t *birth = NULL, *death = NULL, *alias = NULL;
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
	alias = malloc(((size_t)g->n_tensors + 1) * sizeof(*alias));
	if (!birth || !death || !items || !placed || !alias) {
		set_msg(msg, msg_size, "failed to plan memory of %u tensors: out of memory",
			g->n_tensors);
		st = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	for (uint32_t t = 0; t < g->n_tensors; t++) {
		birth[t] = unset;
		death[t] = 0;
		alias[t] = t;
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

	/* In place: the output joins its input's block (lifetimes are final now). */
	step = 0;
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *gn = &g->nodes[i];

		if (gn->dead)
			continue;
		step++;
		if (in_place(g, gn, step, birth, death, unset))
			alias[gn->n.outputs[0]] = block_of(alias, gn->n.inputs[0]);
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
		items[n_items].root = block_of(alias, t);
		items[n_items].birth = birth[t];
		items[n_items].death = death[t];
		items[n_items].size =
			((uint64_t)bytes + CDL_PLAN_ALIGN - 1) & ~(uint64_t)(CDL_PLAN_ALIGN - 1);
		items[n_items].offset = 0;
		n_items++;
	}
	/* A block (tensors written in place over each other) is placed as one: by
	 * its largest member, at its earliest birth; alone, a tensor is its own. */
	for (uint32_t i = 0; i < n_items; i++) {
		items[i].gsize = items[i].size;
		items[i].gbirth = items[i].birth;
	}
	for (int pass = 0; pass < 2; pass++) {
		/* 0: each member widens its block's root; 1: members copy the root's */
		for (uint32_t j = 0; j < n_items; j++) {
			uint32_t r = 0;

			if (items[j].root == items[j].tensor)
				continue;
			while (r < n_items && items[r].tensor != items[j].root)
				r++;
			if (r == n_items) {
				set_msg(msg, msg_size, "in-place tensor '%s' lost its block",
					g->tensors[items[j].tensor].name);
				st = CDL_ERR_INTERNAL;
				goto out;
			}
			if (pass == 0) {
				if (items[j].size > items[r].gsize)
					items[r].gsize = items[j].size;
				if (items[j].birth < items[r].gbirth)
					items[r].gbirth = items[j].birth;
			} else {
				items[j].gsize = items[r].gsize;
				items[j].gbirth = items[r].gbirth;
			}
		}
	}
	qsort(items, n_items, sizeof(*items), by_size_desc);

	/*
	 * placed[] is kept sorted by offset. A block's members go to one offset,
	 * found as for one tensor of the block's largest size living while any
	 * member does; once placed, each member occupies only its own bytes for
	 * its own lifetime, so that later tensors may use the rest of a large
	 * input after its in-place output's smaller life began.
	 */
	for (uint32_t i = 0, next = 0; i < n_items; i = next) {
		uint64_t cur = 0, best = UINT64_MAX, best_gap = UINT64_MAX, offset = 0;
		const uint64_t size = items[i].gsize;

		next = i + 1;
		while (next < n_items && items[next].root == items[i].root)
			next++;
		for (uint32_t j = 0; j < n_placed; j++) {
			const struct item *p = placed[j];
			bool hit = false;

			for (uint32_t m = i; m < next && !hit; m++)
				hit = conflict(p, &items[m]);
			if (!hit)
				continue;
			if (p->offset >= cur) {
				uint64_t gap = p->offset - cur;

				if (gap >= size && gap < best_gap) {
					best = cur;
					best_gap = gap;
				}
			}
			if (p->offset + p->size > cur)
				cur = p->offset + p->size;
		}
		offset = best != UINT64_MAX ? best : cur;
		if (offset + size < offset || offset + size > CDL_MAX_TENSOR_BYTES) {
			set_msg(msg, msg_size, "activation arena exceeds %llu bytes",
				(unsigned long long)CDL_MAX_TENSOR_BYTES);
			st = CDL_ERR_UNSUPPORTED;
			goto out;
		}
		for (uint32_t m = i; m < next; m++) {
			struct item *it = &items[m];
			uint32_t pos = 0;

			it->offset = offset;
			while (pos < n_placed && placed[pos]->offset <= it->offset)
				pos++;
			memmove(&placed[pos + 1], &placed[pos], (n_placed - pos) * sizeof(*placed));
			placed[pos] = it;
			n_placed++;
			if (it->offset + it->size > arena)
				arena = it->offset + it->size;
			g->tensors[it->tensor].arena_offset = (int64_t)it->offset;
		}
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
	free(alias);
	return st;
}
