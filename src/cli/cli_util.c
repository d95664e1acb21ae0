// SPDX-License-Identifier: Apache-2.0
/* Small helpers shared by the cdl subcommands: see cli_util.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_util.h"

const char *cdl_cli_shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t size)
{
	size_t used = (size_t)snprintf(buf, size, "[");

	for (uint32_t i = 0; i < rank && used < size; i++)
		used +=
		    (size_t)snprintf(buf + used, size - used, "%s%" PRId64, i ? "," : "", dims[i]);
	if (used < size)
		snprintf(buf + used, size - used, "]");
	return buf;
}

bool cdl_cli_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void cdl_cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

cdl_status cdl_read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t msg_size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long size;

	*buf = NULL;
	*len = 0;
	if (!f) {
		snprintf(msg, msg_size, "cannot open %s: %s", path, strerror(errno));
		return CDL_ERR_IO;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(msg, msg_size, "cannot read %s: %s", path, strerror(errno));
		fclose(f);
		return CDL_ERR_IO;
	}
	data = malloc((size_t)size + 1);
	if (!data) {
		fclose(f);
		snprintf(msg, msg_size, "cannot read %s: out of memory for %ld bytes", path, size);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	if (size && fread(data, 1, (size_t)size, f) != (size_t)size) {
		snprintf(msg, msg_size, "cannot read %s: short read", path);
		free(data);
		fclose(f);
		return CDL_ERR_IO;
	}
	fclose(f);
	*buf = data;
	*len = (size_t)size;
	return CDL_OK;
}
