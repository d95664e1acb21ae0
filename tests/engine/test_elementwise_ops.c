// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the element-wise, activation, softmax, reduction and
 * normalisation ops, called directly through infer + execute. Hand-computed
 * cases, special values, and broadcasting checked against a per-element
 * index-math reference. The ONNX backend data is run by tests/conformance.
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

#define MAX_T 6

typedef struct op_run {
	const char *op;
	uint32_t opset;
	cdl_attr attrs[8];
	uint32_t n_attrs;
	cdl_tensor *in[MAX_T];
	uint32_t n_in;
	cdl_tensor out[MAX_T];
	uint32_t n_out;
	bool out_absent[MAX_T];
	bool inputs_not_const; /* infer sees no data, as for activations */
	char msg[256];
} op_run;

static cdl_tensor tensor(int dtype, void *data, uint32_t rank, ...)
{
	cdl_tensor t;
	__builtin_va_list ap;

	memset(&t, 0, sizeof(t));
	t.dtype = (uint8_t)dtype;
	t.rank = (uint8_t)rank;
	t.data = data;
	__builtin_va_start(ap, rank);
	for (uint32_t i = 0; i < rank; i++)
		t.dims[i] = __builtin_va_arg(ap, int);
	__builtin_va_end(ap);
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

static void op_init(op_run *r, const char *op, uint32_t opset)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->opset = opset;
	r->n_out = 1;
}

static void op_free(op_run *r)
{
	for (uint32_t i = 0; i < r->n_out; i++) {
		free(r->out[i].data);
		r->out[i].data = NULL;
	}
}

/* infer, allocate, execute. Returns the first failing status. */
static cdl_status op_exec(op_run *r)
{
	const cdl_op_def *def = cdl_op_find(r->op);
	cdl_node node;
	cdl_op_ctx ctx;
	cdl_tensor shape_in[MAX_T];
	cdl_tensor *ins[MAX_T], *outs[MAX_T];
	uint32_t idx[MAX_T] = {0};
	cdl_status st;
	void *ws = NULL;

	r->msg[0] = 0;
	if (!def) {
		snprintf(r->msg, sizeof(r->msg), "op %s not registered", r->op);
		return CDL_ERR_UNSUPPORTED;
	}
	memset(&node, 0, sizeof(node));
	node.op_type = r->op;
	node.name = "test";
	node.opset = r->opset;
	node.n_inputs = r->n_in;
	node.n_outputs = r->n_out;
	node.inputs = idx;
	node.outputs = idx;
	node.attrs = r->attrs;
	node.n_attrs = r->n_attrs;
	for (uint32_t i = 0; i < r->n_in; i++) {
		if (r->in[i] && r->inputs_not_const) {
			shape_in[i] = *r->in[i];
			shape_in[i].data = NULL;
			ins[i] = &shape_in[i];
		} else {
			ins[i] = r->in[i];
		}
	}
	for (uint32_t i = 0; i < r->n_out; i++)
		outs[i] = r->out_absent[i] ? NULL : &r->out[i];
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = &node;
	ctx.n_inputs = r->n_in;
	ctx.n_outputs = r->n_out;
	ctx.inputs = ins;
	ctx.outputs = outs;
	ctx.msg = r->msg;
	ctx.msg_size = sizeof(r->msg);
	st = def->infer(&ctx);
	if (st)
		return st;
	for (uint32_t i = 0; i < r->n_out; i++) {
		size_t nb = 0;

		if (!outs[i])
			continue;
		if (!cdl_tensor_nbytes(outs[i], &nb))
			return CDL_ERR_INTERNAL;
		outs[i]->data = calloc(1, nb ? nb : 1);
		/* poison floats so unwritten output shows up */
		if (outs[i]->dtype == CDL_DTYPE_F32)
			for (size_t k = 0; k < nb / 4; k++)
				((float *)outs[i]->data)[k] = -12345.0f;
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

static bool near(float got, float want, float rtol, float atol)
{
	if (isnan(want))
		return isnan(got);
	if (isinf(want))
		return got == want;
	return fabsf(got - want) <= atol + rtol * fabsf(want);
}

static void check_f32(const char *what, const cdl_tensor *t, const float *want, size_t n,
		      float rtol, float atol)
{
	const float *got = t->data;
	size_t bad = 0;

	CHECK(t->dtype == CDL_DTYPE_F32 && got, "%s: dtype %d", what, t->dtype);
	if (!got)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!near(got[i], want[i], rtol, atol)) {
			if (bad++ < 4)
				fprintf(stderr, "%s: [%zu] got %.9g want %.9g\n", what, i,
					(double)got[i], (double)want[i]);
		}
	}
	CHECK(bad == 0, "%s: %zu of %zu elements differ", what, bad, n);
}

static void check_shape(const char *what, const cdl_tensor *t, uint32_t rank, const int64_t *dims)
{
	bool ok = t->rank == rank;

	for (uint32_t i = 0; ok && i < rank; i++)
		ok = t->dims[i] == dims[i];
	CHECK(ok, "%s: shape mismatch (rank %u vs %u)", what, t->rank, rank);
}

static uint32_t rng_state = 12345;

static float frand(float lo, float hi)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return lo + (hi - lo) * (float)(rng_state >> 8) / (float)(1u << 24);
}

static void fill(float *x, size_t n, float lo, float hi)
{
	for (size_t i = 0; i < n; i++)
		x[i] = frand(lo, hi);
}

static size_t numel(const cdl_tensor *t)
{
	size_t n = 1;

	for (uint32_t i = 0; i < t->rank; i++)
		n *= (size_t)t->dims[i];
	return n;
}

/* Index into t of output element `lin` of out's shape, by broadcasting. */
static size_t bcast_index(const cdl_tensor *out, const cdl_tensor *t, size_t lin)
{
	size_t idx = 0, stride = 1;

	for (uint32_t d = out->rank; d-- > 0;) {
		size_t od = (size_t)out->dims[d];
		size_t coord = lin % od;
		int td = (int)d - (int)(out->rank - t->rank);

		lin /= od;
		if (td >= 0) {
			size_t tdim = (size_t)t->dims[td];

			if (tdim != 1)
				idx += coord * stride;
			stride *= tdim;
		}
	}
	return idx;
}

/* --- binary broadcasting --------------------------------------------------- */

static float ref_binary(const char *op, float x, float y)
{
	if (!strcmp(op, "Add"))
		return x + y;
	if (!strcmp(op, "Sub"))
		return x - y;
	if (!strcmp(op, "Mul"))
		return x * y;
	if (!strcmp(op, "Div"))
		return x / y;
	if (!strcmp(op, "Pow"))
		return powf(x, y);
	if (!strcmp(op, "Max"))
		return x > y ? x : y;
	if (!strcmp(op, "Min"))
		return x < y ? x : y;
	if (!strcmp(op, "PRelu"))
		return x < 0 ? x * y : x;
	return NAN;
}

static void test_broadcast_shapes(void)
{
	static const int shapes[][2][5] = {
	    /* rank, dims... for a and b */
	    {{4, 2, 3, 4, 5}, {4, 2, 3, 4, 5}}, /* same shape */
	    {{4, 2, 3, 4, 5}, {0}},		/* scalar */
	    {{4, 2, 3, 4, 5}, {1, 1}},		/* one element */
	    {{4, 2, 3, 4, 5}, {3, 3, 1, 1}},	/* per channel */
	    {{4, 2, 3, 4, 5}, {4, 1, 3, 1, 1}}, /* per channel, rank 4 */
	    {{4, 2, 3, 4, 5}, {1, 5}},		/* last axis */
	    {{3, 2, 1, 4}, {2, 3, 1}},		/* both broadcast */
	    {{2, 3, 1}, {3, 1, 1, 4}},		/* a smaller rank */
	    {{4, 1, 3, 1, 5}, {4, 2, 1, 4, 1}}, /* alternating */
	    {{4, 2, 3, 4, 5}, {4, 2, 1, 4, 1}},
	    {{3, 2, 0, 3}, {1, 3}}, /* empty */
	};
	static const char *const ops[] = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"};

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
			cdl_tensor a, b;
			float *ad, *bd, *want;
			size_t na, nb, nout;
			op_run r;
			char what[64];

			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			a.dtype = b.dtype = CDL_DTYPE_F32;
			a.rank = (uint8_t)shapes[s][0][0];
			b.rank = (uint8_t)shapes[s][1][0];
			for (int i = 0; i < a.rank; i++)
				a.dims[i] = shapes[s][0][i + 1];
			for (int i = 0; i < b.rank; i++)
				b.dims[i] = shapes[s][1][i + 1];
			na = numel(&a);
			nb = numel(&b);
			ad = malloc(na * 4 + 4);
			bd = malloc(nb * 4 + 4);
			fill(ad, na, 0.5f, 2.0f);
			fill(bd, nb, 0.5f, 2.0f);
			a.data = ad;
			b.data = bd;
			/* swap operands on odd ops to cover both directions */
			op_init(&r, ops[o], 13);
			r.in[0] = (o & 1) ? &b : &a;
			r.in[1] = (o & 1) ? &a : &b;
			r.n_in = 2;
			r.inputs_not_const = true;
			snprintf(what, sizeof(what), "%s shape case %zu", ops[o], s);
			if (op_exec(&r) != CDL_OK) {
				CHECK(0, "%s: %s", what, r.msg);
				op_free(&r);
				free(ad);
				free(bd);
				continue;
			}
			nout = numel(&r.out[0]);
			want = malloc(nout * 4 + 4);
			for (size_t i = 0; i < nout; i++) {
				float x =
				    ((float *)r.in[0]->data)[bcast_index(&r.out[0], r.in[0], i)];
				float y =
				    ((float *)r.in[1]->data)[bcast_index(&r.out[0], r.in[1], i)];

				want[i] = ref_binary(ops[o], x, y);
			}
			check_f32(what, &r.out[0], want, nout, 1e-6f, 1e-6f);
			free(want);
			op_free(&r);
			free(ad);
			free(bd);
		}
	}
}

/* Same bits, or both NaN (which NaN an operation returns is not specified). */
static bool same_f32(float a, float b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

/*
 * The float32 Add / Sub / Mul / Div rows under every instruction-set cap give
 * the scalar loops' bits: both operands full, either one repeated along the
 * row (the squeeze-excite Mul of [N,C,H,W] by [N,C,1,1]), both repeated;
 * rows around the vector width; NaN, infinities, zeros of both signs and
 * denormals among the values.
 */
static void test_binary_isa(void)
{
	static const char *const ops[] = {"Add", "Sub", "Mul", "Div"};
	static const int hws[] = {1, 3, 15, 16, 17, 31, 33, 49, 64, 196};
	static const float special[] = {0.0f, -0.0f, 1.0f, -1.0f, 1e-40f, -1e-40f, 3e38f, -3e38f};
	const int top = cdl_kernels_isa();

	if (top <= CDL_ISA_SCALAR || top == CDL_ISA_NEON) {
		printf("(no SIMD row kernels on this CPU)\n");
		return;
	}
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (size_t h = 0; h < sizeof(hws) / sizeof(hws[0]); h++) {
			for (int form = 0; form < 4; form++) {
				const int c = 3, hw = hws[h];
				/* form 0: both full; 1: b per channel; 2: a per channel; 3: scalars */
				const int na = form == 2 || form == 3 ? c : c * hw;
				const int nb = form == 1 || form == 3 ? c : c * hw;
				float *a = malloc((size_t)na * sizeof(float));
				float *b = malloc((size_t)nb * sizeof(float));
				cdl_tensor ta = tensor(CDL_DTYPE_F32, a, 4, 1, c, na == c ? 1 : hw, 1);
				cdl_tensor tb = tensor(CDL_DTYPE_F32, b, 4, 1, c, nb == c ? 1 : hw, 1);
				cdl_tensor want;
				op_run r;

				for (int i = 0; i < na; i++)
					a[i] = i % 5 == 0 ? special[(i / 5) % 8] : frand(-4.0f, 4.0f);
				for (int i = 0; i < nb; i++)
					b[i] = i % 7 == 0 ? special[(i / 7 + 3) % 8] : frand(-4.0f, 4.0f);
				if (na > 2)
					a[na / 2] = NAN;
				if (nb > 4)
					b[nb - 3] = INFINITY;
				memset(&want, 0, sizeof(want));
				for (int isa = CDL_ISA_SCALAR; isa <= top; isa++) {
					if (isa == CDL_ISA_NEON && top != CDL_ISA_NEON)
						continue;
					op_init(&r, ops[o], 14);
					r.in[0] = &ta;
					r.in[1] = &tb;
					r.n_in = 2;
					cdl_kernels_set_isa_cap(isa);
					CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
					cdl_kernels_set_isa_cap(-1);
					if (isa == CDL_ISA_SCALAR) {
						want = r.out[0];
						continue;
					}
					for (size_t i = 0; i < numel(&want); i++) {
						const float g = ((float *)r.out[0].data)[i];
						const float e = ((float *)want.data)[i];

						if (!same_f32(g, e)) {
							CHECK(0, "%s form %d hw %d isa %d: [%zu] %.9g vs %.9g",
							      ops[o], form, hw, isa, i, (double)g, (double)e);
							break;
						}
					}
					op_free(&r);
				}
				free(want.data);
				free(a);
				free(b);
			}
		}
	}
}

static void test_binary_errors(void)
{
	float x[6] = {0};
	double d[2] = {0};
	cdl_tensor a = tensor(CDL_DTYPE_F32, x, 2, 2, 3);
	cdl_tensor b = tensor(CDL_DTYPE_F32, x, 1, 2);
	cdl_tensor f64 = tensor(11, d, 1, 2);
	cdl_tensor i32 = tensor(CDL_DTYPE_I32, x, 2, 2, 3);
	op_run r;

	op_init(&r, "Add", 13);
	r.in[0] = &a;
	r.in[1] = &b;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "[2,3]+[2] must not broadcast");
	CHECK(strstr(r.msg, "broadcast") != NULL, "message: %s", r.msg);
	op_free(&r);

	op_init(&r, "Mul", 13);
	r.in[0] = &f64;
	r.in[1] = &f64;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "float64 is unsupported");
	CHECK(strstr(r.msg, "float64") != NULL, "message names the dtype: %s", r.msg);
	op_free(&r);

	op_init(&r, "Add", 13);
	r.in[0] = &a;
	r.in[1] = &i32;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "mixed dtypes");
	op_free(&r);

	/* the opset < 7 broadcast attribute is refused from opset 7 on */
	op_init(&r, "Add", 7);
	r.in[0] = &a;
	r.in[1] = &a;
	r.n_in = 2;
	attr_i(&r, "broadcast", 1);
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "broadcast attribute");
	CHECK(strstr(r.msg, "broadcast") != NULL, "message names it: %s", r.msg);
	op_free(&r);

	/* opset 6 without broadcast=1: shapes must be equal */
	op_init(&r, "Add", 6);
	r.in[0] = &a;
	r.in[1] = &b;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "opset 6 without broadcast");
	op_free(&r);

	/* fused activation only on Add */
	op_init(&r, "Sub", 13);
	r.in[0] = &a;
	r.in[1] = &a;
	r.n_in = 2;
	attr_s(&r, "cdl.act", "Relu");
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "cdl.act on Sub");
	op_free(&r);

	op_init(&r, "Add", 13);
	r.in[0] = &a;
	r.in[1] = &a;
	r.n_in = 2;
	attr_s(&r, "cdl.act", "Gelu");
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "unknown cdl.act");
	op_free(&r);

	op_init(&r, "Add", 13);
	r.in[0] = &a;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "Add with one input");
	op_free(&r);
}

static void test_legacy_broadcast(void)
{
	float a[2 * 3 * 2], b[3] = {10, 20, 30}, want[12];
	cdl_tensor ta = tensor(CDL_DTYPE_F32, a, 3, 2, 3, 2);
	cdl_tensor tb = tensor(CDL_DTYPE_F32, b, 1, 3);
	float slope[3] = {0.1f, 0.2f, 0.3f};
	cdl_tensor ts = tensor(CDL_DTYPE_F32, slope, 1, 3);
	op_run r;

	fill(a, 12, -1.0f, 1.0f);
	/* opset 6, broadcast=1, axis=1: B lines up with A's dim 1 */
	for (int i = 0; i < 12; i++)
		want[i] = a[i] * b[(i / 2) % 3];
	op_init(&r, "Mul", 6);
	r.in[0] = &ta;
	r.in[1] = &tb;
	r.n_in = 2;
	attr_i(&r, "broadcast", 1);
	attr_i(&r, "axis", 1);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_shape("Mul-6 axis", &r.out[0], 3, ta.dims);
	check_f32("Mul-6 axis", &r.out[0], want, 12, 0, 0);
	op_free(&r);

	/* opset 6 PRelu: a [C] slope is per channel */
	for (int i = 0; i < 12; i++)
		want[i] = a[i] < 0 ? a[i] * slope[(i / 2) % 3] : a[i];
	op_init(&r, "PRelu", 6);
	r.in[0] = &ta;
	r.in[1] = &ts;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("PRelu-6", &r.out[0], want, 12, 0, 0);
	op_free(&r);
}

static void test_add_fused(void)
{
	float a[4] = {-1.0f, 2.0f, -3.0f, 8.0f}, b[1] = {1.0f};
	float want[4] = {0.0f, 3.0f, 0.0f, 6.0f};
	cdl_tensor ta = tensor(CDL_DTYPE_F32, a, 2, 2, 2);
	cdl_tensor tb = tensor(CDL_DTYPE_F32, b, 0);
	op_run r;

	op_init(&r, "Add", 14);
	r.in[0] = &ta;
	r.in[1] = &tb;
	r.n_in = 2;
	attr_s(&r, "cdl.act", "Clip");
	attr_f(&r, "cdl.act_alpha", 0.0f);
	attr_f(&r, "cdl.act_beta", 6.0f);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Add+Clip", &r.out[0], want, 4, 0, 0);
	op_free(&r);
}

static void test_int_arith(void)
{
	int32_t a[6] = {7, -7, 7, -7, INT32_MIN, INT32_MAX};
	int32_t b[6] = {3, 3, -3, -3, -1, 1};
	int32_t zero[6] = {1, 1, 0, 1, 1, 1};
	cdl_tensor ta = tensor(CDL_DTYPE_I32, a, 1, 6);
	cdl_tensor tb = tensor(CDL_DTYPE_I32, b, 1, 6);
	cdl_tensor tz = tensor(CDL_DTYPE_I32, zero, 1, 6);
	int64_t la[3] = {INT64_MAX, 5, -9}, lb[1] = {2};
	cdl_tensor tla = tensor(CDL_DTYPE_I64, la, 1, 3), tlb = tensor(CDL_DTYPE_I64, lb, 1, 1);
	op_run r;

	op_init(&r, "Div", 14);
	r.in[0] = &ta;
	r.in[1] = &tb;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		const int32_t want[6] = {2, -2, -2, 2, INT32_MIN, INT32_MAX};
		CHECK(!memcmp(r.out[0].data, want, sizeof(want)), "int32 Div truncates, wraps");
	}
	op_free(&r);

	op_init(&r, "Div", 14);
	r.in[0] = &ta;
	r.in[1] = &tz;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "integer division by zero");
	op_free(&r);

	op_init(&r, "Mod", 13);
	r.in[0] = &ta;
	r.in[1] = &tb;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		const int32_t want[6] = {1, 2, -2, -1, 0, 0};
		CHECK(!memcmp(r.out[0].data, want, sizeof(want)), "Mod follows the divisor");
	}
	op_free(&r);

	op_init(&r, "Mod", 13);
	r.in[0] = &ta;
	r.in[1] = &tb;
	r.n_in = 2;
	attr_i(&r, "fmod", 1);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		const int32_t want[6] = {1, -1, 1, -1, 0, 0};
		CHECK(!memcmp(r.out[0].data, want, sizeof(want)), "fmod follows the dividend");
	}
	op_free(&r);

	op_init(&r, "Add", 14);
	r.in[0] = &tla;
	r.in[1] = &tlb;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		const int64_t want[3] = {INT64_MIN + 1, 7, -7};
		CHECK(!memcmp(r.out[0].data, want, sizeof(want)), "int64 Add wraps");
	}
	op_free(&r);

	op_init(&r, "Mul", 14);
	r.in[0] = &tla;
	r.in[1] = &tlb;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		const int64_t want[3] = {-2, 10, -18};
		CHECK(!memcmp(r.out[0].data, want, sizeof(want)), "int64 Mul");
	}
	op_free(&r);
}

static void test_compare_logic_where(void)
{
	float a[4] = {1.0f, 2.0f, NAN, 4.0f}, b[1] = {2.0f};
	int64_t ia[3] = {-1, 0, 5}, ib[3] = {0, 0, 4};
	uint8_t c[2] = {1, 0}, p[4] = {1, 1, 0, 0}, q[4] = {1, 0, 1, 0};
	float x[2][2] = {{1, 2}, {3, 4}}, y[1] = {-1.0f};
	cdl_tensor ta = tensor(CDL_DTYPE_F32, a, 1, 4), tb = tensor(CDL_DTYPE_F32, b, 0);
	cdl_tensor tia = tensor(CDL_DTYPE_I64, ia, 1, 3), tib = tensor(CDL_DTYPE_I64, ib, 1, 3);
	cdl_tensor tc = tensor(CDL_DTYPE_BOOL, c, 2, 2, 1);
	cdl_tensor tp = tensor(CDL_DTYPE_BOOL, p, 1, 4), tq = tensor(CDL_DTYPE_BOOL, q, 1, 4);
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 2, 2, 2), ty = tensor(CDL_DTYPE_F32, y, 1, 1);
	static const struct {
		const char *op;
		uint8_t want[4];
	} fcmp[] = {
	    {"Less", {1, 0, 0, 0}},	      {"Greater", {0, 0, 0, 1}},
	    {"Equal", {0, 1, 0, 0}},	      {"LessOrEqual", {1, 1, 0, 0}},
	    {"GreaterOrEqual", {0, 1, 0, 1}},
	};
	op_run r;

	for (size_t i = 0; i < sizeof(fcmp) / sizeof(fcmp[0]); i++) {
		op_init(&r, fcmp[i].op, 16);
		r.in[0] = &ta;
		r.in[1] = &tb;
		r.n_in = 2;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK(r.out[0].dtype == CDL_DTYPE_BOOL, "%s gives bool", fcmp[i].op);
		CHECK(!memcmp(r.out[0].data, fcmp[i].want, 4), "%s values (NaN compares false)",
		      fcmp[i].op);
		op_free(&r);
	}

	op_init(&r, "Greater", 13);
	r.in[0] = &tia;
	r.in[1] = &tib;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (uint8_t[]){0, 0, 1}, 3), "int64 Greater");
	op_free(&r);

	static const struct {
		const char *op;
		uint8_t want[4];
	} logic[] = {
	    {"And", {1, 0, 0, 0}},
	    {"Or", {1, 1, 1, 0}},
	    {"Xor", {0, 1, 1, 0}},
	};
	for (size_t i = 0; i < 3; i++) {
		op_init(&r, logic[i].op, 7);
		r.in[0] = &tp;
		r.in[1] = &tq;
		r.n_in = 2;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		CHECK(!memcmp(r.out[0].data, logic[i].want, 4), "%s", logic[i].op);
		op_free(&r);
	}
	op_init(&r, "Not", 1);
	r.in[0] = &tp;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (uint8_t[]){0, 0, 1, 1}, 4), "Not");
	op_free(&r);

	op_init(&r, "And", 7);
	r.in[0] = &ta;
	r.in[1] = &ta;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "And on float");
	op_free(&r);

	/* Where: cond [2,1], x [2,2], y [1] -> [2,2] */
	op_init(&r, "Where", 16);
	r.in[0] = &tc;
	r.in[1] = &tx;
	r.in[2] = &ty;
	r.n_in = 3;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		const float want[4] = {1, 2, -1, -1};
		check_f32("Where", &r.out[0], want, 4, 0, 0);
	}
	op_free(&r);
}

static void test_variadic(void)
{
	float a[6] = {1, 5, 3, -1, 0, 9}, b[3] = {2, 2, 2}, c[2] = {4, -4};
	cdl_tensor ta = tensor(CDL_DTYPE_F32, a, 2, 2, 3);
	cdl_tensor tb = tensor(CDL_DTYPE_F32, b, 1, 3);
	cdl_tensor tc = tensor(CDL_DTYPE_F32, c, 2, 2, 1);
	static const struct {
		const char *op;
		float want[6];
	} cases[] = {
	    {"Max", {4, 5, 4, 2, 2, 9}},
	    {"Min", {1, 2, 2, -4, -4, -4}},
	    {"Sum", {7, 11, 9, -3, -2, 7}},
	    {"Mean", {7.0f / 3, 11.0f / 3, 3, -1, -2.0f / 3, 7.0f / 3}},
	};
	op_run r;

	for (size_t i = 0; i < 4; i++) {
		/* the smallest input first: the output still gets the full shape */
		op_init(&r, cases[i].op, 13);
		r.in[0] = &tb;
		r.in[1] = &tc;
		r.in[2] = &ta;
		r.n_in = 3;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_shape(cases[i].op, &r.out[0], 2, (int64_t[]){2, 3});
		check_f32(cases[i].op, &r.out[0], cases[i].want, 6, 1e-6f, 0);
		op_free(&r);
	}
	op_init(&r, "Max", 13);
	r.in[0] = &ta;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Max of one", &r.out[0], a, 6, 0, 0);
	op_free(&r);
}

static void test_pow(void)
{
	float x[4] = {2.0f, -3.0f, 0.5f, 4.0f};
	int64_t e[1] = {3};
	float two[1] = {2.0f}, half[1] = {0.5f};
	int32_t ib[3] = {2, -2, 3}, ie[3] = {10, 3, -1};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 1, 4), te = tensor(CDL_DTYPE_I64, e, 0);
	cdl_tensor t2 = tensor(CDL_DTYPE_F32, two, 0), th = tensor(CDL_DTYPE_F32, half, 1, 1);
	cdl_tensor tib = tensor(CDL_DTYPE_I32, ib, 1, 3), tie = tensor(CDL_DTYPE_I32, ie, 1, 3);
	op_run r;

	op_init(&r, "Pow", 15);
	r.in[0] = &tx;
	r.in[1] = &te;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Pow f32^i64", &r.out[0], (float[]){8, -27, 0.125f, 64}, 4, 1e-6f, 0);
	op_free(&r);

	op_init(&r, "Pow", 15);
	r.in[0] = &tx;
	r.in[1] = &t2;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Pow x^2", &r.out[0], (float[]){4, 9, 0.25f, 16}, 4, 0, 0);
	op_free(&r);

	op_init(&r, "Pow", 15);
	r.in[0] = &tx;
	r.in[1] = &th;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Pow x^0.5", &r.out[0], (float[]){sqrtf(2), NAN, sqrtf(0.5f), 2}, 4, 1e-6f, 0);
	op_free(&r);

	op_init(&r, "Pow", 15);
	r.in[0] = &tib;
	r.in[1] = &tie;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (int32_t[]){1024, -8, 0}, 12), "int Pow");
	op_free(&r);
}

/* --- unary --------------------------------------------------------------- */

static void test_unary(void)
{
	float x[8] = {-2.5f, -0.5f, 0.5f, 1.5f, 2.5f, -0.0f, INFINITY, NAN};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 1, 8);
	int32_t ix[3] = {-5, 0, INT32_MIN};
	cdl_tensor tix = tensor(CDL_DTYPE_I32, ix, 1, 3);
	static const struct {
		const char *op;
		float want[8];
	} cases[] = {
	    {"Round", {-2, -0.0f, 0, 2, 2, -0.0f, INFINITY, NAN}},
	    {"Floor", {-3, -1, 0, 1, 2, -0.0f, INFINITY, NAN}},
	    {"Ceil", {-2, -0.0f, 1, 2, 3, -0.0f, INFINITY, NAN}},
	    {"Abs", {2.5f, 0.5f, 0.5f, 1.5f, 2.5f, 0, INFINITY, NAN}},
	    {"Neg", {2.5f, 0.5f, -0.5f, -1.5f, -2.5f, 0, -INFINITY, NAN}},
	    {"Sign", {-1, -1, 1, 1, 1, 0, 1, NAN}},
	    {"Reciprocal", {-0.4f, -2, 2, 1.0f / 1.5f, 0.4f, -INFINITY, 0, NAN}},
	};
	op_run r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		op_init(&r, cases[i].op, 13);
		r.in[0] = &tx;
		r.n_in = 1;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32(cases[i].op, &r.out[0], cases[i].want, 8, 1e-6f, 0);
		op_free(&r);
	}

	/* libm-backed ones against the host libm */
	static const char *const fns[] = {"Exp",  "Log",  "Sqrt",  "Erf",   "Sin",
					  "Cos",  "Tan",  "Asin",  "Acos",  "Atan",
					  "Sinh", "Cosh", "Asinh", "Acosh", "Atanh"};
	static float (*const ref[])(float) = {expf,  logf,  sqrtf,  erff,   sinf,
					      cosf,  tanf,  asinf,  acosf,  atanf,
					      sinhf, coshf, asinhf, acoshf, atanhf};
	float v[16];
	cdl_tensor tv = tensor(CDL_DTYPE_F32, v, 1, 16);

	for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
		float want[16];
		float lo = -0.99f, hi = 0.99f;

		if (!strcmp(fns[f], "Log") || !strcmp(fns[f], "Sqrt"))
			lo = 0.01f, hi = 50.0f;
		else if (!strcmp(fns[f], "Acosh"))
			lo = 1.0f, hi = 50.0f;
		else if (!strcmp(fns[f], "Exp") || !strcmp(fns[f], "Sinh") ||
			 !strcmp(fns[f], "Cosh") || !strcmp(fns[f], "Erf") ||
			 !strcmp(fns[f], "Asinh") || !strcmp(fns[f], "Atan"))
			lo = -5.0f, hi = 5.0f;
		fill(v, 16, lo, hi);
		for (int i = 0; i < 16; i++)
			want[i] = ref[f](v[i]);
		op_init(&r, fns[f], 13);
		r.in[0] = &tv;
		r.n_in = 1;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32(fns[f], &r.out[0], want, 16, 1e-5f, 1e-6f);
		op_free(&r);
	}

	op_init(&r, "Abs", 13);
	r.in[0] = &tix;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (int32_t[]){5, 0, INT32_MIN}, 12), "int Abs wraps");
	op_free(&r);

	op_init(&r, "Exp", 13);
	r.in[0] = &tix;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "Exp on int32");
	op_free(&r);

	op_init(&r, "IsInf", 10);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_i(&r, "detect_negative", 0);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (uint8_t[]){0, 0, 0, 0, 0, 0, 1, 0}, 8), "IsInf");
	op_free(&r);

	op_init(&r, "IsNaN", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (uint8_t[]){0, 0, 0, 0, 0, 0, 0, 1}, 8), "IsNaN");
	op_free(&r);
}

/* --- activations ----------------------------------------------------------- */

static void test_activations(void)
{
	float x[6] = {-100.0f, -1.0f, -0.25f, 0.0f, 0.75f, 100.0f};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 2, 2, 3);
	static const struct {
		const char *op;
		const char *attr;
		float a;
		float want[6];
	} cases[] = {
	    {"Relu", NULL, 0, {0, 0, 0, 0, 0.75f, 100}},
	    {"LeakyRelu", NULL, 0, {-1, -0.01f, -0.0025f, 0, 0.75f, 100}},
	    {"LeakyRelu", "alpha", 0.5f, {-50, -0.5f, -0.125f, 0, 0.75f, 100}},
	    {"Elu", NULL, 0, {-1, -0.63212055882f, -0.22119921692f, 0, 0.75f, 100}},
	    {"Celu", "alpha", 2.0f, {-2, -0.78693868057f, -0.23500371220f, 0, 0.75f, 100}},
	    {"Selu",
	     NULL,
	     0,
	     {-1.75809934085f, -1.11133072f, -0.38889018f, 0, 0.788025766f, 105.0701f}},
	    {"ThresholdedRelu", NULL, 0, {0, 0, 0, 0, 0, 100}},
	    {"Sigmoid", NULL, 0, {0, 0.26894142137f, 0.43782349911f, 0.5f, 0.67917869917f, 1}},
	    {"HardSigmoid", NULL, 0, {0, 0.3f, 0.45f, 0.5f, 0.65f, 1}},
	    {"HardSwish", NULL, 0, {0, -1.0f / 3, -0.25f * 0.4583333f, 0, 0.75f * 0.625f, 100}},
	    {"Tanh", NULL, 0, {-1, -0.76159415595f, -0.24491866240f, 0, 0.63514895238f, 1}},
	    {"Softplus",
	     NULL,
	     0,
	     {3.720076e-44f, 0.31326168751f, 0.57593942f, 0.69314718056f, 1.1368710f, 100}},
	    {"Softsign", NULL, 0, {-100.0f / 101, -0.5f, -0.2f, 0, 0.75f / 1.75f, 100.0f / 101}},
	};
	op_run r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		op_init(&r, cases[i].op, 14);
		r.in[0] = &tx;
		r.n_in = 1;
		if (cases[i].attr)
			attr_f(&r, cases[i].attr, cases[i].a);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32(cases[i].op, &r.out[0], cases[i].want, 6, 1e-5f, 1e-6f);
		op_free(&r);
	}

	op_init(&r, "Relu", 14);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_f(&r, "alpha", 1.0f);
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "unknown attribute on Relu");
	op_free(&r);

	int64_t ix[3] = {-3, 0, 3};
	cdl_tensor tix = tensor(CDL_DTYPE_I64, ix, 1, 3);

	op_init(&r, "Relu", 14);
	r.in[0] = &tix;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (int64_t[]){0, 0, 3}, 24), "int64 Relu");
	op_free(&r);
}

static void test_prelu(void)
{
	float x[2 * 3 * 2], slope[3] = {0.1f, 0.2f, 0.3f}, want[12];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, 2, 3, 2);
	cdl_tensor ts = tensor(CDL_DTYPE_F32, slope, 2, 3, 1);
	cdl_tensor tbad = tensor(CDL_DTYPE_F32, slope, 4, 3, 1, 1, 1);
	op_run r;

	fill(x, 12, -1.0f, 1.0f);
	for (int i = 0; i < 12; i++)
		want[i] = x[i] < 0 ? x[i] * slope[(i / 2) % 3] : x[i];
	op_init(&r, "PRelu", 9);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("PRelu", &r.out[0], want, 12, 0, 0);
	op_free(&r);

	/* slope must broadcast to x without growing it */
	op_init(&r, "PRelu", 9);
	r.in[0] = &tx;
	r.in[1] = &tbad;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "PRelu slope of higher rank");
	op_free(&r);
}

static void test_clip(void)
{
	float x[5] = {-5, -1, 0, 1, 5}, lo[1] = {-1.5f}, hi[1] = {2.0f};
	int8_t ix[4] = {-128, -3, 3, 127}, ilo[1] = {-4};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 1, 5);
	cdl_tensor tlo = tensor(CDL_DTYPE_F32, lo, 0), thi = tensor(CDL_DTYPE_F32, hi, 0);
	cdl_tensor tix = tensor(CDL_DTYPE_I8, ix, 1, 4), tilo = tensor(CDL_DTYPE_I8, ilo, 0);
	op_run r;

	op_init(&r, "Clip", 6);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_f(&r, "min", -1.5f);
	attr_f(&r, "max", 2.0f);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Clip-6", &r.out[0], (float[]){-1.5f, -1, 0, 1, 2}, 5, 0, 0);
	op_free(&r);

	/* opset 13: max only, min absent; inputs are data, not constants */
	op_init(&r, "Clip", 13);
	r.in[0] = &tx;
	r.in[1] = NULL;
	r.in[2] = &thi;
	r.n_in = 3;
	r.inputs_not_const = true;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Clip-13 max", &r.out[0], (float[]){-5, -1, 0, 1, 2}, 5, 0, 0);
	op_free(&r);

	op_init(&r, "Clip", 13);
	r.in[0] = &tx;
	r.in[1] = &tlo;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Clip-13 min", &r.out[0], (float[]){-1.5f, -1, 0, 1, 5}, 5, 0, 0);
	op_free(&r);

	op_init(&r, "Clip", 13);
	r.in[0] = &tix;
	r.in[1] = &tilo;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(!memcmp(r.out[0].data, (int8_t[]){-4, -3, 3, 127}, 4), "int8 Clip");
	op_free(&r);

	op_init(&r, "Clip", 13);
	r.in[0] = &tx;
	r.in[1] = &tx;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "Clip min not a scalar");
	op_free(&r);
}

/* --- softmax --------------------------------------------------------------- */

static void ref_softmax(const float *x, float *y, size_t outer, size_t n, size_t inner, int kind)
{
	for (size_t o = 0; o < outer; o++)
		for (size_t j = 0; j < inner; j++) {
			double m = -INFINITY, s = 0;
			size_t arg = 0;

			for (size_t k = 0; k < n; k++) {
				double v = x[(o * n + k) * inner + j];

				if (v > m) {
					m = v;
					arg = k;
				}
			}
			for (size_t k = 0; k < n; k++)
				s += exp(x[(o * n + k) * inner + j] - m);
			for (size_t k = 0; k < n; k++) {
				size_t i = (o * n + k) * inner + j;

				if (kind == 0)
					y[i] = (float)(exp(x[i] - m) / s);
				else if (kind == 1)
					y[i] = (float)(x[i] - m - log(s));
				else
					y[i] = k == arg ? 1.0f : 0.0f;
			}
		}
}

static void test_softmax(void)
{
	float x[2 * 3 * 4], want[24];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, 2, 3, 4);
	static const char *const ops[] = {"Softmax", "LogSoftmax", "Hardmax"};
	op_run r;

	fill(x, 24, -3.0f, 3.0f);
	x[5] = x[6]; /* a tie for Hardmax */
	for (int k = 0; k < 3; k++) {
		/* opset 13, axis 1: along dim 1 only */
		op_init(&r, ops[k], 13);
		r.in[0] = &tx;
		r.n_in = 1;
		attr_i(&r, "axis", 1);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		ref_softmax(x, want, 2, 3, 4, k);
		check_f32(ops[k], &r.out[0], want, 24, 1e-5f, 1e-6f);
		op_free(&r);

		/* opset 11, axis 1: coerced to [2, 12] */
		op_init(&r, ops[k], 11);
		r.in[0] = &tx;
		r.n_in = 1;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		ref_softmax(x, want, 2, 12, 1, k);
		check_f32(ops[k], &r.out[0], want, 24, 1e-5f, 1e-6f);
		op_free(&r);

		/* opset 13 default axis -1 */
		op_init(&r, ops[k], 13);
		r.in[0] = &tx;
		r.n_in = 1;
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		ref_softmax(x, want, 6, 4, 1, k);
		check_f32(ops[k], &r.out[0], want, 24, 1e-5f, 1e-6f);
		op_free(&r);

		op_init(&r, ops[k], 13);
		r.in[0] = &tx;
		r.n_in = 1;
		attr_i(&r, "axis", 3);
		CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "axis out of range");
		op_free(&r);
	}

	float big[4] = {10000, 10001, 10002, 10003};
	cdl_tensor tbig = tensor(CDL_DTYPE_F32, big, 2, 1, 4);

	op_init(&r, "Softmax", 13);
	r.in[0] = &tbig;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("Softmax large", &r.out[0],
		  (float[]){0.0320586f, 0.08714432f, 0.23688282f, 0.64391426f}, 4, 1e-5f, 0);
	op_free(&r);
}

/* --- reductions ------------------------------------------------------------ */

static void test_reduce(void)
{
	float x[2 * 3 * 2 * 2];
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 4, 2, 3, 2, 2);
	const int64_t axes23[2] = {2, 3}, axes0[1] = {0}, axesm1[2] = {-1, 1};
	op_run r;

	for (int i = 0; i < 24; i++)
		x[i] = (float)(i % 7) - 2.0f;

	/* ReduceMean over H, W, keepdims */
	op_init(&r, "ReduceMean", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_ints(&r, "axes", axes23, 2);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		float want[6];

		for (int i = 0; i < 6; i++)
			want[i] = (x[4 * i] + x[4 * i + 1] + x[4 * i + 2] + x[4 * i + 3]) / 4;
		check_shape("ReduceMean", &r.out[0], 4, (int64_t[]){2, 3, 1, 1});
		check_f32("ReduceMean", &r.out[0], want, 6, 1e-6f, 0);
	}
	op_free(&r);

	/* ReduceMax over axis 0 without keepdims */
	op_init(&r, "ReduceMax", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_ints(&r, "axes", axes0, 1);
	attr_i(&r, "keepdims", 0);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		float want[12];

		for (int i = 0; i < 12; i++)
			want[i] = fmaxf(x[i], x[i + 12]);
		check_shape("ReduceMax", &r.out[0], 3, (int64_t[]){3, 2, 2});
		check_f32("ReduceMax", &r.out[0], want, 12, 0, 0);
	}
	op_free(&r);

	/* every kind over axes {-1, 1} against a double reference */
	static const char *const kinds[] = {
	    "ReduceSum", "ReduceMean", "ReduceMax",    "ReduceMin",	  "ReduceProd",
	    "ReduceL1",	 "ReduceL2",   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		float want[4];

		for (int n = 0; n < 2; n++)
			for (int h = 0; h < 2; h++) {
				double acc = 0, mx = -INFINITY, mn = INFINITY, prod = 1, l1 = 0,
				       sq = 0, se = 0;
				int cnt = 0;

				for (int c = 0; c < 3; c++)
					for (int w = 0; w < 2; w++) {
						double v = x[((n * 3 + c) * 2 + h) * 2 + w];

						acc += v;
						mx = fmax(mx, v);
						mn = fmin(mn, v);
						prod *= v;
						l1 += fabs(v);
						sq += v * v;
						se += exp(v);
						cnt++;
					}
				double res[] = {acc, acc / cnt, mx,	  mn,	   prod,
						l1,  sqrt(sq),	log(acc), log(se), sq};
				want[n * 2 + h] = (float)res[k];
			}
		op_init(&r, kinds[k], 13);
		r.in[0] = &tx;
		r.n_in = 1;
		attr_ints(&r, "axes", axesm1, 2);
		attr_i(&r, "keepdims", 0);
		CHECK(op_exec(&r) == CDL_OK, "%s: %s", kinds[k], r.msg);
		check_shape(kinds[k], &r.out[0], 2, (int64_t[]){2, 2});
		check_f32(kinds[k], &r.out[0], want, 4, 1e-5f, 1e-5f);
		op_free(&r);
	}

	/* ReduceSum 13: axes as an input; empty axes with noop */
	int64_t ax[1] = {1};
	cdl_tensor tax = tensor(CDL_DTYPE_I64, ax, 1, 1);
	cdl_tensor tnone = tensor(CDL_DTYPE_I64, ax, 1, 0);

	op_init(&r, "ReduceSum", 13);
	r.in[0] = &tx;
	r.in[1] = &tax;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_shape("ReduceSum axes input", &r.out[0], 4, (int64_t[]){2, 1, 2, 2});
	{
		float want[8];

		for (int n = 0; n < 2; n++)
			for (int s = 0; s < 4; s++)
				want[n * 4 + s] =
				    x[n * 12 + s] + x[n * 12 + 4 + s] + x[n * 12 + 8 + s];
		check_f32("ReduceSum axes input", &r.out[0], want, 8, 0, 0);
	}
	op_free(&r);

	op_init(&r, "ReduceSum", 13);
	r.in[0] = &tx;
	r.in[1] = &tnone;
	r.n_in = 2;
	attr_i(&r, "noop_with_empty_axes", 1);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_shape("ReduceSum noop", &r.out[0], 4, tx.dims);
	check_f32("ReduceSum noop", &r.out[0], x, 24, 0, 0);
	op_free(&r);

	op_init(&r, "ReduceSum", 13);
	r.in[0] = &tx;
	r.in[1] = &tnone;
	r.n_in = 2;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	{
		float s = 0;

		for (int i = 0; i < 24; i++)
			s += x[i];
		check_shape("ReduceSum all", &r.out[0], 4, (int64_t[]){1, 1, 1, 1});
		check_f32("ReduceSum all", &r.out[0], &s, 1, 1e-6f, 0);
	}
	op_free(&r);

	op_init(&r, "ReduceSum", 13);
	r.in[0] = &tx;
	r.in[1] = &tax;
	r.n_in = 2;
	r.inputs_not_const = true;
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "axes input must be constant");
	CHECK(strstr(r.msg, "constant") != NULL, "message: %s", r.msg);
	op_free(&r);

	const int64_t dup[2] = {1, -3};
	op_init(&r, "ReduceMean", 11);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_ints(&r, "axes", dup, 2);
	CHECK(op_exec(&r) == CDL_ERR_INVALID_ARGUMENT, "repeated axis");
	op_free(&r);

	/* LogSumExp does not overflow */
	float big[3] = {1000, 1000, -INFINITY};
	cdl_tensor tbig = tensor(CDL_DTYPE_F32, big, 1, 3);

	op_init(&r, "ReduceLogSumExp", 13);
	r.in[0] = &tbig;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("ReduceLogSumExp large", &r.out[0], (float[]){1000.6931472f}, 1, 1e-6f, 0);
	op_free(&r);

	/* int64 ReduceProd of a shape (shape subgraphs) */
	int64_t shp[4] = {1, 3, 224, 224};
	cdl_tensor tshp = tensor(CDL_DTYPE_I64, shp, 1, 4);

	op_init(&r, "ReduceProd", 13);
	r.in[0] = &tshp;
	r.n_in = 1;
	attr_i(&r, "keepdims", 0);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	CHECK(r.out[0].rank == 0 && ((int64_t *)r.out[0].data)[0] == 3 * 224 * 224,
	      "int64 ReduceProd");
	op_free(&r);
}

static void test_argmax(void)
{
	float x[2][3] = {{1, 5, 5}, {7, 0, 7}};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 2, 2, 3);
	op_run r;

	op_init(&r, "ArgMax", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_i(&r, "axis", 1);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_shape("ArgMax", &r.out[0], 2, (int64_t[]){2, 1});
	CHECK(!memcmp(r.out[0].data, (int64_t[]){1, 0}, 16), "ArgMax first");
	op_free(&r);

	op_init(&r, "ArgMax", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_i(&r, "axis", -1);
	attr_i(&r, "select_last_index", 1);
	attr_i(&r, "keepdims", 0);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_shape("ArgMax last", &r.out[0], 1, (int64_t[]){2});
	CHECK(!memcmp(r.out[0].data, (int64_t[]){2, 2}, 16), "ArgMax last");
	op_free(&r);

	op_init(&r, "ArgMin", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_shape("ArgMin axis 0", &r.out[0], 2, (int64_t[]){1, 3});
	CHECK(!memcmp(r.out[0].data, (int64_t[]){0, 1, 0}, 24), "ArgMin axis 0");
	op_free(&r);
}

/* --- normalisation --------------------------------------------------------- */

static void test_batchnorm(void)
{
	float x[2 * 3 * 4], want[24];
	float scale[3] = {1.0f, 2.0f, -0.5f}, bias[3] = {0.0f, -1.0f, 0.5f};
	float mean[3] = {0.1f, -0.2f, 0.3f}, var[3] = {1.0f, 0.5f, 2.0f};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, 2, 3, 4);
	cdl_tensor ts = tensor(CDL_DTYPE_F32, scale, 1, 3), tb = tensor(CDL_DTYPE_F32, bias, 1, 3);
	cdl_tensor tm = tensor(CDL_DTYPE_F32, mean, 1, 3), tv = tensor(CDL_DTYPE_F32, var, 1, 3);
	op_run r;

	fill(x, 24, -2.0f, 2.0f);
	for (int i = 0; i < 24; i++) {
		int c = (i / 4) % 3;

		want[i] = (x[i] - mean[c]) / sqrtf(var[c] + 1e-3f) * scale[c] + bias[c];
		want[i] = want[i] > 0 ? want[i] : 0;
	}
	op_init(&r, "BatchNormalization", 15);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.in[2] = &tb;
	r.in[3] = &tm;
	r.in[4] = &tv;
	r.n_in = 5;
	attr_f(&r, "epsilon", 1e-3f);
	attr_s(&r, "cdl.act", "Relu");
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("BatchNormalization+Relu", &r.out[0], want, 24, 1e-5f, 1e-6f);
	op_free(&r);

	op_init(&r, "BatchNormalization", 15);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.in[2] = &tb;
	r.in[3] = &tm;
	r.in[4] = &tv;
	r.n_in = 5;
	attr_i(&r, "training_mode", 1);
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "training_mode=1");
	CHECK(strstr(r.msg, "training_mode") != NULL, "message: %s", r.msg);
	op_free(&r);

	op_init(&r, "BatchNormalization", 9);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.in[2] = &tb;
	r.in[3] = &tm;
	r.in[4] = &tv;
	r.n_in = 5;
	r.n_out = 3;
	CHECK(op_exec(&r) == CDL_ERR_UNSUPPORTED, "training outputs");
	op_free(&r);

	/* opset 7 spatial=0: parameters per element of X[1:] */
	float s0[12], b0[12], m0[12], v0[12];
	cdl_tensor tx0 = tensor(CDL_DTYPE_F32, x, 3, 2, 3, 4);
	cdl_tensor ts0 = tensor(CDL_DTYPE_F32, s0, 2, 3, 4),
		   tb0 = tensor(CDL_DTYPE_F32, b0, 2, 3, 4);
	cdl_tensor tm0 = tensor(CDL_DTYPE_F32, m0, 2, 3, 4),
		   tv0 = tensor(CDL_DTYPE_F32, v0, 2, 3, 4);

	fill(s0, 12, 0.5f, 1.5f);
	fill(b0, 12, -1.0f, 1.0f);
	fill(m0, 12, -1.0f, 1.0f);
	fill(v0, 12, 0.5f, 1.5f);
	for (int i = 0; i < 24; i++) {
		int k = i % 12;

		want[i] = (x[i] - m0[k]) / sqrtf(v0[k] + 1e-5f) * s0[k] + b0[k];
	}
	op_init(&r, "BatchNormalization", 7);
	r.in[0] = &tx0;
	r.in[1] = &ts0;
	r.in[2] = &tb0;
	r.in[3] = &tm0;
	r.in[4] = &tv0;
	r.n_in = 5;
	attr_i(&r, "spatial", 0);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("BatchNormalization spatial=0", &r.out[0], want, 24, 1e-5f, 1e-6f);
	op_free(&r);
}

static void test_instnorm_lrn(void)
{
	float x[2 * 5 * 3], want[30];
	float scale[5] = {1, 2, 3, 4, 5}, bias[5] = {0, 1, 0, -1, 0};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, 2, 5, 3);
	cdl_tensor ts = tensor(CDL_DTYPE_F32, scale, 1, 5), tb = tensor(CDL_DTYPE_F32, bias, 1, 5);
	op_run r;

	fill(x, 30, -2.0f, 2.0f);
	for (int p = 0; p < 10; p++) {
		double m = 0, v = 0;

		for (int s = 0; s < 3; s++)
			m += x[p * 3 + s] / 3.0;
		for (int s = 0; s < 3; s++)
			v += (x[p * 3 + s] - m) * (x[p * 3 + s] - m) / 3.0;
		for (int s = 0; s < 3; s++)
			want[p * 3 + s] =
			    (float)((x[p * 3 + s] - m) / sqrt(v + 1e-5) * scale[p % 5] +
				    bias[p % 5]);
	}
	op_init(&r, "InstanceNormalization", 6);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.in[2] = &tb;
	r.n_in = 3;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("InstanceNormalization", &r.out[0], want, 30, 1e-4f, 1e-5f);
	op_free(&r);

	/* LRN size 3 and size 4 (asymmetric window) against the ONNX formula */
	for (int size = 3; size <= 4; size++) {
		for (int n = 0; n < 2; n++)
			for (int c = 0; c < 5; c++)
				for (int s = 0; s < 3; s++) {
					double sq = 0;
					int lo = c - (size - 1) / 2, hi = c + size / 2;

					for (int cc = lo < 0 ? 0 : lo; cc <= (hi > 4 ? 4 : hi);
					     cc++) {
						double v = x[(n * 5 + cc) * 3 + s];

						sq += v * v;
					}
					want[(n * 5 + c) * 3 + s] =
					    (float)(x[(n * 5 + c) * 3 + s] /
						    pow(2.0 + 0.1 / size * sq,
							size == 3 ? 0.75 : 0.6));
				}
		op_init(&r, "LRN", 13);
		r.in[0] = &tx;
		r.n_in = 1;
		attr_i(&r, "size", size);
		attr_f(&r, "alpha", 0.1f);
		attr_f(&r, "bias", 2.0f);
		if (size == 4)
			attr_f(&r, "beta", 0.6f);
		CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
		check_f32("LRN", &r.out[0], want, 30, 1e-5f, 1e-6f);
		op_free(&r);
	}
}

static void test_layernorm_mvn(void)
{
	float x[2 * 3 * 4], want[24], wmean[6], winv[6];
	float scale[4] = {1, 2, 3, 4}, bias[1] = {0.5f};
	cdl_tensor tx = tensor(CDL_DTYPE_F32, x, 3, 2, 3, 4);
	cdl_tensor ts = tensor(CDL_DTYPE_F32, scale, 1, 4), tb = tensor(CDL_DTYPE_F32, bias, 1, 1);
	op_run r;

	fill(x, 24, -2.0f, 2.0f);
	for (int row = 0; row < 6; row++) {
		double m = 0, v = 0;

		for (int i = 0; i < 4; i++)
			m += x[row * 4 + i] / 4.0;
		for (int i = 0; i < 4; i++)
			v += (x[row * 4 + i] - m) * (x[row * 4 + i] - m) / 4.0;
		wmean[row] = (float)m;
		winv[row] = (float)(1.0 / sqrt(v + 1e-5));
		for (int i = 0; i < 4; i++)
			want[row * 4 + i] =
			    (float)((x[row * 4 + i] - m) * winv[row] * scale[i] + 0.5);
	}
	op_init(&r, "LayerNormalization", 17);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.in[2] = &tb;
	r.n_in = 3;
	r.n_out = 3;
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("LayerNormalization", &r.out[0], want, 24, 1e-5f, 1e-5f);
	check_shape("LayerNormalization mean", &r.out[1], 3, (int64_t[]){2, 3, 1});
	check_f32("LayerNormalization mean", &r.out[1], wmean, 6, 1e-5f, 1e-6f);
	check_f32("LayerNormalization invstd", &r.out[2], winv, 6, 1e-5f, 1e-6f);
	op_free(&r);

	/* normalise over the last two axes; scale [4] broadcast over [3,4] */
	for (int n = 0; n < 2; n++) {
		double m = 0, v = 0;

		for (int i = 0; i < 12; i++)
			m += x[n * 12 + i] / 12.0;
		for (int i = 0; i < 12; i++)
			v += (x[n * 12 + i] - m) * (x[n * 12 + i] - m) / 12.0;
		for (int i = 0; i < 12; i++)
			want[n * 12 + i] =
			    (float)((x[n * 12 + i] - m) / sqrt(v + 1e-5) * scale[i % 4]);
	}
	op_init(&r, "LayerNormalization", 17);
	r.in[0] = &tx;
	r.in[1] = &ts;
	r.n_in = 2;
	attr_i(&r, "axis", 1);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("LayerNormalization axis 1", &r.out[0], want, 24, 1e-5f, 1e-5f);
	op_free(&r);

	/* MVN over axes {0, 2}: per channel of [2, 3, 4] */
	const int64_t axes[2] = {0, 2};

	for (int c = 0; c < 3; c++) {
		double m = 0, v = 0;

		for (int n = 0; n < 2; n++)
			for (int i = 0; i < 4; i++)
				m += x[(n * 3 + c) * 4 + i] / 8.0;
		for (int n = 0; n < 2; n++)
			for (int i = 0; i < 4; i++) {
				double d = x[(n * 3 + c) * 4 + i] - m;

				v += d * d / 8.0;
			}
		for (int n = 0; n < 2; n++)
			for (int i = 0; i < 4; i++)
				want[(n * 3 + c) * 4 + i] =
				    (float)((x[(n * 3 + c) * 4 + i] - m) / (sqrt(v) + 1e-9));
	}
	op_init(&r, "MeanVarianceNormalization", 13);
	r.in[0] = &tx;
	r.n_in = 1;
	attr_ints(&r, "axes", axes, 2);
	CHECK(op_exec(&r) == CDL_OK, "%s", r.msg);
	check_f32("MeanVarianceNormalization", &r.out[0], want, 24, 1e-5f, 1e-5f);
	op_free(&r);
}

int main(void)
{
	test_broadcast_shapes();
	test_binary_isa();
	test_binary_errors();
	test_legacy_broadcast();
	test_add_fused();
	test_int_arith();
	test_compare_logic_where();
	test_variadic();
	test_pow();
	test_unary();
	test_activations();
	test_prelu();
	test_clip();
	test_softmax();
	test_reduce();
	test_argmax();
	test_batchnorm();
	test_instnorm_lrn();
	test_layernorm_mvn();
	if (failures) {
		fprintf(stderr, "%d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("all %d checks passed\n", checks);
	return 0;
}
