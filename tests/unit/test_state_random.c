/*
 * test_state_random.c - every incremental aggregate against a brute-force recomputation.
 *
 * A deterministic generator (xorshift, fixed seeds) drives thousands of random facts, a few of
 * them late, over a handful of entities with a plan of every aggregate kind, dir, filter and
 * field. A model keeps each entity's full history (with the clamped times state uses); after
 * every observe each slot is compared, at the event's time and at a random later time, with a
 * recomputation over the model's facts that state still holds (the newest max_facts within the
 * retention). Event ids are compared too, new_counterparty against the model's memory, and
 * hits()/hit_score()/hit_list() against a model hit log (earlier events only, clamped times,
 * the per-entity cap) before and after each event's random hits are recorded.
 */
#include "state/state.h"

#include "dragnet/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T0       1700000000000LL
#define HOUR_MS  3600000LL
#define ENTITIES 5
#define FACTS    6000

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static uint32_t rndn(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

typedef struct mfact {
    int64_t ts;
    dn__dir dir;
    bool has_amount;
    int64_t amount;
    uint64_t cp, dev, ip, chan;
    uint16_t ipc, country;
    uint64_t bits;
    char id[24];
} mfact;

typedef struct mhit {
    int64_t ts;
    uint32_t rule, step;
    int32_t score;
} mhit;

typedef struct model {
    mfact *f;
    uint32_t n;
    int64_t newest;
    mhit *h;
    uint32_t hn;
} model;

/* The model's now for hit queries: never before the newest fact or hit (as state answers). */
static int64_t hit_now(const model *m, int64_t now)
{
    if (m->newest > now)
        now = m->newest;
    if (m->hn && m->h[m->hn - 1].ts > now)
        now = m->h[m->hn - 1].ts;
    return now;
}

/* Checks hits(), hit_score() and hit_list() of entity e against the model. */
static void check_hits(dn__state *st, dn__entity *e, const model *m, uint32_t max_facts,
                       uint32_t step, int64_t at)
{
    static const int64_t windows[] = {3600000LL, 24 * 3600000LL, 7 * 24 * 3600000LL};
    uint32_t from = m->hn > max_facts ? m->hn - max_facts : 0;
    for (int wi = 0; wi < 3; wi++) {
        int64_t w = windows[wi], now = hit_now(m, at);
        for (uint32_t rule = 0; rule < 4; rule++) {
            uint32_t want = 0;
            for (uint32_t i = from; i < m->hn; i++)
                want += m->h[i].rule == rule && m->h[i].step != step && m->h[i].ts > now - w &&
                        m->h[i].ts <= now;
            assert_int_equal(dn__state_hits(st, e, rule, w, at), want);
        }
        /* each rule of the set once, with its newest hit in the window (a typology adds up
         * distinct indicators); hit_list gives those hits, oldest first */
        const uint32_t set[2] = {0, 2};
        const mhit *newest[2] = {NULL, NULL};
        for (uint32_t i = from; i < m->hn; i++) {
            const mhit *h = &m->h[i];
            if ((h->rule == 0 || h->rule == 2) && h->ts > now - w && h->ts <= now)
                newest[h->rule / 2] = h;
        }
        int64_t want_score = 0;
        uint32_t want_n = 0;
        const mhit *want_list[2];
        for (int r = 0; r < 2; r++) {
            if (newest[r]) {
                want_score += newest[r]->score;
                want_list[want_n++] = newest[r];
            }
        }
        if (want_n == 2 && want_list[0] > want_list[1]) {
            const mhit *t = want_list[0];
            want_list[0] = want_list[1];
            want_list[1] = t;
        }
        assert_int_equal(dn__state_hit_score(st, e, set, 2, w, at), want_score);
        dn__hit_view v[5];
        uint32_t got = dn__state_hit_list(st, e, set, 2, w, at, v, 5);
        assert_int_equal(got, want_n);
        for (uint32_t k = 0; k < got; k++) {
            assert_int_equal(v[k].rule, want_list[k]->rule);
            assert_int_equal(v[k].ts_ms, want_list[k]->ts);
            assert_int_equal(v[k].score, want_list[k]->score);
        }
        /* capped at one: the newer of the two */
        if (want_n > 0) {
            assert_int_equal(dn__state_hit_list(st, e, set, 2, w, at, v, 1), 1);
            assert_int_equal(v[0].rule, want_list[want_n - 1]->rule);
            assert_int_equal(v[0].score, want_list[want_n - 1]->score);
        }
    }
}

static const dn__agg_kind kinds[] = {DN__AGG_COUNT,      DN__AGG_SUM,      DN__AGG_AVG,
                                     DN__AGG_MAX,        DN__AGG_MIN,      DN__AGG_DISTINCT,
                                     DN__AGG_PAIR_COUNT, DN__AGG_PAIR_SUM, DN__AGG_PAIR_MAX};

static uint64_t field_of(const mfact *f, dn__fact_field field)
{
    switch (field) {
    case DN__FIELD_COUNTERPARTY:
    case DN__FIELD_ACCOUNT:
        return f->cp;
    case DN__FIELD_DEVICE:
        return f->dev;
    case DN__FIELD_IP:
        return f->ip;
    case DN__FIELD_IP_COUNTRY:
        return f->ipc;
    case DN__FIELD_COUNTRY:
        return f->country;
    case DN__FIELD_CHANNEL:
        return f->chan;
    default:
        return 0;
    }
}

static bool needs_amount(dn__agg_kind k)
{
    return k == DN__AGG_SUM || k == DN__AGG_AVG || k == DN__AGG_MAX || k == DN__AGG_MIN ||
           k == DN__AGG_PAIR_SUM || k == DN__AGG_PAIR_MAX;
}

static bool matches(const dn__agg_spec *a, const mfact *f, uint64_t cp)
{
    if (!((unsigned)f->dir & (unsigned)a->dir))
        return false;
    if (a->filter >= 0 && !((f->bits >> a->filter) & 1))
        return false;
    if (needs_amount(a->kind) && !f->has_amount)
        return false;
    if (a->kind >= DN__AGG_PAIR_COUNT && (cp == 0 || f->cp != cp))
        return false;
    if (a->kind == DN__AGG_DISTINCT && field_of(f, a->field) == 0)
        return false;
    return true;
}

/* Brute force: value and ids (newest first) of slot a over the facts state holds. */
static void brute(const model *m, uint32_t max_facts, const dn__agg_spec *a, int64_t now,
                  uint64_t cp, dn__agg_value *out, const char **ids, uint32_t *id_count)
{
    memset(out, 0, sizeof(*out));
    out->is_double = a->kind == DN__AGG_AVG;
    if (m->newest > now)
        now = m->newest;
    uint32_t start = m->n > max_facts ? m->n - max_facts : 0;
    int64_t count = 0, sum = 0, v = 0;
    bool any = false;
    uint64_t seen[4096];
    uint32_t nseen = 0;
    *id_count = 0;
    for (uint32_t i = m->n; i > start; i--) {
        const mfact *f = &m->f[i - 1];
        if (f->ts <= now - a->window_ms || !matches(a, f, cp))
            continue;
        bool dup = false;
        if (a->kind == DN__AGG_DISTINCT) {
            uint64_t x = field_of(f, a->field);
            for (uint32_t j = 0; j < nseen; j++)
                dup = dup || seen[j] == x;
        }
        if (!dup)
            ids[(*id_count)++] = f->id; /* distinct: the newest event of each value */
        count++;
        sum += f->amount;
        if (a->kind == DN__AGG_MAX || a->kind == DN__AGG_PAIR_MAX)
            v = !any || f->amount > v ? f->amount : v;
        if (a->kind == DN__AGG_MIN)
            v = !any || f->amount < v ? f->amount : v;
        if (a->kind == DN__AGG_DISTINCT) {
            uint64_t x = field_of(f, a->field);
            uint32_t j = 0;
            while (j < nseen && seen[j] != x)
                j++;
            if (j == nseen)
                seen[nseen++] = x;
        }
        any = true;
    }
    if (a->kind == DN__AGG_MAX || a->kind == DN__AGG_MIN || a->kind == DN__AGG_PAIR_MAX) {
        /* the extreme's id first (the newest of equals), then the rest newest first */
        uint32_t best = UINT32_MAX, k = 0;
        for (uint32_t i = m->n; i > start; i--) {
            const mfact *f = &m->f[i - 1];
            if (f->ts <= now - a->window_ms || !matches(a, f, cp))
                continue;
            if (best == UINT32_MAX || (a->kind == DN__AGG_MIN ? f->amount < m->f[best].amount
                                                              : f->amount > m->f[best].amount))
                best = i - 1;
        }
        if (best != UINT32_MAX) {
            ids[k++] = m->f[best].id;
            for (uint32_t i = m->n; i > start; i--) {
                const mfact *f = &m->f[i - 1];
                if (i - 1 != best && f->ts > now - a->window_ms && matches(a, f, cp))
                    ids[k++] = f->id;
            }
        }
    }
    switch (a->kind) {
    case DN__AGG_COUNT:
    case DN__AGG_PAIR_COUNT:
        out->i = count;
        break;
    case DN__AGG_SUM:
    case DN__AGG_PAIR_SUM:
        out->i = sum;
        break;
    case DN__AGG_AVG:
        out->d = count ? (double)sum / (double)count : 0;
        out->i = count ? sum / count : 0;
        break;
    case DN__AGG_DISTINCT:
        out->i = nseen;
        break;
    default:
        out->i = v;
    }
}

/* Wide plans add count, sum and avg over every (dir, filter, window): 96 accumulators, more
 * than one 64-bit word of accumulator bits. */
/* many: 70 more counts and sums, each over its own window length, so that windows are more than
 * the 64 that fit one word of bits */
static void run(uint64_t seed, uint32_t max_facts, int64_t span_ms, bool wide, uint32_t steps,
                bool many)
{
    rng_state = seed;
    /* a plan with every kind, over random dirs, filters, fields and windows */
    static const int64_t windows[] = {HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS, 7 * 24 * HOUR_MS};
    dn__agg_spec aggs[40 + 3 * 3 * 4 * 4 + 70];
    uint32_t n = 0;
    for (uint32_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (int rep = 0; rep < 4; rep++) {
            dn__agg_spec *a = &aggs[n++];
            a->kind = kinds[k];
            a->dir = (dn__dir)(1 + rndn(3));
            a->field = (dn__fact_field)rndn(DN__FIELD_COUNT_);
            a->window_ms = windows[rndn(4)];
            a->filter = rndn(3) == 0 ? -1 : (int32_t)rndn(3);
        }
    }
    for (uint32_t k = 0; wide && k < 3; k++)
        for (int dir = 1; dir <= 3; dir++)
            for (int32_t filter = -1; filter < 3; filter++)
                for (int w = 0; w < 4; w++)
                    aggs[n++] = (dn__agg_spec){.kind = kinds[k],
                                               .dir = (dn__dir)dir,
                                               .field = DN__FIELD_COUNTERPARTY,
                                               .window_ms = windows[w],
                                               .filter = filter};
    for (uint32_t w = 0; many && w < 70; w++)
        aggs[n++] = (dn__agg_spec){.kind = w % 2 ? DN__AGG_SUM : DN__AGG_COUNT,
                                   .dir = (dn__dir)(1 + w % 3),
                                   .window_ms = (int64_t)(w + 1) * 2 * HOUR_MS + 60000,
                                   .filter = w % 4 == 0 ? 1 : -1};
    const int64_t retention = 7 * 24 * HOUR_MS, cp_memory = 3 * 24 * HOUR_MS;
    dn__state_plan plans[DN__ENT_KIND_COUNT];
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        plans[k] = (dn__state_plan){aggs, n, 3, retention, cp_memory, 4, 1};
    dn_state_config cfg = {1000, max_facts};
    dn__state *st = NULL;
    assert_int_equal(dn__state_new(&cfg, plans, &st), 0);

    model m[ENTITIES];
    memset(m, 0, sizeof(m));
    for (int i = 0; i < ENTITIES; i++) {
        m[i].f = calloc(FACTS, sizeof(mfact));
        m[i].h = calloc(2 * FACTS, sizeof(mhit));
        m[i].newest = INT64_MIN;
    }
    int64_t clock = T0;
    dn__agg_value got, want;
    dn_str got_ids[4096];
    const char *want_ids[4096];
    for (uint32_t step = 0; step < steps; step++) {
        /* whole minutes, so facts land exactly on window edges often */
        clock += (int64_t)rndn((uint32_t)(span_ms / steps / 60000 * 2 + 1)) * 60000;
        int ei = (int)rndn(ENTITIES);
        model *mm = &m[ei];
        mfact *f = &mm->f[mm->n];
        f->ts = rndn(20) == 0 ? clock - (int64_t)rndn(60) * 60000 : clock; /* a few late ones */
        f->dir = (dn__dir)(1 + rndn(2));
        f->has_amount = rndn(10) != 0;
        f->amount = f->has_amount ? (int64_t)rndn(100000) : 0;
        f->cp = rndn(8) ? 1 + rndn(step % 2 ? 12 : 200) : 0;
        f->dev = rndn(4) ? 100 + rndn(5) : 0;
        f->ip = rndn(4) ? 200 + rndn(7) : 0;
        f->chan = rndn(4) ? 300 + rndn(3) : 0;
        f->ipc = (uint16_t)(rndn(4) ? 400 + rndn(4) : 0);
        f->country = (uint16_t)(rndn(4) ? 500 + rndn(6) : 0);
        f->bits = rnd() & 7;
        snprintf(f->id, sizeof(f->id), "ev%u", step);
        dn__fact_in in = {.ts_ms = f->ts,
                          .dir = f->dir,
                          .type = DN_EV_TRANSFER,
                          .has_amount = f->has_amount,
                          .amount_base_minor = f->amount,
                          .counterparty_h = f->cp,
                          .device_h = f->dev,
                          .ip_h = f->ip,
                          .channel_h = f->chan,
                          .ip_country = f->ipc,
                          .country = f->country,
                          .filter_bits = f->bits,
                          .event_id = {f->id, (uint32_t)strlen(f->id)}};
        /* the model's view of new_counterparty: last sight of cp before this fact */
        int64_t ts = mm->newest != INT64_MIN && f->ts < mm->newest ? mm->newest : f->ts;
        bool want_new = f->cp != 0;
        for (uint32_t i = 0; i < mm->n && f->cp; i++)
            if (mm->f[i].cp == f->cp && mm->f[i].ts > ts - cp_memory)
                want_new = false;
        f->ts = ts;
        char name[8];
        snprintf(name, sizeof(name), "E%d", ei);
        dn__entity *e = NULL;
        dn__observation pre;
        dn__state_event_begin(st);
        assert_int_equal(dn__state_touch(st, DN__ENT_ACCOUNT, (dn_str){name, 2}, &e), 0);
        assert_int_equal(dn__state_observe(st, e, &in, &pre), 0);
        assert_int_equal(pre.is_new_counterparty, want_new);
        mm->n++;
        mm->newest = ts;
        int64_t later = ts + (int64_t)rndn(2 * 24 * 60) * 60000;
        for (uint32_t s = 0; s < n; s++) {
            int64_t at[2] = {ts, later};
            for (int w = 0; w < 2; w++) {
                uint32_t idc;
                brute(mm, max_facts, &aggs[s], at[w], f->cp, &want, want_ids, &idc);
                dn__state_agg(st, e, s, at[w], f->cp, &got);
                if (got.i != want.i || got.d != want.d) {
                    fprintf(stderr, "seed %llu step %u slot %u kind %d at %d: %lld != %lld\n",
                            (unsigned long long)seed, step, s, aggs[s].kind, w, (long long)got.i,
                            (long long)want.i);
                }
                assert_int_equal(got.i, want.i);
                assert_true(got.d == want.d);
                uint32_t cap = 1 + rndn(8);
                uint32_t gn = dn__state_agg_event_ids(st, e, s, at[w], f->cp, got_ids, cap);
                assert_int_equal(gn, idc < cap ? idc : cap);
                for (uint32_t i = 0; i < gn; i++) {
                    assert_int_equal(got_ids[i].len, strlen(want_ids[i]));
                    assert_memory_equal(got_ids[i].ptr, want_ids[i], got_ids[i].len);
                }
            }
        }
        /* hits: earlier events only before recording, then record 0-2 and check again */
        check_hits(st, e, mm, max_facts, step, ts);
        uint32_t nh = rndn(3);
        for (uint32_t k = 0; k < nh; k++) {
            mhit *h = &mm->h[mm->hn];
            h->rule = rndn(4);
            h->score = (int32_t)rndn(50);
            h->step = step;
            h->ts = mm->hn && mm->h[mm->hn - 1].ts > ts ? mm->h[mm->hn - 1].ts : ts;
            assert_int_equal(dn__state_record_hit(st, e, h->rule, ts, h->score), 0);
            mm->hn++;
        }
        check_hits(st, e, mm, max_facts, step, ts);
        check_hits(st, e, mm, max_facts, step, later);
    }
    dn_state_stats stats;
    dn__state_stats(st, &stats);
    assert_int_equal(stats.entities, ENTITIES);
    dn__state_free(st);
    for (int i = 0; i < ENTITIES; i++) {
        free(m[i].f);
        free(m[i].h);
    }
}

/* Sparse: facts spread over weeks, windows and retention do the expiring. */
static void test_random_sparse(void **state)
{
    (void)state;
    run(0x5eed1234abcdull, 4096, 90LL * 24 * HOUR_MS, false, FACTS, false);
}

/* Dense: the per-entity cap does the dropping. */
static void test_random_capped(void **state)
{
    (void)state;
    run(0x0badc0ffee11ull, 37, 3LL * 24 * HOUR_MS, false, FACTS, false);
}

/* Wide: accumulators over two words of bits, so a fact's set is not kept in its filter word. */
static void test_random_wide(void **state)
{
    (void)state;
    run(0x77a1de5eedull, 4096, 30LL * 24 * HOUR_MS, true, 1500, false);
}

/* Many windows: more window lengths than one word of bits holds (the state walks them one by
 * one then). */
static void test_random_many_windows(void **state)
{
    (void)state;
    run(0x3a11d0115ull, 4096, 20LL * 24 * HOUR_MS, false, 1500, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sparse),
        cmocka_unit_test(test_random_capped),
        cmocka_unit_test(test_random_wide),
        cmocka_unit_test(test_random_many_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
