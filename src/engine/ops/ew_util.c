// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "ew_util.h"

cdl_status cdl_ew_check_io(cdl_op_ctx *ctx, uint32_t min_in, uint32_t max_in, uint32_t max_out)
{
	if (ctx->n_inputs < min_in || ctx->n_inputs > max_in) {
		if (min_in == max_in)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to accept %u inputs: expects %u", ctx->n_inputs,
					   min_in);
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to accept %u inputs: expects %u to %u", ctx->n_inputs,
				   min_in, max_in);
	}
	for (uint32_t i = 0; i < min_in; i++)
		if (!ctx->inputs[i])
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to find input %u: it is required", i);
	if (ctx->n_outputs < 1 || !ctx->outputs[0])
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to find output 0: it is required");
	if (ctx->n_outputs > max_out)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED,
				   "failed to produce %u outputs: only %u supported",
				   ctx->n_outputs, max_out);
	return CDL_OK;
}

static bool is_act_attr(const char *name)
{
	return cdl_attr_streq(name, "cdl.act") || cdl_attr_streq(name, "cdl.act_alpha") ||
	       cdl_attr_streq(name, "cdl.act_beta");
}

static const char *attr_type_name(uint32_t type)
{
	switch (type) {
	case CDL_ATTR_FLOAT:
		return "float";
	case CDL_ATTR_INT:
		return "int";
	case CDL_ATTR_STRING:
		return "string";
	case CDL_ATTR_TENSOR:
		return "tensor";
	case CDL_ATTR_FLOATS:
		return "floats";
	case CDL_ATTR_INTS:
		return "ints";
	default:
		return "unknown";
	}
}

cdl_status cdl_ew_check_attrs(cdl_op_ctx *ctx, const cdl_ew_attr_spec *known, size_t n_known,
			      bool fused_act, cdl_act *act)
{
	const cdl_node *node = ctx->node;

	for (uint32_t i = 0; i < node->n_attrs; i++) {
		const cdl_attr *a = &node->attrs[i];
		size_t k;

		if (fused_act && is_act_attr(a->name)) {
			uint32_t want =
			    cdl_attr_streq(a->name, "cdl.act") ? CDL_ATTR_STRING : CDL_ATTR_FLOAT;

			if (a->type != want)
				return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
						   "failed to read attribute %s: expects %s",
						   a->name, attr_type_name(want));
			continue;
		}
		for (k = 0; k < n_known; k++)
			if (cdl_attr_streq(a->name, known[k].name))
				break;
		if (k == n_known)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "attribute %s (opset %u)",
					   a->name ? a->name : "(null)", node->opset);
		if (a->type != known[k].type)
			return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
					   "failed to read attribute %s: expects %s, got %s",
					   a->name, attr_type_name(known[k].type),
					   attr_type_name(a->type));
	}
	if (fused_act) {
		cdl_act tmp;

		if (!act)
			act = &tmp;
		if (cdl_act_from_node(node, act) != CDL_OK)
			return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "fused activation cdl.act=%s",
					   cdl_attr_string(node, "cdl.act", "?"));
	}
	return CDL_OK;
}

cdl_status cdl_ew_need_dtype(cdl_op_ctx *ctx, const cdl_tensor *t, int dtype, const char *what)
{
	if (t->dtype == dtype)
		return CDL_OK;
	return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "%s dtype %s (expects %s)", what,
			   cdl_dtype_name(t->dtype), cdl_dtype_name(dtype));
}

cdl_status cdl_ew_set_out(cdl_op_ctx *ctx, uint32_t i, int dtype, uint32_t rank,
			  const int64_t *dims)
{
	cdl_tensor *out = cdl_ew_out(ctx, i);
	size_t nbytes = 0;

	if (!out)
		return CDL_OK;
	if (rank > CDL_MAX_RANK)
		return cdl_op_fail(ctx, CDL_ERR_UNSUPPORTED, "output rank %u (max %d)", rank,
				   CDL_MAX_RANK);
	out->dtype = (uint8_t)dtype;
	out->rank = (uint8_t)rank;
	for (uint32_t d = 0; d < rank; d++)
		out->dims[d] = dims[d];
	if (!cdl_tensor_nbytes(out, &nbytes))
		return cdl_op_fail(ctx, CDL_ERR_INVALID_ARGUMENT,
				   "failed to size output %u: too large or negative dim", i);
	return CDL_OK;
}

size_t cdl_ew_numel(const cdl_tensor *t)
{
	size_t n = 0;

	if (!cdl_tensor_numel(t, &n))
		return 0;
	return n;
}

bool cdl_ew_iter_init(cdl_ew_iter *it, const cdl_tensor *full, const cdl_tensor *const *others,
		      uint32_t n_others)
{
	bool bc[CDL_MAX_RANK][CDL_EW_MAX_OPERANDS];
	uint32_t n_ops = n_others + 1;
	uint32_t r = 0;

	if (n_ops > CDL_EW_MAX_OPERANDS || full->rank > CDL_MAX_RANK)
		return false;
	memset(it, 0, sizeof(*it));
	it->n_ops = n_ops;
	it->numel = 1;
	for (uint32_t k = 0; k < n_others; k++)
		if (others[k]->rank > full->rank)
			return false;

	for (uint32_t i = 0; i < full->rank; i++) {
		int64_t d = full->dims[i];
		bool flags[CDL_EW_MAX_OPERANDS] = {false};
		bool same = r > 0;

		if (d < 0)
			return false;
		for (uint32_t k = 0; k < n_others; k++) {
			const cdl_tensor *t = others[k];
			uint32_t lead = full->rank - t->rank;
			int64_t dk = i >= lead ? t->dims[i - lead] : 1;

			if (dk != d && dk != 1)
				return false;
			flags[k + 1] = dk != d;
		}
		if (d == 1)
			continue;
		if (!cdl_mul_size(it->numel, (size_t)d, &it->numel))
			return false;
		for (uint32_t k = 1; k < n_ops && same; k++)
			same = bc[r - 1][k] == flags[k];
		if (same) {
			it->dims[r - 1] *= (size_t)d;
		} else {
			it->dims[r] = (size_t)d;
			memcpy(bc[r], flags, sizeof(flags));
			r++;
		}
	}
	if (r == 0) {
		it->dims[0] = 1;
		memset(bc[0], 0, sizeof(bc[0]));
		r = 1;
	}
	it->rank = r;
	for (uint32_t k = 0; k < n_ops; k++) {
		size_t acc = 1;

		for (uint32_t i = r; i-- > 0;) {
			if (bc[i][k]) {
				it->strides[k][i] = 0;
			} else {
				it->strides[k][i] = acc;
				acc *= it->dims[i];
			}
		}
	}
	return true;
}

void cdl_ew_iter_run(const cdl_ew_iter *it, char *const *base, const size_t *esize,
		     cdl_ew_row_fn fn, const void *arg)
{
	size_t idx[CDL_MAX_RANK] = {0};
	size_t off[CDL_EW_MAX_OPERANDS] = {0};
	size_t s[CDL_EW_MAX_OPERANDS] = {0};
	char *p[CDL_EW_MAX_OPERANDS] = {NULL};
	uint32_t last = it->rank - 1;
	size_t inner = it->dims[last];
	size_t outer;

	if (it->numel == 0 || inner == 0)
		return;
	outer = it->numel / inner;
	for (uint32_t k = 0; k < it->n_ops; k++)
		s[k] = it->strides[k][last];

	for (size_t o = 0; o < outer; o++) {
		for (uint32_t k = 0; k < it->n_ops; k++)
			p[k] = base[k] + off[k] * esize[k];
		fn(p, s, inner, arg);
		for (uint32_t d = last; d-- > 0;) {
			for (uint32_t k = 0; k < it->n_ops; k++)
				off[k] += it->strides[k][d];
			if (++idx[d] < it->dims[d])
				break;
			for (uint32_t k = 0; k < it->n_ops; k++)
				off[k] -= it->strides[k][d] * it->dims[d];
			idx[d] = 0;
		}
	}
}

bool cdl_ew_split_axis(const cdl_tensor *t, uint32_t axis, bool coerce_2d, size_t *outer, size_t *n,
		       size_t *inner)
{
	size_t a = 1, b = 1, c = 1;

	for (uint32_t i = 0; i < t->rank; i++) {
		size_t d;

		if (t->dims[i] < 0)
			return false;
		d = (size_t)t->dims[i];
		if (i < axis) {
			if (!cdl_mul_size(a, d, &a))
				return false;
		} else if (i == axis || coerce_2d) {
			if (!cdl_mul_size(b, d, &b))
				return false;
		} else {
			if (!cdl_mul_size(c, d, &c))
				return false;
		}
	}
	*outer = a;
	*n = b;
	*inner = c;
	return true;
}
