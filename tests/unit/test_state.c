/*
 * test_state.c - the state store (engine/state) against hand-computed histories.
 *
 * Every test builds its own dn__state_plan by hand (no rule compiler) and drives the calls in
 * the order the engine does: event_begin, touch, observe, then queries and record_hit.
 */
#include "state/state.h"
#include "state/state_int.h"

#include "common/hash.h"
#include "dragnet/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define MIN_MS  60000LL
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)
#define T0      1700000000000LL

typedef struct fixture {
    dn__state_plan plans[DN__ENT_KIND_COUNT];
    dn__state *st;
} fixture;

static fixture fx;

static dn__state *make_state(const dn__agg_spec *aggs, uint32_t n, uint32_t filters,
                             int64_t retention, int64_t cp_memory, uint64_t max_entities,
                             uint32_t max_facts)
{
    memset(&fx, 0, sizeof(fx));
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++) {
        fx.plans[k] = (dn__state_plan){aggs, n, filters, retention, cp_memory, 8, 2};
    }
    dn_state_config cfg;
    dn_state_config_default(&cfg);
    cfg.max_entities = max_entities;
    cfg.max_facts_per_entity = max_facts;
    assert_int_equal(dn__state_new(&cfg, fx.plans, &fx.st), 0);
    return fx.st;
}

static dn_str S(const char *s)
{
    return (dn_str){s, (uint32_t)strlen(s)};
}

static uint64_t H(const char *s)
{
    return dn__hash64(s, strlen(s));
}

static dn__fact_in fact(int64_t ts, dn__dir dir, int64_t amount, const char *cp, const char *id)
{
    dn__fact_in f;
    memset(&f, 0, sizeof(f));
    f.ts_ms = ts;
    f.dir = dir;
    f.type = DN_EV_TRANSFER;
    f.has_amount = amount >= 0;
    f.amount_base_minor = amount >= 0 ? amount : 0;
    f.counterparty_h = cp ? H(cp) : 0;
    f.event_id = S(id);
    return f;
}

static dn__entity *touch(dn__state *st, const char *id)
{
    dn__entity *e = NULL;
    assert_int_equal(dn__state_touch(st, DN__ENT_ACCOUNT, S(id), &e), 0);
    assert_non_null(e);
    return e;
}

/* One event for one entity: begin, touch, observe. */
static dn__entity *put(dn__state *st, const char *ent, dn__fact_in f, dn__observation *pre)
{
    dn__observation dummy;
    dn__state_event_begin(st);
    dn__entity *e = touch(st, ent);
    assert_int_equal(dn__state_observe(st, e, &f, pre ? pre : &dummy), 0);
    return e;
}

static int64_t agg_i(dn__state *st, dn__entity *e, uint32_t slot, int64_t now, uint64_t cp)
{
    dn__agg_value v;
    dn__state_agg(st, e, slot, now, cp, &v);
    return v.i;
}

static double agg_d(dn__state *st, dn__entity *e, uint32_t slot, int64_t now)
{
    dn__agg_value v;
    dn__state_agg(st, e, slot, now, 0, &v);
    assert_true(v.is_double);
    return v.d;
}

static int teardown(void **state)
{
    (void)state;
    dn__state_free(fx.st);
    fx.st = NULL;
    return 0;
}

/* count/sum/avg/max/min over 24h of out, against a history computed by hand. */
static void test_aggregates_history(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {
        {DN__AGG_COUNT, DN__DIR_OUT, 0, DAY_MS, -1}, {DN__AGG_SUM, DN__DIR_OUT, 0, DAY_MS, -1},
        {DN__AGG_AVG, DN__DIR_OUT, 0, DAY_MS, -1},   {DN__AGG_MAX, DN__DIR_OUT, 0, DAY_MS, -1},
        {DN__AGG_MIN, DN__DIR_OUT, 0, DAY_MS, -1},
    };
    dn__state *st = make_state(aggs, 5, 0, 7 * DAY_MS, 0, 100, 64);
    put(st, "A", fact(T0, DN__DIR_OUT, 1000, "x", "e1"), NULL);
    put(st, "A", fact(T0 + 2 * HOUR_MS, DN__DIR_OUT, 500, "y", "e2"), NULL);
    put(st, "A", fact(T0 + 3 * HOUR_MS, DN__DIR_IN, 9999, "z", "e3"), NULL); /* not out */
    dn__entity *e = put(st, "A", fact(T0 + 10 * HOUR_MS, DN__DIR_OUT, 2500, "x", "e4"), NULL);
    int64_t now = T0 + 10 * HOUR_MS;
    assert_int_equal(agg_i(st, e, 0, now, 0), 3);
    assert_int_equal(agg_i(st, e, 1, now, 0), 4000);
    assert_true(agg_d(st, e, 2, now) > 1333.33 && agg_d(st, e, 2, now) < 1333.34);
    assert_int_equal(agg_i(st, e, 3, now, 0), 2500);
    assert_int_equal(agg_i(st, e, 4, now, 0), 500);
    /* 25h after T0: e1 has left; e2 and e4 remain. */
    e = put(st, "A", fact(T0 + 25 * HOUR_MS, DN__DIR_OUT, 100, "w", "e5"), NULL);
    now = T0 + 25 * HOUR_MS;
    assert_int_equal(agg_i(st, e, 0, now, 0), 3);
    assert_int_equal(agg_i(st, e, 1, now, 0), 3100);
    assert_int_equal(agg_i(st, e, 3, now, 0), 2500);
    assert_int_equal(agg_i(st, e, 4, now, 0), 100);
    /* a query later than any fact, without an observe: e2 (2h) and e4 (10h) leave by 34h+1ms */
    now = T0 + 34 * HOUR_MS + 1;
    assert_int_equal(agg_i(st, e, 0, now, 0), 1);
    assert_int_equal(agg_i(st, e, 1, now, 0), 100);
    assert_int_equal(agg_i(st, e, 3, now, 0), 100);
    /* a fact without an amount counts but adds nothing and does not move avg/max/min */
    e = put(st, "A", fact(T0 + 26 * HOUR_MS, DN__DIR_OUT, -1, "w", "e6"), NULL);
    now = T0 + 26 * HOUR_MS;
    assert_int_equal(agg_i(st, e, 0, now, 0), 3); /* e2 is exactly 24h old: gone */
    assert_int_equal(agg_i(st, e, 1, now, 0), 2600);
    assert_true(agg_d(st, e, 2, now) == 1300.0);
    assert_int_equal(agg_i(st, e, 4, now, 0), 100);
}

/* A fact exactly w old has left the window; one 1 ms younger is still in it. */
static void test_window_edges(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, HOUR_MS, -1},
                                        {DN__AGG_MAX, DN__DIR_ANY, 0, HOUR_MS, -1}};
    dn__state *st = make_state(aggs, 2, 0, HOUR_MS, 0, 100, 64);
    put(st, "A", fact(T0, DN__DIR_IN, 700, NULL, "a"), NULL);
    put(st, "A", fact(T0 + 1, DN__DIR_IN, 500, NULL, "b"), NULL);
    dn__entity *e = put(st, "A", fact(T0 + HOUR_MS, DN__DIR_IN, 100, NULL, "c"), NULL);
    assert_int_equal(agg_i(st, e, 0, T0 + HOUR_MS, 0), 2); /* a is exactly 1h old: out */
    assert_int_equal(agg_i(st, e, 1, T0 + HOUR_MS, 0), 500);
    assert_int_equal(agg_i(st, e, 0, T0 + HOUR_MS + 1, 0), 1); /* b leaves 1 ms later */
    assert_int_equal(agg_i(st, e, 1, T0 + HOUR_MS + 1, 0), 100);
    dn_state_stats s;
    dn__state_stats(st, &s);
    assert_int_equal(s.facts, 2); /* a left with the retention (1h) at c's insert */
}

static void test_filters(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_SUM, DN__DIR_ANY, 0, DAY_MS, 0},
                                        {DN__AGG_COUNT, DN__DIR_ANY, 0, DAY_MS, 1},
                                        {DN__AGG_SUM, DN__DIR_ANY, 0, DAY_MS, -1},
                                        {DN__AGG_MAX, DN__DIR_ANY, 0, DAY_MS, 1}};
    dn__state *st = make_state(aggs, 4, 2, DAY_MS, 0, 100, 64);
    dn__fact_in f = fact(T0, DN__DIR_OUT, 100, "x", "1");
    f.filter_bits = 1; /* filter 0 */
    put(st, "A", f, NULL);
    f = fact(T0 + 1, DN__DIR_OUT, 200, "x", "2");
    f.filter_bits = 2; /* filter 1 */
    put(st, "A", f, NULL);
    f = fact(T0 + 2, DN__DIR_OUT, 400, "x", "3");
    f.filter_bits = 3; /* both */
    dn__entity *e = put(st, "A", f, NULL);
    assert_int_equal(agg_i(st, e, 0, T0 + 2, 0), 500);
    assert_int_equal(agg_i(st, e, 1, T0 + 2, 0), 2);
    assert_int_equal(agg_i(st, e, 2, T0 + 2, 0), 700);
    assert_int_equal(agg_i(st, e, 3, T0 + 2, 0), 400);
}

static void test_directions(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_SUM, DN__DIR_IN, 0, DAY_MS, -1},
                                        {DN__AGG_SUM, DN__DIR_OUT, 0, DAY_MS, -1},
                                        {DN__AGG_SUM, DN__DIR_ANY, 0, DAY_MS, -1}};
    dn__state *st = make_state(aggs, 3, 0, DAY_MS, 0, 100, 64);
    put(st, "A", fact(T0, DN__DIR_IN, 1, "x", "1"), NULL);
    put(st, "A", fact(T0 + 1, DN__DIR_OUT, 20, "x", "2"), NULL);
    dn__entity *e = put(st, "A", fact(T0 + 2, DN__DIR_IN, 300, "x", "3"), NULL);
    assert_int_equal(agg_i(st, e, 0, T0 + 2, 0), 301);
    assert_int_equal(agg_i(st, e, 1, T0 + 2, 0), 20);
    assert_int_equal(agg_i(st, e, 2, T0 + 2, 0), 321);
    /* a device entity's facts have dir any: they count for in, out and any slots */
    dn__entity *d = NULL;
    dn__fact_in f = fact(T0 + 3, DN__DIR_ANY, 5, "x", "4");
    dn__observation pre;
    dn__state_event_begin(st);
    assert_int_equal(dn__state_touch(st, DN__ENT_DEVICE, S("A"), &d), 0);
    assert_ptr_not_equal(d, e); /* same id, other kind: another entity */
    assert_int_equal(dn__state_observe(st, d, &f, &pre), 0);
    assert_int_equal(agg_i(st, d, 2, T0 + 3, 0), 5);
    assert_int_equal(dn__entity_kind_of(d), DN__ENT_DEVICE);
}

static void test_distinct_fields(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_COUNTERPARTY, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_DEVICE, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_IP, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_IP_COUNTRY, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_COUNTRY, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_CHANNEL, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_ACCOUNT, DAY_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_IN, DN__FIELD_COUNTERPARTY, DAY_MS, -1},
    };
    dn__state *st = make_state(aggs, 8, 0, DAY_MS, 0, 100, 64);
    static const struct {
        const char *cp, *dev, *ip, *chan;
        uint16_t ipc, country;
        dn__dir dir;
    } rows[] = {
        {"a", "d1", "i1", "online", 'K' << 8 | 'H', 'M' << 8 | 'M', DN__DIR_IN},
        {"b", "d1", "i2", "online", 'K' << 8 | 'H', 'L' << 8 | 'A', DN__DIR_IN},
        {"a", "d2", "i3", "mobile", 'P' << 8 | 'H', 'M' << 8 | 'M', DN__DIR_OUT},
        {"c", NULL, NULL, NULL, 0, 0, DN__DIR_OUT}, /* absent values are not counted */
    };
    dn__entity *e = NULL;
    for (int i = 0; i < 4; i++) {
        dn__fact_in f = fact(T0 + i, rows[i].dir, 10, rows[i].cp, "id");
        f.device_h = rows[i].dev ? H(rows[i].dev) : 0;
        f.ip_h = rows[i].ip ? H(rows[i].ip) : 0;
        f.channel_h = rows[i].chan ? H(rows[i].chan) : 0;
        f.ip_country = rows[i].ipc;
        f.country = rows[i].country;
        e = put(st, "A", f, NULL);
    }
    int64_t now = T0 + 3;
    assert_int_equal(agg_i(st, e, 0, now, 0), 3); /* a b c */
    assert_int_equal(agg_i(st, e, 1, now, 0), 2); /* d1 d2 */
    assert_int_equal(agg_i(st, e, 2, now, 0), 3); /* i1 i2 i3 */
    assert_int_equal(agg_i(st, e, 3, now, 0), 2); /* KH PH */
    assert_int_equal(agg_i(st, e, 4, now, 0), 2); /* MM LA */
    assert_int_equal(agg_i(st, e, 5, now, 0), 2); /* online mobile */
    assert_int_equal(agg_i(st, e, 6, now, 0), 3);
    assert_int_equal(agg_i(st, e, 7, now, 0), 2); /* in: a b */
}

static void test_pair(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_PAIR_COUNT, DN__DIR_ANY, 0, DAY_MS, -1},
                                        {DN__AGG_PAIR_SUM, DN__DIR_ANY, 0, DAY_MS, -1},
                                        {DN__AGG_PAIR_MAX, DN__DIR_OUT, 0, DAY_MS, -1}};
    dn__state *st = make_state(aggs, 3, 0, 2 * DAY_MS, 0, 100, 64);
    put(st, "A", fact(T0, DN__DIR_OUT, 100, "bob", "1"), NULL);
    put(st, "A", fact(T0 + HOUR_MS, DN__DIR_IN, 700, "bob", "2"), NULL);
    put(st, "A", fact(T0 + 2 * HOUR_MS, DN__DIR_OUT, 300, "eve", "3"), NULL);
    dn__entity *e = put(st, "A", fact(T0 + 3 * HOUR_MS, DN__DIR_OUT, 50, "bob", "4"), NULL);
    int64_t now = T0 + 3 * HOUR_MS;
    assert_int_equal(agg_i(st, e, 0, now, H("bob")), 3);
    assert_int_equal(agg_i(st, e, 1, now, H("bob")), 850);
    assert_int_equal(agg_i(st, e, 2, now, H("bob")), 100); /* out only */
    assert_int_equal(agg_i(st, e, 0, now, H("eve")), 1);
    assert_int_equal(agg_i(st, e, 0, now, 0), 0); /* no counterparty: no pair */
    /* after 24h the first bob fact leaves */
    assert_int_equal(agg_i(st, e, 0, T0 + DAY_MS, H("bob")), 2);
    assert_int_equal(agg_i(st, e, 2, T0 + DAY_MS, H("bob")), 50);
}

static void test_new_counterparty(void **state)
{
    (void)state;
    dn__state *st = make_state(NULL, 0, 0, DAY_MS, 30 * DAY_MS, 100, 64);
    dn__observation pre;
    put(st, "A", fact(T0, DN__DIR_OUT, 1, "bob", "1"), &pre);
    assert_true(pre.is_new_counterparty);
    put(st, "A", fact(T0 + DAY_MS, DN__DIR_OUT, 1, "bob", "2"), &pre);
    assert_false(pre.is_new_counterparty); /* memory 30d outlives the 1d fact retention */
    put(st, "A", fact(T0 + DAY_MS, DN__DIR_OUT, 1, NULL, "3"), &pre);
    assert_false(pre.is_new_counterparty); /* no counterparty: never new */
    /* 30 days after the last sight exactly: forgotten */
    put(st, "A", fact(T0 + 31 * DAY_MS, DN__DIR_OUT, 1, "bob", "4"), &pre);
    assert_true(pre.is_new_counterparty);
    put(st, "A", fact(T0 + 61 * DAY_MS - 1, DN__DIR_OUT, 1, "bob", "5"), &pre);
    assert_false(pre.is_new_counterparty); /* 1 ms inside the memory */
    /* many counterparties: the set grows and purges what it forgot */
    char name[32];
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "cp%d", i);
        put(st, "A", fact(T0 + 100 * DAY_MS + i, DN__DIR_OUT, 1, name, "x"), &pre);
        assert_true(pre.is_new_counterparty);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "cp%d", i);
        put(st, "A", fact(T0 + 101 * DAY_MS, DN__DIR_OUT, 1, name, "x"), &pre);
        assert_false(pre.is_new_counterparty);
    }
}

static void test_first_seen_opened_last(void **state)
{
    (void)state;
    dn__state *st = make_state(NULL, 0, 0, DAY_MS, 0, 100, 64);
    dn__observation pre;
    put(st, "A", fact(T0, DN__DIR_IN, 1, "x", "1"), &pre);
    assert_true(pre.is_new_entity);
    assert_int_equal(pre.first_seen_ms, T0);
    assert_int_equal(pre.opened_ms, T0); /* no customer.opened: first seen */
    assert_true(pre.last_ms[DN__DIR_IN] == INT64_MIN);
    assert_true(pre.last_ms[DN__DIR_ANY] == INT64_MIN);
    dn__fact_in f = fact(T0 + HOUR_MS, DN__DIR_OUT, 1, "x", "2");
    f.has_opened = true;
    f.opened_ms = T0 - 3 * DAY_MS;
    put(st, "A", f, &pre);
    assert_false(pre.is_new_entity);
    assert_int_equal(pre.first_seen_ms, T0);
    assert_int_equal(pre.opened_ms, T0 - 3 * DAY_MS);
    assert_int_equal(pre.last_ms[DN__DIR_IN], T0);
    assert_true(pre.last_ms[DN__DIR_OUT] == INT64_MIN);
    assert_int_equal(pre.last_ms[DN__DIR_ANY], T0);
    put(st, "A", fact(T0 + 2 * HOUR_MS, DN__DIR_IN, 1, "x", "3"), &pre);
    assert_int_equal(pre.last_ms[DN__DIR_IN], T0);
    assert_int_equal(pre.last_ms[DN__DIR_OUT], T0 + HOUR_MS);
    assert_int_equal(pre.last_ms[DN__DIR_ANY], T0 + HOUR_MS);
    assert_int_equal(pre.opened_ms, T0 - 3 * DAY_MS);
    /* everything expired: new again, but first seen is kept for the entity's life */
    put(st, "A", fact(T0 + 5 * DAY_MS, DN__DIR_IN, 1, "x", "4"), &pre);
    assert_true(pre.is_new_entity);
    assert_int_equal(pre.first_seen_ms, T0);
    assert_int_equal(pre.last_ms[DN__DIR_IN], T0 + 2 * HOUR_MS);
}

static void test_hits_earlier_only(void **state)
{
    (void)state;
    dn__state *st = make_state(NULL, 0, 0, 7 * DAY_MS, 0, 100, 64);
    dn__entity *e = put(st, "A", fact(T0, DN__DIR_OUT, 1, "x", "1"), NULL);
    assert_int_equal(dn__state_hits(st, e, 3, DAY_MS, T0), 0);
    assert_int_equal(dn__state_record_hit(st, e, 3, T0, 10), 0);
    assert_int_equal(dn__state_hits(st, e, 3, DAY_MS, T0), 0); /* this event's: not counted */
    uint32_t rules[] = {3, 5};
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, DAY_MS, T0), 10); /* but scored */
    e = put(st, "A", fact(T0 + HOUR_MS, DN__DIR_OUT, 1, "x", "2"), NULL);
    assert_int_equal(dn__state_hits(st, e, 3, DAY_MS, T0 + HOUR_MS), 1);
    assert_int_equal(dn__state_record_hit(st, e, 3, T0 + HOUR_MS, 12), 0);
    assert_int_equal(dn__state_record_hit(st, e, 5, T0 + HOUR_MS, 7), 0);
    assert_int_equal(dn__state_hits(st, e, 3, DAY_MS, T0 + HOUR_MS), 1);
    assert_int_equal(dn__state_hits(st, e, 5, DAY_MS, T0 + HOUR_MS), 0);
    /* each rule once, with its newest hit's score: 12 + 7, not 10 + 12 + 7 */
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, DAY_MS, T0 + HOUR_MS), 19);
    assert_int_equal(dn__state_hit_score(st, e, rules, 1, DAY_MS, T0 + HOUR_MS), 12);
    assert_int_equal(dn__state_hit_score(st, e, rules + 1, 1, DAY_MS, T0 + HOUR_MS), 7);
    e = put(st, "A", fact(T0 + DAY_MS, DN__DIR_OUT, 1, "x", "3"), NULL);
    assert_int_equal(dn__state_hits(st, e, 3, DAY_MS, T0 + DAY_MS), 1);     /* T0's is 24h old */
    assert_int_equal(dn__state_hits(st, e, 3, 2 * DAY_MS, T0 + DAY_MS), 2); /* hits() counts all */
    assert_int_equal(dn__state_hits(st, e, 5, DAY_MS, T0 + DAY_MS), 1);
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, DAY_MS, T0 + DAY_MS), 19);
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, 2 * DAY_MS, T0 + DAY_MS), 19);
    /* a window holding only the oldest hit of rule 3 is not reachable: the newest one counts */
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, HOUR_MS, T0 + DAY_MS), 0);
    assert_int_equal(dn__state_record_hit(st, e, 8, T0, 1), DN_EINVAL); /* rule_count is 8 */
    /* the newest hit of each rule, oldest first; a newer, lower score replaces the older one */
    const char note[] = "because";
    assert_int_equal(dn__state_record_hit_note(st, e, 5, T0 + DAY_MS, 4, note, sizeof(note)), 0);
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, 2 * DAY_MS, T0 + DAY_MS), 16);
    dn__hit_view v[3];
    assert_int_equal(dn__state_hit_list(st, e, rules, 2, 2 * DAY_MS, T0 + DAY_MS, v, 3), 2);
    assert_int_equal(v[0].rule, 3);
    assert_int_equal(v[0].score, 12);
    assert_int_equal(v[0].ts_ms, T0 + HOUR_MS);
    assert_null(v[0].note);
    assert_int_equal(v[1].rule, 5);
    assert_int_equal(v[1].score, 4);
    assert_int_equal(v[1].ts_ms, T0 + DAY_MS);
    assert_int_equal(v[1].note_len, sizeof(note));
    assert_memory_equal(v[1].note, note, sizeof(note));
    /* capped: the newest */
    assert_int_equal(dn__state_hit_list(st, e, rules, 2, 2 * DAY_MS, T0 + DAY_MS, v, 1), 1);
    assert_int_equal(v[0].rule, 5);
    assert_int_equal(v[0].score, 4);
    /* only the rules asked for */
    assert_int_equal(dn__state_hit_list(st, e, rules, 1, 2 * DAY_MS, T0 + DAY_MS, v, 3), 1);
    assert_int_equal(v[0].rule, 3);
    /* hits leave with the retention */
    e = put(st, "A", fact(T0 + 30 * DAY_MS, DN__DIR_OUT, 1, "x", "4"), NULL);
    assert_int_equal(dn__state_hit_score(st, e, rules, 2, 365 * DAY_MS, T0 + 30 * DAY_MS), 0);
    assert_int_equal(dn__state_hit_list(st, e, rules, 2, 365 * DAY_MS, T0 + 30 * DAY_MS, v, 3), 0);
}

static void test_lru_eviction(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, DAY_MS, -1}};
    dn__state *st = make_state(aggs, 1, 0, DAY_MS, 0, 3, 64);
    put(st, "A", fact(T0, DN__DIR_OUT, 1, "x", "1"), NULL);
    put(st, "B", fact(T0 + 1, DN__DIR_OUT, 1, "x", "2"), NULL);
    put(st, "C", fact(T0 + 2, DN__DIR_OUT, 1, "x", "3"), NULL);
    put(st, "A", fact(T0 + 3, DN__DIR_OUT, 1, "x", "4"), NULL); /* A is now the most recent */
    put(st, "D", fact(T0 + 4, DN__DIR_OUT, 1, "x", "5"), NULL); /* evicts B */
    dn_state_stats s;
    dn__state_stats(st, &s);
    assert_int_equal(s.entities, 3);
    assert_int_equal(s.evicted_entities, 1);
    assert_int_equal(s.facts, 4);
    dn__observation pre;
    put(st, "A", fact(T0 + 5, DN__DIR_OUT, 1, "x", "6"), &pre);
    assert_false(pre.is_new_entity);
    put(st, "B", fact(T0 + 6, DN__DIR_OUT, 1, "x", "7"), &pre); /* evicts C */
    assert_true(pre.is_new_entity);
    assert_int_equal(pre.first_seen_ms, T0 + 6);
    /* entities touched for the current event are never evicted: the cap bends for it */
    dn__state_event_begin(st);
    dn__entity *e[4];
    const char *ids[4] = {"P", "Q", "R", "S"};
    for (int i = 0; i < 4; i++)
        e[i] = touch(st, ids[i]);
    for (int i = 0; i < 4; i++)
        assert_memory_equal(dn__entity_id(e[i]).ptr, ids[i], 1);
    dn__state_stats(st, &s);
    assert_int_equal(s.entities, 4);
    assert_int_equal(s.evicted_entities, 5);
    assert_int_equal(s.entities_created, 9);
    dn__state_event_begin(st);
    touch(st, "T");
    dn__state_stats(st, &s);
    assert_int_equal(s.entities, 3);
}

static void test_fact_cap(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, DAY_MS, -1},
                                        {DN__AGG_SUM, DN__DIR_ANY, 0, DAY_MS, -1},
                                        {DN__AGG_MIN, DN__DIR_ANY, 0, DAY_MS, -1}};
    dn__state *st = make_state(aggs, 3, 0, DAY_MS, 0, 100, 5);
    dn__entity *e = NULL;
    for (int i = 1; i <= 8; i++)
        e = put(st, "A", fact(T0 + i, DN__DIR_OUT, i, "x", "id"), NULL);
    assert_int_equal(agg_i(st, e, 0, T0 + 8, 0), 5);
    assert_int_equal(agg_i(st, e, 1, T0 + 8, 0), 4 + 5 + 6 + 7 + 8);
    assert_int_equal(agg_i(st, e, 2, T0 + 8, 0), 4);
    dn_state_stats s;
    dn__state_stats(st, &s);
    assert_int_equal(s.dropped_facts, 3);
    assert_int_equal(s.facts, 5);
}

static void test_out_of_order_clamped(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, HOUR_MS, -1}};
    dn__state *st = make_state(aggs, 1, 0, HOUR_MS, 0, 100, 64);
    put(st, "A", fact(T0 + 10 * MIN_MS, DN__DIR_OUT, 1, "x", "1"), NULL);
    dn__observation pre;
    dn__entity *e = put(st, "A", fact(T0, DN__DIR_OUT, 1, "x", "late"), &pre);
    assert_int_equal(pre.last_ms[DN__DIR_OUT], T0 + 10 * MIN_MS);
    /* the late fact took T0+10min: both leave the 1h window together at T0+70min */
    assert_int_equal(agg_i(st, e, 0, T0, 0), 2); /* a query in the past is answered at newest */
    assert_int_equal(agg_i(st, e, 0, T0 + 70 * MIN_MS - 1, 0), 2);
    assert_int_equal(agg_i(st, e, 0, T0 + 70 * MIN_MS, 0), 0);
    e = put(st, "A", fact(T0 + 20 * MIN_MS, DN__DIR_OUT, 1, "x", "3"), &pre);
    assert_int_equal(pre.last_ms[DN__DIR_OUT], T0 + 10 * MIN_MS);
    assert_int_equal(agg_i(st, e, 0, T0 + 20 * MIN_MS, 0), 3);
}

static void test_event_ids(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_SUM, DN__DIR_IN, 0, DAY_MS, -1},
                                        {DN__AGG_PAIR_COUNT, DN__DIR_ANY, 0, DAY_MS, -1},
                                        {DN__AGG_COUNT, DN__DIR_ANY, 0, DAY_MS, 0}};
    dn__state *st = make_state(aggs, 3, 1, 2 * DAY_MS, 0, 100, 64);
    char id[80];
    dn__entity *e = NULL;
    for (int i = 0; i < 40; i++) {
        /* ids up to 64 bytes long, enough of them to wrap and grow the id ring */
        int n = snprintf(id, sizeof(id), "event-%02d-%.*s", i, i % 50,
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        assert_true(n <= 64);
        dn__fact_in f = fact(T0 + i * HOUR_MS, i % 2 ? DN__DIR_IN : DN__DIR_OUT, 1,
                             i % 3 == 0 ? "bob" : "eve", id);
        f.filter_bits = (uint64_t)(i % 5 == 0);
        e = put(st, "A", f, NULL);
    }
    int64_t now = T0 + 39 * HOUR_MS; /* in window: i 16..39 */
    dn_str ids[64];
    uint32_t n = dn__state_agg_event_ids(st, e, 0, now, 0, ids, 64);
    assert_int_equal(n, 12); /* odd i in 16..39 */
    assert_int_equal(ids[0].len, strlen("event-39-") + 39);
    assert_memory_equal(ids[0].ptr, "event-39-", 9);
    assert_memory_equal(ids[1].ptr, "event-37-", 9);
    assert_memory_equal(ids[11].ptr, "event-17-", 9);
    assert_int_equal(dn__state_agg_event_ids(st, e, 0, now, 0, ids, 3), 3);
    assert_memory_equal(ids[2].ptr, "event-35-", 9);
    n = dn__state_agg_event_ids(st, e, 1, now, H("bob"), ids, 64); /* i%3==0: 18..39 */
    assert_int_equal(n, 8);
    assert_memory_equal(ids[0].ptr, "event-39-", 9);
    assert_memory_equal(ids[7].ptr, "event-18-", 9);
    n = dn__state_agg_event_ids(st, e, 2, now, 0, ids, 64); /* 20, 25, 30, 35 */
    assert_int_equal(n, 4);
    assert_memory_equal(ids[0].ptr, "event-35-", 9);
    assert_memory_equal(ids[3].ptr, "event-20-", 9);
}

static void test_typology_and_bytes(void **state)
{
    (void)state;
    dn__state *st = make_state(NULL, 0, 0, DAY_MS, 0, 100, 64);
    dn__entity *e = put(st, "A", fact(T0, DN__DIR_OUT, 1, "x", "1"), NULL);
    dn_state_stats s0, s1;
    dn__state_stats(st, &s0);
    dn__typology_state *t = dn__state_typology(st, e, 1);
    assert_non_null(t);
    assert_false(t->is_open);
    t->is_open = true;
    assert_true(dn__state_typology(st, e, 1)->is_open);
    assert_null(dn__state_typology(st, e, 2)); /* typology_count is 2 */
    dn__state_stats(st, &s1);
    assert_true(s1.bytes > s0.bytes);
    assert_int_equal(dn__state_touch(st, DN__ENT_KIND_COUNT, S("x"), &e), DN_EINVAL);
}

/* The pool's classes hold what was asked with little to spare, and a freed block is the next
 * one handed out for its class (freed with the length asked or the length it holds). */
static void test_pool(void **state)
{
    (void)state;
    dn__state *st = make_state(NULL, 0, 0, DAY_MS, 0, 100, 64);
    uint32_t prev = 0;
    for (uint32_t len = 1; len <= 70000; len++) {
        uint32_t size = dn__pool_size(len);
        assert_true(size >= len);
        assert_true(size >= prev);
        assert_int_equal(dn__pool_size(size), size);
        if (len > 32 && len <= 65536)
            assert_true((uint64_t)size * 4 <= (uint64_t)len * 5 + 4 * 8);
        prev = size;
    }
    unsigned char *a = dn__pool_alloc(st, 100), *b = dn__pool_alloc(st, 100);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    memset(a, 0xab, dn__pool_size(100));
    dn__pool_free(st, a, 100);
    assert_ptr_equal(dn__pool_alloc(st, 100), a);
    dn__pool_free(st, a, dn__pool_size(100));
    assert_ptr_equal(dn__pool_alloc(st, 97), a);
    unsigned char *big = dn__pool_alloc(st, 200000); /* beyond the classes: malloc */
    assert_non_null(big);
    memset(big, 1, 200000);
    dn__pool_free(st, big, 200000);
    dn__pool_free(st, a, 97);
    dn__pool_free(st, b, 100);
}

/* A plan without slots keeps no facts, yet the observation still works. */
static void test_no_slots_no_facts(void **state)
{
    (void)state;
    dn__state *st = make_state(NULL, 0, 0, DAY_MS, DAY_MS, 100, 64);
    dn__observation pre;
    put(st, "A", fact(T0, DN__DIR_OUT, 1, "x", "1"), &pre);
    assert_true(pre.is_new_entity);
    put(st, "A", fact(T0 + 1, DN__DIR_IN, 1, "x", "2"), &pre);
    assert_false(pre.is_new_entity);
    assert_false(pre.is_new_counterparty);
    assert_int_equal(pre.last_ms[DN__DIR_OUT], T0);
    put(st, "A", fact(T0 + 1 + DAY_MS, DN__DIR_IN, 1, "y", "3"), &pre);
    assert_true(pre.is_new_entity); /* the newest fact is exactly the retention old */
    assert_true(pre.is_new_counterparty);
    dn_state_stats s;
    dn__state_stats(st, &s);
    assert_int_equal(s.facts, 0);
}

/* Event ids longer than the wire limit are cut; empty ids work; hits are capped. */
static void test_limits(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, DAY_MS, -1}};
    dn__state *st = make_state(aggs, 1, 0, DAY_MS, 0, 100, 4);
    char long_id[100];
    memset(long_id, 'z', sizeof(long_id) - 1);
    long_id[99] = '\0';
    put(st, "A", fact(T0, DN__DIR_OUT, 1, "x", long_id), NULL);
    dn__entity *e = put(st, "A", fact(T0 + 1, DN__DIR_OUT, 1, "x", ""), NULL);
    dn_str ids[4];
    assert_int_equal(dn__state_agg_event_ids(st, e, 0, T0 + 1, 0, ids, 4), 2);
    assert_int_equal(ids[0].len, 0);
    assert_int_equal(ids[1].len, DN_ID_MAX_LEN);
    /* the hit log keeps the newest 4: rule 2's hit is pushed out by ten hits of rule 1 */
    assert_int_equal(dn__state_record_hit(st, e, 2, T0 + 1, 100), 0);
    uint32_t both[] = {1, 2};
    assert_int_equal(dn__state_hit_score(st, e, both, 2, DAY_MS, T0 + 1), 100);
    for (int i = 0; i < 10; i++)
        assert_int_equal(dn__state_record_hit(st, e, 1, T0 + 1, 1 + i), 0);
    assert_int_equal(dn__state_hit_score(st, e, both, 2, DAY_MS, T0 + 1), 10);
    dn__hit_view v[4];
    assert_int_equal(dn__state_hit_list(st, e, both, 2, DAY_MS, T0 + 1, v, 4), 1);
    assert_int_equal(v[0].rule, 1);
    assert_int_equal(v[0].score, 10);
    dn__entity *empty = NULL;
    assert_int_equal(dn__state_touch(st, DN__ENT_IP, (dn_str){NULL, 0}, &empty), 0);
    assert_int_equal(dn__entity_id(empty).len, 0);
}

static void test_bad_config(void **state)
{
    (void)state;
    dn__state_plan plans[DN__ENT_KIND_COUNT];
    static const dn__agg_spec bad[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, 0, -1}};
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        plans[k] = (dn__state_plan){bad, 1, 0, DAY_MS, 0, 0, 0};
    dn_state_config cfg;
    dn_state_config_default(&cfg);
    dn__state *st = (dn__state *)1;
    assert_int_equal(dn__state_new(&cfg, plans, &st), DN_EINVAL);
    assert_null(st);
    dn__state_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_aggregates_history, teardown),
        cmocka_unit_test_teardown(test_window_edges, teardown),
        cmocka_unit_test_teardown(test_filters, teardown),
        cmocka_unit_test_teardown(test_directions, teardown),
        cmocka_unit_test_teardown(test_distinct_fields, teardown),
        cmocka_unit_test_teardown(test_pair, teardown),
        cmocka_unit_test_teardown(test_new_counterparty, teardown),
        cmocka_unit_test_teardown(test_first_seen_opened_last, teardown),
        cmocka_unit_test_teardown(test_hits_earlier_only, teardown),
        cmocka_unit_test_teardown(test_lru_eviction, teardown),
        cmocka_unit_test_teardown(test_fact_cap, teardown),
        cmocka_unit_test_teardown(test_out_of_order_clamped, teardown),
        cmocka_unit_test_teardown(test_event_ids, teardown),
        cmocka_unit_test_teardown(test_typology_and_bytes, teardown),
        cmocka_unit_test_teardown(test_pool, teardown),
        cmocka_unit_test_teardown(test_no_slots_no_facts, teardown),
        cmocka_unit_test_teardown(test_limits, teardown),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
