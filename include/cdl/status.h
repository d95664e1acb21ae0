/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cdl status codes: one enum for every layer of cdl (engine, package reader,
 * TA, libcdl, CLI). 0 is success. Converted to and from TEE_Result only at the
 * world boundary. This header is pure declarations, so the freestanding
 * trusted code may include it.
 */
#ifndef CDL_STATUS_H
#define CDL_STATUS_H

typedef enum cdl_status {
	CDL_OK = 0,
	CDL_ERR_INVALID_ARGUMENT = 1, /* bad argument: NULL, wrong shape/type/size */
	CDL_ERR_UNSUPPORTED = 2,      /* op, attribute, data type or feature not implemented */
	CDL_ERR_OUT_OF_MEMORY = 3,    /* normal-world allocation failed */
	CDL_ERR_SECURE_MEMORY = 4,    /* secure-memory budget exhausted */
	CDL_ERR_INTEGRITY = 5,        /* tampered, truncated or malformed authenticated data */
	CDL_ERR_KEY_MISMATCH = 6,     /* package is not for this device / key */
	CDL_ERR_POLICY = 7,           /* the model's policy refuses the request */
	CDL_ERR_QUERY_BUDGET = 8,     /* the model's query budget is used up */
	CDL_ERR_EXPIRED = 9,          /* the model's expiry date has passed */
	CDL_ERR_TEE = 10,             /* the TEE failed or went away */
	CDL_ERR_MALFORMED = 11,       /* input file or plan does not parse */
	CDL_ERR_IO = 12,              /* file or socket I/O failed */
	CDL_ERR_STATE = 13,           /* object closed or used in the wrong state */
	CDL_ERR_INTERNAL = 14,        /* a bug in cdl: please report */
} cdl_status;

#endif /* CDL_STATUS_H */
