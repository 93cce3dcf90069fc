/*
 * test_lang_vm.c - entity functions in the VM against a test-local fake of the three state
 * queries (dn__state_agg, dn__state_agg_event_ids, dn__state_hits): aggregate values and types,
 * avg rounding, event ids (current first, deduplicated, capped at 16), the observation
 * (new_counterparty, age, first_seen, since_last) and hits(), with their because strings.
 *
 * The fakes are weak: once engine/state is linked in, its definitions win and these tests should
 * move to an integration test with real state (see the report).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/lang_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fake state ------------------------------------------------------------------------- */

static dn__agg_value fake_vals[16];
static const char *fake_ids[16][24];
static uint32_t fake_id_count[16];
static uint32_t fake_hits;
static uint32_t agg_calls, hits_calls;
static int64_t last_hits_window;

__attribute__((weak)) void dn__state_agg(const dn__state *st, const dn__entity *e, uint32_t slot,
                                         int64_t now_ms, uint64_t cp_h, dn__agg_value *out)
{
    (void)st, (void)e, (void)now_ms, (void)cp_h;
    agg_calls++;
    *out = fake_vals[slot];
}
__attribute__((weak)) uint32_t dn__state_agg_event_ids(const dn__state *st, const dn__entity *e,
                                                       uint32_t slot, int64_t now_ms, uint64_t cp_h,
                                                       dn_str *ids, uint32_t cap)
{
    (void)st, (void)e, (void)now_ms, (void)cp_h;
    uint32_t n = 0;
    for (; n < fake_id_count[slot] && n < cap; n++)
        ids[n] = (dn_str){fake_ids[slot][n], (uint32_t)strlen(fake_ids[slot][n])};
    return n;
}
__attribute__((weak)) uint32_t dn__state_hits(const dn__state *st, const dn__entity *e,
                                              uint32_t rule, int64_t window_ms, int64_t now_ms)
{
    (void)st, (void)e, (void)rule, (void)now_ms;
    hits_calls++;
    last_hits_window = window_ms;
    return fake_hits;
}

/* ---- helpers ---------------------------------------------------------------------------- */

#define TS 1700000000000LL
#define HDR                                                                                        \
    "version \"t\"\nbase EUR\nparam mule.min_inflow = 2000 EUR\nparam mule.out_ratio = 0.8\n"

static dn_ruleset *compile(const char *src)
{
    const char *names[] = {"t.rules"};
    const char *texts[] = {src};
    size_t lens[] = {strlen(src)};
    dn__lang_sources s = {.names = names, .texts = texts, .lens = lens, .count = 1};
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn__ruleset_compile_sources(&s, &d, &rs);
    if (rc)
        dn_diags_print(d, stderr);
    dn_diags_free(d);
    assert_int_equal(rc, 0);
    return rs;
}

static dn_event event(void)
{
    dn_event ev;
    dn_event_init(&ev);
    ev.id = (dn_str){"e1", 2};
    ev.ts_ms = TS;
    ev.type = DN_EV_TRANSFER;
    ev.has_amount = true;
    ev.amount_minor = 10000;
    strcpy(ev.currency, "EUR");
    ev.src = (dn_str){"A1", 2};
    ev.dst = (dn_str){"B2", 2};
    return ev;
}

static void reset_fake(void)
{
    memset(fake_vals, 0, sizeof(fake_vals));
    memset(fake_id_count, 0, sizeof(fake_id_count));
    fake_hits = 0;
    agg_calls = hits_calls = 0;
}

static void join(const dn__lang_hit *h, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < h->because_count; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", i ? " | " : "",
                                (int)h->because[i].len, h->because[i].ptr);
}

static int fake_st, fake_e; /* stand-ins: the fake never dereferences them */
#define ST ((const dn__state *)&fake_st)
#define EN ((const dn__entity *)&fake_e)

/* ---- tests ------------------------------------------------------------------------------ */

static void test_pass_through(void **state)
{
    (void)state;
    reset_fake();
    dn_ruleset *rs = compile(HDR "rule mule.pass_through \"d\" {\n on transfer\n for src\n"
                                 " when   sum(in, 24h) >= $mule.min_inflow\n"
                                 "    and sum(out, 24h) >= $mule.out_ratio * sum(in, 24h)\n"
                                 "    and distinct(counterparty, in, 7d) >= 3\n score 40\n}\n");
    const dn__state_plan *pl = &dn__ruleset_plans(rs)[DN__ENT_ACCOUNT];
    assert_int_equal(pl->agg_count, 3);
    /* slots in order of first use by the checker: sum in, sum out, distinct */
    fake_vals[0] = (dn__agg_value){.i = 540000};
    fake_vals[1] = (dn__agg_value){.i = 450000};
    fake_vals[2] = (dn__agg_value){.i = 5};
    fake_ids[0][0] = "x1";
    fake_ids[0][1] = "x2";
    fake_id_count[0] = 2;
    fake_ids[1][0] = "x2";
    fake_ids[1][1] = "x3";
    fake_id_count[1] = 2;
    fake_ids[2][0] = "e1";
    fake_ids[2][1] = "x4";
    fake_id_count[2] = 2;
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn_event ev = event();
    dn__lang_event_begin(sc, &ev, 10000);
    dn__observation pre = {.first_seen_ms = TS, .opened_ms = TS};
    const dn__lang_hit *hits;
    uint32_t n;
    assert_int_equal(dn__lang_eval(sc, DN__ROLE_SRC, ST, EN, &pre, &hits, &n), 0);
    assert_int_equal(n, 1);
    char b[1024];
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR | sum(out, 24h) = "
                           "4500.00 EUR >= 4320.00 EUR | distinct(counterparty, in, 7d) = 5 >= 3");
    assert_int_equal(hits[0].event_id_count, 5);
    const char *want[] = {"e1", "x1", "x2", "x3", "x4"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(hits[0].event_ids[i].len, 2);
        assert_memory_equal(hits[0].event_ids[i].ptr, want[i], 2);
    }
    /* below the ratio: no hit */
    fake_vals[1] = (dn__agg_value){.i = 400000};
    assert_int_equal(dn__lang_eval(sc, DN__ROLE_SRC, ST, EN, &pre, &hits, &n), 0);
    assert_int_equal(n, 0);
    /* not for dst */
    assert_int_equal(dn__lang_eval(sc, DN__ROLE_DST, ST, EN, &pre, &hits, &n), 0);
    assert_int_equal(n, 0);
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn_ruleset_release(rs);
}

static void test_ids_capped(void **state)
{
    (void)state;
    reset_fake();
    static char names[24][8];
    for (int i = 0; i < 24; i++) {
        snprintf(names[i], sizeof(names[i]), "id%02d", i);
        fake_ids[0][i] = names[i];
    }
    fake_id_count[0] = 24;
    fake_vals[0] = (dn__agg_value){.i = 30};
    dn_ruleset *rs =
        compile(HDR "rule r \"d\" {\n on transfer\n for dst\n when count(in, 1h) > 20\n "
                    "score 1\n}\n");
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn_event ev = event();
    dn__lang_event_begin(sc, &ev, 10000);
    dn__observation pre = {0};
    const dn__lang_hit *hits;
    uint32_t n;
    dn__lang_eval(sc, DN__ROLE_DST, ST, EN, &pre, &hits, &n);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].event_id_count, 16);
    assert_memory_equal(hits[0].event_ids[0].ptr, "e1", 2);
    assert_memory_equal(hits[0].event_ids[15].ptr, "id14", 4);
    char b[256];
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "count(in, 1h) = 30 > 20");
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn_ruleset_release(rs);
}

static void test_avg_pair_and_where(void **state)
{
    (void)state;
    reset_fake();
    dn_ruleset *rs = compile(
        HDR "rule r \"d\" {\n on transfer\n for src\n when avg(out, 7d) > 10.00 EUR and "
            "pair_count(30d) == 0 and pair_sum(30d) == 0 EUR and max(out, 7d, where amount > 5 "
            "EUR) > 1 EUR and min(any, 7d, where amount > 5 EUR) < 1000 EUR\n score 1\n}\n");
    const dn__state_plan *pl = &dn__ruleset_plans(rs)[DN__ENT_ACCOUNT];
    assert_int_equal(pl->agg_count, 5);
    assert_int_equal(pl->filter_count, 1); /* the same where twice: one bit */
    assert_int_equal(pl->aggs[3].filter, 0);
    assert_int_equal(pl->aggs[4].filter, 0);
    assert_int_equal(pl->retention_ms, 30 * 86400000LL);
    fake_vals[0] = (dn__agg_value){.is_double = true, .d = 1000.5}; /* 10.005 EUR -> 10.01 */
    fake_vals[3] = (dn__agg_value){.i = 500};
    fake_vals[4] = (dn__agg_value){.i = 600};
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn_event ev = event();
    dn__lang_event_begin(sc, &ev, 10000);
    assert_int_equal(dn__lang_filters(sc, DN__ROLE_SRC), 1);
    dn__observation pre = {0};
    const dn__lang_hit *hits;
    uint32_t n;
    dn__lang_eval(sc, DN__ROLE_SRC, ST, EN, &pre, &hits, &n);
    assert_int_equal(n, 1);
    char b[1024];
    join(&hits[0], b, sizeof(b));
    assert_non_null(strstr(b, "avg(out, 7d) = 10.01 EUR > 10.00 EUR"));
    assert_non_null(strstr(b, "pair_count(30d) = 0 == 0"));
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn_ruleset_release(rs);
}

/* found by fuzz_rules_parse: `memory` may name a duration param, declared before or after it */
static void test_memory_param(void **state)
{
    (void)state;
    dn_ruleset *rs = compile("version \"t\"\nbase EUR\nmemory counterparty $w\nparam w = 30d\n"
                             "rule r \"d\" {\n on transfer\n for dst\n when new_counterparty\n "
                             "score 1\n}\n");
    assert_int_equal(dn__ruleset_plans(rs)[DN__ENT_ACCOUNT].counterparty_memory_ms,
                     30 * 86400000LL);
    dn_ruleset_release(rs);
}

static void test_observation_and_hits(void **state)
{
    (void)state;
    reset_fake();
    dn_ruleset *rs = compile(
        HDR "rule first \"d\" {\n on transfer\n for src\n when new_counterparty and age < 30d "
            "and first_seen < now\n score 1\n}\n"
            "rule again \"d\" {\n on transfer\n for src\n when since_last(out) < 1h and "
            "hits(first, 7d) >= 2\n score 1\n}\n"
            "rule never \"d\" {\n on transfer\n for src\n when since_last(in) < 100w or "
            "since_last(in) >= 0s\n score 1\n}\n");
    assert_int_equal(dn__ruleset_plans(rs)[DN__ENT_ACCOUNT].counterparty_memory_ms,
                     90 * 86400000LL);
    assert_int_equal(dn__ruleset_plans(rs)[DN__ENT_ACCOUNT].retention_ms, 7 * 86400000LL);
    dn__lang_scratch *sc = NULL;
    assert_int_equal(dn__lang_scratch_new(rs, &sc), 0);
    dn_event ev = event();
    dn__lang_event_begin(sc, &ev, 10000);
    dn__observation pre = {.is_new_counterparty = true,
                           .first_seen_ms = TS - 3600000,
                           .opened_ms = TS - (3 * 86400000LL + 4 * 3600000LL),
                           .last_ms = {INT64_MIN, INT64_MIN, TS - 600000, TS - 600000}};
    fake_hits = 2;
    const dn__lang_hit *hits;
    uint32_t n;
    dn__lang_eval(sc, DN__ROLE_SRC, ST, EN, &pre, &hits, &n);
    assert_int_equal(n, 2);
    char b[1024];
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "new_counterparty = true | age = 3d 4h < 30d | first_seen = "
                           "2023-11-14T21:13:20Z < 2023-11-14T22:13:20Z");
    assert_int_equal(hits[0].event_id_count, 1); /* no aggregate read: the event only */
    join(&hits[1], b, sizeof(b));
    assert_string_equal(b, "since_last(out) = 10m < 1h | hits(first, 7d) = 2 >= 2");
    assert_int_equal(last_hits_window, 7 * 86400000LL);
    assert_int_equal(agg_calls, 0);
    dn__lang_event_end(sc);
    dn__lang_scratch_free(sc);
    dn_ruleset_release(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_through),         cmocka_unit_test(test_ids_capped),
        cmocka_unit_test(test_avg_pair_and_where),   cmocka_unit_test(test_memory_param),
        cmocka_unit_test(test_observation_and_hits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
