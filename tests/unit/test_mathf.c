// SPDX-License-Identifier: Apache-2.0
/*
 * Accuracy and special values of the engine's own float math (src/engine/
 * mathf.c) against the host libm evaluated in double precision.
 *
 * Each unary function is swept over its domain in float bit-pattern order
 * (every step-th pattern, step odd so all low mantissa bits get exercised),
 * >= 10^7 points per function; powf over 2-D grids. The error of a result is
 * |got - ref| / ulp(ref) with ref the double libm value, so a correctly
 * rounded float scores <= 0.5. The bounds asserted are the ones mathf.c
 * states. CDL_TEST_FAST=1 (or a sanitizer build) sweeps 8x fewer points;
 * CDL_MATHF_EXHAUSTIVE=1 sweeps every float of each unary domain (minutes per
 * function). Names on the command line (e.g. "sinf powf") limit the sweeps to
 * those functions; the special-value checks always run.
 *
 * Every result's bits also go into a digest printed per function: the same
 * digest on two platforms means bit-identical results there.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/mathf.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define FULL_POINTS 12000000 /* per unary function */

static long points_per_fn = FULL_POINTS;
static int fast_mode;
static int failures;
static char **only; /* function names from argv, NULL-terminated, or NULL */

static int selected(const char *name)
{
	if (!only || !*only)
		return 1;
	for (char **p = only; *p; p++)
		if (!strcmp(*p, name))
			return 1;
	return 0;
}

static uint32_t f2u(float x)
{
	uint32_t u = 0;

	memcpy(&u, &x, sizeof(u));
	return u;
}

static float u2f(uint32_t u)
{
	float x = 0;

	memcpy(&x, &u, sizeof(x));
	return x;
}

/* Float bit patterns in value order: -0 and +0 both map to 0. */
static int64_t ord_of(float x)
{
	uint32_t u = f2u(x);

	return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static float float_of(int64_t o)
{
	return o < 0 ? u2f(0x80000000u | (uint32_t)-o) : u2f((uint32_t)o);
}

/* Spacing of floats at |v|, with the subnormal spacing as the floor. */
static double ulp_of(double v)
{
	int e = 0;

	v = fabs(v);
	if (v < 0x1p-126)
		return 0x1p-149;
	if (v >= 0x1p128)
		return 0x1p104;
	frexp(v, &e);
	return ldexp(1.0, e - 1 - 23);
}

/* Error in ulp of got against the double reference; infinite if NaN-ness differs. */
static double ulp_err(float got, double ref)
{
	double g = got;

	if (isnan(ref) || isnan(got))
		return isnan(ref) && isnan(got) ? 0 : INFINITY;
	if (isinf(got) && (float)ref == got)
		return 0;
	if (isinf(got))
		g = copysign(0x1p128, got); /* one past FLT_MAX, for the distance */
	if (isinf(ref))
		ref = copysign(0x1p128, ref);
	return fabs(g - ref) / ulp_of(ref);
}

static uint64_t digest_add(uint64_t h, float v)
{
	uint32_t u = f2u(v);

	if (isnan(v))
		u = 0x7fc00000u; /* NaN payloads may differ by platform */
	for (int i = 0; i < 4; i++) {
		h ^= (u >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	return h;
}

#define DIGEST_INIT 0xcbf29ce484222325ull

struct sweep {
	long points;
	long misrounded; /* results other than the reference rounded to float */
	double max_err;
	float worst_x, worst_y;
	float worst_got;
	double worst_ref;
	uint64_t digest;
};

static void stat_init(struct sweep *s)
{
	memset(s, 0, sizeof(*s));
	s->max_err = -1;
	s->digest = DIGEST_INIT;
}

static void stat_add(struct sweep *s, float x, float y, float got, double ref)
{
	double e = ulp_err(got, ref);

	s->points++;
	s->digest = digest_add(s->digest, got);
	if (!isnan(ref) && f2u(got) != f2u((float)ref))
		s->misrounded++;
	if (e > s->max_err) {
		s->max_err = e;
		s->worst_x = x;
		s->worst_y = y;
		s->worst_got = got;
		s->worst_ref = ref;
	}
}

static void report(const char *name, const struct sweep *s, double bound, int two_args,
		   double seconds)
{
	int ok = s->max_err <= bound;

	printf("%-10s %9ld points  max %.6f ulp (bound %.1f)  %ld misrounded  worst x=%a", name,
	       s->points, s->max_err, bound, s->misrounded, s->worst_x);
	if (two_args)
		printf(" y=%a", s->worst_y);
	else
		printf(" (%.9g)", s->worst_x);
	printf("  digest %016llx  %.2fs  %s\n", (unsigned long long)s->digest, seconds,
	       ok ? "ok" : "FAIL");
	if (!ok) {
		printf("    got %a, reference %a\n", s->worst_got, s->worst_ref);
		failures++;
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- unary sweeps ---------------------------------------------------------- */

static double ref_sigmoid(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

struct unary {
	const char *name;
	float (*fn)(float);
	double (*ref)(double);
	float lo, hi; /* inclusive domain swept */
	double bound; /* ulp */
};

static const struct unary unaries[] = {
    {"expf", cdl_expf, exp, -110.0f, 90.0f, 1.0},
    {"expm1f", cdl_expm1f, expm1, -20.0f, 90.0f, 1.0},
    {"logf", cdl_logf, log, 0x1p-149f, FLT_MAX, 1.0},
    {"log1pf", cdl_log1pf, log1p, -0x1.fffffep-1f, FLT_MAX, 1.0},
    {"sqrtf", cdl_sqrtf, sqrt, 0.0f, FLT_MAX, 0.5},
    {"tanhf", cdl_tanhf, tanh, -12.0f, 12.0f, 1.0},
    {"sigmoidf", cdl_sigmoidf, ref_sigmoid, -110.0f, 110.0f, 1.0},
    {"erff", cdl_erff, erf, -5.0f, 5.0f, 1.0},
    {"sinf", cdl_sinf, sin, -FLT_MAX, FLT_MAX, 1.0},
    {"cosf", cdl_cosf, cos, -FLT_MAX, FLT_MAX, 1.0},
    {"tanf", cdl_tanf, tan, -FLT_MAX, FLT_MAX, 1.0},
    {"atanf", cdl_atanf, atan, -FLT_MAX, FLT_MAX, 1.0},
    {"asinf", cdl_asinf, asin, -1.0f, 1.0f, 1.0},
    {"acosf", cdl_acosf, acos, -1.0f, 1.0f, 1.0},
    {"sinhf", cdl_sinhf, sinh, -92.0f, 92.0f, 1.0},
    {"coshf", cdl_coshf, cosh, -92.0f, 92.0f, 1.0},
    {"asinhf", cdl_asinhf, asinh, -FLT_MAX, FLT_MAX, 1.0},
    {"acoshf", cdl_acoshf, acosh, 1.0f, FLT_MAX, 1.0},
    {"atanhf", cdl_atanhf, atanh, -0x1.fffffep-1f, 0x1.fffffep-1f, 1.0},
};

/* Odd step over [lo, hi] in bit-pattern order giving about n points. */
static int64_t sweep_step(int64_t lo, int64_t hi, long n)
{
	int64_t step = (hi - lo) / n;

	return step < 1 ? 1 : step | 1;
}

static void run_unary(const struct unary *c)
{
	struct sweep s;
	int64_t lo = ord_of(c->lo), hi = ord_of(c->hi);
	int64_t step = sweep_step(lo, hi, points_per_fn);
	double t0 = now();

	stat_init(&s);
	for (int64_t o = lo; o <= hi; o += step) {
		float x = float_of(o);

		stat_add(&s, x, 0, c->fn(x), c->ref(x));
	}
	stat_add(&s, c->hi, 0, c->fn(c->hi), c->ref(c->hi));
	report(c->name, &s, c->bound, 0, now() - t0);
	/* sqrtf is correctly rounded: (float)sqrt(double) is too (p >= 2p' + 2) */
	if (c->fn == cdl_sqrtf && s.misrounded) {
		printf("FAIL sqrtf: %ld results not correctly rounded\n", s.misrounded);
		failures++;
	}
}

/* ---- powf ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_unit(void)
{
	return (rng() >> 11) * 0x1p-53;
}

static void pow_point(struct sweep *s, float x, float y)
{
	stat_add(s, x, y, cdl_powf(x, y), pow(x, y));
}

static void run_powf(void)
{
	struct sweep s;
	double t0 = now();
	int div = fast_mode ? 4 : 1; /* fewer bases and exponents per grid */
	int nb = 0, ne = 0;
	int64_t lo = 0, hi = 0, step = 0;

	stat_init(&s);
	/*
	 * A: positive bases across all binades, exponents chosen so y log2 x
	 * spans [-155, 132]: results from zero through subnormals to overflow.
	 */
	nb = 2048 / div;
	ne = 2048 / div;
	lo = ord_of(0x1p-149f);
	hi = ord_of(FLT_MAX);
	step = sweep_step(lo, hi, nb);
	for (int64_t o = lo; o <= hi; o += step) {
		float x = float_of(o);
		double l2 = log2(x);

		if (x == 1.0f)
			continue;
		for (int j = 0; j < ne; j++) {
			float y = (float)((-155.0 + 287.0 * rng_unit()) / l2);

			if (isfinite(y))
				pow_point(&s, x, y);
		}
	}
	/* B: bit-pattern grid of bases x exponents, special regions included. */
	nb = 1024 / div;
	step = sweep_step(ord_of(0x1p-149f), ord_of(FLT_MAX), nb);
	for (int64_t o = ord_of(0x1p-149f); o <= ord_of(FLT_MAX); o += step) {
		int64_t ostep = sweep_step(ord_of(-FLT_MAX), ord_of(FLT_MAX), nb);

		for (int64_t p = ord_of(-FLT_MAX); p <= ord_of(FLT_MAX); p += ostep)
			pow_point(&s, float_of(o), float_of(p));
	}
	/*
	 * C: bases next to 1 with huge exponents: log x is tiny there and must
	 * keep its full relative accuracy.
	 */
	nb = 2000 / div;
	for (int k = -nb; k <= nb; k++) {
		float x = 1.0f + k * 0x1p-23f;

		if (k < 0)
			x = 1.0f + k * 0x1p-24f;
		if (k == 0)
			continue;
		for (int j = 0; j < 1000; j++) {
			float y = (float)((-150.0 + 280.0 * rng_unit()) / log(x));

			pow_point(&s, x, y);
		}
	}
	/* D: negative bases with integer exponents, odd and even. */
	nb = 2048 / div;
	step = sweep_step(ord_of(-FLT_MAX), ord_of(-0x1p-149f), nb);
	for (int64_t o = ord_of(-FLT_MAX); o <= ord_of(-0x1p-149f); o += step) {
		float x = float_of(o);

		for (int n = -300; n <= 300; n++)
			pow_point(&s, x, (float)n);
		pow_point(&s, x, 0x1p24f + 2.0f); /* past 2^24 every float is even */
		pow_point(&s, x, 0x1p24f - 1.0f); /* the largest odd float */
		pow_point(&s, x, -(0x1p23f + 1.0f));
		pow_point(&s, x, 0.5f); /* fractional: NaN */
	}
	report("powf", &s, 1.0, 1, now() - t0);
}

/* Edge values: every function meets libm (Annex F) on them. */
static const float edge_values[] = {
    0.0f,      -0.0f,	   INFINITY,	-INFINITY,	NAN,	     1.0f,	-1.0f,
    0x1p-149f, -0x1p-149f, 0x1p-126f,	-0x1p-126f,	FLT_MAX,     -FLT_MAX,	0.5f,
    -0.5f,     2.0f,	   -2.0f,	3.0f,		-3.0f,	     2.5f,	-2.5f,
    0x1p24f,   -0x1p24f,   0x1p23f + 1, -(0x1p23f + 1), 0x1p24f + 2, 88.72283f, -87.33655f,
    89.41599f, 0x1p-24f,   -0x1p-24f,	1.0000001f,	0.99999994f, 1e30f,	-1e30f,
};

#define N_EDGE (sizeof(edge_values) / sizeof(edge_values[0]))

/* ---- exact functions ----------------------------------------------------------- */

struct exact1 {
	const char *name;
	float (*fn)(float);
	float (*ref)(float);
};

static const struct exact1 exacts[] = {
    {"floorf", cdl_floorf, floorf},
    {"ceilf", cdl_ceilf, ceilf},
    {"truncf", cdl_truncf, truncf},
    {"roundf", cdl_roundf, roundf},
    {"nearbyintf", cdl_nearbyintf, nearbyintf},
    {"fabsf", cdl_fabsf, fabsf},
};

static int same_bits(float a, float b)
{
	return (isnan(a) && isnan(b)) || f2u(a) == f2u(b);
}

static void run_exact(const struct exact1 *c)
{
	long points = 0, bad = 0;
	float worst = 0;
	uint64_t h = DIGEST_INIT;
	double t0 = now();
	/* all patterns, NaNs and infinities included */
	uint64_t step = (0x100000000ull / (uint64_t)points_per_fn) | 1;

	for (uint64_t u = 0; u <= 0xffffffffull; u += step) {
		float x = u2f((uint32_t)u);
		float got = c->fn(x);

		points++;
		h = digest_add(h, got);
		if (!same_bits(got, c->ref(x))) {
			if (!bad)
				worst = x;
			bad++;
		}
	}
	for (size_t i = 0; i < N_EDGE; i++) {
		float x = edge_values[i];

		points++;
		if (!same_bits(c->fn(x), c->ref(x))) {
			if (!bad)
				worst = x;
			bad++;
		}
	}
	/* the edges of the integer range, densely */
	for (int64_t o = ord_of(-0x1p24f); o <= ord_of(0x1p24f); o += fast_mode ? 3989 : 397) {
		float x = float_of(o);

		points++;
		if (!same_bits(c->fn(x), c->ref(x))) {
			if (!bad)
				worst = x;
			bad++;
		}
	}
	printf("%-10s %9ld points  %ld mismatches with libm  first x=%a", c->name, points, bad,
	       worst);
	printf("  digest %016llx  %.2fs  %s\n", (unsigned long long)h, now() - t0,
	       bad ? "FAIL" : "ok");
	if (bad)
		failures++;
}

static void run_fmodf(void)
{
	long points = 0, bad = 0;
	float wx = 0, wy = 0;
	int n = fast_mode ? 1024 : 2200;
	int64_t lo = ord_of(-INFINITY), hi = ord_of(INFINITY);
	int64_t step = sweep_step(lo, hi, n);
	double t0 = now();

	for (int64_t o = lo; o <= hi; o += step) {
		for (int64_t p = lo; p <= hi; p += step) {
			float x = float_of(o), y = float_of(p);

			points++;
			if (!same_bits(cdl_fmodf(x, y), fmodf(x, y))) {
				if (!bad) {
					wx = x;
					wy = y;
				}
				bad++;
			}
		}
	}
	/* random pairs: subnormal and tiny operands, then operands of one binade */
	for (int i = 0; i < n * 300; i++) {
		uint32_t a = (uint32_t)rng(), b = (uint32_t)rng();
		float x = u2f(a & 0x80ffffffu), y = u2f(b & 0x81ffffffu);

		if (i & 1) {
			x = u2f(a & 0xbfffffffu);
			y = u2f((b & 0x807fffffu) | (a & 0x7f800000u));
		}
		points++;
		if (!same_bits(cdl_fmodf(x, y), fmodf(x, y))) {
			if (!bad) {
				wx = x;
				wy = y;
			}
			bad++;
		}
	}
	printf("%-10s %9ld points  %ld mismatches with libm  first x=%a y=%a  %.2fs  %s\n", "fmodf",
	       points, bad, wx, wy, now() - t0, bad ? "FAIL" : "ok");
	if (bad)
		failures++;
}

/* ---- special values ---------------------------------------------------------- */

static void expect(const char *what, float got, float want)
{
	if (!same_bits(got, want)) {
		printf("FAIL %s = %a (bits %08x), expected %a (bits %08x)\n", what, got, f2u(got),
		       want, f2u(want));
		failures++;
	}
}

#define EXPECT(call, want) expect(#call, call, want)

static void check_named_specials(void)
{
	const float inf = INFINITY, nan = NAN;
	const float pio2 = 0x1.921fb6p+0f, pi = 0x1.921fb6p+1f; /* rounded to float */

	EXPECT(cdl_expf(-inf), 0.0f);
	EXPECT(cdl_expf(inf), inf);
	EXPECT(cdl_expf(nan), nan);
	EXPECT(cdl_expf(0.0f), 1.0f);
	EXPECT(cdl_expf(-0.0f), 1.0f);
	EXPECT(cdl_expf(88.8f), inf);
	EXPECT(cdl_expf(-104.0f), 0.0f);
	EXPECT(cdl_expf(-103.0f), 0x1p-149f);
	EXPECT(cdl_expf(-100.0f), 0x1.bp-145f); /* 26.55 * 2^-149 */
	EXPECT(cdl_expm1f(-0.0f), -0.0f);
	EXPECT(cdl_expm1f(-inf), -1.0f);
	EXPECT(cdl_expm1f(inf), inf);
	EXPECT(cdl_logf(0.0f), -inf);
	EXPECT(cdl_logf(-0.0f), -inf);
	EXPECT(cdl_logf(-1.0f), nan);
	EXPECT(cdl_logf(-inf), nan);
	EXPECT(cdl_logf(1.0f), 0.0f);
	EXPECT(cdl_logf(inf), inf);
	EXPECT(cdl_logf(nan), nan);
	EXPECT(cdl_log1pf(-1.0f), -inf);
	EXPECT(cdl_log1pf(-2.0f), nan);
	EXPECT(cdl_log1pf(-0.0f), -0.0f);
	EXPECT(cdl_log1pf(inf), inf);
	EXPECT(cdl_sqrtf(-0.0f), -0.0f);
	EXPECT(cdl_sqrtf(0.0f), 0.0f);
	EXPECT(cdl_sqrtf(-1.0f), nan);
	EXPECT(cdl_sqrtf(-inf), nan);
	EXPECT(cdl_sqrtf(inf), inf);
	EXPECT(cdl_sqrtf(4.0f), 2.0f);
	EXPECT(cdl_sqrtf(0x1p-149f), 0x1.6a09e6p-75f);
	EXPECT(cdl_tanhf(inf), 1.0f);
	EXPECT(cdl_tanhf(-inf), -1.0f);
	EXPECT(cdl_tanhf(-0.0f), -0.0f);
	EXPECT(cdl_sigmoidf(inf), 1.0f);
	EXPECT(cdl_sigmoidf(-inf), 0.0f);
	EXPECT(cdl_sigmoidf(0.0f), 0.5f);
	EXPECT(cdl_sigmoidf(nan), nan);
	EXPECT(cdl_erff(inf), 1.0f);
	EXPECT(cdl_erff(-inf), -1.0f);
	EXPECT(cdl_erff(-0.0f), -0.0f);
	EXPECT(cdl_sinf(inf), nan);
	EXPECT(cdl_sinf(-inf), nan);
	EXPECT(cdl_cosf(inf), nan);
	EXPECT(cdl_tanf(-inf), nan);
	EXPECT(cdl_sinf(-0.0f), -0.0f);
	EXPECT(cdl_cosf(-0.0f), 1.0f);
	EXPECT(cdl_tanf(-0.0f), -0.0f);
	EXPECT(cdl_atanf(inf), pio2);
	EXPECT(cdl_atanf(-inf), -pio2);
	EXPECT(cdl_atanf(-0.0f), -0.0f);
	EXPECT(cdl_asinf(1.0f), pio2);
	EXPECT(cdl_asinf(-1.0f), -pio2);
	EXPECT(cdl_asinf(1.5f), nan);
	EXPECT(cdl_asinf(-0.0f), -0.0f);
	EXPECT(cdl_acosf(1.0f), 0.0f);
	EXPECT(cdl_acosf(-1.0f), pi);
	EXPECT(cdl_acosf(0.0f), pio2);
	EXPECT(cdl_acosf(-1.5f), nan);
	EXPECT(cdl_sinhf(inf), inf);
	EXPECT(cdl_sinhf(-inf), -inf);
	EXPECT(cdl_sinhf(-0.0f), -0.0f);
	EXPECT(cdl_sinhf(90.0f), inf);
	EXPECT(cdl_coshf(-inf), inf);
	EXPECT(cdl_coshf(-0.0f), 1.0f);
	EXPECT(cdl_asinhf(-inf), -inf);
	EXPECT(cdl_asinhf(-0.0f), -0.0f);
	EXPECT(cdl_acoshf(1.0f), 0.0f);
	EXPECT(cdl_acoshf(inf), inf);
	EXPECT(cdl_acoshf(0.5f), nan);
	EXPECT(cdl_acoshf(-inf), nan);
	EXPECT(cdl_atanhf(1.0f), inf);
	EXPECT(cdl_atanhf(-1.0f), -inf);
	EXPECT(cdl_atanhf(-0.0f), -0.0f);
	EXPECT(cdl_atanhf(1.5f), nan);

	/* powf, C99 F.9.4.4 */
	EXPECT(cdl_powf(nan, 0.0f), 1.0f);
	EXPECT(cdl_powf(nan, -0.0f), 1.0f);
	EXPECT(cdl_powf(1.0f, nan), 1.0f);
	EXPECT(cdl_powf(1.0f, inf), 1.0f);
	EXPECT(cdl_powf(-1.0f, inf), 1.0f);
	EXPECT(cdl_powf(-1.0f, -inf), 1.0f);
	EXPECT(cdl_powf(nan, 1.0f), nan);
	EXPECT(cdl_powf(2.0f, nan), nan);
	EXPECT(cdl_powf(-0.0f, -3.0f), -inf);
	EXPECT(cdl_powf(0.0f, -3.0f), inf);
	EXPECT(cdl_powf(-0.0f, -2.0f), inf);
	EXPECT(cdl_powf(-0.0f, -0.5f), inf);
	EXPECT(cdl_powf(-0.0f, -inf), inf);
	EXPECT(cdl_powf(-0.0f, 3.0f), -0.0f);
	EXPECT(cdl_powf(-0.0f, 2.0f), 0.0f);
	EXPECT(cdl_powf(-0.0f, 0.5f), 0.0f);
	EXPECT(cdl_powf(0.0f, inf), 0.0f);
	EXPECT(cdl_powf(0.5f, -inf), inf);
	EXPECT(cdl_powf(-0.5f, -inf), inf);
	EXPECT(cdl_powf(2.0f, -inf), 0.0f);
	EXPECT(cdl_powf(0.5f, inf), 0.0f);
	EXPECT(cdl_powf(-2.0f, inf), inf);
	EXPECT(cdl_powf(-inf, -3.0f), -0.0f);
	EXPECT(cdl_powf(-inf, -2.0f), 0.0f);
	EXPECT(cdl_powf(-inf, -0.5f), 0.0f);
	EXPECT(cdl_powf(-inf, 3.0f), -inf);
	EXPECT(cdl_powf(-inf, 2.0f), inf);
	EXPECT(cdl_powf(-inf, 0.5f), inf);
	EXPECT(cdl_powf(inf, -1.0f), 0.0f);
	EXPECT(cdl_powf(inf, 0.5f), inf);
	EXPECT(cdl_powf(-2.0f, 0.5f), nan);
	EXPECT(cdl_powf(-8.0f, 1.0f / 3.0f), nan);
	EXPECT(cdl_powf(-2.0f, 3.0f), -8.0f);
	EXPECT(cdl_powf(-2.0f, -3.0f), -0.125f);
	EXPECT(cdl_powf(-2.0f, 4.0f), 16.0f);
	EXPECT(cdl_powf(-1.0f, 0x1p24f + 2.0f), 1.0f);
	EXPECT(cdl_powf(-1.0f, 0x1p24f - 1.0f), -1.0f);
	EXPECT(cdl_powf(2.0f, 128.0f), inf);
	EXPECT(cdl_powf(-2.0f, 129.0f), -inf);
	EXPECT(cdl_powf(2.0f, -149.0f), 0x1p-149f);
	EXPECT(cdl_powf(2.0f, -151.0f), 0.0f);
	EXPECT(cdl_powf(-2.0f, -151.0f), -0.0f);
	EXPECT(cdl_powf(10.0f, 10.0f), 1e10f);
	EXPECT(cdl_powf(3.0f, 2.0f), 9.0f);

	/* rounding */
	EXPECT(cdl_floorf(-0.5f), -1.0f);
	EXPECT(cdl_floorf(-0.0f), -0.0f);
	EXPECT(cdl_floorf(-0x1p-149f), -1.0f);
	EXPECT(cdl_ceilf(-0.5f), -0.0f);
	EXPECT(cdl_ceilf(0x1p-149f), 1.0f);
	EXPECT(cdl_truncf(-0.7f), -0.0f);
	EXPECT(cdl_truncf(-inf), -inf);
	EXPECT(cdl_roundf(0.5f), 1.0f);
	EXPECT(cdl_roundf(-2.5f), -3.0f);
	EXPECT(cdl_roundf(2.5f), 3.0f);
	EXPECT(cdl_roundf(0x1.fffffep-2f), 0.0f); /* 0.49999997 must not round up */
	EXPECT(cdl_roundf(-0.25f), -0.0f);
	EXPECT(cdl_nearbyintf(0.5f), 0.0f);
	EXPECT(cdl_nearbyintf(-0.5f), -0.0f);
	EXPECT(cdl_nearbyintf(1.5f), 2.0f);
	EXPECT(cdl_nearbyintf(2.5f), 2.0f);
	EXPECT(cdl_nearbyintf(-2.5f), -2.0f);
	EXPECT(cdl_nearbyintf(3.5f), 4.0f);
	EXPECT(cdl_nearbyintf(8388607.5f), 8388608.0f);
	EXPECT(cdl_nearbyintf(0x1.000002p0f), 1.0f);
	EXPECT(cdl_nearbyintf(nan), nan);
	EXPECT(cdl_fmodf(5.5f, 2.0f), 1.5f);
	EXPECT(cdl_fmodf(-5.5f, 2.0f), -1.5f);
	EXPECT(cdl_fmodf(5.5f, -2.0f), 1.5f);
	EXPECT(cdl_fmodf(-4.0f, 2.0f), -0.0f);
	EXPECT(cdl_fmodf(-0.0f, 1.0f), -0.0f);
	EXPECT(cdl_fmodf(3.0f, inf), 3.0f);
	EXPECT(cdl_fmodf(inf, 1.0f), nan);
	EXPECT(cdl_fmodf(1.0f, 0.0f), nan);
	EXPECT(cdl_fmodf(nan, 1.0f), nan);
	EXPECT(cdl_fmodf(1.0f, nan), nan);
	EXPECT(cdl_fmodf(FLT_MAX, 0x1p-149f), 0.0f);
	EXPECT(cdl_fmodf(0x1.8p-148f, 0x1p-148f), 0x1p-149f);
	EXPECT(cdl_fminf(nan, 1.0f), 1.0f);
	EXPECT(cdl_fminf(1.0f, nan), 1.0f);
	EXPECT(cdl_fminf(nan, nan), nan);
	EXPECT(cdl_fminf(-0.0f, 0.0f), -0.0f);
	EXPECT(cdl_fminf(0.0f, -0.0f), -0.0f);
	EXPECT(cdl_fminf(-inf, 3.0f), -inf);
	EXPECT(cdl_fmaxf(nan, 1.0f), 1.0f);
	EXPECT(cdl_fmaxf(-0.0f, 0.0f), 0.0f);
	EXPECT(cdl_fmaxf(0.0f, -0.0f), 0.0f);
	EXPECT(cdl_fmaxf(-2.0f, -3.0f), -2.0f);
	EXPECT(cdl_fabsf(-0.0f), 0.0f);
	EXPECT(cdl_fabsf(-inf), inf);
	EXPECT(cdl_nanf(), nan);
	EXPECT(cdl_inff(), inf);
	if (!cdl_isnanf(nan) || cdl_isnanf(inf) || cdl_isnanf(FLT_MAX) || !cdl_isinff(-inf) ||
	    cdl_isinff(FLT_MAX) || cdl_isinff(nan)) {
		printf("FAIL cdl_isnanf/cdl_isinff classification\n");
		failures++;
	}
}

/* A zero, inf or NaN reference must come out bit-exact, anything else within bound. */
static int edge_ok(float got, double ref, double bound)
{
	float rf = (float)ref;

	if (isnan(ref))
		return isnan(got);
	if (rf == 0 || isinf(rf))
		return f2u(got) == f2u(rf);
	return ulp_err(got, ref) <= bound;
}

static void check_edges(void)
{
	for (size_t i = 0; i < sizeof(unaries) / sizeof(unaries[0]); i++) {
		const struct unary *c = &unaries[i];

		for (size_t j = 0; j < N_EDGE; j++) {
			float x = edge_values[j];
			float got = c->fn(x);
			double ref = c->ref(x);

			if (!edge_ok(got, ref, c->bound)) {
				printf("FAIL %s(%a) = %a, libm %a\n", c->name, x, got, ref);
				failures++;
			}
		}
	}
	for (size_t i = 0; i < N_EDGE; i++) {
		for (size_t j = 0; j < N_EDGE; j++) {
			float x = edge_values[i], y = edge_values[j];
			float got = cdl_powf(x, y);
			double ref = pow(x, y);

			if (!edge_ok(got, ref, 1.0)) {
				printf("FAIL powf(%a, %a) = %a, libm %a\n", x, y, got, ref);
				failures++;
			}
		}
	}
}

static int env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

int main(int argc, char **argv)
{
	double t0 = now();

	setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows up in ctest logs */
	only = argc > 1 ? argv + 1 : NULL;
	fast_mode = SANITIZED || env_set("CDL_TEST_FAST");
	if (fast_mode)
		points_per_fn = FULL_POINTS / 8;
	if (env_set("CDL_MATHF_EXHAUSTIVE")) {
		points_per_fn = LONG_MAX; /* step 1: every float */
		printf("mathf: exhaustive sweep\n");
	} else {
		printf("mathf: %s sweep, %ld points per unary function\n",
		       fast_mode ? "fast" : "full", points_per_fn);
	}

	check_named_specials();
	check_edges();
	for (size_t i = 0; i < sizeof(unaries) / sizeof(unaries[0]); i++)
		if (selected(unaries[i].name))
			run_unary(&unaries[i]);
	if (selected("powf"))
		run_powf();
	for (size_t i = 0; i < sizeof(exacts) / sizeof(exacts[0]); i++)
		if (selected(exacts[i].name))
			run_exact(&exacts[i]);
	if (selected("fmodf"))
		run_fmodf();

	printf("mathf: %d failure(s), %.1fs\n", failures, now() - t0);
	return failures ? 1 : 0;
}
