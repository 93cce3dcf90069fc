/*
 * regex.c - regex literals: PCRE2 (with JIT) for the answer, vectorscan as a prefilter.
 *
 * Semantics are PCRE2's, on bytes (no UTF mode: event text is matched as the bytes it arrived
 * with, so an invalid UTF-8 sequence can never make a match fail with an error). Flags: i
 * (caseless), m (multiline), s (dotall), x (extended). Each regex is JIT-compiled when the
 * platform has a JIT; otherwise PCRE2's interpreter runs it. Matches are bounded by a match limit
 * and a per-scratch JIT stack (vm.c); a match that hits a limit counts as no match.
 *
 * Prefilter: the regexes whose subject is a fixed event field (reference, src_name, ...) are
 * also compiled, with HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH and the matching flags, into one
 * vectorscan database per field. The prefilter may report matches PCRE2 would not (it is a
 * superset), never the reverse, so PCRE2 confirms only the regexes whose prefilter fired. A
 * pattern vectorscan rejects even in prefilter mode (back references, empty matches, ...) stays
 * out of the database and is always confirmed.
 *
 * Ownership: pcre2 codes and hs databases belong to the rule set; dn__lang_regex_free_all frees
 * them.
 */
#include "lang/ast.h"

#include <hs.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

static uint32_t pcre_flags(const char *f)
{
    uint32_t o = 0;
    for (; *f; f++) {
        if (*f == 'i')
            o |= PCRE2_CASELESS;
        else if (*f == 'm')
            o |= PCRE2_MULTILINE;
        else if (*f == 's')
            o |= PCRE2_DOTALL;
        else if (*f == 'x')
            o |= PCRE2_EXTENDED;
    }
    return o;
}

int dn__lang_regex_compile(dn__arena *a, dn__regex *re, const char **errmsg, size_t *erroff)
{
    int ec = 0;
    PCRE2_SIZE eo = 0;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)re->pattern, strlen(re->pattern),
                      pcre_flags(re->flags) | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &ec, &eo, NULL);
    if (!code) {
        if (ec == PCRE2_ERROR_NOMEMORY || ec == PCRE2_ERROR_HEAP_FAILED)
            return DN_ENOMEM;
        PCRE2_UCHAR buf[256];
        if (pcre2_get_error_message(ec, buf, sizeof(buf)) < 0)
            strcpy((char *)buf, "cannot compile");
        *errmsg = dn__arena_strndup(a, (const char *)buf, strlen((const char *)buf));
        if (!*errmsg)
            return DN_ENOMEM;
        *erroff = eo;
        return DN_EINVAL;
    }
    /* No JIT on this platform (or out of executable memory): the interpreter runs it. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    re->code = code;
    return 0;
}

static unsigned hs_flags(const char *f)
{
    unsigned o = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;
    for (; *f; f++) {
        if (*f == 'i')
            o |= HS_FLAG_CASELESS;
        else if (*f == 'm')
            o |= HS_FLAG_MULTILINE;
        else if (*f == 's')
            o |= HS_FLAG_DOTALL;
    }
    return o;
}

/* The pattern as vectorscan sees it: extended mode via an inline (?x). */
static char *hs_pattern(const dn__regex *re)
{
    size_t n = strlen(re->pattern);
    char *p = malloc(n + 5);
    if (!p)
        return NULL;
    if (strchr(re->flags, 'x')) {
        memcpy(p, "(?x)", 4);
        memcpy(p + 4, re->pattern, n + 1);
    } else {
        memcpy(p, re->pattern, n + 1);
    }
    return p;
}

int dn__lang_regex_build_prefilter(dn_ruleset *rs)
{
    int rc = 0;
    uint32_t n = rs->regex_count;
    char **pats = calloc(n + 1, sizeof(*pats));
    unsigned *flags = calloc(n + 1, sizeof(*flags));
    unsigned *ids = calloc(n + 1, sizeof(*ids));
    if (!pats || !flags || !ids) {
        rc = DN_ENOMEM;
        goto done;
    }
    for (int f = 0; f < F_COUNT_; f++) {
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            dn__regex *re = &rs->regexes[i];
            if (re->field != f)
                continue;
            char *p = hs_pattern(re);
            if (!p) {
                rc = DN_ENOMEM;
                goto done;
            }
            /* try it alone first: a rejected pattern is confirmed by PCRE2 every time */
            hs_database_t *one = NULL;
            hs_compile_error_t *err = NULL;
            if (hs_compile(p, hs_flags(re->flags), HS_MODE_BLOCK, NULL, &one, &err) != HS_SUCCESS) {
                hs_free_compile_error(err);
                free(p);
                continue;
            }
            hs_free_database(one);
            pats[m] = p;
            flags[m] = hs_flags(re->flags);
            ids[m] = i;
            m++;
        }
        if (m == 0)
            continue;
        hs_database_t *db = NULL;
        hs_compile_error_t *err = NULL;
        if (hs_compile_multi((const char *const *)pats, flags, ids, m, HS_MODE_BLOCK, NULL, &db,
                             &err) == HS_SUCCESS) {
            rs->dbs[rs->db_count].field = f;
            rs->dbs[rs->db_count].db = db;
            rs->db_count++;
            for (uint32_t k = 0; k < m; k++)
                rs->regexes[ids[k]].is_prefiltered = true;
        } else {
            hs_free_compile_error(err); /* all of them confirmed by PCRE2 */
        }
        for (uint32_t k = 0; k < m; k++) {
            free(pats[k]);
            pats[k] = NULL;
        }
    }
done:
    if (pats)
        for (uint32_t k = 0; k < n; k++)
            free(pats[k]);
    free(pats);
    free(flags);
    free(ids);
    return rc;
}

void dn__lang_regex_free_all(dn_ruleset *rs)
{
    for (uint32_t i = 0; i < rs->regex_count; i++) {
        pcre2_code_free(rs->regexes[i].code);
        rs->regexes[i].code = NULL;
    }
    for (uint32_t i = 0; i < rs->db_count; i++)
        hs_free_database(rs->dbs[i].db);
    rs->db_count = 0;
}
