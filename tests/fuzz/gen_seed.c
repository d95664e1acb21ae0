/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpus for fuzz_package into DIR: a few valid packages
 * for the fixed fuzz keys, each in the three harness modes (fuzz_keys.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/keys.h"
#include "format/writer.h"
#include "fuzz_keys.h"

static int write_seed(const char *dir, const char *name, unsigned int mode, const uint8_t *data,
		      size_t len)
{
	char path[4096];
	FILE *f = NULL;
	uint8_t m = (uint8_t)mode;
	int ok = 0;

	snprintf(path, sizeof(path), "%s/%s-%u", dir, name, mode);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(&m, 1, 1, f) == 1 && fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	EVP_PKEY *device = NULL, *provider = NULL;
	cdl_pkg_tensor_info in[2], out[1];
	cdl_pkg_preproc pp;
	static const uint8_t ext_data[3] = {9, 8, 7};
	cdl_pkg_ext ext = {0x4242, 0, ext_data, sizeof(ext_data)};
	uint8_t plan[9000];
	char msg[256];
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (cdl_key_private_from_pem(fuzz_device_key_pem, sizeof(fuzz_device_key_pem) - 1, &device,
				     msg, sizeof(msg)) != CDL_OK ||
	    cdl_key_private_from_pem(fuzz_provider_key_pem, sizeof(fuzz_provider_key_pem) - 1,
				     &provider, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "gen_seed: %s\n", msg);
		goto out;
	}
	for (size_t i = 0; i < sizeof(plan); i++)
		plan[i] = (uint8_t)(i * 7 + (i >> 8));
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	snprintf(in[0].name, sizeof(in[0].name), "image");
	in[0].dtype = 1;
	in[0].rank = 4;
	in[0].dims[0] = 1;
	in[0].dims[1] = 3;
	in[0].dims[2] = 32;
	in[0].dims[3] = 32;
	snprintf(in[1].name, sizeof(in[1].name), "mask");
	in[1].dtype = 9;
	in[1].rank = 0;
	snprintf(out[0].name, sizeof(out[0].name), "scores");
	out[0].dtype = 1;
	out[0].rank = 2;
	out[0].dims[0] = 1;
	out[0].dims[1] = 10;
	memset(&pp, 0, sizeof(pp));
	pp.present = true;
	pp.height = pp.width = 32;
	pp.scale = 1.0f / 255.0f;
	pp.n_channels = 3;
	for (int c = 0; c < 3; c++) {
		pp.mean[c] = 0.5f;
		pp.std[c] = 0.25f;
	}

	for (int cfg = 0; cfg < 3; cfg++) {
		cdl_pkg_write_params p;
		uint8_t *pkg = NULL;
		size_t len = 0;
		char name[32];
		uint32_t hl = 0;

		memset(&p, 0, sizeof(p));
		p.plan = plan;
		p.plan_len = cfg == 0 ? sizeof(plan) : cfg == 1 ? 100 : 4096;
		p.inputs = in;
		p.n_inputs = cfg == 0 ? 2 : 1;
		p.outputs = out;
		p.n_outputs = 1;
		p.policy.output_mode = cfg == 2	  ? CDL_PKG_OUTPUT_TOPK
				       : cfg == 1 ? CDL_PKG_OUTPUT_LABEL
						  : CDL_PKG_OUTPUT_FULL;
		p.policy.topk = cfg == 2 ? 3 : 0;
		p.policy.max_queries = cfg * 10u;
		p.preproc = cfg == 1 ? NULL : &pp;
		p.extra_ext = cfg == 1 ? &ext : NULL;
		p.n_extra_ext = cfg == 1 ? 1 : 0;
		p.device_pub = device;
		p.provider_key = provider;
		p.block_size = 4096;
		if (cdl_pkg_write(&p, &pkg, &len, NULL, msg, sizeof(msg)) != CDL_OK) {
			fprintf(stderr, "gen_seed: %s\n", msg);
			goto out;
		}
		hl = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_HEADER_LEN);
		snprintf(name, sizeof(name), "pkg%d", cfg);
		if (write_seed(argv[1], name, FUZZ_MODE_RAW, pkg, len) ||
		    write_seed(argv[1], name, FUZZ_MODE_RESIGN, pkg, len) ||
		    write_seed(argv[1], name, FUZZ_MODE_RESEAL, pkg, hl)) {
			fprintf(stderr, "gen_seed: cannot write into %s\n", argv[1]);
			free(pkg);
			goto out;
		}
		free(pkg);
	}
	rc = 0;
out:
	EVP_PKEY_free(device);
	EVP_PKEY_free(provider);
	return rc;
}
