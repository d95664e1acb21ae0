/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cdl subcommands that go through the TEE (libcdl): device-key, run,
 * check-onnx --confidential, and their input readers.
 */
#ifndef CDL_CLI_CLI_TEE_H
#define CDL_CLI_CLI_TEE_H

#include <stddef.h>
#include <stdint.h>

#include "cdl/cdl.h"
#include "cdl/status.h"
#include "engine/plan.h"
#include "format/package.h"

int cdl_cmd_device_key(int argc, char **argv);
int cdl_cmd_run(int argc, char **argv);

/* A tensor read from a file (.npy, .pb or an image). */
typedef struct cdl_file_tensor {
	uint32_t dtype; /* CDL_TYPE_* */
	uint32_t rank;
	int64_t dims[CDL_MAX_DIMS];
	void *data;  /* malloc'd */
	size_t size; /* bytes */
} cdl_file_tensor;

void cdl_file_tensor_free(cdl_file_tensor *t);

/*
 * .npy (NumPy format 1.0/2.0/3.0): little-endian float32, float64, int64,
 * int32, uint8, int8 or bool, C order. CDL_ERR_MALFORMED/UNSUPPORTED/IO
 * explained in msg.
 */
cdl_status cdl_npy_read(const char *path, cdl_file_tensor *out, char *msg, size_t msg_size);
/* The same from memory (tests, fuzzing). */
cdl_status cdl_npy_parse(const uint8_t *buf, size_t len, cdl_file_tensor *out, char *msg,
			 size_t msg_size);

/*
 * Decodes an image (PNG, JPEG, BMP, GIF, ...: stb_image) and applies the
 * preprocessing p into a float32 tensor shaped like input (one batch item).
 * p == NULL or !p->present: the default documented in `cdl run --help`.
 */
cdl_status cdl_image_read(const char *path, const cdl_image_preproc *p,
			  const cdl_tensor_info *input, cdl_file_tensor *out, char *msg,
			  size_t msg_size);

/* True if the file starts like an image stb_image decodes. */
int cdl_image_sniff(const uint8_t *head, size_t len);

/*
 * Packs a compiled plan for the device whose public point is given, signed by
 * a throwaway provider key generated in memory: what a provider's `cdl pack`
 * would send to this device. The package's inputs/outputs are the plan's.
 * policy / preproc may be NULL (full outputs, no limits / none); block_size
 * 0 is the format's default (64 KiB).
 */
cdl_status cdl_cli_pack_plan(const uint8_t *plan_bytes, size_t plan_len, const cdl_plan *plan,
			     const uint8_t device_point[CDL_DEVICE_POINT_LEN],
			     const cdl_pkg_policy *policy, const cdl_pkg_preproc *preproc,
			     uint32_t block_size, uint8_t **pkg, size_t *pkg_len, char *msg,
			     size_t msg_size);

/*
 * check-onnx --confidential: packs the plan for this device (creating *ctx,
 * or a fresh one if its TEE died) and loads it through libcdl; then runs one
 * data set (batch 1) through the TA, filling outs' shapes like the engine.
 * msg gets one line on failure.
 */
cdl_status cdl_confidential_load(cdl_context **ctx, const uint8_t *plan_bytes, size_t plan_len,
				 const cdl_plan *plan, cdl_mode mode, cdl_model **model, char *msg,
				 size_t msg_size);
cdl_status cdl_confidential_run(cdl_model *model, const cdl_tensor *ins, uint32_t n_in,
				cdl_tensor *outs, const size_t *out_capacity, uint32_t n_out,
				char *msg, size_t msg_size);

#endif /* CDL_CLI_CLI_TEE_H */
