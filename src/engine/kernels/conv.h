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
 * col2im for ConvTranspose: col holds rows (oc, kd, kh, kw) for oc < channels
 * and columns [n0, n0+nc) of the input positions (id, ih, iw) of g->out (the
 * ConvTranspose input), row stride ldcol. Adds each to
 *   y[oc][id*s - p + kd*dl][...] when inside g->in (the ConvTranspose output).
 */
void cdl_f32_col2im_add(const cdl_conv_geom *g, size_t channels, const float *col, size_t ldcol,
			size_t n0, size_t nc, float *y);

#endif /* CDL_ENGINE_KERNELS_CONV_H */
