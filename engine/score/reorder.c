/*
 * reorder.c - the reorder buffer: events held until the watermark passes them, released in
 * (ts, arrival sequence) order. See score.h for the contract.
 *
 * Held events are in one of two places: the run, a ring of events in (ts, seq) order that an
 * event joins at the end when it is not older than the run's newest (what a feed in time order
 * does every time: O(1), and the order of the next events is known exactly, for prefetching);
 * and a binary min-heap on (ts, seq) for the events that arrived out of order. Pop takes the
 * smaller of the run's head and the heap's top.
 *
 * Invariants: every held event has ts >= the watermark at its arrival; seq is the arrival
 * number among all pushes, so ties of ts go out in arrival order and the output order is a pure
 * function of the input order; the run is sorted by (ts, seq). max_ts only grows. The buffer
 * owns held copies; pop lends a copy to the caller until dn__reorder_done.
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
    dn__reorder_item *run; /* ring of run_cap (a power of two or 0) */
    uint64_t run_head, run_n, run_cap;
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
    for (uint64_t i = 0; i < r->run_n; i++)
        dn__reorder_done(r, r->run[(r->run_head + i) & (r->run_cap - 1)].ev);
    free(r->run);
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
    return r->count + r->run_n;
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

/* Room for one more item in the heap's arrays: false when memory ran out. */
static bool heap_room(dn__reorder *r)
{
    if (r->count < r->cap)
        return true;
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
        return false; /* what did grow stays grown; cap says what all three hold */
    for (uint64_t i = r->cap; i < ncap; i++) /* the new slots are free; none was before */
        r->free_slots[i - r->cap] = ncap - 1 - (i - r->cap);
    r->cap = ncap;
    return true;
}

/* Room for one more item at the run's end: false when memory ran out. */
static bool run_room(dn__reorder *r)
{
    if (r->run_n < r->run_cap)
        return true;
    uint64_t ncap = r->run_cap ? r->run_cap * 2 : 64;
    dn__reorder_item *nr = malloc(ncap * sizeof(*nr));
    if (!nr)
        return false;
    for (uint64_t i = 0; i < r->run_n; i++) /* unwrapped: the head goes to 0 */
        nr[i] = r->run[(r->run_head + i) & (r->run_cap - 1)];
    free(r->run);
    r->run = nr;
    r->run_head = 0;
    r->run_cap = ncap;
    return true;
}

static const dn__reorder_item *run_at(const dn__reorder *r, uint64_t i)
{
    return &r->run[(r->run_head + i) & (r->run_cap - 1)];
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
    if (dn__reorder_held(r) == 0 && ev->ts_ms <= watermark_at(max_ts, r->lateness_ms)) {
        r->seq++;
        r->max_ts = max_ts;
        r->has_max = true;
        *verdict = DN__REORDER_NOW;
        return 0;
    }
    /* in order with the run (its newest is not newer): it joins the run, else the heap */
    bool in_run = r->run_n == 0 || run_at(r, r->run_n - 1)->ts_ms <= ev->ts_ms;
    if (!(in_run ? run_room(r) : heap_room(r)))
        goto fail;
    blk_hdr *blk = block_take(r, sizeof(blk_hdr) + dn_event_clone_size(ev));
    if (!blk)
        goto fail;
    dn_event *copy = dn_event_clone_into(ev, blk + 1);
    r->seq++;
    r->max_ts = max_ts;
    r->has_max = true;
    dn__reorder_item it = {copy, ev->ts_ms, amount_base_minor, seq, {0}};
    if (hs)
        it.hs = *hs;
    if (in_run) {
        r->run[(r->run_head + r->run_n++) & (r->run_cap - 1)] = it;
    } else {
        uint64_t slot = r->free_slots[r->cap - r->count - 1];
        r->items[slot] = it;
        r->heap[r->count] = (heap_key){ev->ts_ms, seq, slot};
        sift_up(r, r->count++);
    }
    *verdict = DN__REORDER_HELD;
    return 0;
fail:
    return rc;
}

/* Whether the next event comes from the run (else from the heap); held events exist. */
static bool next_is_run(const dn__reorder *r)
{
    if (r->count == 0)
        return true;
    if (r->run_n == 0)
        return false;
    const dn__reorder_item *a = run_at(r, 0);
    heap_key k = {a->ts_ms, a->seq, 0};
    return before(&k, &r->heap[0]);
}

const dn__reorder_item *dn__reorder_peek(const dn__reorder *r, uint64_t i)
{
    if (i >= dn__reorder_held(r))
        return NULL;
    if (r->count == 0)
        return run_at(r, i);
    /* events out of order are held: exact for the next one, a likely one after it */
    bool from_run = next_is_run(r);
    if (i == 0)
        return from_run ? run_at(r, 0) : &r->items[r->heap[0].slot];
    uint64_t j = from_run ? i : i - 1;
    return j < r->run_n ? run_at(r, j) : &r->items[r->heap[0].slot];
}

bool dn__reorder_pop(dn__reorder *r, bool drain, dn__reorder_item *out)
{
    if (dn__reorder_held(r) == 0)
        return false;
    bool from_run = next_is_run(r);
    int64_t ts = from_run ? run_at(r, 0)->ts_ms : r->heap[0].ts_ms;
    if (!drain && ts > dn__reorder_watermark(r))
        return false;
    if (from_run) {
        *out = *run_at(r, 0);
        r->run_head = (r->run_head + 1) & (r->run_cap - 1);
        r->run_n--;
        return true;
    }
    uint64_t slot = r->heap[0].slot;
    *out = r->items[slot];
    r->heap[0] = r->heap[--r->count];
    r->free_slots[r->cap - r->count - 1] = slot;
    if (r->count)
        sift_down(r, 0);
    return true;
}
