/*
 * cli_demo.c - `dragnet demo`: the first thing a newcomer runs.
 *
 * Generates a labelled feed of about 200k events (dragnet gen), replays it through the shipped
 * rule packs on the embedded state (dragnet replay --labels), then prints what matters: events/s,
 * alerts by typology, precision and recall against the labels, and two alerts rendered for a
 * person. It drives the same code paths as the commands it stands for, so what the demo shows is
 * what a user gets from them. Files go to a fresh temporary folder, kept and named at the end.
 */
#include "cli/cli.h"

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef DN_DEFAULT_RULES_DIR
#define DN_DEFAULT_RULES_DIR "rules"
#endif

static const char demo_usage[] =
    "usage: dragnet demo [--rules DIR] [--accounts N] [--days D] [--seed S] [--out DIR]\n"
    "  generates a labelled feed (default 20000 accounts over 30 days), replays it through the\n"
    "  rule packs (default: ./rules, else the packs shipped with this build) and explains\n";

static const char *find_rules(const char *given)
{
    struct stat st;
    if (given)
        return given;
    if (stat("rules/00_settings.rules", &st) == 0)
        return "rules";
    return DN_DEFAULT_RULES_DIR;
}

static void print_alert(json_t *a, FILE *out)
{
    fprintf(out, "  %s %s  entity %s (%s)  score %lld / threshold %lld  severity %s",
            json_string_value(json_object_get(a, "time"))
                ? json_string_value(json_object_get(a, "time"))
                : "",
            json_string_value(json_object_get(a, "typology")),
            json_string_value(json_object_get(a, "entity")),
            json_string_value(json_object_get(a, "role")),
            (long long)json_integer_value(json_object_get(a, "score")),
            (long long)json_integer_value(json_object_get(a, "threshold")),
            json_string_value(json_object_get(a, "severity")));
    const char *verdict = json_string_value(json_object_get(a, "verdict"));
    fprintf(out, "%s%s\n", verdict ? "  verdict " : "", verdict ? verdict : "");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(a, "rules"), i, r)
    {
        fprintf(out, "    + %-28s %+4lld  %s\n", json_string_value(json_object_get(r, "id")),
                (long long)json_integer_value(json_object_get(r, "score")),
                json_string_value(json_object_get(r, "description")));
        size_t k;
        json_t *b;
        json_array_foreach(json_object_get(r, "because"), k, b)
        {
            fprintf(out, "        because %s\n", json_string_value(b));
        }
        json_t *evs = json_object_get(r, "events");
        if (json_array_size(evs)) {
            fprintf(out, "        events ");
            json_t *e;
            json_array_foreach(evs, k, e)
            {
                fprintf(out, "%s%s", k ? ", " : "", json_string_value(e));
            }
            fputc('\n', out);
        }
    }
}

/* Prints the first alert of two different typologies (or the first two alerts). */
static int show_alerts(const char *path, FILE *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    json_t *picked[2] = {NULL, NULL};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0 && !picked[1]) {
        json_t *a = json_loads(line, 0, NULL);
        if (!a)
            continue;
        const char *kind = json_string_value(json_object_get(a, "kind"));
        json_t *rules = json_object_get(a, "rules");
        bool is_alert = kind && strcmp(kind, "alert") == 0 && json_array_size(rules) >= 2;
        if (is_alert && !picked[0]) {
            picked[0] = a;
            continue;
        }
        if (is_alert && strcmp(json_string_value(json_object_get(a, "typology")),
                               json_string_value(json_object_get(picked[0], "typology"))) != 0) {
            picked[1] = a;
            continue;
        }
        json_decref(a);
    }
    free(line);
    fclose(f);
    for (int i = 0; i < 2; i++) {
        if (!picked[i])
            continue;
        print_alert(picked[i], out);
        fputc('\n', out);
        json_decref(picked[i]);
    }
    return 0;
}

static void print_summary(const char *report_path, FILE *out)
{
    json_t *r = json_load_file(report_path, 0, NULL);
    if (!r)
        return;
    fprintf(out, "  events %lld, accepted %lld, %.0f events/s\n",
            (long long)json_integer_value(json_object_get(r, "events")),
            (long long)json_integer_value(json_object_get(r, "accepted")),
            json_number_value(json_object_get(r, "events_per_s")));
    const char *k;
    json_t *v;
    fprintf(out, "  alerts by typology:");
    json_object_foreach(json_object_get(r, "alerts"), k, v)
    {
        fprintf(out, " %s %lld", k, (long long)json_integer_value(v));
    }
    fputc('\n', out);
    json_t *q = json_object_get(r, "quality");
    if (q) {
        fprintf(out, "\n  %-18s %9s %9s %9s %10s %8s\n", "typology", "labelled", "alerted", "tp",
                "precision", "recall");
        json_object_foreach(q, k, v)
        {
            json_t *p = json_object_get(v, "precision"), *rc = json_object_get(v, "recall");
            fprintf(out, "  %-18s %9lld %9lld %9lld %10.3f %8.3f\n", k,
                    (long long)json_integer_value(json_object_get(v, "labelled")),
                    (long long)json_integer_value(json_object_get(v, "alerted")),
                    (long long)json_integer_value(json_object_get(v, "tp")),
                    json_is_number(p) ? json_number_value(p) : 0.0,
                    json_is_number(rc) ? json_number_value(rc) : 0.0);
        }
    }
    json_decref(r);
}

int dn__cli_demo(int argc, char **argv)
{
    const char *rules = NULL, *accounts = "20000", *days = "30", *seed = "7", *outdir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = strcmp(a, "--rules") == 0      ? &rules
                            : strcmp(a, "--accounts") == 0 ? &accounts
                            : strcmp(a, "--days") == 0     ? &days
                            : strcmp(a, "--seed") == 0     ? &seed
                            : strcmp(a, "--out") == 0      ? &outdir
                                                           : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(demo_usage, stdout);
            return DN_EXIT_OK;
        }
        if (!slot || i + 1 >= argc) {
            fprintf(stderr, "dragnet demo: %s '%s'\n%s",
                    slot ? "missing value after" : "unknown option", a, demo_usage);
            return DN_EXIT_USAGE;
        }
        *slot = argv[++i];
    }
    rules = find_rules(rules);

    char dir[PATH_MAX];
    if (outdir) {
        snprintf(dir, sizeof(dir), "%s", outdir);
        mkdir(dir, 0755);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/dragnet-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(dir)) {
            fprintf(stderr, "dragnet demo: cannot create a folder under %s\n", dir);
            return DN_EXIT_INPUT;
        }
    }
    char feed[PATH_MAX + 32], labels[PATH_MAX + 32], alerts[PATH_MAX + 32], report[PATH_MAX + 32],
        dead[PATH_MAX + 32];
    snprintf(feed, sizeof(feed), "%s/feed.msgpack", dir);
    snprintf(labels, sizeof(labels), "%s/labels.csv", dir);
    snprintf(alerts, sizeof(alerts), "%s/alerts.ndjson", dir);
    snprintf(report, sizeof(report), "%s/report.json", dir);
    snprintf(dead, sizeof(dead), "%s/dead-letter.ndjson", dir);

    printf("Dragnet demo: a synthetic bank feed with injected scam-centre, scam-victim and\n"
           "money-mule cases, scored by the rule packs in %s\n\n",
           rules);
    printf("1. dragnet gen --accounts %s --days %s --seed %s --labels %s -o %s\n", accounts, days,
           seed, labels, feed);
    fflush(stdout);
    char *gen_argv[] = {"gen",    "--accounts", (char *)accounts, "--days", (char *)days,
                        "--seed", (char *)seed, "--labels",       labels,   "-o",
                        feed,     NULL};
    int rc = dn__cli_gen(11, gen_argv);
    if (rc != DN_EXIT_OK)
        return rc;

    printf("\n2. dragnet replay --rules %s --labels %s --alerts %s --report %s %s\n", rules, labels,
           alerts, report, feed);
    fflush(stdout);
    char *replay_argv[] = {"replay",   "--rules", (char *)rules, "--labels", labels,
                           "--alerts", alerts,    "--report",    report,     "--dead-letter",
                           dead,       feed,      NULL};
    rc = dn__cli_replay(12, replay_argv);
    if (rc != DN_EXIT_OK)
        return rc;

    printf("\n3. What it found\n");
    print_summary(report, stdout);
    printf("\n4. Two alerts, as an investigator reads them\n\n");
    if (show_alerts(alerts, stdout) != 0)
        printf("  (no alerts file)\n");
    printf("Files are in %s: feed, labels, alerts, report, dead letters.\n", dir);
    return DN_EXIT_OK;
}
