/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The harness shared by the tests that run one named test per process
 * (e2e_tests, security_tests): checks that count failures, the test table
 * and its main, scratch directories, and a model compiled and parsed the way
 * a provider holds it before packing.
 *
 *   PROG NAME   runs one test; exit 0 pass, 1 fail, 77 skipped, 2 usage
 */
#ifndef CDL_TEST_HARNESS_H
#define CDL_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "engine/plan.h"

/* Failed CHECKs so far: a test with any fails. */
extern int failures;
/* CDL_SOURCE_DIR (default "."): for models/. */
extern const char *src_dir;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* What a test returns to be reported as skipped (and the process's exit code then). */
#define SKIP 77

typedef struct test_case {
	const char *name;
	int (*fn)(void); /* 0 pass (unless a CHECK failed), SKIP, anything else fails */
} test_case;

/*
 * main for `prog NAME`: sets src_dir, ignores SIGPIPE, runs the test named
 * argv[1] and reports it; returns the exit code.
 */
int test_main(int argc, char **argv, const char *prog, const test_case *tests, size_t n_tests);

/*
 * A fresh directory PREFIX-XXXXXX under $base_env (default /tmp, made if
 * missing) into out; exits the process when it cannot be made.
 */
void test_mkdtemp(const char *base_env, const char *prefix, char *out, size_t size);

/* An ONNX model compiled by the provider pipeline, parsed, and optionally bound to an engine. */
typedef struct test_plan {
	uint8_t *bytes; /* the plan as cdl_compile_onnx_file wrote it */
	size_t len;
	uint8_t *aligned; /* a CDL_PLAN_ALIGN-aligned copy, which plan points into */
	uint8_t *mem;
	size_t mem_size;
	cdl_arena arena;
	const cdl_plan *plan;
	cdl_engine *engine; /* the plain engine; NULL unless with_engine */
} test_plan;

/* 0, or -1 after saying why on stderr. */
int test_plan_compile(test_plan *p, const char *onnx, bool with_engine);
/* Frees p, first wiping the plaintext plan. */
void test_plan_free(test_plan *p);

#endif /* CDL_TEST_HARNESS_H */
