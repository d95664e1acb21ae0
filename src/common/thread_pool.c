// SPDX-License-Identifier: Apache-2.0
/*
 * The worker pool (thread_pool.h). One parallel section at a time: run()
 * publishes the job and bumps `generation`; every worker, the caller
 * included, claims tasks from `next` until none is left; the spawned ones
 * then count `busy` down and the caller waits for zero.
 */
#define _GNU_SOURCE
#include "thread_pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Spin iterations (each a CPU pause hint, a yield every 64) before a worker
 * or the caller sleeps on a condition variable: ~0.1-0.3 ms, longer than the
 * gap between two layers, far shorter than between two inferences. */
#define SPIN_ROUNDS 20000u

struct worker {
	struct cdl_thread_pool *pool;
	uint32_t index;
};

struct cdl_thread_pool {
	cdl_parallel par;
	uint32_t n_threads; /* the caller's included */
	uint32_t n_spawned;
	pthread_t tid[CDL_THREAD_POOL_MAX];
	struct worker w[CDL_THREAD_POOL_MAX];

	pthread_mutex_t run_lock; /* one run() at a time */
	pthread_mutex_t lock;     /* with wake/done: sleeping and waking */
	pthread_cond_t wake, done;

	/* the job, published by the generation bump */
	cdl_task_fn fn;
	void *arg;
	uint32_t n_tasks;
	uint32_t next;       /* atomic: the next task to claim */
	uint32_t busy;       /* atomic: spawned workers still in this job */
	uint64_t generation; /* atomic */
	int stop;            /* atomic */
	uint32_t started;    /* atomic: spawned workers that are running */
};

static void cpu_relax(uint32_t round)
{
	if (round % 64 == 63) {
		sched_yield();
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static void work(struct cdl_thread_pool *p, uint32_t worker)
{
	const cdl_task_fn fn = p->fn;
	void *const arg = p->arg;
	const uint32_t n = p->n_tasks;
	uint32_t t = 0;

	while ((t = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < n)
		fn(arg, t, worker);
}

static void *worker_main(void *v)
{
	const struct worker *w = v;
	struct cdl_thread_pool *p = w->pool;
	uint64_t seen = 0;

	/* Running: libc's per-thread set-up (rseq, signal masks) is done. */
	pthread_mutex_lock(&p->lock);
	__atomic_add_fetch(&p->started, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	for (;;) {
		uint64_t g = __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE);

		for (uint32_t i = 0; g == seen && i < SPIN_ROUNDS; i++) {
			if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
				return NULL;
			cpu_relax(i);
			g = __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE);
		}
		if (g == seen) {
			pthread_mutex_lock(&p->lock);
			while ((g = __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE)) == seen &&
			       !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
				pthread_cond_wait(&p->wake, &p->lock);
			pthread_mutex_unlock(&p->lock);
		}
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return NULL;
		seen = g;
		work(p, w->index);
		if (__atomic_sub_fetch(&p->busy, 1, __ATOMIC_ACQ_REL) == 0) {
			pthread_mutex_lock(&p->lock);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->lock);
		}
	}
}

void cdl_thread_pool_run(void *pool, cdl_task_fn fn, void *arg, uint32_t n_tasks)
{
	struct cdl_thread_pool *p = pool;

	if (!p || p->n_spawned == 0 || n_tasks <= 1) {
		for (uint32_t t = 0; t < n_tasks; t++)
			fn(arg, t, 0);
		return;
	}
	pthread_mutex_lock(&p->run_lock);
	p->fn = fn;
	p->arg = arg;
	p->n_tasks = n_tasks;
	__atomic_store_n(&p->next, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->busy, p->n_spawned, __ATOMIC_RELAXED);
	pthread_mutex_lock(&p->lock);
	__atomic_add_fetch(&p->generation, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);

	work(p, 0);

	for (uint32_t i = 0; __atomic_load_n(&p->busy, __ATOMIC_ACQUIRE) && i < SPIN_ROUNDS; i++)
		cpu_relax(i);
	if (__atomic_load_n(&p->busy, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&p->lock);
		while (__atomic_load_n(&p->busy, __ATOMIC_ACQUIRE))
			pthread_cond_wait(&p->done, &p->lock);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_unlock(&p->run_lock);
}

cdl_thread_pool *cdl_thread_pool_create(uint32_t threads, void *stacks, size_t stack_stride,
					size_t stack_size)
{
	struct cdl_thread_pool *p = NULL;
	pthread_attr_t attr;
	int err = 0;

	if (threads < 1 || threads > CDL_THREAD_POOL_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->n_threads = threads;
	p->par.run = cdl_thread_pool_run;
	p->par.pool = p;
	p->par.workers = threads;
	pthread_mutex_init(&p->run_lock, NULL);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	pthread_cond_init(&p->done, NULL);
	if (pthread_attr_init(&attr) != 0) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	for (uint32_t i = 1; i < threads; i++) {
		p->w[i].pool = p;
		p->w[i].index = i;
		if (stacks) {
			err = pthread_attr_setstack(&attr, (char *)stacks + (size_t)(i - 1) * stack_stride,
						    stack_size);
			if (err)
				break;
		}
		err = pthread_create(&p->tid[i], &attr, worker_main, &p->w[i]);
		if (err)
			break;
		p->n_spawned++;
	}
	pthread_attr_destroy(&attr);
	/*
	 * Returns once every worker runs: a thread's first system calls (glibc
	 * registers rseq in the new thread) must happen before the host TEE
	 * installs its seccomp filter, which would kill the process for them.
	 */
	pthread_mutex_lock(&p->lock);
	while (__atomic_load_n(&p->started, __ATOMIC_ACQUIRE) < p->n_spawned)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
	if (err) {
		cdl_thread_pool_destroy(p);
		errno = err;
		return NULL;
	}
	return p;
}

void cdl_thread_pool_destroy(cdl_thread_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (uint32_t i = 1; i <= p->n_spawned; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->run_lock);
	free(p);
}

const cdl_parallel *cdl_thread_pool_parallel(const cdl_thread_pool *p)
{
	return &p->par;
}
