/*
 * test_alert.c - alert lines and hit notes of engine/score: exact bytes and key order, valid
 * JSON (parsed back with jansson), verdicts, ISO 8601 times, stable ids, note round trips and
 * malformed notes.
 */
#include "score/score.h"

#include "common/buf.h"
#include "dragnet/error.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static dn_str S(const char *s)
{
    return (dn_str){s, (uint32_t)strlen(s)};
}

static void test_note_round_trip(void **state)
{
    (void)state;
    dn__buf b;
    dn__buf_init(&b);
    dn_str because[2] = {S("sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR"), S("x \"q\"")};
    dn_str ids[20];
    for (int i = 0; i < 20; i++)
        ids[i] = S(i % 2 ? "evt-odd" : "evt-even");
    assert_int_equal(dn__score_note_encode(&b, because, 2, ids, 20), 0);
    dn_str ob[DN__NOTE_MAX_LINES], oi[DN__NOTE_MAX_IDS];
    uint32_t nb, ni;
    assert_int_equal(dn__score_note_decode(b.data, (uint32_t)b.len, ob, &nb, oi, &ni), 0);
    assert_int_equal(nb, 2);
    assert_int_equal(ni, DN__NOTE_MAX_IDS); /* capped */
    assert_int_equal(ob[0].len, because[0].len);
    assert_memory_equal(ob[0].ptr, because[0].ptr, ob[0].len);
    assert_memory_equal(oi[1].ptr, "evt-odd", 7);
    /* every truncation of a note is rejected, never read past */
    for (uint32_t cut = 1; cut < b.len; cut++)
        assert_int_equal(dn__score_note_decode(b.data, cut, ob, &nb, oi, &ni), DN_EINVAL);
    assert_int_equal(dn__score_note_decode(NULL, 0, ob, &nb, oi, &ni), 0);
    assert_int_equal(nb + ni, 0);
    dn__buf_free(&b);
}

/* A deferred hit's note: its why record comes back as it went in, with the ids; no lines. */
static void test_note_why_round_trip(void **state)
{
    (void)state;
    dn__buf b;
    dn__buf_init(&b);
    const unsigned char why[] = {3, 0, 1, 0, 0xff, 0xfe, 7};
    dn_str ids[2] = {S("e1"), S("e22")};
    assert_int_equal(dn__score_note_encode_why(&b, why, sizeof(why), ids, 2), 0);
    const void *w = NULL;
    uint32_t wl = 0;
    assert_true(dn__score_note_why(b.data, (uint32_t)b.len, &w, &wl));
    assert_int_equal(wl, sizeof(why));
    assert_memory_equal(w, why, sizeof(why));
    dn_str ob[DN__NOTE_MAX_LINES], oi[DN__NOTE_MAX_IDS];
    uint32_t nb = 9, ni = 0;
    assert_int_equal(dn__score_note_decode(b.data, (uint32_t)b.len, ob, &nb, oi, &ni), 0);
    assert_int_equal(nb, 0);
    assert_int_equal(ni, 2);
    assert_memory_equal(oi[1].ptr, "e22", 3);
    for (uint32_t cut = 1; cut < b.len; cut++)
        assert_int_equal(dn__score_note_decode(b.data, cut, ob, &nb, oi, &ni), DN_EINVAL);
    /* a note of lines is not a why note */
    assert_int_equal(dn__score_note_encode(&b, ids, 1, ids, 1), 0);
    assert_false(dn__score_note_why(b.data, (uint32_t)b.len, &w, &wl));
    dn__buf_free(&b);
}

static void test_iso8601(void **state)
{
    (void)state;
    dn__buf b;
    dn__buf_init(&b);
    assert_int_equal(dn__score_iso8601(&b, 0), 0);
    assert_string_equal(b.data, "1970-01-01T00:00:00.000Z");
    dn__buf_clear(&b);
    dn__score_iso8601(&b, 1795811551123LL);
    assert_string_equal(b.data, "2026-11-27T20:32:31.123Z");
    dn__buf_clear(&b);
    dn__score_iso8601(&b, 951782400000LL); /* leap day */
    assert_string_equal(b.data, "2000-02-29T00:00:00.000Z");
    dn__buf_clear(&b);
    dn__score_iso8601(&b, -1);
    assert_string_equal(b.data, "1969-12-31T23:59:59.999Z");
    dn__buf_free(&b);
}

static void test_verdict_and_id(void **state)
{
    (void)state;
    assert_null(dn__score_verdict(100, -1, -1));
    assert_string_equal(dn__score_verdict(39, 40, 80), "allow");
    assert_string_equal(dn__score_verdict(40, 40, 80), "review");
    assert_string_equal(dn__score_verdict(80, 40, 80), "block");
    assert_string_equal(dn__score_verdict(90, -1, 80), "block");
    assert_string_equal(dn__score_verdict(10, 40, -1), "allow");
    uint64_t a = dn__score_alert_id("abc", "money_mule", 0, S("acct1"), S("e1"));
    assert_true(a == dn__score_alert_id("abc", "money_mule", 0, S("acct1"), S("e1")));
    assert_true(a != dn__score_alert_id("abd", "money_mule", 0, S("acct1"), S("e1")));
    assert_true(a != dn__score_alert_id("abc", "money_mul", 0, S("acct1"), S("e1")));
    assert_true(a != dn__score_alert_id("abc", "money_mule", 1, S("acct1"), S("e1")));
    assert_true(a != dn__score_alert_id("abc", "money_mule", 0, S("acct2"), S("e1")));
    assert_true(a != dn__score_alert_id("abc", "money_mule", 0, S("acct1"), S("e2")));
}

static void test_alert_line(void **state)
{
    (void)state;
    dn__buf note, line;
    dn__buf_init(&note);
    dn__buf_init(&line);
    dn_str because[1] = {S("sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR")};
    dn_str ids[2] = {S("e9"), S("e7")};
    assert_int_equal(dn__score_note_encode(&note, because, 1, ids, 2), 0);
    dn__alert_rule rules[2] = {
        {"mule.fan_in", "Many senders", 30, 1795811000000LL, NULL, 0},
        {"mule.pass_through", "Funds leave \"again\"", 40, 1795811551123LL, note.data,
         (uint32_t)note.len},
    };
    dn__alert a = {.alert_id = 0x00ab00cd00ef0012ull,
                   .is_update = false,
                   .ts_ms = 1795811551123LL,
                   .entity = S("DE89370400440532013000"),
                   .role = "account",
                   .typology = "money_mule",
                   .description = "Account used to receive and pass on illicit funds",
                   .severity = "high",
                   .score = 70,
                   .threshold = 60,
                   .review = 40,
                   .block = 80,
                   .ruleset_version = "2026.11",
                   .ruleset_hash = "0123456789abcdef",
                   .rules = rules,
                   .rule_count = 2,
                   .event_id = S("e9")};
    assert_int_equal(dn__score_alert_json(&line, &a), 0);
    const char *want =
        "{\"alert_id\":\"00ab00cd00ef0012\",\"kind\":\"alert\",\"ts\":1795811551123,"
        "\"time\":\"2026-11-27T20:32:31.123Z\",\"entity\":\"DE89370400440532013000\","
        "\"role\":\"account\",\"typology\":\"money_mule\","
        "\"description\":\"Account used to receive and pass on illicit funds\","
        "\"severity\":\"high\",\"score\":70,\"threshold\":60,\"verdict\":\"review\","
        "\"ruleset\":{\"version\":\"2026.11\",\"hash\":\"0123456789abcdef\"},\"rules\":["
        "{\"id\":\"mule.fan_in\",\"description\":\"Many senders\",\"score\":30,"
        "\"ts\":1795811000000,\"because\":[],\"events\":[]},"
        "{\"id\":\"mule.pass_through\",\"description\":\"Funds leave \\\"again\\\"\","
        "\"score\":40,\"ts\":1795811551123,"
        "\"because\":[\"sum(in, 24h) = 5400.00 EUR >= 2000.00 EUR\"],\"events\":[\"e9\",\"e7\"]}"
        "],\"event\":\"e9\"}";
    assert_string_equal(line.data, want);
    json_error_t err;
    json_t *j = json_loadb(line.data, line.len, 0, &err);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "rules")), 2);
    json_decref(j);
    /* an update with no verdict thresholds: kind changes, verdict is left out */
    a.is_update = true;
    a.review = a.block = -1;
    assert_int_equal(dn__score_alert_json(&line, &a), 0);
    assert_non_null(strstr(line.data, "\"kind\":\"alert_update\""));
    assert_null(strstr(line.data, "verdict"));
    j = json_loadb(line.data, line.len, 0, &err);
    assert_non_null(j);
    json_decref(j);
    dn__buf_free(&note);
    dn__buf_free(&line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_round_trip), cmocka_unit_test(test_note_why_round_trip),
        cmocka_unit_test(test_iso8601),         cmocka_unit_test(test_verdict_and_id),
        cmocka_unit_test(test_alert_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
