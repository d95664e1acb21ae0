/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cdl_tee_ext.h for the OP-TEE build (sub.mk puts this directory first).
 *
 * src/tee/gp/cdl_tee_ext.h includes "tee_internal_api.h" with quotes, which
 * finds src/tee/gp/tee_internal_api.h beside it -- our declarations of the
 * GP API, for the host TEE -- before OP-TEE's. Here OP-TEE's header is read
 * first and ours is marked as read (its include guard), so the TA sees only
 * OP-TEE's GP declarations plus cdl's two extension functions.
 */
#ifndef CDL_OPTEE_TEE_EXT_H
#define CDL_OPTEE_TEE_EXT_H

#include <tee_internal_api.h>

#ifndef CDL_TEE_INTERNAL_API_H
#define CDL_TEE_INTERNAL_API_H
#endif
#include "../../gp/cdl_tee_ext.h"

#endif /* CDL_OPTEE_TEE_EXT_H */
