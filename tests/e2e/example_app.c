/*
 * An app using the installed libcdl only (cdl.h + pkg-config cdl): what an
 * app developer writes. example_app MODEL.cdlm prints the device key id, the
 * model's inputs and outputs and the top class of one all-zero input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cdl/cdl.h>

int main(int argc, char **argv)
{
	cdl_context *ctx = NULL;
	cdl_model *model = NULL;
	cdl_model_info info;
	cdl_stats stats;
	uint8_t id[CDL_DEVICE_KEY_ID_LEN];
	cdl_input in;
	cdl_output out;
	void *zeros = NULL;
	float *scores = NULL;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: example_app MODEL.cdlm\n");
		return 2;
	}
	if (cdl_context_create(NULL, &ctx) != CDL_OK || cdl_device_key(ctx, NULL, id) != CDL_OK ||
	    cdl_model_load_file(ctx, argv[1], CDL_MODE_AUTO, &model) != CDL_OK ||
	    cdl_model_get_info(model, &info) != CDL_OK) {
		fprintf(stderr, "example_app: %s\n", cdl_last_error());
		goto out;
	}
	printf("device key id %02x%02x%02x%02x...\n", id[0], id[1], id[2], id[3]);
	printf("input %s %s, %zu bytes; output %s, %zu bytes\n", info.inputs[0].name,
	       cdl_type_name(info.inputs[0].dtype), info.inputs[0].size, info.outputs[0].name,
	       info.outputs[0].size);
	if (info.n_inputs != 1 || info.output_mode != CDL_OUTPUT_FULL ||
	    info.outputs[0].dtype != CDL_TYPE_FLOAT32) {
		fprintf(stderr, "example_app: wants one input and full float outputs\n");
		goto out;
	}
	zeros = calloc(1, info.inputs[0].size);
	scores = calloc(1, info.outputs[0].size);
	memset(&in, 0, sizeof(in));
	in.data = zeros;
	in.size = info.inputs[0].size;
	in.dtype = info.inputs[0].dtype;
	in.rank = info.inputs[0].rank;
	memcpy(in.dims, info.inputs[0].dims, sizeof(in.dims));
	memset(&out, 0, sizeof(out));
	out.data = scores;
	out.capacity = info.outputs[0].size;
	if (cdl_model_run(model, 1, &in, 1, &out, 1) != CDL_OK ||
	    cdl_model_stats(model, &stats) != CDL_OK) {
		fprintf(stderr, "example_app: %s\n", cdl_last_error());
		goto out;
	}
	{
		size_t n = out.size / sizeof(float), best = 0;

		for (size_t i = 1; i < n; i++)
			if (scores[i] > scores[best])
				best = i;
		printf("top class %zu (%.4f); mode %s, %u world switch, peak secure memory %llu bytes\n",
		       best, scores[best], cdl_mode_str(stats.mode), stats.world_switches_last_run,
		       (unsigned long long)stats.secure_peak);
	}
	rc = 0;
out:
	free(zeros);
	free(scores);
	cdl_model_delete(model);
	cdl_context_delete(ctx);
	return rc;
}
