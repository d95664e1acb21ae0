/*
 * The GlobalPlatform TEE Client API over the host TEE (library cdl_teec).
 *
 * TEEC_InitializeContext(NULL, ...) spawns a private cdl-tee over a
 * socketpair (found through $CDL_TEE_BIN, else next to the running
 * executable, else on $PATH), unless $CDL_TEE_SOCKET names a shared service;
 * TEEC_InitializeContext("path", ...) connects to `cdl-tee --listen path`.
 *
 * Shared memory is a sealed memfd mapped on both sides: zero-copy for
 * TEEC_AllocateSharedMemory; TEEC_RegisterSharedMemory and temporary memory
 * references are mirrored through a memfd and copied in and out around each
 * call (the client's own buffer cannot be handed to another process).
 *
 * Never hangs on a dead TEE: every wait polls the socket, a dead peer (EOF,
 * ECONNRESET, EPIPE) gives TEEC_ERROR_TARGET_DEAD and marks the context dead;
 * the next TEEC_InitializeContext spawns a fresh cdl-tee. An optional
 * $CDL_TEE_TIMEOUT_MS bounds each call (0 or unset: no bound, since a TA call
 * may legitimately run long); a timed-out context is dead too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdl_teec_host.h"
#include "protocol.h"
#include "tee_client_api.h"

extern char **environ;

#define HELLO_TIMEOUT_MS 10000
#define EXIT_WAIT_MS 2000
#define TEMP_ALIGN ((size_t)64)

struct cdl_teec_context {
	pthread_mutex_t lock;
	int fd;
	pid_t child;   /* spawned cdl-tee, or -1 */
	int pidfd;     /* of the child, or -1 */
	pid_t server_pid;
	size_t heap_size;
	bool dead;
	uint32_t seq;
	int timeout_ms;
	/* mirror for temporary memory references */
	uint8_t *scratch;
	size_t scratch_size;
	uint32_t scratch_id;
};

/* ------------------------------------------------------------ processes */

static int sys_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

static void kill_child(struct cdl_teec_context *c)
{
	if (c->child <= 0)
		return;
#ifdef SYS_pidfd_send_signal
	if (c->pidfd >= 0) {
		/* pidfd: cannot hit a recycled pid if the app reaped ours */
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
		return;
	}
#endif
	kill(c->child, SIGKILL);
}

/* Waits for the child to exit (up to EXIT_WAIT_MS, then kills it). */
static void reap_child(struct cdl_teec_context *c, bool force)
{
	struct pollfd p = { c->pidfd, POLLIN, 0 };

	if (c->child <= 0)
		return;
	if (force) {
		kill_child(c);
	} else if (c->pidfd >= 0) {
		if (poll(&p, 1, EXIT_WAIT_MS) == 0)
			kill_child(c);
	} else { /* no pidfd (kernel < 5.3): poll waitpid */
		int ms = 0;

		while (ms < EXIT_WAIT_MS && waitpid(c->child, NULL, WNOHANG) == 0) {
			usleep(1000);
			ms++;
		}
		if (ms < EXIT_WAIT_MS) { /* reaped (or not our child any more) */
			c->child = -1;
			return;
		}
		kill_child(c);
	}
	while (waitpid(c->child, NULL, 0) < 0 && errno == EINTR)
		;
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->child = -1;
}

static void mark_dead(struct cdl_teec_context *c)
{
	c->dead = true;
	reap_child(c, true);
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

static bool find_binary(char *out, size_t n)
{
	const char *env = getenv("CDL_TEE_BIN");
	const char *path = NULL;
	char self[PATH_MAX];
	char *slash = NULL;
	ssize_t len = 0;

	if (env && *env) {
		if (strlen(env) >= n || !executable(env))
			return false;
		strcpy(out, env);
		return true;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		slash = strrchr(self, '/');
		if (slash && (size_t)(slash - self) + sizeof("/cdl-tee") <= n) {
			memcpy(out, self, (size_t)(slash - self));
			strcpy(out + (slash - self), "/cdl-tee");
			if (executable(out))
				return true;
		}
	}
	path = getenv("PATH");
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t dl = end ? (size_t)(end - path) : strlen(path);

		if (dl > 0 && dl + sizeof("/cdl-tee") <= n) {
			memcpy(out, path, dl);
			strcpy(out + dl, "/cdl-tee");
			if (executable(out))
				return true;
		}
		path = end ? end + 1 : NULL;
	}
	return false;
}

static TEEC_Result spawn(struct cdl_teec_context *c)
{
	char bin[PATH_MAX];
	char fdarg[16];
	char *argv[4];
	int sv[2] = { -1, -1 };
	int child_fd = -1;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all;
	sigset_t none;
	pid_t pid = -1;
	int rc = 0;

	if (!find_binary(bin, sizeof(bin)))
		return TEEC_ERROR_ITEM_NOT_FOUND;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return TEEC_ERROR_OUT_OF_MEMORY;
	/* dup2 in the child clears close-on-exec, unless source == target */
	child_fd = fcntl(sv[1], F_DUPFD_CLOEXEC, CDL_TEE_SPAWN_FD + 1);
	close(sv[1]);
	if (child_fd < 0) {
		close(sv[0]);
		return TEEC_ERROR_OUT_OF_MEMORY;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", CDL_TEE_SPAWN_FD);
	argv[0] = bin;
	argv[1] = (char *)"--fd";
	argv[2] = fdarg;
	argv[3] = NULL;
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_fd, CDL_TEE_SPAWN_FD);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, bin, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(child_fd);
	if (rc != 0) {
		close(sv[0]);
		return TEEC_ERROR_ITEM_NOT_FOUND;
	}
	c->fd = sv[0];
	c->child = pid;
	c->pidfd = sys_pidfd_open(pid);
	return TEEC_SUCCESS;
}

static TEEC_Result connect_to(struct cdl_teec_context *c, const char *path)
{
	struct sockaddr_un addr;
	int fd = -1;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		return TEEC_ERROR_BAD_PARAMETERS;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return TEEC_ERROR_OUT_OF_MEMORY;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		return TEEC_ERROR_COMMUNICATION;
	}
	c->fd = fd;
	return TEEC_SUCCESS;
}

/* ------------------------------------------------------------- transport */

/* One request, one response. Caller holds c->lock. */
static TEEC_Result transact(struct cdl_teec_context *c, struct cdl_tee_msg *req,
			    struct cdl_tee_msg *rsp, int send_fd, int timeout_ms)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	uint8_t buf[sizeof(*rsp) + 1];
	struct iovec iov = { req, sizeof(*req) };
	struct msghdr msg = { 0 };
	struct pollfd p = { c->fd, POLLIN, 0 };
	ssize_t n = 0;
	int r = 0;

	if (c->dead)
		return TEEC_ERROR_TARGET_DEAD;
	req->magic = CDL_TEE_MSG_MAGIC;
	req->version = CDL_TEE_MSG_VERSION;
	req->seq = ++c->seq;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (send_fd >= 0) {
		struct cmsghdr *cm = NULL;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &send_fd, sizeof(int));
	}
	do {
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*req)) {
		mark_dead(c);
		return TEEC_ERROR_TARGET_DEAD;
	}
	for (;;) {
		r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			mark_dead(c); /* a late answer would desynchronise us */
			return TEEC_ERROR_COMMUNICATION;
		}
		if (r < 0) {
			mark_dead(c);
			return TEEC_ERROR_COMMUNICATION;
		}
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		break;
	}
	if (n <= 0) { /* EOF or ECONNRESET: cdl-tee died */
		mark_dead(c);
		return TEEC_ERROR_TARGET_DEAD;
	}
	memcpy(rsp, buf, sizeof(*rsp));
	if (n != (ssize_t)sizeof(*rsp) || rsp->magic != CDL_TEE_MSG_MAGIC ||
	    rsp->version != CDL_TEE_MSG_VERSION || rsp->seq != req->seq) {
		mark_dead(c);
		return TEEC_ERROR_COMMUNICATION;
	}
	return TEEC_SUCCESS;
}

/* A sealed memfd of `size` bytes, mapped. */
static int shm_create(size_t size, int *fd_out, void **map_out)
{
	int fd = memfd_create("cdl-teec-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p = MAP_FAILED;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
		goto fail;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	*fd_out = fd;
	*map_out = p;
	return 0;
fail:
	close(fd);
	return -1;
}

static TEEC_Result shm_register(struct cdl_teec_context *c, int fd, size_t size,
				uint32_t *id)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;
	TEEC_Result res = TEEC_SUCCESS;

	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_SHM_REGISTER;
	req.params[0].b = size;
	res = transact(c, &req, &rsp, fd, c->timeout_ms);
	if (res != TEEC_SUCCESS)
		return res;
	if (rsp.result != TEEC_SUCCESS)
		return rsp.result;
	*id = rsp.shm_id;
	return TEEC_SUCCESS;
}

static void shm_unregister(struct cdl_teec_context *c, uint32_t id)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;

	if (c->dead || !id)
		return;
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_SHM_RELEASE;
	req.shm_id = id;
	(void)transact(c, &req, &rsp, -1, c->timeout_ms);
}

static TEEC_Result scratch_reserve(struct cdl_teec_context *c, size_t need)
{
	size_t size = 0;
	int fd = -1;
	void *p = NULL;
	uint32_t id = 0;
	TEEC_Result res = TEEC_SUCCESS;

	if (need <= c->scratch_size)
		return TEEC_SUCCESS;
	size = c->scratch_size ? c->scratch_size : (size_t)64 << 10;
	while (size < need) {
		if (size > SIZE_MAX / 2)
			return TEEC_ERROR_OUT_OF_MEMORY;
		size *= 2;
	}
	if (shm_create(size, &fd, &p) != 0)
		return TEEC_ERROR_OUT_OF_MEMORY;
	res = shm_register(c, fd, size, &id);
	close(fd);
	if (res != TEEC_SUCCESS) {
		munmap(p, size);
		return res;
	}
	if (c->scratch) {
		shm_unregister(c, c->scratch_id);
		munmap(c->scratch, c->scratch_size);
	}
	c->scratch = p;
	c->scratch_size = size;
	c->scratch_id = id;
	return TEEC_SUCCESS;
}

/* ----------------------------------------------------- operation params */

struct copy_back {
	uint8_t *user; /* the caller's bytes, or NULL (zero-copy, none) */
	const uint8_t *mirror;
	size_t size;   /* bytes the caller offered */
	bool out;
};

static bool is_temp(uint32_t t)
{
	return t == TEEC_MEMREF_TEMP_INPUT || t == TEEC_MEMREF_TEMP_OUTPUT ||
	       t == TEEC_MEMREF_TEMP_INOUT;
}

static size_t align_up(size_t n)
{
	return (n + TEMP_ALIGN - 1) & ~(TEMP_ALIGN - 1);
}

static TEEC_Result prepare(struct cdl_teec_context *c, TEEC_Operation *op,
			   struct cdl_tee_msg *req, struct copy_back cb[4])
{
	uint32_t types = op ? op->paramTypes : 0;
	uint32_t wire = 0;
	size_t temp_total = 0;
	size_t temp_off = 0;
	size_t i = 0;
	TEEC_Result res = TEEC_SUCCESS;

	memset(cb, 0, sizeof(struct copy_back) * 4);
	if (types >> 16)
		return TEEC_ERROR_BAD_PARAMETERS;
	for (i = 0; i < 4; i++) {
		uint32_t t = TEEC_PARAM_TYPE_GET(types, i);

		if (is_temp(t) && op->params[i].tmpref.buffer) {
			size_t s = op->params[i].tmpref.size;

			if (s > SIZE_MAX / 2 || temp_total > SIZE_MAX / 2 - align_up(s))
				return TEEC_ERROR_BAD_PARAMETERS;
			temp_total += align_up(s);
		}
	}
	if (temp_total) {
		res = scratch_reserve(c, temp_total);
		if (res != TEEC_SUCCESS)
			return res;
	}
	for (i = 0; i < 4; i++) {
		uint32_t t = TEEC_PARAM_TYPE_GET(types, i);
		struct cdl_tee_msg_param *w = &req->params[i];
		TEEC_SharedMemory *parent = NULL;
		uint32_t tee_t = 0;
		size_t off = 0;
		size_t size = 0;

		switch (t) {
		case TEEC_NONE:
			break;
		case TEEC_VALUE_INPUT:
		case TEEC_VALUE_OUTPUT:
		case TEEC_VALUE_INOUT:
			tee_t = t;
			if (t != TEEC_VALUE_OUTPUT) {
				w->a = op->params[i].value.a;
				w->b = op->params[i].value.b;
			}
			break;
		case TEEC_MEMREF_TEMP_INPUT:
		case TEEC_MEMREF_TEMP_OUTPUT:
		case TEEC_MEMREF_TEMP_INOUT:
			tee_t = t; /* same numbers as TEE_PARAM_TYPE_MEMREF_* */
			size = op->params[i].tmpref.size;
			w->b = size;
			cb[i].out = t != TEEC_MEMREF_TEMP_INPUT;
			if (!op->params[i].tmpref.buffer)
				break; /* NULL: a size query */
			w->shm_id = c->scratch_id;
			w->a = temp_off;
			if (t != TEEC_MEMREF_TEMP_OUTPUT && size)
				memcpy(c->scratch + temp_off,
				       op->params[i].tmpref.buffer, size);
			cb[i].user = op->params[i].tmpref.buffer;
			cb[i].mirror = c->scratch + temp_off;
			cb[i].size = size;
			temp_off += align_up(size);
			break;
		case TEEC_MEMREF_WHOLE:
		case TEEC_MEMREF_PARTIAL_INPUT:
		case TEEC_MEMREF_PARTIAL_OUTPUT:
		case TEEC_MEMREF_PARTIAL_INOUT:
			parent = op->params[i].memref.parent;
			/* registered with this context, not another one */
			if (!parent || !parent->shm_id || !parent->context ||
			    parent->context->imp != c)
				return TEEC_ERROR_BAD_PARAMETERS;
			if (t == TEEC_MEMREF_WHOLE) {
				uint32_t f = parent->flags & (TEEC_MEM_INPUT | TEEC_MEM_OUTPUT);

				tee_t = f == TEEC_MEM_INPUT ? TEEC_MEMREF_TEMP_INPUT :
					f == TEEC_MEM_OUTPUT ? TEEC_MEMREF_TEMP_OUTPUT :
							       TEEC_MEMREF_TEMP_INOUT;
				off = 0;
				size = parent->size;
			} else {
				tee_t = t - 8; /* PARTIAL_x -> MEMREF_x */
				if (((tee_t & 1) && !(parent->flags & TEEC_MEM_INPUT)) ||
				    ((tee_t & 2) && !(parent->flags & TEEC_MEM_OUTPUT)))
					return TEEC_ERROR_BAD_PARAMETERS;
				off = op->params[i].memref.offset;
				size = op->params[i].memref.size;
				if (off > parent->size || size > parent->size - off)
					return TEEC_ERROR_BAD_PARAMETERS;
			}
			w->shm_id = parent->shm_id;
			w->a = off;
			w->b = size;
			if (parent->shadow) { /* registered: mirror the caller's bytes */
				if ((tee_t & 1) && size)
					memcpy((uint8_t *)parent->shadow + off,
					       (uint8_t *)parent->buffer + off, size);
				cb[i].user = (uint8_t *)parent->buffer + off;
				cb[i].mirror = (uint8_t *)parent->shadow + off;
			}
			cb[i].size = size;
			cb[i].out = (tee_t & 2) != 0;
			break;
		default:
			return TEEC_ERROR_BAD_PARAMETERS;
		}
		wire |= tee_t << (4 * i);
	}
	req->param_types = wire;
	return TEEC_SUCCESS;
}

static void finish(TEEC_Operation *op, const struct cdl_tee_msg *rsp,
		   const struct copy_back cb[4])
{
	uint32_t types = op ? op->paramTypes : 0;
	size_t i = 0;

	if (!op || (rsp->result != TEEC_SUCCESS &&
		    rsp->result != TEEC_ERROR_SHORT_BUFFER))
		return;
	for (i = 0; i < 4; i++) {
		uint32_t t = TEEC_PARAM_TYPE_GET(types, i);
		uint64_t got = rsp->params[i].b;

		switch (t) {
		case TEEC_VALUE_OUTPUT:
		case TEEC_VALUE_INOUT:
			op->params[i].value.a = (uint32_t)rsp->params[i].a;
			op->params[i].value.b = (uint32_t)rsp->params[i].b;
			break;
		case TEEC_MEMREF_TEMP_OUTPUT:
		case TEEC_MEMREF_TEMP_INOUT:
		case TEEC_MEMREF_WHOLE:
		case TEEC_MEMREF_PARTIAL_OUTPUT:
		case TEEC_MEMREF_PARTIAL_INOUT:
			if (!cb[i].out)
				break;
			if (rsp->result == TEEC_SUCCESS && cb[i].user && cb[i].mirror)
				memcpy(cb[i].user, cb[i].mirror,
				       got < cb[i].size ? (size_t)got : cb[i].size);
			if (is_temp(t))
				op->params[i].tmpref.size = (size_t)got;
			else
				op->params[i].memref.size = (size_t)got;
			break;
		default:
			break;
		}
	}
}

/* ------------------------------------------------------------------ API */

TEEC_Result TEEC_InitializeContext(const char *name, TEEC_Context *context)
{
	struct cdl_teec_context *c = NULL;
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;
	const char *env = NULL;
	TEEC_Result res = TEEC_SUCCESS;

	if (!context)
		return TEEC_ERROR_BAD_PARAMETERS;
	context->imp = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return TEEC_ERROR_OUT_OF_MEMORY;
	pthread_mutex_init(&c->lock, NULL);
	c->fd = -1;
	c->child = -1;
	c->pidfd = -1;
	env = getenv("CDL_TEE_TIMEOUT_MS");
	if (env && *env)
		c->timeout_ms = atoi(env) > 0 ? atoi(env) : 0;
	if (!name || !*name) {
		env = getenv("CDL_TEE_SOCKET");
		name = env && *env ? env : NULL;
	}
	res = name ? connect_to(c, name) : spawn(c);
	if (res != TEEC_SUCCESS)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_HELLO;
	res = transact(c, &req, &rsp, -1, HELLO_TIMEOUT_MS);
	if (res == TEEC_SUCCESS && rsp.result != TEEC_SUCCESS)
		res = rsp.result;
	if (res != TEEC_SUCCESS) {
		/* cdl-tee could not start (e.g. bad CDL_TEE_HEAP): not dead later */
		res = TEEC_ERROR_COMMUNICATION;
		goto fail;
	}
	c->server_pid = (pid_t)rsp.arg;
	c->heap_size = (size_t)rsp.params[0].a;
	context->imp = c;
	return TEEC_SUCCESS;
fail:
	if (c->fd >= 0)
		close(c->fd);
	reap_child(c, true);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return res;
}

void TEEC_FinalizeContext(TEEC_Context *context)
{
	struct cdl_teec_context *c = NULL;

	if (!context || !context->imp)
		return;
	c = context->imp;
	pthread_mutex_lock(&c->lock);
	if (c->scratch)
		munmap(c->scratch, c->scratch_size);
	if (c->fd >= 0)
		close(c->fd); /* cdl-tee sees EOF, closes the sessions, exits */
	reap_child(c, false);
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_destroy(&c->lock);
	free(c);
	context->imp = NULL;
}

pid_t cdl_teec_server_pid(TEEC_Context *context)
{
	return context && context->imp ? context->imp->server_pid : -1;
}

size_t cdl_teec_server_heap_size(TEEC_Context *context)
{
	return context && context->imp ? context->imp->heap_size : 0;
}

static TEEC_Result shared_memory(TEEC_Context *context, TEEC_SharedMemory *shm,
				 bool allocate)
{
	struct cdl_teec_context *c = NULL;
	size_t size = 0;
	void *map = NULL;
	int fd = -1;
	uint32_t id = 0;
	TEEC_Result res = TEEC_SUCCESS;

	if (!context || !context->imp || !shm)
		return TEEC_ERROR_BAD_PARAMETERS;
	if (!shm->flags || (shm->flags & ~(uint32_t)(TEEC_MEM_INPUT | TEEC_MEM_OUTPUT)))
		return TEEC_ERROR_BAD_PARAMETERS;
	if (!allocate && !shm->buffer && shm->size)
		return TEEC_ERROR_BAD_PARAMETERS;
	if (shm->size > TEEC_CONFIG_SHAREDMEM_MAX_SIZE)
		return TEEC_ERROR_OUT_OF_MEMORY;
	c = context->imp;
	size = shm->size ? shm->size : 1;
	if (shm_create(size, &fd, &map) != 0)
		return TEEC_ERROR_OUT_OF_MEMORY;
	pthread_mutex_lock(&c->lock);
	res = shm_register(c, fd, size, &id);
	pthread_mutex_unlock(&c->lock);
	close(fd);
	if (res != TEEC_SUCCESS) {
		munmap(map, size);
		return res;
	}
	shm->context = context;
	shm->shm_id = id;
	shm->alloced_size = size;
	shm->fd = -1;
	if (allocate) {
		shm->buffer = map;
		shm->shadow = NULL;
		shm->registered = 2;
	} else {
		shm->shadow = map;
		shm->registered = 1;
	}
	return TEEC_SUCCESS;
}

TEEC_Result TEEC_RegisterSharedMemory(TEEC_Context *context,
				      TEEC_SharedMemory *sharedMem)
{
	return shared_memory(context, sharedMem, false);
}

TEEC_Result TEEC_AllocateSharedMemory(TEEC_Context *context,
				      TEEC_SharedMemory *sharedMem)
{
	return shared_memory(context, sharedMem, true);
}

void TEEC_ReleaseSharedMemory(TEEC_SharedMemory *shm)
{
	struct cdl_teec_context *c = NULL;
	void *map = NULL;

	if (!shm || !shm->shm_id || !shm->context || !shm->context->imp)
		return;
	c = shm->context->imp;
	pthread_mutex_lock(&c->lock);
	shm_unregister(c, shm->shm_id);
	pthread_mutex_unlock(&c->lock);
	map = shm->registered == 2 ? shm->buffer : shm->shadow;
	munmap(map, shm->alloced_size);
	if (shm->registered == 2)
		shm->buffer = NULL;
	shm->shadow = NULL;
	shm->shm_id = 0;
	shm->context = NULL;
	shm->registered = 0;
}

static TEEC_Result call(struct cdl_teec_context *c, struct cdl_tee_msg *req,
			TEEC_Operation *op, uint32_t *origin,
			struct cdl_tee_msg *rsp)
{
	struct copy_back cb[4];
	TEEC_Result res = TEEC_SUCCESS;

	if (origin)
		*origin = TEEC_ORIGIN_API;
	if (op)
		op->started = 1;
	pthread_mutex_lock(&c->lock);
	if (c->dead) {
		res = TEEC_ERROR_TARGET_DEAD;
		if (origin)
			*origin = TEEC_ORIGIN_COMMS;
		goto out;
	}
	res = prepare(c, op, req, cb);
	if (res != TEEC_SUCCESS) {
		if (c->dead && origin)
			*origin = TEEC_ORIGIN_COMMS;
		goto out;
	}
	res = transact(c, req, rsp, -1, c->timeout_ms);
	if (res != TEEC_SUCCESS) {
		if (origin)
			*origin = TEEC_ORIGIN_COMMS;
		goto out;
	}
	finish(op, rsp, cb);
	res = rsp->result;
	if (origin)
		*origin = rsp->origin;
out:
	pthread_mutex_unlock(&c->lock);
	return res;
}

TEEC_Result TEEC_OpenSession(TEEC_Context *context, TEEC_Session *session,
			     const TEEC_UUID *destination,
			     uint32_t connectionMethod,
			     const void *connectionData,
			     TEEC_Operation *operation,
			     uint32_t *returnOrigin)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;
	uint8_t *u = req.uuid;
	TEEC_Result res = TEEC_SUCCESS;

	if (returnOrigin)
		*returnOrigin = TEEC_ORIGIN_API;
	if (!context || !context->imp || !session || !destination)
		return TEEC_ERROR_BAD_PARAMETERS;
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_OPEN_SESSION;
	req.func = connectionMethod;
	/* the in-memory TEE_UUID layout, which is what the TA side compares */
	memcpy(u, destination, sizeof(*destination));
	res = call(context->imp, &req, operation, returnOrigin, &rsp);
	if (res != TEEC_SUCCESS)
		return res;
	session->context = context;
	session->session_id = rsp.session;
	return TEEC_SUCCESS;
}

void TEEC_CloseSession(TEEC_Session *session)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;

	if (!session || !session->context || !session->context->imp)
		return;
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_CLOSE_SESSION;
	req.session = session->session_id;
	(void)call(session->context->imp, &req, NULL, NULL, &rsp);
	session->context = NULL;
	session->session_id = 0;
}

TEEC_Result TEEC_InvokeCommand(TEEC_Session *session, uint32_t commandID,
			       TEEC_Operation *operation,
			       uint32_t *returnOrigin)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;

	if (returnOrigin)
		*returnOrigin = TEEC_ORIGIN_API;
	if (!session || !session->context || !session->context->imp)
		return TEEC_ERROR_BAD_PARAMETERS;
	memset(&req, 0, sizeof(req));
	req.cmd = CDL_TEE_MSG_INVOKE;
	req.session = session->session_id;
	req.func = commandID;
	return call(session->context->imp, &req, operation, returnOrigin, &rsp);
}

void TEEC_RequestCancellation(TEEC_Operation *operation)
{
	/* Not supported: a running TA call is not interrupted. */
	(void)operation;
}
