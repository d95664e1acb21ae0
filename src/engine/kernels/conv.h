/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Convolution kernels besides the GEMM: the im2col packer that feeds Conv's
 * GEMM, the direct depthwise convolution, and ConvTranspose's col2im.
 *
 * Geometry is always 3-D here: 1-D and 2-D convolutions pad their spatial
 * dims on the left with size-1 dims (kernel 1, stride 1, dilation 1, pad 0).
 * The ops validate everything (ops/conv.c, ops/conv_transpose.c) so that
 * every index computed here stays inside the tensors.
 *
 * Freestanding (DESIGN §3).
 */
#ifndef CDL_ENGINE_KERNELS_CONV_H
#define CDL_ENGINE_KERNELS_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../op.h"

typedef struct cdl_conv_geom {
	/* Per spatial axis (d, h, w). "in" is the side the kernel reads from
	 * (Conv's input, ConvTranspose's output). */
	int64_t in[3], out[3];
	int64_t kernel[3], stride[3], dilation[3], pad[3]; /* pad = leading pad */
} cdl_conv_geom;

/*
 * Argument of cdl_f32_im2col_pack_b: the im2col matrix of one group of one
 * image, rows (c, kd, kh, kw) for c < channels, columns (od, oh, ow):
 *   B(row, col) = x[c][od*s - p + kd*dl][...] or 0 outside the input.
 */
typedef struct cdl_im2col_src {
	const float *x; /* first channel of the group; channels planes of in[0]*in[1]*in[2] */
	size_t channels;
	const cdl_conv_geom *g;
} cdl_im2col_src;

/* A cdl_f32_gemm_pack_b_fn over a cdl_im2col_src. */
void cdl_f32_im2col_pack_b(const void *src, size_t k0, size_t kc, size_t n0, size_t nc, size_t nr,
			   float *dst);

/*
 * Depthwise convolution, one channel: y[o] = bias + sum_k w[k] * x[o*s - p + k*dl]
 * over the taps inside x, for every output position of g, then act.
 */
void cdl_f32_dwconv_channel__scalar(const cdl_conv_geom *g, const float *x, const float *w,
				    float bias, float *y, const cdl_act *act);

/*
 * Specialised depthwise kernels: 2-D, square 3x3 or 5x5 kernel, stride 1 or
 * 2 on both axes, no dilation, any padding; one channel per call, the same
 * contract as cdl_f32_dwconv_channel__scalar (which stays the reference and
 * runs every other geometry). They sum the taps in the reference's order
 * (rows, then columns); the SIMD variants fuse multiply and add (FMA
 * rounding) and, at the borders, add w * 0 for a tap in the padding where
 * the reference skips it.
 */
typedef void (*cdl_f32_dwconv_fn)(const cdl_conv_geom *g, const float *x, const float *w,
				  float bias, float *y, const cdl_act *act);

typedef struct cdl_f32_dwconv_kernel {
	const char *name;  /* e.g. "3x3s2-avx2" */
	uint32_t k, s;	   /* kernel size, stride */
	int isa;	   /* the cdl_isa it needs */
	int64_t min_width; /* best picks it only for outputs at least this wide */
	cdl_f32_dwconv_fn fn;
} cdl_f32_dwconv_kernel;

/* The fastest variant for g on this CPU, or NULL (use the reference). */
const cdl_f32_dwconv_kernel *cdl_f32_dwconv_kernel_best(const cdl_conv_geom *g);

/* Every variant this CPU runs (for tests and benchmarks); returns the total count. */
size_t cdl_f32_dwconv_kernels(const cdl_f32_dwconv_kernel **list, size_t max);

/* True if g is a geometry the specialised kernels of size k, stride s handle. */
bool cdl_f32_dwconv_fits(const cdl_conv_geom *g, uint32_t k, uint32_t s);

/*
 * 3x3 convolution, stride 1, no dilation, 2-D, output the size of the input
 * (pad 1 on each side), without im2col: the GEMM micro-kernel reads B from
 * the input itself (kernels/f32-conv-direct/). Bit-identical to the im2col
 * GEMM with the same micro-kernel; needs no workspace, so a layer run in
 * tiles of output channels (streamed weights) no longer repeats im2col per
 * tile.
 */
bool cdl_f32_conv3x3s1_fits(const cdl_conv_geom *g);

/*
 * 3x3 convolution, stride 2, no dilation, 2-D, padding 0 or 1 on each side
 * of each axis (the leading pad in g, the trailing one implied by g->out):
 * the same without im2col (the kernel gathers every other input of a row
 * in registers). resnet's downsampling 3x3s and the first convolution of
 * mobilenet_v2 / squeezenet / shufflenet. Defined in
 * kernels/f32-conv-direct/ (every architecture; the kernel is AVX-512).
 */
bool cdl_f32_conv3x3s2_fits(const cdl_conv_geom *g);

#if defined(__x86_64__)
/*
 * One group: y[i][j] = clamp(bias[i] + sum_k w[i][k] B(k, j), lo, hi) for
 * rows i < m (returned), every position j of the plane; w rows are
 * channels * 9 floats (k = c*9 + kh*3 + kw), y rows one plane each. Only
 * when cdl_kernels_isa() >= CDL_ISA_AVX512.
 */
size_t cdl_f32_conv3x3s1_direct__avx512(const cdl_conv_geom *g, size_t channels, const float *x,
					size_t m, const float *w, const float *bias, float *y,
					float lo, float hi);

/*
 * The same for a 3x3 convolution with stride 2 (cdl_f32_conv3x3s2_fits):
 * x channels planes of in[1] * in[2] floats, y rows one output plane
 * (out[1] * out[2]) each. Bit-identical to the im2col GEMM with the 8x32
 * AVX-512 micro-kernel.
 */
size_t cdl_f32_conv3x3s2_direct__avx512(const cdl_conv_geom *g, size_t channels, const float *x,
					size_t m, const float *w, const float *bias, float *y,
					float lo, float hi);

/*
 * The same for a 1x1 convolution with stride 1 and no padding (a GEMM whose
 * B is the input, channels planes of n floats): no packed copy of B.
 */
size_t cdl_f32_conv1x1_direct__avx512(size_t channels, const float *x, size_t n, size_t m,
				      const float *w, const float *bias, float *y, float lo,
				      float hi);
#endif

/*
 * col2im for ConvTranspose: col holds rows (oc, kd, kh, kw) for oc < channels
 * and columns [n0, n0+nc) of the input positions (id, ih, iw) of g->out (the
 * ConvTranspose input), row stride ldcol. Adds each to
 *   y[oc][id*s - p + kd*dl][...] when inside g->in (the ConvTranspose output).
 */
void cdl_f32_col2im_add(const cdl_conv_geom *g, size_t channels, const float *col, size_t ldcol,
			size_t n0, size_t nc, float *y);

#endif /* CDL_ENGINE_KERNELS_CONV_H */
