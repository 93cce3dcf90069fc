/*
 * hits.c - the per-entity hit log (hits(), hit_score, explanations) and typology state.
 *
 * The log is an array of dn__hit, oldest first, pruned from the front when hits fall beyond the
 * plan's retention (which covers every hits() window and typology window) and capped at
 * max_facts_per_entity entries (the oldest dropped). Hit times never go backwards: a hit older
 * than the last one recorded takes its time, as late facts do.
 *
 * "Earlier events only" for dn__state_hits: the hits of one event are recorded after it is
 * evaluated, so they are always the newest entries of the log. The entity remembers the event
 * sequence (dn__state_event_begin) they belong to and how many there are (hit_seq,
 * hit_seq_count); dn__state_hits leaves those out while that event is the current one, while
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

static void hit_release(dn__state *st, dn__hit *h)
{
    if (h->note) {
        dn__pool_free(st, h->note, h->note_len);
        h->note = NULL;
    }
}

static void drop_front(dn__state *st, dn__entity *e, uint32_t n)
{
    if (n == 0)
        return;
    for (uint32_t i = 0; i < n; i++)
        hit_release(st, &e->hits[i]);
    /* the log's front just moves; record_hit moves the live hits back to the start of the
     * allocation when that frees enough of it */
    e->hits += n;
    e->hit_skip += n;
    e->hit_count -= n;
    e->hit_abs0 += n;
    if (e->hit_count == 0) {
        e->hits -= e->hit_skip;
        e->hit_skip = 0;
    }
    if (e->hit_seq_count > e->hit_count)
        e->hit_seq_count = (uint16_t)e->hit_count;
}

void dn__state_hits_prune(dn__state *st, dn__entity *e, int64_t now_ms)
{
    int64_t retention = st->kinds[e->kind].plan->retention_ms;
    int64_t cut = now_ms < INT64_MIN + retention ? INT64_MIN : now_ms - retention;
    uint32_t n = 0;
    while (n < e->hit_count && e->hits[n].ts <= cut)
        n++;
    drop_front(st, e, n);
}

void dn__state_hits_free(dn__state *st, dn__entity *e)
{
    for (uint32_t i = 0; i < e->hit_count; i++)
        hit_release(st, &e->hits[i]);
    st->stats.bytes -= (size_t)e->hit_cap * sizeof(*e->hits);
    if (e->hits)
        free(e->hits - e->hit_skip);
    e->hits = NULL;
    e->hit_skip = 0;
    if (e->hit_last) {
        st->stats.bytes -= (size_t)st->kinds[e->kind].plan->rule_count * sizeof(*e->hit_last);
        free(e->hit_last);
        e->hit_last = NULL;
    }
    e->hit_count = e->hit_cap = 0;
}

int dn__state_record_hit_note(dn__state *st, dn__entity *e, uint32_t rule, int64_t ts_ms,
                              int32_t score, const void *note, uint32_t note_len)
{
    int rc = DN_EINVAL;
    void *copy = NULL;
    if (rule >= st->kinds[e->kind].plan->rule_count)
        goto fail;
    if (e->hit_count && ts_ms < e->hits[e->hit_count - 1].ts)
        ts_ms = e->hits[e->hit_count - 1].ts;
    dn__state_hits_prune(st, e, ts_ms);
    rc = DN_ENOMEM;
    if (!e->hit_last) {
        uint32_t rules = st->kinds[e->kind].plan->rule_count;
        if (!(e->hit_last = calloc(rules, sizeof(*e->hit_last))))
            goto fail;
        st->stats.bytes += (size_t)rules * sizeof(*e->hit_last);
    }
    if (note_len) {
        copy = dn__pool_alloc(st, note_len);
        if (!copy)
            goto fail;
        memcpy(copy, note, note_len);
    }
    if (e->hit_count >= st->cfg.max_facts_per_entity)
        drop_front(st, e, 1);
    if (e->hit_skip + e->hit_count == e->hit_cap) {
        dn__hit *base = e->hits ? e->hits - e->hit_skip : NULL;
        if (e->hit_skip == 0 || e->hit_skip < e->hit_cap / 4) {
            /* grow (doubling) unless moving the hits frees a quarter: O(1) moves per hit */
            uint32_t ncap = e->hit_cap ? e->hit_cap * 2 : 2;
            dn__hit *nh = realloc(base, ncap * sizeof(*nh));
            if (!nh)
                goto fail;
            st->stats.bytes += (size_t)(ncap - e->hit_cap) * sizeof(*nh);
            base = nh;
            e->hit_cap = ncap;
        }
        if (e->hit_skip)
            memmove(base, base + e->hit_skip, e->hit_count * sizeof(*base));
        e->hits = base;
        e->hit_skip = 0;
    }
    if (e->hit_seq != st->event_seq) {
        e->hit_seq = st->event_seq;
        e->hit_seq_count = 0;
    }
    if (e->hit_seq_count < UINT16_MAX)
        e->hit_seq_count++;
    uint64_t abs = e->hit_abs0 + e->hit_count;
    uint64_t prev = e->hit_last[rule]; /* 1 + its absolute index; 0: none */
    uint32_t back = prev > e->hit_abs0 && abs - (prev - 1) <= UINT32_MAX
                        ? (uint32_t)(abs - (prev - 1))
                        : 0; /* 0 too when the previous one was dropped */
    e->hits[e->hit_count++] = (dn__hit){ts_ms, rule, score, copy, note_len, back};
    e->hit_last[rule] = abs + 1;
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
static int64_t hits_now(const dn__entity *e, int64_t now_ms)
{
    if (e->newest_ts != INT64_MIN && now_ms < e->newest_ts)
        now_ms = e->newest_ts;
    if (e->hit_count && now_ms < e->hits[e->hit_count - 1].ts)
        now_ms = e->hits[e->hit_count - 1].ts;
    return now_ms;
}

static inline bool in_window(int64_t ts, int64_t window_ms, int64_t now_ms)
{
    return ts <= now_ms && (now_ms < INT64_MIN + window_ms || ts > now_ms - window_ms);
}

/* Position in the log of rule's newest hit, or -1 when it has none left. */
static int64_t newest_of(const dn__state *st, const dn__entity *e, uint32_t rule)
{
    if (!e->hit_last || rule >= st->kinds[e->kind].plan->rule_count)
        return -1;
    uint64_t last = e->hit_last[rule]; /* 1 + absolute index */
    if (last <= e->hit_abs0)
        return -1; /* none, or dropped */
    return (int64_t)(last - 1 - e->hit_abs0);
}

uint32_t dn__state_hits(const dn__state *st, const dn__entity *e, uint32_t rule, int64_t window_ms,
                        int64_t now_ms)
{
    uint32_t n = e->hit_count;
    now_ms = hits_now(e, now_ms);
    if (e->hit_seq == st->event_seq)
        n -= e->hit_seq_count <= n ? e->hit_seq_count : n;
    uint32_t count = 0;
    /* the rule's hits, newest first along the links: hit times never decrease and none is after
     * now_ms, so the first one out of the window ends the walk */
    int64_t i = newest_of(st, e, rule);
    while (i >= 0) {
        const dn__hit *h = &e->hits[i];
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
    now_ms = hits_now(e, now_ms);
    if (rule_count <= 64) {
        /* each listed rule once (its first position), with its newest hit when that is in the
         * window: the newest is in the window whenever any of its hits is */
        for (uint32_t p = 0; p < rule_count; p++) {
            if (rule_pos(rules[p], rules, rule_count) != (int)p)
                continue;
            int64_t i = newest_of(st, e, rules[p]);
            if (i >= 0 && in_window(e->hits[i].ts, window_ms, now_ms))
                sum += e->hits[i].score;
        }
        return sum;
    }
    for (uint32_t i = e->hit_count; i > 0; i--) {
        const dn__hit *h = &e->hits[i - 1];
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
    (void)st;
    uint32_t n = 0;
    uint64_t seen = 0;
    now_ms = hits_now(e, now_ms);
    for (uint32_t i = e->hit_count; i > 0 && n < cap; i--) {
        const dn__hit *h = &e->hits[i - 1];
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
    if (!e->typ) {
        e->typ = calloc(count, sizeof(*e->typ));
        if (!e->typ)
            return NULL;
        st->stats.bytes += count * sizeof(*e->typ);
    }
    return &e->typ[t];
}
