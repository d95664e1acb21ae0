/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cdl_status <-> TEE_Result, in one place (STYLE: convert only at the world
 * boundary). The TA works in cdl_status internally; entry.c converts what it
 * returns to the client, and the GP wrappers convert what the TEE returns.
 */
#ifndef CDL_TA_STATUS_H
#define CDL_TA_STATUS_H

#include "cdl/status.h"
#include "tee_internal_api.h"

/* What a TA command returns to the client for s (see cdl_ta.h). */
TEE_Result cdl_ta_status_to_result(cdl_status s);

/*
 * What a GP Internal API result means to the TA: a tag or signature that does
 * not verify and corrupt storage are CDL_ERR_INTEGRITY, memory is
 * CDL_ERR_SECURE_MEMORY, everything unexpected CDL_ERR_TEE.
 */
cdl_status cdl_ta_result_to_status(TEE_Result res);

#endif /* CDL_TA_STATUS_H */
