#!/usr/bin/env bash
# cdl check-onnx as a user meets it: good cases pass, and every kind of bad
# case gives one clear line and the documented exit code, never a crash.
set -uo pipefail
CDL=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
failures=0

# expect NAME WANT_EXIT PATTERN ARGS...: runs cdl check-onnx ARGS, checks exit code and output
expect() {
	local name=$1 want=$2 pattern=$3
	shift 3
	local out rc
	out=$("$CDL" check-onnx "$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
		echo "FAIL $name: exit $rc (want $want), output:"
		echo "$out" | head -5
		failures=$((failures + 1))
	else
		echo "ok   $name"
	fi
}

# cases made from the committed digits model
mk() { mkdir -p "$T/$1/test_data_set_0"; cp "$SRC/models/digits/model.onnx" "$T/$1/"; \
       cp "$SRC/models/digits/test_data_set_0/"*.pb "$T/$1/test_data_set_0/"; }

expect digits-pass 0 '^PASS .*digits' "$SRC/models/digits"

size=$(stat -c %s "$SRC/models/digits/model.onnx")
for cut in 0 1 10 100 1000 $((size / 2)) $((size - 1)); do
	mk trunc$cut
	head -c "$cut" "$SRC/models/digits/model.onnx" >"$T/trunc$cut/model.onnx"
	expect "truncated-model-$cut" 1 "^FAIL .*trunc$cut" "$T/trunc$cut"
done

mk garbage
head -c 4096 /dev/urandom >"$T/garbage/model.onnx"
expect garbage-model 1 '^FAIL ' "$T/garbage"

mk badinput
head -c 7 "$SRC/models/digits/test_data_set_0/input_0.pb" >"$T/badinput/test_data_set_0/input_0.pb"
expect truncated-input 1 '^FAIL .*input_0.pb' "$T/badinput"

mk nooutput
rm "$T/nooutput/test_data_set_0/output_0.pb"
expect missing-output 1 '^FAIL .*output_0.pb' "$T/nooutput"

expect missing-dir 1 '^FAIL ' "$T/does-not-exist"

/usr/bin/python3 - "$T" <<'PY'
import os, sys
import numpy as np
import onnx
from onnx import helper as h, numpy_helper as nh

root = sys.argv[1]

def case(name, nodes, inputs, outputs, feeds, expected, opset=13):
    g = h.make_graph(nodes, name, inputs, outputs)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    d = os.path.join(root, name, "test_data_set_0")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(root, name, "model.onnx"), "wb").write(m.SerializeToString())
    for k, (n, a) in enumerate(feeds):
        open(os.path.join(d, f"input_{k}.pb"), "wb").write(nh.from_array(a, n).SerializeToString())
    for k, (n, a) in enumerate(expected):
        open(os.path.join(d, f"output_{k}.pb"), "wb").write(nh.from_array(a, n).SerializeToString())

vi = h.make_tensor_value_info
x = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
case("unknown_op", [h.make_node("FooBar", ["x"], ["y"])], [vi("x", 1, [2, 3])], [vi("y", 1, [2, 3])],
     [("x", x)], [("y", x)])
case("unsupported_op", [h.make_node("Det", ["x"], ["y"])], [vi("x", 1, [3, 3])], [vi("y", 1, [])],
     [("x", np.eye(3, dtype=np.float32))], [("y", np.array(1, np.float32))])
case("relu_ok", [h.make_node("Relu", ["x"], ["y"])], [vi("x", 1, ["N", 3])], [vi("y", 1, ["N", 3])],
     [("x", x)], [("y", np.maximum(x, 0))])
case("relu_wrong_expected", [h.make_node("Relu", ["x"], ["y"])], [vi("x", 1, [2, 3])],
     [vi("y", 1, [2, 3])], [("x", x)], [("y", np.maximum(x, 0) + 0.01)])
case("relu_wrong_shape_input", [h.make_node("Relu", ["x"], ["y"])], [vi("x", 1, [2, 3])],
     [vi("y", 1, [2, 3])], [("x", np.zeros((4, 5), np.float32))], [("y", np.zeros((2, 3), np.float32))])
case("relu_wrong_dtype_input", [h.make_node("Relu", ["x"], ["y"])], [vi("x", 1, [2, 3])],
     [vi("y", 1, [2, 3])], [("x", np.zeros((2, 3), np.int32))], [("y", np.zeros((2, 3), np.float32))])
case("custom_domain", [h.make_node("Relu", ["x"], ["y"], domain="com.example")], [vi("x", 1, [2, 3])],
     [vi("y", 1, [2, 3])], [("x", x)], [("y", np.maximum(x, 0))])
PY

expect unknown-op 1 '^FAIL .*FooBar is not an ONNX operator' "$T/unknown_op"
expect unsupported-op 0 '^UNSUPPORTED .*Det' "$T/unsupported_op"
expect unsupported-op-skip-code 77 '^UNSUPPORTED .*Det' --unsupported-exit 77 "$T/unsupported_op"
expect symbolic-dim-resolved 0 '^PASS .*relu_ok' "$T/relu_ok"
expect wrong-expected-values 1 '^FAIL .*relu_wrong_expected .*expected' "$T/relu_wrong_expected"
expect wrong-shape-input 1 '^FAIL .*relu_wrong_shape_input' "$T/relu_wrong_shape_input"
expect wrong-dtype-input 1 '^FAIL .*relu_wrong_dtype_input' "$T/relu_wrong_dtype_input"
expect custom-domain 0 '^UNSUPPORTED .*com.example' "$T/custom_domain"
expect summary-line 1 '^1 passed, 1 failed, 0 unsupported$' "$T/relu_ok" "$T/relu_wrong_expected"

echo "$failures failed"
[ "$failures" = 0 ]
