/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `cdl pack` and the reader on a real model (default: resnet18 from
 * scripts/make_models.py). Per repetition:
 *   compile  cdl_compile_onnx_file: import, optimise, plan, serialise
 *   seal     cdl_pkg_write: copy, AES-256-GCM of every block, ECDH key wrap,
 *            ECDSA signature, read-back check of the header
 *   file     cdl_pkg_write_file: temporary file, fsync, rename
 *   open     cdl_pkg_open with the device key: header, signature, unwrap
 *   decrypt  cdl_pkg_read_block of every block into one trusted buffer
 * Throughputs are MB (10^6 bytes) of plan per second; medians of REPEATS.
 * A benchmark, not a test: the only check is that the round trip is exact.
 *
 *   bench_pack_model [MODEL.onnx] [REPEATS] [BLOCK_SIZE...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/crypto_openssl.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"
#include "provider/provider.h"

#define MAX_REPS 50
#define MAX_BLOCK_SIZES 8

typedef struct clocks {
	double wall, cpu;
} clocks;

static clocks now(void)
{
	struct timespec w, c;

	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	return (clocks){(double)w.tv_sec + (double)w.tv_nsec * 1e-9,
			(double)c.tv_sec + (double)c.tv_nsec * 1e-9};
}

static clocks since(clocks t0)
{
	clocks t = now();

	return (clocks){t.wall - t0.wall, t.cpu - t0.cpu};
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_REPS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_pack_model: %s: %s\n", what, msg);
	exit(1);
}

/* One row: median wall and CPU seconds, and MB/s of bytes by each (if bytes). */
static void report(const char *what, const clocks *t, int n, size_t bytes)
{
	double w[MAX_REPS], c[MAX_REPS];

	for (int i = 0; i < n; i++) {
		w[i] = t[i].wall;
		c[i] = t[i].cpu;
	}
	if (!bytes) {
		printf("  %-9s %8.2f ms wall                  %8.2f ms cpu  (fixed cost)\n", what,
		       median(w, n) * 1e3, median(c, n) * 1e3);
		return;
	}
	printf("  %-9s %8.1f ms wall %8.1f MB/s   %8.1f ms cpu %8.1f MB/s\n", what,
	       median(w, n) * 1e3, (double)bytes / 1e6 / median(w, n), median(c, n) * 1e3,
	       (double)bytes / 1e6 / median(c, n));
}

int main(int argc, char **argv)
{
	const char *model = argc > 1 ? argv[1] : "models/cache/resnet18/model.onnx";
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	uint32_t block_sizes[MAX_BLOCK_SIZES] = {65536, 4096, 1u << 20};
	int n_bs = 3;
	char msg[1024] = "";
	char path[] = "/tmp/bench_pack_model_XXXXXX";
	EVP_PKEY *device = NULL, *provider = NULL;
	cdl_pkg_openssl o;
	cdl_pkg_reader *rd = calloc(1, sizeof(*rd));
	uint8_t *plan = NULL, *check = NULL;
	size_t plan_len = 0, check_len = 0;
	clocks t_compile[MAX_REPS];
	int fd = -1;

	if (reps < 1 || reps > MAX_REPS || !rd) {
		fprintf(stderr, "usage: %s [MODEL.onnx] [REPEATS 1..%d] [BLOCK_SIZE...]\n", argv[0],
			MAX_REPS);
		return 2;
	}
	if (argc > 3) {
		n_bs = 0;
		for (int i = 3; i < argc && n_bs < MAX_BLOCK_SIZES; i++)
			block_sizes[n_bs++] = (uint32_t)strtoul(argv[i], NULL, 0);
	}
	if (cdl_key_generate(&device, msg, sizeof(msg)) != CDL_OK ||
	    cdl_key_generate(&provider, msg, sizeof(msg)) != CDL_OK)
		die("keys", msg);
	if (cdl_pkg_openssl_init(&o, device) != CDL_OK)
		die("openssl", "init");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp", path);
	close(fd);

	for (int r = 0; r < reps; r++) {
		clocks t0 = now();

		free(check);
		if (cdl_compile_onnx_file(model, NULL, 0, r ? &check : &plan,
					  r ? &check_len : &plan_len, msg, sizeof(msg)) != CDL_OK)
			die(model, msg);
		t_compile[r] = since(t0);
		if (r && (check_len != plan_len || memcmp(check, plan, plan_len)))
			die(model, "the plan differs between two compilations");
	}
	printf("%s: plan %.2f MB; medians of %d, MB = 10^6 bytes of plan\n", model,
	       (double)plan_len / 1e6, reps);
	report("compile", t_compile, reps, plan_len);

	for (int b = 0; b < n_bs; b++) {
		clocks t_seal[MAX_REPS], t_file[MAX_REPS], t_open[MAX_REPS], t_dec[MAX_REPS];
		cdl_pkg_tensor_info in, out;
		cdl_pkg_write_params p;
		uint8_t *pkg = NULL, *stream = NULL;
		size_t pkg_len = 0;
		uint32_t blocks = 0;

		memset(&in, 0, sizeof(in));
		memset(&out, 0, sizeof(out));
		snprintf(in.name, sizeof(in.name), "input");
		in.dtype = 1;
		in.rank = 4;
		in.dims[0] = 1;
		in.dims[1] = 3;
		in.dims[2] = in.dims[3] = 224;
		snprintf(out.name, sizeof(out.name), "logits");
		out.dtype = 1;
		out.rank = 2;
		out.dims[0] = 1;
		out.dims[1] = 1000;
		memset(&p, 0, sizeof(p));
		p.plan = plan;
		p.plan_len = plan_len;
		p.inputs = &in;
		p.n_inputs = 1;
		p.outputs = &out;
		p.n_outputs = 1;
		p.device_pub = device;
		p.provider_key = provider;
		p.block_size = block_sizes[b];

		for (int r = 0; r < reps; r++) {
			clocks t0 = now();

			free(pkg);
			if (cdl_pkg_write(&p, &pkg, &pkg_len, NULL, msg, sizeof(msg)) != CDL_OK)
				die("seal", msg);
			t_seal[r] = since(t0);
			t0 = now();
			if (cdl_pkg_write_file(path, pkg, pkg_len, msg, sizeof(msg)) != CDL_OK)
				die("file", msg);
			t_file[r] = since(t0);
		}
		blocks = cdl_pkg_get_u32(pkg + CDL_PKG_OFF_BLOCK_COUNT);
		stream = aligned_alloc(64, ((size_t)blocks * block_sizes[b] + 63) / 64 * 64);
		if (!stream)
			die("decrypt", "out of memory");
		for (int r = 0; r < reps; r++) {
			clocks t0 = now();

			if (cdl_pkg_open(pkg, pkg_len, &o.crypto, rd, msg, sizeof(msg)) != CDL_OK)
				die("open", msg);
			t_open[r] = since(t0);
			t0 = now();
			for (uint32_t i = 0; i < blocks; i++)
				if (cdl_pkg_read_block(rd, i, stream + (size_t)i * block_sizes[b],
						       block_sizes[b], msg, sizeof(msg)) != CDL_OK)
					die("decrypt", msg);
			t_dec[r] = since(t0);
			if (memcmp(stream, plan, plan_len) != 0)
				die("decrypt", "the stream differs from the plan");
			cdl_pkg_close(rd);
		}
		printf("block size %u: %u blocks, package %.2f MB\n", block_sizes[b], blocks,
		       (double)pkg_len / 1e6);
		report("seal", t_seal, reps, plan_len);
		report("file", t_file, reps, plan_len);
		report("open", t_open, reps, 0);
		report("decrypt", t_dec, reps, plan_len);
		{
			/* What `cdl pack` costs end to end: compile + seal + file. */
			clocks t_pack[MAX_REPS];

			for (int r = 0; r < reps; r++)
				t_pack[r] =
				    (clocks){t_compile[r].wall + t_seal[r].wall + t_file[r].wall,
					     t_compile[r].cpu + t_seal[r].cpu + t_file[r].cpu};
			report("pack", t_pack, reps, plan_len);
		}
		free(stream);
		free(pkg);
	}
	unlink(path);
	cdl_pkg_openssl_fini(&o);
	free(rd);
	free(plan);
	free(check);
	EVP_PKEY_free(device);
	EVP_PKEY_free(provider);
	return 0;
}
