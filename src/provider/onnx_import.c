// SPDX-License-Identifier: Apache-2.0
/*
 * ONNX ModelProto -> cdl_graph. The protobuf decoding is protobuf-c's, from
 * code protoc-c generates at build time out of Debian's onnx.proto; this file
 * only maps the decoded messages onto the graph and validates them:
 *  - initializers and Constant nodes become constant tensors (graph inputs
 *    that are initializers are constants, not inputs);
 *  - graph input shapes come from the model, or from the caller's shapes;
 *  - every tensor a node uses must be defined exactly once; the node list is
 *    sorted topologically if the file is not;
 *  - If keeps its two subgraphs (as node lists over the same tensor table,
 *    subgraph-local names made unique) so that constant folding can inline
 *    the branch a constant condition selects.
 * Anything cdl cannot run is CDL_ERR_UNSUPPORTED naming it; anything that
 * does not parse or is inconsistent is CDL_ERR_MALFORMED. Never crashes on a
 * hostile file: protobuf-c returns NULL on malformed or truncated input.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx.pb-c.h"
#include "provider.h"

/* If nested in If: a sane bound so a hostile file cannot exhaust the stack. */
#define IMPORT_MAX_DEPTH 16
/* Protobuf messages are limited to 2 GiB. */
#define IMPORT_MAX_FILE_BYTES ((size_t)INT32_MAX)

/* --- message nesting ---------------------------------------------------------- */

/*
 * protobuf-c unpacks nested messages recursively, so a small file nesting
 * GraphProto in NodeProto in AttributeProto thousands deep exhausts the
 * stack. Before unpacking, walk the wire format with the generated message
 * descriptors (which tell which fields are messages) and refuse nesting no
 * real model has. Anything else odd on the wire is left for protobuf-c to
 * reject. Legitimate models nest about 8 deep, plus 3 per If level.
 */
#define IMPORT_MAX_NESTING 96

static bool read_varint(const uint8_t *buf, size_t end, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64 && *pos < end; shift += 7) {
		uint8_t b = buf[(*pos)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static bool nesting_too_deep(const uint8_t *buf, size_t len)
{
	struct {
		size_t end;
		const ProtobufCMessageDescriptor *desc;
	} stack[IMPORT_MAX_NESTING];
	unsigned top = 0;
	size_t pos = 0;

	stack[0].end = len;
	stack[0].desc = &onnx__model_proto__descriptor;
	for (;;) {
		const ProtobufCFieldDescriptor *fd;
		uint64_t tag = 0, n = 0;

		if (pos == stack[top].end) {
			if (top == 0)
				return false;
			top--;
			continue;
		}
		if (!read_varint(buf, stack[top].end, &pos, &tag))
			return false;
		switch (tag & 7) {
		case 0:
			if (!read_varint(buf, stack[top].end, &pos, &n))
				return false;
			break;
		case 1:
		case 5:
			n = (tag & 7) == 1 ? 8 : 4;
			if (n > stack[top].end - pos)
				return false;
			pos += n;
			break;
		case 2:
			if (!read_varint(buf, stack[top].end, &pos, &n) || n > stack[top].end - pos)
				return false;
			fd = tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(
							  stack[top].desc, (unsigned)(tag >> 3))
						    : NULL;
			if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE && fd->descriptor) {
				if (top + 1 >= IMPORT_MAX_NESTING)
					return true;
				top++;
				stack[top].end = pos + n;
				stack[top].desc = fd->descriptor;
			} else {
				pos += n;
			}
			break;
		default:
			return false; /* groups or junk: protobuf-c decides */
		}
	}
}

cdl_status cdl_onnx_check_nesting(const uint8_t *buf, size_t len, char *msg, size_t msg_size)
{
	if (!nesting_too_deep(buf, len))
		return CDL_OK;
	if (msg && msg_size)
		snprintf(
		    msg, msg_size,
		    "failed to parse ONNX model (%zu bytes): messages nested more than %d deep",
		    len, IMPORT_MAX_NESTING);
	return CDL_ERR_MALFORMED;
}

/* --- name -> tensor index hash map ------------------------------------------ */

typedef struct name_map {
	const char **keys; /* not owned */
	uint32_t *vals;
	uint32_t cap; /* power of two, or 0 */
	uint32_t n;
} name_map;

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static uint32_t map_get(const name_map *m, const char *key)
{
	if (!m->cap)
		return CDL_NO_TENSOR;
	for (uint32_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return CDL_NO_TENSOR;
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	}
}

static bool map_put(name_map *m, const char *key, uint32_t val)
{
	if ((m->n + 1) * 2 > m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 64;
		name_map bigger = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(uint32_t)), cap,
				   0};

		if (!bigger.keys || !bigger.vals || cap < m->cap) {
			free(bigger.keys);
			free(bigger.vals);
			return false;
		}
		for (uint32_t i = 0; i < m->cap; i++)
			if (m->keys[i])
				map_put(&bigger, m->keys[i], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = bigger;
	}
	for (uint32_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return true;
		}
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			return true;
		}
	}
}

static void map_free(name_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* --- importer state -------------------------------------------------------- */

typedef struct scope {
	const struct scope *parent;
	name_map names; /* ONNX names defined in this (sub)graph -> tensor index */
} scope;

typedef struct importer {
	cdl_graph *g;
	name_map all; /* every tensor name in g (keys owned by g) */
	uint32_t opset;
	const cdl_input_shape *shapes;
	uint32_t n_shapes;
	char *msg;
	size_t msg_size;
} importer;

static cdl_status fail(importer *im, cdl_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cdl_status fail(importer *im, cdl_status status, const char *fmt, ...)
{
	va_list ap;

	if (im->msg && im->msg_size) {
		va_start(ap, fmt);
		vsnprintf(im->msg, im->msg_size, fmt, ap);
		va_end(ap);
	}
	return status;
}

static cdl_status oom(importer *im)
{
	return fail(im, CDL_ERR_OUT_OF_MEMORY, "failed to import ONNX model: out of memory");
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* " (node 'name')" for messages, or "" for an unnamed node. */
static const char *node_ref(const char *name, char *buf, size_t size)
{
	if (!name || !name[0])
		return "";
	snprintf(buf, size, " (node '%.200s')", name);
	return buf;
}

static uint32_t scope_lookup(const scope *sc, const char *name)
{
	for (; sc; sc = sc->parent) {
		uint32_t t = map_get(&sc->names, name);

		if (t != CDL_NO_TENSOR)
			return t;
	}
	return CDL_NO_TENSOR;
}

/*
 * Adds a tensor to the graph under name, or, if the graph already has a
 * tensor called that (a subgraph-local name, or an anonymous output), under
 * the first free "name__N".
 */
static cdl_status new_tensor(importer *im, const char *name, uint32_t *out)
{
	char buf[512];
	const char *use = name;
	uint32_t t;

	for (uint32_t n = 1; map_get(&im->all, use) != CDL_NO_TENSOR; n++) {
		snprintf(buf, sizeof(buf), "%.480s__%u", name, n);
		use = buf;
	}
	t = cdl_graph_add_tensor(im->g, use);
	if (t == CDL_NO_TENSOR)
		return oom(im);
	if (!map_put(&im->all, im->g->tensors[t].name, t))
		return oom(im);
	*out = t;
	return CDL_OK;
}

/* Defines an ONNX name in scope sc; a second definition is malformed. */
static cdl_status define(importer *im, scope *sc, const char *name, const char *what, uint32_t *out)
{
	cdl_status status;

	if (!name || !name[0])
		return fail(im, CDL_ERR_MALFORMED, "failed to import ONNX model: %s has no name",
			    what);
	if (map_get(&sc->names, name) != CDL_NO_TENSOR)
		return fail(
		    im, CDL_ERR_MALFORMED,
		    "failed to import ONNX model: tensor '%s' is defined twice (again as %s)", name,
		    what);
	status = new_tensor(im, name, out);
	if (status)
		return status;
	if (!map_put(&sc->names, name, *out))
		return oom(im);
	return CDL_OK;
}

/* --- tensors ----------------------------------------------------------------- */

static cdl_status tensor_from_proto(importer *im, const Onnx__TensorProto *tp, const char *what,
				    cdl_tensor *out)
{
	cdl_status status;

	memset(out, 0, sizeof(*out));
	if (tp->segment)
		return fail(im, CDL_ERR_UNSUPPORTED,
			    "failed to import %s '%s': segmented tensors are not supported", what,
			    str_or_empty(tp->name));
	if (!tp->has_data_type || tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED)
		return fail(im, CDL_ERR_MALFORMED, "failed to import %s '%s': it has no data type",
			    what, str_or_empty(tp->name));
	/* check the data's size against the dims before anything is allocated */
	if (tp->n_dims <= CDL_MAX_RANK && cdl_dtype_size(tp->data_type) &&
	    tp->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		cdl_tensor shape;
		size_t numel = 0, bytes = 0, have;

		memset(&shape, 0, sizeof(shape));
		shape.dtype = (uint8_t)tp->data_type;
		shape.rank = (uint8_t)tp->n_dims;
		for (size_t d = 0; d < tp->n_dims; d++)
			shape.dims[d] = tp->dims[d];
		if (!cdl_tensor_numel(&shape, &numel) || !cdl_tensor_nbytes(&shape, &bytes))
			return fail(im, CDL_ERR_MALFORMED,
				    "failed to import %s '%s': its dims are negative or too large",
				    what, str_or_empty(tp->name));
		if (tp->has_raw_data) {
			if (tp->raw_data.len != bytes)
				return fail(im, CDL_ERR_MALFORMED,
					    "failed to import %s '%s': its raw data has %zu bytes, "
					    "its shape needs %zu",
					    what, str_or_empty(tp->name), tp->raw_data.len, bytes);
		} else {
			if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
				have = tp->n_float_data;
			else if (tp->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
				have = tp->n_int64_data;
			else
				have = tp->n_int32_data;
			if (have != numel)
				return fail(im, CDL_ERR_MALFORMED,
					    "failed to import %s '%s': it has %zu values, its "
					    "shape needs %zu",
					    what, str_or_empty(tp->name), have, numel);
		}
		if (!numel) {
			/* an empty tensor: no data to convert (and none to memcpy from) */
			shape.data = malloc(1);
			if (!shape.data)
				return oom(im);
			*out = shape;
			return CDL_OK;
		}
	}
	status = cdl_onnx_tensor_from_proto(tp, out, im->msg, im->msg_size);
	if (status)
		memset(out, 0, sizeof(*out));
	return status;
}

static cdl_status set_const(importer *im, uint32_t t, cdl_tensor *value)
{
	cdl_gtensor *gt = &im->g->tensors[t];

	gt->t = *value;
	gt->is_const = true;
	gt->shape_known = true;
	memset(value, 0, sizeof(*value));
	return CDL_OK;
}

/* A Constant node's value (opset 1-19 attribute forms). */
static cdl_status constant_value(importer *im, const Onnx__NodeProto *np, cdl_tensor *out)
{
	const char *node = str_or_empty(np->name);

	memset(out, 0, sizeof(*out));
	if (np->n_attribute != 1)
		return fail(im, CDL_ERR_MALFORMED,
			    "failed to import Constant '%s': it has %zu attributes, expected one",
			    node, np->n_attribute);
	const Onnx__AttributeProto *a = np->attribute[0];
	const char *an = str_or_empty(a->name);
	size_t n = 0, esize = 0;
	const void *src = NULL;

	if (strcmp(an, "value") == 0) {
		if (!a->t)
			return fail(im, CDL_ERR_MALFORMED,
				    "failed to import Constant '%s': 'value' holds no tensor",
				    node);
		return tensor_from_proto(im, a->t, "Constant", out);
	}
	if (strcmp(an, "value_float") == 0) {
		out->dtype = CDL_DTYPE_F32;
		n = 1;
		src = &a->f;
		esize = sizeof(float);
	} else if (strcmp(an, "value_floats") == 0) {
		out->dtype = CDL_DTYPE_F32;
		out->rank = 1;
		n = a->n_floats;
		src = a->floats;
		esize = sizeof(float);
	} else if (strcmp(an, "value_int") == 0) {
		out->dtype = CDL_DTYPE_I64;
		n = 1;
		src = &a->i;
		esize = sizeof(int64_t);
	} else if (strcmp(an, "value_ints") == 0) {
		out->dtype = CDL_DTYPE_I64;
		out->rank = 1;
		n = a->n_ints;
		src = a->ints;
		esize = sizeof(int64_t);
	} else {
		return fail(im, CDL_ERR_UNSUPPORTED,
			    "failed to import Constant '%s': attribute '%s' is not supported", node,
			    an);
	}
	if (out->rank)
		out->dims[0] = (int64_t)n;
	out->data = malloc(n * esize + 1);
	if (!out->data)
		return oom(im);
	if (n)
		memcpy(out->data, src, n * esize);
	return CDL_OK;
}

/* --- graph inputs -------------------------------------------------------------- */

static const cdl_input_shape *given_shape(const importer *im, const char *name)
{
	for (uint32_t i = 0; i < im->n_shapes; i++)
		if (im->shapes[i].name && strcmp(im->shapes[i].name, name) == 0)
			return &im->shapes[i];
	return NULL;
}

static cdl_status import_input(importer *im, scope *sc, const Onnx__ValueInfoProto *vi)
{
	const char *name = str_or_empty(vi->name);
	const Onnx__TypeProto__Tensor *tt;
	const cdl_input_shape *given;
	cdl_gtensor *gt;
	uint32_t t = CDL_NO_TENSOR, *inputs;
	size_t bytes = 0;
	cdl_status status;

	if (!vi->type)
		return fail(im, CDL_ERR_MALFORMED, "failed to import input '%s': it has no type",
			    name);
	if (vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !vi->type->tensor_type)
		return fail(im, CDL_ERR_UNSUPPORTED,
			    "failed to import input '%s': only tensor inputs are supported "
			    "(not sequences, maps or optionals)",
			    name);
	tt = vi->type->tensor_type;
	if (!tt->has_elem_type || !cdl_dtype_size(tt->elem_type))
		return fail(im, CDL_ERR_UNSUPPORTED,
			    "failed to import input '%s': data type %s is not supported", name,
			    cdl_dtype_name(tt->has_elem_type ? tt->elem_type : 0));

	status = define(im, sc, name, "a graph input", &t);
	if (status)
		return status;
	gt = &im->g->tensors[t];
	gt->t.dtype = (uint8_t)tt->elem_type;
	given = given_shape(im, name);
	if (given) {
		/* the caller's shape replaces the model's declaration as a whole */
		if (given->rank > CDL_MAX_RANK)
			return fail(im, CDL_ERR_INVALID_ARGUMENT,
				    "failed to import input '%s': the given shape has rank %u, "
				    "more than %d",
				    name, given->rank, CDL_MAX_RANK);
		gt->t.rank = (uint8_t)given->rank;
		for (uint32_t d = 0; d < given->rank; d++)
			gt->t.dims[d] = given->dims[d];
	} else if (!tt->shape) {
		return fail(im, CDL_ERR_INVALID_ARGUMENT,
			    "failed to import input '%s': the model gives no shape for it; give "
			    "one (--input-shape %s=d0,d1,...)",
			    name, name);
	} else {
		if (tt->shape->n_dim > CDL_MAX_RANK)
			return fail(im, CDL_ERR_UNSUPPORTED,
				    "failed to import input '%s': rank %zu is more than %d", name,
				    tt->shape->n_dim, CDL_MAX_RANK);
		gt->t.rank = (uint8_t)tt->shape->n_dim;
		for (size_t d = 0; d < tt->shape->n_dim; d++) {
			const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];

			if (dim->value_case ==
			    ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
				if (dim->dim_value < 0)
					return fail(im, CDL_ERR_MALFORMED,
						    "failed to import input '%s': dim %zu is %lld",
						    name, d, (long long)dim->dim_value);
				gt->t.dims[d] = dim->dim_value;
				continue;
			}
			if (dim->value_case ==
				ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
			    dim->dim_param && dim->dim_param[0])
				return fail(im, CDL_ERR_INVALID_ARGUMENT,
					    "failed to import input '%s': dim %zu ('%s') is "
					    "symbolic; give the input's shape (--input-shape "
					    "%s=d0,d1,...)",
					    name, d, dim->dim_param, name);
			return fail(im, CDL_ERR_INVALID_ARGUMENT,
				    "failed to import input '%s': dim %zu is unknown; give the "
				    "input's shape (--input-shape %s=d0,d1,...)",
				    name, d, name);
		}
	}
	for (uint32_t d = 0; d < gt->t.rank; d++)
		if (gt->t.dims[d] < 0)
			return fail(im, CDL_ERR_INVALID_ARGUMENT,
				    "failed to import input '%s': dim %u is %lld", name, d,
				    (long long)gt->t.dims[d]);
	if (!cdl_tensor_nbytes(&gt->t, &bytes))
		return fail(im, CDL_ERR_INVALID_ARGUMENT,
			    "failed to import input '%s': its shape is too large", name);
	gt->shape_known = true;

	inputs = realloc(im->g->inputs, ((size_t)im->g->n_inputs + 1) * sizeof(*inputs));
	if (!inputs)
		return oom(im);
	im->g->inputs = inputs;
	inputs[im->g->n_inputs++] = t;
	return CDL_OK;
}

/* --- attributes -------------------------------------------------------------- */

static const char *attr_type_name(int type)
{
	switch (type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
		return "GRAPH";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
		return "SPARSE_TENSOR";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO:
		return "TYPE_PROTO";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
		return "STRINGS";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
		return "TENSORS";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
		return "GRAPHS";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
		return "SPARSE_TENSORS";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
		return "TYPE_PROTOS";
	default:
		return "UNDEFINED";
	}
}

/* The attribute's type; files from IR version 1 may leave it unset. */
static int attr_type(const Onnx__AttributeProto *a)
{
	if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
		return a->type;
	if (a->has_f)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	if (a->has_i)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	if (a->has_s)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
	if (a->t)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	if (a->g)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	if (a->n_floats)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
	if (a->n_ints)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	if (a->n_strings)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
	return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

/* Converts one non-graph attribute into a, whose payload is malloc'd. */
static cdl_status convert_attr(importer *im, const Onnx__NodeProto *np,
			       const Onnx__AttributeProto *a, int type, cdl_attr *out)
{
	const char *op = str_or_empty(np->op_type), *node = str_or_empty(np->name);
	const char *an = str_or_empty(a->name);
	char ref[256];
	cdl_status status;

	memset(out, 0, sizeof(*out));
	out->name = strdup(an);
	if (!out->name)
		return oom(im);
	out->type = (uint32_t)type;
	switch (type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		out->v.f = a->f;
		return CDL_OK;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
		out->v.i = a->i;
		return CDL_OK;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: {
		char *s;

		if (a->s.len > UINT32_MAX - 1)
			return fail(im, CDL_ERR_MALFORMED, "attribute '%s' of %s '%s' is too long",
				    an, op, node);
		s = malloc(a->s.len + 1);
		if (!s)
			return oom(im);
		if (a->s.len)
			memcpy(s, a->s.data, a->s.len);
		s[a->s.len] = '\0';
		out->v.s = s;
		out->count = (uint32_t)a->s.len;
		return CDL_OK;
	}
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: {
		bool fl = type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
		size_t n = fl ? a->n_floats : a->n_ints;
		size_t esize = fl ? sizeof(float) : sizeof(int64_t);
		void *p;

		if (n > UINT32_MAX - 1)
			return fail(im, CDL_ERR_MALFORMED, "attribute '%s' of %s '%s' is too long",
				    an, op, node);
		p = malloc(n * esize + 1);
		if (!p)
			return oom(im);
		if (n)
			memcpy(p, fl ? (const void *)a->floats : (const void *)a->ints, n * esize);
		if (fl)
			out->v.floats = p;
		else
			out->v.ints = p;
		out->count = (uint32_t)n;
		return CDL_OK;
	}
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
		cdl_tensor *t = calloc(1, sizeof(*t));

		if (!t)
			return oom(im);
		out->v.t = t;
		if (!a->t)
			return fail(im, CDL_ERR_MALFORMED,
				    "attribute '%s' of %s '%s' holds no tensor", an, op, node);
		status = tensor_from_proto(im, a->t, "attribute tensor", t);
		return status;
	}
	default:
		return fail(im, CDL_ERR_UNSUPPORTED,
			    "op %s%s: attribute '%s' of type %s is not supported", op,
			    node_ref(node, ref, sizeof(ref)), an, attr_type_name(type));
	}
}

/* --- topological order -------------------------------------------------------- */

typedef struct u32_vec {
	uint32_t *v;
	size_t n, cap;
} u32_vec;

static bool vec_push(u32_vec *v, uint32_t x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		uint32_t *p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return false;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return true;
}

/* Every tensor a node reads, including those its branches read from outside. */
static bool collect_uses(const cdl_gnode *node, u32_vec *uses)
{
	for (uint32_t k = 0; k < node->n.n_inputs; k++)
		if (node->n.inputs[k] != CDL_NO_TENSOR && !vec_push(uses, node->n.inputs[k]))
			return false;
	if (node->branches) {
		for (int b = 0; b < 2; b++) {
			const cdl_gbranch *br = &node->branches[b];

			for (uint32_t i = 0; i < br->n_nodes; i++)
				if (!collect_uses(&br->nodes[i], uses))
					return false;
			for (uint32_t k = 0; k < br->n_outputs; k++)
				if (!vec_push(uses, br->outputs[k]))
					return false;
		}
	}
	return true;
}

/*
 * Sorts g->nodes[start, end) topologically (Kahn), keeping the file's order
 * when it already is one. Producers outside the range count as available.
 */
static cdl_status sort_nodes(importer *im, uint32_t start, uint32_t end)
{
	cdl_graph *g = im->g;
	uint32_t n = end - start, *prod = NULL, *first = NULL, *indeg = NULL, *adj = NULL;
	uint32_t *order = NULL, *fill = NULL;
	u32_vec uses = {0};
	size_t *off = NULL;
	cdl_gnode *sorted = NULL;
	cdl_status status = CDL_OK;
	bool is_sorted = true;
	uint32_t head = 0, tail = 0;

	if (n < 2)
		return CDL_OK;
	prod = malloc(((size_t)g->n_tensors + 1) * sizeof(*prod));
	off = malloc(((size_t)n + 1) * sizeof(*off));
	if (!prod || !off) {
		status = oom(im);
		goto out;
	}
	memset(prod, 0xff, ((size_t)g->n_tensors + 1) * sizeof(*prod));
	for (uint32_t i = 0; i < n; i++) {
		const cdl_gnode *node = &g->nodes[start + i];

		for (uint32_t k = 0; k < node->n.n_outputs; k++)
			if (node->n.outputs[k] < g->n_tensors)
				prod[node->n.outputs[k]] = i;
	}
	for (uint32_t i = 0; i < n; i++) {
		off[i] = uses.n;
		if (!collect_uses(&g->nodes[start + i], &uses)) {
			status = oom(im);
			goto out;
		}
		for (size_t k = off[i]; k < uses.n; k++) {
			uint32_t p = uses.v[k] < g->n_tensors ? prod[uses.v[k]] : UINT32_MAX;

			if (p != UINT32_MAX && p >= i)
				is_sorted = false;
		}
	}
	off[n] = uses.n;
	if (is_sorted)
		goto out;

	/* Kahn's algorithm over edges producer -> consumer, one per use */
	first = calloc((size_t)n + 1, sizeof(*first));
	fill = calloc((size_t)n + 1, sizeof(*fill));
	indeg = calloc((size_t)n + 1, sizeof(*indeg));
	adj = malloc((uses.n + 1) * sizeof(*adj));
	order = malloc(((size_t)n + 1) * sizeof(*order));
	sorted = malloc(((size_t)n + 1) * sizeof(*sorted));
	if (!first || !fill || !indeg || !adj || !order || !sorted) {
		status = oom(im);
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		for (size_t k = off[i]; k < off[i + 1]; k++) {
			uint32_t p = uses.v[k] < g->n_tensors ? prod[uses.v[k]] : UINT32_MAX;

			if (p != UINT32_MAX) {
				first[p + 1]++;
				indeg[i]++;
			}
		}
	for (uint32_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (uint32_t i = 0; i < n; i++)
		for (size_t k = off[i]; k < off[i + 1]; k++) {
			uint32_t p = uses.v[k] < g->n_tensors ? prod[uses.v[k]] : UINT32_MAX;

			if (p != UINT32_MAX)
				adj[first[p] + fill[p]++] = i;
		}
	for (uint32_t i = 0; i < n; i++)
		if (!indeg[i])
			order[tail++] = i;
	while (head < tail) {
		uint32_t p = order[head++];

		for (uint32_t e = first[p]; e < first[p + 1]; e++)
			if (--indeg[adj[e]] == 0)
				order[tail++] = adj[e];
	}
	if (tail < n) {
		for (uint32_t i = 0; i < n; i++) {
			if (indeg[i]) {
				const cdl_gnode *node = &g->nodes[start + i];

				status = fail(im, CDL_ERR_MALFORMED,
					      "failed to import ONNX model: the graph has a cycle "
					      "through %s '%s'",
					      node->n.op_type, node->n.name);
				goto out;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		sorted[i] = g->nodes[start + order[i]];
	memcpy(&g->nodes[start], sorted, (size_t)n * sizeof(*sorted));
out:
	free(prod);
	free(off);
	free(uses.v);
	free(first);
	free(fill);
	free(indeg);
	free(adj);
	free(order);
	free(sorted);
	return status;
}

/* --- graphs ---------------------------------------------------------------- */

static cdl_status import_graph(importer *im, const Onnx__GraphProto *gp, scope *sc, int depth,
			       uint32_t **outputs, uint32_t *n_outputs);

static bool domain_is_onnx(const char *d)
{
	return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

static void free_attrs(cdl_attr *attrs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		cdl_attr_release(&attrs[i]);
	free(attrs);
}

/* Imports If's then/else subgraphs into g->nodes[idx].branches. */
static cdl_status import_branches(importer *im, const scope *sc, uint32_t idx,
				  const Onnx__GraphProto *const sub[2], int depth)
{
	static const char *const attr_names[2] = {"then_branch", "else_branch"};
	cdl_gbranch *branches = calloc(2, sizeof(*branches));
	cdl_status status = CDL_OK;

	if (!branches)
		return oom(im);
	im->g->nodes[idx].branches = branches;
	for (int b = 0; b < 2; b++) {
		const cdl_gnode *node = &im->g->nodes[idx];
		scope child = {sc, {0}};
		uint32_t start = im->g->n_nodes, count;
		cdl_gbranch *br = &im->g->nodes[idx].branches[b];

		if (!sub[b])
			return fail(im, CDL_ERR_MALFORMED,
				    "failed to import If '%s': attribute %s is missing",
				    node->n.name, attr_names[b]);
		if (sub[b]->n_input)
			return fail(im, CDL_ERR_UNSUPPORTED,
				    "failed to import If '%s': its %s has inputs", node->n.name,
				    attr_names[b]);
		status = import_graph(im, sub[b], &child, depth + 1, &br->outputs, &br->n_outputs);
		map_free(&child.names);
		if (status)
			return status;
		/* the branch's nodes were appended to g->nodes: move them into br */
		node = &im->g->nodes[idx];
		br = &im->g->nodes[idx].branches[b];
		if (br->n_outputs != node->n.n_outputs)
			return fail(im, CDL_ERR_MALFORMED,
				    "failed to import If '%s': its %s has %u outputs, the node %u",
				    node->n.name, attr_names[b], br->n_outputs, node->n.n_outputs);
		count = im->g->n_nodes - start;
		br->nodes = malloc(((size_t)count + 1) * sizeof(*br->nodes));
		if (!br->nodes)
			return oom(im);
		if (count)
			memcpy(br->nodes, &im->g->nodes[start], (size_t)count * sizeof(*br->nodes));
		br->n_nodes = count;
		im->g->n_nodes = start;
	}
	return CDL_OK;
}

static cdl_status import_node(importer *im, const scope *sc, const Onnx__NodeProto *np,
			      const uint32_t *outs, int depth)
{
	const char *op = str_or_empty(np->op_type), *name = str_or_empty(np->name);
	const Onnx__GraphProto *sub[2] = {NULL, NULL};
	bool is_if = strcmp(op, "If") == 0;
	uint32_t *ins = NULL, n_attrs = 0, n_outs = (uint32_t)np->n_output;
	cdl_attr *attrs = NULL;
	char ref[256];
	cdl_status status = CDL_OK;

	if (!domain_is_onnx(np->domain))
		return fail(im, CDL_ERR_UNSUPPORTED, "op %s from domain %s is not supported%s", op,
			    np->domain, node_ref(name, ref, sizeof(ref)));
	if (!im->opset)
		return fail(
		    im, CDL_ERR_MALFORMED,
		    "failed to import ONNX model: it declares no opset for the ONNX domain");
	/* an ONNX op cdl lacks is unsupported; a name ONNX does not define is an error */
	if (!cdl_op_find(op) && !cdl_onnx_is_operator(op))
		return fail(im, CDL_ERR_MALFORMED, "op %s%s is not an ONNX operator", op,
			    node_ref(name, ref, sizeof(ref)));
	ins = malloc((np->n_input + 1) * sizeof(*ins));
	attrs = calloc(np->n_attribute + 1, sizeof(*attrs));
	if (!ins || !attrs) {
		status = oom(im);
		goto out;
	}
	for (size_t k = 0; k < np->n_input; k++) {
		const char *in = np->input[k];

		if (!in || !in[0]) {
			ins[k] = CDL_NO_TENSOR; /* absent optional input */
			continue;
		}
		ins[k] = scope_lookup(sc, in);
		if (ins[k] == CDL_NO_TENSOR) {
			status = fail(im, CDL_ERR_MALFORMED,
				      "failed to import %s '%s': input %zu '%s' is not defined", op,
				      name, k, in);
			goto out;
		}
	}
	for (size_t k = 0; k < np->n_attribute; k++) {
		const Onnx__AttributeProto *a = np->attribute[k];
		int type = attr_type(a);

		if (a->ref_attr_name) {
			status = fail(im, CDL_ERR_UNSUPPORTED,
				      "op %s%s: attribute '%s' refers to a function attribute", op,
				      node_ref(name, ref, sizeof(ref)), str_or_empty(a->name));
			goto out;
		}
		if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH) {
			int which = -1;

			if (is_if && a->name && strcmp(a->name, "then_branch") == 0)
				which = 0;
			else if (is_if && a->name && strcmp(a->name, "else_branch") == 0)
				which = 1;
			if (which < 0) {
				status = fail(im, CDL_ERR_UNSUPPORTED,
					      "op %s%s: graph attribute '%s' is not supported "
					      "(only If's branches are)",
					      op, node_ref(name, ref, sizeof(ref)),
					      str_or_empty(a->name));
				goto out;
			}
			if (!a->g) {
				status = fail(im, CDL_ERR_MALFORMED,
					      "failed to import If '%s': %s holds no graph", name,
					      a->name);
				goto out;
			}
			sub[which] = a->g;
			continue;
		}
		status = convert_attr(im, np, a, type, &attrs[n_attrs]);
		n_attrs++;
		if (status)
			goto out;
	}
	if (is_if && depth >= IMPORT_MAX_DEPTH) {
		status = fail(im, CDL_ERR_UNSUPPORTED,
			      "failed to import If '%s': If nested more than %d deep", name,
			      IMPORT_MAX_DEPTH);
		goto out;
	}
	/* trailing unnamed outputs are optional outputs nobody asked for */
	while (n_outs && (!np->output[n_outs - 1] || !np->output[n_outs - 1][0]))
		n_outs--;
	if (np->n_input > UINT32_MAX / 2 || n_outs > UINT32_MAX / 2) {
		status =
		    fail(im, CDL_ERR_MALFORMED, "node '%s' has too many inputs or outputs", name);
		goto out;
	}
	status = cdl_graph_add_node(im->g, op, name, im->opset, ins, (uint32_t)np->n_input, outs,
				    n_outs, attrs, n_attrs);
	if (status) {
		status = oom(im);
		goto out;
	}
	if (is_if)
		status = import_branches(im, sc, im->g->n_nodes - 1, sub, depth);
out:
	free(ins);
	free_attrs(attrs, n_attrs);
	return status;
}

/*
 * Imports a (sub)graph: its initializers, inputs (main graph only), nodes and
 * outputs. Nodes are appended to g->nodes and sorted there.
 */
static cdl_status import_graph(importer *im, const Onnx__GraphProto *gp, scope *sc, int depth,
			       uint32_t **outputs, uint32_t *n_outputs)
{
	const bool is_main = depth == 0;
	uint32_t start = im->g->n_nodes, *outs = NULL, *gouts = NULL;
	size_t total_outs = 0, pos = 0;
	cdl_status status = CDL_OK;

	*outputs = NULL;
	*n_outputs = 0;
	if (gp->n_sparse_initializer)
		return fail(im, CDL_ERR_UNSUPPORTED,
			    "failed to import sparse initializer '%s': sparse tensors are not "
			    "supported",
			    gp->sparse_initializer[0]->values &&
				    gp->sparse_initializer[0]->values->name
				? gp->sparse_initializer[0]->values->name
				: "");
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		cdl_tensor value;
		uint32_t t = CDL_NO_TENSOR;

		status = define(im, sc, tp->name, "an initializer", &t);
		if (status)
			return status;
		status = tensor_from_proto(im, tp, "initializer", &value);
		if (status)
			return status;
		set_const(im, t, &value);
	}
	if (is_main) {
		for (uint32_t s = 0; s < im->n_shapes; s++) {
			bool found = false;

			for (size_t i = 0; i < gp->n_input && !found; i++)
				found = gp->input[i]->name && im->shapes[s].name &&
					strcmp(gp->input[i]->name, im->shapes[s].name) == 0;
			if (!found)
				return fail(
				    im, CDL_ERR_INVALID_ARGUMENT,
				    "failed to import ONNX model: a shape is given for '%s', "
				    "but the model has no input called that",
				    str_or_empty(im->shapes[s].name));
		}
		for (size_t i = 0; i < gp->n_input; i++) {
			const Onnx__ValueInfoProto *vi = gp->input[i];

			/* an initializer listed among the inputs is a constant */
			if (vi->name && map_get(&sc->names, vi->name) != CDL_NO_TENSOR &&
			    im->g->tensors[map_get(&sc->names, vi->name)].is_const)
				continue;
			status = import_input(im, sc, vi);
			if (status)
				return status;
		}
	}

	/* first define every node output, so that order in the file does not matter */
	for (size_t i = 0; i < gp->n_node; i++) {
		total_outs += gp->node[i]->n_output;
		if (!gp->node[i]->op_type || !gp->node[i]->op_type[0])
			return fail(im, CDL_ERR_MALFORMED,
				    "failed to import ONNX model: node %zu ('%s') has no op type",
				    i, str_or_empty(gp->node[i]->name));
	}
	outs = malloc((total_outs + 1) * sizeof(*outs));
	if (!outs)
		return oom(im);
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];
		bool is_const = strcmp(np->op_type, "Constant") == 0 && domain_is_onnx(np->domain);

		if (is_const && (np->n_output != 1 || !np->output[0] || !np->output[0][0])) {
			status = fail(im, CDL_ERR_MALFORMED,
				      "failed to import Constant '%s': it needs one named output",
				      str_or_empty(np->name));
			goto out;
		}
		for (size_t k = 0; k < np->n_output; k++) {
			const char *o = np->output[k];

			outs[pos + k] = CDL_NO_TENSOR;
			if (o && o[0]) {
				status = define(im, sc, o, "a node output", &outs[pos + k]);
				if (status)
					goto out;
			}
		}
		if (is_const) {
			cdl_tensor value;

			status = constant_value(im, np, &value);
			if (status)
				goto out;
			set_const(im, outs[pos], &value);
		}
		pos += np->n_output;
	}
	/* unnamed optional outputs in the middle get a private tensor, named after
	 * every real name is taken so that they never push a real one aside */
	pos = 0;
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];

		for (size_t k = 0; k < np->n_output; k++) {
			char anon[300];

			if (outs[pos + k] != CDL_NO_TENSOR)
				continue;
			snprintf(anon, sizeof(anon), "%.256s:unused%zu", str_or_empty(np->name), k);
			status = new_tensor(im, anon, &outs[pos + k]);
			if (status)
				goto out;
		}
		pos += np->n_output;
	}
	pos = 0;
	for (size_t i = 0; i < gp->n_node; i++) {
		const Onnx__NodeProto *np = gp->node[i];

		if (!(strcmp(np->op_type, "Constant") == 0 && domain_is_onnx(np->domain))) {
			status = import_node(im, sc, np, &outs[pos], depth);
			if (status)
				goto out;
		}
		pos += np->n_output;
	}
	status = sort_nodes(im, start, im->g->n_nodes);
	if (status)
		goto out;

	gouts = malloc((gp->n_output + 1) * sizeof(*gouts));
	if (!gouts) {
		status = oom(im);
		goto out;
	}
	for (size_t i = 0; i < gp->n_output; i++) {
		const char *o = str_or_empty(gp->output[i]->name);

		gouts[i] = scope_lookup(sc, o);
		if (gouts[i] == CDL_NO_TENSOR) {
			status = fail(im, CDL_ERR_MALFORMED,
				      "failed to import ONNX model: %s output '%s' is not defined",
				      is_main ? "graph" : "subgraph", o);
			goto out;
		}
	}
	*outputs = gouts;
	*n_outputs = (uint32_t)gp->n_output;
	gouts = NULL;
out:
	free(outs);
	free(gouts);
	return status;
}

static cdl_status model_opset(importer *im, const Onnx__ModelProto *m)
{
	bool found = false;

	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *os = m->opset_import[i];

		if (!domain_is_onnx(os->domain))
			continue;
		if (!os->has_version || os->version < 1 || os->version > 10000)
			return fail(im, CDL_ERR_MALFORMED,
				    "failed to import ONNX model: opset version %lld is invalid",
				    (long long)os->version);
		im->opset = (uint32_t)os->version;
		found = true;
	}
	if (!found) {
		/* IR versions before 3 predate opset_import and mean opset 1 */
		if (m->has_ir_version && m->ir_version < 3) {
			im->opset = 1;
			return CDL_OK;
		}
		/* an error only once a node of the ONNX domain needs it */
		im->opset = 0;
	}
	return CDL_OK;
}

cdl_status cdl_onnx_import(const uint8_t *buf, size_t len, const cdl_input_shape *shapes,
			   uint32_t n_shapes, cdl_graph **out, char *msg, size_t msg_size)
{
	Onnx__ModelProto *m = NULL;
	importer im;
	scope main_scope = {NULL, {0}};
	cdl_status status;

	memset(&im, 0, sizeof(im));
	im.msg = msg;
	im.msg_size = msg_size;
	im.shapes = shapes;
	im.n_shapes = shapes ? n_shapes : 0;
	if (msg && msg_size)
		msg[0] = '\0';
	if (!out || (!buf && len))
		return fail(&im, CDL_ERR_INVALID_ARGUMENT,
			    "failed to import ONNX model: no buffer");
	*out = NULL;

	status = cdl_onnx_check_nesting(buf, len, msg, msg_size);
	if (status)
		goto out;
	m = onnx__model_proto__unpack(NULL, len, buf);
	if (!m) {
		status = fail(&im, CDL_ERR_MALFORMED,
			      "failed to parse ONNX model (%zu bytes): not a valid ModelProto "
			      "(truncated or corrupt protobuf)",
			      len);
		goto out;
	}
	if (!m->graph) {
		status = fail(&im, CDL_ERR_MALFORMED,
			      "failed to import ONNX model (%zu bytes): it has no graph", len);
		goto out;
	}
	status = model_opset(&im, m);
	if (status)
		goto out;
	im.g = cdl_graph_new();
	if (!im.g) {
		status = oom(&im);
		goto out;
	}
	im.g->opset = im.opset;
	status = import_graph(&im, m->graph, &main_scope, 0, &im.g->outputs, &im.g->n_outputs);
	if (status)
		goto out;
	if (!im.g->n_outputs) {
		status =
		    fail(&im, CDL_ERR_MALFORMED, "failed to import ONNX model: it has no outputs");
		goto out;
	}
	*out = im.g;
	im.g = NULL;
out:
	map_free(&main_scope.names);
	map_free(&im.all);
	cdl_graph_free(im.g);
	if (m)
		onnx__model_proto__free_unpacked(m, NULL);
	return status;
}

cdl_status cdl_onnx_import_file(const char *path, const cdl_input_shape *shapes, uint32_t n_shapes,
				cdl_graph **out, char *msg, size_t msg_size)
{
	FILE *f = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
	cdl_status status;

	if (out)
		*out = NULL;
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) != 0) {
		snprintf(msg, msg_size, "failed to open %s: %s", path, strerror(errno));
		status = CDL_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > IMPORT_MAX_FILE_BYTES) {
		snprintf(msg, msg_size, "failed to read %s: not a regular file of at most 2 GiB",
			 path);
		status = CDL_ERR_IO;
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len + 1);
	if (!buf) {
		snprintf(msg, msg_size, "failed to read %s: out of memory for %zu bytes", path,
			 len);
		status = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	if (len && fread(buf, 1, len, f) != len) {
		snprintf(msg, msg_size, "failed to read %s: %s", path,
			 ferror(f) ? strerror(errno) : "file shrank while reading");
		status = CDL_ERR_IO;
		goto out;
	}
	status = cdl_onnx_import(buf, len, shapes, n_shapes, out, msg, msg_size);
out:
	if (f)
		fclose(f);
	free(buf);
	return status;
}
