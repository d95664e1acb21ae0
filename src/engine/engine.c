// SPDX-License-Identifier: Apache-2.0
/*
 * The executor. Everything it uses comes from the caller's cdl_arena, sized
 * up front by layout(): no malloc, no hidden state. At create every node's
 * infer re-derives the output shapes from the recorded input shapes, so that
 * a plan whose shapes were edited cannot steer a kernel outside its tensors.
 *
 * Two ways to reach the constants (DESIGN §6):
 *  - resident (no fetch callback): every constant is used in place in the
 *    plan buffer (plan->weights);
 *  - fetch mode: constants come through opts->fetch (in the TA: decrypted
 *    package blocks). Some are kept resident in the engine's arena, fetched
 *    once at create; the others are streamed: fetched into one stream buffer
 *    just before the node that reads them runs. A node whose streamed
 *    constants do not fit the buffer runs in tiles of output channels (Conv,
 *    Gemm with transB=1), each tile's weight rows fetched just before it.
 *
 * Which constants stay resident (fetch mode):
 *  - always: tensor attributes and graph outputs (their bytes must stay
 *    addressable), constants of at most PIN_BYTES (biases of small layers,
 *    scales: a fetch costs at least one package block in the TA), and
 *    integer/bool tensors of at most PIN_SHAPE_BYTES (shapes, axes, pads:
 *    the values some ops' infer needs at create);
 *  - within opts->resident_budget, to minimise the bytes fetched per run:
 *    greedy by "bytes saved per run" (size x uses), largest first, each taken
 *    if it still fits what is left of the budget (TFLite-style greedy by
 *    size; optimal when one constant dominates, within the largest skipped
 *    size of optimal otherwise). The chosen set is kept as at most
 *    SEL_MAX_RUNS runs of that order, so that cdl_engine_memory_needed_ex can
 *    compute it without memory of its own.
 */
#include <string.h>

#include "engine.h"
#include "kernels/gemm.h"
#include "ops/pool.h"

/* Constants always resident in fetch mode (see above). */
#define PIN_BYTES 256u
#define PIN_SHAPE_BYTES 4096u
/* Gaps in the greedy resident choice before it stops looking. */
#define SEL_MAX_RUNS 16u

#define NONE UINT32_MAX

/* One range of the weights section fetched into the stream buffer. */
typedef struct fetch_range {
	uint64_t src, size;
	size_t dst; /* offset in the stream buffer */
} fetch_range;

enum { TILE_CONV = 1, TILE_GEMM = 2 };
/* How a tiled Gemm's C follows the output columns. */
enum { C_NONE, C_WHOLE, C_SLICE, C_ROW, C_COLV };

/* How a node's output-channel tiles are cut (see plan_tiles). */
typedef struct tile_plan {
	uint8_t kind;
	bool whole_groups; /* Conv: tiles of whole groups; else tiles inside one group */
	uint8_t c_mode;    /* Gemm */
	bool per_row;      /* Gemm with M > 1: one call per row of A */
	uint32_t w_in, b_in;  /* input slots of the sliced weight and bias/C (NONE) */
	bool b_sliced, b_streamed;
	uint64_t rows, row_w, row_b; /* output channels; bytes per channel in W, B */
	uint64_t n_units, unit_rows; /* groups (1 for Gemm), channels per group */
	uint64_t per_tile;  /* whole: groups per tile; else: tiles per group */
	uint64_t n_tiles, max_rows;
	uint64_t step;      /* tiles inside a group: 0 even; else rows per tile, the last fewer */
	size_t fixed;       /* bytes of the node's whole streamed constants, first */
	size_t w_dst, b_dst; /* where a tile's W and B rows go in the buffer */
	uint64_t batch, cin, cin_g, in_plane, out_plane; /* Conv, elements */
	uint64_t m, k;     /* Gemm */
	size_t min_buffer; /* the smallest stream buffer this node runs in */
} tile_plan;

typedef struct tile_node {
	tile_plan tp;
	cdl_node node; /* Conv: a copy whose "group" the tiles set */
	cdl_attr *attrs;
	uint32_t group_attr;
	cdl_tensor view[4]; /* X (A), W (B), B (C), Y */
	cdl_tensor *in[3], *out[1];
} tile_node;

typedef struct node_stream {
	uint32_t first_range, n_ranges; /* whole streamed constants */
	tile_node *tile;
} node_stream;

struct cdl_engine {
	const cdl_plan *plan;
	const cdl_op_def **ops; /* per node */
	size_t *io_first;       /* per node: its first slot in io */
	cdl_tensor **io;        /* per node: n_inputs then n_outputs; NULL = absent input */
	cdl_tensor *io_store;   /* the tensors io points to: per-node copies */
	uint8_t *arena;         /* activations, 64-byte aligned: arena 0 */
	size_t arena_stride;    /* from one batch arena to the next */
	uint32_t n_arenas;      /* batch arenas (1, or max_batch when something streams) */
	uint32_t max_batch;     /* the most items cdl_engine_run_batch takes */
	void *workspace;        /* worker 0's; worker w's workspace_stride * w further */
	size_t workspace_size;
	size_t workspace_stride;
	const cdl_parallel *par; /* NULL: one thread */
	cdl_engine_node_hook hook;
	void *hook_arg;

	/* fetch mode only (else NULL / 0) */
	cdl_weight_fetch_fn fetch;
	void *fetch_arg;
	uint8_t **const_ptr;     /* per tensor: a resident constant's bytes, else NULL */
	node_stream *ns;         /* per node */
	fetch_range *ranges;
	uint8_t *buffer;         /* the stream buffer */
	size_t buffer_size;
	const cdl_node **node_view; /* per node: the node ops see (attribute tensors bound) */
	cdl_engine_stats stats;
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

static uint64_t align_up(uint64_t v)
{
	return (v + CDL_PLAN_ALIGN - 1) & ~(uint64_t)(CDL_PLAN_ALIGN - 1);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* size bytes at alignment align, with the worst-case padding. */
static bool add_block(size_t *total, size_t n, size_t elem, size_t align)
{
	size_t bytes = 0;

	return cdl_mul_size(n, elem, &bytes) && cdl_add_size(*total, bytes, total) &&
	       cdl_add_size(*total, align - 1, total);
}

/* --- which constants are resident (fetch mode) ------------------------------ */

typedef struct sel_key {
	uint64_t value, size;
	uint32_t idx;
} sel_key;

typedef struct resident_sel {
	uint32_t n_runs;
	sel_key first[SEL_MAX_RUNS], last[SEL_MAX_RUNS];
} resident_sel;

/* The greedy order: most bytes saved per run first, then larger, then lower index. */
static bool key_before(const sel_key *a, const sel_key *b)
{
	if (a->value != b->value)
		return a->value > b->value;
	if (a->size != b->size)
		return a->size > b->size;
	return a->idx < b->idx;
}

static sel_key key_of(const cdl_plan *plan, uint32_t t)
{
	const cdl_plan_tensor *pt = &plan->tensors[t];
	sel_key k = {pt->size, pt->size, t};

	if (pt->n_uses > 1 && pt->size > UINT64_MAX / pt->n_uses)
		k.value = UINT64_MAX;
	else if (pt->n_uses > 1)
		k.value = pt->size * pt->n_uses;
	return k;
}

static bool always_resident(const cdl_plan_tensor *pt)
{
	bool shape_like = pt->desc.dtype == CDL_DTYPE_I64 || pt->desc.dtype == CDL_DTYPE_I32 ||
			  pt->desc.dtype == CDL_DTYPE_BOOL;

	return pt->attr_or_output || pt->size <= PIN_BYTES ||
	       (shape_like && pt->size <= PIN_SHAPE_BYTES);
}

/* A constant the budget decides about. */
static bool candidate(const cdl_plan_tensor *pt)
{
	return pt->kind == CDL_PLAN_CONSTANT && pt->n_uses > 0 && !always_resident(pt);
}

/* The candidate right after prev in the greedy order (prev NULL: the first). */
static bool next_candidate(const cdl_plan *plan, const sel_key *prev, sel_key *out)
{
	bool found = false;

	for (uint32_t t = 0; t < plan->n_tensors; t++) {
		sel_key k;

		if (!candidate(&plan->tensors[t]))
			continue;
		k = key_of(plan, t);
		if (prev && !key_before(prev, &k))
			continue;
		if (!found || key_before(&k, out)) {
			*out = k;
			found = true;
		}
	}
	return found;
}

static void select_resident(const cdl_plan *plan, uint64_t budget, resident_sel *sel)
{
	uint64_t all = 0;
	sel_key prev, k;
	bool have_prev = false, in_run = false;

	memset(sel, 0, sizeof(*sel));
	/* the common cases in O(n): nothing, or everything */
	for (uint32_t t = 0; t < plan->n_tensors; t++)
		if (candidate(&plan->tensors[t]))
			all += align_up(plan->tensors[t].size);
	if (all == 0 || budget < CDL_PLAN_ALIGN)
		return;
	if (all <= budget) {
		if (next_candidate(plan, NULL, &sel->first[0])) {
			for (uint32_t t = 0; t < plan->n_tensors; t++) {
				if (!candidate(&plan->tensors[t]))
					continue;
				k = key_of(plan, t);
				if (sel->n_runs == 0 || key_before(&sel->last[0], &k))
					sel->last[0] = k;
				sel->n_runs = 1;
			}
		}
		return;
	}
	while (budget >= CDL_PLAN_ALIGN && next_candidate(plan, have_prev ? &prev : NULL, &k)) {
		uint64_t need = align_up(k.size);

		if (need <= budget) {
			budget -= need;
			if (!in_run) {
				if (sel->n_runs == SEL_MAX_RUNS)
					break;
				sel->first[sel->n_runs++] = k;
			}
			sel->last[sel->n_runs - 1] = k;
			in_run = true;
		} else {
			in_run = false;
		}
		prev = k;
		have_prev = true;
	}
}

static bool selected(const cdl_plan *plan, const resident_sel *sel, uint32_t t)
{
	sel_key k = key_of(plan, t);

	for (uint32_t r = 0; r < sel->n_runs; r++)
		if (!key_before(&k, &sel->first[r]) && !key_before(&sel->last[r], &k))
			return true;
	return false;
}

/* Constant t is resident in fetch mode. */
static bool is_resident(const cdl_plan *plan, const resident_sel *sel, uint32_t t)
{
	const cdl_plan_tensor *pt = &plan->tensors[t];

	if (pt->kind != CDL_PLAN_CONSTANT)
		return false;
	if (always_resident(pt))
		return true;
	return candidate(pt) && selected(plan, sel, t);
}

/* Input k of node n is a constant streamed in fetch mode, first named at k. */
static bool streamed_input(const cdl_plan *plan, const resident_sel *sel, const cdl_node *n,
			   uint32_t k)
{
	uint32_t t = n->inputs[k];

	if (t == CDL_NO_TENSOR || plan->tensors[t].kind != CDL_PLAN_CONSTANT ||
	    is_resident(plan, sel, t))
		return false;
	for (uint32_t j = 0; j < k; j++)
		if (n->inputs[j] == t)
			return false;
	return true;
}

/* --- tiles -------------------------------------------------------------------- */

/* Output-channel range [r0, r1) and groups [g0, g1) of tile j. */
typedef struct tile_range {
	uint64_t r0, r1, g0, g1;
} tile_range;

static void tile_at(const tile_plan *tp, uint64_t j, tile_range *r)
{
	if (tp->whole_groups) {
		uint64_t base = tp->n_units / tp->n_tiles, extra = tp->n_units % tp->n_tiles;

		r->g0 = j * base + min_u64(j, extra);
		r->g1 = r->g0 + base + (j < extra ? 1 : 0);
		r->r0 = r->g0 * tp->unit_rows;
		r->r1 = r->g1 * tp->unit_rows;
	} else {
		uint64_t u = j / tp->per_tile, jj = j % tp->per_tile;
		uint64_t base = tp->unit_rows / tp->per_tile, extra = tp->unit_rows % tp->per_tile;

		r->g0 = u;
		r->g1 = u + 1;
		r->r0 = u * tp->unit_rows + jj * base + min_u64(jj, extra);
		r->r1 = r->r0 + base + (jj < extra ? 1 : 0);
		if (tp->step) {
			r->r0 = u * tp->unit_rows + jj * tp->step;
			r->r1 = min_u64(r->r0 + tp->step, (u + 1) * tp->unit_rows);
		}
	}
}

/* Bytes a tile of rows channels takes in the buffer (after the fixed part). */
static uint64_t tile_bytes(const tile_plan *tp, uint64_t rows)
{
	return align_up(rows * tp->row_w) +
	       (tp->b_sliced && tp->b_streamed ? align_up(rows * tp->row_b) : 0);
}

/* The most channels whose tile fits avail bytes. */
static uint64_t rows_fitting(const tile_plan *tp, uint64_t avail)
{
	uint64_t t = tp->row_w ? avail / tp->row_w : 0;

	if (t > tp->rows)
		t = tp->rows;
	while (t > 0 && tile_bytes(tp, t) > avail)
		t--;
	return t;
}

static uint64_t numel_from(const cdl_tensor *t, uint32_t first)
{
	uint64_t n = 1;

	for (uint32_t d = first; d < t->rank; d++)
		n *= (uint64_t)t->dims[d]; /* a checked tensor size: no overflow */
	return n;
}

/*
 * How node i runs when its streamed constants (need bytes) do not all fit a
 * buffer of buffer bytes; also the smallest buffer it could run in
 * (tp->min_buffer, set even when it fails). CDL_ERR_SECURE_MEMORY if it
 * cannot be tiled into buffer.
 *
 * Conv: W [Cout, Cin/g, k...]; a channel range is contiguous in W and B, and
 * (per batch item) in the NCHW output. group == 1: tiles of channels, every
 * tile reading the whole input. group > 1: tiles of whole groups (each a
 * grouped Conv over its groups' input channels), or, when one group's weights
 * exceed the buffer, tiles inside one group (a Conv with group 1 over that
 * group's input channels). Depthwise Convs (one input channel per group) take
 * whole groups only, at least 2 per tile, so that every tile still runs the
 * depthwise kernel (same results): the buffer must hold 4 groups (then even
 * splitting never leaves a 1-group tile). Batch > 1: each tile runs once per
 * batch item; its rows are fetched once.
 *
 * Gemm with transB=1: B [N, K]; a tile is a range of B's rows = of the
 * output's columns. M == 1: the output columns are contiguous. M > 1: the
 * tile runs once per row of A (transA=0 only). C follows: absent or one
 * value (unchanged), [N] / [1, N] (sliced like a bias), [M, N] (sliced per
 * row; must be resident), [M, 1] (one value per row).
 *
 * The tiles of a node run the same kernels on the same operands as the whole
 * node, one output element at a time the same sums in the same order: the
 * results are bit-identical.
 */
static cdl_status plan_tiles(const cdl_plan *plan, const resident_sel *sel, uint32_t i,
			     uint64_t need, uint64_t buffer, tile_plan *tp, char *msg,
			     size_t msg_size)
{
	const cdl_node *n = &plan->nodes[i];
	const cdl_plan_tensor *w = NULL, *b = NULL, *x = NULL, *y = NULL;
	uint64_t fixed = 0, t_rows = 0, min_tile_rows = 1;
	bool depthwise = false, in_place = false;

	memset(tp, 0, sizeof(*tp));
	tp->b_in = NONE;
	tp->min_buffer = (size_t)need;
	if (cdl_attr_streq(n->op_type, "Conv") && n->n_inputs >= 2 && n->n_inputs <= 3 &&
	    n->n_outputs == 1)
		tp->kind = TILE_CONV;
	else if (cdl_attr_streq(n->op_type, "Gemm") && n->n_inputs >= 2 && n->n_inputs <= 3 &&
		 n->n_outputs == 1)
		tp->kind = TILE_GEMM;
	if (!tp->kind || n->inputs[0] == CDL_NO_TENSOR || n->inputs[1] == CDL_NO_TENSOR ||
	    !streamed_input(plan, sel, n, 1) || n->inputs[0] == n->inputs[1])
		goto untileable;
	x = &plan->tensors[n->inputs[0]];
	w = &plan->tensors[n->inputs[1]];
	y = &plan->tensors[n->outputs[0]];
	tp->w_in = 1;
	if (n->n_inputs > 2 && n->inputs[2] != CDL_NO_TENSOR) {
		if (n->inputs[2] == n->inputs[1])
			goto untileable;
		b = &plan->tensors[n->inputs[2]];
		tp->b_in = 2;
		tp->b_streamed = streamed_input(plan, sel, n, 2);
	}
	if (w->desc.dtype != CDL_DTYPE_F32 || x->desc.dtype != CDL_DTYPE_F32 || w->desc.rank < 2 ||
	    w->desc.dims[0] <= 0)
		goto untileable;
	tp->rows = (uint64_t)w->desc.dims[0];
	tp->row_w = w->size / tp->rows;

	if (tp->kind == TILE_CONV) {
		int64_t group = cdl_attr_int(n, "group", 1);

		if (x->desc.rank < 3 || w->desc.rank != x->desc.rank ||
		    y->desc.rank != x->desc.rank || group < 1 || (uint64_t)group > tp->rows ||
		    tp->rows % (uint64_t)group)
			goto untileable;
		tp->batch = (uint64_t)x->desc.dims[0];
		tp->cin = (uint64_t)x->desc.dims[1];
		tp->cin_g = (uint64_t)w->desc.dims[1];
		tp->n_units = (uint64_t)group;
		tp->unit_rows = tp->rows / tp->n_units;
		if (tp->cin != tp->cin_g * tp->n_units || y->desc.dims[1] != (int64_t)tp->rows ||
		    y->desc.dims[0] != x->desc.dims[0])
			goto untileable;
		tp->in_plane = numel_from(&x->desc, 2);
		tp->out_plane = numel_from(&y->desc, 2);
		if (b) {
			if (b->desc.rank != 1 || b->desc.dims[0] != (int64_t)tp->rows ||
			    b->desc.dtype != CDL_DTYPE_F32)
				goto untileable;
			tp->b_sliced = true;
			tp->row_b = 4;
		}
		depthwise = tp->cin_g == 1 && tp->n_units > 1;
		if (depthwise)
			min_tile_rows = min_u64(4, tp->n_units) * tp->unit_rows;
		/*
		 * Whether every tile reads its input in place (the AVX-512 direct
		 * 1x1 and 3x3 stride-1 kernels: the output plane is the input
		 * plane; the 3x3 stride-2 kernel, pads 0 or 1) rather than
		 * packing it again (im2col) per tile.
		 */
		if (cdl_kernels_isa() >= CDL_ISA_AVX512 && x->desc.rank == 4) {
			uint32_t ns = 0, nd = 0, np = 0;
			const int64_t *st = cdl_attr_ints(n, "strides", &ns);
			const int64_t *dl = cdl_attr_ints(n, "dilations", &nd);
			const int64_t *pd = cdl_attr_ints(n, "pads", &np);
			const int64_t kh = w->desc.dims[2], kw = w->desc.dims[3];

			in_place = y->desc.dims[2] == x->desc.dims[2] &&
				   y->desc.dims[3] == x->desc.dims[3] &&
				   (!st || (ns == 2 && st[0] == 1 && st[1] == 1)) &&
				   (!dl || (nd == 2 && dl[0] == 1 && dl[1] == 1)) &&
				   ((kh == 1 && kw == 1 && y->desc.dims[2] * y->desc.dims[3] > 1) ||
				    (kh == 3 && kw == 3 && pd && np == 4 && pd[0] == 1 && pd[1] == 1));
			in_place = in_place ||
				   (kh == 3 && kw == 3 && st && ns == 2 && st[0] == 2 &&
				    st[1] == 2 && (!dl || (nd == 2 && dl[0] == 1 && dl[1] == 1)) &&
				    (!pd || (np == 4 && pd[0] >= 0 && pd[0] <= 1 && pd[1] >= 0 &&
					     pd[1] <= 1 && pd[2] >= 0 && pd[2] <= 1 && pd[3] >= 0 &&
					     pd[3] <= 1)));
		}
	} else {
		const int64_t trans_a = cdl_attr_int(n, "transA", 0);

		if (cdl_attr_int(n, "transB", 0) == 0) {
			fail(msg, msg_size, CDL_ERR_SECURE_MEMORY,
			     "node %u (Gemm %s): its weights (%llu bytes) do not fit the %llu-byte stream buffer, and a Gemm with transB=0 cannot be tiled (re-pack the model: cdl pack stores constant B transposed)",
			     i, node_name(n), (unsigned long long)need, (unsigned long long)buffer);
			return CDL_ERR_SECURE_MEMORY;
		}
		if (x->desc.rank != 2 || w->desc.rank != 2 || y->desc.rank != 2)
			goto untileable;
		tp->n_units = 1;
		tp->unit_rows = tp->rows;
		tp->m = (uint64_t)x->desc.dims[trans_a ? 1 : 0];
		tp->k = (uint64_t)w->desc.dims[1];
		tp->per_row = tp->m > 1;
		if (tp->per_row && trans_a)
			goto untileable;
		tp->c_mode = C_NONE;
		if (b) {
			uint64_t numel = numel_from(&b->desc, 0);
			const cdl_tensor *c = &b->desc;

			if (b->desc.dtype != CDL_DTYPE_F32 || c->rank > 2)
				goto untileable;
			if (numel == 1) {
				tp->c_mode = C_WHOLE;
			} else if (c->dims[c->rank - 1] == (int64_t)tp->rows &&
				   (c->rank == 1 || c->dims[0] == 1)) {
				tp->c_mode = C_SLICE;
				tp->b_sliced = true;
				tp->row_b = 4;
			} else if (c->rank == 2 && c->dims[1] == (int64_t)tp->rows &&
				   c->dims[0] == (int64_t)tp->m) {
				if (tp->b_streamed) {
					fail(msg, msg_size, CDL_ERR_SECURE_MEMORY,
					     "node %u (Gemm %s): its weights (%llu bytes) do not fit the %llu-byte stream buffer, and its C [M, N] would have to stay resident to tile it",
					     i, node_name(n), (unsigned long long)need,
					     (unsigned long long)buffer);
					return CDL_ERR_SECURE_MEMORY;
				}
				tp->c_mode = C_ROW;
			} else if (c->rank == 2 && c->dims[1] == 1 &&
				   c->dims[0] == (int64_t)tp->m) {
				tp->c_mode = C_COLV;
			} else {
				goto untileable;
			}
		}
	}
	/* the node's other streamed constants are fetched whole, first */
	for (uint32_t k = 0; k < n->n_inputs; k++)
		if (streamed_input(plan, sel, n, k) && k != tp->w_in &&
		    !(k == tp->b_in && tp->b_sliced))
			fixed += align_up(plan->tensors[n->inputs[k]].size);
	tp->fixed = (size_t)fixed;
	tp->min_buffer = (size_t)(fixed + tile_bytes(tp, min_tile_rows));
	if (buffer < fixed || (t_rows = rows_fitting(tp, buffer - fixed)) < min_tile_rows)
		return fail(msg, msg_size, CDL_ERR_SECURE_MEMORY,
			    "node %u (%s %s): its weights (%llu bytes) do not fit the %llu-byte stream buffer, and it cannot be tiled into less than %zu bytes",
			    i, n->op_type, node_name(n), (unsigned long long)need,
			    (unsigned long long)buffer, tp->min_buffer);
	if (depthwise || (tp->n_units > 1 && t_rows >= tp->unit_rows)) {
		tp->whole_groups = true;
		tp->per_tile = t_rows / tp->unit_rows; /* >= 4 groups if depthwise */
		tp->n_tiles = ceil_div(tp->n_units, tp->per_tile);
		tp->max_rows = ceil_div(tp->n_units, tp->n_tiles) * tp->unit_rows;
	} else {
		tp->per_tile = ceil_div(tp->unit_rows, t_rows);
		/*
		 * Tiles of a multiple of 8 channels fill the 8-row micro-kernel
		 * tiles (an even split of 512 channels into 14-channel tiles runs
		 * 8 + 6 rows each): tiles of the most channels that fit rounded
		 * down to a multiple of 8, the last tile the rest. When each tile
		 * reads its input in place, even if that takes more tiles; when
		 * each tile packs its input again (im2col), only if it does not:
		 * there the fewest tiles win. Resnet18 at a 4 MiB heap, engine
		 * alone: 4.5% faster (its stride-1 3x3 layers 10-30%); at stride
		 * 2, 8-channel tiles instead of 14 made those layers 35-60%
		 * slower. Same results: tiles never change the sums.
		 */
		tp->step = 0;
		if (tp->kind == TILE_CONV && t_rows >= 8 && t_rows < tp->unit_rows &&
		    (in_place || ceil_div(tp->unit_rows, t_rows / 8 * 8) == tp->per_tile)) {
			tp->step = t_rows / 8 * 8;
			tp->per_tile = ceil_div(tp->unit_rows, tp->step);
		}
		tp->n_tiles = tp->n_units * tp->per_tile;
		tp->max_rows = tp->step ? tp->step : ceil_div(tp->unit_rows, tp->per_tile);
	}
	tp->w_dst = tp->fixed;
	tp->b_dst = tp->fixed + (size_t)align_up(tp->max_rows * tp->row_w);
	return CDL_OK;
untileable:
	return fail(msg, msg_size, CDL_ERR_SECURE_MEMORY,
		    "node %u (%s %s): its streamed constants (%llu bytes) do not fit the %llu-byte stream buffer and it cannot be tiled (only Conv and Gemm with transB=1 are)",
		    i, n->op_type, node_name(n), (unsigned long long)need,
		    (unsigned long long)buffer);
}

/* --- how much memory, where (shared by memory_needed_ex and create_ex) ---------- */

typedef struct layout {
	size_t n_io;
	size_t workspace;    /* one worker's */
	uint32_t workers;
	size_t workspaces;   /* all of them: (workers - 1) x the workspace rounded up + one */
	bool fetch;
	resident_sel sel;
	uint64_t resident_bytes;
	uint64_t buffer;
	uint64_t max_need;   /* the largest node's streamed bytes */
	uint64_t min_buffer; /* the smallest buffer every node runs in (tiled) */
	size_t n_ranges;     /* upper bound: streamed inputs of all nodes */
	uint32_t n_tiled;
	size_t tile_attrs;   /* attribute slots of the tiled nodes' copies */
	uint32_t n_attr_nodes; /* nodes with tensor attributes (fetch mode) */
	size_t attr_slots, attr_tensors;
	uint64_t per_run;    /* bytes a run fetches (without the padding between
			      * neighbours fetched in one call) */
	uint32_t n_arenas;   /* activation arenas: max_batch if something streams */
	size_t arena_stride; /* the arena rounded up to 64 bytes */
	size_t arenas;       /* bytes of all of them: (n_arenas - 1) x stride + arena */
	size_t bytes;        /* everything create takes from its arena */
} layout;

/* Bytes of node i's streamed constants (each at 64-byte alignment). */
static uint64_t node_need(const cdl_plan *plan, const resident_sel *sel, uint32_t i, size_t *n_in)
{
	const cdl_node *n = &plan->nodes[i];
	uint64_t need = 0;

	*n_in = 0;
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		if (!streamed_input(plan, sel, n, k))
			continue;
		need += align_up(plan->tensors[n->inputs[k]].size);
		(*n_in)++;
	}
	return need;
}

static cdl_status compute_layout(const cdl_plan *plan, const cdl_engine_options *opts, layout *l,
				 char *msg, size_t msg_size)
{
	size_t total = 0;
	const bool fetch = opts && opts->fetch;

	memset(l, 0, sizeof(*l));
	l->fetch = fetch;
	for (uint32_t i = 0; i < plan->n_nodes; i++)
		if (!cdl_add_size(l->n_io, plan->nodes[i].n_inputs, &l->n_io) ||
		    !cdl_add_size(l->n_io, plan->nodes[i].n_outputs, &l->n_io))
			goto too_big;
	if (plan->arena_size > SIZE_MAX || plan->workspace_size > SIZE_MAX)
		goto too_big;
	l->workspace = (size_t)plan->workspace_size;
	if (opts && opts->max_workspace && opts->max_workspace < l->workspace)
		l->workspace = opts->max_workspace & ~(size_t)(CDL_PLAN_ALIGN - 1);
	l->workers = 1;
	if (opts && opts->parallel && opts->parallel->workers > 1)
		l->workers = opts->parallel->workers;
	if (!cdl_mul_size(l->workers - 1, (size_t)align_up(l->workspace), &l->workspaces) ||
	    !cdl_add_size(l->workspaces, l->workspace, &l->workspaces))
		goto too_big;

	if (fetch) {
		select_resident(plan, opts->resident_budget, &l->sel);
		for (uint32_t t = 0; t < plan->n_tensors; t++) {
			const cdl_plan_tensor *pt = &plan->tensors[t];

			if (pt->kind == CDL_PLAN_CONSTANT && (pt->n_uses || pt->attr_or_output) &&
			    is_resident(plan, &l->sel, t))
				l->resident_bytes += align_up(pt->size);
		}
		for (uint32_t i = 0; i < plan->n_nodes; i++) {
			size_t n_in = 0;
			uint64_t need = node_need(plan, &l->sel, i, &n_in);
			const cdl_node *n = &plan->nodes[i];

			l->n_ranges += n_in;
			if (need > l->max_need)
				l->max_need = need;
			for (uint32_t k = 0; k < n->n_inputs; k++)
				if (streamed_input(plan, &l->sel, n, k))
					l->per_run += plan->tensors[n->inputs[k]].size;
			{
				size_t n_t = 0;

				for (uint32_t k = 0; k < n->n_attrs; k++)
					n_t += n->attrs[k].type == CDL_ATTR_TENSOR;
				if (n_t) {
					l->n_attr_nodes++;
					l->attr_slots += n->n_attrs;
					l->attr_tensors += n_t;
				}
			}
		}
		l->buffer = l->max_need;
		if (opts->stream_buffer)
			l->buffer = min_u64(l->max_need,
					    opts->stream_buffer & ~(size_t)(CDL_PLAN_ALIGN - 1));
		l->min_buffer = 0;
		for (uint32_t i = 0; i < plan->n_nodes; i++) {
			size_t n_in = 0;
			uint64_t need = node_need(plan, &l->sel, i, &n_in);
			tile_plan tp;
			cdl_status st = CDL_OK;

			if (!need)
				continue;
			if (need <= l->buffer) {
				/* fits; what it could shrink to, for the auto mode */
				(void)plan_tiles(plan, &l->sel, i, need, 0, &tp, NULL, 0);
				if (tp.min_buffer > l->min_buffer)
					l->min_buffer = tp.min_buffer;
				continue;
			}
			st = plan_tiles(plan, &l->sel, i, need, l->buffer, &tp, msg, msg_size);
			if (tp.min_buffer > l->min_buffer)
				l->min_buffer = tp.min_buffer;
			if (st)
				return st;
			l->n_tiled++;
			l->tile_attrs += plan->nodes[i].n_attrs + 1;
		}
		if (l->resident_bytes > SIZE_MAX || l->buffer > SIZE_MAX)
			goto too_big;
	}

	/* Batch arenas only pay off when something is streamed: a resident
	 * engine runs the items of a batch one after another in arena 0. */
	l->n_arenas = fetch && l->max_need && opts->max_batch > 1 ? opts->max_batch : 1;
	if (align_up(plan->arena_size) > SIZE_MAX)
		goto too_big;
	l->arena_stride = (size_t)align_up(plan->arena_size);
	if (!cdl_mul_size(l->n_arenas - 1, l->arena_stride, &l->arenas) ||
	    !cdl_add_size(l->arenas, (size_t)plan->arena_size, &l->arenas))
		goto too_big;
	if (!add_block(&total, 1, sizeof(cdl_engine), 8) ||
	    !add_block(&total, plan->n_nodes, sizeof(const cdl_op_def *), 8) ||
	    !add_block(&total, plan->n_nodes, sizeof(size_t), 8) ||
	    !add_block(&total, l->n_io, sizeof(cdl_tensor *), 8) ||
	    !add_block(&total, l->n_io, sizeof(cdl_tensor), 8) ||
	    !add_block(&total, l->arenas, 1, CDL_PLAN_ALIGN) ||
	    !add_block(&total, l->workspaces, 1, CDL_PLAN_ALIGN))
		goto too_big;
	if (fetch &&
	    (!add_block(&total, plan->n_tensors, sizeof(uint8_t *), 8) ||
	     !add_block(&total, (size_t)l->resident_bytes, 1, CDL_PLAN_ALIGN) ||
	     !add_block(&total, plan->n_nodes, sizeof(node_stream), 8) ||
	     !add_block(&total, l->n_ranges, sizeof(fetch_range), 8) ||
	     !add_block(&total, (size_t)l->buffer, 1, CDL_PLAN_ALIGN) ||
	     !add_block(&total, l->n_tiled, sizeof(tile_node), 8) ||
	     !add_block(&total, l->tile_attrs, sizeof(cdl_attr), 8) ||
	     !add_block(&total, plan->n_nodes, sizeof(const cdl_node *), 8) ||
	     !add_block(&total, l->n_attr_nodes, sizeof(cdl_node), 8) ||
	     !add_block(&total, l->attr_slots, sizeof(cdl_attr), 8) ||
	     !add_block(&total, l->attr_tensors, sizeof(cdl_tensor), 8)))
		goto too_big;
	l->bytes = total;
	return CDL_OK;
too_big:
	return fail(msg, msg_size, CDL_ERR_MALFORMED,
		    "plan needs more memory than this machine can address");
}

cdl_status cdl_engine_memory_needed_ex(const cdl_plan *plan, const cdl_engine_options *opts,
				       size_t *bytes, char *msg, size_t msg_size)
{
	layout l;
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (bytes)
		*bytes = 0;
	if (!plan || !bytes)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_memory_needed: NULL argument");
	st = compute_layout(plan, opts, &l, msg, msg_size);
	if (st)
		return st;
	*bytes = l.bytes;
	return CDL_OK;
}

cdl_status cdl_engine_memory_needed(const cdl_plan *plan, size_t *bytes, char *msg,
				    size_t msg_size)
{
	return cdl_engine_memory_needed_ex(plan, NULL, bytes, msg, msg_size);
}

/* --- binding -------------------------------------------------------------------- */

/* Where input k of node i finds its bytes at run time (NULL: set per tile). */
static void *input_data(const cdl_engine *e, uint32_t i, uint32_t t)
{
	const cdl_plan_tensor *pt = &e->plan->tensors[t];

	if (pt->kind == CDL_PLAN_ACTIVATION)
		return e->arena + pt->offset;
	if (!e->fetch)
		return (void *)(e->plan->weights + pt->offset);
	if (e->const_ptr[t])
		return e->const_ptr[t];
	/* streamed: wholly inside one of the node's ranges (its own, at least) */
	for (uint32_t r = 0; r < e->ns[i].n_ranges; r++) {
		const fetch_range *fr = &e->ranges[e->ns[i].first_range + r];

		if (pt->offset >= fr->src && pt->size <= fr->size &&
		    pt->offset - fr->src <= fr->size - pt->size)
			return e->buffer + fr->dst + (size_t)(pt->offset - fr->src);
	}
	return NULL;
}

/* The bytes of a tensor the engine holds for the whole run (outputs, attributes). */
static void *tensor_data(const cdl_engine *e, uint32_t t)
{
	const cdl_plan_tensor *pt = &e->plan->tensors[t];

	if (pt->kind == CDL_PLAN_ACTIVATION)
		return e->arena + pt->offset;
	if (e->fetch)
		return e->const_ptr[t];
	return (void *)(e->plan->weights + pt->offset);
}

/* [a, a + as) and [b, b + bs) share a byte. */
static bool overlaps(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return as && bs && a < b + bs && b < a + as;
}

/* Ops whose execute runs in any workspace >= CDL_GEMM_WORKSPACE_MIN (max_workspace). */
static bool workspace_flexible(const cdl_node *n)
{
	return cdl_attr_streq(n->op_type, "Conv") || cdl_attr_streq(n->op_type, "Gemm") ||
	       cdl_attr_streq(n->op_type, "MatMul");
}

static cdl_status check_workspace(const cdl_engine *e, uint32_t i, const cdl_node *n,
				  size_t need, char *msg, size_t msg_size)
{
	if (need > e->plan->workspace_size)
		return fail(msg, msg_size, CDL_ERR_MALFORMED,
			    "node %u (%s %s): needs %zu bytes of workspace, the plan reserves %llu",
			    i, n->op_type, node_name(n), need,
			    (unsigned long long)e->plan->workspace_size);
	if (need > e->workspace_size &&
	    !(workspace_flexible(n) && e->workspace_size >= CDL_GEMM_WORKSPACE_MIN))
		return fail(msg, msg_size, CDL_ERR_SECURE_MEMORY,
			    "node %u (%s %s): needs %zu bytes of workspace, max_workspace allows %zu",
			    i, n->op_type, node_name(n), need, e->workspace_size);
	return CDL_OK;
}

/* Fills the views of tile j of tiled node i for batch item / row r (data too if bind). */
static void tile_views(const cdl_engine *e, uint32_t i, uint64_t j, uint64_t r, bool bind)
{
	const cdl_node *n = &e->plan->nodes[i];
	tile_node *tn = e->ns[i].tile;
	const tile_plan *tp = &tn->tp;
	cdl_tensor *const *io = e->io + e->io_first[i];
	const cdl_tensor *x = io[0], *y = io[n->n_inputs];
	const cdl_tensor *bt = tp->b_in != NONE ? io[tp->b_in] : NULL;
	cdl_tensor *vx = &tn->view[0], *vw = &tn->view[1], *vb = &tn->view[2], *vy = &tn->view[3];
	tile_range tr;
	uint64_t rows = 0;

	tile_at(tp, j, &tr);
	rows = tr.r1 - tr.r0;
	*vw = *io[tp->w_in];
	vw->dims[0] = (int64_t)rows;
	vw->data = bind ? e->buffer + tp->w_dst : NULL;
	if (bt) {
		*vb = *bt;
		if (tp->b_sliced) {
			vb->dims[vb->rank - 1] = (int64_t)rows;
			if (bind)
				vb->data = tp->b_streamed ? (void *)(e->buffer + tp->b_dst)
							  : (void *)((float *)bt->data + tr.r0);
		}
	}
	*vy = *y;
	if (tp->kind == TILE_CONV) {
		*vx = *x;
		vx->dims[0] = 1;
		vx->dims[1] = (int64_t)((tr.g1 - tr.g0) * tp->cin_g);
		vy->dims[0] = 1;
		vy->dims[1] = (int64_t)rows;
		if (bind) {
			vx->data = (float *)x->data +
				   (r * tp->cin + tr.g0 * tp->cin_g) * tp->in_plane;
			vy->data = (float *)y->data + (r * tp->rows + tr.r0) * tp->out_plane;
		}
		tn->attrs[tn->group_attr].v.i = tp->whole_groups ? (int64_t)(tr.g1 - tr.g0) : 1;
		tn->in[0] = vx;
		tn->in[1] = vw;
		tn->in[2] = bt ? vb : NULL;
		tn->out[0] = vy;
		return;
	}
	/* Gemm */
	*vx = *x;
	vy->dims[1] = (int64_t)rows;
	if (tp->per_row) {
		vx->dims[0] = 1;
		vy->dims[0] = 1;
		if (bt && tp->c_mode == C_ROW) {
			vb->dims[0] = 1;
			vb->dims[1] = (int64_t)rows;
			if (bind)
				vb->data = (float *)bt->data + r * tp->rows + tr.r0;
		} else if (bt && tp->c_mode == C_COLV) {
			vb->dims[0] = 1;
			if (bind)
				vb->data = (float *)bt->data + r;
		}
	}
	if (bind) {
		vx->data = (float *)x->data + (tp->per_row ? r * tp->k : 0);
		vy->data = (float *)y->data + (tp->per_row ? r * tp->rows : 0) + tr.r0;
	}
	tn->in[0] = vx;
	tn->in[1] = vw;
	tn->in[2] = bt ? vb : NULL;
	tn->out[0] = vy;
}

/* Runs infer on every tile of node i: shapes as the views say, workspace within bounds. */
static cdl_status check_tiles(const cdl_engine *e, uint32_t i, char *msg, size_t msg_size)
{
	const cdl_node *n = e->node_view ? e->node_view[i] : &e->plan->nodes[i];
	tile_node *tn = e->ns[i].tile;
	char want[96], got[96];

	for (uint64_t j = 0; j < tn->tp.n_tiles; j++) {
		cdl_tensor out;
		cdl_tensor *outs[1] = {&out};
		cdl_op_ctx ctx;
		cdl_status st = CDL_OK;

		tile_views(e, i, j, 0, false);
		/* infer sees no activation data; constants are not needed by Conv/Gemm */
		tn->view[0].data = NULL;
		memset(&out, 0, sizeof(out));
		memset(&ctx, 0, sizeof(ctx));
		ctx.node = tn->tp.kind == TILE_CONV ? &tn->node : n;
		ctx.n_inputs = n->n_inputs;
		ctx.n_outputs = 1;
		ctx.inputs = tn->in;
		ctx.outputs = outs;
		ctx.msg = msg;
		ctx.msg_size = msg_size;
		st = e->ops[i]->infer(&ctx);
		if (st) {
			if (msg && msg_size && !msg[0])
				fail(msg, msg_size, st, "node %u (%s %s): tile %llu: shape inference failed",
				     i, n->op_type, node_name(n), (unsigned long long)j);
			return st;
		}
		if (!cdl_tensor_same_shape(&out, &tn->view[3]))
			return fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "node %u (%s %s): tile %llu gives %s, expected %s", i, n->op_type,
				    node_name(n), (unsigned long long)j,
				    cdl_shape_str(&out, got, sizeof(got)),
				    cdl_shape_str(&tn->view[3], want, sizeof(want)));
		st = check_workspace(e, i, n, ctx.workspace_size, msg, msg_size);
		if (st)
			return st;
	}
	return CDL_OK;
}

static cdl_status bind_node(cdl_engine *e, uint32_t i, char *msg, size_t msg_size)
{
	const cdl_plan *plan = e->plan;
	const cdl_node *n = e->node_view ? e->node_view[i] : &plan->nodes[i];
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

	/* infer sees the recorded input shapes, resident constant data, no activation data */
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		const cdl_plan_tensor *t = NULL;

		if (n->inputs[k] == CDL_NO_TENSOR) {
			in[k] = NULL;
			continue;
		}
		t = &plan->tensors[n->inputs[k]];
		store[k] = t->desc;
		store[k].data = NULL;
		if (t->kind == CDL_PLAN_CONSTANT)
			store[k].data = e->fetch ? e->const_ptr[n->inputs[k]]
						 : (void *)(plan->weights + t->offset);
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
	st = check_workspace(e, i, n, ctx.workspace_size, msg, msg_size);
	if (st)
		return st;

	/* Bind to memory: recorded descs (whatever infer left behind), real data. */
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		if (in[k]) {
			store[k] = plan->tensors[n->inputs[k]].desc;
			store[k].data = input_data(e, i, n->inputs[k]);
		}
	}
	for (uint32_t k = 0; k < n->n_outputs; k++) {
		const cdl_plan_tensor *t = &plan->tensors[n->outputs[k]];

		*out[k] = t->desc;
		out[k]->data = e->arena + t->offset;
		/* Kernels assume their outputs alias neither each other nor an input,
		 * except a pool written over its dying input (ops/pool.h). */
		for (uint32_t j = 0; j < n->n_inputs + k; j++) {
			const cdl_plan_tensor *o = NULL;

			if (j < n->n_inputs && n->inputs[j] == CDL_NO_TENSOR)
				continue;
			o = &plan->tensors[j < n->n_inputs ? n->inputs[j]
							   : n->outputs[j - n->n_inputs]];
			if (o->kind != CDL_PLAN_ACTIVATION ||
			    !overlaps(t->offset, t->size, o->offset, o->size))
				continue;
			if (k == 0 && j == 0 && o->offset == t->offset &&
			    cdl_pool_in_place_ok(n, &o->desc, &t->desc))
				continue;
			return fail(msg, msg_size, CDL_ERR_MALFORMED,
				    "node %u (%s %s): output %s overlaps %s in the arena", i,
				    n->op_type, node_name(n), t->name, o->name);
		}
	}
	if (e->fetch && e->ns[i].tile)
		return check_tiles(e, i, msg, msg_size);
	return CDL_OK;
}

/* --- fetch mode set-up ------------------------------------------------------------ */

static cdl_status do_fetch(cdl_engine *e, uint64_t src, uint64_t size, void *dst, uint32_t node,
			   char *msg, size_t msg_size)
{
	cdl_status st = CDL_OK;

	if (!size)
		return CDL_OK;
	st = e->fetch(e->fetch_arg, src, size, dst);
	if (st == CDL_OK)
		return CDL_OK;
	if (node == NONE)
		return fail(msg, msg_size, st,
			    "failed to fetch resident weights [%llu, +%llu): status %d",
			    (unsigned long long)src, (unsigned long long)size, (int)st);
	return fail(msg, msg_size, st,
		    "failed to fetch weights [%llu, +%llu) for node %u (%s %s): status %d",
		    (unsigned long long)src, (unsigned long long)size, node,
		    e->plan->nodes[node].op_type, node_name(&e->plan->nodes[node]), (int)st);
}

/*
 * Lays the resident constants out in tensor order (which the plan writer makes
 * the order of the weights section), fetching runs of neighbours in one call.
 */
static cdl_status load_resident(cdl_engine *e, const layout *l, cdl_arena *a, char *msg,
				size_t msg_size)
{
	const cdl_plan *plan = e->plan;
	uint8_t *area = cdl_arena_alloc(a, (size_t)l->resident_bytes, CDL_PLAN_ALIGN);
	size_t pos = 0;
	uint64_t run_src = 0, run_size = 0;
	size_t run_dst = 0;
	cdl_status st = CDL_OK;

	if (!area && l->resident_bytes)
		return fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
	for (uint32_t t = 0; t < plan->n_tensors; t++) {
		const cdl_plan_tensor *pt = &plan->tensors[t];

		e->const_ptr[t] = NULL;
		if (pt->kind != CDL_PLAN_CONSTANT || !(pt->n_uses || pt->attr_or_output) ||
		    !is_resident(plan, &l->sel, t))
			continue;
		e->const_ptr[t] = area + pos;
		/* the next one in the weights section: extend the run */
		if (run_size && pt->offset == align_up(run_src + run_size) &&
		    run_dst + (size_t)(pt->offset - run_src) == pos) {
			run_size = pt->offset + pt->size - run_src;
		} else {
			st = do_fetch(e, run_src, run_size, area + run_dst, NONE, msg, msg_size);
			if (st)
				return st;
			run_src = pt->offset;
			run_size = pt->size;
			run_dst = pos;
		}
		pos += (size_t)align_up(pt->size);
		e->stats.resident_bytes += align_up(pt->size);
	}
	return do_fetch(e, run_src, run_size, area + run_dst, NONE, msg, msg_size);
}

/* Node i's whole streamed constants: sorted by offset, neighbours merged, laid out from dst0. */
static void build_ranges(cdl_engine *e, const layout *l, uint32_t i, const tile_plan *tp,
			 size_t *next)
{
	const cdl_plan *plan = e->plan;
	const cdl_node *n = &plan->nodes[i];
	fetch_range *r = e->ranges + *next;
	uint32_t cnt = 0;
	size_t pos = 0;

	e->ns[i].first_range = (uint32_t)*next;
	for (uint32_t k = 0; k < n->n_inputs; k++) {
		const cdl_plan_tensor *pt = NULL;
		uint32_t at = 0;

		if (!streamed_input(plan, &l->sel, n, k))
			continue;
		if (tp && (k == tp->w_in || (k == tp->b_in && tp->b_sliced)))
			continue;
		pt = &plan->tensors[n->inputs[k]];
		/* insertion by offset */
		at = cnt;
		while (at > 0 && r[at - 1].src > pt->offset) {
			r[at] = r[at - 1];
			at--;
		}
		r[at].src = pt->offset;
		r[at].size = pt->size;
		cnt++;
	}
	/* lay out in offset order, each at its aligned size; merge neighbours */
	{
		uint32_t out = 0;

		for (uint32_t k = 0; k < cnt; k++) {
			fetch_range cur = r[k];

			cur.dst = pos;
			pos += (size_t)align_up(cur.size);
			if (out > 0 && cur.src == align_up(r[out - 1].src + r[out - 1].size) &&
			    r[out - 1].dst + (size_t)(cur.src - r[out - 1].src) == cur.dst) {
				r[out - 1].size = cur.src + cur.size - r[out - 1].src;
				continue;
			}
			r[out++] = cur;
		}
		cnt = out;
	}
	e->ns[i].n_ranges = cnt;
	*next += cnt;
}

/* Copies node i with its tensor attributes bound to the resident constants. */
static cdl_status bind_attr_node(cdl_engine *e, uint32_t i, cdl_arena *a, char *msg,
				 size_t msg_size)
{
	const cdl_node *n = &e->plan->nodes[i];
	cdl_node *copy = NULL;
	cdl_attr *attrs = NULL;
	uint32_t n_t = 0;

	e->node_view[i] = n;
	for (uint32_t k = 0; k < n->n_attrs; k++)
		n_t += n->attrs[k].type == CDL_ATTR_TENSOR;
	if (!n_t)
		return CDL_OK;
	copy = cdl_arena_alloc(a, sizeof(*copy), 8);
	attrs = cdl_arena_alloc(a, sizeof(*attrs) * n->n_attrs, 8);
	if (!copy || !attrs)
		return fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
	*copy = *n;
	memcpy(attrs, n->attrs, sizeof(*attrs) * n->n_attrs);
	for (uint32_t k = 0; k < n->n_attrs; k++) {
		cdl_tensor *t = NULL;
		const cdl_tensor *src = attrs[k].v.t;

		if (attrs[k].type != CDL_ATTR_TENSOR)
			continue;
		t = cdl_arena_alloc(a, sizeof(*t), 8);
		if (!t)
			return fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "engine arena accounting is wrong");
		*t = *src;
		t->data = NULL;
		/* the reader's slot says which constant it is (resident: attr_or_output) */
		if (src >= e->plan->attr_tensors &&
		    src < e->plan->attr_tensors + e->plan->n_attr_tensors)
			t->data = e->const_ptr
				      [e->plan->attr_tensor_ids[src - e->plan->attr_tensors]];
		if (!t->data)
			return fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "node %u (%s): attribute %s has no bytes", i, n->op_type,
				    attrs[k].name);
		attrs[k].v.t = t;
	}
	copy->attrs = attrs;
	e->node_view[i] = copy;
	return CDL_OK;
}

static cdl_status setup_tile(cdl_engine *e, const layout *l, uint32_t i, uint64_t need,
			     cdl_arena *a, char *msg, size_t msg_size)
{
	const cdl_node *n = e->node_view[i];
	tile_node *tn = cdl_arena_alloc(a, sizeof(*tn), 8);
	cdl_status st = CDL_OK;
	uint32_t na = n->n_attrs;

	if (!tn)
		return fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
	memset(tn, 0, sizeof(*tn));
	st = plan_tiles(e->plan, &l->sel, i, need, l->buffer, &tn->tp, msg, msg_size);
	if (st)
		return st;
	tn->attrs = cdl_arena_alloc(a, sizeof(cdl_attr) * (na + 1), 8);
	if (!tn->attrs)
		return fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
	memcpy(tn->attrs, n->attrs, sizeof(cdl_attr) * na);
	tn->group_attr = na;
	for (uint32_t k = 0; k < na; k++)
		if (cdl_attr_streq(n->attrs[k].name, "group"))
			tn->group_attr = k;
	if (tn->group_attr == na) {
		memset(&tn->attrs[na], 0, sizeof(cdl_attr));
		tn->attrs[na].name = "group";
		na++;
	}
	tn->attrs[tn->group_attr].type = CDL_ATTR_INT;
	tn->attrs[tn->group_attr].count = 0;
	tn->node = *n;
	tn->node.attrs = tn->attrs;
	tn->node.n_attrs = tn->tp.kind == TILE_CONV ? na : n->n_attrs;
	e->ns[i].tile = tn;
	e->stats.tiled_nodes++;
	return CDL_OK;
}

static cdl_status setup_fetch(cdl_engine *e, const layout *l, const cdl_engine_options *opts,
			      cdl_arena *a, char *msg, size_t msg_size)
{
	const cdl_plan *plan = e->plan;
	size_t next = 0;
	cdl_status st = CDL_OK;

	e->fetch = opts->fetch;
	e->fetch_arg = opts->fetch_arg;
	e->const_ptr = cdl_arena_alloc(a, sizeof(uint8_t *) * plan->n_tensors, 8);
	e->ns = cdl_arena_alloc(a, sizeof(node_stream) * plan->n_nodes, 8);
	e->ranges = cdl_arena_alloc(a, sizeof(fetch_range) * l->n_ranges, 8);
	e->node_view = cdl_arena_alloc(a, sizeof(const cdl_node *) * plan->n_nodes, 8);
	if ((!e->const_ptr && plan->n_tensors) || (!e->ns && plan->n_nodes) ||
	    (!e->ranges && l->n_ranges) || (!e->node_view && plan->n_nodes))
		return fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
	if (l->buffer) {
		e->buffer = cdl_arena_alloc(a, (size_t)l->buffer, CDL_PLAN_ALIGN);
		if (!e->buffer)
			return fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "engine arena accounting is wrong");
	}
	e->buffer_size = (size_t)l->buffer;
	st = load_resident(e, l, a, msg, msg_size);
	if (st)
		return st;
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		size_t n_in = 0;
		uint64_t need = node_need(plan, &l->sel, i, &n_in);

		memset(&e->ns[i], 0, sizeof(e->ns[i]));
		st = bind_attr_node(e, i, a, msg, msg_size);
		if (st)
			return st;
		if (need > l->buffer) {
			st = setup_tile(e, l, i, need, a, msg, msg_size);
			if (st)
				return st;
		}
		build_ranges(e, l, i, e->ns[i].tile ? &e->ns[i].tile->tp : NULL, &next);
		/* what a run fetches for the node: its ranges, its tiles' rows */
		for (uint32_t r = 0; r < e->ns[i].n_ranges; r++)
			e->stats.streamed_bytes += e->ranges[e->ns[i].first_range + r].size;
		if (e->ns[i].tile) {
			const tile_plan *tp = &e->ns[i].tile->tp;

			e->stats.streamed_bytes += tp->rows * tp->row_w;
			if (tp->b_sliced && tp->b_streamed)
				e->stats.streamed_bytes += tp->rows * tp->row_b;
		}
	}
	return CDL_OK;
}

cdl_status cdl_engine_create_ex(const cdl_plan *plan, const cdl_engine_options *opts, cdl_arena *a,
				cdl_engine **out, char *msg, size_t msg_size)
{
	cdl_engine *e = NULL;
	size_t used0 = 0, io = 0;
	layout l;
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (out)
		*out = NULL;
	if (!plan || !a || !out)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_create: NULL argument");
	if (!(opts && opts->fetch) && !plan->weights)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "the plan was parsed without its weights (cdl_plan_parse_tables): the engine needs a fetch callback");
	st = compute_layout(plan, opts, &l, msg, msg_size);
	if (st)
		return st;
	if (a->used > a->size || a->size - a->used < l.bytes)
		return fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY,
			    "failed to create engine: needs %zu bytes of arena (activations %zu, workspace %zu, resident weights %llu, stream buffer %llu), %zu left",
			    l.bytes, l.arenas, l.workspace,
			    (unsigned long long)l.resident_bytes, (unsigned long long)l.buffer,
			    a->used <= a->size ? a->size - a->used : 0);
	used0 = a->used;
	e = cdl_arena_alloc(a, sizeof(*e), 8);
	if (!e)
		goto oom;
	memset(e, 0, sizeof(*e));
	e->plan = plan;
	e->ops = cdl_arena_alloc(a, plan->n_nodes * sizeof(*e->ops), 8);
	e->io_first = cdl_arena_alloc(a, plan->n_nodes * sizeof(*e->io_first), 8);
	e->io = cdl_arena_alloc(a, l.n_io * sizeof(*e->io), 8);
	e->io_store = cdl_arena_alloc(a, l.n_io * sizeof(*e->io_store), 8);
	e->arena = cdl_arena_alloc(a, l.arenas, CDL_PLAN_ALIGN);
	e->arena_stride = l.arena_stride;
	e->n_arenas = l.n_arenas;
	e->max_batch = opts && opts->max_batch > 1 ? opts->max_batch : 1;
	e->workspace = cdl_arena_alloc(a, l.workspaces, CDL_PLAN_ALIGN);
	e->workspace_size = l.workspace;
	e->workspace_stride = (size_t)align_up(l.workspace);
	e->par = l.workers > 1 ? opts->parallel : NULL;
	if (!e->ops || !e->io_first || !e->io || !e->io_store || !e->arena || !e->workspace)
		goto oom;
	e->stats.arena_bytes = plan->arena_size;
	e->stats.workspace_bytes = l.workspace;
	e->stats.max_batch = e->max_batch;
	e->stats.batch_arenas = e->n_arenas;
	e->stats.workers = l.workers;

	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		e->io_first[i] = io;
		io += (size_t)plan->nodes[i].n_inputs + plan->nodes[i].n_outputs;
	}
	if (l.fetch) {
		st = setup_fetch(e, &l, opts, a, msg, msg_size);
		if (st)
			goto out;
		e->stats.stream_buffer_bytes = e->buffer_size;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		st = bind_node(e, i, msg, msg_size);
		if (st)
			goto out;
	}
	e->stats.engine_bytes = a->used - used0;
	*out = e;
	return CDL_OK;
oom:
	st = fail(msg, msg_size, CDL_ERR_INTERNAL, "engine arena accounting is wrong");
out:
	a->used = used0;
	return st;
}

cdl_status cdl_engine_create(const cdl_plan *plan, cdl_arena *a, cdl_engine **out, char *msg,
			     size_t msg_size)
{
	return cdl_engine_create_ex(plan, NULL, a, out, msg, msg_size);
}

/* --- auto mode -------------------------------------------------------------------- */

/*
 * Measured on resnet18 within 4 MiB (x86, AVX2): a 180 KB stream buffer with a
 * 32 KiB workspace runs in 1.3x the resident time, a 47 KB buffer with a
 * 128 KiB workspace in 4.3x: small tiles repeat the im2col packing per tile,
 * while the GEMM loses little with smaller blocks. So the buffer comes first
 * (up to 1 MiB, beyond which tiles no longer matter), the workspace gives way
 * (to 32 KiB, 8 KiB only if nothing else fits), resident constants take what
 * is left.
 *
 * The streaming options for o->max_batch activation arenas (they come first,
 * like the one arena of a single run): CDL_ERR_SECURE_MEMORY when even the
 * least buffer and workspace do not fit, msg saying how much it needs.
 */
static cdl_status stream_options(const cdl_plan *plan, size_t budget, cdl_engine_options *io,
				 layout *l, char *msg, size_t msg_size)
{
	static const size_t ws_caps[] = {0, (size_t)128 << 10, (size_t)64 << 10, (size_t)32 << 10};
	const size_t comfortable = (size_t)1 << 20;
	cdl_engine_options o = *io;
	size_t target = 0, least = 0;
	cdl_status st = CDL_OK;
	bool fits = false;

	/* 2. streaming: the buffer the largest node wants (at most 1 MiB) */
	o.resident_budget = 0;
	o.stream_buffer = 0;
	o.max_workspace = 0;
	st = compute_layout(plan, &o, l, msg, msg_size);
	if (st)
		return st;
	least = (size_t)align_up(l->min_buffer ? l->min_buffer : CDL_PLAN_ALIGN);
	target = (size_t)min_u64(l->max_need, comfortable);
	if (target < least)
		target = least;
	for (size_t c = 0; c < sizeof(ws_caps) / sizeof(ws_caps[0]) && !fits; c++) {
		if (ws_caps[c] && ws_caps[c] >= plan->workspace_size)
			continue;
		o.max_workspace = ws_caps[c];
		o.stream_buffer = target;
		st = compute_layout(plan, &o, l, msg, msg_size);
		if (st)
			return st;
		fits = l->bytes <= budget;
	}
	if (!fits) {
		/* 3. a smaller buffer: the least, grown by whatever is left */
		o.stream_buffer = least;
		st = compute_layout(plan, &o, l, msg, msg_size);
		if (st)
			return st;
		if (l->bytes > budget && plan->workspace_size > CDL_GEMM_WORKSPACE_MIN) {
			o.max_workspace = CDL_GEMM_WORKSPACE_MIN;
			st = compute_layout(plan, &o, l, msg, msg_size);
			if (st)
				return st;
		}
		if (l->bytes > budget)
			return fail(msg, msg_size, CDL_ERR_SECURE_MEMORY,
				    "needs %zu bytes of secure memory even streaming every weight (activations %zu, stream buffer %llu, workspace %zu), the budget is %zu",
				    l->bytes, l->arenas, (unsigned long long)l->buffer, l->workspace,
				    budget);
		o.stream_buffer = least + (budget - l->bytes);
		if (o.stream_buffer > target)
			o.stream_buffer = target;
		st = compute_layout(plan, &o, l, msg, msg_size);
		if (st)
			return st;
	}
	/* 4. the rest resident: resident constants only shrink the streamed nodes */
	o.resident_budget = budget - l->bytes;
	st = compute_layout(plan, &o, l, msg, msg_size);
	if (st)
		return st;
	if (l->bytes > budget)
		return fail(msg, msg_size, CDL_ERR_INTERNAL,
			    "auto mode: %zu bytes planned for a %zu-byte budget", l->bytes, budget);
	*io = o;
	return CDL_OK;
}

/*
 * Batch arenas against resident constants. What is decrypted per inference
 * is what a run streams divided by the items that share the run. A batch of
 * want items run with max_batch k takes ceil(want / k) runs, so it decrypts
 * ceil(want / k) x S(k) bytes, S(k) being what a run streams once k arenas
 * have been taken out of the budget (and the rest given to resident
 * constants). One more arena of A bytes divides the runs, while A more bytes
 * of resident constants save about A (x their uses) per run. With weights
 * much larger than the arena the batch wins (resnet18 at 224x224: 47 MB of
 * weights, a 3.8 MB arena); when the arena is about the weights' size
 * (squeezenet1_1: 4.9 MB, 3.8 MB) keeping weights wins, and everything
 * resident fits before a second arena would. So rather than a fixed
 * preference, every k worth trying is costed: only the smallest k of
 * each run count ceil(want / k) (1, 2, 3, 4, 8 for want 8; O(sqrt(want))
 * layouts in all), the fewer arenas on a tie (more resident, and a shorter
 * batch loses less). Everything resident needs no batch arena at all (the
 * engine then runs the items one after another) and decrypts nothing per
 * inference: it is taken whenever it fits. Per k, the buffer and workspace
 * still come first, as above: batching changes the bytes decrypted, not the
 * tiles' compute; a larger k can leave the buffer at its least (slower
 * tiles) when that saves decryption.
 */
cdl_status cdl_engine_options_for_budget_batch(const cdl_plan *plan, size_t budget,
					       uint32_t want_batch, cdl_weight_fetch_fn fetch,
					       void *fetch_arg, cdl_engine_options *opts,
					       size_t *bytes, char *msg, size_t msg_size)
{
	const uint64_t want = want_batch ? want_batch : 1;
	cdl_engine_options o, best;
	layout l;
	size_t best_bytes = 0;
	uint64_t best_cost = 0, prev_k = 0;
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (bytes)
		*bytes = 0;
	if (!plan || !fetch || !opts)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_options_for_budget: NULL argument");
	memset(&o, 0, sizeof(o));
	memset(&best, 0, sizeof(best));
	o.fetch = fetch;
	o.fetch_arg = fetch_arg;
	o.max_batch = (uint32_t)want;
	/* 1. everything resident (no batch arena needed) */
	o.resident_budget = SIZE_MAX;
	st = compute_layout(plan, &o, &l, msg, msg_size);
	if (st)
		return st;
	if (l.bytes <= budget) {
		best = o;
		best_bytes = l.bytes;
		goto done;
	}
	/* 2.-4. streaming, for every max_batch worth trying */
	for (uint64_t runs = want; runs >= 1; runs--) {
		const uint64_t k = (want + runs - 1) / runs;
		uint64_t cost = 0;

		if (k == prev_k)
			continue;
		prev_k = k;
		o.max_batch = (uint32_t)k;
		st = stream_options(plan, budget, &o, &l, k == 1 ? msg : NULL,
				    k == 1 ? msg_size : 0);
		if (st && k > 1)
			break; /* more arenas fit even less */
		if (st)
			return st;
		cost = l.per_run > UINT64_MAX / runs ? UINT64_MAX : l.per_run * runs;
		if (k == 1 || cost < best_cost) {
			best = o;
			best_cost = cost;
			best_bytes = l.bytes;
		}
	}
done:
	*opts = best;
	if (bytes)
		*bytes = best_bytes;
	return CDL_OK;
}

cdl_status cdl_engine_options_for_budget(const cdl_plan *plan, size_t budget,
					 cdl_weight_fetch_fn fetch, void *fetch_arg,
					 cdl_engine_options *opts, size_t *bytes, char *msg,
					 size_t msg_size)
{
	return cdl_engine_options_for_budget_batch(plan, budget, 1, fetch, fetch_arg, opts, bytes,
						   msg, msg_size);
}

/* --- running ------------------------------------------------------------------------ */

static cdl_status check_io(const cdl_plan *plan, const cdl_tensor *given, uint32_t t,
			   const char *what, uint32_t i, uint32_t item, char *msg, size_t msg_size)
{
	const cdl_plan_tensor *pt = &plan->tensors[t];
	char want[96], got[96], pre[32] = "";

	if (item != NONE)
		cdl_snprintf(pre, sizeof(pre), "item %u: ", item);
	if (given->rank > CDL_MAX_RANK || !cdl_tensor_same_shape(given, &pt->desc))
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "%s%s %u (%s): expected %s %s, given %s %s", pre, what, i, pt->name,
			    cdl_dtype_name(pt->desc.dtype),
			    cdl_shape_str(&pt->desc, want, sizeof(want)),
			    cdl_dtype_name(given->dtype),
			    cdl_shape_str(given, got, sizeof(got)));
	if (!given->data && pt->size)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT, "%s%s %u (%s): data is NULL",
			    pre, what, i, pt->name);
	return CDL_OK;
}

/* The tensors of n items (item-major), before anything runs; batch: messages name the item. */
static cdl_status check_items(const cdl_plan *plan, uint32_t n, const cdl_tensor *inputs,
			      uint32_t n_inputs, const cdl_tensor *outputs, uint32_t n_outputs,
			      bool batch, char *msg, size_t msg_size)
{
	cdl_status st = CDL_OK;

	if (n_inputs != plan->n_inputs || n_outputs != plan->n_outputs)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "the model takes %u inputs and gives %u outputs, given %u and %u",
			    plan->n_inputs, plan->n_outputs, n_inputs, n_outputs);
	for (uint32_t b = 0; b < n; b++) {
		const uint32_t item = batch ? b : NONE;

		for (uint32_t i = 0; i < n_inputs; i++) {
			st = check_io(plan, &inputs[(size_t)b * n_inputs + i], plan->inputs[i],
				      "input", i, item, msg, msg_size);
			if (st)
				return st;
		}
		for (uint32_t i = 0; i < n_outputs; i++) {
			const cdl_plan_tensor *t = &plan->tensors[plan->outputs[i]];

			if (outputs[(size_t)b * n_outputs + i].data || !t->size)
				continue;
			if (batch)
				return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
					    "item %u: output %u (%s): data is NULL", b, i,
					    t->name);
			return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "output %u (%s): data is NULL", i, t->name);
		}
	}
	return CDL_OK;
}

static uint8_t *item_arena(const cdl_engine *e, uint32_t b)
{
	return e->arena + (size_t)b * e->arena_stride;
}

/*
 * Points node i's activation tensors at the arena of batch item b (its
 * tiles' views follow, being cut from them at run time). Arena 0 is the
 * binding between runs.
 */
static void bind_item(cdl_engine *e, uint32_t i, uint32_t b)
{
	const cdl_node *n = &e->plan->nodes[i];
	cdl_tensor **io = e->io + e->io_first[i];
	uint8_t *arena = item_arena(e, b);

	for (uint32_t k = 0; k < n->n_inputs + n->n_outputs; k++) {
		const uint32_t t = k < n->n_inputs ? n->inputs[k] : n->outputs[k - n->n_inputs];
		const cdl_plan_tensor *pt = NULL;

		if (t == CDL_NO_TENSOR || !io[k])
			continue;
		pt = &e->plan->tensors[t];
		if (pt->kind == CDL_PLAN_ACTIVATION)
			io[k]->data = arena + pt->offset;
	}
}

/* A tiled node: per tile, fetch its rows, run it on every item, every batch item / row. */
static cdl_status run_tiled(cdl_engine *e, uint32_t i, const cdl_op_ctx *ctx, uint32_t n_items)
{
	tile_node *tn = e->ns[i].tile;
	const tile_plan *tp = &tn->tp;
	const cdl_plan_tensor *w = &e->plan->tensors[e->plan->nodes[i].inputs[tp->w_in]];
	const cdl_plan_tensor *b =
	    tp->b_in != NONE ? &e->plan->tensors[e->plan->nodes[i].inputs[tp->b_in]] : NULL;
	const uint64_t reps = tp->kind == TILE_CONV ? tp->batch : (tp->per_row ? tp->m : 1);
	cdl_op_ctx c = *ctx;
	cdl_status st = CDL_OK;

	if (tp->kind == TILE_CONV)
		c.node = &tn->node;
	c.inputs = tn->in;
	c.outputs = tn->out;
	for (uint64_t j = 0; j < tp->n_tiles; j++) {
		tile_range tr;

		tile_at(tp, j, &tr);
		st = do_fetch(e, w->offset + tr.r0 * tp->row_w, (tr.r1 - tr.r0) * tp->row_w,
			      e->buffer + tp->w_dst, i, ctx->msg, ctx->msg_size);
		if (st)
			return st;
		e->stats.fetched_bytes_last_run += (tr.r1 - tr.r0) * tp->row_w;
		e->stats.fetch_calls_last_run++;
		if (b && tp->b_sliced && tp->b_streamed) {
			st = do_fetch(e, b->offset + tr.r0 * tp->row_b, (tr.r1 - tr.r0) * tp->row_b,
				      e->buffer + tp->b_dst, i, ctx->msg, ctx->msg_size);
			if (st)
				return st;
			e->stats.fetched_bytes_last_run += (tr.r1 - tr.r0) * tp->row_b;
			e->stats.fetch_calls_last_run++;
		}
		for (uint32_t item = 0; item < n_items; item++) {
			if (n_items > 1)
				bind_item(e, i, item);
			for (uint64_t r = 0; r < reps; r++) {
				tile_views(e, i, j, r, true);
				st = e->ops[i]->execute(&c);
				if (st)
					return st;
			}
		}
	}
	return CDL_OK;
}

/* Node i for n_items items: its streamed constants fetched once, then run per item. */
static cdl_status run_node(cdl_engine *e, uint32_t i, const cdl_op_ctx *ctx, uint32_t n_items)
{
	cdl_status st = CDL_OK;

	if (e->ns) {
		const node_stream *s = &e->ns[i];

		for (uint32_t r = 0; r < s->n_ranges; r++) {
			const fetch_range *fr = &e->ranges[s->first_range + r];

			st = do_fetch(e, fr->src, fr->size, e->buffer + fr->dst, i, ctx->msg,
				      ctx->msg_size);
			if (st)
				return st;
			e->stats.fetched_bytes_last_run += fr->size;
			e->stats.fetch_calls_last_run++;
		}
		if (s->tile)
			return run_tiled(e, i, ctx, n_items);
	}
	for (uint32_t item = 0; item < n_items; item++) {
		cdl_op_ctx c = *ctx;

		if (n_items > 1)
			bind_item(e, i, item);
		st = e->ops[i]->execute(&c);
		if (st)
			return st;
	}
	return CDL_OK;
}

/*
 * Runs n_items checked items node by node, item b in arena b (n_items <=
 * e->n_arenas); the bindings are back on arena 0 when it returns.
 */
static cdl_status run_items(cdl_engine *e, uint32_t n_items, const cdl_tensor *inputs,
			    cdl_tensor *outputs, char *msg, size_t msg_size)
{
	const cdl_plan *plan = e->plan;
	cdl_status st = CDL_OK;

	e->stats.fetched_bytes_last_run = 0;
	e->stats.fetch_calls_last_run = 0;
	for (uint32_t b = 0; b < n_items; b++) {
		for (uint32_t i = 0; i < plan->n_inputs; i++) {
			const cdl_plan_tensor *t = &plan->tensors[plan->inputs[i]];

			if (t->size)
				memcpy(item_arena(e, b) + t->offset,
				       inputs[(size_t)b * plan->n_inputs + i].data, (size_t)t->size);
		}
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const cdl_node *n = &plan->nodes[i];
		cdl_tensor **io = e->io + e->io_first[i];
		cdl_op_ctx ctx;

		memset(&ctx, 0, sizeof(ctx));
		ctx.node = e->ns ? e->node_view[i] : n;
		ctx.n_inputs = n->n_inputs;
		ctx.n_outputs = n->n_outputs;
		ctx.inputs = io;
		ctx.outputs = io + n->n_inputs;
		ctx.workspace_size = e->workspace_size;
		ctx.workspace = e->workspace;
		ctx.par = e->par;
		ctx.workspace_stride = e->workspace_stride;
		ctx.msg = msg;
		ctx.msg_size = msg_size;
		if (e->hook)
			e->hook(e->hook_arg, i, 0);
		st = run_node(e, i, &ctx, n_items);
		if (n_items > 1)
			bind_item(e, i, 0);
		if (e->hook)
			e->hook(e->hook_arg, i, 1);
		if (st) {
			if (msg && msg_size && !msg[0])
				fail(msg, msg_size, st, "node %u (%s %s) failed", i, n->op_type,
				     node_name(n));
			return st;
		}
	}
	for (uint32_t b = 0; b < n_items; b++) {
		for (uint32_t i = 0; i < plan->n_outputs; i++) {
			const cdl_plan_tensor *t = &plan->tensors[plan->outputs[i]];
			cdl_tensor *o = &outputs[(size_t)b * plan->n_outputs + i];
			const void *src = t->kind == CDL_PLAN_ACTIVATION
					      ? (const void *)(item_arena(e, b) + t->offset)
					      : tensor_data(e, plan->outputs[i]);

			o->dtype = t->desc.dtype;
			o->rank = t->desc.rank;
			memcpy(o->dims, t->desc.dims, sizeof(o->dims));
			if (t->size)
				memcpy(o->data, src, (size_t)t->size);
		}
	}
	return CDL_OK;
}

cdl_status cdl_engine_run(cdl_engine *e, const cdl_tensor *inputs, uint32_t n_inputs,
			  cdl_tensor *outputs, uint32_t n_outputs, char *msg, size_t msg_size)
{
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (!e || (n_inputs && !inputs) || (n_outputs && !outputs))
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT, "cdl_engine_run: NULL argument");
	st = check_items(e->plan, 1, inputs, n_inputs, outputs, n_outputs, false, msg, msg_size);
	if (st)
		return st;
	return run_items(e, 1, inputs, outputs, msg, msg_size);
}

cdl_status cdl_engine_run_batch(cdl_engine *e, uint32_t n, const cdl_tensor *inputs,
				uint32_t n_inputs, cdl_tensor *outputs, uint32_t n_outputs,
				char *msg, size_t msg_size)
{
	uint64_t bytes = 0, calls = 0;
	cdl_status st = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	if (!e || (n_inputs && !inputs) || (n_outputs && !outputs))
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_run_batch: NULL argument");
	if (n == 0 || n > e->max_batch)
		return fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "cdl_engine_run_batch: a batch of %u items, this engine takes 1 to %u (cdl_engine_options.max_batch)",
			    n, e->max_batch);
	st = check_items(e->plan, n, inputs, n_inputs, outputs, n_outputs, true, msg, msg_size);
	if (st)
		return st;
	if (n <= e->n_arenas)
		return run_items(e, n, inputs, outputs, msg, msg_size);
	/* nothing streamed: one item after another in arena 0 */
	for (uint32_t b = 0; b < n; b++) {
		st = run_items(e, 1, inputs + (size_t)b * n_inputs, outputs + (size_t)b * n_outputs,
			       msg, msg_size);
		bytes += e->stats.fetched_bytes_last_run;
		calls += e->stats.fetch_calls_last_run;
		if (st)
			break;
	}
	e->stats.fetched_bytes_last_run = bytes;
	e->stats.fetch_calls_last_run = (uint32_t)calls;
	return st;
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

void cdl_engine_get_stats(const cdl_engine *e, cdl_engine_stats *stats)
{
	if (!stats)
		return;
	if (!e) {
		memset(stats, 0, sizeof(*stats));
		return;
	}
	*stats = e->stats;
}
