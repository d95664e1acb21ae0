// SPDX-License-Identifier: Apache-2.0
/*
 * AVX-512F depthwise 3x3 / 5x5, stride 1 / 2: 16 outputs of a row per
 * vector. Every load is masked to the input row ([0, w)) and to the columns
 * the block uses, so the borders and the row's tail take the same path as
 * the middle: a tap in the padding adds w * 0. Relu / Clip are a clamp
 * before the store; HardSwish and HardSigmoid are applied to the clamped
 * accumulators before the store too (cdl_act_apply's scalar expressions,
 * lane by lane: the same bits); any other activation runs over the finished
 * plane.
 *
 * R output rows at a time (VARIANT's third argument): the FMA chain of one
 * output is 9 or 25 dependent FMAs, and one row at a time waited on their
 * latency (7x7x576 5x5: 24 GFLOP/s, now ~75). With R rows in flight each
 * input row is made into its k tap vectors once for the rows it feeds, and
 * R chains interleave. Every output still adds its taps in the reference's
 * order (kernel rows, then columns, one FMA each): the results are those of
 * one row at a time, whatever R. Stride 2 keeps R at 4: its input rows are
 * twice as many per group, and 8 measured slower.
 *
 * Column blocks outermost (each block walks every row group): rows outermost
 * with the blocks inside measured slower here (112x112x96 3x3/2: 1.57 against
 * 1.2 us per channel).
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

/* What every row group of one column block of one channel shares. */
typedef struct dw_blk {
	const float *x; /* the channel's input plane */
	float *y;	/* output row 0 of the block (its first column) */
	int64_t h, wd, ow_n, pad_h;
	int64_t col0; /* input column of lane 0's first tap */
	/* lanes of the input window [col0, col0 + 16), [+16, +32), [+32, +48)
	 * inside the row */
	__mmask16 m[3], out;
	/* epilogue: clamp to [lo, hi], then hard (1: HardSigmoid, 2: HardSwish) */
	int hard;
	__m512 b, lo, hi, ha, hb;
} dw_blk;

/* concat(lo, hi) shifted down by n lanes: lanes n .. n + 15. */
#define SHIFT(hi, lo, n)                                                                           \
	_mm512_castsi512_ps(                                                                       \
	    _mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), (n)))

/*
 * The k tap vectors of one input row for the block: tap kw, lane l is input
 * column col0 + l * s + kw (0 outside the row). A 64-byte load at a column
 * that is not a multiple of 16 floats spans two cache lines and costs about
 * twice an aligned one, so the taps are not each loaded: stride 1 loads the
 * window [col0, col0 + 32) and shifts it in registers; stride 2 loads
 * [col0, col0 + 48), splits the first 32 into even and odd columns, and
 * shifts those.
 */
__attribute__((target("avx512f"), always_inline)) static inline void
dw_taps_avx512(const dw_blk *bk, const float *xr, __m512 *t, int k, int s)
{
	const __m512 v0 = _mm512_maskz_loadu_ps(bk->m[0], xr);
	const __m512 v16 = _mm512_maskz_loadu_ps(bk->m[1], at(xr, 16));

	if (s == 1) {
		t[0] = v0;
		t[1] = SHIFT(v16, v0, 1);
		t[2] = SHIFT(v16, v0, 2);
		if (k == 5) {
			t[3] = SHIFT(v16, v0, 3);
			t[4] = SHIFT(v16, v0, 4);
		}
	} else {
		const __m512i even =
		    _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
		const __m512i odd =
		    _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
		/* columns 32 .. (k == 3: 32; k == 5: 32 .. 34). For 3x3 the one
		 * float is read alone: a 64-byte masked load there (across two
		 * lines) made the kernel 12% slower; for 5x5 assembling three
		 * floats cost more than the load */
		const __m512 v32 =
		    k == 3 ? (bk->m[2] & 1 ? _mm512_set1_ps(*at(xr, 32)) : _mm512_setzero_ps())
			   : _mm512_maskz_loadu_ps(bk->m[2], at(xr, 32));
		const __m512 e = _mm512_permutex2var_ps(v0, even, v16);
		const __m512 o = _mm512_permutex2var_ps(v0, odd, v16);

		t[0] = e;
		t[1] = o;
		if (k == 3) {
			t[2] = SHIFT(v32, e, 1);
		} else {
			/* lanes 0, 1: columns 32, 34 (even) / 33 (odd) */
			const __m512 e32 = _mm512_permutexvar_ps(even, v32);
			const __m512 o32 = _mm512_permutexvar_ps(odd, v32);

			t[2] = SHIFT(e32, e, 1);
			t[3] = SHIFT(o32, o, 1);
			t[4] = SHIFT(e32, e, 2);
		}
	}
}

/*
 * Output rows oh0 .. oh0 + R - 1 of block bk: input rows in order, each made
 * into its k tap vectors once and fed to the outputs whose window holds it
 * (rows outside the plane skipped, as the reference skips them). R, k and s
 * are constants after inlining, so the loops unroll into straight code with
 * the accumulators in registers.
 */
__attribute__((target("avx512f"), always_inline)) static inline void
dw_rows_avx512(const dw_blk *bk, const float *w, int64_t oh0, int k, int s, int R)
{
	const int64_t ih0 = oh0 * s - bk->pad_h;
	__m512 acc[8];

#pragma GCC unroll 8
	for (int r = 0; r < R; r++)
		acc[r] = bk->b;
#pragma GCC unroll 24
	for (int i = 0; i < (R - 1) * s + k; i++) {
		const int64_t ih = ih0 + i;
		__m512 t[DW_MAX_K];

		if (ih < 0 || ih >= bk->h)
			continue;
		dw_taps_avx512(bk, at(bk->x, ih * bk->wd + bk->col0), t, k, s);
#pragma GCC unroll 5
		for (int kw = 0; kw < k; kw++) {
#pragma GCC unroll 8
			for (int r = 0; r < R; r++) {
				const int kh = i - r * s;

				if (kh >= 0 && kh < k)
					acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(w[kh * k + kw]),
								 t[kw], acc[r]);
			}
		}
	}
#pragma GCC unroll 8
	for (int r = 0; r < R; r++) {
		/* max(lo, x), min(hi, x) pass NaN through (second operand) */
		__m512 v = _mm512_min_ps(bk->hi, _mm512_max_ps(bk->lo, acc[r]));

		if (bk->hard) {
			/* cdl_act_apply's HardSigmoid / HardSwish (activation.c) */
			const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1.0f);
			const __m512 tt =
			    bk->hard == 1 ? _mm512_add_ps(_mm512_mul_ps(bk->ha, v), bk->hb)
					  : _mm512_add_ps(_mm512_mul_ps(v, bk->ha), bk->hb);
			const __m512 gate = _mm512_min_ps(one, _mm512_max_ps(zero, tt));

			v = bk->hard == 1 ? gate : _mm512_mul_ps(v, gate);
		}
		_mm512_mask_storeu_ps(bk->y + (oh0 + r) * bk->ow_n, bk->out, v);
	}
}

/*
 * One channel, column block by column block: the masks of a block depend
 * only on the block, so they are made once and serve every output row; the
 * block's rows in groups of R.
 */
/* A group of n rows, in dw_channel_avx512 */
#define ROWS_CASE(n)                                                                               \
	case n:                                                                                    \
		dw_rows_avx512(&bk, w, oh, k, s, R >= n ? n : R);                                  \
		break;

__attribute__((target("avx512f"), always_inline)) static inline void
dw_channel_avx512(const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,
		  const cdl_act *act, int k, int s, int R)
{
	const int64_t oh_n = g->out[1], ow_n = g->out[2], pad_w = g->pad[2];
	float lo_f = 0.0f, hi_f = 0.0f;
	const bool after = dw_act_split(act, &lo_f, &hi_f);
	dw_blk bk;

	bk.x = x;
	bk.h = g->in[1];
	bk.wd = g->in[2];
	bk.ow_n = ow_n;
	bk.pad_h = g->pad[1];
	bk.lo = _mm512_set1_ps(lo_f);
	bk.hi = _mm512_set1_ps(hi_f);
	bk.b = _mm512_set1_ps(bias);
	bk.hard = 0;
	bk.ha = bk.hb = _mm512_setzero_ps();
	if (after && act->kind == CDL_ACT_HARD_SIGMOID) {
		bk.hard = 1;
		bk.ha = _mm512_set1_ps(act->alpha);
		bk.hb = _mm512_set1_ps(act->beta);
	} else if (after && act->kind == CDL_ACT_HARD_SWISH) {
		bk.hard = 2;
		bk.ha = _mm512_set1_ps(1.0f / 6.0f);
		bk.hb = _mm512_set1_ps(0.5f);
	}
	for (int64_t ow = 0; ow < ow_n; ow += 16) {
		const int64_t n = ow_n - ow < 16 ? ow_n - ow : 16;
		/* the last input column any output of the block reads, + 1 */
		const int64_t used = (n - 1) * s + k;
		int64_t oh = 0;

		bk.out = (__mmask16)bits(0, n);
		bk.col0 = ow * s - pad_w;
		bk.y = y + ow;
		/* inside the row and among the columns the block uses */
		for (int c = 0; c < 3; c++) {
			const int64_t lo = c * 16;

			bk.m[c] = (__mmask16)(bits(-bk.col0 - lo, bk.wd - bk.col0 - lo) &
					      bits(0, used - lo));
		}
		for (; oh + 2 * R <= oh_n; oh += R)
			dw_rows_avx512(&bk, w, oh, k, s, R);
		/* the last rows (< 2R) in one or two groups as even as they come
		 * (14 rows: 7 + 7, not 8 + 6, nor 8 + 8 with 2 computed for
		 * nothing); a group of n rows is its own straight code (rows > R
		 * cannot happen: the R >= n guards only keep it uncompiled) */
		for (int64_t left = oh_n - oh; left > 0;) {
			const int rows = (int)(left > R ? left - left / 2 : left);

			switch (rows) {
				ROWS_CASE(1)
				ROWS_CASE(2)
				ROWS_CASE(3)
				ROWS_CASE(4)
				ROWS_CASE(5)
				ROWS_CASE(6)
				ROWS_CASE(7)
			default:
				dw_rows_avx512(&bk, w, oh, k, s, R);
				break;
			}
			oh += rows;
			left -= rows;
		}
	}
	if (after && !bk.hard)
		cdl_act_apply(act, y, (size_t)(oh_n * ow_n));
}

#undef ROWS_CASE

#define VARIANT(K, S, R)                                                                           \
	__attribute__((target("avx512f"))) static void dwconv_##K##s##S(                           \
	    const cdl_conv_geom *g, const float *x, const float *w, float bias, float *y,          \
	    const cdl_act *act)                                                                    \
	{                                                                                          \
		dw_channel_avx512(g, x, w, bias, y, act, K, S, R);                                 \
	}                                                                                          \
	const cdl_f32_dwconv_kernel cdl_f32_dwconv_##K##x##K##s##S##__avx512 = {                   \
	    #K "x" #K "s" #S "-avx512", K, S, CDL_ISA_AVX512, 0, dwconv_##K##s##S}

VARIANT(3, 1, 8);
VARIANT(3, 2, 4);
VARIANT(5, 1, 8);
VARIANT(5, 2, 4);
#endif /* __x86_64__ */
