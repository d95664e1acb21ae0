/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The package reader's cryptography (cdl_pkg_crypto, src/format/reader.h)
 * over the GP TEE Internal Core API:
 *   sha256             TEE_ALG_SHA256 digest
 *   ecdsa_p256_verify  TEE_ALG_ECDSA_P256 (TEE_AsymmetricVerifyDigest)
 *   aes256gcm_decrypt  TEE_ALG_AES_GCM, the tag checked by the TEE's GCM
 *                      (constant time), in place
 *   device_key_id      SHA-256 of the device public point (device_key.h)
 *   derive_kek         ECDH P-256 with the device private key (TEE_DeriveKey)
 *                      then HKDF-SHA256 built on TEE_ALG_HMAC_SHA256 (GP has
 *                      no HKDF algorithm; OP-TEE's is an extension)
 * Operation handles are allocated once per context and reused; the AES key
 * schedule is reloaded only when the key changes.
 */
#ifndef CDL_TA_CRYPTO_GP_H
#define CDL_TA_CRYPTO_GP_H

#include <stdbool.h>
#include <stdint.h>

#include "device_key.h"
#include "format/reader.h"
#include "tee_internal_api.h"

typedef struct cdl_ta_crypto {
	cdl_pkg_crypto crypto; /* give &c->crypto to the reader */
	const cdl_ta_device_key *dev;
	TEE_OperationHandle digest; /* SHA-256 */
	TEE_OperationHandle gcm;    /* AES-256-GCM decrypt under gcm_key */
	TEE_ObjectHandle gcm_key_obj;
	uint8_t gcm_key[CDL_PKG_KEY_LEN];
	bool gcm_key_set;
} cdl_ta_crypto;

/* dev must be loaded and outlive c. CDL_ERR_SECURE_MEMORY / CDL_ERR_TEE. */
cdl_status cdl_ta_crypto_init(cdl_ta_crypto *c, const cdl_ta_device_key *dev)
    __attribute__((warn_unused_result));

/* Frees the operations and wipes every key. Accepts a zeroed context. */
void cdl_ta_crypto_fini(cdl_ta_crypto *c);

#endif /* CDL_TA_CRYPTO_GP_H */
