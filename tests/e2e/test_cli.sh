#!/usr/bin/env bash
# The cdl command through the TEE: test_cli.sh NAME CDL SOURCE_DIR TMP
#   cli_device_key           device-key to stdout and -o, stable, matches the package recipient
#   cli_run                  keygen + pack + run on PNG, .npy (one and a batch), .pb; --json, --verbose
#   cli_bad_inputs           wrong shape/type/file, another device, expired, budget: exit 1, one clear line
#   check_onnx_confidential  check-onnx --confidential --identical on digits and node cases
#   conformance_confidential the whole ONNX backend suite: every case the plain run passes
#                            passes through the TA, bit-identical
#   models_confidential      the generated real networks (models/cache), the same
#   libcdl_installed         cmake --install, then an app built with pkg-config cdl runs a package
#   resnet18_4m              CDL_TEE_HEAP=4M: resnet18 streams correctly; resident says what it needs
#   threads_confidential     CDL_TEE_THREADS=3: the TA's inferences on 3 threads, bit-identical
#                            to the plain engine's one thread, resident and streamed
set -uo pipefail
name=$1 cdl=$2 src=$3 tmp=$4
mkdir -p "$tmp"
work=$(mktemp -d "$tmp/cli-XXXXXX")
export CDL_TEE_DIR="$work/state"
mkdir -m 700 "$CDL_TEE_DIR"
digits="$src/models/digits"
fail=0

die() { echo "FAIL: $*" >&2; fail=1; }
# expect_fail WHAT PATTERN CMD...: exit 1, one line on stderr matching PATTERN
expect_fail() {
  local what=$1 pattern=$2; shift 2
  local out rc
  out=$(timeout 60 "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 1 ]; then die "$what: exit $rc, want 1 ($out)"; return; fi
  if ! grep -qE -- "$pattern" <<<"$out"; then die "$what: message '$out' lacks /$pattern/"; return; fi
  echo "ok  $what: $out"
}

pack_digits() { # pack_digits OUT [pack options...]
  local out=$1; shift
  "$cdl" pack "$digits/model.onnx" --to "$work/device.pub" --sign "$work/provider.key" \
    -o "$out" --channels gray --block-size 4K -q "$@" || die "pack $out"
}

# same_passes PLAIN CONF: every PASS of the plain run is a PASS of the
# confidential one. The only exception is a format limit stated as such (a
# package carries 1..16 inputs and outputs: a model without inputs cannot be
# packed).
same_passes() {
  local plain=$1 conf=$2 verdict case rest
  while read -r verdict case rest; do
    [ "$verdict" = PASS ] || continue
    grep -q "^PASS $case " "$conf" && continue
    if grep -q "^UNSUPPORTED $case .*a package carries 1..16" "$conf"; then
      echo "note: $case: $(grep " $case " "$conf")"
      continue
    fi
    die "$case passes plain but not confidential: $(grep " $case " "$conf")"
  done <"$plain"
}

setup_keys() {
  "$cdl" device-key -o "$work/device.pub" 2>/dev/null || die "device-key -o"
  "$cdl" keygen -o "$work/provider" >/dev/null || die "keygen"
}

case $name in
cli_device_key)
  "$cdl" device-key >"$work/a.pem" 2>"$work/a.err" || die "device-key"
  grep -q "BEGIN PUBLIC KEY" "$work/a.pem" || die "no PEM on stdout"
  grep -qE "^device key id [0-9a-f]{64}$" "$work/a.err" || die "no key id on stderr: $(cat "$work/a.err")"
  "$cdl" device-key -o "$work/b.pem" 2>"$work/b.err" || die "device-key -o"
  cmp -s "$work/a.pem" "$work/b.pem" || die "the device key changed between runs"
  [ "$(stat -c %a "$work/b.pem")" = 644 ] || die "device.pub mode $(stat -c %a "$work/b.pem")"
  openssl pkey -pubin -in "$work/b.pem" -noout -text 2>/dev/null | grep -q "prime256v1" ||
    die "not a P-256 public key"
  # the key id is the recipient a package for this device names
  cp "$work/b.pem" "$work/device.pub"
  "$cdl" keygen -o "$work/provider" >/dev/null || die keygen
  pack_digits "$work/d.cdlm"
  id=$(sed -n 's/^device key id //p' "$work/a.err")
  "$cdl" inspect "$work/d.cdlm" | grep -q "recipient key id $id" || die "recipient is not the device key id"
  # a fresh state directory is another device
  CDL_TEE_DIR="$work/state2" "$cdl" device-key -o "$work/c.pem" 2>/dev/null; rc=$?
  [ $rc -eq 0 ] || die "device-key in a new state dir: exit $rc"
  cmp -s "$work/a.pem" "$work/c.pem" && die "two state directories gave the same device key"
  expect_fail "device-key -o into a missing directory" "nonexistent" \
    "$cdl" device-key -o "$work/nonexistent/x.pub"
  expect_fail "device-key with a dead socket" "failed to connect" \
    "$cdl" device-key --tee "$work/no.sock"
  ;;
cli_run)
  setup_keys
  pack_digits "$work/d.cdlm"
  out=$("$cdl" run "$work/d.cdlm" --input "$digits/samples/digit_7_1.png" --labels "$digits/labels.txt" --top 3) ||
    die "run png"
  echo "$out"
  grep -qE "^digit_7_1.png: 7 \([0-9.]+\), " <<<"$out" || die "png: not classified as 7"
  # every sample: its label is in its name
  for f in "$digits"/samples/digit_*.png; do
    want=$(basename "$f" | cut -d_ -f2)
    got=$("$cdl" run "$work/d.cdlm" --input "$f" --top 1 | head -1 | sed -E 's/^[^:]*: ([0-9]+).*/\1/')
    [ "$got" = "$want" ] || die "$(basename "$f"): got $got"
  done
  # a batch of images in one call
  out=$("$cdl" run "$work/d.cdlm" $(for f in "$digits"/samples/*.png; do echo --input "$f"; done) --top 1) || die "png batch"
  grep -q "10 inferences in one TEE call" <<<"$out" || die "png batch: $out"
  # .pb (ONNX TensorProto): the test case's input
  out=$("$cdl" run "$work/d.cdlm" --input "$digits/test_data_set_0/input_0.pb" --top 1) || die "run pb"
  grep -qE "^input_0.pb: 0 " <<<"$out" || die "pb: $out"
  # .npy: all 360 held-back digits as one batch, with their labels
  out=$("$cdl" run "$work/d.cdlm" --input "$digits/test_images.npy" --expect "$digits/test_labels.npy" --summary --verbose) ||
    die "run npy batch"
  echo "$out"
  grep -q "accuracy: 358/360 = 99.44%" <<<"$out" || die "npy batch accuracy"
  grep -q "360 inferences in one TEE call" <<<"$out" || die "npy batch: not one call"
  grep -qE "^stats: mode (resident|stream), secure memory budget 16.0 MiB, peak " <<<"$out" || die "--verbose stats"
  grep -q "world switches" <<<"$out" || die "--verbose: world switches"
  # --json: one object, parseable
  "$cdl" run "$work/d.cdlm" --input "$digits/test_images.npy" --expect "$digits/test_labels.npy" \
    --labels "$digits/labels.txt" --json --mode stream >"$work/out.json" || die "run --json"
  python3 - "$work/out.json" <<'EOF' || die "--json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["batch"] == 360 and len(d["results"]) == 360, d["batch"]
assert d["correct"] == 358, d["correct"]
assert d["stats"]["mode"] == "stream", d["stats"]["mode"]
assert d["stats"]["world_switches_last_run"] == 1
assert d["stats"]["decrypted_per_inference"] > 0
r = d["results"][0]
assert r["class"] == 0 and r["label"] == "0" and r["expected"] == 0 and len(r["top"]) == 5, r
print("json ok:", d["ms_per_inference"], "ms/inference")
EOF
  # --mode resident decrypts nothing per run
  out=$("$cdl" run "$work/d.cdlm" --input "$digits/test_images.npy" --mode resident --summary --verbose) || die "resident"
  grep -q "per inference: 0 B decrypted" <<<"$out" || die "resident: $out"
  # a shared `cdl-tee --listen` service instead of a spawned one
  "$CDL_TEE_BIN" --listen "$work/tee.sock" 2>"$work/tee.log" &
  tee_pid=$!
  for _ in $(seq 50); do [ -S "$work/tee.sock" ] && break; sleep 0.1; done
  out=$("$cdl" run "$work/d.cdlm" --tee "$work/tee.sock" --input "$digits/samples/digit_5_5.png" --top 1) ||
    die "run --tee: $(cat "$work/tee.log")"
  grep -qE "^digit_5_5.png: 5 " <<<"$out" || die "run --tee: $out"
  kill "$tee_pid"; wait "$tee_pid" 2>/dev/null
  # label-only and top-k policies
  pack_digits "$work/label.cdlm" --policy label
  out=$("$cdl" run "$work/label.cdlm" --input "$digits/samples/digit_3_3.png" --labels "$digits/labels.txt") || die "label run"
  [ "$(head -1 <<<"$out")" = "digit_3_3.png: 3" ] || die "label policy: $out"
  pack_digits "$work/top2.cdlm" --policy topk:2
  out=$("$cdl" run "$work/top2.cdlm" --input "$digits/samples/digit_3_3.png" --top 5) || die "topk run"
  grep -qE "^digit_3_3.png: 3 \([-0-9.]+\), [0-9] \([-0-9.]+\)$" <<<"$out" || die "topk policy: $out"
  ;;
cli_bad_inputs)
  setup_keys
  pack_digits "$work/d.cdlm"
  printf 'P5\n1 1\n255\n\0' >"$work/x.txt"
  head -c 100 /dev/urandom >"$work/garbage.cdlm"
  expect_fail "no such model" "failed to open .*/missing.cdlm" "$cdl" run "$work/missing.cdlm" --input "$digits/samples/digit_0_0.png"
  expect_fail "not a package" "not a cdl package" "$cdl" run "$work/garbage.cdlm" --input "$digits/samples/digit_0_0.png"
  expect_fail "no such input" "cannot open .*nope.png" "$cdl" run "$work/d.cdlm" --input "$work/nope.png"
  expect_fail "unknown input format" "unknown input format" "$cdl" run "$work/d.cdlm" --input "$work/x.txt"
  expect_fail "wrong type (.npy of labels)" "holds int64, input 'input' takes float32" "$cdl" run "$work/d.cdlm" --input "$digits/test_labels.npy"
  python3 - "$work" <<'EOF'
import struct, sys
def npy(path, descr, shape, data):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    h += " " * (63 - (len(h) + 10) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)
npy(sys.argv[1] + "/wrong_shape.npy", "<f4", "(1, 1, 8, 7)", b"\0" * 224)
npy(sys.argv[1] + "/wrong_type.npy", "<f8", "(1, 1, 8, 8)", b"\0" * 512)
npy(sys.argv[1] + "/short.npy", "<f4", "(1, 1, 8, 8)", b"\0" * 255)
EOF
  expect_fail "wrong shape" "\[1,1,8,7\]" "$cdl" run "$work/d.cdlm" --input "$work/wrong_shape.npy"
  expect_fail "wrong type" "float64" "$cdl" run "$work/d.cdlm" --input "$work/wrong_type.npy"
  expect_fail "truncated .npy" "data is 255 bytes" "$cdl" run "$work/d.cdlm" --input "$work/short.npy"
  [ "$("$cdl" run "$work/d.cdlm" --mode fast --input "$work/short.npy" 2>/dev/null; echo $?)" = 2 ] ||
    die "bad --mode: want exit 2 (usage)"
  [ "$("$cdl" run 2>/dev/null; echo $?)" = 2 ] || die "no arguments: want exit 2"
  # tampered package
  cp "$work/d.cdlm" "$work/t.cdlm"
  printf '\x55' | dd of="$work/t.cdlm" bs=1 seek=2000 conv=notrunc 2>/dev/null
  expect_fail "tampered package" "integrity|signature|authentication" "$cdl" run "$work/t.cdlm" --input "$digits/samples/digit_0_0.png"
  # another device
  mkdir -m 700 "$work/other"
  CDL_TEE_DIR="$work/other" "$cdl" device-key -o "$work/other.pub" 2>/dev/null
  "$cdl" pack "$digits/model.onnx" --to "$work/other.pub" --sign "$work/provider.key" -o "$work/other.cdlm" -q
  expect_fail "another device's package" "not for this device|key" "$cdl" run "$work/other.cdlm" --input "$digits/samples/digit_0_0.png"
  # expired, budget
  pack_digits "$work/exp.cdlm" --expires 2000-01-01
  expect_fail "expired" "expire" "$cdl" run "$work/exp.cdlm" --input "$digits/samples/digit_0_0.png"
  pack_digits "$work/b2.cdlm" --max-queries 2
  "$cdl" run "$work/b2.cdlm" --input "$digits/samples/digit_0_0.png" >/dev/null || die "budget: first run"
  expect_fail "batch over the budget" "budget" "$cdl" run "$work/b2.cdlm" --input "$digits/test_images.npy"
  "$cdl" run "$work/b2.cdlm" --input "$digits/samples/digit_0_0.png" >/dev/null || die "budget: second run"
  expect_fail "budget used up" "budget" "$cdl" run "$work/b2.cdlm" --input "$digits/samples/digit_0_0.png"
  # resident at a tiny heap: says how much it needs
  CDL_TEE_HEAP=64K expect_fail "heap too small" "MiB|KiB|bytes" "$cdl" run "$work/d.cdlm" --mode resident --input "$digits/samples/digit_0_0.png"
  ;;
check_onnx_confidential)
  node=/usr/share/libonnx-testdata/data/node
  cases=("$digits")
  for c in test_conv_with_strides_padding test_maxpool_2d_pads test_gemm_default_matrix_bias \
           test_relu test_softmax_example test_add_bcast test_concat_3d_axis_0 \
           test_averagepool_2d_pads test_batchnorm_example test_matmul_2d test_transpose_default \
           test_reshape_reordered_all_dims test_argmax_default_axis_example; do
    [ -d "$node/$c" ] && cases+=("$node/$c")
  done
  [ ${#cases[@]} -gt 1 ] || { echo "libonnx-testdata missing"; exit 77; }
  "$cdl" check-onnx "${cases[@]}" >"$work/plain.txt"
  cat "$work/plain.txt"
  for mode in auto stream; do
    "$cdl" check-onnx --confidential --identical --mode $mode "${cases[@]}" >"$work/conf-$mode.txt"
    rc=$?
    cat "$work/conf-$mode.txt"
    [ $rc -eq 0 ] || die "check-onnx --confidential --mode $mode: exit $rc"
    # every case the plain run passes, the confidential run passes, bit-identical
    while read -r verdict case rest; do
      [ "$verdict" = PASS ] || continue
      grep -q "^PASS $case " "$work/conf-$mode.txt" || die "$case passes plain but not confidential ($mode)"
    done <"$work/plain.txt"
  done
  grep -q "^PASS $digits " "$work/conf-auto.txt" || die "digits not PASS"
  ;;
conformance_confidential)
  data=/usr/share/libonnx-testdata/data
  [ -d "$data/node" ] || { echo "libonnx-testdata missing"; exit 77; }
  for folder in node pytorch-converted pytorch-operator simple; do
    [ -d "$data/$folder" ] || continue
    "$cdl" check-onnx "$data/$folder" >"$work/plain-$folder.txt"
    "$cdl" check-onnx --confidential --identical "$data/$folder" >"$work/conf-$folder.txt"
    echo "$folder: plain $(tail -n 1 "$work/plain-$folder.txt"); confidential $(tail -n 1 "$work/conf-$folder.txt")"
    grep "^FAIL" "$work/conf-$folder.txt" | head -20
    same_passes "$work/plain-$folder.txt" "$work/conf-$folder.txt"
  done
  ;;
models_confidential)
  cache=$src/models/cache
  nets=()
  for n in mobilenet_v2 resnet18 squeezenet1_1 shufflenet_v2_x1_0 mobilenet_v3_small compat; do
    [ -d "$cache/$n" ] && nets+=("$cache/$n")
  done
  [ ${#nets[@]} -gt 0 ] || { echo "no generated models in $cache"; exit 77; }
  "$cdl" check-onnx "${nets[@]}" >"$work/plain.txt"
  "$cdl" check-onnx --confidential --identical --time "${nets[@]}" >"$work/conf.txt"
  cat "$work/conf.txt"
  same_passes "$work/plain.txt" "$work/conf.txt"
  ;;
libcdl_installed)
  build=$(dirname "$cdl")
  prefix="$work/prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null || die "cmake --install"
  export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
  # shellcheck disable=SC2086 # E2E_APP_CFLAGS is a list of flags
  "${E2E_CC:-cc}" -Wall -Wextra -Werror ${E2E_APP_CFLAGS:-} -o "$work/app" "$src/tests/e2e/example_app.c" \
    $(pkg-config --cflags --libs cdl) -Wl,-rpath,"$prefix/lib" || die "build the app against libcdl"
  setup_keys
  pack_digits "$work/d.cdlm"
  # the installed cdl-tee, found on PATH (no CDL_TEE_BIN)
  out=$(env -u CDL_TEE_BIN PATH="$prefix/bin:$PATH" "$work/app" "$work/d.cdlm") || die "app: $out"
  echo "$out"
  grep -q "^input input float32, 256 bytes; output logits, 40 bytes$" <<<"$out" || die "app: info"
  grep -qE "^top class [0-9] .*1 world switch" <<<"$out" || die "app: run"
  # only the API is exported
  if nm -D --defined-only "$prefix/lib/libcdl.so" | awk '{print $3}' | grep -v '^cdl_' | grep -q .; then
    die "libcdl.so exports more than cdl_*: $(nm -D --defined-only "$prefix/lib/libcdl.so" | awk '{print $3}' | grep -v '^cdl_' | head)"
  fi
  nm -D --defined-only "$prefix/lib/libcdl.so" | grep -q " T cdl_model_run$" || die "cdl_model_run not exported"
  ;;
threads_confidential)
  cases=("$digits")
  for n in squeezenet1_1 mobilenet_v3_small shufflenet_v2_x1_0 compat; do
    [ -d "$src/models/cache/$n" ] && cases+=("$src/models/cache/$n")
  done
  [ ${#cases[@]} -gt 1 ] || { echo "no generated models"; exit 77; }
  "$cdl" check-onnx "${cases[@]}" >"$work/plain.txt"
  for mode in resident stream; do
    CDL_TEE_THREADS=3 "$cdl" check-onnx --confidential --identical --mode $mode "${cases[@]}" \
      >"$work/conf-$mode.txt"
    cat "$work/conf-$mode.txt"
    same_passes "$work/plain.txt" "$work/conf-$mode.txt"
  done
  # the TA really ran on 3 threads (and says so); an impossible count is refused
  setup_keys
  pack_digits "$work/d.cdlm"
  CDL_TEE_THREADS=3 "$cdl" run "$work/d.cdlm" --input "$digits/test_images.npy" \
    --expect "$digits/test_labels.npy" --json >"$work/t.json" || die "run with 3 threads"
  python3 - "$work/t.json" <<'EOF' || die "3 threads: --json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["correct"] == 358, d["correct"]
assert d["stats"]["workers"] == 3, d["stats"]["workers"]
print("3 threads ok:", d["ms_per_inference"], "ms/inference")
EOF
  out=$(CDL_TEE_THREADS=0 "$cdl" run "$work/d.cdlm" --input "$digits/test_images.npy" 2>&1) &&
    die "CDL_TEE_THREADS=0 accepted"
  echo "CDL_TEE_THREADS=0: $out"
  ;;
resnet18_4m)
  net=$src/models/cache/resnet18
  [ -f "$net/model.onnx" ] || { echo "no generated resnet18"; exit 77; }
  out=$(CDL_TEE_HEAP=4M "$cdl" check-onnx --confidential --identical --mode stream --time "$net")
  echo "$out"
  grep -q "^PASS $net " <<<"$out" || die "resnet18 does not stream correctly in a 4 MiB heap"
  out=$(CDL_TEE_HEAP=4M "$cdl" check-onnx --confidential --mode resident "$net")
  echo "$out"
  grep -qE "^FAIL $net .*needs [0-9.]+ MiB of secure memory.*budget is 4 MiB" <<<"$out" ||
    die "resident at 4 MiB does not state the memory needed"
  ;;
*)
  echo "unknown test $name" >&2
  exit 2
  ;;
esac
rm -rf "$work"
exit $fail
