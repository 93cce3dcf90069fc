/*
 * compile_one.h - compiles one in-memory rules file ("t.rules") for the language tests, with an
 * optional rates.csv text (NULL: none) and list loader (NULL: no list files).
 */
#ifndef DN_TEST_COMPILE_ONE_H
#define DN_TEST_COMPILE_ONE_H

#include "lang/lang_internal.h"

#include <string.h>

static inline int compile_one(const char *src, const char *rates, dn__lang_load_cb load,
                              dn_diags **d, dn_ruleset **rs)
{
    const char *names[] = {"t.rules"};
    const char *texts[] = {src};
    size_t lens[] = {strlen(src)};
    dn__lang_sources s = {.names = names,
                          .texts = texts,
                          .lens = lens,
                          .count = 1,
                          .rates_name = "rates.csv",
                          .rates_text = rates,
                          .rates_len = rates ? strlen(rates) : 0,
                          .load = load};
    return dn__ruleset_compile_sources(&s, d, rs);
}

#endif
