// SPDX-License-Identifier: Apache-2.0
/*
 * AVX2 + FMA depthwise 3x3 / 5x5, stride 1 / 2: 8 outputs of a row per
 * vector. Loads in the middle of a row are plain; near the borders and at
 * the row's tail they are masked (vmaskmovps never touches a masked-off
 * lane), so a tap in the padding adds w * 0. Stride 2 loads 16 consecutive
 * inputs and keeps the even ones. Relu / Clip are a clamp before the store.
 */
#include "dwconv.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "../isa.h"

/* -1 x 8 then 0 x 8: loadu at (8 - n) gives a mask of the first n lanes. */
static const int32_t first_lanes[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

__attribute__((target("avx2"))) static inline __m256i lanes(int64_t lo, int64_t hi)
{
	const int64_t a = lo < 0 ? 0 : lo > 8 ? 8 : lo;
	const int64_t b = hi < 0 ? 0 : hi > 8 ? 8 : hi;

	if (b <= a)
		return _mm256_setzero_si256();
	return _mm256_andnot_si256(_mm256_loadu_si256((const __m256i *)(first_lanes + 8 - a)),
				   _mm256_loadu_si256((const __m256i *)(first_lanes + 8 - b)));
}

/* See kernels/f32-dwconv/avx512.c: no out-of-object pointer is formed. */
static inline const float *at(const float *row, int64_t i)
{
	return (const float *)((uintptr_t)row + (uintptr_t)(i * (int64_t)sizeof(float)));
}

/* The even elements of v0 (0..7) and v1 (8..15), in order. */
__attribute__((target("avx2"))) static inline __m256 evens(__m256 v0, __m256 v1)
{
	/* [0 2 8 10 | 4 6 12 14] -> [0 2 4 6 8 10 12 14] */
	const __m256 e = _mm256_shuffle_ps(v0, v1, 0x88);

	return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8));
}

/*
 * One channel, column block by column block: the masks of a block (which of
 * its lanes' taps fall inside the row, which outputs exist) depend only on
 * the block, so they are made once and serve every output row; a block
 * whose taps are all inside the row and all its 8 outputs real needs none.
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_channel_avx2(const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,
		const cdl_act *act, int k, int s)
{
	const int64_t h = g->in[1], wd = g->in[2], oh_n = g->out[1], ow_n = g->out[2];
	const int64_t pad_h = g->pad[1], pad_w = g->pad[2];
	float lo_f = 0.0f, hi_f = 0.0f;
	const bool after = dw_act_split(act, &lo_f, &hi_f);
	const __m256 lo = _mm256_set1_ps(lo_f), hi = _mm256_set1_ps(hi_f);
	const __m256 b = _mm256_set1_ps(bias);
	__m256 wv[DW_MAX_K * DW_MAX_K];

	for (int t = 0; t < k * k; t++)
		wv[t] = _mm256_set1_ps(w[t]);
	for (int64_t ow = 0; ow < ow_n; ow += 8) {
		const int64_t n = ow_n - ow < 8 ? ow_n - ow : 8;
		const __m256i out = lanes(0, n);
		/* per kw: lanes of the (first, second) 8 inputs inside the row */
		__m256i m0[DW_MAX_K], m1[DW_MAX_K];
		bool inner = n == 8;

		for (int kw = 0; kw < k; kw++) {
			const int64_t base = ow * s - pad_w + kw;
			const int64_t a = -base;
			const int64_t e = wd - base < (s == 1 ? n : 2 * n - 1)
					      ? wd - base
					      : (s == 1 ? n : 2 * n - 1);

			m0[kw] = lanes(a, e);
			m1[kw] = lanes(a - 8, e - 8);
			/* the loads of the unmasked path read 8 * s inputs */
			inner = inner && base >= 0 && base + 8 * s - 1 < wd;
		}
		for (int64_t oh = 0; oh < oh_n; oh++) {
			const int64_t ih0 = oh * s - pad_h;
			const float *x0 = at(x, ih0 * wd + ow * s - pad_w);
			__m256 acc = b;

			if (inner && ih0 >= 0 && ih0 + k <= h) {
#pragma GCC unroll 5
				for (int kh = 0; kh < k; kh++) {
					const float *xr = x0 + kh * wd;

#pragma GCC unroll 5
					for (int kw = 0; kw < k; kw++) {
						__m256 v = _mm256_loadu_ps(xr + kw);

						if (s == 2)
							v = evens(v, _mm256_loadu_ps(xr + kw + 8));
						acc = _mm256_fmadd_ps(wv[kh * k + kw], v, acc);
					}
				}
			} else {
				for (int kh = 0; kh < k; kh++) {
					const float *xr = at(x0, kh * wd);

					if (ih0 + kh < 0 || ih0 + kh >= h)
						continue;
#pragma GCC unroll 5
					for (int kw = 0; kw < k; kw++) {
						__m256 v = _mm256_maskload_ps(at(xr, kw), m0[kw]);

						if (s == 2)
							v = evens(v, _mm256_maskload_ps(
									 at(xr, kw + 8), m1[kw]));
						acc = _mm256_fmadd_ps(wv[kh * k + kw], v, acc);
					}
				}
			}
			/* max(lo, x), min(hi, x) pass NaN through (second operand) */
			acc = _mm256_min_ps(hi, _mm256_max_ps(lo, acc));
			if (n == 8)
				_mm256_storeu_ps(y + oh * ow_n + ow, acc);
			else
				_mm256_maskstore_ps(y + oh * ow_n + ow, out, acc);
		}
	}
	if (after)
		cdl_act_apply(act, y, (size_t)(oh_n * ow_n));
}

#define VARIANT(K, S)                                                                              \
	__attribute__((target("avx2,fma"))) static void dwconv_##K##s##S(                          \
	    const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,          \
	    const cdl_act *act)                                                                    \
	{                                                                                          \
		dw_channel_avx2(g, x, w, bias, y, act, K, S);                                      \
	}                                                                                          \
	const cdl_f32_dwconv_kernel cdl_f32_dwconv_##K##x##K##s##S##__avx2 = {                     \
	    #K "x" #K "s" #S "-avx2", K, S, CDL_ISA_AVX2, 0, dwconv_##K##s##S}

VARIANT(3, 1);
VARIANT(3, 2);
VARIANT(5, 1);
VARIANT(5, 2);
#endif /* __x86_64__ */
