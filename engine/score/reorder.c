/*
 * reorder.c - the reorder buffer: events held until the watermark passes them, released in
 * (ts, arrival sequence) order. See score.h for the contract.
 *
 * Invariants: every held event has ts >= the watermark at its arrival; the heap is a binary
 * min-heap on (ts, seq) where seq is the arrival number among all pushes, so ties of ts go out
 * in arrival order and the output order is a pure function of the input order. max_ts only
 * grows. The buffer owns held copies; pop lends a copy to the caller until dn__reorder_done.
 *
 * Memory of the copies: each copy is one dn_event_clone_into block behind a small header. A
 * copy that fits in BLOCK_SIZE bytes (nearly all: a typical event is 300-500 bytes) takes a
 * block from a pool of slabs of SLAB_BLOCKS blocks; a bigger one is malloc'd on its own and
 * freed when done. Done blocks go on a free list and are reused last in, first out, so the
 * block a new copy lands in is the one just scored and still in cache. The pool grows a slab at
 * a time when the free list is empty and keeps its slabs until dn__reorder_free: its size is
 * bounded by the most events ever held at once (plus popped copies not yet done), rounded up
 * to a slab, like the heap and slot arrays beside it. It gives nothing back when the buffer
 * empties: a stream that is not late-heavy empties the buffer every few events, and freeing and
 * re-allocating a slab there would cost what the pool saves; the only drain is at end of input
 * (dn_engine_flush), just before the engine is freed anyway.
 *
 * Under AddressSanitizer, a block on the free list is poisoned (header included) and unpoisoned
 * when taken, so a use of a copy after dn__reorder_done is still reported, as it was with
 * malloc/free; a stale pointer into a block that has since been reused is not (as with any
 * pool).
 */
#include "score/score.h"

#include "common/poison.h"
#include "dragnet/error.h"

#include <stddef.h>
#include <stdlib.h>

#define BLOCK_SIZE  1024 /* header + copy */
#define SLAB_BLOCKS 64   /* 64 KiB a slab */

/* In front of every copy. 16 bytes, so the copy behind it keeps malloc's alignment. */
typedef struct blk_hdr {
    struct blk_hdr *next; /* on the free list: the next free block */
    uint64_t is_big;      /* malloc'd on its own, not in a slab */
} blk_hdr;

typedef union block {
    blk_hdr hdr;
    max_align_t align;
    unsigned char bytes[BLOCK_SIZE];
} block;

typedef struct slab {
    struct slab *next;
    block blocks[SLAB_BLOCKS];
} slab;

/* A heap entry: the order key and where the item is. Items stay put in a slot array (a free
 * list of slots beside it), so sifting moves 24 bytes, not whole items. */
typedef struct heap_key {
    int64_t ts_ms;
    uint64_t seq;
    uint64_t slot;
} heap_key;

struct dn__reorder {
    int64_t lateness_ms;
    int64_t max_ts;
    bool has_max;
    uint64_t seq;
    heap_key *heap;
    dn__reorder_item *items; /* cap slots */
    uint64_t *free_slots;    /* cap - count of them */
    uint64_t count, cap;
    blk_hdr *free_blocks; /* LIFO; poisoned under ASan */
    slab *slabs;
};

int dn__reorder_new(int64_t lateness_ms, dn__reorder **out)
{
    *out = NULL;
    if (lateness_ms < 0)
        return DN_EINVAL;
    dn__reorder *r = calloc(1, sizeof(*r));
    if (!r)
        return DN_ENOMEM;
    r->lateness_ms = lateness_ms;
    r->max_ts = INT64_MIN;
    *out = r;
    return 0;
}

/* Takes a block of size bytes (header included) for a copy, or NULL. */
static blk_hdr *block_take(dn__reorder *r, size_t size)
{
    blk_hdr *h;
    if (size > BLOCK_SIZE) {
        if (!(h = malloc(size)))
            return NULL;
        h->is_big = 1;
        return h;
    }
    if (!r->free_blocks) {
        slab *s = malloc(sizeof(*s));
        if (!s)
            return NULL;
        s->next = r->slabs;
        r->slabs = s;
        for (uint32_t i = SLAB_BLOCKS; i-- > 0;) { /* block 0 on top */
            blk_hdr *b = &s->blocks[i].hdr;
            b->next = r->free_blocks;
            r->free_blocks = b;
            DN_POISON(b, BLOCK_SIZE);
        }
    }
    h = r->free_blocks;
    DN_UNPOISON(h, BLOCK_SIZE);
    r->free_blocks = h->next;
    h->is_big = 0;
    return h;
}

void dn__reorder_done(dn__reorder *r, dn_event *ev)
{
    if (!ev)
        return;
    blk_hdr *h = (blk_hdr *)ev - 1; /* the copy sits right behind its header */
    if (h->is_big) {
        free(h);
        return;
    }
    h->next = r->free_blocks;
    r->free_blocks = h;
    DN_POISON(h, BLOCK_SIZE);
}

void dn__reorder_free(dn__reorder *r)
{
    if (!r)
        return;
    for (uint64_t i = 0; i < r->count; i++)
        dn__reorder_done(r, r->items[r->heap[i].slot].ev);
    while (r->slabs) {
        slab *s = r->slabs;
        r->slabs = s->next;
        DN_UNPOISON(s->blocks, sizeof(s->blocks));
        free(s);
    }
    free(r->heap);
    free(r->items);
    free(r->free_slots);
    free(r);
}

static int64_t watermark_at(int64_t max_ts, int64_t lateness)
{
    return max_ts < INT64_MIN + lateness ? INT64_MIN : max_ts - lateness;
}

int64_t dn__reorder_watermark(const dn__reorder *r)
{
    return r->has_max ? watermark_at(r->max_ts, r->lateness_ms) : INT64_MIN;
}

uint64_t dn__reorder_held(const dn__reorder *r)
{
    return r->count;
}

static bool before(const heap_key *a, const heap_key *b)
{
    return a->ts_ms < b->ts_ms || (a->ts_ms == b->ts_ms && a->seq < b->seq);
}

static void sift_up(dn__reorder *r, uint64_t i)
{
    heap_key x = r->heap[i];
    while (i > 0) {
        uint64_t p = (i - 1) / 2;
        if (!before(&x, &r->heap[p]))
            break;
        r->heap[i] = r->heap[p];
        i = p;
    }
    r->heap[i] = x;
}

static void sift_down(dn__reorder *r, uint64_t i)
{
    heap_key x = r->heap[i];
    for (;;) {
        uint64_t c = 2 * i + 1;
        if (c >= r->count)
            break;
        if (c + 1 < r->count && before(&r->heap[c + 1], &r->heap[c]))
            c++;
        if (!before(&r->heap[c], &x))
            break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    r->heap[i] = x;
}

int dn__reorder_push(dn__reorder *r, const dn_event *ev, int64_t amount_base_minor,
                     const dn__event_hashes *hs, dn__reorder_verdict *verdict)
{
    int rc = DN_ENOMEM;
    uint64_t seq = r->seq;
    if (r->has_max && ev->ts_ms < watermark_at(r->max_ts, r->lateness_ms)) {
        r->seq++;
        *verdict = DN__REORDER_LATE;
        return 0;
    }
    int64_t max_ts = r->has_max && r->max_ts > ev->ts_ms ? r->max_ts : ev->ts_ms;
    if (r->count == 0 && ev->ts_ms <= watermark_at(max_ts, r->lateness_ms)) {
        r->seq++;
        r->max_ts = max_ts;
        r->has_max = true;
        *verdict = DN__REORDER_NOW;
        return 0;
    }
    if (r->count == r->cap) {
        uint64_t ncap = r->cap ? r->cap * 2 : 64;
        heap_key *nh = realloc(r->heap, ncap * sizeof(*nh));
        if (nh)
            r->heap = nh;
        dn__reorder_item *ni = realloc(r->items, ncap * sizeof(*ni));
        if (ni)
            r->items = ni;
        uint64_t *nf = realloc(r->free_slots, ncap * sizeof(*nf));
        if (nf)
            r->free_slots = nf;
        if (!nh || !ni || !nf)
            goto fail; /* what did grow stays grown; cap says what all three hold */
        for (uint64_t i = r->cap; i < ncap; i++) /* the new slots are free; none was before */
            r->free_slots[i - r->cap] = ncap - 1 - (i - r->cap);
        r->cap = ncap;
    }
    blk_hdr *blk = block_take(r, sizeof(blk_hdr) + dn_event_clone_size(ev));
    if (!blk)
        goto fail;
    dn_event *copy = dn_event_clone_into(ev, blk + 1);
    r->seq++;
    r->max_ts = max_ts;
    r->has_max = true;
    uint64_t slot = r->free_slots[r->cap - r->count - 1];
    r->items[slot] = (dn__reorder_item){copy, ev->ts_ms, amount_base_minor, seq, {0}};
    if (hs)
        r->items[slot].hs = *hs;
    r->heap[r->count] = (heap_key){ev->ts_ms, seq, slot};
    sift_up(r, r->count++);
    *verdict = DN__REORDER_HELD;
    return 0;
fail:
    return rc;
}

const dn__reorder_item *dn__reorder_peek(const dn__reorder *r, uint64_t i)
{
    return i < r->count ? &r->items[r->heap[i].slot] : NULL;
}

bool dn__reorder_pop(dn__reorder *r, bool drain, dn__reorder_item *out)
{
    if (r->count == 0)
        return false;
    if (!drain && r->heap[0].ts_ms > dn__reorder_watermark(r))
        return false;
    uint64_t slot = r->heap[0].slot;
    *out = r->items[slot];
    r->heap[0] = r->heap[--r->count];
    r->free_slots[r->cap - r->count - 1] = slot;
    if (r->count)
        sift_down(r, 0);
    return true;
}
