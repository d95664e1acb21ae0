#!/usr/bin/python3
"""Builds small ONNX models in the shapes that converters other than PyTorch's
emit (tf2onnx, paddle2onnx, older opsets), as ONNX-backend-style test cases
with expected outputs from ONNX Runtime. They exercise import patterns the
torchvision nets do not: NHWC inputs behind a Transpose, symbolic batch dims,
Shape/Slice/Concat chains feeding Reshape and Resize, Clip with min/max
inputs, HardSigmoid-based hard-swish, Pow/Sqrt layer norms, Upsample and
opset-7 BatchNormalization, 1-D audio convolutions, MatMul heads.

usage: /usr/bin/python3 scripts/make_compat_models.py [--out models/cache/compat]
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper as h, numpy_helper as nh

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(20261126)


def w(name, *shape, scale=0.3):
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def c64(name, values):
    return nh.from_array(np.array(values, dtype=np.int64), name)


def cf(name, values):
    return nh.from_array(np.array(values, dtype=np.float32), name)


def vi(name, shape, dtype=TensorProto.FLOAT):
    return h.make_tensor_value_info(name, dtype, shape)


def nhwc_classifier():
    """tf2onnx-style: NHWC input with a symbolic batch, Transpose to NCHW."""
    nodes = [
        h.make_node("Transpose", ["input:0"], ["t0"], perm=[0, 3, 1, 2]),
        h.make_node("Conv", ["t0", "c1w", "c1b"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        h.make_node("Relu", ["c1"], ["r1"]),
        h.make_node("Conv", ["r1", "dww", "dwb"], ["dw"], group=8, pads=[1, 1, 1, 1]),
        h.make_node("Clip", ["dw", "zero", "six"], ["relu6"]),
        h.make_node("Conv", ["relu6", "pww", "pwb"], ["pw"]),
        h.make_node("HardSigmoid", ["pw"], ["hs"], alpha=1.0 / 6, beta=0.5),
        h.make_node("Mul", ["pw", "hs"], ["hswish"]),
        h.make_node("GlobalAveragePool", ["hswish"], ["gap"]),
        h.make_node("Shape", ["gap"], ["shp"]),
        h.make_node("Gather", ["shp", "idx0"], ["batch"], axis=0),
        h.make_node("Unsqueeze", ["batch"], ["batch1"], axes=[0]),
        h.make_node("Concat", ["batch1", "minus1"], ["newshape"], axis=0),
        h.make_node("Reshape", ["gap", "newshape"], ["flat"]),
        h.make_node("MatMul", ["flat", "fcw"], ["mm"]),
        h.make_node("Add", ["mm", "fcb"], ["logits"]),
        h.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    inits = [w("c1w", 8, 3, 3, 3), w("c1b", 8), w("dww", 8, 1, 3, 3), w("dwb", 8),
             cf("zero", 0.0), cf("six", 6.0), w("pww", 16, 8, 1, 1), w("pwb", 16),
             c64("idx0", 0), c64("minus1", [-1]), w("fcw", 16, 10), w("fcb", 10)]
    g = h.make_graph(nodes, "nhwc_classifier", [vi("input:0", ["unk__1", 32, 32, 3])],
                     [vi("probs", ["unk__1", 10])], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 11)]), {"input:0": (1, 32, 32, 3)}


def layernorm_pow_sqrt():
    """The layer norm exporters spell out: ReduceMean, Sub, Pow, Sqrt, Div."""
    nodes = [
        h.make_node("ReduceMean", ["x"], ["mean"], axes=[-1], keepdims=1),
        h.make_node("Sub", ["x", "mean"], ["d"]),
        h.make_node("Pow", ["d", "two"], ["d2"]),
        h.make_node("ReduceMean", ["d2"], ["var"], axes=[-1], keepdims=1),
        h.make_node("Add", ["var", "eps"], ["ve"]),
        h.make_node("Sqrt", ["ve"], ["sd"]),
        h.make_node("Div", ["d", "sd"], ["n"]),
        h.make_node("Mul", ["n", "gamma"], ["ng"]),
        h.make_node("Add", ["ng", "beta"], ["ln"]),
        h.make_node("MatMul", ["ln", "w1"], ["h1"]),
        h.make_node("Add", ["h1", "b1"], ["h1b"]),
        h.make_node("LeakyRelu", ["h1b"], ["a1"], alpha=0.1),
        h.make_node("Max", ["a1", "ln", "floor"], ["mx"]),
        h.make_node("ReduceMean", ["mx"], ["pooled"], axes=[1], keepdims=0),
        h.make_node("Softmax", ["pooled"], ["y"], axis=-1),
    ]
    inits = [cf("two", 2.0), cf("eps", 1e-5), w("gamma", 32, scale=1.0), w("beta", 32),
             w("w1", 32, 32), w("b1", 32), cf("floor", -0.5)]
    g = h.make_graph(nodes, "layernorm_pow_sqrt", [vi("x", ["batch", 16, 32])],
                     [vi("y", ["batch", 32])], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 12)]), {"x": (1, 16, 32)}


def detector_head():
    """Face-detection style: ConvTranspose and Resize (opset 11, empty constant roi)."""
    nodes = [
        h.make_node("Conv", ["x", "c1w", "c1b"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        h.make_node("LeakyRelu", ["c1"], ["a1"], alpha=0.2),
        h.make_node("ConvTranspose", ["a1", "tw", "tb"], ["up1"], strides=[2, 2], pads=[1, 1, 1, 1],
                    output_padding=[1, 1]),
        h.make_node("Resize", ["a1", "roi", "scales"], ["up2"], mode="nearest",
                    coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        h.make_node("Resize", ["a1", "roi", "scales"], ["up3"], mode="linear",
                    coordinate_transformation_mode="half_pixel"),
        h.make_node("Concat", ["up1", "up2", "up3"], ["cat"], axis=1),
        h.make_node("Conv", ["cat", "hw", "hb"], ["heat"]),
        h.make_node("Sigmoid", ["heat"], ["y"]),
        h.make_node("Transpose", ["y"], ["y_nhwc"], perm=[0, 2, 3, 1]),
    ]
    inits = [w("c1w", 6, 3, 3, 3), w("c1b", 6), w("tw", 6, 4, 3, 3), w("tb", 4),
             cf("scales", [1, 1, 2, 2]), w("hw", 2, 16, 1, 1), w("hb", 2),
             nh.from_array(np.zeros(0, np.float32), "roi")]
    g = h.make_graph(nodes, "detector_head", [vi("x", [1, 3, 24, 24])],
                     [vi("y_nhwc", [1, 24, 24, 2])], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 11)]), {"x": (1, 3, 24, 24)}


def opset9_upsample_bn():
    """Older exporters: Upsample (opset 9) and BatchNormalization with spatial."""
    nodes = [
        h.make_node("Conv", ["x", "cw"], ["c"], pads=[1, 1, 1, 1]),
        h.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["bn"], epsilon=1e-3),
        h.make_node("Relu", ["bn"], ["r"]),
        h.make_node("Upsample", ["r", "scales"], ["u"], mode="nearest"),
        h.make_node("MaxPool", ["u"], ["p"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        h.make_node("Squeeze", ["p"], ["sq"], axes=[0]),
        h.make_node("Unsqueeze", ["sq"], ["y"], axes=[0]),
    ]
    var = nh.from_array((rng.random(4) + 0.5).astype(np.float32), "v")
    inits = [w("cw", 4, 2, 3, 3), w("s", 4, scale=1.0), w("b", 4), w("m", 4), var,
             cf("scales", [1, 1, 2, 2])]
    g = h.make_graph(nodes, "opset9_upsample_bn", [vi("x", [1, 2, 8, 8])], [vi("y", [1, 4, 8, 8])],
                     inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 9)]), {"x": (1, 2, 8, 8)}


def paddle_shape_chain():
    """paddle2onnx-style: Resize to sizes computed from the input's own shape."""
    nodes = [
        h.make_node("Conv", ["x", "cw", "cb"], ["c"], pads=[0, 0, 0, 0]),
        h.make_node("Shape", ["x"], ["shp"]),
        h.make_node("Slice", ["shp", "st", "en", "ax"], ["hw"]),
        h.make_node("Cast", ["hw"], ["hwf"], to=TensorProto.FLOAT),
        h.make_node("Mul", ["hwf", "half"], ["hwh"]),
        h.make_node("Cast", ["hwh"], ["hwi"], to=TensorProto.INT64),
        h.make_node("Slice", ["shp", "st0", "st"], ["nc"]),
        h.make_node("Concat", ["nc", "hwi"], ["sizes"], axis=0),
        h.make_node("Resize", ["c", "", "", "sizes"], ["r"], mode="linear",
                    coordinate_transformation_mode="align_corners"),
        h.make_node("HardSwish", ["r"], ["hs"]),
        h.make_node("ReduceMean", ["hs"], ["y"], axes=[2, 3], keepdims=0),
    ]
    inits = [w("cw", 3, 3, 1, 1), w("cb", 3), c64("st", [2]), c64("en", [4]), c64("ax", [0]),
             cf("half", 0.5), c64("st0", [0])]
    g = h.make_graph(nodes, "paddle_shape_chain", [vi("x", [1, 3, "h", "w"])], [vi("y", [1, 3])],
                     inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 14)]), {"x": (1, 3, 20, 16)}


def audio_cnn():
    """Keyword-spotting style 1-D CNN over raw samples."""
    nodes = [
        h.make_node("Conv", ["wave", "c1w", "c1b"], ["c1"], strides=[4], pads=[2, 2]),
        h.make_node("Relu", ["c1"], ["r1"]),
        h.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[4], strides=[4]),
        h.make_node("Conv", ["p1", "c2w", "c2b"], ["c2"], pads=[1, 1], dilations=[2]),
        h.make_node("Tanh", ["c2"], ["t2"]),
        h.make_node("ReduceMean", ["t2"], ["m"], axes=[2], keepdims=0),
        h.make_node("Gemm", ["m", "gw", "gb"], ["logits"], transB=1),
        h.make_node("LogSoftmax", ["logits"], ["y"], axis=1),
    ]
    inits = [w("c1w", 8, 1, 9), w("c1b", 8), w("c2w", 12, 8, 3), w("c2b", 12), w("gw", 5, 12),
             w("gb", 5)]
    g = h.make_graph(nodes, "audio_cnn", [vi("wave", ["N", 1, 4000])], [vi("y", ["N", 5])], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), {"wave": (1, 1, 4000)}


def ocr_head():
    """CRNN-style head: feature map to a sequence, per-step MatMul + Softmax."""
    nodes = [
        h.make_node("Conv", ["img", "cw", "cb"], ["c"], pads=[1, 1, 1, 1]),
        h.make_node("Relu", ["c"], ["r"]),
        h.make_node("AveragePool", ["r"], ["p"], kernel_shape=[8, 1], strides=[8, 1]),
        h.make_node("Squeeze", ["p", "ax2"], ["sq"]),
        h.make_node("Transpose", ["sq"], ["seq"], perm=[0, 2, 1]),
        h.make_node("MatMul", ["seq", "pw"], ["proj"]),
        h.make_node("Add", ["proj", "pb"], ["projb"]),
        h.make_node("Softmax", ["projb"], ["probs"], axis=-1),
        h.make_node("ArgMax", ["probs"], ["ids"], axis=-1, keepdims=0),
    ]
    inits = [w("cw", 6, 1, 3, 3), w("cb", 6), c64("ax2", [2]), w("pw", 6, 11), w("pb", 11)]
    g = h.make_graph(nodes, "ocr_head", [vi("img", [1, 1, 8, 40])],
                     [vi("probs", [1, 40, 11]), vi("ids", [1, 40], TensorProto.INT64)], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 13)]), {"img": (1, 1, 8, 40)}


MODELS = [nhwc_classifier, layernorm_pow_sqrt, detector_head, opset9_upsample_bn,
          paddle_shape_chain, audio_cnn, ocr_head]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "models", "cache", "compat"))
    args = ap.parse_args()
    for make in MODELS:
        model, shapes = make()
        model.ir_version = 7
        onnx.checker.check_model(model)
        case = os.path.join(args.out, make.__name__)
        data = os.path.join(case, "test_data_set_0")
        os.makedirs(data, exist_ok=True)
        onnx.save(model, os.path.join(case, "model.onnx"))
        ins = []
        for k, (name, shape) in enumerate(shapes.items()):
            path = os.path.join(data, f"input_{k}.pb")
            x = rng.standard_normal(shape).astype(np.float32)
            onnx.save_tensor(nh.from_array(x, name), path)
            ins.append(path)
        subprocess.run(["node", os.path.join(REPO, "scripts", "ort_run.js"),
                        os.path.join(case, "model.onnx"), *ins, "--out-dir", data],
                       check=True, cwd=REPO)
        print(f"[compat] {make.__name__}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
