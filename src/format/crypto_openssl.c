/* SPDX-License-Identifier: Apache-2.0 */
/* cdl_pkg_crypto over OpenSSL 3: see crypto_openssl.h. */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "format/crypto_openssl.h"
#include "format/keys.h"

static cdl_status ossl_sha256(void *ctx, const uint8_t *a, size_t a_len, const uint8_t *b,
			      size_t b_len, uint8_t out[CDL_PKG_HASH_LEN])
{
	cdl_pkg_openssl *o = ctx;
	unsigned int len = 0;

	if (!EVP_DigestInit_ex2(o->mdctx, o->sha256, NULL) ||
	    !EVP_DigestUpdate(o->mdctx, a, a_len) ||
	    (b_len && !EVP_DigestUpdate(o->mdctx, b, b_len)) ||
	    !EVP_DigestFinal_ex(o->mdctx, out, &len) || len != CDL_PKG_HASH_LEN) {
		ERR_clear_error();
		return CDL_ERR_INTERNAL;
	}
	return CDL_OK;
}

/* r || s -> DER ECDSA-Sig-Value, which is what EVP_PKEY_verify takes. */
static int sig_to_der(const uint8_t sig[CDL_PKG_SIG_LEN], uint8_t **der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL);
	BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
	int len = -1;

	*der = NULL;
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	len = i2d_ECDSA_SIG(es, der);
out:
	ECDSA_SIG_free(es);
	return len;
}

static cdl_status ossl_ecdsa_verify(void *ctx, const uint8_t pub[CDL_PKG_PUBKEY_LEN],
				    const uint8_t hash[CDL_PKG_HASH_LEN],
				    const uint8_t sig[CDL_PKG_SIG_LEN])
{
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	int der_len = 0;
	cdl_status s = CDL_OK;

	(void)ctx;
	s = cdl_key_from_point(pub, &key);
	if (s != CDL_OK)
		goto out;
	der_len = sig_to_der(sig, &der);
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (der_len <= 0 || !pctx || EVP_PKEY_verify_init(pctx) <= 0) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	/* 1 = valid; 0 = invalid; < 0 = malformed (r or s out of range): reject. */
	if (EVP_PKEY_verify(pctx, der, (size_t)der_len, hash, CDL_PKG_HASH_LEN) != 1)
		s = CDL_ERR_INTEGRITY;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(key);
	return s;
}

static cdl_status ossl_gcm_decrypt(void *ctx, const uint8_t key[CDL_PKG_KEY_LEN],
				   const uint8_t nonce[CDL_PKG_GCM_NONCE_LEN], const uint8_t *aad,
				   size_t aad_len, const uint8_t *ct, size_t len,
				   const uint8_t tag[CDL_PKG_TAG_LEN], uint8_t *out)
{
	cdl_pkg_openssl *o = ctx;
	uint8_t tag_copy[CDL_PKG_TAG_LEN];
	int n = 0;
	cdl_status s = CDL_OK;

	memcpy(tag_copy, tag, sizeof(tag_copy));
	/*
	 * Consecutive blocks use the same content key: keep the key schedule
	 * and only set the nonce.
	 */
	if (!o->key_set || CRYPTO_memcmp(o->key, key, CDL_PKG_KEY_LEN) != 0) {
		o->key_set = false;
		if (!EVP_DecryptInit_ex2(o->cctx, o->gcm, key, NULL, NULL)) {
			s = CDL_ERR_INTERNAL;
			goto out;
		}
		memcpy(o->key, key, CDL_PKG_KEY_LEN);
		o->key_set = true;
	}
	if (aad_len > INT_MAX || !EVP_DecryptInit_ex2(o->cctx, NULL, NULL, nonce, NULL) ||
	    (aad_len && !EVP_DecryptUpdate(o->cctx, NULL, &n, aad, (int)aad_len))) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	/* EVP takes int lengths: feed large inputs in pieces (in place is fine). */
	while (len) {
		size_t chunk = len > (1u << 30) ? (1u << 30) : len;

		if (!EVP_DecryptUpdate(o->cctx, out, &n, ct, (int)chunk)) {
			s = CDL_ERR_INTERNAL;
			goto out;
		}
		ct += chunk;
		out += chunk;
		len -= chunk;
	}
	if (!EVP_CIPHER_CTX_ctrl(o->cctx, EVP_CTRL_GCM_SET_TAG, CDL_PKG_TAG_LEN, tag_copy)) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	/* The constant-time tag compare happens here. */
	if (EVP_DecryptFinal_ex(o->cctx, out, &n) <= 0)
		s = CDL_ERR_INTEGRITY;
out:
	ERR_clear_error();
	return s;
}

static cdl_status ossl_device_key_id(void *ctx, uint8_t id[CDL_PKG_KEY_ID_LEN])
{
	cdl_pkg_openssl *o = ctx;

	if (!o->device_key)
		return CDL_ERR_STATE;
	memcpy(id, o->device_key_id, CDL_PKG_KEY_ID_LEN);
	return CDL_OK;
}

static cdl_status ossl_derive_kek(void *ctx, const uint8_t peer_pub[CDL_PKG_PUBKEY_LEN],
				  const uint8_t *salt, size_t salt_len, const uint8_t *info,
				  size_t info_len, uint8_t kek[CDL_PKG_KEY_LEN])
{
	cdl_pkg_openssl *o = ctx;
	EVP_PKEY *peer = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_KDF_CTX *kctx = NULL;
	uint8_t secret[32];
	size_t secret_len = sizeof(secret);
	OSSL_PARAM params[5];
	cdl_status s = CDL_OK;

	if (!o->device_key)
		return CDL_ERR_STATE;
	s = cdl_key_from_point(peer_pub, &peer);
	if (s != CDL_OK)
		goto out;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, o->device_key, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(dctx, peer, 1) <= 0 ||
	    EVP_PKEY_derive(dctx, secret, &secret_len) <= 0 || secret_len != sizeof(secret)) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	params[4] = OSSL_PARAM_construct_end();
	kctx = EVP_KDF_CTX_new(o->hkdf);
	if (!kctx || EVP_KDF_derive(kctx, kek, CDL_PKG_KEY_LEN, params) <= 0) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	ERR_clear_error();
	EVP_KDF_CTX_free(kctx);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(peer);
	return s;
}

cdl_status cdl_pkg_openssl_init(cdl_pkg_openssl *o, EVP_PKEY *device_key)
{
	cdl_status s = CDL_OK;

	memset(o, 0, sizeof(*o));
	o->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	o->cctx = EVP_CIPHER_CTX_new();
	o->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	o->mdctx = EVP_MD_CTX_new();
	o->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!o->gcm || !o->cctx || !o->sha256 || !o->mdctx || !o->hkdf) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	if (device_key) {
		s = cdl_key_id(device_key, o->device_key_id);
		if (s != CDL_OK)
			goto out;
		if (!EVP_PKEY_up_ref(device_key)) {
			s = CDL_ERR_INTERNAL;
			goto out;
		}
		o->device_key = device_key;
	}
	o->crypto.ctx = o;
	o->crypto.sha256 = ossl_sha256;
	o->crypto.ecdsa_p256_verify = ossl_ecdsa_verify;
	o->crypto.aes256gcm_decrypt = ossl_gcm_decrypt;
	if (device_key) {
		o->crypto.device_key_id = ossl_device_key_id;
		o->crypto.derive_kek = ossl_derive_kek;
	}
out:
	ERR_clear_error();
	if (s != CDL_OK)
		cdl_pkg_openssl_fini(o);
	return s;
}

void cdl_pkg_openssl_fini(cdl_pkg_openssl *o)
{
	if (!o)
		return;
	EVP_PKEY_free(o->device_key);
	EVP_CIPHER_free(o->gcm);
	EVP_CIPHER_CTX_free(o->cctx); /* cleanses the key schedule */
	EVP_MD_free(o->sha256);
	EVP_MD_CTX_free(o->mdctx);
	EVP_KDF_free(o->hkdf);
	OPENSSL_cleanse(o, sizeof(*o));
}
