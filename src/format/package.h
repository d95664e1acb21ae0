/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The .cdlm package format (docs/package-format.md): constants, field offsets,
 * limits and the parsed public header. Shared by the freestanding reader and
 * the OpenSSL writer, so both sides read one definition of the layout.
 *
 * Freestanding (DESIGN §3): only the allowed libc headers.
 */
#ifndef CDL_FORMAT_PACKAGE_H
#define CDL_FORMAT_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"

/* PNG-style: a non-ASCII first byte and CR LF ^Z catch text-mode mangling. */
#define CDL_PKG_MAGIC "\211CDLM\r\n\032" /* 89 43 44 4c 4d 0d 0a 1a */
#define CDL_PKG_MAGIC_LEN 8u
#define CDL_PKG_VERSION_MAJOR 1u
#define CDL_PKG_VERSION_MINOR 0u

/* Sizes of the cryptographic objects. */
#define CDL_PKG_MODEL_ID_LEN 16u
#define CDL_PKG_NONCE_LEN 8u /* package nonce; block nonce = it || LE32(index) */
#define CDL_PKG_GCM_NONCE_LEN 12u
#define CDL_PKG_TAG_LEN 16u
#define CDL_PKG_KEY_LEN 32u	    /* AES-256 content key and KEK */
#define CDL_PKG_HASH_LEN 32u	    /* SHA-256 */
#define CDL_PKG_KEY_ID_LEN 32u	    /* SHA-256 of an uncompressed P-256 point */
#define CDL_PKG_PUBKEY_LEN 65u	    /* SEC1 uncompressed: 0x04 || X || Y */
#define CDL_PKG_WRAPPED_KEY_LEN 48u /* GCM(content key) 32 || tag 16 */
#define CDL_PKG_SIG_LEN 64u	    /* ECDSA P-256 r || s, each 32 bytes big-endian */
#define CDL_PKG_BLOCK_AAD_LEN (CDL_PKG_HASH_LEN + 4u)

/* HKDF info prefix (ASCII, no NUL) for the key-encryption key. */
#define CDL_PKG_KEK_INFO_PREFIX "cdl-kek-v1"
#define CDL_PKG_KEK_INFO_PREFIX_LEN 10u
#define CDL_PKG_KEK_INFO_LEN (CDL_PKG_KEK_INFO_PREFIX_LEN + CDL_PKG_HASH_LEN)

/* Fixed part of the header: byte offsets (all integers little-endian). */
#define CDL_PKG_OFF_MAGIC 0u
#define CDL_PKG_OFF_VERSION_MAJOR 8u   /* u16 */
#define CDL_PKG_OFF_VERSION_MINOR 10u  /* u16 */
#define CDL_PKG_OFF_HEADER_LEN 12u     /* u32 */
#define CDL_PKG_OFF_BLOCK_SIZE 16u     /* u32 */
#define CDL_PKG_OFF_BLOCK_COUNT 20u    /* u32 */
#define CDL_PKG_OFF_STREAM_LEN 24u     /* u64 */
#define CDL_PKG_OFF_MODEL_ID 32u       /* 16 bytes */
#define CDL_PKG_OFF_NONCE 48u	       /* 8 bytes */
#define CDL_PKG_OFF_OUTPUT_MODE 56u    /* u16 */
#define CDL_PKG_OFF_RESERVED0 58u      /* u16, 0 */
#define CDL_PKG_OFF_TOPK 60u	       /* u32 */
#define CDL_PKG_OFF_MAX_QUERIES 64u    /* u64 */
#define CDL_PKG_OFF_EXPIRY 72u	       /* u64 */
#define CDL_PKG_OFF_N_INPUTS 80u       /* u16 */
#define CDL_PKG_OFF_N_OUTPUTS 82u      /* u16 */
#define CDL_PKG_OFF_N_EXT 84u	       /* u16 */
#define CDL_PKG_OFF_RESERVED1 86u      /* u16, 0 */
#define CDL_PKG_OFF_RECIPIENT 88u      /* 32 bytes */
#define CDL_PKG_OFF_PROVIDER_PUB 120u  /* 65 bytes */
#define CDL_PKG_OFF_EPHEMERAL_PUB 185u /* 65 bytes */
#define CDL_PKG_FIXED_LEN 250u	       /* variable part starts here */

/* Limits (v1): anything outside is CDL_ERR_MALFORMED, never a crash. */
#define CDL_PKG_MIN_HEADER (CDL_PKG_FIXED_LEN + CDL_PKG_WRAPPED_KEY_LEN)
#define CDL_PKG_MAX_HEADER 16384u
#define CDL_PKG_MIN_BLOCK_SIZE 4096u
#define CDL_PKG_MAX_BLOCK_SIZE (16u << 20)
#define CDL_PKG_BLOCK_ALIGN 4096u /* block_size is a multiple of this */
#define CDL_PKG_DEFAULT_BLOCK_SIZE (64u << 10)
#define CDL_PKG_MAX_BLOCKS (1u << 24)
#define CDL_PKG_MAX_IO 16u /* inputs, and separately outputs */
#define CDL_PKG_MAX_NAME 127u
#define CDL_PKG_MAX_RANK 8u
#define CDL_PKG_MAX_DIM 0xffffffffll
#define CDL_PKG_MAX_EXT 16u
#define CDL_PKG_MAX_CHANNELS 16u

/* Extension records (type u16, flags u16, len u32, data). */
#define CDL_PKG_EXT_HDR_LEN 8u
#define CDL_PKG_EXT_CRITICAL 0x0001u  /* reader must understand it or refuse */
#define CDL_PKG_EXT_PREPROC 1u	      /* image preprocessing, see below */
#define CDL_PKG_PREPROC_FIXED_LEN 24u /* + 8 * n_channels */

typedef enum cdl_pkg_output_mode {
	CDL_PKG_OUTPUT_FULL = 0,  /* all output tensors as computed */
	CDL_PKG_OUTPUT_TOPK = 1,  /* top-K (index, score) pairs of output 0 */
	CDL_PKG_OUTPUT_LABEL = 2, /* the arg-max index of output 0 only */
} cdl_pkg_output_mode;

typedef enum cdl_pkg_layout {
	CDL_PKG_LAYOUT_NCHW = 0,
	CDL_PKG_LAYOUT_NHWC = 1,
} cdl_pkg_layout;

typedef enum cdl_pkg_channel_order {
	CDL_PKG_RGB = 0,
	CDL_PKG_BGR = 1,
} cdl_pkg_channel_order;

/* An input or output of the model, as the app sees it. */
typedef struct cdl_pkg_tensor_info {
	char name[CDL_PKG_MAX_NAME + 1]; /* printable ASCII, NUL-terminated */
	uint8_t dtype;			 /* ONNX TensorProto.DataType value, != 0 */
	uint8_t rank;			 /* 0 .. CDL_PKG_MAX_RANK */
	int64_t dims[CDL_PKG_MAX_RANK];	 /* 0 .. CDL_PKG_MAX_DIM */
} cdl_pkg_tensor_info;

/* What the TA enforces (DESIGN §2 G4). */
typedef struct cdl_pkg_policy {
	uint16_t output_mode; /* cdl_pkg_output_mode */
	uint32_t topk;	      /* K for CDL_PKG_OUTPUT_TOPK (1..65535), else 0 */
	uint64_t max_queries; /* 0 = unlimited */
	uint64_t expiry;      /* first Unix second (UTC) the model refuses to run; 0 = never */
} cdl_pkg_policy;

/*
 * How an image becomes the input tensor (for `cdl run`): resize (shorter side
 * to resize_short then centre-crop height x width, or straight to height x
 * width when resize_short is 0), x = pixel * scale, then (x - mean[c]) / std[c].
 * The reader only checks it is well-formed; it never uses it.
 */
typedef struct cdl_pkg_preproc {
	bool present;
	uint16_t input_index;
	uint8_t layout;	       /* cdl_pkg_layout */
	uint8_t channel_order; /* cdl_pkg_channel_order */
	uint32_t height, width, resize_short;
	float scale;
	uint16_t n_channels;
	float mean[CDL_PKG_MAX_CHANNELS];
	float std[CDL_PKG_MAX_CHANNELS];
} cdl_pkg_preproc;

/* The public header, parsed and checked. */
typedef struct cdl_pkg_header {
	uint16_t version_major, version_minor;
	uint32_t header_len;
	uint32_t block_size;
	uint32_t block_count;
	uint64_t stream_len;  /* plaintext bytes; the last block is zero-padded */
	uint64_t package_len; /* the whole file */
	uint8_t model_id[CDL_PKG_MODEL_ID_LEN];
	uint8_t package_nonce[CDL_PKG_NONCE_LEN];
	uint8_t recipient_key_id[CDL_PKG_KEY_ID_LEN];
	uint8_t provider_pub[CDL_PKG_PUBKEY_LEN];
	uint8_t provider_key_id[CDL_PKG_KEY_ID_LEN]; /* SHA-256(provider_pub), computed */
	uint8_t ephemeral_pub[CDL_PKG_PUBKEY_LEN];
	uint8_t wrapped_key[CDL_PKG_WRAPPED_KEY_LEN];
	cdl_pkg_policy policy;
	uint16_t n_inputs, n_outputs;
	cdl_pkg_tensor_info inputs[CDL_PKG_MAX_IO];
	cdl_pkg_tensor_info outputs[CDL_PKG_MAX_IO];
	cdl_pkg_preproc preproc;
	uint16_t n_ext;		/* extension records, incl. preprocessing */
	uint16_t n_ext_skipped; /* non-critical records this reader does not know */
} cdl_pkg_header;

/* Little-endian field access, byte by byte: no alignment assumptions. */
static inline uint16_t cdl_pkg_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t cdl_pkg_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t cdl_pkg_get_u64(const uint8_t *p)
{
	return (uint64_t)cdl_pkg_get_u32(p) | (uint64_t)cdl_pkg_get_u32(p + 4) << 32;
}

static inline void cdl_pkg_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void cdl_pkg_put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void cdl_pkg_put_u64(uint8_t *p, uint64_t v)
{
	cdl_pkg_put_u32(p, (uint32_t)v);
	cdl_pkg_put_u32(p + 4, (uint32_t)(v >> 32));
}

/* Block i's GCM nonce and AAD (docs/package-format.md §5). */
static inline void cdl_pkg_block_nonce(const uint8_t package_nonce[CDL_PKG_NONCE_LEN],
				       uint32_t index, uint8_t nonce[CDL_PKG_GCM_NONCE_LEN])
{
	for (unsigned int i = 0; i < CDL_PKG_NONCE_LEN; i++)
		nonce[i] = package_nonce[i];
	cdl_pkg_put_u32(nonce + CDL_PKG_NONCE_LEN, index);
}

static inline void cdl_pkg_block_aad(const uint8_t header_hash[CDL_PKG_HASH_LEN], uint32_t index,
				     uint8_t aad[CDL_PKG_BLOCK_AAD_LEN])
{
	for (unsigned int i = 0; i < CDL_PKG_HASH_LEN; i++)
		aad[i] = header_hash[i];
	cdl_pkg_put_u32(aad + CDL_PKG_HASH_LEN, index);
}

/*
 * Whole-file size for a header of header_len bytes and block_count blocks of
 * block_size: header || tags || blocks || signature. False on overflow.
 */
static inline bool cdl_pkg_total_len(uint32_t header_len, uint32_t block_size, uint32_t block_count,
				     uint64_t *out)
{
	uint64_t n = (uint64_t)block_count;
	uint64_t per_block = (uint64_t)block_size + CDL_PKG_TAG_LEN;
	uint64_t blocks = 0;

	if (__builtin_mul_overflow(n, per_block, &blocks))
		return false;
	if (__builtin_add_overflow(blocks, (uint64_t)header_len + CDL_PKG_SIG_LEN, out))
		return false;
	return true;
}

#endif /* CDL_FORMAT_PACKAGE_H */
