#!/usr/bin/env bash
# Installs what the aarch64 build and test (scripts/test-aarch64.sh) and the
# OP-TEE link check (tests/optee) need, from Debian's archive only:
#   - the cross compiler (gcc-aarch64-linux-gnu) and qemu-user (+ its binfmt
#     entries, so that an aarch64 binary started by a script or by another
#     binary -- cdl spawning cdl-tee -- just runs);
#   - the arm64 -dev packages of the libraries cdl links (Debian multiarch):
#     OpenSSL and protobuf-c, and libc6:arm64, whose /lib/ld-linux-aarch64.so.1
#     and libc run the aarch64 binaries under qemu-user. Both are Multi-Arch: same, so they co-install
#     with the amd64 ones; apt only needs both arches at the same version,
#     hence each is installed together with its amd64 counterpart.
#   Host-only inputs stay amd64: protoc-c (protobuf-c-compiler) runs on the
#   build machine, onnx.proto (libonnx-dev) and stb_image.h (libstb-dev) are
#   architecture-independent files under /usr/include.
# Idempotent: re-running installs only what is missing and re-registers the
# binfmt entry only if it is gone (it does not survive a reboot).
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup-aarch64: adding the arm64 architecture"
  $SUDO dpkg --add-architecture arm64
  NEED_UPDATE=1
fi

# amd64 (host) packages, then each arm64 library with its amd64 twin.
PACKAGES=(
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
  qemu-user qemu-user-binfmt
  protobuf-c-compiler libonnx-dev libstb-dev
  libc6:arm64
  libssl-dev:amd64 libssl-dev:arm64
  libprotobuf-c-dev:amd64 libprotobuf-c-dev:arm64
)
missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
# A Multi-Arch: same pair must be at one version: if the arm64 half is missing,
# reinstall the amd64 half in the same transaction so apt can move both.
for lib in libssl-dev libprotobuf-c-dev; do
  if [[ " ${missing[*]} " == *" $lib:arm64 "* && " ${missing[*]} " != *" $lib:amd64 "* ]]; then
    missing+=("$lib:amd64")
  fi
done
if ((${#missing[@]})); then
  echo "setup-aarch64: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
elif [ -n "${NEED_UPDATE:-}" ]; then
  $SUDO apt-get update -qq
fi

# binfmt_misc: Debian's qemu-user-binfmt ships /usr/lib/binfmt.d/qemu-aarch64.conf,
# which systemd-binfmt registers at boot. Where systemd is not running (a
# container, a CI VM), register it by hand.
BINFMT=/proc/sys/fs/binfmt_misc
CONF=/usr/lib/binfmt.d/qemu-aarch64.conf
if [ ! -e "$BINFMT/qemu-aarch64" ]; then
  if [ ! -e "$BINFMT/register" ]; then
    $SUDO mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null || true
  fi
  if [ -w "$BINFMT/register" ] || [ -n "$SUDO" ]; then
    grep -v '^#' "$CONF" | $SUDO tee "$BINFMT/register" >/dev/null 2>&1 || true
  fi
fi
if [ -e "$BINFMT/qemu-aarch64" ] && grep -qx enabled "$BINFMT/qemu-aarch64"; then
  echo "setup-aarch64: aarch64 toolchain, arm64 libraries and qemu binfmt present"
else
  echo "setup-aarch64: aarch64 toolchain and arm64 libraries present; qemu binfmt NOT" \
       "registered (needs root and binfmt_misc): scripts/test-aarch64.sh cannot run" \
       "the tests that start an aarch64 binary from a script or another binary" >&2
fi
