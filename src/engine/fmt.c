// SPDX-License-Identifier: Apache-2.0
/*
 * A printf subset for messages from freestanding code (the TA has no stdio).
 * Only what error messages need; no field widths except what %g implies.
 */
#include <string.h>

#include "op.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void puts_(struct out *o, const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put(o, *s++);
}

static void put_u64(struct out *o, uint64_t v, unsigned base)
{
	char tmp[24];
	int n = 0;

	do {
		unsigned d = (unsigned)(v % base);

		tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	while (n)
		put(o, tmp[--n]);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		put(o, '-');
		put_u64(o, (uint64_t)0 - (uint64_t)v, 10);
	} else {
		put_u64(o, (uint64_t)v, 10);
	}
}

/* About 6 significant digits; enough to name a value in a message. */
static void put_double(struct out *o, double v)
{
	int exp10 = 0;
	uint64_t digits;

	if (v != v) {
		puts_(o, "nan");
		return;
	}
	if (v < 0) {
		put(o, '-');
		v = -v;
	}
	if (v > 1.7e308) {
		puts_(o, "inf");
		return;
	}
	if (v == 0) {
		put(o, '0');
		return;
	}
	while (v >= 10.0) {
		v /= 10.0;
		exp10++;
	}
	while (v < 1.0) {
		v *= 10.0;
		exp10--;
	}
	digits = (uint64_t)(v * 100000.0 + 0.5); /* 6 significant digits */
	if (digits >= 1000000) {
		digits /= 10;
		exp10++;
	}
	if (exp10 >= -4 && exp10 < 6) {
		/* fixed notation */
		char d[6];
		int first_frac;
		int last = 5;

		for (int i = 5; i >= 0; i--) {
			d[i] = (char)('0' + digits % 10);
			digits /= 10;
		}
		if (exp10 < 0) {
			put(o, '0');
			put(o, '.');
			for (int i = 0; i < -exp10 - 1; i++)
				put(o, '0');
			while (last > 0 && d[last] == '0')
				last--;
			for (int i = 0; i <= last; i++)
				put(o, d[i]);
			return;
		}
		for (int i = 0; i <= exp10; i++)
			put(o, d[i]);
		first_frac = exp10 + 1;
		while (last >= first_frac && d[last] == '0')
			last--;
		if (last >= first_frac) {
			put(o, '.');
			for (int i = first_frac; i <= last; i++)
				put(o, d[i]);
		}
		return;
	}
	/* scientific */
	{
		char d[6];
		int last = 5;

		for (int i = 5; i >= 0; i--) {
			d[i] = (char)('0' + digits % 10);
			digits /= 10;
		}
		put(o, d[0]);
		while (last > 0 && d[last] == '0')
			last--;
		if (last > 0) {
			put(o, '.');
			for (int i = 1; i <= last; i++)
				put(o, d[i]);
		}
		put(o, 'e');
		put_i64(o, exp10);
	}
}

size_t cdl_vsnprintf(char *buf, size_t size, const char *fmt, __builtin_va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int longs = 0;
		int zsize = 0;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		/* skip flags/width/precision we do not implement */
		while (*fmt == '-' || *fmt == '+' || *fmt == ' ' || *fmt == '#' || *fmt == '0' ||
		       (*fmt >= '1' && *fmt <= '9') || *fmt == '.')
			fmt++;
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		if (*fmt == 'z') {
			zsize = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			if (zsize)
				put_i64(&o, (int64_t)__builtin_va_arg(ap, long));
			else if (longs >= 2)
				put_i64(&o, __builtin_va_arg(ap, long long));
			else if (longs == 1)
				put_i64(&o, __builtin_va_arg(ap, long));
			else
				put_i64(&o, __builtin_va_arg(ap, int));
			break;
		case 'u':
		case 'x':
			{
				uint64_t v;

				if (zsize)
					v = __builtin_va_arg(ap, size_t);
				else if (longs >= 2)
					v = __builtin_va_arg(ap, unsigned long long);
				else if (longs == 1)
					v = __builtin_va_arg(ap, unsigned long);
				else
					v = __builtin_va_arg(ap, unsigned int);
				put_u64(&o, v, *fmt == 'x' ? 16 : 10);
			}
			break;
		case 'f':
		case 'g':
		case 'e':
			put_double(&o, __builtin_va_arg(ap, double));
			break;
		case 'c':
			put(&o, (char)__builtin_va_arg(ap, int));
			break;
		case 's':
			puts_(&o, __builtin_va_arg(ap, const char *));
			break;
		case 'p':
			puts_(&o, "0x");
			put_u64(&o, (uint64_t)(uintptr_t)__builtin_va_arg(ap, void *), 16);
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len < size ? o.len : (size ? size - 1 : 0);
}

size_t cdl_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	__builtin_va_list ap;
	size_t n;

	__builtin_va_start(ap, fmt);
	n = cdl_vsnprintf(buf, size, fmt, ap);
	__builtin_va_end(ap);
	return n;
}

cdl_status cdl_op_fail(cdl_op_ctx *ctx, cdl_status status, const char *fmt, ...)
{
	__builtin_va_list ap;
	size_t n;

	if (!ctx->msg || !ctx->msg_size)
		return status;
	n = cdl_snprintf(ctx->msg, ctx->msg_size, "%s %s: ", ctx->node->op_type,
			 ctx->node->name && ctx->node->name[0] ? ctx->node->name : "(unnamed)");
	__builtin_va_start(ap, fmt);
	cdl_vsnprintf(ctx->msg + n, ctx->msg_size - n, fmt, ap);
	__builtin_va_end(ap);
	return status;
}

const char *cdl_shape_str(const cdl_tensor *t, char *buf, size_t size)
{
	size_t n = 0;

	n += cdl_snprintf(buf + n, size - n, "[");
	for (uint32_t i = 0; i < t->rank && i < CDL_MAX_RANK && n < size; i++)
		n += cdl_snprintf(buf + n, size - n, i ? ",%lld" : "%lld", (long long)t->dims[i]);
	if (n < size)
		cdl_snprintf(buf + n, size - n, "]");
	return buf;
}
