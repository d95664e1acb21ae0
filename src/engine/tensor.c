// SPDX-License-Identifier: Apache-2.0
#include "tensor.h"

size_t cdl_dtype_size(int dtype)
{
	switch (dtype) {
	case CDL_DTYPE_F32:
	case CDL_DTYPE_I32:
		return 4;
	case CDL_DTYPE_I64:
		return 8;
	case CDL_DTYPE_U8:
	case CDL_DTYPE_I8:
	case CDL_DTYPE_BOOL:
		return 1;
	default:
		return 0;
	}
}

const char *cdl_dtype_name(int dtype)
{
	switch (dtype) {
	case CDL_DTYPE_F32:
		return "float32";
	case CDL_DTYPE_U8:
		return "uint8";
	case CDL_DTYPE_I8:
		return "int8";
	case CDL_DTYPE_I32:
		return "int32";
	case CDL_DTYPE_I64:
		return "int64";
	case CDL_DTYPE_BOOL:
		return "bool";
	case 4:
		return "uint16";
	case 5:
		return "int16";
	case 8:
		return "string";
	case 10:
		return "float16";
	case 11:
		return "float64";
	case 12:
		return "uint32";
	case 13:
		return "uint64";
	case 16:
		return "bfloat16";
	default:
		return "unknown";
	}
}

bool cdl_tensor_numel(const cdl_tensor *t, size_t *out)
{
	size_t n = 1;

	if (t->rank > CDL_MAX_RANK)
		return false;
	for (uint32_t i = 0; i < t->rank; i++) {
		if (t->dims[i] < 0 || (uint64_t)t->dims[i] > SIZE_MAX)
			return false;
		if (!cdl_mul_size(n, (size_t)t->dims[i], &n))
			return false;
	}
	*out = n;
	return true;
}

bool cdl_tensor_nbytes(const cdl_tensor *t, size_t *out)
{
	size_t n = 0;
	size_t esize = cdl_dtype_size(t->dtype);

	if (!esize || !cdl_tensor_numel(t, &n) || !cdl_mul_size(n, esize, &n))
		return false;
	if ((uint64_t)n > CDL_MAX_TENSOR_BYTES)
		return false;
	*out = n;
	return true;
}

bool cdl_tensor_same_shape(const cdl_tensor *a, const cdl_tensor *b)
{
	if (a->dtype != b->dtype || a->rank != b->rank)
		return false;
	for (uint32_t i = 0; i < a->rank && i < CDL_MAX_RANK; i++)
		if (a->dims[i] != b->dims[i])
			return false;
	return true;
}
