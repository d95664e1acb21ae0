/*
 * Per-TA glue, compiled into each TA executable like OP-TEE's
 * user_ta_header.c: takes the TA's UUID from its user_ta_header_defines.h
 * (found on the executable's include path).
 */
#include "host.h"
#include "user_ta_header_defines.h"

const TEE_UUID cdl_host_ta_uuid = TA_UUID;
