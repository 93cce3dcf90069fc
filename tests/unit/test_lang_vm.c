/*
 * test_lang_vm.c - entity functions in the VM against the real state store: aggregate values and
 * types, avg rounding, where-filters, pair aggregates, event ids (current first, deduplicated,
 * capped at 16), the observation (new_counterparty, age, first_seen, since_last) and hits(),
 * with their because strings.
 *
 * Each test feeds a short history through state and the VM (lang_state.h does per event what
 * engine/score does, hits recorded), then evaluates the last event for one role. Every expected
 * value is worked out by hand from that history in the comments.
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
#include "lang_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL

/* A transfer of amount cents EUR from src to dst. The strings must outlive the event's use. */
static dn_event transfer(const char *id, int64_t ts, const char *src, const char *dst,
                         int64_t amount)
{
    dn_event ev;
    dn_event_init(&ev);
    ev.id = (dn_str){id, (uint32_t)strlen(id)};
    ev.ts_ms = ts;
    ev.type = DN_EV_TRANSFER;
    ev.has_amount = true;
    ev.amount_minor = amount;
    strcpy(ev.currency, "EUR");
    ev.src = (dn_str){src, (uint32_t)strlen(src)};
    ev.dst = (dn_str){dst, (uint32_t)strlen(dst)};
    return ev;
}

typedef struct fixture {
    dn_ruleset *rs;
    dn__lang_scratch *sc;
    dn__state *st;
} fixture;

static fixture fixture_new(dn_ruleset *rs)
{
    fixture f = {rs, NULL, lst_new(rs)};
    assert_non_null(f.st);
    assert_int_equal(dn__lang_scratch_new(rs, &f.sc), 0);
    return f;
}

static void fixture_free(fixture *f)
{
    dn__lang_scratch_free(f->sc);
    dn__state_free(f->st);
    dn_ruleset_release(f->rs);
}

/* A whole earlier event: every role observed, evaluated, its hits recorded. */
static void feed(fixture *f, const dn_event *ev)
{
    assert_true(lst_event(f->st, f->sc, f->rs, ev, ev->amount_minor) >= 0);
}

/* The event under test: begun, role's fact observed, role evaluated. End it with
 * dn__lang_event_end. */
static dn__entity *eval_last(fixture *f, const dn_event *ev, dn__role role,
                             const dn__lang_hit **hits, uint32_t *n)
{
    lst_begin(f->st, f->sc, ev, ev->amount_minor);
    dn__observation pre;
    dn__entity *e = lst_observe(f->st, f->sc, ev, ev->amount_minor, role, &pre);
    assert_non_null(e);
    assert_int_equal(dn__lang_eval(f->sc, role, f->st, e, &pre, hits, n), 0);
    return e;
}

static void assert_ids(const dn__lang_hit *h, const char *const *want, uint32_t count)
{
    if (h->event_id_count != count) {
        for (uint32_t i = 0; i < h->event_id_count; i++)
            fprintf(stderr, "id %u: %.*s\n", i, (int)h->event_ids[i].len, h->event_ids[i].ptr);
    }
    assert_int_equal(h->event_id_count, count);
    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(h->event_ids[i].len, strlen(want[i]));
        assert_memory_equal(h->event_ids[i].ptr, want[i], strlen(want[i]));
    }
}

static void join(const dn__lang_hit *h, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < h->because_count; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%.*s", i ? " | " : "",
                                (int)h->because[i].len, h->because[i].ptr);
}

/* ---- tests ------------------------------------------------------------------------------ */

#define PASS_THROUGH                                                                               \
    HDR "rule mule.pass_through \"d\" {\n on transfer\n for src\n"                                 \
        " when   sum(in, 24h) >= $mule.min_inflow\n"                                               \
        "    and sum(out, 24h) >= $mule.out_ratio * sum(in, 24h)\n"                                \
        "    and distinct(counterparty, in, 7d) >= 3\n score 40\n}\n"

/*
 * A1 receives 1200.00 from P5 three days ago and 1350.00 from each of P1..P4 within the last 5
 * hours, then sends `out` to B2 now. sum(in, 24h) = 4 x 1350.00 = 5400.00; distinct
 * counterparties in 7d = 5; the ratio needs 0.8 x 5400.00 = 4320.00 out.
 */
static void pass_through_feed(fixture *f, int64_t out, const dn__lang_hit **hits, uint32_t *n)
{
    dn_event x0 = transfer("x0", TS - 3 * DAY_MS, "P5", "A1", 120000);
    feed(f, &x0);
    static const char *const ids[] = {"x1", "x2", "x3", "x4"};
    static const char *const senders[] = {"P1", "P2", "P3", "P4"};
    for (int i = 0; i < 4; i++) {
        dn_event x = transfer(ids[i], TS - (5 - i) * HOUR_MS, senders[i], "A1", 135000);
        feed(f, &x);
    }
    dn_event e1 = transfer("e1", TS, "A1", "B2", out);
    eval_last(f, &e1, DN__ROLE_SRC, hits, n);
}

static void test_pass_through(void **state)
{
    (void)state;
    fixture f = fixture_new(compile(PASS_THROUGH));
    const dn__state_plan *pl = &dn__ruleset_plans(f.rs)[DN__ENT_ACCOUNT];
    assert_int_equal(pl->agg_count, 3);
    /* slots in order of first use by the checker: sum in, sum out, distinct */
    assert_int_equal(pl->aggs[0].kind, DN__AGG_SUM);
    assert_int_equal(pl->aggs[0].dir, DN__DIR_IN);
    assert_int_equal(pl->aggs[1].dir, DN__DIR_OUT);
    assert_int_equal(pl->aggs[2].kind, DN__AGG_DISTINCT);
    const dn__lang_hit *hits;
    uint32_t n;
    pass_through_feed(&f, 450000, &hits, &n);
    assert_int_equal(n, 1);
    char b[1024];
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR | sum(out, 24h) = "
                           "4500.00 EUR >= 4320.00 EUR | distinct(counterparty, in, 7d) = 5 >= 3");
    /* e1, then sum(in)'s events newest first, then distinct's newest event per sender (x0 is
     * the only new one); sum(out) holds only e1 */
    static const char *const want[] = {"e1", "x4", "x3", "x2", "x1", "x0"};
    assert_ids(&hits[0], want, 6);
    /* not for dst */
    dn__observation pre;
    dn_event e1 = transfer("e1", TS, "A1", "B2", 450000);
    dn__lang_event_begin(f.sc, &e1, 450000); /* the feed's own e1 is out of scope */
    dn__entity *b2 = lst_observe(f.st, f.sc, &e1, 450000, DN__ROLE_DST, &pre);
    assert_non_null(b2);
    assert_int_equal(dn__lang_eval(f.sc, DN__ROLE_DST, f.st, b2, &pre, &hits, &n), 0);
    assert_int_equal(n, 0);
    dn__lang_event_end(f.sc);
    fixture_free(&f);
}

/* The same history with 4000.00 out: below 4320.00, no hit. */
static void test_pass_through_below_ratio(void **state)
{
    (void)state;
    fixture f = fixture_new(compile(PASS_THROUGH));
    const dn__lang_hit *hits;
    uint32_t n = 9;
    pass_through_feed(&f, 400000, &hits, &n);
    assert_int_equal(n, 0);
    dn__lang_event_end(f.sc);
    fixture_free(&f);
}

/* 29 senders pay B2 within a minute, then A1 does: count(in, 1h) = 30. The ids are e1, then the
 * slot's newest first (id28, id27, ...), capped at 16: the 16th is id14. */
static void test_ids_capped(void **state)
{
    (void)state;
    fixture f = fixture_new(
        compile(HDR "rule r \"d\" {\n on transfer\n for dst\n when count(in, 1h) > 20\n "
                    "score 1\n}\n"));
    static char names[29][8], senders[29][8];
    for (int i = 0; i < 29; i++) {
        snprintf(names[i], sizeof(names[i]), "id%02d", i);
        snprintf(senders[i], sizeof(senders[i]), "S%02d", i);
        dn_event x = transfer(names[i], TS - (29 - i) * 1000, senders[i], "B2", 100);
        feed(&f, &x);
    }
    dn_event e1 = transfer("e1", TS, "A1", "B2", 10000);
    const dn__lang_hit *hits;
    uint32_t n;
    eval_last(&f, &e1, DN__ROLE_DST, &hits, &n);
    assert_int_equal(n, 1);
    static const char *const want[] = {"e1",   "id28", "id27", "id26", "id25", "id24",
                                       "id23", "id22", "id21", "id20", "id19", "id18",
                                       "id17", "id16", "id15", "id14"};
    assert_ids(&hits[0], want, 16);
    char b[256];
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "count(in, 1h) = 30 > 20");
    dn__lang_event_end(f.sc);
    fixture_free(&f);
}

/*
 * A1 pays C1 10.01 an hour ago, receives 3.00 from D1, then pays B2 10.00 now.
 * avg(out, 7d) = (1001 + 1000) / 2 = 1000.5 cents, shown rounded half away from zero: 10.01;
 * pair_* with B2 see only e1 (the current event is in every window); the where-filter leaves
 * D1's 3.00 out of min(any): 10.00, not 3.00.
 */
static void test_avg_pair_and_where(void **state)
{
    (void)state;
    fixture f = fixture_new(compile(
        HDR "rule r \"d\" {\n on transfer\n for src\n when avg(out, 7d) > 10.00 EUR and "
            "pair_count(30d) == 1 and pair_sum(30d) == 10.00 EUR and max(out, 7d, where amount > "
            "5 EUR) > 1 EUR and min(any, 7d, where amount > 5 EUR) < 1000 EUR\n score 1\n}\n"));
    const dn__state_plan *pl = &dn__ruleset_plans(f.rs)[DN__ENT_ACCOUNT];
    assert_int_equal(pl->agg_count, 5);
    assert_int_equal(pl->filter_count, 1); /* the same where twice: one bit */
    assert_int_equal(pl->aggs[3].filter, 0);
    assert_int_equal(pl->aggs[4].filter, 0);
    assert_int_equal(pl->retention_ms, 30 * DAY_MS);
    dn_event x1 = transfer("x1", TS - HOUR_MS, "A1", "C1", 1001);
    dn_event x2 = transfer("x2", TS - 30 * MIN_MS, "D1", "A1", 300);
    dn_event e1 = transfer("e1", TS, "A1", "B2", 1000);
    feed(&f, &x1);
    feed(&f, &x2);
    const dn__lang_hit *hits;
    uint32_t n;
    eval_last(&f, &e1, DN__ROLE_SRC, &hits, &n);
    assert_int_equal(dn__lang_filters(f.sc, DN__ROLE_SRC), 1);
    assert_int_equal(n, 1);
    char b[1024];
    join(&hits[0], b, sizeof(b));
    assert_non_null(strstr(b, "avg(out, 7d) = 10.01 EUR > 10.00 EUR"));
    assert_non_null(strstr(b, "pair_count(30d) = 1 == 1"));
    assert_non_null(strstr(b, "pair_sum(30d) = 10.00 EUR == 10.00 EUR"));
    assert_non_null(strstr(b, "= 10.01 EUR > 1.00 EUR"));
    assert_non_null(strstr(b, "= 10.00 EUR < 1000.00 EUR"));
    dn__lang_event_end(f.sc);
    fixture_free(&f);
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

/*
 * A1 (opened 3d 4h before TS, said only on its first event) pays C1 at TS-1h, C2 at TS-30m, C3
 * at TS-10m, then B2 at TS. `first` needs first_seen < now, so it fires from the second event
 * on: at TS-30m, TS-10m and TS. At TS `again` sees since_last(out) = 10m and two earlier hits of
 * `first` in 7d, while `recent` sees only one in 15m (TS-10m) and `never` has no inflow at all.
 */
static void test_observation_and_hits(void **state)
{
    (void)state;
    fixture f = fixture_new(compile(
        HDR "rule first \"d\" {\n on transfer\n for src\n when new_counterparty and age < 30d "
            "and first_seen < now\n score 1\n}\n"
            "rule again \"d\" {\n on transfer\n for src\n when since_last(out) < 1h and "
            "hits(first, 7d) >= 2\n score 1\n}\n"
            "rule never \"d\" {\n on transfer\n for src\n when since_last(in) < 100w or "
            "since_last(in) >= 0s\n score 1\n}\n"
            "rule recent \"d\" {\n on transfer\n for src\n when hits(first, 15m) >= 2\n "
            "score 1\n}\n"));
    const dn__state_plan *pl = &dn__ruleset_plans(f.rs)[DN__ENT_ACCOUNT];
    assert_int_equal(pl->counterparty_memory_ms, 90 * DAY_MS);
    assert_int_equal(pl->retention_ms, 7 * DAY_MS);
    assert_int_equal(pl->agg_count, 0); /* no aggregate: observation and hits only */
    dn_event h1 = transfer("h1", TS - HOUR_MS, "A1", "C1", 100);
    h1.customer.is_present = true;
    h1.customer.has_opened = true;
    h1.customer.opened_ms = TS - (3 * DAY_MS + 4 * HOUR_MS);
    dn_event h2 = transfer("h2", TS - 30 * MIN_MS, "A1", "C2", 100);
    dn_event h3 = transfer("h3", TS - 10 * MIN_MS, "A1", "C3", 100);
    assert_int_equal(lst_event(f.st, f.sc, f.rs, &h1, 100), 0);
    assert_int_equal(lst_event(f.st, f.sc, f.rs, &h2, 100), 1 << 0);
    assert_int_equal(lst_event(f.st, f.sc, f.rs, &h3, 100), 1 << 0);
    dn_event e1 = transfer("e1", TS, "A1", "B2", 100);
    const dn__lang_hit *hits;
    uint32_t n;
    dn__entity *a1 = eval_last(&f, &e1, DN__ROLE_SRC, &hits, &n);
    assert_int_equal(n, 2);
    char b[1024];
    assert_int_equal(hits[0].rule, 0);
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "new_counterparty = true | age = 3d 4h < 30d | first_seen = "
                           "2023-11-14T21:13:20Z < 2023-11-14T22:13:20Z");
    assert_int_equal(hits[0].event_id_count, 1); /* no aggregate read: the event only */
    assert_int_equal(hits[1].rule, 1);
    join(&hits[1], b, sizeof(b));
    assert_string_equal(b, "since_last(out) = 10m < 1h | hits(first, 7d) = 2 >= 2");
    assert_int_equal(lst_record(f.st, f.rs, a1, TS, hits, n), 0);
    dn__lang_event_end(f.sc);
    /* C1 again a minute later: not a new counterparty; `first` has hit at TS-30m, TS-10m and TS,
     * two of them within 15m */
    dn_event e2 = transfer("e2", TS + MIN_MS, "A1", "C1", 100);
    eval_last(&f, &e2, DN__ROLE_SRC, &hits, &n);
    assert_int_equal(n, 2);
    assert_int_equal(hits[0].rule, 1);
    join(&hits[0], b, sizeof(b));
    assert_string_equal(b, "since_last(out) = 1m < 1h | hits(first, 7d) = 3 >= 2");
    assert_int_equal(hits[1].rule, 3);
    join(&hits[1], b, sizeof(b));
    assert_string_equal(b, "hits(first, 15m) = 2 >= 2");
    dn__lang_event_end(f.sc);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_through), cmocka_unit_test(test_pass_through_below_ratio),
        cmocka_unit_test(test_ids_capped),   cmocka_unit_test(test_avg_pair_and_where),
        cmocka_unit_test(test_memory_param), cmocka_unit_test(test_observation_and_hits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
