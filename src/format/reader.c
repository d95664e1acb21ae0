/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package reader (docs/package-format.md). Freestanding: see reader.h.
 *
 * Order of checks in cdl_pkg_parse_header, chosen so that the structure
 * parser only ever sees signed bytes and any flipped bit after the first 32
 * bytes is reported as an integrity failure:
 *   1. magic, major version, the fixed sizes (header_len, block_size,
 *      block_count, stream_len) against their limits;
 *   2. the file length against header + tags + blocks + signature;
 *   3. copy the header, verify the provider signature over header || tags;
 *   4. parse and range-check every field of the (signed) copy.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "format/reader.h"

/* ---- messages without stdio -------------------------------------------- */

typedef struct msg_buf {
	char *buf;
	size_t size;
	size_t pos;
} msg_buf;

static void msg_init(msg_buf *m, char *buf, size_t size)
{
	m->buf = buf;
	m->size = buf ? size : 0;
	m->pos = 0;
	if (m->size)
		m->buf[0] = '\0';
}

static void msg_put(msg_buf *m, const char *s)
{
	if (!m->size)
		return;
	while (*s && m->pos + 1 < m->size)
		m->buf[m->pos++] = *s++;
	m->buf[m->pos] = '\0';
}

static void msg_u64(msg_buf *m, uint64_t v)
{
	char tmp[21];
	size_t n = sizeof(tmp) - 1;

	tmp[n] = '\0';
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	msg_put(m, tmp + n);
}

static void msg_hex(msg_buf *m, const uint8_t *p, size_t len)
{
	char tmp[2 * CDL_PKG_HASH_LEN + 1];

	if (len > CDL_PKG_HASH_LEN)
		len = CDL_PKG_HASH_LEN;
	cdl_pkg_hex(p, len, tmp);
	msg_put(m, tmp);
}

/* One line: "<prefix><what> is <value>: <constraint>". */
static cdl_status fail_u64(msg_buf *m, cdl_status s, const char *what, uint64_t v,
			   const char *constraint)
{
	msg_put(m, "invalid package: ");
	msg_put(m, what);
	msg_put(m, " is ");
	msg_u64(m, v);
	msg_put(m, ": ");
	msg_put(m, constraint);
	return s;
}

static cdl_status fail(msg_buf *m, cdl_status s, const char *text)
{
	msg_put(m, text);
	return s;
}

/* ---- helpers ----------------------------------------------------------- */

void cdl_pkg_wipe(void *p, size_t len)
{
	/* Through a volatile pointer so that the stores are not elided. */
	volatile uint8_t *v = (volatile uint8_t *)p;

	while (len--)
		*v++ = 0;
}

void cdl_pkg_hex(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

const char *cdl_pkg_status_name(cdl_status s)
{
	switch (s) {
	case CDL_OK:
		return "ok";
	case CDL_ERR_INVALID_ARGUMENT:
		return "invalid argument";
	case CDL_ERR_UNSUPPORTED:
		return "unsupported";
	case CDL_ERR_OUT_OF_MEMORY:
		return "out of memory";
	case CDL_ERR_SECURE_MEMORY:
		return "secure memory exhausted";
	case CDL_ERR_INTEGRITY:
		return "integrity failure";
	case CDL_ERR_KEY_MISMATCH:
		return "key mismatch";
	case CDL_ERR_POLICY:
		return "refused by policy";
	case CDL_ERR_QUERY_BUDGET:
		return "query budget exhausted";
	case CDL_ERR_EXPIRED:
		return "expired";
	case CDL_ERR_TEE:
		return "TEE failure";
	case CDL_ERR_MALFORMED:
		return "malformed";
	case CDL_ERR_IO:
		return "I/O error";
	case CDL_ERR_STATE:
		return "wrong state";
	case CDL_ERR_INTERNAL:
		return "internal error";
	}
	return "unknown status";
}

/* Finite IEEE-754 binary32 (the exponent is not all ones). */
static bool f32_finite(uint32_t bits)
{
	return ((bits >> 23) & 0xffu) != 0xffu;
}

static bool f32_positive(uint32_t bits)
{
	return f32_finite(bits) && !(bits >> 31) && (bits & 0x7fffffffu) != 0;
}

static float f32_from_bits(uint32_t bits)
{
	float f = 0.0f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

/* A cursor over the trusted header copy; every read is bounds-checked. */
typedef struct cursor {
	const uint8_t *p;
	size_t len;
	size_t pos;
} cursor;

static bool cur_take(cursor *c, size_t n, const uint8_t **out)
{
	if (n > c->len - c->pos)
		return false;
	*out = c->p + c->pos;
	c->pos += n;
	return true;
}

/* ---- header structure ---------------------------------------------------- */

static cdl_status parse_tensor(cursor *c, cdl_pkg_tensor_info *t, const char *kind, uint32_t index,
			       msg_buf *m)
{
	const uint8_t *p = NULL;
	uint16_t name_len = 0;

	if (!cur_take(c, 2, &p))
		goto truncated;
	name_len = cdl_pkg_get_u16(p);
	if (name_len == 0 || name_len > CDL_PKG_MAX_NAME) {
		msg_put(m, "invalid package: ");
		msg_put(m, kind);
		msg_put(m, " ");
		msg_u64(m, index);
		return fail_u64(m, CDL_ERR_MALFORMED, " name length", name_len, "must be 1..127");
	}
	if (!cur_take(c, name_len, &p))
		goto truncated;
	for (uint16_t i = 0; i < name_len; i++) {
		/* Printable ASCII only: names end up on terminals and in JSON. */
		if (p[i] < 0x20 || p[i] > 0x7e) {
			msg_put(m, "invalid package: ");
			msg_put(m, kind);
			msg_put(m, " ");
			msg_u64(m, index);
			return fail(m, CDL_ERR_MALFORMED,
				    " name has a byte outside printable ASCII");
		}
		t->name[i] = (char)p[i];
	}
	t->name[name_len] = '\0';

	if (!cur_take(c, 2, &p))
		goto truncated;
	t->dtype = p[0];
	t->rank = p[1];
	if (t->dtype == 0)
		return fail(m, CDL_ERR_MALFORMED, "invalid package: tensor dtype is 0 (undefined)");
	if (t->rank > CDL_PKG_MAX_RANK)
		return fail_u64(m, CDL_ERR_MALFORMED, "tensor rank", t->rank, "must be 0..8");
	for (uint8_t d = 0; d < t->rank; d++) {
		int64_t v = 0;

		if (!cur_take(c, 8, &p))
			goto truncated;
		v = (int64_t)cdl_pkg_get_u64(p);
		if (v < 0 || v > CDL_PKG_MAX_DIM)
			return fail(m, CDL_ERR_MALFORMED,
				    "invalid package: tensor dim outside 0..2^32-1");
		t->dims[d] = v;
	}
	return CDL_OK;

truncated:
	msg_put(m, "invalid package: ");
	msg_put(m, kind);
	msg_put(m, " ");
	msg_u64(m, index);
	return fail(m, CDL_ERR_MALFORMED, " runs past the end of the header");
}

/* strcmp is not among the freestanding functions we may use. */
static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static bool names_unique(const cdl_pkg_tensor_info *t, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		for (uint16_t j = (uint16_t)(i + 1); j < n; j++)
			if (str_eq(t[i].name, t[j].name))
				return false;
	return true;
}

static cdl_status parse_preproc(const uint8_t *p, uint32_t len, cdl_pkg_header *h, msg_buf *m)
{
	cdl_pkg_preproc *pp = &h->preproc;
	uint32_t scale_bits = 0;

	if (pp->present)
		return fail(m, CDL_ERR_MALFORMED,
			    "invalid package: more than one preprocessing record");
	if (len < CDL_PKG_PREPROC_FIXED_LEN)
		return fail_u64(m, CDL_ERR_MALFORMED, "preprocessing record length", len,
				"shorter than its fixed part (24)");
	pp->input_index = cdl_pkg_get_u16(p);
	pp->layout = p[2];
	pp->channel_order = p[3];
	pp->height = cdl_pkg_get_u32(p + 4);
	pp->width = cdl_pkg_get_u32(p + 8);
	pp->resize_short = cdl_pkg_get_u32(p + 12);
	scale_bits = cdl_pkg_get_u32(p + 16);
	pp->n_channels = cdl_pkg_get_u16(p + 20);

	if (pp->input_index >= h->n_inputs)
		return fail_u64(m, CDL_ERR_MALFORMED, "preprocessing input index", pp->input_index,
				"must name an input");
	if (pp->layout > CDL_PKG_LAYOUT_NHWC)
		return fail_u64(m, CDL_ERR_MALFORMED, "preprocessing layout", pp->layout,
				"must be 0 (NCHW) or 1 (NHWC)");
	if (pp->channel_order > CDL_PKG_BGR)
		return fail_u64(m, CDL_ERR_MALFORMED, "preprocessing channel order",
				pp->channel_order, "must be 0 (RGB) or 1 (BGR)");
	if (pp->height == 0 || pp->width == 0)
		return fail(m, CDL_ERR_MALFORMED, "invalid package: preprocessing size is 0");
	if (cdl_pkg_get_u16(p + 22) != 0)
		return fail(m, CDL_ERR_MALFORMED,
			    "invalid package: preprocessing reserved field is not 0");
	if (!f32_positive(scale_bits))
		return fail(m, CDL_ERR_MALFORMED,
			    "invalid package: preprocessing scale must be finite and > 0");
	if (pp->n_channels == 0 || pp->n_channels > CDL_PKG_MAX_CHANNELS)
		return fail_u64(m, CDL_ERR_MALFORMED, "preprocessing channel count", pp->n_channels,
				"must be 1..16");
	if (len != CDL_PKG_PREPROC_FIXED_LEN + 8u * pp->n_channels)
		return fail_u64(m, CDL_ERR_MALFORMED, "preprocessing record length", len,
				"must be 24 + 8 * channels");
	pp->scale = f32_from_bits(scale_bits);
	for (uint16_t ch = 0; ch < pp->n_channels; ch++) {
		uint32_t mean = cdl_pkg_get_u32(p + CDL_PKG_PREPROC_FIXED_LEN + 4u * ch);
		uint32_t sd =
		    cdl_pkg_get_u32(p + CDL_PKG_PREPROC_FIXED_LEN + 4u * (pp->n_channels + ch));

		if (!f32_finite(mean) || !f32_positive(sd))
			return fail(m, CDL_ERR_MALFORMED,
				    "invalid package: preprocessing mean must be finite, std "
				    "finite and > 0");
		pp->mean[ch] = f32_from_bits(mean);
		pp->std[ch] = f32_from_bits(sd);
	}
	pp->present = true;
	return CDL_OK;
}

static cdl_status parse_extensions(cursor *c, cdl_pkg_header *h, msg_buf *m)
{
	cdl_status s = CDL_OK;

	for (uint16_t i = 0; i < h->n_ext; i++) {
		const uint8_t *p = NULL;
		uint16_t type = 0, flags = 0;
		uint32_t len = 0;

		if (!cur_take(c, CDL_PKG_EXT_HDR_LEN, &p))
			return fail_u64(m, CDL_ERR_MALFORMED, "extension record", i,
					"runs past the end of the header");
		type = cdl_pkg_get_u16(p);
		flags = cdl_pkg_get_u16(p + 2);
		len = cdl_pkg_get_u32(p + 4);
		if (!cur_take(c, len, &p))
			return fail_u64(m, CDL_ERR_MALFORMED, "extension record length", len,
					"runs past the end of the header");
		if (type == 0)
			return fail(m, CDL_ERR_MALFORMED, "invalid package: extension type 0");
		if (flags & ~CDL_PKG_EXT_CRITICAL)
			return fail_u64(m, CDL_ERR_MALFORMED, "extension flags", flags,
					"only bit 0 (critical) is defined");
		switch (type) {
		case CDL_PKG_EXT_PREPROC:
			s = parse_preproc(p, len, h, m);
			if (s != CDL_OK)
				return s;
			break;
		default:
			/* Unknown: skip unless the writer said it must be understood. */
			if (flags & CDL_PKG_EXT_CRITICAL) {
				msg_put(m, "package needs a newer reader: unknown critical "
					   "extension type ");
				msg_u64(m, type);
				return CDL_ERR_UNSUPPORTED;
			}
			h->n_ext_skipped++;
			break;
		}
	}
	return CDL_OK;
}

/* Step 4: every field of the signed header copy r->raw[0..header_len). */
static cdl_status parse_body(cdl_pkg_reader *r, msg_buf *m)
{
	cdl_pkg_header *h = &r->hdr;
	const uint8_t *raw = r->raw;
	cursor c = {raw, h->header_len - CDL_PKG_WRAPPED_KEY_LEN, CDL_PKG_FIXED_LEN};
	cdl_pkg_policy *pol = &h->policy;
	cdl_status s = CDL_OK;

	memcpy(h->model_id, raw + CDL_PKG_OFF_MODEL_ID, CDL_PKG_MODEL_ID_LEN);
	memcpy(h->package_nonce, raw + CDL_PKG_OFF_NONCE, CDL_PKG_NONCE_LEN);
	memcpy(h->recipient_key_id, raw + CDL_PKG_OFF_RECIPIENT, CDL_PKG_KEY_ID_LEN);
	memcpy(h->ephemeral_pub, raw + CDL_PKG_OFF_EPHEMERAL_PUB, CDL_PKG_PUBKEY_LEN);
	memcpy(h->wrapped_key, raw + h->header_len - CDL_PKG_WRAPPED_KEY_LEN,
	       CDL_PKG_WRAPPED_KEY_LEN);
	if (h->ephemeral_pub[0] != 0x04 || h->provider_pub[0] != 0x04)
		return fail(m, CDL_ERR_MALFORMED,
			    "invalid package: public keys must be uncompressed points (0x04)");

	pol->output_mode = cdl_pkg_get_u16(raw + CDL_PKG_OFF_OUTPUT_MODE);
	pol->topk = cdl_pkg_get_u32(raw + CDL_PKG_OFF_TOPK);
	pol->max_queries = cdl_pkg_get_u64(raw + CDL_PKG_OFF_MAX_QUERIES);
	pol->expiry = cdl_pkg_get_u64(raw + CDL_PKG_OFF_EXPIRY);
	if (pol->output_mode > CDL_PKG_OUTPUT_LABEL)
		return fail_u64(m, CDL_ERR_MALFORMED, "policy output mode", pol->output_mode,
				"must be 0 (full), 1 (top-k) or 2 (label)");
	if (pol->output_mode == CDL_PKG_OUTPUT_TOPK && (pol->topk == 0 || pol->topk > 65535))
		return fail_u64(m, CDL_ERR_MALFORMED, "policy top-k", pol->topk,
				"must be 1..65535");
	if (pol->output_mode != CDL_PKG_OUTPUT_TOPK && pol->topk != 0)
		return fail_u64(m, CDL_ERR_MALFORMED, "policy top-k", pol->topk,
				"must be 0 unless the output mode is top-k");
	if (cdl_pkg_get_u16(raw + CDL_PKG_OFF_RESERVED0) != 0 ||
	    cdl_pkg_get_u16(raw + CDL_PKG_OFF_RESERVED1) != 0)
		return fail(m, CDL_ERR_MALFORMED, "invalid package: reserved field is not 0");

	h->n_inputs = cdl_pkg_get_u16(raw + CDL_PKG_OFF_N_INPUTS);
	h->n_outputs = cdl_pkg_get_u16(raw + CDL_PKG_OFF_N_OUTPUTS);
	h->n_ext = cdl_pkg_get_u16(raw + CDL_PKG_OFF_N_EXT);
	if (h->n_inputs == 0 || h->n_inputs > CDL_PKG_MAX_IO)
		return fail_u64(m, CDL_ERR_MALFORMED, "input count", h->n_inputs, "must be 1..16");
	if (h->n_outputs == 0 || h->n_outputs > CDL_PKG_MAX_IO)
		return fail_u64(m, CDL_ERR_MALFORMED, "output count", h->n_outputs,
				"must be 1..16");
	if (h->n_ext > CDL_PKG_MAX_EXT)
		return fail_u64(m, CDL_ERR_MALFORMED, "extension count", h->n_ext, "must be 0..16");

	for (uint16_t i = 0; i < h->n_inputs; i++) {
		s = parse_tensor(&c, &h->inputs[i], "input", i, m);
		if (s != CDL_OK)
			return s;
	}
	for (uint16_t i = 0; i < h->n_outputs; i++) {
		s = parse_tensor(&c, &h->outputs[i], "output", i, m);
		if (s != CDL_OK)
			return s;
	}
	if (!names_unique(h->inputs, h->n_inputs) || !names_unique(h->outputs, h->n_outputs))
		return fail(m, CDL_ERR_MALFORMED,
			    "invalid package: duplicate input or output name");

	s = parse_extensions(&c, h, m);
	if (s != CDL_OK)
		return s;
	if (c.pos != c.len)
		return fail_u64(m, CDL_ERR_MALFORMED, "unused header bytes", c.len - c.pos,
				"the records must end exactly at the wrapped key");
	return CDL_OK;
}

/*
 * Steps 1 and 2: the fixed sizes. pkg is the trusted copy of the first
 * min(len, CDL_PKG_FIXED_LEN) bytes; len is the length of the whole file.
 */
static cdl_status check_prefix(const uint8_t *pkg, size_t len, cdl_pkg_header *h, msg_buf *m)
{
	uint64_t total = 0;
	uint64_t padded = 0;

	if (len < CDL_PKG_MAGIC_LEN || memcmp(pkg, CDL_PKG_MAGIC, CDL_PKG_MAGIC_LEN) != 0)
		return fail(m, CDL_ERR_MALFORMED, "not a cdl package (bad magic)");
	if (len < CDL_PKG_FIXED_LEN)
		return fail_u64(m, CDL_ERR_INTEGRITY, "package length", len,
				"shorter than the fixed header (250): truncated");

	h->version_major = cdl_pkg_get_u16(pkg + CDL_PKG_OFF_VERSION_MAJOR);
	h->version_minor = cdl_pkg_get_u16(pkg + CDL_PKG_OFF_VERSION_MINOR);
	if (h->version_major != CDL_PKG_VERSION_MAJOR) {
		msg_put(m, "unsupported package format version ");
		msg_u64(m, h->version_major);
		msg_put(m, ".");
		msg_u64(m, h->version_minor);
		msg_put(m, ": this reader reads 1.x");
		return CDL_ERR_UNSUPPORTED;
	}

	h->header_len = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_HEADER_LEN);
	h->block_size = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_SIZE);
	h->block_count = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_COUNT);
	h->stream_len = cdl_pkg_get_u64(pkg + CDL_PKG_OFF_STREAM_LEN);

	if (h->header_len < CDL_PKG_MIN_HEADER || h->header_len > CDL_PKG_MAX_HEADER)
		return fail_u64(m, CDL_ERR_MALFORMED, "header length", h->header_len,
				"must be 298..16384");
	if (h->block_size < CDL_PKG_MIN_BLOCK_SIZE || h->block_size > CDL_PKG_MAX_BLOCK_SIZE ||
	    h->block_size % CDL_PKG_BLOCK_ALIGN)
		return fail_u64(m, CDL_ERR_MALFORMED, "block size", h->block_size,
				"must be a multiple of 4096 in 4 KiB..16 MiB");
	if (h->block_count == 0 || h->block_count > CDL_PKG_MAX_BLOCKS)
		return fail_u64(m, CDL_ERR_MALFORMED, "block count", h->block_count,
				"must be 1..16777216");
	/* Both factors are bounded above, so this cannot overflow. */
	padded = (uint64_t)h->block_count * h->block_size;
	if (h->stream_len > padded || h->stream_len <= padded - h->block_size)
		return fail_u64(m, CDL_ERR_MALFORMED, "stream length", h->stream_len,
				"must end inside the last block");

	if (!cdl_pkg_total_len(h->header_len, h->block_size, h->block_count, &total) ||
	    total != (uint64_t)len) {
		msg_put(m, "package is ");
		msg_u64(m, len);
		msg_put(m, " bytes, its header says ");
		msg_u64(m, total);
		msg_put(m, ": truncated or extended");
		return CDL_ERR_INTEGRITY;
	}
	h->package_len = total;
	return CDL_OK;
}

cdl_status cdl_pkg_parse_header(const uint8_t *pkg, size_t len, const cdl_pkg_crypto *crypto,
				cdl_pkg_reader *r, char *msg, size_t msg_size)
{
	msg_buf m;
	cdl_pkg_header *h = NULL;
	uint8_t hash[CDL_PKG_HASH_LEN];
	uint8_t sig[CDL_PKG_SIG_LEN];
	cdl_status s = CDL_OK;

	msg_init(&m, msg, msg_size);
	if (!r)
		return fail(&m, CDL_ERR_INVALID_ARGUMENT, "failed to parse package: no reader");
	memset(r, 0, sizeof(*r));
	if (!pkg || !crypto || !crypto->sha256 || !crypto->ecdsa_p256_verify)
		return fail(&m, CDL_ERR_INVALID_ARGUMENT,
			    "failed to parse package: NULL buffer or incomplete crypto");
	h = &r->hdr;

	/*
	 * Step 3 starts before step 1: every value is taken from one trusted
	 * copy, first of the fixed part (which says how long the header is),
	 * then of the rest. Reading a field twice from the package buffer could
	 * give two answers.
	 */
	memcpy(r->raw, pkg, len < CDL_PKG_FIXED_LEN ? len : CDL_PKG_FIXED_LEN);
	s = check_prefix(r->raw, len, h, &m);
	if (s != CDL_OK)
		goto out;
	memcpy(r->raw + CDL_PKG_FIXED_LEN, pkg + CDL_PKG_FIXED_LEN,
	       h->header_len - CDL_PKG_FIXED_LEN);
	r->tags = pkg + h->header_len;
	r->blocks = r->tags + (size_t)h->block_count * CDL_PKG_TAG_LEN;
	memcpy(sig, pkg + len - CDL_PKG_SIG_LEN, CDL_PKG_SIG_LEN);
	memcpy(h->provider_pub, r->raw + CDL_PKG_OFF_PROVIDER_PUB, CDL_PKG_PUBKEY_LEN);

	/*
	 * The signed message is header || tags: the header from the trusted
	 * copy, the tags in place. The tags may change under us afterwards,
	 * which is harmless: a tag only ever authenticates its own block under
	 * the secret content key, and each is copied once before that use.
	 */
	s = crypto->sha256(crypto->ctx, r->raw, h->header_len, r->tags,
			   (size_t)h->block_count * CDL_PKG_TAG_LEN, hash);
	if (s != CDL_OK)
		goto crypto_failed;
	s = crypto->ecdsa_p256_verify(crypto->ctx, h->provider_pub, hash, sig);
	if (s == CDL_ERR_INTEGRITY) {
		fail(&m, s, "package signature does not verify: header or tags altered");
		goto out;
	}
	if (s != CDL_OK)
		goto crypto_failed;
	s = crypto->sha256(crypto->ctx, h->provider_pub, CDL_PKG_PUBKEY_LEN, NULL, 0,
			   h->provider_key_id);
	if (s != CDL_OK)
		goto crypto_failed;
	s = crypto->sha256(crypto->ctx, r->raw, h->header_len, NULL, 0, r->header_hash);
	if (s != CDL_OK)
		goto crypto_failed;

	/* Step 4. */
	s = parse_body(r, &m);
	if (s != CDL_OK)
		goto out;
	r->crypto = crypto;
	r->parsed = true;
	return CDL_OK;

crypto_failed:
	msg_put(&m, "failed to verify package: crypto provider returned ");
	msg_put(&m, cdl_pkg_status_name(s));
out:
	cdl_pkg_wipe(r, sizeof(*r));
	return s;
}

const cdl_pkg_header *cdl_pkg_reader_header(const cdl_pkg_reader *r)
{
	return r && r->parsed ? &r->hdr : NULL;
}

/* Unwraps the content key (docs/package-format.md §4) into r->content_key. */
static cdl_status unwrap_content_key(cdl_pkg_reader *r, msg_buf *m)
{
	const cdl_pkg_crypto *c = r->crypto;
	const cdl_pkg_header *h = &r->hdr;
	uint8_t info[CDL_PKG_KEK_INFO_LEN];
	uint8_t kek[CDL_PKG_KEY_LEN];
	uint8_t nonce[CDL_PKG_GCM_NONCE_LEN];
	uint8_t *kdf_hash = info + CDL_PKG_KEK_INFO_PREFIX_LEN;
	cdl_status s = CDL_OK;

	memset(kek, 0, sizeof(kek));
	memset(nonce, 0, sizeof(nonce));
	memcpy(info, CDL_PKG_KEK_INFO_PREFIX, CDL_PKG_KEK_INFO_PREFIX_LEN);
	/* Every header byte but the wrapped key, which cannot cover itself. */
	s = c->sha256(c->ctx, r->raw, h->header_len - CDL_PKG_WRAPPED_KEY_LEN, NULL, 0, kdf_hash);
	if (s != CDL_OK) {
		msg_put(m, "failed to hash package header: ");
		msg_put(m, cdl_pkg_status_name(s));
		goto out;
	}
	s = c->derive_kek(c->ctx, h->ephemeral_pub, h->model_id, CDL_PKG_MODEL_ID_LEN, info,
			  sizeof(info), kek);
	if (s == CDL_ERR_INTEGRITY) {
		msg_put(m, "failed to unwrap the content key: the ephemeral key is not a valid "
			   "P-256 point");
		goto out;
	}
	if (s != CDL_OK) {
		msg_put(m, "failed to derive the key-encryption key: ");
		msg_put(m, cdl_pkg_status_name(s));
		goto out;
	}
	s = c->aes256gcm_decrypt(c->ctx, kek, nonce, kdf_hash, CDL_PKG_HASH_LEN, h->wrapped_key,
				 CDL_PKG_KEY_LEN, h->wrapped_key + CDL_PKG_KEY_LEN, r->content_key);
	if (s == CDL_ERR_INTEGRITY) {
		msg_put(m, "failed to unwrap the content key: the header was changed after packing "
			   "(policy, names, sizes or keys) or the package is damaged");
		goto out;
	}
	if (s != CDL_OK) {
		msg_put(m, "failed to unwrap the content key: ");
		msg_put(m, cdl_pkg_status_name(s));
	}
out:
	cdl_pkg_wipe(kek, sizeof(kek));
	if (s != CDL_OK)
		cdl_pkg_wipe(r->content_key, sizeof(r->content_key));
	return s;
}

cdl_status cdl_pkg_open(const uint8_t *pkg, size_t len, const cdl_pkg_crypto *crypto,
			cdl_pkg_reader *r, char *msg, size_t msg_size)
{
	msg_buf m;
	uint8_t device_id[CDL_PKG_KEY_ID_LEN];
	cdl_status s = CDL_OK;

	s = cdl_pkg_parse_header(pkg, len, crypto, r, msg, msg_size);
	if (s != CDL_OK)
		return s;
	msg_init(&m, msg, msg_size);
	if (!crypto->aes256gcm_decrypt || !crypto->device_key_id || !crypto->derive_kek) {
		s = fail(&m, CDL_ERR_INVALID_ARGUMENT,
			 "failed to open package: the crypto provider has no device key");
		goto out;
	}
	s = crypto->device_key_id(crypto->ctx, device_id);
	if (s != CDL_OK) {
		msg_put(&m, "failed to get the device key id: ");
		msg_put(&m, cdl_pkg_status_name(s));
		goto out;
	}
	/* Key ids are public: no need for a constant-time compare. */
	if (memcmp(device_id, r->hdr.recipient_key_id, CDL_PKG_KEY_ID_LEN) != 0) {
		msg_put(&m, "package is not for this device (key id ");
		msg_hex(&m, r->hdr.recipient_key_id, CDL_PKG_KEY_ID_LEN);
		msg_put(&m, "; this device's key id is ");
		msg_hex(&m, device_id, CDL_PKG_KEY_ID_LEN);
		msg_put(&m, ")");
		s = CDL_ERR_KEY_MISMATCH;
		goto out;
	}
	s = unwrap_content_key(r, &m);
	if (s != CDL_OK)
		goto out;
	r->key_loaded = true;
	return CDL_OK;
out:
	cdl_pkg_wipe(r, sizeof(*r));
	return s;
}

cdl_status cdl_pkg_read_block(cdl_pkg_reader *r, uint32_t index, uint8_t *out, size_t out_size,
			      char *msg, size_t msg_size)
{
	msg_buf m;
	const cdl_pkg_crypto *c = NULL;
	uint8_t tag[CDL_PKG_TAG_LEN];
	uint8_t nonce[CDL_PKG_GCM_NONCE_LEN];
	uint8_t aad[CDL_PKG_BLOCK_AAD_LEN];
	size_t bs = 0;
	cdl_status s = CDL_OK;

	msg_init(&m, msg, msg_size);
	if (!r || !r->key_loaded)
		return fail(&m, r ? CDL_ERR_STATE : CDL_ERR_INVALID_ARGUMENT,
			    "failed to read block: package not open with a device key");
	c = r->crypto;
	bs = r->hdr.block_size;
	if (index >= r->hdr.block_count) {
		msg_put(&m, "failed to read block ");
		msg_u64(&m, index);
		msg_put(&m, ": the package has ");
		msg_u64(&m, r->hdr.block_count);
		return fail(&m, CDL_ERR_INVALID_ARGUMENT, " blocks");
	}
	if (!out || out_size < bs)
		return fail_u64(&m, CDL_ERR_INVALID_ARGUMENT, "output buffer size", out_size,
				"smaller than one block");

	/* Copy first, then decrypt in place: each byte is read once. */
	memcpy(tag, r->tags + (size_t)index * CDL_PKG_TAG_LEN, CDL_PKG_TAG_LEN);
	memcpy(out, r->blocks + (size_t)index * bs, bs);
	cdl_pkg_block_nonce(r->hdr.package_nonce, index, nonce);
	cdl_pkg_block_aad(r->header_hash, index, aad);
	s = c->aes256gcm_decrypt(c->ctx, r->content_key, nonce, aad, sizeof(aad), out, bs, tag,
				 out);
	if (s != CDL_OK) {
		msg_put(&m, "failed to decrypt block ");
		msg_u64(&m, index);
		msg_put(&m, " of ");
		msg_u64(&m, r->hdr.block_count);
		if (s == CDL_ERR_INTEGRITY)
			msg_put(&m, ": authentication failed (block altered, moved or from another "
				    "package)");
		else {
			msg_put(&m, ": ");
			msg_put(&m, cdl_pkg_status_name(s));
		}
		goto out;
	}
	if (index == r->hdr.block_count - 1) {
		size_t used = (size_t)(r->hdr.stream_len - (uint64_t)index * bs);

		for (size_t i = used; i < bs; i++) {
			if (out[i]) {
				s = fail(&m, CDL_ERR_INTEGRITY,
					 "invalid package: the last block's padding is not zero");
				goto out;
			}
		}
	}
out:
	if (s != CDL_OK)
		cdl_pkg_wipe(out, bs);
	return s;
}

cdl_status cdl_pkg_read_range(cdl_pkg_reader *r, uint64_t offset, size_t len, uint8_t *out,
			      uint8_t *scratch, size_t scratch_size, char *msg, size_t msg_size)
{
	msg_buf m;
	uint64_t bs = 0;
	uint64_t first = 0, last = 0;
	size_t done = 0;
	bool used_scratch = false;
	cdl_status s = CDL_OK;

	msg_init(&m, msg, msg_size);
	if (!r || !r->key_loaded)
		return fail(&m, r ? CDL_ERR_STATE : CDL_ERR_INVALID_ARGUMENT,
			    "failed to read range: package not open with a device key");
	if (offset > r->hdr.stream_len || len > r->hdr.stream_len - offset) {
		msg_put(&m, "failed to read stream bytes at ");
		msg_u64(&m, offset);
		msg_put(&m, " length ");
		msg_u64(&m, len);
		msg_put(&m, ": the stream has ");
		msg_u64(&m, r->hdr.stream_len);
		return fail(&m, CDL_ERR_INVALID_ARGUMENT, " bytes");
	}
	if (len == 0)
		return CDL_OK;
	if (!out)
		return fail(&m, CDL_ERR_INVALID_ARGUMENT, "failed to read range: no output buffer");

	bs = r->hdr.block_size;
	first = offset / bs;
	last = (offset + len - 1) / bs;
	for (uint64_t b = first; b <= last; b++) {
		size_t in_off = b == first ? (size_t)(offset - b * bs) : 0;
		size_t n = (size_t)bs - in_off;

		if (n > len - done)
			n = len - done;
		if (n == bs) {
			s = cdl_pkg_read_block(r, (uint32_t)b, out + done, n, msg, msg_size);
		} else {
			if (!scratch || scratch_size < bs) {
				s = fail_u64(&m, CDL_ERR_INVALID_ARGUMENT, "scratch buffer size",
					     scratch_size,
					     "smaller than one block (needed for a partial block)");
				goto out;
			}
			used_scratch = true;
			s = cdl_pkg_read_block(r, (uint32_t)b, scratch, scratch_size, msg,
					       msg_size);
			if (s == CDL_OK)
				memcpy(out + done, scratch + in_off, n);
		}
		if (s != CDL_OK)
			goto out;
		done += n;
	}
out:
	if (used_scratch)
		cdl_pkg_wipe(scratch, (size_t)bs);
	if (s != CDL_OK)
		cdl_pkg_wipe(out, len);
	return s;
}

cdl_status cdl_pkg_verify_blocks(cdl_pkg_reader *r, uint8_t *scratch, size_t scratch_size,
				 char *msg, size_t msg_size)
{
	msg_buf m;
	cdl_status s = CDL_OK;

	msg_init(&m, msg, msg_size);
	if (!r || !r->key_loaded)
		return fail(&m, r ? CDL_ERR_STATE : CDL_ERR_INVALID_ARGUMENT,
			    "failed to verify blocks: package not open with a device key");
	if (!scratch || scratch_size < r->hdr.block_size)
		return fail_u64(&m, CDL_ERR_INVALID_ARGUMENT, "scratch buffer size", scratch_size,
				"smaller than one block");
	for (uint32_t i = 0; i < r->hdr.block_count && s == CDL_OK; i++)
		s = cdl_pkg_read_block(r, i, scratch, scratch_size, msg, msg_size);
	cdl_pkg_wipe(scratch, r->hdr.block_size);
	return s;
}

void cdl_pkg_close(cdl_pkg_reader *r)
{
	if (r)
		cdl_pkg_wipe(r, sizeof(*r));
}
