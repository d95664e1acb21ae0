// SPDX-License-Identifier: Apache-2.0
/*
 * Activations fused into the epilogue of Conv/Gemm/MatMul/Add/BatchNorm
 * (see op.h). The same definitions as the standalone ONNX ops.
 */
#include "mathf.h"
#include "op.h"

static const char *const act_names[] = {
	[CDL_ACT_NONE] = "None",
	[CDL_ACT_RELU] = "Relu",
	[CDL_ACT_LEAKY_RELU] = "LeakyRelu",
	[CDL_ACT_CLIP] = "Clip",
	[CDL_ACT_SIGMOID] = "Sigmoid",
	[CDL_ACT_HARD_SIGMOID] = "HardSigmoid",
	[CDL_ACT_HARD_SWISH] = "HardSwish",
	[CDL_ACT_TANH] = "Tanh",
};

const char *cdl_act_name(cdl_act_kind kind)
{
	if ((unsigned)kind >= sizeof(act_names) / sizeof(act_names[0]))
		return "unknown";
	return act_names[kind];
}

cdl_status cdl_act_from_node(const cdl_node *node, cdl_act *act)
{
	const char *name = cdl_attr_string(node, "cdl.act", NULL);

	act->kind = CDL_ACT_NONE;
	act->alpha = cdl_attr_float(node, "cdl.act_alpha", 0.0f);
	act->beta = cdl_attr_float(node, "cdl.act_beta", 0.0f);
	if (!name)
		return CDL_OK;
	for (unsigned k = CDL_ACT_RELU; k < sizeof(act_names) / sizeof(act_names[0]); k++) {
		if (cdl_attr_streq(name, act_names[k])) {
			act->kind = (cdl_act_kind)k;
			return CDL_OK;
		}
	}
	return CDL_ERR_UNSUPPORTED;
}

bool cdl_act_from_onnx(const cdl_node *n, cdl_act *act)
{
	act->alpha = 0.0f;
	act->beta = 0.0f;
	if (cdl_attr_streq(n->op_type, "Relu")) {
		act->kind = CDL_ACT_RELU;
	} else if (cdl_attr_streq(n->op_type, "LeakyRelu")) {
		act->kind = CDL_ACT_LEAKY_RELU;
		act->alpha = cdl_attr_float(n, "alpha", 0.01f);
	} else if (cdl_attr_streq(n->op_type, "Sigmoid")) {
		act->kind = CDL_ACT_SIGMOID;
	} else if (cdl_attr_streq(n->op_type, "HardSigmoid")) {
		act->kind = CDL_ACT_HARD_SIGMOID;
		act->alpha = cdl_attr_float(n, "alpha", 0.2f);
		act->beta = cdl_attr_float(n, "beta", 0.5f);
	} else if (cdl_attr_streq(n->op_type, "HardSwish")) {
		act->kind = CDL_ACT_HARD_SWISH;
	} else if (cdl_attr_streq(n->op_type, "Tanh")) {
		act->kind = CDL_ACT_TANH;
	} else if (cdl_attr_streq(n->op_type, "Clip") && n->opset < 11) {
		act->kind = CDL_ACT_CLIP;
		act->alpha = cdl_attr_float(n, "min", -3.402823466e38f);
		act->beta = cdl_attr_float(n, "max", 3.402823466e38f);
	} else {
		/* Clip >= 11 takes min/max as inputs: the fusion pass handles it
		 * when they are constants. */
		return false;
	}
	return true;
}

void cdl_act_apply(const cdl_act *act, float *x, size_t n)
{
	size_t i;

	switch (act->kind) {
	case CDL_ACT_NONE:
		break;
	case CDL_ACT_RELU:
		for (i = 0; i < n; i++)
			x[i] = x[i] > 0.0f ? x[i] : 0.0f;
		break;
	case CDL_ACT_LEAKY_RELU:
		for (i = 0; i < n; i++)
			x[i] = x[i] >= 0.0f ? x[i] : x[i] * act->alpha;
		break;
	case CDL_ACT_CLIP:
		for (i = 0; i < n; i++) {
			float v = x[i] < act->alpha ? act->alpha : x[i];

			x[i] = v > act->beta ? act->beta : v;
		}
		break;
	case CDL_ACT_SIGMOID:
		for (i = 0; i < n; i++)
			x[i] = cdl_sigmoidf(x[i]);
		break;
	case CDL_ACT_HARD_SIGMOID:
		for (i = 0; i < n; i++) {
			float v = act->alpha * x[i] + act->beta;

			x[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
		}
		break;
	case CDL_ACT_HARD_SWISH:
		/* the gate first, then the product, a tile at a time: in one loop
		 * the compiler folds x * 1 and x * 0 into branches and does not
		 * vectorize it; this way both loops vectorize (same results) */
		for (size_t i0 = 0; i0 < n; i0 += 64) {
			float gate[64];
			const size_t m = n - i0 < 64 ? n - i0 : 64;

			for (i = 0; i < m; i++) {
				float v = x[i0 + i] * (1.0f / 6.0f) + 0.5f;

				gate[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
			}
			for (i = 0; i < m; i++)
				x[i0 + i] = x[i0 + i] * gate[i];
		}
		break;
	case CDL_ACT_TANH:
		for (i = 0; i < n; i++)
			x[i] = cdl_tanhf(x[i]);
		break;
	}
}
