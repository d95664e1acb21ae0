/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-place pooling: the one rule the memory planner (src/provider/
 * memory_plan.c) and cdl_engine_create share, so that the plan may place a
 * pool's output over its input exactly when the kernel is safe that way.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_OPS_POOL_H
#define CDL_ENGINE_OPS_POOL_H

#include <stdbool.h>

#include "../op.h"

/*
 * True when node (MaxPool or AveragePool, one input, one output; any other
 * node gives false) with input x and output y, shaped as given, may write y
 * at the very address of x: its attributes and shapes pass infer, y is what
 * infer derives, and every output row is written only after the kernel has
 * read every input element a later row needs (the proof is in pool.c).
 */
bool cdl_pool_in_place_ok(const cdl_node *node, const cdl_tensor *x, const cdl_tensor *y);

#endif /* CDL_ENGINE_OPS_POOL_H */
