// SPDX-License-Identifier: Apache-2.0
/*
 * optee.link compiles this to check src/tee/optee/user_ta_header_defines.h
 * the way the TA dev kit's user_ta_header.c uses it: the UUID, flags, sizes
 * and extra properties must form the TA header's initialisers.
 */
#include <stddef.h>
#include <stdint.h>

#include <tee_internal_api.h>
#include <user_ta_header.h>
#include <user_ta_header_defines.h>

const TEE_UUID cdl_check_uuid = TA_UUID;
const uint32_t cdl_check_flags = TA_FLAGS;
const uint32_t cdl_check_stack = TA_STACK_SIZE;
const uint32_t cdl_check_heap = TA_DATA_SIZE;
const struct user_ta_property cdl_check_props[] = {
    {"gp.ta.dataSize", USER_TA_PROP_TYPE_U32, &(const uint32_t){TA_DATA_SIZE}},
    TA_CURRENT_TA_EXT_PROPERTIES};

_Static_assert(TA_STACK_SIZE % 4096 == 0, "TA_STACK_SIZE: whole pages");
_Static_assert(TA_DATA_SIZE % 4096 == 0, "TA_DATA_SIZE: whole pages");
_Static_assert((TA_FLAGS & TA_FLAG_SINGLE_INSTANCE) != 0,
	       "one instance: all sessions share the heap (the budget B)");
