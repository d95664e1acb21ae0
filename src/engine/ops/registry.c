// SPDX-License-Identifier: Apache-2.0
/*
 * The operator registry: every op family file (ops/<family>.c) exports a
 * table cdl_ops_<family>[] ending with an entry whose op_type is NULL.
 */
#include <string.h>

#include "../op.h"
#include "ops.h"

static const cdl_op_def *const families[] = {
	cdl_ops_conv,
	cdl_ops_conv_transpose,
	cdl_ops_gemm,
	cdl_ops_elementwise,
	cdl_ops_activation,
	cdl_ops_softmax,
	cdl_ops_reduce,
	cdl_ops_normalization,
	cdl_ops_pool,
	cdl_ops_shape,
	cdl_ops_transpose,
	cdl_ops_concat_split,
	cdl_ops_slice,
	cdl_ops_pad,
	cdl_ops_resize,
	cdl_ops_gather,
	cdl_ops_cast,
	cdl_ops_generate,
};

const cdl_op_def *cdl_op_find(const char *op_type)
{
	if (!op_type)
		return NULL;
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const cdl_op_def *d = families[f]; d->op_type; d++)
			if (strcmp(d->op_type, op_type) == 0)
				return d;
	return NULL;
}

void cdl_op_foreach(void (*fn)(const cdl_op_def *def, void *arg), void *arg)
{
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const cdl_op_def *d = families[f]; d->op_type; d++)
			fn(d, arg);
}
