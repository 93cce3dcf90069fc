/*
 * test_dedupe.c - the duplicate-id window (engine/ingest/dedupe.c): the horizon's edges in event
 * time (both directions), expiry, refresh, the hard cap with its drop counter, and the by-hash
 * calls the replay loop uses to prefetch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"

#include <stdio.h>
#include <string.h>

#define ID(s) s, strlen(s)

static void horizon_edges(void **state)
{
    dn__dedupe *d;
    assert_int_equal(dn__dedupe_new(1000, 16, 42, &d), 0);
    assert_false(dn__dedupe_contains(d, ID("a"), 5000));
    dn__dedupe_insert(d, ID("a"), 5000);
    assert_true(dn__dedupe_contains(d, ID("a"), 5000));
    assert_true(dn__dedupe_contains(d, ID("a"), 5999));  /* 999 ms later: inside */
    assert_true(dn__dedupe_contains(d, ID("a"), 4001));  /* earlier, out of order: inside */
    assert_false(dn__dedupe_contains(d, ID("a"), 6000)); /* exactly the horizon: outside */
    assert_false(dn__dedupe_contains(d, ID("b"), 6000));
    dn__dedupe_free(d);
}

static void expiry_by_event_time(void **state)
{
    dn__dedupe *d;
    dn__dedupe_stats st;
    assert_int_equal(dn__dedupe_new(1000, 16, 42, &d), 0);
    dn__dedupe_insert(d, ID("a"), 0);
    dn__dedupe_insert(d, ID("b"), 500);
    dn__dedupe_stats_get(d, &st);
    assert_int_equal(st.entries, 2);
    /* Time moves to 1200: "a" leaves, "b" stays. */
    assert_false(dn__dedupe_contains(d, ID("c"), 1200));
    dn__dedupe_stats_get(d, &st);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.expired, 1);
    /* An old straggler with a's id is no longer a duplicate; b still is. */
    assert_false(dn__dedupe_contains(d, ID("a"), 100));
    assert_true(dn__dedupe_contains(d, ID("b"), 1200));
    /* Re-sighting outside the horizon refreshes. */
    dn__dedupe_insert(d, ID("b"), 1600);
    assert_true(dn__dedupe_contains(d, ID("b"), 2500));
    dn__dedupe_stats_get(d, &st);
    assert_int_equal(st.dropped, 0);
    dn__dedupe_free(d);
}

static void cap_drops_oldest(void **state)
{
    dn__dedupe *d;
    dn__dedupe_stats st;
    char id[32];
    assert_int_equal(dn__dedupe_new(1000000, 100, 7, &d), 0);
    for (int i = 0; i < 250; i++) {
        snprintf(id, sizeof(id), "id-%d", i);
        dn__dedupe_insert(d, ID(id), i);
    }
    dn__dedupe_stats_get(d, &st);
    assert_int_equal(st.entries, 100);
    assert_int_equal(st.dropped, 150);
    assert_int_equal(st.expired, 0);
    /* The newest 100 are still known, the oldest are forgotten. */
    for (int i = 0; i < 250; i++) {
        snprintf(id, sizeof(id), "id-%d", i);
        assert_int_equal(dn__dedupe_contains(d, ID(id), 250), i >= 150);
    }
    dn__dedupe_free(d);
}

/* Many inserts and expiries through a small table: deletion keeps every live id findable. */
static void churn(void **state)
{
    dn__dedupe *d;
    char id[32];
    assert_int_equal(dn__dedupe_new(50, 64, 9, &d), 0);
    for (int i = 0; i < 20000; i++) {
        snprintf(id, sizeof(id), "e%d", i);
        assert_false(dn__dedupe_contains(d, ID(id), i));
        dn__dedupe_insert(d, ID(id), i);
        if (i >= 40) {
            snprintf(id, sizeof(id), "e%d", i - 40);
            assert_true(dn__dedupe_contains(d, ID(id), i));
        }
    }
    dn__dedupe_free(d);
}

/* The by-hash calls are the by-id calls split in two: the same answers, prefetch or not. */
static void by_hash_same_as_by_id(void **state)
{
    dn__dedupe *a, *b;
    char id[32];
    assert_int_equal(dn__dedupe_new(50, 64, 9, &a), 0);
    assert_int_equal(dn__dedupe_new(50, 64, 9, &b), 0);
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof(id), "e%d", (i * 7919) % 300);
        uint64_t h = dn__dedupe_hash(b, ID(id));
        dn__dedupe_prefetch(b, h);
        bool seen = dn__dedupe_contains(a, ID(id), i / 3);
        assert_int_equal(dn__dedupe_contains_hash(b, h, i / 3), seen);
        if (!seen) {
            dn__dedupe_insert(a, ID(id), i / 3);
            dn__dedupe_insert_hash(b, h, i / 3);
        }
    }
    dn__dedupe_stats sa, sb;
    dn__dedupe_stats_get(a, &sa);
    dn__dedupe_stats_get(b, &sb);
    assert_memory_equal(&sa, &sb, sizeof(sa));
    dn__dedupe_free(a);
    dn__dedupe_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(horizon_edges),         cmocka_unit_test(expiry_by_event_time),
        cmocka_unit_test(cap_drops_oldest),      cmocka_unit_test(churn),
        cmocka_unit_test(by_hash_same_as_by_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
