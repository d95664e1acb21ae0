/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one header shared by the cdl trusted application and its client
 * (libcdl): the TA's UUID, its command ids and, for each command, its
 * parameters. Nothing else crosses the world boundary. All multi-byte fields
 * of the structs below are little-endian (every target cdl supports is).
 *
 * The interface is coarse on purpose (DESIGN §7): one call opens a model, one
 * call runs an inference (or a batch). Weights never cross in plaintext: the
 * package stays encrypted in shared memory, the TA decrypts it inside.
 *
 * Included by freestanding TA code: only <stdint.h>.
 */
#ifndef CDL_TA_H
#define CDL_TA_H

#include <stdint.h>

/* 5c3d0a6e-93b1-4f27-8c5e-2a9d4b7e61f0 */
#define TA_CDL_UUID                                                                  \
	{                                                                            \
		0x5c3d0a6e, 0x93b1, 0x4f27,                                          \
		{                                                                    \
			0x8c, 0x5e, 0x2a, 0x9d, 0x4b, 0x7e, 0x61, 0xf0               \
		}                                                                    \
	}

/* Version of this interface; CDL_TA_CMD_INFO reports it. */
#define CDL_TA_API_VERSION 1u

/* Execution modes (DESIGN §6). */
#define CDL_TA_MODE_AUTO 0u     /* resident what fits, stream the rest (default) */
#define CDL_TA_MODE_RESIDENT 1u /* all weights decrypted once at open */
#define CDL_TA_MODE_STREAM 2u   /* every layer's weights decrypted just before it runs */

/* Output policies, as recorded in the package (docs/package-format.md). */
#define CDL_TA_OUTPUT_FULL 0u  /* every output tensor as computed */
#define CDL_TA_OUTPUT_TOPK 1u  /* per batch item: k (index u32, score f32) pairs of output 0 */
#define CDL_TA_OUTPUT_LABEL 2u /* per batch item: the argmax index (u32) of output 0 */

/*
 * CDL_TA_CMD_DEVICE_KEY - the device's P-256 public key.
 * The key pair is generated inside the TA on first use and kept in TEE
 * secure storage; the private key never leaves the TA.
 *   [out] memref[0]: 65 bytes, uncompressed point 0x04 || X || Y
 *   [out] memref[1]: 32 bytes, key id = SHA-256 of memref[0] (what packages name
 *                    as their recipient)
 *   [none] 2, 3
 */
#define CDL_TA_CMD_DEVICE_KEY 0u

/*
 * CDL_TA_CMD_OPEN_MODEL - verify, unwrap and load a package.
 *   [in]  memref[0]: the whole .cdlm package (shared memory). The TA copies
 *                    what it parses; in stream/auto mode the client must pass
 *                    the same package again with every RUN.
 *   [in]  value[1].a: mode (CDL_TA_MODE_*)
 *   [out] value[2].a: model handle (session-local, never 0)
 *         value[2].b: mode chosen (RESIDENT or STREAM)
 *   [out] memref[3]: optional message buffer; on failure the TA writes one
 *                    NUL-terminated line explaining it ("needs 21.4 MiB of
 *                    secure memory for activations, budget is 16 MiB").
 * Returns TEE_SUCCESS; TEE_ERROR_SECURITY (integrity), TEE_ERROR_BAD_FORMAT,
 * TEE_ERROR_OUT_OF_MEMORY (secure memory), TEE_ERROR_ACCESS_DENIED
 * (package for another device), CDL_TA_ERROR_EXPIRED, CDL_TA_ERROR_BUDGET, ...
 */
#define CDL_TA_CMD_OPEN_MODEL 1u

/*
 * CDL_TA_CMD_RUN - one inference or a batch, in one call.
 *   [in]  value[0].a: model handle; value[0].b: batch size n (>= 1)
 *   [in]  memref[1]: inputs: for each batch item, every model input in model
 *                    order, each as its dtype's bytes in the package's shape
 *   [out] memref[2]: outputs, by the package's output policy:
 *                    FULL:  for each batch item, every output in model order
 *                    TOPK:  for each batch item, k x (u32 index, f32 score)
 *                    LABEL: for each batch item, one u32
 *                    A short buffer gets TEE_ERROR_SHORT_BUFFER and the
 *                    needed size in memref[2].size.
 *   [in]  memref[3]: the package again (stream/auto mode, when any weights
 *                    are streamed); TEE_PARAM_TYPE_NONE when all are resident.
 * Each call counts n queries against the package's query budget.
 */
#define CDL_TA_CMD_RUN 2u

/*
 * CDL_TA_CMD_STATS - what a model costs inside the TEE.
 *   [in]  value[0].a: model handle
 *   [out] memref[1]: struct cdl_ta_stats
 */
#define CDL_TA_CMD_STATS 3u

/*
 * CDL_TA_CMD_CLOSE_MODEL - frees the model's secure memory (wiped).
 *   [in]  value[0].a: model handle
 */
#define CDL_TA_CMD_CLOSE_MODEL 4u

/*
 * CDL_TA_CMD_MODEL_INFO - what the verified package says about itself.
 *   [in]  value[0].a: model handle
 *   [out] memref[1]: struct cdl_ta_model_info
 */
#define CDL_TA_CMD_MODEL_INFO 5u

/* TA-specific results (GP reserves 0x00000001..0x7FFFFFFF for the TA). */
#define CDL_TA_ERROR_EXPIRED 0x00000101u /* the package's expiry date has passed */
#define CDL_TA_ERROR_BUDGET 0x00000102u  /* the package's query budget is used up */
#define CDL_TA_ERROR_POLICY 0x00000103u  /* the policy refuses the request */

struct cdl_ta_stats {
	uint32_t mode;               /* CDL_TA_MODE_RESIDENT or _STREAM */
	uint32_t tiled_layers;       /* layers run in tiles (stream) */
	uint64_t heap_budget;        /* B: the TA's secure heap */
	uint64_t heap_peak;          /* peak secure memory used since start */
	uint64_t model_bytes;        /* secure memory this model holds now */
	uint64_t arena_bytes;        /* A: activation arena */
	uint64_t weight_bytes;       /* W: all weights, decrypted */
	uint64_t resident_bytes;     /* weights kept decrypted in secure memory */
	uint64_t decrypted_last_run; /* bytes decrypted by the last RUN (per call) */
	uint64_t runs;               /* RUN calls on this model */
	uint64_t queries_left;       /* UINT64_MAX: unlimited */
	uint64_t run_time_us;        /* time inside the TA in the last RUN */
	uint64_t open_time_us;       /* time of OPEN_MODEL (verify + decrypt) */
	uint32_t workers;            /* threads a RUN's inference is split over (>= 1) */
	uint32_t reserved;           /* 0 */
};

#define CDL_TA_MAX_IO 16
#define CDL_TA_NAME_LEN 64
#define CDL_TA_MAX_RANK 8

struct cdl_ta_tensor_info {
	char name[CDL_TA_NAME_LEN]; /* NUL-terminated, truncated if longer */
	uint32_t dtype;             /* ONNX TensorProto.DataType */
	uint32_t rank;
	int64_t dims[CDL_TA_MAX_RANK];
};

struct cdl_ta_model_info {
	uint8_t model_id[16];
	uint8_t provider_key_id[32]; /* SHA-256 of the provider's public point */
	uint32_t output_mode;        /* CDL_TA_OUTPUT_* */
	uint32_t topk;               /* k for CDL_TA_OUTPUT_TOPK */
	uint64_t max_queries;        /* 0: unlimited */
	uint64_t expires;            /* Unix seconds, 0: never */
	uint32_t n_inputs, n_outputs;
	struct cdl_ta_tensor_info inputs[CDL_TA_MAX_IO];
	struct cdl_ta_tensor_info outputs[CDL_TA_MAX_IO];
};

#endif /* CDL_TA_H */
