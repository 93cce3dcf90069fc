/*
 * fuzz_rates.c - the rates.csv parser and the list-file reader of the rule compiler.
 *
 * The input is split at its first NUL byte: the bytes before it are rates.csv, the bytes after
 * it the text of the one list file the fixed rule set names. A fixed rule set converts a GBP
 * money literal (so the rate table is used) and tests membership in the list. Any input must
 * give diagnostics or a rule set, never a crash.
 */
#include "dragnet/rules.h"
#include "lang/lang_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct list_text {
    const char *text;
    size_t len;
} list_text;

static int load(void *ctx, const char *path, char **text, size_t *len)
{
    const list_text *l = ctx;
    (void)path;
    *text = malloc(l->len + 1);
    if (!*text)
        return -1;
    memcpy(*text, l->text, l->len);
    (*text)[l->len] = '\0';
    *len = l->len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char rules[] = "version \"f\"\nbase EUR\n"
                                "param big = 100.50 GBP\n"
                                "list names from \"lists/names.txt\"\n"
                                "rule r \"d\" { on transfer for src when amount >= $big and "
                                "dst_name in $names score 1 }\n";
    const uint8_t *nul = memchr(data, 0, size);
    size_t rates_len = nul ? (size_t)(nul - data) : size;
    list_text list = {nul ? (const char *)nul + 1 : "", nul ? size - rates_len - 1 : 0};
    const char *names[] = {"fuzz.rules"};
    const char *texts[] = {rules};
    size_t lens[] = {sizeof(rules) - 1};
    dn__lang_sources s = {.names = names,
                          .texts = texts,
                          .lens = lens,
                          .count = 1,
                          .rates_name = "rates.csv",
                          .rates_text = (const char *)data,
                          .rates_len = rates_len,
                          .load = load,
                          .load_ctx = &list};
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn__ruleset_compile_sources(&s, &d, &rs);
    FILE *devnull = fopen("/dev/null", "w");
    if (devnull) {
        dn_diags_print(d, devnull);
        if (rc == 0)
            dn_ruleset_summary(rs, devnull);
        fclose(devnull);
    }
    if (rc == 0) {
        int64_t out;
        dn_ruleset_to_base(rs, "GBP", 12345, &out);
        dn_ruleset_to_base(rs, "XXX", 12345, &out);
    }
    dn_diags_free(d);
    dn_ruleset_release(rs);
    return 0;
}
