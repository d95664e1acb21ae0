// SPDX-License-Identifier: Apache-2.0
/*
 * Depthwise convolution: which specialised variant runs a geometry, and the
 * scalar specialised variants (3x3 / 5x5, stride 1 / 2). The generic
 * reference is cdl_f32_dwconv_channel__scalar (kernels/conv.c).
 *
 * The scalar variants do exactly the reference's arithmetic (bias, then
 * w * x tap by tap in row-major order, taps in the padding skipped, no FMA),
 * so they match it bit for bit; what they gain is locality and constants:
 * one output row at a time (in L1) instead of the whole plane per tap, with
 * the tap loops of known length.
 */
#include "conv.h"
#include "f32-dwconv/dwconv.h"
#include "isa.h"

bool cdl_f32_dwconv_fits(const cdl_conv_geom *g, uint32_t k, uint32_t s)
{
	/* 2-D (the leading axis unit), square kernel, same stride both axes */
	return g->in[0] == 1 && g->out[0] == 1 && g->kernel[0] == 1 && g->pad[0] == 0 &&
	       g->kernel[1] == k && g->kernel[2] == k && g->stride[1] == s && g->stride[2] == s &&
	       g->dilation[1] == 1 && g->dilation[2] == 1;
}

/*
 * One output row, tap by tap: the reference's loop order restricted to one
 * row (so it stays in L1), with k and s constant. Each tap's pass over the
 * row is a plain strided loop the compiler vectorises.
 */
__attribute__((always_inline)) static inline void dw_row_scalar(const dw_row *r, const float *w,
								int k, int s)
{
	float *restrict y = r->y;

	for (int64_t ow = 0; ow < r->ow; ow++)
		y[ow] = r->bias;
	for (int kh = 0; kh < k; kh++) {
		const float *restrict xr = r->rows[kh];

		if (!xr)
			continue;
		for (int kw = 0; kw < k; kw++) {
			const float wv = w[kh * k + kw];
			const int64_t off = kw - r->pad;
			/* outputs whose input ow*s + off lies inside [0, w) */
			int64_t lo = off < 0 ? (-off + s - 1) / s : 0;
			int64_t hi = r->w - 1 - off < 0 ? 0 : (r->w - 1 - off) / s + 1;

			if (hi > r->ow)
				hi = r->ow;
			for (int64_t ow = lo; ow < hi; ow++)
				y[ow] += wv * xr[ow * s + off];
		}
	}
}

/*
 * The reference applies the activation after the sums: so do these (no
 * clamp). Below 16 outputs a row the reference's whole-plane passes are the
 * faster scalar code (min_width).
 */
#define SCALAR_VARIANT(K, S)                                                                       \
	static void row_##K##x##K##s##S(const dw_row *r, const float *w)                           \
	{                                                                                          \
		dw_row_scalar(r, w, K, S);                                                         \
	}                                                                                          \
	static void dwconv_##K##x##K##s##S##__scalar(const cdl_conv_geom *g, const float *x,       \
						     const float *w, float bias, float *y,         \
						     const cdl_act *act)                           \
	{                                                                                          \
		const cdl_act none = {CDL_ACT_NONE, 0.0f, 0.0f};                                   \
                                                                                                   \
		DW_CHANNEL(g, x, w, bias, y, &none, K, S, row_##K##x##K##s##S);                    \
		if (act && act->kind != CDL_ACT_NONE)                                              \
			cdl_act_apply(act, y, (size_t)(g->out[1] * g->out[2]));                    \
	}                                                                                          \
	static const cdl_f32_dwconv_kernel dwconv_##K##x##K##s##S##_scalar =                       \
	    {                                                                                      \
		#K "x" #K "s" #S "-scalar",	 K, S, CDL_ISA_SCALAR, 16,                         \
		dwconv_##K##x##K##s##S##__scalar}

SCALAR_VARIANT(3, 1);
SCALAR_VARIANT(3, 2);
SCALAR_VARIANT(5, 1);
SCALAR_VARIANT(5, 2);

/* Best first within each (k, s). */
static const cdl_f32_dwconv_kernel *const all_variants[] = {
#if defined(__x86_64__)
    &cdl_f32_dwconv_3x3s1__avx512, &cdl_f32_dwconv_3x3s2__avx512, &cdl_f32_dwconv_5x5s1__avx512,
    &cdl_f32_dwconv_5x5s2__avx512, &cdl_f32_dwconv_3x3s1__avx2,	  &cdl_f32_dwconv_3x3s2__avx2,
    &cdl_f32_dwconv_5x5s1__avx2,   &cdl_f32_dwconv_5x5s2__avx2,
#endif
    &dwconv_3x3s1_scalar,	   &dwconv_3x3s2_scalar,	  &dwconv_5x5s1_scalar,
    &dwconv_5x5s2_scalar,
};

#define N_VARIANTS (sizeof(all_variants) / sizeof(all_variants[0]))

const cdl_f32_dwconv_kernel *cdl_f32_dwconv_kernel_best(const cdl_conv_geom *g)
{
	const int isa = cdl_kernels_isa();

	for (size_t i = 0; i < N_VARIANTS; i++) {
		const cdl_f32_dwconv_kernel *v = all_variants[i];

		if (v->isa <= isa && g->out[2] >= v->min_width &&
		    cdl_f32_dwconv_fits(g, v->k, v->s))
			return v;
	}
	return NULL;
}

size_t cdl_f32_dwconv_kernels(const cdl_f32_dwconv_kernel **list, size_t max)
{
	const int isa = cdl_kernels_isa();
	size_t n = 0;

	for (size_t i = 0; i < N_VARIANTS; i++) {
		if (all_variants[i]->isa > isa)
			continue;
		if (n < max)
			list[n] = all_variants[i];
		n++;
	}
	return n;
}
