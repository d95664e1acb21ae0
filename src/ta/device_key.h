/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device key: a P-256 key pair generated inside the TA the first time any
 * session needs it and kept in TEE_STORAGE_PRIVATE. Packages are wrapped for
 * its public point (docs/package-format.md §4); the private scalar never
 * leaves the TEE: it is stored with TEE_USAGE_DERIVE only (not extractable),
 * and ECDH is done by the TEE with the persistent object itself.
 */
#ifndef CDL_TA_DEVICE_KEY_H
#define CDL_TA_DEVICE_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "cdl/status.h"
#include "format/package.h"
#include "tee_internal_api.h"

typedef struct cdl_ta_device_key {
	TEE_ObjectHandle pair;		 /* persistent TEE_TYPE_ECDH_KEYPAIR, read-only */
	uint8_t pub[CDL_PKG_PUBKEY_LEN]; /* 0x04 || X || Y */
	uint8_t id[CDL_PKG_KEY_ID_LEN];	 /* SHA-256(pub): what packages name */
	bool loaded;
} cdl_ta_device_key;

/*
 * Opens the device key, generating and storing it on first use. Idempotent:
 * returns CDL_OK at once when k is loaded. CDL_ERR_INTEGRITY if the stored
 * key object is corrupt (it is never silently replaced: packages made for it
 * would become unreadable), CDL_ERR_IO / CDL_ERR_TEE for storage failures.
 */
cdl_status cdl_ta_device_key_load(cdl_ta_device_key *k) __attribute__((warn_unused_result));

/* Closes the handle and wipes k. Accepts an unloaded key. */
void cdl_ta_device_key_close(cdl_ta_device_key *k);

#endif /* CDL_TA_DEVICE_KEY_H */
