/*
 * cli_replay.c - `dragnet replay`: a recorded feed through the pipeline, with a summary.
 *
 * Reader -> decoder -> dedupe (dn__replay_run in engine/ingest) -> the scoring engine when
 * --rules is given (engine/score), in event time. Without --rules it decodes, validates, dedupes
 * and counts. Alerts go to --alerts FILE ("-" is stdout; the file is started afresh, so two
 * replays of one feed give byte-identical files); without it they are counted only. --labels
 * measures alerts and rule hits against a labels file (engine/report). Dead letters are written
 * only with --dead-letter FILE (truncated at the start; "-" is stdout); without it they are
 * counted and the summary says they were not kept.
 * Exit: 0 the run completed (whatever was dead-lettered), 1 an input or output could not be used,
 * 2 usage. Everything allocated here is freed before returning.
 */
#include "cli/cli.h"
#include "dragnet/engine.h"
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "ingest/ingest.h"
#include "report/report.h"
#include "sink/sink.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: dragnet replay [--rules DIR] [--format auto|msgpack|ndjson] [--alerts FILE]\n"
    "                      [--dead-letter FILE] [--report FILE] [--labels FILE]\n"
    "                      [--max-frame BYTES] [--dedupe-horizon MS] FILE...\n"
    "  FILE may be - for stdin. Without --dead-letter, bad events are counted, not kept.\n";

typedef struct replay_args {
    const char *rules, *alerts, *dead_letter, *report, *labels, *redis;
    dn__format format;
    size_t frame_max;
    int64_t horizon_ms;
    const char **inputs;
    size_t input_count;
} replay_args;

/* What scoring adds to a replay: the rule set, the engine, the alert file, the labels. */
typedef struct replay_scoring {
    dn_ruleset *rs;
    dn_engine *engine;
    FILE *alerts; /* NULL: counted only */
    bool is_alerts_stdout;
    bool has_failed; /* an alert could not be written, or memory ran out while scoring */
    dn__quality *quality;
} replay_scoring;

static int usage_error(const char *fmt, const char *arg)
{
    fputs("dragnet replay: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n", stderr);
    fputs(usage, stderr);
    return DN_EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* Returns -1 when parsed, else the exit code. */
static int parse(int argc, char **argv, replay_args *a)
{
    bool opts_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (opts_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            a->inputs[a->input_count++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage, stdout);
            return DN_EXIT_OK;
        }
        /* Every option takes a value: "--opt value" or "--opt=value". */
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        static const char *const names[] = {"--rules",       "--format",    "--alerts",
                                            "--dead-letter", "--report",    "--labels",
                                            "--redis",       "--max-frame", "--dedupe-horizon"};
        int which = -1;
        for (int k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++) {
            if (strlen(names[k]) == nlen && strncmp(arg, names[k], nlen) == 0)
                which = k;
        }
        if (which < 0)
            return usage_error("unknown option '%s'", arg);
        if (!val)
            return usage_error("%s needs a value", names[which]);
        if (!eq)
            i++;
        uint64_t n;
        switch (which) {
        case 0:
            a->rules = val;
            break;
        case 1:
            if (strcmp(val, "auto") == 0)
                a->format = DN__FMT_AUTO;
            else if (strcmp(val, "msgpack") == 0)
                a->format = DN__FMT_MSGPACK;
            else if (strcmp(val, "ndjson") == 0)
                a->format = DN__FMT_NDJSON;
            else
                return usage_error("--format must be auto, msgpack or ndjson, not '%s'", val);
            break;
        case 2:
            a->alerts = val;
            break;
        case 3:
            a->dead_letter = val;
            break;
        case 4:
            a->report = val;
            break;
        case 5:
            a->labels = val;
            break;
        case 6:
            a->redis = val;
            break;
        case 7:
            if (!parse_u64(val, &n) || n < 64 || n > (1u << 30))
                return usage_error("--max-frame must be a byte count in [64, 1073741824], not '%s'",
                                   val);
            a->frame_max = (size_t)n;
            break;
        case 8:
            if (!parse_u64(val, &n) || n == 0 || n > (uint64_t)INT64_MAX)
                return usage_error("--dedupe-horizon must be a positive number of ms, not '%s'",
                                   val);
            a->horizon_ms = (int64_t)n;
            break;
        }
    }
    if (a->input_count == 0)
        return usage_error("%s", "no input FILE given");
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alert(const char *line, size_t len, void *ud)
{
    replay_scoring *sc = ud;
    if (sc->alerts && (fwrite(line, 1, len, sc->alerts) != len || fputc('\n', sc->alerts) == EOF))
        sc->has_failed = true;
    if (!sc->quality)
        return;
    json_t *a = json_loadb(line, len, 0, NULL);
    const char *kind = json_string_value(json_object_get(a, "kind"));
    const char *entity = json_string_value(json_object_get(a, "entity"));
    const char *typology = json_string_value(json_object_get(a, "typology"));
    if (kind && entity && typology && strcmp(kind, "alert") == 0 &&
        dn__quality_note_alert(sc->quality, (dn_str){entity, (uint32_t)strlen(entity)}, typology))
        sc->has_failed = true;
    json_decref(a);
}

static void on_rule_hit(const char *rule, bool is_shadow, const char *entity, size_t entity_len,
                        void *ud)
{
    (void)is_shadow;
    replay_scoring *sc = ud;
    if (dn__quality_note_rule_hit(sc->quality, (dn_str){entity, (uint32_t)entity_len}, rule))
        sc->has_failed = true;
}

static const char *on_event(void *ud, const dn_event *ev)
{
    replay_scoring *sc = ud;
    if (sc->quality && (dn__quality_note_account(sc->quality, ev->src) ||
                        dn__quality_note_account(sc->quality, ev->dst)))
        sc->has_failed = true;
    const char *reason = NULL;
    int rc = dn_engine_submit(sc->engine, ev, &reason);
    if (rc == DN_EBADEVENT)
        return reason;
    if (rc)
        sc->has_failed = true;
    return NULL;
}

/* Opens what --rules, --alerts and --labels name. Returns 0 or prints why and returns -1. */
static int scoring_open(const replay_args *a, replay_scoring *sc)
{
    dn_diags *diags = NULL;
    int rc = dn_ruleset_compile(a->rules, &diags, &sc->rs);
    if (rc) {
        if (diags && dn_diags_count(diags))
            dn_diags_print(diags, stderr);
        fprintf(stderr, "dragnet replay: %s: %s\n", a->rules,
                rc == DN_ESYNTAX ? "the rule set has errors (see dragnet check)" : dn_strerror(rc));
        dn_diags_free(diags);
        return -1;
    }
    dn_diags_free(diags);
    if (a->labels) {
        dn__buf err;
        dn__buf_init(&err);
        if (dn__quality_new(&sc->quality) ||
            dn__quality_load_labels(sc->quality, a->labels, &err)) {
            fprintf(stderr, "dragnet replay: %s\n", err.len ? err.data : "out of memory");
            dn__buf_free(&err);
            return -1;
        }
        dn__buf_free(&err);
    }
    if (a->alerts) {
        sc->is_alerts_stdout = strcmp(a->alerts, "-") == 0;
        sc->alerts = sc->is_alerts_stdout ? stdout : fopen(a->alerts, "wb");
        if (!sc->alerts) {
            fprintf(stderr, "dragnet replay: %s: %s\n", a->alerts, strerror(errno));
            return -1;
        }
    }
    dn_engine_config cfg;
    dn_engine_config_default(&cfg);
    cfg.on_alert = on_alert;
    cfg.on_alert_ud = sc;
    if (sc->quality) {
        cfg.on_rule_hit = on_rule_hit;
        cfg.on_rule_hit_ud = sc;
    }
    if ((rc = dn_engine_new(sc->rs, &cfg, &sc->engine)) != 0) {
        fprintf(stderr, "dragnet replay: cannot start the engine: %s\n", dn_strerror(rc));
        return -1;
    }
    return 0;
}

/* Closes the alert file; returns -1 when writing it failed. */
static int scoring_close(replay_scoring *sc)
{
    int rc = sc->has_failed ? -1 : 0;
    if (sc->alerts && !sc->is_alerts_stdout && fclose(sc->alerts) != 0)
        rc = -1;
    if (sc->is_alerts_stdout && fflush(stdout) != 0)
        rc = -1;
    sc->alerts = NULL;
    dn_engine_free(sc->engine);
    dn_ruleset_release(sc->rs);
    dn__quality_free(sc->quality);
    memset(sc, 0, sizeof(*sc));
    return rc;
}

/* The typology names of the rule set, in order (for the quality tables). */
static size_t typology_names(const replay_scoring *sc, const char **names, size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; sc->engine && i < dn_engine_typology_count(sc->engine) && n < cap; i++) {
        dn_engine_typology_stats ts;
        if (dn_engine_typology_stats_get(sc->engine, i, &ts) == 0)
            names[n++] = ts.name;
    }
    return n;
}

/* Adds what scoring measured to the report object. */
static void report_scoring(json_t *root, const replay_scoring *sc)
{
    dn_engine_stats st;
    dn_engine_stats_get(sc->engine, &st);
    json_t *alerts = json_object(), *updates = json_object(), *hits = json_object(),
           *shadow = json_array();
    for (uint32_t i = 0; i < dn_engine_typology_count(sc->engine); i++) {
        dn_engine_typology_stats ts;
        dn_engine_typology_stats_get(sc->engine, i, &ts);
        json_object_set_new(alerts, ts.name, json_integer((json_int_t)ts.alerts));
        json_object_set_new(updates, ts.name, json_integer((json_int_t)ts.updates));
    }
    for (uint32_t i = 0; i < dn_engine_rule_count(sc->engine); i++) {
        dn_engine_rule_stats rs;
        dn_engine_rule_stats_get(sc->engine, i, &rs);
        json_object_set_new(hits, rs.id, json_integer((json_int_t)rs.hits));
        if (rs.is_shadow)
            json_array_append_new(shadow, json_string(rs.id));
    }
    json_object_set_new(root, "ruleset",
                        json_pack("{s:s, s:s}", "version", dn_ruleset_version(sc->rs), "hash",
                                  dn_ruleset_hash(sc->rs)));
    json_object_set_new(root, "alerts", alerts);
    json_object_set_new(root, "alert_updates", updates);
    json_object_set_new(root, "rule_hits", hits);
    json_object_set_new(root, "shadow_rules", shadow);
    json_object_set_new(root, "regex_limit_hits", json_integer((json_int_t)st.regex_limit_hits));
    json_object_set_new(root, "late_events", json_integer((json_int_t)st.late_events));
    json_object_set_new(root, "evicted_entities",
                        json_integer((json_int_t)st.state.evicted_entities));
    json_object_set_new(root, "dropped_facts", json_integer((json_int_t)st.state.dropped_facts));
    json_object_set_new(root, "entities", json_integer((json_int_t)st.state.entities));
    json_object_set_new(root, "state_bytes", json_integer((json_int_t)st.state.bytes));
    if (!sc->quality)
        return;
    const char *names[64];
    size_t n = typology_names(sc, names, 64);
    uint64_t accounts = dn__quality_accounts(sc->quality);
    json_object_set_new(root, "accounts", json_integer((json_int_t)accounts));
    json_object_set_new(root, "alerts_per_1000_accounts",
                        json_real(accounts ? 1000.0 * (double)st.alerts / (double)accounts : 0.0));
    json_object_set_new(root, "quality", dn__quality_json(sc->quality, names, n));
    json_object_set_new(root, "rule_quality", dn__quality_rules_json(sc->quality));
}

static int write_report(const char *path, const replay_args *a, const dn__replay_counts *c,
                        const dn__deadletter *dl, double elapsed, const replay_scoring *sc)
{
    int rc = -1;
    json_t *root = json_object(), *dead = json_object(), *inputs = json_array();
    json_t *dedupe = json_object();
    if (!root || !dead || !inputs || !dedupe)
        goto done;
    for (size_t i = 0; i < dn__deadletter_reason_count(dl); i++) {
        const char *reason;
        uint64_t n;
        dn__deadletter_reason(dl, i, &reason, &n);
        json_object_set_new(dead, reason, json_integer((json_int_t)n));
    }
    for (size_t i = 0; i < a->input_count; i++)
        json_array_append_new(inputs, json_string(a->inputs[i]));
    json_object_set_new(dedupe, "expired", json_integer((json_int_t)c->dedupe.expired));
    json_object_set_new(dedupe, "dropped", json_integer((json_int_t)c->dedupe.dropped));
    json_object_set_new(root, "events", json_integer((json_int_t)c->events));
    json_object_set_new(root, "accepted", json_integer((json_int_t)c->accepted));
    json_object_set(root, "dead_lettered", dead);
    json_object_set_new(root, "dead_lettered_total", json_integer((json_int_t)c->dead_lettered));
    if (sc->engine)
        report_scoring(root, sc);
    json_object_set_new(root, "elapsed_s", json_real(elapsed));
    json_object_set_new(root, "events_per_s",
                        json_real(elapsed > 0 ? (double)c->events / elapsed : 0.0));
    json_object_set(root, "inputs", inputs);
    json_object_set(root, "dedupe", dedupe);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    FILE *f = text ? fopen(path, "wb") : NULL;
    if (f) {
        bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
        rc = fclose(f) == 0 && ok ? 0 : -1;
    }
    free(text);
done:
    json_decref(root);
    json_decref(dead);
    json_decref(inputs);
    json_decref(dedupe);
    return rc;
}

static void summary_scoring(const replay_args *a, const replay_scoring *sc)
{
    dn_engine_stats st;
    dn_engine_stats_get(sc->engine, &st);
    fprintf(stderr, "  alerts         %llu (+%llu updates)", (unsigned long long)st.alerts,
            (unsigned long long)st.alert_updates);
    if (a->alerts)
        fprintf(stderr, "  (written to %s)\n", a->alerts);
    else
        fputs("  (counted only: pass --alerts FILE to keep them)\n", stderr);
    for (uint32_t i = 0; i < dn_engine_typology_count(sc->engine); i++) {
        dn_engine_typology_stats ts;
        dn_engine_typology_stats_get(sc->engine, i, &ts);
        fprintf(stderr, "    %-28s %llu\n", ts.name, (unsigned long long)ts.alerts);
    }
    fprintf(stderr, "  rule hits      %llu; late events %llu; regex limit hits %llu\n",
            (unsigned long long)st.rule_hits, (unsigned long long)st.late_events,
            (unsigned long long)st.regex_limit_hits);
    fprintf(stderr, "  state          %llu entities, %.1f MiB, %llu evicted, %llu facts dropped\n",
            (unsigned long long)st.state.entities, (double)st.state.bytes / (1024.0 * 1024.0),
            (unsigned long long)st.state.evicted_entities,
            (unsigned long long)st.state.dropped_facts);
    if (!sc->quality)
        return;
    const char *names[64];
    size_t n = typology_names(sc, names, 64);
    uint64_t accounts = dn__quality_accounts(sc->quality);
    fprintf(stderr, "\n  quality against %s (%llu accounts, %.2f alerts per 1,000)\n", a->labels,
            (unsigned long long)accounts,
            accounts ? 1000.0 * (double)st.alerts / (double)accounts : 0.0);
    dn__quality_print(sc->quality, names, n, stderr);
}

static void summary(const replay_args *a, const dn__replay_counts *c, const dn__deadletter *dl,
                    double elapsed)
{
    fprintf(stderr, "dragnet replay: %zu input%s, %llu event%s in %.3f s (%.0f events/s)\n",
            a->input_count, a->input_count == 1 ? "" : "s", (unsigned long long)c->events,
            c->events == 1 ? "" : "s", elapsed, elapsed > 0 ? (double)c->events / elapsed : 0.0);
    fprintf(stderr, "  accepted       %llu\n", (unsigned long long)c->accepted);
    fprintf(stderr, "  dead-lettered  %llu", (unsigned long long)c->dead_lettered);
    if (c->dead_lettered == 0)
        fputs("\n", stderr);
    else if (a->dead_letter)
        fprintf(stderr, "  (written to %s)\n", a->dead_letter);
    else
        fputs("  (NOT kept: pass --dead-letter FILE to keep them)\n", stderr);
    for (size_t i = 0; i < dn__deadletter_reason_count(dl); i++) {
        const char *reason;
        uint64_t n;
        dn__deadletter_reason(dl, i, &reason, &n);
        fprintf(stderr, "    %-28s %llu\n", reason, (unsigned long long)n);
    }
    if (c->dedupe.dropped)
        fprintf(stderr, "  dedupe: %llu ids dropped by the cap before their horizon\n",
                (unsigned long long)c->dedupe.dropped);
}

int dn__cli_replay(int argc, char **argv)
{
    replay_args a = {.format = DN__FMT_AUTO};
    replay_scoring sc = {0};
    dn__deadletter *dl = NULL;
    int exit_code = DN_EXIT_INPUT;
    a.inputs = calloc((size_t)argc, sizeof(*a.inputs));
    if (!a.inputs) {
        fputs("dragnet replay: out of memory\n", stderr);
        goto done;
    }
    int prc = parse(argc, argv, &a);
    if (prc >= 0) {
        exit_code = prc;
        goto done;
    }
    if (a.redis) {
        fputs("dragnet replay: --redis: the Redis tier is not in this build\n", stderr);
        goto done;
    }
    if ((a.alerts || a.labels) && !a.rules) {
        fputs("dragnet replay: --alerts and --labels need --rules DIR\n", stderr);
        exit_code = DN_EXIT_USAGE;
        goto done;
    }
    if (a.rules && scoring_open(&a, &sc) != 0)
        goto done;
    if (dn__deadletter_open(a.dead_letter, false, &dl) != 0) {
        fprintf(stderr, "dragnet replay: %s: %s\n", a.dead_letter ? a.dead_letter : "dead letters",
                strerror(errno));
        goto done;
    }
    dn__replay_opts o = {
        .inputs = a.inputs,
        .input_count = a.input_count,
        .format = a.format,
        .frame_max = a.frame_max,
        .dedupe_horizon_ms = a.horizon_ms,
        .dl = dl,
    };
    dn__replay_counts c;
    double t0 = now_s();
    int rc = dn__replay_run(&o, sc.engine ? on_event : NULL, &sc, &c);
    if (rc == 0 && sc.engine)
        rc = dn_engine_flush(sc.engine);
    double elapsed = now_s() - t0;
    if (rc == DN_ENOENT || rc == DN_EIO) {
        fprintf(stderr, "dragnet replay: %s: %s\n", c.failed_input ? c.failed_input : "input",
                c.failed_errno ? strerror(c.failed_errno) : dn_strerror(rc));
        goto done;
    }
    if (rc) {
        fprintf(stderr, "dragnet replay: %s\n", dn_strerror(rc));
        goto done;
    }
    summary(&a, &c, dl, elapsed);
    if (sc.engine)
        summary_scoring(&a, &sc);
    if (sc.has_failed) {
        fprintf(stderr,
                "dragnet replay: %s: writing alerts failed, or memory ran out while "
                "scoring\n",
                a.alerts ? a.alerts : "alerts");
        goto done;
    }
    if (a.report && write_report(a.report, &a, &c, dl, elapsed, &sc) != 0) {
        fprintf(stderr, "dragnet replay: %s: cannot write the report\n", a.report);
        goto done;
    }
    exit_code = DN_EXIT_OK;
done:
    if (sc.rs && scoring_close(&sc) != 0 && exit_code == DN_EXIT_OK) {
        fprintf(stderr, "dragnet replay: %s: writing alerts failed\n", a.alerts);
        exit_code = DN_EXIT_INPUT;
    }
    if (dl && dn__deadletter_close(dl) != 0) {
        fprintf(stderr, "dragnet replay: %s: writing dead letters failed\n", a.dead_letter);
        exit_code = DN_EXIT_INPUT;
    }
    free(a.inputs);
    return exit_code;
}
