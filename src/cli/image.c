// SPDX-License-Identifier: Apache-2.0
/*
 * Image input for `cdl run`: decode with stb_image, then the package's
 * recorded preprocessing (cdl_image_preproc): resize (bilinear, half-pixel
 * centres), optional centre crop, x = pixel * scale, (x - mean[c]) / std[c],
 * NCHW or NHWC, RGB or BGR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "cli_tee.h"

int cdl_image_sniff(const uint8_t *h, size_t len)
{
	if (len >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0)
		return 1;
	if (len >= 3 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff)
		return 1;
	if (len >= 2 && h[0] == 'B' && h[1] == 'M')
		return 1;
	if (len >= 6 && (memcmp(h, "GIF87a", 6) == 0 || memcmp(h, "GIF89a", 6) == 0))
		return 1;
	return 0;
}

/* Bilinear resize of an interleaved float image (half-pixel centres, like
 * PIL/torchvision without antialiasing). */
static void resize_bilinear(const float *src, int sw, int sh, int c, float *dst, int dw, int dh)
{
	float sx = (float)sw / (float)dw, sy = (float)sh / (float)dh;

	for (int y = 0; y < dh; y++) {
		float fy = ((float)y + 0.5f) * sy - 0.5f;
		int y0 = 0, y1 = 0;
		float wy = 0.0f;

		if (fy < 0.0f)
			fy = 0.0f;
		y0 = (int)fy;
		if (y0 > sh - 1)
			y0 = sh - 1;
		y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
		wy = fy - (float)y0;
		for (int x = 0; x < dw; x++) {
			float fx = ((float)x + 0.5f) * sx - 0.5f;
			int x0 = 0, x1 = 0;
			float wx = 0.0f;

			if (fx < 0.0f)
				fx = 0.0f;
			x0 = (int)fx;
			if (x0 > sw - 1)
				x0 = sw - 1;
			x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
			wx = fx - (float)x0;
			for (int k = 0; k < c; k++) {
				float a = src[((size_t)y0 * sw + x0) * c + k];
				float b = src[((size_t)y0 * sw + x1) * c + k];
				float d = src[((size_t)y1 * sw + x0) * c + k];
				float e = src[((size_t)y1 * sw + x1) * c + k];
				float top = a + (b - a) * wx, bot = d + (e - d) * wx;

				dst[((size_t)y * dw + x) * c + k] = top + (bot - top) * wy;
			}
		}
	}
}

cdl_status cdl_image_read(const char *path, const cdl_image_preproc *pp,
			  const cdl_tensor_info *input, cdl_file_tensor *out, char *msg,
			  size_t msg_size)
{
	cdl_image_preproc def;
	const cdl_image_preproc *p = pp;
	unsigned char *pix = NULL;
	float *src = NULL, *rs = NULL, *dst = NULL;
	int w = 0, h = 0, comp = 0, c = 0, rw = 0, rh = 0, cx = 0, cy = 0;
	size_t numel = 1;
	cdl_status status = CDL_OK;

	memset(out, 0, sizeof(*out));
	if (input->dtype != CDL_TYPE_FLOAT32) {
		snprintf(msg, msg_size, "%s: an image can only feed a float32 input; '%s' is %s",
			 path, input->name, cdl_type_name(input->dtype));
		return CDL_ERR_INVALID_ARGUMENT;
	}
	if (!p || !p->present) {
		/* no recorded preprocessing: NCHW [1,C,H,W] with C 1 or 3, pixel/255 */
		if (input->rank != 4 || input->dims[0] != 1 ||
		    (input->dims[1] != 1 && input->dims[1] != 3)) {
			snprintf(msg, msg_size,
				 "%s: the package records no image preprocessing and input '%s' "
				 "is not [1,C,H,W] with C 1 or 3; give a .npy or .pb tensor",
				 path, input->name);
			return CDL_ERR_INVALID_ARGUMENT;
		}
		memset(&def, 0, sizeof(def));
		def.present = 1;
		def.channels = (uint32_t)input->dims[1];
		def.height = (uint32_t)input->dims[2];
		def.width = (uint32_t)input->dims[3];
		def.scale = 1.0f / 255.0f;
		for (int k = 0; k < 3; k++)
			def.std[k] = 1.0f;
		p = &def;
		fprintf(stderr,
			"cdl run: note: the package records no image preprocessing; using "
			"pixel/255, %u channel(s), resized to %ux%u, NCHW\n",
			def.channels, def.width, def.height);
	}
	c = (int)p->channels;
	if (c < 1 || c > 4 || c == 2) {
		snprintf(msg, msg_size, "%s: images have 1, 3 or 4 channels, the package wants %d",
			 path, c);
		return CDL_ERR_UNSUPPORTED;
	}
	if (p->height < 1 || p->width < 1 || p->height > 16384 || p->width > 16384) {
		snprintf(msg, msg_size, "%s: the package's image size %ux%u is out of range", path,
			 p->width, p->height);
		return CDL_ERR_UNSUPPORTED;
	}
	for (uint32_t i = 0; i < input->rank; i++)
		numel *= (size_t)input->dims[i];
	if (numel != (size_t)c * p->height * p->width) {
		snprintf(msg, msg_size,
			 "%s: preprocessing makes %d x %u x %u values, input '%s' takes %zu", path,
			 c, p->height, p->width, input->name, numel);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	pix = stbi_load(path, &w, &h, &comp, c);
	if (!pix) {
		snprintf(msg, msg_size, "%s: cannot decode the image: %s", path,
			 stbi_failure_reason());
		return CDL_ERR_MALFORMED;
	}
	if (w > 65536 || h > 65536) {
		snprintf(msg, msg_size, "%s: image of %dx%d is too large", path, w, h);
		status = CDL_ERR_UNSUPPORTED;
		goto out;
	}
	src = malloc((size_t)w * h * c * sizeof(float));
	if (!src) {
		status = CDL_ERR_OUT_OF_MEMORY;
		snprintf(msg, msg_size, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < (size_t)w * h * c; i++)
		src[i] = (float)pix[i];

	/* resize: straight to height x width, or shorter side then centre crop */
	if (p->resize_short) {
		double s = (double)p->resize_short / (double)(w < h ? w : h);

		rw = (int)((double)w * s + 0.5);
		rh = (int)((double)h * s + 0.5);
		if (w < h)
			rw = (int)p->resize_short;
		else
			rh = (int)p->resize_short;
		if (rw < (int)p->width || rh < (int)p->height) {
			snprintf(msg, msg_size,
				 "%s: resized to %dx%d, too small to crop %ux%u (resize_short %u)",
				 path, rw, rh, p->width, p->height, p->resize_short);
			status = CDL_ERR_UNSUPPORTED;
			goto out;
		}
	} else {
		rw = (int)p->width;
		rh = (int)p->height;
	}
	if (rw == w && rh == h) {
		rs = src;
		src = NULL;
	} else {
		rs = malloc((size_t)rw * rh * c * sizeof(float));
		if (!rs) {
			status = CDL_ERR_OUT_OF_MEMORY;
			snprintf(msg, msg_size, "out of memory");
			goto out;
		}
		resize_bilinear(src, w, h, c, rs, rw, rh);
	}
	cx = (rw - (int)p->width) / 2;
	cy = (rh - (int)p->height) / 2;

	dst = malloc(numel * sizeof(float));
	if (!dst) {
		status = CDL_ERR_OUT_OF_MEMORY;
		snprintf(msg, msg_size, "out of memory");
		goto out;
	}
	for (uint32_t y = 0; y < p->height; y++)
		for (uint32_t x = 0; x < p->width; x++)
			for (int k = 0; k < c; k++) {
				/* BGR: output channel k takes source channel 2 - k */
				int sk = p->bgr && c >= 3 && k < 3 ? 2 - k : k;
				float v = rs[((size_t)(y + cy) * rw + (x + cx)) * c + sk];
				size_t o = 0;

				v = v * p->scale;
				v = (v - p->mean[k]) / (p->std[k] != 0.0f ? p->std[k] : 1.0f);
				if (p->layout == 1) /* NHWC */
					o = ((size_t)y * p->width + x) * c + k;
				else
					o = ((size_t)k * p->height + y) * p->width + x;
				dst[o] = v;
			}
	out->dtype = CDL_TYPE_FLOAT32;
	out->rank = input->rank;
	memcpy(out->dims, input->dims, sizeof(out->dims));
	out->data = dst;
	out->size = numel * sizeof(float);
	dst = NULL;
out:
	stbi_image_free(pix);
	free(src);
	free(rs);
	free(dst);
	return status;
}
