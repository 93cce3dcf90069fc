/*
 * fuzz_rules_parse.c - arbitrary bytes as one .rules file: lex, parse, check, fold, codegen and
 * (when it compiles) disassemble. Rates are fixed; every list path under lists/ reads a small
 * list, any other is missing. Must never crash, leak or read out of bounds, whatever the input.
 * A rule set that compiles is also evaluated, every role, on a fixed event (through
 * against the real state store, twice, so entity functions see a history), so arbitrary
 * programs run through the VM.
 */
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang.h"
#include "lang/lang_internal.h"
#include "../unit/lang_state.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void evaluate(const dn_ruleset *rs)
{
    dn__lang_scratch *sc = NULL;
    if (dn__lang_scratch_new(rs, &sc))
        return;
    dn__state *st = lst_new_capped(rs, 64);
    if (!st) {
        dn__lang_scratch_free(sc);
        return;
    }
    dn_attr attrs[2] = {{.key = {"wallet", 6}, .kind = DN_VAL_STR, .v.s = {"TQ1", 3}},
                        {.key = {"n", 1}, .kind = DN_VAL_INT, .v.i = 3}};
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
        for (int round = 0; round < 2; round++) {
            ev.ts_ms += round * 3600000LL;
            (void)lst_event(st, sc, rs, &ev, 123456);
        }
    }
    dn__state_free(st);
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
