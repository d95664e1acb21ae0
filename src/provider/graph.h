/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider-side model graph: what ONNX import produces, the passes
 * rewrite, the memory planner annotates and the plan writer serialises.
 * Normal-world code: uses malloc and libc freely.
 *
 * Nodes reuse the engine's cdl_node so that the passes can call the engine's
 * own op infer/execute (one implementation of each op's semantics, used for
 * shape inference, constant folding and execution alike). Everything a node
 * or tensor points to is owned by the graph (malloc'd) and freed by
 * cdl_graph_free; the const in cdl_node is only the engine's view.
 */
#ifndef CDL_PROVIDER_GRAPH_H
#define CDL_PROVIDER_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "engine/op.h"
#include "engine/tensor.h"

typedef struct cdl_gtensor {
	char *name;
	/* dtype/rank/dims once known; data != NULL (malloc'd, owned) for constants */
	cdl_tensor t;
	bool shape_known;
	bool is_const;
	/* memory plan: offset in the activation arena, or -1 (constants, unplanned) */
	int64_t arena_offset;
} cdl_gtensor;

struct cdl_gbranch;

typedef struct cdl_gnode {
	cdl_node n; /* op_type, name, opset, inputs, outputs, attrs (all owned) */
	bool dead;  /* removed by a pass; compacted by cdl_graph_compact */
	/* If only: [0] then_branch, [1] else_branch (owned); NULL for other ops.
	 * fold_constants inlines the taken branch when the condition is constant. */
	struct cdl_gbranch *branches;
} cdl_gnode;

/*
 * A subgraph of an If node. Its nodes index the enclosing cdl_graph's tensor
 * table (import gives subgraph-local tensors unique names there), so a branch
 * can use outer tensors directly and inlining needs no renaming.
 */
typedef struct cdl_gbranch {
	cdl_gnode *nodes; /* topological order */
	uint32_t n_nodes;
	uint32_t *outputs; /* the branch's outputs, matching the If node's */
	uint32_t n_outputs;
} cdl_gbranch;

typedef struct cdl_graph {
	cdl_gtensor *tensors;
	uint32_t n_tensors, cap_tensors;
	cdl_gnode *nodes; /* topological order */
	uint32_t n_nodes, cap_nodes;
	uint32_t *inputs; /* graph inputs (non-constant), in ONNX order */
	uint32_t n_inputs;
	uint32_t *outputs;
	uint32_t n_outputs;
	uint32_t opset;       /* default-domain opset of the model */
	uint64_t arena_size;  /* set by the memory planner */
} cdl_graph;

cdl_graph *cdl_graph_new(void);
void cdl_graph_free(cdl_graph *g);

/* Index of the tensor called name, or CDL_NO_TENSOR. */
uint32_t cdl_graph_find_tensor(const cdl_graph *g, const char *name);
/* Adds a tensor (name copied); returns its index or CDL_NO_TENSOR on OOM. */
uint32_t cdl_graph_add_tensor(cdl_graph *g, const char *name);
/* Adds a node; op_type/name copied, inputs/outputs copied, attrs deep-copied. */
cdl_status cdl_graph_add_node(cdl_graph *g, const char *op_type, const char *name,
			      uint32_t opset, const uint32_t *inputs, uint32_t n_inputs,
			      const uint32_t *outputs, uint32_t n_outputs,
			      const cdl_attr *attrs, uint32_t n_attrs);
/* Deep copy of one attribute into malloc'd memory (for passes). */
cdl_status cdl_attr_clone(const cdl_attr *src, cdl_attr *dst);
void cdl_attr_release(cdl_attr *a);
/* Sets/replaces an attribute on a node (deep copy). */
cdl_status cdl_gnode_set_attr(cdl_gnode *node, const cdl_attr *attr);

/* Drops dead nodes and tensors no node or graph output references, renumbering. */
cdl_status cdl_graph_compact(cdl_graph *g);

/* Number of nodes consuming tensor t (plus 1 if t is a graph output). Nodes
 * inside the branches of a live If count too. */
uint32_t cdl_graph_use_count(const cdl_graph *g, uint32_t t);

/*
 * Shape inference of one node with the engine's op infer: sets dtype/rank/dims
 * and shape_known of its outputs (and *workspace_size, if not NULL). Its
 * inputs' shapes must be known. CDL_ERR_UNSUPPORTED "op X (opset N) is not
 * supported" for an op the engine lacks; the op's own message otherwise.
 */
cdl_status cdl_graph_infer_node(cdl_graph *g, cdl_gnode *node, size_t *workspace_size,
				char *msg, size_t msg_size);

#endif /* CDL_PROVIDER_GRAPH_H */
