/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared helpers of the TA tests and the TA benchmark: the cdl TA through
 * the raw GP Client API (cdl_teec, which spawns cdl-tee), models compiled
 * from ONNX, packages made with the format writer, and the plain engine as
 * the reference.
 */
#ifndef CDL_TESTS_TA_UTIL_H
#define CDL_TESTS_TA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "cdl_ta.h"
#include "engine/engine.h"
#include "format/package.h"
#include "tee_client_api.h"

/* The TA: one context (one spawned cdl-tee) and one session. */
typedef struct ta {
	TEEC_Context ctx;
	TEEC_Session sess;
	bool up;
} ta;

TEEC_Result ta_start(ta *t);
void ta_stop(ta *t);
TEEC_Result ta_invoke(ta *t, uint32_t cmd, TEEC_Operation *op);

TEEC_Result ta_device_key(ta *t, uint8_t pub[CDL_PKG_PUBKEY_LEN], uint8_t id[CDL_PKG_KEY_ID_LEN]);

/* A package in shared memory (allocated, so nothing is copied per call). */
typedef struct ta_pkg {
	TEEC_SharedMemory shm;
	size_t len;
	size_t off; /* where the package starts inside shm */
} ta_pkg;

TEEC_Result ta_pkg_share(ta *t, ta_pkg *p, const uint8_t *pkg, size_t len, size_t off);
void ta_pkg_release(ta_pkg *p);

/* OPEN_MODEL; msg (may be NULL) receives the TA's line on failure. */
TEEC_Result ta_open_model(ta *t, ta_pkg *p, uint32_t mode, uint32_t *handle, uint32_t *mode_out,
			  char *msg, size_t msg_size);
/* RUN with n items; *out_len in: buffer size, out: what the TA says. pkg may be NULL. */
TEEC_Result ta_run(ta *t, uint32_t handle, uint32_t n, const void *in, size_t in_len, void *out,
		   size_t *out_len, ta_pkg *pkg);
TEEC_Result ta_stats(ta *t, uint32_t handle, struct cdl_ta_stats *st);
TEEC_Result ta_info(ta *t, uint32_t handle, struct cdl_ta_model_info *info);
TEEC_Result ta_close_model(ta *t, uint32_t handle);

/* A model compiled from ONNX, with the plain engine ready to run it. */
typedef struct model {
	uint8_t *plan;
	size_t plan_len;
	cdl_pkg_tensor_info inputs[CDL_PKG_MAX_IO], outputs[CDL_PKG_MAX_IO];
	uint16_t n_inputs, n_outputs;
	size_t in_size[CDL_PKG_MAX_IO], out_size[CDL_PKG_MAX_IO];
	size_t in_bytes, out_bytes; /* one item, all inputs / all outputs */
	const cdl_plan *p;
	cdl_engine *e;
	void *mem, *engine_mem;
} model;

/* Compiles path (aborts on failure: a test fixture). */
void model_load(model *m, const char *onnx_path);
void model_free(model *m);
/* One item through the plain engine. */
void model_run_plain(model *m, const void *in, void *out);

/* The provider's signing key (one per process). */
EVP_PKEY *test_provider_key(void);

/* A package of m for the device point dev_pub (aborts on failure). */
uint8_t *make_package(const model *m, const uint8_t dev_pub[CDL_PKG_PUBKEY_LEN],
		      const cdl_pkg_policy *policy, uint32_t block_size, size_t *len);

/* Deterministic inputs: xorshift floats in [-1, 1). */
void fill_inputs(float *x, size_t n, uint32_t seed);

double now_ms(void);

/* Fresh state directory under $TA_TEST_TMP, exported as CDL_TEE_DIR. */
void new_state_dir(void);
/* Sets CDL_TEE_HEAP for the next ta_start ("" = default). */
void set_heap(const char *size);

/* $CDL_MODELS_DIR/<name>/model.onnx if it exists, else NULL. */
const char *model_path(const char *name);

#endif /* CDL_TESTS_TA_UTIL_H */
