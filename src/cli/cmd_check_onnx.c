// SPDX-License-Identifier: Apache-2.0
/*
 * cdl check-onnx DIR...: runs test cases laid out like the ONNX backend
 * tests (model.onnx + test_data_set_N/{input,output}_K.pb) through
 * import -> passes -> plan -> engine in the normal world and compares the
 * outputs with the expected ones.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "cli_tee.h"
#include "cli_util.h"
#include "engine/engine.h"
#include "engine/plan.h"
#include "provider/provider.h"

#define MAX_IO 64
#define MAX_SETS 16

typedef struct check_opts {
	double rtol, atol;
	bool verbose;
	bool timing;
	int unsupported_exit; /* exit code when nothing passed or failed but some were unsupported */
	bool confidential;    /* pack each case for this device, run it through the TA */
	bool identical;	      /* with confidential: also bit-identical to the plain engine */
	cdl_mode mode;	      /* with confidential: the TA's execution mode */
} check_opts;

/* --confidential: one TEE context for all cases (a fresh one if it dies). */
static cdl_context *tee_ctx;

typedef enum { RESULT_PASS, RESULT_FAIL, RESULT_UNSUPPORTED } check_result;

typedef struct data_set {
	cdl_host_tensor inputs[MAX_IO];
	uint32_t n_inputs;
	cdl_host_tensor outputs[MAX_IO];
	uint32_t n_outputs;
} data_set;

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

cdl_status cdl_read_tensor_pb(const char *path, cdl_host_tensor *out, char *msg, size_t msg_size)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char *name = NULL;
	cdl_status status;
	char inner[512];

	memset(out, 0, sizeof(*out));
	status = cdl_read_file(path, &buf, &len, msg, msg_size);
	if (status)
		return status;
	status = cdl_onnx_parse_tensor(buf, len, &name, &out->t, inner, sizeof(inner));
	free(buf);
	if (status) {
		const char *base = strrchr(path, '/');

		snprintf(msg, msg_size, "%s: %s", base ? base + 1 : path, inner);
		return status;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	free(name);
	return CDL_OK;
}

void cdl_host_tensor_free(cdl_host_tensor *t)
{
	free(t->t.data);
	t->t.data = NULL;
}

static void free_set(data_set *s)
{
	for (uint32_t i = 0; i < s->n_inputs; i++)
		cdl_host_tensor_free(&s->inputs[i]);
	for (uint32_t i = 0; i < s->n_outputs; i++)
		cdl_host_tensor_free(&s->outputs[i]);
	s->n_inputs = s->n_outputs = 0;
}

static cdl_status load_set(const char *dir, data_set *s, char *msg, size_t msg_size)
{
	char path[4096];
	cdl_status status;

	memset(s, 0, sizeof(*s));
	for (uint32_t k = 0; k < MAX_IO; k++) {
		if (snprintf(path, sizeof(path), "%s/input_%u.pb", dir, k) >= (int)sizeof(path) ||
		    !cdl_cli_is_file(path))
			break;
		status = cdl_read_tensor_pb(path, &s->inputs[k], msg, msg_size);
		if (status)
			return status;
		s->n_inputs = k + 1;
	}
	for (uint32_t k = 0; k < MAX_IO; k++) {
		if (snprintf(path, sizeof(path), "%s/output_%u.pb", dir, k) >= (int)sizeof(path) ||
		    !cdl_cli_is_file(path))
			break;
		status = cdl_read_tensor_pb(path, &s->outputs[k], msg, msg_size);
		if (status)
			return status;
		s->n_outputs = k + 1;
	}
	if (!s->n_outputs) {
		snprintf(msg, msg_size, "%.900s has no output_0.pb", dir);
		return CDL_ERR_MALFORMED;
	}
	return CDL_OK;
}

/* Compares got against want; updates the max errors; false on mismatch. */
static bool compare(const cdl_tensor *got, const cdl_tensor *want, const check_opts *o,
		    double *max_abs, double *max_rel, char *why, size_t why_size)
{
	size_t n = 0;
	char a[128], b[128];

	if (!cdl_tensor_same_shape(got, want)) {
		snprintf(why, why_size, "output is %s %s, expected %s %s", cdl_dtype_name(got->dtype),
			 cdl_shape_str(got, a, sizeof(a)), cdl_dtype_name(want->dtype),
			 cdl_shape_str(want, b, sizeof(b)));
		return false;
	}
	if (!cdl_tensor_numel(want, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		double g, w, err, rel;

		if (want->dtype == CDL_DTYPE_F32) {
			g = ((const float *)got->data)[i];
			w = ((const float *)want->data)[i];
			if (isnan(w) || isnan(g)) {
				if (isnan(w) && isnan(g))
					continue;
				snprintf(why, why_size, "element %zu is %g, expected %g", i, g, w);
				return false;
			}
			if (isinf(w) || isinf(g)) {
				if (g == w)
					continue;
				snprintf(why, why_size, "element %zu is %g, expected %g", i, g, w);
				return false;
			}
		} else {
			g = (double)cdl_tensor_get_int(got, i);
			w = (double)cdl_tensor_get_int(want, i);
		}
		err = fabs(g - w);
		rel = w != 0.0 ? err / fabs(w) : (err ? INFINITY : 0.0);
		if (err > *max_abs)
			*max_abs = err;
		if (rel > *max_rel && fabs(w) > o->atol)
			*max_rel = rel;
		if (want->dtype != CDL_DTYPE_F32 ? err != 0.0 : err > o->atol + o->rtol * fabs(w)) {
			if (!why[0])
				snprintf(why, why_size, "element %zu is %.9g, expected %.9g", i, g, w);
		}
	}
	return why[0] == '\0';
}

static check_result run_case(const char *case_dir, const char *label, const check_opts *o)
{
	char path[4096], msg[1024] = "", why[512] = "";
	uint8_t *model = NULL, *plan_bytes = NULL, *plan_buf = NULL, *mem = NULL;
	size_t model_len = 0, plan_len = 0, mem_size = 0, engine_bytes = 0;
	char **names = NULL;
	uint32_t n_names = 0, n_sets = 0;
	data_set *sets = NULL;
	cdl_input_shape shapes[MAX_IO];
	cdl_graph *g = NULL;
	cdl_arena arena;
	const cdl_plan *plan = NULL;
	cdl_engine *engine = NULL;
	cdl_status status;
	check_result result = RESULT_FAIL;
	double max_abs = 0.0, max_rel = 0.0, t0 = now_ms(), t_compile = 0.0, t_run = 0.0;
	cdl_tensor outs[MAX_IO];
	cdl_tensor touts[MAX_IO]; /* --confidential: the TA's outputs */
	size_t tcaps[MAX_IO];
	cdl_model *tmodel = NULL;

	memset(outs, 0, sizeof(outs));
	memset(touts, 0, sizeof(touts));
	snprintf(path, sizeof(path), "%s/model.onnx", case_dir);
	status = cdl_read_file(path, &model, &model_len, msg, sizeof(msg));
	if (status)
		goto out;
	status = cdl_onnx_input_names(model, model_len, &names, &n_names, msg, sizeof(msg));
	if (status)
		goto out;

	sets = calloc(MAX_SETS, sizeof(*sets));
	if (!sets) {
		status = CDL_ERR_OUT_OF_MEMORY;
		snprintf(msg, sizeof(msg), "out of memory");
		goto out;
	}
	for (uint32_t k = 0; k < MAX_SETS; k++) {
		snprintf(path, sizeof(path), "%s/test_data_set_%u", case_dir, k);
		if (!is_dir(path))
			break;
		status = load_set(path, &sets[k], msg, sizeof(msg));
		n_sets = k + 1;
		if (status)
			goto out;
	}
	if (!n_sets) {
		status = CDL_ERR_MALFORMED;
		snprintf(msg, sizeof(msg), "no test_data_set_0 in %s", case_dir);
		goto out;
	}
	if (sets[0].n_inputs != n_names) {
		status = CDL_ERR_INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "model has %u inputs, test data gives %u", n_names,
			 sets[0].n_inputs);
		goto out;
	}
	/* The test inputs' shapes resolve the model's symbolic dims. */
	for (uint32_t k = 0; k < n_names; k++) {
		const cdl_tensor *t = &sets[0].inputs[k].t;

		shapes[k].name = names[k];
		shapes[k].rank = t->rank;
		memcpy(shapes[k].dims, t->dims, sizeof(t->dims));
	}

	status = cdl_onnx_import(model, model_len, shapes, n_names, &g, msg, sizeof(msg));
	if (status)
		goto out;
	status = cdl_optimize(g, msg, sizeof(msg));
	if (status)
		goto out;
	status = cdl_plan_memory(g, msg, sizeof(msg));
	if (status)
		goto out;
	status = cdl_plan_write(g, &plan_bytes, &plan_len, msg, sizeof(msg));
	if (status)
		goto out;
	cdl_graph_free(g);
	g = NULL;

	/* What the TA would do: parse the plan and bind it to one block of memory. */
	plan_buf = aligned_alloc(CDL_PLAN_ALIGN, (plan_len + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN *
							 CDL_PLAN_ALIGN);
	if (!plan_buf) {
		status = CDL_ERR_OUT_OF_MEMORY;
		snprintf(msg, sizeof(msg), "out of memory for a %zu-byte plan", plan_len);
		goto out;
	}
	memcpy(plan_buf, plan_bytes, plan_len);
	/* aligned_alloc wants a multiple of the alignment */
	mem_size = (plan_len + (1u << 20) + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN * CDL_PLAN_ALIGN;
	mem = aligned_alloc(CDL_PLAN_ALIGN, mem_size);
	if (!mem) {
		status = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	cdl_arena_init(&arena, mem, mem_size);
	status = cdl_plan_parse(plan_buf, plan_len, &arena, &plan, msg, sizeof(msg));
	if (status)
		goto out;
	status = cdl_engine_memory_needed(plan, &engine_bytes, msg, sizeof(msg));
	if (status)
		goto out;
	{
		/* engine memory comes after the plan tables: grow the block if needed */
		size_t need = arena.used + engine_bytes + CDL_PLAN_ALIGN;

		if (need > mem_size) {
			uint8_t *bigger = aligned_alloc(CDL_PLAN_ALIGN,
							(need + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN *
								CDL_PLAN_ALIGN);

			if (!bigger) {
				status = CDL_ERR_OUT_OF_MEMORY;
				snprintf(msg, sizeof(msg), "out of memory for %zu bytes", need);
				goto out;
			}
			free(mem);
			mem = bigger;
			mem_size = (need + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN * CDL_PLAN_ALIGN;
			cdl_arena_init(&arena, mem, mem_size);
			status = cdl_plan_parse(plan_buf, plan_len, &arena, &plan, msg, sizeof(msg));
			if (status)
				goto out;
		}
	}
	status = cdl_engine_create(plan, &arena, &engine, msg, sizeof(msg));
	if (status)
		goto out;
	t_compile = now_ms() - t0;

	if (plan->n_outputs != sets[0].n_outputs) {
		status = CDL_ERR_INVALID_ARGUMENT;
		snprintf(msg, sizeof(msg), "model has %u outputs, test data expects %u",
			 plan->n_outputs, sets[0].n_outputs);
		goto out;
	}
	for (uint32_t k = 0; k < plan->n_outputs; k++) {
		const cdl_plan_tensor *pt = &plan->tensors[plan->outputs[k]];

		outs[k] = pt->desc;
		outs[k].data = malloc(pt->size + 1);
		if (!outs[k].data) {
			status = CDL_ERR_OUT_OF_MEMORY;
			goto out;
		}
		if (o->confidential) {
			touts[k] = pt->desc;
			tcaps[k] = pt->size;
			touts[k].data = malloc(pt->size + 1);
			if (!touts[k].data) {
				status = CDL_ERR_OUT_OF_MEMORY;
				goto out;
			}
		}
	}
	if (o->confidential) {
		/* what a provider would send this device: the plan, packed for its key */
		status = cdl_confidential_load(&tee_ctx, plan_bytes, plan_len, plan, o->mode,
					       &tmodel, msg, sizeof(msg));
		if (status)
			goto out;
		t_compile = now_ms() - t0;
	}
	result = RESULT_PASS;
	for (uint32_t s = 0; s < n_sets; s++) {
		cdl_tensor ins[MAX_IO];
		double t1 = now_ms();

		cdl_tensor *got = outs;

		for (uint32_t k = 0; k < sets[s].n_inputs; k++)
			ins[k] = sets[s].inputs[k].t;
		if (!o->confidential || o->identical) {
			status = cdl_engine_run(engine, ins, sets[s].n_inputs, outs,
						plan->n_outputs, msg, sizeof(msg));
			t_run += now_ms() - t1;
			if (status) {
				result = RESULT_FAIL;
				goto out;
			}
		}
		if (o->confidential) {
			t1 = now_ms();
			status = cdl_confidential_run(tmodel, ins, sets[s].n_inputs, touts, tcaps,
						      plan->n_outputs, msg, sizeof(msg));
			t_run += now_ms() - t1;
			if (status) {
				result = RESULT_FAIL;
				goto out;
			}
			got = touts;
			for (uint32_t k = 0; o->identical && k < plan->n_outputs; k++) {
				size_t nb = 0;

				if (!cdl_tensor_same_shape(&outs[k], &touts[k]) ||
				    !cdl_tensor_nbytes(&outs[k], &nb) ||
				    memcmp(outs[k].data, touts[k].data, nb) != 0) {
					result = RESULT_FAIL;
					snprintf(msg, sizeof(msg),
						 "data set %u output %u: the TA's output is not "
						 "bit-identical to the plain engine's",
						 s, k);
					break;
				}
			}
			if (result == RESULT_FAIL)
				break;
		}
		for (uint32_t k = 0; k < plan->n_outputs && k < sets[s].n_outputs; k++) {
			if (!compare(&got[k], &sets[s].outputs[k].t, o, &max_abs, &max_rel, why,
				     sizeof(why))) {
				result = RESULT_FAIL;
				snprintf(msg, sizeof(msg), "data set %u output %u: %s", s, k, why);
				why[0] = '\0';
				break;
			}
		}
		if (result == RESULT_FAIL)
			break;
	}
	status = CDL_OK;
out:
	if (status == CDL_ERR_UNSUPPORTED)
		result = RESULT_UNSUPPORTED;
	else if (status)
		result = RESULT_FAIL;
	switch (result) {
	case RESULT_PASS:
		printf("PASS %s %.3g %.3g", label, max_abs, max_rel);
		break;
	case RESULT_FAIL:
		printf("FAIL %s %.3g %.3g %s", label, max_abs, max_rel, msg);
		break;
	case RESULT_UNSUPPORTED:
		printf("UNSUPPORTED %s - - %s", label, msg);
		break;
	}
	if (o->timing && result == RESULT_PASS)
		printf(" (compile %.1f ms, run %.2f ms/inference)", t_compile,
		       n_sets ? t_run / n_sets : 0.0);
	printf("\n");
	fflush(stdout);

	for (uint32_t k = 0; k < MAX_IO; k++) {
		free(outs[k].data);
		free(touts[k].data);
	}
	cdl_model_delete(tmodel);
	for (uint32_t s = 0; sets && s < n_sets; s++)
		free_set(&sets[s]);
	free(sets);
	for (uint32_t k = 0; k < n_names; k++)
		free(names[k]);
	free(names);
	cdl_graph_free(g);
	free(plan_bytes);
	free(plan_buf);
	free(mem);
	free(model);
	return result;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cdl check-onnx [--rtol R] [--atol A] [--time] [--unsupported-exit N]\n"
		   "                      [--confidential [--identical] [--mode M]] DIR...\n"
		   "  DIR is a test case (model.onnx + test_data_set_N/) or a folder of them.\n"
		   "  Prints PASS|FAIL|UNSUPPORTED <case> <max abs err> <max rel err> per case;\n"
		   "  exits 0 iff no case failed (or N if given and every case was unsupported).\n"
		   "  Defaults: --rtol 1e-3 --atol 1e-4.\n"
		   "  --confidential  pack each model for this device (its TEE's device key, a\n"
		   "                  throwaway provider key) and run it inside the TEE\n"
		   "  --identical     with --confidential: also run the plain engine and require\n"
		   "                  bit-identical outputs\n"
		   "  --mode M        with --confidential: auto (default), resident or stream\n");
}

int cdl_cmd_check_onnx(int argc, char **argv)
{
	check_opts o = { .rtol = 1e-3, .atol = 1e-4 };
	static const struct option long_opts[] = {
		{ "rtol", required_argument, NULL, 'r' }, { "atol", required_argument, NULL, 'a' },
		{ "time", no_argument, NULL, 't' },       { "help", no_argument, NULL, 'h' },
		{ "unsupported-exit", required_argument, NULL, 'u' },
		{ "confidential", no_argument, NULL, 'C' }, { "identical", no_argument, NULL, 'I' },
		{ "mode", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned passed = 0, failed = 0, unsupported = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.rtol = strtod(optarg, NULL);
			break;
		case 'a':
			o.atol = strtod(optarg, NULL);
			break;
		case 't':
			o.timing = true;
			break;
		case 'u':
			o.unsupported_exit = atoi(optarg);
			break;
		case 'C':
			o.confidential = true;
			break;
		case 'I':
			o.identical = true;
			break;
		case 'M':
			if (strcmp(optarg, "auto") == 0)
				o.mode = CDL_MODE_AUTO;
			else if (strcmp(optarg, "resident") == 0)
				o.mode = CDL_MODE_RESIDENT;
			else if (strcmp(optarg, "stream") == 0)
				o.mode = CDL_MODE_STREAM;
			else {
				fprintf(stderr, "cdl check-onnx: --mode %s: auto, resident or stream\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		char path[4096];
		const char *dir = argv[i];

		snprintf(path, sizeof(path), "%s/model.onnx", dir);
		if (cdl_cli_is_file(path)) {
			check_result r = run_case(dir, dir, &o);

			passed += r == RESULT_PASS;
			failed += r == RESULT_FAIL;
			unsupported += r == RESULT_UNSUPPORTED;
			continue;
		}
		{
			DIR *d = opendir(dir);
			struct dirent *e;
			char **subs = NULL;
			size_t n = 0, cap = 0;

			if (!d) {
				printf("FAIL %s 0 0 cannot open: %s\n", dir, strerror(errno));
				failed++;
				continue;
			}
			while ((e = readdir(d))) {
				char sub[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(sub, sizeof(sub), "%s/%s/model.onnx", dir, e->d_name);
				if (!cdl_cli_is_file(sub))
					continue;
				if (n == cap) {
					char **grown;

					cap = cap ? cap * 2 : 64;
					grown = realloc(subs, cap * sizeof(*subs));
					if (!grown)
						break;
					subs = grown;
				}
				subs[n] = strdup(e->d_name);
				if (subs[n])
					n++;
			}
			closedir(d);
			if (!n) {
				printf("FAIL %s 0 0 no model.onnx in it or in its subfolders\n", dir);
				failed++;
			}
			qsort(subs, n, sizeof(*subs), cmp_str);
			for (size_t k = 0; k < n; k++) {
				char case_dir[4096];
				check_result r;

				snprintf(case_dir, sizeof(case_dir), "%s/%s", dir, subs[k]);
				r = run_case(case_dir, subs[k], &o);
				passed += r == RESULT_PASS;
				failed += r == RESULT_FAIL;
				unsupported += r == RESULT_UNSUPPORTED;
				free(subs[k]);
			}
			free(subs);
		}
	}
	cdl_context_delete(tee_ctx);
	tee_ctx = NULL;
	printf("%u passed, %u failed, %u unsupported\n", passed, failed, unsupported);
	if (failed)
		return 1;
	/* lets CTest show an all-unsupported case as skipped rather than passed */
	if (o.unsupported_exit && !passed && unsupported)
		return o.unsupported_exit;
	return 0;
}
