// SPDX-License-Identifier: Apache-2.0
/*
 * A small .npy reader (NumPy's format, versions 1.0, 2.0 and 3.0): a magic,
 * a header length, a Python dict literal {'descr': '<f4', 'fortran_order':
 * False, 'shape': (360, 1, 8, 8), } and the raw C-order data.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_tee.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6u
#define NPY_MAX_HEADER (1u << 20)

void cdl_file_tensor_free(cdl_file_tensor *t)
{
	if (!t)
		return;
	free(t->data);
	t->data = NULL;
}

/* Finds 'key' in the dict text; returns a pointer after the colon or NULL. */
static const char *dict_value(const char *dict, const char *key)
{
	char quoted[32];
	const char *p = NULL;

	snprintf(quoted, sizeof(quoted), "'%s'", key);
	p = strstr(dict, quoted);
	if (!p) {
		snprintf(quoted, sizeof(quoted), "\"%s\"", key);
		p = strstr(dict, quoted);
	}
	if (!p)
		return NULL;
	p += strlen(quoted);
	while (*p == ' ')
		p++;
	if (*p != ':')
		return NULL;
	p++;
	while (*p == ' ')
		p++;
	return p;
}

static cdl_status parse_descr(const char *v, uint32_t *dtype, size_t *elem, char *msg,
			      size_t msg_size)
{
	static const struct {
		const char *descr;
		uint32_t dtype;
		size_t size;
	} types[] = {
	    {"<f4", CDL_TYPE_FLOAT32, 4}, {"<f8", 11, 8},
	    {"<i8", CDL_TYPE_INT64, 8},	  {"<i4", CDL_TYPE_INT32, 4},
	    {"|u1", CDL_TYPE_UINT8, 1},	  {"|i1", CDL_TYPE_INT8, 1},
	    {"|b1", CDL_TYPE_BOOL, 1},	  {"<u4", CDL_TYPE_UINT32, 4},
	};
	char d[16];
	size_t n = 0;

	if (*v != '\'' && *v != '"') {
		snprintf(msg, msg_size, "'descr' is not a string");
		return CDL_ERR_MALFORMED;
	}
	v++;
	while (v[n] && v[n] != '\'' && v[n] != '"' && n < sizeof(d) - 1) {
		d[n] = v[n];
		n++;
	}
	d[n] = '\0';
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(d, types[i].descr) == 0) {
			*dtype = types[i].dtype;
			*elem = types[i].size;
			return CDL_OK;
		}
	snprintf(msg, msg_size,
		 "element type '%s' is not supported (float32 <f4, float64 <f8, int64 <i8, int32 "
		 "<i4, uint8, int8, bool; little-endian)",
		 d);
	return CDL_ERR_UNSUPPORTED;
}

cdl_status cdl_npy_parse(const uint8_t *buf, size_t len, cdl_file_tensor *out, char *msg,
			 size_t msg_size)
{
	size_t hlen = 0, off = 0, elem = 0, numel = 1, bytes = 0;
	char *dict = NULL;
	const char *v = NULL;
	cdl_status status = CDL_OK;

	memset(out, 0, sizeof(*out));
	if (len < NPY_MAGIC_LEN + 4 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
		snprintf(msg, msg_size, "not a .npy file (no \\x93NUMPY magic)");
		return CDL_ERR_MALFORMED;
	}
	switch (buf[6]) {
	case 1:
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
		off = 10;
		break;
	case 2:
	case 3:
		if (len < 12) {
			snprintf(msg, msg_size, "truncated .npy header");
			return CDL_ERR_MALFORMED;
		}
		hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 |
		       (size_t)buf[11] << 24;
		off = 12;
		break;
	default:
		snprintf(msg, msg_size, ".npy format version %u.%u is not supported", buf[6],
			 buf[7]);
		return CDL_ERR_UNSUPPORTED;
	}
	if (hlen > NPY_MAX_HEADER || hlen > len - off) {
		snprintf(msg, msg_size, ".npy header of %zu bytes does not fit the file", hlen);
		return CDL_ERR_MALFORMED;
	}
	dict = malloc(hlen + 1);
	if (!dict) {
		snprintf(msg, msg_size, "out of memory");
		return CDL_ERR_OUT_OF_MEMORY;
	}
	memcpy(dict, buf + off, hlen);
	dict[hlen] = '\0';
	if (strlen(dict) != hlen) {
		status = CDL_ERR_MALFORMED;
		snprintf(msg, msg_size, ".npy header contains a NUL byte");
		goto out;
	}
	off += hlen;

	v = dict_value(dict, "descr");
	if (!v) {
		status = CDL_ERR_MALFORMED;
		snprintf(msg, msg_size, ".npy header has no 'descr'");
		goto out;
	}
	status = parse_descr(v, &out->dtype, &elem, msg, msg_size);
	if (status)
		goto out;
	v = dict_value(dict, "fortran_order");
	if (!v || strncmp(v, "False", 5) != 0) {
		status = v ? CDL_ERR_UNSUPPORTED : CDL_ERR_MALFORMED;
		snprintf(msg, msg_size, "%s",
			 v ? "Fortran-order arrays are not supported"
			   : ".npy header has no 'fortran_order'");
		goto out;
	}
	v = dict_value(dict, "shape");
	if (!v || *v != '(') {
		status = CDL_ERR_MALFORMED;
		snprintf(msg, msg_size, ".npy header has no 'shape' tuple");
		goto out;
	}
	v++;
	for (;;) {
		char *end = NULL;
		unsigned long long d = 0;

		while (*v == ' ' || *v == ',')
			v++;
		if (*v == ')')
			break;
		if (!isdigit((unsigned char)*v)) {
			status = CDL_ERR_MALFORMED;
			snprintf(msg, msg_size, ".npy shape is not a tuple of sizes");
			goto out;
		}
		errno = 0;
		d = strtoull(v, &end, 10);
		if (errno || d > (1ull << 40) || out->rank >= CDL_MAX_DIMS) {
			status =
			    out->rank >= CDL_MAX_DIMS ? CDL_ERR_UNSUPPORTED : CDL_ERR_MALFORMED;
			snprintf(msg, msg_size, ".npy shape has %s",
				 out->rank >= CDL_MAX_DIMS ? "more than 8 dimensions"
							   : "a dimension out of range");
			goto out;
		}
		out->dims[out->rank++] = (int64_t)d;
		if (__builtin_mul_overflow(numel, (size_t)d, &numel)) {
			status = CDL_ERR_MALFORMED;
			snprintf(msg, msg_size, ".npy shape is too large");
			goto out;
		}
		v = end;
	}
	if (__builtin_mul_overflow(numel, elem, &bytes) || bytes != len - off) {
		status = CDL_ERR_MALFORMED;
		snprintf(msg, msg_size, ".npy data is %zu bytes, its shape and type need %zu",
			 len - off, bytes);
		goto out;
	}
	out->data = malloc(bytes ? bytes : 1);
	if (!out->data) {
		status = CDL_ERR_OUT_OF_MEMORY;
		snprintf(msg, msg_size, "out of memory for %zu bytes", bytes);
		goto out;
	}
	memcpy(out->data, buf + off, bytes);
	out->size = bytes;
out:
	free(dict);
	return status;
}

cdl_status cdl_npy_read(const char *path, cdl_file_tensor *out, char *msg, size_t msg_size)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char inner[512];
	cdl_status status = CDL_OK;

	memset(out, 0, sizeof(*out));
	status = cdl_read_file(path, &buf, &len, msg, msg_size);
	if (status)
		return status;
	status = cdl_npy_parse(buf, len, out, inner, sizeof(inner));
	free(buf);
	if (status)
		snprintf(msg, msg_size, "%s: %s", path, inner);
	return status;
}
