/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harness shared by test_engine_stream.c and test_engine_batch.c: a weight
 * fetch callback (a memcpy out of the plan buffer, counted, failing on
 * demand), the streamed plan it feeds, a torchvision model compiled for its
 * test input, and the random constants, Conv and Gemm of their hand-built
 * graphs. Header-only, like test_plan_util.h, so each test stays one
 * executable.
 *
 * The including file defines TEST_RNG_SEED, the first state of frand().
 */
#ifndef CDL_TEST_STREAM_UTIL_H
#define CDL_TEST_STREAM_UTIL_H

#include <time.h>

#include "test_plan_util.h"

#ifndef TEST_RNG_SEED
#error "define TEST_RNG_SEED before including test_stream_util.h"
#endif

static inline uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	memcpy(&v, p, 8);
	return v;
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* --- random floats in [-1, 1): xorshift64, reseeded by assigning rng ------------------ */

static uint64_t rng = TEST_RNG_SEED;

static inline float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((int64_t)(rng >> 40) - (1 << 23)) / (float)(1 << 23);
}

/* --- the fetch callback: a memcpy out of the plan buffer, counted, failing on demand */

typedef struct fetcher {
	const uint8_t *weights;
	uint64_t size;
	uint64_t bytes, calls;
	int64_t fail_at; /* call index that fails, or -1 */
	cdl_status fail_with;
	int out_of_range;
} fetcher;

static inline cdl_status fetch_cb(void *arg, uint64_t off, uint64_t size, void *dst)
{
	fetcher *f = arg;

	if (off > f->size || size > f->size - off) {
		f->out_of_range = 1;
		return CDL_ERR_MALFORMED;
	}
	if (f->fail_at >= 0 && (int64_t)f->calls == f->fail_at) {
		f->calls++;
		return f->fail_with;
	}
	memcpy(dst, f->weights + off, size);
	f->bytes += size;
	f->calls++;
	return CDL_OK;
}

static inline void fetcher_init(fetcher *f, const uint8_t *plan, size_t len)
{
	memset(f, 0, sizeof(*f));
	/* weights section: {offset, size} at 72 + 16 * 6 */
	f->weights = plan + rd64(plan + 72 + 16 * 6);
	f->size = rd64(plan + 80 + 16 * 6);
	CHECK(rd64(plan + 72 + 16 * 6) + f->size <= len);
	f->fail_at = -1;
}

/* --- a plan loaded the way the TA does it: tables only, weights fetched ------------- */

typedef struct streamed {
	uint8_t *prefix; /* exactly the tables */
	size_t tables_size;
	void *pmem;
	cdl_arena pa;
	const cdl_plan *plan;
	size_t tables_bytes; /* the parsed tables in the arena */
	void *emem;
	cdl_arena ea;
	cdl_engine *e;
	size_t need;
	fetcher f;
} streamed;

static inline void unload(streamed *s)
{
	free(s->prefix);
	free(s->pmem);
	free(s->emem);
	memset(s, 0, sizeof(*s));
}

/* --- a torchvision model (tests/models: DIR/model.onnx, DIR/test_data_set_0) -------- */

/* A whole file, malloc'd; NULL when it cannot be opened. */
static inline uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n = 0;

	if (!f)
		return NULL;
	CHECK(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	CHECK(n >= 0 && fseek(f, 0, SEEK_SET) == 0);
	buf = malloc((size_t)n + 1);
	CHECK(buf);
	CHECK(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * dir/model.onnx compiled (cdl_compile_onnx_file) for the shape of its test
 * input dir/test_data_set_0/input_0.pb, which *in receives (in->data
 * malloc'd, the caller's); name gets the last component of dir. False when
 * there is no test input (the model was not generated).
 */
static inline bool compile_onnx_dir(const char *dir, char *name, size_t name_size, cdl_tensor *in,
				    uint8_t **plan, size_t *plan_len)
{
	char path[4096], msg[1024] = "";
	uint8_t *buf = NULL;
	size_t len = 0;
	char *in_name = NULL;
	cdl_input_shape shape;
	const char *base = strrchr(dir, '/');

	snprintf(name, name_size, "%s", base ? base + 1 : dir);
	snprintf(path, sizeof(path), "%s/test_data_set_0/input_0.pb", dir);
	buf = read_all(path, &len);
	if (!buf)
		return false;
	CHECK_OK(cdl_onnx_parse_tensor(buf, len, &in_name, in, msg, sizeof(msg)), msg);
	free(buf);
	memset(&shape, 0, sizeof(shape));
	shape.name = in_name;
	shape.rank = in->rank;
	memcpy(shape.dims, in->dims, sizeof(shape.dims));
	snprintf(path, sizeof(path), "%s/model.onnx", dir);
	CHECK_OK(cdl_compile_onnx_file(path, &shape, 1, plan, plan_len, msg, sizeof(msg)), msg);
	free(in_name);
	CHECK(((uintptr_t)*plan % CDL_PLAN_ALIGN) == 0);
	return true;
}

/* --- hand-built graphs: random constants, Conv, Gemm ---------------------------------- */

/* A constant of random floats (frand). */
static inline uint32_t rconst(cdl_graph *g, const char *name, uint32_t rank, const int64_t *dims)
{
	cdl_tensor t;
	size_t n = 0;
	float *v = NULL;
	uint32_t id = 0;

	tp_set_shape(&t, CDL_DTYPE_F32, rank, dims);
	CHECK(cdl_tensor_numel(&t, &n));
	v = malloc(n * sizeof(float) + 1);
	CHECK(v);
	for (size_t i = 0; i < n; i++)
		v[i] = frand();
	id = tp_const(g, name, CDL_DTYPE_F32, rank, dims, v);
	free(v);
	return id;
}

/* A k x k Conv (random weights and bias), fused Relu when relu. */
static inline uint32_t conv(cdl_graph *g, const char *name, uint32_t x, int64_t cin, int64_t cout,
			    int64_t group, int64_t k, int64_t stride, int64_t pad, bool relu)
{
	const int64_t wd[4] = {cout, cin / group, k, k}, bd[1] = {cout};
	const int64_t strides[2] = {stride, stride}, pads[4] = {pad, pad, pad, pad};
	char wn[64], bn[64];
	cdl_attr at[4] = {
	    {.name = "group", .type = CDL_ATTR_INT, .v.i = group},
	    {.name = "strides", .type = CDL_ATTR_INTS, .count = 2, .v.ints = strides},
	    {.name = "pads", .type = CDL_ATTR_INTS, .count = 4, .v.ints = pads},
	    {.name = "cdl.act", .type = CDL_ATTR_STRING, .count = 4, .v.s = "Relu"},
	};
	uint32_t in[3], y = 0;
	const char *names[1] = {name};

	snprintf(wn, sizeof(wn), "%s.w", name);
	snprintf(bn, sizeof(bn), "%s.b", name);
	in[0] = x;
	in[1] = rconst(g, wn, 4, wd);
	in[2] = rconst(g, bn, 1, bd);
	tp_node(g, "Conv", name, in, 3, &y, names, 1, at, relu ? 4 : 3);
	return y;
}

/* Gemm(a [M, k], B random, c) with beta 0.5 (no C when c is CDL_NO_TENSOR): [M, n]. */
static inline uint32_t gemm(cdl_graph *g, const char *name, uint32_t a, int64_t k, int64_t n,
			    uint32_t c, int trans_b)
{
	const int64_t bd[2] = {trans_b ? n : k, trans_b ? k : n};
	char bn[64];
	cdl_attr at[2] = {
	    {.name = "transB", .type = CDL_ATTR_INT, .v.i = trans_b},
	    {.name = "beta", .type = CDL_ATTR_FLOAT, .v.f = 0.5f},
	};
	uint32_t in[3], y = 0;
	const char *names[1] = {name};

	snprintf(bn, sizeof(bn), "%s.B", name);
	in[0] = a;
	in[1] = rconst(g, bn, 2, bd);
	in[2] = c;
	tp_node(g, "Gemm", name, in, c == CDL_NO_TENSOR ? 2 : 3, &y, names, 1, at, 2);
	return y;
}

#endif /* CDL_TEST_STREAM_UTIL_H */
