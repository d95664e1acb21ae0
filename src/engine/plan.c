// SPDX-License-Identifier: Apache-2.0
/*
 * The bump arena and the plan reader (docs/plan-format.md). The reader
 * treats the buffer as hostile: every count, offset and size is checked,
 * with overflow-checked arithmetic, before a byte is read, and nothing is
 * read outside [buf, buf + len).
 */
#include <string.h>

#include "plan.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the engine uses little-endian plan weights in place"
#endif

/* --- arena ---------------------------------------------------------------- */

void cdl_arena_init(cdl_arena *a, void *mem, size_t size)
{
	a->base = mem;
	a->size = mem ? size : 0;
	a->used = 0;
}

void *cdl_arena_alloc(cdl_arena *a, size_t size, size_t align)
{
	uintptr_t at = 0;
	size_t pad = 0;
	size_t end = 0;

	if (!a || !a->base || !align || (align & (align - 1)) || a->used > a->size)
		return NULL;
	at = (uintptr_t)a->base + a->used;
	pad = (size_t)(-at & (uintptr_t)(align - 1));
	if (!cdl_add_size(a->used, pad, &end) || !cdl_add_size(end, size, &end) || end > a->size)
		return NULL;
	a->used = end;
	return a->base + (end - size);
}

/* --- format constants (docs/plan-format.md) --------------------------------- */

enum {
	HDR_SIZE = 192,
	TENSOR_REC = 104,
	NODE_REC = 40,
	ATTR_REC = 24,
};

enum { SEC_STRINGS, SEC_TENSORS, SEC_NODES, SEC_ATTRS, SEC_INDICES, SEC_VALUES, SEC_WEIGHTS, N_SEC };

static const char *const sec_names[N_SEC] = {
	"strings", "tensors", "nodes", "attrs", "indices", "values", "weights",
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

struct parser {
	const uint8_t *buf;
	bool tables_only; /* buf holds the tables only (cdl_plan_parse_tables) */
	uint64_t total;
	uint64_t sec_off[N_SEC], sec_size[N_SEC];
	/* copies in the arena */
	const char *strings;
	size_t strings_size;
	uint32_t *indices;
	size_t n_indices;
	uint8_t *values;
	cdl_plan *plan;
	cdl_plan_tensor *tensors; /* plan->tensors, writable */
	cdl_tensor *attr_tensors;
	uint32_t *attr_ids;       /* per attr_tensors slot: its tensor index */
	char *msg;
	size_t msg_size;
};

static cdl_status fail(struct parser *p, cdl_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static cdl_status fail(struct parser *p, cdl_status st, const char *fmt, ...)
{
	__builtin_va_list ap;
	size_t n = 0;

	if (!p->msg || !p->msg_size)
		return st;
	n = cdl_snprintf(p->msg, p->msg_size, "malformed plan: ");
	if (st != CDL_ERR_MALFORMED)
		n = 0;
	__builtin_va_start(ap, fmt);
	cdl_vsnprintf(p->msg + n, p->msg_size - n, fmt, ap);
	__builtin_va_end(ap);
	return st;
}

/* Sets *out to the string at byte offset off of the string section. */
static bool str_at(const struct parser *p, uint64_t off, const char **out)
{
	if (off >= p->strings_size)
		return false;
	*out = p->strings + off;
	return true;
}

/* Checks that [first, first + n) lies within a table of count entries. */
static bool range_ok(uint32_t first, uint32_t n, uint64_t count)
{
	return (uint64_t)first + n <= count;
}

static bool aligned(uint64_t v, uint64_t align)
{
	return (v & (align - 1)) == 0;
}

/* Adds size bytes at alignment align to a running total of arena bytes. */
static bool need_add(size_t *total, uint64_t size, size_t align)
{
	if (size > SIZE_MAX)
		return false;
	return cdl_add_size(*total, (size_t)size, total) && cdl_add_size(*total, align - 1, total);
}

static bool need_add_array(size_t *total, uint64_t n, size_t elem, size_t align)
{
	size_t bytes = 0;

	if (n > SIZE_MAX || !cdl_mul_size((size_t)n, elem, &bytes))
		return false;
	return need_add(total, bytes, align);
}

static cdl_status parse_header(struct parser *p, size_t len)
{
	const uint8_t *b = p->buf;
	uint32_t version = 0;
	uint32_t flags = 0;

	if (len < HDR_SIZE)
		return fail(p, CDL_ERR_MALFORMED, "%zu bytes, shorter than the %d-byte header", len,
			    HDR_SIZE);
	if (memcmp(b, CDL_PLAN_MAGIC, 8) != 0)
		return fail(p, CDL_ERR_MALFORMED, "bad magic (not a cdl plan)");
	version = rd32(b + 8);
	if (version != CDL_PLAN_VERSION) {
		if (version == 0)
			return fail(p, CDL_ERR_MALFORMED, "version 0");
		return fail(p, CDL_ERR_UNSUPPORTED, "plan version %u, this engine reads %u", version,
			    CDL_PLAN_VERSION);
	}
	if (rd32(b + 12) != HDR_SIZE)
		return fail(p, CDL_ERR_MALFORMED, "header_size %u, version 1 has %d", rd32(b + 12),
			    HDR_SIZE);
	flags = rd32(b + 16);
	if (flags)
		return fail(p, CDL_ERR_UNSUPPORTED, "plan uses feature flags 0x%x unknown to this engine",
			    flags);
	for (int i = 184; i < HDR_SIZE; i++)
		if (b[i])
			return fail(p, CDL_ERR_MALFORMED, "reserved header byte %d is not zero", i);
	p->total = rd64(b + 48);
	if (p->total < HDR_SIZE || (!p->tables_only && p->total > len))
		return fail(p, CDL_ERR_MALFORMED, "total_size %llu outside [%d, %zu] (truncated?)",
			    (unsigned long long)p->total, HDR_SIZE, len);
	for (int s = 0; s < N_SEC; s++) {
		uint64_t off = rd64(b + 72 + 16 * s);
		uint64_t size = rd64(b + 80 + 16 * s);
		uint64_t align = s == SEC_WEIGHTS ? CDL_PLAN_ALIGN : 8;

		if (off < HDR_SIZE || !aligned(off, align) || off > p->total ||
		    size > p->total - off)
			return fail(p, CDL_ERR_MALFORMED,
				    "%s section [%llu, +%llu) not %llu-aligned within [%d, %llu)",
				    sec_names[s], (unsigned long long)off, (unsigned long long)size,
				    (unsigned long long)align, HDR_SIZE,
				    (unsigned long long)p->total);
		p->sec_off[s] = off;
		p->sec_size[s] = size;
	}
	return CDL_OK;
}

/* Bytes from the start of the plan to the end of the last non-weights section. */
static uint64_t tables_end(const struct parser *p)
{
	uint64_t end = HDR_SIZE;

	for (int s = 0; s < N_SEC; s++)
		if (s != SEC_WEIGHTS && p->sec_off[s] + p->sec_size[s] > end)
			end = p->sec_off[s] + p->sec_size[s]; /* both <= total: no overflow */
	return end;
}

static cdl_status parse_tensor(struct parser *p, uint32_t i, cdl_plan_tensor *t)
{
	const uint8_t *r = p->buf + p->sec_off[SEC_TENSORS] + (uint64_t)i * TENSOR_REC;
	uint32_t dtype = rd32(r + 4);
	uint32_t rank = rd32(r + 8);
	size_t nbytes = 0;
	uint64_t limit = 0;
	const char *where = NULL;

	if (!str_at(p, rd32(r), &t->name))
		return fail(p, CDL_ERR_MALFORMED, "tensor %u: name outside the string section", i);
	if (!cdl_dtype_size((int)dtype) || dtype > 255)
		return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): unknown dtype %u", i, t->name,
			    dtype);
	if (rank > CDL_MAX_RANK)
		return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): rank %u > %d", i, t->name, rank,
			    CDL_MAX_RANK);
	t->kind = rd32(r + 12);
	t->layout = rd32(r + 16);
	if (rd32(r + 20))
		return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): reserved field not zero", i,
			    t->name);
	memset(&t->desc, 0, sizeof(t->desc));
	t->desc.dtype = (uint8_t)dtype;
	t->desc.rank = (uint8_t)rank;
	for (uint32_t d = 0; d < CDL_MAX_RANK; d++) {
		int64_t v = (int64_t)rd64(r + 24 + 8 * d);

		if (d < rank ? v < 0 : v != 0)
			return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): dim %u is %lld", i,
				    t->name, d, (long long)v);
		t->desc.dims[d] = v;
	}
	t->offset = rd64(r + 88);
	t->size = rd64(r + 96);
	if (!cdl_tensor_nbytes(&t->desc, &nbytes))
		return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): byte size overflows", i, t->name);
	switch (t->kind) {
	case CDL_PLAN_ACTIVATION:
		limit = p->plan->arena_size;
		where = "arena";
		if (t->layout != CDL_PLAN_LAYOUT_PLAIN)
			return fail(p, CDL_ERR_MALFORMED, "activation %u (%s) has layout %u", i,
				    t->name, t->layout);
		break;
	case CDL_PLAN_CONSTANT:
		limit = p->sec_size[SEC_WEIGHTS];
		where = "weights section";
		if (t->layout != CDL_PLAN_LAYOUT_PLAIN)
			return fail(p, CDL_ERR_UNSUPPORTED,
				    "constant %u (%s) uses weight layout %u, unknown to this engine",
				    i, t->name, t->layout);
		break;
	default:
		return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): unknown kind %u", i, t->name,
			    t->kind);
	}
	if (t->size != (uint64_t)nbytes)
		return fail(p, CDL_ERR_MALFORMED, "tensor %u (%s): size %llu, its shape needs %zu", i,
			    t->name, (unsigned long long)t->size, nbytes);
	if (!aligned(t->offset, CDL_PLAN_ALIGN) || t->offset > limit || t->size > limit - t->offset)
		return fail(p, CDL_ERR_MALFORMED,
			    "tensor %u (%s): bytes [%llu, +%llu) not aligned within the %s (%llu)",
			    i, t->name, (unsigned long long)t->offset,
			    (unsigned long long)t->size, where, (unsigned long long)limit);
	return CDL_OK;
}

static cdl_status parse_attr(struct parser *p, uint32_t i, cdl_attr *at, cdl_tensor **tslot,
			     const cdl_tensor *tslot_end)
{
	const uint8_t *r = p->buf + p->sec_off[SEC_ATTRS] + (uint64_t)i * ATTR_REC;
	uint64_t v = rd64(r + 16);
	uint64_t vsize = p->sec_size[SEC_VALUES];
	const cdl_plan_tensor *pt = NULL;

	if (!str_at(p, rd32(r), &at->name) || !at->name[0])
		return fail(p, CDL_ERR_MALFORMED, "attribute %u: bad name", i);
	at->type = rd32(r + 4);
	at->count = rd32(r + 8);
	if (rd32(r + 12))
		return fail(p, CDL_ERR_MALFORMED, "attribute %u (%s): reserved field not zero", i,
			    at->name);
	switch (at->type) {
	case CDL_ATTR_FLOAT:
		{
			uint32_t bits = (uint32_t)v;

			if (at->count || v >> 32)
				goto bad_value;
			memcpy(&at->v.f, &bits, sizeof(bits));
		}
		break;
	case CDL_ATTR_INT:
		if (at->count)
			goto bad_value;
		at->v.i = (int64_t)v;
		break;
	case CDL_ATTR_STRING:
		/* count bytes, then the NUL, all inside the string section */
		if (v >= p->strings_size || at->count >= p->strings_size - v ||
		    p->strings[v + at->count] != '\0')
			goto bad_value;
		at->v.s = p->strings + v;
		break;
	case CDL_ATTR_TENSOR:
		if (at->count || v >= p->plan->n_tensors)
			goto bad_value;
		/* counted in a first pass; guards against a buffer that changed since */
		if (*tslot >= tslot_end)
			return fail(p, CDL_ERR_MALFORMED, "attribute %u: plan changed while parsed",
				    i);
		pt = &p->plan->tensors[v];
		if (pt->kind != CDL_PLAN_CONSTANT)
			return fail(p, CDL_ERR_MALFORMED,
				    "attribute %u (%s): tensor %llu is not a constant", i, at->name,
				    (unsigned long long)v);
		**tslot = pt->desc;
		/* tables only: the engine binds the bytes (cdl_engine_create_ex) */
		(*tslot)->data = p->plan->weights ? (void *)(p->plan->weights + pt->offset) : NULL;
		at->v.t = *tslot;
		p->attr_ids[*tslot - p->attr_tensors] = (uint32_t)v;
		(*tslot)++;
		p->tensors[v].attr_or_output = true;
		break;
	case CDL_ATTR_FLOATS:
		if (!aligned(v, 4) || v > vsize || (uint64_t)at->count * 4 > vsize - v)
			goto bad_value;
		at->v.floats = (const float *)(p->values + v);
		break;
	case CDL_ATTR_INTS:
		if (!aligned(v, 8) || v > vsize || (uint64_t)at->count * 8 > vsize - v)
			goto bad_value;
		at->v.ints = (const int64_t *)(p->values + v);
		break;
	default:
		return fail(p, CDL_ERR_MALFORMED, "attribute %u (%s): unknown type %u", i, at->name,
			    at->type);
	}
	return CDL_OK;
bad_value:
	return fail(p, CDL_ERR_MALFORMED, "attribute %u (%s, type %u): bad value %llu / count %u", i,
		    at->name, at->type, (unsigned long long)v, at->count);
}

static cdl_status parse_node(struct parser *p, uint32_t i, cdl_node *n, const cdl_attr *attrs)
{
	const uint8_t *r = p->buf + p->sec_off[SEC_NODES] + (uint64_t)i * NODE_REC;
	uint32_t in_first = rd32(r + 16), out_first = rd32(r + 24), attr_first = rd32(r + 32);

	if (!str_at(p, rd32(r), &n->op_type) || !n->op_type[0])
		return fail(p, CDL_ERR_MALFORMED, "node %u: bad op_type", i);
	if (!str_at(p, rd32(r + 4), &n->name))
		return fail(p, CDL_ERR_MALFORMED, "node %u (%s): bad name", i, n->op_type);
	n->opset = rd32(r + 8);
	n->n_inputs = rd32(r + 12);
	n->n_outputs = rd32(r + 20);
	n->n_attrs = rd32(r + 28);
	if (rd32(r + 36))
		return fail(p, CDL_ERR_MALFORMED, "node %u (%s): reserved field not zero", i,
			    n->op_type);
	if (!range_ok(in_first, n->n_inputs, p->n_indices) ||
	    !range_ok(out_first, n->n_outputs, p->n_indices) ||
	    !range_ok(attr_first, n->n_attrs, p->sec_size[SEC_ATTRS] / ATTR_REC))
		return fail(p, CDL_ERR_MALFORMED,
			    "node %u (%s %s): input/output/attribute range out of its table", i,
			    n->op_type, n->name);
	n->inputs = p->indices + in_first;
	n->outputs = p->indices + out_first;
	n->attrs = attrs + attr_first;
	for (uint32_t k = 0; k < n->n_inputs; k++)
		if (n->inputs[k] != CDL_NO_TENSOR && n->inputs[k] >= p->plan->n_tensors)
			return fail(p, CDL_ERR_MALFORMED, "node %u (%s %s): input %u is tensor %u of %u",
				    i, n->op_type, n->name, k, n->inputs[k], p->plan->n_tensors);
	for (uint32_t k = 0; k < n->n_outputs; k++)
		if (n->outputs[k] >= p->plan->n_tensors)
			return fail(p, CDL_ERR_MALFORMED,
				    "node %u (%s %s): output %u is tensor %u of %u", i, n->op_type,
				    n->name, k, n->outputs[k], p->plan->n_tensors);
	return CDL_OK;
}

/*
 * Graph consistency: activations are written once (by one node, or as a graph
 * input) before anything reads them; constants are never written.
 */
static cdl_status check_graph(struct parser *p, uint8_t *defined)
{
	const cdl_plan *plan = p->plan;

	for (uint32_t i = 0; i < plan->n_inputs; i++) {
		uint32_t t = plan->inputs[i];

		if (t >= plan->n_tensors || plan->tensors[t].kind != CDL_PLAN_ACTIVATION ||
		    defined[t])
			return fail(p, CDL_ERR_MALFORMED,
				    "graph input %u (tensor %u) is out of range, a constant or listed twice",
				    i, t);
		defined[t] = 1;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const cdl_node *n = &plan->nodes[i];

		for (uint32_t k = 0; k < n->n_inputs; k++) {
			uint32_t t = n->inputs[k];

			if (t == CDL_NO_TENSOR)
				continue;
			if (plan->tensors[t].kind == CDL_PLAN_ACTIVATION && !defined[t])
				return fail(p, CDL_ERR_MALFORMED,
					    "node %u (%s %s) reads tensor %s before it is computed", i,
					    n->op_type, n->name, plan->tensors[t].name);
			if (p->tensors[t].n_uses < UINT32_MAX)
				p->tensors[t].n_uses++;
		}
		for (uint32_t k = 0; k < n->n_outputs; k++) {
			uint32_t t = n->outputs[k];

			if (plan->tensors[t].kind != CDL_PLAN_ACTIVATION || defined[t])
				return fail(p, CDL_ERR_MALFORMED,
					    "node %u (%s %s) writes tensor %s, which is a constant, a graph input or computed before",
					    i, n->op_type, n->name, plan->tensors[t].name);
			defined[t] = 1;
		}
	}
	for (uint32_t i = 0; i < plan->n_outputs; i++) {
		uint32_t t = plan->outputs[i];

		if (t >= plan->n_tensors ||
		    (plan->tensors[t].kind == CDL_PLAN_ACTIVATION && !defined[t]))
			return fail(p, CDL_ERR_MALFORMED,
				    "graph output %u (tensor %u) is out of range or never computed", i,
				    t);
		p->tensors[t].attr_or_output = true;
	}
	return CDL_OK;
}

static cdl_status parse(const uint8_t *buf, size_t len, bool tables_only, cdl_arena *a,
			const cdl_plan **out, char *msg, size_t msg_size)
{
	struct parser p;
	cdl_status st = CDL_OK;
	const uint8_t *b = buf;
	uint32_t n_tensors = 0, n_nodes = 0, n_attrs = 0, n_tensor_attrs = 0;
	uint32_t in_first = 0, out_first = 0;
	size_t need = 0, used0 = 0;
	cdl_plan *plan = NULL;
	cdl_plan_tensor *tensors = NULL;
	cdl_node *nodes = NULL;
	cdl_attr *attrs = NULL;
	cdl_tensor *attr_tensors = NULL;
	uint8_t *defined = NULL;
	char *strings = NULL;

	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.tables_only = tables_only;
	p.msg = msg;
	p.msg_size = msg_size;
	if (msg && msg_size)
		msg[0] = '\0';
	if (out)
		*out = NULL;
	if (!buf || !a || !out)
		return fail(&p, CDL_ERR_INVALID_ARGUMENT, "%s: NULL argument",
			    tables_only ? "cdl_plan_parse_tables" : "cdl_plan_parse");
	/* Weights are used in place: aligned for the kernels. Tables are copied. */
	if (!tables_only && !aligned((uintptr_t)buf, CDL_PLAN_ALIGN))
		return fail(&p, CDL_ERR_INVALID_ARGUMENT,
			    "failed to parse plan at %p: buffer not %u-byte aligned", (const void *)buf,
			    CDL_PLAN_ALIGN);
	st = parse_header(&p, len);
	if (st)
		return st;
	if (tables_only && tables_end(&p) > len)
		return fail(&p, CDL_ERR_MALFORMED,
			    "the tables end at byte %llu, only %zu given (truncated?)",
			    (unsigned long long)tables_end(&p), len);

	n_tensors = rd32(b + 20);
	n_nodes = rd32(b + 24);
	n_attrs = rd32(b + 28);
	in_first = rd32(b + 40);
	out_first = rd32(b + 44);
	if (p.sec_size[SEC_TENSORS] != (uint64_t)n_tensors * TENSOR_REC ||
	    p.sec_size[SEC_NODES] != (uint64_t)n_nodes * NODE_REC ||
	    p.sec_size[SEC_ATTRS] != (uint64_t)n_attrs * ATTR_REC)
		return fail(&p, CDL_ERR_MALFORMED,
			    "table sizes disagree with the counts (%u tensors, %u nodes, %u attributes)",
			    n_tensors, n_nodes, n_attrs);
	if (p.sec_size[SEC_INDICES] % 4)
		return fail(&p, CDL_ERR_MALFORMED, "indices section size %llu not a multiple of 4",
			    (unsigned long long)p.sec_size[SEC_INDICES]);
	p.n_indices = (size_t)(p.sec_size[SEC_INDICES] / 4);
	if (!range_ok(in_first, rd32(b + 32), p.n_indices) ||
	    !range_ok(out_first, rd32(b + 36), p.n_indices))
		return fail(&p, CDL_ERR_MALFORMED, "graph inputs/outputs outside the indices section");
	if (p.sec_size[SEC_STRINGS] < 1)
		return fail(&p, CDL_ERR_MALFORMED, "empty string section");

	for (uint32_t i = 0; i < n_attrs; i++)
		if (rd32(b + p.sec_off[SEC_ATTRS] + (uint64_t)i * ATTR_REC + 4) == CDL_ATTR_TENSOR)
			n_tensor_attrs++;

	/* Everything the parse takes from the arena, so that one check can say how much. */
	if (!need_add(&need, sizeof(cdl_plan), 8) ||
	    !need_add(&need, p.sec_size[SEC_STRINGS], 1) ||
	    !need_add_array(&need, n_tensors, sizeof(cdl_plan_tensor), 8) ||
	    !need_add_array(&need, n_nodes, sizeof(cdl_node), 8) ||
	    !need_add_array(&need, n_attrs, sizeof(cdl_attr), 8) ||
	    !need_add_array(&need, n_tensor_attrs, sizeof(cdl_tensor), 8) ||
	    !need_add_array(&need, n_tensor_attrs, sizeof(uint32_t), 8) ||
	    !need_add_array(&need, p.n_indices, sizeof(uint32_t), 8) ||
	    !need_add(&need, p.sec_size[SEC_VALUES], 8) || !need_add(&need, n_tensors, 1))
		return fail(&p, CDL_ERR_MALFORMED, "plan tables too large for this machine");
	if (a->used > a->size || a->size - a->used < need)
		return fail(&p, CDL_ERR_OUT_OF_MEMORY,
			    "failed to parse plan: needs %zu bytes of arena, %zu left", need,
			    a->used <= a->size ? a->size - a->used : 0);
	used0 = a->used;

	plan = cdl_arena_alloc(a, sizeof(*plan), 8);
	strings = cdl_arena_alloc(a, (size_t)p.sec_size[SEC_STRINGS], 1);
	tensors = cdl_arena_alloc(a, sizeof(*tensors) * n_tensors, 8);
	nodes = cdl_arena_alloc(a, sizeof(*nodes) * n_nodes, 8);
	attrs = cdl_arena_alloc(a, sizeof(*attrs) * n_attrs, 8);
	attr_tensors = cdl_arena_alloc(a, sizeof(*attr_tensors) * n_tensor_attrs, 8);
	p.attr_ids = cdl_arena_alloc(a, sizeof(uint32_t) * n_tensor_attrs, 8);
	p.indices = cdl_arena_alloc(a, sizeof(uint32_t) * p.n_indices, 8);
	p.values = cdl_arena_alloc(a, (size_t)p.sec_size[SEC_VALUES], 8);
	defined = cdl_arena_alloc(a, n_tensors, 1);
	if (!plan || !strings || !tensors || !nodes || !attrs || !attr_tensors || !p.attr_ids ||
	    !p.indices || !p.values || !defined) {
		st = fail(&p, CDL_ERR_INTERNAL, "plan arena accounting is wrong");
		goto out;
	}
	memset(plan, 0, sizeof(*plan));
	memset(defined, 0, n_tensors);
	p.plan = plan;

	/* Checked on the copy, which cannot change under us. */
	memcpy(strings, b + p.sec_off[SEC_STRINGS], (size_t)p.sec_size[SEC_STRINGS]);
	p.strings = strings;
	p.strings_size = (size_t)p.sec_size[SEC_STRINGS];
	if (strings[0] != '\0' || strings[p.strings_size - 1] != '\0') {
		st = fail(&p, CDL_ERR_MALFORMED, "string section does not start and end with NUL");
		goto out;
	}
	for (size_t i = 0; i < p.n_indices; i++)
		p.indices[i] = rd32(b + p.sec_off[SEC_INDICES] + 4 * (uint64_t)i);
	memcpy(p.values, b + p.sec_off[SEC_VALUES], (size_t)p.sec_size[SEC_VALUES]);

	plan->version = CDL_PLAN_VERSION;
	plan->n_tensors = n_tensors;
	plan->n_nodes = n_nodes;
	plan->n_inputs = rd32(b + 32);
	plan->n_outputs = rd32(b + 36);
	plan->arena_size = rd64(b + 56);
	plan->workspace_size = rd64(b + 64);
	plan->weights = tables_only ? NULL : b + p.sec_off[SEC_WEIGHTS];
	plan->weights_size = p.sec_size[SEC_WEIGHTS];
	plan->tensors = tensors;
	p.tensors = tensors;
	p.attr_tensors = attr_tensors;
	plan->attr_tensors = attr_tensors;
	plan->attr_tensor_ids = p.attr_ids;
	plan->n_attr_tensors = n_tensor_attrs;
	plan->nodes = nodes;
	plan->inputs = p.indices + in_first;
	plan->outputs = p.indices + out_first;
	if (plan->arena_size > SIZE_MAX || plan->workspace_size > SIZE_MAX ||
	    plan->arena_size > CDL_MAX_TENSOR_BYTES || plan->workspace_size > CDL_MAX_TENSOR_BYTES) {
		st = fail(&p, CDL_ERR_MALFORMED, "arena_size %llu or workspace_size %llu too large",
			  (unsigned long long)plan->arena_size,
			  (unsigned long long)plan->workspace_size);
		goto out;
	}

	for (uint32_t i = 0; i < n_tensors; i++) {
		tensors[i].n_uses = 0;
		tensors[i].attr_or_output = false;
		st = parse_tensor(&p, i, &tensors[i]);
		if (st)
			goto out;
	}
	{
		cdl_tensor *slot = attr_tensors;

		for (uint32_t i = 0; i < n_attrs; i++) {
			st = parse_attr(&p, i, &attrs[i], &slot, attr_tensors + n_tensor_attrs);
			if (st)
				goto out;
		}
	}
	for (uint32_t i = 0; i < n_nodes; i++) {
		st = parse_node(&p, i, &nodes[i], attrs);
		if (st)
			goto out;
	}
	st = check_graph(&p, defined);
	if (st)
		goto out;

	/* The definedness map was scratch: give its bytes back. */
	a->used = (size_t)(defined - a->base);
	*out = plan;
	return CDL_OK;
out:
	a->used = used0;
	return st;
}

cdl_status cdl_plan_parse(const uint8_t *buf, size_t len, cdl_arena *a, const cdl_plan **out,
			  char *msg, size_t msg_size)
{
	return parse(buf, len, false, a, out, msg, msg_size);
}

cdl_status cdl_plan_parse_tables(const uint8_t *buf, size_t len, cdl_arena *a,
				 const cdl_plan **out, char *msg, size_t msg_size)
{
	return parse(buf, len, true, a, out, msg, msg_size);
}

cdl_status cdl_plan_tables_size(const uint8_t *buf, size_t len, size_t *tables_size, char *msg,
				size_t msg_size)
{
	struct parser p;
	cdl_status st = CDL_OK;
	uint64_t end = 0;

	memset(&p, 0, sizeof(p));
	p.buf = buf;
	p.tables_only = true;
	p.msg = msg;
	p.msg_size = msg_size;
	if (msg && msg_size)
		msg[0] = '\0';
	if (tables_size)
		*tables_size = 0;
	if (!buf || !tables_size)
		return fail(&p, CDL_ERR_INVALID_ARGUMENT, "cdl_plan_tables_size: NULL argument");
	st = parse_header(&p, len);
	if (st)
		return st;
	end = tables_end(&p);
	if (end > SIZE_MAX)
		return fail(&p, CDL_ERR_MALFORMED, "tables of %llu bytes too large for this machine",
			    (unsigned long long)end);
	*tables_size = (size_t)end;
	return CDL_OK;
}
