// SPDX-License-Identifier: Apache-2.0
/*
 * The operator names of the default ONNX domain, so that import can tell an
 * ONNX operator cdl does not implement (unsupported) from a name that is no
 * ONNX operator at all (a malformed model). Taken from ONNX 1.12's schema
 * registry (opsets 1-17):
 *   /usr/bin/python3 -c "import onnx.defs as d; print(sorted({s.name for s in
 *       d.get_all_schemas_with_history() if s.domain in ('', 'ai.onnx')}))"
 */
#include <stdlib.h>
#include <string.h>

#include "provider.h"

static const char *const onnx_ops[] = {
	"Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin", "Asinh", "Atan",
	"Atanh", "AveragePool", "BatchNormalization", "Bernoulli", "BitShift", "BlackmanWindow",
	"Cast", "CastLike", "Ceil", "Celu", "Clip", "Compress", "Concat", "ConcatFromSequence",
	"Constant", "ConstantOfShape", "Conv", "ConvInteger", "ConvTranspose", "Cos", "Cosh",
	"CumSum", "DFT", "DepthToSpace", "DequantizeLinear", "Det", "Div", "Dropout",
	"DynamicQuantizeLinear", "Einsum", "Elu", "Equal", "Erf", "Exp", "Expand", "EyeLike",
	"Flatten", "Floor", "GRU", "Gather", "GatherElements", "GatherND", "Gemm",
	"GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual",
	"GridSample", "HammingWindow", "HannWindow", "HardSigmoid", "HardSwish", "Hardmax",
	"Identity", "If", "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM",
	"LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "Loop",
	"LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max", "MaxPool", "MaxRoiPool",
	"MaxUnpool", "Mean", "MeanVarianceNormalization", "MelWeightMatrix", "Min", "Mod", "Mul",
	"Multinomial", "Neg", "NegativeLogLikelihoodLoss", "NonMaxSuppression", "NonZero", "Not",
	"OneHot", "Optional", "OptionalGetElement", "OptionalHasElement", "Or", "PRelu", "Pad",
	"Pow", "QLinearConv", "QLinearMatMul", "QuantizeLinear", "RNN", "RandomNormal",
	"RandomNormalLike", "RandomUniform", "RandomUniformLike", "Range", "Reciprocal",
	"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
	"ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape", "Resize",
	"ReverseSequence", "RoiAlign", "Round", "STFT", "Scan", "Scatter", "ScatterElements",
	"ScatterND", "Selu", "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase",
	"SequenceInsert", "SequenceLength", "SequenceMap", "Shape", "Shrink", "Sigmoid", "Sign",
	"Sin", "Sinh", "Size", "Slice", "Softmax", "SoftmaxCrossEntropyLoss", "Softplus",
	"Softsign", "SpaceToDepth", "Split", "SplitToSequence", "Sqrt", "Squeeze",
	"StringNormalizer", "Sub", "Sum", "Tan", "Tanh", "TfIdfVectorizer", "ThresholdedRelu",
	"Tile", "TopK", "Transpose", "Trilu", "Unique", "Unsqueeze", "Upsample", "Where", "Xor",
};

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

bool cdl_onnx_is_operator(const char *op_type)
{
	return op_type && bsearch(op_type, onnx_ops, sizeof(onnx_ops) / sizeof(onnx_ops[0]),
				  sizeof(onnx_ops[0]), cmp) != NULL;
}
