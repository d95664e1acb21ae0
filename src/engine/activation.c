// SPDX-License-Identifier: Apache-2.0
/*
 * Activations fused into the epilogue of Conv/Gemm/MatMul/Add/BatchNorm
 * (see op.h). The same definitions as the standalone ONNX ops.
 *
 * cdl_act_apply's scalar loops are the reference. On x86 the piecewise-linear
 * activations (Relu, LeakyRelu, Clip, HardSigmoid, HardSwish) also run as
 * AVX-512 / AVX2 loops, picked with cdl_kernels_isa(): the same operations in
 * the same order (a multiply, then an add: no FMA), and every select written
 * as vmaxps / vminps / a compare with the scalar comparison's operands, so
 * that NaN and -0 come out as the scalar code makes them -- the same bits
 * (tests/engine/test_kernels.c checks them under every cap). Sigmoid and Tanh
 * stay scalar (mathf).
 */
#include "kernels/isa.h"
#include "mathf.h"
#include "op.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static const char *const act_names[] = {
	[CDL_ACT_NONE] = "None",
	[CDL_ACT_RELU] = "Relu",
	[CDL_ACT_LEAKY_RELU] = "LeakyRelu",
	[CDL_ACT_CLIP] = "Clip",
	[CDL_ACT_SIGMOID] = "Sigmoid",
	[CDL_ACT_HARD_SIGMOID] = "HardSigmoid",
	[CDL_ACT_HARD_SWISH] = "HardSwish",
	[CDL_ACT_TANH] = "Tanh",
};

const char *cdl_act_name(cdl_act_kind kind)
{
	if ((unsigned)kind >= sizeof(act_names) / sizeof(act_names[0]))
		return "unknown";
	return act_names[kind];
}

cdl_status cdl_act_from_node(const cdl_node *node, cdl_act *act)
{
	const char *name = cdl_attr_string(node, "cdl.act", NULL);

	act->kind = CDL_ACT_NONE;
	act->alpha = cdl_attr_float(node, "cdl.act_alpha", 0.0f);
	act->beta = cdl_attr_float(node, "cdl.act_beta", 0.0f);
	if (!name)
		return CDL_OK;
	for (unsigned k = CDL_ACT_RELU; k < sizeof(act_names) / sizeof(act_names[0]); k++) {
		if (cdl_attr_streq(name, act_names[k])) {
			act->kind = (cdl_act_kind)k;
			return CDL_OK;
		}
	}
	return CDL_ERR_UNSUPPORTED;
}

bool cdl_act_from_onnx(const cdl_node *n, cdl_act *act)
{
	act->alpha = 0.0f;
	act->beta = 0.0f;
	if (cdl_attr_streq(n->op_type, "Relu")) {
		act->kind = CDL_ACT_RELU;
	} else if (cdl_attr_streq(n->op_type, "LeakyRelu")) {
		act->kind = CDL_ACT_LEAKY_RELU;
		act->alpha = cdl_attr_float(n, "alpha", 0.01f);
	} else if (cdl_attr_streq(n->op_type, "Sigmoid")) {
		act->kind = CDL_ACT_SIGMOID;
	} else if (cdl_attr_streq(n->op_type, "HardSigmoid")) {
		act->kind = CDL_ACT_HARD_SIGMOID;
		act->alpha = cdl_attr_float(n, "alpha", 0.2f);
		act->beta = cdl_attr_float(n, "beta", 0.5f);
	} else if (cdl_attr_streq(n->op_type, "HardSwish")) {
		act->kind = CDL_ACT_HARD_SWISH;
	} else if (cdl_attr_streq(n->op_type, "Tanh")) {
		act->kind = CDL_ACT_TANH;
	} else if (cdl_attr_streq(n->op_type, "Clip") && n->opset < 11) {
		act->kind = CDL_ACT_CLIP;
		act->alpha = cdl_attr_float(n, "min", -3.402823466e38f);
		act->beta = cdl_attr_float(n, "max", 3.402823466e38f);
	} else {
		/* Clip >= 11 takes min/max as inputs: the fusion pass handles it
		 * when they are constants. */
		return false;
	}
	return true;
}

#if defined(__x86_64__)
/*
 * The vector forms, each the scalar expression of cdl_act_apply lane by lane.
 * vmaxps(a, b) is a > b ? a : b and vminps(a, b) a < b ? a : b, the second
 * operand when either is NaN:
 *   Relu        x > 0 ? x : 0                 max(x, 0)
 *   Clip        x < lo ? lo : x               max(lo, x)
 *               v > hi ? hi : v               min(hi, v)
 *   HardSigmoid v < 0 ? 0 : (v > 1 ? 1 : v)   min(1, max(0, v))
 *   LeakyRelu   x >= 0 ? x : x * alpha        blend on x >= 0 (ordered: NaN takes x * alpha)
 * HardSigmoid's v is alpha * x + beta, HardSwish's gate x * (1/6) + 0.5 and
 * its result x * gate, as in the scalar code.
 */
#define ACT_VEC_LOOP(W, PS, MASK_T, MASK_OF, EXPR)                                                 \
	do {                                                                                       \
		size_t i_ = 0;                                                                     \
		for (; i_ + (W) <= n; i_ += (W)) {                                                 \
			PS v = LOADU(x + i_);                                                      \
			v = EXPR;                                                                  \
			STOREU(x + i_, v);                                                         \
		}                                                                                  \
		if (i_ < n) {                                                                      \
			const MASK_T m_ = MASK_OF(n - i_);                                         \
			PS v = MLOAD(x + i_, m_);                                                  \
			v = EXPR;                                                                  \
			MSTORE(x + i_, m_, v);                                                     \
		}                                                                                  \
	} while (0)

#define LOADU(p) _mm512_loadu_ps(p)
#define STOREU(p, v) _mm512_storeu_ps(p, v)
#define MLOAD(p, m) _mm512_maskz_loadu_ps(m, p)
#define MSTORE(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define MASK16(r) ((__mmask16)((1u << (r)) - 1u))

__attribute__((target("avx512f"))) static bool act_avx512(const cdl_act *act, float *x, size_t n)
{
	const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
	const __m512 a = _mm512_set1_ps(act->alpha), b = _mm512_set1_ps(act->beta);
	const __m512 sixth = _mm512_set1_ps(1.0f / 6.0f), half = _mm512_set1_ps(0.5f);

	switch (act->kind) {
	case CDL_ACT_RELU:
		ACT_VEC_LOOP(16, __m512, __mmask16, MASK16, _mm512_max_ps(v, zero));
		return true;
	case CDL_ACT_LEAKY_RELU:
		ACT_VEC_LOOP(16, __m512, __mmask16, MASK16,
			     _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, zero, _CMP_GE_OQ),
						  _mm512_mul_ps(v, a), v));
		return true;
	case CDL_ACT_CLIP:
		ACT_VEC_LOOP(16, __m512, __mmask16, MASK16,
			     _mm512_min_ps(b, _mm512_max_ps(a, v)));
		return true;
	case CDL_ACT_HARD_SIGMOID:
		ACT_VEC_LOOP(
		    16, __m512, __mmask16, MASK16,
		    _mm512_min_ps(one, _mm512_max_ps(zero, _mm512_add_ps(_mm512_mul_ps(a, v), b))));
		return true;
	case CDL_ACT_HARD_SWISH:
		ACT_VEC_LOOP(16, __m512, __mmask16, MASK16,
			     _mm512_mul_ps(v, _mm512_min_ps(
						  one, _mm512_max_ps(zero, _mm512_add_ps(
									       _mm512_mul_ps(v, sixth),
									       half)))));
		return true;
	default:
		return false;
	}
}

#undef LOADU
#undef STOREU
#undef MLOAD
#undef MSTORE

/* AVX2: vmaskmovps for the tail (it never touches a masked-off lane). */
static const int32_t act_first_lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

#define LOADU(p) _mm256_loadu_ps(p)
#define STOREU(p, v) _mm256_storeu_ps(p, v)
#define MLOAD(p, m) _mm256_maskload_ps(p, m)
#define MSTORE(p, m, v) _mm256_maskstore_ps(p, m, v)
#define MASK8(r) _mm256_loadu_si256((const __m256i *)(act_first_lanes + 8 - (r)))

__attribute__((target("avx2"))) static bool act_avx2(const cdl_act *act, float *x, size_t n)
{
	const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
	const __m256 a = _mm256_set1_ps(act->alpha), b = _mm256_set1_ps(act->beta);
	const __m256 sixth = _mm256_set1_ps(1.0f / 6.0f), half = _mm256_set1_ps(0.5f);

	switch (act->kind) {
	case CDL_ACT_RELU:
		ACT_VEC_LOOP(8, __m256, __m256i, MASK8, _mm256_max_ps(v, zero));
		return true;
	case CDL_ACT_LEAKY_RELU:
		ACT_VEC_LOOP(8, __m256, __m256i, MASK8,
			     _mm256_blendv_ps(_mm256_mul_ps(v, a), v,
					      _mm256_cmp_ps(v, zero, _CMP_GE_OQ)));
		return true;
	case CDL_ACT_CLIP:
		ACT_VEC_LOOP(8, __m256, __m256i, MASK8, _mm256_min_ps(b, _mm256_max_ps(a, v)));
		return true;
	case CDL_ACT_HARD_SIGMOID:
		ACT_VEC_LOOP(
		    8, __m256, __m256i, MASK8,
		    _mm256_min_ps(one, _mm256_max_ps(zero, _mm256_add_ps(_mm256_mul_ps(a, v), b))));
		return true;
	case CDL_ACT_HARD_SWISH:
		ACT_VEC_LOOP(8, __m256, __m256i, MASK8,
			     _mm256_mul_ps(v, _mm256_min_ps(
						  one, _mm256_max_ps(zero, _mm256_add_ps(
									       _mm256_mul_ps(v, sixth),
									       half)))));
		return true;
	default:
		return false;
	}
}

#undef LOADU
#undef STOREU
#undef MLOAD
#undef MSTORE
#undef MASK8
#undef MASK16
#undef ACT_VEC_LOOP
#endif /* __x86_64__ */

void cdl_act_apply(const cdl_act *act, float *x, size_t n)
{
	size_t i;

#if defined(__x86_64__)
	if (act->kind != CDL_ACT_NONE && n) {
		const int isa = cdl_kernels_isa();

		if (isa >= CDL_ISA_AVX512 && act_avx512(act, x, n))
			return;
		if (isa >= CDL_ISA_AVX2 && act_avx2(act, x, n))
			return;
	}
#endif
	switch (act->kind) {
	case CDL_ACT_NONE:
		break;
	case CDL_ACT_RELU:
		for (i = 0; i < n; i++)
			x[i] = x[i] > 0.0f ? x[i] : 0.0f;
		break;
	case CDL_ACT_LEAKY_RELU:
		for (i = 0; i < n; i++)
			x[i] = x[i] >= 0.0f ? x[i] : x[i] * act->alpha;
		break;
	case CDL_ACT_CLIP:
		for (i = 0; i < n; i++) {
			float v = x[i] < act->alpha ? act->alpha : x[i];

			x[i] = v > act->beta ? act->beta : v;
		}
		break;
	case CDL_ACT_SIGMOID:
		for (i = 0; i < n; i++)
			x[i] = cdl_sigmoidf(x[i]);
		break;
	case CDL_ACT_HARD_SIGMOID:
		for (i = 0; i < n; i++) {
			float v = act->alpha * x[i] + act->beta;

			x[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
		}
		break;
	case CDL_ACT_HARD_SWISH:
		/* the gate first, then the product, a tile at a time: in one loop
		 * the compiler folds x * 1 and x * 0 into branches and does not
		 * vectorize it; this way both loops vectorize (same results) */
		for (size_t i0 = 0; i0 < n; i0 += 64) {
			float gate[64];
			const size_t m = n - i0 < 64 ? n - i0 : 64;

			for (i = 0; i < m; i++) {
				float v = x[i0 + i] * (1.0f / 6.0f) + 0.5f;

				gate[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
			}
			for (i = 0; i < m; i++)
				x[i0 + i] = x[i0 + i] * gate[i];
		}
		break;
	case CDL_ACT_TANH:
		for (i = 0; i < n; i++)
			x[i] = cdl_tanhf(x[i]);
		break;
	}
}
