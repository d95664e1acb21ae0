// SPDX-License-Identifier: Apache-2.0
/*
 * Packing a compiled plan for this device, in memory: what check-onnx
 * --confidential (and the tests) do to send a model through the TA the way a
 * provider's `cdl pack` would, without key files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli_tee.h"
#include "format/keys.h"
#include "format/writer.h"

static cdl_status tensor_record(const cdl_plan_tensor *t, cdl_pkg_tensor_info *out, char *msg,
				size_t msg_size)
{
	size_t len = strlen(t->name ? t->name : "");

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > CDL_PKG_MAX_NAME) {
		snprintf(msg, msg_size,
			 "tensor name '%.40s' is empty or longer than %u bytes: the package "
			 "format cannot carry it",
			 t->name ? t->name : "", CDL_PKG_MAX_NAME);
		return CDL_ERR_UNSUPPORTED;
	}
	for (size_t i = 0; i < len; i++)
		if (t->name[i] < 0x20 || t->name[i] > 0x7e) {
			snprintf(msg, msg_size,
				 "tensor name '%.40s' is not printable ASCII: the package format "
				 "cannot carry it",
				 t->name);
			return CDL_ERR_UNSUPPORTED;
		}
	memcpy(out->name, t->name, len);
	out->dtype = t->desc.dtype;
	out->rank = t->desc.rank;
	for (uint32_t i = 0; i < t->desc.rank; i++)
		out->dims[i] = t->desc.dims[i];
	return CDL_OK;
}

cdl_status cdl_cli_pack_plan(const uint8_t *plan_bytes, size_t plan_len, const cdl_plan *plan,
			     const uint8_t device_point[CDL_DEVICE_POINT_LEN],
			     const cdl_pkg_policy *policy, const cdl_pkg_preproc *preproc,
			     uint32_t block_size, uint8_t **pkg, size_t *pkg_len, char *msg,
			     size_t msg_size)
{
	cdl_pkg_tensor_info ins[CDL_PKG_MAX_IO], outs[CDL_PKG_MAX_IO];
	cdl_pkg_write_params wp;
	EVP_PKEY *device = NULL, *provider = NULL;
	cdl_status status = CDL_OK;

	*pkg = NULL;
	*pkg_len = 0;
	if (plan->n_inputs < 1 || plan->n_inputs > CDL_PKG_MAX_IO || plan->n_outputs < 1 ||
	    plan->n_outputs > CDL_PKG_MAX_IO) {
		snprintf(msg, msg_size,
			 "model has %u inputs and %u outputs: a package carries 1..%u of each",
			 plan->n_inputs, plan->n_outputs, CDL_PKG_MAX_IO);
		return CDL_ERR_UNSUPPORTED;
	}
	for (uint32_t i = 0; i < plan->n_inputs && !status; i++)
		status = tensor_record(&plan->tensors[plan->inputs[i]], &ins[i], msg, msg_size);
	for (uint32_t i = 0; i < plan->n_outputs && !status; i++)
		status = tensor_record(&plan->tensors[plan->outputs[i]], &outs[i], msg, msg_size);
	if (status)
		return status;
	status = cdl_key_from_point(device_point, &device);
	if (status) {
		snprintf(msg, msg_size, "the device's public key is not a P-256 point");
		goto out;
	}
	status = cdl_key_generate(&provider, msg, msg_size);
	if (status)
		goto out;
	memset(&wp, 0, sizeof(wp));
	wp.plan = plan_bytes;
	wp.plan_len = plan_len;
	wp.inputs = ins;
	wp.n_inputs = (uint16_t)plan->n_inputs;
	wp.outputs = outs;
	wp.n_outputs = (uint16_t)plan->n_outputs;
	if (policy)
		wp.policy = *policy;
	wp.preproc = preproc;
	wp.device_pub = device;
	wp.provider_key = provider;
	wp.block_size = block_size;
	status = cdl_pkg_write(&wp, pkg, pkg_len, NULL, msg, msg_size);
out:
	EVP_PKEY_free(device);
	EVP_PKEY_free(provider);
	return status;
}

/* ----------------------------------------- check-onnx --confidential */

cdl_status cdl_confidential_load(cdl_context **ctx, const uint8_t *plan_bytes, size_t plan_len,
				 const cdl_plan *plan, cdl_mode mode, cdl_model **model, char *msg,
				 size_t msg_size)
{
	uint8_t point[CDL_DEVICE_POINT_LEN];
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	cdl_status status = CDL_OK;

	*model = NULL;
	/* a TEE that died on an earlier case is restarted for this one */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!*ctx) {
			status = cdl_context_create(NULL, ctx);
			if (status) {
				snprintf(msg, msg_size, "%s", cdl_last_error());
				return status;
			}
		}
		status = cdl_device_key(*ctx, point, NULL);
		if (status != CDL_ERR_TEE)
			break;
		cdl_context_delete(*ctx);
		*ctx = NULL;
	}
	if (status) {
		snprintf(msg, msg_size, "%s", cdl_last_error());
		return status;
	}
	status = cdl_cli_pack_plan(plan_bytes, plan_len, plan, point, NULL, NULL, 0, &pkg, &pkg_len,
				   msg, msg_size);
	if (status)
		return status;
	status = cdl_model_load_buffer(*ctx, pkg, pkg_len, mode, model);
	free(pkg);
	if (status)
		snprintf(msg, msg_size, "%s", cdl_last_error());
	return status;
}

cdl_status cdl_confidential_run(cdl_model *model, const cdl_tensor *ins, uint32_t n_in,
				cdl_tensor *outs, const size_t *out_capacity, uint32_t n_out,
				char *msg, size_t msg_size)
{
	cdl_input in[CDL_MAX_IO];
	cdl_output out[CDL_MAX_IO];
	cdl_status status = CDL_OK;

	if (n_in > CDL_MAX_IO || n_out > CDL_MAX_IO) {
		snprintf(msg, msg_size, "more than %d inputs or outputs", CDL_MAX_IO);
		return CDL_ERR_UNSUPPORTED;
	}
	memset(in, 0, sizeof(in));
	memset(out, 0, sizeof(out));
	for (uint32_t i = 0; i < n_in; i++) {
		in[i].data = ins[i].data;
		if (!cdl_tensor_nbytes(&ins[i], &in[i].size)) {
			snprintf(msg, msg_size, "input %u is too large", i);
			return CDL_ERR_INVALID_ARGUMENT;
		}
		in[i].dtype = ins[i].dtype;
		in[i].rank = ins[i].rank;
		for (uint32_t d = 0; d < ins[i].rank && d < CDL_MAX_DIMS; d++)
			in[i].dims[d] = ins[i].dims[d];
	}
	for (uint32_t k = 0; k < n_out; k++) {
		out[k].data = outs[k].data;
		out[k].capacity = out_capacity[k];
	}
	status = cdl_model_run(model, 1, in, n_in, out, n_out);
	if (status) {
		snprintf(msg, msg_size, "%s", cdl_last_error());
		return status;
	}
	for (uint32_t k = 0; k < n_out; k++) {
		outs[k].dtype = (uint8_t)out[k].dtype;
		outs[k].rank = (uint8_t)out[k].rank;
		for (uint32_t d = 0; d < out[k].rank && d < CDL_MAX_DIMS; d++)
			outs[k].dims[d] = out[k].dims[d];
	}
	return CDL_OK;
}
