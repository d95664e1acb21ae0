/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Micro-benchmark per kernel family, every variant this CPU runs: GFLOP/s
 * and the fraction of the core's peak. A benchmark, not a test: it reports
 * figures and asserts nothing about them.
 *
 *   bench_kernels [gemm|conv|dwconv|im2col|all] [--quick]
 *
 * Peak. Measured, not read: a loop of 12 independent FMA chains runs at the
 * core's peak FMA rate, with 256-bit vectors (AVX2) and, where the CPU has
 * it, 512-bit ones; that rate is the peak each kernel is a fraction of
 * (every variant of the 256-bit one, AVX-512 variants of the 512-bit one
 * too). Also printed: the clock, from a chain of dependent integer adds (one
 * per cycle), and the rate in FLOPs per cycle -- 32 with two 8-lane FMA
 * pipes, 64 with two 16-lane ones (32 where AVX-512 is split into 256-bit
 * halves). /proc/cpuinfo's "cpu MHz" is printed for comparison only: in a
 * VM it is often the TSC rate, not the clock the core runs at. The
 * machine's peak is one core's x the cores; the kernels run one thread, so
 * the fraction given is of one core.
 *
 * Timing. Thread CPU time, the median of several repetitions: on a shared
 * machine wall time measures the neighbours. In a VM the kernel takes the
 * steal time the hypervisor reports out of a thread's CPU time, coarsely:
 * a single repetition can come out short, hence the median, not the best.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "engine/kernels/conv.h"
#include "engine/kernels/gemm.h"
#include "engine/kernels/isa.h"

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool quick;

static int cmp_double(const void *a, const void *b)
{
	const double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Seconds per call of fn(arg): the median of reps repetitions of >= min_s each. */
static double time_median(void (*fn)(void *), void *arg)
{
	enum { MAX_REPS = 15 };
	const int reps = quick ? 5 : MAX_REPS;
	const double min_s = quick ? 0.01 : 0.02;
	double t[MAX_REPS];

	fn(arg); /* warm caches and pages */
	for (int r = 0; r < reps; r++) {
		double t0 = cpu_now(), dt = 0;
		long calls = 0;

		do {
			fn(arg);
			calls++;
			dt = cpu_now() - t0;
		} while (dt < min_s);
		t[r] = dt / (double)calls;
	}
	qsort(t, (size_t)reps, sizeof(t[0]), cmp_double);
	return t[reps / 2];
}

/* ------------------------------------------------------------------ peak */

static volatile long sink;

static void add_chain(void *arg)
{
	long n = *(long *)arg, v = 0;

#if defined(__x86_64__)
	/* 4 dependent adds per iteration; the loop's own sub/jnz run alongside */
	__asm__ volatile("1: add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
			 "sub $1, %1\n\tjnz 1b"
			 : "+r"(v), "+r"(n)
			 :
			 : "cc");
#elif defined(__aarch64__)
	__asm__ volatile("1: add %0, %0, #1\n\tadd %0, %0, #1\n\tadd %0, %0, #1\n\t"
			 "add %0, %0, #1\n\tsubs %1, %1, #1\n\tb.ne 1b"
			 : "+r"(v), "+r"(n)
			 :
			 : "cc");
#else
	for (long i = 0; i < 4 * n; i++)
		v = v * 3 + 1;
#endif
	sink = v;
}

#if defined(__x86_64__)
#define FMA_ITERS 20000000L
/*
 * 12 independent FMA chains: enough to fill two pipes of latency 4-5. The
 * empty asm makes each chain opaque, else the compiler sees twelve copies of
 * one computation and keeps a single (latency-bound) chain.
 */
#define FMA_LOOP(T, set1, fmadd, add, store, n)                                                    \
	do {                                                                                       \
		T a0 = set1(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,  \
		  a8 = a0, a9 = a0, a10 = a0, a11 = a0;                                            \
		const T x = set1(0.999999f), y = set1(1e-7f);                                      \
		float out[16];                                                                     \
		for (long i = 0; i < (n); i++) {                                                   \
			a0 = fmadd(a0, x, y);                                                      \
			a1 = fmadd(a1, x, y);                                                      \
			a2 = fmadd(a2, x, y);                                                      \
			a3 = fmadd(a3, x, y);                                                      \
			a4 = fmadd(a4, x, y);                                                      \
			a5 = fmadd(a5, x, y);                                                      \
			a6 = fmadd(a6, x, y);                                                      \
			a7 = fmadd(a7, x, y);                                                      \
			a8 = fmadd(a8, x, y);                                                      \
			a9 = fmadd(a9, x, y);                                                      \
			a10 = fmadd(a10, x, y);                                                    \
			a11 = fmadd(a11, x, y);                                                    \
			__asm__ volatile(""                                                        \
					 : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4),       \
					   "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9),       \
					   "+v"(a10), "+v"(a11));                                  \
		}                                                                                  \
		a0 = add(add(add(a0, a1), add(a2, a3)), add(add(a4, a5), add(a6, a7)));            \
		a0 = add(a0, add(add(a8, a9), add(a10, a11)));                                     \
		store(out, a0);                                                                    \
		sink = (long)out[0];                                                               \
	} while (0)

__attribute__((target("avx2,fma"))) static void fma256(void *arg)
{
	FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps,
		 *(long *)arg);
}

__attribute__((target("avx512f"))) static void fma512(void *arg)
{
	FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps,
		 *(long *)arg);
}
#endif

typedef struct machine {
	double ghz;	    /* measured */
	double nominal_ghz; /* /proc/cpuinfo */
	double avx2_fpc;    /* FLOPs/cycle of the 256-bit FMA loop */
	double avx512_fpc;  /* of the 512-bit one; 0 without AVX-512 */
	double peak_avx2;   /* GFLOP/s of one core: the 256-bit FMA loop */
	double peak_best;   /* the same with the widest FMA it has */
	long cores;
	char model[128];
} machine;

static void read_cpuinfo(machine *m)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(m->model, sizeof(m->model), "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		if (strncmp(line, "model name", 10) == 0 && !strcmp(m->model, "unknown")) {
			colon += 2;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(m->model, sizeof(m->model), "%s", colon);
		} else if (strncmp(line, "cpu MHz", 7) == 0 && m->nominal_ghz == 0) {
			m->nominal_ghz = atof(colon + 1) / 1000.0;
		}
	}
	fclose(f);
}

static void measure_machine(machine *m)
{
	long adds = quick ? 50000000L : 200000000L;

	memset(m, 0, sizeof(*m));
	read_cpuinfo(m);
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);
	m->ghz = 4.0 * (double)adds / time_median(add_chain, &adds) / 1e9;
	/* without an FMA loop to run: the clock x 32 */
	m->peak_avx2 = m->ghz * 32.0;
	m->peak_best = m->peak_avx2;
#if defined(__x86_64__)
	{
		long n = quick ? FMA_ITERS / 4 : FMA_ITERS;

		if (cdl_kernels_isa() >= CDL_ISA_AVX2) {
			m->peak_avx2 = 12.0 * 16.0 * (double)n / time_median(fma256, &n) / 1e9;
			m->avx2_fpc = m->peak_avx2 / m->ghz;
			m->peak_best = m->peak_avx2;
		}
		if (cdl_kernels_isa() >= CDL_ISA_AVX512) {
			m->peak_best = 12.0 * 32.0 * (double)n / time_median(fma512, &n) / 1e9;
			m->avx512_fpc = m->peak_best / m->ghz;
		}
	}
#endif
}

static void report(const machine *m, const char *family, const char *variant, int isa,
		   const char *shape, double flops, double seconds)
{
	const double gflops = flops / seconds / 1e9;

	printf("%-8s %-16s %-28s %9.1f GFLOP/s  %5.1f%% of AVX2 peak", family, variant, shape,
	       gflops, 100.0 * gflops / m->peak_avx2);
	if (isa >= CDL_ISA_AVX512 && m->peak_best != m->peak_avx2)
		printf("  %5.1f%% of AVX-512 peak", 100.0 * gflops / m->peak_best);
	printf("\n");
}

static float *buf(size_t n, uint32_t seed)
{
	float *p = NULL;

	if (posix_memalign((void **)&p, 64, (n ? n : 1) * sizeof(float)) != 0)
		abort();
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
	}
	return p;
}

static int isa_of_gemm(const cdl_f32_gemm_kernel *k)
{
	if (strstr(k->name, "avx512"))
		return CDL_ISA_AVX512;
	if (strstr(k->name, "avx2"))
		return CDL_ISA_AVX2;
	if (strstr(k->name, "neon"))
		return CDL_ISA_NEON;
	return CDL_ISA_SCALAR;
}

/* ------------------------------------------------------------------ gemm */

typedef struct ukernel_run {
	const cdl_f32_gemm_kernel *k;
	const float *a, *b;
	float *c;
	size_t kc;
	int calls;
} ukernel_run;

/* The micro-kernel alone: A and B panels in L1, C accumulated in place. */
static void run_ukernel(void *arg)
{
	ukernel_run *u = arg;

	for (int i = 0; i < u->calls; i++)
		u->k->ukernel(u->kc, u->a, u->b, u->c, u->k->nr, NULL, true, -__builtin_inff(),
			      __builtin_inff());
}

typedef struct gemm_run {
	const cdl_f32_gemm_kernel *k;
	cdl_f32_gemm_desc d;
	void *ws;
} gemm_run;

static void run_gemm(void *arg)
{
	gemm_run *g = arg;

	cdl_f32_gemm(g->k, &g->d, g->ws);
}

static void bench_gemm(const machine *m)
{
	static const size_t sizes[][3] = {
	    {1024, 1024, 1024},
	    {512, 512, 512},
	    {256, 3136, 64},
	    {64, 3136, 576},
	};
	const cdl_f32_gemm_kernel *list[8];
	const size_t nk = cdl_f32_gemm_kernels(list, 8);

	printf("\n-- f32 GEMM: micro-kernel alone (panels in L1), then the whole GEMM\n");
	for (size_t v = 0; v < nk && v < 8; v++) {
		const cdl_f32_gemm_kernel *k = list[v];
		const size_t kc = 256;
		ukernel_run u = {
		    k, buf(k->mr * kc, 1), buf(k->nr * kc, 2), buf(k->mr * k->nr, 3), kc, 200};
		char shape[64];

		snprintf(shape, sizeof(shape), "ukernel %ux%u kc=%zu", k->mr, k->nr, kc);
		report(m, "gemm", k->name, isa_of_gemm(k), shape,
		       2.0 * k->mr * k->nr * kc * u.calls, time_median(run_ukernel, &u));
		free((void *)u.a);
		free((void *)u.b);
		free(u.c);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			const size_t mm = sizes[s][0], n = sizes[s][1], kk = sizes[s][2];
			gemm_run g = {.k = k};

			if (quick && mm * n * kk > (size_t)1 << 28)
				continue;
			g.d.m = mm;
			g.d.n = n;
			g.d.k = kk;
			g.d.a = buf(mm * kk, 4);
			g.d.a_rs = kk;
			g.d.a_cs = 1;
			g.d.alpha = 1.0f;
			g.d.b = buf(kk * n, 5);
			g.d.b_rs = n;
			g.d.b_cs = 1;
			g.d.c = buf(mm * n, 6);
			g.d.ldc = n;
			if (posix_memalign(&g.ws, 64, cdl_f32_gemm_workspace_size(mm, n, kk)) != 0)
				abort();
			snprintf(shape, sizeof(shape), "m%zu n%zu k%zu", mm, n, kk);
			report(m, "gemm", k->name, isa_of_gemm(k), shape, 2.0 * mm * n * kk,
			       time_median(run_gemm, &g));
			free((void *)g.d.a);
			free((void *)g.d.b);
			free(g.d.c);
			free(g.ws);
		}
	}
}

/* ------------------------------------------------------- conv (im2col GEMM) */

typedef struct conv_shape {
	const char *name;
	int64_t cin, cout, hw, k, s;
	bool no_pad; /* else k / 2 on each side */
} conv_shape;

/* The 3x3 convolutions of resnet18 (and its 7x7 stem), batch 1; then the
 * stride-2 3x3 ones: resnet18's downsampling layers and the first layers of
 * mobilenet_v2 and squeezenet1_1. */
static const conv_shape conv_shapes[] = {
    {"resnet18 conv1 7x7/2", 3, 64, 224, 7, 2, false},
    {"resnet18 layer1 3x3", 64, 64, 56, 3, 1, false},
    {"resnet18 layer2 3x3", 128, 128, 28, 3, 1, false},
    {"resnet18 layer3 3x3", 256, 256, 14, 3, 1, false},
    {"resnet18 layer4 3x3", 512, 512, 7, 3, 1, false},
    {"resnet18 layer2.0 3x3/2", 64, 128, 56, 3, 2, false},
    {"resnet18 layer3.0 3x3/2", 128, 256, 28, 3, 2, false},
    {"resnet18 layer4.0 3x3/2", 256, 512, 14, 3, 2, false},
    {"mobilenet_v2 conv0 3x3/2", 3, 32, 224, 3, 2, false},
    {"squeezenet conv0 3x3/2 p0", 3, 64, 224, 3, 2, true},
};

static void conv_geom(const conv_shape *c, cdl_conv_geom *g)
{
	for (int a = 0; a < 3; a++) {
		g->in[a] = g->out[a] = g->kernel[a] = g->stride[a] = g->dilation[a] = 1;
		g->pad[a] = 0;
	}
	for (int a = 1; a < 3; a++) {
		g->in[a] = c->hw;
		g->kernel[a] = c->k;
		g->stride[a] = c->s;
		g->pad[a] = c->no_pad ? 0 : c->k / 2;
		g->out[a] = (c->hw + 2 * g->pad[a] - c->k) / c->s + 1;
	}
}

typedef struct im2col_run {
	cdl_im2col_src src;
	size_t k, n, nr;
	float *dst;
} im2col_run;

static void run_im2col(void *arg)
{
	im2col_run *r = arg;

	/* the whole matrix, in the GEMM's blocks */
	for (size_t n0 = 0; n0 < r->n; n0 += CDL_GEMM_NC) {
		const size_t nc = r->n - n0 < CDL_GEMM_NC ? r->n - n0 : CDL_GEMM_NC;

		for (size_t k0 = 0; k0 < r->k; k0 += CDL_GEMM_KC) {
			const size_t kc = r->k - k0 < CDL_GEMM_KC ? r->k - k0 : CDL_GEMM_KC;

			cdl_f32_im2col_pack_b(&r->src, k0, kc, n0, nc, r->nr, r->dst);
		}
	}
}

#if defined(__x86_64__)
typedef struct direct_run {
	const cdl_conv_geom *g;
	size_t channels, m;
	const float *x, *w;
	float *y;
	size_t (*fn)(const cdl_conv_geom *g, size_t channels, const float *x, size_t m,
		     const float *w, const float *bias, float *y, float lo, float hi);
} direct_run;

static void run_direct(void *arg)
{
	direct_run *r = arg;

	r->fn(r->g, r->channels, r->x, r->m, r->w, NULL, r->y, -__builtin_inff(), __builtin_inff());
}
#endif

static void bench_conv(const machine *m)
{
	const cdl_f32_gemm_kernel *list[8];
	const size_t nk = cdl_f32_gemm_kernels(list, 8);

	printf(
	    "\n-- convolution as GEMM (weights read in place, im2col packed per block; \"dir\":\n"
	    "   3x3 stride 1 or 2 read from the input by the micro-kernel, no im2col)\n");
	for (size_t s = 0; s < sizeof(conv_shapes) / sizeof(conv_shapes[0]); s++) {
		const conv_shape *c = &conv_shapes[s];
		cdl_conv_geom g;
		size_t n = 0, kk = 0;
		float *x = NULL;

		conv_geom(c, &g);
		n = (size_t)(g.out[1] * g.out[2]);
		kk = (size_t)(c->cin * c->k * c->k);
		x = buf((size_t)(c->cin * c->hw * c->hw), 7);
		for (size_t v = 0; v < nk && v < 8; v++) {
			gemm_run r = {.k = list[v]};
			cdl_im2col_src src = {x, (size_t)c->cin, &g};

			if (quick && strstr(list[v]->name, "scalar"))
				continue;
			r.d.m = (size_t)c->cout;
			r.d.n = n;
			r.d.k = kk;
			r.d.a = buf((size_t)c->cout * kk, 8);
			r.d.a_rs = kk;
			r.d.a_cs = 1;
			r.d.alpha = 1.0f;
			r.d.pack_b = cdl_f32_im2col_pack_b;
			r.d.pack_b_arg = &src;
			r.d.c = buf((size_t)c->cout * n, 9);
			r.d.ldc = n;
			if (posix_memalign(&r.ws, 64, cdl_f32_gemm_workspace_size(r.d.m, n, kk)) !=
			    0)
				abort();
			report(m, "conv", list[v]->name, isa_of_gemm(list[v]), c->name,
			       2.0 * (double)c->cout * (double)n * (double)kk,
			       time_median(run_gemm, &r));
			free((void *)r.d.a);
			free(r.d.c);
			free(r.ws);
		}
#if defined(__x86_64__)
		if (cdl_kernels_isa() >= CDL_ISA_AVX512 &&
		    (cdl_f32_conv3x3s1_fits(&g) || cdl_f32_conv3x3s2_fits(&g))) {
			direct_run d = {&g,
					(size_t)c->cin,
					(size_t)c->cout,
					x,
					buf((size_t)c->cout * kk, 8),
					buf((size_t)c->cout * n, 9),
					cdl_f32_conv3x3s1_fits(&g)
					    ? cdl_f32_conv3x3s1_direct__avx512
					    : cdl_f32_conv3x3s2_direct__avx512};

			report(m, "conv", "8x32-avx512 dir", CDL_ISA_AVX512, c->name,
			       2.0 * (double)c->cout * (double)n * (double)kk,
			       time_median(run_direct, &d));
			free((void *)d.w);
			free(d.y);
		}
#endif
		free(x);
	}
}

static void bench_im2col(const machine *m)
{
	const int isa_max = cdl_kernels_isa();

	printf("\n-- im2col packing (GB/s of packed B written)\n");
	for (size_t s = 1; s < sizeof(conv_shapes) / sizeof(conv_shapes[0]); s++) {
		const conv_shape *c = &conv_shapes[s];
		cdl_conv_geom g;

		conv_geom(c, &g);
		for (int isa = CDL_ISA_SCALAR; isa <= isa_max; isa++) {
			im2col_run r;
			double t = 0;

			if (isa == CDL_ISA_NEON && isa_max != CDL_ISA_NEON)
				continue;
			cdl_kernels_set_isa_cap(isa);
			r.src.x = buf((size_t)(c->cin * c->hw * c->hw), 7);
			r.src.channels = (size_t)c->cin;
			r.src.g = &g;
			r.k = (size_t)(c->cin * c->k * c->k);
			r.n = (size_t)(g.out[1] * g.out[2]);
			r.nr = 32;
			r.dst = buf((CDL_GEMM_NC + 32) * CDL_GEMM_KC, 1);
			t = time_median(run_im2col, &r);
			printf("%-8s %-16s %-28s %9.2f GB/s\n", "im2col",
			       isa == CDL_ISA_AVX512 ? "avx512 (s2 only)"
			       : isa == CDL_ISA_AVX2 ? "avx2 (memcpy)"
			       : isa == CDL_ISA_NEON ? "neon (memcpy)"
						     : "scalar (memcpy)",
			       c->name, (double)r.k * (double)r.n * sizeof(float) / t / 1e9);
			(void)m;
			free((void *)r.src.x);
			free(r.dst);
		}
		cdl_kernels_set_isa_cap(-1);
	}
}

/* ---------------------------------------------------------------- dwconv */

typedef struct dw_shape {
	const char *name;
	int64_t c, hw, k, s;
} dw_shape;

/* Depthwise layers of mobilenet_v2 (3x3) and of mobilenet_v3 / efficientnet (5x5). */
static const dw_shape dw_shapes[] = {
    {"mbv2 112x112x32 3x3/1", 32, 112, 3, 1}, {"mbv2 112x112x96 3x3/2", 96, 112, 3, 2},
    {"mbv2 56x56x144 3x3/1", 144, 56, 3, 1},  {"mbv2 28x28x192 3x3/1", 192, 28, 3, 1},
    {"mbv2 14x14x576 3x3/1", 576, 14, 3, 1},  {"mbv2 14x14x576 3x3/2", 576, 14, 3, 2},
    {"mbv2 7x7x960 3x3/1", 960, 7, 3, 1},     {"mbv3 28x28x96 5x5/2", 96, 28, 5, 2},
    {"mbv3 14x14x240 5x5/1", 240, 14, 5, 1},  {"mbv3 7x7x576 5x5/1", 576, 7, 5, 1},
};

typedef struct dw_run {
	cdl_f32_dwconv_fn fn;
	const cdl_conv_geom *g;
	const float *x, *w;
	float *y;
	int64_t c;
	cdl_act act;
} dw_run;

static void run_dw(void *arg)
{
	dw_run *r = arg;
	const size_t in = (size_t)(r->g->in[1] * r->g->in[2]);
	const size_t out = (size_t)(r->g->out[1] * r->g->out[2]);
	const size_t kk = (size_t)(r->g->kernel[1] * r->g->kernel[2]);

	for (int64_t ch = 0; ch < r->c; ch++)
		r->fn(r->g, r->x + (size_t)ch * in, r->w + (size_t)ch * kk, 0.1f,
		      r->y + (size_t)ch * out, &r->act);
}

static void bench_dwconv(const machine *m)
{
	const cdl_f32_dwconv_kernel *list[32];
	const size_t nk = cdl_f32_dwconv_kernels(list, 32);

	printf("\n-- depthwise convolution (Relu fused), every channel of the layer\n");
	for (size_t s = 0; s < sizeof(dw_shapes) / sizeof(dw_shapes[0]); s++) {
		const dw_shape *d = &dw_shapes[s];
		const conv_shape cs = {d->name, d->c, d->c, d->hw, d->k, d->s, false};
		cdl_conv_geom g;
		dw_run r;
		double flops = 0;

		conv_geom(&cs, &g);
		r.g = &g;
		r.c = d->c;
		r.x = buf((size_t)(d->c * d->hw * d->hw), 1);
		r.w = buf((size_t)(d->c * d->k * d->k), 2);
		r.y = buf((size_t)(d->c * g.out[1] * g.out[2]), 3);
		r.act.kind = CDL_ACT_RELU;
		r.act.alpha = r.act.beta = 0.0f;
		flops = 2.0 * (double)(d->c * g.out[1] * g.out[2] * d->k * d->k);
		r.fn = cdl_f32_dwconv_channel__scalar;
		report(m, "dwconv", "generic-scalar", CDL_ISA_SCALAR, d->name, flops,
		       time_median(run_dw, &r));
		for (size_t v = 0; v < nk && v < 32; v++) {
			if (!cdl_f32_dwconv_fits(&g, list[v]->k, list[v]->s))
				continue;
			r.fn = list[v]->fn;
			report(m, "dwconv", list[v]->name, list[v]->isa, d->name, flops,
			       time_median(run_dw, &r));
		}
		free((void *)r.x);
		free((void *)r.w);
		free(r.y);
	}
}

int main(int argc, char **argv)
{
	const char *family = "all";
	machine m;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (argv[i][0] != '-')
			family = argv[i];
		else {
			fprintf(stderr,
				"usage: bench_kernels [gemm|conv|dwconv|im2col|all] [--quick]\n");
			return 2;
		}
	}
	measure_machine(&m);
	printf("cpu: %s, %ld cores; nominal %.2f GHz (/proc/cpuinfo), measured %.2f GHz "
	       "(dependent adds, this thread)\n",
	       m.model, m.cores, m.nominal_ghz, m.ghz);
	printf("peak of one core (FMA loop): AVX2 %.1f GFLOP/s (%.1f FLOPs/cycle)", m.peak_avx2,
	       m.avx2_fpc);
	if (m.avx512_fpc > 0)
		printf(", AVX-512 %.1f GFLOP/s (%.1f FLOPs/cycle)", m.peak_best, m.avx512_fpc);
	printf("\nmachine peak (%ld cores): AVX2 %.1f GFLOP/s", m.cores,
	       m.peak_avx2 * (double)m.cores);
	if (m.avx512_fpc > 0)
		printf(", AVX-512 %.1f GFLOP/s", m.peak_best * (double)m.cores);
	printf("\n");
	if (!strcmp(family, "all") || !strcmp(family, "gemm"))
		bench_gemm(&m);
	if (!strcmp(family, "all") || !strcmp(family, "conv"))
		bench_conv(&m);
	if (!strcmp(family, "all") || !strcmp(family, "im2col"))
		bench_im2col(&m);
	if (!strcmp(family, "all") || !strcmp(family, "dwconv"))
		bench_dwconv(&m);
	return 0;
}
