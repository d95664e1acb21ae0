/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in for OP-TEE's <tee_internal_api.h> (lib/libutee/include), only so
 * that optee.link can compile src/tee/optee/cdl_tee_ext_optee.c without a TA
 * dev kit: our GP declarations (src/tee/gp) plus the GP functions that file
 * uses beyond them, transcribed from GPD_SPE_010 v1.3.1 (§4.9 internal
 * client API, §4.4 property access), as OP-TEE declares them.
 */
#ifndef CDL_OPTEE_SHIM_TEE_INTERNAL_API_H
#define CDL_OPTEE_SHIM_TEE_INTERNAL_API_H

#include "../../../src/tee/gp/tee_internal_api.h"

typedef struct __TEE_TASessionHandle *TEE_TASessionHandle;
typedef struct __TEE_PropSetHandle *TEE_PropSetHandle;

#define TEE_TIMEOUT_INFINITE 0xFFFFFFFF
#define TEE_PROPSET_CURRENT_TA ((TEE_PropSetHandle)0xFFFFFFFF)

TEE_Result TEE_OpenTASession(const TEE_UUID *destination, uint32_t cancellationRequestTimeout,
			     uint32_t paramTypes, TEE_Param params[TEE_NUM_PARAMS],
			     TEE_TASessionHandle *session, uint32_t *returnOrigin);
void TEE_CloseTASession(TEE_TASessionHandle session);
TEE_Result TEE_InvokeTACommand(TEE_TASessionHandle session, uint32_t cancellationRequestTimeout,
			       uint32_t commandID, uint32_t paramTypes,
			       TEE_Param params[TEE_NUM_PARAMS], uint32_t *returnOrigin);
TEE_Result TEE_GetPropertyAsU32(TEE_PropSetHandle propsetOrEnumerator, const char *name,
				uint32_t *value);

#endif /* CDL_OPTEE_SHIM_TEE_INTERNAL_API_H */
