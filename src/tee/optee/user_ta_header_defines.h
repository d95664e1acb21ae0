/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties of the cdl TA in the OP-TEE build (read by the TA dev kit's
 * user_ta_header.c; the Makefile runs from this directory, so this file,
 * not src/ta/user_ta_header_defines.h of the host TEE build, is the one it
 * finds). docs/optee.md explains the numbers.
 */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include "cdl_ta.h"

#define TA_UUID TA_CDL_UUID

/*
 * One instance serves every session: the models of all client apps share
 * one heap, whose size is the secure-memory budget B of DESIGN §6, and state
 * is kept per session. Not TA_FLAG_INSTANCE_KEEP_ALIVE: when the last
 * session closes the instance goes and its heap returns to OP-TEE.
 */
#define TA_FLAGS (TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION)

/*
 * Stack. Measured by tests/optee (CTest optee.stack: gcc -fstack-usage and
 * the call graph of every TA, engine and reader function, function-pointer
 * calls resolved to any address-taken function, an upper bound): the
 * deepest chain from TA_InvokeCommandEntryPoint (RUN -> engine -> an op ->
 * GEMM -> micro-kernel or packing callback) is at most 7.9 KiB at the dev
 * kit's -Os and 11.1 KiB at -O0, plus 2 KiB allowed for libutee's entry
 * path. optee.stack fails when the -Os figure exceeds half of this.
 */
#define TA_STACK_SIZE (32 * 1024)

/*
 * Heap = B, the budget the TA plans models in (src/ta/model.c reads it back
 * with cdl_tee_heap_stats). Measured needs (docs/optee.md): the digits model
 * 0.25 MiB; mobilenet_v2 19.8 MiB resident, 5.9 MiB at least (streamed);
 * resnet18 49.1 MiB resident, 3.8 MiB at least. 12 MiB runs all three (auto
 * mode keeps 4.5 and 6.5 MiB of their weights resident and streams the
 * rest) and fits in the ~13 MiB of TA RAM of OP-TEE's QEMU v8 configuration.
 * Set per board: make CDL_TA_HEAP_MIB=6 for a Raspberry Pi 3's default
 * 8 MiB of TA RAM; more where the secure carve-out is larger.
 */
#ifndef CDL_TA_HEAP_MIB
#define CDL_TA_HEAP_MIB 12
#endif
#define TA_DATA_SIZE (CDL_TA_HEAP_MIB * 1024 * 1024)

#define TA_CURRENT_TA_EXT_PROPERTIES                                                               \
	{"gp.ta.description", USER_TA_PROP_TYPE_STRING,                                            \
	 "cdl: confidential neural-network inference"},                                            \
	{                                                                                          \
		"gp.ta.version", USER_TA_PROP_TYPE_U32, &(const uint32_t)                          \
		{                                                                                  \
			CDL_TA_API_VERSION                                                         \
		}                                                                                  \
	}

#endif /* USER_TA_HEADER_DEFINES_H */
