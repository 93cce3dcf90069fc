/*
 * fuzz_rules_parse.c - arbitrary bytes as one .rules file: lex, parse, check, fold, codegen and
 * (when it compiles) disassemble. Rates are fixed; every list path under lists/ reads a small
 * list, any other is missing. Must never crash, leak or read out of bounds, whatever the input.
 */
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    dn_diags_free(d);
    dn_ruleset_release(rs);
    return 0;
}
