/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tests of the cdl TA (src/ta) through the raw GP Client API: cdl_teec spawns
 * the real cdl-tee, packages are made with the format writer for the key the
 * TA reports, and every output is compared with the plain engine's.
 *
 *   ta_tests NAME   runs one test; exit 0 pass, 1 fail, 77 skipped
 *
 * Environment: CDL_TEE_BIN (cdl-tee), TA_TEST_TMP (scratch; each test makes
 * its own state directory), CDL_MODELS_DIR (the repository's models/).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cdl_teec_host.h"
#include "format/crypto_openssl.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"
#include "ta_util.h"

#define SKIP 77

static const TEEC_UUID cdl_uuid = TA_CDL_UUID;

static int failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define CHECK_RES(res, want)                                                                       \
	do {                                                                                       \
		TEEC_Result r_ = (res);                                                            \
		if (r_ != (TEEC_Result)(want)) {                                                   \
			fprintf(stderr, "%s:%d: %s = 0x%08x, want 0x%08x\n", __FILE__, __LINE__,   \
				#res, (unsigned)r_, (unsigned)(want));                             \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

#define REQUIRE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: required: %s\n", __FILE__, __LINE__, #cond);       \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

/* ---- fixture ------------------------------------------------------------- */

static model digits;
static bool digits_loaded;

static model *get_digits(void)
{
	const char *path = model_path("digits");

	if (!digits_loaded) {
		REQUIRE(path);
		model_load(&digits, path);
		digits_loaded = true;
	}
	return &digits;
}

/* n items of deterministic inputs for m. */
static float *inputs_for(const model *m, uint32_t n, uint32_t seed)
{
	float *x = malloc(m->in_bytes * n);

	REQUIRE(x && m->in_bytes % sizeof(float) == 0);
	fill_inputs(x, m->in_bytes / sizeof(float) * n, seed);
	return x;
}

/* The plain engine's outputs for n items. */
static uint8_t *plain_outputs(model *m, const float *x, uint32_t n)
{
	uint8_t *out = malloc(m->out_bytes * n);

	REQUIRE(out);
	for (uint32_t i = 0; i < n; i++)
		model_run_plain(m, (const uint8_t *)x + i * m->in_bytes, out + i * m->out_bytes);
	return out;
}

static const cdl_pkg_policy no_limits = {CDL_PKG_OUTPUT_FULL, 0, 0, 0};

/* A started TA, its device key and a package of m for it. */
typedef struct setup {
	ta t;
	uint8_t pub[CDL_PKG_PUBKEY_LEN];
	uint8_t id[CDL_PKG_KEY_ID_LEN];
	uint8_t *pkg;
	size_t pkg_len;
	ta_pkg shared;
} setup;

static void setup_start(setup *s, model *m, const cdl_pkg_policy *policy, uint32_t block_size)
{
	memset(s, 0, sizeof(*s));
	REQUIRE(ta_start(&s->t) == TEEC_SUCCESS);
	REQUIRE(ta_device_key(&s->t, s->pub, s->id) == TEEC_SUCCESS);
	if (m) {
		s->pkg =
		    make_package(m, s->pub, policy ? policy : &no_limits, block_size, &s->pkg_len);
		REQUIRE(ta_pkg_share(&s->t, &s->shared, s->pkg, s->pkg_len, 0) == TEEC_SUCCESS);
	}
}

static void setup_stop(setup *s)
{
	ta_pkg_release(&s->shared);
	ta_stop(&s->t);
	free(s->pkg);
	s->pkg = NULL;
}

/* Opens, runs n items and checks the outputs against the plain engine. */
static TEEC_Result open_run_check(setup *s, model *m, uint32_t mode, uint32_t n, uint32_t seed,
				  uint32_t *mode_out)
{
	float *x = inputs_for(m, n, seed);
	uint8_t *want = plain_outputs(m, x, n);
	uint8_t *got = calloc(n, m->out_bytes);
	size_t got_len = m->out_bytes * n;
	uint32_t h = 0;
	char msg[512];
	TEEC_Result res = ta_open_model(&s->t, &s->shared, mode, &h, mode_out, msg, sizeof(msg));

	if (res != TEEC_SUCCESS) {
		fprintf(stderr, "open: 0x%08x %s\n", (unsigned)res, msg);
		goto out;
	}
	res = ta_run(&s->t, h, n, x, m->in_bytes * n, got, &got_len,
		     mode_out && *mode_out == CDL_TA_MODE_STREAM ? &s->shared : NULL);
	CHECK_RES(res, TEEC_SUCCESS);
	CHECK(got_len == m->out_bytes * n);
	CHECK(memcmp(got, want, m->out_bytes * n) == 0);
	CHECK_RES(ta_close_model(&s->t, h), TEEC_SUCCESS);
out:
	free(x);
	free(want);
	free(got);
	return res;
}

/* ---- device key ----------------------------------------------------------- */

static int test_device_key(void)
{
	uint8_t pub[CDL_PKG_PUBKEY_LEN], pub2[CDL_PKG_PUBKEY_LEN], pub3[CDL_PKG_PUBKEY_LEN];
	uint8_t id[CDL_PKG_KEY_ID_LEN], id2[CDL_PKG_KEY_ID_LEN], want_id[CDL_PKG_KEY_ID_LEN];
	EVP_PKEY *k = NULL;
	TEEC_Session s2;
	TEEC_Operation op;
	pid_t pid1 = 0;
	ta t;

	new_state_dir();
	REQUIRE(ta_start(&t) == TEEC_SUCCESS);
	pid1 = cdl_teec_server_pid(&t.ctx);
	CHECK_RES(ta_device_key(&t, pub, id), TEEC_SUCCESS);
	CHECK(pub[0] == 0x04);
	/* A valid P-256 point, and the id is its SHA-256 (the recipient id). */
	CHECK(cdl_key_from_point(pub, &k) == CDL_OK);
	CHECK(k && cdl_key_id(k, want_id) == CDL_OK && memcmp(id, want_id, sizeof(id)) == 0);
	EVP_PKEY_free(k);

	/* Short buffers: both needed sizes come back. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = pub2;
	op.params[0].tmpref.size = 64;
	op.params[1].tmpref.buffer = id2;
	op.params[1].tmpref.size = 31;
	CHECK_RES(ta_invoke(&t, CDL_TA_CMD_DEVICE_KEY, &op), TEEC_ERROR_SHORT_BUFFER);
	CHECK(op.params[0].tmpref.size == 65 && op.params[1].tmpref.size == 32);
	/* A NULL buffer is a size query. */
	op.params[0].tmpref.buffer = NULL;
	op.params[0].tmpref.size = 0;
	op.params[1].tmpref.buffer = id2;
	op.params[1].tmpref.size = 32;
	CHECK_RES(ta_invoke(&t, CDL_TA_CMD_DEVICE_KEY, &op), TEEC_ERROR_SHORT_BUFFER);
	CHECK(op.params[0].tmpref.size == 65);

	/* Another session sees the same key. */
	REQUIRE(TEEC_OpenSession(&t.ctx, &s2, &cdl_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL) ==
		TEEC_SUCCESS);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = pub2;
	op.params[0].tmpref.size = sizeof(pub2);
	op.params[1].tmpref.buffer = id2;
	op.params[1].tmpref.size = sizeof(id2);
	CHECK_RES(TEEC_InvokeCommand(&s2, CDL_TA_CMD_DEVICE_KEY, &op, NULL), TEEC_SUCCESS);
	CHECK(memcmp(pub, pub2, sizeof(pub)) == 0);
	TEEC_CloseSession(&s2);
	ta_stop(&t);

	/* A restarted cdl-tee (a new process) has the same key. */
	REQUIRE(ta_start(&t) == TEEC_SUCCESS);
	CHECK(cdl_teec_server_pid(&t.ctx) != pid1);
	memset(pub2, 0, sizeof(pub2));
	CHECK_RES(ta_device_key(&t, pub2, id2), TEEC_SUCCESS);
	CHECK(memcmp(pub, pub2, sizeof(pub)) == 0 && memcmp(id, id2, sizeof(id)) == 0);
	ta_stop(&t);

	/* Another device (state directory) has another key. */
	new_state_dir();
	REQUIRE(ta_start(&t) == TEEC_SUCCESS);
	CHECK_RES(ta_device_key(&t, pub3, id2), TEEC_SUCCESS);
	CHECK(memcmp(pub, pub3, sizeof(pub)) != 0);
	ta_stop(&t);
	return failures ? 1 : 0;
}

/* ---- open + run ----------------------------------------------------------- */

static size_t argmax(const float *v, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/* The 360 held-back digits from models/digits/test_images.npy. */
static float *load_test_images(uint32_t *n, int64_t **labels)
{
	char path[4096];
	const char *dir = getenv("CDL_MODELS_DIR");
	FILE *f = NULL;
	uint8_t head[10];
	uint16_t hlen = 0;
	float *x = NULL;

	*n = 360;
	snprintf(path, sizeof(path), "%s/digits/test_images.npy", dir ? dir : "models");
	f = fopen(path, "rb");
	REQUIRE(f && fread(head, 1, 10, f) == 10 && memcmp(head, "\x93NUMPY\x01", 7) == 0);
	hlen = (uint16_t)(head[8] | head[9] << 8);
	x = malloc(*n * 64 * sizeof(float));
	REQUIRE(x && fseek(f, 10 + hlen, SEEK_SET) == 0 &&
		fread(x, sizeof(float), *n * 64, f) == *n * 64);
	fclose(f);
	snprintf(path, sizeof(path), "%s/digits/test_labels.npy", dir ? dir : "models");
	f = fopen(path, "rb");
	REQUIRE(f && fread(head, 1, 10, f) == 10);
	hlen = (uint16_t)(head[8] | head[9] << 8);
	*labels = malloc(*n * sizeof(int64_t));
	REQUIRE(*labels && fseek(f, 10 + hlen, SEEK_SET) == 0 &&
		fread(*labels, sizeof(int64_t), *n, f) == *n);
	fclose(f);
	return x;
}

static int test_run(void)
{
	model *m = get_digits();
	setup s;
	struct cdl_ta_model_info info;
	struct cdl_ta_stats st;
	uint8_t provider_id[CDL_PKG_KEY_ID_LEN];
	int64_t *labels = NULL;
	uint32_t n = 0, h = 0, mode = 99, correct = 0;
	float *x = load_test_images(&n, &labels);
	uint8_t *want = plain_outputs(m, x, n);
	uint8_t *got = calloc(n, m->out_bytes);
	size_t got_len = n * m->out_bytes;
	char msg[512];

	REQUIRE(m->in_bytes == 64 * sizeof(float) && m->out_bytes == 10 * sizeof(float));
	new_state_dir();
	set_heap("");
	setup_start(&s, m, NULL, 0);
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_AUTO, &h, &mode, msg, sizeof(msg)),
		  TEEC_SUCCESS);
	CHECK(h != 0 && mode == CDL_TA_MODE_RESIDENT);
	CHECK(msg[0] == '\0');

	/* What the package says about itself. */
	CHECK_RES(ta_info(&s.t, h, &info), TEEC_SUCCESS);
	CHECK(info.n_inputs == 1 && info.n_outputs == 1);
	CHECK(strcmp(info.inputs[0].name, m->inputs[0].name) == 0);
	CHECK(info.inputs[0].dtype == 1 && info.inputs[0].rank == 4 && info.inputs[0].dims[3] == 8);
	CHECK(info.outputs[0].rank == 2 && info.outputs[0].dims[1] == 10);
	CHECK(info.output_mode == CDL_TA_OUTPUT_FULL && info.max_queries == 0 && info.expires == 0);
	CHECK(cdl_key_id(test_provider_key(), provider_id) == CDL_OK &&
	      memcmp(info.provider_key_id, provider_id, sizeof(provider_id)) == 0);

	/* The whole test set in one call: identical to the plain engine. */
	CHECK_RES(ta_run(&s.t, h, n, x, n * m->in_bytes, got, &got_len, NULL), TEEC_SUCCESS);
	CHECK(got_len == n * m->out_bytes);
	CHECK(memcmp(got, want, n * m->out_bytes) == 0);
	for (uint32_t i = 0; i < n; i++)
		correct += argmax((const float *)(got + i * m->out_bytes), 10) == (size_t)labels[i];
	printf("digits through the TA: %u/%u correct\n", correct, n);
	CHECK(correct >= 350);

	/* One by one, the same. */
	for (uint32_t i = 0; i < 5; i++) {
		float one[10];
		size_t one_len = sizeof(one);

		CHECK_RES(ta_run(&s.t, h, 1, x + i * 64, 64 * sizeof(float), one, &one_len, NULL),
			  TEEC_SUCCESS);
		CHECK(memcmp(one, want + i * m->out_bytes, sizeof(one)) == 0);
	}
	/* A resident model takes the package at RUN as well, and ignores it. */
	got_len = m->out_bytes;
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, got, &got_len, &s.shared), TEEC_SUCCESS);

	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
	CHECK(st.mode == CDL_TA_MODE_RESIDENT);
	CHECK(st.heap_budget == (16u << 20));
	CHECK(st.arena_bytes == m->p->arena_size && st.weight_bytes == m->p->weights_size);
	CHECK(st.resident_bytes == st.weight_bytes);
	CHECK(st.runs == 7 && st.decrypted_last_run == 0);
	CHECK(st.queries_left == UINT64_MAX);
	CHECK(st.model_bytes > st.arena_bytes && st.heap_peak >= st.model_bytes);
	printf("stats: model %llu B, peak %llu B, open %llu us, run %llu us\n",
	       (unsigned long long)st.model_bytes, (unsigned long long)st.heap_peak,
	       (unsigned long long)st.open_time_us, (unsigned long long)st.run_time_us);

	/* Closed: every handle command refuses it, cleanly. */
	CHECK_RES(ta_close_model(&s.t, h), TEEC_SUCCESS);
	got_len = m->out_bytes;
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, got, &got_len, NULL), TEEC_ERROR_BAD_STATE);
	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_ERROR_BAD_STATE);
	CHECK_RES(ta_info(&s.t, h, &info), TEEC_ERROR_BAD_STATE);
	CHECK_RES(ta_close_model(&s.t, h), TEEC_ERROR_BAD_STATE);
	CHECK_RES(ta_close_model(&s.t, 0), TEEC_ERROR_BAD_STATE);

	/* The session's models go with it: close the session with one open. */
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_RESIDENT, &h, NULL, NULL, 0),
		  TEEC_SUCCESS);
	setup_stop(&s);
	free(x);
	free(labels);
	free(want);
	free(got);
	return failures ? 1 : 0;
}

/* ---- resident vs stream ------------------------------------------------------ */

static bool stream_available(setup *s)
{
	uint32_t h = 0;
	char msg[512];
	TEEC_Result res =
	    ta_open_model(&s->t, &s->shared, CDL_TA_MODE_STREAM, &h, NULL, msg, sizeof(msg));

	if (res == TEEC_SUCCESS) {
		ta_close_model(&s->t, h);
		return true;
	}
	fprintf(stderr, "stream mode: 0x%08x %s\n", (unsigned)res, msg);
	return false;
}

/*
 * DESIGN §6.3 through the engine's batch execution: in stream mode with a
 * heap that allows max_batch >= 4 (16 MiB for digits), a batch of 8 decrypts
 * at most a quarter of what 8 single runs do, and every item's outputs are
 * the same bytes as its single run's (and the plain engine's).
 */
static void check_stream_batch(model *m)
{
	const uint32_t n = 8;
	float *x = inputs_for(m, n, 23);
	uint8_t *want = plain_outputs(m, x, n);
	uint8_t *single = calloc(n, m->out_bytes), *batch = calloc(n, m->out_bytes);
	uint64_t single_bytes = 0;
	uint32_t h = 0, mode = 0;
	struct cdl_ta_stats st;
	size_t len = 0;
	setup s;

	set_heap("16M");
	/* 4 KiB blocks: the weights span several, none stays cached from OPEN. */
	setup_start(&s, m, NULL, 4096);
	REQUIRE(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_STREAM, &h, &mode, NULL, 0) ==
		TEEC_SUCCESS);
	REQUIRE(mode == CDL_TA_MODE_STREAM);
	for (uint32_t i = 0; i < n; i++) {
		len = m->out_bytes;
		CHECK_RES(ta_run(&s.t, h, 1, (const uint8_t *)x + i * m->in_bytes, m->in_bytes,
				 single + i * m->out_bytes, &len, &s.shared),
			  TEEC_SUCCESS);
		CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
		single_bytes += st.decrypted_last_run;
	}
	CHECK(single_bytes > 0);
	len = n * m->out_bytes;
	CHECK_RES(ta_run(&s.t, h, n, x, n * m->in_bytes, batch, &len, &s.shared), TEEC_SUCCESS);
	CHECK(len == n * m->out_bytes);
	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
	printf("stream at 16M: a batch of %u decrypts %llu bytes, %u single runs %llu\n", n,
	       (unsigned long long)st.decrypted_last_run, n, (unsigned long long)single_bytes);
	CHECK(st.decrypted_last_run > 0);
	CHECK(st.decrypted_last_run * 4 <= single_bytes);
	CHECK(memcmp(batch, single, n * m->out_bytes) == 0);
	CHECK(memcmp(batch, want, n * m->out_bytes) == 0);
	CHECK_RES(ta_close_model(&s.t, h), TEEC_SUCCESS);
	setup_stop(&s);
	free(x);
	free(want);
	free(single);
	free(batch);
}

static int test_modes(void)
{
	model *m = get_digits();
	const uint32_t n = 20;
	float *x = inputs_for(m, n, 7);
	uint8_t *want = plain_outputs(m, x, n);
	uint8_t *res_out = calloc(n, m->out_bytes), *str_out = calloc(n, m->out_bytes);
	size_t len = n * m->out_bytes;
	uint32_t hr = 0, hs = 0, mode = 0;
	struct cdl_ta_stats st;
	ta_pkg moved;
	setup s;

	new_state_dir();
	set_heap("");
	/* 4 KiB blocks: the stream crosses blocks everywhere. */
	setup_start(&s, m, NULL, 4096);
	if (!stream_available(&s)) {
		setup_stop(&s);
		return SKIP;
	}
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_RESIDENT, &hr, &mode, NULL, 0),
		  TEEC_SUCCESS);
	CHECK(mode == CDL_TA_MODE_RESIDENT);
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_STREAM, &hs, &mode, NULL, 0),
		  TEEC_SUCCESS);
	CHECK(mode == CDL_TA_MODE_STREAM);
	CHECK_RES(ta_run(&s.t, hr, n, x, n * m->in_bytes, res_out, &len, NULL), TEEC_SUCCESS);
	len = n * m->out_bytes;
	CHECK_RES(ta_run(&s.t, hs, n, x, n * m->in_bytes, str_out, &len, &s.shared), TEEC_SUCCESS);
	CHECK(memcmp(res_out, want, n * m->out_bytes) == 0);
	CHECK(memcmp(str_out, want, n * m->out_bytes) == 0);
	CHECK_RES(ta_stats(&s.t, hs, &st), TEEC_SUCCESS);
	CHECK(st.mode == CDL_TA_MODE_STREAM && st.decrypted_last_run > 0);
	/* DESIGN §6.3: a batch decrypts the streamed weights once, not per item. */
	CHECK(st.decrypted_last_run <= st.weight_bytes + 3 * 4096);
	printf("stream: %llu bytes decrypted per run of %u, %llu resident\n",
	       (unsigned long long)st.decrypted_last_run, n, (unsigned long long)st.resident_bytes);

	/* The same package at another address and offset works too. */
	REQUIRE(ta_pkg_share(&s.t, &moved, s.pkg, s.pkg_len, 4096 + 17) == TEEC_SUCCESS);
	memset(str_out, 0, n * m->out_bytes);
	len = n * m->out_bytes;
	CHECK_RES(ta_run(&s.t, hs, n, x, n * m->in_bytes, str_out, &len, &moved), TEEC_SUCCESS);
	CHECK(memcmp(str_out, want, n * m->out_bytes) == 0);
	ta_pkg_release(&moved);
	setup_stop(&s);
	check_stream_batch(m);
	free(x);
	free(want);
	free(res_out);
	free(str_out);
	return failures ? 1 : 0;
}

/* ---- parameters ----------------------------------------------------------- */

/* The TA still answers and still computes right (with a fresh, unlimited package). */
static void check_usable(setup *s, model *m)
{
	uint8_t pub[CDL_PKG_PUBKEY_LEN], id[CDL_PKG_KEY_ID_LEN];
	setup fresh = *s;
	uint32_t mode = 0;

	CHECK_RES(ta_device_key(&s->t, pub, id), TEEC_SUCCESS);
	CHECK(memcmp(pub, s->pub, sizeof(pub)) == 0);
	fresh.pkg = make_package(m, s->pub, &no_limits, 0, &fresh.pkg_len);
	REQUIRE(ta_pkg_share(&s->t, &fresh.shared, fresh.pkg, fresh.pkg_len, 0) == TEEC_SUCCESS);
	CHECK_RES(open_run_check(&fresh, m, CDL_TA_MODE_AUTO, 3, 99, &mode), TEEC_SUCCESS);
	ta_pkg_release(&fresh.shared);
	free(fresh.pkg);
}

static int test_params(void)
{
	static const uint32_t all_types[] = {
	    TEEC_NONE,
	    TEEC_VALUE_INPUT,
	    TEEC_VALUE_OUTPUT,
	    TEEC_VALUE_INOUT,
	    TEEC_MEMREF_TEMP_INPUT,
	    TEEC_MEMREF_TEMP_OUTPUT,
	    TEEC_MEMREF_TEMP_INOUT,
	};
	static const uint32_t good[6] = {
	    [CDL_TA_CMD_DEVICE_KEY] = TEEC_PARAM_TYPES(
		TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE),
	    [CDL_TA_CMD_OPEN_MODEL] = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT,
						       TEEC_VALUE_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT),
	    [CDL_TA_CMD_RUN] = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT,
						TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_INPUT),
	    [CDL_TA_CMD_STATS] =
		TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE),
	    [CDL_TA_CMD_CLOSE_MODEL] =
		TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE),
	    [CDL_TA_CMD_MODEL_INFO] =
		TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE),
	};
	model *m = get_digits();
	uint8_t buf[8][8192];
	float x[64 * 2];
	uint8_t out[64];
	size_t len = 0;
	uint32_t h = 0;
	unsigned tried = 0;
	TEEC_Operation op;
	TEEC_Session s2;
	setup s;

	new_state_dir();
	set_heap("");
	setup_start(&s, m, NULL, 0);
	REQUIRE(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_AUTO, &h, NULL, NULL, 0) ==
		TEEC_SUCCESS);

	/*
	 * Every command with each slot's type replaced by every other type
	 * (one slot at a time): BAD_PARAMETERS, never a crash. RUN's slot 3
	 * and OPEN's slot 3 also accept NONE (documented).
	 */
	for (uint32_t cmd = 0; cmd < 6; cmd++) {
		for (int slot = 0; slot < 4; slot++) {
			for (size_t k = 0; k < sizeof(all_types) / sizeof(all_types[0]); k++) {
				uint32_t t = all_types[k];
				uint32_t types =
				    (good[cmd] & ~(0xFu << (4 * slot))) | t << (4 * slot);
				TEEC_Result res = 0;

				if (types == good[cmd] ||
				    ((cmd == CDL_TA_CMD_RUN || cmd == CDL_TA_CMD_OPEN_MODEL) &&
				     slot == 3 && t == TEEC_NONE))
					continue;
				memset(&op, 0, sizeof(op));
				op.paramTypes = types;
				for (int i = 0; i < 4; i++) {
					uint32_t ti = TEEC_PARAM_TYPE_GET(types, i);

					if (ti >= TEEC_MEMREF_TEMP_INPUT) {
						op.params[i].tmpref.buffer = buf[i];
						op.params[i].tmpref.size = sizeof(buf[i]);
					} else {
						op.params[i].value.a = h;
						op.params[i].value.b = 1;
					}
				}
				res = ta_invoke(&s.t, cmd, &op);
				if (res != TEEC_ERROR_BAD_PARAMETERS) {
					fprintf(stderr, "cmd %u types 0x%04x: 0x%08x\n", cmd, types,
						(unsigned)res);
					failures++;
				}
				tried++;
			}
		}
	}
	printf("%u wrong parameter layouts refused\n", tried);
	/* Unknown command. */
	memset(&op, 0, sizeof(op));
	CHECK_RES(ta_invoke(&s.t, 6, &op), TEEC_ERROR_NOT_SUPPORTED);
	CHECK_RES(ta_invoke(&s.t, 0xFFFFFFFFu, &op), TEEC_ERROR_NOT_SUPPORTED);
	/* A session is opened without parameters. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	CHECK_RES(TEEC_OpenSession(&s.t.ctx, &s2, &cdl_uuid, TEEC_LOGIN_PUBLIC, NULL, &op, NULL),
		  TEEC_ERROR_BAD_PARAMETERS);

	/* RUN: batch 0, inputs one byte short / long, n overflowing the sizes. */
	fill_inputs(x, 128, 3);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 0, x, 0, out, &len, NULL), TEEC_ERROR_BAD_PARAMETERS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes - 1, out, &len, NULL),
		  TEEC_ERROR_BAD_PARAMETERS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes + 1, out, &len, NULL),
		  TEEC_ERROR_BAD_PARAMETERS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 2, x, m->in_bytes, out, &len, NULL), TEEC_ERROR_BAD_PARAMETERS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 0xFFFFFFFFu, x, m->in_bytes, out, &len, NULL),
		  TEEC_ERROR_BAD_PARAMETERS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 0x40000000u, x, 0, out, &len, NULL), TEEC_ERROR_BAD_PARAMETERS);
	/* Outputs: short gets SHORT_BUFFER and the size; longer is fine. */
	len = m->out_bytes - 1;
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, out, &len, NULL), TEEC_ERROR_SHORT_BUFFER);
	CHECK(len == m->out_bytes);
	len = 2 * m->out_bytes - 1;
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, NULL), TEEC_ERROR_SHORT_BUFFER);
	CHECK(len == 2 * m->out_bytes);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, out, &len, NULL), TEEC_SUCCESS);
	CHECK(len == m->out_bytes);
	/* NULL input buffer with a size. */
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 1, NULL, m->in_bytes, out, &len, NULL),
		  TEEC_ERROR_BAD_PARAMETERS);
	/* Unknown handle. */
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h + 100, 1, x, m->in_bytes, out, &len, NULL), TEEC_ERROR_BAD_STATE);

	/* STATS / MODEL_INFO: short buffers get the size. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = good[CDL_TA_CMD_STATS];
	op.params[0].value.a = h;
	op.params[1].tmpref.buffer = buf[0];
	op.params[1].tmpref.size = sizeof(struct cdl_ta_stats) - 1;
	CHECK_RES(ta_invoke(&s.t, CDL_TA_CMD_STATS, &op), TEEC_ERROR_SHORT_BUFFER);
	CHECK(op.params[1].tmpref.size == sizeof(struct cdl_ta_stats));
	op.params[1].tmpref.size = 0;
	op.params[1].tmpref.buffer = NULL;
	CHECK_RES(ta_invoke(&s.t, CDL_TA_CMD_MODEL_INFO, &op), TEEC_ERROR_SHORT_BUFFER);
	CHECK(op.params[1].tmpref.size == sizeof(struct cdl_ta_model_info));

	/* OPEN: NULL package, empty, truncated by one byte, an unknown mode. */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT,
					 TEEC_VALUE_OUTPUT, TEEC_NONE);
	op.params[0].tmpref.buffer = NULL;
	op.params[0].tmpref.size = 0;
	CHECK_RES(ta_invoke(&s.t, CDL_TA_CMD_OPEN_MODEL, &op), TEEC_ERROR_BAD_PARAMETERS);
	op.params[0].tmpref.buffer = s.pkg;
	op.params[0].tmpref.size = 0;
	CHECK(ta_invoke(&s.t, CDL_TA_CMD_OPEN_MODEL, &op) != TEEC_SUCCESS);
	op.params[0].tmpref.size = s.pkg_len - 1;
	CHECK_RES(ta_invoke(&s.t, CDL_TA_CMD_OPEN_MODEL, &op), TEEC_ERROR_SECURITY);
	op.params[0].tmpref.size = s.pkg_len;
	op.params[1].value.a = 7;
	CHECK_RES(ta_invoke(&s.t, CDL_TA_CMD_OPEN_MODEL, &op), TEEC_ERROR_BAD_PARAMETERS);
	/* A one-byte message buffer gets just the NUL. */
	{
		TEEC_SharedMemory line;

		memset(&line, 0, sizeof(line));
		line.size = 16;
		line.flags = TEEC_MEM_OUTPUT;
		REQUIRE(TEEC_AllocateSharedMemory(&s.t.ctx, &line) == TEEC_SUCCESS);
		memset(line.buffer, 'x', line.size);
		op.params[1].value.a = CDL_TA_MODE_AUTO;
		op.params[0].tmpref.size = s.pkg_len - 1;
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_VALUE_INPUT,
						 TEEC_VALUE_OUTPUT, TEEC_MEMREF_PARTIAL_OUTPUT);
		op.params[3].memref.parent = &line;
		op.params[3].memref.offset = 0;
		op.params[3].memref.size = 1;
		CHECK_RES(ta_invoke(&s.t, CDL_TA_CMD_OPEN_MODEL, &op), TEEC_ERROR_SECURITY);
		CHECK(((char *)line.buffer)[0] == '\0' && ((char *)line.buffer)[1] == 'x');
		TEEC_ReleaseSharedMemory(&line);
	}

	check_usable(&s, m);
	setup_stop(&s);
	return failures ? 1 : 0;
}

/* ---- tampering ----------------------------------------------------------------- */

static bool security_class(TEEC_Result r)
{
	return r == TEEC_ERROR_SECURITY;
}

static TEEC_Result open_copy(setup *s, const uint8_t *pkg, size_t len, uint32_t mode, char *msg,
			     size_t msg_size)
{
	ta_pkg p;
	uint32_t h = 0;
	TEEC_Result res = ta_pkg_share(&s->t, &p, pkg, len, 0);

	REQUIRE(res == TEEC_SUCCESS);
	res = ta_open_model(&s->t, &p, mode, &h, NULL, msg, msg_size);
	if (res == TEEC_SUCCESS)
		ta_close_model(&s->t, h);
	ta_pkg_release(&p);
	return res;
}

static int test_tamper(void)
{
	model *m = get_digits();
	const cdl_pkg_header *hdr = NULL;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	cdl_pkg_openssl o;
	uint8_t *copy = NULL;
	size_t positions[64];
	size_t np = 0, hl = 0, nb = 0, bs = 0;
	char msg[512];
	setup s;

	new_state_dir();
	set_heap("");
	/* Small blocks: several of them, so first/middle/last differ. */
	setup_start(&s, m, NULL, 4096);
	REQUIRE(r && cdl_pkg_openssl_init(&o, NULL) == CDL_OK);
	REQUIRE(cdl_pkg_parse_header(s.pkg, s.pkg_len, &o.crypto, r, msg, sizeof(msg)) == CDL_OK);
	hdr = cdl_pkg_reader_header(r);
	hl = hdr->header_len;
	nb = hdr->block_count;
	bs = hdr->block_size;
	REQUIRE(nb >= 3);
	copy = malloc(s.pkg_len);

	/* Header after the sizes: model id, nonce, policy, recipient, keys, names, wrapped key. */
	for (size_t p = 32; p < hl; p += 13)
		if (np < 40)
			positions[np++] = p;
	positions[np++] = hl - 1;
	positions[np++] = hl;				      /* first tag */
	positions[np++] = hl + 16 * nb - 1;		      /* last tag */
	positions[np++] = hl + 16 * nb;			      /* first block */
	positions[np++] = hl + 16 * nb + bs * (nb / 2) + 100; /* a middle block */
	positions[np++] = hl + 16 * nb + bs * nb - 1;	      /* last block's padding */
	positions[np++] = s.pkg_len - 64;		      /* signature r */
	positions[np++] = s.pkg_len - 1;		      /* signature s */
	for (size_t i = 0; i < np; i++) {
		TEEC_Result res = 0;

		memcpy(copy, s.pkg, s.pkg_len);
		copy[positions[i]] ^= (uint8_t)(1u << (i % 8));
		res = open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_RESIDENT, msg, sizeof(msg));
		if (!security_class(res)) {
			fprintf(stderr, "bit flip at %zu: 0x%08x %s\n", positions[i], (unsigned)res,
				msg);
			failures++;
		}
		CHECK(msg[0] != '\0');
	}
	/* The first 32 bytes: magic (not a package), version, sizes. */
	memcpy(copy, s.pkg, s.pkg_len);
	copy[0] ^= 1;
	CHECK_RES(open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_BAD_FORMAT);
	memcpy(copy, s.pkg, s.pkg_len);
	copy[8] ^= 2;
	CHECK_RES(open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_NOT_SUPPORTED);
	memcpy(copy, s.pkg, s.pkg_len);
	copy[20] ^= 1; /* block count: out of range for the stream length, or the length differs */
	{
		TEEC_Result res =
		    open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg));

		CHECK(res == TEEC_ERROR_BAD_FORMAT || res == TEEC_ERROR_SECURITY);
	}
	/* Truncated, extended. */
	CHECK_RES(open_copy(&s, s.pkg, s.pkg_len - 64, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_SECURITY);
	memcpy(copy, s.pkg, s.pkg_len);
	copy = realloc(copy, s.pkg_len + 1);
	copy[s.pkg_len] = 0;
	CHECK_RES(open_copy(&s, copy, s.pkg_len + 1, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_SECURITY);

	/*
	 * Re-signed by the attacker (who has the package and any signing key):
	 * a looser policy, and an ephemeral point that is not on the curve. The
	 * signature verifies; the KEK cannot be derived. The TA must not panic
	 * on the bad point (TEE_DeriveKey would): the TEE stays up.
	 */
	memcpy(copy, s.pkg, s.pkg_len);
	copy[CDL_PKG_OFF_MAX_QUERIES] = 5;
	REQUIRE(cdl_pkg_sign(copy, s.pkg_len, test_provider_key(), msg, sizeof(msg)) == CDL_OK);
	CHECK_RES(open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_SECURITY);
	printf("re-signed policy: %s\n", msg);
	memcpy(copy, s.pkg, s.pkg_len);
	copy[CDL_PKG_OFF_EPHEMERAL_PUB + 40] ^= 0x10;
	REQUIRE(cdl_pkg_sign(copy, s.pkg_len, test_provider_key(), msg, sizeof(msg)) == CDL_OK);
	CHECK_RES(open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_SECURITY);
	printf("re-signed off-curve ephemeral key: %s\n", msg);
	memcpy(copy, s.pkg, s.pkg_len);
	memset(copy + CDL_PKG_OFF_EPHEMERAL_PUB + 1, 0, 64);
	REQUIRE(cdl_pkg_sign(copy, s.pkg_len, test_provider_key(), msg, sizeof(msg)) == CDL_OK);
	CHECK_RES(open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_SECURITY);
	/* A provider key that is not a point: the signature check fails cleanly. */
	memcpy(copy, s.pkg, s.pkg_len);
	copy[CDL_PKG_OFF_PROVIDER_PUB + 5] ^= 0x01;
	CHECK_RES(open_copy(&s, copy, s.pkg_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_SECURITY);

	check_usable(&s, m);
	cdl_pkg_close(r);
	cdl_pkg_openssl_fini(&o);
	free(r);
	free(copy);
	setup_stop(&s);
	return failures ? 1 : 0;
}

/* ---- another device -------------------------------------------------------------- */

static int test_other_device(void)
{
	model *m = get_digits();
	EVP_PKEY *other = NULL;
	uint8_t other_pub[CDL_PKG_PUBKEY_LEN], other_id[CDL_PKG_KEY_ID_LEN];
	char other_hex[2 * CDL_PKG_KEY_ID_LEN + 1];
	char want[256], msg[512];
	uint8_t *pkg = NULL;
	size_t len = 0;
	setup s;

	new_state_dir();
	set_heap("");
	setup_start(&s, m, NULL, 0);
	REQUIRE(cdl_key_generate(&other, msg, sizeof(msg)) == CDL_OK);
	REQUIRE(cdl_key_public_point(other, other_pub) == CDL_OK);
	REQUIRE(cdl_key_id(other, other_id) == CDL_OK);
	pkg = make_package(m, other_pub, NULL, 0, &len);
	CHECK_RES(open_copy(&s, pkg, len, CDL_TA_MODE_AUTO, msg, sizeof(msg)),
		  TEEC_ERROR_ACCESS_DENIED);
	cdl_pkg_hex(other_id, sizeof(other_id), other_hex);
	snprintf(want, sizeof(want), "package is not for this device (key id %s", other_hex);
	CHECK(strstr(msg, want) != NULL);
	printf("%s\n", msg);
	check_usable(&s, m);
	EVP_PKEY_free(other);
	free(pkg);
	setup_stop(&s);
	return failures ? 1 : 0;
}

/* ---- output policy ---------------------------------------------------------------- */

/* Reference top-k of v: indices by score descending, ties by lower index. */
static void ref_topk(const float *v, size_t n, size_t k, uint32_t *idx)
{
	bool used[64] = {false};

	for (size_t j = 0; j < k; j++) {
		size_t best = n;

		for (size_t i = 0; i < n; i++)
			if (!used[i] && (best == n || v[i] > v[best]))
				best = i;
		used[best] = true;
		idx[j] = (uint32_t)best;
	}
}

static void check_policy(model *m, uint16_t mode, uint32_t k, size_t want_pairs)
{
	static const uint32_t open_modes[] = {CDL_TA_MODE_AUTO, CDL_TA_MODE_STREAM};
	const uint32_t n = 25;
	cdl_pkg_policy pol = {mode, mode == CDL_PKG_OUTPUT_TOPK ? k : 0, 0, 0};
	float *x = inputs_for(m, n, 11);
	uint8_t *want = plain_outputs(m, x, n);
	size_t item = mode == CDL_PKG_OUTPUT_LABEL ? 4 : want_pairs * 8;
	uint8_t *got = calloc(n, item + 8);
	struct cdl_ta_model_info info;
	setup s;

	setup_start(&s, m, &pol, 4096);
	/*
	 * Auto (resident for digits: one item at a time) and stream (chunks of
	 * the engine's max_batch, 25 = 8 + 8 + 8 + 1: each chunk's outputs go
	 * through the policy item by item).
	 */
	for (size_t om = 0; om < sizeof(open_modes) / sizeof(open_modes[0]); om++) {
		const uint32_t open_mode = open_modes[om];
		ta_pkg *pkg = open_mode == CDL_TA_MODE_STREAM ? &s.shared : NULL;
		size_t len = n * item - 1;
		uint32_t h = 0, got_mode = 0;

		memset(got, 0, n * (item + 8));
		REQUIRE(ta_open_model(&s.t, &s.shared, open_mode, &h, &got_mode, NULL, 0) ==
			TEEC_SUCCESS);
		CHECK(open_mode == CDL_TA_MODE_AUTO || got_mode == CDL_TA_MODE_STREAM);
		CHECK_RES(ta_info(&s.t, h, &info), TEEC_SUCCESS);
		CHECK(info.output_mode == mode && info.topk == pol.topk);
		CHECK_RES(ta_run(&s.t, h, n, x, n * m->in_bytes, got, &len, pkg),
			  TEEC_ERROR_SHORT_BUFFER);
		CHECK(len == n * item);
		len = n * (item + 8);
		CHECK_RES(ta_run(&s.t, h, n, x, n * m->in_bytes, got, &len, pkg), TEEC_SUCCESS);
		CHECK(len == n * item);
		for (uint32_t i = 0; i < n; i++) {
			const float *v = (const float *)(want + i * m->out_bytes);
			uint32_t idx[64];

			ref_topk(v, 10, want_pairs ? want_pairs : 1, idx);
			if (mode == CDL_PKG_OUTPUT_LABEL) {
				uint32_t label = 0;

				memcpy(&label, got + i * item, 4);
				CHECK(label == idx[0]);
				continue;
			}
			for (size_t j = 0; j < want_pairs; j++) {
				uint32_t gi = 0;
				float gs = 0;

				memcpy(&gi, got + i * item + j * 8, 4);
				memcpy(&gs, got + i * item + j * 8 + 4, 4);
				CHECK(gi == idx[j]);
				CHECK(memcmp(&gs, &v[idx[j]], 4) == 0);
			}
		}
		CHECK_RES(ta_close_model(&s.t, h), TEEC_SUCCESS);
	}
	setup_stop(&s);
	free(x);
	free(want);
	free(got);
}

static int test_policy(void)
{
	model *m = get_digits();

	new_state_dir();
	set_heap("");
	check_policy(m, CDL_PKG_OUTPUT_TOPK, 3, 3);
	check_policy(m, CDL_PKG_OUTPUT_TOPK, 1, 1);
	check_policy(m, CDL_PKG_OUTPUT_TOPK, 20, 10); /* k beyond the classes: all of them */
	check_policy(m, CDL_PKG_OUTPUT_LABEL, 0, 0);
	return failures ? 1 : 0;
}

/* ---- query budget ------------------------------------------------------------------- */

static int test_budget(void)
{
	model *m = get_digits();
	cdl_pkg_policy pol = {CDL_PKG_OUTPUT_FULL, 0, 5, 0};
	float *x = inputs_for(m, 4, 5);
	uint8_t out[4 * 40];
	size_t len = 0;
	uint32_t h = 0, h2 = 0;
	struct cdl_ta_stats st;
	char msg[512];
	uint8_t *pkg2 = NULL;
	size_t pkg2_len = 0;
	setup s;

	new_state_dir();
	set_heap("");
	setup_start(&s, m, &pol, 0);
	REQUIRE(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_AUTO, &h, NULL, NULL, 0) ==
		TEEC_SUCCESS);
	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
	CHECK(st.queries_left == 5);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 3, x, 3 * m->in_bytes, out, &len, NULL), TEEC_SUCCESS);
	/* 2 left: a batch of 3 is refused whole, nothing counted. */
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 3, x, 3 * m->in_bytes, out, &len, NULL), CDL_TA_ERROR_BUDGET);
	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
	CHECK(st.queries_left == 2);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, NULL), TEEC_SUCCESS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, out, &len, NULL), CDL_TA_ERROR_BUDGET);
	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
	CHECK(st.queries_left == 0 && st.runs == 2);
	/* Another package (another model id) has its own budget. */
	pkg2 = make_package(m, s.pub, &pol, 0, &pkg2_len);
	CHECK_RES(open_copy(&s, pkg2, pkg2_len, CDL_TA_MODE_AUTO, msg, sizeof(msg)), TEEC_SUCCESS);
	ta_pkg_release(&s.shared);
	ta_stop(&s.t);

	/* A restarted TEE remembers: the package cannot even be opened. */
	REQUIRE(ta_start(&s.t) == TEEC_SUCCESS);
	REQUIRE(ta_pkg_share(&s.t, &s.shared, s.pkg, s.pkg_len, 0) == TEEC_SUCCESS);
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_AUTO, &h2, NULL, msg, sizeof(msg)),
		  CDL_TA_ERROR_BUDGET);
	printf("%s\n", msg);
	CHECK(strstr(msg, "budget") != NULL);
	check_usable(&s, m);
	setup_stop(&s);
	free(pkg2);
	free(x);
	return failures ? 1 : 0;
}

/* ---- expiry ----------------------------------------------------------------------- */

static int test_expired(void)
{
	model *m = get_digits();
	cdl_pkg_policy pol = {CDL_PKG_OUTPUT_FULL, 0, 0, (uint64_t)time(NULL) - 10};
	float *x = inputs_for(m, 1, 5);
	uint8_t out[40];
	size_t len = sizeof(out);
	uint32_t h = 0;
	char msg[512];
	setup s;

	new_state_dir();
	set_heap("");
	setup_start(&s, m, &pol, 0);
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_AUTO, &h, NULL, msg, sizeof(msg)),
		  CDL_TA_ERROR_EXPIRED);
	printf("%s\n", msg);
	CHECK(strstr(msg, "expired") != NULL);
	ta_pkg_release(&s.shared);
	free(s.pkg);

	/* Valid at open, expired two seconds later: RUN refuses. */
	pol.expiry = (uint64_t)time(NULL) + 2;
	s.pkg = make_package(m, s.pub, &pol, 0, &s.pkg_len);
	REQUIRE(ta_pkg_share(&s.t, &s.shared, s.pkg, s.pkg_len, 0) == TEEC_SUCCESS);
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_AUTO, &h, NULL, msg, sizeof(msg)),
		  TEEC_SUCCESS);
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, out, &len, NULL), TEEC_SUCCESS);
	sleep(3);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 1, x, m->in_bytes, out, &len, NULL), CDL_TA_ERROR_EXPIRED);
	check_usable(&s, m);
	setup_stop(&s);
	free(x);
	return failures ? 1 : 0;
}

/* ---- heap exhaustion ------------------------------------------------------------------ */

static int open_until_full(setup *s, uint32_t *handles, int max, char *msg, size_t msg_size,
			   TEEC_Result *last)
{
	int n = 0;

	while (n < max) {
		*last = ta_open_model(&s->t, &s->shared, CDL_TA_MODE_AUTO, &handles[n], NULL, msg,
				      msg_size);
		if (*last != TEEC_SUCCESS)
			break;
		n++;
	}
	return n;
}

static int test_heap_full(void)
{
	model *m = get_digits();
	uint32_t handles[512];
	TEEC_Result last = 0;
	char msg[512];
	int n = 0, again = 0;
	uint32_t mode = 0;
	setup s;

	new_state_dir();
	set_heap("1M");
	setup_start(&s, m, NULL, 0);
	n = open_until_full(&s, handles, 512, msg, sizeof(msg), &last);
	printf("%d models open in a 1 MiB heap, then: %s\n", n, msg);
	CHECK(n >= 2 && n < 512);
	CHECK_RES(last, TEEC_ERROR_OUT_OF_MEMORY);
	CHECK(strstr(msg, "MiB of secure memory") != NULL);
	/* Still usable: close one, open one, run it. */
	CHECK_RES(ta_close_model(&s.t, handles[0]), TEEC_SUCCESS);
	CHECK_RES(open_run_check(&s, m, CDL_TA_MODE_AUTO, 2, 3, &mode), TEEC_SUCCESS);
	/* Nothing leaked: after closing all, as many open again. */
	for (int i = 1; i < n; i++)
		CHECK_RES(ta_close_model(&s.t, handles[i]), TEEC_SUCCESS);
	again = open_until_full(&s, handles, 512, msg, sizeof(msg), &last);
	CHECK(again == n);
	CHECK_RES(last, TEEC_ERROR_OUT_OF_MEMORY);
	for (int i = 0; i < again; i++)
		CHECK_RES(ta_close_model(&s.t, handles[i]), TEEC_SUCCESS);
	setup_stop(&s);
	return failures ? 1 : 0;
}

/* ---- stream mode: the package at RUN ------------------------------------------------- */

static int test_stream_package(void)
{
	model *m = get_digits();
	float *x = inputs_for(m, 2, 8);
	uint8_t *want = plain_outputs(m, x, 2);
	uint8_t out[80];
	size_t len = sizeof(out);
	uint8_t *other = NULL, *bad = NULL;
	size_t other_len = 0;
	ta_pkg p;
	uint32_t h = 0, mode = 0;
	struct cdl_ta_stats st;
	setup s;

	new_state_dir();
	set_heap("");
	setup_start(&s, m, NULL, 4096);
	if (!stream_available(&s)) {
		setup_stop(&s);
		return SKIP;
	}
	REQUIRE(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_STREAM, &h, &mode, NULL, 0) ==
		TEEC_SUCCESS);
	REQUIRE(mode == CDL_TA_MODE_STREAM);
	/* No package, another package of the same model, a truncated one. */
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, NULL),
		  TEEC_ERROR_BAD_PARAMETERS);
	other = make_package(m, s.pub, NULL, 4096, &other_len);
	REQUIRE(other_len == s.pkg_len);
	REQUIRE(ta_pkg_share(&s.t, &p, other, other_len, 0) == TEEC_SUCCESS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, &p), TEEC_ERROR_BAD_PARAMETERS);
	ta_pkg_release(&p);
	REQUIRE(ta_pkg_share(&s.t, &p, s.pkg, s.pkg_len - 1, 0) == TEEC_SUCCESS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, &p), TEEC_ERROR_BAD_PARAMETERS);
	ta_pkg_release(&p);
	/* The same header with a block altered: caught when the block is read. */
	bad = malloc(s.pkg_len);
	memcpy(bad, s.pkg, s.pkg_len);
	bad[s.pkg_len - 64 - 4096 - 100] ^= 0x40; /* inside the last block */
	bad[s.pkg_len - 64 - 2 * 4096 - 100] ^= 0x40;
	REQUIRE(ta_pkg_share(&s.t, &p, bad, s.pkg_len, 0) == TEEC_SUCCESS);
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, &p), TEEC_ERROR_SECURITY);
	ta_pkg_release(&p);
	/* The right one still works. */
	len = sizeof(out);
	CHECK_RES(ta_run(&s.t, h, 2, x, 2 * m->in_bytes, out, &len, &s.shared), TEEC_SUCCESS);
	CHECK(memcmp(out, want, 2 * m->out_bytes) == 0);
	CHECK_RES(ta_stats(&s.t, h, &st), TEEC_SUCCESS);
	CHECK(st.runs == 1);
	check_usable(&s, m);
	setup_stop(&s);
	free(other);
	free(bad);
	free(x);
	free(want);
	return failures ? 1 : 0;
}

/* ---- the plan stays secret in messages ---------------------------------------------- */

static int test_plan_secrecy(void)
{
	model *m = get_digits();
	model patched = *m;
	uint8_t *plan = malloc(m->plan_len);
	uint8_t *pkg = NULL;
	size_t len = 0, hits = 0;
	char msg[512];
	setup s;

	/* An op the engine does not know: create fails naming it, in the TA only. */
	memcpy(plan, m->plan, m->plan_len);
	for (size_t i = 0; i + 5 <= m->plan_len; i++)
		if (memcmp(plan + i, "Gemm\0", 5) == 0) {
			memcpy(plan + i, "Gxmm\0", 5);
			hits++;
		}
	REQUIRE(hits > 0);
	patched.plan = plan;
	new_state_dir();
	set_heap("");
	setup_start(&s, m, NULL, 4096);
	pkg = make_package(&patched, s.pub, NULL, 4096, &len);
	for (uint32_t mode = CDL_TA_MODE_AUTO; mode <= CDL_TA_MODE_STREAM; mode++) {
		CHECK_RES(open_copy(&s, pkg, len, mode, msg, sizeof(msg)),
			  TEEC_ERROR_NOT_SUPPORTED);
		printf("mode %u: %s\n", mode, msg);
		CHECK(msg[0] && !strstr(msg, "Gxmm") && !strstr(msg, "Gemm") && !strchr(msg, '/'));
	}
	check_usable(&s, m);
	setup_stop(&s);
	free(pkg);
	free(plan);
	return failures ? 1 : 0;
}

/* ---- small heaps ---------------------------------------------------------------------- */

static int test_small_heap(void)
{
	model *m = get_digits();
	uint32_t mode = 0, h = 0;
	char msg[512], heap[32];
	setup s;
	int kib = 0, fails_act = 0, fails_res = 0, ok = 0;

	/* 4 MiB (the tight heap): digits works and is exact. */
	new_state_dir();
	set_heap("4M");
	setup_start(&s, m, NULL, 0);
	CHECK_RES(open_run_check(&s, m, CDL_TA_MODE_AUTO, 5, 1, &mode), TEEC_SUCCESS);
	CHECK(mode == CDL_TA_MODE_RESIDENT);
	setup_stop(&s);

	/*
	 * Resident below what it needs: the message states the need. Sweep the
	 * heap from tiny to enough: first even the activations do not fit, then
	 * the weights (resident) do not, then it opens.
	 */
	for (kib = 16; kib <= 512 && !ok; kib += 16) {
		TEEC_Result res = 0;

		snprintf(heap, sizeof(heap), "%dK", kib);
		set_heap(heap);
		setup_start(&s, m, NULL, 0);
		res = ta_open_model(&s.t, &s.shared, CDL_TA_MODE_RESIDENT, &h, &mode, msg,
				    sizeof(msg));
		if (res == TEEC_SUCCESS) {
			ok = kib;
		} else {
			CHECK_RES(res, TEEC_ERROR_OUT_OF_MEMORY);
			CHECK(strstr(msg, "needs ") && strstr(msg, " MiB of secure memory ") &&
			      strstr(msg, "budget is "));
			if (strstr(msg, "for activations,") || strstr(msg, "needs at least"))
				fails_act++;
			else if (strstr(msg, "weights"))
				fails_res++;
			printf("heap %s: %s\n", heap, msg);
		}
		setup_stop(&s);
	}
	printf("resident opens from a %d KiB heap; %d smaller heaps lacked room for activations, "
	       "%d for the weights\n",
	       ok, fails_act, fails_res);
	CHECK(ok > 0 && fails_act > 0);
	return failures ? 1 : 0;
}

/* ---- resnet18 at 4 MiB (DESIGN §6; skipped without the model) ---------------------------- */

static int test_resnet18_4m(void)
{
	const char *path = model_path("resnet18");
	model m;
	uint32_t mode = 0, h = 0;
	char msg[512];
	setup s;

	if (!path) {
		fprintf(stderr, "no resnet18 (scripts/make_models.py --only resnet18)\n");
		return SKIP;
	}
	model_load(&m, path);
	new_state_dir();
	set_heap("4M");
	setup_start(&s, &m, NULL, 0);
	CHECK_RES(ta_open_model(&s.t, &s.shared, CDL_TA_MODE_RESIDENT, &h, &mode, msg, sizeof(msg)),
		  TEEC_ERROR_OUT_OF_MEMORY);
	printf("resident at 4M: %s\n", msg);
	CHECK(strstr(msg, "needs ") && strstr(msg, "budget is 4 MiB"));
	/* The bar (DESIGN §6): streaming runs it, exactly, in 4 MiB. */
	CHECK_RES(open_run_check(&s, &m, CDL_TA_MODE_AUTO, 1, 1, &mode), TEEC_SUCCESS);
	CHECK(mode == CDL_TA_MODE_STREAM);
	setup_stop(&s);
	model_free(&m);
	return failures ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
    {"device_key", test_device_key},
    {"run", test_run},
    {"modes", test_modes},
    {"params", test_params},
    {"tamper", test_tamper},
    {"other_device", test_other_device},
    {"policy", test_policy},
    {"budget", test_budget},
    {"expired", test_expired},
    {"heap_full", test_heap_full},
    {"stream_package", test_stream_package},
    {"small_heap", test_small_heap},
    {"plan_secrecy", test_plan_secrecy},
    {"resnet18_4m", test_resnet18_4m},
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ta_tests NAME\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(argv[1], tests[i].name) == 0) {
			int rc = tests[i].fn();

			if (digits_loaded)
				model_free(&digits);
			if (rc == 0 && failures)
				rc = 1;
			printf("%s: %s\n", argv[1],
			       rc == 0	    ? "ok"
			       : rc == SKIP ? "skipped"
					    : "FAILED");
			return rc;
		}
	fprintf(stderr, "ta_tests: no test %s\n", argv[1]);
	return 2;
}
