// SPDX-License-Identifier: Apache-2.0
/*
 * The engine on worker threads (cdl_engine_options.parallel, a real
 * src/common thread pool): for each model given, the outputs with 2 and 3
 * workers are bit-identical to one thread's -- resident, streamed with every
 * layer tiled by output channels, with the GEMM workspace capped, and in a
 * streamed batch -- and the engine takes one workspace more per worker.
 *
 *   test_engine_threads DIR...   (DIR/model.onnx, DIR/test_data_set_0/input_0.pb)
 */
#define TEST_RNG_SEED 0x7468726561647321ull
#include "test_stream_util.h"
#include "thread_pool.h"

typedef struct setup {
	const char *what;
	bool fetch;            /* weights streamed */
	size_t stream_buffer;  /* 0: as large as the largest layer */
	size_t max_workspace;  /* 0: none */
	uint32_t batch;
} setup;

/* Runs plan (parsed from buf) with opts on `batch` copies of in; outputs malloc'd, item after item. */
static float *run(const uint8_t *buf, size_t len, const cdl_tensor *in, const setup *s,
		  const cdl_parallel *par, size_t *out_floats, cdl_engine_stats *stats)
{
	char msg[1024] = "";
	uint8_t *pmem = malloc(3 * len + 4096), *emem = NULL;
	cdl_arena pa, ea;
	const cdl_plan *plan = NULL;
	cdl_engine *e = NULL;
	cdl_engine_options o;
	fetcher f;
	size_t need = 0, n = 0;
	cdl_tensor ins[4], outs[4];
	float *out = NULL;

	CHECK(pmem && s->batch >= 1 && s->batch <= 4);
	cdl_arena_init(&pa, pmem, 3 * len + 4096);
	CHECK_OK(cdl_plan_parse(buf, len, &pa, &plan, msg, sizeof(msg)), msg);
	CHECK(plan->n_inputs == 1 && plan->n_outputs == 1);
	memset(&o, 0, sizeof(o));
	if (s->fetch) {
		fetcher_init(&f, buf, len);
		o.fetch = fetch_cb;
		o.fetch_arg = &f;
		o.resident_budget = 0;
		o.stream_buffer = s->stream_buffer;
		o.max_batch = s->batch;
	}
	o.max_workspace = s->max_workspace;
	o.parallel = par;
	CHECK_OK(cdl_engine_memory_needed_ex(plan, &o, &need, msg, sizeof(msg)), msg);
	emem = malloc(need);
	CHECK(emem);
	cdl_arena_init(&ea, emem, need);
	CHECK_OK(cdl_engine_create_ex(plan, &o, &ea, &e, msg, sizeof(msg)), msg);
	n = (size_t)plan->tensors[plan->outputs[0]].size / sizeof(float);
	out = malloc(n * s->batch * sizeof(float));
	CHECK(out);
	for (uint32_t b = 0; b < s->batch; b++) {
		ins[b] = *in;
		outs[b].data = out + b * n;
	}
	CHECK_OK(cdl_engine_run_batch(e, s->batch, ins, 1, outs, 1, msg, sizeof(msg)), msg);
	cdl_engine_get_stats(e, stats);
	*out_floats = n * s->batch;
	free(emem);
	free(pmem);
	return out;
}

static int check_model(const char *dir)
{
	static const setup setups[] = {
	    {"resident", false, 0, 0, 1},
	    {"streamed, tiled (48 KiB buffer)", true, 48 * 1024, 0, 1},
	    {"workspace capped at 8 KiB", false, 0, 8 * 1024, 1},
	    {"streamed batch of 3", true, 0, 0, 3},
	};
	char name[256];
	cdl_tensor in;
	uint8_t *plan = NULL;
	size_t plan_len = 0;
	int failures = 0;

	if (!compile_onnx_dir(dir, name, sizeof(name), &in, &plan, &plan_len)) {
		printf("%s: no test input: skipped\n", dir);
		return 0;
	}
	for (size_t k = 0; k < sizeof(setups) / sizeof(setups[0]); k++) {
		const setup *s = &setups[k];
		cdl_engine_stats st1, stn;
		size_t n1 = 0, nn = 0;
		float *ref = run(plan, plan_len, &in, s, NULL, &n1, &st1);

		CHECK(st1.workers == 1);
		for (uint32_t workers = 2; workers <= 3; workers++) {
			cdl_thread_pool *pool = cdl_thread_pool_create(workers, NULL, 0, 0);
			float *got = NULL;

			CHECK(pool);
			got = run(plan, plan_len, &in, s, cdl_thread_pool_parallel(pool), &nn, &stn);
			CHECK(nn == n1);
			if (stn.workers != workers || memcmp(got, ref, n1 * sizeof(float)) != 0) {
				fprintf(stderr,
					"%s, %s, %u workers: %u workers used, max |diff| %g (want bit-identical)\n",
					name, s->what, workers, stn.workers,
					(double)tp_max_abs_diff(got, ref, n1));
				failures++;
			}
			/* each worker has a workspace of its own (up to alignment padding) */
			CHECK(stn.engine_bytes + 64 * workers >=
			      st1.engine_bytes + (workers - 1) * st1.workspace_bytes);
			free(got);
			cdl_thread_pool_destroy(pool);
		}
		printf("%s, %s: 2 and 3 workers %s (%u tiled layers)\n", name, s->what,
		       failures ? "DIFFER" : "bit-identical", st1.tiled_nodes);
		free(ref);
	}
	free(plan);
	free(in.data);
	return failures;
}

int main(int argc, char **argv)
{
	int failures = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: test_engine_threads MODEL_DIR...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		failures += check_model(argv[i]);
	return failures ? 1 : 0;
}
