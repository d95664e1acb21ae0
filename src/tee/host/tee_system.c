/*
 * Internal Core API: panic, memory management (over the secure TA heap),
 * time and random numbers; cdl_tee_heap_stats.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cdl_tee_ext.h"
#include "heap.h"
#include "host.h"
#include "tee_internal_api.h"

/* §4.8 */
void TEE_Panic(TEE_Result panicCode)
{
	fprintf(stderr, "cdl-tee: TA panic 0x%08x\n", (unsigned)panicCode);
	_exit(CDL_TEE_EXIT_PANIC);
}

/* §4.11 Memory management: the TA heap is the fixed secure pool. */
void *TEE_Malloc(size_t size, uint32_t hint)
{
	void *p = NULL;

	if (hint & ~(uint32_t)(TEE_MALLOC_NO_FILL | TEE_MALLOC_NO_SHARE))
		return NULL;
	p = cdl_pool_alloc(&cdl_ta_heap, size);
	if (p && !(hint & TEE_MALLOC_NO_FILL))
		memset(p, 0, size);
	return p;
}

void *TEE_Realloc(void *buffer, size_t newSize)
{
	return cdl_pool_realloc(&cdl_ta_heap, buffer, newSize);
}

void TEE_Free(void *buffer)
{
	cdl_pool_free(&cdl_ta_heap, buffer);
}

void *TEE_MemMove(void *dest, const void *src, size_t size)
{
	return memmove(dest, src, size);
}

/* Constant time: TAs compare tags and keys with it. */
int32_t TEE_MemCompare(const void *buffer1, const void *buffer2, size_t size)
{
	const uint8_t *a = buffer1;
	const uint8_t *b = buffer2;
	int32_t res = 0;
	size_t i = 0;

	for (i = 0; i < size; i++) {
		int32_t d = (int32_t)a[i] - (int32_t)b[i];
		/* first difference wins, without branching on the data */
		uint32_t first = (uint32_t)(res == 0) & (uint32_t)(d != 0);

		res = (int32_t)((uint32_t)res | ((uint32_t)d & (0u - first)));
	}
	return res < 0 ? -1 : res > 0 ? 1 : 0;
}

void TEE_MemFill(void *buffer, uint32_t x, size_t size)
{
	memset(buffer, (int)(uint8_t)x, size);
}

static uint8_t *stack_top;

void cdl_system_set_stack_top(void *top)
{
	stack_top = top;
}

extern char __data_start[], _end[];

static bool inside(const void *p, size_t n, const void *lo, const void *hi)
{
	const uint8_t *u = p;

	return u >= (const uint8_t *)lo && u <= (const uint8_t *)hi &&
	       n <= (size_t)((const uint8_t *)hi - u);
}

/*
 * Private TA memory: the secure heap, the stack and the data segment. Shared
 * memory (the client's memrefs) only with TEE_MEMORY_ACCESS_ANY_OWNER, as GP
 * requires; anything else is refused.
 */
TEE_Result TEE_CheckMemoryAccessRights(uint32_t accessFlags, void *buffer,
				       size_t size)
{
	uint8_t here = 0;
	int shm = 0;

	if (accessFlags & ~(uint32_t)(TEE_MEMORY_ACCESS_READ |
				       TEE_MEMORY_ACCESS_WRITE |
				       TEE_MEMORY_ACCESS_ANY_OWNER))
		return TEE_ERROR_BAD_PARAMETERS;
	if (size == 0)
		return TEE_SUCCESS;
	if (!buffer)
		return TEE_ERROR_ACCESS_DENIED;
	shm = cdl_server_shm_lookup(buffer, size);
	if (shm != 0)
		return shm > 0 && (accessFlags & TEE_MEMORY_ACCESS_ANY_OWNER) ?
			       TEE_SUCCESS : TEE_ERROR_ACCESS_DENIED;
	if (cdl_pool_contains(&cdl_ta_heap, buffer, size))
		return TEE_SUCCESS;
	if (stack_top && inside(buffer, size, &here, stack_top))
		return TEE_SUCCESS;
	if (inside(buffer, size, __data_start, _end))
		return TEE_SUCCESS;
	return TEE_ERROR_ACCESS_DENIED;
}

void cdl_tee_heap_stats(size_t *size, size_t *used, size_t *peak)
{
	if (size)
		*size = cdl_ta_heap.size;
	if (used)
		*used = cdl_ta_heap.used;
	if (peak)
		*peak = cdl_ta_heap.peak;
}

/* §6.9 */
void TEE_GenerateRandom(void *randomBuffer, size_t randomBufferLen)
{
	uint8_t *p = randomBuffer;

	while (randomBufferLen > 0) {
		ssize_t n = getrandom(p, randomBufferLen, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			TEE_Panic(TEE_ERROR_GENERIC);
		}
		p += n;
		randomBufferLen -= (size_t)n;
	}
}

/* §7 Time: system time is monotonic from an arbitrary origin, REE time is the
 * (untrusted) wall clock. */
static void get_time(clockid_t clock, TEE_Time *t)
{
	struct timespec ts = { 0 };

	clock_gettime(clock, &ts);
	t->seconds = (uint32_t)ts.tv_sec;
	t->millis = (uint32_t)(ts.tv_nsec / 1000000);
}

void TEE_GetSystemTime(TEE_Time *time)
{
	get_time(CLOCK_MONOTONIC, time);
}

void TEE_GetREETime(TEE_Time *time)
{
	get_time(CLOCK_REALTIME, time);
}

void cdl_uuid_str(const TEE_UUID *u, char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 (unsigned)u->timeLow, (unsigned)u->timeMid,
		 (unsigned)u->timeHiAndVersion, u->clockSeqAndNode[0],
		 u->clockSeqAndNode[1], u->clockSeqAndNode[2],
		 u->clockSeqAndNode[3], u->clockSeqAndNode[4],
		 u->clockSeqAndNode[5], u->clockSeqAndNode[6],
		 u->clockSeqAndNode[7]);
}
