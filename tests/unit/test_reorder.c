/*
 * test_reorder.c - the reorder buffer of engine/score on its own: hold, release in (ts, arrival)
 * order (ties across events that arrived in order and out of it), what peek foretells, late
 * events, lateness 0 without copies, drain, determinism, and the copies themselves
 * (every field, every string length, events too big for a pool block).
 */
#include "score/score.h"

#include "dragnet/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static dn_event mk(int64_t ts, const char *id)
{
    dn_event ev;
    dn_event_init(&ev);
    ev.ts_ms = ts;
    ev.id = (dn_str){id, (uint32_t)strlen(id)};
    return ev;
}

/* Pushes ev and appends the ids scored (now, late, or released) to out, space separated. */
static void offer(dn__reorder *r, int64_t ts, const char *id, char *out)
{
    dn_event ev = mk(ts, id);
    dn__reorder_verdict v;
    assert_int_equal(dn__reorder_push(r, &ev, ts * 10, NULL, &v), 0);
    if (v == DN__REORDER_LATE) {
        strcat(out, "!");
        strcat(out, id);
        strcat(out, " ");
    } else if (v == DN__REORDER_NOW) {
        strcat(out, id);
        strcat(out, " ");
    }
    dn__reorder_item it;
    while (dn__reorder_pop(r, false, &it)) {
        assert_int_equal(it.amount_base_minor, it.ev->ts_ms * 10);
        strncat(out, it.ev->id.ptr, it.ev->id.len);
        strcat(out, " ");
        dn__reorder_done(r, it.ev);
    }
}

static void drain(dn__reorder *r, char *out)
{
    dn__reorder_item it;
    while (dn__reorder_pop(r, true, &it)) {
        strncat(out, it.ev->id.ptr, it.ev->id.len);
        strcat(out, " ");
        dn__reorder_done(r, it.ev);
    }
}

static void test_reorders_within_lateness(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(100, &r), 0);
    char out[256] = "";
    offer(r, 1000, "a", out);
    offer(r, 1050, "b", out);
    offer(r, 1020, "c", out); /* within lateness of b: reordered before b */
    assert_string_equal(out, "");
    assert_int_equal(dn__reorder_held(r), 3);
    offer(r, 1120, "d", out); /* watermark 1020: a and c are due */
    assert_string_equal(out, "a c ");
    offer(r, 1000, "late", out); /* older than the watermark 1020: at once, late */
    assert_string_equal(out, "a c !late ");
    offer(r, 1020, "e", out); /* exactly at the watermark: held, due at once */
    assert_string_equal(out, "a c !late e ");
    offer(r, 1150, "f", out); /* watermark 1050: b */
    offer(r, 1150, "g", out); /* same ts as f: after f */
    drain(r, out);
    assert_string_equal(out, "a c !late e b d f g ");
    assert_int_equal(dn__reorder_held(r), 0);
    assert_int_equal(dn__reorder_watermark(r), 1050);
    dn__reorder_free(r);
}

static void test_lateness_zero_never_holds(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(0, &r), 0);
    char out[256] = "";
    dn_event ev = mk(5, "x");
    dn__reorder_verdict v;
    assert_int_equal(dn__reorder_push(r, &ev, 0, NULL, &v), 0);
    assert_int_equal(v, DN__REORDER_NOW);
    offer(r, 5, "y", out);
    offer(r, 7, "z", out);
    offer(r, 6, "w", out);
    assert_string_equal(out, "y z !w ");
    assert_int_equal(dn__reorder_held(r), 0);
    dn__reorder_free(r);
}

/* Many events shuffled within the lateness come out sorted by (ts, arrival); determinism. */
static void test_shuffled_stream(void **state)
{
    (void)state;
    uint64_t x = 42;
    for (int run = 0; run < 2; run++) {
        dn__reorder *r = NULL;
        assert_int_equal(dn__reorder_new(1000, &r), 0);
        int64_t last = INT64_MIN;
        uint64_t scored = 0;
        x = 42;
        static char ids[5000][12];
        for (int i = 0; i < 5000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int64_t ts = (int64_t)i * 10 + (int64_t)(x % 900); /* at most 900 ms out of order */
            snprintf(ids[i], sizeof(ids[i]), "%d", i);
            dn_event ev = mk(ts, ids[i]);
            dn__reorder_verdict v;
            assert_int_equal(dn__reorder_push(r, &ev, 0, NULL, &v), 0);
            assert_int_not_equal(v, DN__REORDER_LATE);
            if (v == DN__REORDER_NOW) {
                assert_true(ts >= last);
                last = ts;
                scored++;
            }
            dn__reorder_item it;
            while (dn__reorder_pop(r, false, &it)) {
                assert_true(it.ev->ts_ms >= last);
                last = it.ev->ts_ms;
                scored++;
                dn__reorder_done(r, it.ev);
            }
        }
        dn__reorder_item it;
        while (dn__reorder_pop(r, true, &it)) {
            assert_true(it.ev->ts_ms >= last);
            last = it.ev->ts_ms;
            scored++;
            dn__reorder_done(r, it.ev);
        }
        assert_int_equal(scored, 5000);
        dn__reorder_free(r);
    }
}

static void test_free_with_held(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(-1, &r), DN_EINVAL);
    assert_int_equal(dn__reorder_new(1000, &r), 0);
    char out[64] = "";
    offer(r, 10, "a", out);
    offer(r, 20, "b", out);
    dn__reorder_free(r); /* held copies are freed (ASan checks) */
    dn__reorder_free(NULL);
}

static void assert_str_same(dn_str a, dn_str b)
{
    assert_int_equal(a.ptr == NULL, b.ptr == NULL);
    assert_int_equal(a.len, b.len);
    if (a.ptr) {
        assert_memory_equal(a.ptr, b.ptr, a.len);
        assert_int_equal(a.ptr[a.len], '\0');
    }
}

/* The copy is equal to the original field by field, its strings live in its own block. */
static void assert_copy_same(const dn_event *c, const dn_event *ev)
{
    assert_int_equal(c->ts_ms, ev->ts_ms);
    assert_int_equal(c->type, ev->type);
    assert_int_equal(c->amount_minor, ev->amount_minor);
    assert_string_equal(c->currency, ev->currency);
    assert_int_equal(c->remote_access, ev->remote_access);
    assert_int_equal(c->customer.birth_year, ev->customer.birth_year);
    const dn_str *cs[] = {&c->id,
                          &c->src,
                          &c->dst,
                          &c->src_name,
                          &c->dst_name,
                          &c->src_bank,
                          &c->dst_bank,
                          &c->reference,
                          &c->purpose,
                          &c->channel,
                          &c->device,
                          &c->ip,
                          &c->customer.segment};
    const dn_str *es[] = {&ev->id,
                          &ev->src,
                          &ev->dst,
                          &ev->src_name,
                          &ev->dst_name,
                          &ev->src_bank,
                          &ev->dst_bank,
                          &ev->reference,
                          &ev->purpose,
                          &ev->channel,
                          &ev->device,
                          &ev->ip,
                          &ev->customer.segment};
    for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
        assert_str_same(*cs[i], *es[i]);
        assert_true(cs[i]->ptr == NULL || cs[i]->ptr != es[i]->ptr);
    }
    assert_int_equal(c->attr_count, ev->attr_count);
    assert_int_equal(c->attrs == NULL, ev->attr_count == 0);
    for (uint32_t i = 0; i < ev->attr_count; i++) {
        assert_str_same(c->attrs[i].key, ev->attrs[i].key);
        assert_int_equal(c->attrs[i].kind, ev->attrs[i].kind);
        if (ev->attrs[i].kind == DN_VAL_STR)
            assert_str_same(c->attrs[i].v.s, ev->attrs[i].v.s);
        else
            assert_int_equal(c->attrs[i].v.i, ev->attrs[i].v.i);
    }
}

/* Pushes ev into a buffer that holds it, pops it and checks the copy. */
static void round_trip(dn__reorder *r, const dn_event *ev)
{
    dn__reorder_verdict v;
    assert_int_equal(dn__reorder_push(r, ev, 0, NULL, &v), 0);
    assert_int_equal(v, DN__REORDER_HELD);
    dn__reorder_item it;
    assert_true(dn__reorder_pop(r, true, &it));
    assert_copy_same(it.ev, ev);
    dn__reorder_done(r, it.ev);
    assert_false(dn__reorder_pop(r, true, &it));
}

/* Every string length the copy treats apart (0, 1-3, 4-7, 8-16, 17-32, longer), in every field,
 * with absent and present-empty strings and attributes of each kind. */
static void test_copies_every_field(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(1000, &r), 0);
    static char text[DN_TEXT_MAX_LEN];
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (char)('a' + i % 26 + (i / 26) % 2 * ('A' - 'a'));
    for (uint32_t n = 0; n <= 70; n++) {
        dn_event ev = mk(100, "id");
        ev.amount_minor = n;
        strcpy(ev.currency, "EUR");
        dn_str s = {text + n % 7, n};
        ev.id = ev.src = ev.dst = ev.src_name = s;
        ev.dst_name = (dn_str){text, n / 2};
        ev.reference = ev.purpose = ev.channel = s;
        ev.device = n % 3 ? s : (dn_str){NULL, 0}; /* absent */
        ev.ip = (dn_str){text + 1, 0};             /* present, empty */
        ev.customer.segment = s;
        dn_attr attrs[3] = {{s, DN_VAL_STR, {.s = {text + 3, n}}},
                            {{text, n % 9}, DN_VAL_INT, {.i = -(int64_t)n}},
                            {{text + 5, 3}, DN_VAL_STR, {.s = {text, 0}}}};
        ev.attrs = attrs;
        ev.attr_count = n % 4;
        round_trip(r, &ev);
    }
    dn__reorder_free(r);
}

/* An event bigger than a pool block is copied on its own, in between pooled ones. */
static void test_big_event(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(1000, &r), 0);
    static char text[DN_TEXT_MAX_LEN];
    memset(text, 'x', sizeof(text));
    dn_attr attrs[DN_ATTR_MAX_COUNT];
    for (int i = 0; i < DN_ATTR_MAX_COUNT; i++)
        attrs[i] = (dn_attr){{text, 1 + i % 10}, DN_VAL_STR, {.s = {text, DN_TEXT_MAX_LEN}}};
    dn_event big = mk(10, "big");
    big.reference = (dn_str){text, DN_REFERENCE_MAX_LEN};
    big.attrs = attrs;
    big.attr_count = DN_ATTR_MAX_COUNT;
    assert_true(dn_event_clone_size(&big) > 16 * 1024);
    dn_event small = mk(10, "small");
    round_trip(r, &small);
    round_trip(r, &big);
    round_trip(r, &small);
    round_trip(r, &big);
    dn_event big2 = big;
    big2.ts_ms = 30;
    dn__reorder_verdict v;
    assert_int_equal(dn__reorder_push(r, &big2, 0, NULL, &v), 0);
    assert_int_equal(v, DN__REORDER_HELD);
    dn__reorder_free(r); /* a held big copy is freed too (ASan checks) */
}

/* Ties of ts between events that arrived in order and events that did not go out in arrival
 * order; peek(0) is always the event pop hands out next. */
static void test_ties_across_run_and_heap(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(1000, &r), 0);
    char out[256] = "";
    offer(r, 100, "a", out);
    offer(r, 200, "b", out);
    offer(r, 100, "c", out); /* older than b: out of order */
    offer(r, 100, "d", out);
    offer(r, 200, "e", out); /* in order again */
    offer(r, 150, "f", out);
    assert_string_equal(out, "");
    const char *want = "acdfbe";
    for (int i = 0; i < 6; i++) {
        const dn__reorder_item *next = dn__reorder_peek(r, 0);
        assert_non_null(next);
        const dn_event *next_ev = next->ev;
        dn__reorder_item it;
        assert_true(dn__reorder_pop(r, true, &it));
        assert_ptr_equal(next_ev, it.ev);
        assert_int_equal(it.ev->id.len, 1);
        assert_int_equal(it.ev->id.ptr[0], want[i]);
        dn__reorder_done(r, it.ev);
    }
    assert_null(dn__reorder_peek(r, 0));
    dn__reorder_free(r);
}

/* Pushes a stream of n events with many equal times, one in `disorder` of them (0: none) up to
 * 40 ms back, popping what is due after each push: everything released is in strictly
 * increasing (ts, arrival) order, peek(0) is the next pop, and without disorder peek(i) is the
 * i-th (the ring wraps, and grows with a lateness that holds everything). */
static void release_order_and_peek(int n, uint64_t disorder, int64_t lateness)
{
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(lateness, &r), 0);
    static char ids[20000][8];
    uint64_t x = 7;
    int64_t last_ts = INT64_MIN;
    long last_seq = -1;
    int scored = 0;
    for (int i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t back = disorder && x % disorder == 0 ? (int64_t)(x >> 8) % 40 : 0;
        int64_t ts = (int64_t)(i / 2) * 10 - back; /* steps of 0 or 10 ms: ties */
        snprintf(ids[i], sizeof(ids[i]), "%d", i);
        dn_event ev = mk(ts, ids[i]);
        dn__reorder_verdict v;
        assert_int_equal(dn__reorder_push(r, &ev, 0, NULL, &v), 0);
        if (v != DN__REORDER_HELD)
            continue; /* late or at once: outside the buffer's order */
        const dn_event *ahead[4] = {NULL};
        uint64_t held = dn__reorder_held(r);
        for (uint64_t k = 0; k < 4 && k < held; k++)
            ahead[k] = dn__reorder_peek(r, k)->ev;
        dn__reorder_item it;
        for (uint64_t k = 0; dn__reorder_pop(r, i == n - 1, &it); k++) {
            long seq = strtol(it.ev->id.ptr, NULL, 10);
            assert_true(it.ev->ts_ms > last_ts || (it.ev->ts_ms == last_ts && seq > last_seq));
            last_ts = it.ev->ts_ms;
            last_seq = seq;
            if (k == 0 || (!disorder && k < 4 && k < held))
                assert_ptr_equal(ahead[k], it.ev);
            scored++;
            dn__reorder_done(r, it.ev);
        }
    }
    assert_true(scored > n * 3 / 4);
    assert_int_equal(dn__reorder_held(r), 0);
    dn__reorder_free(r);
}

static void test_release_order_and_peek(void **state)
{
    (void)state;
    release_order_and_peek(20000, 0, 50);
    release_order_and_peek(20000, 8, 50);
    release_order_and_peek(2000, 2, 50);
    release_order_and_peek(5000, 0, 1000000); /* all held until the end: the ring grows */
    release_order_and_peek(5000, 3, 1000000);
}

/* More events held at once than a slab has blocks: the pool grows, and every copy survives. */
static void test_pool_grows(void **state)
{
    (void)state;
    dn__reorder *r = NULL;
    assert_int_equal(dn__reorder_new(1000000, &r), 0);
    static char ids[300][8];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 300; i++) {
            snprintf(ids[i], sizeof(ids[i]), "e%d", i);
            dn_event ev = mk(1000 - i, ids[i]); /* newest first: all held */
            dn__reorder_verdict v;
            assert_int_equal(dn__reorder_push(r, &ev, 0, NULL, &v), 0);
            assert_int_equal(v, DN__REORDER_HELD);
        }
        assert_int_equal(dn__reorder_held(r), 300);
        dn__reorder_item it;
        for (int i = 299; i >= 0; i--) {
            assert_true(dn__reorder_pop(r, true, &it));
            assert_int_equal(it.ev->ts_ms, 1000 - i);
            assert_int_equal(it.ev->id.len, strlen(ids[i]));
            assert_memory_equal(it.ev->id.ptr, ids[i], it.ev->id.len);
            dn__reorder_done(r, it.ev);
        }
    }
    dn__reorder_done(r, NULL);
    dn__reorder_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reorders_within_lateness),
        cmocka_unit_test(test_lateness_zero_never_holds),
        cmocka_unit_test(test_shuffled_stream),
        cmocka_unit_test(test_ties_across_run_and_heap),
        cmocka_unit_test(test_release_order_and_peek),
        cmocka_unit_test(test_free_with_held),
        cmocka_unit_test(test_copies_every_field),
        cmocka_unit_test(test_big_event),
        cmocka_unit_test(test_pool_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
