/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GCC's <xmmintrin.h> (reached from <immintrin.h>, which x86 SIMD kernels
 * include) pulls in <mm_malloc.h> for _mm_malloc/_mm_free, and GCC's
 * mm_malloc.h includes <stdlib.h>. The engine never calls _mm_malloc, so for
 * the freestanding check this empty header stands in for it: the intrinsics
 * stay usable, and a kernel that did call _mm_malloc would fail to compile.
 */
#ifndef CDL_FREESTANDING_MM_MALLOC_H
#define CDL_FREESTANDING_MM_MALLOC_H
#endif
