// SPDX-License-Identifier: Apache-2.0
/* The harness shared by e2e_tests and security_tests: see test_harness.h. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "provider/provider.h"
#include "test_harness.h"

int failures;
const char *src_dir;

int test_main(int argc, char **argv, const char *prog, const test_case *tests, size_t n_tests)
{
	src_dir = getenv("CDL_SOURCE_DIR") ? getenv("CDL_SOURCE_DIR") : ".";
	signal(SIGPIPE, SIG_IGN);
	if (argc != 2) {
		fprintf(stderr, "usage: %s NAME\n", prog);
		return 2;
	}
	for (size_t i = 0; i < n_tests; i++) {
		if (strcmp(argv[1], tests[i].name) == 0) {
			int rc = tests[i].fn();

			if (rc == SKIP)
				return SKIP;
			if (rc || failures) {
				fprintf(stderr, "%s: FAILED (%d checks)\n", argv[1], failures);
				return 1;
			}
			fprintf(stderr, "%s: ok\n", argv[1]);
			return 0;
		}
	}
	fprintf(stderr, "%s: no test '%s'\n", prog, argv[1]);
	return 2;
}

void test_mkdtemp(const char *base_env, const char *prefix, char *out, size_t size)
{
	const char *base = getenv(base_env);

	mkdir(base ? base : "/tmp", 0755);
	snprintf(out, size, "%s/%s-XXXXXX", base ? base : "/tmp", prefix);
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		exit(1);
	}
}

static size_t round_up(size_t n)
{
	return (n + CDL_PLAN_ALIGN - 1) / CDL_PLAN_ALIGN * CDL_PLAN_ALIGN;
}

int test_plan_compile(test_plan *p, const char *onnx, bool with_engine)
{
	char msg[1024] = "";
	size_t need = 0;

	memset(p, 0, sizeof(*p));
	if (cdl_compile_onnx_file(onnx, NULL, 0, &p->bytes, &p->len, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "compile %s: %s\n", onnx, msg);
		return -1;
	}
	p->aligned = aligned_alloc(CDL_PLAN_ALIGN, round_up(p->len));
	memcpy(p->aligned, p->bytes, p->len);
	p->mem_size = round_up(p->len + (4u << 20));
	/* a second attempt when the engine needs more than the first guess */
	for (int attempt = 0; attempt < 2; attempt++) {
		p->mem = aligned_alloc(CDL_PLAN_ALIGN, p->mem_size);
		cdl_arena_init(&p->arena, p->mem, p->mem_size);
		if (cdl_plan_parse(p->aligned, p->len, &p->arena, &p->plan, msg, sizeof(msg)) ||
		    (with_engine && cdl_engine_memory_needed(p->plan, &need, msg, sizeof(msg)))) {
			fprintf(stderr, "plan: %s\n", msg);
			return -1;
		}
		if (!with_engine || p->arena.used + need + CDL_PLAN_ALIGN <= p->mem_size)
			break;
		free(p->mem);
		p->mem_size = round_up(p->arena.used + need + CDL_PLAN_ALIGN);
	}
	if (with_engine && cdl_engine_create(p->plan, &p->arena, &p->engine, msg, sizeof(msg))) {
		fprintf(stderr, "engine: %s\n", msg);
		return -1;
	}
	return 0;
}

void test_plan_free(test_plan *p)
{
	if (p->bytes)
		explicit_bzero(p->bytes, p->len);
	if (p->aligned)
		explicit_bzero(p->aligned, p->len);
	free(p->bytes);
	free(p->aligned);
	free(p->mem);
	memset(p, 0, sizeof(*p));
}
