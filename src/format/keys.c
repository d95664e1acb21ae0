/* SPDX-License-Identifier: Apache-2.0 */
/* P-256 key helpers: see keys.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "format/internal.h"
#include "format/keys.h"
#include "format/reader.h"

#define CURVE_NAME "prime256v1"

cdl_status cdl_fmt_fail(char *msg, size_t msg_size, cdl_status s, const char *fmt, ...)
{
	va_list ap;

	if (msg && msg_size) {
		va_start(ap, fmt);
		vsnprintf(msg, msg_size, fmt, ap);
		va_end(ap);
	}
	return s;
}

const char *cdl_ossl_error(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (!e)
		snprintf(buf, size, "no OpenSSL error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
	return buf;
}

/* P-256 or CDL_ERR_UNSUPPORTED with the curve named. */
static cdl_status check_p256(EVP_PKEY *key, const char *what, char *msg, size_t msg_size)
{
	char group[64] = "";
	size_t len = 0;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return cdl_fmt_fail(
		    msg, msg_size, CDL_ERR_UNSUPPORTED, "%s is a %s key: cdl needs an EC P-256 key",
		    what, EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "non-EC");
	if (!EVP_PKEY_get_group_name(key, group, sizeof(group), &len) ||
	    (strcmp(group, CURVE_NAME) != 0 && strcmp(group, "P-256") != 0))
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_UNSUPPORTED,
				    "%s is on curve %s: cdl needs P-256 (prime256v1)", what,
				    group[0] ? group : "(unknown)");
	return CDL_OK;
}

cdl_status cdl_key_generate(EVP_PKEY **out, char *msg, size_t msg_size)
{
	char err[160];

	*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!*out)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INTERNAL,
				    "failed to generate a P-256 key: %s",
				    cdl_ossl_error(err, sizeof(err)));
	return CDL_OK;
}

/* Writes all of data to a new file (O_EXCL) with the given mode. */
static cdl_status write_new_file(const char *path, const void *data, size_t len, mode_t mode,
				 char *msg, size_t msg_size)
{
	const uint8_t *p = data;
	cdl_status s = CDL_OK;
	int fd = -1;

	/* O_EXCL: never follow a planted symlink, never truncate a key. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to create %s: %s%s", path,
				    strerror(errno),
				    errno == EEXIST ? " (refusing to overwrite a key file)" : "");
	/* The umask may have taken bits away; make the mode exactly what we mean. */
	if (fchmod(fd, mode) != 0) {
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to set mode of %s: %s", path,
				 strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to write %s: %s", path,
					 strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to sync %s: %s", path,
				 strerror(errno));
		goto out;
	}
out:
	if (close(fd) != 0 && s == CDL_OK)
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to close %s: %s", path,
				 strerror(errno));
	if (s != CDL_OK)
		unlink(path);
	return s;
}

cdl_status cdl_key_write_pair(const char *name, EVP_PKEY *key, char *msg, size_t msg_size)
{
	char *key_path = NULL, *pub_path = NULL;
	BIO *priv_bio = NULL, *pub_bio = NULL;
	char *priv_pem = NULL, *pub_pem = NULL;
	long priv_len = 0, pub_len = 0;
	size_t path_size = 0;
	char err[160];
	cdl_status s = CDL_OK;

	if (!name || !*name || !key)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to write key pair: no name or key");
	s = check_p256(key, "the key", msg, msg_size);
	if (s != CDL_OK)
		return s;
	path_size = strlen(name) + sizeof(".key");
	key_path = malloc(path_size);
	pub_path = malloc(path_size);
	if (!key_path || !pub_path) {
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY, "out of memory");
		goto out;
	}
	snprintf(key_path, path_size, "%s.key", name);
	snprintf(pub_path, path_size, "%s.pub", name);
	/* Secure-heap BIO: the private PEM is cleansed when freed. */
	priv_bio = BIO_new(BIO_s_secmem());
	pub_bio = BIO_new(BIO_s_mem());
	if (!priv_bio || !pub_bio ||
	    !PEM_write_bio_PrivateKey(priv_bio, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_PUBKEY(pub_bio, key)) {
		s = cdl_fmt_fail(msg, msg_size, CDL_ERR_INTERNAL, "failed to encode key as PEM: %s",
				 cdl_ossl_error(err, sizeof(err)));
		goto out;
	}
	priv_len = BIO_get_mem_data(priv_bio, &priv_pem);
	pub_len = BIO_get_mem_data(pub_bio, &pub_pem);

	s = write_new_file(key_path, priv_pem, (size_t)priv_len, 0600, msg, msg_size);
	if (s != CDL_OK)
		goto out;
	s = write_new_file(pub_path, pub_pem, (size_t)pub_len, 0644, msg, msg_size);
	if (s != CDL_OK)
		unlink(key_path); /* no half-written pair */
out:
	BIO_free(priv_bio);
	BIO_free(pub_bio);
	free(key_path);
	free(pub_path);
	return s;
}

cdl_status cdl_key_generate_files(const char *name,
				  char fingerprint_hex[CDL_KEY_FINGERPRINT_HEX_LEN], char *msg,
				  size_t msg_size)
{
	EVP_PKEY *key = NULL;
	cdl_status s = CDL_OK;

	s = cdl_key_generate(&key, msg, msg_size);
	if (s != CDL_OK)
		return s;
	s = cdl_key_write_pair(name, key, msg, msg_size);
	if (s == CDL_OK && fingerprint_hex)
		s = cdl_key_fingerprint_hex(key, fingerprint_hex);
	EVP_PKEY_free(key);
	return s;
}

/* Refuse to prompt for a passphrase: library code never talks to the tty. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static cdl_status load_pem_bio(BIO *bio, const char *what, bool private_key, EVP_PKEY **out,
			       char *msg, size_t msg_size)
{
	EVP_PKEY *key = NULL;
	char err[160];
	cdl_status s = CDL_OK;

	*out = NULL;
	if (private_key) {
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	} else {
		key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
		if (!key) {
			/* Perhaps a private key file: take its public half. */
			(void)BIO_reset(bio);
			ERR_clear_error();
			key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		}
	}
	if (!key)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_MALFORMED,
				    "failed to read %s key from %s: not a PEM %s key (%s)",
				    private_key ? "private" : "public", what,
				    private_key ? "private" : "public",
				    cdl_ossl_error(err, sizeof(err)));
	s = check_p256(key, what, msg, msg_size);
	if (s != CDL_OK) {
		EVP_PKEY_free(key);
		return s;
	}
	*out = key;
	return CDL_OK;
}

static cdl_status load_file(const char *path, bool private_key, EVP_PKEY **out, char *msg,
			    size_t msg_size)
{
	BIO *bio = NULL;
	cdl_status s = CDL_OK;

	if (!path || !out)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to load key: no path");
	bio = BIO_new_file(path, "rb");
	if (!bio) {
		ERR_clear_error();
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_IO, "failed to open %s: %s", path,
				    strerror(errno));
	}
	s = load_pem_bio(bio, path, private_key, out, msg, msg_size);
	BIO_free(bio);
	return s;
}

static cdl_status load_mem(const void *pem, size_t len, bool private_key, EVP_PKEY **out, char *msg,
			   size_t msg_size)
{
	BIO *bio = NULL;
	cdl_status s = CDL_OK;

	if (!pem || !out || len > INT32_MAX)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_INVALID_ARGUMENT,
				    "failed to load key: no PEM data");
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return cdl_fmt_fail(msg, msg_size, CDL_ERR_OUT_OF_MEMORY, "out of memory");
	s = load_pem_bio(bio, "memory", private_key, out, msg, msg_size);
	BIO_free(bio);
	return s;
}

cdl_status cdl_key_load_public(const char *path, EVP_PKEY **out, char *msg, size_t msg_size)
{
	return load_file(path, false, out, msg, msg_size);
}

cdl_status cdl_key_load_private(const char *path, EVP_PKEY **out, char *msg, size_t msg_size)
{
	return load_file(path, true, out, msg, msg_size);
}

cdl_status cdl_key_public_from_pem(const void *pem, size_t len, EVP_PKEY **out, char *msg,
				   size_t msg_size)
{
	return load_mem(pem, len, false, out, msg, msg_size);
}

cdl_status cdl_key_private_from_pem(const void *pem, size_t len, EVP_PKEY **out, char *msg,
				    size_t msg_size)
{
	return load_mem(pem, len, true, out, msg, msg_size);
}

cdl_status cdl_key_public_to_pem(EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n = 0;
	cdl_status s = CDL_OK;

	*pem = NULL;
	if (!bio || !PEM_write_bio_PUBKEY(bio, key)) {
		ERR_clear_error();
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	*pem = malloc((size_t)n + 1);
	if (!*pem) {
		s = CDL_ERR_OUT_OF_MEMORY;
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	if (len)
		*len = (size_t)n;
out:
	BIO_free(bio);
	return s;
}

cdl_status cdl_key_public_point(EVP_PKEY *key, uint8_t out[CDL_PKG_PUBKEY_LEN])
{
	BIGNUM *x = NULL, *y = NULL;
	cdl_status s = CDL_OK;

	/* From the coordinates: independent of the key's point encoding setting. */
	if (!key || check_p256(key, "key", NULL, 0) != CDL_OK ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y)) {
		ERR_clear_error();
		s = CDL_ERR_INVALID_ARGUMENT;
		goto out;
	}
	out[0] = 0x04;
	if (BN_bn2binpad(x, out + 1, 32) != 32 || BN_bn2binpad(y, out + 33, 32) != 32) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
out:
	BN_free(x);
	BN_free(y);
	return s;
}

cdl_status cdl_key_from_point(const uint8_t pub[CDL_PKG_PUBKEY_LEN], EVP_PKEY **out)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *key = NULL;
	cdl_status s = CDL_ERR_INTEGRITY;

	*out = NULL;
	if (pub[0] != 0x04)
		return CDL_ERR_INTEGRITY;
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)CURVE_NAME, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
						      CDL_PKG_PUBKEY_LEN);
	params[2] = OSSL_PARAM_construct_end();

	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0) {
		s = CDL_ERR_INTERNAL;
		goto out;
	}
	/* Decoding checks the point is on the curve; public_check the rest. */
	if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!check || EVP_PKEY_public_check(check) != 1)
		goto out;
	*out = key;
	key = NULL;
	s = CDL_OK;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	return s;
}

cdl_status cdl_key_id(EVP_PKEY *key, uint8_t id[CDL_PKG_KEY_ID_LEN])
{
	uint8_t point[CDL_PKG_PUBKEY_LEN];
	unsigned int len = 0;
	cdl_status s = cdl_key_public_point(key, point);

	if (s != CDL_OK)
		return s;
	if (!EVP_Digest(point, sizeof(point), id, &len, EVP_sha256(), NULL) ||
	    len != CDL_PKG_KEY_ID_LEN) {
		ERR_clear_error();
		return CDL_ERR_INTERNAL;
	}
	return CDL_OK;
}

cdl_status cdl_key_fingerprint_hex(EVP_PKEY *key, char out[CDL_KEY_FINGERPRINT_HEX_LEN])
{
	uint8_t id[CDL_PKG_KEY_ID_LEN];
	cdl_status s = cdl_key_id(key, id);

	if (s != CDL_OK)
		return s;
	cdl_pkg_hex(id, sizeof(id), out);
	return CDL_OK;
}
