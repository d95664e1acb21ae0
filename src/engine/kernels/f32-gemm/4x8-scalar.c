// SPDX-License-Identifier: Apache-2.0
/*
 * The reference f32 GEMM micro-kernel: plain C, a 4 x 8 tile of accumulators
 * (small enough to stay in registers on every target; compilers vectorise
 * the j loop on their own).
 */
#include "../gemm.h"

#define MR 4
#define NR 8

static void cdl_f32_gemm_ukernel_4x8__scalar(size_t kc, const float *restrict a,
					     const float *restrict b, float *restrict c, size_t ldc,
					     const float *restrict bias, bool accumulate, float min,
					     float max)
{
	float acc[MR][NR];

	for (size_t i = 0; i < MR; i++) {
		for (size_t j = 0; j < NR; j++)
			acc[i][j] = accumulate ? c[i * ldc + j] : (bias ? bias[i] : 0.0f);
	}
	for (size_t p = 0; p < kc; p++) {
		for (size_t i = 0; i < MR; i++) {
			const float ai = a[p * MR + i];

			for (size_t j = 0; j < NR; j++)
				acc[i][j] += ai * b[p * NR + j];
		}
	}
	for (size_t i = 0; i < MR; i++) {
		for (size_t j = 0; j < NR; j++) {
			float v = acc[i][j];

			v = v < min ? min : v;
			v = v > max ? max : v;
			c[i * ldc + j] = v;
		}
	}
}

const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_4x8__scalar = {
    .name = "4x8-scalar",
    .mr = MR,
    .nr = NR,
    .ukernel = cdl_f32_gemm_ukernel_4x8__scalar,
};
