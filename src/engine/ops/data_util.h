/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the data-movement op families (pool, shape, transpose,
 * concat_split, slice, pad, resize, gather, cast, generate): argument checks,
 * reading constant integer inputs, and dtype-generic strided copies that move
 * elements by their size (1, 4 or 8 bytes).
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_OPS_DATA_UTIL_H
#define CDL_ENGINE_OPS_DATA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../op.h"

/*
 * Checks the input/output counts of a node: n_inputs in [min_in, max_in],
 * inputs [0, min_in) present, every present input of a dtype the engine
 * knows and of rank <= CDL_MAX_RANK; n_outputs in [min_out, max_out] and
 * outputs [0, min_out) present.
 */
cdl_status cdl_data_check_io(cdl_op_ctx *ctx, uint32_t min_in, uint32_t max_in, uint32_t min_out,
			     uint32_t max_out);

/* Input idx, or NULL if absent (idx >= n_inputs or the optional input is not given). */
static inline const cdl_tensor *cdl_data_in(const cdl_op_ctx *ctx, uint32_t idx)
{
	return idx < ctx->n_inputs ? ctx->inputs[idx] : NULL;
}

/* Output idx, or NULL if the node does not produce it. */
static inline cdl_tensor *cdl_data_out(const cdl_op_ctx *ctx, uint32_t idx)
{
	return idx < ctx->n_outputs ? ctx->outputs[idx] : NULL;
}

/*
 * Reads the constant integer (int32/int64) input idx, of rank 0 or 1, into
 * out[0..*count). Fails with CDL_ERR_UNSUPPORTED "<what> must be a constant"
 * if its data is not known, CDL_ERR_INVALID_ARGUMENT if it is not an integer
 * vector or has more than max elements.
 */
cdl_status cdl_data_const_ints(cdl_op_ctx *ctx, uint32_t idx, const char *what, int64_t *out,
			       size_t max, size_t *count);

/*
 * Sets output idx (if the node produces it) to dtype/rank/dims and checks its
 * byte size (overflow, CDL_MAX_TENSOR_BYTES).
 */
cdl_status cdl_data_set_output(cdl_op_ctx *ctx, uint32_t idx, int dtype, uint32_t rank,
			       const int64_t *dims);

/*
 * For execute: CDL_ERR_INTERNAL unless output idx (if produced) has exactly
 * rank/dims. Ops whose output shape execute re-derives from constant data
 * check it against the tensor it was given (which infer checked at load),
 * so a mismatch can never turn into an out-of-bounds write.
 */
cdl_status cdl_data_expect_output(cdl_op_ctx *ctx, uint32_t idx, uint32_t rank,
				  const int64_t *dims);

/* Element count of a tensor infer has validated (0 on failure). */
size_t cdl_data_numel(const cdl_tensor *t);

/* Product of dims[from..to). */
size_t cdl_data_prod(const int64_t *dims, uint32_t from, uint32_t to);

/*
 * Strided gather: out (contiguous, out_dims[0..rank)) receives, for every
 * index i, the element in + esize * (sum_d i[d] * in_strides[d]). Strides are
 * in elements and may be 0 (broadcast) or negative. esize is 1, 2, 4 or 8;
 * rank <= CDL_DATA_MAX_COPY_RANK (Tile views each dim as two).
 */
#define CDL_DATA_MAX_COPY_RANK (2 * CDL_MAX_RANK)
void cdl_data_strided_copy(void *out, const void *in, size_t esize, uint32_t rank,
			   const int64_t *out_dims, const int64_t *in_strides);

/*
 * Transposes in (dims[0..rank)) into out: out dim i is in dim perm[i].
 * Collapses unit dims and runs of dims that stay adjacent, then uses blocked
 * 2-D transposes for the (batched) two-dim case, e.g. NCHW <-> NHWC.
 */
void cdl_data_transpose(void *out, const void *in, size_t esize, uint32_t rank, const int64_t *dims,
			const uint32_t *perm);

/* Copies n bytes from src to dst unless they are the same buffer (in-place plans). */
static inline void cdl_data_move(void *dst, const void *src, size_t n)
{
	if (dst != src && n)
		memmove(dst, src, n);
}

/* Fills n elements of esize bytes at dst with the element at value. */
void cdl_data_fill(void *dst, const void *value, size_t esize, size_t n);

/*
 * Converts a float to dtype's element (saturating for integers, NaN -> 0,
 * bool = x != 0) and stores it at dst.
 */
void cdl_data_from_float(void *dst, int dtype, float v);

#endif /* CDL_ENGINE_OPS_DATA_UTIL_H */
