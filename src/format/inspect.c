/* SPDX-License-Identifier: Apache-2.0 */
/* Package file mapping and header printing: see inspect.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/crypto_openssl.h"
#include "format/inspect.h"
#include "format/internal.h"
#include "format/reader.h"

cdl_status cdl_pkg_file_map(const char *path, cdl_pkg_file *f, char *msg, size_t msg_size)
{
	struct stat st;
	void *p = NULL;
	int fd = -1;

	memset(f, 0, sizeof(*f));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to open %s: %s", path,
				    strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_IO,
				    "failed to map %s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_MALFORMED,
				    "%s is empty: not a cdl package", path);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to map %s: %s", path,
				    strerror(errno));
	f->data = p;
	f->len = (size_t)st.st_size;
	return CDL_OK;
}

void cdl_pkg_file_unmap(cdl_pkg_file *f)
{
	if (f && f->data)
		munmap((void *)f->data, f->len);
	if (f)
		memset(f, 0, sizeof(*f));
}

cdl_status cdl_pkg_inspect(const uint8_t *pkg, size_t len, cdl_pkg_header *hdr, char *msg,
			   size_t msg_size)
{
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = malloc(sizeof(*r));
	cdl_status s = CDL_OK;

	if (!r)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	s = cdl_pkg_openssl_init(&o, NULL);
	if (s != CDL_OK) {
		cdl_fmt_fail(msg, msg_size, s, "failed to initialise OpenSSL");
		goto out;
	}
	s = cdl_pkg_parse_header(pkg, len, &o.crypto, r, msg, msg_size);
	if (s == CDL_OK)
		*hdr = r->hdr;
	cdl_pkg_openssl_fini(&o);
out:
	cdl_pkg_close(r);
	free(r);
	return s;
}

const char *cdl_pkg_output_mode_name(unsigned int mode)
{
	switch (mode) {
	case CDL_PKG_OUTPUT_FULL:
		return "full";
	case CDL_PKG_OUTPUT_TOPK:
		return "topk";
	case CDL_PKG_OUTPUT_LABEL:
		return "label";
	}
	return "?";
}

const char *cdl_pkg_dtype_name(unsigned int dtype, char *buf, size_t size)
{
	/* ONNX TensorProto.DataType. */
	static const char *const names[] = {
	    [1] = "float32",  [2] = "uint8",   [3] = "int8",	[4] = "uint16",	   [5] = "int16",
	    [6] = "int32",    [7] = "int64",   [8] = "string",	[9] = "bool",	   [10] = "float16",
	    [11] = "float64", [12] = "uint32", [13] = "uint64", [16] = "bfloat16",
	};

	if (dtype < sizeof(names) / sizeof(names[0]) && names[dtype])
		return names[dtype];
	snprintf(buf, size, "dtype%u", dtype);
	return buf;
}

/* Expiry as an ISO-8601 UTC time, or "never". */
/* A one-channel image has no channel order: it is read as grayscale. */
static const char *channel_order_name(const cdl_pkg_preproc *pp)
{
	if (pp->n_channels == 1)
		return "gray";
	return pp->channel_order == CDL_PKG_BGR ? "BGR" : "RGB";
}

static void format_expiry(uint64_t expiry, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)expiry;

	if (expiry == 0) {
		snprintf(buf, size, "never");
		return;
	}
	if (expiry > (uint64_t)INT64_MAX / 2 || !gmtime_r(&t, &tm)) {
		snprintf(buf, size, "unix %" PRIu64, expiry);
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_shape(FILE *f, const cdl_pkg_tensor_info *t)
{
	fputc('[', f);
	for (unsigned int d = 0; d < t->rank; d++)
		fprintf(f, "%s%" PRId64, d ? ", " : "", t->dims[d]);
	fputc(']', f);
}

/* Names are printable ASCII (the reader checks); JSON still needs " and \ escaped. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void json_tensors(FILE *f, const cdl_pkg_tensor_info *t, unsigned int n)
{
	char buf[16];

	fputc('[', f);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\": ", i ? ", " : "");
		json_string(f, t[i].name);
		fprintf(f, ", \"dtype\": \"%s\", \"shape\": ",
			cdl_pkg_dtype_name(t[i].dtype, buf, sizeof(buf)));
		print_shape(f, &t[i]);
		fputc('}', f);
	}
	fputc(']', f);
}

static void json_floats(FILE *f, const float *v, unsigned int n)
{
	fputc('[', f);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "%s%.9g", i ? ", " : "", (double)v[i]);
	fputc(']', f);
}

static void print_json(FILE *f, const cdl_pkg_header *h)
{
	char model_id[2 * CDL_PKG_MODEL_ID_LEN + 1];
	char provider[2 * CDL_PKG_KEY_ID_LEN + 1];
	char recipient[2 * CDL_PKG_KEY_ID_LEN + 1];
	char expiry[64];
	const cdl_pkg_preproc *pp = &h->preproc;

	cdl_pkg_hex(h->model_id, sizeof(h->model_id), model_id);
	cdl_pkg_hex(h->provider_key_id, sizeof(h->provider_key_id), provider);
	cdl_pkg_hex(h->recipient_key_id, sizeof(h->recipient_key_id), recipient);
	format_expiry(h->policy.expiry, expiry, sizeof(expiry));

	fprintf(f, "{\"format_version\": \"%u.%u\", \"model_id\": \"%s\", ", h->version_major,
		h->version_minor, model_id);
	fprintf(f, "\"provider_key_fingerprint\": \"%s\", \"recipient_key_id\": \"%s\", ", provider,
		recipient);
	fprintf(f, "\"signature\": \"valid\", ");
	fprintf(f,
		"\"policy\": {\"output\": \"%s\", \"top_k\": %" PRIu32 ", \"max_queries\": %" PRIu64
		", \"expires\": \"%s\", \"expiry_unix\": %" PRIu64 "}, ",
		cdl_pkg_output_mode_name(h->policy.output_mode), h->policy.topk,
		h->policy.max_queries, expiry, h->policy.expiry);
	fprintf(f, "\"inputs\": ");
	json_tensors(f, h->inputs, h->n_inputs);
	fprintf(f, ", \"outputs\": ");
	json_tensors(f, h->outputs, h->n_outputs);
	fprintf(f, ", \"preprocessing\": ");
	if (pp->present) {
		fprintf(f, "{\"input\": ");
		json_string(f, h->inputs[pp->input_index].name);
		fprintf(f,
			", \"layout\": \"%s\", \"channel_order\": \"%s\", \"height\": %" PRIu32
			", \"width\": %" PRIu32 ", \"resize_short\": %" PRIu32
			", \"scale\": %.9g, \"mean\": ",
			pp->layout == CDL_PKG_LAYOUT_NHWC ? "NHWC" : "NCHW",
			channel_order_name(pp), pp->height, pp->width,
			pp->resize_short, (double)pp->scale);
		json_floats(f, pp->mean, pp->n_channels);
		fprintf(f, ", \"std\": ");
		json_floats(f, pp->std, pp->n_channels);
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f,
		", \"block_size\": %" PRIu32 ", \"block_count\": %" PRIu32
		", \"stream_length\": %" PRIu64 ", \"header_length\": %" PRIu32
		", \"package_length\": %" PRIu64 ", \"unknown_extensions\": %u}\n",
		h->block_size, h->block_count, h->stream_len, h->header_len, h->package_len,
		h->n_ext_skipped);
}

static void print_text(FILE *f, const cdl_pkg_header *h)
{
	char model_id[2 * CDL_PKG_MODEL_ID_LEN + 1];
	char provider[2 * CDL_PKG_KEY_ID_LEN + 1];
	char recipient[2 * CDL_PKG_KEY_ID_LEN + 1];
	char expiry[64];
	char buf[16];
	const cdl_pkg_preproc *pp = &h->preproc;

	cdl_pkg_hex(h->model_id, sizeof(h->model_id), model_id);
	cdl_pkg_hex(h->provider_key_id, sizeof(h->provider_key_id), provider);
	cdl_pkg_hex(h->recipient_key_id, sizeof(h->recipient_key_id), recipient);
	format_expiry(h->policy.expiry, expiry, sizeof(expiry));

	fprintf(f, "format version   %u.%u\n", h->version_major, h->version_minor);
	fprintf(f, "model id         %s\n", model_id);
	fprintf(f, "provider key     %s (signature valid)\n", provider);
	fprintf(f, "recipient key id %s\n", recipient);
	fprintf(f, "policy           output %s", cdl_pkg_output_mode_name(h->policy.output_mode));
	if (h->policy.output_mode == CDL_PKG_OUTPUT_TOPK)
		fprintf(f, " (k = %" PRIu32 ")", h->policy.topk);
	if (h->policy.max_queries)
		fprintf(f, ", max queries %" PRIu64, h->policy.max_queries);
	else
		fprintf(f, ", queries unlimited");
	fprintf(f, ", expires %s\n", expiry);
	for (unsigned int i = 0; i < h->n_inputs; i++) {
		fprintf(f, "input  %-9u %s %s ", i, h->inputs[i].name,
			cdl_pkg_dtype_name(h->inputs[i].dtype, buf, sizeof(buf)));
		print_shape(f, &h->inputs[i]);
		fputc('\n', f);
	}
	for (unsigned int i = 0; i < h->n_outputs; i++) {
		fprintf(f, "output %-9u %s %s ", i, h->outputs[i].name,
			cdl_pkg_dtype_name(h->outputs[i].dtype, buf, sizeof(buf)));
		print_shape(f, &h->outputs[i]);
		fputc('\n', f);
	}
	if (pp->present) {
		fprintf(f, "preprocessing    input %s: %s %s %" PRIu32 "x%" PRIu32,
			h->inputs[pp->input_index].name,
			pp->layout == CDL_PKG_LAYOUT_NHWC ? "NHWC" : "NCHW",
			channel_order_name(pp), pp->height, pp->width);
		if (pp->resize_short)
			fprintf(f, " (resize shorter side to %" PRIu32 ", centre crop)",
				pp->resize_short);
		fprintf(f, ", scale %.9g, mean ", (double)pp->scale);
		json_floats(f, pp->mean, pp->n_channels);
		fprintf(f, ", std ");
		json_floats(f, pp->std, pp->n_channels);
		fputc('\n', f);
	}
	fprintf(f,
		"blocks           %" PRIu32 " x %" PRIu32 " bytes (stream %" PRIu64
		" bytes, package %" PRIu64 " bytes)\n",
		h->block_count, h->block_size, h->stream_len, h->package_len);
	if (h->n_ext_skipped)
		fprintf(f, "extensions       %u unknown non-critical record(s) ignored\n",
			h->n_ext_skipped);
}

void cdl_pkg_print_header(FILE *f, const cdl_pkg_header *h, bool json)
{
	if (json)
		print_json(f, h);
	else
		print_text(f, h);
}

cdl_status cdl_pkg_inspect_file(const char *path, FILE *out, bool json, char *msg, size_t msg_size)
{
	cdl_pkg_file file;
	cdl_pkg_header *hdr = NULL;
	char rmsg[256] = "";
	cdl_status s = CDL_OK;

	s = cdl_pkg_file_map(path, &file, msg, msg_size);
	if (s != CDL_OK)
		return s;
	hdr = malloc(sizeof(*hdr));
	if (!hdr) {
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	s = cdl_pkg_inspect(file.data, file.len, hdr, rmsg, sizeof(rmsg));
	if (s != CDL_OK) {
		cdl_fmt_fail(msg, msg_size, s, "failed to inspect %s: %s", path, rmsg);
		goto out;
	}
	cdl_pkg_print_header(out, hdr, json);
out:
	free(hdr);
	cdl_pkg_file_unmap(&file);
	return s;
}
