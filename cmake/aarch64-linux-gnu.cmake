# CMake toolchain file: cross-build cdl for aarch64 Linux with Debian's cross
# compiler and multiarch arm64 libraries (scripts/setup-aarch64.sh installs
# both), and run what CTest runs under qemu-user.
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#
# Where things come from:
#   - target libc: links against Debian's cross libc in /usr/aarch64-linux-gnu
#     (the cross compiler's default), runs on the same glibc release from
#     multiarch libc6:arm64 (/lib/ld-linux-aarch64.so.1, see below);
#   - target libraries (OpenSSL, protobuf-c): /usr/lib/aarch64-linux-gnu
#     (libssl-dev:arm64, libprotobuf-c-dev:arm64), their headers /usr/include
#     (shared) and /usr/include/aarch64-linux-gnu (per-arch);
#   - build-time programs (protoc-c) and arch-independent files (onnx.proto,
#     stb_image.h) come from the host: programs are never searched for in the
#     target paths.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CDL_CROSS_TRIPLET aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${CDL_CROSS_TRIPLET}-gcc)
set(CMAKE_AR ${CDL_CROSS_TRIPLET}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${CDL_CROSS_TRIPLET}-ranlib CACHE FILEPATH "")
set(CMAKE_NM ${CDL_CROSS_TRIPLET}-nm CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${CDL_CROSS_TRIPLET}-objcopy CACHE FILEPATH "")
set(CMAKE_STRIP ${CDL_CROSS_TRIPLET}-strip CACHE FILEPATH "")

# Debian multiarch: find_library() looks in <prefix>/lib/aarch64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE ${CDL_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH / /usr/${CDL_CROSS_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # protoc-c etc.: the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)    # /usr/include is shared
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (libprotobuf-c): only the arm64 .pc files, never the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${CDL_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# CTest runs every test whose COMMAND is a target through this. Tests that
# start an aarch64 binary some other way (a shell script, cdl spawning
# cdl-tee) rely on the kernel's binfmt_misc entry for qemu-aarch64 instead
# (scripts/setup-aarch64.sh). Both load the arm64 dynamic linker and libc
# from Debian multiarch (libc6:arm64, /lib/ld-linux-aarch64.so.1), with no
# -L sysroot: under qemu-aarch64 7.2, `-L /usr/aarch64-linux-gnu` (or
# QEMU_LD_PREFIX) makes every fork() in a dynamically linked guest hang in
# the child, which the host TEE's tests do.
find_program(CDL_QEMU_AARCH64 qemu-aarch64)
if(CDL_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CDL_QEMU_AARCH64})
endif()
