/* Objects (transient keys and persistent storage objects) of the host TEE. */
#ifndef CDL_TEE_HOST_OBJECTS_H
#define CDL_TEE_HOST_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tee_internal_api.h"

#define CDL_OBJ_MAGIC 0x6f626a43u /* "Cobj" */
#define CDL_SECRET_MAX 512        /* 4096-bit generic secrets */
#define CDL_EC_LEN 32             /* P-256 coordinates and scalars */

/* Key material, stored as is (native layout) inside encrypted storage files. */
struct cdl_key {
	uint32_t secret_len;
	uint32_t curve;
	uint8_t has_pub;
	uint8_t has_priv;
	uint8_t pad[6];
	uint8_t secret[CDL_SECRET_MAX];
	uint8_t x[CDL_EC_LEN];
	uint8_t y[CDL_EC_LEN];
	uint8_t d[CDL_EC_LEN];
};

struct cdl_pobj; /* storage.c: one per open object id */

struct __TEE_ObjectHandle {
	uint32_t magic;
	uint32_t type;       /* TEE_TYPE_* */
	uint32_t max_size;   /* bits */
	uint32_t key_size;   /* bits; objectSize */
	uint32_t usage;
	uint32_t flags;      /* TEE_HANDLE_FLAG_* | TEE_DATA_FLAG_* */
	struct cdl_key key;
	/* persistent objects */
	struct cdl_pobj *pobj;
	size_t pos;
	struct __TEE_ObjectHandle *next_open;
};

/* Validates a handle from the TA; panics if it is not one. */
struct __TEE_ObjectHandle *cdl_obj_get(TEE_ObjectHandle h);
bool cdl_obj_is_keypair_type(uint32_t type);

/* storage.c: close a persistent handle (from TEE_CloseObject). */
void cdl_storage_close(struct __TEE_ObjectHandle *o);

#endif /* CDL_TEE_HOST_OBJECTS_H */
