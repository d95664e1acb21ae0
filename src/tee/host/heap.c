/* Secure memory pools: mapping (memfd_secret / mlock) and the allocator. */
#define _GNU_SOURCE
#include "heap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tee_internal_api.h"

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447 /* same number on x86_64 and aarch64 */
#endif

struct cdl_pool cdl_ta_heap;
struct cdl_pool cdl_core_heap;

/*
 * Block layout: a 16-byte header, then the payload. prev_size is the size of
 * the physically previous block (0 for the first), size_flags the block's own
 * size (a multiple of 16, header included) with bit 0 = in use. A free block
 * keeps its bin links in the payload. The region ends with a 16-byte in-use
 * sentinel of size 0.
 */
struct cdl_pool_block {
	size_t prev_size;
	size_t size_flags;
	struct cdl_pool_block *next; /* free blocks only */
	struct cdl_pool_block *prev;
};

#define HDR ((size_t)16)
#define ALIGN ((size_t)16)
#define MIN_BLOCK ((size_t)32)
#define IN_USE ((size_t)1)

static size_t blk_size(const struct cdl_pool_block *b)
{
	return b->size_flags & ~(ALIGN - 1);
}

static bool blk_used(const struct cdl_pool_block *b)
{
	return (b->size_flags & IN_USE) != 0;
}

static struct cdl_pool_block *blk_next(struct cdl_pool_block *b)
{
	return (struct cdl_pool_block *)((uint8_t *)b + blk_size(b));
}

static unsigned bin_of(size_t size)
{
	return 63u - (unsigned)__builtin_clzll((unsigned long long)size);
}

static void bin_insert(struct cdl_pool *pool, struct cdl_pool_block *b)
{
	unsigned k = bin_of(blk_size(b));

	b->prev = NULL;
	b->next = pool->bins[k];
	if (b->next)
		b->next->prev = b;
	pool->bins[k] = b;
	pool->bin_map |= 1ull << k;
}

static void bin_remove(struct cdl_pool *pool, struct cdl_pool_block *b)
{
	unsigned k = bin_of(blk_size(b));

	if (b->prev)
		b->prev->next = b->next;
	else
		pool->bins[k] = b->next;
	if (b->next)
		b->next->prev = b->prev;
	if (!pool->bins[k])
		pool->bin_map &= ~(1ull << k);
}

static void pool_init(struct cdl_pool *pool, void *mem, size_t size)
{
	struct cdl_pool_block *first = mem;
	struct cdl_pool_block *end = NULL;
	size_t body = (size & ~(ALIGN - 1)) - HDR;

	pool->base = mem;
	pool->size = size;
	pool->used = 0;
	pool->peak = 0;
	pool->bin_map = 0;
	memset(pool->bins, 0, sizeof(pool->bins));
	first->prev_size = 0;
	first->size_flags = body;
	end = blk_next(first);
	end->prev_size = body;
	end->size_flags = IN_USE;
	bin_insert(pool, first);
}

/*
 * Faulting in the TA heap ahead of use. The kernel removes each memfd_secret
 * page from its direct map when the page is first touched, with a TLB
 * shootdown on every CPU per page: done on demand, that was most of a
 * model's first load (resnet18, 49 MiB: ~0.2 s of faults against ~15 ms of
 * verify + decrypt). Done up front it costs the whole heap whatever the
 * models use (15-25 us a page in this VM: ~0.1 s for 16 MiB, ~0.45 s for
 * 96 MiB) -- worth it for a long-lived `cdl-tee --listen` service, not for
 * a cdl-tee spawned per command, so tee_main.c does it in --listen mode
 * only. (Done in a background thread instead, the shootdowns slowed the
 * inferences running meanwhile on the other core 2-3x.)
 *
 * Page by page: the kernel's own ways, MAP_POPULATE and
 * MADV_POPULATE_READ/WRITE, go through get_user_pages, which refuses
 * memfd_secret pages (MAP_POPULATE maps none, MADV_POPULATE_* fail). A
 * read fault maps a page as a write fault does.
 */
void cdl_pool_prefault(const struct cdl_pool *pool)
{
	long page = sysconf(_SC_PAGESIZE);
	const size_t step = page > 0 ? (size_t)page : 4096;

	if (strcmp(pool->backing, "memfd_secret") != 0)
		return; /* mlock faulted everything in already */
	for (size_t off = 0; off < pool->size; off += step)
		(void)*(const volatile uint8_t *)(pool->base + off);
}

static int map_region(size_t size, void **out, const char **backing)
{
	void *p = MAP_FAILED;
	int fd = (int)syscall(SYS_memfd_secret, (unsigned long)O_CLOEXEC);

	if (fd >= 0) {
		if (ftruncate(fd, (off_t)size) == 0)
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
		close(fd);
		if (p != MAP_FAILED) {
			*out = p;
			*backing = "memfd_secret";
			return 0;
		}
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	(void)madvise(p, size, MADV_DONTDUMP);
	(void)madvise(p, size, MADV_DONTFORK);
	if (mlock(p, size) == 0) {
		*backing = "mlock";
	} else {
		fprintf(stderr,
			"cdl-tee: warning: failed to lock %zu bytes of secure memory with mlock: %s (RLIMIT_MEMLOCK); it may be swapped\n",
			size, strerror(errno));
		*backing = "unlocked";
	}
	*out = p;
	return 0;
}

int cdl_pool_create(struct cdl_pool *pool, const char *name, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	void *mem = NULL;
	const char *backing = NULL;

	if (page <= 0)
		page = 4096;
	if (size < (size_t)page)
		size = (size_t)page;
	size = (size + (size_t)page - 1) & ~((size_t)page - 1);
	if (map_region(size, &mem, &backing) != 0)
		return -1;
	pool_init(pool, mem, size);
	pool->backing = backing;
	pool->name = name;
	return 0;
}

void cdl_pool_destroy(struct cdl_pool *pool)
{
	if (!pool->base)
		return;
	explicit_bzero(pool->base, pool->size);
	munmap(pool->base, pool->size);
	memset(pool, 0, sizeof(*pool));
}

static size_t request_size(size_t n)
{
	if (n > SIZE_MAX / 2)
		return 0;
	n = (n + HDR + ALIGN - 1) & ~(ALIGN - 1);
	return n < MIN_BLOCK ? MIN_BLOCK : n;
}

/* Cuts b (free or used, not in a bin) to `need` bytes; the rest becomes a
 * free block. */
static void split(struct cdl_pool *pool, struct cdl_pool_block *b, size_t need)
{
	size_t size = blk_size(b);
	struct cdl_pool_block *rest = NULL;

	if (size - need < MIN_BLOCK)
		return;
	b->size_flags = need | (b->size_flags & IN_USE);
	rest = blk_next(b);
	rest->prev_size = need;
	rest->size_flags = size - need;
	blk_next(rest)->prev_size = size - need;
	bin_insert(pool, rest);
}

void *cdl_pool_alloc(struct cdl_pool *pool, size_t n)
{
	size_t need = request_size(n);
	struct cdl_pool_block *b = NULL;
	unsigned k = 0;
	uint64_t higher = 0;

	if (!pool->base || need == 0 || need > pool->size)
		return NULL;
	k = bin_of(need);
	for (b = pool->bins[k]; b; b = b->next)
		if (blk_size(b) >= need)
			break;
	if (!b) {
		higher = k >= 63 ? 0 : pool->bin_map & ~((2ull << k) - 1);
		if (!higher)
			return NULL;
		b = pool->bins[__builtin_ctzll(higher)];
	}
	bin_remove(pool, b);
	split(pool, b, need);
	b->size_flags |= IN_USE;
	pool->used += blk_size(b);
	if (pool->used > pool->peak)
		pool->peak = pool->used;
	return (uint8_t *)b + HDR;
}

static struct cdl_pool_block *checked_block(const struct cdl_pool *pool,
					    const void *p)
{
	const uint8_t *u = p;
	struct cdl_pool_block *b = NULL;

	if (u < pool->base + HDR || u >= pool->base + pool->size ||
	    ((size_t)(u - pool->base) & (ALIGN - 1)) != 0)
		return NULL;
	b = (struct cdl_pool_block *)(u - HDR);
	if (!blk_used(b) || blk_size(b) < MIN_BLOCK ||
	    blk_size(b) > (size_t)(pool->base + pool->size - (uint8_t *)b))
		return NULL;
	return b;
}

bool cdl_pool_contains(const struct cdl_pool *pool, const void *p, size_t n)
{
	const uint8_t *u = p;

	return pool->base && u >= pool->base && n <= pool->size &&
	       (size_t)(u - pool->base) <= pool->size - n;
}

size_t cdl_pool_usable(const struct cdl_pool *pool, const void *p)
{
	struct cdl_pool_block *b = checked_block(pool, p);

	return b ? blk_size(b) - HDR : 0;
}

void cdl_pool_free(struct cdl_pool *pool, void *p)
{
	struct cdl_pool_block *b = NULL;
	struct cdl_pool_block *n = NULL;
	struct cdl_pool_block *pb = NULL;
	size_t size = 0;

	if (!p)
		return;
	b = checked_block(pool, p);
	if (!b) {
		fprintf(stderr, "cdl-tee: free of %p, not a live block of the %s pool\n",
			p, pool->name ? pool->name : "?");
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	size = blk_size(b);
	pool->used -= size;
	/* Secure heap: nothing freed stays readable. */
	explicit_bzero((uint8_t *)b + HDR, size - HDR);
	n = blk_next(b);
	if (!blk_used(n)) {
		bin_remove(pool, n);
		size += blk_size(n);
		memset(n, 0, sizeof(*n));
	}
	if (b->prev_size) {
		pb = (struct cdl_pool_block *)((uint8_t *)b - b->prev_size);
		if (!blk_used(pb)) {
			bin_remove(pool, pb);
			size += blk_size(pb);
			memset(b, 0, sizeof(*b));
			b = pb;
		}
	}
	b->size_flags = size;
	blk_next(b)->prev_size = size;
	bin_insert(pool, b);
}

void *cdl_pool_realloc(struct cdl_pool *pool, void *p, size_t n)
{
	struct cdl_pool_block *b = NULL;
	struct cdl_pool_block *next = NULL;
	size_t need = request_size(n);
	size_t size = 0;
	void *q = NULL;

	if (!p)
		return cdl_pool_alloc(pool, n);
	b = checked_block(pool, p);
	if (!b) {
		fprintf(stderr, "cdl-tee: realloc of %p, not a live block of the %s pool\n",
			p, pool->name ? pool->name : "?");
		TEE_Panic(TEE_ERROR_BAD_PARAMETERS);
	}
	if (need == 0)
		return NULL;
	size = blk_size(b);
	if (need <= size) {
		/* Shrink in place: the cut-off tail is freed (and coalesced). */
		if (size - need >= MIN_BLOCK) {
			struct cdl_pool_block *rest = NULL;

			b->size_flags = need | IN_USE;
			rest = blk_next(b);
			rest->prev_size = need;
			rest->size_flags = (size - need) | IN_USE;
			blk_next(rest)->prev_size = size - need;
			cdl_pool_free(pool, (uint8_t *)rest + HDR);
		}
		return p;
	}
	next = blk_next(b);
	if (!blk_used(next) && size + blk_size(next) >= need) {
		bin_remove(pool, next);
		b->size_flags = (size + blk_size(next)) | IN_USE;
		blk_next(b)->prev_size = blk_size(b);
		memset(next, 0, sizeof(*next));
		pool->used += blk_size(b) - size;
		if (pool->used > pool->peak)
			pool->peak = pool->used;
		/* Give back what is not needed. */
		{
			size_t have = blk_size(b);

			if (have - need >= MIN_BLOCK) {
				struct cdl_pool_block *rest = NULL;

				b->size_flags = need | IN_USE;
				rest = blk_next(b);
				rest->prev_size = need;
				rest->size_flags = (have - need) | IN_USE;
				blk_next(rest)->prev_size = have - need;
				cdl_pool_free(pool, (uint8_t *)rest + HDR);
			}
		}
		return p;
	}
	q = cdl_pool_alloc(pool, n);
	if (!q)
		return NULL;
	memcpy(q, p, size - HDR);
	cdl_pool_free(pool, p);
	return q;
}

size_t cdl_parse_size(const char *s)
{
	char *end = NULL;
	unsigned long long v = 0;
	unsigned shift = 0;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return 0;
	}
	if (*end && end[1] != '\0' && !((end[1] == 'i' || end[1] == 'B') &&
					 (end[2] == '\0' || (end[1] == 'i' && end[2] == 'B' && end[3] == '\0'))))
		return 0;
	if (v == 0 || v > (SIZE_MAX >> shift))
		return 0;
	return (size_t)(v << shift);
}

void *cdl_core_alloc(size_t n)
{
	return cdl_pool_alloc(&cdl_core_heap, n);
}

void *cdl_core_calloc(size_t n)
{
	void *p = cdl_pool_alloc(&cdl_core_heap, n);

	if (p)
		memset(p, 0, n);
	return p;
}

void cdl_core_free(void *p)
{
	cdl_pool_free(&cdl_core_heap, p);
}

void *cdl_core_memdup(const void *p, size_t n)
{
	uint8_t *q = cdl_pool_alloc(&cdl_core_heap, n ? n : 1);

	if (q && n)
		memcpy(q, p, n);
	return q;
}
