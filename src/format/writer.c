/* SPDX-License-Identifier: Apache-2.0 */
/* Package writer: see writer.h and docs/package-format.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "format/crypto_openssl.h"
#include "format/internal.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"

#define PROGRESS_STEP (1u << 20)

static bool sha256_2(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
		     uint8_t out[CDL_PKG_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	bool ok = ctx && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) &&
		  EVP_DigestUpdate(ctx, a, a_len) && (!b_len || EVP_DigestUpdate(ctx, b, b_len)) &&
		  EVP_DigestFinal_ex(ctx, out, &len) && len == CDL_PKG_HASH_LEN;

	EVP_MD_CTX_free(ctx);
	return ok;
}

/* ---- input checks (the reader checks the same; these give better messages) */

static cdl_status check_tensor(const cdl_pkg_tensor_info *t, const char *kind, unsigned int i,
			       char *msg, size_t msg_size)
{
	size_t n = strnlen(t->name, sizeof(t->name));

	if (n == 0 || n > CDL_PKG_MAX_NAME)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack %s %u: name length must be 1..%u", kind, i,
				    CDL_PKG_MAX_NAME);
	for (size_t k = 0; k < n; k++)
		if (t->name[k] < 0x20 || t->name[k] > 0x7e)
			return cdl_fmt_fail(
			    msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "failed to pack %s '%.*s': names must be printable ASCII", kind, (int)k,
			    t->name);
	if (t->dtype == 0)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack %s '%s': dtype is undefined (0)", kind,
				    t->name);
	if (t->rank > CDL_PKG_MAX_RANK)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack %s '%s': rank %u, at most %u", kind, t->name,
				    t->rank, CDL_PKG_MAX_RANK);
	for (unsigned int d = 0; d < t->rank; d++)
		if (t->dims[d] < 0 || t->dims[d] > CDL_PKG_MAX_DIM)
			return cdl_fmt_fail(
			    msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "failed to pack %s '%s': dim %u is %lld, must be 0..2^32-1", kind,
			    t->name, d, (long long)t->dims[d]);
	return CDL_OK;
}

static cdl_status check_params(const cdl_pkg_write_params *p, uint32_t block_size, char *msg,
			       size_t msg_size)
{
	cdl_status s = CDL_OK;
	uint64_t blocks = 0;

	if (!p->plan || p->plan_len == 0)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: the plan is empty");
	if (!p->device_pub || !p->provider_key)
		return cdl_fmt_fail(
		    msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
		    "failed to pack: device public key and provider key are required");
	if (block_size < CDL_PKG_MIN_BLOCK_SIZE || block_size > CDL_PKG_MAX_BLOCK_SIZE ||
	    block_size % CDL_PKG_BLOCK_ALIGN)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack with block size %u: must be a multiple of 4096 "
				    "in 4096..16777216",
				    block_size);
	blocks = ((uint64_t)p->plan_len + block_size - 1) / block_size;
	if (blocks > CDL_PKG_MAX_BLOCKS)
		return cdl_fmt_fail(
		    msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
		    "failed to pack a %zu-byte plan with block size %u: %llu blocks, "
		    "at most %u; use a larger block size",
		    p->plan_len, block_size, (unsigned long long)blocks, CDL_PKG_MAX_BLOCKS);
	if (p->n_inputs == 0 || p->n_inputs > CDL_PKG_MAX_IO || !p->inputs || p->n_outputs == 0 ||
	    p->n_outputs > CDL_PKG_MAX_IO || !p->outputs)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: %u inputs and %u outputs, each must be 1..%u",
				    p->n_inputs, p->n_outputs, CDL_PKG_MAX_IO);
	for (unsigned int i = 0; i < p->n_inputs && s == CDL_OK; i++)
		s = check_tensor(&p->inputs[i], "input", i, msg, msg_size);
	for (unsigned int i = 0; i < p->n_outputs && s == CDL_OK; i++)
		s = check_tensor(&p->outputs[i], "output", i, msg, msg_size);
	if (s != CDL_OK)
		return s;
	switch (p->policy.output_mode) {
	case CDL_PKG_OUTPUT_FULL:
	case CDL_PKG_OUTPUT_LABEL:
		if (p->policy.topk)
			return cdl_fmt_fail(
			    msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "failed to pack: top-k %u given without the top-k output mode",
			    p->policy.topk);
		break;
	case CDL_PKG_OUTPUT_TOPK:
		if (p->policy.topk == 0 || p->policy.topk > 65535)
			return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
					    "failed to pack with top-k %u: K must be 1..65535",
					    p->policy.topk);
		break;
	default:
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: unknown output mode %u",
				    p->policy.output_mode);
	}
	if (p->preproc && p->preproc->present &&
	    (p->preproc->n_channels == 0 || p->preproc->n_channels > CDL_PKG_MAX_CHANNELS ||
	     p->preproc->input_index >= p->n_inputs))
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: preprocessing needs 1..%u channels and an "
				    "existing input index",
				    CDL_PKG_MAX_CHANNELS);
	if ((size_t)p->n_extra_ext + 1 > CDL_PKG_MAX_EXT || (p->n_extra_ext && !p->extra_ext))
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: too many extension records");
	return CDL_OK;
}

/* ---- header serialisation ------------------------------------------------ */

typedef struct out_buf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool overflow;
} out_buf;

static uint8_t *ob_take(out_buf *o, size_t n)
{
	uint8_t *p = NULL;

	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return NULL;
	}
	p = o->p + o->len;
	o->len += n;
	return p;
}

static void ob_bytes(out_buf *o, const void *data, size_t n)
{
	uint8_t *p = ob_take(o, n);

	if (p && n)
		memcpy(p, data, n);
}

static void ob_u8(out_buf *o, uint8_t v)
{
	ob_bytes(o, &v, 1);
}

static void ob_u16(out_buf *o, uint16_t v)
{
	uint8_t *p = ob_take(o, 2);

	if (p)
		cdl_pkg_put_u16(p, v);
}

static void ob_u32(out_buf *o, uint32_t v)
{
	uint8_t *p = ob_take(o, 4);

	if (p)
		cdl_pkg_put_u32(p, v);
}

static void ob_u64(out_buf *o, uint64_t v)
{
	uint8_t *p = ob_take(o, 8);

	if (p)
		cdl_pkg_put_u64(p, v);
}

static void ob_f32(out_buf *o, float f)
{
	uint32_t bits = 0;

	memcpy(&bits, &f, sizeof(bits));
	ob_u32(o, bits);
}

static void ob_tensor(out_buf *o, const cdl_pkg_tensor_info *t)
{
	size_t n = strnlen(t->name, sizeof(t->name));

	ob_u16(o, (uint16_t)n);
	ob_bytes(o, t->name, n);
	ob_u8(o, t->dtype);
	ob_u8(o, t->rank);
	for (unsigned int d = 0; d < t->rank; d++)
		ob_u64(o, (uint64_t)t->dims[d]);
}

/*
 * The header with everything but the crypto fields that cdl_pkg_seal fills
 * (recipient, provider key, ephemeral key, wrapped key: left zero).
 */
static cdl_status build_header(const cdl_pkg_write_params *p, uint32_t block_size, uint8_t *hdr,
			       size_t cap, uint32_t *hdr_len, char *msg, size_t msg_size)
{
	out_buf o = {hdr, cap, 0, false};
	const cdl_pkg_preproc *pp = p->preproc && p->preproc->present ? p->preproc : NULL;
	uint32_t block_count = (uint32_t)(((uint64_t)p->plan_len + block_size - 1) / block_size);
	uint8_t *fixed = ob_take(&o, CDL_PKG_FIXED_LEN);
	uint16_t n_ext = (uint16_t)(p->n_extra_ext + (pp ? 1 : 0));

	if (!fixed)
		goto overflow;
	memset(fixed, 0, CDL_PKG_FIXED_LEN);
	memcpy(fixed + CDL_PKG_OFF_MAGIC, CDL_PKG_MAGIC, CDL_PKG_MAGIC_LEN);
	cdl_pkg_put_u16(fixed + CDL_PKG_OFF_VERSION_MAJOR, CDL_PKG_VERSION_MAJOR);
	cdl_pkg_put_u16(fixed + CDL_PKG_OFF_VERSION_MINOR, CDL_PKG_VERSION_MINOR);
	cdl_pkg_put_u32(fixed + CDL_PKG_OFF_BLOCK_SIZE, block_size);
	cdl_pkg_put_u32(fixed + CDL_PKG_OFF_BLOCK_COUNT, block_count);
	cdl_pkg_put_u64(fixed + CDL_PKG_OFF_STREAM_LEN, p->plan_len);
	if (RAND_bytes(fixed + CDL_PKG_OFF_MODEL_ID, CDL_PKG_MODEL_ID_LEN) != 1 ||
	    RAND_bytes(fixed + CDL_PKG_OFF_NONCE, CDL_PKG_NONCE_LEN) != 1)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "failed to pack: random number generator failed");
	cdl_pkg_put_u16(fixed + CDL_PKG_OFF_OUTPUT_MODE, p->policy.output_mode);
	cdl_pkg_put_u32(fixed + CDL_PKG_OFF_TOPK, p->policy.topk);
	cdl_pkg_put_u64(fixed + CDL_PKG_OFF_MAX_QUERIES, p->policy.max_queries);
	cdl_pkg_put_u64(fixed + CDL_PKG_OFF_EXPIRY, p->policy.expiry);
	cdl_pkg_put_u16(fixed + CDL_PKG_OFF_N_INPUTS, p->n_inputs);
	cdl_pkg_put_u16(fixed + CDL_PKG_OFF_N_OUTPUTS, p->n_outputs);
	cdl_pkg_put_u16(fixed + CDL_PKG_OFF_N_EXT, n_ext);

	for (unsigned int i = 0; i < p->n_inputs; i++)
		ob_tensor(&o, &p->inputs[i]);
	for (unsigned int i = 0; i < p->n_outputs; i++)
		ob_tensor(&o, &p->outputs[i]);
	if (pp) {
		ob_u16(&o, CDL_PKG_EXT_PREPROC);
		ob_u16(&o, 0); /* not critical: only `cdl run` needs it */
		ob_u32(&o, CDL_PKG_PREPROC_FIXED_LEN + 8u * pp->n_channels);
		ob_u16(&o, pp->input_index);
		ob_u8(&o, pp->layout);
		ob_u8(&o, pp->channel_order);
		ob_u32(&o, pp->height);
		ob_u32(&o, pp->width);
		ob_u32(&o, pp->resize_short);
		ob_f32(&o, pp->scale);
		ob_u16(&o, pp->n_channels);
		ob_u16(&o, 0);
		for (unsigned int c = 0; c < pp->n_channels; c++)
			ob_f32(&o, pp->mean[c]);
		for (unsigned int c = 0; c < pp->n_channels; c++)
			ob_f32(&o, pp->std[c]);
	}
	for (unsigned int i = 0; i < p->n_extra_ext; i++) {
		ob_u16(&o, p->extra_ext[i].type);
		ob_u16(&o, p->extra_ext[i].flags);
		ob_u32(&o, p->extra_ext[i].len);
		ob_bytes(&o, p->extra_ext[i].data, p->extra_ext[i].len);
	}
	if (!ob_take(&o, CDL_PKG_WRAPPED_KEY_LEN))
		goto overflow;
	memset(hdr + o.len - CDL_PKG_WRAPPED_KEY_LEN, 0, CDL_PKG_WRAPPED_KEY_LEN);
	if (o.overflow)
		goto overflow;
	cdl_pkg_put_u32(hdr + CDL_PKG_OFF_HEADER_LEN, (uint32_t)o.len);
	*hdr_len = (uint32_t)o.len;
	return CDL_OK;
overflow:
	return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
			    "failed to pack: the header would exceed %u bytes", CDL_PKG_MAX_HEADER);
}

/* ---- crypto --------------------------------------------------------------- */

/* DER ECDSA-Sig-Value -> fixed r || s. */
static bool der_to_sig(const uint8_t *der, size_t der_len, uint8_t sig[CDL_PKG_SIG_LEN])
{
	const uint8_t *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r = NULL, *s = NULL;
	bool ok = false;

	if (!es)
		return false;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32;
	ECDSA_SIG_free(es);
	return ok;
}

cdl_status cdl_pkg_sign(uint8_t *pkg, size_t len, EVP_PKEY *provider_key, char *msg,
			size_t msg_size)
{
	uint32_t header_len = 0, block_count = 0;
	uint8_t hash[CDL_PKG_HASH_LEN];
	uint8_t der[80];
	size_t der_len = sizeof(der);
	EVP_PKEY_CTX *ctx = NULL;
	char err[160];
	cdl_status s = CDL_OK;

	if (!pkg || len < CDL_PKG_FIXED_LEN + CDL_PKG_SIG_LEN || !provider_key)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to sign package: too short or no key");
	header_len = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_HEADER_LEN);
	block_count = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_COUNT);
	if (header_len < CDL_PKG_FIXED_LEN ||
	    (uint64_t)header_len + (uint64_t)block_count * CDL_PKG_TAG_LEN + CDL_PKG_SIG_LEN > len)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to sign package: header and tags run past the end");
	s = cdl_key_public_point(provider_key, pkg + CDL_PKG_OFF_PROVIDER_PUB);
	if (s != CDL_OK)
		return cdl_fmt_fail(msg, msg_size, s,
				    "failed to sign package: the provider key is not a P-256 key");
	if (!sha256_2(pkg, header_len + (size_t)block_count * CDL_PKG_TAG_LEN, NULL, 0, hash)) {
		s = CDL_ERR_INTERNAL;
		goto fail;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, provider_key, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_sign(ctx, der, &der_len, hash, sizeof(hash)) <= 0 ||
	    !der_to_sig(der, der_len, pkg + len - CDL_PKG_SIG_LEN)) {
		s = CDL_ERR_INTERNAL;
		goto fail;
	}
	EVP_PKEY_CTX_free(ctx);
	return CDL_OK;
fail:
	EVP_PKEY_CTX_free(ctx);
	return cdl_fmt_fail(msg, msg_size, s, "failed to sign package: %s",
			    cdl_ossl_error(err, sizeof(err)));
}

/* ECDH(ephemeral, device) -> HKDF -> KEK; GCM-wrap the content key. */
static cdl_status wrap_key(uint8_t *hdr, uint32_t header_len, EVP_PKEY *device_pub,
			   const uint8_t content_key[CDL_PKG_KEY_LEN])
{
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_KDF *hkdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	OSSL_PARAM params[5];
	uint8_t info[CDL_PKG_KEK_INFO_LEN];
	uint8_t *kdf_hash = info + CDL_PKG_KEK_INFO_PREFIX_LEN;
	uint8_t secret[32];
	size_t secret_len = sizeof(secret);
	uint8_t kek[CDL_PKG_KEY_LEN];
	uint8_t nonce[CDL_PKG_GCM_NONCE_LEN];
	uint8_t *wrapped = hdr + header_len - CDL_PKG_WRAPPED_KEY_LEN;
	int n = 0;
	cdl_status s = CDL_ERR_INTERNAL;

	memset(nonce, 0, sizeof(nonce));
	eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!eph || cdl_key_public_point(eph, hdr + CDL_PKG_OFF_EPHEMERAL_PUB) != CDL_OK)
		goto out;

	/* KDF context: every header byte except the wrapped key itself. */
	memcpy(info, CDL_PKG_KEK_INFO_PREFIX, CDL_PKG_KEK_INFO_PREFIX_LEN);
	if (!sha256_2(hdr, header_len - CDL_PKG_WRAPPED_KEY_LEN, NULL, 0, kdf_hash))
		goto out;

	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(dctx, device_pub, 1) <= 0 ||
	    EVP_PKEY_derive(dctx, secret, &secret_len) <= 0 || secret_len != sizeof(secret))
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, secret, secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_SALT, hdr + CDL_PKG_OFF_MODEL_ID, CDL_PKG_MODEL_ID_LEN);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info));
	params[4] = OSSL_PARAM_construct_end();
	hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = hkdf ? EVP_KDF_CTX_new(hkdf) : NULL;
	if (!kctx || EVP_KDF_derive(kctx, kek, sizeof(kek), params) <= 0)
		goto out;

	/* The KEK is used exactly once (fresh ephemeral key): a zero nonce is safe. */
	cctx = EVP_CIPHER_CTX_new();
	if (!cctx || !EVP_EncryptInit_ex2(cctx, EVP_aes_256_gcm(), kek, nonce, NULL) ||
	    !EVP_EncryptUpdate(cctx, NULL, &n, kdf_hash, CDL_PKG_HASH_LEN) ||
	    !EVP_EncryptUpdate(cctx, wrapped, &n, content_key, CDL_PKG_KEY_LEN) ||
	    !EVP_EncryptFinal_ex(cctx, wrapped + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, CDL_PKG_TAG_LEN,
				 wrapped + CDL_PKG_KEY_LEN))
		goto out;
	s = CDL_OK;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(kek, sizeof(kek));
	EVP_CIPHER_CTX_free(cctx);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(hkdf);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(eph); /* frees (and clears) the ephemeral private key */
	return s;
}

static cdl_status encrypt_blocks(uint8_t *pkg, uint32_t header_len, uint32_t block_size,
				 uint32_t block_count, const uint8_t content_key[CDL_PKG_KEY_LEN],
				 cdl_pkg_progress_fn progress, void *progress_arg)
{
	uint8_t *tags = pkg + header_len;
	uint8_t *blocks = tags + (size_t)block_count * CDL_PKG_TAG_LEN;
	uint8_t header_hash[CDL_PKG_HASH_LEN];
	uint8_t nonce[CDL_PKG_GCM_NONCE_LEN];
	uint8_t aad[CDL_PKG_BLOCK_AAD_LEN];
	uint64_t total = (uint64_t)block_count * block_size;
	uint64_t reported = 0;
	EVP_CIPHER *gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
	cdl_status s = CDL_ERR_INTERNAL;
	int n = 0;

	if (!gcm || !cctx || !sha256_2(pkg, header_len, NULL, 0, header_hash) ||
	    !EVP_EncryptInit_ex2(cctx, gcm, content_key, NULL, NULL))
		goto out;
	for (uint32_t i = 0; i < block_count; i++) {
		uint8_t *b = blocks + (size_t)i * block_size;

		cdl_pkg_block_nonce(pkg + CDL_PKG_OFF_NONCE, i, nonce);
		cdl_pkg_block_aad(header_hash, i, aad);
		/* Key schedule once (below), then only the nonce per block. */
		if (!EVP_EncryptInit_ex2(cctx, NULL, NULL, nonce, NULL) ||
		    !EVP_EncryptUpdate(cctx, NULL, &n, aad, sizeof(aad)) ||
		    !EVP_EncryptUpdate(cctx, b, &n, b, (int)block_size) ||
		    !EVP_EncryptFinal_ex(cctx, b + n, &n) ||
		    !EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_GCM_GET_TAG, CDL_PKG_TAG_LEN,
					 tags + (size_t)i * CDL_PKG_TAG_LEN))
			goto out;
		if (progress) {
			uint64_t done = (uint64_t)(i + 1) * block_size;

			if (done - reported >= PROGRESS_STEP || i + 1 == block_count) {
				progress(progress_arg, done, total);
				reported = done;
			}
		}
	}
	s = CDL_OK;
out:
	EVP_CIPHER_CTX_free(cctx);
	EVP_CIPHER_free(gcm);
	return s;
}

cdl_status cdl_pkg_seal_with_key(uint8_t *pkg, size_t len,
				 const uint8_t content_key[CDL_PKG_KEY_LEN], EVP_PKEY *device_pub,
				 EVP_PKEY *provider_key, cdl_pkg_progress_fn progress,
				 void *progress_arg, char *msg, size_t msg_size)
{
	uint32_t header_len = 0, block_size = 0, block_count = 0;
	uint64_t total = 0;
	char err[160];
	cdl_status s = CDL_OK;

	if (!pkg || len < CDL_PKG_FIXED_LEN || !content_key || !device_pub || !provider_key)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to seal package: no package or keys");
	header_len = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_HEADER_LEN);
	block_size = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_SIZE);
	block_count = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_COUNT);
	if (header_len < CDL_PKG_MIN_HEADER || header_len > CDL_PKG_MAX_HEADER || block_size == 0 ||
	    block_size > CDL_PKG_MAX_BLOCK_SIZE ||
	    !cdl_pkg_total_len(header_len, block_size, block_count, &total) || total != len)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to seal package: its sizes do not match its length");

	/* Recipient and signer first: both are part of what the KEK binds. */
	s = cdl_key_id(device_pub, pkg + CDL_PKG_OFF_RECIPIENT);
	if (s == CDL_OK)
		s = cdl_key_public_point(provider_key, pkg + CDL_PKG_OFF_PROVIDER_PUB);
	if (s != CDL_OK)
		return cdl_fmt_fail(msg, msg_size, s,
				    "failed to seal package: device or provider key is not P-256");
	s = wrap_key(pkg, header_len, device_pub, content_key);
	if (s != CDL_OK)
		return cdl_fmt_fail(msg, msg_size, s, "failed to wrap the content key: %s",
				    cdl_ossl_error(err, sizeof(err)));
	s = encrypt_blocks(pkg, header_len, block_size, block_count, content_key, progress,
			   progress_arg);
	if (s != CDL_OK)
		return cdl_fmt_fail(msg, msg_size, s, "failed to encrypt the blocks: %s",
				    cdl_ossl_error(err, sizeof(err)));
	return cdl_pkg_sign(pkg, len, provider_key, msg, msg_size);
}

cdl_status cdl_pkg_seal(uint8_t *pkg, size_t len, EVP_PKEY *device_pub, EVP_PKEY *provider_key,
			cdl_pkg_progress_fn progress, void *progress_arg, char *msg,
			size_t msg_size)
{
	uint8_t content_key[CDL_PKG_KEY_LEN];
	cdl_status s = CDL_OK;

	/* Fresh per package: the one thing that makes every nonce unique. */
	if (RAND_bytes(content_key, sizeof(content_key)) != 1)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "failed to seal package: random number generator failed");
	s = cdl_pkg_seal_with_key(pkg, len, content_key, device_pub, provider_key, progress,
				  progress_arg, msg, msg_size);
	OPENSSL_cleanse(content_key, sizeof(content_key));
	return s;
}

/* The writer's own check: read the result back the way inspect does. */
static cdl_status self_check(const uint8_t *pkg, size_t len, char *msg, size_t msg_size)
{
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = malloc(sizeof(*r));
	char rmsg[256] = "";
	cdl_status s = CDL_OK;

	if (!r)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	s = cdl_pkg_openssl_init(&o, NULL);
	if (s == CDL_OK) {
		s = cdl_pkg_parse_header(pkg, len, &o.crypto, r, rmsg, sizeof(rmsg));
		cdl_pkg_openssl_fini(&o);
	}
	cdl_pkg_close(r);
	free(r);
	if (s != CDL_OK)
		return cdl_fmt_fail(msg, msg_size, s,
				    "failed to pack: the result does not read back: %s", rmsg);
	return CDL_OK;
}

cdl_status cdl_pkg_write(const cdl_pkg_write_params *p, uint8_t **out, size_t *out_len,
			 cdl_pkg_write_info *info, char *msg, size_t msg_size)
{
	uint8_t hdr[CDL_PKG_MAX_HEADER];
	uint32_t block_size = 0, block_count = 0, header_len = 0;
	uint64_t total = 0;
	uint8_t *pkg = NULL;
	uint8_t *blocks = NULL;
	cdl_status s = CDL_OK;

	if (!p || !out || !out_len)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: NULL argument");
	*out = NULL;
	*out_len = 0;
	block_size = p->block_size ? p->block_size : CDL_PKG_DEFAULT_BLOCK_SIZE;
	s = check_params(p, block_size, msg, msg_size);
	if (s != CDL_OK)
		return s;
	s = build_header(p, block_size, hdr, sizeof(hdr), &header_len, msg, msg_size);
	if (s != CDL_OK)
		return s;
	block_count = cdl_pkg_get_u32(hdr + CDL_PKG_OFF_BLOCK_COUNT);
	if (!cdl_pkg_total_len(header_len, block_size, block_count, &total) || total > SIZE_MAX)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to pack: package size overflows");
	pkg = malloc((size_t)total);
	if (!pkg)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY,
				    "failed to pack: out of memory for %llu bytes",
				    (unsigned long long)total);
	memcpy(pkg, hdr, header_len);
	/* Plaintext goes straight into the block region and is encrypted in place. */
	blocks = pkg + header_len + (size_t)block_count * CDL_PKG_TAG_LEN;
	memcpy(blocks, p->plan, p->plan_len);
	memset(blocks + p->plan_len, 0, (size_t)block_count * block_size - p->plan_len);

	s = cdl_pkg_seal(pkg, (size_t)total, p->device_pub, p->provider_key, p->progress,
			 p->progress_arg, msg, msg_size);
	if (s != CDL_OK)
		goto out;
	s = self_check(pkg, (size_t)total, msg, msg_size);
	if (s != CDL_OK)
		goto out;
	if (info) {
		memset(info, 0, sizeof(*info));
		memcpy(info->model_id, pkg + CDL_PKG_OFF_MODEL_ID, CDL_PKG_MODEL_ID_LEN);
		info->block_size = block_size;
		info->block_count = block_count;
		info->header_len = header_len;
		info->package_len = total;
		memcpy(info->recipient_key_id, pkg + CDL_PKG_OFF_RECIPIENT, CDL_PKG_KEY_ID_LEN);
		if (cdl_key_id(p->provider_key, info->provider_key_id) != CDL_OK)
			memset(info->provider_key_id, 0, CDL_PKG_KEY_ID_LEN);
	}
	*out = pkg;
	*out_len = (size_t)total;
	pkg = NULL;
out:
	if (pkg) {
		/* May still hold plaintext blocks if encryption stopped half way. */
		OPENSSL_cleanse(pkg, (size_t)total);
		free(pkg);
	}
	return s;
}

cdl_status cdl_pkg_write_file(const char *path, const uint8_t *data, size_t len, char *msg,
			      size_t msg_size)
{
	char *tmp = NULL;
	size_t tmp_size = 0;
	int fd = -1;
	cdl_status s = CDL_OK;

	if (!path || (!data && len))
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to write package: no path or data");
	tmp_size = strlen(path) + sizeof(".tmpXXXXXX");
	tmp = malloc(tmp_size);
	if (!tmp)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	snprintf(tmp, tmp_size, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to create %s: %s", tmp,
				 strerror(errno));
		goto out;
	}
	/* mkstemp makes 0600; a package is public (encrypted): make it 0644. */
	(void)fchmod(fd, 0644);
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to write %s: %s", path,
					 strerror(errno));
			goto out;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to write %s: %s", path,
				 strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to rename %s to %s: %s", tmp,
				 path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (s != CDL_OK && tmp)
		unlink(tmp);
	free(tmp);
	return s;
}
