/*
 * The attacker's tests (DESIGN §2 G1, docs/threat-model.md): the app and
 * everything in the normal world belong to the adversary, so while the TEE
 * holds a model, none of it may contain the plaintext weights.
 *
 *   security_tests NAME   runs one test; exit 0 pass, 1 fail, 77 skipped
 *
 *   leak       A "provider" child compiles the digits model, hashes every
 *              16-byte window of the plaintext weights (the plan's weights
 *              section) and packs the plan for this device. The "app" (this
 *              process, which never sees the plaintext) loads it resident and
 *              streaming, runs inferences, and then, while the TEE holds both
 *              models, reads: its own memory (/proc/self/mem, every readable
 *              mapping, the shared-memory memfds included), cdl-tee's
 *              shared-memory memfds (as root, through /proc/PID/fd), every
 *              file of the state directory and the package. No window may be
 *              found. Controls: the provider finds the windows in its own
 *              memory, and the app finds one it was handed on purpose.
 *   same_user  As an unprivileged user (uid 65534 when run as root), with the
 *              TEE holding a model: opening cdl-tee's /proc/PID/mem,
 *              process_vm_readv and ptrace attach are refused; the same calls
 *              on an ordinary process of that user succeed (the control).
 *   tee_memory As root (who can read cdl-tee's ordinary memory, as the threat
 *              model says): with the TA heap in memfd_secret, no window in any
 *              readable mapping of cdl-tee except its stack (which the threat
 *              model lists as unprotected; hits there are reported).
 *
 * Environment: CDL_TEE_BIN, SECURITY_TMP, CDL_SOURCE_DIR.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cdl/cdl.h"
#include "cli/cli_tee.h"
#include "engine/plan.h"
#include "provider/provider.h"
#include "test_harness.h"

#define WIN 16
#define NOBODY 65534

static char state_dir[4200];
static char work_dir[4096];

/* ------------------------------------------------- the window hash set */

/*
 * Hashes of every 16-byte window of the plaintext weights. Only hashes: the
 * app process holding this set holds no plaintext. A 2^24-bit filter in front
 * of a sorted array keeps a scan of hundreds of MB fast.
 */
typedef struct winset {
	uint64_t *h;
	size_t n;
	uint8_t *filter; /* 2 MiB */
} winset;

static uint64_t win_hash(const uint8_t *p)
{
	uint64_t a = 0, b = 0, x = 0;

	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	x = a * 0x9E3779B97F4A7C15ull;
	x ^= (b * 0xC2B2AE3D27D4EB4Full) >> 7 | (b * 0xC2B2AE3D27D4EB4Full) << 57;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return x;
}

/*
 * A window worth looking for: at least 10 distinct bytes, so zero padding,
 * repeated constants and other patterns found anywhere do not count.
 */
static bool interesting(const uint8_t *p)
{
	uint8_t seen[256] = {0};
	int distinct = 0;

	for (int i = 0; i < WIN; i++)
		if (!seen[p[i]]++)
			distinct++;
	return distinct >= 10;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void winset_finish(winset *s)
{
	size_t w = 0;

	qsort(s->h, s->n, sizeof(*s->h), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		if (!w || s->h[w - 1] != s->h[i])
			s->h[w++] = s->h[i];
	s->n = w;
	s->filter = calloc(1, 1u << 21);
	for (size_t i = 0; i < s->n; i++)
		s->filter[(s->h[i] >> 40) >> 3] |= (uint8_t)(1u << ((s->h[i] >> 40) & 7));
}

static void winset_build(winset *s, const uint8_t *data, size_t len)
{
	memset(s, 0, sizeof(*s));
	s->h = malloc((len + 1) * sizeof(*s->h));
	for (size_t i = 0; i + WIN <= len; i++)
		if (interesting(data + i))
			s->h[s->n++] = win_hash(data + i);
	winset_finish(s);
}

static bool winset_has(const winset *s, uint64_t h)
{
	size_t lo = 0, hi = s->n;

	if (!(s->filter[(h >> 40) >> 3] & (1u << ((h >> 40) & 7))))
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->h[mid] < h)
			lo = mid + 1;
		else if (s->h[mid] > h)
			hi = mid;
		else
			return true;
	}
	return false;
}

/* Windows of buf[0..len) in the set. */
static size_t scan_buf(const winset *s, const uint8_t *buf, size_t len)
{
	size_t hits = 0;

	for (size_t i = 0; i + WIN <= len; i++)
		if (winset_has(s, win_hash(buf + i)) && interesting(buf + i))
			hits++;
	return hits;
}

/* Reads fd from off for len bytes in chunks (overlapping by WIN-1). */
static size_t scan_fd_range(const winset *s, int fd, uint64_t off, uint64_t len, size_t *read_out)
{
	enum { CHUNK = 1 << 20 };
	static uint8_t *buf;
	size_t hits = 0, have = 0;

	if (!buf)
		buf = malloc(CHUNK + WIN);
	while (len > 0) {
		size_t want = len < CHUNK ? (size_t)len : CHUNK;
		ssize_t n = pread(fd, buf + have, want, (off_t)off);

		if (n <= 0)
			break;
		hits += scan_buf(s, buf, have + (size_t)n);
		*read_out += (size_t)n;
		/* keep the last WIN-1 bytes: windows across chunk borders */
		if (have + (size_t)n >= WIN - 1) {
			memmove(buf, buf + have + (size_t)n - (WIN - 1), WIN - 1);
			have = WIN - 1;
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return hits;
}

static size_t scan_file(const winset *s, const char *path, size_t *bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t hits = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0)
		hits = scan_fd_range(s, fd, 0, (uint64_t)st.st_size, bytes);
	close(fd);
	return hits;
}

/* Every regular file under dir. */
static size_t scan_tree(const winset *s, const char *dir, size_t *files, size_t *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *e = NULL;
	size_t hits = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[8192];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			hits += scan_tree(s, path, files, bytes);
		} else if (S_ISREG(st.st_mode)) {
			hits += scan_file(s, path, bytes);
			(*files)++;
		}
	}
	closedir(d);
	return hits;
}

typedef struct mem_report {
	size_t regions, bytes, hits;
	size_t shm_regions, shm_bytes, shm_hits; /* mappings of memfds */
	size_t stack_hits;
	size_t secret_regions;
	size_t skipped_huge;
} mem_report;

/*
 * Every readable mapping of process pid through /proc/PID/mem (only those
 * whose name contains only_named, if not NULL).
 */
static int scan_process_only(const winset *s, pid_t pid, const char *only_named, mem_report *r)
{
	char path[64], line[1024];
	FILE *maps = NULL;
	int mem = -1;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = fopen(path, "r");
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || mem < 0) {
		if (maps)
			fclose(maps);
		if (mem >= 0)
			close(mem);
		return -1;
	}
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long lo = 0, hi = 0;
		char perms[8] = "", name[512] = "";
		size_t got = 0, hits = 0;

		if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %511[^\n]", &lo, &hi, perms, name) < 3)
			continue;
		if (strstr(name, "secretmem"))
			r->secret_regions++;
		if (perms[0] != 'r' || strstr(name, "[vvar") || strstr(name, "[vsyscall]"))
			continue;
		if (only_named && !strstr(name, only_named))
			continue;
		/* terabyte reservations (AddressSanitizer's shadow) hold no data of ours */
		if (hi - lo > (4ull << 30)) {
			r->skipped_huge++;
			continue;
		}
		hits = scan_fd_range(s, mem, lo, hi - lo, &got);
		r->regions++;
		r->bytes += got;
		if (strstr(name, "[stack"))
			r->stack_hits += hits;
		else
			r->hits += hits;
		if (strstr(name, "memfd:")) {
			r->shm_regions++;
			r->shm_bytes += got;
			r->shm_hits += hits;
		}
		if (hits)
			fprintf(stderr, "  %zu window(s) in %s", hits, line);
	}
	fclose(maps);
	close(mem);
	return 0;
}

static int scan_process(const winset *s, pid_t pid, mem_report *r)
{
	return scan_process_only(s, pid, NULL, r);
}

/* ---------------------------------------------------------- helpers */

static void new_dirs(void)
{
	test_mkdtemp("SECURITY_TMP", "sec", work_dir, sizeof(work_dir));
	chmod(work_dir, 0755);
	snprintf(state_dir, sizeof(state_dir), "%s/state", work_dir);
	mkdir(state_dir, 0700);
	setenv("CDL_TEE_DIR", state_dir, 1);
}

static int write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t len)
{
	uint8_t *b = p;

	while (len) {
		ssize_t n = read(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The digits model compiled and parsed (no engine): plan bytes and the weights section. */
static int compile_digits(test_plan *c)
{
	char onnx[4096];

	snprintf(onnx, sizeof(onnx), "%s/models/digits/model.onnx", src_dir);
	return test_plan_compile(c, onnx, false);
}

/* --------------------------------------------------------------- leak */

/*
 * The provider, in a child: compile, hash the weights, pack for the device,
 * scan its own memory as the control. Writes to fd: n, the hashes, the
 * package length and bytes, one plaintext window (the app's control), the
 * control's hit count.
 */
static int provider_child(int fd, const uint8_t point[CDL_DEVICE_POINT_LEN])
{
	test_plan c;
	winset s;
	uint8_t *pkg = NULL;
	size_t pkg_len = 0, control = 0;
	mem_report r;
	char msg[512];
	uint64_t n = 0;

	if (compile_digits(&c))
		return 1;
	winset_build(&s, c.plan->weights, (size_t)c.plan->weights_size);
	fprintf(stderr, "provider: %" PRIu64 " weight bytes, %zu distinct 16-byte windows\n",
		(uint64_t)c.plan->weights_size, s.n);
	if (cdl_cli_pack_plan(c.bytes, c.len, c.plan, point, NULL, NULL, 4096, &pkg, &pkg_len, msg,
			      sizeof(msg))) {
		fprintf(stderr, "pack: %s\n", msg);
		return 1;
	}
	/* control: the plaintext is in this process, the scanner must see it */
	if (scan_process(&s, getpid(), &r) == 0)
		control = r.hits + r.stack_hits;
	fprintf(stderr, "provider control: %zu windows found in its own memory (%zu MiB read)\n",
		control, r.bytes >> 20);
	n = s.n;
	if (write_all(fd, &n, sizeof(n)) || write_all(fd, s.h, s.n * sizeof(*s.h)))
		return 1;
	n = pkg_len;
	if (write_all(fd, &n, sizeof(n)) || write_all(fd, pkg, pkg_len))
		return 1;
	{
		/* the first interesting window: planted in the app as its control */
		const uint8_t *w = c.plan->weights;
		size_t i = 0;

		while (i + WIN <= c.plan->weights_size && !interesting(w + i))
			i++;
		if (write_all(fd, w + i, WIN))
			return 1;
	}
	n = control;
	if (write_all(fd, &n, sizeof(n)))
		return 1;
	test_plan_free(&c);
	return 0;
}

static int test_leak(void)
{
	cdl_context *ctx = NULL;
	cdl_model *res = NULL, *str = NULL;
	uint8_t point[CDL_DEVICE_POINT_LEN];
	winset s;
	uint8_t *pkg = NULL, control_win[WIN], *planted = NULL;
	uint64_t n = 0, control = 0;
	char pkg_path[4200];
	int pfd[2];
	pid_t child = -1;
	int status = 0;
	mem_report r;
	size_t files = 0, bytes = 0, hits = 0;
	long tee_pid = -1;

	new_dirs();
	memset(&s, 0, sizeof(s));
	CHECK(cdl_context_create(NULL, &ctx) == CDL_OK);
	if (!ctx || cdl_device_key(ctx, point, NULL) != CDL_OK) {
		fprintf(stderr, "%s\n", cdl_last_error());
		return 1;
	}
	tee_pid = cdl_context_tee_pid(ctx);
	if (pipe(pfd) != 0)
		return 1;
	child = fork();
	if (child == 0) {
		close(pfd[0]);
		_exit(provider_child(pfd[1], point));
	}
	close(pfd[1]);
	if (read_all(pfd[0], &n, sizeof(n)))
		return 1;
	s.n = (size_t)n;
	s.h = malloc((s.n + 1) * sizeof(*s.h));
	if (read_all(pfd[0], s.h, s.n * sizeof(*s.h)) || read_all(pfd[0], &n, sizeof(n)))
		return 1;
	pkg = malloc((size_t)n);
	if (read_all(pfd[0], pkg, (size_t)n))
		return 1;
	/* the rest (the control window: plaintext) stays in the pipe until the scans are done */
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	winset_finish(&s);
	CHECK(s.n > 1000);

	/* the app: the package as a file, loaded twice (resident, stream) */
	snprintf(pkg_path, sizeof(pkg_path), "%s/digits.cdlm", work_dir);
	{
		FILE *f = fopen(pkg_path, "wb");

		CHECK(f && fwrite(pkg, 1, (size_t)n, f) == (size_t)n);
		if (f)
			fclose(f);
	}
	CHECK(cdl_model_load_file(ctx, pkg_path, CDL_MODE_RESIDENT, &res) == CDL_OK);
	if (cdl_model_load_file(ctx, pkg_path, CDL_MODE_STREAM, &str) != CDL_OK)
		fprintf(stderr, "stream mode: %s (scanning with the resident model only)\n",
			cdl_last_error());
	{
		float img[64 * 16], out[10 * 16];
		cdl_input in = {img, sizeof(img), CDL_TYPE_FLOAT32, 4, {16, 1, 8, 8}};
		cdl_output o = {out, sizeof(out), 0, 0, 0, {0}};

		for (size_t i = 0; i < 64 * 16; i++)
			img[i] = (float)(i % 17) / 16.0f;
		CHECK(cdl_model_run(res, 16, &in, 1, &o, 1) == CDL_OK);
		if (str)
			CHECK(cdl_model_run(str, 16, &in, 1, &o, 1) == CDL_OK);
	}

	/* while the TEE holds the models: everything the app can reach */
	CHECK(scan_process(&s, getpid(), &r) == 0);
	fprintf(stderr,
		"app memory: %zu regions, %zu MiB read, %zu windows (stack %zu); shared memory: "
		"%zu memfd mappings, %zu KiB, %zu windows\n",
		r.regions, r.bytes >> 20, r.hits, r.stack_hits, r.shm_regions, r.shm_bytes >> 10,
		r.shm_hits);
	CHECK(r.hits == 0 && r.stack_hits == 0);
	CHECK(r.shm_regions >= 2); /* the package and the I/O block were scanned */
	CHECK(r.shm_bytes >= (size_t)n);
	if (geteuid() == 0 && tee_pid > 0) {
		/* the same shared memory as cdl-tee maps it (root can read it there) */
		CHECK(scan_process_only(&s, (pid_t)tee_pid, "memfd:", &r) == 0);
		fprintf(stderr,
			"cdl-tee's shared-memory mappings (as root): %zu, %zu KiB, %zu windows\n",
			r.regions, r.bytes >> 10, r.hits + r.stack_hits);
		CHECK(r.regions >= 2 && r.hits == 0);
	}
	files = bytes = 0;
	hits = scan_tree(&s, state_dir, &files, &bytes);
	fprintf(stderr, "state directory: %zu files, %zu bytes, %zu windows\n", files, bytes, hits);
	CHECK(files >= 1 && hits == 0);
	bytes = 0;
	hits = scan_file(&s, pkg_path, &bytes);
	fprintf(stderr, "package: %zu bytes, %zu windows\n", bytes, hits);
	CHECK(bytes == (size_t)n && hits == 0);

	/* controls: the provider found the windows in its own memory, and one
	 * window handed to the app on purpose is found in the app */
	CHECK(read_all(pfd[0], control_win, WIN) == 0 &&
	      read_all(pfd[0], &control, sizeof(control)) == 0);
	close(pfd[0]);
	CHECK(control > 0);
	planted = malloc(4096);
	memcpy(planted + 1000, control_win, WIN);
	CHECK(scan_process(&s, getpid(), &r) == 0);
	fprintf(stderr, "app control: the planted window found %zu time(s)\n", r.hits);
	CHECK(r.hits >= 1);
	explicit_bzero(planted, 4096);
	explicit_bzero(control_win, WIN);
	free(planted);

	cdl_model_delete(str);
	cdl_model_delete(res);
	cdl_context_delete(ctx);
	free(pkg);
	free(s.h);
	free(s.filter);
	return 0;
}

/* ---------------------------------------------------------- same user */

static int same_user_child(const test_plan *c)
{
	cdl_context *ctx = NULL;
	cdl_model *m = NULL;
	uint8_t point[CDL_DEVICE_POINT_LEN];
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	char path[64], msg[512];
	static volatile uint64_t marker = 0x5ec0de5ec0de1234ull;
	uint64_t got = 0;
	pid_t tee = -1, control = -1;
	int fd = -1, e = 0, bad = 0;
	struct iovec local = {&got, sizeof(got)}, remote = {(void *)&marker, sizeof(got)};

	if (cdl_context_create(NULL, &ctx) || cdl_device_key(ctx, point, NULL)) {
		fprintf(stderr, "child: %s\n", cdl_last_error());
		return 1;
	}
	if (cdl_cli_pack_plan(c->bytes, c->len, c->plan, point, NULL, NULL, 4096, &pkg, &pkg_len,
			      msg, sizeof(msg)) ||
	    cdl_model_load_buffer(ctx, pkg, pkg_len, CDL_MODE_AUTO, &m)) {
		fprintf(stderr, "child: cannot load the model: %s %s\n", msg, cdl_last_error());
		return 1;
	}
	tee = (pid_t)cdl_context_tee_pid(ctx);
	/* the TEE holds the model: try to read it as the same user */
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)tee);
	fd = open(path, O_RDONLY);
	e = errno;
	if (fd >= 0) {
		fprintf(stderr, "child: %s opened by uid %u\n", path, (unsigned)getuid());
		close(fd);
		bad++;
	} else if (e != EACCES && e != EPERM) {
		fprintf(stderr, "child: %s: unexpected %s\n", path, strerror(e));
		bad++;
	}
	remote.iov_base = (void *)0x400000;
	/* ENOSYS: the call does not exist here (qemu-user, scripts/test-aarch64.sh),
	 * so nothing reads through it either; the control below says so. */
	if (process_vm_readv(tee, &local, 1, &remote, 1, 0) >= 0 ||
	    (errno != EPERM && errno != ENOSYS)) {
		fprintf(stderr, "child: process_vm_readv on cdl-tee: %s\n", strerror(errno));
		bad++;
	}
	if (ptrace(PTRACE_ATTACH, tee, NULL, NULL) == 0 || (errno != EPERM && errno != ENOSYS)) {
		fprintf(stderr, "child: ptrace attach to cdl-tee: %s\n", strerror(errno));
		if (errno == 0)
			ptrace(PTRACE_DETACH, tee, NULL, NULL);
		bad++;
	}
	/* control: the same reader reads an ordinary process of its uid */
	control = fork();
	if (control == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)control);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &got, sizeof(got), (off_t)(uintptr_t)&marker) != sizeof(got) ||
	    got != marker) {
		fprintf(stderr, "child: control read of %s failed: %s\n", path, strerror(errno));
		bad++;
	}
	if (fd >= 0)
		close(fd);
	got = 0;
	remote.iov_base = (void *)&marker;
	if (process_vm_readv(control, &local, 1, &remote, 1, 0) != sizeof(got) || got != marker) {
		if (errno == ENOSYS) {
			fprintf(stderr, "child: process_vm_readv and ptrace not available here "
					"(an emulator?): only /proc/PID/mem checked\n");
		} else {
			fprintf(stderr, "child: control process_vm_readv failed: %s\n",
				strerror(errno));
			bad++;
		}
	}
	kill(control, SIGKILL);
	waitpid(control, NULL, 0);
	/* and the model still runs */
	{
		float img[64] = {0}, out[10];
		cdl_input in = {img, sizeof(img), CDL_TYPE_FLOAT32, 4, {1, 1, 8, 8}};
		cdl_output o = {out, sizeof(out), 0, 0, 0, {0}};

		if (cdl_model_run(m, 1, &in, 1, &o, 1) != CDL_OK) {
			fprintf(stderr, "child: run after the attempts: %s\n", cdl_last_error());
			bad++;
		}
	}
	fprintf(stderr,
		"uid %u: cdl-tee (pid %ld, holding a model) refused /proc/PID/mem (%s), "
		"process_vm_readv and ptrace; the control process was readable\n",
		(unsigned)getuid(), (long)tee, strerror(e));
	cdl_model_delete(m);
	cdl_context_delete(ctx);
	free(pkg);
	return bad ? 1 : 0;
}

static int test_same_user(void)
{
	test_plan c;
	pid_t child = -1;
	int status = 0;

	new_dirs();
	/* compiled as the caller: the source tree may not be readable by nobody */
	if (compile_digits(&c))
		return 1;
	if (geteuid() != 0)
		return same_user_child(&c) ? (failures++, 0) : 0;
	if (chown(state_dir, NOBODY, NOBODY) != 0) {
		perror("chown");
		return 1;
	}
	child = fork();
	if (child == 0) {
		if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) {
			perror("drop privileges");
			_exit(1);
		}
		/* a credential change clears "dumpable"; an ordinary process has it */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		_exit(same_user_child(&c));
	}
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	test_plan_free(&c);
	return 0;
}

/* --------------------------------------------------------- tee memory */

static int test_tee_memory(void)
{
	test_plan c;
	winset s;
	cdl_context *ctx = NULL;
	cdl_model *res = NULL, *str = NULL;
	uint8_t point[CDL_DEVICE_POINT_LEN];
	uint8_t *pkg = NULL;
	size_t pkg_len = 0;
	char msg[512];
	mem_report r;
	long pid = -1;

	if (geteuid() != 0) {
		fprintf(stderr, "not root: cdl-tee's memory is not readable at all (same_user)\n");
		return SKIP;
	}
	new_dirs();
	if (compile_digits(&c))
		return 1;
	winset_build(&s, c.plan->weights, (size_t)c.plan->weights_size);
	CHECK(cdl_context_create(NULL, &ctx) == CDL_OK);
	if (!ctx || cdl_device_key(ctx, point, NULL))
		return 1;
	if (cdl_cli_pack_plan(c.bytes, c.len, c.plan, point, NULL, NULL, 4096, &pkg, &pkg_len, msg,
			      sizeof(msg)))
		return 1;
	test_plan_free(&c);
	CHECK(cdl_model_load_buffer(ctx, pkg, pkg_len, CDL_MODE_RESIDENT, &res) == CDL_OK);
	(void)cdl_model_load_buffer(ctx, pkg, pkg_len, CDL_MODE_STREAM, &str);
	{
		float img[64] = {0}, out[10];
		cdl_input in = {img, sizeof(img), CDL_TYPE_FLOAT32, 4, {1, 1, 8, 8}};
		cdl_output o = {out, sizeof(out), 0, 0, 0, {0}};

		CHECK(cdl_model_run(res, 1, &in, 1, &o, 1) == CDL_OK);
		if (str)
			CHECK(cdl_model_run(str, 1, &in, 1, &o, 1) == CDL_OK);
	}
	pid = cdl_context_tee_pid(ctx);
	CHECK(scan_process(&s, (pid_t)pid, &r) == 0);
	fprintf(stderr,
		"cdl-tee as root: %zu readable regions, %zu MiB, %zu secretmem regions; %zu "
		"windows outside the stack, %zu on the stack (unprotected, see the threat model)\n",
		r.regions, r.bytes >> 20, r.secret_regions, r.hits, r.stack_hits);
	if (r.secret_regions == 0) {
		fprintf(stderr, "no memfd_secret in this kernel: the TA heap is ordinary memory "
				"root can read (docs/threat-model.md); skipped\n");
		cdl_model_delete(str);
		cdl_model_delete(res);
		cdl_context_delete(ctx);
		return SKIP;
	}
	CHECK(r.regions > 0 && r.bytes > 0);
	CHECK(r.hits == 0);
	cdl_model_delete(str);
	cdl_model_delete(res);
	cdl_context_delete(ctx);
	free(pkg);
	free(s.h);
	free(s.filter);
	return 0;
}

static const test_case tests[] = {
    {"leak", test_leak},
    {"same_user", test_same_user},
    {"tee_memory", test_tee_memory},
};

int main(int argc, char **argv)
{
	return test_main(argc, argv, "security_tests", tests, sizeof(tests) / sizeof(tests[0]));
}
