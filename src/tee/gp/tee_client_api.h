/*
 * GlobalPlatform TEE Client API (GPD_SPE_007, v1.0 c), the subset cdl uses.
 *
 * Our own declarations of the standard: the names, types and numeric values
 * are those of the specification (and of OP-TEE's libteec, so libcdl can be
 * built against either). Implementation-defined fields are ours: with the
 * host TEE they point at the transport state (src/tee/host/teec_client.c).
 */
#ifndef CDL_TEE_CLIENT_API_H
#define CDL_TEE_CLIENT_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* §4.4.1 Configuration constants */
#define TEEC_CONFIG_PAYLOAD_REF_COUNT 4
/* Largest shared memory block; the host TEE maps memfds, so this is large. */
#define TEEC_CONFIG_SHAREDMEM_MAX_SIZE ((size_t)1 << 32)

/* §4.4.2 Return codes (TEEC_Result) */
#define TEEC_SUCCESS                0x00000000
#define TEEC_ERROR_GENERIC          0xFFFF0000
#define TEEC_ERROR_ACCESS_DENIED    0xFFFF0001
#define TEEC_ERROR_CANCEL           0xFFFF0002
#define TEEC_ERROR_ACCESS_CONFLICT  0xFFFF0003
#define TEEC_ERROR_EXCESS_DATA      0xFFFF0004
#define TEEC_ERROR_BAD_FORMAT       0xFFFF0005
#define TEEC_ERROR_BAD_PARAMETERS   0xFFFF0006
#define TEEC_ERROR_BAD_STATE        0xFFFF0007
#define TEEC_ERROR_ITEM_NOT_FOUND   0xFFFF0008
#define TEEC_ERROR_NOT_IMPLEMENTED  0xFFFF0009
#define TEEC_ERROR_NOT_SUPPORTED    0xFFFF000A
#define TEEC_ERROR_NO_DATA          0xFFFF000B
#define TEEC_ERROR_OUT_OF_MEMORY    0xFFFF000C
#define TEEC_ERROR_BUSY             0xFFFF000D
#define TEEC_ERROR_COMMUNICATION    0xFFFF000E
#define TEEC_ERROR_SECURITY         0xFFFF000F
#define TEEC_ERROR_SHORT_BUFFER     0xFFFF0010
/* Internal Core API codes a TA may return, seen by clients (OP-TEE defines
 * these in its libteec too). TARGET_DEAD: the TA (here: cdl-tee) died. */
#define TEEC_ERROR_EXTERNAL_CANCEL  0xFFFF0011
#define TEEC_ERROR_TIMEOUT          0xFFFF3001
#define TEEC_ERROR_OVERFLOW         0xFFFF300F
#define TEEC_ERROR_TARGET_DEAD      0xFFFF3024
#define TEEC_ERROR_STORAGE_NO_SPACE 0xFFFF3041
#define TEEC_ERROR_MAC_INVALID      0xFFFF3071
#define TEEC_ERROR_SIGNATURE_INVALID 0xFFFF3072
#define TEEC_ERROR_CORRUPT_OBJECT   0xF0100001

/* §4.4.3 Return code origins (TEEC_ErrorOrigin) */
#define TEEC_ORIGIN_API          0x00000001
#define TEEC_ORIGIN_COMMS        0x00000002
#define TEEC_ORIGIN_TEE          0x00000003
#define TEEC_ORIGIN_TRUSTED_APP  0x00000004

/* §4.4.4 Shared memory control flags */
#define TEEC_MEM_INPUT   0x00000001
#define TEEC_MEM_OUTPUT  0x00000002

/* §4.4.5 Parameter types */
#define TEEC_NONE                   0x00000000
#define TEEC_VALUE_INPUT            0x00000001
#define TEEC_VALUE_OUTPUT           0x00000002
#define TEEC_VALUE_INOUT            0x00000003
#define TEEC_MEMREF_TEMP_INPUT      0x00000005
#define TEEC_MEMREF_TEMP_OUTPUT     0x00000006
#define TEEC_MEMREF_TEMP_INOUT      0x00000007
#define TEEC_MEMREF_WHOLE           0x0000000C
#define TEEC_MEMREF_PARTIAL_INPUT   0x0000000D
#define TEEC_MEMREF_PARTIAL_OUTPUT  0x0000000E
#define TEEC_MEMREF_PARTIAL_INOUT   0x0000000F

/* §4.4.6 Session login methods */
#define TEEC_LOGIN_PUBLIC       0x00000000
#define TEEC_LOGIN_USER         0x00000001
#define TEEC_LOGIN_GROUP        0x00000002
#define TEEC_LOGIN_APPLICATION  0x00000004

/* §4.5.6 TEEC_PARAM_TYPES: four 4-bit types packed into paramTypes */
#define TEEC_PARAM_TYPES(t0, t1, t2, t3) \
	((uint32_t)(t0) | ((uint32_t)(t1) << 4) | ((uint32_t)(t2) << 8) | \
	 ((uint32_t)(t3) << 12))
#define TEEC_PARAM_TYPE_GET(t, i) (((uint32_t)(t) >> ((i) * 4)) & 0xF)

/* §4.2 Basic types */
typedef uint32_t TEEC_Result;
typedef uint32_t TEEC_ErrorOrigin;

typedef struct {
	uint32_t timeLow;
	uint16_t timeMid;
	uint16_t timeHiAndVersion;
	uint8_t clockSeqAndNode[8];
} TEEC_UUID;

/* §4.3.2 TEEC_Context. imp: the transport (cdl-specific). */
typedef struct {
	struct cdl_teec_context *imp;
} TEEC_Context;

/* §4.3.4 TEEC_Session */
typedef struct {
	TEEC_Context *context;
	uint32_t session_id;
} TEEC_Session;

/* §4.3.5 TEEC_SharedMemory. buffer/size/flags are the caller's; the rest is
 * implementation-defined. */
typedef struct {
	void *buffer;
	size_t size;
	uint32_t flags;
	/* Implementation-defined */
	TEEC_Context *context;
	uint32_t shm_id;
	void *shadow;      /* registered memory: the memfd mapping it is mirrored in */
	size_t alloced_size;
	int fd;
	uint8_t registered; /* 1: TEEC_RegisterSharedMemory, 2: Allocate */
} TEEC_SharedMemory;

/* §4.3.6 TEEC_TempMemoryReference */
typedef struct {
	void *buffer;
	size_t size;
} TEEC_TempMemoryReference;

/* §4.3.7 TEEC_RegisteredMemoryReference */
typedef struct {
	TEEC_SharedMemory *parent;
	size_t size;
	size_t offset;
} TEEC_RegisteredMemoryReference;

/* §4.3.8 TEEC_Value */
typedef struct {
	uint32_t a;
	uint32_t b;
} TEEC_Value;

/* §4.3.9 TEEC_Parameter */
typedef union {
	TEEC_TempMemoryReference tmpref;
	TEEC_RegisteredMemoryReference memref;
	TEEC_Value value;
} TEEC_Parameter;

/* §4.3.10 TEEC_Operation */
typedef struct {
	uint32_t started;
	uint32_t paramTypes;
	TEEC_Parameter params[TEEC_CONFIG_PAYLOAD_REF_COUNT];
	/* Implementation-defined */
	TEEC_Session *session;
} TEEC_Operation;

/* §4.5 Functions */
TEEC_Result TEEC_InitializeContext(const char *name, TEEC_Context *context);
void TEEC_FinalizeContext(TEEC_Context *context);
TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context *context,
				      TEEC_SharedMemory *sharedMem);
TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context *context,
				      TEEC_SharedMemory *sharedMem);
void TEEC_ReleaseSharedMemory(TEEC_SharedMemory *sharedMem);
TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session,
			     const TEEC_UUID *destination,
			     uint32_t connectionMethod,
			     const void *connectionData,
			     TEEC_Operation *operation,
			     uint32_t *returnOrigin);
void TEEC_CloseSession(TEEC_Session *session);
TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID,
			       TEEC_Operation *operation,
			       uint32_t *returnOrigin);
void TEEC_RequestCancellation(TEEC_Operation *operation);

#ifdef __cplusplus
}
#endif

#endif /* CDL_TEE_CLIENT_API_H */
