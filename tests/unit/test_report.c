/* test_report.c - the backtest quality report: labels parsing and precision/recall arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dragnet/error.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/dn_labels_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static dn_str S(const char *s)
{
    return (dn_str){s, (uint32_t)strlen(s)};
}

static double num(json_t *o, const char *typ, const char *key)
{
    json_t *v = json_object_get(json_object_get(o, typ), key);
    assert_non_null(v);
    return json_number_value(v);
}

static void test_precision_recall(void **state)
{
    (void)state;
    char *path = write_temp("entity,typology,case_id\n"
                            "A1,money_mule,m1\nA2,money_mule,m1\nA3,scam_victim,v1\n"
                            "D9,money_mule,m1\n");
    dn__quality *q;
    assert_int_equal(dn__quality_new(&q), 0);
    dn__buf err;
    dn__buf_init(&err);
    assert_int_equal(dn__quality_load_labels(q, path, &err), 0);
    assert_int_equal(dn__quality_note_alert(q, S("A1"), "money_mule"), 0);
    assert_int_equal(dn__quality_note_alert(q, S("A1"), "money_mule"), 0); /* once per entity */
    assert_int_equal(dn__quality_note_alert(q, S("A3"), "money_mule"), 0); /* wrong typology */
    assert_int_equal(dn__quality_note_alert(q, S("B7"), "money_mule"), 0); /* unlabelled */
    assert_int_equal(dn__quality_note_alert(q, S("A3"), "scam_victim"), 0);
    const char *typs[] = {"money_mule", "scam_victim", "scam_centre_ops"};
    json_t *j = dn__quality_json(q, typs, 3);
    assert_int_equal(num(j, "money_mule", "labelled"), 3);
    assert_int_equal(num(j, "money_mule", "alerted"), 3);
    assert_int_equal(num(j, "money_mule", "tp"), 1);
    assert_true(num(j, "money_mule", "precision") > 0.333 &&
                num(j, "money_mule", "precision") < 0.334);
    assert_true(num(j, "money_mule", "recall") > 0.333 && num(j, "money_mule", "recall") < 0.334);
    assert_int_equal(num(j, "scam_victim", "tp"), 1);
    assert_int_equal(num(j, "scam_victim", "recall"), 1);
    assert_int_equal(num(j, "scam_centre_ops", "labelled"), 0);
    assert_true(json_is_null(json_object_get(json_object_get(j, "scam_centre_ops"), "recall")));
    /* any: labelled 4 (A1 A2 A3 D9), alerted 3 (A1 A3 B7), tp 2 (A1 A3) */
    assert_int_equal(num(j, "any", "labelled"), 4);
    assert_int_equal(num(j, "any", "alerted"), 3);
    assert_int_equal(num(j, "any", "tp"), 2);
    json_decref(j);
    dn__buf_free(&err);
    dn__quality_free(q);
    unlink(path);
    free(path);
}

static void test_rule_tallies(void **state)
{
    (void)state;
    char *path = write_temp("entity,typology\nA1,money_mule\n");
    dn__quality *q;
    assert_int_equal(dn__quality_new(&q), 0);
    dn__buf err;
    dn__buf_init(&err);
    assert_int_equal(dn__quality_load_labels(q, path, &err), 0);
    dn__quality_note_rule_hit(q, S("A1"), "mule.fan_in");
    dn__quality_note_rule_hit(q, S("A1"), "mule.fan_in");
    dn__quality_note_rule_hit(q, S("B2"), "mule.fan_in");
    json_t *j = dn__quality_rules_json(q);
    json_t *r = json_object_get(j, "mule.fan_in");
    assert_int_equal(json_integer_value(json_object_get(r, "hits")), 3);
    assert_int_equal(json_integer_value(json_object_get(r, "labelled_hits")), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "labelled_entities")), 1);
    json_decref(j);
    dn__buf_free(&err);
    dn__quality_free(q);
    unlink(path);
    free(path);
}

static void test_bad_labels(void **state)
{
    (void)state;
    char *path = write_temp("entity,typology\nA1\n");
    dn__quality *q;
    assert_int_equal(dn__quality_new(&q), 0);
    dn__buf err;
    dn__buf_init(&err);
    assert_int_equal(dn__quality_load_labels(q, path, &err), DN_EINVAL);
    assert_non_null(strstr(err.data, ":2: expected entity,typology"));
    dn__buf_clear(&err);
    assert_int_equal(dn__quality_load_labels(q, "/nonexistent/labels.csv", &err), DN_ENOENT);
    dn__buf_free(&err);
    dn__quality_free(q);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precision_recall),
        cmocka_unit_test(test_rule_tallies),
        cmocka_unit_test(test_bad_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
