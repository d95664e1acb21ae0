// SPDX-License-Identifier: Apache-2.0
/* Progress line and size formatting for long CLI work: see cmd_package.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd_package.h"

#define REDRAW_INTERVAL_S 0.1

double cdl_now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

const char *cdl_format_bytes(uint64_t n, char *buf, size_t size)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	unsigned int u = 0;

	if (n < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", n);
		return buf;
	}
	v /= 1024.0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	/* Whole numbers print without decimals: "64 KiB", not "64.0 KiB". */
	if (v == (double)(uint64_t)v)
		snprintf(buf, size, "%" PRIu64 " %s", (uint64_t)v, units[u]);
	else
		snprintf(buf, size, v < 10.0 ? "%.2f %s" : "%.1f %s", v, units[u]);
	return buf;
}

void cdl_progress_init(cdl_progress *p, bool enabled)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
}

static void draw(cdl_progress *p, const char *line)
{
	/* \r to the line start, the text, ESC[K erases what a longer line left. */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = true;
	p->last_draw = cdl_now_seconds();
}

void cdl_progress_stage(cdl_progress *p, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (!p->enabled)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	draw(p, line);
}

void cdl_progress_count(cdl_progress *p, const char *label, uint64_t done, uint64_t total)
{
	char line[256], a[32], b[32];

	if (!p->enabled)
		return;
	if (done < total && p->drawn && cdl_now_seconds() - p->last_draw < REDRAW_INTERVAL_S)
		return;
	snprintf(line, sizeof(line), "%s %s / %s %3u%%", label,
		 cdl_format_bytes(done, a, sizeof(a)), cdl_format_bytes(total, b, sizeof(b)),
		 total ? (unsigned int)(done * 100 / total) : 100u);
	draw(p, line);
}

void cdl_progress_clear(cdl_progress *p)
{
	if (!p->enabled || !p->drawn)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->drawn = false;
}
