// SPDX-License-Identifier: Apache-2.0
/*
 * Convolutions read by the 8 x 32 AVX-512 GEMM micro-kernel straight from
 * the input, without an im2col or packed copy of B (see conv.h): 3x3 with
 * stride 1 and an output the size of the input (pad 1 each side), and 1x1
 * with stride 1 and no padding.
 *
 * Why 3x3 works: with stride 1 and an output as wide as the input, output
 * position j (flattened oh * w + ow) reads, for tap (kh, kw), the input at
 * j + (kh - 1) * w + (kw - 1): the same shift for every j. So the im2col row
 * of (c, kh, kw) restricted to 32 consecutive positions is one contiguous
 * load from the input, with the lanes whose tap falls in the padding (a row
 * above or below the plane, or a column that would wrap into the next row)
 * masked to zero -- and those masks depend on the tap and the positions
 * only, not on the channel. A 1x1 convolution is the same with one tap and
 * no padding: B is the input plane itself.
 *
 * The arithmetic is the packed kernel's -- k in the same (c, kh, kw) order,
 * one FMA each, zeros where im2col has zeros -- so the results are
 * bit-identical to the GEMM path with cdl_f32_gemm_kernel_8x32__avx512.
 */
#include "../conv.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "../isa.h"

#define MR 8
#define NR 32

#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/* See kernels/f32-dwconv/avx512.c: no out-of-object pointer is formed. */
static inline const float *at(const float *p, int64_t i)
{
	return (const float *)((uintptr_t)p + (uintptr_t)(i * (int64_t)sizeof(float)));
}

/*
 * One 8 x 32 tile: rows w[i*ldw ..] (i < 8, k = c*taps + t), positions
 * [j0, j0 + 32) of every channel plane of x (plane floats apart), masks and
 * input offsets per tap t. y rows ldy apart; store masked to the positions,
 * and only the first rows rows (a last tile of fewer than 8 output channels:
 * its missing rows compute on a copy of the last real one, ldw 0 there).
 * mr 4 keeps only the first four rows: for a last tile of up to 4 output
 * channels (the layers streamed in tiles of, say, 12 channels would
 * otherwise spend a third of their time on rows nobody reads).
 */
__attribute__((target("avx512f"), always_inline)) static inline void
tile_8x32(int taps, int mr, size_t channels, const float *x, size_t plane, const int64_t *off,
	  const __mmask16 *m0, const __mmask16 *m1, const float *w, const size_t ldw[MR],
	  const float *bias, float *y, size_t ldy, __mmask16 s0, __mmask16 s1, float lo_f,
	  float hi_f, size_t rows)
{
#define DECL(i) __m512 c##i##0, c##i##1;
	ROWS(DECL)
#undef DECL
#define INIT(i) c##i##0 = c##i##1 = _mm512_set1_ps(bias && i < rows ? bias[i] : 0.0f);
	/* (rows past mr are never used: the compiler drops them) */
	ROWS(INIT)
#undef INIT
	for (size_t c = 0; c < channels; c++) {
		const float *xc = x + c * plane;
		const float *wc = w + c * (size_t)taps;

#pragma GCC unroll 9
		for (int t = 0; t < taps; t++) {
			const __m512 b0 = _mm512_maskz_loadu_ps(m0[t], at(xc, off[t]));
			const __m512 b1 = _mm512_maskz_loadu_ps(m1[t], at(xc, off[t] + 16));

#define STEP(i)                                                                                    \
	if (i < mr) {                                                                              \
		const __m512 ai = _mm512_set1_ps(wc[ldw[i] + t]);                                  \
		c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                                        \
		c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                                        \
	}
			ROWS(STEP)
#undef STEP
		}
	}
	{
		/* max(lo, x) and min(hi, x) return x when x is NaN (second operand). */
		const __m512 lo = _mm512_set1_ps(lo_f), hi = _mm512_set1_ps(hi_f);

#define STORE(i)                                                                                   \
	if (i < mr && i < rows) {                                                                  \
		_mm512_mask_storeu_ps(y + i * ldy, s0,                                             \
				      _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##0)));              \
		_mm512_mask_storeu_ps(y + i * ldy + 16, s1,                                        \
				      _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##1)));              \
	}
		ROWS(STORE)
#undef STORE
	}
}

#define TILE(name, taps, mr)                                                                       \
	__attribute__((target("avx512f"))) static void name(                                       \
	    size_t channels, const float *x, size_t plane, const int64_t *off,                     \
	    const __mmask16 *m0, const __mmask16 *m1, const float *w, const size_t ldw[MR],        \
	    const float *bias, float *y, size_t ldy, __mmask16 s0, __mmask16 s1, float lo_f,       \
	    float hi_f, size_t rows)                                                               \
	{                                                                                          \
		tile_8x32(taps, mr, channels, x, plane, off, m0, m1, w, ldw, bias, y, ldy, s0, s1, \
			  lo_f, hi_f, rows);                                                       \
	}

TILE(tile_3x3, 9, 8)
TILE(tile_3x3_4, 9, 4)
TILE(tile_1x1, 1, 8)
TILE(tile_1x1_4, 1, 4)

/* Bits [lo, hi) of a 32-bit mask, clamped to [0, 32). */
static inline uint32_t bits(int64_t lo, int64_t hi)
{
	const uint64_t a = lo < 0 ? 0 : lo > 32 ? 32 : (uint64_t)lo;
	const uint64_t b = hi < 0 ? 0 : hi > 32 ? 32 : (uint64_t)hi;

	return b > a ? (uint32_t)(((1ull << b) - 1ull) & ~((1ull << a) - 1ull)) : 0u;
}

size_t cdl_f32_conv3x3s1_direct__avx512(const cdl_conv_geom *g, size_t channels, const float *x,
					size_t m, const float *w, const float *bias, float *y,
					float lo, float hi)
{
	const int64_t h = g->in[1], wd = g->in[2];
	const size_t n = (size_t)(h * wd), k = channels * 9;

	for (size_t j0 = 0; j0 < n; j0 += NR) {
		int64_t off[9];
		__mmask16 m0[9], m1[9];
		const uint32_t valid = bits(0, (int64_t)(n - j0));

		/* which of the 32 positions j0 + l have a row above / below, a
		 * column left / right inside the plane */
		uint32_t up = 0, down = 0, left = 0, right = 0;
		int64_t oh = (int64_t)j0 / wd, ow = (int64_t)j0 % wd;

		for (int l = 0; l < NR; l++) {
			up |= (uint32_t)(oh > 0) << l;
			down |= (uint32_t)(oh < h - 1) << l;
			left |= (uint32_t)(ow > 0) << l;
			right |= (uint32_t)(ow < wd - 1) << l;
			if (++ow == wd) {
				ow = 0;
				oh++;
			}
		}
		/* per tap: the input offset of position j0, and the lanes whose tap
		 * lies inside the plane */
		for (int t = 0; t < 9; t++) {
			const int64_t dh = t / 3 - 1, dw = t % 3 - 1;
			const uint32_t mask = valid &
					      (dh < 0	? up
					       : dh > 0 ? down
							: ~0u) &
					      (dw < 0	? left
					       : dw > 0 ? right
							: ~0u);

			off[t] = (int64_t)j0 + dh * wd + dw;
			m0[t] = (__mmask16)mask;
			m1[t] = (__mmask16)(mask >> 16);
		}
		for (size_t i0 = 0; i0 < m; i0 += MR) {
			const size_t rows = m - i0 < MR ? m - i0 : MR;
			size_t ldw[MR];

			/* row i's weights; rows past m repeat the last one (not stored) */
			for (size_t i = 0; i < MR; i++)
				ldw[i] = (i < rows ? i : rows - 1) * k;
			(rows <= 4 ? tile_3x3_4 : tile_3x3)(channels, x, n, off, m0, m1, w + i0 * k,
							    ldw, bias ? bias + i0 : NULL,
							    y + i0 * n + j0, n, (__mmask16)valid,
							    (__mmask16)(valid >> 16), lo, hi, rows);
		}
	}
	return m;
}
size_t cdl_f32_conv1x1_direct__avx512(size_t channels, const float *x, size_t n, size_t m,
				      const float *w, const float *bias, float *y, float lo,
				      float hi)
{
	for (size_t j0 = 0; j0 < n; j0 += NR) {
		const uint32_t valid = bits(0, (int64_t)(n - j0));
		const int64_t off[1] = {(int64_t)j0};
		const __mmask16 m0[1] = {(__mmask16)valid}, m1[1] = {(__mmask16)(valid >> 16)};

		for (size_t i0 = 0; i0 < m; i0 += MR) {
			const size_t rows = m - i0 < MR ? m - i0 : MR;
			size_t ldw[MR];

			for (size_t i = 0; i < MR; i++)
				ldw[i] = (i < rows ? i : rows - 1) * channels;
			(rows <= 4 ? tile_1x1_4
				   : tile_1x1)(channels, x, n, off, m0, m1, w + i0 * channels, ldw,
					       bias ? bias + i0 : NULL, y + i0 * n + j0, n, m0[0],
					       m1[0], lo, hi, rows);
		}
	}
	return m;
}
#endif /* __x86_64__ */
