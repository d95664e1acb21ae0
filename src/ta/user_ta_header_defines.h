/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Properties of the cdl TA, as an OP-TEE TA build reads them (its
 * user_ta_header.c) and as the host TEE reads them (src/tee/host/ta_glue.c:
 * TA_UUID only; there the heap is cdl-tee's --heap-size / CDL_TEE_HEAP).
 */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include "cdl_ta.h"

#define TA_UUID TA_CDL_UUID

/*
 * One instance serves every session (the models of all apps share one
 * secure heap, whose size is the budget B of DESIGN §6); state is per
 * session. TA_FLAG_* come from OP-TEE's user_ta_header.h.
 */
#define TA_FLAGS (TA_FLAG_SINGLE_INSTANCE | TA_FLAG_MULTI_SESSION)

/* The engine's kernels and the package reader keep their buffers in the heap;
 * the deepest path (open: reader + crypto, run: an op's execute) stays well
 * inside this. */
#define TA_STACK_SIZE (64 * 1024)

/* The secure heap: like the host TEE's default (CDL_TEE_HEAP=16M). */
#define TA_DATA_SIZE (16 * 1024 * 1024)

#endif /* USER_TA_HEADER_DEFINES_H */
