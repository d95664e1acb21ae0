/* SPDX-License-Identifier: Apache-2.0 */
/* cdl_status <-> TEE_Result (see ta_status.h). */
#include "cdl_ta.h"
#include "ta_status.h"

TEE_Result cdl_ta_status_to_result(cdl_status s)
{
	switch (s) {
	case CDL_OK:
		return TEE_SUCCESS;
	case CDL_ERR_INVALID_ARGUMENT:
		return TEE_ERROR_BAD_PARAMETERS;
	case CDL_ERR_UNSUPPORTED:
		return TEE_ERROR_NOT_SUPPORTED;
	case CDL_ERR_OUT_OF_MEMORY:
	case CDL_ERR_SECURE_MEMORY:
		return TEE_ERROR_OUT_OF_MEMORY;
	case CDL_ERR_INTEGRITY:
		return TEE_ERROR_SECURITY;
	case CDL_ERR_KEY_MISMATCH:
		return TEE_ERROR_ACCESS_DENIED;
	case CDL_ERR_POLICY:
		return CDL_TA_ERROR_POLICY;
	case CDL_ERR_QUERY_BUDGET:
		return CDL_TA_ERROR_BUDGET;
	case CDL_ERR_EXPIRED:
		return CDL_TA_ERROR_EXPIRED;
	case CDL_ERR_MALFORMED:
		return TEE_ERROR_BAD_FORMAT;
	case CDL_ERR_STATE:
		return TEE_ERROR_BAD_STATE;
	case CDL_ERR_IO:
		return TEE_ERROR_STORAGE_NOT_AVAILABLE;
	case CDL_ERR_TEE:
	case CDL_ERR_INTERNAL:
	default:
		return TEE_ERROR_GENERIC;
	}
}

cdl_status cdl_ta_result_to_status(TEE_Result res)
{
	switch (res) {
	case TEE_SUCCESS:
		return CDL_OK;
	case TEE_ERROR_MAC_INVALID:
	case TEE_ERROR_SIGNATURE_INVALID:
	case TEE_ERROR_CORRUPT_OBJECT:
	case TEE_ERROR_CORRUPT_OBJECT_2:
	case TEE_ERROR_SECURITY:
		return CDL_ERR_INTEGRITY;
	case TEE_ERROR_OUT_OF_MEMORY:
		return CDL_ERR_SECURE_MEMORY;
	case TEE_ERROR_BAD_PARAMETERS:
		return CDL_ERR_INVALID_ARGUMENT;
	case TEE_ERROR_NOT_SUPPORTED:
	case TEE_ERROR_NOT_IMPLEMENTED:
		return CDL_ERR_UNSUPPORTED;
	case TEE_ERROR_STORAGE_NOT_AVAILABLE:
	case TEE_ERROR_STORAGE_NOT_AVAILABLE_2:
	case TEE_ERROR_STORAGE_NO_SPACE:
		return CDL_ERR_IO;
	default:
		return CDL_ERR_TEE;
	}
}
