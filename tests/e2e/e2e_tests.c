/*
 * End-to-end tests of the confidential path through libcdl: the app's view
 * (include/cdl/cdl.h) of the cdl TA in a spawned cdl-tee. The models are
 * packed here, in memory, the way a provider would (compile the ONNX model,
 * pack the plan for this device with a throwaway provider key).
 *
 *   e2e_tests NAME   runs one test; exit 0 pass, 1 fail, 77 skipped
 *
 * Environment: CDL_TEE_BIN (the cdl-tee binary), E2E_TMP (scratch; each test
 * makes its own state directory there), CDL_SOURCE_DIR (for models/).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cdl/cdl.h"
#include "cli/cli.h"
#include "cli/cli_tee.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "format/keys.h"
#include "format/package.h"
#include "provider/provider.h"
#include "test_harness.h"

/* A status check that prints the library's message when it fails. */
#define CHECK_STATUS(expr, want)                                                                   \
	do {                                                                                       \
		cdl_status s_ = (expr);                                                            \
		if (s_ != (want)) {                                                                \
			fprintf(stderr, "%s:%d: %s = %d (%s), want %d (%s): %s\n", __FILE__,       \
				__LINE__, #expr, (int)s_, cdl_status_str(s_), (int)(want),         \
				cdl_status_str(want), cdl_last_error());                           \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static char state_dir[4096];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A fresh state directory for this test (a fresh device), as CDL_TEE_DIR. */
static void new_state_dir(void)
{
	test_mkdtemp("E2E_TMP", "state", state_dir, sizeof(state_dir));
	setenv("CDL_TEE_DIR", state_dir, 1);
}

/* ------------------------------------------------------ plans, packages */

/* The plain engine on one item of the model's single input/output. */
static int plain_run(test_plan *p, const void *in, void *out)
{
	const cdl_plan_tensor *ti = &p->plan->tensors[p->plan->inputs[0]];
	const cdl_plan_tensor *to = &p->plan->tensors[p->plan->outputs[0]];
	cdl_tensor a = ti->desc, b = to->desc;
	char msg[512];

	a.data = (void *)in;
	b.data = out;
	if (cdl_engine_run(p->engine, &a, 1, &b, 1, msg, sizeof(msg))) {
		fprintf(stderr, "plain run: %s\n", msg);
		return -1;
	}
	return 0;
}

static const cdl_pkg_preproc digits_preproc = {
    .present = true,
    .layout = CDL_PKG_LAYOUT_NCHW,
    .height = 8,
    .width = 8,
    .scale = 1.0f / 255.0f,
    .n_channels = 1,
    .mean = {0.0f},
    .std = {1.0f},
};

/*
 * Packs p for the device whose point is given, in 4 KiB blocks: the digits
 * plan spans several, so streaming has blocks to decrypt per run.
 */
static uint8_t *pack_for(test_plan *p, const uint8_t point[CDL_DEVICE_POINT_LEN],
			 const cdl_pkg_policy *policy, size_t *len)
{
	uint8_t *pkg = NULL;
	char msg[512] = "";

	if (cdl_cli_pack_plan(p->bytes, p->len, p->plan, point, policy, &digits_preproc, 4096, &pkg,
			      len, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "pack: %s\n", msg);
		return NULL;
	}
	return pkg;
}

static uint8_t *pack_for_ctx(cdl_context *ctx, test_plan *p, const cdl_pkg_policy *policy,
			     size_t *len)
{
	uint8_t point[CDL_DEVICE_POINT_LEN];

	if (cdl_device_key(ctx, point, NULL) != CDL_OK) {
		fprintf(stderr, "device key: %s\n", cdl_last_error());
		return NULL;
	}
	return pack_for(p, point, policy, len);
}

/* models/digits: the test images (float32 [360,1,8,8]) and labels. */
typedef struct digits {
	float *images;
	int64_t *labels;
	uint32_t n;
} digits;

static int digits_load(digits *d)
{
	char path[4096], msg[512];
	cdl_file_tensor a, b;

	memset(d, 0, sizeof(*d));
	snprintf(path, sizeof(path), "%s/models/digits/test_images.npy", src_dir);
	if (cdl_npy_read(path, &a, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/models/digits/test_labels.npy", src_dir);
	if (cdl_npy_read(path, &b, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		cdl_file_tensor_free(&a);
		return -1;
	}
	d->images = a.data;
	d->labels = b.data;
	d->n = (uint32_t)a.dims[0];
	return 0;
}

static void digits_path(char *out, size_t n)
{
	snprintf(out, n, "%s/models/digits/model.onnx", src_dir);
}

/* One item of the digits model through the TA. */
static cdl_status run_one(cdl_model *m, const float *img, float *logits)
{
	cdl_input in = {img, 64 * sizeof(float), CDL_TYPE_FLOAT32, 4, {1, 1, 8, 8}};
	cdl_output out = {logits, 10 * sizeof(float), 0, 0, 0, {0}};

	return cdl_model_run(m, 1, &in, 1, &out, 1);
}

/* ------------------------------------------------------------ tests */

/* The device key: a P-256 point, its id, PEM; stable across contexts. */
static int test_device_key(void)
{
	cdl_context *a = NULL, *b = NULL;
	uint8_t p1[CDL_DEVICE_POINT_LEN], p2[CDL_DEVICE_POINT_LEN], id[CDL_DEVICE_KEY_ID_LEN];
	uint8_t id2[CDL_DEVICE_KEY_ID_LEN];
	char pem[512];
	size_t pem_len = 0;
	EVP_PKEY *key = NULL;
	char msg[256];

	new_state_dir();
	CHECK_STATUS(cdl_context_create(NULL, &a), CDL_OK);
	if (!a)
		return 1;
	CHECK(cdl_context_tee_pid(a) > 0);
	CHECK_STATUS(cdl_device_key(a, p1, id), CDL_OK);
	CHECK(p1[0] == 0x04);
	CHECK_STATUS(cdl_device_public_key(a, pem, sizeof(pem), &pem_len), CDL_OK);
	CHECK(pem_len == strlen(pem));
	CHECK(strstr(pem, "-----BEGIN PUBLIC KEY-----") == pem);
	/* the PEM is the same key, and the id is its fingerprint */
	CHECK(cdl_key_public_from_pem(pem, pem_len, &key, msg, sizeof(msg)) == CDL_OK);
	if (key) {
		CHECK(cdl_key_id(key, id2) == CDL_OK);
		CHECK(memcmp(id, id2, sizeof(id)) == 0);
		EVP_PKEY_free(key);
	}
	/* a short buffer says how much it needs */
	pem_len = 0;
	CHECK_STATUS(cdl_device_public_key(a, pem, 10, &pem_len), CDL_ERR_INVALID_ARGUMENT);
	CHECK(pem_len > 10);
	CHECK_STATUS(cdl_device_key(NULL, p1, id), CDL_ERR_INVALID_ARGUMENT);
	/* a second context (a second cdl-tee) sees the same device */
	CHECK_STATUS(cdl_context_create(NULL, &b), CDL_OK);
	CHECK_STATUS(cdl_device_key(b, p2, NULL), CDL_OK);
	CHECK(memcmp(p1, p2, sizeof(p1)) == 0);
	CHECK(cdl_context_tee_pid(a) != cdl_context_tee_pid(b));
	cdl_context_delete(b);
	cdl_context_delete(a);
	cdl_context_delete(NULL);
	return 0;
}

/*
 * Load, info, run the 360 test digits as one batch and one by one, stats:
 * the TA's outputs are bit-identical to the plain engine's, the accuracy is
 * the model's, and one batch is one world switch.
 */
static int test_run(void)
{
	char onnx[4096];
	test_plan p;
	digits d;
	cdl_context *ctx = NULL;
	cdl_model *m = NULL;
	cdl_model_info info;
	cdl_stats st;
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	float *plain = NULL, *tee = NULL;
	uint32_t correct = 0;

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true) || digits_load(&d))
		return 1;
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, NULL, &pkg_len);
	if (!pkg)
		return 1;
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, pkg_len, CDL_MODE_AUTO, &m), CDL_OK);
	if (!m)
		return 1;
	CHECK_STATUS(cdl_model_get_info(m, &info), CDL_OK);
	CHECK(info.n_inputs == 1 && info.n_outputs == 1 && info.n_results == 1);
	CHECK(strcmp(info.inputs[0].name, "input") == 0);
	CHECK(info.inputs[0].dtype == CDL_TYPE_FLOAT32 && info.inputs[0].rank == 4);
	CHECK(info.inputs[0].dims[2] == 8 && info.inputs[0].size == 256);
	CHECK(strcmp(info.outputs[0].name, "logits") == 0 && info.outputs[0].size == 40);
	CHECK(info.output_mode == CDL_OUTPUT_FULL && info.result_size[0] == 40);
	CHECK(info.preproc.present && info.preproc.channels == 1 && info.preproc.height == 8);
	CHECK(info.package_size == pkg_len);

	plain = calloc((size_t)d.n * 10, sizeof(float));
	tee = calloc((size_t)d.n * 10, sizeof(float));
	for (uint32_t i = 0; i < d.n; i++)
		CHECK(plain_run(&p, d.images + (size_t)i * 64, plain + (size_t)i * 10) == 0);
	{
		cdl_input in = {d.images, (size_t)d.n * 256, CDL_TYPE_FLOAT32, 4, {d.n, 1, 8, 8}};
		cdl_output out = {tee, (size_t)d.n * 40, 0, 0, 0, {0}};
		double t0 = now_ms();

		CHECK_STATUS(cdl_model_run(m, d.n, &in, 1, &out, 1), CDL_OK);
		fprintf(stderr, "batch of %u: %.3f ms\n", d.n, now_ms() - t0);
		CHECK(out.size == (size_t)d.n * 40 && out.dtype == CDL_TYPE_FLOAT32);
		CHECK(out.rank == 2 && out.dims[0] == d.n && out.dims[1] == 10);
	}
	CHECK(memcmp(plain, tee, (size_t)d.n * 40) == 0);
	for (uint32_t i = 0; i < d.n; i++) {
		uint32_t best = 0;

		for (uint32_t c = 1; c < 10; c++)
			if (tee[i * 10 + c] > tee[i * 10 + best])
				best = c;
		correct += best == (uint32_t)d.labels[i];
	}
	fprintf(stderr, "accuracy %u/%u\n", correct, d.n);
	CHECK(correct == 358); /* the model's own accuracy (models/digits/README.md) */
	CHECK_STATUS(cdl_model_stats(m, &st), CDL_OK);
	CHECK(st.world_switches_last_run == 1 && st.last_batch == d.n);
	CHECK(fabs(st.world_switches_per_inference - 1.0 / d.n) < 1e-9);
	CHECK(st.secure_budget > 0 && st.secure_peak > 0 && st.secure_peak <= st.secure_budget);
	CHECK(st.model_secure_bytes > 0 && st.weight_bytes > 20000);
	CHECK(st.runs == 1 && st.package_bytes == pkg_len);
	/* the TA's clock (TEE_GetSystemTime) counts milliseconds: only the app's is fine-grained */
	CHECK(st.call_time_us_last_run > 0 && st.tee_time_us_last_run >= 0);
	CHECK(st.queries_left == UINT64_MAX);

	/* one by one: the same numbers, one world switch each */
	for (uint32_t i = 0; i < 20; i++) {
		float logits[10];

		CHECK_STATUS(run_one(m, d.images + (size_t)i * 64, logits), CDL_OK);
		CHECK(memcmp(logits, plain + (size_t)i * 10, sizeof(logits)) == 0);
	}
	CHECK_STATUS(cdl_model_stats(m, &st), CDL_OK);
	CHECK(st.runs == 21 && st.last_batch == 1 && st.world_switches_per_inference == 1.0);

	/* load_file gives the same model */
	{
		char path[4200];
		FILE *f = NULL;
		cdl_model *m2 = NULL;
		float logits[10];

		snprintf(path, sizeof(path), "%s/digits.cdlm", state_dir);
		f = fopen(path, "wb");
		CHECK(f && fwrite(pkg, 1, pkg_len, f) == pkg_len);
		if (f)
			fclose(f);
		CHECK_STATUS(cdl_model_load_file(ctx, path, CDL_MODE_AUTO, &m2), CDL_OK);
		CHECK_STATUS(run_one(m2, d.images, logits), CDL_OK);
		CHECK(memcmp(logits, plain, sizeof(logits)) == 0);
		cdl_model_delete(m2);
	}
	cdl_model_delete(m);
	cdl_model_delete(NULL);
	cdl_context_delete(ctx);
	free(pkg);
	free(plain);
	free(tee);
	free(d.images);
	free(d.labels);
	test_plan_free(&p);
	return 0;
}

/* resident, stream and auto give the same outputs; stream decrypts per run. */
static int test_modes(void)
{
	static const cdl_mode modes[] = {CDL_MODE_RESIDENT, CDL_MODE_STREAM, CDL_MODE_AUTO};
	char onnx[4096];
	test_plan p;
	digits d;
	cdl_context *ctx = NULL;
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	float ref[40 * 10];

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true) || digits_load(&d))
		return 1;
	for (uint32_t i = 0; i < 40; i++)
		CHECK(plain_run(&p, d.images + (size_t)i * 64, ref + (size_t)i * 10) == 0);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, NULL, &pkg_len);
	if (!pkg)
		return 1;
	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
		cdl_model *m = NULL;
		cdl_stats st;
		float out[40 * 10];
		cdl_input in = {d.images, 40 * 256, CDL_TYPE_FLOAT32, 4, {40, 1, 8, 8}};
		cdl_output o = {out, sizeof(out), 0, 0, 0, {0}};

		CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, pkg_len, modes[k], &m), CDL_OK);
		if (!m)
			continue;
		CHECK_STATUS(cdl_model_run(m, 40, &in, 1, &o, 1), CDL_OK);
		CHECK(memcmp(out, ref, sizeof(out)) == 0);
		CHECK_STATUS(cdl_model_stats(m, &st), CDL_OK);
		fprintf(stderr,
			"mode %s -> %s: resident %" PRIu64 " of %" PRIu64 " weight bytes, %" PRIu64
			" decrypted in the run, model holds %" PRIu64 "\n",
			cdl_mode_str(modes[k]), cdl_mode_str(st.mode), st.resident_bytes,
			st.weight_bytes, st.decrypted_last_run, st.model_secure_bytes);
		if (modes[k] == CDL_MODE_RESIDENT) {
			CHECK(st.mode == CDL_MODE_RESIDENT);
			CHECK(st.decrypted_last_run == 0);
			CHECK(st.resident_bytes == st.weight_bytes);
		}
		if (modes[k] == CDL_MODE_STREAM) {
			CHECK(st.mode == CDL_MODE_STREAM);
			/* streamed weights are decrypted in the run, once for the batch */
			CHECK(st.decrypted_last_run > 0);
			CHECK(st.decrypted_last_run < 40 * st.weight_bytes);
		}
		if (modes[k] == CDL_MODE_AUTO) /* a small model fits: all resident */
			CHECK(st.resident_bytes == st.weight_bytes && st.decrypted_last_run == 0);
		cdl_model_delete(m);
	}
	cdl_context_delete(ctx);
	free(pkg);
	free(d.images);
	free(d.labels);
	test_plan_free(&p);
	return 0;
}

/* Top-k and label-only policies: the app gets only what the policy allows. */
static int test_policy(void)
{
	char onnx[4096];
	test_plan p;
	digits d;
	cdl_context *ctx = NULL;
	float ref[8 * 10];

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true) || digits_load(&d))
		return 1;
	for (uint32_t i = 0; i < 8; i++)
		CHECK(plain_run(&p, d.images + (size_t)i * 64, ref + (size_t)i * 10) == 0);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	for (int pass = 0; pass < 2; pass++) {
		cdl_pkg_policy pol = {.output_mode =
					  pass == 0 ? CDL_PKG_OUTPUT_TOPK : CDL_PKG_OUTPUT_LABEL,
				      .topk = pass == 0 ? 3 : 0};
		size_t len = 0;
		uint8_t *pkg = pack_for_ctx(ctx, &p, &pol, &len);
		cdl_model *m = NULL;
		cdl_model_info info;
		uint8_t buf[8 * 3 * sizeof(cdl_topk_entry)];
		cdl_input in = {d.images, 8 * 256, CDL_TYPE_FLOAT32, 4, {8, 1, 8, 8}};
		cdl_output o = {buf, sizeof(buf), 0, 0, 0, {0}};

		CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m), CDL_OK);
		free(pkg);
		if (!m)
			continue;
		CHECK_STATUS(cdl_model_get_info(m, &info), CDL_OK);
		CHECK(info.n_results == 1);
		CHECK_STATUS(cdl_model_run(m, 8, &in, 1, &o, 1), CDL_OK);
		for (uint32_t i = 0; i < 8; i++) {
			const float *r = ref + (size_t)i * 10;
			uint32_t best = 0;

			for (uint32_t c = 1; c < 10; c++)
				if (r[c] > r[best])
					best = c;
			if (pass == 0) {
				const cdl_topk_entry *e = (const cdl_topk_entry *)buf + i * 3;

				CHECK(o.dtype == CDL_TYPE_TOPK && o.dims[0] == 8 && o.dims[1] == 3);
				CHECK(e[0].index == best && e[0].score == r[best]);
				CHECK(e[1].score <= e[0].score && e[2].score <= e[1].score);
				CHECK(e[1].score == r[e[1].index] && e[2].score == r[e[2].index]);
			} else {
				CHECK(o.dtype == CDL_TYPE_UINT32 && o.size == 8 * sizeof(uint32_t));
				CHECK(((const uint32_t *)buf)[i] == best);
			}
		}
		cdl_model_delete(m);
	}
	cdl_context_delete(ctx);
	free(d.images);
	free(d.labels);
	test_plan_free(&p);
	return 0;
}

/* Bad arguments: each a clear status, and the model keeps working. */
static int test_bad_args(void)
{
	char onnx[4096];
	test_plan p;
	cdl_context *ctx = NULL;
	cdl_model *m = NULL;
	uint8_t *pkg = NULL;
	size_t len = 0;
	float img[64 * 2] = {0}, logits[20];
	int64_t ints[64];
	cdl_input in = {img, 256, CDL_TYPE_FLOAT32, 4, {1, 1, 8, 8}};
	cdl_output out = {logits, 40, 0, 0, 0, {0}};
	cdl_input bad;
	cdl_output badout;
	cdl_stats st;
	cdl_model_info info;

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true))
		return 1;
	CHECK_STATUS(cdl_context_create(NULL, NULL), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, NULL, &len);
	if (!pkg)
		return 1;
	CHECK_STATUS(cdl_model_load_buffer(NULL, pkg, len, CDL_MODE_AUTO, &m),
		     CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_load_buffer(ctx, NULL, len, CDL_MODE_AUTO, &m),
		     CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, 0, CDL_MODE_AUTO, &m),
		     CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, NULL),
		     CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, (cdl_mode)7, &m),
		     CDL_ERR_INVALID_ARGUMENT);
	CHECK(strstr(cdl_last_error(), "mode 7") != NULL);
	CHECK_STATUS(cdl_model_load_file(ctx, NULL, CDL_MODE_AUTO, &m), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_load_file(ctx, "/nonexistent/x.cdlm", CDL_MODE_AUTO, &m),
		     CDL_ERR_IO);
	CHECK(strstr(cdl_last_error(), "/nonexistent/x.cdlm") != NULL);
	CHECK_STATUS(cdl_model_load_file(ctx, "/", CDL_MODE_AUTO, &m), CDL_ERR_IO);
	CHECK(m == NULL);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m), CDL_OK);
	if (!m)
		return 1;
	CHECK_STATUS(cdl_model_get_info(NULL, &info), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_get_info(m, NULL), CDL_ERR_INVALID_ARGUMENT);

	CHECK_STATUS(cdl_model_run(NULL, 1, &in, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_run(m, 0, &in, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_run(m, 1, NULL, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_run(m, 1, &in, 0, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_run(m, 1, &in, 2, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_run(m, 1, &in, 1, NULL, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_run(m, 1, &in, 1, &out, 2), CDL_ERR_INVALID_ARGUMENT);
	/* NULL data */
	bad = in;
	bad.data = NULL;
	CHECK_STATUS(cdl_model_run(m, 1, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	badout = out;
	badout.data = NULL;
	CHECK_STATUS(cdl_model_run(m, 1, &in, 1, &badout, 1), CDL_ERR_INVALID_ARGUMENT);
	/* wrong dtype (int64 of the right shape) */
	bad = (cdl_input){ints, sizeof(ints) * 1, CDL_TYPE_INT64, 4, {1, 1, 8, 8}};
	bad.size = 64 * sizeof(int64_t);
	CHECK_STATUS(cdl_model_run(m, 1, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK(strstr(cdl_last_error(), "int64") && strstr(cdl_last_error(), "float32"));
	/* wrong shape, same size */
	bad = (cdl_input){img, 256, CDL_TYPE_FLOAT32, 4, {1, 1, 4, 16}};
	CHECK_STATUS(cdl_model_run(m, 1, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK(strstr(cdl_last_error(), "[1,1,4,16]") && strstr(cdl_last_error(), "[1,1,8,8]"));
	bad = (cdl_input){img, 256, CDL_TYPE_FLOAT32, 2, {8, 8}};
	CHECK_STATUS(cdl_model_run(m, 1, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	/* a batch of 2 with the shape of 1 */
	CHECK_STATUS(cdl_model_run(m, 2, &in, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	/* wrong size */
	bad = in;
	bad.size = 255;
	CHECK_STATUS(cdl_model_run(m, 1, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	bad.size = 512;
	CHECK_STATUS(cdl_model_run(m, 1, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	/* output too small */
	badout = out;
	badout.capacity = 39;
	CHECK_STATUS(cdl_model_run(m, 1, &in, 1, &badout, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK(strstr(cdl_last_error(), "40 bytes") != NULL);
	/* the outputs of a batch of 2 need 80 bytes */
	bad = (cdl_input){img, 512, CDL_TYPE_FLOAT32, 4, {2, 1, 8, 8}};
	CHECK_STATUS(cdl_model_run(m, 2, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	badout = out;
	badout.capacity = 80;
	CHECK_STATUS(cdl_model_run(m, 2, &bad, 1, &badout, 1), CDL_OK);
	/* an absurd batch */
	bad = (cdl_input){img, 256, CDL_TYPE_FLOAT32, 4, {1, 1, 8, 8}};
	CHECK_STATUS(cdl_model_run(m, UINT32_MAX, &bad, 1, &out, 1), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_stats(NULL, &st), CDL_ERR_INVALID_ARGUMENT);
	CHECK_STATUS(cdl_model_stats(m, NULL), CDL_ERR_INVALID_ARGUMENT);
	/* after all that, it still runs */
	CHECK_STATUS(cdl_model_run(m, 1, &in, 1, &out, 1), CDL_OK);
	CHECK_STATUS(cdl_model_stats(m, &st), CDL_OK);
	CHECK(st.runs == 2);
	CHECK(strcmp(cdl_status_str(CDL_ERR_SECURE_MEMORY), "secure memory exhausted") == 0);
	CHECK(cdl_status_str((cdl_status)999) != NULL);

	/* a closed model: its context was deleted */
	cdl_context_delete(ctx);
	CHECK_STATUS(cdl_model_run(m, 1, &in, 1, &out, 1), CDL_ERR_STATE);
	CHECK(strstr(cdl_last_error(), "closed") != NULL);
	CHECK_STATUS(cdl_model_stats(m, &st), CDL_ERR_STATE);
	CHECK_STATUS(cdl_model_get_info(m, &info), CDL_OK); /* the public info stays */
	cdl_model_delete(m);
	free(pkg);
	test_plan_free(&p);
	return 0;
}

static void flip(uint8_t *pkg, size_t off)
{
	pkg[off] ^= 0x01;
}

/* Bad packages: each a clear status; the context keeps working. */
static int test_bad_packages(void)
{
	char onnx[4096];
	test_plan p;
	cdl_context *ctx = NULL;
	cdl_model *m = NULL;
	uint8_t *pkg = NULL, *other = NULL, *copy = NULL;
	size_t len = 0, olen = 0;
	uint32_t header_len = 0;
	uint8_t point[CDL_DEVICE_POINT_LEN];
	EVP_PKEY *k = NULL;
	char msg[256];
	float img[64] = {0}, logits[10];
	static const uint8_t garbage[] = "this is not a package at all, not even close......";

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true))
		return 1;
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, NULL, &len);
	if (!pkg)
		return 1;
	header_len = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_HEADER_LEN);
	copy = malloc(len);

	CHECK_STATUS(cdl_model_load_buffer(ctx, garbage, sizeof(garbage), CDL_MODE_AUTO, &m),
		     CDL_ERR_MALFORMED);
	CHECK(strstr(cdl_last_error(), "not a cdl package") != NULL);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len - 1, CDL_MODE_AUTO, &m),
		     CDL_ERR_INTEGRITY);
	/* a flipped bit in the header, a tag, a block, the signature */
	{
		const size_t offs[] = {CDL_PKG_OFF_MODEL_ID,
				       CDL_PKG_OFF_MAX_QUERIES,
				       header_len - 1,
				       header_len + 3,
				       len - 65,
				       len - 1};

		for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
			memcpy(copy, pkg, len);
			flip(copy, offs[i]);
			CHECK_STATUS(cdl_model_load_buffer(ctx, copy, len, CDL_MODE_RESIDENT, &m),
				     CDL_ERR_INTEGRITY);
			CHECK(m == NULL);
		}
	}
	/* a block changed: resident mode decrypts it at load ... */
	memcpy(copy, pkg, len);
	flip(copy, header_len + 16 * cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_COUNT) + 100);
	CHECK_STATUS(cdl_model_load_buffer(ctx, copy, len, CDL_MODE_RESIDENT, &m),
		     CDL_ERR_INTEGRITY);
	/* ... stream mode when it reads it, at load (the plan) or at the run */
	if (cdl_model_load_buffer(ctx, copy, len, CDL_MODE_STREAM, &m) == CDL_OK) {
		CHECK_STATUS(run_one(m, img, logits), CDL_ERR_INTEGRITY);
		cdl_model_delete(m);
		m = NULL;
	} else {
		CHECK_STATUS(cdl_model_load_buffer(ctx, copy, len, CDL_MODE_STREAM, &m),
			     CDL_ERR_INTEGRITY);
	}
	/* for another device */
	CHECK(cdl_key_generate(&k, msg, sizeof(msg)) == CDL_OK);
	CHECK(cdl_key_public_point(k, point) == CDL_OK);
	EVP_PKEY_free(k);
	other = pack_for(&p, point, NULL, &olen);
	CHECK_STATUS(cdl_model_load_buffer(ctx, other, olen, CDL_MODE_AUTO, &m),
		     CDL_ERR_KEY_MISMATCH);
	fprintf(stderr, "another device: %s\n", cdl_last_error());
	/* expired yesterday-ish (1 s after the epoch) */
	{
		cdl_pkg_policy pol = {.expiry = 1};
		size_t elen = 0;
		uint8_t *exp = pack_for_ctx(ctx, &p, &pol, &elen);
		cdl_status s = cdl_model_load_buffer(ctx, exp, elen, CDL_MODE_AUTO, &m);

		if (s == CDL_OK) {
			CHECK_STATUS(run_one(m, img, logits), CDL_ERR_EXPIRED);
			cdl_model_delete(m);
			m = NULL;
		} else {
			CHECK_STATUS(s, CDL_ERR_EXPIRED);
		}
		fprintf(stderr, "expired: %s\n", cdl_last_error());
		free(exp);
		/* and one that expires in 2100 runs */
		pol.expiry = 4102444800ull;
		exp = pack_for_ctx(ctx, &p, &pol, &elen);
		CHECK_STATUS(cdl_model_load_buffer(ctx, exp, elen, CDL_MODE_AUTO, &m), CDL_OK);
		CHECK_STATUS(run_one(m, img, logits), CDL_OK);
		cdl_model_delete(m);
		m = NULL;
		free(exp);
	}
	/* the context is fine after all of it */
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m), CDL_OK);
	CHECK_STATUS(run_one(m, img, logits), CDL_OK);
	cdl_model_delete(m);
	cdl_context_delete(ctx);
	free(copy);
	free(other);
	free(pkg);
	test_plan_free(&p);
	return 0;
}

/* The query budget is counted inside the TA and survives a new TEE. */
static int test_budget(void)
{
	char onnx[4096];
	test_plan p;
	cdl_context *ctx = NULL;
	cdl_model *m = NULL;
	cdl_pkg_policy pol = {.max_queries = 5};
	uint8_t *pkg = NULL;
	size_t len = 0;
	float img[64 * 2] = {0}, logits[20];
	cdl_input two = {img, 512, CDL_TYPE_FLOAT32, 4, {2, 1, 8, 8}};
	cdl_output out2 = {logits, sizeof(logits), 0, 0, 0, {0}};
	cdl_stats st;
	cdl_status s = CDL_OK;

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true))
		return 1;
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, &pol, &len);
	if (!pkg)
		return 1;
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m), CDL_OK);
	if (!m)
		return 1;
	CHECK_STATUS(cdl_model_run(m, 2, &two, 1, &out2, 1), CDL_OK); /* 2 of 5 */
	CHECK_STATUS(run_one(m, img, logits), CDL_OK);		      /* 3 */
	CHECK_STATUS(cdl_model_stats(m, &st), CDL_OK);
	CHECK(st.queries_left == 2);
	/* a batch of 3 does not fit in the 2 left: refused, nothing counted */
	{
		float img3[64 * 3] = {0}, l3[30];
		cdl_input three = {img3, sizeof(img3), CDL_TYPE_FLOAT32, 4, {3, 1, 8, 8}};
		cdl_output o3 = {l3, sizeof(l3), 0, 0, 0, {0}};

		CHECK_STATUS(cdl_model_run(m, 3, &three, 1, &o3, 1), CDL_ERR_QUERY_BUDGET);
		fprintf(stderr, "budget: %s\n", cdl_last_error());
	}
	CHECK_STATUS(run_one(m, img, logits), CDL_OK); /* 4 */
	/* a new TEE process: the count is in secure storage */
	cdl_model_delete(m);
	m = NULL;
	cdl_context_delete(ctx);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m), CDL_OK);
	if (m) {
		CHECK_STATUS(cdl_model_stats(m, &st), CDL_OK);
		CHECK(st.queries_left == 1);
		CHECK_STATUS(run_one(m, img, logits), CDL_OK); /* 5 */
		CHECK_STATUS(run_one(m, img, logits), CDL_ERR_QUERY_BUDGET);
		CHECK_STATUS(run_one(m, img, logits), CDL_ERR_QUERY_BUDGET);
		cdl_model_delete(m);
		m = NULL;
	}
	/* used up: a fresh load refuses at load or at the first run */
	s = cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m);
	if (s == CDL_OK)
		CHECK_STATUS(run_one(m, img, logits), CDL_ERR_QUERY_BUDGET);
	else
		CHECK_STATUS(s, CDL_ERR_QUERY_BUDGET);
	cdl_model_delete(m);
	/* the TA still serves other models */
	{
		size_t l2 = 0;
		uint8_t *free_pkg = pack_for_ctx(ctx, &p, NULL, &l2);

		m = NULL;
		CHECK_STATUS(cdl_model_load_buffer(ctx, free_pkg, l2, CDL_MODE_AUTO, &m), CDL_OK);
		CHECK_STATUS(run_one(m, img, logits), CDL_OK);
		cdl_model_delete(m);
		free(free_pkg);
	}
	cdl_context_delete(ctx);
	free(pkg);
	test_plan_free(&p);
	return 0;
}

/* With CDL_TEE_HEAP=4M: models until the secure heap is full, then room again. */
static int test_heap_full(void)
{
	enum { MAX_MODELS = 512 };
	char onnx[4096];
	test_plan p;
	cdl_context *ctx = NULL;
	cdl_model **models = calloc(MAX_MODELS, sizeof(*models));
	uint8_t *pkg = NULL;
	size_t len = 0;
	uint32_t n = 0;
	float img[64] = {0}, logits[10], ref[10];
	cdl_status s = CDL_OK;
	cdl_stats st;

	new_state_dir();
	setenv("CDL_TEE_HEAP", "4M", 1);
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true) || plain_run(&p, img, ref))
		return 1;
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, NULL, &len);
	if (!pkg)
		return 1;
	for (n = 0; n < MAX_MODELS; n++) {
		s = cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_RESIDENT, &models[n]);
		if (s != CDL_OK)
			break;
	}
	fprintf(stderr, "%u models loaded, then: %s\n", n, cdl_last_error());
	CHECK(n > 2 && n < MAX_MODELS);
	CHECK_STATUS(s, CDL_ERR_SECURE_MEMORY);
	CHECK(strstr(cdl_last_error(), "MiB") || strstr(cdl_last_error(), "KiB") ||
	      strstr(cdl_last_error(), "bytes"));
	if (n) {
		CHECK_STATUS(cdl_model_stats(models[0], &st), CDL_OK);
		CHECK(st.secure_budget == 4u << 20);
		CHECK(st.secure_peak <= st.secure_budget);
	}
	/* the loaded ones still run, the same numbers */
	for (uint32_t i = 0; i < n; i += n / 4 + 1) {
		CHECK_STATUS(run_one(models[i], img, logits), CDL_OK);
		CHECK(memcmp(logits, ref, sizeof(ref)) == 0);
	}
	/* closing one makes room for one */
	if (n) {
		cdl_model_delete(models[n - 1]);
		models[n - 1] = NULL;
		CHECK_STATUS(
		    cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_RESIDENT, &models[n - 1]),
		    CDL_OK);
		CHECK_STATUS(run_one(models[n - 1], img, logits), CDL_OK);
	}
	for (uint32_t i = 0; i < MAX_MODELS; i++)
		cdl_model_delete(models[i]);
	/* and with all closed, the heap is back (no leak in the TA) */
	{
		cdl_model *again[8] = {NULL};

		for (int i = 0; i < 8 && i < (int)n; i++)
			CHECK_STATUS(
			    cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_RESIDENT, &again[i]),
			    CDL_OK);
		for (int i = 0; i < 8; i++)
			cdl_model_delete(again[i]);
	}
	cdl_context_delete(ctx);
	unsetenv("CDL_TEE_HEAP");
	free(models);
	free(pkg);
	test_plan_free(&p);
	return 0;
}

struct busy_run {
	cdl_model *m;
	const float *in;
	float *out;
	uint32_t n;
	cdl_status status;
	double done_ms;
	char msg[512];
};

static void *busy_thread(void *arg)
{
	struct busy_run *b = arg;
	cdl_input in = {b->in, (size_t)b->n * 256, CDL_TYPE_FLOAT32, 4, {b->n, 1, 8, 8}};
	cdl_output out = {b->out, (size_t)b->n * 40, 0, 0, 0, {0}};

	b->status = cdl_model_run(b->m, b->n, &in, 1, &out, 1);
	b->done_ms = now_ms();
	snprintf(b->msg, sizeof(b->msg), "%s", cdl_last_error()); /* thread-local */
	return NULL;
}

/* cdl-tee killed in the middle of a run: CDL_ERR_TEE at once, and a new context works. */
static int test_kill_midrun(void)
{
	char onnx[4096];
	test_plan p;
	cdl_context *ctx = NULL;
	cdl_model *m = NULL;
	uint8_t *pkg = NULL;
	size_t len = 0;
	struct busy_run b;
	pthread_t th;
	long pid = -1;
	double kill_ms = 0.0;
	float img[64] = {0}, logits[10], ref[10];
	cdl_stats st;

	new_state_dir();
	digits_path(onnx, sizeof(onnx));
	if (test_plan_compile(&p, onnx, true) || plain_run(&p, img, ref))
		return 1;
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	pkg = pack_for_ctx(ctx, &p, NULL, &len);
	if (!pkg)
		return 1;
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_STREAM, &m), CDL_OK);
	if (!m)
		return 1;
	memset(&b, 0, sizeof(b));
	b.m = m;
	b.n = 200000; /* several seconds inside the TA */
	b.in = calloc((size_t)b.n * 64, sizeof(float));
	b.out = calloc((size_t)b.n * 10, sizeof(float));
	pid = cdl_context_tee_pid(ctx);
	CHECK(pid > 0);
	pthread_create(&th, NULL, busy_thread, &b);
	usleep(300 * 1000);
	kill_ms = now_ms();
	CHECK(kill((pid_t)pid, SIGKILL) == 0);
	pthread_join(th, NULL);
	fprintf(stderr, "run returned %s %.1f ms after the kill: %s\n", cdl_status_str(b.status),
		b.done_ms - kill_ms, b.msg);
	CHECK(b.status == CDL_ERR_TEE);
	CHECK(strstr(b.msg, "went away") != NULL);
	CHECK(b.done_ms - kill_ms < 2000.0);
	/* the dead context says so, fast, for every call */
	CHECK_STATUS(run_one(m, img, logits), CDL_ERR_TEE);
	CHECK(strstr(cdl_last_error(), "went away") != NULL);
	CHECK_STATUS(cdl_model_stats(m, &st), CDL_ERR_TEE);
	{
		cdl_model *m2 = NULL;

		CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m2), CDL_ERR_TEE);
	}
	cdl_model_delete(m);
	cdl_context_delete(ctx);
	/* the next context starts a fresh TEE: same device, same answers */
	ctx = NULL;
	m = NULL;
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	CHECK(cdl_context_tee_pid(ctx) != pid);
	CHECK_STATUS(cdl_model_load_buffer(ctx, pkg, len, CDL_MODE_AUTO, &m), CDL_OK);
	CHECK_STATUS(run_one(m, img, logits), CDL_OK);
	CHECK(memcmp(logits, ref, sizeof(ref)) == 0);
	cdl_model_delete(m);
	cdl_context_delete(ctx);
	free((void *)b.in);
	free(b.out);
	free(pkg);
	test_plan_free(&p);
	return 0;
}

/* A TEE that cannot start (bad heap size, missing binary): CDL_ERR_TEE, no hang. */
static int test_no_tee(void)
{
	cdl_context *ctx = NULL;
	cdl_context_options o = {.tee_socket = "/nonexistent/cdl-tee.sock"};
	char *bin = getenv("CDL_TEE_BIN") ? strdup(getenv("CDL_TEE_BIN")) : NULL;
	double t0 = now_ms();

	new_state_dir();
	CHECK_STATUS(cdl_context_create(&o, &ctx), CDL_ERR_TEE);
	CHECK(strstr(cdl_last_error(), "/nonexistent/cdl-tee.sock") != NULL);
	setenv("CDL_TEE_HEAP", "1k", 1);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_ERR_TEE);
	fprintf(stderr, "bad heap: %s\n", cdl_last_error());
	unsetenv("CDL_TEE_HEAP");
	setenv("CDL_TEE_BIN", "/nonexistent/cdl-tee", 1);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_ERR_TEE);
	CHECK(strstr(cdl_last_error(), "CDL_TEE_BIN") != NULL);
	CHECK(ctx == NULL);
	if (bin)
		setenv("CDL_TEE_BIN", bin, 1);
	CHECK(now_ms() - t0 < 20000.0);
	CHECK_STATUS(cdl_context_create(NULL, &ctx), CDL_OK);
	cdl_context_delete(ctx);
	free(bin);
	return 0;
}

/* A .npy version 1 file: header dict d, then data. */
static size_t make_npy(uint8_t *buf, const char *d, const void *data, size_t len)
{
	size_t dl = strlen(d);

	memcpy(buf, "\x93NUMPY\x01\x00", 8);
	buf[8] = (uint8_t)dl;
	buf[9] = (uint8_t)(dl >> 8);
	memcpy(buf + 10, d, dl);
	memcpy(buf + 10 + dl, data, len);
	return 10 + dl + len;
}

/* The .npy reader: versions, types, and what it refuses. */
static int test_npy(void)
{
	uint8_t buf[512];
	cdl_file_tensor t;
	char msg[256];
	float vals[6] = {1, 2, 3, 4, 5, 6};
	size_t n = 0;

	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   \n", vals,
		     sizeof(vals));
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_OK);
	if (t.data) {
		CHECK(t.dtype == CDL_TYPE_FLOAT32 && t.rank == 2 && t.dims[0] == 2 &&
		      t.dims[1] == 3);
		CHECK(t.size == 24 && memcmp(t.data, vals, 24) == 0);
		cdl_file_tensor_free(&t);
	}
	/* one byte short / long */
	CHECK(cdl_npy_parse(buf, n - 1, &t, msg, sizeof(msg)) == CDL_ERR_MALFORMED);
	CHECK(cdl_npy_parse(buf, n + 1, &t, msg, sizeof(msg)) == CDL_ERR_MALFORMED);
	/* a scalar */
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", vals, 4);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_OK && t.rank == 0 && t.size == 4);
	cdl_file_tensor_free(&t);
	/* Fortran order, big-endian, objects, nine dimensions, a bad shape */
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }\n", vals, 24);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_ERR_UNSUPPORTED);
	n = make_npy(buf, "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }\n", vals,
		     24);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_ERR_UNSUPPORTED);
	CHECK(strstr(msg, ">f4") != NULL);
	n = make_npy(buf, "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }\n", vals, 24);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_ERR_UNSUPPORTED);
	n = make_npy(buf,
		     "{'descr': '|u1', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }\n",
		     vals, 1);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_ERR_UNSUPPORTED);
	n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }\n", vals, 8);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_ERR_MALFORMED);
	n = make_npy(
	    buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n",
	    vals, 8);
	CHECK(cdl_npy_parse(buf, n, &t, msg, sizeof(msg)) == CDL_ERR_MALFORMED);
	/* version 2: a 4-byte header length */
	{
		const char *d = "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }\n";
		size_t dl = strlen(d);
		int64_t iv[3] = {7, -1, 3};

		memcpy(buf, "\x93NUMPY\x02\x00", 8);
		buf[8] = (uint8_t)dl;
		buf[9] = buf[10] = buf[11] = 0;
		memcpy(buf + 12, d, dl);
		memcpy(buf + 12 + dl, iv, sizeof(iv));
		CHECK(cdl_npy_parse(buf, 12 + dl + sizeof(iv), &t, msg, sizeof(msg)) == CDL_OK);
		if (t.data) {
			CHECK(t.dtype == CDL_TYPE_INT64 && t.rank == 1 && t.dims[0] == 3);
			CHECK(((int64_t *)t.data)[1] == -1);
			cdl_file_tensor_free(&t);
		}
		/* a header length past the end */
		buf[10] = 0x10;
		CHECK(cdl_npy_parse(buf, 12 + dl + sizeof(iv), &t, msg, sizeof(msg)) ==
		      CDL_ERR_MALFORMED);
	}
	CHECK(cdl_npy_parse((const uint8_t *)"hello", 5, &t, msg, sizeof(msg)) ==
	      CDL_ERR_MALFORMED);
	return 0;
}

static const test_case tests[] = {
    {"device_key", test_device_key},
    {"run", test_run},
    {"modes", test_modes},
    {"policy", test_policy},
    {"bad_args", test_bad_args},
    {"bad_packages", test_bad_packages},
    {"budget", test_budget},
    {"heap_full", test_heap_full},
    {"kill_midrun", test_kill_midrun},
    {"no_tee", test_no_tee},
    {"npy", test_npy},
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, "e2e_tests", tests, sizeof(tests) / sizeof(tests[0]));
}
