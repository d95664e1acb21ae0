/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan: the optimised graph, its static memory plan and its weights, as
 * one versioned little-endian byte stream (docs/plan-format.md). The provider
 * writes it (src/provider/plan_writer.c), the encrypted package carries it,
 * the engine reads it here with every offset, count and size bounds-checked.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_PLAN_H
#define CDL_ENGINE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "op.h"
#include "tensor.h"

#define CDL_PLAN_MAGIC "CDLPLAN\0"
#define CDL_PLAN_VERSION 1u
/* Constants and the arena offsets are aligned to this, for SIMD kernels. */
#define CDL_PLAN_ALIGN 64u

typedef enum cdl_plan_tensor_kind {
	CDL_PLAN_ACTIVATION = 0, /* lives in the activation arena at offset */
	CDL_PLAN_CONSTANT = 1,   /* lives in the weights section at offset */
} cdl_plan_tensor_kind;

/*
 * Byte layout of a constant in the weights section. Only PLAIN (ONNX's
 * row-major order of desc.dims) exists in version 1; the other values are
 * reserved for weights pre-packed into a kernel's layout, which the reader
 * rejects with CDL_ERR_UNSUPPORTED until a kernel understands them.
 */
#define CDL_PLAN_LAYOUT_PLAIN 0u

typedef struct cdl_plan_tensor {
	const char *name;
	cdl_tensor desc; /* dtype, rank, dims; desc.data == NULL */
	uint32_t kind;   /* cdl_plan_tensor_kind */
	uint64_t offset; /* into the arena or the weights section */
	uint64_t size;   /* bytes (== cdl_tensor_nbytes(&desc)) */
	uint32_t layout; /* CDL_PLAN_LAYOUT_*; PLAIN for activations */
	/* Set by the reader, for a streaming engine (DESIGN §6): how many node
	 * inputs name this tensor (saturating), and whether a tensor attribute or
	 * the graph's outputs name it (such a constant is always kept resident). */
	uint32_t n_uses;
	bool attr_or_output;
} cdl_plan_tensor;

typedef struct cdl_plan {
	uint32_t version;
	uint32_t n_tensors, n_nodes, n_inputs, n_outputs;
	const cdl_plan_tensor *tensors;
	const cdl_node *nodes; /* in execution order */
	const uint32_t *inputs, *outputs; /* graph inputs/outputs (activation tensors) */
	uint64_t arena_size;   /* bytes of the activation arena */
	uint64_t workspace_size; /* largest scratch any node's execute needs */
	const uint8_t *weights; /* points into the plan buffer given to cdl_plan_parse;
				   NULL from cdl_plan_parse_tables */
	uint64_t weights_size;
	/* The tensors of TENSOR attributes (attr.v.t points into this array) and,
	 * for each, the index of its constant in tensors[] (for an engine that
	 * binds their bytes itself). */
	const cdl_tensor *attr_tensors;
	const uint32_t *attr_tensor_ids;
	uint32_t n_attr_tensors;
} cdl_plan;

/*
 * Bump allocator over a caller-provided buffer: the engine's only source of
 * memory (a TA has a fixed heap; the engine never calls malloc).
 */
typedef struct cdl_arena {
	uint8_t *base;
	size_t size;
	size_t used;
} cdl_arena;

void cdl_arena_init(cdl_arena *a, void *mem, size_t size);
/* NULL when exhausted; align is a power of two. */
void *cdl_arena_alloc(cdl_arena *a, size_t size, size_t align);

/*
 * Parses buf[0..len) into a cdl_plan allocated from a. Strings, node and tensor
 * tables are copied into a; weights stay in buf, which must outlive the plan
 * and be CDL_PLAN_ALIGN-aligned. Checks every count, offset and size against
 * len and the arena; shape consistency is checked by cdl_engine_create.
 * Returns CDL_ERR_MALFORMED (message in msg) for anything out of bounds.
 */
cdl_status cdl_plan_parse(const uint8_t *buf, size_t len, cdl_arena *a, const cdl_plan **out,
			  char *msg, size_t msg_size) __attribute__((warn_unused_result));

/*
 * Streaming (DESIGN §6): the TA decrypts only the plan's tables (the stream
 * prefix before the weights section) and fetches weights on demand.
 * cdl_plan_tables_size reads the plan header at buf[0..len) (len >= the
 * header size) and tells how many leading bytes hold everything but the
 * weights (the end of the last non-weights section; the header itself is
 * checked as cdl_plan_parse checks it, except that total_size may exceed
 * len). cdl_plan_parse_tables parses such a prefix (len >= that size; buf
 * needs no alignment): plan->weights is NULL, tensor attributes' data is
 * NULL, and every constant's offset/size is checked against the declared
 * weights section instead of the buffer. Same errors as cdl_plan_parse, plus
 * CDL_ERR_MALFORMED for a prefix shorter than the tables.
 */
cdl_status cdl_plan_tables_size(const uint8_t *buf, size_t len, size_t *tables_size, char *msg,
				size_t msg_size) __attribute__((warn_unused_result));
cdl_status cdl_plan_parse_tables(const uint8_t *buf, size_t len, cdl_arena *a,
				 const cdl_plan **out, char *msg, size_t msg_size)
	__attribute__((warn_unused_result));

#endif /* CDL_ENGINE_PLAN_H */
