// SPDX-License-Identifier: Apache-2.0
/*
 * AVX2 + FMA f32 GEMM micro-kernel: 6 x 16 tile, 12 ymm accumulators, two
 * B vectors and one broadcast A value per step (15 of the 16 registers).
 * Compiled for avx2,fma by attribute only, so the rest of the engine stays
 * baseline x86-64; cdl_f32_gemm_kernel_best() picks it when the CPU (and OS)
 * support both. Results differ from the scalar reference by FMA rounding only.
 * <immintrin.h> is the compiler's intrinsics header, not libc.
 */
#include "../gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define MR 6
#define NR 16

__attribute__((target("avx2,fma"))) static void
cdl_f32_gemm_ukernel_6x16__avx2(size_t kc, const float *restrict a, const float *restrict b,
				float *restrict c, size_t ldc, const float *restrict bias,
				bool accumulate, float min, float max)
{
	__m256 acc[MR][2];

	for (size_t i = 0; i < MR; i++) {
		if (accumulate) {
			acc[i][0] = _mm256_loadu_ps(c + i * ldc);
			acc[i][1] = _mm256_loadu_ps(c + i * ldc + 8);
		} else {
			acc[i][0] = _mm256_set1_ps(bias ? bias[i] : 0.0f);
			acc[i][1] = acc[i][0];
		}
	}
	for (size_t p = 0; p < kc; p++) {
		const __m256 b0 = _mm256_loadu_ps(b);
		const __m256 b1 = _mm256_loadu_ps(b + 8);

		for (size_t i = 0; i < MR; i++) {
			const __m256 ai = _mm256_broadcast_ss(a + i);

			acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
			acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
		}
		a += MR;
		b += NR;
	}
	{
		/* max(lo, x) and min(hi, x) return x when x is NaN (second operand). */
		const __m256 lo = _mm256_set1_ps(min), hi = _mm256_set1_ps(max);

		for (size_t i = 0; i < MR; i++) {
			_mm256_storeu_ps(c + i * ldc,
					 _mm256_min_ps(hi, _mm256_max_ps(lo, acc[i][0])));
			_mm256_storeu_ps(c + i * ldc + 8,
					 _mm256_min_ps(hi, _mm256_max_ps(lo, acc[i][1])));
		}
	}
}

const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_6x16__avx2 = {
    .name = "6x16-avx2",
    .mr = MR,
    .nr = NR,
    .ukernel = cdl_f32_gemm_ukernel_6x16__avx2,
};
#endif /* __x86_64__ */
