// SPDX-License-Identifier: Apache-2.0
/*
 * The memory planner (cdl_plan_memory), op-independent: it only reads the
 * graph's structure and shapes, so the graphs here use a made-up op type.
 *  - random DAGs: every pair of tensors alive at the same step gets disjoint
 *    bytes, a node's outputs never share bytes with its inputs, offsets are
 *    aligned and inside the arena, constants and unreferenced tensors get -1;
 *  - chains and residual blocks, where the optimum is known;
 *  - refusals: reads of never-computed tensors, unknown shapes, unfolded If.
 * Prints the arena size against the sum of all activations.
 */
#include "test_plan_util.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static uint32_t act(cdl_graph *g, const char *name, int64_t n)
{
	uint32_t t = cdl_graph_add_tensor(g, name);

	CHECK(t != CDL_NO_TENSOR);
	tp_set_shape(&g->tensors[t].t, CDL_DTYPE_F32, 1, &n);
	g->tensors[t].shape_known = true;
	return t;
}

static uint64_t aligned_size(const cdl_gtensor *t)
{
	size_t b = 0;

	CHECK(cdl_tensor_nbytes(&t->t, &b));
	return ((uint64_t)b + CDL_PLAN_ALIGN - 1) & ~(uint64_t)(CDL_PLAN_ALIGN - 1);
}

/* Independent lifetimes and the planner's invariants. Returns the activation sum. */
static uint64_t verify(const cdl_graph *g)
{
	uint32_t n = g->n_tensors;
	int64_t *birth = calloc(n, sizeof(*birth));
	int64_t *death = calloc(n, sizeof(*death));
	uint64_t sum = 0;
	int64_t step = 0;

	CHECK(birth && death);
	for (uint32_t t = 0; t < n; t++)
		birth[t] = -1;
	for (uint32_t i = 0; i < g->n_inputs; i++)
		birth[g->inputs[i]] = 0;
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_node *nd = &g->nodes[i].n;

		if (g->nodes[i].dead)
			continue;
		step++;
		for (uint32_t k = 0; k < nd->n_inputs; k++)
			if (nd->inputs[k] != CDL_NO_TENSOR && death[nd->inputs[k]] < step)
				death[nd->inputs[k]] = step;
		for (uint32_t k = 0; k < nd->n_outputs; k++)
			if (nd->outputs[k] != CDL_NO_TENSOR)
				birth[nd->outputs[k]] = death[nd->outputs[k]] = step;
	}
	for (uint32_t i = 0; i < g->n_outputs; i++)
		death[g->outputs[i]] = step + 1;

	for (uint32_t t = 0; t < n; t++) {
		const cdl_gtensor *a = &g->tensors[t];

		if (a->is_const || birth[t] < 0) {
			CHECK(a->arena_offset == -1);
			continue;
		}
		CHECK(a->arena_offset >= 0 && a->arena_offset % CDL_PLAN_ALIGN == 0);
		CHECK((uint64_t)a->arena_offset + aligned_size(a) <= g->arena_size);
		sum += aligned_size(a);
		for (uint32_t u = t + 1; u < n; u++) {
			const cdl_gtensor *b = &g->tensors[u];
			uint64_t a0 = (uint64_t)a->arena_offset, b0 = (uint64_t)b->arena_offset;

			if (b->is_const || birth[u] < 0)
				continue;
			if (birth[t] <= death[u] && birth[u] <= death[t])
				CHECK(a0 + aligned_size(a) <= b0 || b0 + aligned_size(b) <= a0);
		}
	}
	CHECK(g->arena_size <= sum);
	free(birth);
	free(death);
	return sum;
}

static void test_random(void)
{
	uint64_t total_arena = 0, total_sum = 0;

	for (int iter = 0; iter < 300; iter++) {
		cdl_graph *g = cdl_graph_new();
		uint32_t pool[256], n_pool = 0;
		uint32_t n_nodes = 1 + rnd(40);
		char name[32];
		char msg[256] = "";
		const float zero[64] = { 0 };

		CHECK(g);
		for (uint32_t i = 0, n_in = 1 + rnd(3); i < n_in; i++) {
			int64_t d = 1 + rnd(3000);

			snprintf(name, sizeof(name), "in%u", i);
			pool[n_pool++] = tp_input(g, name, CDL_DTYPE_F32, 1, &d);
		}
		for (uint32_t i = 0, n_c = rnd(3); i < n_c; i++) {
			int64_t d = 1 + rnd(64);

			snprintf(name, sizeof(name), "c%u", i);
			pool[n_pool++] = tp_const(g, name, CDL_DTYPE_F32, 1, &d, zero);
		}
		for (uint32_t i = 0; i < n_nodes; i++) {
			uint32_t in[3], out[2];
			uint32_t n_in = 1 + rnd(3), n_out = 1 + rnd(2);

			for (uint32_t k = 0; k < n_in; k++)
				in[k] = rnd(8) == 0 ? CDL_NO_TENSOR : pool[rnd(n_pool)];
			for (uint32_t k = 0; k < n_out; k++) {
				snprintf(name, sizeof(name), "t%u_%u", i, k);
				out[k] = act(g, name, rnd(10) == 0 ? 0 : 1 + rnd(5000));
			}
			CHECK_OK(cdl_graph_add_node(g, "Fake", name, 13, in, n_in, out, n_out, NULL,
						    0),
				 "");
			/* a dead node: its outputs are nobody's, so they get no bytes */
			if (rnd(10) == 0) {
				g->nodes[g->n_nodes - 1].dead = true;
				continue;
			}
			for (uint32_t k = 0; k < n_out; k++)
				if (n_pool < 256)
					pool[n_pool++] = out[k];
		}
		for (uint32_t i = 0, n_o = 1 + rnd(3); i < n_o; i++) {
			uint32_t t = pool[rnd(n_pool)];

			if (!g->tensors[t].is_const)
				tp_output(g, t);
		}
		if (!g->n_outputs)
			tp_output(g, g->inputs[0]);
		CHECK_OK(cdl_plan_memory(g, msg, sizeof(msg)), msg);
		total_sum += verify(g);
		total_arena += g->arena_size;
		cdl_graph_free(g);
	}
	printf("random DAGs: arena %llu bytes in all, activations %llu bytes in all (%.1f%%)\n",
	       (unsigned long long)total_arena, (unsigned long long)total_sum,
	       100.0 * (double)total_arena / (double)total_sum);
	CHECK(total_arena < total_sum);
}

/* A chain of same-sized tensors needs exactly two of them; with residual
 * blocks y = x + f(g(x)), three. */
static void test_known_optimum(void)
{
	const int64_t S = 1000; /* 4000 bytes, aligned 4032 */
	const uint64_t A = 4032;
	char msg[256] = "", name[32];
	cdl_graph *g = cdl_graph_new();
	uint32_t x, prev;
	uint64_t sum = 0;

	CHECK(g);
	x = tp_input(g, "x", CDL_DTYPE_F32, 1, &S);
	prev = x;
	for (int i = 0; i < 50; i++) {
		uint32_t y = 0;

		snprintf(name, sizeof(name), "h%d", i);
		y = act(g, name, S);
		CHECK_OK(cdl_graph_add_node(g, "Fake", name, 13, &prev, 1, &y, 1, NULL, 0), "");
		prev = y;
	}
	tp_output(g, prev);
	CHECK_OK(cdl_plan_memory(g, msg, sizeof(msg)), msg);
	sum = verify(g);
	printf("chain of 50: arena %llu bytes, activations %llu bytes\n",
	       (unsigned long long)g->arena_size, (unsigned long long)sum);
	CHECK(g->arena_size == 2 * A);
	cdl_graph_free(g);

	g = cdl_graph_new();
	CHECK(g);
	prev = tp_input(g, "x", CDL_DTYPE_F32, 1, &S);
	for (int i = 0; i < 20; i++) {
		uint32_t a, b, y, in[2];

		snprintf(name, sizeof(name), "a%d", i);
		a = act(g, name, S);
		CHECK_OK(cdl_graph_add_node(g, "Fake", name, 13, &prev, 1, &a, 1, NULL, 0), "");
		snprintf(name, sizeof(name), "b%d", i);
		b = act(g, name, S);
		CHECK_OK(cdl_graph_add_node(g, "Fake", name, 13, &a, 1, &b, 1, NULL, 0), "");
		snprintf(name, sizeof(name), "y%d", i);
		y = act(g, name, S);
		in[0] = prev;
		in[1] = b;
		CHECK_OK(cdl_graph_add_node(g, "Fake", name, 13, in, 2, &y, 1, NULL, 0), "");
		prev = y;
	}
	tp_output(g, prev);
	CHECK_OK(cdl_plan_memory(g, msg, sizeof(msg)), msg);
	sum = verify(g);
	printf("20 residual blocks: arena %llu bytes, activations %llu bytes\n",
	       (unsigned long long)g->arena_size, (unsigned long long)sum);
	CHECK(g->arena_size == 3 * A);
	cdl_graph_free(g);
}

static void test_refusals(void)
{
	const int64_t S = 10;
	char msg[256] = "";
	cdl_graph *g = cdl_graph_new();
	uint32_t x, y, z, in[2];

	CHECK(g);
	x = tp_input(g, "x", CDL_DTYPE_F32, 1, &S);
	y = act(g, "y", S);
	z = act(g, "z", S);
	in[0] = x;
	in[1] = z; /* z is never computed */
	CHECK_OK(cdl_graph_add_node(g, "Fake", "n", 13, in, 2, &y, 1, NULL, 0), "");
	tp_output(g, y);
	CHECK_ST(cdl_plan_memory(g, msg, sizeof(msg)), CDL_ERR_INTERNAL, msg);
	CHECK(strstr(msg, "'z'"));
	CHECK(g->tensors[x].arena_offset == -1 && g->tensors[y].arena_offset == -1);

	/* unknown shape */
	((uint32_t *)g->nodes[0].n.inputs)[1] = x;
	g->tensors[y].shape_known = false;
	CHECK_ST(cdl_plan_memory(g, msg, sizeof(msg)), CDL_ERR_INTERNAL, msg);
	CHECK(strstr(msg, "'y'"));
	g->tensors[y].shape_known = true;
	CHECK_OK(cdl_plan_memory(g, msg, sizeof(msg)), msg);

	/* an If whose condition did not fold */
	g->nodes[0].branches = (struct cdl_gbranch *)calloc(2, sizeof(cdl_gbranch));
	CHECK(g->nodes[0].branches);
	CHECK_ST(cdl_plan_memory(g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	free(g->nodes[0].branches);
	g->nodes[0].branches = NULL;

	/* graph output never computed */
	tp_output(g, z);
	CHECK_ST(cdl_plan_memory(g, msg, sizeof(msg)), CDL_ERR_INTERNAL, msg);
	CHECK(strstr(msg, "'z'"));
	CHECK_ST(cdl_plan_memory(NULL, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT, msg);
	cdl_graph_free(g);
}

int main(void)
{
	test_random();
	test_known_optimum();
	test_refusals();
	printf("memory plan: ok\n");
	return 0;
}
