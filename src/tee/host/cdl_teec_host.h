/*
 * cdl's extensions to the TEE Client API when it runs over the host TEE
 * (cdl_teec). Not available with OP-TEE's libteec.
 */
#ifndef CDL_TEEC_HOST_H
#define CDL_TEEC_HOST_H

#include <sys/types.h>

#include "tee_client_api.h"

/* Process id of the cdl-tee serving this context (spawned or shared), or -1. */
pid_t cdl_teec_server_pid(TEEC_Context *context);

/* Size in bytes of the TA's secure heap in that cdl-tee, or 0. */
size_t cdl_teec_server_heap_size(TEEC_Context *context);

#endif /* CDL_TEEC_HOST_H */
