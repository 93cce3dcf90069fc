/*
 * cli_gen.c - `dragnet gen`: writes a labelled synthetic feed (engine/gen).
 *
 *   dragnet gen --accounts N --days D [--seed S] [--format msgpack|ndjson] [--labels FILE]
 *               [--start YYYY-MM-DD] -o FILE
 *
 * Format defaults from the output's extension (.ndjson/.jsonl: NDJSON, else msgpack). Exit 2 on
 * a usage error (with the usage), 1 when a file cannot be written (naming it), 0 otherwise. A
 * summary goes to stderr. The output FILEs are opened and closed here; the generator only writes.
 */
#include "cli/cli.h"
#include "dragnet/error.h"
#include "gen/gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: dragnet gen --accounts N --days D [--seed S] [--format msgpack|ndjson]\n"
    "                   [--labels FILE] [--start YYYY-MM-DD] -o FILE\n"
    "\n"
    "Writes a synthetic, labelled payment feed: N bank customers over D days, with injected\n"
    "money_mule, scam_victim and scam_centre_ops cases among honest look-alikes.\n"
    "  --seed S        same seed, same bytes (default 1)\n"
    "  --format F      msgpack (a stream of maps) or ndjson; default from -o's extension\n"
    "  --labels FILE   CSV entity,typology,case_id of every labelled entity\n"
    "  --start DATE    first day, UTC (default 2026-01-05)\n";

static int usage_error(const char *msg, const char *arg)
{
    if (msg)
        fprintf(stderr, "dragnet gen: %s%s%s\n\n", msg, arg ? " " : "", arg ? arg : "");
    fputs(usage, stderr);
    return DN_EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int dn__cli_gen(int argc, char **argv)
{
    uint64_t accounts = 0, days = 0, seed = 1;
    const char *out_path = NULL, *labels_path = NULL, *format = NULL, *start = "2026-01-05";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return DN_EXIT_OK;
        }
        bool takes_value = strcmp(a, "--accounts") == 0 || strcmp(a, "--days") == 0 ||
                           strcmp(a, "--seed") == 0 || strcmp(a, "--format") == 0 ||
                           strcmp(a, "--labels") == 0 || strcmp(a, "--start") == 0 ||
                           strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0;
        if (!takes_value)
            return usage_error("unknown argument", a);
        if (i + 1 >= argc)
            return usage_error("missing value for", a);
        const char *v = argv[++i];
        if (strcmp(a, "--accounts") == 0) {
            if (!parse_u64(v, 50000000, &accounts) || accounts == 0)
                return usage_error("--accounts wants a positive integer, got", v);
        } else if (strcmp(a, "--days") == 0) {
            if (!parse_u64(v, 3650, &days) || days == 0)
                return usage_error("--days wants an integer in 1..3650, got", v);
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, UINT64_MAX, &seed))
                return usage_error("--seed wants a non-negative integer, got", v);
        } else if (strcmp(a, "--format") == 0) {
            format = v;
        } else if (strcmp(a, "--labels") == 0) {
            labels_path = v;
        } else if (strcmp(a, "--start") == 0) {
            start = v;
        } else {
            out_path = v;
        }
    }
    if (!accounts || !days || !out_path)
        return usage_error("--accounts, --days and -o are required", NULL);
    dn__gen_config cfg = {.accounts = (uint32_t)accounts, .days = (uint32_t)days, .seed = seed};
    if (format) {
        if (strcmp(format, "msgpack") == 0)
            cfg.format = DN__GEN_MSGPACK;
        else if (strcmp(format, "ndjson") == 0)
            cfg.format = DN__GEN_NDJSON;
        else
            return usage_error("--format wants msgpack or ndjson, got", format);
    } else {
        cfg.format = ends_with(out_path, ".ndjson") || ends_with(out_path, ".jsonl")
                         ? DN__GEN_NDJSON
                         : DN__GEN_MSGPACK;
    }
    if (dn__gen_parse_date(start, &cfg.start_ms))
        return usage_error("--start wants YYYY-MM-DD, got", start);

    int code = DN_EXIT_INPUT;
    FILE *out = NULL, *labels = NULL;
    if (!(out = fopen(out_path, "wb"))) {
        fprintf(stderr, "dragnet gen: cannot write %s: %s\n", out_path, strerror(errno));
        goto done;
    }
    if (labels_path && !(labels = fopen(labels_path, "w"))) {
        fprintf(stderr, "dragnet gen: cannot write %s: %s\n", labels_path, strerror(errno));
        goto done;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dn__gen_stats st;
    int rc = dn__gen_run(&cfg, out, labels, &st);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc) {
        const char *which = labels && ferror(labels) ? labels_path : out_path;
        fprintf(stderr, "dragnet gen: cannot write %s: %s\n", which, dn_strerror(rc));
        goto done;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(
        stderr,
        "dragnet gen: %llu events, %u accounts, %llu days -> %s (%s) in %.2f s, %.0f events/s\n",
        (unsigned long long)st.events, st.accounts, (unsigned long long)days, out_path,
        cfg.format == DN__GEN_NDJSON ? "ndjson" : "msgpack", secs,
        secs > 0 ? (double)st.events / secs : 0.0);
    for (unsigned t = 0; t < DN__GEN_TYP_COUNT; t++) {
        fprintf(stderr, "  %-16s %3u cases (%u weak), %4u labelled entities:",
                dn__gen_typology_name((dn__gen_typology)t), st.cases[t], st.weak[t],
                st.labelled[t]);
        for (unsigned v = 0; dn__gen_variant_name((dn__gen_typology)t, v); v++)
            if (st.variants[t][v])
                fprintf(stderr, " %s %u", dn__gen_variant_name((dn__gen_typology)t, v),
                        st.variants[t][v]);
        fputc('\n', stderr);
    }
    code = DN_EXIT_OK;
done:
    if (out && fclose(out) && code == DN_EXIT_OK) {
        fprintf(stderr, "dragnet gen: cannot write %s: %s\n", out_path, strerror(errno));
        code = DN_EXIT_INPUT;
    }
    if (labels && fclose(labels) && code == DN_EXIT_OK) {
        fprintf(stderr, "dragnet gen: cannot write %s: %s\n", labels_path, strerror(errno));
        code = DN_EXIT_INPUT;
    }
    return code;
}
