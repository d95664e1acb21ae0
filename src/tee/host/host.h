/* Internal interfaces between the parts of the host TEE (cdl-tee). */
#ifndef CDL_TEE_HOST_HOST_H
#define CDL_TEE_HOST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tee_internal_api.h"

/* Exit status of cdl-tee when the TA panics (the client sees TARGET_DEAD). */
#define CDL_TEE_EXIT_PANIC 70

/* Provided per TA executable by ta_glue.c, from the TA's
 * user_ta_header_defines.h (TA_UUID), as in an OP-TEE TA build. */
extern const TEE_UUID cdl_host_ta_uuid;

/* ---- tee_main.c ---- */
int cdl_tee_main(int argc, char **argv);
void cdl_host_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool cdl_host_verbose;

/* ---- server.c ---- */
/* Serves one already-connected client (spawned mode) or a listening socket;
 * returns the process exit status. */
int cdl_server_run_fd(int fd);
int cdl_server_run_listen(int listen_fd);
/* The shared memory of the client being served: 1 if [p, p+n) lies inside
 * one of its mappings, -1 if it overlaps one only partly, 0 if none. */
int cdl_server_shm_lookup(const void *p, size_t n);

/* ---- keys.c ---- */
/* Creates/opens the state directory and root key; derives the storage keys
 * for the linked TA. 0 or -1 (with a message on stderr). */
int cdl_keys_init(const char *state_dir);
/* HKDF-SHA256(root key, salt "cdl-tee root v1", info = purpose || uuid || ctx) */
int cdl_keys_derive(const char *purpose, const void *ctx, size_t ctx_len,
		    void *out, size_t out_len);
/* The TA's storage directory (state_dir/ta/<uuid>), opened O_PATH|O_DIRECTORY. */
extern int cdl_keys_ta_dir_fd;
extern const uint8_t *cdl_keys_storage_key; /* 32 bytes, core pool */
extern const uint8_t *cdl_keys_name_key;    /* 32 bytes, core pool */

/* ---- crypto.c ---- */
/* Fetches the algorithms once, before the seccomp filter; 0 or -1. */
int cdl_crypto_init(void);

/* ---- workers.c ---- */
/* Starts threads - 1 worker threads for the TA (cdl_tee_run_tasks); 0 for
 * threads <= 1 (the TA runs on the serving thread alone), -1 on failure
 * (said on stderr). Before the seccomp filter. */
int cdl_host_workers_start(uint32_t threads);

/* ---- hardening.c ---- */
void cdl_harden_early(void);
/* Installs the seccomp allow-list; 0, or -1 with errno. */
int cdl_harden_seccomp(void);
/* Whether this build can run under the filter (not with sanitizers). */
bool cdl_harden_seccomp_supported(void);

/* ---- tee_system.c ---- */
void cdl_system_set_stack_top(void *top);

/* UUID as text, 36 chars + NUL. */
void cdl_uuid_str(const TEE_UUID *u, char out[37]);

#endif /* CDL_TEE_HOST_HOST_H */
