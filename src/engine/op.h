/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator interface. One ONNX operator (family) per file in ops/; each
 * file exports a table of cdl_op_def that ops/registry.c lists.
 *
 * An operator has two functions, used on both sides of the product:
 *   infer   - from the input tensors' dtype/shape (and the data of inputs that
 *             are constants, e.g. Reshape's shape) computes the outputs'
 *             dtype/shape and the scratch bytes execute needs. Pure, may fail
 *             with a message. The provider calls it for shape inference and
 *             constant folding; the engine calls it again at load to check
 *             every shape recorded in the plan (so a plan cannot make a kernel
 *             read or write out of bounds).
 *   execute - computes outputs from inputs. Never allocates; the only memory
 *             it may touch is its tensors and ctx->workspace. Returns an error
 *             only for data-dependent failures (e.g. a Gather index out of
 *             range), never crashes.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_OP_H
#define CDL_ENGINE_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "tensor.h"

/* Attribute types: values are ONNX AttributeProto.AttributeType's. */
typedef enum cdl_attr_type {
	CDL_ATTR_FLOAT = 1,
	CDL_ATTR_INT = 2,
	CDL_ATTR_STRING = 3,
	CDL_ATTR_TENSOR = 4,
	CDL_ATTR_FLOATS = 6,
	CDL_ATTR_INTS = 7,
} cdl_attr_type;

typedef struct cdl_attr {
	const char *name;
	uint32_t type;  /* cdl_attr_type */
	uint32_t count; /* elements of floats/ints; bytes of a string (not NUL-counted) */
	union {
		float f;
		int64_t i;
		const char *s; /* NUL-terminated as well */
		const float *floats;
		const int64_t *ints;
		const cdl_tensor *t; /* t->data holds the values */
	} v;
} cdl_attr;

/* Tensor index meaning "optional input not given". */
#define CDL_NO_TENSOR UINT32_MAX

typedef struct cdl_node {
	const char *op_type; /* ONNX op type, e.g. "Conv" */
	const char *name;    /* for messages and profiles; may be "" */
	uint32_t opset;      /* opset version of the op's domain (ONNX default domain) */
	uint32_t n_inputs, n_outputs, n_attrs;
	const uint32_t *inputs; /* tensor indices; CDL_NO_TENSOR for absent optional */
	const uint32_t *outputs;
	const cdl_attr *attrs;
} cdl_node;

/*
 * Parallel execution, optional. The engine has no threads of its own (DESIGN
 * §3: the TA may have none); whoever runs it may lend it some. run() calls
 * fn(arg, task, worker) once for every task < n_tasks, on any of `workers`
 * threads at once (worker < workers names the thread: per-worker scratch),
 * and returns when every call has. The caller's thread takes part.
 * Ops split work so that every output element is computed by exactly the
 * code and in the order one thread would use: results are bit-identical
 * whatever the number of workers.
 */
typedef void (*cdl_task_fn)(void *arg, uint32_t task, uint32_t worker);

typedef struct cdl_parallel {
	void (*run)(void *pool, cdl_task_fn fn, void *arg, uint32_t n_tasks);
	void *pool;
	uint32_t workers; /* >= 1 */
	/* Least multiply-adds worth a task of their own (0: CDL_PAR_MIN_WORK);
	 * tests set 1 to split even the smallest jobs. */
	size_t min_work;
} cdl_parallel;

/* Below this many multiply-adds, handing a task to another thread costs more
 * than it saves (a wake-up is ~1 us; 64 K FMAs are ~5-20 us). */
#define CDL_PAR_MIN_WORK ((size_t)64 * 1024)

/* Tasks worth splitting `work` multiply-adds into: at most the workers and
 * max_tasks, at least 1. */
static inline uint32_t cdl_par_tasks(const cdl_parallel *par, size_t work, size_t max_tasks)
{
	const size_t min = par && par->min_work ? par->min_work : CDL_PAR_MIN_WORK;
	size_t t = par && par->workers > 1 ? par->workers : 1;

	if (work / min < t)
		t = work / min;
	if (max_tasks < t)
		t = max_tasks;
	return t ? (uint32_t)t : 1u;
}

typedef struct cdl_op_ctx {
	const cdl_node *node;
	uint32_t n_inputs, n_outputs;
	/* inputs[i] is NULL for an absent optional input. In infer, data is
	 * non-NULL only for constant inputs. */
	cdl_tensor *const *inputs;
	/* infer fills dtype, rank, dims; in execute, data points to the output.
	 * An optional output that is not wanted is absent: outputs[k] == NULL or
	 * k >= n_outputs. Outputs never overlap inputs or each other (the memory
	 * planner guarantees it and cdl_engine_create checks it), so kernels may
	 * assume no aliasing -- with one exception: a downsampling pool may be
	 * placed over its dying input when ops/pool.h cdl_pool_in_place_ok says
	 * its kernel reads every input element before writing over it. */
	cdl_tensor *const *outputs;
	/* infer sets the scratch bytes execute needs (0 by default); execute gets
	 * a 64-byte-aligned buffer of that size here. */
	size_t workspace_size;
	void *workspace;
	/* Worker threads execute may use (NULL: one), see cdl_op_parallel. Worker
	 * w has its own workspace_size bytes at workspace + w * workspace_stride
	 * (worker 0's is workspace). */
	const cdl_parallel *par;
	size_t workspace_stride;
	/* Where infer/execute explain a failure (cdl_op_fail). May be NULL. */
	char *msg;
	size_t msg_size;
} cdl_op_ctx;

typedef struct cdl_op_def {
	const char *op_type;
	cdl_status (*infer)(cdl_op_ctx *ctx);
	cdl_status (*execute)(cdl_op_ctx *ctx);
} cdl_op_def;

/* The registry (ops/registry.c): NULL if op_type is not implemented. */
const cdl_op_def *cdl_op_find(const char *op_type);
/* Calls fn for every registered op (for docs and coverage reports). */
void cdl_op_foreach(void (*fn)(const cdl_op_def *def, void *arg), void *arg);

/*
 * Runs fn(arg, task, worker) for task < n_tasks on ctx's workers, or one
 * after another on this thread (worker 0) when it has none or n_tasks <= 1.
 */
void cdl_op_parallel(const cdl_op_ctx *ctx, cdl_task_fn fn, void *arg, uint32_t n_tasks);

/* Worker w's workspace (see cdl_op_ctx.par). */
static inline void *cdl_op_workspace(const cdl_op_ctx *ctx, uint32_t worker)
{
	return (char *)ctx->workspace + (size_t)worker * ctx->workspace_stride;
}

/* How many workers execute may use (>= 1). */
static inline uint32_t cdl_op_workers(const cdl_op_ctx *ctx)
{
	return ctx->par && ctx->par->workers > 1 ? ctx->par->workers : 1;
}

/* --- attribute access (attr.c) ------------------------------------------ */

const cdl_attr *cdl_attr_find(const cdl_node *node, const char *name);
int64_t cdl_attr_int(const cdl_node *node, const char *name, int64_t dflt);
float cdl_attr_float(const cdl_node *node, const char *name, float dflt);
/* NUL-terminated string, or dflt. */
const char *cdl_attr_string(const cdl_node *node, const char *name, const char *dflt);
/* Pointer to the list and its length in *count, or NULL (and *count = 0). */
const int64_t *cdl_attr_ints(const cdl_node *node, const char *name, uint32_t *count);
const float *cdl_attr_floats(const cdl_node *node, const char *name, uint32_t *count);
bool cdl_attr_streq(const char *a, const char *b);

/* --- messages (fmt.c) ---------------------------------------------------- */

/*
 * printf subset for freestanding code: %s %c %d %i %u %ld %lu %lld %llu %zu
 * %zd %x %g(printed as %.6g-ish) %%. Always NUL-terminates when size > 0.
 * Returns the number of characters written (excluding NUL).
 */
size_t cdl_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t cdl_vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap);

/*
 * Records "<op_type> <node name>: <message>" in ctx->msg and returns status.
 * Use as: return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "auto_pad=%s", s);
 */
cdl_status cdl_op_fail(cdl_op_ctx *ctx, cdl_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats "[d0,d1,...]" of t into buf (for messages). */
const char *cdl_shape_str(const cdl_tensor *t, char *buf, size_t size);

/* --- shared helpers for op implementations (op_util.c) -------------------- */

/* Normalises a possibly negative axis against rank; false if out of range. */
bool cdl_axis_normalize(int64_t axis, uint32_t rank, uint32_t *out);

/*
 * Multidirectional (numpy) broadcasting of a and b into out's dims. Returns
 * false if the shapes are not broadcastable. Sets out->rank and out->dims.
 */
bool cdl_broadcast_shape(const cdl_tensor *a, const cdl_tensor *b, cdl_tensor *out);

/* Reads element i of an integer tensor (I32, I64, U8, I8, BOOL) as int64. */
int64_t cdl_tensor_get_int(const cdl_tensor *t, size_t i);

/* --- fused activations ---------------------------------------------------- */

/*
 * The provider fuses a following activation into Conv, ConvTranspose, Gemm,
 * MatMul, Add and BatchNormalization by adding the attributes
 *   "cdl.act" (string: Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid,
 *              HardSwish, Tanh), "cdl.act_alpha", "cdl.act_beta" (floats).
 * Clip uses alpha = min, beta = max. Ops that accept them apply cdl_act_apply
 * to their output in their epilogue.
 */
typedef enum cdl_act_kind {
	CDL_ACT_NONE = 0,
	CDL_ACT_RELU,
	CDL_ACT_LEAKY_RELU, /* alpha */
	CDL_ACT_CLIP,       /* alpha = min, beta = max */
	CDL_ACT_SIGMOID,
	CDL_ACT_HARD_SIGMOID, /* alpha, beta */
	CDL_ACT_HARD_SWISH,
	CDL_ACT_TANH,
} cdl_act_kind;

typedef struct cdl_act {
	cdl_act_kind kind;
	float alpha, beta;
} cdl_act;

/* Reads the cdl.act attributes; CDL_ERR_UNSUPPORTED for an unknown name. */
cdl_status cdl_act_from_node(const cdl_node *node, cdl_act *act);
/* Applies act to x[0..n) in place. */
void cdl_act_apply(const cdl_act *act, float *x, size_t n);
/* Maps an ONNX activation op ("Relu", ...) with its attributes to a cdl_act;
 * false if the op cannot be fused. Used by the provider's fusion pass. */
bool cdl_act_from_onnx(const cdl_node *act_node, cdl_act *act);
const char *cdl_act_name(cdl_act_kind kind);

#endif /* CDL_ENGINE_OP_H */
