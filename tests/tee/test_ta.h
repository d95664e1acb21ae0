/*
 * The test TA of the host TEE (linked into cdl-tee-test): shared by the TA
 * and tests/tee/tee_tests.c. Not the cdl TA: it exercises the transport and
 * the Internal API subset.
 */
#ifndef CDL_TEST_TA_H
#define CDL_TEST_TA_H

#include <stddef.h>
#include <stdint.h>

/* 8aaf200e-2450-11e4-abe2-0002a5d5c51b style, ours: */
#define TA_TEST_UUID { 0x7c3a9e52, 0x41d6, 0x4b8f, \
	{ 0x9a, 0x1e, 0x5d, 0x0c, 0x63, 0x2f, 0xb7, 0x11 } }

/* No parameters. */
#define TA_TEST_CMD_NOP 0
/* [in] value[0]; [out] value[1] = value[0]; [inout] value[2]: a + 1, b - 1 */
#define TA_TEST_CMD_ECHO 1
/* [inout] memref[0]: every byte inverted; [out] value[1].a: byte sum before,
 * value[1].b: memref size seen */
#define TA_TEST_CMD_SUM_INVERT 2
/* [in] value[0].a: n, value[0].b: seed; [out] memref[1]: n bytes
 * (seed + i) & 0xff, or SHORT_BUFFER with memref[1].size = n */
#define TA_TEST_CMD_FILL 3
/* [in] value[0].a: bytes to TEE_Malloc and keep; [out] value[1].a: blocks
 * held. OUT_OF_MEMORY when the heap is full. */
#define TA_TEST_CMD_ALLOC 4
/* Frees what ALLOC and SECRET hold. */
#define TA_TEST_CMD_FREE_ALL 5
/* [out] value[0].a: heap size, .b: used; value[1].a: peak */
#define TA_TEST_CMD_HEAP_STATS 6
/* [in] memref[0]: object id; [in] memref[1]: data (created, overwriting) */
#define TA_TEST_CMD_STORE 7
/* [in] memref[0]: object id; [out] memref[1]: data */
#define TA_TEST_CMD_LOAD 8
/* [in] memref[0]: object id */
#define TA_TEST_CMD_DELETE 9
/* [in] memref[0]: data; [out] memref[1]: SHA-256, 32 bytes */
#define TA_TEST_CMD_SHA256 10
/* [in] value[0].a: 0 encrypt, 1 decrypt; [in] memref[1]: key[32] iv[12]
 * aad_len (u32, little endian) aad payload; [out] memref[2]: encrypt:
 * ciphertext || tag[16], decrypt (payload = ciphertext || tag): plaintext */
#define TA_TEST_CMD_AES_GCM 11
/* [in] memref[0]: digest[32]; [out] memref[1]: X Y r s (128 bytes) of a
 * fresh P-256 key; [out] value[2].a: own verify ok, .b: altered digest
 * rejected */
#define TA_TEST_CMD_ECDSA 12
/* [in] memref[0]: peer X Y (64); [out] memref[1]: own X Y, shared secret (96) */
#define TA_TEST_CMD_ECDH 13
/* [in] memref[0]: label; [out] memref[1]: 32-byte TA-unique key */
#define TA_TEST_CMD_DERIVE 14
/* TEE_Panic */
#define TA_TEST_CMD_PANIC 15
/* [in] value[0].a: milliseconds to spin */
#define TA_TEST_CMD_BUSY 16
/* [in] value[0].a: bytes of TEE_Malloc filled with ta_test_secret_byte();
 * value[0].b: 1 = also copy 64 of them to a global (a control for leak
 * scans); [out] value[1].a: TEE_CheckMemoryAccessRights on it == SUCCESS */
#define TA_TEST_CMD_SECRET 17
/* [inout] memref[0]; [out] value[1].a: TEE_CheckMemoryAccessRights(read)
 * result, .b: with ANY_OWNER */
#define TA_TEST_CMD_ACCESS 18
/* [out] value[0].a: this session's call count */
#define TA_TEST_CMD_COUNTER 19
/* [out] memref[0]: X Y (64) of a new ECDSA key pair kept as persistent key
 * object "key" */
#define TA_TEST_CMD_STORE_KEY 20
/* [in] memref[0]: digest[32]; [out] memref[1]: r s by the stored key */
#define TA_TEST_CMD_SIGN_STORED 21
/* [inout] memref[0]: any size, not read (transport benchmark) */
#define TA_TEST_CMD_NOP_MEMREF 22

/* The secret pattern: computed inside the TA, never sent anywhere. */
static inline uint8_t ta_test_secret_byte(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;

	return (uint8_t)((x >> 13) ^ (x >> 24) ^ 0x5c);
}

#endif /* CDL_TEST_TA_H */
