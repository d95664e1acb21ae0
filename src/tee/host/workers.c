// SPDX-License-Identifier: Apache-2.0
/*
 * The worker threads cdl-tee lends the TA (cdl_tee_ext.h: cdl_tee_worker_count,
 * cdl_tee_run_tasks), started by cdl_host_workers_start(--threads N) before
 * the seccomp filter: N - 1 threads, the serving thread being the first
 * worker. Their stacks -- where the kernels spill what they compute on --
 * are secure memory like the TA heap (memfd_secret where the kernel has it),
 * each below a guard page so that an overflow faults instead of running into
 * the next stack.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cdl_tee_ext.h"
#include "heap.h"
#include "host.h"
#include "thread_pool.h"

/* Far more than the engine's kernels use (tests/optee/stack_usage.py bounds
 * the TA's frames to a few KiB). */
#define WORKER_STACK (256u * 1024u)

static cdl_thread_pool *workers;
static struct cdl_pool stacks;

int cdl_host_workers_start(uint32_t threads)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t stride = page + WORKER_STACK;

	if (threads <= 1)
		return 0;
	if (threads > CDL_THREAD_POOL_MAX) {
		fprintf(stderr, "cdl-tee: --threads %u: at most %d\n", threads, CDL_THREAD_POOL_MAX);
		return -1;
	}
	if (cdl_pool_create(&stacks, "worker stacks", stride * (threads - 1)) != 0) {
		fprintf(stderr, "cdl-tee: failed to map %u worker stacks\n", threads - 1);
		return -1;
	}
	for (uint32_t i = 0; i + 1 < threads; i++) {
		if (mprotect(stacks.base + i * stride, page, PROT_NONE) != 0) {
			fprintf(stderr, "cdl-tee: failed to set a stack guard page: %s\n",
				strerror(errno));
			return -1;
		}
	}
	workers = cdl_thread_pool_create(threads, stacks.base + page, stride, WORKER_STACK);
	if (!workers) {
		fprintf(stderr, "cdl-tee: failed to start %u worker threads: %s\n", threads - 1,
			strerror(errno));
		return -1;
	}
	return 0;
}

uint32_t cdl_tee_worker_count(void)
{
	return workers ? cdl_thread_pool_parallel(workers)->workers : 1;
}

void cdl_tee_run_tasks(void (*fn)(void *arg, uint32_t task, uint32_t worker), void *arg,
		       uint32_t n_tasks)
{
	cdl_thread_pool_run(workers, fn, arg, n_tasks);
}
