// SPDX-License-Identifier: Apache-2.0
/*
 * Conv, ConvTranspose, Gemm, MatMul and the GEMM micro-kernels, called
 * directly through their infer/execute:
 *  - small cases with hand-computed (ONNX backend test) outputs;
 *  - many random shapes against naive double-precision references, covering
 *    the depthwise, 1x1 and im2col paths, groups, dilations, strides,
 *    asymmetric pads, auto_pad, 1-D/2-D/3-D, fused activations and sizes
 *    past the GEMM's cache blocks; on the im2col path, the bits of the
 *    im2col GEMM with the same micro-kernel (which the AVX-512 direct 3x3
 *    kernels, stride 1 and 2, must reproduce), and split over 3 workers;
 *  - every GEMM micro-kernel variant against the scalar reference;
 *  - invalid attributes and shapes that infer must refuse.
 * Tolerance: |got - ref| <= 1e-5 * sum|terms| + 1e-6 (float32 accumulation
 * of the same terms in another order, or with FMA).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/conv.h"
#include "engine/kernels/gemm.h"
#include "engine/op.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* ---- deterministic random numbers ---------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Integer in [lo, hi]. */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static float rnd_f(void)
{
	return (float)((double)(rnd() % 20001) / 10000.0 - 1.0);
}

static float *rnd_buf(size_t n)
{
	float *p = malloc((n ? n : 1) * sizeof(float));

	for (size_t i = 0; i < n; i++)
		p[i] = rnd_f();
	return p;
}

/* ---- running one op ------------------------------------------------------- */

#define MAX_ATTRS 16

typedef struct op_run {
	const char *op_type;
	uint32_t opset;
	cdl_attr attrs[MAX_ATTRS];
	int64_t ints[MAX_ATTRS][12];
	uint32_t n_attrs;
	cdl_tensor in[3];
	bool present[3];
	uint32_t n_in;
	cdl_tensor out;
	void *ws;
	size_t ws_size;
	char msg[256];
} op_run;

static void run_init(op_run *r, const char *op_type)
{
	memset(r, 0, sizeof(*r));
	r->op_type = op_type;
	r->opset = 13;
}

static void set_input(op_run *r, uint32_t i, uint32_t rank, const int64_t *dims, float *data)
{
	cdl_tensor *t = &r->in[i];

	t->dtype = CDL_DTYPE_F32;
	t->rank = (uint8_t)rank;
	memcpy(t->dims, dims, sizeof(int64_t) * rank);
	t->data = data;
	r->present[i] = true;
	if (r->n_in < i + 1)
		r->n_in = i + 1;
}

static void attr_ints(op_run *r, const char *name, const int64_t *v, uint32_t n)
{
	cdl_attr *a = &r->attrs[r->n_attrs];

	memcpy(r->ints[r->n_attrs], v, sizeof(int64_t) * n);
	a->name = name;
	a->type = CDL_ATTR_INTS;
	a->count = n;
	a->v.ints = r->ints[r->n_attrs];
	r->n_attrs++;
}

static void attr_int(op_run *r, const char *name, int64_t v)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_INT;
	a->v.i = v;
}

static void attr_float(op_run *r, const char *name, float v)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_FLOAT;
	a->v.f = v;
}

static void attr_str(op_run *r, const char *name, const char *s)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_STRING;
	a->count = (uint32_t)strlen(s);
	a->v.s = s;
}

/*
 * A stand-in for a thread pool: runs the tasks one after another, last first,
 * each as a different worker than the serial order would pick -- any task
 * order and worker assignment must give the same bits.
 */
#define PAR_WORKERS 3

static void fake_par_run(void *pool, cdl_task_fn fn, void *arg, uint32_t n_tasks)
{
	(void)pool;
	for (uint32_t t = n_tasks; t-- > 0;)
		fn(arg, t, (PAR_WORKERS - 1) - t % PAR_WORKERS);
}

static const cdl_parallel fake_par = {fake_par_run, NULL, PAR_WORKERS, 1};

/*
 * Runs the op again split over PAR_WORKERS workers with the smallest tasks
 * allowed (each worker's workspace NaN-filled, the output too): the output
 * must be bit-identical to the serial run's.
 */
static void check_parallel(const cdl_op_def *def, cdl_op_ctx *ctx, op_run *r, size_t bytes)
{
	const size_t stride = (r->ws_size + 63) / 64 * 64;
	float *serial = malloc(bytes);
	void *ws = NULL;
	float *out = r->out.data;
	cdl_op_ctx c = *ctx;
	cdl_status st = CDL_OK;

	memcpy(serial, out, bytes);
	if (r->ws_size) {
		if (posix_memalign(&ws, 64, stride * PAR_WORKERS) != 0)
			abort();
		for (size_t i = 0; i < stride * PAR_WORKERS / sizeof(float); i++)
			((float *)ws)[i] = NAN;
	}
	for (size_t i = 0; i < bytes / sizeof(float); i++)
		out[i] = NAN;
	c.par = &fake_par;
	c.workspace = ws;
	c.workspace_stride = stride;
	st = def->execute(&c);
	CHECK(st == CDL_OK, "%s split over %d workers: status %d", r->op_type, PAR_WORKERS, st);
	CHECK(memcmp(serial, out, bytes) == 0,
	      "%s split over %d workers: output differs from one worker's", r->op_type,
	      PAR_WORKERS);
	memcpy(out, serial, bytes);
	free(serial);
	free(ws);
}

static cdl_status run_op(op_run *r, bool execute)
{
	const cdl_op_def *def = cdl_op_find(r->op_type);
	cdl_node node = {0};
	cdl_tensor *inputs[3] = {0};
	cdl_tensor *outputs[1] = {&r->out};
	uint32_t idx[3] = {0, 1, 2}, oidx[1] = {3};
	cdl_op_ctx ctx = {0};
	cdl_status st = CDL_OK;
	size_t bytes = 0;

	if (!def) {
		snprintf(r->msg, sizeof(r->msg), "op %s not registered", r->op_type);
		return CDL_ERR_UNSUPPORTED;
	}
	for (uint32_t i = 0; i < r->n_in; i++)
		inputs[i] = r->present[i] ? &r->in[i] : NULL;
	node.op_type = r->op_type;
	node.name = "test";
	node.opset = r->opset;
	node.n_inputs = r->n_in;
	node.n_outputs = 1;
	node.n_attrs = r->n_attrs;
	node.inputs = idx;
	node.outputs = oidx;
	node.attrs = r->attrs;
	ctx.node = &node;
	ctx.n_inputs = r->n_in;
	ctx.n_outputs = 1;
	ctx.inputs = inputs;
	ctx.outputs = outputs;
	ctx.msg = r->msg;
	ctx.msg_size = sizeof(r->msg);
	/* infer sees shapes only (inputs are not constants) */
	{
		void *saved[3] = {0};

		for (uint32_t i = 0; i < r->n_in; i++) {
			saved[i] = r->in[i].data;
			r->in[i].data = NULL;
		}
		st = def->infer(&ctx);
		for (uint32_t i = 0; i < r->n_in; i++)
			r->in[i].data = saved[i];
	}
	if (st || !execute)
		return st;
	if (!cdl_tensor_nbytes(&r->out, &bytes)) {
		snprintf(r->msg, sizeof(r->msg), "bad output shape");
		return CDL_ERR_INTERNAL;
	}
	/* Exact sizes so that AddressSanitizer sees any overrun; the workspace
	 * starts as NaN so that reading scratch never written shows. */
	r->out.data = malloc(bytes ? bytes : 1);
	for (size_t i = 0; i < bytes / sizeof(float); i++)
		((float *)r->out.data)[i] = NAN;
	r->ws_size = ctx.workspace_size;
	r->ws = NULL;
	if (r->ws_size) {
		if (posix_memalign(&r->ws, 64, r->ws_size) != 0)
			abort();
		for (size_t i = 0; i < r->ws_size / sizeof(float); i++)
			((float *)r->ws)[i] = NAN;
	}
	ctx.workspace = r->ws;
	st = def->execute(&ctx);
	if (st == CDL_OK && bytes)
		check_parallel(def, &ctx, r, bytes);
	return st;
}

static void run_free(op_run *r)
{
	free(r->out.data);
	free(r->ws);
	r->out.data = NULL;
	r->ws = NULL;
}

static size_t numel(const cdl_tensor *t)
{
	size_t n = 1;

	for (uint32_t i = 0; i < t->rank; i++)
		n *= (size_t)t->dims[i];
	return n;
}

/* Compares got[] with ref[] given mag[] = sum of |terms| per element. */
static int compare(const char *what, const float *got, const double *ref, const double *mag,
		   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		double tol = 1e-5 * mag[i] + 1e-6;

		if (!(fabs((double)got[i] - ref[i]) <= tol)) {
			CHECK(0, "%s: element %zu: got %.8g, want %.8g (tol %.3g)", what, i,
			      (double)got[i], ref[i], tol);
			return 1;
		}
	}
	checks++;
	return 0;
}

static void compare_exact(const char *what, const float *got, const float *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fabsf(got[i] - want[i]) > 1e-4f * (1.0f + fabsf(want[i]))) {
			CHECK(0, "%s: element %zu: got %g, want %g", what, i, (double)got[i],
			      (double)want[i]);
			return;
		}
	}
	checks++;
}

/* Activation in double, with cdl_act_apply's definitions. */
static double act_ref(const cdl_act *a, double x)
{
	switch (a->kind) {
	case CDL_ACT_NONE:
		return x;
	case CDL_ACT_RELU:
		return x > 0 ? x : 0;
	case CDL_ACT_LEAKY_RELU:
		return x >= 0 ? x : x * a->alpha;
	case CDL_ACT_CLIP:
		return x < a->alpha ? a->alpha : (x > a->beta ? a->beta : x);
	case CDL_ACT_SIGMOID:
		return 1.0 / (1.0 + exp(-x));
	case CDL_ACT_HARD_SIGMOID: {
		double v = a->alpha * x + a->beta;

		return v < 0 ? 0 : (v > 1 ? 1 : v);
	}
	case CDL_ACT_HARD_SWISH: {
		double v = x / 6.0 + 0.5;

		return x * (v < 0 ? 0 : (v > 1 ? 1 : v));
	}
	case CDL_ACT_TANH:
		return tanh(x);
	}
	return x;
}

/* Random activation (often none); sets the cdl.act attributes. */
static cdl_act pick_act(op_run *r)
{
	static const char *names[] = {"Relu",	     "LeakyRelu", "Clip", "Sigmoid",
				      "HardSigmoid", "HardSwish", "Tanh"};
	static const cdl_act_kind kinds[] = {
	    CDL_ACT_RELU,	  CDL_ACT_LEAKY_RELU, CDL_ACT_CLIP, CDL_ACT_SIGMOID,
	    CDL_ACT_HARD_SIGMOID, CDL_ACT_HARD_SWISH, CDL_ACT_TANH};
	cdl_act a = {CDL_ACT_NONE, 0.0f, 0.0f};
	uint32_t k = rnd() % 14;

	if (k >= 7)
		return a;
	a.kind = kinds[k];
	attr_str(r, "cdl.act", names[k]);
	if (a.kind == CDL_ACT_LEAKY_RELU) {
		a.alpha = 0.1f;
		attr_float(r, "cdl.act_alpha", a.alpha);
	} else if (a.kind == CDL_ACT_CLIP) {
		a.alpha = -0.5f;
		a.beta = 0.75f;
		attr_float(r, "cdl.act_alpha", a.alpha);
		attr_float(r, "cdl.act_beta", a.beta);
	} else if (a.kind == CDL_ACT_HARD_SIGMOID) {
		a.alpha = 0.2f;
		a.beta = 0.5f;
		attr_float(r, "cdl.act_alpha", a.alpha);
		attr_float(r, "cdl.act_beta", a.beta);
	}
	return a;
}

/* ---- hand-computed cases (ONNX backend tests) ------------------------------ */

static float iota_buf[64];

static void test_conv_fixed(void)
{
	static const float ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	const int64_t x5[4] = {1, 1, 5, 5}, x75[4] = {1, 1, 7, 5}, w3[4] = {1, 1, 3, 3};
	op_run r;

	for (int i = 0; i < 64; i++)
		iota_buf[i] = (float)i;
	{
		static const float want[25] = {12,  21,	 27, 33,  24,  33,  54, 63,  72,
					       51,  63,	 99, 108, 117, 81,  93, 144, 153,
					       162, 111, 72, 111, 117, 123, 84};
		const int64_t pads[4] = {1, 1, 1, 1}, ks[2] = {3, 3};

		run_init(&r, "Conv");
		set_input(&r, 0, 4, x5, iota_buf);
		set_input(&r, 1, 4, w3, (float *)ones9);
		attr_ints(&r, "pads", pads, 4);
		attr_ints(&r, "kernel_shape", ks, 2);
		CHECK(run_op(&r, true) == CDL_OK, "basic_conv_with_padding: %s", r.msg);
		CHECK(r.out.rank == 4 && r.out.dims[2] == 5 && r.out.dims[3] == 5, "shape");
		if (r.out.data)
			compare_exact("basic_conv_with_padding", r.out.data, want, 25);
		run_free(&r);
	}
	{
		static const float want[9] = {54, 63, 72, 99, 108, 117, 144, 153, 162};

		run_init(&r, "Conv");
		set_input(&r, 0, 4, x5, iota_buf);
		set_input(&r, 1, 4, w3, (float *)ones9);
		CHECK(run_op(&r, true) == CDL_OK, "basic_conv_without_padding: %s", r.msg);
		CHECK(r.out.dims[2] == 3 && r.out.dims[3] == 3, "shape");
		compare_exact("basic_conv_without_padding", r.out.data, want, 9);
		run_free(&r);
	}
	{
		static const float want[8] = {21, 33, 99, 117, 189, 207, 171, 183};
		const int64_t pads[4] = {1, 0, 1, 0}, st[2] = {2, 2};

		run_init(&r, "Conv");
		set_input(&r, 0, 4, x75, iota_buf);
		set_input(&r, 1, 4, w3, (float *)ones9);
		attr_ints(&r, "pads", pads, 4);
		attr_ints(&r, "strides", st, 2);
		CHECK(run_op(&r, true) == CDL_OK, "conv_with_strides_and_asymmetric_padding: %s",
		      r.msg);
		CHECK(r.out.dims[2] == 4 && r.out.dims[3] == 2, "shape %lld x %lld",
		      (long long)r.out.dims[2], (long long)r.out.dims[3]);
		compare_exact("conv_with_strides_and_asymmetric_padding", r.out.data, want, 8);
		run_free(&r);
	}
	{
		static const float want[9] = {12, 27, 24, 63, 108, 81, 72, 117, 84};
		const int64_t st[2] = {2, 2};

		run_init(&r, "Conv");
		set_input(&r, 0, 4, x5, iota_buf);
		set_input(&r, 1, 4, w3, (float *)ones9);
		attr_str(&r, "auto_pad", "SAME_LOWER");
		attr_ints(&r, "strides", st, 2);
		CHECK(run_op(&r, true) == CDL_OK, "conv_with_autopad_same: %s", r.msg);
		CHECK(r.out.dims[2] == 3 && r.out.dims[3] == 3, "shape");
		compare_exact("conv_with_autopad_same", r.out.data, want, 9);
		run_free(&r);
	}
	{
		/* Fused Relu and a bias: 1-D, kernel [1, -1]. */
		static float x[6] = {1, 3, 2, 5, 4, 4}, w[2] = {1, -1}, b[1] = {0.5f};
		static const float want[5] = {0, 1.5f, 0, 1.5f, 0.5f};
		const int64_t xd[3] = {1, 1, 6}, wd[3] = {1, 1, 2}, bd[1] = {1};

		run_init(&r, "Conv");
		set_input(&r, 0, 3, xd, x);
		set_input(&r, 1, 3, wd, w);
		set_input(&r, 2, 1, bd, b);
		attr_str(&r, "cdl.act", "Relu");
		CHECK(run_op(&r, true) == CDL_OK, "conv1d relu: %s", r.msg);
		compare_exact("conv1d relu", r.out.data, want, 5);
		run_free(&r);
	}
}

static void test_conv_transpose_fixed(void)
{
	static float ones18[18] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	const int64_t x3[4] = {1, 1, 3, 3}, w[4] = {1, 2, 3, 3};
	op_run r;

	{
		static const float want[25] = {0,  1,  3, 3,  2,  3,  8,  15, 12, 7,  9,  21, 36,
					       27, 15, 9, 20, 33, 24, 13, 6,  13, 21, 15, 8};

		run_init(&r, "ConvTranspose");
		set_input(&r, 0, 4, x3, iota_buf);
		set_input(&r, 1, 4, w, ones18);
		CHECK(run_op(&r, true) == CDL_OK, "convtranspose: %s", r.msg);
		CHECK(r.out.dims[1] == 2 && r.out.dims[2] == 5 && r.out.dims[3] == 5, "shape");
		compare_exact("convtranspose c0", r.out.data, want, 25);
		compare_exact("convtranspose c1", (float *)r.out.data + 25, want, 25);
		run_free(&r);
	}
	{
		static const float want[21] = {1, 1, 3, 1, 1,  3, 7,  4,  9, 7, 4,
					       9, 7, 4, 9, 13, 7, 15, 13, 7, 15};
		const int64_t st[2] = {3, 2}, pads[4] = {1, 2, 1, 2};

		run_init(&r, "ConvTranspose");
		set_input(&r, 0, 4, x3, iota_buf);
		set_input(&r, 1, 4, w, ones18);
		attr_ints(&r, "strides", st, 2);
		attr_ints(&r, "pads", pads, 4);
		CHECK(run_op(&r, true) == CDL_OK, "convtranspose_pads: %s", r.msg);
		CHECK(r.out.dims[2] == 7 && r.out.dims[3] == 3, "shape");
		compare_exact("convtranspose_pads", r.out.data, want, 21);
		run_free(&r);
	}
	{
		static const float want[36] = {0, 0, 1,	 1,  3,	 2,  0, 0, 1,  1, 3,  2,
					       3, 3, 8,	 5,  12, 7,  3, 3, 7,  4, 9,  5,
					       9, 9, 20, 11, 24, 13, 6, 6, 13, 7, 15, 8};
		const int64_t st[2] = {2, 2};

		run_init(&r, "ConvTranspose");
		set_input(&r, 0, 4, x3, iota_buf);
		set_input(&r, 1, 4, w, ones18);
		attr_ints(&r, "strides", st, 2);
		attr_str(&r, "auto_pad", "SAME_UPPER");
		CHECK(run_op(&r, true) == CDL_OK, "convtranspose_autopad_same: %s", r.msg);
		CHECK(r.out.dims[2] == 6 && r.out.dims[3] == 6, "shape");
		compare_exact("convtranspose_autopad_same", r.out.data, want, 36);
		run_free(&r);
	}
	{
		/* output_shape larger than the natural size, and output_padding */
		static const float row0[8] = {0, 0, 1, 1, 3, 2, 2, 0};
		static const float row3[8] = {3, 3, 7, 4, 9, 5, 5, 0};
		const int64_t st[2] = {3, 2}, os[2] = {10, 8}, op[2] = {1, 1};

		for (int v = 0; v < 2; v++) {
			run_init(&r, "ConvTranspose");
			set_input(&r, 0, 4, x3, iota_buf);
			set_input(&r, 1, 4, w, ones18);
			attr_ints(&r, "strides", st, 2);
			if (v == 0)
				attr_ints(&r, "output_shape", os, 2);
			else
				attr_ints(&r, "output_padding", op, 2);
			CHECK(run_op(&r, true) == CDL_OK, "convtranspose_output_shape: %s", r.msg);
			CHECK(r.out.dims[2] == 10 && r.out.dims[3] == 8, "shape");
			compare_exact("convtranspose_output_shape row0", r.out.data, row0, 8);
			compare_exact("convtranspose_output_shape row3", (float *)r.out.data + 24,
				      row3, 8);
			run_free(&r);
		}
	}
}

/* ---- Conv against a naive reference ----------------------------------------- */

typedef struct conv_case {
	uint32_t nsp;
	int64_t n, cin, cout, group;
	int64_t in[3], k[3], s[3], d[3], pb[3], pe[3];
	int auto_pad; /* 0 NOTSET (explicit pads), 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
	bool bias, give_kernel_shape;
} conv_case;

static const char *const auto_pad_names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

/* Output size and leading pad per axis, computed independently of the op. */
static int64_t conv_out_dim(const conv_case *c, int i, int64_t *head)
{
	int64_t dk = (c->k[i] - 1) * c->d[i] + 1;

	if (c->auto_pad == 1 || c->auto_pad == 2) {
		int64_t out = (c->in[i] + c->s[i] - 1) / c->s[i];
		int64_t total = (out - 1) * c->s[i] + dk - c->in[i];

		if (total < 0)
			total = 0;
		*head = c->auto_pad == 1 ? total / 2 : (total + 1) / 2;
		return out;
	}
	if (c->auto_pad == 3) {
		*head = 0;
		return (c->in[i] - dk) / c->s[i] + 1;
	}
	*head = c->pb[i];
	return (c->in[i] + c->pb[i] + c->pe[i] - dk) / c->s[i] + 1;
}

/*
 * A case on the im2col path (a kernel larger than 1x1, not depthwise) gives
 * the bits of the im2col GEMM with the kernel the op picks under the current
 * cap, image by image and group by group: where the op reads the input in
 * place instead (AVX-512: 3x3 stride 1 'same', 3x3 stride 2), it must not
 * change a bit. 1 if it does.
 */
static int check_im2col_bits(const conv_case *c, const cdl_act *act, const float *x, const float *w,
			     const float *b, const int64_t *out, const int64_t *head,
			     const float *y, const char *label)
{
	const int64_t cin_g = c->cin / c->group, cout_g = c->cout / c->group;
	const uint32_t off = 3 - c->nsp;
	const cdl_f32_gemm_kernel *kern = cdl_f32_gemm_kernel_best();
	cdl_conv_geom g;
	size_t in_sp = 1, out_sp = 1, kprod = 1, k = 0;
	bool one = true;
	float *yg = NULL;
	void *ws = NULL;
	int bad = 0;

	for (uint32_t i = 0; i < c->nsp; i++)
		one = one && c->k[i] == 1;
	if (one || (cin_g == 1 && c->group > 1))
		return 0;
	for (int a = 0; a < 3; a++) {
		g.in[a] = g.out[a] = g.kernel[a] = g.stride[a] = g.dilation[a] = 1;
		g.pad[a] = 0;
	}
	for (uint32_t i = 0; i < c->nsp; i++) {
		g.in[off + i] = c->in[i];
		g.out[off + i] = out[i];
		g.kernel[off + i] = c->k[i];
		g.stride[off + i] = c->s[i];
		g.dilation[off + i] = c->d[i];
		g.pad[off + i] = head[i];
		in_sp *= (size_t)c->in[i];
		out_sp *= (size_t)out[i];
		kprod *= (size_t)c->k[i];
	}
	k = (size_t)cin_g * kprod;
	yg = malloc((size_t)cout_g * out_sp * sizeof(float));
	if (posix_memalign(&ws, 64, cdl_f32_gemm_workspace_size((size_t)cout_g, out_sp, k)) != 0)
		abort();
	for (int64_t n = 0; n < c->n && !bad; n++) {
		for (int64_t grp = 0; grp < c->group && !bad; grp++) {
			cdl_im2col_src src = {x + (size_t)(n * c->cin + grp * cin_g) * in_sp,
					      (size_t)cin_g, &g};
			cdl_f32_gemm_desc d = {0};

			d.m = (size_t)cout_g;
			d.n = out_sp;
			d.k = k;
			d.a = w + (size_t)(grp * cout_g) * k;
			d.a_rs = k;
			d.a_cs = 1;
			d.alpha = 1.0f;
			d.pack_b = cdl_f32_im2col_pack_b;
			d.pack_b_arg = &src;
			d.c = yg;
			d.ldc = out_sp;
			d.bias = b ? b + grp * cout_g : NULL;
			d.act = act;
			cdl_f32_gemm(kern, &d, ws);
			bad = memcmp(yg, y + (size_t)(n * c->cout + grp * cout_g) * out_sp,
				     (size_t)cout_g * out_sp * sizeof(float)) != 0;
			CHECK(!bad, "%s: image %lld group %lld differs from the im2col GEMM (%s)",
			      label, (long long)n, (long long)grp, kern->name);
		}
	}
	free(yg);
	free(ws);
	return bad;
}

static int run_conv_case(const conv_case *c, const char *label)
{
	int64_t xd[5], wd[5], bd[1], out[3], head[3];
	size_t xn = 1, wn = 1, yn = 1;
	float *x, *w, *b = NULL;
	double *ref, *mag;
	op_run r;
	cdl_act act;
	int bad = 0;
	const int64_t cin_g = c->cin / c->group, cout_g = c->cout / c->group;

	xd[0] = c->n;
	xd[1] = c->cin;
	wd[0] = c->cout;
	wd[1] = cin_g;
	for (uint32_t i = 0; i < c->nsp; i++) {
		xd[2 + i] = c->in[i];
		wd[2 + i] = c->k[i];
		out[i] = conv_out_dim(c, (int)i, &head[i]);
	}
	for (uint32_t i = 0; i < 2 + c->nsp; i++) {
		xn *= (size_t)xd[i];
		wn *= (size_t)wd[i];
	}
	yn = (size_t)(c->n * c->cout);
	for (uint32_t i = 0; i < c->nsp; i++)
		yn *= (size_t)out[i];
	x = rnd_buf(xn);
	w = rnd_buf(wn);
	run_init(&r, "Conv");
	set_input(&r, 0, 2 + c->nsp, xd, x);
	set_input(&r, 1, 2 + c->nsp, wd, w);
	if (c->bias) {
		bd[0] = c->cout;
		b = rnd_buf((size_t)c->cout);
		set_input(&r, 2, 1, bd, b);
	}
	if (c->group != 1 || rnd() % 2)
		attr_int(&r, "group", c->group);
	if (c->give_kernel_shape)
		attr_ints(&r, "kernel_shape", c->k, c->nsp);
	if (c->s[0] != 1 || c->s[1] != 1 || c->s[2] != 1 || rnd() % 2)
		attr_ints(&r, "strides", c->s, c->nsp);
	attr_ints(&r, "dilations", c->d, c->nsp);
	if (c->auto_pad == 0) {
		int64_t pads[6];

		for (uint32_t i = 0; i < c->nsp; i++) {
			pads[i] = c->pb[i];
			pads[c->nsp + i] = c->pe[i];
		}
		attr_ints(&r, "pads", pads, 2 * c->nsp);
	} else {
		attr_str(&r, "auto_pad", auto_pad_names[c->auto_pad]);
	}
	act = pick_act(&r);

	if (run_op(&r, true) != CDL_OK) {
		CHECK(0, "%s: %s", label, r.msg);
		bad = 1;
		goto out;
	}
	CHECK(r.out.rank == 2 + c->nsp, "%s: rank", label);
	for (uint32_t i = 0; i < c->nsp; i++)
		CHECK(r.out.dims[2 + i] == out[i], "%s: dim %u is %lld, want %lld", label, i,
		      (long long)r.out.dims[2 + i], (long long)out[i]);
	if (numel(&r.out) != yn) {
		bad = 1;
		goto out;
	}
	ref = malloc(yn * sizeof(double));
	mag = malloc(yn * sizeof(double));
	{
		/* 3-D view: leading unit axes */
		int64_t I[3] = {1, 1, 1}, O[3] = {1, 1, 1}, K[3] = {1, 1, 1};
		int64_t S[3] = {1, 1, 1}, D[3] = {1, 1, 1}, P[3] = {0, 0, 0};
		const uint32_t off = 3 - c->nsp;
		size_t yi = 0;

		for (uint32_t i = 0; i < c->nsp; i++) {
			I[off + i] = c->in[i];
			O[off + i] = out[i];
			K[off + i] = c->k[i];
			S[off + i] = c->s[i];
			D[off + i] = c->d[i];
			P[off + i] = head[i];
		}
		for (int64_t n = 0; n < c->n; n++)
			for (int64_t oc = 0; oc < c->cout; oc++)
				for (int64_t o0 = 0; o0 < O[0]; o0++)
					for (int64_t o1 = 0; o1 < O[1]; o1++)
						for (int64_t o2 = 0; o2 < O[2]; o2++, yi++) {
							int64_t g = oc / cout_g;
							double acc = b ? b[oc] : 0.0;
							double m = fabs(acc);

							for (int64_t ci = 0; ci < cin_g; ci++)
								for (int64_t k0 = 0; k0 < K[0];
								     k0++)
									for (int64_t k1 = 0;
									     k1 < K[1]; k1++)
										for (int64_t k2 = 0;
										     k2 < K[2];
										     k2++) {
											int64_t i0 =
											    o0 *
												S[0] -
											    P[0] +
											    k0 *
												D[0];
											int64_t i1 =
											    o1 *
												S[1] -
											    P[1] +
											    k1 *
												D[1];
											int64_t i2 =
											    o2 *
												S[2] -
											    P[2] +
											    k2 *
												D[2];
											double t;

											if (i0 <
												0 ||
											    i0 >=
												I[0] ||
											    i1 <
												0 ||
											    i1 >=
												I[1] ||
											    i2 <
												0 ||
											    i2 >=
												I[2])
												continue;
											t = (double)w
												[(((oc *
													cin_g +
												    ci) *
												       K[0] +
												   k0) *
												      K[1] +
												  k1) *
												     K[2] +
												 k2] *
											    x[((((n * c->cin +
												  g * cin_g +
												  ci) *
												 I[0]) +
												i0) *
												   I[1] +
											       i1) *
												  I[2] +
											      i2];
											acc += t;
											m +=
											    fabs(t);
										}
							ref[yi] = act_ref(&act, acc);
							mag[yi] = m;
						}
	}
	bad = compare(label, r.out.data, ref, mag, yn);
	if (!bad)
		bad = check_im2col_bits(c, &act, x, w, b, out, head, r.out.data, label);
	if (bad)
		fprintf(stderr,
			"  case: nsp=%u n=%lld cin=%lld cout=%lld group=%lld in=%lldx%lldx%lld "
			"k=%lldx%lldx%lld s=%lld,%lld,%lld d=%lld,%lld,%lld pb=%lld,%lld,%lld "
			"pe=%lld,%lld,%lld auto_pad=%d act=%s\n",
			c->nsp, (long long)c->n, (long long)c->cin, (long long)c->cout,
			(long long)c->group, (long long)c->in[0], (long long)c->in[1],
			(long long)c->in[2], (long long)c->k[0], (long long)c->k[1],
			(long long)c->k[2], (long long)c->s[0], (long long)c->s[1],
			(long long)c->s[2], (long long)c->d[0], (long long)c->d[1],
			(long long)c->d[2], (long long)c->pb[0], (long long)c->pb[1],
			(long long)c->pb[2], (long long)c->pe[0], (long long)c->pe[1],
			(long long)c->pe[2], c->auto_pad, cdl_act_name(act.kind));
	free(ref);
	free(mag);
out:
	run_free(&r);
	free(x);
	free(w);
	free(b);
	return bad;
}

enum conv_kind { KIND_ANY, KIND_DEPTHWISE, KIND_1X1, KIND_GROUPED };

static void random_conv_case(conv_case *c, uint32_t nsp, enum conv_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->nsp = nsp;
	c->n = rnd_in(1, 2);
	c->group = kind == KIND_DEPTHWISE || kind == KIND_GROUPED ? rnd_in(2, 4) : 1;
	c->cin = c->group * (kind == KIND_DEPTHWISE ? 1 : rnd_in(1, 5));
	c->cout = c->group * (kind == KIND_DEPTHWISE ? rnd_in(1, 2) : rnd_in(1, 6));
	c->auto_pad = kind == KIND_1X1 ? 0 : (rnd() % 3 == 0 ? (int)rnd_in(1, 3) : 0);
	for (uint32_t i = 0; i < nsp; i++) {
		const int64_t maxin = nsp == 3 ? 6 : (nsp == 2 ? 11 : 20);

		c->in[i] = rnd_in(1, maxin);
		if (kind == KIND_1X1) {
			c->k[i] = c->s[i] = 1;
			c->d[i] = rnd_in(1, 2);
			continue;
		}
		c->k[i] = rnd_in(1, 4);
		c->s[i] = rnd_in(1, 3);
		c->d[i] = rnd() % 4 == 0 ? rnd_in(2, 3) : 1;
		c->pb[i] = rnd_in(0, 2);
		c->pe[i] = rnd_in(0, 2);
		/* keep the output non-empty */
		while (c->in[i] + c->pb[i] + c->pe[i] < (c->k[i] - 1) * c->d[i] + 1 ||
		       (c->auto_pad == 3 && c->in[i] < (c->k[i] - 1) * c->d[i] + 1))
			c->in[i]++;
	}
	c->bias = rnd() % 2;
	c->give_kernel_shape = rnd() % 2;
}

static void test_conv_random(void)
{
	static const enum conv_kind kinds[] = {KIND_ANY, KIND_DEPTHWISE, KIND_1X1, KIND_GROUPED};
	char label[64];
	int bad = 0;

	for (int t = 0; t < 600 && bad < 5; t++) {
		conv_case c;
		uint32_t nsp = (uint32_t)rnd_in(1, 3);

		random_conv_case(&c, nsp, kinds[t % 4]);
		snprintf(label, sizeof(label), "conv random #%d", t);
		bad += run_conv_case(&c, label);
	}
	/* Past the GEMM's cache blocks: K = 64*9 > KC, N = 24*24 > NC, M = 160 > MC. */
	{
		conv_case c = {.nsp = 2,
			       .n = 1,
			       .cin = 64,
			       .cout = 160,
			       .group = 1,
			       .in = {24, 24},
			       .k = {3, 3},
			       .s = {1, 1},
			       .d = {1, 1},
			       .pb = {1, 1},
			       .pe = {1, 1},
			       .bias = true};

		run_conv_case(&c, "conv big 3x3");
		c.k[0] = c.k[1] = 1;
		c.pb[0] = c.pb[1] = c.pe[0] = c.pe[1] = 0;
		c.cin = 300;
		c.in[0] = c.in[1] = 23;
		run_conv_case(&c, "conv big 1x1");
		c.group = 2;
		c.cin = 64;
		c.cout = 288;
		c.k[0] = c.k[1] = 3;
		c.s[0] = c.s[1] = 2;
		c.in[0] = c.in[1] = 48;
		run_conv_case(&c, "conv big grouped strided");
	}
	/* Depthwise 3x3 stride 2 with padding, MobileNet-like. */
	{
		conv_case c = {.nsp = 2,
			       .n = 1,
			       .cin = 32,
			       .cout = 32,
			       .group = 32,
			       .in = {17, 16},
			       .k = {3, 3},
			       .s = {2, 2},
			       .d = {1, 1},
			       .pb = {1, 1},
			       .pe = {1, 1},
			       .bias = true};

		run_conv_case(&c, "conv depthwise mobilenet");
	}
}

/*
 * 3x3 stride-2 convolutions (read in place by the AVX-512 direct kernel):
 * the downsampling layers of resnet and the first layers of mobilenet_v2 /
 * squeezenet / shufflenet, scaled down, then random ones -- odd and even
 * sizes, planes down to 1x1, rows of 1 to 40 outputs, pads 0 / 1 on each
 * side (explicit or auto_pad), batch > 1, groups, output channels that
 * leave 4-row and partial 8-row tiles. Each also against the im2col GEMM's
 * bits and split over the fake workers (run_conv_case).
 */
static void test_conv3x3s2(void)
{
	static const struct {
		int64_t n, cin, cout, group, h, w, pb, pe;
	} fixed[] = {
	    {1, 16, 24, 1, 28, 28, 1, 1}, /* resnet layer2.0, narrower */
	    {1, 24, 32, 1, 14, 14, 1, 1}, /* layer3.0 */
	    {1, 40, 16, 1, 7, 7, 1, 1},	  /* layer4.0 (K = 360 > KC) */
	    {1, 3, 8, 1, 40, 40, 1, 1},	  /* mobilenet_v2 / shufflenet conv0 */
	    {1, 3, 12, 1, 41, 41, 0, 0},  /* squeezenet conv0: odd, no pad */
	    {2, 6, 12, 2, 9, 33, 1, 0},	  /* batch 2, groups, pad before only */
	    {3, 4, 5, 1, 2, 2, 1, 1},	  /* 1x1 output */
	    {1, 2, 3, 1, 64, 3, 0, 1},	  /* 1 column out, pad after only */
	};
	char label[64];
	int bad = 0;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		conv_case c = {.nsp = 2,
			       .n = fixed[i].n,
			       .cin = fixed[i].cin,
			       .cout = fixed[i].cout,
			       .group = fixed[i].group,
			       .in = {fixed[i].h, fixed[i].w},
			       .k = {3, 3},
			       .s = {2, 2},
			       .d = {1, 1},
			       .pb = {fixed[i].pb, fixed[i].pb},
			       .pe = {fixed[i].pe, fixed[i].pe},
			       .bias = i % 2 == 0};

		snprintf(label, sizeof(label), "conv 3x3s2 #%zu", i);
		bad += run_conv_case(&c, label);
	}
	for (int t = 0; t < 80 && bad < 5; t++) {
		conv_case c;

		memset(&c, 0, sizeof(c));
		c.nsp = 2;
		c.n = t % 5 == 0 ? rnd_in(2, 3) : 1;
		c.group = t % 4 == 0 ? rnd_in(2, 3) : 1;
		c.cin = c.group * rnd_in(c.group > 1 ? 2 : 1, 6);
		c.cout = c.group * rnd_in(1, t % 3 ? 6 : 20);
		c.auto_pad = rnd() % 4 == 0 ? (int)rnd_in(1, 3) : 0;
		for (int i = 0; i < 2; i++) {
			c.k[i] = 3;
			c.s[i] = 2;
			c.d[i] = 1;
			c.pb[i] = rnd_in(0, 1);
			c.pe[i] = rnd_in(0, 1);
			c.in[i] = rnd_in(1, i == 1 && t % 3 == 0 ? 80 : 16);
			while (c.in[i] + c.pb[i] + c.pe[i] < 3 || (c.auto_pad == 3 && c.in[i] < 3))
				c.in[i]++;
		}
		c.bias = rnd() % 2;
		c.give_kernel_shape = rnd() % 2;
		snprintf(label, sizeof(label), "conv 3x3s2 random #%d", t);
		bad += run_conv_case(&c, label);
	}
}

/* ---- ConvTranspose against a naive reference --------------------------------- */

static int run_ct_case(uint32_t nsp, bool use_output_shape, int auto_pad, const char *label)
{
	int64_t n = rnd_in(1, 2), group = rnd_in(1, 3);
	int64_t cin = group * rnd_in(1, 3), cout_g = rnd_in(1, 3), cout = cout_g * group;
	int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], op[3], out[3], head[3];
	int64_t xd[5], wd[5], bd[1];
	size_t xn = 1, wn = 1, yn = 1;
	float *x, *w, *b = NULL;
	double *ref, *mag;
	bool bias = rnd() % 2;
	bool give_opad = !use_output_shape || rnd() % 2;
	op_run r;
	cdl_act act;
	int bad = 0;
	const int64_t cin_g = cin / group;

	for (uint32_t i = 0; i < nsp; i++) {
		int64_t full, total;

		in[i] = rnd_in(1, nsp == 3 ? 4 : 7);
		k[i] = rnd_in(1, 4);
		s[i] = rnd_in(1, 3);
		d[i] = rnd() % 4 == 0 ? 2 : 1;
		op[i] = give_opad ? rnd_in(0, (s[i] > d[i] ? s[i] : d[i]) - 1) : 0;
		pb[i] = rnd_in(0, 2);
		pe[i] = rnd_in(0, 2);
		full = (in[i] - 1) * s[i] + op[i] + (k[i] - 1) * d[i] + 1;
		while (full - pb[i] - pe[i] <= 0) {
			pb[i] = 0;
			pe[i] = 0;
		}
		if (use_output_shape) {
			out[i] = full - rnd_in(0, 3) + rnd_in(0, 2);
			if (out[i] < 1)
				out[i] = 1;
		} else if (auto_pad == 1 || auto_pad == 2) {
			out[i] = in[i] * s[i];
		} else if (auto_pad == 3) {
			out[i] = full;
		} else {
			out[i] = full - pb[i] - pe[i];
		}
		if (use_output_shape || auto_pad == 1 || auto_pad == 2) {
			/* ONNX: SAME_UPPER puts the odd pad at the end, otherwise at the start. */
			total = full - out[i];
			if (total < 0)
				total = 0;
			head[i] = auto_pad == 1 ? total / 2 : total - total / 2;
		} else {
			head[i] = auto_pad == 3 ? 0 : pb[i];
		}
	}
	xd[0] = n;
	xd[1] = cin;
	wd[0] = cin;
	wd[1] = cout_g;
	for (uint32_t i = 0; i < nsp; i++) {
		xd[2 + i] = in[i];
		wd[2 + i] = k[i];
	}
	for (uint32_t i = 0; i < 2 + nsp; i++) {
		xn *= (size_t)xd[i];
		wn *= (size_t)wd[i];
	}
	yn = (size_t)(n * cout);
	for (uint32_t i = 0; i < nsp; i++)
		yn *= (size_t)out[i];
	x = rnd_buf(xn);
	w = rnd_buf(wn);
	run_init(&r, "ConvTranspose");
	set_input(&r, 0, 2 + nsp, xd, x);
	set_input(&r, 1, 2 + nsp, wd, w);
	if (bias) {
		bd[0] = cout;
		b = rnd_buf((size_t)cout);
		set_input(&r, 2, 1, bd, b);
	}
	attr_int(&r, "group", group);
	attr_ints(&r, "strides", s, nsp);
	attr_ints(&r, "dilations", d, nsp);
	if (rnd() % 2)
		attr_ints(&r, "kernel_shape", k, nsp);
	if (use_output_shape) {
		int64_t os[5] = {n, cout, 0, 0, 0};
		bool full_shape = rnd() % 2;

		for (uint32_t i = 0; i < nsp; i++)
			os[2 + i] = out[i];
		attr_ints(&r, "output_shape", full_shape ? os : os + 2, full_shape ? 2 + nsp : nsp);
		if (give_opad)
			attr_ints(&r, "output_padding", op, nsp);
	} else {
		attr_ints(&r, "output_padding", op, nsp);
	}
	if (auto_pad)
		attr_str(&r, "auto_pad", auto_pad_names[auto_pad]);
	else if (!use_output_shape) {
		int64_t pads[6];

		for (uint32_t i = 0; i < nsp; i++) {
			pads[i] = pb[i];
			pads[nsp + i] = pe[i];
		}
		attr_ints(&r, "pads", pads, 2 * nsp);
	}
	act = pick_act(&r);
	if (run_op(&r, true) != CDL_OK) {
		CHECK(0, "%s: %s", label, r.msg);
		bad = 1;
		goto out;
	}
	for (uint32_t i = 0; i < nsp; i++)
		CHECK(r.out.dims[2 + i] == out[i], "%s: dim %u is %lld, want %lld", label, i,
		      (long long)r.out.dims[2 + i], (long long)out[i]);
	if (numel(&r.out) != yn) {
		bad = 1;
		goto out;
	}
	ref = calloc(yn, sizeof(double));
	mag = calloc(yn, sizeof(double));
	{
		int64_t I[3] = {1, 1, 1}, O[3] = {1, 1, 1}, K[3] = {1, 1, 1};
		int64_t S[3] = {1, 1, 1}, D[3] = {1, 1, 1}, P[3] = {0, 0, 0};
		const uint32_t off = 3 - nsp;
		size_t osp = 1;

		for (uint32_t i = 0; i < nsp; i++) {
			I[off + i] = in[i];
			O[off + i] = out[i];
			K[off + i] = k[i];
			S[off + i] = s[i];
			D[off + i] = d[i];
			P[off + i] = head[i];
			osp *= (size_t)out[i];
		}
		for (int64_t b0 = 0; b0 < n; b0++)
			for (int64_t oc = 0; oc < cout; oc++)
				for (size_t j = 0; j < osp; j++) {
					ref[(size_t)(b0 * cout + oc) * osp + j] = b ? b[oc] : 0.0;
					mag[(size_t)(b0 * cout + oc) * osp + j] =
					    b ? fabs(b[oc]) : 0.0;
				}
		/* scatter */
		for (int64_t b0 = 0; b0 < n; b0++)
			for (int64_t ic = 0; ic < cin; ic++)
				for (int64_t ocl = 0; ocl < cout_g; ocl++)
					for (int64_t i0 = 0; i0 < I[0]; i0++)
						for (int64_t i1 = 0; i1 < I[1]; i1++)
							for (int64_t i2 = 0; i2 < I[2]; i2++)
								for (int64_t k0 = 0; k0 < K[0];
								     k0++)
									for (int64_t k1 = 0;
									     k1 < K[1]; k1++)
										for (int64_t k2 = 0;
										     k2 < K[2];
										     k2++) {
											int64_t o0 =
											    i0 *
												S[0] -
											    P[0] +
											    k0 *
												D[0];
											int64_t o1 =
											    i1 *
												S[1] -
											    P[1] +
											    k1 *
												D[1];
											int64_t o2 =
											    i2 *
												S[2] -
											    P[2] +
											    k2 *
												D[2];
											int64_t oc =
											    (ic /
											     cin_g) *
												cout_g +
											    ocl;
											size_t yi;
											double t;

											if (o0 <
												0 ||
											    o0 >=
												O[0] ||
											    o1 <
												0 ||
											    o1 >=
												O[1] ||
											    o2 <
												0 ||
											    o2 >=
												O[2])
												continue;
											yi =
											    (size_t)(b0 *
													 cout +
												     oc) *
												osp +
											    (size_t)((o0 *
													  O[1] +
												      o1) *
													 O[2] +
												     o2);
											t = (double)x
												[(((b0 *
													cin +
												    ic) *
												       I[0] +
												   i0) *
												      I[1] +
												  i1) *
												     I[2] +
												 i2] *
											    w[(((ic *
												     cout_g +
												 ocl) *
												    K[0] +
												k0) *
												   K[1] +
											       k1) *
												  K[2] +
											      k2];
											ref[yi] +=
											    t;
											mag[yi] +=
											    fabs(t);
										}
		for (size_t i = 0; i < yn; i++)
			ref[i] = act_ref(&act, ref[i]);
	}
	bad = compare(label, r.out.data, ref, mag, yn);
	if (bad)
		fprintf(stderr, "  case: nsp=%u group=%lld cin=%lld cout=%lld auto_pad=%d os=%d\n",
			nsp, (long long)group, (long long)cin, (long long)cout, auto_pad,
			use_output_shape);
	free(ref);
	free(mag);
out:
	run_free(&r);
	free(x);
	free(w);
	free(b);
	return bad;
}

static void test_conv_transpose_random(void)
{
	char label[64];
	int bad = 0;

	for (int t = 0; t < 400 && bad < 5; t++) {
		uint32_t nsp = (uint32_t)rnd_in(1, 3);
		bool os = t % 3 == 1;
		int ap = t % 3 == 2 ? (int)rnd_in(1, 3) : 0;

		snprintf(label, sizeof(label), "convtranspose random #%d", t);
		bad += run_ct_case(nsp, os, ap, label);
	}
}

/* ---- Gemm and MatMul ----------------------------------------------------------- */

static void test_gemm_random(void)
{
	int bad = 0;

	for (int t = 0; t < 300 && bad < 5; t++) {
		const bool big = t % 25 == 0;
		int64_t m = big ? rnd_in(100, 300) : rnd_in(1, 20);
		int64_t n = big ? rnd_in(500, 700) : rnd_in(1, 20);
		int64_t k = big ? rnd_in(250, 600) : rnd_in(0, 20);
		bool ta = rnd() % 2, tb = rnd() % 2;
		float alpha = rnd() % 2 ? 1.0f : rnd_f() * 2, beta = rnd() % 2 ? 1.0f : rnd_f() * 2;
		int crank = (int)rnd_in(-1, 2); /* -1: no C */
		int64_t ad[2] = {ta ? k : m, ta ? m : k}, bdm[2] = {tb ? n : k, tb ? k : n};
		int64_t cd[2] = {0, 0};
		float *a = rnd_buf((size_t)(m * k)), *b = rnd_buf((size_t)(k * n)), *c = NULL;
		double *ref = malloc((size_t)(m * n) * sizeof(double));
		double *mag = malloc((size_t)(m * n) * sizeof(double));
		op_run r;
		cdl_act act;
		char label[64];

		snprintf(label, sizeof(label), "gemm random #%d", t);
		run_init(&r, "Gemm");
		set_input(&r, 0, 2, ad, a);
		set_input(&r, 1, 2, bdm, b);
		if (crank >= 0) {
			if (crank == 2) {
				cd[0] = rnd() % 2 ? m : 1;
				cd[1] = rnd() % 2 ? n : 1;
			} else if (crank == 1) {
				cd[0] = rnd() % 2 ? n : 1;
			}
			c = rnd_buf((size_t)((crank >= 1 ? cd[0] : 1) * (crank == 2 ? cd[1] : 1)));
			set_input(&r, 2, (uint32_t)crank, cd, c);
		}
		if (ta || rnd() % 2)
			attr_int(&r, "transA", ta);
		if (tb || rnd() % 2)
			attr_int(&r, "transB", tb);
		if (alpha != 1.0f)
			attr_float(&r, "alpha", alpha);
		if (beta != 1.0f)
			attr_float(&r, "beta", beta);
		act = pick_act(&r);
		if (run_op(&r, true) != CDL_OK) {
			CHECK(0, "%s: %s", label, r.msg);
			bad++;
		} else {
			CHECK(r.out.rank == 2 && r.out.dims[0] == m && r.out.dims[1] == n,
			      "%s: shape", label);
			for (int64_t i = 0; i < m; i++)
				for (int64_t j = 0; j < n; j++) {
					double acc = 0, mg = 0, cv = 0;

					for (int64_t p = 0; p < k; p++) {
						double av = ta ? a[p * m + i] : a[i * k + p];
						double bv = tb ? b[j * k + p] : b[p * n + j];

						acc += av * bv;
						mg += fabs(av * bv);
					}
					acc *= alpha;
					mg *= fabs(alpha);
					if (c) {
						if (crank == 0)
							cv = c[0];
						else if (crank == 1)
							cv = c[cd[0] == 1 ? 0 : j];
						else
							cv = c[(cd[0] == 1 ? 0 : i) * cd[1] +
							       (cd[1] == 1 ? 0 : j)];
						acc += beta * cv;
						mg += fabs(beta * cv);
					}
					ref[i * n + j] = act_ref(&act, acc);
					mag[i * n + j] = mg;
				}
			bad += compare(label, r.out.data, ref, mag, (size_t)(m * n));
		}
		run_free(&r);
		free(a);
		free(b);
		free(c);
		free(ref);
		free(mag);
	}
}

static void test_matmul_random(void)
{
	int bad = 0;

	for (int t = 0; t < 300 && bad < 5; t++) {
		uint32_t ra = (uint32_t)rnd_in(1, 4), rb = (uint32_t)rnd_in(1, 4);
		int64_t m = rnd_in(1, 9), n = rnd_in(1, 9), k = rnd_in(1, 12);
		int64_t ad[4], bd[4], ob[4] = {1, 1, 1, 1};
		size_t an = 1, bn = 1, on = 1;
		uint32_t orank = 0;
		float *a, *b;
		op_run r;
		cdl_act act;
		char label[64];

		if (t % 20 == 0) {
			m = rnd_in(130, 200);
			k = rnd_in(260, 300);
			n = rnd_in(520, 540);
			ra = 2;
			rb = rnd() % 2 ? 2 : 3;
		}
		/* batch dims: up to 2, right-aligned, broadcast with 1s */
		for (uint32_t i = 0; i < 2; i++)
			ob[i] = rnd_in(1, 3);
		for (uint32_t i = 0; i + 2 < ra; i++) {
			uint32_t oi = 2 - (ra - 2) + i;

			ad[i] = rnd() % 3 == 0 ? 1 : ob[oi];
		}
		for (uint32_t i = 0; i + 2 < rb; i++) {
			uint32_t oi = 2 - (rb - 2) + i;

			bd[i] = rnd() % 3 == 0 ? 1 : ob[oi];
		}
		if (ra >= 2) {
			ad[ra - 2] = m;
			ad[ra - 1] = k;
		} else {
			ad[0] = k;
			m = 1;
		}
		if (rb >= 2) {
			bd[rb - 2] = k;
			bd[rb - 1] = n;
		} else {
			bd[0] = k;
			n = 1;
		}
		for (uint32_t i = 0; i < ra; i++)
			an *= (size_t)ad[i];
		for (uint32_t i = 0; i < rb; i++)
			bn *= (size_t)bd[i];
		a = rnd_buf(an);
		b = rnd_buf(bn);
		snprintf(label, sizeof(label), "matmul random #%d", t);
		run_init(&r, "MatMul");
		set_input(&r, 0, ra, ad, a);
		set_input(&r, 1, rb, bd, b);
		act = pick_act(&r);
		if (run_op(&r, true) != CDL_OK) {
			CHECK(0, "%s: %s", label, r.msg);
			bad++;
			goto next;
		}
		{
			/* Expected batch dims: broadcast of A's and B's batch dims. */
			uint32_t bra = ra > 2 ? ra - 2 : 0, brb = rb > 2 ? rb - 2 : 0;
			uint32_t br = bra > brb ? bra : brb;
			int64_t bdims[2] = {1, 1};
			size_t nb = 1;
			double *ref, *mag;

			for (uint32_t i = 0; i < br; i++) {
				int64_t da = i + bra >= br ? ad[i + bra - br] : 1;
				int64_t db = i + brb >= br ? bd[i + brb - br] : 1;

				bdims[i] = da > db ? da : db;
				nb *= (size_t)bdims[i];
			}
			orank = br + (ra > 1) + (rb > 1);
			CHECK(r.out.rank == orank, "%s: rank %u, want %u", label, r.out.rank,
			      orank);
			on = nb * (size_t)(m * n);
			if (numel(&r.out) != on) {
				CHECK(0, "%s: numel", label);
				bad++;
				goto next;
			}
			ref = malloc(on * sizeof(double));
			mag = malloc(on * sizeof(double));
			for (size_t bi = 0; bi < nb; bi++) {
				/* unravel bi over bdims[0..br) */
				int64_t idx[2] = {0, 0};
				size_t rem = bi, aoff = 0, boff = 0;

				for (uint32_t i = br; i-- > 0;) {
					idx[i] = (int64_t)(rem % (size_t)bdims[i]);
					rem /= (size_t)bdims[i];
				}
				{
					size_t st = (size_t)(m * k);

					for (uint32_t i = bra; i-- > 0;) {
						int64_t dim = ad[i];

						aoff +=
						    (size_t)(dim == 1 ? 0 : idx[i + br - bra]) * st;
						st *= (size_t)dim;
					}
					st = (size_t)(k * n);
					for (uint32_t i = brb; i-- > 0;) {
						int64_t dim = bd[i];

						boff +=
						    (size_t)(dim == 1 ? 0 : idx[i + br - brb]) * st;
						st *= (size_t)dim;
					}
				}
				for (int64_t i = 0; i < m; i++)
					for (int64_t j = 0; j < n; j++) {
						double acc = 0, mg = 0;

						for (int64_t p = 0; p < k; p++) {
							double v =
							    (double)a[aoff + (size_t)(i * k + p)] *
							    b[boff + (size_t)(p * n + j)];

							acc += v;
							mg += fabs(v);
						}
						ref[bi * (size_t)(m * n) + (size_t)(i * n + j)] =
						    act_ref(&act, acc);
						mag[bi * (size_t)(m * n) + (size_t)(i * n + j)] =
						    mg;
					}
			}
			bad += compare(label, r.out.data, ref, mag, on);
			free(ref);
			free(mag);
		}
	next:
		run_free(&r);
		free(a);
		free(b);
	}
}

/* ---- micro-kernel variants against the scalar reference ------------------------ */

static void test_gemm_kernels(void)
{
	const cdl_f32_gemm_kernel *list[8];
	size_t nk = cdl_f32_gemm_kernels(list, 8);

	CHECK(nk >= 1 && list[0] == &cdl_f32_gemm_kernel_4x8__scalar, "scalar kernel listed first");
	CHECK(cdl_f32_gemm_kernel_best() != NULL, "a best kernel");
	printf("gemm kernels:");
	for (size_t i = 0; i < nk && i < 8; i++)
		printf(" %s", list[i]->name);
	printf(" (best: %s)\n", cdl_f32_gemm_kernel_best()->name);

	for (int t = 0; t < 200; t++) {
		const bool big = t % 20 == 0;
		size_t m = (size_t)(big ? rnd_in(100, 300) : rnd_in(1, 40));
		size_t n = (size_t)(big ? rnd_in(500, 1100) : rnd_in(1, 70));
		size_t k = (size_t)(big ? rnd_in(200, 600) : rnd_in(0, 40));
		size_t lda = k + (size_t)rnd_in(0, 3), ldb = n + (size_t)rnd_in(0, 3);
		size_t ldc = n + (size_t)rnd_in(0, 3);
		float *a = rnd_buf(m * lda + 1), *b = rnd_buf(k * ldb + 1), *bias = rnd_buf(m);
		float *c0 = rnd_buf(m * ldc);
		float *c_ref = malloc(m * ldc * sizeof(float)),
		      *c = malloc(m * ldc * sizeof(float));
		size_t ws_size = cdl_f32_gemm_workspace_size(m, n, k);
		void *ws = NULL;
		cdl_act act = {CDL_ACT_NONE, 0, 0};
		cdl_f32_gemm_desc d = {0};

		if (posix_memalign(&ws, 64, ws_size) != 0)
			abort();
		act.kind = (cdl_act_kind)(rnd() % 8);
		act.alpha = act.kind == CDL_ACT_CLIP ? -0.3f : 0.2f;
		act.beta = act.kind == CDL_ACT_CLIP ? 0.4f : 0.5f;
		d.m = m;
		d.n = n;
		d.k = k;
		d.a = a;
		d.a_rs = lda;
		d.a_cs = 1;
		d.alpha = rnd() % 2 ? 1.0f : 0.5f;
		d.b = b;
		d.b_rs = ldb;
		d.b_cs = 1;
		d.ldc = ldc;
		d.bias = rnd() % 2 ? bias : NULL;
		d.accumulate = rnd() % 3 == 0;
		d.act = &act;
		memcpy(c_ref, c0, m * ldc * sizeof(float));
		d.c = c_ref;
		cdl_f32_gemm(&cdl_f32_gemm_kernel_4x8__scalar, &d, ws);
		/* the scalar reference against double */
		{
			bool ok = true;

			for (size_t i = 0; i < m && ok; i++)
				for (size_t j = 0; j < n && ok; j++) {
					double acc = d.accumulate ? c0[i * ldc + j]
								  : (d.bias ? d.bias[i] : 0.0);
					double mg = fabs(acc);

					for (size_t p = 0; p < k; p++) {
						double v = (double)d.alpha * a[i * lda + p] *
							   b[p * ldb + j];

						acc += v;
						mg += fabs(v);
					}
					acc = act_ref(&act, acc);
					if (!(fabs(acc - c_ref[i * ldc + j]) <= 1e-5 * mg + 1e-6)) {
						CHECK(0,
						      "scalar gemm m=%zu n=%zu k=%zu (%zu,%zu): %g "
						      "vs %g",
						      m, n, k, i, j, (double)c_ref[i * ldc + j],
						      acc);
						ok = false;
					}
				}
			/* columns past n untouched */
			for (size_t i = 0; i < m && ok; i++)
				for (size_t j = n; j < ldc; j++)
					if (c_ref[i * ldc + j] != c0[i * ldc + j]) {
						CHECK(0, "scalar gemm wrote past n");
						ok = false;
						break;
					}
			checks++;
		}
		for (size_t v = 1; v < nk && v < 8; v++) {
			memcpy(c, c0, m * ldc * sizeof(float));
			d.c = c;
			cdl_f32_gemm(list[v], &d, ws);
			for (size_t i = 0; i < m * ldc; i++) {
				float tol = 1e-5f * (float)(k + 1) * (1.0f + fabsf(c_ref[i]));

				if (!(fabsf(c[i] - c_ref[i]) <= tol)) {
					CHECK(0, "kernel %s m=%zu n=%zu k=%zu elem %zu: %g vs %g",
					      list[v]->name, m, n, k, i, (double)c[i],
					      (double)c_ref[i]);
					break;
				}
			}
			checks++;
		}
		free(a);
		free(b);
		free(bias);
		free(c0);
		free(c_ref);
		free(c);
		free(ws);
	}
}

/* ---- im2col packing against an explicit im2col matrix -------------------------- */

static void test_im2col_pack(void)
{
	static const size_t nrs[] = {1, 3, 8, 16};

	for (int t = 0; t < 200; t++) {
		cdl_conv_geom g;
		size_t channels = (size_t)rnd_in(1, 3), kprod, isp, osp, K;
		float *x, *col, *p1, *p2;
		cdl_im2col_src src;

		for (int a = 0; a < 3; a++) {
			g.kernel[a] = rnd_in(1, 3);
			g.stride[a] = rnd_in(1, 3);
			g.dilation[a] = rnd_in(1, 2);
			g.pad[a] = rnd_in(0, 2);
			g.in[a] = rnd_in(1, 6);
			g.out[a] = rnd_in(1, 5);
		}
		kprod = (size_t)(g.kernel[0] * g.kernel[1] * g.kernel[2]);
		isp = (size_t)(g.in[0] * g.in[1] * g.in[2]);
		osp = (size_t)(g.out[0] * g.out[1] * g.out[2]);
		K = channels * kprod;
		x = rnd_buf(channels * isp);
		col = calloc(K * osp, sizeof(float));
		for (size_t k = 0; k < K; k++) {
			size_t c = k / kprod, r = k % kprod;
			int64_t kd = (int64_t)(r / (size_t)(g.kernel[1] * g.kernel[2]));
			int64_t kh = (int64_t)(r / (size_t)g.kernel[2] % (size_t)g.kernel[1]);
			int64_t kw = (int64_t)(r % (size_t)g.kernel[2]);

			for (size_t n = 0; n < osp; n++) {
				int64_t od = (int64_t)(n / (size_t)(g.out[1] * g.out[2]));
				int64_t oh = (int64_t)(n / (size_t)g.out[2] % (size_t)g.out[1]);
				int64_t ow = (int64_t)(n % (size_t)g.out[2]);
				int64_t id = od * g.stride[0] - g.pad[0] + kd * g.dilation[0];
				int64_t ih = oh * g.stride[1] - g.pad[1] + kh * g.dilation[1];
				int64_t iw = ow * g.stride[2] - g.pad[2] + kw * g.dilation[2];

				if (id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 &&
				    iw < g.in[2])
					col[k * osp + n] =
					    x[c * isp +
					      (size_t)((id * g.in[1] + ih) * g.in[2] + iw)];
			}
		}
		src.x = x;
		src.channels = channels;
		src.g = &g;
		for (size_t v = 0; v < sizeof(nrs) / sizeof(nrs[0]); v++) {
			size_t nr = nrs[v];
			size_t k0 = (size_t)rnd_in(0, (int64_t)K - 1),
			       n0 = (size_t)rnd_in(0, (int64_t)osp - 1);
			size_t kc = (size_t)rnd_in(1, (int64_t)(K - k0));
			size_t nc = (size_t)rnd_in(1, (int64_t)(osp - n0));
			size_t sz = kc * ((nc + nr - 1) / nr * nr);

			p1 = malloc(sz * sizeof(float));
			p2 = malloc(sz * sizeof(float));
			cdl_f32_im2col_pack_b(&src, k0, kc, n0, nc, nr, p1);
			cdl_f32_gemm_pack_b_strided(col, osp, 1, k0, kc, n0, nc, nr, p2);
			CHECK(memcmp(p1, p2, sz * sizeof(float)) == 0,
			      "im2col pack nr=%zu k0=%zu kc=%zu n0=%zu nc=%zu differs", nr, k0, kc,
			      n0, nc);
			free(p1);
			free(p2);
		}
		free(x);
		free(col);
	}
}

/* ---- infer refuses invalid input ---------------------------------------------- */

static void expect_conv_refused(const char *what, cdl_status want, void (*setup)(op_run *r))
{
	static float dummy[1];
	const int64_t xd[4] = {1, 4, 5, 5}, wd[4] = {6, 2, 3, 3};
	op_run r;
	cdl_status st;

	run_init(&r, "Conv");
	set_input(&r, 0, 4, xd, dummy);
	set_input(&r, 1, 4, wd, dummy);
	attr_int(&r, "group", 2);
	setup(&r);
	st = run_op(&r, false);
	CHECK(st == want, "conv %s: status %d, want %d (%s)", what, st, want, r.msg);
	CHECK(st == CDL_OK || r.msg[0] != '\0', "conv %s: no message", what);
}

static void setup_none(op_run *r)
{
	(void)r;
}

static void setup_group3(op_run *r)
{
	r->attrs[0].v.i = 3;
}

static void setup_group4(op_run *r)
{
	r->attrs[0].v.i = 4; /* W has 2 input channels per group, X 4/4 = 1 */
}

static void setup_stride0(op_run *r)
{
	const int64_t s[2] = {1, 0};

	attr_ints(r, "strides", s, 2);
}

static void setup_dil0(op_run *r)
{
	const int64_t d[2] = {0, 1};

	attr_ints(r, "dilations", d, 2);
}

static void setup_negpad(op_run *r)
{
	const int64_t p[4] = {0, -1, 0, 0};

	attr_ints(r, "pads", p, 4);
}

static void setup_pads3(op_run *r)
{
	const int64_t p[3] = {0, 0, 0};

	attr_ints(r, "pads", p, 3);
}

static void setup_kshape(op_run *r)
{
	const int64_t k[2] = {3, 2};

	attr_ints(r, "kernel_shape", k, 2);
}

static void setup_empty(op_run *r)
{
	const int64_t d[2] = {3, 1};

	attr_ints(r, "dilations", d, 2); /* dilated kernel 7 > 5 */
}

static void setup_autopad(op_run *r)
{
	attr_str(r, "auto_pad", "SAME");
}

static void setup_act(op_run *r)
{
	attr_str(r, "cdl.act", "Gelu");
}

static void setup_i8(op_run *r)
{
	r->in[0].dtype = CDL_DTYPE_I8;
}

static void setup_bias(op_run *r)
{
	static float dummy[1];
	const int64_t bd[1] = {5};

	set_input(r, 2, 1, bd, dummy);
}

static void setup_rank(op_run *r)
{
	r->in[1].rank = 3;
}

static void setup_huge_dil(op_run *r)
{
	const int64_t d[2] = {(int64_t)1 << 40, 1};

	attr_ints(r, "dilations", d, 2);
}

static void setup_unknown(op_run *r)
{
	attr_int(r, "storage_order", 1);
}

static void test_refusals(void)
{
	static float dummy[1];
	op_run r;
	cdl_status st;

	expect_conv_refused("valid", CDL_OK, setup_none);
	expect_conv_refused("group 3", CDL_ERR_INVALID_ARGUMENT, setup_group3);
	expect_conv_refused("group 4", CDL_ERR_INVALID_ARGUMENT, setup_group4);
	expect_conv_refused("stride 0", CDL_ERR_INVALID_ARGUMENT, setup_stride0);
	expect_conv_refused("dilation 0", CDL_ERR_INVALID_ARGUMENT, setup_dil0);
	expect_conv_refused("negative pad", CDL_ERR_INVALID_ARGUMENT, setup_negpad);
	expect_conv_refused("3 pads", CDL_ERR_INVALID_ARGUMENT, setup_pads3);
	expect_conv_refused("kernel_shape", CDL_ERR_INVALID_ARGUMENT, setup_kshape);
	expect_conv_refused("empty output", CDL_ERR_INVALID_ARGUMENT, setup_empty);
	expect_conv_refused("auto_pad", CDL_ERR_UNSUPPORTED, setup_autopad);
	expect_conv_refused("cdl.act", CDL_ERR_UNSUPPORTED, setup_act);
	expect_conv_refused("int8", CDL_ERR_UNSUPPORTED, setup_i8);
	expect_conv_refused("bias size", CDL_ERR_INVALID_ARGUMENT, setup_bias);
	expect_conv_refused("W rank", CDL_ERR_INVALID_ARGUMENT, setup_rank);
	expect_conv_refused("huge dilation", CDL_ERR_INVALID_ARGUMENT, setup_huge_dil);
	expect_conv_refused("unknown attribute", CDL_ERR_UNSUPPORTED, setup_unknown);

	{
		const int64_t ad[2] = {3, 4}, bd[2] = {5, 2};

		run_init(&r, "Gemm");
		set_input(&r, 0, 2, ad, dummy);
		set_input(&r, 1, 2, bd, dummy);
		st = run_op(&r, false);
		CHECK(st == CDL_ERR_INVALID_ARGUMENT, "gemm K mismatch: %d", st);
	}
	{
		const int64_t ad[2] = {3, 4}, bd[2] = {4, 2}, cd[2] = {2, 2};

		run_init(&r, "Gemm");
		set_input(&r, 0, 2, ad, dummy);
		set_input(&r, 1, 2, bd, dummy);
		set_input(&r, 2, 2, cd, dummy);
		st = run_op(&r, false);
		CHECK(st == CDL_ERR_INVALID_ARGUMENT, "gemm C not broadcastable: %d", st);
	}
	{
		const int64_t ad[3] = {2, 3, 4}, bd[3] = {3, 4, 2};

		run_init(&r, "MatMul");
		set_input(&r, 0, 3, ad, dummy);
		set_input(&r, 1, 3, bd, dummy);
		st = run_op(&r, false);
		CHECK(st == CDL_ERR_INVALID_ARGUMENT, "matmul batch mismatch: %d", st);
	}
	{
		const int64_t ad[2] = {3, 4}, bd[2] = {4, 2};

		run_init(&r, "MatMul");
		set_input(&r, 0, 2, ad, dummy);
		set_input(&r, 1, 2, bd, dummy);
		r.in[0].dtype = r.in[1].dtype = CDL_DTYPE_I32;
		st = run_op(&r, false);
		CHECK(st == CDL_ERR_UNSUPPORTED, "matmul int32: %d", st);
		CHECK(strstr(r.msg, "int32") != NULL, "matmul int32 message: %s", r.msg);
	}
	{
		const int64_t xd[4] = {1, 4, 3, 3}, wd[4] = {2, 3, 3, 3};

		run_init(&r, "ConvTranspose");
		set_input(&r, 0, 4, xd, dummy);
		set_input(&r, 1, 4, wd, dummy);
		st = run_op(&r, false);
		CHECK(st == CDL_ERR_INVALID_ARGUMENT, "convtranspose W channels: %d", st);
	}
	{
		const int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 3, 3}, p[4] = {3, 3, 3, 3};

		run_init(&r, "ConvTranspose");
		set_input(&r, 0, 4, xd, dummy);
		set_input(&r, 1, 4, wd, dummy);
		attr_ints(&r, "pads", p, 4);
		st = run_op(&r, false);
		CHECK(st == CDL_ERR_INVALID_ARGUMENT, "convtranspose empty output: %d", st);
	}
}

int main(void)
{
	const int isa_max = cdl_kernels_isa();

	test_gemm_kernels();
	/* The ops once per instruction set this CPU has, each forced in turn
	 * (kernels/isa.h), so that every variant of every kernel family the ops
	 * pick (GEMM, im2col, depthwise, row dot products) meets the same cases. */
	for (int isa = CDL_ISA_SCALAR; isa <= isa_max; isa++) {
		if (isa == CDL_ISA_NEON && isa_max != CDL_ISA_NEON)
			continue;
		cdl_kernels_set_isa_cap(isa);
		printf("ops with kernels up to isa %d (gemm %s)\n", isa,
		       cdl_f32_gemm_kernel_best()->name);
		test_conv_fixed();
		test_conv_transpose_fixed();
		test_im2col_pack();
		test_conv_random();
		test_conv3x3s2();
		test_conv_transpose_random();
		test_gemm_random();
		test_matmul_random();
		test_refusals();
	}
	cdl_kernels_set_isa_cap(-1);
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
