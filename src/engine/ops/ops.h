/* SPDX-License-Identifier: Apache-2.0 */
/* Op family tables, one per ops/<family>.c; listed in ops/registry.c. */
#ifndef CDL_ENGINE_OPS_H
#define CDL_ENGINE_OPS_H

#include "../op.h"

extern const cdl_op_def cdl_ops_conv[];
extern const cdl_op_def cdl_ops_conv_transpose[];
extern const cdl_op_def cdl_ops_gemm[];
extern const cdl_op_def cdl_ops_elementwise[];
extern const cdl_op_def cdl_ops_activation[];
extern const cdl_op_def cdl_ops_softmax[];
extern const cdl_op_def cdl_ops_reduce[];
extern const cdl_op_def cdl_ops_normalization[];
extern const cdl_op_def cdl_ops_pool[];
extern const cdl_op_def cdl_ops_shape[];
extern const cdl_op_def cdl_ops_transpose[];
extern const cdl_op_def cdl_ops_concat_split[];
extern const cdl_op_def cdl_ops_slice[];
extern const cdl_op_def cdl_ops_pad[];
extern const cdl_op_def cdl_ops_resize[];
extern const cdl_op_def cdl_ops_gather[];
extern const cdl_op_def cdl_ops_cast[];
extern const cdl_op_def cdl_ops_generate[];

#endif /* CDL_ENGINE_OPS_H */
