/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The provider's package commands (cdl keygen, cdl pack, cdl inspect) and the
 * small terminal helpers they share (progress.c): a progress line redrawn in
 * place on a terminal, silent otherwise, and human-readable sizes.
 */
#ifndef CDL_CLI_CMD_PACKAGE_H
#define CDL_CLI_CMD_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int cdl_cmd_keygen(int argc, char **argv);
int cdl_cmd_pack(int argc, char **argv);
int cdl_cmd_inspect(int argc, char **argv);

/* Seconds on a monotonic clock. */
double cdl_now_seconds(void);

/* "812 B", "64 KiB", "44.7 MiB", "1.21 GiB". */
const char *cdl_format_bytes(uint64_t n, char *buf, size_t size);

/*
 * One status line on stderr, redrawn in place ("\r", erase to end of line).
 * Drawn only when enabled (stderr is a terminal): a pipe or a log file gets
 * nothing from it. Always clear it before printing anything else.
 */
typedef struct cdl_progress {
	bool enabled;
	bool drawn;	  /* a line is on the screen */
	double last_draw; /* cdl_now_seconds() of the last redraw */
} cdl_progress;

void cdl_progress_init(cdl_progress *p, bool enabled);
/* A stage without a count ("importing model.onnx"), drawn at once. */
void cdl_progress_stage(cdl_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "<label> 12.0 / 44.7 MiB  27%"; redrawn at most 10 times a second and at the end. */
void cdl_progress_count(cdl_progress *p, const char *label, uint64_t done, uint64_t total);
/* Erases the line (no-op if nothing is drawn). */
void cdl_progress_clear(cdl_progress *p);

#endif /* CDL_CLI_CMD_PACKAGE_H */
