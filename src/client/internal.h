/* SPDX-License-Identifier: Apache-2.0 */
/* libcdl internals shared by its files. */
#ifndef CDL_CLIENT_INTERNAL_H
#define CDL_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cdl/cdl.h"
#include "tee_client_api.h"

/* Internal Core API results a TA may return; OP-TEE's libteec header lacks
 * some of them. Values from the GP TEE Internal Core API. */
#ifndef TEEC_ERROR_OVERFLOW
#define TEEC_ERROR_OVERFLOW 0xFFFF300F
#endif
#ifndef TEEC_ERROR_MAC_INVALID
#define TEEC_ERROR_MAC_INVALID 0xFFFF3071
#endif
#ifndef TEEC_ERROR_SIGNATURE_INVALID
#define TEEC_ERROR_SIGNATURE_INVALID 0xFFFF3072
#endif
#ifndef TEEC_ERROR_CORRUPT_OBJECT
#define TEEC_ERROR_CORRUPT_OBJECT 0xF0100001
#endif
#ifndef TEEC_ERROR_TARGET_DEAD
#define TEEC_ERROR_TARGET_DEAD 0xFFFF3024
#endif
#ifndef TEEC_ERROR_STORAGE_NO_SPACE
#define TEEC_ERROR_STORAGE_NO_SPACE 0xFFFF3041
#endif

/* One line into the thread-local last-error buffer; returns status. */
cdl_status cdl_client_fail(cdl_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cdl_client_clear_error(void);

/*
 * The one place TEEC/TEE results become cdl statuses. origin tells a TA's
 * answer (TEEC_ORIGIN_TRUSTED_APP, _TEE) from a transport failure
 * (TEEC_ORIGIN_COMMS, _API): TEEC_ERROR_OUT_OF_MEMORY from the TA is secure
 * memory, from the API normal-world memory.
 */
cdl_status cdl_client_status(TEEC_Result res, uint32_t origin);

/* True when res/origin mean the TEE itself is gone (the context is dead). */
bool cdl_client_tee_dead(TEEC_Result res, uint32_t origin);

#endif /* CDL_CLIENT_INTERNAL_H */
