/*
 * test_dedupe.c - the duplicate-id window (engine/ingest/dedupe.c): the horizon's edges in event
 * time (both directions), expiry, refresh, and the hard cap with its drop counter.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(horizon_edges),
        cmocka_unit_test(expiry_by_event_time),
        cmocka_unit_test(cap_drops_oldest),
        cmocka_unit_test(churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
