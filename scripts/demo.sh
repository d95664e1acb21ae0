#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then the confidential path
# end to end. The device's TEE makes its key pair, the provider packs the
# digits model for that device (encrypted, signed, bound to it), and the app
# classifies the held-back test digits inside the TEE, never seeing the weights.
#
# Everything lands in build/demo/: the TEE's state directory (its root key and
# secure storage; CDL_TEE_DIR, set it to use another one), the keys and the
# package. Nothing is written to your home directory.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target cdl cdl-tee >/dev/null

cdl=build/cdl
digits=models/digits
demo=build/demo
mkdir -p "$demo"
export CDL_TEE_DIR=${CDL_TEE_DIR:-$PWD/$demo/tee-state}
mkdir -p "$CDL_TEE_DIR" && chmod 700 "$CDL_TEE_DIR"
# the host TEE (cdl-tee) plays the secure world here: libcdl starts it on demand
echo "   TEE: host TEE (build/cdl-tee), state in $CDL_TEE_DIR"

echo
echo "== 1. device: the TEE makes its key pair (the private key never leaves it)"
$cdl device-key -o "$demo/device.pub"

echo
echo "== 2. provider: a signing key, then the digits model packed for this device"
if [ ! -f "$demo/provider.key" ]; then
  $cdl keygen -o "$demo/provider"
else
  echo "reusing $demo/provider.key"
fi
# the PNG samples are 8-bit grayscale: pixel/255, as the model was trained
$cdl pack $digits/model.onnx --to "$demo/device.pub" --sign "$demo/provider.key" \
  --channels gray --scale 1/255 -o "$demo/digits.cdlm"
echo "-- what anyone can see of the package (no key needed): names and shapes, no layers"
$cdl inspect "$demo/digits.cdlm"

echo
echo "== 3. app: classify the sample images inside the TEE"
for f in $digits/samples/digit_*.png; do
  $cdl run "$demo/digits.cdlm" --input "$f" --labels $digits/labels.txt --top 3 | head -n 1
done

echo
echo "== 4. app: all 360 held-back test digits, one batch, one call into the TEE"
out=$($cdl run "$demo/digits.cdlm" --input $digits/test_images.npy --labels $digits/labels.txt \
  --expect $digits/test_labels.npy --verbose)
grep -E "^test_images.npy\[[0-9]+\]" <<<"$out" | head -n 5
echo "   ..."
grep -F "WRONG" <<<"$out" || true
grep -vE "^test_images.npy\[" <<<"$out"

echo
echo "== summary"
acc=$(sed -n 's/^accuracy: \(.*\)$/\1/p' <<<"$out")
ms=$(sed -n 's/.*(\([0-9.]*\) ms\/inference).*/\1/p' <<<"$out")
peak=$(sed -n 's/.*, peak \([0-9.]* [KMG]*i*B\).*/\1/p' <<<"$out")
budget=$(sed -n 's/.*secure memory budget \([0-9.]* [KMG]*i*B\).*/\1/p' <<<"$out")
echo "accuracy inside the TEE:  $acc (the model's own: 358/360, models/digits/README.md)"
echo "time per inference:       $ms ms (batch of 360, one world switch)"
echo "peak secure memory:       $peak of a $budget TA heap"
