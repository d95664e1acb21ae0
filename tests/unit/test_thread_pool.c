// SPDX-License-Identifier: Apache-2.0
/*
 * The worker pool (src/common/thread_pool.c): every task of every section
 * runs exactly once, on a worker index below the pool's size, sections from
 * several caller threads are taken one at a time, the pool really runs
 * tasks at once, and it stops cleanly.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thread_pool.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

#define MAX_TASKS 1000

typedef struct section {
	uint32_t runs[MAX_TASKS]; /* atomic */
	uint32_t bad_worker;      /* atomic */
	uint32_t workers;
	uint32_t in_flight, most_in_flight; /* atomic */
	uint32_t spin;                      /* busy-work per task */
} section;

static void task(void *arg, uint32_t t, uint32_t worker)
{
	section *s = arg;
	uint32_t now = __atomic_add_fetch(&s->in_flight, 1, __ATOMIC_SEQ_CST);
	uint32_t most = __atomic_load_n(&s->most_in_flight, __ATOMIC_SEQ_CST);
	uint32_t x = 0;

	while (now > most && !__atomic_compare_exchange_n(&s->most_in_flight, &most, now, false,
							  __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (worker >= s->workers)
		__atomic_add_fetch(&s->bad_worker, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&s->runs[t], 1, __ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < s->spin; i++)
		__asm__ volatile("" : "+r"(x) : "r"(i)); /* busy work the compiler keeps */
	__atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_SEQ_CST);
}

static void run_sections(cdl_thread_pool *p, uint32_t workers, uint32_t sections, const char *what)
{
	section *s = calloc(1, sizeof(*s));

	s->workers = workers;
	for (uint32_t k = 0; k < sections; k++) {
		const uint32_t n = (k * 37) % MAX_TASKS + 1;

		memset(s->runs, 0, sizeof(s->runs));
		cdl_thread_pool_run(p, task, s, n);
		for (uint32_t t = 0; t < n; t++)
			CHECK(s->runs[t] == 1, "%s: section %u: task %u ran %u times", what, k, t,
			      s->runs[t]);
		for (uint32_t t = n; t < MAX_TASKS; t++)
			CHECK(s->runs[t] == 0, "%s: section %u: task %u (of %u) ran", what, k, t, n);
		CHECK(s->in_flight == 0, "%s: section %u returned with tasks running", what, k);
	}
	CHECK(s->bad_worker == 0, "%s: %u tasks ran on a worker index >= %u", what, s->bad_worker,
	      workers);
	free(s);
}

/* Several threads call run() at once: each section still complete and whole. */
typedef struct caller {
	cdl_thread_pool *p;
	uint32_t workers;
} caller;

static void *caller_main(void *v)
{
	caller *c = v;

	run_sections(c->p, c->workers, 300, "concurrent callers");
	return NULL;
}

int main(void)
{
	const long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	for (uint32_t workers = 1; workers <= 4; workers++) {
		cdl_thread_pool *p = cdl_thread_pool_create(workers, NULL, 0, 0);
		char what[32];

		CHECK(p != NULL, "create(%u) failed", workers);
		if (!p)
			continue;
		CHECK(cdl_thread_pool_parallel(p)->workers == workers, "workers %u", workers);
		snprintf(what, sizeof(what), "%u workers", workers);
		run_sections(p, workers, 2000, what);
		cdl_thread_pool_destroy(p);
	}
	{
		/* with a NULL pool, run() runs the tasks in turn on worker 0 */
		section *s = calloc(1, sizeof(*s));

		s->workers = 1;
		cdl_thread_pool_run(NULL, task, s, 10);
		for (uint32_t t = 0; t < 10; t++)
			CHECK(s->runs[t] == 1, "NULL pool: task %u ran %u times", t, s->runs[t]);
		free(s);
	}
	{
		cdl_thread_pool *p = cdl_thread_pool_create(3, NULL, 0, 0);
		pthread_t tid[3];
		caller c = {p, 3};

		for (int i = 0; i < 3; i++)
			pthread_create(&tid[i], NULL, caller_main, &c);
		for (int i = 0; i < 3; i++)
			pthread_join(tid[i], NULL);
		cdl_thread_pool_destroy(p);
	}
	if (cpus >= 2) {
		/* long tasks: with 2 workers on 2+ CPUs, two run at the same time */
		cdl_thread_pool *p = cdl_thread_pool_create(2, NULL, 0, 0);
		section *s = calloc(1, sizeof(*s));
		uint32_t most = 0;

		s->workers = 2;
		s->spin = 2000000;
		for (int k = 0; k < 20 && most < 2; k++) {
			cdl_thread_pool_run(p, task, s, 8);
			most = s->most_in_flight;
		}
		CHECK(most == 2, "2 workers never ran two tasks at once (most %u)", most);
		free(s);
		cdl_thread_pool_destroy(p);
	}
	CHECK(cdl_thread_pool_create(0, NULL, 0, 0) == NULL, "create(0) accepted");
	CHECK(cdl_thread_pool_create(CDL_THREAD_POOL_MAX + 1, NULL, 0, 0) == NULL,
	      "create(%d) accepted", CDL_THREAD_POOL_MAX + 1);
	cdl_thread_pool_destroy(NULL);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
