/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package reader: the trusted side of the .cdlm format.
 *
 * Freestanding (DESIGN §3): no malloc, no libc beyond the allowed headers, no
 * OpenSSL. All cryptography goes through cdl_pkg_crypto, which the TA
 * implements with the GP Internal API and tests/inspect with OpenSSL
 * (crypto_openssl.h).
 *
 * Use:
 *   cdl_pkg_open()        copy + verify the header and the signature once,
 *                         check the recipient, unwrap the content key;
 *   cdl_pkg_read_block()  decrypt and authenticate block i into a caller buffer
 *                         (any order, any number of times: layer-by-layer
 *                         streaming);
 *   cdl_pkg_read_range()  a byte range of the plaintext stream, across blocks;
 *   cdl_pkg_close()       wipe the content key.
 * cdl_pkg_parse_header() does the first step without any device key (inspect).
 *
 * The package bytes may live in memory the adversary can write at any time
 * (shared memory): the reader copies the header into the reader struct before
 * hashing or parsing it, copies each tag before use and copies each ciphertext
 * block into the caller's (trusted) output buffer before decrypting it in
 * place, so no byte is authenticated in one read and used in another.
 */
#ifndef CDL_FORMAT_READER_H
#define CDL_FORMAT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "format/package.h"

#define CDL_PKG_MUST_CHECK __attribute__((warn_unused_result))

/*
 * The cryptography the reader needs. Every op returns CDL_OK, or
 * CDL_ERR_INTEGRITY for "does not verify" (bad signature, bad tag, point not
 * on the curve), or another status (CDL_ERR_TEE, CDL_ERR_INTERNAL) when the
 * implementation itself failed. ctx is passed back unchanged.
 */
typedef struct cdl_pkg_crypto {
	void *ctx;

	/*
	 * out = SHA-256(a[0..a_len) || b[0..b_len)); b may be NULL when b_len
	 * is 0. Two parts so that the signed message (header || tags) can be
	 * hashed from the trusted header copy and the tags in place.
	 */
	cdl_status (*sha256)(void *ctx, const uint8_t *a, size_t a_len, const uint8_t *b,
			     size_t b_len, uint8_t out[CDL_PKG_HASH_LEN]);

	/* ECDSA P-256 verify of sig (r || s) over the digest hash. */
	cdl_status (*ecdsa_p256_verify)(void *ctx, const uint8_t pub[CDL_PKG_PUBKEY_LEN],
					const uint8_t hash[CDL_PKG_HASH_LEN],
					const uint8_t sig[CDL_PKG_SIG_LEN]);

	/*
	 * AES-256-GCM decrypt with a 16-byte tag; tag compared in constant time.
	 * Must work in place (ct == out): the reader relies on it. On failure the
	 * content of out is unspecified (the reader wipes it).
	 */
	cdl_status (*aes256gcm_decrypt)(void *ctx, const uint8_t key[CDL_PKG_KEY_LEN],
					const uint8_t nonce[CDL_PKG_GCM_NONCE_LEN],
					const uint8_t *aad, size_t aad_len, const uint8_t *ct,
					size_t len, const uint8_t tag[CDL_PKG_TAG_LEN],
					uint8_t *out);

	/*
	 * The key holder (the device). NULL in a parse-only crypto. The device
	 * private key never leaves it: it does the ECDH itself.
	 *
	 * device_key_id: SHA-256 of the device's uncompressed public point.
	 * derive_kek: kek = HKDF-SHA256(ikm = ECDH(device priv, peer_pub).x,
	 *             salt, info, L = 32). CDL_ERR_INTEGRITY if peer_pub is not a
	 *             valid P-256 point.
	 */
	cdl_status (*device_key_id)(void *ctx, uint8_t id[CDL_PKG_KEY_ID_LEN]);
	cdl_status (*derive_kek)(void *ctx, const uint8_t peer_pub[CDL_PKG_PUBKEY_LEN],
				 const uint8_t *salt, size_t salt_len, const uint8_t *info,
				 size_t info_len, uint8_t kek[CDL_PKG_KEY_LEN]);
} cdl_pkg_crypto;

/*
 * Reader state. Treat the fields as private; it is a plain struct only so
 * that the caller can place it (TA heap, stack) without malloc. ~23 KiB: in a
 * TA allocate it, don't put it on the TA stack.
 */
typedef struct cdl_pkg_reader {
	cdl_pkg_header hdr;
	const cdl_pkg_crypto *crypto;
	const uint8_t *tags;   /* in the (untrusted) package buffer */
	const uint8_t *blocks; /* in the (untrusted) package buffer */
	uint8_t header_hash[CDL_PKG_HASH_LEN];
	uint8_t content_key[CDL_PKG_KEY_LEN];
	bool parsed;			 /* header verified */
	bool key_loaded;		 /* content key unwrapped: blocks readable */
	uint8_t raw[CDL_PKG_MAX_HEADER]; /* trusted copy of the header */
} cdl_pkg_reader;

/*
 * Verifies and parses the public header without any device key: the magic,
 * version, sizes (the file must be exactly header + tags + blocks +
 * signature), the provider signature over header || tags, then every field.
 * crypto needs sha256 and ecdsa_p256_verify only. On success r->hdr is valid;
 * blocks cannot be read. Errors:
 *   CDL_ERR_MALFORMED   not a package (magic) or a field out of its range
 *   CDL_ERR_UNSUPPORTED other major version, unknown critical extension
 *   CDL_ERR_INTEGRITY   size mismatch (truncated/extended), bad signature
 * msg (may be NULL) receives one line.
 */
cdl_status cdl_pkg_parse_header(const uint8_t *pkg, size_t len, const cdl_pkg_crypto *crypto,
				cdl_pkg_reader *r, char *msg, size_t msg_size) CDL_PKG_MUST_CHECK;

/*
 * cdl_pkg_parse_header, then: the recipient key id must be this device's
 * (else CDL_ERR_KEY_MISMATCH, message names both key ids), then the content
 * key is unwrapped (CDL_ERR_INTEGRITY if the header was edited, even if
 * re-signed). pkg must stay mapped until cdl_pkg_close (blocks are read from
 * it). Blocks are authenticated when read, not here: use
 * cdl_pkg_verify_blocks to check all of them up front.
 */
cdl_status cdl_pkg_open(const uint8_t *pkg, size_t len, const cdl_pkg_crypto *crypto,
			cdl_pkg_reader *r, char *msg, size_t msg_size) CDL_PKG_MUST_CHECK;

/* The parsed header (valid after a successful parse/open), or NULL. */
const cdl_pkg_header *cdl_pkg_reader_header(const cdl_pkg_reader *r);

/*
 * Decrypts block index into out[0..block_size), out_size >= block_size; out
 * should be trusted memory. The last block includes its zero padding (checked
 * to be zero). On any failure out[0..block_size) is wiped: no unauthenticated
 * plaintext is ever left behind.
 */
cdl_status cdl_pkg_read_block(cdl_pkg_reader *r, uint32_t index, uint8_t *out, size_t out_size,
			      char *msg, size_t msg_size) CDL_PKG_MUST_CHECK;

/*
 * Plaintext stream bytes [offset, offset + len) into out. Whole blocks inside
 * the range are decrypted straight into out; partial ones go through scratch
 * (scratch_size >= block_size), which is wiped afterwards. On failure
 * out[0..len) is wiped.
 */
cdl_status cdl_pkg_read_range(cdl_pkg_reader *r, uint64_t offset, size_t len, uint8_t *out,
			      uint8_t *scratch, size_t scratch_size, char *msg,
			      size_t msg_size) CDL_PKG_MUST_CHECK;

/*
 * Decrypts every block into scratch (>= block_size, wiped afterwards) to
 * check every tag: a load-time check for callers that will stream blocks
 * later. First failing block in msg.
 */
cdl_status cdl_pkg_verify_blocks(cdl_pkg_reader *r, uint8_t *scratch, size_t scratch_size,
				 char *msg, size_t msg_size) CDL_PKG_MUST_CHECK;

/* Wipes the content key and the whole reader. NULL is accepted. */
void cdl_pkg_close(cdl_pkg_reader *r);

/* Memory wipe that the compiler may not drop (freestanding explicit_bzero). */
void cdl_pkg_wipe(void *p, size_t len);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes with NUL). */
void cdl_pkg_hex(const uint8_t *p, size_t len, char *out);

/* A short name for a status, e.g. "integrity failure". Never NULL. */
const char *cdl_pkg_status_name(cdl_status s);

#endif /* CDL_FORMAT_READER_H */
