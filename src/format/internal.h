/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the normal-world (OpenSSL) parts of src/format. Not
 * installed, not for the freestanding reader.
 */
#ifndef CDL_FORMAT_INTERNAL_H
#define CDL_FORMAT_INTERNAL_H

#include <stddef.h>

#include "cdl/status.h"

/* snprintf into msg (may be NULL), returns s: `return cdl_fmt_fail(...)`. */
cdl_status cdl_fmt_fail(char *msg, size_t msg_size, cdl_status s, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The oldest OpenSSL error on this thread's queue as text (empties it). */
const char *cdl_ossl_error(char *buf, size_t size);

#endif /* CDL_FORMAT_INTERNAL_H */
