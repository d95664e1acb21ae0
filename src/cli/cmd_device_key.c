// SPDX-License-Identifier: Apache-2.0
/*
 * cdl device-key [-o FILE]: this device's public key as PEM, generated inside
 * the TA on first use. A provider packs models for it (`cdl pack --device`).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli_tee.h"
#include "format/reader.h"
#include "format/writer.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cdl device-key [-o FILE] [--tee SOCKET]\n"
		"  Prints this device's P-256 public key (PEM) and, on stderr, its key id\n"
		"  (the fingerprint packages name as their recipient). The key pair is made\n"
		"  inside the TEE on first use; its private half never leaves it.\n"
		"  -o FILE        write the PEM to FILE instead of stdout\n"
		"  --tee SOCKET   use a shared `cdl-tee --listen SOCKET` (default: spawn one)\n");
}

int cdl_cmd_device_key(int argc, char **argv)
{
	static const struct option long_opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"tee", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	cdl_context_options opts = {0};
	const char *out_path = NULL;
	cdl_context *ctx = NULL;
	uint8_t id[CDL_DEVICE_KEY_ID_LEN];
	char hex[2 * CDL_DEVICE_KEY_ID_LEN + 1];
	char pem[512], msg[512];
	size_t pem_len = 0;
	cdl_status status = CDL_OK;
	int c = 0, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case 't':
			opts.tee_socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	status = cdl_context_create(&opts, &ctx);
	if (status == CDL_OK)
		status = cdl_device_public_key(ctx, pem, sizeof(pem), &pem_len);
	if (status == CDL_OK)
		status = cdl_device_key(ctx, NULL, id);
	if (status != CDL_OK) {
		fprintf(stderr, "cdl device-key: %s\n", cdl_last_error());
		goto out;
	}
	cdl_pkg_hex(id, sizeof(id), hex);
	if (out_path) {
		status =
		    cdl_pkg_write_file(out_path, (const uint8_t *)pem, pem_len, msg, sizeof(msg));
		if (status != CDL_OK) {
			fprintf(stderr, "cdl device-key: failed to write %s: %s\n", out_path, msg);
			goto out;
		}
		fprintf(stderr, "device key written to %s\n", out_path);
	} else {
		fputs(pem, stdout);
	}
	fprintf(stderr, "device key id %s\n", hex);
	rc = 0;
out:
	cdl_context_delete(ctx);
	return rc;
}
