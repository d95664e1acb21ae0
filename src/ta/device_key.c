/* SPDX-License-Identifier: Apache-2.0 */
/* The device key pair in TEE_STORAGE_PRIVATE (see device_key.h). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "device_key.h"
#include "ta_status.h"

/* Object id of the key pair in the TA's private storage; "v1" names the
 * layout (a P-256 ECDH key pair object), should it ever change. */
static const char device_key_object_id[] = "cdl.device-key.p256.v1";

#define EC_COORD_LEN 32u
#define EC_BITS 256u

/* A fresh key pair, created only if no object exists under the id. */
static TEE_Result create_key(TEE_ObjectHandle *out)
{
	TEE_ObjectHandle t = TEE_HANDLE_NULL;
	TEE_Attribute curve;
	TEE_Result res = TEE_SUCCESS;

	res = TEE_AllocateTransientObject(TEE_TYPE_ECDH_KEYPAIR, EC_BITS, &t);
	if (res != TEE_SUCCESS)
		return res;
	TEE_InitValueAttribute(&curve, TEE_ATTR_ECC_CURVE, TEE_ECC_CURVE_NIST_P256, 0);
	res = TEE_GenerateKey(t, EC_BITS, &curve, 1);
	if (res != TEE_SUCCESS)
		goto out;
	/* Usable for ECDH only: the private value can never be read back. */
	res = TEE_RestrictObjectUsage1(t, TEE_USAGE_DERIVE);
	if (res != TEE_SUCCESS)
		goto out;
	/* No TEE_DATA_FLAG_OVERWRITE: an existing key is never replaced. */
	res = TEE_CreatePersistentObject(
	    TEE_STORAGE_PRIVATE, device_key_object_id, sizeof(device_key_object_id) - 1,
	    TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, t, NULL, 0, out);
out:
	TEE_FreeTransientObject(t);
	return res;
}

static TEE_Result open_key(TEE_ObjectHandle *out)
{
	return TEE_OpenPersistentObject(TEE_STORAGE_PRIVATE, device_key_object_id,
					sizeof(device_key_object_id) - 1,
					TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_SHARE_READ, out);
}

static TEE_Result read_coord(TEE_ObjectHandle h, uint32_t attr, uint8_t out[EC_COORD_LEN])
{
	uint8_t buf[EC_COORD_LEN + 8];
	size_t n = sizeof(buf);
	TEE_Result res = TEE_GetObjectBufferAttribute(h, attr, buf, &n);

	if (res != TEE_SUCCESS)
		return res;
	if (n > EC_COORD_LEN)
		return TEE_ERROR_BAD_FORMAT;
	/* Big-endian: a short value (leading zeros dropped) is right-aligned. */
	memset(out, 0, EC_COORD_LEN - n);
	memcpy(out + EC_COORD_LEN - n, buf, n);
	return TEE_SUCCESS;
}

static TEE_Result sha256(const uint8_t *p, size_t len, uint8_t out[CDL_PKG_HASH_LEN])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	size_t n = CDL_PKG_HASH_LEN;
	TEE_Result res = TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);

	if (res != TEE_SUCCESS)
		return res;
	res = TEE_DigestDoFinal(op, p, len, out, &n);
	if (res == TEE_SUCCESS && n != CDL_PKG_HASH_LEN)
		res = TEE_ERROR_GENERIC;
	TEE_FreeOperation(op);
	return res;
}

cdl_status cdl_ta_device_key_load(cdl_ta_device_key *k)
{
	TEE_ObjectHandle h = TEE_HANDLE_NULL;
	TEE_ObjectInfo info;
	TEE_Result res = TEE_SUCCESS;

	if (k->loaded)
		return CDL_OK;
	memset(k, 0, sizeof(*k));
	res = open_key(&h);
	if (res == TEE_ERROR_ITEM_NOT_FOUND) {
		res = create_key(&h);
		/* Another session created it in between: use that one. */
		if (res == TEE_ERROR_ACCESS_CONFLICT)
			res = open_key(&h);
	}
	if (res != TEE_SUCCESS)
		goto fail;
	res = TEE_GetObjectInfo1(h, &info);
	if (res != TEE_SUCCESS)
		goto fail;
	if (info.objectType != TEE_TYPE_ECDH_KEYPAIR || info.objectSize != EC_BITS) {
		res = TEE_ERROR_CORRUPT_OBJECT;
		goto fail;
	}
	k->pub[0] = 0x04;
	res = read_coord(h, TEE_ATTR_ECC_PUBLIC_VALUE_X, k->pub + 1);
	if (res == TEE_SUCCESS)
		res = read_coord(h, TEE_ATTR_ECC_PUBLIC_VALUE_Y, k->pub + 1 + EC_COORD_LEN);
	if (res == TEE_SUCCESS)
		res = sha256(k->pub, sizeof(k->pub), k->id);
	if (res != TEE_SUCCESS)
		goto fail;
	k->pair = h;
	k->loaded = true;
	return CDL_OK;
fail:
	if (h != TEE_HANDLE_NULL)
		TEE_CloseObject(h);
	memset(k, 0, sizeof(*k));
	return cdl_ta_result_to_status(res);
}

void cdl_ta_device_key_close(cdl_ta_device_key *k)
{
	if (!k)
		return;
	if (k->loaded && k->pair != TEE_HANDLE_NULL)
		TEE_CloseObject(k->pair);
	memset(k, 0, sizeof(*k));
}
