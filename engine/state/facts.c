/*
 * facts.c - the fact array of an entity, observe(), the window aggregates and their event ids,
 * and the new_counterparty memory.
 *
 * Aggregates. count/sum/avg are maintained incrementally: each accumulator (see state_int.h)
 * keeps the running count and sum of its matching facts in [tail, end). observe() advances every
 * tail to the new fact's time, subtracting what leaves, before inserting; a query at a later time
 * than the entity's newest fact subtracts what would have left without mutating (queries take a
 * const state). max/min/distinct/pair_* scan the in-window facts: the window's first fact is
 * found by binary search (facts are in ts order), and the scan is bounded by
 * max_facts_per_entity. A monotonic deque per max/min slot would cost memory in every entity
 * for what is, for a realistic account (~10 facts a month), a scan of a few facts.
 *
 * Which facts a slot reads: dir matches when (fact dir & slot dir) != 0; a where-filter when
 * its bit is set in the fact; sum/avg/max/min/pair_sum/pair_max read only facts that carried an
 * amount (count and pair_count count every fact, sum treats a missing amount as 0 anyway, avg
 * divides by the number of facts with an amount); pair_* read facts whose counterparty hash is
 * the current event's (never when it is 0); distinct counts non-absent values (hash != 0).
 *
 * An entity kind whose plan has no slot keeps no facts at all: only what the observation needs
 * (first seen, opened, last times, the counterparty memory), hits and typology state.
 *
 * Queries at a time before the entity's newest fact (a late event) are answered at the newest
 * time: facts in state carry clamped times, so this is the window the incremental sums describe.
 */
#include "state/state_int.h"

#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

static inline int64_t cutoff_of(int64_t now, int64_t window)
{
    /* facts with ts <= cutoff have left the window (t - w, t] */
    return now < INT64_MIN + window ? INT64_MIN : now - window;
}

static void dsets_drop_first(dn__state *st, dn__entity *e);
static int dsets_observe(dn__state *st, dn__entity *e, int64_t now);
static void dsets_free(dn__state *st, dn__entity *e);

static inline uint64_t fact_filter_bits(const dn__state *st, const dn__entity *e,
                                        const dn__fact_core *f)
{
    return dn__fact_col(st, e, f, DN__COL_FILTER);
}

static inline bool acc_match(const dn__acc_spec *a, const dn__state *st, const dn__entity *e,
                             const dn__fact_core *f)
{
    if (!(f->flags & 3u & (unsigned)a->dir))
        return false;
    if (a->amount_only && !(f->flags & DN__FACT_HAS_AMOUNT))
        return false;
    return a->filter < 0 || ((fact_filter_bits(st, e, f) >> a->filter) & 1u);
}

/* The accumulators fact f feeds, into m[0..acc_words) (see dn__kind_layout). */
static inline void fact_accs(const dn__kind_layout *k, const dn__fact_core *f, uint64_t *m)
{
    uint32_t nw = k->acc_words;
    for (uint32_t w = 0; w < nw; w++)
        m[w] = k->acc_nofilt[w];
    if (k->acc_fbytes) {
        uint64_t fb;
        __builtin_memcpy(&fb, (const unsigned char *)f + k->col_off[DN__COL_FILTER], sizeof(fb));
        for (uint32_t j = 0; j < k->acc_fbytes; j++) {
            uint32_t b = (uint32_t)(fb >> (8 * k->acc_fpos[j])) & 0xffu;
            const uint64_t *t = k->acc_fbyte + ((size_t)j * 256 + b) * nw;
            for (uint32_t w = 0; w < nw; w++)
                m[w] |= t[w];
        }
    }
    const uint64_t *dir = k->acc_dir + (size_t)(f->flags & 7u) * nw;
    for (uint32_t w = 0; w < nw; w++)
        m[w] &= dir[w];
}

/* The same for a kind of at most 64 accumulators (acc_words 1), the usual case. */
static inline uint64_t fact_accs1(const dn__kind_layout *k, const dn__fact_core *f)
{
    uint64_t m = k->acc_nofilt[0];
    if (k->acc_fbytes) {
        uint64_t fb;
        __builtin_memcpy(&fb, (const unsigned char *)f + k->col_off[DN__COL_FILTER], sizeof(fb));
        for (uint32_t j = 0; j < k->acc_fbytes; j++)
            m |= k->acc_fbyte[(size_t)j * 256 + ((fb >> (8 * k->acc_fpos[j])) & 0xffu)];
    }
    return m & k->acc_dir[f->flags & 7u];
}

/* Accumulators 64 * w + i for each bit i of bits take (sign 1) or give back (sign -1) a fact of
 * this amount: those that keep a sum add it, those that keep a count count it. */
static inline void accs_apply(const dn__kind_layout *k, dn__entity *e, uint32_t w, uint64_t bits,
                              int64_t amount, int sign)
{
    int64_t *sums = dn__entity_sums(e) + 64 * w;
    for (uint64_t b = bits & k->sum_bits[w]; b; b &= b - 1)
        sums[__builtin_ctzll(b)] += sign * amount;
    uint32_t *counts = dn__entity_counts(e, k);
    int64_t at = 64 * (int64_t)w - k->cnt_from;
    for (uint64_t b = bits & k->cnt_bits[w]; b; b &= b - 1)
        counts[at + __builtin_ctzll(b)] += (uint32_t)sign;
}

/* The accumulators of window group g (all of them when g is win_count) that fact f feeds take
 * (sign 1) or give back (sign -1) the fact. */
static inline void accs_take(const dn__state *st, dn__entity *e, const dn__fact_core *f, uint32_t g,
                             int sign)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    uint32_t nw = k->acc_words;
    if (nw == 1) {
        uint64_t m;
        if (k->acc_shift) { /* kept in the fact when it went in */
            __builtin_memcpy(&m, (const unsigned char *)f + k->col_off[DN__COL_FILTER], sizeof(m));
            m >>= k->acc_shift;
        } else {
            m = fact_accs1(k, f);
        }
        accs_apply(k, e, 0, g < k->win_count ? m & k->win_bits[g] : m, f->amount, sign);
        return;
    }
    uint64_t *m = st->acc_mask;
    fact_accs(k, f, m);
    for (uint32_t w = 0; w < nw; w++)
        accs_apply(k, e, w, g < k->win_count ? m[w] & k->win_bits[(size_t)g * nw + w] : m[w],
                   f->amount, sign);
}

static void drop_oldest(dn__state *st, dn__entity *e)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    const dn__fact_core *f = dn__fact_at(st, e, e->first);
    dn__win *win = dn__entity_wins(e);
    for (uint32_t g = 0; g < k->win_count; g++) {
        if (win[g].tail != e->first)
            continue;
        uint32_t t = win[g].tail + 1;
        accs_take(st, e, f, g, -1);
        win[g].tail = t;
        if (t != e->end)
            win[g].tail_ts = dn__fact_at(st, e, t)->ts;
    }
    if (e->dsets)
        dsets_drop_first(st, e);
    e->first++;
    if (e->first == e->end) {
        /* empty: both arrays start over at their front, no move needed */
        e->base = e->first;
        e->ids_base = e->ids_head = e->ids_tail;
    } else {
        e->ids_head = dn__fact_at(st, e, e->first)->id_off;
    }
    st->stats.facts--;
}

/* Window group g, which has facts at or before cut: they leave it. */
static void advance_group(dn__state *st, dn__entity *e, dn__win *w, uint32_t g, int64_t cut,
                          int64_t now)
{
    uint32_t t = w->tail;
    int64_t tts;
    do {
        accs_take(st, e, dn__fact_at(st, e, t), g, -1);
        t++;
        tts = t != e->end ? dn__fact_at(st, e, t)->ts : now;
    } while (t != e->end && tts <= cut);
    w->tail = t;
    w->tail_ts = tts;
}

/* Every window moves to now, the time of the fact observe() is about to insert: its
 * accumulators give back the facts that leave it. An empty window starts at the new fact
 * (nobody reads an empty window's tail_ts before that). */
static void advance_accs(dn__state *st, dn__entity *e, int64_t now)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    dn__win *win = dn__entity_wins(e);
    if (k->win_count > 64) {
        for (uint32_t g = 0; g < k->win_count; g++) {
            int64_t cut = cutoff_of(now, k->wins[g].window_ms);
            if (win[g].tail == e->end)
                win[g].tail_ts = now;
            else if (win[g].tail_ts <= cut)
                advance_group(st, e, &win[g], g, cut, now);
        }
        return;
    }
    /* Which windows move, worked out first without branches: a window moves on about a quarter
     * of the events that reach it, at random, and a branch per window would be mispredicted. */
    uint64_t moving = 0;
    for (uint32_t g = 0; g < k->win_count; g++) {
        bool is_empty = win[g].tail == e->end;
        bool moves = !is_empty & (win[g].tail_ts <= cutoff_of(now, k->wins[g].window_ms));
        win[g].tail_ts = is_empty ? now : win[g].tail_ts;
        moving |= (uint64_t)moves << g;
    }
    for (; moving; moving &= moving - 1) {
        uint32_t g = (uint32_t)__builtin_ctzll(moving);
        advance_group(st, e, &win[g], g, cutoff_of(now, k->wins[g].window_ms), now);
    }
}

static uint32_t block_bytes(const dn__state *st, const dn__entity *e)
{
    return e->cap * st->kinds[e->kind].stride + e->ids_cap;
}

/* Moves the entity's facts and ids to a new block of at least ncap facts followed by nids_cap
 * id bytes (neither smaller than now), the live ones of each to the front of their region; what
 * the pool's block holds beyond that goes to the facts. A new block and a copy of the live
 * parts, not realloc, which would copy the dead parts too. */
static int block_resize(dn__state *st, dn__entity *e, uint32_t ncap, uint32_t nids_cap)
{
    uint32_t stride = st->kinds[e->kind].stride;
    uint64_t want = (uint64_t)ncap * stride + nids_cap;
    if (want > UINT32_MAX)
        return DN_ENOMEM;
    ncap += (dn__pool_size((uint32_t)want) - (uint32_t)want) / stride;
    size_t ids_at = (size_t)ncap * stride;
    uint32_t live = e->end - e->first, live_ids = e->ids_tail - e->ids_head;
    unsigned char *nb = dn__pool_alloc(st, (uint32_t)want);
    if (!nb)
        return DN_ENOMEM;
    if (live)
        memcpy(nb, dn__fact_at(st, e, e->first), (size_t)live * stride);
    if (live_ids)
        memcpy(nb + ids_at, e->ids + (e->ids_head - e->ids_base), live_ids);
    dn__pool_free(st, e->facts, block_bytes(st, e));
    e->base = e->first;
    e->ids_base = e->ids_head;
    e->facts = nb;
    e->ids = nids_cap ? (char *)nb + ids_at : NULL;
    e->cap = ncap;
    e->ids_cap = nids_cap;
    return 0;
}

/* Room for one fact at end, whose id is id_len bytes: move the live facts to the front when
 * that frees at least an eighth of the array (amortised: at most 8 fact copies per insert), else
 * grow it by half, and the ids with it to as many ids of the facts' mean length (so that the
 * ids seldom need a reallocation of their own). */
static int facts_room(dn__state *st, dn__entity *e, uint32_t id_len)
{
    if (e->end - e->base < e->cap)
        return 0;
    uint32_t stride = st->kinds[e->kind].stride;
    uint32_t live = e->end - e->first;
    if (live + 1 + e->cap / 8 > e->cap) {
        uint32_t ncap = e->cap < 2 ? 2 : e->cap + e->cap / 2;
        uint32_t id_bytes = e->ids_tail - e->ids_head + id_len;
        uint32_t nids = (uint32_t)(((uint64_t)id_bytes * ncap + live) / (live + 1));
        if (nids)
            nids += 1;
        if (nids < e->ids_cap)
            nids = e->ids_cap;
        int rc = block_resize(st, e, ncap, nids);
        if (rc)
            return rc;
    }
    if (e->first != e->base) {
        memmove(e->facts, dn__fact_at(st, e, e->first), (size_t)live * stride);
        e->base = e->first;
    }
    return 0;
}

/* Room for len id bytes at ids_tail, the same way; *off gets their absolute offset. */
static int ids_room(dn__state *st, dn__entity *e, uint32_t len, uint32_t *off)
{
    if (e->ids_tail - e->ids_base + len > e->ids_cap) {
        uint32_t live = e->ids_tail - e->ids_head;
        if (live + len + e->ids_cap / 8 > e->ids_cap) {
            uint32_t ncap = e->ids_cap + e->ids_cap / 2;
            uint32_t need = live + len + (live + len) / 8 + 1;
            if (ncap < need)
                ncap = need;
            if (ncap < 32)
                ncap = 32;
            int rc = block_resize(st, e, e->cap, ncap);
            if (rc)
                return rc;
        } else if (e->ids_head != e->ids_base) {
            memmove(e->ids, e->ids + (e->ids_head - e->ids_base), live);
            e->ids_base = e->ids_head;
        }
    }
    *off = e->ids_tail;
    e->ids_tail += len;
    return 0;
}

static void dsets_free(dn__state *st, dn__entity *e)
{
    if (e->dsets) {
        uint32_t n = st->kinds[e->kind].plan->agg_count;
        for (uint32_t s = 0; s < n; s++) {
            st->stats.bytes -= (size_t)e->dsets[s].cap * sizeof(dn__dset_entry);
            free(e->dsets[s].tab);
        }
        st->stats.bytes -= n * sizeof(*e->dsets);
        free(e->dsets);
        e->dsets = NULL;
    }
}

void dn__state_facts_free(dn__state *st, dn__entity *e)
{
    dsets_free(st, e);
    dn__pool_free(st, e->facts, block_bytes(st, e)); /* the ids are in the same block */
    e->facts = NULL;
    e->ids = NULL;
    e->cap = e->ids_cap = 0;
}

/* ---- new_counterparty memory ----
 *
 * Two shapes, told apart by the capacity. Up to CP_LINEAR_MAX entries: a plain array of
 * cp_count entries scanned linearly, grown by half (4, 6, 9, 13), so an account with ten
 * counterparties holds 13 entries. Beyond: an open-addressing table (linear probing, power-of-
 * two capacity >= 32, load <= 3/4). Either way, entries the memory forgot are purged in place
 * before the set grows, so a steady entity allocates nothing.
 */
#define CP_LINEAR_MAX 16

static inline uint32_t cp_slot(uint64_t h, uint32_t cap)
{
    return (uint32_t)((h * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static void cp_put(dn__cp_entry *t, uint32_t cap, uint64_t h, int64_t ts)
{
    uint32_t i = cp_slot(h, cap);
    while (t[i].h != 0 && t[i].h != h)
        i = (i + 1) & (cap - 1);
    t[i].h = h;
    t[i].ts = ts;
}

void dn__state_cps_free(dn__state *st, dn__entity *e)
{
    dn__pool_free(st, e->cps, e->cp_cap * (uint32_t)sizeof(dn__cp_entry));
    e->cps = NULL;
    e->cp_cap = e->cp_count = 0;
}

/* Drops entries older than the memory in place. Table shape: stale entries are emptied, then
 * every live entry is re-inserted in probe order starting after an empty slot, so each lands at
 * or before its old place and every probe chain stays whole. */
static void cps_purge(dn__entity *e, int64_t cut)
{
    if (e->cp_cap <= CP_LINEAR_MAX) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < e->cp_count; i++)
            if (e->cps[i].ts > cut)
                e->cps[n++] = e->cps[i];
        e->cp_count = n;
        return;
    }
    uint32_t mask = e->cp_cap - 1, empty = UINT32_MAX;
    for (uint32_t i = 0; i < e->cp_cap; i++) {
        if (e->cps[i].h != 0 && e->cps[i].ts <= cut) {
            e->cps[i].h = 0;
            e->cp_count--;
        }
        if (e->cps[i].h == 0 && empty == UINT32_MAX)
            empty = i;
    }
    for (uint32_t k = 1; empty != UINT32_MAX && k < e->cp_cap; k++) {
        uint32_t i = (empty + k) & mask;
        if (e->cps[i].h == 0)
            continue;
        dn__cp_entry x = e->cps[i];
        e->cps[i].h = 0;
        cp_put(e->cps, e->cp_cap, x.h, x.ts);
    }
}

static bool cps_full(const dn__entity *e)
{
    if (e->cp_cap <= CP_LINEAR_MAX)
        return e->cp_count == e->cp_cap;
    return (e->cp_count + 1) * 4 > e->cp_cap * 3;
}

/* Makes room for one more entry: purges what the memory forgot, and grows only when the live
 * entries alone fill the set. */
static int cps_make_room(dn__state *st, dn__entity *e, int64_t cut)
{
    if (e->cp_cap)
        cps_purge(e, cut);
    if (!cps_full(e))
        return 0;
    uint32_t ncap = e->cp_cap < 4 ? 4 : e->cp_cap + e->cp_cap / 2;
    if (ncap > CP_LINEAR_MAX) {
        ncap = e->cp_cap > CP_LINEAR_MAX ? e->cp_cap * 2 : 2 * CP_LINEAR_MAX;
        dn__cp_entry *nt = dn__pool_alloc(st, ncap * (uint32_t)sizeof(*nt));
        if (!nt)
            return DN_ENOMEM;
        memset(nt, 0, ncap * sizeof(*nt));
        uint32_t n = e->cp_cap <= CP_LINEAR_MAX ? e->cp_count : e->cp_cap;
        for (uint32_t i = 0; i < n; i++)
            if (e->cps[i].h != 0)
                cp_put(nt, ncap, e->cps[i].h, e->cps[i].ts);
        dn__pool_free(st, e->cps, e->cp_cap * (uint32_t)sizeof(*nt));
        e->cps = nt;
    } else {
        /* a new block and a copy, rather than realloc: see block_resize */
        dn__cp_entry *nt = dn__pool_alloc(st, ncap * (uint32_t)sizeof(*nt));
        if (!nt)
            return DN_ENOMEM;
        if (e->cp_count)
            memcpy(nt, e->cps, e->cp_count * sizeof(*nt));
        dn__pool_free(st, e->cps, e->cp_cap * (uint32_t)sizeof(*nt));
        e->cps = nt;
    }
    e->cp_cap = ncap;
    return 0;
}

int dn__state_cps_seen(dn__state *st, dn__entity *e, uint64_t h, int64_t ts, int64_t memory_ms,
                       bool *was_seen)
{
    int64_t cut = cutoff_of(ts, memory_ms);
    dn__cp_entry *hit = NULL;
    *was_seen = false;
    if (e->cp_cap <= CP_LINEAR_MAX) {
        for (uint32_t i = 0; i < e->cp_count && !hit; i++)
            if (e->cps[i].h == h)
                hit = &e->cps[i];
    } else {
        uint32_t i = cp_slot(h, e->cp_cap);
        while (e->cps[i].h != 0 && !hit) {
            if (e->cps[i].h == h)
                hit = &e->cps[i];
            i = (i + 1) & (e->cp_cap - 1);
        }
    }
    if (hit) {
        *was_seen = hit->ts > cut;
        hit->ts = ts;
        return 0;
    }
    if (cps_full(e)) {
        int rc = cps_make_room(st, e, cut);
        if (rc)
            return rc;
    }
    if (e->cp_cap <= CP_LINEAR_MAX)
        e->cps[e->cp_count] = (dn__cp_entry){h, ts};
    else
        cp_put(e->cps, e->cp_cap, h, ts);
    e->cp_count++;
    return 0;
}

/* ---- observe ---- */

static inline int dir_index(dn__dir d)
{
    return (int)d - 1; /* IN 0, OUT 1, ANY 2 */
}

int dn__state_observe(dn__state *st, dn__entity *e, const dn__fact_in *in, dn__observation *pre)
{
    int rc = 0;
    const dn__kind_layout *k = &st->kinds[e->kind];
    const dn__state_plan *plan = k->plan;
    int64_t ts = in->ts_ms;
    if (e->newest_ts != INT64_MIN && ts < e->newest_ts)
        ts = e->newest_ts; /* late fact: takes the newest time (state.h) */

    /* 1. windows move to ts; facts beyond the retention leave. */
    advance_accs(st, e, ts);
    int64_t keep_cut = cutoff_of(ts, plan->retention_ms);
    bool has_dropped = false;
    while (e->first != e->end && dn__fact_at(st, e, e->first)->ts <= keep_cut) {
        drop_oldest(st, e);
        has_dropped = true;
    }
    if (e->hl && e->hl->count && e->hl->oldest_ts <= keep_cut) /* hits share the retention */
        dn__state_hits_prune(st, e, ts);

    /* 2. the snapshot before this fact. */
    memset(pre, 0, sizeof(*pre));
    /* no fact within the retention before this one (the newest fact is the last to leave) */
    pre->is_new_entity = e->newest_ts == INT64_MIN || e->newest_ts <= keep_cut;
    bool seen = false;
    if (in->counterparty_h != 0 && plan->counterparty_memory_ms > 0) {
        rc = dn__state_cps_seen(st, e, in->counterparty_h, ts, plan->counterparty_memory_ms, &seen);
        if (rc)
            goto fail;
    }
    pre->is_new_counterparty = in->counterparty_h != 0 && !seen;
    if (e->first_seen == INT64_MIN)
        e->first_seen = ts;
    if (in->has_opened) {
        e->opened = in->opened_ms;
        e->has_opened = true;
    }
    pre->first_seen_ms = e->first_seen;
    pre->opened_ms = e->has_opened ? e->opened : e->first_seen;
    pre->last_ms[0] = INT64_MIN;
    pre->last_ms[DN__DIR_IN] = e->last_ms[0];
    pre->last_ms[DN__DIR_OUT] = e->last_ms[1];
    pre->last_ms[DN__DIR_ANY] = e->last_ms[2];

    if (plan->agg_count == 0)
        goto done; /* no slot reads facts: keep none (recency and counterparties only) */

    /* 3. room for the fact: the per-entity cap first, then the array. */
    while (e->end - e->first >= st->cfg.max_facts_per_entity) {
        drop_oldest(st, e);
        st->stats.dropped_facts++;
        has_dropped = true;
    }
    uint32_t id_len = in->event_id.len > DN_ID_MAX_LEN ? DN_ID_MAX_LEN : in->event_id.len;
    if ((rc = facts_room(st, e, id_len)) != 0)
        goto fail;
    uint32_t id_off;
    if ((rc = ids_room(st, e, id_len, &id_off)) != 0)
        goto fail;

    /* 4. the fact goes in; every accumulator it matches takes it. */
    dn__fact_core *f = dn__fact_at(st, e, e->end);
    f->ts = ts;
    f->amount = in->has_amount ? in->amount_base_minor : 0;
    f->cp_h = in->counterparty_h;
    f->id_off = id_off;
    f->id_len = (uint8_t)id_len;
    f->flags = (uint8_t)((unsigned)in->dir & 3u) | (in->has_amount ? DN__FACT_HAS_AMOUNT : 0u);
    f->country = in->country;
    char *id_at = id_len ? e->ids + (id_off - e->ids_base) : NULL;
    if (id_len >= 8 && id_len <= 16) { /* the usual ids: two overlapping words, no call */
        uint64_t w0, w1;
        memcpy(&w0, in->event_id.ptr, 8);
        memcpy(&w1, in->event_id.ptr + id_len - 8, 8);
        memcpy(id_at, &w0, 8);
        memcpy(id_at + id_len - 8, &w1, 8);
    } else if (id_len) {
        memcpy(id_at, in->event_id.ptr, id_len);
    }
    const uint64_t cols[DN__COL_COUNT_] = {in->filter_bits, in->device_h, in->ip_h, in->channel_h,
                                           in->ip_country};
    for (uint32_t i = 0; i < k->col_n; i++)
        memcpy((unsigned char *)f + k->col_off[k->col_which[i]], &cols[k->col_which[i]],
               sizeof(uint64_t));
    if (has_dropped) {
        /* a window emptied by a drop starts at this fact (advance_accs saw to the others) */
        dn__win *win = dn__entity_wins(e);
        for (uint32_t g = 0; g < k->win_count; g++)
            if (win[g].tail == e->end)
                win[g].tail_ts = ts;
    }
    e->end++;
    st->stats.facts++;
    if (k->acc_shift) {
        /* the fact's accumulator set goes above its filter bits (see dn__kind_layout) */
        unsigned char *col = (unsigned char *)f + k->col_off[DN__COL_FILTER];
        uint64_t fb = in->filter_bits & ((1ull << k->acc_shift) - 1);
        memcpy(col, &fb, sizeof(fb));
        uint64_t m = fact_accs1(k, f);
        fb |= m << k->acc_shift;
        memcpy(col, &fb, sizeof(fb));
        accs_apply(k, e, 0, m, f->amount, 1);
    } else if (k->acc_count) {
        accs_take(st, e, f, k->win_count, 1);
    }
    if ((e->dsets || e->end - e->first > DN__DSET_MIN_FACTS) && k->has_distinct &&
        (rc = dsets_observe(st, e, ts)) != 0)
        goto fail;
done:
    e->newest_ts = ts;
    e->has_facts_ever = true;
    if (in->dir == DN__DIR_IN || in->dir == DN__DIR_OUT)
        e->last_ms[dir_index(in->dir)] = ts;
    e->last_ms[2] = ts;
    return 0;
fail:
    return rc;
}

/* ---- queries ---- */

/* First fact with ts > cut (facts are sorted by ts). */
static uint32_t lower_bound(const dn__state *st, const dn__entity *e, int64_t cut)
{
    uint32_t lo = 0, hi = e->end - e->first; /* offsets from first */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (dn__fact_at(st, e, e->first + mid)->ts <= cut)
            lo = mid + 1;
        else
            hi = mid;
    }
    return e->first + lo;
}

static inline const dn__slot_info *slot_info_of(const dn__state *st, const dn__entity *e,
                                                const dn__agg_spec *a)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    return &k->slot_info[a - k->plan->aggs];
}

/* The value of distinct slot a's field in fact f (0 when absent). */
static inline uint64_t field_value(const dn__state *st, const dn__entity *e, const dn__fact_core *f,
                                   const dn__agg_spec *a)
{
    const dn__slot_info *si = slot_info_of(st, e, a);
    uint64_t v = 0;
    switch (si->value) {
    case 1:
        return f->cp_h;
    case 2:
        return f->country;
    case 3:
        __builtin_memcpy(&v, (const unsigned char *)f + si->value_off, sizeof(v));
        return v;
    default:
        return 0;
    }
}

/* Does fact f count toward slot a (window aside)? dir matches, the where-filter held, the fact
 * has an amount when the slot reads one, its counterparty is cp_h for pair slots, and its value
 * is present for distinct ones (see the file comment). */
static inline bool slot_match(const dn__state *st, const dn__entity *e, const dn__agg_spec *a,
                              const dn__fact_core *f, uint64_t cp_h)
{
    const dn__slot_info *si = slot_info_of(st, e, a);
    if (!((si->flags_ok >> (f->flags & 7u)) & 1u))
        return false;
    if (si->filter_off >= 0) {
        uint64_t fb;
        __builtin_memcpy(&fb, (const unsigned char *)f + si->filter_off, sizeof(fb));
        if (!((fb >> si->filter) & 1u))
            return false;
    }
    if (si->is_pair && (cp_h == 0 || f->cp_h != cp_h))
        return false;
    if (si->is_distinct && field_value(st, e, f, a) == 0)
        return false;
    return true;
}

static uint32_t distinct_count(const dn__state *st, const dn__entity *e, const dn__agg_spec *a,
                               uint32_t from)
{
    uint32_t n = e->end - from;
    uint32_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint64_t *set = st->scratch; /* scratch_cap >= 2 * max_facts_per_entity >= cap */
    memset(set, 0, cap * sizeof(*set));
    uint32_t distinct = 0;
    for (uint32_t i = from; i != e->end; i++) {
        const dn__fact_core *f = dn__fact_at(st, e, i);
        if (!slot_match(st, e, a, f, 0))
            continue;
        uint64_t v = field_value(st, e, f, a);
        uint32_t j = cp_slot(v, cap);
        while (set[j] != 0 && set[j] != v)
            j = (j + 1) & (cap - 1);
        if (set[j] == 0) {
            set[j] = v;
            distinct++;
        }
    }
    return distinct;
}

/* ---- incremental distinct (see dn__dset in state_int.h) ---- */

static dn__dset_entry *dset_find(dn__dset *d, uint64_t v)
{
    uint32_t i = cp_slot(v, d->cap);
    while (d->tab[i].v != 0 && d->tab[i].v != v)
        i = (i + 1) & (d->cap - 1);
    return &d->tab[i];
}

static int dset_grow(dn__state *st, dn__dset *d)
{
    uint32_t ncap = d->cap ? d->cap * 2 : 32;
    dn__dset_entry *nt = calloc(ncap, sizeof(*nt));
    if (!nt)
        return DN_ENOMEM;
    dn__dset old = *d;
    d->tab = nt;
    d->cap = ncap;
    for (uint32_t i = 0; i < old.cap; i++)
        if (old.tab[i].v != 0)
            *dset_find(d, old.tab[i].v) = old.tab[i];
    free(old.tab);
    st->stats.bytes += (size_t)(ncap - old.cap) * sizeof(dn__dset_entry);
    return 0;
}

static int dset_add(dn__state *st, dn__dset *d, uint64_t v)
{
    if ((d->used + 1) * 4 > d->cap * 3) {
        int rc = dset_grow(st, d);
        if (rc)
            return rc;
    }
    dn__dset_entry *x = dset_find(d, v);
    if (x->v == 0) {
        x->v = v;
        x->n = 0;
        d->used++;
        d->distinct++;
    }
    x->n++;
    return 0;
}

/* Takes one fact carrying v out; deletes the entry (backward shift) when it was the last. */
static void dset_remove(dn__dset *d, uint64_t v)
{
    dn__dset_entry *x = dset_find(d, v);
    if (x->v == 0 || --x->n > 0)
        return;
    uint32_t mask = d->cap - 1, i = (uint32_t)(x - d->tab), j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (d->tab[j].v == 0)
            break;
        uint32_t home = cp_slot(d->tab[j].v, d->cap);
        bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            d->tab[i] = d->tab[j];
            i = j;
        }
    }
    d->tab[i].v = 0;
    d->used--;
    d->distinct--;
}

static void dsets_drop_first(dn__state *st, dn__entity *e)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    const dn__state_plan *plan = k->plan;
    const dn__fact_core *f = dn__fact_at(st, e, e->first);
    for (uint32_t j = 0; j < k->dist_count; j++) {
        uint32_t s = k->dist_slots[j];
        dn__dset *d = &e->dsets[s];
        if (!d->tab || d->tail != e->first)
            continue;
        if (slot_match(st, e, &plan->aggs[s], f, 0))
            dset_remove(d, field_value(st, e, f, &plan->aggs[s]));
        d->tail++;
    }
}

/* After the fact at end - 1 went in at now: every set leaves what fell out of its window and
 * takes the new fact; an entity that just got busy gets its sets built from its facts. */
static int dsets_update(dn__state *st, dn__entity *e, int64_t now)
{
    int rc = 0;
    const dn__state_plan *plan = st->kinds[e->kind].plan;
    bool is_build = e->dsets == NULL;
    if (is_build) {
        e->dsets = calloc(plan->agg_count, sizeof(*e->dsets));
        if (!e->dsets)
            return DN_ENOMEM;
        st->stats.bytes += plan->agg_count * sizeof(*e->dsets);
    }
    const dn__kind_layout *k = &st->kinds[e->kind];
    for (uint32_t j = 0; j < k->dist_count; j++) {
        uint32_t s = k->dist_slots[j];
        const dn__agg_spec *a = &plan->aggs[s];
        dn__dset *d = &e->dsets[s];
        int64_t cut = cutoff_of(now, a->window_ms);
        uint32_t from = e->end - 1; /* the new fact */
        if (is_build) {
            if ((rc = dset_grow(st, d)) != 0)
                return rc;
            d->tail = from = lower_bound(st, e, cut);
        }
        while (d->tail != e->end && dn__fact_at(st, e, d->tail)->ts <= cut) {
            const dn__fact_core *f = dn__fact_at(st, e, d->tail);
            if (slot_match(st, e, a, f, 0))
                dset_remove(d, field_value(st, e, f, a));
            d->tail++;
        }
        for (uint32_t i = from; i != e->end; i++) {
            const dn__fact_core *f = dn__fact_at(st, e, i);
            if (slot_match(st, e, a, f, 0) && (rc = dset_add(st, d, field_value(st, e, f, a))) != 0)
                return rc;
        }
    }
    return rc;
}

void dn__state_prefetch_cps(const dn__entity *e, uint64_t cp_h)
{
    if (e->cp_cap <= CP_LINEAR_MAX) {
        /* the scan reads every entry, and a counterparty not among them is appended */
        uint32_t n = e->cp_count < e->cp_cap ? e->cp_count + 1 : e->cp_count;
        const char *last = (const char *)(e->cps + n) - 1;
        for (const char *p = (const char *)e->cps; p < last; p += 64)
            __builtin_prefetch(p);
        __builtin_prefetch(last);
    } else if (cp_h) {
        __builtin_prefetch(&e->cps[cp_slot(cp_h, e->cp_cap)]);
    }
}

void dn__state_prefetch_dsets(const dn__state *st, const dn__entity *e, uint64_t cp_h)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    const dn__state_plan *plan = k->plan;
    for (uint32_t j = 0; j < k->dist_count; j++) {
        uint32_t s = k->dist_slots[j];
        const dn__dset *d = &e->dsets[s]; /* brings the array in on the first slot */
        dn__fact_field f = plan->aggs[s].field;
        if (d->tab && cp_h && (f == DN__FIELD_COUNTERPARTY || f == DN__FIELD_ACCOUNT))
            __builtin_prefetch(&d->tab[cp_slot(cp_h, d->cap)]);
    }
}

static int dsets_observe(dn__state *st, dn__entity *e, int64_t now)
{
    int rc = dsets_update(st, e, now);
    if (rc)
        dsets_free(st, e); /* queries scan again; the sets are rebuilt on the next fact */
    return rc;
}

static int64_t query_now(const dn__entity *e, int64_t now)
{
    return e->newest_ts != INT64_MIN && now < e->newest_ts ? e->newest_ts : now;
}

void dn__state_agg(const dn__state *st, const dn__entity *e, uint32_t slot, int64_t now_ms,
                   uint64_t cp_h, dn__agg_value *out)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    memset(out, 0, sizeof(*out));
    if (slot >= k->plan->agg_count)
        return;
    const dn__agg_spec *a = &k->plan->aggs[slot];
    out->is_double = a->kind == DN__AGG_AVG;
    int64_t cut = cutoff_of(query_now(e, now_ms), a->window_ms);
    int32_t ai = k->slot_acc[slot];
    if (ai >= 0) {
        const dn__win *win = &dn__entity_wins(e)[k->acc_win[ai]];
        const dn__acc_spec *as = &k->accs[ai];
        const int64_t *sums = (const int64_t *)(const void *)e->body;
        const uint32_t *counts = (const uint32_t *)(const void *)(sums + k->sum_n);
        uint32_t acc = (uint32_t)ai;
        int64_t sum = acc < k->sum_n ? sums[acc] : 0;
        int64_t count = acc >= k->cnt_from ? counts[acc - k->cnt_from] : 0;
        for (uint32_t i = win->tail; i != e->end && win->tail_ts <= cut; i++) {
            const dn__fact_core *f = dn__fact_at(st, e, i);
            if (f->ts > cut)
                break;
            if (acc_match(as, st, e, f)) {
                count--;
                sum -= f->amount;
            }
        }
        if (a->kind == DN__AGG_COUNT) {
            out->i = count;
        } else if (a->kind == DN__AGG_SUM) {
            out->i = sum;
        } else {
            out->d = count ? (double)sum / (double)count : 0.0;
            out->i = count ? sum / count : 0;
        }
        return;
    }
    if (a->kind == DN__AGG_DISTINCT && e->dsets && e->dsets[slot].tab &&
        query_now(e, now_ms) == e->newest_ts) {
        out->i = e->dsets[slot].distinct; /* observe() moved it to newest_ts */
        return;
    }
    if (a->kind == DN__AGG_DISTINCT) {
        out->i = distinct_count(st, e, a, lower_bound(st, e, cut));
        return;
    }
    bool any = false;
    int64_t v = 0;
    /* a pair slot reads the few facts with this counterparty: the other ones fail the first test.
     * The window is walked back from the newest fact (facts are in time order; counts, sums and
     * extremes do not depend on the order), so finding its start costs no search. */
    bool is_pair = slot_info_of(st, e, a)->is_pair;
    uint32_t stop = is_pair && cp_h == 0 ? e->end : e->first;
    for (uint32_t i = e->end; i != stop; i--) {
        const dn__fact_core *f = dn__fact_at(st, e, i - 1);
        if (f->ts <= cut)
            break;
        if ((is_pair && f->cp_h != cp_h) || !slot_match(st, e, a, f, cp_h))
            continue;
        switch (a->kind) {
        case DN__AGG_PAIR_COUNT:
            v++;
            break;
        case DN__AGG_PAIR_SUM:
            v += f->amount;
            break;
        case DN__AGG_MAX:
        case DN__AGG_PAIR_MAX:
            v = !any || f->amount > v ? f->amount : v;
            break;
        case DN__AGG_MIN:
            v = !any || f->amount < v ? f->amount : v;
            break;
        default:
            break;
        }
        any = true;
    }
    out->i = v;
}

uint32_t dn__state_agg_event_ids(const dn__state *st, const dn__entity *e, uint32_t slot,
                                 int64_t now_ms, uint64_t cp_h, dn_str *ids, uint32_t cap)
{
    const dn__kind_layout *k = &st->kinds[e->kind];
    if (slot >= k->plan->agg_count || cap == 0)
        return 0;
    const dn__agg_spec *a = &k->plan->aggs[slot];
    /* Facts are in time order: the window is the run back from the newest one to the first at or
     * before cut, walked newest first below without a search for its start (which would read
     * lines of a busy entity's array that the walk, stopping at cap, never needs). */
    int64_t cut = cutoff_of(query_now(e, now_ms), a->window_ms);
    uint32_t n = 0;
    /* max/min: the fact that holds the value comes first (the newest of equals), so a cap never
     * cuts it; then the others, newest first. */
    bool is_extreme =
        a->kind == DN__AGG_MAX || a->kind == DN__AGG_MIN || a->kind == DN__AGG_PAIR_MAX;
    uint32_t best = e->end;
    if (is_extreme) {
        for (uint32_t i = e->end; i != e->first; i--) {
            const dn__fact_core *f = dn__fact_at(st, e, i - 1);
            if (f->ts <= cut)
                break;
            if (!slot_match(st, e, a, f, cp_h))
                continue;
            const dn__fact_core *b = best == e->end ? NULL : dn__fact_at(st, e, best);
            if (!b || (a->kind == DN__AGG_MIN ? f->amount < b->amount : f->amount > b->amount))
                best = i - 1;
        }
        if (best != e->end) {
            const dn__fact_core *f = dn__fact_at(st, e, best);
            ids[n++] = (dn_str){dn__fact_id(e, f), f->id_len};
        }
    }
    /* distinct: one event per value, the newest that carried it */
    uint64_t *seen = st->scratch;
    uint32_t seen_cap = 16;
    if (a->kind == DN__AGG_DISTINCT) {
        /* at most cap - n values go in (each one adds an id): size for those, not the window */
        uint32_t most = cap - n;
        while (seen_cap < 2 * most)
            seen_cap *= 2;
        memset(seen, 0, seen_cap * sizeof(*seen));
    }
    for (uint32_t i = e->end; i != e->first && n < cap; i--) {
        const dn__fact_core *f = dn__fact_at(st, e, i - 1);
        if (f->ts <= cut)
            break;
        if (i - 1 == best || !slot_match(st, e, a, f, cp_h))
            continue;
        if (a->kind == DN__AGG_DISTINCT) {
            uint64_t v = field_value(st, e, f, a);
            uint32_t j = cp_slot(v, seen_cap);
            while (seen[j] != 0 && seen[j] != v)
                j = (j + 1) & (seen_cap - 1);
            if (seen[j] == v)
                continue;
            seen[j] = v;
        }
        ids[n].ptr = dn__fact_id(e, f);
        ids[n].len = f->id_len;
        n++;
    }
    return n;
}
