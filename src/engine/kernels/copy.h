/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Short copies and fills for the packing routines (GEMM panels, im2col).
 * Their runs are at most a panel wide (NR <= 32 floats). Contiguous runs go
 * to memcpy (glibc's small-copy path beat masked AVX-512 moves here: im2col
 * 16.9 against 12.4 GB/s, bench_kernels im2col); the stride-2 runs of
 * stride-2 convolutions are deinterleaved in registers with AVX-512 (resnet18's
 * 7x7/2 stem: 162 against 148 GFLOP/s with a scalar strided loop).
 * Internal to src/engine/kernels.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_KERNELS_COPY_H
#define CDL_ENGINE_KERNELS_COPY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "isa.h"

#if defined(__x86_64__)
#include <immintrin.h>

/* d[t] = src[t * s] for t < n (src NULL: zeros); s == 2 deinterleaves in registers. */
__attribute__((target("avx512f"))) static inline void cdl_fill_avx512(float *d, const float *src,
								      size_t n, int64_t s)
{
	const __m512i even =
	    _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);

	/* whole vectors first: plain moves */
	if (!src) {
		for (; n >= 16; n -= 16, d += 16)
			_mm512_storeu_ps(d, _mm512_setzero_ps());
	} else if (s == 1) {
		for (; n >= 16; n -= 16, d += 16, src += 16)
			_mm512_storeu_ps(d, _mm512_loadu_ps(src));
	}
	while (n) {
		const size_t take = n < 16 ? n : 16;
		const __mmask16 m = (__mmask16)((1u << take) - 1u);
		__m512 v = _mm512_setzero_ps();

		if (src && s == 1) {
			v = _mm512_maskz_loadu_ps(m, src);
		} else if (src && s == 2) {
			/* elements 0, 2, .. 2*(take-1): the second load only when needed */
			const __mmask16 m0 =
			    (__mmask16)(take >= 8 ? 0xffffu : (1u << (2 * take - 1)) - 1u);
			const __mmask16 m1 =
			    (__mmask16)(take > 8 ? (1u << (2 * (take - 8) - 1)) - 1u : 0u);

			v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m0, src), even,
						   _mm512_maskz_loadu_ps(m1, src + 16));
		} else if (src) {
			float tmp[16];

			for (size_t t = 0; t < take; t++)
				tmp[t] = src[(int64_t)t * s];
			v = _mm512_maskz_loadu_ps(m, tmp);
		}
		_mm512_mask_storeu_ps(d, m, v);
		d += take;
		if (src)
			src += (int64_t)take * s;
		n -= take;
	}
}
#endif

/* The same on any CPU, as measured best; isa is cdl_kernels_isa(), read once by the caller. */
static inline void cdl_fill(int isa, float *d, const float *src, size_t n, int64_t s)
{
#if defined(__x86_64__)
	if (isa >= CDL_ISA_AVX512 && src && s == 2) {
		cdl_fill_avx512(d, src, n, s);
		return;
	}
#endif
	(void)isa;
	if (!src) {
		for (size_t t = 0; t < n; t++)
			d[t] = 0.0f;
	} else if (s == 1) {
		memcpy(d, src, n * sizeof(float));
	} else {
		for (size_t t = 0; t < n; t++)
			d[t] = src[(int64_t)t * s];
	}
}

#endif /* CDL_ENGINE_KERNELS_COPY_H */
