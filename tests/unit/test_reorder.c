/*
 * test_reorder.c - the reorder buffer of engine/score on its own: hold, release in (ts, arrival)
 * order, late events, lateness 0 without copies, drain, and determinism.
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
        dn_event_free(it.ev);
    }
}

static void drain(dn__reorder *r, char *out)
{
    dn__reorder_item it;
    while (dn__reorder_pop(r, true, &it)) {
        strncat(out, it.ev->id.ptr, it.ev->id.len);
        strcat(out, " ");
        dn_event_free(it.ev);
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
                dn_event_free(it.ev);
            }
        }
        dn__reorder_item it;
        while (dn__reorder_pop(r, true, &it)) {
            assert_true(it.ev->ts_ms >= last);
            last = it.ev->ts_ms;
            scored++;
            dn_event_free(it.ev);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reorders_within_lateness),
        cmocka_unit_test(test_lateness_zero_never_holds),
        cmocka_unit_test(test_shuffled_stream),
        cmocka_unit_test(test_free_with_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
