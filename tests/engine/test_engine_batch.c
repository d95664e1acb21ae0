// SPDX-License-Identifier: Apache-2.0
/*
 * Batches (DESIGN §6.3): cdl_engine_run_batch fetches each streamed weight
 * once for the whole batch, running every node for each item in its own
 * activation arena.
 *
 * For every engine here, in fetch mode with small stream buffers (so that
 * nodes run in tiles), batches of 1..8 random inputs must give outputs
 * bit-identical to one cdl_engine_run per item, and fetch exactly what one
 * cdl_engine_run fetches. A fetch failing at any call of a batch returns
 * its status and the next batch (and run) succeeds. memory_needed_ex grows
 * by (max_batch - 1) activation arenas when something is streamed, by
 * nothing when everything is resident. Every engine lives in an allocation
 * of exactly what cdl_engine_memory_needed_ex said (ASan sees overruns).
 *
 *   test_engine_batch DIGITS_DIR       hand-built graphs (every tile kind), digits
 *   test_engine_batch model DIR...     torchvision nets (skipped when absent)
 *   test_engine_batch auto DIR...      the auto mode only, at 8..64 MiB budgets
 */
#include "engine/kernels/gemm.h"

#define TEST_RNG_SEED 0x9e3779b97f4a7c15ull
#include "test_stream_util.h"

#define MIB ((size_t)1 << 20)
#define MAXB 8u

static size_t round64(size_t v)
{
	return (v + CDL_PLAN_ALIGN - 1) & ~(size_t)(CDL_PLAN_ALIGN - 1);
}

/* --- a model: plan bytes, one f32 input, one f32 output --------------------------- */

typedef struct model {
	char name[64];
	uint8_t *plan;
	size_t plan_len;
	cdl_tensor in; /* shape only */
	size_t in_floats, out_floats;
} model;

static void model_free(model *m)
{
	free(m->plan);
	memset(m, 0, sizeof(*m));
}

static void model_sizes(model *m)
{
	char msg[512] = "";
	tp_loaded l;

	CHECK_OK(tp_load(m->plan, m->plan_len, 0, &l, msg, sizeof(msg)), msg);
	CHECK(l.plan->n_inputs == 1 && l.plan->n_outputs == 1);
	CHECK(l.plan->tensors[l.plan->inputs[0]].desc.dtype == CDL_DTYPE_F32);
	m->in = l.plan->tensors[l.plan->inputs[0]].desc;
	m->in.data = NULL;
	m->in_floats = (size_t)l.plan->tensors[l.plan->inputs[0]].size / sizeof(float);
	m->out_floats = (size_t)l.plan->tensors[l.plan->outputs[0]].size / sizeof(float);
	tp_unload(&l);
}

/* dir/model.onnx compiled (cdl_compile_onnx_file) for the shape of its test input. */
static bool model_from_onnx(model *m, const char *dir)
{
	cdl_tensor in;

	memset(m, 0, sizeof(*m));
	if (!compile_onnx_dir(dir, m->name, sizeof(m->name), &in, &m->plan, &m->plan_len))
		return false;
	free(in.data);
	model_sizes(m);
	return true;
}

/* --- a plan loaded the way the TA does it: tables only, weights fetched ------------- */

/* Parses the tables only (as the TA does). */
static void load_tables(const model *m, streamed *s)
{
	char msg[512] = "";
	size_t tsz = 0;

	memset(s, 0, sizeof(*s));
	fetcher_init(&s->f, m->plan, m->plan_len);
	CHECK_OK(cdl_plan_tables_size(m->plan, m->plan_len, &tsz, msg, sizeof(msg)), msg);
	s->prefix = tp_copy(m->plan, tsz);
	s->pmem = malloc(3 * tsz + 4096);
	CHECK(s->pmem);
	cdl_arena_init(&s->pa, s->pmem, 3 * tsz + 4096);
	CHECK_OK(cdl_plan_parse_tables(s->prefix, tsz, &s->pa, &s->plan, msg, sizeof(msg)), msg);
}

/* A fetch-mode engine with opts, in exactly the bytes memory_needed_ex says. */
static void load_streamed(const model *m, const cdl_engine_options *opts, streamed *s)
{
	cdl_engine_options o = *opts;
	char msg[1024] = "";

	load_tables(m, s);
	o.fetch = fetch_cb;
	o.fetch_arg = &s->f;
	CHECK_OK(cdl_engine_memory_needed_ex(s->plan, &o, &s->need, msg, sizeof(msg)), msg);
	s->emem = malloc(s->need);
	CHECK(s->emem);
	cdl_arena_init(&s->ea, s->emem, s->need);
	CHECK_OK(cdl_engine_create_ex(s->plan, &o, &s->ea, &s->e, msg, sizeof(msg)), msg);
	CHECK(s->ea.used <= s->need);
	CHECK(!s->f.out_of_range);
}

/* --- batches ------------------------------------------------------------------------- */

typedef struct batch_io {
	float *in, *out, *ref;
	cdl_tensor ins[MAXB], outs[MAXB];
} batch_io;

static void io_alloc(batch_io *io, const model *m)
{
	memset(io, 0, sizeof(*io));
	io->in = malloc(MAXB * m->in_floats * sizeof(float) + 1);
	io->out = malloc(MAXB * m->out_floats * sizeof(float) + 1);
	io->ref = malloc(MAXB * m->out_floats * sizeof(float) + 1);
	CHECK(io->in && io->out && io->ref);
	for (uint32_t b = 0; b < MAXB; b++) {
		io->ins[b] = m->in;
		io->ins[b].data = io->in + b * m->in_floats;
		memset(&io->outs[b], 0, sizeof(io->outs[b]));
		io->outs[b].data = io->out + b * m->out_floats;
	}
}

static void io_free(batch_io *io)
{
	free(io->in);
	free(io->out);
	free(io->ref);
}

static void io_random(batch_io *io, const model *m, uint32_t n)
{
	for (size_t i = 0; i < n * m->in_floats; i++)
		io->in[i] = frand();
}

/* The reference: one cdl_engine_run per item, each fetching what a batch fetches. */
static void run_items(streamed *s, const model *m, batch_io *io, uint32_t n)
{
	char msg[1024] = "";
	cdl_engine_stats st;

	for (uint32_t b = 0; b < n; b++) {
		cdl_tensor o;
		uint64_t bytes = s->f.bytes;

		memset(&o, 0, sizeof(o));
		o.data = io->ref + b * m->out_floats;
		CHECK_OK(cdl_engine_run(s->e, &io->ins[b], 1, &o, 1, msg, sizeof(msg)), msg);
		cdl_engine_get_stats(s->e, &st);
		CHECK(st.fetched_bytes_last_run == s->f.bytes - bytes);
		CHECK(st.fetched_bytes_last_run == st.streamed_bytes);
	}
}

static void same_outputs(const model *m, const batch_io *io, uint32_t n, const char *what)
{
	for (uint32_t b = 0; b < n; b++) {
		const float *got = io->out + b * m->out_floats, *want = io->ref + b * m->out_floats;

		if (memcmp(got, want, m->out_floats * sizeof(float)) != 0) {
			fprintf(
			    stderr, "%s (%s): batch of %u, item %u differs from its own run: %g\n",
			    m->name, what, n, b, (double)tp_max_abs_diff(got, want, m->out_floats));
			exit(1);
		}
	}
}

static uint32_t hook_calls[2];

static void count_hook(void *arg, uint32_t node, int after)
{
	(void)arg;
	(void)node;
	hook_calls[after ? 1 : 0]++;
}

/*
 * Batches of 1..MAXB random inputs with opts (+ max_batch MAXB): bit-identical
 * to per-item runs, the same bytes fetched as one run. Returns the engine's stats.
 */
static cdl_engine_stats check_batches(const model *m, const cdl_engine_options *opts,
				      const char *what)
{
	cdl_engine_options o = *opts;
	streamed s;
	batch_io io;
	cdl_engine_stats st, st1;
	char msg[1024] = "";
	double ms_batch = 0, ms_items = 0;

	o.max_batch = MAXB;
	load_streamed(m, &o, &s);
	io_alloc(&io, m);
	cdl_engine_get_stats(s.e, &st1);
	CHECK(st1.max_batch == MAXB);
	CHECK(st1.batch_arenas == (st1.streamed_bytes ? MAXB : 1));
	for (uint32_t n = 1; n <= MAXB; n++) {
		uint64_t bytes = s.f.bytes, calls = s.f.calls;

		io_random(&io, m, n);
		memset(io.out, 0xa5, MAXB * m->out_floats * sizeof(float));
		memset(io.ref, 0x5a, MAXB * m->out_floats * sizeof(float));
		hook_calls[0] = hook_calls[1] = 0;
		cdl_engine_set_hook(s.e, count_hook, NULL);
		ms_batch = now_ms();
		CHECK_OK(cdl_engine_run_batch(s.e, n, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
			 msg);
		ms_batch = now_ms() - ms_batch;
		cdl_engine_set_hook(s.e, NULL, NULL);
		cdl_engine_get_stats(s.e, &st);
		/* one fetch of every streamed weight for the whole batch */
		CHECK(st.fetched_bytes_last_run == s.f.bytes - bytes);
		CHECK(st.fetch_calls_last_run == s.f.calls - calls);
		CHECK(st.fetched_bytes_last_run == st.streamed_bytes);
		/* node by node when something streams, item by item otherwise */
		CHECK(hook_calls[0] == hook_calls[1]);
		CHECK(hook_calls[0] == s.plan->n_nodes * (st.batch_arenas > 1 ? 1u : n));
		for (uint32_t b = 0; b < n; b++) {
			CHECK(io.outs[b].dtype == CDL_DTYPE_F32 &&
			      io.outs[b].rank == s.plan->tensors[s.plan->outputs[0]].desc.rank);
		}
		ms_items = now_ms();
		run_items(&s, m, &io, n);
		ms_items = now_ms() - ms_items;
		same_outputs(m, &io, n, what);
		if (n == MAXB || n == 1) {
			/* and a single-item run fetches the same as the batch */
			cdl_engine_get_stats(s.e, &st1);
			CHECK(st1.fetched_bytes_last_run == st.fetched_bytes_last_run);
			CHECK(st1.fetch_calls_last_run == st.fetch_calls_last_run);
		}
	}
	/* the resident plain engine agrees (the per-item runs are not a fluke) */
	{
		tp_loaded l;
		cdl_tensor o;

		CHECK_OK(tp_load(m->plan, m->plan_len, 0, &l, msg, sizeof(msg)), msg);
		memset(&o, 0, sizeof(o));
		o.data = io.ref + (MAXB - 1) * m->out_floats;
		CHECK_OK(cdl_engine_run(l.engine, &io.ins[MAXB - 1], 1, &o, 1, msg, sizeof(msg)),
			 msg);
		CHECK(memcmp(io.ref + (MAXB - 1) * m->out_floats,
			     io.out + (MAXB - 1) * m->out_floats,
			     m->out_floats * sizeof(float)) == 0);
		tp_unload(&l);
	}
	CHECK(!s.f.out_of_range);
	cdl_engine_get_stats(s.e, &st);
	printf("%s (%s): batches 1..%u bit-identical; %u nodes tiled, buffer %llu, resident %llu, "
	       "%llu bytes fetched per batch (%llu per inference at batch 1, %llu at batch %u); "
	       "batch of %u %.1f ms, %u runs %.1f ms\n",
	       m->name, what, MAXB, st.tiled_nodes, (unsigned long long)st.stream_buffer_bytes,
	       (unsigned long long)st.resident_bytes, (unsigned long long)st.streamed_bytes,
	       (unsigned long long)st.streamed_bytes,
	       (unsigned long long)(st.streamed_bytes / MAXB), MAXB, MAXB, ms_batch, MAXB,
	       ms_items);
	io_free(&io);
	unload(&s);
	return st;
}

/* memory_needed_ex: + (max_batch - 1) arenas when streaming, + 0 when resident. */
static void check_memory(const model *m, const cdl_engine_options *opts, bool streams)
{
	streamed s;
	cdl_engine_options o = *opts;
	char msg[512] = "";
	size_t one = 0, need = 0, zero = 0, arena = 0;

	load_tables(m, &s);
	arena = round64((size_t)s.plan->arena_size);
	o.fetch = fetch_cb;
	o.fetch_arg = &s.f;
	o.max_batch = 0;
	CHECK_OK(cdl_engine_memory_needed_ex(s.plan, &o, &zero, msg, sizeof(msg)), msg);
	o.max_batch = 1;
	CHECK_OK(cdl_engine_memory_needed_ex(s.plan, &o, &one, msg, sizeof(msg)), msg);
	CHECK(zero == one);
	for (uint32_t k = 2; k <= MAXB; k++) {
		o.max_batch = k;
		CHECK_OK(cdl_engine_memory_needed_ex(s.plan, &o, &need, msg, sizeof(msg)), msg);
		CHECK(need == one + (streams ? (k - 1) * arena : 0));
	}
	/* create takes no more than that, and fails taking nothing with less */
	{
		void *mem = malloc(need);
		cdl_arena a;
		cdl_engine *e = NULL;
		cdl_engine_stats st;

		CHECK(mem);
		cdl_arena_init(&a, mem, need - (streams ? arena : 1));
		CHECK_ST(cdl_engine_create_ex(s.plan, &o, &a, &e, msg, sizeof(msg)),
			 CDL_ERR_OUT_OF_MEMORY, msg);
		CHECK(a.used == 0 && e == NULL);
		cdl_arena_init(&a, mem, need);
		CHECK_OK(cdl_engine_create_ex(s.plan, &o, &a, &e, msg, sizeof(msg)), msg);
		cdl_engine_get_stats(e, &st);
		CHECK(st.engine_bytes <= need && st.max_batch == MAXB &&
		      st.batch_arenas == (streams ? MAXB : 1));
		free(mem);
	}
	printf("%s: memory_needed %zu at batch 1, %zu at batch %u (arena %zu, %s)\n", m->name, one,
	       need, MAXB, arena, streams ? "streaming" : "resident");
	unload(&s);
}

/* Bad batches are refused before anything runs; the engine then runs fine. */
static void check_refusals(const model *m, const cdl_engine_options *opts)
{
	cdl_engine_options o = *opts;
	streamed s;
	batch_io io;
	char msg[1024] = "";
	uint64_t calls = 0;

	o.max_batch = 4;
	load_streamed(m, &o, &s);
	io_alloc(&io, m);
	io_random(&io, m, MAXB);
	calls = s.f.calls;
	CHECK_ST(cdl_engine_run_batch(s.e, 0, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK(strstr(msg, "batch of 0") && strstr(msg, "1 to 4"));
	CHECK_ST(cdl_engine_run_batch(s.e, 5, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK(strstr(msg, "batch of 5") && strstr(msg, "max_batch"));
	CHECK_ST(cdl_engine_run_batch(NULL, 1, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK_ST(cdl_engine_run_batch(s.e, 2, io.ins, 2, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	/* item 2's input has the wrong shape, item 3's output no data */
	io.ins[2].dims[io.ins[2].rank - 1]++;
	CHECK_ST(cdl_engine_run_batch(s.e, 4, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK(strstr(msg, "item 2: input 0"));
	io.ins[2].dims[io.ins[2].rank - 1]--;
	io.outs[3].data = NULL;
	CHECK_ST(cdl_engine_run_batch(s.e, 4, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK(strstr(msg, "item 3: output 0"));
	io.outs[3].data = io.out + 3 * m->out_floats;
	CHECK(s.f.calls == calls); /* nothing ran */
	CHECK_OK(cdl_engine_run_batch(s.e, 4, io.ins, 1, io.outs, 1, msg, sizeof(msg)), msg);
	run_items(&s, m, &io, 4);
	same_outputs(m, &io, 4, "after refusals");
	io_free(&io);
	unload(&s);

	/* max_batch 0 and 1: batches of one only */
	for (uint32_t mb = 0; mb <= 1; mb++) {
		o.max_batch = mb;
		load_streamed(m, &o, &s);
		io_alloc(&io, m);
		io_random(&io, m, 2);
		CHECK_ST(cdl_engine_run_batch(s.e, 2, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
			 CDL_ERR_INVALID_ARGUMENT, msg);
		CHECK(strstr(msg, "1 to 1"));
		CHECK_OK(cdl_engine_run_batch(s.e, 1, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
			 msg);
		run_items(&s, m, &io, 1);
		same_outputs(m, &io, 1, "max_batch <= 1");
		io_free(&io);
		unload(&s);
	}
}

/*
 * A fetch failing at call k of a batch (every k, or every step-th): the batch
 * returns its status, then the next batch and a single run are right.
 */
static void check_failures(const model *m, const cdl_engine_options *opts, uint64_t step)
{
	cdl_engine_options o = *opts;
	streamed s;
	batch_io io;
	char msg[1024] = "";
	uint64_t calls = 0, tried = 0;
	const uint32_t n = MAXB;

	o.max_batch = MAXB;
	load_streamed(m, &o, &s);
	io_alloc(&io, m);
	io_random(&io, m, n);
	run_items(&s, m, &io, n);
	calls = s.f.calls;
	CHECK_OK(cdl_engine_run_batch(s.e, n, io.ins, 1, io.outs, 1, msg, sizeof(msg)), msg);
	calls = s.f.calls - calls; /* per batch */
	CHECK(calls > 0);
	same_outputs(m, &io, n, "before failures");
	for (uint64_t k = 0; k < calls; k += step) {
		cdl_tensor o1;
		float *one = io.out + (n - 1) * m->out_floats;

		s.f.fail_at = (int64_t)(s.f.calls + k);
		s.f.fail_with = k % 2 ? CDL_ERR_INTEGRITY : CDL_ERR_TEE;
		CHECK_ST(cdl_engine_run_batch(s.e, n, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
			 s.f.fail_with, msg);
		CHECK(strstr(msg, "failed to fetch weights") && strstr(msg, "node"));
		s.f.fail_at = -1;
		/* a single run right after: arena 0 is bound again */
		memset(&o1, 0, sizeof(o1));
		memset(one, 0, m->out_floats * sizeof(float));
		o1.data = one;
		CHECK_OK(cdl_engine_run(s.e, &io.ins[0], 1, &o1, 1, msg, sizeof(msg)), msg);
		CHECK(memcmp(one, io.ref, m->out_floats * sizeof(float)) == 0);
		memset(io.out, 0, n * m->out_floats * sizeof(float));
		CHECK_OK(cdl_engine_run_batch(s.e, n, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
			 msg);
		same_outputs(m, &io, n, "after a failed fetch");
		tried++;
	}
	printf("%s: a fetch failing at %llu of the %llu calls of a batch: status returned, next "
	       "batch right\n",
	       m->name, (unsigned long long)tried, (unsigned long long)calls);
	io_free(&io);
	unload(&s);
}

/*
 * An engine with the options the auto mode chose (bytes: what it said it
 * takes), within budget; a batch of max_batch items is right. Returns the
 * bytes a run (a batch) fetches.
 */
static uint64_t as_chosen(const model *m, const cdl_engine_options *opts, size_t bytes,
			  size_t budget, uint32_t max_batch)
{
	streamed s;
	batch_io io;
	cdl_engine_stats st;
	char msg[1024] = "";
	uint64_t fetched = 0;

	load_streamed(m, opts, &s);
	CHECK(s.need == bytes && bytes <= budget);
	cdl_engine_get_stats(s.e, &st);
	CHECK(st.engine_bytes <= budget && st.max_batch == max_batch);
	io_alloc(&io, m);
	io_random(&io, m, max_batch);
	CHECK_OK(cdl_engine_run_batch(s.e, max_batch, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 msg);
	cdl_engine_get_stats(s.e, &st);
	fetched = st.fetched_bytes_last_run;
	CHECK(fetched == st.streamed_bytes);
	run_items(&s, m, &io, max_batch);
	same_outputs(m, &io, max_batch, "auto");
	io_free(&io);
	unload(&s);
	return fetched;
}

/*
 * Auto mode for batches of want items, at budgets from all-resident down
 * to refused: within budget, max_batch <= want, batches right, and never
 * more bytes decrypted per inference than with want 1.
 */
static void check_budgets(const model *m, const size_t *budgets, size_t n_budgets)
{
	streamed s;
	char msg[1024] = "";
	size_t all = 0, bytes = 0;
	cdl_engine_options o;

	load_tables(m, &s);
	CHECK_OK(cdl_engine_options_for_budget_batch(s.plan, SIZE_MAX / 2, MAXB, fetch_cb, &s.f, &o,
						     &all, msg, sizeof(msg)),
		 msg);
	CHECK(o.resident_budget == SIZE_MAX && o.max_batch == MAXB);
	CHECK_ST(cdl_engine_options_for_budget_batch(s.plan, 1, MAXB, fetch_cb, &s.f, &o, &bytes,
						     msg, sizeof(msg)),
		 CDL_ERR_SECURE_MEMORY, msg);
	CHECK(strstr(msg, "needs") && strstr(msg, "budget"));
	for (size_t i = 0; i <= n_budgets; i++) {
		size_t budget = i < n_budgets ? budgets[i] : all;
		cdl_engine_options o1, o8, same;
		size_t b1 = 0, b8 = 0, bs = 0;
		cdl_status st1, st8;
		uint64_t per1 = 0, per8 = 0;

		if (budget > all)
			continue;
		st1 = cdl_engine_options_for_budget(s.plan, budget, fetch_cb, &s.f, &o1, &b1, msg,
						    sizeof(msg));
		/* want 1 is the single-run auto mode */
		CHECK_ST(cdl_engine_options_for_budget_batch(s.plan, budget, 1, fetch_cb, &s.f,
							     &same, &bs, msg, sizeof(msg)),
			 st1, msg);
		st8 = cdl_engine_options_for_budget_batch(s.plan, budget, MAXB, fetch_cb, &s.f, &o8,
							  &b8, msg, sizeof(msg));
		CHECK(st8 == st1);
		if (st1) {
			CHECK_ST(st1, CDL_ERR_SECURE_MEMORY, msg);
			printf("%s auto: %zu-byte budget refused\n", m->name, budget);
			continue;
		}
		CHECK(same.fetch == o1.fetch && same.fetch_arg == o1.fetch_arg &&
		      same.resident_budget == o1.resident_budget &&
		      same.stream_buffer == o1.stream_buffer &&
		      same.max_workspace == o1.max_workspace && same.max_batch == o1.max_batch);
		CHECK(bs == b1 && o1.max_batch == 1);
		CHECK(b1 <= budget && b8 <= budget);
		CHECK(o8.max_batch >= 1 && o8.max_batch <= MAXB);
		per1 = as_chosen(m, &o1, b1, budget, 1);
		/* a batch of MAXB items in ceil(MAXB / max_batch) runs */
		per8 = as_chosen(m, &o8, b8, budget, o8.max_batch) *
		       ((MAXB + o8.max_batch - 1) / o8.max_batch) / MAXB;
		/* the chooser costs k = 1 too (its estimate ignores <64-byte gaps) */
		CHECK(per8 <= per1 + per1 / 100);
		printf("%s auto at %zu bytes: want 1: %llu bytes decrypted per inference; want %u: "
		       "max_batch %u, %llu per inference\n",
		       m->name, budget, (unsigned long long)per1, MAXB, o8.max_batch,
		       (unsigned long long)per8);
	}
	unload(&s);
}

/* The stream-mode configurations every model runs in. */
static void check_model(const model *m, bool quick)
{
	cdl_engine_options o;
	cdl_engine_stats full, st;
	streamed s;
	size_t least = 0;
	char msg[1024] = "";

	/* everything streamed, buffer = the largest node */
	memset(&o, 0, sizeof(o));
	full = check_batches(m, &o, "stream, whole buffer");
	CHECK(full.tiled_nodes == 0 && full.streamed_bytes > 0);
	check_memory(m, &o, true);
	/* small buffers: tiles */
	o.stream_buffer = (size_t)full.stream_buffer_bytes / 4;
	st = check_batches(m, &o, "stream, buffer / 4");
	CHECK(st.tiled_nodes > 0 && st.streamed_bytes == full.streamed_bytes);
	/* the least buffer (the auto mode's refusal says it), the least workspace */
	load_tables(m, &s);
	CHECK_ST(
	    cdl_engine_options_for_budget(s.plan, 1, fetch_cb, &s.f, &o, &least, msg, sizeof(msg)),
	    CDL_ERR_SECURE_MEMORY, msg);
	CHECK(strstr(msg, "stream buffer ") &&
	      sscanf(strstr(msg, "stream buffer "), "stream buffer %zu", &least) == 1);
	unload(&s);
	memset(&o, 0, sizeof(o));
	o.stream_buffer = least;
	o.max_workspace = CDL_GEMM_WORKSPACE_MIN;
	st = check_batches(m, &o, "stream, least buffer and workspace");
	CHECK(st.tiled_nodes > 0 && st.streamed_bytes == full.streamed_bytes);
	/* some weights resident, tiles for the rest */
	memset(&o, 0, sizeof(o));
	o.resident_budget = (size_t)full.streamed_bytes / 3;
	o.stream_buffer = (size_t)full.stream_buffer_bytes / 8;
	st = check_batches(m, &o, "stream, a third resident, buffer / 8");
	CHECK(st.streamed_bytes < full.streamed_bytes);
	check_failures(m, &o, quick ? 7 : 1);
	check_refusals(m, &o);
	/* everything resident: no batch arena, the items one after another */
	memset(&o, 0, sizeof(o));
	o.resident_budget = SIZE_MAX;
	st = check_batches(m, &o, "resident");
	CHECK(st.streamed_bytes == 0 && st.batch_arenas == 1);
	check_memory(m, &o, false);
	printf("%s: bytes fetched per inference in stream mode: %llu at batch 1, %llu at batch "
	       "%u\n",
	       m->name, (unsigned long long)full.streamed_bytes,
	       (unsigned long long)(full.streamed_bytes / MAXB), MAXB);
}

/* --- without fetch: the plain engine takes batches too (one item after another) -- */

static void check_plain(const model *m)
{
	tp_loaded l;
	batch_io io;
	char msg[512] = "";
	size_t need = 0;
	cdl_engine_options o;

	CHECK_OK(tp_load(m->plan, m->plan_len, 0, &l, msg, sizeof(msg)), msg);
	memset(&o, 0, sizeof(o));
	o.max_batch = MAXB;
	CHECK_OK(cdl_engine_memory_needed_ex(l.plan, &o, &need, msg, sizeof(msg)), msg);
	{
		size_t one = 0;

		CHECK_OK(cdl_engine_memory_needed(l.plan, &one, msg, sizeof(msg)), msg);
		CHECK(need == one);
	}
	io_alloc(&io, m);
	io_random(&io, m, 3);
	/* cdl_engine_create: max_batch 1 */
	CHECK_ST(cdl_engine_run_batch(l.engine, 3, io.ins, 1, io.outs, 1, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	{
		void *mem = malloc(need);
		cdl_arena a;
		cdl_engine *e = NULL;

		CHECK(mem);
		cdl_arena_init(&a, mem, need);
		CHECK_OK(cdl_engine_create_ex(l.plan, &o, &a, &e, msg, sizeof(msg)), msg);
		CHECK_OK(cdl_engine_run_batch(e, 3, io.ins, 1, io.outs, 1, msg, sizeof(msg)), msg);
		for (uint32_t b = 0; b < 3; b++) {
			cdl_tensor r;

			memset(&r, 0, sizeof(r));
			r.data = io.ref + b * m->out_floats;
			CHECK_OK(cdl_engine_run(l.engine, &io.ins[b], 1, &r, 1, msg, sizeof(msg)),
				 msg);
		}
		same_outputs(m, &io, 3, "plain");
		free(mem);
	}
	io_free(&io);
	tp_unload(&l);
}

/* --- hand-built graphs: every tile kind ------------------------------------------------- */

/*
 * x [batch, 8, 10, 10] -> Conv 3x3 (+Relu) -> grouped Conv (4 groups of 3)
 * -> depthwise Conv (12 groups, 2 outputs each, stride 2) -> GAP -> Flatten
 * -> Gemm (C [N]) -> Gemm (C [1, N]) -> Gemm (C = an activation [M, N]:
 * Tanh of the previous, in each item's arena) -> Gemm (C [M, 1]). Batch > 1 inside the
 * model: the tiles run per image / per row of A, inside each batch item.
 */
static uint8_t *tiling_graph(int64_t batch, size_t *len)
{
	cdl_graph *g = cdl_graph_new();
	const int64_t xd[4] = {batch, 8, 10, 10}, c1d[1] = {40};
	const int64_t c2d[2] = {1, 48}, c4d[2] = {batch, 1};
	cdl_attr flat = {.name = "axis", .type = CDL_ATTR_INT, .v.i = 1};
	uint32_t x, h, c;
	uint8_t *buf = NULL;

	CHECK(g);
	x = tp_input(g, "x", CDL_DTYPE_F32, 4, xd);
	h = conv(g, "conv", x, 8, 12, 1, 3, 1, 1, true);
	h = conv(g, "gconv", h, 12, 12, 4, 3, 1, 1, false);
	h = conv(g, "dwconv", h, 12, 24, 12, 3, 2, 1, true);
	h = tp_unary(g, "GlobalAveragePool", "gap", h, NULL, 0);
	h = tp_unary(g, "Flatten", "flat", h, &flat, 1);
	h = gemm(g, "fc1", h, 24, 40, rconst(g, "fc1.C", 1, c1d), 1);
	h = gemm(g, "fc2", h, 40, 48, rconst(g, "fc2.C", 2, c2d), 1);
	c = tp_unary(g, "Tanh", "tanh", h, NULL, 0);
	h = gemm(g, "fc3", h, 48, 48, c, 1);
	h = gemm(g, "fc4", h, 48, 10, rconst(g, "fc4.C", 2, c4d), 1);
	tp_output(g, h);
	buf = tp_compile(g, len);
	cdl_graph_free(g);
	return buf;
}

static void test_tiling_graphs(void)
{
	for (int64_t batch = 1; batch <= 2; batch++) {
		model m;
		cdl_engine_options o;
		cdl_engine_stats full, st;

		memset(&m, 0, sizeof(m));
		snprintf(m.name, sizeof(m.name), "tiling graph, batch %lld", (long long)batch);
		m.plan = tiling_graph(batch, &m.plan_len);
		model_sizes(&m);
		memset(&o, 0, sizeof(o));
		full = check_batches(&m, &o, "whole buffer");
		/* buffers down to where every tiled node is at its least */
		size_t good = 0;

		for (size_t buf = (size_t)full.stream_buffer_bytes / 2; buf >= 64; buf /= 2) {
			char what[64];

			o.stream_buffer = buf & ~(size_t)63;
			{
				streamed s;
				char msg[512] = "";
				size_t need = 0;
				cdl_engine_options t = o;

				load_tables(&m, &s);
				t.fetch = fetch_cb;
				t.fetch_arg = &s.f;
				if (cdl_engine_memory_needed_ex(s.plan, &t, &need, msg,
								sizeof(msg))) {
					unload(&s);
					break;
				}
				unload(&s);
			}
			snprintf(what, sizeof(what), "buffer %zu", o.stream_buffer);
			st = check_batches(&m, &o, what);
			CHECK(st.tiled_nodes > 0 && st.streamed_bytes == full.streamed_bytes);
			good = o.stream_buffer;
		}
		CHECK(good > 0);
		o.stream_buffer = good;
		check_failures(&m, &o, 1);
		check_refusals(&m, &o);
		model_free(&m);
	}
}

/* --- main ---------------------------------------------------------------------------------- */

static void test_digits(const char *dir)
{
	model m;
	const size_t budgets[] = {96 << 10, 64 << 10, 48 << 10, 40 << 10, 32 << 10, 24 << 10};

	if (!model_from_onnx(&m, dir)) {
		fprintf(stderr, "%s: no test data\n", dir);
		exit(1);
	}
	check_model(&m, false);
	check_plain(&m);
	check_budgets(&m, budgets, sizeof(budgets) / sizeof(budgets[0]));
	model_free(&m);
}

static void test_models(int argc, char **argv)
{
	const size_t budgets[] = {16 * MIB, 8 * MIB, 4 * MIB, 2 * MIB};

	for (int i = 0; i < argc; i++) {
		model m;

		if (!model_from_onnx(&m, argv[i])) {
			printf("%s: not generated, skipped\n", argv[i]);
			continue;
		}
		check_model(&m, true);
		check_budgets(&m, budgets, sizeof(budgets) / sizeof(budgets[0]));
		model_free(&m);
	}
}

/* The auto mode only, at the budgets a TA heap has. */
static void test_auto(int argc, char **argv)
{
	const size_t budgets[] = {64 * MIB, 32 * MIB, 24 * MIB, 16 * MIB, 12 * MIB, 8 * MIB};

	for (int i = 0; i < argc; i++) {
		model m;

		if (!model_from_onnx(&m, argv[i])) {
			printf("%s: not generated, skipped\n", argv[i]);
			continue;
		}
		check_budgets(&m, budgets, sizeof(budgets) / sizeof(budgets[0]));
		model_free(&m);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "model") == 0) {
		test_models(argc - 2, argv + 2);
		printf("ok\n");
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "auto") == 0) {
		test_auto(argc - 2, argv + 2);
		printf("ok\n");
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIGITS_DIR | model DIR... | auto DIR...\n", argv[0]);
		return 2;
	}
	test_tiling_graphs();
	test_digits(argv[1]);
	printf("ok\n");
	return 0;
}
