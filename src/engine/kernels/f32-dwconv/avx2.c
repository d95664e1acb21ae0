// SPDX-License-Identifier: Apache-2.0
/*
 * AVX2 + FMA depthwise 3x3 / 5x5, stride 1 / 2: 8 outputs of a row per
 * vector. Loads in the middle of a row are plain; near the borders and at
 * the row's tail they are masked (vmaskmovps never touches a masked-off
 * lane), so a tap in the padding adds w * 0. Stride 2 loads 16 consecutive
 * inputs and keeps the even ones. Relu / Clip are a clamp before the store.
 * Four output rows at a time, each input row loaded once for the rows it
 * feeds (see kernels/f32-dwconv/avx512.c: one row at a time waited on the
 * latency of its chain of FMAs).
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

/* What every row group of one column block of one channel shares. */
typedef struct dw_blk2 {
	const float *x; /* the channel's input plane */
	float *y;	/* output row 0 of the block (its first column) */
	int64_t h, wd, ow_n, pad_h, col0;
	bool inner; /* every tap of the block inside the row: plain loads */
	__m256i m0[DW_MAX_K], m1[DW_MAX_K], out;
	int64_t n; /* outputs of the block */
	__m256 b, lo, hi;
} dw_blk2;

/*
 * Output rows oh0 .. oh0 + R - 1 of the block, R constant: every input row
 * of the group loaded once per kernel column and fed to the rows whose
 * window holds it, the R FMA chains interleaved (as the AVX-512 kernels do;
 * each output adds its taps in the reference's order). Rows past the plane
 * are skipped, like the reference skips them.
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_rows_avx2(const dw_blk2 *bk, const float *w, int64_t oh0, int k, int s, int R)
{
	const int64_t ih0 = oh0 * s - bk->pad_h;
	__m256 acc[4];

#pragma GCC unroll 4
	for (int r = 0; r < R; r++)
		acc[r] = bk->b;
#pragma GCC unroll 16
	for (int i = 0; i < (R - 1) * s + k; i++) {
		const int64_t ih = ih0 + i;
		const float *xr;

		if (ih < 0 || ih >= bk->h)
			continue;
		xr = at(bk->x, ih * bk->wd + bk->col0);
#pragma GCC unroll 5
		for (int kw = 0; kw < k; kw++) {
			__m256 v;

			if (bk->inner) {
				v = _mm256_loadu_ps(xr + kw);
				if (s == 2)
					v = evens(v, _mm256_loadu_ps(xr + kw + 8));
			} else {
				v = _mm256_maskload_ps(at(xr, kw), bk->m0[kw]);
				if (s == 2)
					v = evens(v, _mm256_maskload_ps(at(xr, kw + 8), bk->m1[kw]));
			}
#pragma GCC unroll 4
			for (int r = 0; r < R; r++) {
				const int kh = i - r * s;

				if (kh >= 0 && kh < k)
					acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(w[kh * k + kw]), v,
								 acc[r]);
			}
		}
	}
#pragma GCC unroll 4
	for (int r = 0; r < R; r++) {
		/* max(lo, x), min(hi, x) pass NaN through (second operand) */
		const __m256 v = _mm256_min_ps(bk->hi, _mm256_max_ps(bk->lo, acc[r]));

		if (bk->n == 8)
			_mm256_storeu_ps(bk->y + (oh0 + r) * bk->ow_n, v);
		else
			_mm256_maskstore_ps(bk->y + (oh0 + r) * bk->ow_n, bk->out, v);
	}
}

/*
 * One channel, column block by column block: the masks of a block (which of
 * its lanes' taps fall inside the row, which outputs exist) depend only on
 * the block, so they are made once and serve every output row; a block
 * whose taps are all inside the row and all its 8 outputs real needs none.
 * Within a block, 4 output rows at a time, then the 1 to 3 left one by one.
 */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_channel_avx2(const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,
		const cdl_act *act, int k, int s)
{
	const int64_t oh_n = g->out[1], ow_n = g->out[2], pad_w = g->pad[2];
	float lo_f = 0.0f, hi_f = 0.0f;
	const bool after = dw_act_split(act, &lo_f, &hi_f);
	dw_blk2 bk;

	bk.x = x;
	bk.h = g->in[1];
	bk.wd = g->in[2];
	bk.ow_n = ow_n;
	bk.pad_h = g->pad[1];
	bk.lo = _mm256_set1_ps(lo_f);
	bk.hi = _mm256_set1_ps(hi_f);
	bk.b = _mm256_set1_ps(bias);
	for (int64_t ow = 0; ow < ow_n; ow += 8) {
		const int64_t n = ow_n - ow < 8 ? ow_n - ow : 8;
		int64_t oh = 0;

		bk.n = n;
		bk.out = lanes(0, n);
		bk.col0 = ow * s - pad_w;
		bk.y = y + ow;
		bk.inner = n == 8;
		for (int kw = 0; kw < k; kw++) {
			const int64_t base = bk.col0 + kw;
			const int64_t a = -base;
			const int64_t e = bk.wd - base < (s == 1 ? n : 2 * n - 1)
					      ? bk.wd - base
					      : (s == 1 ? n : 2 * n - 1);

			bk.m0[kw] = lanes(a, e);
			bk.m1[kw] = lanes(a - 8, e - 8);
			/* the loads of the unmasked path read 8 * s inputs */
			bk.inner = bk.inner && base >= 0 && base + 8 * s - 1 < bk.wd;
		}
		for (; oh + 4 <= oh_n; oh += 4)
			dw_rows_avx2(&bk, w, oh, k, s, 4);
		for (; oh < oh_n; oh++)
			dw_rows_avx2(&bk, w, oh, k, s, 1);
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
