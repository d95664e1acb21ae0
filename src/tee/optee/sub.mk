# SPDX-License-Identifier: Apache-2.0
#
# The cdl TA's sources for OP-TEE's TA dev kit (its mk/subdir.mk reads this
# from the Makefile beside it). Listed explicitly: the TA (src/ta, as
# CDL_TA_SOURCES in src/ta/CMakeLists.txt), the engine (CDL_ENGINE_SOURCES in
# src/engine/CMakeLists.txt), the package reader, and the OP-TEE side of
# cdl's TEE extensions. CTest optee.submk fails when these lists and the
# CMake ones differ. (The x86 kernels compile to nothing on Arm; they are
# listed so that the lists stay the same.)
#
# The dev kit runs from this directory. Include directories are relative to
# it (the dev kit prefixes them with "./"); sources are absolute so that
# their objects land under $(O) rather than beside the sources.

cdl-root := $(abspath $(CURDIR)/../../..)

# include/ first: its cdl_tee_ext.h stands in for src/tee/gp's, which would
# pull our GP declarations in beside OP-TEE's. OP-TEE's own
# tee_internal_api.h comes from the dev kit.
global-incdirs-y += include
global-incdirs-y += ../../ta/include
global-incdirs-y += ../../../include
global-incdirs-y += ../..

# As the CMake build compiles the same code (CMakeLists.txt, src/engine).
cflags-y += -std=gnu11 -ffp-contract=off -fno-builtin-malloc
cflags-y += -Wall -Wextra -Wno-unused-parameter
cppflags-y += -DCDL_OPTEE_HEAP_STATS=$(CDL_OPTEE_HEAP_STATS)

# --- the TA (src/ta) ---
srcs-y += $(cdl-root)/src/ta/entry.c
srcs-y += $(cdl-root)/src/ta/model.c
srcs-y += $(cdl-root)/src/ta/crypto_gp.c
srcs-y += $(cdl-root)/src/ta/device_key.c
srcs-y += $(cdl-root)/src/ta/policy.c
srcs-y += $(cdl-root)/src/ta/status.c

# --- the engine (src/engine) ---
srcs-y += $(cdl-root)/src/engine/tensor.c
srcs-y += $(cdl-root)/src/engine/attr.c
srcs-y += $(cdl-root)/src/engine/fmt.c
srcs-y += $(cdl-root)/src/engine/op_util.c
srcs-y += $(cdl-root)/src/engine/activation.c
srcs-y += $(cdl-root)/src/engine/mathf.c
srcs-y += $(cdl-root)/src/engine/plan.c
srcs-y += $(cdl-root)/src/engine/engine.c
srcs-y += $(cdl-root)/src/engine/ops/registry.c
srcs-y += $(cdl-root)/src/engine/ops/conv.c
srcs-y += $(cdl-root)/src/engine/ops/conv_transpose.c
srcs-y += $(cdl-root)/src/engine/ops/gemm.c
srcs-y += $(cdl-root)/src/engine/ops/elementwise.c
srcs-y += $(cdl-root)/src/engine/ops/ew_util.c
srcs-y += $(cdl-root)/src/engine/ops/activation.c
srcs-y += $(cdl-root)/src/engine/ops/softmax.c
srcs-y += $(cdl-root)/src/engine/ops/reduce.c
srcs-y += $(cdl-root)/src/engine/ops/normalization.c
srcs-y += $(cdl-root)/src/engine/ops/pool.c
srcs-y += $(cdl-root)/src/engine/ops/shape.c
srcs-y += $(cdl-root)/src/engine/ops/transpose.c
srcs-y += $(cdl-root)/src/engine/ops/concat_split.c
srcs-y += $(cdl-root)/src/engine/ops/slice.c
srcs-y += $(cdl-root)/src/engine/ops/pad.c
srcs-y += $(cdl-root)/src/engine/ops/resize.c
srcs-y += $(cdl-root)/src/engine/ops/gather.c
srcs-y += $(cdl-root)/src/engine/ops/cast.c
srcs-y += $(cdl-root)/src/engine/ops/generate.c
srcs-y += $(cdl-root)/src/engine/ops/data_util.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-gemm.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-gemm/4x8-scalar.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-gemm/6x16-avx2.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-gemm/8x32-avx512.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-gemm/8x8-neon.c
srcs-y += $(cdl-root)/src/engine/kernels/conv.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-dwconv.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-dwconv/avx2.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-dwconv/avx512.c
srcs-y += $(cdl-root)/src/engine/kernels/f32-conv-direct/8x32-avx512.c

# --- the package reader (src/format) ---
srcs-y += $(cdl-root)/src/format/reader.c

# --- cdl's TEE extensions over OP-TEE ---
srcs-y += cdl_tee_ext_optee.c
