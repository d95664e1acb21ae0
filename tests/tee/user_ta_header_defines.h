/* TA properties of the test TA, read by the host TEE's ta_glue.c like an
 * OP-TEE TA build reads its user_ta_header_defines.h. */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include "test_ta.h"

#define TA_UUID TA_TEST_UUID

#endif
