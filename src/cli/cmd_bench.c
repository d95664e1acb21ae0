// SPDX-License-Identifier: Apache-2.0
/*
 * cdl bench MODEL.cdlm [--baseline MODEL.onnx]: the latency of one model,
 * four ways, in one run, on the same input:
 *
 *   plain         the engine in this process, no TEE. The package's plan can
 *                 only be decrypted inside the TEE, so this runs the plan
 *                 compiled again from --baseline by the provider pipeline
 *                 (the same one `cdl pack` runs: the same plan);
 *   tee_resident  through libcdl and the TEE, CDL_MODE_RESIDENT;
 *   tee_stream    the same, CDL_MODE_STREAM (weights decrypted layer by layer);
 *   onnxruntime   ONNX Runtime on --baseline (node scripts/ort_run.js --bench).
 *
 * The in-process configurations run in interleaved rounds (one run of each
 * per round), so that a load change on a shared machine hits all of them
 * alike and their ratios stay meaningful. A benchmark, not a test: it reports
 * figures and asserts nothing about them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_tee.h"
#include "cli_util.h"
#include "cmd_package.h"
#include "engine/engine.h"
#include "engine/op.h"
#include "engine/plan.h"
#include "format/inspect.h"
#include "provider/provider.h"
#include "thread_pool.h"

#define DEFAULT_RUNS 20
#define DEFAULT_WARMUP 2
#define MAX_RUNS 100000
#define PROFILE_TOP 25

enum config { CFG_PLAIN, CFG_RESIDENT, CFG_STREAM, CFG_ORT, N_CFG };

static const char *const cfg_key[N_CFG] = {"plain", "tee_resident", "tee_stream", "onnxruntime"};

typedef struct bench_opts {
	const char *model, *baseline, *tee, *stream_heap, *ort_script;
	const char *inputs[CDL_MAX_IO];
	uint32_t n_inputs;
	uint32_t runs, warmup;
	uint32_t threads; /* per inference, in every configuration */
	bool json, profile;
	bool want[N_CFG]; /* --configs */
} bench_opts;

/* One configuration's samples and outcome. */
typedef struct cfg_result {
	bool wanted, ok;
	double *ms; /* runs samples */
	uint32_t n;
	double median, min, max;
	char error[512];
} cfg_result;

/* Per-node time of the plain engine (--profile). */
typedef struct profile {
	const cdl_plan *plan;
	double *total_ms; /* per node, summed over the profiled runs */
	double t0;
	uint32_t runs;
} profile;

/* A TEE configuration: its own cdl-tee (so its own heap) and model. */
typedef struct tee_cfg {
	cdl_context *ctx;
	cdl_model *model;
	cdl_model_info info;
	cdl_stats stats;
	bool have_stats;
	char heap[32]; /* as given to cdl-tee, "" = its default */
} tee_cfg;

/* The plain engine and its buffers. */
typedef struct plain_cfg {
	cdl_thread_pool *pool; /* --threads > 1 */
	cdl_engine_options eo;
	uint8_t *plan_buf, *mem;
	const cdl_plan *plan;
	cdl_engine *engine;
	cdl_tensor ins[CDL_MAX_IO], outs[CDL_MAX_IO];
	uint32_t n_out;
} plain_cfg;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cdl bench MODEL.cdlm [--baseline MODEL.onnx] [-n RUNS] [--threads N]\n"
		"                 [--json] [--profile] [options]\n"
		"  Latency (median, min, max of RUNS) of the model run four ways on the same\n"
		"  input, in one run: the plain engine in this process, through the TEE in\n"
		"  resident and in stream mode, and ONNX Runtime, with their ratios.\n"
		"  --baseline FILE    the ONNX model the package was made from. Needed for the\n"
		"                     plain engine (the package's plan is decryptable only in\n"
		"                     the TEE, so the plan is compiled again from FILE) and for\n"
		"                     ONNX Runtime; without it only the TEE is measured\n"
		"  -n, --runs N       timed runs per configuration (default %d)\n"
		"  --warmup N         untimed runs first (default %d)\n"
		"  --input FILE.pb    the input (ONNX TensorProto), once per model input;\n"
		"                     default: test_data_set_0/input_K.pb next to --baseline\n"
		"                     if there, else a fixed-seed uniform [0,1) tensor\n"
		"  --threads N        threads per inference (default 1): a worker pool for\n"
		"                     the plain engine, cdl-tee --threads N for the TEE\n"
		"                     (CDL_TEE_THREADS), ONNX Runtime's intra-op threads\n"
		"  --profile          time per layer of the plain engine (thread CPU time)\n"
		"  --json             one JSON object on stdout: results.{plain, tee_resident,\n"
		"                     tee_stream, onnxruntime} = {median_ms, min_ms, max_ms}\n"
		"                     (null when a configuration failed: errors.<key> says why)\n"
		"  --configs LIST     measure only these of plain,tee_resident,tee_stream,\n"
		"                     onnxruntime (comma-separated; the others are null)\n"
		"  --stream-heap SIZE the secure heap of the stream-mode TEE, e.g. 4M\n"
		"                     (default: as the resident one)\n"
		"  --tee SOCKET       use a shared `cdl-tee --listen SOCKET` for both modes\n"
		"  --ort-script FILE  scripts/ort_run.js (default: $CDL_ORT_RUN, else found\n"
		"                     from the working directory or next to this program)\n"
		"environment: CDL_TEE_HEAP sets the secure heap of the spawned TEE(s), as\n"
		"everywhere (default 16M; a resident model needs its weights + activations).\n",
		DEFAULT_RUNS, DEFAULT_WARMUP);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void summarise(cfg_result *r)
{
	double *s = NULL;

	if (!r->n)
		return;
	s = malloc(r->n * sizeof(*s));
	if (!s)
		return;
	memcpy(s, r->ms, r->n * sizeof(*s));
	qsort(s, r->n, sizeof(*s), cmp_double);
	r->min = s[0];
	r->max = s[r->n - 1];
	r->median = r->n % 2 ? s[r->n / 2] : 0.5 * (s[r->n / 2 - 1] + s[r->n / 2]);
	free(s);
}

static void fail_cfg(cfg_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_cfg(cfg_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->ok = false;
}

/* "4M", "512K", "1G", "12345": bytes; false if malformed. */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v = 0;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	else if (*end == 'G' || *end == 'g')
		mul = 1024ull * 1024 * 1024;
	else if (*end)
		return false;
	if (mul != 1 && end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
		return false;
	if (v > UINT64_MAX / mul)
		return false;
	*out = v * mul;
	return true;
}

static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end = NULL;
	unsigned long v = 0;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

static size_t numel_of(uint32_t rank, const int64_t *dims)
{
	size_t n = 1;

	for (uint32_t i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	return n;
}

/* ------------------------------------------------------------- inputs */

typedef struct bench_input {
	char name[CDL_MAX_NAME];
	uint32_t dtype, rank;
	int64_t dims[CDL_MAX_DIMS];
	void *data;
	size_t size;
	char pb_path[4096]; /* the .pb ONNX Runtime reads */
	bool pb_temp;	    /* written by us: removed at the end */
	char source[4096];  /* for the report */
} bench_input;

static void put_varint(FILE *f, uint64_t v)
{
	do {
		uint8_t b = (uint8_t)(v & 0x7f);

		v >>= 7;
		if (v)
			b |= 0x80;
		fputc(b, f);
	} while (v);
}

/* A TensorProto with dims, data_type, name and raw_data: what ort_run.js reads. */
static cdl_status write_tensor_pb(const bench_input *in, const char *path, char *msg,
				  size_t msg_size)
{
	FILE *f = fopen(path, "wb");
	size_t name_len = strlen(in->name);
	bool ok = true;

	if (!f) {
		snprintf(msg, msg_size, "cannot write %.900s: %s", path, strerror(errno));
		return CDL_ERR_IO;
	}
	for (uint32_t i = 0; i < in->rank; i++) {
		fputc(0x08, f); /* field 1 (dims), varint */
		put_varint(f, (uint64_t)in->dims[i]);
	}
	fputc(0x10, f); /* field 2 (data_type) */
	put_varint(f, in->dtype);
	fputc(0x42, f); /* field 8 (name), bytes */
	put_varint(f, name_len);
	ok = fwrite(in->name, 1, name_len, f) == name_len;
	fputc(0x4a, f); /* field 9 (raw_data), bytes */
	put_varint(f, in->size);
	ok = ok && fwrite(in->data, 1, in->size, f) == in->size;
	if (fclose(f) != 0 || !ok) {
		snprintf(msg, msg_size, "cannot write %.900s", path);
		return CDL_ERR_IO;
	}
	return CDL_OK;
}

/* The model's input idx from a .pb, checked against what the package says. */
static cdl_status input_from_pb(const char *path, const cdl_pkg_tensor_info *want, bench_input *in,
				char *msg, size_t msg_size)
{
	cdl_host_tensor h;
	char s1[160], s2[160];
	size_t bytes = 0;
	cdl_status s = cdl_read_tensor_pb(path, &h, msg, msg_size);

	if (s)
		return s;
	if (h.t.dtype != want->dtype || h.t.rank != want->rank ||
	    memcmp(h.t.dims, want->dims, want->rank * sizeof(int64_t)) != 0) {
		snprintf(msg, msg_size, "%s is %s %s, input '%s' takes %s %s", path,
			 cdl_type_name(h.t.dtype),
			 cdl_cli_shape_str(h.t.rank, h.t.dims, s1, sizeof(s1)), want->name,
			 cdl_type_name(want->dtype),
			 cdl_cli_shape_str(want->rank, want->dims, s2, sizeof(s2)));
		cdl_host_tensor_free(&h);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	if (!cdl_tensor_nbytes(&h.t, &bytes)) {
		cdl_host_tensor_free(&h);
		snprintf(msg, msg_size, "%s: tensor too large", path);
		return CDL_ERR_MALFORMED;
	}
	snprintf(in->name, sizeof(in->name), "%s", want->name);
	in->dtype = want->dtype;
	in->rank = want->rank;
	memcpy(in->dims, want->dims, sizeof(int64_t) * want->rank);
	in->data = h.t.data;
	in->size = bytes;
	snprintf(in->pb_path, sizeof(in->pb_path), "%s", path);
	snprintf(in->source, sizeof(in->source), "%s", path);
	return CDL_OK;
}

/* A fixed-seed uniform [0,1) input (zeros for non-float types), written to a temp .pb. */
static cdl_status input_generated(const cdl_pkg_tensor_info *want, uint32_t idx, bench_input *in,
				  char *msg, size_t msg_size)
{
	const size_t esize = cdl_type_size(want->dtype);
	const size_t n = numel_of(want->rank, want->dims);
	const char *tmp = getenv("TMPDIR");
	uint64_t x = 0x9e3779b97f4a7c15ull + idx;
	int fd = -1;

	if (!esize) {
		snprintf(msg, msg_size, "input '%s' has dtype %u, which bench cannot generate",
			 want->name, want->dtype);
		return CDL_ERR_UNSUPPORTED;
	}
	snprintf(in->name, sizeof(in->name), "%s", want->name);
	in->dtype = want->dtype;
	in->rank = want->rank;
	memcpy(in->dims, want->dims, sizeof(int64_t) * want->rank);
	in->size = n * esize;
	in->data = calloc(in->size ? in->size : 1, 1);
	if (!in->data)
		return CDL_ERR_OUT_OF_MEMORY;
	if (want->dtype == CDL_TYPE_FLOAT32) {
		float *f = in->data;

		for (size_t i = 0; i < n; i++) {
			/* xorshift64*: the same input on every machine */
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			f[i] = (float)((x * 0x2545f4914f6cdd1dull) >> 40) / (float)(1u << 24);
		}
	}
	snprintf(in->pb_path, sizeof(in->pb_path), "%s/cdl-bench-input-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(in->pb_path);
	if (fd < 0) {
		snprintf(msg, msg_size, "cannot create a temporary file in %s: %s",
			 tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return CDL_ERR_IO;
	}
	close(fd);
	in->pb_temp = true;
	snprintf(in->source, sizeof(in->source), "generated (fixed-seed uniform [0,1))");
	return write_tensor_pb(in, in->pb_path, msg, msg_size);
}

static cdl_status read_inputs(const bench_opts *o, const cdl_pkg_header *h, bench_input *ins,
			      char *msg, size_t msg_size)
{
	if (o->n_inputs && o->n_inputs != h->n_inputs) {
		snprintf(msg, msg_size, "the model takes %u inputs, %u --input files given",
			 h->n_inputs, o->n_inputs);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	for (uint32_t k = 0; k < h->n_inputs; k++) {
		char path[4096] = "";
		cdl_status s = CDL_OK;

		if (o->n_inputs) {
			snprintf(path, sizeof(path), "%s", o->inputs[k]);
		} else if (o->baseline) {
			const char *slash = strrchr(o->baseline, '/');
			int dir_len = slash ? (int)(slash - o->baseline) : 1;

			snprintf(path, sizeof(path), "%.*s/test_data_set_0/input_%u.pb", dir_len,
				 slash ? o->baseline : ".", k);
			if (!cdl_cli_is_file(path))
				path[0] = '\0';
		}
		if (path[0]) {
			s = input_from_pb(path, &h->inputs[k], &ins[k], msg, msg_size);
			/* a test set for other shapes than the package's: make one */
			if (s == CDL_ERR_INVALID_ARGUMENT && !o->n_inputs) {
				free(ins[k].data);
				memset(&ins[k], 0, sizeof(ins[k]));
				s = input_generated(&h->inputs[k], k, &ins[k], msg, msg_size);
			}
		} else {
			s = input_generated(&h->inputs[k], k, &ins[k], msg, msg_size);
		}
		if (s)
			return s;
	}
	return CDL_OK;
}

/* -------------------------------------------------------------- plain */

static void plain_free(plain_cfg *p)
{
	for (uint32_t k = 0; k < CDL_MAX_IO; k++)
		free(p->outs[k].data);
	free(p->mem);
	free(p->plan_buf);
	cdl_thread_pool_destroy(p->pool);
	memset(p, 0, sizeof(*p));
}

static size_t round_align(size_t n)
{
	return (n + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN * CDL_PLAN_ALIGN;
}

/* Compiles the baseline as `cdl pack` does (input shapes from the package) and binds an engine. */
static cdl_status plain_setup(const bench_opts *o, const cdl_pkg_header *h, const bench_input *ins,
			      plain_cfg *p, char *msg, size_t msg_size)
{
	cdl_input_shape shapes[CDL_MAX_IO];
	uint8_t *plan_bytes = NULL;
	size_t plan_len = 0, engine_bytes = 0, mem_size = 0;
	cdl_arena arena;
	cdl_status s = CDL_OK;

	memset(p, 0, sizeof(*p));
	if (o->threads > 1) {
		p->pool = cdl_thread_pool_create(o->threads, NULL, 0, 0);
		if (!p->pool) {
			snprintf(msg, msg_size, "cannot start %u threads: %s", o->threads,
				 strerror(errno));
			return CDL_ERR_OUT_OF_MEMORY;
		}
		p->eo.parallel = cdl_thread_pool_parallel(p->pool);
	}
	for (uint32_t k = 0; k < h->n_inputs; k++) {
		shapes[k].name = h->inputs[k].name;
		shapes[k].rank = h->inputs[k].rank;
		memcpy(shapes[k].dims, h->inputs[k].dims, sizeof(int64_t) * h->inputs[k].rank);
	}
	s = cdl_compile_onnx_file(o->baseline, shapes, h->n_inputs, &plan_bytes, &plan_len, msg,
				  msg_size);
	if (s)
		return s;
	p->plan_buf = aligned_alloc(CDL_PLAN_ALIGN, round_align(plan_len));
	if (!p->plan_buf) {
		free(plan_bytes);
		snprintf(msg, msg_size, "out of memory for a %zu-byte plan", plan_len);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	memcpy(p->plan_buf, plan_bytes, plan_len);
	free(plan_bytes);
	/* Parse once into a probe block to learn the engine's needs, then for real. */
	for (int pass = 0; pass < 2; pass++) {
		mem_size = round_align(pass == 0 ? (1u << 20) + plan_len : mem_size);
		free(p->mem);
		p->mem = aligned_alloc(CDL_PLAN_ALIGN, mem_size);
		if (!p->mem) {
			snprintf(msg, msg_size, "out of memory for %zu bytes", mem_size);
			return CDL_ERR_OUT_OF_MEMORY;
		}
		cdl_arena_init(&arena, p->mem, mem_size);
		s = cdl_plan_parse(p->plan_buf, plan_len, &arena, &p->plan, msg, msg_size);
		if (s)
			return s;
		s = cdl_engine_memory_needed_ex(p->plan, &p->eo, &engine_bytes, msg, msg_size);
		if (s)
			return s;
		if (arena.used + engine_bytes + CDL_PLAN_ALIGN <= mem_size)
			break;
		mem_size = arena.used + engine_bytes + CDL_PLAN_ALIGN;
	}
	s = cdl_engine_create_ex(p->plan, &p->eo, &arena, &p->engine, msg, msg_size);
	if (s)
		return s;
	if (p->plan->n_inputs != h->n_inputs) {
		snprintf(msg, msg_size, "%s has %u inputs, the package %u: not the same model",
			 o->baseline, p->plan->n_inputs, h->n_inputs);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	for (uint32_t k = 0; k < h->n_inputs; k++) {
		cdl_tensor *t = &p->ins[k];

		memset(t, 0, sizeof(*t));
		t->dtype = (uint8_t)ins[k].dtype;
		t->rank = (uint8_t)ins[k].rank;
		memcpy(t->dims, ins[k].dims, sizeof(int64_t) * ins[k].rank);
		t->data = ins[k].data;
	}
	p->n_out = p->plan->n_outputs;
	if (p->n_out > CDL_MAX_IO) {
		snprintf(msg, msg_size, "%u outputs (at most %u)", p->n_out, CDL_MAX_IO);
		return CDL_ERR_UNSUPPORTED;
	}
	for (uint32_t k = 0; k < p->n_out; k++) {
		const cdl_plan_tensor *pt = &p->plan->tensors[p->plan->outputs[k]];

		p->outs[k] = pt->desc;
		p->outs[k].data = malloc(pt->size + 1);
		if (!p->outs[k].data)
			return CDL_ERR_OUT_OF_MEMORY;
	}
	return CDL_OK;
}

static cdl_status plain_run(plain_cfg *p, char *msg, size_t msg_size)
{
	return cdl_engine_run(p->engine, p->ins, p->plan->n_inputs, p->outs, p->n_out, msg,
			      msg_size);
}

/* ------------------------------------------------------------ profile */

/* Thread CPU time: on a shared machine wall time per layer mostly measures the neighbours. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void profile_hook(void *arg, uint32_t node, int after)
{
	profile *pr = arg;

	if (!after) {
		pr->t0 = cpu_ms();
		return;
	}
	pr->total_ms[node] += cpu_ms() - pr->t0;
}

static double tensor_numel(const cdl_plan *plan, uint32_t idx)
{
	const cdl_tensor *t = NULL;
	double n = 1.0;

	if (idx == CDL_NO_TENSOR || idx >= plan->n_tensors)
		return 0.0;
	t = &plan->tensors[idx].desc;
	for (uint32_t i = 0; i < t->rank; i++)
		n *= (double)t->dims[i];
	return n;
}

static const cdl_tensor *tensor_desc(const cdl_plan *plan, uint32_t idx)
{
	return idx == CDL_NO_TENSOR || idx >= plan->n_tensors ? NULL : &plan->tensors[idx].desc;
}

/* Multiply-adds x 2 of the nodes that are (mostly) GEMMs; 0 for the others. */
static double node_flops(const cdl_plan *plan, const cdl_node *n)
{
	const cdl_tensor *w = NULL, *a = NULL, *y = NULL;

	if (n->n_inputs < 2 || n->n_outputs < 1)
		return 0.0;
	w = tensor_desc(plan, n->inputs[1]);
	a = tensor_desc(plan, n->inputs[0]);
	y = tensor_desc(plan, n->outputs[0]);
	if (!w || !a || !y)
		return 0.0;
	if (strcmp(n->op_type, "Conv") == 0 && w->rank >= 2) {
		/* each output element: Cin/group x kernel products */
		return 2.0 * tensor_numel(plan, n->outputs[0]) *
		       (tensor_numel(plan, n->inputs[1]) / (double)w->dims[0]);
	}
	if (strcmp(n->op_type, "ConvTranspose") == 0 && a->rank >= 2 && w->dims[0] > 0) {
		return 2.0 * tensor_numel(plan, n->inputs[0]) *
		       (tensor_numel(plan, n->inputs[1]) / (double)w->dims[0]);
	}
	if ((strcmp(n->op_type, "Gemm") == 0 || strcmp(n->op_type, "MatMul") == 0) &&
	    a->rank >= 1) {
		return 2.0 * tensor_numel(plan, n->outputs[0]) * (double)a->dims[a->rank - 1];
	}
	return 0.0;
}

/* "Conv" split by kind (where the time of a CNN goes differs a lot between them). */
static const char *node_kind(const cdl_plan *plan, const cdl_node *n, char *buf, size_t size)
{
	const cdl_tensor *w = NULL;

	if (strcmp(n->op_type, "Conv") != 0 || n->n_inputs < 2 ||
	    !(w = tensor_desc(plan, n->inputs[1])) || w->rank < 3)
		return n->op_type;
	if (w->dims[1] == 1 && cdl_attr_int(n, "group", 1) > 1)
		snprintf(buf, size, "Conv dw %" PRId64 "x%" PRId64, w->dims[2],
			 w->rank > 3 ? w->dims[3] : 1);
	else
		snprintf(buf, size, "Conv %" PRId64 "x%" PRId64, w->dims[2],
			 w->rank > 3 ? w->dims[3] : 1);
	return buf;
}

typedef struct op_total {
	char op[32];
	double ms, flops;
	uint32_t count;
} op_total;

typedef struct node_time {
	uint32_t index;
	double ms;
} node_time;

static int cmp_node_ms(const void *a, const void *b)
{
	const node_time *x = a, *y = b;

	return x->ms > y->ms ? -1 : x->ms < y->ms;
}

static int cmp_op_ms(const void *a, const void *b)
{
	const op_total *x = a, *y = b;

	return x->ms > y->ms ? -1 : x->ms < y->ms;
}

/* Per-op-type totals; returns how many types, *out malloc'd. */
static uint32_t profile_by_op(const profile *pr, op_total **out)
{
	const cdl_plan *plan = pr->plan;
	op_total *t = calloc(plan->n_nodes ? plan->n_nodes : 1, sizeof(*t));
	uint32_t n = 0;

	*out = t;
	if (!t)
		return 0;
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		const cdl_node *node = &plan->nodes[i];
		uint32_t k = 0;

		char kind[32];
		const char *op = node_kind(plan, node, kind, sizeof(kind));

		while (k < n && strcmp(t[k].op, op) != 0)
			k++;
		if (k == n)
			snprintf(t[n++].op, sizeof(t[k].op), "%s", op);
		t[k].ms += pr->total_ms[i] / pr->runs;
		t[k].flops += node_flops(plan, node);
		t[k].count++;
	}
	qsort(t, n, sizeof(*t), cmp_op_ms);
	return n;
}

static void print_profile(FILE *f, const profile *pr)
{
	const cdl_plan *plan = pr->plan;
	node_time *order = malloc((plan->n_nodes ? plan->n_nodes : 1) * sizeof(*order));
	op_total *ops = NULL;
	uint32_t n_ops = 0;
	double total = 0.0;

	if (!order || !pr->runs) {
		free(order);
		return;
	}
	for (uint32_t i = 0; i < plan->n_nodes; i++) {
		order[i].index = i;
		order[i].ms = pr->total_ms[i] / pr->runs;
		total += order[i].ms;
	}
	qsort(order, plan->n_nodes, sizeof(*order), cmp_node_ms);
	fprintf(f,
		"\nprofile of the plain engine (thread CPU time, mean of %u runs: %.3f ms in %u "
		"nodes):\n",
		pr->runs, total, plan->n_nodes);
	fprintf(f, "  %5s  %-18s %-34s %9s %6s %8s\n", "node", "op", "name", "ms", "share",
		"GFLOP/s");
	for (uint32_t j = 0; j < plan->n_nodes && j < PROFILE_TOP; j++) {
		const uint32_t i = order[j].index;
		const cdl_node *node = &plan->nodes[i];
		const double ms = pr->total_ms[i] / pr->runs;
		const double fl = node_flops(plan, node);
		char shape[96];
		const cdl_tensor *y = node->n_outputs ? tensor_desc(plan, node->outputs[0]) : NULL;

		shape[0] = '\0';
		if (y)
			cdl_cli_shape_str(y->rank, y->dims, shape, sizeof(shape));
		fprintf(f, "  %5u  %-18.18s %-34.34s %9.3f %5.1f%%", i, node->op_type,
			node->name && *node->name ? node->name : shape, ms,
			total > 0 ? 100.0 * ms / total : 0.0);
		if (fl > 0 && ms > 0)
			fprintf(f, " %8.1f", fl / (ms * 1e6));
		fputc('\n', f);
	}
	if (plan->n_nodes > PROFILE_TOP)
		fprintf(f, "  ... %u more nodes\n", plan->n_nodes - PROFILE_TOP);
	n_ops = profile_by_op(pr, &ops);
	fprintf(f, "by op type:\n");
	for (uint32_t k = 0; k < n_ops; k++) {
		fprintf(f, "  %-18s %4u nodes %9.3f ms %5.1f%%", ops[k].op, ops[k].count, ops[k].ms,
			total > 0 ? 100.0 * ops[k].ms / total : 0.0);
		if (ops[k].flops > 0 && ops[k].ms > 0)
			fprintf(f, " %8.1f GFLOP/s", ops[k].flops / (ops[k].ms * 1e6));
		fputc('\n', f);
	}
	free(ops);
	free(order);
}

static void json_profile(FILE *f, const profile *pr)
{
	const cdl_plan *plan = pr->plan;
	op_total *ops = NULL;
	uint32_t n_ops = 0;

	fprintf(f, ",\"profile\":{\"clock\":\"thread_cpu\",\"runs\":%u,\"nodes\":[", pr->runs);
	for (uint32_t i = 0; i < plan->n_nodes && pr->runs; i++) {
		const cdl_node *node = &plan->nodes[i];
		const double ms = pr->total_ms[i] / pr->runs;
		const double fl = node_flops(plan, node);

		fprintf(f, "%s{\"index\":%u,\"op\":", i ? "," : "", i);
		cdl_cli_json_string(f, node->op_type);
		fprintf(f, ",\"name\":");
		cdl_cli_json_string(f, node->name);
		fprintf(f, ",\"ms\":%.4f,\"flops\":%.0f}", ms, fl);
	}
	fprintf(f, "],\"by_op\":{");
	n_ops = pr->runs ? profile_by_op(pr, &ops) : 0;
	for (uint32_t k = 0; k < n_ops; k++) {
		fprintf(f, "%s", k ? "," : "");
		cdl_cli_json_string(f, ops[k].op);
		fprintf(f, ":{\"nodes\":%u,\"ms\":%.4f,\"flops\":%.0f}", ops[k].count, ops[k].ms,
			ops[k].flops);
	}
	fprintf(f, "}}");
	free(ops);
}

/* ---------------------------------------------------------------- TEE */

/* Sets (value != NULL) an environment variable for the cdl-tee about to be
 * spawned; restore_env puts back what it was. */
static bool set_env(const char *name, const char *value, char **saved)
{
	const char *env = getenv(name);

	*saved = env ? strdup(env) : NULL;
	return !value || setenv(name, value, 1) == 0;
}

static void restore_env(const char *name, const char *value, char *saved)
{
	if (value) {
		if (saved)
			setenv(name, saved, 1);
		else
			unsetenv(name);
	}
	free(saved);
}

/* Creates a context whose spawned cdl-tee gets heap (NULL: CDL_TEE_HEAP as
 * set) and --threads threads. */
static cdl_status tee_context(const bench_opts *o, const char *heap, cdl_context **ctx)
{
	cdl_context_options co = {.tee_socket = o->tee};
	char threads[16], *saved_heap = NULL, *saved_threads = NULL;
	cdl_status s = CDL_ERR_OUT_OF_MEMORY;

	snprintf(threads, sizeof(threads), "%u", o->threads);
	if (set_env("CDL_TEE_HEAP", heap, &saved_heap) &&
	    set_env("CDL_TEE_THREADS", threads, &saved_threads))
		s = cdl_context_create(&co, ctx);
	restore_env("CDL_TEE_HEAP", heap, saved_heap);
	restore_env("CDL_TEE_THREADS", threads, saved_threads);
	return s;
}

/*
 * Starts the configuration's TEE. Done before the plain engine's compile,
 * the model load after it: as on a device, where the TEE is up before an
 * app loads a model, the load does not pay for the TEE's start-up (its
 * secure heap being faulted in: src/tee/host/heap.c).
 */
static cdl_status tee_start(const bench_opts *o, const char *heap, tee_cfg *t, char *msg,
			    size_t msg_size)
{
	const char *env = getenv("CDL_TEE_HEAP");
	cdl_status s = CDL_OK;

	snprintf(t->heap, sizeof(t->heap), "%s", heap ? heap : env && *env ? env : "");
	s = tee_context(o, heap, &t->ctx);
	if (s)
		snprintf(msg, msg_size, "cannot start the TEE: %s", cdl_last_error());
	return s;
}

static cdl_status tee_load(const bench_opts *o, cdl_mode mode, tee_cfg *t, char *msg,
			   size_t msg_size)
{
	cdl_status s = cdl_model_load_file(t->ctx, o->model, mode, &t->model);

	if (!s)
		s = cdl_model_get_info(t->model, &t->info);
	if (s)
		snprintf(msg, msg_size, "%s", cdl_last_error());
	return s;
}

static void tee_free(tee_cfg *t)
{
	cdl_model_delete(t->model);
	cdl_context_delete(t->ctx);
	memset(t, 0, sizeof(*t));
}

/* Result buffers for one run (batch 1), as the package's policy shapes them. */
typedef struct tee_io {
	cdl_input in[CDL_MAX_IO];
	cdl_output out[CDL_MAX_IO];
	uint32_t n_in, n_out;
} tee_io;

static cdl_status tee_io_init(const tee_cfg *t, const bench_input *ins, tee_io *io)
{
	memset(io, 0, sizeof(*io));
	io->n_in = t->info.n_inputs;
	io->n_out = t->info.n_results;
	for (uint32_t k = 0; k < io->n_in; k++) {
		io->in[k].data = ins[k].data;
		io->in[k].size = ins[k].size;
		io->in[k].dtype = ins[k].dtype;
		io->in[k].rank = ins[k].rank;
		memcpy(io->in[k].dims, ins[k].dims, sizeof(int64_t) * ins[k].rank);
	}
	for (uint32_t k = 0; k < io->n_out; k++) {
		io->out[k].capacity = t->info.result_size[k];
		io->out[k].data = malloc(io->out[k].capacity + 1);
		if (!io->out[k].data)
			return CDL_ERR_OUT_OF_MEMORY;
	}
	return CDL_OK;
}

static void tee_io_free(tee_io *io)
{
	for (uint32_t k = 0; k < CDL_MAX_IO; k++)
		free(io->out[k].data);
	memset(io, 0, sizeof(*io));
}

/* ------------------------------------------------------ ONNX Runtime */

static bool ort_script(const bench_opts *o, char *path, size_t size)
{
	const char *env = getenv("CDL_ORT_RUN");
	char exe[3072];
	ssize_t n = 0;

	if (o->ort_script) {
		snprintf(path, size, "%s", o->ort_script);
		return true;
	}
	if (env && *env) {
		snprintf(path, size, "%s", env);
		return true;
	}
	if (cdl_cli_is_file("scripts/ort_run.js")) {
		snprintf(path, size, "scripts/ort_run.js");
		return true;
	}
	/* build/cdl or build-x/cdl next to scripts/ in a source tree */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash = NULL;

		exe[n] = '\0';
		for (int up = 0; up < 3 && (slash = strrchr(exe, '/')); up++) {
			*slash = '\0';
			snprintf(path, size, "%s/scripts/ort_run.js", exe);
			if (cdl_cli_is_file(path))
				return true;
		}
	}
	return false;
}

/* node ort_run.js MODEL IN.pb... --bench N: parses its one JSON line. */
static void run_ort(const bench_opts *o, const bench_input *ins, uint32_t n_in, cfg_result *r)
{
	char script[4096], runs[16], threads[16], out[8192];
	const char *argv[CDL_MAX_IO + 10];
	int pipefd[2] = {-1, -1}, status = 0, argc = 0;
	size_t used = 0;
	ssize_t got = 0;
	pid_t pid = -1;
	const char *line = NULL;

	if (!ort_script(o, script, sizeof(script))) {
		fail_cfg(r, "scripts/ort_run.js not found (give --ort-script or set CDL_ORT_RUN)");
		return;
	}
	snprintf(runs, sizeof(runs), "%u", o->runs);
	argv[argc++] = "node";
	argv[argc++] = script;
	argv[argc++] = o->baseline;
	for (uint32_t k = 0; k < n_in; k++)
		argv[argc++] = ins[k].pb_path;
	argv[argc++] = "--bench";
	argv[argc++] = runs;
	snprintf(threads, sizeof(threads), "%u", o->threads);
	argv[argc++] = "--threads";
	argv[argc++] = threads;
	argv[argc] = NULL;
	if (pipe(pipefd) != 0) {
		fail_cfg(r, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		fail_cfg(r, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp("node", (char *const *)argv);
		fprintf(stderr, "cannot run node: %s\n", strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while ((got = read(pipefd[0], out + used, sizeof(out) - 1 - used)) > 0 ||
	       (got < 0 && errno == EINTR)) {
		if (got > 0)
			used += (size_t)got;
		if (used == sizeof(out) - 1) {
			/* keep the tail: the JSON line is the last one */
			memmove(out, out + sizeof(out) / 2, used - sizeof(out) / 2);
			used -= sizeof(out) / 2;
		}
	}
	out[used] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	line = strstr(out, "{\"median_ms\"");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !line) {
		char *last = NULL;

		while (used && (out[used - 1] == '\n' || out[used - 1] == '\r'))
			out[--used] = '\0';
		last = strrchr(out, '\n');
		fail_cfg(r, "node %s failed (%s %d): %s", script,
			 WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			 last ? last + 1 : out);
		return;
	}
	if (sscanf(line, "{\"median_ms\":%lf,\"min_ms\":%lf,\"max_ms\":%lf", &r->median, &r->min,
		   &r->max) != 3) {
		fail_cfg(r, "cannot read the output of %s: %.200s", script, line);
		return;
	}
	r->n = o->runs;
	r->ok = true;
}

/* ------------------------------------------------------------ machine */

static void cpu_model(char *buf, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, size, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, size, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static double load_average(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double v = -1.0;

	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = -1.0;
		fclose(f);
	}
	return v;
}

/* -------------------------------------------------------------- report */

static void json_result(FILE *f, const cfg_result *r)
{
	if (!r->ok) {
		fprintf(f, "null");
		return;
	}
	fprintf(f, "{\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"runs\":%u}", r->median,
		r->min, r->max, r->n);
}

static void json_ratio(FILE *f, bool *first, const char *name, const cfg_result *a,
		       const cfg_result *b)
{
	if (!a->ok || !b->ok || b->median <= 0)
		return;
	fprintf(f, "%s\"%s\":%.4f", *first ? "" : ",", name, a->median / b->median);
	*first = false;
}

static void json_tee(FILE *f, const tee_cfg *t)
{
	const cdl_stats *s = &t->stats;

	fprintf(f, "{\"heap\":");
	cdl_cli_json_string(f, t->heap[0] ? t->heap : "default");
	if (t->have_stats)
		fprintf(f,
			",\"mode\":\"%s\",\"secure_budget\":%" PRIu64 ",\"secure_peak\":%" PRIu64
			",\"weight_bytes\":%" PRIu64 ",\"resident_bytes\":%" PRIu64
			",\"arena_bytes\":%" PRIu64 ",\"package_bytes\":%" PRIu64
			",\"tiled_layers\":%u,\"workers\":%u"
			",\"decrypted_per_inference\":%.0f,\"world_switches_per_inference\":%.2f"
			",\"load_ms\":%.3f",
			cdl_mode_str(s->mode), s->secure_budget, s->secure_peak, s->weight_bytes,
			s->resident_bytes, s->arena_bytes, s->package_bytes, s->tiled_layers,
			s->workers, s->decrypted_per_inference, s->world_switches_per_inference,
			s->load_time_us / 1e3);
	fprintf(f, "}");
}

static void print_json(const bench_opts *o, const cfg_result *r, const tee_cfg *tee,
		       const bench_input *ins, uint32_t n_in, const char *cpu, double load0,
		       double load1, double max_diff, const profile *pr)
{
	bool first = true;

	printf("{\"model\":");
	cdl_cli_json_string(stdout, o->model);
	printf(",\"baseline\":");
	if (o->baseline)
		cdl_cli_json_string(stdout, o->baseline);
	else
		printf("null");
	printf(",\"runs\":%u,\"warmup\":%u,\"threads\":%u,\"inputs\":[", o->runs, o->warmup,
	       o->threads);
	for (uint32_t k = 0; k < n_in; k++) {
		printf("%s", k ? "," : "");
		cdl_cli_json_string(stdout, ins[k].source);
	}
	printf("],\"machine\":{\"cpu\":");
	cdl_cli_json_string(stdout, cpu);
	printf(",\"cpus\":%ld,\"loadavg_start\":%.2f,\"loadavg_end\":%.2f}",
	       sysconf(_SC_NPROCESSORS_ONLN), load0, load1);
	printf(",\"results\":{");
	for (int c = 0; c < N_CFG; c++) {
		printf("%s\"%s\":", c ? "," : "", cfg_key[c]);
		json_result(stdout, &r[c]);
	}
	printf("},\"ratios\":{");
	json_ratio(stdout, &first, "plain/onnxruntime", &r[CFG_PLAIN], &r[CFG_ORT]);
	json_ratio(stdout, &first, "tee_resident/onnxruntime", &r[CFG_RESIDENT], &r[CFG_ORT]);
	json_ratio(stdout, &first, "tee_stream/onnxruntime", &r[CFG_STREAM], &r[CFG_ORT]);
	json_ratio(stdout, &first, "tee_resident/plain", &r[CFG_RESIDENT], &r[CFG_PLAIN]);
	json_ratio(stdout, &first, "tee_stream/plain", &r[CFG_STREAM], &r[CFG_PLAIN]);
	json_ratio(stdout, &first, "tee_stream/tee_resident", &r[CFG_STREAM], &r[CFG_RESIDENT]);
	printf("},\"errors\":{");
	first = true;
	for (int c = 0; c < N_CFG; c++) {
		if (!r[c].wanted || r[c].ok)
			continue;
		printf("%s\"%s\":", first ? "" : ",", cfg_key[c]);
		cdl_cli_json_string(stdout, r[c].error);
		first = false;
	}
	printf("},\"tee\":{\"resident\":");
	json_tee(stdout, &tee[0]);
	printf(",\"stream\":");
	json_tee(stdout, &tee[1]);
	printf("}");
	if (max_diff >= 0)
		printf(",\"check\":{\"plain_vs_tee_max_abs_diff\":%g}", max_diff);
	if (pr)
		json_profile(stdout, pr);
	printf("}\n");
}

static void print_text(const bench_opts *o, const cfg_result *r, const tee_cfg *tee,
		       const bench_input *ins, uint32_t n_in, const char *cpu, double load0,
		       double load1, double max_diff)
{
	static const char *const label[N_CFG] = {"plain engine (in-process)", "TEE resident",
						 "TEE stream", "ONNX Runtime"};
	char heap_label[64], b1[32], b2[32];

	printf("cdl bench %s: %u runs after %u warm-up, %u thread%s per inference\n", o->model,
	       o->runs, o->warmup, o->threads, o->threads == 1 ? "" : "s");
	for (uint32_t k = 0; k < n_in; k++)
		printf("input %s: %s\n", ins[k].name, ins[k].source);
	printf("machine: %s, %ld CPUs, load average %.2f -> %.2f\n\n", cpu,
	       sysconf(_SC_NPROCESSORS_ONLN), load0, load1);
	printf("%-32s %10s %10s %10s %8s %8s\n", "configuration", "median ms", "min ms", "max ms",
	       "/ ORT", "/ plain");
	for (int c = 0; c < N_CFG; c++) {
		const char *name = label[c];

		if (!r[c].wanted)
			continue;
		if (c == CFG_RESIDENT || c == CFG_STREAM) {
			const tee_cfg *t = &tee[c == CFG_STREAM];

			if (t->have_stats)
				cdl_format_bytes(t->stats.secure_budget, b1, sizeof(b1));
			snprintf(heap_label, sizeof(heap_label), "%s (heap %s)", label[c],
				 t->have_stats ? b1
				 : t->heap[0]  ? t->heap
					       : "default");
			name = heap_label;
		}
		if (!r[c].ok) {
			printf("%-32s failed: %s\n", name, r[c].error);
			continue;
		}
		printf("%-32s %10.4f %10.4f %10.4f", name, r[c].median, r[c].min, r[c].max);
		if (c != CFG_ORT && r[CFG_ORT].ok)
			printf(" %7.2fx", r[c].median / r[CFG_ORT].median);
		else
			printf(" %8s", "");
		if (c != CFG_PLAIN && c != CFG_ORT && r[CFG_PLAIN].ok)
			printf(" %7.2fx", r[c].median / r[CFG_PLAIN].median);
		printf("\n");
	}
	if (r[CFG_STREAM].ok && r[CFG_RESIDENT].ok)
		printf("stream / resident: %.2fx\n", r[CFG_STREAM].median / r[CFG_RESIDENT].median);
	for (int i = 0; i < 2; i++) {
		const cdl_stats *s = &tee[i].stats;

		if (!tee[i].have_stats)
			continue;
		printf("TEE %-8s load %.1f ms, secure peak %s of %s, %s decrypted and %.0f world "
		       "switch(es) per inference, %u thread(s)\n",
		       i ? "stream:" : "resident:", s->load_time_us / 1e3,
		       cdl_format_bytes(s->secure_peak, b1, sizeof(b1)),
		       cdl_format_bytes(s->secure_budget, b2, sizeof(b2)),
		       cdl_format_bytes((uint64_t)s->decrypted_per_inference, heap_label,
					sizeof(heap_label)),
		       s->world_switches_per_inference, s->workers);
	}
	if (max_diff >= 0)
		printf("plain vs TEE outputs: max |difference| %g%s\n", max_diff,
		       max_diff == 0 ? " (bit-identical)" : "");
	if (r[CFG_PLAIN].wanted)
		printf("note: the plain engine runs the plan compiled from %s (the package's own "
		       "plan is decryptable only inside the TEE)\n",
		       o->baseline);
}

/* --------------------------------------------------------------- main */

/* "plain,tee_stream": which configurations to measure. */
static bool parse_configs(const char *list, bool want[N_CFG])
{
	const char *p = list;

	for (int c = 0; c < N_CFG; c++)
		want[c] = false;
	while (*p) {
		const size_t len = strcspn(p, ",");
		int c = 0;

		while (c < N_CFG && !(strlen(cfg_key[c]) == len && !strncmp(p, cfg_key[c], len)))
			c++;
		if (c == N_CFG)
			return false;
		want[c] = true;
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

static bool parse_args(int argc, char **argv, bench_opts *o, int *rc)
{
	static const struct option long_opts[] = {
	    {"baseline", required_argument, NULL, 'b'},
	    {"runs", required_argument, NULL, 'n'},
	    {"warmup", required_argument, NULL, 'w'},
	    {"threads", required_argument, NULL, 'T'},
	    {"input", required_argument, NULL, 'i'},
	    {"json", no_argument, NULL, 'j'},
	    {"profile", no_argument, NULL, 'p'},
	    {"stream-heap", required_argument, NULL, 's'},
	    {"tee", required_argument, NULL, 't'},
	    {"ort-script", required_argument, NULL, 'o'},
	    {"configs", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t bytes = 0;
	int c = 0;

	memset(o, 0, sizeof(*o));
	o->runs = DEFAULT_RUNS;
	o->warmup = DEFAULT_WARMUP;
	o->threads = 1;
	for (int c = 0; c < N_CFG; c++)
		o->want[c] = true;
	*rc = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->baseline = optarg;
			break;
		case 'n':
			if (!parse_u32(optarg, 1, MAX_RUNS, &o->runs)) {
				fprintf(stderr, "cdl bench: -n %s: want 1..%u runs\n", optarg,
					MAX_RUNS);
				return false;
			}
			break;
		case 'w':
			if (!parse_u32(optarg, 0, MAX_RUNS, &o->warmup)) {
				fprintf(stderr, "cdl bench: --warmup %s: want 0..%u runs\n", optarg,
					MAX_RUNS);
				return false;
			}
			break;
		case 'T':
			if (!parse_u32(optarg, 1, CDL_THREAD_POOL_MAX, &o->threads)) {
				fprintf(stderr, "cdl bench: --threads %s: want 1..%d\n", optarg,
					CDL_THREAD_POOL_MAX);
				return false;
			}
			break;
		case 'i':
			if (o->n_inputs == CDL_MAX_IO) {
				fprintf(stderr, "cdl bench: more than %u --input files\n",
					CDL_MAX_IO);
				return false;
			}
			o->inputs[o->n_inputs++] = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->profile = true;
			break;
		case 's':
			if (!parse_size(optarg, &bytes) || bytes == 0) {
				fprintf(stderr,
					"cdl bench: --stream-heap %s: want a size such as 4M or "
					"512K\n",
					optarg);
				return false;
			}
			o->stream_heap = optarg;
			break;
		case 't':
			o->tee = optarg;
			break;
		case 'o':
			o->ort_script = optarg;
			break;
		case 'c':
			if (!parse_configs(optarg, o->want)) {
				fprintf(stderr,
					"cdl bench: --configs %s: want a comma-separated list of "
					"plain, tee_resident, tee_stream, onnxruntime\n",
					optarg);
				return false;
			}
			break;
		case 'h':
			usage(stdout);
			*rc = 0;
			return false;
		default:
			usage(stderr);
			return false;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return false;
	}
	o->model = argv[optind];
	if (o->tee && o->stream_heap) {
		fprintf(stderr, "cdl bench: --stream-heap needs a TEE of its own; with --tee the "
				"shared service's heap applies\n");
		return false;
	}
	if (o->profile && (!o->baseline || !o->want[CFG_PLAIN])) {
		fprintf(stderr, "cdl bench: --profile times the plain engine, which needs "
				"--baseline MODEL.onnx\n");
		return false;
	}
	return true;
}

int cdl_cmd_bench(int argc, char **argv)
{
	bench_opts o;
	cdl_pkg_file file = {0};
	cdl_pkg_header hdr;
	bench_input ins[CDL_MAX_IO];
	cfg_result r[N_CFG];
	tee_cfg tee[2];
	tee_io io[2];
	plain_cfg plain;
	profile pr = {0};
	cdl_progress prog;
	char msg[1024], cpu[256];
	double load0 = 0, load1 = 0, max_diff = -1.0;
	cdl_status s = CDL_OK;
	int rc = 2;

	memset(ins, 0, sizeof(ins));
	memset(r, 0, sizeof(r));
	memset(tee, 0, sizeof(tee));
	memset(io, 0, sizeof(io));
	memset(&plain, 0, sizeof(plain));
	if (!parse_args(argc, argv, &o, &rc))
		return rc;
	rc = 1;
	cdl_progress_init(&prog, cdl_cli_is_tty());
	cpu_model(cpu, sizeof(cpu));
	load0 = load_average();

	/* The public header: input names and shapes (no key needed). */
	s = cdl_pkg_file_map(o.model, &file, msg, sizeof(msg));
	if (!s)
		s = cdl_pkg_inspect(file.data, file.len, &hdr, msg, sizeof(msg));
	cdl_pkg_file_unmap(&file);
	if (s) {
		fprintf(stderr, "cdl bench: failed to read %s: %s\n", o.model, msg);
		return 1;
	}
	s = read_inputs(&o, &hdr, ins, msg, sizeof(msg));
	if (s) {
		fprintf(stderr, "cdl bench: failed to read the input: %s\n", msg);
		goto out;
	}
	for (int c = 0; c < N_CFG; c++) {
		r[c].wanted = o.want[c] && (o.baseline || c == CFG_RESIDENT || c == CFG_STREAM);
		r[c].ms = calloc(o.runs, sizeof(double));
		if (!r[c].ms) {
			fprintf(stderr, "cdl bench: out of memory\n");
			goto out;
		}
	}

	for (int i = 0; i < 2; i++) {
		const int c = i ? CFG_STREAM : CFG_RESIDENT;

		if (!r[c].wanted)
			continue;
		s = tee_start(&o, i ? o.stream_heap : NULL, &tee[i], msg, sizeof(msg));
		if (s)
			fail_cfg(&r[c], "%s", msg);
	}
	if (r[CFG_PLAIN].wanted) {
		cdl_progress_stage(&prog, "compiling %s for the plain engine", o.baseline);
		s = plain_setup(&o, &hdr, ins, &plain, msg, sizeof(msg));
		if (s)
			fail_cfg(&r[CFG_PLAIN], "%s", msg);
		else
			r[CFG_PLAIN].ok = true;
		if (r[CFG_PLAIN].ok && o.profile) {
			pr.plan = plain.plan;
			pr.total_ms = calloc(plain.plan->n_nodes + 1, sizeof(double));
			if (!pr.total_ms) {
				fprintf(stderr, "cdl bench: out of memory\n");
				goto out;
			}
			cdl_engine_set_hook(plain.engine, profile_hook, &pr);
		}
	}
	for (int i = 0; i < 2; i++) {
		const int c = i ? CFG_STREAM : CFG_RESIDENT;

		if (!r[c].wanted || !tee[i].ctx)
			continue;
		cdl_progress_stage(&prog, "loading %s into the TEE (%s)", o.model,
				   i ? "stream" : "resident");
		s = tee_load(&o, i ? CDL_MODE_STREAM : CDL_MODE_RESIDENT, &tee[i], msg, sizeof(msg));
		if (!s)
			s = tee_io_init(&tee[i], ins, &io[i]);
		if (s)
			fail_cfg(&r[c], "%s", msg);
		else
			r[c].ok = true;
	}

	/* Interleaved rounds: plain, resident, stream; warm-up rounds first. */
	for (uint32_t round = 0; round < o.warmup + o.runs; round++) {
		const bool timed = round >= o.warmup;

		if (round == o.warmup && pr.total_ms)
			memset(pr.total_ms, 0, (plain.plan->n_nodes + 1) * sizeof(double));
		for (int c = CFG_PLAIN; c <= CFG_STREAM; c++) {
			double t0 = 0, t1 = 0;

			if (!r[c].ok)
				continue;
			if (c == CFG_PLAIN) {
				t0 = now_ms();
				s = plain_run(&plain, msg, sizeof(msg));
				t1 = now_ms();
			} else {
				tee_cfg *t = &tee[c == CFG_STREAM];
				tee_io *q = &io[c == CFG_STREAM];

				t0 = now_ms();
				s = cdl_model_run(t->model, 1, q->in, q->n_in, q->out, q->n_out);
				t1 = now_ms();
				if (s)
					snprintf(msg, sizeof(msg), "%s", cdl_last_error());
			}
			if (s) {
				fail_cfg(&r[c], "run %u: %s", round + 1, msg);
				continue;
			}
			if (timed)
				r[c].ms[r[c].n++] = t1 - t0;
		}
		if (timed && pr.total_ms)
			pr.runs++;
		cdl_progress_count(&prog, "in-process and TEE runs", round + 1, o.warmup + o.runs);
	}
	for (int i = 0; i < 2; i++) {
		if (tee[i].model && cdl_model_stats(tee[i].model, &tee[i].stats) == CDL_OK)
			tee[i].have_stats = true;
	}
	/* Same model, same input: the plain and TEE outputs should agree. */
	if (r[CFG_PLAIN].ok && r[CFG_RESIDENT].ok && tee[0].info.output_mode == CDL_OUTPUT_FULL &&
	    io[0].n_out == plain.n_out) {
		max_diff = 0.0;
		for (uint32_t k = 0; k < plain.n_out; k++) {
			size_t bytes = 0;

			if (plain.outs[k].dtype != CDL_DTYPE_F32 ||
			    !cdl_tensor_nbytes(&plain.outs[k], &bytes) ||
			    bytes != io[0].out[k].size) {
				max_diff = -1.0;
				break;
			}
			for (size_t j = 0; j < bytes / sizeof(float); j++) {
				const double d =
				    fabs((double)((const float *)plain.outs[k].data)[j] -
					 (double)((const float *)io[0].out[k].data)[j]);

				max_diff = d > max_diff || isnan(d) ? d : max_diff;
			}
		}
	}
	if (r[CFG_ORT].wanted) {
		cdl_progress_stage(&prog, "ONNX Runtime: %u runs after 3 warm-up", o.runs);
		run_ort(&o, ins, hdr.n_inputs, &r[CFG_ORT]);
	}
	cdl_progress_clear(&prog);
	load1 = load_average();
	for (int c = 0; c < N_CFG; c++)
		if (r[c].ok && c != CFG_ORT)
			summarise(&r[c]);

	if (o.json) {
		print_json(&o, r, tee, ins, hdr.n_inputs, cpu, load0, load1, max_diff,
			   pr.total_ms && pr.runs ? &pr : NULL);
	} else {
		print_text(&o, r, tee, ins, hdr.n_inputs, cpu, load0, load1, max_diff);
		if (pr.total_ms && pr.runs)
			print_profile(stdout, &pr);
	}
	rc = 0;
	for (int c = 0; c < N_CFG; c++) {
		if (r[c].wanted && !r[c].ok) {
			if (o.json)
				fprintf(stderr, "cdl bench: %s failed: %s\n", cfg_key[c],
					r[c].error);
			rc = 1;
		}
	}
out:
	cdl_progress_clear(&prog);
	for (int i = 0; i < 2; i++) {
		tee_io_free(&io[i]);
		tee_free(&tee[i]);
	}
	plain_free(&plain);
	free(pr.total_ms);
	for (int c = 0; c < N_CFG; c++)
		free(r[c].ms);
	for (uint32_t k = 0; k < CDL_MAX_IO; k++) {
		if (ins[k].pb_temp)
			unlink(ins[k].pb_path);
		free(ins[k].data);
	}
	return rc;
}
