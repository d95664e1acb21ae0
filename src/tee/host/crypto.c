/*
 * Internal Core API §5.5, §5.6 (transient objects) and §6 (cryptographic
 * operations) over OpenSSL 3 libcrypto: AES-GCM, SHA-256, HMAC-SHA256,
 * ECDSA P-256 with SHA-256 digests, ECDH P-256.
 *
 * Misuse that GP says panics (bad handle, wrong state, incompatible key)
 * panics; bad data (a tag, a signature, a point off the curve given to
 * TEE_PopulateTransientObject) returns an error.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "heap.h"
#include "host.h"
#include "objects.h"
#include "tee_internal_api.h"

/* OP-TEE's pre-1.3 identifiers for the same algorithms; accepted too. */
#define OPTEE_ALG_ECDSA_P256_LEGACY 0x70003041
#define OPTEE_ALG_ECDH_P256_LEGACY  0x80003042

#define CDL_OP_MAGIC 0x6f704364u /* "dCpo" */

static EVP_CIPHER *aes_gcm[3]; /* 128, 192, 256 */
static EVP_MD *sha256;
static EVP_MAC *hmac;

int cdl_crypto_init(void)
{
	EVP_PKEY *k = NULL;

	aes_gcm[0] = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
	aes_gcm[1] = EVP_CIPHER_fetch(NULL, "AES-192-GCM", NULL);
	aes_gcm[2] = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!aes_gcm[0] || !aes_gcm[1] || !aes_gcm[2] || !sha256 || !hmac)
		return -1;
	/* Warm up EC and the DRBG so that nothing is loaded lazily later. */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!k)
		return -1;
	EVP_PKEY_free(k);
	return 0;
}

/* ---------------------------------------------------------------- objects */

bool cdl_obj_is_keypair_type(uint32_t type)
{
	return type == TEE_TYPE_ECDSA_KEYPAIR || type == TEE_TYPE_ECDH_KEYPAIR;
}

static bool is_ec_type(uint32_t type)
{
	return type == TEE_TYPE_ECDSA_KEYPAIR || type == TEE_TYPE_ECDH_KEYPAIR ||
	       type == TEE_TYPE_ECDSA_PUBLIC_KEY ||
	       type == TEE_TYPE_ECDH_PUBLIC_KEY;
}

static bool is_secret_type(uint32_t type)
{
	return type == TEE_TYPE_AES || type == TEE_TYPE_GENERIC_SECRET ||
	       type == TEE_TYPE_HMAC_SHA256;
}

struct __TEE_ObjectHandle *cdl_obj_get(TEE_ObjectHandle h)
{
	struct __TEE_ObjectHandle *o = h;

	if (!o || !cdl_pool_contains(&cdl_core_heap, o, sizeof(*o)) ||
	    o->magic != CDL_OBJ_MAGIC) {
		fprintf(stderr, "cdl-tee: TA used an invalid object handle %p\n", h);
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	return o;
}

static bool valid_size(uint32_t type, uint32_t bits)
{
	switch (type) {
	case TEE_TYPE_AES:
		return bits == 128 || bits == 192 || bits == 256;
	case TEE_TYPE_GENERIC_SECRET:
	case TEE_TYPE_HMAC_SHA256:
		return bits >= 8 && bits <= CDL_SECRET_MAX * 8 && bits % 8 == 0;
	case TEE_TYPE_ECDSA_KEYPAIR:
	case TEE_TYPE_ECDH_KEYPAIR:
	case TEE_TYPE_ECDSA_PUBLIC_KEY:
	case TEE_TYPE_ECDH_PUBLIC_KEY:
		return bits == 256;
	default:
		return false;
	}
}

TEE_Result TEE_AllocateTransientObject(TEE_ObjectType objectType,
				       uint32_t maxObjectSize,
				       TEE_ObjectHandle *object)
{
	struct __TEE_ObjectHandle *o = NULL;

	if (!object)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	*object = TEE_HANDLE_NULL;
	if (!is_secret_type(objectType) && !is_ec_type(objectType))
		return TEE_ERROR_NOT_SUPPORTED;
	if (!valid_size(objectType, maxObjectSize))
		return TEE_ERROR_NOT_SUPPORTED;
	o = cdl_core_calloc(sizeof(*o));
	if (!o)
		return TEE_ERROR_OUT_OF_MEMORY;
	o->magic = CDL_OBJ_MAGIC;
	o->type = objectType;
	o->max_size = maxObjectSize;
	o->usage = 0xFFFFFFFFu;
	*object = o;
	return TEE_SUCCESS;
}

static void obj_free(struct __TEE_ObjectHandle *o)
{
	explicit_bzero(o, sizeof(*o));
	cdl_core_free(o);
}

void TEE_FreeTransientObject(TEE_ObjectHandle object)
{
	struct __TEE_ObjectHandle *o = NULL;

	if (object == TEE_HANDLE_NULL)
		return;
	o = cdl_obj_get(object);
	if (o->flags & TEE_HANDLE_FLAG_PERSISTENT)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	obj_free(o);
}

void TEE_CloseObject(TEE_ObjectHandle object)
{
	struct __TEE_ObjectHandle *o = NULL;

	if (object == TEE_HANDLE_NULL)
		return;
	o = cdl_obj_get(object);
	if (o->flags & TEE_HANDLE_FLAG_PERSISTENT) {
		cdl_storage_close(o);
		return;
	}
	obj_free(o);
}

void TEE_ResetTransientObject(TEE_ObjectHandle object)
{
	struct __TEE_ObjectHandle *o = NULL;

	if (object == TEE_HANDLE_NULL)
		return;
	o = cdl_obj_get(object);
	if (o->flags & TEE_HANDLE_FLAG_PERSISTENT)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	explicit_bzero(&o->key, sizeof(o->key));
	o->flags &= ~(uint32_t)TEE_HANDLE_FLAG_INITIALIZED;
	o->key_size = 0;
	o->usage = 0xFFFFFFFFu;
}

TEE_Result TEE_RestrictObjectUsage1(TEE_ObjectHandle object,
				    uint32_t objectUsage)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);

	o->usage &= objectUsage;
	return TEE_SUCCESS;
}

void TEE_InitRefAttribute(TEE_Attribute *attr, uint32_t attributeID,
			  const void *buffer, size_t length)
{
	if (!attr || (attributeID & TEE_ATTR_FLAG_VALUE))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	attr->attributeID = attributeID;
	attr->content.ref.buffer = (void *)buffer;
	attr->content.ref.length = length;
}

void TEE_InitValueAttribute(TEE_Attribute *attr, uint32_t attributeID,
			    uint32_t a, uint32_t b)
{
	if (!attr || !(attributeID & TEE_ATTR_FLAG_VALUE))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	attr->attributeID = attributeID;
	attr->content.value.a = a;
	attr->content.value.b = b;
}

static const TEE_Attribute *find_attr(const TEE_Attribute *attrs, uint32_t n,
				      uint32_t id)
{
	uint32_t i = 0;

	for (i = 0; attrs && i < n; i++)
		if (attrs[i].attributeID == id)
			return &attrs[i];
	return NULL;
}

/* Big-endian integer of up to 32 bytes into a 32-byte field. */
static bool put_ec(uint8_t out[CDL_EC_LEN], const TEE_Attribute *a)
{
	const uint8_t *p = NULL;
	size_t n = 0;

	if (!a || (a->content.ref.length && !a->content.ref.buffer))
		return false;
	p = a->content.ref.buffer;
	n = a->content.ref.length;
	while (n > CDL_EC_LEN && *p == 0) { /* tolerate leading zeros */
		p++;
		n--;
	}
	if (n > CDL_EC_LEN || n == 0)
		return false;
	memset(out, 0, CDL_EC_LEN - n);
	memcpy(out + CDL_EC_LEN - n, p, n);
	return true;
}

/* An OpenSSL key for P-256 material; checks the point (and the pair). */
static EVP_PKEY *ec_pkey(const struct cdl_key *k, bool with_priv)
{
	uint8_t pub[1 + 2 * CDL_EC_LEN];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *d = NULL;
	int ok = 0;

	pub[0] = 0x04;
	memcpy(pub + 1, k->x, CDL_EC_LEN);
	memcpy(pub + 1 + CDL_EC_LEN, k->y, CDL_EC_LEN);
	if (!bld)
		goto out;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
					      sizeof(pub)))
		goto out;
	if (with_priv) {
		d = BN_secure_new();
		if (!d || !BN_bin2bn(k->d, CDL_EC_LEN, d) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey,
			      with_priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      params) != 1)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check(check) != 1)
		goto out;
	if (with_priv && EVP_PKEY_pairwise_check(check) != 1)
		goto out;
	ok = 1;
out:
	if (!ok) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return pkey;
}

TEE_Result TEE_PopulateTransientObject(TEE_ObjectHandle object,
				       const TEE_Attribute *attrs,
				       uint32_t attrCount)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);
	struct cdl_key k;
	const TEE_Attribute *a = NULL;
	EVP_PKEY *pkey = NULL;
	bool priv = cdl_obj_is_keypair_type(o->type);

	if (o->flags & (TEE_HANDLE_FLAG_INITIALIZED | TEE_HANDLE_FLAG_PERSISTENT))
		TEE_Panic(TEE_ERROR_BAD_STATE);
	memset(&k, 0, sizeof(k));
	if (is_secret_type(o->type)) {
		a = find_attr(attrs, attrCount, TEE_ATTR_SECRET_VALUE);
		if (!a)
			TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
		if (a->content.ref.length > o->max_size / 8 ||
		    (a->content.ref.length && !a->content.ref.buffer) ||
		    !valid_size(o->type, (uint32_t)a->content.ref.length * 8))
			return TEE_ERROR_BAD_PARAMETERS;
		k.secret_len = (uint32_t)a->content.ref.length;
		memcpy(k.secret, a->content.ref.buffer, k.secret_len);
		o->key_size = k.secret_len * 8;
		o->key = k;
		explicit_bzero(&k, sizeof(k));
		o->flags |= TEE_HANDLE_FLAG_INITIALIZED;
		return TEE_SUCCESS;
	}
	a = find_attr(attrs, attrCount, TEE_ATTR_ECC_CURVE);
	if (!a || !find_attr(attrs, attrCount, TEE_ATTR_ECC_PUBLIC_VALUE_X) ||
	    !find_attr(attrs, attrCount, TEE_ATTR_ECC_PUBLIC_VALUE_Y) ||
	    (priv && !find_attr(attrs, attrCount, TEE_ATTR_ECC_PRIVATE_VALUE)))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (a->content.value.a != TEE_ECC_CURVE_NIST_P256)
		return TEE_ERROR_NOT_SUPPORTED;
	k.curve = TEE_ECC_CURVE_NIST_P256;
	if (!put_ec(k.x, find_attr(attrs, attrCount, TEE_ATTR_ECC_PUBLIC_VALUE_X)) ||
	    !put_ec(k.y, find_attr(attrs, attrCount, TEE_ATTR_ECC_PUBLIC_VALUE_Y)) ||
	    (priv && !put_ec(k.d, find_attr(attrs, attrCount,
					     TEE_ATTR_ECC_PRIVATE_VALUE))))
		goto bad;
	k.has_pub = 1;
	k.has_priv = priv;
	pkey = ec_pkey(&k, priv);
	if (!pkey)
		goto bad;
	EVP_PKEY_free(pkey);
	o->key = k;
	o->key_size = 256;
	o->flags |= TEE_HANDLE_FLAG_INITIALIZED;
	explicit_bzero(&k, sizeof(k));
	return TEE_SUCCESS;
bad:
	explicit_bzero(&k, sizeof(k));
	return TEE_ERROR_BAD_PARAMETERS;
}

static int bn_out(const EVP_PKEY *pkey, const char *name, uint8_t out[CDL_EC_LEN])
{
	BIGNUM *bn = NULL;
	int ok = 0;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) == 1)
		ok = BN_bn2binpad(bn, out, CDL_EC_LEN) == CDL_EC_LEN;
	BN_clear_free(bn);
	return ok;
}

TEE_Result TEE_GenerateKey(TEE_ObjectHandle object, uint32_t keySize,
			   const TEE_Attribute *params, uint32_t paramCount)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);
	const TEE_Attribute *curve = NULL;
	EVP_PKEY *pkey = NULL;
	struct cdl_key k;

	if (o->flags & (TEE_HANDLE_FLAG_INITIALIZED | TEE_HANDLE_FLAG_PERSISTENT))
		TEE_Panic(TEE_ERROR_BAD_STATE);
	if (keySize > o->max_size || !valid_size(o->type, keySize))
		return TEE_ERROR_NOT_SUPPORTED;
	memset(&k, 0, sizeof(k));
	if (is_secret_type(o->type)) {
		k.secret_len = keySize / 8;
		TEE_GenerateRandom(k.secret, k.secret_len);
	} else if (cdl_obj_is_keypair_type(o->type)) {
		curve = find_attr(params, paramCount, TEE_ATTR_ECC_CURVE);
		if (curve && curve->content.value.a != TEE_ECC_CURVE_NIST_P256)
			return TEE_ERROR_NOT_SUPPORTED;
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (!pkey)
			return TEE_ERROR_OUT_OF_MEMORY;
		if (!bn_out(pkey, OSSL_PKEY_PARAM_EC_PUB_X, k.x) ||
		    !bn_out(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, k.y) ||
		    !bn_out(pkey, OSSL_PKEY_PARAM_PRIV_KEY, k.d)) {
			EVP_PKEY_free(pkey);
			explicit_bzero(&k, sizeof(k));
			return TEE_ERROR_GENERIC;
		}
		EVP_PKEY_free(pkey);
		k.curve = TEE_ECC_CURVE_NIST_P256;
		k.has_pub = 1;
		k.has_priv = 1;
	} else {
		return TEE_ERROR_NOT_SUPPORTED; /* public keys are not generated */
	}
	o->key = k;
	o->key_size = keySize;
	o->flags |= TEE_HANDLE_FLAG_INITIALIZED;
	explicit_bzero(&k, sizeof(k));
	return TEE_SUCCESS;
}

TEE_Result TEE_GetObjectBufferAttribute(TEE_ObjectHandle object,
					uint32_t attributeID, void *buffer,
					size_t *size)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);
	const uint8_t *src = NULL;
	size_t n = 0;

	if (!size || (attributeID & TEE_ATTR_FLAG_VALUE) ||
	    !(o->flags & TEE_HANDLE_FLAG_INITIALIZED))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (!(attributeID & TEE_ATTR_FLAG_PUBLIC) &&
	    !(o->usage & TEE_USAGE_EXTRACTABLE))
		TEE_Panic(TEE_ERROR_ACCESS_DENIED);
	switch (attributeID) {
	case TEE_ATTR_SECRET_VALUE:
		if (!is_secret_type(o->type))
			return TEE_ERROR_ITEM_NOT_FOUND;
		src = o->key.secret;
		n = o->key.secret_len;
		break;
	case TEE_ATTR_ECC_PUBLIC_VALUE_X:
	case TEE_ATTR_ECC_PUBLIC_VALUE_Y:
		if (!o->key.has_pub)
			return TEE_ERROR_ITEM_NOT_FOUND;
		src = attributeID == TEE_ATTR_ECC_PUBLIC_VALUE_X ? o->key.x : o->key.y;
		n = CDL_EC_LEN;
		break;
	case TEE_ATTR_ECC_PRIVATE_VALUE:
		if (!o->key.has_priv)
			return TEE_ERROR_ITEM_NOT_FOUND;
		src = o->key.d;
		n = CDL_EC_LEN;
		break;
	default:
		return TEE_ERROR_ITEM_NOT_FOUND;
	}
	if (*size < n || !buffer) {
		*size = n;
		return TEE_ERROR_SHORT_BUFFER;
	}
	memcpy(buffer, src, n);
	*size = n;
	return TEE_SUCCESS;
}

TEE_Result TEE_GetObjectValueAttribute(TEE_ObjectHandle object,
				       uint32_t attributeID, uint32_t *a,
				       uint32_t *b)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);

	if (!(attributeID & TEE_ATTR_FLAG_VALUE) ||
	    !(o->flags & TEE_HANDLE_FLAG_INITIALIZED))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (attributeID != TEE_ATTR_ECC_CURVE || !is_ec_type(o->type))
		return TEE_ERROR_ITEM_NOT_FOUND;
	if (a)
		*a = o->key.curve;
	if (b)
		*b = 0;
	return TEE_SUCCESS;
}

/* ------------------------------------------------------------- operations */

struct __TEE_OperationHandle {
	uint32_t magic;
	uint32_t alg;
	uint32_t mode;
	uint32_t op_class;
	uint32_t max_key_size;
	uint32_t key_size;
	uint32_t state;
	bool key_set;
	bool encrypt;
	uint32_t tag_len;   /* AE: bytes */
	/* AE: op->cipher holds the key schedule of op->key for nonces of
	 * gcm_iv_len bytes (see TEE_AEInit). */
	bool gcm_keyed;
	size_t gcm_iv_len;
	struct cdl_key key; /* copy of the key object's material */
	EVP_PKEY *pkey;
	EVP_MD_CTX *md;
	EVP_CIPHER_CTX *cipher;
	EVP_MAC_CTX *mac;
};

static struct __TEE_OperationHandle *op_get(TEE_OperationHandle h)
{
	struct __TEE_OperationHandle *op = h;

	if (!op || !cdl_pool_contains(&cdl_core_heap, op, sizeof(*op)) ||
	    op->magic != CDL_OP_MAGIC) {
		fprintf(stderr, "cdl-tee: TA used an invalid operation handle %p\n", h);
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	return op;
}

static bool is_ecdsa(uint32_t alg)
{
	return alg == TEE_ALG_ECDSA_SHA256 || alg == OPTEE_ALG_ECDSA_P256_LEGACY;
}

static bool is_ecdh(uint32_t alg)
{
	return alg == TEE_ALG_ECDH_DERIVE_SHARED_SECRET ||
	       alg == OPTEE_ALG_ECDH_P256_LEGACY;
}

TEE_Result TEE_AllocateOperation(TEE_OperationHandle *operation,
				 uint32_t algorithm, uint32_t mode,
				 uint32_t maxKeySize)
{
	struct __TEE_OperationHandle *op = NULL;
	uint32_t cls = 0;

	if (!operation)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	*operation = NULL;
	if (algorithm == TEE_ALG_AES_GCM) {
		if (mode != TEE_MODE_ENCRYPT && mode != TEE_MODE_DECRYPT)
			return TEE_ERROR_NOT_SUPPORTED;
		if (!valid_size(TEE_TYPE_AES, maxKeySize))
			return TEE_ERROR_NOT_SUPPORTED;
		cls = TEE_OPERATION_AE;
	} else if (algorithm == TEE_ALG_SHA256) {
		if (mode != TEE_MODE_DIGEST)
			return TEE_ERROR_NOT_SUPPORTED;
		cls = TEE_OPERATION_DIGEST;
	} else if (algorithm == TEE_ALG_HMAC_SHA256) {
		if (mode != TEE_MODE_MAC ||
		    !valid_size(TEE_TYPE_HMAC_SHA256, maxKeySize))
			return TEE_ERROR_NOT_SUPPORTED;
		cls = TEE_OPERATION_MAC;
	} else if (is_ecdsa(algorithm)) {
		if ((mode != TEE_MODE_SIGN && mode != TEE_MODE_VERIFY) ||
		    maxKeySize != 256)
			return TEE_ERROR_NOT_SUPPORTED;
		cls = TEE_OPERATION_ASYMMETRIC_SIGNATURE;
	} else if (is_ecdh(algorithm)) {
		if (mode != TEE_MODE_DERIVE || maxKeySize != 256)
			return TEE_ERROR_NOT_SUPPORTED;
		cls = TEE_OPERATION_KEY_DERIVATION;
	} else {
		return TEE_ERROR_NOT_SUPPORTED;
	}
	op = cdl_core_calloc(sizeof(*op));
	if (!op)
		return TEE_ERROR_OUT_OF_MEMORY;
	op->magic = CDL_OP_MAGIC;
	op->alg = algorithm;
	op->mode = mode;
	op->op_class = cls;
	op->max_key_size = maxKeySize;
	if (cls == TEE_OPERATION_DIGEST) {
		op->md = EVP_MD_CTX_new();
		if (!op->md || EVP_DigestInit_ex2(op->md, sha256, NULL) != 1)
			goto oom;
	} else if (cls == TEE_OPERATION_AE) {
		op->cipher = EVP_CIPHER_CTX_new();
		if (!op->cipher)
			goto oom;
	} else if (cls == TEE_OPERATION_MAC) {
		op->mac = EVP_MAC_CTX_new(hmac);
		if (!op->mac)
			goto oom;
	}
	*operation = op;
	return TEE_SUCCESS;
oom:
	EVP_MD_CTX_free(op->md);
	EVP_CIPHER_CTX_free(op->cipher);
	cdl_core_free(op);
	return TEE_ERROR_OUT_OF_MEMORY;
}

static void op_clear_key(struct __TEE_OperationHandle *op)
{
	EVP_PKEY_free(op->pkey);
	op->pkey = NULL;
	explicit_bzero(&op->key, sizeof(op->key));
	op->key_set = false;
	op->key_size = 0;
	op->gcm_keyed = false;
	op->gcm_iv_len = 0;
}

void TEE_FreeOperation(TEE_OperationHandle operation)
{
	struct __TEE_OperationHandle *op = NULL;

	if (!operation)
		return;
	op = op_get(operation);
	op_clear_key(op);
	EVP_MD_CTX_free(op->md);
	EVP_CIPHER_CTX_free(op->cipher);
	EVP_MAC_CTX_free(op->mac);
	explicit_bzero(op, sizeof(*op));
	cdl_core_free(op);
}

void TEE_GetOperationInfo(TEE_OperationHandle operation,
			  TEE_OperationInfo *info)
{
	struct __TEE_OperationHandle *op = op_get(operation);

	if (!info)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	memset(info, 0, sizeof(*info));
	info->algorithm = op->alg;
	info->operationClass = op->op_class;
	info->mode = op->mode;
	info->digestLength = op->op_class == TEE_OPERATION_DIGEST ||
					     op->op_class == TEE_OPERATION_MAC ?
				     32 : 0;
	info->maxKeySize = op->max_key_size;
	info->keySize = op->key_size;
	info->handleState = (op->key_set ? TEE_HANDLE_FLAG_KEY_SET : 0) |
			    (op->state == TEE_OPERATION_STATE_ACTIVE ?
				     TEE_HANDLE_FLAG_INITIALIZED : 0);
}

void TEE_ResetOperation(TEE_OperationHandle operation)
{
	struct __TEE_OperationHandle *op = op_get(operation);

	if (op->op_class == TEE_OPERATION_DIGEST)
		EVP_DigestInit_ex2(op->md, sha256, NULL);
	op->state = TEE_OPERATION_STATE_INITIAL;
}

TEE_Result TEE_SetOperationKey(TEE_OperationHandle operation,
			       TEE_ObjectHandle key)
{
	struct __TEE_OperationHandle *op = op_get(operation);
	struct __TEE_ObjectHandle *o = NULL;
	bool ok = false;
	uint32_t need = 0;

	if (op->state != TEE_OPERATION_STATE_INITIAL ||
	    op->op_class == TEE_OPERATION_DIGEST)
		TEE_Panic(TEE_ERROR_BAD_STATE);
	op_clear_key(op);
	if (key == TEE_HANDLE_NULL)
		return TEE_SUCCESS;
	o = cdl_obj_get(key);
	if (!(o->flags & TEE_HANDLE_FLAG_INITIALIZED))
		TEE_Panic(TEE_ERROR_BAD_STATE);
	switch (op->op_class) {
	case TEE_OPERATION_AE:
		ok = o->type == TEE_TYPE_AES;
		need = op->mode == TEE_MODE_ENCRYPT ? TEE_USAGE_ENCRYPT :
						      TEE_USAGE_DECRYPT;
		break;
	case TEE_OPERATION_MAC:
		ok = o->type == TEE_TYPE_HMAC_SHA256 ||
		     o->type == TEE_TYPE_GENERIC_SECRET;
		need = TEE_USAGE_MAC;
		break;
	case TEE_OPERATION_ASYMMETRIC_SIGNATURE:
		ok = op->mode == TEE_MODE_SIGN ?
			     o->type == TEE_TYPE_ECDSA_KEYPAIR :
			     o->type == TEE_TYPE_ECDSA_KEYPAIR ||
				     o->type == TEE_TYPE_ECDSA_PUBLIC_KEY;
		need = op->mode == TEE_MODE_SIGN ? TEE_USAGE_SIGN : TEE_USAGE_VERIFY;
		break;
	case TEE_OPERATION_KEY_DERIVATION:
		ok = o->type == TEE_TYPE_ECDH_KEYPAIR;
		need = TEE_USAGE_DERIVE;
		break;
	default:
		break;
	}
	if (!ok || o->key_size > op->max_key_size || (o->usage & need) != need) {
		fprintf(stderr, "cdl-tee: TA set a key of type 0x%08x, size %u, usage 0x%x on an operation 0x%08x (max %u bits)\n",
			(unsigned)o->type, (unsigned)o->key_size, (unsigned)o->usage,
			(unsigned)op->alg, (unsigned)op->max_key_size);
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	op->key = o->key;
	op->key_size = o->key_size;
	if (is_ec_type(o->type)) {
		bool priv = op->mode == TEE_MODE_SIGN || op->mode == TEE_MODE_DERIVE;

		op->pkey = ec_pkey(&op->key, priv);
		if (!op->pkey) {
			op_clear_key(op);
			return TEE_ERROR_OUT_OF_MEMORY;
		}
	}
	op->key_set = true;
	return TEE_SUCCESS;
}

/* ---- §6.3 digest ---- */

void TEE_DigestUpdate(TEE_OperationHandle operation, const void *chunk,
		      size_t chunkSize)
{
	struct __TEE_OperationHandle *op = op_get(operation);

	if (op->op_class != TEE_OPERATION_DIGEST || (!chunk && chunkSize))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (EVP_DigestUpdate(op->md, chunk, chunkSize) != 1)
		TEE_Panic(TEE_ERROR_GENERIC);
	op->state = TEE_OPERATION_STATE_ACTIVE;
}

TEE_Result TEE_DigestDoFinal(TEE_OperationHandle operation, const void *chunk,
			     size_t chunkLen, void *hash, size_t *hashLen)
{
	struct __TEE_OperationHandle *op = op_get(operation);
	unsigned int n = 0;

	if (op->op_class != TEE_OPERATION_DIGEST || !hashLen ||
	    (!chunk && chunkLen))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (*hashLen < 32 || !hash) {
		*hashLen = 32;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (EVP_DigestUpdate(op->md, chunk, chunkLen) != 1 ||
	    EVP_DigestFinal_ex(op->md, hash, &n) != 1 ||
	    EVP_DigestInit_ex2(op->md, sha256, NULL) != 1)
		TEE_Panic(TEE_ERROR_GENERIC);
	*hashLen = n;
	op->state = TEE_OPERATION_STATE_INITIAL;
	return TEE_SUCCESS;
}

/* ---- §6.5 MAC ---- */

void TEE_MACInit(TEE_OperationHandle operation, const void *IV, size_t IVLen)
{
	struct __TEE_OperationHandle *op = op_get(operation);
	OSSL_PARAM params[2];

	if (op->op_class != TEE_OPERATION_MAC || !op->key_set)
		TEE_Panic(TEE_ERROR_BAD_STATE);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(op->mac, op->key.secret, op->key.secret_len, params) != 1)
		TEE_Panic(TEE_ERROR_GENERIC);
	op->state = TEE_OPERATION_STATE_ACTIVE;
}

void TEE_MACUpdate(TEE_OperationHandle operation, const void *chunk,
		   size_t chunkSize)
{
	struct __TEE_OperationHandle *op = op_get(operation);

	if (op->op_class != TEE_OPERATION_MAC ||
	    op->state != TEE_OPERATION_STATE_ACTIVE || (!chunk && chunkSize))
		TEE_Panic(TEE_ERROR_BAD_STATE);
	if (EVP_MAC_update(op->mac, chunk, chunkSize) != 1)
		TEE_Panic(TEE_ERROR_GENERIC);
}

TEE_Result TEE_MACComputeFinal(TEE_OperationHandle operation,
			       const void *message, size_t messageLen,
			       void *mac, size_t *macLen)
{
	struct __TEE_OperationHandle *op = op_get(operation);
	size_t n = 0;

	if (op->op_class != TEE_OPERATION_MAC ||
	    op->state != TEE_OPERATION_STATE_ACTIVE || !macLen ||
	    (!message && messageLen))
		TEE_Panic(TEE_ERROR_BAD_STATE);
	if (*macLen < 32 || !mac) {
		*macLen = 32;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (EVP_MAC_update(op->mac, message, messageLen) != 1 ||
	    EVP_MAC_final(op->mac, mac, &n, *macLen) != 1)
		TEE_Panic(TEE_ERROR_GENERIC);
	*macLen = n;
	op->state = TEE_OPERATION_STATE_INITIAL;
	return TEE_SUCCESS;
}

/* ---- §6.6 authenticated encryption (AES-GCM) ---- */

static struct __TEE_OperationHandle *ae_get(TEE_OperationHandle operation,
					    bool active)
{
	struct __TEE_OperationHandle *op = op_get(operation);

	if (op->op_class != TEE_OPERATION_AE || !op->key_set ||
	    (active && op->state != TEE_OPERATION_STATE_ACTIVE))
		TEE_Panic(TEE_ERROR_BAD_STATE);
	return op;
}

TEE_Result TEE_AEInit(TEE_OperationHandle operation, const void *nonce,
		      size_t nonceLen, uint32_t tagLen, size_t AADLen,
		      size_t payloadLen)
{
	struct __TEE_OperationHandle *op = ae_get(operation, false);
	EVP_CIPHER *c = NULL;
	OSSL_PARAM params[2];
	size_t ivlen = nonceLen;

	if (!nonce || nonceLen == 0 || nonceLen > 1024)
		return TEE_ERROR_BAD_PARAMETERS;
	if (tagLen != 128 && tagLen != 120 && tagLen != 112 && tagLen != 104 &&
	    tagLen != 96)
		return TEE_ERROR_NOT_SUPPORTED;
	c = aes_gcm[op->key.secret_len == 16 ? 0 : op->key.secret_len == 24 ? 1 : 2];
	op->encrypt = op->mode == TEE_MODE_ENCRYPT;
	/*
	 * The key schedule and GHASH key stay in op->cipher from one message
	 * to the next (the TA decrypts a model's blocks, 64 KiB each, with one
	 * operation and one key): a new nonce of the same length only needs
	 * the IV set, which restarts GCM (counter, GHASH state, lengths).
	 * Anything else -- first use, another key (TEE_SetOperationKey clears
	 * gcm_keyed), another nonce length -- sets everything up again.
	 * (Setting up a context per message cost ~0.3 us: a 4 KiB block took
	 * 1.3 us through this API against 1.0 us for OpenSSL alone; now the
	 * same. At 64 KiB, ~15 us a block, it is ~2%.)
	 */
	if (op->gcm_keyed && op->gcm_iv_len == ivlen) {
		if (EVP_CipherInit_ex2(op->cipher, NULL, NULL, nonce, op->encrypt,
				       NULL) != 1) {
			op->gcm_keyed = false;
			return TEE_ERROR_GENERIC;
		}
	} else {
		op->gcm_keyed = false;
		params[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN,
							&ivlen);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_CipherInit_ex2(op->cipher, c, NULL, NULL, op->encrypt,
				       params) != 1 ||
		    EVP_CipherInit_ex2(op->cipher, NULL, op->key.secret, nonce,
				       op->encrypt, NULL) != 1)
			return TEE_ERROR_GENERIC;
		op->gcm_keyed = true;
		op->gcm_iv_len = ivlen;
	}
	op->tag_len = tagLen / 8;
	op->state = TEE_OPERATION_STATE_ACTIVE;
	return TEE_SUCCESS;
}

/* EVP lengths are int: feed large buffers in pieces. */
static int cipher_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in,
			 size_t n)
{
	while (n > 0) {
		int chunk = n > (size_t)(1 << 30) ? 1 << 30 : (int)n;
		int outl = 0;

		if (EVP_CipherUpdate(c, out, &outl, in, chunk) != 1)
			return -1;
		if (out)
			out += outl;
		in += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

void TEE_AEUpdateAAD(TEE_OperationHandle operation, const void *AADdata,
		     size_t AADdataLen)
{
	struct __TEE_OperationHandle *op = ae_get(operation, true);

	if (!AADdata && AADdataLen)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (cipher_update(op->cipher, NULL, AADdata, AADdataLen) != 0)
		TEE_Panic(TEE_ERROR_GENERIC);
}

TEE_Result TEE_AEUpdate(TEE_OperationHandle operation, const void *srcData,
			size_t srcLen, void *destData, size_t *destLen)
{
	struct __TEE_OperationHandle *op = ae_get(operation, true);

	if (!destLen || (!srcData && srcLen))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (*destLen < srcLen || (!destData && srcLen)) {
		*destLen = srcLen;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (cipher_update(op->cipher, destData, srcData, srcLen) != 0)
		return TEE_ERROR_GENERIC;
	*destLen = srcLen;
	return TEE_SUCCESS;
}

TEE_Result TEE_AEEncryptFinal(TEE_OperationHandle operation,
			      const void *srcData, size_t srcLen,
			      void *destData, size_t *destLen, void *tag,
			      size_t *tagLen)
{
	struct __TEE_OperationHandle *op = ae_get(operation, true);
	uint8_t last[32];
	int outl = 0;

	if (!destLen || !tagLen || !op->encrypt || (!srcData && srcLen))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (*destLen < srcLen || *tagLen < op->tag_len || !tag ||
	    (!destData && srcLen)) {
		*destLen = srcLen;
		*tagLen = op->tag_len;
		return TEE_ERROR_SHORT_BUFFER;
	}
	if (cipher_update(op->cipher, destData, srcData, srcLen) != 0 ||
	    EVP_CipherFinal_ex(op->cipher, last, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(op->cipher, EVP_CTRL_AEAD_GET_TAG,
				(int)op->tag_len, tag) != 1)
		return TEE_ERROR_GENERIC;
	*destLen = srcLen;
	*tagLen = op->tag_len;
	op->state = TEE_OPERATION_STATE_INITIAL;
	return TEE_SUCCESS;
}

TEE_Result TEE_AEDecryptFinal(TEE_OperationHandle operation,
			      const void *srcData, size_t srcLen,
			      void *destData, size_t *destLen, void *tag,
			      size_t tagLen)
{
	struct __TEE_OperationHandle *op = ae_get(operation, true);
	uint8_t last[32];
	int outl = 0;

	if (!destLen || op->encrypt || (!srcData && srcLen) || (!tag && tagLen))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (*destLen < srcLen || (!destData && srcLen)) {
		*destLen = srcLen;
		return TEE_ERROR_SHORT_BUFFER;
	}
	op->state = TEE_OPERATION_STATE_INITIAL;
	if (tagLen != op->tag_len)
		return TEE_ERROR_MAC_INVALID;
	if (EVP_CIPHER_CTX_ctrl(op->cipher, EVP_CTRL_AEAD_SET_TAG, (int)tagLen,
				tag) != 1 ||
	    cipher_update(op->cipher, destData, srcData, srcLen) != 0)
		return TEE_ERROR_GENERIC;
	if (EVP_CipherFinal_ex(op->cipher, last, &outl) != 1) {
		if (srcLen)
			explicit_bzero(destData, srcLen);
		return TEE_ERROR_MAC_INVALID;
	}
	*destLen = srcLen;
	return TEE_SUCCESS;
}

/* ---- §6.7 asymmetric: ECDSA P-256, signature r || s ---- */

static struct __TEE_OperationHandle *sig_get(TEE_OperationHandle operation,
					     uint32_t mode)
{
	struct __TEE_OperationHandle *op = op_get(operation);

	if (op->op_class != TEE_OPERATION_ASYMMETRIC_SIGNATURE ||
	    op->mode != mode || !op->key_set || !op->pkey)
		TEE_Panic(TEE_ERROR_BAD_STATE);
	return op;
}

TEE_Result TEE_AsymmetricSignDigest(TEE_OperationHandle operation,
				    const TEE_Attribute *params,
				    uint32_t paramCount, const void *digest,
				    size_t digestLen, void *signature,
				    size_t *signatureLen)
{
	struct __TEE_OperationHandle *op = sig_get(operation, TEE_MODE_SIGN);
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	uint8_t der[80];
	const uint8_t *p = der;
	size_t der_len = sizeof(der);
	TEE_Result res = TEE_ERROR_GENERIC;

	if (!signatureLen || !digest)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (digestLen != 32)
		return TEE_ERROR_BAD_PARAMETERS;
	if (*signatureLen < 2 * CDL_EC_LEN || !signature) {
		*signatureLen = 2 * CDL_EC_LEN;
		return TEE_ERROR_SHORT_BUFFER;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 ||
	    EVP_PKEY_sign(ctx, der, &der_len, digest, digestLen) != 1)
		goto out;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(sig), signature, CDL_EC_LEN) != CDL_EC_LEN ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), (uint8_t *)signature + CDL_EC_LEN,
			 CDL_EC_LEN) != CDL_EC_LEN)
		goto out;
	*signatureLen = 2 * CDL_EC_LEN;
	res = TEE_SUCCESS;
out:
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	return res;
}

TEE_Result TEE_AsymmetricVerifyDigest(TEE_OperationHandle operation,
				      const TEE_Attribute *params,
				      uint32_t paramCount, const void *digest,
				      size_t digestLen, const void *signature,
				      size_t signatureLen)
{
	struct __TEE_OperationHandle *op = sig_get(operation, TEE_MODE_VERIFY);
	EVP_PKEY_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL;
	BIGNUM *s = NULL;
	uint8_t *der = NULL;
	int der_len = 0;
	TEE_Result res = TEE_ERROR_SIGNATURE_INVALID;

	if (!digest || (!signature && signatureLen))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (digestLen != 32)
		return TEE_ERROR_BAD_PARAMETERS;
	if (signatureLen != 2 * CDL_EC_LEN)
		return TEE_ERROR_SIGNATURE_INVALID;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(signature, CDL_EC_LEN, NULL);
	s = BN_bin2bn((const uint8_t *)signature + CDL_EC_LEN, CDL_EC_LEN, NULL);
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		res = TEE_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	der_len = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
	if (der_len <= 0 || !ctx || EVP_PKEY_verify_init(ctx) != 1) {
		res = TEE_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	if (EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, digestLen) == 1)
		res = TEE_SUCCESS;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	return res;
}

/* ---- §6.8 key derivation: ECDH P-256 ---- */

void TEE_DeriveKey(TEE_OperationHandle operation, const TEE_Attribute *params,
		   uint32_t paramCount, TEE_ObjectHandle derivedKey)
{
	struct __TEE_OperationHandle *op = op_get(operation);
	struct __TEE_ObjectHandle *out = cdl_obj_get(derivedKey);
	struct cdl_key peer;
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t n = CDL_EC_LEN;

	if (op->op_class != TEE_OPERATION_KEY_DERIVATION || !op->key_set ||
	    !op->pkey)
		TEE_Panic(TEE_ERROR_BAD_STATE);
	if (out->type != TEE_TYPE_GENERIC_SECRET || out->max_size < 256 ||
	    (out->flags & (TEE_HANDLE_FLAG_INITIALIZED | TEE_HANDLE_FLAG_PERSISTENT)))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	memset(&peer, 0, sizeof(peer));
	if (!put_ec(peer.x, find_attr(params, paramCount, TEE_ATTR_ECC_PUBLIC_VALUE_X)) ||
	    !put_ec(peer.y, find_attr(params, paramCount, TEE_ATTR_ECC_PUBLIC_VALUE_Y)))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	/* GP: an invalid public value panics. A TA that takes the point from
	 * untrusted input checks it first with TEE_PopulateTransientObject. */
	peer_key = ec_pkey(&peer, false);
	if (!peer_key) {
		fprintf(stderr, "cdl-tee: TEE_DeriveKey: peer point is not on P-256\n");
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, op->pkey, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 1) != 1 ||
	    EVP_PKEY_derive(ctx, out->key.secret, &n) != 1 || n != CDL_EC_LEN)
		TEE_Panic(TEE_ERROR_GENERIC);
	out->key.secret_len = (uint32_t)n;
	out->key_size = (uint32_t)n * 8;
	out->flags |= TEE_HANDLE_FLAG_INITIALIZED;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
}
