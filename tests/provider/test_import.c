// SPDX-License-Identifier: Apache-2.0
/*
 * ONNX import: models built here with protobuf-c, and the ONNX backend test
 * models of Debian's libonnx-testdata.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_builder.h"

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
#define I64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64
#define I32 ONNX__TENSOR_PROTO__DATA_TYPE__INT32
#define I8 ONNX__TENSOR_PROTO__DATA_TYPE__INT8
#define U8 ONNX__TENSOR_PROTO__DATA_TYPE__UINT8
#define BOOL ONNX__TENSOR_PROTO__DATA_TYPE__BOOL

static char msg[512];

/* Initializers of every supported dtype, raw and typed; attributes; Constants. */
static void test_basic(void)
{
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	const int64_t xdims[2] = {-1, 3}, wdims[2] = {2, 3}, d3[1] = {3}, d2[1] = {2};
	const float w[6] = {1, 2, 3, 4, 5, 6}, b[3] = {0.5f, -1, 2};
	const int64_t i64[3] = {-1, 0, 1LL << 40};
	const int32_t i32[2] = {-7, 7};
	const int8_t i8[3] = {-128, 0, 127};
	const uint8_t u8[3] = {0, 128, 255}, bl[2] = {1, 0};
	const float cf[2] = {1.5f, -2.5f};
	const int64_t ci[3] = {4, 5, 6};
	Onnx__NodeProto *n;
	cdl_input_shape shape = {"X", 2, {5, 3}};
	cdl_graph *g = NULL;
	const cdl_gtensor *t;

	ob_input(gp, "X", F32, 2, xdims);
	ob_init(gp, ob_tensor("W", F32, 2, wdims, w, 6, 1));
	ob_init(gp, ob_tensor("B", F32, 1, d3, b, 3, 0));
	ob_init(gp, ob_tensor("I64raw", I64, 1, d3, i64, 3, 1));
	ob_init(gp, ob_tensor("I64typed", I64, 1, d3, i64, 3, 0));
	ob_init(gp, ob_tensor("I32typed", I32, 1, d2, i32, 2, 0));
	ob_init(gp, ob_tensor("I32raw", I32, 1, d2, i32, 2, 1));
	ob_init(gp, ob_tensor("I8typed", I8, 1, d3, i8, 3, 0));
	ob_init(gp, ob_tensor("U8typed", U8, 1, d3, u8, 3, 0));
	ob_init(gp, ob_tensor("U8raw", U8, 1, d3, u8, 3, 1));
	ob_init(gp, ob_tensor("Btyped", BOOL, 1, d2, bl, 2, 0));
	ob_init(gp, ob_tensor("Scalar", F32, 0, NULL, w, 1, 0));
	n = ob_node(gp, "Constant", "c1", "", "CF");
	ob_attr_floats(n, "value_floats", 2, cf);
	n = ob_node(gp, "Constant", "c2", "", "CI");
	ob_attr_ints(n, "value_ints", 3, ci);
	n = ob_node(gp, "Constant", "c3", "", "CS");
	ob_attr_float(n, "value_float", 0.25f);
	n = ob_node(gp, "Constant", "c4", "", "CT");
	ob_attr_tensor(n, "value", ob_tensor("", I64, 1, d3, ci, 3, 1));
	n = ob_node(gp, "Gemm", "gemm", "X,W,B", "Y");
	ob_attr_float(n, "alpha", 0.5f);
	ob_attr_int(n, "transB", 1);
	ob_attr_string(n, "note", "hello");
	ob_attr_ints(n, "ints", 3, ci);
	ob_attr_floats(n, "floats", 2, cf);
	ob_attr_tensor(n, "tensor", ob_tensor("", F32, 1, d2, cf, 2, 0));
	ob_output(gp, "Y");
	ob_output(gp, "CF");

	CHECK_STATUS(ob_import(m, &shape, 1, &g, msg, sizeof(msg)), CDL_OK, msg);
	if (!g)
		return;
	CHECK(g->opset == 13);
	CHECK(g->n_inputs == 1 && strcmp(g->tensors[g->inputs[0]].name, "X") == 0);
	t = &g->tensors[g->inputs[0]];
	CHECK(t->shape_known && !t->is_const && t->t.rank == 2 && t->t.dims[0] == 5 &&
	      t->t.dims[1] == 3 && t->t.dtype == CDL_DTYPE_F32 && t->t.data == NULL);
	CHECK(g->n_outputs == 2 && strcmp(g->tensors[g->outputs[0]].name, "Y") == 0 &&
	      strcmp(g->tensors[g->outputs[1]].name, "CF") == 0);
	CHECK(g->n_nodes == 1 && strcmp(g->nodes[0].n.op_type, "Gemm") == 0 &&
	      strcmp(g->nodes[0].n.name, "gemm") == 0 && g->nodes[0].n.opset == 13);

	t = ob_tensor_named(g, "W");
	CHECK(t && t->is_const && t->shape_known && t->t.rank == 2 && t->t.dims[1] == 3 &&
	      memcmp(t->t.data, w, sizeof(w)) == 0);
	t = ob_tensor_named(g, "B");
	CHECK(t && t->is_const && memcmp(t->t.data, b, sizeof(b)) == 0);
	t = ob_tensor_named(g, "I64raw");
	CHECK(t && t->t.dtype == CDL_DTYPE_I64 && memcmp(t->t.data, i64, sizeof(i64)) == 0);
	t = ob_tensor_named(g, "I64typed");
	CHECK(t && t->t.dtype == CDL_DTYPE_I64 && memcmp(t->t.data, i64, sizeof(i64)) == 0);
	t = ob_tensor_named(g, "I32typed");
	CHECK(t && t->t.dtype == CDL_DTYPE_I32 && memcmp(t->t.data, i32, sizeof(i32)) == 0);
	t = ob_tensor_named(g, "I32raw");
	CHECK(t && t->t.dtype == CDL_DTYPE_I32 && memcmp(t->t.data, i32, sizeof(i32)) == 0);
	t = ob_tensor_named(g, "I8typed");
	CHECK(t && t->t.dtype == CDL_DTYPE_I8 && memcmp(t->t.data, i8, sizeof(i8)) == 0);
	t = ob_tensor_named(g, "U8typed");
	CHECK(t && t->t.dtype == CDL_DTYPE_U8 && memcmp(t->t.data, u8, sizeof(u8)) == 0);
	t = ob_tensor_named(g, "U8raw");
	CHECK(t && t->t.dtype == CDL_DTYPE_U8 && memcmp(t->t.data, u8, sizeof(u8)) == 0);
	t = ob_tensor_named(g, "Btyped");
	CHECK(t && t->t.dtype == CDL_DTYPE_BOOL && memcmp(t->t.data, bl, sizeof(bl)) == 0);
	t = ob_tensor_named(g, "Scalar");
	CHECK(t && t->t.rank == 0 && ((float *)t->t.data)[0] == 1.0f);

	t = ob_tensor_named(g, "CF");
	CHECK(t && t->is_const && t->t.dtype == CDL_DTYPE_F32 && t->t.rank == 1 &&
	      t->t.dims[0] == 2 && memcmp(t->t.data, cf, sizeof(cf)) == 0);
	t = ob_tensor_named(g, "CI");
	CHECK(t && t->is_const && t->t.dtype == CDL_DTYPE_I64 && t->t.dims[0] == 3 &&
	      memcmp(t->t.data, ci, sizeof(ci)) == 0);
	t = ob_tensor_named(g, "CS");
	CHECK(t && t->is_const && t->t.rank == 0 && ((float *)t->t.data)[0] == 0.25f);
	t = ob_tensor_named(g, "CT");
	CHECK(t && t->is_const && t->t.dtype == CDL_DTYPE_I64 &&
	      memcmp(t->t.data, ci, sizeof(ci)) == 0);

	{
		const cdl_node *gn = &g->nodes[0].n;
		const cdl_attr *a;
		uint32_t count = 0;

		CHECK(gn->n_inputs == 3 && gn->n_outputs == 1 && gn->n_attrs == 6);
		CHECK(cdl_attr_float(gn, "alpha", 0) == 0.5f);
		CHECK(cdl_attr_int(gn, "transB", 0) == 1);
		CHECK(strcmp(cdl_attr_string(gn, "note", ""), "hello") == 0);
		CHECK(cdl_attr_ints(gn, "ints", &count) && count == 3 &&
		      cdl_attr_ints(gn, "ints", &count)[2] == 6);
		CHECK(cdl_attr_floats(gn, "floats", &count) && count == 2 &&
		      cdl_attr_floats(gn, "floats", &count)[1] == -2.5f);
		a = cdl_attr_find(gn, "tensor");
		CHECK(a && a->type == CDL_ATTR_TENSOR && a->v.t->dtype == CDL_DTYPE_F32 &&
		      a->v.t->dims[0] == 2 && ((const float *)a->v.t->data)[0] == 1.5f);
		CHECK(gn->inputs[0] == g->inputs[0]);
		CHECK(gn->inputs[1] == cdl_graph_find_tensor(g, "W"));
	}
	cdl_graph_free(g);
}

/* Input shapes: from the model, from the caller, or an error naming the dim. */
static void test_input_shapes(void)
{
	const int64_t dims[4] = {-1, 3, 224, -1};
	cdl_graph *g = NULL;
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m;

	m = ob_model(13, &gp);
	ob_input(gp, "img", F32, 4, dims);
	ob_node(gp, "Relu", "r", "img", "out");
	ob_output(gp, "out");

	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK(g == NULL);
	CHECK_MSG_HAS(msg, "'img'");
	CHECK_MSG_HAS(msg, "dim 0 ('d0')");

	{
		/* the whole given shape overrides the model's */
		cdl_input_shape s = {"img", 4, {2, 3, 100, 50}};
		const cdl_gtensor *t;

		CHECK_STATUS(ob_import(m, &s, 1, &g, msg, sizeof(msg)), CDL_OK, msg);
		t = g ? ob_tensor_named(g, "img") : NULL;
		CHECK(t && t->t.rank == 4 && t->t.dims[0] == 2 && t->t.dims[2] == 100 &&
		      t->t.dims[3] == 50 && t->shape_known);
		cdl_graph_free(g);
		g = NULL;
	}
	{
		cdl_input_shape s = {"nope", 1, {1}};

		CHECK_STATUS(ob_import(m, &s, 1, &g, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT,
			     msg);
		CHECK_MSG_HAS(msg, "'nope'");
	}
	{
		cdl_input_shape s = {"img", 2, {-3, 1}};

		CHECK_STATUS(ob_import(m, &s, 1, &g, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT,
			     msg);
	}

	/* an unset dim (neither value nor param) */
	gp->input[0]->type->tensor_type->shape->dim[3]->value_case =
	    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE__NOT_SET;
	gp->input[0]->type->tensor_type->shape->dim[0]->value_case =
	    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
	gp->input[0]->type->tensor_type->shape->dim[0]->dim_value = 1;
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK_MSG_HAS(msg, "dim 3");

	/* no shape at all */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, -1, NULL);
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT, msg);
	CHECK_MSG_HAS(msg, "'x'");

	/* an unsupported input dtype */
	m = ob_model(13, &gp);
	ob_input(gp, "x", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1, (const int64_t[]){2});
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "'x'");
}

/* Initializers listed as graph inputs (IR < 4 style) are constants. */
static void test_initializer_inputs(void)
{
	const int64_t d[1] = {2};
	const float v[2] = {1, 2};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(9, &gp);
	cdl_graph *g = NULL;

	ob_input(gp, "x", F32, 1, d);
	ob_input(gp, "w", F32, 1, d);
	ob_init(gp, ob_tensor("w", F32, 1, d, v, 2, 1));
	ob_node(gp, "Add", "add", "x,w", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_OK, msg);
	if (!g)
		return;
	CHECK(g->n_inputs == 1 && strcmp(g->tensors[g->inputs[0]].name, "x") == 0);
	CHECK(ob_tensor_named(g, "w")->is_const);
	CHECK(g->opset == 9);
	cdl_graph_free(g);
}

/* Every way a model can be refused, and the status and message it gets. */
static void test_refusals(void)
{
	const int64_t d[1] = {2};
	const float v[2] = {1, 2};
	const double dv[2] = {1, 2};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m;
	Onnx__NodeProto *n;
	cdl_graph *g = NULL;

	/* double initializer */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("dbl", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1, d, dv, 2, 0));
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "'dbl'");

	/* float16 initializer (raw) */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("half", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, 1, d, v, 4, 1));
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "'half'");

	/* raw data of the wrong size */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("short", F32, 1, d, v, 2, 1))->raw_data.len = 7;
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "'short'");

	/* typed data of the wrong count */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("few", F32, 1, d, v, 2, 0))->n_float_data = 1;
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "'few'");

	/* negative dim */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("neg", F32, 1, (const int64_t[]){-2}, v, 0, 1));
	ob_node(gp, "Relu", "r", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);

	/* an op from another domain */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "FusedThing", "f", "x", "y")->domain = ob_str("com.microsoft");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "op FusedThing from domain com.microsoft");

	/* ai.onnx is the default domain */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Relu", "f", "x", "y")->domain = ob_str("ai.onnx");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_OK, msg);
	cdl_graph_free(g);
	g = NULL;

	/* an undefined tensor */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Add", "a", "x,ghost", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "'ghost'");

	/* an undefined graph output */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Relu", "a", "x", "y");
	ob_output(gp, "z");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "'z'");

	/* a tensor defined twice */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Relu", "a", "x", "y");
	ob_node(gp, "Relu", "b", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "'y'");

	/* a cycle */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Add", "a", "x,q", "p");
	ob_node(gp, "Relu", "b", "p", "q");
	ob_output(gp, "q");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "cycle");

	/* a sparse initializer */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Relu", "a", "x", "y");
	ob_output(gp, "y");
	{
		Onnx__SparseTensorProto *sp = ob_alloc(sizeof(*sp));

		onnx__sparse_tensor_proto__init(sp);
		sp->values = ob_tensor("sparse", F32, 1, d, v, 2, 0);
		gp->sparse_initializer = ob_alloc(sizeof(*gp->sparse_initializer));
		gp->sparse_initializer[0] = sp;
		gp->n_sparse_initializer = 1;
	}
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "'sparse'");

	/* graph attributes outside If */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	n = ob_node(gp, "Loop", "loop", "x", "y");
	{
		Onnx__GraphProto *body = ob_new_graph("body");

		ob_attr_graph(n, "body", body);
	}
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "Loop");

	/* STRINGS attributes */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	n = ob_node(gp, "LSTM", "lstm", "x", "y");
	ob_attr(n, "activations", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
	CHECK_MSG_HAS(msg, "STRINGS");

	/* a Constant of strings */
	m = ob_model(13, &gp);
	ob_input(gp, "x", F32, 1, d);
	n = ob_node(gp, "Constant", "cs", "", "s");
	ob_attr_string(n, "value_string", "x");
	ob_node(gp, "Relu", "a", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);

	/* no opset for the ONNX domain */
	m = ob_model(13, &gp);
	m->opset_import[0]->domain = ob_str("ai.onnx.ml");
	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Relu", "a", "x", "y");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "opset");

	/* no graph */
	m = ob_model(13, &gp);
	m->graph = NULL;
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);

	/* not protobuf at all, and empty input */
	{
		static const uint8_t junk[] = "this is not an ONNX model\xff\xff\xff";

		CHECK_STATUS(cdl_onnx_import(junk, sizeof(junk), NULL, 0, &g, msg, sizeof(msg)),
			     CDL_ERR_MALFORMED, msg);
		CHECK(g == NULL);
		CHECK_STATUS(cdl_onnx_import(junk, 0, NULL, 0, &g, msg, sizeof(msg)),
			     CDL_ERR_MALFORMED, msg);
	}
	CHECK_STATUS(cdl_onnx_import_file("/nonexistent/model.onnx", NULL, 0, &g, msg, sizeof(msg)),
		     CDL_ERR_IO, msg);
	CHECK_MSG_HAS(msg, "/nonexistent/model.onnx");
}

/* Nodes out of order are sorted; unnamed optional outputs are handled. */
static void test_sorting(void)
{
	const int64_t d[1] = {4};
	Onnx__GraphProto *gp;
	Onnx__ModelProto *m = ob_model(13, &gp);
	cdl_graph *g = NULL;

	ob_input(gp, "x", F32, 1, d);
	ob_node(gp, "Add", "c", "b1,b2", "y");
	ob_node(gp, "Relu", "b2n", "a", "b2");
	ob_node(gp, "Relu", "b1n", "a", "b1");
	ob_node(gp, "Relu", "an", "x", "a");
	ob_node(gp, "MaxPool", "mp", "x", "pool,")->n_output = 2;
	ob_node(gp, "Split", "sp", "x", "s0,,s2");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_OK, msg);
	if (!g)
		return;
	CHECK(g->n_nodes == 6);
	/* every node's inputs are produced before it */
	for (uint32_t i = 0; i < g->n_nodes; i++)
		for (uint32_t k = 0; k < g->nodes[i].n.n_inputs; k++) {
			uint32_t t = g->nodes[i].n.inputs[k];
			bool ok = t == g->inputs[0];

			for (uint32_t j = 0; j < i && !ok; j++)
				for (uint32_t o = 0; o < g->nodes[j].n.n_outputs; o++)
					ok = ok || g->nodes[j].n.outputs[o] == t;
			CHECK(ok);
		}
	for (uint32_t i = 0; i < g->n_nodes; i++) {
		const cdl_node *n = &g->nodes[i].n;

		if (strcmp(n->op_type, "MaxPool") == 0)
			CHECK(n->n_outputs == 1); /* trailing unnamed output dropped */
		if (strcmp(n->op_type, "Split") == 0) {
			CHECK(n->n_outputs == 3);
			CHECK(n->outputs[1] != CDL_NO_TENSOR &&
			      strstr(g->tensors[n->outputs[1]].name, "unused") != NULL);
		}
	}
	cdl_graph_free(g);
}

/* A branch's use of an outer tensor orders the If after that tensor's producer. */
static void test_sorting_if(void)
{
	const int64_t d[1] = {4};
	const uint8_t yes = 1;
	Onnx__GraphProto *gp, *then_g = ob_new_graph("then"), *else_g = ob_new_graph("else");
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_graph *g = NULL;

	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("cond", BOOL, 0, NULL, &yes, 1, 0));
	ob_node(then_g, "Neg", "uses_a", "a", "r");
	ob_output(then_g, "r");
	ob_output(else_g, "x");
	n = ob_node(gp, "If", "if", "cond", "y");
	ob_attr_graph(n, "then_branch", then_g);
	ob_attr_graph(n, "else_branch", else_g);
	ob_node(gp, "Relu", "makes_a", "x", "a");
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_OK, msg);
	if (!g)
		return;
	CHECK(g->n_nodes == 2 && strcmp(g->nodes[0].n.op_type, "Relu") == 0 &&
	      strcmp(g->nodes[1].n.op_type, "If") == 0);
	cdl_graph_free(g);
}

/* If keeps both branches; branch-local names that clash are made unique. */
static void test_if_import(void)
{
	const int64_t d[1] = {2};
	const uint8_t yes = 1;
	Onnx__GraphProto *gp, *then_g = ob_new_graph("then"), *else_g = ob_new_graph("else");
	Onnx__ModelProto *m = ob_model(13, &gp);
	Onnx__NodeProto *n;
	cdl_graph *g = NULL;

	ob_input(gp, "x", F32, 1, d);
	ob_init(gp, ob_tensor("cond", BOOL, 0, NULL, &yes, 1, 0));
	ob_node(gp, "Relu", "pre", "x", "t"); /* "t" is also a name inside then */
	ob_node(then_g, "Neg", "tn", "x", "t");
	ob_node(then_g, "Abs", "ta", "t", "tout");
	ob_output(then_g, "tout");
	ob_output(else_g, "t"); /* the outer t */
	n = ob_node(gp, "If", "if", "cond", "y");
	ob_attr_graph(n, "then_branch", then_g);
	ob_attr_graph(n, "else_branch", else_g);
	ob_output(gp, "y");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_OK, msg);
	if (!g)
		return;
	CHECK(g->n_nodes == 2);
	{
		const cdl_gnode *ifn = &g->nodes[1];
		uint32_t outer_t = cdl_graph_find_tensor(g, "t");

		CHECK(strcmp(ifn->n.op_type, "If") == 0 && ifn->branches != NULL);
		CHECK(ifn->n.n_attrs == 0);
		if (ifn->branches) {
			const cdl_gbranch *tb = &ifn->branches[0], *eb = &ifn->branches[1];

			CHECK(tb->n_nodes == 2 && eb->n_nodes == 0);
			CHECK(tb->n_outputs == 1 && eb->n_outputs == 1);
			CHECK(eb->outputs[0] == outer_t);
			/* then's local t is a different tensor than the outer t */
			CHECK(tb->nodes[0].n.outputs[0] != outer_t);
			CHECK(tb->nodes[0].n.inputs[0] == g->inputs[0]);
			CHECK(tb->nodes[1].n.inputs[0] == tb->nodes[0].n.outputs[0]);
			CHECK(strcmp(g->tensors[tb->nodes[0].n.outputs[0]].name, "t") != 0);
		}
		/* uses inside branches count */
		CHECK(cdl_graph_use_count(g, outer_t) == 1);
		CHECK(cdl_graph_use_count(g, g->inputs[0]) == 2);
	}
	cdl_graph_free(g);

	/* branches with different output counts */
	ob_output(else_g, "x");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	else_g->n_output = 1;
	/* a branch referring to an undefined name */
	ob_node(else_g, "Relu", "bad", "nowhere", "z");
	CHECK_STATUS(ob_import(m, NULL, 0, &g, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_MSG_HAS(msg, "'nowhere'");
}

/* Every model of the ONNX backend test data imports or is refused cleanly. */
static void test_testdata(void)
{
	static const char *const folders[] = {"node", "pytorch-converted", "pytorch-operator",
					      "simple"};
	const char *root = getenv("CDL_ONNX_TESTDATA");
	unsigned ok = 0, unsupported = 0, needs_shape = 0, other = 0;

	if (!root)
		root = "/usr/share/libonnx-testdata/data";
	for (size_t f = 0; f < sizeof(folders) / sizeof(folders[0]); f++) {
		char dir[1024];
		DIR *d;
		struct dirent *e;

		snprintf(dir, sizeof(dir), "%s/%s", root, folders[f]);
		d = opendir(dir);
		if (!d) {
			fprintf(stderr, "no test data in %s\n", dir);
			ob_failures++;
			continue;
		}
		while ((e = readdir(d))) {
			char path[2048];
			cdl_graph *g = NULL;
			cdl_status st;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/model.onnx", dir, e->d_name);
			/* the caller's shapes are not needed: these models are static */
			st = cdl_onnx_import_file(path, NULL, 0, &g, msg, sizeof(msg));
			if (st == CDL_OK) {
				ok++;
				CHECK(g && g->n_outputs > 0);
			} else if (st == CDL_ERR_UNSUPPORTED) {
				unsupported++;
				CHECK(msg[0] != '\0');
			} else if (st == CDL_ERR_INVALID_ARGUMENT &&
				   strstr(msg, "give the input's shape")) {
				needs_shape++;
			} else {
				other++;
				fprintf(stderr, "%s: status %d: %s\n", path, (int)st, msg);
			}
			cdl_graph_free(g);
		}
		closedir(d);
	}
	printf("testdata: %u imported, %u unsupported, %u need input shapes, %u other\n", ok,
	       unsupported, needs_shape, other);
	/* the test data are valid models: nothing may be called malformed */
	CHECK(other == 0);
	CHECK(ok > 900);
}

int main(void)
{
	test_basic();
	ob_reset();
	test_input_shapes();
	ob_reset();
	test_initializer_inputs();
	ob_reset();
	test_refusals();
	ob_reset();
	test_sorting();
	ob_reset();
	test_sorting_if();
	ob_reset();
	test_if_import();
	ob_reset();
	test_testdata();
	ob_reset();
	free(ob_allocs);
	if (ob_failures)
		fprintf(stderr, "%d check(s) failed\n", ob_failures);
	return ob_failures ? 1 : 0;
}
