#!/usr/bin/env bash
# Installs every build, test and model-generation dependency of cdl from Debian's
# archive and the npm registry. Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev llvm
  libssl-dev openssl
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata
  libstb-dev
  python3-torch python3-torchvision python3-sklearn python3-onnx python3-numpy python3-cryptography
  gnuplot-nox
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js and npm come with the machine (nodesource build, npm bundled); Debian's
# npm package conflicts with it, so only fall back to Debian's when node is absent.
if ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

# ONNX Runtime (reference outputs and timings). Its install script would try to
# download a binary; the npm package already ships the CPU runtime.
if [ ! -d node_modules/onnxruntime-node ]; then
  echo "setup: installing onnxruntime-node"
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --silent >/dev/null
fi
# The aarch64 cross toolchain, arm64 libraries and qemu-user: for
# scripts/test-aarch64.sh and the OP-TEE link check (tests/optee).
bash scripts/setup-aarch64.sh

echo "setup: dependencies present"
