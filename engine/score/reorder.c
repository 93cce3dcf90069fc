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

struct dn__reorder {
    int64_t lateness_ms;
    int64_t max_ts;
    bool has_max;
    uint64_t seq;
    dn__reorder_item *heap;
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
        dn_event_free(r->heap[i].ev);
    free(r->heap);
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

static bool before(const dn__reorder_item *a, const dn__reorder_item *b)
{
    return a->ts_ms < b->ts_ms || (a->ts_ms == b->ts_ms && a->seq < b->seq);
}

static void sift_up(dn__reorder *r, uint64_t i)
{
    dn__reorder_item x = r->heap[i];
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
    dn__reorder_item x = r->heap[i];
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
        dn__reorder_item *nh = realloc(r->heap, ncap * sizeof(*nh));
        if (!nh)
            goto fail;
        r->heap = nh;
        r->cap = ncap;
    }
    if (dn_event_clone(ev, &copy) != 0)
        goto fail;
    r->seq++;
    r->max_ts = max_ts;
    r->has_max = true;
    r->heap[r->count] = (dn__reorder_item){copy, ev->ts_ms, amount_base_minor, seq, {0}};
    if (hs)
        r->heap[r->count].hs = *hs;
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
    *out = r->heap[0];
    r->heap[0] = r->heap[--r->count];
    if (r->count)
        sift_down(r, 0);
    return true;
}
