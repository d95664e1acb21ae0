// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cdl_cli_command commands[] = {
	{ "check-onnx", "run ONNX backend-style test cases through import, plan and engine",
	  cdl_cmd_check_onnx },
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
