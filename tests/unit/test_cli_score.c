/*
 * test_cli_score.c - scoring end to end through the built binary (DN_BINARY): `dragnet gen`
 * writes a small labelled feed (2000 accounts, 20 days, seed 5), `dragnet replay` scores it with
 * the shipped packs (DN_SOURCE_DIR/rules). Checks: exit 0; the report's alerts, alert_updates,
 * rule_hits and per-typology quality, consistent with the alerts file; every alert line is JSON
 * with every key of README's alert table in alert.h's order; updates name an earlier alert; a
 * second replay writes a byte-identical alerts file; --alerts without --rules is a usage error.
 * The group works in its own temporary directory and removes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const typologies[] = {"money_mule", "scam_victim", "scam_centre_ops"};
enum { TYPOLOGY_COUNT = 3 };

/* Every key of an alert line, in the order alert.h promises. */
static const char *const alert_keys[] = {
    "alert_id", "kind",  "ts",        "time",    "entity",  "role",  "typology", "description",
    "severity", "score", "threshold", "verdict", "ruleset", "rules", "event"};
enum { ALERT_KEY_COUNT = sizeof(alert_keys) / sizeof(alert_keys[0]) };
static const char *const rule_keys[] = {"id", "description", "score", "ts", "because", "events"};

typedef struct fx {
    char dir[64];
    char path[256];
} fx;

static const char *in_dir(fx *f, const char *name)
{
    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
    return f->path;
}

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* dragnet replay with the shipped packs and the labels, into ALERTS and REPORT. */
static int replay(fx *f, const char *alerts, const char *report)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s' replay --rules '%s/rules' --labels L --alerts %s --report %s F "
             ">/dev/null 2>&1",
             f->dir, DN_BINARY, DN_SOURCE_DIR, alerts, report);
    return sh(cmd);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/dn_test_score_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && '%s' gen --accounts 2000 --days 20 --seed 5 --labels L -o F >/dev/null "
             "2>&1",
             f->dir, DN_BINARY);
    *state = f;
    if (sh(cmd) != 0)
        return -1;
    return replay(f, "A", "R") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    int rc = sh(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static json_t *load_json(const char *path)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j)
        fprintf(stderr, "%s: %s (line %d)\n", path, err.text, err.line);
    assert_non_null(j);
    return j;
}

/* The alert lines of a file, parsed. */
static json_t *load_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    json_t *arr = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t no = 0;
    while ((n = getline(&line, &cap, fp)) > 0) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        if (!j)
            fprintf(stderr, "%s:%zu: %s: %s", path, no + 1, err.text, line);
        assert_non_null(j);
        assert_int_equal(line[n - 1], '\n');
        json_array_append_new(arr, j);
        no++;
    }
    free(line);
    fclose(fp);
    return arr;
}

static json_int_t count_kind(json_t *lines, const char *typology, const char *kind)
{
    json_int_t n = 0;
    size_t i;
    json_t *a;
    json_array_foreach(lines, i, a)
    {
        n += strcmp(json_string_value(json_object_get(a, "typology")), typology) == 0 &&
             strcmp(json_string_value(json_object_get(a, "kind")), kind) == 0;
    }
    return n;
}

static void test_report(void **state)
{
    fx *f = *state;
    json_t *rep = load_json(in_dir(f, "R"));
    json_t *lines = load_lines(in_dir(f, "A"));
    json_t *alerts = json_object_get(rep, "alerts");
    json_t *updates = json_object_get(rep, "alert_updates");
    json_t *hits = json_object_get(rep, "rule_hits");
    json_t *quality = json_object_get(rep, "quality");
    assert_true(json_is_object(alerts));
    assert_true(json_is_object(updates));
    assert_true(json_is_object(hits));
    assert_true(json_is_object(quality));
    json_int_t total = 0;
    for (int k = 0; k < TYPOLOGY_COUNT; k++) {
        const char *t = typologies[k];
        json_t *n = json_object_get(alerts, t);
        assert_true(json_is_integer(n));
        /* the report counts what the alerts file holds */
        assert_int_equal(json_integer_value(n), count_kind(lines, t, "alert"));
        assert_int_equal(json_integer_value(json_object_get(updates, t)),
                         count_kind(lines, t, "alert_update"));
        total += json_integer_value(n);
        json_t *q = json_object_get(quality, t);
        assert_true(json_is_object(q));
        static const char *const qkeys[] = {"labelled", "alerted", "tp", "precision", "recall"};
        for (int i = 0; i < 5; i++)
            assert_true(json_is_number(json_object_get(q, qkeys[i])));
        /* the generator labels cases of every typology */
        assert_true(json_integer_value(json_object_get(q, "labelled")) > 0);
        assert_true(json_integer_value(json_object_get(q, "tp")) <=
                    json_integer_value(json_object_get(q, "alerted")));
    }
    assert_true(total > 0);
    assert_int_equal(json_array_size(lines),
                     total + json_integer_value(json_object_get(updates, "money_mule")) +
                         json_integer_value(json_object_get(updates, "scam_victim")) +
                         json_integer_value(json_object_get(updates, "scam_centre_ops")));
    /* rule_hits: every rule of the packs, counts that add up to at least one per alert rule */
    assert_true(json_object_size(hits) >= 20);
    json_int_t hit_sum = 0;
    const char *key;
    json_t *v;
    json_object_foreach(hits, key, v)
    {
        assert_true(json_is_integer(v));
        hit_sum += json_integer_value(v);
    }
    assert_true(hit_sum >= total);
    assert_int_equal(json_integer_value(json_object_get(rep, "accepted")),
                     json_integer_value(json_object_get(rep, "events")));
    json_decref(lines);
    json_decref(rep);
}

static bool is_hex16(const char *s)
{
    return s && strlen(s) == 16 && strspn(s, "0123456789abcdef") == 16;
}

static void test_alert_lines(void **state)
{
    fx *f = *state;
    json_t *rep = load_json(in_dir(f, "R"));
    json_t *lines = load_lines(in_dir(f, "A"));
    const char *hash = json_string_value(json_object_get(json_object_get(rep, "ruleset"), "hash"));
    assert_true(is_hex16(hash));
    assert_true(json_array_size(lines) > 0);
    size_t i;
    json_t *a;
    json_array_foreach(lines, i, a)
    {
        /* exactly the keys of the table, in its order */
        assert_int_equal(json_object_size(a), ALERT_KEY_COUNT);
        void *it = json_object_iter(a);
        for (int k = 0; k < ALERT_KEY_COUNT; k++, it = json_object_iter_next(a, it)) {
            assert_non_null(it);
            assert_string_equal(json_object_iter_key(it), alert_keys[k]);
        }
        assert_true(is_hex16(json_string_value(json_object_get(a, "alert_id"))));
        const char *kind = json_string_value(json_object_get(a, "kind"));
        assert_true(strcmp(kind, "alert") == 0 || strcmp(kind, "alert_update") == 0);
        const char *role = json_string_value(json_object_get(a, "role"));
        assert_true(strcmp(role, "account") == 0 || strcmp(role, "device") == 0 ||
                    strcmp(role, "ip") == 0);
        const char *verdict = json_string_value(json_object_get(a, "verdict"));
        assert_true(strcmp(verdict, "allow") == 0 || strcmp(verdict, "review") == 0 ||
                    strcmp(verdict, "block") == 0);
        const char *time = json_string_value(json_object_get(a, "time"));
        assert_int_equal(strlen(time), 24); /* 2026-01-08T18:20:00.000Z */
        assert_int_equal(time[23], 'Z');
        assert_true(json_integer_value(json_object_get(a, "score")) >=
                    json_integer_value(json_object_get(a, "threshold")));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(a, "ruleset"), "hash")), hash);
        json_t *rules = json_object_get(a, "rules");
        assert_true(json_array_size(rules) > 0);
        json_int_t sum = 0;
        size_t r;
        json_t *rule;
        json_array_foreach(rules, r, rule)
        {
            for (int k = 0; k < 6; k++)
                assert_non_null(json_object_get(rule, rule_keys[k]));
            assert_true(json_array_size(json_object_get(rule, "because")) > 0);
            assert_true(json_array_size(json_object_get(rule, "events")) > 0);
            assert_true(json_integer_value(json_object_get(rule, "ts")) <=
                        json_integer_value(json_object_get(a, "ts")));
            sum += json_integer_value(json_object_get(rule, "score"));
        }
        /* the score is the sum of the listed rules' scores (each rule once) */
        assert_int_equal(sum, json_integer_value(json_object_get(a, "score")));
        /* an update names an alert raised earlier for the same entity and typology */
        size_t raised = 0;
        for (size_t k = 0; k < i; k++) {
            json_t *b = json_array_get(lines, k);
            raised += strcmp(json_string_value(json_object_get(b, "alert_id")),
                             json_string_value(json_object_get(a, "alert_id"))) == 0 &&
                      strcmp(json_string_value(json_object_get(b, "kind")), "alert") == 0 &&
                      json_equal(json_object_get(b, "entity"), json_object_get(a, "entity"));
        }
        assert_int_equal(raised, strcmp(kind, "alert_update") == 0 ? 1 : 0);
    }
    json_decref(lines);
    json_decref(rep);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static void test_second_replay_identical(void **state)
{
    fx *f = *state;
    assert_int_equal(replay(f, "A2", "R2"), 0);
    size_t n1, n2;
    char *a1 = slurp(in_dir(f, "A"), &n1);
    char *a2 = slurp(in_dir(f, "A2"), &n2);
    assert_true(n1 > 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(a1, a2, n1);
    free(a1);
    free(a2);
}

static void test_alerts_need_rules(void **state)
{
    fx *f = *state;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' replay --alerts A3 F >/dev/null 2>&1", f->dir,
             DN_BINARY);
    assert_int_equal(sh(cmd), 2);
    assert_int_equal(access(in_dir(f, "A3"), F_OK), -1); /* nothing written */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_alert_lines),
        cmocka_unit_test(test_second_replay_identical),
        cmocka_unit_test(test_alerts_need_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
