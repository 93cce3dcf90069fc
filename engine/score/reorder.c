/*
 * reorder.c - the reorder buffer: events held until the watermark passes them, released in
 * (ts, arrival sequence) order. See score.h for the contract.
 *
 * Invariants: every held event has ts >= the watermark at its arrival; the heap is a binary
 * min-heap on (ts, seq) where seq is the arrival number among all pushes, so ties of ts go out
 * in arrival order and the output order is a pure function of the input order. max_ts only
 * grows. The buffer owns held copies; pop hands ownership to the caller.
 */
#include "score/score.h"

#include "dragnet/error.h"

#include <stdlib.h>

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

void dn__reorder_free(dn__reorder *r)
{
    if (!r)
        return;
    for (uint64_t i = 0; i < r->count; i++)
        dn_event_free(r->items[r->heap[i].slot].ev);
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
    dn_event *copy = NULL;
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
    if (dn_event_clone(ev, &copy) != 0)
        goto fail;
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
