/* SPDX-License-Identifier: Apache-2.0 */
/* Small helpers shared by the cdl subcommands (cmd_*.c). */
#ifndef CDL_CLI_CLI_UTIL_H
#define CDL_CLI_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "[1,3,224,224]" into buf (truncated to size); returns buf. */
const char *cdl_cli_shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t size);

/* True when path names a regular file (following links). */
bool cdl_cli_is_file(const char *path);

/*
 * Writes s to f as a JSON string literal: quoted, with " and \ escaped and
 * control characters as \uXXXX. A NULL s writes "".
 */
void cdl_cli_json_string(FILE *f, const char *s);

#endif /* CDL_CLI_CLI_UTIL_H */
