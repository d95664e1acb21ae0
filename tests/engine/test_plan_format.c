// SPDX-License-Identifier: Apache-2.0
/*
 * The plan format, from both ends:
 *  - the reader on plans encoded here by hand from docs/plan-format.md (an
 *    independent encoder, so a bug shared by writer and reader would show),
 *    every field read back, then one targeted malformation per check the doc
 *    lists, each with the status it must give;
 *  - the arena;
 *  - the writer: a graph carrying every attribute type through real ops,
 *    written, parsed (fields compared), and run.
 */
#include "test_plan_util.h"

/* --- a tiny independent encoder --------------------------------------------- */

struct rec_tensor {
	uint32_t name, dtype, rank, kind, layout, reserved;
	int64_t dims[8];
	uint64_t offset, size;
};

struct rec_node {
	uint32_t op_type, name, opset, n_inputs, inputs_first, n_outputs, outputs_first, n_attrs,
		attrs_first, reserved;
};

struct rec_attr {
	uint32_t name, type, count, reserved;
	uint64_t value;
};

struct model {
	uint32_t version, header_size, flags;
	uint32_t n_inputs, n_outputs, inputs_first, outputs_first;
	uint64_t arena_size, workspace_size;
	char strings[256];
	uint32_t strings_len;
	struct rec_tensor tensors[8];
	uint32_t n_tensors;
	struct rec_node nodes[4];
	uint32_t n_nodes;
	struct rec_attr attrs[8];
	uint32_t n_attrs;
	uint32_t indices[16];
	uint32_t n_indices;
	uint8_t values[64];
	uint32_t values_len;
	uint8_t weights[128];
	uint32_t weights_len;
	/* applied after encoding: header byte pokes */
	int64_t total_delta;
};

static uint32_t add_str(struct model *m, const char *s, size_t n)
{
	uint32_t at = m->strings_len;

	memcpy(m->strings + at, s, n);
	m->strings[at + n] = '\0';
	m->strings_len += (uint32_t)n + 1;
	return at;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the test host is little-endian, like the engine's */
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static size_t up8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

/* Encodes m into a fresh 64-aligned buffer of exactly *len bytes. */
static uint8_t *encode(const struct model *m, size_t *len)
{
	uint8_t tmp[4096];
	size_t off[7], size[7], pos = 192;
	uint8_t *out = NULL;

	memset(tmp, 0, sizeof(tmp));
	size[0] = m->strings_len;
	size[1] = (size_t)m->n_tensors * 104;
	size[2] = (size_t)m->n_nodes * 40;
	size[3] = (size_t)m->n_attrs * 24;
	size[4] = (size_t)m->n_indices * 4;
	size[5] = m->values_len;
	size[6] = m->weights_len;
	for (int s = 0; s < 7; s++) {
		pos = s == 6 ? (pos + 63) & ~(size_t)63 : up8(pos);
		off[s] = pos;
		pos += size[s];
	}
	CHECK(pos <= sizeof(tmp));
	memcpy(tmp, "CDLPLAN", 8);
	put32(tmp + 8, m->version);
	put32(tmp + 12, m->header_size);
	put32(tmp + 16, m->flags);
	put32(tmp + 20, m->n_tensors);
	put32(tmp + 24, m->n_nodes);
	put32(tmp + 28, m->n_attrs);
	put32(tmp + 32, m->n_inputs);
	put32(tmp + 36, m->n_outputs);
	put32(tmp + 40, m->inputs_first);
	put32(tmp + 44, m->outputs_first);
	put64(tmp + 48, (uint64_t)((int64_t)pos + m->total_delta));
	put64(tmp + 56, m->arena_size);
	put64(tmp + 64, m->workspace_size);
	for (int s = 0; s < 7; s++) {
		put64(tmp + 72 + 16 * s, off[s]);
		put64(tmp + 80 + 16 * s, size[s]);
	}
	memcpy(tmp + off[0], m->strings, size[0]);
	for (uint32_t i = 0; i < m->n_tensors; i++) {
		const struct rec_tensor *t = &m->tensors[i];
		uint8_t *r = tmp + off[1] + 104 * i;

		put32(r, t->name);
		put32(r + 4, t->dtype);
		put32(r + 8, t->rank);
		put32(r + 12, t->kind);
		put32(r + 16, t->layout);
		put32(r + 20, t->reserved);
		for (int d = 0; d < 8; d++)
			put64(r + 24 + 8 * d, (uint64_t)t->dims[d]);
		put64(r + 88, t->offset);
		put64(r + 96, t->size);
	}
	for (uint32_t i = 0; i < m->n_nodes; i++) {
		const uint32_t *f = &m->nodes[i].op_type;

		for (int k = 0; k < 10; k++)
			put32(tmp + off[2] + 40 * i + 4 * k, f[k]);
	}
	for (uint32_t i = 0; i < m->n_attrs; i++) {
		const struct rec_attr *a = &m->attrs[i];
		uint8_t *r = tmp + off[3] + 24 * i;

		put32(r, a->name);
		put32(r + 4, a->type);
		put32(r + 8, a->count);
		put32(r + 12, a->reserved);
		put64(r + 16, a->value);
	}
	for (uint32_t i = 0; i < m->n_indices; i++)
		put32(tmp + off[4] + 4 * i, m->indices[i]);
	memcpy(tmp + off[5], m->values, size[5]);
	memcpy(tmp + off[6], m->weights, size[6]);
	*len = pos;
	out = tp_copy(tmp, pos);
	return out;
}

enum { T_X, T_Y, T_Z, T_C, T_T, T_U, N_T };

static void set_tensor(struct model *m, uint32_t i, uint32_t name, uint32_t dtype, uint32_t rank,
		       const int64_t *dims, uint32_t kind, uint64_t offset, uint64_t size)
{
	struct rec_tensor *t = &m->tensors[i];

	memset(t, 0, sizeof(*t));
	t->name = name;
	t->dtype = dtype;
	t->rank = rank;
	for (uint32_t d = 0; d < rank; d++)
		t->dims[d] = dims[d];
	t->kind = kind;
	t->offset = offset;
	t->size = size;
}

/*
 * x [2,3] --Relu n0 (6 attributes of every type)--> y --Add n1 (+ c [3])--> z
 * Tensor t is the value of n0's tensor attribute; u is an unused activation.
 */
static void base_model(struct model *m)
{
	const int64_t d23[2] = { 2, 3 }, d3[1] = { 3 }, d2[1] = { 2 };
	const float c[3] = { 1.0f, 2.0f, 3.0f };
	const int64_t tv[2] = { 7, -8 };
	const float fl[2] = { 1.5f, -2.0f };
	const int64_t iv[3] = { 1, -2, 3 };
	float half = 0.5f;
	uint32_t bits = 0;

	memset(m, 0, sizeof(*m));
	m->version = 1;
	m->header_size = 192;
	m->strings_len = 1; /* "" at 0 */
	set_tensor(m, T_X, add_str(m, "x", 1), 1, 2, d23, 0, 0, 24);
	set_tensor(m, T_Y, add_str(m, "y", 1), 1, 2, d23, 0, 64, 24);
	set_tensor(m, T_Z, add_str(m, "z", 1), 1, 2, d23, 0, 128, 24);
	set_tensor(m, T_C, add_str(m, "c", 1), 1, 1, d3, 1, 0, 12);
	set_tensor(m, T_T, add_str(m, "n0.t", 4), 7, 1, d2, 1, 64, 16);
	set_tensor(m, T_U, add_str(m, "u", 1), 6, 0, NULL, 0, 0, 4);
	m->n_tensors = N_T;
	m->arena_size = 192;
	m->workspace_size = 0;

	/* indices: graph in [x], graph out [z], n0 [x] -> [y], n1 [y, c] -> [z] */
	{
		const uint32_t idx[7] = { T_X, T_Z, T_X, T_Y, T_Y, T_C, T_Z };

		memcpy(m->indices, idx, sizeof(idx));
		m->n_indices = 7;
	}
	m->n_inputs = 1;
	m->inputs_first = 0;
	m->n_outputs = 1;
	m->outputs_first = 1;

	memcpy(&bits, &half, 4);
	m->attrs[0] = (struct rec_attr){ add_str(m, "alpha", 5), CDL_ATTR_FLOAT, 0, 0, bits };
	m->attrs[1] = (struct rec_attr){ add_str(m, "k", 1), CDL_ATTR_INT, 0, 0, (uint64_t)-7 };
	m->attrs[2] = (struct rec_attr){ add_str(m, "s", 1), CDL_ATTR_STRING, 6, 0,
					 add_str(m, "wor\0ld", 6) };
	m->attrs[3] = (struct rec_attr){ add_str(m, "t", 1), CDL_ATTR_TENSOR, 0, 0, T_T };
	m->attrs[4] = (struct rec_attr){ add_str(m, "fl", 2), CDL_ATTR_FLOATS, 2, 0, 0 };
	m->attrs[5] = (struct rec_attr){ add_str(m, "in", 2), CDL_ATTR_INTS, 3, 0, 8 };
	m->n_attrs = 6;
	memcpy(m->values, fl, sizeof(fl));
	memcpy(m->values + 8, iv, sizeof(iv));
	m->values_len = 32;

	m->nodes[0] = (struct rec_node){ add_str(m, "Relu", 4), add_str(m, "n0", 2), 13, 1, 2, 1, 3,
					 6, 0, 0 };
	m->nodes[1] = (struct rec_node){ add_str(m, "Add", 3), 0, 13, 2, 4, 1, 6, 0, 0, 0 };
	m->n_nodes = 2;

	memcpy(m->weights, c, sizeof(c));
	memcpy(m->weights + 64, tv, sizeof(tv));
	m->weights_len = 80;
}

static cdl_status parse_model(const struct model *m, size_t extra_len, char *msg,
			      size_t msg_size)
{
	static uint8_t arena_mem[16384];
	cdl_arena a;
	const cdl_plan *p = NULL;
	size_t len = 0;
	uint8_t *buf = encode(m, &len);
	uint8_t *big = NULL;
	cdl_status st;

	if (extra_len) {
		big = tp_alloc(len + extra_len);
		memcpy(big, buf, len);
		memset(big + len, 0xa5, extra_len);
		free(buf);
		buf = big;
		len += extra_len;
	}
	cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
	a.used = 8; /* something already there */
	st = cdl_plan_parse(buf, len, &a, &p, msg, msg_size);
	CHECK(st ? (p == NULL && a.used == 8) : (p != NULL && a.used > 8));
	CHECK(st == CDL_OK || msg[0]);
	free(buf);
	return st;
}

static void test_reader_fields(void)
{
	struct model m;
	static uint8_t arena_mem[16384];
	cdl_arena a;
	const cdl_plan *p = NULL;
	size_t len = 0;
	uint8_t *buf = NULL;
	char msg[256] = "";
	const cdl_node *n0 = NULL, *n1 = NULL;

	base_model(&m);
	buf = encode(&m, &len);
	cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
	CHECK_OK(cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg)), msg);
	CHECK(p->version == 1 && p->n_tensors == N_T && p->n_nodes == 2 && p->n_inputs == 1 &&
	      p->n_outputs == 1 && p->arena_size == 192 && p->workspace_size == 0);
	CHECK(p->inputs[0] == T_X && p->outputs[0] == T_Z);
	CHECK(p->weights_size == 80 && (uintptr_t)p->weights % 64 == 0);
	CHECK(p->weights >= buf && p->weights + p->weights_size <= buf + len);
	CHECK(!strcmp(p->tensors[T_X].name, "x") && !strcmp(p->tensors[T_T].name, "n0.t"));
	CHECK(p->tensors[T_X].desc.dtype == CDL_DTYPE_F32 && p->tensors[T_X].desc.rank == 2 &&
	      p->tensors[T_X].desc.dims[0] == 2 && p->tensors[T_X].desc.dims[1] == 3 &&
	      p->tensors[T_X].desc.data == NULL);
	CHECK(p->tensors[T_Y].kind == CDL_PLAN_ACTIVATION && p->tensors[T_Y].offset == 64 &&
	      p->tensors[T_Y].size == 24 && p->tensors[T_Y].layout == CDL_PLAN_LAYOUT_PLAIN);
	CHECK(p->tensors[T_C].kind == CDL_PLAN_CONSTANT && p->tensors[T_C].size == 12);
	CHECK(((const float *)(p->weights + p->tensors[T_C].offset))[2] == 3.0f);
	CHECK(p->tensors[T_U].desc.rank == 0 && p->tensors[T_U].desc.dtype == CDL_DTYPE_I32);

	n0 = &p->nodes[0];
	n1 = &p->nodes[1];
	CHECK(!strcmp(n0->op_type, "Relu") && !strcmp(n0->name, "n0") && n0->opset == 13);
	CHECK(n0->n_inputs == 1 && n0->inputs[0] == T_X && n0->n_outputs == 1 &&
	      n0->outputs[0] == T_Y);
	CHECK(!strcmp(n1->op_type, "Add") && !strcmp(n1->name, "") && n1->n_attrs == 0);
	CHECK(n1->n_inputs == 2 && n1->inputs[0] == T_Y && n1->inputs[1] == T_C &&
	      n1->outputs[0] == T_Z);
	CHECK(n0->n_attrs == 6);
	CHECK(cdl_attr_float(n0, "alpha", 0) == 0.5f);
	CHECK(cdl_attr_int(n0, "k", 0) == -7);
	{
		const cdl_attr *s = cdl_attr_find(n0, "s");

		CHECK(s && s->type == CDL_ATTR_STRING && s->count == 6 &&
		      memcmp(s->v.s, "wor\0ld", 7) == 0);
	}
	{
		const cdl_attr *t = cdl_attr_find(n0, "t");

		CHECK(t && t->type == CDL_ATTR_TENSOR && t->v.t->dtype == CDL_DTYPE_I64 &&
		      t->v.t->rank == 1 && t->v.t->dims[0] == 2);
		CHECK(((const int64_t *)t->v.t->data)[1] == -8);
	}
	{
		uint32_t cnt = 0;
		const float *f = cdl_attr_floats(n0, "fl", &cnt);
		const int64_t *iv = cdl_attr_ints(n0, "in", &cnt);

		CHECK(iv && cnt == 3 && iv[0] == 1 && iv[1] == -2 && iv[2] == 3);
		f = cdl_attr_floats(n0, "fl", &cnt);
		CHECK(f && cnt == 2 && f[0] == 1.5f && f[1] == -2.0f);
	}
	/* the copies live in the arena, not in the buffer */
	CHECK((const uint8_t *)n0->op_type >= a.base && (const uint8_t *)n0->op_type < a.base + a.used);
	CHECK((const uint8_t *)p->tensors >= a.base && (const uint8_t *)p->tensors < a.base + a.used);

	/* exactly-sized arenas: parse needs no more than it said */
	{
		size_t used = a.used;
		cdl_arena small;

		cdl_arena_init(&small, arena_mem, used - 1 - 64);
		CHECK_ST(cdl_plan_parse(buf, len, &small, &p, msg, sizeof(msg)),
			 CDL_ERR_OUT_OF_MEMORY, msg);
		CHECK(strstr(msg, "needs") && small.used == 0 && p == NULL);
	}
	/* misaligned buffer */
	{
		uint8_t *mis = tp_alloc(len + 64);

		memcpy(mis + 8, buf, len);
		CHECK_ST(cdl_plan_parse(mis + 8, len, &a, &p, msg, sizeof(msg)),
			 CDL_ERR_INVALID_ARGUMENT, msg);
		free(mis);
	}
	CHECK_ST(cdl_plan_parse(NULL, len, &a, &p, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT,
		 msg);
	CHECK_ST(cdl_plan_parse(buf, len, NULL, &p, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT,
		 msg);
	CHECK_ST(cdl_plan_parse(buf, len, &a, NULL, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT,
		 msg);
	/* short of the header, and short of total_size */
	CHECK_ST(cdl_plan_parse(buf, 191, &a, &p, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK_ST(cdl_plan_parse(buf, len - 1, &a, &p, msg, sizeof(msg)), CDL_ERR_MALFORMED, msg);
	CHECK(strstr(msg, "total_size"));
	/* no msg buffer is fine */
	CHECK_ST(cdl_plan_parse(buf, 10, &a, &p, NULL, 0), CDL_ERR_MALFORMED, "");
	free(buf);

	/* trailing bytes after total_size (package padding) are ignored */
	CHECK_OK(parse_model(&m, 100, msg, sizeof(msg)), msg);
}

struct mutation {
	const char *what;
	void (*apply)(struct model *m);
	cdl_status want;
	const char *msg_has; /* a word the message must contain, or NULL */
};

#define MUT(name, body)                                                                    \
	static void name(struct model *m)                                                  \
	{                                                                                  \
		body;                                                                      \
	}

MUT(m_version2, m->version = 2)
MUT(m_version0, m->version = 0)
MUT(m_header_size, m->header_size = 200)
MUT(m_flags, m->flags = 1)
MUT(m_total_big, m->total_delta = 1)
MUT(m_total_small, m->total_delta = -1)
MUT(m_total_tiny, m->total_delta = -100000)
MUT(m_strings_end, m->strings[m->strings_len - 1] = 'x')
MUT(m_strings_start, m->strings[0] = 'x')
MUT(m_name_oob, m->tensors[T_X].name = m->strings_len)
MUT(m_dtype_i16, m->tensors[T_X].dtype = 5)
MUT(m_dtype_big, m->tensors[T_X].dtype = 0x101)
MUT(m_dtype_0, m->tensors[T_U].dtype = 0)
MUT(m_rank9, m->tensors[T_U].rank = 9)
MUT(m_dim_neg, m->tensors[T_X].dims[1] = -3)
MUT(m_dim_past_rank, m->tensors[T_X].dims[5] = 1)
MUT(m_size, m->tensors[T_X].size = 28)
MUT(m_kind, m->tensors[T_X].kind = 2)
MUT(m_reserved_t, m->tensors[T_X].reserved = 1)
MUT(m_layout_const, m->tensors[T_C].layout = 1)
MUT(m_layout_act, m->tensors[T_X].layout = 1)
MUT(m_act_misaligned, m->tensors[T_Y].offset = 72)
MUT(m_act_outside, m->tensors[T_Z].offset = 192)
MUT(m_act_huge, m->tensors[T_Z].offset = UINT64_MAX - 63)
MUT(m_const_outside, m->tensors[T_T].offset = 128)
MUT(m_const_misaligned, m->tensors[T_T].offset = 8)
MUT(m_overflow_dims, {
	m->tensors[T_U].rank = 2;
	m->tensors[T_U].dims[0] = (int64_t)1 << 40;
	m->tensors[T_U].dims[1] = (int64_t)1 << 40;
})
MUT(m_numel_too_big, {
	m->tensors[T_U].rank = 1;
	m->tensors[T_U].dims[0] = (int64_t)1 << 39;
	m->tensors[T_U].size = (uint64_t)1 << 41;
})
MUT(m_arena_huge, m->arena_size = UINT64_MAX)
MUT(m_ws_huge, m->workspace_size = (uint64_t)1 << 62)
MUT(m_op_empty, m->nodes[0].op_type = 0)
MUT(m_op_oob, m->nodes[0].op_type = 100000)
MUT(m_node_name_oob, m->nodes[1].name = m->strings_len)
MUT(m_node_reserved, m->nodes[1].reserved = 1)
MUT(m_inputs_range, m->nodes[1].inputs_first = 6)
MUT(m_inputs_overflow, {
	m->nodes[1].inputs_first = 2;
	m->nodes[1].n_inputs = UINT32_MAX;
})
MUT(m_outputs_range, m->nodes[1].outputs_first = 7)
MUT(m_attrs_range, m->nodes[0].attrs_first = 1)
MUT(m_attrs_overflow, m->nodes[0].attrs_first = UINT32_MAX)
MUT(m_input_index, m->indices[2] = N_T)
MUT(m_input_absent_ok, m->indices[5] = CDL_NO_TENSOR) /* parse accepts; infer decides */
MUT(m_output_absent, m->indices[3] = CDL_NO_TENSOR)
MUT(m_output_const, m->indices[6] = T_C)
MUT(m_read_before, m->indices[2] = T_Z)
MUT(m_read_never, m->indices[5] = T_U)
MUT(m_written_twice, m->indices[6] = T_Y)
MUT(m_writes_input, m->indices[3] = T_X)
MUT(m_graph_in_const, m->indices[0] = T_C)
MUT(m_graph_in_twice, {
	m->n_inputs = 2;
	m->inputs_first = 2; /* [x, y]: y is computed by n0 */
})
MUT(m_graph_in_absent, m->indices[0] = CDL_NO_TENSOR)
MUT(m_graph_out_never, m->indices[1] = T_U)
MUT(m_graph_out_oob, m->indices[1] = N_T)
MUT(m_graph_out_const_ok, m->indices[1] = T_C)
MUT(m_graph_range, m->outputs_first = 7)
MUT(m_graph_range_overflow, {
	m->inputs_first = 1;
	m->n_inputs = UINT32_MAX;
})
MUT(m_attr_type, m->attrs[1].type = 5)
MUT(m_attr_name_empty, m->attrs[1].name = 0)
MUT(m_attr_reserved, m->attrs[1].reserved = 9)
MUT(m_float_high_bits, m->attrs[0].value |= (uint64_t)1 << 40)
MUT(m_float_count, m->attrs[0].count = 1)
MUT(m_string_no_nul, m->attrs[2].count = 5)
MUT(m_string_count_oob, m->attrs[2].count = 1000)
MUT(m_string_count_max, m->attrs[2].count = UINT32_MAX)
MUT(m_string_offset_oob, m->attrs[2].value = 1000)
MUT(m_tensor_attr_act, m->attrs[3].value = T_X)
MUT(m_tensor_attr_oob, m->attrs[3].value = N_T)
MUT(m_tensor_attr_huge, m->attrs[3].value = (uint64_t)1 << 32)
MUT(m_floats_misaligned, m->attrs[4].value = 2)
MUT(m_floats_oob, m->attrs[4].count = 9)
MUT(m_ints_misaligned, m->attrs[5].value = 4)
MUT(m_ints_oob, m->attrs[5].count = 4)
MUT(m_ints_count_max, m->attrs[5].count = UINT32_MAX)
MUT(m_ints_offset_oob, m->attrs[5].value = (uint64_t)1 << 61)

static const struct mutation mutations[] = {
	{ "version 2", m_version2, CDL_ERR_UNSUPPORTED, "version 2" },
	{ "version 0", m_version0, CDL_ERR_MALFORMED, NULL },
	{ "header_size", m_header_size, CDL_ERR_MALFORMED, "header_size" },
	{ "flags", m_flags, CDL_ERR_UNSUPPORTED, "flags" },
	{ "total_size > len", m_total_big, CDL_ERR_MALFORMED, "total_size" },
	{ "total_size cuts weights", m_total_small, CDL_ERR_MALFORMED, "weights" },
	{ "total_size negative", m_total_tiny, CDL_ERR_MALFORMED, "total_size" },
	{ "strings end", m_strings_end, CDL_ERR_MALFORMED, "NUL" },
	{ "strings start", m_strings_start, CDL_ERR_MALFORMED, "NUL" },
	{ "tensor name", m_name_oob, CDL_ERR_MALFORMED, "name" },
	{ "dtype int16", m_dtype_i16, CDL_ERR_MALFORMED, "dtype" },
	{ "dtype > 255", m_dtype_big, CDL_ERR_MALFORMED, "dtype" },
	{ "dtype 0", m_dtype_0, CDL_ERR_MALFORMED, "dtype" },
	{ "rank 9", m_rank9, CDL_ERR_MALFORMED, "rank" },
	{ "negative dim", m_dim_neg, CDL_ERR_MALFORMED, "dim" },
	{ "dim past rank", m_dim_past_rank, CDL_ERR_MALFORMED, "dim" },
	{ "size != nbytes", m_size, CDL_ERR_MALFORMED, "size" },
	{ "kind", m_kind, CDL_ERR_MALFORMED, "kind" },
	{ "tensor reserved", m_reserved_t, CDL_ERR_MALFORMED, "reserved" },
	{ "packed layout", m_layout_const, CDL_ERR_UNSUPPORTED, "layout" },
	{ "activation layout", m_layout_act, CDL_ERR_MALFORMED, "layout" },
	{ "activation misaligned", m_act_misaligned, CDL_ERR_MALFORMED, "arena" },
	{ "activation outside arena", m_act_outside, CDL_ERR_MALFORMED, "arena" },
	{ "activation offset wraps", m_act_huge, CDL_ERR_MALFORMED, "arena" },
	{ "constant outside weights", m_const_outside, CDL_ERR_MALFORMED, "weights" },
	{ "constant misaligned", m_const_misaligned, CDL_ERR_MALFORMED, "weights" },
	{ "dims overflow", m_overflow_dims, CDL_ERR_MALFORMED, "overflow" },
	{ "tensor too large", m_numel_too_big, CDL_ERR_MALFORMED, NULL },
	{ "arena_size huge", m_arena_huge, CDL_ERR_MALFORMED, "arena_size" },
	{ "workspace huge", m_ws_huge, CDL_ERR_MALFORMED, "workspace" },
	{ "op_type empty", m_op_empty, CDL_ERR_MALFORMED, "op_type" },
	{ "op_type outside", m_op_oob, CDL_ERR_MALFORMED, "op_type" },
	{ "node name outside", m_node_name_oob, CDL_ERR_MALFORMED, "name" },
	{ "node reserved", m_node_reserved, CDL_ERR_MALFORMED, "reserved" },
	{ "node inputs range", m_inputs_range, CDL_ERR_MALFORMED, "range" },
	{ "node inputs overflow", m_inputs_overflow, CDL_ERR_MALFORMED, "range" },
	{ "node outputs range", m_outputs_range, CDL_ERR_MALFORMED, "range" },
	{ "node attrs range", m_attrs_range, CDL_ERR_MALFORMED, "range" },
	{ "node attrs overflow", m_attrs_overflow, CDL_ERR_MALFORMED, "range" },
	{ "input index", m_input_index, CDL_ERR_MALFORMED, "input" },
	{ "absent input", m_input_absent_ok, CDL_OK, NULL },
	{ "absent output", m_output_absent, CDL_ERR_MALFORMED, "output" },
	{ "writes a constant", m_output_const, CDL_ERR_MALFORMED, "constant" },
	{ "reads before computed", m_read_before, CDL_ERR_MALFORMED, "before" },
	{ "reads never computed", m_read_never, CDL_ERR_MALFORMED, "before" },
	{ "written twice", m_written_twice, CDL_ERR_MALFORMED, "computed before" },
	{ "writes a graph input", m_writes_input, CDL_ERR_MALFORMED, "graph input" },
	{ "graph input constant", m_graph_in_const, CDL_ERR_MALFORMED, "graph input" },
	{ "graph input computed", m_graph_in_twice, CDL_ERR_MALFORMED, NULL },
	{ "graph input absent", m_graph_in_absent, CDL_ERR_MALFORMED, "graph input" },
	{ "graph output never computed", m_graph_out_never, CDL_ERR_MALFORMED, "never" },
	{ "graph output index", m_graph_out_oob, CDL_ERR_MALFORMED, "graph output" },
	{ "graph output constant", m_graph_out_const_ok, CDL_OK, NULL },
	{ "graph outputs range", m_graph_range, CDL_ERR_MALFORMED, "outside" },
	{ "graph inputs overflow", m_graph_range_overflow, CDL_ERR_MALFORMED, "outside" },
	{ "attr type", m_attr_type, CDL_ERR_MALFORMED, "type" },
	{ "attr name", m_attr_name_empty, CDL_ERR_MALFORMED, "name" },
	{ "attr reserved", m_attr_reserved, CDL_ERR_MALFORMED, "reserved" },
	{ "float high bits", m_float_high_bits, CDL_ERR_MALFORMED, "alpha" },
	{ "float count", m_float_count, CDL_ERR_MALFORMED, "alpha" },
	{ "string without NUL", m_string_no_nul, CDL_ERR_MALFORMED, "s," },
	{ "string count", m_string_count_oob, CDL_ERR_MALFORMED, NULL },
	{ "string count max", m_string_count_max, CDL_ERR_MALFORMED, NULL },
	{ "string offset", m_string_offset_oob, CDL_ERR_MALFORMED, NULL },
	{ "tensor attr activation", m_tensor_attr_act, CDL_ERR_MALFORMED, "constant" },
	{ "tensor attr index", m_tensor_attr_oob, CDL_ERR_MALFORMED, NULL },
	{ "tensor attr index > 32 bits", m_tensor_attr_huge, CDL_ERR_MALFORMED, NULL },
	{ "floats misaligned", m_floats_misaligned, CDL_ERR_MALFORMED, "fl" },
	{ "floats outside", m_floats_oob, CDL_ERR_MALFORMED, "fl" },
	{ "ints misaligned", m_ints_misaligned, CDL_ERR_MALFORMED, "in" },
	{ "ints outside", m_ints_oob, CDL_ERR_MALFORMED, "in" },
	{ "ints count max", m_ints_count_max, CDL_ERR_MALFORMED, "in" },
	{ "ints offset huge", m_ints_offset_oob, CDL_ERR_MALFORMED, "in" },
};

static void test_reader_malformed(void)
{
	char msg[256];

	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		const struct mutation *mu = &mutations[i];
		struct model m;
		cdl_status st;

		base_model(&m);
		mu->apply(&m);
		msg[0] = '\0';
		st = parse_model(&m, 0, msg, sizeof(msg));
		if (st != mu->want || (mu->msg_has && !strstr(msg, mu->msg_has))) {
			fprintf(stderr, "mutation '%s': status %d (want %d), message '%s'\n",
				mu->what, (int)st, (int)mu->want, msg);
			exit(1);
		}
	}
	printf("reader: %zu targeted malformations rejected as documented\n",
	       sizeof(mutations) / sizeof(mutations[0]));

	/* header-level byte pokes the model cannot express */
	{
		struct model m;
		size_t len = 0;
		uint8_t *buf = NULL;
		static uint8_t arena_mem[16384];
		cdl_arena a;
		const cdl_plan *p = NULL;
		const size_t pokes[] = { 0, 7, 184, 191 };

		base_model(&m);
		buf = encode(&m, &len);
		for (size_t i = 0; i < sizeof(pokes) / sizeof(pokes[0]); i++) {
			buf[pokes[i]] ^= 0x40;
			cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
			CHECK_ST(cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg)),
				 CDL_ERR_MALFORMED, msg);
			buf[pokes[i]] ^= 0x40;
		}
		/* every section entry: offset into the header, misaligned, past the end */
		for (int s = 0; s < 7; s++) {
			uint64_t orig = 0, v = 0;

			memcpy(&orig, buf + 72 + 16 * s, 8);
			const uint64_t bad[3] = { 64, orig + 4, len + 64 };
			for (int k = 0; k < 3; k++) {
				v = bad[k];
				memcpy(buf + 72 + 16 * s, &v, 8);
				cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
				CHECK_ST(cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg)),
					 CDL_ERR_MALFORMED, msg);
			}
			memcpy(buf + 72 + 16 * s, &orig, 8);
			memcpy(&orig, buf + 80 + 16 * s, 8);
			v = UINT64_MAX;
			memcpy(buf + 80 + 16 * s, &v, 8);
			cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
			CHECK_ST(cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg)),
				 CDL_ERR_MALFORMED, msg);
			memcpy(buf + 80 + 16 * s, &orig, 8);
		}
		/* counts that disagree with the table sizes */
		for (int f = 20; f <= 28; f += 4) {
			uint32_t orig = 0, v = 0;

			memcpy(&orig, buf + f, 4);
			v = orig + 1;
			memcpy(buf + f, &v, 4);
			cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
			CHECK_ST(cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg)),
				 CDL_ERR_MALFORMED, msg);
			memcpy(buf + f, &orig, 4);
		}
		cdl_arena_init(&a, arena_mem, sizeof(arena_mem));
		CHECK_OK(cdl_plan_parse(buf, len, &a, &p, msg, sizeof(msg)), msg);
		free(buf);
	}
}

static void test_arena(void)
{
	static uint8_t mem[1024] __attribute__((aligned(64)));
	cdl_arena a;
	uint8_t *p = NULL, *q = NULL;

	cdl_arena_init(&a, mem, sizeof(mem));
	p = cdl_arena_alloc(&a, 3, 1);
	CHECK(p == mem && a.used == 3);
	q = cdl_arena_alloc(&a, 10, 64);
	CHECK(q == mem + 64 && a.used == 74);
	CHECK(cdl_arena_alloc(&a, 0, 8) == mem + 80 && a.used == 80);
	CHECK(cdl_arena_alloc(&a, 1024, 1) == NULL && a.used == 80);
	CHECK(cdl_arena_alloc(&a, SIZE_MAX, 1) == NULL && a.used == 80);
	CHECK(cdl_arena_alloc(&a, 8, 3) == NULL && cdl_arena_alloc(&a, 8, 0) == NULL);
	CHECK(cdl_arena_alloc(&a, 1024 - 80, 1) == mem + 80 && a.used == 1024);
	CHECK(cdl_arena_alloc(&a, 1, 1) == NULL);
	CHECK(cdl_arena_alloc(&a, 0, 1) != NULL);
	cdl_arena_init(&a, NULL, 100);
	CHECK(cdl_arena_alloc(&a, 1, 1) == NULL);
	CHECK(cdl_arena_alloc(NULL, 1, 1) == NULL);
}

/* --- the writer: every attribute type, through real ops ------------------------ */

static void test_writer(void)
{
	const int64_t d3[1] = { 3 };
	const float kv[3] = { -1.0f, 0.5f, 2.0f };
	const float fl[3] = { 2.0f, -3.0f, 0.25f };
	const int64_t iv[2] = { 11, -12 };
	cdl_tensor kt;
	cdl_attr a_tensor = { .name = "value", .type = CDL_ATTR_TENSOR, .v.t = &kt };
	cdl_attr a_floats = { .name = "value_floats", .type = CDL_ATTR_FLOATS, .count = 3,
			      .v.floats = fl };
	cdl_attr a_ints = { .name = "value_ints", .type = CDL_ATTR_INTS, .count = 2, .v.ints = iv };
	cdl_attr a_float = { .name = "value_float", .type = CDL_ATTR_FLOAT, .v.f = 0.125f };
	cdl_attr a_act[2] = {
		{ .name = "cdl.act", .type = CDL_ATTR_STRING, .count = 9, .v.s = "LeakyRelu" },
		{ .name = "cdl.act_alpha", .type = CDL_ATTR_FLOAT, .v.f = 0.25f },
	};
	cdl_graph *g = NULL;
	uint32_t x, k1, k2, k3, k4, s, s2, s3, in[2];
	const char *names[1];
	uint8_t *buf = NULL;
	size_t len = 0;
	tp_loaded l;
	char msg[512] = "";
	float xv[3] = { 1.0f, -4.0f, 0.5f }, o0[3];
	int64_t o1[2];
	cdl_tensor ti, to[2];

	if (!cdl_op_find("Constant") || !cdl_op_find("Add") || !cdl_op_find("Mul")) {
		printf("Constant/Add/Mul not implemented yet: writer case skipped\n");
		return;
	}
	memset(&kt, 0, sizeof(kt));
	kt.dtype = CDL_DTYPE_F32;
	kt.rank = 1;
	kt.dims[0] = 3;
	kt.data = (void *)kv;

	g = cdl_graph_new();
	CHECK(g);
	x = tp_input(g, "x", CDL_DTYPE_F32, 1, d3);
	names[0] = "k1";
	tp_node(g, "Constant", "k1", NULL, 0, &k1, names, 1, &a_tensor, 1);
	names[0] = "k2";
	tp_node(g, "Constant", "k2", NULL, 0, &k2, names, 1, &a_floats, 1);
	names[0] = "k3";
	tp_node(g, "Constant", "k3", NULL, 0, &k3, names, 1, &a_ints, 1);
	names[0] = "k4";
	tp_node(g, "Constant", "k4", NULL, 0, &k4, names, 1, &a_float, 1);
	in[0] = x;
	in[1] = k1;
	names[0] = "s";
	tp_node(g, "Add", "s", in, 2, &s, names, 1, a_act, 2);
	s2 = tp_binary(g, "Mul", "s2", s, k2);
	s3 = tp_binary(g, "Add", "s3", s2, k4);
	tp_output(g, s3);
	tp_output(g, k3);
	buf = tp_compile(g, &len);
	CHECK_OK(tp_load(buf, len, 0, &l, msg, sizeof(msg)), msg);

	/* the parsed plan reads back what the graph held */
	{
		const cdl_plan *p = l.plan;
		const cdl_node *n = NULL;
		uint32_t cnt = 0;

		CHECK(p->n_nodes == 7 && p->n_inputs == 1 && p->n_outputs == 2);
		CHECK(!strcmp(p->tensors[p->inputs[0]].name, "x"));
		CHECK(!strcmp(p->tensors[p->outputs[0]].name, "s3"));
		CHECK(!strcmp(p->tensors[p->outputs[1]].name, "k3"));
		n = &p->nodes[0];
		CHECK(!strcmp(n->op_type, "Constant") && !strcmp(n->name, "k1") && n->opset == 13);
		CHECK(n->attrs[0].type == CDL_ATTR_TENSOR &&
		      memcmp(n->attrs[0].v.t->data, kv, sizeof(kv)) == 0 &&
		      n->attrs[0].v.t->dims[0] == 3);
		CHECK((uintptr_t)n->attrs[0].v.t->data % CDL_PLAN_ALIGN == 0);
		CHECK(!memcmp(cdl_attr_floats(&p->nodes[1], "value_floats", &cnt), fl, sizeof(fl)) &&
		      cnt == 3);
		CHECK(!memcmp(cdl_attr_ints(&p->nodes[2], "value_ints", &cnt), iv, sizeof(iv)) &&
		      cnt == 2);
		CHECK(cdl_attr_float(&p->nodes[3], "value_float", 0) == 0.125f);
		CHECK(!strcmp(cdl_attr_string(&p->nodes[4], "cdl.act", ""), "LeakyRelu") &&
		      cdl_attr_find(&p->nodes[4], "cdl.act")->count == 9);
		CHECK(cdl_attr_float(&p->nodes[4], "cdl.act_alpha", 0) == 0.25f);
		/* the tensor attribute's constant is named after node and attribute */
		CHECK(!strcmp(p->tensors[0].name, "x"));
		{
			int found = 0;

			for (uint32_t i = 0; i < p->n_tensors; i++)
				if (!strcmp(p->tensors[i].name, "k1.value") &&
				    p->tensors[i].kind == CDL_PLAN_CONSTANT)
					found = 1;
			CHECK(found);
		}
	}

	memset(&ti, 0, sizeof(ti));
	ti.dtype = CDL_DTYPE_F32;
	ti.rank = 1;
	ti.dims[0] = 3;
	ti.data = xv;
	memset(to, 0, sizeof(to));
	to[0].data = o0;
	to[1].data = o1;
	CHECK_OK(cdl_engine_run(l.engine, &ti, 1, to, 2, msg, sizeof(msg)), msg);
	for (int i = 0; i < 3; i++) {
		float sv = xv[i] + kv[i];

		sv = sv > 0 ? sv : 0.25f * sv;
		CHECK(fabsf(o0[i] - (sv * fl[i] + 0.125f)) <= 1e-6f);
	}
	CHECK(to[1].dtype == CDL_DTYPE_I64 && o1[0] == 11 && o1[1] == -12);
	tp_unload(&l);
	free(buf);

	/* refusals: an unplanned graph; an op the engine lacks */
	g->tensors[s].arena_offset = -1;
	CHECK_ST(cdl_plan_write(g, &buf, &len, msg, sizeof(msg)), CDL_ERR_INTERNAL, msg);
	CHECK(strstr(msg, "arena") && buf == NULL);
	{
		char *op = (char *)g->nodes[g->n_nodes - 1].n.op_type;

		CHECK_OK(cdl_plan_memory(g, msg, sizeof(msg)), msg);
		op[0] = 'Q';
		CHECK_ST(cdl_plan_write(g, &buf, &len, msg, sizeof(msg)), CDL_ERR_UNSUPPORTED, msg);
		CHECK(strstr(msg, "Qdd"));
		op[0] = 'A';
	}
	CHECK_ST(cdl_plan_write(NULL, &buf, &len, msg, sizeof(msg)), CDL_ERR_INVALID_ARGUMENT, msg);
	cdl_graph_free(g);
}

int main(void)
{
	test_arena();
	test_reader_fields();
	test_reader_malformed();
	test_writer();
	printf("plan format: ok\n");
	return 0;
}
