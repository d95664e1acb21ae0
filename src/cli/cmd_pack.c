// SPDX-License-Identifier: Apache-2.0
/*
 * cdl pack MODEL.onnx --to DEVICE.pub --sign PROVIDER.key -o MODEL.cdlm:
 * the provider's half of cdl. Imports, optimises and plans the model (the
 * same pipeline as the plain engine), then encrypts the plan for one device
 * and signs it (docs/package-format.md). The header records what the app
 * needs in the clear: input/output names and shapes, the policy the TA
 * enforces, and how `cdl run` turns an image into the input tensor.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cdl/status.h"
#include "cmd_package.h"
#include "format/keys.h"
#include "format/reader.h"
#include "format/writer.h"
#include "provider/provider.h"

#define MAX_INPUT_SHAPES 64u
#define SECONDS_PER_DAY 86400

enum channels_opt { CHANNELS_UNSET = 0, CHANNELS_GRAY, CHANNELS_RGB, CHANNELS_BGR };

typedef struct pack_opts {
	const char *model, *to, *sign, *output;
	cdl_pkg_policy policy;
	uint32_t block_size; /* 0: the format's default */
	cdl_input_shape shapes[MAX_INPUT_SHAPES];
	char *shape_names[MAX_INPUT_SHAPES]; /* owned */
	uint32_t n_shapes;

	/* Image preprocessing: recorded only if any of these is given. */
	bool pp_any;
	const char *pp_input; /* NULL: the model's only input */
	int layout;	      /* -1 unset, else cdl_pkg_layout */
	enum channels_opt channels;
	uint32_t height, width; /* 0: unset */
	uint32_t resize_short;
	float scale; /* 0: unset */
	float mean[CDL_PKG_MAX_CHANNELS], std[CDL_PKG_MAX_CHANNELS];
	unsigned int n_mean, n_std;
	bool quiet;
} pack_opts;

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: cdl pack MODEL.onnx --to DEVICE.pub --sign PROVIDER.key -o OUT.cdlm [options]\n"
	    "\n"
	    "Compiles an ONNX model and packs it for one device: encrypted so that only that\n"
	    "device's TEE can read it, signed with the provider's key.\n"
	    "\n"
	    "  --to FILE            the device's P-256 public key, PEM (`cdl device-key`)\n"
	    "  --sign FILE          the provider's P-256 private key, PEM (`cdl keygen`)\n"
	    "  -o, --output FILE    the package to write (replaced atomically)\n"
	    "\n"
	    "policy (enforced by the device's TEE):\n"
	    "  --policy MODE        full (all outputs, default), topk:K (the K largest\n"
	    "                       entries of output 0 with their indices), label (the\n"
	    "                       arg-max index of output 0 only)\n"
	    "  --max-queries N      inferences allowed in all (default: unlimited)\n"
	    "  --expires DATE       YYYY-MM-DD: the model refuses to run from 00:00:00 UTC\n"
	    "                       of that day (default: never)\n"
	    "\n"
	    "compilation:\n"
	    "  --input-shape NAME=D0,D1,...   fixes the shape of input NAME (for symbolic\n"
	    "                       dims such as a batch size); repeatable\n"
	    "  --block-size BYTES   encryption block size, a multiple of 4K in 4K..16M;\n"
	    "                       suffixes K and M (default 64K)\n"
	    "\n"
	    "image preprocessing, recorded for `cdl run` (only if one of these is given):\n"
	    "  --preproc-input NAME the image input (default: the model's only input)\n"
	    "  --layout nchw|nhwc   the input's layout (default nchw)\n"
	    "  --size HxW           the input's height and width (default: from its shape;\n"
	    "                       if given it must match the shape)\n"
	    "  --resize-short N     resize the shorter image side to N, then centre-crop HxW\n"
	    "                       (default: resize straight to HxW)\n"
	    "  --channels rgb|bgr|gray   channel order (default rgb; gray for 1 channel)\n"
	    "  --scale S            pixel (0..255) * S first (default 1/255; fractions work)\n"
	    "  --mean A,B,C         then (x - mean[c]) / std[c]; one value for all channels\n"
	    "  --std A,B,C          or one per channel (defaults 0 and 1)\n"
	    "\n"
	    "  -q, --quiet          no summary line\n"
	    "\n"
	    "A progress line is drawn on stderr when it is a terminal.\n");
}

/* ---- argument parsing: each parser prints one line and returns false ----- */

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v = 0;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool parse_policy(const char *s, cdl_pkg_policy *p)
{
	uint64_t k = 0;

	if (strcmp(s, "full") == 0) {
		p->output_mode = CDL_PKG_OUTPUT_FULL;
		p->topk = 0;
		return true;
	}
	if (strcmp(s, "label") == 0) {
		p->output_mode = CDL_PKG_OUTPUT_LABEL;
		p->topk = 0;
		return true;
	}
	if (strncmp(s, "topk:", 5) == 0) {
		if (!parse_u64(s + 5, &k) || k < 1 || k > 65535) {
			fprintf(stderr, "cdl pack: --policy %s: K must be 1..65535\n", s);
			return false;
		}
		p->output_mode = CDL_PKG_OUTPUT_TOPK;
		p->topk = (uint32_t)k;
		return true;
	}
	fprintf(stderr, "cdl pack: --policy %s: must be full, topk:K or label\n", s);
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era = 0;
	unsigned int yoe = 0, doy = 0, doe = 0;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool parse_date(const char *s, uint64_t *out)
{
	static const unsigned int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned int y = 0, m = 0, d = 0, max_day = 0;
	int n = 0;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4u-%2u-%2u%n", &y, &m, &d, &n) != 3 || n != 10)
		goto bad;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			goto bad;
	if (m < 1 || m > 12)
		goto bad;
	max_day = mdays[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
	if (d < 1 || d > max_day)
		goto bad;
	if (y < 1970 || (y == 1970 && m == 1 && d == 1)) {
		/* 0 means "never" in the header. */
		fprintf(stderr, "cdl pack: --expires %s: must be after 1970-01-01\n", s);
		return false;
	}
	*out = (uint64_t)days_from_civil(y, m, d) * SECONDS_PER_DAY;
	return true;
bad:
	fprintf(stderr, "cdl pack: --expires %s: not a valid date YYYY-MM-DD\n", s);
	return false;
}

/* BYTES with an optional K/KiB or M/MiB suffix (binary units). */
static bool parse_block_size(const char *s, uint32_t *out)
{
	char *end = NULL;
	unsigned long long v = 0, mul = 1;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	if (*end == 'K' || *end == 'k')
		mul = 1024;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024;
	if (mul > 1) {
		end++;
		if (strcmp(end, "iB") == 0 || strcmp(end, "B") == 0)
			end += strlen(end);
	}
	if (*end)
		goto bad;
	if (v > CDL_PKG_MAX_BLOCK_SIZE / mul || v * mul < CDL_PKG_MIN_BLOCK_SIZE ||
	    (v * mul) % CDL_PKG_BLOCK_ALIGN) {
		fprintf(stderr,
			"cdl pack: --block-size %s: must be a multiple of 4K (4096) in 4K..16M\n",
			s);
		return false;
	}
	*out = (uint32_t)(v * mul);
	return true;
bad:
	fprintf(stderr, "cdl pack: --block-size %s: not a size (BYTES, or with suffix K or M)\n",
		s);
	return false;
}

/* NAME=D0,D1,...; the name is everything before the last '='. */
static bool parse_input_shape(const char *s, pack_opts *o)
{
	const char *eq = strrchr(s, '=');
	const char *p = NULL;
	cdl_input_shape *sh = NULL;
	char *name = NULL;

	if (o->n_shapes == MAX_INPUT_SHAPES) {
		fprintf(stderr, "cdl pack: --input-shape given more than %u times\n",
			MAX_INPUT_SHAPES);
		return false;
	}
	if (!eq || eq == s || !eq[1]) {
		fprintf(stderr, "cdl pack: --input-shape %s: must be NAME=D0,D1,...\n", s);
		return false;
	}
	sh = &o->shapes[o->n_shapes];
	memset(sh, 0, sizeof(*sh));
	for (p = eq + 1;;) {
		char *end = NULL;
		long long d = 0;

		if (*p < '0' || *p > '9') {
			fprintf(stderr,
				"cdl pack: --input-shape %s: dims must be non-negative integers\n",
				s);
			return false;
		}
		errno = 0;
		d = strtoll(p, &end, 10);
		if (errno || d > (long long)CDL_PKG_MAX_DIM) {
			fprintf(stderr, "cdl pack: --input-shape %s: a dim is larger than 2^32-1\n",
				s);
			return false;
		}
		if (sh->rank == CDL_MAX_RANK) {
			fprintf(stderr, "cdl pack: --input-shape %s: more than %d dims\n", s,
				CDL_MAX_RANK);
			return false;
		}
		sh->dims[sh->rank++] = d;
		if (*end == '\0')
			break;
		if (*end != ',') {
			fprintf(stderr, "cdl pack: --input-shape %s: must be NAME=D0,D1,...\n", s);
			return false;
		}
		p = end + 1;
	}
	for (uint32_t i = 0; i < o->n_shapes; i++) {
		if (strlen(o->shape_names[i]) == (size_t)(eq - s) &&
		    strncmp(o->shape_names[i], s, (size_t)(eq - s)) == 0) {
			fprintf(stderr, "cdl pack: --input-shape for '%.*s' given twice\n",
				(int)(eq - s), s);
			return false;
		}
	}
	name = strndup(s, (size_t)(eq - s));
	if (!name) {
		fprintf(stderr, "cdl pack: out of memory\n");
		return false;
	}
	o->shape_names[o->n_shapes] = name;
	sh->name = name;
	o->n_shapes++;
	return true;
}

/* A finite float, or a fraction A/B ("1/255"). */
static bool parse_float(const char *s, const char **end_out, float *out)
{
	char *end = NULL;
	double v = 0.0, den = 0.0;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return false;
	if (*end == '/') {
		const char *d = end + 1;

		den = strtod(d, &end);
		if (end == d || errno || den == 0.0)
			return false;
		v /= den;
	}
	if (!isfinite(v) || !isfinite((float)v))
		return false;
	*out = (float)v;
	*end_out = end;
	return true;
}

static bool parse_floats(const char *opt, const char *s, float *v, unsigned int *n)
{
	const char *p = s, *end = NULL;

	*n = 0;
	for (;;) {
		if (*n == CDL_PKG_MAX_CHANNELS) {
			fprintf(stderr, "cdl pack: %s %s: at most %u values\n", opt, s,
				CDL_PKG_MAX_CHANNELS);
			return false;
		}
		if (!parse_float(p, &end, &v[*n])) {
			fprintf(stderr,
				"cdl pack: %s %s: must be finite numbers separated by ','\n", opt,
				s);
			return false;
		}
		(*n)++;
		if (*end == '\0')
			return true;
		if (*end != ',') {
			fprintf(stderr,
				"cdl pack: %s %s: must be finite numbers separated by ','\n", opt,
				s);
			return false;
		}
		p = end + 1;
	}
}

/* HxW, or N for NxN. */
static bool parse_hw(const char *s, uint32_t *h, uint32_t *w)
{
	uint64_t a = 0, b = 0;
	const char *x = strpbrk(s, "xX");
	char first[32];

	if (!x) {
		if (!parse_u64(s, &a) || a < 1 || a > UINT32_MAX)
			goto bad;
		*h = *w = (uint32_t)a;
		return true;
	}
	if ((size_t)(x - s) >= sizeof(first))
		goto bad;
	memcpy(first, s, (size_t)(x - s));
	first[x - s] = '\0';
	if (!parse_u64(first, &a) || !parse_u64(x + 1, &b) || a < 1 || b < 1 || a > UINT32_MAX ||
	    b > UINT32_MAX)
		goto bad;
	*h = (uint32_t)a;
	*w = (uint32_t)b;
	return true;
bad:
	fprintf(stderr, "cdl pack: --size %s: must be HxW with H, W >= 1\n", s);
	return false;
}

/* ---- after import: check the options against the model --------------------- */

static void format_shape(const cdl_pkg_tensor_info *t, char *buf, size_t size)
{
	size_t n = 0;

	n += (size_t)snprintf(buf, size, "[");
	for (unsigned int d = 0; d < t->rank && n < size; d++)
		n += (size_t)snprintf(buf + n, size - n, "%s%" PRId64, d ? "," : "", t->dims[d]);
	if (n < size)
		snprintf(buf + n, size - n, "]");
}

static bool build_preproc(const pack_opts *o, const cdl_pkg_tensor_info *ins, uint16_t n_in,
			  cdl_pkg_preproc *pp)
{
	const cdl_pkg_tensor_info *t = NULL;
	char shape[160];
	unsigned int base = 0, idx = 0;
	int64_t c = 0, h = 0, w = 0;

	memset(pp, 0, sizeof(*pp));
	if (!o->pp_any)
		return true;
	if (o->pp_input) {
		for (idx = 0; idx < n_in && strcmp(ins[idx].name, o->pp_input) != 0; idx++)
			;
		if (idx == n_in) {
			fprintf(stderr,
				"cdl pack: failed to pack %s: --preproc-input %s: the model "
				"has no input of that name\n",
				o->model, o->pp_input);
			return false;
		}
	} else if (n_in != 1) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: the model has %u inputs; name the "
			"image input with --preproc-input\n",
			o->model, n_in);
		return false;
	}
	t = &ins[idx];
	format_shape(t, shape, sizeof(shape));
	if (t->rank != 3 && t->rank != 4) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: image preprocessing needs input '%s' "
			"to be [N,C,H,W], [N,H,W,C] or without N; it is %s\n",
			o->model, t->name, shape);
		return false;
	}
	pp->present = true;
	pp->input_index = (uint16_t)idx;
	pp->layout = o->layout < 0 ? CDL_PKG_LAYOUT_NCHW : (uint8_t)o->layout;
	base = t->rank - 3u;
	if (pp->layout == CDL_PKG_LAYOUT_NCHW) {
		c = t->dims[base];
		h = t->dims[base + 1];
		w = t->dims[base + 2];
	} else {
		h = t->dims[base];
		w = t->dims[base + 1];
		c = t->dims[base + 2];
	}
	if (c < 1 || c > (int64_t)CDL_PKG_MAX_CHANNELS || h < 1 || w < 1) {
		fprintf(
		    stderr,
		    "cdl pack: failed to pack %s: input '%s' is %s: as %s that is %" PRId64
		    " channels of %" PRId64 "x%" PRId64 "; needs 1..%u channels and H, W >= 1\n",
		    o->model, t->name, shape, pp->layout == CDL_PKG_LAYOUT_NCHW ? "NCHW" : "NHWC",
		    c, h, w, CDL_PKG_MAX_CHANNELS);
		return false;
	}
	if (o->height && (o->height != h || o->width != w)) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: --size %ux%u does not match input "
			"'%s' %s (%s: %" PRId64 "x%" PRId64 ")\n",
			o->model, o->height, o->width, t->name, shape,
			pp->layout == CDL_PKG_LAYOUT_NCHW ? "NCHW" : "NHWC", h, w);
		return false;
	}
	pp->height = (uint32_t)h;
	pp->width = (uint32_t)w;
	pp->n_channels = (uint16_t)c;
	if (o->channels == CHANNELS_GRAY && c != 1) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: --channels gray, but input '%s' %s has "
			"%" PRId64 " channels\n",
			o->model, t->name, shape, c);
		return false;
	}
	if ((o->channels == CHANNELS_RGB || o->channels == CHANNELS_BGR) && c != 3) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: --channels %s, but input '%s' %s has "
			"%" PRId64 " channels, not 3\n",
			o->model, o->channels == CHANNELS_RGB ? "rgb" : "bgr", t->name, shape, c);
		return false;
	}
	pp->channel_order = o->channels == CHANNELS_BGR ? CDL_PKG_BGR : CDL_PKG_RGB;
	if (o->resize_short && (o->resize_short < pp->height || o->resize_short < pp->width)) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: --resize-short %u is smaller than the "
			"%ux%u crop\n",
			o->model, o->resize_short, pp->height, pp->width);
		return false;
	}
	pp->resize_short = o->resize_short;
	pp->scale = o->scale > 0.0f ? o->scale : 1.0f / 255.0f;
	if ((o->n_mean && o->n_mean != 1 && o->n_mean != c) ||
	    (o->n_std && o->n_std != 1 && o->n_std != c)) {
		bool bad_mean = o->n_mean && o->n_mean != 1 && o->n_mean != c;

		fprintf(stderr,
			"cdl pack: failed to pack %s: --%s has %u values, input '%s' %s has "
			"%" PRId64 " channel%s (give one value per channel, or one for all)\n",
			o->model, bad_mean ? "mean" : "std", bad_mean ? o->n_mean : o->n_std,
			t->name, shape, c, c == 1 ? "" : "s");
		return false;
	}
	for (unsigned int i = 0; i < pp->n_channels; i++) {
		pp->mean[i] = o->n_mean ? o->mean[o->n_mean == 1 ? 0 : i] : 0.0f;
		pp->std[i] = o->n_std ? o->std[o->n_std == 1 ? 0 : i] : 1.0f;
	}
	return true;
}

static bool copy_tensor_info(const cdl_graph *g, uint32_t index, cdl_pkg_tensor_info *out,
			     const char *kind, const char *model)
{
	const cdl_gtensor *t = &g->tensors[index];
	size_t n = strlen(t->name);

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > CDL_PKG_MAX_NAME) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: %s name '%.40s...' is %zu bytes, the "
			"package allows 1..%u\n",
			model, kind, t->name, n, CDL_PKG_MAX_NAME);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (t->name[i] < 0x20 || t->name[i] > 0x7e) {
			fprintf(stderr,
				"cdl pack: failed to pack %s: %s name '%.*s...' has a "
				"non-ASCII byte 0x%02x; the package allows printable ASCII only\n",
				model, kind, (int)i, t->name, (unsigned char)t->name[i]);
			return false;
		}
	}
	if (!t->shape_known || t->t.rank > CDL_PKG_MAX_RANK) {
		fprintf(stderr, "cdl pack: failed to pack %s: %s '%s' has no static shape\n", model,
			kind, t->name);
		return false;
	}
	memcpy(out->name, t->name, n + 1);
	out->dtype = t->t.dtype;
	out->rank = t->t.rank;
	for (unsigned int d = 0; d < t->t.rank; d++)
		out->dims[d] = t->t.dims[d];
	return true;
}

/* ---- the command --------------------------------------------------------- */

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	cdl_progress_count(arg, "encrypting", done, total);
}

/*
 * "not a PEM private key" hides two common mistakes behind an OpenSSL error
 * code: a passphrase-protected key and the public half of the pair. Name them.
 */
static void explain_key_error(const char *path, bool want_private, char *msg, size_t msg_size)
{
	char head[4096];
	size_t n = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return;
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	if (strstr(head, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    strstr(head, "Proc-Type: 4,ENCRYPTED"))
		snprintf(msg, msg_size,
			 "%s is a passphrase-protected key: cdl reads unencrypted PEM keys only "
			 "(openssl pkey -in %s -out PLAIN.key)",
			 path, path);
	else if (want_private && strstr(head, "-----BEGIN PUBLIC KEY-----"))
		snprintf(msg, msg_size,
			 "%s is a public key: --sign needs the provider's private key (NAME.key "
			 "from cdl keygen)",
			 path);
}

/* True if the PEM file at path holds a private key (of any kind). */
static bool is_private_key_file(const char *path)
{
	char head[4096];
	size_t n = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	n = fread(head, 1, sizeof(head) - 1, f);
	fclose(f);
	head[n] = '\0';
	return strstr(head, "PRIVATE KEY-----") != NULL;
}

/* The directory -o will be written in must exist and be writable: check before compiling. */
static bool check_output(const pack_opts *o)
{
	struct stat st_out, st_model;
	const char *slash = strrchr(o->output, '/');
	char *dir = NULL;
	bool ok = true;

	if (stat(o->output, &st_out) == 0) {
		if (S_ISDIR(st_out.st_mode)) {
			fprintf(stderr, "cdl pack: -o %s is a directory: give a file name\n",
				o->output);
			return false;
		}
		if (stat(o->model, &st_model) == 0 && st_model.st_dev == st_out.st_dev &&
		    st_model.st_ino == st_out.st_ino) {
			fprintf(stderr,
				"cdl pack: -o %s is the model itself: refusing to replace "
				"it\n",
				o->output);
			return false;
		}
	}
	dir = slash ? strndup(o->output, (size_t)(slash - o->output) + (slash == o->output))
		    : strdup(".");
	if (!dir) {
		fprintf(stderr, "cdl pack: out of memory\n");
		return false;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		fprintf(stderr, "cdl pack: cannot write -o %s: directory %s: %s\n", o->output, dir,
			strerror(errno));
		ok = false;
	}
	free(dir);
	return ok;
}

static int pack(const pack_opts *o)
{
	char msg[1024] = "", a[32], b[32], c[32];
	char model_id[2 * CDL_PKG_MODEL_ID_LEN + 1];
	cdl_pkg_tensor_info *ins = NULL, *outs = NULL;
	uint16_t n_in = 0, n_out = 0;
	EVP_PKEY *device = NULL, *provider = NULL;
	cdl_graph *g = NULL;
	uint8_t *plan = NULL, *pkg = NULL;
	size_t plan_len = 0, pkg_len = 0;
	cdl_pkg_preproc pp;
	cdl_pkg_write_params wp;
	cdl_pkg_write_info info;
	cdl_progress prog;
	cdl_status s = CDL_OK;
	double t0 = cdl_now_seconds();
	int rc = 1;

	cdl_progress_init(&prog, isatty(STDERR_FILENO));
	memset(&wp, 0, sizeof(wp));
	memset(&info, 0, sizeof(info));

	/* Cheap checks first: a bad key or path should not wait for a big model to compile. */
	s = cdl_key_load_public(o->to, &device, msg, sizeof(msg));
	if (s == CDL_ERR_MALFORMED)
		explain_key_error(o->to, false, msg, sizeof(msg));
	if (s != CDL_OK) {
		fprintf(stderr, "cdl pack: --to: %s\n", msg);
		goto out;
	}
	/* Only its public half is used, but a device's private key has no business here. */
	if (is_private_key_file(o->to))
		fprintf(stderr,
			"cdl pack: warning: --to %s is a private key; only its public half is "
			"used (give the device's .pub: its private key should never leave it)\n",
			o->to);
	s = cdl_key_load_private(o->sign, &provider, msg, sizeof(msg));
	if (s == CDL_ERR_MALFORMED)
		explain_key_error(o->sign, true, msg, sizeof(msg));
	if (s != CDL_OK) {
		fprintf(stderr, "cdl pack: --sign: %s\n", msg);
		goto out;
	}
	if (!check_output(o))
		goto out;

	cdl_progress_stage(&prog, "importing %s", o->model);
	s = cdl_onnx_import_file(o->model, o->shapes, o->n_shapes, &g, msg, sizeof(msg));
	if (s == CDL_OK) {
		cdl_progress_stage(&prog, "optimising %u nodes", g->n_nodes);
		s = cdl_optimize(g, msg, sizeof(msg));
	}
	if (s == CDL_OK) {
		cdl_progress_stage(&prog, "planning memory for %u nodes", g->n_nodes);
		s = cdl_plan_memory(g, msg, sizeof(msg));
	}
	/* The checks below are instant and may print: no progress line in their way. */
	cdl_progress_clear(&prog);
	if (s != CDL_OK) {
		fprintf(stderr, "cdl pack: failed to pack %s: %s\n", o->model, msg);
		goto out;
	}

	/* What the app sees in the clear: the graph's inputs and outputs as compiled. */
	if (g->n_inputs < 1 || g->n_inputs > CDL_PKG_MAX_IO || g->n_outputs < 1 ||
	    g->n_outputs > CDL_PKG_MAX_IO) {
		fprintf(stderr,
			"cdl pack: failed to pack %s: %u inputs and %u outputs, a package "
			"allows 1..%u of each\n",
			o->model, g->n_inputs, g->n_outputs, CDL_PKG_MAX_IO);
		goto out;
	}
	n_in = (uint16_t)g->n_inputs;
	n_out = (uint16_t)g->n_outputs;
	ins = calloc(n_in, sizeof(*ins));
	outs = calloc(n_out, sizeof(*outs));
	if (!ins || !outs) {
		fprintf(stderr, "cdl pack: out of memory\n");
		goto out;
	}
	for (uint16_t i = 0; i < n_in; i++)
		if (!copy_tensor_info(g, g->inputs[i], &ins[i], "input", o->model))
			goto out;
	for (uint16_t i = 0; i < n_out; i++)
		if (!copy_tensor_info(g, g->outputs[i], &outs[i], "output", o->model))
			goto out;
	if (o->policy.output_mode == CDL_PKG_OUTPUT_TOPK) {
		uint64_t numel = 1;
		char shape[160];

		for (unsigned int d = 0; d < outs[0].rank; d++)
			if (__builtin_mul_overflow(numel, (uint64_t)outs[0].dims[d], &numel))
				numel = UINT64_MAX;
		if (o->policy.topk > numel) {
			format_shape(&outs[0], shape, sizeof(shape));
			fprintf(stderr,
				"cdl pack: failed to pack %s: --policy topk:%u, but output "
				"'%s' %s has only %" PRIu64 " values\n",
				o->model, o->policy.topk, outs[0].name, shape, numel);
			goto out;
		}
	}
	if (!build_preproc(o, ins, n_in, &pp))
		goto out;

	cdl_progress_stage(&prog, "serialising the plan");
	s = cdl_plan_write(g, &plan, &plan_len, msg, sizeof(msg));
	if (s != CDL_OK) {
		cdl_progress_clear(&prog);
		fprintf(stderr, "cdl pack: failed to pack %s: %s\n", o->model, msg);
		goto out;
	}
	cdl_graph_free(g);
	g = NULL;

	wp.plan = plan;
	wp.plan_len = plan_len;
	wp.inputs = ins;
	wp.n_inputs = n_in;
	wp.outputs = outs;
	wp.n_outputs = n_out;
	wp.policy = o->policy;
	wp.preproc = &pp;
	wp.device_pub = device;
	wp.provider_key = provider;
	wp.block_size = o->block_size;
	wp.progress = on_progress;
	wp.progress_arg = &prog;
	s = cdl_pkg_write(&wp, &pkg, &pkg_len, &info, msg, sizeof(msg));
	if (s != CDL_OK) {
		cdl_progress_clear(&prog);
		fprintf(stderr, "cdl pack: failed to pack %s: %s\n", o->model, msg);
		goto out;
	}
	cdl_progress_stage(&prog, "writing %s", o->output);
	s = cdl_pkg_write_file(o->output, pkg, pkg_len, msg, sizeof(msg));
	cdl_progress_clear(&prog);
	if (s != CDL_OK) {
		fprintf(stderr, "cdl pack: %s\n", msg);
		goto out;
	}
	if (!o->quiet) {
		cdl_pkg_hex(info.model_id, sizeof(info.model_id), model_id);
		printf("packed %s -> %s: model %s, %" PRIu32 " block%s x %s, package %s (plan %s), "
		       "%.2f s\n",
		       o->model, o->output, model_id, info.block_count,
		       info.block_count == 1 ? "" : "s",
		       cdl_format_bytes(info.block_size, a, sizeof(a)),
		       cdl_format_bytes(info.package_len, b, sizeof(b)),
		       cdl_format_bytes(plan_len, c, sizeof(c)), cdl_now_seconds() - t0);
	}
	rc = 0;
out:
	if (plan) {
		/* The plaintext model: don't leave it in freed memory. */
		OPENSSL_cleanse(plan, plan_len);
		free(plan);
	}
	free(pkg);
	free(ins);
	free(outs);
	cdl_graph_free(g);
	EVP_PKEY_free(device);
	EVP_PKEY_free(provider);
	return rc;
}

int cdl_cmd_pack(int argc, char **argv)
{
	enum {
		OPT_TO = 256,
		OPT_SIGN,
		OPT_POLICY,
		OPT_MAX_QUERIES,
		OPT_EXPIRES,
		OPT_BLOCK_SIZE,
		OPT_INPUT_SHAPE,
		OPT_MEAN,
		OPT_STD,
		OPT_LAYOUT,
		OPT_SIZE,
		OPT_SCALE,
		OPT_CHANNELS,
		OPT_RESIZE_SHORT,
		OPT_PREPROC_INPUT,
	};
	static const struct option long_opts[] = {
	    {"to", required_argument, NULL, OPT_TO},
	    {"sign", required_argument, NULL, OPT_SIGN},
	    {"output", required_argument, NULL, 'o'},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"max-queries", required_argument, NULL, OPT_MAX_QUERIES},
	    {"expires", required_argument, NULL, OPT_EXPIRES},
	    {"block-size", required_argument, NULL, OPT_BLOCK_SIZE},
	    {"input-shape", required_argument, NULL, OPT_INPUT_SHAPE},
	    {"mean", required_argument, NULL, OPT_MEAN},
	    {"std", required_argument, NULL, OPT_STD},
	    {"layout", required_argument, NULL, OPT_LAYOUT},
	    {"size", required_argument, NULL, OPT_SIZE},
	    {"scale", required_argument, NULL, OPT_SCALE},
	    {"channels", required_argument, NULL, OPT_CHANNELS},
	    {"resize-short", required_argument, NULL, OPT_RESIZE_SHORT},
	    {"preproc-input", required_argument, NULL, OPT_PREPROC_INPUT},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	pack_opts *o = calloc(1, sizeof(*o));
	uint64_t v = 0;
	int c = 0, rc = 2;

	if (!o) {
		fprintf(stderr, "cdl pack: out of memory\n");
		return 1;
	}
	o->layout = -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:qh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case OPT_TO:
			o->to = optarg;
			break;
		case OPT_SIGN:
			o->sign = optarg;
			break;
		case OPT_POLICY:
			if (!parse_policy(optarg, &o->policy))
				goto out;
			break;
		case OPT_MAX_QUERIES:
			if (!parse_u64(optarg, &v) || v == 0) {
				fprintf(stderr,
					"cdl pack: --max-queries %s: must be an integer >= 1 "
					"(leave it out for unlimited)\n",
					optarg);
				goto out;
			}
			o->policy.max_queries = v;
			break;
		case OPT_EXPIRES:
			if (!parse_date(optarg, &o->policy.expiry))
				goto out;
			if (o->policy.expiry <= (uint64_t)time(NULL))
				fprintf(stderr,
					"cdl pack: warning: --expires %s is not in the future: "
					"the device will refuse to run this model\n",
					optarg);
			break;
		case OPT_BLOCK_SIZE:
			if (!parse_block_size(optarg, &o->block_size))
				goto out;
			break;
		case OPT_INPUT_SHAPE:
			if (!parse_input_shape(optarg, o))
				goto out;
			break;
		case OPT_MEAN:
			if (!parse_floats("--mean", optarg, o->mean, &o->n_mean))
				goto out;
			o->pp_any = true;
			break;
		case OPT_STD:
			if (!parse_floats("--std", optarg, o->std, &o->n_std))
				goto out;
			for (unsigned int i = 0; i < o->n_std; i++) {
				if (!(o->std[i] > 0.0f)) {
					fprintf(stderr, "cdl pack: --std %s: values must be > 0\n",
						optarg);
					goto out;
				}
			}
			o->pp_any = true;
			break;
		case OPT_LAYOUT:
			if (strcasecmp(optarg, "nchw") == 0) {
				o->layout = CDL_PKG_LAYOUT_NCHW;
			} else if (strcasecmp(optarg, "nhwc") == 0) {
				o->layout = CDL_PKG_LAYOUT_NHWC;
			} else {
				fprintf(stderr, "cdl pack: --layout %s: must be nchw or nhwc\n",
					optarg);
				goto out;
			}
			o->pp_any = true;
			break;
		case OPT_SIZE:
			if (!parse_hw(optarg, &o->height, &o->width))
				goto out;
			o->pp_any = true;
			break;
		case OPT_SCALE: {
			const char *end = NULL;

			if (!parse_float(optarg, &end, &o->scale) || *end || !(o->scale > 0.0f)) {
				fprintf(stderr,
					"cdl pack: --scale %s: must be a finite number > 0 "
					"(e.g. 1/255)\n",
					optarg);
				goto out;
			}
			o->pp_any = true;
			break;
		}
		case OPT_CHANNELS:
			if (strcasecmp(optarg, "rgb") == 0) {
				o->channels = CHANNELS_RGB;
			} else if (strcasecmp(optarg, "bgr") == 0) {
				o->channels = CHANNELS_BGR;
			} else if (strcasecmp(optarg, "gray") == 0 ||
				   strcasecmp(optarg, "grey") == 0 ||
				   strcasecmp(optarg, "grayscale") == 0) {
				o->channels = CHANNELS_GRAY;
			} else {
				fprintf(stderr,
					"cdl pack: --channels %s: must be rgb, bgr or gray\n",
					optarg);
				goto out;
			}
			o->pp_any = true;
			break;
		case OPT_RESIZE_SHORT:
			if (!parse_u64(optarg, &v) || v < 1 || v > UINT32_MAX) {
				fprintf(stderr,
					"cdl pack: --resize-short %s: must be an integer >= 1\n",
					optarg);
				goto out;
			}
			o->resize_short = (uint32_t)v;
			o->pp_any = true;
			break;
		case OPT_PREPROC_INPUT:
			o->pp_input = optarg;
			o->pp_any = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		case ':':
			fprintf(stderr, "cdl pack: %s needs a value (run 'cdl pack --help')\n",
				argv[optind - 1]);
			goto out;
		default:
			fprintf(stderr, "cdl pack: unknown option %s (run 'cdl pack --help')\n",
				argv[optind - 1]);
			goto out;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "cdl pack: missing MODEL.onnx (run 'cdl pack --help')\n");
		goto out;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "cdl pack: one MODEL.onnx at a time, got '%s' and '%s'\n",
			argv[optind], argv[optind + 1]);
		goto out;
	}
	o->model = argv[optind];
	if (!o->to || !o->sign || !o->output) {
		fprintf(stderr, "cdl pack: missing %s (run 'cdl pack --help')\n",
			!o->to	   ? "--to DEVICE.pub"
			: !o->sign ? "--sign PROVIDER.key"
				   : "-o OUT.cdlm");
		goto out;
	}
	rc = pack(o);
out:
	for (uint32_t i = 0; i < o->n_shapes; i++)
		free(o->shape_names[i]);
	free(o);
	return rc;
}
