/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Package throughput: pack (cdl_pkg_write: copy, AES-256-GCM, ECDH wrap,
 * ECDSA sign, read-back check) and the reader's decrypt (cdl_pkg_read_block /
 * cdl_pkg_read_range through the OpenSSL crypto provider) for a synthetic
 * resnet18-sized plan (45 MB by default). A benchmark, not a test: it
 * reports figures and checks only that the round trip is exact.
 *
 *   bench_package [MEGABYTES] [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/crypto_openssl.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"

/*
 * CPU time of this (single-threaded) process: on a shared, loaded machine
 * wall-clock figures mostly measure the neighbours. Both are printed.
 */
static clockid_t g_clock = CLOCK_PROCESS_CPUTIME_ID;

static double now(void)
{
	struct timespec ts;

	clock_gettime(g_clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 45;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	size_t plan_len = mb * 1000 * 1000;
	static const uint32_t block_sizes[] = {4096, 65536, 1u << 20};
	EVP_PKEY *device = NULL, *provider = NULL;
	cdl_pkg_tensor_info in, out;
	uint8_t *plan = NULL;
	char msg[512];
	uint64_t st = 88172645463325252ull;

	if (mb == 0 || reps < 1 || reps > 100) {
		fprintf(stderr, "usage: %s [MEGABYTES] [REPEATS]\n", argv[0]);
		return 2;
	}
	plan = malloc(plan_len);
	if (!plan || cdl_key_generate(&device, msg, sizeof(msg)) != CDL_OK ||
	    cdl_key_generate(&provider, msg, sizeof(msg)) != CDL_OK) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	/* Weight-like bytes: the cipher does not care, the page cache does. */
	for (size_t i = 0; i < plan_len; i++) {
		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		plan[i] = (uint8_t)st;
	}
	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	snprintf(in.name, sizeof(in.name), "input");
	in.dtype = 1;
	in.rank = 4;
	in.dims[0] = 1;
	in.dims[1] = 3;
	in.dims[2] = in.dims[3] = 224;
	snprintf(out.name, sizeof(out.name), "output");
	out.dtype = 1;
	out.rank = 2;
	out.dims[0] = 1;
	out.dims[1] = 1000;

	printf("plan %.1f MB, median of %d runs, %s\n", plan_len / 1e6, reps,
	       OpenSSL_version(OPENSSL_VERSION));
	for (int clk = 0; clk < 2; clk++) {
		g_clock = clk == 0 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
		printf("\n%s time\n", clk == 0 ? "CPU" : "wall-clock");
		printf("%-10s %12s %12s %12s %12s %12s\n", "block", "pack MB/s", "open ms",
		       "read_block", "read_range", "verify_all");
		printf("%-10s %12s %12s %12s %12s %12s\n", "", "", "", "MB/s", "MB/s", "MB/s");
		for (size_t b = 0; b < sizeof(block_sizes) / sizeof(block_sizes[0]); b++) {
			uint32_t bs = block_sizes[b];
			double t_pack[100], t_open[100], t_block[100], t_range[100], t_verify[100];
			uint8_t *pkg = NULL, *dst = malloc(plan_len + bs), *scratch = malloc(bs);
			size_t pkg_len = 0;
			cdl_pkg_openssl o;
			cdl_pkg_reader *r = calloc(1, sizeof(*r));

			if (!dst || !scratch || !r || cdl_pkg_openssl_init(&o, device) != CDL_OK)
				return 1;
			for (int k = 0; k < reps; k++) {
				cdl_pkg_write_params p;
				double t0 = 0;

				memset(&p, 0, sizeof(p));
				p.plan = plan;
				p.plan_len = plan_len;
				p.inputs = &in;
				p.n_inputs = 1;
				p.outputs = &out;
				p.n_outputs = 1;
				p.device_pub = device;
				p.provider_key = provider;
				p.block_size = bs;
				free(pkg);
				pkg = NULL;
				t0 = now();
				if (cdl_pkg_write(&p, &pkg, &pkg_len, NULL, msg, sizeof(msg)) !=
				    CDL_OK) {
					fprintf(stderr, "pack failed: %s\n", msg);
					return 1;
				}
				t_pack[k] = now() - t0;

				t0 = now();
				if (cdl_pkg_open(pkg, pkg_len, &o.crypto, r, msg, sizeof(msg)) !=
				    CDL_OK) {
					fprintf(stderr, "open failed: %s\n", msg);
					return 1;
				}
				t_open[k] = now() - t0;

				/* Block by block into one place: the streaming TA's pattern. */
				t0 = now();
				for (uint32_t i = 0; i < r->hdr.block_count; i++) {
					if (cdl_pkg_read_block(r, i, dst + (size_t)i * bs, bs, msg,
							       sizeof(msg)) != CDL_OK) {
						fprintf(stderr, "read failed: %s\n", msg);
						return 1;
					}
				}
				t_block[k] = now() - t0;
				if (memcmp(dst, plan, plan_len) != 0) {
					fprintf(stderr, "round trip differs\n");
					return 1;
				}
				memset(dst, 0, plan_len);
				t0 = now();
				if (cdl_pkg_read_range(r, 0, plan_len, dst, scratch, bs, msg,
						       sizeof(msg)) != CDL_OK) {
					fprintf(stderr, "range failed: %s\n", msg);
					return 1;
				}
				t_range[k] = now() - t0;
				if (memcmp(dst, plan, plan_len) != 0) {
					fprintf(stderr, "range round trip differs\n");
					return 1;
				}
				t0 = now();
				if (cdl_pkg_verify_blocks(r, scratch, bs, msg, sizeof(msg)) !=
				    CDL_OK) {
					fprintf(stderr, "verify failed: %s\n", msg);
					return 1;
				}
				t_verify[k] = now() - t0;
				cdl_pkg_close(r);
			}
			printf("%-10u %12.0f %12.2f %12.0f %12.0f %12.0f\n", bs,
			       plan_len / 1e6 / median(t_pack, reps), 1e3 * median(t_open, reps),
			       plan_len / 1e6 / median(t_block, reps),
			       plan_len / 1e6 / median(t_range, reps),
			       plan_len / 1e6 / median(t_verify, reps));
			cdl_pkg_openssl_fini(&o);
			free(pkg);
			free(dst);
			free(scratch);
			free(r);
		}
	}
	EVP_PKEY_free(device);
	EVP_PKEY_free(provider);
	free(plan);
	return 0;
}
