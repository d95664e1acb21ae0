/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"

int t_failures;

uint64_t rnd_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static EVP_PKEY *gen_key(void)
{
	EVP_PKEY *k = NULL;
	char msg[256];

	if (cdl_key_generate(&k, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "key generation failed: %s\n", msg);
		abort();
	}
	return k;
}

/*
 * Looks like a plan: a magic, a table of named records, float32 weights with
 * smooth structure (like trained filters) and a few constant runs, so that an
 * encryption that leaked structure (ECB-like, reused keystream) would show.
 * No run of 16 zero bytes: the header has some, by design public.
 */
uint8_t *make_plan(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint64_t st = 0x9E3779B97F4A7C15ull ^ seed;
	size_t pos = 0;
	uint32_t rec = 0;

	if (!p)
		abort();
	static const char magic[] = "CDLPLAN";
	for (size_t i = 0; i < 8 && pos < len; i++)
		p[pos++] = (uint8_t)(i < 7 ? magic[i] : 1);
	while (pos < len) {
		char name[40];
		int n = snprintf(name, sizeof(name), "layer%05u.weight.%08x", rec,
				 (uint32_t)rnd_next(&st));
		size_t count = 64 + rnd_next(&st) % 2048;

		for (int i = 0; i < n && pos < len; i++)
			p[pos++] = (uint8_t)name[i];
		/* A constant run, as in biases initialised to the same value. */
		for (int i = 0; i < 64 && pos < len; i++)
			p[pos++] = (uint8_t)(0x11 + (i & 3));
		for (size_t i = 0; i < count && pos < len; i++) {
			float v = (float)(sin((double)i * 0.01 * (rec + 1)) * 0.5 +
					  (double)(rnd_next(&st) % 1000) * 1e-6 + 1e-3);
			uint8_t b[4];

			memcpy(b, &v, 4);
			for (int k = 0; k < 4 && pos < len; k++)
				p[pos++] = b[k];
		}
		rec++;
	}
	return p;
}

void fixture_init(fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->provider = gen_key();
	f->attacker = gen_key();
	f->device = gen_key();
	f->other_device = gen_key();
	f->plan_len = 300 * 1024 + 123; /* partial last block at every block size */
	f->plan = make_plan(f->plan_len, 1);

	snprintf(f->inputs[0].name, sizeof(f->inputs[0].name), "input");
	f->inputs[0].dtype = 1;
	f->inputs[0].rank = 4;
	f->inputs[0].dims[0] = 1;
	f->inputs[0].dims[1] = 3;
	f->inputs[0].dims[2] = 224;
	f->inputs[0].dims[3] = 224;
	snprintf(f->outputs[0].name, sizeof(f->outputs[0].name), "logits");
	f->outputs[0].dtype = 1;
	f->outputs[0].rank = 2;
	f->outputs[0].dims[0] = 1;
	f->outputs[0].dims[1] = 1000;
	snprintf(f->outputs[1].name, sizeof(f->outputs[1].name), "feat");
	f->outputs[1].dtype = 1;
	f->outputs[1].rank = 2;
	f->outputs[1].dims[0] = 1;
	f->outputs[1].dims[1] = 512;

	f->preproc.present = true;
	f->preproc.input_index = 0;
	f->preproc.layout = CDL_PKG_LAYOUT_NCHW;
	f->preproc.channel_order = CDL_PKG_RGB;
	f->preproc.height = 224;
	f->preproc.width = 224;
	f->preproc.resize_short = 256;
	f->preproc.scale = 1.0f / 255.0f;
	f->preproc.n_channels = 3;
	f->preproc.mean[0] = 0.485f;
	f->preproc.mean[1] = 0.456f;
	f->preproc.mean[2] = 0.406f;
	f->preproc.std[0] = 0.229f;
	f->preproc.std[1] = 0.224f;
	f->preproc.std[2] = 0.225f;

	f->policy.output_mode = CDL_PKG_OUTPUT_TOPK;
	f->policy.topk = 5;
	f->policy.max_queries = 1000;
	f->policy.expiry = 1893456000; /* 2030-01-01 */
}

void fixture_fini(fixture *f)
{
	EVP_PKEY_free(f->provider);
	EVP_PKEY_free(f->attacker);
	EVP_PKEY_free(f->device);
	EVP_PKEY_free(f->other_device);
	free(f->plan);
	memset(f, 0, sizeof(*f));
}

uint8_t *write_pkg(const fixture *f, const uint8_t *plan, size_t plan_len, uint32_t block_size,
		   size_t *len)
{
	cdl_pkg_write_params p;
	uint8_t *out = NULL;
	char msg[256];
	cdl_status s;

	memset(&p, 0, sizeof(p));
	p.plan = plan;
	p.plan_len = plan_len;
	p.inputs = f->inputs;
	p.n_inputs = 1;
	p.outputs = f->outputs;
	p.n_outputs = 2;
	p.policy = f->policy;
	p.preproc = &f->preproc;
	p.device_pub = f->device;
	p.provider_key = f->provider;
	p.block_size = block_size;
	s = cdl_pkg_write(&p, &out, len, NULL, msg, sizeof(msg));
	if (s != CDL_OK) {
		fprintf(stderr, "cdl_pkg_write failed: %s\n", msg);
		abort();
	}
	return out;
}

cdl_status open_full(const uint8_t *pkg, size_t len, EVP_PKEY *device, const uint8_t *plan,
		     size_t plan_len, char *msg, size_t msg_size)
{
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	uint8_t *scratch = NULL, *out = NULL;
	cdl_status s = CDL_OK;

	if (!r || cdl_pkg_openssl_init(&o, device) != CDL_OK)
		abort();
	s = cdl_pkg_open(pkg, len, &o.crypto, r, msg, msg_size);
	if (s != CDL_OK)
		goto out;
	scratch = malloc(r->hdr.block_size);
	out = malloc(r->hdr.stream_len);
	if (!scratch || !out)
		abort();
	s = cdl_pkg_verify_blocks(r, scratch, r->hdr.block_size, msg, msg_size);
	if (s != CDL_OK)
		goto out;
	s = cdl_pkg_read_range(r, 0, r->hdr.stream_len, out, scratch, r->hdr.block_size, msg,
			       msg_size);
	if (s != CDL_OK)
		goto out;
	if (plan && (plan_len != r->hdr.stream_len || memcmp(plan, out, plan_len) != 0)) {
		/* A successful open with a wrong plan: the worst outcome. */
		snprintf(msg, msg_size, "opened, but the plaintext differs from the original");
		s = CDL_ERR_INTERNAL;
	}
out:
	cdl_pkg_close(r);
	cdl_pkg_openssl_fini(&o);
	free(r);
	free(scratch);
	free(out);
	return s;
}

cdl_status parse_only(const uint8_t *pkg, size_t len, cdl_pkg_header *hdr, char *msg,
		      size_t msg_size)
{
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = calloc(1, sizeof(*r));
	cdl_status s = CDL_OK;

	if (!r || cdl_pkg_openssl_init(&o, NULL) != CDL_OK)
		abort();
	s = cdl_pkg_parse_header(pkg, len, &o.crypto, r, msg, msg_size);
	if (s == CDL_OK && hdr)
		*hdr = r->hdr;
	cdl_pkg_close(r);
	cdl_pkg_openssl_fini(&o);
	free(r);
	return s;
}

void resign(uint8_t *pkg, size_t len, EVP_PKEY *key)
{
	char msg[256];

	if (cdl_pkg_sign(pkg, len, key, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "resign failed: %s\n", msg);
		abort();
	}
}

uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	if (!q)
		abort();
	if (len)
		memcpy(q, p, len);
	return q;
}
