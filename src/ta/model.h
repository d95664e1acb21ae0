/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A model opened inside the TA: its verified package header, its plan and
 * engine in secure memory (TEE_Malloc), its execution mode (DESIGN §6).
 *
 *   open   copy + verify the header and signature (cdl_pkg_open), unwrap
 *          the content key with the device key, check the policy, choose
 *          the mode against the secure heap, decrypt (all of the stream:
 *          resident; the plan tables: stream), parse, create the engine;
 *   run    a batch: resident item by item, stream in chunks of the
 *          engine's max_batch (each chunk decrypts the streamed weights
 *          once); outputs shaped by the output policy;
 *   close  every byte the model held is wiped (TEE_MemFill) and freed.
 *
 * The package is normal-world shared memory. Only what the reader copies
 * (header, tags, one block at a time) is ever used; in stream mode the
 * client passes the package again with each RUN and it must be the same one.
 */
#ifndef CDL_TA_MODEL_H
#define CDL_TA_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "cdl_ta.h"
#include "device_key.h"

typedef struct cdl_ta_model cdl_ta_model;

/*
 * mode: CDL_TA_MODE_*. Failures: what the reader says (CDL_ERR_INTEGRITY,
 * _MALFORMED, _UNSUPPORTED, _KEY_MISMATCH), CDL_ERR_EXPIRED,
 * CDL_ERR_QUERY_BUDGET, CDL_ERR_SECURE_MEMORY ("needs X MiB of secure
 * memory ..., budget is Y MiB"), each with one line in msg.
 */
cdl_status cdl_ta_model_open(const cdl_ta_device_key *dev, const uint8_t *pkg, size_t pkg_len,
			     uint32_t mode, cdl_ta_model **out, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/* Wipes and frees everything. NULL is accepted. */
void cdl_ta_model_close(cdl_ta_model *m);

/* CDL_TA_MODE_RESIDENT or CDL_TA_MODE_STREAM. */
uint32_t cdl_ta_model_mode(const cdl_ta_model *m);

/* True when RUN needs the package (some weights are streamed). */
bool cdl_ta_model_needs_package(const cdl_ta_model *m);

/* Bytes of one batch item: all inputs, and the outputs after the policy. */
void cdl_ta_model_item_bytes(const cdl_ta_model *m, size_t *in_bytes, size_t *out_bytes);

/*
 * n items. in: n * in_bytes, out: n * out_bytes (cdl_ta_model_item_bytes;
 * the caller checked the sizes). pkg: the package (stream mode), else NULL.
 * Expiry and the query budget are checked first; the n queries are counted
 * in secure storage before any output is written. Stats: decrypted_last_run
 * counts the whole call.
 */
cdl_status cdl_ta_model_run(cdl_ta_model *m, uint32_t n, const uint8_t *in, uint8_t *out,
			    const uint8_t *pkg, size_t pkg_len, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

void cdl_ta_model_stats(const cdl_ta_model *m, struct cdl_ta_stats *st);
void cdl_ta_model_info(const cdl_ta_model *m, struct cdl_ta_model_info *info);

#endif /* CDL_TA_MODEL_H */
