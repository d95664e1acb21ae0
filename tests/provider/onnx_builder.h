/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers: build small ONNX models with the protobuf-c structs generated
 * from onnx.proto, serialise them, and check results. Every allocation is
 * tracked and released by ob_reset(), so a test builds freely.
 */
#ifndef CDL_TESTS_ONNX_BUILDER_H
#define CDL_TESTS_ONNX_BUILDER_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "provider.h"

#define OB_FN static __attribute__((unused))

/* --- checks ------------------------------------------------------------------ */

OB_FN int ob_failures;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			ob_failures++;                                                             \
		}                                                                                  \
	} while (0)

#define CHECK_STATUS(expr, expected, msg)                                                          \
	do {                                                                                       \
		cdl_status got_ = (expr);                                                          \
		if (got_ != (expected)) {                                                          \
			fprintf(stderr, "%s:%d: %s gave status %d, expected %d (%s)\n", __FILE__,  \
				__LINE__, #expr, (int)got_, (int)(expected), msg);                 \
			ob_failures++;                                                             \
		}                                                                                  \
	} while (0)

#define CHECK_MSG_HAS(msg, needle)                                                                 \
	do {                                                                                       \
		if (!strstr((msg), (needle))) {                                                    \
			fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__,          \
				__LINE__, (msg), (needle));                                        \
			ob_failures++;                                                             \
		}                                                                                  \
	} while (0)

/* --- tracked allocation ------------------------------------------------------- */

OB_FN void **ob_allocs;
OB_FN size_t ob_n_allocs, ob_cap_allocs;

OB_FN void *ob_alloc(size_t bytes)
{
	void *p = calloc(1, bytes ? bytes : 1);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	if (ob_n_allocs == ob_cap_allocs) {
		ob_cap_allocs = ob_cap_allocs ? ob_cap_allocs * 2 : 256;
		ob_allocs = realloc(ob_allocs, ob_cap_allocs * sizeof(*ob_allocs));
		if (!ob_allocs)
			abort();
	}
	ob_allocs[ob_n_allocs++] = p;
	return p;
}

OB_FN void ob_reset(void)
{
	for (size_t i = 0; i < ob_n_allocs; i++)
		free(ob_allocs[i]);
	ob_n_allocs = 0;
}

OB_FN char *ob_str(const char *s)
{
	char *p = ob_alloc(strlen(s) + 1);

	memcpy(p, s, strlen(s) + 1);
	return p;
}

/* Repeated fields get room for this many entries. */
#define OB_CAP 64

/* --- models ------------------------------------------------------------------- */

OB_FN Onnx__GraphProto *ob_new_graph(const char *name)
{
	Onnx__GraphProto *g = ob_alloc(sizeof(*g));

	onnx__graph_proto__init(g);
	g->name = ob_str(name);
	g->node = ob_alloc(OB_CAP * sizeof(*g->node));
	g->initializer = ob_alloc(OB_CAP * sizeof(*g->initializer));
	g->input = ob_alloc(OB_CAP * sizeof(*g->input));
	g->output = ob_alloc(OB_CAP * sizeof(*g->output));
	return g;
}

OB_FN Onnx__ModelProto *ob_model(int64_t opset, Onnx__GraphProto **graph)
{
	Onnx__ModelProto *m = ob_alloc(sizeof(*m));
	Onnx__OperatorSetIdProto *os = ob_alloc(sizeof(*os));

	onnx__model_proto__init(m);
	onnx__operator_set_id_proto__init(os);
	m->has_ir_version = 1;
	m->ir_version = 8;
	m->producer_name = ob_str("cdl-test");
	os->domain = ob_str("");
	os->has_version = 1;
	os->version = opset;
	m->opset_import = ob_alloc(OB_CAP * sizeof(*m->opset_import));
	m->opset_import[m->n_opset_import++] = os;
	m->graph = ob_new_graph("test");
	*graph = m->graph;
	return m;
}

/* dims[i] < 0 means a symbolic dim "d<i>"; rank < 0 means no shape at all. */
OB_FN Onnx__ValueInfoProto *ob_value_info(const char *name, int elem_type, int rank,
					  const int64_t *dims)
{
	Onnx__ValueInfoProto *vi = ob_alloc(sizeof(*vi));
	Onnx__TypeProto *tp = ob_alloc(sizeof(*tp));
	Onnx__TypeProto__Tensor *tt = ob_alloc(sizeof(*tt));

	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	vi->name = ob_str(name);
	vi->type = tp;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	tt->has_elem_type = 1;
	tt->elem_type = elem_type;
	if (rank >= 0) {
		Onnx__TensorShapeProto *sp = ob_alloc(sizeof(*sp));

		onnx__tensor_shape_proto__init(sp);
		sp->dim = ob_alloc((size_t)(rank + 1) * sizeof(*sp->dim));
		for (int i = 0; i < rank; i++) {
			Onnx__TensorShapeProto__Dimension *d = ob_alloc(sizeof(*d));

			onnx__tensor_shape_proto__dimension__init(d);
			if (dims[i] >= 0) {
				d->value_case =
				    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
				d->dim_value = dims[i];
			} else {
				char buf[16];

				snprintf(buf, sizeof(buf), "d%d", i);
				d->value_case =
				    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
				d->dim_param = ob_str(buf);
			}
			sp->dim[sp->n_dim++] = d;
		}
		tt->shape = sp;
	}
	return vi;
}

OB_FN void ob_input(Onnx__GraphProto *g, const char *name, int elem_type, int rank,
		    const int64_t *dims)
{
	g->input[g->n_input++] = ob_value_info(name, elem_type, rank, dims);
}

OB_FN void ob_output(Onnx__GraphProto *g, const char *name)
{
	Onnx__ValueInfoProto *vi = ob_alloc(sizeof(*vi));

	onnx__value_info_proto__init(vi);
	vi->name = ob_str(name);
	g->output[g->n_output++] = vi;
}

/* Splits "a,b,,c" into names ("" is an absent optional). */
OB_FN size_t ob_split(const char *list, char ***out)
{
	char **names = ob_alloc(OB_CAP * sizeof(*names));
	size_t n = 0;
	const char *p = list;

	if (list && list[0]) {
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			char *s = ob_alloc(len + 1);

			memcpy(s, p, len);
			names[n++] = s;
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	*out = names;
	return n;
}

OB_FN Onnx__NodeProto *ob_node(Onnx__GraphProto *g, const char *op, const char *name,
			       const char *inputs, const char *outputs)
{
	Onnx__NodeProto *n = ob_alloc(sizeof(*n));

	onnx__node_proto__init(n);
	n->op_type = ob_str(op);
	n->name = ob_str(name);
	n->n_input = ob_split(inputs, &n->input);
	n->n_output = ob_split(outputs, &n->output);
	n->attribute = ob_alloc(OB_CAP * sizeof(*n->attribute));
	g->node[g->n_node++] = n;
	return n;
}

OB_FN Onnx__AttributeProto *ob_attr(Onnx__NodeProto *n, const char *name, int type)
{
	Onnx__AttributeProto *a = ob_alloc(sizeof(*a));

	onnx__attribute_proto__init(a);
	a->name = ob_str(name);
	a->has_type = 1;
	a->type = type;
	n->attribute[n->n_attribute++] = a;
	return a;
}

OB_FN void ob_attr_int(Onnx__NodeProto *n, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);

	a->has_i = 1;
	a->i = v;
}

OB_FN void ob_attr_float(Onnx__NodeProto *n, const char *name, float v)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);

	a->has_f = 1;
	a->f = v;
}

OB_FN void ob_attr_string(Onnx__NodeProto *n, const char *name, const char *v)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);

	a->has_s = 1;
	a->s.len = strlen(v);
	a->s.data = (uint8_t *)ob_str(v);
}

OB_FN void ob_attr_ints(Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);

	a->ints = ob_alloc(count * sizeof(*a->ints));
	memcpy(a->ints, v, count * sizeof(*v));
	a->n_ints = count;
}

OB_FN void ob_attr_floats(Onnx__NodeProto *n, const char *name, size_t count, const float *v)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);

	a->floats = ob_alloc(count * sizeof(*a->floats));
	memcpy(a->floats, v, count * sizeof(*v));
	a->n_floats = count;
}

OB_FN void ob_attr_graph(Onnx__NodeProto *n, const char *name, Onnx__GraphProto *g)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);

	a->g = g;
}

/* A tensor; data (numel elements of the dtype's C type) goes to raw_data if
 * raw, else to the typed field ONNX uses for that dtype. */
OB_FN Onnx__TensorProto *ob_tensor(const char *name, int dtype, int rank, const int64_t *dims,
				   const void *data, size_t numel, int raw)
{
	Onnx__TensorProto *t = ob_alloc(sizeof(*t));
	size_t esize = dtype == 7 || dtype == 11 ? 8 : dtype == 1 || dtype == 6 ? 4 : 1;

	onnx__tensor_proto__init(t);
	t->name = ob_str(name);
	t->has_data_type = 1;
	t->data_type = dtype;
	t->dims = ob_alloc((size_t)(rank + 1) * sizeof(*t->dims));
	for (int i = 0; i < rank; i++)
		t->dims[i] = dims[i];
	t->n_dims = (size_t)rank;
	if (raw) {
		t->has_raw_data = 1;
		t->raw_data.len = numel * esize;
		t->raw_data.data = ob_alloc(numel * esize);
		memcpy(t->raw_data.data, data, numel * esize);
	} else if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
		t->float_data = ob_alloc(numel * sizeof(float));
		memcpy(t->float_data, data, numel * sizeof(float));
		t->n_float_data = numel;
	} else if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
		t->int64_data = ob_alloc(numel * sizeof(int64_t));
		memcpy(t->int64_data, data, numel * sizeof(int64_t));
		t->n_int64_data = numel;
	} else if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
		t->double_data = ob_alloc(numel * sizeof(double));
		memcpy(t->double_data, data, numel * sizeof(double));
		t->n_double_data = numel;
	} else {
		t->int32_data = ob_alloc(numel * sizeof(int32_t));
		for (size_t i = 0; i < numel; i++) {
			switch (dtype) {
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
				t->int32_data[i] = ((const int32_t *)data)[i];
				break;
			case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
				t->int32_data[i] = ((const int8_t *)data)[i];
				break;
			default:
				t->int32_data[i] = ((const uint8_t *)data)[i];
				break;
			}
		}
		t->n_int32_data = numel;
	}
	return t;
}

OB_FN Onnx__TensorProto *ob_init(Onnx__GraphProto *g, Onnx__TensorProto *t)
{
	g->initializer[g->n_initializer++] = t;
	return t;
}

OB_FN void ob_attr_tensor(Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t)
{
	Onnx__AttributeProto *a = ob_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);

	a->t = t;
}

OB_FN uint8_t *ob_pack(const Onnx__ModelProto *m, size_t *len)
{
	uint8_t *buf = ob_alloc(onnx__model_proto__get_packed_size(m));

	*len = onnx__model_proto__pack(m, buf);
	return buf;
}

/* Packs m and imports it. */
OB_FN cdl_status ob_import(const Onnx__ModelProto *m, const cdl_input_shape *shapes,
			   uint32_t n_shapes, cdl_graph **g, char *msg, size_t msg_size)
{
	size_t len = 0;
	uint8_t *buf = ob_pack(m, &len);

	return cdl_onnx_import(buf, len, shapes, n_shapes, g, msg, msg_size);
}

/* Reads a whole file (malloc'd), or NULL. */
OB_FN uint8_t *ob_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size + 1);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

/* --- graph inspection ------------------------------------------------------------- */

OB_FN const cdl_gtensor *ob_tensor_named(const cdl_graph *g, const char *name)
{
	uint32_t t = cdl_graph_find_tensor(g, name);

	return t == CDL_NO_TENSOR ? NULL : &g->tensors[t];
}

OB_FN uint32_t ob_live_nodes(const cdl_graph *g, const char *op)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->n_nodes; i++)
		if (!g->nodes[i].dead && (!op || strcmp(g->nodes[i].n.op_type, op) == 0))
			n++;
	return n;
}

OB_FN bool ob_has_ops(const char *const *ops, size_t n)
{
	bool all = true;

	for (size_t i = 0; i < n; i++) {
		if (!cdl_op_find(ops[i])) {
			fprintf(stderr, "engine op %s is not implemented yet\n", ops[i]);
			all = false;
		}
	}
	return all;
}

#endif /* CDL_TESTS_ONNX_BUILDER_H */
