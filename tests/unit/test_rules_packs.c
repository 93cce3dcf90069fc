/*
 * test_rules_packs.c - every shipped pack compiles: the repository's rules/ folder (DN_SOURCE_DIR)
 * compiles with zero diagnostics, holds the three typologies of README.md with rules from each
 * pack file, and `dragnet check rules` (DN_BINARY) exits 0 with its summary line, naming the same
 * rule set hash whether the folder is given as an absolute or a relative path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dragnet/rules.h"
#include "lang/lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define RULES_DIR DN_SOURCE_DIR "/rules"

static dn_ruleset *compile_packs(void)
{
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn_ruleset_compile(RULES_DIR, &d, &rs);
    size_t n = d ? dn_diags_count(d) : 0;
    if (n)
        dn_diags_print(d, stderr);
    dn_diags_free(d);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 0);
    assert_non_null(rs);
    return rs;
}

static void test_packs_compile_clean(void **state)
{
    (void)state;
    dn_ruleset *rs = compile_packs();
    uint32_t nt = 0, nr = 0;
    const dn__typology_info *ti = dn__ruleset_typologies(rs, &nt);
    const dn__rule_info *ri = dn__ruleset_rules(rs, &nr);
    assert_int_equal(nt, 3);
    static const char *const typologies[] = {"money_mule", "scam_victim", "scam_centre_ops"};
    static const char *const files[] = {"money_mule.rules", "scam_victim.rules",
                                        "scam_centre_ops.rules"};
    for (int k = 0; k < 3; k++) {
        uint32_t found = 0, from_file = 0;
        for (uint32_t i = 0; i < nt; i++)
            found += strcmp(ti[i].name, typologies[k]) == 0 && ti[i].rule_count > 0;
        for (uint32_t i = 0; i < nr; i++) {
            const char *slash = strrchr(ri[i].file, '/');
            from_file += strcmp(slash ? slash + 1 : ri[i].file, files[k]) == 0;
        }
        if (found != 1 || from_file == 0)
            fprintf(stderr, "%s: %u typologies, %u rules from %s\n", typologies[k], found,
                    from_file, files[k]);
        assert_int_equal(found, 1);
        assert_true(from_file > 0);
    }
    /* every live rule is scored by some typology; a rule no typology lists is dead weight */
    for (uint32_t i = 0; i < nr; i++) {
        if (!ri[i].is_shadow && ri[i].typology_count == 0)
            fprintf(stderr, "rule %s (%s:%d) is in no typology\n", ri[i].id, ri[i].file,
                    ri[i].line);
        assert_true(ri[i].is_shadow || ri[i].typology_count > 0);
    }
    dn_ruleset_release(rs);
}

/* Runs `dragnet check ARGS` in DN_SOURCE_DIR; returns the exit code, output in out. */
static int check(const char *args, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' check %s 2>&1", DN_SOURCE_DIR, DN_BINARY, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* bench/rules-every-construct, the benchmark's "every construct" rule set, compiles clean and
 * keeps its 12 regex rules, its shadow rule and its three typologies. */
static void test_every_construct_compiles(void **state)
{
    (void)state;
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    assert_int_equal(dn_ruleset_compile(DN_SOURCE_DIR "/bench/rules-every-construct", &d, &rs), 0);
    assert_int_equal(dn_diags_count(d), 0);
    uint32_t nt = 0, nr = 0, regex_rules = 0, shadow = 0;
    dn__ruleset_typologies(rs, &nt);
    const dn__rule_info *ri = dn__ruleset_rules(rs, &nr);
    for (uint32_t i = 0; i < nr; i++) {
        regex_rules += strncmp(ri[i].id, "re.", 3) == 0;
        shadow += ri[i].is_shadow;
    }
    assert_int_equal(nt, 3);
    assert_int_equal(regex_rules, 12);
    assert_int_equal(shadow, 1);
    dn_diags_free(d);
    dn_ruleset_release(rs);
}

static void test_check_exits_0(void **state)
{
    (void)state;
    static char rel[65536], abs_out[65536];
    int rc = check("rules", rel, sizeof(rel));
    if (rc != 0)
        fprintf(stderr, "%s", rel);
    assert_int_equal(rc, 0);
    assert_null(strstr(rel, "error"));
    assert_non_null(strstr(rel, " 3 typologies, "));
    assert_int_equal(check("'" RULES_DIR "'", abs_out, sizeof(abs_out)), 0);
    /* the same summary (and hash) for the same rules, whatever the path */
    assert_string_equal(rel, abs_out);
    dn_ruleset *rs = compile_packs();
    char want[64];
    snprintf(want, sizeof(want), "(%s, base %s)", dn_ruleset_hash(rs), dn_ruleset_base(rs));
    assert_non_null(strstr(rel, want));
    dn_ruleset_release(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packs_compile_clean),
        cmocka_unit_test(test_every_construct_compiles),
        cmocka_unit_test(test_check_exits_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
