/*
 * The wire protocol between the TEE Client API (cdl_teec, in the app) and
 * cdl-tee (the host TEE). One request, one response, over a SOCK_SEQPACKET
 * Unix socket, so each message is one datagram of exactly the struct's size.
 * Both ends are the same build on the same machine: native byte order.
 *
 * Shared memory is a memfd sealed against shrinking (F_SEAL_SHRINK), passed
 * once with SCM_RIGHTS in CDL_TEE_MSG_SHM_REGISTER and named afterwards by the
 * id the TEE returns. Memory references are (shm id, offset, size); shm id 0
 * is a NULL buffer of the given size (GP lets a client ask for a required
 * output size that way).
 *
 * cdl-tee trusts nothing in a request: magic, version, lengths, command, param
 * types, session and shm ids, offset + size within the mapping, and every
 * received file descriptor are checked before use.
 */
#ifndef CDL_TEE_HOST_PROTOCOL_H
#define CDL_TEE_HOST_PROTOCOL_H

#include <stdint.h>

#define CDL_TEE_MSG_MAGIC   0x544c4443u /* "CDLT" */
#define CDL_TEE_MSG_VERSION 1u

enum cdl_tee_msg_cmd {
	CDL_TEE_MSG_HELLO = 1,          /* -> arg: server pid, heap size in params[0] */
	CDL_TEE_MSG_OPEN_SESSION = 2,   /* uuid, func = login method, params */
	CDL_TEE_MSG_INVOKE = 3,         /* session, func = command id, params */
	CDL_TEE_MSG_CLOSE_SESSION = 4,  /* session */
	CDL_TEE_MSG_SHM_REGISTER = 5,   /* one memfd attached; params[0].b = size */
	CDL_TEE_MSG_SHM_RELEASE = 6,    /* shm_id */
};

#define CDL_TEE_MSG_NUM_PARAMS 4

/* One parameter: a value (a, b) or a memref (shm_id, offset, size). */
struct cdl_tee_msg_param {
	uint64_t a;      /* value.a, or memref offset */
	uint64_t b;      /* value.b, or memref size (updated by the TA for out) */
	uint32_t shm_id; /* memref: registered shm, 0 = NULL buffer */
	uint32_t reserved;
};

struct cdl_tee_msg {
	uint32_t magic;
	uint16_t version;
	uint16_t cmd;
	uint32_t seq;         /* echoed in the response */
	uint32_t session;     /* session id (per connection, never 0 when valid) */
	uint32_t func;        /* command id / login method */
	uint32_t param_types; /* TEE_PARAM_TYPES of the TA-side types */
	uint32_t result;      /* response: TEE_Result */
	uint32_t origin;      /* response: TEEC_ORIGIN_* */
	uint32_t shm_id;      /* SHM_RELEASE; response to SHM_REGISTER */
	uint32_t arg;         /* response to HELLO: server pid */
	uint8_t uuid[16];     /* OPEN_SESSION: TA UUID, in TEE_UUID memory layout */
	struct cdl_tee_msg_param params[CDL_TEE_MSG_NUM_PARAMS];
};

_Static_assert(sizeof(struct cdl_tee_msg) == 56 + 4 * 24,
	       "cdl_tee_msg has no padding");

/* Limits cdl-tee enforces per connection. */
#define CDL_TEE_MAX_SESSIONS   64
#define CDL_TEE_MAX_SHM        256
#define CDL_TEE_MAX_SHM_SIZE   ((uint64_t)4 << 30)
#define CDL_TEE_MAX_CLIENTS    64

/* The spawned cdl-tee finds its end of the socketpair here. */
#define CDL_TEE_SPAWN_FD 3

#endif /* CDL_TEE_HOST_PROTOCOL_H */
