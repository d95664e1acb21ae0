/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcdl: the normal-world C API of cdl (DESIGN §3, §7). An app uses it to run
 * a confidential model inside the TEE; it never sees the weights.
 *
 *   cdl_context *ctx = NULL;
 *   cdl_model *model = NULL;
 *   cdl_model_info info;
 *
 *   cdl_context_create(NULL, &ctx);                 // spawns the host TEE if needed
 *   cdl_model_load_file(ctx, "model.cdlm", CDL_MODE_AUTO, &model);
 *   cdl_model_get_info(model, &info);               // names, dtypes, shapes, policy
 *   cdl_input in = { pixels, sizeof(pixels), info.inputs[0].dtype,
 *                    info.inputs[0].rank, { 1, 1, 8, 8 } };
 *   cdl_output out = { scores, sizeof(scores) };
 *   cdl_model_run(model, 1, &in, 1, &out, 1);       // one TEE call per batch
 *   cdl_model_delete(model);
 *   cdl_context_delete(ctx);
 *
 * Every function returns a cdl_status (0 = CDL_OK); on failure
 * cdl_last_error() holds one line saying what failed, with which value, and
 * why ("failed to load model.cdlm: needs 21.4 MiB of secure memory for
 * activations, budget is 16 MiB"). Handles are opaque; the delete functions
 * accept NULL. A context and its models may be used from several threads:
 * calls on one context are serialised (the TEE runs one call at a time per
 * session anyway).
 *
 * Never hangs on a dead TEE: if the TEE (with the host TEE: the cdl-tee
 * process) dies during a call, the call returns CDL_ERR_TEE, the context and
 * its models stay dead (CDL_ERR_TEE), and a new context starts a fresh TEE.
 */
#ifndef CDL_CDL_H
#define CDL_CDL_H

#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CDL_API __attribute__((visibility("default")))
#else
#define CDL_API
#endif

/* ------------------------------------------------------------ status */

/* A short name for a status ("secure memory exhausted"). Never NULL. */
CDL_API const char *cdl_status_str(cdl_status status);

/*
 * The message of the last failed call on this thread (thread-local), or ""
 * if there was none. Valid until the next libcdl call on this thread.
 */
CDL_API const char *cdl_last_error(void);

/* ----------------------------------------------------------- context */

typedef struct cdl_context cdl_context;

typedef struct cdl_context_options {
	/*
	 * Which TEE to talk to, passed to TEEC_InitializeContext. With the host
	 * TEE: the Unix socket of a shared `cdl-tee --listen SOCKET` service;
	 * NULL spawns a private cdl-tee on demand ($CDL_TEE_SOCKET, if set,
	 * names a service instead). With OP-TEE: the TEE's name, NULL for the
	 * default one.
	 */
	const char *tee_socket;
} cdl_context_options;

/* opts may be NULL (defaults). Opens a session with the cdl TA. */
CDL_API cdl_status cdl_context_create(const cdl_context_options *opts, cdl_context **out);

/*
 * Closes the session and the TEE connection. Models still loaded on ctx stay
 * valid handles (delete them later) but every call on them returns
 * CDL_ERR_STATE. NULL is accepted.
 */
CDL_API void cdl_context_delete(cdl_context *ctx);

/* Process id of the host TEE (cdl-tee) serving ctx; -1 with OP-TEE. */
CDL_API long cdl_context_tee_pid(const cdl_context *ctx);

/* ------------------------------------------------------- device key */

#define CDL_DEVICE_POINT_LEN 65	 /* uncompressed P-256 point 0x04 || X || Y */
#define CDL_DEVICE_KEY_ID_LEN 32 /* SHA-256 of the point: what packages name */

/*
 * The device's public key (generated inside the TA on first use; the private
 * key never leaves it). point and key_id may each be NULL.
 */
CDL_API cdl_status cdl_device_key(cdl_context *ctx, uint8_t point[CDL_DEVICE_POINT_LEN],
				  uint8_t key_id[CDL_DEVICE_KEY_ID_LEN]);

/*
 * The same key as SubjectPublicKeyInfo PEM (what `cdl pack --device` reads),
 * NUL-terminated, into pem[0..pem_size). *pem_len (may be NULL) gets its
 * length without the NUL, also when pem_size is too small
 * (CDL_ERR_INVALID_ARGUMENT); 256 bytes are always enough.
 */
CDL_API cdl_status cdl_device_public_key(cdl_context *ctx, char *pem, size_t pem_size,
					 size_t *pem_len);

/* ------------------------------------------------------------ models */

typedef struct cdl_model cdl_model;

/* Execution modes (DESIGN §6). */
typedef enum cdl_mode {
	CDL_MODE_AUTO = 0,     /* resident what fits the secure heap, stream the rest */
	CDL_MODE_RESIDENT = 1, /* all weights decrypted once at load */
	CDL_MODE_STREAM = 2,   /* each layer's weights decrypted just before it runs */
} cdl_mode;

/* Output policies, as the provider recorded them in the package (DESIGN §2 G4). */
typedef enum cdl_output_mode {
	CDL_OUTPUT_FULL = 0,  /* every output tensor */
	CDL_OUTPUT_TOPK = 1,  /* per batch item: topk cdl_topk_entry of output 0 */
	CDL_OUTPUT_LABEL = 2, /* per batch item: the arg-max index of output 0, uint32_t */
} cdl_output_mode;

/* One (index, score) pair of a CDL_OUTPUT_TOPK result, best first. */
typedef struct cdl_topk_entry {
	uint32_t index;
	float score;
} cdl_topk_entry;

/* Element types: ONNX TensorProto.DataType values. */
#define CDL_TYPE_FLOAT32 1u
#define CDL_TYPE_UINT8 2u
#define CDL_TYPE_INT8 3u
#define CDL_TYPE_INT32 6u
#define CDL_TYPE_INT64 7u
#define CDL_TYPE_BOOL 9u
#define CDL_TYPE_UINT32 12u
/* Not an ONNX type: the element type of a top-k result (cdl_topk_entry). */
#define CDL_TYPE_TOPK 0x100u

/* Bytes per element of a CDL_TYPE_*, 0 for an unknown type. */
CDL_API size_t cdl_type_size(uint32_t dtype);
/* "float32", "int64", ...; "unknown" for an unknown type. */
CDL_API const char *cdl_type_name(uint32_t dtype);

#define CDL_MAX_IO 16
#define CDL_MAX_DIMS 8
#define CDL_MAX_NAME 128 /* with the NUL */

typedef struct cdl_tensor_info {
	char name[CDL_MAX_NAME];
	uint32_t dtype; /* CDL_TYPE_* */
	uint32_t rank;
	int64_t dims[CDL_MAX_DIMS]; /* for one batch item (batch = 1) */
	size_t size;		    /* bytes for one batch item */
} cdl_tensor_info;

/* How an image becomes the input (the package's recorded preprocessing). */
typedef struct cdl_image_preproc {
	int present;	      /* 0: the package records none */
	uint32_t input_index; /* which input it feeds */
	uint32_t layout;      /* 0 NCHW, 1 NHWC */
	uint32_t bgr;	      /* 0 RGB, 1 BGR channel order */
	uint32_t height, width;
	uint32_t
	    resize_short;  /* 0: resize to height x width; else shorter side, then centre crop */
	float scale;	   /* x = pixel * scale, then (x - mean[c]) / std[c] */
	uint32_t channels; /* 1 grayscale, 3 colour, ... (<= 16) */
	float mean[16];
	float std[16];
} cdl_image_preproc;

/* What the package says about itself (its public, signed header). */
typedef struct cdl_model_info {
	uint32_t n_inputs, n_outputs;
	cdl_tensor_info inputs[CDL_MAX_IO];
	cdl_tensor_info outputs[CDL_MAX_IO];
	/* Policy (enforced inside the TA). */
	cdl_output_mode output_mode;
	uint32_t topk;	      /* k for CDL_OUTPUT_TOPK */
	uint64_t max_queries; /* 0: unlimited */
	uint64_t expires;     /* Unix seconds, 0: never */
	/*
	 * What cdl_model_run writes per batch item: n_results buffers;
	 * result_size[i] bytes each. FULL: one per output (outputs[i].size);
	 * TOPK: one of topk cdl_topk_entry; LABEL: one uint32_t.
	 */
	uint32_t n_results;
	size_t result_size[CDL_MAX_IO];
	cdl_image_preproc preproc;
	uint8_t model_id[16];
	uint8_t provider_key_id[32]; /* fingerprint of the provider's signing key */
	size_t package_size;
} cdl_model_info;

/*
 * Loads a .cdlm package: it goes into shared memory (allocated with the TEE
 * once, no copy per call) and stays there for the model's life; the TA
 * verifies it, unwraps its key with the device key and decrypts what the mode
 * keeps resident. Statuses: CDL_ERR_MALFORMED (not a package),
 * CDL_ERR_INTEGRITY (tampered), CDL_ERR_KEY_MISMATCH (made for another
 * device), CDL_ERR_EXPIRED, CDL_ERR_QUERY_BUDGET, CDL_ERR_SECURE_MEMORY (does
 * not fit; the message states how much it needs), CDL_ERR_UNSUPPORTED.
 */
CDL_API cdl_status cdl_model_load_file(cdl_context *ctx, const char *path, cdl_mode mode,
				       cdl_model **out);
CDL_API cdl_status cdl_model_load_buffer(cdl_context *ctx, const void *buf, size_t len,
					 cdl_mode mode, cdl_model **out);

/* Closes the model inside the TA (its secure memory is wiped). NULL is accepted. */
CDL_API void cdl_model_delete(cdl_model *model);

CDL_API cdl_status cdl_model_get_info(const cdl_model *model, cdl_model_info *info);

/*
 * An input for a batch of n: the model's input tensor with dims[0] multiplied
 * by n (items concatenated along the first axis; a scalar input becomes
 * [n]). dtype, rank, dims and size must match exactly.
 */
typedef struct cdl_input {
	const void *data;
	size_t size; /* bytes */
	uint32_t dtype;
	uint32_t rank;
	int64_t dims[CDL_MAX_DIMS];
} cdl_input;

/*
 * A result buffer: data and capacity are the caller's; cdl_model_run sets
 * size, dtype, rank and dims. FULL: like the inputs, dims[0] multiplied by
 * n. TOPK: CDL_TYPE_TOPK [n, k]. LABEL: CDL_TYPE_UINT32 [n].
 */
typedef struct cdl_output {
	void *data;
	size_t capacity; /* bytes */
	size_t size;	 /* out: bytes written */
	uint32_t dtype;	 /* out */
	uint32_t rank;	 /* out */
	int64_t dims[CDL_MAX_DIMS];
} cdl_output;

/*
 * Runs a batch of n inferences in one TEE call. n_inputs == info.n_inputs,
 * n_outputs == info.n_results. Counts n queries against the package's query
 * budget (CDL_ERR_QUERY_BUDGET when used up).
 */
CDL_API cdl_status cdl_model_run(cdl_model *model, uint32_t n, const cdl_input *inputs,
				 uint32_t n_inputs, cdl_output *outputs, uint32_t n_outputs);

/* What a model costs inside the TEE. */
typedef struct cdl_stats {
	cdl_mode mode;		     /* the mode chosen: RESIDENT or STREAM */
	uint64_t secure_budget;	     /* B: the TA's secure heap, bytes */
	uint64_t secure_peak;	     /* peak secure memory used (whole TA, since start) */
	uint64_t model_secure_bytes; /* secure memory this model holds now */
	uint64_t arena_bytes;	     /* A: activation arena */
	uint64_t weight_bytes;	     /* W: all weights, decrypted */
	uint64_t resident_bytes;     /* weights kept decrypted in secure memory */
	uint32_t tiled_layers;	     /* layers run in tiles (stream) */
	uint64_t package_bytes;	     /* shared memory holding the package */
	uint64_t queries_left;	     /* UINT64_MAX: unlimited */
	uint64_t runs;		     /* cdl_model_run calls that reached the TA */
	/* Of the last cdl_model_run: */
	uint32_t last_batch;
	uint64_t decrypted_last_run;	  /* bytes decrypted inside the TA */
	uint32_t world_switches_last_run; /* TEEC_InvokeCommand calls */
	double tee_time_us_last_run; /* inside the TA, by its clock (whole ms: TEE_GetSystemTime) */
	double call_time_us_last_run; /* the whole cdl_model_run, as the app sees it */
	/* The same per inference (divided by last_batch): */
	double decrypted_per_inference;
	double world_switches_per_inference;
	double tee_time_us_per_inference;
	double call_time_us_per_inference;
	double load_time_us; /* TA side of loading: verify, unwrap, decrypt */
	uint32_t workers;    /* threads an inference runs on in the TEE (cdl-tee
			      * --threads, when the secure heap has room for them) */
} cdl_stats;

/* Asks the TA (one TEE call, not counted in the run's world switches). */
CDL_API cdl_status cdl_model_stats(cdl_model *model, cdl_stats *stats);

/* "auto", "resident", "stream"; "unknown" otherwise. */
CDL_API const char *cdl_mode_str(cdl_mode mode);

#ifdef __cplusplus
}
#endif

#endif /* CDL_CDL_H */
