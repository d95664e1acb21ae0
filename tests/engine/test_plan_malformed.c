// SPDX-License-Identifier: Apache-2.0
/*
 * Hostile plans: a small valid plan (written by the plan writer, using every
 * attribute type) with every byte flipped in several ways, and truncated at
 * every length. Each variant lives in an allocation of exactly its length and
 * the engine in an arena of exactly what it asked for, so under
 * AddressSanitizer any read or write outside them fails the test. Every
 * variant must parse and load with an error status or succeed; one that loads
 * is then run. Flips inside the weights must be accepted (weights are data);
 * truncations and flips of the magic must be refused. Then random edits of
 * several bytes at once, for inconsistencies a single flip cannot make.
 */
#include "test_plan_util.h"

static uint8_t parse_mem[1 << 16] __attribute__((aligned(64)));

static cdl_graph *build(void)
{
	const int64_t xd[4] = { 1, 2, 3, 4 };
	const int64_t perm[4] = { 0, 1, 3, 2 };
	const float kv[4] = { 0.5f, -1.0f, 2.0f, 0.0f };
	const float fv[3] = { 2.0f, -1.0f, 0.5f };
	cdl_tensor kt;
	cdl_attr a_tensor = { .name = "value", .type = CDL_ATTR_TENSOR, .v.t = &kt };
	cdl_attr a_floats = { .name = "value_floats", .type = CDL_ATTR_FLOATS, .count = 3,
			      .v.floats = fv };
	cdl_attr a_act[2] = {
		{ .name = "cdl.act", .type = CDL_ATTR_STRING, .count = 9, .v.s = "LeakyRelu" },
		{ .name = "cdl.act_alpha", .type = CDL_ATTR_FLOAT, .v.f = 0.1f },
	};
	cdl_attr a_perm = { .name = "perm", .type = CDL_ATTR_INTS, .count = 4, .v.ints = perm };
	cdl_attr a_axis = { .name = "axis", .type = CDL_ATTR_INT, .v.i = 1 };
	cdl_graph *g = cdl_graph_new();
	uint32_t x, a, k, b, e, f, kf, y, in[2];
	const char *nm[1];

	memset(&kt, 0, sizeof(kt));
	kt.dtype = CDL_DTYPE_F32;
	kt.rank = 1;
	kt.dims[0] = 4;
	kt.data = (void *)kv;
	CHECK(g);
	x = tp_input(g, "x", CDL_DTYPE_F32, 4, xd);
	a = tp_unary(g, "Relu", "a", x, NULL, 0);
	nm[0] = "k";
	tp_node(g, "Constant", "k", NULL, 0, &k, nm, 1, &a_tensor, 1);
	in[0] = a;
	in[1] = k;
	nm[0] = "b";
	tp_node(g, "Add", "b", in, 2, &b, nm, 1, a_act, 2);
	e = tp_unary(g, "Transpose", "e", b, &a_perm, 1);
	in[0] = e;
	in[1] = e;
	nm[0] = "f";
	tp_node(g, "Concat", "f", in, 2, &f, nm, 1, &a_axis, 1);
	nm[0] = "kf";
	tp_node(g, "Constant", "kf", NULL, 0, &kf, nm, 1, &a_floats, 1);
	y = tp_binary(g, "Mul", "y", f, kf);
	tp_output(g, y);
	return g;
}

struct counts {
	unsigned rejected, parsed_only, loaded, ran, run_failed, too_big;
};

/* Parse, load and run one variant; returns the parse status. */
static cdl_status try_plan(const uint8_t *src, size_t len, struct counts *c, cdl_status *load_st)
{
	uint8_t *buf = tp_copy(src, len);
	cdl_arena a;
	const cdl_plan *p = NULL;
	char msg[256] = "";
	cdl_status st;
	size_t need = 0;

	*load_st = CDL_ERR_INTERNAL;
	cdl_arena_init(&a, parse_mem, sizeof(parse_mem));
	st = cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg));
	if (st) {
		CHECK(p == NULL && msg[0]);
		c->rejected++;
		goto out;
	}
	*load_st = cdl_engine_memory_needed(p, &need, msg, sizeof(msg));
	if (*load_st)
		goto parsed_only;
	if (need > (64u << 20)) {
		/* e.g. an arena_size bit flipped high: a TA would refuse it by budget */
		c->too_big++;
		goto out;
	}
	{
		uint8_t *emem = tp_alloc(need);
		cdl_arena ea;
		cdl_engine *e = NULL;

		cdl_arena_init(&ea, emem, need);
		*load_st = cdl_engine_create(p, &ea, &e, msg, sizeof(msg));
		if (*load_st) {
			CHECK(e == NULL && msg[0]);
			free(emem);
			goto parsed_only;
		}
		c->loaded++;
		/* run with inputs/outputs shaped as this plan says */
		{
			cdl_tensor *ins = calloc(p->n_inputs + 1, sizeof(*ins));
			cdl_tensor *outs = calloc(p->n_outputs + 1, sizeof(*outs));
			bool ok = ins && outs;

			for (uint32_t i = 0; ok && i < p->n_inputs; i++) {
				const cdl_plan_tensor *t = &p->tensors[p->inputs[i]];

				ins[i] = t->desc;
				ins[i].data = tp_alloc((size_t)t->size);
				for (size_t b = 0; b < t->size; b++)
					((uint8_t *)ins[i].data)[b] = (uint8_t)(b * 37 + 11);
			}
			for (uint32_t i = 0; ok && i < p->n_outputs; i++)
				outs[i].data = tp_alloc((size_t)p->tensors[p->outputs[i]].size);
			if (cdl_engine_run(e, ins, p->n_inputs, outs, p->n_outputs, msg,
					   sizeof(msg)) == CDL_OK)
				c->ran++;
			else
				c->run_failed++;
			for (uint32_t i = 0; i < p->n_inputs; i++)
				free(ins[i].data);
			for (uint32_t i = 0; i < p->n_outputs; i++)
				free(outs[i].data);
			free(ins);
			free(outs);
		}
		free(emem);
		goto out;
	}
parsed_only:
	c->parsed_only++;
out:
	free(buf);
	return st;
}

int main(void)
{
	cdl_graph *g = build();
	size_t len = 0;
	uint8_t *plan = tp_compile(g, &len);
	uint8_t *work = tp_alloc(len);
	const uint8_t pats[4] = { 0x01, 0x10, 0x80, 0xff };
	struct counts flips = { 0 }, cuts = { 0 };
	uint64_t w_off = 0, w_size = 0;
	cdl_status load_st;

	memcpy(&w_off, plan + 72 + 16 * 6, 8);
	memcpy(&w_size, plan + 80 + 16 * 6, 8);
	CHECK(w_off + w_size == len);

	/* the original is fine */
	CHECK(try_plan(plan, len, &flips, &load_st) == CDL_OK && load_st == CDL_OK);
	CHECK(flips.ran == 1);
	memset(&flips, 0, sizeof(flips));

	for (size_t i = 0; i < len; i++) {
		for (int k = 0; k < 4; k++) {
			cdl_status st;

			memcpy(work, plan, len);
			work[i] ^= pats[k];
			st = try_plan(work, len, &flips, &load_st);
			if (i < 8)
				CHECK(st == CDL_ERR_MALFORMED);
			if (i >= w_off)
				CHECK(st == CDL_OK && load_st == CDL_OK);
		}
	}
	for (size_t n = 0; n < len; n++) {
		CHECK(try_plan(plan, n, &cuts, &load_st) != CDL_OK);
	}
	printf("plan of %zu bytes (weights %llu), %zu byte flips: %u rejected by parse, "
	       "%u by create, %u loaded (%u ran, %u refused at run), %u too big\n",
	       len, (unsigned long long)w_size, 4 * len, flips.rejected, flips.parsed_only,
	       flips.loaded, flips.ran, flips.run_failed, flips.too_big);
	printf("%zu truncations: all %u rejected\n", len, cuts.rejected);

	/* several random bytes at once, outside the weights: deeper inconsistencies */
	{
		struct counts rnd = { 0 };
		uint64_t s = 0x243f6a8885a308d3ull;

		for (int it = 0; it < 20000; it++) {
			int n = 1 + (int)(s % 4);

			memcpy(work, plan, len);
			for (int k = 0; k < n; k++) {
				s ^= s << 13;
				s ^= s >> 7;
				s ^= s << 17;
				work[(s >> 8) % w_off] = (uint8_t)(s >> 40);
			}
			(void)try_plan(work, len, &rnd, &load_st);
		}
		printf("20000 random multi-byte edits: %u rejected by parse, %u by create, "
		       "%u loaded (%u ran, %u refused at run), %u too big\n",
		       rnd.rejected, rnd.parsed_only, rnd.loaded, rnd.ran, rnd.run_failed,
		       rnd.too_big);
	}
	CHECK(cuts.rejected == len);
	CHECK(flips.rejected > 0 && flips.loaded > 0);
	free(work);
	free(plan);
	cdl_graph_free(g);
	printf("malformed plans: ok\n");
	return 0;
}
