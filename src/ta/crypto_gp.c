/* SPDX-License-Identifier: Apache-2.0 */
/* cdl_pkg_crypto over the GP TEE Internal Core API (see crypto_gp.h). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto_gp.h"
#include "ta_status.h"

#define EC_COORD_LEN 32u
#define EC_BITS 256u
#define GCM_TAG_BITS (CDL_PKG_TAG_LEN * 8u)
#define HMAC_SHA256_LEN 32u
/*
 * GP allows HMAC-SHA256 keys of 192..1024 bits. HMAC pads any key shorter
 * than the hash block (64 bytes) with zeros, so a shorter key (the 16-byte
 * HKDF salt) zero-padded to HMAC_MIN_KEY bytes gives the same MAC.
 */
#define HMAC_MIN_KEY 32u
#define HMAC_BLOCK 64u
#define HMAC_MAX_KEY 128u

/* Equality of secrets without a data-dependent branch. */
static bool ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;
	size_t i = 0;

	for (i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

static void wipe(void *p, size_t n)
{
	TEE_MemFill(p, 0, n);
}

static cdl_status sha256(void *ctx, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
			 uint8_t out[CDL_PKG_HASH_LEN])
{
	cdl_ta_crypto *c = ctx;
	size_t n = CDL_PKG_HASH_LEN;
	TEE_Result res = TEE_SUCCESS;

	if ((!a && a_len) || (!b && b_len))
		return CDL_ERR_INVALID_ARGUMENT;
	if (a_len)
		TEE_DigestUpdate(c->digest, a, a_len);
	res = TEE_DigestDoFinal(c->digest, b_len ? b : NULL, b_len, out, &n);
	if (res != TEE_SUCCESS)
		return cdl_ta_result_to_status(res);
	return n == CDL_PKG_HASH_LEN ? CDL_OK : CDL_ERR_TEE;
}

/*
 * A P-256 public key object from an uncompressed point that may come from
 * the attacker (a package header). TEE_PopulateTransientObject is where the
 * TEE validates the point; its refusal means "not a valid point".
 */
static cdl_status load_point(uint32_t type, const uint8_t pub[CDL_PKG_PUBKEY_LEN],
			     TEE_ObjectHandle *out)
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Attribute attrs[3];
	TEE_Result res = TEE_SUCCESS;

	*out = TEE_HANDLE_NULL;
	if (pub[0] != 0x04)
		return CDL_ERR_INTEGRITY;
	res = TEE_AllocateTransientObject(type, EC_BITS, &o);
	if (res != TEE_SUCCESS)
		return cdl_ta_result_to_status(res);
	TEE_InitRefAttribute(&attrs[0], TEE_ATTR_ECC_PUBLIC_VALUE_X, pub + 1, EC_COORD_LEN);
	TEE_InitRefAttribute(&attrs[1], TEE_ATTR_ECC_PUBLIC_VALUE_Y, pub + 1 + EC_COORD_LEN,
			     EC_COORD_LEN);
	TEE_InitValueAttribute(&attrs[2], TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	res = TEE_PopulateTransientObject(o, attrs, 3);
	if (res != TEE_SUCCESS) {
		TEE_FreeTransientObject(o);
		return res == TEE_ERROR_OUT_OF_MEMORY ? CDL_ERR_SECURE_MEMORY : CDL_ERR_INTEGRITY;
	}
	*out = o;
	return CDL_OK;
}

static cdl_status ecdsa_p256_verify(void *ctx, const uint8_t pub[CDL_PKG_PUBKEY_LEN],
				    const uint8_t hash[CDL_PKG_HASH_LEN],
				    const uint8_t sig[CDL_PKG_SIG_LEN])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Result res = TEE_SUCCESS;
	cdl_status s = load_point(TEE_TYPE_ECDSA_PUBLIC_KEY, pub, &key);

	if (s != CDL_OK)
		return s;
	res = TEE_AllocateOperation(&op, TEE_ALG_ECDSA_P256, TEE_MODE_VERIFY, EC_BITS);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, key);
	if (res != TEE_SUCCESS) {
		s = cdl_ta_result_to_status(res);
		goto out;
	}
	res = TEE_AsymmetricVerifyDigest(op, NULL, 0, hash, CDL_PKG_HASH_LEN, sig, CDL_PKG_SIG_LEN);
	if (res == TEE_SUCCESS)
		s = CDL_OK;
	else if (res == TEE_ERROR_SIGNATURE_INVALID)
		s = CDL_ERR_INTEGRITY;
	else
		s = cdl_ta_result_to_status(res);
out:
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(key);
	return s;
}

/* Loads key into the cached GCM operation unless it is there already. */
static cdl_status set_gcm_key(cdl_ta_crypto *c, const uint8_t key[CDL_PKG_KEY_LEN])
{
	TEE_Attribute attr;
	TEE_Result res = TEE_SUCCESS;

	if (c->gcm_key_set && ct_equal(c->gcm_key, key, CDL_PKG_KEY_LEN))
		return CDL_OK;
	if (c->gcm_key_set)
		TEE_ResetOperation(c->gcm);
	c->gcm_key_set = false;
	wipe(c->gcm_key, sizeof(c->gcm_key));
	TEE_ResetTransientObject(c->gcm_key_obj);
	TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, key, CDL_PKG_KEY_LEN);
	res = TEE_PopulateTransientObject(c->gcm_key_obj, &attr, 1);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(c->gcm, c->gcm_key_obj);
	if (res != TEE_SUCCESS)
		return cdl_ta_result_to_status(res);
	memcpy(c->gcm_key, key, CDL_PKG_KEY_LEN);
	c->gcm_key_set = true;
	return CDL_OK;
}

static cdl_status aes256gcm_decrypt(void *ctx, const uint8_t key[CDL_PKG_KEY_LEN],
				    const uint8_t nonce[CDL_PKG_GCM_NONCE_LEN], const uint8_t *aad,
				    size_t aad_len, const uint8_t *ct, size_t len,
				    const uint8_t tag[CDL_PKG_TAG_LEN], uint8_t *out)
{
	cdl_ta_crypto *c = ctx;
	uint8_t tag_copy[CDL_PKG_TAG_LEN];
	size_t out_len = len;
	TEE_Result res = TEE_SUCCESS;
	cdl_status s = CDL_OK;

	if ((!ct || !out) && len)
		return CDL_ERR_INVALID_ARGUMENT;
	s = set_gcm_key(c, key);
	if (s != CDL_OK)
		return s;
	res = TEE_AEInit(c->gcm, nonce, CDL_PKG_GCM_NONCE_LEN, GCM_TAG_BITS, aad_len, len);
	if (res != TEE_SUCCESS)
		return cdl_ta_result_to_status(res);
	if (aad_len)
		TEE_AEUpdateAAD(c->gcm, aad, aad_len);
	/* GP's tag argument is not const. The TEE's GCM compares it in
	 * constant time and writes no plaintext that did not verify. */
	memcpy(tag_copy, tag, sizeof(tag_copy));
	res = TEE_AEDecryptFinal(c->gcm, ct, len, out, &out_len, tag_copy, CDL_PKG_TAG_LEN);
	if (res == TEE_SUCCESS && out_len != len)
		res = TEE_ERROR_GENERIC;
	if (res == TEE_ERROR_MAC_INVALID)
		return CDL_ERR_INTEGRITY;
	return cdl_ta_result_to_status(res);
}

static cdl_status device_key_id(void *ctx, uint8_t id[CDL_PKG_KEY_ID_LEN])
{
	cdl_ta_crypto *c = ctx;

	if (!c->dev || !c->dev->loaded)
		return CDL_ERR_STATE;
	memcpy(id, c->dev->id, CDL_PKG_KEY_ID_LEN);
	return CDL_OK;
}

/* out = HMAC-SHA256(key, a || b). */
static cdl_status hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *a, size_t a_len,
			      const uint8_t *b, size_t b_len, uint8_t out[HMAC_SHA256_LEN])
{
	uint8_t padded[HMAC_MAX_KEY];
	size_t padded_len = key_len < HMAC_MIN_KEY ? HMAC_MIN_KEY : key_len;
	TEE_ObjectHandle k = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Attribute attr;
	size_t n = HMAC_SHA256_LEN;
	TEE_Result res = TEE_SUCCESS;

	/* Zero padding is only MAC-neutral up to the block size. */
	if (key_len > HMAC_BLOCK)
		return CDL_ERR_UNSUPPORTED;
	memset(padded, 0, sizeof(padded));
	memcpy(padded, key, key_len);
	res = TEE_AllocateTransientObject(TEE_TYPE_HMAC_SHA256, (uint32_t)padded_len * 8, &k);
	if (res != TEE_SUCCESS)
		goto out;
	TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, padded, padded_len);
	res = TEE_PopulateTransientObject(k, &attr, 1);
	if (res != TEE_SUCCESS)
		goto out;
	res =
	    TEE_AllocateOperation(&op, TEE_ALG_HMAC_SHA256, TEE_MODE_MAC, (uint32_t)padded_len * 8);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_SetOperationKey(op, k);
	if (res != TEE_SUCCESS)
		goto out;
	TEE_MACInit(op, NULL, 0);
	if (a_len)
		TEE_MACUpdate(op, a, a_len);
	res = TEE_MACComputeFinal(op, b_len ? b : NULL, b_len, out, &n);
	if (res == TEE_SUCCESS && n != HMAC_SHA256_LEN)
		res = TEE_ERROR_GENERIC;
out:
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(k);
	wipe(padded, sizeof(padded));
	return cdl_ta_result_to_status(res);
}

/*
 * kek = HKDF-SHA256(IKM = ECDH(device private, peer).x, salt, info, L = 32)
 * (RFC 5869): PRK = HMAC(salt, IKM); OKM = T(1) = HMAC(PRK, info || 0x01).
 */
static cdl_status derive_kek(void *ctx, const uint8_t peer_pub[CDL_PKG_PUBKEY_LEN],
			     const uint8_t *salt, size_t salt_len, const uint8_t *info,
			     size_t info_len, uint8_t kek[CDL_PKG_KEY_LEN])
{
	cdl_ta_crypto *c = ctx;
	static const uint8_t one = 0x01;
	TEE_ObjectHandle peer = TEE_HANDLE_NULL;
	TEE_ObjectHandle shared = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Attribute attrs[2];
	uint8_t z[EC_COORD_LEN];
	uint8_t prk[HMAC_SHA256_LEN];
	size_t z_len = sizeof(z);
	TEE_Result res = TEE_SUCCESS;
	cdl_status s = CDL_OK;

	if (!c->dev || !c->dev->loaded)
		return CDL_ERR_STATE;
	if ((!salt && salt_len) || (!info && info_len))
		return CDL_ERR_INVALID_ARGUMENT;
	/*
	 * GP: TEE_DeriveKey panics on an invalid public value, and the
	 * ephemeral point is the attacker's. Validate it first by loading it
	 * as a key (the object itself is not used further).
	 */
	s = load_point(TEE_TYPE_ECDH_PUBLIC_KEY, peer_pub, &peer);
	if (s != CDL_OK)
		return s;
	res = TEE_AllocateOperation(&op, TEE_ALG_ECDH_P256, TEE_MODE_DERIVE, EC_BITS);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, c->dev->pair);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateTransientObject(TEE_TYPE_GENERIC_SECRET, EC_BITS, &shared);
	if (res != TEE_SUCCESS) {
		s = cdl_ta_result_to_status(res);
		goto out;
	}
	TEE_InitRefAttribute(&attrs[0], TEE_ATTR_ECC_PUBLIC_VALUE_X, peer_pub + 1, EC_COORD_LEN);
	TEE_InitRefAttribute(&attrs[1], TEE_ATTR_ECC_PUBLIC_VALUE_Y, peer_pub + 1 + EC_COORD_LEN,
			     EC_COORD_LEN);
	TEE_DeriveKey(op, attrs, 2, shared);
	res = TEE_GetObjectBufferAttribute(shared, TEE_ATTR_SECRET_VALUE, z, &z_len);
	if (res == TEE_SUCCESS && z_len != sizeof(z))
		res = TEE_ERROR_GENERIC;
	if (res != TEE_SUCCESS) {
		s = cdl_ta_result_to_status(res);
		goto out;
	}
	s = hmac_sha256(salt, salt_len, z, sizeof(z), NULL, 0, prk);
	if (s == CDL_OK)
		s = hmac_sha256(prk, sizeof(prk), info, info_len, &one, 1, kek);
out:
	wipe(z, sizeof(z));
	wipe(prk, sizeof(prk));
	TEE_FreeTransientObject(shared);
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(peer);
	return s;
}

cdl_status cdl_ta_crypto_init(cdl_ta_crypto *c, const cdl_ta_device_key *dev)
{
	TEE_Result res = TEE_SUCCESS;

	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->crypto.ctx = c;
	c->crypto.sha256 = sha256;
	c->crypto.ecdsa_p256_verify = ecdsa_p256_verify;
	c->crypto.aes256gcm_decrypt = aes256gcm_decrypt;
	c->crypto.device_key_id = device_key_id;
	c->crypto.derive_kek = derive_kek;
	res = TEE_AllocateOperation(&c->digest, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateOperation(&c->gcm, TEE_ALG_AES_GCM, TEE_MODE_DECRYPT,
					    CDL_PKG_KEY_LEN * 8);
	if (res == TEE_SUCCESS)
		res =
		    TEE_AllocateTransientObject(TEE_TYPE_AES, CDL_PKG_KEY_LEN * 8, &c->gcm_key_obj);
	if (res != TEE_SUCCESS) {
		cdl_ta_crypto_fini(c);
		return cdl_ta_result_to_status(res);
	}
	return CDL_OK;
}

void cdl_ta_crypto_fini(cdl_ta_crypto *c)
{
	if (!c)
		return;
	if (c->digest != TEE_HANDLE_NULL)
		TEE_FreeOperation(c->digest);
	if (c->gcm != TEE_HANDLE_NULL)
		TEE_FreeOperation(c->gcm);
	if (c->gcm_key_obj != TEE_HANDLE_NULL)
		TEE_FreeTransientObject(c->gcm_key_obj);
	wipe(c, sizeof(*c));
}
