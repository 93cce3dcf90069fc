/*
 * test_lang_cli.c - `dragnet check` as scripts see it: exit codes (0 compiled, 1 errors, 2
 * usage), the sorted `file:line:col: error:` lines with source line, caret and hint, the summary
 * line and --disasm. Runs the built binary (DN_BINARY) on tests/lang/sample and tests/lang/broken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static int run(const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cd %s && %s check %s 2>&1", DN_TEST_DATA, DN_BINARY, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_ok(void **state)
{
    (void)state;
    static char out[65536];
    assert_int_equal(run("lang/sample", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "ruleset 2026.11 ("));
    assert_non_null(strstr(out, "5 rules (1 shadow), 2 typologies, 6 params, 1 lists; retention "
                                "src 2w, dst 2w, device 1w, ip 0\n"));
    assert_null(strstr(out, "RET"));
    assert_int_equal(run("lang/sample --disasm", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "rule mule.pass_through  (for src, on transfer cash_withdrawal "
                                "crypto_buy, score 40, lang/sample/mule.rules:12)"));
    assert_non_null(strstr(out, "RET"));
    assert_non_null(strstr(out, "plan account: 4 slots, 1 filters"));
}

static void test_errors(void **state)
{
    (void)state;
    static char out[65536];
    assert_int_equal(run("lang/broken", out, sizeof(out)), 1);
    const char *want = "lang/broken/a.rules:4:8: error: unknown event type 'transfr'\n"
                       "        on transfr\n"
                       "           ^\n"
                       "    hint: did you mean transfer?\n"
                       "lang/broken/a.rules:6:17: error: cannot compare money with number\n"
                       "        when amount > 2000\n"
                       "                    ^\n"
                       "    hint: money and number do not mix: write 2000 EUR\n"
                       "lang/broken/b.rules:4:10: error: unknown field 'refrence'\n"
                       "        when refrence ~ /x/\n"
                       "             ^\n"
                       "    hint: did you mean reference?\n"
                       "lang/broken: 3 errors\n";
    assert_string_equal(out, want);
}

static void test_usage(void **state)
{
    (void)state;
    static char out[4096];
    assert_int_equal(run("", out, sizeof(out)), 2);
    assert_int_equal(run("a b", out, sizeof(out)), 2);
    assert_int_equal(run("--bogus lang/sample", out, sizeof(out)), 2);
    assert_int_equal(run("lang/empty", out, sizeof(out)), 1);
    assert_string_equal(out, "lang/empty: error: no *.rules files in lang/empty\n"
                             "    hint: rule files end in .rules\n"
                             "lang/empty: 1 error\n");
    assert_int_equal(run("lang/no_such_dir", out, sizeof(out)), 1);
    assert_non_null(strstr(out, "lang/no_such_dir"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
