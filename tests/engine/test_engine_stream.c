// SPDX-License-Identifier: Apache-2.0
/*
 * Running within a secure-memory budget (DESIGN §6), the engine side:
 * weights fetched through a callback (here: a memcpy out of the plan buffer
 * that counts bytes and can fail on demand), resident or streamed, nodes
 * tiled by output channels, the workspace capped, pools run in place.
 *
 * Every streamed, tiled or capped run must give outputs bit-identical to the
 * resident run: the tiles run the same kernels on the same operands, every
 * output element summing the same products in the same order (engine.c,
 * kernels/gemm.h). Every engine lives in an allocation of exactly what
 * cdl_engine_memory_needed_ex said, the plan tables in an allocation of
 * exactly cdl_plan_tables_size bytes, so under AddressSanitizer any access
 * outside them fails.
 *
 *   test_engine_stream                 unit cases: hand-built graphs, digits,
 *                                      in-place pools, malformed tables, GEMM
 *   test_engine_stream model DIR...    torchvision nets: resident vs streamed
 *                                      at many buffers / budgets, timings
 *   test_engine_stream memory DIR...   the peak-memory table (no inference)
 */
#include "engine/kernels/gemm.h"
#include "engine/ops/pool.h"

#define TEST_RNG_SEED 0x2545f4914f6cdd1dull
#include "test_stream_util.h"

#define MIB ((size_t)1 << 20)
/* What the TA keeps besides the engine and the parsed tables: its 64 KiB package block. */
#define TA_BLOCK ((size_t)64 << 10)

/* --- a plan loaded the way the TA does it ---------------------------------------- */

/* Parses the tables of plan, creates a fetch-mode engine with opts in exactly what it needs. */
static cdl_status load_streamed(const uint8_t *plan, size_t len, const cdl_engine_options *opts,
				streamed *s, char *msg, size_t msg_size)
{
	cdl_engine_options o = *opts;
	size_t pmem_size = 0;
	cdl_status st = CDL_OK;

	memset(s, 0, sizeof(*s));
	fetcher_init(&s->f, plan, len);
	CHECK_OK(cdl_plan_tables_size(plan, 192, &s->tables_size, msg, msg_size), msg);
	CHECK(s->tables_size <= len);
	s->prefix = tp_copy(plan, s->tables_size);
	pmem_size = 3 * s->tables_size + 4096;
	s->pmem = malloc(pmem_size);
	CHECK(s->pmem);
	cdl_arena_init(&s->pa, s->pmem, pmem_size);
	CHECK_OK(cdl_plan_parse_tables(s->prefix, s->tables_size, &s->pa, &s->plan, msg, msg_size),
		 msg);
	CHECK(s->plan->weights == NULL);
	s->tables_bytes = s->pa.used;
	o.fetch = fetch_cb;
	o.fetch_arg = &s->f;
	st = cdl_engine_memory_needed_ex(s->plan, &o, &s->need, msg, msg_size);
	if (st)
		return st;
	s->emem = malloc(s->need ? s->need : 1);
	CHECK(s->emem);
	cdl_arena_init(&s->ea, s->emem, s->need);
	st = cdl_engine_create_ex(s->plan, &o, &s->ea, &s->e, msg, msg_size);
	if (st) {
		CHECK(s->ea.used == 0);
		return st;
	}
	CHECK(s->ea.used <= s->need);
	CHECK(!s->f.out_of_range);
	return CDL_OK;
}

/* --- a model: plan bytes, one input, one output ------------------------------------ */

typedef struct model {
	char name[64];
	uint8_t *plan;
	size_t plan_len;
	cdl_tensor in;
	size_t out_floats;
	float *want; /* the resident engine's output */
	double resident_ms;
} model;

static void model_free(model *m)
{
	free(m->plan);
	free(m->in.data);
	free(m->want);
	memset(m, 0, sizeof(*m));
}

/* Runs an engine on the model's input; out has m->out_floats floats. */
static cdl_status run_model(cdl_engine *e, const model *m, float *out, char *msg, size_t msg_size)
{
	cdl_tensor o;

	memset(&o, 0, sizeof(o));
	o.data = out;
	return cdl_engine_run(e, &m->in, 1, &o, 1, msg, msg_size);
}

/* Compiles dir/model.onnx for its test input; computes the resident reference. */
static bool model_load(model *m, const char *dir)
{
	char msg[1024] = "";
	tp_loaded l;

	memset(m, 0, sizeof(*m));
	if (!compile_onnx_dir(dir, m->name, sizeof(m->name), &m->in, &m->plan, &m->plan_len))
		return false;

	CHECK_OK(tp_load(m->plan, m->plan_len, 0, &l, msg, sizeof(msg)), msg);
	CHECK(l.plan->n_inputs == 1 && l.plan->n_outputs == 1);
	m->out_floats = (size_t)l.plan->tensors[l.plan->outputs[0]].size / sizeof(float);
	m->want = malloc(m->out_floats * sizeof(float));
	CHECK(m->want);
	CHECK_OK(run_model(l.engine, m, m->want, msg, sizeof(msg)), msg); /* warm */
	{
		double t0 = now_ms();

		CHECK_OK(run_model(l.engine, m, m->want, msg, sizeof(msg)), msg);
		m->resident_ms = now_ms() - t0;
	}
	tp_unload(&l);
	return true;
}

/*
 * Streams m with opts; checks outputs bit-identical, the fetch accounting,
 * and that a second run fetches the same. Returns the engine's stats; time
 * of one run in *ms if not NULL. Status of create (CDL_OK or a refusal).
 */
static cdl_status stream_check(const model *m, const cdl_engine_options *opts,
			       cdl_engine_stats *stats, double *ms, char *msg, size_t msg_size)
{
	streamed s;
	float *got = malloc(m->out_floats * sizeof(float));
	cdl_status st = CDL_OK;

	CHECK(got);
	st = load_streamed(m->plan, m->plan_len, opts, &s, msg, msg_size);
	if (st) {
		unload(&s);
		free(got);
		return st;
	}
	for (int run = 0; run < 2; run++) {
		double t0 = now_ms();
		uint64_t before = s.f.bytes, calls = s.f.calls;

		memset(got, 0xa5, m->out_floats * sizeof(float));
		CHECK_OK(run_model(s.e, m, got, msg, msg_size), msg);
		if (ms && run == 1)
			*ms = now_ms() - t0;
		if (memcmp(got, m->want, m->out_floats * sizeof(float)) != 0) {
			fprintf(
			    stderr,
			    "%s: streamed output differs (budget %zu, buffer %zu, ws %zu): %g\n",
			    m->name, opts->resident_budget, opts->stream_buffer,
			    opts->max_workspace,
			    (double)tp_max_abs_diff(got, m->want, m->out_floats));
			exit(1);
		}
		cdl_engine_get_stats(s.e, stats);
		CHECK(stats->fetched_bytes_last_run == s.f.bytes - before);
		CHECK(stats->fetch_calls_last_run == s.f.calls - calls);
		CHECK(stats->fetched_bytes_last_run == stats->streamed_bytes);
		CHECK(!s.f.out_of_range);
	}
	CHECK(stats->engine_bytes <= s.need);
	CHECK(stats->stream_buffer_bytes <= (opts->stream_buffer ? opts->stream_buffer : SIZE_MAX));
	unload(&s);
	free(got);
	return CDL_OK;
}

/* Whether an engine for m with opts can be created (no inference). */
static cdl_status creates(const model *m, const cdl_engine_options *opts, char *msg,
			  size_t msg_size)
{
	streamed s;
	cdl_status st = load_streamed(m->plan, m->plan_len, opts, &s, msg, msg_size);

	unload(&s);
	return st;
}

/*
 * The smallest stream buffer m runs in (budget/ws as in base): halve until
 * refused, follow the refusals' "cannot be tiled into less than N bytes" up
 * until accepted; 64 bytes less must be refused; then run it.
 */
static size_t min_buffer(const model *m, const cdl_engine_options *base, size_t from)
{
	cdl_engine_options o = *base;
	cdl_engine_stats stats;
	char msg[1024] = "";
	size_t buf = from;
	cdl_status st = CDL_OK;

	for (;;) {
		o.stream_buffer = buf;
		st = creates(m, &o, msg, sizeof(msg));
		if (st)
			break;
		CHECK(buf > CDL_PLAN_ALIGN);
		buf = (buf / 2) & ~(size_t)(CDL_PLAN_ALIGN - 1);
	}
	for (;;) {
		const char *p = strstr(msg, "less than ");
		size_t want = 0;

		CHECK_ST(st, CDL_ERR_SECURE_MEMORY, msg);
		CHECK(p && sscanf(p, "less than %zu bytes", &want) == 1);
		CHECK(want > buf);
		buf = want;
		o.stream_buffer = buf;
		st = creates(m, &o, msg, sizeof(msg));
		if (!st)
			break;
	}
	o.stream_buffer = buf - CDL_PLAN_ALIGN;
	CHECK_ST(creates(m, &o, msg, sizeof(msg)), CDL_ERR_SECURE_MEMORY, msg);
	o.stream_buffer = buf;
	CHECK_OK(stream_check(m, &o, &stats, NULL, msg, sizeof(msg)), msg);
	return buf;
}

/* Resident vs streamed at many buffers and budgets. */
static void stream_model(const model *m, bool quick)
{
	cdl_engine_options o;
	cdl_engine_stats st0, stats;
	char msg[1024] = "";
	size_t full = 0, minbuf = 0, total_w = 0;
	uint64_t last_fetched = UINT64_MAX;
	double ms_stream = 0, ms = 0;

	memset(&o, 0, sizeof(o));
	/* everything streamed, buffer = the largest node: no tiling */
	CHECK_OK(stream_check(m, &o, &st0, &ms_stream, msg, sizeof(msg)), msg);
	CHECK(st0.tiled_nodes == 0 && st0.resident_bytes < st0.streamed_bytes);
	full = (size_t)st0.stream_buffer_bytes;
	total_w = (size_t)(st0.streamed_bytes + st0.resident_bytes);
	printf("%s: resident %.1f ms; streamed %.1f ms (buffer %zu, %llu bytes in %u fetches)\n",
	       m->name, m->resident_ms, ms_stream, full,
	       (unsigned long long)st0.fetched_bytes_last_run, st0.fetch_calls_last_run);

	/* tiled: a quarter, a sixteenth, the least */
	for (size_t div = 4; div <= (quick ? 4 : 16); div *= 4) {
		o.stream_buffer = full / div;
		CHECK_OK(stream_check(m, &o, &stats, &ms, msg, sizeof(msg)), msg);
		CHECK(stats.tiled_nodes > 0);
		printf("%s: buffer %zu: %u nodes tiled, %.1f ms\n", m->name, o.stream_buffer,
		       stats.tiled_nodes, ms);
	}
	memset(&o, 0, sizeof(o));
	minbuf = min_buffer(m, &o, full / 16 > 256 ? full / 16 : 256);
	o.stream_buffer = minbuf;
	printf("%s: smallest buffer %zu (outputs bit-identical)\n", m->name, minbuf);
	/* and the workspace at its least */
	o.max_workspace = CDL_GEMM_WORKSPACE_MIN;
	CHECK_OK(stream_check(m, &o, &stats, &ms, msg, sizeof(msg)), msg);
	CHECK(stats.workspace_bytes <= CDL_GEMM_WORKSPACE_MIN);
	printf("%s: smallest buffer, %zu-byte workspace: %.1f ms\n", m->name,
	       (size_t)stats.workspace_bytes, ms);

	/* budgets: the bytes fetched per run fall as the budget grows, to 0 */
	memset(&o, 0, sizeof(o));
	for (int k = 0; k <= 4; k++) {
		o.resident_budget = k == 4 ? SIZE_MAX : total_w / 4 * (size_t)k;
		if (quick && k % 2)
			continue;
		CHECK_OK(stream_check(m, &o, &stats, &ms, msg, sizeof(msg)), msg);
		CHECK(stats.fetched_bytes_last_run <= last_fetched);
		if (k == 0)
			CHECK(stats.fetched_bytes_last_run == st0.fetched_bytes_last_run);
		if (k == 4)
			CHECK(stats.fetched_bytes_last_run == 0 && stats.stream_buffer_bytes == 0);
		last_fetched = stats.fetched_bytes_last_run;
		printf("%s: resident budget %zu: %llu resident, %llu fetched per run, %.1f ms\n",
		       m->name, o.resident_budget, (unsigned long long)stats.resident_bytes,
		       (unsigned long long)stats.fetched_bytes_last_run, ms);
	}
	/* a budget and a tiling buffer together */
	o.resident_budget = total_w / 3;
	o.stream_buffer = full / 8;
	CHECK_OK(stream_check(m, &o, &stats, NULL, msg, sizeof(msg)), msg);
}

/* --- hand-built graphs: every tiling case ---------------------------------------- */

/*
 * x [batch, 8, 10, 10] -> Conv 3x3 (+Relu) -> grouped Conv (4 groups of 3
 * channels) -> depthwise Conv (12 groups, 2 outputs each, stride 2) ->
 * GlobalAveragePool -> Flatten -> Gemm (C [N]) -> Gemm (C [M,N] or [1,N]) ->
 * MatMul (constant B) -> Gemm transB=0 (C [M,1]), the last two rewritten by
 * the canonicalize pass into Gemm transB=1.
 */
static uint8_t *tiling_graph(int64_t batch, bool canon, size_t *len)
{
	cdl_graph *g = cdl_graph_new();
	const int64_t xd[4] = {batch, 8, 10, 10}, c1d[1] = {40};
	const int64_t c2d[2] = {batch, 48}, c4d[2] = {batch, 1};
	cdl_attr flat = {.name = "axis", .type = CDL_ATTR_INT, .v.i = 1};
	uint32_t x, h, in[2], y = 0;
	const char *names[1];
	char msg[256] = "";

	CHECK(g);
	rng = 0x2545f4914f6cdd1dull; /* the same weights in both forms */
	x = tp_input(g, "x", CDL_DTYPE_F32, 4, xd);
	h = conv(g, "conv", x, 8, 12, 1, 3, 1, 1, true);
	h = conv(g, "gconv", h, 12, 12, 4, 3, 1, 1, false);
	h = conv(g, "dwconv", h, 12, 24, 12, 3, 2, 1, true);
	h = tp_unary(g, "GlobalAveragePool", "gap", h, NULL, 0);
	h = tp_unary(g, "Flatten", "flat", h, &flat, 1);
	h = gemm(g, "fc1", h, 24, 40, rconst(g, "fc1.C", 1, c1d), 1);
	h = gemm(g, "fc2", h, 40, 48, rconst(g, "fc2.C", 2, c2d), 1);
	in[0] = h;
	in[1] = rconst(g, "mm.B", 2, (const int64_t[]){48, 20});
	names[0] = "mm";
	tp_node(g, "MatMul", "mm", in, 2, &y, names, 1, NULL, 0);
	h = gemm(g, "fc3", y, 20, 10, rconst(g, "fc3.C", 2, c4d), 0);
	tp_output(g, h);
	if (!canon) {
		uint8_t *buf = tp_compile(g, len);

		cdl_graph_free(g);
		return buf;
	}
	CHECK_OK(cdl_pass_canonicalize(g, msg, sizeof(msg)), msg);
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		CHECK(strcmp(g->nodes[i].n.op_type, "MatMul") != 0);
		if (strcmp(g->nodes[i].n.op_type, "Gemm") == 0)
			CHECK(cdl_attr_int(&g->nodes[i].n, "transB", 0) == 1);
	}
	CHECK_OK(cdl_pass_infer_shapes(g, msg, sizeof(msg)), msg);
	{
		uint8_t *buf = tp_compile(g, len);

		cdl_graph_free(g);
		return buf;
	}
}

static void test_tiling_graphs(void)
{
	for (int64_t batch = 1; batch <= 2; batch++) {
		model m;
		tp_loaded l;
		char msg[1024] = "";
		size_t n = (size_t)batch * 8 * 10 * 10, minbuf = 0;
		cdl_engine_options o;
		cdl_engine_stats stats;

		memset(&m, 0, sizeof(m));
		snprintf(m.name, sizeof(m.name), "tiling graph, batch %lld", (long long)batch);
		m.plan = tiling_graph(batch, true, &m.plan_len);
		m.in.dtype = CDL_DTYPE_F32;
		m.in.rank = 4;
		m.in.dims[0] = batch;
		m.in.dims[1] = 8;
		m.in.dims[2] = 10;
		m.in.dims[3] = 10;
		m.in.data = malloc(n * sizeof(float));
		CHECK(m.in.data);
		for (size_t i = 0; i < n; i++)
			((float *)m.in.data)[i] = frand();
		CHECK_OK(tp_load(m.plan, m.plan_len, 0, &l, msg, sizeof(msg)), msg);
		m.out_floats = (size_t)batch * 10;
		m.want = malloc(m.out_floats * sizeof(float));
		CHECK(m.want);
		CHECK_OK(run_model(l.engine, &m, m.want, msg, sizeof(msg)), msg);
		tp_unload(&l);
		/* MatMul and Gemm transB=0 as written: the same bits as their rewrites */
		{
			size_t len0 = 0;
			uint8_t *plain = tiling_graph(batch, false, &len0);
			float *y0 = malloc(m.out_floats * sizeof(float));

			CHECK(y0);
			CHECK_OK(tp_load(plain, len0, 0, &l, msg, sizeof(msg)), msg);
			CHECK_OK(run_model(l.engine, &m, y0, msg, sizeof(msg)), msg);
			CHECK(memcmp(y0, m.want, m.out_floats * sizeof(float)) == 0);
			tp_unload(&l);
			free(plain);
			free(y0);
		}

		/* fc2's C [M, N] must stay resident to tile fc2 when M > 1 */
		memset(&o, 0, sizeof(o));
		o.stream_buffer = 1024;
		if (batch > 1) {
			CHECK_ST(stream_check(&m, &o, &stats, NULL, msg, sizeof(msg)),
				 CDL_ERR_SECURE_MEMORY, msg);
			CHECK(strstr(msg, "fc2") && strstr(msg, "resident"));
			/* fc2.C [2, 48] (384 bytes) is the one candidate that fits */
			o.resident_budget = 384;
		}
		CHECK_OK(stream_check(&m, &o, &stats, NULL, msg, sizeof(msg)), msg);
		CHECK(stats.tiled_nodes >= 5);
		minbuf = min_buffer(&m, &o, 1 << 14);
		printf("%s: every node tiled down to a %zu-byte buffer, outputs bit-identical\n",
		       m.name, minbuf);
		for (size_t b = minbuf; b <= 8192; b += 320) {
			o.stream_buffer = b;
			o.max_workspace = b % 640 ? 0 : CDL_GEMM_WORKSPACE_MIN;
			CHECK_OK(stream_check(&m, &o, &stats, NULL, msg, sizeof(msg)), msg);
		}
		model_free(&m);
	}
}

/* --- in-place pools ------------------------------------------------------------------- */

typedef struct pool_case {
	const char *op;
	uint32_t nsp;
	int64_t in[3], k[3], s[3], pb[3], pe[3], d[3];
	int ceil;
	int dtype;
} pool_case;

/* Runs the pool op: out of place, and in place (y over x) if the rule allows. */
static int pool_run(const pool_case *pc, bool *allowed, bool *same)
{
	const cdl_op_def *def = cdl_op_find(pc->op);
	int64_t ks[3], ss[3], ds[3], pads[6];
	cdl_attr at[5];
	cdl_node node;
	cdl_tensor x, y, yi;
	cdl_tensor *ins[1] = {&x}, *outs[1] = {&y};
	cdl_op_ctx ctx;
	size_t nx = 0, ny = 0, es = 0;
	uint8_t *xb = NULL, *yb = NULL, *ib = NULL;
	void *ws = NULL;

	CHECK(def);
	for (uint32_t i = 0; i < pc->nsp; i++) {
		ks[i] = pc->k[i];
		ss[i] = pc->s[i];
		ds[i] = pc->d[i];
		pads[i] = pc->pb[i];
		pads[pc->nsp + i] = pc->pe[i];
	}
	at[0] = (cdl_attr){
	    .name = "kernel_shape", .type = CDL_ATTR_INTS, .count = pc->nsp, .v.ints = ks};
	at[1] =
	    (cdl_attr){.name = "strides", .type = CDL_ATTR_INTS, .count = pc->nsp, .v.ints = ss};
	at[2] =
	    (cdl_attr){.name = "pads", .type = CDL_ATTR_INTS, .count = 2 * pc->nsp, .v.ints = pads};
	at[3] =
	    (cdl_attr){.name = "dilations", .type = CDL_ATTR_INTS, .count = pc->nsp, .v.ints = ds};
	at[4] = (cdl_attr){.name = "ceil_mode", .type = CDL_ATTR_INT, .v.i = pc->ceil};
	memset(&node, 0, sizeof(node));
	node.op_type = pc->op;
	node.name = "p";
	node.opset = 13;
	node.n_inputs = node.n_outputs = 1;
	node.attrs = at;
	node.n_attrs = 5;
	memset(&x, 0, sizeof(x));
	x.dtype = (uint8_t)pc->dtype;
	x.rank = (uint8_t)(2 + pc->nsp);
	x.dims[0] = 2;
	x.dims[1] = 3;
	for (uint32_t i = 0; i < pc->nsp; i++)
		x.dims[2 + i] = pc->in[i];
	memset(&y, 0, sizeof(y));
	memset(&ctx, 0, sizeof(ctx));
	ctx.node = &node;
	ctx.n_inputs = ctx.n_outputs = 1;
	ctx.inputs = ins;
	ctx.outputs = outs;
	if (def->infer(&ctx) != CDL_OK)
		return 0;
	es = cdl_dtype_size(pc->dtype);
	CHECK(cdl_tensor_numel(&x, &nx) && cdl_tensor_numel(&y, &ny));
	xb = malloc(nx * es);
	yb = malloc(ny * es + 1);
	ib = malloc((nx > ny ? nx : ny) * es); /* in place against the rule: may be larger */
	ws = tp_alloc(ctx.workspace_size + 64);
	CHECK(xb && yb && ib && ws);
	for (size_t i = 0; i < nx * es; i++)
		xb[i] = (uint8_t)(frand() * 127.0f);
	if (pc->dtype == CDL_DTYPE_F32)
		for (size_t i = 0; i < nx; i++)
			((float *)xb)[i] = frand();
	x.data = xb;
	y.data = yb;
	ctx.workspace = ws;
	CHECK_OK(def->execute(&ctx), "pool");
	yi = y;
	yi.data = NULL;
	*allowed = cdl_pool_in_place_ok(&node, &x, &yi);
	/* in place regardless of the rule: where it says no, the result must differ somewhere */
	memcpy(ib, xb, nx * es);
	x.data = ib;
	y.data = ib;
	CHECK_OK(def->execute(&ctx), "pool in place");
	*same = memcmp(ib, yb, ny * es) == 0;
	free(xb);
	free(yb);
	free(ib);
	free(ws);
	return 1;
}

static void test_inplace_kernels(void)
{
	static const char *const ops[2] = {"MaxPool", "AveragePool"};
	unsigned allowed_n = 0, refused_n = 0, refused_unsafe = 0, cases = 0;

	for (int trial = 0; trial < 3000; trial++) {
		pool_case pc;
		bool allowed = false, same = false;

		memset(&pc, 0, sizeof(pc));
		pc.op = ops[trial % 2];
		pc.nsp = 1 + (uint32_t)(trial / 2 % 3);
		pc.dtype = pc.op[0] == 'M' && trial % 7 == 0 ? CDL_DTYPE_I8 : CDL_DTYPE_F32;
		pc.ceil = trial % 5 == 0;
		for (uint32_t i = 0; i < pc.nsp; i++) {
			pc.in[i] = 1 + (int64_t)((frand() + 1.0f) * 6.0f);
			pc.k[i] = 1 + (int64_t)((frand() + 1.0f) * 1.5f);
			pc.s[i] = 1 + (int64_t)((frand() + 1.0f) * 1.5f);
			pc.d[i] = trial % 11 == 0 ? 2 : 1;
			pc.pb[i] = (int64_t)((frand() + 1.0f) * 1.2f);
			pc.pe[i] = (int64_t)((frand() + 1.0f) * 1.2f);
			if (pc.pb[i] >= pc.k[i])
				pc.pb[i] = pc.k[i] - 1;
			if (pc.pe[i] >= pc.k[i])
				pc.pe[i] = pc.k[i] - 1;
		}
		if (!pool_run(&pc, &allowed, &same))
			continue;
		cases++;
		if (allowed) {
			allowed_n++;
			if (!same) {
				fprintf(stderr,
					"%s %uD in place differs: in %lld k %lld s %lld pb %lld\n",
					pc.op, pc.nsp, (long long)pc.in[0], (long long)pc.k[0],
					(long long)pc.s[0], (long long)pc.pb[0]);
				exit(1);
			}
		} else {
			refused_n++;
			refused_unsafe += !same;
		}
	}
	printf("in-place pools: %u cases, %u allowed (all bit-identical in place), %u refused (%u "
	       "of them wrong in place)\n",
	       cases, allowed_n, refused_n, refused_unsafe);
	CHECK(allowed_n > 300 && refused_n > 300 && refused_unsafe > 100);

	/* the ResNet stem pool is allowed; a padded stride-1 pool is not */
	{
		pool_case a = {.op = "MaxPool",
			       .nsp = 2,
			       .in = {32, 32},
			       .k = {3, 3},
			       .s = {2, 2},
			       .pb = {1, 1},
			       .pe = {1, 1},
			       .d = {1, 1},
			       .dtype = CDL_DTYPE_F32};
		pool_case b = a;
		bool allowed = false, same = false;

		CHECK(pool_run(&a, &allowed, &same) && allowed && same);
		b.s[0] = b.s[1] = 1;
		CHECK(pool_run(&b, &allowed, &same) && !allowed && !same);
	}
}

/* x -> Conv -> MaxPool(3, 2, 1) -> Conv; the pool written over the conv's output. */
static uint8_t *pool_graph(int64_t stride, bool keep_conv, size_t *len, uint32_t *conv_t,
			   uint32_t *pool_t)
{
	cdl_graph *g = cdl_graph_new();
	const int64_t xd[4] = {1, 1, 16, 16};
	const int64_t k[2] = {3, 3}, s[2] = {stride, stride}, p[4] = {1, 1, 1, 1};
	cdl_attr at[3] = {
	    {.name = "kernel_shape", .type = CDL_ATTR_INTS, .count = 2, .v.ints = k},
	    {.name = "strides", .type = CDL_ATTR_INTS, .count = 2, .v.ints = s},
	    {.name = "pads", .type = CDL_ATTR_INTS, .count = 4, .v.ints = p},
	};
	uint32_t x, c, q, y;
	uint8_t *buf = NULL;

	CHECK(g);
	rng = 0x9e3779b97f4a7c15ull; /* the same weights in every variant */
	x = tp_input(g, "x", CDL_DTYPE_F32, 4, xd);
	c = conv(g, "c1", x, 1, 8, 1, 3, 1, 1, true);
	q = tp_unary(g, "MaxPool", "pool", c, at, 3);
	y = conv(g, "c2", q, 8, 4, 1, 1, 1, 0, false);
	tp_output(g, y);
	if (keep_conv)
		tp_output(g, c);
	buf = tp_compile(g, len);
	*conv_t = c;
	*pool_t = q;
	printf("pool graph (stride %lld%s): arena %llu bytes, conv at %lld, pool at %lld\n",
	       (long long)stride, keep_conv ? ", conv kept" : "", (unsigned long long)g->arena_size,
	       (long long)g->tensors[c].arena_offset, (long long)g->tensors[q].arena_offset);
	if (!keep_conv && stride == 2)
		CHECK(g->tensors[c].arena_offset == g->tensors[q].arena_offset);
	else
		CHECK(g->tensors[c].arena_offset != g->tensors[q].arena_offset);
	cdl_graph_free(g);
	return buf;
}

static size_t tensor_record(const uint8_t *buf, uint32_t i)
{
	return (size_t)rd64(buf + 72 + 16 * 1) + (size_t)i * 104;
}

static void test_inplace_plan(void)
{
	size_t len = 0, len2 = 0, n = 16 * 16;
	uint32_t ct = 0, qt = 0;
	uint8_t *inplace = pool_graph(2, false, &len, &ct, &qt);
	uint8_t *apart = pool_graph(2, true, &len2, &ct, &qt);
	float x[16 * 16], y1[8 * 8 * 4], y2[8 * 8 * 4], cbuf[16 * 16 * 8];
	tp_loaded a, b;
	cdl_tensor in, out[2];
	char msg[512] = "";

	for (size_t i = 0; i < n; i++)
		x[i] = frand();
	memset(&in, 0, sizeof(in));
	in.dtype = CDL_DTYPE_F32;
	in.rank = 4;
	in.dims[0] = 1;
	in.dims[1] = 1;
	in.dims[2] = 16;
	in.dims[3] = 16;
	in.data = x;
	memset(out, 0, sizeof(out));
	CHECK_OK(tp_load(inplace, len, 0, &a, msg, sizeof(msg)), msg);
	CHECK_OK(tp_load(apart, len2, 0, &b, msg, sizeof(msg)), msg);
	CHECK(a.plan->arena_size < b.plan->arena_size);
	out[0].data = y1;
	CHECK_OK(cdl_engine_run(a.engine, &in, 1, out, 1, msg, sizeof(msg)), msg);
	out[0].data = y2;
	out[1].data = cbuf;
	CHECK_OK(cdl_engine_run(b.engine, &in, 1, out, 2, msg, sizeof(msg)), msg);
	CHECK(memcmp(y1, y2, sizeof(y1)) == 0);
	tp_unload(&a);
	tp_unload(&b);
	free(apart);

	/* the engine takes the alias only where the rule holds: a stride-1 pool
	 * edited to sit on its input is refused */
	{
		uint8_t *p1 = pool_graph(1, false, &len2, &ct, &qt);
		uint8_t *ed = tp_copy(p1, len2);
		tp_loaded l;
		uint32_t pc = UINT32_MAX, pq = UINT32_MAX;

		CHECK_OK(tp_load(p1, len2, 0, &l, msg, sizeof(msg)), msg);
		for (uint32_t i = 0; i < l.plan->n_tensors; i++) {
			if (strcmp(l.plan->tensors[i].name, "c1") == 0)
				pc = i;
			if (strcmp(l.plan->tensors[i].name, "pool") == 0)
				pq = i;
		}
		CHECK(pc != UINT32_MAX && pq != UINT32_MAX);
		tp_unload(&l);
		memcpy(ed + tensor_record(ed, pq) + 88, ed + tensor_record(ed, pc) + 88, 8);
		CHECK_ST(tp_load(ed, len2, 0, &l, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
		CHECK(strstr(msg, "overlaps"));
		tp_unload(&l);
		free(ed);
		free(p1);
	}
	free(inplace);
}

/* --- digits: the unit cases on a real (small) model ----------------------------------- */

static void test_fetch_failures(const model *m)
{
	cdl_engine_options o;
	streamed s;
	char msg[1024] = "";
	float *got = malloc(m->out_floats * sizeof(float));
	uint64_t calls = 0;

	CHECK(got);
	memset(&o, 0, sizeof(o));
	CHECK_OK(load_streamed(m->plan, m->plan_len, &o, &s, msg, sizeof(msg)), msg);
	calls = s.f.calls;
	CHECK_OK(run_model(s.e, m, got, msg, sizeof(msg)), msg);
	calls = s.f.calls - calls; /* per run */
	CHECK(calls > 0);
	for (uint64_t k = 0; k < calls; k++) {
		uint64_t base = s.f.calls;

		s.f.fail_at = (int64_t)(base + k);
		s.f.fail_with = k % 2 ? CDL_ERR_INTEGRITY : CDL_ERR_TEE;
		CHECK_ST(run_model(s.e, m, got, msg, sizeof(msg)), s.f.fail_with, msg);
		CHECK(strstr(msg, "failed to fetch weights") && strstr(msg, "node"));
		s.f.fail_at = -1;
		memset(got, 0, m->out_floats * sizeof(float));
		CHECK_OK(run_model(s.e, m, got, msg, sizeof(msg)), msg);
		CHECK(memcmp(got, m->want, m->out_floats * sizeof(float)) == 0);
	}
	unload(&s);

	/* a tiled node failing between tiles */
	o.stream_buffer = 2048;
	CHECK_OK(load_streamed(m->plan, m->plan_len, &o, &s, msg, sizeof(msg)), msg);
	{
		cdl_engine_stats st;

		cdl_engine_get_stats(s.e, &st);
		CHECK(st.tiled_nodes > 0);
		calls = s.f.calls;
		CHECK_OK(run_model(s.e, m, got, msg, sizeof(msg)), msg);
		calls = s.f.calls - calls;
		CHECK(calls > 4);
		for (uint64_t k = 0; k < calls; k += 3) {
			s.f.fail_at = (int64_t)(s.f.calls + k);
			s.f.fail_with = CDL_ERR_INTEGRITY;
			CHECK_ST(run_model(s.e, m, got, msg, sizeof(msg)), CDL_ERR_INTEGRITY, msg);
			s.f.fail_at = -1;
			CHECK_OK(run_model(s.e, m, got, msg, sizeof(msg)), msg);
			CHECK(memcmp(got, m->want, m->out_floats * sizeof(float)) == 0);
		}
	}
	unload(&s);

	/* a failure while create fetches the resident constants: create fails, arena untouched */
	{
		cdl_engine_options r;
		size_t tsz = 0, need = 0;
		uint8_t *prefix = NULL;
		void *pm = NULL, *em = NULL;
		cdl_arena pa, ea;
		const cdl_plan *p = NULL;
		cdl_engine *e = NULL;
		fetcher f;

		fetcher_init(&f, m->plan, m->plan_len);
		CHECK_OK(cdl_plan_tables_size(m->plan, m->plan_len, &tsz, msg, sizeof(msg)), msg);
		prefix = tp_copy(m->plan, tsz);
		pm = malloc(3 * tsz + 4096);
		CHECK(pm);
		cdl_arena_init(&pa, pm, 3 * tsz + 4096);
		CHECK_OK(cdl_plan_parse_tables(prefix, tsz, &pa, &p, msg, sizeof(msg)), msg);
		memset(&r, 0, sizeof(r));
		r.fetch = fetch_cb;
		r.fetch_arg = &f;
		r.resident_budget = SIZE_MAX;
		CHECK_OK(cdl_engine_memory_needed_ex(p, &r, &need, msg, sizeof(msg)), msg);
		em = malloc(need);
		CHECK(em);
		cdl_arena_init(&ea, em, need);
		f.fail_at = 0; /* neighbours come in one call: digits' are all one */
		f.fail_with = CDL_ERR_INTEGRITY;
		CHECK_ST(cdl_engine_create_ex(p, &r, &ea, &e, msg, sizeof(msg)), CDL_ERR_INTEGRITY,
			 msg);
		CHECK(e == NULL && ea.used == 0 && strstr(msg, "resident weights"));
		/* exactly the bytes it asked for: one less is refused */
		f.fail_at = -1;
		cdl_arena_init(&ea, em, need - 1);
		CHECK_ST(cdl_engine_create_ex(p, &r, &ea, &e, msg, sizeof(msg)),
			 CDL_ERR_OUT_OF_MEMORY, msg);
		cdl_arena_init(&ea, em, need);
		CHECK_OK(cdl_engine_create_ex(p, &r, &ea, &e, msg, sizeof(msg)), msg);
		CHECK_OK(run_model(e, m, got, msg, sizeof(msg)), msg);
		CHECK(memcmp(got, m->want, m->out_floats * sizeof(float)) == 0);
		/* without a fetch callback, a tables-only plan is refused */
		cdl_arena_init(&ea, em, need);
		CHECK_ST(cdl_engine_create(p, &ea, &e, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT,
			 msg);
		CHECK(strstr(msg, "fetch"));
		free(em);
		free(pm);
		free(prefix);
	}
	free(got);
}

struct counts {
	unsigned rejected, loaded, ran;
};

/* One variant of the tables: parse, load in fetch mode, run; nothing may crash. */
static void try_tables(const model *m, const uint8_t *src, size_t len, struct counts *c)
{
	uint8_t *buf = tp_copy(src, len);
	static uint8_t pmem[1 << 18];
	cdl_arena pa, ea;
	const cdl_plan *p = NULL;
	cdl_engine_options o;
	cdl_engine *e = NULL;
	char msg[512] = "";
	size_t need = 0;
	void *em = NULL;
	fetcher f;
	float out[64];
	cdl_tensor ot;

	fetcher_init(&f, m->plan, m->plan_len);
	cdl_arena_init(&pa, pmem, sizeof(pmem));
	if (cdl_plan_parse_tables(buf, len, &pa, &p, msg, sizeof(msg)) != CDL_OK) {
		CHECK(msg[0]);
		c->rejected++;
		free(buf);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.fetch = fetch_cb;
	o.fetch_arg = &f;
	o.stream_buffer = len % 3 ? 4096 : 0;
	o.resident_budget = len % 2 ? 0 : 4096;
	if (cdl_engine_memory_needed_ex(p, &o, &need, msg, sizeof(msg)) == CDL_OK &&
	    need < ((size_t)64 << 20)) {
		em = malloc(need ? need : 1);
		CHECK(em);
		cdl_arena_init(&ea, em, need);
		if (cdl_engine_create_ex(p, &o, &ea, &e, msg, sizeof(msg)) == CDL_OK) {
			const cdl_plan_tensor *ti = &p->tensors[p->inputs[0]];
			const cdl_plan_tensor *to = &p->tensors[p->outputs[0]];

			c->loaded++;
			if (p->n_inputs == 1 && p->n_outputs == 1 && to->size <= sizeof(out) &&
			    cdl_tensor_same_shape(&ti->desc, &m->in)) {
				memset(&ot, 0, sizeof(ot));
				ot.data = out;
				if (cdl_engine_run(e, &m->in, 1, &ot, 1, msg, sizeof(msg)) ==
				    CDL_OK)
					c->ran++;
			}
		}
		free(em);
	}
	free(buf);
}

static void test_tables_malformed(const model *m)
{
	size_t tsz = 0, got = 0;
	char msg[512] = "";
	struct counts c = {0, 0, 0};
	uint8_t *buf = NULL;
	static uint8_t pmem[1 << 18];
	cdl_arena pa;
	const cdl_plan *p = NULL;

	CHECK_OK(cdl_plan_tables_size(m->plan, m->plan_len, &tsz, msg, sizeof(msg)), msg);
	CHECK(tsz > 192 && tsz < m->plan_len);
	/* every prefix: too short for the header, then too short for the tables */
	for (size_t len = 0; len <= tsz; len++) {
		buf = tp_copy(m->plan, len);
		cdl_arena_init(&pa, pmem, sizeof(pmem));
		if (len < 192) {
			CHECK_ST(cdl_plan_tables_size(buf, len, &got, msg, sizeof(msg)),
				 CDL_ERR_MALFORMED, msg);
		} else {
			CHECK_OK(cdl_plan_tables_size(buf, len, &got, msg, sizeof(msg)), msg);
			CHECK(got == tsz);
		}
		if (len < tsz) {
			CHECK_ST(cdl_plan_parse_tables(buf, len, &pa, &p, msg, sizeof(msg)),
				 CDL_ERR_MALFORMED, msg);
			CHECK(p == NULL && pa.used == 0 && strstr(msg, "malformed plan"));
		} else {
			CHECK_OK(cdl_plan_parse_tables(buf, len, &pa, &p, msg, sizeof(msg)), msg);
		}
		free(buf);
	}
	/* the parse takes what it says, and no more */
	cdl_arena_init(&pa, pmem, 1000);
	CHECK_ST(cdl_plan_parse_tables(m->plan, tsz, &pa, &p, msg, sizeof(msg)),
		 CDL_ERR_OUT_OF_MEMORY, msg);
	CHECK_ST(cdl_plan_parse_tables(NULL, tsz, &pa, &p, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK_ST(cdl_plan_tables_size(m->plan, tsz, NULL, msg, sizeof(msg)),
		 CDL_ERR_INVALID_ARGUMENT, msg);
	/* unaligned is fine for the tables (copied), not for a full plan */
	buf = malloc(tsz + 1);
	CHECK(buf);
	memcpy(buf + 1, m->plan, tsz);
	cdl_arena_init(&pa, pmem, sizeof(pmem));
	CHECK_OK(cdl_plan_parse_tables(buf + 1, tsz, &pa, &p, msg, sizeof(msg)), msg);
	free(buf);

	/* a constant past the declared weights section */
	{
		uint8_t *ed = tp_copy(m->plan, tsz);
		uint64_t wsize = rd64(ed + 80 + 16 * 6);

		cdl_arena_init(&pa, pmem, sizeof(pmem));
		CHECK_OK(cdl_plan_parse_tables(ed, tsz, &pa, &p, msg, sizeof(msg)), msg);
		for (uint32_t i = 0; i < p->n_tensors; i++) {
			if (p->tensors[i].kind != CDL_PLAN_CONSTANT)
				continue;
			memcpy(ed + tensor_record(ed, i) + 88,
			       &(uint64_t){(wsize - p->tensors[i].size + 64) & ~(uint64_t)63}, 8);
			break;
		}
		cdl_arena_init(&pa, pmem, sizeof(pmem));
		CHECK_ST(cdl_plan_parse_tables(ed, tsz, &pa, &p, msg, sizeof(msg)),
			 CDL_ERR_MALFORMED, msg);
		CHECK(strstr(msg, "weights section"));
		/* a section running past total_size */
		memcpy(ed, m->plan, tsz);
		memcpy(ed + 80, &(uint64_t){rd64(ed + 48)}, 8);
		CHECK_ST(cdl_plan_tables_size(ed, tsz, &got, msg, sizeof(msg)), CDL_ERR_MALFORMED,
			 msg);
		free(ed);
	}

	/* every byte of the tables flipped three ways */
	{
		uint8_t *v = tp_copy(m->plan, tsz);

		for (size_t i = 0; i < tsz; i++) {
			static const uint8_t flips[3] = {0x01, 0x80, 0xff};

			for (int k = 0; k < 3; k++) {
				v[i] ^= flips[k];
				try_tables(m, v, tsz, &c);
				v[i] ^= flips[k];
			}
		}
		free(v);
	}
	printf("digits tables: %zu bytes; %u flipped variants refused, %u loaded, %u ran\n", tsz,
	       c.rejected, c.loaded, c.ran);
	CHECK(c.rejected > 0 && c.loaded > 0);
}

static void test_budgets(const model *m)
{
	cdl_engine_options o;
	cdl_engine_stats stats;
	char msg[1024] = "";
	size_t tsz = 0, bytes = 0, all = 0, least = 0;
	uint8_t *prefix = NULL;
	static uint8_t pmem[1 << 18];
	cdl_arena pa;
	const cdl_plan *p = NULL;
	fetcher f;

	CHECK_OK(cdl_plan_tables_size(m->plan, m->plan_len, &tsz, msg, sizeof(msg)), msg);
	prefix = tp_copy(m->plan, tsz);
	cdl_arena_init(&pa, pmem, sizeof(pmem));
	CHECK_OK(cdl_plan_parse_tables(prefix, tsz, &pa, &p, msg, sizeof(msg)), msg);
	fetcher_init(&f, m->plan, m->plan_len);

	/* auto at a large budget: everything resident */
	CHECK_OK(
	    cdl_engine_options_for_budget(p, 64 * MIB, fetch_cb, &f, &o, &all, msg, sizeof(msg)),
	    msg);
	CHECK(o.resident_budget == SIZE_MAX);
	CHECK_OK(stream_check(m, &o, &stats, NULL, msg, sizeof(msg)), msg);
	CHECK(stats.fetched_bytes_last_run == 0 && stats.engine_bytes <= all);
	/* shrinking budgets: always within, always the same outputs, until refused */
	for (size_t b = all - 64;; b -= b / 16) {
		cdl_status st =
		    cdl_engine_options_for_budget(p, b, fetch_cb, &f, &o, &bytes, msg, sizeof(msg));

		if (st) {
			CHECK_ST(st, CDL_ERR_SECURE_MEMORY, msg);
			CHECK(strstr(msg, "needs") && strstr(msg, "budget"));
			CHECK(least > 0);
			printf("digits auto: %zu-byte budget refused: %s\n", b, msg);
			break;
		}
		CHECK(bytes <= b);
		CHECK_OK(stream_check(m, &o, &stats, NULL, msg, sizeof(msg)), msg);
		CHECK(stats.engine_bytes <= b);
		least = b;
	}
	printf("digits auto: resident at %zu bytes, streams down to %zu bytes\n", all, least);
	free(prefix);
}

/* cdl_f32_gemm_ws: smaller blocks, the same bits, for every kernel variant. */
static void test_gemm_ws(void)
{
	const cdl_f32_gemm_kernel *kerns[4];
	size_t nk = cdl_f32_gemm_kernels(kerns, 4);
	static const size_t dims[][3] = {
	    {1, 1000, 512}, {64, 3136, 147}, {37, 70, 600}, {200, 9, 1}, {5, 600, 300}};

	for (size_t kk = 0; kk < nk && kk < 4; kk++) {
		for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++) {
			size_t m = dims[di][0], n = dims[di][1], k = dims[di][2];
			float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *bias = malloc(m * 4);
			float *c0 = malloc(m * n * 4), *c1 = malloc(m * n * 4);
			size_t full = cdl_f32_gemm_workspace_size(m, n, k);
			size_t least = cdl_f32_gemm_workspace_min(m, n, k);
			void *ws = tp_alloc(full);
			cdl_act act = {CDL_ACT_RELU, 0, 0};
			cdl_f32_gemm_desc d;

			CHECK(a && b && bias && c0 && c1);
			CHECK(least <= CDL_GEMM_WORKSPACE_MIN && least <= full);
			for (size_t i = 0; i < m * k; i++)
				a[i] = frand();
			for (size_t i = 0; i < k * n; i++)
				b[i] = frand();
			for (size_t i = 0; i < m; i++)
				bias[i] = frand();
			memset(&d, 0, sizeof(d));
			d.m = m;
			d.n = n;
			d.k = k;
			d.a = a;
			d.a_rs = k;
			d.a_cs = 1;
			d.alpha = 1.0f;
			d.b = b;
			d.b_rs = n;
			d.b_cs = 1;
			d.c = c0;
			d.ldc = n;
			d.bias = bias;
			d.act = di % 2 ? &act : NULL;
			cdl_f32_gemm(kerns[kk], &d, ws);
			for (size_t w = full; w >= least; w = w * 2 / 3) {
				d.c = c1;
				memset(c1, 0, m * n * 4);
				CHECK(cdl_f32_gemm_ws(kerns[kk], &d, ws, w));
				CHECK(memcmp(c0, c1, m * n * 4) == 0);
				if (w == least)
					break;
				if (w * 2 / 3 < least)
					w = least * 3 / 2 + 1;
			}
			CHECK(!cdl_f32_gemm_ws(kerns[kk], &d, ws, least - 4));
			free(a);
			free(b);
			free(bias);
			free(c0);
			free(c1);
			free(ws);
		}
	}
	printf("GEMM in a smaller workspace: bit-identical for %zu kernel variants\n", nk);
}

static void test_digits(const char *dir)
{
	model m;

	if (!model_load(&m, dir)) {
		fprintf(stderr, "%s: no test data\n", dir);
		exit(1);
	}
	stream_model(&m, false);
	test_fetch_failures(&m);
	test_tables_malformed(&m);
	test_budgets(&m);
	model_free(&m);
}

/* --- the peak-memory table ------------------------------------------------------------- */

typedef struct peak {
	size_t tables, engine, arena, buffer, ws, resident;
	cdl_status st;
} peak;

static peak measure(const model *m, const cdl_engine_options *opts, size_t budget)
{
	peak pk;
	streamed s;
	cdl_engine_options o;
	cdl_engine_stats st;
	char msg[1024] = "";

	memset(&pk, 0, sizeof(pk));
	memset(&o, 0, sizeof(o));
	if (opts) {
		o = *opts;
	} else {
		/* auto: the engine's share of the budget is what the TA leaves it */
		size_t tsz = 0, bytes = 0;
		uint8_t *prefix = NULL;
		void *pm = NULL;
		cdl_arena pa;
		const cdl_plan *p = NULL;
		fetcher f;

		CHECK_OK(cdl_plan_tables_size(m->plan, m->plan_len, &tsz, msg, sizeof(msg)), msg);
		prefix = tp_copy(m->plan, tsz);
		pm = malloc(3 * tsz + 4096);
		CHECK(pm);
		cdl_arena_init(&pa, pm, 3 * tsz + 4096);
		CHECK_OK(cdl_plan_parse_tables(prefix, tsz, &pa, &p, msg, sizeof(msg)), msg);
		fetcher_init(&f, m->plan, m->plan_len);
		pk.st = cdl_engine_options_for_budget(p, budget - pa.used - TA_BLOCK, fetch_cb, &f,
						      &o, &bytes, msg, sizeof(msg));
		free(prefix);
		free(pm);
		if (pk.st) {
			pk.engine = 0;
			return pk;
		}
	}
	pk.st = load_streamed(m->plan, m->plan_len, &o, &s, msg, sizeof(msg));
	if (pk.st) {
		unload(&s);
		return pk;
	}
	cdl_engine_get_stats(s.e, &st);
	pk.tables = s.tables_bytes;
	pk.engine = s.need;
	pk.arena = (size_t)st.arena_bytes;
	pk.buffer = (size_t)st.stream_buffer_bytes;
	pk.ws = (size_t)st.workspace_bytes;
	pk.resident = (size_t)st.resident_bytes;
	unload(&s);
	return pk;
}

static void print_peak(const char *model_name, const char *mode, const peak *pk)
{
	if (pk->st) {
		printf("| %-19s | %-22s | %s |\n", model_name, mode, "does not fit");
		return;
	}
	printf("| %-19s | %-22s | %9zu | %9zu | %8zu | %9zu | %7zu | %10zu | %.2f MiB |\n",
	       model_name, mode, pk->arena, pk->buffer, pk->ws, pk->resident, pk->tables,
	       pk->tables + pk->engine, (double)(pk->tables + pk->engine + TA_BLOCK) / (double)MIB);
}

static void memory_table(int argc, char **argv)
{
	printf("peak = parsed tables + everything the engine takes; +TA = with the TA's 64 KiB "
	       "block\n");
	printf("| model               | mode                   |     arena | stream buf | "
	       "workspace | resident |  tables |       peak | peak +TA |\n");
	for (int i = 0; i < argc; i++) {
		model m;
		cdl_engine_options o;
		peak pk;
		size_t minbuf = 0;

		if (!model_load(&m, argv[i]))
			continue;
		memset(&o, 0, sizeof(o));
		o.resident_budget = SIZE_MAX;
		pk = measure(&m, &o, 0);
		print_peak(m.name, "resident", &pk);
		o.resident_budget = 0;
		pk = measure(&m, &o, 0);
		print_peak(m.name, "stream, no tiling", &pk);
		{
			/* the smallest buffer: from the auto mode's first step */
			size_t tsz = 0;
			uint8_t *prefix = NULL;
			void *pm = NULL;
			cdl_arena pa;
			const cdl_plan *p = NULL;
			char msg[512] = "";
			size_t bytes = 0;
			cdl_engine_options a;
			fetcher f;

			CHECK_OK(cdl_plan_tables_size(m.plan, m.plan_len, &tsz, msg, sizeof(msg)),
				 msg);
			prefix = tp_copy(m.plan, tsz);
			pm = malloc(3 * tsz + 4096);
			CHECK(pm);
			cdl_arena_init(&pa, pm, 3 * tsz + 4096);
			CHECK_OK(cdl_plan_parse_tables(prefix, tsz, &pa, &p, msg, sizeof(msg)),
				 msg);
			fetcher_init(&f, m.plan, m.plan_len);
			/* a budget of 1 byte is refused, after trying the least: read it back */
			CHECK_ST(cdl_engine_options_for_budget(p, 1, fetch_cb, &f, &a, &bytes, msg,
							       sizeof(msg)),
				 CDL_ERR_SECURE_MEMORY, msg);
			CHECK(sscanf(strstr(msg, "stream buffer ") ? strstr(msg, "stream buffer ")
								   : "",
				     "stream buffer %zu", &minbuf) == 1);
			free(prefix);
			free(pm);
		}
		o.stream_buffer = minbuf;
		pk = measure(&m, &o, 0);
		print_peak(m.name, "stream, least buffer", &pk);
		o.max_workspace = 64 << 10;
		pk = measure(&m, &o, 0);
		print_peak(m.name, "  + 64 KiB workspace", &pk);
		pk = measure(&m, NULL, 4 * MIB);
		print_peak(m.name, "auto, 4 MiB", &pk);
		if (strcmp(m.name, "resnet18") == 0) {
			/* the done-criterion: streaming within a 4 MiB secure heap */
			CHECK(pk.st == CDL_OK && pk.tables + pk.engine + TA_BLOCK <= 4 * MIB);
		}
		pk = measure(&m, NULL, 16 * MIB);
		print_peak(m.name, "auto, 16 MiB", &pk);
		model_free(&m);
	}
}

/* --- torchvision nets ------------------------------------------------------------------ */

static void test_models(int argc, char **argv, bool quick)
{
	for (int i = 0; i < argc; i++) {
		model m;
		cdl_engine_options o;
		cdl_engine_stats stats;
		char msg[1024] = "";
		peak pk;
		double ms = 0;

		if (!model_load(&m, argv[i])) {
			printf("%s: not generated, skipped\n", argv[i]);
			continue;
		}
		stream_model(&m, quick);
		/* auto at 4 and 16 MiB: what the TA will run */
		for (size_t budget = 4 * MIB; budget <= 16 * MIB; budget *= 4) {
			pk = measure(&m, NULL, budget);
			if (pk.st) {
				printf("%s: auto at %zu MiB: does not fit\n", m.name, budget / MIB);
				continue;
			}
			{
				size_t tsz = 0, bytes = 0;
				uint8_t *prefix = NULL;
				void *pm = NULL;
				cdl_arena pa;
				const cdl_plan *p = NULL;
				fetcher f;

				CHECK_OK(cdl_plan_tables_size(m.plan, m.plan_len, &tsz, msg,
							      sizeof(msg)),
					 msg);
				prefix = tp_copy(m.plan, tsz);
				pm = malloc(3 * tsz + 4096);
				CHECK(pm);
				cdl_arena_init(&pa, pm, 3 * tsz + 4096);
				CHECK_OK(
				    cdl_plan_parse_tables(prefix, tsz, &pa, &p, msg, sizeof(msg)),
				    msg);
				fetcher_init(&f, m.plan, m.plan_len);
				CHECK_OK(cdl_engine_options_for_budget(
					     p, budget - pa.used - TA_BLOCK, fetch_cb, &f, &o,
					     &bytes, msg, sizeof(msg)),
					 msg);
				free(prefix);
				free(pm);
			}
			CHECK_OK(stream_check(&m, &o, &stats, &ms, msg, sizeof(msg)), msg);
			printf("%s: auto at %zu MiB: peak %zu bytes, buffer %llu, resident %llu, "
			       "%u tiled, %llu bytes fetched per run, %.1f ms (resident %.1f ms)\n",
			       m.name, budget / MIB, pk.tables + pk.engine + TA_BLOCK,
			       (unsigned long long)stats.stream_buffer_bytes,
			       (unsigned long long)stats.resident_bytes, stats.tiled_nodes,
			       (unsigned long long)stats.fetched_bytes_last_run, ms, m.resident_ms);
		}
		model_free(&m);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "memory") == 0) {
		memory_table(argc - 2, argv + 2);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "model") == 0 || strcmp(argv[1], "quick") == 0)) {
		test_models(argc - 2, argv + 2, strcmp(argv[1], "quick") == 0);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr,
			"usage: %s DIGITS_DIR | model DIR... | quick DIR... | memory DIR...\n",
			argv[0]);
		return 2;
	}
	test_gemm_ws();
	test_inplace_kernels();
	test_inplace_plan();
	test_tiling_graphs();
	test_digits(argv[1]);
	printf("ok\n");
	return 0;
}
