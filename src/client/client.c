// SPDX-License-Identifier: Apache-2.0
/*
 * libcdl: contexts, models, runs and stats over the GP TEE Client API and the
 * cdl TA's interface (src/ta/include/cdl_ta.h).
 *
 * World switches: loading costs OPEN_MODEL + MODEL_INFO, every
 * cdl_model_run exactly one RUN (a whole batch), cdl_model_stats one STATS.
 * The package lives in one TEEC_AllocateSharedMemory block for the model's
 * life (zero-copy with both the host TEE and OP-TEE); the inputs, outputs and
 * the TA's error message go through a second, per-model block that grows
 * with the batch.
 *
 * Only the standard fields of the TEEC structs are touched, so this file
 * builds against our GP headers (host TEE) and OP-TEE's libteec alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cdl_ta.h"
#include "format/crypto_openssl.h"
#include "format/keys.h"
#include "format/reader.h"
#include "internal.h"

#ifdef CDL_TEEC_HOST
#include "cdl_teec_host.h"
#endif

#define MSG_LEN 256u	   /* the TA's one-line failure message */
#define IO_ALIGN 64u	   /* offsets inside the I/O block */
#define IO_MIN (64u << 10) /* first size of the I/O block */

struct cdl_context {
	pthread_mutex_t lock;
	TEEC_Context tee;
	TEEC_Session session;
	bool dead; /* the TEE went away: every call fails, a new context restarts it */
	long pid;
	bool have_key;
	uint8_t point[CDL_DEVICE_POINT_LEN];
	uint8_t key_id[CDL_DEVICE_KEY_ID_LEN];
	struct cdl_model *models; /* loaded models, to orphan on delete */
};

struct cdl_model {
	cdl_context *ctx; /* NULL once the context was deleted */
	struct cdl_model *next, *prev;
	char name[128]; /* for messages: the file's base name or "buffer" */
	TEEC_SharedMemory pkg;
	TEEC_SharedMemory io;
	bool have_pkg, have_io;
	uint32_t handle;
	uint32_t mode; /* CDL_TA_MODE_RESIDENT or _STREAM, as the TA chose */
	cdl_model_info info;
	/* the last run, for cdl_model_stats */
	uint64_t runs;
	uint32_t last_batch;
	uint32_t last_switches;
	double last_call_us;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static size_t align_up(size_t n)
{
	return (n + IO_ALIGN - 1) & ~(size_t)(IO_ALIGN - 1);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ------------------------------------------------------------- types */

size_t cdl_type_size(uint32_t dtype)
{
	switch (dtype) {
	case CDL_TYPE_FLOAT32:
	case CDL_TYPE_INT32:
	case CDL_TYPE_UINT32:
		return 4;
	case CDL_TYPE_UINT8:
	case CDL_TYPE_INT8:
	case CDL_TYPE_BOOL:
		return 1;
	case 4:	 /* uint16 */
	case 5:	 /* int16 */
	case 10: /* float16 */
	case 16: /* bfloat16 */
		return 2;
	case CDL_TYPE_INT64:
	case 11: /* double */
	case 13: /* uint64 */
		return 8;
	case CDL_TYPE_TOPK:
		return sizeof(cdl_topk_entry);
	default:
		return 0;
	}
}

const char *cdl_type_name(uint32_t dtype)
{
	switch (dtype) {
	case CDL_TYPE_FLOAT32:
		return "float32";
	case CDL_TYPE_UINT8:
		return "uint8";
	case CDL_TYPE_INT8:
		return "int8";
	case 4:
		return "uint16";
	case 5:
		return "int16";
	case CDL_TYPE_INT32:
		return "int32";
	case CDL_TYPE_INT64:
		return "int64";
	case CDL_TYPE_BOOL:
		return "bool";
	case 10:
		return "float16";
	case 11:
		return "float64";
	case CDL_TYPE_UINT32:
		return "uint32";
	case 13:
		return "uint64";
	case 16:
		return "bfloat16";
	case CDL_TYPE_TOPK:
		return "topk";
	default:
		return "unknown";
	}
}

const char *cdl_mode_str(cdl_mode mode)
{
	switch (mode) {
	case CDL_MODE_AUTO:
		return "auto";
	case CDL_MODE_RESIDENT:
		return "resident";
	case CDL_MODE_STREAM:
		return "stream";
	}
	return "unknown";
}

/* "[1,3,224,224]" */
static const char *shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t n)
{
	size_t used = 0;

	used += (size_t)snprintf(buf, n, "[");
	for (uint32_t i = 0; i < rank && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%" PRId64, i ? "," : "", dims[i]);
	if (used < n)
		snprintf(buf + used, n - used, "]");
	return buf;
}

/* ----------------------------------------------------------- context */

/* The one TEEC_InvokeCommand wrapper. Caller holds ctx->lock. */
static TEEC_Result invoke(cdl_context *ctx, uint32_t cmd, TEEC_Operation *op, uint32_t *origin)
{
	TEEC_Result res = TEEC_SUCCESS;

	*origin = TEEC_ORIGIN_API;
	if (ctx->dead) {
		*origin = TEEC_ORIGIN_COMMS;
		return TEEC_ERROR_TARGET_DEAD;
	}
	res = TEEC_InvokeCommand(&ctx->session, cmd, op, origin);
	if (cdl_client_tee_dead(res, *origin))
		ctx->dead = true;
	return res;
}

static cdl_status tee_gone(const cdl_context *ctx, const char *what)
{
	if (ctx->pid > 0)
		return cdl_client_fail(CDL_ERR_TEE,
				       "failed to %s: the TEE (cdl-tee pid %ld) went away; "
				       "create a new context to restart it",
				       what, ctx->pid);
	return cdl_client_fail(CDL_ERR_TEE, "failed to %s: the TEE went away; create a new context",
			       what);
}

/* A failed call's status with a message; the TEE's death says so. */
static cdl_status call_failed(cdl_context *ctx, TEEC_Result res, uint32_t origin, const char *what)
{
	if (cdl_client_tee_dead(res, origin))
		return tee_gone(ctx, what);
	return cdl_client_fail(
	    cdl_client_status(res, origin), "failed to %s: TEE returned 0x%08x (origin %u): %s",
	    what, (unsigned)res, (unsigned)origin, cdl_status_str(cdl_client_status(res, origin)));
}

cdl_status cdl_context_create(const cdl_context_options *opts, cdl_context **out)
{
	static const TEEC_UUID uuid = TA_CDL_UUID;
	cdl_context *ctx = NULL;
	const char *name = opts ? opts->tee_socket : NULL;
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;
	cdl_status status = CDL_OK;

	cdl_client_clear_error();
	if (!out)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to create a context: out is NULL");
	*out = NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY,
				       "failed to create a context: out of memory");
	pthread_mutex_init(&ctx->lock, NULL);
	ctx->pid = -1;
	res = TEEC_InitializeContext(name, &ctx->tee);
	if (res != TEEC_SUCCESS) {
		status = cdl_client_fail(
		    CDL_ERR_TEE, "failed to connect to the TEE%s%s: 0x%08x (%s)",
		    name ? " at " : "", name ? name : "", (unsigned)res,
		    res == TEEC_ERROR_ITEM_NOT_FOUND
			? "cdl-tee not found: set CDL_TEE_BIN or put it next to the program "
			  "or on PATH"
		    : res == TEEC_ERROR_COMMUNICATION
			? "the TEE did not start or answer (see its message above)"
			: "cannot start or reach it");
		goto fail;
	}
	res = TEEC_OpenSession(&ctx->tee, &ctx->session, &uuid, TEEC_LOGIN_PUBLIC, NULL, NULL,
			       &origin);
	if (res != TEEC_SUCCESS) {
		status = cdl_client_fail(
		    cdl_client_status(res, origin) == CDL_ERR_TEE ? CDL_ERR_TEE
								  : cdl_client_status(res, origin),
		    "failed to open a session with the cdl TA: 0x%08x (origin %u)", (unsigned)res,
		    (unsigned)origin);
		TEEC_FinalizeContext(&ctx->tee);
		goto fail;
	}
#ifdef CDL_TEEC_HOST
	ctx->pid = (long)cdl_teec_server_pid(&ctx->tee);
#endif
	*out = ctx;
	return CDL_OK;
fail:
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return status;
}

static void release_model_memory(cdl_model *m)
{
	if (m->have_pkg) {
		/* the package is ciphertext, but don't leave it lying around */
		memset(m->pkg.buffer, 0, m->pkg.size);
		TEEC_ReleaseSharedMemory(&m->pkg);
	}
	if (m->have_io)
		TEEC_ReleaseSharedMemory(&m->io);
	m->have_pkg = m->have_io = false;
}

void cdl_context_delete(cdl_context *ctx)
{
	cdl_model *m = NULL;

	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->lock);
	/* orphan the models: their TA side goes with the session */
	for (m = ctx->models; m; m = m->next) {
		release_model_memory(m);
		m->ctx = NULL;
	}
	ctx->models = NULL;
	TEEC_CloseSession(&ctx->session);
	TEEC_FinalizeContext(&ctx->tee);
	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
}

long cdl_context_tee_pid(const cdl_context *ctx)
{
	return ctx ? ctx->pid : -1;
}

/* ------------------------------------------------------- device key */

static cdl_status fetch_device_key(cdl_context *ctx)
{
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;
	EVP_PKEY *key = NULL;
	uint8_t id[CDL_DEVICE_KEY_ID_LEN];
	cdl_status status = CDL_OK;

	if (ctx->have_key)
		return CDL_OK;
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = ctx->point;
	op.params[0].tmpref.size = sizeof(ctx->point);
	op.params[1].tmpref.buffer = ctx->key_id;
	op.params[1].tmpref.size = sizeof(ctx->key_id);
	res = invoke(ctx, CDL_TA_CMD_DEVICE_KEY, &op, &origin);
	if (res != TEEC_SUCCESS)
		return call_failed(ctx, res, origin, "get the device key");
	if (op.params[0].tmpref.size != CDL_DEVICE_POINT_LEN ||
	    op.params[1].tmpref.size != CDL_DEVICE_KEY_ID_LEN)
		return cdl_client_fail(CDL_ERR_TEE,
				       "failed to get the device key: the TA returned %zu + %zu "
				       "bytes, expected %u + %u",
				       op.params[0].tmpref.size, op.params[1].tmpref.size,
				       CDL_DEVICE_POINT_LEN, CDL_DEVICE_KEY_ID_LEN);
	/* a point on the curve, and the id really is its hash */
	status = cdl_key_from_point(ctx->point, &key);
	if (status == CDL_OK)
		status = cdl_key_id(key, id);
	EVP_PKEY_free(key);
	if (status != CDL_OK || memcmp(id, ctx->key_id, sizeof(id)) != 0)
		return cdl_client_fail(CDL_ERR_TEE,
				       "failed to get the device key: the TA's point is not a "
				       "P-256 key matching its key id");
	ctx->have_key = true;
	return CDL_OK;
}

cdl_status cdl_device_key(cdl_context *ctx, uint8_t point[CDL_DEVICE_POINT_LEN],
			  uint8_t key_id[CDL_DEVICE_KEY_ID_LEN])
{
	cdl_status status = CDL_OK;

	cdl_client_clear_error();
	if (!ctx)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to get the device key: context is NULL");
	pthread_mutex_lock(&ctx->lock);
	status = fetch_device_key(ctx);
	if (status == CDL_OK) {
		if (point)
			memcpy(point, ctx->point, CDL_DEVICE_POINT_LEN);
		if (key_id)
			memcpy(key_id, ctx->key_id, CDL_DEVICE_KEY_ID_LEN);
	}
	pthread_mutex_unlock(&ctx->lock);
	return status;
}

cdl_status cdl_device_public_key(cdl_context *ctx, char *pem, size_t pem_size, size_t *pem_len)
{
	uint8_t point[CDL_DEVICE_POINT_LEN];
	EVP_PKEY *key = NULL;
	char *text = NULL;
	size_t len = 0;
	cdl_status status = CDL_OK;

	status = cdl_device_key(ctx, point, NULL);
	if (status != CDL_OK)
		return status;
	status = cdl_key_from_point(point, &key);
	if (status == CDL_OK)
		status = cdl_key_public_to_pem(key, &text, &len);
	EVP_PKEY_free(key);
	if (status != CDL_OK)
		return cdl_client_fail(status, "failed to encode the device key as PEM");
	if (pem_len)
		*pem_len = len;
	if (!pem || pem_size <= len) {
		free(text);
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to return the device key: PEM is %zu bytes, buffer "
				       "holds %zu",
				       len + 1, pem ? pem_size : 0);
	}
	memcpy(pem, text, len + 1);
	free(text);
	return CDL_OK;
}

/* ------------------------------------------------------------ models */

static cdl_status tensor_info(const cdl_pkg_tensor_info *t, cdl_tensor_info *out, const char *model,
			      const char *kind)
{
	size_t n = cdl_type_size(t->dtype);

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", t->name);
	out->dtype = t->dtype;
	out->rank = t->rank;
	if (!n)
		return cdl_client_fail(CDL_ERR_UNSUPPORTED,
				       "failed to load %s: %s '%s' has element type %u, which "
				       "libcdl does not know",
				       model, kind, t->name, (unsigned)t->dtype);
	for (uint32_t i = 0; i < t->rank; i++) {
		out->dims[i] = t->dims[i];
		if (__builtin_mul_overflow(n, (size_t)t->dims[i], &n))
			return cdl_client_fail(CDL_ERR_UNSUPPORTED,
					       "failed to load %s: %s '%s' is too large", model,
					       kind, t->name);
	}
	out->size = n;
	return CDL_OK;
}

/* The model's public info from the (signed) header in the package. */
static cdl_status parse_info(cdl_model *m, const uint8_t *pkg, size_t len)
{
	cdl_pkg_openssl o;
	cdl_pkg_reader *r = NULL;
	const cdl_pkg_header *h = NULL;
	cdl_model_info *info = &m->info;
	char msg[512] = "";
	cdl_status status = CDL_OK;

	memset(info, 0, sizeof(*info));
	r = malloc(sizeof(*r));
	if (!r)
		return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY, "failed to load %s: out of memory",
				       m->name);
	status = cdl_pkg_openssl_init(&o, NULL);
	if (status != CDL_OK) {
		free(r);
		return cdl_client_fail(status, "failed to load %s: cannot set up OpenSSL", m->name);
	}
	status = cdl_pkg_parse_header(pkg, len, &o.crypto, r, msg, sizeof(msg));
	if (status != CDL_OK) {
		cdl_client_fail(status, "failed to load %s: %s", m->name, msg);
		goto out;
	}
	h = cdl_pkg_reader_header(r);
	info->n_inputs = h->n_inputs;
	info->n_outputs = h->n_outputs;
	for (uint32_t i = 0; i < h->n_inputs && status == CDL_OK; i++)
		status = tensor_info(&h->inputs[i], &info->inputs[i], m->name, "input");
	for (uint32_t i = 0; i < h->n_outputs && status == CDL_OK; i++)
		status = tensor_info(&h->outputs[i], &info->outputs[i], m->name, "output");
	if (status != CDL_OK)
		goto out;
	info->output_mode = (cdl_output_mode)h->policy.output_mode;
	info->topk = h->policy.topk;
	info->max_queries = h->policy.max_queries;
	info->expires = h->policy.expiry;
	switch (info->output_mode) {
	case CDL_OUTPUT_FULL:
		info->n_results = info->n_outputs;
		for (uint32_t i = 0; i < info->n_outputs; i++)
			info->result_size[i] = info->outputs[i].size;
		break;
	case CDL_OUTPUT_TOPK:
		info->n_results = 1;
		info->result_size[0] = (size_t)info->topk * sizeof(cdl_topk_entry);
		break;
	case CDL_OUTPUT_LABEL:
		info->n_results = 1;
		info->result_size[0] = sizeof(uint32_t);
		break;
	default:
		status = cdl_client_fail(CDL_ERR_UNSUPPORTED,
					 "failed to load %s: output policy %u is unknown", m->name,
					 (unsigned)info->output_mode);
		goto out;
	}
	if (h->preproc.present) {
		const cdl_pkg_preproc *p = &h->preproc;

		info->preproc.present = 1;
		info->preproc.input_index = p->input_index;
		info->preproc.layout = p->layout;
		info->preproc.bgr = p->channel_order == CDL_PKG_BGR;
		info->preproc.height = p->height;
		info->preproc.width = p->width;
		info->preproc.resize_short = p->resize_short;
		info->preproc.scale = p->scale;
		info->preproc.channels = p->n_channels;
		for (uint32_t c = 0; c < p->n_channels && c < 16; c++) {
			info->preproc.mean[c] = p->mean[c];
			info->preproc.std[c] = p->std[c];
		}
	}
	memcpy(info->model_id, h->model_id, sizeof(info->model_id));
	memcpy(info->provider_key_id, h->provider_key_id, sizeof(info->provider_key_id));
	info->package_size = len;
out:
	cdl_pkg_close(r);
	free(r);
	cdl_pkg_openssl_fini(&o);
	return status;
}

/* Makes the I/O block at least size bytes. Caller holds the context lock. */
static cdl_status reserve_io(cdl_model *m, size_t size)
{
	cdl_context *ctx = m->ctx;
	TEEC_Result res = TEEC_SUCCESS;
	size_t want = m->have_io ? m->io.size : IO_MIN;

	if (m->have_io && m->io.size >= size)
		return CDL_OK;
	while (want < size) {
		if (want > SIZE_MAX / 2)
			return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY,
					       "failed to run %s: %zu bytes of inputs and outputs",
					       m->name, size);
		want *= 2;
	}
	if (m->have_io) {
		TEEC_ReleaseSharedMemory(&m->io);
		m->have_io = false;
	}
	memset(&m->io, 0, sizeof(m->io));
	m->io.size = want;
	m->io.flags = TEEC_MEM_INPUT | TEEC_MEM_OUTPUT;
	res = TEEC_AllocateSharedMemory(&ctx->tee, &m->io);
	if (res != TEEC_SUCCESS) {
		if (res == TEEC_ERROR_TARGET_DEAD || res == TEEC_ERROR_COMMUNICATION) {
			ctx->dead = true;
			return tee_gone(ctx, "allocate shared memory");
		}
		return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY,
				       "failed to allocate %zu bytes of shared memory for %s: "
				       "0x%08x",
				       want, m->name, (unsigned)res);
	}
	m->have_io = true;
	return CDL_OK;
}

static void close_in_ta(cdl_model *m)
{
	TEEC_Operation op;
	uint32_t origin = 0;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = m->handle;
	(void)invoke(m->ctx, CDL_TA_CMD_CLOSE_MODEL, &op, &origin);
}

/* The TA's own view (MODEL_INFO) must agree with the header we parsed. */
static cdl_status check_info(cdl_model *m)
{
	struct cdl_ta_model_info *ti = NULL;
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;
	const cdl_model_info *info = &m->info;
	cdl_status status = CDL_OK;

	ti = calloc(1, sizeof(*ti));
	if (!ti)
		return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY, "failed to load %s: out of memory",
				       m->name);
	memset(&op, 0, sizeof(op));
	op.paramTypes =
	    TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = m->handle;
	op.params[1].tmpref.buffer = ti;
	op.params[1].tmpref.size = sizeof(*ti);
	res = invoke(m->ctx, CDL_TA_CMD_MODEL_INFO, &op, &origin);
	if (res == TEEC_ERROR_NOT_IMPLEMENTED || res == TEEC_ERROR_NOT_SUPPORTED)
		goto out; /* an older TA: the signed header is all we have */
	if (res != TEEC_SUCCESS) {
		status = call_failed(m->ctx, res, origin, "get the model info");
		goto out;
	}
	if (memcmp(ti->model_id, info->model_id, sizeof(ti->model_id)) != 0 ||
	    ti->n_inputs != info->n_inputs || ti->n_outputs != info->n_outputs ||
	    ti->output_mode != (uint32_t)info->output_mode ||
	    (info->output_mode == CDL_OUTPUT_TOPK && ti->topk != info->topk)) {
		status =
		    cdl_client_fail(CDL_ERR_INTEGRITY,
				    "failed to load %s: the TA's model info disagrees with the "
				    "package header (changed while loading?)",
				    m->name);
		goto out;
	}
	for (uint32_t i = 0; i < info->n_inputs && i < CDL_TA_MAX_IO; i++)
		if (ti->inputs[i].dtype != info->inputs[i].dtype ||
		    ti->inputs[i].rank != info->inputs[i].rank)
			status = CDL_ERR_INTEGRITY;
	for (uint32_t i = 0; i < info->n_outputs && i < CDL_TA_MAX_IO; i++)
		if (ti->outputs[i].dtype != info->outputs[i].dtype ||
		    ti->outputs[i].rank != info->outputs[i].rank)
			status = CDL_ERR_INTEGRITY;
	if (status != CDL_OK)
		cdl_client_fail(status,
				"failed to load %s: the TA's tensor types disagree with the "
				"package header",
				m->name);
out:
	free(ti);
	return status;
}

/*
 * Opens m->pkg (filled) in the TA. Caller holds the context lock; on failure
 * the caller frees m.
 */
static cdl_status open_in_ta(cdl_model *m, cdl_mode mode)
{
	cdl_context *ctx = m->ctx;
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;
	char msg[MSG_LEN + 1];
	char what[200];
	cdl_status status = CDL_OK;

	status = reserve_io(m, MSG_LEN);
	if (status != CDL_OK)
		return status;
	memset(m->io.buffer, 0, MSG_LEN);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_WHOLE, TEEC_VALUE_INPUT, TEEC_VALUE_OUTPUT,
					 TEEC_MEMREF_PARTIAL_OUTPUT);
	op.params[0].memref.parent = &m->pkg;
	op.params[1].value.a = (uint32_t)mode;
	/* the message goes through allocated shared memory: the TA writes it
	 * straight there, so it is readable even when the call fails */
	op.params[3].memref.parent = &m->io;
	op.params[3].memref.offset = 0;
	op.params[3].memref.size = MSG_LEN;
	res = invoke(ctx, CDL_TA_CMD_OPEN_MODEL, &op, &origin);
	if (res != TEEC_SUCCESS) {
		snprintf(what, sizeof(what), "load %s", m->name);
		if (cdl_client_tee_dead(res, origin))
			return tee_gone(ctx, what);
		memcpy(msg, m->io.buffer, MSG_LEN);
		msg[MSG_LEN] = '\0';
		status = cdl_client_status(res, origin);
		if (status == CDL_ERR_KEY_MISMATCH && !msg[0]) {
			snprintf(msg, sizeof(msg), "the package is not for this device");
		}
		if (msg[0]) {
			/* the TA says "failed to load model: why"; keep the why */
			const char *why = msg;
			static const char prefix[] = "failed to load model: ";

			if (strncmp(why, prefix, sizeof(prefix) - 1) == 0)
				why += sizeof(prefix) - 1;
			return cdl_client_fail(status, "failed to load %s: %s", m->name, why);
		}
		return call_failed(ctx, res, origin, what);
	}
	m->handle = op.params[2].value.a;
	m->mode = op.params[2].value.b;
	if (m->handle == 0 || (m->mode != CDL_TA_MODE_RESIDENT && m->mode != CDL_TA_MODE_STREAM)) {
		close_in_ta(m);
		return cdl_client_fail(CDL_ERR_TEE,
				       "failed to load %s: the TA answered handle %u, mode %u",
				       m->name, (unsigned)m->handle, (unsigned)m->mode);
	}
	status = check_info(m);
	if (status != CDL_OK)
		close_in_ta(m);
	return status;
}

/* Reads the whole file into dst[0..len). */
static cdl_status read_all(int fd, uint8_t *dst, size_t len, const char *path)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, dst + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cdl_client_fail(CDL_ERR_IO, "failed to read %s: %s", path,
					       strerror(errno));
		if (n == 0)
			return cdl_client_fail(
			    CDL_ERR_IO, "failed to read %s: file shrank to %zu bytes", path, done);
		done += (size_t)n;
	}
	return CDL_OK;
}

/* Either buf or fd provides the package. */
static cdl_status load(cdl_context *ctx, const void *buf, int fd, const char *path, size_t len,
		       cdl_mode mode, cdl_model **out)
{
	cdl_model *m = NULL;
	TEEC_Result res = TEEC_SUCCESS;
	cdl_status status = CDL_OK;

	m = calloc(1, sizeof(*m));
	if (!m)
		return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY,
				       "failed to load a model: out of memory");
	snprintf(m->name, sizeof(m->name), "%s", path ? base_name(path) : "the model buffer");
	m->ctx = ctx;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->dead) {
		char what[200];

		snprintf(what, sizeof(what), "load %s", m->name);
		status = tee_gone(ctx, what);
		goto fail;
	}
	/* the package stays in shared memory for the model's life */
	memset(&m->pkg, 0, sizeof(m->pkg));
	m->pkg.size = len;
	m->pkg.flags = TEEC_MEM_INPUT;
	res = TEEC_AllocateSharedMemory(&ctx->tee, &m->pkg);
	if (res != TEEC_SUCCESS) {
		if (res == TEEC_ERROR_TARGET_DEAD || res == TEEC_ERROR_COMMUNICATION) {
			ctx->dead = true;
			status = tee_gone(ctx, "allocate shared memory");
		} else {
			status = cdl_client_fail(CDL_ERR_OUT_OF_MEMORY,
						 "failed to load %s: cannot allocate %zu bytes of "
						 "shared memory (0x%08x)",
						 m->name, len, (unsigned)res);
		}
		goto fail;
	}
	m->have_pkg = true;
	if (buf)
		memcpy(m->pkg.buffer, buf, len);
	else if ((status = read_all(fd, m->pkg.buffer, len, path)) != CDL_OK)
		goto fail;
	status = parse_info(m, m->pkg.buffer, len);
	if (status != CDL_OK)
		goto fail;
	status = open_in_ta(m, mode);
	if (status != CDL_OK)
		goto fail;
	m->next = ctx->models;
	if (ctx->models)
		ctx->models->prev = m;
	ctx->models = m;
	pthread_mutex_unlock(&ctx->lock);
	*out = m;
	return CDL_OK;
fail:
	release_model_memory(m);
	pthread_mutex_unlock(&ctx->lock);
	free(m);
	return status;
}

static cdl_status check_load_args(cdl_context *ctx, cdl_mode mode, cdl_model **out)
{
	if (!out)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to load a model: out is NULL");
	*out = NULL;
	if (!ctx)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to load a model: context is NULL");
	if (mode != CDL_MODE_AUTO && mode != CDL_MODE_RESIDENT && mode != CDL_MODE_STREAM)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to load a model with mode %d: must be auto (0), "
				       "resident (1) or stream (2)",
				       (int)mode);
	return CDL_OK;
}

cdl_status cdl_model_load_buffer(cdl_context *ctx, const void *buf, size_t len, cdl_mode mode,
				 cdl_model **out)
{
	cdl_status status = CDL_OK;

	cdl_client_clear_error();
	status = check_load_args(ctx, mode, out);
	if (status != CDL_OK)
		return status;
	if (!buf || !len)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to load a model from a buffer: %s",
				       buf ? "length is 0" : "buffer is NULL");
	return load(ctx, buf, -1, NULL, len, mode, out);
}

cdl_status cdl_model_load_file(cdl_context *ctx, const char *path, cdl_mode mode, cdl_model **out)
{
	struct stat st;
	int fd = -1;
	cdl_status status = CDL_OK;

	cdl_client_clear_error();
	status = check_load_args(ctx, mode, out);
	if (status != CDL_OK)
		return status;
	if (!path)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to load a model: path is NULL");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cdl_client_fail(CDL_ERR_IO, "failed to open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cdl_client_fail(CDL_ERR_IO, "failed to load %s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return cdl_client_fail(CDL_ERR_MALFORMED,
				       "failed to load %s: empty file, not a cdl package", path);
	}
	if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
		close(fd);
		return cdl_client_fail(CDL_ERR_OUT_OF_MEMORY, "failed to load %s: too large", path);
	}
	status = load(ctx, NULL, fd, path, (size_t)st.st_size, mode, out);
	close(fd);
	return status;
}

void cdl_model_delete(cdl_model *m)
{
	cdl_context *ctx = NULL;

	if (!m)
		return;
	ctx = m->ctx;
	if (ctx) {
		pthread_mutex_lock(&ctx->lock);
		if (!ctx->dead)
			close_in_ta(m);
		release_model_memory(m);
		if (m->prev)
			m->prev->next = m->next;
		else
			ctx->models = m->next;
		if (m->next)
			m->next->prev = m->prev;
		pthread_mutex_unlock(&ctx->lock);
	}
	free(m);
}

cdl_status cdl_model_get_info(const cdl_model *m, cdl_model_info *info)
{
	cdl_client_clear_error();
	if (!m || !info)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to get the model info: %s is NULL",
				       m ? "info" : "model");
	*info = m->info;
	return CDL_OK;
}

/* ------------------------------------------------------------- run */

/* The shape of a batch of n items of t: dims[0] * n (a scalar becomes [n]). */
static cdl_status batch_shape(const cdl_tensor_info *t, uint32_t n, uint32_t *rank,
			      int64_t dims[CDL_MAX_DIMS])
{
	memcpy(dims, t->dims, sizeof(t->dims));
	*rank = t->rank;
	if (n == 1)
		return CDL_OK;
	if (t->rank == 0) {
		*rank = 1;
		dims[0] = n;
		return CDL_OK;
	}
	if (__builtin_mul_overflow(dims[0], (int64_t)n, &dims[0]))
		return CDL_ERR_INVALID_ARGUMENT;
	return CDL_OK;
}

static cdl_status check_input(const cdl_model *m, uint32_t n, uint32_t i, const cdl_input *in)
{
	const cdl_tensor_info *t = &m->info.inputs[i];
	int64_t dims[CDL_MAX_DIMS];
	uint32_t rank = 0;
	size_t size = 0;
	char a[160], b[160];

	if (batch_shape(t, n, &rank, dims) != CDL_OK ||
	    __builtin_mul_overflow(t->size, (size_t)n, &size))
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s with a batch of %u: input '%s' would be "
				       "too large",
				       m->name, (unsigned)n, t->name);
	if (!in->data)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s: input %u ('%s') data is NULL", m->name,
				       (unsigned)i, t->name);
	if (in->dtype != t->dtype)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s with input '%s' of type %s: the model "
				       "takes %s",
				       m->name, t->name, cdl_type_name(in->dtype),
				       cdl_type_name(t->dtype));
	if (in->rank != rank || (rank && memcmp(in->dims, dims, rank * sizeof(dims[0])) != 0))
		return cdl_client_fail(
		    CDL_ERR_INVALID_ARGUMENT,
		    "failed to run %s with input '%s' of shape %s: a batch of %u takes %s", m->name,
		    t->name,
		    shape_str(in->rank <= CDL_MAX_DIMS ? in->rank : CDL_MAX_DIMS, in->dims, a,
			      sizeof(a)),
		    (unsigned)n, shape_str(rank, dims, b, sizeof(b)));
	if (in->size != size)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s with input '%s' of %zu bytes: %s %s is "
				       "%zu bytes",
				       m->name, t->name, in->size, cdl_type_name(t->dtype),
				       shape_str(rank, dims, b, sizeof(b)), size);
	return CDL_OK;
}

/* Sets what output k of a batch of n is, and checks its capacity. */
static cdl_status describe_output(const cdl_model *m, uint32_t n, uint32_t k, cdl_output *o)
{
	const cdl_model_info *info = &m->info;
	size_t size = 0;

	if (!o->data)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s: output %u data is NULL", m->name,
				       (unsigned)k);
	if (__builtin_mul_overflow(info->result_size[k], (size_t)n, &size))
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s: a batch of %u is too large", m->name,
				       (unsigned)n);
	memset(o->dims, 0, sizeof(o->dims));
	switch (info->output_mode) {
	case CDL_OUTPUT_FULL:
		o->dtype = info->outputs[k].dtype;
		(void)batch_shape(&info->outputs[k], n, &o->rank, o->dims);
		break;
	case CDL_OUTPUT_TOPK:
		o->dtype = CDL_TYPE_TOPK;
		o->rank = 2;
		o->dims[0] = n;
		o->dims[1] = info->topk;
		break;
	case CDL_OUTPUT_LABEL:
		o->dtype = CDL_TYPE_UINT32;
		o->rank = 1;
		o->dims[0] = n;
		break;
	}
	o->size = 0;
	if (o->capacity < size)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s: output %u needs %zu bytes for a batch of "
				       "%u, buffer holds %zu",
				       m->name, (unsigned)k, size, (unsigned)n, o->capacity);
	return CDL_OK;
}

/* The query budget refused a run: say how much is left (one more TEE call). */
static void budget_message(cdl_model *m, const char *what)
{
	struct cdl_ta_stats ts;
	TEEC_Operation op;
	uint32_t origin = 0;

	memset(&ts, 0, sizeof(ts));
	memset(&op, 0, sizeof(op));
	op.paramTypes =
	    TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = m->handle;
	op.params[1].tmpref.buffer = &ts;
	op.params[1].tmpref.size = sizeof(ts);
	if (invoke(m->ctx, CDL_TA_CMD_STATS, &op, &origin) == TEEC_SUCCESS &&
	    ts.queries_left != UINT64_MAX && ts.queries_left > 0)
		cdl_client_fail(CDL_ERR_QUERY_BUDGET,
				"failed to %s: the model's query budget has %" PRIu64 " of %" PRIu64
				" inferences left",
				what, ts.queries_left, m->info.max_queries);
	else
		cdl_client_fail(CDL_ERR_QUERY_BUDGET,
				"failed to %s: the model's query budget (%" PRIu64
				" inferences) is used up",
				what, m->info.max_queries);
}

cdl_status cdl_model_run(cdl_model *m, uint32_t n, const cdl_input *inputs, uint32_t n_inputs,
			 cdl_output *outputs, uint32_t n_outputs)
{
	const cdl_model_info *info = NULL;
	cdl_context *ctx = NULL;
	size_t in_item = 0, out_item = 0, in_bytes = 0, out_bytes = 0, out_off = 0, total = 0;
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;
	uint8_t *io = NULL;
	double t0 = now_us();
	cdl_status status = CDL_OK;

	cdl_client_clear_error();
	if (!m)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT, "failed to run: model is NULL");
	if (!m->ctx)
		return cdl_client_fail(CDL_ERR_STATE,
				       "failed to run %s: its context was deleted (the model is "
				       "closed)",
				       m->name);
	info = &m->info;
	if (n == 0)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s with a batch of 0: must be >= 1", m->name);
	if (n_inputs != info->n_inputs || (n_inputs && !inputs))
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s with %u inputs%s: the model takes %u",
				       m->name, (unsigned)n_inputs,
				       n_inputs && !inputs ? " (NULL array)" : "",
				       (unsigned)info->n_inputs);
	if (n_outputs != info->n_results || (n_outputs && !outputs))
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s with %u output buffers%s: its policy "
				       "returns %u",
				       m->name, (unsigned)n_outputs,
				       n_outputs && !outputs ? " (NULL array)" : "",
				       (unsigned)info->n_results);
	for (uint32_t i = 0; i < n_inputs; i++) {
		status = check_input(m, n, i, &inputs[i]);
		if (status != CDL_OK)
			return status;
		in_item += info->inputs[i].size;
	}
	for (uint32_t k = 0; k < n_outputs; k++) {
		status = describe_output(m, n, k, &outputs[k]);
		if (status != CDL_OK)
			return status;
		out_item += info->result_size[k];
	}
	/* each size fitted alone times n; the sums need their own checks */
	if (__builtin_mul_overflow(in_item, (size_t)n, &in_bytes) ||
	    __builtin_mul_overflow(out_item, (size_t)n, &out_bytes) ||
	    (out_off = align_up(in_bytes)) < in_bytes ||
	    __builtin_add_overflow(out_off, out_bytes, &total) || total > UINT32_MAX * (size_t)1)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT,
				       "failed to run %s: a batch of %u is too large", m->name,
				       (unsigned)n);

	ctx = m->ctx;
	pthread_mutex_lock(&ctx->lock);
	if (ctx->dead) {
		status = tee_gone(ctx, "run the model");
		goto out;
	}
	status = reserve_io(m, total ? total : 1);
	if (status != CDL_OK)
		goto out;
	/* the TA wants, per batch item, every input in model order */
	io = m->io.buffer;
	for (uint32_t b = 0, off = 0; b < n; b++)
		for (uint32_t i = 0; i < n_inputs; i++) {
			size_t s = info->inputs[i].size;

			memcpy(io + off, (const uint8_t *)inputs[i].data + (size_t)b * s, s);
			off += (uint32_t)s;
		}
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(
	    TEEC_VALUE_INPUT, TEEC_MEMREF_PARTIAL_INPUT, TEEC_MEMREF_PARTIAL_OUTPUT,
	    m->mode == CDL_TA_MODE_STREAM ? TEEC_MEMREF_WHOLE : TEEC_NONE);
	op.params[0].value.a = m->handle;
	op.params[0].value.b = n;
	op.params[1].memref.parent = &m->io;
	op.params[1].memref.offset = 0;
	op.params[1].memref.size = in_bytes;
	op.params[2].memref.parent = &m->io;
	op.params[2].memref.offset = out_off;
	op.params[2].memref.size = out_bytes;
	if (m->mode == CDL_TA_MODE_STREAM)
		op.params[3].memref.parent = &m->pkg;
	res = invoke(ctx, CDL_TA_CMD_RUN, &op, &origin);
	m->last_switches = 1;
	m->last_batch = n;
	if (res != TEEC_SUCCESS) {
		char what[200];

		snprintf(what, sizeof(what), "run %s (batch of %u)", m->name, (unsigned)n);
		if (cdl_client_tee_dead(res, origin)) {
			status = tee_gone(ctx, what);
		} else {
			status = cdl_client_status(res, origin);
			if (status == CDL_ERR_QUERY_BUDGET)
				budget_message(m, what);
			else if (status == CDL_ERR_EXPIRED)
				cdl_client_fail(
				    status, "failed to %s: the model expired at Unix time %" PRIu64,
				    what, info->expires);
			else
				call_failed(ctx, res, origin, what);
		}
		goto out;
	}
	m->runs++;
	if (op.params[2].memref.size != out_bytes) {
		status = cdl_client_fail(CDL_ERR_TEE,
					 "failed to run %s: the TA returned %zu bytes of results, "
					 "expected %zu",
					 m->name, op.params[2].memref.size, out_bytes);
		goto out;
	}
	if (info->output_mode == CDL_OUTPUT_FULL) {
		for (uint32_t b = 0, off = 0; b < n; b++)
			for (uint32_t k = 0; k < n_outputs; k++) {
				size_t s = info->result_size[k];

				memcpy((uint8_t *)outputs[k].data + (size_t)b * s,
				       io + out_off + off, s);
				off += (uint32_t)s;
			}
	} else {
		memcpy(outputs[0].data, io + out_off, out_bytes);
	}
	for (uint32_t k = 0; k < n_outputs; k++)
		outputs[k].size = info->result_size[k] * n;
out:
	m->last_call_us = now_us() - t0;
	pthread_mutex_unlock(&ctx->lock);
	return status;
}

/* ------------------------------------------------------------ stats */

cdl_status cdl_model_stats(cdl_model *m, cdl_stats *stats)
{
	struct cdl_ta_stats ts;
	TEEC_Operation op;
	uint32_t origin = 0;
	TEEC_Result res = TEEC_SUCCESS;
	cdl_context *ctx = NULL;
	double batch = 1.0;

	cdl_client_clear_error();
	if (!m || !stats)
		return cdl_client_fail(CDL_ERR_INVALID_ARGUMENT, "failed to get stats: %s is NULL",
				       m ? "stats" : "model");
	if (!m->ctx)
		return cdl_client_fail(CDL_ERR_STATE,
				       "failed to get the stats of %s: its context was deleted",
				       m->name);
	ctx = m->ctx;
	memset(&ts, 0, sizeof(ts));
	memset(&op, 0, sizeof(op));
	op.paramTypes =
	    TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = m->handle;
	op.params[1].tmpref.buffer = &ts;
	op.params[1].tmpref.size = sizeof(ts);
	pthread_mutex_lock(&ctx->lock);
	res = invoke(ctx, CDL_TA_CMD_STATS, &op, &origin);
	pthread_mutex_unlock(&ctx->lock);
	if (res != TEEC_SUCCESS) {
		char what[200];

		snprintf(what, sizeof(what), "get the stats of %s", m->name);
		return call_failed(ctx, res, origin, what);
	}
	if (op.params[1].tmpref.size < sizeof(ts))
		return cdl_client_fail(CDL_ERR_TEE,
				       "failed to get the stats of %s: the TA returned %zu bytes, "
				       "expected %zu",
				       m->name, op.params[1].tmpref.size, sizeof(ts));
	memset(stats, 0, sizeof(*stats));
	stats->mode = ts.mode == CDL_TA_MODE_STREAM ? CDL_MODE_STREAM : CDL_MODE_RESIDENT;
	stats->secure_budget = ts.heap_budget;
	stats->secure_peak = ts.heap_peak;
	stats->model_secure_bytes = ts.model_bytes;
	stats->arena_bytes = ts.arena_bytes;
	stats->weight_bytes = ts.weight_bytes;
	stats->resident_bytes = ts.resident_bytes;
	stats->tiled_layers = ts.tiled_layers;
	stats->workers = ts.workers;
	stats->package_bytes = m->info.package_size;
	stats->queries_left = ts.queries_left;
	stats->runs = ts.runs;
	stats->last_batch = m->last_batch;
	stats->decrypted_last_run = ts.decrypted_last_run;
	stats->world_switches_last_run = m->last_switches;
	stats->tee_time_us_last_run = (double)ts.run_time_us;
	stats->call_time_us_last_run = m->last_call_us;
	if (m->last_batch)
		batch = m->last_batch;
	stats->decrypted_per_inference = (double)ts.decrypted_last_run / batch;
	stats->world_switches_per_inference = m->last_switches / batch;
	stats->tee_time_us_per_inference = (double)ts.run_time_us / batch;
	stats->call_time_us_per_inference = m->last_call_us / batch;
	stats->load_time_us = (double)ts.open_time_us;
	return CDL_OK;
}
