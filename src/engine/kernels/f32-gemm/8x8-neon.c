// SPDX-License-Identifier: Apache-2.0
/*
 * AArch64 NEON f32 GEMM micro-kernel: 8 x 8 tile, 16 q-register accumulators
 * (two per row), the 8 A values of a step in two q registers and each
 * accumulator updated by a fused multiply-add by lane (FMLA v.4s, v.s[l]):
 * 20 of the 32 vector registers, no broadcasts. NEON and FMA are part of
 * the AArch64 base ISA, so there is nothing to detect at run time:
 * cdl_f32_gemm_kernel_best() picks it on every aarch64 build. Results differ
 * from the scalar reference by FMA rounding only (as the AVX2 kernel's).
 * <arm_neon.h> is the compiler's intrinsics header, not libc.
 */
#include "../gemm.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define MR 8
#define NR 8

/* Row r of the tile: acc[r] += a[r] * b, lane l of the A register ar. */
#define FMA_ROW(r, ar, l)                                                                          \
	do {                                                                                       \
		acc##r##0 = vfmaq_laneq_f32(acc##r##0, b0, ar, l);                                 \
		acc##r##1 = vfmaq_laneq_f32(acc##r##1, b1, ar, l);                                 \
	} while (0)

/* vmaxq/vminq (FMAX/FMIN, not the ...nm forms) return NaN for a NaN input,
 * so the clamp lets NaN through as the reference's does. */
#define STORE_ROW(r)                                                                               \
	do {                                                                                       \
		vst1q_f32(c + (r)*ldc, vminq_f32(hi, vmaxq_f32(lo, acc##r##0)));                   \
		vst1q_f32(c + (r)*ldc + 4, vminq_f32(hi, vmaxq_f32(lo, acc##r##1)));               \
	} while (0)

static void cdl_f32_gemm_ukernel_8x8__neon(size_t kc, const float *restrict a,
					   const float *restrict b, float *restrict c, size_t ldc,
					   const float *restrict bias, bool accumulate, float min,
					   float max)
{
	float32x4_t acc00, acc01, acc10, acc11, acc20, acc21, acc30, acc31;
	float32x4_t acc40, acc41, acc50, acc51, acc60, acc61, acc70, acc71;

	if (accumulate) {
		acc00 = vld1q_f32(c + 0 * ldc);
		acc01 = vld1q_f32(c + 0 * ldc + 4);
		acc10 = vld1q_f32(c + 1 * ldc);
		acc11 = vld1q_f32(c + 1 * ldc + 4);
		acc20 = vld1q_f32(c + 2 * ldc);
		acc21 = vld1q_f32(c + 2 * ldc + 4);
		acc30 = vld1q_f32(c + 3 * ldc);
		acc31 = vld1q_f32(c + 3 * ldc + 4);
		acc40 = vld1q_f32(c + 4 * ldc);
		acc41 = vld1q_f32(c + 4 * ldc + 4);
		acc50 = vld1q_f32(c + 5 * ldc);
		acc51 = vld1q_f32(c + 5 * ldc + 4);
		acc60 = vld1q_f32(c + 6 * ldc);
		acc61 = vld1q_f32(c + 6 * ldc + 4);
		acc70 = vld1q_f32(c + 7 * ldc);
		acc71 = vld1q_f32(c + 7 * ldc + 4);
	} else {
		/* bias[0..7] as two vectors (zero without a bias), one lane per row */
		const float32x4_t z = vdupq_n_f32(0.0f);
		const float32x4_t bv0 = bias ? vld1q_f32(bias) : z;
		const float32x4_t bv1 = bias ? vld1q_f32(bias + 4) : z;

		acc00 = acc01 = vdupq_laneq_f32(bv0, 0);
		acc10 = acc11 = vdupq_laneq_f32(bv0, 1);
		acc20 = acc21 = vdupq_laneq_f32(bv0, 2);
		acc30 = acc31 = vdupq_laneq_f32(bv0, 3);
		acc40 = acc41 = vdupq_laneq_f32(bv1, 0);
		acc50 = acc51 = vdupq_laneq_f32(bv1, 1);
		acc60 = acc61 = vdupq_laneq_f32(bv1, 2);
		acc70 = acc71 = vdupq_laneq_f32(bv1, 3);
	}
	for (size_t p = 0; p < kc; p++) {
		const float32x4_t a0 = vld1q_f32(a);
		const float32x4_t a1 = vld1q_f32(a + 4);
		const float32x4_t b0 = vld1q_f32(b);
		const float32x4_t b1 = vld1q_f32(b + 4);

		FMA_ROW(0, a0, 0);
		FMA_ROW(1, a0, 1);
		FMA_ROW(2, a0, 2);
		FMA_ROW(3, a0, 3);
		FMA_ROW(4, a1, 0);
		FMA_ROW(5, a1, 1);
		FMA_ROW(6, a1, 2);
		FMA_ROW(7, a1, 3);
		a += MR;
		b += NR;
	}
	{
		const float32x4_t lo = vdupq_n_f32(min), hi = vdupq_n_f32(max);

		STORE_ROW(0);
		STORE_ROW(1);
		STORE_ROW(2);
		STORE_ROW(3);
		STORE_ROW(4);
		STORE_ROW(5);
		STORE_ROW(6);
		STORE_ROW(7);
	}
}

const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_8x8__neon = {
    .name = "8x8-neon",
    .mr = MR,
    .nr = NR,
    .ukernel = cdl_f32_gemm_ukernel_8x8__neon,
};
#endif /* __aarch64__ */
