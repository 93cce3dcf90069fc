/*
 * test_engine.c - the engine pipeline (engine/score) end to end with the real compiler, VM and
 * state: roles and facts, shadow rules, typology scores (each rule once per window), alert,
 * alert_update only when the score rises, suppression, explanations, unknown currency,
 * reordering, late events, determinism, stats.
 *
 * The rule set is written to a temporary folder by the group setup and compiled with
 * dn_ruleset_compile, as the command line does:
 *
 *   rule 0 mule.big_in     for dst: sum(in, 24h) >= 1000 EUR                score 40
 *   rule 1 mule.fan_in     for dst: distinct(counterparty, in, 7d) >= 3     score 30
 *   rule 2 scam.big_out    for src: amount >= 500 EUR                       score 10, shadow
 *   rule 3 dev.shared      for device: distinct(account, any, 7d) >= 2      score 20
 *   rule 4 mule.again      for dst: hits(mule.big_in, 7d) >= 1              score 5
 *   typology money_mule: rules 0 1 4, window 7d, threshold 60, suppress 24h, review 40, block 80
 *   typology shared_device: rule 3, window 7d, threshold 20, suppress 1h, no verdicts
 *   rates.csv: GBP 1.17
 */
#include "dragnet/engine.h"
#include "dragnet/error.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static const char rules_text[] =
    "version \"t\"\nbase EUR\n"
    "rule mule.big_in \"Large inflow in a day\" {\n on transfer\n for dst\n"
    " when sum(in, 24h) >= 1000 EUR\n score 40\n}\n"
    "rule mule.fan_in \"Money from many senders\" {\n on transfer\n for dst\n"
    " when distinct(counterparty, in, 7d) >= 3\n score 30\n}\n"
    "rule scam.big_out \"Large payment out\" {\n on transfer\n for src\n"
    " when amount >= 500 EUR\n score 10\n mode shadow\n}\n"
    "rule dev.shared \"Device used by several accounts\" {\n on transfer\n for device\n"
    " when distinct(account, any, 7d) >= 2\n score 20\n}\n"
    "rule mule.again \"Large inflows again\" {\n on transfer\n for dst\n"
    " when hits(mule.big_in, 7d) >= 1\n score 5\n}\n"
    "typology money_mule \"Account used to receive and pass on illicit funds\" {\n"
    " rules mule.big_in, mule.fan_in, mule.again\n window 7d\n threshold 60\n severity high\n"
    " suppress 24h\n review 40\n block 80\n}\n"
    "typology shared_device \"One device, many accounts\" {\n rules dev.shared\n window 7d\n"
    " threshold 20\n suppress 1h\n}\n";

static dn_ruleset *the_rules;

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/dn_test_engine_XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    write_text(dir, "t.rules", rules_text);
    write_text(dir, "rates.csv", "currency,rate_to_base\nGBP,1.17\n");
    dn_diags *d = NULL;
    int rc = dn_ruleset_compile(dir, &d, &the_rules);
    if (rc)
        dn_diags_print(d, stderr);
    dn_diags_free(d);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return rc == 0 && system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    dn_ruleset_release(the_rules);
    return 0;
}

#define T0      1795811551000LL
#define HOUR_MS 3600000LL
#define DAY_MS  (24 * HOUR_MS)

typedef struct sink {
    char *lines[256];
    size_t count;
} sink;

static void on_alert(const char *line, size_t len, void *ud)
{
    sink *s = ud;
    assert_true(s->count < 256);
    assert_int_equal(strlen(line), len);
    s->lines[s->count++] = strdup(line);
}

static void sink_free(sink *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->lines[i]);
    s->count = 0;
}

typedef struct ev_spec {
    const char *id;
    int64_t ts;
    const char *src, *dst, *device;
    int64_t amount;
    const char *currency;
} ev_spec;

static dn_str S(const char *s)
{
    return s ? (dn_str){s, (uint32_t)strlen(s)} : (dn_str){NULL, 0};
}

static dn_event build(const ev_spec *s)
{
    dn_event ev;
    dn_event_init(&ev);
    ev.id = S(s->id);
    ev.ts_ms = s->ts;
    ev.type = DN_EV_TRANSFER;
    ev.has_amount = true;
    ev.amount_minor = s->amount;
    snprintf(ev.currency, sizeof(ev.currency), "%s", s->currency ? s->currency : "EUR");
    ev.src = S(s->src);
    ev.dst = S(s->dst);
    ev.device = S(s->device);
    memcpy(ev.src_country, "KH", 3);
    return ev;
}

static dn_engine *make(int64_t lateness, sink *s)
{
    dn_engine_config cfg;
    dn_engine_config_default(&cfg);
    cfg.lateness_ms = lateness;
    cfg.on_alert = on_alert;
    cfg.on_alert_ud = s;
    dn_engine *e = NULL;
    assert_int_equal(dn_engine_new(the_rules, &cfg, &e), 0);
    return e;
}

static void submit(dn_engine *e, const ev_spec *s)
{
    dn_event ev = build(s);
    const char *reason = "x";
    assert_int_equal(dn_engine_submit(e, &ev, &reason), 0);
    assert_null(reason);
}

static json_t *parse(const char *line)
{
    json_error_t err;
    json_t *j = json_loads(line, 0, &err);
    assert_non_null(j);
    return j;
}

static const char *jstr(json_t *j, const char *key)
{
    const char *v = json_string_value(json_object_get(j, key));
    assert_non_null(v);
    return v;
}

/* A mule: three senders in a day, then more money within the suppression window, then again
 * after it. */
static const ev_spec mule_feed[] = {
    {"e1", T0, "s1", "M", NULL, 40000, NULL},
    {"e2", T0 + HOUR_MS, "s2", "M", NULL, 30000, NULL},
    {"e3", T0 + 2 * HOUR_MS, "s3", "M", NULL, 40000, "GBP"}, /* 468.00 EUR: 1168 in a day */
    {"e4", T0 + 3 * HOUR_MS, "s1", "M", NULL, 20000, NULL},  /* big_in again + mule.again */
    {"e5", T0 + 30 * HOUR_MS, "s4", "M", NULL, 150000, NULL},
};
/* Between e4 and e5: the same three rules fire again, nothing new to report. */
static const ev_spec mule_repeat = {"e4b", T0 + 4 * HOUR_MS, "s2", "M", NULL, 1000, NULL};

static void test_mule_alert_update_and_suppression(void **state)
{
    (void)state;
    sink s = {0};
    dn_engine *e = make(0, &s);
    for (size_t i = 0; i < 3; i++)
        submit(e, &mule_feed[i]);
    /* e3: big_in (40) + fan_in (30) = 70 >= 60 */
    assert_int_equal(s.count, 1);
    json_t *j = parse(s.lines[0]);
    assert_string_equal(jstr(j, "kind"), "alert");
    assert_string_equal(jstr(j, "entity"), "M");
    assert_string_equal(jstr(j, "role"), "account");
    assert_string_equal(jstr(j, "typology"), "money_mule");
    assert_string_equal(jstr(j, "verdict"), "review");
    assert_string_equal(jstr(j, "event"), "e3");
    assert_int_equal(json_integer_value(json_object_get(j, "score")), 70);
    json_t *rules = json_object_get(j, "rules");
    assert_int_equal(json_array_size(rules), 2);
    json_t *r0 = json_array_get(rules, 0);
    assert_string_equal(jstr(r0, "id"), "mule.big_in");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r0, "because"), 0)),
                        "sum(in, 24h) = 1168.00 EUR >= 1000.00 EUR");
    json_t *ids = json_object_get(r0, "events");
    assert_int_equal(json_array_size(ids), 3);
    assert_string_equal(json_string_value(json_array_get(ids, 0)), "e3");
    assert_string_equal(json_string_value(json_array_get(ids, 2)), "e1");
    const char *id = jstr(j, "alert_id");
    char alert_id[17];
    snprintf(alert_id, sizeof(alert_id), "%s", id);
    json_decref(j);

    /* e4 within 24h: big_in and fan_in fire again (each still counted once) and mule.again is
     * new: 40 + 30 + 5 = 75 > 70, an update of the same alert with the newest hit per rule */
    submit(e, &mule_feed[3]);
    assert_int_equal(s.count, 2);
    j = parse(s.lines[1]);
    assert_string_equal(jstr(j, "kind"), "alert_update");
    assert_string_equal(jstr(j, "alert_id"), alert_id);
    assert_int_equal(json_integer_value(json_object_get(j, "score")), 75);
    assert_string_equal(jstr(j, "verdict"), "review");
    rules = json_object_get(j, "rules");
    assert_int_equal(json_array_size(rules), 3);
    assert_string_equal(jstr(json_array_get(rules, 0), "id"), "mule.big_in");
    assert_string_equal(jstr(json_array_get(rules, 1), "id"), "mule.fan_in");
    assert_string_equal(jstr(json_array_get(rules, 2), "id"), "mule.again");
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(rules, 2), "because"), 0)),
        "hits(mule.big_in, 7d) = 1 >= 1");
    json_decref(j);

    /* e4b: big_in, fan_in and again fire once more, the score stays 75: no update */
    submit(e, &mule_repeat);
    assert_int_equal(s.count, 2);

    /* e5 after the suppression window: a new alert with a new id */
    submit(e, &mule_feed[4]);
    assert_int_equal(s.count, 3);
    j = parse(s.lines[2]);
    /* sum(in, 24h) at T0+30h holds e5 alone (1500.00); 4 senders in 7d; big_in hit before */
    assert_string_equal(jstr(j, "kind"), "alert");
    assert_string_not_equal(jstr(j, "alert_id"), alert_id);
    assert_string_equal(jstr(j, "event"), "e5");
    assert_int_equal(json_integer_value(json_object_get(j, "score")), 75);
    r0 = json_array_get(json_object_get(j, "rules"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r0, "because"), 0)),
                        "sum(in, 24h) = 1500.00 EUR >= 1000.00 EUR");
    json_decref(j);

    dn_engine_stats st;
    dn_engine_stats_get(e, &st);
    assert_int_equal(st.events_scored, 6);
    assert_int_equal(st.alerts, 2);
    assert_int_equal(st.alert_updates, 1);
    assert_int_equal(st.state.entities, 5); /* s1..s4, M */
    dn_engine_rule_stats rs;
    assert_int_equal(dn_engine_rule_count(e), 5);
    assert_int_equal(dn_engine_rule_stats_get(e, 0, &rs), 0);
    assert_string_equal(rs.id, "mule.big_in");
    assert_int_equal(rs.hits, 4); /* e3, e4, e4b, e5 */
    assert_int_equal(dn_engine_rule_stats_get(e, 2, &rs), 0);
    assert_string_equal(rs.id, "scam.big_out");
    assert_true(rs.is_shadow);
    assert_int_equal(rs.hits, 1); /* s4's 1500.00 */
    assert_int_equal(dn_engine_rule_stats_get(e, 5, &rs), DN_EINVAL);
    dn_engine_typology_stats ts;
    assert_int_equal(dn_engine_typology_stats_get(e, 0, &ts), 0);
    assert_string_equal(ts.name, "money_mule");
    assert_int_equal(ts.alerts, 2);
    assert_int_equal(ts.updates, 1);
    dn_engine_free(e);
    sink_free(&s);
}

static void test_shadow_counts_never_alerts(void **state)
{
    (void)state;
    sink s = {0};
    dn_engine *e = make(0, &s);
    ev_spec big = {"b1", T0, "A", NULL, NULL, 900000, NULL};
    submit(e, &big);
    assert_int_equal(s.count, 0);
    dn_engine_rule_stats rs;
    assert_int_equal(dn_engine_rule_stats_get(e, 2, &rs), 0);
    assert_true(rs.is_shadow);
    assert_int_equal(rs.hits, 1);
    dn_engine_free(e);
}

static void test_device_role_and_no_verdict(void **state)
{
    (void)state;
    sink s = {0};
    dn_engine *e = make(0, &s);
    ev_spec a = {"d1", T0, "A", "X", "dev1", 100, NULL};
    ev_spec b = {"d2", T0 + 1, "B", "X", "dev1", 100, NULL};
    submit(e, &a);
    submit(e, &b);
    assert_int_equal(s.count, 1);
    json_t *j = parse(s.lines[0]);
    assert_string_equal(jstr(j, "role"), "device");
    assert_string_equal(jstr(j, "entity"), "dev1");
    assert_null(json_object_get(j, "verdict"));
    json_decref(j);
    dn_engine_free(e);
    sink_free(&s);
}

static void test_unknown_currency(void **state)
{
    (void)state;
    sink s = {0};
    dn_engine *e = make(0, &s);
    ev_spec bad = {"u1", T0, "A", "B", NULL, 100, "XXX"};
    dn_event ev = build(&bad);
    const char *reason = NULL;
    assert_int_equal(dn_engine_submit(e, &ev, &reason), DN_EBADEVENT);
    assert_string_equal(reason, "unknown_currency");
    dn_engine_stats st;
    dn_engine_stats_get(e, &st);
    assert_int_equal(st.events_rejected, 1);
    assert_int_equal(st.events_scored, 0);
    dn_engine_free(e);
}

/* Shuffled within the lateness, the feed gives the same lines as in order; twice the same. */
static void test_reorder_same_output(void **state)
{
    (void)state;
    sink in_order = {0}, shuffled = {0}, again = {0};
    dn_engine *e = make(0, &in_order);
    for (size_t i = 0; i < 5; i++)
        submit(e, &mule_feed[i]);
    dn_engine_free(e);
    static const int order[] = {1, 0, 3, 2, 4};
    sink *runs[2] = {&shuffled, &again};
    for (int r = 0; r < 2; r++) {
        e = make(3 * HOUR_MS, runs[r]);
        for (size_t i = 0; i < 5; i++)
            submit(e, &mule_feed[order[i]]);
        dn_engine_stats st;
        dn_engine_stats_get(e, &st);
        assert_int_equal(st.late_events, 0);
        assert_true(st.events_held > 0);
        assert_int_equal(dn_engine_flush(e), 0);
        dn_engine_stats_get(e, &st);
        assert_int_equal(st.events_held, 0);
        assert_int_equal(st.events_scored, 5);
        dn_engine_free(e);
    }
    assert_int_equal(in_order.count, 3);
    assert_int_equal(shuffled.count, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(in_order.lines[i], shuffled.lines[i]);
        assert_string_equal(again.lines[i], shuffled.lines[i]);
    }
    sink_free(&in_order);
    sink_free(&shuffled);
    sink_free(&again);
}

static void test_late_event_counted(void **state)
{
    (void)state;
    sink s = {0};
    dn_engine *e = make(HOUR_MS, &s);
    ev_spec a = {"l1", T0 + 5 * HOUR_MS, "A", "B", NULL, 100, NULL};
    ev_spec b = {"l2", T0, "C", "B", NULL, 100, NULL}; /* 5h late, lateness 1h */
    submit(e, &a);
    submit(e, &b);
    dn_engine_stats st;
    dn_engine_stats_get(e, &st);
    assert_int_equal(st.late_events, 1);
    assert_int_equal(st.events_scored, 1); /* the late one, at once; a is still held */
    assert_int_equal(dn_engine_flush(e), 0);
    dn_engine_stats_get(e, &st);
    assert_int_equal(st.events_scored, 2);
    dn_engine_free(e);
}

/* Random feeds: shuffled within the lateness (every event sorted by its time plus a jitter
 * below the lateness, so none is late), the engine gives the alerts of the in-order feed, byte
 * for byte. */
typedef struct big_sink {
    char **lines;
    size_t count, cap;
} big_sink;

static void on_alert_big(const char *line, size_t len, void *ud)
{
    big_sink *s = ud;
    (void)len;
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->lines = realloc(s->lines, s->cap * sizeof(*s->lines));
        assert_non_null(s->lines);
    }
    s->lines[s->count++] = strdup(line);
}

typedef struct rnd_ev {
    ev_spec spec;
    int64_t key;
    char id[16], src[8], dst[8], dev[8];
} rnd_ev;

static int by_key(const void *a, const void *b)
{
    const rnd_ev *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key;
}

static int by_ts(const void *a, const void *b)
{
    const rnd_ev *x = a, *y = b;
    return x->spec.ts < y->spec.ts ? -1 : x->spec.ts > y->spec.ts;
}

static void run_feed(rnd_ev *evs, size_t n, int64_t lateness, big_sink *out, uint64_t *late)
{
    dn_engine_config cfg;
    dn_engine_config_default(&cfg);
    cfg.lateness_ms = lateness;
    cfg.on_alert = on_alert_big;
    cfg.on_alert_ud = out;
    cfg.state.max_entities = 20; /* eviction on the way, the same in both orders */
    dn_engine *e = NULL;
    assert_int_equal(dn_engine_new(the_rules, &cfg, &e), 0);
    for (size_t i = 0; i < n; i++) {
        evs[i].spec.id = evs[i].id;
        evs[i].spec.src = evs[i].src;
        evs[i].spec.dst = evs[i].dst;
        evs[i].spec.device = evs[i].dev[0] ? evs[i].dev : NULL;
        submit(e, &evs[i].spec);
    }
    assert_int_equal(dn_engine_flush(e), 0);
    dn_engine_stats st;
    dn_engine_stats_get(e, &st);
    assert_int_equal(st.events_scored, n);
    assert_true(st.state.evicted_entities > 0);
    *late = st.late_events;
    dn_engine_free(e);
}

static void test_random_feed_reordered(void **state)
{
    (void)state;
    enum { N = 3000 };
    static rnd_ev evs[N];
    uint64_t x = 0x1234567;
    const int64_t lateness = 10 * 60000;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        rnd_ev *r = &evs[i];
        memset(r, 0, sizeof(*r));
        snprintf(r->id, sizeof(r->id), "r%zu", i);
        snprintf(r->src, sizeof(r->src), "a%u", (unsigned)(x % 30));
        snprintf(r->dst, sizeof(r->dst), "a%u", (unsigned)(x / 30 % 30));
        if (x % 3 == 0)
            snprintf(r->dev, sizeof(r->dev), "d%u", (unsigned)(x / 900 % 5));
        r->spec.ts = T0 + (int64_t)i * 60000 + (int64_t)(x % 1000); /* distinct times */
        r->spec.amount = (int64_t)(x / 7 % 90000);
        r->spec.currency = x % 5 == 0 ? "GBP" : "EUR";
        r->key = r->spec.ts + (int64_t)(x / 11 % (uint64_t)lateness);
    }
    big_sink in_order = {0}, shuffled = {0};
    uint64_t late = 0;
    run_feed(evs, N, 0, &in_order, &late);
    assert_int_equal(late, 0);
    qsort(evs, N, sizeof(evs[0]), by_key);
    run_feed(evs, N, lateness, &shuffled, &late);
    assert_int_equal(late, 0);
    assert_true(in_order.count > 10);
    assert_int_equal(in_order.count, shuffled.count);
    for (size_t i = 0; i < in_order.count; i++)
        assert_string_equal(in_order.lines[i], shuffled.lines[i]);
    for (size_t i = 0; i < in_order.count; i++) {
        free(in_order.lines[i]);
        free(shuffled.lines[i]);
    }
    free(in_order.lines);
    free(shuffled.lines);
    qsort(evs, N, sizeof(evs[0]), by_ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mule_alert_update_and_suppression),
        cmocka_unit_test(test_shadow_counts_never_alerts),
        cmocka_unit_test(test_device_role_and_no_verdict),
        cmocka_unit_test(test_unknown_currency),
        cmocka_unit_test(test_reorder_same_output),
        cmocka_unit_test(test_late_event_counted),
        cmocka_unit_test(test_random_feed_reordered),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
