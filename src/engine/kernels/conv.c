// SPDX-License-Identifier: Apache-2.0
/*
 * im2col packing, direct depthwise convolution and col2im (see conv.h).
 */
#include <string.h>

#include "conv.h"
#include "copy.h"
#include "isa.h"

/* Position along one axis: o*s - p + k*dl; inside [0, n)? */
static inline bool axis_in(int64_t pos, int64_t n)
{
	return pos >= 0 && pos < n;
}

/* Where the next packed element of one B row goes: lane j of the panel at p. */
typedef struct panel_cursor {
	float *p;
	size_t j, nr, step; /* step: floats from one panel to the next (kc * nr) */
	int isa;	    /* cdl_kernels_isa(): how the runs are copied */
} panel_cursor;

/* Appends src[0], src[s], ... (n of them), or n zeros when src is NULL. */
static void emit(panel_cursor *cur, const float *src, size_t n, int64_t s)
{
	while (n) {
		size_t take = cur->nr - cur->j;

		if (take > n)
			take = n;
		cdl_fill(cur->isa, cur->p + cur->j, src, take, s);
		if (src)
			src += (int64_t)take * s;
		n -= take;
		cur->j += take;
		if (cur->j == cur->nr) {
			cur->j = 0;
			cur->p += cur->step;
		}
	}
}

/*
 * Output positions [lo, hi) along w whose input iw = ow*s + off lies inside
 * [0, in): those are copied, the rest of a run is padding.
 */
static void axis_range(int64_t out, int64_t s, int64_t off, int64_t in, int64_t *lo, int64_t *hi)
{
	*lo = off < 0 ? (-off + s - 1) / s : 0;
	*hi = in - 1 - off < 0 ? 0 : (in - 1 - off) / s + 1;
	if (*hi > out)
		*hi = out;
	if (*lo > *hi)
		*lo = *hi;
}

/*
 * Row by row of B (one (c, kd, kh, kw) each): along each output row (od, oh)
 * the inputs are a strided run of one input row between two pads, so the
 * panel row is written with block copies and fills, not element by element
 * with bounds checks.
 */
void cdl_f32_im2col_pack_b(const void *arg, size_t k0, size_t kc, size_t n0, size_t nc, size_t nr,
			   float *dst)
{
	const cdl_im2col_src *s = arg;
	const cdl_conv_geom *g = s->g;
	const size_t khw = (size_t)(g->kernel[1] * g->kernel[2]);
	const size_t kprod = (size_t)g->kernel[0] * khw;
	const size_t plane = (size_t)(g->in[0] * g->in[1] * g->in[2]);
	const size_t ohw = (size_t)(g->out[1] * g->out[2]);
	const int64_t od0 = (int64_t)(n0 / ohw);
	const int64_t oh0 = (int64_t)(n0 % ohw / (size_t)g->out[2]);
	const int64_t ow0 = (int64_t)(n0 % (size_t)g->out[2]);
	const int64_t sw = g->stride[2];
	const int isa = cdl_kernels_isa();

	for (size_t kk = 0; kk < kc; kk++) {
		const size_t k = k0 + kk;
		const size_t c = k / kprod, r = k % kprod;
		const int64_t kd = (int64_t)(r / khw);
		const int64_t kh = (int64_t)(r % khw / (size_t)g->kernel[2]);
		const int64_t kw = (int64_t)(r % (size_t)g->kernel[2]);
		const int64_t offd = kd * g->dilation[0] - g->pad[0];
		const int64_t offh = kh * g->dilation[1] - g->pad[1];
		const int64_t offw = kw * g->dilation[2] - g->pad[2];
		const float *xc = s->x + c * plane;
		panel_cursor cur = {dst + kk * nr, 0, nr, kc * nr, isa};
		size_t done = 0;
		int64_t od = od0, oh = oh0, ow = ow0, lo = 0, hi = 0;

		axis_range(g->out[2], sw, offw, g->in[2], &lo, &hi);
		while (done < nc) {
			/* One run along w at fixed (od, oh): [ow, ow + run). */
			const int64_t id = od * g->stride[0] + offd;
			const int64_t ih = oh * g->stride[1] + offh;
			size_t run = (size_t)(g->out[2] - ow);

			if (run > nc - done)
				run = nc - done;
			if (!axis_in(id, g->in[0]) || !axis_in(ih, g->in[1])) {
				emit(&cur, NULL, run, 1);
			} else {
				const float *xr = xc + (size_t)((id * g->in[1] + ih) * g->in[2]);
				const int64_t end = ow + (int64_t)run;
				const int64_t a = ow > lo ? ow : lo;
				const int64_t b = end < hi ? end : hi;

				if (a >= b) {
					emit(&cur, NULL, run, 1);
				} else {
					emit(&cur, NULL, (size_t)(a - ow), 1);
					emit(&cur, xr + a * sw + offw, (size_t)(b - a), sw);
					emit(&cur, NULL, (size_t)(end - b), 1);
				}
			}
			done += run;
			ow += (int64_t)run;
			if (ow == g->out[2]) {
				ow = 0;
				if (++oh == g->out[1]) {
					oh = 0;
					od++;
				}
			}
		}
		/* Zero the unused lanes of the last panel. */
		if (cur.j != 0)
			cdl_fill(isa, cur.p + cur.j, NULL, nr - cur.j, 1);
	}
}

bool cdl_f32_conv3x3s1_fits(const cdl_conv_geom *g)
{
	return g->in[0] == 1 && g->out[0] == 1 && g->kernel[0] == 1 && g->pad[0] == 0 &&
	       g->kernel[1] == 3 && g->kernel[2] == 3 && g->stride[1] == 1 && g->stride[2] == 1 &&
	       g->dilation[1] == 1 && g->dilation[2] == 1 && g->pad[1] == 1 && g->pad[2] == 1 &&
	       g->out[1] == g->in[1] && g->out[2] == g->in[2];
}

void cdl_f32_dwconv_channel__scalar(const cdl_conv_geom *g, const float *x, const float *w,
				    float bias, float *y, const cdl_act *act)
{
	const size_t osz = (size_t)(g->out[0] * g->out[1] * g->out[2]);
	const int64_t sw = g->stride[2];

	for (size_t i = 0; i < osz; i++)
		y[i] = bias;
	for (int64_t kd = 0; kd < g->kernel[0]; kd++) {
		for (int64_t kh = 0; kh < g->kernel[1]; kh++) {
			for (int64_t kw = 0; kw < g->kernel[2]; kw++) {
				const float wv = w[(kd * g->kernel[1] + kh) * g->kernel[2] + kw];
				const int64_t offw = kw * g->dilation[2] - g->pad[2];
				/* Output w range whose input lies inside [0, in_w). */
				int64_t lo = 0, hi = g->out[2];

				if (offw < 0)
					lo = (-offw + sw - 1) / sw;
				if (g->in[2] - 1 - offw < 0)
					hi = 0;
				else if ((g->in[2] - 1 - offw) / sw + 1 < hi)
					hi = (g->in[2] - 1 - offw) / sw + 1;
				if (lo >= hi)
					continue;
				for (int64_t od = 0; od < g->out[0]; od++) {
					const int64_t id =
					    od * g->stride[0] + kd * g->dilation[0] - g->pad[0];

					if (!axis_in(id, g->in[0]))
						continue;
					for (int64_t oh = 0; oh < g->out[1]; oh++) {
						const int64_t ih = oh * g->stride[1] +
								   kh * g->dilation[1] - g->pad[1];
						const float *xr;
						float *yr;

						if (!axis_in(ih, g->in[1]))
							continue;
						xr = x + (id * g->in[1] + ih) * g->in[2];
						yr = y + (od * g->out[1] + oh) * g->out[2];
						if (sw == 1) {
							for (int64_t ow = lo; ow < hi; ow++)
								yr[ow] += wv * xr[ow + offw];
						} else {
							for (int64_t ow = lo; ow < hi; ow++)
								yr[ow] += wv * xr[ow * sw + offw];
						}
					}
				}
			}
		}
	}
	if (act && act->kind != CDL_ACT_NONE)
		cdl_act_apply(act, y, osz);
}

void cdl_f32_col2im_add(const cdl_conv_geom *g, size_t channels, const float *col, size_t ldcol,
			size_t n0, size_t nc, float *y)
{
	const size_t khw = (size_t)(g->kernel[1] * g->kernel[2]);
	const size_t kprod = (size_t)g->kernel[0] * khw;
	const size_t plane = (size_t)(g->in[0] * g->in[1] * g->in[2]);
	const size_t ihw = (size_t)(g->out[1] * g->out[2]);

	for (size_t m = 0; m < channels * kprod; m++) {
		const size_t oc = m / kprod, r = m % kprod;
		const int64_t kd = (int64_t)(r / khw);
		const int64_t kh = (int64_t)(r % khw / (size_t)g->kernel[2]);
		const int64_t kw = (int64_t)(r % (size_t)g->kernel[2]);
		const int64_t offd = kd * g->dilation[0] - g->pad[0];
		const int64_t offh = kh * g->dilation[1] - g->pad[1];
		const int64_t offw = kw * g->dilation[2] - g->pad[2];
		const float *cr = col + m * ldcol;
		float *yc = y + oc * plane;
		int64_t id = (int64_t)(n0 / ihw);
		int64_t ih = (int64_t)(n0 % ihw / (size_t)g->out[2]);
		int64_t iw = (int64_t)(n0 % (size_t)g->out[2]);

		for (size_t t = 0; t < nc; t++) {
			const int64_t od = id * g->stride[0] + offd;
			const int64_t oh = ih * g->stride[1] + offh;
			const int64_t ow = iw * g->stride[2] + offw;

			if (axis_in(od, g->in[0]) && axis_in(oh, g->in[1]) && axis_in(ow, g->in[2]))
				yc[(od * g->in[1] + oh) * g->in[2] + ow] += cr[t];
			if (++iw == g->out[2]) {
				iw = 0;
				if (++ih == g->out[1]) {
					ih = 0;
					id++;
				}
			}
		}
	}
}
