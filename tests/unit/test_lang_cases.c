/*
 * test_lang_cases.c - the data-driven language tests: every .test file in tests/lang/cases is one
 * cmocka test, in the spirit of jq's .test files.
 *
 * A case file is a sequence of sections, each opened by a line starting with "=== ":
 *
 *   === rules                the text of one .rules file (written as t.rules in a temporary
 *                            folder, with a rates.csv: GBP 1.17, USD 0.92)
 *   === list lists/NAME.txt  optional, repeatable: a list file beside it
 *   === events               NDJSON, one event a line, decoded by the real JSON decoder
 *   === alerts               one JSON object a line per expected alert line, in order
 *   === report               optional: one JSON object, e.g. {"rule_hits":{"r1":3}}
 *
 * Lines before the first section and lines starting with "#" in the events, alerts and report
 * sections are comments. Blank lines there are skipped.
 *
 * Each expected object must match its actual line as a recursive subset: every key it names is
 * present with an equal value; arrays have equal length and their elements are compared the same
 * way. The number of alert lines must be equal. The report is matched the same way against
 * {"rule_hits":{rule:hits}, "alerts":{typology:n}, "alert_updates":{typology:n},
 * "late_events":n, "events_scored":n}.
 *
 * Each case runs three times through dn_engine: lateness 0, lateness 60000 (the same alert lines,
 * byte for byte) and lateness 0 again with a fresh compile (determinism: byte-identical output).
 * A mismatch prints the file, the alert line index, the key path, expected and actual values,
 * and the actual line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "dragnet/engine.h"
#include "dragnet/error.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES_DIR DN_TEST_DATA "/lang/cases"
#define RATES     "currency,rate_to_base\nGBP,1.17\nUSD,0.92\n"

/* ---- small buffers ----------------------------------------------------------------------- */

typedef struct text {
    char *data;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->data = realloc(t->data, t->cap);
        assert_non_null(t->data);
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

typedef struct lines {
    char **v;
    size_t count;
} lines;

static void lines_add(lines *l, const char *s, size_t n)
{
    l->v = realloc(l->v, (l->count + 1) * sizeof(*l->v));
    assert_non_null(l->v);
    l->v[l->count] = strndup(s, n);
    assert_non_null(l->v[l->count]);
    l->count++;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->count = 0;
}

/* ---- the case file ----------------------------------------------------------------------- */

#define MAX_LISTS 8

typedef struct test_case {
    const char *file; /* name, for messages */
    text rules;
    char *list_names[MAX_LISTS];
    text list_texts[MAX_LISTS];
    int list_count;
    lines events; /* one JSON line each */
    lines alerts; /* one expected JSON object each */
    text report;  /* empty when not given */
    bool has_alerts;
} test_case;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    text t = {0};
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        text_add(&t, buf, n);
    fclose(f);
    text_add(&t, "", 0);
    return t.data;
}

static bool is_blank_or_comment(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i == n || s[i] == '#';
}

static void parse_case(const char *path, const char *name, test_case *c)
{
    memset(c, 0, sizeof(*c));
    c->file = name;
    char *all = slurp(path);
    enum { NONE, RULES, LIST, EVENTS, ALERTS, REPORT } sec = NONE;
    for (char *p = all; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n >= 4 && strncmp(p, "=== ", 4) == 0) {
            char head[256];
            snprintf(head, sizeof(head), "%.*s", (int)(n - 4), p + 4);
            if (strcmp(head, "rules") == 0) {
                sec = RULES;
            } else if (strncmp(head, "list ", 5) == 0) {
                assert_true(c->list_count < MAX_LISTS);
                c->list_names[c->list_count++] = strdup(head + 5);
                sec = LIST;
            } else if (strcmp(head, "events") == 0) {
                sec = EVENTS;
            } else if (strcmp(head, "alerts") == 0) {
                sec = ALERTS;
                c->has_alerts = true;
            } else if (strcmp(head, "report") == 0) {
                sec = REPORT;
            } else {
                fail_msg("%s: unknown section '%s'", name, head);
            }
        } else if (sec == RULES) {
            text_add(&c->rules, p, n);
            text_add(&c->rules, "\n", 1);
        } else if (sec == LIST) {
            text_add(&c->list_texts[c->list_count - 1], p, n);
            text_add(&c->list_texts[c->list_count - 1], "\n", 1);
        } else if (sec != NONE && !is_blank_or_comment(p, n)) {
            if (sec == EVENTS)
                lines_add(&c->events, p, n);
            else if (sec == ALERTS)
                lines_add(&c->alerts, p, n);
            else
                text_add(&c->report, p, n);
        }
        p = nl ? nl + 1 : p + n;
    }
    free(all);
    if (c->rules.len == 0 || c->events.count == 0 || !c->has_alerts)
        fail_msg("%s: a case needs '=== rules', '=== events' and '=== alerts'", name);
}

static void case_free(test_case *c)
{
    free(c->rules.data);
    for (int i = 0; i < c->list_count; i++) {
        free(c->list_names[i]);
        free(c->list_texts[i].data);
    }
    lines_free(&c->events);
    lines_free(&c->alerts);
    free(c->report.data);
}

/* ---- the rule folder ---------------------------------------------------------------------- */

static void write_file(const char *dir, const char *name, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    if (slash > path + strlen(dir)) { /* lists/NAME.txt: make the folder */
        *slash = '\0';
        assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
        *slash = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static dn_ruleset *compile_case(const test_case *c)
{
    char dir[] = "/tmp/dn_lang_case_XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "t.rules", c->rules.data, c->rules.len);
    write_file(dir, "rates.csv", RATES, strlen(RATES));
    for (int i = 0; i < c->list_count; i++)
        write_file(dir, c->list_names[i], c->list_texts[i].data ? c->list_texts[i].data : "",
                   c->list_texts[i].len);
    dn_diags *d = NULL;
    dn_ruleset *rs = NULL;
    int rc = dn_ruleset_compile(dir, &d, &rs);
    if (rc) {
        fprintf(stderr, "%s: the rules do not compile:\n", c->file);
        dn_diags_print(d, stderr);
    }
    dn_diags_free(d);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rc, 0);
    return rs;
}

/* ---- running it ------------------------------------------------------------------------- */

typedef struct run_out {
    lines alerts;
    json_t *report;
} run_out;

static void on_alert(const char *line, size_t len, void *ud)
{
    assert_int_equal(strlen(line), len);
    lines_add(&((run_out *)ud)->alerts, line, len);
}

static void run_case(const test_case *c, int64_t lateness, run_out *out)
{
    memset(out, 0, sizeof(*out));
    dn_ruleset *rs = compile_case(c);
    dn_engine_config cfg;
    dn_engine_config_default(&cfg);
    cfg.lateness_ms = lateness;
    cfg.on_alert = on_alert;
    cfg.on_alert_ud = out;
    dn_engine *e = NULL;
    assert_int_equal(dn_engine_new(rs, &cfg, &e), 0);
    dn__decoder *dec = NULL;
    assert_int_equal(dn__decoder_new(&dec), 0);
    for (size_t i = 0; i < c->events.count; i++) {
        dn_event ev;
        dn__reject rej = {0};
        int rc = dn__decode_json(dec, c->events.v[i], strlen(c->events.v[i]), &ev, &rej);
        if (rc)
            fail_msg("%s: event %zu does not decode: %s (%s)", c->file, i, rej.reason, rej.detail);
        const char *reason = NULL;
        rc = dn_engine_submit(e, &ev, &reason);
        if (rc)
            fail_msg("%s: event %zu rejected: %s", c->file, i, reason ? reason : dn_strerror(rc));
    }
    assert_int_equal(dn_engine_flush(e), 0);
    json_t *rep = json_object();
    json_t *hits = json_object(), *alerts = json_object(), *updates = json_object();
    for (uint32_t i = 0; i < dn_engine_rule_count(e); i++) {
        dn_engine_rule_stats rst;
        assert_int_equal(dn_engine_rule_stats_get(e, i, &rst), 0);
        json_object_set_new(hits, rst.id, json_integer((json_int_t)rst.hits));
    }
    for (uint32_t i = 0; i < dn_engine_typology_count(e); i++) {
        dn_engine_typology_stats tst;
        assert_int_equal(dn_engine_typology_stats_get(e, i, &tst), 0);
        json_object_set_new(alerts, tst.name, json_integer((json_int_t)tst.alerts));
        json_object_set_new(updates, tst.name, json_integer((json_int_t)tst.updates));
    }
    dn_engine_stats st;
    dn_engine_stats_get(e, &st);
    json_object_set_new(rep, "rule_hits", hits);
    json_object_set_new(rep, "alerts", alerts);
    json_object_set_new(rep, "alert_updates", updates);
    json_object_set_new(rep, "late_events", json_integer((json_int_t)st.late_events));
    json_object_set_new(rep, "events_scored", json_integer((json_int_t)st.events_scored));
    out->report = rep;
    dn__decoder_free(dec);
    dn_engine_free(e);
    dn_ruleset_release(rs);
}

static void run_free(run_out *r)
{
    lines_free(&r->alerts);
    json_decref(r->report);
}

/* ---- matching ----------------------------------------------------------------------------- */

/* Is want a recursive subset of got? On the first difference, fills path, and the two values
 * (as JSON text; "(absent)" when got lacks the key). */
static bool subset(const json_t *want, const json_t *got, char *path, size_t cap, char **w,
                   char **g)
{
    size_t plen = strlen(path);
    if (json_is_object(want) && json_is_object(got)) {
        const char *key;
        json_t *wv;
        json_object_foreach((json_t *)want, key, wv)
        {
            snprintf(path + plen, cap - plen, ".%s", key);
            json_t *gv = json_object_get(got, key);
            if (!gv) {
                *w = json_dumps(wv, JSON_ENCODE_ANY | JSON_COMPACT);
                *g = strdup("(absent)");
                return false;
            }
            if (!subset(wv, gv, path, cap, w, g))
                return false;
        }
        path[plen] = '\0';
        return true;
    }
    if (json_is_array(want) && json_is_array(got)) {
        if (json_array_size(want) != json_array_size(got)) {
            snprintf(path + plen, cap - plen, " (length %zu, expected %zu)", json_array_size(got),
                     json_array_size(want));
            *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
            *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
            return false;
        }
        for (size_t i = 0; i < json_array_size(want); i++) {
            snprintf(path + plen, cap - plen, "[%zu]", i);
            if (!subset(json_array_get(want, i), json_array_get(got, i), path, cap, w, g))
                return false;
        }
        path[plen] = '\0';
        return true;
    }
    if (json_equal((json_t *)want, (json_t *)got))
        return true;
    *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
    *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
    return false;
}

static json_t *parse_or_fail(const char *file, const char *what, size_t i, const char *s)
{
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    if (!j)
        fail_msg("%s: %s %zu is not JSON (%s): %s", file, what, i, err.text, s);
    return j;
}

/* Returns the number of differences found (each printed). */
static int compare(const test_case *c, const run_out *r, const char *run)
{
    int bad = 0;
    if (c->alerts.count != r->alerts.count) {
        fprintf(stderr, "%s [%s]: %zu alert lines, expected %zu\n", c->file, run, r->alerts.count,
                c->alerts.count);
        bad++;
    }
    size_t n = c->alerts.count < r->alerts.count ? c->alerts.count : r->alerts.count;
    for (size_t i = 0; i < n; i++) {
        json_t *want = parse_or_fail(c->file, "expected alert", i, c->alerts.v[i]);
        json_t *got = parse_or_fail(c->file, "alert line", i, r->alerts.v[i]);
        char path[512] = "";
        char *w = NULL, *g = NULL;
        if (!subset(want, got, path, sizeof(path), &w, &g)) {
            fprintf(stderr, "%s [%s]: alert %zu: at %s: expected %s, actual %s\n  line: %s\n",
                    c->file, run, i, path[0] ? path : "(top)", w, g, r->alerts.v[i]);
            bad++;
        }
        free(w);
        free(g);
        json_decref(want);
        json_decref(got);
    }
    for (size_t i = n; i < r->alerts.count; i++)
        fprintf(stderr, "%s [%s]: extra alert %zu: %s\n", c->file, run, i, r->alerts.v[i]);
    if (c->report.len) {
        json_t *want = parse_or_fail(c->file, "report", 0, c->report.data);
        char path[512] = "report";
        char *w = NULL, *g = NULL;
        if (!subset(want, r->report, path, sizeof(path), &w, &g)) {
            char *all = json_dumps(r->report, JSON_COMPACT | JSON_SORT_KEYS);
            fprintf(stderr, "%s [%s]: at %s: expected %s, actual %s\n  report: %s\n", c->file, run,
                    path, w, g, all);
            free(all);
            bad++;
        }
        free(w);
        free(g);
        json_decref(want);
    }
    return bad;
}

static int same_lines(const char *file, const char *what, const lines *a, const lines *b)
{
    int bad = a->count != b->count;
    if (bad)
        fprintf(stderr, "%s: %s: %zu alert lines against %zu\n", file, what, b->count, a->count);
    for (size_t i = 0; i < a->count && i < b->count; i++) {
        if (strcmp(a->v[i], b->v[i]) != 0) {
            fprintf(stderr, "%s: %s: alert %zu differs:\n  %s\n  %s\n", file, what, i, a->v[i],
                    b->v[i]);
            bad++;
        }
    }
    return bad;
}

static void test_one_case(void **state)
{
    const char *name = *state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", CASES_DIR, name);
    test_case c;
    parse_case(path, name, &c);
    run_out in_order, held, again;
    run_case(&c, 0, &in_order);
    run_case(&c, 60000, &held);
    run_case(&c, 0, &again);
    int bad = compare(&c, &in_order, "lateness 0");
    bad += compare(&c, &held, "lateness 60000");
    bad += same_lines(name, "lateness 60000", &in_order.alerts, &held.alerts);
    bad += same_lines(name, "second run", &in_order.alerts, &again.alerts);
    run_free(&in_order);
    run_free(&held);
    run_free(&again);
    case_free(&c);
    assert_int_equal(bad, 0);
}

/* ---- one cmocka test per case file ------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int state_setup(void **state)
{
    (void)state;
    return 0;
}

int main(void)
{
    DIR *d = opendir(CASES_DIR);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", CASES_DIR);
        return 1;
    }
    char **names = NULL;
    size_t count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 5 && strcmp(de->d_name + n - 5, ".test") == 0) {
            names = realloc(names, (count + 1) * sizeof(*names));
            names[count++] = strdup(de->d_name);
        }
    }
    closedir(d);
    if (count == 0) {
        fprintf(stderr, "no .test files in %s\n", CASES_DIR);
        return 1;
    }
    qsort(names, count, sizeof(*names), by_name);
    struct CMUnitTest *tests = calloc(count, sizeof(*tests));
    for (size_t i = 0; i < count; i++) {
        tests[i] = (struct CMUnitTest){.name = names[i],
                                       .test_func = test_one_case,
                                       .setup_func = state_setup,
                                       .initial_state = names[i]};
    }
    int rc = _cmocka_run_group_tests("lang_cases", tests, count, NULL, NULL);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free(tests);
    return rc;
}
