/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Open (verify + decrypt) and run times of models in the cdl TA, resident vs
 * stream at several secure-heap sizes, against the plain engine. A benchmark,
 * not a test: it prints figures.
 *
 *   cdl-ta-bench [MODEL...]        default: digits resnet18
 *
 * Environment: CDL_TEE_BIN (cdl-tee; default next to this program),
 * CDL_MODELS_DIR (default models), CDL_TA_BENCH_RUNS (default 20 for small
 * models, 5 for large).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ta_util.h"

struct config {
	uint32_t mode;
	const char *heap;
};

static const struct config configs[] = {
    {CDL_TA_MODE_RESIDENT, "64M"}, {CDL_TA_MODE_STREAM, "64M"}, {CDL_TA_MODE_AUTO, "16M"},
    {CDL_TA_MODE_STREAM, "16M"},   {CDL_TA_MODE_STREAM, "4M"},	{CDL_TA_MODE_RESIDENT, "4M"},
};

static const char *mode_name(uint32_t mode)
{
	return mode == CDL_TA_MODE_RESIDENT ? "resident"
	       : mode == CDL_TA_MODE_STREAM ? "stream"
					    : "auto";
}

static void bench(const char *name)
{
	const char *path = model_path(name);
	model m;
	float *x = NULL;
	uint8_t *out = NULL;
	double t0 = 0, plain_ms = 0;
	int runs = 0;
	const char *env_runs = getenv("CDL_TA_BENCH_RUNS");

	if (!path) {
		printf("%s: not found (scripts/make_models.py --if-missing --only %s)\n", name,
		       name);
		return;
	}
	t0 = now_ms();
	model_load(&m, path);
	printf("%s: compiled in %.0f ms, plan %zu bytes (weights %llu, arena %llu)\n", name,
	       now_ms() - t0, m.plan_len, (unsigned long long)m.p->weights_size,
	       (unsigned long long)m.p->arena_size);
	runs = env_runs ? atoi(env_runs) : m.plan_len > (8u << 20) ? 5 : 20;
	x = malloc(m.in_bytes);
	out = malloc(m.out_bytes);
	fill_inputs(x, m.in_bytes / sizeof(float), 1);
	model_run_plain(&m, x, out);
	t0 = now_ms();
	for (int i = 0; i < runs; i++)
		model_run_plain(&m, x, out);
	plain_ms = (now_ms() - t0) / runs;
	printf("  plain engine: %.3f ms per inference\n", plain_ms);
	printf("  %-9s %-5s %-9s %9s %9s %9s %9s %12s %9s\n", "asked", "heap", "mode", "open ms",
	       "warm ms", "run ms", "TA run", "decrypt/run", "peak MiB");
	new_state_dir();
	for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++) {
		uint8_t pub[CDL_PKG_PUBKEY_LEN], id[CDL_PKG_KEY_ID_LEN];
		struct cdl_ta_stats st;
		uint8_t *pkg = NULL;
		size_t pkg_len = 0, len = 0;
		uint32_t h = 0, mode = 0;
		double open_ms = 0, warm_ms = 0, run_ms = 0;
		char msg[512];
		ta_pkg shared;
		TEEC_Result res = 0;
		ta t;

		set_heap(configs[c].heap);
		if (ta_start(&t) != TEEC_SUCCESS || ta_device_key(&t, pub, id) != TEEC_SUCCESS) {
			printf("  cannot start cdl-tee\n");
			break;
		}
		pkg = make_package(&m, pub, NULL, 0, &pkg_len);
		if (ta_pkg_share(&t, &shared, pkg, pkg_len, 0) != TEEC_SUCCESS) {
			printf("  cannot share the package\n");
			ta_stop(&t);
			free(pkg);
			break;
		}
		t0 = now_ms();
		res = ta_open_model(&t, &shared, configs[c].mode, &h, &mode, msg, sizeof(msg));
		open_ms = now_ms() - t0;
		if (res != TEEC_SUCCESS) {
			printf("  %-9s %-5s refused: %s\n", mode_name(configs[c].mode),
			       configs[c].heap, msg);
			goto next;
		}
		/*
		 * Again, in a warm TEE: the first open also pays for the host
		 * TEE's first touch of its memfd_secret heap pages (~10 us a page).
		 */
		ta_close_model(&t, h);
		t0 = now_ms();
		res = ta_open_model(&t, &shared, configs[c].mode, &h, &mode, msg, sizeof(msg));
		warm_ms = now_ms() - t0;
		if (res != TEEC_SUCCESS) {
			printf("  second open failed: %s\n", msg);
			goto next;
		}
		len = m.out_bytes;
		res = ta_run(&t, h, 1, x, m.in_bytes, out, &len,
			     mode == CDL_TA_MODE_STREAM ? &shared : NULL);
		t0 = now_ms();
		for (int i = 0; i < runs && res == TEEC_SUCCESS; i++) {
			len = m.out_bytes;
			res = ta_run(&t, h, 1, x, m.in_bytes, out, &len,
				     mode == CDL_TA_MODE_STREAM ? &shared : NULL);
		}
		run_ms = (now_ms() - t0) / runs;
		if (res != TEEC_SUCCESS || ta_stats(&t, h, &st) != TEEC_SUCCESS) {
			printf("  %-9s %-5s run failed: 0x%08x\n", mode_name(configs[c].mode),
			       configs[c].heap, (unsigned)res);
			goto next;
		}
		printf("  %-9s %-5s %-9s %9.1f %9.1f %9.3f %9.1f %12llu %9.2f\n",
		       mode_name(configs[c].mode), configs[c].heap, mode_name(mode), open_ms,
		       warm_ms, run_ms, st.run_time_us / 1000.0,
		       (unsigned long long)st.decrypted_last_run, st.heap_peak / 1048576.0);
	next:
		ta_pkg_release(&shared);
		ta_stop(&t);
		free(pkg);
	}
	free(x);
	free(out);
	model_free(&m);
}

int main(int argc, char **argv)
{
	if (!getenv("TA_TEST_TMP"))
		setenv("TA_TEST_TMP", "/tmp/cdl-ta-bench", 1);
	if (argc < 2) {
		bench("digits");
		bench("resnet18");
	}
	for (int i = 1; i < argc; i++)
		bench(argv[i]);
	return 0;
}
