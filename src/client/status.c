// SPDX-License-Identifier: Apache-2.0
/* Status names, the thread-local last error, and TEEC result mapping. */
#include <stdarg.h>
#include <stdio.h>

#include "cdl_ta.h"
#include "internal.h"

#define ERROR_LEN 1024

static _Thread_local char last_error[ERROR_LEN];

const char *cdl_status_str(cdl_status status)
{
	switch (status) {
	case CDL_OK:
		return "success";
	case CDL_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case CDL_ERR_UNSUPPORTED:
		return "unsupported";
	case CDL_ERR_OUT_OF_MEMORY:
		return "out of memory";
	case CDL_ERR_SECURE_MEMORY:
		return "secure memory exhausted";
	case CDL_ERR_INTEGRITY:
		return "integrity failure";
	case CDL_ERR_KEY_MISMATCH:
		return "key mismatch";
	case CDL_ERR_POLICY:
		return "refused by the model's policy";
	case CDL_ERR_QUERY_BUDGET:
		return "query budget used up";
	case CDL_ERR_EXPIRED:
		return "model expired";
	case CDL_ERR_TEE:
		return "TEE failure";
	case CDL_ERR_MALFORMED:
		return "malformed input";
	case CDL_ERR_IO:
		return "I/O error";
	case CDL_ERR_STATE:
		return "wrong state";
	case CDL_ERR_INTERNAL:
		return "internal error";
	}
	return "unknown status";
}

const char *cdl_last_error(void)
{
	return last_error;
}

void cdl_client_clear_error(void)
{
	last_error[0] = '\0';
}

cdl_status cdl_client_fail(cdl_status status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return status;
}

bool cdl_client_tee_dead(TEEC_Result res, uint32_t origin)
{
	if (res == TEEC_SUCCESS)
		return false;
	if (res == TEEC_ERROR_TARGET_DEAD)
		return true;
	/* a transport failure: the host TEE marks the connection dead */
	return origin == TEEC_ORIGIN_COMMS;
}

cdl_status cdl_client_status(TEEC_Result res, uint32_t origin)
{
	bool from_tee = origin == TEEC_ORIGIN_TEE || origin == TEEC_ORIGIN_TRUSTED_APP;

	if (cdl_client_tee_dead(res, origin))
		return CDL_ERR_TEE;
	switch (res) {
	case TEEC_SUCCESS:
		return CDL_OK;
	case TEEC_ERROR_BAD_PARAMETERS:
	case TEEC_ERROR_OVERFLOW:
	case TEEC_ERROR_EXCESS_DATA:
		return CDL_ERR_INVALID_ARGUMENT;
	case TEEC_ERROR_NOT_SUPPORTED:
	case TEEC_ERROR_NOT_IMPLEMENTED:
		return CDL_ERR_UNSUPPORTED;
	case TEEC_ERROR_OUT_OF_MEMORY:
		return from_tee ? CDL_ERR_SECURE_MEMORY : CDL_ERR_OUT_OF_MEMORY;
	case TEEC_ERROR_SECURITY:
	case TEEC_ERROR_MAC_INVALID:
	case TEEC_ERROR_SIGNATURE_INVALID:
	case TEEC_ERROR_CORRUPT_OBJECT:
		return CDL_ERR_INTEGRITY;
	case TEEC_ERROR_BAD_FORMAT:
		return CDL_ERR_MALFORMED;
	case TEEC_ERROR_ACCESS_DENIED:
		return CDL_ERR_KEY_MISMATCH;
	case TEEC_ERROR_BAD_STATE:
		return CDL_ERR_STATE;
	case TEEC_ERROR_ITEM_NOT_FOUND:
		/* the TA does not know the handle; from the API: no cdl-tee/TA */
		return from_tee ? CDL_ERR_STATE : CDL_ERR_TEE;
	case TEEC_ERROR_STORAGE_NO_SPACE:
	case 0xF0100003: /* TEE_ERROR_STORAGE_NOT_AVAILABLE */
	case 0xF0100004: /* TEE_ERROR_STORAGE_NOT_AVAILABLE_2 */
		return CDL_ERR_IO;
	case TEEC_ERROR_SHORT_BUFFER:
		return CDL_ERR_INTERNAL; /* libcdl sizes every buffer itself */
	case CDL_TA_ERROR_EXPIRED:
		return CDL_ERR_EXPIRED;
	case CDL_TA_ERROR_BUDGET:
		return CDL_ERR_QUERY_BUDGET;
	case CDL_TA_ERROR_POLICY:
		return CDL_ERR_POLICY;
	default:
		return CDL_ERR_TEE;
	}
}
