/*
 * cdl-tee: the host TEE process. Start-up order matters:
 *   1. non-dumpable, no core files (before any secret exists)
 *   2. the core pool, and OpenSSL's allocator pointed at it
 *   3. the TA heap (the secure-memory budget)
 *   4. state directory, root key, storage keys
 *   5. the socket (inherited fd, or bind + listen)
 *   6. OpenSSL algorithms fetched
 *   7. the seccomp filter
 *   8. serve
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "heap.h"
#include "host.h"
#include "protocol.h"

#define DEFAULT_HEAP ((size_t)16 << 20) /* like an OP-TEE TA heap */
#define CORE_HEAP ((size_t)4 << 20) /* OpenSSL and TEE state: ~0.4 MiB used, plus 1 MiB objects */

bool cdl_host_verbose;

void cdl_host_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cdl-tee[%ld]: %s\n", (long)getpid(), line);
}

/* OpenSSL allocates from the core pool, so key schedules and private keys
 * live in secure memory too. */
static void *ossl_malloc(size_t n, const char *file, int line)
{
	return cdl_pool_alloc(&cdl_core_heap, n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	return cdl_pool_realloc(&cdl_core_heap, p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	cdl_pool_free(&cdl_core_heap, p);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cdl-tee (--fd N | --listen SOCKET) [options]\n"
		"The host TEE of cdl: plays the secure world with the trusted application\n"
		"linked in. libcdl starts it on demand (--fd); --listen runs it as a shared\n"
		"service on a Unix socket (TEEC_InitializeContext(\"SOCKET\") or\n"
		"CDL_TEE_SOCKET=SOCKET).\n"
		"\n"
		"  --fd N            serve the connected socket N (used when spawned)\n"
		"  --listen SOCKET   listen on a Unix socket (created 0600)\n"
		"  --heap-size SIZE  secure heap of the TA, e.g. 4M, 16M (default: $CDL_TEE_HEAP or 16M)\n"
		"  --threads N       threads an inference may use, 1-64 (default: $CDL_TEE_THREADS or 1)\n"
		"  --state-dir DIR   state directory (default: $CDL_TEE_DIR, else\n"
		"                    $XDG_DATA_HOME/cdl, else ~/.local/share/cdl)\n"
		"  --no-seccomp      do not install the system call filter (debugging)\n"
		"  --verbose         log start-up and connections to stderr\n");
}

static int default_state_dir(char *out, size_t n)
{
	const char *env = getenv("CDL_TEE_DIR");
	const char *home = NULL;
	struct passwd *pw = NULL;

	if (env && *env)
		return snprintf(out, n, "%s", env) < (int)n ? 0 : -1;
	env = getenv("XDG_DATA_HOME");
	if (env && env[0] == '/')
		return snprintf(out, n, "%s/cdl", env) < (int)n ? 0 : -1;
	home = getenv("HOME");
	if (!home || !*home) {
		pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return -1;
	return snprintf(out, n, "%s/.local/share/cdl", home) < (int)n ? 0 : -1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr;
	struct stat st;
	mode_t old = 0;
	int fd = -1;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "cdl-tee: failed to listen on %s: path longer than %zu bytes\n",
			path, sizeof(addr.sun_path) - 1);
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A socket file left by a dead service is replaced; a live one is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
			fprintf(stderr, "cdl-tee: failed to listen on %s: another cdl-tee serves it\n",
				path);
			close(probe);
			close(fd);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
	}
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(fd, 16) != 0) {
		fprintf(stderr, "cdl-tee: failed to listen on %s: %s\n", path,
			strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

int cdl_tee_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "heap-size", required_argument, NULL, 'H' },
		{ "threads", required_argument, NULL, 'T' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "no-seccomp", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char state_dir[4096];
	const char *listen_path = NULL;
	const char *heap_arg = NULL;
	const char *threads_arg = NULL;
	unsigned long threads = 1;
	const char *dir_arg = NULL;
	bool seccomp = true;
	size_t heap_size = DEFAULT_HEAP;
	int sock = -1;
	int type = 0;
	socklen_t len = sizeof(type);
	int c = 0;

	cdl_system_set_stack_top(__builtin_frame_address(0));
	cdl_harden_early();
	signal(SIGPIPE, SIG_IGN);

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			sock = atoi(optarg);
			if (sock < 0 || (sock == 0 && strcmp(optarg, "0") != 0)) {
				fprintf(stderr, "cdl-tee: bad --fd '%s'\n", optarg);
				return 2;
			}
			break;
		case 'l':
			listen_path = optarg;
			break;
		case 'H':
			heap_arg = optarg;
			break;
		case 'T':
			threads_arg = optarg;
			break;
		case 'd':
			dir_arg = optarg;
			break;
		case 'S':
			seccomp = false;
			break;
		case 'v':
			cdl_host_verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (sock < 0) == (listen_path == NULL)) {
		usage(stderr);
		return 2;
	}
	if (!heap_arg)
		heap_arg = getenv("CDL_TEE_HEAP");
	if (heap_arg && *heap_arg) {
		heap_size = cdl_parse_size(heap_arg);
		if (heap_size < 4096 || heap_size > ((size_t)4 << 30)) {
			fprintf(stderr, "cdl-tee: failed to use heap size '%s': must be 4K..4G, e.g. 4M or 16M\n",
				heap_arg);
			return 2;
		}
	}
	if (!threads_arg)
		threads_arg = getenv("CDL_TEE_THREADS");
	if (threads_arg && *threads_arg) {
		char *end = NULL;

		errno = 0;
		threads = strtoul(threads_arg, &end, 10);
		if (errno || *end || threads < 1 || threads > 64) {
			fprintf(stderr, "cdl-tee: failed to use thread count '%s': must be 1..64\n",
				threads_arg);
			return 2;
		}
	}
	if (sock >= 0) {
		if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
		    type != SOCK_SEQPACKET) {
			fprintf(stderr, "cdl-tee: failed to serve fd %d: not a SOCK_SEQPACKET socket\n",
				sock);
			return 2;
		}
		(void)fcntl(sock, F_SETFD, FD_CLOEXEC);
	}
	/* Nothing of the parent's but stdio and our socket stays open. */
	close_range(3, sock > 3 ? (unsigned)sock - 1 : 2u, 0);
	close_range(sock >= 3 ? (unsigned)sock + 1 : 3u, ~0u, 0);

	if (cdl_pool_create(&cdl_core_heap, "core", CORE_HEAP) != 0 ||
	    CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) != 1) {
		fprintf(stderr, "cdl-tee: failed to set up the core secure pool\n");
		return 1;
	}
	if (cdl_pool_create(&cdl_ta_heap, "TA heap", heap_size) != 0) {
		fprintf(stderr, "cdl-tee: failed to map a secure heap of %zu bytes\n",
			heap_size);
		return 1;
	}
	/* A long-lived service pays for its heap's page faults once, now, rather
	 * than in its first model loads (heap.c). */
	if (listen_path)
		cdl_pool_prefault(&cdl_ta_heap);
	if (dir_arg) {
		snprintf(state_dir, sizeof(state_dir), "%s", dir_arg);
	} else if (default_state_dir(state_dir, sizeof(state_dir)) != 0) {
		fprintf(stderr, "cdl-tee: failed to find a state directory: set CDL_TEE_DIR\n");
		return 1;
	}
	if (cdl_keys_init(state_dir) != 0)
		return 1;
	if (listen_path) {
		sock = listen_on(listen_path);
		if (sock < 0)
			return 1;
	}
	if (cdl_crypto_init() != 0) {
		fprintf(stderr, "cdl-tee: failed to initialise OpenSSL (AES-GCM, SHA-256, HMAC, EC P-256)\n");
		return 1;
	}
	if (cdl_host_workers_start((uint32_t)threads) != 0)
		return 1;
	if (cdl_host_verbose)
		cdl_host_log("TA heap %zu bytes (%s), core pool %zu bytes (%s), %lu thread(s), state %s",
			     cdl_ta_heap.size, cdl_ta_heap.backing,
			     cdl_core_heap.size, cdl_core_heap.backing, threads, state_dir);
	if (seccomp && !cdl_harden_seccomp_supported()) {
		cdl_host_log("built without the seccomp filter (sanitizer build or CDL_TEE_SECCOMP=OFF)");
		seccomp = false;
	}
	if (seccomp && cdl_harden_seccomp() != 0) {
		fprintf(stderr, "cdl-tee: failed to install the seccomp filter: %s\n",
			strerror(errno));
		return 1;
	}
	if (listen_path)
		return cdl_server_run_listen(sock);
	return cdl_server_run_fd(sock);
}
