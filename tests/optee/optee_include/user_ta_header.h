/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in for OP-TEE's <user_ta_header.h> (lib/libutee/include), for
 * optee.link's compile of src/tee/optee/user_ta_header_defines.h the way
 * the TA dev kit's user_ta_header.c uses it: the TA flags and property types
 * it names, with OP-TEE's values.
 */
#ifndef CDL_OPTEE_SHIM_USER_TA_HEADER_H
#define CDL_OPTEE_SHIM_USER_TA_HEADER_H

#include <stdint.h>

#define TA_FLAG_SINGLE_INSTANCE (1u << 2)
#define TA_FLAG_MULTI_SESSION (1u << 3)
#define TA_FLAG_INSTANCE_KEEP_ALIVE (1u << 4)

enum user_ta_prop_type {
	USER_TA_PROP_TYPE_BOOL,
	USER_TA_PROP_TYPE_U32,
	USER_TA_PROP_TYPE_UUID,
	USER_TA_PROP_TYPE_IDENTITY,
	USER_TA_PROP_TYPE_STRING,
	USER_TA_PROP_TYPE_BINARY_BLOCK,
	USER_TA_PROP_TYPE_U64,
	USER_TA_PROP_TYPE_INVALID,
};

struct user_ta_property {
	const char *name;
	enum user_ta_prop_type type;
	const void *value;
};

#endif /* CDL_OPTEE_SHIM_USER_TA_HEADER_H */
