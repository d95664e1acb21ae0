/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which SIMD instruction sets the kernels may use, detected at run time (on
 * x86 with CPUID and XGETBV: no -march=native build that would crash on
 * another CPU). Every kernel family picks its variant from this.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_KERNELS_ISA_H
#define CDL_ENGINE_KERNELS_ISA_H

/* Ordered: a higher level on x86 implies the lower ones. */
typedef enum cdl_isa {
	CDL_ISA_SCALAR = 0,
	CDL_ISA_NEON = 1,   /* AArch64: always there */
	CDL_ISA_AVX2 = 2,   /* x86-64: AVX2 + FMA, ymm state saved by the OS */
	CDL_ISA_AVX512 = 3, /* x86-64: AVX512F as well, zmm and opmask state saved */
} cdl_isa;

/* The best cdl_isa this CPU runs, lowered to the cap if one is set. */
int cdl_kernels_isa(void);

/*
 * Caps cdl_kernels_isa() at isa (a cdl_isa; negative removes the cap), so
 * that tests and benchmarks can force every variant of every family through
 * the ops. Never raises it above what the CPU has. Process-wide; a TA never
 * calls it.
 */
void cdl_kernels_set_isa_cap(int isa);

#endif /* CDL_ENGINE_KERNELS_ISA_H */
