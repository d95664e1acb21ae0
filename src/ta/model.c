/* SPDX-License-Identifier: Apache-2.0 */
/* A model inside the TA: open, choose the mode, run, stats, close (model.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cdl_tee_ext.h"
#include "crypto_gp.h"
#include "engine/engine.h"
#include "engine/op.h" /* cdl_snprintf */
#include "format/reader.h"
#include "model.h"
#include "policy.h"
#include "ta_status.h"
#include "tee_internal_api.h"

#define MIB ((uint64_t)1 << 20)
/* Allocator headers and alignment padding, per allocation, for estimates. */
#define ALLOC_SLACK ((uint64_t)256)
#define ALIGN CDL_PLAN_ALIGN
#define ERR_LEN 256u

/*
 * Stream mode runs a RUN's items in chunks of up to the engine's max_batch
 * (cdl_engine_run_batch): each chunk decrypts the streamed weights once, so
 * a chunk of k items decrypts 1/k of what k single runs would. The engine
 * is sized at OPEN for batches of WANT_BATCH items
 * (cdl_engine_options_for_budget_batch), which gives max_batch <= 8.
 *
 * Why 8: every extra item in a chunk costs one more activation arena, held
 * for the model's lifetime (and, in auto mode, taken from resident weights),
 * while what it saves shrinks as 1/k: at k = 8 a batch decrypts 1/8 of the
 * weights per item, k = 16 would save only another 1/16 of a pass for twice
 * the arenas. 8 also covers what apps send (image batches of 8 to 32: larger
 * ones are a few chunks) and keeps the chunk's tensor table small. The
 * engine costs every max_batch up to it against keeping weights resident,
 * so a model whose arena is large next to its weights still gets 1 (or all
 * resident).
 */
#define WANT_BATCH 8u

/* One TEE_Malloc'd buffer; ptr is aligned inside raw. */
typedef struct ta_buf {
	void *raw;
	size_t raw_size;
	uint8_t *ptr;
	size_t size;
} ta_buf;

/*
 * What the decrypted plan's header says (docs/plan-format.md), read before
 * the plan is parsed: the sizes the mode decision and the messages need.
 * The plan was made by the provider and is authenticated, but is still
 * treated as data: every number below only sizes an estimate, and
 * cdl_plan_parse checks the plan itself.
 */
typedef struct plan_peek {
	uint32_t n_tensors, n_nodes, n_attrs;
	uint64_t total, arena, workspace;
	uint64_t sec_off[7], sec_size[7];
} plan_peek;

enum { SEC_STRINGS, SEC_TENSORS, SEC_NODES, SEC_ATTRS, SEC_INDICES, SEC_VALUES, SEC_WEIGHTS };

#define PLAN_HDR_SIZE 192u

struct cdl_ta_model {
	cdl_ta_crypto crypto;
	cdl_pkg_reader *reader; /* NULL once nothing more is decrypted (resident) */
	cdl_pkg_header hdr;	/* the verified public header */
	uint32_t mode;		/* CDL_TA_MODE_RESIDENT / _STREAM */

	/* Secure memory the model holds; all wiped when freed. */
	size_t held;
	ta_buf reader_mem;
	ta_buf scratch;	 /* one block: block 0 at open, then cache entry 0 */
	ta_buf scratch2; /* stream mode, when memory allows: cache entry 1 */
	ta_buf stream;	 /* resident: the whole decrypted stream (plan + weights) */
	ta_buf parse;	 /* the parsed plan's tables */
	ta_buf engine_mem;
	ta_buf outbuf; /* top-k / label: a chunk's outputs before the policy */
	ta_buf io;     /* stream mode: a chunk's tensors (cdl_tensor, inputs then outputs) */
	ta_buf policy; /* top-k / label: the result being built */

	const cdl_plan *plan;
	cdl_engine *engine;
	/* The TEE's worker threads as the engine takes them (workers 1: none),
	 * and the heap open() still needs once the engine is made. */
	cdl_parallel par;
	uint64_t reserve_after_engine;

	/* One batch item's tensors: byte offsets and sizes, in model order. */
	size_t in_off[CDL_PKG_MAX_IO], in_size[CDL_PKG_MAX_IO];
	size_t out_off[CDL_PKG_MAX_IO], out_size[CDL_PKG_MAX_IO];
	size_t in_item, out_full, out_item, numel0;
	size_t out_stride; /* out_full rounded up: one item's place in outbuf */
	/* Items per cdl_engine_run_batch: the engine's max_batch (stream), 1 (resident). */
	uint32_t chunk;

	/* Streaming: where the weights are in the plaintext stream, the package
	 * of the current call and a cache of decrypted blocks (scratch,
	 * scratch2; see cached_block). */
	uint64_t weights_off, weights_size;
	bool bound;
	struct {
		ta_buf *buf;
		uint32_t block;
		bool valid;
		bool read_to_end; /* its last use read up to its end */
		uint64_t used;	  /* tick of the last use */
	} cache[2];
	uint32_t n_cache;
	uint64_t tick;
	/* Small reads (a tile's bias rows): a copy of the plaintext stream
	 * from the start of the last one that missed it (see read_stream). */
	struct {
		uint64_t pos, len;
		uint8_t data[4096];
	} small;
	/* During a batch RUN: blocks decrypted for the first item, kept for the
	 * others in spare heap (see batch_begin). */
	struct {
		ta_buf mem;   /* cap blocks */
		ta_buf slots; /* uint32_t per block from first: slot + 1, or 0 */
		uint32_t first, cap, used;
		bool on;
	} batch;
	uint64_t decrypted; /* block bytes decrypted in the current call */
	char fetch_msg[ERR_LEN];

	/* Stats. */
	uint64_t heap_budget, heap_used0;
	uint64_t runs, queries_left;
	uint64_t decrypted_last_run;
	uint64_t run_time_us, open_time_us;
};

/* ---- small helpers ------------------------------------------------------- */

static uint64_t now_us(void)
{
	TEE_Time t = {0, 0};

	TEE_GetSystemTime(&t);
	return ((uint64_t)t.seconds * 1000u + t.millis) * 1000u;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/*
 * bytes as MiB ("21.4", "16"; two decimals below 1 MiB: "0.06"), rounded up
 * for what a model needs (never understate it), to nearest for a budget.
 */
static const char *mib(char *buf, size_t size, uint64_t bytes, bool round_up)
{
	const uint64_t scale = bytes < MIB ? 100 : 10;
	uint64_t q = 0;

	if (bytes > UINT64_MAX / 100 - MIB)
		bytes = UINT64_MAX / 100 - MIB;
	q = (bytes * scale + (round_up ? MIB - 1 : MIB / 2)) / MIB;
	if (q % scale == 0)
		cdl_snprintf(buf, size, "%llu", (unsigned long long)(q / scale));
	else if (scale == 10)
		cdl_snprintf(buf, size, "%llu.%llu", (unsigned long long)(q / 10),
			     (unsigned long long)(q % 10));
	else
		cdl_snprintf(buf, size, "%llu.%llu%llu", (unsigned long long)(q / 100),
			     (unsigned long long)(q % 100 / 10), (unsigned long long)(q % 10));
	return buf;
}

/*
 * One line for a failed allocation, in the form of DESIGN §9: what the model
 * needed at least (what it holds plus this), against the budget.
 */
static cdl_status fail_alloc(const cdl_ta_model *m, uint64_t size, const char *what, char *msg,
			     size_t msg_size)
{
	const uint64_t need = sat_add(m->held, size);
	const uint64_t free_at_open =
	    m->heap_budget > m->heap_used0 ? m->heap_budget - m->heap_used0 : 0;
	char need_s[24], size_s[24], budget_s[24], other_s[24], note[64];

	note[0] = '\0';
	if (need <= free_at_open)
		cdl_snprintf(note, sizeof(note), " (its free memory is fragmented)");
	else if (m->heap_used0 > 64 * 1024)
		cdl_snprintf(note, sizeof(note), " (other models hold %s MiB of it)",
			     mib(other_s, sizeof(other_s), m->heap_used0, true));
	cdl_snprintf(msg, msg_size,
		     "failed to load model: needs at least %s MiB of secure memory (%s MiB for "
		     "the %s), budget is %s MiB%s",
		     mib(need_s, sizeof(need_s), need, true),
		     mib(size_s, sizeof(size_s), size, true), what,
		     mib(budget_s, sizeof(budget_s), m->heap_budget, false), note);
	return CDL_ERR_SECURE_MEMORY;
}

/* TEE_Malloc with hint TEE_MALLOC_FILL_ZERO, or TEE_MALLOC_NO_FILL for a
 * buffer written whole before anything reads it (see buf_alloc_unfilled). */
static cdl_status buf_alloc_hint(cdl_ta_model *m, ta_buf *b, uint64_t size, uint32_t hint,
				 const char *what, char *msg, size_t msg_size)
{
	uint64_t raw = size + ALIGN;

	memset(b, 0, sizeof(*b));
	if (size > SIZE_MAX - ALIGN || raw > SIZE_MAX)
		return fail_alloc(m, size, what, msg, msg_size);
	b->raw = TEE_Malloc((size_t)raw, hint);
	if (!b->raw)
		return fail_alloc(m, size, what, msg, msg_size);
	b->raw_size = (size_t)raw;
	b->ptr = (uint8_t *)(((uintptr_t)b->raw + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
	b->size = (size_t)size;
	m->held += b->raw_size;
	return CDL_OK;
}

static cdl_status buf_alloc(cdl_ta_model *m, ta_buf *b, uint64_t size, const char *what, char *msg,
			    size_t msg_size)
{
	return buf_alloc_hint(m, b, size, TEE_MALLOC_FILL_ZERO, what, msg, msg_size);
}

/*
 * buf_alloc without TEE_Malloc's zero fill, for a buffer written whole before
 * anything reads it: the decrypted stream of a resident model (the fill was
 * one more pass over resnet18's 45 MiB of plaintext at open).
 */
static cdl_status buf_alloc_unfilled(cdl_ta_model *m, ta_buf *b, uint64_t size, const char *what,
				     char *msg, size_t msg_size)
{
	return buf_alloc_hint(m, b, size, TEE_MALLOC_NO_FILL, what, msg, msg_size);
}

/* Wipes (plaintext weights, activations, keys live here) and frees. */
static void buf_free(cdl_ta_model *m, ta_buf *b)
{
	if (!b->raw)
		return;
	TEE_MemFill(b->raw, 0, b->raw_size);
	TEE_Free(b->raw);
	m->held -= b->raw_size;
	memset(b, 0, sizeof(*b));
}

/* ---- the plan header, before parsing -------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
	return cdl_pkg_get_u32(p);
}

static uint64_t rd64(const uint8_t *p)
{
	return cdl_pkg_get_u64(p);
}

static cdl_status peek_plan(const uint8_t *b, uint64_t len, plan_peek *pp, char *msg,
			    size_t msg_size)
{
	memset(pp, 0, sizeof(*pp));
	if (len < PLAN_HDR_SIZE || memcmp(b, "CDLPLAN\0", 8) != 0) {
		cdl_snprintf(msg, msg_size, "failed to load model: the package holds no cdl plan");
		return CDL_ERR_MALFORMED;
	}
	pp->n_tensors = rd32(b + 20);
	pp->n_nodes = rd32(b + 24);
	pp->n_attrs = rd32(b + 28);
	pp->total = rd64(b + 48);
	pp->arena = rd64(b + 56);
	pp->workspace = rd64(b + 64);
	for (int s = 0; s < 7; s++) {
		pp->sec_off[s] = rd64(b + 72 + 16 * s);
		pp->sec_size[s] = rd64(b + 80 + 16 * s);
	}
	return CDL_OK;
}

/*
 * Bytes cdl_plan_parse takes from its arena: its own accounting (the parsed
 * structs of every table, a tensor per tensor attribute, the strings and
 * values, alignment), from above. With the tables at hand (buf, len) the
 * tensor attributes are counted; else every attribute counts as one.
 * parse_plan() retries with more should the engine ever need more.
 */
#define PLAN_ATTR_REC 24u
#define PLAN_ATTR_TENSOR 4u

static uint64_t parse_estimate(const plan_peek *pp, const uint8_t *buf, uint64_t len)
{
	const uint64_t off = pp->sec_off[SEC_ATTRS];
	uint64_t n = sizeof(cdl_plan) + 16 * ALIGN;
	uint64_t tensor_attrs = pp->n_attrs;

	if (buf && off <= len && (uint64_t)pp->n_attrs * PLAN_ATTR_REC <= len - off) {
		tensor_attrs = 0;
		for (uint32_t i = 0; i < pp->n_attrs; i++)
			tensor_attrs +=
			    rd32(buf + off + (uint64_t)i * PLAN_ATTR_REC + 4) == PLAN_ATTR_TENSOR;
	}
	n = sat_add(n, pp->sec_size[SEC_STRINGS]);
	n = sat_add(n, sat_mul(pp->n_tensors, sizeof(cdl_plan_tensor) + 1));
	n = sat_add(n, sat_mul(pp->n_nodes, sizeof(cdl_node)));
	n = sat_add(n, sat_mul(pp->n_attrs, sizeof(cdl_attr)));
	n = sat_add(n, sat_mul(tensor_attrs, sizeof(cdl_tensor)));
	n = sat_add(n, pp->sec_size[SEC_INDICES]);
	n = sat_add(n, pp->sec_size[SEC_VALUES]);
	return n;
}

/*
 * The engine's memory besides weights: the activation arena, the largest
 * workspace, and per node and tensor slot its bookkeeping (bounded by the
 * indices section: every node input and output is one index).
 */
static uint64_t engine_estimate(const plan_peek *pp)
{
	uint64_t slots = pp->sec_size[SEC_INDICES] / 4;
	uint64_t n = sat_add(pp->arena, pp->workspace);

	n = sat_add(n, sat_mul(pp->n_nodes, 2 * sizeof(void *)));
	n = sat_add(n, sat_mul(slots, sizeof(void *) + sizeof(cdl_tensor)));
	return sat_add(n, 8 * ALIGN);
}

/* ---- decrypting the stream ----------------------------------------------- */

/*
 * Block b of the stream, decrypted, from the cache or into one of its
 * entries. NULL on failure (m->fetch_msg says why).
 *
 * The engine fetches forward: a node's weight rows tile by tile, each tile
 * starting in the block where the previous one ended, and between tiles the
 * bias rows, a few bytes from another block. A block whose last use read up
 * to its end has nothing left for a forward reader, so it goes first; then
 * the least recently used. (Simulated on resnet18's fetches at 4 MiB: two
 * entries so chosen decrypt each block about once per run; plain LRU 1.5
 * times; one entry twice.)
 */
static const uint8_t *cached_block(cdl_ta_model *m, uint32_t b, cdl_status *s)
{
	uint32_t victim = 0;

	for (uint32_t i = 0; i < m->n_cache; i++) {
		if (m->cache[i].valid && m->cache[i].block == b) {
			m->cache[i].used = ++m->tick;
			return m->cache[i].buf->ptr;
		}
	}
	for (uint32_t i = 1; i < m->n_cache; i++) {
		const bool v_free = !m->cache[victim].valid || m->cache[victim].read_to_end;
		const bool i_free = !m->cache[i].valid || m->cache[i].read_to_end;

		if ((i_free && !v_free) ||
		    (i_free == v_free && m->cache[i].used < m->cache[victim].used))
			victim = i;
	}
	m->cache[victim].valid = false;
	*s = cdl_pkg_read_block(m->reader, b, m->cache[victim].buf->ptr, m->cache[victim].buf->size,
				m->fetch_msg, sizeof(m->fetch_msg));
	m->decrypted += m->hdr.block_size;
	if (*s != CDL_OK)
		return NULL;
	m->cache[victim].valid = true;
	m->cache[victim].block = b;
	m->cache[victim].read_to_end = false;
	m->cache[victim].used = ++m->tick;
	return m->cache[victim].buf->ptr;
}

/* Records whether the last use of cached block b read up to its end. */
static void cache_note_use(cdl_ta_model *m, uint32_t b, bool to_end)
{
	for (uint32_t i = 0; i < m->n_cache; i++)
		if (m->cache[i].valid && m->cache[i].block == b)
			m->cache[i].read_to_end = to_end;
}

/*
 * DESIGN §6.3: a batch decrypts each streamed layer once. The engine does
 * that for a chunk of up to m->chunk items (cdl_engine_run_batch); a RUN of
 * more items takes several chunks, so the blocks decrypted for the first
 * chunk are kept, in whatever the heap has spare (and only for the call:
 * wiped and freed when it returns), for the later chunks to copy. What does
 * not fit is decrypted per chunk as usual.
 *
 * Measured on top of engine batching (max_batch 8, stream mode): digits
 * (4 KiB blocks) at 16 MiB, 20 items: 1434 bytes decrypted per item with
 * the cache, 3686 without; resnet18 at 64 MiB, 20 items (chunks 8, 8, 4):
 * 4.4 MB per item with it, 7.0 MB without. When the engine has the whole
 * heap (auto mode; resnet18 stream at 16 MiB, max_batch 4) there is no
 * spare heap and it costs one heap query per RUN.
 */
#define BATCH_MARGIN ((uint64_t)64 << 10)

static void batch_begin(cdl_ta_model *m)
{
	const uint64_t bs = m->hdr.block_size;
	const uint32_t first = (uint32_t)(m->weights_off / bs);
	const uint32_t blocks = m->hdr.block_count - first;
	size_t heap_size = 0, heap_used = 0;
	uint64_t spare = 0, cap = 0;
	char ignored[8];

	memset(&m->batch, 0, sizeof(m->batch));
	cdl_tee_heap_stats(&heap_size, &heap_used, NULL);
	spare = heap_size - heap_used > BATCH_MARGIN ? heap_size - heap_used - BATCH_MARGIN : 0;
	cap = spare / (bs + ALLOC_SLACK) < blocks ? spare / (bs + ALLOC_SLACK) : blocks;
	if (cap < 2 || (uint64_t)blocks * sizeof(uint32_t) > spare / 16)
		return;
	if (buf_alloc(m, &m->batch.slots, (uint64_t)blocks * sizeof(uint32_t), "batch cache",
		      ignored, sizeof(ignored)) != CDL_OK)
		return;
	/* One piece: halve it until the heap has one that large. */
	while (cap >= 2 && buf_alloc(m, &m->batch.mem, cap * bs, "batch cache", ignored,
				     sizeof(ignored)) != CDL_OK)
		cap /= 2;
	if (cap < 2) {
		buf_free(m, &m->batch.slots);
		return;
	}
	m->batch.first = first;
	m->batch.cap = (uint32_t)cap;
	m->batch.on = true;
}

static void batch_end(cdl_ta_model *m)
{
	buf_free(m, &m->batch.mem);
	buf_free(m, &m->batch.slots);
	memset(&m->batch, 0, sizeof(m->batch));
}

/*
 * Block b from the batch cache, decrypted into it if there is room. NULL
 * with *s == CDL_OK when b is not cached and cannot be.
 */
static const uint8_t *batch_block(cdl_ta_model *m, uint32_t b, cdl_status *s)
{
	const size_t bs = m->hdr.block_size;
	uint32_t *slot = NULL;
	uint8_t *p = NULL;

	*s = CDL_OK;
	if (!m->batch.on || b < m->batch.first)
		return NULL;
	slot = (uint32_t *)(void *)m->batch.slots.ptr + (b - m->batch.first);
	if (*slot)
		return m->batch.mem.ptr + (size_t)(*slot - 1) * bs;
	if (m->batch.used == m->batch.cap)
		return NULL;
	p = m->batch.mem.ptr + (size_t)m->batch.used * bs;
	*s = cdl_pkg_read_block(m->reader, b, p, bs, m->fetch_msg, sizeof(m->fetch_msg));
	m->decrypted += bs;
	if (*s != CDL_OK)
		return NULL;
	*slot = ++m->batch.used;
	return p;
}

/*
 * Plaintext stream bytes [pos, pos + len) into dst (TA memory). Like
 * cdl_pkg_read_range, but partial blocks stay decrypted in a small cache: a
 * node's constants are consecutive in the stream (weights in order of first
 * use) and a tiled node alternates between its weight rows and its bias, so
 * neighbouring fetches share blocks, and a small model fits in one. Whole
 * blocks go straight into dst. The cache is plaintext of authenticated
 * blocks in secure memory, wiped when the model closes.
 */
static cdl_status read_stream(cdl_ta_model *m, uint64_t pos, uint64_t len, uint8_t *dst)
{
	const uint64_t bs = m->hdr.block_size;
	cdl_status s = CDL_OK;

	if (pos > m->hdr.stream_len || len > m->hdr.stream_len - pos) {
		/* Offsets are the plan's layout: not for the message. */
		cdl_snprintf(m->fetch_msg, sizeof(m->fetch_msg),
			     "the plan asks for bytes outside its stream");
		return CDL_ERR_MALFORMED;
	}
	/*
	 * A tiled node reads its bias rows, a few bytes, between the weight
	 * rows of its tiles, from a block of their own: served from a copy of
	 * the bytes from the first one on, they leave the block cache to the
	 * weight rows, so one cache entry is enough for those (each tile starts
	 * in the block where the previous one ended) and open_stream gives the
	 * second entry's 64 KiB to the engine's stream buffer when memory is
	 * tight. Authenticated plaintext, in secure memory like the cache.
	 */
	if (len <= sizeof(m->small.data) / 2 && m->small.len && pos >= m->small.pos &&
	    pos + len <= m->small.pos + m->small.len) {
		memcpy(dst, m->small.data + (pos - m->small.pos), (size_t)len);
		return CDL_OK;
	}
	while (len > 0) {
		uint32_t b = (uint32_t)(pos / bs);
		size_t in_off = (size_t)(pos % bs);
		size_t n = (size_t)(bs - in_off < len ? bs - in_off : len);
		const uint8_t *kept = batch_block(m, b, &s);

		if (kept) {
			memcpy(dst, kept + in_off, n);
		} else if (s != CDL_OK) {
			return s;
		} else if (n == bs) {
			s = cdl_pkg_read_block(m->reader, b, dst, n, m->fetch_msg,
					       sizeof(m->fetch_msg));
			m->decrypted += bs;
		} else {
			const uint8_t *p = cached_block(m, b, &s);

			if (p) {
				memcpy(dst, p + in_off, n);
				cache_note_use(m, b, in_off + n == bs);
				if (n == len && len <= sizeof(m->small.data) / 2) {
					m->small.len = bs - in_off < sizeof(m->small.data)
							   ? bs - in_off
							   : sizeof(m->small.data);
					m->small.pos = pos;
					memcpy(m->small.data, p + in_off, (size_t)m->small.len);
				}
			}
		}
		if (s != CDL_OK)
			return s;
		dst += n;
		pos += n;
		len -= n;
	}
	return CDL_OK;
}

/* ---- binding the package of the current call ------------------------------ */

/*
 * The reader reads tags and blocks from the package buffer it was opened on.
 * In stream mode that buffer is gone after OPEN_MODEL: each RUN brings the
 * package again, maybe at another address. It must be the same package: same
 * length, byte-identical header (so the same content key and header hash;
 * each block is still authenticated by GCM when read, so a changed tag or
 * block fails then). The header is compared from a TA copy, chunk by chunk,
 * each shared byte read once.
 *
 * The reader has no re-bind call; tags and blocks are the two pointers
 * cdl_pkg_parse_header derives from the buffer and the verified header_len
 * and block_count, set here the same way.
 */
static cdl_status bind_package(cdl_ta_model *m, const uint8_t *pkg, size_t len, char *msg,
			       size_t msg_size)
{
	const cdl_pkg_header *h = &m->hdr;
	uint8_t chunk[256];

	if (!pkg || len != h->package_len) {
		cdl_snprintf(msg, msg_size,
			     "failed to run model: %s (%zu bytes, the model's package has %llu)",
			     pkg ? "the package passed is not the one the model was opened from"
				 : "stream mode needs the package with every run",
			     len, (unsigned long long)h->package_len);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	for (size_t off = 0; off < h->header_len; off += sizeof(chunk)) {
		size_t n =
		    h->header_len - off < sizeof(chunk) ? h->header_len - off : sizeof(chunk);

		memcpy(chunk, pkg + off, n);
		if (memcmp(chunk, m->reader->raw + off, n) != 0) {
			cdl_snprintf(msg, msg_size,
				     "failed to run model: the package passed is not the one the "
				     "model was opened from (header differs at byte %zu)",
				     off);
			return CDL_ERR_INVALID_ARGUMENT;
		}
	}
	m->reader->tags = pkg + h->header_len;
	m->reader->blocks = m->reader->tags + (size_t)h->block_count * CDL_PKG_TAG_LEN;
	m->bound = true;
	return CDL_OK;
}

static void unbind_package(cdl_ta_model *m)
{
	if (m->reader) {
		m->reader->tags = NULL;
		m->reader->blocks = NULL;
	}
	m->bound = false;
}

/* The engine's weight fetch: bytes of the plan's weights section. */
static cdl_status fetch_weights(void *arg, uint64_t offset, uint64_t size, void *dst)
{
	cdl_ta_model *m = arg;

	if (!m->bound) {
		cdl_snprintf(m->fetch_msg, sizeof(m->fetch_msg),
			     "failed to fetch weights: no package bound to this call");
		return CDL_ERR_STATE;
	}
	if (offset > m->weights_size || size > m->weights_size - offset) {
		cdl_snprintf(m->fetch_msg, sizeof(m->fetch_msg),
			     "the engine asked for weights outside the weights section");
		return CDL_ERR_INTERNAL;
	}
	return read_stream(m, m->weights_off + offset, size, dst);
}

/* ---- open ------------------------------------------------------------------ */

static size_t numel(const cdl_pkg_tensor_info *t)
{
	size_t n = 1;

	for (uint8_t i = 0; i < t->rank; i++)
		if (__builtin_mul_overflow(n, (size_t)t->dims[i], &n))
			return SIZE_MAX;
	return n;
}

/* Byte layout of one batch item, from the (public, verified) header. */
static cdl_status layout_io(cdl_ta_model *m, char *msg, size_t msg_size)
{
	const cdl_pkg_header *h = &m->hdr;
	size_t off = 0;

	for (int out = 0; out < 2; out++) {
		const cdl_pkg_tensor_info *t = out ? h->outputs : h->inputs;
		size_t *offs = out ? m->out_off : m->in_off;
		size_t *sizes = out ? m->out_size : m->in_size;
		uint16_t n = out ? h->n_outputs : h->n_inputs;

		off = 0;
		for (uint16_t i = 0; i < n; i++) {
			size_t es = cdl_dtype_size(t[i].dtype);
			size_t count = numel(&t[i]);

			if (!es) {
				cdl_snprintf(msg, msg_size,
					     "failed to load model: %s %u (%s) has data type %u, "
					     "which the engine does not support",
					     out ? "output" : "input", i, t[i].name, t[i].dtype);
				return CDL_ERR_UNSUPPORTED;
			}
			size_t end = 0;

			if (count == SIZE_MAX || __builtin_mul_overflow(count, es, &sizes[i]) ||
			    __builtin_add_overflow(off, sizes[i], &end)) {
				cdl_snprintf(msg, msg_size,
					     "failed to load model: %s %u (%s) is too large",
					     out ? "output" : "input", i, t[i].name);
				return CDL_ERR_UNSUPPORTED;
			}
			offs[i] = off;
			off = end;
		}
		if (out)
			m->out_full = off;
		else
			m->in_item = off;
	}
	if (m->out_full > SIZE_MAX - ALIGN) {
		cdl_snprintf(msg, msg_size, "failed to load model: its outputs are too large");
		return CDL_ERR_UNSUPPORTED;
	}
	m->out_stride = (m->out_full + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	m->numel0 = numel(&h->outputs[0]);
	m->out_item = cdl_ta_policy_item_bytes(h, m->numel0, m->out_full);
	return CDL_OK;
}

/* The plan's inputs and outputs must be exactly what the header tells the app. */
static cdl_status check_plan_io(const cdl_ta_model *m, char *msg, size_t msg_size)
{
	const cdl_plan *p = m->plan;
	const cdl_pkg_header *h = &m->hdr;

	if (p->n_inputs != h->n_inputs || p->n_outputs != h->n_outputs) {
		cdl_snprintf(msg, msg_size,
			     "failed to load model: the plan has %u inputs and %u outputs, the "
			     "package header %u and %u",
			     p->n_inputs, p->n_outputs, h->n_inputs, h->n_outputs);
		return CDL_ERR_MALFORMED;
	}
	for (int out = 0; out < 2; out++) {
		uint32_t n = out ? p->n_outputs : p->n_inputs;

		for (uint32_t i = 0; i < n; i++) {
			const cdl_tensor *d = &p->tensors[out ? p->outputs[i] : p->inputs[i]].desc;
			const cdl_pkg_tensor_info *t = out ? &h->outputs[i] : &h->inputs[i];
			bool same = d->dtype == t->dtype && d->rank == t->rank;

			for (uint8_t k = 0; same && k < t->rank; k++)
				same = d->dims[k] == t->dims[k];
			if (!same) {
				cdl_snprintf(msg, msg_size,
					     "failed to load model: %s %u (%s) differs between the "
					     "plan and the package header",
					     out ? "output" : "input", i, t->name);
				return CDL_ERR_MALFORMED;
			}
		}
	}
	return CDL_OK;
}

/* "needs X MiB of secure memory for <what>, budget is Y MiB[ (...)]" */
static cdl_status fail_budget(const cdl_ta_model *m, uint64_t need, const char *what, char *msg,
			      size_t msg_size)
{
	char need_s[24], budget_s[24], other_s[24], note[64];

	note[0] = '\0';
	if (m->heap_used0 > 64 * 1024)
		cdl_snprintf(note, sizeof(note), " (other models hold %s MiB of it)",
			     mib(other_s, sizeof(other_s), m->heap_used0, true));
	cdl_snprintf(msg, msg_size,
		     "failed to load model: needs %s MiB of secure memory for %s, budget is %s "
		     "MiB%s",
		     mib(need_s, sizeof(need_s), need, true), what,
		     mib(budget_s, sizeof(budget_s), m->heap_budget, false), note);
	return CDL_ERR_SECURE_MEMORY;
}

/*
 * The plan is confidential (DESIGN §2 G1: graph, layer types and sizes):
 * what the engine says about it (node names, op types, tensor sizes) stays in
 * the TA. The client learns the kind of failure only. A provider debugs a
 * plan in the normal world, where they have it in the clear.
 */
static cdl_status plan_refused(cdl_status s, char *msg, size_t msg_size)
{
	const char *why = "the engine refused its plan";

	switch (s) {
	case CDL_ERR_UNSUPPORTED:
		why = "it uses an operator, data type or plan version this TA's engine does not "
		      "implement";
		break;
	case CDL_ERR_MALFORMED:
		why = "its plan is malformed or inconsistent";
		break;
	case CDL_ERR_OUT_OF_MEMORY:
	case CDL_ERR_SECURE_MEMORY:
		why = "one of its layers needs more secure memory than the budget leaves";
		s = CDL_ERR_SECURE_MEMORY;
		break;
	default:
		break;
	}
	cdl_snprintf(msg, msg_size, "failed to load model: %s (details stay inside the TEE)", why);
	return s;
}

/*
 * cdl_plan_parse(_tables) into m->parse (allocated here unless the caller
 * did, at least estimate bytes), growing it if the estimate was short.
 */
static cdl_status parse_plan(cdl_ta_model *m, const uint8_t *buf, size_t len, bool tables_only,
			     uint64_t estimate, char *msg, size_t msg_size)
{
	char detail[ERR_LEN];
	cdl_status s = CDL_OK;
	cdl_arena a;

	for (int attempt = 0; attempt < 3; attempt++, estimate *= 2) {
		if (!m->parse.raw) {
			s = buf_alloc(m, &m->parse, estimate, "plan tables", msg, msg_size);
			if (s != CDL_OK)
				return s;
		}
		cdl_arena_init(&a, m->parse.ptr, m->parse.size);
		if (tables_only)
			s = cdl_plan_parse_tables(buf, len, &a, &m->plan, detail, sizeof(detail));
		else
			s = cdl_plan_parse(buf, len, &a, &m->plan, detail, sizeof(detail));
		if (s == CDL_OK)
			return CDL_OK;
		buf_free(m, &m->parse);
		m->plan = NULL;
		if (s != CDL_ERR_OUT_OF_MEMORY)
			break;
	}
	return plan_refused(s, msg, msg_size);
}

static void ta_run_tasks(void *pool, cdl_task_fn fn, void *arg, uint32_t n_tasks)
{
	(void)pool;
	cdl_tee_run_tasks(fn, arg, n_tasks);
}

/*
 * opts with the TEE's worker threads when it lends several (cdl-tee
 * --threads) and the heap has room for their workspaces (one more GEMM
 * workspace each, well under 1 MiB) besides what open() still needs;
 * else opts as they are: the same outputs, on one thread.
 */
static cdl_engine_options with_workers(cdl_ta_model *m, const cdl_engine_options *opts)
{
	cdl_engine_options o;
	size_t heap_size = 0, heap_used = 0, need = 0;

	memset(&o, 0, sizeof(o));
	if (opts)
		o = *opts;
	m->par.run = ta_run_tasks;
	m->par.pool = NULL;
	m->par.workers = cdl_tee_worker_count();
	m->par.min_work = 0;
	if (m->par.workers <= 1)
		return o;
	o.parallel = &m->par;
	cdl_tee_heap_stats(&heap_size, &heap_used, NULL);
	if (cdl_engine_memory_needed_ex(m->plan, &o, &need, NULL, 0) != CDL_OK ||
	    sat_add(sat_add(heap_used, need), sat_add(m->reserve_after_engine, 2 * ALLOC_SLACK)) >
		heap_size)
		o.parallel = NULL;
	return o;
}

/*
 * The engine in m->engine_mem. Failures: the allocation's own message, a
 * failed weight fetch (the reader's, in m->fetch_msg: a tampered block), or
 * plan_refused.
 */
static cdl_status create_engine(cdl_ta_model *m, const cdl_engine_options *opts, char *msg,
				size_t msg_size)
{
	char detail[ERR_LEN];
	size_t need = 0;
	cdl_arena a;
	cdl_status s = CDL_OK;
	const cdl_engine_options o = with_workers(m, opts);

	m->fetch_msg[0] = '\0';
	opts = &o;
	s = cdl_engine_memory_needed_ex(m->plan, opts, &need, detail, sizeof(detail));
	if (s != CDL_OK)
		return plan_refused(s, msg, msg_size);
	s = buf_alloc(m, &m->engine_mem, need, "engine (activations and workspace)", msg, msg_size);
	if (s != CDL_OK)
		return s;
	cdl_arena_init(&a, m->engine_mem.ptr, m->engine_mem.size);
	s = cdl_engine_create_ex(m->plan, opts, &a, &m->engine, detail, sizeof(detail));
	if (s == CDL_OK)
		return CDL_OK;
	m->engine = NULL;
	if (m->fetch_msg[0]) {
		cdl_snprintf(msg, msg_size, "failed to load model: %s", m->fetch_msg);
		return s;
	}
	return plan_refused(s, msg, msg_size);
}

/* Resident: the whole stream decrypted once, the plan parsed in place. */
static cdl_status open_resident(cdl_ta_model *m, char *msg, size_t msg_size, const plan_peek *pp)
{
	const cdl_pkg_header *h = &m->hdr;
	const size_t bs = h->block_size;
	cdl_status s = CDL_OK;

	/* Every byte of it is a decrypted block (a failed one is wiped). */
	s = buf_alloc_unfilled(m, &m->stream, (uint64_t)h->block_count * bs, "decrypted model",
			       msg, msg_size);
	if (s != CDL_OK)
		return s;
	/* Block 0 is in scratch already. */
	memcpy(m->stream.ptr, m->scratch.ptr, bs);
	for (uint32_t i = 1; i < h->block_count; i++) {
		s = cdl_pkg_read_block(m->reader, i, m->stream.ptr + (size_t)i * bs, bs, msg,
				       msg_size);
		if (s != CDL_OK)
			return s;
		m->decrypted += bs;
	}
	s = parse_plan(m, m->stream.ptr, (size_t)h->stream_len, false,
		       parse_estimate(pp, m->stream.ptr, h->stream_len), msg, msg_size);
	if (s != CDL_OK)
		return s;
	m->weights_size = m->plan->weights_size;
	return create_engine(m, NULL, msg, msg_size);
}

/* Undoes a resident attempt that ran out of secure memory (auto falls back). */
static void drop_resident(cdl_ta_model *m)
{
	m->engine = NULL;
	m->plan = NULL;
	buf_free(m, &m->engine_mem);
	buf_free(m, &m->parse);
	buf_free(m, &m->stream);
}

/*
 * The least budget with which the engine can stream this plan (what
 * cdl_engine_options_for_budget accepts), found by doubling and bisection:
 * the engine says only that a budget is too small, not by how much.
 */
static size_t engine_minimum(cdl_ta_model *m, size_t too_small)
{
	cdl_engine_options o;
	size_t lo = too_small, hi = too_small > 4096 ? too_small : 4096, bytes = 0;

	for (;;) {
		if (hi > SIZE_MAX / 2)
			return SIZE_MAX;
		hi *= 2;
		if (cdl_engine_options_for_budget(m->plan, hi, fetch_weights, m, &o, &bytes, NULL,
						  0) == CDL_OK)
			break;
		lo = hi;
	}
	while (hi - lo > 4096) {
		size_t mid = lo + (hi - lo) / 2;

		if (cdl_engine_options_for_budget(m->plan, mid, fetch_weights, m, &o, &bytes, NULL,
						  0) == CDL_OK)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/*
 * Explicit stream mode is the smallest footprint (DESIGN §6.2: peak about
 * A + one tile): nothing resident and one activation arena. Batch arenas
 * would lower what a batch decrypts per item, but each costs a whole arena
 * for the model's life; auto mode weighs that (cdl_engine_options_for_budget_batch),
 * stream mode does not spend it. A multi-item RUN still decrypts each block
 * about once when the heap has room for the TA's batch cache.
 * *bytes: what the engine will take.
 */
static void stream_only(const cdl_ta_model *m, cdl_engine_options *o, size_t *bytes)
{
	size_t need = 0;

	o->resident_budget = 0;
	o->max_batch = 1;
	if (cdl_engine_memory_needed_ex(m->plan, o, &need, NULL, 0) == CDL_OK)
		*bytes = need;
}

/*
 * Stream: only the plan's tables are decrypted now; the engine fetches
 * weights through fetch_weights. In auto mode (fall back from resident) the
 * engine keeps what the budget allows resident (fetched here, at create) and
 * streams the rest; in stream mode it keeps only what it must (tiny and
 * shape constants) and streams every layer's weights. Either way it is sized
 * for batches of WANT_BATCH items (m->chunk: the max_batch it got).
 */
static cdl_status open_stream(cdl_ta_model *m, char *msg, size_t msg_size, const plan_peek *pp,
			      bool pure, uint64_t reserve)
{
	const cdl_pkg_header *h = &m->hdr;
	size_t first = h->stream_len < h->block_size ? (size_t)h->stream_len : h->block_size;
	size_t tables_size = 0, heap_size = 0, heap_used = 0, budget = 0, bytes = 0;
	uint64_t estimate = 0, more = 0;
	uint32_t want = WANT_BATCH;
	ta_buf tables;
	cdl_engine_options opts;
	cdl_status s = CDL_OK;

	memset(&tables, 0, sizeof(tables));
	memset(&opts, 0, sizeof(opts));
	s = cdl_plan_tables_size(m->scratch.ptr, first, &tables_size, NULL, 0);
	if (s != CDL_OK)
		return plan_refused(s, msg, msg_size);
	m->weights_off = pp->sec_off[SEC_WEIGHTS];
	m->weights_size = pp->sec_size[SEC_WEIGHTS];
	if (m->weights_off > h->stream_len || m->weights_size > h->stream_len - m->weights_off)
		return plan_refused(CDL_ERR_MALFORMED, msg, msg_size);
	/*
	 * The parsed tables stay, the decrypted copy goes: allocated in that
	 * order, the copy's bytes rejoin the free end of the heap instead of
	 * leaving a hole the engine's one large block cannot use.
	 */
	estimate = parse_estimate(pp, m->scratch.ptr, first);
	s = buf_alloc(m, &m->parse, estimate, "plan tables", msg, msg_size);
	if (s == CDL_OK)
		s = buf_alloc(m, &tables, tables_size, "plan tables", msg, msg_size);
	if (s != CDL_OK)
		goto out;
	/* The cache starts with scratch, holding block 0 (decrypted by open()). */
	m->n_cache = 1;
	m->cache[0].buf = &m->scratch;
	m->cache[0].block = 0;
	m->cache[0].valid = true;
	s = read_stream(m, 0, tables_size, tables.ptr);
	if (s != CDL_OK) {
		cdl_snprintf(msg, msg_size, "%s", m->fetch_msg);
		goto out;
	}
	s = parse_plan(m, tables.ptr, tables_size, true, estimate, msg, msg_size);
	/* The parse copied what it keeps. */
	buf_free(m, &tables);
	if (s != CDL_OK)
		goto out;
	if (m->plan->weights_size != m->weights_size) {
		s = plan_refused(CDL_ERR_MALFORMED, msg, msg_size);
		goto out;
	}

	/*
	 * A chunk's tensors (80 bytes a tensor), before the engine takes the
	 * rest, and before the second cache block, which may be given back.
	 */
	s = buf_alloc(m, &m->io,
		      (uint64_t)WANT_BATCH * ((uint64_t)m->plan->n_inputs + m->plan->n_outputs) *
			  sizeof(cdl_tensor),
		      "batch tensors", msg, msg_size);
	if (s != CDL_OK)
		goto out;

	/*
	 * The engine's share: what the heap has free now, less what open still
	 * allocates (top-k / label: the outputs of a chunk of up to want items,
	 * one of them in reserve already).
	 */
	if (h->policy.output_mode != CDL_PKG_OUTPUT_FULL)
		more = sat_mul(want - 1, m->out_stride);
	m->reserve_after_engine = sat_add(reserve, more);
	for (int attempt = 0;; attempt++) {
		cdl_tee_heap_stats(&heap_size, &heap_used, NULL);
		if (attempt == 0)
			budget = heap_size - heap_used > sat_add(reserve, more)
				     ? heap_size - heap_used - sat_add(reserve, more)
				     : 0;
		s = cdl_engine_options_for_budget_batch(m->plan, budget, want, fetch_weights, m,
							&opts, &bytes, NULL, 0);
		if (s == CDL_ERR_SECURE_MEMORY && attempt == 0 && m->n_cache == 2) {
			m->n_cache = 1;
			m->cache[1].valid = false;
			buf_free(m, &m->scratch2);
			attempt--;
			continue;
		}
		if (s == CDL_ERR_SECURE_MEMORY && attempt == 0 && more) {
			/* Not even one item with room for a chunk's outputs: no batches. */
			want = 1;
			more = 0;
			attempt--;
			continue;
		}
		if (s == CDL_ERR_SECURE_MEMORY && attempt == 0) {
			uint64_t need =
			    sat_add(sat_add(m->held, reserve), engine_minimum(m, budget));

			s = fail_budget(m, need, "activations", msg, msg_size);
			break;
		}
		if (s != CDL_OK) {
			if (attempt == 0)
				s = plan_refused(s, msg, msg_size);
			break;
		}
		if (pure)
			stream_only(m, &opts, &bytes);
		s = create_engine(m, &opts, msg, msg_size);
		if (s != CDL_ERR_SECURE_MEMORY || attempt == 8)
			break;
		/*
		 * The heap had the bytes, not in one piece: ask for less (a
		 * smaller stream buffer, fewer resident weights) and try again.
		 */
		m->engine = NULL;
		buf_free(m, &m->engine_mem);
		m->fetch_msg[0] = '\0';
		budget = bytes / 4 * 3;
	}
	/*
	 * A second cache block, from what the engine left: a tiled node
	 * alternates between the weight rows of consecutive tiles and other
	 * constants; with two entries each block is decrypted about once per
	 * run, with one (and read_stream's copy of small reads) about 1.1
	 * times. At a 4 MiB heap the engine's stream buffer is worth more
	 * (resnet18: 129 -> 193 KiB, 46 -> 40 ms a run).
	 */
	if (s == CDL_OK) {
		char ignored[8];

		cdl_tee_heap_stats(&heap_size, &heap_used, NULL);
		if (heap_size - heap_used >
			sat_add(sat_add(reserve, more), 2 * (uint64_t)h->block_size) &&
		    buf_alloc(m, &m->scratch2, h->block_size, "block cache", ignored,
			      sizeof(ignored)) == CDL_OK) {
			m->cache[1].buf = &m->scratch2;
			m->n_cache = 2;
		}
	}
	if (s == CDL_OK) {
		cdl_engine_stats es;

		cdl_engine_get_stats(m->engine, &es);
		m->chunk = es.max_batch < want ? es.max_batch : want;
		if (m->chunk < 1)
			m->chunk = 1;
	}
out:
	buf_free(m, &tables);
	return s;
}

cdl_status cdl_ta_model_open(const cdl_ta_device_key *dev, const uint8_t *pkg, size_t pkg_len,
			     uint32_t mode, cdl_ta_model **out, char *msg, size_t msg_size)
{
	const uint64_t t0 = now_us();
	cdl_ta_model *m = NULL;
	const cdl_pkg_header *h = NULL;
	size_t heap_size = 0, heap_used = 0;
	uint64_t avail = 0, reserve = 0, parse_need = 0, base_need = 0, resident_need = 0;
	size_t first = 0;
	plan_peek pp;
	cdl_status s = CDL_OK;

	*out = NULL;
	if (msg && msg_size)
		msg[0] = '\0';
	if (mode != CDL_TA_MODE_AUTO && mode != CDL_TA_MODE_RESIDENT &&
	    mode != CDL_TA_MODE_STREAM) {
		cdl_snprintf(msg, msg_size, "failed to load model: unknown mode %u", mode);
		return CDL_ERR_INVALID_ARGUMENT;
	}
	cdl_tee_heap_stats(&heap_size, &heap_used, NULL);
	avail = heap_size > heap_used ? heap_size - heap_used : 0;

	m = TEE_Malloc(sizeof(*m), TEE_MALLOC_FILL_ZERO);
	if (!m) {
		char need_s[24], budget_s[24];

		cdl_snprintf(
		    msg, msg_size,
		    "failed to load model: needs at least %s MiB of secure memory (for its "
		    "state), budget is %s MiB (%s)",
		    mib(need_s, sizeof(need_s), sizeof(*m), true),
		    mib(budget_s, sizeof(budget_s), heap_size, false),
		    heap_used > 64 * 1024 ? "other models hold the rest" : "full");
		return CDL_ERR_SECURE_MEMORY;
	}
	m->held = sizeof(*m);
	m->chunk = 1;
	m->heap_budget = heap_size;
	m->heap_used0 = heap_used;
	s = cdl_ta_crypto_init(&m->crypto, dev);
	if (s != CDL_OK) {
		cdl_snprintf(msg, msg_size, "failed to load model: cannot set up the TEE's crypto");
		goto fail;
	}
	/* The reader holds a trusted copy of the header: ~23 KiB, not on the stack. */
	s = buf_alloc(m, &m->reader_mem, sizeof(cdl_pkg_reader), "package reader", msg, msg_size);
	if (s != CDL_OK)
		goto fail;
	m->reader = (cdl_pkg_reader *)(void *)m->reader_mem.ptr;
	s = cdl_pkg_open(pkg, pkg_len, &m->crypto.crypto, m->reader, msg, msg_size);
	if (s != CDL_OK)
		goto fail;
	/* Bound to the OPEN memref, for this call only. */
	m->bound = true;
	m->hdr = *cdl_pkg_reader_header(m->reader);
	h = &m->hdr;

	s = cdl_ta_policy_check_expiry(h, msg, msg_size);
	if (s != CDL_OK)
		goto fail;
	s = cdl_ta_policy_queries_left(h, &m->queries_left);
	if (s != CDL_OK) {
		cdl_snprintf(
		    msg, msg_size,
		    "failed to load model: cannot read its query count from secure storage");
		goto fail;
	}
	if (m->queries_left == 0) {
		cdl_snprintf(msg, msg_size,
			     "failed to load model: its query budget (%llu queries) is used up",
			     (unsigned long long)h->policy.max_queries);
		s = CDL_ERR_QUERY_BUDGET;
		goto fail;
	}
	s = cdl_ta_policy_check_outputs(h, msg, msg_size);
	if (s == CDL_OK)
		s = layout_io(m, msg, msg_size);
	if (s != CDL_OK)
		goto fail;

	/* Block 0 starts with the plan header: the sizes the mode depends on. */
	s = buf_alloc(m, &m->scratch, h->block_size, "decryption buffer", msg, msg_size);
	if (s != CDL_OK)
		goto fail;
	s = cdl_pkg_read_block(m->reader, 0, m->scratch.ptr, m->scratch.size, msg, msg_size);
	if (s != CDL_OK)
		goto fail;
	m->decrypted = h->block_size;
	first = h->stream_len < h->block_size ? (size_t)h->stream_len : h->block_size;
	s = peek_plan(m->scratch.ptr, first, &pp, msg, msg_size);
	if (s != CDL_OK)
		goto fail;

	/*
	 * The budget: what the heap has free now (other models may hold some).
	 * Every mode needs what the model holds so far, the plan tables and the
	 * activation arena (base_need; the engine may cap its workspace when
	 * streaming). Resident needs the whole decrypted stream and the full
	 * workspace besides. Top-k / label reserve their output buffers.
	 */
	if (h->policy.output_mode != CDL_PKG_OUTPUT_FULL)
		reserve = sat_add(m->out_stride, (m->out_item < 8 ? 8 : m->out_item));
	reserve = sat_add(reserve, 8 * ALLOC_SLACK);
	parse_need = parse_estimate(&pp, m->scratch.ptr, first);
	base_need = sat_add(sat_add(m->held, reserve), sat_add(parse_need, pp.arena));
	resident_need =
	    sat_add(sat_add(m->held, reserve), sat_add(parse_need, engine_estimate(&pp)));
	resident_need = sat_add(resident_need, sat_mul(h->block_count, h->block_size));
	if (base_need > avail) {
		s = fail_budget(m, base_need, "activations", msg, msg_size);
		goto fail;
	}
	if (mode == CDL_TA_MODE_RESIDENT && resident_need > avail) {
		char w_s[24], what[96];

		cdl_snprintf(what, sizeof(what),
			     "activations and its %s MiB of weights (resident mode)",
			     mib(w_s, sizeof(w_s), pp.sec_size[SEC_WEIGHTS], true));
		s = fail_budget(m, resident_need, what, msg, msg_size);
		goto fail;
	}
	m->reserve_after_engine = reserve;
	if (mode == CDL_TA_MODE_RESIDENT || (mode == CDL_TA_MODE_AUTO && resident_need <= avail)) {
		m->mode = CDL_TA_MODE_RESIDENT;
		s = open_resident(m, msg, msg_size, &pp);
		if (s == CDL_ERR_SECURE_MEMORY && mode == CDL_TA_MODE_AUTO) {
			/* The estimate was short (a fragmented heap): stream instead. */
			drop_resident(m);
			m->decrypted = h->block_size;
			if (msg && msg_size)
				msg[0] = '\0';
		} else if (s != CDL_OK) {
			goto fail;
		}
	}
	if (!m->engine) {
		m->mode = CDL_TA_MODE_STREAM;
		s = open_stream(m, msg, msg_size, &pp, mode == CDL_TA_MODE_STREAM, reserve);
		if (s != CDL_OK)
			goto fail;
	}
	s = check_plan_io(m, msg, msg_size);
	if (s != CDL_OK)
		goto fail;
	if (h->policy.output_mode != CDL_PKG_OUTPUT_FULL) {
		s = buf_alloc(m, &m->outbuf, sat_mul(m->chunk, m->out_stride), "outputs", msg,
			      msg_size);
		if (s == CDL_OK)
			s = buf_alloc(m, &m->policy, m->out_item < 8 ? 8 : m->out_item,
				      "output policy", msg, msg_size);
		if (s != CDL_OK)
			goto fail;
	}
	if (m->mode == CDL_TA_MODE_RESIDENT) {
		/* Nothing more to decrypt: drop the content key now. */
		cdl_pkg_close(m->reader);
		m->reader = NULL;
		buf_free(m, &m->reader_mem);
		buf_free(m, &m->scratch);
	}
	unbind_package(m);
	m->decrypted_last_run = 0;
	m->open_time_us = now_us() - t0;
	*out = m;
	return CDL_OK;
fail:
	cdl_ta_model_close(m);
	return s;
}

void cdl_ta_model_close(cdl_ta_model *m)
{
	if (!m)
		return;
	/* Engine and plan live in these buffers: nothing else to tear down. */
	buf_free(m, &m->policy);
	buf_free(m, &m->outbuf);
	buf_free(m, &m->engine_mem);
	buf_free(m, &m->io);
	buf_free(m, &m->parse);
	buf_free(m, &m->stream);
	buf_free(m, &m->scratch2);
	buf_free(m, &m->scratch);
	if (m->reader)
		cdl_pkg_close(m->reader);
	buf_free(m, &m->reader_mem);
	cdl_ta_crypto_fini(&m->crypto);
	TEE_MemFill(m, 0, sizeof(*m));
	TEE_Free(m);
}

/* ---- run ----------------------------------------------------------------- */

uint32_t cdl_ta_model_mode(const cdl_ta_model *m)
{
	return m->mode;
}

bool cdl_ta_model_needs_package(const cdl_ta_model *m)
{
	return m->mode == CDL_TA_MODE_STREAM;
}

void cdl_ta_model_item_bytes(const cdl_ta_model *m, size_t *in_bytes, size_t *out_bytes)
{
	*in_bytes = m->in_item;
	*out_bytes = m->out_item;
}

cdl_status cdl_ta_model_run(cdl_ta_model *m, uint32_t n, const uint8_t *in, uint8_t *out,
			    const uint8_t *pkg, size_t pkg_len, char *msg, size_t msg_size)
{
	const uint64_t t0 = now_us();
	const cdl_plan *p = m->plan;
	const bool full = m->hdr.policy.output_mode == CDL_PKG_OUTPUT_FULL;
	cdl_tensor one_in[CDL_PKG_MAX_IO], one_out[CDL_PKG_MAX_IO];
	cdl_tensor *inputs = one_in, *outputs = one_out;
	uint32_t c = 0;
	cdl_status s = CDL_OK;

	if (msg && msg_size)
		msg[0] = '\0';
	m->fetch_msg[0] = '\0';
	s = cdl_ta_policy_check_expiry(&m->hdr, msg, msg_size);
	if (s != CDL_OK)
		return s;
	if (cdl_ta_model_needs_package(m)) {
		s = bind_package(m, pkg, pkg_len, msg, msg_size);
		if (s != CDL_OK)
			return s;
	}
	/* Counted (and written to storage) before any output leaves the TA. */
	s = cdl_ta_policy_consume(&m->hdr, n, &m->queries_left);
	if (s != CDL_OK) {
		if (s == CDL_ERR_QUERY_BUDGET)
			cdl_snprintf(msg, msg_size,
				     "failed to run model: %u queries asked, %llu of its budget of "
				     "%llu left",
				     n, (unsigned long long)m->queries_left,
				     (unsigned long long)m->hdr.policy.max_queries);
		goto out;
	}
	m->decrypted = 0;
	if (m->chunk > 1) {
		inputs = (cdl_tensor *)(void *)m->io.ptr;
		outputs = inputs + (size_t)m->chunk * p->n_inputs;
	}
	if (n > m->chunk && cdl_ta_model_needs_package(m))
		batch_begin(m);
	/*
	 * Chunks of up to m->chunk items (stream mode; resident: one at a time),
	 * each one cdl_engine_run_batch: every streamed weight is decrypted once
	 * per chunk (DESIGN §6.3).
	 */
	for (uint32_t first = 0; first < n; first += c) {
		c = n - first < m->chunk ? n - first : m->chunk;
		for (uint32_t b = 0; b < c; b++) {
			/*
			 * Inputs are read straight from shared memory: the engine's
			 * first step copies each input into its arena (TA memory),
			 * reading every byte once, and nothing parses them. Full
			 * outputs are written straight to shared memory at the end of
			 * the run, as the policy releases them anyway; top-k and label
			 * go through TA memory.
			 */
			const uint8_t *in_item = in + (size_t)(first + b) * m->in_item;
			uint8_t *out_item = out + (size_t)(first + b) * m->out_item;
			uint8_t *out_ta = m->outbuf.ptr + (size_t)b * m->out_stride;
			cdl_tensor *ti = inputs + (size_t)b * p->n_inputs;
			cdl_tensor *to = outputs + (size_t)b * p->n_outputs;

			for (uint32_t i = 0; i < p->n_inputs; i++) {
				ti[i] = p->tensors[p->inputs[i]].desc;
				ti[i].data = (void *)(in_item + m->in_off[i]);
			}
			for (uint32_t i = 0; i < p->n_outputs; i++) {
				memset(&to[i], 0, sizeof(to[i]));
				to[i].data =
				    full ? out_item + m->out_off[i] : out_ta + m->out_off[i];
			}
		}
		if (c == 1)
			s = cdl_engine_run(m->engine, inputs, p->n_inputs, outputs, p->n_outputs,
					   msg, msg_size);
		else
			s = cdl_engine_run_batch(m->engine, c, inputs, p->n_inputs, outputs,
						 p->n_outputs, msg, msg_size);
		if (s != CDL_OK) {
			if (m->fetch_msg[0])
				cdl_snprintf(msg, msg_size, "%s", m->fetch_msg);
			goto out;
		}
		for (uint32_t b = 0; b < c && !full; b++) {
			cdl_ta_policy_apply(
			    &m->hdr,
			    (const float *)(void *)(m->outbuf.ptr + (size_t)b * m->out_stride),
			    m->numel0, m->policy.ptr);
			memcpy(out + (size_t)(first + b) * m->out_item, m->policy.ptr, m->out_item);
		}
	}
	m->runs++;
out:
	/* No plaintext of this call's outputs stays behind for the next one. */
	if (!full) {
		TEE_MemFill(m->outbuf.ptr, 0, m->outbuf.size);
		TEE_MemFill(m->policy.ptr, 0, m->policy.size);
	}
	batch_end(m);
	unbind_package(m);
	m->decrypted_last_run = m->decrypted;
	m->run_time_us = now_us() - t0;
	return s;
}

/* ---- stats and info ------------------------------------------------------- */

void cdl_ta_model_stats(const cdl_ta_model *m, struct cdl_ta_stats *st)
{
	size_t heap_size = 0, peak = 0;
	uint64_t left = m->queries_left;

	memset(st, 0, sizeof(*st));
	cdl_tee_heap_stats(&heap_size, NULL, &peak);
	/* Other sessions may have used the same package since. */
	if (cdl_ta_policy_queries_left(&m->hdr, &left) != CDL_OK)
		left = m->queries_left;
	st->mode = m->mode;
	st->heap_budget = heap_size;
	st->heap_peak = peak;
	st->model_bytes = m->held;
	st->arena_bytes = m->plan->arena_size;
	st->weight_bytes = m->plan->weights_size;
	st->resident_bytes = m->mode == CDL_TA_MODE_RESIDENT ? m->plan->weights_size : 0;
	if (m->mode == CDL_TA_MODE_STREAM) {
		cdl_engine_stats es;

		cdl_engine_get_stats(m->engine, &es);
		st->resident_bytes = es.resident_bytes;
		st->tiled_layers = es.tiled_nodes;
	}
	st->decrypted_last_run = m->decrypted_last_run;
	st->runs = m->runs;
	st->queries_left = left;
	st->run_time_us = m->run_time_us;
	st->open_time_us = m->open_time_us;
	{
		cdl_engine_stats es;

		cdl_engine_get_stats(m->engine, &es);
		st->workers = es.workers;
	}
}

static void tensor_info(struct cdl_ta_tensor_info *out, const cdl_pkg_tensor_info *t)
{
	size_t len = strlen(t->name);

	if (len > CDL_TA_NAME_LEN - 1)
		len = CDL_TA_NAME_LEN - 1;
	memset(out, 0, sizeof(*out));
	memcpy(out->name, t->name, len);
	out->dtype = t->dtype;
	out->rank = t->rank;
	for (uint8_t i = 0; i < t->rank && i < CDL_TA_MAX_RANK; i++)
		out->dims[i] = t->dims[i];
}

void cdl_ta_model_info(const cdl_ta_model *m, struct cdl_ta_model_info *info)
{
	const cdl_pkg_header *h = &m->hdr;

	memset(info, 0, sizeof(*info));
	memcpy(info->model_id, h->model_id, sizeof(info->model_id));
	memcpy(info->provider_key_id, h->provider_key_id, sizeof(info->provider_key_id));
	info->output_mode = h->policy.output_mode;
	info->topk = h->policy.topk;
	info->max_queries = h->policy.max_queries;
	info->expires = h->policy.expiry;
	info->n_inputs = h->n_inputs;
	info->n_outputs = h->n_outputs;
	for (uint16_t i = 0; i < h->n_inputs && i < CDL_TA_MAX_IO; i++)
		tensor_info(&info->inputs[i], &h->inputs[i]);
	for (uint16_t i = 0; i < h->n_outputs && i < CDL_TA_MAX_IO; i++)
		tensor_info(&info->outputs[i], &h->outputs[i]);
}
