/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cdl TA's entry points and command dispatch (the contract is
 * include/cdl_ta.h). Every command checks param_types against the exact
 * TEE_PARAM_TYPES it takes and every memref size before touching a byte.
 * State is per session (sess_ctx): the device key handle and the session's
 * open models. Nothing here parses shared memory: the package reader copies
 * what it parses, the rest are sizes checked below.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cdl_ta.h"
#include "device_key.h"
#include "model.h"
#include "ta_status.h"
#include "tee_internal_api.h"

#define MSG_LEN 256u

#define PT(a, b, c, d)                                                                             \
	TEE_PARAM_TYPES(TEE_PARAM_TYPE_##a, TEE_PARAM_TYPE_##b, TEE_PARAM_TYPE_##c,                \
			TEE_PARAM_TYPE_##d)

struct model_ref {
	uint32_t handle;
	cdl_ta_model *model;
	struct model_ref *next;
};

struct session {
	cdl_ta_device_key dev; /* loaded on first use */
	struct model_ref *models;
	uint32_t last_handle;
};

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t param_types, TEE_Param params[TEE_NUM_PARAMS],
				    void **sess_ctx)
{
	struct session *s = NULL;

	(void)params;
	if (param_types != PT(NONE, NONE, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	s = TEE_Malloc(sizeof(*s), TEE_MALLOC_FILL_ZERO);
	if (!s)
		return TEE_ERROR_OUT_OF_MEMORY;
	*sess_ctx = s;
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *sess_ctx)
{
	struct session *s = sess_ctx;

	if (!s)
		return;
	while (s->models) {
		struct model_ref *r = s->models;

		s->models = r->next;
		cdl_ta_model_close(r->model);
		TEE_Free(r);
	}
	cdl_ta_device_key_close(&s->dev);
	TEE_MemFill(s, 0, sizeof(*s));
	TEE_Free(s);
}

static struct model_ref *find_model(struct session *s, uint32_t handle)
{
	struct model_ref *r = NULL;

	for (r = s->models; r; r = r->next)
		if (r->handle == handle)
			return r;
	return NULL;
}

/* A session-local handle, never 0 and never one in use. */
static uint32_t new_handle(struct session *s)
{
	do {
		s->last_handle++;
	} while (s->last_handle == 0 || find_model(s, s->last_handle));
	return s->last_handle;
}

/* GP's answer to a short (or NULL: a size query) output buffer. */
static bool out_fits(TEE_Param *p, size_t need)
{
	if (p->memref.size < need || (need && !p->memref.buffer)) {
		p->memref.size = need;
		return false;
	}
	return true;
}

static TEE_Result cmd_device_key(struct session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	bool fits = false;
	cdl_status st = CDL_OK;

	if (types != PT(MEMREF_OUTPUT, MEMREF_OUTPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	/* Both sizes are reported, whichever is short. */
	fits = out_fits(&p[0], CDL_PKG_PUBKEY_LEN);
	fits = out_fits(&p[1], CDL_PKG_KEY_ID_LEN) && fits;
	if (!fits)
		return TEE_ERROR_SHORT_BUFFER;
	st = cdl_ta_device_key_load(&s->dev);
	if (st != CDL_OK)
		return cdl_ta_status_to_result(st);
	TEE_MemMove(p[0].memref.buffer, s->dev.pub, CDL_PKG_PUBKEY_LEN);
	TEE_MemMove(p[1].memref.buffer, s->dev.id, CDL_PKG_KEY_ID_LEN);
	p[0].memref.size = CDL_PKG_PUBKEY_LEN;
	p[1].memref.size = CDL_PKG_KEY_ID_LEN;
	return TEE_SUCCESS;
}

/* The optional message memref of OPEN_MODEL: one NUL-terminated line. */
static void put_message(TEE_Param *p, bool present, const char *msg)
{
	size_t len = strlen(msg);

	if (!present)
		return;
	if (!p->memref.buffer || p->memref.size == 0 || len == 0) {
		p->memref.size = 0;
		return;
	}
	if (len > p->memref.size - 1)
		len = p->memref.size - 1;
	TEE_MemMove(p->memref.buffer, msg, len);
	((char *)p->memref.buffer)[len] = '\0';
	p->memref.size = len + 1;
}

static TEE_Result cmd_open_model(struct session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	char msg[MSG_LEN];
	struct model_ref *r = NULL;
	cdl_ta_model *m = NULL;
	bool has_msg = false;
	cdl_status st = CDL_OK;

	if (types == PT(MEMREF_INPUT, VALUE_INPUT, VALUE_OUTPUT, MEMREF_OUTPUT))
		has_msg = true;
	else if (types != PT(MEMREF_INPUT, VALUE_INPUT, VALUE_OUTPUT, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	msg[0] = '\0';
	if (!p[0].memref.buffer) {
		put_message(&p[3], has_msg, "failed to load model: no package given");
		return TEE_ERROR_BAD_PARAMETERS;
	}
	st = cdl_ta_device_key_load(&s->dev);
	if (st != CDL_OK) {
		put_message(&p[3], has_msg,
			    "failed to load model: cannot open the device key in secure storage");
		return cdl_ta_status_to_result(st);
	}
	r = TEE_Malloc(sizeof(*r), TEE_MALLOC_FILL_ZERO);
	if (!r) {
		put_message(&p[3], has_msg, "failed to load model: no secure memory left");
		return TEE_ERROR_OUT_OF_MEMORY;
	}
	st = cdl_ta_model_open(&s->dev, p[0].memref.buffer, p[0].memref.size, p[1].value.a, &m, msg,
			       sizeof(msg));
	if (st != CDL_OK) {
		TEE_Free(r);
		put_message(&p[3], has_msg, msg);
		return cdl_ta_status_to_result(st);
	}
	r->handle = new_handle(s);
	r->model = m;
	r->next = s->models;
	s->models = r;
	p[2].value.a = r->handle;
	p[2].value.b = cdl_ta_model_mode(m);
	put_message(&p[3], has_msg, "");
	return TEE_SUCCESS;
}

static TEE_Result cmd_run(struct session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	char msg[MSG_LEN];
	struct model_ref *r = NULL;
	const uint8_t *pkg = NULL;
	size_t pkg_len = 0, in_item = 0, out_item = 0, in_need = 0, out_need = 0;
	uint32_t n = 0;
	cdl_status st = CDL_OK;

	if (types == PT(VALUE_INPUT, MEMREF_INPUT, MEMREF_OUTPUT, MEMREF_INPUT)) {
		if (!p[3].memref.buffer)
			return TEE_ERROR_BAD_PARAMETERS;
		pkg = p[3].memref.buffer;
		pkg_len = p[3].memref.size;
	} else if (types != PT(VALUE_INPUT, MEMREF_INPUT, MEMREF_OUTPUT, NONE)) {
		return TEE_ERROR_BAD_PARAMETERS;
	}
	r = find_model(s, p[0].value.a);
	if (!r)
		return cdl_ta_status_to_result(CDL_ERR_STATE);
	n = p[0].value.b;
	if (n == 0)
		return TEE_ERROR_BAD_PARAMETERS;
	cdl_ta_model_item_bytes(r->model, &in_item, &out_item);
	/* Inputs: exactly n items; anything shorter or longer is a mistake. */
	if (__builtin_mul_overflow((size_t)n, in_item, &in_need) ||
	    __builtin_mul_overflow((size_t)n, out_item, &out_need) || p[1].memref.size != in_need ||
	    (in_need && !p[1].memref.buffer))
		return TEE_ERROR_BAD_PARAMETERS;
	if (!out_fits(&p[2], out_need))
		return TEE_ERROR_SHORT_BUFFER;
	p[2].memref.size = out_need;
	st = cdl_ta_model_run(r->model, n, p[1].memref.buffer, p[2].memref.buffer, pkg, pkg_len,
			      msg, sizeof(msg));
	return cdl_ta_status_to_result(st);
}

static TEE_Result cmd_stats(struct session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	struct cdl_ta_stats st;
	struct model_ref *r = NULL;

	if (types != PT(VALUE_INPUT, MEMREF_OUTPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	r = find_model(s, p[0].value.a);
	if (!r)
		return cdl_ta_status_to_result(CDL_ERR_STATE);
	if (!out_fits(&p[1], sizeof(st)))
		return TEE_ERROR_SHORT_BUFFER;
	cdl_ta_model_stats(r->model, &st);
	TEE_MemMove(p[1].memref.buffer, &st, sizeof(st));
	p[1].memref.size = sizeof(st);
	return TEE_SUCCESS;
}

static TEE_Result cmd_model_info(struct session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	struct cdl_ta_model_info info;
	struct model_ref *r = NULL;

	if (types != PT(VALUE_INPUT, MEMREF_OUTPUT, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	r = find_model(s, p[0].value.a);
	if (!r)
		return cdl_ta_status_to_result(CDL_ERR_STATE);
	if (!out_fits(&p[1], sizeof(info)))
		return TEE_ERROR_SHORT_BUFFER;
	cdl_ta_model_info(r->model, &info);
	TEE_MemMove(p[1].memref.buffer, &info, sizeof(info));
	p[1].memref.size = sizeof(info);
	return TEE_SUCCESS;
}

static TEE_Result cmd_close_model(struct session *s, uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	struct model_ref **pp = NULL;

	if (types != PT(VALUE_INPUT, NONE, NONE, NONE))
		return TEE_ERROR_BAD_PARAMETERS;
	for (pp = &s->models; *pp; pp = &(*pp)->next) {
		struct model_ref *r = *pp;

		if (r->handle == p[0].value.a) {
			*pp = r->next;
			cdl_ta_model_close(r->model);
			TEE_Free(r);
			return TEE_SUCCESS;
		}
	}
	return cdl_ta_status_to_result(CDL_ERR_STATE);
}

TEE_Result TA_InvokeCommandEntryPoint(void *sess_ctx, uint32_t cmd, uint32_t param_types,
				      TEE_Param params[TEE_NUM_PARAMS])
{
	struct session *s = sess_ctx;

	switch (cmd) {
	case CDL_TA_CMD_DEVICE_KEY:
		return cmd_device_key(s, param_types, params);
	case CDL_TA_CMD_OPEN_MODEL:
		return cmd_open_model(s, param_types, params);
	case CDL_TA_CMD_RUN:
		return cmd_run(s, param_types, params);
	case CDL_TA_CMD_STATS:
		return cmd_stats(s, param_types, params);
	case CDL_TA_CMD_CLOSE_MODEL:
		return cmd_close_model(s, param_types, params);
	case CDL_TA_CMD_MODEL_INFO:
		return cmd_model_info(s, param_types, params);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
