/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Normal-world helpers around the reader for the CLI and libcdl: map a
 * package file, verify its public header without any key, print it.
 */
#ifndef CDL_FORMAT_INSPECT_H
#define CDL_FORMAT_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cdl/status.h"
#include "format/package.h"

/* A read-only mapping of a whole file. */
typedef struct cdl_pkg_file {
	const uint8_t *data;
	size_t len;
} cdl_pkg_file;

cdl_status cdl_pkg_file_map(const char *path, cdl_pkg_file *f, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));
void cdl_pkg_file_unmap(cdl_pkg_file *f); /* accepts a zeroed/unmapped f */

/*
 * Verifies the header and signature (no device key, nothing decrypted) into
 * *hdr. Status and msg as cdl_pkg_parse_header.
 */
cdl_status cdl_pkg_inspect(const uint8_t *pkg, size_t len, cdl_pkg_header *hdr, char *msg,
			   size_t msg_size) __attribute__((warn_unused_result));

/*
 * Prints a verified header: human-readable lines, or one JSON object (keys:
 * format_version, model_id, provider_key_fingerprint, recipient_key_id,
 * signature, policy{output, top_k, max_queries, expires, expiry_unix},
 * inputs/outputs[{name, dtype, shape}], preprocessing, block_size,
 * block_count, stream_length, header_length, package_length).
 */
void cdl_pkg_print_header(FILE *f, const cdl_pkg_header *h, bool json);

/* map + inspect + print: `cdl inspect [--json] FILE` in one call. */
cdl_status cdl_pkg_inspect_file(const char *path, FILE *out, bool json, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* "full", "topk", "label"; "?" for anything else. */
const char *cdl_pkg_output_mode_name(unsigned int mode);
/* ONNX dtype name ("float32", "uint8", ...) or "dtype<N>". buf >= 16 bytes. */
const char *cdl_pkg_dtype_name(unsigned int dtype, char *buf, size_t size);

#endif /* CDL_FORMAT_INSPECT_H */
