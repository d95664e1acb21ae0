// SPDX-License-Identifier: Apache-2.0
/*
 * Truncated and corrupted ONNX files: import must give a clean error, never
 * crash (run it under ASan/UBSan to mean it). Every model is cut at every
 * length, and every byte is overwritten with a few values; a corrupted file
 * that still parses also goes through the passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_builder.h"

static char msg[512];

static const char *const models[] = {
    "pytorch-operator/test_operator_conv/model.onnx", /* weights in initializers */
    "node/test_layer_normalization_4d_axis_negative_1_expanded/model.onnx", /* Shape chains */
    "node/test_if/model.onnx",						    /* subgraphs */
    "pytorch-converted/test_PixelShuffle/model.onnx",
};

/* Runs the passes on whatever imported; only crashes would count against us. */
static void exercise(cdl_graph *g)
{
	if (cdl_pass_fold_constants(g, msg, sizeof(msg)) == CDL_OK &&
	    cdl_pass_remove_identity(g, msg, sizeof(msg)) == CDL_OK &&
	    cdl_graph_compact(g) == CDL_OK)
		(void)cdl_pass_infer_shapes(g, msg, sizeof(msg));
}

static cdl_status import_buf(const uint8_t *buf, size_t len, cdl_graph **g)
{
	msg[0] = '\0';
	return cdl_onnx_import(buf, len, NULL, 0, g, msg, sizeof(msg));
}

static void test_truncation(const char *name, const uint8_t *buf, size_t len)
{
	cdl_graph *full = NULL, *g = NULL;
	size_t refused = 0;

	CHECK_STATUS(import_buf(buf, len, &full), CDL_OK, msg);
	if (!full)
		return;
	for (size_t cut = 0; cut < len; cut++) {
		/* a private copy so that ASan sees any read past the cut */
		uint8_t *copy = malloc(cut ? cut : 1);
		cdl_status st;

		memcpy(copy, buf, cut);
		st = import_buf(copy, cut, &g);
		if (st != CDL_OK) {
			refused++;
			CHECK(g == NULL);
			CHECK(msg[0] != '\0');
			CHECK(st == CDL_ERR_MALFORMED || st == CDL_ERR_UNSUPPORTED ||
			      st == CDL_ERR_INVALID_ARGUMENT);
		} else {
			/* a cut at a field boundary after the graph loses only metadata */
			CHECK(g->n_nodes == full->n_nodes && g->n_tensors == full->n_tensors &&
			      g->n_outputs == full->n_outputs && g->opset == full->opset);
			exercise(g);
		}
		cdl_graph_free(g);
		g = NULL;
		free(copy);
	}
	printf("%s: %zu bytes, %zu of %zu truncations refused\n", name, len, refused, len);
	CHECK(refused * 10 >= len * 9);
	cdl_graph_free(full);
}

static void test_corruption(const char *name, const uint8_t *buf, size_t len)
{
	static const uint8_t values[] = {0x00, 0xff, 0x80, 0x7f, 0x01};
	uint8_t *copy = malloc(len);
	size_t parsed = 0, refused = 0;

	for (size_t pos = 0; pos < len; pos++) {
		for (size_t v = 0; v < sizeof(values) + 1; v++) {
			cdl_graph *g = NULL;
			cdl_status st;

			memcpy(copy, buf, len);
			copy[pos] = v < sizeof(values) ? values[v] : (uint8_t)(buf[pos] ^ 0x20);
			if (copy[pos] == buf[pos])
				continue;
			st = import_buf(copy, len, &g);
			if (st == CDL_OK) {
				parsed++;
				exercise(g);
			} else {
				refused++;
				CHECK(msg[0] != '\0');
				CHECK(g == NULL);
			}
			cdl_graph_free(g);
		}
	}
	printf("%s: %zu corrupted files imported, %zu refused\n", name, parsed, refused);
	free(copy);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			p[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/* Wraps buf[0..len) as length-delimited field `field` of a new message. */
static size_t wrap(uint8_t *buf, uint8_t *tmp, size_t len, unsigned field)
{
	size_t n = 0;

	tmp[n++] = (uint8_t)(field << 3 | 2);
	n += put_varint(tmp + n, len);
	memcpy(tmp + n, buf, len);
	n += len;
	memcpy(buf, tmp, n);
	return n;
}

/*
 * GraphProto in NodeProto in AttributeProto, thousands deep: a valid wire
 * format that would exhaust the stack of protobuf-c's recursive unpacker.
 */
static void test_deep_nesting(void)
{
	static const int depths[] = {5, 20, 5000, 50000};

	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		size_t cap = (size_t)depths[i] * 24 + 64, len = 0;
		uint8_t *buf = malloc(cap), *tmp = malloc(cap);
		cdl_graph *g = NULL;
		cdl_status st;

		for (int d = 0; d < depths[i]; d++) {
			len = wrap(buf, tmp, len, 6); /* AttributeProto.g */
			len = wrap(buf, tmp, len, 5); /* NodeProto.attribute */
			len = wrap(buf, tmp, len, 1); /* GraphProto.node */
		}
		len = wrap(buf, tmp, len, 7); /* ModelProto.graph */
		st = import_buf(buf, len, &g);
		CHECK(st == CDL_ERR_MALFORMED && g == NULL);
		if (3 * depths[i] + 1 > 96)
			CHECK_MSG_HAS(msg, "nested");
		CHECK(cdl_onnx_check_nesting(buf, len, msg, sizeof(msg)) ==
		      (3 * depths[i] + 1 > 96 ? CDL_ERR_MALFORMED : CDL_OK));
		free(buf);
		free(tmp);
	}
}

int main(void)
{
	const char *root = getenv("CDL_ONNX_TESTDATA");

	if (!root)
		root = "/usr/share/libonnx-testdata/data";
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		char path[1024];
		size_t len = 0;
		uint8_t *buf;

		snprintf(path, sizeof(path), "%s/%s", root, models[i]);
		buf = ob_read_file(path, &len);
		if (!buf) {
			fprintf(stderr, "cannot read %s\n", path);
			ob_failures++;
			continue;
		}
		test_truncation(models[i], buf, len);
		test_corruption(models[i], buf, len);
		free(buf);
	}
	test_deep_nesting();
	free(ob_allocs);
	if (ob_failures)
		fprintf(stderr, "%d check(s) failed\n", ob_failures);
	return ob_failures ? 1 : 0;
}
