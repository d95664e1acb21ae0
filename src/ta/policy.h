/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider's usage policy (docs/package-format.md §3.4, DESIGN §2 G4),
 * enforced inside the TA: expiry, the query budget (counted in secure
 * storage, so it survives restarts) and the output mode (full / top-k /
 * label), which is applied to the outputs before they leave the TA.
 */
#ifndef CDL_TA_POLICY_H
#define CDL_TA_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "format/package.h"

/* CDL_ERR_EXPIRED (message says when) once the package's expiry is reached. */
cdl_status cdl_ta_policy_check_expiry(const cdl_pkg_header *h, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/*
 * Queries left for the package (UINT64_MAX when unlimited), read from secure
 * storage. CDL_ERR_INTEGRITY if the stored counter is corrupt.
 */
cdl_status cdl_ta_policy_queries_left(const cdl_pkg_header *h, uint64_t *left)
    __attribute__((warn_unused_result));

/*
 * Counts n queries against the budget and writes the new count to secure
 * storage before returning, i.e. before any output of these queries is
 * released. CDL_ERR_QUERY_BUDGET (nothing counted) if fewer than n are left.
 * *left receives what remains afterwards (UINT64_MAX: unlimited).
 */
cdl_status cdl_ta_policy_consume(const cdl_pkg_header *h, uint32_t n, uint64_t *left)
    __attribute__((warn_unused_result));

/*
 * The output policy against the model's outputs: top-k and label need a
 * float32 output 0 with at least one element (CDL_ERR_UNSUPPORTED otherwise).
 */
cdl_status cdl_ta_policy_check_outputs(const cdl_pkg_header *h, char *msg, size_t msg_size)
    __attribute__((warn_unused_result));

/*
 * Bytes one batch item's outputs take after the policy: full_bytes (all
 * outputs) for FULL, min(k, numel0) * 8 for TOP-K, 4 for LABEL.
 */
size_t cdl_ta_policy_item_bytes(const cdl_pkg_header *h, size_t numel0, size_t full_bytes);

/*
 * TOP-K / LABEL: from output 0 (numel0 floats, in TA memory) writes one
 * item's result to dst: TOP-K as (u32 index, f32 score) pairs, best first;
 * LABEL as one u32. Order: higher score first, then lower index; NaN ranks
 * below every number. dst is TA memory, 4-byte aligned, of at least
 * max(8, cdl_ta_policy_item_bytes) bytes (it is also the work space: nothing
 * but the result may ever reach shared memory).
 */
void cdl_ta_policy_apply(const cdl_pkg_header *h, const float *out0, size_t numel0, uint8_t *dst);

#endif /* CDL_TA_POLICY_H */
