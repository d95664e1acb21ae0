/*
 * Internal Core API §5.7 / §5.9: TEE_STORAGE_PRIVATE persistent objects.
 *
 * One file per object in state/ta/<uuid>/, named by HMAC-SHA256(name key,
 * object id) in hex, so names reveal nothing of the ids. Content:
 *
 *   "CDLS" | u32 version | nonce[12] | AES-256-GCM(plaintext) | tag[16]
 *   plaintext = struct pobj_meta | struct cdl_key (key objects) | data
 *   AAD       = "CDLS" | version | TA UUID | object id
 *
 * under the storage key derived from the root key. Any change to a file, or a
 * file copied over another object's name, fails authentication and gives
 * TEE_ERROR_CORRUPT_OBJECT. Writes are atomic: a temporary file, fsync,
 * rename, fsync of the directory. The whole object is rewritten per write,
 * which suits the small objects a TA keeps (keys, counters).
 *
 * Not detected: rolling the whole directory back to an older copy (a real TEE
 * needs RPMB or a hardware counter for that) — see docs/threat-model.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "heap.h"
#include "host.h"
#include "objects.h"
#include "tee_internal_api.h"

#define FILE_MAGIC "CDLS"
#define FILE_VERSION 1u
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEAD_LEN (4 + 4 + NONCE_LEN)
/* Largest object data: objects live whole in the TEE's core pool. */
#define CDL_STORAGE_MAX_DATA ((size_t)1 << 20)

struct pobj_meta {
	uint32_t type;
	uint32_t key_size;
	uint32_t max_size;
	uint32_t usage;
	uint32_t has_key;
	uint32_t reserved;
	uint64_t data_len;
};

struct cdl_pobj {
	uint8_t id[TEE_OBJECT_ID_MAX_LEN];
	size_t id_len;
	char name[65];
	uint8_t *data; /* core pool */
	size_t len;
	int refs;
	struct pobj_meta meta;
	struct cdl_key key;
	struct cdl_pobj *next;
};

static struct cdl_pobj *open_objects;
static struct __TEE_ObjectHandle *open_handles;

static void file_name(const void *id, size_t id_len, char out[65])
{
	uint8_t mac[32];
	unsigned int n = sizeof(mac);
	size_t i = 0;

	HMAC(EVP_sha256(), cdl_keys_name_key, 32, id, id_len, mac, &n);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

static size_t build_aad(uint8_t *aad, const void *id, size_t id_len)
{
	uint32_t v = FILE_VERSION;

	memcpy(aad, FILE_MAGIC, 4);
	memcpy(aad + 4, &v, 4);
	memcpy(aad + 8, &cdl_host_ta_uuid, sizeof(TEE_UUID));
	memcpy(aad + 8 + sizeof(TEE_UUID), id, id_len);
	return 8 + sizeof(TEE_UUID) + id_len;
}

static TEE_Result errno_result(int e)
{
	switch (e) {
	case ENOENT:
		return TEE_ERROR_ITEM_NOT_FOUND;
	case ENOSPC:
	case EDQUOT:
		return TEE_ERROR_STORAGE_NO_SPACE;
	case ENOMEM:
		return TEE_ERROR_OUT_OF_MEMORY;
	default:
		return TEE_ERROR_STORAGE_NOT_AVAILABLE;
	}
}

/* Encrypts and writes the object (meta, key, data) atomically. */
static TEE_Result commit(const struct cdl_pobj *po, const struct pobj_meta *meta,
			 const uint8_t *data, size_t len)
{
	size_t plain_len = sizeof(*meta) + sizeof(struct cdl_key) + len;
	size_t file_len = HEAD_LEN + plain_len + TAG_LEN;
	uint8_t *plain = cdl_core_alloc(plain_len);
	uint8_t *file = malloc(file_len); /* ciphertext: no secret */
	uint8_t aad[8 + sizeof(TEE_UUID) + TEE_OBJECT_ID_MAX_LEN];
	size_t aad_len = build_aad(aad, po->id, po->id_len);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint32_t v = FILE_VERSION;
	char tmp[80];
	int outl = 0;
	int fd = -1;
	size_t off = 0;
	TEE_Result res = TEE_ERROR_OUT_OF_MEMORY;

	if (!plain || !file || !c)
		goto out;
	memcpy(plain, meta, sizeof(*meta));
	memcpy(plain + sizeof(*meta), &po->key, sizeof(struct cdl_key));
	if (len)
		memcpy(plain + sizeof(*meta) + sizeof(struct cdl_key), data, len);
	memcpy(file, FILE_MAGIC, 4);
	memcpy(file + 4, &v, 4);
	TEE_GenerateRandom(file + 8, NONCE_LEN);
	res = TEE_ERROR_GENERIC;
	if (EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), cdl_keys_storage_key,
				file + 8, NULL) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_EncryptUpdate(c, file + HEAD_LEN, &outl, plain, (int)plain_len) != 1 ||
	    EVP_EncryptFinal_ex(c, file + HEAD_LEN + plain_len, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
				file + HEAD_LEN + plain_len) != 1)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", po->name);
	fd = openat(cdl_keys_ta_dir_fd, tmp,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		res = errno_result(errno);
		goto out;
	}
	while (off < file_len) {
		ssize_t n = write(fd, file + off, file_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			res = errno_result(n < 0 ? errno : ENOSPC);
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		res = errno_result(errno);
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	if (renameat(cdl_keys_ta_dir_fd, tmp, cdl_keys_ta_dir_fd, po->name) != 0) {
		res = errno_result(errno);
		goto out_unlink;
	}
	(void)fsync(cdl_keys_ta_dir_fd);
	res = TEE_SUCCESS;
	goto out;
out_unlink:
	(void)unlinkat(cdl_keys_ta_dir_fd, tmp, 0);
out:
	if (fd >= 0)
		close(fd);
	EVP_CIPHER_CTX_free(c);
	if (plain) {
		explicit_bzero(plain, plain_len);
		cdl_core_free(plain);
	}
	free(file);
	return res;
}

/* Reads and authenticates the object file into po. */
static TEE_Result load(struct cdl_pobj *po)
{
	struct stat st;
	uint8_t aad[8 + sizeof(TEE_UUID) + TEE_OBJECT_ID_MAX_LEN];
	size_t aad_len = build_aad(aad, po->id, po->id_len);
	size_t min_len = HEAD_LEN + sizeof(struct pobj_meta) +
			 sizeof(struct cdl_key) + TAG_LEN;
	uint8_t *file = NULL;
	uint8_t *plain = NULL;
	size_t file_len = 0;
	size_t plain_len = 0;
	size_t off = 0;
	EVP_CIPHER_CTX *c = NULL;
	uint32_t v = 0;
	int outl = 0;
	int fd = openat(cdl_keys_ta_dir_fd, po->name,
			O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	TEE_Result res = TEE_ERROR_CORRUPT_OBJECT;

	if (fd < 0)
		return errno_result(errno);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((size_t)st.st_size < min_len ||
	    (size_t)st.st_size > min_len + CDL_STORAGE_MAX_DATA)
		goto out;
	file_len = (size_t)st.st_size;
	file = malloc(file_len);
	plain_len = file_len - HEAD_LEN - TAG_LEN;
	plain = cdl_core_alloc(plain_len);
	c = EVP_CIPHER_CTX_new();
	if (!file || !plain || !c) {
		res = TEE_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	while (off < file_len) {
		ssize_t n = read(fd, file + off, file_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	memcpy(&v, file + 4, 4);
	if (memcmp(file, FILE_MAGIC, 4) != 0 || v != FILE_VERSION)
		goto out;
	if (EVP_DecryptInit_ex2(c, EVP_aes_256_gcm(), cdl_keys_storage_key,
				file + 8, NULL) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &outl, aad, (int)aad_len) != 1 ||
	    EVP_DecryptUpdate(c, plain, &outl, file + HEAD_LEN, (int)plain_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
				file + HEAD_LEN + plain_len) != 1 ||
	    EVP_DecryptFinal_ex(c, plain + plain_len, &outl) != 1)
		goto out; /* tampered, truncated, another object's file, other key */
	memcpy(&po->meta, plain, sizeof(po->meta));
	memcpy(&po->key, plain + sizeof(po->meta), sizeof(po->key));
	if (po->meta.data_len != plain_len - sizeof(po->meta) - sizeof(po->key))
		goto out;
	po->len = (size_t)po->meta.data_len;
	po->data = cdl_core_memdup(plain + sizeof(po->meta) + sizeof(po->key),
				   po->len);
	if (!po->data) {
		res = TEE_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	res = TEE_SUCCESS;
out:
	if (res == TEE_ERROR_CORRUPT_OBJECT)
		fprintf(stderr, "cdl-tee: secure storage object %s is corrupt (authentication failed)\n",
			po->name);
	close(fd);
	EVP_CIPHER_CTX_free(c);
	if (plain) {
		explicit_bzero(plain, plain_len);
		cdl_core_free(plain);
	}
	free(file);
	return res;
}

static void pobj_put(struct cdl_pobj *po)
{
	struct cdl_pobj **pp = NULL;

	if (--po->refs > 0)
		return;
	for (pp = &open_objects; *pp; pp = &(*pp)->next)
		if (*pp == po) {
			*pp = po->next;
			break;
		}
	if (po->data) {
		explicit_bzero(po->data, po->len);
		cdl_core_free(po->data);
	}
	explicit_bzero(po, sizeof(*po));
	cdl_core_free(po);
}

/* GP sharing rules: every handle on an object must allow what the others do. */
static bool compatible(uint32_t a, uint32_t b)
{
	if ((a | b) & TEE_DATA_FLAG_ACCESS_WRITE_META)
		return false;
	if ((a & TEE_DATA_FLAG_ACCESS_READ) && !(b & TEE_DATA_FLAG_SHARE_READ))
		return false;
	if ((b & TEE_DATA_FLAG_ACCESS_READ) && !(a & TEE_DATA_FLAG_SHARE_READ))
		return false;
	if ((a & TEE_DATA_FLAG_ACCESS_WRITE) && !(b & TEE_DATA_FLAG_SHARE_WRITE))
		return false;
	if ((b & TEE_DATA_FLAG_ACCESS_WRITE) && !(a & TEE_DATA_FLAG_SHARE_WRITE))
		return false;
	return true;
}

static TEE_Result check_args(uint32_t storageID, const void *objectID,
			     size_t objectIDLen, uint32_t flags,
			     TEE_ObjectHandle *object)
{
	const uint32_t known = TEE_DATA_FLAG_ACCESS_READ | TEE_DATA_FLAG_ACCESS_WRITE |
			       TEE_DATA_FLAG_ACCESS_WRITE_META |
			       TEE_DATA_FLAG_SHARE_READ | TEE_DATA_FLAG_SHARE_WRITE |
			       TEE_DATA_FLAG_OVERWRITE;

	if (!object || (!objectID && objectIDLen) ||
	    objectIDLen > TEE_OBJECT_ID_MAX_LEN || (flags & ~known))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	*object = TEE_HANDLE_NULL;
	if (storageID != TEE_STORAGE_PRIVATE)
		return TEE_ERROR_ITEM_NOT_FOUND;
	if (cdl_keys_ta_dir_fd < 0)
		return TEE_ERROR_STORAGE_NOT_AVAILABLE;
	return TEE_SUCCESS;
}

static struct cdl_pobj *find_open(const void *id, size_t id_len)
{
	struct cdl_pobj *po = NULL;

	for (po = open_objects; po; po = po->next)
		if (po->id_len == id_len && memcmp(po->id, id, id_len) == 0)
			return po;
	return NULL;
}

static TEE_Result conflicts(struct cdl_pobj *po, uint32_t flags)
{
	struct __TEE_ObjectHandle *h = NULL;

	for (h = open_handles; h; h = h->next_open)
		if (h->pobj == po && !compatible(h->flags, flags))
			return TEE_ERROR_ACCESS_CONFLICT;
	return TEE_SUCCESS;
}

static TEE_Result new_handle(struct cdl_pobj *po, uint32_t flags,
			     TEE_ObjectHandle *object)
{
	struct __TEE_ObjectHandle *o = cdl_core_calloc(sizeof(*o));

	if (!o)
		return TEE_ERROR_OUT_OF_MEMORY;
	o->magic = CDL_OBJ_MAGIC;
	o->type = po->meta.type;
	o->key_size = po->meta.key_size;
	o->max_size = po->meta.max_size;
	o->usage = po->meta.usage;
	o->flags = TEE_HANDLE_FLAG_PERSISTENT | TEE_HANDLE_FLAG_INITIALIZED |
		   (flags & 0xFFFF);
	o->key = po->key;
	o->pobj = po;
	po->refs++;
	o->next_open = open_handles;
	open_handles = o;
	*object = o;
	return TEE_SUCCESS;
}

static struct cdl_pobj *pobj_new(const void *id, size_t id_len)
{
	struct cdl_pobj *po = cdl_core_calloc(sizeof(*po));

	if (!po)
		return NULL;
	if (id_len)
		memcpy(po->id, id, id_len);
	po->id_len = id_len;
	file_name(id, id_len, po->name);
	return po;
}

TEE_Result TEE_OpenPersistentObject(uint32_t storageID, const void *objectID,
				    size_t objectIDLen, uint32_t flags,
				    TEE_ObjectHandle *object)
{
	struct cdl_pobj *po = NULL;
	TEE_Result res = check_args(storageID, objectID, objectIDLen, flags, object);

	if (res != TEE_SUCCESS)
		return res;
	if (flags & TEE_DATA_FLAG_OVERWRITE)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	po = find_open(objectID, objectIDLen);
	if (po) {
		res = conflicts(po, flags);
		if (res != TEE_SUCCESS)
			return res;
		return new_handle(po, flags, object);
	}
	po = pobj_new(objectID, objectIDLen);
	if (!po)
		return TEE_ERROR_OUT_OF_MEMORY;
	res = load(po);
	if (res == TEE_SUCCESS) {
		po->next = open_objects;
		open_objects = po;
		res = new_handle(po, flags, object);
		if (res != TEE_SUCCESS)
			pobj_put(po);
		return res;
	}
	/* load() leaves po->data NULL on failure */
	explicit_bzero(po, sizeof(*po));
	cdl_core_free(po);
	return res;
}

TEE_Result TEE_CreatePersistentObject(uint32_t storageID, const void *objectID,
				      size_t objectIDLen, uint32_t flags,
				      TEE_ObjectHandle attributes,
				      const void *initialData,
				      size_t initialDataLen,
				      TEE_ObjectHandle *object)
{
	struct cdl_pobj *po = NULL;
	struct __TEE_ObjectHandle *attr = NULL;
	struct stat st;
	TEE_Result res = check_args(storageID, objectID, objectIDLen, flags, object);

	if (res != TEE_SUCCESS)
		return res;
	if (!initialData && initialDataLen)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (initialDataLen > CDL_STORAGE_MAX_DATA)
		return TEE_ERROR_STORAGE_NO_SPACE;
	if (attributes != TEE_HANDLE_NULL) {
		attr = cdl_obj_get(attributes);
		if (!(attr->flags & TEE_HANDLE_FLAG_INITIALIZED))
			TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	if (find_open(objectID, objectIDLen))
		return TEE_ERROR_ACCESS_CONFLICT;
	po = pobj_new(objectID, objectIDLen);
	if (!po)
		return TEE_ERROR_OUT_OF_MEMORY;
	if (!(flags & TEE_DATA_FLAG_OVERWRITE) &&
	    fstatat(cdl_keys_ta_dir_fd, po->name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		res = TEE_ERROR_ACCESS_CONFLICT;
		goto fail;
	}
	po->meta.type = attr ? attr->type : TEE_TYPE_DATA;
	po->meta.key_size = attr ? attr->key_size : 0;
	po->meta.max_size = attr ? attr->max_size : 0;
	po->meta.usage = attr ? attr->usage : 0xFFFFFFFFu;
	po->meta.has_key = attr != NULL;
	po->meta.data_len = initialDataLen;
	if (attr)
		po->key = attr->key;
	po->data = cdl_core_memdup(initialData, initialDataLen);
	po->len = initialDataLen;
	if (!po->data) {
		res = TEE_ERROR_OUT_OF_MEMORY;
		goto fail;
	}
	res = commit(po, &po->meta, po->data, po->len);
	if (res != TEE_SUCCESS)
		goto fail;
	po->next = open_objects;
	open_objects = po;
	res = new_handle(po, flags, object);
	if (res != TEE_SUCCESS)
		pobj_put(po);
	return res;
fail:
	if (po->data)
		cdl_core_free(po->data);
	explicit_bzero(po, sizeof(*po));
	cdl_core_free(po);
	return res;
}

void cdl_storage_close(struct __TEE_ObjectHandle *o)
{
	struct __TEE_ObjectHandle **pp = NULL;

	for (pp = &open_handles; *pp; pp = &(*pp)->next_open)
		if (*pp == o) {
			*pp = o->next_open;
			break;
		}
	pobj_put(o->pobj);
	explicit_bzero(o, sizeof(*o));
	cdl_core_free(o);
}

TEE_Result TEE_CloseAndDeletePersistentObject1(TEE_ObjectHandle object)
{
	struct __TEE_ObjectHandle *o = NULL;

	if (object == TEE_HANDLE_NULL)
		return TEE_SUCCESS;
	o = cdl_obj_get(object);
	if (!(o->flags & TEE_HANDLE_FLAG_PERSISTENT) ||
	    !(o->flags & TEE_DATA_FLAG_ACCESS_WRITE_META))
		TEE_Panic(TEE_ERROR_ACCESS_DENIED);
	if (unlinkat(cdl_keys_ta_dir_fd, o->pobj->name, 0) != 0 && errno != ENOENT) {
		TEE_Result res = errno_result(errno);

		cdl_storage_close(o);
		return res;
	}
	(void)fsync(cdl_keys_ta_dir_fd);
	cdl_storage_close(o);
	return TEE_SUCCESS;
}

static struct __TEE_ObjectHandle *data_get(TEE_ObjectHandle object, uint32_t need)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);

	if (!(o->flags & TEE_HANDLE_FLAG_PERSISTENT) || (o->flags & need) != need)
		TEE_Panic(TEE_ERROR_ACCESS_DENIED);
	return o;
}

TEE_Result TEE_ReadObjectData(TEE_ObjectHandle object, void *buffer,
			      size_t size, size_t *count)
{
	struct __TEE_ObjectHandle *o = data_get(object, TEE_DATA_FLAG_ACCESS_READ);
	struct cdl_pobj *po = o->pobj;
	size_t n = 0;

	if (!count || (!buffer && size))
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (o->pos < po->len)
		n = po->len - o->pos < size ? po->len - o->pos : size;
	if (n)
		memcpy(buffer, po->data + o->pos, n);
	o->pos += n;
	*count = n;
	return TEE_SUCCESS;
}

/* New content [keep prefix | gap zeros | src] committed, then swapped in. */
static TEE_Result rewrite(struct cdl_pobj *po, size_t at, const void *src,
			  size_t n, size_t new_len)
{
	struct pobj_meta meta = po->meta;
	uint8_t *data = NULL;
	TEE_Result res = TEE_SUCCESS;

	if (new_len > CDL_STORAGE_MAX_DATA)
		return TEE_ERROR_STORAGE_NO_SPACE;
	data = cdl_core_calloc(new_len ? new_len : 1);
	if (!data)
		return TEE_ERROR_OUT_OF_MEMORY;
	memcpy(data, po->data, po->len < new_len ? po->len : new_len);
	if (n)
		memcpy(data + at, src, n);
	meta.data_len = new_len;
	res = commit(po, &meta, data, new_len);
	if (res != TEE_SUCCESS) {
		explicit_bzero(data, new_len);
		cdl_core_free(data);
		return res;
	}
	explicit_bzero(po->data, po->len);
	cdl_core_free(po->data);
	po->data = data;
	po->len = new_len;
	po->meta = meta;
	return TEE_SUCCESS;
}

TEE_Result TEE_WriteObjectData(TEE_ObjectHandle object, const void *buffer,
			       size_t size)
{
	struct __TEE_ObjectHandle *o = data_get(object, TEE_DATA_FLAG_ACCESS_WRITE);
	struct cdl_pobj *po = o->pobj;
	size_t end = 0;
	TEE_Result res = TEE_SUCCESS;

	if (!buffer && size)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	if (size == 0)
		return TEE_SUCCESS;
	if (o->pos > TEE_DATA_MAX_POSITION || size > TEE_DATA_MAX_POSITION - o->pos)
		return TEE_ERROR_OVERFLOW;
	end = o->pos + size;
	res = rewrite(po, o->pos, buffer, size, end > po->len ? end : po->len);
	if (res == TEE_SUCCESS)
		o->pos = end;
	return res;
}

TEE_Result TEE_TruncateObjectData(TEE_ObjectHandle object, size_t size)
{
	struct __TEE_ObjectHandle *o = data_get(object, TEE_DATA_FLAG_ACCESS_WRITE);

	return rewrite(o->pobj, 0, NULL, 0, size);
}

TEE_Result TEE_SeekObjectData(TEE_ObjectHandle object, intmax_t offset,
			      TEE_Whence whence)
{
	struct __TEE_ObjectHandle *o = data_get(object, 0);
	intmax_t base = 0;
	intmax_t pos = 0;

	switch (whence) {
	case TEE_DATA_SEEK_SET:
		base = 0;
		break;
	case TEE_DATA_SEEK_CUR:
		base = (intmax_t)o->pos;
		break;
	case TEE_DATA_SEEK_END:
		base = (intmax_t)o->pobj->len;
		break;
	default:
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	if (offset > 0 && offset > (intmax_t)TEE_DATA_MAX_POSITION - base)
		return TEE_ERROR_OVERFLOW;
	pos = base + offset;
	o->pos = pos < 0 ? 0 : (size_t)pos;
	return TEE_SUCCESS;
}

TEE_Result TEE_GetObjectInfo1(TEE_ObjectHandle object,
			      TEE_ObjectInfo *objectInfo)
{
	struct __TEE_ObjectHandle *o = cdl_obj_get(object);

	if (!objectInfo)
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	memset(objectInfo, 0, sizeof(*objectInfo));
	objectInfo->objectType = o->type;
	objectInfo->objectSize = o->key_size;
	objectInfo->maxObjectSize = o->max_size;
	objectInfo->objectUsage = o->usage;
	objectInfo->handleFlags = o->flags;
	if (o->flags & TEE_HANDLE_FLAG_PERSISTENT) {
		objectInfo->dataSize = o->pobj->len;
		objectInfo->dataPosition = o->pos;
	}
	return TEE_SUCCESS;
}
