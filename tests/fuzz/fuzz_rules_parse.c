/*
 * fuzz_rules_parse.c - arbitrary bytes as one .rules file: lex, parse, check, fold, codegen and
 * (when it compiles) disassemble. Rates are fixed; every list path under lists/ reads a small
 * list, any other is missing. Must never crash, leak or read out of bounds, whatever the input.
 * A rule set that compiles is also evaluated, every role, on a fixed event (with an observation
 * and weak state stubs returning fixed values), so arbitrary programs run through the VM.
 */
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/lang_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((weak)) void dn__state_agg(const dn__state *st, const dn__entity *e, uint32_t slot,
                                         int64_t now_ms, uint64_t cp_h, dn__agg_value *out)
{
    out->is_double = slot % 3 == 2;
    out->i = (int64_t)slot * 1000;
    out->d = slot * 12.5;
}
__attribute__((weak)) uint32_t dn__state_agg_event_ids(const dn__state *st, const dn__entity *e,
                                                       uint32_t slot, int64_t now_ms, uint64_t cp_h,
                                                       dn_str *ids, uint32_t cap)
{
    static const char *const names[] = {"a", "b", "c", "d", "e"};
    uint32_t n = 0;
    for (; n < cap && n < 5; n++)
        ids[n] = (dn_str){names[(n + slot) % 5], 1};
    return n;
}
__attribute__((weak)) uint32_t dn__state_hits(const dn__state *st, const dn__entity *e,
                                              uint32_t rule, int64_t window_ms, int64_t now_ms)
{
    return rule % 3;
}

static void evaluate(const dn_ruleset *rs)
{
    dn__lang_scratch *sc = NULL;
    if (dn__lang_scratch_new(rs, &sc))
        return;
    dn_attr attrs[2] = {{.key = {"wallet", 6}, .kind = DN_VAL_STR, .v.s = {"TQ1", 3}},
                        {.key = {"n", 1}, .kind = DN_VAL_INT, .v.i = 3}};
    static int dummy;
    for (int t = 0; t < DN_EV_TYPE_COUNT; t++) {
        dn_event ev;
        dn_event_init(&ev);
        ev.id = (dn_str){"ev", 2};
        ev.ts_ms = 1700000000000LL;
        ev.type = (dn_event_type)t;
        ev.has_amount = t % 2 == 0;
        ev.amount_minor = 123456;
        strcpy(ev.currency, "EUR");
        ev.src = (dn_str){"A", 1};
        ev.dst = (dn_str){"B", 1};
        strcpy(ev.dst_country, "KH");
        ev.reference = (dn_str){"usdt withdrawal fee", 19};
        ev.channel = (dn_str){"Online", 6};
        ev.has_mcc = true;
        ev.mcc = 6051;
        ev.remote_access = (int8_t)(t % 3 - 1);
        ev.customer.has_opened = t % 2 == 1;
        ev.customer.opened_ms = 1690000000000LL;
        ev.attrs = attrs;
        ev.attr_count = 2;
        dn__observation pre = {.is_new_counterparty = t % 2,
                               .first_seen_ms = 1600000000000LL,
                               .opened_ms = 1600000000000LL,
                               .last_ms = {INT64_MIN, 1699990000000LL, INT64_MIN, 1699990000000LL}};
        dn__lang_event_begin(sc, &ev, 123456);
        for (int r = 0; r < DN__ROLE_COUNT; r++) {
            const dn__lang_hit *hits;
            uint32_t n;
            (void)dn__lang_filters(sc, (dn__role)r);
            dn__lang_eval(sc, (dn__role)r, (const dn__state *)&dummy, (const dn__entity *)&dummy,
                          &pre, &hits, &n);
        }
        dn__lang_event_end(sc);
    }
    dn__lang_scratch_free(sc);
}

static int load(void *ctx, const char *path, char **text, size_t *len)
{
    (void)ctx;
    if (strncmp(path, "lists/", 6) != 0)
        return DN_ENOENT;
    *text = strdup("a\n# c\n b \n\n");
    if (!*text)
        return DN_ENOMEM;
    *len = strlen(*text);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char rates[] = "currency,rate_to_base\nGBP,1.17\nJPY,0.0062\n";
    const char *names[] = {"fuzz.rules"};
    const char *texts[] = {(const char *)data};
    size_t lens[] = {size};
    dn__lang_sources s = {.names = names,
                          .texts = texts,
                          .lens = lens,
                          .count = 1,
                          .rates_name = "rates.csv",
                          .rates_text = rates,
                          .rates_len = sizeof(rates) - 1,
                          .load = load};
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn__ruleset_compile_sources(&s, &d, &rs);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) {
        dn_diags_print(d, devnull);
        if (rc == 0) {
            dn_ruleset_summary(rs, devnull);
            dn_ruleset_disasm(rs, devnull);
        }
        fclose(devnull);
    }
    if (rc == 0)
        evaluate(rs);
    dn_diags_free(d);
    dn_ruleset_release(rs);
    return 0;
}
