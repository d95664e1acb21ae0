/* SPDX-License-Identifier: Apache-2.0 */
/* Shared fixture and checks for the package attack tests. */
#ifndef CDL_TESTS_FORMAT_TEST_UTIL_H
#define CDL_TESTS_FORMAT_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "format/crypto_openssl.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"

extern int t_failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			t_failures++;                                                              \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)

/* Stop a test early once it has reported this many failures. */
#define T_TOO_MANY (t_failures > 20)

typedef struct fixture {
	EVP_PKEY *provider;	/* the legitimate provider's signing key */
	EVP_PKEY *attacker;	/* somebody else's signing key */
	EVP_PKEY *device;	/* the recipient device (private) */
	EVP_PKEY *other_device; /* another device (private) */
	uint8_t *plan;
	size_t plan_len;
	cdl_pkg_tensor_info inputs[1];
	cdl_pkg_tensor_info outputs[2];
	cdl_pkg_preproc preproc;
	cdl_pkg_policy policy;
} fixture;

/* Keys, a ~300 KB structured plan, io metadata, a policy with limits. */
void fixture_init(fixture *f);
void fixture_fini(fixture *f);

/* A structured pseudo-random plan: records with names, float weights, patterns. */
uint8_t *make_plan(size_t len, uint32_t seed);

/* Writes a package of plan for f->device signed by f->provider. Aborts on failure. */
uint8_t *write_pkg(const fixture *f, const uint8_t *plan, size_t plan_len, uint32_t block_size,
		   size_t *len);

/*
 * The full open a TA does: cdl_pkg_open with device, then every block
 * verified, then the whole stream read back and compared with plan (if not
 * NULL). Returns the first non-OK status. msg gets the reader's message.
 */
cdl_status open_full(const uint8_t *pkg, size_t len, EVP_PKEY *device, const uint8_t *plan,
		     size_t plan_len, char *msg, size_t msg_size);

/* cdl_pkg_parse_header without any device key. */
cdl_status parse_only(const uint8_t *pkg, size_t len, cdl_pkg_header *hdr, char *msg,
		      size_t msg_size);

/* Re-signs pkg in place with key (also replaces the provider public key). */
void resign(uint8_t *pkg, size_t len, EVP_PKEY *key);

uint8_t *dup_bytes(const uint8_t *p, size_t len);

/* Deterministic PRNG for the tests (xorshift64*). */
uint64_t rnd_next(uint64_t *state);

#endif /* CDL_TESTS_FORMAT_TEST_UTIL_H */
