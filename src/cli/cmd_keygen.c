// SPDX-License-Identifier: Apache-2.0
/*
 * cdl keygen -o NAME: a provider's P-256 signing key pair as PEM files,
 * NAME.key (private, mode 0600) and NAME.pub. Never overwrites either file.
 * The fingerprint it prints is what `cdl inspect` shows as the provider key
 * of every package signed with it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_package.h"
#include "format/keys.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: cdl keygen -o NAME\n"
		   "\n"
		   "Generates a provider P-256 key pair for signing packages:\n"
		   "  NAME.key  private key (PKCS#8 PEM, unencrypted, mode 0600): keep it secret\n"
		   "  NAME.pub  public key (SubjectPublicKeyInfo PEM)\n"
		   "Refuses to overwrite an existing NAME.key or NAME.pub. A trailing .key or\n"
		   ".pub on NAME is dropped. Prints the key's fingerprint (SHA-256 of its\n"
		   "uncompressed public point), which `cdl inspect` shows as the provider key.\n"
		   "\n"
		   "Device keys are made by the device's TEE (`cdl device-key`), not here.\n");
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

int cdl_cmd_keygen(int argc, char **argv)
{
	static const struct option long_opts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char fingerprint[CDL_KEY_FINGERPRINT_HEX_LEN] = "";
	char msg[512] = "";
	char *name = NULL;
	const char *out = NULL;
	cdl_status s = CDL_OK;
	int c = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "cdl keygen: %s needs a value (run 'cdl keygen --help')\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "cdl keygen: unknown option %s (run 'cdl keygen --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cdl keygen: unexpected argument '%s' (run 'cdl keygen --help')\n",
			argv[optind]);
		return 2;
	}
	if (!out || !*out) {
		fprintf(stderr, "cdl keygen: missing -o NAME (run 'cdl keygen --help')\n");
		return 2;
	}
	name = strdup(out);
	if (!name) {
		fprintf(stderr, "cdl keygen: out of memory\n");
		return 1;
	}
	/* "-o provider.key" means the pair provider.key + provider.pub. */
	if (ends_with(name, ".key") || ends_with(name, ".pub"))
		name[strlen(name) - 4] = '\0';

	s = cdl_key_generate_files(name, fingerprint, msg, sizeof(msg));
	if (s != CDL_OK) {
		fprintf(stderr, "cdl keygen: %s\n", msg);
		free(name);
		return 1;
	}
	printf("wrote %s.key (private, mode 0600) and %s.pub\n", name, name);
	printf("fingerprint %s\n", fingerprint);
	free(name);
	return 0;
}
