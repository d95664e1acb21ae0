// SPDX-License-Identifier: Apache-2.0
/*
 * The executor. Everything it uses comes from the caller's cdl_arena, sized
 * up front by engine_bytes(): no malloc, no hidden state. At create every
 * node's infer re-derives the output shapes from the recorded input shapes,
 * so that a plan whose shapes were edited cannot steer a kernel outside its
 * tensors.
 */
#include <string.h>

#include "engine.h"

struct cdl_engine {
	const cdl_plan *plan;
	const cdl_op_def **ops; /* per node */
	size_t *io_first;       /* per node: its first slot in io */
	cdl_tensor **io;        /* per node: n_inputs then n_outputs; NULL = absent input */
	cdl_tensor *io_store;   /* the tensors io points to: per-node copies */
	uint8_t *arena;         /* activations, 64-byte aligned */
	void *workspace;
	size_t workspace_size;
	cdl_engine_node_hook hook;
	void *hook_arg;
};

static cdl_status fail(char *msg, size_t msg_size, cdl_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static cdl_status fail(char *msg, size_t msg_size, cdl_status st, const char *fmt, ...)
{
	__builtin_va_list ap;

	if (!msg || !msg_size)
		return st;
	__builtin_va_start(ap, fmt);
	cdl_vsnprintf(msg, msg_size, fmt, ap);
	__builtin_va_end(ap);
	return st;
}

static const char *node_name(const cdl_node *n)
{
	return n->name && n->name[0] ? n->name : "(unnamed)";
}

/* size bytes at alignment align, with the worst-case padding. */
static bool add_block(size_t *total, size_t n, size_t elem, size_t align)
{
	size_t bytes = 0;

	return cdl_mul_size(n, elem, &bytes) && cdl_add_size(*total, bytes, total) &&
	       cdl_add_size(*total, align - 1, total);
}

/* Bytes create takes from its arena, and the number of per-node tensor slots. */
static bool engine_bytes(const cdl_plan *plan, size_t *bytes, size_t *n_io)
{
	size_t total = 0, io = 0;

	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (!cdl_add_size(io, plan->nodes[i].n_inputs, &io) ||
		    !cdl_add_size(io, plan->nodes[i].n_outputs, &io))
			return false;
	if (plan->arena_size > SIZE_MAX || plan->workspace_size > SIZE_MAX)
		return false;
	if (!add_block(&total, 1, sizeof(cdl_engine), 8) ||
	    !add_block(&total, plan->n_nodes, sizeof(const cdl_op_def *), 8) ||
	    !add_block(&total, plan->n_nodes, sizeof(size_t), 8) ||
	    !add_block(&total, io, sizeof(cdl_tensor *), 8) ||
	    !add_block(&total, io, sizeof(cdl_tensor), 8) ||
	    !add_block(&total, (size_t)plan->arena_size, 1, CDL_PLAN_ALIGN) ||
	    !add_block(&total, (size_t)plan->workspace_size, 1, CDL_PLAN_ALIGN))
		return false;
	*bytes = total;
	*n_io = io;
	return true;
}

cdl_status cdl_engine_memory_needed(const cdl_plan *plan, size_t *bytes, char *msg,
				    size_t msg_size)
{
	size_t n_io = 0;

	if (msg && msg_size)
		msg[0] = '\0';
	if (!plan || !bytes)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_memory_needed: NULL argument");
	if (!engine_bytes(plan, bytes, &n_io))
		return fail(msg, msg_size, CDL_ERR_MALFORMED,
			    "plan needs more memory than this machine can address");
	return CDL_OK;
}

static void *tensor_data(const cdl_engine *e, const cdl_plan_tensor *t)
{
	if (t->kind == CDL_PLAN_CONSTANT)
		return (void *)(e->plan->weights + t->offset);
	return e->arena + t->offset;
}

/* [a, a + as) and [b, b + bs) share a byte. */
static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return as && bs && a < b + bs && b < a + as;
}

static cdl_status bind_node(cdl_engine *e, uint32_t i, char *msg, size_t msg_size)
{
	const cdl_plan *plan = e->plan;
	const cdl_node *n = &plan->nodes[i];
	cdl_tensor **in = e->io + e->io_first[i];
	cdl_tensor **out = in + n->n_inputs;
	cdl_tensor *store = e->io_store + e->io_first[i];
	cdl_op_ctx ctx;
	cdl_status st = CDL_OK;
	char want[96], got[96];

	e->ops[i] = cdl_op_find(n->op_type);
	if (!e->ops[i])
		return fail(msg, msg_size, CDL_ERR_UNSUPPORTED, "node %u (%s): op %s not implemented",
			    i, node_name(n), n->op_type);

	/* infer sees the recorded input shapes, constant data, no activation data */
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		const cdl_plan_tensor *t = NULL;

		if (n->inputs[k] == CDL_NO_TENSOR) {
			in[k] = NULL;
			continue;
		}
		t = &plan->tensors[n->inputs[k]];
		store[k] = t->desc;
		store[k].data = t->kind == CDL_PLAN_CONSTANT ? tensor_data(e, t) : NULL;
		in[k] = &store[k];
	}
	for (uint32_t k = 0; k < n->n_outputs; k++) {
		memset(&store[n->n_inputs + k], 0, sizeof(cdl_tensor));
		out[k] = &store[n->n_inputs + k];
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = n;
	ctx.n_inputs = n->n_inputs;
	ctx.n_outputs = n->n_outputs;
	ctx.inputs = in;
	ctx.outputs = out;
	ctx.msg = msg;
	ctx.msg_size = msg_size;
	st = e->ops[i]->infer(&ctx);
	if (st) {
		if (msg && msg_size && !msg[0])
			fail(msg, msg_size, st, "node %u (%s %s): shape inference failed", i,
			     n->op_type, node_name(n));
		return st;
	}
	for (uint32_t k = 0; k < n->n_outputs; k++) {
		const cdl_plan_tensor *t = &plan->tensors[n->outputs[k]];

		if (!cdl_tensor_same_shape(out[k], &t->desc))
			return fail(msg, msg_size, CDL_ERR_MALFORMED,
				    "node %u (%s %s): output %u (%s) is %s %s, the plan says %s %s",
				    i, n->op_type, node_name(n), k, t->name,
				    cdl_dtype_name(out[k]->dtype),
				    cdl_shape_str(out[k], got, sizeof(got)),
				    cdl_dtype_name(t->desc.dtype),
				    cdl_shape_str(&t->desc, want, sizeof(want)));
	}
	if (ctx.workspace_size > plan->workspace_size)
		return fail(msg, msg_size, CDL_ERR_MALFORMED,
			    "node %u (%s %s): needs %zu bytes of workspace, the plan reserves %llu",
			    i, n->op_type, node_name(n), ctx.workspace_size,
			    (unsigned long long)plan->workspace_size);

	/* Bind to memory: recorded descs (whatever infer left behind), real data. */
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		if (in[k]) {
			const cdl_plan_tensor *t = &plan->tensors[n->inputs[k]];

			store[k] = t->desc;
			store[k].data = tensor_data(e, t);
		}
	}
	for (uint32_t k = 0; k < n->n_outputs; k++) {
		const cdl_plan_tensor *t = &plan->tensors[n->outputs[k]];

		*out[k] = t->desc;
		out[k]->data = tensor_data(e, t);
		/* Kernels assume their outputs alias neither each other nor an input. */
		for (uint32_t j = 0; j < n->n_inputs + k; j++) {
			const cdl_plan_tensor *o = NULL;

			if (j < n->n_inputs && n->inputs[j] == CDL_NO_TENSOR)
				continue;
			o = &plan->tensors[j < n->n_inputs ? n->inputs[j]
							   : n->outputs[j - n->n_inputs]];
			if (o->kind == CDL_PLAN_ACTIVATION &&
			    overlaps(t->offset, t->size, o->offset, o->size))
				return fail(msg, msg_size, CDL_ERR_MALFORMED,
					    "node %u (%s %s): output %s overlaps %s in the arena", i,
					    n->op_type, node_name(n), t->name, o->name);
		}
	}
	return CDL_OK;
}

cdl_status cdl_engine_create(const cdl_plan *plan, cdl_arena *a, cdl_engine **out, char *msg,
			     size_t msg_size)
{
	cdl_engine *e = NULL;
	size_t need = 0, n_io = 0, used0 = 0, io = 0;
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (out)
		*out = NULL;
	if (!plan || !a || !out)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_create: NULL argument");
	if (!engine_bytes(plan, &need, &n_io))
		return fail(msg, msg_size, CDL_ERR_MALFORMED,
			    "plan needs more memory than this machine can address");
	if (a->used > a->size || a->size - a->used < need)
		return fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY,
			    "failed to create engine: needs %zu bytes of arena (activations %llu, workspace %llu), %zu left",
			    need, (unsigned long long)plan->arena_size,
			    (unsigned long long)plan->workspace_size,
			    a->used <= a->size ? a->size - a->used : 0);
	used0 = a->used;
	e = cdl_arena_alloc(a, sizeof(*e), 8);
	if (!e)
		goto oom;
	memset(e, 0, sizeof(*e));
	e->plan = plan;
	e->ops = cdl_arena_alloc(a, plan->n_nodes * sizeof(*e->ops), 8);
	e->io_first = cdl_arena_alloc(a, plan->n_nodes * sizeof(*e->io_first), 8);
	e->io = cdl_arena_alloc(a, n_io * sizeof(*e->io), 8);
	e->io_store = cdl_arena_alloc(a, n_io * sizeof(*e->io_store), 8);
	e->arena = cdl_arena_alloc(a, (size_t)plan->arena_size, CDL_PLAN_ALIGN);
	e->workspace = cdl_arena_alloc(a, (size_t)plan->workspace_size, CDL_PLAN_ALIGN);
	e->workspace_size = (size_t)plan->workspace_size;
	if (!e->ops || !e->io_first || !e->io || !e->io_store || !e->arena || !e->workspace)
		goto oom;

	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		e->io_first[i] = io;
		io += (size_t)plan->nodes[i].n_inputs + plan->nodes[i].n_outputs;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		st = bind_node(e, i, msg, msg_size);
		if (st)
			goto out;
	}
	*out = e;
	return CDL_OK;
oom:
	st = fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
out:
	a->used = used0;
	return st;
}

static cdl_status check_io(const cdl_plan *plan, const cdl_tensor *given, uint32_t t,
			   const char *what, uint32_t i, char *msg, size_t msg_size)
{
	const cdl_plan_tensor *pt = &plan->tensors[t];
	char want[96], got[96];

	if (given->rank > CDL_MAX_RANK || !cdl_tensor_same_shape(given, &pt->desc))
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "%s %u (%s): expected %s %s, given %s %s", what, i, pt->name,
			    cdl_dtype_name(pt->desc.dtype),
			    cdl_shape_str(&pt->desc, want, sizeof(want)),
			    cdl_dtype_name(given->dtype),
			    cdl_shape_str(given, got, sizeof(got)));
	if (!given->data && pt->size)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT, "%s %u (%s): data is NULL", what,
			    i, pt->name);
	return CDL_OK;
}

cdl_status cdl_engine_run(cdl_engine *e, const cdl_tensor *inputs, uint32_t n_inputs,
			  cdl_tensor *outputs, uint32_t n_outputs, char *msg, size_t msg_size)
{
	const cdl_plan *plan = NULL;
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (!e || (n_inputs && !inputs) || (n_outputs && !outputs))
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT, "cdl_engine_run: NULL argument");
	plan = e->plan;
	if (n_inputs != plan->n_inputs || n_outputs != plan->n_outputs)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "the model takes %u inputs and gives %u outputs, given %u and %u",
			    plan->n_inputs, plan->n_outputs, n_inputs, n_outputs);
	for (uint32_t i = 0; i < n_inputs; i++) {
		st = check_io(plan, &inputs[i], plan->inputs[i], "input", i, msg, msg_size);
		if (st)
			return st;
	}
	for (uint32_t i = 0; i < n_outputs; i++)
		if (!outputs[i].data && plan->tensors[plan->outputs[i]].size)
			return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "output %u (%s): data is NULL", i,
				    plan->tensors[plan->outputs[i]].name);

	for (uint32_t i = 0; i < n_inputs; i++) {
		const cdl_plan_tensor *t = &plan->tensors[plan->inputs[i]];

		if (t->size)
			memcpy(e->arena + t->offset, inputs[i].data, (size_t)t->size);
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const cdl_node *n = &plan->nodes[i];
		cdl_tensor **io = e->io + e->io_first[i];
		cdl_op_ctx ctx;

		memset(&ctx, 0, sizeof(ctx));
		ctx.node = n;
		ctx.n_inputs = n->n_inputs;
		ctx.n_outputs = n->n_outputs;
		ctx.inputs = io;
		ctx.outputs = io + n->n_inputs;
		ctx.workspace_size = e->workspace_size;
		ctx.workspace = e->workspace;
		ctx.msg = msg;
		ctx.msg_size = msg_size;
		if (e->hook)
			e->hook(e->hook_arg, i, 0);
		st = e->ops[i]->execute(&ctx);
		if (e->hook)
			e->hook(e->hook_arg, i, 1);
		if (st) {
			if (msg && msg_size && !msg[0])
				fail(msg, msg_size, st, "node %u (%s %s) failed", i, n->op_type,
				     node_name(n));
			return st;
		}
	}
	for (uint32_t i = 0; i < n_outputs; i++) {
		const cdl_plan_tensor *t = &plan->tensors[plan->outputs[i]];

		outputs[i].dtype = t->desc.dtype;
		outputs[i].rank = t->desc.rank;
		memcpy(outputs[i].dims, t->desc.dims, sizeof(outputs[i].dims));
		if (t->size)
			memcpy(outputs[i].data, tensor_data(e, t), (size_t)t->size);
	}
	return CDL_OK;
}

void cdl_engine_set_hook(cdl_engine *e, cdl_engine_node_hook hook, void *arg)
{
	if (!e)
		return;
	e->hook = hook;
	e->hook_arg = arg;
}

const cdl_plan *cdl_engine_plan(const cdl_engine *e)
{
	return e ? e->plan : NULL;
}
