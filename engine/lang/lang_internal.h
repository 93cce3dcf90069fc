/*
 * lang_internal.h - entry points of engine/lang for tests, fuzz targets and tools (not for the
 * pipeline, which uses lang.h only).
 *
 * dn__ruleset_compile_sources compiles rule files held in memory, so fuzzers and unit tests need
 * no temporary directory. List files are read through `load` (NULL: every list file is missing).
 */
#ifndef DN_LANG_LANG_INTERNAL_H
#define DN_LANG_LANG_INTERNAL_H

#include "dragnet/rules.h"
#include "lang/lang.h"

#include <stdbool.h>
#include <stddef.h>

/* Reads a list file named in a `list ... from "path"`. Returns 0 and a malloc'd *text (the
 * caller frees it), or a negative code when the file cannot be read. */
typedef int (*dn__lang_load_cb)(void *ctx, const char *path, char **text, size_t *len);

typedef struct dn__lang_sources {
    const char *const *names; /* file names as diagnostics show them, sorted */
    const char *const *texts;
    const size_t *lens;
    size_t count;
    const char *rates_name; /* NULL: no rates table */
    const char *rates_text;
    size_t rates_len;
    dn__lang_load_cb load;
    void *load_ctx;
} dn__lang_sources;

int dn__ruleset_compile_sources(const dn__lang_sources *srcs, dn_diags **diags, dn_ruleset **out);

/* Turns the vectorscan prefilter off (every regex is confirmed by PCRE2) for one scratch. The
 * environment variable DRAGNET_NO_PREFILTER=1 does the same for every scratch. */
void dn__lang_scratch_set_prefilter(dn__lang_scratch *sc, bool on);

/* With off, every where-filter and every rule runs in the VM from its first instruction: no
 * filter as a list of tests, no rule's opening tests checked before it (vm.c); the tests hold
 * the two ways to the same bits and hits. is_fast: filter i of kind k is such a list. */
void dn__lang_scratch_set_filter_tests(dn__lang_scratch *sc, bool on);
bool dn__lang_filter_is_fast(const dn__lang_scratch *sc, dn__entity_kind k, uint32_t i);

#endif
