/*
 * hits.c - the per-entity hit log (hits(), hit_score, explanations) and typology state.
 *
 * The log (dn__hitlog, state_int.h) is one malloc'd block per entity that has had a hit: a
 * header, the newest hit of each rule, then an array of dn__hit, oldest first, pruned from the
 * front when hits fall beyond the plan's retention (which covers every hits() window and
 * typology window) and capped at max_facts_per_entity entries (the oldest dropped). Hit times
 * never go backwards: a hit older than the last one recorded takes its time, as late facts do.
 *
 * "Earlier events only" for dn__state_hits: the hits of one event are recorded after it is
 * evaluated, so they are always the newest entries of the log. The entity remembers the event
 * sequence (dn__state_event_begin) they belong to and how many there are (seq and
 * seq_count); dn__state_hits leaves those out while that event is the current one, while
 * dn__state_hit_score counts them.
 *
 * A hit may carry a note: an opaque explanation that engine/score builds (because lines, event
 * ids) and reads back when it renders an alert. The state copies it into its pool
 * (pool.c) and gives the block back with the hit.
 */
#include "state/state_int.h"

#include "dragnet/error.h"

#include <stdlib.h>
#include <string.h>

static uint32_t rules_of(const dn__state *st, const dn__entity *e)
{
    return st->kinds[e->kind].plan->rule_count;
}

static size_t hitlog_bytes(uint32_t rules, uint32_t cap)
{
    return sizeof(dn__hitlog) + (size_t)rules * sizeof(uint64_t) + (size_t)cap * sizeof(dn__hit);
}

/* The hits kept, oldest first: hl's entries from skip on. */
static inline dn__hit *hits_of(const dn__hitlog *hl, uint32_t rules)
{
    return (dn__hit *)(hl->last + rules) + hl->skip;
}

/* The entity's hit log, made (empty) when it has none: NULL when memory ran out. */
static dn__hitlog *hitlog_get(dn__state *st, dn__entity *e)
{
    if (e->hl)
        return e->hl;
    size_t bytes = hitlog_bytes(rules_of(st, e), 0);
    if (!(e->hl = calloc(1, bytes)))
        return NULL;
    st->stats.bytes += bytes;
    return e->hl;
}

static void hit_release(dn__state *st, dn__hit *h)
{
    if (h->note) {
        dn__pool_free(st, h->note, h->note_len);
        h->note = NULL;
    }
}

static void drop_front(dn__state *st, dn__entity *e, uint32_t n)
{
    dn__hitlog *hl = e->hl;
    if (n == 0)
        return;
    dn__hit *hits = hits_of(hl, rules_of(st, e));
    for (uint32_t i = 0; i < n; i++)
        hit_release(st, &hits[i]);
    /* the log's front just moves; record_hit moves the live hits back to the start of the
     * entries when that frees enough of them */
    hl->skip += n;
    hl->count -= n;
    hl->abs0 += n;
    if (hl->count == 0)
        hl->skip = 0;
    else
        hl->oldest_ts = hits[n].ts;
    if (hl->seq_count > hl->count)
        hl->seq_count = (uint16_t)hl->count;
}

void dn__state_hits_prune(dn__state *st, dn__entity *e, int64_t now_ms)
{
    dn__hitlog *hl = e->hl;
    if (!hl || hl->count == 0)
        return;
    int64_t retention = st->kinds[e->kind].plan->retention_ms;
    int64_t cut = now_ms < INT64_MIN + retention ? INT64_MIN : now_ms - retention;
    const dn__hit *hits = hits_of(hl, rules_of(st, e));
    uint32_t n = 0;
    while (n < hl->count && hits[n].ts <= cut)
        n++;
    drop_front(st, e, n);
}

void dn__state_hits_free(dn__state *st, dn__entity *e)
{
    dn__hitlog *hl = e->hl;
    if (!hl)
        return;
    uint32_t rules = rules_of(st, e);
    dn__hit *hits = hits_of(hl, rules);
    for (uint32_t i = 0; i < hl->count; i++)
        hit_release(st, &hits[i]);
    if (hl->typ) {
        st->stats.bytes -= st->kinds[e->kind].plan->typology_count * sizeof(*hl->typ);
        free(hl->typ);
    }
    st->stats.bytes -= hitlog_bytes(rules, hl->cap);
    free(hl);
    e->hl = NULL;
}

/* Room for one more hit at the end of the entries: grows the block (doubling) unless moving the
 * hits to its front frees a quarter of it (O(1) moves per hit). NULL when memory ran out. */
static dn__hitlog *make_room(dn__state *st, dn__entity *e)
{
    dn__hitlog *hl = e->hl;
    if (hl->skip + hl->count < hl->cap)
        return hl;
    uint32_t rules = rules_of(st, e);
    if (hl->skip == 0 || hl->skip < hl->cap / 4) {
        uint32_t ncap = hl->cap ? hl->cap * 2 : 2;
        dn__hitlog *nh = realloc(hl, hitlog_bytes(rules, ncap));
        if (!nh)
            return NULL;
        st->stats.bytes += (size_t)(ncap - nh->cap) * sizeof(dn__hit);
        nh->cap = ncap;
        e->hl = hl = nh;
    }
    if (hl->skip) {
        dn__hit *entries = (dn__hit *)(hl->last + rules);
        memmove(entries, entries + hl->skip, hl->count * sizeof(*entries));
        hl->skip = 0;
    }
    return hl;
}

int dn__state_record_hit_note(dn__state *st, dn__entity *e, uint32_t rule, int64_t ts_ms,
                              int32_t score, const void *note, uint32_t note_len)
{
    int rc = DN_EINVAL;
    void *copy = NULL;
    uint32_t rules = rules_of(st, e);
    if (rule >= rules)
        goto fail;
    rc = DN_ENOMEM;
    dn__hitlog *hl = hitlog_get(st, e);
    if (!hl)
        goto fail;
    if (hl->count && ts_ms < hits_of(hl, rules)[hl->count - 1].ts)
        ts_ms = hits_of(hl, rules)[hl->count - 1].ts;
    dn__state_hits_prune(st, e, ts_ms);
    if (note_len) {
        copy = dn__pool_alloc(st, note_len);
        if (!copy)
            goto fail;
        memcpy(copy, note, note_len);
    }
    if (hl->count >= st->cfg.max_facts_per_entity)
        drop_front(st, e, 1);
    if (!(hl = make_room(st, e)))
        goto fail;
    if (hl->seq != st->event_seq) {
        hl->seq = st->event_seq;
        hl->seq_count = 0;
    }
    if (hl->seq_count < UINT16_MAX)
        hl->seq_count++;
    uint64_t abs = hl->abs0 + hl->count;
    uint64_t prev = hl->last[rule]; /* 1 + its absolute index; 0: none */
    uint32_t back = prev > hl->abs0 && abs - (prev - 1) <= UINT32_MAX
                        ? (uint32_t)(abs - (prev - 1))
                        : 0; /* 0 too when the previous one was dropped */
    if (hl->count == 0)
        hl->oldest_ts = ts_ms;
    hits_of(hl, rules)[hl->count++] = (dn__hit){ts_ms, rule, score, copy, note_len, back};
    hl->last[rule] = abs + 1;
    return 0;
fail:
    dn__pool_free(st, copy, note_len);
    return rc;
}

int dn__state_record_hit(dn__state *st, dn__entity *e, uint32_t rule, int64_t ts_ms, int32_t score)
{
    return dn__state_record_hit_note(st, e, rule, ts_ms, score, NULL, 0);
}

/* Like fact queries, hit queries before the entity's newest time (a late event) are answered at
 * the newest time: the hits on record carry clamped times. */
static int64_t hits_now(const dn__entity *e, const dn__hit *hits, uint32_t count, int64_t now_ms)
{
    if (e->newest_ts != INT64_MIN && now_ms < e->newest_ts)
        now_ms = e->newest_ts;
    if (count && now_ms < hits[count - 1].ts)
        now_ms = hits[count - 1].ts;
    return now_ms;
}

static inline bool in_window(int64_t ts, int64_t window_ms, int64_t now_ms)
{
    return ts <= now_ms && (now_ms < INT64_MIN + window_ms || ts > now_ms - window_ms);
}

/* Position in the log of rule's newest hit, or -1 when it has none left. */
static int64_t newest_of(const dn__hitlog *hl, uint32_t rules, uint32_t rule)
{
    if (rule >= rules)
        return -1;
    uint64_t last = hl->last[rule]; /* 1 + absolute index */
    if (last <= hl->abs0)
        return -1; /* none, or dropped */
    return (int64_t)(last - 1 - hl->abs0);
}

uint32_t dn__state_hits(const dn__state *st, const dn__entity *e, uint32_t rule, int64_t window_ms,
                        int64_t now_ms)
{
    const dn__hitlog *hl = e->hl;
    if (!hl)
        return 0;
    uint32_t rules = rules_of(st, e);
    const dn__hit *hits = hits_of(hl, rules);
    uint32_t n = hl->count;
    now_ms = hits_now(e, hits, n, now_ms);
    if (hl->seq == st->event_seq)
        n -= hl->seq_count <= n ? hl->seq_count : n;
    uint32_t count = 0;
    /* the rule's hits, newest first along the links: hit times never decrease and none is after
     * now_ms, so the first one out of the window ends the walk */
    int64_t i = newest_of(hl, rules, rule);
    while (i >= 0) {
        const dn__hit *h = &hits[i];
        if (!in_window(h->ts, window_ms, now_ms))
            break;
        count += (uint64_t)i < n;
        i = h->prev && h->prev <= i ? i - h->prev : -1;
    }
    return count;
}

/* Position of rule in rules[0..rule_count), or -1. */
static int rule_pos(uint32_t rule, const uint32_t *rules, uint32_t rule_count)
{
    for (uint32_t i = 0; i < rule_count; i++)
        if (rules[i] == rule)
            return (int)i;
    return -1;
}

/* Has the rule at position pos been seen already? Marks it. Typologies list at most 64 rules
 * that are told apart; beyond that every hit counts. */
static bool seen_before(uint64_t *seen, int pos)
{
    if (pos >= 64)
        return false;
    bool was = (*seen >> pos) & 1u;
    *seen |= 1ull << pos;
    return was;
}

/* Each rule counts once per window, with its newest hit: a typology adds up distinct
 * indicators, not one indicator repeated. */
int64_t dn__state_hit_score(const dn__state *st, const dn__entity *e, const uint32_t *rules,
                            uint32_t rule_count, int64_t window_ms, int64_t now_ms)
{
    int64_t sum = 0;
    uint64_t seen = 0;
    const dn__hitlog *hl = e->hl;
    if (!hl)
        return 0;
    uint32_t rules_n = rules_of(st, e);
    const dn__hit *hits = hits_of(hl, rules_n);
    now_ms = hits_now(e, hits, hl->count, now_ms);
    if (rule_count <= 64) {
        /* each listed rule once (its first position), with its newest hit when that is in the
         * window: the newest is in the window whenever any of its hits is */
        for (uint32_t p = 0; p < rule_count; p++) {
            if (rule_pos(rules[p], rules, rule_count) != (int)p)
                continue;
            int64_t i = newest_of(hl, rules_n, rules[p]);
            if (i >= 0 && in_window(hits[i].ts, window_ms, now_ms))
                sum += hits[i].score;
        }
        return sum;
    }
    for (uint32_t i = hl->count; i > 0; i--) {
        const dn__hit *h = &hits[i - 1];
        if (!in_window(h->ts, window_ms, now_ms))
            break; /* hit times never decrease: older hits are out too */
        int pos = rule_pos(h->rule, rules, rule_count);
        if (pos >= 0 && !seen_before(&seen, pos))
            sum += h->score;
    }
    return sum;
}

uint32_t dn__state_hit_list(const dn__state *st, const dn__entity *e, const uint32_t *rules,
                            uint32_t rule_count, int64_t window_ms, int64_t now_ms,
                            dn__hit_view *out, uint32_t cap)
{
    uint32_t n = 0;
    uint64_t seen = 0;
    const dn__hitlog *hl = e->hl;
    if (!hl)
        return 0;
    const dn__hit *hits = hits_of(hl, rules_of(st, e));
    now_ms = hits_now(e, hits, hl->count, now_ms);
    for (uint32_t i = hl->count; i > 0 && n < cap; i--) {
        const dn__hit *h = &hits[i - 1];
        if (!in_window(h->ts, window_ms, now_ms))
            break; /* older hits are out too (see dn__state_hit_score) */
        int pos = rule_pos(h->rule, rules, rule_count);
        if (pos < 0 || seen_before(&seen, pos))
            continue;
        out[n++] = (dn__hit_view){h->rule, h->score, h->ts, h->note, h->note_len};
    }
    for (uint32_t i = 0; i < n / 2; i++) {
        dn__hit_view t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return n;
}

dn__typology_state *dn__state_typology(dn__state *st, dn__entity *e, uint32_t t)
{
    uint32_t count = st->kinds[e->kind].plan->typology_count;
    if (t >= count)
        return NULL;
    dn__hitlog *hl = hitlog_get(st, e);
    if (!hl)
        return NULL;
    if (!hl->typ) {
        hl->typ = calloc(count, sizeof(*hl->typ));
        if (!hl->typ)
            return NULL;
        st->stats.bytes += count * sizeof(*hl->typ);
    }
    return &hl->typ[t];
}
