/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fixed pool of worker threads for the engine's cdl_parallel (src/engine/
 * op.h): the host TEE lends it to the TA (cdl-tee --threads N), the CLI to
 * the plain engine (cdl bench --threads N). Hosted code (pthreads); the
 * engine itself stays thread-free (DESIGN §3).
 *
 * Made for many short parallel sections in a row (one per layer, tens of
 * microseconds each): after a section a worker spins for a while before it
 * sleeps, so the next layer starts without a futex wake-up; the caller's
 * thread works too (as worker 0), so N threads means N - 1 spawned.
 */
#ifndef CDL_COMMON_THREAD_POOL_H
#define CDL_COMMON_THREAD_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/op.h" /* cdl_parallel, cdl_task_fn */

#define CDL_THREAD_POOL_MAX 64

typedef struct cdl_thread_pool cdl_thread_pool;

/*
 * A pool of `threads` workers (1..CDL_THREAD_POOL_MAX), the caller's thread
 * counting as one. stacks: NULL for the default thread stacks, else spawned
 * thread i (1 <= i < threads) runs on the stack_size bytes at stacks +
 * (i - 1) x stack_stride, page-aligned (the host TEE gives secure memory with
 * guard pages between, like the rest of what the TA touches).
 * NULL with errno set on failure.
 */
cdl_thread_pool *cdl_thread_pool_create(uint32_t threads, void *stacks, size_t stack_stride,
					size_t stack_size);

/* Stops and joins the workers. NULL is a no-op. */
void cdl_thread_pool_destroy(cdl_thread_pool *pool);

/* The pool as the engine takes it (valid until destroy). */
const cdl_parallel *cdl_thread_pool_parallel(const cdl_thread_pool *pool);

/*
 * cdl_parallel.run: fn(arg, task, worker) for task < n_tasks, on every
 * worker, returning when all are done. Calls from several threads are taken
 * one at a time.
 */
void cdl_thread_pool_run(void *pool, cdl_task_fn fn, void *arg, uint32_t n_tasks);

#endif /* CDL_COMMON_THREAD_POOL_H */
