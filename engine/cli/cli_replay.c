/*
 * cli_replay.c - `dragnet replay`: a recorded feed through the pipeline, with a summary.
 *
 * Until the rule engine lands, replay decodes, validates, dedupes and counts (dn__replay_run in
 * engine/ingest); --rules is parsed and refused with exit 1, --alerts and --labels are parsed and
 * checked but unused. Dead letters are written only with --dead-letter FILE (truncated at the
 * start; "-" is stdout); without it they are counted and the summary says they were not kept.
 * Exit: 0 the run completed (whatever was dead-lettered), 1 an input or output could not be used,
 * 2 usage. Everything allocated here is freed before returning.
 */
#include "cli/cli.h"
#include "dragnet/error.h"
#include "ingest/ingest.h"
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

static int write_report(const char *path, const replay_args *a, const dn__replay_counts *c,
                        const dn__deadletter *dl, double elapsed)
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
    json_object_set_new(root, "alerts", json_object());
    json_object_set_new(root, "rule_hits", json_object());
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
    if (a.rules) {
        fputs("dragnet replay: --rules: the rule engine is not in this build\n", stderr);
        goto done;
    }
    if (a.redis) {
        fputs("dragnet replay: --redis: the Redis tier is not in this build\n", stderr);
        goto done;
    }
    if (a.labels) {
        FILE *lf = fopen(a.labels, "rb");
        if (!lf) {
            fprintf(stderr, "dragnet replay: %s: %s\n", a.labels, strerror(errno));
            goto done;
        }
        fclose(lf);
    }
    if (a.alerts && strcmp(a.alerts, "-") != 0) {
        FILE *af = fopen(a.alerts, "ab"); /* no rules, no alerts: the file exists, empty */
        if (!af) {
            fprintf(stderr, "dragnet replay: %s: %s\n", a.alerts, strerror(errno));
            goto done;
        }
        fclose(af);
    }
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
    int rc = dn__replay_run(&o, NULL, NULL, &c);
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
    if (a.report && write_report(a.report, &a, &c, dl, elapsed) != 0) {
        fprintf(stderr, "dragnet replay: %s: cannot write the report\n", a.report);
        goto done;
    }
    exit_code = DN_EXIT_OK;
done:
    if (dl && dn__deadletter_close(dl) != 0) {
        fprintf(stderr, "dragnet replay: %s: writing dead letters failed\n", a.dead_letter);
        exit_code = DN_EXIT_INPUT;
    }
    free(a.inputs);
    return exit_code;
}
