/*
 * Round-trip latency of the host TEE transport: an empty InvokeCommand, and
 * a 1 MiB memory reference (temporary: copied through a memfd both ways;
 * allocated shared memory: zero-copy), median and 99th percentile.
 *
 *   CDL_TEE_BIN=build-tee/cdl-tee-test build-tee/cdl-tee-bench [N]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tee_client_api.h"
#include "test_ta.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("%-40s median %8.1f us   p99 %8.1f us   (n=%d)\n", what, t[n / 2],
	       t[(n * 99) / 100], n);
}

int main(int argc, char **argv)
{
	static const TEEC_UUID uuid = TA_TEST_UUID;
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	int big_n = n / 10 > 100 ? n / 10 : 100;
	size_t mib = (size_t)1 << 20;
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	TEEC_SharedMemory shm;
	double *t = NULL;
	uint8_t *buf = NULL;
	double t0 = 0;
	int i = 0;

	if (n < 10)
		n = 10;
	t = calloc((size_t)n, sizeof(*t));
	buf = calloc(1, mib);
	t0 = now_us();
	if (TEEC_InitializeContext(NULL, &ctx) != TEEC_SUCCESS ||
	    TEEC_OpenSession(&ctx, &s, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL) !=
		    TEEC_SUCCESS) {
		fprintf(stderr, "cdl-tee-bench: failed to start the TEE (set CDL_TEE_BIN)\n");
		return 1;
	}
	printf("%-40s %8.1f ms\n", "spawn cdl-tee + open session", (now_us() - t0) / 1e3);

	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (TEEC_InvokeCommand(&s, TA_TEST_CMD_NOP, NULL, NULL) != TEEC_SUCCESS)
			return 1;
		t[i] = now_us() - t0;
	}
	report("empty InvokeCommand", t, n);

	for (i = 0; i < big_n; i++) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_NONE,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].tmpref.buffer = buf;
		op.params[0].tmpref.size = mib;
		t0 = now_us();
		if (TEEC_InvokeCommand(&s, TA_TEST_CMD_NOP_MEMREF, &op, NULL) != TEEC_SUCCESS)
			return 1;
		t[i] = now_us() - t0;
	}
	report("1 MiB temp memref inout (2 copies)", t, big_n);

	memset(&shm, 0, sizeof(shm));
	shm.size = mib;
	shm.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	if (TEEC_AllocateSharedMemory(&ctx, &shm) != TEEC_SUCCESS)
		return 1;
	for (i = 0; i < big_n; i++) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		t0 = now_us();
		if (TEEC_InvokeCommand(&s, TA_TEST_CMD_NOP_MEMREF, &op, NULL) != TEEC_SUCCESS)
			return 1;
		t[i] = now_us() - t0;
	}
	report("1 MiB allocated shm (zero-copy)", t, big_n);
	for (i = 0; i < big_n; i++) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].memref.parent = &shm;
		t0 = now_us();
		if (TEEC_InvokeCommand(&s, TA_TEST_CMD_SUM_INVERT, &op, NULL) != TEEC_SUCCESS)
			return 1;
		t[i] = now_us() - t0;
	}
	report("1 MiB allocated shm, TA touches all", t, big_n);
	TEEC_ReleaseSharedMemory(&shm);
	TEEC_CloseSession(&s);
	TEEC_FinalizeContext(&ctx);
	free(t);
	free(buf);
	return 0;
}
