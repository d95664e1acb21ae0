// SPDX-License-Identifier: Apache-2.0
/*
 * Serialises a planned graph to plan bytes (docs/plan-format.md). Tensors are
 * numbered in order of first reference (graph inputs, then node by node), so
 * the weights section, laid out in tensor order, holds the constants in order
 * of first use. Every node's infer runs once more here, to record the largest
 * workspace and to catch a graph whose recorded shapes drifted from what the
 * engine will compute at load.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/plan.h"
#include "provider.h"

enum {
	HDR_SIZE = 192,
	TENSOR_REC = 104,
	NODE_REC = 40,
	ATTR_REC = 24,
	N_SEC = 7,
};

/* One tensor table entry. */
struct wtensor {
	const char *name;
	const cdl_tensor *t; /* dtype/rank/dims, data for constants */
	bool is_const;
	uint64_t offset; /* arena offset; weights offset once laid out */
	uint64_t size;
	uint32_t name_ref;
};

/* Node table entry (records reference the indices/attrs tables). */
struct wnode {
	const cdl_gnode *gn;
	uint32_t n_inputs, n_outputs; /* n_outputs after trimming absent trailing outputs */
	uint32_t inputs_first, outputs_first, attrs_first;
	uint32_t op_ref, name_ref;
};

/* A growable byte buffer. */
struct bytes {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

/* The string table: each distinct byte string once, found by hash. */
struct strtab {
	struct bytes b;
	uint32_t *slots; /* offset + 1, 0 = empty */
	uint32_t *lens;  /* parallel: the string's length */
	size_t n_slots, n_used;
};

struct writer {
	const cdl_graph *g;
	uint32_t *map; /* graph tensor -> table index */
	struct wtensor *tensors;
	uint32_t n_tensors;
	char **owned_names; /* names made for tensor attributes */
	uint32_t n_owned;
	struct wnode *nodes;
	uint32_t n_nodes;
	uint32_t *indices;
	uint32_t n_indices, cap_indices;
	uint8_t *attrs; /* ATTR_REC records */
	uint32_t n_attrs, cap_attrs;
	struct bytes values;
	struct strtab strings;
	uint64_t workspace;
	char *msg;
	size_t msg_size;
};

static cdl_status fail(struct writer *w, cdl_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static cdl_status fail(struct writer *w, cdl_status st, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!w->msg || !w->msg_size)
		return st;
	n = snprintf(w->msg, w->msg_size, "failed to write plan: ");
	if (n < 0 || (size_t)n >= w->msg_size)
		n = 0;
	va_start(ap, fmt);
	vsnprintf(w->msg + n, w->msg_size - (size_t)n, fmt, ap);
	va_end(ap);
	return st;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static bool bytes_reserve(struct bytes *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 256;

	if (b->oom || more > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return false;
	}
	if (b->len + more <= b->cap)
		return true;
	while (cap < b->len + more)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* Appends n bytes (zeros if src is NULL) at alignment align; offset in *at. */
static bool bytes_append(struct bytes *b, const void *src, size_t n, size_t align, size_t *at)
{
	size_t pad = (size_t)(align_up(b->len, align) - b->len);

	if (!bytes_reserve(b, pad + n))
		return false;
	memset(b->p + b->len, 0, pad);
	b->len += pad;
	*at = b->len;
	if (src && n)
		memcpy(b->p + b->len, src, n);
	else if (n)
		memset(b->p + b->len, 0, n);
	b->len += n;
	return true;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static bool strtab_grow(struct strtab *st)
{
	size_t n = st->n_slots ? st->n_slots * 2 : 256;
	uint32_t *slots = calloc(n, sizeof(*slots));
	uint32_t *lens = calloc(n, sizeof(*lens));

	if (!slots || !lens) {
		free(slots);
		free(lens);
		return false;
	}
	for (size_t i = 0; i < st->n_slots; i++) {
		if (!st->slots[i])
			continue;
		const char *s = (const char *)st->b.p + st->slots[i] - 1;
		size_t j = hash_bytes(s, st->lens[i]) & (n - 1);

		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = st->slots[i];
		lens[j] = st->lens[i];
	}
	free(st->slots);
	free(st->lens);
	st->slots = slots;
	st->lens = lens;
	st->n_slots = n;
	return true;
}

/* Reference to s[0..n) followed by a NUL in the string table. */
static bool strtab_add(struct strtab *st, const char *s, size_t n, uint32_t *ref)
{
	size_t j = 0, at = 0;

	if (!s)
		s = "";
	if (n == 0) {
		*ref = 0; /* offset 0 is the empty string */
		return true;
	}
	if (n > UINT32_MAX - 2)
		return false;
	if ((st->n_used + 1) * 2 > st->n_slots && !strtab_grow(st))
		return false;
	j = hash_bytes(s, n) & (st->n_slots - 1);
	for (; st->slots[j]; j = (j + 1) & (st->n_slots - 1)) {
		if (st->lens[j] == n && memcmp(st->b.p + st->slots[j] - 1, s, n) == 0) {
			*ref = st->slots[j] - 1;
			return true;
		}
	}
	if (!bytes_append(&st->b, s, n + 1, 1, &at) || at + n + 1 > UINT32_MAX)
		return false;
	st->b.p[at + n] = '\0';
	st->slots[j] = (uint32_t)at + 1;
	st->lens[j] = (uint32_t)n;
	st->n_used++;
	*ref = (uint32_t)at;
	return true;
}

static bool add_index(struct writer *w, uint32_t v)
{
	if (w->n_indices == w->cap_indices) {
		uint32_t cap = w->cap_indices ? w->cap_indices * 2 : 64;
		uint32_t *p = NULL;

		if (cap < w->cap_indices)
			return false;
		p = realloc(w->indices, (size_t)cap * sizeof(*p));
		if (!p)
			return false;
		w->indices = p;
		w->cap_indices = cap;
	}
	w->indices[w->n_indices++] = v;
	return true;
}

/* Table index of graph tensor t, adding it on first reference. */
static cdl_status ref_tensor(struct writer *w, uint32_t t, uint32_t *out)
{
	const cdl_gtensor *gt = NULL;
	struct wtensor *e = NULL;
	size_t bytes = 0;

	if (t >= w->g->n_tensors)
		return fail(w, CDL_ERR_INTERNAL, "tensor index %u out of range", t);
	if (w->map[t] != CDL_NO_TENSOR) {
		*out = w->map[t];
		return CDL_OK;
	}
	gt = &w->g->tensors[t];
	if (!gt->shape_known || !cdl_tensor_nbytes(&gt->t, &bytes))
		return fail(w, CDL_ERR_INTERNAL, "tensor '%s' has no known shape", gt->name);
	if (gt->is_const) {
		if (!gt->t.data && bytes)
			return fail(w, CDL_ERR_INTERNAL, "constant '%s' has no data", gt->name);
	} else if (gt->arena_offset < 0 || (uint64_t)gt->arena_offset % CDL_PLAN_ALIGN ||
		   (uint64_t)gt->arena_offset + bytes > w->g->arena_size) {
		return fail(w, CDL_ERR_INTERNAL,
			    "activation '%s' has no valid arena offset (run cdl_plan_memory first)",
			    gt->name);
	}
	e = &w->tensors[w->n_tensors];
	e->name = gt->name;
	e->t = &gt->t;
	e->is_const = gt->is_const;
	e->offset = gt->is_const ? 0 : (uint64_t)gt->arena_offset;
	e->size = bytes;
	w->map[t] = w->n_tensors;
	*out = w->n_tensors++;
	return CDL_OK;
}

/* A tensor attribute becomes a constant table entry of its own. */
static cdl_status ref_attr_tensor(struct writer *w, const cdl_gnode *gn, const cdl_attr *a,
				  uint32_t *out)
{
	struct wtensor *e = &w->tensors[w->n_tensors];
	const char *node = gn->n.name ? gn->n.name : "";
	size_t bytes = 0, len = strlen(node) + strlen(a->name) + 2;
	char *name = NULL;

	if (!a->v.t || !cdl_tensor_nbytes(a->v.t, &bytes) || (bytes && !a->v.t->data))
		return fail(w, CDL_ERR_INTERNAL, "node %s: tensor attribute %s has no valid value",
			    node, a->name);
	name = malloc(len);
	if (!name)
		return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	snprintf(name, len, "%s.%s", node, a->name);
	w->owned_names[w->n_owned++] = name;
	e->name = name;
	e->t = a->v.t;
	e->is_const = true;
	e->offset = 0;
	e->size = bytes;
	*out = w->n_tensors++;
	return CDL_OK;
}

static cdl_status add_attr(struct writer *w, const cdl_gnode *gn, const cdl_attr *a)
{
	uint8_t *r = NULL;
	uint32_t name = 0, count = 0;
	uint64_t value = 0;
	size_t at = 0;
	cdl_status st = CDL_OK;

	if (w->n_attrs == w->cap_attrs) {
		uint32_t cap = w->cap_attrs ? w->cap_attrs * 2 : 64;
		uint8_t *p = NULL;

		if (cap < w->cap_attrs)
			return fail(w, CDL_ERR_OUT_OF_MEMORY, "too many attributes");
		p = realloc(w->attrs, (size_t)cap * ATTR_REC);
		if (!p)
			return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		w->attrs = p;
		w->cap_attrs = cap;
	}
	if (!a->name || !a->name[0])
		return fail(w, CDL_ERR_INTERNAL, "node %s: attribute without a name",
			    gn->n.name ? gn->n.name : "");
	if (!strtab_add(&w->strings, a->name, strlen(a->name), &name))
		return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	switch (a->type) {
	case CDL_ATTR_FLOAT:
		{
			uint32_t bits = 0;

			memcpy(&bits, &a->v.f, sizeof(bits));
			value = bits;
		}
		break;
	case CDL_ATTR_INT:
		value = (uint64_t)a->v.i;
		break;
	case CDL_ATTR_STRING:
		{
			uint32_t ref = 0;

			count = a->count;
			if (count && !a->v.s)
				return fail(w, CDL_ERR_INTERNAL, "attribute %s: NULL string", a->name);
			if (!strtab_add(&w->strings, a->v.s, count, &ref))
				return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
			value = ref;
		}
		break;
	case CDL_ATTR_TENSOR:
		{
			uint32_t idx = 0;

			st = ref_attr_tensor(w, gn, a, &idx);
			if (st)
				return st;
			value = idx;
		}
		break;
	case CDL_ATTR_FLOATS:
	case CDL_ATTR_INTS:
		{
			size_t esize = a->type == CDL_ATTR_INTS ? 8 : 4;
			const void *src = a->type == CDL_ATTR_INTS ? (const void *)a->v.ints
								   : (const void *)a->v.floats;

			count = a->count;
			if (count && !src)
				return fail(w, CDL_ERR_INTERNAL, "attribute %s: NULL list", a->name);
			/* host is little-endian (the engine's own requirement) */
			if (!bytes_append(&w->values, src, (size_t)count * esize, 8, &at))
				return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
			value = at;
		}
		break;
	default:
		return fail(w, CDL_ERR_UNSUPPORTED, "node %s: attribute %s of type %u",
			    gn->n.name ? gn->n.name : "", a->name, a->type);
	}
	r = w->attrs + (size_t)w->n_attrs * ATTR_REC;
	memset(r, 0, ATTR_REC);
	wr32(r, name);
	wr32(r + 4, a->type);
	wr32(r + 8, count);
	wr64(r + 16, value);
	w->n_attrs++;
	return CDL_OK;
}

/* Runs the node's infer as the engine will at load: workspace, shape check. */
static cdl_status infer_node(struct writer *w, const struct wnode *wn)
{
	const cdl_node *n = &wn->gn->n;
	const char *name = n->name && n->name[0] ? n->name : "(unnamed)";
	const cdl_op_def *def = cdl_op_find(n->op_type);
	cdl_tensor *in = NULL, *outs = NULL;
	cdl_tensor **pin = NULL, **pout = NULL;
	cdl_op_ctx ctx;
	cdl_node node = *n;
	cdl_status st = CDL_OK;

	if (!def || !def->infer)
		return fail(w, CDL_ERR_UNSUPPORTED, "op %s (opset %u) is not supported (node '%s')",
			    n->op_type, n->opset, name);
	in = calloc((size_t)wn->n_inputs + 1, sizeof(*in));
	pin = calloc((size_t)wn->n_inputs + 1, sizeof(*pin));
	outs = calloc((size_t)wn->n_outputs + 1, sizeof(*outs));
	pout = calloc((size_t)wn->n_outputs + 1, sizeof(*pout));
	if (!in || !pin || !outs || !pout) {
		st = fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	for (uint32_t k = 0; k < wn->n_inputs; k++) {
		uint32_t t = n->inputs[k];

		if (t == CDL_NO_TENSOR)
			continue;
		in[k] = w->g->tensors[t].t;
		if (!w->g->tensors[t].is_const)
			in[k].data = NULL;
		pin[k] = &in[k];
	}
	for (uint32_t k = 0; k < wn->n_outputs; k++)
		pout[k] = &outs[k];
	node.n_outputs = wn->n_outputs;
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = &node;
	ctx.n_inputs = wn->n_inputs;
	ctx.n_outputs = wn->n_outputs;
	ctx.inputs = pin;
	ctx.outputs = pout;
	ctx.msg = w->msg;
	ctx.msg_size = w->msg_size;
	if (w->msg && w->msg_size)
		w->msg[0] = '\0';
	st = def->infer(&ctx);
	if (st) {
		if (w->msg && w->msg_size && !w->msg[0])
			fail(w, st, "%s '%s': shape inference failed", n->op_type, name);
		goto out;
	}
	for (uint32_t k = 0; k < wn->n_outputs; k++) {
		const cdl_gtensor *gt = &w->g->tensors[n->outputs[k]];

		if (!cdl_tensor_same_shape(&outs[k], &gt->t)) {
			st = fail(w, CDL_ERR_INTERNAL,
				  "%s '%s': output '%s' is inferred with another shape than the graph records",
				  n->op_type, name, gt->name);
			goto out;
		}
	}
	if (ctx.workspace_size > w->workspace)
		w->workspace = ctx.workspace_size;
out:
	free(in);
	free(pin);
	free(outs);
	free(pout);
	return st;
}

static cdl_status collect(struct writer *w)
{
	const cdl_graph *g = w->g;
	cdl_status st = CDL_OK;
	uint32_t idx = 0;

	for (uint32_t i = 0; i < g->n_inputs; i++) {
		if (g->inputs[i] < g->n_tensors && g->tensors[g->inputs[i]].is_const)
			return fail(w, CDL_ERR_INTERNAL, "graph input %u is a constant", i);
		st = ref_tensor(w, g->inputs[i], &idx);
		if (st || !add_index(w, idx))
			return st ? st : fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	}
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		/* a graph output's index is known only once its producer is seen */
		if (!add_index(w, CDL_NO_TENSOR))
			return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	}
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *gn = &g->nodes[i];
		struct wnode *wn = &w->nodes[w->n_nodes];
		uint32_t n_out = gn->n.n_outputs;

		if (gn->dead)
			continue;
		if (gn->branches || !gn->n.op_type || !gn->n.op_type[0])
			return fail(w, CDL_ERR_UNSUPPORTED,
				    "node '%s' (%s) cannot run in the engine (an If that did not fold?)",
				    gn->n.name ? gn->n.name : "",
				    gn->n.op_type ? gn->n.op_type : "?");
		/* optional outputs nobody asked for: trailing ones are simply omitted */
		while (n_out && gn->n.outputs[n_out - 1] == CDL_NO_TENSOR)
			n_out--;
		wn->gn = gn;
		wn->n_inputs = gn->n.n_inputs;
		wn->n_outputs = n_out;
		wn->inputs_first = w->n_indices;
		for (uint32_t k = 0; k < gn->n.n_inputs; k++) {
			idx = CDL_NO_TENSOR;
			if (gn->n.inputs[k] != CDL_NO_TENSOR) {
				st = ref_tensor(w, gn->n.inputs[k], &idx);
				if (st)
					return st;
			}
			if (!add_index(w, idx))
				return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		}
		wn->attrs_first = w->n_attrs;
		for (uint32_t k = 0; k < gn->n.n_attrs; k++) {
			st = add_attr(w, gn, &gn->n.attrs[k]);
			if (st)
				return st;
		}
		wn->outputs_first = w->n_indices;
		for (uint32_t k = 0; k < n_out; k++) {
			uint32_t t = gn->n.outputs[k];

			if (t == CDL_NO_TENSOR)
				return fail(w, CDL_ERR_UNSUPPORTED,
					    "node '%s' (%s): output %u is omitted but a later one is not",
					    gn->n.name ? gn->n.name : "", gn->n.op_type, k);
			if (t < g->n_tensors && g->tensors[t].is_const)
				return fail(w, CDL_ERR_INTERNAL, "node '%s' writes a constant",
					    gn->n.name ? gn->n.name : "");
			st = ref_tensor(w, t, &idx);
			if (st)
				return st;
			if (!add_index(w, idx))
				return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		}
		w->n_nodes++;
		st = infer_node(w, wn);
		if (st)
			return st;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++) {
		st = ref_tensor(w, g->outputs[i], &idx);
		if (st)
			return st;
		w->indices[g->n_inputs + i] = idx;
	}
	return CDL_OK;
}

static cdl_status emit(struct writer *w, uint8_t **out, size_t *out_len)
{
	uint64_t off[N_SEC], size[N_SEC];
	uint64_t weights = 0, pos = HDR_SIZE;
	uint8_t *b = NULL;
	void *mem = NULL;

	/* names, and the constants' places in the weights section */
	for (uint32_t i = 0; i < w->n_tensors; i++) {
		struct wtensor *e = &w->tensors[i];

		if (!strtab_add(&w->strings, e->name, strlen(e->name), &e->name_ref))
			return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		if (e->is_const) {
			weights = align_up(weights, CDL_PLAN_ALIGN);
			e->offset = weights;
			weights += e->size;
		}
	}
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		struct wnode *wn = &w->nodes[i];
		const cdl_node *n = &wn->gn->n;

		if (!strtab_add(&w->strings, n->op_type, strlen(n->op_type), &wn->op_ref) ||
		    !strtab_add(&w->strings, n->name, n->name ? strlen(n->name) : 0, &wn->name_ref))
			return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	}
	if (w->strings.b.oom || w->values.oom)
		return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory");

	size[0] = w->strings.b.len;
	size[1] = (uint64_t)w->n_tensors * TENSOR_REC;
	size[2] = (uint64_t)w->n_nodes * NODE_REC;
	size[3] = (uint64_t)w->n_attrs * ATTR_REC;
	size[4] = (uint64_t)w->n_indices * 4;
	size[5] = w->values.len;
	size[6] = weights;
	for (int s = 0; s < N_SEC; s++) {
		pos = align_up(pos, s == N_SEC - 1 ? CDL_PLAN_ALIGN : 8);
		off[s] = pos;
		pos += size[s];
	}
	if (pos > SIZE_MAX)
		return fail(w, CDL_ERR_UNSUPPORTED, "plan of %llu bytes", (unsigned long long)pos);
	/* 64-byte aligned, so the engine can parse the buffer as is */
	if (posix_memalign(&mem, CDL_PLAN_ALIGN, (size_t)pos ? (size_t)pos : 1))
		return fail(w, CDL_ERR_OUT_OF_MEMORY, "out of memory for %llu bytes",
			    (unsigned long long)pos);
	b = mem;
	memset(b, 0, (size_t)pos);

	memcpy(b, CDL_PLAN_MAGIC, 8);
	wr32(b + 8, CDL_PLAN_VERSION);
	wr32(b + 12, HDR_SIZE);
	wr32(b + 16, 0);
	wr32(b + 20, w->n_tensors);
	wr32(b + 24, w->n_nodes);
	wr32(b + 28, w->n_attrs);
	wr32(b + 32, w->g->n_inputs);
	wr32(b + 36, w->g->n_outputs);
	wr32(b + 40, 0);
	wr32(b + 44, w->g->n_inputs);
	wr64(b + 48, pos);
	wr64(b + 56, w->g->arena_size);
	wr64(b + 64, w->workspace);
	for (int s = 0; s < N_SEC; s++) {
		wr64(b + 72 + 16 * s, off[s]);
		wr64(b + 80 + 16 * s, size[s]);
	}

	if (size[0])
		memcpy(b + off[0], w->strings.b.p, (size_t)size[0]);
	for (uint32_t i = 0; i < w->n_tensors; i++) {
		const struct wtensor *e = &w->tensors[i];
		uint8_t *r = b + off[1] + (size_t)i * TENSOR_REC;

		wr32(r, e->name_ref);
		wr32(r + 4, e->t->dtype);
		wr32(r + 8, e->t->rank);
		wr32(r + 12, e->is_const ? CDL_PLAN_CONSTANT : CDL_PLAN_ACTIVATION);
		wr32(r + 16, CDL_PLAN_LAYOUT_PLAIN);
		for (uint32_t d = 0; d < e->t->rank && d < CDL_MAX_RANK; d++)
			wr64(r + 24 + 8 * d, (uint64_t)e->t->dims[d]);
		wr64(r + 88, e->offset);
		wr64(r + 96, e->size);
		if (e->is_const && e->size)
			memcpy(b + off[6] + e->offset, e->t->data, (size_t)e->size);
	}
	for (uint32_t i = 0; i < w->n_nodes; i++) {
		const struct wnode *wn = &w->nodes[i];
		const cdl_node *n = &wn->gn->n;
		uint8_t *r = b + off[2] + (size_t)i * NODE_REC;

		wr32(r, wn->op_ref);
		wr32(r + 4, wn->name_ref);
		wr32(r + 8, n->opset);
		wr32(r + 12, wn->n_inputs);
		wr32(r + 16, wn->inputs_first);
		wr32(r + 20, wn->n_outputs);
		wr32(r + 24, wn->outputs_first);
		wr32(r + 28, n->n_attrs);
		wr32(r + 32, wn->attrs_first);
	}
	if (size[3])
		memcpy(b + off[3], w->attrs, (size_t)size[3]);
	for (uint32_t i = 0; i < w->n_indices; i++)
		wr32(b + off[4] + 4 * (size_t)i, w->indices[i]);
	if (size[5])
		memcpy(b + off[5], w->values.p, (size_t)size[5]);
	*out = b;
	*out_len = (size_t)pos;
	return CDL_OK;
}

cdl_status cdl_plan_write(const cdl_graph *g, uint8_t **out, size_t *out_len, char *msg,
			  size_t msg_size)
{
	struct writer w;
	cdl_status st = CDL_OK;
	size_t n_tensor_attrs = 0;
	size_t at = 0;

	memset(&w, 0, sizeof(w));
	w.msg = msg;
	w.msg_size = msg_size;
	if (msg && msg_size)
		msg[0] = '\0';
	if (!g || !out || !out_len)
		return fail(&w, CDL_ERR_INVALID_ARGUMENT, "NULL argument");
	*out = NULL;
	*out_len = 0;
	w.g = g;
	for (uint32_t i = 0; i < g->n_nodes; i++)
		for (uint32_t k = 0; k < g->nodes[i].n.n_attrs; k++)
			if (g->nodes[i].n.attrs[k].type == CDL_ATTR_TENSOR)
				n_tensor_attrs++;
	w.map = malloc(((size_t)g->n_tensors + 1) * sizeof(*w.map));
	w.tensors = calloc((size_t)g->n_tensors + n_tensor_attrs + 1, sizeof(*w.tensors));
	w.owned_names = calloc(n_tensor_attrs + 1, sizeof(*w.owned_names));
	w.nodes = calloc((size_t)g->n_nodes + 1, sizeof(*w.nodes));
	if (!w.map || !w.tensors || !w.owned_names || !w.nodes ||
	    !bytes_append(&w.strings.b, "", 1, 1, &at)) { /* offset 0: the empty string */
		st = fail(&w, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	for (uint32_t t = 0; t < g->n_tensors; t++)
		w.map[t] = CDL_NO_TENSOR;
	st = collect(&w);
	if (!st)
		st = emit(&w, out, out_len);
out:
	for (uint32_t i = 0; i < w.n_owned; i++)
		free(w.owned_names[i]);
	free(w.owned_names);
	free(w.map);
	free(w.tensors);
	free(w.nodes);
	free(w.indices);
	free(w.attrs);
	free(w.values.p);
	free(w.strings.b.p);
	free(w.strings.slots);
	free(w.strings.lens);
	return st;
}
