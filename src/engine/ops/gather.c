// SPDX-License-Identifier: Apache-2.0
/*
 * Indexing ops: Gather, GatherElements, GatherND, ScatterElements (and the
 * deprecated Scatter), ScatterND, and the block rearrangements DepthToSpace
 * and SpaceToDepth. Any data dtype; indices int32 or int64, negative ones
 * counting from the end. An index out of range at execute returns
 * CDL_ERR_INVALID_ARGUMENT before anything is read through it.
 */
#include <string.h>

#include "../op.h"
#include "data_util.h"
#include "ops.h"

static bool is_index_dtype(int dtype)
{
	return dtype == CDL_DTYPE_I64 || dtype == CDL_DTYPE_I32;
}

/* Normalises index v against n; false if it is out of [-n, n). */
static bool index_ok(int64_t v, int64_t n, int64_t *out)
{
	if (v < 0)
		v += n;
	if (v < 0 || v >= n)
		return false;
	*out = v;
	return true;
}

static cdl_status bad_index(cdl_op_ctx *ctx, size_t i, int64_t v, int64_t n)
{
	return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
			   "indices[%zu] = %lld is out of range for a dim of %lld", i, (long long)v,
			   (long long)n);
}

/* Checks every index of a constant indices tensor at infer (early, clear errors). */
static cdl_status check_const_indices(cdl_op_ctx *ctx, const cdl_tensor *ind, int64_t n)
{
	size_t cnt = cdl_data_numel(ind);
	int64_t v = 0;

	if (!ind->data)
		return CDL_OK;
	for (size_t i = 0; i < cnt; i++)
		if (!index_ok(cdl_tensor_get_int(ind, i), n, &v))
			return bad_index(ctx, i, cdl_tensor_get_int(ind, i), n);
	return CDL_OK;
}

static void strides_of(const cdl_tensor *t, int64_t *str)
{
	int64_t s = 1;

	for (int d = (int)t->rank - 1; d >= 0; d--) {
		str[d] = s;
		s *= t->dims[d];
	}
}

/* --- Gather ----------------------------------------------------------------- */

static cdl_status gather_axis(cdl_op_ctx *ctx, uint32_t *axis)
{
	const cdl_tensor *x = ctx->inputs[0];
	int64_t a = cdl_attr_int(ctx->node, "axis", 0);

	if (!cdl_axis_normalize(a, x->rank, axis))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for rank %u",
				   (long long)a, (unsigned)x->rank);
	return CDL_OK;
}

static cdl_status gather_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x, *ind;
	int64_t dims[CDL_MAX_RANK];
	uint32_t axis = 0, r = 0;
	cdl_status st = cdl_data_check_io(ctx, 2, 2, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	ind = ctx->inputs[1];
	if (!is_index_dtype(ind->dtype))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "indices must be int32/int64, got %s",
				   cdl_dtype_name(ind->dtype));
	st = gather_axis(ctx, &axis);
	if (st)
		return st;
	if (x->rank - 1u + ind->rank > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output rank %u > %u",
				   x->rank - 1u + ind->rank, CDL_MAX_RANK);
	for (uint32_t d = 0; d < axis; d++)
		dims[r++] = x->dims[d];
	for (uint32_t d = 0; d < ind->rank; d++)
		dims[r++] = ind->dims[d];
	for (uint32_t d = axis + 1; d < x->rank; d++)
		dims[r++] = x->dims[d];
	st = check_const_indices(ctx, ind, x->dims[axis]);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, x->dtype, r, dims);
}

static cdl_status gather_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_tensor *ind = ctx->inputs[1];
	size_t esize = cdl_dtype_size(x->dtype);
	uint32_t axis = 0;
	size_t outer, inner, nidx;
	int64_t n;
	const uint8_t *src = x->data;
	uint8_t *dst = ctx->outputs[0]->data;
	cdl_status st = gather_axis(ctx, &axis);

	if (st)
		return st;
	n = x->dims[axis];
	outer = cdl_data_prod(x->dims, 0, axis);
	inner = cdl_data_prod(x->dims, axis + 1, x->rank) * esize;
	nidx = cdl_data_numel(ind);
	st = check_const_indices(ctx, ind, n); /* all of them, before any read */
	if (st)
		return st;
	for (size_t o = 0; o < outer; o++) {
		for (size_t k = 0; k < nidx; k++) {
			int64_t i = cdl_tensor_get_int(ind, k);

			if (i < 0)
				i += n;
			memcpy(dst, src + (o * (size_t)n + (size_t)i) * inner, inner);
			dst += inner;
		}
	}
	return CDL_OK;
}

/* --- GatherElements --------------------------------------------------------- */

static cdl_status elements_check(cdl_op_ctx *ctx, const cdl_tensor *x, const cdl_tensor *ind,
				 uint32_t *axis)
{
	int64_t a = cdl_attr_int(ctx->node, "axis", 0);

	if (!is_index_dtype(ind->dtype))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "indices must be int32/int64, got %s",
				   cdl_dtype_name(ind->dtype));
	if (ind->rank != x->rank)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "indices rank %u differs from data rank %u", (unsigned)ind->rank,
				   (unsigned)x->rank);
	if (!cdl_axis_normalize(a, x->rank, axis))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for rank %u",
				   (long long)a, (unsigned)x->rank);
	for (uint32_t d = 0; d < x->rank; d++)
		if (d != *axis && ind->dims[d] > x->dims[d])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "indices dim %u = %lld exceeds data dim %lld", d,
					   (long long)ind->dims[d], (long long)x->dims[d]);
	return CDL_OK;
}

static cdl_status gather_elements_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x, *ind;
	uint32_t axis = 0;
	cdl_status st = cdl_data_check_io(ctx, 2, 2, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	ind = ctx->inputs[1];
	st = elements_check(ctx, x, ind, &axis);
	if (st)
		return st;
	st = check_const_indices(ctx, ind, x->dims[axis]);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, x->dtype, ind->rank, ind->dims);
}

/*
 * Walks every position of ind; calls fn with the element offset in data (the
 * position with its axis coordinate replaced by the index) and the position's
 * own linear offset. Returns false on a bad index (reported in ctx).
 */
typedef void (*elem_fn)(void *arg, size_t data_off, size_t pos);

static cdl_status walk_elements(cdl_op_ctx *ctx, const cdl_tensor *x, const cdl_tensor *ind,
				uint32_t axis, elem_fn fn, void *arg)
{
	int64_t xstr[CDL_MAX_RANK];
	int64_t idx[CDL_MAX_RANK] = {0};
	size_t n = cdl_data_numel(ind);
	int64_t base = 0; /* offset in x of idx with idx[axis] = 0 */
	int r = (int)ind->rank;

	strides_of(x, xstr);
	for (size_t k = 0; k < n; k++) {
		int64_t v = cdl_tensor_get_int(ind, k), i = 0;

		if (!index_ok(v, x->dims[axis], &i))
			return bad_index(ctx, k, v, x->dims[axis]);
		fn(arg, (size_t)(base + i * xstr[axis]), k);
		for (int d = r - 1; d >= 0; d--) {
			idx[d]++;
			if (d != (int)axis)
				base += xstr[d];
			if (idx[d] < ind->dims[d])
				break;
			if (d != (int)axis)
				base -= xstr[d] * ind->dims[d];
			idx[d] = 0;
		}
	}
	return CDL_OK;
}

struct gather_el {
	const uint8_t *src;
	uint8_t *dst;
	size_t esize;
};

static void gather_el_fn(void *arg, size_t off, size_t pos)
{
	struct gather_el *g = arg;

	memcpy(g->dst + pos * g->esize, g->src + off * g->esize, g->esize);
}

static cdl_status gather_elements_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_tensor *ind = ctx->inputs[1];
	uint32_t axis = 0;
	struct gather_el g = {x->data, ctx->outputs[0]->data, cdl_dtype_size(x->dtype)};
	cdl_status st = elements_check(ctx, x, ind, &axis);

	if (st)
		return st;
	return walk_elements(ctx, x, ind, axis, gather_el_fn, &g);
}

/* --- ScatterElements / Scatter ------------------------------------------------ */

enum reduction { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };

static cdl_status get_reduction(cdl_op_ctx *ctx, int dtype, enum reduction *red)
{
	const char *s = cdl_attr_string(ctx->node, "reduction", "none");

	if (cdl_attr_streq(s, "none"))
		*red = RED_NONE;
	else if (cdl_attr_streq(s, "add"))
		*red = RED_ADD;
	else if (cdl_attr_streq(s, "mul"))
		*red = RED_MUL;
	else if (cdl_attr_streq(s, "max"))
		*red = RED_MAX;
	else if (cdl_attr_streq(s, "min"))
		*red = RED_MIN;
	else
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "reduction=%s", s);
	if (*red != RED_NONE && dtype != CDL_DTYPE_F32 && dtype != CDL_DTYPE_I32 &&
	    dtype != CDL_DTYPE_I64)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "reduction=%s on %s", s,
				   cdl_dtype_name(dtype));
	return CDL_OK;
}

#define REDUCE(type, d, u, red)                                                                    \
	do {                                                                                       \
		type *dp_ = (type *)(d);                                                           \
		type uv_;                                                                          \
		memcpy(&uv_, (u), sizeof(type));                                                   \
		switch (red) {                                                                     \
		case RED_ADD:                                                                      \
			*dp_ = (type)(*dp_ + uv_);                                                 \
			break;                                                                     \
		case RED_MUL:                                                                      \
			*dp_ = (type)(*dp_ * uv_);                                                 \
			break;                                                                     \
		case RED_MAX:                                                                      \
			*dp_ = *dp_ > uv_ ? *dp_ : uv_;                                            \
			break;                                                                     \
		case RED_MIN:                                                                      \
			*dp_ = *dp_ < uv_ ? *dp_ : uv_;                                            \
			break;                                                                     \
		default:                                                                           \
			*dp_ = uv_;                                                                \
			break;                                                                     \
		}                                                                                  \
	} while (0)

/* Combines n elements of updates u into d. Integer add/mul wrap (computed unsigned). */
static void scatter_combine(uint8_t *d, const uint8_t *u, size_t n, int dtype, size_t esize,
			    enum reduction red)
{
	if (red == RED_NONE) {
		memcpy(d, u, n * esize);
		return;
	}
	for (size_t i = 0; i < n; i++, d += esize, u += esize) {
		if (dtype == CDL_DTYPE_F32) {
			REDUCE(float, d, u, red);
		} else if (dtype == CDL_DTYPE_I32 && (red == RED_MAX || red == RED_MIN)) {
			REDUCE(int32_t, d, u, red);
		} else if (dtype == CDL_DTYPE_I32) {
			REDUCE(uint32_t, d, u, red);
		} else if (red == RED_MAX || red == RED_MIN) {
			REDUCE(int64_t, d, u, red);
		} else {
			REDUCE(uint64_t, d, u, red);
		}
	}
}

static cdl_status scatter_elements_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x, *ind, *upd;
	uint32_t axis = 0;
	enum reduction red;
	cdl_status st = cdl_data_check_io(ctx, 3, 3, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	ind = ctx->inputs[1];
	upd = ctx->inputs[2];
	st = elements_check(ctx, x, ind, &axis);
	if (st)
		return st;
	if (upd->dtype != x->dtype || upd->rank != ind->rank ||
	    memcmp(upd->dims, ind->dims, sizeof(int64_t) * ind->rank) != 0)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "updates must have the data's dtype and the indices' shape");
	st = get_reduction(ctx, x->dtype, &red);
	if (st)
		return st;
	st = check_const_indices(ctx, ind, x->dims[axis]);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

struct scatter_el {
	const uint8_t *upd;
	uint8_t *dst;
	size_t esize;
	int dtype;
	enum reduction red;
};

static void scatter_el_fn(void *arg, size_t off, size_t pos)
{
	struct scatter_el *s = arg;

	scatter_combine(s->dst + off * s->esize, s->upd + pos * s->esize, 1, s->dtype, s->esize,
			s->red);
}

static void scatter_el_check_fn(void *arg, size_t off, size_t pos)
{
	(void)arg;
	(void)off;
	(void)pos;
}

static cdl_status scatter_elements_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_tensor *ind = ctx->inputs[1];
	cdl_tensor *y = ctx->outputs[0];
	uint32_t axis = 0;
	struct scatter_el s = {ctx->inputs[2]->data, y->data, cdl_dtype_size(x->dtype), x->dtype,
			       RED_NONE};
	cdl_status st = elements_check(ctx, x, ind, &axis);

	if (st)
		return st;
	st = get_reduction(ctx, x->dtype, &s.red);
	if (st)
		return st;
	/* check every index first, so a bad one leaves no half-written output */
	st = walk_elements(ctx, x, ind, axis, scatter_el_check_fn, NULL);
	if (st)
		return st;
	cdl_data_move(y->data, x->data, cdl_data_numel(x) * s.esize);
	return walk_elements(ctx, x, ind, axis, scatter_el_fn, &s);
}

/* --- GatherND / ScatterND ------------------------------------------------------ */

/*
 * Common shape rules: data rank r, indices rank q >= 1 with last dim k,
 * batch_dims b (GatherND only): b < min(q, r), k <= r - b; the first b dims of
 * data and indices agree. slice = prod(data.dims[b + k:]).
 */
static cdl_status nd_check(cdl_op_ctx *ctx, const cdl_tensor *x, const cdl_tensor *ind, uint32_t b,
			   uint32_t *k)
{
	int64_t kk;

	if (!is_index_dtype(ind->dtype))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "indices must be int32/int64, got %s",
				   cdl_dtype_name(ind->dtype));
	if (ind->rank < 1 || x->rank < 1 || b >= ind->rank || b >= x->rank)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "ranks data %u, indices %u, batch_dims %u", (unsigned)x->rank,
				   (unsigned)ind->rank, b);
	kk = ind->dims[ind->rank - 1];
	if (kk < 1 || kk > (int64_t)(x->rank - b))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "indices last dim %lld for data rank %u, batch_dims %u",
				   (long long)kk, (unsigned)x->rank, b);
	for (uint32_t d = 0; d < b; d++)
		if (x->dims[d] != ind->dims[d])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "batch dim %u differs: data %lld, indices %lld", d,
					   (long long)x->dims[d], (long long)ind->dims[d]);
	*k = (uint32_t)kk;
	return CDL_OK;
}

/* Element offset in x of index tuple t (at ind element t0), batch offset included. */
static cdl_status nd_offset(cdl_op_ctx *ctx, const cdl_tensor *x, const cdl_tensor *ind,
			    const int64_t *xstr, uint32_t b, uint32_t k, size_t t0, size_t *off)
{
	int64_t o = 0;

	for (uint32_t j = 0; j < k; j++) {
		int64_t v = cdl_tensor_get_int(ind, t0 + j), i = 0;

		if (!index_ok(v, x->dims[b + j], &i))
			return bad_index(ctx, t0 + j, v, x->dims[b + j]);
		o += i * xstr[b + j];
	}
	*off = (size_t)o;
	return CDL_OK;
}

static cdl_status gather_nd_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x, *ind;
	int64_t dims[CDL_MAX_RANK];
	int64_t b = cdl_attr_int(ctx->node, "batch_dims", 0);
	uint32_t k = 0, r = 0;
	cdl_status st = cdl_data_check_io(ctx, 2, 2, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	ind = ctx->inputs[1];
	if (b < 0 || b >= CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "batch_dims=%lld", (long long)b);
	st = nd_check(ctx, x, ind, (uint32_t)b, &k);
	if (st)
		return st;
	if (ind->rank - 1u + x->rank - (uint32_t)b - k > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output rank > %u", CDL_MAX_RANK);
	for (uint32_t d = 0; d + 1 < ind->rank; d++)
		dims[r++] = ind->dims[d];
	for (uint32_t d = (uint32_t)b + k; d < x->rank; d++)
		dims[r++] = x->dims[d];
	return cdl_data_set_output(ctx, 0, x->dtype, r, dims);
}

static cdl_status gather_nd_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_tensor *ind = ctx->inputs[1];
	uint32_t b = (uint32_t)cdl_attr_int(ctx->node, "batch_dims", 0), k = 0;
	size_t esize = cdl_dtype_size(x->dtype);
	int64_t xstr[CDL_MAX_RANK];
	size_t n_batch, per_batch, slice, batch_stride;
	uint8_t *dst = ctx->outputs[0]->data;
	const uint8_t *src = x->data;
	cdl_status st = nd_check(ctx, x, ind, b, &k);

	if (st)
		return st;
	strides_of(x, xstr);
	n_batch = cdl_data_prod(x->dims, 0, b);
	per_batch = cdl_data_prod(ind->dims, b, ind->rank - 1u);
	slice = cdl_data_prod(x->dims, b + k, x->rank) * esize;
	batch_stride = cdl_data_prod(x->dims, b, x->rank);
	for (size_t bi = 0; bi < n_batch; bi++) {
		for (size_t j = 0; j < per_batch; j++) {
			size_t off = 0;

			st = nd_offset(ctx, x, ind, xstr, b, k, (bi * per_batch + j) * k, &off);
			if (st)
				return st;
			memcpy(dst, src + (bi * batch_stride + off) * esize, slice);
			dst += slice;
		}
	}
	return CDL_OK;
}

static cdl_status scatter_nd_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x, *ind, *upd;
	uint32_t k = 0, r = 0;
	int64_t dims[2 * CDL_MAX_RANK];
	enum reduction red;
	cdl_status st = cdl_data_check_io(ctx, 3, 3, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	ind = ctx->inputs[1];
	upd = ctx->inputs[2];
	st = nd_check(ctx, x, ind, 0, &k);
	if (st)
		return st;
	for (uint32_t d = 0; d + 1 < ind->rank; d++)
		dims[r++] = ind->dims[d];
	for (uint32_t d = k; d < x->rank; d++)
		dims[r++] = x->dims[d];
	if (upd->dtype != x->dtype || upd->rank != r ||
	    memcmp(upd->dims, dims, sizeof(int64_t) * r) != 0)
		return cdl_op_fail(
		    ctx, CDL_ERR_INVALID_ARGUMENT,
		    "updates must be %s of shape indices.shape[:-1] + data.shape[k:]",
		    cdl_dtype_name(x->dtype));
	st = get_reduction(ctx, x->dtype, &red);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static cdl_status scatter_nd_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_tensor *ind = ctx->inputs[1];
	const uint8_t *upd = ctx->inputs[2]->data;
	uint8_t *dst = ctx->outputs[0]->data;
	size_t esize = cdl_dtype_size(x->dtype);
	int64_t xstr[CDL_MAX_RANK];
	uint32_t k = 0;
	size_t n, slice;
	enum reduction red = RED_NONE;
	cdl_status st = nd_check(ctx, x, ind, 0, &k);

	if (st)
		return st;
	st = get_reduction(ctx, x->dtype, &red);
	if (st)
		return st;
	strides_of(x, xstr);
	n = cdl_data_prod(ind->dims, 0, ind->rank - 1u);
	slice = cdl_data_prod(x->dims, k, x->rank);
	for (size_t j = 0; j < n; j++) { /* validate first: no half-written output */
		size_t off = 0;

		st = nd_offset(ctx, x, ind, xstr, 0, k, j * k, &off);
		if (st)
			return st;
	}
	cdl_data_move(dst, x->data, cdl_data_numel(x) * esize);
	for (size_t j = 0; j < n; j++) {
		size_t off = 0;

		st = nd_offset(ctx, x, ind, xstr, 0, k, j * k, &off);
		if (st)
			return st;
		scatter_combine(dst + off * esize, upd + j * slice * esize, slice, x->dtype, esize,
				red);
	}
	return CDL_OK;
}

/* --- OneHot ------------------------------------------------------------------ */

#define ONEHOT_MAX_DEPTH ((int64_t)1 << 40)

/* Integer value of element i of a numeric tensor; floats truncate (saturating). */
static int64_t numeric_int(const cdl_tensor *t, size_t i)
{
	if (t->dtype == CDL_DTYPE_F32) {
		int64_t v = 0;

		cdl_data_from_float(&v, CDL_DTYPE_I64, ((const float *)t->data)[i]);
		return v;
	}
	return cdl_tensor_get_int(t, i);
}

static cdl_status onehot_get(cdl_op_ctx *ctx, int64_t *depth, uint32_t *axis)
{
	const cdl_tensor *ind = ctx->inputs[0], *dt = ctx->inputs[1], *vals = ctx->inputs[2];
	int64_t a = cdl_attr_int(ctx->node, "axis", -1);

	if (ind->dtype == CDL_DTYPE_BOOL || dt->dtype == CDL_DTYPE_BOOL)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "indices and depth must be numeric");
	if (cdl_data_numel(dt) != 1 || dt->rank > 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "depth must be a scalar");
	if (!dt->data)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "depth must be a constant");
	if (cdl_data_numel(vals) != 2 || vals->rank != 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "values must be [off_value, on_value]");
	*depth = numeric_int(dt, 0);
	if (*depth < 1 || *depth > ONEHOT_MAX_DEPTH)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "depth %lld", (long long)*depth);
	if (ind->rank + 1u > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output rank > %u", CDL_MAX_RANK);
	if (!cdl_axis_normalize(a, ind->rank + 1u, axis))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "axis %lld for output rank %u",
				   (long long)a, ind->rank + 1u);
	return CDL_OK;
}

static cdl_status onehot_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *ind;
	int64_t dims[CDL_MAX_RANK], depth = 0;
	uint32_t axis = 0, r = 0;
	cdl_status st = cdl_data_check_io(ctx, 3, 3, 1, 1);

	if (st)
		return st;
	ind = ctx->inputs[0];
	st = onehot_get(ctx, &depth, &axis);
	if (st)
		return st;
	for (uint32_t d = 0; d <= ind->rank; d++)
		dims[d] = d == axis ? depth : ind->dims[r++];
	return cdl_data_set_output(ctx, 0, ctx->inputs[2]->dtype, ind->rank + 1u, dims);
}

static cdl_status onehot_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *ind = ctx->inputs[0], *vals = ctx->inputs[2];
	cdl_tensor *y = ctx->outputs[0];
	size_t esize = cdl_dtype_size(vals->dtype);
	const uint8_t *off = vals->data, *on = off + esize;
	uint8_t *dst = y->data;
	int64_t depth = 0;
	uint32_t axis = 0;
	size_t outer, inner;
	cdl_status st = onehot_get(ctx, &depth, &axis);

	if (st)
		return st;
	/* output [outer][depth][inner] with indices [outer][inner] */
	outer = cdl_data_prod(ind->dims, 0, axis);
	inner = cdl_data_prod(ind->dims, axis, ind->rank);
	cdl_data_fill(dst, off, esize, outer * (size_t)depth * inner);
	for (size_t o = 0; o < outer; o++) {
		for (size_t i = 0; i < inner; i++) {
			int64_t v = numeric_int(ind, o * inner + i);

			if (v < 0)
				v += depth;
			/* out of [-depth, depth): the row stays all off_value */
			if (v >= 0 && v < depth)
				memcpy(dst + ((o * (size_t)depth + (size_t)v) * inner + i) * esize,
				       on, esize);
		}
	}
	return CDL_OK;
}

/* --- DepthToSpace / SpaceToDepth ------------------------------------------------ */

/* Both are a reshape to 6-D, a transpose and a reshape back. */
typedef struct d2s_params {
	int64_t view[6];
	uint32_t perm[6];
	int64_t out[4];
} d2s_params;

static cdl_status d2s_get(cdl_op_ctx *ctx, bool to_space, d2s_params *p)
{
	const cdl_tensor *x = ctx->inputs[0];
	const cdl_attr *a = cdl_attr_find(ctx->node, "blocksize");
	const char *mode = cdl_attr_string(ctx->node, "mode", "DCR");
	int64_t bs, n, c, h, w, bb;

	if (x->rank != 4)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input must be 4-D, has rank %u",
				   (unsigned)x->rank);
	if (!a || a->type != CDL_ATTR_INT || a->v.i < 1 || a->v.i > (1 << 20))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "attribute blocksize must be a positive int");
	bs = a->v.i;
	bb = bs * bs;
	n = x->dims[0];
	c = x->dims[1];
	h = x->dims[2];
	w = x->dims[3];
	if (to_space) {
		static const uint32_t dcr[6] = {0, 3, 4, 1, 5, 2};
		static const uint32_t crd[6] = {0, 1, 4, 2, 5, 3};
		bool is_dcr = cdl_attr_streq(mode, "DCR");

		if (!is_dcr && !cdl_attr_streq(mode, "CRD"))
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "mode=%s", mode);
		if (c % bb != 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "channels %lld not divisible by blocksize^2 = %lld",
					   (long long)c, (long long)bb);
		if (__builtin_mul_overflow(h, bs, &p->out[2]) ||
		    __builtin_mul_overflow(w, bs, &p->out[3]))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
		p->out[0] = n;
		p->out[1] = c / bb;
		if (is_dcr) {
			int64_t v[6] = {n, bs, bs, c / bb, h, w};

			memcpy(p->view, v, sizeof(v));
			memcpy(p->perm, dcr, sizeof(dcr));
		} else {
			int64_t v[6] = {n, c / bb, bs, bs, h, w};

			memcpy(p->view, v, sizeof(v));
			memcpy(p->perm, crd, sizeof(crd));
		}
	} else {
		static const uint32_t perm[6] = {0, 3, 5, 1, 2, 4};
		int64_t v[6] = {n, c, h / bs, bs, w / bs, bs};

		if (h % bs != 0 || w % bs != 0)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "spatial dims %lldx%lld not divisible by blocksize %lld",
					   (long long)h, (long long)w, (long long)bs);
		if (__builtin_mul_overflow(c, bb, &p->out[1]))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
		p->out[0] = n;
		p->out[2] = h / bs;
		p->out[3] = w / bs;
		memcpy(p->view, v, sizeof(v));
		memcpy(p->perm, perm, sizeof(perm));
	}
	return CDL_OK;
}

static cdl_status d2s_infer_common(cdl_op_ctx *ctx, bool to_space)
{
	d2s_params p;
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	st = d2s_get(ctx, to_space, &p);
	if (st)
		return st;
	return cdl_data_set_output(ctx, 0, ctx->inputs[0]->dtype, 4, p.out);
}

static cdl_status d2s_execute_common(cdl_op_ctx *ctx, bool to_space)
{
	const cdl_tensor *x = ctx->inputs[0];
	d2s_params p;
	cdl_status st = d2s_get(ctx, to_space, &p);

	if (st)
		return st;
	cdl_data_transpose(ctx->outputs[0]->data, x->data, cdl_dtype_size(x->dtype), 6, p.view,
			   p.perm);
	return CDL_OK;
}

static cdl_status depth_to_space_infer(cdl_op_ctx *ctx)
{
	return d2s_infer_common(ctx, true);
}

static cdl_status depth_to_space_execute(cdl_op_ctx *ctx)
{
	return d2s_execute_common(ctx, true);
}

static cdl_status space_to_depth_infer(cdl_op_ctx *ctx)
{
	return d2s_infer_common(ctx, false);
}

static cdl_status space_to_depth_execute(cdl_op_ctx *ctx)
{
	return d2s_execute_common(ctx, false);
}

const cdl_op_def cdl_ops_gather[] = {
    {"Gather", gather_infer, gather_execute},
    {"GatherElements", gather_elements_infer, gather_elements_execute},
    {"GatherND", gather_nd_infer, gather_nd_execute},
    {"ScatterElements", scatter_elements_infer, scatter_elements_execute},
    {"Scatter", scatter_elements_infer, scatter_elements_execute},
    {"ScatterND", scatter_nd_infer, scatter_nd_execute},
    {"OneHot", onehot_infer, onehot_execute},
    {"DepthToSpace", depth_to_space_infer, depth_to_space_execute},
    {"SpaceToDepth", space_to_depth_infer, space_to_depth_execute},
    {NULL, NULL, NULL},
};
