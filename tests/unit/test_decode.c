/*
 * test_decode.c - the decoders (engine/decode): the same content as msgpack and as JSON gives the
 * same dn_event field by field, and every reason code has a case that triggers it, checked in
 * both formats where JSON can say it. Each test owns its decoders and frees them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "decode/country.h"
#include "decode/decode.h"
#include "decode/fields.h"
#include "dragnet/error.h"
#include "mp_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE                                                                                       \
    "\"id\":\"e1\",\"ts\":1700000000000,\"type\":\"transfer\",\"amount\":100,"                     \
    "\"currency\":\"EUR\",\"src\":\"A\",\"dst\":\"B\""

static const char full_event[] =
    "{\"id\":\"evt-0001\",\"ts\":1700000123456,\"type\":\"transfer\",\"amount\":250000,"
    "\"currency\":\"GBP\",\"src\":\"GB29NWBK60161331926819\",\"dst\":\"DE89370400440532013000\","
    "\"src_name\":\"Alice Smith\",\"dst_name\":\"Bob Jones\",\"src_country\":\"GB\","
    "\"dst_country\":\"DE\",\"src_bank\":\"NWBKGB2L\",\"dst_bank\":\"COBADEFF\","
    "\"reference\":\"USDT withdrawal fee\",\"purpose\":\"GDDS\",\"channel\":\"online\","
    "\"mcc\":6051,\"device\":\"dev-42\",\"ip\":\"203.0.113.7\",\"ip_country\":\"KH\","
    "\"remote_access\":true,\"customer\":{\"birth_year\":1951,\"opened\":1600000000000,"
    "\"segment\":\"retail\",\"residence\":\"GB\",\"kyc\":\"low\"},\"campaign\":\"x\\u00e9\","
    "\"score_hint\":-7,\"ratio\":0.25,\"flag\":false,\"none\":null,\"nested\":{\"a\":[1,{\"b\":2}]}"
    ","
    "\"list\":[1,2,3],\"empty\":\"\"}";

typedef struct pair {
    dn__decoder *dj, *dm;
    dn_event ej, em;
    dn__reject rj, rm;
    int cj, cm;
    msgpack_sbuffer sb;
} pair;

/* Decodes json as JSON and its msgpack twin. */
static void decode_both(pair *p, const char *json)
{
    memset(p, 0, sizeof(*p));
    assert_int_equal(dn__decoder_new(&p->dj), 0);
    assert_int_equal(dn__decoder_new(&p->dm), 0);
    msgpack_sbuffer_init(&p->sb);
    p->cj = dn__decode_json(p->dj, json, strlen(json), &p->ej, &p->rj);
    assert_int_equal(mp_from_json(&p->sb, json), 0);
    p->cm = dn__decode_msgpack(p->dm, p->sb.data, p->sb.size, &p->em, &p->rm);
}

static void pair_free(pair *p)
{
    msgpack_sbuffer_destroy(&p->sb);
    dn__decoder_free(p->dj);
    dn__decoder_free(p->dm);
}

static void assert_str_eq(dn_str a, dn_str b)
{
    assert_int_equal(a.ptr == NULL, b.ptr == NULL);
    assert_int_equal(a.len, b.len);
    if (a.len)
        assert_memory_equal(a.ptr, b.ptr, a.len);
}

static void assert_str_is(dn_str a, const char *want)
{
    assert_non_null(a.ptr);
    assert_int_equal(a.len, strlen(want));
    assert_memory_equal(a.ptr, want, a.len);
}

static void assert_events_equal(const dn_event *a, const dn_event *b)
{
    assert_str_eq(a->id, b->id);
    assert_int_equal(a->ts_ms, b->ts_ms);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->has_amount, b->has_amount);
    assert_int_equal(a->amount_minor, b->amount_minor);
    assert_string_equal(a->currency, b->currency);
    assert_str_eq(a->src, b->src);
    assert_str_eq(a->dst, b->dst);
    assert_str_eq(a->src_name, b->src_name);
    assert_str_eq(a->dst_name, b->dst_name);
    assert_string_equal(a->src_country, b->src_country);
    assert_string_equal(a->dst_country, b->dst_country);
    assert_str_eq(a->src_bank, b->src_bank);
    assert_str_eq(a->dst_bank, b->dst_bank);
    assert_str_eq(a->reference, b->reference);
    assert_str_eq(a->purpose, b->purpose);
    assert_str_eq(a->channel, b->channel);
    assert_int_equal(a->has_mcc, b->has_mcc);
    assert_int_equal(a->mcc, b->mcc);
    assert_str_eq(a->device, b->device);
    assert_str_eq(a->ip, b->ip);
    assert_string_equal(a->ip_country, b->ip_country);
    assert_int_equal(a->remote_access, b->remote_access);
    assert_int_equal(a->customer.is_present, b->customer.is_present);
    assert_int_equal(a->customer.has_birth_year, b->customer.has_birth_year);
    assert_int_equal(a->customer.birth_year, b->customer.birth_year);
    assert_int_equal(a->customer.has_opened, b->customer.has_opened);
    assert_int_equal(a->customer.opened_ms, b->customer.opened_ms);
    assert_str_eq(a->customer.segment, b->customer.segment);
    assert_string_equal(a->customer.residence, b->customer.residence);
    assert_int_equal(a->attr_count, b->attr_count);
    for (uint32_t i = 0; i < a->attr_count; i++) {
        const dn_attr *x = &a->attrs[i], *y = &b->attrs[i];
        assert_str_eq(x->key, y->key);
        assert_int_equal(x->kind, y->kind);
        switch (x->kind) {
        case DN_VAL_BOOL:
            assert_int_equal(x->v.b, y->v.b);
            break;
        case DN_VAL_INT:
            assert_int_equal(x->v.i, y->v.i);
            break;
        case DN_VAL_FLOAT:
            assert_true(x->v.f == y->v.f);
            break;
        case DN_VAL_STR:
            assert_str_eq(x->v.s, y->v.s);
            break;
        default:
            break;
        }
    }
}

static void full_event_same_in_both_formats(void **state)
{
    pair p;
    decode_both(&p, full_event);
    assert_int_equal(p.cj, 0);
    assert_int_equal(p.cm, 0);
    assert_events_equal(&p.ej, &p.em);
    /* And the values are the ones sent. */
    const dn_event *e = &p.em;
    assert_str_is(e->id, "evt-0001");
    assert_int_equal(e->ts_ms, 1700000123456LL);
    assert_int_equal(e->type, DN_EV_TRANSFER);
    assert_int_equal(e->amount_minor, 250000);
    assert_string_equal(e->currency, "GBP");
    assert_str_is(e->reference, "USDT withdrawal fee");
    assert_string_equal(e->ip_country, "KH");
    assert_int_equal(e->mcc, 6051);
    assert_int_equal(e->remote_access, 1);
    assert_true(e->customer.is_present);
    assert_int_equal(e->customer.birth_year, 1951);
    assert_int_equal(e->customer.opened_ms, 1600000000000LL);
    assert_str_is(e->customer.segment, "retail");
    assert_string_equal(e->customer.residence, "GB");
    assert_int_equal(e->attr_count, 9);
    assert_str_is(e->attrs[0].key, "customer.kyc");
    assert_str_is(e->attrs[1].key, "campaign");
    assert_str_is(e->attrs[1].v.s, "x\xc3\xa9");
    assert_int_equal(e->attrs[2].kind, DN_VAL_INT);
    assert_int_equal(e->attrs[2].v.i, -7);
    assert_int_equal(e->attrs[3].kind, DN_VAL_FLOAT);
    assert_int_equal(e->attrs[4].kind, DN_VAL_BOOL);
    assert_int_equal(e->attrs[5].kind, DN_VAL_NIL);
    assert_int_equal(e->attrs[6].kind, DN_VAL_COMPLEX);
    assert_int_equal(e->attrs[7].kind, DN_VAL_COMPLEX);
    assert_int_equal(e->attrs[8].kind, DN_VAL_STR);
    assert_non_null(e->attrs[8].v.s.ptr);
    assert_int_equal(e->attrs[8].v.s.len, 0);
    assert_non_null(dn_event_attr(e, "campaign", 8));
    /* Absent strings are NULL. */
    pair_free(&p);
    decode_both(&p, "{" BASE "}");
    assert_int_equal(p.cm, 0);
    assert_null(p.em.reference.ptr);
    assert_int_equal(p.em.remote_access, -1);
    assert_false(p.em.customer.is_present);
    assert_string_equal(p.em.ip_country, "");
    pair_free(&p);
}

static void event_survives_until_next_decode(void **state)
{
    pair p;
    decode_both(&p, full_event);
    dn_event *copy;
    assert_int_equal(dn_event_clone(&p.em, &copy), 0);
    assert_events_equal(copy, &p.ej);
    dn_event_free(copy);
    pair_free(&p);
}

/* One reason code per case, in both formats. */
typedef struct reason_case {
    const char *json;
    const char *reason;
} reason_case;

#define CARD "{\"id\":\"e\",\"ts\":1,\"type\":\"card\",\"src\":\"A\","

static const reason_case reason_cases[] = {
    {"[1,2]", "not_a_map"},
    {"\"text\"", "not_a_map"},
    {"{\"ts\":1,\"type\":\"login\",\"src\":\"A\"}", "missing_field:id"},
    {"{\"id\":\"e\",\"type\":\"login\",\"src\":\"A\"}", "missing_field:ts"},
    {"{\"id\":\"e\",\"ts\":1,\"src\":\"A\"}", "missing_field:type"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"card\",\"currency\":\"EUR\",\"src\":\"A\"}",
     "missing_field:amount"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"card\",\"amount\":1,\"src\":\"A\"}",
     "missing_field:currency"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"transfer\",\"amount\":1,\"currency\":\"EUR\",\"dst\":"
     "\"B\"}",
     "missing_field:src"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"transfer\",\"amount\":1,\"currency\":\"EUR\",\"src\":"
     "\"A\"}",
     "missing_field:dst"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"cash_deposit\",\"amount\":1,\"currency\":\"EUR\"}",
     "missing_field:dst"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"login\"}", "missing_field:src"},
    {"{\"id\":5,\"ts\":1,\"type\":\"login\",\"src\":\"A\"}", "bad_type:id"},
    {"{\"id\":\"e\",\"ts\":\"2024-01-01\",\"type\":\"login\",\"src\":\"A\"}", "bad_type:ts"},
    {"{\"id\":\"e\",\"ts\":1.5,\"type\":\"login\",\"src\":\"A\"}", "bad_type:ts"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":7,\"src\":\"A\"}", "bad_type:type"},
    {CARD "\"amount\":1.5,\"currency\":\"EUR\"}", "bad_type:amount"},
    {CARD "\"amount\":\"100\",\"currency\":\"EUR\"}", "bad_type:amount"},
    {CARD "\"amount\":1,\"currency\":978}", "bad_type:currency"},
    {"{\"mcc\":\"6051\"," BASE "}", "bad_type:mcc"},
    {"{\"remote_access\":1," BASE "}", "bad_type:remote_access"},
    {"{\"customer\":[1]," BASE "}", "bad_type:customer"},
    {"{\"customer\":{\"birth_year\":\"1950\"}," BASE "}", "bad_type:customer.birth_year"},
    {"{\"src_name\":null," BASE "}", "bad_type:src_name"},
    {"{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123X\","
     "\"ts\":1,\"type\":\"login\",\"src\":\"A\"}",
     "too_long:id"},
    {"{\"reference\":\"0123456789012345678901234567890123456789012345678901234567890123456789"
     "01234567890123456789012345678901234567890123456789012345678901234567890\"," BASE "}",
     "too_long:reference"},
    {CARD "\"amount\":1,\"currency\":\"eur\"}", "bad_currency"},
    {CARD "\"amount\":1,\"currency\":\"EURO\"}", "bad_currency"},
    {"{\"src_country\":\"D\"," BASE "}", "bad_country"},
    {"{\"customer\":{\"residence\":\"deu\"}," BASE "}", "bad_country"},
    {"{\"ip_country\":\"k1\"," BASE "}", "bad_country"},
    {CARD "\"amount\":-1,\"currency\":\"EUR\"}", "negative_amount"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"wire\",\"src\":\"A\"}", "unknown_event_type"},
    {"{\"id\":\"e\",\"ts\":1,\"type\":\"Transfer\",\"src\":\"A\"}", "unknown_event_type"},
};

static void reason_case_test(void **state)
{
    const reason_case *c = *state;
    pair p;
    decode_both(&p, c->json);
    assert_int_equal(p.cj, DN_EBADEVENT);
    assert_int_equal(p.cm, DN_EBADEVENT);
    assert_string_equal(p.rj.reason, c->reason);
    assert_string_equal(p.rm.reason, c->reason);
    assert_non_null(p.rj.detail);
    assert_non_null(p.rm.detail);
    pair_free(&p);
}

/* Limits are inclusive: exactly at the limit is accepted. */
static void limits_are_inclusive(void **state)
{
    char json[4096];
    char id[65], ref[141], text[257];
    memset(id, 'i', 64);
    id[64] = 0;
    memset(ref, 'r', 140);
    ref[140] = 0;
    memset(text, 't', 256);
    text[256] = 0;
    snprintf(json, sizeof(json),
             "{\"id\":\"%s\",\"ts\":1,\"type\":\"login\",\"src\":\"%s\",\"reference\":\"%s\","
             "\"channel\":\"%s\",\"note\":\"%s\"}",
             id, id, ref, text, text);
    pair p;
    decode_both(&p, json);
    assert_int_equal(p.cj, 0);
    assert_int_equal(p.cm, 0);
    assert_events_equal(&p.ej, &p.em);
    assert_int_equal(p.em.reference.len, 140);
    pair_free(&p);
    /* One more byte in channel or in an attribute value is too long. */
    snprintf(json, sizeof(json), "{\"channel\":\"%sx\"," BASE "}", text);
    decode_both(&p, json);
    assert_string_equal(p.rj.reason, "too_long:channel");
    assert_string_equal(p.rm.reason, "too_long:channel");
    pair_free(&p);
    snprintf(json, sizeof(json), "{\"note\":\"%sx\"," BASE "}", text);
    decode_both(&p, json);
    assert_string_equal(p.rj.reason, "too_long:attrs");
    assert_string_equal(p.rm.reason, "too_long:attrs");
    pair_free(&p);
}

static void attrs_up_to_the_cap(void **state)
{
    for (int n = DN_ATTR_MAX_COUNT; n <= DN_ATTR_MAX_COUNT + 1; n++) {
        char json[8192];
        size_t at = (size_t)snprintf(json, sizeof(json), "{" BASE);
        for (int i = 0; i < n; i++)
            at += (size_t)snprintf(json + at, sizeof(json) - at, ",\"k%d\":%d", i, i);
        snprintf(json + at, sizeof(json) - at, "}");
        pair p;
        decode_both(&p, json);
        if (n == DN_ATTR_MAX_COUNT) {
            assert_int_equal(p.cm, 0);
            assert_int_equal(p.cj, 0);
            assert_int_equal(p.em.attr_count, DN_ATTR_MAX_COUNT);
            assert_events_equal(&p.ej, &p.em);
        } else {
            assert_string_equal(p.rj.reason, "too_many_attrs");
            assert_string_equal(p.rm.reason, "too_many_attrs");
        }
        pair_free(&p);
    }
}

static void duplicate_keys(void **state)
{
    dn__decoder *d;
    dn_event ev;
    dn__reject rej;
    assert_int_equal(dn__decoder_new(&d), 0);
    const char *json = "{\"id\":\"a\",\"ts\":1,\"id\":\"b\",\"type\":\"login\",\"src\":\"A\"}";
    assert_int_equal(dn__decode_json(d, json, strlen(json), &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:id");
    const char *json2 = "{" BASE ",\"zz\":1,\"zz\":2}";
    assert_int_equal(dn__decode_json(d, json2, strlen(json2), &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:attrs");

    /* The same in msgpack, built with the packer (the first id is of the wrong type: the
     * duplicate is still what is reported, as jansson reports it while parsing). */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_int(&pk, 5);
    msgpack_pack_str_with_body(&pk, "ts", 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "b", 1);
    msgpack_pack_str_with_body(&pk, "type", 4);
    msgpack_pack_str_with_body(&pk, "login", 5);
    msgpack_pack_str_with_body(&pk, "src", 3);
    msgpack_pack_str_with_body(&pk, "A", 1);
    assert_int_equal(dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:id");
    msgpack_sbuffer_clear(&sb);

    /* Inside the customer map, and inside a nested attribute (JSON rejects those too). */
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "customer", 8);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "segment", 7);
    msgpack_pack_str_with_body(&pk, "a", 1);
    msgpack_pack_str_with_body(&pk, "segment", 7);
    msgpack_pack_str_with_body(&pk, "b", 1);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "x", 1);
    assert_int_equal(dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:segment");
    const char *json3 = "{\"customer\":{\"segment\":\"a\",\"segment\":\"b\"},\"id\":\"x\"}";
    assert_int_equal(dn__decode_json(d, json3, strlen(json3), &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:segment");
    const char *json4 = "{\"n\":[{\"q\":1,\"q\":2}]," BASE "}";
    assert_int_equal(dn__decode_json(d, json4, strlen(json4), &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:attrs");
    msgpack_sbuffer_clear(&sb);
    assert_int_equal(mp_from_json(&sb, "{\"n\":[{\"q\":1,\"r\":2}]," BASE "}"), 0);
    /* Patch "r" into "q": same length, same place. */
    char *r = memchr(sb.data, 'r', sb.size);
    assert_non_null(r);
    *r = 'q';
    assert_int_equal(dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "duplicate_key:attrs");
    msgpack_sbuffer_destroy(&sb);
    dn__decoder_free(d);
}

static void invalid_bytes(void **state)
{
    dn__decoder *d;
    dn_event ev;
    dn__reject rej;
    assert_int_equal(dn__decoder_new(&d), 0);
    const char *bad[] = {"{\"id\":", "{\"id\" \"x\"}", "", "{} {}", "{\"a\":1,}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dn__decode_json(d, bad[i], strlen(bad[i]), &ev, &rej), DN_EBADEVENT);
        assert_string_equal(rej.reason, "invalid_json");
    }
    static const uint8_t mp_bad[][4] = {{0xc1}, {0x81, 0xa2, 'i'}, {0x80, 0x80}, {0x81, 0xc1, 1}};
    static const size_t mp_len[] = {1, 3, 2, 3};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(dn__decode_msgpack(d, mp_bad[i], mp_len[i], &ev, &rej), DN_EBADEVENT);
        assert_string_equal(rej.reason, "invalid_msgpack");
    }
    assert_int_equal(dn__decode_msgpack(d, "", 0, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "invalid_msgpack");
    static const uint8_t not_map[] = {0x92, 1, 2};
    assert_int_equal(dn__decode_msgpack(d, not_map, 3, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "not_a_map");
    /* A non-string key. */
    static const uint8_t int_key[] = {0x81, 0x01, 0x02};
    assert_int_equal(dn__decode_msgpack(d, int_key, 3, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "bad_type:attrs");
    dn__decoder_free(d);
}

/* 100k nested arrays: rejected, with a bounded stack, in both formats. */
static void deep_nesting(void **state)
{
    enum { DEPTH = 100000 };
    dn__decoder *d;
    dn_event ev;
    dn__reject rej;
    assert_int_equal(dn__decoder_new(&d), 0);
    uint8_t *mp = malloc(DEPTH + 16);
    size_t n = 0;
    mp[n++] = 0x81;
    mp[n++] = 0xa1;
    mp[n++] = 'n';
    for (int i = 0; i < DEPTH; i++)
        mp[n++] = 0x91;
    mp[n++] = 0x01;
    assert_int_equal(dn__decode_msgpack(d, mp, n, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "invalid_msgpack");
    /* Nested maps too. */
    for (size_t i = 3; i < n - 1; i += 2) {
        mp[i] = 0x81;
        mp[i + 1] = 0x01;
    }
    assert_int_equal(dn__decode_msgpack(d, mp, n, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "invalid_msgpack");
    free(mp);

    char *js = malloc(2 * DEPTH + 32);
    n = (size_t)sprintf(js, "{\"n\":");
    for (int i = 0; i < DEPTH; i++)
        js[n++] = '[';
    for (int i = 0; i < DEPTH; i++)
        js[n++] = ']';
    js[n++] = '}';
    assert_int_equal(dn__decode_json(d, js, n, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "invalid_json");
    free(js);
    dn__decoder_free(d);
}

/* DN_DECODE_MAX_DEPTH levels are fine in both formats; one more is not. */
static void depth_limit_edges(void **state)
{
    for (int extra = 0; extra <= 1; extra++) {
        char json[512];
        size_t n = (size_t)sprintf(json, "{" BASE ",\"n\":");
        int arrays = DN_DECODE_MAX_DEPTH - 1 + extra; /* the event map is level 1 */
        for (int i = 0; i < arrays; i++)
            json[n++] = '[';
        for (int i = 0; i < arrays; i++)
            json[n++] = ']';
        json[n++] = '}';
        json[n] = 0;
        pair p;
        decode_both(&p, json);
        if (!extra) {
            assert_int_equal(p.cj, 0);
            assert_int_equal(p.cm, 0);
        } else {
            assert_string_equal(p.rj.reason, "invalid_json");
            assert_string_equal(p.rm.reason, "invalid_msgpack");
        }
        pair_free(&p);
    }
}

/*
 * Non-UTF-8 bytes: strings are bytes in both formats and are kept as sent (the dead-letter and
 * alert writers escape them). jansson refuses such JSON; the decoder maps the bytes through
 * private-use code points and back (json.c), so the event is the same as its msgpack twin.
 */
static void non_utf8_strings(void **state)
{
    dn__decoder *d;
    dn_event ev;
    dn__reject rej;
    assert_int_equal(dn__decoder_new(&d), 0);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    msgpack_pack_str_with_body(&pk, "id", 2);
    msgpack_pack_str_with_body(&pk, "e\xff\xfe", 3);
    msgpack_pack_str_with_body(&pk, "ts", 2);
    msgpack_pack_int64(&pk, 5);
    msgpack_pack_str_with_body(&pk, "type", 4);
    msgpack_pack_str_with_body(&pk, "login", 5);
    msgpack_pack_str_with_body(&pk, "src", 3);
    msgpack_pack_bin_with_body(&pk, "A\x00\xc0", 3); /* bin where a string is expected */
    msgpack_pack_str_with_body(&pk, "src_name", 8);
    msgpack_pack_str_with_body(&pk, "\xc3\x28 bad", 6);
    assert_int_equal(dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej), 0);
    assert_int_equal(ev.id.len, 3);
    assert_memory_equal(ev.id.ptr, "e\xff\xfe", 3);
    assert_int_equal(ev.src.len, 3);
    assert_memory_equal(ev.src.ptr, "A\x00\xc0", 3);
    assert_memory_equal(ev.src_name.ptr, "\xc3\x28 bad", 6);
    const char js[] = "{\"id\":\"e\xff\xfe\",\"ts\":5,\"type\":\"login\",\"src\":\"A\\u0000\xc0\","
                      "\"src_name\":\"\xc3\x28 bad\",\"k\xe9y\":\"caf\xe9 \xef\x9d\x81\"}";
    dn__decoder *d2;
    dn_event ev2;
    assert_int_equal(dn__decoder_new(&d2), 0);
    assert_int_equal(dn__decode_json(d2, js, sizeof(js) - 1, &ev2, &rej), 0);
    assert_int_equal(ev2.attr_count, 1);
    ev.attrs = ev2.attrs; /* the msgpack twin above has no attribute: compare the rest */
    ev.attr_count = 1;
    assert_events_equal(&ev, &ev2);
    assert_str_is(ev2.attrs[0].key, "k\xe9y");
    /* A genuine U+F700 in a line that also has a bad byte comes back as a byte (documented). */
    assert_str_is(ev2.attrs[0].v.s, "caf\xe9 A"); /* U+F741 -> 0x41 */
    dn__decoder_free(d2);
    /* Bytes that are not UTF-8 outside strings are still bad JSON. */
    const char bad[] = "{\"id\":\"e\"\xff}";
    assert_int_equal(dn__decode_json(d, bad, sizeof(bad) - 1, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "invalid_json");
    /* Escaped NUL is fine in JSON, as in msgpack. */
    const char *jn = "{\"id\":\"a\\u0000b\",\"ts\":1,\"type\":\"login\",\"src\":\"A\"}";
    assert_int_equal(dn__decode_json(d, jn, strlen(jn), &ev, &rej), 0);
    assert_int_equal(ev.id.len, 3);
    msgpack_sbuffer_destroy(&sb);
    dn__decoder_free(d);
}

/* msgpack-only shapes: integers beyond int64, float32, ext. */
static void msgpack_only_values(void **state)
{
    dn__decoder *d;
    dn_event ev;
    dn__reject rej;
    assert_int_equal(dn__decoder_new(&d), 0);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(mp_from_json(&sb, "{\"id\":\"e\",\"type\":\"login\",\"src\":\"A\"}"), 0);
    /* Patch the map header 0x83 -> 0x86 and add three entries. */
    sb.data[0] = (char)0x86;
    msgpack_pack_str_with_body(&pk, "ts", 2);
    msgpack_pack_uint64(&pk, 5);
    msgpack_pack_str_with_body(&pk, "big", 3);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    msgpack_pack_str_with_body(&pk, "x", 1);
    msgpack_pack_ext_with_body(&pk, "ab", 2, 7);
    assert_int_equal(dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej), 0);
    assert_int_equal(ev.attr_count, 2);
    assert_int_equal(ev.attrs[0].kind, DN_VAL_FLOAT);
    assert_int_equal(ev.attrs[1].kind, DN_VAL_COMPLEX);
    msgpack_sbuffer_clear(&sb);
    assert_int_equal(mp_from_json(&sb, "{\"id\":\"e\",\"type\":\"login\",\"src\":\"A\"}"), 0);
    sb.data[0] = (char)0x84;
    msgpack_pack_str_with_body(&pk, "ts", 2);
    msgpack_pack_uint64(&pk, UINT64_MAX);
    assert_int_equal(dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej), DN_EBADEVENT);
    assert_string_equal(rej.reason, "bad_type:ts");
    msgpack_sbuffer_destroy(&sb);
    dn__decoder_free(d);
}

/*
 * dn__decode_msgpack reads frames without msgpack-c and hands what it is unsure of to the tree
 * path: both must give the same result. Each case is the msgpack twin of {BASE} followed by extra
 * entries written raw (the map header is patched), with the reason expected (NULL: accepted).
 */
typedef struct raw_case {
    const char *extra; /* raw msgpack entries */
    size_t extra_len;
    unsigned extra_count;
    const char *trailer; /* raw bytes after the map */
    const char *reason;
} raw_case;

#define RAW(s, n) s, sizeof(s) - 1, n
static const raw_case raw_cases[] = {
    {RAW("\xc4\x02zz\x01", 1), "", NULL},                                   /* bin key */
    {RAW("\xa1n\x82\xa1q\x01\xc4\x01q\x02", 1), "", "duplicate_key:attrs"}, /* str = bin */
    {RAW("\xa1n\x82\x01\x01\x02\x02", 1), "", NULL},                        /* int keys, nested */
    {RAW("\xa1n\x82\x01\x01\x01\x02", 1), "", "duplicate_key:attrs"},
    {RAW("\x01\x01", 1), "", "bad_type:attrs"}, /* int key in the event map */
    {RAW("\xa1"
         "f\xca\x3f\x00\x00\x00\xa1g\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00",
         2),
     "", NULL},
    {RAW("\xa1x\xd4\x07\x01\xa1y\xc7\x02\x05"
         "ab",
         2),
     "", NULL}, /* ext */
    {RAW("\xa1"
         "b\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
         1),
     "", NULL}, /* above INT64_MAX */
    {RAW("\xa1"
         "e\xd9\x00\xa0\xa0",
         2),
     "", NULL}, /* empty str8, empty key */
    {RAW("\xa1n\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x90", 1), "", NULL},
    {RAW("\xa1n\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x90", 1), "",
     "invalid_msgpack"},
    {RAW("\xa8"
         "customer\x81\xa1n\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x90",
         1),
     "", NULL},
    {RAW("\xa8"
         "customer\x81\xa1n\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x90",
         1),
     "", "invalid_msgpack"},
    {RAW("\xa8"
         "customer\x82\xa1x\x01\xc4\x01x\x02",
         1),
     "", "duplicate_key:attrs"},
    {RAW("\xaa"
         "customer.x\x01\xa8"
         "customer\x81\xa1x\x02",
         2),
     "", "duplicate_key:attrs"},
    {RAW("\xa1z\x01", 1), "\x01", "invalid_msgpack"}, /* a byte after the map */
    {RAW("\xa1z\xc1", 1), "", "invalid_msgpack"},
    {RAW("\xa1z\xdd\x10\x00\x00\x00", 1), "", "invalid_msgpack"}, /* a count the frame lacks */
};

static void pull_and_tree_agree(void **state)
{
    dn__decoder *d, *t;
    assert_int_equal(dn__decoder_new(&d), 0);
    assert_int_equal(dn__decoder_new(&t), 0);
    for (size_t i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++) {
        const raw_case *c = &raw_cases[i];
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        assert_int_equal(mp_from_json(&sb, "{" BASE "}"), 0);
        assert_true((uint8_t)sb.data[0] == 0x87);
        sb.data[0] = (char)(0x87 + c->extra_count);
        msgpack_sbuffer_write(&sb, c->extra, c->extra_len);
        msgpack_sbuffer_write(&sb, c->trailer, strlen(c->trailer));
        dn_event ev, evt;
        dn__reject rej, rejt;
        int rc = dn__decode_msgpack(d, sb.data, sb.size, &ev, &rej);
        int rct = dn__decode_msgpack_tree(t, sb.data, sb.size, &evt, &rejt);
        assert_int_equal(rc, rct);
        if (c->reason) {
            assert_int_equal(rc, DN_EBADEVENT);
            assert_string_equal(rej.reason, c->reason);
            assert_string_equal(rej.detail, rejt.detail);
        } else {
            assert_int_equal(rc, 0);
            assert_events_equal(&ev, &evt);
        }
        msgpack_sbuffer_destroy(&sb);
    }
    dn__decoder_free(d);
    dn__decoder_free(t);
}

/*
 * One pass (dn__decode_msgpack_prefix, the reader's path): a frame read from a buffer that holds
 * the frames after it too gives the frame's length and the event the tree path gives, or gives
 * up; one decoder for all, in key orders that change from event to event (the pull path guesses
 * each key from the last event of the same type), with keys near the schema names.
 */
static void one_pass_any_key_order(void **state)
{
    static const char *const entries[] = {
        "\"id\":\"e-1\"",
        "\"ts\":1700000000000",
        "\"type\":\"login\"",
        "\"src\":\"A1\"",
        "\"amount\":-5",
        "\"amount\":70000",
        "\"currency\":\"EUR\"",
        "\"currency\":\"eur\"",
        "\"dst\":\"B2\"",
        "\"srd\":\"x\"",
        "\"src_countrx\":\"GB\"",
        "\"src_country\":\"GB\"",
        "\"mcc\":6051",
        "\"mcc\":\"6051\"",
        "\"ip\":\"1.2.3.4\"",
        "\"ip_country\":\"KH\"",
        "\"remote_access\":true",
        "\"remote_access\":1",
        "\"customer\":{\"birth_year\":1950,\"segment\":\"retail\",\"residence\":\"GB\"}",
        "\"customer\":{\"segment\":\"retail\",\"birth_yeaR\":1}",
        "\"type\":\"transfer\"",
        "\"type\":\"card\"",
        "\"ts\":-3",
        "\"ts\":9223372036854775807",
        "\"reference\":\"abcdefghijklmnopqrstuvwxyz0123456789\"",
        "\"purpose\":\"\"",
    };
    enum { N = sizeof(entries) / sizeof(entries[0]), FRAMES = 4 };
    dn__decoder *d, *t;
    assert_int_equal(dn__decoder_new(&d), 0);
    assert_int_equal(dn__decoder_new(&t), 0);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int accepted = 0;
    for (int round = 0; round < 3000; round++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        size_t start[FRAMES + 1];
        for (int fr = 0; fr < FRAMES; fr++) {
            char json[2048] = "{";
            int keys = 3 + (int)(x % 12);
            for (int k = 0; k < keys; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                /* Mostly id, ts, type and src first, as real feeds do. */
                unsigned e = k < 4 && x % 4 ? (unsigned)k : (unsigned)(x % N);
                char key[32];
                size_t kl = (size_t)(strchr(entries[e], ':') - entries[e]) + 1;
                memcpy(key, entries[e], kl);
                key[kl] = '\0';
                if (strstr(json, key)) /* jansson would refuse a duplicate key */
                    continue;
                if (json[1])
                    strcat(json, ",");
                strcat(json, entries[e]);
            }
            strcat(json, "}");
            start[fr] = sb.size;
            assert_int_equal(mp_from_json(&sb, json), 0);
        }
        start[FRAMES] = sb.size;
        for (int fr = 0; fr < FRAMES; fr++) {
            const char *p = sb.data + start[fr];
            size_t len = start[fr + 1] - start[fr], n = 0;
            dn_event ev, evt;
            dn__reject rejt;
            int rc = dn__decode_msgpack_prefix(d, p, sb.size - start[fr], &ev, &n);
            int rct = dn__decode_msgpack_tree(t, p, len, &evt, &rejt);
            if (rc == 0) {
                assert_int_equal(rct, 0);
                assert_int_equal(n, len);
                assert_events_equal(&ev, &evt);
                accepted++;
            } else {
                assert_int_equal(rc, DN_EAGAIN);
                /* What one pass gives up on, the frame cut to its length decides. */
                dn_event evm;
                dn__reject rejm;
                assert_int_equal(dn__decode_msgpack(d, p, len, &evm, &rejm), rct);
                if (rct == 0)
                    assert_events_equal(&evm, &evt);
                else
                    assert_string_equal(rejm.detail, rejt.detail);
            }
        }
        msgpack_sbuffer_destroy(&sb);
    }
    assert_true(accepted > 100);
    dn__decoder_free(d);
    dn__decoder_free(t);
}

/* The id hint read from a frame's first bytes, before decoding (replay prefetches with it). */
static void peek_id(void **state)
{
    const char *id;
    size_t n;
    static const uint8_t fix[] = {0x82, 0xa2, 'i', 'd', 0xa3, 'a', 'b', 'c', 0xa1, 'x', 0x01};
    assert_true(dn__mp_peek_id(fix, sizeof(fix), &id, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(id, "abc", 3);
    static const uint8_t m16[] = {0xde, 0, 1, 0xa2, 'i', 'd', 0xd9, 2, 'q', 'r'};
    assert_true(dn__mp_peek_id(m16, sizeof(m16), &id, &n));
    assert_int_equal(n, 2);
    assert_memory_equal(id, "qr", 2);
    static const uint8_t empty[] = {0x81, 0xa2, 'i', 'd', 0xa0};
    assert_true(dn__mp_peek_id(empty, sizeof(empty), &id, &n));
    assert_int_equal(n, 0);
    /* Cut short, id not first, not a str, not a map: no hint. */
    assert_false(dn__mp_peek_id(fix, 6, &id, &n));
    assert_false(dn__mp_peek_id(m16, sizeof(m16) - 1, &id, &n));
    static const uint8_t later[] = {0x82, 0xa1, 'x', 0x01, 0xa2, 'i', 'd', 0xa1, 'a'};
    assert_false(dn__mp_peek_id(later, sizeof(later), &id, &n));
    static const uint8_t num[] = {0x81, 0xa2, 'i', 'd', 0x05, 0x00};
    assert_false(dn__mp_peek_id(num, sizeof(num), &id, &n));
    static const uint8_t arr[] = {0x91, 0xa2, 'i', 'd', 0xa1, 'a'};
    assert_false(dn__mp_peek_id(arr, sizeof(arr), &id, &n));
    assert_false(dn__mp_peek_id(arr, 0, &id, &n));
}

/* A decoder is reused: a bad event between good ones leaves nothing behind. */
static void decoder_reuse(void **state)
{
    dn__decoder *d;
    dn_event ev;
    dn__reject rej;
    assert_int_equal(dn__decoder_new(&d), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(dn__decode_json(d, full_event, strlen(full_event), &ev, &rej), 0);
        assert_int_equal(ev.attr_count, 9);
        const char *bad = "{\"id\":\"x\",\"k\":1}";
        assert_int_equal(dn__decode_json(d, bad, strlen(bad), &ev, &rej), DN_EBADEVENT);
    }
    dn__decoder_free(d);
}

/* Both key lookups (the perfect hashes in fields.h) find every schema name, and nothing near one.
 */
static void field_lookup_every_name(void **state)
{
    (void)state;
    char buf[64];
    for (unsigned i = 0; i < DN__F_COUNT; i++) {
        dn__field f = (dn__field)i;
        const char *name = dn__fields_name(f);
        size_t n = strlen(name);
        bool cust = f >= DN__F_FIRST_CUSTOMER;
        memset(buf, 'x', sizeof(buf));
        memcpy(buf, name, n);
        assert_int_equal(dn__fields_lookup(buf, n, cust), f);
        assert_int_equal(dn__fields_lookup_at(buf, n, cust), f);
        assert_int_equal(dn__fields_lookup_at(buf, n, !cust), DN__F_ATTR);
        assert_int_equal(dn__fields_lookup_at(buf, n + 1, cust), DN__F_ATTR); /* name + "x" */
        assert_int_equal(dn__fields_lookup(buf, n - 1, cust) == f, false);
        assert_int_equal(dn__fields_lookup_at(buf, n - 1, cust) == f, false);
        buf[n] = '\0'; /* name + NUL: same first bytes once padded */
        assert_int_equal(dn__fields_lookup_at(buf, n + 1, cust), DN__F_ATTR);
        assert_int_equal(dn__fields_lookup(buf, n + 1, cust), DN__F_ATTR);
        buf[n - 1] ^= 0x20;
        assert_int_equal(dn__fields_lookup_at(buf, n, cust), DN__F_ATTR);
        assert_int_equal(dn__fields_lookup(buf, n, cust), DN__F_ATTR);
    }
}

/* dn__mp_frame_end gives what a fresh skipper fed the same bytes at once gives, on bytes that
 * are events, cut events and noise. */
static void frame_end_agrees_with_skipper(void **state)
{
    (void)state;
    uint8_t buf[512];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int round = 0; round < 200000; round++) {
        size_t len = (size_t)(round % 97);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly small headers and fixstr, so that objects end inside the buffer */
            uint8_t b = (uint8_t)x;
            buf[i] = (x >> 8) % 4 == 0   ? b
                     : (x >> 8) % 4 == 1 ? (uint8_t)(0xa0 | (b & 7))
                     : (x >> 8) % 4 == 2 ? (uint8_t)(0x80 | (b & 3))
                                         : (uint8_t)(b & 0x7f);
        }
        dn__mp_skipper sk;
        dn__mp_skipper_init(&sk);
        size_t u1 = 0, u2 = 0;
        int r1 = dn__mp_skipper_feed(&sk, buf, len, &u1);
        int r2 = dn__mp_frame_end(buf, len, &u2);
        assert_int_equal(r1, r2);
        if (r1 == DN__MP_DONE)
            assert_int_equal(u1, u2);
    }
}

/* An absent src_country / dst_country comes from the BIC, else from an IBAN that passes its
 * check; a country the event carries stays. The same in JSON and msgpack. */
static void countries_from_bic_and_iban(void **state)
{
    (void)state;
    static const struct {
        const char *json, *src_country, *dst_country;
    } cases[] = {
        {"{\"id\":\"e1\",\"ts\":1,\"type\":\"transfer\",\"amount\":1,\"currency\":\"EUR\","
         "\"src\":\"GB29NWBK60161331926819\",\"dst\":\"DE89370400440532013000\","
         "\"src_bank\":\"NWBKGB2L\",\"dst_bank\":\"KASITHBKXXX\"}",
         "GB", "TH"},
        {"{\"id\":\"e2\",\"ts\":1,\"type\":\"transfer\",\"amount\":1,\"currency\":\"EUR\","
         "\"src\":\"GB29 NWBK 6016 1331 9268 19\",\"dst\":\"DE89370400440532013001\"}",
         "GB", ""},
        {"{\"id\":\"e3\",\"ts\":1,\"type\":\"transfer\",\"amount\":1,\"currency\":\"EUR\","
         "\"src\":\"A\",\"dst\":\"DE89370400440532013000\",\"dst_country\":\"FR\","
         "\"src_bank\":\"cobadeff\",\"dst_bank\":\"COBADEFF\"}",
         "", "FR"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pair p;
        decode_both(&p, cases[i].json);
        assert_int_equal(p.cj, 0);
        assert_int_equal(p.cm, 0);
        assert_events_equal(&p.ej, &p.em);
        assert_string_equal(p.em.src_country, cases[i].src_country);
        assert_string_equal(p.em.dst_country, cases[i].dst_country);
        pair_free(&p);
    }
}

static dn_str str_of(const char *s)
{
    return (dn_str){s, (uint32_t)strlen(s)};
}

static void bic_and_iban_shapes(void **state)
{
    (void)state;
    char c[3];
    assert_true(dn__country_of_bic(str_of("COBADEFF"), c));
    assert_string_equal(c, "DE");
    assert_true(dn__country_of_bic(str_of("NWBKGB2L"), c));
    assert_string_equal(c, "GB");
    assert_true(dn__country_of_bic(str_of("KASITHBK0A1"), c));
    assert_string_equal(c, "TH");
    assert_false(dn__country_of_bic(str_of("COBADEFFX"), c)); /* 9 characters */
    assert_false(dn__country_of_bic(str_of("COBADEF"), c));   /* 7 */
    assert_false(dn__country_of_bic(str_of("COB4DEFF"), c));  /* a digit in the bank code */
    assert_false(dn__country_of_bic(str_of("COBAD3FF"), c));  /* a digit in the country */
    assert_false(dn__country_of_bic(str_of("COBADEF-"), c));
    assert_false(dn__country_of_bic((dn_str){NULL, 0}, c));
    assert_true(dn__country_of_iban(str_of("DE89370400440532013000"), c));
    assert_string_equal(c, "DE");
    assert_true(dn__country_of_iban(str_of("NO9386011117947"), c)); /* the shortest, 15 */
    assert_string_equal(c, "NO");
    assert_true(dn__country_of_iban(str_of("LC55HEMM000100010012001200023015"), c));
    assert_string_equal(c, "LC");
    assert_false(dn__country_of_iban(str_of("DE89370400440532013001"), c)); /* check fails */
    assert_false(dn__country_of_iban(str_of("de89370400440532013000"), c)); /* lower case */
    assert_false(dn__country_of_iban(str_of("DE8937040044053201300"), c));  /* a digit short */
    assert_false(dn__country_of_iban(str_of("DE89-370400440532013000"), c));
    assert_false(dn__country_of_iban(str_of("TH207377294270"), c)); /* not an IBAN */
    assert_false(dn__country_of_iban(str_of("DE890370400440532013000000000000000"), c)); /* 35 */
    assert_false(dn__country_of_iban(str_of("NO938601111794"), c));                      /* 14 */
    assert_false(dn__country_of_iban((dn_str){NULL, 0}, c));
}

int main(void)
{
    enum { N_REASONS = sizeof(reason_cases) / sizeof(reason_cases[0]) };
    struct CMUnitTest tests[N_REASONS + 20];
    char names[N_REASONS][96];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(full_event_same_in_both_formats);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(event_survives_until_next_decode);
    for (size_t i = 0; i < N_REASONS; i++) {
        snprintf(names[i], sizeof(names[i]), "reason %s #%zu", reason_cases[i].reason, i);
        tests[n++] =
            (struct CMUnitTest){names[i], reason_case_test, NULL, NULL, (void *)&reason_cases[i]};
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(limits_are_inclusive);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(attrs_up_to_the_cap);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(duplicate_keys);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(invalid_bytes);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(deep_nesting);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(depth_limit_edges);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(non_utf8_strings);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(msgpack_only_values);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(decoder_reuse);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(peek_id);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(pull_and_tree_agree);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(one_pass_any_key_order);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(field_lookup_every_name);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(frame_end_agrees_with_skipper);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(countries_from_bic_and_iban);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(bic_and_iban_shapes);
    return _cmocka_run_group_tests("decode", tests, n, NULL, NULL);
}
