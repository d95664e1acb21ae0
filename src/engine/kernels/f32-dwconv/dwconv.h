/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the specialised depthwise variants share (kernels/f32-dwconv.c and
 * kernels/f32-dwconv/ *.c): the walk over output rows. Internal to the family.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_KERNELS_F32_DWCONV_DWCONV_H
#define CDL_ENGINE_KERNELS_F32_DWCONV_DWCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../conv.h"

#define DW_MAX_K 5

/* One output row: its input rows and where it goes. */
typedef struct dw_row {
	const float *rows[DW_MAX_K]; /* input row of each kernel row; NULL in the padding */
	float *y;		     /* ow outputs */
	int64_t ow, w, pad;	     /* output width, input width, leading pad along w */
	float bias, lo, hi;	     /* clamp [lo, hi]: Relu / Clip fused, else +-inf */
} dw_row;

/*
 * Relu and Clip become a clamp in the row kernels; any other activation runs
 * over each finished row (still in L1). Returns true for the latter.
 */
static inline bool dw_act_split(const cdl_act *act, float *lo, float *hi)
{
	*lo = -__builtin_inff();
	*hi = __builtin_inff();
	if (!act || act->kind == CDL_ACT_NONE)
		return false;
	if (act->kind == CDL_ACT_RELU) {
		*lo = 0.0f;
		return false;
	}
	if (act->kind == CDL_ACT_CLIP) {
		*lo = act->alpha;
		*hi = act->beta;
		return false;
	}
	return true;
}

/*
 * Calls row(r, w) for every output row of channel x -> y (g as checked by
 * cdl_f32_dwconv_fits for k, s), then the activation. Inlined into each
 * variant with k and s constant.
 */
#define DW_CHANNEL(g, x, w, bias, y, act, k, s, row)                                               \
	do {                                                                                       \
		dw_row r_;                                                                         \
		bool after_ = dw_act_split(act, &r_.lo, &r_.hi);                                   \
		const int64_t h_ = (g)->in[1], oh_n_ = (g)->out[1];                                \
                                                                                                   \
		r_.ow = (g)->out[2];                                                               \
		r_.w = (g)->in[2];                                                                 \
		r_.pad = (g)->pad[2];                                                              \
		r_.bias = (bias);                                                                  \
		for (int64_t oh_ = 0; oh_ < oh_n_; oh_++) {                                        \
			for (int64_t kh_ = 0; kh_ < (k); kh_++) {                                  \
				const int64_t ih_ = oh_ * (s) - (g)->pad[1] + kh_;                 \
				r_.rows[kh_] = ih_ >= 0 && ih_ < h_ ? (x) + ih_ * r_.w : NULL;     \
			}                                                                          \
			r_.y = (y) + oh_ * r_.ow;                                                  \
			row(&r_, (w));                                                             \
			if (after_)                                                                \
				cdl_act_apply((act), r_.y, (size_t)r_.ow);                         \
		}                                                                                  \
	} while (0)

#if defined(__x86_64__)
extern const cdl_f32_dwconv_kernel cdl_f32_dwconv_3x3s1__avx2, cdl_f32_dwconv_3x3s2__avx2,
    cdl_f32_dwconv_5x5s1__avx2, cdl_f32_dwconv_5x5s2__avx2;
extern const cdl_f32_dwconv_kernel cdl_f32_dwconv_3x3s1__avx512, cdl_f32_dwconv_3x3s2__avx512,
    cdl_f32_dwconv_5x5s1__avx512, cdl_f32_dwconv_5x5s2__avx512;
#endif

#endif /* CDL_ENGINE_KERNELS_F32_DWCONV_DWCONV_H */
