#!/usr/bin/env bash
# bench.smoke: `cdl bench --json` on the digits model, as a user runs it —
# a fresh device key, a provider key, the package, then the benchmark. Checks
# behaviour only (the JSON's shape and sane figures), never a timing target.
#   bench_smoke.sh CDL SOURCE_DIR
set -euo pipefail
CDL=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export CDL_TEE_DIR=$T/tee
mkdir -m 700 "$CDL_TEE_DIR"
unset CDL_TEE_SOCKET

"$CDL" device-key -o "$T/device.pub" 2>/dev/null
"$CDL" keygen -o "$T/provider" >/dev/null
"$CDL" pack "$SRC/models/digits/model.onnx" --to "$T/device.pub" --sign "$T/provider.key" \
	-o "$T/digits.cdlm" >/dev/null

# ONNX Runtime is measured only where node and onnxruntime-node are installed
# (scripts/setup.sh); elsewhere its entry must be null with a reason.
want_ort=0
if (cd "$SRC" && node -e "require('onnxruntime-node')") >/dev/null 2>&1; then
	want_ort=1
fi

set +e
(cd "$SRC" && "$CDL" bench "$T/digits.cdlm" --baseline models/digits/model.onnx -n 3 --json) \
	>"$T/out.json" 2>"$T/err.txt"
rc=$?
set -e
/usr/bin/python3 - "$T/out.json" "$rc" "$want_ort" "$T/err.txt" <<'PY'
import json, sys

path, rc, want_ort, err = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
try:
    d = json.load(open(path))
except Exception as e:
    sys.exit("FAIL: output is not one JSON object (%s); exit %d; stderr: %s"
             % (e, rc, open(err).read()[-500:]))
res = d.get("results")
keys = ["plain", "tee_resident", "tee_stream", "onnxruntime"]
if not isinstance(res, dict) or sorted(res) != sorted(keys):
    sys.exit("FAIL: results has keys %s, want %s" % (sorted(res or {}), keys))
for k in keys:
    v = res[k]
    if v is None:
        if k == "onnxruntime" and not want_ort and k in d.get("errors", {}):
            print("ok   %s: null (%s)" % (k, d["errors"][k]))
            continue
        sys.exit("FAIL: results.%s is null: %s" % (k, d.get("errors", {}).get(k)))
    for f in ("median_ms", "min_ms", "max_ms"):
        if not isinstance(v.get(f), (int, float)) or v[f] < 0:
            sys.exit("FAIL: results.%s.%s = %r" % (k, f, v.get(f)))
    if not v["min_ms"] <= v["median_ms"] <= v["max_ms"]:
        sys.exit("FAIL: results.%s: min <= median <= max does not hold: %r" % (k, v))
    print("ok   %s: median %.4f ms" % (k, v["median_ms"]))
if d.get("runs") != 3:
    sys.exit("FAIL: runs = %r, want 3" % d.get("runs"))
if d.get("check", {}).get("plain_vs_tee_max_abs_diff") != 0:
    sys.exit("FAIL: plain and TEE outputs differ: %r" % d.get("check"))
if rc != (0 if want_ort else 1):
    sys.exit("FAIL: exit status %d" % rc)
print("ok   bench --json: four configurations, plain and TEE outputs identical")
PY
