/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every variant of every kernel family against its scalar reference, each
 * variant called directly (so a CPU that has AVX-512 tests the AVX2 and
 * scalar variants too; a variant the CPU lacks is not listed and says so):
 *
 *  - depthwise 3x3 / 5x5, stride 1 / 2 against cdl_f32_dwconv_channel__scalar:
 *    the scalar variants bit for bit, the SIMD ones within FMA rounding; no
 *    write outside the output; what cdl_f32_dwconv_kernel_best picks;
 *  - the packing of a transposed B (Gemm transB=1) under every cap, bit for bit;
 *  - the GEMM micro-kernels with A in place (ukernel_sa) against the packed
 *    ones, bit for bit, and the driver's results identical whatever the
 *    workspace (the weight-streaming contract of kernels/gemm.h), with A read
 *    in place and packed;
 *  - im2col identical under every instruction-set cap (it only copies);
 *  - the 3x3 (stride 1 and 2) and 1x1 convolutions that read B from the
 *    input bit-identical to the GEMM with the packed B;
 *  - MaxPool's AVX-512 row kernels bit-identical to its scalar ones;
 *  - the fused activations (cdl_act_apply) bit-identical under every cap.
 *
 * Tolerances: a SIMD result r against the reference e passes when
 * |r - e| <= 1e-5 * (|bias| + sum of |w * x| over the taps) + 1e-6.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kernels/conv.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/isa.h"
#include "engine/op.h"
#include "engine/ops/pool.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static float rnd_f(void)
{
	return (float)((double)(rnd() % 20001) / 10000.0 - 1.0);
}

static float *rnd_buf(size_t n)
{
	float *p = NULL;

	if (posix_memalign((void **)&p, 64, (n ? n : 1) * sizeof(float)) != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		p[i] = rnd_f();
	return p;
}

/* ------------------------------------------------------------ depthwise */

/* The magnitude that bounds the rounding of output (oh, ow): |bias| + sum |w x|. */
static double dw_magnitude(const cdl_conv_geom *g, const float *x, const float *w, float bias,
			   int64_t oh, int64_t ow)
{
	double m = fabs(bias);

	for (int64_t kh = 0; kh < g->kernel[1]; kh++) {
		for (int64_t kw = 0; kw < g->kernel[2]; kw++) {
			const int64_t ih = oh * g->stride[1] - g->pad[1] + kh;
			const int64_t iw = ow * g->stride[2] - g->pad[2] + kw;

			if (ih >= 0 && ih < g->in[1] && iw >= 0 && iw < g->in[2])
				m +=
				    fabs((double)w[kh * g->kernel[2] + kw] * x[ih * g->in[2] + iw]);
		}
	}
	return m;
}

#define GUARD 16
#define GUARD_VALUE 12345.0f

static void test_dwconv_variant(const cdl_f32_dwconv_kernel *v, int rounds)
{
	for (int t = 0; t < rounds; t++) {
		const int64_t k = v->k, s = v->s;
		cdl_conv_geom g;
		/* widths around the vector sizes (8, 16) and their multiples, and wide
		 * rows that have an unmasked middle */
		const int64_t in_w = t % 4 == 0 ? rnd_in(33, 70) : rnd_in(1, 40);
		/* and tall planes: several whole groups of output rows (the
		 * AVX-512 kernels run 4 or 8 rows at a time), then a remainder */
		const int64_t in_h = t % 3 == 0 ? rnd_in(13, 45) : rnd_in(1, 12);
		const int64_t pad_h = rnd_in(0, t % 7 == 0 ? k + 1 : k - 1);
		const int64_t pad_w = rnd_in(0, t % 7 == 0 ? k + 1 : k - 1);
		int64_t out_h = 0, out_w = 0;
		float *x = NULL, *w = NULL, *y_ref = NULL, *y = NULL;
		const float bias = rnd() % 3 ? rnd_f() : 0.0f;
		cdl_act act = {(cdl_act_kind)(rnd() % 8), 0.2f, 0.5f};
		size_t osz = 0;
		bool ok = true;

		if (act.kind == CDL_ACT_CLIP) {
			act.alpha = -0.3f;
			act.beta = 0.4f;
		}
		/* trailing pads: random too, so the output is any size that fits */
		out_h = (in_h + pad_h + rnd_in(0, k - 1) - k) / s + 1;
		out_w = (in_w + pad_w + rnd_in(0, k - 1) - k) / s + 1;
		if (out_h < 1 || out_w < 1)
			continue;
		for (int a = 0; a < 3; a++) {
			g.in[a] = g.out[a] = g.kernel[a] = g.stride[a] = g.dilation[a] = 1;
			g.pad[a] = 0;
		}
		g.in[1] = in_h;
		g.in[2] = in_w;
		g.out[1] = out_h;
		g.out[2] = out_w;
		g.kernel[1] = g.kernel[2] = k;
		g.stride[1] = g.stride[2] = s;
		g.pad[1] = pad_h;
		g.pad[2] = pad_w;
		CHECK(cdl_f32_dwconv_fits(&g, (uint32_t)k, (uint32_t)s), "%s fits its geometry",
		      v->name);
		osz = (size_t)(out_h * out_w);
		x = rnd_buf((size_t)(in_h * in_w));
		w = rnd_buf((size_t)(k * k));
		y_ref = rnd_buf(osz);
		y = rnd_buf(osz + GUARD);
		for (size_t i = osz; i < osz + GUARD; i++)
			y[i] = GUARD_VALUE;
		cdl_f32_dwconv_channel__scalar(&g, x, w, bias, y_ref, &act);
		v->fn(&g, x, w, bias, y, &act);
		for (int64_t oh = 0; oh < out_h && ok; oh++) {
			for (int64_t ow = 0; ow < out_w && ok; ow++) {
				const size_t i = (size_t)(oh * out_w + ow);
				const double tol =
				    1e-5 * dw_magnitude(&g, x, w, bias, oh, ow) + 1e-6;
				const bool exact = v->isa == CDL_ISA_SCALAR;
				const bool same = exact
						      ? memcmp(&y[i], &y_ref[i], sizeof(float)) == 0
						      : fabs((double)y[i] - y_ref[i]) <= tol;

				if (!same) {
					CHECK(0,
					      "%s in %lldx%lld pad %lld,%lld out %lldx%lld act %d: "
					      "(%lld,%lld) %.9g vs reference %.9g",
					      v->name, (long long)in_h, (long long)in_w,
					      (long long)pad_h, (long long)pad_w, (long long)out_h,
					      (long long)out_w, act.kind, (long long)oh,
					      (long long)ow, (double)y[i], (double)y_ref[i]);
					ok = false;
				}
			}
		}
		/* an activation the kernel does not clamp with (HardSwish and
		 * HardSigmoid in the AVX-512 epilogue, the others after the plane)
		 * gives cdl_act_apply's bits on the kernel's sums */
		if (ok && act.kind != CDL_ACT_NONE && act.kind != CDL_ACT_RELU &&
		    act.kind != CDL_ACT_CLIP) {
			const cdl_act none = {CDL_ACT_NONE, 0.0f, 0.0f};
			float *y2 = rnd_buf(osz);

			v->fn(&g, x, w, bias, y2, &none);
			cdl_act_apply(&act, y2, osz);
			CHECK(memcmp(y, y2, osz * sizeof(float)) == 0,
			      "%s act %d: not cdl_act_apply's bits on the sums", v->name, act.kind);
			free(y2);
		}
		for (size_t i = osz; i < osz + GUARD && ok; i++) {
			if (y[i] != GUARD_VALUE) {
				CHECK(0, "%s wrote past its output (element %zu)", v->name, i);
				ok = false;
			}
		}
		checks++;
		free(x);
		free(w);
		free(y_ref);
		free(y);
	}
}

static void test_dwconv(void)
{
	const cdl_f32_dwconv_kernel *list[32];
	const size_t n = cdl_f32_dwconv_kernels(list, 32);
	int seen_isa[4] = {0};
	cdl_conv_geom g;

	printf("dwconv variants:");
	for (size_t i = 0; i < n && i < 32; i++) {
		printf(" %s", list[i]->name);
		if (list[i]->isa >= 0 && list[i]->isa < 4)
			seen_isa[list[i]->isa]++;
	}
	printf("\n");
	/* 4 scalar, and 4 of each SIMD set this CPU has */
	CHECK(seen_isa[CDL_ISA_SCALAR] == 4, "4 scalar dwconv variants, got %d",
	      seen_isa[CDL_ISA_SCALAR]);
	if (cdl_kernels_isa() >= CDL_ISA_AVX2 && cdl_kernels_isa() != CDL_ISA_NEON)
		CHECK(seen_isa[CDL_ISA_AVX2] == 4, "4 AVX2 dwconv variants");
	if (cdl_kernels_isa() >= CDL_ISA_AVX512)
		CHECK(seen_isa[CDL_ISA_AVX512] == 4, "4 AVX-512 dwconv variants");
	else
		printf("(no AVX-512 on this CPU: its dwconv variants are not run)\n");
	for (size_t i = 0; i < n && i < 32; i++)
		test_dwconv_variant(list[i], 300);

	/* best: a specialised variant for 3x3/2, none for 3x3 dilated */
	for (int a = 0; a < 3; a++) {
		g.in[a] = g.out[a] = g.kernel[a] = g.stride[a] = g.dilation[a] = 1;
		g.pad[a] = 0;
	}
	g.in[1] = g.in[2] = 32;
	g.out[1] = g.out[2] = 16;
	g.kernel[1] = g.kernel[2] = 3;
	g.stride[1] = g.stride[2] = 2;
	g.pad[1] = g.pad[2] = 1;
	CHECK(cdl_f32_dwconv_kernel_best(&g) && cdl_f32_dwconv_kernel_best(&g)->k == 3 &&
		  cdl_f32_dwconv_kernel_best(&g)->s == 2,
	      "best for 3x3/2");
	g.dilation[1] = 2;
	CHECK(!cdl_f32_dwconv_kernel_best(&g), "no specialised variant for a dilated kernel");
	g.dilation[1] = 1;
	g.kernel[1] = 5;
	CHECK(!cdl_f32_dwconv_kernel_best(&g), "none for a 5x3 kernel");
	/* the cap forces the scalar variant through best */
	g.kernel[1] = 3;
	cdl_kernels_set_isa_cap(CDL_ISA_SCALAR);
	CHECK(cdl_f32_dwconv_kernel_best(&g) && cdl_f32_dwconv_kernel_best(&g)->isa == 0,
	      "the scalar cap picks the scalar variant");
	cdl_kernels_set_isa_cap(-1);
}

/* ---------------------------------------------------------------- gemm */

/* ukernel_sa on A in place == ukernel on the packed panel, bit for bit. */
static void test_ukernel_sa(void)
{
	const cdl_f32_gemm_kernel *list[8];
	const size_t nk = cdl_f32_gemm_kernels(list, 8);

	for (size_t v = 0; v < nk && v < 8; v++) {
		const cdl_f32_gemm_kernel *kern = list[v];

		if (!kern->ukernel_sa)
			continue;
		for (int t = 0; t < 50; t++) {
			const size_t mr = kern->mr, nr = kern->nr, kc = (size_t)rnd_in(1, 300);
			const size_t lda = kc + (size_t)rnd_in(0, 9),
				     ldc = nr + (size_t)rnd_in(0, 3);
			float *a = rnd_buf(mr * lda), *pa = rnd_buf(mr * kc), *b = rnd_buf(kc * nr);
			float *bias = rnd_buf(mr), *c0 = rnd_buf(mr * ldc), *c1 = rnd_buf(mr * ldc);
			const bool acc = rnd() % 2;
			const float lo = rnd() % 2 ? 0.0f : -__builtin_inff(),
				    hi = __builtin_inff();

			for (size_t i = 0; i < mr; i++)
				for (size_t p = 0; p < kc; p++)
					pa[p * mr + i] = a[i * lda + p];
			memcpy(c1, c0, mr * ldc * sizeof(float));
			kern->ukernel(kc, pa, b, c0, ldc, bias, acc, lo, hi);
			kern->ukernel_sa(kc, a, lda, b, c1, ldc, bias, acc, lo, hi);
			CHECK(memcmp(c0, c1, mr * ldc * sizeof(float)) == 0,
			      "%s: A in place (kc %zu, lda %zu) differs from A packed", kern->name,
			      kc, lda);
			free(a);
			free(pa);
			free(b);
			free(bias);
			free(c0);
			free(c1);
		}
	}
}

/*
 * kernels/gemm.h: whatever the workspace (so the blocks), every C element
 * starts from its initial value and adds its K products in order -- the
 * results are bit-identical. With A in place (alpha 1) and packed (alpha 0.5).
 */
static void test_gemm_blocks_identical(void)
{
	const cdl_f32_gemm_kernel *list[8];
	const size_t nk = cdl_f32_gemm_kernels(list, 8);

	for (size_t v = 0; v < nk && v < 8; v++) {
		for (int t = 0; t < 12; t++) {
			const size_t m = (size_t)rnd_in(1, 150), n = (size_t)rnd_in(1, 700);
			const size_t k = (size_t)rnd_in(1, 600);
			float *a = rnd_buf(m * k), *b = rnd_buf(k * n), *bias = rnd_buf(m);
			float *c_full = rnd_buf(m * n), *c_small = rnd_buf(m * n);
			const size_t full = cdl_f32_gemm_workspace_size(m, n, k);
			const size_t small = cdl_f32_gemm_workspace_min(m, n, k) +
					     (size_t)rnd_in(0, 64 * 1024) / 64 * 64;
			void *ws = NULL;
			cdl_act act = {CDL_ACT_RELU, 0, 0};
			cdl_f32_gemm_desc d = {0};
			bool ok1 = false, ok2 = false;

			if (posix_memalign(&ws, 64, full > small ? full : small) != 0)
				abort();
			d.m = m;
			d.n = n;
			d.k = k;
			d.a = a;
			d.a_rs = k;
			d.a_cs = 1;
			d.alpha = t % 2 ? 1.0f : 0.5f;
			d.b = b;
			d.b_rs = n;
			d.b_cs = 1;
			d.ldc = n;
			d.bias = bias;
			d.act = t % 3 ? &act : NULL;
			d.c = c_full;
			ok1 = cdl_f32_gemm_ws(list[v], &d, ws, full);
			d.c = c_small;
			ok2 = cdl_f32_gemm_ws(list[v], &d, ws, small < full ? small : full);
			CHECK(ok1 && ok2, "gemm_ws runs");
			CHECK(memcmp(c_full, c_small, m * n * sizeof(float)) == 0,
			      "%s m=%zu n=%zu k=%zu alpha %g: workspace %zu and %zu give different "
			      "bits",
			      list[v]->name, m, n, k, (double)d.alpha, full, small);
			free(a);
			free(b);
			free(bias);
			free(c_full);
			free(c_small);
			free(ws);
		}
	}
}

/* 1x1 stride 1 without packing B: bit-identical to the GEMM (AVX-512 only). */
static void test_conv1x1_direct(void)
{
#if defined(__x86_64__)
	if (cdl_kernels_isa() < CDL_ISA_AVX512)
		return;
	for (int t = 0; t < 150; t++) {
		const size_t channels = (size_t)rnd_in(1, t % 10 ? 40 : 400);
		const size_t m = (size_t)rnd_in(1, 40), n = (size_t)rnd_in(1, t % 3 ? 100 : 900);
		float *x = rnd_buf(channels * n), *w = rnd_buf(m * channels);
		float *bias = rnd() % 2 ? rnd_buf(m) : NULL;
		float *y_gemm = rnd_buf(m * n), *y = rnd_buf(m * n + GUARD);
		const bool relu = rnd() % 2;
		cdl_act act = {relu ? CDL_ACT_RELU : CDL_ACT_NONE, 0, 0};
		cdl_f32_gemm_desc d = {0};
		void *ws = NULL;
		bool guard_ok = true;

		for (size_t i = m * n; i < m * n + GUARD; i++)
			y[i] = GUARD_VALUE;
		d.m = m;
		d.n = n;
		d.k = channels;
		d.a = w;
		d.a_rs = channels;
		d.a_cs = 1;
		d.alpha = 1.0f;
		d.b = x;
		d.b_rs = n;
		d.b_cs = 1;
		d.c = y_gemm;
		d.ldc = n;
		d.bias = bias;
		d.act = &act;
		if (posix_memalign(&ws, 64, cdl_f32_gemm_workspace_size(m, n, channels)) != 0)
			abort();
		cdl_f32_gemm(&cdl_f32_gemm_kernel_8x32__avx512, &d, ws);
		CHECK(cdl_f32_conv1x1_direct__avx512(channels, x, n, m, w, bias, y,
						     relu ? 0.0f : -__builtin_inff(),
						     __builtin_inff()) == m,
		      "all rows");
		for (size_t i = m * n; i < m * n + GUARD; i++)
			guard_ok = guard_ok && y[i] == GUARD_VALUE;
		CHECK(guard_ok, "direct 1x1 wrote past its output");
		CHECK(memcmp(y, y_gemm, m * n * sizeof(float)) == 0,
		      "direct 1x1 (%zu channels, %zu rows, %zu positions) differs from the GEMM",
		      channels, m, n);
		free(x);
		free(w);
		free(bias);
		free(y_gemm);
		free(y);
		free(ws);
	}
#endif
}

/*
 * A single row of C against B transposed (Gemm transB=1 at batch 1) and a
 * single column of C (1x1 convolution of a 1x1 plane) take a matrix-vector
 * path with the AVX-512 kernel: the same bits as the tiles, which a second
 * row (column) that is a copy of the first forces.
 */
static void test_gemv_identical(void)
{
	const cdl_f32_gemm_kernel *list[8];
	const size_t nk = cdl_f32_gemm_kernels(list, 8);

	for (size_t v = 0; v < nk && v < 8; v++) {
		for (int t = 0; t < 60; t++) {
			const bool row = t % 2 == 0; /* m == 1, else n == 1 */
			const size_t len = (size_t)rnd_in(2, 300), k = (size_t)rnd_in(1, 700);
			const size_t ldt = k + (size_t)rnd_in(0, 3);
			/* the vector twice (so 2 rows / columns), the matrix [len, ldt] */
			float *vec = rnd_buf(2 * k), *mat = rnd_buf(len * ldt),
			      *bias = rnd_buf(len);
			float *c1 = rnd_buf(2 * len), *c2 = rnd_buf(2 * len);
			const size_t ws_size =
			    cdl_f32_gemm_workspace_size(row ? 2 : len, row ? len : 2, k);
			void *ws = NULL;
			cdl_act act = {(cdl_act_kind)(rnd() % 8), 0.2f, 0.5f};
			cdl_f32_gemm_desc d = {0};
			bool same = true;

			memcpy(vec + k, vec, k * sizeof(float));
			memcpy(c2, c1, 2 * len * sizeof(float));
			if (act.kind == CDL_ACT_CLIP) {
				act.alpha = -0.3f;
				act.beta = 0.4f;
			}
			if (posix_memalign(&ws, 64, ws_size) != 0)
				abort();
			d.k = k;
			d.accumulate = rnd() % 3 == 0;
			d.act = &act;
			if (row) {
				/* C [m, len] = vec [m, k] . mat^T, bias per row of C */
				d.n = len;
				d.a = vec;
				d.a_rs = k;
				d.a_cs = 1;
				d.alpha = rnd() % 2 ? 1.0f : 0.5f;
				d.b = mat;
				d.b_rs = 1;
				d.b_cs = ldt;
				d.ldc = len;
				d.bias = rnd() % 2 ? bias : NULL;
				d.m = 1;
				d.c = c1;
				cdl_f32_gemm(list[v], &d, ws);
				d.m = 2;
				d.c = c2;
				if (d.bias) {
					float b2[2] = {bias[0], bias[0]};

					d.bias = b2;
					cdl_f32_gemm(list[v], &d, ws);
				} else {
					cdl_f32_gemm(list[v], &d, ws);
				}
				same = memcmp(c1, c2, len * sizeof(float)) == 0;
			} else {
				/* C [len, n] = mat [len, k] . vec [k, n] (vec's columns equal) */
				float *b2 = rnd_buf(2 * k);

				for (size_t p = 0; p < k; p++)
					b2[2 * p] = b2[2 * p + 1] = vec[p];
				d.m = len;
				d.a = mat;
				d.a_rs = ldt;
				d.a_cs = 1;
				d.alpha = 1.0f;
				d.bias = rnd() % 2 ? bias : NULL;
				d.n = 1;
				d.b = vec;
				d.b_rs = 1;
				d.b_cs = 1;
				d.ldc = 1;
				d.c = c1;
				cdl_f32_gemm(list[v], &d, ws);
				/* C [len, 2] starts as C [len, 1] did (c2 still holds it) */
				for (size_t i = len; i-- > 0;)
					c2[2 * i] = c2[2 * i + 1] = c2[i];
				d.n = 2;
				d.b = b2;
				d.b_rs = 2;
				d.ldc = 2;
				d.c = c2;
				cdl_f32_gemm(list[v], &d, ws);
				for (size_t i = 0; i < len && same; i++)
					same = memcmp(&c1[i], &c2[2 * i], sizeof(float)) == 0;
				free(b2);
			}
			CHECK(same,
			      "%s: a single %s of C (len %zu, k %zu, act %d, acc %d) differs from "
			      "the tiled path",
			      list[v]->name, row ? "row" : "column", len, k, act.kind,
			      d.accumulate);
			free(vec);
			free(mat);
			free(bias);
			free(c1);
			free(c2);
			free(ws);
		}
	}
}

/* -------------------------------------------------------------- im2col */

/* im2col only copies: the same bits under every instruction-set cap. */
static void test_im2col_caps(void)
{
	const int isa_max = cdl_kernels_isa();

	for (int t = 0; t < 100; t++) {
		cdl_conv_geom g;
		size_t channels = (size_t)rnd_in(1, 4), kk = 0, n = 0, nr = rnd() % 2 ? 32 : 16;
		size_t k0 = 0, kc = 0, n0 = 0, nc = 0, size = 0;
		float *x = NULL, *ref = NULL, *got = NULL;

		for (int a = 0; a < 3; a++) {
			g.in[a] = g.out[a] = g.kernel[a] = g.stride[a] = g.dilation[a] = 1;
			g.pad[a] = 0;
		}
		for (int a = 1; a < 3; a++) {
			g.kernel[a] = rnd_in(1, 5);
			g.stride[a] = rnd_in(1, 3);
			g.dilation[a] = rnd() % 4 ? 1 : 2;
			g.pad[a] = rnd_in(0, 3);
			g.in[a] = rnd_in(1, 40);
			g.out[a] =
			    (g.in[a] + 2 * g.pad[a] - (g.kernel[a] - 1) * g.dilation[a] - 1) /
				g.stride[a] +
			    1;
		}
		if (g.out[1] < 1 || g.out[2] < 1)
			continue;
		kk = channels * (size_t)(g.kernel[1] * g.kernel[2]);
		n = (size_t)(g.out[1] * g.out[2]);
		k0 = (size_t)rnd_in(0, (int64_t)kk - 1);
		kc = (size_t)rnd_in(1, (int64_t)(kk - k0));
		n0 = (size_t)rnd_in(0, (int64_t)n - 1);
		nc = (size_t)rnd_in(1, (int64_t)(n - n0));
		size = (nc + nr - 1) / nr * nr * kc;
		x = rnd_buf(channels * (size_t)(g.in[1] * g.in[2]));
		ref = rnd_buf(size);
		got = rnd_buf(size);
		{
			cdl_im2col_src src = {x, channels, &g};

			cdl_kernels_set_isa_cap(CDL_ISA_SCALAR);
			cdl_f32_im2col_pack_b(&src, k0, kc, n0, nc, nr, ref);
			for (int isa = CDL_ISA_SCALAR + 1; isa <= isa_max; isa++) {
				memset(got, 0xff, size * sizeof(float));
				cdl_kernels_set_isa_cap(isa);
				cdl_f32_im2col_pack_b(&src, k0, kc, n0, nc, nr, got);
				CHECK(memcmp(ref, got, size * sizeof(float)) == 0,
				      "im2col under isa %d differs from scalar", isa);
			}
			cdl_kernels_set_isa_cap(-1);
		}
		free(x);
		free(ref);
		free(got);
	}
}

/* A transposed B (Gemm transB=1) packs to the same bits under every cap. */
static void test_pack_b_transposed(void)
{
	const int isa_max = cdl_kernels_isa();

	for (int t = 0; t < 200; t++) {
		const size_t n = (size_t)rnd_in(1, 100), k = (size_t)rnd_in(1, 100);
		const size_t ldt = k + (size_t)rnd_in(0, 5), nr = rnd() % 2 ? 32 : 16;
		const size_t k0 = (size_t)rnd_in(0, (int64_t)k - 1);
		const size_t kc = (size_t)rnd_in(1, (int64_t)(k - k0));
		const size_t n0 = (size_t)rnd_in(0, (int64_t)n - 1);
		const size_t nc = (size_t)rnd_in(1, (int64_t)(n - n0));
		const size_t size = (nc + nr - 1) / nr * nr * kc;
		float *b = rnd_buf(n * ldt), *ref = rnd_buf(size), *got = rnd_buf(size);
		bool ok = true;

		/* the definition: dst[q*kc*nr + p*nr + j] = B(k0+p, n0+q*nr+j), zero past nc */
		for (size_t q = 0; q * nr < nc; q++)
			for (size_t p = 0; p < kc; p++)
				for (size_t j = 0; j < nr; j++)
					ref[q * kc * nr + p * nr + j] =
					    q * nr + j < nc ? b[(n0 + q * nr + j) * ldt + k0 + p]
							    : 0.0f;
		for (int isa = CDL_ISA_SCALAR; isa <= isa_max && ok; isa++) {
			memset(got, 0xff, size * sizeof(float));
			cdl_kernels_set_isa_cap(isa);
			cdl_f32_gemm_pack_b_strided(b, 1, ldt, k0, kc, n0, nc, nr, got);
			if (memcmp(ref, got, size * sizeof(float)) != 0) {
				CHECK(0, "transposed B n0=%zu nc=%zu k0=%zu kc=%zu nr=%zu: isa %d",
				      n0, nc, k0, kc, nr, isa);
				ok = false;
			}
			checks++;
		}
		cdl_kernels_set_isa_cap(-1);
		free(b);
		free(ref);
		free(got);
	}
}

/*
 * 3x3 stride 1 'same' convolution without im2col: bit-identical to the im2col
 * GEMM with the same micro-kernel (AVX-512 only).
 */
static void test_conv3x3_direct(void)
{
#if defined(__x86_64__)
	if (cdl_kernels_isa() < CDL_ISA_AVX512) {
		printf("(no AVX-512 on this CPU: the direct 3x3 convolution is not run)\n");
		return;
	}
	for (int t = 0; t < 150; t++) {
		cdl_conv_geom g;
		const size_t channels = (size_t)rnd_in(1, t % 10 ? 12 : 70);
		const size_t m = (size_t)rnd_in(1, 40), k = channels * 9;
		size_t n = 0, done = 0;
		float *x = NULL, *w = NULL, *bias = NULL, *y_gemm = NULL, *y = NULL;
		void *ws = NULL;
		const bool relu = rnd() % 2;
		cdl_act act = {relu ? CDL_ACT_RELU : CDL_ACT_NONE, 0, 0};
		cdl_f32_gemm_desc d = {0};
		cdl_im2col_src src;

		for (int a = 0; a < 3; a++) {
			g.in[a] = g.out[a] = g.kernel[a] = g.stride[a] = g.dilation[a] = 1;
			g.pad[a] = 0;
		}
		g.in[1] = g.out[1] = rnd_in(1, 20);
		g.in[2] = g.out[2] = rnd_in(1, t % 3 ? 20 : 60);
		g.kernel[1] = g.kernel[2] = 3;
		g.pad[1] = g.pad[2] = 1;
		CHECK(cdl_f32_conv3x3s1_fits(&g), "fits");
		n = (size_t)(g.in[1] * g.in[2]);
		x = rnd_buf(channels * n);
		w = rnd_buf(m * k);
		bias = rnd() % 2 ? rnd_buf(m) : NULL;
		y_gemm = rnd_buf(m * n);
		y = rnd_buf(m * n + GUARD);
		for (size_t i = m * n; i < m * n + GUARD; i++)
			y[i] = GUARD_VALUE;
		src.x = x;
		src.channels = channels;
		src.g = &g;
		d.m = m;
		d.n = n;
		d.k = k;
		d.a = w;
		d.a_rs = k;
		d.a_cs = 1;
		d.alpha = 1.0f;
		d.pack_b = cdl_f32_im2col_pack_b;
		d.pack_b_arg = &src;
		d.c = y_gemm;
		d.ldc = n;
		d.bias = bias;
		d.act = &act;
		if (posix_memalign(&ws, 64, cdl_f32_gemm_workspace_size(m, n, k)) != 0)
			abort();
		cdl_f32_gemm(&cdl_f32_gemm_kernel_8x32__avx512, &d, ws);
		done = cdl_f32_conv3x3s1_direct__avx512(&g, channels, x, m, w, bias, y,
							relu ? 0.0f : -__builtin_inff(),
							__builtin_inff());
		CHECK(done == m, "rows done %zu of %zu", done, m);
		CHECK(memcmp(y, y_gemm, done * n * sizeof(float)) == 0,
		      "direct 3x3 %lldx%lld, %zu channels, %zu rows: differs from the im2col GEMM",
		      (long long)g.in[1], (long long)g.in[2], channels, m);
		for (size_t i = done * n; i < m * n + GUARD; i++) {
			if (i >= m * n ? y[i] != GUARD_VALUE : false) {
				CHECK(0, "direct 3x3 wrote past its rows");
				break;
			}
		}
		free(x);
		free(w);
		free(bias);
		free(y_gemm);
		free(y);
		free(ws);
	}
#endif
}

/* ---------------------------------------------------------- activations */

/*
 * cdl_act_apply under every cap: the SIMD loops give the scalar loops' bits,
 * NaN, infinities and -0 included, for every length around the vector widths
 * and every start offset, and touch nothing past n.
 */
static void test_act_apply(void)
{
	static const float special[] = {0.0f,	    -0.0f, 1.0f,   -1.0f, 3.0f,	  -3.0f,
					2.9999998f, 6.0f,  -6.0f,  0.5f,  -0.5f,  1e-30f,
					-1e-30f,    1e30f, -1e30f, 0.4f,  -0.3f,  2.5f};
	const cdl_act acts[] = {
	    {CDL_ACT_RELU, 0.0f, 0.0f},	       {CDL_ACT_LEAKY_RELU, 0.1f, 0.0f},
	    {CDL_ACT_CLIP, -0.3f, 0.4f},	       {CDL_ACT_CLIP, 0.0f, 6.0f},
	    {CDL_ACT_HARD_SIGMOID, 0.2f, 0.5f},     {CDL_ACT_HARD_SIGMOID, 1.0f / 6.0f, 0.5f},
	    {CDL_ACT_HARD_SWISH, 0.0f, 0.0f},       {CDL_ACT_SIGMOID, 0.0f, 0.0f},
	    {CDL_ACT_TANH, 0.0f, 0.0f},	       {CDL_ACT_NONE, 0.0f, 0.0f},
	};
	const size_t max_n = 80, guard = 16;
	float *src = rnd_buf(max_n + guard + 16), *ref = rnd_buf(max_n + guard + 16),
	      *got = rnd_buf(max_n + guard + 16);

	for (size_t i = 0; i < max_n + 16; i++) {
		const uint32_t r = rnd() % 8;

		src[i] = r == 0   ? special[rnd() % (sizeof(special) / sizeof(special[0]))]
			 : r == 1 ? __builtin_nanf("")
			 : r == 2 ? (rnd() % 2 ? __builtin_inff() : -__builtin_inff())
				  : rnd_f() * 8.0f;
	}
	for (int isa = CDL_ISA_AVX2; isa <= CDL_ISA_AVX512; isa++) {
		if (cdl_kernels_isa() < isa || cdl_kernels_isa() == CDL_ISA_NEON)
			continue;
		for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++) {
			for (size_t n = 0; n <= max_n; n++) {
				const size_t off = n % 5;

				memcpy(ref, src, (max_n + guard + 16) * sizeof(float));
				memcpy(got, src, (max_n + guard + 16) * sizeof(float));
				cdl_kernels_set_isa_cap(CDL_ISA_SCALAR);
				cdl_act_apply(&acts[a], ref + off, n);
				cdl_kernels_set_isa_cap(isa);
				cdl_act_apply(&acts[a], got + off, n);
				cdl_kernels_set_isa_cap(-1);
				CHECK(memcmp(ref, got, (max_n + guard + 16) * sizeof(float)) == 0,
				      "cdl_act_apply %s, n %zu offset %zu: isa %d differs from the "
				      "scalar loop",
				      cdl_act_name(acts[a].kind), n, off, isa);
			}
		}
	}
	free(src);
	free(ref);
	free(got);
}

/* A 2-D geometry: 3x3, stride s, pads pb (leading) / pe (trailing) per axis. */
static void geom_3x3(cdl_conv_geom *g, int64_t h, int64_t w, int64_t s, const int64_t pb[2],
		     const int64_t pe[2])
{
	for (int a = 0; a < 3; a++) {
		g->in[a] = g->out[a] = g->kernel[a] = g->stride[a] = g->dilation[a] = 1;
		g->pad[a] = 0;
	}
	g->in[1] = h;
	g->in[2] = w;
	for (int a = 1; a < 3; a++) {
		g->kernel[a] = 3;
		g->stride[a] = s;
		g->pad[a] = pb[a - 1];
		g->out[a] = (g->in[a] + pb[a - 1] + pe[a - 1] - 3) / s + 1;
	}
}

/*
 * 3x3 stride 2 without im2col: bit-identical to the im2col GEMM with the same
 * micro-kernel (AVX-512 only), for every layout of the kernel's half tiles --
 * two output rows per half (rows <= 7 wide), one run of <= 15, runs of 16
 * (the lane-15 load), rows cut into chunks -- every padding 0 / 1 per side,
 * planes down to 1x1, 1 to 70 channels (K past the GEMM's KC slice), row
 * counts that leave 4-row and partial tiles, no write past the rows.
 */
static void test_conv3x3s2_direct(void)
{
	/* which geometries are taken (every architecture) */
	{
		static const int64_t p0[2] = {0, 0}, p1[2] = {1, 1}, p2[2] = {2, 2};
		static const int64_t p10[2] = {1, 0}, p12[2] = {1, 2};
		cdl_conv_geom g;

		geom_3x3(&g, 56, 56, 2, p1, p1);
		CHECK(cdl_f32_conv3x3s2_fits(&g), "3x3s2 fits 56x56 pad 1");
		geom_3x3(&g, 224, 224, 2, p0, p0);
		CHECK(cdl_f32_conv3x3s2_fits(&g), "3x3s2 fits 224x224 pad 0");
		geom_3x3(&g, 7, 8, 2, p10, p1);
		CHECK(cdl_f32_conv3x3s2_fits(&g), "3x3s2 fits 7x8 pads 1,0 / 1,1");
		geom_3x3(&g, 3, 3, 2, p0, p0);
		CHECK(cdl_f32_conv3x3s2_fits(&g), "3x3s2 fits 3x3 pad 0");
		geom_3x3(&g, 56, 56, 1, p1, p1);
		CHECK(!cdl_f32_conv3x3s2_fits(&g), "3x3s2 refuses stride 1");
		geom_3x3(&g, 56, 56, 2, p2, p2);
		CHECK(!cdl_f32_conv3x3s2_fits(&g), "3x3s2 refuses pad 2");
		geom_3x3(&g, 56, 56, 2, p1, p12);
		CHECK(!cdl_f32_conv3x3s2_fits(&g), "3x3s2 refuses a trailing pad of 2");
		geom_3x3(&g, 56, 56, 2, p1, p1);
		g.dilation[2] = 2;
		CHECK(!cdl_f32_conv3x3s2_fits(&g), "3x3s2 refuses dilation 2");
		geom_3x3(&g, 56, 56, 2, p1, p1);
		g.kernel[1] = 5;
		CHECK(!cdl_f32_conv3x3s2_fits(&g), "3x3s2 refuses a 5x3 kernel");
	}
#if defined(__x86_64__)
	if (cdl_kernels_isa() < CDL_ISA_AVX512) {
		printf(
		    "(no AVX-512 on this CPU: the direct 3x3 stride-2 convolution is not run)\n");
		return;
	}
	for (int t = 0; t < 300; t++) {
		/* widths whose outputs hit each half layout */
		static const int64_t widths[] = {1,  2,	 3,  4,	 5,  13, 14, 15, 16, 17,
						 29, 30, 31, 32, 33, 34, 35, 56, 63, 65};
		cdl_conv_geom g;
		const size_t channels = (size_t)rnd_in(1, t % 10 ? 12 : 70);
		const size_t m = (size_t)rnd_in(1, t % 7 ? 20 : 40), k = channels * 9;
		int64_t pb[2], pe[2];
		size_t n = 0, done = 0;
		float *x = NULL, *w = NULL, *bias = NULL, *y_gemm = NULL, *y = NULL;
		void *ws = NULL;
		const int act_kind = (int)(rnd() % 3);
		const float lo = act_kind == 1 ? 0.0f : act_kind == 2 ? -0.25f : -__builtin_inff();
		const float hi = act_kind == 2 ? 0.5f : __builtin_inff();
		cdl_act act = {act_kind == 1   ? CDL_ACT_RELU
			       : act_kind == 2 ? CDL_ACT_CLIP
					       : CDL_ACT_NONE,
			       lo, hi};
		cdl_f32_gemm_desc d = {0};
		cdl_im2col_src src;
		int64_t h = 0, wd = 0;
		bool guard_ok = true;

		for (int a = 0; a < 2; a++) {
			pb[a] = rnd_in(0, 1);
			pe[a] = rnd_in(0, 1);
		}
		h = rnd_in(1, t % 4 ? 12 : 40);
		wd = t % 2 ? widths[t / 2 % (sizeof(widths) / sizeof(widths[0]))] : rnd_in(1, 70);
		/* an output of at least one: in + pads >= 3 */
		while (h + pb[0] + pe[0] < 3)
			h++;
		while (wd + pb[1] + pe[1] < 3)
			wd++;
		geom_3x3(&g, h, wd, 2, pb, pe);
		CHECK(cdl_f32_conv3x3s2_fits(&g), "fits %lldx%lld pads %lld,%lld / %lld,%lld",
		      (long long)h, (long long)wd, (long long)pb[0], (long long)pb[1],
		      (long long)pe[0], (long long)pe[1]);
		n = (size_t)(g.out[1] * g.out[2]);
		x = rnd_buf(channels * (size_t)(h * wd));
		w = rnd_buf(m * k);
		bias = rnd() % 2 ? rnd_buf(m) : NULL;
		y_gemm = rnd_buf(m * n);
		y = rnd_buf(m * n + GUARD);
		for (size_t i = m * n; i < m * n + GUARD; i++)
			y[i] = GUARD_VALUE;
		src.x = x;
		src.channels = channels;
		src.g = &g;
		d.m = m;
		d.n = n;
		d.k = k;
		d.a = w;
		d.a_rs = k;
		d.a_cs = 1;
		d.alpha = 1.0f;
		d.pack_b = cdl_f32_im2col_pack_b;
		d.pack_b_arg = &src;
		d.c = y_gemm;
		d.ldc = n;
		d.bias = bias;
		d.act = &act;
		if (posix_memalign(&ws, 64, cdl_f32_gemm_workspace_size(m, n, k)) != 0)
			abort();
		cdl_f32_gemm(&cdl_f32_gemm_kernel_8x32__avx512, &d, ws);
		done = cdl_f32_conv3x3s2_direct__avx512(&g, channels, x, m, w, bias, y, lo, hi);
		CHECK(done == m, "rows done %zu of %zu", done, m);
		CHECK(memcmp(y, y_gemm, m * n * sizeof(float)) == 0,
		      "direct 3x3s2 %lldx%lld -> %lldx%lld (pads %lld,%lld / %lld,%lld), %zu "
		      "channels, %zu rows: differs from the im2col GEMM",
		      (long long)h, (long long)wd, (long long)g.out[1], (long long)g.out[2],
		      (long long)pb[0], (long long)pb[1], (long long)pe[0], (long long)pe[1],
		      channels, m);
		for (size_t i = m * n; i < m * n + GUARD; i++)
			guard_ok = guard_ok && y[i] == GUARD_VALUE;
		CHECK(guard_ok, "direct 3x3s2 wrote past its rows");
		free(x);
		free(w);
		free(bias);
		free(y_gemm);
		free(y);
		free(ws);
	}
#endif
}

/* -------------------------------------------------------------- maxpool */

/* MaxPool through the op, under a cap: y gets the output (count floats). */
static int run_maxpool(int isa, const cdl_tensor *x, const int64_t *ks, const int64_t *st,
		       const int64_t *pads, int64_t ceil_mode, float *y, size_t *count,
		       bool in_place)
{
	const cdl_op_def *def = cdl_op_find("MaxPool");
	cdl_attr attrs[4];
	cdl_node node;
	cdl_tensor xi = *x, yo;
	cdl_tensor *ins[1] = {&xi}, *outs[1] = {&yo};
	cdl_op_ctx ctx;
	uint32_t idx_in = 0, idx_out = 1;
	void *ws = NULL;
	int st_ = 0;

	memset(attrs, 0, sizeof(attrs));
	attrs[0].name = "kernel_shape";
	attrs[0].type = CDL_ATTR_INTS;
	attrs[0].count = 2;
	attrs[0].v.ints = ks;
	attrs[1].name = "strides";
	attrs[1].type = CDL_ATTR_INTS;
	attrs[1].count = 2;
	attrs[1].v.ints = st;
	attrs[2].name = "pads";
	attrs[2].type = CDL_ATTR_INTS;
	attrs[2].count = 4;
	attrs[2].v.ints = pads;
	attrs[3].name = "ceil_mode";
	attrs[3].type = CDL_ATTR_INT;
	attrs[3].v.i = ceil_mode;
	memset(&node, 0, sizeof(node));
	node.op_type = "MaxPool";
	node.name = "pool";
	node.opset = 13;
	node.n_inputs = node.n_outputs = 1;
	node.n_attrs = 4;
	node.inputs = &idx_in;
	node.outputs = &idx_out;
	node.attrs = attrs;
	memset(&yo, 0, sizeof(yo));
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = &node;
	ctx.n_inputs = ctx.n_outputs = 1;
	ctx.inputs = ins;
	ctx.outputs = outs;
	if (!def || def->infer(&ctx) != CDL_OK)
		return -1;
	if (!cdl_tensor_numel(&yo, count))
		return -1;
	/* in place: y holds x's data and gets the output, when the planner
	 * would allow it (1: it would not) */
	if (in_place) {
		if (!cdl_pool_in_place_ok(&node, x, &yo))
			return 1;
		xi.data = y;
	}
	if (posix_memalign(&ws, 64, ctx.workspace_size + 64) != 0)
		abort();
	ctx.workspace = ws;
	yo.data = y;
	cdl_kernels_set_isa_cap(isa);
	st_ = def->execute(&ctx);
	cdl_kernels_set_isa_cap(-1);
	free(ws);
	return st_;
}

/* The AVX-512 row kernels of MaxPool: the scalar kernels' bits, NaN included. */
static void test_maxpool(void)
{
	int inplace_runs = 0;

	for (int t = 0; t < 300; t++) {
		cdl_tensor x;
		const int64_t k = rnd_in(1, 4), s = rnd_in(1, 3);
		const int64_t ks[2] = {k, rnd_in(1, 4)}, st[2] = {s, rnd_in(1, 2)};
		const int64_t pads[4] = {rnd_in(0, ks[0] - 1), rnd_in(0, ks[1] - 1),
					 rnd_in(0, ks[0] - 1), rnd_in(0, ks[1] - 1)};
		size_t n = 0, c1 = 0, c2 = 0;
		float *y1 = NULL, *y2 = NULL;
		int r1 = 0, r2 = 0;

		memset(&x, 0, sizeof(x));
		x.dtype = CDL_DTYPE_F32;
		x.rank = 4;
		x.dims[0] = 1;
		x.dims[1] = rnd_in(1, 3);
		x.dims[2] = rnd_in(ks[0], 20);
		x.dims[3] = rnd_in(ks[1], t % 2 ? 40 : 90);
		n = (size_t)(x.dims[1] * x.dims[2] * x.dims[3]);
		x.data = rnd_buf(n);
		/* NaN: which operand a max returns for it must match too */
		for (size_t i = 0; t % 4 == 0 && i < n / 16 + 1; i++)
			((float *)x.data)[rnd() % n] = __builtin_nanf("");
		/* padding can make the output larger than the input */
		y1 = rnd_buf((size_t)(x.dims[1] * (x.dims[2] + 8) * (x.dims[3] + 8)));
		y2 = rnd_buf((size_t)(x.dims[1] * (x.dims[2] + 8) * (x.dims[3] + 8)));
		r1 = run_maxpool(CDL_ISA_SCALAR, &x, ks, st, pads, t % 2, y1, &c1, false);
		r2 = run_maxpool(-1, &x, ks, st, pads, t % 2, y2, &c2, false);
		CHECK(r1 == 0 && r2 == 0 && c1 == c2, "maxpool runs (%d, %d)", r1, r2);
		CHECK(
		    r1 || memcmp(y1, y2, c1 * sizeof(float)) == 0,
		    "maxpool %lldx%lld stride %lld,%lld on %lldx%lld: the best kernels differ from "
		    "the scalar ones",
		    (long long)ks[0], (long long)ks[1], (long long)st[0], (long long)st[1],
		    (long long)x.dims[2], (long long)x.dims[3]);
		/* over its own input, where the memory planner would put it there */
		memcpy(y2, x.data, n * sizeof(float));
		r2 = run_maxpool(-1, &x, ks, st, pads, t % 2, y2, &c2, true);
		if (r2 == 0) {
			inplace_runs++;
			CHECK(memcmp(y1, y2, c1 * sizeof(float)) == 0,
			      "maxpool %lldx%lld stride %lld,%lld pads %lld,%lld on %lldx%lld in place "
			      "differs",
			      (long long)ks[0], (long long)ks[1], (long long)st[0], (long long)st[1],
			      (long long)pads[0], (long long)pads[1], (long long)x.dims[2],
			      (long long)x.dims[3]);
		}
		free(x.data);
		free(y1);
		free(y2);
	}
	CHECK(inplace_runs > 20, "maxpool in place: only %d cases", inplace_runs);
}

int main(void)
{
	printf("cpu: kernels up to isa %d (0 scalar, 1 NEON, 2 AVX2, 3 AVX-512)\n",
	       cdl_kernels_isa());
	test_dwconv();
	test_ukernel_sa();
	test_gemm_blocks_identical();
	test_im2col_caps();
	test_pack_b_transposed();
	test_conv3x3_direct();
	test_conv3x3s2_direct();
	test_conv1x1_direct();
	test_gemv_identical();
	test_maxpool();
	test_act_apply();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
