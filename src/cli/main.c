// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_package.h"
#include "cli_tee.h"

int cdl_cmd_bench(int argc, char **argv);

static const cdl_cli_command commands[] = {
	{ "check-onnx", "run ONNX backend-style test cases through import, plan and engine",
	  cdl_cmd_check_onnx },
	{ "keygen", "make a provider P-256 signing key pair (NAME.key, NAME.pub)", cdl_cmd_keygen },
	{ "pack", "compile an ONNX model into an encrypted, signed package for one device",
	  cdl_cmd_pack },
	{ "inspect", "verify a package and show its public header (no key needed)",
	  cdl_cmd_inspect },
	{ "device-key", "print this device's public key (PEM), what packages are made for",
	  cdl_cmd_device_key },
	{ "run", "run a packaged model inside the TEE on an image, .npy or .pb input",
	  cdl_cmd_run },
	{ "bench", "latency: plain engine, TEE resident/stream and ONNX Runtime", cdl_cmd_bench },
};

bool cdl_cli_is_tty(void)
{
	return isatty(STDERR_FILENO);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cdl <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nrun 'cdl <command> --help' for a command's options\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "cdl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
