/*
 * GlobalPlatform TEE Internal Core API (GPD_SPE_010, v1.3.1), the subset the
 * cdl TA uses.
 *
 * Our own declarations of the standard: names, types, prototypes and numeric
 * values are the specification's (v1.3.1, size_t lengths), which is what
 * OP-TEE's libutee provides, so the same TA sources build with OP-TEE's TA dev
 * kit or against the host TEE (src/tee/host). Freestanding: this header, like
 * the TA, includes nothing beyond <stddef.h> <stdint.h> <stdbool.h>.
 */
#ifndef CDL_TEE_INTERNAL_API_H
#define CDL_TEE_INTERNAL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* §3.2 Common definitions: TEE_Result, TEE_UUID */
typedef uint32_t TEE_Result;

typedef struct {
	uint32_t timeLow;
	uint16_t timeMid;
	uint16_t timeHiAndVersion;
	uint8_t clockSeqAndNode[8];
} TEE_UUID;

/* §3.3.1 / Table 3-1 Return codes */
#define TEE_SUCCESS                       0x00000000
#define TEE_ERROR_CORRUPT_OBJECT          0xF0100001
#define TEE_ERROR_CORRUPT_OBJECT_2        0xF0100002
#define TEE_ERROR_STORAGE_NOT_AVAILABLE   0xF0100003
#define TEE_ERROR_STORAGE_NOT_AVAILABLE_2 0xF0100004
#define TEE_ERROR_UNSUPPORTED_VERSION     0xF0100005
#define TEE_ERROR_CIPHERTEXT_INVALID      0xF0100006
#define TEE_ERROR_GENERIC                 0xFFFF0000
#define TEE_ERROR_ACCESS_DENIED           0xFFFF0001
#define TEE_ERROR_CANCEL                  0xFFFF0002
#define TEE_ERROR_ACCESS_CONFLICT         0xFFFF0003
#define TEE_ERROR_EXCESS_DATA             0xFFFF0004
#define TEE_ERROR_BAD_FORMAT              0xFFFF0005
#define TEE_ERROR_BAD_PARAMETERS          0xFFFF0006
#define TEE_ERROR_BAD_STATE               0xFFFF0007
#define TEE_ERROR_ITEM_NOT_FOUND          0xFFFF0008
#define TEE_ERROR_NOT_IMPLEMENTED         0xFFFF0009
#define TEE_ERROR_NOT_SUPPORTED           0xFFFF000A
#define TEE_ERROR_NO_DATA                 0xFFFF000B
#define TEE_ERROR_OUT_OF_MEMORY           0xFFFF000C
#define TEE_ERROR_BUSY                    0xFFFF000D
#define TEE_ERROR_COMMUNICATION           0xFFFF000E
#define TEE_ERROR_SECURITY                0xFFFF000F
#define TEE_ERROR_SHORT_BUFFER            0xFFFF0010
#define TEE_ERROR_EXTERNAL_CANCEL         0xFFFF0011
#define TEE_ERROR_TIMEOUT                 0xFFFF3001
#define TEE_ERROR_OVERFLOW                0xFFFF300F
#define TEE_ERROR_TARGET_DEAD             0xFFFF3024
#define TEE_ERROR_STORAGE_NO_SPACE        0xFFFF3041
#define TEE_ERROR_MAC_INVALID             0xFFFF3071
#define TEE_ERROR_SIGNATURE_INVALID       0xFFFF3072
#define TEE_ERROR_TIME_NOT_SET            0xFFFF5000
#define TEE_ERROR_TIME_NEEDS_RESET        0xFFFF5001

/* §4.3 / Table 4-2 Parameter types and their packing */
#define TEE_NUM_PARAMS 4

#define TEE_PARAM_TYPE_NONE             0
#define TEE_PARAM_TYPE_VALUE_INPUT      1
#define TEE_PARAM_TYPE_VALUE_OUTPUT     2
#define TEE_PARAM_TYPE_VALUE_INOUT      3
#define TEE_PARAM_TYPE_MEMREF_INPUT     5
#define TEE_PARAM_TYPE_MEMREF_OUTPUT    6
#define TEE_PARAM_TYPE_MEMREF_INOUT     7

#define TEE_PARAM_TYPES(t0, t1, t2, t3) \
	((uint32_t)(t0) | ((uint32_t)(t1) << 4) | ((uint32_t)(t2) << 8) | \
	 ((uint32_t)(t3) << 12))
#define TEE_PARAM_TYPE_GET(t, i) (((uint32_t)(t) >> ((i) * 4)) & 0xF)

/* §4.1.1 TEE_Param */
typedef union {
	struct {
		void *buffer;
		size_t size;
	} memref;
	struct {
		uint32_t a;
		uint32_t b;
	} value;
} TEE_Param;

/* §4.4 Login types (TEE_Identity.login) */
#define TEE_LOGIN_PUBLIC                0x00000000
#define TEE_LOGIN_USER                  0x00000001
#define TEE_LOGIN_GROUP                 0x00000002
#define TEE_LOGIN_APPLICATION           0x00000004

/* §4.3 TA interface: the entry points a TA implements */
TEE_Result TA_CreateEntryPoint(void);
void TA_DestroyEntryPoint(void);
TEE_Result TA_OpenSessionEntryPoint(uint32_t paramTypes,
				    TEE_Param params[TEE_NUM_PARAMS],
				    void **sessionContext);
void TA_CloseSessionEntryPoint(void *sessionContext);
TEE_Result TA_InvokeCommandEntryPoint(void *sessionContext, uint32_t commandID,
				      uint32_t paramTypes,
				      TEE_Param params[TEE_NUM_PARAMS]);

/* §4.8 Panic */
void TEE_Panic(TEE_Result panicCode) __attribute__((noreturn));

/* §4.11 Memory management */
#define TEE_MEMORY_ACCESS_READ             0x00000001
#define TEE_MEMORY_ACCESS_WRITE            0x00000002
#define TEE_MEMORY_ACCESS_ANY_OWNER        0x00000004

#define TEE_MALLOC_FILL_ZERO               0x00000000
#define TEE_MALLOC_NO_FILL                 0x00000001
#define TEE_MALLOC_NO_SHARE                0x00000002

TEE_Result TEE_CheckMemoryAccessRights(uint32_t accessFlags, void *buffer,
				       size_t size);
void *TEE_Malloc(size_t size, uint32_t hint);
void *TEE_Realloc(void *buffer, size_t newSize);
void TEE_Free(void *buffer);
void *TEE_MemMove(void *dest, const void *src, size_t size);
int32_t TEE_MemCompare(const void *buffer1, const void *buffer2, size_t size);
void TEE_MemFill(void *buffer, uint32_t x, size_t size);

/* §5.1 Data and key storage: handles and object information */
typedef struct __TEE_ObjectHandle *TEE_ObjectHandle;
typedef uint32_t TEE_ObjectType;
typedef uint32_t TEE_Whence;

#define TEE_HANDLE_NULL                    0

typedef struct {
	uint32_t objectType;
	uint32_t objectSize;
	uint32_t maxObjectSize;
	uint32_t objectUsage;
	size_t dataSize;
	size_t dataPosition;
	uint32_t handleFlags;
} TEE_ObjectInfo;

/* §5.3.1 Attributes */
typedef struct {
	uint32_t attributeID;
	union {
		struct {
			void *buffer;
			size_t length;
		} ref;
		struct {
			uint32_t a, b;
		} value;
	} content;
} TEE_Attribute;

/* §5.4 / Table 5-2..5-5 Storage constants */
#define TEE_STORAGE_PRIVATE                0x00000001

#define TEE_DATA_FLAG_ACCESS_READ          0x00000001
#define TEE_DATA_FLAG_ACCESS_WRITE         0x00000002
#define TEE_DATA_FLAG_ACCESS_WRITE_META    0x00000004
#define TEE_DATA_FLAG_SHARE_READ           0x00000010
#define TEE_DATA_FLAG_SHARE_WRITE          0x00000020
#define TEE_DATA_FLAG_OVERWRITE            0x00000400
#define TEE_DATA_MAX_POSITION              0xFFFFFFFF
#define TEE_OBJECT_ID_MAX_LEN              64

#define TEE_DATA_SEEK_SET                  0x00000000
#define TEE_DATA_SEEK_CUR                  0x00000001
#define TEE_DATA_SEEK_END                  0x00000002

#define TEE_USAGE_EXTRACTABLE              0x00000001
#define TEE_USAGE_ENCRYPT                  0x00000002
#define TEE_USAGE_DECRYPT                  0x00000004
#define TEE_USAGE_MAC                      0x00000008
#define TEE_USAGE_SIGN                     0x00000010
#define TEE_USAGE_VERIFY                   0x00000020
#define TEE_USAGE_DERIVE                   0x00000040

#define TEE_HANDLE_FLAG_PERSISTENT         0x00010000
#define TEE_HANDLE_FLAG_INITIALIZED        0x00020000
#define TEE_HANDLE_FLAG_KEY_SET            0x00040000
#define TEE_HANDLE_FLAG_EXPECT_TWO_KEYS    0x00080000

/* §5.5 Generic object functions */
TEE_Result TEE_GetObjectInfo1(TEE_ObjectHandle object,
			      TEE_ObjectInfo *objectInfo);
TEE_Result TEE_RestrictObjectUsage1(TEE_ObjectHandle object,
				    uint32_t objectUsage);
TEE_Result TEE_GetObjectBufferAttribute(TEE_ObjectHandle object,
					uint32_t attributeID, void *buffer,
					size_t *size);
TEE_Result TEE_GetObjectValueAttribute(TEE_ObjectHandle object,
				       uint32_t attributeID, uint32_t *a,
				       uint32_t *b);
void TEE_CloseObject(TEE_ObjectHandle object);

/* §5.6 Transient object functions */
TEE_Result TEE_AllocateTransientObject(TEE_ObjectType objectType,
				       uint32_t maxObjectSize,
				       TEE_ObjectHandle *object);
void TEE_FreeTransientObject(TEE_ObjectHandle object);
void TEE_ResetTransientObject(TEE_ObjectHandle object);
TEE_Result TEE_PopulateTransientObject(TEE_ObjectHandle object,
				       const TEE_Attribute *attrs,
				       uint32_t attrCount);
void TEE_InitRefAttribute(TEE_Attribute *attr, uint32_t attributeID,
			  const void *buffer, size_t length);
void TEE_InitValueAttribute(TEE_Attribute *attr, uint32_t attributeID,
			    uint32_t a, uint32_t b);
TEE_Result TEE_GenerateKey(TEE_ObjectHandle object, uint32_t keySize,
			   const TEE_Attribute *params, uint32_t paramCount);

/* §5.7 Persistent object functions */
TEE_Result TEE_OpenPersistentObject(uint32_t storageID, const void *objectID,
				    size_t objectIDLen, uint32_t flags,
				    TEE_ObjectHandle *object);
TEE_Result TEE_CreatePersistentObject(uint32_t storageID, const void *objectID,
				      size_t objectIDLen, uint32_t flags,
				      TEE_ObjectHandle attributes,
				      const void *initialData,
				      size_t initialDataLen,
				      TEE_ObjectHandle *object);
TEE_Result TEE_CloseAndDeletePersistentObject1(TEE_ObjectHandle object);

/* §5.9 Data stream access functions */
TEE_Result TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer,
			      size_t size, size_t *count);
TEE_Result TEE_WriteObjectData(TEE_ObjectHandle object, const void *buffer,
			       size_t size);
TEE_Result TEE_TruncateObjectData(TEE_ObjectHandle object, size_t size);
TEE_Result TEE_SeekObjectData(TEE_ObjectHandle object, intmax_t offset,
			      TEE_Whence whence);

/* §6.1 Cryptographic operations: handles, modes, classes */
typedef struct __TEE_OperationHandle *TEE_OperationHandle;
typedef uint32_t TEE_OperationMode;

#define TEE_MODE_ENCRYPT                   0x00000000
#define TEE_MODE_DECRYPT                   0x00000001
#define TEE_MODE_SIGN                      0x00000002
#define TEE_MODE_VERIFY                    0x00000003
#define TEE_MODE_MAC                       0x00000004
#define TEE_MODE_DIGEST                    0x00000005
#define TEE_MODE_DERIVE                    0x00000006

#define TEE_OPERATION_CIPHER               1
#define TEE_OPERATION_MAC                  3
#define TEE_OPERATION_AE                   4
#define TEE_OPERATION_DIGEST               5
#define TEE_OPERATION_ASYMMETRIC_CIPHER    6
#define TEE_OPERATION_ASYMMETRIC_SIGNATURE 7
#define TEE_OPERATION_KEY_DERIVATION       8

#define TEE_OPERATION_STATE_INITIAL        0x00000000
#define TEE_OPERATION_STATE_ACTIVE         0x00000001

typedef struct {
	uint32_t algorithm;
	uint32_t operationClass;
	uint32_t mode;
	uint32_t digestLength;
	uint32_t maxKeySize;
	uint32_t keySize;
	uint32_t requiredKeyUsage;
	uint32_t handleState;
} TEE_OperationInfo;

/* §6.10 / Table 6-11 Algorithm identifiers (those cdl uses) */
#define TEE_ALG_AES_GCM                    0x40000810
#define TEE_ALG_SHA256                     0x50000004
#define TEE_ALG_HMAC_SHA256                0x30000004
#define TEE_ALG_ECDSA_SHA256               0x70003042
#define TEE_ALG_ECDH_DERIVE_SHARED_SECRET  0x80000042
/* v1.1 names, deprecated by v1.3 and aliased the same way in OP-TEE. */
#define TEE_ALG_ECDSA_P256                 TEE_ALG_ECDSA_SHA256
#define TEE_ALG_ECDH_P256                  TEE_ALG_ECDH_DERIVE_SHARED_SECRET

/* §6.11 / Table 6-13 Object types */
#define TEE_TYPE_AES                       0xA0000010
#define TEE_TYPE_HMAC_SHA256               0xA0000004
#define TEE_TYPE_GENERIC_SECRET            0xA0000000
#define TEE_TYPE_ECDSA_PUBLIC_KEY          0xA0000041
#define TEE_TYPE_ECDSA_KEYPAIR             0xA1000041
#define TEE_TYPE_ECDH_PUBLIC_KEY           0xA0000042
#define TEE_TYPE_ECDH_KEYPAIR              0xA1000042
#define TEE_TYPE_DATA                      0xA00000BF

/* §6.11 / Table 6-15 Object attributes. Bit 28: public; bit 29: value. */
#define TEE_ATTR_SECRET_VALUE              0xC0000000
#define TEE_ATTR_ECC_PUBLIC_VALUE_X        0xD0000141
#define TEE_ATTR_ECC_PUBLIC_VALUE_Y        0xD0000241
#define TEE_ATTR_ECC_PRIVATE_VALUE         0xC0000341
#define TEE_ATTR_ECC_CURVE                 0xF0000441
#define TEE_ATTR_FLAG_PUBLIC               (1u << 28)
#define TEE_ATTR_FLAG_VALUE                (1u << 29)

/* §6.11 / Table 6-14 ECC curves */
#define TEE_ECC_CURVE_NIST_P256            0x00000003

/* §6.2 Generic operation functions */
TEE_Result TEE_AllocateOperation(TEE_OperationHandle *operation,
				 uint32_t algorithm, uint32_t mode,
				 uint32_t maxKeySize);
void TEE_FreeOperation(TEE_OperationHandle operation);
void TEE_GetOperationInfo(TEE_OperationHandle operation,
			  TEE_OperationInfo *operationInfo);
void TEE_ResetOperation(TEE_OperationHandle operation);
TEE_Result TEE_SetOperationKey(TEE_OperationHandle operation,
			       TEE_ObjectHandle key);

/* §6.3 Message digest functions */
void TEE_DigestUpdate(TEE_OperationHandle operation, const void *chunk,
		      size_t chunkSize);
TEE_Result TEE_DigestDoFinal(TEE_OperationHandle operation, const void *chunk,
			     size_t chunkLen, void *hash, size_t *hashLen);

/* §6.5 MAC functions (HMAC-SHA256) */
void TEE_MACInit(TEE_OperationHandle operation, const void *IV, size_t IVLen);
void TEE_MACUpdate(TEE_OperationHandle operation, const void *chunk,
		   size_t chunkSize);
TEE_Result TEE_MACComputeFinal(TEE_OperationHandle operation,
			       const void *message, size_t messageLen,
			       void *mac, size_t *macLen);

/* §6.6 Authenticated encryption functions (AES-GCM) */
TEE_Result TEE_AEInit(TEE_OperationHandle operation, const void *nonce,
		      size_t nonceLen, uint32_t tagLen, size_t AADLen,
		      size_t payloadLen);
void TEE_AEUpdateAAD(TEE_OperationHandle operation, const void *AADdata,
		     size_t AADdataLen);
TEE_Result TEE_AEUpdate(TEE_OperationHandle operation, const void *srcData,
			size_t srcLen, void *destData, size_t *destLen);
TEE_Result TEE_AEEncryptFinal(TEE_OperationHandle operation,
			      const void *srcData, size_t srcLen,
			      void *destData, size_t *destLen, void *tag,
			      size_t *tagLen);
TEE_Result TEE_AEDecryptFinal(TEE_OperationHandle operation,
			      const void *srcData, size_t srcLen,
			      void *destData, size_t *destLen, void *tag,
			      size_t tagLen);

/* §6.7 Asymmetric functions (ECDSA P-256: signature is r || s, 64 bytes) */
TEE_Result TEE_AsymmetricSignDigest(TEE_OperationHandle operation,
				    const TEE_Attribute *params,
				    uint32_t paramCount, const void *digest,
				    size_t digestLen, void *signature,
				    size_t *signatureLen);
TEE_Result TEE_AsymmetricVerifyDigest(TEE_OperationHandle operation,
				      const TEE_Attribute *params,
				      uint32_t paramCount, const void *digest,
				      size_t digestLen, const void *signature,
				      size_t signatureLen);

/* §6.8 Key derivation (ECDH P-256: params are the peer's public X and Y;
 * derivedKey, a TEE_TYPE_GENERIC_SECRET, receives the shared X coordinate) */
void TEE_DeriveKey(TEE_OperationHandle operation, const TEE_Attribute *params,
		   uint32_t paramCount, TEE_ObjectHandle derivedKey);

/* §6.9 Random data generation */
void TEE_GenerateRandom(void *randomBuffer, size_t randomBufferLen);

/* §7 Time */
typedef struct {
	uint32_t seconds;
	uint32_t millis;
} TEE_Time;

void TEE_GetSystemTime(TEE_Time *time);
void TEE_GetREETime(TEE_Time *time);

#ifdef __cplusplus
}
#endif

#endif /* CDL_TEE_INTERNAL_API_H */
