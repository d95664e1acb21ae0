// SPDX-License-Identifier: Apache-2.0
/*
 * ONNX TensorProto <-> cdl_tensor, shared by the importer (initializers,
 * Constant nodes) and the CLI (test inputs and expected outputs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "provider.h"

cdl_status cdl_onnx_tensor_from_proto(const void *proto, cdl_tensor *out, char *msg,
				      size_t msg_size)
{
	const Onnx__TensorProto *tp = proto;
	const char *name = tp->name ? tp->name : "";
	cdl_tensor t;
	size_t numel = 0, nbytes = 0, esize;
	uint8_t *data = NULL;

	memset(&t, 0, sizeof(t));
	memset(out, 0, sizeof(*out));
	t.dtype = (uint8_t)(tp->has_data_type ? tp->data_type : 0);
	esize = cdl_dtype_size(tp->data_type);
	if (!esize) {
		snprintf(msg, msg_size, "tensor '%s' has data type %s, which cdl does not support",
			 name, cdl_dtype_name(tp->data_type));
		return CDL_ERR_UNSUPPORTED;
	}
	if (tp->n_dims > CDL_MAX_RANK) {
		snprintf(msg, msg_size, "tensor '%s' has rank %zu, more than the %d cdl supports",
			 name, tp->n_dims, CDL_MAX_RANK);
		return CDL_ERR_UNSUPPORTED;
	}
	if (tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		snprintf(msg, msg_size, "tensor '%s' uses external data, which cdl does not support",
			 name);
		return CDL_ERR_UNSUPPORTED;
	}
	t.rank = (uint8_t)tp->n_dims;
	for (size_t i = 0; i < tp->n_dims; i++)
		t.dims[i] = tp->dims[i];
	if (!cdl_tensor_numel(&t, &numel) || !cdl_tensor_nbytes(&t, &nbytes)) {
		snprintf(msg, msg_size, "tensor '%s' has an invalid or too large shape", name);
		return CDL_ERR_MALFORMED;
	}
	/* one spare byte so that an empty tensor still has a valid pointer */
	data = calloc(1, nbytes + 1);
	if (!data) {
		snprintf(msg, msg_size, "tensor '%s': out of memory for %zu bytes", name, nbytes);
		return CDL_ERR_OUT_OF_MEMORY;
	}
	if (tp->has_raw_data) {
		if (tp->raw_data.len != nbytes)
			goto size_mismatch;
		/* raw_data is little-endian; so are all targets cdl supports */
		if (nbytes)
			memcpy(data, tp->raw_data.data, nbytes);
	} else if (t.dtype == CDL_DTYPE_F32) {
		if (tp->n_float_data != numel)
			goto size_mismatch;
		if (nbytes)
			memcpy(data, tp->float_data, nbytes);
	} else if (t.dtype == CDL_DTYPE_I64) {
		if (tp->n_int64_data != numel)
			goto size_mismatch;
		if (nbytes)
			memcpy(data, tp->int64_data, nbytes);
	} else {
		/* int32, int8, uint8, bool travel in int32_data */
		if (tp->n_int32_data != numel)
			goto size_mismatch;
		for (size_t i = 0; i < numel; i++) {
			int32_t v = tp->int32_data[i];

			switch (t.dtype) {
			case CDL_DTYPE_I32:
				((int32_t *)data)[i] = v;
				break;
			case CDL_DTYPE_I8:
				((int8_t *)data)[i] = (int8_t)v;
				break;
			case CDL_DTYPE_BOOL:
				data[i] = v != 0;
				break;
			default:
				data[i] = (uint8_t)v;
				break;
			}
		}
	}
	t.data = data;
	*out = t;
	return CDL_OK;

size_mismatch:
	free(data);
	snprintf(msg, msg_size, "tensor '%s': data does not match its shape %zu elements of %s",
		 name, numel, cdl_dtype_name(t.dtype));
	return CDL_ERR_MALFORMED;
}

cdl_status cdl_onnx_parse_tensor(const uint8_t *buf, size_t len, char **name, cdl_tensor *out,
				 char *msg, size_t msg_size)
{
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
	cdl_status status;

	*name = NULL;
	if (!tp) {
		snprintf(msg, msg_size, "not a valid ONNX TensorProto (%zu bytes)", len);
		return CDL_ERR_MALFORMED;
	}
	status = cdl_onnx_tensor_from_proto(tp, out, msg, msg_size);
	if (status == CDL_OK) {
		*name = strdup(tp->name ? tp->name : "");
		if (!*name) {
			free(out->data);
			out->data = NULL;
			status = CDL_ERR_OUT_OF_MEMORY;
		}
	}
	onnx__tensor_proto__free_unpacked(tp, NULL);
	return status;
}

cdl_status cdl_onnx_input_names(const uint8_t *buf, size_t len, char ***names, uint32_t *n,
				char *msg, size_t msg_size)
{
	Onnx__ModelProto *m = NULL;
	cdl_status status;
	char **list = NULL;
	uint32_t count = 0;

	*names = NULL;
	*n = 0;
	/* protobuf-c unpacks recursively: refuse absurd nesting before it does */
	status = cdl_onnx_check_nesting(buf, len, msg, msg_size);
	if (status)
		return status;
	m = onnx__model_proto__unpack(NULL, len, buf);
	if (!m || !m->graph) {
		snprintf(msg, msg_size, "not a valid ONNX model (%zu bytes)", len);
		status = CDL_ERR_MALFORMED;
		goto out;
	}
	/* cdl runs tensors only: say so before anyone tries to read a sequence */
	for (size_t i = 0; i < m->graph->n_input + m->graph->n_output; i++) {
		const Onnx__ValueInfoProto *vi = i < m->graph->n_input
							 ? m->graph->input[i]
							 : m->graph->output[i - m->graph->n_input];
		const char *kind = NULL;

		if (!vi->type)
			continue;
		switch (vi->type->value_case) {
		case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
			kind = "a sequence";
			break;
		case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
			kind = "a map";
			break;
		case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
			kind = "an optional";
			break;
		case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
			kind = "a sparse tensor";
			break;
		default:
			break;
		}
		if (kind) {
			snprintf(msg, msg_size, "graph %s '%s' is %s; cdl runs dense tensors only",
				 i < m->graph->n_input ? "input" : "output",
				 vi->name ? vi->name : "", kind);
			status = CDL_ERR_UNSUPPORTED;
			goto out;
		}
	}
	list = calloc(m->graph->n_input + 1, sizeof(char *));
	if (!list) {
		status = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < m->graph->n_input; i++) {
		const char *in = m->graph->input[i]->name ? m->graph->input[i]->name : "";
		bool is_init = false;

		for (size_t j = 0; j < m->graph->n_initializer && !is_init; j++)
			is_init = m->graph->initializer[j]->name &&
				  strcmp(m->graph->initializer[j]->name, in) == 0;
		if (is_init)
			continue;
		list[count] = strdup(in);
		if (!list[count]) {
			status = CDL_ERR_OUT_OF_MEMORY;
			goto out;
		}
		count++;
	}
	*names = list;
	*n = count;
	list = NULL;
out:
	if (list) {
		for (uint32_t i = 0; i < count; i++)
			free(list[i]);
		free(list);
	}
	if (m)
		onnx__model_proto__free_unpacked(m, NULL);
	return status;
}
