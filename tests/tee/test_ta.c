/*
 * The test TA (see test_ta.h): written like a real TA, against the GP
 * Internal API only (plus cdl_tee_ext.h), per-session state in sess_ctx.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cdl_tee_ext.h"
#include "tee_internal_api.h"
#include "test_ta.h"

#define MAX_BLOCKS 4096

struct session {
	uint32_t counter;
	uint32_t nblocks;
	void *blocks[MAX_BLOCKS];
};

/* Control for the leak scan: data-segment memory is not secure memory. */
uint8_t ta_test_leaked[64];

#define P(a, b, c, d) TEE_PARAM_TYPES(TEE_PARAM_TYPE_##a, TEE_PARAM_TYPE_##b, \
				      TEE_PARAM_TYPE_##c, TEE_PARAM_TYPE_##d)

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t types, TEE_Param params[4],
				    void **sess_ctx)
{
	struct session *s = TEE_Malloc(sizeof(*s), TEE_MALLOC_FILL_ZERO);

	if (!s)
		return TEE_ERROR_OUT_OF_MEMORY;
	*sess_ctx = s;
	return TEE_SUCCESS;
}

static void free_all(struct session *s)
{
	uint32_t i = 0;

	for (i = 0; i < s->nblocks; i++)
		TEE_Free(s->blocks[i]);
	s->nblocks = 0;
}

void TA_CloseSessionEntryPoint(void *sess_ctx)
{
	struct session *s = sess_ctx;

	free_all(s);
	TEE_Free(s);
}

static TEE_Result keep(struct session *s, void *p)
{
	if (s->nblocks == MAX_BLOCKS) {
		TEE_Free(p);
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	s->blocks[s->nblocks++] = p;
	return TEE_SUCCESS;
}

static TEE_Result cmd_sum_invert(TEE_Param p[4])
{
	uint8_t *b = p[0].memref.buffer;
	uint32_t sum = 0;
	size_t i = 0;

	for (i = 0; i < p[0].memref.size; i++) {
		sum += b[i];
		b[i] = (uint8_t)~b[i];
	}
	p[1].value.a = sum;
	p[1].value.b = (uint32_t)p[0].memref.size;
	return TEE_SUCCESS;
}

static TEE_Result cmd_fill(TEE_Param p[4])
{
	uint8_t *b = p[1].memref.buffer;
	uint32_t n = p[0].value.a;
	uint32_t i = 0;

	if (p[1].memref.size < n || !b) {
		p[1].memref.size = n;
		return TEE_ERROR_SHORT_BUFFER;
	}
	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(p[0].value.b + i);
	p[1].memref.size = n;
	return TEE_SUCCESS;
}

/* A usable object id: the TEE panics on longer ones, as GP says. */
static bool id_ok(const TEE_Param *p)
{
	return p->memref.buffer && p->memref.size <= TEE_OBJECT_ID_MAX_LEN;
}

static TEE_Result cmd_store(TEE_Param p[4])
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Result res = TEE_CreatePersistentObject(
		TEE_STORAGE_PRIVATE, p[0].memref.buffer, p[0].memref.size,
		TEE_DATA_FLAG_ACCESS_WRITE | TEE_DATA_FLAG_OVERWRITE,
		TEE_HANDLE_NULL, p[1].memref.buffer, p[1].memref.size, &o);

	if (res == TEE_SUCCESS)
		TEE_CloseObject(o);
	return res;
}

static TEE_Result cmd_load(TEE_Param p[4])
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	size_t n = 0;
	TEE_Result res = TEE_OpenPersistentObject(
		TEE_STORAGE_PRIVATE, p[0].memref.buffer, p[0].memref.size,
		TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, &o);

	if (res != TEE_SUCCESS)
		return res;
	res = TEE_GetObjectInfo1(o, &info);
	if (res != TEE_SUCCESS)
		goto out;
	if (p[1].memref.size < info.dataSize) {
		p[1].memref.size = info.dataSize;
		res = TEE_ERROR_SHORT_BUFFER;
		goto out;
	}
	res = TEE_ReadObjectData(o, p[1].memref.buffer, p[1].memref.size, &n);
	p[1].memref.size = n;
out:
	TEE_CloseObject(o);
	return res;
}

static TEE_Result cmd_delete(TEE_Param p[4])
{
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Result res = TEE_OpenPersistentObject(
		TEE_STORAGE_PRIVATE, p[0].memref.buffer, p[0].memref.size,
		TEE_DATA_FLAG_ACCESS_WRITE_META, &o);

	if (res != TEE_SUCCESS)
		return res;
	return TEE_CloseAndDeletePersistentObject1(o);
}

static TEE_Result cmd_sha256(TEE_Param p[4])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	size_t n = p[1].memref.size;
	TEE_Result res = TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);

	if (res != TEE_SUCCESS)
		return res;
	/* in two pieces, to use DigestUpdate too */
	TEE_DigestUpdate(op, p[0].memref.buffer, p[0].memref.size / 2);
	res = TEE_DigestDoFinal(op, (uint8_t *)p[0].memref.buffer + p[0].memref.size / 2,
				p[0].memref.size - p[0].memref.size / 2,
				p[1].memref.buffer, &n);
	p[1].memref.size = n;
	TEE_FreeOperation(op);
	return res;
}

static TEE_Result cmd_aes_gcm(TEE_Param p[4])
{
	const uint8_t *in = p[1].memref.buffer;
	size_t in_len = p[1].memref.size;
	uint8_t hdr[48];
	uint32_t aad_len = 0;
	size_t payload = 0;
	size_t out_len = 0;
	size_t tag_len = 16;
	bool decrypt = p[0].value.a == 1;
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Attribute attr;
	uint8_t *out = p[2].memref.buffer;
	TEE_Result res = TEE_SUCCESS;

	if (in_len < 48)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_MemMove(hdr, in, 48); /* copy before parsing: shared memory */
	aad_len = (uint32_t)hdr[44] | (uint32_t)hdr[45] << 8 |
		  (uint32_t)hdr[46] << 16 | (uint32_t)hdr[47] << 24;
	if (aad_len > in_len - 48)
		return TEE_ERROR_BAD_PARAMETERS;
	payload = in_len - 48 - aad_len;
	if (decrypt && payload < 16)
		return TEE_ERROR_BAD_PARAMETERS;
	out_len = decrypt ? payload - 16 : payload + 16;
	if (p[2].memref.size < out_len) {
		p[2].memref.size = out_len;
		return TEE_ERROR_SHORT_BUFFER;
	}
	res = TEE_AllocateTransientObject(TEE_TYPE_AES, 256, &key);
	if (res != TEE_SUCCESS)
		return res;
	TEE_InitRefAttribute(&attr, TEE_ATTR_SECRET_VALUE, hdr, 32);
	res = TEE_PopulateTransientObject(key, &attr, 1);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_AllocateOperation(&op, TEE_ALG_AES_GCM,
				    decrypt ? TEE_MODE_DECRYPT : TEE_MODE_ENCRYPT, 256);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_SetOperationKey(op, key);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_AEInit(op, hdr + 32, 12, 128, aad_len, payload);
	if (res != TEE_SUCCESS)
		goto out;
	TEE_AEUpdateAAD(op, in + 48, aad_len);
	if (decrypt) {
		size_t n = out_len;

		res = TEE_AEDecryptFinal(op, in + 48 + aad_len, payload - 16, out,
					 &n, (void *)(in + 48 + aad_len + payload - 16), 16);
	} else {
		size_t n = payload;

		res = TEE_AEEncryptFinal(op, in + 48 + aad_len, payload, out, &n,
					 out + payload, &tag_len);
	}
	p[2].memref.size = out_len;
out:
	TEE_MemFill(hdr, 0, sizeof(hdr));
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(key);
	return res;
}

static TEE_Result new_ec_key(uint32_t type, TEE_ObjectHandle *key, uint8_t xy[64])
{
	TEE_Attribute curve;
	size_t n = 32;
	TEE_Result res = TEE_AllocateTransientObject(type, 256, key);

	if (res != TEE_SUCCESS)
		return res;
	TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	res = TEE_GenerateKey(*key, 256, &curve, 1);
	if (res == TEE_SUCCESS)
		res = TEE_GetObjectBufferAttribute(*key, TEE_ATTR_ECC_PUBLIC_VALUE_X, xy, &n);
	n = 32;
	if (res == TEE_SUCCESS)
		res = TEE_GetObjectBufferAttribute(*key, TEE_ATTR_ECC_PUBLIC_VALUE_Y, xy + 32, &n);
	return res;
}

static TEE_Result cmd_ecdsa(TEE_Param p[4])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle sign = TEE_HANDLE_NULL;
	TEE_OperationHandle verify = TEE_HANDLE_NULL;
	uint8_t digest[32];
	uint8_t *out = p[1].memref.buffer;
	size_t sig_len = 64;
	TEE_Result res = TEE_SUCCESS;

	if (p[0].memref.size != 32 || p[1].memref.size < 128)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_MemMove(digest, p[0].memref.buffer, 32);
	res = new_ec_key(TEE_TYPE_ECDSA_KEYPAIR, &key, out);
	if (res != TEE_SUCCESS)
		goto out;
	res = TEE_AllocateOperation(&sign, TEE_ALG_ECDSA_P256, TEE_MODE_SIGN, 256);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateOperation(&verify, TEE_ALG_ECDSA_SHA256, TEE_MODE_VERIFY, 256);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(sign, key);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(verify, key);
	if (res == TEE_SUCCESS)
		res = TEE_AsymmetricSignDigest(sign, NULL, 0, digest, 32, out + 64, &sig_len);
	if (res != TEE_SUCCESS)
		goto out;
	p[2].value.a = TEE_AsymmetricVerifyDigest(verify, NULL, 0, digest, 32,
						  out + 64, sig_len) == TEE_SUCCESS;
	digest[0] ^= 1;
	p[2].value.b = TEE_AsymmetricVerifyDigest(verify, NULL, 0, digest, 32,
						  out + 64, sig_len) ==
		       TEE_ERROR_SIGNATURE_INVALID;
	p[1].memref.size = 128;
out:
	TEE_FreeOperation(sign);
	TEE_FreeOperation(verify);
	TEE_FreeTransientObject(key);
	return res;
}

static TEE_Result cmd_ecdh(TEE_Param p[4])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_ObjectHandle peer = TEE_HANDLE_NULL;
	TEE_ObjectHandle secret = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	TEE_Attribute attrs[3];
	uint8_t peer_xy[64];
	uint8_t *out = p[1].memref.buffer;
	size_t n = 32;
	TEE_Result res = TEE_SUCCESS;

	if (p[0].memref.size != 64 || p[1].memref.size < 96)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_MemMove(peer_xy, p[0].memref.buffer, 64);
	/* The peer's point is untrusted: check it before TEE_DeriveKey, which
	 * would panic on a point off the curve. */
	TEE_InitRefAttribute(&attrs[0], TEE_ATTR_ECC_PUBLIC_VALUE_X, peer_xy, 32);
	TEE_InitRefAttribute(&attrs[1], TEE_ATTR_ECC_PUBLIC_VALUE_Y, peer_xy + 32, 32);
	TEE_InitValueAttribute(&attrs[2], TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	res = TEE_AllocateTransientObject(TEE_TYPE_ECDH_PUBLIC_KEY, 256, &peer);
	if (res == TEE_SUCCESS)
		res = TEE_PopulateTransientObject(peer, attrs, 3);
	if (res != TEE_SUCCESS)
		goto out;
	res = new_ec_key(TEE_TYPE_ECDH_KEYPAIR, &key, out);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateOperation(&op, TEE_ALG_ECDH_P256, TEE_MODE_DERIVE, 256);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, key);
	if (res == TEE_SUCCESS)
		res = TEE_AllocateTransientObject(TEE_TYPE_GENERIC_SECRET, 256, &secret);
	if (res != TEE_SUCCESS)
		goto out;
	TEE_DeriveKey(op, attrs, 2, secret);
	res = TEE_GetObjectBufferAttribute(secret, TEE_ATTR_SECRET_VALUE, out + 64, &n);
	p[1].memref.size = 96;
out:
	TEE_FreeOperation(op);
	TEE_FreeTransientObject(key);
	TEE_FreeTransientObject(peer);
	TEE_FreeTransientObject(secret);
	return res;
}

static TEE_Result cmd_derive(TEE_Param p[4])
{
	uint8_t label[CDL_TEE_DERIVE_LABEL_MAX];
	TEE_Result res = TEE_SUCCESS;

	if (p[0].memref.size > sizeof(label) || p[1].memref.size < 32)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_MemMove(label, p[0].memref.buffer, p[0].memref.size);
	res = cdl_tee_derive_ta_key(label, p[0].memref.size, p[1].memref.buffer, 32);
	p[1].memref.size = 32;
	return res;
}

static TEE_Result cmd_busy(TEE_Param p[4])
{
	TEE_Time start;
	TEE_Time now;
	uint64_t elapsed = 0;

	TEE_GetSystemTime(&start);
	do {
		TEE_GetSystemTime(&now);
		elapsed = ((uint64_t)now.seconds * 1000 + now.millis) -
			  ((uint64_t)start.seconds * 1000 + start.millis);
	} while (elapsed < p[0].value.a);
	return TEE_SUCCESS;
}

static TEE_Result cmd_secret(struct session *s, TEE_Param p[4])
{
	uint32_t n = p[0].value.a;
	uint8_t *b = TEE_Malloc(n, TEE_MALLOC_NO_FILL);
	uint32_t i = 0;

	if (!b)
		return TEE_ERROR_OUT_OF_MEMORY;
	for (i = 0; i < n; i++)
		b[i] = ta_test_secret_byte(i);
	if (p[0].value.b == 1)
		for (i = 0; i < sizeof(ta_test_leaked) && i < n; i++)
			ta_test_leaked[i] = b[i];
	p[1].value.a = TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ |
						   TEE_MEMORY_ACCESS_WRITE, b, n) ==
		       TEE_SUCCESS;
	return keep(s, b);
}

static TEE_Result cmd_store_key(TEE_Param p[4])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_ObjectHandle o = TEE_HANDLE_NULL;
	TEE_Result res = TEE_SUCCESS;

	if (p[0].memref.size < 64)
		return TEE_ERROR_SHORT_BUFFER;
	res = new_ec_key(TEE_TYPE_ECDSA_KEYPAIR, &key, p[0].memref.buffer);
	if (res == TEE_SUCCESS)
		res = TEE_CreatePersistentObject(TEE_STORAGE_PRIVATE, "key", 3,
						 TEE_DATA_FLAG_ACCESS_READ |
						 TEE_DATA_FLAG_OVERWRITE,
						 key, NULL, 0, &o);
	TEE_CloseObject(o);
	TEE_FreeTransientObject(key);
	p[0].memref.size = 64;
	return res;
}

static TEE_Result cmd_sign_stored(TEE_Param p[4])
{
	TEE_ObjectHandle key = TEE_HANDLE_NULL;
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t digest[32];
	size_t n = p[1].memref.size;
	TEE_Result res = TEE_SUCCESS;

	if (p[0].memref.size != 32)
		return TEE_ERROR_BAD_PARAMETERS;
	TEE_MemMove(digest, p[0].memref.buffer, 32);
	res = TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, "key", 3,
				       TEE_DATA_FLAG_ACCESS_READ, &key);
	if (res != TEE_SUCCESS)
		return res;
	res = TEE_AllocateOperation(&op, TEE_ALG_ECDSA_SHA256, TEE_MODE_SIGN, 256);
	if (res == TEE_SUCCESS)
		res = TEE_SetOperationKey(op, key);
	if (res == TEE_SUCCESS)
		res = TEE_AsymmetricSignDigest(op, NULL, 0, digest, 32,
					       p[1].memref.buffer, &n);
	p[1].memref.size = n;
	TEE_FreeOperation(op);
	TEE_CloseObject(key);
	return res;
}

TEE_Result TA_InvokeCommandEntryPoint(void *sess_ctx, uint32_t cmd,
				      uint32_t types, TEE_Param p[4])
{
	struct session *s = sess_ctx;
	size_t size = 0;
	size_t used = 0;
	size_t peak = 0;
	void *b = NULL;

	switch (cmd) {
	case TA_TEST_CMD_NOP:
		return types == P(NONE, NONE, NONE, NONE) ? TEE_SUCCESS :
							    TEE_ERROR_BAD_PARAMETERS;
	case TA_TEST_CMD_NOP_MEMREF:
		return types == P(MEMREF_INOUT, NONE, NONE, NONE) ?
			       TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
	case TA_TEST_CMD_ECHO:
		if (types != P(VALUE_INPUT, VALUE_OUTPUT, VALUE_INOUT, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		p[1].value = p[0].value;
		p[2].value.a += 1;
		p[2].value.b -= 1;
		return TEE_SUCCESS;
	case TA_TEST_CMD_SUM_INVERT:
		if (types != P(MEMREF_INOUT, VALUE_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_sum_invert(p);
	case TA_TEST_CMD_FILL:
		if (types != P(VALUE_INPUT, MEMREF_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_fill(p);
	case TA_TEST_CMD_ALLOC:
		if (types != P(VALUE_INPUT, VALUE_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		b = TEE_Malloc(p[0].value.a, TEE_MALLOC_FILL_ZERO);
		if (!b)
			return TEE_ERROR_OUT_OF_MEMORY;
		p[1].value.a = s->nblocks + 1;
		return keep(s, b);
	case TA_TEST_CMD_FREE_ALL:
		if (types != P(NONE, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		free_all(s);
		return TEE_SUCCESS;
	case TA_TEST_CMD_HEAP_STATS:
		if (types != P(VALUE_OUTPUT, VALUE_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		cdl_tee_heap_stats(&size, &used, &peak);
		p[0].value.a = (uint32_t)size;
		p[0].value.b = (uint32_t)used;
		p[1].value.a = (uint32_t)peak;
		return TEE_SUCCESS;
	case TA_TEST_CMD_STORE:
		if (types != P(MEMREF_INPUT, MEMREF_INPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		if (!id_ok(&p[0]) || (!p[1].memref.buffer && p[1].memref.size))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_store(p);
	case TA_TEST_CMD_LOAD:
		if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		if (!id_ok(&p[0]))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_load(p);
	case TA_TEST_CMD_DELETE:
		if (types != P(MEMREF_INPUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		if (!id_ok(&p[0]))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_delete(p);
	case TA_TEST_CMD_SHA256:
		if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_sha256(p);
	case TA_TEST_CMD_AES_GCM:
		if (types != P(VALUE_INPUT, MEMREF_INPUT, MEMREF_OUTPUT, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_aes_gcm(p);
	case TA_TEST_CMD_ECDSA:
		if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, VALUE_OUTPUT, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_ecdsa(p);
	case TA_TEST_CMD_ECDH:
		if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_ecdh(p);
	case TA_TEST_CMD_DERIVE:
		if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_derive(p);
	case TA_TEST_CMD_PANIC:
		TEE_Panic(0xdead);
	case TA_TEST_CMD_BUSY:
		if (types != P(VALUE_INPUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_busy(p);
	case TA_TEST_CMD_SECRET:
		if (types != P(VALUE_INPUT, VALUE_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_secret(s, p);
	case TA_TEST_CMD_ACCESS:
		if (types != P(MEMREF_INOUT, VALUE_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		p[1].value.a = TEE_CheckMemoryAccessRights(TEE_MEMORY_ACCESS_READ,
							   p[0].memref.buffer,
							   p[0].memref.size);
		p[1].value.b = TEE_CheckMemoryAccessRights(
			TEE_MEMORY_ACCESS_READ | TEE_MEMORY_ACCESS_ANY_OWNER,
			p[0].memref.buffer, p[0].memref.size);
		return TEE_SUCCESS;
	case TA_TEST_CMD_COUNTER:
		if (types != P(VALUE_OUTPUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		p[0].value.a = ++s->counter;
		return TEE_SUCCESS;
	case TA_TEST_CMD_STORE_KEY:
		if (types != P(MEMREF_OUTPUT, NONE, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_store_key(p);
	case TA_TEST_CMD_SIGN_STORED:
		if (types != P(MEMREF_INPUT, MEMREF_OUTPUT, NONE, NONE))
			return TEE_ERROR_BAD_PARAMETERS;
		return cmd_sign_stored(p);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
