/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tensors as the engine sees them: a data type, a static shape and a pointer.
 * Freestanding (DESIGN §3): only the allowed libc headers.
 */
#ifndef CDL_ENGINE_TENSOR_H
#define CDL_ENGINE_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"

/* Values are ONNX TensorProto.DataType's, so import needs no mapping table. */
typedef enum cdl_dtype {
	CDL_DTYPE_UNDEFINED = 0,
	CDL_DTYPE_F32 = 1,
	CDL_DTYPE_U8 = 2,
	CDL_DTYPE_I8 = 3,
	CDL_DTYPE_I32 = 6,
	CDL_DTYPE_I64 = 7,
	CDL_DTYPE_BOOL = 9, /* one byte, 0 or 1 */
} cdl_dtype;

#define CDL_MAX_RANK 8

typedef struct cdl_tensor {
	uint8_t dtype; /* cdl_dtype */
	uint8_t rank;  /* 0 = scalar (one element) */
	int64_t dims[CDL_MAX_RANK];
	void *data; /* NULL while only the shape is known (shape inference) */
} cdl_tensor;

/* Bytes per element; 0 for a type the engine does not support. */
size_t cdl_dtype_size(int dtype);
const char *cdl_dtype_name(int dtype);

/*
 * Element count / byte size with overflow and negative-dim checks. They return
 * false, leaving *out untouched, if a dim is negative or the product does not
 * fit in size_t (or in CDL_MAX_TENSOR_BYTES for nbytes).
 */
#define CDL_MAX_TENSOR_BYTES ((uint64_t)1 << 40)
bool cdl_tensor_numel(const cdl_tensor *t, size_t *out);
bool cdl_tensor_nbytes(const cdl_tensor *t, size_t *out);

/* Same dtype, rank and dims. */
bool cdl_tensor_same_shape(const cdl_tensor *a, const cdl_tensor *b);

/* Overflow-checked size_t arithmetic: false on overflow. */
static inline bool cdl_mul_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

static inline bool cdl_add_size(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

#endif /* CDL_ENGINE_TENSOR_H */
