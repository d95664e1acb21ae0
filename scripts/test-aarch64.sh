#!/usr/bin/env bash
# Builds all of cdl as aarch64 code (engine with its NEON kernels, TA, host
# TEE, libcdl, CLI, tests) with cmake/aarch64-linux-gnu.cmake in
# build-aarch64 (Release) and runs the whole CTest suite under qemu-user.
# Assumes scripts/setup.sh and scripts/setup-aarch64.sh ran.
#
# How the aarch64 binaries run:
#   - tests whose COMMAND is a target: CTest prefixes the toolchain file's
#     CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64 -L /usr/aarch64-linux-gnu);
#   - binaries started any other way (test scripts running cdl, libcdl
#     spawning cdl-tee): the kernel's binfmt_misc entry for qemu-aarch64
#     (Debian's qemu-user-binfmt), registered here if it is missing.
#   Both use Debian's multiarch arm64 libc (libc6:arm64); no QEMU_LD_PREFIX
#   or -L, which make fork() hang in qemu-aarch64 7.2 (see the toolchain file).
# Differences from the x86 run, all visible in the output:
#   - cdl-tee is built without its seccomp filter (-DCDL_TEE_SECCOMP=OFF):
#     qemu-user does not emulate seccomp(2); tee.hardening says "not checked";
#   - tests labelled qemu-small run a smaller variant under emulation; tests
#     labelled slow (big-model tests with no smaller form yet) are not run
#     here -- they run in the x86 suite. The summary names both kinds.
# Prints "aarch64: N passed, N failed, N skipped" and the time taken; exits
# non-zero if any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
BUILD=${BUILD_DIR:-build-aarch64}
TRIPLET=aarch64-linux-gnu

for tool in "$TRIPLET-gcc" qemu-aarch64; do
  if ! command -v "$tool" >/dev/null; then
    echo "test-aarch64: $tool not found: run scripts/setup-aarch64.sh" >&2
    exit 1
  fi
done
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  # Not kept across reboots where systemd-binfmt does not run: register again.
  bash scripts/setup-aarch64.sh >/dev/null
fi
if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
  echo "test-aarch64: binfmt_misc has no enabled qemu-aarch64 entry (needs root once:" \
       "scripts/setup-aarch64.sh); scripts and cdl-tee could not start aarch64 binaries" >&2
  exit 1
fi
if [ ! -e /lib/ld-linux-aarch64.so.1 ]; then
  echo "test-aarch64: no arm64 dynamic linker (libc6:arm64): run scripts/setup-aarch64.sh" >&2
  exit 1
fi
unset QEMU_LD_PREFIX

t0=$(date +%s)
echo "== build (aarch64, Release) in $BUILD"
cmake -S . -B "$BUILD" -DCMAKE_TOOLCHAIN_FILE=cmake/$TRIPLET.cmake \
  -DCMAKE_BUILD_TYPE=Release -DCDL_TEE_SECCOMP=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS"
t1=$(date +%s)

echo "== tests (aarch64 under qemu-user)"
log="$BUILD/ctest-aarch64.log"
set +e
ctest --test-dir "$BUILD" -j"$JOBS" --output-on-failure -LE '^slow$' 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
t2=$(date +%s)

total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
failed=$(sed -n 's/.* \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
skipped=$(grep -c -- '\*\*\*Skipped\|\*\*\*Not Run (Disabled)' "$log" || true)
total=${total:-0}
failed=${failed:-0}
passed=$((total - failed - skipped))
# Tests by label (not `ctest -N -L`, which adds the fixture set-ups they need).
labelled() {
  ctest --test-dir "$BUILD" --show-only=json-v1 | python3 -c '
import json, sys
want = sys.argv[1]
for t in json.load(sys.stdin)["tests"]:
    for p in t.get("properties", []):
        if p["name"] == "LABELS" and want in p["value"]:
            print(t["name"], end=" ")' "$1"
}
small=$(labelled qemu-small)
slow=$(labelled slow)
echo
echo "aarch64 build $((t1 - t0)) s, tests $((t2 - t1)) s under qemu-user ($JOBS jobs)"
echo "aarch64 smaller variants under qemu (label qemu-small): ${small:-none}"
echo "aarch64 not run under qemu, x86 only (label slow, no smaller form yet): ${slow:-none}"
echo "aarch64: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
