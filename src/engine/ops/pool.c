// SPDX-License-Identifier: Apache-2.0
/*
 * Pooling (ONNX opsets 1-18): MaxPool (float32, int8, uint8; optional Indices
 * output), AveragePool, LpPool (float32), with 1, 2 or 3 spatial dims; and
 * GlobalAveragePool, GlobalMaxPool, GlobalLpPool over any number of spatial
 * dims.
 *
 * Output size (NOTSET/VALID): (in + pads - ((k - 1) * d + 1)) / s + 1, rounded
 * down, or up with ceil_mode, where (as in PyTorch and ONNX Runtime) a last
 * window that would start inside the right padding is dropped. SAME_UPPER /
 * SAME_LOWER: ceil(in / s), the padding split with the odd cell at the end /
 * the beginning. AveragePool's divisor with count_include_pad counts the
 * window's cells inside [-pad_begin, in + pad_end); otherwise only the real
 * input cells.
 */
#include <float.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "../kernels/isa.h"
#include "../mathf.h"
#include "../op.h"
#include "data_util.h"
#include "ops.h"
#include "pool.h"

#define POOL_MAX_SPATIAL 3
/* Bound on kernel, stride, dilation and pads, so that window arithmetic
 * cannot overflow int64. */
#define POOL_ATTR_LIMIT ((int64_t)1 << 31)

enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP };

typedef struct pool_params {
	enum pool_kind kind;
	uint32_t nsp;  /* spatial dims; always padded to 3 with unit dims */
	size_t planes; /* N * C */
	int64_t in[POOL_MAX_SPATIAL], out[POOL_MAX_SPATIAL];
	int64_t k[POOL_MAX_SPATIAL], s[POOL_MAX_SPATIAL], d[POOL_MAX_SPATIAL];
	int64_t pb[POOL_MAX_SPATIAL], pe[POOL_MAX_SPATIAL];
	bool count_include_pad;
	int64_t storage_order;
	int64_t p; /* LpPool */
} pool_params;

/* Per output coordinate of one spatial dim: which taps fall inside the input. */
typedef struct pool_span {
	int64_t start;	    /* input coordinate of tap 0 */
	int32_t t_lo, t_hi; /* taps [t_lo, t_hi) are inside [0, in) */
	int32_t n_pad;	    /* taps inside [-pad_begin, in + pad_end) */
	int32_t unused;
} pool_span;

static enum pool_kind kind_of(const char *op_type)
{
	if (cdl_attr_streq(op_type, "MaxPool") || cdl_attr_streq(op_type, "GlobalMaxPool"))
		return POOL_MAX;
	if (cdl_attr_streq(op_type, "LpPool") || cdl_attr_streq(op_type, "GlobalLpPool"))
		return POOL_LP;
	return POOL_AVG;
}

/* Reads an ints attribute of n values (or dflt for each when absent). */
static cdl_status pool_ints(cdl_op_ctx *ctx, const char *name, uint32_t n, int64_t dflt, int64_t lo,
			    int64_t *out)
{
	uint32_t cnt = 0;
	const int64_t *v = cdl_attr_ints(ctx->node, name, &cnt);

	if (!v) {
		for (uint32_t i = 0; i < n; i++)
			out[i] = dflt;
		return CDL_OK;
	}
	if (cnt != n)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s has %u values, expected %u",
				   name, cnt, n);
	for (uint32_t i = 0; i < n; i++) {
		if (v[i] < lo || v[i] >= POOL_ATTR_LIMIT)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "%s[%u] = %lld", name, i,
					   (long long)v[i]);
		out[i] = v[i];
	}
	return CDL_OK;
}

static int64_t ceil_div(int64_t a, int64_t b) /* b > 0 */
{
	return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static cdl_status pool_get(cdl_op_ctx *ctx, pool_params *p)
{
	const cdl_tensor *x = ctx->inputs[0];
	const char *auto_pad = cdl_attr_string(ctx->node, "auto_pad", "NOTSET");
	int64_t ceil_mode = cdl_attr_int(ctx->node, "ceil_mode", 0);
	int64_t pads[2 * POOL_MAX_SPATIAL];
	int64_t ka[POOL_MAX_SPATIAL], sa[POOL_MAX_SPATIAL], da[POOL_MAX_SPATIAL];
	uint32_t n, kn = 0;
	cdl_status st;

	memset(p, 0, sizeof(*p));
	p->kind = kind_of(ctx->node->op_type);
	if (x->rank < 3 || x->rank > 2 + POOL_MAX_SPATIAL)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
				   "input rank %u (1 to 3 spatial dims are supported)",
				   (unsigned)x->rank);
	n = p->nsp = x->rank - 2u;
	p->planes = cdl_data_prod(x->dims, 0, 2);
	if (!cdl_attr_ints(ctx->node, "kernel_shape", &kn))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "attribute kernel_shape is required");
	st = pool_ints(ctx, "kernel_shape", n, 1, 1, ka);
	if (!st)
		st = pool_ints(ctx, "strides", n, 1, 1, sa);
	if (!st)
		st = pool_ints(ctx, "dilations", n, 1, 1, da);
	if (!st)
		st = pool_ints(ctx, "pads", 2 * n, 0, 0, pads);
	if (st)
		return st;
	if (ceil_mode != 0 && ceil_mode != 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "ceil_mode=%lld",
				   (long long)ceil_mode);
	p->count_include_pad = cdl_attr_int(ctx->node, "count_include_pad", 0) != 0;
	p->storage_order = cdl_attr_int(ctx->node, "storage_order", 0);
	if (p->storage_order != 0 && p->storage_order != 1)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "storage_order=%lld",
				   (long long)p->storage_order);
	p->p = cdl_attr_int(ctx->node, "p", 2);
	if (p->kind == POOL_LP && (p->p < 1 || p->p > 64))
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "p=%lld", (long long)p->p);
	/* The spatial dims fill the last slots; leading unit dims make every
	 * case 3-D with the innermost loop over the real last dim. */
	for (uint32_t i = 0; i < POOL_MAX_SPATIAL; i++) {
		int64_t in, effk;
		int j = (int)i - (int)(POOL_MAX_SPATIAL - n);

		if (j < 0) {
			p->in[i] = p->out[i] = p->k[i] = p->s[i] = p->d[i] = 1;
			p->pb[i] = p->pe[i] = 0;
			continue;
		}
		p->k[i] = ka[j];
		p->s[i] = sa[j];
		p->d[i] = da[j];
		in = p->in[i] = x->dims[2 + j];
		effk = (p->k[i] - 1) * p->d[i] + 1;
		if (cdl_attr_streq(auto_pad, "SAME_UPPER") ||
		    cdl_attr_streq(auto_pad, "SAME_LOWER")) {
			int64_t total;

			p->out[i] = ceil_div(in, p->s[i]);
			total = (p->out[i] - 1) * p->s[i] + effk - in;
			if (total < 0)
				total = 0;
			if (cdl_attr_streq(auto_pad, "SAME_UPPER")) {
				p->pb[i] = total / 2;
				p->pe[i] = total - total / 2;
			} else {
				p->pe[i] = total / 2;
				p->pb[i] = total - total / 2;
			}
			continue;
		}
		if (cdl_attr_streq(auto_pad, "VALID")) {
			p->pb[i] = p->pe[i] = 0;
		} else if (cdl_attr_streq(auto_pad, "NOTSET")) {
			p->pb[i] = pads[j];
			p->pe[i] = pads[j + (int)n];
		} else {
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "auto_pad=%s", auto_pad);
		}
		{
			int64_t span = in + p->pb[i] + p->pe[i] - effk;

			if (span < 0)
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "kernel %lld (dilated %lld) is larger than the "
						   "padded input %lld on spatial dim %u",
						   (long long)p->k[i], (long long)effk,
						   (long long)(in + p->pb[i] + p->pe[i]),
						   (unsigned)j);
			if (ceil_mode && !cdl_attr_streq(auto_pad, "VALID")) {
				p->out[i] = ceil_div(span, p->s[i]) + 1;
				/* a window starting in the right padding is dropped */
				if ((p->out[i] - 1) * p->s[i] >= in + p->pb[i])
					p->out[i]--;
			} else {
				p->out[i] = span / p->s[i] + 1;
			}
		}
	}
	return CDL_OK;
}

static cdl_status pool_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t dims[2 + POOL_MAX_SPATIAL];
	pool_params p;
	size_t ws = 0, n_spans = 0;
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 2);

	if (st)
		return st;
	x = ctx->inputs[0];
	st = pool_get(ctx, &p);
	if (st)
		return st;
	if (p.kind == POOL_MAX) {
		if (x->dtype != CDL_DTYPE_F32 && x->dtype != CDL_DTYPE_I8 &&
		    x->dtype != CDL_DTYPE_U8)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "dtype %s",
					   cdl_dtype_name(x->dtype));
		if (cdl_data_out(ctx, 1) && x->dtype != CDL_DTYPE_F32)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "Indices output on dtype %s",
					   cdl_dtype_name(x->dtype));
	} else {
		if (cdl_data_out(ctx, 1))
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "has a second output");
		if (x->dtype != CDL_DTYPE_F32)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "dtype %s",
					   cdl_dtype_name(x->dtype));
	}
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	for (uint32_t i = 0; i < p.nsp; i++)
		dims[2 + i] = p.out[POOL_MAX_SPATIAL - p.nsp + i];
	for (uint32_t i = 0; i < POOL_MAX_SPATIAL; i++)
		n_spans += (size_t)p.out[i];
	st = cdl_data_set_output(ctx, 0, x->dtype, x->rank, dims);
	if (!st)
		st = cdl_data_set_output(ctx, 1, CDL_DTYPE_I64, x->rank, dims);
	if (st)
		return st;
	/* spans for every output coordinate, then one input row of accumulators;
	 * every dim is bounded by a checked tensor size, so this fits */
	if (!cdl_mul_size(n_spans, sizeof(pool_span), &ws) ||
	    !cdl_add_size(ws, (size_t)p.in[POOL_MAX_SPATIAL - 1] * sizeof(float), &ws))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "output too large");
	ctx->workspace_size = ws;
	return CDL_OK;
}

/* The span of output coordinate o of spatial dim i. */
static void pool_span_of(const pool_params *p, uint32_t i, int64_t o, pool_span *sp)
{
	int64_t in = p->in[i], k = p->k[i], d = p->d[i];
	int64_t w = o * p->s[i] - p->pb[i];
	/* tap t sits at w + t*d; inside [0, in) for t in [lo, hi) */
	int64_t lo = w >= 0 ? 0 : ceil_div(-w, d);
	int64_t hi = in - w > 0 ? ceil_div(in - w, d) : 0;
	int64_t hp = ceil_div(in + p->pe[i] - w, d);

	if (hi > k)
		hi = k;
	if (lo > hi)
		lo = hi;
	if (hp > k)
		hp = k;
	sp->start = w;
	sp->t_lo = (int32_t)lo;
	sp->t_hi = (int32_t)hi;
	sp->n_pad = (int32_t)(hp > 0 ? hp : 0);
	sp->unused = 0;
}

/* Fills spans[0..out) for one spatial dim. */
static void pool_spans(const pool_params *p, uint32_t i, pool_span *spans)
{
	for (int64_t o = 0; o < p->out[i]; o++)
		pool_span_of(p, i, o, &spans[o]);
}

/*
 * The kernels walk the output planes row by row: first the window's input
 * rows are combined element-wise into one row buffer (contiguous, so it
 * vectorises), then each output along the row reduces its taps of that
 * buffer. The spans say which taps fall inside the input, so there are no
 * bounds checks in the loops. Dims are [d0][d1][d2], d2 the innermost.
 */
typedef struct max_kernels {
	void (*init)(void *buf, int64_t n);
	void (*accumulate)(void *buf, const void *row, int64_t n);
	/* y[o] = max of buf taps of spans[o], for o < n_out; returns y past the row */
	void *(*emit)(void *y, const void *buf, const pool_span *spans, int64_t n_out, int64_t d);
} max_kernels;

#define DEFINE_MAX_KERNELS(sfx, type, lowest)                                                      \
	static void max_init_##sfx(void *buf, int64_t n)                                           \
	{                                                                                          \
		type *b = buf;                                                                     \
		for (int64_t i = 0; i < n; i++)                                                    \
			b[i] = lowest;                                                             \
	}                                                                                          \
	static void max_acc_##sfx(void *buf, const void *row, int64_t n)                           \
	{                                                                                          \
		type *b = buf;                                                                     \
		const type *r = row;                                                               \
		for (int64_t i = 0; i < n; i++)                                                    \
			b[i] = r[i] > b[i] ? r[i] : b[i];                                          \
	}                                                                                          \
	static void *max_emit_##sfx(void *y, const void *buf, const pool_span *spans,              \
				    int64_t n_out, int64_t d)                                      \
	{                                                                                          \
		type *out = y;                                                                     \
		if (d == 1) {                                                                      \
			/* the usual case, 2 or 3 contiguous taps unrolled: the same               \
			 * comparisons in the same order as the loop below */                      \
			for (int64_t o = 0; o < n_out; o++) {                                      \
				const type *r =                                                    \
				    (const type *)buf + spans[o].start + spans[o].t_lo;            \
				const int32_t n = spans[o].t_hi - spans[o].t_lo;                   \
				type m = lowest;                                                   \
				if (n == 3) {                                                      \
					m = r[0] > m ? r[0] : m;                                   \
					m = r[1] > m ? r[1] : m;                                   \
					m = r[2] > m ? r[2] : m;                                   \
				} else if (n == 2) {                                               \
					m = r[0] > m ? r[0] : m;                                   \
					m = r[1] > m ? r[1] : m;                                   \
				} else {                                                           \
					for (int32_t t = 0; t < n; t++)                            \
						m = r[t] > m ? r[t] : m;                           \
				}                                                                  \
				*out++ = m;                                                        \
			}                                                                          \
			return out;                                                                \
		}                                                                                  \
		for (int64_t o = 0; o < n_out; o++) {                                              \
			const type *r = (const type *)buf + spans[o].start;                        \
			type m = lowest;                                                           \
			for (int32_t t = spans[o].t_lo; t < spans[o].t_hi; t++)                    \
				m = r[t * d] > m ? r[t * d] : m;                                   \
			*out++ = m;                                                                \
		}                                                                                  \
		return out;                                                                        \
	}                                                                                          \
	static const max_kernels max_##sfx = {max_init_##sfx, max_acc_##sfx, max_emit_##sfx};

DEFINE_MAX_KERNELS(f32, float, -FLT_MAX)
DEFINE_MAX_KERNELS(i8, int8_t, INT8_MIN)
DEFINE_MAX_KERNELS(u8, uint8_t, 0)

#if defined(__x86_64__)
/*
 * The float32 row kernels with AVX-512: 16 lanes of the window rows' maximum,
 * then, where 16 consecutive outputs have all their taps inside the row at a
 * stride of 1 or 2, 16 outputs at a time. vmaxps(a, b) is a > b ? a : b
 * (b when either is NaN), the very comparison of the scalar kernels above, in
 * the same order: the results are the same bits. Rows in the same order too,
 * so the in-place argument below holds for them unchanged.
 */
__attribute__((target("avx512f"))) static void max_init_avx512(void *buf, int64_t n)
{
	float *b = buf;
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(b + i, _mm512_set1_ps(-FLT_MAX));
	for (; i < n; i++)
		b[i] = -FLT_MAX;
}

__attribute__((target("avx512f"))) static void max_acc_avx512(void *buf, const void *row, int64_t n)
{
	float *b = buf;
	const float *r = row;
	int64_t i = 0;

	for (; i + 16 <= n; i += 16)
		_mm512_storeu_ps(b + i,
				 _mm512_max_ps(_mm512_loadu_ps(r + i), _mm512_loadu_ps(b + i)));
	for (; i < n; i++)
		b[i] = r[i] > b[i] ? r[i] : b[i];
}

__attribute__((target("avx512f"))) static void *
max_emit_avx512(void *y, const void *buf, const pool_span *spans, int64_t n_out, int64_t d)
{
	const __m512i even =
	    _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
	const float *b = buf;
	float *out = y;
	int64_t o = 0;

	while (o < n_out) {
		const int64_t s = o + 1 < n_out ? spans[o + 1].start - spans[o].start : 0;
		const int32_t taps = spans[o].t_hi - spans[o].t_lo;
		bool block = d == 1 && o + 16 <= n_out && (s == 1 || s == 2) &&
			     spans[o].t_lo == 0 && spans[o + 15].t_lo == 0 &&
			     spans[o + 15].t_hi == taps &&
			     spans[o + 15].start == spans[o].start + 15 * s;

		/* outputs in between have a start in between and the same full taps */
		for (int64_t q = o + 1; block && q < o + 15; q++)
			block = spans[q].t_lo == 0 && spans[q].t_hi == taps;
		if (block) {
			const float *r = b + spans[o].start;
			__m512 m = _mm512_set1_ps(-FLT_MAX);

			for (int32_t t = 0; t < taps; t++) {
				/* stride 2: elements t .. t + 30 (not one past: the buffer
				 * may end there) */
				const __m512 v =
				    s == 1 ? _mm512_loadu_ps(r + t)
					   : _mm512_permutex2var_ps(
						 _mm512_loadu_ps(r + t), even,
						 _mm512_maskz_loadu_ps(0x7fff, r + t + 16));

				m = _mm512_max_ps(v, m);
			}
			_mm512_storeu_ps(out, m);
			out += 16;
			o += 16;
			continue;
		}
		{
			const float *r = b + spans[o].start;
			float m = -FLT_MAX;

			for (int32_t t = spans[o].t_lo; t < spans[o].t_hi; t++)
				m = r[t * d] > m ? r[t * d] : m;
			*out++ = m;
			o++;
		}
	}
	return out;
}

static const max_kernels max_f32_avx512 = {max_init_avx512, max_acc_avx512, max_emit_avx512};

/* Blocks of 16 outputs a row may have (wider rows take the kernels above). */
#define MP_MAX_BLOCKS 64

/*
 * 2-D float32 MaxPool with AVX-512, 16 outputs of a row at a time, with no
 * row buffer and no scalar tails: for a block of 16 outputs, the maximum of
 * the window's input rows over the (up to 48) columns the block reads, then
 * the maximum of its kernel columns, each made from those in registers.
 * Loads are masked to the row and to the columns the block uses, the masked
 * lanes reading -FLT_MAX: the kernels above start from -FLT_MAX and take
 * vmaxps(new, m) = new > m ? new : m, so -FLT_MAX never changes m (m is never
 * below it; a NaN m stays), and a tap outside the input is as if skipped.
 * Rows and taps in the same order as the kernels above: the same bits.
 * (squeezenet1_1's 3x3/2 pools: the row-buffer kernels spent most of their
 * time in per-row calls and the scalar tails of 111-, 55- and 27-wide rows:
 * 0.47 ms in all, now 0.12.)
 */
static bool maxpool2d_avx512_fits(const pool_params *p, bool in_place)
{
	return p->in[0] == 1 && p->out[0] == 1 && p->k[0] == 1 && p->d[1] == 1 &&
	       p->d[2] == 1 && ((p->s[2] == 1 && p->k[2] <= 4) || (p->s[2] == 2 && p->k[2] <= 3)) &&
	       p->out[2] <= 16 * MP_MAX_BLOCKS &&
	       /* in place, a block overwrites only inputs that neither it nor
		* a later block of its row reads: those start pb[2] left of a
		* block's 16 * s columns (pool_in_place_ok checks the rows) */
	       (!in_place || p->pb[2] <= 16 * (p->s[2] - 1));
}

#define MP_SHIFT(hi, lo, n)                                                                        \
	_mm512_castsi512_ps(                                                                       \
	    _mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), (n)))

/* A block of outputs: its first input column, the lanes of its (up to) 48
 * input columns inside the row and used, and its outputs. */
typedef struct mp_block {
	int64_t col0;
	__mmask16 in[3], out;
} mp_block;

/* One output row of one plane, kernel columns kw and stride s constant. */
__attribute__((target("avx512f"), always_inline)) static inline void
maxpool2d_row_avx512(const float *xc, int64_t wd, const pool_span *a, const mp_block *blk,
		     int64_t nblk, float *yr, int kw, int s)
{
	const __m512 low = _mm512_set1_ps(-FLT_MAX);
	const __m512i even =
	    _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
	const __m512i odd =
	    _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
	/* chunks of 16 columns a block reads: 15 * s + kw columns (<= 33) */
	const int nq = s == 1 || kw < 3 ? 2 : 3;

	for (int64_t b = 0; b < nblk; b++) {
		__m512 m[3] = {low, low, low}, t = low;

		for (int32_t t0 = a->t_lo; t0 < a->t_hi; t0++) {
			/* the address is made with integers: col0 may be left of
			 * the row (masked-off lanes) */
			const uintptr_t r = (uintptr_t)(xc + (a->start + t0) * wd) +
					    (uintptr_t)(blk[b].col0 * (int64_t)sizeof(float));

			/* this row 8 * s lines on, ahead of the block's interleaved
			 * row streams: without it the hardware prefetchers did not
			 * keep up when the input is not in L2 (squeezenet's first
			 * pool: 0.16 ms in the model, 0.07 with it) */
			_mm_prefetch((const char *)(r + 64 * (uintptr_t)(8 * s)), _MM_HINT_T0);
#pragma GCC unroll 2
			for (int q = 0; q < 2; q++)
				m[q] = _mm512_max_ps(
				    _mm512_mask_loadu_ps(low, blk[b].in[q],
							 (const float *)(r + 64 * (uintptr_t)q)),
				    m[q]);
			/* stride 2, 3 columns: of the third 16 only column 32 is
			 * read (lane 0), alone: a 64-byte load across two lines
			 * for it cost more than the other two */
			if (nq == 3 && (blk[b].in[2] & 1))
				m[2] = _mm512_max_ps(_mm512_set1_ps(*(const float *)(r + 128)), m[2]);
		}
		/* tap j of output l: column l * s + j of the block, in order */
		if (s == 1) {
			t = _mm512_max_ps(m[0], t);
			if (kw > 1)
				t = _mm512_max_ps(MP_SHIFT(m[1], m[0], 1), t);
			if (kw > 2)
				t = _mm512_max_ps(MP_SHIFT(m[1], m[0], 2), t);
			if (kw > 3)
				t = _mm512_max_ps(MP_SHIFT(m[1], m[0], 3), t);
		} else {
			const __m512 e = _mm512_permutex2var_ps(m[0], even, m[1]);

			t = _mm512_max_ps(e, t);
			if (kw > 1)
				t = _mm512_max_ps(_mm512_permutex2var_ps(m[0], odd, m[1]), t);
			if (kw > 2)
				t = _mm512_max_ps(MP_SHIFT(m[2], e, 1), t);
		}
		_mm512_mask_storeu_ps(yr + 16 * b, blk[b].out, t);
	}
}

#define MP_CASE(KW, S)                                                                             \
	__attribute__((target("avx512f"))) static void maxpool2d_##KW##s##S(                       \
	    const float *xc, int64_t wd, const pool_span *a, const mp_block *blk, int64_t nblk,   \
	    float *yr)                                                                             \
	{                                                                                          \
		maxpool2d_row_avx512(xc, wd, a, blk, nblk, yr, KW, S);                             \
	}
MP_CASE(1, 1)
MP_CASE(2, 1)
MP_CASE(3, 1)
MP_CASE(4, 1)
MP_CASE(1, 2)
MP_CASE(2, 2)
MP_CASE(3, 2)
#undef MP_CASE

__attribute__((target("avx512f"))) static void maxpool2d_avx512(const pool_params *p,
								const pool_span *const sp[3],
								const float *x, float *y)
{
	typedef void (*row_fn)(const float *, int64_t, const pool_span *, const mp_block *, int64_t,
			       float *);
	static const row_fn rows_s1[4] = {maxpool2d_1s1, maxpool2d_2s1, maxpool2d_3s1,
					  maxpool2d_4s1};
	static const row_fn rows_s2[3] = {maxpool2d_1s2, maxpool2d_2s2, maxpool2d_3s2};
	const int64_t h = p->in[1], wd = p->in[2], oh_n = p->out[1], ow_n = p->out[2];
	const int64_t s = p->s[2], kw = p->k[2], nblk = (ow_n + 15) / 16;
	const row_fn row = s == 1 ? rows_s1[kw - 1] : rows_s2[kw - 1];
	mp_block blk[MP_MAX_BLOCKS];

	for (int64_t b = 0; b < nblk; b++) {
		const int64_t n = ow_n - 16 * b < 16 ? ow_n - 16 * b : 16;
		const int64_t col0 = 16 * b * s - p->pb[2];
		/* columns [lo, hi) of the row, relative to col0 */
		const int64_t lo = col0 < 0 ? -col0 : 0;
		const int64_t hi = col0 + (n - 1) * s + kw < wd ? (n - 1) * s + kw : wd - col0;

		blk[b].col0 = col0;
		blk[b].out = (__mmask16)((1u << n) - 1u);
		for (int q = 0; q < 3; q++) {
			const int64_t a0 = lo - 16 * q, b0 = hi - 16 * q;
			const int64_t a1 = a0 < 0 ? 0 : a0 > 16 ? 16 : a0;
			const int64_t b1 = b0 < 0 ? 0 : b0 > 16 ? 16 : b0;

			blk[b].in[q] = b1 > a1 ? (__mmask16)(((1u << b1) - 1u) & ~((1u << a1) - 1u))
					       : (__mmask16)0;
		}
	}
	for (size_t c = 0; c < p->planes; c++) {
		const float *xc = x + c * (size_t)(h * wd);

		for (int64_t oh = 0; oh < oh_n; oh++)
			row(xc, wd, &sp[1][oh], blk, nblk,
			    y + (c * (size_t)oh_n + (size_t)oh) * (size_t)ow_n);
	}
}
#undef MP_SHIFT
#endif

static void maxpool(const pool_params *p, const pool_span *const sp[3], const void *x, void *y,
		    void *buf, size_t esize, const max_kernels *k)
{
	size_t plane_in = (size_t)(p->in[0] * p->in[1] * p->in[2]);
	int64_t n2 = p->in[2];

	for (size_t c = 0; c < p->planes; c++) {
		const uint8_t *xc = (const uint8_t *)x + c * plane_in * esize;

		for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
			const pool_span *a = &sp[0][o0];

			for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
				const pool_span *b = &sp[1][o1];

				k->init(buf, n2);
				for (int32_t t0 = a->t_lo; t0 < a->t_hi; t0++) {
					for (int32_t t1 = b->t_lo; t1 < b->t_hi; t1++) {
						int64_t i0 = a->start + t0 * p->d[0];
						int64_t i1 = b->start + t1 * p->d[1];

						k->accumulate(
						    buf,
						    xc +
							(size_t)((i0 * p->in[1] + i1) * n2) * esize,
						    n2);
					}
				}
				y = k->emit(y, buf, sp[2], p->out[2], p->d[2]);
			}
		}
	}
}

/* The Indices value for flat offset off inside plane c (storage_order 1 = column major). */
static int64_t pool_index(const pool_params *p, size_t c, int64_t off)
{
	int64_t plane = p->in[0] * p->in[1] * p->in[2];

	if (p->storage_order == 1) {
		int64_t idx[POOL_MAX_SPATIAL] = {off / (p->in[1] * p->in[2]),
						 off / p->in[2] % p->in[1], off % p->in[2]};
		int64_t r = 0, m = 1;

		/* column-major over the real spatial dims (the leading unit dims
		 * contribute 0) */
		for (uint32_t i = POOL_MAX_SPATIAL - p->nsp; i < POOL_MAX_SPATIAL; i++) {
			r += idx[i] * m;
			m *= p->in[i];
		}
		off = r;
	}
	return (int64_t)c * plane + off;
}

/* MaxPool with the Indices output (float32 only; rare in inference). */
static void maxpool_indices_f32(const pool_params *p, const pool_span *const sp[3], const float *x,
				float *y, int64_t *ind)
{
	size_t plane_in = (size_t)(p->in[0] * p->in[1] * p->in[2]);

	for (size_t c = 0; c < p->planes; c++) {
		const float *xc = x + c * plane_in;

		for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
			const pool_span *a = &sp[0][o0];

			for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
				const pool_span *b = &sp[1][o1];

				for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
					const pool_span *e = &sp[2][o2];
					float m = -FLT_MAX;
					int64_t best = -1;

					for (int32_t t0 = a->t_lo; t0 < a->t_hi; t0++) {
						int64_t i0 = a->start + t0 * p->d[0];

						for (int32_t t1 = b->t_lo; t1 < b->t_hi; t1++) {
							int64_t i1 = b->start + t1 * p->d[1];
							int64_t base =
							    (i0 * p->in[1] + i1) * p->in[2];

							for (int32_t t2 = e->t_lo; t2 < e->t_hi;
							     t2++) {
								int64_t off =
								    base + e->start + t2 * p->d[2];

								/* first maximum wins, as in ONNX
								 * Runtime */
								if (xc[off] > m || best < 0) {
									m = xc[off];
									best = off;
								}
							}
						}
					}
					*y++ = m;
					*ind++ = best < 0 ? -1 : pool_index(p, c, best);
				}
			}
		}
	}
}

static float lp_pow(float v, int64_t p)
{
	v = cdl_fabsf(v);
	if (p == 1)
		return v;
	if (p == 2)
		return v * v;
	return cdl_powf(v, (float)p);
}

static float lp_root(float v, int64_t p)
{
	if (p == 1)
		return v;
	if (p == 2)
		return cdl_sqrtf(v);
	return cdl_powf(v, 1.0f / (float)p);
}

static void avgpool_f32(const pool_params *p, const pool_span *const sp[3], const float *x,
			float *y, float *buf)
{
	size_t plane_in = (size_t)(p->in[0] * p->in[1] * p->in[2]);
	int64_t n2 = p->in[2], d2 = p->d[2];
	bool lp = p->kind == POOL_LP;

	for (size_t c = 0; c < p->planes; c++) {
		const float *xc = x + c * plane_in;

		for (int64_t o0 = 0; o0 < p->out[0]; o0++) {
			const pool_span *a = &sp[0][o0];

			for (int64_t o1 = 0; o1 < p->out[1]; o1++) {
				const pool_span *b = &sp[1][o1];
				int64_t rows = (int64_t)(a->t_hi - a->t_lo) * (b->t_hi - b->t_lo);
				int64_t rows_pad = (int64_t)a->n_pad * b->n_pad;

				/* sum (of |x|^p) over the window's rows, then along the row */
				for (int64_t i = 0; i < n2; i++)
					buf[i] = 0.0f;
				for (int32_t t0 = a->t_lo; t0 < a->t_hi; t0++) {
					for (int32_t t1 = b->t_lo; t1 < b->t_hi; t1++) {
						const float *row =
						    xc + ((a->start + t0 * p->d[0]) * p->in[1] +
							  b->start + t1 * p->d[1]) *
							     n2;

						if (lp)
							for (int64_t i = 0; i < n2; i++)
								buf[i] += lp_pow(row[i], p->p);
						else
							for (int64_t i = 0; i < n2; i++)
								buf[i] += row[i];
					}
				}
				for (int64_t o2 = 0; o2 < p->out[2]; o2++) {
					const pool_span *e = &sp[2][o2];
					const float *r = buf + e->start;
					float sum = 0.0f;
					int64_t cnt;

					for (int32_t t2 = e->t_lo; t2 < e->t_hi; t2++)
						sum += r[t2 * d2];
					if (lp) {
						*y++ = lp_root(sum, p->p);
						continue;
					}
					if (p->count_include_pad)
						cnt = rows_pad * e->n_pad;
					else
						cnt = rows * (e->t_hi - e->t_lo);
					*y++ = cnt > 0 ? sum / (float)cnt : 0.0f;
				}
			}
		}
	}
}

static cdl_status pool_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	cdl_tensor *ind = cdl_data_out(ctx, 1);
	const pool_span *csp[POOL_MAX_SPATIAL];
	pool_params p;
	pool_span *ws = ctx->workspace;
	void *buf;
	cdl_status st = pool_get(ctx, &p);

	if (st)
		return st;
	{
		size_t need = (size_t)p.in[POOL_MAX_SPATIAL - 1] * sizeof(float);

		for (uint32_t i = 0; i < POOL_MAX_SPATIAL; i++)
			need += (size_t)p.out[i] * sizeof(pool_span);
		if (ctx->workspace_size < need)
			return cdl_op_fail(ctx, CDL_ERR_INTERNAL, "workspace too small");
	}
	for (uint32_t i = 0; i < POOL_MAX_SPATIAL; i++) {
		csp[i] = ws;
		pool_spans(&p, i, ws);
		ws += p.out[i];
	}
	buf = ws; /* one input row of accumulators (pool_span keeps it aligned) */
	if (p.kind != POOL_MAX) {
		avgpool_f32(&p, csp, x->data, ctx->outputs[0]->data, buf);
		return CDL_OK;
	}
	if (ind) {
		maxpool_indices_f32(&p, csp, x->data, ctx->outputs[0]->data, ind->data);
		return CDL_OK;
	}
	switch (x->dtype) {
	case CDL_DTYPE_F32:
#if defined(__x86_64__)
		if (cdl_kernels_isa() >= CDL_ISA_AVX512 &&
		    maxpool2d_avx512_fits(&p, x->data == ctx->outputs[0]->data)) {
			maxpool2d_avx512(&p, csp, x->data, ctx->outputs[0]->data);
			break;
		}
		if (cdl_kernels_isa() >= CDL_ISA_AVX512) {
			maxpool(&p, csp, x->data, ctx->outputs[0]->data, buf, 4, &max_f32_avx512);
			break;
		}
#endif
		maxpool(&p, csp, x->data, ctx->outputs[0]->data, buf, 4, &max_f32);
		break;
	case CDL_DTYPE_I8:
		maxpool(&p, csp, x->data, ctx->outputs[0]->data, buf, 1, &max_i8);
		break;
	default:
		maxpool(&p, csp, x->data, ctx->outputs[0]->data, buf, 1, &max_u8);
		break;
	}
	return CDL_OK;
}

/* --- in place -------------------------------------------------------------------- */

/*
 * Why a pool may write its output over its input (same address, same dtype).
 *
 * Flatten both tensors: output element o of row R = (plane c, o0, o1) sits at
 * index R * out2 + o2, input element (c, i0, i1, i2) at c * P_in + (i0 * in1 +
 * i1) * in2 + i2, where P_in = in0 * in1 * in2 is an input plane. maxpool()
 * and avgpool_f32() above produce the output rows in increasing R: for row R
 * they first read whole input rows (i0, i1) of the window into the row
 * buffer (the workspace, not x), then write the row's out2 outputs from that
 * buffer alone. Writing row R destroys input indices [R * out2, (R+1) * out2)
 * (x and y share the address). So in place is safe iff no row reads an index
 * that an earlier row already wrote: for every row R' and every R < R',
 *     first index R' reads  >=  (R + 1) * out2,
 * i.e. (taking R = R' - 1) first(R') >= R' * out2, where first(R') is the
 * start of the lowest input row it reads: c * P_in + (i0 * in1 + i1) * in2
 * with i0, i1 its first taps inside the input (a row whose window lies in the
 * padding reads nothing and constrains nothing). The row's own reads all
 * happen before its own writes, so R = R' needs nothing.
 *
 * With P_out = out0 * out1 * out2 <= P_in, c * P_in >= c * P_out, so it is
 * enough that every (o0, o1) of one plane satisfies
 *     (i0 * in1 + i1) * in2 >= (o0 * out1 + o1) * out2,
 * which cdl_pool_in_place_ok checks row by row (out0 * out1 rows, once per
 * node at load). Sufficient in closed form: stride s >= 1 and leading pad
 * p <= s - 1 on each axis (so i >= o), and in >= out on each axis; e.g. the
 * 3x3 / stride 2 / pad 1 MaxPool of ResNet, or any pad-0 downsampling pool.
 * A stride-1 pool with padding (3x3 / 1 / 1) reads the row above the one it
 * writes and is refused.
 *
 * maxpool2d_avx512 writes a row block by block (16 outputs), each after
 * reading its own window, so within a row it also needs that block b's
 * writes, indices [R * out2, R * out2 + 16 (b + 1)), miss what blocks b' > b
 * of the row read: at least first(R) + 16 b' s - pad_begin >= R * out2 +
 * 16 b' s - pad_begin. That holds when pad_begin <= 16 (s - 1) on the last
 * axis, which maxpool2d_avx512_fits requires of a pool run in place (the
 * row-buffer kernels take the others).
 */
bool cdl_pool_in_place_ok(const cdl_node *node, const cdl_tensor *x, const cdl_tensor *y)
{
	cdl_tensor xi, yo;
	cdl_tensor *ins[1] = {&xi}, *outs[1] = {&yo};
	cdl_op_ctx ctx;
	pool_params p;
	int64_t plane_in = 0, plane_out = 0;

	if (!node || !x || !y || !node->op_type || node->n_inputs != 1 || node->n_outputs != 1)
		return false;
	if (!cdl_attr_streq(node->op_type, "MaxPool") &&
	    !cdl_attr_streq(node->op_type, "AveragePool"))
		return false;
	if (x->rank > CDL_MAX_RANK)
		return false;
	xi = *x;
	xi.data = NULL;
	memset(&yo, 0, sizeof(yo));
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = node;
	ctx.n_inputs = 1;
	ctx.n_outputs = 1;
	ctx.inputs = ins;
	ctx.outputs = outs;
	if (pool_infer(&ctx) != CDL_OK || !cdl_tensor_same_shape(&yo, y) || yo.dtype != x->dtype)
		return false;
	if (pool_get(&ctx, &p) != CDL_OK)
		return false;
	/* dims come from checked tensor sizes: the products fit in int64 */
	plane_in = p.in[0] * p.in[1] * p.in[2];
	plane_out = p.out[0] * p.out[1] * p.out[2];
	if (plane_out > plane_in)
		return false;
	for (int64_t o0 = 0; o0 < p.out[0]; o0++) {
		pool_span a;

		pool_span_of(&p, 0, o0, &a);
		if (a.t_lo >= a.t_hi)
			continue;
		for (int64_t o1 = 0; o1 < p.out[1]; o1++) {
			pool_span b;
			int64_t i0 = 0, i1 = 0;

			pool_span_of(&p, 1, o1, &b);
			if (b.t_lo >= b.t_hi)
				continue;
			i0 = a.start + a.t_lo * p.d[0];
			i1 = b.start + b.t_lo * p.d[1];
			if ((i0 * p.in[1] + i1) * p.in[2] < (o0 * p.out[1] + o1) * p.out[2])
				return false;
		}
	}
	return true;
}

/* --- global pools --------------------------------------------------------------- */

static cdl_status global_pool_infer(cdl_op_ctx *ctx)
{
	const cdl_tensor *x;
	int64_t dims[CDL_MAX_RANK];
	cdl_status st = cdl_data_check_io(ctx, 1, 1, 1, 1);

	if (st)
		return st;
	x = ctx->inputs[0];
	if (x->rank < 2)
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT, "input rank %u < 2",
				   (unsigned)x->rank);
	if (x->dtype != CDL_DTYPE_F32)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "dtype %s", cdl_dtype_name(x->dtype));
	if (kind_of(ctx->node->op_type) == POOL_LP) {
		int64_t pp = cdl_attr_int(ctx->node, "p", 2);

		if (pp < 1 || pp > 64)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "p=%lld", (long long)pp);
	}
	for (uint32_t d = 0; d < x->rank; d++)
		dims[d] = d < 2 ? x->dims[d] : 1;
	return cdl_data_set_output(ctx, 0, x->dtype, x->rank, dims);
}

/*
 * GlobalAveragePool's sum of n floats, defined as 16 partial sums -- element
 * i goes to sum i % 16, in order -- added pairwise as sum l + sum l + 8, then
 * l + 4, l + 2, l + 1: fewer dependent adds than one running sum, better
 * rounding, and exactly what one AVX-512 accumulator does, so the vector
 * loop below gives this loop's bits (the tail is a masked add: the sums of
 * the lanes past n are left as they are, not added 0).
 */
static float gap_sum_scalar(const float *x, size_t n)
{
	float s[16] = {0.0f};
	size_t i = 0;

	for (; i + 16 <= n; i += 16)
		for (int l = 0; l < 16; l++)
			s[l] += x[i + l];
	for (int l = 0; i + (size_t)l < n; l++)
		s[l] += x[i + l];
	for (int w = 8; w >= 1; w /= 2)
		for (int l = 0; l < w; l++)
			s[l] = s[l] + s[l + w];
	return s[0];
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) static float gap_sum_avx512(const float *x, size_t n)
{
	__m512 s = _mm512_setzero_ps();
	__m256 h;
	__m128 q;
	size_t i = 0;

	for (; i + 16 <= n; i += 16)
		s = _mm512_add_ps(s, _mm512_loadu_ps(x + i));
	if (i < n) {
		const __mmask16 m = (__mmask16)((1u << (n - i)) - 1u);

		s = _mm512_mask_add_ps(s, m, s, _mm512_maskz_loadu_ps(m, x + i));
	}
	/* lanes l + 8, l + 4, l + 2, l + 1 */
	h = _mm256_add_ps(_mm512_castps512_ps256(s),
			  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
	q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
	q = _mm_add_ps(q, _mm_movehl_ps(q, q));
	q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
	return _mm_cvtss_f32(q);
}
#endif

/* The fastest gap_sum this CPU has (each gives the same bits). */
static float (*gap_sum_fn(void))(const float *, size_t)
{
#if defined(__x86_64__)
	if (cdl_kernels_isa() >= CDL_ISA_AVX512)
		return gap_sum_avx512;
#endif
	return gap_sum_scalar;
}

static cdl_status global_pool_execute(cdl_op_ctx *ctx)
{
	const cdl_tensor *x = ctx->inputs[0];
	const float *src = x->data;
	float *y = ctx->outputs[0]->data;
	size_t planes = cdl_data_prod(x->dims, 0, 2);
	size_t n = cdl_data_prod(x->dims, 2, x->rank);
	enum pool_kind kind = kind_of(ctx->node->op_type);
	int64_t pp = cdl_attr_int(ctx->node, "p", 2);
	float (*const gap_sum)(const float *, size_t) = gap_sum_fn();

	for (size_t c = 0; c < planes; c++, src += n) {
		if (kind == POOL_MAX) {
			float m = n ? src[0] : -FLT_MAX;

			for (size_t i = 1; i < n; i++)
				m = src[i] > m ? src[i] : m;
			y[c] = m;
		} else if (kind == POOL_LP) {
			float s = 0.0f;

			for (size_t i = 0; i < n; i++)
				s += lp_pow(src[i], pp);
			y[c] = lp_root(s, pp);
		} else {
			y[c] = n ? gap_sum(src, n) / (float)n : 0.0f;
		}
	}
	return CDL_OK;
}

const cdl_op_def cdl_ops_pool[] = {
    {"MaxPool", pool_infer, pool_execute},
    {"AveragePool", pool_infer, pool_execute},
    {"LpPool", pool_infer, pool_execute},
    {"GlobalAveragePool", global_pool_infer, global_pool_execute},
    {"GlobalMaxPool", global_pool_infer, global_pool_execute},
    {"GlobalLpPool", global_pool_infer, global_pool_execute},
    {NULL, NULL, NULL},
};
