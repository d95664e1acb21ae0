// SPDX-License-Identifier: Apache-2.0
/*
 * The graph (graph.c) and the passes infer_shapes, fold_constants and
 * remove_identity, on models built here with protobuf-c. Parts that need an
 * engine op not yet implemented are reported and the test exits 77 (skipped)
 * once everything else has passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_builder.h"

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define I64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define BOOL ONNX__TENSOR_PROTO__DATA_TYPE__BOOL

static char msg[512];
static int skipped;

#define NEED_OPS(...)                                                                              \
	do {                                                                                       \
		static const char *const ops_[] = {__VA_ARGS__};                                   \
		if (!ob_has_ops(ops_, sizeof(ops_) / sizeof(ops_[0]))) {                           \
			fprintf(stderr, "skipping %s: engine ops missing\n", __func__);            \
			skipped++;                                                                 \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static cdl_graph *import_ok(const Onnx__ModelProto *m, const cdl_input_shape *shapes,
			    uint32_t n_shapes)
{
	cdl_graph *g = NULL;

	CHECK_STATUS(ob_import(m, shapes, n_shapes, &g, msg, sizeof(msg)), CDL_OK, msg);
	return g;
}

static const int64_t *i64_data(const cdl_graph *g, const char *name)
{
	const cdl_gtensor *t = ob_tensor_named(g, name);

	return t && t->is_const && t->t.dtype == CDL_DTYPE_I64 ? t->t.data : NULL;
}

/* --- graph.c ------------------------------------------------------------------- */

static void test_graph(void)
{
	cdl_graph *g = cdl_graph_new();
	uint32_t a, b, c, d, ins[2], outs[1];
	const int64_t ints[3] = {1, 2, 3};
	const float floats[2] = {0.5f, 1.5f};
	const float tdata[2] = {7, 8};
	cdl_tensor tensor = {CDL_DTYPE_F32, 1, {2}, (void *)tdata};
	cdl_attr attrs[6] = {
	    {"f", CDL_ATTR_FLOAT, 0, {.f = 2.5f}},
	    {"i", CDL_ATTR_INT, 0, {.i = -4}},
	    {"s", CDL_ATTR_STRING, 3, {.s = "abc"}},
	    {"is", CDL_ATTR_INTS, 3, {.ints = ints}},
	    {"fs", CDL_ATTR_FLOATS, 2, {.floats = floats}},
	    {"t", CDL_ATTR_TENSOR, 0, {.t = &tensor}},
	};
	cdl_attr replace = {"i", CDL_ATTR_INT, 0, {.i = 9}},
		 extra = {"new", CDL_ATTR_INT, 0, {.i = 1}};
	uint32_t count = 0;

	CHECK(g != NULL);
	if (!g)
		return;
	a = cdl_graph_add_tensor(g, "a");
	b = cdl_graph_add_tensor(g, "b");
	c = cdl_graph_add_tensor(g, "c");
	d = cdl_graph_add_tensor(g, "unused");
	CHECK(a == 0 && b == 1 && c == 2 && d == 3);
	CHECK(cdl_graph_find_tensor(g, "c") == c);
	CHECK(cdl_graph_find_tensor(g, "zz") == CDL_NO_TENSOR);
	CHECK(g->tensors[a].arena_offset == -1);

	ins[0] = a;
	ins[1] = CDL_NO_TENSOR;
	outs[0] = b;
	CHECK(cdl_graph_add_node(g, "Op1", "n1", 13, ins, 2, outs, 1, attrs, 6) == CDL_OK);
	ins[0] = b;
	ins[1] = b;
	outs[0] = c;
	CHECK(cdl_graph_add_node(g, "Op2", "n2", 13, ins, 2, outs, 1, NULL, 0) == CDL_OK);
	outs[0] = 99;
	CHECK(cdl_graph_add_node(g, "Bad", "bad", 13, ins, 1, outs, 1, NULL, 0) ==
	      CDL_ERR_INVALID_ARGUMENT);
	CHECK(g->n_nodes == 2);
	g->outputs = malloc(sizeof(uint32_t));
	g->outputs[0] = c;
	g->n_outputs = 1;
	g->inputs = malloc(sizeof(uint32_t));
	g->inputs[0] = a;
	g->n_inputs = 1;

	{
		const cdl_node *n = &g->nodes[0].n;
		const cdl_attr *t;

		CHECK(strcmp(n->op_type, "Op1") == 0 && strcmp(n->name, "n1") == 0);
		CHECK(n->inputs[1] == CDL_NO_TENSOR);
		CHECK(cdl_attr_float(n, "f", 0) == 2.5f && cdl_attr_int(n, "i", 0) == -4);
		CHECK(strcmp(cdl_attr_string(n, "s", ""), "abc") == 0);
		CHECK(cdl_attr_ints(n, "is", &count)[2] == 3 && count == 3);
		CHECK(cdl_attr_floats(n, "fs", &count)[1] == 1.5f && count == 2);
		t = cdl_attr_find(n, "t");
		/* deep copies, not the caller's memory */
		CHECK(t && t->v.t != &tensor && t->v.t->data != tdata &&
		      ((const float *)t->v.t->data)[1] == 8.0f);
		CHECK(cdl_attr_find(n, "s")->v.s != attrs[2].v.s);
	}
	CHECK(cdl_gnode_set_attr(&g->nodes[0], &replace) == CDL_OK);
	CHECK(cdl_gnode_set_attr(&g->nodes[0], &extra) == CDL_OK);
	CHECK(g->nodes[0].n.n_attrs == 7);
	CHECK(cdl_attr_int(&g->nodes[0].n, "i", 0) == 9 &&
	      cdl_attr_int(&g->nodes[0].n, "new", 0) == 1);

	/* use counts: nodes (a node reading twice counts once) + graph output */
	CHECK(cdl_graph_use_count(g, a) == 1);
	CHECK(cdl_graph_use_count(g, b) == 1);
	CHECK(cdl_graph_use_count(g, c) == 1);
	CHECK(cdl_graph_use_count(g, d) == 0);

	/* compact: drops the dead node and every unreferenced tensor, renumbers */
	g->nodes[1].dead = true;
	g->outputs[0] = b;
	CHECK(cdl_graph_compact(g) == CDL_OK);
	CHECK(g->n_nodes == 1 && g->n_tensors == 2);
	CHECK(strcmp(g->tensors[g->outputs[0]].name, "b") == 0);
	CHECK(strcmp(g->tensors[g->inputs[0]].name, "a") == 0);
	CHECK(g->nodes[0].n.outputs[0] == g->outputs[0] && g->nodes[0].n.inputs[0] == g->inputs[0]);
	CHECK(cdl_graph_find_tensor(g, "unused") == CDL_NO_TENSOR);

	{
		cdl_attr copy;

		CHECK(cdl_attr_clone(&attrs[5], &copy) == CDL_OK);
		CHECK(copy.v.t->data != tdata && ((const float *)copy.v.t->data)[0] == 7.0f);
		cdl_attr_release(&copy);
		CHECK(copy.name == NULL);
	}
	cdl_graph_free(g);
	cdl_graph_free(NULL);
}

/* --- infer_shapes -------------------------------------------------------------- */

static void test_infer_unknown_op(void)
{
	const int64_t d[2] = {2, 3};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	cdl_graph *g;

	/* an ONNX operator the engine does not (and need not) implement */
	ob_input(gp, "x", F32, 2, d);
	ob_node(gp, "TfIdfVectorizer", "tfidf", "x", "y");
	ob_output(gp, "y");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_infer_shapes(g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "op TfIdfVectorizer (opset 13) is not supported");
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "TfIdfVectorizer");
	cdl_graph_free(g);

	/* a name that is no ONNX operator at all is refused at import */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 2, d);
	ob_node(gp, "NoSuchOp", "weird", "x", "y");
	ob_output(gp, "y");
	g = NULL;
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "op NoSuchOp (node 'weird') is not an ONNX operator");
	CHECK(g == NULL);
}

static void test_infer_transpose(void)
{
	const int64_t d[3] = {2, 3, 4}, perm[3] = {2, 0, 1}, bad[3] = {0, 0, 1};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_graph *g;
	const cdl_gtensor *y;

	NEED_OPS("Transpose");
	ob_input(gp, "x", F32, 3, d);
	n = ob_node(gp, "Transpose", "tr", "x", "y");
	ob_attr_ints(n, "perm", 3, perm);
	ob_output(gp, "y");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_infer_shapes(g, msg, sizeof(msg)), CDL_OK, msg);
	y = ob_tensor_named(g, "y");
	CHECK(y->shape_known && y->t.rank == 3 && y->t.dims[0] == 4 && y->t.dims[1] == 2 &&
	      y->t.dims[2] == 3 && y->t.dtype == CDL_DTYPE_F32 && !y->is_const);
	cdl_graph_free(g);

	/* the op's own message comes through */
	memcpy(n->attribute[0]->ints, bad, sizeof(bad));
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK(cdl_pass_infer_shapes(g, msg, sizeof(msg)) != CDL_OK);
	CHECK_MSG_HAS(msg, "Transpose");
	cdl_graph_free(g);
}

/* --- fold_constants --------------------------------------------------------------- */

/* Shape and Size of a known shape fold without running any engine op. */
static void test_fold_shape_size(void)
{
	const int64_t d[4] = {-1, 3, 4, 5};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(15, &gp);
	Onnx__NodeProto *n;
	cdl_input_shape s = {"x", 4, {2, 3, 4, 5}};
	cdl_graph *g;
	const int64_t *v;
	const cdl_gtensor *t;

	ob_input(gp, "x", F32, 4, d);
	ob_node(gp, "Shape", "shape", "x", "s");
	n = ob_node(gp, "Shape", "shape_mid", "x", "s_mid");
	ob_attr_int(n, "start", 1);
	ob_attr_int(n, "end", -1);
	ob_node(gp, "Size", "size", "x", "sz");
	ob_output(gp, "s");
	ob_output(gp, "s_mid");
	ob_output(gp, "sz");
	g = import_ok(m, &s, 1);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_OK, msg);
	CHECK(ob_live_nodes(g, NULL) == 0);
	v = i64_data(g, "s");
	t = ob_tensor_named(g, "s");
	CHECK(v && t->t.rank == 1 && t->t.dims[0] == 4 && v[0] == 2 && v[1] == 3 && v[3] == 5);
	v = i64_data(g, "s_mid");
	t = ob_tensor_named(g, "s_mid");
	CHECK(v && t->t.dims[0] == 2 && v[0] == 3 && v[1] == 4);
	v = i64_data(g, "sz");
	t = ob_tensor_named(g, "sz");
	CHECK(v && t->t.rank == 0 && v[0] == 120);
	CHECK_STATUS(cdl_graph_compact(g), CDL_OK, "compact");
	CHECK(g->n_nodes == 0 && g->n_outputs == 3);
	CHECK_STATUS(cdl_pass_infer_shapes(g, msg, sizeof(msg)), CDL_OK, msg);
	cdl_graph_free(g);
}

/*
 * The chain PyTorch's exporter emits for x.view(x.size(0), -1), plus
 * ConstantOfShape(Shape(x)) and a Cast: everything but Reshape and Add folds.
 */
static void test_fold_shape_chain(void)
{
	const int64_t d[4] = {-1, 3, 4, 5}, zero = 0, minus1[1] = {-1}, one_d[1] = {1};
	const float one = 1.0f;
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_input_shape s = {"x", 4, {2, 3, 4, 5}};
	cdl_graph *g;
	const cdl_gtensor *y, *z, *shape;
	const int64_t *v;

	NEED_OPS("Gather", "Unsqueeze", "Concat", "Cast", "Reshape", "ConstantOfShape", "Add");
	ob_input(gp, "x", F32, 4, d);
	ob_node(gp, "Shape", "shape", "x", "s");
	n = ob_node(gp, "Constant", "c0", "", "idx");
	ob_attr_tensor(n, "value", ob_tensor("", I64, 0, NULL, &zero, 1, 1));
	n = ob_node(gp, "Gather", "gather", "s,idx", "n");
	ob_attr_int(n, "axis", 0);
	n = ob_node(gp, "Constant", "c1", "", "axes");
	ob_attr_tensor(n, "value", ob_tensor("", I64, 1, one_d, &zero, 1, 1));
	ob_node(gp, "Unsqueeze", "unsq", "n,axes", "n1");
	n = ob_node(gp, "Constant", "c2", "", "m1");
	ob_attr_tensor(n, "value", ob_tensor("", I64, 1, one_d, minus1, 1, 1));
	n = ob_node(gp, "Concat", "concat", "n1,m1", "cat");
	ob_attr_int(n, "axis", 0);
	n = ob_node(gp, "Cast", "cast", "cat", "newshape");
	ob_attr_int(n, "to", I64);
	ob_node(gp, "Reshape", "reshape", "x,newshape", "y");
	n = ob_node(gp, "ConstantOfShape", "cos", "s", "ones");
	ob_attr_tensor(n, "value", ob_tensor("", F32, 1, one_d, &one, 1, 0));
	ob_node(gp, "Add", "add", "x,ones", "z");
	ob_output(gp, "y");
	ob_output(gp, "z");

	g = import_ok(m, &s, 1);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_OK, msg);
	CHECK(ob_live_nodes(g, NULL) == 2);
	CHECK(ob_live_nodes(g, "Reshape") == 1 && ob_live_nodes(g, "Add") == 1);
	y = ob_tensor_named(g, "y");
	z = ob_tensor_named(g, "z");
	CHECK(y && y->shape_known && !y->is_const && y->t.rank == 2 && y->t.dims[0] == 2 &&
	      y->t.dims[1] == 60);
	CHECK(z && z->shape_known && z->t.rank == 4 && z->t.dims[3] == 5);
	shape = ob_tensor_named(g, "newshape");
	v = i64_data(g, "newshape");
	CHECK(v && shape->t.rank == 1 && shape->t.dims[0] == 2 && v[0] == 2 && v[1] == -1);
	{
		const cdl_gtensor *ones = ob_tensor_named(g, "ones");

		CHECK(ones && ones->is_const && ones->t.rank == 4 &&
		      ones->t.dtype == CDL_DTYPE_F32 && ((const float *)ones->t.data)[119] == 1.0f);
	}

	/* the pipeline's later steps see a clean graph */
	CHECK_STATUS(cdl_graph_compact(g), CDL_OK, "compact");
	CHECK(g->n_nodes == 2);
	/* x, newshape, y, ones, z */
	CHECK(g->n_tensors == 5);
	CHECK_STATUS(cdl_pass_infer_shapes(g, msg, sizeof(msg)), CDL_OK, msg);
	cdl_graph_free(g);
}

/* A node whose inputs are all constants is computed at pack time. */
static void test_fold_transpose_weight(void)
{
	const int64_t d[2] = {2, 3}, perm[2] = {1, 0};
	const float w[6] = {1, 2, 3, 4, 5, 6};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_graph *g;
	const cdl_gtensor *wt;

	NEED_OPS("Transpose");
	ob_input(gp, "x", F32, 2, (const int64_t[]){3, 2});
	ob_init(gp, ob_tensor("w", F32, 2, d, w, 6, 1));
	n = ob_node(gp, "Transpose", "tw", "w", "wt");
	ob_attr_ints(n, "perm", 2, perm);
	n = ob_node(gp, "Transpose", "tx", "x", "y");
	ob_attr_ints(n, "perm", 2, perm);
	ob_output(gp, "y");
	ob_output(gp, "wt");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_OK, msg);
	CHECK(ob_live_nodes(g, NULL) == 1);
	wt = ob_tensor_named(g, "wt");
	CHECK(wt && wt->is_const && wt->t.dims[0] == 3 && wt->t.dims[1] == 2);
	if (wt && wt->t.data) {
		const float *p = wt->t.data;

		CHECK(p[0] == 1 && p[1] == 4 && p[2] == 2 && p[3] == 5 && p[4] == 3 && p[5] == 6);
	}
	cdl_graph_free(g);
}

/*
 * A real exporter's chain: the ONNX test suite's expanded LayerNormalization
 * computes its reshape targets with Shape, Size, Slice, Neg, ConstantOfShape
 * and Concat. After folding none of those remain and every Reshape has a
 * constant shape.
 */
static void test_fold_layernorm_expanded(void)
{
	static const char *const folded_ops[] = {"Shape",	    "Size",  "Slice", "Neg",
						 "ConstantOfShape", "Concat"};
	const char *root = getenv("CDL_ONNX_TESTDATA");
	char path[1024];
	cdl_graph *g = NULL;

	NEED_OPS("Cast", "Slice", "Neg", "ConstantOfShape", "Concat", "Flatten", "ReduceMean",
		 "Mul", "Sub", "Add", "Sqrt", "Div", "Reshape", "Reciprocal");
	snprintf(path, sizeof(path),
		 "%s/node/test_layer_normalization_4d_axis_negative_1_expanded/model.onnx",
		 root ? root : "/usr/share/libonnx-testdata/data");
	CHECK_STATUS(cdl_onnx_import_file(path, NULL, 0, &g, msg, sizeof(msg)), CDL_OK, msg);
	if (!g)
		return;
	CHECK(ob_live_nodes(g, "Shape") == 1 && ob_live_nodes(g, "Reshape") == 3);
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_OK, msg);
	for (size_t i = 0; i < sizeof(folded_ops) / sizeof(folded_ops[0]); i++)
		CHECK(ob_live_nodes(g, folded_ops[i]) == 0);
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *n = &g->nodes[i];

		if (!n->dead && strcmp(n->n.op_type, "Reshape") == 0)
			CHECK(g->tensors[n->n.inputs[1]].is_const);
	}
	for (uint32_t i = 0; i < g->n_outputs; i++)
		CHECK(g->tensors[g->outputs[i]].shape_known);
	CHECK_STATUS(cdl_graph_compact(g), CDL_OK, "compact");
	CHECK_STATUS(cdl_pass_infer_shapes(g, msg, sizeof(msg)), CDL_OK, msg);
	cdl_graph_free(g);
}

/* --- If with a constant condition ----------------------------------------------- */

/*
 * (y, y2) = If(cond) then (If(cond_in) then Shape(x) else Size(x), k)
 *                    else (Shape(x), the same tensor again)
 * The branches use only Shape/Size, which fold without any engine op; every
 * branch calls its result "r", so import must keep them apart.
 */
static Onnx__ModelProto *if_model(int outer, int inner)
{
	const int64_t d[2] = {2, 3};
	const uint8_t c_outer = (uint8_t)outer, c_inner = (uint8_t)inner;
	const int64_t k[2] = {7, 8};
	Onnx__GraphProto *gp, *then_g = ob_new_graph("then"), *else_g = ob_new_graph("else");
	Onnx__GraphProto *in_then = ob_new_graph("in_then"), *in_else = ob_new_graph("in_else");
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;

	ob_input(gp, "x", F32, 2, d);
	ob_init(gp, ob_tensor("cond", BOOL, 0, NULL, &c_outer, 1, 0));
	ob_init(gp, ob_tensor("cond_in", BOOL, 1, (const int64_t[]){1}, &c_inner, 1, 0));
	ob_init(gp, ob_tensor("k", I64, 1, (const int64_t[]){2}, k, 2, 0));

	/* nested: then -> Shape(x) as "r" (a name the else branch uses too) */
	ob_node(in_then, "Shape", "in_shape", "x", "r");
	ob_output(in_then, "r");
	ob_node(in_else, "Size", "in_size", "x", "r");
	ob_output(in_else, "r");

	n = ob_node(then_g, "If", "inner_if", "cond_in", "r");
	ob_attr_graph(n, "then_branch", in_then);
	ob_attr_graph(n, "else_branch", in_else);
	ob_output(then_g, "r");
	ob_output(then_g, "k"); /* an outer constant */

	ob_node(else_g, "Shape", "else_shape", "x", "r");
	ob_output(else_g, "r");
	ob_output(else_g, "r"); /* the same tensor twice */

	n = ob_node(gp, "If", "outer_if", "cond", "y,y2");
	ob_attr_graph(n, "then_branch", then_g);
	ob_attr_graph(n, "else_branch", else_g);
	ob_output(gp, "y");
	ob_output(gp, "y2");
	return m;
}

static void test_fold_if(void)
{
	for (int outer = 0; outer < 2; outer++) {
		for (int inner = 0; inner < 2; inner++) {
			cdl_graph *g = import_ok(if_model(outer, inner), NULL, 0);
			const cdl_gtensor *y, *y2;

			if (!g)
				continue;
			if (!outer && !cdl_op_find("Identity")) {
				/* y2 = y needs an Identity copy */
				skipped++;
				cdl_graph_free(g);
				continue;
			}
			CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_OK, msg);
			y = ob_tensor_named(g, "y");
			y2 = ob_tensor_named(g, "y2");
			CHECK(y && y->is_const && y2 && y2->is_const);
			if (!y || !y2 || !y->is_const || !y2->is_const) {
				cdl_graph_free(g);
				continue;
			}
			if (outer && inner) { /* Shape(x), k */
				CHECK(y->t.rank == 1 && y->t.dims[0] == 2);
				CHECK(((int64_t *)y->t.data)[0] == 2 &&
				      ((int64_t *)y->t.data)[1] == 3);
			} else if (outer) { /* Size(x), k */
				CHECK(y->t.rank == 0 && ((int64_t *)y->t.data)[0] == 6);
			} else { /* Shape(x) twice */
				CHECK(y->t.rank == 1 && ((int64_t *)y->t.data)[1] == 3);
			}
			if (outer)
				CHECK(y2->t.dims[0] == 2 && ((int64_t *)y2->t.data)[1] == 8);
			else
				CHECK(y2->t.rank == 1 && ((int64_t *)y2->t.data)[0] == 2);
			CHECK(ob_live_nodes(g, NULL) == 0);
			CHECK_STATUS(cdl_graph_compact(g), CDL_OK, "compact");
			CHECK(g->n_nodes == 0);
			/* the untaken branch's tensors are gone */
			CHECK(g->n_tensors == 3);
			cdl_graph_free(g);
		}
	}
}

/* An If whose branch returns a non-constant outer tensor gets an Identity. */
static void test_fold_if_outer_tensor(void)
{
	const int64_t d[1] = {4};
	const uint8_t yes = 1;
	Onnx__GraphProto *gp, *then_g = ob_new_graph("then"), *else_g = ob_new_graph("else");
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_graph *g;

	NEED_OPS("Identity");
	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("cond", BOOL, 0, NULL, &yes, 1, 0));
	ob_output(then_g, "x");
	ob_node(else_g, "Shape", "s", "x", "r");
	ob_output(else_g, "r");
	n = ob_node(gp, "If", "if", "cond", "y");
	ob_attr_graph(n, "then_branch", then_g);
	ob_attr_graph(n, "else_branch", else_g);
	ob_output(gp, "y");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_OK, msg);
	CHECK(ob_live_nodes(g, "Identity") == 1 && ob_live_nodes(g, NULL) == 1);
	CHECK(ob_tensor_named(g, "y")->shape_known && ob_tensor_named(g, "y")->t.dims[0] == 4);
	/* x is a graph input and y a graph output: the copy must stay */
	CHECK_STATUS(cdl_pass_remove_identity(g, msg, sizeof(msg)), CDL_OK, msg);
	CHECK(ob_live_nodes(g, "Identity") == 1);
	cdl_graph_free(g);
}

static void test_if_dynamic_condition(void)
{
	const int64_t d[1] = {1};
	Onnx__GraphProto *gp, *then_g = ob_new_graph("then"), *else_g = ob_new_graph("else");
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_graph *g;

	ob_input(gp, "c", BOOL, 1, d);
	ob_node(then_g, "Shape", "s", "c", "r");
	ob_output(then_g, "r");
	ob_node(else_g, "Shape", "s2", "c", "r");
	ob_output(else_g, "r");
	n = ob_node(gp, "If", "dyn_if", "c", "y");
	ob_attr_graph(n, "then_branch", then_g);
	ob_attr_graph(n, "else_branch", else_g);
	ob_output(gp, "y");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_fold_constants(g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "If");
	CHECK_MSG_HAS(msg, "dyn_if");
	CHECK_MSG_HAS(msg, "condition");
	cdl_graph_free(g);
}

/* --- remove_identity ---------------------------------------------------------------- */

static void test_remove_identity(void)
{
	const int64_t d[2] = {2, 2};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	cdl_graph *g;
	uint32_t a, y, c;

	ob_input(gp, "x", F32, 2, d);
	ob_node(gp, "Relu", "r1", "x", "a");
	ob_node(gp, "Identity", "id1", "a", "b");
	ob_node(gp, "Identity", "id2", "b", "b2");
	ob_node(gp, "Neg", "neg", "b2", "c");
	ob_node(gp, "Relu", "r2", "c", "d");
	ob_node(gp, "Dropout", "drop", "d", "y");	     /* y: graph output */
	ob_node(gp, "Identity", "id3", "x", "xo");	     /* input -> output: keep */
	ob_node(gp, "Dropout", "drop2", "a", "a_copy,mask"); /* mask unused */
	ob_node(gp, "Neg", "neg2", "a_copy", "e");
	ob_output(gp, "y");
	ob_output(gp, "xo");
	ob_output(gp, "c");
	ob_output(gp, "e");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_remove_identity(g, msg, sizeof(msg)), CDL_OK, msg);
	CHECK(ob_live_nodes(g, "Identity") == 1 && ob_live_nodes(g, "Dropout") == 0);
	CHECK(ob_live_nodes(g, NULL) == 5);
	a = cdl_graph_find_tensor(g, "a");
	y = cdl_graph_find_tensor(g, "y");
	c = cdl_graph_find_tensor(g, "c");
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_gnode *n = &g->nodes[i];

		if (n->dead)
			continue;
		if (strcmp(n->n.name, "neg") == 0 || strcmp(n->n.name, "neg2") == 0)
			CHECK(n->n.inputs[0] == a);
		if (strcmp(n->n.name, "r2") == 0)
			CHECK(n->n.inputs[0] == c && n->n.outputs[0] == y); /* writes y directly */
		if (strcmp(n->n.name, "id3") == 0)
			CHECK(n->n.inputs[0] == g->inputs[0]);
	}
	CHECK_STATUS(cdl_graph_compact(g), CDL_OK, "compact");
	CHECK(cdl_graph_find_tensor(g, "d") == CDL_NO_TENSOR);
	CHECK(cdl_graph_find_tensor(g, "b") == CDL_NO_TENSOR);
	CHECK(strcmp(g->tensors[g->outputs[0]].name, "y") == 0);
	cdl_graph_free(g);
}

static void test_dropout_mask(void)
{
	const int64_t d[2] = {2, 3};
	const uint8_t yes = 1;
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	cdl_graph *g;
	const cdl_gtensor *mask;

	ob_input(gp, "x", F32, 2, d);
	ob_node(gp, "Relu", "r", "x", "a");
	ob_node(gp, "Dropout", "drop", "a", "y,mask");
	ob_output(gp, "y");
	ob_output(gp, "mask");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	/* shapes are known after inference; give a the shape by hand here */
	g->tensors[cdl_graph_find_tensor(g, "a")].t = g->tensors[g->inputs[0]].t;
	g->tensors[cdl_graph_find_tensor(g, "a")].shape_known = true;
	CHECK_STATUS(cdl_pass_remove_identity(g, msg, sizeof(msg)), CDL_OK, msg);
	mask = ob_tensor_named(g, "mask");
	CHECK(mask && mask->is_const && mask->t.dtype == CDL_DTYPE_BOOL && mask->t.rank == 2 &&
	      mask->t.dims[1] == 3 && ((const uint8_t *)mask->t.data)[5] == 1);
	CHECK(ob_live_nodes(g, NULL) == 1);
	cdl_graph_free(g);

	/* training mode is refused */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 2, d);
	ob_init(gp, ob_tensor("train", BOOL, 0, NULL, &yes, 1, 0));
	ob_node(gp, "Dropout", "drop", "x,,train", "y");
	ob_output(gp, "y");
	g = import_ok(m, NULL, 0);
	if (!g)
		return;
	CHECK_STATUS(cdl_pass_remove_identity(g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "training_mode");
	cdl_graph_free(g);
}

int main(void)
{
	test_graph();
	test_infer_unknown_op();
	ob_reset();
	test_infer_transpose();
	ob_reset();
	test_fold_shape_size();
	ob_reset();
	test_fold_shape_chain();
	ob_reset();
	test_fold_transpose_weight();
	ob_reset();
	test_fold_layernorm_expanded();
	ob_reset();
	test_fold_if();
	ob_reset();
	test_fold_if_outer_tensor();
	ob_reset();
	test_if_dynamic_condition();
	ob_reset();
	test_remove_identity();
	ob_reset();
	test_dropout_mask();
	ob_reset();
	free(ob_allocs);
	if (ob_failures) {
		fprintf(stderr, "%d check(s) failed\n", ob_failures);
		return 1;
	}
	if (skipped) {
		fprintf(stderr, "%d part(s) skipped: engine ops missing\n", skipped);
		return 77;
	}
	return 0;
}
