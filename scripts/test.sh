#!/usr/bin/env bash
# The test command: builds cdl, makes the test models, runs the whole CTest
# suite, then again under AddressSanitizer + UBSan. Assumes scripts/setup.sh ran.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}

echo "== build (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"

echo "== tests (Release)"
ctest --test-dir build -j"$JOBS" --output-on-failure

echo "== build + tests (AddressSanitizer + UBSan)"
# Tests labelled slow (whole torchvision nets through every streaming
# configuration) ran above; under the sanitizers they take minutes each and
# the smaller variants of the same checks cover the same code.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCDL_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
ctest --test-dir build-asan -j"$JOBS" --output-on-failure -LE slow

if [ -f tests/fuzz/CMakeLists.txt ]; then
  echo "== fuzzing (clang libFuzzer, bounded time)"
  CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCDL_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j"$JOBS"
  ctest --test-dir build-fuzz -L fuzz --output-on-failure
fi
