/*
 * test_state_alloc.c - a steady entity costs no allocation per event.
 *
 * malloc, calloc and realloc are interposed (glibc's __libc_* underneath) to count calls. An
 * entity whose facts, ids, counterparties and hits have reached their steady size (old ones
 * leave as new ones come) must observe, answer every kind of query and record hits without
 * allocating. Under AddressSanitizer (which owns malloc) the count is skipped.
 */
#include "state/state.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#else
#define COUNTING 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long alloc_calls;
void *malloc(size_t n)
{
    alloc_calls++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    alloc_calls++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    alloc_calls++;
    return __libc_realloc(p, n);
}
#endif

#define HOUR_MS 3600000LL

static void test_steady_entity_allocates_nothing(void **state)
{
    (void)state;
    static const dn__agg_spec aggs[] = {
        {DN__AGG_COUNT, DN__DIR_IN, 0, 24 * HOUR_MS, -1},
        {DN__AGG_SUM, DN__DIR_OUT, 0, 6 * HOUR_MS, 0},
        {DN__AGG_AVG, DN__DIR_ANY, 0, 24 * HOUR_MS, -1},
        {DN__AGG_MAX, DN__DIR_ANY, 0, 24 * HOUR_MS, -1},
        {DN__AGG_DISTINCT, DN__DIR_ANY, DN__FIELD_DEVICE, 24 * HOUR_MS, -1},
        {DN__AGG_PAIR_SUM, DN__DIR_ANY, 0, 24 * HOUR_MS, -1},
    };
    dn__state_plan plans[DN__ENT_KIND_COUNT];
    for (int k = 0; k < DN__ENT_KIND_COUNT; k++)
        plans[k] = (dn__state_plan){aggs, 6, 1, 24 * HOUR_MS, 48 * HOUR_MS, 4, 1};
    dn_state_config cfg;
    dn_state_config_default(&cfg);
    dn__state *st = NULL;
    assert_int_equal(dn__state_new(&cfg, plans, &st), 0);
    unsigned long before = 0;
    for (int i = 0; i < 3000; i++) {
        if (i == 1000) {
#if COUNTING
            before = alloc_calls;
#endif
        }
        char id[32];
        snprintf(id, sizeof(id), "event-%08d", i);
        dn__fact_in f = {.ts_ms = 1700000000000LL + i * HOUR_MS / 4,
                         .dir = i % 2 ? DN__DIR_IN : DN__DIR_OUT,
                         .has_amount = true,
                         .amount_base_minor = i % 97,
                         .counterparty_h = 1 + (uint64_t)(i % 40), /* some forgotten, back */
                         .device_h = 1 + (uint64_t)(i % 3),
                         .filter_bits = (uint64_t)(i % 2),
                         .event_id = {id, (uint32_t)strlen(id)}};
        dn__entity *e = NULL;
        dn__observation pre;
        dn__state_event_begin(st);
        assert_int_equal(dn__state_touch(st, DN__ENT_ACCOUNT, (dn_str){"acct", 4}, &e), 0);
        assert_int_equal(dn__state_observe(st, e, &f, &pre), 0);
        dn__agg_value v;
        dn_str ids[8];
        for (uint32_t s = 0; s < 6; s++) {
            dn__state_agg(st, e, s, f.ts_ms, f.counterparty_h, &v);
            dn__state_agg_event_ids(st, e, s, f.ts_ms, f.counterparty_h, ids, 8);
        }
        (void)dn__state_hits(st, e, 1, 24 * HOUR_MS, f.ts_ms);
        if (i % 5 == 0)
            assert_int_equal(dn__state_record_hit(st, e, (uint32_t)(i % 4), f.ts_ms, 10), 0);
        uint32_t rules[2] = {0, 1};
        (void)dn__state_hit_score(st, e, rules, 2, 24 * HOUR_MS, f.ts_ms);
        assert_non_null(dn__state_typology(st, e, 0));
    }
#if COUNTING
    assert_true(before > 0); /* the counter sees the state's allocations: warm-up made some */
    assert_int_equal(alloc_calls - before, 0);
#else
    (void)before;
#endif
    dn__state_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_entity_allocates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
