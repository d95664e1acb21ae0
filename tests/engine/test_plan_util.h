/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the plan / memory-plan / engine tests: build a small
 * provider graph by hand (graph.h), plan and write it, parse and load it.
 * Header-only so each test stays one executable.
 */
#ifndef CDL_TEST_PLAN_UTIL_H
#define CDL_TEST_PLAN_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/plan.h"
#include "provider/graph.h"
#include "provider/provider.h"

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
				#cond);                                                    \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

#define CHECK_ST(expr, want, msg)                                                          \
	do {                                                                               \
		cdl_status st_ = (expr);                                                   \
		if (st_ != (want)) {                                                       \
			fprintf(stderr, "%s:%d: %s gave status %d, want %d: %s\n", __FILE__,  \
				__LINE__, #expr, (int)st_, (int)(want), (msg));            \
			exit(1);                                                           \
		}                                                                          \
	} while (0)

#define CHECK_OK(expr, msg) CHECK_ST(expr, CDL_OK, msg)

static inline void tp_set_shape(cdl_tensor *t, int dtype, uint32_t rank, const int64_t *dims)
{
	memset(t, 0, sizeof(*t));
	t->dtype = (uint8_t)dtype;
	t->rank = (uint8_t)rank;
	for (uint32_t i = 0; i < rank; i++)
		t->dims[i] = dims[i];
}

static inline void tp_append(uint32_t **list, uint32_t *n, uint32_t v)
{
	uint32_t *p = realloc(*list, ((size_t)*n + 1) * sizeof(*p));

	CHECK(p);
	p[(*n)++] = v;
	*list = p;
}

/* A graph input of the given type and shape. */
static inline uint32_t tp_input(cdl_graph *g, const char *name, int dtype, uint32_t rank,
				const int64_t *dims)
{
	uint32_t t = cdl_graph_add_tensor(g, name);

	CHECK(t != CDL_NO_TENSOR);
	tp_set_shape(&g->tensors[t].t, dtype, rank, dims);
	g->tensors[t].shape_known = true;
	tp_append(&g->inputs, &g->n_inputs, t);
	return t;
}

/* A constant with a copy of data (nbytes of it). */
static inline uint32_t tp_const(cdl_graph *g, const char *name, int dtype, uint32_t rank,
				const int64_t *dims, const void *data)
{
	uint32_t t = cdl_graph_add_tensor(g, name);
	size_t bytes = 0;

	CHECK(t != CDL_NO_TENSOR);
	tp_set_shape(&g->tensors[t].t, dtype, rank, dims);
	CHECK(cdl_tensor_nbytes(&g->tensors[t].t, &bytes));
	g->tensors[t].t.data = malloc(bytes ? bytes : 1);
	CHECK(g->tensors[t].t.data);
	memcpy(g->tensors[t].t.data, data, bytes);
	g->tensors[t].shape_known = true;
	g->tensors[t].is_const = true;
	return t;
}

/* A node; creates its outputs (named) and infers their shapes. */
static inline void tp_node(cdl_graph *g, const char *op, const char *name, const uint32_t *in,
			   uint32_t n_in, uint32_t *out, const char *const *out_names,
			   uint32_t n_out, const cdl_attr *attrs, uint32_t n_attrs)
{
	char msg[256] = "";

	for (uint32_t k = 0; k < n_out; k++) {
		out[k] = cdl_graph_add_tensor(g, out_names[k]);
		CHECK(out[k] != CDL_NO_TENSOR);
	}
	CHECK_OK(cdl_graph_add_node(g, op, name, 13, in, n_in, out, n_out, attrs, n_attrs), "");
	CHECK_OK(cdl_graph_infer_node(g, &g->nodes[g->n_nodes - 1], NULL, msg, sizeof(msg)), msg);
}

/* One-input one-output node; returns the output tensor. */
static inline uint32_t tp_unary(cdl_graph *g, const char *op, const char *out_name, uint32_t x,
				const cdl_attr *attrs, uint32_t n_attrs)
{
	uint32_t y = 0;
	const char *names[1] = { out_name };

	tp_node(g, op, out_name, &x, 1, &y, names, 1, attrs, n_attrs);
	return y;
}

static inline uint32_t tp_binary(cdl_graph *g, const char *op, const char *out_name, uint32_t a,
				 uint32_t b)
{
	uint32_t in[2] = { a, b };
	uint32_t y = 0;
	const char *names[1] = { out_name };

	tp_node(g, op, out_name, in, 2, &y, names, 1, NULL, 0);
	return y;
}

static inline void tp_output(cdl_graph *g, uint32_t t)
{
	tp_append(&g->outputs, &g->n_outputs, t);
}

/* Memory plan + plan bytes (64-byte aligned, caller frees). */
static inline uint8_t *tp_compile(cdl_graph *g, size_t *len)
{
	char msg[256] = "";
	uint8_t *buf = NULL;

	CHECK_OK(cdl_plan_memory(g, msg, sizeof(msg)), msg);
	CHECK_OK(cdl_plan_write(g, &buf, len, msg, sizeof(msg)), msg);
	CHECK(((uintptr_t)buf % CDL_PLAN_ALIGN) == 0);
	return buf;
}

/* A 64-byte-aligned allocation of exactly len bytes (so ASan sees overreads). */
static inline uint8_t *tp_alloc(size_t len)
{
	void *p = NULL;

	CHECK(posix_memalign(&p, CDL_PLAN_ALIGN, len ? len : 1) == 0);
	return p;
}

/* A 64-byte-aligned copy of buf[0..len) in an allocation of exactly len bytes. */
static inline uint8_t *tp_copy(const uint8_t *buf, size_t len)
{
	uint8_t *p = tp_alloc(len);

	if (len)
		memcpy(p, buf, len);
	return p;
}

typedef struct tp_loaded {
	void *mem, *emem;
	cdl_arena arena, earena; /* the parse's and the engine's */
	const cdl_plan *plan;
	cdl_engine *engine;
} tp_loaded;

/*
 * Parses and creates an engine. arena_bytes == 0: parse in a generous arena,
 * then create in a second arena of exactly what memory_needed says. Else one
 * arena of arena_bytes for both.
 */
static inline cdl_status tp_load(const uint8_t *buf, size_t len, size_t arena_bytes,
				 tp_loaded *l, char *msg, size_t msg_size)
{
	cdl_status st = CDL_OK;
	size_t need = 0;

	memset(l, 0, sizeof(*l));
	if (arena_bytes) {
		l->mem = malloc(arena_bytes);
		CHECK(l->mem);
		cdl_arena_init(&l->arena, l->mem, arena_bytes);
		st = cdl_plan_parse(buf, len, &l->arena, &l->plan, msg, msg_size);
		if (st)
			return st;
		return cdl_engine_create(l->plan, &l->arena, &l->engine, msg, msg_size);
	}
	/* the parsed tables take less than three times their bytes in the plan */
	arena_bytes = 3 * len + 4096;
	l->mem = malloc(arena_bytes);
	CHECK(l->mem);
	cdl_arena_init(&l->arena, l->mem, arena_bytes);
	st = cdl_plan_parse(buf, len, &l->arena, &l->plan, msg, msg_size);
	if (st)
		return st;
	st = cdl_engine_memory_needed(l->plan, &need, msg, msg_size);
	if (st)
		return st;
	l->emem = malloc(need ? need : 1);
	CHECK(l->emem);
	cdl_arena_init(&l->earena, l->emem, need);
	return cdl_engine_create(l->plan, &l->earena, &l->engine, msg, msg_size);
}

static inline void tp_unload(tp_loaded *l)
{
	free(l->mem);
	free(l->emem);
	memset(l, 0, sizeof(*l));
}

static inline float tp_max_abs_diff(const float *a, const float *b, size_t n)
{
	float m = 0;

	for (size_t i = 0; i < n; i++) {
		float d = fabsf(a[i] - b[i]);

		if (!(d <= m))
			m = d;
	}
	return m;
}

#endif /* CDL_TEST_PLAN_UTIL_H */
