/*
 * bench_rules.c - the shipped rule packs over a generated feed, against decode alone, measured in
 * the same run (FLOORS.md: absolute speeds move 10-45 % between runs, ratios hold).
 *
 * Generates the labelled scenario feed in process (engine/gen: by default 100,000 accounts over
 * 30 days, seed 11, about 1.17M events, msgpack) into a temporary file, compiles the packs of
 * DN_SOURCE_DIR "/rules" once, then alternates, five times each:
 *   floor  - the replay pipeline alone: reader + decoder + validation + dedupe, no callback
 *   rules  - the same pipeline feeding a fresh dn_engine with the shipped packs (alerts counted,
 *            not written), flushed at the end
 * and prints the median of each in events/s with the range of the runs, the ratio rules/floor,
 * and the state held at the end of the last rules run: bytes per entity (dn_engine_stats
 * state.bytes / entities). Runs are interleaved so that load on the machine hits both alike; the
 * first run of each is often the slowest (memory the process has not touched yet), and a median
 * of five is not moved by one such run. The processor is printed first: absolute figures compare
 * only between runs on the same kind of processor, ratios hold across them. The file is removed
 * at the end.
 * Usage: bench_rules [ACCOUNTS [DAYS [RULES_DIR]]] (defaults 100000 30, the shipped packs);
 * bench/rules-every-construct is the "every construct, 12 regex rules" rule set.
 */
#include "dragnet/engine.h"
#include "dragnet/error.h"
#include "dragnet/rules.h"
#include "gen/gen.h"
#include "ingest/ingest.h"
#include "sink/sink.h"

#include "bench_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 5

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v in place: its range is then v[0] .. v[RUNS - 1]. */
static double median(double *v)
{
    qsort(v, RUNS, sizeof(*v), cmp_double);
    return v[RUNS / 2];
}

static const char *on_event(void *ud, const dn_event *ev)
{
    const char *reason = NULL;
    int rc = dn_engine_submit(ud, ev, &reason);
    return rc == DN_EBADEVENT ? reason : NULL;
}

/* One pass over path; engine NULL: decode floor. Returns events/s, or -1 on failure. */
static double run_once(const char *path, dn_engine *engine, uint64_t *events)
{
    dn__deadletter *dl = NULL;
    if (dn__deadletter_open(NULL, false, &dl) != 0)
        return -1;
    const char *inputs[] = {path};
    dn__replay_opts o = {.inputs = inputs, .input_count = 1, .format = DN__FMT_AUTO, .dl = dl};
    dn__replay_counts c;
    double t0 = now_s();
    int rc = dn__replay_run(&o, engine ? on_event : NULL, engine, &c);
    if (rc == 0 && engine)
        rc = dn_engine_flush(engine);
    double dt = now_s() - t0;
    dn__deadletter_close(dl);
    if (rc)
        return -1;
    *events = c.events;
    return (double)c.events / dt;
}

int main(int argc, char **argv)
{
    int code = 1;
    uint32_t accounts = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    uint32_t days = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 30;
    const char *rules_dir = argc > 3 ? argv[3] : DN_SOURCE_DIR "/rules";
    char path[] = "/tmp/bench_rules_XXXXXX";
    dn_ruleset *rs = NULL;
    dn_diags *diags = NULL;
    FILE *f = NULL;
    int fd = mkstemp(path);
    if (fd < 0 || !(f = fdopen(fd, "wb"))) {
        perror("bench_rules: temporary file");
        goto done;
    }
    dn__gen_config cfg = {.accounts = accounts, .days = days, .seed = 11};
    dn__gen_parse_date("2026-01-05", &cfg.start_ms);
    dn__gen_stats gs;
    double t0 = now_s();
    int rc = dn__gen_run(&cfg, f, NULL, &gs);
    if (fclose(f) != 0 || rc) {
        fprintf(stderr, "bench_rules: generating the feed failed\n");
        f = NULL;
        goto done;
    }
    f = NULL;
    bench_print_host();
    printf("feed: %llu events (%u accounts, %u days, seed 11), generated in %.2f s\n",
           (unsigned long long)gs.events, accounts, days, now_s() - t0);
    if ((rc = dn_ruleset_compile(rules_dir, &diags, &rs)) != 0) {
        if (diags)
            dn_diags_print(diags, stderr);
        fprintf(stderr, "bench_rules: rules: %s\n", dn_strerror(rc));
        goto done;
    }

    double floor_v[RUNS], rules_v[RUNS];
    dn_engine_stats es = {0};
    uint64_t events = 0;
    for (int r = 0; r < RUNS; r++) {
        if ((floor_v[r] = run_once(path, NULL, &events)) < 0)
            goto done;
        dn_engine *eng = NULL;
        if (dn_engine_new(rs, NULL, &eng) != 0)
            goto done;
        rules_v[r] = run_once(path, eng, &events);
        dn_engine_stats_get(eng, &es);
        dn_engine_free(eng);
        if (rules_v[r] < 0)
            goto done;
        printf("run %d: floor %.0f ev/s, rules %.0f ev/s\n", r + 1, floor_v[r], rules_v[r]);
        fflush(stdout);
    }
    double fl = median(floor_v), ru = median(rules_v);
    printf("decode floor (reader+decoder+dedupe)   %10.0f events/s  (runs %.0f-%.0f)\n", fl,
           floor_v[0], floor_v[RUNS - 1]);
    printf("rules (full pipeline)                  %10.0f events/s  (%.2f of the floor; runs "
           "%.0f-%.0f)\n",
           ru, ru / fl, rules_v[0], rules_v[RUNS - 1]);
    printf("state: %llu entities, %.1f MiB, %.0f bytes/entity; %llu alerts, %llu rule hits\n",
           (unsigned long long)es.state.entities, (double)es.state.bytes / 1048576.0,
           es.state.entities ? (double)es.state.bytes / (double)es.state.entities : 0.0,
           (unsigned long long)es.alerts, (unsigned long long)es.rule_hits);
    code = 0;
done:
    if (f)
        fclose(f);
    if (fd >= 0)
        unlink(path);
    dn_ruleset_release(rs);
    dn_diags_free(diags);
    return code;
}
