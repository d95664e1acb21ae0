/*
 * The state directory and the device root key.
 *
 * root.key (32 random bytes, 0600) stands in for the hardware unique key of a
 * real TEE. Everything else is derived from it with HKDF-SHA256, like OP-TEE's
 * huk_subkey_derive(): the storage encryption key and the file-name key of the
 * linked TA's secure storage, and the TA-unique keys of
 * cdl_tee_derive_ta_key().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "cdl_tee_ext.h"
#include "heap.h"
#include "host.h"

#define ROOT_KEY_LEN 32

int cdl_keys_ta_dir_fd = -1;
const uint8_t *cdl_keys_storage_key;
const uint8_t *cdl_keys_name_key;
static uint8_t *root_key; /* core pool */

static int mkdir_private(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "cdl-tee: failed to create state directory %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "cdl-tee: failed to use state directory %s: not a directory\n",
			path);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "cdl-tee: failed to use state directory %s: owned by uid %u, not %u\n",
			path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st.st_mode & 077) != 0 && chmod(path, 0700) != 0) {
		fprintf(stderr, "cdl-tee: failed to make %s private (0700): %s\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
}

/* mkdir -p, each component we create 0700; the last one checked private. */
static int make_state_dir(const char *dir)
{
	char path[4096];
	size_t len = strlen(dir);
	size_t i = 0;

	if (len == 0 || len >= sizeof(path)) {
		fprintf(stderr, "cdl-tee: failed to use state directory '%s': bad path\n", dir);
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (i = 1; i < len; i++) {
		if (path[i] != '/')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "cdl-tee: failed to create %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		path[i] = '/';
	}
	return mkdir_private(path);
}

static int read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = write(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int load_root_key(int dirfd, const char *dir)
{
	struct stat st;
	int fd = openat(dirfd, "root.key", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != ROOT_KEY_LEN) {
		fprintf(stderr, "cdl-tee: failed to load %s/root.key: not a regular file of %d bytes\n",
			dir, ROOT_KEY_LEN);
		close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		fprintf(stderr, "cdl-tee: failed to load %s/root.key: mode %03o owner %u, must be 0600 and ours\n",
			dir, (unsigned)(st.st_mode & 0777), (unsigned)st.st_uid);
		close(fd);
		return -1;
	}
	if (read_full(fd, root_key, ROOT_KEY_LEN) != 0) {
		fprintf(stderr, "cdl-tee: failed to read %s/root.key\n", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* First start: a new key, published with link() so that two cdl-tee starting
 * at once agree on one key. */
static int create_root_key(int dirfd, const char *dir)
{
	char tmp[64];
	int fd = -1;
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "root.key.%ld.tmp", (long)getpid());
	if (getrandom(root_key, ROOT_KEY_LEN, 0) != ROOT_KEY_LEN)
		return -1;
	(void)unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		goto out;
	if (write_full(fd, root_key, ROOT_KEY_LEN) != 0 || fsync(fd) != 0)
		goto out;
	if (linkat(dirfd, tmp, dirfd, "root.key", 0) != 0) {
		if (errno != EEXIST)
			goto out;
		rc = load_root_key(dirfd, dir); /* someone else was first */
		goto out;
	}
	(void)fsync(dirfd);
	rc = 0;
out:
	if (rc != 0 && errno)
		fprintf(stderr, "cdl-tee: failed to create %s/root.key: %s\n", dir,
			strerror(errno));
	if (fd >= 0)
		close(fd);
	(void)unlinkat(dirfd, tmp, 0);
	return rc;
}

int cdl_keys_derive(const char *purpose, const void *ctx, size_t ctx_len,
		    void *out, size_t out_len)
{
	static const char salt[] = "cdl-tee root v1";
	uint8_t info[512];
	size_t plen = strlen(purpose);
	size_t info_len = plen + 1 + sizeof(TEE_UUID) + ctx_len;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[6];
	int rc = -1;

	if (!root_key || info_len > sizeof(info))
		return -1;
	/* info = purpose NUL uuid ctx: unambiguous since purpose has no NUL */
	memcpy(info, purpose, plen + 1);
	memcpy(info + plen + 1, &cdl_host_ta_uuid, sizeof(TEE_UUID));
	if (ctx_len)
		memcpy(info + plen + 1 + sizeof(TEE_UUID), ctx, ctx_len);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!kctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      root_key, ROOT_KEY_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						      (void *)salt, sizeof(salt) - 1);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
						      info, info_len);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, out_len, params) == 1)
		rc = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	explicit_bzero(info, sizeof(info));
	return rc;
}

TEE_Result cdl_tee_derive_ta_key(const void *label, size_t label_len,
				 void *key, size_t key_len)
{
	if ((!label && label_len) || label_len > CDL_TEE_DERIVE_LABEL_MAX ||
	    !key || key_len < 16 || key_len > 64)
		return TEE_ERROR_BAD_PARAMETERS;
	if (cdl_keys_derive("ta-unique-key", label, label_len, key, key_len) != 0)
		return TEE_ERROR_GENERIC;
	return TEE_SUCCESS;
}

int cdl_keys_init(const char *dir)
{
	char uuid[37];
	char sub[64];
	int dirfd = -1;
	int rc = 0;
	uint8_t *keys = NULL;

	root_key = cdl_core_alloc(ROOT_KEY_LEN);
	keys = cdl_core_alloc(64);
	if (!root_key || !keys)
		return -1;
	if (make_state_dir(dir) != 0)
		return -1;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "cdl-tee: failed to open state directory %s: %s\n",
			dir, strerror(errno));
		return -1;
	}
	rc = load_root_key(dirfd, dir);
	if (rc == 1)
		rc = create_root_key(dirfd, dir);
	if (rc != 0)
		goto fail;
	if (cdl_keys_derive("storage-key", NULL, 0, keys, 32) != 0 ||
	    cdl_keys_derive("storage-name-key", NULL, 0, keys + 32, 32) != 0) {
		fprintf(stderr, "cdl-tee: failed to derive storage keys (HKDF-SHA256)\n");
		goto fail;
	}
	cdl_keys_storage_key = keys;
	cdl_keys_name_key = keys + 32;

	/* Per-TA storage directory: state/ta/<uuid>/ */
	cdl_uuid_str(&cdl_host_ta_uuid, uuid);
	if (mkdirat(dirfd, "ta", 0700) != 0 && errno != EEXIST)
		goto fail_errno;
	snprintf(sub, sizeof(sub), "ta/%s", uuid);
	if (mkdirat(dirfd, sub, 0700) != 0 && errno != EEXIST)
		goto fail_errno;
	cdl_keys_ta_dir_fd = openat(dirfd, sub,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cdl_keys_ta_dir_fd < 0)
		goto fail_errno;
	close(dirfd);
	return 0;
fail_errno:
	fprintf(stderr, "cdl-tee: failed to create the TA storage directory %s/ta/%s: %s\n",
		dir, uuid, strerror(errno));
fail:
	close(dirfd);
	return -1;
}
