/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the TA tests and benchmark (see ta_util.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format/keys.h"
#include "format/writer.h"
#include "provider/provider.h"
#include "ta_util.h"

static const TEEC_UUID cdl_uuid = TA_CDL_UUID;

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "fixture: %s: %s\n", what, msg ? msg : "");
	exit(1);
}

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void new_state_dir(void)
{
	static char dir[4096];
	const char *base = getenv("TA_TEST_TMP");

	if (!base)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(dir, sizeof(dir), "%s/state-XXXXXX", base);
	if (!mkdtemp(dir))
		die("mkdtemp", base);
	setenv("CDL_TEE_DIR", dir, 1);
}

void set_heap(const char *size)
{
	setenv("CDL_TEE_HEAP", size, 1);
}

const char *model_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CDL_MODELS_DIR");
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/model.onnx", dir ? dir : "models", name);
	if (stat(path, &st) != 0) {
		/* the torchvision nets live in models/cache */
		snprintf(path, sizeof(path), "%s/cache/%s/model.onnx", dir ? dir : "models", name);
		if (stat(path, &st) != 0)
			return NULL;
	}
	return path;
}

/* ---- the TA through the GP Client API ----------------------------------- */

TEEC_Result ta_start(ta *t)
{
	uint32_t origin = 0;
	TEEC_Result res = TEEC_InitializeContext(NULL, &t->ctx);

	t->up = false;
	if (res != TEEC_SUCCESS)
		return res;
	res =
	    TEEC_OpenSession(&t->ctx, &t->sess, &cdl_uuid, TEEC_LOGIN_PUBLIC, NULL, NULL, &origin);
	if (res != TEEC_SUCCESS) {
		TEEC_FinalizeContext(&t->ctx);
		return res;
	}
	t->up = true;
	return TEEC_SUCCESS;
}

void ta_stop(ta *t)
{
	if (!t->up)
		return;
	TEEC_CloseSession(&t->sess);
	TEEC_FinalizeContext(&t->ctx);
	t->up = false;
}

TEEC_Result ta_invoke(ta *t, uint32_t cmd, TEEC_Operation *op)
{
	uint32_t origin = 0;

	return TEEC_InvokeCommand(&t->sess, cmd, op, &origin);
}

TEEC_Result ta_device_key(ta *t, uint8_t pub[CDL_PKG_PUBKEY_LEN], uint8_t id[CDL_PKG_KEY_ID_LEN])
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_TEMP_OUTPUT, TEEC_MEMREF_TEMP_OUTPUT,
					 TEEC_NONE, TEEC_NONE);
	op.params[0].tmpref.buffer = pub;
	op.params[0].tmpref.size = CDL_PKG_PUBKEY_LEN;
	op.params[1].tmpref.buffer = id;
	op.params[1].tmpref.size = CDL_PKG_KEY_ID_LEN;
	return ta_invoke(t, CDL_TA_CMD_DEVICE_KEY, &op);
}

TEEC_Result ta_pkg_share(ta *t, ta_pkg *p, const uint8_t *pkg, size_t len, size_t off)
{
	TEEC_Result res = TEEC_SUCCESS;

	memset(p, 0, sizeof(*p));
	p->shm.size = len + off;
	p->shm.flags = TEEC_MEM_INPUT;
	res = TEEC_AllocateSharedMemory(&t->ctx, &p->shm);
	if (res != TEEC_SUCCESS)
		return res;
	memset(p->shm.buffer, 0xa5, off);
	memcpy((uint8_t *)p->shm.buffer + off, pkg, len);
	p->len = len;
	p->off = off;
	return TEEC_SUCCESS;
}

void ta_pkg_release(ta_pkg *p)
{
	if (p->shm.buffer)
		TEEC_ReleaseSharedMemory(&p->shm);
	memset(p, 0, sizeof(*p));
}

TEEC_Result ta_open_model(ta *t, ta_pkg *p, uint32_t mode, uint32_t *handle, uint32_t *mode_out,
			  char *msg, size_t msg_size)
{
	TEEC_SharedMemory line;
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	/*
	 * The message comes back on failure: through allocated shared memory,
	 * which the TA writes in place (a client API copies temporary output
	 * buffers back only on success).
	 */
	memset(&line, 0, sizeof(line));
	line.size = 512;
	line.flags = TEEC_MEM_OUTPUT;
	res = TEEC_AllocateSharedMemory(&t->ctx, &line);
	if (res != TEEC_SUCCESS)
		return res;
	memset(line.buffer, 0, line.size);
	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_MEMREF_PARTIAL_INPUT, TEEC_VALUE_INPUT,
					 TEEC_VALUE_OUTPUT, TEEC_MEMREF_PARTIAL_OUTPUT);
	op.params[0].memref.parent = &p->shm;
	op.params[0].memref.offset = p->off;
	op.params[0].memref.size = p->len;
	op.params[1].value.a = mode;
	op.params[3].memref.parent = &line;
	op.params[3].memref.size = line.size;
	res = ta_invoke(t, CDL_TA_CMD_OPEN_MODEL, &op);
	if (handle)
		*handle = op.params[2].value.a;
	if (mode_out)
		*mode_out = op.params[2].value.b;
	if (msg && msg_size)
		snprintf(msg, msg_size, "%.*s", (int)line.size, (const char *)line.buffer);
	TEEC_ReleaseSharedMemory(&line);
	return res;
}

TEEC_Result ta_run(ta *t, uint32_t handle, uint32_t n, const void *in, size_t in_len, void *out,
		   size_t *out_len, ta_pkg *pkg)
{
	TEEC_Operation op;
	TEEC_Result res = TEEC_SUCCESS;

	memset(&op, 0, sizeof(op));
	op.paramTypes =
	    TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_INPUT, TEEC_MEMREF_TEMP_OUTPUT,
			     pkg ? TEEC_MEMREF_PARTIAL_INPUT : TEEC_NONE);
	op.params[0].value.a = handle;
	op.params[0].value.b = n;
	op.params[1].tmpref.buffer = (void *)in;
	op.params[1].tmpref.size = in_len;
	op.params[2].tmpref.buffer = out;
	op.params[2].tmpref.size = *out_len;
	if (pkg) {
		op.params[3].memref.parent = &pkg->shm;
		op.params[3].memref.offset = pkg->off;
		op.params[3].memref.size = pkg->len;
	}
	res = ta_invoke(t, CDL_TA_CMD_RUN, &op);
	*out_len = op.params[2].tmpref.size;
	return res;
}

static TEEC_Result handle_out(ta *t, uint32_t cmd, uint32_t handle, void *out, size_t size)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes =
	    TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_MEMREF_TEMP_OUTPUT, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = handle;
	op.params[1].tmpref.buffer = out;
	op.params[1].tmpref.size = size;
	return ta_invoke(t, cmd, &op);
}

TEEC_Result ta_stats(ta *t, uint32_t handle, struct cdl_ta_stats *st)
{
	memset(st, 0, sizeof(*st));
	return handle_out(t, CDL_TA_CMD_STATS, handle, st, sizeof(*st));
}

TEEC_Result ta_info(ta *t, uint32_t handle, struct cdl_ta_model_info *info)
{
	memset(info, 0, sizeof(*info));
	return handle_out(t, CDL_TA_CMD_MODEL_INFO, handle, info, sizeof(*info));
}

TEEC_Result ta_close_model(ta *t, uint32_t handle)
{
	TEEC_Operation op;

	memset(&op, 0, sizeof(op));
	op.paramTypes = TEEC_PARAM_TYPES(TEEC_VALUE_INPUT, TEEC_NONE, TEEC_NONE, TEEC_NONE);
	op.params[0].value.a = handle;
	return ta_invoke(t, CDL_TA_CMD_CLOSE_MODEL, &op);
}

/* ---- models and packages -------------------------------------------------- */

static void tensor_info(cdl_pkg_tensor_info *info, const cdl_plan_tensor *t, size_t *bytes)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", t->name);
	info->dtype = t->desc.dtype;
	info->rank = t->desc.rank;
	memcpy(info->dims, t->desc.dims, sizeof(info->dims));
	*bytes = (size_t)t->size;
}

void model_load(model *m, const char *onnx_path)
{
	char msg[512];
	cdl_arena a;
	size_t need = 0, parse = 0;
	void *engine_mem = NULL;

	memset(m, 0, sizeof(*m));
	if (cdl_compile_onnx_file(onnx_path, NULL, 0, &m->plan, &m->plan_len, msg, sizeof(msg)))
		die(onnx_path, msg);
	/* Generous for the parsed tables; the weights stay in the plan buffer. */
	parse = 2 * m->plan_len + 65536;
	m->mem = malloc(parse);
	if (!m->mem)
		die("malloc", "plan tables");
	cdl_arena_init(&a, m->mem, parse);
	if (cdl_plan_parse(m->plan, m->plan_len, &a, &m->p, msg, sizeof(msg)))
		die("cdl_plan_parse", msg);
	if (cdl_engine_memory_needed(m->p, &need, msg, sizeof(msg)))
		die("cdl_engine_memory_needed", msg);
	engine_mem = aligned_alloc(64, (need + 63) / 64 * 64);
	if (!engine_mem)
		die("malloc", "engine");
	cdl_arena_init(&a, engine_mem, need);
	if (cdl_engine_create(m->p, &a, &m->e, msg, sizeof(msg)))
		die("cdl_engine_create", msg);
	m->n_inputs = (uint16_t)m->p->n_inputs;
	m->n_outputs = (uint16_t)m->p->n_outputs;
	for (uint32_t i = 0; i < m->p->n_inputs; i++) {
		tensor_info(&m->inputs[i], &m->p->tensors[m->p->inputs[i]], &m->in_size[i]);
		m->in_bytes += m->in_size[i];
	}
	for (uint32_t i = 0; i < m->p->n_outputs; i++) {
		tensor_info(&m->outputs[i], &m->p->tensors[m->p->outputs[i]], &m->out_size[i]);
		m->out_bytes += m->out_size[i];
	}
	m->engine_mem = engine_mem;
}

void model_free(model *m)
{
	free(m->engine_mem);
	free(m->mem);
	free(m->plan);
	memset(m, 0, sizeof(*m));
}

void model_run_plain(model *m, const void *in, void *out)
{
	cdl_tensor inputs[CDL_PKG_MAX_IO], outputs[CDL_PKG_MAX_IO];
	char msg[512];
	size_t off = 0;

	for (uint32_t i = 0; i < m->n_inputs; i++) {
		inputs[i] = m->p->tensors[m->p->inputs[i]].desc;
		inputs[i].data = (uint8_t *)in + off;
		off += m->in_size[i];
	}
	off = 0;
	for (uint32_t i = 0; i < m->n_outputs; i++) {
		memset(&outputs[i], 0, sizeof(outputs[i]));
		outputs[i].data = (uint8_t *)out + off;
		off += m->out_size[i];
	}
	if (cdl_engine_run(m->e, inputs, m->n_inputs, outputs, m->n_outputs, msg, sizeof(msg)))
		die("cdl_engine_run", msg);
}

EVP_PKEY *test_provider_key(void)
{
	static EVP_PKEY *key;
	char msg[256];

	if (!key && cdl_key_generate(&key, msg, sizeof(msg)))
		die("cdl_key_generate", msg);
	return key;
}

uint8_t *make_package(const model *m, const uint8_t dev_pub[CDL_PKG_PUBKEY_LEN],
		      const cdl_pkg_policy *policy, uint32_t block_size, size_t *len)
{
	cdl_pkg_write_params p;
	EVP_PKEY *dev = NULL;
	uint8_t *out = NULL;
	char msg[512];

	if (cdl_key_from_point(dev_pub, &dev))
		die("cdl_key_from_point", "device key is not a P-256 point");
	memset(&p, 0, sizeof(p));
	p.plan = m->plan;
	p.plan_len = m->plan_len;
	p.inputs = m->inputs;
	p.n_inputs = m->n_inputs;
	p.outputs = m->outputs;
	p.n_outputs = m->n_outputs;
	if (policy)
		p.policy = *policy;
	p.device_pub = dev;
	p.provider_key = test_provider_key();
	p.block_size = block_size;
	if (cdl_pkg_write(&p, &out, len, NULL, msg, sizeof(msg)))
		die("cdl_pkg_write", msg);
	EVP_PKEY_free(dev);
	return out;
}

void fill_inputs(float *x, size_t n, uint32_t seed)
{
	uint32_t s = seed ? seed : 1;

	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		x[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
	}
}
