/*
 * test_encode.c - the wire format out (engine/encode): a dn_event encoded as msgpack and as
 * JSON decodes (msgpack-c unpack, jansson) to the same key/value set, absent fields are left
 * out of both, and every present field, customer and attributes included, is carried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "encode/encode.h"

#include <jansson.h>
#include <msgpack.h>
#include <string.h>

/* A msgpack object as a jansson value, so both formats compare with json_equal(). */
static json_t *mp_to_json(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return json_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return json_boolean(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return json_integer((json_int_t)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return json_integer((json_int_t)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return json_real(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return json_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_MAP: {
        json_t *m = json_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            char key[128];
            snprintf(key, sizeof(key), "%.*s", (int)kv->key.via.str.size, kv->key.via.str.ptr);
            json_object_set_new(m, key, mp_to_json(&kv->val));
        }
        return m;
    }
    default:
        return NULL;
    }
}

static dn_str S(const char *s)
{
    return (dn_str){s, (uint32_t)strlen(s)};
}

static void full_event(dn_event *ev, dn_attr *attrs)
{
    dn_event_init(ev);
    ev->id = S("e0000000042");
    ev->ts_ms = 1767571413453;
    ev->type = DN_EV_TRANSFER;
    ev->has_amount = true;
    ev->amount_minor = 123456;
    memcpy(ev->currency, "EUR", 4);
    ev->src = S("DE89370400440532013000");
    ev->dst = S("KH12000012345678");
    ev->src_name = S("Jürgen \"Jo\" Müller");
    ev->dst_name = S("Golden\tTrading\nLtd");
    memcpy(ev->src_country, "DE", 3);
    memcpy(ev->dst_country, "KH", 3);
    ev->src_bank = S("DRGNDEFFXXX");
    ev->dst_bank = S("ABAAKHPPXXX");
    ev->reference = S("USDT withdrawal fee \\ release");
    ev->purpose = S("OTHR");
    ev->channel = S("swift");
    ev->has_mcc = true;
    ev->mcc = 4829;
    ev->device = S("dv-0011223344556677");
    ev->ip = S("36.1.2.3");
    memcpy(ev->ip_country, "KH", 3);
    ev->remote_access = 1;
    ev->customer.is_present = true;
    ev->customer.has_birth_year = true;
    ev->customer.birth_year = 1958;
    ev->customer.has_opened = true;
    ev->customer.opened_ms = 863874000000;
    ev->customer.segment = S("senior");
    memcpy(ev->customer.residence, "DE", 3);
    attrs[0] = (dn_attr){.key = S("risk_note"), .kind = DN_VAL_STR, .v.s = S("ok")};
    attrs[1] = (dn_attr){.key = S("hops"), .kind = DN_VAL_INT, .v.i = -7};
    attrs[2] = (dn_attr){.key = S("vip"), .kind = DN_VAL_BOOL, .v.b = false};
    attrs[3] = (dn_attr){.key = S("score"), .kind = DN_VAL_FLOAT, .v.f = 0.125};
    attrs[4] = (dn_attr){.key = S("nothing"), .kind = DN_VAL_NIL};
    ev->attrs = attrs;
    ev->attr_count = 5;
}

static json_t *decode_msgpack(const dn__buf *b)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&u, b->data, b->len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, b->len); /* exactly one object */
    json_t *j = mp_to_json(&u.data);
    msgpack_unpacked_destroy(&u);
    assert_non_null(j);
    return j;
}

static void both_formats_agree(const dn_event *ev, json_t **out_json)
{
    dn__buf mp, js;
    dn__buf_init(&mp);
    dn__buf_init(&js);
    assert_int_equal(dn__encode_msgpack(ev, &mp), 0);
    assert_int_equal(dn__encode_json(ev, &js), 0);
    assert_null(memchr(js.data, '\n', js.len)); /* one line */
    json_error_t err;
    json_t *a = decode_msgpack(&mp);
    json_t *b = json_loadb(js.data, js.len, 0, &err);
    assert_non_null(b);
    assert_true(json_equal(a, b));
    json_decref(a);
    *out_json = b;
    dn__buf_free(&mp);
    dn__buf_free(&js);
}

static void test_full_event_same_in_both(void **state)
{
    (void)state;
    dn_event ev;
    dn_attr attrs[5];
    full_event(&ev, attrs);
    json_t *j;
    both_formats_agree(&ev, &j);
    assert_int_equal(json_object_size(j), 22 + 5);
    assert_string_equal(json_string_value(json_object_get(j, "src_name")), "Jürgen \"Jo\" Müller");
    assert_string_equal(json_string_value(json_object_get(j, "dst_name")), "Golden\tTrading\nLtd");
    assert_int_equal(json_integer_value(json_object_get(j, "amount")), 123456);
    assert_int_equal(json_integer_value(json_object_get(j, "ts")), 1767571413453);
    assert_true(json_is_true(json_object_get(j, "remote_access")));
    json_t *c = json_object_get(j, "customer");
    assert_int_equal(json_object_size(c), 4);
    assert_int_equal(json_integer_value(json_object_get(c, "birth_year")), 1958);
    assert_int_equal(json_integer_value(json_object_get(c, "opened")), 863874000000);
    assert_string_equal(json_string_value(json_object_get(c, "residence")), "DE");
    assert_int_equal(json_integer_value(json_object_get(j, "hops")), -7);
    assert_true(json_is_false(json_object_get(j, "vip")));
    assert_true(json_real_value(json_object_get(j, "score")) == 0.125);
    assert_true(json_is_null(json_object_get(j, "nothing")));
    json_decref(j);
}

static void test_absent_fields_left_out(void **state)
{
    (void)state;
    dn_event ev;
    dn_event_init(&ev);
    ev.id = S("e1");
    ev.ts_ms = 5;
    ev.type = DN_EV_LOGIN;
    ev.src = S("A000123");
    ev.remote_access = 0;
    json_t *j;
    both_formats_agree(&ev, &j);
    assert_int_equal(json_object_size(j), 5);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "login");
    assert_true(json_is_false(json_object_get(j, "remote_access")));
    assert_null(json_object_get(j, "amount"));
    assert_null(json_object_get(j, "customer"));
    assert_null(json_object_get(j, "currency"));
    json_decref(j);
}

static void test_empty_string_kept_and_customer_partial(void **state)
{
    (void)state;
    dn_event ev;
    dn_event_init(&ev);
    ev.id = S("e2");
    ev.ts_ms = 0;
    ev.type = DN_EV_CASH_DEPOSIT;
    ev.has_amount = true;
    ev.amount_minor = 0;
    memcpy(ev.currency, "GBP", 4);
    ev.dst = S("GB33BUKB20201555555555");
    ev.reference = (dn_str){"", 0};
    ev.customer.is_present = true;
    ev.customer.segment = S("smb");
    json_t *j;
    both_formats_agree(&ev, &j);
    assert_string_equal(json_string_value(json_object_get(j, "reference")), "");
    assert_int_equal(json_object_size(json_object_get(j, "customer")), 1);
    json_decref(j);
}

static void test_stream_of_maps(void **state)
{
    (void)state;
    dn_event ev;
    dn_attr attrs[5];
    full_event(&ev, attrs);
    dn__buf mp;
    dn__buf_init(&mp);
    for (int i = 0; i < 3; i++)
        assert_int_equal(dn__encode_msgpack(&ev, &mp), 0);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int n = 0;
    while (msgpack_unpack_next(&u, mp.data, mp.len, &off) == MSGPACK_UNPACK_SUCCESS) {
        assert_int_equal(u.data.type, MSGPACK_OBJECT_MAP);
        n++;
    }
    assert_int_equal(n, 3);
    assert_int_equal(off, mp.len);
    msgpack_unpacked_destroy(&u);
    dn__buf_free(&mp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_event_same_in_both),
        cmocka_unit_test(test_absent_fields_left_out),
        cmocka_unit_test(test_empty_string_kept_and_customer_partial),
        cmocka_unit_test(test_stream_of_maps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
