// SPDX-License-Identifier: Apache-2.0
/*
 * Helpers shared by the data-movement op families (see data_util.h).
 */
#include <string.h>

#include "data_util.h"

cdl_status cdl_data_check_io(cdl_op_ctx *ctx, uint32_t min_in, uint32_t max_in, uint32_t min_out,
			     uint32_t max_out)
{
	if (ctx->n_inputs < min_in || ctx->n_inputs > max_in)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "has %u inputs, expected %u to %u", ctx->n_inputs, min_in,
				   max_in);
	if (ctx->n_outputs < min_out || ctx->n_outputs > max_out)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "has %u outputs, expected %u to %u", ctx->n_outputs, min_out,
				   max_out);
	for (uint32_t i = 0; i < ctx->n_inputs; i++) {
		const cdl_tensor *t = ctx->inputs[i];

		if (!t) {
			if (i < min_in)
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "required input %u is missing", i);
			continue;
		}
		if (!cdl_dtype_size(t->dtype))
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input %u has dtype %s", i,
					   cdl_dtype_name(t->dtype));
		if (t->rank > CDL_MAX_RANK)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input %u has rank %u", i,
					   (unsigned)t->rank);
		if (!cdl_tensor_nbytes(t, &(size_t){0}))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "input %u has an invalid shape", i);
	}
	for (uint32_t i = 0; i < min_out; i++)
		if (!ctx->outputs[i])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "required output %u is missing", i);
	return CDL_OK;
}

cdl_status cdl_data_const_ints(cdl_op_ctx *ctx, uint32_t idx, const char *what, int64_t *out,
			       size_t max, size_t *count)
{
	const cdl_tensor *t = cdl_data_in(ctx, idx);
	size_t n = 0;

	*count = 0;
	if (!t)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input %s is missing", what);
	if (t->dtype != CDL_DTYPE_I64 && t->dtype != CDL_DTYPE_I32)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s must be int64, got %s", what,
				   cdl_dtype_name(t->dtype));
	if (t->rank > 1 || !cdl_tensor_numel(t, &n))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s must be a 1-D tensor", what);
	if (!t->data)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "%s must be a constant", what);
	if (n > max)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s has %zu values, at most %zu",
				   what, n, max);
	for (size_t i = 0; i < n; i++)
		out[i] = cdl_tensor_get_int(t, i);
	*count = n;
	return CDL_OK;
}

cdl_status cdl_data_set_output(cdl_op_ctx *ctx, uint32_t idx, int dtype, uint32_t rank,
			       const int64_t *dims)
{
	cdl_tensor *t = cdl_data_out(ctx, idx);
	size_t nbytes = 0;

	if (!t)
		return CDL_OK;
	if (rank > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output %u would have rank %u > %u",
				   idx, rank, CDL_MAX_RANK);
	t->dtype = (uint8_t)dtype;
	t->rank = (uint8_t)rank;
	for (uint32_t d = 0; d < CDL_MAX_RANK; d++)
		t->dims[d] = d < rank ? dims[d] : 0;
	if (!cdl_tensor_nbytes(t, &nbytes)) {
		char buf[160];

		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "output %u shape %s (%s) is negative or too large", idx,
				   cdl_shape_str(t, buf, sizeof(buf)), cdl_dtype_name(dtype));
	}
	return CDL_OK;
}

cdl_status cdl_data_expect_output(cdl_op_ctx *ctx, uint32_t idx, uint32_t rank, const int64_t *dims)
{
	const cdl_tensor *t = cdl_data_out(ctx, idx);
	bool ok;

	if (!t)
		return CDL_OK;
	ok = t->rank == rank;
	for (uint32_t d = 0; ok && d < rank; d++)
		ok = t->dims[d] == dims[d];
	if (!ok)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL,
				   "output %u does not have the shape infer derived", idx);
	return CDL_OK;
}

size_t cdl_data_numel(const cdl_tensor *t)
{
	size_t n = 0;

	return cdl_tensor_numel(t, &n) ? n : 0;
}

size_t cdl_data_prod(const int64_t *dims, uint32_t from, uint32_t to)
{
	size_t n = 1;

	for (uint32_t d = from; d < to; d++)
		n *= (size_t)dims[d];
	return n;
}

void cdl_data_fill(void *dst, const void *value, size_t esize, size_t n)
{
	switch (esize) {
	case 1:
		memset(dst, *(const uint8_t *)value, n);
		break;
	case 2: {
		uint16_t v;
		uint16_t *p = dst;

		memcpy(&v, value, 2);
		for (size_t i = 0; i < n; i++)
			p[i] = v;
		break;
	}
	case 4: {
		uint32_t v;
		uint32_t *p = dst;

		memcpy(&v, value, 4);
		for (size_t i = 0; i < n; i++)
			p[i] = v;
		break;
	}
	case 8: {
		uint64_t v;
		uint64_t *p = dst;

		memcpy(&v, value, 8);
		for (size_t i = 0; i < n; i++)
			p[i] = v;
		break;
	}
	default:
		for (size_t i = 0; i < n; i++)
			memcpy((uint8_t *)dst + i * esize, value, esize);
		break;
	}
}

void cdl_data_from_float(void *dst, int dtype, float v)
{
	switch (dtype) {
	case CDL_DTYPE_F32:
		memcpy(dst, &v, 4);
		break;
	case CDL_DTYPE_I64: {
		int64_t x = 0;

		/* compare before converting: out-of-range float->int is UB */
		if (v >= 9223372036854775808.0f)
			x = INT64_MAX;
		else if (v >= -9223372036854775808.0f) /* false for NaN too */
			x = (int64_t)v;
		else if (v < 0)
			x = INT64_MIN;
		memcpy(dst, &x, 8);
		break;
	}
	case CDL_DTYPE_I32: {
		int32_t x = 0;

		if (v >= 2147483648.0f)
			x = INT32_MAX;
		else if (v >= -2147483648.0f)
			x = (int32_t)v;
		else if (v < 0)
			x = INT32_MIN;
		memcpy(dst, &x, 4);
		break;
	}
	case CDL_DTYPE_I8: {
		int8_t x = 0;

		if (v >= 127.0f)
			x = INT8_MAX;
		else if (v > -128.0f)
			x = (int8_t)v;
		else if (v <= -128.0f)
			x = INT8_MIN;
		*(int8_t *)dst = x;
		break;
	}
	case CDL_DTYPE_U8: {
		uint8_t x = 0;

		if (v >= 255.0f)
			x = UINT8_MAX;
		else if (v > 0.0f)
			x = (uint8_t)v;
		*(uint8_t *)dst = x;
		break;
	}
	case CDL_DTYPE_BOOL:
		*(uint8_t *)dst = v != 0.0f; /* NaN is true, as in numpy */
		break;
	default:
		break;
	}
}

/* --- strided copies ------------------------------------------------------- */

static void copy_row(uint8_t *dst, const uint8_t *src, size_t esize, size_t n, ptrdiff_t stride)
{
	if (stride == 1) {
		memcpy(dst, src, n * esize);
		return;
	}
	if (stride == 0) {
		cdl_data_fill(dst, src, esize, n);
		return;
	}
	switch (esize) {
	case 1:
		for (size_t i = 0; i < n; i++)
			dst[i] = src[(ptrdiff_t)i * stride];
		break;
	case 2:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 2 * i, src + 2 * (ptrdiff_t)i * stride, 2);
		break;
	case 4:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 4 * i, src + 4 * (ptrdiff_t)i * stride, 4);
		break;
	case 8:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + 8 * i, src + 8 * (ptrdiff_t)i * stride, 8);
		break;
	default:
		for (size_t i = 0; i < n; i++)
			memcpy(dst + esize * i, src + (ptrdiff_t)esize * (ptrdiff_t)i * stride,
			       esize);
		break;
	}
}

/*
 * out[a * nb + b] = in[a + b * s] for a < na, b < nb: one 2-D transpose,
 * in tiles so that both sides stay in cache.
 */
#define TILE 16
#define DEFINE_T2D(name, type)                                                                     \
	static void name(type *out, const type *in, size_t na, size_t nb, ptrdiff_t s)             \
	{                                                                                          \
		for (size_t a0 = 0; a0 < na; a0 += TILE) {                                         \
			size_t a1 = a0 + TILE < na ? a0 + TILE : na;                               \
			for (size_t b0 = 0; b0 < nb; b0 += TILE) {                                 \
				size_t b1 = b0 + TILE < nb ? b0 + TILE : nb;                       \
				for (size_t a = a0; a < a1; a++)                                   \
					for (size_t b = b0; b < b1; b++)                           \
						out[a * nb + b] =                                  \
						    in[(ptrdiff_t)a + (ptrdiff_t)b * s];           \
			}                                                                          \
		}                                                                                  \
	}
DEFINE_T2D(t2d_u8, uint8_t)
DEFINE_T2D(t2d_u16, uint16_t)
DEFINE_T2D(t2d_u32, uint32_t)
DEFINE_T2D(t2d_u64, uint64_t)

static bool t2d(void *out, const void *in, size_t esize, size_t na, size_t nb, ptrdiff_t s)
{
	switch (esize) {
	case 1:
		t2d_u8(out, in, na, nb, s);
		return true;
	case 2:
		t2d_u16(out, in, na, nb, s);
		return true;
	case 4:
		t2d_u32(out, in, na, nb, s);
		return true;
	case 8:
		t2d_u64(out, in, na, nb, s);
		return true;
	default:
		return false;
	}
}

void cdl_data_strided_copy(void *out, const void *in, size_t esize, uint32_t rank,
			   const int64_t *out_dims, const int64_t *in_strides)
{
	int64_t dims[CDL_DATA_MAX_COPY_RANK];
	ptrdiff_t str[CDL_DATA_MAX_COPY_RANK];
	ptrdiff_t idx[CDL_DATA_MAX_COPY_RANK];
	uint32_t r = 0;
	uint8_t *dst = out;
	const uint8_t *src = in;
	size_t n_outer, inner, step;
	ptrdiff_t off = 0;
	bool tiled = false;

	/* Nothing to copy; checked first because the dims of an empty output
	 * may be huge (Tile by INT64_MAX of an empty dim) */
	for (uint32_t d = 0; d < rank; d++)
		if (out_dims[d] == 0)
			return;
	/* Drop unit dims and merge an outer dim into the next one where the
	 * input strides line up (a run of dims that stay adjacent). */
	for (uint32_t d = 0; d < rank; d++) {
		if (out_dims[d] == 1)
			continue;
		if (r > 0 && str[r - 1] == (ptrdiff_t)(in_strides[d] * out_dims[d])) {
			dims[r - 1] *= out_dims[d];
			str[r - 1] = (ptrdiff_t)in_strides[d];
			continue;
		}
		dims[r] = out_dims[d];
		str[r] = (ptrdiff_t)in_strides[d];
		r++;
	}
	if (r == 0) {
		memcpy(dst, src, esize);
		return;
	}
	/* The last two dims (a, b) read as in[a + b * s]: a 2-D transpose. */
	if (r >= 2 && str[r - 2] == 1 && str[r - 1] != 1 && str[r - 1] != 0 &&
	    dims[r - 1] * dims[r - 2] >= 16)
		tiled = true;
	n_outer = (size_t)cdl_data_prod(dims, 0, r - (tiled ? 2 : 1));
	inner = (size_t)dims[r - 1];
	step = tiled ? inner * (size_t)dims[r - 2] : inner;
	for (uint32_t d = 0; d < r; d++)
		idx[d] = 0;
	for (size_t o = 0; o < n_outer; o++) {
		if (!tiled || !t2d(dst, src + off * (ptrdiff_t)esize, esize, (size_t)dims[r - 2],
				   inner, str[r - 1])) {
			if (tiled) { /* unusual element size: row by row */
				for (int64_t a = 0; a < dims[r - 2]; a++)
					copy_row(dst + (size_t)a * inner * esize,
						 src + (off + a) * (ptrdiff_t)esize, esize, inner,
						 str[r - 1]);
			} else {
				copy_row(dst, src + off * (ptrdiff_t)esize, esize, inner,
					 str[r - 1]);
			}
		}
		dst += step * esize;
		for (int d = (int)r - (tiled ? 3 : 2); d >= 0; d--) {
			idx[d]++;
			off += str[d];
			if (idx[d] < dims[d])
				break;
			off -= str[d] * (ptrdiff_t)dims[d];
			idx[d] = 0;
		}
	}
}

void cdl_data_transpose(void *out, const void *in, size_t esize, uint32_t rank, const int64_t *dims,
			const uint32_t *perm)
{
	int64_t in_str[CDL_MAX_RANK];
	int64_t out_dims[CDL_MAX_RANK];
	int64_t str[CDL_MAX_RANK];
	int64_t s = 1;

	for (int d = (int)rank - 1; d >= 0; d--) {
		in_str[d] = s;
		s *= dims[d];
	}
	for (uint32_t i = 0; i < rank; i++) {
		out_dims[i] = dims[perm[i]];
		str[i] = in_str[perm[i]];
	}
	cdl_data_strided_copy(out, in, esize, rank, out_dims, str);
}
