/*
 * test_lang_diag.c - a golden test for every diagnostic the rule compiler emits: its code, its
 * position (line and column of the offending token, located by a marker string in the source),
 * a piece of its message and, where one is promised, of its hint.
 *
 * Sources compile in memory (dn__ruleset_compile_sources) as one file "t.rules", with a
 * rates.csv (GBP) and one list file "lists/w.txt"; any other list file is missing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "compile_one.h"
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "lang/lang_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR        "version \"1\"\nbase EUR\n"
#define RULE(when) "rule r \"d\" {\n  on transfer\n  for src\n  when " when "\n  score 1\n}\n"
#define RULE_FOR(role, when)                                                                       \
    "rule r \"d\" {\n  on transfer\n  for " role "\n  when " when "\n  score 1\n}\n"

static int load(void *ctx, const char *path, char **text, size_t *len)
{
    (void)ctx;
    if (strcmp(path, "lists/w.txt") != 0)
        return DN_ENOENT;
    *text = strdup("a\nb\n");
    *len = 4;
    return *text ? 0 : DN_ENOMEM;
}

static int compile(const char *src, const char *rates, dn_diags **d, dn_ruleset **rs)
{
    return compile_one(src, rates, load, d, rs);
}

typedef struct golden {
    const char *src;
    const char *code;
    const char *at;   /* the diagnostic points at the first occurrence of this text */
    const char *msg;  /* a piece of the message */
    const char *hint; /* a piece of the hint, or NULL */
    const char *rates;
} golden;

#define RATES "currency,rate_to_base\nGBP,1.17\n"

static const golden cases[] = {
    /* lexer */
    {HDR RULE("amount > 1 EUR @"), "unexpected_char", "@", "unexpected character '@'", NULL, NULL},
    {HDR RULE("reference == \"abc"), "unterminated_string", "\"abc", "unterminated string",
     "close the string", NULL},
    {HDR RULE("reference ~ /abc"), "unterminated_regex", "/abc", "unterminated regex", NULL, NULL},
    {HDR RULE("reference == \"a\\qb\""), "bad_escape", "\\q", "unknown escape", NULL, NULL},
    {HDR RULE("amount > 24x"), "bad_number", "24x", "duration unit", NULL, NULL},
    {HDR RULE("reference ~ /abc/q"), "bad_regex", "q\n", "unknown regex flag", NULL, NULL},
    {HDR RULE("reference ~ /ab\bc/"), "control_char", "\bc/", "raw control character (0x08)",
     "\\x08", NULL},
    {HDR RULE("reference == \"a\x01b\""), "control_char", "\x01b", "inside a string literal", NULL,
     NULL},
    /* parser */
    {HDR RULE("amount > > 1 EUR"), "unexpected_token", "> 1", "expected a value", NULL, NULL},
    {HDR "garbage here\n" RULE("amount > 1 EUR"), "unexpected_token", "garbage",
     "expected 'version', 'base'", NULL, NULL},
    {HDR "rule r {\n}\n", "unexpected_token", "{", "expected a description string", NULL, NULL},
    /* settings */
    {"base EUR\n" RULE("amount > 1 EUR"), "missing_version", "base", "no 'version'",
     "version \"2026.11\"", NULL},
    {"version \"1\"\n" RULE("amount > 1 EUR"), "missing_base", "version", "no 'base'", "base EUR",
     NULL},
    {HDR "version \"2\"\n", "duplicate_setting", "version \"2\"", "'version' is set twice",
     "first set at t.rules:1:1", NULL},
    {"version \"1\"\nbase euro\n", "bad_currency", "euro", "not an ISO 4217", NULL, NULL},
    {HDR RULE("amount > 10 USD"), "unknown_currency", "10 USD", "no rate for USD", "USD,RATE",
     RATES},
    {HDR "memory counterparty 0s\n", "bad_window", "0s", "positive duration", NULL, NULL},
    /* found by fuzz_rules_parse: `memory` naming a list before params and lists were set up */
    {HDR "memory counterparty $l\nlist l from \"lists/w.txt\"\n", "bad_window", "$l",
     "found list of strings", NULL, NULL},
    /* rates.csv */
    {HDR, "bad_rates", "", "bad header", NULL, "cur,rate\nGBP,1.17\n"},
    {HDR, "bad_rates", "", "expected a currency code", NULL, "currency,rate_to_base\nGBPX1\n"},
    {HDR, "bad_rates", "", "must be positive", NULL, "currency,rate_to_base\nGBP,-1.2\n"},
    {HDR, "bad_rates", "", "not a number", NULL, "currency,rate_to_base\nGBP,abc\n"},
    /* names */
    {HDR RULE("refrence == \"x\""), "unknown_field", "refrence", "unknown field 'refrence'",
     "did you mean reference?", NULL},
    {HDR RULE("summ(in, 24h) > 1 EUR"), "unknown_function", "summ", "unknown function 'summ'",
     "did you mean sum?", NULL},
    {HDR "param p.min = 1 EUR\n" RULE("amount > $p.mim"), "unknown_param", "$p.mim",
     "unknown param '$p.mim'", "did you mean $p.min?", NULL},
    {HDR RULE("dst in $wallets"), "unknown_list", "$wallets", "unknown list '$wallets'", NULL,
     NULL},
    {HDR RULE("hits(nope, 7d) > 1"), "unknown_rule", "nope", "unknown rule 'nope'", NULL, NULL},
    {HDR RULE_FOR("device", "true") "rule q \"d\" {\n on transfer\n for src\n when hits(r, 1d) > "
                                    "0\n score 1\n}\n",
     "hits_other_kind", "r, 1d", "rule 'r' fires for device entities", NULL, NULL},
    {HDR RULE("amount > 1 EUR") "typology t \"d\" {\n rules r, q\n window 7d\n threshold 1\n}\n",
     "unknown_rule", "q\n", "unknown rule 'q'", NULL, NULL},
    {HDR RULE("amount > 1 EUR") RULE("amount > 2 EUR"), "duplicate_name",
     "r \"d\" {\n  on transfer\n  for src\n  when amount > 2", "rule 'r' is defined twice",
     "first defined at t.rules:3:6", NULL},
    {HDR "param a = 1\nlist a from \"lists/w.txt\"\n", "duplicate_name", "a from",
     "list 'a' is defined twice", "first defined at t.rules:3:7", NULL},
    {HDR "typology t \"d\" {\n rules\n}\n", "unexpected_token", "}", "expected a value", NULL,
     NULL},
    {HDR "list w from \"lists/missing.txt\"\n", "missing_list_file", "\"lists/missing.txt\"",
     "cannot read list file", NULL, NULL},
    {HDR "rule r \"d\" {\n  on transfr\n  for src\n  when amount > 1 EUR\n  score 1\n}\n",
     "unknown_event_type", "transfr", "unknown event type 'transfr'", "did you mean transfer?",
     NULL},
    {HDR RULE("type == \"tranfer\""), "unknown_event_type", "\"tranfer\"",
     "unknown event type \"tranfer\"", "did you mean \"transfer\"?", NULL},
    {HDR RULE("type in [\"card\", \"lgoin\"]"), "unknown_event_type", "[\"card",
     "unknown event type \"lgoin\"", "did you mean \"login\"?", NULL},
    {HDR RULE_FOR("scr", "amount > 1 EUR"), "unknown_role", "scr", "unknown role 'scr'",
     "did you mean src?", NULL},
    /* types */
    {HDR RULE("amount > 2000"), "type_mismatch", "> 2000", "cannot compare money with number",
     "write 2000 EUR", NULL},
    {HDR RULE("amount + 1 > 1 EUR"), "type_mismatch", "+ 1", "cannot apply + to money and number",
     "money and number do not mix", NULL},
    {HDR RULE("amount"), "type_mismatch", "amount\n", "'when' needs a condition", NULL, NULL},
    {HDR RULE("reference ~ \"x\""), "type_mismatch", "\"x\"", "must be a regex literal", NULL,
     NULL},
    {HDR RULE("mcc in [\"a\"]"), "type_mismatch", "in [",
     "'in' looks for a string in a list of strings, found number", NULL, NULL},
    {HDR RULE("reference < \"x\""), "type_mismatch", "< \"x\"", "cannot order string", NULL, NULL},
    {HDR RULE("amount > 1 EUR and 3"), "type_mismatch", "3\n", "'and' needs a condition", NULL,
     NULL},
    {HDR RULE("reference ~ /(ab/"), "bad_regex", "/\n", "missing closing parenthesis", NULL, NULL},
    /* windows, directions, functions */
    {HDR RULE("sum(in, 24) > 1 EUR"), "bad_window", "24)", "found number", "24h", NULL},
    {HDR RULE("sum(in, 24 EUR) > 1 EUR"), "bad_window", "24 EUR", "found money", NULL, NULL},
    {HDR RULE("sum(in, 0h) > 1 EUR"), "bad_window", "0h", "not positive", NULL, NULL},
    {HDR RULE("sum(in, -1h) > 1 EUR"), "bad_window", "-1h", "not positive", NULL, NULL},
    {HDR "param w = 24\n" RULE("count(in, $w) > 1"), "bad_window", "$w", "found number", NULL,
     NULL},
    {HDR RULE_FOR("device", "count(in, 24h) > 1"), "bad_dir", "in,", "use any", NULL, NULL},
    {HDR RULE("count(sideways, 24h) > 1"), "bad_dir", "sideways", "in, out or any", NULL, NULL},
    {HDR RULE("distinct(colour, in, 24h) > 1"), "bad_distinct_field", "colour", "distinct() counts",
     NULL, NULL},
    {HDR RULE("sum(in) > 1 EUR"), "bad_arity", "sum(", "takes 2 arguments", NULL, NULL},
    {HDR RULE("count(in, 24h, where sum(in, 1h) > 1 EUR) > 1"), "where_entity_function",
     "sum(in, 1h)", "cannot be used inside where", NULL, NULL},
    {HDR "param p = amount\n", "not_constant", "amount", "must be a constant", NULL, NULL},
    /* clauses */
    {HDR "rule r \"d\" {\n  on transfer\n  for src\n  when amount > 1 EUR\n  score 1\n  colour "
         "red\n}\n",
     "unknown_clause", "colour", "unknown clause 'colour' in a rule: expected on, for, when", NULL,
     NULL},
    {HDR RULE("amount > 1 EUR") "typology t \"d\" {\n rules r\n window 7d\n threshold 1\n "
                                "windw 1d\n}\n",
     "unknown_clause", "windw", "in a typology", "did you mean window?", NULL},
    {HDR "rule r \"d\" {\n  on transfer\n  for src\n  for dst\n  when amount > 1 EUR\n  score "
         "1\n}\n",
     "duplicate_clause", "for dst", "clause 'for' given twice", NULL, NULL},
    {HDR "rule r \"d\" {\n  on transfer\n  for src\n  when amount > 1 EUR\n}\n", "missing_clause",
     "r \"d\"", "has no 'score' clause", NULL, NULL},
    {HDR "rule r \"d\" {\n  on transfer\n  for src\n  when amount > 1 EUR\n  score 1.5\n}\n",
     "bad_score", "1.5", "whole number", NULL, NULL},
    {HDR "rule r \"d\" {\n  on transfer\n  for src\n  when amount > 1 EUR\n  score 1\n  mode "
         "loud\n}\n",
     "bad_mode", "loud", "live or shadow", NULL, NULL},
    {HDR RULE("amount > 1 EUR") "typology t \"d\" {\n rules r\n window 7d\n threshold 1\n "
                                "severity dire\n}\n",
     "bad_severity", "dire", "low, medium, high or critical", NULL, NULL},
    {HDR RULE("amount > 1 EUR") "typology t \"d\" {\n rules r\n window 24\n threshold 1\n}\n",
     "bad_window", "24\n", "found number", NULL, NULL},
};

static void locate(const char *src, const char *at, int *line, int *col)
{
    const char *p = at[0] ? strstr(src, at) : NULL;
    *line = 0;
    *col = 0;
    if (!p)
        return;
    *line = 1;
    *col = 1;
    for (const char *q = src; q < p; q++) {
        if (*q == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void test_every_code(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const golden *g = &cases[i];
        dn_diags *d = NULL;
        dn_ruleset *rs = NULL;
        int rc = compile(g->src, g->rates, &d, &rs);
        const dn_diag *hit = NULL;
        for (size_t k = 0; k < dn_diags_count(d); k++) {
            const dn_diag *x = dn_diags_get(d, k);
            if (strcmp(x->code, g->code) == 0 && strstr(x->message, g->msg))
                hit = x;
        }
        if (!hit || rc != DN_ESYNTAX) {
            fprintf(stderr, "case %zu (%s): rc %d, diagnostics:\n", i, g->code, rc);
            dn_diags_print(d, stderr);
        }
        assert_int_equal(rc, DN_ESYNTAX);
        assert_null(rs);
        assert_non_null(hit);
        if (g->rates && strcmp(g->code, "bad_rates") == 0) {
            assert_string_equal(hit->file, "rates.csv");
            assert_int_equal(hit->line, 2 - (strstr(g->msg, "header") != NULL));
        } else if (g->at[0] || strcmp(g->code, "missing_version") == 0) {
            int line, col;
            locate(g->src, g->at, &line, &col);
            if (line != hit->line || col != hit->col)
                fprintf(stderr, "case %zu (%s): expected %d:%d, got %d:%d\n", i, g->code, line, col,
                        hit->line, hit->col);
            assert_int_equal(hit->line, line);
            assert_int_equal(hit->col, col);
            assert_string_equal(hit->file, "t.rules");
            assert_non_null(hit->source_line);
        }
        if (g->hint) {
            assert_non_null(hit->hint);
            if (!strstr(hit->hint, g->hint))
                fprintf(stderr, "case %zu: hint '%s'\n", i, hit->hint);
            assert_non_null(strstr(hit->hint, g->hint));
        }
        dn_diags_free(d);
    }
}

static void test_too_many_filters(void **state)
{
    (void)state;
    size_t cap = 64 * 1024;
    char *src = malloc(cap);
    assert_non_null(src);
    size_t n = (size_t)snprintf(src, cap, "%s", HDR);
    n += (size_t)snprintf(src + n, cap - n, "rule r \"d\" {\n on transfer\n for src\n when true");
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(src + n, cap - n, " and count(in, 1h, where mcc == %d) > 0", i);
    snprintf(src + n, cap - n, "\n score 1\n}\n");
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile(src, NULL, &d, &rs), DN_ESYNTAX);
    assert_int_equal(dn_diags_count(d), 1);
    assert_string_equal(dn_diags_get(d, 0)->code, "too_many_filters");
    assert_int_equal(dn_diags_get(d, 0)->line, 6);
    dn_diags_free(d);
    free(src);
}

static void test_too_deep(void **state)
{
    (void)state;
    char src[8192];
    size_t n = (size_t)snprintf(src, sizeof(src), "%s",
                                HDR "rule r \"d\" {\n on transfer\n for src\n when ");
    for (int i = 0; i < 300; i++)
        src[n++] = '(';
    n += (size_t)snprintf(src + n, sizeof(src) - n, "true");
    for (int i = 0; i < 300; i++)
        src[n++] = ')';
    snprintf(src + n, sizeof(src) - n, "\n score 1\n}\n");
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile(src, NULL, &d, &rs), DN_ESYNTAX);
    assert_int_equal(dn_diags_count(d), 1);
    assert_string_equal(dn_diags_get(d, 0)->code, "too_deep");
    assert_int_equal(dn_diags_get(d, 0)->line, 6);
    assert_int_equal(dn_diags_get(d, 0)->col, 7 + 200);
    dn_diags_free(d);
}

static void test_collects_all_sorted(void **state)
{
    (void)state;
    const char *src = HDR "rule a \"d\" {\n on transfr\n for src\n when amount > 1 EUR\n score "
                          "1\n}\n"
                          "rule b \"d\" {\n on transfer\n for src\n when amount > > 1\n score "
                          "1\n}\n"
                          "param p = 1\n"
                          "rule c \"d\" {\n on transfer\n for src\n when refrence == \"x\"\n "
                          "score 1\n}\n";
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile(src, NULL, &d, &rs), DN_ESYNTAX);
    assert_int_equal(dn_diags_count(d), 3);
    assert_string_equal(dn_diags_get(d, 0)->code, "unknown_event_type");
    assert_string_equal(dn_diags_get(d, 1)->code, "unexpected_token");
    assert_string_equal(dn_diags_get(d, 2)->code, "unknown_field");
    assert_true(dn_diags_get(d, 0)->line < dn_diags_get(d, 1)->line);
    assert_true(dn_diags_get(d, 1)->line < dn_diags_get(d, 2)->line);
    /* printing: file:line:col: error: message, the line, a caret, the hint */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    dn_diags_print(d, f);
    fclose(f);
    assert_non_null(strstr(buf, "t.rules:4:5: error: unknown event type 'transfr'\n"
                                "     on transfr\n"
                                "        ^\n"
                                "    hint: did you mean transfer?\n"));
    free(buf);
    dn_diags_free(d);
}

static void test_ok_compiles_without_diags(void **state)
{
    (void)state;
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    assert_int_equal(compile(HDR RULE("amount > 1 EUR"), NULL, &d, &rs), 0);
    assert_int_equal(dn_diags_count(d), 0);
    assert_non_null(rs);
    dn_ruleset_release(rs);
    dn_diags_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code),
        cmocka_unit_test(test_too_many_filters),
        cmocka_unit_test(test_too_deep),
        cmocka_unit_test(test_collects_all_sorted),
        cmocka_unit_test(test_ok_compiles_without_diags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
