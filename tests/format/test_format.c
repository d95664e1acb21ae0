/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attack tests for the .cdlm package (DESIGN §2 G1-G5, §8). One executable,
 * one CTest per attack: `test_format NAME`. Each attack is checked against
 * the precise status the reader must give, and each test has a control that
 * the same check passes on an unmodified package, so a check that can never
 * fail shows up as a failure of its control.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "format/inspect.h"
#include "test_util.h"

static fixture F;

#define MSG_SIZE 512

static size_t tensor_rec_len(const cdl_pkg_tensor_info *t)
{
	return 2 + strlen(t->name) + 2 + 8u * t->rank;
}

/* Offsets in the fixture's header (see docs/package-format.md §3). */
static size_t off_input0(void)
{
	return CDL_PKG_FIXED_LEN;
}

static size_t off_output0(void)
{
	return off_input0() + tensor_rec_len(&F.inputs[0]);
}

static size_t off_ext0(void)
{
	return off_output0() + tensor_rec_len(&F.outputs[0]) + tensor_rec_len(&F.outputs[1]);
}

static uint32_t hdr_len(const uint8_t *pkg)
{
	return cdl_pkg_get_u32(pkg + CDL_PKG_OFF_HEADER_LEN);
}

static uint32_t blk_size(const uint8_t *pkg)
{
	return cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_SIZE);
}

static uint32_t blk_count(const uint8_t *pkg)
{
	return cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_COUNT);
}

static uint8_t *tag_ptr(uint8_t *pkg, uint32_t i)
{
	return pkg + hdr_len(pkg) + (size_t)i * CDL_PKG_TAG_LEN;
}

static uint8_t *block_ptr(uint8_t *pkg, uint32_t i)
{
	return pkg + hdr_len(pkg) + (size_t)blk_count(pkg) * CDL_PKG_TAG_LEN +
	       (size_t)i * blk_size(pkg);
}

static void expect_open(const uint8_t *pkg, size_t len, cdl_status want, const char *what)
{
	char msg[MSG_SIZE] = "";
	cdl_status s = open_full(pkg, len, F.device, F.plan, F.plan_len, msg, sizeof(msg));

	CHECK(s == want, "%s: got %s (%s), want %s", what, cdl_pkg_status_name(s), msg,
	      cdl_pkg_status_name(want));
}

/* ---- round trip ------------------------------------------------------------ */

static void test_roundtrip(void)
{
	static const uint32_t block_sizes[] = {4096, 3 * 4096, 65536, 0 /* default */};
	static const size_t plan_lens[] = {1, 4095, 4096, 4097, 65536, 300 * 1024 + 123};

	for (size_t b = 0; b < sizeof(block_sizes) / sizeof(block_sizes[0]); b++) {
		for (size_t l = 0; l < sizeof(plan_lens) / sizeof(plan_lens[0]); l++) {
			uint8_t *plan = make_plan(plan_lens[l], (uint32_t)(7 + l));
			size_t len = 0;
			uint8_t *pkg = write_pkg(&F, plan, plan_lens[l], block_sizes[b], &len);
			uint32_t bs = block_sizes[b] ? block_sizes[b] : CDL_PKG_DEFAULT_BLOCK_SIZE;
			uint64_t blocks = (plan_lens[l] + bs - 1) / bs;
			char msg[MSG_SIZE] = "";
			cdl_status s =
			    open_full(pkg, len, F.device, plan, plan_lens[l], msg, sizeof(msg));

			CHECK(s == CDL_OK, "round trip bs %u len %zu: %s (%s)", bs, plan_lens[l],
			      cdl_pkg_status_name(s), msg);
			CHECK(len ==
				  hdr_len(pkg) + blocks * (bs + CDL_PKG_TAG_LEN) + CDL_PKG_SIG_LEN,
			      "package length %zu does not follow the layout", len);
			free(pkg);
			free(plan);
		}
	}
}

/* Every header field the app sees comes back as written; random ranges read right. */
static void test_fields_and_ranges(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	const cdl_pkg_header *h = NULL;
	uint8_t *out = malloc(F.plan_len), *scratch = malloc(4096);
	uint8_t device_id[32], provider_id[32];
	char msg[MSG_SIZE] = "";
	uint64_t st = 42;
	cdl_status s;

	if (!r || !out || !scratch || cdl_pkg_openssl_init(&o, F.device) != CDL_OK)
		abort();
	s = cdl_pkg_open(pkg, len, &o.crypto, r, msg, sizeof(msg));
	CHECK(s == CDL_OK, "open: %s", msg);
	h = cdl_pkg_reader_header(r);
	CHECK(h != NULL, "no header");
	if (!h)
		goto out;
	CHECK(cdl_key_id(F.device, device_id) == CDL_OK, "key id");
	CHECK(cdl_key_id(F.provider, provider_id) == CDL_OK, "key id");
	CHECK(!memcmp(h->recipient_key_id, device_id, 32), "recipient key id");
	CHECK(!memcmp(h->provider_key_id, provider_id, 32), "provider key id");
	CHECK(h->version_major == 1 && h->version_minor == 0, "version");
	CHECK(h->block_size == 4096 && h->block_count == (F.plan_len + 4095) / 4096, "blocks");
	CHECK(h->stream_len == F.plan_len, "stream length");
	CHECK(h->policy.output_mode == CDL_PKG_OUTPUT_TOPK && h->policy.topk == 5 &&
		  h->policy.max_queries == 1000 && h->policy.expiry == 1893456000,
	      "policy");
	CHECK(h->n_inputs == 1 && h->n_outputs == 2, "io counts");
	CHECK(!strcmp(h->inputs[0].name, "input") && h->inputs[0].rank == 4 &&
		  h->inputs[0].dims[2] == 224 && h->inputs[0].dtype == 1,
	      "input 0");
	CHECK(!strcmp(h->outputs[1].name, "feat") && h->outputs[1].dims[1] == 512, "output 1");
	CHECK(h->preproc.present && h->preproc.n_channels == 3 && h->preproc.mean[1] == 0.456f &&
		  h->preproc.std[2] == 0.225f && h->preproc.resize_short == 256 &&
		  h->preproc.scale == 1.0f / 255.0f,
	      "preprocessing");

	for (int i = 0; i < 2000; i++) {
		uint64_t off = rnd_next(&st) % F.plan_len;
		size_t n = (size_t)(rnd_next(&st) % (F.plan_len - off + 1));

		if (i % 4 == 0)
			n %= 64; /* many small reads, incl. 0 */
		memset(out, 0xAA, F.plan_len);
		s = cdl_pkg_read_range(r, off, n, out, scratch, 4096, msg, sizeof(msg));
		CHECK(s == CDL_OK && !memcmp(out, F.plan + off, n), "range %llu+%zu: %s",
		      (unsigned long long)off, n, msg);
		if (T_TOO_MANY)
			break;
	}
	/* Aligned whole-block ranges need no scratch. */
	s = cdl_pkg_read_range(r, 4096, 8192, out, NULL, 0, msg, sizeof(msg));
	CHECK(s == CDL_OK && !memcmp(out, F.plan + 4096, 8192), "aligned range without scratch");
	/* The last block (partial) read as a block includes zero padding. */
	{
		uint32_t last = h->block_count - 1;
		size_t used = F.plan_len - (size_t)last * 4096;

		s = cdl_pkg_read_block(r, last, scratch, 4096, msg, sizeof(msg));
		CHECK(s == CDL_OK && !memcmp(scratch, F.plan + (size_t)last * 4096, used),
		      "last block");
		for (size_t i = used; i < 4096; i++)
			CHECK(scratch[i] == 0, "padding byte %zu", i);
	}
out:
	cdl_pkg_close(r);
	cdl_pkg_openssl_fini(&o);
	free(r);
	free(out);
	free(scratch);
	free(pkg);
}

/* Wrong calls get clean statuses, never a crash. */
static void test_api(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	cdl_pkg_openssl o, parse;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	uint8_t *buf = malloc(8192);
	char msg[MSG_SIZE] = "";
	cdl_status s;

	if (!r || !buf || cdl_pkg_openssl_init(&o, F.device) != CDL_OK ||
	    cdl_pkg_openssl_init(&parse, NULL) != CDL_OK)
		abort();
	CHECK(cdl_pkg_open(NULL, len, &o.crypto, r, msg, sizeof(msg)) == CDL_ERR_INVALID_ARGUMENT,
	      "NULL package");
	CHECK(cdl_pkg_open(pkg, len, NULL, r, msg, sizeof(msg)) == CDL_ERR_INVALID_ARGUMENT,
	      "NULL crypto");
	CHECK(cdl_pkg_open(pkg, len, &o.crypto, NULL, msg, sizeof(msg)) == CDL_ERR_INVALID_ARGUMENT,
	      "NULL reader");
	CHECK(cdl_pkg_open(pkg, len, &o.crypto, r, NULL, 0) == CDL_OK, "NULL msg is allowed");
	cdl_pkg_close(r);
	/* Parse-only crypto cannot open, and a parsed header cannot read blocks. */
	s = cdl_pkg_open(pkg, len, &parse.crypto, r, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "open without device key: %s", msg);
	s = cdl_pkg_parse_header(pkg, len, &parse.crypto, r, msg, sizeof(msg));
	CHECK(s == CDL_OK, "parse: %s", msg);
	s = cdl_pkg_read_block(r, 0, buf, 8192, msg, sizeof(msg));
	CHECK(s == CDL_ERR_STATE, "read after parse-only: %s", cdl_pkg_status_name(s));
	cdl_pkg_close(r);

	s = cdl_pkg_open(pkg, len, &o.crypto, r, msg, sizeof(msg));
	CHECK(s == CDL_OK, "open: %s", msg);
	s = cdl_pkg_read_block(r, blk_count(pkg), buf, 8192, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "block index past the end: %s", msg);
	s = cdl_pkg_read_block(r, UINT32_MAX, buf, 8192, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "block index UINT32_MAX");
	s = cdl_pkg_read_block(r, 0, buf, 4095, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "small output buffer: %s", msg);
	s = cdl_pkg_read_block(r, 0, NULL, 4096, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "NULL output buffer");
	s = cdl_pkg_read_range(r, F.plan_len, 1, buf, buf + 4096, 4096, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "range past the end: %s", msg);
	s = cdl_pkg_read_range(r, 1, F.plan_len, buf, buf + 4096, 4096, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "range overlapping the end");
	s = cdl_pkg_read_range(r, UINT64_MAX, 2, buf, buf + 4096, 4096, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "range offset overflow");
	s = cdl_pkg_read_range(r, 1, 10, buf, NULL, 0, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "partial block without scratch: %s", msg);
	s = cdl_pkg_verify_blocks(r, buf, 100, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "small verify scratch");
	s = cdl_pkg_read_range(r, 0, 0, NULL, NULL, 0, msg, sizeof(msg));
	CHECK(s == CDL_OK, "empty range");
	cdl_pkg_close(r);
	/* Closed: the key is gone. */
	for (size_t i = 0; i < sizeof(r->content_key); i++)
		CHECK(r->content_key[i] == 0, "content key byte %zu not wiped", i);
	s = cdl_pkg_read_block(r, 0, buf, 8192, msg, sizeof(msg));
	CHECK(s == CDL_ERR_STATE, "read after close: %s", cdl_pkg_status_name(s));
	s = cdl_pkg_read_block(NULL, 0, buf, 8192, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INVALID_ARGUMENT, "NULL reader");
	cdl_pkg_close(NULL);

	/* A 1-byte message buffer still gets a NUL terminator and no overflow. */
	{
		char tiny[1] = {'x'};

		s = cdl_pkg_open(pkg, len - 1, &o.crypto, r, tiny, sizeof(tiny));
		CHECK(s == CDL_ERR_INTEGRITY && tiny[0] == '\0', "tiny message buffer");
	}
	cdl_pkg_openssl_fini(&o);
	cdl_pkg_openssl_fini(&parse);
	free(r);
	free(buf);
	free(pkg);
}

/* ---- bit flips ------------------------------------------------------------- */

/*
 * Every bit of the header. The magic gives "not a package", the major version
 * "unsupported", the size fields either "malformed" (out of range) or an
 * integrity failure (sizes no longer match the file); every other field is
 * covered by the signature and must give an integrity failure.
 */
static void test_bitflip_header(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint32_t hl = hdr_len(pkg);
	char msg[MSG_SIZE];
	unsigned int flips = 0;

	expect_open(pkg, len, CDL_OK, "control: unmodified package");
	for (uint32_t byte = 0; byte < hl && !T_TOO_MANY; byte++) {
		for (int bit = 0; bit < 8; bit++) {
			cdl_status s, p;

			pkg[byte] ^= (uint8_t)(1u << bit);
			s = open_full(pkg, len, F.device, F.plan, F.plan_len, msg, sizeof(msg));
			p = parse_only(pkg, len, NULL, msg, sizeof(msg));
			pkg[byte] ^= (uint8_t)(1u << bit);
			flips++;

			if (byte < CDL_PKG_OFF_VERSION_MAJOR)
				CHECK(s == CDL_ERR_MALFORMED && p == s, "magic byte %u bit %d: %s",
				      byte, bit, cdl_pkg_status_name(s));
			else if (byte < CDL_PKG_OFF_VERSION_MINOR)
				CHECK(s == CDL_ERR_UNSUPPORTED && p == s,
				      "major version byte %u bit %d: %s", byte, bit,
				      cdl_pkg_status_name(s));
			else if (byte >= CDL_PKG_OFF_HEADER_LEN && byte < CDL_PKG_OFF_MODEL_ID)
				CHECK((s == CDL_ERR_INTEGRITY || s == CDL_ERR_MALFORMED) && p == s,
				      "size field byte %u bit %d: %s", byte, bit,
				      cdl_pkg_status_name(s));
			else
				CHECK(s == CDL_ERR_INTEGRITY && p == s, "header byte %u bit %d: %s",
				      byte, bit, cdl_pkg_status_name(s));
		}
	}
	CHECK(flips == hl * 8, "flipped %u bits of %u", flips, hl * 8);
	expect_open(pkg, len, CDL_OK, "control: restored package");
	free(pkg);
}

/* Every bit of every tag and of the signature: the signature covers the tags. */
static void test_bitflip_tags_signature(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint8_t *tags = tag_ptr(pkg, 0);
	size_t tags_len = (size_t)blk_count(pkg) * CDL_PKG_TAG_LEN;
	char msg[MSG_SIZE];

	expect_open(pkg, len, CDL_OK, "control");
	for (size_t i = 0; i < tags_len && !T_TOO_MANY; i++) {
		for (int bit = 0; bit < 8; bit++) {
			cdl_status s;

			tags[i] ^= (uint8_t)(1u << bit);
			s = parse_only(pkg, len, NULL, msg, sizeof(msg));
			tags[i] ^= (uint8_t)(1u << bit);
			CHECK(s == CDL_ERR_INTEGRITY, "tag byte %zu bit %d: %s", i, bit,
			      cdl_pkg_status_name(s));
		}
	}
	for (size_t i = len - CDL_PKG_SIG_LEN; i < len && !T_TOO_MANY; i++) {
		for (int bit = 0; bit < 8; bit++) {
			cdl_status s;

			pkg[i] ^= (uint8_t)(1u << bit);
			s = open_full(pkg, len, F.device, F.plan, F.plan_len, msg, sizeof(msg));
			pkg[i] ^= (uint8_t)(1u << bit);
			CHECK(s == CDL_ERR_INTEGRITY, "signature byte %zu bit %d: %s",
			      i - (len - CDL_PKG_SIG_LEN), bit, cdl_pkg_status_name(s));
		}
	}
	free(pkg);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * Bits in the ciphertext (a sample in every block: first, last and random
 * bytes). Blocks are authenticated when read: the header still opens, the
 * changed block fails, its neighbours still read (streaming), the output
 * buffer holds no unauthenticated plaintext, and a full load fails.
 */
static void test_bitflip_blocks(uint32_t block_size)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, block_size, &len);
	uint32_t n = blk_count(pkg);
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	uint8_t *out = malloc(block_size);
	char msg[MSG_SIZE] = "";
	uint64_t st = 7;
	cdl_status s;

	if (!r || !out || cdl_pkg_openssl_init(&o, F.device) != CDL_OK)
		abort();
	expect_open(pkg, len, CDL_OK, "control");
	s = cdl_pkg_open(pkg, len, &o.crypto, r, msg, sizeof(msg));
	CHECK(s == CDL_OK, "open: %s", msg);
	for (uint32_t b = 0; b < n && !T_TOO_MANY; b++) {
		uint8_t *blk = block_ptr(pkg, b);

		for (int k = 0; k < 10; k++) {
			size_t pos = k == 0   ? 0
				     : k == 1 ? block_size - 1
					      : rnd_next(&st) % block_size;
			int bit = (int)(rnd_next(&st) % 8);

			blk[pos] ^= (uint8_t)(1u << bit);
			memset(out, 0x5A, block_size);
			s = cdl_pkg_read_block(r, b, out, block_size, msg, sizeof(msg));
			CHECK(s == CDL_ERR_INTEGRITY, "block %u byte %zu bit %d: %s", b, pos, bit,
			      cdl_pkg_status_name(s));
			CHECK(all_zero(out, block_size),
			      "block %u: output not wiped after a failed read", b);
			if (b + 1 < n) {
				s = cdl_pkg_read_block(r, b + 1, out, block_size, msg, sizeof(msg));
				CHECK(s == CDL_OK, "intact block %u after tampered %u: %s", b + 1,
				      b, msg);
			}
			if (k == 2) {
				/* The full load of a TA, once per block. */
				s = open_full(pkg, len, F.device, F.plan, F.plan_len, msg,
					      sizeof(msg));
				CHECK(s == CDL_ERR_INTEGRITY, "full open, block %u tampered: %s", b,
				      cdl_pkg_status_name(s));
			}
			blk[pos] ^= (uint8_t)(1u << bit);
		}
	}
	/* Control: restored, every block reads again. */
	for (uint32_t b = 0; b < n; b++) {
		s = cdl_pkg_read_block(r, b, out, block_size, msg, sizeof(msg));
		CHECK(s == CDL_OK, "control: block %u: %s", b, msg);
	}
	cdl_pkg_close(r);
	cdl_pkg_openssl_fini(&o);
	free(r);
	free(out);
	free(pkg);
}

/* ---- length attacks --------------------------------------------------------- */

static void test_truncate(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	size_t hl = hdr_len(pkg);
	char msg[MSG_SIZE];
	unsigned int tried = 0;

	expect_open(pkg, len, CDL_OK, "control");
	for (size_t cut = 0; cut < len && !T_TOO_MANY;) {
		/* A copy of exactly cut bytes, so ASan sees any read past it. */
		uint8_t *t = dup_bytes(pkg, cut);
		cdl_status s = open_full(t, cut, F.device, F.plan, F.plan_len, msg, sizeof(msg));
		cdl_status want = cut < CDL_PKG_MAGIC_LEN ? CDL_ERR_MALFORMED : CDL_ERR_INTEGRITY;

		CHECK(s == want, "truncated to %zu of %zu bytes: %s (%s)", cut, len,
		      cdl_pkg_status_name(s), msg);
		free(t);
		tried++;
		/* Every length through header and tags, then a stride, then the tail. */
		if (cut < hl + 2 * CDL_PKG_TAG_LEN + 16 || cut >= len - 2 * CDL_PKG_SIG_LEN)
			cut++;
		else if (cut + 997 < len - 2 * CDL_PKG_SIG_LEN)
			cut += 997;
		else
			cut = len - 2 * CDL_PKG_SIG_LEN;
	}
	CHECK(tried > hl + 128, "only %u truncations tried", tried);
	free(pkg);
}

static void test_append(void)
{
	static const size_t extra[] = {1, 15, 16, 64, 4096, 4096 + 16, 100000};
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);

	expect_open(pkg, len, CDL_OK, "control");
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		uint8_t *t = malloc(len + extra[i]);

		if (!t)
			abort();
		memcpy(t, pkg, len);
		/* Appended bytes: zeros, then a copy of the package's own tail. */
		for (size_t k = 0; k < extra[i]; k++)
			t[len + k] = i % 2 ? pkg[len - 1 - (k % len)] : 0;
		expect_open(t, len + extra[i], CDL_ERR_INTEGRITY, "appended bytes");
		/* Inserted before the signature, which stays the last 64 bytes. */
		memcpy(t + len + extra[i] - CDL_PKG_SIG_LEN, pkg + len - CDL_PKG_SIG_LEN,
		       CDL_PKG_SIG_LEN);
		memset(t + len - CDL_PKG_SIG_LEN, 0, extra[i]);
		expect_open(t, len + extra[i], CDL_ERR_INTEGRITY,
			    "bytes inserted before the signature");
		free(t);
	}
	free(pkg);
}

/* Removes block k (and its tag if with_tag), fixing block_count/stream_len if fix_header. */
static uint8_t *drop_block(const uint8_t *pkg, size_t len, uint32_t k, bool with_tag,
			   bool fix_header, size_t *out_len)
{
	uint8_t *src = (uint8_t *)pkg;
	uint32_t bs = blk_size(pkg), n = blk_count(pkg);
	size_t hl = hdr_len(pkg);
	size_t tags_len = (size_t)n * CDL_PKG_TAG_LEN;
	uint8_t *t = malloc(len);
	size_t pos = 0;

	if (!t)
		abort();
	memcpy(t, pkg, hl);
	pos = hl;
	for (uint32_t i = 0; i < n; i++) {
		if (with_tag && i == k)
			continue;
		memcpy(t + pos, tag_ptr(src, i), CDL_PKG_TAG_LEN);
		pos += CDL_PKG_TAG_LEN;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (i == k)
			continue;
		memcpy(t + pos, block_ptr(src, i), bs);
		pos += bs;
	}
	memcpy(t + pos, pkg + len - CDL_PKG_SIG_LEN, CDL_PKG_SIG_LEN);
	pos += CDL_PKG_SIG_LEN;
	(void)tags_len;
	if (fix_header) {
		uint64_t sl = cdl_pkg_get_u64(t + CDL_PKG_OFF_STREAM_LEN);

		cdl_pkg_put_u32(t + CDL_PKG_OFF_BLOCK_COUNT, n - 1);
		/* Dropping an inner block removes a whole block of stream. */
		cdl_pkg_put_u64(t + CDL_PKG_OFF_STREAM_LEN, sl - bs);
	}
	*out_len = pos;
	return t;
}

static void test_drop_block(void)
{
	size_t len = 0, tl = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint32_t n = blk_count(pkg);
	uint32_t ks[] = {0, 1, n / 2, n - 2};
	char msg[MSG_SIZE];

	expect_open(pkg, len, CDL_OK, "control");
	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		uint32_t k = ks[i];
		uint8_t *t = NULL;

		t = drop_block(pkg, len, k, false, false, &tl);
		expect_open(t, tl, CDL_ERR_INTEGRITY, "block dropped, tag kept");
		free(t);
		t = drop_block(pkg, len, k, true, false, &tl);
		expect_open(t, tl, CDL_ERR_INTEGRITY, "block and tag dropped");
		free(t);
		t = drop_block(pkg, len, k, true, true, &tl);
		expect_open(t, tl, CDL_ERR_INTEGRITY, "block+tag dropped, header fixed");
		/* The attacker re-signs with their own key: signature fine, key gone. */
		resign(t, tl, F.attacker);
		CHECK(parse_only(t, tl, NULL, msg, sizeof(msg)) == CDL_OK,
		      "re-signed package should pass the signature check: %s", msg);
		expect_open(t, tl, CDL_ERR_INTEGRITY, "block dropped, header fixed, re-signed");
		/* Even the provider's own key cannot make the shorter package read. */
		resign(t, tl, F.provider);
		expect_open(t, tl, CDL_ERR_INTEGRITY,
			    "block dropped, header fixed, re-signed with the provider key");
		free(t);
	}
	free(pkg);
}

static void swap_region(uint8_t *a, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i];

		a[i] = b[i];
		b[i] = x;
	}
}

/*
 * A signing key alone does not help: the provider's own key re-signing the
 * rearranged tags still fails, because each block's nonce and AAD carry its
 * index and the header hash. We use that (the strongest attacker we can
 * build) to test the per-block binding separately from the signature.
 */
static void test_swap_blocks(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint32_t n = blk_count(pkg);
	uint32_t pairs[][2] = {{0, 1}, {3, 9}, {0, n - 1}, {n - 2, n - 1}};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint32_t a = pairs[i][0], b = pairs[i][1];
		uint8_t *t = dup_bytes(pkg, len);

		swap_region(block_ptr(t, a), block_ptr(t, b), 4096);
		expect_open(t, len, CDL_ERR_INTEGRITY, "two blocks swapped");
		swap_region(tag_ptr(t, a), tag_ptr(t, b), CDL_PKG_TAG_LEN);
		expect_open(t, len, CDL_ERR_INTEGRITY, "two blocks and their tags swapped");
		resign(t, len, F.provider);
		expect_open(t, len, CDL_ERR_INTEGRITY,
			    "blocks and tags swapped, re-signed with the provider key");
		/* Control: swapping back (still provider-signed) reads again. */
		swap_region(block_ptr(t, a), block_ptr(t, b), 4096);
		swap_region(tag_ptr(t, a), tag_ptr(t, b), CDL_PKG_TAG_LEN);
		resign(t, len, F.provider);
		expect_open(t, len, CDL_OK, "control: swapped back");
		free(t);
	}
	free(pkg);
}

/* Copies block k (and its tag if with_tag) from src into dst. */
static void splice(uint8_t *dst, const uint8_t *src, uint32_t k, bool with_tag)
{
	memcpy(block_ptr(dst, k), block_ptr((uint8_t *)src, k), blk_size(dst));
	if (with_tag)
		memcpy(tag_ptr(dst, k), tag_ptr((uint8_t *)src, k), CDL_PKG_TAG_LEN);
}

static void splice_attacks(const uint8_t *victim, size_t len, const uint8_t *donor,
			   const char *what)
{
	uint32_t n = blk_count(victim);
	uint32_t ks[] = {0, 5, n - 1};
	char label[128];

	for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		uint8_t *t = dup_bytes(victim, len);

		CHECK(memcmp(block_ptr(t, ks[i]), block_ptr((uint8_t *)donor, ks[i]), 4096) != 0,
		      "%s: donor block %u is identical: the test proves nothing", what, ks[i]);
		splice(t, donor, ks[i], false);
		snprintf(label, sizeof(label), "%s: block %u spliced", what, ks[i]);
		expect_open(t, len, CDL_ERR_INTEGRITY, label);
		splice(t, donor, ks[i], true);
		snprintf(label, sizeof(label), "%s: block %u and tag spliced", what, ks[i]);
		expect_open(t, len, CDL_ERR_INTEGRITY, label);
		resign(t, len, F.provider);
		snprintf(label, sizeof(label), "%s: block %u and tag spliced, provider re-signed",
			 what, ks[i]);
		expect_open(t, len, CDL_ERR_INTEGRITY, label);
		free(t);
	}
}

/* Same plan, same device, same provider key: another package's blocks don't fit. */
static void test_splice(void)
{
	size_t la = 0, lb = 0;
	uint8_t *a = write_pkg(&F, F.plan, F.plan_len, 4096, &la);
	uint8_t *b = write_pkg(&F, F.plan, F.plan_len, 4096, &lb);

	CHECK(la == lb, "same plan, same length");
	expect_open(a, la, CDL_OK, "control a");
	expect_open(b, lb, CDL_OK, "control b");
	splice_attacks(a, la, b, "splice");
	free(a);
	free(b);
}

/* Version 2 of a model; its blocks replaced with version 1's. */
static void test_replay_old_block(void)
{
	uint8_t *plan2 = dup_bytes(F.plan, F.plan_len);
	size_t l1 = 0, l2 = 0;
	uint8_t *v1 = NULL, *v2 = NULL;
	char msg[MSG_SIZE];

	/* v2 differs from v1 in a few weights in blocks 0, 5 and the last. */
	plan2[100] ^= 0x40;
	plan2[5 * 4096 + 17] ^= 0x01;
	plan2[F.plan_len - 1] ^= 0x80;
	v1 = write_pkg(&F, F.plan, F.plan_len, 4096, &l1);
	v2 = write_pkg(&F, plan2, F.plan_len, 4096, &l2);
	CHECK(open_full(v2, l2, F.device, plan2, F.plan_len, msg, sizeof(msg)) == CDL_OK,
	      "control v2: %s", msg);
	splice_attacks(v2, l2, v1, "replay v1 into v2");
	/* Whole header of v2 over v1's tags and blocks. */
	{
		uint8_t *t = dup_bytes(v1, l1);

		memcpy(t, v2, hdr_len(v2));
		expect_open(t, l1, CDL_ERR_INTEGRITY, "v2 header with v1 tags and blocks");
		memcpy(t + l1 - CDL_PKG_SIG_LEN, v2 + l2 - CDL_PKG_SIG_LEN, CDL_PKG_SIG_LEN);
		expect_open(t, l1, CDL_ERR_INTEGRITY, "v2 header+signature with v1 tags/blocks");
		free(t);
	}
	free(v1);
	free(v2);
	free(plan2);
}

/* ---- policy and binding ------------------------------------------------------ */

static void test_policy_resign(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	struct {
		size_t off;
		unsigned int width;
		uint64_t value;
		const char *what;
	} edits[] = {
	    {CDL_PKG_OFF_OUTPUT_MODE, 2, CDL_PKG_OUTPUT_FULL, "top-5 -> full outputs"},
	    {CDL_PKG_OFF_TOPK, 4, 1000, "top-5 -> top-1000"},
	    {CDL_PKG_OFF_MAX_QUERIES, 8, 0, "1000 queries -> unlimited"},
	    {CDL_PKG_OFF_EXPIRY, 8, 0, "expiry 2030 -> never"},
	    {CDL_PKG_OFF_EXPIRY, 8, UINT64_MAX, "expiry 2030 -> far future"},
	};
	char msg[MSG_SIZE];

	expect_open(pkg, len, CDL_OK, "control");
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		uint8_t *t = dup_bytes(pkg, len);
		cdl_pkg_header h;
		cdl_status s;

		if (edits[i].off == CDL_PKG_OFF_OUTPUT_MODE)
			cdl_pkg_put_u32(t + CDL_PKG_OFF_TOPK, 0); /* keep it well-formed */
		if (edits[i].width == 2)
			cdl_pkg_put_u16(t + edits[i].off, (uint16_t)edits[i].value);
		else if (edits[i].width == 4)
			cdl_pkg_put_u32(t + edits[i].off, (uint32_t)edits[i].value);
		else
			cdl_pkg_put_u64(t + edits[i].off, edits[i].value);
		expect_open(t, len, CDL_ERR_INTEGRITY, edits[i].what);

		resign(t, len, F.attacker);
		s = parse_only(t, len, &h, msg, sizeof(msg));
		CHECK(s == CDL_OK, "%s, re-signed: the signature should verify: %s", edits[i].what,
		      msg);
		s = open_full(t, len, F.device, F.plan, F.plan_len, msg, sizeof(msg));
		CHECK(s == CDL_ERR_INTEGRITY && strstr(msg, "unwrap"),
		      "%s, re-signed by another key: got %s (%s), want the content key lost",
		      edits[i].what, cdl_pkg_status_name(s), msg);

		/* Binding, not signature: even the provider's own key does not help. */
		resign(t, len, F.provider);
		s = open_full(t, len, F.device, F.plan, F.plan_len, msg, sizeof(msg));
		CHECK(s == CDL_ERR_INTEGRITY && strstr(msg, "unwrap"),
		      "%s, re-signed by the provider key: got %s (%s)", edits[i].what,
		      cdl_pkg_status_name(s), msg);
		free(t);
	}
	/* Control: re-signing an unedited package with the provider key keeps it valid. */
	{
		uint8_t *t = dup_bytes(pkg, len);

		resign(t, len, F.provider);
		expect_open(t, len, CDL_OK, "control: provider re-signs unedited package");
		free(t);
	}
	free(pkg);
}

static void test_wrong_device(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint8_t id[32], other_id[32];
	char hex[65], other_hex[65];
	char msg[MSG_SIZE] = "";
	cdl_status s;

	CHECK(cdl_key_id(F.device, id) == CDL_OK && cdl_key_id(F.other_device, other_id) == CDL_OK,
	      "key ids");
	cdl_pkg_hex(id, 32, hex);
	cdl_pkg_hex(other_id, 32, other_hex);

	s = open_full(pkg, len, F.other_device, F.plan, F.plan_len, msg, sizeof(msg));
	CHECK(s == CDL_ERR_KEY_MISMATCH, "other device: got %s (%s)", cdl_pkg_status_name(s), msg);
	CHECK(strstr(msg, "not for this device") && strstr(msg, hex) && strstr(msg, other_hex),
	      "message should name both key ids: %s", msg);
	expect_open(pkg, len, CDL_OK, "control: the right device");

	/* Re-addressed to the other device and re-signed: ECDH gives another secret. */
	memcpy(pkg + CDL_PKG_OFF_RECIPIENT, other_id, 32);
	resign(pkg, len, F.attacker);
	s = open_full(pkg, len, F.other_device, F.plan, F.plan_len, msg, sizeof(msg));
	CHECK(s == CDL_ERR_INTEGRITY, "re-addressed package on the other device: got %s (%s)",
	      cdl_pkg_status_name(s), msg);
	free(pkg);
}

/* ---- confidentiality ----------------------------------------------------------- */

/* Open-addressing set of 16-byte windows of a buffer, keyed by a 64-bit hash. */
typedef struct window_set {
	uint64_t *keys; /* hash | 1, 0 = empty */
	uint32_t *pos;
	size_t cap;
	const uint8_t *src;
} window_set;

static uint64_t window_hash(const uint8_t *p)
{
	uint64_t a = 0, b = 0;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	a ^= b * 0x9E3779B97F4A7C15ull;
	a ^= a >> 31;
	a *= 0xBF58476D1CE4E5B9ull;
	a ^= a >> 29;
	return a | 1;
}

static void ws_build(window_set *w, const uint8_t *p, size_t len)
{
	w->cap = 1;
	while (w->cap < 2 * len)
		w->cap <<= 1;
	w->keys = calloc(w->cap, sizeof(*w->keys));
	w->pos = calloc(w->cap, sizeof(*w->pos));
	w->src = p;
	if (!w->keys || !w->pos)
		abort();
	for (size_t i = 0; i + 16 <= len; i++) {
		uint64_t h = window_hash(p + i);
		size_t j = h & (w->cap - 1);

		while (w->keys[j] && !(w->keys[j] == h && !memcmp(p + w->pos[j], p + i, 16)))
			j = (j + 1) & (w->cap - 1);
		w->keys[j] = h;
		w->pos[j] = (uint32_t)i;
	}
}

static bool ws_contains(const window_set *w, const uint8_t *q)
{
	uint64_t h = window_hash(q);
	size_t j = h & (w->cap - 1);

	while (w->keys[j]) {
		if (w->keys[j] == h && !memcmp(w->src + w->pos[j], q, 16))
			return true;
		j = (j + 1) & (w->cap - 1);
	}
	return false;
}

static size_t count_windows(const window_set *w, const uint8_t *p, size_t len, size_t *first)
{
	size_t hits = 0;

	for (size_t i = 0; i + 16 <= len; i++) {
		if (ws_contains(w, p + i)) {
			if (!hits && first)
				*first = i;
			hits++;
		}
	}
	return hits;
}

static void test_no_plaintext_windows(void)
{
	static const uint32_t block_sizes[] = {4096, 65536};
	window_set w;

	ws_build(&w, F.plan, F.plan_len);
	for (size_t b = 0; b < 2; b++) {
		size_t len = 0, first = 0, hits = 0;
		uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, block_sizes[b], &len);

		hits = count_windows(&w, pkg, len, &first);
		CHECK(hits == 0,
		      "block size %u: %zu plaintext windows in the package, first at %zu",
		      block_sizes[b], hits, first);
		/* Control: the detector finds one planted 16-byte window. */
		memcpy(pkg + len / 2, F.plan + 12345, 16);
		hits = count_windows(&w, pkg, len, &first);
		CHECK(hits >= 1, "control: planted window not found");
		free(pkg);
	}
	/* Control: the plan's own windows are all found. */
	CHECK(count_windows(&w, F.plan, F.plan_len, NULL) == F.plan_len - 15,
	      "control: the plan's windows");
	free(w.keys);
	free(w.pos);
}

/* ---- malformed headers, validly signed ----------------------------------------------- */

typedef void (*edit_fn)(uint8_t *pkg, size_t len);

static void check_malformed(const uint8_t *pkg, size_t len, edit_fn edit, bool do_resign,
			    cdl_status want, const char *what)
{
	uint8_t *t = dup_bytes(pkg, len);
	char msg[MSG_SIZE] = "";
	cdl_status p, s;

	edit(t, len);
	if (do_resign)
		resign(t, len, F.attacker);
	p = parse_only(t, len, NULL, msg, sizeof(msg));
	CHECK(p == want, "%s: parse got %s (%s), want %s", what, cdl_pkg_status_name(p), msg,
	      cdl_pkg_status_name(want));
	if (want == CDL_ERR_MALFORMED && do_resign)
		CHECK(!strstr(msg, "signature"),
		      "%s: should fail in the parser, not the signature: %s", what, msg);
	s = open_full(t, len, F.device, F.plan, F.plan_len, msg, sizeof(msg));
	if (want == CDL_OK && !do_resign)
		CHECK(s == CDL_OK, "%s: does not open: %s", what, msg);
	else
		CHECK(s != CDL_OK, "%s: opened", what);
	if (want != CDL_OK)
		CHECK(s == want, "%s: open got %s (%s), want %s", what, cdl_pkg_status_name(s), msg,
		      cdl_pkg_status_name(want));
	free(t);
}

#define EDIT(name, body)                                                                           \
	static void name(uint8_t *p, size_t len)                                                   \
	{                                                                                          \
		(void)len;                                                                         \
		body;                                                                              \
	}

EDIT(e_magic, p[3] = 'X')
EDIT(e_major2, cdl_pkg_put_u16(p + CDL_PKG_OFF_VERSION_MAJOR, 2))
EDIT(e_major0, cdl_pkg_put_u16(p + CDL_PKG_OFF_VERSION_MAJOR, 0))
EDIT(e_minor7, cdl_pkg_put_u16(p + CDL_PKG_OFF_VERSION_MINOR, 7))
EDIT(e_hl0, cdl_pkg_put_u32(p + CDL_PKG_OFF_HEADER_LEN, 0))
EDIT(e_hl_small, cdl_pkg_put_u32(p + CDL_PKG_OFF_HEADER_LEN, CDL_PKG_MIN_HEADER - 1))
EDIT(e_hl_big, cdl_pkg_put_u32(p + CDL_PKG_OFF_HEADER_LEN, CDL_PKG_MAX_HEADER + 1))
EDIT(e_hl_max, cdl_pkg_put_u32(p + CDL_PKG_OFF_HEADER_LEN, UINT32_MAX))
EDIT(e_hl_past, cdl_pkg_put_u32(p + CDL_PKG_OFF_HEADER_LEN, CDL_PKG_MAX_HEADER))
EDIT(e_bs0, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, 0))
EDIT(e_bs1, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, 1))
EDIT(e_bs4095, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, 4095))
EDIT(e_bs4097, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, 4097))
EDIT(e_bs_huge, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, CDL_PKG_MAX_BLOCK_SIZE + 4096))
EDIT(e_bs_max, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, UINT32_MAX))
EDIT(e_bs_2g, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_SIZE, 0x80000000u))
EDIT(e_bc0, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_COUNT, 0))
EDIT(e_bc_big, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_COUNT, CDL_PKG_MAX_BLOCKS + 1))
EDIT(e_bc_max, cdl_pkg_put_u32(p + CDL_PKG_OFF_BLOCK_COUNT, UINT32_MAX))
EDIT(e_sl0, cdl_pkg_put_u64(p + CDL_PKG_OFF_STREAM_LEN, 0))
EDIT(e_sl_max, cdl_pkg_put_u64(p + CDL_PKG_OFF_STREAM_LEN, UINT64_MAX))
EDIT(e_sl_over, cdl_pkg_put_u64(p + CDL_PKG_OFF_STREAM_LEN,
				(uint64_t)cdl_pkg_get_u32(p + CDL_PKG_OFF_BLOCK_COUNT) * 4096 + 1))
EDIT(e_sl_under,
     cdl_pkg_put_u64(p + CDL_PKG_OFF_STREAM_LEN,
		     (uint64_t)(cdl_pkg_get_u32(p + CDL_PKG_OFF_BLOCK_COUNT) - 1) * 4096))
EDIT(e_mode3, cdl_pkg_put_u16(p + CDL_PKG_OFF_OUTPUT_MODE, 3))
EDIT(e_mode_ffff, cdl_pkg_put_u16(p + CDL_PKG_OFF_OUTPUT_MODE, 0xffff))
EDIT(e_topk0, cdl_pkg_put_u32(p + CDL_PKG_OFF_TOPK, 0))
EDIT(e_topk_big, cdl_pkg_put_u32(p + CDL_PKG_OFF_TOPK, 70000))
EDIT(e_topk_full, cdl_pkg_put_u16(p + CDL_PKG_OFF_OUTPUT_MODE, CDL_PKG_OUTPUT_FULL))
EDIT(e_res0, p[CDL_PKG_OFF_RESERVED0] = 1)
EDIT(e_res1, p[CDL_PKG_OFF_RESERVED1 + 1] = 0x80)
EDIT(e_nin0, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_INPUTS, 0))
EDIT(e_nin17, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_INPUTS, 17))
EDIT(e_nin_max, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_INPUTS, 0xffff))
EDIT(e_nin2, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_INPUTS, 2))
EDIT(e_nout0, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_OUTPUTS, 0))
EDIT(e_nout16, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_OUTPUTS, 16))
EDIT(e_next17, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_EXT, 17))
EDIT(e_next2, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_EXT, 2))
EDIT(e_next0, cdl_pkg_put_u16(p + CDL_PKG_OFF_N_EXT, 0))
EDIT(e_name0, cdl_pkg_put_u16(p + off_input0(), 0))
EDIT(e_name128, cdl_pkg_put_u16(p + off_input0(), 128))
EDIT(e_name_past, cdl_pkg_put_u16(p + off_input0(), 0xffff))
EDIT(e_name_esc, p[off_input0() + 3] = 0x1b)
EDIT(e_name_del, p[off_input0() + 2] = 0x7f)
EDIT(e_name_hi, p[off_input0() + 2] = 0xc2)
EDIT(e_name_nul, p[off_input0() + 4] = 0)
EDIT(e_dup_out, memcpy(p + off_output0() + tensor_rec_len(&F.outputs[0]) + 2, "logi", 4);
     cdl_pkg_put_u16(p + off_output0(), 4))
EDIT(e_dtype0, p[off_input0() + 2 + 5] = 0)
EDIT(e_rank9, p[off_input0() + 2 + 5 + 1] = 9)
EDIT(e_rank255, p[off_input0() + 2 + 5 + 1] = 255)
EDIT(e_rank5, p[off_input0() + 2 + 5 + 1] = 5)
EDIT(e_rank3, p[off_input0() + 2 + 5 + 1] = 3)
EDIT(e_dim_neg, cdl_pkg_put_u64(p + off_input0() + 2 + 5 + 2, UINT64_MAX))
EDIT(e_dim_big, cdl_pkg_put_u64(p + off_input0() + 2 + 5 + 2, 1ull << 32))
EDIT(e_ext_type0, cdl_pkg_put_u16(p + off_ext0(), 0))
EDIT(e_ext_flags, cdl_pkg_put_u16(p + off_ext0() + 2, 2))
EDIT(e_ext_len_max, cdl_pkg_put_u32(p + off_ext0() + 4, UINT32_MAX))
EDIT(e_ext_len_past, cdl_pkg_put_u32(p + off_ext0() + 4, 49 + 48))
EDIT(e_ext_unknown_crit, cdl_pkg_put_u16(p + off_ext0(), 77);
     cdl_pkg_put_u16(p + off_ext0() + 2, CDL_PKG_EXT_CRITICAL))
EDIT(e_ext_unknown, cdl_pkg_put_u16(p + off_ext0(), 77))
EDIT(e_pp_index, cdl_pkg_put_u16(p + off_ext0() + 8, 1))
EDIT(e_pp_layout, p[off_ext0() + 8 + 2] = 2)
EDIT(e_pp_order, p[off_ext0() + 8 + 3] = 9)
EDIT(e_pp_h0, cdl_pkg_put_u32(p + off_ext0() + 8 + 4, 0))
EDIT(e_pp_scale_nan, cdl_pkg_put_u32(p + off_ext0() + 8 + 16, 0x7fc00000u))
EDIT(e_pp_scale_neg, cdl_pkg_put_u32(p + off_ext0() + 8 + 16, 0xbf800000u))
EDIT(e_pp_ch0, cdl_pkg_put_u16(p + off_ext0() + 8 + 20, 0))
EDIT(e_pp_ch17, cdl_pkg_put_u16(p + off_ext0() + 8 + 20, 17))
EDIT(e_pp_ch2, cdl_pkg_put_u16(p + off_ext0() + 8 + 20, 2))
EDIT(e_pp_res, cdl_pkg_put_u16(p + off_ext0() + 8 + 22, 1))
EDIT(e_pp_mean_inf, cdl_pkg_put_u32(p + off_ext0() + 8 + 24, 0x7f800000u))
EDIT(e_pp_std0, cdl_pkg_put_u32(p + off_ext0() + 8 + 24 + 12, 0))
EDIT(e_pp_len_short, cdl_pkg_put_u32(p + off_ext0() + 4, 10);
     cdl_pkg_put_u16(p + CDL_PKG_OFF_N_EXT, 1))
EDIT(e_eph_prefix, p[CDL_PKG_OFF_EPHEMERAL_PUB] = 0x02)
EDIT(e_prov_prefix, p[CDL_PKG_OFF_PROVIDER_PUB] = 0x03)
EDIT(e_eph_offcurve, p[CDL_PKG_OFF_EPHEMERAL_PUB + 40] ^= 1)
EDIT(e_prov_offcurve, p[CDL_PKG_OFF_PROVIDER_PUB + 40] ^= 1)
EDIT(e_sig_zero, memset(p + len - 64, 0, 64))
EDIT(e_sig_ff, memset(p + len - 64, 0xff, 64))
EDIT(e_sig_r0, memset(p + len - 64, 0, 32))
EDIT(e_sig_s0, memset(p + len - 32, 0, 32))
EDIT(e_none, (void)p)

static void test_malformed(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	struct {
		edit_fn fn;
		bool resign;
		cdl_status want;
		const char *what;
	} cases[] = {
	    {e_none, false, CDL_OK, "control: unedited"},
	    {e_none, true, CDL_OK, "control: re-signed parses (open fails)"},
	    {e_magic, false, CDL_ERR_MALFORMED, "bad magic"},
	    {e_major2, false, CDL_ERR_UNSUPPORTED, "major version 2"},
	    {e_major0, false, CDL_ERR_UNSUPPORTED, "major version 0"},
	    {e_minor7, true, CDL_OK, "minor version 7 is read (same major)"},
	    {e_hl0, false, CDL_ERR_MALFORMED, "header length 0"},
	    {e_hl_small, false, CDL_ERR_MALFORMED, "header length below minimum"},
	    {e_hl_big, false, CDL_ERR_MALFORMED, "header length above 16 KiB"},
	    {e_hl_max, false, CDL_ERR_MALFORMED, "header length 2^32-1"},
	    {e_hl_past, false, CDL_ERR_INTEGRITY, "header length past the file layout"},
	    {e_bs0, false, CDL_ERR_MALFORMED, "block size 0"},
	    {e_bs1, false, CDL_ERR_MALFORMED, "block size 1"},
	    {e_bs4095, false, CDL_ERR_MALFORMED, "block size 4095"},
	    {e_bs4097, false, CDL_ERR_MALFORMED, "block size 4097"},
	    {e_bs_huge, false, CDL_ERR_MALFORMED, "block size 16 MiB + 4 KiB"},
	    {e_bs_max, false, CDL_ERR_MALFORMED, "block size 2^32-1"},
	    {e_bs_2g, false, CDL_ERR_MALFORMED, "block size 2 GiB"},
	    {e_bc0, false, CDL_ERR_MALFORMED, "block count 0"},
	    {e_bc_big, false, CDL_ERR_MALFORMED, "block count 2^24+1"},
	    {e_bc_max, false, CDL_ERR_MALFORMED, "block count 2^32-1"},
	    {e_sl0, false, CDL_ERR_MALFORMED, "stream length 0"},
	    {e_sl_max, false, CDL_ERR_MALFORMED, "stream length 2^64-1"},
	    {e_sl_over, false, CDL_ERR_MALFORMED, "stream length past the blocks"},
	    {e_sl_under, false, CDL_ERR_MALFORMED, "stream length leaves the last block empty"},
	    {e_mode3, true, CDL_ERR_MALFORMED, "output mode 3"},
	    {e_mode_ffff, true, CDL_ERR_MALFORMED, "output mode 0xffff"},
	    {e_topk0, true, CDL_ERR_MALFORMED, "top-k mode with k 0"},
	    {e_topk_big, true, CDL_ERR_MALFORMED, "top-k 70000"},
	    {e_topk_full, true, CDL_ERR_MALFORMED, "k given with full output"},
	    {e_res0, true, CDL_ERR_MALFORMED, "reserved0 not zero"},
	    {e_res1, true, CDL_ERR_MALFORMED, "reserved1 not zero"},
	    {e_nin0, true, CDL_ERR_MALFORMED, "0 inputs"},
	    {e_nin17, true, CDL_ERR_MALFORMED, "17 inputs"},
	    {e_nin_max, true, CDL_ERR_MALFORMED, "65535 inputs"},
	    {e_nin2, true, CDL_ERR_MALFORMED, "2 inputs (records misparse)"},
	    {e_nout0, true, CDL_ERR_MALFORMED, "0 outputs"},
	    {e_nout16, true, CDL_ERR_MALFORMED, "16 outputs (runs past)"},
	    {e_next17, true, CDL_ERR_MALFORMED, "17 extensions"},
	    {e_next2, true, CDL_ERR_MALFORMED, "2 extensions (runs past)"},
	    {e_next0, true, CDL_ERR_MALFORMED, "0 extensions (unused bytes)"},
	    {e_name0, true, CDL_ERR_MALFORMED, "name length 0"},
	    {e_name128, true, CDL_ERR_MALFORMED, "name length 128"},
	    {e_name_past, true, CDL_ERR_MALFORMED, "name length 65535"},
	    {e_name_esc, true, CDL_ERR_MALFORMED, "escape byte in a name"},
	    {e_name_del, true, CDL_ERR_MALFORMED, "DEL in a name"},
	    {e_name_hi, true, CDL_ERR_MALFORMED, "non-ASCII byte in a name"},
	    {e_name_nul, true, CDL_ERR_MALFORMED, "NUL in a name"},
	    {e_dup_out, true, CDL_ERR_MALFORMED, "duplicate output names"},
	    {e_dtype0, true, CDL_ERR_MALFORMED, "dtype 0"},
	    {e_rank9, true, CDL_ERR_MALFORMED, "rank 9"},
	    {e_rank255, true, CDL_ERR_MALFORMED, "rank 255"},
	    {e_rank5, true, CDL_ERR_MALFORMED, "rank 5 (records misparse)"},
	    {e_rank3, true, CDL_ERR_MALFORMED, "rank 3 (records misparse)"},
	    {e_dim_neg, true, CDL_ERR_MALFORMED, "dim -1"},
	    {e_dim_big, true, CDL_ERR_MALFORMED, "dim 2^32"},
	    {e_ext_type0, true, CDL_ERR_MALFORMED, "extension type 0"},
	    {e_ext_flags, true, CDL_ERR_MALFORMED, "undefined extension flag"},
	    {e_ext_len_max, true, CDL_ERR_MALFORMED, "extension length 2^32-1"},
	    {e_ext_len_past, true, CDL_ERR_MALFORMED, "extension length past the header"},
	    {e_ext_unknown_crit, true, CDL_ERR_UNSUPPORTED, "unknown critical extension"},
	    {e_ext_unknown, true, CDL_OK, "unknown non-critical extension is skipped"},
	    {e_pp_index, true, CDL_ERR_MALFORMED, "preprocessing for input 1 of 1"},
	    {e_pp_layout, true, CDL_ERR_MALFORMED, "preprocessing layout 2"},
	    {e_pp_order, true, CDL_ERR_MALFORMED, "preprocessing channel order 9"},
	    {e_pp_h0, true, CDL_ERR_MALFORMED, "preprocessing height 0"},
	    {e_pp_scale_nan, true, CDL_ERR_MALFORMED, "preprocessing scale NaN"},
	    {e_pp_scale_neg, true, CDL_ERR_MALFORMED, "preprocessing scale -1"},
	    {e_pp_ch0, true, CDL_ERR_MALFORMED, "preprocessing 0 channels"},
	    {e_pp_ch17, true, CDL_ERR_MALFORMED, "preprocessing 17 channels"},
	    {e_pp_ch2, true, CDL_ERR_MALFORMED, "preprocessing channel count vs length"},
	    {e_pp_res, true, CDL_ERR_MALFORMED, "preprocessing reserved"},
	    {e_pp_mean_inf, true, CDL_ERR_MALFORMED, "preprocessing mean inf"},
	    {e_pp_std0, true, CDL_ERR_MALFORMED, "preprocessing std 0"},
	    {e_pp_len_short, true, CDL_ERR_MALFORMED, "preprocessing record too short"},
	    {e_eph_prefix, true, CDL_ERR_MALFORMED, "compressed ephemeral point"},
	    {e_eph_offcurve, true, CDL_OK, "ephemeral point off the curve (parses)"},
	    {e_prov_prefix, false, CDL_ERR_INTEGRITY, "provider key prefix 0x03"},
	    {e_prov_offcurve, false, CDL_ERR_INTEGRITY, "provider point off the curve"},
	    {e_sig_zero, false, CDL_ERR_INTEGRITY, "signature all zero"},
	    {e_sig_ff, false, CDL_ERR_INTEGRITY, "signature all 0xff (r, s >= n)"},
	    {e_sig_r0, false, CDL_ERR_INTEGRITY, "signature r = 0"},
	    {e_sig_s0, false, CDL_ERR_INTEGRITY, "signature s = 0"},
	};

	CHECK(cdl_pkg_get_u16(pkg + off_ext0()) == CDL_PKG_EXT_PREPROC,
	      "fixture layout: the preprocessing record is not where the test expects it");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_malformed(pkg, len, cases[i].fn, cases[i].resign, cases[i].want,
				cases[i].what);
	}
	/* A re-signed package that parses must still not open (content key lost). */
	{
		uint8_t *t = dup_bytes(pkg, len);

		e_ext_unknown(t, len);
		resign(t, len, F.attacker);
		expect_open(t, len, CDL_ERR_INTEGRITY, "unknown extension added by an attacker");
		free(t);
	}
	{
		char msg[MSG_SIZE];
		cdl_status s = open_full(pkg, 0, F.device, NULL, 0, msg, sizeof(msg));

		CHECK(s == CDL_ERR_MALFORMED, "empty buffer: %s", cdl_pkg_status_name(s));
	}
	free(pkg);
}

/* The unedited control in the table above must open: check_malformed's "opened" check. */
static void test_malformed_control_opens(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);

	expect_open(pkg, len, CDL_OK, "control");
	free(pkg);
}

/* A package a writer made with an unknown non-critical extension opens fine. */
static void test_unknown_extension(void)
{
	cdl_pkg_write_params p;
	static const uint8_t data[5] = {1, 2, 3, 4, 5};
	cdl_pkg_ext ext = {0x1234, 0, data, sizeof(data)};
	cdl_pkg_header h;
	uint8_t *out = NULL;
	size_t len = 0;
	char msg[MSG_SIZE] = "";
	cdl_status s;

	memset(&p, 0, sizeof(p));
	p.plan = F.plan;
	p.plan_len = F.plan_len;
	p.inputs = F.inputs;
	p.n_inputs = 1;
	p.outputs = F.outputs;
	p.n_outputs = 2;
	p.policy = F.policy;
	p.extra_ext = &ext;
	p.n_extra_ext = 1;
	p.device_pub = F.device;
	p.provider_key = F.provider;
	s = cdl_pkg_write(&p, &out, &len, NULL, msg, sizeof(msg));
	CHECK(s == CDL_OK, "write with extension: %s", msg);
	if (s != CDL_OK)
		return;
	expect_open(out, len, CDL_OK, "package with an unknown non-critical extension");
	s = parse_only(out, len, &h, msg, sizeof(msg));
	CHECK(s == CDL_OK && h.n_ext == 1 && h.n_ext_skipped == 1 && !h.preproc.present,
	      "extension counted as skipped");
	free(out);
	/* The writer refuses to emit what the reader would refuse. */
	ext.flags = CDL_PKG_EXT_CRITICAL;
	s = cdl_pkg_write(&p, &out, &len, NULL, msg, sizeof(msg));
	CHECK(s == CDL_ERR_UNSUPPORTED && out == NULL, "writer emitted an unreadable package: %s",
	      cdl_pkg_status_name(s));
}

/* Random bytes, random bytes behind a valid prefix, random headers re-signed. */
static void test_garbage(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint32_t hl = hdr_len(pkg);
	uint64_t st = 99;
	char msg[MSG_SIZE];

	for (int i = 0; i < 300 && !T_TOO_MANY; i++) {
		size_t n = rnd_next(&st) % 20000;
		uint8_t *t = malloc(n ? n : 1);
		cdl_status s;

		if (!t)
			abort();
		for (size_t k = 0; k < n; k++)
			t[k] = (uint8_t)rnd_next(&st);
		if (i % 2 && n >= 16)
			memcpy(t, pkg, 16); /* magic and version pass */
		s = open_full(t, n, F.device, NULL, 0, msg, sizeof(msg));
		CHECK(s == CDL_ERR_MALFORMED || s == CDL_ERR_INTEGRITY || s == CDL_ERR_UNSUPPORTED,
		      "random %zu bytes: %s", n, cdl_pkg_status_name(s));
		free(t);
	}
	/* The variable part replaced by random bytes, then validly signed. */
	for (int i = 0; i < 300 && !T_TOO_MANY; i++) {
		uint8_t *t = dup_bytes(pkg, len);
		size_t from = CDL_PKG_FIXED_LEN + rnd_next(&st) % (hl - CDL_PKG_FIXED_LEN);
		cdl_status s;

		for (size_t k = from; k < hl; k++)
			t[k] = (uint8_t)rnd_next(&st);
		if (i % 3 == 0) /* small counts, so the records get parsed further */
			for (size_t k = CDL_PKG_OFF_N_INPUTS; k < CDL_PKG_OFF_RESERVED1; k += 2)
				cdl_pkg_put_u16(t + k, (uint16_t)(rnd_next(&st) % 4));
		resign(t, len, F.attacker);
		s = open_full(t, len, F.device, NULL, 0, msg, sizeof(msg));
		CHECK(s == CDL_ERR_MALFORMED || s == CDL_ERR_INTEGRITY || s == CDL_ERR_UNSUPPORTED,
		      "random header from %zu: %s", from, cdl_pkg_status_name(s));
		free(t);
	}
	free(pkg);
}

/* ---- an adversary writing shared memory while the reader works ---------------- */

typedef struct toctou {
	cdl_pkg_openssl inner;
	cdl_pkg_crypto crypto;
	uint8_t *pkg; /* the "shared memory" */
	size_t len;
	int calls;
	bool flip_header; /* during hashing: change the policy in the buffer */
	bool flip_block;  /* during decryption: change the ciphertext in the buffer */
} toctou;

static cdl_status tt_sha256(void *ctx, const uint8_t *a, size_t a_len, const uint8_t *b,
			    size_t b_len, uint8_t out[32])
{
	toctou *t = ctx;

	if (t->flip_header && t->calls++ == 0)
		cdl_pkg_put_u64(t->pkg + CDL_PKG_OFF_MAX_QUERIES, 0); /* after the copy */
	return t->inner.crypto.sha256(t->inner.crypto.ctx, a, a_len, b, b_len, out);
}

static cdl_status tt_verify(void *ctx, const uint8_t pub[65], const uint8_t hash[32],
			    const uint8_t sig[64])
{
	toctou *t = ctx;

	return t->inner.crypto.ecdsa_p256_verify(t->inner.crypto.ctx, pub, hash, sig);
}

static cdl_status tt_gcm(void *ctx, const uint8_t key[32], const uint8_t nonce[12],
			 const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len,
			 const uint8_t tag[16], uint8_t *out)
{
	toctou *t = ctx;

	if (t->flip_block) {
		/* The reader must not be decrypting from the shared buffer. */
		CHECK(!(ct >= t->pkg && ct < t->pkg + t->len), "decrypting from shared memory");
		for (size_t i = t->len / 2; i < t->len / 2 + 4096; i++)
			t->pkg[i] ^= 0xff;
	}
	return t->inner.crypto.aes256gcm_decrypt(t->inner.crypto.ctx, key, nonce, aad, aad_len, ct,
						 len, tag, out);
}

static cdl_status tt_key_id(void *ctx, uint8_t id[32])
{
	toctou *t = ctx;

	return t->inner.crypto.device_key_id(t->inner.crypto.ctx, id);
}

static cdl_status tt_kek(void *ctx, const uint8_t pub[65], const uint8_t *salt, size_t salt_len,
			 const uint8_t *info, size_t info_len, uint8_t kek[32])
{
	toctou *t = ctx;

	return t->inner.crypto.derive_kek(t->inner.crypto.ctx, pub, salt, salt_len, info, info_len,
					  kek);
}

static void test_toctou(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	toctou t;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	uint8_t *out = malloc(F.plan_len), *scratch = malloc(4096);
	char msg[MSG_SIZE] = "";
	cdl_status s;

	if (!r || !out || !scratch)
		abort();
	memset(&t, 0, sizeof(t));
	if (cdl_pkg_openssl_init(&t.inner, F.device) != CDL_OK)
		abort();
	t.crypto.ctx = &t;
	t.crypto.sha256 = tt_sha256;
	t.crypto.ecdsa_p256_verify = tt_verify;
	t.crypto.aes256gcm_decrypt = tt_gcm;
	t.crypto.device_key_id = tt_key_id;
	t.crypto.derive_kek = tt_kek;
	t.pkg = pkg;
	t.len = len;

	/* The header changes right after the reader copied it: the copy is what counts. */
	t.flip_header = true;
	s = cdl_pkg_open(pkg, len, &t.crypto, r, msg, sizeof(msg));
	CHECK(s == CDL_OK, "open with header changing underneath: %s", msg);
	CHECK(r->hdr.policy.max_queries == 1000, "policy read from the changed buffer: %llu",
	      (unsigned long long)r->hdr.policy.max_queries);
	CHECK(cdl_pkg_get_u64(pkg + CDL_PKG_OFF_MAX_QUERIES) == 0,
	      "control: the adversary did change the buffer");
	t.flip_header = false;

	/* Ciphertext changing during decryption: reads see one consistent copy. */
	t.flip_block = true;
	for (uint32_t i = 0; i < r->hdr.block_count && !T_TOO_MANY; i++) {
		uint8_t *b = block_ptr(pkg, i);
		bool touched =
		    (size_t)(b - pkg) + 4096 > len / 2 && (size_t)(b - pkg) < len / 2 + 4096;

		s = cdl_pkg_read_block(r, i, scratch, 4096, msg, sizeof(msg));
		if (!touched) {
			size_t n =
			    i + 1 == r->hdr.block_count ? F.plan_len - (size_t)i * 4096 : 4096;

			CHECK(s == CDL_OK && !memcmp(scratch, F.plan + (size_t)i * 4096, n),
			      "block %u changing underneath: %s", i, msg);
		}
	}
	cdl_pkg_close(r);
	cdl_pkg_openssl_fini(&t.inner);
	free(r);
	free(out);
	free(scratch);
	free(pkg);
}

/* ---- keys, inspect, writer arguments ----------------------------------------- */

static void test_keys(void)
{
	char dir[] = "/tmp/cdl-format-keys-XXXXXX";
	char name[256], path[300], fp[65], fp2[65], msg[MSG_SIZE] = "";
	struct stat st;
	EVP_PKEY *pub = NULL, *priv = NULL, *k384 = NULL;
	cdl_status s;

	if (!mkdtemp(dir))
		abort();
	snprintf(name, sizeof(name), "%s/provider", dir);
	s = cdl_key_generate_files(name, fp, msg, sizeof(msg));
	CHECK(s == CDL_OK, "keygen: %s", msg);
	snprintf(path, sizeof(path), "%s.key", name);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "NAME.key mode %o",
	      (unsigned int)(st.st_mode & 0777));
	s = cdl_key_load_private(path, &priv, msg, sizeof(msg));
	CHECK(s == CDL_OK, "load private: %s", msg);
	snprintf(path, sizeof(path), "%s.pub", name);
	s = cdl_key_load_public(path, &pub, msg, sizeof(msg));
	CHECK(s == CDL_OK, "load public: %s", msg);
	if (pub && priv) {
		CHECK(cdl_key_fingerprint_hex(pub, fp2) == CDL_OK && !strcmp(fp, fp2),
		      "fingerprint of .pub differs from keygen's");
		CHECK(cdl_key_fingerprint_hex(priv, fp2) == CDL_OK && !strcmp(fp, fp2),
		      "fingerprint of .key differs from keygen's");
	}
	/* The .pub holds no private key. */
	{
		FILE *f = fopen(path, "r");
		char buf[4096] = "";
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		buf[n] = '\0';
		CHECK(strstr(buf, "BEGIN PUBLIC KEY") && !strstr(buf, "PRIVATE"), ".pub content");
		if (f)
			fclose(f);
	}
	s = cdl_key_generate_files(name, NULL, msg, sizeof(msg));
	CHECK(s == CDL_ERR_IO && strstr(msg, "overwrite"), "keygen over existing keys: %s", msg);
	/* Public loader on a private key file takes the public half. */
	{
		EVP_PKEY *k = NULL;

		snprintf(path, sizeof(path), "%s.key", name);
		s = cdl_key_load_public(path, &k, msg, sizeof(msg));
		CHECK(s == CDL_OK, "public from private file: %s", msg);
		EVP_PKEY_free(k);
	}
	/* Wrong curve, garbage, missing file, encrypted key (no prompt). */
	k384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (k384) {
		FILE *f = NULL;
		EVP_PKEY *k = NULL;

		snprintf(path, sizeof(path), "%s/p384.pub", dir);
		f = fopen(path, "w");
		PEM_write_PUBKEY(f, k384);
		fclose(f);
		s = cdl_key_load_public(path, &k, msg, sizeof(msg));
		CHECK(s == CDL_ERR_UNSUPPORTED && strstr(msg, "P-256"), "P-384 key: %s", msg);
		EVP_PKEY_free(k);
		snprintf(path, sizeof(path), "%s/enc.key", dir);
		f = fopen(path, "w");
		PEM_write_PrivateKey(f, k384, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"pw");
		fclose(f);
		s = cdl_key_load_private(path, &k, msg, sizeof(msg));
		CHECK(s == CDL_ERR_MALFORMED, "encrypted key: %s", msg);
		EVP_PKEY_free(k);
		unlink(path);
		snprintf(path, sizeof(path), "%s/p384.pub", dir);
		unlink(path);
	}
	{
		EVP_PKEY *k = NULL;
		static const char junk[] =
		    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

		s = cdl_key_public_from_pem(junk, sizeof(junk) - 1, &k, msg, sizeof(msg));
		CHECK(s == CDL_ERR_MALFORMED && !k, "junk PEM: %s", msg);
		s = cdl_key_load_public("/nonexistent/cdl.pub", &k, msg, sizeof(msg));
		CHECK(s == CDL_ERR_IO && strstr(msg, "/nonexistent/cdl.pub"), "missing file: %s",
		      msg);
	}
	/* PEM round trip in memory (what `cdl device-key` will export). */
	if (pub) {
		char *pem = NULL;
		size_t pem_len = 0;
		EVP_PKEY *k = NULL;

		CHECK(cdl_key_public_to_pem(pub, &pem, &pem_len) == CDL_OK, "to PEM");
		s = cdl_key_public_from_pem(pem, pem_len, &k, msg, sizeof(msg));
		CHECK(s == CDL_OK && cdl_key_fingerprint_hex(k, fp2) == CDL_OK && !strcmp(fp, fp2),
		      "PEM round trip");
		EVP_PKEY_free(k);
		free(pem);
	}
	/* Points: invalid ones are refused. */
	{
		uint8_t pt[65];
		EVP_PKEY *k = NULL;

		CHECK(cdl_key_public_point(F.device, pt) == CDL_OK && pt[0] == 4, "point");
		CHECK(cdl_key_from_point(pt, &k) == CDL_OK, "valid point");
		EVP_PKEY_free(k);
		pt[64] ^= 1;
		CHECK(cdl_key_from_point(pt, &k) == CDL_ERR_INTEGRITY && !k, "point off the curve");
		memset(pt + 1, 0, 64);
		CHECK(cdl_key_from_point(pt, &k) == CDL_ERR_INTEGRITY, "point (0, 0)");
	}
	snprintf(path, sizeof(path), "%s.key", name);
	unlink(path);
	snprintf(path, sizeof(path), "%s.pub", name);
	unlink(path);
	rmdir(dir);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(k384);
}

static void test_inspect(void)
{
	char dir[] = "/tmp/cdl-format-inspect-XXXXXX";
	char path[300], msg[MSG_SIZE] = "";
	char id_hex[33], fp[65];
	char *text = NULL;
	size_t text_len = 0, len = 0;
	uint8_t *pkg = NULL;
	FILE *mem = NULL;
	cdl_status s;

	if (!mkdtemp(dir))
		abort();
	/* A name with characters JSON must escape (printable ASCII, so allowed). */
	snprintf(F.outputs[1].name, sizeof(F.outputs[1].name), "fe\"a\\t");
	pkg = write_pkg(&F, F.plan, F.plan_len, 65536, &len);
	snprintf(F.outputs[1].name, sizeof(F.outputs[1].name), "feat");
	cdl_pkg_hex(pkg + CDL_PKG_OFF_MODEL_ID, 16, id_hex);
	CHECK(cdl_key_fingerprint_hex(F.provider, fp) == CDL_OK, "fingerprint");
	snprintf(path, sizeof(path), "%s/model.cdlm", dir);
	s = cdl_pkg_write_file(path, pkg, len, msg, sizeof(msg));
	CHECK(s == CDL_OK, "write file: %s", msg);

	mem = open_memstream(&text, &text_len);
	s = cdl_pkg_inspect_file(path, mem, true, msg, sizeof(msg));
	fclose(mem);
	CHECK(s == CDL_OK, "inspect --json: %s", msg);
	if (text) {
		CHECK(strstr(text, id_hex) && strstr(text, fp),
		      "json lacks model id/fingerprint: %s", text);
		CHECK(strstr(text, "\"output\": \"topk\"") && strstr(text, "\"top_k\": 5") &&
			  strstr(text, "\"max_queries\": 1000") &&
			  strstr(text, "\"expires\": \"2030-01-01T00:00:00Z\""),
		      "json policy: %s", text);
		CHECK(strstr(text, "\"shape\": [1, 3, 224, 224]"), "json shape: %s", text);
		CHECK(strstr(text, "\"name\": \"fe\\\"a\\\\t\""), "json escaping: %s", text);
		CHECK(strstr(text, "\"block_size\": 65536"), "json block size");
	}
	free(text);
	text = NULL;
	mem = open_memstream(&text, &text_len);
	s = cdl_pkg_inspect_file(path, mem, false, msg, sizeof(msg));
	fclose(mem);
	CHECK(s == CDL_OK && text && strstr(text, "signature valid") &&
		  strstr(text, "topk (k = 5)"),
	      "text inspect: %s", text ? text : msg);
	free(text);

	/* A tampered file: inspect refuses and says why. */
	pkg[CDL_PKG_OFF_MAX_QUERIES] ^= 1;
	unlink(path);
	CHECK(cdl_pkg_write_file(path, pkg, len, msg, sizeof(msg)) == CDL_OK, "write");
	mem = open_memstream(&text, &text_len);
	s = cdl_pkg_inspect_file(path, mem, true, msg, sizeof(msg));
	fclose(mem);
	CHECK(s == CDL_ERR_INTEGRITY && strstr(msg, "signature") && text_len == 0,
	      "tampered inspect: %s", msg);
	free(text);
	s = cdl_pkg_inspect_file("/nonexistent.cdlm", stdout, false, msg, sizeof(msg));
	CHECK(s == CDL_ERR_IO, "missing file");
	unlink(path);
	rmdir(dir);
	free(pkg);
}

static void test_writer_params(void)
{
	cdl_pkg_write_params p, base;
	cdl_pkg_tensor_info bad;
	uint8_t *out = NULL;
	size_t len = 0;
	char msg[MSG_SIZE] = "";

	memset(&base, 0, sizeof(base));
	base.plan = F.plan;
	base.plan_len = F.plan_len;
	base.inputs = F.inputs;
	base.n_inputs = 1;
	base.outputs = F.outputs;
	base.n_outputs = 2;
	base.policy = F.policy;
	base.device_pub = F.device;
	base.provider_key = F.provider;

#define WRITE_EXPECT(want, what)                                                                   \
	do {                                                                                       \
		cdl_status s_ = cdl_pkg_write(&p, &out, &len, NULL, msg, sizeof(msg));             \
		CHECK(s_ == (want), "%s: got %s (%s)", what, cdl_pkg_status_name(s_), msg);        \
		CHECK((s_ == CDL_OK) == (out != NULL), "%s: output on failure", what);             \
		free(out);                                                                         \
		out = NULL;                                                                        \
	} while (0)

	p = base;
	WRITE_EXPECT(CDL_OK, "control");
	p = base;
	p.block_size = 1000;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "block size 1000");
	p.block_size = 32u << 20;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "block size 32 MiB");
	p = base;
	p.plan_len = 0;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "empty plan");
	p = base;
	p.n_inputs = 0;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "no inputs");
	p = base;
	bad = F.inputs[0];
	bad.name[2] = '\n';
	p.inputs = &bad;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "newline in a name");
	bad = F.inputs[0];
	bad.rank = 9;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "rank 9");
	bad = F.inputs[0];
	bad.dims[0] = -1;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "dim -1");
	p = base;
	p.policy.output_mode = CDL_PKG_OUTPUT_LABEL;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "label mode with k");
	p.policy.topk = 0;
	WRITE_EXPECT(CDL_OK, "label mode");
	p = base;
	p.device_pub = NULL;
	WRITE_EXPECT(CDL_ERR_INVALID_ARGUMENT, "no device key");
	p = base;
	{
		/* Duplicate names: the reader refuses them, so the writer's self-check does. */
		cdl_pkg_tensor_info two[2] = {F.outputs[0], F.outputs[0]};

		p.outputs = two;
		WRITE_EXPECT(CDL_ERR_MALFORMED, "duplicate output names");
	}
#undef WRITE_EXPECT
}

static uint64_t g_prog_done, g_prog_total;
static int g_prog_calls;

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)arg;
	CHECK(done > g_prog_done && done <= total, "progress went from %llu to %llu of %llu",
	      (unsigned long long)g_prog_done, (unsigned long long)done, (unsigned long long)total);
	g_prog_done = done;
	g_prog_total = total;
	g_prog_calls++;
}

static void test_progress(void)
{
	cdl_pkg_write_params p;
	cdl_pkg_write_info info;
	uint8_t *out = NULL;
	size_t len = 0;
	size_t big = 5u << 20;
	uint8_t *plan = make_plan(big, 3);
	char msg[MSG_SIZE] = "";
	cdl_status s;

	memset(&p, 0, sizeof(p));
	p.plan = plan;
	p.plan_len = big;
	p.inputs = F.inputs;
	p.n_inputs = 1;
	p.outputs = F.outputs;
	p.n_outputs = 2;
	p.device_pub = F.device;
	p.provider_key = F.provider;
	p.progress = on_progress;
	s = cdl_pkg_write(&p, &out, &len, &info, msg, sizeof(msg));
	CHECK(s == CDL_OK, "write: %s", msg);
	CHECK(g_prog_calls >= 5 && g_prog_done == g_prog_total &&
		  g_prog_total == (uint64_t)info.block_count * info.block_size,
	      "progress: %d calls, %llu of %llu", g_prog_calls, (unsigned long long)g_prog_done,
	      (unsigned long long)g_prog_total);
	CHECK(info.package_len == len && info.block_size == CDL_PKG_DEFAULT_BLOCK_SIZE &&
		  !memcmp(info.model_id, out + CDL_PKG_OFF_MODEL_ID, 16),
	      "write info");
	if (s == CDL_OK)
		CHECK(open_full(out, len, F.device, plan, big, msg, sizeof(msg)) == CDL_OK,
		      "5 MiB round trip: %s", msg);
	free(out);
	free(plan);
}

/* ---- the writer's side of the contract ---------------------------------------- */

/*
 * The package layout of pkg with its header, zero tags and the plaintext
 * (plan, zero-padded) in the block region: what cdl_pkg_seal takes.
 */
static uint8_t *unsealed_copy(const uint8_t *pkg, size_t len, const uint8_t *plan, size_t plan_len)
{
	uint8_t *t = calloc(1, len);
	uint32_t hl = hdr_len(pkg);

	if (!t)
		abort();
	memcpy(t, pkg, hl);
	memcpy(block_ptr(t, 0), plan, plan_len);
	return t;
}

/*
 * The header hash in each block's AAD: if a content key were ever reused (a
 * provider bug; cdl_pkg_write never does), blocks still cannot move between
 * packages whose headers differ, even with identical model id and nonce.
 */
static void test_aad_binds_header(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint8_t key[32];
	uint8_t *a = unsealed_copy(pkg, len, F.plan, F.plan_len);
	uint8_t *b = unsealed_copy(pkg, len, F.plan, F.plan_len);
	char msg[MSG_SIZE] = "";

	memset(key, 0x42, sizeof(key));
	cdl_pkg_put_u64(b + CDL_PKG_OFF_MAX_QUERIES, 5); /* another policy, same everything else */
	CHECK(cdl_pkg_seal_with_key(a, len, key, F.device, F.provider, NULL, NULL, msg,
				    sizeof(msg)) == CDL_OK,
	      "seal a: %s", msg);
	CHECK(cdl_pkg_seal_with_key(b, len, key, F.device, F.provider, NULL, NULL, msg,
				    sizeof(msg)) == CDL_OK,
	      "seal b: %s", msg);
	expect_open(a, len, CDL_OK, "control: a");
	expect_open(b, len, CDL_OK, "control: b");
	for (uint32_t k = 0; k < 3; k++) {
		uint8_t *t = dup_bytes(a, len);

		splice(t, b, k * 7, true);
		resign(t, len, F.provider);
		expect_open(t, len, CDL_ERR_INTEGRITY,
			    "block+tag from a package with the same key, re-signed");
		/* Control: the same splice from a itself is harmless. */
		splice(t, a, k * 7, true);
		resign(t, len, F.provider);
		expect_open(t, len, CDL_OK, "control: splice from itself");
		free(t);
	}
	free(a);
	free(b);
	free(pkg);
}

/* The last block's padding must be zero, even in a validly sealed package. */
static void test_padding(void)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);
	uint8_t *t = unsealed_copy(pkg, len, F.plan, F.plan_len);
	uint8_t *u = unsealed_copy(pkg, len, F.plan, F.plan_len);
	char msg[MSG_SIZE] = "";

	block_ptr(t, blk_count(t) - 1)[4095] = 1;
	CHECK(cdl_pkg_seal(t, len, F.device, F.provider, NULL, NULL, msg, sizeof(msg)) == CDL_OK,
	      "seal: %s", msg);
	CHECK(cdl_pkg_seal(u, len, F.device, F.provider, NULL, NULL, msg, sizeof(msg)) == CDL_OK,
	      "seal: %s", msg);
	expect_open(t, len, CDL_ERR_INTEGRITY, "non-zero padding");
	expect_open(u, len, CDL_OK, "control: zero padding");
	free(t);
	free(u);
	free(pkg);
}

/* ---- interoperability with tests/format/second_reader.py ----------------------- */

static void write_file_or_die(const char *dir, const char *name, const void *data, size_t len)
{
	char path[4096];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static void write_pem_or_die(const char *dir, const char *name, EVP_PKEY *key, bool private_key)
{
	char path[4096];
	FILE *f = NULL;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f)
		ok = private_key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
				 : PEM_write_PUBKEY(f, key);
	if (!f || !ok || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

/* Keys, plan and a C-written package for the second reader to read. */
static int export_sample(const char *dir)
{
	size_t len = 0;
	uint8_t *pkg = write_pkg(&F, F.plan, F.plan_len, 4096, &len);

	write_pem_or_die(dir, "device.key", F.device, true);
	write_pem_or_die(dir, "device.pub", F.device, false);
	write_pem_or_die(dir, "provider.key", F.provider, true);
	write_file_or_die(dir, "plan.bin", F.plan, F.plan_len);
	write_file_or_die(dir, "c.cdlm", pkg, len);
	free(pkg);
	return 0;
}

/* The second writer's package must open here, byte for byte. */
static int import_sample(const char *dir)
{
	char path[4096], msg[MSG_SIZE] = "";
	cdl_pkg_file pf, plan;
	EVP_PKEY *device = NULL;
	cdl_pkg_header h;
	cdl_status s;

	snprintf(path, sizeof(path), "%s/device.key", dir);
	if (cdl_key_load_private(path, &device, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/py.cdlm", dir);
	if (cdl_pkg_file_map(path, &pf, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/plan.bin", dir);
	if (cdl_pkg_file_map(path, &plan, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "%s\n", msg);
		return 1;
	}
	s = open_full(pf.data, pf.len, device, plan.data, plan.len, msg, sizeof(msg));
	CHECK(s == CDL_OK, "package from the second writer: %s (%s)", cdl_pkg_status_name(s), msg);
	s = parse_only(pf.data, pf.len, &h, msg, sizeof(msg));
	CHECK(s == CDL_OK && h.policy.output_mode == CDL_PKG_OUTPUT_LABEL &&
		  h.policy.max_queries == 7 && h.n_ext_skipped == 1 &&
		  !strcmp(h.inputs[0].name, "x") && h.outputs[0].dims[1] == 10 &&
		  h.block_size == 8192,
	      "second writer's header fields");
	cdl_pkg_file_unmap(&pf);
	cdl_pkg_file_unmap(&plan);
	EVP_PKEY_free(device);
	printf("import %s: %s\n", dir, t_failures ? "FAILED" : "ok");
	return t_failures ? 1 : 0;
}

/* ---- driver --------------------------------------------------------------------- */

static void test_bitflip_blocks_4k(void)
{
	test_bitflip_blocks(4096);
}

static void test_bitflip_blocks_64k(void)
{
	test_bitflip_blocks(65536);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
    {"roundtrip", test_roundtrip},
    {"fields_and_ranges", test_fields_and_ranges},
    {"api", test_api},
    {"bitflip_header", test_bitflip_header},
    {"bitflip_tags_signature", test_bitflip_tags_signature},
    {"bitflip_blocks_4k", test_bitflip_blocks_4k},
    {"bitflip_blocks_64k", test_bitflip_blocks_64k},
    {"truncate", test_truncate},
    {"append", test_append},
    {"drop_block", test_drop_block},
    {"swap_blocks", test_swap_blocks},
    {"splice", test_splice},
    {"replay_old_block", test_replay_old_block},
    {"policy_resign", test_policy_resign},
    {"wrong_device", test_wrong_device},
    {"no_plaintext_windows", test_no_plaintext_windows},
    {"malformed", test_malformed},
    {"malformed_control", test_malformed_control_opens},
    {"unknown_extension", test_unknown_extension},
    {"garbage", test_garbage},
    {"toctou", test_toctou},
    {"keys", test_keys},
    {"inspect", test_inspect},
    {"writer_params", test_writer_params},
    {"progress", test_progress},
    {"aad_binds_header", test_aad_binds_header},
    {"padding", test_padding},
};

int main(int argc, char **argv)
{
	size_t n = sizeof(tests) / sizeof(tests[0]);
	bool ran = false;

	if (argc < 2) {
		fprintf(stderr, "usage: %s TEST|all | export DIR | import DIR\ntests:", argv[0]);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s", tests[i].name);
		fputc('\n', stderr);
		return 2;
	}
	if (argc == 3 && !strcmp(argv[1], "import"))
		return import_sample(argv[2]);
	fixture_init(&F);
	if (argc == 3 && !strcmp(argv[1], "export")) {
		int rc = export_sample(argv[2]);

		fixture_fini(&F);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], "all") && strcmp(argv[1], tests[i].name))
			continue;
		int before = t_failures;

		tests[i].fn();
		printf("%-24s %s\n", tests[i].name, t_failures == before ? "ok" : "FAILED");
		ran = true;
	}
	fixture_fini(&F);
	if (!ran) {
		fprintf(stderr, "unknown test %s\n", argv[1]);
		return 2;
	}
	return t_failures ? 1 : 0;
}
