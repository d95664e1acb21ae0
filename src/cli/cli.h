/* SPDX-License-Identifier: Apache-2.0 */
/* The cdl command: one file per subcommand (cmd_<name>.c), dispatched by main.c. */
#ifndef CDL_CLI_CLI_H
#define CDL_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdl/status.h"
#include "engine/tensor.h"

typedef struct cdl_cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} cdl_cli_command;

int cdl_cmd_check_onnx(int argc, char **argv);

/* A host tensor: cdl_tensor plus the name it carries in its file. */
typedef struct cdl_host_tensor {
	char name[256];
	cdl_tensor t; /* t.data malloc'd */
} cdl_host_tensor;

/*
 * Reads an ONNX TensorProto (.pb) file. CDL_ERR_UNSUPPORTED names a dtype
 * the engine lacks; CDL_ERR_MALFORMED/IO explain in msg.
 */
cdl_status cdl_read_tensor_pb(const char *path, cdl_host_tensor *out, char *msg, size_t msg_size);
void cdl_host_tensor_free(cdl_host_tensor *t);

/* Reads a whole file into a malloc'd buffer (cli_util.c). */
cdl_status cdl_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msg_size);

/* True when stderr is a terminal (progress lines are only drawn there). */
bool cdl_cli_is_tty(void);

#endif /* CDL_CLI_CLI_H */
