/*
 * Secure memory pools of the host TEE.
 *
 * A pool is one fixed region, mapped at start-up from memfd_secret(2) where
 * the kernel has it (pages removed from the kernel's direct map, never
 * swapped, unreadable through /proc/PID/mem and ptrace even for root), else
 * anonymous memory locked with mlock(2) (which faults every page in) and
 * excluded from core dumps; memfd_secret pages are faulted in on first use,
 * or up front by cdl_pool_prefault (cdl-tee --listen). Two
 * pools exist: the TA heap (TEE_Malloc, the secure-memory budget of DESIGN §6)
 * and the core pool (the TEE's own state: OpenSSL, objects, storage data),
 * which like OP-TEE's core memory does not count against the TA's budget.
 * With --threads N a third region holds the N - 1 worker threads' stacks
 * (workers.c; used as plain memory, not through the allocator).
 *
 * The allocator: boundary tags with first-fit over power-of-two bins (a small
 * TLSF), O(1) coalescing; freed blocks are wiped. Single-threaded: only
 * the serving thread allocates (worker threads run engine kernels on memory
 * allocated before).
 */
#ifndef CDL_TEE_HOST_HEAP_H
#define CDL_TEE_HOST_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cdl_pool_block;

struct cdl_pool {
	uint8_t *base;
	size_t size;       /* bytes of the region */
	size_t used;       /* bytes in allocated blocks, headers included */
	size_t peak;
	uint64_t bin_map;  /* bit k: bins[k] non-empty */
	struct cdl_pool_block *bins[64];
	const char *backing; /* "memfd_secret", "mlock", "unlocked" */
	const char *name;
};

/* Maps `size` bytes (rounded up to pages) of secure memory and makes a pool
 * of it. Returns 0, or -1 if no memory could be mapped at all. */
int cdl_pool_create(struct cdl_pool *pool, const char *name, size_t size);
void cdl_pool_destroy(struct cdl_pool *pool);

void *cdl_pool_alloc(struct cdl_pool *pool, size_t n);
void *cdl_pool_realloc(struct cdl_pool *pool, void *p, size_t n);
/* Frees and wipes. p must come from this pool (else: TEE_Panic). */
void cdl_pool_free(struct cdl_pool *pool, void *p);
bool cdl_pool_contains(const struct cdl_pool *pool, const void *p, size_t n);
/* Bytes usable in the block of p. */
size_t cdl_pool_usable(const struct cdl_pool *pool, const void *p);

/* Faults in every page of a memfd_secret pool now (see heap.c; a no-op
 * for mlock'ed pools). */
void cdl_pool_prefault(const struct cdl_pool *pool);

/* Parses "16M", "4m", "512K", "1G", "65536" into bytes. Returns 0 if bad. */
size_t cdl_parse_size(const char *s);

/* The two allocating pools of the process. */
extern struct cdl_pool cdl_ta_heap;
extern struct cdl_pool cdl_core_heap;

/* Core-pool helpers for the TEE's own allocations (abort-free: return NULL). */
void *cdl_core_alloc(size_t n);
void *cdl_core_calloc(size_t n);
void cdl_core_free(void *p);
void *cdl_core_memdup(const void *p, size_t n);

#endif /* CDL_TEE_HOST_HEAP_H */
