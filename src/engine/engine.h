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
#include "op.h"
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
 * n inferences in one call (DESIGN §6.3): inputs holds n * n_inputs tensors,
 * item after item (item b's input i at inputs[b * n_inputs + i]), outputs
 * n * n_outputs likewise; each as for cdl_engine_run. 1 <= n <= the engine's
 * max_batch (cdl_engine_options), CDL_ERR_INVALID_ARGUMENT otherwise (or for
 * any item's tensor, before anything runs). With streamed constants the run
 * goes node by node: each node's streamed constants (each tile's rows, for a
 * tiled node) are fetched once, then the node runs for every item, each item
 * in its own activation arena; so a batch fetches what one cdl_engine_run
 * does (stats.fetched_bytes_last_run counts the whole batch). Without
 * (resident) the items run one after another. Every item's outputs are
 * bit-identical to a cdl_engine_run of that item. A failed fetch stops the
 * batch with its status (no output is complete); the engine stays usable.
 * The hook is called around each node once for the whole batch when it runs
 * node by node, once per item otherwise.
 */
cdl_status cdl_engine_run_batch(cdl_engine *e, uint32_t n, const cdl_tensor *inputs,
				uint32_t n_inputs, cdl_tensor *outputs, uint32_t n_outputs,
				char *msg, size_t msg_size) __attribute__((warn_unused_result));

/*
 * Optional per-node timing hook (cdl bench --profile): called with the node's
 * index just before (after == 0) and just after (after == 1) each node runs.
 * The engine has no clock of its own. hook == NULL removes it.
 */
typedef void (*cdl_engine_node_hook)(void *arg, uint32_t node_index, int after);
void cdl_engine_set_hook(cdl_engine *e, cdl_engine_node_hook hook, void *arg);

const cdl_plan *cdl_engine_plan(const cdl_engine *e);

/* --- weights streamed from outside the engine's memory (DESIGN §6) -------- */

/*
 * Copies size bytes of the plan's weights section, starting at offset, into
 * dst. In the TA this decrypts the package blocks that hold the range. It
 * may fail (a tampered block): the engine stops and returns its status.
 * Per node, the engine asks for its whole streamed constants in increasing
 * offset order, neighbours (64-byte padding apart) in one call; then, for a
 * tiled node, tile by tile its weight rows and its bias rows (both moving
 * forward). A fetcher that keeps its last decrypted block(s) avoids
 * decrypting a block twice in a row.
 */
typedef cdl_status (*cdl_weight_fetch_fn)(void *arg, uint64_t offset, uint64_t size, void *dst);

typedef struct cdl_engine_options {
	/* NULL: every constant is in plan->weights (resident in the plan buffer). */
	cdl_weight_fetch_fn fetch;
	void *fetch_arg;
	/* With fetch: bytes of constants the engine may keep resident in its
	 * arena (fetched once at create); it picks the set that minimises the
	 * bytes fetched per run (greedy by size x uses, largest first).
	 * 0: stream every constant; SIZE_MAX: all. Outside the budget, always
	 * resident: tensor attributes, graph outputs, constants of <= 256 bytes
	 * and int32/int64/bool constants of <= 4 KiB (shapes, axes: some ops'
	 * infer reads them at create); stats.resident_bytes counts them too. */
	size_t resident_budget;
	/* With fetch: bytes of the buffer streamed constants are fetched into
	 * just before the node that uses them runs. A node whose streamed
	 * weights do not fit is run in tiles of output channels (Conv, Gemm with
	 * transB=1; CDL_ERR_SECURE_MEMORY naming the node and the smallest
	 * buffer it runs in when it cannot be). 0: sized to the largest node
	 * (no tiling). Never larger than the largest node needs. */
	size_t stream_buffer;
	/* Cap on the op workspace (0: none), for tight secure heaps: Conv, Gemm
	 * and MatMul then run with smaller GEMM blocks (same results, slower);
	 * at least CDL_GEMM_WORKSPACE_MIN (8 KiB) for them; another op needing
	 * more than the cap fails create with CDL_ERR_SECURE_MEMORY. Applies
	 * without fetch too. */
	size_t max_workspace;
	/* The most items cdl_engine_run_batch takes (0 or 1: one). With
	 * streamed constants the engine reserves max_batch activation arenas
	 * (the activation arena only: the workspace, the stream buffer and the
	 * resident constants are shared), so that memory_needed_ex grows by
	 * (max_batch - 1) x the arena rounded up to 64 bytes. Without streamed
	 * constants (no fetch, or all of them resident) the items of a batch run
	 * one after another in the one arena: nothing more is reserved. */
	uint32_t max_batch;
	/* Worker threads the ops may use (NULL, or workers <= 1: none). Each
	 * worker gets a workspace of its own, so memory_needed_ex grows by
	 * (workers - 1) x the workspace rounded up to 64 bytes. Outputs are
	 * bit-identical whatever the workers. Must stay valid for the engine's
	 * life. */
	const cdl_parallel *parallel;
} cdl_engine_options;

typedef struct cdl_engine_stats {
	uint64_t arena_bytes;         /* activation arena */
	uint64_t workspace_bytes;     /* op workspace (after max_workspace) */
	uint64_t resident_bytes;      /* constants held in engine memory (fetch mode) */
	uint64_t stream_buffer_bytes; /* buffer streamed constants go through */
	uint64_t fetched_bytes_last_run; /* bytes fetched by the last cdl_engine_run,
					  * or the last cdl_engine_run_batch (whole batch) */
	uint32_t tiled_nodes;         /* nodes run in output-channel tiles */
	uint32_t fetch_calls_last_run; /* fetch callbacks made by the last run / batch */
	uint64_t streamed_bytes;      /* bytes every run, and every batch, fetches
				       * (= fetched_bytes_last_run) */
	uint64_t engine_bytes;        /* everything cdl_engine_create_ex took from its arena */
	uint32_t max_batch;           /* the most items cdl_engine_run_batch takes (>= 1) */
	uint32_t batch_arenas;        /* activation arenas reserved (1, or max_batch when
				       * something is streamed); arena_bytes is one of them */
	uint32_t workers;             /* threads the ops may use (>= 1); workspace_bytes
				       * is one worker's */
} cdl_engine_stats;

/*
 * Like cdl_engine_memory_needed / cdl_engine_create, with options (NULL =
 * resident). create_ex takes at most what memory_needed_ex says (it counts
 * the worst-case alignment padding; stats.engine_bytes is what it took) and
 * fails with CDL_ERR_OUT_OF_MEMORY, taking nothing, when the arena has less
 * left. In fetch mode create_ex fetches the resident constants (a failed
 * fetch fails create with its status) and a plan from cdl_plan_parse_tables
 * is accepted; without fetch, plan->weights must be there
 * (CDL_ERR_INVALID_ARGUMENT otherwise).
 */
cdl_status cdl_engine_memory_needed_ex(const cdl_plan *plan, const cdl_engine_options *opts,
				       size_t *bytes, char *msg, size_t msg_size)
	__attribute__((warn_unused_result));
cdl_status cdl_engine_create_ex(const cdl_plan *plan, const cdl_engine_options *opts, cdl_arena *a,
				cdl_engine **out, char *msg, size_t msg_size)
	__attribute__((warn_unused_result));
void cdl_engine_get_stats(const cdl_engine *e, cdl_engine_stats *stats);

/*
 * Auto mode (DESIGN §6.3): options for fetch/fetch_arg with which the engine
 * takes at most budget bytes (*bytes: what it will take). Everything
 * resident when that fits; else a stream buffer as large as the largest node
 * needs, up to 1 MiB, the GEMM workspace capped (128, 64, 32 KiB) to make
 * room for it; if that does not fit either, the smallest buffer every node
 * can be tiled into, grown by what is left (the workspace at 32 KiB, 8 KiB
 * if need be); the rest of the budget for resident constants. The budget is the
 * engine's own share: the caller keeps what it needs besides (parsed plan
 * tables, package reader). CDL_ERR_SECURE_MEMORY when streaming everything
 * does not fit either: msg says how many bytes the engine needs.
 */
cdl_status cdl_engine_options_for_budget(const cdl_plan *plan, size_t budget,
					 cdl_weight_fetch_fn fetch, void *fetch_arg,
					 cdl_engine_options *opts, size_t *bytes, char *msg,
					 size_t msg_size) __attribute__((warn_unused_result));

/*
 * The same for a caller that runs batches of want_batch items (0 counts as
 * 1): it also picks opts->max_batch <= want_batch. Everything resident when
 * that fits (opts->max_batch = want_batch: a resident engine needs no more
 * arena for it). Else, for each max_batch k worth trying, the streaming
 * options as above with k activation arenas taken first, and it keeps the k
 * that decrypts the fewest bytes per inference for a batch of want_batch
 * items run as ceil(want_batch / k) calls: ceil(want_batch / k) x the bytes
 * streamed per run, the fewer arenas on a tie. cdl_engine_options_for_budget
 * is this with want_batch 1. CDL_ERR_SECURE_MEMORY as above when even k = 1
 * does not fit.
 */
cdl_status cdl_engine_options_for_budget_batch(const cdl_plan *plan, size_t budget,
					       uint32_t want_batch, cdl_weight_fetch_fn fetch,
					       void *fetch_arg, cdl_engine_options *opts,
					       size_t *bytes, char *msg, size_t msg_size)
	__attribute__((warn_unused_result));

#endif /* CDL_ENGINE_ENGINE_H */
