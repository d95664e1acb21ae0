/*
 * cdl-tee's side of the world boundary: receives requests (protocol.h),
 * validates every field and file descriptor, maps shared memory, and calls
 * the linked TA's entry points. One request at a time; in --listen mode a
 * poll loop serves several clients, each with its own sessions and shared
 * memory (a client can name only its own).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heap.h"
#include "host.h"
#include "protocol.h"
#include "tee_client_api.h"
#include "tee_internal_api.h"

struct shm {
	uint32_t id; /* 0: free slot */
	uint8_t *base;
	size_t size;
};

struct session {
	uint32_t id; /* 0: free slot */
	void *ctx;
};

struct client {
	int fd;
	pid_t pid;
	uid_t uid;
	uint32_t next_id;
	struct session sessions[CDL_TEE_MAX_SESSIONS];
	struct shm shm[CDL_TEE_MAX_SHM];
};

static struct client *current; /* the client whose request is being served */
static bool ta_created;
static unsigned ta_sessions;

int cdl_server_shm_lookup(const void *p, size_t n)
{
	const uint8_t *u = p;
	size_t i = 0;

	if (!current)
		return 0;
	for (i = 0; i < CDL_TEE_MAX_SHM; i++) {
		const struct shm *s = &current->shm[i];

		if (!s->id)
			continue;
		if (u >= s->base && n <= s->size &&
		    (size_t)(u - s->base) <= s->size - n)
			return 1;
		if (u < s->base + s->size && u + n > s->base)
			return -1;
	}
	return 0;
}

static uint32_t new_id(struct client *c)
{
	c->next_id++;
	if (c->next_id == 0)
		c->next_id = 1;
	return c->next_id;
}

static struct shm *find_shm(struct client *c, uint32_t id)
{
	size_t i = 0;

	for (i = 0; id && i < CDL_TEE_MAX_SHM; i++)
		if (c->shm[i].id == id)
			return &c->shm[i];
	return NULL;
}

static struct session *find_session(struct client *c, uint32_t id)
{
	size_t i = 0;

	for (i = 0; id && i < CDL_TEE_MAX_SESSIONS; i++)
		if (c->sessions[i].id == id)
			return &c->sessions[i];
	return NULL;
}

/* Wire parameters -> TEE_Param. Nothing is trusted. */
static TEE_Result load_params(struct client *c, const struct cdl_tee_msg *m,
			      TEE_Param p[TEE_NUM_PARAMS])
{
	size_t i = 0;

	if (m->param_types >> 16)
		return TEE_ERROR_BAD_PARAMETERS;
	memset(p, 0, sizeof(TEE_Param) * TEE_NUM_PARAMS);
	for (i = 0; i < TEE_NUM_PARAMS; i++) {
		const struct cdl_tee_msg_param *w = &m->params[i];
		uint32_t t = TEE_PARAM_TYPE_GET(m->param_types, i);
		struct shm *s = NULL;

		switch (t) {
		case TEE_PARAM_TYPE_NONE:
		case TEE_PARAM_TYPE_VALUE_OUTPUT:
			break;
		case TEE_PARAM_TYPE_VALUE_INPUT:
		case TEE_PARAM_TYPE_VALUE_INOUT:
			if (w->a > UINT32_MAX || w->b > UINT32_MAX)
				return TEE_ERROR_BAD_PARAMETERS;
			p[i].value.a = (uint32_t)w->a;
			p[i].value.b = (uint32_t)w->b;
			break;
		case TEE_PARAM_TYPE_MEMREF_INPUT:
		case TEE_PARAM_TYPE_MEMREF_OUTPUT:
		case TEE_PARAM_TYPE_MEMREF_INOUT:
			if (w->shm_id == 0) { /* NULL buffer: a size query */
				if (w->a != 0 || w->b > SIZE_MAX)
					return TEE_ERROR_BAD_PARAMETERS;
				p[i].memref.buffer = NULL;
				p[i].memref.size = (size_t)w->b;
				break;
			}
			s = find_shm(c, w->shm_id);
			if (!s || w->a > s->size || w->b > s->size - w->a)
				return TEE_ERROR_BAD_PARAMETERS;
			p[i].memref.buffer = s->base + w->a;
			p[i].memref.size = (size_t)w->b;
			break;
		default:
			return TEE_ERROR_BAD_PARAMETERS;
		}
	}
	return TEE_SUCCESS;
}

static void store_params(const struct cdl_tee_msg *req, struct cdl_tee_msg *rsp,
			 const TEE_Param p[TEE_NUM_PARAMS])
{
	size_t i = 0;

	for (i = 0; i < TEE_NUM_PARAMS; i++) {
		uint32_t t = TEE_PARAM_TYPE_GET(req->param_types, i);

		switch (t) {
		case TEE_PARAM_TYPE_VALUE_OUTPUT:
		case TEE_PARAM_TYPE_VALUE_INOUT:
			rsp->params[i].a = p[i].value.a;
			rsp->params[i].b = p[i].value.b;
			break;
		case TEE_PARAM_TYPE_MEMREF_OUTPUT:
		case TEE_PARAM_TYPE_MEMREF_INOUT:
			rsp->params[i].a = req->params[i].a;
			rsp->params[i].b = p[i].memref.size;
			rsp->params[i].shm_id = req->params[i].shm_id;
			break;
		default:
			break;
		}
	}
}

static void close_session(struct session *s)
{
	TA_CloseSessionEntryPoint(s->ctx);
	s->id = 0;
	s->ctx = NULL;
	ta_sessions--;
}

static void do_open_session(struct client *c, const struct cdl_tee_msg *req,
			    struct cdl_tee_msg *rsp)
{
	TEE_Param p[TEE_NUM_PARAMS];
	struct session *slot = NULL;
	void *ctx = NULL;
	TEE_Result res = TEE_SUCCESS;
	size_t i = 0;

	rsp->origin = TEEC_ORIGIN_TEE;
	if (memcmp(req->uuid, &cdl_host_ta_uuid, sizeof(req->uuid)) != 0) {
		rsp->result = TEE_ERROR_ITEM_NOT_FOUND;
		return;
	}
	if (req->func != TEEC_LOGIN_PUBLIC && req->func != TEEC_LOGIN_USER &&
	    req->func != TEEC_LOGIN_GROUP && req->func != TEEC_LOGIN_APPLICATION) {
		rsp->result = TEE_ERROR_NOT_SUPPORTED;
		return;
	}
	for (i = 0; i < CDL_TEE_MAX_SESSIONS && !slot; i++)
		if (!c->sessions[i].id)
			slot = &c->sessions[i];
	if (!slot) {
		rsp->result = TEE_ERROR_BUSY;
		return;
	}
	res = load_params(c, req, p);
	if (res != TEE_SUCCESS) {
		rsp->result = res;
		return;
	}
	if (!ta_created) {
		res = TA_CreateEntryPoint();
		if (res != TEE_SUCCESS) {
			rsp->result = res;
			rsp->origin = TEEC_ORIGIN_TRUSTED_APP;
			return;
		}
		ta_created = true;
	}
	res = TA_OpenSessionEntryPoint(req->param_types, p, &ctx);
	rsp->origin = TEEC_ORIGIN_TRUSTED_APP;
	rsp->result = res;
	store_params(req, rsp, p);
	if (res != TEE_SUCCESS)
		return;
	slot->id = new_id(c);
	slot->ctx = ctx;
	ta_sessions++;
	rsp->session = slot->id;
}

static void do_invoke(struct client *c, const struct cdl_tee_msg *req,
		      struct cdl_tee_msg *rsp)
{
	TEE_Param p[TEE_NUM_PARAMS];
	struct session *s = find_session(c, req->session);
	TEE_Result res = TEE_SUCCESS;

	rsp->origin = TEEC_ORIGIN_TEE;
	if (!s) {
		rsp->result = TEE_ERROR_BAD_PARAMETERS;
		return;
	}
	res = load_params(c, req, p);
	if (res != TEE_SUCCESS) {
		rsp->result = res;
		return;
	}
	rsp->result = TA_InvokeCommandEntryPoint(s->ctx, req->func,
						 req->param_types, p);
	rsp->origin = TEEC_ORIGIN_TRUSTED_APP;
	rsp->session = s->id;
	store_params(req, rsp, p);
}

static void do_shm_register(struct client *c, const struct cdl_tee_msg *req,
			    struct cdl_tee_msg *rsp, int fd)
{
	struct shm *slot = NULL;
	struct stat st;
	uint64_t size = req->params[0].b;
	int seals = 0;
	void *p = NULL;
	size_t i = 0;

	rsp->origin = TEEC_ORIGIN_TEE;
	rsp->result = TEE_ERROR_BAD_PARAMETERS;
	if (fd < 0 || size == 0 || size > CDL_TEE_MAX_SHM_SIZE || size > SIZE_MAX)
		return;
	/* Only a memfd that can never shrink: else the client could truncate it
	 * under us and turn our next access into SIGBUS. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) ||
	    (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < size)
		return;
	for (i = 0; i < CDL_TEE_MAX_SHM && !slot; i++)
		if (!c->shm[i].id)
			slot = &c->shm[i];
	if (!slot) {
		rsp->result = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rsp->result = TEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	slot->id = new_id(c);
	slot->base = p;
	slot->size = (size_t)size;
	rsp->shm_id = slot->id;
	rsp->result = TEE_SUCCESS;
}

static void release_shm(struct shm *s)
{
	munmap(s->base, s->size);
	memset(s, 0, sizeof(*s));
}

static void client_reset(struct client *c)
{
	size_t i = 0;

	current = c;
	for (i = 0; i < CDL_TEE_MAX_SESSIONS; i++)
		if (c->sessions[i].id)
			close_session(&c->sessions[i]);
	for (i = 0; i < CDL_TEE_MAX_SHM; i++)
		if (c->shm[i].id)
			release_shm(&c->shm[i]);
	current = NULL;
}

static void handle(struct client *c, const struct cdl_tee_msg *req,
		   struct cdl_tee_msg *rsp, int *fd)
{
	struct session *s = NULL;
	struct shm *m = NULL;

	memset(rsp, 0, sizeof(*rsp));
	rsp->magic = CDL_TEE_MSG_MAGIC;
	rsp->version = CDL_TEE_MSG_VERSION;
	rsp->cmd = req->cmd;
	rsp->seq = req->seq;
	rsp->origin = TEEC_ORIGIN_TEE;
	current = c;
	switch (req->cmd) {
	case CDL_TEE_MSG_HELLO:
		rsp->result = TEE_SUCCESS;
		rsp->arg = (uint32_t)getpid();
		rsp->params[0].a = cdl_ta_heap.size;
		break;
	case CDL_TEE_MSG_OPEN_SESSION:
		do_open_session(c, req, rsp);
		break;
	case CDL_TEE_MSG_INVOKE:
		do_invoke(c, req, rsp);
		break;
	case CDL_TEE_MSG_CLOSE_SESSION:
		s = find_session(c, req->session);
		rsp->result = s ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
		if (s)
			close_session(s);
		break;
	case CDL_TEE_MSG_SHM_REGISTER:
		do_shm_register(c, req, rsp, *fd);
		break;
	case CDL_TEE_MSG_SHM_RELEASE:
		m = find_shm(c, req->shm_id);
		rsp->result = m ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS;
		if (m)
			release_shm(m);
		break;
	default:
		rsp->result = TEE_ERROR_NOT_SUPPORTED;
		break;
	}
	current = NULL;
}

/*
 * Receives one request. Returns 1 with *req filled (and *fd the one passed
 * descriptor or -1), 0 on EOF / a dead peer, -1 for a malformed message
 * (answered with BAD_FORMAT by the caller). Extra descriptors are closed.
 */
static int receive(int sock, struct cdl_tee_msg *req, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	uint8_t buf[sizeof(*req) + 1];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { 0 };
	struct cmsghdr *cm = NULL;
	ssize_t n = 0;
	int ok = 1;

	*fd = -1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	do {
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t nfd = 0;
		size_t i = 0;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int f = -1;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*fd < 0 && ok)
				*fd = f;
			else
				close(f);
		}
		if (nfd > 1)
			ok = 0;
	}
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n != sizeof(*req))
		ok = 0;
	memcpy(req, buf, sizeof(*req));
	if (ok && (req->magic != CDL_TEE_MSG_MAGIC ||
		   req->version != CDL_TEE_MSG_VERSION))
		ok = 0;
	if (*fd >= 0 && (!ok || req->cmd != CDL_TEE_MSG_SHM_REGISTER)) {
		close(*fd);
		*fd = -1;
	}
	return ok ? 1 : -1;
}

static int reply(int sock, const struct cdl_tee_msg *rsp)
{
	ssize_t n = 0;

	do {
		/* Never block on a client that does not read its answers. */
		n = send(sock, rsp, sizeof(*rsp), MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rsp) ? 0 : -1;
}

/* Serves one request of c. Returns 0 to go on, -1 when the client is gone. */
static int serve_one(struct client *c)
{
	struct cdl_tee_msg req;
	struct cdl_tee_msg rsp;
	int fd = -1;
	int r = receive(c->fd, &req, &fd);

	if (r == 0)
		return -1;
	if (r < 0) {
		memset(&rsp, 0, sizeof(rsp));
		rsp.magic = CDL_TEE_MSG_MAGIC;
		rsp.version = CDL_TEE_MSG_VERSION;
		rsp.seq = req.seq;
		rsp.cmd = req.cmd;
		rsp.result = TEE_ERROR_BAD_FORMAT;
		rsp.origin = TEEC_ORIGIN_COMMS;
		return reply(c->fd, &rsp);
	}
	handle(c, &req, &rsp, &fd);
	if (fd >= 0)
		close(fd);
	return reply(c->fd, &rsp);
}

static struct client *client_new(int fd)
{
	struct client *c = calloc(1, sizeof(*c));
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!c)
		return NULL;
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->pid = cred.pid;
		c->uid = cred.uid;
	}
	return c;
}

static void client_drop(struct client *c)
{
	client_reset(c);
	close(c->fd);
	if (cdl_host_verbose)
		cdl_host_log("client pid %ld disconnected", (long)c->pid);
	free(c);
}

int cdl_server_run_fd(int fd)
{
	struct client *c = client_new(fd);

	if (!c)
		return 1;
	while (serve_one(c) == 0)
		;
	client_drop(c);
	if (ta_created)
		TA_DestroyEntryPoint();
	if (cdl_host_verbose)
		cdl_host_log("exit: TA heap peak %zu of %zu bytes, core pool peak %zu of %zu",
			     cdl_ta_heap.peak, cdl_ta_heap.size, cdl_core_heap.peak,
			     cdl_core_heap.size);
	return 0;
}

int cdl_server_run_listen(int listen_fd)
{
	struct client *clients[CDL_TEE_MAX_CLIENTS] = { 0 };
	struct pollfd pfd[CDL_TEE_MAX_CLIENTS + 1];
	size_t nclients = 0;
	size_t i = 0;

	for (;;) {
		pfd[0].fd = listen_fd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		for (i = 0; i < nclients; i++) {
			pfd[i + 1].fd = clients[i]->fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if (ppoll(pfd, nclients + 1, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			cdl_host_log("poll failed: %s", strerror(errno));
			return 1;
		}
		for (i = nclients; i-- > 0;) {
			if (!pfd[i + 1].revents)
				continue;
			if (serve_one(clients[i]) != 0) {
				client_drop(clients[i]);
				clients[i] = clients[--nclients];
			}
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0)
				continue;
			if (nclients == CDL_TEE_MAX_CLIENTS) {
				close(fd);
				continue;
			}
			clients[nclients] = client_new(fd);
			if (!clients[nclients]) {
				close(fd);
				continue;
			}
			if (cdl_host_verbose)
				cdl_host_log("client pid %ld uid %ld connected",
					     (long)clients[nclients]->pid,
					     (long)clients[nclients]->uid);
			nclients++;
		}
	}
}
