/* SPDX-License-Identifier: Apache-2.0 */
/*
 * P-256 key helpers (normal world, OpenSSL 3): generate, store, load, and
 * name keys. A key's id / fingerprint is SHA-256 of its uncompressed public
 * point (0x04 || X || Y), the same value a package carries as recipient key id
 * and that inspect shows for the provider.
 */
#ifndef CDL_FORMAT_KEYS_H
#define CDL_FORMAT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "cdl/status.h"
#include "format/package.h"

#define CDL_KEY_FINGERPRINT_HEX_LEN (2 * CDL_PKG_KEY_ID_LEN + 1) /* with NUL */

/* A fresh P-256 key pair. */
cdl_status cdl_key_generate(EVP_PKEY **out, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/*
 * Writes NAME.key (PKCS#8 PEM, unencrypted, created with O_EXCL and mode
 * 0600) and NAME.pub (SubjectPublicKeyInfo PEM, 0644). Refuses to overwrite
 * either (CDL_ERR_IO); on failure nothing is left behind.
 */
cdl_status cdl_key_write_pair(const char *name, EVP_PKEY *key, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* cdl keygen: generate + write; fingerprint_hex (may be NULL) gets the id. */
cdl_status cdl_key_generate_files(const char *name,
				  char fingerprint_hex[CDL_KEY_FINGERPRINT_HEX_LEN], char *msg,
				  size_t msg_size) __attribute__((warn_unused_result));

/*
 * PEM loaders; the key must be P-256 (else CDL_ERR_UNSUPPORTED naming the
 * curve). A public loader also accepts a private key file and keeps only
 * what it needs. Encrypted private keys are refused, never prompted for.
 */
cdl_status cdl_key_load_public(const char *path, EVP_PKEY **out, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
cdl_status cdl_key_load_private(const char *path, EVP_PKEY **out, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
cdl_status cdl_key_public_from_pem(const void *pem, size_t len, EVP_PKEY **out, char *msg,
				   size_t msg_size) __attribute__((warn_unused_result));
cdl_status cdl_key_private_from_pem(const void *pem, size_t len, EVP_PKEY **out, char *msg,
				    size_t msg_size) __attribute__((warn_unused_result));

/* The public key as SubjectPublicKeyInfo PEM; *pem is malloc'd, NUL-terminated. */
cdl_status cdl_key_public_to_pem(EVP_PKEY *key, char **pem, size_t *len)
    __attribute__((warn_unused_result));

/* 0x04 || X || Y of a P-256 key (public or private). */
cdl_status cdl_key_public_point(EVP_PKEY *key, uint8_t out[CDL_PKG_PUBKEY_LEN])
    __attribute__((warn_unused_result));

/*
 * A public key from an uncompressed point; CDL_ERR_INTEGRITY if it is not a
 * valid point of P-256 (attacker-supplied points go through here).
 */
cdl_status cdl_key_from_point(const uint8_t pub[CDL_PKG_PUBKEY_LEN], EVP_PKEY **out)
    __attribute__((warn_unused_result));

cdl_status cdl_key_id(EVP_PKEY *key, uint8_t id[CDL_PKG_KEY_ID_LEN])
    __attribute__((warn_unused_result));
cdl_status cdl_key_fingerprint_hex(EVP_PKEY *key, char out[CDL_KEY_FINGERPRINT_HEX_LEN])
    __attribute__((warn_unused_result));

#endif /* CDL_FORMAT_KEYS_H */
