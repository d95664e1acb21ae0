// SPDX-License-Identifier: Apache-2.0
/*
 * AVX-512F depthwise 3x3 / 5x5, stride 1 / 2: 16 outputs of a row per
 * vector. Every load is masked to the input row ([0, w)) and to the outputs
 * left, so the borders and the row's tail take the same path as the middle:
 * a tap in the padding adds w * 0. Stride 2 loads 32 consecutive inputs and
 * keeps the even ones. Relu / Clip are a clamp before the store.
 */
#include "dwconv.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "../isa.h"

/* Bits [lo, hi) of a 32-bit mask (0 <= lo, hi <= 32). */
static inline uint32_t bits(int64_t lo, int64_t hi)
{
	const uint64_t a = lo < 0 ? 0 : lo > 32 ? 32 : (uint64_t)lo;
	const uint64_t b = hi < 0 ? 0 : hi > 32 ? 32 : (uint64_t)hi;

	return b > a ? (uint32_t)(((1ull << b) - 1ull) & ~((1ull << a) - 1ull)) : 0u;
}

/*
 * Input element i of a row may sit before the row (i < 0) in a masked-off
 * lane; the address is formed with integers so no out-of-object pointer is
 * ever made, and the masked load never touches those lanes.
 */
static inline const float *at(const float *row, int64_t i)
{
	return (const float *)((uintptr_t)row + (uintptr_t)(i * (int64_t)sizeof(float)));
}

/*
 * One channel, column block by column block: the masks of a block (which of
 * its lanes' taps fall inside the row, which outputs exist) depend only on
 * the block, so they are made once and serve every output row; a block
 * whose taps are all inside the row and all its 16 outputs real needs none.
 */
__attribute__((target("avx512f"), always_inline)) static inline void
dw_channel_avx512(const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,
		  const cdl_act *act, int k, int s)
{
	const int64_t h = g->in[1], wd = g->in[2], oh_n = g->out[1], ow_n = g->out[2];
	const int64_t pad_h = g->pad[1], pad_w = g->pad[2];
	const __m512i even =
	    _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
	float lo_f = 0.0f, hi_f = 0.0f;
	const bool after = dw_act_split(act, &lo_f, &hi_f);
	const __m512 lo = _mm512_set1_ps(lo_f), hi = _mm512_set1_ps(hi_f);
	const __m512 b = _mm512_set1_ps(bias);
	__m512 wv[DW_MAX_K * DW_MAX_K];

	for (int t = 0; t < k * k; t++)
		wv[t] = _mm512_set1_ps(w[t]);
	for (int64_t ow = 0; ow < ow_n; ow += 16) {
		const int64_t n = ow_n - ow < 16 ? ow_n - ow : 16;
		const __mmask16 out = (__mmask16)bits(0, n);
		/* per kw: lanes of the (first, second) 16 inputs inside the row */
		__mmask16 m0[DW_MAX_K], m1[DW_MAX_K];
		bool inner = n == 16;

		for (int kw = 0; kw < k; kw++) {
			const int64_t base = ow * s - pad_w + kw;
			const uint32_t m = bits(-base, wd - base) & bits(0, s == 1 ? n : 2 * n - 1);

			m0[kw] = (__mmask16)m;
			m1[kw] = (__mmask16)(m >> 16);
			inner = inner && base >= 0 && base + (16 - 1) * s < wd;
		}
		for (int64_t oh = 0; oh < oh_n; oh++) {
			const int64_t ih0 = oh * s - pad_h;
			const float *x0 = at(x, ih0 * wd + ow * s - pad_w);
			__m512 acc = b;

			if (inner && ih0 >= 0 && ih0 + k <= h) {
#pragma GCC unroll 5
				for (int kh = 0; kh < k; kh++) {
					const float *xr = x0 + kh * wd;

#pragma GCC unroll 5
					for (int kw = 0; kw < k; kw++) {
						__m512 v = _mm512_loadu_ps(xr + kw);

						/* stride 2: inputs 0 .. 30 (31 may
						 * lie past the plane) */
						if (s == 2)
							v = _mm512_permutex2var_ps(
							    v, even,
							    _mm512_maskz_loadu_ps(0x7fff,
										  xr + kw + 16));
						acc = _mm512_fmadd_ps(wv[kh * k + kw], v, acc);
					}
				}
			} else {
				for (int kh = 0; kh < k; kh++) {
					const float *xr = at(x0, kh * wd);

					if (ih0 + kh < 0 || ih0 + kh >= h)
						continue;
#pragma GCC unroll 5
					for (int kw = 0; kw < k; kw++) {
						__m512 v =
						    _mm512_maskz_loadu_ps(m0[kw], at(xr, kw));

						if (s == 2)
							v = _mm512_permutex2var_ps(
							    v, even,
							    _mm512_maskz_loadu_ps(m1[kw],
										  at(xr, kw + 16)));
						acc = _mm512_fmadd_ps(wv[kh * k + kw], v, acc);
					}
				}
			}
			/* max(lo, x), min(hi, x) pass NaN through (second operand) */
			acc = _mm512_min_ps(hi, _mm512_max_ps(lo, acc));
			_mm512_mask_storeu_ps(y + oh * ow_n + ow, out, acc);
		}
	}
	if (after)
		cdl_act_apply(act, y, (size_t)(oh_n * ow_n));
}

#define VARIANT(K, S)                                                                              \
	__attribute__((target("avx512f"))) static void dwconv_##K##s##S(                           \
	    const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,          \
	    const cdl_act *act)                                                                    \
	{                                                                                          \
		dw_channel_avx512(g, x, w, bias, y, act, K, S);                                    \
	}                                                                                          \
	const cdl_f32_dwconv_kernel cdl_f32_dwconv_##K##x##K##s##S##__avx512 = {                   \
	    #K "x" #K "s" #S "-avx512", K, S, CDL_ISA_AVX512, 9, dwconv_##K##s##S}

VARIANT(3, 1);
VARIANT(3, 2);
VARIANT(5, 1);
VARIANT(5, 2);
#endif /* __x86_64__ */
