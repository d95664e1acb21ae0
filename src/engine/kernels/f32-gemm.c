// SPDX-License-Identifier: Apache-2.0
/*
 * The f32 GEMM driver: cache blocking, packing, edge tiles and the epilogue
 * around a micro-kernel (see gemm.h for the loop structure).
 */
#include <string.h>

#include "copy.h"
#include "gemm.h"

#define ALIGN_FLOATS 16 /* 64 bytes */

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t round_up(size_t x, size_t m)
{
	return (x + m - 1) / m * m;
}

/* Floats of each workspace region, for dims already clamped to the blocks. */
static size_t ws_a_floats(size_t m, size_t mc, size_t kc)
{
	return round_up((min_size(m, mc) + CDL_GEMM_MAX_MR) * kc, ALIGN_FLOATS);
}

static size_t ws_b_floats(size_t n, size_t nc, size_t kc)
{
	return round_up((min_size(n, nc) + CDL_GEMM_MAX_NR) * kc, ALIGN_FLOATS);
}

#define WS_TILE_FLOATS (CDL_GEMM_MAX_MR * CDL_GEMM_MAX_NR)

/* Cache blocks of one GEMM call. */
typedef struct gemm_blocks {
	size_t mc, nc, kc;
} gemm_blocks;

static size_t ws_floats(size_t m, size_t n, const gemm_blocks *b)
{
	return ws_a_floats(m, b->mc, b->kc) + ws_b_floats(n, b->nc, b->kc) + WS_TILE_FLOATS;
}

static size_t kc_of(size_t k, size_t kc)
{
	size_t v = min_size(k, kc);

	return v ? v : 1;
}

/*
 * The blocks for a workspace of ws_bytes: the defaults when they fit, else
 * smaller ones, shrunk in an order that keeps the micro-kernel busy longest
 * (NC to 128, KC to 64, NC to 32, KC to 16, MC to 16). The results do not
 * depend on the blocks (see cdl_f32_gemm_ws). false if even the smallest do
 * not fit.
 */
static bool pick_blocks(size_t m, size_t n, size_t k, size_t ws_bytes, gemm_blocks *b)
{
	static const struct {
		uint16_t mc, nc, kc;
	} steps[] = {
	    {CDL_GEMM_MC, CDL_GEMM_NC, CDL_GEMM_KC},
	    {CDL_GEMM_MC, 256, CDL_GEMM_KC},
	    {CDL_GEMM_MC, 128, CDL_GEMM_KC},
	    {CDL_GEMM_MC, 128, 128},
	    {CDL_GEMM_MC, 128, 64},
	    {CDL_GEMM_MC, 64, 64},
	    {CDL_GEMM_MC, 32, 64},
	    {CDL_GEMM_MC, 32, 32},
	    {CDL_GEMM_MC, 32, 16},
	    {64, 32, 16},
	    {32, 32, 16},
	    {CDL_GEMM_MAX_MR, CDL_GEMM_MAX_NR, 16},
	};
	const size_t ws = ws_bytes / sizeof(float);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		b->mc = steps[i].mc;
		b->nc = steps[i].nc;
		b->kc = kc_of(k, steps[i].kc);
		if (ws_floats(m, n, b) <= ws)
			return true;
	}
	return false;
}

size_t cdl_f32_gemm_workspace_size(size_t m, size_t n, size_t k)
{
	gemm_blocks b = {CDL_GEMM_MC, CDL_GEMM_NC, kc_of(k, CDL_GEMM_KC)};

	return ws_floats(m, n, &b) * sizeof(float);
}

size_t cdl_f32_gemm_workspace_min(size_t m, size_t n, size_t k)
{
	gemm_blocks b = {CDL_GEMM_MAX_MR, CDL_GEMM_MAX_NR, kc_of(k, 16)};

	return ws_floats(m, n, &b) * sizeof(float);
}

#if defined(__x86_64__)
/* r[t] becomes column t of the 16 x 16 block whose row i was r[i]. */
__attribute__((target("avx512f"), always_inline)) static inline void transpose16(__m512 r[16])
{
	__m512 t[16];

	/* 32-bit then 64-bit interleaves: 4 x 4 blocks transposed in each 128-bit lane */
	for (int i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
	}
	for (int i = 0; i < 16; i += 4) {
		r[i] = _mm512_castpd_ps(
		    _mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
		r[i + 1] = _mm512_castpd_ps(
		    _mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
		r[i + 2] = _mm512_castpd_ps(
		    _mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
		r[i + 3] = _mm512_castpd_ps(
		    _mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
	}
	/* then the 128-bit lanes across registers */
	for (int i = 0; i < 4; i++) {
		t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
		t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
		t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
		t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
	}
	for (int i = 0; i < 8; i++) {
		r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
		r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
	}
}

/*
 * B stored transposed (B(p, j) = b[j*ldt + p]: Gemm transB=1, a layer's
 * weights): element by element that is a gather per float; here 16 columns
 * of B (rows of b) x 16 k at a time are loaded as rows and transposed in
 * registers. nr is a multiple of 16.
 */
__attribute__((target("avx512f"))) static void pack_b_transposed_avx512(const float *b, size_t ldt,
									size_t k0, size_t kc,
									size_t n0, size_t nc,
									size_t nr, float *dst)
{
	for (size_t j0 = 0; j0 < nc; j0 += nr) {
		float *p = dst + j0 * kc;

		for (size_t jb = 0; jb < nr; jb += 16) {
			for (size_t p0 = 0; p0 < kc; p0 += 16) {
				const size_t kn = kc - p0 < 16 ? kc - p0 : 16;
				const __mmask16 km = (__mmask16)((1u << kn) - 1u);
				__m512 r[16];

				for (size_t i = 0; i < 16; i++) {
					const size_t j = j0 + jb + i;

					r[i] = j < nc ? _mm512_maskz_loadu_ps(
							    km, b + (n0 + j) * ldt + k0 + p0)
						      : _mm512_setzero_ps();
				}
				transpose16(r);
				for (size_t t = 0; t < kn; t++)
					_mm512_storeu_ps(p + (p0 + t) * nr + jb, r[t]);
			}
		}
	}
}
#endif

void cdl_f32_gemm_pack_b_strided(const float *b, size_t b_rs, size_t b_cs, size_t k0, size_t kc,
				 size_t n0, size_t nc, size_t nr, float *dst)
{
	const int isa = cdl_kernels_isa();

#if defined(__x86_64__)
	if (isa >= CDL_ISA_AVX512 && b_rs == 1 && b_cs != 1 && nr % 16 == 0) {
		pack_b_transposed_avx512(b, b_cs, k0, kc, n0, nc, nr, dst);
		return;
	}
#endif

	for (size_t j0 = 0; j0 < nc; j0 += nr) {
		float *p = dst + j0 * kc;
		size_t ne = min_size(nr, nc - j0);

		for (size_t k = 0; k < kc; k++) {
			const float *row = b + (k0 + k) * b_rs + (n0 + j0) * b_cs;

			if (b_cs == 1) {
				cdl_fill(isa, p + k * nr, row, ne, 1);
			} else {
				for (size_t j = 0; j < ne; j++)
					p[k * nr + j] = row[j * b_cs];
			}
			if (ne < nr)
				cdl_fill(isa, p + k * nr + ne, NULL, nr - ne, 1);
		}
	}
}

static void pack_a(const cdl_f32_gemm_desc *d, size_t mr, size_t m0, size_t mc, size_t k0,
		   size_t kc, float *dst)
{
	for (size_t i0 = 0; i0 < mc; i0 += mr) {
		float *p = dst + i0 * kc;
		size_t me = min_size(mr, mc - i0);

		for (size_t i = 0; i < mr; i++) {
			if (i >= me) {
				for (size_t k = 0; k < kc; k++)
					p[k * mr + i] = 0.0f;
				continue;
			}
			const float *row = d->a + (m0 + i0 + i) * d->a_rs + k0 * d->a_cs;

			if (d->alpha == 1.0f) {
				for (size_t k = 0; k < kc; k++)
					p[k * mr + i] = row[k * d->a_cs];
			} else {
				for (size_t k = 0; k < kc; k++)
					p[k * mr + i] = d->alpha * row[k * d->a_cs];
			}
		}
	}
}

/* Relu and Clip become the micro-kernel's clamp; anything else runs after. */
static bool act_split(const cdl_act *act, float *min, float *max)
{
	*min = -__builtin_inff();
	*max = __builtin_inff();
	if (!act || act->kind == CDL_ACT_NONE)
		return false;
	if (act->kind == CDL_ACT_RELU) {
		*min = 0.0f;
		return false;
	}
	if (act->kind == CDL_ACT_CLIP) {
		*min = act->alpha;
		*max = act->beta;
		return false;
	}
	return true;
}

/* K == 0: C is just its initial value, then the activation. */
static void gemm_k0(const cdl_f32_gemm_desc *d, float min, float max, bool act_after)
{
	for (size_t i = 0; i < d->m; i++) {
		float *row = d->c + i * d->ldc;

		for (size_t j = 0; j < d->n; j++) {
			float v = d->accumulate ? row[j] : (d->bias ? d->bias[i] : 0.0f);

			v = v < min ? min : v;
			row[j] = v > max ? max : v;
		}
		if (act_after)
			cdl_act_apply(d->act, row, d->n);
	}
}

/* One packed block: every MR x NR tile of C rows [m0, m0+mc), cols [n0, n0+nc). */
typedef struct gemm_block {
	const cdl_f32_gemm_kernel *kern;
	const cdl_f32_gemm_desc *d;
	const float *pa, *pb;
	/* A in place (ukernel_sa) for the block's full MR-row panels, at
	 * A(m0, k0); NULL: every panel is packed in pa. A partial last panel
	 * is always packed (at pa), so no tile reads a row past m. */
	const float *a_direct;
	size_t lda;
	float *tile; /* MR x NR scratch for edge tiles */
	size_t m0, mc, n0, nc, kc;
	bool acc;
	float lo, hi;
} gemm_block;

/* The micro-kernel on the tile whose A panel starts at row i0 of the block. */
static void run_tile(const gemm_block *b, size_t i0, const float *bp, float *c, size_t ldc,
		     const float *bias, bool acc)
{
	const size_t mr = b->kern->mr;

	if (b->a_direct && i0 + mr <= b->mc)
		b->kern->ukernel_sa(b->kc, b->a_direct + i0 * b->lda, b->lda, bp, c, ldc, bias, acc,
				    b->lo, b->hi);
	else
		b->kern->ukernel(b->kc, b->a_direct ? b->pa : b->pa + i0 * b->kc, bp, c, ldc, bias,
				 acc, b->lo, b->hi);
}

/* A tile cut by the edge of C: run the full tile on scratch, copy back the valid part. */
static void edge_tile(const gemm_block *b, size_t i0, const float *bp, float *ct, const float *bias,
		      size_t me, size_t ne)
{
	const size_t mr = b->kern->mr, nr = b->kern->nr, ldc = b->d->ldc;

	for (size_t i = 0; i < mr; i++) {
		for (size_t j = 0; j < nr; j++) {
			float v = 0.0f;

			if (i < me && j < ne && b->acc)
				v = ct[i * ldc + j];
			else if (i < me && j < ne && bias)
				v = bias[i];
			b->tile[i * nr + j] = v;
		}
	}
	run_tile(b, i0, bp, b->tile, nr, NULL, true);
	for (size_t i = 0; i < me; i++)
		memcpy(ct + i * ldc, b->tile + i * nr, ne * sizeof(float));
}

static void run_block(const gemm_block *b)
{
	const size_t mr = b->kern->mr, nr = b->kern->nr, ldc = b->d->ldc;

	/* j outer: one B panel stays in L1 while the A panels stream from L2. */
	for (size_t j0 = 0; j0 < b->nc; j0 += nr) {
		const size_t ne = min_size(nr, b->nc - j0);
		const float *bp = b->pb + j0 * b->kc;

		for (size_t i0 = 0; i0 < b->mc; i0 += mr) {
			const size_t me = min_size(mr, b->mc - i0);
			const float *bias = b->d->bias ? b->d->bias + b->m0 + i0 : NULL;
			float *ct = b->d->c + (b->m0 + i0) * ldc + b->n0 + j0;

			if (me == mr && ne == nr)
				run_tile(b, i0, bp, ct, ldc, bias, b->acc);
			else
				edge_tile(b, i0, bp, ct, bias, me, ne);
		}
	}
}

static void gemm_blocked(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws,
			 const gemm_blocks *blk)
{
	const size_t mr = kern->mr, nr = kern->nr;
	const size_t mc_max = blk->mc / mr * mr, nc_max = blk->nc / nr * nr, kc_max = blk->kc;
	float *pa = ws;
	float *pb = pa + ws_a_floats(d->m, blk->mc, kc_max);
	float min = 0.0f, max = 0.0f;
	const bool act_after = act_split(d->act, &min, &max);
	/* A read in place when the kernel can and A needs no scaling */
	const bool direct = kern->ukernel_sa && d->alpha == 1.0f && d->a_cs == 1;
	gemm_block b = {.kern = kern, .d = d, .pa = pa, .pb = pb, .lda = d->a_rs};

	b.tile = pb + ws_b_floats(d->n, blk->nc, kc_max);
	if (d->m == 0 || d->n == 0)
		return;
	if (d->k == 0) {
		gemm_k0(d, min, max, act_after);
		return;
	}
	for (b.n0 = 0; b.n0 < d->n; b.n0 += nc_max) {
		b.nc = min_size(nc_max, d->n - b.n0);
		for (size_t k0 = 0; k0 < d->k; k0 += kc_max) {
			const bool last = k0 + kc_max >= d->k;

			b.kc = min_size(kc_max, d->k - k0);
			b.acc = d->accumulate || k0 != 0;
			/* Relu/Clip only once the sums are complete. */
			b.lo = last ? min : -__builtin_inff();
			b.hi = last ? max : __builtin_inff();
			if (d->pack_b)
				d->pack_b(d->pack_b_arg, k0, b.kc, d->pack_b_n0 + b.n0, b.nc, nr,
					  pb);
			else
				cdl_f32_gemm_pack_b_strided(d->b, d->b_rs, d->b_cs, k0, b.kc, b.n0,
							    b.nc, nr, pb);
			for (b.m0 = 0; b.m0 < d->m; b.m0 += mc_max) {
				b.mc = min_size(mc_max, d->m - b.m0);
				if (direct) {
					const size_t full = b.mc / mr * mr;

					b.a_direct = d->a + b.m0 * d->a_rs + k0;
					if (full < b.mc)
						pack_a(d, mr, b.m0 + full, b.mc - full, k0, b.kc,
						       pa);
				} else {
					pack_a(d, mr, b.m0, b.mc, k0, b.kc, pa);
				}
				run_block(&b);
				if (last && act_after) {
					for (size_t i = 0; i < b.mc; i++)
						cdl_act_apply(d->act,
							      d->c + (b.m0 + i) * d->ldc + b.n0,
							      b.nc);
				}
			}
		}
	}
}

#if defined(__x86_64__)
/*
 * A GEMM with a single row or column of C -- a fully connected layer at
 * batch 1 (Gemm transB=1: one row of A against the rows of the weights) or
 * a 1x1 convolution of a 1x1 plane (the weights' rows against one column
 * of B) -- is a matrix-vector product, which the tiled path pads to whole
 * register tiles (8 or 32 times the work) after packing the matrix.
 *
 * Here: out[i*os] = clamp(init_i + sum_p x_p * r[i*ldr + p]) for i < count,
 * 16 outputs at a time, the matrix read in place in 16 x 16 blocks turned
 * into columns in registers. Each output is the very chain of the 8 x 32
 * AVX-512 micro-kernel -- its initial value, then one FMA per k in order,
 * then the clamp -- so the results are bit-identical to the tiled path with
 * that kernel, which is the only one this path stands in for.
 */
__attribute__((target("avx512f"))) static void gemv_avx512(size_t count, size_t k, const float *r,
							   size_t ldr, const float *x, size_t xs,
							   float xscale, const float *init,
							   size_t is, float *out, size_t os,
							   float lo_f, float hi_f)
{
	const __m512 lo = _mm512_set1_ps(lo_f), hi = _mm512_set1_ps(hi_f);

	for (size_t i0 = 0; i0 < count; i0 += 16) {
		const size_t ni = count - i0 < 16 ? count - i0 : 16;
		float v[16];
		__m512 acc;

		for (size_t i = 0; i < 16; i++)
			v[i] = i < ni && init ? init[(i0 + i) * is] : 0.0f;
		acc = _mm512_loadu_ps(v);
		for (size_t p0 = 0; p0 < k; p0 += 16) {
			const size_t kn = k - p0 < 16 ? k - p0 : 16;
			const __mmask16 km = (__mmask16)((1u << kn) - 1u);
			__m512 c[16];

			for (size_t i = 0; i < 16; i++)
				c[i] = i < ni ? _mm512_maskz_loadu_ps(km, r + (i0 + i) * ldr + p0)
					      : _mm512_setzero_ps();
			transpose16(c);
			for (size_t t = 0; t < kn; t++) {
				const float xp =
				    xscale == 1.0f ? x[(p0 + t) * xs] : xscale * x[(p0 + t) * xs];

				acc = _mm512_fmadd_ps(_mm512_set1_ps(xp), c[t], acc);
			}
		}
		acc = _mm512_min_ps(hi, _mm512_max_ps(lo, acc));
		_mm512_storeu_ps(v, acc);
		for (size_t i = 0; i < ni; i++)
			out[(i0 + i) * os] = v[i];
	}
}
#endif

/* The matrix-vector shapes gemv_avx512 takes instead of the tiles; false if none. */
static bool gemm_as_gemv(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d)
{
#if defined(__x86_64__)
	float min = 0.0f, max = 0.0f;
	bool act_after = false;

	if (kern != &cdl_f32_gemm_kernel_8x32__avx512 || d->k == 0 || d->pack_b)
		return false;
	if (d->m == 1 && d->n > 1 && d->b_rs == 1) {
		/* one row of A against B transposed: B's columns are rows of b */
		act_after = act_split(d->act, &min, &max);
		gemv_avx512(d->n, d->k, d->b, d->b_cs, d->a, d->a_cs, d->alpha,
			    d->accumulate ? d->c : d->bias, d->accumulate ? 1 : 0, d->c, 1, min,
			    max);
	} else if (d->n == 1 && d->m > 1 && d->alpha == 1.0f && d->a_cs == 1) {
		/* A's rows against one column of B */
		act_after = act_split(d->act, &min, &max);
		gemv_avx512(d->m, d->k, d->a, d->a_rs, d->b, d->b_rs, 1.0f,
			    d->accumulate ? d->c : d->bias, d->accumulate ? d->ldc : 1, d->c,
			    d->ldc, min, max);
	} else {
		return false;
	}
	if (act_after) {
		for (size_t i = 0; i < d->m; i++)
			cdl_act_apply(d->act, d->c + i * d->ldc, d->n);
	}
	return true;
#else
	(void)kern;
	(void)d;
	return false;
#endif
}

void cdl_f32_gemm(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws)
{
	const gemm_blocks b = {CDL_GEMM_MC, CDL_GEMM_NC, kc_of(d->k, CDL_GEMM_KC)};

	if (gemm_as_gemv(kern, d))
		return;
	gemm_blocked(kern, d, ws, &b);
}

bool cdl_f32_gemm_ws(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws,
		     size_t ws_size)
{
	gemm_blocks b = {0, 0, 0};

	if (!pick_blocks(d->m, d->n, d->k, ws_size, &b))
		return false;
	if (gemm_as_gemv(kern, d))
		return true;
	gemm_blocked(kern, d, ws, &b);
	return true;
}

/* --- split over worker threads -------------------------------------------------- */

typedef struct gemm_par {
	const cdl_f32_gemm_kernel *kern;
	const cdl_f32_gemm_desc *d;
	bool by_rows;  /* slices of MR-row panels, else of NR-column panels */
	size_t unit;   /* MR or NR */
	size_t panels; /* of rows or columns */
	uint32_t tasks;
	char *ws;
	size_t ws_stride, ws_size;
} gemm_par;

/* C rows (or columns) [p0, p1) x unit of task t: an even share of whole panels. */
static void gemm_par_task(void *arg, uint32_t t, uint32_t worker)
{
	const gemm_par *g = arg;
	const cdl_f32_gemm_desc *d = g->d;
	cdl_f32_gemm_desc s = *d;
	const size_t p0 = g->panels * t / g->tasks, p1 = g->panels * (t + 1) / g->tasks;
	const size_t total = g->by_rows ? d->m : d->n;
	const size_t i0 = p0 * g->unit, i1 = min_size(p1 * g->unit, total);

	if (i0 >= i1)
		return;
	if (g->by_rows) {
		s.m = i1 - i0;
		s.a = d->a + i0 * d->a_rs;
		s.c = d->c + i0 * d->ldc;
		s.bias = d->bias ? d->bias + i0 : NULL;
	} else {
		s.n = i1 - i0;
		if (d->pack_b)
			s.pack_b_n0 = d->pack_b_n0 + i0;
		else
			s.b = d->b + i0 * d->b_cs;
		s.c = d->c + i0;
	}
	/* the caller checked the workspace against this GEMM's minimum, which
	 * bounds every slice's */
	if (!cdl_f32_gemm_ws(g->kern, &s, g->ws + (size_t)worker * g->ws_stride, g->ws_size))
		__builtin_trap();
}

bool cdl_f32_gemm_parallel(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d,
			   const cdl_parallel *par, void *ws, size_t ws_stride, size_t ws_size)
{
	const size_t pm = (d->m + kern->mr - 1) / kern->mr, pn = (d->n + kern->nr - 1) / kern->nr;
	gemm_par g = {.kern = kern, .d = d, .ws = ws, .ws_stride = ws_stride, .ws_size = ws_size};
	size_t max_tasks = 0, macs = 0;

	if (ws_size < cdl_f32_gemm_workspace_min(d->m, d->n, d->k))
		return false;
	if (__builtin_mul_overflow(d->m, d->n, &macs) || __builtin_mul_overflow(macs, d->k, &macs))
		macs = SIZE_MAX;
	max_tasks = cdl_par_tasks(par, macs, SIZE_MAX);
	if (max_tasks < 2 || (pm < 2 && pn < 2))
		return cdl_f32_gemm_ws(kern, d, ws, ws_size);
	/*
	 * Rows or columns: whichever leaves the busiest task the fewest register
	 * tiles; columns on a tie, as each task then packs only its own share of
	 * B (cut by rows, every task packs all of it -- im2col included) while
	 * all read the weights (A) in place.
	 */
	{
		const size_t tm = pm < max_tasks ? pm : max_tasks;
		const size_t tn = pn < max_tasks ? pn : max_tasks;
		const size_t busiest_m = (pm + tm - 1) / tm * pn;
		const size_t busiest_n = (pn + tn - 1) / tn * pm;

		g.by_rows = busiest_m < busiest_n;
		g.unit = g.by_rows ? kern->mr : kern->nr;
		g.panels = g.by_rows ? pm : pn;
		g.tasks = (uint32_t)(g.by_rows ? tm : tn);
	}
	if (g.tasks < 2)
		return cdl_f32_gemm_ws(kern, d, ws, ws_size);
	par->run(par->pool, gemm_par_task, &g, g.tasks);
	return true;
}

#if defined(__x86_64__)
/*
 * CPUID/XGETBV directly rather than __builtin_cpu_supports: that needs
 * libgcc's __cpu_model, which a TA does not have (tests/engine/freestanding).
 */
static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* What the CPU has and the OS saves the registers of, as a cdl_isa. */
static int detect_isa(void)
{
	uint32_t r[4] = {0};
	uint32_t lo = 0, hi = 0, ebx7 = 0;

	cpuid(0, 0, r);
	if (r[0] < 7)
		return CDL_ISA_SCALAR;
	cpuid(1, 0, r);
	/* FMA (ecx 12), OSXSAVE (ecx 27), AVX (ecx 28) */
	if (!((r[2] >> 12) & 1) || !((r[2] >> 27) & 1) || !((r[2] >> 28) & 1))
		return CDL_ISA_SCALAR;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* the OS saves the xmm and ymm state */
	if ((lo & 6u) != 6u)
		return CDL_ISA_SCALAR;
	cpuid(7, 0, r);
	ebx7 = r[1];
	if (!((ebx7 >> 5) & 1)) /* AVX2 (ebx 5) */
		return CDL_ISA_SCALAR;
	/* AVX512F (ebx 16), and the OS saves opmask, ZMM_Hi256, Hi16_ZMM (XCR0 5-7) */
	if (((ebx7 >> 16) & 1) && (lo & 0xe6u) == 0xe6u)
		return CDL_ISA_AVX512;
	return CDL_ISA_AVX2;
}
#endif

/*
 * CPUID traps to the hypervisor in a VM: ask once. A cache, not state: every
 * thread would store the same value. 0 unknown, else the cdl_isa + 1.
 */
static int isa_cached;
/* The cap tests and benchmarks set (cdl_kernels_set_isa_cap), +1; 0 none. */
static int isa_cap;

int cdl_kernels_isa(void)
{
	int v = __atomic_load_n(&isa_cached, __ATOMIC_RELAXED);
	int cap = __atomic_load_n(&isa_cap, __ATOMIC_RELAXED);

	if (v == 0) {
#if defined(__x86_64__)
		v = detect_isa() + 1;
#elif defined(__aarch64__)
		v = CDL_ISA_NEON + 1;
#else
		v = CDL_ISA_SCALAR + 1;
#endif
		__atomic_store_n(&isa_cached, v, __ATOMIC_RELAXED);
	}
	if (cap && cap < v)
		v = cap;
	return v - 1;
}

void cdl_kernels_set_isa_cap(int isa)
{
	__atomic_store_n(&isa_cap, isa < 0 ? 0 : isa + 1, __ATOMIC_RELAXED);
}

#if defined(__aarch64__)
/* NEON + FMA are AArch64 baseline: always available, no detection. */
extern const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_8x8__neon;
#endif

const cdl_f32_gemm_kernel *cdl_f32_gemm_kernel_best(void)
{
#if defined(__aarch64__)
	if (cdl_kernels_isa() < CDL_ISA_NEON)
		return &cdl_f32_gemm_kernel_4x8__scalar;
	return &cdl_f32_gemm_kernel_8x8__neon;
#endif
#if defined(__x86_64__)
	if (cdl_kernels_isa() >= CDL_ISA_AVX512)
		return &cdl_f32_gemm_kernel_8x32__avx512;
	if (cdl_kernels_isa() >= CDL_ISA_AVX2)
		return &cdl_f32_gemm_kernel_6x16__avx2;
#endif
	return &cdl_f32_gemm_kernel_4x8__scalar;
}

size_t cdl_f32_gemm_kernels(const cdl_f32_gemm_kernel **list, size_t max)
{
	const cdl_f32_gemm_kernel *all[4];
	size_t n = 0;

	all[n++] = &cdl_f32_gemm_kernel_4x8__scalar;
#if defined(__aarch64__)
	all[n++] = &cdl_f32_gemm_kernel_8x8__neon;
#endif
#if defined(__x86_64__)
	if (cdl_kernels_isa() >= CDL_ISA_AVX2)
		all[n++] = &cdl_f32_gemm_kernel_6x16__avx2;
	if (cdl_kernels_isa() >= CDL_ISA_AVX512)
		all[n++] = &cdl_f32_gemm_kernel_8x32__avx512;
#endif
	for (size_t i = 0; i < n && i < max; i++)
		list[i] = all[i];
	return n;
}
