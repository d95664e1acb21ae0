// SPDX-License-Identifier: Apache-2.0
/*
 * cdl inspect [--json] PACKAGE: shows a package's public header after
 * checking its integrity and the provider's signature. Needs no key and
 * decrypts nothing (docs/package-format.md §7, steps 1-7).
 */
#include <getopt.h>
#include <stdio.h>

#include "cmd_package.h"
#include "format/inspect.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: cdl inspect [--json] PACKAGE.cdlm\n"
		   "\n"
		   "Verifies the package's header and provider signature (no key needed,\n"
		   "nothing is decrypted) and prints the public header: format version, model\n"
		   "id, provider key fingerprint, recipient key id, policy, inputs and outputs,\n"
		   "preprocessing, block size and count, sizes.\n"
		   "\n"
		   "  --json   one JSON object on stdout instead of text\n"
		   "\n"
		   "Exit status: 0 valid, 1 not a valid package (one line on stderr says why),\n"
		   "2 usage error.\n");
}

int cdl_cmd_inspect(int argc, char **argv)
{
	static const struct option long_opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char msg[512] = "";
	bool json = false;
	cdl_status s = CDL_OK;
	int c = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"cdl inspect: unknown option %s (run 'cdl inspect --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "cdl inspect: %s (run 'cdl inspect --help')\n",
			optind == argc ? "missing PACKAGE" : "one PACKAGE at a time");
		return 2;
	}
	s = cdl_pkg_inspect_file(argv[optind], stdout, json, msg, sizeof(msg));
	if (s != CDL_OK) {
		fflush(stdout);
		fprintf(stderr, "cdl inspect: %s\n", msg);
		return 1;
	}
	if (fflush(stdout) != 0) {
		perror("cdl inspect: failed to write the output");
		return 1;
	}
	return 0;
}
