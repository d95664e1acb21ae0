/*
 * cdl's extensions to the TEE Internal API: what a TA needs from its TEE
 * beyond GlobalPlatform. Implemented by the host TEE (src/tee/host); an
 * OP-TEE build implements them over OP-TEE's own services (system PTA key
 * derivation, the TA heap statistics of libutils' malloc) or without any
 * (one worker thread).
 *
 * Freestanding like tee_internal_api.h.
 */
#ifndef CDL_TEE_EXT_H
#define CDL_TEE_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "tee_internal_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Secure heap statistics, in bytes: the heap's total size (the secure-memory
 * budget B of DESIGN §6), the bytes allocated now and the most ever allocated
 * (allocator headers included, so used <= size always). Any pointer may be NULL.
 */
void cdl_tee_heap_stats(size_t *size, size_t *used, size_t *peak);

/*
 * Derives a key unique to this device and this TA: HKDF-SHA256 of the device
 * root key (the host TEE's root.key; on OP-TEE the hardware unique key) with
 * the TA's UUID and `label` as context, like OP-TEE's
 * PTA_SYSTEM_DERIVE_TA_UNIQUE_KEY. Same device, TA and label give the same key
 * across restarts; anything else gives an unrelated key.
 *
 * label_len <= CDL_TEE_DERIVE_LABEL_MAX; key_len in [16, 64].
 */
#define CDL_TEE_DERIVE_LABEL_MAX 256
TEE_Result cdl_tee_derive_ta_key(const void *label, size_t label_len,
				 void *key, size_t key_len)
	__attribute__((warn_unused_result));

/*
 * Worker threads the TEE lends a TA for computations it splits into
 * independent tasks (cdl-tee --threads N). cdl_tee_worker_count() is how
 * many run at once, the TA's own thread included (>= 1);
 * cdl_tee_run_tasks() calls fn(arg, task, worker) for every task < n_tasks,
 * worker < cdl_tee_worker_count() naming the thread, and returns when all
 * have returned. A task may touch only memory (no TEE_* call). On OP-TEE a
 * TA session is one thread: one worker, the tasks run one after another
 * (parallelism there comes from sessions on several cores, docs/optee.md).
 */
uint32_t cdl_tee_worker_count(void);
void cdl_tee_run_tasks(void (*fn)(void *arg, uint32_t task, uint32_t worker), void *arg,
		       uint32_t n_tasks);

#ifdef __cplusplus
}
#endif

#endif /* CDL_TEE_EXT_H */
