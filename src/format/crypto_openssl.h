/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reader's crypto interface (cdl_pkg_crypto) over OpenSSL 3 EVP, for the
 * normal world: tests, `cdl inspect`, and a stand-in key holder until the TA
 * (GP Internal API) exists. Not thread-safe: one instance per thread.
 *
 *   cdl_pkg_openssl o;
 *   cdl_pkg_openssl_init(&o, device_key_or_NULL);
 *   cdl_pkg_open(pkg, len, &o.crypto, &reader, msg, sizeof(msg));
 *   ...
 *   cdl_pkg_close(&reader);
 *   cdl_pkg_openssl_fini(&o);
 */
#ifndef CDL_FORMAT_CRYPTO_OPENSSL_H
#define CDL_FORMAT_CRYPTO_OPENSSL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "cdl/status.h"
#include "format/reader.h"

typedef struct cdl_pkg_openssl {
	cdl_pkg_crypto crypto; /* give &o.crypto to the reader */
	EVP_PKEY *device_key;  /* private; NULL for parse-only */
	uint8_t device_key_id[CDL_PKG_KEY_ID_LEN];
	EVP_CIPHER *gcm;	      /* fetched once: no implicit fetch per block */
	EVP_CIPHER_CTX *cctx;	      /* reused for every block */
	uint8_t key[CDL_PKG_KEY_LEN]; /* the key cctx holds (wiped by fini) */
	bool key_set;
	EVP_MD *sha256;
	EVP_MD_CTX *mdctx;
	EVP_KDF *hkdf;
} cdl_pkg_openssl;

/*
 * device_key: the device's P-256 private key, or NULL for a parse-only
 * provider (cdl_pkg_parse_header). Takes its own reference.
 */
cdl_status cdl_pkg_openssl_init(cdl_pkg_openssl *o, EVP_PKEY *device_key)
    __attribute__((warn_unused_result));
void cdl_pkg_openssl_fini(cdl_pkg_openssl *o);

#endif /* CDL_FORMAT_CRYPTO_OPENSSL_H */
