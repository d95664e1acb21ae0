/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the package reader: header parse, signature check,
 * key unwrap, block and range reads, and the inspect printers. The input's
 * first byte selects a mode (fuzz_keys.h) so that mutated headers get past
 * the signature (re-signed) and past the key unwrap (re-sealed): an attacker
 * with their own provider key can do both, so every path must be robust.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/crypto_openssl.h"
#include "format/inspect.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"
#include "fuzz_keys.h"

static EVP_PKEY *g_device;
static EVP_PKEY *g_provider;
static cdl_pkg_openssl g_crypto;
static FILE *g_null;
static cdl_pkg_reader g_reader; /* ~23 KiB: not on the stack */

static void init_once(void)
{
	char msg[256];

	if (g_device)
		return;
	if (cdl_key_private_from_pem(fuzz_device_key_pem, sizeof(fuzz_device_key_pem) - 1,
				     &g_device, msg, sizeof(msg)) != CDL_OK ||
	    cdl_key_private_from_pem(fuzz_provider_key_pem, sizeof(fuzz_provider_key_pem) - 1,
				     &g_provider, msg, sizeof(msg)) != CDL_OK ||
	    cdl_pkg_openssl_init(&g_crypto, g_device) != CDL_OK) {
		fprintf(stderr, "fuzz_package: setup failed: %s\n", msg);
		abort();
	}
	g_null = fopen("/dev/null", "w");
	if (!g_null)
		abort();
}

static uint64_t ctl_u64(const uint8_t *ctl, size_t ctl_len, size_t i)
{
	uint64_t v = 0;

	for (size_t k = 0; k < 8 && ctl_len; k++)
		v = v << 8 | ctl[(i * 8 + k) % ctl_len];
	return v;
}

static void exercise(const uint8_t *pkg, size_t len)
{
	cdl_pkg_reader *r = &g_reader;
	uint8_t *scratch = NULL, *out = NULL;
	char msg[256];
	size_t bs = 0;

	if (cdl_pkg_parse_header(pkg, len, &g_crypto.crypto, r, msg, sizeof(msg)) == CDL_OK) {
		cdl_pkg_print_header(g_null, &r->hdr, true);
		cdl_pkg_print_header(g_null, &r->hdr, false);
	}
	cdl_pkg_close(r);

	if (cdl_pkg_open(pkg, len, &g_crypto.crypto, r, msg, sizeof(msg)) != CDL_OK)
		return;
	bs = r->hdr.block_size;
	scratch = malloc(bs);
	out = malloc((size_t)r->hdr.stream_len);
	if (!scratch || !out)
		abort();
	if (cdl_pkg_verify_blocks(r, scratch, bs, msg, sizeof(msg)) == CDL_OK) {
		/* Whole stream, then a few ranges chosen by the input. */
		if (cdl_pkg_read_range(r, 0, (size_t)r->hdr.stream_len, out, scratch, bs, msg,
				       sizeof(msg)) != CDL_OK)
			abort(); /* every block verified: the stream must read */
		for (size_t i = 0; i < 4; i++) {
			uint64_t off = ctl_u64(pkg, len, i) % (r->hdr.stream_len + 1);
			size_t n =
			    (size_t)(ctl_u64(pkg, len, i + 4) % (r->hdr.stream_len - off + 1));

			if (cdl_pkg_read_range(r, off, n, out, scratch, bs, msg, sizeof(msg)) !=
			    CDL_OK)
				abort();
		}
	} else {
		/* Blocks one by one: the bad one fails, the others still read. */
		for (uint32_t i = 0; i < r->hdr.block_count && i < 64; i++)
			(void)cdl_pkg_read_block(r, i, scratch, bs, msg, sizeof(msg));
	}
	cdl_pkg_close(r);
	free(scratch);
	free(out);
}

/*
 * The input is a header only (mutations land where the parser looks): it is
 * taken as header_len = input length, followed by blocks of a known
 * plaintext, then sealed for the device and signed. Layouts over 320 KiB
 * are skipped (modes 0 and 1 cover the size checks).
 */
static void reseal_header(const uint8_t *hdr, size_t hdr_len)
{
	uint8_t *pkg = NULL;
	uint64_t total = 0;
	uint32_t bs = 0, n = 0;
	char msg[256];

	if (hdr_len < CDL_PKG_MIN_HEADER || hdr_len > CDL_PKG_MAX_HEADER)
		return;
	bs = cdl_pkg_get_u32(hdr + CDL_PKG_OFF_BLOCK_SIZE);
	n = cdl_pkg_get_u32(hdr + CDL_PKG_OFF_BLOCK_COUNT);
	/* Bound the whole layout, tags included (block_size 0 is a legal input). */
	if (!cdl_pkg_total_len((uint32_t)hdr_len, bs, n, &total) || total > (320u << 10))
		return;
	pkg = calloc(1, (size_t)total);
	if (!pkg)
		abort();
	memcpy(pkg, hdr, hdr_len);
	cdl_pkg_put_u32(pkg + CDL_PKG_OFF_HEADER_LEN, (uint32_t)hdr_len);
	for (size_t i = 0; i < (size_t)bs * n; i++)
		pkg[hdr_len + (size_t)n * CDL_PKG_TAG_LEN + i] = (uint8_t)(i * 31 + 7);
	/* The stream's zero padding, as a writer makes it, when the length allows. */
	{
		uint64_t sl = cdl_pkg_get_u64(pkg + CDL_PKG_OFF_STREAM_LEN);

		if (sl < (uint64_t)bs * n)
			memset(pkg + hdr_len + (size_t)n * CDL_PKG_TAG_LEN + sl, 0,
			       (size_t)((uint64_t)bs * n - sl));
	}
	if (cdl_pkg_seal(pkg, (size_t)total, g_device, g_provider, NULL, NULL, msg, sizeof(msg)) ==
	    CDL_OK)
		exercise(pkg, (size_t)total);
	free(pkg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = NULL;
	unsigned int mode = 0;
	size_t len = 0;
	char msg[256];

	init_once();
	if (size < 1)
		return 0;
	mode = data[0] % FUZZ_MODES;
	len = size - 1;
	/* An exact-size copy, so that ASan sees any read past the end. */
	buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);

	switch (mode) {
	case FUZZ_MODE_RAW:
		exercise(buf, len);
		break;
	case FUZZ_MODE_RESIGN:
		if (cdl_pkg_sign(buf, len, g_provider, msg, sizeof(msg)) == CDL_OK)
			exercise(buf, len);
		break;
	case FUZZ_MODE_RESEAL:
		reseal_header(buf, len);
		break;
	}
	free(buf);
	return 0;
}
