// SPDX-License-Identifier: Apache-2.0
/*
 * The engine's own float math (DESIGN §5): a TA has no libm, and results must
 * be bit-identical on every platform the engine runs on.
 *
 * Method. Every transcendental function widens its float argument to double,
 * evaluates a double kernel whose relative error is ~1e-15 (exp, expm1, log,
 * log1p, sin/cos, atan, sqrt, erf below), and rounds once to float. A double
 * kernel that good makes the float result correctly rounded except when the
 * exact value lies within ~1e-15 relative of a rounding midpoint, so the error
 * stays at 0.5 ulp plus a hair. Double arithmetic is plain IEEE 754
 * (+ - * /, no libm, no FMA: see the contraction guard below), so the same
 * operations give the same bits on x86-64 and aarch64.
 *
 * Polynomials: Taylor coefficients are written as exact fractions that the
 * compiler rounds once to double; the exp and erf coefficients are Chebyshev
 * fits (mpmath.chebyfit at 300 bits, rounded to double), their error measured
 * in high precision after rounding: exp < 4e-16, erf < 7e-16 relative.
 *
 * sin/cos/tan reduce with an exact Payne-Hanek step on the float's 24-bit
 * mantissa (64-bit integer products against 2/pi), so they are accurate for
 * every finite float, not only near zero.
 *
 * Accuracy: max error in ulp against the libm double result, measured by
 * tests/unit/test_mathf.c (>= 10^7 points per function over the domain shown;
 * the test asserts the bound column). "misrounded" counts results that differ
 * from the libm double value rounded to float; the last column is from a run
 * over every float of the domain (CDL_MATHF_EXHAUSTIVE=1, x86-64).
 *
 *	function	bound	measured	domain swept		every float
 *	expf		1	0.5000		[-110, 90]		0 misrounded
 *	expm1f		1	0.5000		[-20, 90]
 *	logf		1	0.5000		(0, FLT_MAX]		0 misrounded
 *	log1pf		1	0.5000		(-1, FLT_MAX]
 *	powf		1	0.5000		4 grids, 10.5M pairs
 *	sqrtf		0.5	0.5000		[0, FLT_MAX]		correctly rounded
 *	tanhf		1	0.5000		[-12, 12]		0 misrounded
 *	sigmoidf	1	0.5000		[-110, 110]		24 of 2.2e9
 *	erff		1	0.5000		[-5, 5]			0 misrounded
 *	sinf cosf tanf	1	0.5000		all finite floats	0 misrounded
 *	atanf		1	0.5000		all finite floats
 *	asinf acosf	1	0.5000		[-1, 1]
 *	sinhf coshf	1	0.5000		[-92, 92]
 *	asinhf		1	0.5000		all finite floats
 *	acoshf		1	0.5000		[1, FLT_MAX]
 *	atanhf		1	0.5000		(-1, 1)
 *
 * The sampled sweeps find no misrounded result except one powf pair; the
 * bound of 1 ulp leaves room for faster kernels later without a new contract.
 * The per-function digests the test prints are the same on x86-64 (gcc and
 * clang) and aarch64 (gcc, run under qemu). All of this assumes the default
 * floating-point environment: round to nearest, subnormals not flushed.
 *
 * floorf ceilf truncf roundf nearbyintf fmodf fminf fmaxf fabsf are exact
 * (bit operations and an integer long division for fmodf).
 *
 * Special values follow C99 Annex F: NaN in gives NaN out, overflow gives inf,
 * underflow gives a correctly rounded subnormal or zero, logf(0) = -inf,
 * logf(x < 0) = NaN, powf per F.9.4.4, signed zeros preserved by odd functions.
 */
#include <float.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/mathf.h"

/*
 * Bit-identical results need every operation rounded once to its own type:
 * excess precision (x87) or a fused multiply-add would change the last bits.
 */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0
#error "mathf.c needs FLT_EVAL_METHOD == 0 (no excess precision)"
#endif
#ifdef __FAST_MATH__
#error "mathf.c must not be built with -ffast-math: it relies on IEEE semantics"
#endif
/*
 * The project builds with -ffp-contract=off, but a TA dev kit may not: make
 * this file safe on its own. GCC contracts by default in GNU C modes and the
 * optimize pragma stops it (checked: identical aarch64 code with
 * -ffp-contract=fast); clang contracts within expressions by default and the
 * STDC pragma stops that, but clang's -ffp-contract=fast overrides every
 * pragma, so never build this file with that clang flag.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* ---- bit access ---------------------------------------------------------- */

/*
 * Type punning through a union is defined in C11 (6.5.2.3) and, unlike
 * memcpy, needs no <string.h>: the file then builds with nothing but the
 * compiler's own headers.
 */
union f32_bits {
	float f;
	uint32_t u;
};

union f64_bits {
	double d;
	uint64_t u;
};

static inline uint32_t f2u(float x)
{
	union f32_bits b = {.f = x};

	return b.u;
}

static inline float u2f(uint32_t u)
{
	union f32_bits b = {.u = u};

	return b.f;
}

static inline uint64_t d2u(double x)
{
	union f64_bits b = {.d = x};

	return b.u;
}

static inline double u2d(uint64_t u)
{
	union f64_bits b = {.u = u};

	return b.d;
}

#define F_SIGN 0x80000000u
#define F_ABS 0x7fffffffu
#define F_INF 0x7f800000u
#define F_ONE 0x3f800000u
#define F_QNAN 0x7fc00000u

static inline bool is_nan_u(uint32_t u)
{
	return (u & F_ABS) > F_INF;
}

static inline float with_sign(float r, uint32_t sign)
{
	return u2f(f2u(r) ^ sign);
}

/* ---- double kernels -------------------------------------------------------- */

static const double LN2_HI = 0x1.62e42fee00000p-1; /* 32 bits: k * LN2_HI exact */
static const double LN2_LO = 0x1.a39ef35793c76p-33;
static const double INV_LN2 = 0x1.71547652b82fep+0;
static const double SQRT2 = 0x1.6a09e667f3bcdp+0;
static const double PIO2 = 0x1.921fb54442d18p+0;
static const double PI = 0x1.921fb54442d18p+1;

/* Horner; n is a compile-time constant at every call, so this unrolls. */
static inline double poly(const double *c, int n, double x)
{
	double p = c[n - 1];

	for (int i = n - 2; i >= 0; i--)
		p = p * x + c[i];
	return p;
}

/* e^r on |r| <= 0.35, Chebyshev fit of degree 10. */
/* clang-format off */
static const double exp_poly[11] = {
	0x1.0000000000000p+0, 0x1.0000000000022p+0, 0x1.0000000000006p-1,
	0x1.555555554aa65p-3, 0x1.5555555551c5fp-5, 0x1.1111112f96a55p-7,
	0x1.6c16c1806e4e6p-10, 0x1.a0197347536bfp-13, 0x1.a019a2c08d573p-16,
	0x1.73009a6f048f0p-19, 0x1.28a687232618ap-22,
};
/* clang-format on */

/*
 * e^t for |t| <= 700 (callers clamp): t = k ln2 + r with |r| <= ln2/2, so
 * e^t = 2^k e^r and 2^k is built directly in the exponent field.
 */
static double exp_d(double t)
{
	double kd = t * INV_LN2;
	int k = (int)(kd < 0 ? kd - 0.5 : kd + 0.5);
	double r = (t - k * LN2_HI) - k * LN2_LO;

	return poly(exp_poly, 11, r) * u2d((uint64_t)(k + 1023) << 52);
}

/* 1/n! for n = 2..14: e^x - 1 - x on |x| < 0.5 to < 1e-16 relative. */
/* clang-format off */
static const double expm1_taylor[13] = {
	1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320,
	1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800, 1.0 / 479001600,
	1.0 / 6227020800.0, 1.0 / 87178291200.0,
};
/* clang-format on */

/*
 * e^x - 1 for |x| <= 700: near zero exp_d(x) - 1 would cancel away the
 * relative accuracy, so a Taylor series covers |x| < 0.5; beyond it the
 * subtraction loses at most a factor 2.6.
 */
static double expm1_d(double x)
{
	if (x > -0.5 && x < 0.5)
		return x + x * x * poly(expm1_taylor, 13, x);
	return exp_d(x) - 1.0;
}

/* 1/(2k+1) for k = 1..9: the atanh series below. */
/* clang-format off */
static const double atanh_taylor[9] = {
	1.0 / 3, 1.0 / 5, 1.0 / 7, 1.0 / 9, 1.0 / 11, 1.0 / 13, 1.0 / 15, 1.0 / 17, 1.0 / 19,
};
/* clang-format on */

/*
 * log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1]: log(1 + f) = 2 atanh(s)
 * with s = f / (2 + f), |s| <= 0.1716; the series in s^2 <= 0.0295 reaches
 * 1e-17 by s^19 and keeps full relative accuracy for tiny f.
 */
static double log1p_core(double f)
{
	double s = f / (2.0 + f);
	double z = s * s;
	double s2 = s + s;

	return s2 + s2 * z * poly(atanh_taylor, 9, z);
}

/* log(d) for finite d > 0: d = 2^e m with m in [sqrt(1/2), sqrt(2)). */
static double log_d(double d)
{
	int e = 0;
	uint64_t u = 0;
	double m = 0;

	if (d < 0x1p-1000) { /* subnormal doubles: renormalise first */
		d *= 0x1p64;
		e = -64;
	}
	u = d2u(d);
	e += (int)(u >> 52) - 1023;
	m = u2d((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
	if (m > SQRT2) {
		m *= 0.5;
		e++;
	}
	/* m - 1 is exact (Sterbenz); e * LN2_HI is exact. */
	return e * LN2_HI + (e * LN2_LO + log1p_core(m - 1.0));
}

/* log(1 + u) for u > -1, accurate for tiny u too. */
static double log1p_d(double u)
{
	if (u > -0.2928932188134524 && u < 0.4142135623730950)
		return log1p_core(u);
	return log_d(1.0 + u);
}

/*
 * sqrt(d) for d = 0 or a positive normal double, to ~1 ulp of double: a
 * halved-exponent first guess (within 6%) and four Newton steps.
 */
static double sqrt_d(double d)
{
	double y = 0;

	if (d == 0)
		return d;
	y = u2d((d2u(d) >> 1) + 0x1ff8000000000000ull);
	for (int i = 0; i < 4; i++)
		y = 0.5 * (y + d / y);
	return y;
}

/* (-1)^k / (2k+1)! for k = 1..7: sin r on |r| <= pi/4 to < 1e-16. */
/* clang-format off */
static const double sin_taylor[7] = {
	-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800,
	1.0 / 6227020800.0, -1.0 / 1307674368000.0,
};
/* clang-format on */

/* (-1)^k / (2k)! for k = 1..8: cos r on |r| <= pi/4 to < 1e-17. */
/* clang-format off */
static const double cos_taylor[8] = {
	-1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600,
	-1.0 / 87178291200.0, 1.0 / 20922789888000.0,
};
/* clang-format on */

static double sin_d(double r)
{
	double z = r * r;

	return r + r * z * poly(sin_taylor, 7, z);
}

static double cos_d(double r)
{
	double z = r * r;

	return 1.0 + z * poly(cos_taylor, 8, z);
}

/*
 * 2/pi in binary, preceded by one zero word so that arguments as small as
 * pi/4 index the table at a non-negative bit offset.
 */
/* clang-format off */
static const uint32_t two_over_pi[9] = {
	0x00000000, 0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0,
	0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561,
};
/* clang-format on */

/* 32 bits of the table starting at bit offset 32 * q + sh. */
static inline uint64_t tpi_word(int q, int sh)
{
	uint64_t pair = ((uint64_t)two_over_pi[q] << 32) | two_over_pi[q + 1];

	return (uint32_t)(pair >> (32 - sh));
}

/*
 * Exact argument reduction for finite |x| >= pi/4 given its bits ax (sign
 * cleared): x * 2/pi = n + f with |f| <= 1/2; returns f * pi/2 in double and
 * n mod 4. With x = m 2^(b - 150), only the 96 bits of 2/pi that land between
 * 2^2 and 2^-94 of the product matter (higher bits give multiples of 4), so
 * three 24x32-bit products yield 2 integer and 62 fraction bits; no float has
 * a reduced argument small enough to need more.
 */
static double reduce_pio2(uint32_t ax, int *quadrant)
{
	int s = (int)(ax >> 23) - 120; /* bit offset of the window: 6..134 */
	int q = s >> 5, sh = s & 31;
	uint64_t m = (ax & 0x007fffffu) | 0x00800000u;
	uint64_t w0 = tpi_word(q, sh), w1 = tpi_word(q + 1, sh), w2 = tpi_word(q + 2, sh);
	uint64_t p = ((m * w0) << 32) + m * w1 + ((m * w2) >> 32);
	uint64_t n = (p + (1ull << 61)) >> 62; /* round to the nearest quadrant */

	p -= n << 62;
	*quadrant = (int)(n & 3);
	return (double)(int64_t)p * 0x1.921fb54442d18p-62; /* (pi/2) 2^-62 */
}

/* Reduction of a finite float: r in [-pi/4, pi/4], x = r + n pi/2 (mod 2pi). */
static double reduce(float x, int *quadrant)
{
	uint32_t u = f2u(x);
	double r = 0;

	if ((u & F_ABS) < 0x3f490fdbu) { /* |x| < pi/4 */
		*quadrant = 0;
		return x;
	}
	r = reduce_pio2(u & F_ABS, quadrant);
	if (u & F_SIGN) {
		r = -r;
		*quadrant = (4 - *quadrant) & 3;
	}
	return r;
}

/* atan(k/8), k = 0..8. */
/* clang-format off */
static const double atan_k8[9] = {
	0x0.0p+0, 0x1.fd5ba9aac2f6ep-4, 0x1.f5b75f92c80ddp-3,
	0x1.6f61941e4def1p-2, 0x1.dac670561bb4fp-2, 0x1.1e00babdefeb4p-1,
	0x1.4978fa3269ee1p-1, 0x1.700a7c5784634p-1, 0x1.921fb54442d18p-1,
};
/* clang-format on */

/* (-1)^k / (2k+1) for k = 1..6. */
/* clang-format off */
static const double atan_taylor[6] = {
	-1.0 / 3, 1.0 / 5, -1.0 / 7, 1.0 / 9, -1.0 / 11, 1.0 / 13,
};
/* clang-format on */

/*
 * atan(t) for t in [0, 1]: atan(t) = atan(c) + atan((t - c) / (1 + tc)) with
 * c = k/8 nearest t, which leaves |u| <= 1/16 and a short series.
 */
static double atan_core(double t)
{
	int k = (int)(t * 8.0 + 0.5);
	double c = k * 0.125;
	double u = (t - c) / (1.0 + t * c);
	double z = u * u;

	return atan_k8[k] + (u + u * z * poly(atan_taylor, 6, z));
}

/* atan(t) for t >= 0, t may be +inf. */
static double atan_d(double t)
{
	if (t <= 1.0)
		return atan_core(t);
	return PIO2 - atan_core(1.0 / t);
}

/* Chebyshev fit of erf(x)/x as a polynomial in x^2 on |x| < 0.5. */
/* clang-format off */
static const double erf_small[9] = {
	0x1.20dd750429b6dp+0, -0x1.812746b0379b5p-2, 0x1.ce2f21a03d814p-4,
	-0x1.b82ce30f2b28fp-6, 0x1.565bcbf8e0365p-8, -0x1.c02d4f6e4921ap-11,
	0x1.f98db34e8872ep-14, -0x1.f224dfc5409afp-17, 0x1.8b4b60851826bp-20,
};
/* clang-format on */

/*
 * Chebyshev fits of erf(c + t), |t| <= 1/4, degree 12, for c = 0.75, 1.25,
 * ..., 3.75: one polynomial per half-unit interval of [0.5, 4). Beyond 4,
 * erf rounds to 1 in float (1 - erf(3.92) < 2^-25).
 */
/* clang-format off */
static const double erf_mid[7][13] = {
	{ /* [0.5, 1) */
		0x1.6c1c9759d0e5fp-1, 0x1.492e42d78d343p-1, -0x1.edc5644353c70p-2,
		0x1.b6e8591dabadbp-6, 0x1.349b5eaa245bap-3, -0x1.b42a1821f133ep-5,
		-0x1.b84779a6c941bp-6, 0x1.2e0acb7c5e635p-6, 0x1.2db3a101e2a76p-9,
		-0x1.03fc827a26696p-8, 0x1.856b6634806b6p-13, 0x1.3f2cdf0f76d67p-11,
		-0x1.aade89f2fbab1p-14,
	},
	{ /* [1, 1.5) */
		0x1.d8865d98abe01p-1, 0x1.e4652fadcb53ep-3, -0x1.2ebf3dcc9f226p-2,
		0x1.571d01c5ee16dp-3, -0x1.93a9a7bbc0686p-8, -0x1.8281ce5c98558p-5,
		0x1.5d0003b7a7d0dp-6, 0x1.db44e0d3f47f0p-9, -0x1.756733ff9c262p-8,
		0x1.cbadaa4b2f6dbp-11, 0x1.a00d434ceef47p-11, -0x1.47f8ba9eb77a6p-12,
		-0x1.bf4084069c7f9p-15,
	},
	{ /* [1.5, 2) */
		0x1.f92d077f8d56dp-1, 0x1.b0553032211e7p-5, -0x1.7a4a8a2bdcdd3p-4,
		0x1.7148c3d562bd7p-4, -0x1.8a0da54313f9ap-5, 0x1.b22258a8d57dfp-8,
		0x1.25b378e4f1e7dp-7, -0x1.8d11272ee490dp-8, 0x1.7ec172a36046ap-11,
		0x1.d4f3a4c8ecc06p-11, -0x1.d02e1c3e1f8bfp-12, -0x1.2cbceafa3800cp-17,
		0x1.1c123b25049f8p-14,
	},
	{ /* [2, 2.5) */
		0x1.ff404760319b4p-1, 0x1.d4143a9dfeaadp-8, -0x1.074b60f8df401p-6,
		0x1.63ef61e81b4dap-6, -0x1.38a9832774d9bp-6, 0x1.5d3b17c4ce7ebp-7,
		-0x1.7cae0d9689d62p-9, -0x1.5f8332259e683p-11, 0x1.060305e5c7b7ap-10,
		-0x1.834c87924e711p-12, -0x1.828fd0a8e2fe9p-17, 0x1.0ff87997de7a2p-14,
		-0x1.710edee9d9524p-16,
	},
	{ /* [2.5, 3) */
		0x1.fff2cfb0453d9p-1, 0x1.3360ccd23c8e9p-11, -0x1.a6a519a114a65p-10,
		0x1.69cf466d4e2b6p-9, -0x1.ab0c273aed02fp-9, 0x1.693595c64a109p-9,
		-0x1.b2755bd2cd176p-10, 0x1.52b65d31a3e1cp-11, -0x1.755804cb92ec2p-14,
		-0x1.2ae90725384cfp-14, 0x1.cd77b6735222dp-15, -0x1.00a80c2628b2dp-16,
		-0x1.50ad7e65fa762p-20,
	},
	{ /* [3, 3.5) */
		0x1.ffff6f9f67e55p-1, 0x1.e9b5e8d014314p-16, -0x1.8de3cd290a7a3p-14,
		0x1.9aa489e2328e8p-13, -0x1.2c7d5ef054b26p-12, 0x1.490a4d8931d3ap-12,
		-0x1.145464e9cc227p-12, 0x1.647f46478b24ep-13, -0x1.56747a0cd1913p-14,
		0x1.b2e7bd0d1491fp-16, -0x1.3892a46e711b0p-19, -0x1.8f28b685d1d4dp-19,
		0x1.ff326d8f1e400p-20,
	},
	{ /* [3.5, 4) */
		0x1.fffffc2f171e3p-1, 0x1.d9371e3012058p-21, -0x1.bba3ac4cfcf5bp-19,
		0x1.0b6a7b0c3c7e3p-17, -0x1.d06f585e87989p-17, 0x1.3436bd573dc47p-16,
		-0x1.4357b5d77c30ep-16, 0x1.110dbd63b00dep-16, -0x1.756686c9437a3p-17,
		0x1.9a0609dfafa7ap-18, -0x1.5d80641f0a876p-19, 0x1.99d1347bdb884p-21,
		-0x1.5ddabb6ef755ep-24,
	},
};
/* clang-format on */

/* ---- classification and constants ------------------------------------------ */

int cdl_isnanf(float x)
{
	return is_nan_u(f2u(x));
}

int cdl_isinff(float x)
{
	return (f2u(x) & F_ABS) == F_INF;
}

float cdl_nanf(void)
{
	return u2f(F_QNAN);
}

float cdl_inff(void)
{
	return u2f(F_INF);
}

float cdl_fabsf(float x)
{
	return u2f(f2u(x) & F_ABS);
}

/* ---- exponentials and logarithms ------------------------------------------- */

float cdl_expf(float x)
{
	if (cdl_isnanf(x))
		return x + x;
	if (x > 100.0f) /* e^88.73 > FLT_MAX; also x = +inf */
		return u2f(F_INF);
	if (x < -150.0f) /* e^-104 is below half the smallest subnormal */
		return 0.0f;
	return (float)exp_d(x);
}

float cdl_expm1f(float x)
{
	if (cdl_isnanf(x) || x == 0.0f) /* keeps the sign of zero */
		return x + x;
	if (x > 100.0f)
		return u2f(F_INF);
	if (x < -30.0f) /* e^-30 is far below half an ulp of 1 */
		return -1.0f;
	return (float)expm1_d(x);
}

float cdl_logf(float x)
{
	uint32_t u = f2u(x);

	if (is_nan_u(u))
		return x + x;
	if ((u & F_ABS) == 0)
		return -u2f(F_INF);
	if (u & F_SIGN)
		return u2f(F_QNAN);
	if (u == F_INF)
		return x;
	return (float)log_d(x);
}

float cdl_log1pf(float x)
{
	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	if (x == -1.0f)
		return -u2f(F_INF);
	if (x < -1.0f)
		return u2f(F_QNAN);
	if (cdl_isinff(x))
		return x;
	return (float)log1p_d(x);
}

/* 0: not an integer, 1: odd integer, 2: even integer; y finite. */
static int int_kind(uint32_t uy)
{
	uint32_t a = uy & F_ABS;
	int e = (int)(a >> 23) - 127;
	uint32_t m = (a & 0x007fffffu) | 0x00800000u;

	if (a == 0 || e > 23)
		return 2;
	if (e < 0)
		return 0;
	if (m & (0x007fffffu >> e))
		return 0;
	return (m >> (23 - e)) & 1 ? 1 : 2;
}

/*
 * x^y = e^(y log|x|) with log and exp in double: y log|x| is then known to
 * ~1e-16 relative, |y log|x|| < 104 wherever the result is a finite non-zero
 * float, so the result carries < 2e-14 relative error before its one rounding.
 */
float cdl_powf(float x, float y)
{
	uint32_t ux = f2u(x), uy = f2u(y);
	uint32_t ax = ux & F_ABS, ay = uy & F_ABS;
	uint32_t sign = 0;
	int kind = 0;
	double t = 0;

	if (ay == 0 || ux == F_ONE) /* x^0 = 1 and 1^y = 1, even for NaN */
		return 1.0f;
	if (ax > F_INF || ay > F_INF)
		return x + y;
	if (ay == F_INF) {
		if (ax == F_ONE) /* (-1)^(+-inf) = 1 */
			return 1.0f;
		/* |x| > 1 grows towards +inf, |x| < 1 towards -inf */
		return (ax > F_ONE) == !(uy & F_SIGN) ? u2f(F_INF) : 0.0f;
	}
	kind = int_kind(uy);
	if (ux & F_SIGN) {
		if (kind == 0 && ax != 0 && ax != F_INF)
			return u2f(F_QNAN); /* negative finite base, fractional y */
		if (kind == 1)
			sign = F_SIGN;
	}
	if (ax == 0) /* +-0: +-inf for y < 0, +-0 for y > 0 */
		return with_sign((uy & F_SIGN) ? u2f(F_INF) : 0.0f, sign);
	if (ax == F_INF)
		return with_sign((uy & F_SIGN) ? 0.0f : u2f(F_INF), sign);
	t = (double)y * log_d(cdl_fabsf(x));
	if (t > 200.0)
		return with_sign(u2f(F_INF), sign);
	if (t < -200.0)
		return with_sign(0.0f, sign);
	return with_sign((float)exp_d(t), sign);
}

/*
 * Correctly rounded: the double Newton result rounded to float is off by at
 * most one ulp, and the check against the rounding midpoints is exact because
 * a 25-bit midpoint squares into a 50-bit double.
 */
float cdl_sqrtf(float x)
{
	uint32_t u = f2u(x);
	uint32_t e = 0;
	double d = x, mid_hi = 0, mid_lo = 0;
	float r = 0;

	if (is_nan_u(u))
		return x + x;
	if ((u & F_ABS) == 0 || u == F_INF) /* +-0 and +inf are their own root */
		return x;
	if (u & F_SIGN)
		return u2f(F_QNAN);
	r = (float)sqrt_d(d);
	u = f2u(r);
	e = u >> 23; /* r is normal: sqrt of the smallest subnormal is 2^-74.5 */
	mid_hi = (double)r + u2d((uint64_t)(e + 1023 - 127 - 24) << 52);
	/* below a power of two the ulp halves */
	mid_lo = (double)r - u2d((uint64_t)(e + 1023 - 127 - 24 - ((u & 0x007fffffu) == 0)) << 52);
	if (d > mid_hi * mid_hi)
		return u2f(u + 1);
	if (d < mid_lo * mid_lo)
		return u2f(u - 1);
	return r;
}

/* ---- hyperbolic, sigmoid, erf ------------------------------------------------ */

/* tanh|x| = E / (E + 2) with E = e^(2|x|) - 1, exact in relative terms near 0. */
float cdl_tanhf(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;
	double a = cdl_fabsf(x), e = 0;

	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	if (a > 12.0) /* 1 - tanh(9.1) is below half an ulp of 1 */
		return with_sign(1.0f, sign);
	e = expm1_d(2.0 * a);
	return with_sign((float)(e / (e + 2.0)), sign);
}

/* Only ever exponentiates a non-positive number, so nothing overflows. */
float cdl_sigmoidf(float x)
{
	double e = 0;

	if (cdl_isnanf(x))
		return x + x;
	if (x >= 0.0f) {
		if (x > 40.0f) /* e^-40 vanishes next to 1 */
			return 1.0f;
		return (float)(1.0 / (1.0 + exp_d(-(double)x)));
	}
	if (x < -150.0f) /* e^-104 is below half the smallest subnormal */
		return 0.0f;
	e = exp_d(x);
	return (float)(e / (1.0 + e));
}

float cdl_erff(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;
	double a = cdl_fabsf(x), r = 0;
	int i = 0;

	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	if (a >= 4.0)
		return with_sign(1.0f, sign);
	if (a < 0.5) {
		r = a * poly(erf_small, 9, a * a);
	} else {
		i = (int)((a - 0.5) * 2.0);
		r = poly(erf_mid[i], 13, a - (0.75 + 0.5 * i));
	}
	return with_sign((float)r, sign);
}

float cdl_sinhf(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;
	double a = cdl_fabsf(x), e = 0, r = 0;

	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	if (a > 100.0) /* sinh(89.42) > FLT_MAX; also inf */
		return with_sign(u2f(F_INF), sign);
	if (a < 1.0) {
		/* (e^a - e^-a) / 2 cancels near 0: use E = e^a - 1 instead */
		e = expm1_d(a);
		r = 0.5 * (e + e / (e + 1.0));
	} else {
		e = exp_d(a);
		r = 0.5 * (e - 1.0 / e);
	}
	return with_sign((float)r, sign);
}

float cdl_coshf(float x)
{
	double a = cdl_fabsf(x), e = 0;

	if (cdl_isnanf(x))
		return x + x;
	if (a > 100.0)
		return u2f(F_INF);
	e = exp_d(a);
	return (float)(0.5 * (e + 1.0 / e));
}

/*
 * asinh a = log1p(a + a^2 / (1 + sqrt(1 + a^2))), which keeps relative
 * accuracy near 0; past 2^28 the sqrt is a to double precision.
 */
float cdl_asinhf(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;
	double a = cdl_fabsf(x), r = 0;

	if (cdl_isnanf(x) || cdl_isinff(x) || x == 0.0f)
		return x + x;
	if (a > 0x1p28)
		r = log_d(a) + LN2_HI + LN2_LO;
	else
		r = log1p_d(a + a * a / (1.0 + sqrt_d(1.0 + a * a)));
	return with_sign((float)r, sign);
}

/* acosh x = log1p(t + sqrt(t (2 + t))) with t = x - 1, exact in double. */
float cdl_acoshf(float x)
{
	double t = 0;

	if (cdl_isnanf(x))
		return x + x;
	if (x < 1.0f)
		return u2f(F_QNAN);
	if (cdl_isinff(x))
		return x;
	if (x > 0x1p28f)
		return (float)(log_d(x) + LN2_HI + LN2_LO);
	t = (double)x - 1.0;
	return (float)log1p_d(t + sqrt_d(t * (2.0 + t)));
}

/* atanh a = log1p(2a / (1 - a)) / 2; 1 - a is exact for a float a. */
float cdl_atanhf(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;
	double a = cdl_fabsf(x);

	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	if (a > 1.0)
		return u2f(F_QNAN);
	if (a == 1.0)
		return with_sign(u2f(F_INF), sign);
	return with_sign((float)(0.5 * log1p_d(2.0 * a / (1.0 - a))), sign);
}

/* ---- trigonometric ------------------------------------------------------------ */

float cdl_sinf(float x)
{
	int n = 0;
	double r = 0, s = 0;

	if (cdl_isnanf(x) || cdl_isinff(x))
		return (x - x) / (x - x); /* NaN for inf, propagates NaN */
	if (x == 0.0f)
		return x;
	r = reduce(x, &n);
	switch (n) {
	case 0:
		s = sin_d(r);
		break;
	case 1:
		s = cos_d(r);
		break;
	case 2:
		s = -sin_d(r);
		break;
	default:
		s = -cos_d(r);
		break;
	}
	return (float)s;
}

float cdl_cosf(float x)
{
	int n = 0;
	double r = 0, c = 0;

	if (cdl_isnanf(x) || cdl_isinff(x))
		return (x - x) / (x - x);
	r = reduce(x, &n);
	switch (n) {
	case 0:
		c = cos_d(r);
		break;
	case 1:
		c = -sin_d(r);
		break;
	case 2:
		c = -cos_d(r);
		break;
	default:
		c = sin_d(r);
		break;
	}
	return (float)c;
}

/*
 * tan = sin/cos of the reduced argument, or -cos/sin in odd quadrants; the
 * reduced argument is never 0 there since no float is a multiple of pi/2.
 */
float cdl_tanf(float x)
{
	int n = 0;
	double r = 0;

	if (cdl_isnanf(x) || cdl_isinff(x))
		return (x - x) / (x - x);
	if (x == 0.0f)
		return x;
	r = reduce(x, &n);
	if (n & 1)
		return (float)(-cos_d(r) / sin_d(r));
	return (float)(sin_d(r) / cos_d(r));
}

float cdl_atanf(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;

	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	return with_sign((float)atan_d(cdl_fabsf(x)), sign);
}

/*
 * asin a = atan(a / s) with s = sqrt(1 - a^2); 1 - a^2 is exact for a float
 * a in [1/2, 1], so s keeps full relative accuracy next to |x| = 1. The
 * larger of a and s goes in the denominator to keep atan's argument in [0, 1].
 */
float cdl_asinf(float x)
{
	uint32_t sign = f2u(x) & F_SIGN;
	double a = cdl_fabsf(x), s = 0, r = 0;

	if (cdl_isnanf(x) || x == 0.0f)
		return x + x;
	if (a > 1.0)
		return u2f(F_QNAN);
	s = sqrt_d(1.0 - a * a);
	r = a <= s ? atan_core(a / s) : PIO2 - atan_core(s / a);
	return with_sign((float)r, sign);
}

float cdl_acosf(float x)
{
	double a = cdl_fabsf(x), s = 0, r = 0;

	if (cdl_isnanf(x))
		return x + x;
	if (a > 1.0)
		return u2f(F_QNAN);
	s = sqrt_d(1.0 - a * a);
	r = s <= a ? atan_core(s / a) : PIO2 - atan_core(a / s);
	if (x < 0.0f)
		r = PI - r;
	return (float)r;
}

/* ---- rounding and remainder (exact) --------------------------------------------- */

/* Result for |x| >= 2^23: already integral, +-inf, or NaN (quieted). */
static inline float integral(float x)
{
	return cdl_isnanf(x) ? x + x : x;
}

/* Mask of the fraction bits of x given its unbiased exponent e in [0, 22]. */
static inline uint32_t frac_mask(int e)
{
	return 0x007fffffu >> e;
}

float cdl_truncf(float x)
{
	uint32_t u = f2u(x);
	int e = (int)((u >> 23) & 0xff) - 127;

	if (e >= 23)
		return integral(x);
	if (e < 0)
		return u2f(u & F_SIGN);
	return u2f(u & ~frac_mask(e));
}

/*
 * Adding to the magnitude bits carries into the exponent field exactly as the
 * value grows, so rounding the magnitude up is an integer add.
 */
float cdl_floorf(float x)
{
	uint32_t u = f2u(x);
	int e = (int)((u >> 23) & 0xff) - 127;

	if (e >= 23)
		return integral(x);
	if (e < 0) {
		if ((u & F_SIGN) && (u & F_ABS))
			return -1.0f;
		return u2f(u & F_SIGN);
	}
	if ((u & frac_mask(e)) && (u & F_SIGN))
		u += frac_mask(e);
	return u2f(u & ~frac_mask(e));
}

float cdl_ceilf(float x)
{
	uint32_t u = f2u(x);
	int e = (int)((u >> 23) & 0xff) - 127;

	if (e >= 23)
		return integral(x);
	if (e < 0) {
		if (!(u & F_SIGN) && (u & F_ABS))
			return 1.0f;
		return u2f(u & F_SIGN);
	}
	if ((u & frac_mask(e)) && !(u & F_SIGN))
		u += frac_mask(e);
	return u2f(u & ~frac_mask(e));
}

float cdl_roundf(float x)
{
	uint32_t u = f2u(x);
	int e = (int)((u >> 23) & 0xff) - 127;

	if (e >= 23)
		return integral(x);
	if (e < -1) /* |x| < 1/2 */
		return u2f(u & F_SIGN);
	if (e == -1) /* 1/2 <= |x| < 1 */
		return u2f((u & F_SIGN) | F_ONE);
	u += 0x00400000u >> e; /* + 1/2 on the magnitude */
	return u2f(u & ~frac_mask(e));
}

/* Ties to even whatever the FPU rounding mode is (ONNX Round). */
float cdl_nearbyintf(float x)
{
	uint32_t u = f2u(x);
	int e = (int)((u >> 23) & 0xff) - 127;
	uint32_t half = 0, frac = 0;

	if (e >= 23)
		return integral(x);
	if (e < -1)
		return u2f(u & F_SIGN);
	if (e == -1) /* 1/2 rounds to the even 0, anything above to 1 */
		return u2f((u & F_SIGN) | ((u & F_ABS) > 0x3f000000u ? F_ONE : 0));
	half = 0x00400000u >> e;
	frac = u & frac_mask(e);
	u &= ~frac_mask(e);
	/* the unit bit (half << 1) is the implicit bit when e = 0: 1 is odd */
	if (frac > half || (frac == half && (e == 0 || (u & (half << 1)))))
		u += half << 1;
	return u2f(u);
}

/*
 * Exact, like C fmodf: the result has the sign of x and |result| < |y|; the
 * mantissas go through a bit-at-a-time long division (at most 277 steps, no
 * division instruction, which some TA targets lack).
 */
float cdl_fmodf(float x, float y)
{
	uint32_t ux = f2u(x), uy = f2u(y);
	uint32_t sx = ux & F_SIGN, ax = ux & F_ABS, ay = uy & F_ABS;
	uint32_t mx = 0, my = 0;
	int ex = (int)(ax >> 23), ey = (int)(ay >> 23);

	if (ax > F_INF || ay > F_INF)
		return x + y;
	if (ax == F_INF || ay == 0)
		return u2f(F_QNAN);
	if (ax < ay) /* includes x = +-0 and y = +-inf */
		return x;
	if (ax == ay)
		return u2f(sx);
	/* x = mx 2^(ex - 150) with mx in [2^23, 2^24), likewise y */
	if (ex == 0) {
		for (mx = ax, ex = 1; !(mx & 0x00800000u); ex--)
			mx <<= 1;
	} else {
		mx = (ax & 0x007fffffu) | 0x00800000u;
	}
	if (ey == 0) {
		for (my = ay, ey = 1; !(my & 0x00800000u); ey--)
			my <<= 1;
	} else {
		my = (ay & 0x007fffffu) | 0x00800000u;
	}
	for (; ex > ey; ex--) {
		if (mx >= my)
			mx -= my;
		mx <<= 1; /* mx < 2 my < 2^25 */
	}
	if (mx >= my)
		mx -= my;
	if (mx == 0)
		return u2f(sx);
	for (; !(mx & 0x00800000u); ex--)
		mx <<= 1;
	if (ex > 0)
		return u2f(sx | ((uint32_t)ex << 23) | (mx & 0x007fffffu));
	/* subnormal: the remainder is exact, so no bits are shifted out */
	return u2f(sx | (mx >> (1 - ex)));
}

/* C semantics: a NaN operand is ignored; -0 counts as below +0. */
float cdl_fminf(float x, float y)
{
	if (cdl_isnanf(x))
		return y;
	if (cdl_isnanf(y))
		return x;
	if (x == y)
		return (f2u(x) & F_SIGN) ? x : y;
	return x < y ? x : y;
}

float cdl_fmaxf(float x, float y)
{
	if (cdl_isnanf(x))
		return y;
	if (cdl_isnanf(y))
		return x;
	if (x == y)
		return (f2u(x) & F_SIGN) ? y : x;
	return x > y ? x : y;
}
