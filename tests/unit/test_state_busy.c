/*
 * test_state_busy.c - the state store's fast paths for busy entities and for eviction, each
 * against a plain model computed in the test:
 *   - incremental distinct() sets, built once an entity holds more than DN__DSET_MIN_FACTS
 *     facts, must give what a scan of the window gives, as facts enter, leave their windows, and
 *     are dropped by max_facts_per_entity (filters and directions included);
 *   - eviction by batches of the oldest touch stamps must evict exactly in LRU order, also when
 *     entities of the batch are touched again before their turn.
 * Deterministic: a fixed xorshift seed.
 */
#include "state/state.h"

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
#define T0      1700000000000LL
#define NFACTS  3000

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

typedef struct mfact {
    int64_t ts;
    dn__dir dir;
    uint64_t cp, dev;
    uint64_t bits;
} mfact;

static mfact model[NFACTS];

/* distinct values of the slot over the model's last `held` facts, window (now - w, now] */
static int64_t model_distinct(const dn__agg_spec *a, uint32_t n, uint32_t held, int64_t now)
{
    uint64_t seen[NFACTS];
    uint32_t k = 0;
    for (uint32_t i = n - held; i < n; i++) {
        const mfact *f = &model[i];
        uint64_t v = a->field == DN__FIELD_DEVICE ? f->dev : f->cp;
        if (f->ts <= now - a->window_ms || !(f->dir & a->dir) || v == 0)
            continue;
        if (a->filter >= 0 && !((f->bits >> a->filter) & 1u))
            continue;
        uint32_t j = 0;
        while (j < k && seen[j] != v)
            j++;
        if (j == k)
            seen[k++] = v;
    }
    return k;
}

static void test_busy_distinct(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {
        {DN__AGG_DISTINCT, DN__DIR_IN, DN__FIELD_COUNTERPARTY, 6 * HOUR_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_COUNTERPARTY, 48 * HOUR_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_OUT, DN__FIELD_COUNTERPARTY, 24 * HOUR_MS, 0},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_DEVICE, 12 * HOUR_MS, -1},
        {DN__AGG_COUNT, DN__DIR_ANY, DN__FIELD_COUNTERPARTY, 48 * HOUR_MS, -1},
    };
    const uint32_t nslots = sizeof(aggs) / sizeof(aggs[0]);
    for (uint32_t max_facts = 200; max_facts <= 4096; max_facts *= 20) {
        dn__state_plan plans[DN__ENT_KIND_COUNT];
        for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
            plans[k] = (dn__state_plan){aggs, nslots, 1, 72 * HOUR_MS, 0, 4, 1};
        dn_state_config cfg;
        dn_state_config_default(&cfg);
        cfg.max_facts_per_entity = max_facts;
        dn__state *st = NULL;
        assert_int_equal(dn__state_new(&cfg, plans, &st), 0);
        int64_t ts = T0;
        uint32_t held = 0;
        for (uint32_t n = 0; n < NFACTS; n++) {
            /* bursts and gaps, so windows fill, drain and the entity turns busy again */
            ts += rnd() % 64 == 0 ? (int64_t)(rnd() % (30 * HOUR_MS)) : (int64_t)(rnd() % 120000);
            mfact *m = &model[n];
            char cp[16], dev[16];
            snprintf(cp, sizeof(cp), "cp%u", (unsigned)(rnd() % 90));
            snprintf(dev, sizeof(dev), "d%u", (unsigned)(rnd() % 7));
            *m = (mfact){ts, rnd() % 2 ? DN__DIR_IN : DN__DIR_OUT,
                         rnd() % 13 ? dn__hash64(cp, strlen(cp)) : 0,
                         rnd() % 5 ? dn__hash64(dev, strlen(dev)) : 0, rnd() % 2};
            dn__fact_in f;
            memset(&f, 0, sizeof(f));
            f.ts_ms = ts;
            f.dir = m->dir;
            f.type = DN_EV_TRANSFER;
            f.has_amount = true;
            f.amount_base_minor = 100;
            f.counterparty_h = m->cp;
            f.device_h = m->dev;
            f.filter_bits = m->bits;
            f.event_id = (dn_str){"e", 1};
            dn__state_event_begin(st);
            dn__entity *e = NULL;
            assert_int_equal(dn__state_touch(st, DN__ENT_IP, (dn_str){"10.0.0.1", 8}, &e), 0);
            dn__observation pre;
            assert_int_equal(dn__state_observe(st, e, &f, &pre), 0);
            /* the model holds what state holds: the retention and the per-entity cap */
            held++;
            while (held > 0 && model[n + 1 - held].ts <= ts - 72 * HOUR_MS)
                held--;
            if (held > max_facts)
                held = max_facts;
            for (uint32_t s = 0; s < 4; s++) {
                dn__agg_value v;
                dn__state_agg(st, e, s, ts, 0, &v);
                assert_int_equal(v.i, model_distinct(&aggs[s], n + 1, held, ts));
            }
        }
        dn__state_free(st);
    }
}

/* LRU order by stamps: the model is a list of ids, least recently used first. */
static void test_batched_eviction(void **state)
{
    (void)state;
    enum { CAP = 64, IDS = 200, STEPS = 5000 };
    static const dn__agg_spec aggs[] = {{DN__AGG_COUNT, DN__DIR_ANY, 0, HOUR_MS, -1}};
    dn__state_plan plans[DN__ENT_KIND_COUNT];
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        plans[k] = (dn__state_plan){aggs, 1, 0, HOUR_MS, 0, 4, 1};
    dn_state_config cfg;
    dn_state_config_default(&cfg);
    cfg.max_entities = CAP;
    dn__state *st = NULL;
    assert_int_equal(dn__state_new(&cfg, plans, &st), 0);
    uint32_t lru[CAP + 1], n = 0; /* ids held, least recent first */
    uint64_t evicted = 0;
    for (uint32_t step = 0; step < STEPS; step++) {
        uint32_t id = (uint32_t)(rnd() % 4 ? rnd() % (CAP + 8) : rnd() % IDS);
        char buf[16];
        snprintf(buf, sizeof(buf), "acct-%u", id);
        uint32_t i = 0;
        while (i < n && lru[i] != id)
            i++;
        bool is_held = i < n;
        if (is_held) {
            memmove(&lru[i], &lru[i + 1], (n - i - 1) * sizeof(*lru));
            n--;
        } else if (n == CAP) {
            memmove(&lru[0], &lru[1], (n - 1) * sizeof(*lru)); /* the least recent goes */
            n--;
            evicted++;
        }
        lru[n++] = id;
        dn__state_event_begin(st);
        dn__entity *e = NULL;
        assert_int_equal(
            dn__state_touch(st, DN__ENT_ACCOUNT, (dn_str){buf, (uint32_t)strlen(buf)}, &e), 0);
        dn__fact_in f;
        memset(&f, 0, sizeof(f));
        f.ts_ms = T0 + step;
        f.dir = DN__DIR_OUT;
        f.event_id = (dn_str){"e", 1};
        dn__observation pre;
        assert_int_equal(dn__state_observe(st, e, &f, &pre), 0);
        /* an entity the model still holds was never evicted: state has seen it before */
        assert_int_equal(pre.is_new_entity, !is_held);
        dn_state_stats s;
        dn__state_stats(st, &s);
        assert_int_equal(s.entities, n);
        assert_int_equal(s.evicted_entities, evicted);
    }
    dn__state_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_distinct),
        cmocka_unit_test(test_batched_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
