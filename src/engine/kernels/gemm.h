/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Single-precision GEMM: C[M x N] = alpha * A[M x K] . B[K x N] (+ bias per
 * row, or + C) followed by a fused activation, BLIS-style:
 *
 *   for each NC-column block of B, each KC-deep slice of K:
 *       pack B(k0.., n0..) into NR-column panels       (workspace)
 *       for each MC-row block of A:
 *           pack A(m0.., k0..) into MR-row panels      (workspace)
 *           micro-kernel on every MR x NR tile of C
 *
 * The micro-kernel is the only architecture-specific part: a scalar reference
 * (kernels/f32-gemm/4x8-scalar.c) and SIMD variants, picked at run time by
 * cdl_f32_gemm_kernel_best() and all checked against the reference by
 * tests/engine/test_conv_ops.c.
 *
 * Operands are strided views, so transposed operands need no copy, and B may
 * instead be produced on the fly by a packing callback: Conv uses that to pack
 * its im2col matrix directly into B panels, never materialising it (the
 * workspace stays bounded by the block sizes below whatever the conv size).
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_KERNELS_GEMM_H
#define CDL_ENGINE_KERNELS_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../op.h"
#include "isa.h"

/* Largest register tile of any variant (sizes the edge-tile scratch). */
#define CDL_GEMM_MAX_MR 16
#define CDL_GEMM_MAX_NR 32

/* Cache blocking: MC x KC of A (L2), KC x NC of B (L3 / shared). */
#define CDL_GEMM_MC 128
#define CDL_GEMM_KC 256
#define CDL_GEMM_NC 512

/*
 * Micro-kernel. a: kc x MR packed (a[k*MR + i]), b: kc x NR packed
 * (b[k*NR + j]). For i < MR, j < NR:
 *   c[i*ldc + j] = clamp(init + sum_k a[k*MR + i] * b[k*NR + j], min, max)
 * where init = c[i*ldc + j] if accumulate, else (bias ? bias[i] : 0).
 * Always a full MR x NR tile; the driver handles edges. min/max are -inf/+inf
 * except on the last K slice (Relu and Clip are applied here for free); the
 * clamp lets NaN through.
 */
typedef void (*cdl_f32_gemm_ukernel_fn)(size_t kc, const float *a, const float *b, float *c,
					size_t ldc, const float *bias, bool accumulate, float min,
					float max);

/*
 * The same with A read in place, row-major: a[i*lda + k] instead of the
 * packed a[k*MR + i]. The very same operations in the same order, so its
 * results are bit-identical to ukernel's on the packed copy. The driver uses
 * it whenever A needs no scaling and has unit column stride (Conv's weights,
 * MatMul's A): A is then never packed, so a layer's weights are read once,
 * where they lie, instead of copied once per block of output columns --
 * what weight pre-packing at pack time would save, without a second copy of
 * the weights in secure memory or a layout tied to one CPU's kernel.
 */
typedef void (*cdl_f32_gemm_ukernel_sa_fn)(size_t kc, const float *a, size_t lda, const float *b,
					   float *c, size_t ldc, const float *bias, bool accumulate,
					   float min, float max);

typedef struct cdl_f32_gemm_kernel {
	const char *name;
	uint32_t mr, nr; /* <= CDL_GEMM_MAX_MR, CDL_GEMM_MAX_NR */
	cdl_f32_gemm_ukernel_fn ukernel;
	cdl_f32_gemm_ukernel_sa_fn ukernel_sa; /* NULL: A is always packed */
} cdl_f32_gemm_kernel;

/* The scalar reference; available everywhere. */
extern const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_4x8__scalar;
#if defined(__x86_64__)
/* AVX2 + FMA; only call when the CPU has both (see cdl_f32_gemm_kernels). */
extern const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_6x16__avx2;
/* AVX512F; only call when cdl_kernels_isa() >= CDL_ISA_AVX512. */
extern const cdl_f32_gemm_kernel cdl_f32_gemm_kernel_8x32__avx512;
#endif

/* The fastest variant this CPU runs (within cdl_kernels_set_isa_cap). */
const cdl_f32_gemm_kernel *cdl_f32_gemm_kernel_best(void);

/* Every variant this CPU runs (reference first), for tests and benchmarks.
 * Returns the total count; fills at most max entries. */
size_t cdl_f32_gemm_kernels(const cdl_f32_gemm_kernel **list, size_t max);

/*
 * Packs the B slice rows [k0, k0+kc) x columns [n0, n0+nc) into NR-column
 * panels: dst[q*kc*nr + k*nr + j] = B(k0+k, n0+q*nr+j), zero for columns at or
 * past n0+nc, for q < ceil(nc/nr).
 */
typedef void (*cdl_f32_gemm_pack_b_fn)(const void *arg, size_t k0, size_t kc, size_t n0, size_t nc,
				       size_t nr, float *dst);

typedef struct cdl_f32_gemm_desc {
	size_t m, n, k;
	/* A(i, p) = a[i*a_rs + p*a_cs], multiplied by alpha while packing. */
	const float *a;
	size_t a_rs, a_cs;
	float alpha;
	/* B(p, j) = b[p*b_rs + j*b_cs], unless pack_b is set: then pack_b(pack_b_arg, ...) */
	const float *b;
	size_t b_rs, b_cs;
	cdl_f32_gemm_pack_b_fn pack_b;
	const void *pack_b_arg;
	size_t pack_b_n0; /* pack_b's column of this GEMM's column 0 (a slice of a larger B) */
	/* C(i, j) = c[i*ldc + j] */
	float *c;
	size_t ldc;
	const float *bias;  /* per row of C (length m), or NULL */
	bool accumulate;    /* C += alpha A.B (bias ignored) instead of C = bias + alpha A.B */
	const cdl_act *act; /* applied to C at the end, or NULL */
} cdl_f32_gemm_desc;

/*
 * Workspace bytes cdl_f32_gemm needs for these dims, for every kernel
 * variant. Bounded by the block sizes (well under 1 MiB) whatever m, n, k.
 */
size_t cdl_f32_gemm_workspace_size(size_t m, size_t n, size_t k);

/* Runs the GEMM; ws is 64-byte aligned, at least cdl_f32_gemm_workspace_size bytes. */
void cdl_f32_gemm(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws);

/*
 * The smallest workspace cdl_f32_gemm_ws runs in for these dims (at most
 * CDL_GEMM_WORKSPACE_MIN bytes whatever m, n, k).
 */
size_t cdl_f32_gemm_workspace_min(size_t m, size_t n, size_t k);
#define CDL_GEMM_WORKSPACE_MIN                                                               \
	((2 * CDL_GEMM_MAX_MR * 16 + 2 * CDL_GEMM_MAX_NR * 16 +                               \
	  CDL_GEMM_MAX_MR * CDL_GEMM_MAX_NR) *                                                \
	 sizeof(float))

/*
 * Runs the GEMM in ws_size bytes of workspace (for tight secure heaps): the
 * default blocks when cdl_f32_gemm_workspace_size fits, else smaller NC, KC,
 * MC blocks (slower). The results are bit-identical whatever the blocks:
 * every C element still starts from its initial value and adds its K products
 * in order, the partial sums between K slices going through C exactly. false
 * (nothing computed) if ws_size < cdl_f32_gemm_workspace_min.
 */
bool cdl_f32_gemm_ws(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d, void *ws,
		     size_t ws_size) __attribute__((warn_unused_result));

/*
 * cdl_f32_gemm_ws split over par's workers (par NULL or one worker: just
 * that). C is cut into slices of whole MR-row or NR-column panels, one per
 * task, each run like cdl_f32_gemm_ws in worker w's workspace (ws + w *
 * ws_stride, ws_size bytes each). Bit-identical to cdl_f32_gemm_ws: each C
 * element is the same chain whatever the slice (see cdl_f32_gemm_ws), and a
 * slice of the 8x32 AVX-512 kernel's GEMM that becomes a matrix-vector
 * product is computed as that kernel would. false (nothing computed) if
 * ws_size < cdl_f32_gemm_workspace_min.
 */
bool cdl_f32_gemm_parallel(const cdl_f32_gemm_kernel *kern, const cdl_f32_gemm_desc *d,
			   const cdl_parallel *par, void *ws, size_t ws_stride, size_t ws_size)
	__attribute__((warn_unused_result));

/* The packing of a strided B (exposed for callbacks that fall back to it). */
void cdl_f32_gemm_pack_b_strided(const float *b, size_t b_rs, size_t b_cs, size_t k0, size_t kc,
				 size_t n0, size_t nc, size_t nr, float *dst);

#endif /* CDL_ENGINE_KERNELS_GEMM_H */
