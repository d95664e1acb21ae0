/*
 * Tests of the world boundary and the host TEE: a client (this program)
 * talks to cdl-tee-test (the host TEE with tests/tee/test_ta.c linked in)
 * through the TEE Client API over the spawned transport, or with raw
 * protocol messages where the API would refuse to send something bad.
 *
 *   tee_tests NAME   runs one test; exit 0 pass, 1 fail, 77 skipped
 *
 * Environment: CDL_TEE_BIN (the cdl-tee-test binary), TEE_TEST_TMP (a
 * scratch directory; each test makes its own state directory in it).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "cdl_teec_host.h"
#include "protocol.h"
#include "tee_client_api.h"
#include "test_ta.h"

static int failures;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			failures++;                                          \
		}                                                            \
	} while (0)

#define CHECK_RES(res, want)                                                 \
	do {                                                                 \
		TEEC_Result r_ = (res);                                      \
		if (r_ != (TEEC_Result)(want)) {                             \
			fprintf(stderr, "%s:%d: %s = 0x%08x, want 0x%08x\n", \
				__FILE__, __LINE__, #res, (unsigned)r_,      \
				(unsigned)(want));                           \
			failures++;                                          \
		}                                                            \
	} while (0)

#define SKIP 77

static const TEEC_UUID ta_uuid = TA_TEST_UUID;
static char state_dir[4096];

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool have_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(CDL_TEE_NO_SECCOMP)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

/* A fresh state directory for this test, exported as CDL_TEE_DIR. */
static void new_state_dir(void)
{
	const char *base = getenv("TEE_TEST_TMP");

	mkdir(base ? base : "/tmp", 0755);
	snprintf(state_dir, sizeof(state_dir), "%s/state-XXXXXX", base ? base : "/tmp");
	if (!mkdtemp(state_dir)) {
		perror("mkdtemp");
		exit(1);
	}
	setenv("CDL_TEE_DIR", state_dir, 1);
}

static TEEC_Result open_ta(TEEC_Context *ctx, TEEC_Session *sess)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_InitializeContext(NULL, ctx);

	if (res != TEEC_SUCCESS)
		return res;
	res = TEEC_OpenSession(ctx, sess, &ta_uuid, TEEC_LOGIN_PUBLIC, NULL,
			       NULL, &origin);
	if (res != TEEC_SUCCESS)
		TEEC_FinalizeContext(ctx);
	return res;
}

static void close_ta(TEEC_Context *ctx, TEEC_Session *sess)
{
	TEEC_CloseSession(sess);
	TEEC_FinalizeContext(ctx);
}

static TEEC_Result invoke(TEEC_Session *s, uint32_t cmd, TEEC_Operation *op)
{
	uint32_t origin = 0;

	return TEEC_InvokeCommand(s, cmd, op, &origin);
}

static TEEC_Result echo(TEEC_Session *s)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	op.params[0].value.a = 0x12345678;
	op.params[0].value.b = 0x9abcdef0;
	op.params[2].value.a = 41;
	op.params[2].value.b = 43;
	res = invoke(s, TA_TEST_CMD_ECHO, &op);
	if (res == TEEC_SUCCESS &&
	    (op.params[1].value.a != 0x12345678 || op.params[1].value.b != 0x9abcdef0 ||
	     op.params[2].value.a != 42 || op.params[2].value.b != 42))
		return TEEC_ERROR_GENERIC;
	return res;
}

static TEEC_Result tmp_in_out(TEEC_Session *s, uint32_t cmd, const void *in,
			      size_t in_len, void *out, size_t *out_len)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT,
					 out ? TEEC_MEMREF_TEMP_OUTPUT : TEEC_NONE,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)in;
	op.params[0].tmpref.size = in_len;
	if (out) {
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = *out_len;
	}
	res = invoke(s, cmd, &op);
	if (out)
		*out_len = op.params[1].tmpref.size;
	return res;
}

static void hex(const char *h, uint8_t *out, size_t n)
{
	size_t i = 0;

	for (i = 0; i < n; i++)
		sscanf(h + 2 * i, "%2hhx", &out[i]);
}

/* ------------------------------------------------------------------ values */

static int test_values(void)
{
	TEEC_Context ctx;
	TEEC_Session s1;
	TEEC_Session s2;
	TEEC_Operation op;
	int i = 0;

	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s1), TEEC_SUCCESS);
	CHECK_RES(TEEC_OpenSession(&ctx, &s2, &ta_uuid, TEEC_LOGIN_PUBLIC, NULL,
				   NULL, NULL), TEEC_SUCCESS);
	CHECK_RES(echo(&s1), TEEC_SUCCESS);
	CHECK_RES(invoke(&s1, TA_TEST_CMD_NOP, NULL), TEEC_SUCCESS);
	/* per-session state: each session counts its own calls */
	for (i = 1; i <= 3; i++) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		CHECK_RES(invoke(&s1, TA_TEST_CMD_COUNTER, &op), TEEC_SUCCESS);
		CHECK(op.params[0].value.a == (uint32_t)i);
	}
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	CHECK_RES(invoke(&s2, TA_TEST_CMD_COUNTER, &op), TEEC_SUCCESS);
	CHECK(op.params[0].value.a == 1);
	CHECK(s1.session_id != s2.session_id);
	/* wrong UUID */
	{
		TEEC_UUID other = ta_uuid;
		TEEC_Session s3;
		uint32_t origin = 0;

		other.timeLow ^= 1;
		CHECK_RES(TEEC_OpenSession(&ctx, &s3, &other, TEEC_LOGIN_PUBLIC,
					   NULL, NULL, &origin),
			  TEEC_ERROR_ITEM_NOT_FOUND);
		CHECK(origin == TEEC_ORIGIN_TEE);
	}
	TEEC_CloseSession(&s2);
	CHECK_RES(echo(&s1), TEEC_SUCCESS);
	close_ta(&ctx, &s1);
	return 0;
}

/* ----------------------------------------------------------------- memrefs */

static int test_memrefs(void)
{
	TEEC_Context ctx;
	TEEC_Context ctx2;
	TEEC_Session s;
	TEEC_Session s2;
	TEEC_Operation op;
	TEEC_SharedMemory alloc;
	TEEC_SharedMemory reg;
	uint8_t buf[1000];
	uint8_t *big = NULL;
	uint32_t sum = 0;
	size_t big_len = (size_t)8 << 20;
	size_t i = 0;

	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);

	/* temporary inout: summed and inverted in place */
	for (i = 0; i < sizeof(buf); i++) {
		buf[i] = (uint8_t)(i * 7);
		sum += buf[i];
	}
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = buf;
	op.params[0].tmpref.size = sizeof(buf);
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.a == sum);
	CHECK(op.params[1].value.b == sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != (uint8_t)~(uint8_t)(i * 7))
			break;
	CHECK(i == sizeof(buf));

	/* output: short buffer reports the size needed; NULL asks for it */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 300;
	op.params[0].value.b = 5;
	op.params[1].tmpref.buffer = buf;
	op.params[1].tmpref.size = 100;
	memset(buf, 0xEE, sizeof(buf));
	CHECK_RES(invoke(&s, TA_TEST_CMD_FILL, &op), TEEC_ERROR_SHORT_BUFFER);
	CHECK(op.params[1].tmpref.size == 300);
	CHECK(buf[0] == 0xEE); /* nothing copied back on error */
	op.params[1].tmpref.buffer = NULL;
	op.params[1].tmpref.size = 0;
	CHECK_RES(invoke(&s, TA_TEST_CMD_FILL, &op), TEEC_ERROR_SHORT_BUFFER);
	CHECK(op.params[1].tmpref.size == 300);
	op.params[1].tmpref.buffer = buf;
	op.params[1].tmpref.size = sizeof(buf);
	CHECK_RES(invoke(&s, TA_TEST_CMD_FILL, &op), TEEC_SUCCESS);
	CHECK(op.params[1].tmpref.size == 300);
	CHECK(buf[0] == 5 && buf[299] == (uint8_t)(5 + 299) && buf[300] == 0xEE);

	/* allocated shared memory: zero-copy, whole and partial */
	memset(&alloc, 0, sizeof(alloc));
	alloc.size = 4096;
	alloc.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	CHECK_RES(TEEC_AllocateSharedMemory(&ctx, &alloc), TEEC_SUCCESS);
	memset(alloc.buffer, 1, alloc.size);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &alloc;
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.a == 4096 && op.params[1].value.b == 4096);
	CHECK(((uint8_t *)alloc.buffer)[0] == 0xFE && ((uint8_t *)alloc.buffer)[4095] == 0xFE);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &alloc;
	op.params[0].memref.offset = 100;
	op.params[0].memref.size = 10;
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.a == 10 * 0xFE && op.params[1].value.b == 10);
	CHECK(((uint8_t *)alloc.buffer)[99] == 0xFE && ((uint8_t *)alloc.buffer)[100] == 1 &&
	      ((uint8_t *)alloc.buffer)[110] == 0xFE);
	/* out of range, and a direction the memory was not registered for */
	op.params[0].memref.offset = 4090;
	op.params[0].memref.size = 10;
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_ERROR_BAD_PARAMETERS);
	op.params[0].memref.offset = SIZE_MAX;
	op.params[0].memref.size = 2;
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_ERROR_BAD_PARAMETERS);

	/* the TA sees shared memory only as "any owner" memory */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &alloc;
	op.params[0].memref.offset = 0;
	op.params[0].memref.size = 64;
	CHECK_RES(invoke(&s, TA_TEST_CMD_ACCESS, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.a == 0xFFFF0001); /* ACCESS_DENIED */
	CHECK(op.params[1].value.b == TEEC_SUCCESS);

	/* registered memory: the caller's buffer, mirrored */
	memset(&reg, 0, sizeof(reg));
	reg.buffer = buf;
	reg.size = sizeof(buf);
	reg.flags = TEEC_MEM_INPUT;
	memset(buf, 2, sizeof(buf));
	CHECK_RES(TEEC_RegisterSharedMemory(&ctx, &reg), TEEC_SUCCESS);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INOUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &reg;
	op.params[0].memref.size = 10;
	/* input-only memory cannot be an inout reference */
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_ERROR_BAD_PARAMETERS);
	TEEC_ReleaseSharedMemory(&reg);
	reg.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	CHECK_RES(TEEC_RegisterSharedMemory(&ctx, &reg), TEEC_SUCCESS);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.a == 2 * sizeof(buf));
	CHECK(buf[0] == 0xFD && buf[sizeof(buf) - 1] == 0xFD);

	/* shared memory of another context is refused */
	CHECK_RES(open_ta(&ctx2, &s2), TEEC_SUCCESS);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = &alloc;
	CHECK_RES(invoke(&s2, TA_TEST_CMD_SUM_INVERT, &op), TEEC_ERROR_BAD_PARAMETERS);
	close_ta(&ctx2, &s2);

	/* a large temporary reference */
	big = malloc(big_len);
	for (i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i >> 12);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INOUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = big;
	op.params[0].tmpref.size = big_len;
	CHECK_RES(invoke(&s, TA_TEST_CMD_SUM_INVERT, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.b == big_len);
	CHECK(big[0] == 0xFF && big[big_len - 1] == (uint8_t)~(uint8_t)((big_len - 1) >> 12));
	free(big);

	TEEC_ReleaseSharedMemory(&reg);
	TEEC_ReleaseSharedMemory(&alloc);
	CHECK(alloc.buffer == NULL);
	CHECK_RES(echo(&s), TEEC_SUCCESS);
	close_ta(&ctx, &s);
	return 0;
}

/* ------------------------------------------------------------- param types */

static int test_param_types(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	uint32_t origin = 0;
	uint32_t bad[] = { 4, 8, 9, 10, 11 };
	size_t i = 0;

	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	/* the TA checks its param types */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_VALUE_INOUT, TEEC_NONE);
	CHECK_RES(TEEC_InvokeCommand(&s, TA_TEST_CMD_ECHO, &op, &origin),
		  TEEC_ERROR_BAD_PARAMETERS);
	CHECK(origin == TEEC_ORIGIN_TRUSTED_APP);
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	CHECK_RES(invoke(&s, TA_TEST_CMD_NOP, &op), TEEC_ERROR_BAD_PARAMETERS);
	CHECK_RES(invoke(&s, 9999, NULL), TEEC_ERROR_NOT_SUPPORTED);
	/* the client API refuses undefined types */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_NONE, bad[i], TEEC_NONE, TEEC_NONE);
		CHECK_RES(TEEC_InvokeCommand(&s, TA_TEST_CMD_NOP, &op, &origin),
			  TEEC_ERROR_BAD_PARAMETERS);
		CHECK(origin == TEEC_ORIGIN_API);
	}
	op.paramTypes = 0x10000;
	CHECK_RES(invoke(&s, TA_TEST_CMD_NOP, &op), TEEC_ERROR_BAD_PARAMETERS);
	/* a registered reference without a parent */
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].memref.parent = NULL;
	CHECK_RES(invoke(&s, TA_TEST_CMD_NOP_MEMREF, &op), TEEC_ERROR_BAD_PARAMETERS);
	CHECK_RES(echo(&s), TEEC_SUCCESS);
	close_ta(&ctx, &s);
	return 0;
}

/* -------------------------------------------------------------------- heap */

static TEEC_Result heap_stats(TEEC_Session *s, uint32_t *size, uint32_t *used,
			      uint32_t *peak)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	res = invoke(s, TA_TEST_CMD_HEAP_STATS, &op);
	*size = op.params[0].value.a;
	*used = op.params[0].value.b;
	*peak = op.params[1].value.a;
	return res;
}

static int alloc_until_full(TEEC_Session *s, uint32_t chunk, TEEC_Result *last)
{
	TEEC_Operation op;
	int n = 0;

	for (;;) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT,
						 TEEC_NONE, TEEC_NONE);
		op.params[0].value.a = chunk;
		*last = invoke(s, TA_TEST_CMD_ALLOC, &op);
		if (*last != TEEC_SUCCESS || n > 10000)
			return n;
		n++;
	}
}

static int test_heap(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Result last = 0;
	uint32_t size = 0;
	uint32_t used = 0;
	uint32_t peak = 0;
	uint32_t used0 = 0;
	int n = 0;
	int n2 = 0;

	new_state_dir();
	/* default: 16 MiB like an OP-TEE TA heap */
	unsetenv("CDL_TEE_HEAP");
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	CHECK(cdl_teec_server_heap_size(&ctx) == (size_t)16 << 20);
	close_ta(&ctx, &s);

	setenv("CDL_TEE_HEAP", "4M", 1);
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	CHECK_RES(heap_stats(&s, &size, &used0, &peak), TEEC_SUCCESS);
	CHECK(size == 4u << 20);
	n = alloc_until_full(&s, 1 << 20, &last);
	CHECK_RES(last, TEEC_ERROR_OUT_OF_MEMORY);
	CHECK(n == 3); /* 4 MiB minus the session state and headers */
	CHECK_RES(heap_stats(&s, &size, &used, &peak), TEEC_SUCCESS);
	CHECK(used >= 3u << 20 && used <= size && peak >= used);
	/* still usable, and the memory comes back */
	CHECK_RES(echo(&s), TEEC_SUCCESS);
	CHECK_RES(invoke(&s, TA_TEST_CMD_FREE_ALL, NULL), TEEC_SUCCESS);
	CHECK_RES(heap_stats(&s, &size, &used, &peak), TEEC_SUCCESS);
	CHECK(used == used0);
	CHECK(peak >= 3u << 20);
	/* small blocks fill it the same way, and fragments coalesce */
	n2 = alloc_until_full(&s, 4000, &last);
	CHECK_RES(last, TEEC_ERROR_OUT_OF_MEMORY);
	CHECK(n2 > 900 && n2 <= 1050);
	CHECK_RES(invoke(&s, TA_TEST_CMD_FREE_ALL, NULL), TEEC_SUCCESS);
	n = alloc_until_full(&s, 1 << 20, &last);
	CHECK(n == 3);
	close_ta(&ctx, &s);
	fprintf(stderr, "heap: 4 MiB holds %d x 1 MiB, %d x 4000 B\n", n, n2);

	/* a bad size: the spawn fails cleanly, no hang */
	setenv("CDL_TEE_HEAP", "lots", 1);
	CHECK(TEEC_InitializeContext(NULL, &ctx) != TEEC_SUCCESS);
	unsetenv("CDL_TEE_HEAP");
	return 0;
}

/* ----------------------------------------------------------------- storage */

static int count_files(const char *dir, char *first, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *e = NULL;
	int count = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (count == 0 && first)
			snprintf(first, n, "%s/%s", dir, e->d_name);
		count++;
	}
	closedir(d);
	return count;
}

static bool file_contains(const char *path, const void *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[1 << 16];
	size_t len = 0;
	size_t i = 0;

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return true;
	return false;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[17700];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	if (system(cmd) != 0)
		fprintf(stderr, "cp failed\n");
}

static TEEC_Result store(TEEC_Session *s, const char *id, const void *data, size_t n)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_INPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)id;
	op.params[0].tmpref.size = strlen(id);
	op.params[1].tmpref.buffer = (void *)data;
	op.params[1].tmpref.size = n;
	return invoke(s, TA_TEST_CMD_STORE, &op);
}

static TEEC_Result load(TEEC_Session *s, const char *id, void *data, size_t *n)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)id;
	op.params[0].tmpref.size = strlen(id);
	op.params[1].tmpref.buffer = data;
	op.params[1].tmpref.size = *n;
	res = invoke(s, TA_TEST_CMD_LOAD, &op);
	*n = op.params[1].tmpref.size;
	return res;
}

static EVP_PKEY *pub_key(const uint8_t xy[64])
{
	uint8_t pub[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	pub[0] = 4;
	memcpy(pub + 1, xy, 64);
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65);
	params = OSSL_PARAM_BLD_to_param(bld);
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* Verifies r||s over a digest with OpenSSL: an independent check. */
static bool ossl_verify(const uint8_t xy[64], const uint8_t digest[32],
			const uint8_t rs[64])
{
	EVP_PKEY *pkey = pub_key(xy);
	EVP_PKEY_CTX *ctx = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	uint8_t *der = NULL;
	int der_len = 0;
	bool ok = false;

	ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
	der_len = i2d_ECDSA_SIG(sig, &der);
	if (ctx && EVP_PKEY_verify_init(ctx) == 1)
		ok = EVP_PKEY_verify(ctx, der, (size_t)der_len, digest, 32) == 1;
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ok;
}

static int test_storage(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	char ta_dir[4200];
	char file_a[8800];
	char file_b[8800];
	char key_path[4200];
	const char *secret = "the weights of a model, 0123456789";
	uint8_t out[256];
	uint8_t xy[64];
	uint8_t rs[64];
	uint8_t digest[32];
	size_t n = sizeof(out);
	struct stat st;
	FILE *f = NULL;
	long size = 0;
	int c = 0;

	new_state_dir();
	snprintf(ta_dir, sizeof(ta_dir), "%s/ta/7c3a9e52-41d6-4b8f-9a1e-5d0c632fb711",
		 state_dir);
	snprintf(key_path, sizeof(key_path), "%s/root.key", state_dir);
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	CHECK_RES(load(&s, "a", out, &n), TEEC_ERROR_ITEM_NOT_FOUND);
	CHECK_RES(store(&s, "a", secret, strlen(secret)), TEEC_SUCCESS);
	close_ta(&ctx, &s);

	/* the state directory: private, the root key 0600, nothing readable */
	CHECK(stat(state_dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(key_path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 32);
	CHECK(count_files(ta_dir, file_a, sizeof(file_a)) == 1);
	/* the file is named by an HMAC of the object id, not by the id: its
	 * name is 64 hex digits (which may well start with "a") */
	{
		const char *base = strrchr(file_a, '/');
		size_t hex = 0;

		base = base ? base + 1 : file_a;
		while (hex < 64 && ((base[hex] >= '0' && base[hex] <= '9') ||
				    (base[hex] >= 'a' && base[hex] <= 'f')))
			hex++;
		CHECK(hex == 64 && strcmp(base, "a") != 0);
	}
	CHECK(!file_contains(file_a, "weights", 7));

	/* survives a restart (a new cdl-tee process) */
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	n = sizeof(out);
	CHECK_RES(load(&s, "a", out, &n), TEEC_SUCCESS);
	CHECK(n == strlen(secret) && memcmp(out, secret, n) == 0);
	n = 3;
	CHECK_RES(load(&s, "a", out, &n), TEEC_ERROR_SHORT_BUFFER);
	CHECK(n == strlen(secret));
	CHECK_RES(store(&s, "b", "other", 5), TEEC_SUCCESS);
	close_ta(&ctx, &s);
	CHECK(count_files(ta_dir, NULL, 0) == 2);
	{
		DIR *d = opendir(ta_dir);
		struct dirent *e = NULL;

		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.' && !strstr(file_a, e->d_name))
				snprintf(file_b, sizeof(file_b), "%s/%s", ta_dir, e->d_name);
		if (d)
			closedir(d);
	}

	/* a tampered byte is detected */
	f = fopen(file_a, "r+b");
	CHECK(f != NULL);
	if (f) {
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		fseek(f, size / 2, SEEK_SET);
		c = fgetc(f);
		fseek(f, size / 2, SEEK_SET);
		fputc(c ^ 0x01, f);
		fclose(f);
	}
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	n = sizeof(out);
	CHECK_RES(load(&s, "a", out, &n), TEEC_ERROR_CORRUPT_OBJECT);
	/* another object's file under this name is detected */
	copy_file(file_b, file_a);
	n = sizeof(out);
	CHECK_RES(load(&s, "a", out, &n), TEEC_ERROR_CORRUPT_OBJECT);
	n = sizeof(out);
	CHECK_RES(load(&s, "b", out, &n), TEEC_SUCCESS);
	/* delete */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = (void *)"b";
	op.params[0].tmpref.size = 1;
	CHECK_RES(invoke(&s, TA_TEST_CMD_DELETE, &op), TEEC_SUCCESS);
	n = sizeof(out);
	CHECK_RES(load(&s, "b", out, &n), TEEC_ERROR_ITEM_NOT_FOUND);
	CHECK_RES(invoke(&s, TA_TEST_CMD_DELETE, &op), TEEC_ERROR_ITEM_NOT_FOUND);

	/* a persistent key object: generated, stored, used after a restart */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = xy;
	op.params[0].tmpref.size = sizeof(xy);
	CHECK_RES(invoke(&s, TA_TEST_CMD_STORE_KEY, &op), TEEC_SUCCESS);
	close_ta(&ctx, &s);
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	memset(digest, 0x42, sizeof(digest));
	n = sizeof(rs);
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_SIGN_STORED, digest, 32, rs, &n), TEEC_SUCCESS);
	CHECK(n == 64 && ossl_verify(xy, digest, rs));
	CHECK_RES(store(&s, "c", "xyz", 3), TEEC_SUCCESS);
	close_ta(&ctx, &s);

	/* another root key (another device) finds nothing: the names are keyed too */
	f = fopen(key_path, "r+b");
	if (f) {
		fputc('X', f);
		fclose(f);
	}
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	n = sizeof(out);
	CHECK_RES(load(&s, "c", out, &n), TEEC_ERROR_ITEM_NOT_FOUND);
	close_ta(&ctx, &s);

	/* a root key readable by others is refused */
	chmod(key_path, 0644);
	CHECK(TEEC_InitializeContext(NULL, &ctx) != TEEC_SUCCESS);
	return 0;
}

/* ------------------------------------------------------------------ crypto */

static int test_crypto(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	uint8_t out[256];
	uint8_t want[64];
	uint8_t in[256];
	uint8_t key1[32];
	uint8_t key2[32];
	uint8_t key3[32];
	size_t n = sizeof(out);
	const char *pt_hex = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
	const char *ct_hex = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
	size_t in_len = 0;

	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);

	/* SHA-256("abc"), FIPS 180-2 */
	hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_SHA256, "abc", 3, out, &n), TEEC_SUCCESS);
	CHECK(n == 32 && memcmp(out, want, 32) == 0);
	n = 16;
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_SHA256, "abc", 3, out, &n), TEEC_ERROR_SHORT_BUFFER);
	CHECK(n == 32);

	/* AES-256-GCM, GCM specification test case 16 */
	hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", in, 32);
	hex("cafebabefacedbaddecaf888", in + 32, 12);
	in[44] = 20;
	in[45] = in[46] = in[47] = 0;
	hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", in + 48, 20);
	hex(pt_hex, in + 68, 60);
	in_len = 128;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT,
					 TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE);
	op.params[0].value.a = 0;
	op.params[1].tmpref.buffer = in;
	op.params[1].tmpref.size = in_len;
	op.params[2].tmpref.buffer = out;
	op.params[2].tmpref.size = sizeof(out);
	CHECK_RES(invoke(&s, TA_TEST_CMD_AES_GCM, &op), TEEC_SUCCESS);
	hex(ct_hex, want, 60);
	CHECK(op.params[2].tmpref.size == 76 && memcmp(out, want, 60) == 0);
	hex("76fc6ece0f4e1768cddf8853bb2d551b", want, 16);
	CHECK(memcmp(out + 60, want, 16) == 0);
	/* decrypt it back */
	memcpy(in + 68, out, 76);
	op.params[0].value.a = 1;
	op.params[1].tmpref.size = 68 + 76;
	op.params[2].tmpref.size = sizeof(out);
	CHECK_RES(invoke(&s, TA_TEST_CMD_AES_GCM, &op), TEEC_SUCCESS);
	hex(pt_hex, want, 60);
	CHECK(op.params[2].tmpref.size == 60 && memcmp(out, want, 60) == 0);
	/* a flipped tag bit, a flipped AAD bit */
	in[68 + 75] ^= 0x80;
	op.params[2].tmpref.size = sizeof(out);
	CHECK_RES(invoke(&s, TA_TEST_CMD_AES_GCM, &op), TEEC_ERROR_MAC_INVALID);
	in[68 + 75] ^= 0x80;
	in[50] ^= 1;
	op.params[2].tmpref.size = sizeof(out);
	CHECK_RES(invoke(&s, TA_TEST_CMD_AES_GCM, &op), TEEC_ERROR_MAC_INVALID);

	/* ECDSA P-256: signed in the TA, verified by OpenSSL */
	{
		uint8_t digest[32];

		memset(digest, 0xA7, sizeof(digest));
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
						 TEEC_VALUE_OUTPUT, TEEC_NONE);
		op.params[0].tmpref.buffer = digest;
		op.params[0].tmpref.size = 32;
		op.params[1].tmpref.buffer = out;
		op.params[1].tmpref.size = 128;
		CHECK_RES(invoke(&s, TA_TEST_CMD_ECDSA, &op), TEEC_SUCCESS);
		CHECK(op.params[2].value.a == 1 && op.params[2].value.b == 1);
		CHECK(ossl_verify(out, digest, out + 64));
		digest[31] ^= 1;
		CHECK(!ossl_verify(out, digest, out + 64));
	}

	/* ECDH P-256 against OpenSSL */
	{
		EVP_PKEY *mine = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		EVP_PKEY *theirs = NULL;
		EVP_PKEY_CTX *dctx = NULL;
		BIGNUM *x = NULL;
		BIGNUM *y = NULL;
		uint8_t xy[64];
		uint8_t shared[32];
		size_t sl = sizeof(shared);

		EVP_PKEY_get_bn_param(mine, OSSL_PKEY_PARAM_EC_PUB_X, &x);
		EVP_PKEY_get_bn_param(mine, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
		BN_bn2binpad(x, xy, 32);
		BN_bn2binpad(y, xy + 32, 32);
		n = 96;
		CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_ECDH, xy, 64, out, &n), TEEC_SUCCESS);
		CHECK(n == 96);
		theirs = pub_key(out);
		dctx = EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL);
		CHECK(theirs && dctx && EVP_PKEY_derive_init(dctx) == 1 &&
		      EVP_PKEY_derive_set_peer(dctx, theirs) == 1 &&
		      EVP_PKEY_derive(dctx, shared, &sl) == 1);
		CHECK(sl == 32 && memcmp(shared, out + 64, 32) == 0);
		/* a point off the curve is refused, and the TEE lives on */
		xy[63] ^= 1;
		n = 96;
		CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_ECDH, xy, 64, out, &n),
			  TEEC_ERROR_BAD_PARAMETERS);
		CHECK_RES(echo(&s), TEEC_SUCCESS);
		BN_free(x);
		BN_free(y);
		EVP_PKEY_CTX_free(dctx);
		EVP_PKEY_free(theirs);
		EVP_PKEY_free(mine);
	}

	/* TA-unique keys from the root key: stable, label-bound */
	n = 32;
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_DERIVE, "device-key", 10, key1, &n), TEEC_SUCCESS);
	n = 32;
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_DERIVE, "other", 5, key2, &n), TEEC_SUCCESS);
	CHECK(memcmp(key1, key2, 32) != 0);
	close_ta(&ctx, &s);
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	n = 32;
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_DERIVE, "device-key", 10, key3, &n), TEEC_SUCCESS);
	CHECK(memcmp(key1, key3, 32) == 0);
	close_ta(&ctx, &s);
	/* another device (state directory, root key): another key */
	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	n = 32;
	CHECK_RES(tmp_in_out(&s, TA_TEST_CMD_DERIVE, "device-key", 10, key3, &n), TEEC_SUCCESS);
	CHECK(memcmp(key1, key3, 32) != 0);
	close_ta(&ctx, &s);
	return 0;
}

/* --------------------------------------------------------------- hardening */

static bool status_has(pid_t pid, const char *file, const char *line)
{
	char path[64];
	char buf[512];
	FILE *f = NULL;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, line, strlen(line)) == 0)
			found = true;
	fclose(f);
	return found;
}

static bool memfd_secret_works(void)
{
	int fd = (int)syscall(447, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool find_window(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k)
{
	size_t i = 0;

	for (i = 0; i + k <= n; i++)
		if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

/*
 * Reads every mapping of pid through /proc/PID/mem (we run as root here, so
 * PR_SET_DUMPABLE does not stop us) and looks for two 32-byte windows of the
 * TA's secret pattern: one the TA also leaked into its data segment (the
 * control: must be found), one only in the secure heap (must not be).
 */
#define CHUNK ((size_t)1 << 20)

static void scan_memory(pid_t pid, int *secret_regions, int *secret_denied,
			bool *control_found, bool *secret_found, size_t *bytes_read)
{
	char path[64];
	char line[512];
	uint8_t control[32];
	uint8_t hidden[32];
	FILE *maps = NULL;
	int mem = -1;
	size_t i = 0;

	for (i = 0; i < 32; i++) {
		control[i] = ta_test_secret_byte(16 + i);
		hidden[i] = ta_test_secret_byte(40000 + i);
	}
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)pid);
	mem = open(path, O_RDONLY);
	if (!maps || mem < 0) {
		fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
		if (maps)
			fclose(maps);
		return;
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo = 0;
		unsigned long hi = 0;
		char perms[8] = "";
		bool secret = strstr(line, "secretmem") != NULL;
		uint8_t *buf = NULL;
		ssize_t got = 0;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    strstr(line, "[vvar") || strstr(line, "[vsyscall]"))
			continue;
		/* sanitizer shadow and allocator reserves: terabytes of nothing */
		if (hi - lo > ((unsigned long)1 << 30))
			continue;
		if (secret)
			(*secret_regions)++;
		/* in chunks, each searched together with the last 31 bytes before */
		buf = malloc(CHUNK + 32);
		{
			unsigned long at = lo;
			size_t have = 0;

			while (at < hi) {
				size_t want = hi - at < CHUNK ? hi - at : CHUNK;
				size_t total = 0;
				size_t keep = 0;

				got = pread(mem, buf + have, want, (off_t)at);
				if (got <= 0) {
					if (secret && at == lo)
						(*secret_denied)++;
					break;
				}
				*bytes_read += (size_t)got;
				total = have + (size_t)got;
				if (find_window(buf, total, control, 32))
					*control_found = true;
				if (find_window(buf, total, hidden, 32))
					*secret_found = true;
				keep = total < 31 ? total : 31;
				memmove(buf, buf + total - keep, keep);
				have = keep;
				at += (unsigned long)got;
			}
		}
		free(buf);
	}
	fclose(maps);
	close(mem);
}

static int test_hardening(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	TEEC_Operation op;
	pid_t pid = -1;
	int regions = 0;
	int denied = 0;
	bool control = false;
	bool secret = false;
	size_t bytes = 0;

	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	pid = cdl_teec_server_pid(&ctx);
	CHECK(pid > 0);
	CHECK(status_has(pid, "limits", "Max core file size        0                    0"));
	if (have_sanitizer()) {
		fprintf(stderr, "cdl-tee built without seccomp (sanitizer build or "
			"CDL_TEE_SECCOMP=OFF): seccomp not checked\n");
	} else {
		CHECK(status_has(pid, "status", "Seccomp:\t2"));
		CHECK(status_has(pid, "status", "NoNewPrivs:\t1"));
	}
	/* a secret in the TA heap, and a copy leaked on purpose as control */
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 64 << 10;
	op.params[0].value.b = 1;
	CHECK_RES(invoke(&s, TA_TEST_CMD_SECRET, &op), TEEC_SUCCESS);
	CHECK(op.params[1].value.a == 1); /* the TA's own heap is private memory */

	if (geteuid() != 0) {
		fprintf(stderr, "not root: the root-reader scan is skipped\n");
		close_ta(&ctx, &s);
		return 0;
	}
	scan_memory(pid, &regions, &denied, &control, &secret, &bytes);
	fprintf(stderr, "root reading cdl-tee's /proc/%ld/mem: %zu bytes readable, "
		"%d secretmem regions (%d unreadable), control %s, heap secret %s\n",
		(long)pid, bytes, regions, denied, control ? "found" : "not found",
		secret ? "FOUND" : "not found");
	/* root (CAP_SYS_PTRACE) reads ordinary memory despite non-dumpable ... */
	CHECK(bytes > 0);
	CHECK(control);
	if (memfd_secret_works()) {
		/* ... but never the memfd_secret heap */
		CHECK(regions >= 2); /* TA heap and core pool */
		CHECK(denied == regions);
		CHECK(!secret);
	} else {
		fprintf(stderr, "memfd_secret unavailable: heap readable by root (documented)\n");
	}
	close_ta(&ctx, &s);
	return 0;
}

/*
 * Same-user protection: a process of the cdl-tee's own uid may not read its
 * memory. As root we drop to nobody in a child (root itself is not stopped by
 * PR_SET_DUMPABLE) and spawn the TEE as nobody; the control is a plain
 * process of that uid, whose memory the same reader can read.
 */
static int same_user_child(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	char path[64];
	struct stat st;
	pid_t pid = -1;
	pid_t control = -1;
	int fd = -1;
	int e = 0;
	int bad = 0;
	static volatile uint64_t marker = 0x1122334455667788ull;
	uint64_t got = 0;

	if (open_ta(&ctx, &s) != TEEC_SUCCESS) {
		fprintf(stderr, "child: cannot start the TEE as uid %u\n", (unsigned)getuid());
		return 1;
	}
	pid = cdl_teec_server_pid(&ctx);
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)pid);
	fd = open(path, O_RDONLY);
	e = errno;
	if (fd >= 0) {
		fprintf(stderr, "child: %s opened by the same user\n", path);
		close(fd);
		bad++;
	} else if (e != EACCES && e != EPERM) {
		fprintf(stderr, "child: %s: unexpected %s\n", path, strerror(e));
		bad++;
	}
	/* non-dumpable also makes the /proc files root-owned */
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (stat(path, &st) != 0 || st.st_uid != 0) {
		fprintf(stderr, "child: %s not root-owned\n", path);
		bad++;
	}
	/* control: the same reader reads an ordinary process of its uid */
	control = fork();
	if (control == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)control);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &got, sizeof(got), (off_t)(uintptr_t)&marker) != sizeof(got) ||
	    got != marker) {
		fprintf(stderr, "child: control read of %s failed: %s\n", path, strerror(errno));
		bad++;
	}
	if (fd >= 0)
		close(fd);
	kill(control, SIGKILL);
	waitpid(control, NULL, 0);
	close_ta(&ctx, &s);
	fprintf(stderr, "uid %u: cdl-tee memory refused (%s), control process readable\n",
		(unsigned)getuid(), strerror(e));
	return bad ? 1 : 0;
}

static int test_same_user(void)
{
	pid_t child = -1;
	int status = 0;

	new_state_dir();
	setenv("CDL_TEE_HEAP", "1M", 1);
	if (geteuid() != 0)
		return same_user_child() ? (failures++, 0) : 0;
	if (chown(state_dir, 65534, 65534) != 0) {
		perror("chown");
		return 1;
	}
	child = fork();
	if (child == 0) {
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
			perror("drop privileges");
			_exit(1);
		}
		/* a credential change clears "dumpable"; an ordinary process has it */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		_exit(same_user_child());
	}
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return 0;
}

/* ------------------------------------------------------- death and restart */

struct busy_call {
	TEEC_Session *s;
	TEEC_Result res;
	uint32_t origin;
	double ms;
};

static void *busy_thread(void *arg)
{
	struct busy_call *b = arg;
	TEEC_Operation op;
	double t0 = now_ms();

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = 30000;
	b->res = TEEC_InvokeCommand(b->s, TA_TEST_CMD_BUSY, &op, &b->origin);
	b->ms = now_ms() - t0;
	return NULL;
}

static int test_kill_midcall(void)
{
	TEEC_Context ctx;
	TEEC_Session s;
	struct busy_call b = { 0 };
	pthread_t t;
	pid_t pid = -1;
	double t0 = 0;

	new_state_dir();
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	pid = cdl_teec_server_pid(&ctx);
	b.s = &s;
	pthread_create(&t, NULL, busy_thread, &b);
	usleep(300 * 1000);
	CHECK(kill(pid, SIGKILL) == 0);
	pthread_join(t, NULL);
	CHECK_RES(b.res, TEEC_ERROR_TARGET_DEAD);
	CHECK(b.origin == TEEC_ORIGIN_COMMS);
	CHECK(b.ms < 5000);
	fprintf(stderr, "killed mid-call: TEEC_ERROR_TARGET_DEAD after %.0f ms\n", b.ms);
	/* later calls fail at once */
	t0 = now_ms();
	CHECK_RES(echo(&s), TEEC_ERROR_TARGET_DEAD);
	CHECK(now_ms() - t0 < 1000);
	close_ta(&ctx, &s);
	/* a fresh context spawns a fresh cdl-tee */
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	CHECK(cdl_teec_server_pid(&ctx) != pid);
	CHECK_RES(echo(&s), TEEC_SUCCESS);
	/* a TA panic looks the same to the client */
	CHECK_RES(invoke(&s, TA_TEST_CMD_PANIC, NULL), TEEC_ERROR_TARGET_DEAD);
	CHECK_RES(echo(&s), TEEC_ERROR_TARGET_DEAD);
	close_ta(&ctx, &s);
	CHECK_RES(open_ta(&ctx, &s), TEEC_SUCCESS);
	CHECK_RES(echo(&s), TEEC_SUCCESS);
	close_ta(&ctx, &s);
	/* no cdl-tee to be found: an error, at once */
	setenv("CDL_TEE_BIN", "/nonexistent/cdl-tee", 1);
	t0 = now_ms();
	CHECK_RES(TEEC_InitializeContext(NULL, &ctx), TEEC_ERROR_ITEM_NOT_FOUND);
	CHECK(now_ms() - t0 < 1000);
	return 0;
}

/* --------------------------------------------------------- raw protocol */

static pid_t spawn_raw(int *fd)
{
	int sv[2];
	pid_t pid = -1;
	const char *bin = getenv("CDL_TEE_BIN");

	if (!bin || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(sv[1], 3);
		execl(bin, bin, "--fd", "3", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

static int raw_send(int fd, const void *msg, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 8)];
	} control;
	struct iovec iov = { (void *)msg, len };
	struct msghdr m = { 0 };

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *cm = NULL;

		memset(&control, 0, sizeof(control));
		m.msg_control = control.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* The result of one raw request, or 0xDEAD if no (valid) answer came. */
static uint32_t raw_call(int fd, struct cdl_tee_msg *req, const int *fds, int nfds,
			 struct cdl_tee_msg *rsp_out)
{
	struct cdl_tee_msg rsp;
	struct pollfd p = { fd, POLLIN, 0 };

	req->magic = CDL_TEE_MSG_MAGIC;
	req->version = CDL_TEE_MSG_VERSION;
	if (raw_send(fd, req, sizeof(*req), fds, nfds) != 0)
		return 0xDEAD;
	if (poll(&p, 1, 5000) != 1 || recv(fd, &rsp, sizeof(rsp), 0) != sizeof(rsp))
		return 0xDEAD;
	if (rsp_out)
		*rsp_out = rsp;
	return rsp.result;
}

static uint32_t raw_bytes(int fd, const void *msg, size_t len)
{
	struct cdl_tee_msg rsp;
	struct pollfd p = { fd, POLLIN, 0 };

	if (raw_send(fd, msg, len, NULL, 0) != 0)
		return 0xDEAD;
	if (poll(&p, 1, 5000) != 1 || recv(fd, &rsp, sizeof(rsp), 0) != sizeof(rsp))
		return 0xDEAD;
	return rsp.result;
}

static int sealed_memfd(size_t size, unsigned seals)
{
	int fd = memfd_create("t", MFD_ALLOW_SEALING);

	if (ftruncate(fd, (off_t)size) != 0)
		return -1;
	if (seals)
		fcntl(fd, F_ADD_SEALS, seals);
	return fd;
}

static int count_fds(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	return count_files(path, NULL, 0);
}

static int test_malicious_client(void)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;
	uint8_t junk[sizeof(req) + 64];
	uint32_t session = 0;
	uint32_t shm = 0;
	uint32_t sessions[CDL_TEE_MAX_SESSIONS + 1];
	int fd = -1;
	int fds[3];
	int pipefd[2];
	int fds_before = 0;
	pid_t pid = -1;
	size_t i = 0;
	uint32_t r = 0;

	new_state_dir();
	pid = spawn_raw(&fd);
	CHECK(pid > 0);
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_HELLO;
	CHECK_RES(raw_call(fd, &req, NULL, 0, &rsp), TEEC_SUCCESS);

	/* malformed messages: answered BAD_FORMAT */
	memset(junk, 0xAB, sizeof(junk));
	CHECK_RES(raw_bytes(fd, junk, 10), TEEC_ERROR_BAD_FORMAT);
	CHECK_RES(raw_bytes(fd, junk, sizeof(junk)), TEEC_ERROR_BAD_FORMAT);
	CHECK_RES(raw_bytes(fd, junk, sizeof(req)), TEEC_ERROR_BAD_FORMAT);
	memset(&req, 0, sizeof(req));
	req.magic = CDL_TEE_MSG_MAGIC;
	req.version = 99;
	CHECK_RES(raw_bytes(fd, &req, sizeof(req)), TEEC_ERROR_BAD_FORMAT);

	memset(&req, 0, sizeof(req));
	req.cmd = 99;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_NOT_SUPPORTED);
	req.cmd = CDL_TEE_MSG_INVOKE;
	req.session = 12345;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.session = 0;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);

	/* sessions */
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_OPEN_SESSION;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_ITEM_NOT_FOUND);
	memcpy(req.uuid, &ta_uuid, 16);
	req.func = 0x77;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_NOT_SUPPORTED);
	req.func = TEEC_LOGIN_PUBLIC;
	CHECK_RES(raw_call(fd, &req, NULL, 0, &rsp), TEEC_SUCCESS);
	session = rsp.session;
	CHECK(session != 0);

	/* parameters */
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_INVOKE;
	req.session = session;
	req.func = TA_TEST_CMD_NOP;
	req.param_types = 0x10000;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	for (i = 0; i < 16; i++) {
		if (i == 0 || i == 1 || i == 2 || i == 3 || i == 5 || i == 6 || i == 7)
			continue;
		req.param_types = (uint32_t)i << 8;
		CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	}
	req.func = TA_TEST_CMD_ECHO;
	req.param_types = 0x0321; /* VALUE_INPUT, VALUE_OUTPUT, VALUE_INOUT */
	req.params[0].a = (uint64_t)1 << 32;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].a = 7;
	req.params[0].b = 8;
	req.params[2].a = 1;
	req.params[2].b = 1;
	CHECK_RES(raw_call(fd, &req, NULL, 0, &rsp), TEEC_SUCCESS);
	CHECK(rsp.params[1].a == 7 && rsp.params[1].b == 8 && rsp.params[2].a == 2);
	memset(&req.params, 0, sizeof(req.params));
	req.func = TA_TEST_CMD_SUM_INVERT;
	req.param_types = 0x0027; /* MEMREF_INOUT, VALUE_OUTPUT */
	req.params[0].shm_id = 4242;
	req.params[0].b = 16;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].shm_id = 0; /* NULL memref with an offset */
	req.params[0].a = 8;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);

	/* shared memory registration: only sealed memfds of the declared size */
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_SHM_REGISTER;
	req.params[0].b = 4096;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	CHECK(pipe(pipefd) == 0);
	CHECK_RES(raw_call(fd, &req, pipefd, 1, NULL), TEEC_ERROR_BAD_PARAMETERS);
	fds[0] = sealed_memfd(4096, 0);
	CHECK_RES(raw_call(fd, &req, fds, 1, NULL), TEEC_ERROR_BAD_PARAMETERS);
	close(fds[0]);
	fds[0] = sealed_memfd(100, F_SEAL_SHRINK | F_SEAL_GROW);
	CHECK_RES(raw_call(fd, &req, fds, 1, NULL), TEEC_ERROR_BAD_PARAMETERS);
	close(fds[0]);
	fds[0] = sealed_memfd(4096, F_SEAL_SHRINK | F_SEAL_WRITE);
	CHECK_RES(raw_call(fd, &req, fds, 1, NULL), TEEC_ERROR_BAD_PARAMETERS);
	close(fds[0]);
	fds[0] = sealed_memfd(4096, F_SEAL_SHRINK);
	req.params[0].b = 0;
	CHECK_RES(raw_call(fd, &req, fds, 1, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].b = (uint64_t)1 << 40;
	CHECK_RES(raw_call(fd, &req, fds, 1, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].b = 4096;
	CHECK_RES(raw_call(fd, &req, fds, 1, &rsp), TEEC_SUCCESS);
	shm = rsp.shm_id;
	CHECK(shm != 0);
	/* sealed: the client cannot shrink it under the TEE */
	CHECK(ftruncate(fds[0], 10) != 0);
	close(fds[0]);

	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_INVOKE;
	req.session = session;
	req.func = TA_TEST_CMD_SUM_INVERT;
	req.param_types = 0x0027;
	req.params[0].shm_id = shm;
	req.params[0].a = 4000;
	req.params[0].b = 200;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].a = UINT64_MAX;
	req.params[0].b = 2;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].a = 1;
	req.params[0].b = UINT64_MAX;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
	req.params[0].a = 96;
	req.params[0].b = 4000;
	CHECK_RES(raw_call(fd, &req, NULL, 0, &rsp), TEEC_SUCCESS);
	CHECK(rsp.params[1].b == 4000);

	/* descriptors: extra ones are closed, never kept */
	fds_before = count_fds(pid);
	fds[0] = sealed_memfd(4096, F_SEAL_SHRINK);
	fds[1] = dup(fds[0]);
	fds[2] = dup(fds[0]);
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_HELLO;
	for (i = 0; i < 50; i++) {
		CHECK_RES(raw_call(fd, &req, fds, 3, NULL), TEEC_ERROR_BAD_FORMAT);
		CHECK_RES(raw_call(fd, &req, fds, 1, NULL), TEEC_SUCCESS);
	}
	req.cmd = CDL_TEE_MSG_SHM_REGISTER;
	req.params[0].b = 4096;
	CHECK_RES(raw_call(fd, &req, fds, 3, NULL), TEEC_ERROR_BAD_FORMAT);
	close(fds[0]);
	close(fds[1]);
	close(fds[2]);
	CHECK(count_fds(pid) == fds_before);

	/* release: once */
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_SHM_RELEASE;
	req.shm_id = shm;
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_SUCCESS);
	CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);

	/* the session table is bounded */
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_OPEN_SESSION;
	memcpy(req.uuid, &ta_uuid, 16);
	for (i = 0; i < CDL_TEE_MAX_SESSIONS; i++) {
		r = raw_call(fd, &req, NULL, 0, &rsp);
		sessions[i] = rsp.session;
		if (r != TEEC_SUCCESS)
			break;
	}
	CHECK(i == CDL_TEE_MAX_SESSIONS - 1); /* one is already open */
	CHECK_RES(r, TEEC_ERROR_BUSY);
	req.cmd = CDL_TEE_MSG_CLOSE_SESSION;
	while (i-- > 0) {
		req.session = sessions[i];
		CHECK_RES(raw_call(fd, &req, NULL, 0, NULL), TEEC_SUCCESS);
	}

	/* fuzz: right magic and version, random everything else */
	srand(1234);
	for (i = 0; i < 3000; i++) {
		uint8_t *b = (uint8_t *)&req;
		size_t k = 0;

		for (k = 0; k < sizeof(req); k++)
			b[k] = (uint8_t)rand();
		req.cmd = (uint16_t)(rand() % 8);
		if (rand() % 2)
			req.param_types &= 0x7777;
		if (req.cmd == CDL_TEE_MSG_INVOKE && rand() % 4 == 0) {
			req.session = session;
			if (req.func == TA_TEST_CMD_PANIC || req.func == TA_TEST_CMD_BUSY)
				req.func = TA_TEST_CMD_ECHO;
		}
		r = raw_call(fd, &req, NULL, 0, NULL);
		if (r == 0xDEAD) {
			fprintf(stderr, "fuzz message %zu: no answer\n", i);
			failures++;
			break;
		}
	}

	/* still serving */
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_INVOKE;
	req.session = session;
	req.func = TA_TEST_CMD_ECHO;
	req.param_types = 0x0321;
	req.params[0].a = 5;
	CHECK_RES(raw_call(fd, &req, NULL, 0, &rsp), TEEC_SUCCESS);
	CHECK(rsp.params[1].a == 5);
	CHECK(kill(pid, 0) == 0);
	close(fd);
	waitpid(pid, NULL, 0);
	close(pipefd[0]);
	close(pipefd[1]);
	return 0;
}

/* ------------------------------------------------------------ listen mode */

static int test_listen(void)
{
	TEEC_Context a;
	TEEC_Context b;
	TEEC_Session sa;
	TEEC_Session sb;
	TEEC_Operation op;
	char sock[4200];
	const char *bin = getenv("CDL_TEE_BIN");
	struct cdl_tee_msg req;
	struct stat st;
	pid_t server = -1;
	int raw = -1;
	int i = 0;
	int status = 0;

	new_state_dir();
	snprintf(sock, sizeof(sock), "%s/tee.sock", state_dir);
	server = fork();
	if (server == 0) {
		execl(bin, bin, "--listen", sock, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && stat(sock, &st) != 0; i++)
		usleep(10000);
	CHECK(stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 077) == 0);

	CHECK_RES(TEEC_InitializeContext(sock, &a), TEEC_SUCCESS);
	setenv("CDL_TEE_SOCKET", sock, 1);
	CHECK_RES(TEEC_InitializeContext(NULL, &b), TEEC_SUCCESS);
	unsetenv("CDL_TEE_SOCKET");
	CHECK(cdl_teec_server_pid(&a) == server && cdl_teec_server_pid(&b) == server);
	CHECK_RES(TEEC_OpenSession(&a, &sa, &ta_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL),
		  TEEC_SUCCESS);
	CHECK_RES(TEEC_OpenSession(&b, &sb, &ta_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL),
		  TEEC_SUCCESS);
	for (i = 1; i <= 5; i++) {
		memset(&op, 0, sizeof(op));
		op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_OUTPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
		CHECK_RES(invoke(&sa, TA_TEST_CMD_COUNTER, &op), TEEC_SUCCESS);
		CHECK(op.params[0].value.a == (uint32_t)i);
		if (i % 2) {
			CHECK_RES(invoke(&sb, TA_TEST_CMD_COUNTER, &op), TEEC_SUCCESS);
			CHECK(op.params[0].value.a == (uint32_t)(i + 1) / 2);
		}
		CHECK_RES(echo(&sb), TEEC_SUCCESS);
	}
	/* a third client cannot use a's session (ids are per connection) */
	{
		struct sockaddr_un addr;

		raw = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		memset(&addr, 0, sizeof(addr));
		addr.sun_family = AF_UNIX;
		strcpy(addr.sun_path, sock);
		CHECK(connect(raw, (struct sockaddr *)&addr, sizeof(addr)) == 0);
		memset(&req, 0, sizeof(req));
		req.cmd = CDL_TEE_MSG_INVOKE;
		req.session = sa.session_id;
		req.func = TA_TEST_CMD_NOP;
		CHECK_RES(raw_call(raw, &req, NULL, 0, NULL), TEEC_ERROR_BAD_PARAMETERS);
		close(raw);
	}
	/* one client leaving does not disturb the other */
	TEEC_CloseSession(&sb);
	TEEC_FinalizeContext(&b);
	CHECK_RES(echo(&sa), TEEC_SUCCESS);
	close_ta(&a, &sa);
	CHECK(kill(server, 0) == 0);
	kill(server, SIGTERM);
	waitpid(server, &status, 0);
	/* a second service on the same live socket is refused; a stale one replaced */
	server = fork();
	if (server == 0) {
		execl(bin, bin, "--listen", sock, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if (TEEC_InitializeContext(sock, &a) == TEEC_SUCCESS)
			break;
		usleep(10000);
	}
	CHECK(i < 500);
	if (i < 500) {
		CHECK_RES(TEEC_OpenSession(&a, &sa, &ta_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, NULL),
			  TEEC_SUCCESS);
		CHECK_RES(echo(&sa), TEEC_SUCCESS);
		close_ta(&a, &sa);
	}
	kill(server, SIGTERM);
	waitpid(server, &status, 0);
	return 0;
}

/* ------------------------------------------------------------------- main */

static const struct {
	const char *name;
	int (*fn)(void);
} tests[] = {
	{ "values", test_values },
	{ "memrefs", test_memrefs },
	{ "param_types", test_param_types },
	{ "heap", test_heap },
	{ "storage", test_storage },
	{ "crypto", test_crypto },
	{ "hardening", test_hardening },
	{ "same_user", test_same_user },
	{ "kill_midcall", test_kill_midcall },
	{ "malicious_client", test_malicious_client },
	{ "listen", test_listen },
};

int main(int argc, char **argv)
{
	size_t i = 0;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: tee_tests NAME\n");
		return 2;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[1], tests[i].name) != 0)
			continue;
		rc = tests[i].fn();
		if (rc == SKIP)
			return SKIP;
		if (rc || failures) {
			fprintf(stderr, "tee.%s: %d check(s) failed\n", argv[1], failures);
			return 1;
		}
		fprintf(stderr, "tee.%s: passed\n", argv[1]);
		return 0;
	}
	fprintf(stderr, "no test %s\n", argv[1]);
	return 2;
}
