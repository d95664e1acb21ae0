// SPDX-License-Identifier: Apache-2.0
/*
 * Element-wise operators with ONNX multidirectional broadcasting:
 *   binary   Add Sub Mul Div Pow Mod BitShift, Equal Less Greater
 *            LessOrEqual GreaterOrEqual (-> bool), And Or Xor (bool)
 *   variadic Max Min Sum Mean
 *   ternary  Where
 *   unary    Abs Neg Reciprocal Sqrt Exp Log Ceil Floor Round Sign Erf Sin
 *            Cos Tan Asin Acos Atan Sinh Cosh Asinh Acosh Atanh IsNaN IsInf Not
 *
 * Arithmetic is float32; Add/Sub/Mul/Div/Mod/Max/Min/Sum/comparisons also take
 * int32/int64/uint8/int8 because shape subgraphs are constant-folded through
 * these very ops. Integer arithmetic wraps (two's complement) instead of
 * being undefined; an integer division by zero is an execute-time error.
 * Add accepts a fused activation (cdl.act), applied after the add.
 */
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "../kernels/isa.h"
#include "../mathf.h"
#include "../op.h"
#include "ew_util.h"
#include "ops.h"

/* --- row kernels ------------------------------------------------------------ */

/*
 * A binary row: o[i] = EXPR(x, y) with x from a, y from b; s[1], s[2] are 0
 * when that operand is repeated along the row. Four loops so that each is a
 * plain loop the compiler can vectorise. TA/TB/TO are the element types, UT
 * an unsigned type for wrapping integer arithmetic (ut in EXPR).
 */
#define BIN_ROW(name, TA, TB, TO, UT, EXPR)                                                        \
	static void name(char *const *p, const size_t *s, size_t n, const void *arg)               \
	{                                                                                          \
		typedef TA ta;                                                                     \
		typedef UT ut;                                                                     \
		TO *o = (TO *)(void *)p[0];                                                        \
		const TA *a = (const TA *)(const void *)p[1];                                      \
		const TB *b = (const TB *)(const void *)p[2];                                      \
		(void)arg;                                                                         \
		(void)sizeof(ta);                                                                  \
		(void)sizeof(ut);                                                                  \
		if (s[1] && s[2]) {                                                                \
			for (size_t i = 0; i < n; i++) {                                           \
				TA x = a[i];                                                       \
				TB y = b[i];                                                       \
				o[i] = (TO)(EXPR);                                                 \
			}                                                                          \
		} else if (s[1]) {                                                                 \
			TB y = b[0];                                                               \
			for (size_t i = 0; i < n; i++) {                                           \
				TA x = a[i];                                                       \
				o[i] = (TO)(EXPR);                                                 \
			}                                                                          \
		} else if (s[2]) {                                                                 \
			TA x = a[0];                                                               \
			for (size_t i = 0; i < n; i++) {                                           \
				TB y = b[i];                                                       \
				o[i] = (TO)(EXPR);                                                 \
			}                                                                          \
		} else {                                                                           \
			TA x = a[0];                                                               \
			TB y = b[0];                                                               \
			TO v = (TO)(EXPR);                                                         \
			for (size_t i = 0; i < n; i++)                                             \
				o[i] = v;                                                          \
		}                                                                                  \
	}

/* Same-type kernels: float, the signed ints and uint8 (result type TO). */
#define K_F32(op, TO, EXPR) BIN_ROW(op##_f32, float, float, TO, unsigned, EXPR)
#define K_SIGNED(op, TO32, TO64, TO8, EXPR)                                                        \
	BIN_ROW(op##_i32, int32_t, int32_t, TO32, uint32_t, EXPR)                                  \
	BIN_ROW(op##_i64, int64_t, int64_t, TO64, uint64_t, EXPR)                                  \
	BIN_ROW(op##_i8, int8_t, int8_t, TO8, unsigned, EXPR)
#define K_U8(op, TO, EXPR) BIN_ROW(op##_u8, uint8_t, uint8_t, TO, unsigned, EXPR)

#define K_ARITH(op, FEXPR, SEXPR, UEXPR)                                                           \
	K_F32(op, float, FEXPR)                                                                    \
	K_SIGNED(op, int32_t, int64_t, int8_t, SEXPR)                                              \
	K_U8(op, uint8_t, UEXPR)
#define K_CMP(op, EXPR)                                                                            \
	K_F32(op, uint8_t, EXPR)                                                                   \
	K_SIGNED(op, uint8_t, uint8_t, uint8_t, EXPR)                                              \
	K_U8(op, uint8_t, EXPR)

/* Signed division without the INT_MIN / -1 trap (y != 0 checked before). */
static inline int64_t sdiv(int64_t x, int64_t y)
{
	return y == -1 ? (int64_t)(0 - (uint64_t)x) : x / y;
}

/* Remainder: with floor, the sign follows the divisor (Python %), else C %. */
static inline int64_t smod(int64_t x, int64_t y, bool floor)
{
	int64_t r = y == -1 ? 0 : x % y;

	if (floor && r != 0 && ((r < 0) != (y < 0)))
		r += y;
	return r;
}

static inline float fmod_floor(float x, float y)
{
	float r = cdl_fmodf(x, y);

	if (r != 0.0f && ((r < 0.0f) != (y < 0.0f)))
		r += y;
	return r;
}

/* NaN-propagating max/min (numpy maximum/minimum). */
#define FMAX(x, y) (((x) != (x) || (x) > (y)) ? (x) : (y))
#define FMIN(x, y) (((x) != (x) || (x) < (y)) ? (x) : (y))

K_ARITH(add, x + y, (ta)((ut)x + (ut)y), (ta)((ut)x + (ut)y))
K_ARITH(sub, x - y, (ta)((ut)x - (ut)y), (ta)((ut)x - (ut)y))
K_ARITH(mul, x *y, (ta)((ut)x *(ut)y), (ta)((ut)x *(ut)y))
K_ARITH(div, x / y, (ta)sdiv(x, y), x / y)
K_ARITH(max, FMAX(x, y), x > y ? x : y, x > y ? x : y)
K_ARITH(min, FMIN(x, y), x < y ? x : y, x < y ? x : y)
K_ARITH(mod, fmod_floor(x, y), (ta)smod(x, y, true), x % y)
K_ARITH(fmod, cdl_fmodf(x, y), (ta)smod(x, y, false), x % y)
K_CMP(eq, x == y)
K_CMP(lt, x < y)
K_CMP(gt, x > y)
K_CMP(le, x <= y)
K_CMP(ge, x >= y)
BIN_ROW(eq_b8, uint8_t, uint8_t, uint8_t, unsigned, (x != 0) == (y != 0))
BIN_ROW(and_b8, uint8_t, uint8_t, uint8_t, unsigned, (x != 0) & (y != 0))
BIN_ROW(or_b8, uint8_t, uint8_t, uint8_t, unsigned, (x != 0) | (y != 0))
BIN_ROW(xor_b8, uint8_t, uint8_t, uint8_t, unsigned, (x != 0) ^ (y != 0))
BIN_ROW(shl_u8, uint8_t, uint8_t, uint8_t, unsigned, y >= 8 ? 0u : (unsigned)x << y)
BIN_ROW(shr_u8, uint8_t, uint8_t, uint8_t, unsigned, y >= 8 ? 0u : (unsigned)x >> y)

/*
 * The float32 Add / Sub / Mul / Div rows with AVX-512: one IEEE operation per
 * element either way, so these give the loops above their bits; they are
 * picked at run time (simd_row). The compiler vectorises the loops above
 * with SSE only (no -march), 4 lanes.
 */
#if defined(__x86_64__)
#define BIN_ROW_AVX512(name, VOP, SEXPR)                                                           \
	__attribute__((target("avx512f"), always_inline)) static inline void name##_body(          \
	    float *o, const float *a, const float *b, size_t sa, size_t sb, size_t n)              \
	{                                                                                          \
		const __mmask16 tail = (__mmask16)((1u << (n % 16)) - 1u);                         \
		const size_t n16 = n - n % 16;                                                     \
		if (sa && sb) {                                                                    \
			for (size_t i = 0; i < n16; i += 16)                                       \
				_mm512_storeu_ps(o + i, VOP(_mm512_loadu_ps(a + i),                \
							    _mm512_loadu_ps(b + i)));              \
			if (tail)                                                                  \
				_mm512_mask_storeu_ps(                                             \
				    o + n16, tail,                                                 \
				    VOP(_mm512_maskz_loadu_ps(tail, a + n16),                      \
					_mm512_maskz_loadu_ps(tail, b + n16)));                    \
		} else if (sa) {                                                                   \
			const __m512 vb = _mm512_set1_ps(b[0]);                                    \
			for (size_t i = 0; i < n16; i += 16)                                       \
				_mm512_storeu_ps(o + i, VOP(_mm512_loadu_ps(a + i), vb));          \
			if (tail)                                                                  \
				_mm512_mask_storeu_ps(                                             \
				    o + n16, tail, VOP(_mm512_maskz_loadu_ps(tail, a + n16), vb)); \
		} else if (sb) {                                                                   \
			const __m512 va = _mm512_set1_ps(a[0]);                                    \
			for (size_t i = 0; i < n16; i += 16)                                       \
				_mm512_storeu_ps(o + i, VOP(va, _mm512_loadu_ps(b + i)));          \
			if (tail)                                                                  \
				_mm512_mask_storeu_ps(                                             \
				    o + n16, tail, VOP(va, _mm512_maskz_loadu_ps(tail, b + n16))); \
		} else {                                                                           \
			const float x = a[0], y = b[0], v = SEXPR;                                 \
			for (size_t i = 0; i < n; i++)                                             \
				o[i] = v;                                                          \
		}                                                                                  \
	}                                                                                          \
	__attribute__((target("avx512f"))) static void name(char *const *p, const size_t *s,      \
							    size_t n, const void *arg)             \
	{                                                                                          \
		(void)arg;                                                                         \
		name##_body((float *)(void *)p[0], (const float *)(const void *)p[1],              \
			    (const float *)(const void *)p[2], s[1], s[2], n);                     \
	}                                                                                          \
	/* every row of a 2-D iteration (the squeeze-excite Mul: [C, HW] by [C, 1]) */           \
	__attribute__((target("avx512f"))) static void name##_2d(const cdl_ew_iter *it,           \
								 char *const *base)                \
	{                                                                                          \
		for (size_t r = 0; r < it->dims[0]; r++)                                           \
			name##_body((float *)(void *)base[0] + r * it->strides[0][0],              \
				    (const float *)(const void *)base[1] + r * it->strides[1][0],  \
				    (const float *)(const void *)base[2] + r * it->strides[2][0],  \
				    it->strides[1][1], it->strides[2][1], it->dims[1]);            \
	}

BIN_ROW_AVX512(add_f32_avx512, _mm512_add_ps, x + y)
BIN_ROW_AVX512(sub_f32_avx512, _mm512_sub_ps, x - y)
BIN_ROW_AVX512(mul_f32_avx512, _mm512_mul_ps, x *y)
BIN_ROW_AVX512(div_f32_avx512, _mm512_div_ps, x / y)
#undef BIN_ROW_AVX512
#endif

/* The fastest row kernel this CPU has that gives fn's bits. */
static cdl_ew_row_fn simd_row(cdl_ew_row_fn fn)
{
#if defined(__x86_64__)
	if (cdl_kernels_isa() >= CDL_ISA_AVX512) {
		if (fn == add_f32)
			return add_f32_avx512;
		if (fn == sub_f32)
			return sub_f32_avx512;
		if (fn == mul_f32)
			return mul_f32_avx512;
		if (fn == div_f32)
			return div_f32_avx512;
	}
#endif
	return fn;
}

/* Runs a 2-D iteration with a SIMD row kernel's own loop; false if none. */
static bool simd_run_2d(cdl_ew_row_fn fn, const cdl_ew_iter *it, char *const *base)
{
#if defined(__x86_64__)
	void (*run)(const cdl_ew_iter *, char *const *) =
	    fn == add_f32_avx512   ? add_f32_avx512_2d
	    : fn == sub_f32_avx512 ? sub_f32_avx512_2d
	    : fn == mul_f32_avx512 ? mul_f32_avx512_2d
	    : fn == div_f32_avx512 ? div_f32_avx512_2d
				   : NULL;

	if (!run || it->rank != 2 || it->n_ops != 3 || it->numel == 0)
		return false;
	run(it, base);
	return true;
#else
	(void)fn;
	(void)it;
	(void)base;
	return false;
#endif
}

/* --- Pow kernels ------------------------------------------------------------ */

/* Integer power by squaring, wrapping; negative exponents truncate 1/x^-e. */
static int64_t ipow(int64_t base, int64_t e)
{
	uint64_t r = 1, x = (uint64_t)base;

	if (e < 0) {
		if (base == 1)
			return 1;
		if (base == -1)
			return (e & 1) ? -1 : 1;
		return 0;
	}
	while (e) {
		if (e & 1)
			r *= x;
		x *= x;
		e >>= 1;
	}
	return (int64_t)r;
}

/* Float to integer without the undefined behaviour of out-of-range casts. */
static inline int64_t f2i(float v, int64_t lo, int64_t hi)
{
	if (v != v)
		return 0;
	if (v <= (float)lo)
		return lo;
	if (v >= (float)hi)
		return hi;
	return (int64_t)v;
}

BIN_ROW(pow_f32_f32, float, float, float, unsigned, cdl_powf(x, y))
BIN_ROW(pow_f32_i32, float, int32_t, float, unsigned, cdl_powf(x, (float)y))
BIN_ROW(pow_f32_i64, float, int64_t, float, unsigned, cdl_powf(x, (float)y))
BIN_ROW(pow_i32_i32, int32_t, int32_t, int32_t, unsigned, ipow(x, y))
BIN_ROW(pow_i32_i64, int32_t, int64_t, int32_t, unsigned, ipow(x, y))
BIN_ROW(pow_i64_i32, int64_t, int32_t, int64_t, unsigned, ipow(x, y))
BIN_ROW(pow_i64_i64, int64_t, int64_t, int64_t, unsigned, ipow(x, y))
BIN_ROW(pow_i32_f32, int32_t, float, int32_t, unsigned,
	f2i(cdl_powf((float)x, y), INT32_MIN, INT32_MAX))
BIN_ROW(pow_i64_f32, int64_t, float, int64_t, unsigned,
	f2i(cdl_powf((float)x, y), INT64_MIN, INT64_MAX))
BIN_ROW(square_f32, float, float, float, unsigned, ((void)y, x *x))

/* --- the n-ary broadcasting ops --------------------------------------------- */

enum { SLOT_F32, SLOT_I32, SLOT_I64, SLOT_U8, SLOT_I8, SLOT_BOOL, N_SLOTS };

static int dtype_slot(int dtype)
{
	switch (dtype) {
	case CDL_DTYPE_F32:
		return SLOT_F32;
	case CDL_DTYPE_I32:
		return SLOT_I32;
	case CDL_DTYPE_I64:
		return SLOT_I64;
	case CDL_DTYPE_U8:
		return SLOT_U8;
	case CDL_DTYPE_I8:
		return SLOT_I8;
	case CDL_DTYPE_BOOL:
		return SLOT_BOOL;
	default:
		return -1;
	}
}

typedef struct ew_nary {
	uint32_t min_in, max_in;
	bool out_bool;	/* comparisons */
	bool int_div;	/* integer divisor must not be zero */
	bool mean;	/* divide the sum by the input count */
	bool fused_act; /* accepts cdl.act (Add) */
	cdl_ew_row_fn k[N_SLOTS];
} ew_nary;

#define ARITH_K(op)                                                                                \
	{                                                                                          \
		op##_f32, op##_i32, op##_i64, op##_u8, op##_i8, NULL                               \
	}
#define CMP_K(op)                                                                                  \
	{                                                                                          \
		op##_f32, op##_i32, op##_i64, op##_u8, op##_i8, NULL                               \
	}

static const ew_nary op_add = {2, 2, false, false, false, true, ARITH_K(add)};
static const ew_nary op_sub = {2, 2, false, false, false, false, ARITH_K(sub)};
static const ew_nary op_mul = {2, 2, false, false, false, false, ARITH_K(mul)};
static const ew_nary op_div = {2, 2, false, true, false, false, ARITH_K(div)};
static const ew_nary op_mod = {2, 2, false, true, false, false, ARITH_K(mod)};
static const ew_nary op_fmod = {2, 2, false, true, false, false, ARITH_K(fmod)};
static const ew_nary op_max = {1, UINT32_MAX, false, false, false, false, ARITH_K(max)};
static const ew_nary op_min = {1, UINT32_MAX, false, false, false, false, ARITH_K(min)};
static const ew_nary op_sum = {1, UINT32_MAX, false, false, false, false, ARITH_K(add)};
static const ew_nary op_mean = {
    1, UINT32_MAX, false, false, true, false, {add_f32, NULL, NULL, NULL, NULL, NULL}};
static const ew_nary op_eq = {
    2, 2, true, false, false, false, {eq_f32, eq_i32, eq_i64, eq_u8, eq_i8, eq_b8}};
static const ew_nary op_lt = {2, 2, true, false, false, false, CMP_K(lt)};
static const ew_nary op_gt = {2, 2, true, false, false, false, CMP_K(gt)};
static const ew_nary op_le = {2, 2, true, false, false, false, CMP_K(le)};
static const ew_nary op_ge = {2, 2, true, false, false, false, CMP_K(ge)};
static const ew_nary op_and = {2, 2, false, false, false, false, {[SLOT_BOOL] = and_b8}};
static const ew_nary op_or = {2, 2, false, false, false, false, {[SLOT_BOOL] = or_b8}};
static const ew_nary op_xor = {2, 2, false, false, false, false, {[SLOT_BOOL] = xor_b8}};
static const ew_nary op_shl = {2, 2, false, false, false, false, {[SLOT_U8] = shl_u8}};
static const ew_nary op_shr = {2, 2, false, false, false, false, {[SLOT_U8] = shr_u8}};

static cdl_ew_row_fn nary_kernel(const ew_nary *op, int dtype)
{
	int slot = dtype_slot(dtype);

	return slot < 0 ? NULL : op->k[slot];
}

/*
 * Before opset 7 the binary ops broadcast only B onto A, and only when
 * broadcast=1: B's dims are A's dims starting at axis (default: A's trailing
 * dims). *view gets B's shape at A's rank with ones around, which numpy
 * broadcasting then handles; from opset 7 on *view is B itself.
 */
static const cdl_ew_attr_spec legacy_attrs[] = {
    {"broadcast", CDL_ATTR_INT},
    {"axis", CDL_ATTR_INT},
};

static bool legacy_view(const cdl_node *node, const cdl_tensor *a, const cdl_tensor *b,
			cdl_tensor *view)
{
	int64_t axis;

	*view = *b;
	if (node->opset >= 7)
		return true;
	if (!cdl_attr_int(node, "broadcast", 0))
		return cdl_tensor_same_shape(a, b);
	if (b->rank > a->rank)
		return false;
	axis = cdl_attr_int(node, "axis", (int64_t)a->rank - b->rank);
	if (axis < 0)
		axis += a->rank;
	if (axis < 0 || axis + b->rank > a->rank)
		return false;
	view->rank = a->rank;
	for (uint32_t d = 0; d < a->rank; d++)
		view->dims[d] = d >= axis && d < axis + b->rank ? b->dims[d - axis] : 1;
	return true;
}

static cdl_status nary_infer(cdl_op_ctx *ctx, const ew_nary *op, const cdl_ew_attr_spec *attrs,
			     size_t n_attrs)
{
	const cdl_tensor *a;
	cdl_tensor shape;
	cdl_act act;
	cdl_status st;
	char sa[96], sb[96];

	st = cdl_ew_check_io(ctx, op->min_in, op->max_in, 1);
	if (st)
		return st;
	if (ctx->node->opset < 7 && op->max_in == 2 && n_attrs == 0) {
		attrs = legacy_attrs;
		n_attrs = 2;
	}
	st = cdl_ew_check_attrs(ctx, attrs, n_attrs, op->fused_act, &act);
	if (st)
		return st;
	a = ctx->inputs[0];
	if (!nary_kernel(op, a->dtype))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(a->dtype));
	if (op->fused_act && act.kind != CDL_ACT_NONE && a->dtype != CDL_DTYPE_F32)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "fused %s on dtype %s",
				   cdl_act_name(act.kind), cdl_dtype_name(a->dtype));
	shape = *a;
	for (uint32_t i = 1; i < ctx->n_inputs; i++) {
		const cdl_tensor *b = ctx->inputs[i];
		cdl_tensor view;

		if (!b)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to find input %u: it is required", i);
		if (op->max_in == 2) {
			if (!legacy_view(ctx->node, a, b, &view))
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "failed to broadcast %s onto %s (opset %u): "
						   "broadcast/axis do not match",
						   cdl_shape_str(b, sb, sizeof(sb)),
						   cdl_shape_str(a, sa, sizeof(sa)),
						   ctx->node->opset);
			b = &view;
		}
		if (b->dtype != a->dtype)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to combine dtypes %s and %s: must be equal",
					   cdl_dtype_name(a->dtype), cdl_dtype_name(b->dtype));
		if (!cdl_broadcast_shape(&shape, b, &shape))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to broadcast %s with %s: not broadcastable",
					   cdl_shape_str(&shape, sa, sizeof(sa)),
					   cdl_shape_str(b, sb, sizeof(sb)));
	}
	return cdl_ew_set_out(ctx, 0, op->out_bool ? CDL_DTYPE_BOOL : a->dtype, shape.rank,
			      shape.dims);
}

static bool has_zero(const cdl_tensor *t)
{
	size_t n = cdl_ew_numel(t);

	for (size_t i = 0; i < n; i++)
		if (cdl_tensor_get_int(t, i) == 0)
			return true;
	return false;
}

static void run_binary(cdl_ew_row_fn fn, cdl_tensor *out, const cdl_tensor *a, const cdl_tensor *b,
		       const void *arg)
{
	const cdl_tensor *ins[2] = {a, b};
	char *base[3] = {out->data, a->data, b->data};
	size_t esz[3] = {cdl_dtype_size(out->dtype), cdl_dtype_size(a->dtype),
			 cdl_dtype_size(b->dtype)};
	cdl_ew_iter it;

	/* infer checked broadcastability, so init cannot fail here */
	if (cdl_ew_iter_init(&it, out, ins, 2)) {
		fn = simd_row(fn);
		if (!simd_run_2d(fn, &it, base))
			cdl_ew_iter_run(&it, base, esz, fn, arg);
	}
}

static cdl_status nary_execute(cdl_op_ctx *ctx, const ew_nary *op)
{
	cdl_tensor *out = ctx->outputs[0];
	const cdl_tensor *a = ctx->inputs[0];
	cdl_ew_row_fn fn = nary_kernel(op, a->dtype);
	size_t n = cdl_ew_numel(out);

	if (!fn)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "input dtype %s not inferred",
				   cdl_dtype_name(a->dtype));
	if (op->int_div && a->dtype != CDL_DTYPE_F32 && has_zero(ctx->inputs[1]))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to divide: integer division by zero");
	if (ctx->n_inputs == 1) {
		/* a single input has the output's shape */
		if (out->data != a->data)
			memcpy(out->data, a->data, n * cdl_dtype_size(a->dtype));
		return CDL_OK;
	}
	{
		cdl_tensor view;

		legacy_view(ctx->node, a, ctx->inputs[1], &view);
		run_binary(fn, out, a, &view, NULL);
	}
	for (uint32_t i = 2; i < ctx->n_inputs; i++)
		run_binary(fn, out, out, ctx->inputs[i], NULL);
	if (op->mean) {
		float *o = out->data;
		float inv = 1.0f / (float)ctx->n_inputs;

		for (size_t i = 0; i < n; i++)
			o[i] *= inv;
	}
	if (op->fused_act) {
		cdl_act act;

		if (cdl_act_from_node(ctx->node, &act) == CDL_OK && act.kind != CDL_ACT_NONE)
			cdl_act_apply(&act, out->data, n);
	}
	return CDL_OK;
}

static const cdl_ew_attr_spec no_attrs[1] = {{NULL, 0}};
static const cdl_ew_attr_spec mod_attrs[] = {{"fmod", CDL_ATTR_INT}};
static const cdl_ew_attr_spec shift_attrs[] = {{"direction", CDL_ATTR_STRING}};

#define NARY_OP(fn, desc)                                                                          \
	static cdl_status fn##_infer(cdl_op_ctx *ctx)                                              \
	{                                                                                          \
		return nary_infer(ctx, &desc, no_attrs, 0);                                        \
	}                                                                                          \
	static cdl_status fn##_execute(cdl_op_ctx *ctx)                                            \
	{                                                                                          \
		return nary_execute(ctx, &desc);                                                   \
	}

NARY_OP(add, op_add)
NARY_OP(sub, op_sub)
NARY_OP(mul, op_mul)
NARY_OP(div, op_div)
NARY_OP(max, op_max)
NARY_OP(min, op_min)
NARY_OP(sum, op_sum)
NARY_OP(mean, op_mean)
NARY_OP(equal, op_eq)
NARY_OP(less, op_lt)
NARY_OP(greater, op_gt)
NARY_OP(less_equal, op_le)
NARY_OP(greater_equal, op_ge)
NARY_OP(and, op_and)
NARY_OP(or, op_or)
NARY_OP(xor, op_xor)

/* Mod: fmod=0 (integer only in ONNX; floor semantics) or fmod=1 (C fmod). */
static const ew_nary *mod_desc(const cdl_node *node)
{
	return cdl_attr_int(node, "fmod", 0) ? &op_fmod : &op_mod;
}

static cdl_status mod_infer(cdl_op_ctx *ctx)
{
	int64_t f = cdl_attr_int(ctx->node, "fmod", 0);

	if (f != 0 && f != 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to read fmod=%lld: must be 0 or 1", (long long)f);
	return nary_infer(ctx, mod_desc(ctx->node), mod_attrs, 1);
}

static cdl_status mod_execute(cdl_op_ctx *ctx)
{
	return nary_execute(ctx, mod_desc(ctx->node));
}

static const ew_nary *shift_desc(const cdl_node *node)
{
	const char *dir = cdl_attr_string(node, "direction", "");

	if (cdl_attr_streq(dir, "LEFT"))
		return &op_shl;
	if (cdl_attr_streq(dir, "RIGHT"))
		return &op_shr;
	return NULL;
}

static cdl_status bitshift_infer(cdl_op_ctx *ctx)
{
	const ew_nary *d = shift_desc(ctx->node);

	if (!d)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to read direction=%s: must be LEFT or RIGHT",
				   cdl_attr_string(ctx->node, "direction", "(absent)"));
	return nary_infer(ctx, d, shift_attrs, 1);
}

static cdl_status bitshift_execute(cdl_op_ctx *ctx)
{
	const ew_nary *d = shift_desc(ctx->node);

	if (!d)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "direction not inferred");
	return nary_execute(ctx, d);
}

/* --- Pow ----------------------------------------------------------------------- */

static cdl_ew_row_fn pow_kernel(int ta, int tb)
{
	if (ta == CDL_DTYPE_F32) {
		if (tb == CDL_DTYPE_F32)
			return pow_f32_f32;
		if (tb == CDL_DTYPE_I32)
			return pow_f32_i32;
		if (tb == CDL_DTYPE_I64)
			return pow_f32_i64;
	} else if (ta == CDL_DTYPE_I32) {
		if (tb == CDL_DTYPE_I32)
			return pow_i32_i32;
		if (tb == CDL_DTYPE_I64)
			return pow_i32_i64;
		if (tb == CDL_DTYPE_F32)
			return pow_i32_f32;
	} else if (ta == CDL_DTYPE_I64) {
		if (tb == CDL_DTYPE_I32)
			return pow_i64_i32;
		if (tb == CDL_DTYPE_I64)
			return pow_i64_i64;
		if (tb == CDL_DTYPE_F32)
			return pow_i64_f32;
	}
	return NULL;
}

static cdl_status pow_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *a, *b;
	cdl_tensor shape, view;
	cdl_status st;
	char sa[96], sb[96];

	st = cdl_ew_check_io(ctx, 2, 2, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, legacy_attrs, ctx->node->opset < 7 ? 2 : 0, false,
					NULL);
	if (st)
		return st;
	a = ctx->inputs[0];
	b = ctx->inputs[1];
	if (!pow_kernel(a->dtype, b->dtype))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "dtypes %s ^ %s",
				   cdl_dtype_name(a->dtype), cdl_dtype_name(b->dtype));
	if (!legacy_view(ctx->node, a, b, &view) || !cdl_broadcast_shape(a, &view, &shape))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to broadcast %s with %s: not broadcastable",
				   cdl_shape_str(a, sa, sizeof(sa)),
				   cdl_shape_str(b, sb, sizeof(sb)));
	return cdl_ew_set_out(ctx, 0, a->dtype, shape.rank, shape.dims);
}

static cdl_status pow_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
	cdl_ew_row_fn fn = pow_kernel(a->dtype, b->dtype);
	cdl_tensor view;

	if (!fn)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "dtypes not inferred");
	/* x^2 (e.g. in decomposed norms) is exactly x*x: skip the powf */
	if (fn == pow_f32_f32 && cdl_ew_numel(b) == 1 && ((const float *)b->data)[0] == 2.0f)
		fn = square_f32;
	legacy_view(ctx->node, a, b, &view);
	run_binary(fn, ctx->outputs[0], a, &view, NULL);
	return CDL_OK;
}

/* --- Where --------------------------------------------------------------------- */

#define WHERE_ROW(name, T)                                                                         \
	static void name(char *const *p, const size_t *s, size_t n, const void *arg)               \
	{                                                                                          \
		T *o = (T *)(void *)p[0];                                                          \
		const uint8_t *c = (const uint8_t *)p[1];                                          \
		const T *x = (const T *)(const void *)p[2];                                        \
		const T *y = (const T *)(const void *)p[3];                                        \
		(void)arg;                                                                         \
		for (size_t i = 0; i < n; i++)                                                     \
			o[i] = c[i * s[1]] ? x[i * s[2]] : y[i * s[3]];                            \
	}

WHERE_ROW(where_1, uint8_t)
WHERE_ROW(where_4, uint32_t)
WHERE_ROW(where_8, uint64_t)

static cdl_status where_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *c, *x, *y;
	cdl_tensor shape;
	cdl_status st;
	char sa[96], sb[96];

	st = cdl_ew_check_io(ctx, 3, 3, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, no_attrs, 0, false, NULL);
	if (st)
		return st;
	c = ctx->inputs[0];
	x = ctx->inputs[1];
	y = ctx->inputs[2];
	st = cdl_ew_need_dtype(ctx, c, CDL_DTYPE_BOOL, "condition");
	if (st)
		return st;
	if (dtype_slot(x->dtype) < 0)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				   cdl_dtype_name(x->dtype));
	if (x->dtype != y->dtype)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to combine dtypes %s and %s: must be equal",
				   cdl_dtype_name(x->dtype), cdl_dtype_name(y->dtype));
	if (!cdl_broadcast_shape(c, x, &shape) || !cdl_broadcast_shape(&shape, y, &shape))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to broadcast %s with %s and Y: not broadcastable",
				   cdl_shape_str(c, sa, sizeof(sa)),
				   cdl_shape_str(x, sb, sizeof(sb)));
	return cdl_ew_set_out(ctx, 0, x->dtype, shape.rank, shape.dims);
}

static cdl_status where_execute(cdl_op_ctx *ctx)
{
	cdl_tensor *out = ctx->outputs[0];
	const cdl_tensor *ins[3] = {ctx->inputs[0], ctx->inputs[1], ctx->inputs[2]};
	size_t es = cdl_dtype_size(out->dtype);
	char *base[4] = {out->data, ins[0]->data, ins[1]->data, ins[2]->data};
	size_t esz[4] = {es, 1, es, es};
	cdl_ew_row_fn fn = es == 1 ? where_1 : es == 4 ? where_4 : where_8;
	cdl_ew_iter it;

	if (es != 1 && es != 4 && es != 8)
		return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "dtype not inferred");
	if (cdl_ew_iter_init(&it, out, ins, 3))
		cdl_ew_iter_run(&it, base, esz, fn, NULL);
	return CDL_OK;
}

/* --- unary ---------------------------------------------------------------------- */

typedef enum un_kind {
	UN_ABS,
	UN_NEG,
	UN_RECIPROCAL,
	UN_SQRT,
	UN_EXP,
	UN_LOG,
	UN_CEIL,
	UN_FLOOR,
	UN_ROUND,
	UN_SIGN,
	UN_ERF,
	UN_SIN,
	UN_COS,
	UN_TAN,
	UN_ASIN,
	UN_ACOS,
	UN_ATAN,
	UN_SINH,
	UN_COSH,
	UN_ASINH,
	UN_ACOSH,
	UN_ATANH,
	UN_ISNAN,
	UN_ISINF,
	UN_NOT,
} un_kind;

/* Functions of one float without a cheaper inline form. */
static float (*const un_libm[])(float) = {
    [UN_SQRT] = cdl_sqrtf,   [UN_EXP] = cdl_expf,     [UN_LOG] = cdl_logf,
    [UN_CEIL] = cdl_ceilf,   [UN_FLOOR] = cdl_floorf, [UN_ROUND] = cdl_nearbyintf,
    [UN_ERF] = cdl_erff,     [UN_SIN] = cdl_sinf,     [UN_COS] = cdl_cosf,
    [UN_TAN] = cdl_tanf,     [UN_ASIN] = cdl_asinf,   [UN_ACOS] = cdl_acosf,
    [UN_ATAN] = cdl_atanf,   [UN_SINH] = cdl_sinhf,   [UN_COSH] = cdl_coshf,
    [UN_ASINH] = cdl_asinhf, [UN_ACOSH] = cdl_acoshf, [UN_ATANH] = cdl_atanhf,
};

/* Abs/Neg/Sign on integers, wrapping (Abs(INT_MIN) == INT_MIN as in numpy). */
#define UN_INT(T, UT)                                                                              \
	do {                                                                                       \
		const T *x = in->data;                                                             \
		T *o = out->data;                                                                  \
		for (size_t i = 0; i < n; i++) {                                                   \
			T v = x[i];                                                                \
			if (kind == UN_SIGN)                                                       \
				o[i] = (T)((v > 0) - (v < 0));                                     \
			else if (kind == UN_NEG || v < 0)                                          \
				o[i] = (T)(0 - (UT)v);                                             \
			else                                                                       \
				o[i] = v;                                                          \
		}                                                                                  \
	} while (0)

static bool un_int_ok(un_kind kind)
{
	return kind == UN_ABS || kind == UN_NEG || kind == UN_SIGN;
}

static cdl_status unary_infer(cdl_op_ctx *ctx, un_kind kind)
{
	static const cdl_ew_attr_spec isinf_attrs[] = {
	    {"detect_negative", CDL_ATTR_INT},
	    {"detect_positive", CDL_ATTR_INT},
	};
	const cdl_tensor *x;
	cdl_status st;
	int out_dtype;

	st = cdl_ew_check_io(ctx, 1, 1, 1);
	if (!st)
		st = cdl_ew_check_attrs(ctx, isinf_attrs, kind == UN_ISINF ? 2 : 0, false, NULL);
	if (st)
		return st;
	x = ctx->inputs[0];
	out_dtype = x->dtype;
	if (kind == UN_NOT) {
		st = cdl_ew_need_dtype(ctx, x, CDL_DTYPE_BOOL, "input");
	} else if (x->dtype != CDL_DTYPE_F32 &&
		   !(un_int_ok(kind) && (x->dtype == CDL_DTYPE_I32 || x->dtype == CDL_DTYPE_I64 ||
					 x->dtype == CDL_DTYPE_I8))) {
		st = cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "input dtype %s",
				 cdl_dtype_name(x->dtype));
	}
	if (st)
		return st;
	if (kind == UN_ISNAN || kind == UN_ISINF)
		out_dtype = CDL_DTYPE_BOOL;
	return cdl_ew_set_out(ctx, 0, out_dtype, x->rank, x->dims);
}

static cdl_status unary_execute(cdl_op_ctx *ctx, un_kind kind)
{
	const cdl_tensor *in = ctx->inputs[0];
	cdl_tensor *out = ctx->outputs[0];
	size_t n = cdl_ew_numel(in);

	if (kind == UN_NOT) {
		const uint8_t *x = in->data;
		uint8_t *o = out->data;

		for (size_t i = 0; i < n; i++)
			o[i] = !x[i];
		return CDL_OK;
	}
	if (in->dtype == CDL_DTYPE_I32) {
		UN_INT(int32_t, uint32_t);
		return CDL_OK;
	}
	if (in->dtype == CDL_DTYPE_I64) {
		UN_INT(int64_t, uint64_t);
		return CDL_OK;
	}
	if (in->dtype == CDL_DTYPE_I8) {
		UN_INT(int8_t, unsigned);
		return CDL_OK;
	}

	const float *x = in->data;
	float *o = out->data;
	uint8_t *ob = out->data;

	switch (kind) {
	case UN_ABS:
		for (size_t i = 0; i < n; i++)
			o[i] = cdl_fabsf(x[i]);
		break;
	case UN_NEG:
		for (size_t i = 0; i < n; i++)
			o[i] = -x[i];
		break;
	case UN_RECIPROCAL:
		for (size_t i = 0; i < n; i++)
			o[i] = 1.0f / x[i];
		break;
	case UN_SIGN:
		for (size_t i = 0; i < n; i++)
			o[i] = x[i] > 0.0f    ? 1.0f
			       : x[i] < 0.0f  ? -1.0f
			       : x[i] == 0.0f ? 0.0f
					      : x[i];
		break;
	case UN_ISNAN:
		for (size_t i = 0; i < n; i++)
			ob[i] = cdl_isnanf(x[i]) != 0;
		break;
	case UN_ISINF: {
		bool neg = cdl_attr_int(ctx->node, "detect_negative", 1) != 0;
		bool pos = cdl_attr_int(ctx->node, "detect_positive", 1) != 0;

		for (size_t i = 0; i < n; i++)
			ob[i] = cdl_isinff(x[i]) && (x[i] > 0.0f ? pos : neg);
		break;
	}
	default: {
		float (*f)(float) = un_libm[kind];

		for (size_t i = 0; i < n; i++)
			o[i] = f(x[i]);
		break;
	}
	}
	return CDL_OK;
}

#define UNARY_OP(fn, kind)                                                                         \
	static cdl_status fn##_infer(cdl_op_ctx *ctx)                                              \
	{                                                                                          \
		return unary_infer(ctx, kind);                                                     \
	}                                                                                          \
	static cdl_status fn##_execute(cdl_op_ctx *ctx)                                            \
	{                                                                                          \
		return unary_execute(ctx, kind);                                                   \
	}

UNARY_OP(abs, UN_ABS)
UNARY_OP(neg, UN_NEG)
UNARY_OP(reciprocal, UN_RECIPROCAL)
UNARY_OP(sqrt, UN_SQRT)
UNARY_OP(exp, UN_EXP)
UNARY_OP(log, UN_LOG)
UNARY_OP(ceil, UN_CEIL)
UNARY_OP(floor, UN_FLOOR)
UNARY_OP(round, UN_ROUND)
UNARY_OP(sign, UN_SIGN)
UNARY_OP(erf, UN_ERF)
UNARY_OP(sin, UN_SIN)
UNARY_OP(cos, UN_COS)
UNARY_OP(tan, UN_TAN)
UNARY_OP(asin, UN_ASIN)
UNARY_OP(acos, UN_ACOS)
UNARY_OP(atan, UN_ATAN)
UNARY_OP(sinh, UN_SINH)
UNARY_OP(cosh, UN_COSH)
UNARY_OP(asinh, UN_ASINH)
UNARY_OP(acosh, UN_ACOSH)
UNARY_OP(atanh, UN_ATANH)
UNARY_OP(isnan, UN_ISNAN)
UNARY_OP(isinf, UN_ISINF)
UNARY_OP(not, UN_NOT)

#define ENTRY(name, fn)                                                                            \
	{                                                                                          \
		name, fn##_infer, fn##_execute                                                     \
	}

const cdl_op_def cdl_ops_elementwise[] = {
    ENTRY("Add", add),
    ENTRY("Sub", sub),
    ENTRY("Mul", mul),
    ENTRY("Div", div),
    ENTRY("Pow", pow),
    ENTRY("Mod", mod),
    ENTRY("Max", max),
    ENTRY("Min", min),
    ENTRY("Sum", sum),
    ENTRY("Mean", mean),
    ENTRY("Equal", equal),
    ENTRY("Less", less),
    ENTRY("Greater", greater),
    ENTRY("LessOrEqual", less_equal),
    ENTRY("GreaterOrEqual", greater_equal),
    ENTRY("And", and),
    ENTRY("Or", or),
    ENTRY("Xor", xor),
    ENTRY("BitShift", bitshift),
    ENTRY("Where", where),
    ENTRY("Abs", abs),
    ENTRY("Neg", neg),
    ENTRY("Reciprocal", reciprocal),
    ENTRY("Sqrt", sqrt),
    ENTRY("Exp", exp),
    ENTRY("Log", log),
    ENTRY("Ceil", ceil),
    ENTRY("Floor", floor),
    ENTRY("Round", round),
    ENTRY("Sign", sign),
    ENTRY("Erf", erf),
    ENTRY("Sin", sin),
    ENTRY("Cos", cos),
    ENTRY("Tan", tan),
    ENTRY("Asin", asin),
    ENTRY("Acos", acos),
    ENTRY("Atan", atan),
    ENTRY("Sinh", sinh),
    ENTRY("Cosh", cosh),
    ENTRY("Asinh", asinh),
    ENTRY("Acosh", acosh),
    ENTRY("Atanh", atanh),
    ENTRY("IsNaN", isnan),
    ENTRY("IsInf", isinf),
    ENTRY("Not", not ),
    {NULL, NULL, NULL},
};
