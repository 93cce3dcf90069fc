/*
 * dedupe.c - "have we seen this event id lately?" in fixed memory, by event time.
 *
 * An id is reduced to a keyed 64-bit hash (the key is chosen by the caller, so ids cannot be
 * crafted to collide); a false duplicate needs a 64-bit collision within the horizon. Entries are
 * (hash, ts) in an open-addressing table with linear probing and backward-shift deletion (no
 * tombstones), plus a ring in insertion order. The newest event time seen is the clock: an entry
 * whose ts is horizon or more behind it has expired and is removed from the head of the ring
 * (events arrive roughly in time order; one out of order only expires a little late). When the
 * ring is full the oldest entry is dropped and counted. One entry per hash: a later sighting of an
 * id outside the horizon refreshes its ts; a ring slot whose ts no longer matches is stale.
 */
#include "common/hash.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Expiry looks up the ring head's entry in the table: its slot is prefetched this many entries
 * before it is reached, so that the miss overlaps the events in between. */
#define EXPIRY_PREFETCH_AHEAD 8

typedef struct slot {
    uint64_t h; /* 0: empty */
    int64_t ts;
} slot;

struct dn__dedupe {
    int64_t horizon;
    uint64_t key;
    slot *table;
    size_t mask;
    slot *ring;
    size_t ring_cap, ring_head, ring_len;
    int64_t clock;
    bool has_clock;
    dn__dedupe_stats st;
};

/* Asks for transparent huge pages under [p, p + n): lookups land anywhere in the table, and with
 * 4 KiB pages nearly every one also misses the TLB. Only a hint; a kernel without it ignores it. */
static void advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    long ps = sysconf(_SC_PAGESIZE);
    uintptr_t page = ps > 0 ? (uintptr_t)ps : 4096;
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + n) & ~(page - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
}

int dn__dedupe_new(int64_t horizon_ms, size_t max_entries, uint64_t hash_key, dn__dedupe **out)
{
    dn__dedupe *d = calloc(1, sizeof(*d));
    if (!d)
        return DN_ENOMEM;
    if (max_entries == 0)
        max_entries = DN_DEDUPE_MAX_DEFAULT;
    size_t n = 16;
    while (n < max_entries * 2)
        n *= 2;
    d->horizon = horizon_ms > 0 ? horizon_ms : DN_DEDUPE_HORIZON_DEFAULT;
    d->key = hash_key;
    d->mask = n - 1;
    d->ring_cap = max_entries;
    d->table = calloc(n, sizeof(slot));
    d->ring = malloc(max_entries * sizeof(slot));
    if (!d->table || !d->ring) {
        dn__dedupe_free(d);
        return DN_ENOMEM;
    }
    advise_huge(d->table, n * sizeof(slot));
    advise_huge(d->ring, max_entries * sizeof(slot));
    *out = d;
    return 0;
}

void dn__dedupe_free(dn__dedupe *d)
{
    if (!d)
        return;
    free(d->table);
    free(d->ring);
    free(d);
}

uint64_t dn__dedupe_hash(const dn__dedupe *d, const char *id, size_t len)
{
    uint64_t h = dn__hash64_keyed(id, len, d->key);
    return h ? h : 1;
}

void dn__dedupe_prefetch(const dn__dedupe *d, uint64_t h)
{
    __builtin_prefetch(&d->table[h & d->mask]);
}

static slot *find(dn__dedupe *d, uint64_t h)
{
    for (size_t i = h & d->mask;; i = (i + 1) & d->mask) {
        if (d->table[i].h == h)
            return &d->table[i];
        if (d->table[i].h == 0)
            return NULL;
    }
}

static void table_remove(dn__dedupe *d, slot *s)
{
    size_t i = (size_t)(s - d->table);
    size_t j = i;
    for (;;) {
        j = (j + 1) & d->mask;
        if (d->table[j].h == 0)
            break;
        size_t home = d->table[j].h & d->mask;
        /* Move j back to i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            d->table[i] = d->table[j];
            i = j;
        }
    }
    d->table[i].h = 0;
}

/* Removes the ring head; its table entry too unless it was refreshed since. */
static void pop_oldest(dn__dedupe *d, uint64_t *counter)
{
    slot old = d->ring[d->ring_head];
    d->ring_head = (d->ring_head + 1) % d->ring_cap;
    d->ring_len--;
    slot *s = find(d, old.h);
    if (s && s->ts == old.ts) {
        table_remove(d, s);
        d->st.entries--;
        (*counter)++;
    }
}

/* |a - b| < horizon, without overflow. */
static bool within(int64_t a, int64_t b, int64_t horizon)
{
    uint64_t diff = a > b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;
    return diff < (uint64_t)horizon;
}

static void advance(dn__dedupe *d, int64_t ts)
{
    if (!d->has_clock || ts > d->clock) {
        d->clock = ts;
        d->has_clock = true;
    }
    while (d->ring_len > 0 && !within(d->ring[d->ring_head].ts, d->clock, d->horizon) &&
           d->ring[d->ring_head].ts < d->clock)
        pop_oldest(d, &d->st.expired);
    if (d->ring_len > EXPIRY_PREFETCH_AHEAD) {
        size_t at = d->ring_head + EXPIRY_PREFETCH_AHEAD;
        if (at >= d->ring_cap)
            at -= d->ring_cap;
        __builtin_prefetch(&d->table[d->ring[at].h & d->mask]);
    }
}

bool dn__dedupe_contains(dn__dedupe *d, const char *id, size_t len, int64_t ts_ms)
{
    return dn__dedupe_contains_hash(d, dn__dedupe_hash(d, id, len), ts_ms);
}

bool dn__dedupe_contains_hash(dn__dedupe *d, uint64_t h, int64_t ts_ms)
{
    advance(d, ts_ms);
    slot *s = find(d, h);
    return s && within(s->ts, ts_ms, d->horizon);
}

int dn__dedupe_insert(dn__dedupe *d, const char *id, size_t len, int64_t ts_ms)
{
    return dn__dedupe_insert_hash(d, dn__dedupe_hash(d, id, len), ts_ms);
}

int dn__dedupe_insert_hash(dn__dedupe *d, uint64_t h, int64_t ts_ms)
{
    advance(d, ts_ms);
    slot *s = find(d, h);
    if (s) {
        s->ts = ts_ms; /* refreshed: its older ring slot becomes stale */
    } else {
        if (d->ring_len == d->ring_cap)
            pop_oldest(d, &d->st.dropped);
        /* A stale ring head may still hold the ring full: drop stale ones too. */
        while (d->ring_len == d->ring_cap)
            pop_oldest(d, &d->st.dropped);
        size_t i = h & d->mask;
        while (d->table[i].h != 0)
            i = (i + 1) & d->mask;
        d->table[i] = (slot){h, ts_ms};
        d->st.entries++;
    }
    if (d->ring_len == d->ring_cap)
        pop_oldest(d, &d->st.dropped);
    d->ring[(d->ring_head + d->ring_len) % d->ring_cap] = (slot){h, ts_ms};
    d->ring_len++;
    return 0;
}

void dn__dedupe_stats_get(const dn__dedupe *d, dn__dedupe_stats *out)
{
    *out = d->st;
}
