/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The executor: runs a parsed plan in memory the caller provides. The same
 * code runs inside the TA and in the normal world (plain baseline).
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_ENGINE_H
#define CDL_ENGINE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "plan.h"
#include "tensor.h"

typedef struct cdl_engine cdl_engine;

/*
 * Bytes cdl_engine_create needs from its arena for this plan: the activation
 * arena, the largest op workspace (as recorded in the plan) and the engine's
 * bookkeeping. Cheap: it does not run infer (that needs memory of its own);
 * cdl_engine_create does, and refuses a plan whose recorded shapes or
 * workspace size disagree. On failure returns the status and explains in msg.
 */
cdl_status cdl_engine_memory_needed(const cdl_plan *plan, size_t *bytes, char *msg,
				    size_t msg_size) __attribute__((warn_unused_result));

/*
 * Binds plan (weights included; they must stay valid) to memory from a.
 * Verifies every node: the op exists, its infer accepts the recorded input
 * shapes and produces exactly the recorded output shapes, every activation
 * lies inside the arena. CDL_ERR_UNSUPPORTED for an unknown op,
 * CDL_ERR_MALFORMED for inconsistent shapes, CDL_ERR_SECURE_MEMORY /
 * CDL_ERR_OUT_OF_MEMORY when a is too small (msg says how much is needed).
 */
cdl_status cdl_engine_create(const cdl_plan *plan, cdl_arena *a, cdl_engine **out, char *msg,
			     size_t msg_size) __attribute__((warn_unused_result));

/*
 * One inference. inputs[i] must match plan input i's dtype and shape exactly
 * (CDL_ERR_INVALID_ARGUMENT otherwise); outputs[i].data must point to at
 * least the output's byte size; the engine fills their dtype/rank/dims.
 */
cdl_status cdl_engine_run(cdl_engine *e, const cdl_tensor *inputs, uint32_t n_inputs,
			  cdl_tensor *outputs, uint32_t n_outputs, char *msg, size_t msg_size)
	__attribute__((warn_unused_result));

/*
 * Optional per-node timing hook (cdl bench --profile): called with the node's
 * index just before (after == 0) and just after (after == 1) each node runs.
 * The engine has no clock of its own. hook == NULL removes it.
 */
typedef void (*cdl_engine_node_hook)(void *arg, uint32_t node_index, int after);
void cdl_engine_set_hook(cdl_engine *e, cdl_engine_node_hook hook, void *arg);

const cdl_plan *cdl_engine_plan(const cdl_engine *e);

#endif /* CDL_ENGINE_ENGINE_H */
