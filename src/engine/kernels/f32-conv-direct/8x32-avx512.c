// SPDX-License-Identifier: Apache-2.0
/*
 * Convolutions read by the 8 x 32 AVX-512 GEMM micro-kernel straight from
 * the input, without an im2col or packed copy of B (see conv.h): 3x3 with
 * stride 1 and an output the size of the input (pad 1 each side), 3x3 with
 * stride 2 (pad 0 or 1 each side; see "3x3 with stride 2" below), and 1x1
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

bool cdl_f32_conv3x3s2_fits(const cdl_conv_geom *g)
{
	bool ok = g->in[0] == 1 && g->out[0] == 1 && g->kernel[0] == 1 && g->pad[0] == 0;

	for (int a = 1; a < 3 && ok; a++) {
		/* the last window's last row / column: inside or 1 past the input */
		const int64_t last = 2 * (g->out[a] - 1) - g->pad[a] + 2;

		ok = g->kernel[a] == 3 && g->stride[a] == 2 && g->dilation[a] == 1 &&
		     g->pad[a] >= 0 && g->pad[a] <= 1 && g->in[a] >= 1 && g->out[a] >= 1 &&
		     last <= g->in[a];
	}
	return ok;
}

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

/*
 * 3x3 with stride 2. Output (oh, ow) reads, for tap (kh, kw), the input at
 * row 2 oh - ph + kh, column 2 ow - pw + kw: along an output row, every
 * other element of one input row -- no single shift of a contiguous load
 * any more. Each 16-lane half of a tile is instead one of:
 *  - a run of n <= 16 outputs of one output row (rows wider than 16 are cut
 *    into even chunks: 28 = 14 + 14, 112 = 7 x 16);
 *  - for rows of at most 7 outputs, two whole output rows (consecutive in
 *    y, so the half's outputs are still one contiguous, masked store).
 * For one input channel and one kh, the inputs of a half's three taps kw lie
 * in two 16-float loads A and B: a run of the input row from the first
 * output's kw = 0 column (B = A + 16), or, for two output rows, one run per
 * row (2 * 7 + 1 <= 16 floats each). One vpermt2ps of (A, B) per kw picks
 * its lanes (indices 2 l + kw, or 16 + 2 (l - n) + kw for the second row).
 * Lane 15 of kw = 2 in a run of 16 needs element 32, past B: it is loaded
 * on its own into that lane (the "wide" tiles only, where a half has 16
 * outputs). The loads are masked to the elements inside the plane that the
 * lanes read, so a tap in the padding reads the zero im2col packs. Offsets,
 * masks and indices depend on the half and kh only, not on the channel:
 * computed once per tile and reused by every 8-row block of weights. The
 * input is read in place: gathering costs three permutes per 16 FMAs,
 * which measured 1.2-1.3x the im2col GEMM's rate on resnet18's stride-2
 * layers and about even on 3-channel first layers (bench_kernels conv);
 * and in stream mode it is not repeated per tile of output channels as
 * im2col is.
 *
 * The arithmetic is again the packed kernel's -- k = c * 9 + kh * 3 + kw in
 * order, one FMA each, zeros where im2col has zeros, the same epilogue --
 * and which outputs share a tile does not change any output's sum, so the
 * results are bit-identical to the im2col GEMM with
 * cdl_f32_gemm_kernel_8x32__avx512.
 */
typedef struct s2_half {
	/* per kh: input offsets (in a channel plane) of A, B, and of a load
	 * whose lane 15 is element 32 of the run (wide tiles) */
	int64_t off[3][3];
	__mmask16 m[3][3];  /* their masks; 0 for a row outside the plane */
	int32_t idx[3][16]; /* per kw: lane l is element idx[kw][l] of (A, B) */
	int64_t y;	    /* output position of lane 0 */
	__mmask16 store;    /* the lanes that are outputs */
	int n;		    /* outputs of the run (16: needs a wide tile) */
	int stored;	    /* outputs of the half (lanes in store) */
} s2_half;

__attribute__((target("avx512f"), always_inline)) static inline void
tile_s2_8x32(int mr, bool wide, size_t channels, const float *x, size_t plane, const s2_half *h0,
	     const s2_half *h1, const float *w, const size_t ldw[MR], const float *bias, float *y,
	     size_t ldy, float lo_f, float hi_f, size_t rows)
{
	const __m512i i00 = _mm512_loadu_si512(h0->idx[0]), i01 = _mm512_loadu_si512(h0->idx[1]);
	const __m512i i02 = _mm512_loadu_si512(h0->idx[2]), i10 = _mm512_loadu_si512(h1->idx[0]);
	const __m512i i11 = _mm512_loadu_si512(h1->idx[1]), i12 = _mm512_loadu_si512(h1->idx[2]);
#define DECL(i) __m512 c##i##0, c##i##1;
	ROWS(DECL)
#undef DECL
#define INIT(i) c##i##0 = c##i##1 = _mm512_set1_ps(bias && i < rows ? bias[i] : 0.0f);
	ROWS(INIT)
#undef INIT
	for (size_t c = 0; c < channels; c++) {
		const float *xc = x + c * plane;
		const float *wc = w + c * 9;

#pragma GCC unroll 3
		for (int kh = 0; kh < 3; kh++) {
			const __m512 a0 =
			    _mm512_maskz_loadu_ps(h0->m[kh][0], at(xc, h0->off[kh][0]));
			const __m512 b0 =
			    _mm512_maskz_loadu_ps(h0->m[kh][1], at(xc, h0->off[kh][1]));
			const __m512 a1 =
			    _mm512_maskz_loadu_ps(h1->m[kh][0], at(xc, h1->off[kh][0]));
			const __m512 b1 =
			    _mm512_maskz_loadu_ps(h1->m[kh][1], at(xc, h1->off[kh][1]));

#pragma GCC unroll 3
			for (int kw = 0; kw < 3; kw++) {
				const int t = kh * 3 + kw;
				__m512 p0, p1;

				if (kw == 2 && wide) {
					p0 = _mm512_maskz_permutex2var_ps(0x7fff, a0, i02, b0);
					p1 = _mm512_maskz_permutex2var_ps(0x7fff, a1, i12, b1);
					p0 = _mm512_mask_loadu_ps(p0, h0->m[kh][2],
								  at(xc, h0->off[kh][2]));
					p1 = _mm512_mask_loadu_ps(p1, h1->m[kh][2],
								  at(xc, h1->off[kh][2]));
				} else {
					p0 = _mm512_permutex2var_ps(a0,
								    kw == 0   ? i00
								    : kw == 1 ? i01
									      : i02,
								    b0);
					p1 = _mm512_permutex2var_ps(a1,
								    kw == 0   ? i10
								    : kw == 1 ? i11
									      : i12,
								    b1);
				}
#define STEP(i)                                                                                    \
	if (i < mr) {                                                                              \
		const __m512 ai = _mm512_set1_ps(wc[ldw[i] + t]);                                  \
		c##i##0 = _mm512_fmadd_ps(ai, p0, c##i##0);                                        \
		c##i##1 = _mm512_fmadd_ps(ai, p1, c##i##1);                                        \
	}
				ROWS(STEP)
#undef STEP
			}
		}
	}
	{
		const __m512 lo = _mm512_set1_ps(lo_f), hi = _mm512_set1_ps(hi_f);

#define STORE(i)                                                                                   \
	if (i < mr && i < rows) {                                                                  \
		_mm512_mask_storeu_ps(y + i * ldy + h0->y, h0->store,                              \
				      _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##0)));              \
		_mm512_mask_storeu_ps(y + i * ldy + h1->y, h1->store,                              \
				      _mm512_min_ps(hi, _mm512_max_ps(lo, c##i##1)));              \
	}
		ROWS(STORE)
#undef STORE
	}
}

typedef void (*tile_s2_fn)(size_t channels, const float *x, size_t plane, const s2_half *h0,
			   const s2_half *h1, const float *w, const size_t ldw[MR],
			   const float *bias, float *y, size_t ldy, float lo_f, float hi_f,
			   size_t rows);

#define TILE_S2(name, mr, wide)                                                                    \
	__attribute__((target("avx512f"))) static void name(                                       \
	    size_t channels, const float *x, size_t plane, const s2_half *h0, const s2_half *h1,   \
	    const float *w, const size_t ldw[MR], const float *bias, float *y, size_t ldy,         \
	    float lo_f, float hi_f, size_t rows)                                                   \
	{                                                                                          \
		tile_s2_8x32(mr, wide, channels, x, plane, h0, h1, w, ldw, bias, y, ldy, lo_f,     \
			     hi_f, rows);                                                          \
	}

TILE_S2(tile_3x3s2, 8, false)
TILE_S2(tile_3x3s2_4, 4, false)
TILE_S2(tile_3x3s2_wide, 8, true)
TILE_S2(tile_3x3s2_wide_4, 4, true)

/*
 * The mask of a 16-float load at element e0 of a run of input row ih that
 * starts at column col0: the elements inside the plane among the first
 * need of the run.
 */
static __mmask16 s2_mask(int64_t ih, int64_t h, int64_t col0, int64_t wd, int64_t e0, int64_t need)
{
	int64_t hi = wd - col0 - e0;

	if (ih < 0 || ih >= h)
		return 0;
	if (hi > need - e0)
		hi = need - e0;
	return (__mmask16)bits(-col0 - e0, hi);
}

/* Two output rows per half when at most this wide (2 * 7 + 1 <= 16). */
#define S2_TWO_ROWS 7

/* Halves in the plane: pairs of rows, or rows cut into chunks of <= 16. */
static int64_t s2_halves(const cdl_conv_geom *g)
{
	return g->out[2] <= S2_TWO_ROWS ? (g->out[1] + 1) / 2 : g->out[1] * ((g->out[2] + 15) / 16);
}

/* Half q of the plane (see above); past the last one, an empty half. */
static void s2_half_at(const cdl_conv_geom *g, int64_t q, s2_half *hv)
{
	const int64_t h = g->in[1], wd = g->in[2], oh_n = g->out[1], ow_n = g->out[2];
	const int64_t ph = g->pad[1], pw = g->pad[2];
	const bool two = ow_n <= S2_TWO_ROWS;
	int64_t row0 = 0, row1 = 0, ow0 = 0, n0 = 0, n1 = 0;

	*hv = (s2_half){0};
	if (q >= s2_halves(g))
		return;
	if (two) {
		row0 = 2 * q;
		row1 = row0 + 1;
		n0 = ow_n;
		n1 = row1 < oh_n ? ow_n : 0;
	} else {
		const int64_t chunks = (ow_n + 15) / 16, ch = q % chunks;
		const int64_t base = ow_n / chunks, extra = ow_n % chunks;

		row0 = q / chunks;
		ow0 = ch * base + (ch < extra ? ch : extra);
		n0 = base + (ch < extra ? 1 : 0);
	}
	hv->y = row0 * ow_n + ow0;
	hv->store = (__mmask16)bits(0, n0 + n1);
	hv->n = (int)n0;
	hv->stored = (int)(n0 + n1);
	for (int kh = 0; kh < 3; kh++) {
		const int64_t ih0 = 2 * row0 - ph + kh, ih1 = 2 * row1 - ph + kh;
		const int64_t col0 = 2 * ow0 - pw;

		/* the run of row ih0: 2 n0 + 1 elements from column col0 */
		hv->off[kh][0] = ih0 * wd + col0;
		hv->m[kh][0] = s2_mask(ih0, h, col0, wd, 0, 2 * n0 + 1);
		if (two) {
			hv->off[kh][1] = ih1 * wd + col0;
			hv->m[kh][1] = n1 ? s2_mask(ih1, h, col0, wd, 0, 2 * n1 + 1) : 0;
		} else {
			hv->off[kh][1] = hv->off[kh][0] + 16;
			hv->m[kh][1] = s2_mask(ih0, h, col0, wd, 16, 2 * n0 + 1);
			/* element 32 in lane 15 */
			hv->off[kh][2] = hv->off[kh][0] + 32 - 15;
			hv->m[kh][2] =
			    (__mmask16)(s2_mask(ih0, h, col0, wd, 32 - 15, 2 * n0 + 1) & 0x8000u);
		}
	}
	for (int kw = 0; kw < 3; kw++) {
		for (int l = 0; l < 16; l++) {
			const int64_t e = l < n0 || !two ? 2 * l + kw : 16 + 2 * (l - n0) + kw;

			hv->idx[kw][l] = (int32_t)(e & 31);
		}
	}
}

size_t cdl_f32_conv3x3s2_direct__avx512(const cdl_conv_geom *g, size_t channels, const float *x,
					size_t m, const float *w, const float *bias, float *y,
					float lo, float hi)
{
	const size_t plane = (size_t)(g->in[1] * g->in[2]);
	const size_t n = (size_t)(g->out[1] * g->out[2]), k = channels * 9;
	const int64_t halves = s2_halves(g);
	s2_half hv[2], next[2];

	s2_half_at(g, 0, &next[0]);
	s2_half_at(g, 1, &next[1]);
	for (int64_t q = 0; q < halves; q += 2) {
		bool wide = false;

		hv[0] = next[0];
		hv[1] = next[1];
		s2_half_at(g, q + 2, &next[0]);
		s2_half_at(g, q + 3, &next[1]);
		wide = hv[0].n == 16 || hv[1].n == 16;
		for (size_t i0 = 0; i0 < m; i0 += MR) {
			const size_t rows = m - i0 < MR ? m - i0 : MR;
			const tile_s2_fn tile = rows <= 4
						    ? (wide ? tile_3x3s2_wide_4 : tile_3x3s2_4)
						    : (wide ? tile_3x3s2_wide : tile_3x3s2);
			size_t ldw[MR];

			for (size_t i = 0; i < MR; i++)
				ldw[i] = (i < rows ? i : rows - 1) * k;
			/*
			 * The output lines the next tile of these rows stores,
			 * fetched for writing now. With few channels (a first
			 * layer: 27 FMAs per output) and an output out of cache,
			 * the stores waited for those lines: squeezenet's first
			 * layer (64 x 111 x 111 outputs, rotating through 8
			 * buffers) took 0.48 ms, against 0.36 for the im2col
			 * GEMM; 0.32 with this. Negligible with many channels.
			 */
			for (size_t i = 0; i < rows; i++) {
				for (int e = 0; e < 2; e++) {
					const float *yn = y + (i0 + i) * n;

					if (!next[e].stored)
						continue;
					__builtin_prefetch(yn + next[e].y, 1, 3);
					__builtin_prefetch(yn + next[e].y + next[e].stored - 1, 1,
							   3);
				}
			}
			tile(channels, x, plane, &hv[0], &hv[1], w + i0 * k, ldw,
			     bias ? bias + i0 : NULL, y + i0 * n, n, lo, hi, rows);
		}
	}
	return m;
}
#endif /* __x86_64__ */
