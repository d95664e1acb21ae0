/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Provider pipeline: ONNX model -> graph -> passes -> memory plan -> plan bytes.
 */
#ifndef CDL_PROVIDER_PROVIDER_H
#define CDL_PROVIDER_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "graph.h"

/* An input shape given by the user (--input-shape name=1,3,224,224). */
typedef struct cdl_input_shape {
	const char *name;
	uint32_t rank;
	int64_t dims[CDL_MAX_RANK];
} cdl_input_shape;

/*
 * Parses an ONNX ModelProto (protobuf-c, generated from onnx.proto) into a
 * graph. Graph inputs that are initializers become constants. Symbolic or
 * unknown input dims are taken from shapes (matched by name); a dim left
 * unknown is an error naming the input. Only the default ONNX domain (and
 * ai.onnx) ops are accepted; other domains give CDL_ERR_UNSUPPORTED.
 * msg receives one line on failure.
 */
cdl_status cdl_onnx_import(const uint8_t *buf, size_t len, const cdl_input_shape *shapes,
			   uint32_t n_shapes, cdl_graph **out, char *msg, size_t msg_size);
cdl_status cdl_onnx_import_file(const char *path, const cdl_input_shape *shapes,
				uint32_t n_shapes, cdl_graph **out, char *msg, size_t msg_size);
/*
 * protobuf-c unpacks nested messages recursively: call this before
 * onnx__model_proto__unpack on untrusted bytes. CDL_ERR_MALFORMED if messages
 * nest deeper than any real model (a crafted file would exhaust the stack).
 * cdl_onnx_import calls it itself.
 */
cdl_status cdl_onnx_check_nesting(const uint8_t *buf, size_t len, char *msg, size_t msg_size);

/*
 * Runs every pass in order: shape inference, constant folding (incl. If with
 * constant condition), Identity/Dropout removal, BatchNorm folding into
 * Conv/Gemm, HardSwish recognition, activation fusion, dead-node removal.
 * CDL_ERR_UNSUPPORTED names the first op (or attribute) the engine cannot run.
 */
cdl_status cdl_optimize(cdl_graph *g, char *msg, size_t msg_size);

/* Individual passes (one per file in passes/), for tests. */
cdl_status cdl_pass_infer_shapes(cdl_graph *g, char *msg, size_t msg_size);
cdl_status cdl_pass_fold_constants(cdl_graph *g, char *msg, size_t msg_size);
cdl_status cdl_pass_remove_identity(cdl_graph *g, char *msg, size_t msg_size);
cdl_status cdl_pass_fold_batchnorm(cdl_graph *g, char *msg, size_t msg_size);
cdl_status cdl_pass_fuse_activations(cdl_graph *g, char *msg, size_t msg_size);
/* Mul(x, HardSigmoid(x; 1/6, 0.5)) -> HardSwish(x); runs before fuse_activations. */
cdl_status cdl_pass_fuse_hardswish(cdl_graph *g, char *msg, size_t msg_size);
/* MatMul / Gemm with a constant [K,N] B -> Gemm transB=1 (tileable when streamed). */
cdl_status cdl_pass_canonicalize(cdl_graph *g, char *msg, size_t msg_size);

/*
 * Static memory plan: assigns every non-constant tensor an offset in one
 * activation arena by liveness (a tensor's bytes are reused once its last
 * consumer has run), CDL_PLAN_ALIGN-aligned. Sets g->arena_size.
 */
cdl_status cdl_plan_memory(cdl_graph *g, char *msg, size_t msg_size);

/*
 * Serialises a planned graph to plan bytes (docs/plan-format.md); *out is
 * malloc'd, caller frees.
 */
cdl_status cdl_plan_write(const cdl_graph *g, uint8_t **out, size_t *out_len, char *msg,
			  size_t msg_size);

/* import + optimize + plan + write in one call. */
cdl_status cdl_compile_onnx_file(const char *path, const cdl_input_shape *shapes,
				 uint32_t n_shapes, uint8_t **plan, size_t *plan_len, char *msg,
				 size_t msg_size);

/* True if op_type is an operator of the default ONNX domain (onnx_ops.c). */
bool cdl_onnx_is_operator(const char *op_type);

/* --- ONNX tensors (onnx_tensor.c) --------------------------------------- */

/*
 * Converts an unpacked Onnx__TensorProto (passed as void * so this header
 * does not need the generated protobuf-c header) into out; out->data is
 * malloc'd (at least one byte, even for an empty tensor). raw_data and the
 * typed fields are both accepted; CDL_ERR_UNSUPPORTED names a dtype cdl lacks.
 */
cdl_status cdl_onnx_tensor_from_proto(const void *tensor_proto, cdl_tensor *out, char *msg,
				      size_t msg_size);
/* Parses a serialised TensorProto (a test's input_0.pb); *name is malloc'd. */
cdl_status cdl_onnx_parse_tensor(const uint8_t *buf, size_t len, char **name, cdl_tensor *out,
				 char *msg, size_t msg_size);
/* Names of the model's real inputs (graph inputs that are not initializers);
 * *names and each string are malloc'd. */
cdl_status cdl_onnx_input_names(const uint8_t *buf, size_t len, char ***names, uint32_t *n,
				char *msg, size_t msg_size);

#endif /* CDL_PROVIDER_PROVIDER_H */
