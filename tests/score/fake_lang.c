/*
 * fake_lang.c - a stand-in for engine/lang, so the engine pipeline can be tested before (and
 * apart from) the real rule compiler and VM. It implements the dn_ruleset_* and dn__lang_*
 * calls the pipeline makes with a fixed rule set written in C:
 *
 *   rule 0 mule.big_in     for dst: sum(in, 24h) >= 1000.00             score 40   typology 0
 *   rule 1 mule.fan_in     for dst: distinct(counterparty, in, 7d) >= 3  score 30   typology 0
 *   rule 2 scam.big_out    for src: amount >= 500.00                   score 10   shadow
 *   rule 3 dev.shared      for device: distinct(account, any, 7d) >= 2 score 20   typology 1
 *   rule 4 mule.again      for dst: hits(mule.big_in, 7d) >= 1 (earlier events only) score 5
 *                                                                     typology 0
 *   typology 0 money_mule: rules 0 1 4, window 7d, threshold 60, suppress 24h, review 40, block 80
 *   typology 1 shared_device: rule 3, window 7d, threshold 20, suppress 1h, no verdicts
 *
 * Rates: EUR 1, GBP 1.17; anything else is unknown. The account plan has one where-filter
 * (bit 0: the event is a transfer). Built with tests/score/CMakeLists.txt against the sources of
 * engine/score, engine/state and engine/common only, never against the real engine/lang.
 */
#include "lang/lang.h"

#include "common/hash.h"
#include "dragnet/error.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

struct dn_ruleset {
    int refs;
};

static struct dn_ruleset the_ruleset = {1};

static const uint32_t typ0[] = {0};
static const uint32_t typ1[] = {1};
static const dn__rule_info rules[] = {
    {"mule.big_in", "Large inflow in a day", "fake.rules", 1, 40, false, DN__ROLE_DST, ~0u, NULL, 0,
     typ0, 1},
    {"mule.fan_in", "Money from many senders", "fake.rules", 2, 30, false, DN__ROLE_DST, ~0u, NULL,
     0, typ0, 1},
    {"scam.big_out", "Large payment out", "fake.rules", 3, 10, true, DN__ROLE_SRC, ~0u, NULL, 0,
     NULL, 0},
    {"dev.shared", "Device used by several accounts", "fake.rules", 4, 20, false, DN__ROLE_DEVICE,
     ~0u, NULL, 0, typ1, 1},
    {"mule.again", "Large inflows again", "fake.rules", 5, 5, false, DN__ROLE_DST, ~0u, NULL, 0,
     typ0, 1},
};
static const uint32_t mule_rules[] = {0, 1, 4};
static const uint32_t dev_rules[] = {3};
static const dn__typology_info typologies[] = {
    {"money_mule", "Account used to receive and pass on illicit funds", mule_rules, 3, 7 * DAY_MS,
     60, "high", DAY_MS, 40, 80},
    {"shared_device", "One device, many accounts", dev_rules, 1, 7 * DAY_MS, 20, "medium",
     3600 * 1000, -1, -1},
};
static const dn__agg_spec account_aggs[] = {
    {DN__AGG_SUM, DN__DIR_IN, 0, DAY_MS, -1},
    {DN__AGG_DISTINCT, DN__DIR_IN, DN__FIELD_COUNTERPARTY, 7 * DAY_MS, -1},
};
static const dn__agg_spec device_aggs[] = {
    {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_ACCOUNT, 7 * DAY_MS, -1},
};
static const dn__state_plan plans[DN__ENT_KIND_COUNT] = {
    {account_aggs, 2, 1, 7 * DAY_MS, 30 * DAY_MS, 5, 2},
    {device_aggs, 1, 0, 7 * DAY_MS, 0, 5, 2},
    {NULL, 0, 0, 7 * DAY_MS, 0, 5, 2},
};

dn_ruleset *dn__fake_ruleset(void)
{
    return &the_ruleset;
}

dn_ruleset *dn_ruleset_retain(dn_ruleset *rs)
{
    rs->refs++;
    return rs;
}

void dn_ruleset_release(dn_ruleset *rs)
{
    if (rs)
        rs->refs--;
}

const char *dn_ruleset_version(const dn_ruleset *rs)
{
    (void)rs;
    return "2026.11-test";
}

const char *dn_ruleset_hash(const dn_ruleset *rs)
{
    (void)rs;
    return "00112233aabbccdd";
}

const char *dn_ruleset_base(const dn_ruleset *rs)
{
    (void)rs;
    return "EUR";
}

int dn_ruleset_to_base(const dn_ruleset *rs, const char *currency, int64_t amount_minor,
                       int64_t *out_base_minor)
{
    (void)rs;
    if (strcmp(currency, "EUR") == 0) {
        *out_base_minor = amount_minor;
        return 0;
    }
    if (strcmp(currency, "GBP") == 0) {
        *out_base_minor = (amount_minor * 117 + 50) / 100;
        return 0;
    }
    return DN_ENOENT;
}

const dn__rule_info *dn__ruleset_rules(const dn_ruleset *rs, uint32_t *count)
{
    (void)rs;
    *count = sizeof(rules) / sizeof(rules[0]);
    return rules;
}

const dn__typology_info *dn__ruleset_typologies(const dn_ruleset *rs, uint32_t *count)
{
    (void)rs;
    *count = sizeof(typologies) / sizeof(typologies[0]);
    return typologies;
}

const dn__state_plan *dn__ruleset_plans(const dn_ruleset *rs)
{
    (void)rs;
    return plans;
}

int dn__ruleset_base_digits(const dn_ruleset *rs)
{
    (void)rs;
    return 2;
}

#define MAX_HITS 8

struct dn__lang_scratch {
    const dn_event *ev;
    int64_t amount;
    dn__lang_hit hits[MAX_HITS];
    char text[MAX_HITS][128];
    dn_str because[MAX_HITS];
    dn_str ids[MAX_HITS][16];
    dn__lang_stats stats;
};

static dn__lang_scratch the_scratch;

int dn__lang_scratch_new(const dn_ruleset *rs, dn__lang_scratch **out)
{
    (void)rs;
    memset(&the_scratch, 0, sizeof(the_scratch));
    *out = &the_scratch;
    return 0;
}

void dn__lang_scratch_free(dn__lang_scratch *sc)
{
    (void)sc;
}

void dn__lang_event_begin(dn__lang_scratch *sc, const dn_event *ev, int64_t amount_base_minor)
{
    sc->ev = ev;
    sc->amount = amount_base_minor;
}

uint64_t dn__lang_filters(dn__lang_scratch *sc, dn__role role)
{
    return dn__role_kind(role) == DN__ENT_ACCOUNT && sc->ev->type == DN_EV_TRANSFER ? 1 : 0;
}

static void add_hit(dn__lang_scratch *sc, uint32_t *n, uint32_t rule, const char *because,
                    const dn__state *st, const dn__entity *e, int slot, int64_t now, uint64_t cp)
{
    uint32_t i = (*n)++;
    snprintf(sc->text[i], sizeof(sc->text[i]), "%s", because);
    sc->because[i] = (dn_str){sc->text[i], (uint32_t)strlen(sc->text[i])};
    sc->ids[i][0] = sc->ev->id;
    uint32_t ni = 1;
    if (slot >= 0) {
        dn_str more[16];
        uint32_t m = dn__state_agg_event_ids(st, e, (uint32_t)slot, now, cp, more, 15);
        for (uint32_t k = 0; k < m; k++)
            if (!(more[k].len == sc->ev->id.len &&
                  memcmp(more[k].ptr, sc->ev->id.ptr, more[k].len) == 0))
                sc->ids[i][ni++] = more[k];
    }
    sc->hits[i] = (dn__lang_hit){rule, &sc->because[i], 1, sc->ids[i], ni};
}

int dn__lang_eval(dn__lang_scratch *sc, dn__role role, const dn__state *st, const dn__entity *e,
                  const dn__observation *pre, const dn__lang_hit **hits, uint32_t *hit_count)
{
    (void)pre;
    const dn_event *ev = sc->ev;
    int64_t now = ev->ts_ms;
    uint32_t n = 0;
    char text[128];
    dn__agg_value v;
    if (role == DN__ROLE_DST) {
        dn__state_agg(st, e, 0, now, 0, &v);
        bool big_in = v.i >= 100000;
        if (big_in) {
            snprintf(text, sizeof(text), "sum(in, 24h) = %lld.%02lld EUR >= 1000.00 EUR",
                     (long long)(v.i / 100), (long long)(v.i % 100));
            add_hit(sc, &n, 0, text, st, e, 0, now, 0);
        }
        dn__state_agg(st, e, 1, now, 0, &v);
        if (v.i >= 3) {
            snprintf(text, sizeof(text), "distinct(counterparty, in, 7d) = %lld >= 3",
                     (long long)v.i);
            add_hit(sc, &n, 1, text, st, e, 1, now, 0);
        }
        uint32_t again = dn__state_hits(st, e, 0, 7 * DAY_MS, now);
        if (big_in && again >= 1) {
            snprintf(text, sizeof(text), "hits(mule.big_in, 7d) = %u >= 1", again);
            add_hit(sc, &n, 4, text, st, e, -1, now, 0);
        }
    } else if (role == DN__ROLE_SRC) {
        if (ev->has_amount && sc->amount >= 50000)
            add_hit(sc, &n, 2, "amount >= 500.00 EUR", st, e, -1, now, 0);
    } else if (role == DN__ROLE_DEVICE) {
        dn__state_agg(st, e, 0, now, 0, &v);
        if (v.i >= 2) {
            snprintf(text, sizeof(text), "distinct(account, any, 7d) = %lld >= 2", (long long)v.i);
            add_hit(sc, &n, 3, text, st, e, 0, now, 0);
        }
    }
    *hits = sc->hits;
    *hit_count = n;
    return 0;
}

void dn__lang_event_end(dn__lang_scratch *sc)
{
    sc->ev = NULL;
}

void dn__lang_stats_get(const dn__lang_scratch *sc, dn__lang_stats *out)
{
    *out = sc->stats;
}
