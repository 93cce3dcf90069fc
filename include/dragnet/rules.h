/*
 * rules.h - compiling a rule set (a folder of *.rules files) and reading its diagnostics.
 *
 * A compiled dn_ruleset is immutable and reference-counted: shards share it, a reload swaps in a
 * new one, and the last release frees it. The rule language is described in README.md.
 */
#ifndef DRAGNET_RULES_H
#define DRAGNET_RULES_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dn_ruleset dn_ruleset;

/* One compile diagnostic. Strings are owned by the dn_diags that holds it. */
typedef struct dn_diag {
    const char *file;        /* path as given, relative to the rule folder's parent */
    int line, col;           /* 1-based; 0 when the diagnostic is about a whole file */
    const char *code;        /* stable short code, e.g. "unknown_field" */
    const char *message;     /* what is wrong and what was expected */
    const char *hint;        /* NULL or a suggestion ("did you mean ...") */
    const char *source_line; /* the offending line's text, NULL when none */
} dn_diag;

typedef struct dn_diags dn_diags;

size_t dn_diags_count(const dn_diags *d);
const dn_diag *dn_diags_get(const dn_diags *d, size_t i); /* sorted by file, line, column */
/* Prints every diagnostic as file:line:col: error: message, the line, and a caret. */
void dn_diags_print(const dn_diags *d, FILE *out);
void dn_diags_free(dn_diags *d);

/*
 * Compiles every *.rules file in dir (sorted by name) as one unit, with dir/rates.csv and the
 * list files the rules name. On success returns 0 and *out (refcount 1). When the rule set has
 * errors returns DN_ESYNTAX and *out is NULL. *diags (may be NULL to ignore) receives every
 * diagnostic in either case; free it with dn_diags_free. DN_ENOENT when dir cannot be read,
 * DN_ENOMEM.
 */
int dn_ruleset_compile(const char *dir, dn_diags **diags, dn_ruleset **out);

dn_ruleset *dn_ruleset_retain(dn_ruleset *rs);
void dn_ruleset_release(dn_ruleset *rs); /* accepts NULL */

const char *dn_ruleset_version(const dn_ruleset *rs); /* the `version` string */
const char *dn_ruleset_hash(const dn_ruleset *rs);    /* hex digest of the sources, 16 chars */
const char *dn_ruleset_base(const dn_ruleset *rs);    /* base currency code, e.g. "EUR" */

/* One-line summary: rules, typologies, params, lists, retention per role. */
void dn_ruleset_summary(const dn_ruleset *rs, FILE *out);
/* The compiled program, one rule after another. */
void dn_ruleset_disasm(const dn_ruleset *rs, FILE *out);

/*
 * Converts amount_minor of currency (ISO 4217) into minor units of the base currency using the
 * rule set's rate table (rounded half away from zero). DN_ENOENT when the table lacks currency.
 */
int dn_ruleset_to_base(const dn_ruleset *rs, const char *currency, int64_t amount_minor,
                       int64_t *out_base_minor);

#ifdef __cplusplus
}
#endif
#endif
