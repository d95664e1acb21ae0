/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the element-wise, activation, softmax, reduction and
 * normalisation op families: argument checks for infer, and a broadcast
 * iterator that turns an N-D (numpy-broadcast) loop into rows of contiguous
 * work, so kernels run a plain inner loop instead of per-element index math.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_OPS_EW_UTIL_H
#define CDL_ENGINE_OPS_EW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../op.h"

/* --- infer helpers --------------------------------------------------------- */

/* Input i, or NULL when absent (not given or beyond n_inputs). */
static inline const cdl_tensor *cdl_ew_in(const cdl_op_ctx *ctx, uint32_t i)
{
	return i < ctx->n_inputs ? ctx->inputs[i] : NULL;
}

/* Output i, or NULL when not requested. */
static inline cdl_tensor *cdl_ew_out(const cdl_op_ctx *ctx, uint32_t i)
{
	return i < ctx->n_outputs ? ctx->outputs[i] : NULL;
}

/*
 * Checks that between min_in and max_in inputs are given with the first
 * min_in present, and that output 0 is present and at most max_out outputs.
 */
cdl_status cdl_ew_check_io(cdl_op_ctx *ctx, uint32_t min_in, uint32_t max_in, uint32_t max_out);

/* An attribute an op understands, with its ONNX type. */
typedef struct cdl_ew_attr_spec {
	const char *name;
	uint32_t type; /* cdl_attr_type */
} cdl_ew_attr_spec;

/*
 * Refuses any attribute not in known[0..n_known) (CDL_ERR_UNSUPPORTED naming
 * it) or given with the wrong type (CDL_ERR_INVALID_ARGUMENT). With
 * fused_act, the cdl.act* attributes are accepted too and validated; the
 * activation is returned in *act (which may be NULL otherwise).
 */
cdl_status cdl_ew_check_attrs(cdl_op_ctx *ctx, const cdl_ew_attr_spec *known, size_t n_known,
			      bool fused_act, cdl_act *act);

/* Checks that t has dtype; otherwise CDL_ERR_UNSUPPORTED naming what. */
cdl_status cdl_ew_need_dtype(cdl_op_ctx *ctx, const cdl_tensor *t, int dtype, const char *what);

/* Sets output i's dtype and shape, with the overflow-checked size check. */
cdl_status cdl_ew_set_out(cdl_op_ctx *ctx, uint32_t i, int dtype, uint32_t rank,
			  const int64_t *dims);

/* Element count of a tensor infer has validated (0 if it is not valid). */
size_t cdl_ew_numel(const cdl_tensor *t);

/* --- broadcast iterator -------------------------------------------------- */

#define CDL_EW_MAX_OPERANDS 4

/*
 * Operand 0 has the full (output) shape; every other operand has a shape
 * broadcastable to it (dims right-aligned, each equal or 1). Dims of size 1
 * are dropped and adjacent dims in which every operand is either broadcast
 * or not are merged, so [N,C,H,W] + [C,1,1] becomes rows of H*W against one
 * scalar per (n, c).
 */
typedef struct cdl_ew_iter {
	uint32_t rank; /* after merging, >= 1 */
	uint32_t n_ops;
	size_t dims[CDL_MAX_RANK];
	size_t strides[CDL_EW_MAX_OPERANDS][CDL_MAX_RANK]; /* elements; 0 = broadcast */
	size_t numel;
} cdl_ew_iter;

/* False if some operand is not broadcastable to full or n_others is too large. */
bool cdl_ew_iter_init(cdl_ew_iter *it, const cdl_tensor *full, const cdl_tensor *const *others,
		      uint32_t n_others);

/*
 * One row: p[k] points to operand k's first element of the row, s[k] is its
 * stride in elements along the row (1, or 0 for an operand repeated along
 * it), n the row length (>= 1).
 */
typedef void (*cdl_ew_row_fn)(char *const *p, const size_t *s, size_t n, const void *arg);

/* Calls fn for every row; base[k] is operand k's data, esize[k] its element size. */
void cdl_ew_iter_run(const cdl_ew_iter *it, char *const *base, const size_t *esize,
		     cdl_ew_row_fn fn, const void *arg);

/*
 * Splits t at axis into outer * n * inner (n = dims[axis], or the product of
 * dims[axis..] with coerce_2d, as in opset < 13 Softmax). Returns false if a
 * product overflows.
 */
bool cdl_ew_split_axis(const cdl_tensor *t, uint32_t axis, bool coerce_2d, size_t *outer, size_t *n,
		       size_t *inner);

#endif /* CDL_ENGINE_OPS_EW_UTIL_H */
