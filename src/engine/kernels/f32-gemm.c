// SPDX-License-Identifier: Apache-2.0
/*
 * The f32 GEMM driver: cache blocking, packing, edge tiles and the epilogue
 * around a micro-kernel (see gemm.h for the loop structure).
 */
#include <string.h>

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
		{CDL_GEMM_MC, CDL_GEMM_NC, CDL_GEMM_KC}, {CDL_GEMM_MC, 256, CDL_GEMM_KC},
		{CDL_GEMM_MC, 128, CDL_GEMM_KC},	 {CDL_GEMM_MC, 128, 128},
		{CDL_GEMM_MC, 128, 64},		 {CDL_GEMM_MC, 64, 64},
		{CDL_GEMM_MC, 32, 64},		 {CDL_GEMM_MC, 32, 32},
		{CDL_GEMM_MC, 32, 16},		 {64, 32, 16},
		{32, 32, 16},			 {CDL_GEMM_MAX_MR, CDL_GEMM_MAX_NR, 16},
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

void cdl_f32_gemm_pack_b_strided(const float *b, size_t b_rs, size_t b_cs, size_t k0, size_t kc,
				 size_t n0, size_t nc, size_t nr, float *dst)
{
	for (size_t j0 = 0; j0 < nc; j0 += nr) {
		float *p = dst + j0 * kc;
		size_t ne = min_size(nr, nc - j0);

		for (size_t k = 0; k < kc; k++) {
			const float *row = b + (k0 + k) * b_rs + (n0 + j0) * b_cs;
			size_t j = 0;

			if (b_cs == 1) {
				memcpy(p + k * nr, row, ne * sizeof(float));
				j = ne;
			}
			for (; j < ne; j++)
				p[k * nr + j] = row[j * b_cs];
			for (; j < nr; j++)
				p[k * nr + j] = 0.0f;
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
	float *tile; /* MR x NR scratch for edge tiles */
	size_t m0, mc, n0, nc, kc;
	bool acc;
	float lo, hi;
} gemm_block;

/* A tile cut by the edge of C: run the full tile on scratch, copy back the valid part. */
static void edge_tile(const gemm_block *b, const float *ap, const float *bp, float *ct,
		      const float *bias, size_t me, size_t ne)
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
	b->kern->ukernel(b->kc, ap, bp, b->tile, nr, NULL, true, b->lo, b->hi);
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
			const float *ap = b->pa + i0 * b->kc;
			const float *bias = b->d->bias ? b->d->bias + b->m0 + i0 : NULL;
			float *ct = b->d->c + (b->m0 + i0) * ldc + b->n0 + j0;

			if (me == mr && ne == nr)
				b->kern->ukernel(b->kc, ap, bp, ct, ldc, bias, b->acc, b->lo,
						 b->hi);
			else
				edge_tile(b, ap, bp, ct, bias, me, ne);
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
	gemm_block b = {.kern = kern, .d = d, .pa = pa, .pb = pb};

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
				d->pack_b(d->pack_b_arg, k0, b.kc, b.n0, b.nc, nr, pb);
			else
				cdl_f32_gemm_pack_b_strided(d->b, d->b_rs, d->b_cs, k0, b.kc, b.n0,
							    b.nc, nr, pb);
			for (b.m0 = 0; b.m0 < d->m; b.m0 += mc_max) {
				b.mc = min_size(mc_max, d->m - b.m0);
				pack_a(d, mr, b.m0, b.mc, k0, b.kc, pa);
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

void cdl_f32_gemm(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws)
{
	const gemm_blocks b = {CDL_GEMM_MC, CDL_GEMM_NC, kc_of(d->k, CDL_GEMM_KC)};

	gemm_blocked(kern, d, ws, &b);
}

bool cdl_f32_gemm_ws(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws,
		     size_t ws_size)
{
	gemm_blocks b = {0, 0, 0};

	if (!pick_blocks(d->m, d->n, d->k, ws_size, &b))
		return false;
	gemm_blocked(kern, d, ws, &b);
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

static bool detect_avx2_fma(void)
{
	uint32_t r[4] = {0};
	uint32_t lo = 0, hi = 0;
	bool fma = false;

	cpuid(0, 0, r);
	if (r[0] < 7)
		return false;
	cpuid(1, 0, r);
	/* FMA (ecx 12), OSXSAVE (ecx 27), AVX (ecx 28) */
	fma = (r[2] >> 12) & 1;
	if (!fma || !((r[2] >> 27) & 1) || !((r[2] >> 28) & 1))
		return false;
	/* the OS saves the xmm and ymm state */
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6u) != 6u)
		return false;
	cpuid(7, 0, r);
	return (r[1] >> 5) & 1; /* AVX2 (ebx 5) */
}

static bool cpu_has_avx2_fma(void)
{
	/* CPUID traps to the hypervisor in a VM: ask once. A cache, not state:
	 * every thread would store the same value. 0 unknown, 1 no, 2 yes. */
	static int cached;
	int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (v == 0) {
		v = detect_avx2_fma() ? 2 : 1;
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	return v == 2;
}
#endif

#if defined(__aarch64__)
/* NEON + FMA are AArch64 baseline: always available, no detection. */
extern const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_8x8__neon;
#endif

const cdl_f32_gemm_kernel *cdl_f32_gemm_kernel_best(void)
{
#if defined(__aarch64__)
	return &cdl_f32_gemm_kernel_8x8__neon;
#endif
#if defined(__x86_64__)
	if (cpu_has_avx2_fma())
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
	if (cpu_has_avx2_fma())
		all[n++] = &cdl_f32_gemm_kernel_6x16__avx2;
#endif
	for (size_t i = 0; i < n && i < max; i++)
		list[i] = all[i];
	return n;
}
