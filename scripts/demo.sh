#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, run the demo model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "demo: the confidential path (package + TEE) is not built yet;"
echo "demo: running the digits model through the plain engine in the normal world"
./build/cdl check-onnx --time models/digits
