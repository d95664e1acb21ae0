/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package writer: the provider side of the .cdlm format (OpenSSL 3 EVP).
 * docs/package-format.md is the specification it implements.
 */
#ifndef CDL_FORMAT_WRITER_H
#define CDL_FORMAT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "cdl/status.h"
#include "format/package.h"

/* A raw extension record (docs/package-format.md §3.4). */
typedef struct cdl_pkg_ext {
	uint16_t type;
	uint16_t flags; /* CDL_PKG_EXT_CRITICAL or 0 */
	const uint8_t *data;
	uint32_t len;
} cdl_pkg_ext;

/* Called as blocks are encrypted (at most every 1 MiB and at the end). */
typedef void (*cdl_pkg_progress_fn)(void *arg, uint64_t done_bytes, uint64_t total_bytes);

typedef struct cdl_pkg_write_params {
	const uint8_t *plan; /* the plaintext stream (plan + weights), opaque here */
	size_t plan_len;     /* >= 1 */
	const cdl_pkg_tensor_info *inputs;
	uint16_t n_inputs; /* 1..CDL_PKG_MAX_IO */
	const cdl_pkg_tensor_info *outputs;
	uint16_t n_outputs; /* 1..CDL_PKG_MAX_IO */
	cdl_pkg_policy policy;
	const cdl_pkg_preproc *preproc; /* NULL or !present: none */
	/* Extra raw records after the preprocessing one (future types, tests). */
	const cdl_pkg_ext *extra_ext;
	uint16_t n_extra_ext;
	EVP_PKEY *device_pub;	      /* recipient: the device's P-256 public key */
	EVP_PKEY *provider_key;	      /* signer: the provider's P-256 private key */
	uint32_t block_size;	      /* 0: CDL_PKG_DEFAULT_BLOCK_SIZE */
	cdl_pkg_progress_fn progress; /* may be NULL */
	void *progress_arg;
} cdl_pkg_write_params;

/* What was written, for the summary line. */
typedef struct cdl_pkg_write_info {
	uint8_t model_id[CDL_PKG_MODEL_ID_LEN];
	uint32_t block_size, block_count;
	uint32_t header_len;
	uint64_t package_len;
	uint8_t provider_key_id[CDL_PKG_KEY_ID_LEN];
	uint8_t recipient_key_id[CDL_PKG_KEY_ID_LEN];
} cdl_pkg_write_info;

/*
 * Builds, encrypts and signs a package; *out (malloc'd, caller frees) holds
 * the whole file. Fresh random model id, package nonce, content key and
 * ephemeral key every call. Before returning, the result is parsed back with
 * the reader (signature included), so the writer never emits what the reader
 * rejects. info may be NULL. msg gets one line on failure.
 */
cdl_status cdl_pkg_write(const cdl_pkg_write_params *p, uint8_t **out, size_t *out_len,
			 cdl_pkg_write_info *info, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* Writes data to path atomically (temporary file in the same directory, rename). */
cdl_status cdl_pkg_write_file(const char *path, const uint8_t *data, size_t len, char *msg,
			      size_t msg_size) __attribute__((warn_unused_result));

/*
 * Lower level, for tests, fuzzing and tools. pkg[0..len) must have a fixed
 * header whose sizes match len, with the block region holding the zero-padded
 * plaintext. Sets the recipient key id, the provider key, the ephemeral key
 * and the wrapped key (fresh random content key), then encrypts the blocks in
 * place, writes their tags and signs. The caller's other header bytes are
 * taken as they are (that is the point: a fuzzer can seal any header).
 */
cdl_status cdl_pkg_seal(uint8_t *pkg, size_t len, EVP_PKEY *device_pub, EVP_PKEY *provider_key,
			cdl_pkg_progress_fn progress, void *progress_arg, char *msg,
			size_t msg_size) __attribute__((warn_unused_result));

/*
 * cdl_pkg_seal with a given content key instead of a fresh random one. For
 * tests only (they show what the header hash in each block's AAD protects
 * against if a key were ever reused): a real package must never share its
 * content key with another.
 */
cdl_status cdl_pkg_seal_with_key(uint8_t *pkg, size_t len,
				 const uint8_t content_key[CDL_PKG_KEY_LEN], EVP_PKEY *device_pub,
				 EVP_PKEY *provider_key, cdl_pkg_progress_fn progress,
				 void *progress_arg, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/*
 * Puts provider_key's public point into the header and (re)signs header ||
 * tags: what an attacker with their own key can always do. Changing the
 * provider key changes the header, so the content key of an existing package
 * is no longer recoverable afterwards (by design).
 */
cdl_status cdl_pkg_sign(uint8_t *pkg, size_t len, EVP_PKEY *provider_key, char *msg,
			size_t msg_size) __attribute__((warn_unused_result));

#endif /* CDL_FORMAT_WRITER_H */
