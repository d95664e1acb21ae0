// SPDX-License-Identifier: Apache-2.0
/*
 * cdl run MODEL.cdlm --input FILE...: one inference (or a batch) inside the
 * TEE through libcdl, printing the top classes (or what the model's output
 * policy allows).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_tee.h"
#include "cli_util.h"

#define MAX_FILES 4096
#define DEFAULT_TOP 5

typedef struct run_opts {
	const char *model;
	const char *files[MAX_FILES];
	uint32_t n_files;
	const char *labels;
	const char *expect;
	const char *tee;
	uint32_t top;
	bool top_given;
	cdl_mode mode;
	bool json, verbose, summary;
} run_opts;

/* The batch, as read from the files. */
typedef struct batch {
	uint32_t n;	   /* items */
	char **item_names; /* n names */
	uint8_t *data[CDL_MAX_IO];
	size_t size[CDL_MAX_IO];
} batch;

typedef struct labels {
	char **names;
	uint32_t n;
} labels;

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: cdl run MODEL.cdlm --input FILE [--input FILE...] [--labels FILE] [--top K]\n"
	    "               [--mode auto|resident|stream] [--expect FILE] [--json] [--verbose]\n"
	    "               [--summary] [--tee SOCKET]\n"
	    "  Runs the packaged model inside the TEE (one TEE call for the whole batch).\n"
	    "  --input FILE   a PNG/JPEG/BMP/GIF image (preprocessed as the package records:\n"
	    "                 size, scale, mean/std, layout, channels; without a record,\n"
	    "                 pixel/255 resized to the input's [1,C,H,W]), a .npy array\n"
	    "                 (float32/int64/..., C order; an N x ... array is a batch of N)\n"
	    "                 or an ONNX TensorProto .pb. Several --input: a batch for a\n"
	    "                 one-input model, else one file per model input, in order.\n"
	    "  --labels FILE  class names, one per line (line i = class i)\n"
	    "  --top K        classes to show per input (default %d)\n"
	    "  --mode M       auto (default): resident what fits the secure heap, stream\n"
	    "                 the rest; resident; stream\n"
	    "  --expect FILE  the true class of each input (.npy of integers, or one per\n"
	    "                 line): prints the top-1 accuracy\n"
	    "  --summary      print only the totals, not a line per input\n"
	    "  --json         one JSON object on stdout\n"
	    "  --verbose      also print the TEE's statistics (mode, secure memory, bytes\n"
	    "                 decrypted, world switches and time per inference)\n"
	    "  --tee SOCKET   use a shared `cdl-tee --listen SOCKET` (default: spawn one)\n",
	    DEFAULT_TOP);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static const char *bytes_str(double n, char *buf, size_t size)
{
	if (n < 1024.0)
		snprintf(buf, size, "%.0f B", n);
	else if (n < 1024.0 * 1024.0)
		snprintf(buf, size, "%.1f KiB", n / 1024.0);
	else if (n < 1024.0 * 1024.0 * 1024.0)
		snprintf(buf, size, "%.1f MiB", n / (1024.0 * 1024.0));
	else
		snprintf(buf, size, "%.2f GiB", n / (1024.0 * 1024.0 * 1024.0));
	return buf;
}

/* ------------------------------------------------------------ inputs */

static size_t numel_of(uint32_t rank, const int64_t *dims)
{
	size_t n = 1;

	for (uint32_t i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	return n;
}

/* dims without the 1s, to compare shapes that differ only by unit axes */
static uint32_t squeeze(uint32_t rank, const int64_t *dims, int64_t *out)
{
	uint32_t r = 0;

	for (uint32_t i = 0; i < rank; i++)
		if (dims[i] != 1)
			out[r++] = dims[i];
	return r;
}

/*
 * How many batch items of input `in` the file tensor t holds: exactly one
 * item (the same shape, or the same up to axes of size 1), or a batch along
 * the first axis ([N, ...] for an input [1, ...] or an input of one rank less).
 */
static cdl_status items_in(const cdl_file_tensor *t, const cdl_tensor_info *in, const char *path,
			   uint32_t *items, char *msg, size_t msg_size)
{
	int64_t a[CDL_MAX_DIMS], b[CDL_MAX_DIMS];
	uint32_t ra = 0, rb = 0;
	char s1[160], s2[160];

	if (t->dtype != in->dtype) {
		snprintf(msg, msg_size, "%s holds %s, input '%s' takes %s", path,
			 cdl_type_name(t->dtype), in->name, cdl_type_name(in->dtype));
		return CDL_ERR_INVALID_ARGUMENT;
	}
	ra = squeeze(t->rank, t->dims, a);
	rb = squeeze(in->rank, in->dims, b);
	if (ra == rb && memcmp(a, b, ra * sizeof(a[0])) == 0) {
		*items = 1;
		return CDL_OK;
	}
	if (t->rank >= 1 && t->dims[0] >= 1 && t->dims[0] <= UINT32_MAX) {
		if (in->rank == t->rank && in->dims[0] == 1 &&
		    memcmp(t->dims + 1, in->dims + 1, (t->rank - 1) * sizeof(int64_t)) == 0) {
			*items = (uint32_t)t->dims[0];
			return CDL_OK;
		}
		if (in->rank + 1 == t->rank &&
		    memcmp(t->dims + 1, in->dims, in->rank * sizeof(int64_t)) == 0) {
			*items = (uint32_t)t->dims[0];
			return CDL_OK;
		}
	}
	snprintf(msg, msg_size, "%s is %s %s, input '%s' takes %s %s (or a batch [N,...] of them)",
		 path, cdl_type_name(t->dtype), cdl_cli_shape_str(t->rank, t->dims, s1, sizeof(s1)),
		 in->name, cdl_type_name(in->dtype),
		 cdl_cli_shape_str(in->rank, in->dims, s2, sizeof(s2)));
	return CDL_ERR_INVALID_ARGUMENT;
}

static cdl_status read_tensor_file(const char *path, const cdl_model_info *info, uint32_t idx,
				   cdl_file_tensor *t, char *msg, size_t msg_size)
{
	uint8_t head[16];
	size_t got = 0;
	FILE *f = fopen(path, "rb");

	memset(t, 0, sizeof(*t));
	if (!f) {
		snprintf(msg, msg_size, "cannot open %s: %s", path, strerror(errno));
		return CDL_ERR_IO;
	}
	got = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (got >= 6 && memcmp(head, "\x93NUMPY", 6) == 0)
		return cdl_npy_read(path, t, msg, msg_size);
	if (cdl_image_sniff(head, got)) {
		const cdl_image_preproc *p =
		    info->preproc.present && info->preproc.input_index == idx ? &info->preproc
									      : NULL;

		return cdl_image_read(path, p, &info->inputs[idx], t, msg, msg_size);
	}
	if (ends_with(path, ".pb")) {
		cdl_host_tensor h;
		size_t bytes = 0;
		cdl_status s = cdl_read_tensor_pb(path, &h, msg, msg_size);

		if (s)
			return s;
		if (!cdl_tensor_nbytes(&h.t, &bytes)) {
			cdl_host_tensor_free(&h);
			snprintf(msg, msg_size, "%s: tensor too large", path);
			return CDL_ERR_MALFORMED;
		}
		t->dtype = h.t.dtype;
		t->rank = h.t.rank;
		memcpy(t->dims, h.t.dims, sizeof(int64_t) * CDL_MAX_DIMS);
		t->data = h.t.data;
		t->size = bytes;
		return CDL_OK;
	}
	snprintf(msg, msg_size,
		 "%s: unknown input format (want a PNG/JPEG/BMP/GIF image, a .npy or a .pb "
		 "TensorProto)",
		 path);
	return CDL_ERR_UNSUPPORTED;
}

static void free_batch(batch *b)
{
	for (uint32_t i = 0; b->item_names && i < b->n; i++)
		free(b->item_names[i]);
	free(b->item_names);
	for (uint32_t i = 0; i < CDL_MAX_IO; i++)
		free(b->data[i]);
	memset(b, 0, sizeof(*b));
}

/* Appends t's items to input idx of the batch. */
static cdl_status append(batch *b, uint32_t idx, const cdl_file_tensor *t, const char *path,
			 uint32_t items, bool name_items)
{
	uint8_t *grown = realloc(b->data[idx], b->size[idx] + t->size + 1);

	if (!grown)
		return CDL_ERR_OUT_OF_MEMORY;
	b->data[idx] = grown;
	memcpy(grown + b->size[idx], t->data, t->size);
	b->size[idx] += t->size;
	if (name_items) {
		char **names = realloc(b->item_names, (b->n + items) * sizeof(*names));

		if (!names)
			return CDL_ERR_OUT_OF_MEMORY;
		b->item_names = names;
		for (uint32_t i = 0; i < items; i++) {
			char name[512];

			if (items == 1)
				snprintf(name, sizeof(name), "%s", base_name(path));
			else
				snprintf(name, sizeof(name), "%s[%u]", base_name(path), i);
			names[b->n + i] = strdup(name);
			if (!names[b->n + i])
				return CDL_ERR_OUT_OF_MEMORY;
		}
		b->n += items;
	}
	return CDL_OK;
}

static cdl_status read_batch(const run_opts *o, const cdl_model_info *info, batch *b, char *msg,
			     size_t msg_size)
{
	cdl_status status = CDL_OK;

	memset(b, 0, sizeof(*b));
	if (info->n_inputs > 1 && o->n_files != info->n_inputs) {
		snprintf(msg, msg_size, "the model takes %u inputs, %u --input files given",
			 info->n_inputs, o->n_files);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	for (uint32_t f = 0; f < o->n_files; f++) {
		uint32_t idx = info->n_inputs > 1 ? f : 0;
		cdl_file_tensor t;
		uint32_t items = 0;

		status = read_tensor_file(o->files[f], info, idx, &t, msg, msg_size);
		if (status)
			return status;
		status = items_in(&t, &info->inputs[idx], o->files[f], &items, msg, msg_size);
		if (!status && info->n_inputs > 1 && f > 0 && items != b->n) {
			snprintf(msg, msg_size, "%s holds %u items, %s held %u", o->files[f], items,
				 o->files[0], b->n);
			status = CDL_ERR_INVALID_ARGUMENT;
		}
		if (!status && (uint64_t)b->n + items > UINT32_MAX) {
			snprintf(msg, msg_size, "too many inputs");
			status = CDL_ERR_INVALID_ARGUMENT;
		}
		if (!status) {
			status =
			    append(b, idx, &t, o->files[f], items, info->n_inputs == 1 || f == 0);
			if (status)
				snprintf(msg, msg_size, "out of memory");
		}
		cdl_file_tensor_free(&t);
		if (status)
			return status;
	}
	return CDL_OK;
}

/* ------------------------------------------------------ labels, expect */

static void free_labels(labels *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	memset(l, 0, sizeof(*l));
}

static cdl_status read_labels(const char *path, labels *l, char *msg, size_t msg_size)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	memset(l, 0, sizeof(*l));
	if (!f) {
		snprintf(msg, msg_size, "cannot open %s: %s", path, strerror(errno));
		return CDL_ERR_IO;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");
		char **grown = realloc(l->names, (l->n + 1) * sizeof(*grown));

		if (!grown) {
			fclose(f);
			return CDL_ERR_OUT_OF_MEMORY;
		}
		l->names = grown;
		line[len] = '\0';
		l->names[l->n] = strdup(line);
		if (!l->names[l->n]) {
			fclose(f);
			return CDL_ERR_OUT_OF_MEMORY;
		}
		l->n++;
	}
	fclose(f);
	return CDL_OK;
}

static const char *label_of(const labels *l, uint32_t index, char *buf, size_t size)
{
	if (index < l->n)
		return l->names[index];
	snprintf(buf, size, "%u", index);
	return buf;
}

static cdl_status read_expect(const char *path, uint32_t n, int64_t **out, char *msg,
			      size_t msg_size)
{
	uint8_t head[8];
	FILE *f = fopen(path, "rb");
	int64_t *v = NULL;
	uint32_t count = 0;
	cdl_status status = CDL_OK;

	*out = NULL;
	if (!f) {
		snprintf(msg, msg_size, "cannot open %s: %s", path, strerror(errno));
		return CDL_ERR_IO;
	}
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		fclose(f);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	if (fread(head, 1, 6, f) == 6 && memcmp(head, "\x93NUMPY", 6) == 0) {
		cdl_file_tensor t;
		size_t numel = 0;

		fclose(f);
		f = NULL;
		status = cdl_npy_read(path, &t, msg, msg_size);
		if (status)
			goto out;
		numel = numel_of(t.rank, t.dims);
		if (t.dtype != CDL_TYPE_INT64 && t.dtype != CDL_TYPE_INT32) {
			snprintf(msg, msg_size, "%s: class indices must be int64 or int32, not %s",
				 path, cdl_type_name(t.dtype));
			status = CDL_ERR_INVALID_ARGUMENT;
		} else if (numel != n) {
			snprintf(msg, msg_size, "%s holds %zu classes for %u inputs", path, numel,
				 n);
			status = CDL_ERR_INVALID_ARGUMENT;
		} else {
			for (uint32_t i = 0; i < n; i++)
				v[i] = t.dtype == CDL_TYPE_INT64 ? ((int64_t *)t.data)[i]
								 : ((int32_t *)t.data)[i];
		}
		cdl_file_tensor_free(&t);
		goto out;
	}
	rewind(f);
	{
		char line[256];

		while (fgets(line, sizeof(line), f)) {
			char *end = NULL;
			long long x = strtoll(line, &end, 10);

			if (end == line)
				continue; /* blank line */
			if (count < n)
				v[count] = x;
			count++;
		}
	}
	if (count != n) {
		snprintf(msg, msg_size, "%s holds %u classes for %u inputs", path, count, n);
		status = CDL_ERR_INVALID_ARGUMENT;
	}
out:
	if (f)
		fclose(f);
	if (status)
		free(v);
	else
		*out = v;
	return status;
}

/* ------------------------------------------------------------ results */

typedef struct pick {
	uint32_t index;
	float score;
} pick;

/* The k best of scores[0..n) (NaN last), best first. */
static uint32_t top_k(const float *scores, uint32_t n, uint32_t k, pick *out)
{
	uint32_t have = 0;

	if (k > n)
		k = n;
	for (uint32_t i = 0; i < n; i++) {
		float s = scores[i];
		uint32_t pos = have;

		if (isnan(s))
			s = -INFINITY;
		while (pos > 0 && s > out[pos - 1].score)
			pos--;
		if (pos >= k)
			continue;
		if (have < k)
			have++;
		memmove(out + pos + 1, out + pos, (have - 1 - pos) * sizeof(*out));
		out[pos].index = i;
		out[pos].score = s;
	}
	return have;
}

/* The classes to show for item b: from full scores, top-k pairs or a label. */
static uint32_t item_picks(const cdl_model_info *info, const cdl_output *out, uint32_t b,
			   uint32_t k, pick *picks, bool *have_scores)
{
	*have_scores = true;
	switch (info->output_mode) {
	case CDL_OUTPUT_FULL: {
		uint32_t classes = (uint32_t)(info->result_size[0] / sizeof(float));

		if (info->outputs[0].dtype != CDL_TYPE_FLOAT32 || classes == 0)
			return 0;
		return top_k((const float *)out[0].data + (size_t)b * classes, classes, k, picks);
	}
	case CDL_OUTPUT_TOPK: {
		const cdl_topk_entry *e =
		    (const cdl_topk_entry *)out[0].data + (size_t)b * info->topk;
		uint32_t n = k < info->topk ? k : info->topk;

		for (uint32_t i = 0; i < n; i++) {
			picks[i].index = e[i].index;
			picks[i].score = e[i].score;
		}
		return n;
	}
	case CDL_OUTPUT_LABEL:
		*have_scores = false;
		picks[0].index = ((const uint32_t *)out[0].data)[b];
		picks[0].score = 0.0f;
		return 1;
	}
	return 0;
}

static const char *policy_name(cdl_output_mode m)
{
	return m == CDL_OUTPUT_FULL ? "full" : m == CDL_OUTPUT_TOPK ? "top-k" : "label";
}

static void print_stats_text(const cdl_stats *s)
{
	char a[32], b[32], c[32], d[32], e[32];

	printf("stats: mode %s, secure memory budget %s, peak %s (this model holds %s)\n",
	       cdl_mode_str(s->mode), bytes_str((double)s->secure_budget, a, sizeof(a)),
	       bytes_str((double)s->secure_peak, b, sizeof(b)),
	       bytes_str((double)s->model_secure_bytes, c, sizeof(c)));
	printf("       weights %s (%s resident), activation arena %s, tiled layers %u, "
	       "package %s\n",
	       bytes_str((double)s->weight_bytes, a, sizeof(a)),
	       bytes_str((double)s->resident_bytes, b, sizeof(b)),
	       bytes_str((double)s->arena_bytes, c, sizeof(c)), s->tiled_layers,
	       bytes_str((double)s->package_bytes, e, sizeof(e)));
	printf("       per inference: %s decrypted, %.4g world switches, %.4f ms, %u thread%s\n",
	       bytes_str(s->decrypted_per_inference, d, sizeof(d)), s->world_switches_per_inference,
	       s->call_time_us_per_inference / 1e3, s->workers, s->workers == 1 ? "" : "s");
	/* the TA's clock (TEE_GetSystemTime) counts whole milliseconds */
	printf(
	    "       last run: batch %u, %u world switch%s, %s decrypted, %.3f ms (%.0f ms by the "
	    "TA's clock); load %.0f ms in the TA\n",
	    s->last_batch, s->world_switches_last_run, s->world_switches_last_run == 1 ? "" : "es",
	    bytes_str((double)s->decrypted_last_run, a, sizeof(a)), s->call_time_us_last_run / 1e3,
	    s->tee_time_us_last_run / 1e3, s->load_time_us / 1e3);
	if (s->queries_left != UINT64_MAX)
		printf("       queries left: %" PRIu64 "\n", s->queries_left);
}

static void print_stats_json(const cdl_stats *s)
{
	printf(",\"stats\":{\"mode\":\"%s\",\"secure_budget\":%" PRIu64 ",\"secure_peak\":%" PRIu64
	       ",\"model_secure_bytes\":%" PRIu64 ",\"weight_bytes\":%" PRIu64
	       ",\"resident_bytes\":%" PRIu64 ",\"arena_bytes\":%" PRIu64
	       ",\"tiled_layers\":%u,\"package_bytes\":%" PRIu64 ",\"decrypted_per_inference\":%.1f"
	       ",\"world_switches_per_inference\":%.6g,\"ta_clock_ms_last_run\":%.6g"
	       ",\"ms_per_inference\":%.6g,\"world_switches_last_run\":%u"
	       ",\"decrypted_last_run\":%" PRIu64 ",\"load_ms\":%.3f,\"workers\":%u",
	       cdl_mode_str(s->mode), s->secure_budget, s->secure_peak, s->model_secure_bytes,
	       s->weight_bytes, s->resident_bytes, s->arena_bytes, s->tiled_layers,
	       s->package_bytes, s->decrypted_per_inference, s->world_switches_per_inference,
	       s->tee_time_us_last_run / 1e3, s->call_time_us_per_inference / 1e3,
	       s->world_switches_last_run, s->decrypted_last_run, s->load_time_us / 1e3,
	       s->workers);
	if (s->queries_left != UINT64_MAX)
		printf(",\"queries_left\":%" PRIu64, s->queries_left);
	printf("}");
}

/* Non-float or non-classifier outputs: the first values of output 0. */
static void print_values(const cdl_model_info *info, const cdl_output *out, uint32_t b)
{
	size_t es = cdl_type_size(info->outputs[0].dtype);
	size_t n = es ? info->result_size[0] / es : 0;
	const uint8_t *p = (const uint8_t *)out[0].data + (size_t)b * info->result_size[0];

	for (size_t i = 0; i < n && i < 16; i++) {
		switch (info->outputs[0].dtype) {
		case CDL_TYPE_FLOAT32:
			printf(" %.6g", ((const float *)p)[i]);
			break;
		case CDL_TYPE_INT64:
			printf(" %" PRId64, ((const int64_t *)p)[i]);
			break;
		case CDL_TYPE_INT32:
			printf(" %" PRId32, ((const int32_t *)p)[i]);
			break;
		default:
			printf(" %u", p[i * es]);
			break;
		}
	}
	if (n > 16)
		printf(" ... (%zu values)", n);
}

static int report(const run_opts *o, const cdl_model_info *info, const batch *b,
		  const cdl_output *out, const labels *l, const int64_t *expect, double ms,
		  const cdl_stats *stats)
{
	uint32_t k = o->top_given ? o->top : DEFAULT_TOP;
	pick *picks = NULL;
	uint32_t correct = 0;
	char buf[32];

	if (k == 0)
		k = 1;
	if (info->output_mode == CDL_OUTPUT_TOPK && !o->top_given)
		k = info->topk;
	picks = calloc(k, sizeof(*picks));
	if (!picks)
		return 1;
	if (o->json) {
		printf("{\"model\":");
		cdl_cli_json_string(stdout, o->model);
		printf(",\"policy\":\"%s\",\"batch\":%u,\"results\":[",
		       policy_name(info->output_mode), b->n);
	}
	for (uint32_t i = 0; i < b->n; i++) {
		bool scores = true;
		uint32_t n = item_picks(info, out, i, k, picks, &scores);

		if (expect && n > 0 && (int64_t)picks[0].index == expect[i])
			correct++;
		if (o->json && o->summary)
			continue;
		if (o->json) {
			printf("%s{\"input\":", i ? "," : "");
			cdl_cli_json_string(stdout, b->item_names[i]);
			if (n == 0) {
				printf("}");
				continue;
			}
			printf(",\"class\":%u,\"label\":", picks[0].index);
			cdl_cli_json_string(stdout, label_of(l, picks[0].index, buf, sizeof(buf)));
			if (scores) {
				printf(",\"top\":[");
				for (uint32_t j = 0; j < n; j++) {
					printf("%s{\"class\":%u,\"label\":", j ? "," : "",
					       picks[j].index);
					cdl_cli_json_string(
					    stdout, label_of(l, picks[j].index, buf, sizeof(buf)));
					printf(",\"score\":%.7g}", picks[j].score);
				}
				printf("]");
			}
			if (expect)
				printf(",\"expected\":%" PRId64, expect[i]);
			printf("}");
			continue;
		}
		if (o->summary)
			continue;
		printf("%s:", b->item_names[i]);
		if (n == 0) {
			print_values(info, out, i);
		} else if (!scores) {
			printf(" %s", label_of(l, picks[0].index, buf, sizeof(buf)));
		} else {
			for (uint32_t j = 0; j < n; j++)
				printf("%s %s (%.4g)", j ? "," : "",
				       label_of(l, picks[j].index, buf, sizeof(buf)),
				       picks[j].score);
		}
		if (expect)
			printf("%s", (n > 0 && (int64_t)picks[0].index == expect[i])
					 ? "  [ok]"
					 : "  [WRONG, expected ");
		if (expect && !(n > 0 && (int64_t)picks[0].index == expect[i]))
			printf("%s]", label_of(l, (uint32_t)expect[i], buf, sizeof(buf)));
		printf("\n");
	}
	if (o->json) {
		printf("]");
		if (expect)
			printf(",\"correct\":%u,\"accuracy\":%.6f", correct,
			       b->n ? (double)correct / b->n : 0.0);
		printf(",\"time_ms\":%.3f,\"ms_per_inference\":%.6f", ms, ms / b->n);
		if (stats)
			print_stats_json(stats);
		printf("}\n");
	} else {
		if (expect)
			printf("accuracy: %u/%u = %.2f%%\n", correct, b->n,
			       b->n ? 100.0 * correct / b->n : 0.0);
		printf("time: %.3f ms for %u inference%s in one TEE call (%.4f ms/inference)\n", ms,
		       b->n, b->n == 1 ? "" : "s", ms / b->n);
		if (stats)
			print_stats_text(stats);
	}
	free(picks);
	return 0;
}

/* ------------------------------------------------------------- main */

static int parse_args(int argc, char **argv, run_opts *o)
{
	static const struct option long_opts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"labels", required_argument, NULL, 'l'},
	    {"top", required_argument, NULL, 'k'},
	    {"mode", required_argument, NULL, 'm'},
	    {"json", no_argument, NULL, 'j'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"expect", required_argument, NULL, 'e'},
	    {"summary", no_argument, NULL, 's'},
	    {"tee", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c = 0;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:l:k:m:jvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (o->n_files == MAX_FILES) {
				fprintf(stderr, "cdl run: at most %d --input files\n", MAX_FILES);
				return 2;
			}
			o->files[o->n_files++] = optarg;
			break;
		case 'l':
			o->labels = optarg;
			break;
		case 'k': {
			char *end = NULL;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end || v < 1 || v > 65535) {
				fprintf(stderr, "cdl run: --top %s: must be 1..65535\n", optarg);
				return 2;
			}
			o->top = (uint32_t)v;
			o->top_given = true;
			break;
		}
		case 'm':
			if (strcmp(optarg, "auto") == 0)
				o->mode = CDL_MODE_AUTO;
			else if (strcmp(optarg, "resident") == 0)
				o->mode = CDL_MODE_RESIDENT;
			else if (strcmp(optarg, "stream") == 0)
				o->mode = CDL_MODE_STREAM;
			else {
				fprintf(stderr,
					"cdl run: --mode %s: must be auto, resident or stream\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'e':
			o->expect = optarg;
			break;
		case 's':
			o->summary = true;
			break;
		case 't':
			o->tee = optarg;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || o->n_files == 0) {
		if (optind == argc)
			fprintf(stderr, "cdl run: no model given\n");
		else if (optind < argc - 1)
			fprintf(stderr, "cdl run: one model only, got '%s' too\n",
				argv[optind + 1]);
		else
			fprintf(stderr, "cdl run: no --input given\n");
		usage(stderr);
		return 2;
	}
	o->model = argv[optind];
	return 0;
}

int cdl_cmd_run(int argc, char **argv)
{
	run_opts o;
	cdl_context_options copts = {0};
	cdl_context *ctx = NULL;
	cdl_model *model = NULL;
	cdl_model_info info;
	cdl_input inputs[CDL_MAX_IO];
	cdl_output outputs[CDL_MAX_IO];
	cdl_stats stats;
	labels lab = {0};
	batch b;
	int64_t *expect = NULL;
	char msg[1024] = "";
	double t0 = 0.0, ms = 0.0;
	cdl_status status = CDL_OK;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc;
	memset(&b, 0, sizeof(b));
	memset(outputs, 0, sizeof(outputs));
	rc = 1;
	if (o.labels && read_labels(o.labels, &lab, msg, sizeof(msg))) {
		fprintf(stderr, "cdl run: %s\n", msg[0] ? msg : "cannot read the labels");
		goto out;
	}
	copts.tee_socket = o.tee;
	status = cdl_context_create(&copts, &ctx);
	if (status == CDL_OK)
		status = cdl_model_load_file(ctx, o.model, o.mode, &model);
	if (status == CDL_OK)
		status = cdl_model_get_info(model, &info);
	if (status != CDL_OK) {
		fprintf(stderr, "cdl run: %s\n", cdl_last_error());
		goto out;
	}
	status = read_batch(&o, &info, &b, msg, sizeof(msg));
	if (status != CDL_OK) {
		fprintf(stderr, "cdl run: %s\n", msg);
		goto out;
	}
	if (o.expect && read_expect(o.expect, b.n, &expect, msg, sizeof(msg))) {
		fprintf(stderr, "cdl run: %s\n", msg[0] ? msg : "cannot read --expect");
		goto out;
	}
	for (uint32_t i = 0; i < info.n_inputs; i++) {
		const cdl_tensor_info *t = &info.inputs[i];

		inputs[i].data = b.data[i];
		inputs[i].size = b.size[i];
		inputs[i].dtype = t->dtype;
		inputs[i].rank = t->rank;
		memcpy(inputs[i].dims, t->dims, sizeof(t->dims));
		if (b.n > 1) {
			if (t->rank == 0) {
				inputs[i].rank = 1;
				inputs[i].dims[0] = b.n;
			} else {
				inputs[i].dims[0] *= b.n;
			}
		}
	}
	for (uint32_t k = 0; k < info.n_results; k++) {
		outputs[k].capacity = info.result_size[k] * b.n;
		outputs[k].data = malloc(outputs[k].capacity + 1);
		if (!outputs[k].data) {
			fprintf(stderr, "cdl run: out of memory for %zu bytes of results\n",
				outputs[k].capacity);
			goto out;
		}
	}
	t0 = now_ms();
	status = cdl_model_run(model, b.n, inputs, info.n_inputs, outputs, info.n_results);
	ms = now_ms() - t0;
	if (status != CDL_OK) {
		fprintf(stderr, "cdl run: %s\n", cdl_last_error());
		goto out;
	}
	if ((o.verbose || o.json) && cdl_model_stats(model, &stats) != CDL_OK) {
		fprintf(stderr, "cdl run: %s\n", cdl_last_error());
		goto out;
	}
	rc =
	    report(&o, &info, &b, outputs, &lab, expect, ms, (o.verbose || o.json) ? &stats : NULL);
out:
	for (uint32_t k = 0; k < CDL_MAX_IO; k++)
		free(outputs[k].data);
	free(expect);
	free_batch(&b);
	free_labels(&lab);
	cdl_model_delete(model);
	cdl_context_delete(ctx);
	return rc;
}
