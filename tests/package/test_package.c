/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The C half of the package tests (tests/package/test_package.sh drives the
 * CLI and calls this for what needs the library):
 *
 *   roundtrip PKG DEVICE.key MODEL.onnx INPUT.pb EXPECTED.pb [NAME=D0,D1,...]
 *       the package, opened with the device key, holds exactly the plan that
 *       compiling MODEL.onnx directly gives (byte for byte), its public header
 *       matches the plan's inputs and outputs, and the engine gives identical
 *       outputs from both plans (and close to EXPECTED.pb);
 *   open PKG DEVICE.key
 *       opens the package and authenticates every block; prints the status;
 *   windows PKG MODEL.onnx
 *       no 16-byte window of the plaintext plan occurs in the package outside
 *       the public header's metadata fields;
 *   model KIND OUT.onnx
 *       writes a small ONNX model: unsupported (an op the engine lacks),
 *       symbolic (a symbolic batch dim), two_inputs, quoted (names with " and \).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "engine/engine.h"
#include "engine/plan.h"
#include "format/crypto_openssl.h"
#include "format/inspect.h"
#include "format/keys.h"
#include "format/reader.h"
#include "onnx_builder.h"
#include "provider/provider.h"

#define MSG_SIZE 1024
#define N_RANDOM_INPUTS 8

static int failures;

#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "test_package: %s: %s\n", what, msg);
	exit(1);
}

static void *aligned(size_t size)
{
	size_t n = (size + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN * CDL_PLAN_ALIGN;
	void *p = aligned_alloc(CDL_PLAN_ALIGN, n ? n : CDL_PLAN_ALIGN);

	if (!p)
		die("aligned_alloc", "out of memory");
	memset(p, 0, n ? n : CDL_PLAN_ALIGN);
	return p;
}

/* NAME=D0,D1,... as the CLI's --input-shape; the name is kept in *owned. */
static uint32_t parse_shape_arg(const char *s, cdl_input_shape *sh, char **owned)
{
	const char *eq = NULL, *p = NULL;

	if (!s)
		return 0;
	eq = strrchr(s, '=');
	if (!eq)
		die("shape", s);
	*owned = strndup(s, (size_t)(eq - s));
	memset(sh, 0, sizeof(*sh));
	sh->name = *owned;
	for (p = eq + 1; *p;) {
		char *end = NULL;

		sh->dims[sh->rank++] = strtoll(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
	}
	return 1;
}

static uint8_t *compile(const char *model, const cdl_input_shape *sh, uint32_t n_sh, size_t *len)
{
	char msg[MSG_SIZE] = "";
	uint8_t *plan = NULL;

	if (cdl_compile_onnx_file(model, sh, n_sh, &plan, len, msg, sizeof(msg)) != CDL_OK)
		die("compile", msg);
	return plan;
}

/* A parsed plan bound to an engine, in its own memory. */
typedef struct runner {
	uint8_t *plan_buf, *mem;
	const cdl_plan *plan;
	cdl_engine *engine;
} runner;

static void runner_init(runner *r, const uint8_t *plan, size_t plan_len)
{
	char msg[MSG_SIZE] = "";
	size_t need = 0, size = 0;
	cdl_arena a;

	memset(r, 0, sizeof(*r));
	r->plan_buf = aligned(plan_len);
	memcpy(r->plan_buf, plan, plan_len);
	/* Parse once in scratch memory to learn what the engine needs. */
	size = plan_len + (1u << 20);
	r->mem = aligned(size);
	cdl_arena_init(&a, r->mem, size);
	if (cdl_plan_parse(r->plan_buf, plan_len, &a, &r->plan, msg, sizeof(msg)) != CDL_OK)
		die("plan_parse", msg);
	if (cdl_engine_memory_needed(r->plan, &need, msg, sizeof(msg)) != CDL_OK)
		die("engine_memory_needed", msg);
	if (a.used + need + CDL_PLAN_ALIGN > size) {
		free(r->mem);
		size = a.used + need + 2 * CDL_PLAN_ALIGN;
		r->mem = aligned(size);
		cdl_arena_init(&a, r->mem, size);
		if (cdl_plan_parse(r->plan_buf, plan_len, &a, &r->plan, msg, sizeof(msg)) != CDL_OK)
			die("plan_parse", msg);
	}
	if (cdl_engine_create(r->plan, &a, &r->engine, msg, sizeof(msg)) != CDL_OK)
		die("engine_create", msg);
}

static void runner_fini(runner *r)
{
	free(r->mem);
	free(r->plan_buf);
	memset(r, 0, sizeof(*r));
}

/* Runs the plan on inputs; outputs[k].data malloc'd (caller frees). */
static void run(runner *r, const cdl_tensor *inputs, cdl_tensor *outputs)
{
	char msg[MSG_SIZE] = "";

	for (uint32_t k = 0; k < r->plan->n_outputs; k++) {
		const cdl_plan_tensor *pt = &r->plan->tensors[r->plan->outputs[k]];

		outputs[k] = pt->desc;
		outputs[k].data = calloc(1, pt->size + 1);
		if (!outputs[k].data)
			die("run", "out of memory");
	}
	if (cdl_engine_run(r->engine, inputs, r->plan->n_inputs, outputs, r->plan->n_outputs, msg,
			   sizeof(msg)) != CDL_OK)
		die("engine_run", msg);
}

static size_t nbytes(const cdl_tensor *t)
{
	size_t n = 0;

	if (!cdl_tensor_nbytes(t, &n))
		die("nbytes", "bad tensor");
	return n;
}

static void check_io(const char *kind, const cdl_pkg_tensor_info *h, const cdl_plan *plan,
		     const uint32_t *idx, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const cdl_plan_tensor *pt = &plan->tensors[idx[i]];

		EXPECT(strcmp(h[i].name, pt->name) == 0, "%s %u: header '%s', plan '%s'", kind, i,
		       h[i].name, pt->name);
		EXPECT(h[i].dtype == pt->desc.dtype, "%s %u: header dtype %u, plan %u", kind, i,
		       h[i].dtype, pt->desc.dtype);
		EXPECT(h[i].rank == pt->desc.rank, "%s %u: header rank %u, plan %u", kind, i,
		       h[i].rank, pt->desc.rank);
		for (unsigned int d = 0; d < h[i].rank && d < pt->desc.rank; d++)
			EXPECT(h[i].dims[d] == pt->desc.dims[d],
			       "%s %u dim %u: header %lld, plan %lld", kind, i, d,
			       (long long)h[i].dims[d], (long long)pt->desc.dims[d]);
	}
}

static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static int cmd_roundtrip(int argc, char **argv)
{
	const char *pkg_path = argv[2], *key_path = argv[3], *model = argv[4];
	const char *input_path = argv[5], *expected_path = argv[6];
	char msg[MSG_SIZE] = "";
	char *shape_name = NULL;
	cdl_input_shape shape;
	uint32_t n_shapes = parse_shape_arg(argc > 7 ? argv[7] : NULL, &shape, &shape_name);
	uint8_t *direct = NULL, *again = NULL, *decrypted = NULL, *scratch = NULL;
	size_t direct_len = 0, again_len = 0;
	EVP_PKEY *device = NULL;
	cdl_pkg_openssl o;
	cdl_pkg_reader *rd = calloc(1, sizeof(*rd));
	cdl_pkg_file file;
	const cdl_pkg_header *h = NULL;
	runner r_direct, r_pkg;
	char *in_name = NULL, *exp_name = NULL;
	cdl_tensor input, expected;
	uint8_t *in_buf = NULL, *exp_buf = NULL;
	size_t in_len = 0, exp_len = 0;
	cdl_status s = CDL_OK;

	if (!rd)
		die("reader", "out of memory");

	/* 1. The plan writer is deterministic: the same model compiles to the same bytes. */
	direct = compile(model, &shape, n_shapes, &direct_len);
	again = compile(model, &shape, n_shapes, &again_len);
	EXPECT(direct_len == again_len && memcmp(direct, again, direct_len) == 0,
	       "compiling %s twice gives different plans (%zu and %zu bytes): the plan writer is "
	       "not deterministic",
	       model, direct_len, again_len);

	/* 2. Open the package the way the TA will: device key, header, every block. */
	if (cdl_key_load_private(key_path, &device, msg, sizeof(msg)) != CDL_OK)
		die("device key", msg);
	if (cdl_pkg_file_map(pkg_path, &file, msg, sizeof(msg)) != CDL_OK)
		die("map", msg);
	if (cdl_pkg_openssl_init(&o, device) != CDL_OK)
		die("openssl", "init failed");
	s = cdl_pkg_open(file.data, file.len, &o.crypto, rd, msg, sizeof(msg));
	if (s != CDL_OK)
		die("open", msg);
	h = cdl_pkg_reader_header(rd);
	scratch = aligned(h->block_size);
	s = cdl_pkg_verify_blocks(rd, scratch, h->block_size, msg, sizeof(msg));
	EXPECT(s == CDL_OK, "verify_blocks: %s", msg);
	EXPECT(h->stream_len == direct_len, "stream is %llu bytes, the direct plan %zu",
	       (unsigned long long)h->stream_len, direct_len);
	decrypted = aligned((size_t)h->stream_len);
	s = cdl_pkg_read_range(rd, 0, (size_t)h->stream_len, decrypted, scratch, h->block_size, msg,
			       sizeof(msg));
	if (s != CDL_OK)
		die("read_range", msg);

	/* 3. Byte for byte. */
	EXPECT(h->stream_len == direct_len && memcmp(decrypted, direct, direct_len) == 0,
	       "the decrypted plan differs from the directly compiled one");
	printf("plan: %zu bytes, %u block(s) of %u, decrypted == compiled: %s\n", direct_len,
	       h->block_count, h->block_size,
	       h->stream_len == direct_len && !memcmp(decrypted, direct, direct_len) ? "yes"
										     : "NO");

	/* 4. The header's public description matches the plan. */
	runner_init(&r_direct, direct, direct_len);
	runner_init(&r_pkg, decrypted, (size_t)h->stream_len);
	EXPECT(h->n_inputs == r_pkg.plan->n_inputs, "header has %u inputs, plan %u", h->n_inputs,
	       r_pkg.plan->n_inputs);
	EXPECT(h->n_outputs == r_pkg.plan->n_outputs, "header has %u outputs, plan %u",
	       h->n_outputs, r_pkg.plan->n_outputs);
	if (h->n_inputs == r_pkg.plan->n_inputs)
		check_io("input", h->inputs, r_pkg.plan, r_pkg.plan->inputs, h->n_inputs);
	if (h->n_outputs == r_pkg.plan->n_outputs)
		check_io("output", h->outputs, r_pkg.plan, r_pkg.plan->outputs, h->n_outputs);

	/* 5. Identical outputs: the test input and a few pseudo-random ones. */
	in_buf = ob_read_file(input_path, &in_len);
	exp_buf = ob_read_file(expected_path, &exp_len);
	if (!in_buf || !exp_buf)
		die("read", "test data");
	if (cdl_onnx_parse_tensor(in_buf, in_len, &in_name, &input, msg, sizeof(msg)) != CDL_OK ||
	    cdl_onnx_parse_tensor(exp_buf, exp_len, &exp_name, &expected, msg, sizeof(msg)) !=
		CDL_OK)
		die("parse tensor", msg);
	if (r_pkg.plan->n_inputs != 1 || input.dtype != CDL_DTYPE_F32)
		die("roundtrip", "expects a model with one float32 input");
	{
		uint64_t seed = 0x1234567887654321ull;
		size_t in_bytes = nbytes(&input);
		float *x = input.data;
		float *original = malloc(in_bytes);

		if (!original)
			die("roundtrip", "out of memory");
		memcpy(original, x, in_bytes);
		for (int trial = 0; trial <= N_RANDOM_INPUTS; trial++) {
			cdl_tensor out_a[CDL_PKG_MAX_IO], out_b[CDL_PKG_MAX_IO];

			if (trial > 0)
				for (size_t i = 0; i < in_bytes / sizeof(float); i++)
					x[i] = (float)(rnd_next(&seed) >> 40) / (float)(1u << 24);
			run(&r_direct, &input, out_a);
			run(&r_pkg, &input, out_b);
			for (uint32_t k = 0; k < r_pkg.plan->n_outputs; k++) {
				size_t n = nbytes(&out_a[k]);

				EXPECT(n == nbytes(&out_b[k]) &&
					   !memcmp(out_a[k].data, out_b[k].data, n),
				       "input %d output %u: the packaged plan's output differs",
				       trial, k);
			}
			if (trial == 0) {
				/* Not a tautology: both must also be the model's real answer. */
				const float *got = out_b[0].data, *want = expected.data;
				size_t n = nbytes(&expected) / sizeof(float);
				double worst = 0.0;

				EXPECT(out_b[0].dtype == CDL_DTYPE_F32 &&
					   nbytes(&out_b[0]) == nbytes(&expected),
				       "output 0 has a different shape than %s", expected_path);
				for (size_t i = 0; i < n && nbytes(&out_b[0]) == nbytes(&expected);
				     i++)
					worst = fmax(worst, fabs((double)got[i] - (double)want[i]));
				EXPECT(worst < 1e-3, "output 0 is %g away from %s", worst,
				       expected_path);
				printf("outputs: identical to the plain run, max |diff| to the "
				       "reference "
				       "%.3g\n",
				       worst);
			}
			for (uint32_t k = 0; k < r_pkg.plan->n_outputs; k++) {
				free(out_a[k].data);
				free(out_b[k].data);
			}
		}
		memcpy(x, original, in_bytes);
		free(original);
	}

	/* Control: the same package does not open for another key holder. */
	{
		EVP_PKEY *other = NULL;
		cdl_pkg_openssl o2;
		cdl_pkg_reader *r2 = calloc(1, sizeof(*r2));

		if (!r2 || cdl_key_generate(&other, msg, sizeof(msg)) != CDL_OK ||
		    cdl_pkg_openssl_init(&o2, other) != CDL_OK)
			die("control", "setup");
		s = cdl_pkg_open(file.data, file.len, &o2.crypto, r2, msg, sizeof(msg));
		EXPECT(s == CDL_ERR_KEY_MISMATCH && strstr(msg, "not for this device"),
		       "another device opened it: %s (%s)", cdl_pkg_status_name(s), msg);
		cdl_pkg_close(r2);
		free(r2);
		cdl_pkg_openssl_fini(&o2);
		EVP_PKEY_free(other);
	}

	runner_fini(&r_direct);
	runner_fini(&r_pkg);
	free(input.data);
	free(expected.data);
	free(in_name);
	free(exp_name);
	free(in_buf);
	free(exp_buf);
	cdl_pkg_close(rd);
	free(rd);
	cdl_pkg_openssl_fini(&o);
	cdl_pkg_file_unmap(&file);
	EVP_PKEY_free(device);
	free(scratch);
	free(decrypted);
	free(direct);
	free(again);
	free(shape_name);
	return failures ? 1 : 0;
}

/* ---- open: what the device does, as a yes/no ------------------------------ */

/* Exit 0 if PKG opens with KEY and every block authenticates; else 1 and the status. */
static int cmd_open(char **argv)
{
	char msg[MSG_SIZE] = "";
	EVP_PKEY *device = NULL;
	cdl_pkg_openssl o;
	cdl_pkg_reader *rd = calloc(1, sizeof(*rd));
	cdl_pkg_file file;
	uint8_t *scratch = NULL;
	cdl_status s = CDL_OK;

	if (!rd)
		die("open", "out of memory");
	if (cdl_key_load_private(argv[3], &device, msg, sizeof(msg)) != CDL_OK)
		die("device key", msg);
	if (cdl_pkg_file_map(argv[2], &file, msg, sizeof(msg)) != CDL_OK)
		die("map", msg);
	if (cdl_pkg_openssl_init(&o, device) != CDL_OK)
		die("openssl", "init failed");
	s = cdl_pkg_open(file.data, file.len, &o.crypto, rd, msg, sizeof(msg));
	if (s == CDL_OK) {
		scratch = aligned(rd->hdr.block_size);
		s = cdl_pkg_verify_blocks(rd, scratch, rd->hdr.block_size, msg, sizeof(msg));
	}
	printf("%s%s%s\n", cdl_pkg_status_name(s), s == CDL_OK ? "" : ": ", s == CDL_OK ? "" : msg);
	free(scratch);
	cdl_pkg_close(rd);
	free(rd);
	cdl_pkg_openssl_fini(&o);
	cdl_pkg_file_unmap(&file);
	EVP_PKEY_free(device);
	return s == CDL_OK ? 0 : 1;
}

/* ---- no plaintext window ------------------------------------------------- */

#define WINDOW 16u

/* Open-addressing set of the 16-byte windows of a buffer. */
typedef struct window_set {
	uint64_t *keys; /* hash | 1; 0 = empty */
	size_t *pos;
	size_t cap;
	const uint8_t *src;
} window_set;

static uint64_t window_hash(const uint8_t *p)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	a ^= b * 0x9E3779B97F4A7C15ull;
	a ^= a >> 31;
	a *= 0xBF58476D1CE4E5B9ull;
	a ^= a >> 29;
	return a | 1;
}

static void ws_build(window_set *w, const uint8_t *p, size_t len)
{
	w->cap = 1;
	while (w->cap < 2 * len)
		w->cap <<= 1;
	w->keys = calloc(w->cap, sizeof(*w->keys));
	w->pos = calloc(w->cap, sizeof(*w->pos));
	w->src = p;
	if (!w->keys || !w->pos)
		die("windows", "out of memory");
	for (size_t i = 0; i + WINDOW <= len; i++) {
		uint64_t hash = window_hash(p + i);
		size_t j = hash & (w->cap - 1);

		while (w->keys[j] && !(w->keys[j] == hash && !memcmp(p + w->pos[j], p + i, WINDOW)))
			j = (j + 1) & (w->cap - 1);
		w->keys[j] = hash;
		w->pos[j] = i;
	}
}

static bool ws_contains(const window_set *w, const uint8_t *q)
{
	uint64_t hash = window_hash(q);
	size_t j = hash & (w->cap - 1);

	for (; w->keys[j]; j = (j + 1) & (w->cap - 1))
		if (w->keys[j] == hash && !memcmp(w->src + w->pos[j], q, WINDOW))
			return true;
	return false;
}

/*
 * The public header legitimately repeats what the plan also says about the
 * model's interface (input/output names and shapes, both as little-endian
 * integers) and has runs of zeros (policy fields) that the plan's zero
 * padding matches. Those are the two ranges below.
 */
static bool is_public_metadata(size_t at, uint32_t header_len)
{
	if (at >= CDL_PKG_OFF_OUTPUT_MODE && at < CDL_PKG_OFF_RECIPIENT)
		return true;
	return at >= CDL_PKG_FIXED_LEN && at < header_len - CDL_PKG_WRAPPED_KEY_LEN;
}

/*
 * A window may coincide with the plan if most of it is public metadata: at
 * the edge of a run of zeros, the one or two random bytes of the next field
 * (recipient id, wrapped key) match the plan by chance (1 in 256 per byte).
 * With at least half of the window elsewhere such a chance is < 2^-64, so a
 * hit there is a leak; and any leak of 23 bytes or more has a window that
 * lies wholly outside the metadata.
 */
static bool mostly_public(size_t at, uint32_t header_len)
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < WINDOW; k++)
		n += is_public_metadata(at + k, header_len);
	return n > WINDOW / 2;
}

static void print_window(const char *what, const uint8_t *p, size_t at)
{
	printf("  %s at offset %zu:", what, at);
	for (unsigned int k = 0; k < WINDOW; k++)
		printf(" %02x", p[at + k]);
	printf("\n");
}

/* Windows of the plan in pkg: *leaks outside the public metadata, *public inside it. */
static void scan(const window_set *w, const uint8_t *pkg, size_t len, uint32_t header_len,
		 bool verbose, size_t *leaks, size_t *public_hits)
{
	*leaks = *public_hits = 0;
	for (size_t i = 0; i + WINDOW <= len; i++) {
		if (!ws_contains(w, pkg + i))
			continue;
		/* Shown (but for runs of zeros), so that a reviewer sees they are shapes. */
		if (mostly_public(i, header_len)) {
			static const uint8_t zeros[WINDOW];

			if ((*public_hits)++ < 64 && verbose && memcmp(pkg + i, zeros, WINDOW))
				print_window("public metadata", pkg, i);
		} else if ((*leaks)++ < 8 && verbose) {
			print_window("LEAK", pkg, i);
		}
	}
}

static int cmd_windows(char **argv)
{
	char msg[MSG_SIZE] = "";
	cdl_pkg_file file;
	uint8_t *plan = NULL, *copy = NULL;
	size_t plan_len = 0, leaks = 0, public_hits = 0, n = 0;
	uint32_t header_len = 0;
	window_set w;

	plan = compile(argv[3], NULL, 0, &plan_len);
	if (cdl_pkg_file_map(argv[2], &file, msg, sizeof(msg)) != CDL_OK)
		die("map", msg);
	if (file.len < CDL_PKG_FIXED_LEN)
		die("windows", "package too short");
	header_len = cdl_pkg_get_u32(file.data + CDL_PKG_OFF_HEADER_LEN);
	ws_build(&w, plan, plan_len);

	scan(&w, file.data, file.len, header_len, true, &leaks, &public_hits);
	EXPECT(leaks == 0, "%zu windows of the plaintext plan in the package", leaks);
	printf("plan %zu bytes, package %zu bytes: %zu plaintext windows outside the public "
	       "metadata, %zu inside it\n",
	       plan_len, file.len, leaks, public_hits);

	/* Controls: the detector sees every window of the plan, and planted ones. */
	for (size_t i = 0; i + WINDOW <= plan_len; i++)
		n += ws_contains(&w, plan + i);
	EXPECT(n == plan_len - WINDOW + 1, "control: %zu of the plan's windows found", n);
	copy = malloc(file.len);
	if (!copy)
		die("windows", "out of memory");
	memcpy(copy, file.data, file.len);
	/* In the wrapped key (header) and in the last block. */
	memcpy(copy + header_len - CDL_PKG_WRAPPED_KEY_LEN, plan + plan_len / 3, WINDOW);
	memcpy(copy + file.len - CDL_PKG_SIG_LEN - 100, plan + plan_len / 2, WINDOW);
	scan(&w, copy, file.len, header_len, false, &leaks, &n);
	EXPECT(leaks >= 2, "control: %zu of 2 planted windows found", leaks);
	free(copy);
	free(w.keys);
	free(w.pos);
	cdl_pkg_file_unmap(&file);
	free(plan);
	return failures ? 1 : 0;
}

/* ---- small models -------------------------------------------------------- */

static int cmd_model(char **argv)
{
	const char *kind = argv[2], *out = argv[3];
	Onnx__GraphProto *g = NULL;
	Onnx__ModelProto *m = ob_model(13, &g);
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;

	if (strcmp(kind, "unsupported") == 0) {
		static const int64_t d[] = {3, 3};

		/* Det: a real ONNX operator the engine does not implement. */
		ob_input(g, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
		ob_node(g, "Det", "det", "x", "y");
		ob_output(g, "y");
	} else if (strcmp(kind, "symbolic") == 0) {
		static const int64_t d[] = {-1, 3, 4, 4};

		ob_input(g, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, d);
		ob_node(g, "Relu", "relu", "x", "y");
		ob_output(g, "y");
	} else if (strcmp(kind, "two_inputs") == 0) {
		static const int64_t d[] = {1, 3, 4, 4};

		ob_input(g, "a", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, d);
		ob_input(g, "b", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, d);
		ob_node(g, "Add", "add", "a,b", "y");
		ob_output(g, "y");
	} else if (strcmp(kind, "quoted") == 0) {
		static const int64_t d[] = {1, 4};

		/* ob_node splits its lists at ',': names with " and \ but no comma. */
		ob_input(g, "in\"put\\x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d);
		ob_node(g, "Relu", "relu", "in\"put\\x", "out \"q\"");
		ob_output(g, "out \"q\"");
	} else {
		die("model", kind);
	}
	buf = ob_pack(m, &len);
	f = fopen(out, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die("model", out);
	ob_reset(); /* frees buf and the model */
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 7 && strcmp(argv[1], "roundtrip") == 0)
		return cmd_roundtrip(argc, argv);
	if (argc == 4 && strcmp(argv[1], "open") == 0)
		return cmd_open(argv);
	if (argc == 4 && strcmp(argv[1], "windows") == 0)
		return cmd_windows(argv);
	if (argc == 4 && strcmp(argv[1], "model") == 0)
		return cmd_model(argv);
	fprintf(stderr,
		"usage: test_package roundtrip PKG DEVICE.key MODEL.onnx INPUT.pb EXPECTED.pb "
		"[NAME=D0,...]\n"
		"       test_package open PKG DEVICE.key\n"
		"       test_package windows PKG MODEL.onnx\n"
		"       test_package model unsupported|symbolic|two_inputs|quoted OUT.onnx\n");
	return 2;
}
