// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the pooling, shape and data-movement ops (ops/pool.c,
 * shape.c, transpose.c, concat_split.c, slice.c, pad.c, resize.c, gather.c,
 * cast.c, generate.c), called directly through infer + execute.
 *
 * Hand-computed cases (some taken from the ONNX operator docs), and random
 * shapes checked against naive index-math references written here. Exact
 * comparison for data movement; pooling/resize within 1e-5 relative. The
 * ONNX backend data is run by tests/conformance (cdl check-onnx).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/isa.h"
#include "engine/op.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* --- running an op --------------------------------------------------------- */

#define MAX_T 8

typedef struct op_run {
	const char *op;
	uint32_t opset;
	cdl_attr attrs[12];
	uint32_t n_attrs;
	cdl_tensor *in[MAX_T];
	bool in_const[MAX_T]; /* infer sees the data (shape-deciding inputs) */
	uint32_t n_in;
	cdl_tensor out[MAX_T];
	uint32_t n_out;
	bool out_absent[MAX_T];
	size_t workspace_size;
	char msg[256];
} op_run;

static cdl_tensor tensor(int dtype, void *data, uint32_t rank, const int64_t *dims)
{
	cdl_tensor t;

	memset(&t, 0, sizeof(t));
	t.dtype = (uint8_t)dtype;
	t.rank = (uint8_t)rank;
	t.data = data;
	for (uint32_t i = 0; i < rank; i++)
		t.dims[i] = dims[i];
	return t;
}

static void attr_i(op_run *r, const char *name, int64_t v)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_INT;
	a->v.i = v;
}

static void attr_f(op_run *r, const char *name, float v)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_FLOAT;
	a->v.f = v;
}

static void attr_s(op_run *r, const char *name, const char *v)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_STRING;
	a->v.s = v;
	a->count = (uint32_t)strlen(v);
}

static void attr_ints(op_run *r, const char *name, const int64_t *v, uint32_t n)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_INTS;
	a->v.ints = v;
	a->count = n;
}

static void attr_floats(op_run *r, const char *name, const float *v, uint32_t n)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_FLOATS;
	a->v.floats = v;
	a->count = n;
}

static void attr_t(op_run *r, const char *name, const cdl_tensor *t)
{
	cdl_attr *a = &r->attrs[r->n_attrs++];

	a->name = name;
	a->type = CDL_ATTR_TENSOR;
	a->v.t = t;
}

static void op_init(op_run *r, const char *op, uint32_t opset)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->opset = opset;
	r->n_out = 1;
}

static void in_data(op_run *r, cdl_tensor *t)
{
	r->in[r->n_in++] = t;
}

static void in_const(op_run *r, cdl_tensor *t)
{
	r->in_const[r->n_in] = true;
	r->in[r->n_in++] = t;
}

static void in_absent(op_run *r)
{
	r->in[r->n_in++] = NULL;
}

static void op_free(op_run *r)
{
	for (uint32_t i = 0; i < r->n_out; i++) {
		free(r->out[i].data);
		r->out[i].data = NULL;
	}
}

/* infer only (inputs without in_const have no data). */
static cdl_status op_infer(op_run *r, cdl_op_ctx *ctx, cdl_node *node, cdl_tensor **ins,
			   cdl_tensor **outs, cdl_tensor *shape_in)
{
	const cdl_op_def *def = cdl_op_find(r->op);
	static uint32_t idx[MAX_T];

	r->msg[0] = 0;
	if (!def) {
		snprintf(r->msg, sizeof(r->msg), "op %s not registered", r->op);
		return CDL_ERR_UNSUPPORTED;
	}
	memset(node, 0, sizeof(*node));
	node->op_type = r->op;
	node->name = "test";
	node->opset = r->opset;
	node->n_inputs = r->n_in;
	node->n_outputs = r->n_out;
	node->inputs = idx;
	node->outputs = idx;
	node->attrs = r->attrs;
	node->n_attrs = r->n_attrs;
	for (uint32_t i = 0; i < r->n_in; i++) {
		if (r->in[i] && !r->in_const[i]) {
			shape_in[i] = *r->in[i];
			shape_in[i].data = NULL;
			ins[i] = &shape_in[i];
		} else {
			ins[i] = r->in[i];
		}
	}
	for (uint32_t i = 0; i < r->n_out; i++) {
		memset(&r->out[i], 0, sizeof(r->out[i]));
		outs[i] = r->out_absent[i] ? NULL : &r->out[i];
	}
	memset(ctx, 0, sizeof(*ctx));
	ctx->node = node;
	ctx->n_inputs = r->n_in;
	ctx->n_outputs = r->n_out;
	ctx->inputs = ins;
	ctx->outputs = outs;
	ctx->msg = r->msg;
	ctx->msg_size = sizeof(r->msg);
	return def->infer(ctx);
}

/* infer, allocate (poisoned), execute. Returns the first failing status. */
static cdl_status op_exec(op_run *r)
{
	const cdl_op_def *def = cdl_op_find(r->op);
	cdl_node node;
	cdl_op_ctx ctx;
	cdl_tensor shape_in[MAX_T];
	cdl_tensor *ins[MAX_T], *outs[MAX_T];
	cdl_status st;
	void *ws = NULL;

	st = op_infer(r, &ctx, &node, ins, outs, shape_in);
	if (st)
		return st;
	r->workspace_size = ctx.workspace_size;
	if (ctx.workspace_size > ((size_t)1 << 28))
		return CDL_ERR_OUT_OF_MEMORY;
	for (uint32_t i = 0; i < r->n_out; i++) {
		size_t nb = 0;

		if (!outs[i])
			continue;
		if (!cdl_tensor_nbytes(outs[i], &nb))
			return CDL_ERR_INTERNAL;
		if (nb > ((size_t)1 << 28)) /* too big for a unit test: skip */
			return CDL_ERR_OUT_OF_MEMORY;
		outs[i]->data = malloc(nb ? nb : 1);
		memset(outs[i]->data, 0xA5, nb); /* poison: unwritten output shows up */
	}
	for (uint32_t i = 0; i < r->n_in; i++)
		ins[i] = r->in[i];
	if (ctx.workspace_size) {
		ws = aligned_alloc(64, (ctx.workspace_size + 63) & ~(size_t)63);
		ctx.workspace = ws;
	}
	st = def->execute(&ctx);
	free(ws);
	return st;
}

/* --- checks ------------------------------------------------------------------ */

static size_t numel_dims(uint32_t rank, const int64_t *dims)
{
	size_t n = 1;

	for (uint32_t i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	return n;
}

static bool shape_is(const cdl_tensor *t, uint32_t rank, const int64_t *dims)
{
	if (t->rank != rank)
		return false;
	for (uint32_t i = 0; i < rank; i++)
		if (t->dims[i] != dims[i])
			return false;
	return true;
}

#define CHECK_SHAPE(t, ...)                                                                        \
	do {                                                                                       \
		const int64_t want_[] = {__VA_ARGS__};                                             \
		CHECK(shape_is((t), sizeof(want_) / sizeof(want_[0]), want_),                      \
		      "shape rank %u [%lld,%lld,%lld,%lld]", (t)->rank, (long long)(t)->dims[0],   \
		      (long long)(t)->dims[1], (long long)(t)->dims[2], (long long)(t)->dims[3]);  \
	} while (0)

#define CHECK_SCALAR_SHAPE(t) CHECK((t)->rank == 0, "rank %u, want scalar", (t)->rank)

static void check_bytes(const char *what, const void *got, const void *want, size_t nbytes)
{
	CHECK(got && memcmp(got, want, nbytes) == 0, "%s: bytes differ", what);
}

static void check_f32(const char *what, const float *got, const float *want, size_t n, float tol)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		float d = fabsf(got[i] - want[i]);

		if (!(d <= tol + tol * fabsf(want[i])) && !(isnan(got[i]) && isnan(want[i]))) {
			if (bad++ < 4)
				fprintf(stderr, "%s: [%zu] got %.9g want %.9g\n", what, i,
					(double)got[i], (double)want[i]);
		}
	}
	CHECK(bad == 0, "%s: %zu of %zu elements differ", what, bad, n);
}

static void check_i64(const char *what, const int64_t *got, const int64_t *want, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i] && bad++ < 4)
			fprintf(stderr, "%s: [%zu] got %lld want %lld\n", what, i,
				(long long)got[i], (long long)want[i]);
	CHECK(bad == 0, "%s: %zu of %zu elements differ", what, bad, n);
}

static uint32_t rng_state = 12345;

static uint32_t urand(uint32_t n)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (rng_state >> 8) % n;
}

static float frand(float lo, float hi)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return lo + (hi - lo) * (float)(rng_state >> 8) / (float)(1u << 24);
}

static float *frandv(size_t n)
{
	float *x = malloc(n * sizeof(float) + 1);

	for (size_t i = 0; i < n; i++)
		x[i] = frand(-10.0f, 10.0f);
	return x;
}

static void strides_of(uint32_t rank, const int64_t *dims, int64_t *str)
{
	int64_t s = 1;

	for (int d = (int)rank - 1; d >= 0; d--) {
		str[d] = s;
		s *= dims[d];
	}
}

static void unravel(size_t lin, uint32_t rank, const int64_t *dims, int64_t *idx)
{
	for (int d = (int)rank - 1; d >= 0; d--) {
		idx[d] = (int64_t)(lin % (size_t)dims[d]);
		lin /= (size_t)dims[d];
	}
}

/* --- Transpose ---------------------------------------------------------------- */

static void transpose_case(uint32_t rank, const int64_t *dims, const int64_t *perm, int dtype,
			   size_t esize)
{
	op_run r;
	size_t n = numel_dims(rank, dims);
	uint8_t *x = malloc(n * esize + 1), *want = malloc(n * esize + 1);
	int64_t istr[CDL_MAX_RANK], odims[CDL_MAX_RANK], idx[CDL_MAX_RANK];
	cdl_tensor tx = tensor(dtype, x, rank, dims);
	cdl_status st;

	for (size_t i = 0; i < n * esize; i++)
		x[i] = (uint8_t)urand(256);
	strides_of(rank, dims, istr);
	for (uint32_t i = 0; i < rank; i++)
		odims[i] = dims[perm ? perm[i] : rank - 1 - i];
	for (size_t o = 0; o < n; o++) {
		size_t off = 0;

		unravel(o, rank, odims, idx);
		for (uint32_t i = 0; i < rank; i++)
			off += (size_t)idx[i] * (size_t)istr[perm ? perm[i] : rank - 1 - i];
		memcpy(want + o * esize, x + off * esize, esize);
	}
	op_init(&r, "Transpose", 13);
	in_data(&r, &tx);
	if (perm)
		attr_ints(&r, "perm", perm, rank);
	st = op_exec(&r);
	CHECK(st == CDL_OK, "transpose: %s", r.msg);
	if (st == CDL_OK) {
		CHECK(shape_is(&r.out[0], rank, odims), "transpose shape");
		check_bytes("transpose", r.out[0].data, want, n * esize);
	}
	op_free(&r);
	free(x);
	free(want);
}

static void test_transpose(void)
{
	static const int64_t d4[4] = {2, 3, 4, 5};
	static const int64_t nchw[4] = {2, 19, 17, 23};
	static const int64_t nhwc_perm[4] = {0, 2, 3, 1}, nchw_perm[4] = {0, 3, 1, 2};
	static const int64_t d6[6] = {2, 1, 3, 2, 1, 4};
	static const int64_t p6[6] = {5, 0, 3, 1, 4, 2};
	int64_t perm[4];

	/* all 24 permutations of a 4-D tensor, f32 */
	for (int a = 0; a < 4; a++)
		for (int b = 0; b < 4; b++)
			for (int c = 0; c < 4; c++)
				for (int d = 0; d < 4; d++) {
					if (a == b || a == c || a == d || b == c || b == d ||
					    c == d)
						continue;
					perm[0] = a, perm[1] = b, perm[2] = c, perm[3] = d;
					transpose_case(4, d4, perm, CDL_DTYPE_F32, 4);
				}
	transpose_case(4, d4, NULL, CDL_DTYPE_F32, 4); /* default: reversed */
	transpose_case(4, nchw, nhwc_perm, CDL_DTYPE_F32, 4);
	transpose_case(4, nchw, nchw_perm, CDL_DTYPE_F32, 4);
	transpose_case(4, nchw, nhwc_perm, CDL_DTYPE_U8, 1);
	transpose_case(4, nchw, nchw_perm, CDL_DTYPE_I64, 8);
	transpose_case(6, d6, p6, CDL_DTYPE_I8, 1);
	{
		static const int64_t bad[3] = {0, 0, 1};
		static const int64_t d3[3] = {2, 2, 2};
		float x[8] = {0};
		cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, d3);
		op_run r;

		op_init(&r, "Transpose", 13);
		in_data(&r, &tx);
		attr_ints(&r, "perm", bad, 3);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "repeated perm accepted");
		op_free(&r);
	}
}

/* --- shape ops ------------------------------------------------------------------ */

static void test_reshape(void)
{
	static const int64_t d[4] = {2, 3, 4, 1};
	float x[24];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, d);
	op_run r;

	for (int i = 0; i < 24; i++)
		x[i] = (float)i;
	{
		int64_t s[3] = {0, -1, 2};
		int64_t sd[1] = {3};
		cdl_tensor ts = tensor(CDL_DTYPE_I64, s, 1, sd);

		op_init(&r, "Reshape", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 6, 2);
		check_bytes("reshape", r.out[0].data, x, sizeof(x));
		op_free(&r);
		/* shape not constant */
		op_init(&r, "Reshape", 13);
		in_data(&r, &tx);
		in_data(&r, &ts);
		CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "non-constant shape accepted");
		CHECK(strstr(r.msg, "shape must be a constant") != NULL, "msg: %s", r.msg);
		op_free(&r);
	}
	{
		int64_t s[2] = {-1, -1};
		int64_t sd[1] = {2};
		cdl_tensor ts = tensor(CDL_DTYPE_I64, s, 1, sd);

		op_init(&r, "Reshape", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "two -1 accepted");
		op_free(&r);
		s[0] = 5;
		s[1] = 5;
		op_init(&r, "Reshape", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "wrong element count accepted");
		op_free(&r);
	}
	{
		/* allowzero: a 0 is a real zero dim */
		static const int64_t ed[2] = {0, 3};
		int64_t s[2] = {3, 0};
		int64_t sd[1] = {2};
		cdl_tensor te = tensor(CDL_DTYPE_F32, x, 2, ed);
		cdl_tensor ts = tensor(CDL_DTYPE_I64, s, 1, sd);

		op_init(&r, "Reshape", 14);
		attr_i(&r, "allowzero", 1);
		in_data(&r, &te);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 3, 0);
		op_free(&r);
	}
}

static void test_flatten_squeeze(void)
{
	static const int64_t d[4] = {2, 3, 1, 5};
	float x[30] = {0};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, d);
	op_run r;

	for (int i = 0; i < 30; i++)
		x[i] = (float)i;
	op_init(&r, "Flatten", 13);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 2, 15);
	check_bytes("flatten", r.out[0].data, x, sizeof(x));
	op_free(&r);
	op_init(&r, "Flatten", 13);
	attr_i(&r, "axis", -4);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 1, 30);
	op_free(&r);
	op_init(&r, "Flatten", 13);
	attr_i(&r, "axis", 4);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 30, 1);
	op_free(&r);

	/* Squeeze: all unit dims (no axes), attr axes (11), input axes (13) */
	op_init(&r, "Squeeze", 13);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 2, 3, 5);
	op_free(&r);
	{
		static const int64_t ax[1] = {-2};
		int64_t axd[1] = {1};
		int64_t axv[1] = {-2};
		cdl_tensor ta = tensor(CDL_DTYPE_I64, axv, 1, axd);

		op_init(&r, "Squeeze", 11);
		attr_ints(&r, "axes", ax, 1);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 3, 5);
		op_free(&r);
		op_init(&r, "Squeeze", 13);
		in_data(&r, &tx);
		in_const(&r, &ta);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 3, 5);
		op_free(&r);
		axv[0] = 0; /* dim 0 is 2: not squeezable */
		op_init(&r, "Squeeze", 13);
		in_data(&r, &tx);
		in_const(&r, &ta);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "squeezed a dim of 2");
		op_free(&r);
	}
	{
		int64_t axv[3] = {5, 0, -1};
		int64_t axd[1] = {3};
		cdl_tensor ta = tensor(CDL_DTYPE_I64, axv, 1, axd);

		op_init(&r, "Unsqueeze", 13);
		in_data(&r, &tx);
		in_const(&r, &ta);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK(shape_is(&r.out[0], 7, (const int64_t[]){1, 2, 3, 1, 5, 1, 1}),
		      "unsqueeze shape");
		check_bytes("unsqueeze", r.out[0].data, x, sizeof(x));
		op_free(&r);
		axv[1] = 5; /* repeated */
		op_init(&r, "Unsqueeze", 13);
		in_data(&r, &tx);
		in_const(&r, &ta);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "repeated unsqueeze axes accepted");
		op_free(&r);
		op_init(&r, "Unsqueeze", 13);
		in_data(&r, &tx);
		in_data(&r, &ta);
		CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "non-constant axes accepted");
		op_free(&r);
	}
}

static void test_identity_dropout_shape(void)
{
	static const int64_t d[3] = {2, 3, 4};
	int64_t x[24];
	cdl_tensor tx = tensor(CDL_DTYPE_I64, x, 3, d);
	op_run r;

	for (int i = 0; i < 24; i++)
		x[i] = i * 1000003LL;
	op_init(&r, "Identity", 16);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_bytes("identity", r.out[0].data, x, sizeof(x));
	op_free(&r);
	{
		float xf[24];
		uint8_t ones[24];
		cdl_tensor tf = tensor(CDL_DTYPE_F32, xf, 3, d);

		memset(ones, 1, sizeof(ones));
		for (int i = 0; i < 24; i++)
			xf[i] = (float)i * 0.5f;
		op_init(&r, "Dropout", 13);
		r.n_out = 2;
		in_data(&r, &tf);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("dropout", r.out[0].data, xf, sizeof(xf));
		CHECK(r.out[1].dtype == CDL_DTYPE_BOOL, "mask dtype");
		check_bytes("dropout mask", r.out[1].data, ones, sizeof(ones));
		op_free(&r);
		{
			uint8_t tm = 1;
			cdl_tensor tt = tensor(CDL_DTYPE_BOOL, &tm, 0, NULL);

			op_init(&r, "Dropout", 13);
			in_data(&r, &tf);
			in_absent(&r);
			in_const(&r, &tt);
			CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "training dropout accepted");
			op_free(&r);
		}
	}
	op_init(&r, "Shape", 13);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 3);
	check_i64("shape", r.out[0].data, d, 3);
	op_free(&r);
	op_init(&r, "Shape", 15);
	attr_i(&r, "start", -2);
	attr_i(&r, "end", 10);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 2);
	check_i64("shape start", r.out[0].data, d + 1, 2);
	op_free(&r);
	op_init(&r, "Shape", 15);
	attr_i(&r, "start", 2);
	attr_i(&r, "end", 1);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 0);
	op_free(&r);
	op_init(&r, "Size", 13);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SCALAR_SHAPE(&r.out[0]);
	CHECK(*(int64_t *)r.out[0].data == 24, "size");
	op_free(&r);
}

/* --- Concat / Split ------------------------------------------------------------------ */

static void test_concat_split(void)
{
	static const int64_t da[3] = {2, 2, 3}, db[3] = {2, 1, 3}, dz[3] = {2, 0, 3};
	int32_t a[12], b[6];
	cdl_tensor ta = tensor(CDL_DTYPE_I32, a, 3, da), tb = tensor(CDL_DTYPE_I32, b, 3, db);
	cdl_tensor tz = tensor(CDL_DTYPE_I32, a, 3, dz);
	static const int32_t want[18] = {0, 1, 2, 3, 4,	 5,  100, 101, 102,
					 6, 7, 8, 9, 10, 11, 103, 104, 105};
	op_run r;

	for (int i = 0; i < 12; i++)
		a[i] = i;
	for (int i = 0; i < 6; i++)
		b[i] = 100 + i;
	op_init(&r, "Concat", 13);
	attr_i(&r, "axis", -2);
	in_data(&r, &ta);
	in_data(&r, &tz);
	in_data(&r, &tb);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 2, 3, 3);
	check_bytes("concat", r.out[0].data, want, sizeof(want));
	op_free(&r);
	op_init(&r, "Concat", 13);
	attr_i(&r, "axis", 2);
	in_data(&r, &ta);
	in_data(&r, &tb);
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "mismatched concat accepted");
	op_free(&r);

	/* Split the concatenation back: split input (13), attr (11), equal */
	{
		static const int64_t dw[3] = {2, 3, 3};
		int64_t sp[3] = {2, 0, 1};
		int64_t spd[1] = {3};
		cdl_tensor tw = tensor(CDL_DTYPE_I32, (void *)want, 3, dw);
		cdl_tensor ts = tensor(CDL_DTYPE_I64, sp, 1, spd);

		op_init(&r, "Split", 13);
		attr_i(&r, "axis", 1);
		r.n_out = 3;
		in_data(&r, &tw);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 2, 3);
		CHECK_SHAPE(&r.out[1], 2, 0, 3);
		CHECK_SHAPE(&r.out[2], 2, 1, 3);
		check_bytes("split 0", r.out[0].data, a, sizeof(a));
		check_bytes("split 2", r.out[2].data, b, sizeof(b));
		op_free(&r);
		op_init(&r, "Split", 11);
		attr_i(&r, "axis", -2);
		attr_ints(&r, "split", sp, 3);
		r.n_out = 3;
		in_data(&r, &tw);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("split attr 0", r.out[0].data, a, sizeof(a));
		check_bytes("split attr 2", r.out[2].data, b, sizeof(b));
		op_free(&r);
		op_init(&r, "Split", 13);
		attr_i(&r, "axis", 1);
		r.n_out = 2;
		in_data(&r, &tw);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "3 split in 2 equal parts");
		op_free(&r);
		sp[2] = 2;
		op_init(&r, "Split", 13);
		attr_i(&r, "axis", 1);
		r.n_out = 3;
		in_data(&r, &tw);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "split sum mismatch accepted");
		op_free(&r);
	}
	{
		static const int64_t d1[1] = {6};
		float x[6] = {1, 2, 3, 4, 5, 6};
		cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 1, d1);

		op_init(&r, "Split", 13);
		r.n_out = 3;
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[1], 2);
		check_bytes("split equal", r.out[1].data, x + 2, 8);
		op_free(&r);
	}
}

/* --- Slice ------------------------------------------------------------------ */

static int64_t clampi(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void test_slice(void)
{
	static const int64_t d[3] = {4, 5, 6};
	float x[120];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, d);
	static const int64_t picks[] = {0, 1, 2, -1, -3, 3, 7, -9, INT64_MAX, INT64_MIN};
	op_run r;

	for (int i = 0; i < 120; i++)
		x[i] = (float)i;
	for (int iter = 0; iter < 400; iter++) {
		int64_t starts[3], ends[3], axes[3], steps[3];
		int64_t lens[3] = {4, 5, 6}, st0[3] = {0, 0, 0}, stp[3] = {1, 1, 1};
		int64_t n = 1 + urand(3), vd[1];
		bool used[3] = {false, false, false};
		cdl_tensor ts, te, ta, tp;
		float want[120];
		size_t cnt = 0;
		cdl_status status;

		vd[0] = n;
		for (int64_t i = 0; i < n; i++) {
			int64_t ax;

			do
				ax = urand(3);
			while (used[ax]);
			used[ax] = true;
			axes[i] = urand(2) ? ax : ax - 3;
			starts[i] = picks[urand(10)];
			ends[i] = picks[urand(10)];
			steps[i] = (int64_t[]){1, 2, 3, -1, -2, INT64_MAX, INT64_MIN + 1}[urand(7)];
			/* reference: the spec's clamping */
			{
				int64_t dim = d[ax], s = starts[i], e = ends[i];

				if (s < 0)
					s += dim;
				if (e < 0)
					e += dim;
				if (steps[i] > 0) {
					s = clampi(s, 0, dim);
					e = clampi(e, 0, dim);
				} else {
					s = clampi(s, 0, dim - 1);
					e = clampi(e, -1, dim - 1);
				}
				st0[ax] = s;
				stp[ax] = steps[i];
				lens[ax] = 0;
				if (steps[i] > 0)
					for (int64_t v = s;
					     v<e; v += steps[i]> 100 ? 1000 : steps[i])
						lens[ax]++;
				else
					for (int64_t v = s; v > e;
					     v += steps[i] < -100 ? -1000 : steps[i])
						lens[ax]++;
			}
		}
		for (int64_t i0 = 0; i0 < lens[0]; i0++)
			for (int64_t i1 = 0; i1 < lens[1]; i1++)
				for (int64_t i2 = 0; i2 < lens[2]; i2++)
					want[cnt++] =
					    x[((st0[0] + i0 * stp[0]) * 5 + st0[1] + i1 * stp[1]) *
						  6 +
					      st0[2] + i2 * stp[2]];
		ts = tensor(CDL_DTYPE_I64, starts, 1, vd);
		te = tensor(CDL_DTYPE_I64, ends, 1, vd);
		ta = tensor(CDL_DTYPE_I64, axes, 1, vd);
		tp = tensor(CDL_DTYPE_I64, steps, 1, vd);
		op_init(&r, "Slice", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		in_const(&r, &te);
		in_const(&r, &ta);
		in_const(&r, &tp);
		status = op_exec(&r);
		CHECK(status == CDL_OK, "slice: %s", r.msg);
		if (status == CDL_OK) {
			CHECK(shape_is(&r.out[0], 3, lens),
			      "slice iter %d shape [%lld,%lld,%lld] want [%lld,%lld,%lld]", iter,
			      (long long)r.out[0].dims[0], (long long)r.out[0].dims[1],
			      (long long)r.out[0].dims[2], (long long)lens[0], (long long)lens[1],
			      (long long)lens[2]);
			if (shape_is(&r.out[0], 3, lens))
				check_bytes("slice", r.out[0].data, want, cnt * 4);
		}
		op_free(&r);
	}
	{
		/* opset 1 attributes, int32 data */
		static const int64_t s[2] = {1, 0}, e[2] = {3, -1}, a[2] = {0, 2};
		op_run q;

		op_init(&q, "Slice", 1);
		attr_ints(&q, "starts", s, 2);
		attr_ints(&q, "ends", e, 2);
		attr_ints(&q, "axes", a, 2);
		in_data(&q, &tx);
		CHECK(op_exec(&q) == CDL_OK, "%s", q.msg);
		CHECK_SHAPE(&q.out[0], 2, 5, 5);
		CHECK(((float *)q.out[0].data)[0] == 30.0f && ((float *)q.out[0].data)[5] == 36.0f,
		      "slice opset 1 values");
		op_free(&q);
	}
	{
		int64_t s[1] = {0}, e[1] = {2}, p[1] = {0}, vd[1] = {1};
		cdl_tensor ts = tensor(CDL_DTYPE_I64, s, 1, vd),
			   te = tensor(CDL_DTYPE_I64, e, 1, vd),
			   tp = tensor(CDL_DTYPE_I64, p, 1, vd);

		op_init(&r, "Slice", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		in_const(&r, &te);
		in_absent(&r);
		in_const(&r, &tp);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "step 0 accepted");
		op_free(&r);
		op_init(&r, "Slice", 13);
		in_data(&r, &tx);
		in_data(&r, &ts);
		in_const(&r, &te);
		CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "non-constant starts accepted");
		CHECK(strstr(r.msg, "starts must be a constant") != NULL, "msg: %s", r.msg);
		op_free(&r);
	}
}

/* --- Pad ------------------------------------------------------------------------ */

static int64_t ref_pad_map(int64_t i, int64_t n, int mode)
{
	if (i >= 0 && i < n)
		return i;
	if (mode == 0)
		return -1;
	if (mode == 2)
		return i < 0 ? 0 : n - 1;
	/* reflect by walking, one bounce at a time */
	while (i < 0 || i >= n) {
		if (n == 1)
			return 0;
		if (i < 0)
			i = -i;
		if (i >= n)
			i = 2 * (n - 1) - i;
	}
	return i;
}

static void test_pad(void)
{
	static const char *const modes[3] = {"constant", "reflect", "edge"};
	static const int64_t d[3] = {2, 3, 4};
	float x[24];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, d);
	op_run r;

	for (int i = 0; i < 24; i++)
		x[i] = (float)(i + 1);
	for (int iter = 0; iter < 120; iter++) {
		int mode = iter % 3;
		int64_t pads[6], od[3], pd[1] = {6}, idx[3];
		float cv = 7.5f, *want;
		cdl_tensor tp = tensor(CDL_DTYPE_I64, pads, 1, pd);
		cdl_tensor tc = tensor(CDL_DTYPE_F32, &cv, 0, NULL);
		size_t n;
		cdl_status st;

		for (int i = 0; i < 6; i++) {
			int64_t lim = mode == 0 ? 4 : d[i % 3] - 1 + (mode == 2) * 3;

			pads[i] = (int64_t)urand((uint32_t)lim + 1) - (mode == 0 ? 1 : 0);
			if (mode == 1 && iter % 2) /* numpy reflects past one bounce too */
				pads[i] += urand(4);
		}
		for (int i = 0; i < 3; i++)
			od[i] = d[i] + pads[i] + pads[i + 3];
		n = numel_dims(3, od);
		want = malloc(n * 4 + 4);
		for (size_t o = 0; o < n; o++) {
			int64_t off = 0;
			bool fill = false;

			unravel(o, 3, od, idx);
			for (int i = 0; i < 3; i++) {
				int64_t s = ref_pad_map(idx[i] - pads[i], d[i], mode);

				if (s < 0)
					fill = true;
				off = off * d[i] + s;
			}
			want[o] = fill ? cv : x[off];
		}
		op_init(&r, "Pad", 13);
		attr_s(&r, "mode", modes[mode]);
		in_data(&r, &tx);
		in_const(&r, &tp);
		in_data(&r, &tc);
		st = op_exec(&r);
		CHECK(st == CDL_OK, "pad %s: %s", modes[mode], r.msg);
		if (st == CDL_OK) {
			CHECK(shape_is(&r.out[0], 3, od), "pad shape");
			check_bytes("pad", r.out[0].data, want, n * 4);
		}
		op_free(&r);
		free(want);
	}
	{
		/* opset 2 attributes on int64 data: value converts to the dtype */
		static const int64_t pads[4] = {0, 1, 0, 1}, d2[2] = {1, 2};
		int64_t xi[2] = {5, 6}, want[4] = {3, 5, 6, 3};
		cdl_tensor ti = tensor(CDL_DTYPE_I64, xi, 2, d2);

		op_init(&r, "Pad", 2);
		attr_ints(&r, "pads", pads, 4);
		attr_f(&r, "value", 3.9f);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_i64("pad int64", r.out[0].data, want, 4);
		op_free(&r);
	}
	{
		int64_t pads[6] = {0, 0, -5, 0, 0, 0}, pd[1] = {6};
		cdl_tensor tp = tensor(CDL_DTYPE_I64, pads, 1, pd);

		op_init(&r, "Pad", 13);
		in_data(&r, &tx);
		in_const(&r, &tp);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "over-cropping pads accepted");
		op_free(&r);
	}
}

/* --- Pooling ----------------------------------------------------------------------- */

/* Brute-force 2-D pooling over explicit pads; out dims given. */
static void ref_pool2d(const float *x, int64_t n, int64_t c, int64_t h, int64_t w, const int64_t *k,
		       const int64_t *s, const int64_t *dl, const int64_t *pads, int64_t oh,
		       int64_t ow, int kind, bool include_pad, float *y, int64_t *ind)
{
	for (int64_t pl = 0; pl < n * c; pl++)
		for (int64_t i = 0; i < oh; i++)
			for (int64_t j = 0; j < ow; j++) {
				double sum = 0;
				float m = -INFINITY;
				int64_t cnt = 0, cnt_pad = 0, best = -1;

				for (int64_t a = 0; a < k[0]; a++)
					for (int64_t b = 0; b < k[1]; b++) {
						int64_t yy = i * s[0] - pads[0] + a * dl[0];
						int64_t xx = j * s[1] - pads[1] + b * dl[1];

						if (yy >= -pads[0] && yy < h + pads[2] &&
						    xx >= -pads[1] && xx < w + pads[3])
							cnt_pad++;
						if (yy < 0 || yy >= h || xx < 0 || xx >= w)
							continue;
						cnt++;
						sum += x[(pl * h + yy) * w + xx];
						if (x[(pl * h + yy) * w + xx] > m) {
							m = x[(pl * h + yy) * w + xx];
							best = pl * h * w + yy * w + xx;
						}
					}
				if (kind == 0) {
					y[(pl * oh + i) * ow + j] = m;
					if (ind)
						ind[(pl * oh + i) * ow + j] = best;
				} else {
					y[(pl * oh + i) * ow + j] =
					    (float)(sum / (double)(include_pad ? cnt_pad : cnt));
				}
			}
}

static int64_t ref_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe,
		       bool ceil_mode)
{
	int64_t span = in + pb + pe - ((k - 1) * d + 1);
	int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;

	if (ceil_mode && (o - 1) * s >= in + pb)
		o--;
	return o;
}

/*
 * GlobalAveragePool: the AVX-512 sum gives the scalar sum's bits (16 partial
 * sums, then pairwise), for every plane size around the vector width, and
 * both are the mean to float rounding.
 */
static void test_global_avgpool_isa(void)
{
	static const int64_t hws[][2] = {{1, 1}, {1, 7},  {3, 5},   {4, 4},	{1, 17},
					 {7, 7}, {5, 13}, {14, 14}, {56, 56}, {13, 13}};
	const int top = cdl_kernels_isa();

	for (size_t h = 0; h < sizeof(hws) / sizeof(hws[0]); h++) {
		const int64_t dims[4] = {1, 3, hws[h][0], hws[h][1]};
		const size_t hw = (size_t)(hws[h][0] * hws[h][1]), n = 3 * hw;
		float *x = malloc(n * sizeof(float)), want[3] = {0};
		cdl_tensor t = tensor(CDL_DTYPE_F32, x, 4, dims);
		op_run r;

		for (size_t i = 0; i < n; i++)
			x[i] = (float)((i * 2654435761u) % 2000) / 1000.0f - 1.0f;
		if (hw > 1)
			x[hw - 1] = -0.0f;
		for (int isa = CDL_ISA_SCALAR; isa <= top; isa++) {
			op_init(&r, "GlobalAveragePool", 1);
			in_data(&r, &t);
			cdl_kernels_set_isa_cap(isa);
			CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
			cdl_kernels_set_isa_cap(-1);
			for (int c = 0; c < 3; c++) {
				const float got = ((float *)r.out[0].data)[c];
				double mean = 0.0;

				for (size_t i = 0; i < hw; i++)
					mean += x[c * hw + i];
				mean /= (double)hw;
				if (isa == CDL_ISA_SCALAR)
					want[c] = got;
				CHECK(memcmp(&got, &want[c], sizeof(got)) == 0,
				      "GlobalAveragePool %zu elements, isa %d: %.9g vs scalar %.9g", hw,
				      isa, (double)got, (double)want[c]);
				CHECK(fabs(got - mean) <= 1e-6 + 1e-6 * fabs(mean),
				      "GlobalAveragePool %zu elements: %.9g vs mean %.9g", hw,
				      (double)got, mean);
			}
			op_free(&r);
		}
		free(x);
	}
}

static void test_pool(void)
{
	op_run r;

	for (int iter = 0; iter < 300; iter++) {
		int kind = iter % 2; /* 0 max, 1 average */
		int64_t n = 1 + urand(2), c = 1 + urand(3), h = 1 + urand(9), w = 1 + urand(9);
		int64_t k[2] = {1 + urand(3), 1 + urand(3)}, s[2] = {1 + urand(3), 1 + urand(3)};
		int64_t dl[2] = {kind ? 1 : 1 + urand(2), kind ? 1 : 1 + urand(2)};
		int64_t pads[4] = {urand((uint32_t)k[0]), urand((uint32_t)k[1]),
				   urand((uint32_t)k[0]), urand((uint32_t)k[1])};
		bool ceil_mode = urand(2), include_pad = urand(2);
		int64_t xd[4] = {n, c, h, w}, oh, ow;
		float *x, *want;
		int64_t *want_ind = NULL;
		cdl_tensor tx;
		cdl_status st;

		if (h + pads[0] + pads[2] < (k[0] - 1) * dl[0] + 1 ||
		    w + pads[1] + pads[3] < (k[1] - 1) * dl[1] + 1)
			continue;
		oh = ref_out(h, k[0], s[0], dl[0], pads[0], pads[2], ceil_mode);
		ow = ref_out(w, k[1], s[1], dl[1], pads[1], pads[3], ceil_mode);
		x = frandv((size_t)(n * c * h * w));
		want = malloc((size_t)(n * c * oh * ow) * 4 + 4);
		if (!kind)
			want_ind = malloc((size_t)(n * c * oh * ow) * 8 + 8);
		ref_pool2d(x, n, c, h, w, k, s, dl, pads, oh, ow, kind, include_pad, want,
			   want_ind);
		tx = tensor(CDL_DTYPE_F32, x, 4, xd);
		op_init(&r, kind ? "AveragePool" : "MaxPool", 12);
		attr_ints(&r, "kernel_shape", k, 2);
		attr_ints(&r, "strides", s, 2);
		attr_ints(&r, "pads", pads, 4);
		attr_i(&r, "ceil_mode", ceil_mode);
		if (kind)
			attr_i(&r, "count_include_pad", include_pad);
		else
			attr_ints(&r, "dilations", dl, 2);
		if (!kind)
			r.n_out = 2;
		in_data(&r, &tx);
		st = op_exec(&r);
		CHECK(st == CDL_OK, "pool: %s", r.msg);
		if (st == CDL_OK) {
			CHECK_SHAPE(&r.out[0], n, c, oh, ow);
			if (shape_is(&r.out[0], 4, (int64_t[]){n, c, oh, ow})) {
				check_f32(kind ? "averagepool" : "maxpool", r.out[0].data, want,
					  (size_t)(n * c * oh * ow), 1e-5f);
				if (!kind)
					check_i64("maxpool indices", r.out[1].data, want_ind,
						  (size_t)(n * c * oh * ow));
			}
		}
		op_free(&r);
		free(x);
		free(want);
		free(want_ind);
	}
	{
		/* ceil_mode drops a window that would start in the right padding:
		 * in 5, k 2, s 2, pads 1/1 -> 3, not 4 */
		static const int64_t xd[4] = {1, 1, 1, 5}, k[2] = {1, 2}, s[2] = {1, 2},
				     pads[4] = {0, 1, 0, 1};
		float x[5] = {1, 2, 3, 4, 5}, want[3] = {1, 3, 5};
		cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, xd);

		op_init(&r, "MaxPool", 12);
		attr_ints(&r, "kernel_shape", k, 2);
		attr_ints(&r, "strides", s, 2);
		attr_ints(&r, "pads", pads, 4);
		attr_i(&r, "ceil_mode", 1);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 1, 3);
		check_f32("maxpool ceil", r.out[0].data, want, 3, 0);
		op_free(&r);
	}
	{
		/* ONNX doc example averagepool_2d_same_upper-like: 1x1x3x3, k 2, SAME_UPPER */
		static const int64_t xd[4] = {1, 1, 3, 3}, k[2] = {2, 2};
		float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
		float want_avg[9] = {3, 4, 4.5f, 6, 7, 7.5f, 7.5f, 8.5f, 9};
		float want_lower[9] = {1, 1.5f, 2.5f, 2.5f, 3, 4, 5.5f, 6, 7};
		uint8_t xu[9] = {1, 2, 3, 4, 250, 6, 7, 8, 9},
			want_u[9] = {250, 250, 6, 250, 250, 9, 8, 9, 9};
		cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, xd),
			   tu = tensor(CDL_DTYPE_U8, xu, 4, xd);

		op_init(&r, "AveragePool", 11);
		attr_ints(&r, "kernel_shape", k, 2);
		attr_s(&r, "auto_pad", "SAME_UPPER");
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 3, 3);
		check_f32("avgpool same_upper", r.out[0].data, want_avg, 9, 1e-6f);
		op_free(&r);
		op_init(&r, "AveragePool", 11);
		attr_ints(&r, "kernel_shape", k, 2);
		attr_s(&r, "auto_pad", "SAME_LOWER");
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("avgpool same_lower", r.out[0].data, want_lower, 9, 1e-6f);
		op_free(&r);
		op_init(&r, "MaxPool", 12);
		attr_ints(&r, "kernel_shape", k, 2);
		attr_s(&r, "auto_pad", "SAME_UPPER");
		in_data(&r, &tu);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("maxpool uint8", r.out[0].data, want_u, 9);
		op_free(&r);
	}
	{
		/* 1-D and 3-D, and global pools */
		static const int64_t d1[3] = {1, 2, 5}, k1[1] = {2};
		static const int64_t d3[5] = {1, 1, 2, 2, 2}, k3[3] = {2, 2, 2};
		float x[10] = {1, 5, 2, 4, 3, -1, -5, -2, -4, -3};
		float want1[8] = {3, 3.5f, 3, 3.5f, -3, -3.5f, -3, -3.5f};
		float want3[1] = {5}, gavg[2] = {3, -3}, gmax[2] = {5, -1};
		cdl_tensor t1 = tensor(CDL_DTYPE_F32, x, 3, d1),
			   t3 = tensor(CDL_DTYPE_F32, x, 5, d3);

		op_init(&r, "AveragePool", 11);
		attr_ints(&r, "kernel_shape", k1, 1);
		in_data(&r, &t1);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 2, 4);
		check_f32("avgpool 1d", r.out[0].data, want1, 8, 1e-6f);
		op_free(&r);
		op_init(&r, "MaxPool", 12);
		attr_ints(&r, "kernel_shape", k3, 3);
		in_data(&r, &t3);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 1, 1, 1);
		check_f32("maxpool 3d", r.out[0].data, want3, 1, 0);
		op_free(&r);
		op_init(&r, "GlobalAveragePool", 1);
		in_data(&r, &t1);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 2, 1);
		check_f32("globalaveragepool", r.out[0].data, gavg, 2, 1e-6f);
		op_free(&r);
		op_init(&r, "GlobalMaxPool", 1);
		in_data(&r, &t1);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("globalmaxpool", r.out[0].data, gmax, 2, 0);
		op_free(&r);
		op_init(&r, "LpPool", 11);
		attr_ints(&r, "kernel_shape", k1, 1);
		attr_i(&r, "p", 2);
		in_data(&r, &t1);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		{
			float want[8];

			for (int pl = 0; pl < 2; pl++)
				for (int i = 0; i < 4; i++)
					want[pl * 4 + i] =
					    sqrtf(x[pl * 5 + i] * x[pl * 5 + i] +
						  x[pl * 5 + i + 1] * x[pl * 5 + i + 1]);
			check_f32("lppool", r.out[0].data, want, 8, 1e-5f);
		}
		op_free(&r);
		op_init(&r, "MaxPool", 12);
		in_data(&r, &t1);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "missing kernel_shape accepted");
		op_free(&r);
	}
}

/* --- Resize -------------------------------------------------------------------------- */

static void test_resize(void)
{
	static const int64_t d[4] = {1, 1, 2, 2};
	float x[4] = {1, 2, 3, 4};
	float sc[4] = {1, 1, 2, 2};
	int64_t scd[1] = {4};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, d), ts = tensor(CDL_DTYPE_F32, sc, 1, scd);
	op_run r;

	{
		/* ONNX test_resize_upsample_scales_linear (half_pixel) */
		static const float want[16] = {1,    1.25f, 1.75f, 2,	 1.5f, 1.75f, 2.25f, 2.5f,
					       2.5f, 2.75f, 3.25f, 3.5f, 3,    3.25f, 3.75f, 4};

		op_init(&r, "Resize", 13);
		attr_s(&r, "mode", "linear");
		in_data(&r, &tx);
		in_absent(&r);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 4, 4);
		check_f32("resize linear", r.out[0].data, want, 16, 1e-6f);
		op_free(&r);
	}
	{
		/* ONNX test_resize_upsample_scales_linear_align_corners */
		static const float want[16] = {1,	  1.333333f, 1.666667f, 2,
					       1.666667f, 2,	     2.333333f, 2.666667f,
					       2.333333f, 2.666667f, 3,		3.333333f,
					       3,	  3.333333f, 3.666667f, 4};

		op_init(&r, "Resize", 13);
		attr_s(&r, "mode", "linear");
		attr_s(&r, "coordinate_transformation_mode", "align_corners");
		in_data(&r, &tx);
		in_absent(&r);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("resize align_corners", r.out[0].data, want, 16, 1e-5f);
		op_free(&r);
	}
	{
		/* nearest: Upsample-9 with scales input, int64 data, 2x3 */
		static const int64_t di[4] = {1, 1, 2, 2};
		int64_t xi[4] = {1, 2, 3, 4};
		float s2[4] = {1, 1, 2, 3};
		int64_t want[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
				    3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
		cdl_tensor ti = tensor(CDL_DTYPE_I64, xi, 4, di),
			   t2 = tensor(CDL_DTYPE_F32, s2, 1, scd);

		op_init(&r, "Upsample", 9);
		in_data(&r, &ti);
		in_const(&r, &t2);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 4, 6);
		check_i64("upsample nearest", r.out[0].data, want, 24);
		op_free(&r);
		op_init(&r, "Upsample", 7);
		attr_floats(&r, "scales", s2, 4);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_i64("upsample-7 nearest", r.out[0].data, want, 24);
		op_free(&r);
		op_init(&r, "Resize", 13);
		in_data(&r, &ti);
		in_absent(&r);
		in_data(&r, &t2);
		CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "non-constant scales accepted");
		op_free(&r);
	}
	{
		/* ONNX test_resize_downsample_scales_linear_align_corners: 3.142857 */
		static const int64_t d24[4] = {1, 1, 2, 4};
		float x8[8] = {1, 2, 3, 4, 5, 6, 7, 8}, s6[4] = {1, 1, 0.6f, 0.6f};
		float want[2] = {1, 3.142857f};
		cdl_tensor t8 = tensor(CDL_DTYPE_F32, x8, 4, d24),
			   t6 = tensor(CDL_DTYPE_F32, s6, 1, scd);

		op_init(&r, "Resize", 13);
		attr_s(&r, "mode", "linear");
		attr_s(&r, "coordinate_transformation_mode", "align_corners");
		in_data(&r, &t8);
		in_absent(&r);
		in_const(&r, &t6);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 1, 2);
		check_f32("resize downsample align_corners", r.out[0].data, want, 2, 1e-5f);
		op_free(&r);
	}
	{
		/* sizes input; nearest round_prefer_ceil asymmetric 1x1x2x2 -> 1x1x3x3:
		 * x_orig = o * 2/3 -> 0, 0.667 -> 1, 1.333 -> 1 */
		int64_t sz[4] = {1, 1, 3, 3};
		float empty[1];
		int64_t zd[1] = {0};
		cdl_tensor tsz = tensor(CDL_DTYPE_I64, sz, 1, scd),
			   te = tensor(CDL_DTYPE_F32, empty, 1, zd);
		float want[9] = {1, 2, 2, 3, 4, 4, 3, 4, 4};

		op_init(&r, "Resize", 11);
		attr_s(&r, "coordinate_transformation_mode", "asymmetric");
		attr_s(&r, "nearest_mode", "round_prefer_ceil");
		in_data(&r, &tx);
		in_const(&r, &te);
		in_const(&r, &te);
		in_const(&r, &tsz);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 3, 3);
		check_f32("resize sizes nearest", r.out[0].data, want, 9, 0);
		op_free(&r);
	}
	{
		/* cubic upsampling reproduces a linear ramp exactly in the interior
		 * with align_corners (cubic convolution is exact on linear data
		 * where no edge clamping happens); compare the middle only */
		static const int64_t d1[4] = {1, 1, 1, 8};
		float ramp[8], s3[4] = {1, 1, 1, 2};
		cdl_tensor tr = tensor(CDL_DTYPE_F32, ramp, 4, d1),
			   t3 = tensor(CDL_DTYPE_F32, s3, 1, scd);

		for (int i = 0; i < 8; i++)
			ramp[i] = (float)i * 2.0f;
		op_init(&r, "Resize", 13);
		attr_s(&r, "mode", "cubic");
		attr_s(&r, "coordinate_transformation_mode", "asymmetric");
		in_data(&r, &tr);
		in_absent(&r);
		in_const(&r, &t3);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 1, 1, 16);
		{
			const float *y = r.out[0].data;

			for (int i = 2; i < 12; i++)
				CHECK(fabsf(y[i] - (float)i) < 1e-4f, "cubic ramp [%d] = %g", i,
				      (double)y[i]);
		}
		op_free(&r);
	}
}

/* --- Gather family --------------------------------------------------------------------- */

static void test_gather(void)
{
	static const int64_t d[3] = {2, 3, 2};
	float x[12];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, d);
	op_run r;

	for (int i = 0; i < 12; i++)
		x[i] = (float)i;
	{
		int32_t ind[4] = {2, -3, 1, -1};
		int64_t id[2] = {2, 2};
		cdl_tensor ti = tensor(CDL_DTYPE_I32, ind, 2, id);
		float want[16] = {4, 5, 0, 1, 2, 3, 4, 5, 10, 11, 6, 7, 8, 9, 10, 11};

		op_init(&r, "Gather", 13);
		attr_i(&r, "axis", -2);
		in_data(&r, &tx);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK(shape_is(&r.out[0], 4, (const int64_t[]){2, 2, 2, 2}), "gather shape");
		check_f32("gather", r.out[0].data, want, 16, 0);
		op_free(&r);
		ind[2] = 3; /* out of range: execute reports it (indices not constant) */
		op_init(&r, "Gather", 13);
		attr_i(&r, "axis", 1);
		in_data(&r, &tx);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "out-of-range index accepted");
		CHECK(strstr(r.msg, "out of range") != NULL, "msg: %s", r.msg);
		op_free(&r);
		op_init(&r, "Gather", 13); /* and infer, when the indices are constant */
		attr_i(&r, "axis", 1);
		in_data(&r, &tx);
		in_const(&r, &ti);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "out-of-range constant index");
		op_free(&r);
	}
	{
		/* scalar index on int64 data: the shape-subgraph case */
		int64_t shp[4] = {1, 3, 224, 224}, i0 = -2, sd[1] = {4};
		cdl_tensor ts = tensor(CDL_DTYPE_I64, shp, 1, sd),
			   ti = tensor(CDL_DTYPE_I64, &i0, 0, NULL);

		op_init(&r, "Gather", 13);
		in_const(&r, &ts);
		in_const(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SCALAR_SHAPE(&r.out[0]);
		CHECK(*(int64_t *)r.out[0].data == 224, "gather scalar");
		op_free(&r);
	}
	{
		/* GatherElements / ScatterElements (ONNX doc examples) */
		static const int64_t d2[2] = {2, 2};
		float g[4] = {1, 2, 3, 4};
		int64_t gi[4] = {0, 0, 1, 0};
		float want[4] = {1, 1, 4, 3};
		cdl_tensor tg = tensor(CDL_DTYPE_F32, g, 2, d2),
			   tgi = tensor(CDL_DTYPE_I64, gi, 2, d2);

		op_init(&r, "GatherElements", 13);
		attr_i(&r, "axis", 1);
		in_data(&r, &tg);
		in_data(&r, &tgi);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("gather_elements", r.out[0].data, want, 4, 0);
		op_free(&r);
	}
	{
		static const int64_t dd[2] = {1, 5}, di[2] = {1, 2};
		float data[5] = {1, 2, 3, 4, 5}, upd[2] = {1.1f, 2.1f};
		int64_t ind[2] = {1, -2};
		float want[5] = {1, 1.1f, 3, 2.1f, 5}, want_add[5] = {1, 3.1f, 3, 6.1f, 5};
		cdl_tensor td = tensor(CDL_DTYPE_F32, data, 2, dd),
			   ti = tensor(CDL_DTYPE_I64, ind, 2, di),
			   tu = tensor(CDL_DTYPE_F32, upd, 2, di);

		op_init(&r, "ScatterElements", 13);
		attr_i(&r, "axis", 1);
		in_data(&r, &td);
		in_data(&r, &ti);
		in_data(&r, &tu);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("scatter_elements", r.out[0].data, want, 5, 0);
		op_free(&r);
		op_init(&r, "ScatterElements", 16);
		attr_i(&r, "axis", 1);
		attr_s(&r, "reduction", "add");
		in_data(&r, &td);
		in_data(&r, &ti);
		in_data(&r, &tu);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("scatter_elements add", r.out[0].data, want_add, 5, 1e-6f);
		op_free(&r);
	}
	{
		/* GatherND batch_dims 1 and ScatterND (ONNX doc examples) */
		static const int64_t dd[3] = {2, 2, 2}, di[2] = {2, 1};
		int32_t data[8] = {0, 1, 2, 3, 4, 5, 6, 7};
		int64_t ind[2] = {1, 0};
		int32_t want[4] = {2, 3, 4, 5};
		cdl_tensor td = tensor(CDL_DTYPE_I32, data, 3, dd),
			   ti = tensor(CDL_DTYPE_I64, ind, 2, di);

		op_init(&r, "GatherND", 13);
		attr_i(&r, "batch_dims", 1);
		in_data(&r, &td);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 2);
		check_bytes("gather_nd", r.out[0].data, want, sizeof(want));
		op_free(&r);
	}
	{
		static const int64_t dd[1] = {8}, di[2] = {4, 1}, du[1] = {4};
		float data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, upd[4] = {9, 10, 11, 12};
		int64_t ind[4] = {4, 3, 1, 7};
		float want[8] = {1, 11, 3, 10, 9, 6, 7, 12};
		cdl_tensor td = tensor(CDL_DTYPE_F32, data, 1, dd),
			   ti = tensor(CDL_DTYPE_I64, ind, 2, di),
			   tu = tensor(CDL_DTYPE_F32, upd, 1, du);

		op_init(&r, "ScatterND", 13);
		in_data(&r, &td);
		in_data(&r, &ti);
		in_data(&r, &tu);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("scatter_nd", r.out[0].data, want, 8, 0);
		op_free(&r);
		ind[2] = 8;
		op_init(&r, "ScatterND", 13);
		in_data(&r, &td);
		in_data(&r, &ti);
		in_data(&r, &tu);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "scatter_nd bad index accepted");
		op_free(&r);
	}
}

static void test_onehot(void)
{
	/* indices [1, -1, 5(out of range)], depth 3, axis 0 -> [3, 3] */
	static const int64_t di[1] = {3}, dv[1] = {2};
	int64_t ind[3] = {1, -1, 5}, depth = 3;
	float vals[2] = {-1.0f, 2.0f};
	float want[9] = {-1, -1, -1, 2, -1, -1, -1, 2, -1};
	cdl_tensor ti = tensor(CDL_DTYPE_I64, ind, 1, di),
		   td = tensor(CDL_DTYPE_I64, &depth, 0, NULL),
		   tv = tensor(CDL_DTYPE_F32, vals, 1, dv);
	op_run r;

	op_init(&r, "OneHot", 11);
	attr_i(&r, "axis", 0);
	in_data(&r, &ti);
	in_const(&r, &td);
	in_data(&r, &tv);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 3, 3);
	check_f32("onehot", r.out[0].data, want, 9, 0);
	op_free(&r);
	op_init(&r, "OneHot", 11);
	in_data(&r, &ti);
	in_data(&r, &td);
	in_data(&r, &tv);
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "non-constant depth accepted");
	op_free(&r);
}

static void test_depth_space(void)
{
	/* ONNX DepthToSpace doc: 1x8x2x3, blocksize 2, DCR and CRD */
	static const int64_t d[4] = {1, 8, 2, 3};
	float x[48];
	float dcr[48] = {0,  12, 1,  13, 2,  14, 24, 36, 25, 37, 26, 38, 3,  15, 4,  16,
			 5,  17, 27, 39, 28, 40, 29, 41, 6,  18, 7,  19, 8,  20, 30, 42,
			 31, 43, 32, 44, 9,  21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47};
	float crd[48] = {0,  6,	 1,  7,	 2,  8,	 12, 18, 13, 19, 14, 20, 3,  9,	 4,  10,
			 5,  11, 15, 21, 16, 22, 17, 23, 24, 30, 25, 31, 26, 32, 36, 42,
			 37, 43, 38, 44, 27, 33, 28, 34, 29, 35, 39, 45, 40, 46, 41, 47};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, d);
	op_run r, b;

	for (int i = 0; i < 48; i++)
		x[i] = (float)i;
	op_init(&r, "DepthToSpace", 13);
	attr_i(&r, "blocksize", 2);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK_SHAPE(&r.out[0], 1, 2, 4, 6);
	check_f32("depth_to_space dcr", r.out[0].data, dcr, 48, 0);
	/* SpaceToDepth inverts DCR */
	op_init(&b, "SpaceToDepth", 13);
	attr_i(&b, "blocksize", 2);
	in_data(&b, &r.out[0]);
	CHECK(op_exec(&b) == CDL_OK, "%s", b.msg);
	CHECK_SHAPE(&b.out[0], 1, 8, 2, 3);
	check_f32("space_to_depth", b.out[0].data, x, 48, 0);
	op_free(&b);
	op_free(&r);
	op_init(&r, "DepthToSpace", 13);
	attr_i(&r, "blocksize", 2);
	attr_s(&r, "mode", "CRD");
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("depth_to_space crd", r.out[0].data, crd, 48, 0);
	op_free(&r);
	op_init(&r, "DepthToSpace", 13);
	attr_i(&r, "blocksize", 3);
	in_data(&r, &tx);
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "8 channels by blocksize 3");
	op_free(&r);
}

/* --- Cast ------------------------------------------------------------------------------ */

static void test_cast(void)
{
	static const int64_t d[1] = {9};
	float x[9] = {1.9f, -1.9f, 0.0f, NAN, INFINITY, -INFINITY, 300.7f, -300.0f, 3e10f};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 1, d);
	op_run r;

	{
		int64_t want[9] = {1, -1, 0, 0, INT64_MAX, INT64_MIN, 300, -300, 30000001024LL};

		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_I64);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_i64("cast f32->i64", r.out[0].data, want, 9);
		op_free(&r);
	}
	{
		int32_t want[9] = {1, -1, 0, 0, INT32_MAX, INT32_MIN, 300, -300, INT32_MAX};

		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_I32);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast f32->i32", r.out[0].data, want, sizeof(want));
		op_free(&r);
	}
	{
		uint8_t want_u8[9] = {1, 0, 0, 0, 255, 0, 255, 0, 255};
		int8_t want_i8[9] = {1, -1, 0, 0, 127, -128, 127, -128, 127};
		uint8_t want_b[9] = {1, 1, 0, 1, 1, 1, 1, 1, 1};

		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_U8);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast f32->u8", r.out[0].data, want_u8, 9);
		op_free(&r);
		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_I8);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast f32->i8", r.out[0].data, want_i8, 9);
		op_free(&r);
		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_BOOL);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast f32->bool", r.out[0].data, want_b, 9);
		op_free(&r);
	}
	{
		static const int64_t d4[1] = {4};
		int64_t xi[4] = {300, -129, 1LL << 40, -1};
		int8_t want_i8[4] = {44, 127, 0, -1};
		int32_t want_i32[4] = {300, -129, 0, -1};
		float want_f[4] = {300, -129, 1099511627776.0f, -1};
		uint8_t want_u8[4] = {44, 127, 0, 255};
		cdl_tensor ti = tensor(CDL_DTYPE_I64, xi, 1, d4);

		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_I8);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast i64->i8 wraps", r.out[0].data, want_i8, 4);
		op_free(&r);
		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_I32);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast i64->i32 wraps", r.out[0].data, want_i32, 16);
		op_free(&r);
		op_init(&r, "Cast", 13);
		attr_i(&r, "to", CDL_DTYPE_U8);
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("cast i64->u8 wraps", r.out[0].data, want_u8, 4);
		op_free(&r);
		op_init(&r, "CastLike", 15);
		in_data(&r, &ti);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("castlike i64->f32", r.out[0].data, want_f, 4, 0);
		op_free(&r);
		op_init(&r, "Cast", 13);
		attr_i(&r, "to", 11); /* double */
		in_data(&r, &ti);
		CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "cast to double accepted");
		CHECK(strstr(r.msg, "float64") != NULL, "msg: %s", r.msg);
		op_free(&r);
	}
}

/* --- generators ------------------------------------------------------------------------ */

static void test_generate(void)
{
	op_run r;

	{
		int64_t shp[3] = {2, 0, 3}, sd[1] = {3}, shp2[2] = {2, 3}, sd2[1] = {2};
		int32_t v = 7, want[6] = {7, 7, 7, 7, 7, 7};
		int64_t one[1] = {1};
		cdl_tensor ts = tensor(CDL_DTYPE_I64, shp, 1, sd),
			   ts2 = tensor(CDL_DTYPE_I64, shp2, 1, sd2);
		cdl_tensor tv = tensor(CDL_DTYPE_I32, &v, 1, one);

		op_init(&r, "ConstantOfShape", 9);
		attr_t(&r, "value", &tv);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 0, 3);
		CHECK(r.out[0].dtype == CDL_DTYPE_I32, "constantofshape dtype");
		op_free(&r);
		op_init(&r, "ConstantOfShape", 9);
		attr_t(&r, "value", &tv);
		in_const(&r, &ts2);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_bytes("constantofshape", r.out[0].data, want, sizeof(want));
		op_free(&r);
		op_init(&r, "ConstantOfShape", 9);
		in_const(&r, &ts2);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK(r.out[0].dtype == CDL_DTYPE_F32 && ((float *)r.out[0].data)[5] == 0.0f,
		      "constantofshape default");
		op_free(&r);
		op_init(&r, "ConstantOfShape", 9);
		in_data(&r, &ts2);
		CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "non-constant shape accepted");
		op_free(&r);
	}
	{
		/* Expand 3x1 by [2,1,6] -> 2x3x6 */
		static const int64_t d[2] = {3, 1};
		float x[3] = {1, 2, 3};
		int64_t shp[3] = {2, 1, 6}, sd[1] = {3};
		cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 2, d),
			   ts = tensor(CDL_DTYPE_I64, shp, 1, sd);

		op_init(&r, "Expand", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2, 3, 6);
		{
			const float *y = r.out[0].data;
			bool ok = true;

			for (int i = 0; i < 36; i++)
				ok = ok && y[i] == x[(i / 6) % 3];
			CHECK(ok, "expand values");
		}
		op_free(&r);
		shp[2] = 4;
		shp[1] = 2;
		op_init(&r, "Expand", 13);
		in_data(&r, &tx);
		in_const(&r, &ts);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "3 broadcast to 2 accepted");
		op_free(&r);
	}
	{
		/* Tile 2x2 by [2, 3] */
		static const int64_t d[2] = {2, 2};
		int64_t x[4] = {1, 2, 3, 4}, rep[2] = {2, 3}, rd[1] = {2};
		int64_t want[24] = {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4,
				    1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4};
		cdl_tensor tx = tensor(CDL_DTYPE_I64, x, 2, d),
			   tr = tensor(CDL_DTYPE_I64, rep, 1, rd);

		op_init(&r, "Tile", 13);
		in_data(&r, &tx);
		in_const(&r, &tr);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 4, 6);
		check_i64("tile", r.out[0].data, want, 24);
		op_free(&r);
	}
	{
		/* Range: int32 negative delta, float positive delta (ONNX examples) */
		int32_t s = 10, l = 6, dl = -3, want[2] = {10, 7};
		float fs = 1, fl = 5, fd = 2, fwant[2] = {1, 3};
		cdl_tensor ts = tensor(CDL_DTYPE_I32, &s, 0, NULL),
			   tl = tensor(CDL_DTYPE_I32, &l, 0, NULL),
			   td = tensor(CDL_DTYPE_I32, &dl, 0, NULL);
		cdl_tensor fts = tensor(CDL_DTYPE_F32, &fs, 0, NULL),
			   ftl = tensor(CDL_DTYPE_F32, &fl, 0, NULL),
			   ftd = tensor(CDL_DTYPE_F32, &fd, 0, NULL);

		op_init(&r, "Range", 11);
		in_const(&r, &ts);
		in_const(&r, &tl);
		in_const(&r, &td);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2);
		check_bytes("range int32", r.out[0].data, want, 8);
		op_free(&r);
		op_init(&r, "Range", 11);
		in_const(&r, &fts);
		in_const(&r, &ftl);
		in_const(&r, &ftd);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 2);
		check_f32("range float", r.out[0].data, fwant, 2, 0);
		op_free(&r);
		dl = 0;
		op_init(&r, "Range", 11);
		in_const(&r, &ts);
		in_const(&r, &tl);
		in_const(&r, &td);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "delta 0 accepted");
		op_free(&r);
	}
	{
		static const int64_t d[2] = {3, 4};
		float x[12] = {0};
		float want[12] = {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
		cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 2, d);

		op_init(&r, "EyeLike", 9);
		attr_i(&r, "k", 1);
		in_data(&r, &tx);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("eyelike", r.out[0].data, want, 12, 0);
		op_free(&r);
	}
	{
		static const int64_t iv[3] = {4, 5, 6};
		static const int64_t d[2] = {1, 2};
		float tv[2] = {0.5f, -2};
		cdl_tensor t = tensor(CDL_DTYPE_F32, tv, 2, d);

		op_init(&r, "Constant", 13);
		attr_ints(&r, "value_ints", iv, 3);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 3);
		check_i64("constant ints", r.out[0].data, iv, 3);
		op_free(&r);
		op_init(&r, "Constant", 13);
		attr_t(&r, "value", &t);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SHAPE(&r.out[0], 1, 2);
		check_f32("constant tensor", r.out[0].data, tv, 2, 0);
		op_free(&r);
		op_init(&r, "Constant", 13);
		attr_f(&r, "value_float", 2.5f);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK_SCALAR_SHAPE(&r.out[0]);
		CHECK(*(float *)r.out[0].data == 2.5f, "constant float");
		op_free(&r);
	}
}

/* --- hostile attributes and shape inputs ------------------------------------------ */

static const int64_t nasty[] = {
    0, 1, 2, 3, -1, -2, 7, 64, -9, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, (int64_t)1 << 40};

static int64_t nasty_int(void)
{
	return nasty[urand(sizeof(nasty) / sizeof(nasty[0]))];
}

/*
 * Random extreme attribute values and constant shape inputs on small
 * tensors: infer must refuse what it cannot honour, and whatever it accepts
 * must execute cleanly (run under ASan/UBSan in the sanitizer build).
 */
static void test_hostile(void)
{
	static const struct {
		const char *op;
		uint32_t opset;
		const char *ints_attr, *int_attr, *str_attr, *str_val;
		int n_const; /* constant int64 inputs after the data input */
	} cases[] = {
	    {"MaxPool", 12, "kernel_shape", "ceil_mode", "auto_pad", "SAME_LOWER", 0},
	    {"MaxPool", 12, "pads", "storage_order", NULL, NULL, 0},
	    {"AveragePool", 11, "strides", "count_include_pad", "auto_pad", "VALID", 0},
	    {"LpPool", 11, "dilations", "p", NULL, NULL, 0},
	    {"Transpose", 13, "perm", NULL, NULL, NULL, 0},
	    {"DepthToSpace", 13, NULL, "blocksize", "mode", "CRD", 0},
	    {"SpaceToDepth", 13, NULL, "blocksize", NULL, NULL, 0},
	    {"Concat", 13, NULL, "axis", NULL, NULL, 0},
	    {"Split", 11, "split", "axis", NULL, NULL, 0},
	    {"Flatten", 13, NULL, "axis", NULL, NULL, 0},
	    {"Squeeze", 11, "axes", NULL, NULL, NULL, 0},
	    {"Unsqueeze", 11, "axes", NULL, NULL, NULL, 0},
	    {"Slice", 1, "starts", NULL, NULL, NULL, 0},
	    {"Slice", 13, NULL, NULL, NULL, NULL, 4},
	    {"Pad", 2, "pads", NULL, "mode", "reflect", 0},
	    {"Pad", 13, NULL, NULL, "mode", "edge", 1},
	    {"Reshape", 14, NULL, "allowzero", NULL, NULL, 1},
	    {"Tile", 13, NULL, NULL, NULL, NULL, 1},
	    {"Expand", 13, NULL, NULL, NULL, NULL, 1},
	    {"Gather", 13, NULL, "axis", NULL, NULL, 1},
	    {"GatherElements", 13, NULL, "axis", NULL, NULL, 1},
	    {"Cast", 13, NULL, "to", NULL, NULL, 0},
	    {"EyeLike", 9, NULL, "k", NULL, NULL, 0},
	    {"Shape", 15, NULL, "start", NULL, NULL, 0},
	    {"OneHot", 11, NULL, "axis", NULL, NULL, 2},
	    {"Resize", 13, NULL, "exclude_outside", "mode", "cubic", 3},
	};
	int executed = 0;

	for (int iter = 0; iter < 6000; iter++) {
		int c = (int)urand(sizeof(cases) / sizeof(cases[0]));
		int64_t dims[4], ints[6], cvals[4][6], cdims[4][1];
		float x[256];
		uint32_t rank = 1 + urand(4), n_ints = urand(7);
		cdl_tensor tx, tc[4];
		op_run r;
		cdl_status st;

		for (uint32_t d = 0; d < 4; d++)
			dims[d] = urand(4) ? 1 + urand(3) : urand(2) ? 0 : 4;
		for (int i = 0; i < 256; i++)
			x[i] = frand(-3.0f, 3.0f);
		for (uint32_t i = 0; i < 6; i++)
			ints[i] = urand(3) ? (int64_t)urand(4) : nasty_int();
		tx = tensor(CDL_DTYPE_F32, x, rank, dims);
		op_init(&r, cases[c].op, cases[c].opset);
		if (cases[c].ints_attr)
			attr_ints(&r, cases[c].ints_attr, ints, n_ints);
		if (cases[c].int_attr)
			attr_i(&r, cases[c].int_attr, urand(2) ? (int64_t)urand(4) : nasty_int());
		if (cases[c].str_attr && urand(2))
			attr_s(&r, cases[c].str_attr, cases[c].str_val);
		if (!strcmp(cases[c].op, "Slice") && cases[c].opset == 1)
			attr_ints(&r, "ends", ints, n_ints);
		in_data(&r, &tx);
		if (!strcmp(cases[c].op, "Concat"))
			in_data(&r, &tx);
		if (!strcmp(cases[c].op, "Split"))
			r.n_out = 1 + urand(3);
		for (int k = 0; k < cases[c].n_const; k++) {
			uint32_t n = urand(6);

			cdims[k][0] = n;
			for (uint32_t i = 0; i < 6; i++)
				cvals[k][i] = urand(3) ? (int64_t)urand(5) - 1 : nasty_int();
			tc[k] = tensor(CDL_DTYPE_I64, cvals[k], 1, cdims[k]);
			if (!strcmp(cases[c].op, "Resize") && k == 1) {
				/* scales: floats, some absurd */
				static float sc[6];

				for (uint32_t i = 0; i < 6; i++)
					sc[i] = (float[]){
					    1.0f, 2.0f, 0.5f, 0.0f, -1.0f, 1e30f, NAN}[urand(7)];
				tc[k] = tensor(CDL_DTYPE_F32, sc, 1, cdims[k]);
			}
			if (!strcmp(cases[c].op, "Resize") && k == 0) {
				in_absent(&r); /* roi */
				continue;
			}
			if (!strcmp(cases[c].op, "OneHot") && k == 0)
				tc[k].rank = 0, cvals[k][0] = urand(2) ? nasty_int() : 3;
			if (!strcmp(cases[c].op, "OneHot") && k == 1)
				tc[k] = tensor(CDL_DTYPE_F32, x, 1, (const int64_t[]){2});
			if (!strcmp(cases[c].op, "GatherElements"))
				tc[k] = tensor(CDL_DTYPE_I64, cvals[k], rank, dims),
				cdl_tensor_numel(&tc[k], &(size_t){0});
			if (!strcmp(cases[c].op, "GatherElements") && numel_dims(rank, dims) > 6)
				tc[k].dims[0] = 0;
			in_const(&r, &tc[k]);
		}
		st = op_exec(&r);
		/* accepted by infer: execute must not fail unless the data is bad */
		CHECK(st == CDL_OK || st == CDL_ERR_INVALID_ARGUMENT || st == CDL_ERR_UNSUPPORTED ||
			  st == CDL_ERR_OUT_OF_MEMORY,
		      "%s: status %d: %s", cases[c].op, st, r.msg);
		if (st != CDL_OK && st != CDL_ERR_OUT_OF_MEMORY)
			CHECK(r.msg[0] != '\0', "%s: failed without a message", cases[c].op);
		executed += st == CDL_OK;
		op_free(&r);
	}
	CHECK(executed > 500, "only %d hostile cases executed", executed);
}

int main(void)
{
	test_transpose();
	test_reshape();
	test_flatten_squeeze();
	test_identity_dropout_shape();
	test_concat_split();
	test_slice();
	test_pad();
	test_pool();
	test_global_avgpool_isa();
	test_resize();
	test_gather();
	test_depth_space();
	test_onehot();
	test_cast();
	test_generate();
	test_hostile();
	if (failures) {
		fprintf(stderr, "%d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("all %d checks passed\n", checks);
	return 0;
}
